/* Unit tests for the capture registry, testpattern, stamp and file source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/cast.h"

static void quiet(enum cast_log_level level, const char *obj, const char *msg,
                  void *arg)
{
	(void)level;
	(void)obj;
	(void)msg;
	(void)arg;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, us % 1000000 * 1000};

	nanosleep(&ts, NULL);
}

static void test_registry(void **state)
{
	const char *const *names = cast_capture_backends();
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	bool x11 = false, tp = false, file = false;
	int n = 0;

	(void)state;
	for (; names[n]; n++) {
		x11 |= !strcmp(names[n], "x11");
		tp |= !strcmp(names[n], "testpattern");
		file |= !strcmp(names[n], "file");
	}
	assert_true(x11 && tp && file);
	assert_int_equal(n, 3);

	cast_capture_cfg_init(&cfg);
	assert_string_equal(cfg.backend, "testpattern");
	assert_int_equal(cfg.width, 1920);
	assert_int_equal(cfg.height, 1080);
	assert_int_equal(cfg.fps, 30);
	assert_true(cfg.draw_cursor);
	assert_true(cfg.use_damage);
	assert_false(cfg.loop);

	cfg.backend = "no-such-backend";
	assert_int_equal(cast_capture_new(&c, &cfg), CAST_ENOBACKEND);
	assert_null(c);
	assert_int_equal(cast_capture_new(&c, NULL), -EINVAL);

	/* Without a display the x11 probe fails cleanly. */
	cfg.backend = "x11";
	cfg.device = "not a display";
	assert_int_equal(cast_capture_new(&c, &cfg), CAST_ENOBACKEND);
	assert_null(c);
	unsetenv("DISPLAY");
	cfg.device = NULL;
	assert_int_equal(cast_capture_new(&c, &cfg), CAST_ENOBACKEND);
	assert_null(c);
	cast_capture_free(&c);
}

static void test_testpattern(void **state)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	struct cast_frame f;
	uint32_t no;
	int w, h;

	(void)state;
	cast_capture_cfg_init(&cfg);
	assert_int_equal(cast_capture_new(&c, &cfg), 0);
	assert_string_equal(cast_capture_backend(c), "testpattern");
	cast_capture_size(c, &w, &h);
	assert_int_equal(w, 1920);
	assert_int_equal(h, 1080);
	for (uint32_t i = 0; i < 40; i++) {
		int64_t t0 = cast_now_us();

		assert_int_equal(cast_capture_grab(c, &f), 1);
		assert_int_equal(f.fmt, CAST_PIX_BGRA);
		assert_int_equal(f.width, 1920);
		assert_int_equal(f.height, 1080);
		assert_true(f.capture_us >= t0);
		assert_true(f.capture_us <= cast_now_us());
		assert_int_equal(cast_stamp_read(&f, &no), 0);
		assert_int_equal(no, i);
		if (!i) {
			assert_int_equal(f.n_damage, -1);
			continue;
		}
		assert_true(f.n_damage > 0);
		assert_true(f.n_damage <= CAST_FRAME_MAX_DAMAGE);
		for (int k = 0; k < f.n_damage; k++) {
			const struct cast_rect *r = &f.damage[k];

			assert_true(r->x >= 0 && r->y >= 0);
			assert_true(r->w > 0 && r->h > 0);
			assert_true(r->x + r->w <= w && r->y + r->h <= h);
		}
	}
	cast_capture_free(&c);
	assert_null(c);
	cast_capture_free(&c);
}

