/* Colour conversion to I420 (swscale), converting only damaged row bands. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/macros.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include "cast/error.h"
#include "cast/frame.h"
#include "cast/log.h"

/*
 * Unscaled, SWS_AREA makes swscale's 2:1 vertical chroma filter a 2-tap box
 * on rows 2k and 2k+1, so a band converts exactly as it would inside the
 * whole picture. Without SWS_ACCURATE_RND the SIMD paths differ by 1 at band
 * edges; SWS_BILINEAR reads rows outside the band (the unit test checks
 * bands against a full conversion byte for byte).
 */
#define SWS_FLAGS_UNSCALED (SWS_AREA | SWS_ACCURATE_RND)
#define SWS_FLAGS_SCALED SWS_BILINEAR

/*
 * Bands start and end on multiples of this (or the bottom): even for 4:2:0,
 * and a multiple of swscale's 8-row output dither so a band gets the dither
 * it would get inside the whole picture.
 */
#define BAND_ALIGN 8

struct band {
	int y0, y1; /* [y0, y1), multiples of BAND_ALIGN or y1 == height */
};

struct cast_convert {
	enum cast_pixfmt src_fmt;
	int src_w, src_h, dst_w, dst_h;
	struct SwsContext *sws; /* NULL for an unscaled I420 copy */
	uint8_t *buf;
	uint8_t *data[3];
	int stride[3];
	bool filled; /* the picture holds a whole conversion */
};

static enum AVPixelFormat av_fmt(enum cast_pixfmt f)
{
	switch (f) {
	case CAST_PIX_BGRA:
		return AV_PIX_FMT_BGR0; /* alpha is meaningless on a screen */
	case CAST_PIX_I420:
		return AV_PIX_FMT_YUV420P;
	default:
		return AV_PIX_FMT_NONE;
	}
}

int cast_convert_new(struct cast_convert **out, enum cast_pixfmt src_fmt,
		     int src_w, int src_h, int dst_w, int dst_h)
{
	const int *coefs = sws_getCoefficients(SWS_CS_ITU601);
	struct cast_convert *c;
	size_t ysize, csize;
	int flags, ch;

	if (av_fmt(src_fmt) == AV_PIX_FMT_NONE || src_w <= 0 || src_h <= 0 ||
	    dst_w <= 0 || dst_h <= 0 || src_w > 16384 || src_h > 16384 ||
	    dst_w > 16384 || dst_h > 16384)
		return CAST_ERROR(EINVAL);
	c = calloc(1, sizeof(*c));
	if (!c)
		return CAST_ERROR(ENOMEM);
	c->src_fmt = src_fmt;
	c->src_w = src_w;
	c->src_h = src_h;
	c->dst_w = dst_w;
	c->dst_h = dst_h;

	c->stride[0] = FFALIGN(dst_w, 64);
	c->stride[1] = c->stride[2] = FFALIGN((dst_w + 1) / 2, 64);
	ch = (dst_h + 1) / 2;
	ysize = (size_t)c->stride[0] * dst_h;
	csize = (size_t)c->stride[1] * ch;
	/* Padding: SIMD writers may touch a little past the last row. */
	c->buf = av_malloc(ysize + 2 * csize + 256);
	if (!c->buf)
		goto nomem;
	c->data[0] = c->buf;
	c->data[1] = c->buf + ysize;
	c->data[2] = c->data[1] + csize;
	memset(c->data[0], 16, ysize);
	memset(c->data[1], 128, 2 * csize);

	if (src_fmt == CAST_PIX_I420 && src_w == dst_w && src_h == dst_h)
		goto done;
	flags = src_w == dst_w && src_h == dst_h ? SWS_FLAGS_UNSCALED
						 : SWS_FLAGS_SCALED;
	c->sws = sws_getContext(src_w, src_h, av_fmt(src_fmt), dst_w, dst_h,
				AV_PIX_FMT_YUV420P, flags, NULL, NULL, NULL);
	if (!c->sws) {
		cast_log(CAST_LOG_ERROR, "convert", "no swscale context");
		av_free(c->buf);
		free(c);
		return CAST_EEXTERNAL;
	}
	/* RGB in is full range by nature; out is BT.601 limited. */
	sws_setColorspaceDetails(c->sws, coefs, 1, coefs, 0, 0, 1 << 16,
				 1 << 16);
done:
	*out = c;
	return 0;
nomem:
	free(c);
	return CAST_ERROR(ENOMEM);
}

static int band_cmp(const void *a, const void *b)
{
	const struct band *x = a, *y = b;

	return (x->y0 > y->y0) - (x->y0 < y->y0);
}

/* Turns the damage rectangles into sorted, disjoint, even-aligned bands. */
static int damage_bands(const struct cast_frame *src, int height,
			struct band *bands)
{
	int i, n = 0, m = 0;

