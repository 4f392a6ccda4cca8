/* The teacher's console window (SDL2 + the cast/ui.h widget layer). */
#ifndef TEACHER_CONSOLE_H
#define TEACHER_CONSOLE_H

#include <cast/cast.h>

struct console;

struct console_cfg {
	struct cast_class *cls;
	struct cast_sender *sender;
	struct cast_teacher_ctl *ctl;
	const char *ctl_socket; /* for the actions answered later */
	int channel;
	int width, height; /* 0: fit the display */
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
