/* Unit tests for the H.264 encoder and decoder (libx264 / libavcodec). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cast/capture.h"
#include "cast/codec.h"
#include "cast/error.h"
#include "cast/frame.h"
#include "h264_nal.h"

#define W 640
#define H 360
#define FPS 30
#define T0 1700000000000000LL

struct pkt {
	uint8_t *data;
	size_t size;
	int64_t capture_us;
	bool keyframe;
};

struct stream {
	struct pkt *p;
	int n, cap;
};

static struct cast_frame pic_new(int w, int h)
{
	struct cast_frame f;

	memset(&f, 0, sizeof(f));
	f.fmt = CAST_PIX_I420;
	f.width = w;
	f.height = h;
	f.stride[0] = w + 16;
	f.stride[1] = f.stride[2] = w / 2 + 16;
	f.data[0] = malloc((size_t)f.stride[0] * h);
	f.data[1] = malloc((size_t)f.stride[1] * h / 2);
	f.data[2] = malloc((size_t)f.stride[2] * h / 2);
	assert_non_null(f.data[0]);
	assert_non_null(f.data[1]);
	assert_non_null(f.data[2]);
	f.n_damage = -1;
	return f;
}

static void pic_free(struct cast_frame *f)
{
	free(f->data[0]);
	free(f->data[1]);
	free(f->data[2]);
}

static void rect(struct cast_frame *f, int x, int y, int w, int h, int yv,
		 int u, int v)
{
	int r;

	if (x < 0) {
		w += x;
		x = 0;
	}
	if (y < 0) {
		h += y;
		y = 0;
	}
	if (x + w > f->width)
		w = f->width - x;
	if (y + h > f->height)
		h = f->height - y;
	if (w <= 0 || h <= 0)
		return;
	for (r = y; r < y + h; r++)
		memset(f->data[0] + (size_t)r * f->stride[0] + x, yv, (size_t)w);
	for (r = y / 2; r < (y + h) / 2; r++) {
		memset(f->data[1] + (size_t)r * f->stride[1] + x / 2, u,
		       (size_t)w / 2);
		memset(f->data[2] + (size_t)r * f->stride[2] + x / 2, v,
		       (size_t)w / 2);
	}
}

static uint32_t hash(uint32_t v)
{
	v ^= v >> 16;
	v *= 0x7feb352d;
	v ^= v >> 15;
	v *= 0x846ca68b;
	return v ^ (v >> 16);
}

/*
 * Desktop-like picture number `n`: a title bar, a page of "text" (dark word
 * blocks) scrolling up 2 rows a frame in the left two thirds, a coloured
 * window moving across the right third, and the testpattern stamp.
 */
static void draw(struct cast_frame *f, int n)
{
	int x, y, line, word, x0, len, scroll = 2 * n;
	int w = f->width, h = f->height, lh = 14;

	rect(f, 0, 0, w, h, 190, 128, 128);
	rect(f, 0, 0, w, 24, 60, 150, 110);
	for (y = 24 - scroll % lh; y < h; y += lh) {
		line = (y + scroll) / lh;
		x0 = 8;
		for (word = 0; x0 < 2 * w / 3 - 40; word++) {
			len = 6 + (int)(hash((uint32_t)(line * 131 + word)) % 40);
			if (y >= 26)
				rect(f, x0, y, len, 9, 30, 128, 128);
			x0 += len + 6;
		}
	}
	x = (n * 5) % (w / 3);
	rect(f, 2 * w / 3, 24, w / 3, h - 24, 235, 128, 128);
	rect(f, 2 * w / 3 + x, 60, 120, 80, 110, 70, 200);
	rect(f, 2 * w / 3 + x + 10, 70, 100, 10, 220, 128, 128);
	if (f->width >= 320)
		assert_int_equal(cast_stamp_write(f, (uint32_t)n), 0);
}

