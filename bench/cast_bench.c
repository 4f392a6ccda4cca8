/* cast-bench: per-stage cost of the teacher and student pipelines, as JSON. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cast/cast.h>

#include "board_bench.h"
#include "still_bench.h"

#define MAX_SIZES 4
#define WARMUP_FRAMES 10
#define STILL_FRAMES 60
/* The sender re-encodes an unchanged screen this often (its default). */
#define STILL_INTERVAL_US 100000

struct opts {
	int sizes[MAX_SIZES][2];
	int n_sizes;
	int frames;
	int fps;
	int bitrate_kbps;
	int refresh_frames;	/* 0: the encoder's default (fps) */
	bool no_intra_refresh;
	const char *display;
	const char *json_path;
};

/* One stage's samples: wall time and process CPU time per run, in ms. */
struct series {
	double *wall_ms, *cpu_ms;
	int n, cap;
};

enum stage {
	ST_CAPTURE,
	ST_CONVERT,
	ST_CONVERT_FULL,
	ST_ENCODE,
	ST_DECODE,
	ST_STILL_ENCODE,
	ST_COUNT,
};

static const char *const stage_names[ST_COUNT] = {
	"capture", "convert", "convert_full",
	"encode", "decode", "still_encode",
};

struct size_result {
	int width, height;
	struct series st[ST_COUNT];
	int frames;		/* measured capture ticks */
	int changed;		/* ticks where the capture reported a change */
	int encoded;		/* frames encoded (changed + keep-alive) */
	double seconds;		/* wall time of the measured ticks */
	uint64_t bytes, max_bytes;
	int keyframes;
	/* PSNR-Y of decoded vs. encoder input, over encoded frames. */
	double mse_sum, psnr_min, psnr_sum;
	int psnr_n, unmatched;
	/* The still screen: the same picture encoded STILL_FRAMES times. */
	uint64_t still_bytes, still_max_bytes;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cast-bench stages [options]\n"
		"Measures capture, convert, encode and decode per frame.\n\n"
		"  --size WxH       picture size (repeatable; default 1920x1080"
		" and 1280x720)\n"
		"  --frames N       measured frames per size (default 150)\n"
		"  --fps N          capture rate (default 30)\n"
		"  --bitrate KBPS   encoder bitrate (default 2000)\n"
		"  --refresh N      refresh period in frames (default: fps)\n"
		"  --gop            keyframes every period, not intra refresh\n"
		"  --display :N     capture this X display (x11), not the\n"
		"                   test pattern\n"
		"  --json FILE      write the JSON object there (default: one\n"
		"                   JSON line on stdout after the table)\n\n"
		"cast-bench board [--size WxH] [--frames N] [--json FILE]:\n"
		"  the whiteboard compositor's cost per picture.\n\n"
		"cast-bench still [--secs N] [--json FILE]:\n"
		"  a sound-only film's still card, cost per frame shown.\n\n"
		"The end-to-end run (Xvfb desktop, teacher, students, ffmpeg)\n"
		"is bench/run.sh; see docs/performance.md.\n");
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double wall_ms(void)
{
	return (double)cast_mono_us() / 1e3;
}

static void sleep_until_us(int64_t mono_us)
{
	struct timespec ts = {.tv_sec = mono_us / 1000000,
			      .tv_nsec = (mono_us % 1000000) * 1000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))
		;
}

static int series_init(struct series *s, int cap)
{
	s->wall_ms = calloc((size_t)cap, sizeof(double));
	s->cpu_ms = calloc((size_t)cap, sizeof(double));
	s->n = 0;
	s->cap = cap;
	return s->wall_ms && s->cpu_ms ? 0 : CAST_ERROR(ENOMEM);
}

static void series_free(struct series *s)
{
	free(s->wall_ms);
	free(s->cpu_ms);
	s->wall_ms = s->cpu_ms = NULL;
}