/* Pixels outside the damage must not change between two grabs. */
static void test_testpattern_damage(void **state)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	struct cast_frame f;
	uint8_t *prev;
	size_t size;

	(void)state;
	cast_capture_cfg_init(&cfg);
	cfg.width = 640;
	cfg.height = 360;
	assert_int_equal(cast_capture_new(&c, &cfg), 0);
	assert_int_equal(cast_capture_grab(c, &f), 1);
	size = (size_t)f.stride[0] * f.height;
	prev = malloc(size);
	assert_non_null(prev);
	memcpy(prev, f.data[0], size);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(cast_capture_grab(c, &f), 1);
		for (int y = 0; y < f.height; y++) {
			for (int x = 0; x < f.width; x++) {
				size_t o = (size_t)y * f.stride[0] + x * 4;
				bool in = false;

				for (int k = 0; k < f.n_damage; k++) {
					const struct cast_rect *r =
					    &f.damage[k];

					in |= x >= r->x && x < r->x + r->w &&
					      y >= r->y && y < r->y + r->h;
				}
				if (!in && memcmp(prev + o, f.data[0] + o, 4))
					fail_msg("pixel %d,%d changed outside "
					         "the damage",
					         x, y);
			}
		}
		memcpy(prev, f.data[0], size);
	}
	free(prev);
	cast_capture_free(&c);
}

struct pic {
	struct cast_frame f;
	uint8_t *mem;
};

/* A picture filled with pseudo-random content, so the stamp is on its own. */
static void pic_alloc(struct pic *p, enum cast_pixfmt fmt, int w, int h)
{
	size_t n;

	memset(p, 0, sizeof(*p));
	p->f.fmt = fmt;
	p->f.width = w;
	p->f.height = h;
	if (fmt == CAST_PIX_BGRA) {
		n = (size_t)w * h * 4;
		p->mem = malloc(n);
		assert_non_null(p->mem);
		p->f.data[0] = p->mem;
		p->f.stride[0] = w * 4;
	} else {
		int cw = (w + 1) / 2, ch = (h + 1) / 2;

		n = (size_t)w * h + 2 * (size_t)cw * ch;
		p->mem = malloc(n);
		assert_non_null(p->mem);
		p->f.data[0] = p->mem;
		p->f.stride[0] = w;
		p->f.data[1] = p->mem + (size_t)w * h;
		p->f.stride[1] = cw;
		p->f.data[2] = p->f.data[1] + (size_t)cw * ch;
		p->f.stride[2] = cw;
	}
	for (size_t i = 0; i < n; i++)
		p->mem[i] = (uint8_t)(rand() >> 7);
}

