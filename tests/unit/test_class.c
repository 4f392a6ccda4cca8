/* The class protocol's typed commands and events: encode, decode, refuse;
 * the class taking typed events. */
#include <errno.h>
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

#define A(s) (const uint8_t *)(s), sizeof(s) - 1
/* A media key (28 bytes) and a public key (32 bytes) in hex. */
#define K56 "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
#define K64 "1111111111111111111111111111111111111111111111111111111111111111"

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
		case CAST_CMD_SCREEN_SEND:
			c->u.screen_send.kind = CAST_SCREEN_DEMO;
			c->u.screen_send.on = true;
			snprintf(c->u.screen_send.to.group,
				 sizeof(c->u.screen_send.to.group),
				 "239.255.0.9");
			c->u.screen_send.to.port = 21012;
			memset(&c->u.screen_send.to.key, 0x5a,
			       sizeof(c->u.screen_send.to.key));
			memset(c->u.screen_send.seed, 0xc3, 32);
			c->u.screen_send.fps = 30;
			c->u.screen_send.kbps = 6000;
			break;
		case CAST_CMD_SCREEN_SHOW:
			c->u.screen_show.demo = true;
			snprintf(c->u.screen_show.from,
				 sizeof(c->u.screen_show.from), "学生2");
			snprintf(c->u.screen_show.from_stream.group,
				 sizeof(c->u.screen_show.from_stream.group),
				 "239.255.0.9");
			c->u.screen_show.from_stream.port = 21012;
			memset(c->u.screen_show.pk, 0x11, 32);
			c->u.screen_show.lock = true;
			break;
		case CAST_CMD_REMOTE:
			c->u.remote.on = true;
			break;
		case CAST_CMD_BROADCAST:
			c->u.broadcast.on = true;
			break;
		case CAST_CMD_REMOTE_INPUT:
			snprintf(c->u.input.word, sizeof(c->u.input.word),
				 "type=Hello, 世界");
			break;
		default:
			break;
		}
		roundtrip(c);
		if (t == CAST_CMD_SCREEN_SHOW) {
			/* The teacher's film, with its sound. */
			c->u.screen_show.film = true;
			c->u.screen_show.audio = true;
			c->u.screen_show.lock = false;
			snprintf(c->u.screen_show.from,
				 sizeof(c->u.screen_show.from), "film.mkv");
			c->u.screen_show.from_stream.port = 30710;
			roundtrip(c);
			c->u.screen_show.film = false;
			roundtrip(c);
		}
		if (t == CAST_CMD_SCREEN_SEND) {
			/* A wall stream goes to the teacher: no group. */
			c->u.screen_send.kind = CAST_SCREEN_WALL;
			memset(c->u.screen_send.to.group, 0,
			       sizeof(c->u.screen_send.to.group));
			c->u.screen_send.width = 320;
			c->u.screen_send.height = 180;
			c->u.screen_send.fps = 2;
			roundtrip(c);
		}
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
	assert_int_equal(cast_command_decode("broadcast-state", A(""), c),
			 CAST_ERROR(EINVAL)); /* on= is required */
	assert_int_equal(cast_command_decode("broadcast-state", A("on=2\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("broadcast-state",
					     A("on=0\0to=s1\0"), c),
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
	/* Students' screens: a demo only to a group, a wall stream only to
	 * the teacher, keys of their exact size, rates in range. */
	assert_int_equal(cast_command_decode("screen-send",
					     A("kind=demo\0on=1\0group=10.0.0.1\0"
					       "port=21002\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("screen-send",
					     A("kind=wall\0on=1\0group=239.255.0.1\0"
					       "port=21002\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("screen-send",
					     A("kind=film\0on=0\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("screen-show",
					     A("demo=1\0from=s2\0group=239.255.0.1\0"
					       "port=21002\0key=00\0pk=00\0lock=1\0"), c),
			 CAST_ERROR(EINVAL));
	/* A film's flags: 0 or 1, absent meaning 0 (a demo as before); its
	 * sound's ports (port + 2, + 3) must exist. */
	assert_int_equal(cast_command_decode("screen-show",
					     A("demo=1\0from=s2\0group=239.255.0.1\0"
					       "port=21002\0key=" K56 "\0pk=" K64
					       "\0lock=1\0"), c),
			 0);
	assert_false(c->u.screen_show.film);
	assert_false(c->u.screen_show.audio);
	assert_int_equal(cast_command_decode("screen-show",
					     A("demo=1\0from=f\0group=239.255.0.1\0"
					       "port=30010\0key=" K56 "\0pk=" K64
					       "\0lock=0\0film=1\0audio=1\0"), c),
			 0);
	assert_true(c->u.screen_show.film);
	assert_true(c->u.screen_show.audio);
	assert_int_equal(cast_command_decode("screen-show",
					     A("demo=1\0from=f\0group=239.255.0.1\0"
					       "port=30010\0key=" K56 "\0pk=" K64
					       "\0lock=0\0film=2\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("screen-show",
					     A("demo=1\0from=f\0group=239.255.0.1\0"
					       "port=65533\0key=" K56 "\0pk=" K64
					       "\0lock=0\0audio=1\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("remote-control", A("on=2\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("remote-input",
					     A("word=rm -rf /\0"), c),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_command_decode("remote-input",
					     A("word=click=-1,5\0"), c),
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
	/* A film's sound on ports that do not exist. */
	cast_command_init(c, CAST_CMD_SCREEN_SHOW);
	c->u.screen_show.demo = c->u.screen_show.audio = true;
	snprintf(c->u.screen_show.from, sizeof(c->u.screen_show.from), "f");
	snprintf(c->u.screen_show.from_stream.group,
		 sizeof(c->u.screen_show.from_stream.group), "239.255.0.1");
	c->u.screen_show.from_stream.port = 65533;
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

/* ---- events: what a student tells the teacher ---- */

static struct cast_event *ev_new(enum cast_event_type t)
{
	struct cast_event *e = malloc(sizeof(*e));

	assert_non_null(e);
	cast_event_init(e, t);
	return e;
}

/* Encodes `in`, decodes it under its name, compares; returns the payload's
 * length. A homework chunk is compared by its bytes (decode borrows). */
static int ev_roundtrip(const struct cast_event *in)
{
	struct cast_event *out = ev_new(CAST_EV_HAND);
	int n = cast_event_encode(in, NULL, 0);
	uint8_t *buf;

	assert_true(n >= 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(cast_event_encode(in, buf, (size_t)n), n);
	if (n)
		assert_int_equal(cast_event_encode(in, buf, (size_t)n - 1),
				 -ENOSPC);
	assert_int_equal(cast_event_decode(cast_event_name(in->type), buf,
					   (size_t)n, out),
			 0);
	assert_int_equal(out->type, in->type);
	if (in->type == CAST_EV_HOMEWORK) {
		assert_int_equal(out->u.homework.len, in->u.homework.len);
		assert_memory_equal(out->u.homework.chunk, in->u.homework.chunk,
				    in->u.homework.len);
		assert_ptr_equal(out->u.homework.chunk, buf);
	} else {
		assert_memory_equal(out, in, sizeof(*in));
	}
	free(buf);
	free(out);
	return n;
}

/* A homework chunk header: version 1, `kind`, collection 0x01020304. */
static void hw_chunk(uint8_t *b, int kind)
{
	memset(b, 0, 16);
	b[0] = CAST_HW_VERSION;
	b[1] = (uint8_t)kind;
	b[4] = 1, b[5] = 2, b[6] = 3, b[7] = 4;
}

static void every_event_roundtrips(void **state)
{
	struct cast_event *e;
	uint8_t chunk[CAST_HW_DONE_SIZE];

	(void)state;
	assert_string_equal(cast_event_name(CAST_EV_HOMEWORK), CAST_HW_EVENT);
	assert_string_equal(cast_event_name(CAST_EV_VIEW), CAST_VIEW_EVENT);
	for (int t = 1; t < CAST_EV_COUNT_; t++)
		assert_int_equal(cast_event_type_of(cast_event_name(t)), t);
	assert_null(cast_event_name(CAST_EV_COUNT_));
	assert_int_equal(cast_event_type_of("plain"), 0);

	e = ev_new(CAST_EV_HAND);
	e->u.hand.up = true;
	assert_int_equal(ev_roundtrip(e), 2); /* "up", as version 1 sent it */
	e->u.hand.up = false;
	assert_int_equal(ev_roundtrip(e), 4);
	free(e);

	e = ev_new(CAST_EV_MESSAGE);
	snprintf(e->u.message.text, sizeof(e->u.message.text),
		 "Sir,\n\t\"=1+1\" is it? 老师");
	assert_int_equal(ev_roundtrip(e), (int)strlen(e->u.message.text));
	memset(e->u.message.text, 'm', sizeof(e->u.message.text) - 1);
	e->u.message.text[sizeof(e->u.message.text) - 1] = '\0';
	assert_int_equal(ev_roundtrip(e), CAST_NOTICE_MAX - 1);
	free(e);

	e = ev_new(CAST_EV_VIEW);
	e->u.view = (struct cast_view){.fullscreen = true, .focused = true};
	ev_roundtrip(e);
	e->u.view = (struct cast_view){.headless = true};
	ev_roundtrip(e);
	free(e);

	e = ev_new(CAST_EV_ASSETS);
	snprintf(e->u.assets.json, sizeof(e->u.assets.json),
		 "{\"host\":\"pc-12\",\"cores\":4,\"gpu\":null}");
	ev_roundtrip(e);
	free(e);

	e = ev_new(CAST_EV_FILE);
	e->u.file.transfer_id = 4000000000u;
	e->u.file.status = -EIO;
	snprintf(e->u.file.path, sizeof(e->u.file.path), "unit 3/sheet.pdf");
	ev_roundtrip(e);
	e->u.file.status = 0;
	ev_roundtrip(e);
	free(e);

	e = ev_new(CAST_EV_HOMEWORK);
	hw_chunk(chunk, CAST_HW_DONE);
	e->u.homework.chunk = chunk;
	e->u.homework.len = sizeof(chunk);
	ev_roundtrip(e);
	{
		struct cast_event *d = ev_new(CAST_EV_HAND);

		assert_int_equal(cast_event_decode("hw", chunk, sizeof(chunk),
						   d),
				 0);
		assert_int_equal(d->u.homework.kind, CAST_HW_DONE);
		assert_int_equal(d->u.homework.collection, 0x01020304);
		free(d);
	}
	free(e);
}

/* Each refusal, on the way out and on the way in; `*out` untouched. */
static void event_refusals(void **state)
{
	struct cast_event *e = ev_new(CAST_EV_MESSAGE), *out;
	static uint8_t big[CAST_EVENT_HW_MAX + 1];
	char text[CAST_NOTICE_MAX + 1];
	uint8_t chunk[16];

	(void)state;
	out = ev_new(CAST_EV_HAND);
	out->u.hand.up = true;
	/* Unknown event, unknown type. */
	assert_int_equal(cast_event_decode("dance", A("x"), out), -ENOSYS);
	assert_int_equal(cast_event_decode(NULL, A("x"), out), -ENOSYS);
	e->type = CAST_EV_COUNT_;
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL);
	assert_int_equal(cast_event_encode(NULL, NULL, 0), -EINVAL);
	e->type = CAST_EV_MESSAGE;
	/* Hand: exactly "up" or "down". */
	assert_int_equal(cast_event_decode("hand", A("UP"), out), -EINVAL);
	assert_int_equal(cast_event_decode("hand", A("up\0"), out), -EINVAL);
	assert_int_equal(cast_event_decode("hand", A(""), out), -EINVAL);
	/* Message: not empty, no NUL, UTF-8, within CAST_NOTICE_MAX. */
	assert_int_equal(cast_event_decode("message", A(""), out), -EINVAL);
	assert_int_equal(cast_event_decode("message", A("a\0b"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("message", A("\xff\xfe"), out),
			 -EINVAL);
	memset(text, 'm', sizeof(text));
	assert_int_equal(cast_event_decode("message", (uint8_t *)text,
					   CAST_NOTICE_MAX, out),
			 -EMSGSIZE);
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL); /* empty */
	memset(e->u.message.text, 'm', sizeof(e->u.message.text));
	assert_int_equal(cast_event_encode(e, NULL, 0), -EMSGSIZE);
	snprintf(e->u.message.text, sizeof(e->u.message.text), "\xc3(");
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL);
	/* View: a key missing or not 0/1. */
	assert_int_equal(cast_event_decode("view", A("headless=2\0"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("view", A("fullscreen=1\0"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("view", A("x"), out), -EINVAL);
	/* Assets: one JSON object within CAST_EVENT_ASSETS_MAX. */
	assert_int_equal(cast_event_decode("assets", A("[1]"), out), -EINVAL);
	assert_int_equal(cast_event_decode("assets", A("{\"a\":1"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("assets", A("{}\0"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("assets", (uint8_t *)big,
					   CAST_EVENT_ASSETS_MAX, out),
			 -EMSGSIZE);
	cast_event_init(e, CAST_EV_ASSETS);
	snprintf(e->u.assets.json, sizeof(e->u.assets.json), "{");
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL);
	/* File: id 1.., status <= 0, a safe relative path; each present. */
	assert_int_equal(cast_event_decode("file",
					   A("id=0\0status=0\0path=a\0"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("file",
					   A("id=1\0status=5\0path=a\0"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode(
				 "file", A("id=1\0status=0\0path=../a\0"), out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("file", A("id=1\0status=0\0"),
					   out),
			 -EINVAL);
	assert_int_equal(cast_event_decode("file", A("id=1\0id=1\0"), out),
			 -EINVAL);
	cast_event_init(e, CAST_EV_FILE);
	snprintf(e->u.file.path, sizeof(e->u.file.path), "a");
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL); /* no id */
	e->u.file.transfer_id = 1;
	e->u.file.status = 1;
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL);
	e->u.file.status = 0;
	snprintf(e->u.file.path, sizeof(e->u.file.path), "/etc/passwd");
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL);
	/* Homework: a chunk header of version 1, a known kind, reserved 0,
	 * within CAST_EVENT_HW_MIN..MAX. */
	hw_chunk(chunk, CAST_HW_END);
	assert_int_equal(cast_event_decode("hw", chunk, 7, out), -EINVAL);
	chunk[0] = 2;
	assert_int_equal(cast_event_decode("hw", chunk, 12, out), -EINVAL);
	hw_chunk(chunk, 7);
	assert_int_equal(cast_event_decode("hw", chunk, 12, out), -EINVAL);
	hw_chunk(chunk, 0);
	assert_int_equal(cast_event_decode("hw", chunk, 12, out), -EINVAL);
	hw_chunk(chunk, CAST_HW_END);
	chunk[3] = 1;
	assert_int_equal(cast_event_decode("hw", chunk, 12, out), -EINVAL);
	hw_chunk(big, CAST_HW_DATA);
	assert_int_equal(cast_event_decode("hw", big, sizeof(big), out),
			 -EMSGSIZE);
	assert_int_equal(cast_event_decode("hw", big, sizeof(big) - 1, out),
			 0);
	cast_event_init(e, CAST_EV_HOMEWORK);
	e->u.homework.chunk = chunk;
	e->u.homework.len = 12;
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL);
	e->u.homework.chunk = NULL;
	assert_int_equal(cast_event_encode(e, NULL, 0), -EINVAL);
	/* Nothing was written by a refusal (the last decode succeeded). */
	assert_int_equal(out->type, CAST_EV_HOMEWORK);
	free(e);
	free(out);
}

/* The class's state as cast_class_json shows it. */
static char *class_json(struct cast_class *c)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_class_json(c, &j);
	cast_json_end(&j);
	return cast_json_take(&j);
}

static void expect_json(struct cast_class *c, const char *part)
{
	char *s = class_json(c);

	assert_non_null(s);
	if (!strstr(s, part))
		fail_msg("%s not in %s", part, s);
	free(s);
}

/* The class takes typed events (hands, messages, files); a message that
 * did not decode is counted, never kept; an unknown one is ignored. (The
 * listings that need a control plane are the integration tests'.) */
static void class_dispatches_events(void **state)
{
	struct cast_class_cfg cfg;
	struct cast_class *c = NULL;
	struct cast_student_info *in = calloc(1, sizeof(*in));
	struct cast_event *e = ev_new(CAST_EV_HAND);

	(void)state;
	assert_non_null(in);
	cast_class_cfg_init(&cfg);
	cfg.channel = 7;
	assert_int_equal(cast_class_new(&c, &cfg), 0);
	snprintf(in->id, sizeof(in->id), "seat-0a0b0c0d0e0f");
	snprintf(in->name, sizeof(in->name), "Ana");
	in->online = in->responding = true;
	in->event = e;
	in->event_name = "hand";
	e->u.hand.up = true;
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	expect_json(c, "\"hands_raised\":1,");
	snprintf(in->id, sizeof(in->id), "seat-0a0b0c0d0e10");
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	expect_json(c, "\"hands_raised\":2,");
	e->u.hand.up = false;
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	expect_json(c, "\"hands_raised\":1,");

	cast_event_init(e, CAST_EV_MESSAGE);
	snprintf(e->u.message.text, sizeof(e->u.message.text), "a\nb");
	in->event_name = "message";
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	/* One that did not decode: counted, nothing kept. */
	in->event = NULL;
	in->event_error = -EINVAL;
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	/* A newer student's event this class does not know. */
	in->event_error = 0;
	in->event_name = "dance";
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	expect_json(c, "\"messages\":1,\"messages_refused\":1,");

	in->event = e;
	cast_event_init(e, CAST_EV_FILE);
	e->u.file.transfer_id = 9;
	e->u.file.status = -ENOSPC;
	snprintf(e->u.file.path, sizeof(e->u.file.path), "f.txt");
	in->event_name = "file";
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	e->u.file.status = 0;
	cast_class_event(in, CAST_STUDENT_EVENT, c);
	expect_json(c, "\"files_reported\":2,\"files_failed\":1,");
	free(e);
	free(in);
	cast_class_free(&c);
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

static void expect_reply(struct cast_voice_ctl *vc, int argc, char **argv,
			 const char *part)
{
	char *out = cast_voice_ctl(argc, argv, 1, vc);

	assert_non_null(out);
	if (!strstr(out, part))
		fail_msg("%s not in %s", part, out);
	free(out);
}

/* The "voice" verb: refusals change nothing; on and off reach the sender
 * (the students' side is test_voice_select's). */
static void voice_verb(void **state)
{
	struct cast_class_cfg cfg;
	struct cast_class *c = NULL;
	struct cast_voice_sender_cfg vcfg;
	struct cast_voice_sender *v = NULL;
	struct cast_voice_sender_stats st;
	struct cast_voice_ctl *vc = NULL;
	char *on[] = {"voice", "on"}, *off[] = {"voice", "off"};
	char *bad[] = {"voice", "loud"}, *none[] = {"voice"};
	char *off_to[] = {"voice", "off", "--to", "s1"};
	char *twice[] = {"voice", "on", "--lock", "--lock"};
	char *unknown[] = {"voice", "on", "--to", "nobody"};

	(void)state;
	cast_class_cfg_init(&cfg);
	cfg.channel = 7;
	assert_int_equal(cast_class_new(&c, &cfg), 0);
	cast_voice_sender_cfg_init(&vcfg);
	vcfg.channel = 7;
	vcfg.insecure = true;
	vcfg.source = "none";
	vcfg.enabled = false;
	assert_int_equal(cast_voice_sender_new(&v, &vcfg), 0);
	assert_int_equal(cast_voice_ctl_new(&vc, NULL, v), -EINVAL);
	assert_int_equal(cast_voice_ctl_new(&vc, c, NULL), -EINVAL);
	assert_int_equal(cast_voice_ctl_new(&vc, c, v), 0);

	expect_reply(vc, 2, bad, "\"ok\":false,\"error\":\"usage: voice");
	expect_reply(vc, 1, none, "\"ok\":false,\"error\":\"usage: voice");
	expect_reply(vc, 4, twice, "\"ok\":false,\"error\":\"usage: voice");
	expect_reply(vc, 4, off_to, "voice off is for everyone");
	expect_reply(vc, 4, unknown, "unknown student(s): nobody");
	cast_voice_sender_stats(v, &st);
	assert_false(st.enabled);

	expect_reply(vc, 2, on, "\"ok\":true,\"voice\":\"on\",\"to\":\"all\"");
	cast_voice_sender_stats(v, &st);
	assert_true(st.enabled);
	expect_reply(vc, 2, off, "\"ok\":true,\"voice\":\"off\"");
	cast_voice_sender_stats(v, &st);
	assert_false(st.enabled);

	cast_class_free(&c);
	cast_voice_ctl_free(&vc);
	assert_null(vc);
	cast_voice_sender_free(&v);
}

static void expect_bcast(struct cast_broadcast_ctl *bc, int argc,
			 char **argv, const char *part)
{
	char *out = cast_broadcast_ctl(argc, argv, 1, bc);

	assert_non_null(out);
	if (!strstr(out, part))
		fail_msg("%s not in %s", part, out);
	free(out);
}

static uint64_t frames_sent(struct cast_sender *s)
{
	struct cast_sender_stats st;

	cast_sender_stats(s, &st);
	return st.frames_sent;
}

/* Waits (at most 20 s: a loaded machine) until the sender sent more than
 * `n` frames; returns how many it has. */
static uint64_t frames_beyond(struct cast_sender *s, uint64_t n)
{
	for (int i = 0; i < 2000 && frames_sent(s) <= n; i++)
		usleep(10000);
	return frames_sent(s);
}

/*
 * The "broadcast" verb: refusals change nothing; off stops the sender (no
 * frame goes out however long it stays off), is in the class's state and
 * refuses to be sent as a typed command; on starts it again with a
 * keyframe.
 */
static void broadcast_verb(void **state)
{
	struct cast_class_cfg cfg;
	struct cast_class *c = NULL;
	struct cast_sender_cfg scfg;
	struct cast_sender *snd = NULL;
	struct cast_sender_stats st;
	struct cast_broadcast_ctl *bc = NULL;
	struct cast_json j;
	char *on[] = {"broadcast", "on"}, *off[] = {"broadcast", "off"};
	char *status[] = {"broadcast", "status"};
	char *bad[] = {"broadcast", "pause"};
	char *to[] = {"broadcast", "off", "--to", "s1"};
	char *typed[] = {"broadcast-state", "on=0"};
	char *out;
	uint64_t n, keys;

	(void)state;
	cast_class_cfg_init(&cfg);
	cfg.channel = 7;
	assert_int_equal(cast_class_new(&c, &cfg), 0);
	cast_sender_cfg_init(&scfg);
	scfg.channel = 7;
	scfg.insecure = true;
	scfg.feedback = false;
	scfg.capture.backend = "testpattern";
	scfg.capture.width = 320;
	scfg.capture.height = 180;
	scfg.encoder.fps = 30;
	scfg.dest_addr = "127.0.0.1";
	assert_int_equal(cast_sender_new(&snd, &scfg), 0);
	assert_int_equal(cast_broadcast_ctl_new(&bc, NULL, snd, NULL), -EINVAL);
	assert_int_equal(cast_broadcast_ctl_new(&bc, c, NULL, NULL), -EINVAL);
	assert_int_equal(cast_broadcast_ctl_new(&bc, c, snd, NULL), 0);
	assert_true(cast_broadcast_on(bc));
	assert_int_equal(cast_sender_start(snd), 0);
	n = frames_beyond(snd, 0);

	expect_bcast(bc, 2, bad, "\"ok\":false,\"error\":\"usage: broadcast");
	expect_bcast(bc, 4, to, "\"ok\":false,\"error\":\"usage: broadcast");
	expect_bcast(bc, 2, status, "\"ok\":true,\"broadcast\":\"on\"");
	assert_true(cast_sender_active(snd));
	/* Students may not be told it as a typed command: only the verb. */
	out = cast_class_ctl(2, typed, 0, c);
	assert_true(!out || strstr(out, "\"ok\":false"));
	free(out);

	expect_bcast(bc, 2, off, "\"ok\":true,\"broadcast\":\"off\"");
	assert_false(cast_broadcast_on(bc));
	cast_json_begin(&j);
	cast_class_json(c, &j);
	cast_json_end(&j);
	assert_non_null(strstr(j.buf, "\"broadcasting\":false"));
	cast_json_free(&j);
	/* Off: nothing more goes out (a frame being encoded may finish). */
	usleep(100000);
	n = frames_sent(snd);
	usleep(300000);
	assert_int_equal(frames_sent(snd), n);
	cast_sender_stats(snd, &st);
	assert_false(st.active);
	assert_int_equal(st.stops, 1);
	keys = st.keyframes;
	/* Off again changes nothing. */
	assert_int_equal(cast_sender_set_active(snd, false), 0);

	expect_bcast(bc, 2, on, "\"ok\":true,\"broadcast\":\"on\"");
	assert_true(frames_beyond(snd, n) > n);
	cast_sender_stats(snd, &st);
	assert_true(st.active);
	assert_true(st.keyframes > keys);

	cast_sender_free(&snd);
	cast_class_free(&c);
	cast_broadcast_ctl_free(&bc);
	assert_null(bc);
}

/* `ctl ARGS...` over the teacher's local control socket; the reply. */
static char *ctl(const char *sock, int argc, const char *const *argv)
{
	char *reply = NULL;

	assert_true(cast_ctl_request(sock, argc, argv, &reply) > 0);
	return reply;
}

static void expect_menu(const char *sock, const char *part)
{
	const char *argv[] = {"menu"};
	char *out = ctl(sock, 1, argv);

	if (!strstr(out, part))
		fail_msg("%s not in %s", part, out);
	free(out);
}

/* A class served by a real control plane on loopback (no students). */
static void class_with_ctl(struct cast_class **c, struct cast_teacher_ctl **t,
			   const struct cast_key *k, const char *settings,
			   const char *sock)
{
	struct cast_class_cfg cfg;
	struct cast_teacher_ctl_cfg tc;

	cast_class_cfg_init(&cfg);
	cfg.channel = 7;
	cfg.settings_path = settings;
	assert_int_equal(cast_class_new(c, &cfg), 0);
	cast_teacher_ctl_cfg_init(&tc);
	tc.channel = 7;
	tc.key = k;
	tc.bind_addr = "127.0.0.1";
	tc.control_port = -1;
	/* Beacons to a loopback port nobody reads: nothing leaves. */
	tc.beacon_dest = "127.0.0.1:9";
	tc.ctl_socket = sock;
	tc.media.channel = 7;
	cast_channel_group(7, tc.media.group, sizeof(tc.media.group));
	tc.media.port = (uint16_t)cast_channel_port(7, CAST_PORT_VIDEO);
	tc.on_student_event = cast_class_event;
	tc.on_ctl_command = cast_class_ctl;
	tc.arg = *c;
	assert_int_equal(cast_teacher_ctl_new(t, &tc), 0);
	cast_class_set_ctl(*c, *t);
}

/* The custom menu (F16) knows every toolbar button: the whiteboard,
 * recording and voice hide like the others, and stay hidden in the next
 * lesson (the settings file). */
static void menu_every_button(void **state)
{
	struct cast_class *c = NULL;
	struct cast_teacher_ctl *t = NULL;
	struct cast_key k;
	char dir[] = "/tmp/cast-menu-XXXXXX", path[64], sock[64];
	const char *hide_wb[] = {"menu", "hide", "whiteboard"};
	const char *hide_rec[] = {"menu", "hide", "record"};
	const char *hide_voice[] = {"menu", "hide", "voice"};
	const char *show_rec[] = {"menu", "show", "record"};
	const char *after = "{\"feature\":\"whiteboard\",\"shown\":false},"
			    "{\"feature\":\"record\",\"shown\":true},"
			    "{\"feature\":\"voice\",\"shown\":false}";
	char *out;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/console.conf", dir);
	snprintf(sock, sizeof(sock), "%s/t.sock", dir);
	assert_int_equal(cast_key_generate(&k), 0);
	assert_int_equal(cast_key_new_signer(&k), 0);
	class_with_ctl(&c, &t, &k, path, sock);
	expect_menu(sock, "{\"feature\":\"whiteboard\",\"shown\":true},"
			  "{\"feature\":\"record\",\"shown\":true},"
			  "{\"feature\":\"voice\",\"shown\":true}");
	/* The students' screens' buttons and the floating bar too. */
	expect_menu(sock, "{\"feature\":\"wall\",\"shown\":true},"
			  "{\"feature\":\"demo\",\"shown\":true},"
			  "{\"feature\":\"control\",\"shown\":true},"
			  "{\"feature\":\"bar\",\"shown\":true}");
	expect_menu(sock, "{\"feature\":\"broadcast\",\"shown\":true}");
	free(ctl(sock, 3, hide_wb));
	free(ctl(sock, 3, hide_rec));
	free(ctl(sock, 3, hide_voice));
	out = ctl(sock, 3, show_rec);
	if (!strstr(out, after))
		fail_msg("%s not in %s", after, out);
	free(out);
	cast_teacher_ctl_free(&t);
	cast_class_free(&c);

	/* The next lesson reads them back. */
	class_with_ctl(&c, &t, &k, path, sock);
	expect_menu(sock, after);
	cast_teacher_ctl_free(&t);
	cast_class_free(&c);
	cast_key_wipe(&k);
	unlink(path);
	unlink(sock);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_command_roundtrips),
		cmocka_unit_test(decode_refuses),
		cmocka_unit_test(encode_refuses),
		cmocka_unit_test(watermark_helpers),
		cmocka_unit_test(view_decode),
		cmocka_unit_test(every_event_roundtrips),
		cmocka_unit_test(event_refusals),
		cmocka_unit_test(class_dispatches_events),
		cmocka_unit_test(view_left),
		cmocka_unit_test(student_state),
		cmocka_unit_test(added_verbs),
		cmocka_unit_test(voice_verb),
		cmocka_unit_test(broadcast_verb),
		cmocka_unit_test(menu_every_button),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
