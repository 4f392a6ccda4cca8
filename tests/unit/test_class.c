/* The class protocol's typed commands: encode, decode, refuse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

#define A(s) (const uint8_t *)(s), sizeof(s) - 1

static struct cast_command *cmd_new(enum cast_command_type t)
{
	struct cast_command *c = malloc(sizeof(*c));

	assert_non_null(c);
	cast_command_init(c, t);
	return c;
}

/* Encodes `in`, decodes it again, and compares the two structs. */
static void roundtrip(const struct cast_command *in)
{
	struct cast_command *out = cmd_new(CAST_CMD_RESET);
	struct cast_args a = {0};

	assert_int_equal(cast_command_encode(in, &a), 0);
	assert_int_equal(cast_command_decode(cast_command_name(in->type),
					     a.buf, a.len, out),
			 0);
	assert_memory_equal(in, out, sizeof(*in));
	cast_args_free(&a);
	free(out);
}

static void every_command_roundtrips(void **state)
{
	struct cast_command *c;

	(void)state;
	for (int t = 1; t < CAST_CMD_COUNT_; t++) {
		c = cmd_new((enum cast_command_type)t);
		switch (t) {
		case CAST_CMD_LOCK:
			snprintf(c->u.lock.notice, sizeof(c->u.lock.notice),
				 "考试\n请关机\t\"现在\"");
			break;
		case CAST_CMD_MESSAGE:
			snprintf(c->u.message.title,
				 sizeof(c->u.message.title), "Notice");
			memset(c->u.message.text, 'm',
			       sizeof(c->u.message.text) - 1);
			break;
		case CAST_CMD_MARQUEE:
			snprintf(c->u.marquee.text, sizeof(c->u.marquee.text),
				 "Test at 10:00");
			c->u.marquee.seconds = 3600;
			break;
		case CAST_CMD_WATERMARK:
			c->u.watermark.set = CAST_WM_SET_FIELDS |
					     CAST_WM_SET_OPACITY;
			c->u.watermark.wm.fields = CAST_WM_ID | CAST_WM_IP;
			c->u.watermark.wm.opacity = 0;
			break;
		case CAST_CMD_LANGUAGE:
			snprintf(c->u.language.lang,
				 sizeof(c->u.language.lang), "zh_TW");
			break;
		case CAST_CMD_WEB:
			snprintf(c->u.web.url, sizeof(c->u.web.url),
				 "https://example.org/a?b=c");
			break;
		case CAST_CMD_POWER:
			c->u.power.action = CAST_POWER_RESTART;
			break;
		case CAST_CMD_CLOCK_SET:
			c->u.clock_set.time_us = 1765000000000000LL;
			break;
		case CAST_CMD_FILE_OFFER:
			c->u.file_offer.transfer_id = 7;
			snprintf(c->u.file_offer.rel_path,
				 sizeof(c->u.file_offer.rel_path),
				 "作业/lesson 1.pdf");
			c->u.file_offer.size = 5000000000ULL;
			memset(c->u.file_offer.sha256, 0xab, 32);
			c->u.file_offer.open_after = true;
			break;
		case CAST_CMD_COLLECT:
			snprintf(c->u.collect.folder,
				 sizeof(c->u.collect.folder), "Documents/hw");
			c->u.collect.collection = 3;
			break;
		default:
			break;
		}
		roundtrip(c);
		free(c);
	}
}