/* Adds uniform noise of +-amp to every luma (or B, G, R) sample. */
static void pic_noise(struct pic *p, int amp)
{
	int w = p->f.fmt == CAST_PIX_BGRA ? p->f.width * 4 : p->f.width;

	for (int y = 0; y < p->f.height; y++) {
		uint8_t *row = p->f.data[0] + (size_t)y * p->f.stride[0];

		for (int x = 0; x < w; x++) {
			int v = row[x] + rand() % (2 * amp + 1) - amp;

			row[x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
}

static void test_stamp_roundtrip(void **state)
{
	static const int sizes[][2] = {{320, 180}, {1280, 720}, {1920, 1080}};
	static const uint32_t values[] = {0,          1,          0x55aa55aa,
	                                  0x7fffffff, 0xdeadbeef, 0xffffffff};
	static const enum cast_pixfmt fmts[] = {CAST_PIX_BGRA, CAST_PIX_I420};

	(void)state;
	srand(1);
	for (size_t s = 0; s < 3; s++) {
		for (size_t k = 0; k < 2; k++) {
			struct pic p;

			pic_alloc(&p, fmts[k], sizes[s][0], sizes[s][1]);
			for (size_t v = 0; v < 6; v++) {
				uint32_t no = 12345;

				assert_int_equal(
				    cast_stamp_write(&p.f, values[v]), 0);
				assert_int_equal(cast_stamp_read(&p.f, &no), 0);
				assert_int_equal(no, values[v]);

				/* Noise of +-30 luma must not flip a bit. */
				pic_noise(&p, 30);
				no = 12345;
				assert_int_equal(cast_stamp_read(&p.f, &no), 0);
				assert_int_equal(no, values[v]);
			}
			free(p.mem);
		}
	}
}

static void test_stamp_corrupt(void **state)
{
	struct pic p;
	uint32_t no = 7;
	int b;

	(void)state;
	srand(2);
	pic_alloc(&p, CAST_PIX_I420, 320, 180);
	assert_int_equal(cast_stamp_write(&p.f, 0x12345678), 0);
	b = cast_stamp_block(320);
	assert_true(b >= 4);
	assert_true((CAST_STAMP_BITS + 1) * b <= 320);

	/* Flip one block: the checksum catches it. */
	for (int y = b / 2; y < b / 2 + b; y++)
		for (int x = b / 2 + 5 * b; x < b / 2 + 6 * b; x++)
			p.f.data[0][y * p.f.stride[0] + x] ^= 0xff;
	assert_int_equal(cast_stamp_read(&p.f, &no), CAST_EMALFORMED);
	assert_int_equal(no, 7);

	/* All black and all white pictures carry no stamp. */
	memset(p.mem, 16, (size_t)320 * 180);
	assert_int_equal(cast_stamp_read(&p.f, &no), CAST_EMALFORMED);
	memset(p.mem, 235, (size_t)320 * 180);
	assert_int_equal(cast_stamp_read(&p.f, &no), CAST_EMALFORMED);
	free(p.mem);

	/* Too small for the stamp. */
	pic_alloc(&p, CAST_PIX_BGRA, 100, 40);
	assert_int_equal(cast_stamp_write(&p.f, 1), -EINVAL);
	assert_int_equal(cast_stamp_read(&p.f, &no), CAST_EMALFORMED);
	free(p.mem);
}

static bool have_ffmpeg(void)
{
	return system("ffmpeg -version >/dev/null 2>&1") == 0;
}

static void test_file_missing(void **state)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;

	(void)state;
	cast_capture_cfg_init(&cfg);
	cfg.backend = "file";
	cfg.device = "/nonexistent/clip.mp4";
	assert_int_equal(cast_capture_new(&c, &cfg), -ENOENT);
	assert_null(c);
	cfg.device = NULL;
	assert_int_equal(cast_capture_new(&c, &cfg), -EINVAL);
}

/* Makes a 2 s, 30 fps, 320x240 clip; returns false if ffmpeg is missing. */
static bool make_clip(char *path, size_t len, const char *ext)
{
	char cmd[512];

	snprintf(path, len, "/tmp/cast_test_capture_%d.%s", (int)getpid(), ext);
	snprintf(cmd, sizeof(cmd),
	         "ffmpeg -nostdin -loglevel error -y -f lavfi "
	         "-i testsrc=size=320x240:rate=30 -t 2 -pix_fmt yuv420p %s",
	         path);
	return system(cmd) == 0;
}

static void play_clip(const char *path, bool loop)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	struct cast_frame f;
	int64_t t0, t_eof = 0, last, gap, max_gap = 0;
	int shown = 0, still = 0, w, h, err, may_skip = 0;

	cast_capture_cfg_init(&cfg);
	cfg.backend = "file";
	cfg.device = path;
	cfg.loop = loop;
	assert_int_equal(cast_capture_new(&c, &cfg), 0);
	cast_capture_size(c, &w, &h);
	assert_int_equal(w, 320);
	assert_int_equal(h, 240);
	t0 = last = cast_mono_us();
	for (;;) {
		/* A grab later than a frame's time passes frames over (never
		 * shows them late): a loaded machine's long sleeps may. */
		gap = cast_mono_us() - last;
		last += gap;
		max_gap = gap > max_gap ? gap : max_gap;
		may_skip += (int)(gap / 33334);
		err = cast_capture_grab(c, &f);
		if (err == CAST_EOF) {
			t_eof = cast_mono_us() - t0;
			break;
		}
		assert_true(err == 0 || err == 1);
		assert_int_equal(f.fmt, CAST_PIX_I420);
		assert_int_equal(f.width, 320);
		assert_non_null(f.data[2]);
		if (err)
			shown++;
		else
			still++;
		if (!err)
			assert_int_equal(f.n_damage, 0);
		if (loop && cast_mono_us() - t0 > 3000000)
			break;
		sleep_us(5000);
	}
	if (loop) {
		/* Three seconds of a two second clip: it went round. */
		assert_int_equal(t_eof, 0);
		assert_true(shown > 80);
	} else {
		/* 60 frames over 2 s at real-time pace, then the end. */
		assert_true(shown >= 55 - may_skip && shown <= 60);
		assert_true(still > 0);
		assert_true(t_eof >= 1950000 && t_eof < 2400000 + max_gap);
		assert_int_equal(cast_capture_grab(c, &f), CAST_EOF);
	}
	cast_capture_free(&c);
}

static void test_file_playback(void **state)
{
	char path[256];

	(void)state;
	if (!have_ffmpeg()) {
		fprintf(stderr, "skipped: ffmpeg not found, cannot make a "
		                "clip\n");
		skip();
	}
	assert_true(make_clip(path, sizeof(path), "mp4"));
	play_clip(path, false);
	unlink(path);
	assert_true(make_clip(path, sizeof(path), "mkv"));
	play_clip(path, true);
	unlink(path);
}

/* Late grabs skip frames instead of falling behind. */
static void test_file_skips_late(void **state)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	struct cast_frame f;
	char path[256];
	int shown = 0, err;

	(void)state;
	if (!have_ffmpeg()) {
		fprintf(stderr, "skipped: ffmpeg not found\n");
		skip();
	}
	assert_true(make_clip(path, sizeof(path), "mp4"));
	cast_capture_cfg_init(&cfg);
	cfg.backend = "file";
	cfg.device = path;
	assert_int_equal(cast_capture_new(&c, &cfg), 0);
	while ((err = cast_capture_grab(c, &f)) != CAST_EOF) {
		assert_true(err >= 0);
		shown += err;
		sleep_us(100000);
	}
	/* ~20 grabs 100 ms apart over the 2 s clip: frames passed over are
	 * never shown, so at most ~one per grab. A busy machine sleeps longer
	 * and grabs less often: fewer shown, never more. */
	assert_true(shown >= 8 && shown <= 22);
	cast_capture_free(&c);
	unlink(path);
}