static void series_add(struct series *s, double wall, double cpu)
{
	if (s->n >= s->cap)
		return;
	s->wall_ms[s->n] = wall;
	s->cpu_ms[s->n] = cpu;
	s->n++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of `vals` (nearest rank); 0 when empty. */
static double quantile_of(const double *vals, int n, double q)
{
	double *v;
	double r;
	int i;

	if (!n)
		return 0;
	v = malloc((size_t)n * sizeof(double));
	if (!v)
		return NAN;
	memcpy(v, vals, (size_t)n * sizeof(double));
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	i = (int)ceil(q * n) - 1;
	if (i < 0)
		i = 0;
	r = v[i];
	free(v);
	return r;
}

/* Quantile of the wall times. */
static double series_quantile(const struct series *s, double q)
{
	return quantile_of(s->wall_ms, s->n, q);
}

/* Quantile of the CPU times (all threads): the cost without waiting. */
static double series_cpu_quantile(const struct series *s, double q)
{
	return quantile_of(s->cpu_ms, s->n, q);
}

static double series_sum_cpu(const struct series *s)
{
	double t = 0;

	for (int i = 0; i < s->n; i++)
		t += s->cpu_ms[i];
	return t;
}

static double series_mean_cpu(const struct series *s)
{
	return s->n ? series_sum_cpu(s) / s->n : 0;
}

/* Mean squared error of two 8-bit planes. */
static double plane_mse(const uint8_t *a, int sa, const uint8_t *b, int sb,
			int w, int h)
{
	uint64_t sum = 0;

	for (int y = 0; y < h; y++) {
		const uint8_t *pa = a + (size_t)y * (size_t)sa;
		const uint8_t *pb = b + (size_t)y * (size_t)sb;

		for (int x = 0; x < w; x++) {
			int d = pa[x] - pb[x];

			sum += (uint64_t)(d * d);
		}
	}
	return (double)sum / ((double)w * h);
}

static double psnr_of(double mse)
{
	if (mse <= 1e-10)
		return 100.0;
	return 10.0 * log10(255.0 * 255.0 / mse);
}

/* Encoded access units of one frame, copied out of the encoder. */
struct au_buf {
	uint8_t *data;
	size_t len, cap;
	size_t off[8];
	size_t n;
};

static int au_push(struct au_buf *b, const struct cast_packet *p)
{
	if (b->n >= 8)
		return CAST_ERROR(ENOSPC);
	if (b->len + p->size > b->cap) {
		size_t cap = (b->len + p->size) * 2;
		uint8_t *d = realloc(b->data, cap);

		if (!d)
			return CAST_ERROR(ENOMEM);
		b->data = d;
		b->cap = cap;
	}
	b->off[b->n++] = b->len;
	memcpy(b->data + b->len, p->data, p->size);
	b->len += p->size;
	return 0;
}

/*
 * Encodes `yuv` and drains every packet into `aus`. Adds the bytes to
 * `bytes`/`max_bytes`. Returns 0 or a negative error.
 */
static int encode_frame(struct cast_encoder *enc, const struct cast_frame *yuv,
			struct au_buf *aus, uint64_t *bytes,
			uint64_t *max_bytes, int *keyframes)
{
	struct cast_packet pkt;
	int err;

	aus->n = 0;
	aus->len = 0;
	err = cast_encoder_send_frame(enc, yuv);
	while (!err || err == CAST_ERROR(EAGAIN)) {
		bool again = err == CAST_ERROR(EAGAIN);

		for (;;) {
			err = cast_encoder_receive_packet(enc, &pkt);
			if (err)
				break;
			*bytes += pkt.size;
			if (pkt.size > *max_bytes)
				*max_bytes = pkt.size;
			if (pkt.keyframe && keyframes)
				(*keyframes)++;
			err = au_push(aus, &pkt);
			if (err)
				return err;
		}
		if (err != CAST_ERROR(EAGAIN) && err != CAST_EOF)
			return err;
		if (!again)
			return 0;
		err = cast_encoder_send_frame(enc, yuv);
	}
	return err;
}

/*
 * Decodes the access units and compares each picture with the encoder's
 * input `src` (matched by the carried capture_us); with r == NULL it only
 * decodes.
 */
static int decode_frame(struct cast_decoder *dec, const struct au_buf *aus,
			const struct cast_frame *src, struct size_result *r)
{
	struct cast_frame out;
	int ret;

	for (size_t i = 0; i < aus->n; i++) {
		size_t end = i + 1 < aus->n ? aus->off[i + 1] : aus->len;

		ret = cast_decoder_decode(dec, aus->data + aus->off[i],
					  end - aus->off[i], src->capture_us,
					  &out);
		if (ret < 0)
			return ret;
		if (ret == 0 || !r)
			continue;
		if (out.capture_us != src->capture_us ||
		    out.width != src->width || out.height != src->height) {
			r->unmatched++;
			continue;
		}
		double mse = plane_mse(out.data[0], out.stride[0],
				       src->data[0], src->stride[0],
				       src->width, src->height);
		double p = psnr_of(mse);

		r->mse_sum += mse;
		r->psnr_sum += p;
		if (!r->psnr_n || p < r->psnr_min)
			r->psnr_min = p;
		r->psnr_n++;
	}
	return 0;
}

struct pipeline {
	struct cast_capture *cap;
	struct cast_convert *conv, *conv_full;
	struct cast_encoder *enc;
	struct cast_decoder *dec;
	struct au_buf aus;
};

static void pipeline_free(struct pipeline *p)
{
	cast_decoder_free(&p->dec);
	cast_encoder_free(&p->enc);
	cast_convert_free(&p->conv_full);
	cast_convert_free(&p->conv);
	cast_capture_free(&p->cap);
	free(p->aus.data);
	memset(p, 0, sizeof(*p));
}

static int pipeline_open(struct pipeline *p, const struct opts *o, int w,
			 int h)
{
	struct cast_capture_cfg ccfg;
	struct cast_encoder_cfg ecfg;
	struct cast_decoder_cfg dcfg;
	int err, cw, ch;

	memset(p, 0, sizeof(*p));
	cast_capture_cfg_init(&ccfg);
	ccfg.fps = o->fps;
	if (o->display) {
		ccfg.backend = "x11";
		ccfg.device = o->display;
		ccfg.w = w;
		ccfg.h = h;
	} else {
		ccfg.backend = "testpattern";
		ccfg.width = w;
		ccfg.height = h;
	}
	err = cast_capture_new(&p->cap, &ccfg);
	if (err) {
		fprintf(stderr, "cast-bench: %s capture %dx%d: %s\n",
			ccfg.backend, w, h, cast_strerror(err));
		goto out;
	}
	cast_capture_size(p->cap, &cw, &ch);
	if (cw != w || ch != h) {
		fprintf(stderr, "cast-bench: capture gives %dx%d, not %dx%d\n",
			cw, ch, w, h);
		err = CAST_ERROR(EINVAL);
		goto out;
	}
	cast_encoder_cfg_init(&ecfg);
	ecfg.width = w;
	ecfg.height = h;
	ecfg.fps = o->fps;
	ecfg.bitrate_kbps = o->bitrate_kbps;
	ecfg.refresh_frames = o->refresh_frames;
	ecfg.intra_refresh = !o->no_intra_refresh;
	err = cast_encoder_new(&p->enc, &ecfg);
	if (err) {
		fprintf(stderr, "cast-bench: encoder: %s\n",
			cast_strerror(err));
		goto out;
	}
	cast_decoder_cfg_init(&dcfg);
	err = cast_decoder_new(&p->dec, &dcfg);
	if (err) {
		fprintf(stderr, "cast-bench: decoder: %s\n",
			cast_strerror(err));
		goto out;
	}
	return 0;
out:
	pipeline_free(p);
	return err;
}

/* Makes the converters for the capture's pixel format on first use. */
static int ensure_convert(struct pipeline *p, const struct cast_frame *f)
{
	int err;

	if (p->conv)
		return 0;
	err = cast_convert_new(&p->conv, f->fmt, f->width, f->height, f->width,
			       f->height);
	if (!err)
		err = cast_convert_new(&p->conv_full, f->fmt, f->width,
				       f->height, f->width, f->height);
	if (err)
		fprintf(stderr, "cast-bench: convert: %s\n",
			cast_strerror(err));
	return err;
}

/*
 * Runs one size: WARMUP_FRAMES + frames capture ticks paced at fps, each
 * handled as the sender does (convert and encode a changed picture; an
 * unchanged one only every STILL_INTERVAL_US), every encoded frame decoded
 * and compared. Then the still screen: the last picture encoded
 * STILL_FRAMES more times unchanged.
 */
static int run_size(const struct opts *o, struct size_result *r)
{
	struct pipeline p;
	struct cast_frame f, yuv, full;
	int64_t period = 1000000 / o->fps, next, last_encode = 0, t_start = 0;
	int64_t serial = 0;
	bool have = false;
	int err, i, ret, total = WARMUP_FRAMES + o->frames;

	for (i = 0; i < ST_COUNT; i++) {
		err = series_init(&r->st[i], total + STILL_FRAMES);
		if (err)
			return err;
	}
	err = pipeline_open(&p, o, r->width, r->height);
	if (err)
		return err;
	memset(&yuv, 0, sizeof(yuv));
	next = cast_mono_us();
	for (i = 0; i < total; i++) {
		bool measured = i >= WARMUP_FRAMES;
		double w0, c0, w1, c1;
		uint64_t bytes = 0, max_bytes = 0;
		int keys = 0;

		sleep_until_us(next);
		next += period;
		if (i == WARMUP_FRAMES)
			t_start = cast_mono_us();

		w0 = wall_ms();
		c0 = cpu_ms();
		ret = cast_capture_grab(p.cap, &f);
		w1 = wall_ms();
		c1 = cpu_ms();
		if (ret < 0) {
			fprintf(stderr, "cast-bench: capture: %s\n",
				cast_strerror(ret));
			err = ret;
			goto out;
		}
		if (measured) {
			series_add(&r->st[ST_CAPTURE], w1 - w0, c1 - c0);
			r->frames++;
			r->changed += ret == 1;
		}
		if (ret == 1)
			have = true;
		if (!have || (ret == 0 &&
			      cast_mono_us() - last_encode < STILL_INTERVAL_US))
			continue;
		last_encode = cast_mono_us();
		err = ensure_convert(&p, &f);
		if (err)
			goto out;

		w0 = wall_ms();
		c0 = cpu_ms();
		ret = cast_convert_run(p.conv, &f, &yuv);
		w1 = wall_ms();
		c1 = cpu_ms();
		if (ret < 0) {
			err = ret;
			goto out;
		}
		if (measured)
			series_add(&r->st[ST_CONVERT], w1 - w0, c1 - c0);

		/* The worst case: every row converted, as without damage. */
		struct cast_frame nodamage = f;

		nodamage.n_damage = -1;
		w0 = wall_ms();
		c0 = cpu_ms();
		ret = cast_convert_run(p.conv_full, &nodamage, &full);
		w1 = wall_ms();
		c1 = cpu_ms();
		if (ret < 0) {
			err = ret;
			goto out;
		}
		if (measured)
			series_add(&r->st[ST_CONVERT_FULL], w1 - w0, c1 - c0);

		/* A serial, not a time: pairs decoded pictures with inputs. */
		yuv.capture_us = ++serial;
		w0 = wall_ms();
		c0 = cpu_ms();
		err = encode_frame(p.enc, &yuv, &p.aus, &bytes, &max_bytes,
				   &keys);
		w1 = wall_ms();
		c1 = cpu_ms();
		if (err) {
			fprintf(stderr, "cast-bench: encode: %s\n",
				cast_strerror(err));
			goto out;
		}
		if (measured) {
			series_add(&r->st[ST_ENCODE], w1 - w0, c1 - c0);
			r->encoded++;
			r->bytes += bytes;
			r->keyframes += keys;
			if (max_bytes > r->max_bytes)
				r->max_bytes = max_bytes;
		}

		w0 = wall_ms();
		c0 = cpu_ms();
		err = decode_frame(p.dec, &p.aus, &yuv, measured ? r : NULL);
		w1 = wall_ms();
		c1 = cpu_ms();
		if (err) {
			fprintf(stderr, "cast-bench: decode: %s\n",
				cast_strerror(err));
			goto out;
		}
		if (measured)
			series_add(&r->st[ST_DECODE], w1 - w0, c1 - c0);
	}
	r->seconds = (double)(cast_mono_us() - t_start) / 1e6;

	/* Still screen: nothing changes, the encoder gets the same picture. */
	if (have) {
		struct cast_frame still = f;

		still.n_damage = 0;
		cast_convert_run(p.conv, &still, &yuv);
		for (i = 0; i < STILL_FRAMES; i++) {
			double w0, c0;
			uint64_t bytes = 0;

			yuv.capture_us = ++serial;
			w0 = wall_ms();
			c0 = cpu_ms();
			err = encode_frame(p.enc, &yuv, &p.aus, &bytes,
					   &r->still_max_bytes, NULL);
			if (err)
				goto out;
			series_add(&r->st[ST_STILL_ENCODE], wall_ms() - w0,
				   cpu_ms() - c0);
			r->still_bytes += bytes;
			err = decode_frame(p.dec, &p.aus, &yuv, NULL);
			if (err)
				goto out;
		}
	}
out:
	pipeline_free(&p);
	return err;
}

/* PSNR of the mean squared error over all compared frames. */
static double result_psnr(const struct size_result *r)
{
	return r->psnr_n ? psnr_of(r->mse_sum / r->psnr_n) : 0;
}

static double cores(const struct series *s, double seconds)
{
	return seconds > 0 ? series_sum_cpu(s) / 1e3 / seconds : 0;
}

static double bitrate_kbps(const struct size_result *r)
{
	return r->seconds > 0 ? (double)r->bytes * 8 / r->seconds / 1e3 : 0;
}

/*
 * Encoder CPU on a still screen as the sender spends it: one keep-alive
 * encode per STILL_INTERVAL_US (the unchanged capture grabs come on top).
 */
static double still_cores(const struct size_result *r)
{
	return series_mean_cpu(&r->st[ST_STILL_ENCODE]) *
	       (1e6 / STILL_INTERVAL_US) / 1e3;
}

static void print_table(const struct opts *o, const struct size_result *res,
			int n)
{
	printf("cast-bench stages: source %s%s, %d fps, %d kbit/s, x264 "
	       "veryfast zerolatency, %s every %d frames\n",
	       o->display ? "x11 " : "testpattern",
	       o->display ? o->display : "", o->fps, o->bitrate_kbps,
	       o->no_intra_refresh ? "keyframe" : "intra refresh",
	       o->refresh_frames ? o->refresh_frames : o->fps);
	for (int k = 0; k < n; k++) {
		const struct size_result *r = &res[k];

		printf("\n%dx%d: %d ticks in %.1f s, %d changed, %d encoded\n",
		       r->width, r->height, r->frames, r->seconds, r->changed,
		       r->encoded);
		printf("  %-13s %5s %8s %8s %8s %8s %8s %7s\n", "stage",
		       "runs", "median", "p99", "max", "cpu/run", "cpu p99",
		       "cores");
		printf("  %-13s %5s %8s %8s %8s %8s %8s %7s\n", "", "", "ms",
		       "ms", "ms", "ms", "ms", "");
		for (int s = 0; s < ST_COUNT; s++) {
			const struct series *se = &r->st[s];
			double c = s == ST_STILL_ENCODE
					   ? still_cores(r)
					   : cores(se, r->seconds);

			printf("  %-13s %5d %8.2f %8.2f %8.2f %8.2f %8.2f "
			       "%7.3f\n",
			       stage_names[s], se->n,
			       series_quantile(se, 0.5),
			       series_quantile(se, 0.99),
			       series_quantile(se, 1.0), series_mean_cpu(se),
			       series_cpu_quantile(se, 0.99), c);
		}
		printf("  teacher capture+convert+encode: %.3f cores\n",
		       cores(&r->st[ST_CAPTURE], r->seconds) +
			       cores(&r->st[ST_CONVERT], r->seconds) +
			       cores(&r->st[ST_ENCODE], r->seconds));
		printf("  bytes/frame mean %.0f max %llu, bitrate %.0f kbit/s, "
		       "keyframes %d\n",
		       r->encoded ? (double)r->bytes / r->encoded : 0,
		       (unsigned long long)r->max_bytes, bitrate_kbps(r),
		       r->keyframes);
		printf("  PSNR-Y %.2f dB (per-frame mean %.2f, min %.2f) over "
		       "%d frames%s\n",
		       result_psnr(r), r->psnr_n ? r->psnr_sum / r->psnr_n : 0,
		       r->psnr_min, r->psnr_n,
		       r->unmatched ? " (some pictures unmatched)" : "");
		printf("  still screen: %.0f bytes/frame (max %llu), "
		       "%.3f cores at one frame per %d ms\n",
		       r->st[ST_STILL_ENCODE].n
			       ? (double)r->still_bytes /
					 r->st[ST_STILL_ENCODE].n
			       : 0,
		       (unsigned long long)r->still_max_bytes,
		       still_cores(r), STILL_INTERVAL_US / 1000);
	}
}

static void json_series(struct cast_json *j, const char *key,
			const struct series *s, double c)
{
	cast_json_obj(j, key);
	cast_json_int(j, "runs", s->n);
	cast_json_num(j, "median_ms", series_quantile(s, 0.5));
	cast_json_num(j, "p99_ms", series_quantile(s, 0.99));
	cast_json_num(j, "max_ms", series_quantile(s, 1.0));
	cast_json_num(j, "cpu_ms", series_mean_cpu(s));
	cast_json_num(j, "cpu_p99_ms", series_cpu_quantile(s, 0.99));
	cast_json_num(j, "cores", c);
	cast_json_end(j);
}

static int write_json(const struct opts *o, const struct size_result *res,
		      int n)
{
	struct cast_json j;
	FILE *f = stdout;
	int err;

	cast_json_begin(&j);
	cast_json_str(&j, "bench", "stages");
	cast_json_str(&j, "source", o->display ? "x11" : "testpattern");
	if (o->display)
		cast_json_str(&j, "display", o->display);
	cast_json_int(&j, "fps", o->fps);
	cast_json_int(&j, "bitrate_kbps", o->bitrate_kbps);
	cast_json_bool(&j, "intra_refresh", !o->no_intra_refresh);
	cast_json_int(&j, "refresh_frames",
		      o->refresh_frames ? o->refresh_frames : o->fps);
	cast_json_int(&j, "cores_online", sysconf(_SC_NPROCESSORS_ONLN));
	for (int k = 0; k < n; k++) {
		const struct size_result *r = &res[k];
		char key[32];

		snprintf(key, sizeof(key), "%dx%d", r->width, r->height);
		cast_json_obj(&j, key);
		cast_json_int(&j, "frames", r->frames);
		cast_json_int(&j, "changed", r->changed);
		cast_json_int(&j, "encoded", r->encoded);
		cast_json_num(&j, "seconds", r->seconds);
		for (int s = 0; s < ST_COUNT; s++)
			json_series(&j, stage_names[s], &r->st[s],
				    s == ST_STILL_ENCODE
					    ? still_cores(r)
					    : cores(&r->st[s], r->seconds));
		cast_json_num(&j, "teacher_cores",
			      cores(&r->st[ST_CAPTURE], r->seconds) +
				      cores(&r->st[ST_CONVERT], r->seconds) +
				      cores(&r->st[ST_ENCODE], r->seconds));
		cast_json_num(&j, "bytes_mean",
			      r->encoded ? (double)r->bytes / r->encoded : 0);
		cast_json_int(&j, "bytes_max", (int64_t)r->max_bytes);
		cast_json_num(&j, "bitrate_kbps", bitrate_kbps(r));
		cast_json_int(&j, "keyframes", r->keyframes);
		cast_json_num(&j, "psnr_y_db", result_psnr(r));
		cast_json_num(&j, "psnr_y_frame_mean_db",
			      r->psnr_n ? r->psnr_sum / r->psnr_n : 0);
		cast_json_num(&j, "psnr_y_min_db", r->psnr_min);
		cast_json_int(&j, "psnr_frames", r->psnr_n);
		cast_json_num(&j, "still_bytes_mean",
			      r->st[ST_STILL_ENCODE].n
				      ? (double)r->still_bytes /
						r->st[ST_STILL_ENCODE].n
				      : 0);
		cast_json_int(&j, "still_bytes_max",
			      (int64_t)r->still_max_bytes);
		cast_json_end(&j);
	}
	cast_json_end(&j);
	if (j.overflow) {
		cast_json_free(&j);
		fprintf(stderr, "cast-bench: JSON: out of memory\n");
		return CAST_ERROR(ENOMEM);
	}
	if (o->json_path) {
		f = fopen(o->json_path, "w");
		if (!f) {
			err = CAST_ERROR(errno);
			cast_json_free(&j);
			fprintf(stderr, "cast-bench: --json %s: %s\n",
				o->json_path, cast_strerror(err));
			return err;
		}
	}
	err = cast_json_write(&j, f);
	cast_json_free(&j);
	if (f != stdout && fclose(f))
		err = CAST_ERROR(EIO);
	if (err)
		fprintf(stderr, "cast-bench: cannot write JSON\n");
	return err;
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	long n;

	memset(o, 0, sizeof(*o));
	o->frames = 150;
	o->fps = 30;
	o->bitrate_kbps = 2000;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--gop")) {
			o->no_intra_refresh = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "cast-bench: %s: needs a value\n", a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--size")) {
			if (o->n_sizes >= MAX_SIZES ||
			    cast_parse_size(v, &o->sizes[o->n_sizes][0],
					    &o->sizes[o->n_sizes][1])) {
				fprintf(stderr, "cast-bench: --size %s: bad\n",
					v);
				return -1;
			}
			o->n_sizes++;
		} else if (!strcmp(a, "--frames")) {
			if (cast_parse_int(v, 10, 100000, &n))
				goto bad;
			o->frames = (int)n;
		} else if (!strcmp(a, "--fps")) {
			if (cast_parse_int(v, 1, 120, &n))
				goto bad;
			o->fps = (int)n;
		} else if (!strcmp(a, "--bitrate")) {
			if (cast_parse_int(v, 50, 100000, &n))
				goto bad;
			o->bitrate_kbps = (int)n;
		} else if (!strcmp(a, "--refresh")) {
			if (cast_parse_int(v, 1, 10000, &n))
				goto bad;
			o->refresh_frames = (int)n;
		} else if (!strcmp(a, "--display")) {
			o->display = v;
		} else if (!strcmp(a, "--json")) {
			o->json_path = v;
		} else {
			fprintf(stderr, "cast-bench: unknown option %s\n", a);
			return -1;
		}
		continue;
bad:
		fprintf(stderr, "cast-bench: %s %s: bad number\n", a, v);
		return -1;
	}
	if (!o->n_sizes) {
		o->sizes[0][0] = 1920;
		o->sizes[0][1] = 1080;
		o->sizes[1][0] = 1280;
		o->sizes[1][1] = 720;
		o->n_sizes = 2;
	}
	return 0;
}