	for (i = 0; i < src->n_damage && i < CAST_FRAME_MAX_DAMAGE; i++) {
		const struct cast_rect *r = &src->damage[i];
		int y0 = r->y, y1 = r->y + r->h;

		if (r->w <= 0 || r->h <= 0)
			continue;
		y0 = y0 < 0 ? 0 : y0 & ~(BAND_ALIGN - 1);
		y1 = y1 > height ? height
				 : (y1 + BAND_ALIGN - 1) & ~(BAND_ALIGN - 1);
		if (y1 > height)
			y1 = height;
		if (y0 >= y1)
			continue;
		bands[n].y0 = y0;
		bands[n].y1 = y1;
		n++;
	}
	if (!n)
		return 0;
	qsort(bands, (size_t)n, sizeof(*bands), band_cmp);
	for (i = 1; i < n; i++) {
		if (bands[i].y0 <= bands[m].y1) {
			if (bands[i].y1 > bands[m].y1)
				bands[m].y1 = bands[i].y1;
		} else {
			bands[++m] = bands[i];
		}
	}
	return m + 1;
}

static void copy_rows(uint8_t *dst, int dst_stride, const uint8_t *src,
		      int src_stride, int width, int rows)
{
	while (rows-- > 0) {
		memcpy(dst, src, (size_t)width);
		dst += dst_stride;
		src += src_stride;
	}
}

/* Converts source rows [y0, y1) into the same rows of the picture. */
static void convert_band(struct cast_convert *c, const struct cast_frame *src,
			 int y0, int y1)
{
	const uint8_t *in[3] = {NULL, NULL, NULL};
	uint8_t *outp[3];
	int i, cy = y0 / 2, cw = (c->dst_w + 1) / 2;

	if (!c->sws) {
		copy_rows(c->data[0] + (size_t)y0 * c->stride[0], c->stride[0],
			  src->data[0] + (size_t)y0 * src->stride[0],
			  src->stride[0], c->dst_w, y1 - y0);
		for (i = 1; i < 3; i++)
			copy_rows(c->data[i] + (size_t)cy * c->stride[i],
				  c->stride[i],
				  src->data[i] + (size_t)cy * src->stride[i],
				  src->stride[i], cw, (y1 + 1) / 2 - cy);
		return;
	}
	if (c->src_fmt == CAST_PIX_BGRA) {
		in[0] = src->data[0] + (size_t)y0 * src->stride[0];
	} else {
		in[0] = src->data[0] + (size_t)y0 * src->stride[0];
		in[1] = src->data[1] + (size_t)cy * src->stride[1];
		in[2] = src->data[2] + (size_t)cy * src->stride[2];
	}
	outp[0] = c->data[0] + (size_t)y0 * c->stride[0];
	outp[1] = c->data[1] + (size_t)cy * c->stride[1];
	outp[2] = c->data[2] + (size_t)cy * c->stride[2];
	/*
	 * Each band is a fresh "picture" starting at row 0 for swscale: it
	 * is the last slice only when it reaches the bottom, but with 1- and
	 * 2-tap vertical filters every output row is complete once its input
	 * rows are in.
	 */
	sws_scale(c->sws, in, src->stride, 0, y1 - y0, outp, c->stride);
}

int cast_convert_run(struct cast_convert *c, const struct cast_frame *src,
		     struct cast_frame *dst)
{
	struct band bands[CAST_FRAME_MAX_DAMAGE];
	bool same = c->src_w == c->dst_w && c->src_h == c->dst_h;
	int i, n, rows = 0;

	if (!src || !dst || src->fmt != c->src_fmt || src->width != c->src_w ||
	    src->height != c->src_h || !src->data[0] ||
	    (src->fmt == CAST_PIX_I420 && (!src->data[1] || !src->data[2])))
		return CAST_ERROR(EINVAL);

	if (c->filled && src->n_damage == 0) {
		rows = 0;
	} else if (same && c->filled && src->n_damage > 0 &&
		   src->n_damage <= CAST_FRAME_MAX_DAMAGE) {
		n = damage_bands(src, c->src_h, bands);
		for (i = 0; i < n; i++) {
			convert_band(c, src, bands[i].y0, bands[i].y1);
			rows += bands[i].y1 - bands[i].y0;
		}
	} else if (same) {
		convert_band(c, src, 0, c->src_h);
		rows = c->src_h;
	} else {
		sws_scale(c->sws, (const uint8_t *const *)src->data,
			  src->stride, 0, c->src_h, c->data, c->stride);
		rows = c->dst_h;
	}
	c->filled = true;

	memset(dst, 0, sizeof(*dst));
	dst->fmt = CAST_PIX_I420;
	dst->width = c->dst_w;
	dst->height = c->dst_h;
	for (i = 0; i < 3; i++) {
		dst->data[i] = c->data[i];
		dst->stride[i] = c->stride[i];
	}
	dst->capture_us = src->capture_us;
	if (same && src->n_damage >= 0) {
		dst->n_damage = src->n_damage;
		memcpy(dst->damage, src->damage, sizeof(dst->damage));
	} else {
		dst->n_damage = rows ? -1 : 0;
	}
	return rows;
}

void cast_convert_free(struct cast_convert **pc)
{
	struct cast_convert *c = *pc;

	if (!c)
		return;
	sws_freeContext(c->sws);
	av_free(c->buf);
	free(c);
	*pc = NULL;
}