/*
 * A sound without a picture (a WAV) shows its card: I420, 1280x720, a
 * dark background, a frame every 0.5 s. The card is converted once, when
 * it is made: each frame shown is that same picture, not converted again
 * (a mark written into what the first grab gave is in the next one).
 */
static void test_file_still_once(void **state)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	struct cast_wav *w;
	struct cast_frame f;
	int16_t pcm[4800] = {0};
	char path[256];
	uint8_t y;
	int shown = 0, err, width, height;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/cast_test_still_%d.wav",
		 (int)getpid());
	assert_int_equal(cast_wav_open(&w, path, 48000, 1), 0);
	for (int i = 0; i < 15; i++)
		assert_int_equal(cast_wav_write(w, pcm, 4800), 0);
	assert_int_equal(cast_wav_close(&w), 0);
	cast_capture_cfg_init(&cfg);
	cfg.backend = "file";
	cfg.device = path;
	assert_int_equal(cast_capture_new(&c, &cfg), 0);
	cast_capture_size(c, &width, &height);
	assert_int_equal(width, 1280);
	assert_int_equal(height, 720);
	while (shown < 2 && (err = cast_capture_grab(c, &f)) != CAST_EOF) {
		assert_true(err >= 0);
		sleep_us(20000);
		if (!err)
			continue;
		assert_int_equal(f.fmt, CAST_PIX_I420);
		assert_int_equal(f.width, 1280);
		if (!shown++) {
			/* The card's dark blue-grey, in limited range. */
			y = f.data[0][0];
			assert_true(y >= 30 && y <= 60);
			f.data[0][0] = 255;
		} else {
			assert_int_equal(f.data[0][0], 255);
		}
	}
	assert_int_equal(shown, 2);
	cast_capture_free(&c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry),
	    cmocka_unit_test(test_testpattern),
	    cmocka_unit_test(test_testpattern_damage),
	    cmocka_unit_test(test_stamp_roundtrip),
	    cmocka_unit_test(test_stamp_corrupt),
	    cmocka_unit_test(test_file_missing),
	    cmocka_unit_test(test_file_playback),
	    cmocka_unit_test(test_file_skips_late),
	    cmocka_unit_test(test_file_still_once),
	};

	cast_log_set_handler(quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
