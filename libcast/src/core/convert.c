/* Colour conversion to I420 (swscale), converting only damaged row bands. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
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
	/* Scaled: frames for swscale's slice API (buffers not owned). */
	AVFrame *src_frame, *dst_frame;
	AVBufferRef *ref; /* a token buffer: marks both frames refcounted */
	int margin;	  /* picture rows a source row reaches, each side;
			     -1: no slices, whole pictures */
	int align;	  /* output slices start and end on multiples */
	int luma_shift;	  /* swscale moves a slice's luma by y0 >> this */
};

int cast_frame_pack_i420(const struct cast_frame *f, uint8_t **buf,
			 size_t *cap)
{
	size_t ysz, need;
	uint8_t *dst;

	if (!f || !buf || !cap || f->fmt != CAST_PIX_I420 || f->width <= 0 ||
	    f->height <= 0)
		return CAST_ERROR(EINVAL);
	ysz = (size_t)f->width * (size_t)f->height;
	need = ysz + 2 * ((size_t)(f->width / 2) * (size_t)(f->height / 2));
	if (need > *cap || !*buf) {
		uint8_t *nb = realloc(*buf, need);

		if (!nb)
			return CAST_ERROR(ENOMEM);
		*buf = nb;
		*cap = need;
	}
	dst = *buf;
	for (int y = 0; y < f->height; y++, dst += f->width)
		memcpy(dst, f->data[0] + (size_t)y * (size_t)f->stride[0],
		       (size_t)f->width);
	for (int p = 1; p < 3; p++)
		for (int y = 0; y < f->height / 2; y++, dst += f->width / 2)
			memcpy(dst,
			       f->data[p] + (size_t)y * (size_t)f->stride[p],
			       (size_t)f->width / 2);
	return (int)need;
}

int cast_size_fit(int src_w, int src_h, int max_w, int max_h, int *w, int *h)
{
	int64_t sw = src_w, sh = src_h;
	int ow, oh;

	if (src_w <= 0 || src_h <= 0)
		return CAST_ERROR(EINVAL);
	if (max_w <= 0 || max_h <= 0 || (src_w <= max_w && src_h <= max_h)) {
		*w = src_w > 1 ? src_w & ~1 : 2;
		*h = src_h > 1 ? src_h & ~1 : 2;
		return 0;
	}
	/* The tighter side sets the scale; the other is rounded to even. */
	if (sw * max_h >= sh * max_w) {
		ow = max_w & ~1;
		oh = (int)((sh * ow + sw) / (2 * sw)) * 2;
	} else {
		oh = max_h & ~1;
		ow = (int)((sw * oh + sh) / (2 * sh)) * 2;
	}
	*w = ow < 2 ? 2 : ow;
	*h = oh < 2 ? 2 : oh;
	return 1;
}

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

/*
 * Scaled pictures are converted through swscale's slice API: with the whole
 * source marked available, an output slice is computed exactly as inside a
 * whole conversion (same filter taps, same dither rows), reading only the
 * source rows it needs. The frames point at our buffers; swscale takes
 * references, so they carry a token buffer that frees nothing.
 */
static int scale_rows(struct cast_convert *c, uint8_t *const src[3],
		      const int src_stride[3], uint8_t *const dst[3], int y0,
		      int y1)
{
	int i, err;

	for (i = 0; i < 3; i++) {
		c->src_frame->data[i] = src[i];
		c->src_frame->linesize[i] = src_stride[i];
		c->dst_frame->data[i] = dst[i];
		c->dst_frame->linesize[i] = c->stride[i];
	}
	/*
	 * Some swscale versions (5.1) move the luma pointer of an output
	 * slice by the chroma row (y0 / 2) instead of y0: make up the rest.
	 */
	c->dst_frame->data[0] +=
		(ptrdiff_t)c->stride[0] * (y0 - (y0 >> c->luma_shift));
	c->src_frame->buf[0] = c->ref;
	c->dst_frame->buf[0] = c->ref;
	err = sws_frame_start(c->sws, c->dst_frame, c->src_frame);
	c->src_frame->buf[0] = c->dst_frame->buf[0] = NULL;
	if (err < 0)
		return err;
	err = sws_send_slice(c->sws, 0, (unsigned)c->src_h);
	if (err >= 0)
		err = sws_receive_slice(c->sws, (unsigned)y0,
					(unsigned)(y1 - y0));
	sws_frame_end(c->sws);
	return err < 0 ? err : 0;
}

/*
 * Finds where this swscale writes the luma of an output slice that does not
 * start at row 0: converts rows [2a, 3a) of a black source (zero pages
 * that are never written; only the rows the filter reads are touched) into
 * a zeroed scratch picture (black is Y 16) and looks where they landed.
 * Returns 0 (slices usable, c->luma_shift set) or -1 (whole pictures only).
 */
static int slices_probe(struct cast_convert *c)
{
	int a = c->align, y0 = 2 * a, ret = -1, i;
	int src_stride[3] = {c->src_w * 4, 0, 0}, chroma_rows = 2 * a;
	uint8_t *row, *scratch, *src[3] = {NULL, NULL, NULL}, *dst[3];
	size_t ysize = (size_t)c->stride[0] * 4 * a;
	size_t csize = (size_t)c->stride[1] * chroma_rows;
	bool at_y0, at_half;

	if (c->dst_h < 4 * a)
		return -1;
	if (c->src_fmt != CAST_PIX_BGRA)
		return -1;
	row = calloc((size_t)c->src_h + 1, (size_t)src_stride[0]);
	scratch = av_mallocz(ysize + 2 * csize + 256);
	if (!row || !scratch)
		goto out;
	src[0] = row;
	dst[0] = scratch;
	dst[1] = scratch + ysize;
	dst[2] = dst[1] + csize;
	c->luma_shift = 0;
	if (scale_rows(c, src, src_stride, dst, y0, y0 + a))
		goto out;
	at_y0 = scratch[(size_t)c->stride[0] * y0] != 0;
	at_half = scratch[(size_t)c->stride[0] * (y0 / 2)] != 0;
	for (i = 0; i < 4 * a; i++)
		if (scratch[(size_t)c->stride[0] * i] && i != y0 &&
		    i != y0 / 2 && (i < y0 || i >= y0 + a) &&
		    (i < y0 / 2 || i >= y0 / 2 + a))
			goto out;
	if (at_y0 != at_half) {
		c->luma_shift = at_half ? 1 : 0;
		ret = 0;
	}
out:
	free(row);
	av_free(scratch);
	return ret;
}

