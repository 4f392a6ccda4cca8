/* The student's command handling: argument parsing, every command's effect
 * and refusal, and the persisted state (a lock survives a restart). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "class.h"

#define A(s) (const uint8_t *)(s), strlen(s)

static const struct class_cfg cfg = {
	.open_cmd = "true",
	.poweroff_cmd = "true",
	.reboot_cmd = "false",
	.url_schemes = "https",
	.allow_clock_set = false,
};

static void args(void **state)
{
	char v[8];

	(void)state;
	assert_true(class_arg(A("a=1\nnotice=Eyes front\n"), "notice", v,
			      sizeof(v)));
	assert_string_equal(v, "Eyes fr"); /* truncated to the buffer */
	assert_false(class_arg(A("noticeX=1\n"), "notice", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_false(class_arg(A("notice"), "notice", v, sizeof(v)));
	assert_true(class_arg(A("k="), "k", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_true(class_arg(A("x=1\nk=last"), "k", v, sizeof(v)));
	assert_string_equal(v, "last");
}

static void commands(void **state)
{
	struct class_state s;
	char dir[] = "/tmp/cast-class-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	class_state_init(&s, dir);
	assert_int_equal(class_command(&s, &cfg, "lock", A("notice=考试\n")), 0);
	assert_true(s.locked);
	assert_string_equal(s.lock_notice, "考试");
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("fields=id,ip\nopacity=250\nplace=x\n")),
			 0);
	assert_string_equal(s.wm_fields, "id,ip");
	assert_int_equal(s.wm_opacity, 30);	   /* out of range: default */
	assert_string_equal(s.wm_place, "tiled"); /* unknown: unchanged */
	assert_int_equal(class_command(&s, &cfg, "language", A("lang=zh_TW\n")),
			 0);
	assert_int_equal(class_command(&s, &cfg, "language", A("lang=xx\n")),
			 -EINVAL);
	assert_string_equal(s.language, "zh_TW");

	/* The state survives a restart of the program. */
	{
		struct class_state again;

		class_state_init(&again, dir);
		assert_int_equal(class_state_load(&again), 0);
		assert_true(again.locked);
		assert_string_equal(again.lock_notice, "考试");
		assert_string_equal(again.wm_fields, "id,ip");
		assert_string_equal(again.language, "zh_TW");
	}

	/* Web pages: only the lab's schemes, only plain URLs. */
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=https://example.org/a\n")),
			 0);
	assert_int_equal(s.urls_opened, 1);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=http://example.org/\n")),
			 -EPERM);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=file:///etc/passwd\n")),
			 -EPERM);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=javascript:alert(1)\n")),
			 -EINVAL);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=https://a b\n")),
			 -EINVAL);

	/* Power: the configured commands; their failure is reported. */
	assert_int_equal(class_command(&s, &cfg, "power", A("action=off\n")),
			 0);
	assert_int_equal(class_command(&s, &cfg, "power",
				       A("action=restart\n")),
			 -EIO);
	assert_int_equal(class_command(&s, &cfg, "power", A("action=dance\n")),
			 -EINVAL);
	{
		struct class_cfg missing = cfg;

		missing.poweroff_cmd = "/nonexistent/poweroff";
		assert_int_equal(class_command(&s, &missing, "power",
					       A("action=off\n")),
				 -ENOENT);
	}
	assert_int_equal(class_command(&s, &cfg, "clock-set",
				       A("time_us=1\n")),
			 -EPERM);
	assert_int_equal(class_command(&s, &cfg, "format-disk", A("")),
			 -ENOSYS);
	assert_int_equal(s.refused, 10);

	/* Reset: every default back, persisted. */
	assert_int_equal(class_command(&s, &cfg, "reset", A("")), 0);
	assert_false(s.locked);
	assert_string_equal(s.wm_fields, "");
	assert_string_equal(s.language, "");
	{
		struct class_state again;

		class_state_init(&again, dir);
		assert_int_equal(class_state_load(&again), 0);
		assert_false(again.locked);
	}
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/state", dir);
		unlink(path);
		rmdir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(args),
		cmocka_unit_test(commands),
	};

	cast_log_set_level(CAST_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
