/* The asset summary: this machine's facts as one valid, bounded JSON object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

/* The keys the teacher's asset view and its CSV export read. */
static const char *const keys[] = {
	"host", "cpu",	  "cores", "memory_mb", "disk_gb", "disk_free_gb",
	"os",	"kernel", "mac",   "display",	"libcast",
};

static void this_machine(void **state)
{
	struct cast_assets a;
	char buf[4096], v[256];
	int n;

	(void)state;
	cast_assets_collect(&a, "1280x720+0+0");
	assert_true(a.cores >= 1);
	assert_true(a.memory_mb > 0);
	assert_true(a.kernel[0]);
	n = cast_assets_json(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_int_equal(cast_json_validate_object(buf, (size_t)n), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (cast_json_get_str(buf, (size_t)n, keys[i], v,
				      sizeof(v)) != 1)
			fail_msg("key %s missing in %s", keys[i], buf);
	assert_int_equal(cast_json_get_str(buf, (size_t)n, "display", v,
					   sizeof(v)),
			 1);
	assert_string_equal(v, "1280x720+0+0");
	assert_int_equal(cast_json_get_str(buf, (size_t)n, "host", v,
					   sizeof(v)),
			 1);
	assert_string_equal(v, a.host);
	assert_int_equal(cast_json_get_str(buf, (size_t)n, "libcast", v,
					   sizeof(v)),
			 1);
	assert_string_equal(v, cast_version());
}

static void display_bounded_and_escaped(void **state)
{
	struct cast_assets a;
	char big[1000], buf[4096];
	int n;

	(void)state;
	/* Longer than the field, ending in 2-byte characters: cut whole. */
	memset(big, 'x', 126);
	strcpy(big + 126, "\xc3\xa9\xc3\xa9\xc3\xa9");
	cast_assets_collect(&a, big);
	assert_int_equal(strlen(a.display), 126);

	/* Quotes, control and broken bytes still give valid JSON. */
	cast_assets_collect(&a, "say \"hi\"\n\t\\ \xff\xc3( \xe6\x9d\x8e");
	/* "?" "?(" split: not a trigraph. */
	assert_string_equal(a.display, "say \"hi\"\n\t\\ ?" "?( \xe6\x9d\x8e");
	n = cast_assets_json(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(cast_json_validate_object(buf, (size_t)n), 0);

	/* NULL display: an empty one, still present. */
	cast_assets_collect(&a, NULL);
	assert_string_equal(a.display, "");
}

static void unknowns_left_out(void **state)
{
	struct cast_assets a;
	char buf[4096], v[64];
	int n;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.disk_gb = a.disk_free_gb = -1;
	n = cast_assets_json(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(cast_json_validate_object(buf, (size_t)n), 0);
	assert_int_equal(cast_json_get_str(buf, (size_t)n, "disk_gb", v,
					   sizeof(v)),
			 0);
	assert_int_equal(cast_json_get_str(buf, (size_t)n, "kernel", v,
					   sizeof(v)),
			 0);
	assert_int_equal(cast_json_get_str(buf, (size_t)n, "cores", v,
					   sizeof(v)),
			 1);
	assert_string_equal(v, "0");
}

static void small_buffer(void **state)
{
	struct cast_assets a;
	char buf[32];

	(void)state;
	cast_assets_collect(&a, "headless");
	assert_int_equal(cast_assets_json(&a, buf, sizeof(buf)),
			 CAST_ERROR(EMSGSIZE));
	assert_string_equal(buf, "");
	assert_int_equal(cast_assets_json(NULL, buf, sizeof(buf)),
			 CAST_ERROR(EINVAL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(this_machine),
		cmocka_unit_test(display_bounded_and_escaped),
		cmocka_unit_test(unknowns_left_out),
		cmocka_unit_test(small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
