/* Remote control input words: parse, format, round trip, every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

static struct cast_input_event parse_ok(const char *word)
{
	struct cast_input_event ev;
	char why[256] = "untouched";
	int rc = cast_input_parse(word, &ev, why, sizeof(why));

	if (rc)
		fail_msg("'%s' refused (%d): %s", word, rc, why);
	assert_string_equal(why, "");
	return ev;
}

/* Formats `word`'s event and checks the result is `want`, which parses to
 * the same event. */
static void round_trip(const char *word, const char *want)
{
	struct cast_input_event ev = parse_ok(word), again;
	char buf[512];
	int n = cast_input_format(&ev, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
	again = parse_ok(buf);
	assert_memory_equal(&ev, &again, sizeof(ev));
}

static void refused(const char *word, int err, const char *hint)
{
	struct cast_input_event ev;
	char why[256] = "";

	memset(&ev, 0x5a, sizeof(ev));
	assert_int_equal(cast_input_parse(word, &ev, why, sizeof(why)), err);
	if (!strstr(why, hint))
		fail_msg("'%s': why '%s' lacks '%s'", word, why, hint);
	/* Nothing written on failure. */
	for (size_t i = 0; i < sizeof(ev); i++)
		assert_int_equal(((unsigned char *)&ev)[i], 0x5a);
	/* why is optional. */
	assert_int_equal(cast_input_parse(word, &ev, NULL, 0), err);
}

static void move_and_click(void **state)
{
	struct cast_input_event ev;

	(void)state;
	ev = parse_ok("move=0,32767");
	assert_int_equal(ev.kind, CAST_INPUT_MOVE);
	assert_int_equal(ev.x, 0);
	assert_int_equal(ev.y, 32767);
	ev = parse_ok("click=640,360");
	assert_int_equal(ev.kind, CAST_INPUT_CLICK);
	assert_int_equal(ev.x, 640);
	assert_int_equal(ev.y, 360);
	assert_int_equal(ev.button, 1);
	assert_int_equal(parse_ok("click=1,2,left").button, 1);
	assert_int_equal(parse_ok("click=1,2,middle").button, 2);
	assert_int_equal(parse_ok("click=1,2,right").button, 3);
	assert_int_equal(parse_ok("click=1,2,RIGHT").button, 3);
	assert_int_equal(parse_ok("move=007,00").x, 7);

	round_trip("move=12,34", "move=12,34");
	round_trip("move=007,0", "move=7,0");
	round_trip("click=5,6", "click=5,6");
	round_trip("click=5,6,left", "click=5,6");
	round_trip("click=5,6,middle", "click=5,6,middle");
	round_trip("click=32767,32767,right", "click=32767,32767,right");
}

static void keys(void **state)
{
	struct cast_input_event ev;

	(void)state;
	ev = parse_ok("key=Return");
	assert_int_equal(ev.kind, CAST_INPUT_KEY);
	assert_string_equal(ev.key, "Return");
	round_trip("key=Return", "key=Return");
	round_trip("key=a", "key=a");
	round_trip("key=A", "key=A");
	round_trip("key=F5", "key=F5");
	round_trip("key=ctrl+c", "key=ctrl+c");
	round_trip("key=ctrl+alt+t", "key=ctrl+alt+t");
	/* Modifiers in a fixed order, names in X's spelling. */
	round_trip("key=super+shift+alt+ctrl+x", "key=ctrl+alt+shift+super+x");
	round_trip("key=Ctrl+return", "key=ctrl+Return");
	round_trip("key=ctrl+ctrl+c", "key=ctrl+c");
	round_trip("key=!", "key=exclam");
	round_trip("key=ctrl++", "key=ctrl+plus");
	round_trip("key=+", "key=plus");
	round_trip("key=é", "key=eacute");
	round_trip("key=BackSpace", "key=BackSpace");
}

static void text(void **state)
{
	struct cast_input_event ev;
	char longest[CAST_INPUT_TEXT_MAX + 8];

	(void)state;
	ev = parse_ok("type=Hello, world! 123");
	assert_int_equal(ev.kind, CAST_INPUT_TYPE);
	assert_string_equal(ev.text, "Hello, world! 123");
	round_trip("type=Hello, world! 123", "type=Hello, world! 123");
	round_trip("type=a=b,c", "type=a=b,c");
	round_trip("type=line\nnext\tcell", "type=line\nnext\tcell");
	round_trip("type=你好，世界", "type=你好，世界");
	round_trip("type= ", "type= ");

	memcpy(longest, "type=", 5);
	memset(longest + 5, 'x', CAST_INPUT_TEXT_MAX - 1);
	longest[5 + CAST_INPUT_TEXT_MAX - 1] = '\0';
	ev = parse_ok(longest);
	assert_int_equal(strlen(ev.text), CAST_INPUT_TEXT_MAX - 1);
}

static void bad_words(void **state)
{
	char big[CAST_INPUT_TEXT_MAX + 16];

	(void)state;
	refused("jump=1,2", CAST_ERROR(EINVAL), "unknown input 'jump'");
	refused("nothing", CAST_ERROR(EINVAL), "has no '='");
	refused("", CAST_ERROR(EINVAL), "has no '='");
	refused("=5", CAST_ERROR(EINVAL), "unknown input");
	refused("Move=1,2", CAST_ERROR(EINVAL), "unknown input");
	/* Numbers. */
	refused("move=a,1", CAST_ERROR(EINVAL), "x 'a' is not a number");
	refused("move=1,b", CAST_ERROR(EINVAL), "y 'b' is not a number");
	refused("move=1.5,2", CAST_ERROR(EINVAL), "not a number");
	refused("move= 1,2", CAST_ERROR(EINVAL), "not a number");
	refused("move=+1,2", CAST_ERROR(EINVAL), "not a number");
	refused("move=,2", CAST_ERROR(EINVAL), "not a number");
	refused("move=1,", CAST_ERROR(EINVAL), "not a number");
	refused("move=-1,5", CAST_ERROR(EINVAL), "x '-1' is negative");
	refused("click=5,-0", CAST_ERROR(EINVAL), "negative");
	refused("move=32768,0", CAST_ERROR(EINVAL), "over 32767");
	refused("move=0,99999999999999999999", CAST_ERROR(EINVAL),
	        "over 32767");
	refused("move=1", CAST_ERROR(EINVAL), "not a position");
	refused("move=", CAST_ERROR(EINVAL), "not a position");
	refused("move=1,2,3", CAST_ERROR(EINVAL), "more than two numbers");
	refused("move=1,2,left", CAST_ERROR(EINVAL), "more than two");
	refused("click=1,2,up", CAST_ERROR(EINVAL), "'up' is not a button");
	refused("click=1,2,", CAST_ERROR(EINVAL), "not a button");
	refused("click=1,2,right,left", CAST_ERROR(EINVAL), "not a button");
	/* Keys. */
	refused("key=", CAST_ERROR(EINVAL), "no key named");
	refused("key=NoSuchKey", CAST_ERROR(EINVAL), "unknown key 'NoSuchKey'");
	refused("key=hyper+a", CAST_ERROR(EINVAL), "'hyper' is not a modifier");
	refused("key=ctrl+", CAST_ERROR(EINVAL), "unknown key 'ctrl+'");
	refused("key=ctrl", CAST_ERROR(EINVAL), "unknown key 'ctrl'");
	refused("key=+a", CAST_ERROR(EINVAL), "'' is not a modifier");
	refused("key=\x07", CAST_ERROR(EINVAL), "unknown key");
	refused("key=\xff", CAST_ERROR(EINVAL), "unknown key");
	memset(big, 0, sizeof(big));
	memcpy(big, "key=", 4);
	memset(big + 4, 'a', CAST_INPUT_KEY_MAX);
	refused(big, CAST_ERROR(EMSGSIZE), "too long");
	/* Text. */
	refused("type=", CAST_ERROR(EINVAL), "no text");
	refused("type=a\x07z", CAST_ERROR(EINVAL), "control character U+0007");
	refused("type=\x1b[2J", CAST_ERROR(EINVAL), "U+001B");
	refused("type=del\x7f", CAST_ERROR(EINVAL), "U+007F");
	refused("type=c1\xc2\x85", CAST_ERROR(EINVAL), "U+0085");
	refused("type=\r", CAST_ERROR(EINVAL), "U+000D");
	refused("type=\xff", CAST_ERROR(EINVAL), "not valid UTF-8");
	refused("type=\xc0\x80", CAST_ERROR(EINVAL), "not valid UTF-8");
	refused("type=\xed\xa0\x80", CAST_ERROR(EINVAL), "not valid UTF-8");
	refused("type=\xf4\x90\x80\x80", CAST_ERROR(EINVAL), "not valid UTF-8");
	refused("type=ab\xe4\xbd", CAST_ERROR(EINVAL), "not valid UTF-8");
	memset(big, 0, sizeof(big));
	memcpy(big, "type=", 5);
	memset(big + 5, 'x', CAST_INPUT_TEXT_MAX);
	refused(big, CAST_ERROR(EMSGSIZE), "too long");

	assert_int_equal(cast_input_parse(NULL, NULL, NULL, 0),
	                 CAST_ERROR(EINVAL));
}

static void format_refusals(void **state)
{
	struct cast_input_event ev;
	char buf[32];

	(void)state;
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	ev.kind = 99;
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	ev.kind = CAST_INPUT_MOVE;
	ev.x = -1;
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	ev.x = 1;
	ev.y = 32768;
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	ev.kind = CAST_INPUT_CLICK;
	ev.y = 2;
	ev.button = 0;
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	ev.button = 4;
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	ev.button = 3;
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "click=1,2,right");
	/* Exactly the room for the NUL, then one byte short. */
	assert_int_equal(cast_input_format(&ev, buf, 16), 15);
	assert_int_equal(cast_input_format(&ev, buf, 15), CAST_ERROR(ENOSPC));
	assert_int_equal(cast_input_format(&ev, NULL, 0), CAST_ERROR(ENOSPC));

	ev.kind = CAST_INPUT_KEY;
	memset(ev.key, 'a', sizeof(ev.key)); /* no NUL */
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	strcpy(ev.key, "NoSuchKey");
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	strcpy(ev.key, "alt+ctrl+Delete");
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)), 19);
	assert_string_equal(buf, "key=ctrl+alt+Delete");

	ev.kind = CAST_INPUT_TYPE;
	ev.text[0] = '\0';
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	strcpy(ev.text, "bell\a");
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	memset(ev.text, 'x', sizeof(ev.text)); /* no NUL */
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
	memset(ev.text, 'x', sizeof(ev.text) - 1);
	ev.text[sizeof(ev.text) - 1] = '\0';
	assert_int_equal(cast_input_format(&ev, buf, sizeof(buf)),
	                 CAST_ERROR(ENOSPC));
	assert_int_equal(cast_input_format(NULL, buf, sizeof(buf)),
	                 CAST_ERROR(EINVAL));
}

/* Without a display the injector says so instead of crashing. */
static void injector_no_display(void **state)
{
	struct cast_injector *in = (struct cast_injector *)&state;

	(void)state;
	assert_int_equal(cast_injector_new(&in, ":4093"), CAST_ERROR(ENODEV));
	assert_ptr_equal(in, (struct cast_injector *)&state);
	in = NULL;
	cast_injector_free(&in);
	cast_injector_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(move_and_click),
	    cmocka_unit_test(keys),
	    cmocka_unit_test(text),
	    cmocka_unit_test(bad_words),
	    cmocka_unit_test(format_refusals),
	    cmocka_unit_test(injector_no_display),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