static double psnr_y(const struct cast_frame *a, const struct cast_frame *b)
{
	double se = 0;
	int x, y, d;

	for (y = 0; y < a->height; y++) {
		const uint8_t *p = a->data[0] + (size_t)y * a->stride[0];
		const uint8_t *q = b->data[0] + (size_t)y * b->stride[0];

		for (x = 0; x < a->width; x++) {
			d = p[x] - q[x];
			se += d * d;
		}
	}
	if (se == 0)
		return 99;
	return 10 * log10(255.0 * 255 * a->width * a->height / se);
}

static void stream_add(struct stream *s, const struct cast_packet *p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->p = realloc(s->p, sizeof(*s->p) * (size_t)s->cap);
		assert_non_null(s->p);
	}
	s->p[s->n].data = malloc(p->size);
	assert_non_null(s->p[s->n].data);
	memcpy(s->p[s->n].data, p->data, p->size);
	s->p[s->n].size = p->size;
	s->p[s->n].capture_us = p->capture_us;
	s->p[s->n].keyframe = p->keyframe;
	s->n++;
}

static void stream_free(struct stream *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->p[i].data);
	free(s->p);
	memset(s, 0, sizeof(*s));
}

static int64_t cap_us(int n)
{
	return T0 + (int64_t)n * 1000000 / FPS;
}

static int frame_of(int64_t us)
{
	return (int)(((us - T0) * FPS + 500000) / 1000000);
}

static void drain_packets(struct cast_encoder *e, struct stream *s)
{
	struct cast_packet p;
	int err;

	while ((err = cast_encoder_receive_packet(e, &p)) == 0)
		stream_add(s, &p);
	assert_int_equal(err, CAST_ERROR(EAGAIN));
}

/* Encodes `n` frames, drains to EOF; `idr_at` >= 0 requests an IDR there. */
static void encode(const struct cast_encoder_cfg *cfg, int n, int idr_at,
		   struct stream *s, struct cast_encoder **keep)
{
	struct cast_frame f = pic_new(cfg->width, cfg->height);
	struct cast_encoder *e;
	struct cast_packet p;
	int i, err;

	assert_int_equal(cast_encoder_new(&e, cfg), 0);
	for (i = 0; i < n; i++) {
		draw(&f, i);
		f.capture_us = cap_us(i);
		if (i == idr_at) {
			cast_encoder_request_keyframe(e);
			cast_encoder_request_keyframe(e);
			cast_encoder_request_keyframe(e);
		}
		assert_int_equal(cast_encoder_send_frame(e, &f), 0);
		drain_packets(e, s);
	}
	assert_int_equal(cast_encoder_send_frame(e, NULL), 0);
	while ((err = cast_encoder_receive_packet(e, &p)) == 0)
		stream_add(s, &p);
	assert_int_equal(err, CAST_EOF);
	assert_int_equal(cast_encoder_receive_packet(e, &p), CAST_EOF);
	assert_int_equal(cast_encoder_send_frame(e, &f), CAST_ERROR(EINVAL));
	pic_free(&f);
	if (keep)
		*keep = e;
	else
		cast_encoder_free(&e);
}

static bool has_nal(const struct pkt *p, int type)
{
	const uint8_t *nal;
	size_t pos = 0, len;

	while ((nal = cast__h264_next_nal(p->data, p->size, &pos, &len)))
		if ((nal[0] & 0x1f) == type)
			return true;
	return false;
}

static const uint8_t *find_nal(const struct pkt *p, int type, size_t *len)
{
	const uint8_t *nal;
	size_t pos = 0;

	while ((nal = cast__h264_next_nal(p->data, p->size, &pos, len)))
		if ((nal[0] & 0x1f) == type)
			return nal;
	return NULL;
}

/*
 * Decodes packets [from, s->n) and checks every picture against its source;
 * returns the number of pictures and the frame number of the first one.
 */
/*
 * An I picture of this synthetic page (hard-edged text blocks) codes at about
 * 37 dB at crf 18..23 and P pictures refine it to 42..48 dB within two
 * frames; a picture with missing references scores under 20 dB.
 */
#define MIN_PSNR 34.0
#define MEAN_PSNR 40.0

