/* Discovery beacons: round trip, every bit flip, wrong key/channel, a
 * teacher the class does not list, replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

/* key: the teacher's (it signs); student: what a student PC holds (the
 * class code and the teacher's fingerprint); rogue: the same class code
 * with a signing key of its own (a student posing as the teacher). */
static struct cast_key key, other, student, rogue;

static struct cast_beacon sample(void)
{
	struct cast_beacon b = {
		.version = CAST_BEACON_VERSION,
		.channel = 7,
		.control_port = 40075,
		.teacher_ip = 0xc0a80105,
		.boot_id = 0x0123456789abcdefull,
		.counter = 42,
		.time_us = 1790000000000000ull,
	};
	return b;
}

static void round_trip(void **state)
{
	struct cast_beacon b = sample(), out;
	uint8_t buf[256];

	(void)state;
	assert_int_equal(cast_beacon_write(buf, sizeof(buf), &b, &key),
			 CAST_BEACON_SIZE);
	assert_memory_equal(buf, "LCB1", 4);
	assert_int_equal(cast_beacon_parse(buf, CAST_BEACON_SIZE, &student, 7,
					   &out),
			 0);
	assert_memory_equal(out.teacher_pk, key.sign_pk, 32);
	/* A student's key cannot sign one. */
	assert_int_equal(cast_beacon_write(buf, sizeof(buf), &b, &student),
			 CAST_ERROR(EPERM));
	assert_int_equal(out.version, b.version);
	assert_int_equal(out.flags, b.flags);
	assert_int_equal(out.channel, b.channel);
	assert_int_equal(out.control_port, b.control_port);
	assert_int_equal(out.teacher_ip, b.teacher_ip);
	assert_true(out.boot_id == b.boot_id);
	assert_true(out.counter == b.counter);
	assert_true(out.time_us == b.time_us);
	assert_int_equal(cast_beacon_write(buf, CAST_BEACON_SIZE - 1, &b, &key),
			 CAST_ERROR(ENOSPC));
}

static void every_bit_flip(void **state)
{
	struct cast_beacon b = sample(), out;
	uint8_t buf[CAST_BEACON_SIZE];

	(void)state;
	cast_beacon_write(buf, sizeof(buf), &b, &key);
	for (size_t i = 0; i < sizeof(buf) * 8; i++) {
		int ret;

		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		ret = cast_beacon_parse(buf, sizeof(buf), &student, 7, &out);
		if (i < 32)
			assert_int_equal(ret, CAST_EMALFORMED);
		else
			assert_int_equal(ret, CAST_ERROR(EACCES));
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	assert_int_equal(cast_beacon_parse(buf, sizeof(buf), &student, 7, &out),
			 0);
}

/* The class code is not enough: only a listed teacher's beacon counts,
 * even with a valid class MAC (a student PC holds the class code). */
static void untrusted_teacher(void **state)
{
	struct cast_beacon b = sample(), out;
	uint8_t buf[CAST_BEACON_SIZE];

	(void)state;
	assert_int_equal(cast_beacon_write(buf, sizeof(buf), &b, &rogue),
			 CAST_BEACON_SIZE);
	assert_int_equal(cast_beacon_parse(buf, sizeof(buf), &student, 7, &out),
			 CAST_ERROR(EPERM));
	/* Nor the real teacher's key pasted into a rogue's beacon. */
	memcpy(buf + 38, key.sign_pk, 32);
	assert_int_equal(cast_beacon_parse(buf, sizeof(buf), &student, 7, &out),
			 CAST_ERROR(EACCES)); /* the class MAC covers it */
}

static void bad_sizes(void **state)
{
	struct cast_beacon b = sample(), out;
	uint8_t buf[CAST_BEACON_SIZE + 1] = {0};

	(void)state;
	cast_beacon_write(buf, sizeof(buf), &b, &key);
	assert_int_equal(cast_beacon_parse(buf, 0, &key, 7, &out),
			 CAST_EMALFORMED);
	assert_int_equal(cast_beacon_parse(buf, 4, &key, 7, &out),
			 CAST_EMALFORMED);
	assert_int_equal(cast_beacon_parse(buf, CAST_BEACON_SIZE - 1, &key, 7,
					   &out),
			 CAST_EMALFORMED);
	assert_int_equal(cast_beacon_parse(buf, CAST_BEACON_SIZE + 1, &key, 7,
					   &out),
			 CAST_EMALFORMED);
	assert_int_equal(cast_beacon_parse(NULL, 0, &key, 7, &out),
			 CAST_EMALFORMED);
}

static void wrong_key_and_channel(void **state)
{
	struct cast_beacon b = sample(), out;
	uint8_t buf[CAST_BEACON_SIZE];

	(void)state;
	memset(&out, 0x77, sizeof(out));
	cast_beacon_write(buf, sizeof(buf), &b, &other);
	assert_int_equal(cast_beacon_parse(buf, sizeof(buf), &student, 7, &out),
			 CAST_ERROR(EACCES));
	assert_int_equal(out.version, 0x77); /* not written on error */

	cast_beacon_write(buf, sizeof(buf), &b, &key);
	assert_int_equal(cast_beacon_parse(buf, sizeof(buf), &key, 8, &out),
			 CAST_ERROR(ECHRNG));

	b.version = 1;
	cast_beacon_write(buf, sizeof(buf), &b, &key);
	assert_int_equal(cast_beacon_parse(buf, sizeof(buf), &key, 7, &out),
			 CAST_ERROR(EPROTONOSUPPORT));
}

static void replay_filter(void **state)
{
	struct cast_beacon_filter f;
	struct cast_beacon b = sample(), old;

	(void)state;
	cast_beacon_filter_init(&f);
	assert_int_equal(cast_beacon_filter_check(&f, &b), 0);
	assert_int_equal(cast_beacon_filter_check(&f, &b), CAST_ERROR(EALREADY));
	old = b;
	b.counter = 41;
	assert_int_equal(cast_beacon_filter_check(&f, &b), CAST_ERROR(EALREADY));
	b.counter = 43;
	assert_int_equal(cast_beacon_filter_check(&f, &b), 0);

	/* The teacher restarts: new boot id, counter from 1. */
	b.boot_id = 99;
	b.counter = 1;
	assert_int_equal(cast_beacon_filter_check(&f, &b), 0);
	/* A recorded beacon of the old boot is still a replay. */
	assert_int_equal(cast_beacon_filter_check(&f, &old),
			 CAST_ERROR(EALREADY));
	b.counter = 2;
	assert_int_equal(cast_beacon_filter_check(&f, &b), 0);

	/* Eight other boots push the first out (bounded memory). */
	for (uint64_t id = 1000; id < 1000 + CAST_BEACON_BOOTS; id++) {
		struct cast_beacon x = sample();

		x.boot_id = id;
		assert_int_equal(cast_beacon_filter_check(&f, &x), 0);
	}
	assert_int_equal(f.n, CAST_BEACON_BOOTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(every_bit_flip),
		cmocka_unit_test(untrusted_teacher),
		cmocka_unit_test(bad_sizes),
		cmocka_unit_test(wrong_key_and_channel),
		cmocka_unit_test(replay_filter),
	};

	if (cast_key_generate(&key) || cast_key_new_signer(&key) ||
	    cast_key_generate(&other) || cast_key_new_signer(&other))
		return 1;
	student = key;
	student.can_sign = false;
	memset(student.sign_sk, 0, sizeof(student.sign_sk));
	rogue = student;
	rogue.n_teachers = 0;
	if (cast_key_new_signer(&rogue))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
