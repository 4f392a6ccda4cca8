/* Clock offset filter: delayed replies passed over, window, clock steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

#define T0 1790000000000000ll /* a wall clock time, µs */

/*
 * One PING/PONG at our time `at`: `out` µs on the way there, `hold` µs
 * before the peer reads its clock and answers, `back` µs until we read ours
 * again. The peer's clock is ahead of ours by `offset`.
 */
static int exchange(struct cast_clock_filter *f, int64_t at, int64_t out,
		    int64_t hold, int64_t back, int64_t offset)
{
	return cast_clock_filter_add(f, at, at + out + hold + offset,
				     at + out + hold + back);
}

static void expect(const struct cast_clock_filter *f, int64_t offset,
		   int64_t rtt)
{
	int64_t o = -1, r = -1;

	assert_int_equal(cast_clock_filter_get(f, &o, &r), 0);
	assert_int_equal(o, offset);
	assert_int_equal(r, rtt);
}

static void empty(void **state)
{
	struct cast_clock_filter f;
	int64_t o = 7, r = 7;

	(void)state;
	cast_clock_filter_init(&f);
	assert_int_equal(cast_clock_filter_get(&f, &o, &r),
			 CAST_ERROR(ENODATA));
	assert_int_equal(o, 7);
	assert_int_equal(r, 7);
	assert_int_equal(f.last_rtt_us, -1);
	assert_int_equal(cast_clock_filter_get(NULL, &o, &r),
			 CAST_ERROR(ENODATA));
}

/* A peer that answered late (busy with other messages) must not decide
 * the offset, whichever comes first. */
static void delayed_reply_passed_over(void **state)
{
	struct cast_clock_filter f;

	(void)state;
	cast_clock_filter_init(&f);
	/* The answer waited 80 ms at the peer: offset +40 ms off. */
	assert_int_equal(exchange(&f, T0, 100, 80000, 100, 3000), 0);
	expect(&f, 43000, 80200);
	assert_int_equal(exchange(&f, T0 + 250000, 100, 0, 100, 3000), 0);
	expect(&f, 3000, 200);
	/* We read the answer 60 ms late: offset -30 ms off. */
	assert_int_equal(exchange(&f, T0 + 500000, 100, 0, 60000, 3000), 0);
	expect(&f, 3000, 200);
	assert_int_equal(f.last_rtt_us, 60100);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.samples, 3);

	/* The other order. */
	cast_clock_filter_init(&f);
	assert_int_equal(exchange(&f, T0, 100, 0, 100, -2500), 0);
	assert_int_equal(exchange(&f, T0 + 250000, 100, 80000, 100, -2500),
			 0);
	expect(&f, -2500, 200);
	assert_int_equal(f.last_rtt_us, 80200);
}

/* The estimate is off by at most half its round trip, whatever the
 * asymmetry. */
static void error_bound(void **state)
{
	struct cast_clock_filter f;
	int64_t o, r;

	(void)state;
	cast_clock_filter_init(&f);
	assert_int_equal(exchange(&f, T0, 900, 0, 100, 1234), 0);
	assert_int_equal(cast_clock_filter_get(&f, &o, &r), 0);
	assert_int_equal(r, 1000);
	assert_true(o - 1234 <= r / 2 && 1234 - o <= r / 2);
	assert_int_equal(o, 1234 + 400);
}

/* After a join: the first answer waited behind the welcome work, the next
 * ones partly behind re-applied commands; one clean sample is enough. */
static void join_burst(void **state)
{
	static const int64_t hold[] = {74000, 12000, 5000, 0, 13000, 4000};
	struct cast_clock_filter f;
	int64_t o, r;

	(void)state;
	cast_clock_filter_init(&f);
	for (unsigned i = 0; i < sizeof(hold) / sizeof(hold[0]); i++)
		assert_true(exchange(&f, T0 + 250000 * (int64_t)i, 60, hold[i],
				     60, -700) >= 0);
	assert_int_equal(cast_clock_filter_get(&f, &o, &r), 0);
	assert_int_equal(o, -700);
	assert_int_equal(r, 120);
}

/* Only the last CAST_CLOCK_SAMPLES count; equal round trips: the newest. */
static void window(void **state)
{
	struct cast_clock_filter f;
	int64_t at = T0;

	(void)state;
	cast_clock_filter_init(&f);
	assert_int_equal(exchange(&f, at, 50, 0, 50, 0), 0);
	for (int i = 0; i < CAST_CLOCK_SAMPLES - 1; i++) {
		at += 15000000;
		assert_int_equal(exchange(&f, at, 1000, 10, 2000 + i, 0), 0);
		expect(&f, 0, 100);
	}
	assert_int_equal(f.n, CAST_CLOCK_SAMPLES);
	/* The fast one is the oldest now and makes room. */
	at += 15000000;
	assert_int_equal(exchange(&f, at, 1000, 10, 2000, 0), 0);
	assert_int_equal(f.n, CAST_CLOCK_SAMPLES);
	expect(&f, -495, 3010);

	/* Equal round trips, different (consistent) offsets: the newest. */
	cast_clock_filter_init(&f);
	assert_int_equal(exchange(&f, T0, 500, 0, 500, 0), 0);
	assert_int_equal(exchange(&f, T0 + 1000000, 500, 0, 500, 300), 0);
	expect(&f, 300, 1000);
}

