/* The teacher's console window (SDL2 + the cast/ui.h widget layer). */
#ifndef TEACHER_CONSOLE_H
#define TEACHER_CONSOLE_H

#include <cast/cast.h>

struct console;

/*
 * The students' latest pictures, as the library's receivers hand them over
 * (cast_screens_cfg.on_frame): a small cairo surface per student (the
 * monitor wall's thumbnails) and, for the student under remote control, a
 * larger one. Made before the console (the screens start first).
 */
struct console_pics;

int console_pics_new(struct console_pics **out);
void console_pics_free(struct console_pics **p);
/** cast_screens_cfg.on_frame: copies the picture (I420) under a lock. */
void console_on_frame(const char *id, const struct cast_frame *f, void *arg);

struct console_cfg {
	struct cast_class *cls;
	struct cast_sender *sender;
	struct cast_teacher_ctl *ctl;
	const char *ctl_socket; /* for the actions answered later */
	int channel;
	int width, height; /* logical pixels; 0: fit the display */
	/* Logical pixels to the window's: 0 takes the desktop's (on X11
	 * GDK_SCALE or Xft.dpi, cast_ui_scale_pick; elsewhere 1). It
	 * multiplies the drawable's own scale (Wayland, macOS). */
	double ui_scale;
	const char *lang;  /* NULL: from the environment */
	/* What a student PC needs (shown in the setup panel). */
	char key_code[32];
	char teacher_code[32];
	const char *key_path;
	bool first_run; /* the key was made just now */
	/* The broadcast is this display's own screen: the console keeps out
	 * of the picture and shrinks to the floating bar. */
	bool own_screen;
	/* The whiteboard (NULL: no Whiteboard button) and whether the
	 * teacher has a voice source (`ctl voice` exists). */
	struct cast_board *board;
	bool voice;
	/* Students' pictures (NULL: no students' screens, and no Wall, Demo
	 * or Control button). */
	struct console_pics *pics;
};

/**
 * Opens the window. Returns 0, -ENODEV (no display: SDL could not start
 * its video), -ENOMEM.
 */
int console_new(struct console **out, const struct console_cfg *cfg);

/**
 * Handles events for up to `wait_ms`, refreshes the class view and draws.
 * Returns false once the teacher closed the window.
 */
bool console_step(struct console *c, int wait_ms);

/** Adds "console":{…} (language, selection, page, geometry) to a stats
 * line: what the tests drive the window by. */
void console_json(struct console *c, struct cast_json *j);

void console_free(struct console **c);

#endif