/* What a student refuses: everything outside the command's form. */
static void decode_refuses(void **state)
{
	struct cast_command *c = cmd_new(CAST_CMD_RESET);

	(void)state;
	assert_int_equal(cast_command_decode("format-disk", A(""), c),
			 CAST_ERROR(ENOSYS));
	assert_int_equal(cast_command_decode("lock", A("notice=x"), c),
			 CAST_ERROR(EINVAL)); /* unterminated */
	assert_int_equal(cast_command_decode("lock", A("bogus=1\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("unlock", A("notice=1\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("message", A("title=t\0"), c),
			 CAST_ERROR(EINVAL)); /* no text */
	assert_int_equal(cast_command_decode("marquee",
					     A("text=a\0seconds=0\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("watermark", A("opacity=abc\0"),
					     c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("watermark",
					     A("fields=id,passwd\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("watermark", A("place=top\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("language", A("lang=xx\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("web",
					     A("url=file:///etc/passwd\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("web", A("url=https://a b\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("power", A("action=dance\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("clock-set", A("time_us=-5\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("collect",
					     A("folder=../etc\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("file-offer",
					     A("id=1\0path=/etc/passwd\0size=1\0"
					       "sha256=00\0"),
					     c),
			 CAST_ERROR(EINVAL));
	/* A text over its limit: refused, never cut. */
	{
		static char big[CAST_NOTICE_MAX + 16] = "notice=";
		struct cast_args a = {0};

		memset(big + 7, 'n', CAST_NOTICE_MAX);
		assert_int_equal(cast_args_add(&a, "notice", big + 7), 0);
		assert_int_equal(cast_command_decode("lock", a.buf, a.len, c),
				 CAST_ERROR(EMSGSIZE));
		cast_args_free(&a);
	}
	/* A partial watermark says what it sets. */
	assert_int_equal(cast_command_decode("watermark", A("opacity=70\0"), c),
			 0);
	assert_int_equal(c->u.watermark.set, CAST_WM_SET_OPACITY);
	assert_int_equal(c->u.watermark.wm.opacity, 70);
	free(c);
}

static void encode_refuses(void **state)
{
	struct cast_command *c = cmd_new(CAST_CMD_MESSAGE);
	struct cast_args a = {0};

	(void)state;
	assert_int_equal(cast_command_encode(c, &a), CAST_ERROR(EINVAL));
	memset(c->u.message.text, 'x', sizeof(c->u.message.text));
	assert_int_equal(cast_command_encode(c, &a), CAST_ERROR(EMSGSIZE));
	cast_command_init(c, CAST_CMD_WEB);
	snprintf(c->u.web.url, sizeof(c->u.web.url), "javascript:alert(1)");
	assert_int_equal(cast_command_encode(c, &a), CAST_ERROR(EINVAL));
	cast_command_init(c, CAST_CMD_WATERMARK);
	c->u.watermark.set = CAST_WM_SET_OPACITY;
	c->u.watermark.wm.opacity = 101;
	assert_int_equal(cast_command_encode(c, &a), CAST_ERROR(EINVAL));
	c->type = 0;
	assert_int_equal(cast_command_encode(c, &a), CAST_ERROR(EINVAL));
	cast_args_free(&a);
	free(c);
}

static void watermark_helpers(void **state)
{
	struct cast_watermark w, change;
	char buf[32];

	(void)state;
	assert_int_equal(cast_wm_fields_parse("ip,id"), CAST_WM_ID | CAST_WM_IP);
	assert_int_equal(cast_wm_fields_parse(""), 0);
	assert_int_equal(cast_wm_fields_parse("id,"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_wm_fields_parse("id,,ip"), CAST_ERROR(EINVAL));
	cast_wm_fields_format(CAST_WM_NAME | CAST_WM_CLASS, buf, sizeof(buf));
	assert_string_equal(buf, "name,class");
	assert_int_equal(cast_wm_place_parse("corner"), CAST_WM_CORNER);
	assert_int_equal(cast_wm_place_parse("x"), CAST_ERROR(EINVAL));
	cast_watermark_default(&w);
	w.fields = CAST_WM_ID;
	cast_watermark_default(&change);
	change.opacity = 70;
	cast_watermark_merge(&w, CAST_WM_SET_OPACITY, &change);
	assert_int_equal(w.fields, CAST_WM_ID);
	assert_int_equal(w.opacity, 70);
}

/* A view event's arguments, as cast_view_report writes them. */
static void view_args(struct cast_args *a, const char *items)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", items);
	for (char *kv = strtok_r(buf, " ", &save); kv;
	     kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '=');

		*eq = '\0';
		assert_int_equal(cast_args_add(a, kv, eq + 1), 0);
	}
}

static void view_decode(void **state)
{
	struct cast_args a = {0};
	struct cast_view v;

	(void)state;
	view_args(&a, "fullscreen=1 visible=0 focused=1 picture=1");
	assert_int_equal(cast_view_decode(a.buf, a.len, &v), 0);
	assert_true(!v.headless && v.fullscreen && !v.visible && v.focused &&
		    v.picture);
	cast_args_free(&a);
	memset(&a, 0, sizeof(a));
	view_args(&a, "headless=1");
	assert_int_equal(cast_view_decode(a.buf, a.len, &v), 0);
	assert_true(v.headless);
	cast_args_free(&a);
	/* A key missing, or not 0/1: refused, `v` untouched. */
	memset(&a, 0, sizeof(a));
	view_args(&a, "fullscreen=1 visible=1 focused=1");
	v.headless = false;
	assert_int_equal(cast_view_decode(a.buf, a.len, &v), CAST_EMALFORMED);
	cast_args_free(&a);
	memset(&a, 0, sizeof(a));
	view_args(&a, "fullscreen=2 visible=1 focused=1 picture=1");
	assert_int_equal(cast_view_decode(a.buf, a.len, &v), CAST_EMALFORMED);
	cast_args_free(&a);
	memset(&a, 0, sizeof(a));
	view_args(&a, "headless=yes");
	assert_int_equal(cast_view_decode(a.buf, a.len, &v), CAST_EMALFORMED);
	cast_args_free(&a);
	assert_int_equal(cast_view_decode((const uint8_t *)"x", 1, &v),
			 CAST_EMALFORMED);
	assert_int_equal(cast_view_decode(NULL, 0, &v), CAST_EMALFORMED);
	assert_false(v.headless);
}

static void view_left(void **state)
{
	const struct cast_view ok = {.fullscreen = true, .visible = true,
				     .focused = true, .picture = true};
	struct cast_view v;

	(void)state;
	assert_false(cast_view_left(&ok, 0));
	v = ok;
	v.fullscreen = false;
	assert_true(cast_view_left(&v, 0));
	v = ok;
	v.visible = false;
	assert_true(cast_view_left(&v, 0));
	/* The focus may go for a moment (a notification). */
	v = ok;
	v.focused = false;
	assert_false(cast_view_left(&v, CAST_VIEW_FOCUS_GRACE_MS));
	assert_true(cast_view_left(&v, CAST_VIEW_FOCUS_GRACE_MS + 1));
	/* Before the broadcast shows, or without a window: never left. */
	v.fullscreen = v.visible = false;
	v.picture = false;
	assert_false(cast_view_left(&v, 60000));
	v = (struct cast_view){.headless = true};
	assert_false(cast_view_left(&v, 60000));
	assert_false(cast_view_left(NULL, 0));
}

static void student_state(void **state)
{
	struct cast_student_info in = {0};

	(void)state;
	assert_string_equal(cast_student_state(&in, true, true), "offline");
	assert_string_equal(cast_student_state(NULL, false, false), "offline");
	in.online = true;
	assert_string_equal(cast_student_state(&in, true, false),
			    "not responding");
	in.responding = true;
	assert_string_equal(cast_student_state(&in, true, false),
			    "left broadcast");
	assert_string_equal(cast_student_state(&in, false, true), "watching");
	assert_string_equal(cast_student_state(&in, false, false), "online");
}

static char *echo_verb(int argc, char **argv, uint64_t req, void *arg)
{
	int *calls = arg;

	(*calls)++;
	assert_int_equal(req, 42);
	assert_int_equal(argc, 4);
	assert_string_equal(argv[2], "--to");
	return strdup(argv[1]);
}

/* Verbs other parts of the teacher add to `ctl`: reached whole, never
 * shadowing a built-in. */
static void added_verbs(void **state)
{
	struct cast_class_cfg cfg;
	struct cast_class *c = NULL;
	char *argv[] = {"record", "start", "--to", "s1"};
	char *out;
	int calls = 0;

	(void)state;
	cast_class_cfg_init(&cfg);
	cfg.channel = 7;
	assert_int_equal(cast_class_new(&c, &cfg), 0);
	assert_int_equal(cast_class_add_verb(c, "record", echo_verb, &calls),
			 0);
	assert_int_equal(cast_class_add_verb(c, "record", echo_verb, &calls),
			 -EINVAL);
	assert_int_equal(cast_class_add_verb(c, "lock", echo_verb, &calls),
			 -EINVAL);
	assert_int_equal(cast_class_add_verb(c, "roster", echo_verb, &calls),
			 -EINVAL);
	assert_int_equal(cast_class_add_verb(c, "", echo_verb, &calls),
			 -EINVAL);
	out = cast_class_ctl(4, argv, 42, c);
	assert_non_null(out);
	assert_string_equal(out, "start");
	assert_int_equal(calls, 1);
	free(out);
	cast_class_free(&c);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_command_roundtrips),
		cmocka_unit_test(decode_refuses),
		cmocka_unit_test(encode_refuses),
		cmocka_unit_test(watermark_helpers),
		cmocka_unit_test(view_decode),
		cmocka_unit_test(view_left),
		cmocka_unit_test(student_state),
		cmocka_unit_test(added_verbs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
