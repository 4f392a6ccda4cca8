/* Screen and media sources behind one registry: x11, testpattern, file. */
#ifndef CAST_CAPTURE_H
#define CAST_CAPTURE_H

#include "frame.h"

struct cast_capture;

struct cast_cinema;

struct cast_capture_cfg {
	/** Backend name: "x11", "testpattern", "file" (default "testpattern"). */
	const char *backend;
	/** x11: display name (NULL: $DISPLAY); file: path or URL. */
	const char *device;
	/** Region to capture (x11); w/h 0 means the whole screen. */
	int x, y, w, h;
	/** testpattern: picture size (default 1920x1080). */
	int width, height;
	/** Nominal frame rate the caller will grab at (default 30). */
	int fps;
	/** x11: draw the mouse pointer into the picture (default true). */
	bool draw_cursor;
	/** x11: use XDamage to report only changed regions (default true). */
	bool use_damage;
	/** file: start over at the end instead of returning CAST_EOF. */
	bool loop;
	/**
	 * file: the film's clock (cast/record.h, not owned): the picture
	 * follows its pauses and seeks. NULL: the file's own pace.
	 */
	struct cast_cinema *cinema;
};

/** Fills `cfg` with the defaults above. */
CAST_API void cast_capture_cfg_init(struct cast_capture_cfg *cfg);

/**
 * Opens the named backend. Errors: CAST_ENOBACKEND (unknown name, or the
 * backend's probe failed, e.g. no X display), -EINVAL, -ENOMEM, and whatever
 * the backend reports (-ENOENT for a missing file, CAST_EEXTERNAL).
 */
CAST_API int cast_capture_new(struct cast_capture **out,
			      const struct cast_capture_cfg *cfg);

/**
 * Grabs the current picture into `frame` (owned by the capture, valid until
 * the next grab). Never blocks for long: file sources return the frame due at
 * the current wall time (real-time pacing). Returns 1 when the picture
 * changed, 0 when it is unchanged (frame still valid, n_damage == 0),
 * CAST_EOF at the end of a non-looping file, negative errno on failure.
 */
CAST_API int cast_capture_grab(struct cast_capture *c, struct cast_frame *frame);

/** Most rectangles cast_capture_exclude takes. */
#define CAST_CAPTURE_EXCLUDE_MAX 8

/**
 * Leaves rectangles of the screen out of the picture (root-window
 * coordinates; `n` 0 clears): they are filled with a flat dark grey, so a
 * window the teacher keeps on its own screen (the console's floating bar)
 * never reaches the students. Takes effect from the next grab; may be
 * called from any thread. Returns 0, -ENOTSUP (the backend does not capture
 * a screen: testpattern, file), -E2BIG (over CAST_CAPTURE_EXCLUDE_MAX),
 * -EINVAL.
 */
CAST_API int cast_capture_exclude(struct cast_capture *c,
				  const struct cast_rect *r, int n);

/** Size of the pictures this capture produces. */
CAST_API void cast_capture_size(const struct cast_capture *c, int *w, int *h);

/** Name of the backend in use. */
CAST_API const char *cast_capture_backend(const struct cast_capture *c);

CAST_API void cast_capture_free(struct cast_capture **c);

/**
 * Names of the compiled-in backends, NULL-terminated, in preference order.
 */
CAST_API const char *const *cast_capture_backends(void);

/*
 * Testpattern stamp: a row of black/white blocks at the top-left of each
 * testpattern picture carrying the frame number and a checksum, so receivers
 * can verify order and integrity from the decoded picture alone.
 */

/** Number of blocks in the stamp: 32 bits of frame number + 8 bits CRC. */
#define CAST_STAMP_BITS 40

/** Block edge in pixels for a picture of this width. */
CAST_API int cast_stamp_block(int width);

/**
 * Draws `frame_no` into a BGRA or I420 picture (in place).
 * Returns 0 or -EINVAL (picture too small for the stamp).
 */
CAST_API int cast_stamp_write(struct cast_frame *f, uint32_t frame_no);

/**
 * Reads the stamp back from a BGRA or I420 picture. Returns 0 and writes
 * `*frame_no` when the checksum matches, CAST_EMALFORMED otherwise.
 */
CAST_API int cast_stamp_read(const struct cast_frame *f, uint32_t *frame_no);

#endif