static int decode_check(struct cast_decoder *d, const struct stream *s,
			int from, int skip, double min_psnr, int *first)
{
	double sum = 0;
	struct cast_frame src = pic_new(W, H), out;
	uint32_t stamp;
	int i, ret, n = 0;
	double db;

	*first = -1;
	for (i = from; i < s->n; i++) {
		if (i == skip)
			continue;
		ret = cast_decoder_decode(d, s->p[i].data, s->p[i].size,
					  s->p[i].capture_us, &out);
		assert_true(ret == 0 || ret == 1);
		if (ret == 0)
			continue;
		assert_int_equal(out.fmt, CAST_PIX_I420);
		assert_int_equal(out.width, W);
		assert_int_equal(out.height, H);
		/* Low delay: the picture is the one just fed. */
		assert_true(out.capture_us == s->p[i].capture_us);
		draw(&src, frame_of(out.capture_us));
		db = psnr_y(&src, &out);
		if (db < min_psnr)
			fail_msg("frame %d: PSNR-Y %.1f dB < %.1f", i, db,
				 min_psnr);
		assert_int_equal(cast_stamp_read(&out, &stamp), 0);
		assert_int_equal((int)stamp, frame_of(out.capture_us));
		if (*first < 0)
			*first = i;
		sum += db;
		n++;
	}
	pic_free(&src);
	if (n > 10 && sum / n < MEAN_PSNR)
		fail_msg("mean PSNR-Y %.1f dB < %.1f", sum / n, MEAN_PSNR);
	return n;
}

static void base_cfg(struct cast_encoder_cfg *cfg)
{
	cast_encoder_cfg_init(cfg);
	cfg->width = W;
	cfg->height = H;
	cfg->fps = FPS;
	cfg->threads = 2; /* two slices: exercises multi-slice AUs */
	cfg->crf = 20;	  /* default 23 is soft on text, see the report */
}

static void test_roundtrip(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_decoder_cfg dcfg;
	struct cast_encoder *e;
	struct cast_decoder *d;
	struct stream s = {0};
	const uint8_t *sps, *pps, *nal;
	size_t sps_len, pps_len, len, vbv_bytes, total = 0, max = 0;
	int i, first, n;
	(void)state;

	base_cfg(&cfg);
	encode(&cfg, 90, -1, &s, &e);
	assert_int_equal(s.n, 90);

	/* SPS/PPS for the SDP equal the in-band ones. */
	assert_int_equal(cast_encoder_params(e, &sps, &sps_len, &pps, &pps_len),
			 0);
	assert_true(s.p[0].keyframe);
	assert_true(has_nal(&s.p[0], CAST__NAL_IDR));
	nal = find_nal(&s.p[0], CAST__NAL_SPS, &len);
	assert_non_null(nal);
	assert_int_equal(len, sps_len);
	assert_memory_equal(nal, sps, len);
	nal = find_nal(&s.p[0], CAST__NAL_PPS, &len);
	assert_non_null(nal);
	assert_int_equal(len, pps_len);
	assert_memory_equal(nal, pps, len);
	cast_encoder_free(&e);
	assert_null(e);

	/*
	 * x264 enforces the VBV at the frame level: no frame may be larger
	 * than the buffer (bitrate * vbv_ms); allow 10 % for headers/SEI.
	 */
	vbv_bytes = (size_t)cfg.bitrate_kbps * cfg.vbv_ms / 8;
	for (i = 0; i < s.n; i++) {
		assert_int_equal(s.p[i].capture_us, cap_us(i));
		assert_true(s.p[i].size <= vbv_bytes * 11 / 10);
		total += s.p[i].size;
		if (s.p[i].size > max)
			max = s.p[i].size;
		/* Refresh waves start every refresh_frames, with SPS/PPS. */
		if (i % FPS == 0) {
			assert_true(s.p[i].keyframe);
			assert_true(has_nal(&s.p[i], CAST__NAL_SPS));
		} else {
			assert_false(s.p[i].keyframe);
		}
	}
	print_message("      90 frames %dx%d: %zu bytes, %.0f kbit/s, "
		      "largest %zu\n", W, H, total,
		      total * 8.0 * FPS / s.n / 1000, max);

	cast_decoder_cfg_init(&dcfg);
	assert_int_equal(cast_decoder_new(&d, &dcfg), 0);
	n = decode_check(d, &s, 0, -1, MIN_PSNR, &first);
	assert_int_equal(n, s.n);
	assert_int_equal(first, 0);
	cast_decoder_free(&d);
	assert_null(d);
	stream_free(&s);
}

