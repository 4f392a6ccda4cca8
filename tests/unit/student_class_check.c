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

/* A literal argument list (its NULs included, not the final one). */
#define A(s) (const uint8_t *)(s), sizeof(s) - 1

static const struct class_cfg cfg = {
	.open_cmd = "true",
	.poweroff_cmd = "true",
	.reboot_cmd = "false",
	.url_schemes = "https",
	.allow_clock_set = false,
};

/*
 * Partial updates change only what they name; a bad value changes nothing;
 * texts arrive whole (newlines, tabs, quotes) or are refused, never cut.
 */
static void partial(void **state)
{
	static char big[CLASS_TEXT + 16];
	struct cast_args a = {0};
	struct class_state s;

	(void)state;
	class_state_init(&s, NULL);
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("fields=id,name,ip\0text=3A\0")),
			 0);
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("opacity=70\0")),
			 0);
	assert_string_equal(s.wm_fields, "id,name,ip");
	assert_string_equal(s.wm_text, "3A");
	assert_int_equal(s.wm_opacity, 70);
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("opacity=abc\0fields=id\0")),
			 -EINVAL);
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("fields=id,passwd\0")),
			 -EINVAL);
	assert_string_equal(s.wm_fields, "id,name,ip");
	assert_int_equal(s.wm_opacity, 70);
	assert_int_equal(class_command(&s, &cfg, "watermark", A("text=\0")),
			 0);
	assert_string_equal(s.wm_text, "");
	assert_string_equal(s.wm_fields, "id,name,ip");

	/* A message with newlines, tabs and quotes arrives whole. */
	assert_int_equal(class_command(&s, &cfg, "message",
				       A("text=line 1\nline\t\"2\"\0")),
			 0);
	assert_string_equal(s.msg_text, "line 1\nline\t\"2\"");
	/* The longest message fits; one byte more is refused, not cut. */
	memset(big, 'm', CLASS_TEXT - 1);
	big[CLASS_TEXT - 1] = '\0';
	assert_int_equal(cast_args_add(&a, "text", big), 0);
	assert_int_equal(class_command(&s, &cfg, "message", a.buf, a.len), 0);
	assert_int_equal(strlen(s.msg_text), CLASS_TEXT - 1);
	cast_args_free(&a);
	big[CLASS_TEXT - 1] = 'm';
	assert_int_equal(cast_args_add(&a, "text", big), 0);
	assert_int_equal(class_command(&s, &cfg, "message", a.buf, a.len),
			 -EMSGSIZE);
	assert_int_equal(strlen(s.msg_text), CLASS_TEXT - 1);
	cast_args_free(&a);
	/* Arguments not in the protocol's form run nothing. */
	assert_int_equal(class_command(&s, &cfg, "lock", A("notice=x")),
			 -EINVAL);
	assert_int_equal(class_command(&s, &cfg, "lock",
				       A("notice=a\0notice=b\0")),
			 -EINVAL);
	assert_false(s.locked);
}

static void commands(void **state)
{
	struct class_state s;
	char dir[] = "/tmp/cast-class-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	class_state_init(&s, dir);
	assert_int_equal(class_command(&s, &cfg, "lock", A("notice=考试\0")), 0);
	assert_true(s.locked);
	assert_string_equal(s.lock_notice, "考试");
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("fields=id,ip\0")),
			 0);
	assert_string_equal(s.wm_fields, "id,ip");
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("opacity=250\0")),
			 -EINVAL); /* out of range: refused */
	assert_int_equal(class_command(&s, &cfg, "watermark",
				       A("place=x\0")),
			 -EINVAL); /* unknown: refused */
	assert_int_equal(s.wm_opacity, 30);
	assert_string_equal(s.wm_place, "tiled");
	assert_int_equal(class_command(&s, &cfg, "language", A("lang=zh_TW\0")),
			 0);
	assert_int_equal(class_command(&s, &cfg, "language", A("lang=xx\0")),
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
				       A("url=https://example.org/a\0")),
			 0);
	assert_int_equal(s.urls_opened, 1);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=http://example.org/\0")),
			 -EPERM);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=file:///etc/passwd\0")),
			 -EPERM);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=javascript:alert(1)\0")),
			 -EINVAL);
	assert_int_equal(class_command(&s, &cfg, "web",
				       A("url=https://a b\0")),
			 -EINVAL);

	/* Power: the configured commands; their failure is reported. */
	assert_int_equal(class_command(&s, &cfg, "power", A("action=off\0")),
			 0);
	assert_int_equal(class_command(&s, &cfg, "power",
				       A("action=restart\0")),
			 -EIO);
	assert_int_equal(class_command(&s, &cfg, "power", A("action=dance\0")),
			 -EINVAL);
	{
		struct class_cfg missing = cfg;

		missing.poweroff_cmd = "/nonexistent/poweroff";
		assert_int_equal(class_command(&s, &missing, "power",
					       A("action=off\0")),
				 -ENOENT);
	}
	assert_int_equal(class_command(&s, &cfg, "clock-set",
				       A("time_us=1\0")),
			 -EPERM);
	assert_int_equal(class_command(&s, &cfg, "format-disk", A("")),
			 -ENOSYS);
	assert_int_equal(s.refused, 12);

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
		cmocka_unit_test(partial),
		cmocka_unit_test(commands),
	};

	cast_log_set_level(CAST_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
