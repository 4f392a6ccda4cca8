/* Class keys: codes, derivation (independent HKDF vector), key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/cast.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

static void generate_round_trip(void **state)
{
	struct cast_key a, b, c;

	(void)state;
	assert_int_equal(cast_key_generate(&a), 0);
	assert_int_equal(strlen(a.code), CAST_KEY_CODE_LEN);
	for (int i = 0; i < CAST_KEY_CODE_LEN; i++) {
		if (i % 5 == 4)
			assert_int_equal(a.code[i], '-');
		else
			assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ",
					       a.code[i]));
	}
	assert_int_equal(cast_key_from_code(&b, a.code), 0);
	assert_string_equal(a.code, b.code);
	assert_memory_equal(a.psk, b.psk, 32);
	assert_memory_equal(a.beacon, b.beacon, 32);
	assert_memory_not_equal(a.psk, a.beacon, 32);
	assert_int_equal(cast_key_generate(&c), 0);
	assert_string_not_equal(a.code, c.code);
	assert_memory_not_equal(a.psk, c.psk, 32);
	cast_key_wipe(&c);
	assert_int_equal(c.code[0], 0);
}

/* Expected values computed with Python's hmac/hashlib (RFC 5869). */
static void known_vector(void **state)
{
	struct cast_key k;
	uint8_t psk[32], beacon[32];

	(void)state;
	hex("110fa5a9a845123522053e2754b3caef8930e372ab091c9f568aa1bb0f5937ca",
	    psk, 32);
	hex("5b0221300c85919237b20deee98a8a5494de841de36f005231636ff2e7fc01c1",
	    beacon, 32);
	assert_int_equal(cast_key_from_code(&k, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23"),
			 0);
	assert_string_equal(k.code, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23");
	assert_memory_equal(k.psk, psk, 32);
	assert_memory_equal(k.beacon, beacon, 32);
}

static void lenient_reading(void **state)
{
	struct cast_key a, b;

	(void)state;
	assert_int_equal(cast_key_from_code(&a, "0011-ABCD-EFGH-JKMN-PQRS-TVWX"),
			 0);
	/* Lower case, spaces, no dashes, O for 0, I and L for 1. */
	assert_int_equal(cast_key_from_code(&b, "oO iL abcd efgh jkmnpqrstvwx"),
			 0);
	assert_string_equal(a.code, b.code);
	assert_memory_equal(a.psk, b.psk, 32);
}

static void bad_codes(void **state)
{
	struct cast_key k;
	static const char *const bad[] = {
		"",
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ2",	  /* 23 */
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ234", /* 25 */
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ2U",  /* U not in the alphabet */
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ2!",
		"ABCD_EFGH_JKMN_PQRS_TVWX_YZ23",
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ2\xc3\xa9",
	};

	(void)state;
	memset(&k, 0x5a, sizeof(k));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cast_key_from_code(&k, bad[i]),
				 CAST_ERROR(EINVAL));
	assert_int_equal(k.code[0], 0x5a); /* untouched on error */
	assert_int_equal(cast_key_from_code(&k, NULL), CAST_ERROR(EINVAL));
	assert_int_equal(cast_key_from_code(NULL, "x"), CAST_ERROR(EINVAL));
}

static void random_bytes(void **state)
{
	uint8_t a[32] = {0}, b[32] = {0};

	(void)state;
	assert_int_equal(cast_random(a, 0), 0);
	assert_int_equal(cast_random(a, sizeof(a)), 0);
	assert_int_equal(cast_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(cast_random(NULL, 4), CAST_ERROR(EINVAL));
}

static char dir[64];

static void path_in(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void save_load(void **state)
{
	struct cast_key k, l;
	struct stat st;
	char path[128], text[128], want[128];
	FILE *f;
	size_t n;

	(void)state;
	path_in(path, sizeof(path), "class.key");
	assert_int_equal(cast_key_generate(&k), 0);
	assert_int_equal(cast_key_save(&k, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	snprintf(want, sizeof(want), "# libcast class key\ncode = %s\n",
		 k.code);
	assert_string_equal(text, want);
	assert_int_equal(cast_key_load(&l, path), 0);
	assert_memory_equal(&k, &l, sizeof(k));

	/* Overwrite in place (atomic rename), no temporary left behind. */
	assert_int_equal(cast_key_generate(&k), 0);
	assert_int_equal(cast_key_save(&k, path), 0);
	assert_int_equal(cast_key_load(&l, path), 0);
	assert_string_equal(k.code, l.code);
	unlink(path);

	path_in(path, sizeof(path), "nodir/class.key");
	assert_int_equal(cast_key_save(&k, path), CAST_ERROR(ENOENT));
}

static void load_refusals(void **state)
{
	struct cast_key k;
	char path[128];

	(void)state;
	path_in(path, sizeof(path), "missing.key");
	assert_int_equal(cast_key_load(&k, path), CAST_ERROR(ENOENT));

	path_in(path, sizeof(path), "open.key");
	write_file(path, "code = ABCD-EFGH-JKMN-PQRS-TVWX-YZ23\n", 0644);
	assert_int_equal(cast_key_load(&k, path), CAST_ERROR(EPERM));
	chmod(path, 0640);
	assert_int_equal(cast_key_load(&k, path), CAST_ERROR(EPERM));
	chmod(path, 0400);
	assert_int_equal(cast_key_load(&k, path), 0);
	assert_string_equal(k.code, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23");
	unlink(path);

	path_in(path, sizeof(path), "empty.key");
	write_file(path, "# nothing\n", 0600);
	assert_int_equal(cast_key_load(&k, path), CAST_EMALFORMED);
	unlink(path);

	path_in(path, sizeof(path), "bad.key");
	write_file(path, "code = not-a-key\n", 0600);
	assert_int_equal(cast_key_load(&k, path), CAST_EMALFORMED);
	write_file(path, "code = ABCD-EFGH-JKMN-PQRS-TVWX-YZ23\nextra = 1\n",
		   0600);
	assert_int_equal(cast_key_load(&k, path), CAST_EMALFORMED);
	write_file(path,
		   "code = ABCD-EFGH-JKMN-PQRS-TVWX-YZ23\n"
		   "code = ABCD-EFGH-JKMN-PQRS-TVWX-YZ23\n",
		   0600);
	assert_int_equal(cast_key_load(&k, path), CAST_EMALFORMED);
	unlink(path);

	assert_int_equal(cast_key_load(&k, dir), CAST_ERROR(EINVAL));
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_key.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generate_round_trip),
		cmocka_unit_test(known_vector),
		cmocka_unit_test(lenient_reading),
		cmocka_unit_test(bad_codes),
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(save_load),
		cmocka_unit_test(load_refusals),
	};

	cast_log_set_level(CAST_LOG_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
