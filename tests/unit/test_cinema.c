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

/* `cinema play PATH [--to IDS|all]` / `cinema stop`, as the verb reads them. */
static void test_film_args(void **state)
{
	struct cast_film_args a;
	char why[256], longpath[1100];
	char *ok1[] = {"cinema", "play", "/srv/film.mkv"};
	char *ok2[] = {"cinema", "play", "/srv/film.mkv", "--to", "s1,s2"};
	char *ok3[] = {"cinema", "play", "--to", "s1", "http://h/f.mp4"};
	char *ok4[] = {"cinema", "play", "f.avi", "--to", "all"};
	char *stop[] = {"cinema", "stop"};
	char *bad[][6] = {
		{"cinema", "play"},			/* no film */
		{"cinema", "play", "--to", "s1"},	/* no film */
		{"cinema", "play", "a", "b"},		/* two films */
		{"cinema", "play", "a", "--to"},	/* --to without ids */
		{"cinema", "play", "a", "--to", "s1,,s2"},
		{"cinema", "play", "a", "--to", ",s1"},
		{"cinema", "play", "a", "--to", "s1,"},
		{"cinema", "play", "a", "--to", "s 1"},
		{"cinema", "play", "a", "--loop"},	/* unknown flag */
		{"cinema", "play", ""},			/* empty path */
		{"cinema", "stop", "now"},
		{"cinema", "rewind"},
	};
	int nbad[] = {2, 4, 4, 4, 5, 5, 5, 5, 4, 3, 3, 2};
	struct cast_film_args untouched;
	char *dup[] = {"cinema", "play", "a", "--to", "s1", "--to", "s2"};
	char *lng[] = {"cinema", "play", longpath};

	(void)state;
	memset(&untouched, 0x55, sizeof(untouched));
	memset(&a, 0x55, sizeof(a));
	assert_int_equal(cast_film_args_parse(3, ok1, &a, why, sizeof(why)), 0);
	assert_true(a.play);
	assert_false(a.stop);
	assert_string_equal(a.path, "/srv/film.mkv");
	assert_null(a.to);
	assert_int_equal(cast_film_args_parse(5, ok2, &a, why, sizeof(why)), 0);
	assert_string_equal(a.path, "/srv/film.mkv");
	assert_string_equal(a.to, "s1,s2");
	assert_int_equal(cast_film_args_parse(5, ok3, &a, why, sizeof(why)), 0);
	assert_string_equal(a.path, "http://h/f.mp4");
	assert_string_equal(a.to, "s1");
	/* --to all: everyone, and those who join later. */
	assert_int_equal(cast_film_args_parse(5, ok4, &a, why, sizeof(why)), 0);
	assert_null(a.to);
	assert_int_equal(cast_film_args_parse(2, stop, &a, why, sizeof(why)), 0);
	assert_true(a.stop);
	assert_false(a.play);
	for (size_t i = 0; i < sizeof(nbad) / sizeof(nbad[0]); i++) {
		memset(&a, 0x55, sizeof(a));
		why[0] = '\0';
		assert_int_equal(cast_film_args_parse(nbad[i], bad[i], &a, why,
						      sizeof(why)),
				 CAST_ERROR(EINVAL));
		/* A reason, and nothing written. */
		assert_true(why[0] != '\0');
		assert_memory_equal(&a, &untouched, sizeof(a));
	}
	assert_int_equal(cast_film_args_parse(7, dup, &a, why, sizeof(why)),
			 CAST_ERROR(EINVAL));
	assert_non_null(strstr(why, "--to"));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(cast_film_args_parse(3, lng, &a, why, sizeof(why)),
			 CAST_ERROR(ENAMETOOLONG));
	assert_int_equal(cast_film_args_parse(0, NULL, &a, why, sizeof(why)),
			 CAST_ERROR(EINVAL));
}

/* The ports of a channel's film: below the channels' own, one block each. */
static void test_film_port(void **state)
{
	(void)state;
	assert_int_equal(cast_film_port(1), CAST_FILM_PORT_BASE + 10);
	assert_int_equal(cast_film_port(999) + 9, 39999);
	assert_true(cast_film_port(999) + 9 < CAST_PORT_BASE);
	assert_int_equal(cast_film_port(0), CAST_ERROR(EINVAL));
	assert_int_equal(cast_film_port(1000), CAST_ERROR(EINVAL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open),
	    cmocka_unit_test(test_pause_resume),
	    cmocka_unit_test(test_seek_settle),
	    cmocka_unit_test(test_ctl),
	    cmocka_unit_test(test_live),
	    cmocka_unit_test(test_film_args),
	    cmocka_unit_test(test_film_port),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
