/* Remote control (F20): the teacher's input words, and their injection. */
#ifndef CAST_INPUT_H
#define CAST_INPUT_H

#include <stddef.h>

#include "defs.h"

#define CAST_INPUT_TEXT_MAX 256 /* type=TEXT, bytes with NUL */
#define CAST_INPUT_KEY_MAX 64   /* key=NAME, bytes with NUL */

enum cast_input_kind {
	CAST_INPUT_MOVE = 1,
	CAST_INPUT_CLICK,
	CAST_INPUT_KEY,
	CAST_INPUT_TYPE,
};

/** One input event of the teacher's, as typed and as carried out. */
struct cast_input_event {
	enum cast_input_kind kind;
	int x, y;   /* move, click: pixels of the student's screen, 0..32767 */
	int button; /* click: 1 left (default), 2 middle, 3 right */
	/* key: "Return", "a", "ctrl+c", "ctrl+alt+t", "F5": modifiers (ctrl,
	 * alt, shift, super) then an X keysym name; after parsing, modifiers
	 * in that order and the keysym's own name */
	char key[CAST_INPUT_KEY_MAX];
	/* type: UTF-8, no control characters except \n and \t */
	char text[CAST_INPUT_TEXT_MAX];
};

/**
 * Parses one word as a teacher types it: "move=X,Y", "click=X,Y",
 * "click=X,Y,right|middle|left", "key=NAME", "type=TEXT". Coordinates are
 * decimal, 0..32767. A key name is an X keysym name (case is ignored when
 * the exact name is unknown) or a single character, after modifiers joined
 * by '+'. `ev` is written whole (zeroed first) only on success.
 * Returns 0; CAST_ERROR(EINVAL) with `why` (may be NULL) saying what is wrong
 * and what is taken; CAST_ERROR(EMSGSIZE) when the key or text is too long.
 */
CAST_API int cast_input_parse(const char *word, struct cast_input_event *ev,
                              char *why, size_t why_size);

/**
 * Writes the word for `ev` into `buf` (NUL-terminated): what
 * cast_input_parse turns back into the same event. Returns its length
 * (without the NUL); CAST_ERROR(EINVAL) for an event parse would refuse;
 * CAST_ERROR(ENOSPC) when `size` is too small.
 */
CAST_API int cast_input_format(const struct cast_input_event *ev, char *buf,
                               size_t size);

/** Injection into an X display through the XTEST extension. */
struct cast_injector;

/**
 * Connects to `display` (NULL: $DISPLAY) and reads its keymap. Errors:
 * CAST_ERROR(ENODEV) no display, CAST_ERROR(ENOTSUP) the server lacks XTEST
 * or XKB, CAST_ERROR(ENOMEM). *out is written only on success.
 */
CAST_API int cast_injector_new(struct cast_injector **out, const char *display);

/** The screen's size in pixels. */
CAST_API void cast_injector_size(struct cast_injector *in, int *w, int *h);

/**
 * Carries out one event and returns once the server has processed it.
 * Coordinates are clamped to the screen. A key, or a character of a text,
 * that the server's keymap cannot produce: CAST_ERROR(ENOENT), and nothing
 * of the event is sent. Every key pressed is released before returning.
 * Other errors: CAST_ERROR(EINVAL) a malformed event, CAST_ERROR(EIO) the
 * connection to the display broke, CAST_EEXTERNAL the server refused a
 * request.
 */
CAST_API int cast_injector_send(struct cast_injector *in,
                                const struct cast_input_event *ev);

/** Closes the connection; writes NULL. NULL or *in NULL: no-op. */
CAST_API void cast_injector_free(struct cast_injector **in);

#endif
