/* Raw video frames as they move from capture to encoder and decoder to view. */
#ifndef CAST_FRAME_H
#define CAST_FRAME_H

#include "defs.h"

enum cast_pixfmt {
	CAST_PIX_NONE = 0,
	CAST_PIX_BGRA,	/* packed 32-bit B,G,R,A in memory (X11 native) */
	CAST_PIX_I420,	/* planar YUV 4:2:0, BT.601 limited range */
};

/** A rectangle of changed pixels. */
struct cast_rect {
	int x, y, w, h;
};

#define CAST_FRAME_MAX_DAMAGE 16

/**
 * A picture. The planes are owned by whoever filled the frame (a capture
 * source, a decoder) and stay valid until that object's next call.
 */
struct cast_frame {
	enum cast_pixfmt fmt;
	int width, height;
	uint8_t *data[3];
	int stride[3];
	/** Capture time, CLOCK_REALTIME, microseconds since the epoch. */
	int64_t capture_us;
	/**
	 * Changed regions since the previous frame of the same source.
	 * n_damage == -1: unknown, treat all as changed; 0: nothing changed.
	 */
	int n_damage;
	struct cast_rect damage[CAST_FRAME_MAX_DAMAGE];
};

/** CLOCK_REALTIME in microseconds. */
CAST_API int64_t cast_now_us(void);
/** CLOCK_MONOTONIC in microseconds. */
CAST_API int64_t cast_mono_us(void);

/** The class picture size: what a larger screen is scaled down to fit. */
#define CAST_CLASS_WIDTH 1920
#define CAST_CLASS_HEIGHT 1080

/**
 * The size to send a src_w x src_h picture at so it fits in max_w x max_h:
 * aspect kept, never upscaled, both dimensions even (an odd source loses its
 * last row or column), at least 2. max_w or max_h <= 0: no limit. Writes
 * `*w` and `*h`; returns 1 when the picture is scaled, 0 when it is sent at
 * its own (even) size, -EINVAL for a source size <= 0.
 */
CAST_API int cast_size_fit(int src_w, int src_h, int max_w, int max_h, int *w,
			   int *h);

/**
 * Copies an I420 picture into one packed buffer (Y, then U, then V, each
 * without padding: width * height * 3 / 2 bytes), growing `*buf` (its size
 * in `*cap`) when needed. Returns the bytes written, -EINVAL (not I420, odd
 * or no size) or -ENOMEM (`*buf` kept).
 */
CAST_API int cast_frame_pack_i420(const struct cast_frame *f, uint8_t **buf,
				  size_t *cap);

/* Colour conversion (swscale) from a capture format to I420, damage-aware. */
struct cast_convert;

/**
 * Creates a converter from `src_fmt` at src_w x src_h to I420 at dst_w x dst_h
 * (scaled when the sizes differ). Errors: -EINVAL, -ENOMEM, CAST_EEXTERNAL.
 */
CAST_API int cast_convert_new(struct cast_convert **out, enum cast_pixfmt src_fmt,
			      int src_w, int src_h, int dst_w, int dst_h);
/**
 * Converts `src` into the converter's own I420 picture and points `dst` at it
 * (valid until the next call). Only the damaged rows are converted when `src`
 * carries damage (scaled: the picture rows those source rows reach through
 * the filter); the rest keeps the previous picture. Returns the number of
 * picture rows converted (0 for a still frame).
 */
CAST_API int cast_convert_run(struct cast_convert *c, const struct cast_frame *src,
			      struct cast_frame *dst);
CAST_API void cast_convert_free(struct cast_convert **c);

#endif
