/* Capture backends: the descriptor table each source fills in. */
#ifndef CAST_CAPTURE_INT_H
#define CAST_CAPTURE_INT_H

#include "cast/capture.h"
#include "cast/error.h"

/*
 * One capture source. `probe` says whether the backend can work on this
 * machine at all (0 or negative errno; the registry reports any failure as
 * CAST_ENOBACKEND). `open` writes its private state to `*priv` and the picture
 * size to `*w`, `*h` only on success. `grab` has the contract of
 * cast_capture_grab(). `close` frees everything `open` made.
 */
struct cast__capture_backend {
	const char *name;
	int (*probe)(const struct cast_capture_cfg *cfg);
	int (*open)(void **priv, const struct cast_capture_cfg *cfg, int *w,
	            int *h);
	int (*grab)(void *priv, struct cast_frame *frame);
	/* Optional: rectangles to leave out (cast_capture_exclude), called on
	 * the grabbing thread before a grab. */
	void (*exclude)(void *priv, const struct cast_rect *r, int n);
	void (*close)(void *priv);
};

extern const struct cast__capture_backend cast__capture_x11;
extern const struct cast__capture_backend cast__capture_testpattern;
extern const struct cast__capture_backend cast__capture_file;

/** Finds a compiled-in backend by name, NULL if there is none. */
const struct cast__capture_backend *cast__capture_find(const char *name);

/** Luma (BT.601, full range) of one BGRA pixel. */
static inline int cast__bgra_luma(const uint8_t *p)
{
	return (p[0] * 29 + p[1] * 150 + p[2] * 77 + 128) >> 8;
}

#endif
