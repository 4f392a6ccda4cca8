/* The student's small banners: "under remote control" while the teacher
 * operates their machine (F20), and "no broadcast" while the teacher's
 * broadcast is stopped and the seat is back on its desktop. */
#ifndef CAST_STUDENT_INDICATOR_H
#define CAST_STUDENT_INDICATOR_H

#include <stdbool.h>

/*
 * A small borderless window of its own, always on top and out of the
 * taskbar, at the top centre of the first display: red, with "Under remote
 * control by the teacher" in white (translated through the "libcast"
 * gettext domain, so in the language the overlay set). It never takes the
 * keyboard focus when shown, so the teacher's keys still reach the
 * student's programs, and it repaints itself when uncovered (an SDL event
 * watch), so the program's own loop only has to pump SDL events.
 *
 * Threading: every function runs on SDL's main thread, after
 * SDL_Init(SDL_INIT_VIDEO).
 */
struct indicator;

/* Which banner: the remote control's (red, top centre) or the seat's
 * status while the teacher's broadcast is stopped (blue-grey, bottom
 * right, "No broadcast: the teacher has stopped it"). */
enum indicator_kind { INDICATOR_REMOTE, INDICATOR_NO_BROADCAST };

/**
 * Prepares the text (the widget layer's pango fonts, as the overlay's);
 * creates nothing visible yet. 0 or CAST_ERROR(ENOMEM). *out is written
 * only on success.
 */
int indicator_new(struct indicator **out);
/** The same for a banner of `kind`; CAST_ERROR(EINVAL) for another. */
int indicator_new_kind(struct indicator **out, enum indicator_kind kind);

/**
 * Shows (creating its window the first time) or hides the banner. A
 * failure (no window could be made) is logged and leaves it hidden.
 */
void indicator_show(struct indicator *in, bool on);

/** True while the banner is on screen. */
bool indicator_shown(const struct indicator *in);

/** Closes the window and the font; writes NULL. NULL or *in NULL: no-op. */
void indicator_free(struct indicator **in);

#endif
