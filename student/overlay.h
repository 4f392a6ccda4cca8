/* Student screen overlays: watermark, marquee, messages, raise hand, lock. */
#ifndef CAST_STUDENT_OVERLAY_H
#define CAST_STUDENT_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

/*
 * Threading: the setters (overlay_set_*, overlay_show_message) and the
 * queries may be called from any thread, e.g. the control thread. Everything
 * that touches SDL (overlay_new, overlay_free, overlay_draw,
 * overlay_needs_redraw, overlay_handle_event) runs on the thread that owns
 * the renderer: SDL's main thread. Changes take effect at the next
 * overlay_draw.
 *
 * Errors are negative errno values (CAST_ERROR(e)), as in libcast.
 */
struct overlay;

/* Which fields of the student the watermark shows (bit mask). */
enum overlay_wm_field {
	OVERLAY_WM_ID = 1 << 0,
	OVERLAY_WM_NAME = 1 << 1,
	OVERLAY_WM_CLASS = 1 << 2,
	OVERLAY_WM_IP = 1 << 3,
	OVERLAY_WM_TEXT = 1 << 4,
};

/* Where the watermark goes: a corner, the centre, or tiled diagonally. */
enum overlay_wm_place {
	OVERLAY_WM_BOTTOM_RIGHT = 0,
	OVERLAY_WM_BOTTOM_LEFT,
	OVERLAY_WM_TOP_RIGHT,
	OVERLAY_WM_TOP_LEFT,
	OVERLAY_WM_CENTER,
	OVERLAY_WM_TILED,
};

/*
 * The watermark (F3, F15). Lines: "id  name", "class  ip", then the free
 * text (which may hold '\n'); fields not in `fields` or empty are left out.
 * Strings are UTF-8 and copied by overlay_set_watermark.
 */
struct overlay_watermark {
	const char *id, *name, *class_name, *ip, *text;
	unsigned fields; /* enum overlay_wm_field bits; 0 hides */
	int opacity;     /* 0 (invisible) .. 100 (solid) */
	enum overlay_wm_place place;
	int size; /* font size in pixels; 0: from the window */
};

/* Counters for tests and benchmarks. */
struct overlay_stats {
	uint64_t frames;       /* overlay_draw calls */
	uint64_t text_renders; /* text rasterised into a new texture */
};

/**
 * Defaults: id, name and ip; opacity 30; bottom-right; automatic size; no
 * strings.
 */
void overlay_watermark_init(struct overlay_watermark *w);

/**
 * Parses a placement name: "bottom-right", "bottom-left", "top-right",
 * "top-left", "center" (or "centre"), "tiled". 0 or CAST_ERROR(EINVAL).
 */
int overlay_wm_place_parse(const char *name, enum overlay_wm_place *out);

/**
 * Creates the overlays for `ren` (borrowed; must outlive the overlay). Text
 * is the widget layer's (cast/ui.h: pango, Noto Sans CJK's regional variant
 * for the language first, fonts found by fontconfig). Binds the gettext
 * domain "libcast" to $CAST_LOCALEDIR, else the build tree's catalogs, else
 * the installed ones.
 * Errors: CAST_ERROR(ENOMEM). *out is written only on success.
 */
int overlay_new(struct overlay **out, SDL_Renderer *ren);

/** Frees the overlay and its textures; writes NULL. NULL or *o NULL: no-op. */
void overlay_free(struct overlay **o);

/**
 * Sets the watermark (copies it); NULL hides it. Values are clamped (opacity
 * to 0..100, size to 0..512). 0 or CAST_ERROR(ENOMEM).
 */
int overlay_set_watermark(struct overlay *o, const struct overlay_watermark *w);

/**
 * Scrolls `text` right-to-left across the top of the screen for `seconds`
 * (counted from the first frame that shows it; <= 0: until replaced). NULL
 * or "" removes the marquee. 0 or CAST_ERROR(ENOMEM).
 */
int overlay_set_marquee(struct overlay *o, const char *text, double seconds);

/**
 * Queues a message box (title may be NULL: a built-in "Message from the
 * teacher"). Boxes show one at a time, oldest first, until the student
 * presses OK or Enter. 0, CAST_ERROR(ENOSPC) when 32 are already waiting,
 * CAST_ERROR(ENOMEM).
 */
int overlay_show_message(struct overlay *o, const char *title,
                         const char *text);

/** Message boxes waiting, including the one on screen. */
int overlay_messages(struct overlay *o);

/**
 * Locks or unlocks the screen (F2, F21): black full screen with `notice`
 * centred (NULL or "": the built-in "Screen locked by the teacher"), over
 * everything. While locked overlay_handle_event swallows all keyboard,
 * mouse and quit events. The caller grabs the input and keeps the window on
 * top while overlay_locked() is true. 0 or CAST_ERROR(ENOMEM).
 */
int overlay_set_lock(struct overlay *o, bool locked, const char *notice);

/** True while the screen is locked (as of the last overlay_set_lock). */
bool overlay_locked(struct overlay *o);

/** Shows or hides the small "Hand raised" indicator (F14). */
void overlay_set_hand(struct overlay *o, bool raised);

/**
 * The teacher's broadcast is stopped (or runs again): a notice in the
 * middle of the window, "No broadcast: the teacher has stopped it", under
 * the other overlays (the lock hides it).
 */
void overlay_set_idle(struct overlay *o, bool idle);

/**
 * Language of the built-in strings (F17): "zh_CN", "zh_TW", "en" (also
 * "zh-CN" forms); anything else falls back to English. Applied at the next
 * overlay_draw, which sets $LANGUAGE for gettext (and LC_MESSAGES to
 * C.UTF-8 if it was "C", where gettext ignores $LANGUAGE) and switches to
 * the Traditional Chinese font face for zh_TW/zh_HK.
 * 0 or CAST_ERROR(EINVAL) for a malformed name.
 */
int overlay_set_language(struct overlay *o, const char *lang);

/**
 * Draws the overlays on the current render target, `w` x `h` pixels (the
 * renderer's output size), after the caller drew the picture and before
 * SDL_RenderPresent: watermark, marquee, hand, message box, then the lock
 * over everything. Text is rasterised only when it or its size changes.
 */
void overlay_draw(struct overlay *o, int w, int h);

/**
 * True when the next overlay_draw would look different: state changed, or
 * the marquee is moving and a 30 fps frame is due. Lets the caller redraw
 * only when needed.
 */
bool overlay_needs_redraw(struct overlay *o);

/**
 * Offers an SDL event to the overlays; true if consumed (the caller must
 * then ignore it). A message box consumes clicks on itself and Enter /
 * keypad Enter / Space (which, like a click on OK, dismiss it). While
 * locked, every keyboard, text, mouse, touch, controller, drop and quit
 * event is consumed (Escape, Alt+F4, SDL_QUIT, the window's close button).
 * Window exposure and resize events are never consumed.
 */
bool overlay_handle_event(struct overlay *o, const SDL_Event *e);

/** Copies the counters. */
void overlay_stats(struct overlay *o, struct overlay_stats *st);

#endif
