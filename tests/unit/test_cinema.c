/* Network cinema: the film's clock (pause, resume, seek, settle) and its ctl verb. */
#include <errno.h>
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

static char dir[64], film[128];

/* A 2 s film (silence in a WAV: all the clock needs is a duration). */
static int setup(void **state)
{
	struct cast_wav *w;
	int16_t pcm[4800] = {0};

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cast-cinema.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(film, sizeof(film), "%s/film.wav", dir);
	if (cast_wav_open(&w, film, 48000, 1))
		return -1;
	for (int i = 0; i < 20; i++)
		cast_wav_write(w, pcm, 4800);
	return cast_wav_close(&w);
}

static int teardown(void **state)
{
	(void)state;
	unlink(film);
	rmdir(dir);
	return 0;
}

static void nap_ms(int ms)
{
	struct timespec ts = {0, ms * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_open(void **state)
{
	struct cast_cinema *c = NULL;
	struct cast_cinema_status st;
	char missing[160];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/none.mkv", dir);
	assert_int_equal(cast_cinema_new(&c, missing), CAST_ERROR(ENOENT));
	assert_null(c);
	assert_int_equal(cast_cinema_new(&c, NULL), CAST_ERROR(EINVAL));
	assert_int_equal(cast_cinema_new(&c, film), 0);
	cast_cinema_status(c, &st);
	assert_true(st.duration_s > 1.9 && st.duration_s < 2.1);
	assert_float_equal(st.position_s, 0, 1e-9);
	assert_false(st.paused);
	assert_false(st.passthrough);
	assert_string_equal(st.file, film);
	cast_cinema_set_passthrough(c, true);
	cast_cinema_status(c, &st);
	assert_true(st.passthrough);
	cast_cinema_free(&c);
	assert_null(c);
	cast_cinema_free(&c);
}

static void test_pause_resume(void **state)
{
	struct cast_cinema *c;
	double p, q;
	uint64_t gen;

	(void)state;
	assert_int_equal(cast_cinema_new(&c, film), 0);
	assert_float_equal(cast_cinema_position(c), 0, 1e-9);
	nap_ms(30);
	p = cast_cinema_position(c);
	assert_true(p >= 0.029);
	assert_int_equal(cast_cinema_resume(c), CAST_ERROR(EALREADY));
	assert_int_equal(cast_cinema_pause(c), 0);
	assert_int_equal(cast_cinema_pause(c), CAST_ERROR(EALREADY));
	p = cast_cinema_position(c);
	nap_ms(30);
	/* Held while paused, nothing is due. */
	assert_float_equal(cast_cinema_position(c), p, 1e-9);
	assert_true(cast_cinema_due(c, p, &gen) == INT64_MAX);
	assert_int_equal(gen, 0);
	assert_int_equal(cast_cinema_resume(c), 0);
	q = cast_cinema_position(c);
	assert_true(q >= p && q < p + 0.5);
	/* Film time t is due (t - now's time) from now. */
	{
		int64_t now = cast_mono_us();
		int64_t due = cast_cinema_due(c, q + 1.0, NULL);

		assert_true(due > now + 500000 && due <= now + 1000000);
	}
	cast_cinema_free(&c);
}

static void test_seek_settle(void **state)
{
	struct cast_cinema *c;
	uint64_t g0;

	(void)state;
	assert_int_equal(cast_cinema_new(&c, film), 0);
	g0 = cast_cinema_generation(c);
	assert_int_equal(cast_cinema_seek(c, -0.5), CAST_ERROR(ERANGE));
	assert_int_equal(cast_cinema_seek(c, 2.5), CAST_ERROR(ERANGE));
	assert_int_equal(cast_cinema_generation(c), g0);
	assert_int_equal(cast_cinema_seek(c, 1.5), 0);
	assert_int_equal(cast_cinema_generation(c), g0 + 1);
	assert_float_equal(cast_cinema_position(c), 1.75, 0.25);
	/* The picture lands on a keyframe at 1.0 s: the sound follows. */
	assert_false(cast_cinema_settle(c, 1.0, g0));
	assert_true(cast_cinema_settle(c, 1.0, g0 + 1));
	assert_int_equal(cast_cinema_generation(c), g0 + 2);
	assert_float_equal(cast_cinema_position(c), 1.25, 0.25);
	/* A seek while paused stays paused, at the new time. */
	assert_int_equal(cast_cinema_pause(c), 0);
	assert_int_equal(cast_cinema_seek(c, 0.25), 0);
	nap_ms(20);
	assert_float_equal(cast_cinema_position(c), 0.25, 1e-9);
	cast_cinema_free(&c);
}

static char *ctl(struct cast_cinema *c, const char *a1, const char *a2)
{
	char *argv[3] = {"cinema", (char *)a1, (char *)a2};

	return cast_cinema_ctl(a1 ? (a2 ? 3 : 2) : 1, argv, 1, c);
}

static void expect_error(struct cast_cinema *c, const char *a1,
			 const char *a2, const char *words)
{
	char *r = ctl(c, a1, a2);

	assert_non_null(r);
	assert_non_null(strstr(r, "\"ok\":false"));
	assert_non_null(strstr(r, words));
	free(r);
}

static void test_ctl(void **state)
{
	struct cast_cinema *c;
	char *r;

	(void)state;
	assert_int_equal(cast_cinema_new(&c, film), 0);
	expect_error(NULL, "status", NULL, "no film");
	expect_error(c, NULL, NULL, "usage");
	expect_error(c, "rewind", NULL, "usage");
	expect_error(c, "status", "now", "usage");
	expect_error(c, "seek", NULL, "usage");
	expect_error(c, "seek", "abc", "number of seconds");
	expect_error(c, "seek", "1s", "number of seconds");
	expect_error(c, "seek", "nan", "number of seconds");
	expect_error(c, "seek", "99", "end");
	expect_error(c, "seek", "-1", "start");
	expect_error(c, "resume", NULL, "not paused");
	r = ctl(c, "pause", NULL);
	assert_non_null(strstr(r, "\"paused\":true"));
	free(r);
	expect_error(c, "pause", NULL, "already paused");
	r = ctl(c, "seek", "1.25");
	assert_non_null(strstr(r, "\"ok\":true"));
	assert_non_null(strstr(r, "\"position_s\":1.25"));
	free(r);
	r = ctl(c, "status", NULL);
	assert_non_null(strstr(r, "\"duration_s\":2"));
	assert_non_null(strstr(r, "\"passthrough\":false"));
	assert_non_null(strstr(r, "film.wav"));
	free(r);
	cast_cinema_free(&c);
}

/* A live stream's URL is not opened: no length, no seek, said so. */
static void test_live(void **state)
{
	struct cast_cinema *c = NULL;
	struct cast_cinema_status st;

	(void)state;
	assert_int_equal(cast_cinema_new(&c, "udp://127.0.0.1:9"), 0);
	cast_cinema_status(c, &st);
	assert_true(st.live);
	assert_false(st.seekable);
	assert_true(st.duration_s == 0);
	assert_int_equal(cast_cinema_seek(c, 1), CAST_ERROR(ESPIPE));
	expect_error(c, "seek", "1", "live stream cannot seek");
	assert_int_equal(cast_cinema_pause(c), 0);
	assert_int_equal(cast_cinema_resume(c), 0);
	cast_cinema_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open),
	    cmocka_unit_test(test_pause_resume),
	    cmocka_unit_test(test_seek_settle),
	    cmocka_unit_test(test_ctl),
	    cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