static void noop_free(void *opaque, uint8_t *data)
{
	(void)opaque;
	(void)data;
}

static int slices_init(struct cast_convert *c)
{
	static uint8_t token;
	int up = (c->dst_h + c->src_h - 1) / c->src_h;

	c->src_frame = av_frame_alloc();
	c->dst_frame = av_frame_alloc();
	c->ref = av_buffer_create(&token, 1, noop_free, NULL,
				  AV_BUFFER_FLAG_READONLY);
	if (!c->src_frame || !c->dst_frame || !c->ref)
		return CAST_ERROR(ENOMEM);
	c->src_frame->format = av_fmt(c->src_fmt);
	c->src_frame->width = c->src_w;
	c->src_frame->height = c->src_h;
	c->dst_frame->format = AV_PIX_FMT_YUV420P;
	c->dst_frame->width = c->dst_w;
	c->dst_frame->height = c->dst_h;
	/*
	 * A source row reaches the picture rows whose luma filter (bilinear:
	 * one source row each side, widened by the ratio when shrinking)
	 * covers it: its own position +-1 row, or +-up rows when enlarging;
	 * the chroma filter works at half height, so two rows more. Checked
	 * against whole conversions in the unit test.
	 */
	c->margin = up + 3;
	c->align = (int)sws_receive_slice_alignment(c->sws);
	if (c->align < 2)
		c->align = 2;
	if (slices_probe(c)) {
		cast_log(CAST_LOG_INFO, "convert",
			 "swscale slices unusable: whole scaled pictures");
		c->margin = -1;
	}
	return 0;
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
	if (flags == SWS_FLAGS_SCALED && slices_init(c)) {
		cast_convert_free(&c);
		return CAST_ERROR(ENOMEM);
	}
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
static int merge_bands(struct band *bands, int n);

static int damage_bands(const struct cast_frame *src, int height,
			struct band *bands)
{
	int i, n = 0;

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
	return merge_bands(bands, n);
}

/* Sorts bands and joins those that overlap or touch; returns how many. */
static int merge_bands(struct band *bands, int n)
{
	int i, m = 0;

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

/*
 * Maps sorted source bands to the picture rows they reach (rounded out by
 * the filter margin and the slice alignment), merged. Returns how many.
 */
static int scaled_bands(const struct cast_convert *c, struct band *bands,
			int n)
{
	int64_t sh = c->src_h, dh = c->dst_h;
	int a = c->align;

	for (int i = 0; i < n; i++) {
		int y0 = (int)(bands[i].y0 * dh / sh) - c->margin;
		int y1 = (int)((bands[i].y1 * dh + sh - 1) / sh) + c->margin;

		y0 = y0 < 0 ? 0 : y0 / a * a;
		y1 = (y1 + a - 1) / a * a;
		bands[i].y0 = y0;
		bands[i].y1 = y1 > c->dst_h ? c->dst_h : y1;
	}
	return merge_bands(bands, n);
}

/* Converts the given picture rows of a scaled conversion. */
static int convert_slices(struct cast_convert *c, const struct cast_frame *src,
			  const struct band *bands, int n)
{
	int i, err = 0;

	for (i = 0; !err && i < n; i++)
		err = scale_rows(c, src->data, src->stride, c->data,
				 bands[i].y0, bands[i].y1);
	if (err) {
		cast_log(CAST_LOG_ERROR, "convert", "swscale slice: %d", err);
		return CAST_EEXTERNAL;
	}
	return 0;
}

int cast_convert_run(struct cast_convert *c, const struct cast_frame *src,
		     struct cast_frame *dst)
{
	struct band bands[CAST_FRAME_MAX_DAMAGE];
	bool same = c->src_w == c->dst_w && c->src_h == c->dst_h;
	int i, n, err, rows = 0, out_n = -1;

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
		if (c->filled && c->margin >= 0 && src->n_damage > 0 &&
		    src->n_damage <= CAST_FRAME_MAX_DAMAGE) {
			n = damage_bands(src, c->src_h, bands);
			n = scaled_bands(c, bands, n);
		} else {
			n = 1;
			bands[0] = (struct band){0, c->dst_h};
		}
		err = convert_slices(c, src, bands, n);
		if (err)
			return err;
		for (i = 0; i < n; i++)
			rows += bands[i].y1 - bands[i].y0;
		out_n = n;
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
	} else if (rows && out_n > 0 && rows < c->dst_h) {
		/* Scaled: the picture rows converted, whole width. */
		dst->n_damage = out_n;
		for (i = 0; i < out_n; i++)
			dst->damage[i] = (struct cast_rect){
				0, bands[i].y0, c->dst_w,
				bands[i].y1 - bands[i].y0};
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
	av_frame_free(&c->src_frame);
	av_frame_free(&c->dst_frame);
	av_buffer_unref(&c->ref);
	av_free(c->buf);
	free(c);
	*pc = NULL;
}