static int cmd_stages(int argc, char **argv)
{
	struct opts o;
	struct size_result res[MAX_SIZES];
	int err = 0, k, n = 0;

	if (parse_opts(&o, argc, argv)) {
		usage(stderr);
		return 2;
	}
	cast_log_set_level(CAST_LOG_WARN);
	memset(res, 0, sizeof(res));
	for (k = 0; k < o.n_sizes && !err; k++) {
		res[k].width = o.sizes[k][0];
		res[k].height = o.sizes[k][1];
		fprintf(stderr, "cast-bench: %dx%d, %d frames...\n",
			res[k].width, res[k].height, o.frames);
		err = run_size(&o, &res[k]);
		if (!err)
			n++;
	}
	if (n) {
		print_table(&o, res, n);
		fflush(stdout);
		if (write_json(&o, res, n) && !err)
			err = CAST_ERROR(EIO);
	}
	for (k = 0; k < MAX_SIZES; k++)
		for (int s = 0; s < ST_COUNT; s++)
			series_free(&res[k].st[s]);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("cast-bench %s\n", cast_version());
		return 0;
	}
	if (!strcmp(argv[1], "stages"))
		return cmd_stages(argc - 2, argv + 2);
	if (!strcmp(argv[1], "board"))
		return cast_bench_board(argc - 2, argv + 2);
	if (!strcmp(argv[1], "still"))
		return cast_bench_still(argc - 2, argv + 2);
	if (!strcmp(argv[1], "e2e")) {
		fprintf(stderr,
			"cast-bench: the end-to-end run is bench/run.sh "
			"(it needs Xvfb and a network namespace)\n");
		return 2;
	}
	fprintf(stderr, "cast-bench: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