/* A student who joins late sees a complete picture after one refresh wave. */
static void test_late_join(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_decoder *d;
	struct stream s = {0};
	int first, n, start = 40;
	(void)state;

	base_cfg(&cfg);
	encode(&cfg, 160, -1, &s, NULL);
	assert_int_equal(cast_decoder_new(&d, NULL), 0);
	n = decode_check(d, &s, start, -1, MIN_PSNR, &first);
	print_message("      joined at %d: first picture at %d (%d later)\n",
		      start, first, first - start);
	/* Next wave start, then one wave until the recovery point. */
	assert_true(first >= start);
	assert_true(first <= start + 2 * cfg.fps + 2);
	assert_int_equal(n, s.n - first);
	cast_decoder_free(&d);

	/* With keyint = refresh_frames, any join waits at most two waves. */
	stream_free(&s);
}

/* A lost picture: nothing shown until the next refresh completes. */
static void test_loss(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_decoder *d;
	struct stream s = {0};
	int first, n, lost = 50;
	(void)state;

	base_cfg(&cfg);
	encode(&cfg, 160, -1, &s, NULL);
	assert_int_equal(cast_decoder_new(&d, NULL), 0);
	/* Every picture shown must be right: PSNR stays high. */
	n = decode_check(d, &s, 0, lost, MIN_PSNR, &first);
	assert_int_equal(first, 0);
	print_message("      lost %d: %d of %d pictures shown\n", lost, n,
		      s.n - 1);
	assert_true(n < s.n - 1);
	assert_true(n >= s.n - 1 - 2 * cfg.fps - 2);
	cast_decoder_free(&d);
	stream_free(&s);
}

/*
 * Whole runs of pictures lost, as in a link outage: 2^k pictures in a row
 * leave the frame numbers looking continuous. Told of the loss, the decoder
 * shows nothing wrong, and pictures again after the next refresh.
 */
static void test_outage(void **state)
{
	static const int runs[] = {16, 32, 64};
	struct cast_encoder_cfg cfg;
	struct stream s = {0};
	(void)state;

	base_cfg(&cfg);
	encode(&cfg, 40 + 64 + 3 * cfg.fps, -1, &s, NULL);
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		struct cast_frame src = pic_new(W, H), out;
		struct cast_decoder *d;
		int shown_after = 0, i, ret;
		uint32_t stamp;

		assert_int_equal(cast_decoder_new(&d, NULL), 0);
		for (i = 0; i < s.n; i++) {
			if (i >= 40 && i < 40 + runs[r])
				continue;
			if (i == 40 + runs[r])
				cast_decoder_resync(d);
			ret = cast_decoder_decode(d, s.p[i].data, s.p[i].size,
						  s.p[i].capture_us, &out);
			assert_true(ret == 0 || ret == 1);
			if (ret == 0)
				continue;
			draw(&src, frame_of(out.capture_us));
			if (psnr_y(&src, &out) < MIN_PSNR)
				fail_msg("lost %d: frame %d shown wrong (%.1f dB)",
					 runs[r], i, psnr_y(&src, &out));
			assert_int_equal(cast_stamp_read(&out, &stamp), 0);
			assert_int_equal((int)stamp, frame_of(out.capture_us));
			shown_after += i >= 40 + runs[r];
		}
		print_message("      lost %d in a row: %d pictures shown after\n",
			      runs[r], shown_after);
		assert_true(shown_after > 0);
		cast_decoder_free(&d);
		pic_free(&src);
	}
	stream_free(&s);
}

