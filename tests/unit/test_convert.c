/* Unit tests for cast_convert (colours, damage bands, still frames, scaled
 * damage) and cast_size_fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cast/error.h"
#include "cast/frame.h"

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng = rng * 1664525u + 1013904223u;
	return rng >> 8;
}

static struct cast_frame bgra_new(int w, int h)
{
	struct cast_frame f;

	memset(&f, 0, sizeof(f));
	f.fmt = CAST_PIX_BGRA;
	f.width = w;
	f.height = h;
	f.stride[0] = w * 4 + 32; /* a stride wider than the row */
	f.data[0] = calloc((size_t)f.stride[0], (size_t)h);
	assert_non_null(f.data[0]);
	f.n_damage = -1;
	return f;
}

static void fill_rect(struct cast_frame *f, int x, int y, int w, int h,
		      uint8_t r, uint8_t g, uint8_t b)
{
	int i, j;

	for (j = y; j < y + h; j++) {
		uint8_t *p = f->data[0] + (size_t)j * f->stride[0] + x * 4;

		for (i = 0; i < w; i++, p += 4) {
			p[0] = b;
			p[1] = g;
			p[2] = r;
			p[3] = 0xff;
		}
	}
}

static void fill_noise(struct cast_frame *f, int x, int y, int w, int h)
{
	int i, j;

	for (j = y; j < y + h; j++) {
		uint8_t *p = f->data[0] + (size_t)j * f->stride[0] + x * 4;

		for (i = 0; i < w * 4; i++)
			p[i] = (uint8_t)next_rand();
	}
}

static void check_colour(const struct cast_frame *o, int x, int y, int ey,
			 int eu, int ev)
{
	int yy = o->data[0][(size_t)y * o->stride[0] + x];
	int u = o->data[1][(size_t)(y / 2) * o->stride[1] + x / 2];
	int v = o->data[2][(size_t)(y / 2) * o->stride[2] + x / 2];

	assert_in_range(yy, ey - 2, ey + 2);
	assert_in_range(u, eu - 2, eu + 2);
	assert_in_range(v, ev - 2, ev + 2);
}

static void test_colours(void **state)
{
	struct cast_frame in = bgra_new(64, 48), out;
	struct cast_convert *c;
	(void)state;

	fill_rect(&in, 0, 0, 16, 48, 255, 255, 255);
	fill_rect(&in, 16, 0, 16, 48, 0, 0, 0);
	fill_rect(&in, 32, 0, 16, 16, 255, 0, 0);
	fill_rect(&in, 32, 16, 16, 16, 0, 255, 0);
	fill_rect(&in, 32, 32, 16, 16, 0, 0, 255);
	fill_rect(&in, 48, 0, 16, 48, 128, 128, 128);
	assert_int_equal(cast_convert_new(&c, CAST_PIX_BGRA, 64, 48, 64, 48),
			 0);
	in.capture_us = 4242;
	assert_int_equal(cast_convert_run(c, &in, &out), 48);
	assert_int_equal(out.fmt, CAST_PIX_I420);
	assert_int_equal(out.width, 64);
	assert_int_equal(out.height, 48);
	assert_int_equal(out.capture_us, 4242);
	/* BT.601 limited range. */
	check_colour(&out, 8, 24, 235, 128, 128);
	check_colour(&out, 24, 24, 16, 128, 128);
	check_colour(&out, 40, 8, 81, 90, 240);
	check_colour(&out, 40, 24, 145, 54, 34);
	check_colour(&out, 40, 40, 41, 240, 110);
	check_colour(&out, 56, 24, 126, 128, 128);
	cast_convert_free(&c);
	assert_null(c);
	free(in.data[0]);
}

static void assert_same_picture(const struct cast_frame *a,
				const struct cast_frame *b)
{
	int p, y, w, h;

	for (p = 0; p < 3; p++) {
		w = p ? (a->width + 1) / 2 : a->width;
		h = p ? (a->height + 1) / 2 : a->height;
		for (y = 0; y < h; y++)
			assert_memory_equal(a->data[p] + (size_t)y * a->stride[p],
					    b->data[p] + (size_t)y * b->stride[p],
					    (size_t)w);
	}
}

static void set_damage(struct cast_frame *f, int i, int x, int y, int w, int h)
{
	f->damage[i] = (struct cast_rect){x, y, w, h};
}