/* Our clock stepped back during an exchange: a negative round trip. */
static void negative_rtt(void **state)
{
	struct cast_clock_filter f;

	(void)state;
	cast_clock_filter_init(&f);
	assert_int_equal(exchange(&f, T0, 100, 0, 100, 5000), 0);
	assert_int_equal(exchange(&f, T0 + 250000, 100, 0, 100, 5000), 0);
	/* Sent at T0 + 500 ms, answered, then our clock went back 2 s. */
	assert_int_equal(cast_clock_filter_add(&f, T0 + 500000,
					       T0 + 505100,
					       T0 + 500200 - 2000000),
			 CAST_ERROR(ERANGE));
	assert_int_equal(cast_clock_filter_get(&f, NULL, NULL),
			 CAST_ERROR(ENODATA));
	assert_int_equal(f.dropped, 2);
	assert_int_equal(f.samples, 2);
	assert_int_equal(f.last_rtt_us, 200);
	/* The new clock: the peer is now 2.005 s ahead. */
	assert_int_equal(exchange(&f, T0, 100, 0, 100, 2005000), 0);
	expect(&f, 2005000, 200);
}

/* The peer's clock was set (clock-set): the old samples lie now, and the
 * first sample that contradicts them drops them, even a slow one. */
static void peer_clock_set(void **state)
{
	struct cast_clock_filter f;

	(void)state;
	cast_clock_filter_init(&f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(exchange(&f, T0 + 250000 * i, 100, 0, 100,
					  3000),
				 0);
	assert_int_equal(exchange(&f, T0 + 2000000, 100, 5000, 100, 1003000),
			 3);
	expect(&f, 1003000 + 2500, 5200);
	assert_int_equal(exchange(&f, T0 + 2250000, 100, 0, 100, 1003000), 0);
	expect(&f, 1003000, 200);
	assert_int_equal(f.dropped, 3);

	/* Intervals that only just miss (rounding, clock reads) agree. */
	cast_clock_filter_init(&f);
	assert_int_equal(exchange(&f, T0, 100, 0, 100, 0), 0);
	assert_int_equal(exchange(&f, T0 + 1000, 100, 0, 100, 250), 0);
	assert_int_equal(exchange(&f, T0 + 2000, 100, 0, 100, 600), 2);
}

/* Our clock jumped 1 s forward while a PONG was on its way: a huge round
 * trip, which contradicts nothing; the next sample drops the old ones. */
static void our_clock_forward(void **state)
{
	struct cast_clock_filter f;

	(void)state;
	cast_clock_filter_init(&f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(exchange(&f, T0 + 250000 * i, 100, 0, 100,
					  3000),
				 0);
	assert_int_equal(cast_clock_filter_add(&f, T0 + 750000, T0 + 753100,
					       T0 + 1750200),
			 0);
	expect(&f, 3000, 200);
	assert_int_equal(f.last_rtt_us, 1000200);
	/* The peer is 997 ms behind the new clock. */
	assert_int_equal(exchange(&f, T0 + 2000000, 100, 0, 100, -997000),
			 3);
	expect(&f, -997000, 200);
	assert_int_equal(f.n, 2);
}

static void bad_input(void **state)
{
	struct cast_clock_filter f;

	(void)state;
	cast_clock_filter_init(&f);
	assert_int_equal(cast_clock_filter_add(NULL, T0, T0, T0),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_clock_filter_add(&f, -1, T0, T0),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_clock_filter_add(&f, T0, INT64_MAX, T0),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_clock_filter_add(&f, T0, T0, (int64_t)1 << 61),
			 CAST_ERROR(EINVAL));
	assert_int_equal(f.samples, 0);
	/* Times as far apart as allowed: no overflow (UBSan would say). */
	assert_int_equal(cast_clock_filter_add(&f, 0, ((int64_t)1 << 61) - 1,
					       0),
			 0);
	expect(&f, ((int64_t)1 << 61) - 1, 0);
	assert_int_equal(cast_clock_filter_add(&f, 0, 0,
					       ((int64_t)1 << 61) - 1),
			 1);
	assert_int_equal(f.samples, 2);
	assert_int_equal(f.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty),
		cmocka_unit_test(delayed_reply_passed_over),
		cmocka_unit_test(error_bound),
		cmocka_unit_test(join_burst),
		cmocka_unit_test(window),
		cmocka_unit_test(negative_rtt),
		cmocka_unit_test(peer_clock_set),
		cmocka_unit_test(our_clock_forward),
		cmocka_unit_test(bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