/* A picture missing one of its slices is not shown, nor what follows it. */
static void test_lost_slice(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_decoder *d;
	struct stream s = {0};
	const uint8_t *nal;
	size_t pos = 0, len, cut = 0;
	int first, n, hit = 50, slices = 0;
	(void)state;

	base_cfg(&cfg);
	encode(&cfg, 160, -1, &s, NULL);
	/* Truncate packet `hit` before its last slice. */
	while ((nal = cast__h264_next_nal(s.p[hit].data, s.p[hit].size, &pos,
					  &len))) {
		if ((nal[0] & 0x1f) == CAST__NAL_SLICE) {
			slices++;
			cut = (size_t)(nal - s.p[hit].data) - 3;
		}
	}
	if (slices < 2) {
		stream_free(&s);
		skip();
	}
	s.p[hit].size = cut;
	assert_int_equal(cast_decoder_new(&d, NULL), 0);
	n = decode_check(d, &s, 0, -1, MIN_PSNR, &first);
	print_message("      slice lost in %d: %d of %d pictures shown\n", hit,
		      n, s.n);
	cast_decoder_free(&d);
	stream_free(&s);
}

static void test_request_keyframe(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_decoder *d;
	struct stream s = {0};
	int i, first, n;
	(void)state;

	base_cfg(&cfg);
	encode(&cfg, 20, 7, &s, NULL);
	assert_int_equal(s.n, 20);
	for (i = 1; i < s.n; i++) {
		/* Three requests, one IDR. */
		assert_int_equal(s.p[i].keyframe, i == 7);
		assert_int_equal(has_nal(&s.p[i], CAST__NAL_IDR), i == 7);
	}
	assert_true(has_nal(&s.p[7], CAST__NAL_SPS));
	/* A decoder starting at the IDR shows it at once. */
	assert_int_equal(cast_decoder_new(&d, NULL), 0);
	n = decode_check(d, &s, 7, -1, MIN_PSNR, &first);
	assert_int_equal(first, 7);
	assert_int_equal(n, 13);
	cast_decoder_free(&d);
	stream_free(&s);
}

static void test_gop(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_decoder *d;
	struct stream s = {0};
	int i, first, n;
	(void)state;

	base_cfg(&cfg);
	cfg.intra_refresh = false;
	cfg.refresh_frames = 15;
	cfg.crf = 0; /* plain ABR */
	encode(&cfg, 45, -1, &s, NULL);
	for (i = 0; i < s.n; i++) {
		assert_int_equal(s.p[i].keyframe, i % 15 == 0);
		assert_int_equal(has_nal(&s.p[i], CAST__NAL_IDR), i % 15 == 0);
	}
	assert_int_equal(cast_decoder_new(&d, NULL), 0);
	n = decode_check(d, &s, 5, -1, MIN_PSNR, &first);
	assert_int_equal(first, 15);
	assert_int_equal(n, 30);
	cast_decoder_free(&d);
	stream_free(&s);
}