/* Damage-band conversion must equal a full conversion byte for byte. */
static void run_bands(int w, int h)
{
	struct cast_frame in = bgra_new(w, h), full, part;
	struct cast_convert *a, *b;
	int round, rows;

	assert_int_equal(cast_convert_new(&a, CAST_PIX_BGRA, w, h, w, h), 0);
	assert_int_equal(cast_convert_new(&b, CAST_PIX_BGRA, w, h, w, h), 0);
	fill_noise(&in, 0, 0, w, h);
	in.n_damage = -1;
	assert_int_equal(cast_convert_run(b, &in, &part), h);

	for (round = 0; round < 4; round++) {
		/* Odd edges, the first and last rows, overlaps, a 1-row rect. */
		fill_noise(&in, 3, 1, 40, 7);
		fill_noise(&in, 10, h - 3, w - 10, 3);
		fill_noise(&in, 0, 0, w, 1);
		fill_noise(&in, 20, 33 + round, 30, 11);
		fill_noise(&in, 25, 37, 5, 20);
		fill_noise(&in, w - 1, h / 2 + 1, 1, 1);
		in.n_damage = 6;
		set_damage(&in, 0, 3, 1, 40, 7);
		set_damage(&in, 1, 10, h - 3, w - 10, 3);
		set_damage(&in, 2, 0, 0, w, 1);
		set_damage(&in, 3, 20, 33 + round, 30, 11);
		set_damage(&in, 4, 25, 37, 5, 20);
		set_damage(&in, 5, w - 1, h / 2 + 1, 1, 1);
		rows = cast_convert_run(b, &in, &part);
		assert_true(rows > 0 && rows < h);
		in.n_damage = -1;
		assert_int_equal(cast_convert_run(a, &in, &full), h);
		assert_same_picture(&full, &part);
	}

	/* Still frame: nothing converted, picture kept. */
	in.n_damage = 0;
	fill_noise(&in, 0, 0, w, h); /* not announced: must not show up */
	assert_int_equal(cast_convert_run(b, &in, &part), 0);
	assert_same_picture(&full, &part);

	cast_convert_free(&a);
	cast_convert_free(&b);
	free(in.data[0]);
}

static void test_bands(void **state)
{
	(void)state;
	run_bands(640, 360);
	run_bands(322, 242);
	run_bands(1920, 1080);
}

static void test_i420_copy_and_scale(void **state)
{
	struct cast_frame in = bgra_new(640, 360), yuv, copy, small;
	struct cast_convert *c, *cp, *sc;
	int y;
	(void)state;

	fill_noise(&in, 0, 0, 640, 360);
	assert_int_equal(cast_convert_new(&c, CAST_PIX_BGRA, 640, 360, 640, 360),
			 0);
	assert_int_equal(cast_convert_new(&cp, CAST_PIX_I420, 640, 360, 640,
					  360), 0);
	assert_int_equal(cast_convert_run(c, &in, &yuv), 360);
	yuv.n_damage = -1;
	assert_int_equal(cast_convert_run(cp, &yuv, &copy), 360);
	assert_same_picture(&yuv, &copy);

	/* Damage on I420 copies only the band. */
	fill_noise(&in, 0, 100, 640, 10);
	in.n_damage = -1;
	assert_int_equal(cast_convert_run(c, &in, &yuv), 360);
	yuv.n_damage = 1;
	yuv.damage[0] = (struct cast_rect){0, 100, 640, 10};
	/* Bands are rounded out to 8 rows: 96..111. */
	assert_int_equal(cast_convert_run(cp, &yuv, &copy), 16);
	assert_same_picture(&yuv, &copy);

	/* Scaled: a full conversion of the destination height. */
	assert_int_equal(cast_convert_new(&sc, CAST_PIX_BGRA, 640, 360, 320,
					  180), 0);
	fill_rect(&in, 0, 0, 640, 360, 255, 255, 255);
	in.n_damage = -1;
	assert_int_equal(cast_convert_run(sc, &in, &small), 180);
	assert_int_equal(small.width, 320);
	assert_int_equal(small.height, 180);
	for (y = 0; y < 180; y += 7)
		assert_in_range(small.data[0][(size_t)y * small.stride[0] + y],
				233, 237);
	in.n_damage = 0;
	assert_int_equal(cast_convert_run(sc, &in, &small), 0);

	/* Wrong inputs. */
	in.width = 100;
	assert_int_equal(cast_convert_run(sc, &in, &small), CAST_ERROR(EINVAL));
	assert_int_equal(cast_convert_new(&sc, CAST_PIX_NONE, 8, 8, 8, 8),
			 CAST_ERROR(EINVAL));

	cast_convert_free(&c);
	cast_convert_free(&cp);
	cast_convert_free(&sc);
	cast_convert_free(&sc);
	free(in.data[0]);
}

/*
 * Scaled damage: converting only the picture rows the damage reaches must
 * equal a whole scaled conversion byte for byte (the filter margin is
 * enough), with fewer rows converted than the whole picture.
 */
