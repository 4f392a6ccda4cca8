/* Config parsing: good files, and bad lines named by number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/cast.h"

struct seen {
	char keys[8][32];
	char vals[8][64];
	int n;
};

static int collect(const char *key, const char *value, void *arg, char *why,
		   size_t why_size)
{
	struct seen *s = arg;

	if (!strcmp(key, "channel")) {
		long n;

		if (cast_parse_int(value, 1, 999, &n)) {
			snprintf(why, why_size, "expected 1..999");
			return CAST_ERROR(EINVAL);
		}
	}
	if (s->n >= 8)
		return CAST_ERROR(E2BIG);
	snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", key);
	snprintf(s->vals[s->n], sizeof(s->vals[0]), "%s", value);
	s->n++;
	return 0;
}

static void good_file(void **state)
{
	struct seen s = {0};
	char err[256] = "";
	const char *text = "# lab 3\n\nchannel = 7\n  source=x11  \n"
			   "name = \"Li Lei 李雷\"\r\nheadless =\n";

	(void)state;
	assert_int_equal(cast_config_parse(text, "t.conf", collect, &s, err,
					   sizeof(err)),
			 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.keys[0], "channel");
	assert_string_equal(s.vals[0], "7");
	assert_string_equal(s.keys[1], "source");
	assert_string_equal(s.vals[1], "x11");
	assert_string_equal(s.vals[2], "Li Lei 李雷");
	assert_string_equal(s.keys[3], "headless");
	assert_string_equal(s.vals[3], "");
}

static void bad_lines_named(void **state)
{
	struct seen s = {0};
	char err[256];
	static const struct {
		const char *text;
		const char *want;
		int ret;
	} cases[] = {
		{"channel = 7\nno equals here\n", "c:2: expected", CAST_EMALFORMED},
		{"\n\n = 3\n", "c:3: missing key", CAST_EMALFORMED},
		{"ke y = 1\n", "c:1: bad character", CAST_EMALFORMED},
		{"a = \"open\n", "c:1: unterminated", CAST_EMALFORMED},
		{"#x\nchannel = 1000\n", "c:2: channel: expected 1..999",
		 CAST_ERROR(EINVAL)},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&s, 0, sizeof(s));
		err[0] = '\0';
		assert_int_equal(cast_config_parse(cases[i].text, "c", collect,
						   &s, err, sizeof(err)),
				 cases[i].ret);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
				 cases[i].want);
	}
}

static void load_errors(void **state)
{
	struct seen s = {0};
	char err[512], path[] = "/tmp/cast-config-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(cast_config_load("/nonexistent/x.conf", collect, &s,
					  err, sizeof(err)),
			 CAST_ERROR(ENOENT));
	assert_non_null(strstr(err, "/nonexistent/x.conf"));

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a = 1\n\0b = 2\n", 13), 13);
	close(fd);
	assert_int_equal(cast_config_load(path, collect, &s, err, sizeof(err)),
			 CAST_EMALFORMED);
	assert_non_null(strstr(err, "not a text file"));
	unlink(path);
}

static void numbers_and_sizes(void **state)
{
	long n;
	int w, h;

	(void)state;
	assert_int_equal(cast_parse_int("42", 0, 100, &n), 0);
	assert_int_equal(n, 42);
	assert_int_equal(cast_parse_int("101", 0, 100, &n), CAST_ERROR(ERANGE));
	assert_int_equal(cast_parse_int("4x", 0, 100, &n), CAST_ERROR(EINVAL));
	assert_int_equal(cast_parse_int("", 0, 100, &n), CAST_ERROR(EINVAL));
	assert_int_equal(cast_parse_int("99999999999999999999", 0, 100, &n),
			 CAST_ERROR(ERANGE));
	assert_int_equal(cast_parse_size("1920x1080", &w, &h), 0);
	assert_int_equal(w, 1920);
	assert_int_equal(h, 1080);
	assert_int_equal(cast_parse_size("1921x1080", &w, &h),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_parse_size("8x8", &w, &h), CAST_ERROR(EINVAL));
	assert_int_equal(cast_parse_size("1920*1080", &w, &h),
			 CAST_ERROR(EINVAL));
	assert_true(cast_parse_flag(NULL));
	assert_true(cast_parse_flag(""));
	assert_true(cast_parse_flag("yes"));
	assert_false(cast_parse_flag("0"));
	assert_false(cast_parse_flag("off"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_file),
		cmocka_unit_test(bad_lines_named),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(numbers_and_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