static void test_malformed(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_decoder *d;
	struct stream s = {0};
	struct cast_frame out;
	uint8_t junk[2000];
	uint32_t r = 1;
	int i, first, n;
	(void)state;

	base_cfg(&cfg);
	encode(&cfg, 30, -1, &s, NULL);
	assert_int_equal(cast_decoder_new(&d, NULL), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(cast_decoder_decode(d, s.p[i].data,
						     s.p[i].size,
						     s.p[i].capture_us, &out),
				 1);
	/* No start code at all. */
	for (i = 0; i < (int)sizeof(junk); i++) {
		r = r * 1664525u + 1013904223u;
		junk[i] = (uint8_t)((r >> 24) | 0x10);
	}
	assert_int_equal(cast_decoder_decode(d, junk, sizeof(junk), 1, &out),
			 CAST_EMALFORMED);
	/* A start code, then a bogus SPS. */
	junk[0] = 0;
	junk[1] = 0;
	junk[2] = 1;
	junk[3] = 0x67;
	assert_int_equal(cast_decoder_decode(d, junk, sizeof(junk), 1, &out),
			 CAST_EMALFORMED);
	assert_int_equal(cast_decoder_decode(d, junk, 0, 1, &out),
			 CAST_ERROR(EINVAL));
	/* Still usable, and nothing was lost: every picture shows. */
	n = decode_check(d, &s, 10, -1, MIN_PSNR, &first);
	assert_int_equal(first, 10);
	assert_int_equal(n, 20);
	cast_decoder_free(&d);
	stream_free(&s);
}

static void test_bad_args(void **state)
{
	struct cast_encoder_cfg cfg;
	struct cast_encoder *e = NULL;
	struct cast_frame f = pic_new(W / 2, H / 2);
	struct cast_packet p;
	(void)state;

	base_cfg(&cfg);
	cfg.width = 0;
	assert_int_equal(cast_encoder_new(&e, &cfg), CAST_ERROR(EINVAL));
	assert_null(e);
	base_cfg(&cfg);
	cfg.width = 641;
	assert_int_equal(cast_encoder_new(&e, &cfg), CAST_ERROR(EINVAL));
	base_cfg(&cfg);
	assert_int_equal(cast_encoder_new(&e, &cfg), 0);
	assert_int_equal(cast_encoder_receive_packet(e, &p), CAST_ERROR(EAGAIN));
	assert_int_equal(cast_encoder_send_frame(e, &f), CAST_ERROR(EINVAL));
	f.width = W;
	f.height = H;
	f.fmt = CAST_PIX_BGRA;
	assert_int_equal(cast_encoder_send_frame(e, &f), CAST_ERROR(EINVAL));
	cast_encoder_free(&e);
	cast_encoder_free(&e);
	pic_free(&f);
}

/* ---- Timing (CAST_CODEC_BENCH=1): convert, encode, decode per frame. ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, int64_t *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_i64);
	printf("  %-28s median %6.2f ms  p99 %6.2f ms\n", what,
	       t[n / 2] / 1000.0, t[(n * 99) / 100] / 1000.0);
}

static void fill_bgra(struct cast_frame *f, int x0, int y0, int w, int h,
		      uint32_t px)
{
	int x, y;

	for (y = y0; y < y0 + h && y < f->height; y++) {
		uint32_t *p = (uint32_t *)(f->data[0] + (size_t)y * f->stride[0]);

		for (x = x0; x < x0 + w && x < f->width; x++)
			p[x] = px;
	}
}

/* Lines of "text": words of 6-px letters with 1-px gaps, 18-px leading. */
static void text_bgra(struct cast_frame *f, int x0, int y0, int w, int h,
		      int first_line, int offset)
{
	int y, x, line, word, len, l, lh = 18;

	for (y = y0 - offset; y < y0 + h; y += lh) {
		line = first_line + (y - y0 + offset) / lh;
		x = x0 + 10;
		for (word = 0;; word++) {
			len = 2 + (int)(hash((uint32_t)(line * 131 + word)) % 9);
			if (x + len * 7 > x0 + w - 10)
				break;
			for (l = 0; l < len; l++) {
				int top = y + 4, bot = y + 14;

				if (top < y0)
					top = y0;
				if (bot > y0 + h)
					bot = y0 + h;
				if (bot > top)
					fill_bgra(f, x + l * 7, top, 6,
						  bot - top, 0xff202020);
			}
			x += len * 7 + 7;
		}
	}
}

/*
 * Desktop-like BGRA: a panel, a static document on the left, a terminal
 * scrolling 3 rows a frame on the right, a small window moving over it.
 */
static void draw_bgra(struct cast_frame *f, int n)
{
	int w = f->width, h = f->height, x = (n * 7) % (w / 4);

	fill_bgra(f, 0, 0, w, 30, 0xff303850);
	fill_bgra(f, 0, 30, w / 2, h - 30, 0xfff4f4f4);
	text_bgra(f, 0, 40, w / 2, h - 50, 0, 0);
	fill_bgra(f, w / 2, 30, w / 2, h - 30, 0xffe0e8e0);
	text_bgra(f, w / 2, 40, w / 2, h - 50, (3 * n) / 18, (3 * n) % 18);
	fill_bgra(f, w / 2 + x, h / 4, w / 6, h / 5, 0xff2060c0);
}

static void bench_size(int w, int h, int frames)
{
	struct cast_frame in, yuv, out;
	struct cast_encoder_cfg cfg;
	struct cast_convert *c;
	struct cast_encoder *e;
	struct cast_decoder *d;
	struct cast_packet p;
	int64_t *tc, *te, *td, *ts, t;
	struct stream s = {0};
	size_t bytes = 0, still_bytes = 0;
	double db, sum_db = 0, min_db = 99;
	int i, k = 0, ret;

	memset(&in, 0, sizeof(in));
	in.fmt = CAST_PIX_BGRA;
	in.width = w;
	in.height = h;
	in.stride[0] = w * 4;
	in.data[0] = malloc((size_t)w * 4 * h);
	tc = calloc((size_t)frames, sizeof(*tc));
	te = calloc((size_t)frames, sizeof(*te));
	td = calloc((size_t)frames, sizeof(*td));
	ts = calloc((size_t)frames, sizeof(*ts));
	assert_true(in.data[0] && tc && te && td && ts);
	assert_int_equal(cast_convert_new(&c, CAST_PIX_BGRA, w, h, w, h), 0);
	base_cfg(&cfg);
	cfg.width = w;
	cfg.height = h;
	cfg.threads = 0;
	if (getenv("CAST_BENCH_CRF"))
		cfg.crf = atoi(getenv("CAST_BENCH_CRF"));
	assert_int_equal(cast_encoder_new(&e, &cfg), 0);

	assert_int_equal(cast_decoder_new(&d, NULL), 0);
	printf("%dx%d, %d frames, veryfast zerolatency %d kbit/s crf %d\n", w,
	       h, frames, cfg.bitrate_kbps, cfg.crf);
	for (i = 0; i < frames; i++) {
		draw_bgra(&in, i);
		in.n_damage = -1;
		in.capture_us = i;
		t = cast_mono_us();
		assert_int_equal(cast_convert_run(c, &in, &yuv), h);
		tc[i] = cast_mono_us() - t;
		t = cast_mono_us();
		assert_int_equal(cast_encoder_send_frame(e, &yuv), 0);
		while ((ret = cast_encoder_receive_packet(e, &p)) == 0) {
			bytes += p.size;
			stream_add(&s, &p);
		}
		te[i] = cast_mono_us() - t;
		/* Low delay: this frame's packet is out; decode it now. */
		assert_int_equal(s.n, i + 1);
		t = cast_mono_us();
		ret = cast_decoder_decode(d, s.p[i].data, s.p[i].size, i, &out);
		td[k++] = cast_mono_us() - t;
		assert_int_equal(ret, 1);
		db = psnr_y(&yuv, &out);
		sum_db += db;
		min_db = db < min_db ? db : min_db;
	}
	/* The same picture again: a still screen. */
	for (i = 0; i < frames; i++) {
		t = cast_mono_us();
		assert_int_equal(cast_encoder_send_frame(e, &yuv), 0);
		/* Second half: after the picture has converged. */
		while ((ret = cast_encoder_receive_packet(e, &p)) == 0)
			if (i >= frames / 2)
				still_bytes += p.size;
		ts[i] = cast_mono_us() - t;
	}
	report("convert BGRA->I420", tc, frames);
	report("encode (moving content)", te, frames);
	report("encode (still frame)", ts, frames);
	report("decode (1 thread)", td, k);
	printf("  moving: %.0f kbit/s, PSNR-Y mean %.1f min %.1f dB; "
	       "still: %.0f kbit/s\n", bytes * 8.0 * 30 / frames / 1000,
	       sum_db / frames, min_db, still_bytes * 8.0 * 30 / (frames / 2) / 1000);

	cast_decoder_free(&d);
	cast_encoder_free(&e);
	cast_convert_free(&c);
	stream_free(&s);
	free(in.data[0]);
	free(tc);
	free(te);
	free(td);
	free(ts);
}

static void test_bench(void **state)
{
	const char *env = getenv("CAST_CODEC_BENCH");
	(void)state;

	if (!env || !*env || !strcmp(env, "0"))
		skip();
	bench_size(1920, 1080, 300);
	bench_size(1280, 720, 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_late_join),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_lost_slice),
		cmocka_unit_test(test_outage),
		cmocka_unit_test(test_request_keyframe),
		cmocka_unit_test(test_gop),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