static void run_scaled_bands(int sw, int sh, int dw, int dh)
{
	struct cast_frame in = bgra_new(sw, sh), full, part;
	struct cast_convert *a, *b;
	int round, rows, x, y, w, h, k;

	assert_int_equal(cast_convert_new(&a, CAST_PIX_BGRA, sw, sh, dw, dh), 0);
	assert_int_equal(cast_convert_new(&b, CAST_PIX_BGRA, sw, sh, dw, dh), 0);
	fill_noise(&in, 0, 0, sw, sh);
	in.n_damage = -1;
	assert_int_equal(cast_convert_run(b, &in, &part), dh);
	assert_int_equal(part.n_damage, -1);

	for (round = 0; round < 12; round++) {
		in.n_damage = 1 + round % 4;
		for (k = 0; k < in.n_damage; k++) {
			/* Small rects anywhere, a 1-row one, the edges. */
			w = 1 + (int)(next_rand() % 64);
			h = k == 1 ? 1 : 1 + (int)(next_rand() % 24);
			x = (int)(next_rand() % (unsigned)(sw - w));
			y = round == 0 && k == 0 ? 0
			    : round == 1 && k == 0
				? sh - h
				: (int)(next_rand() % (unsigned)(sh - h + 1));
			fill_noise(&in, x, y, w, h);
			set_damage(&in, k, x, y, w, h);
		}
		rows = cast_convert_run(b, &in, &part);
		assert_true(rows > 0 && rows < dh);
		assert_true(part.n_damage > 0);
		in.n_damage = -1;
		assert_int_equal(cast_convert_run(a, &in, &full), dh);
		assert_same_picture(&full, &part);
	}
	in.n_damage = 0;
	assert_int_equal(cast_convert_run(b, &in, &part), 0);
	assert_int_equal(part.n_damage, 0);

	cast_convert_free(&a);
	cast_convert_free(&b);
	free(in.data[0]);
}

static void test_scaled_bands(void **state)
{
	(void)state;
	run_scaled_bands(1280, 720, 640, 360);	/* 2:1, as 4K to 1080p */
	run_scaled_bands(1280, 800, 864, 540);	/* 2560x1600 to 1728x1080 */
	run_scaled_bands(641, 361, 640, 360);	/* an odd source */
	run_scaled_bands(320, 180, 640, 360);	/* enlarged (--size) */
	run_scaled_bands(300, 200, 1280, 720);
}

static void fit(int sw, int sh, int mw, int mh, int ret, int ew, int eh)
{
	int w = -1, h = -1;

	assert_int_equal(cast_size_fit(sw, sh, mw, mh, &w, &h), ret);
	assert_int_equal(w, ew);
	assert_int_equal(h, eh);
}

static void test_size_fit(void **state)
{
	int w = 7, h = 7;
	(void)state;

	fit(3840, 2160, 1920, 1080, 1, 1920, 1080);
	fit(2560, 1600, 1920, 1080, 1, 1728, 1080);
	fit(2560, 1440, 1920, 1080, 1, 1920, 1080);
	fit(3440, 1440, 1920, 1080, 1, 1920, 804);	/* ultrawide */
	fit(5120, 1440, 1920, 1080, 1, 1920, 540);
	/* Smaller screens are never enlarged. */
	fit(1366, 768, 1920, 1080, 0, 1366, 768);
	fit(1920, 1080, 1920, 1080, 0, 1920, 1080);
	fit(1280, 1024, 1920, 1080, 0, 1280, 1024);
	/* Odd sizes come out even. */
	fit(1367, 769, 1920, 1080, 0, 1366, 768);
	fit(3841, 2161, 1920, 1080, 1, 1920, 1080);
	fit(1921, 1081, 1920, 1080, 1, 1920, 1080);
	fit(2001, 1000, 1920, 1080, 1, 1920, 960);
	/* Portrait. */
	fit(1080, 1920, 1920, 1080, 1, 608, 1080);
	fit(2160, 3840, 1920, 1080, 1, 608, 1080);
	fit(768, 1366, 1920, 1080, 1, 608, 1080);
	fit(600, 1000, 1920, 1080, 0, 600, 1000);
	/* No limit; tiny and degenerate. */
	fit(3840, 2160, 0, 0, 0, 3840, 2160);
	fit(1, 1, 1920, 1080, 0, 2, 2);
	fit(100000, 10, 1920, 1080, 1, 1920, 2);
	assert_int_equal(cast_size_fit(0, 1080, 1920, 1080, &w, &h),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_size_fit(1920, -1, 1920, 1080, &w, &h),
			 CAST_ERROR(EINVAL));
	assert_int_equal(w, 7);
	assert_int_equal(h, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colours),
		cmocka_unit_test(test_bands),
		cmocka_unit_test(test_i420_copy_and_scale),
		cmocka_unit_test(test_scaled_bands),
		cmocka_unit_test(test_size_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
