/* Control messages: round trips, and every way a message can be malformed. */
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

/* A hand-made message: header then TLVs. */
struct raw {
	uint8_t b[4096];
	size_t n;
};

static void raw_start(struct raw *r, uint16_t type, uint16_t version)
{
	r->b[0] = (uint8_t)(type >> 8);
	r->b[1] = (uint8_t)type;
	r->b[2] = (uint8_t)(version >> 8);
	r->b[3] = (uint8_t)version;
	r->n = 4;
}

static void raw_tlv(struct raw *r, uint16_t tag, uint32_t len,
		    const void *v, size_t vlen)
{
	r->b[r->n++] = (uint8_t)(tag >> 8);
	r->b[r->n++] = (uint8_t)tag;
	r->b[r->n++] = (uint8_t)(len >> 24);
	r->b[r->n++] = (uint8_t)(len >> 16);
	r->b[r->n++] = (uint8_t)(len >> 8);
	r->b[r->n++] = (uint8_t)len;
	memcpy(r->b + r->n, v, vlen);
	r->n += vlen;
}

static int decode(const struct raw *r, struct cast_msg *m)
{
	/* Exact-size heap copy so ASan sees any read past the end. */
	uint8_t *copy = malloc(r->n ? r->n : 1);
	int ret;

	memcpy(copy, r->b, r->n);
	ret = cast_msg_decode(copy, r->n, m);
	free(copy);
	return ret;
}

static int round_trip(const struct cast_msg *in, struct cast_msg *out,
		      uint8_t *buf, size_t size)
{
	int n = cast_msg_encode(in, NULL, 0);

	assert_true(n > 0);
	assert_int_equal(cast_msg_encode(in, buf, size), n);
	assert_int_equal(cast_msg_encode(in, buf, (size_t)n - 1),
			 CAST_ERROR(ENOSPC));
	assert_int_equal(cast_msg_decode(buf, (size_t)n, out), 0);
	assert_int_equal(out->type, in->type);
	assert_int_equal(out->version, CAST_MSG_VERSION);
	return n;
}

static void hello(void **state)
{
	struct cast_msg m, o;
	uint8_t buf[2048];

	(void)state;
	cast_msg_init(&m, CAST_MSG_HELLO);
	strcpy(m.hello.presented_id, "seat-12");
	strcpy(m.hello.name, "Li Lei 李雷");
	strcpy(m.hello.class_name, "7B");
	strcpy(m.hello.host, "lab3-pc12");
	strcpy(m.hello.machine_id, "0123456789abcdef0123456789abcdef");
	memcpy(m.hello.mac, "\x02\x00\x5e\x10\x00\x01", 6);
	round_trip(&m, &o, buf, sizeof(buf));
	assert_string_equal(o.hello.presented_id, "seat-12");
	assert_string_equal(o.hello.name, "Li Lei 李雷");
	assert_string_equal(o.hello.class_name, "7B");
	assert_string_equal(o.hello.host, "lab3-pc12");
	assert_string_equal(o.hello.machine_id, m.hello.machine_id);
	assert_memory_equal(o.hello.mac, m.hello.mac, 6);

	/* Empty HELLO: every field optional. */
	cast_msg_init(&m, CAST_MSG_HELLO);
	assert_int_equal(round_trip(&m, &o, buf, sizeof(buf)), 4);
}

static void welcome(void **state)
{
	struct cast_msg m, o;
	uint8_t buf[2048];
	static const uint8_t blob[] = "{\"lock\":false}";

	(void)state;
	cast_msg_init(&m, CAST_MSG_WELCOME);
	for (int i = 0; i < CAST_SRTP_KEY_LEN; i++)
		m.media.key.key[i] = (uint8_t)i;
	for (int i = 0; i < CAST_SRTP_SALT_LEN; i++)
		m.media.key.salt[i] = (uint8_t)(0xa0 + i);
	m.media.ssrc = 0xdeadbeef;
	strcpy(m.media.group, "239.255.0.7");
	m.media.port = 40070;
	m.media.channel = 7;
	m.class_state = blob;
	m.class_state_len = sizeof(blob) - 1;
	round_trip(&m, &o, buf, sizeof(buf));
	assert_memory_equal(&o.media, &m.media, sizeof(m.media));
	assert_int_equal(o.class_state_len, sizeof(blob) - 1);
	assert_memory_equal(o.class_state, blob, sizeof(blob) - 1);
	/* Borrowed: points into the encoded buffer. */
	assert_true(o.class_state > buf && o.class_state < buf + sizeof(buf));

	strcpy(m.media.group, "not-an-ip");
	assert_int_equal(cast_msg_encode(&m, buf, sizeof(buf)),
			 CAST_ERROR(EINVAL));
}

static void ping_pong_stats_unicast(void **state)
{
	struct cast_msg m, o;
	uint8_t buf[4096];
	const char *js = "{\"frames_decoded\":120,\"fps\":29.97,"
			 "\"latency\":{\"p50\":41.5},\"multicast_ok\":true}";

	(void)state;
	cast_msg_init(&m, CAST_MSG_PING);
	m.time_us = 0x0102030405060708ull;
	round_trip(&m, &o, buf, sizeof(buf));
	assert_true(o.time_us == m.time_us);

	cast_msg_init(&m, CAST_MSG_PONG);
	m.echo_time_us = 5;
	m.peer_time_us = UINT64_MAX;
	round_trip(&m, &o, buf, sizeof(buf));
	assert_true(o.echo_time_us == 5 && o.peer_time_us == UINT64_MAX);

	cast_msg_init(&m, CAST_MSG_STATS);
	m.stats_json = js;
	m.stats_json_len = strlen(js);
	round_trip(&m, &o, buf, sizeof(buf));
	assert_int_equal(o.stats_json_len, strlen(js));
	assert_memory_equal(o.stats_json, js, strlen(js));

	cast_msg_init(&m, CAST_MSG_UNICAST_REQUEST);
	m.udp_port = 50123;
	round_trip(&m, &o, buf, sizeof(buf));
	assert_int_equal(o.udp_port, 50123);
}

/* The heartbeat is the header alone: 4 bytes (8 with the frame length). */
static void heartbeat(void **state)
{
	struct cast_msg m, o;
	uint8_t buf[64];
	struct raw r;

	(void)state;
	cast_msg_init(&m, CAST_MSG_HEARTBEAT);
	assert_int_equal(cast_msg_encode(&m, NULL, 0), 4);
	round_trip(&m, &o, buf, sizeof(buf));
	assert_int_equal(o.type, CAST_MSG_HEARTBEAT);
	/* A later version's field in it is skipped. */
	raw_start(&r, CAST_MSG_HEARTBEAT, 1);
	raw_tlv(&r, 32, 8, "12345678", 8);
	assert_int_equal(decode(&r, &o), 0);
	assert_int_equal(o.type, CAST_MSG_HEARTBEAT);
}

static void command_reply(void **state)
{
	struct cast_msg m, o;
	uint8_t buf[4096];

	(void)state;
	cast_msg_init(&m, CAST_MSG_COMMAND);
	m.cmd_id = 77;
	strcpy(m.cmd_name, "lock");
	m.cmd_args = (const uint8_t *)"\x00\x01\x02";
	m.cmd_args_len = 3;
	round_trip(&m, &o, buf, sizeof(buf));
	assert_int_equal(o.cmd_id, 77);
	assert_string_equal(o.cmd_name, "lock");
	assert_int_equal(o.cmd_args_len, 3);
	assert_memory_equal(o.cmd_args, "\x00\x01\x02", 3);

	cast_msg_init(&m, CAST_MSG_REPLY);
	m.cmd_id = 77;
	m.status = CAST_ERROR(ENOSYS);
	round_trip(&m, &o, buf, sizeof(buf));
	assert_int_equal(o.status, CAST_ERROR(ENOSYS));
	assert_int_equal(o.body_len, 0);
}

static void encode_errors(void **state)
{
	struct cast_msg m;
	uint8_t buf[64];

	(void)state;
	cast_msg_init(&m, CAST_MSG_HELLO);
	m.type = 99;
	assert_int_equal(cast_msg_encode(&m, buf, sizeof(buf)),
			 CAST_ERROR(EINVAL));
	cast_msg_init(&m, CAST_MSG_HELLO);
	/* No NUL. */
	memset(m.hello.presented_id, 'x', sizeof(m.hello.presented_id));
	assert_int_equal(cast_msg_encode(&m, buf, sizeof(buf)),
			 CAST_ERROR(EINVAL));
	cast_msg_init(&m, CAST_MSG_STATS);
	m.stats_json_len = 3; /* NULL pointer */
	assert_int_equal(cast_msg_encode(&m, buf, sizeof(buf)),
			 CAST_ERROR(EINVAL));
	m.stats_json = "{}";
	m.stats_json_len = CAST_MSG_STATS_MAX + 1;
	assert_int_equal(cast_msg_encode(&m, NULL, 0), CAST_ERROR(EINVAL));
	assert_int_equal(cast_msg_encode(NULL, buf, sizeof(buf)),
			 CAST_ERROR(EINVAL));
}

static void header_errors(void **state)
{
	struct cast_msg m;
	struct raw r;
	uint8_t t[8] = {0, 3, 0, 1, 0, 0x20, 0, 0};

	(void)state;
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(cast_msg_decode(t, n, &m), CAST_EMALFORMED);
	raw_start(&r, CAST_MSG_PING, 2);
	raw_tlv(&r, 32, 8, "12345678", 8);
	assert_int_equal(decode(&r, &m), CAST_ERROR(EPROTONOSUPPORT));
	raw_start(&r, 0, 1);
	assert_int_equal(decode(&r, &m), CAST_ERROR(ENOMSG));
	raw_start(&r, 999, 1);
	assert_int_equal(decode(&r, &m), CAST_ERROR(ENOMSG));
	/* Past the 1 MiB bound, whatever it holds. */
	assert_int_equal(cast_msg_decode(t, CAST_MSG_MAX + 1, &m),
			 CAST_EMALFORMED);
}

static void truncation(void **state)
{
	struct cast_msg m, o;
	uint8_t buf[256];
	int n;

	(void)state;
	cast_msg_init(&m, CAST_MSG_WELCOME);
	strcpy(m.media.group, "239.255.0.7");
	m.media.port = 40070;
	m.media.channel = 7;
	n = cast_msg_encode(&m, buf, sizeof(buf));
	assert_true(n > 4);
	/* Every prefix lacks a required field or cuts one. */
	for (int len = 0; len < n; len++) {
		uint8_t *copy = malloc((size_t)len + 1);

		memcpy(copy, buf, (size_t)len);
		assert_int_equal(cast_msg_decode(copy, (size_t)len, &o),
				 CAST_EMALFORMED);
		free(copy);
	}
}

static void field_errors(void **state)
{
	struct cast_msg m;
	struct raw r;

	(void)state;
	/* Length running past the end (also the 32-bit wrap case). */
	raw_start(&r, CAST_MSG_PING, 1);
	raw_tlv(&r, 32, 9, "12345678", 8);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	raw_start(&r, CAST_MSG_PING, 1);
	raw_tlv(&r, 32, 0xffffffffu, "12345678", 8);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	/* Half a TLV header. */
	raw_start(&r, CAST_MSG_PING, 1);
	raw_tlv(&r, 32, 8, "12345678", 8);
	r.b[r.n++] = 0;
	r.b[r.n++] = 40;
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	/* Duplicate field. */
	raw_start(&r, CAST_MSG_PING, 1);
	raw_tlv(&r, 32, 8, "12345678", 8);
	raw_tlv(&r, 32, 8, "12345678", 8);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	/* Wrong size for a fixed field. */
	raw_start(&r, CAST_MSG_PING, 1);
	raw_tlv(&r, 32, 7, "1234567", 7);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	raw_start(&r, CAST_MSG_UNICAST_REQUEST, 1);
	raw_tlv(&r, 49, 4, "\0\0\0\1", 4);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	raw_start(&r, CAST_MSG_HELLO, 1);
	raw_tlv(&r, 6, 5, "abcde", 5);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	/* Missing required field. */
	raw_start(&r, CAST_MSG_UNICAST_REQUEST, 1);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	/* Unknown tags, and tags of another type, are skipped. */
	raw_start(&r, CAST_MSG_UNICAST_REQUEST, 1);
	raw_tlv(&r, 0x7777, 3, "abc", 3);
	raw_tlv(&r, 32, 8, "12345678", 8);
	raw_tlv(&r, 49, 2, "\x01\x02", 2);
	raw_tlv(&r, 0x7778, 0, "", 0);
	assert_int_equal(decode(&r, &m), 0);
	assert_int_equal(m.udp_port, 0x0102);
	assert_true(m.time_us == 0);
}

static void string_errors(void **state)
{
	struct cast_msg m;
	struct raw r;
	char big[300];
	static const char *const bad[] = {
		"a\0b", "tab\there", "nl\n", "del\x7f", "\xc3",	 /* cut */
		"\xc0\xaf",					 /* overlong */
		"\xed\xa0\x80",					 /* surrogate */
		"\xf4\x90\x80\x80",				 /* > U+10FFFF */
		"\xc2\x85",					 /* C1 NEL */
		"\xff",
	};
	static const size_t bad_len[] = {3, 8, 3, 4, 1, 2, 3, 4, 2, 1};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_start(&r, CAST_MSG_HELLO, 1);
		raw_tlv(&r, 2, (uint32_t)bad_len[i], bad[i], bad_len[i]);
		assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	}
	/* 63 bytes fit presented_id[64]; 64 do not. */
	memset(big, 'x', sizeof(big));
	raw_start(&r, CAST_MSG_HELLO, 1);
	raw_tlv(&r, 1, 63, big, 63);
	assert_int_equal(decode(&r, &m), 0);
	assert_int_equal(strlen(m.hello.presented_id), 63);
	raw_start(&r, CAST_MSG_HELLO, 1);
	raw_tlv(&r, 1, 64, big, 64);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	raw_start(&r, CAST_MSG_HELLO, 1);
	raw_tlv(&r, 4, 256, big, 256);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	/* 4-byte UTF-8 is fine. */
	raw_start(&r, CAST_MSG_HELLO, 1);
	raw_tlv(&r, 2, 4, "\xf0\x9f\x98\x80", 4);
	assert_int_equal(decode(&r, &m), 0);
}

static void stats_json(void **state)
{
	struct cast_msg m;
	struct raw r;
	static const char *const good[] = {
		"{}",
		" { \"a\" : 1 , \"b\":[true,false,null,-0.5e+3,\"x\\u00e9\"] } ",
		"{\"n\":{\"m\":{\"o\":{}}}}",
		"{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
	};
	static const char *const bad[] = {
		"",
		"[]",
		"{",
		"{\"a\":1,}",
		"{\"a\" 1}",
		"{a:1}",
		"{\"a\":01}",
		"{\"a\":1.}",
		"{\"a\":-}",
		"{\"a\":tru}",
		"{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12g4\"}",
		"{\"a\":\"tab\there\"}",
		"{}{}",
		"{\"a\":1}x",
		"{\"a\":[[[[[[[[[[1]]]]]]]]]]}",
		"{\"a\":\"\xff\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(
			cast_json_validate_object(good[i], strlen(good[i])), 0);
		raw_start(&r, CAST_MSG_STATS, 1);
		raw_tlv(&r, 48, (uint32_t)strlen(good[i]), good[i],
			strlen(good[i]));
		assert_int_equal(decode(&r, &m), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			cast_json_validate_object(bad[i], strlen(bad[i])),
			CAST_EMALFORMED);
		raw_start(&r, CAST_MSG_STATS, 1);
		raw_tlv(&r, 48, (uint32_t)strlen(bad[i]), bad[i],
			strlen(bad[i]));
		assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	}
	/* A valid but oversize STATS. */
	{
		size_t n = CAST_MSG_STATS_MAX + 1;
		char *js = malloc(n);
		uint8_t *buf = malloc(n + 16);
		struct cast_msg o;

		memset(js, ' ', n);
		js[0] = '{';
		js[n - 1] = '}';
		memcpy(buf, "\0\5\0\1\0\x30", 6);
		buf[6] = (uint8_t)(n >> 24);
		buf[7] = (uint8_t)(n >> 16);
		buf[8] = (uint8_t)(n >> 8);
		buf[9] = (uint8_t)n;
		memcpy(buf + 10, js, n);
		assert_int_equal(cast_msg_decode(buf, n + 10, &o),
				 CAST_EMALFORMED);
		assert_int_equal(cast_msg_decode(buf, n + 9, &o),
				 CAST_EMALFORMED);
		free(js);
		free(buf);
	}
}

static void output_untouched_on_error(void **state)
{
	struct cast_msg m;
	struct raw r;

	(void)state;
	memset(&m, 0x5a, sizeof(m));
	raw_start(&r, CAST_MSG_HELLO, 1);
	raw_tlv(&r, 1, 3, "abc", 3);
	raw_tlv(&r, 1, 3, "abc", 3);
	assert_int_equal(decode(&r, &m), CAST_EMALFORMED);
	assert_int_equal(m.type, 0x5a5a);
}

/* Command arguments: any text whole, keys checked, no value ever cut. */
static void args_codec(void **state)
{
	struct cast_args a = {0};
	char v[16];
	long long x = 0;

	(void)state;
	assert_int_equal(cast_args_add(&a, "text", "a\nb\t\"c\"=d"), 0);
	assert_int_equal(cast_args_addf(&a, "opacity", "%d", 70), 0);
	assert_int_equal(cast_args_add(&a, "empty", ""), 0);
	assert_int_equal(cast_args_add(&a, "text", "again"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_args_add(&a, "Bad Key", "x"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_args_add(&a, "k", "\xff"), CAST_ERROR(EINVAL));
	assert_int_equal(a.err, CAST_ERROR(EINVAL)); /* the first kept */
	assert_int_equal(cast_args_check(a.buf, a.len), 0);
	assert_int_equal(cast_args_get(a.buf, a.len, "text", v, sizeof(v)), 1);
	assert_string_equal(v, "a\nb\t\"c\"=d");
	assert_int_equal(cast_args_get(a.buf, a.len, "text", v, 5),
			 CAST_ERROR(EMSGSIZE));
	assert_string_equal(v, "");
	assert_int_equal(cast_args_get(a.buf, a.len, "tex", v, sizeof(v)), 0);
	assert_int_equal(cast_args_get(a.buf, a.len, "empty", v, sizeof(v)),
			 1);
	assert_int_equal(cast_args_get_int(a.buf, a.len, "opacity", 0, 100, &x),
			 1);
	assert_int_equal(x, 70);
	assert_int_equal(cast_args_get_int(a.buf, a.len, "opacity", 0, 50, &x),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_args_get_int(a.buf, a.len, "text", 0, 50, &x),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_args_get_int(a.buf, a.len, "none", 0, 50, &x), 0);
	cast_args_free(&a);
	/* Received lists: terminated, keyed, each key once, UTF-8. */
	assert_int_equal(cast_args_check((const uint8_t *)"a=1", 3),
			 CAST_EMALFORMED);
	assert_int_equal(cast_args_check((const uint8_t *)"a=1\0a=2", 8),
			 CAST_EMALFORMED);
	assert_int_equal(cast_args_check((const uint8_t *)"=1\0", 3),
			 CAST_EMALFORMED);
	assert_int_equal(cast_args_check((const uint8_t *)"a\0", 2),
			 CAST_EMALFORMED);
	assert_int_equal(cast_args_check((const uint8_t *)"a=\xc3\0", 4),
			 CAST_EMALFORMED);
	assert_int_equal(cast_args_check((const uint8_t *)"", 0), 0);
}

/* The local socket's request frame. */
static void ctl_frame(void **state)
{
	const char *in[] = {"message", "text=two\nlines\tand \"quotes\"",
			    "--to", "s1"};
	char *argv[CAST_CTL_ARGC_MAX];
	uint8_t *buf, bad[16];
	size_t len;
	int argc = 0;

	(void)state;
	assert_int_equal(cast_ctl_frame_encode(4, in, &buf, &len), 0);
	/* Every prefix asks for more; the whole frame parses. */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(cast_ctl_frame_parse(buf, i, &argc, argv,
						      CAST_CTL_ARGC_MAX),
				 0);
	assert_int_equal(cast_ctl_frame_parse(buf, len, &argc, argv,
					      CAST_CTL_ARGC_MAX),
			 (int)len);
	assert_int_equal(argc, 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(argv[i], in[i]);
	assert_int_equal(cast_ctl_frame_parse(buf, len, &argc, argv, 3),
			 CAST_EMALFORMED);
	free(buf);
	/* Over the limit: known from the header alone. */
	memcpy(bad, "\0\x04\0\x01", 4);
	assert_int_equal(cast_ctl_frame_parse(bad, 4, &argc, argv,
					      CAST_CTL_ARGC_MAX),
			 CAST_ERROR(E2BIG));
	memcpy(bad, "\0\0\0\3ab!", 7); /* last argument unterminated */
	assert_int_equal(cast_ctl_frame_parse(bad, 7, &argc, argv,
					      CAST_CTL_ARGC_MAX),
			 CAST_EMALFORMED);
	memcpy(bad, "\0\0\0\0", 4);
	assert_int_equal(cast_ctl_frame_parse(bad, 4, &argc, argv,
					      CAST_CTL_ARGC_MAX),
			 CAST_EMALFORMED);
	memcpy(bad, "\0\0\0\2\0\0", 6); /* empty command name */
	assert_int_equal(cast_ctl_frame_parse(bad, 6, &argc, argv,
					      CAST_CTL_ARGC_MAX),
			 CAST_EMALFORMED);
	assert_int_equal(cast_ctl_frame_encode(0, in, &buf, &len),
			 CAST_ERROR(EINVAL));
}

/* One CSV writer: formulas escaped, quoted where needed, saved 0600. */
static void csv_writer(void **state)
{
	struct cast_csv c = {0};
	char path[] = "/tmp/cast-csv-XXXXXX", file[64], got[256];
	struct stat st;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/a.csv", path);
	cast_csv_begin(&c, "id,host");
	cast_csv_cell(&c, "s1", false);
	cast_csv_cell(&c, "=HYPERLINK(\"x\")", true);
	cast_csv_cell(&c, "a,b", false);
	cast_csv_cell(&c, NULL, true);
	assert_int_equal(cast_csv_save(&c, file), 0);
	cast_csv_free(&c);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(file, "r");
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	assert_string_equal(got, "\xef\xbb\xbfid,host\r\ns1,\"'=HYPERLINK"
				 "(\"\"x\"\")\"\r\n\"a,b\",\r\n");
	unlink(file);
	rmdir(path);
}

/* Reading members of a student's JSON report. */
static void json_reader(void **state)
{
	const char *j = "{\"locked\":true,\"n\":3,\"host\":\"=X\\\"y\","
			"\"class\":{\"lang\":\"en\"}}";
	char v[8];
	bool b = false;

	(void)state;
	assert_int_equal(cast_json_get_bool(j, strlen(j), "locked", &b), 1);
	assert_true(b);
	assert_int_equal(cast_json_get_bool(j, strlen(j), "n", &b), 0);
	assert_int_equal(cast_json_get_str(j, strlen(j), "n", v, sizeof(v)), 1);
	assert_string_equal(v, "3");
	assert_int_equal(cast_json_get_str(j, strlen(j), "host", v, sizeof(v)),
			 1);
	assert_string_equal(v, "=X\"y");
	assert_int_equal(cast_json_get_str(j, strlen(j), "class.lang", v,
					   sizeof(v)),
			 1);
	assert_string_equal(v, "en");
	assert_int_equal(cast_json_get_str(j, strlen(j), "host", v, 3),
			 CAST_ERROR(EMSGSIZE));
	assert_int_equal(cast_json_get_str(j, strlen(j), "nope", v, sizeof(v)),
			 0);
	assert_int_equal(cast_json_get_bool("{\"a\":", 5, "a", &b),
			 CAST_EMALFORMED);
	assert_int_equal(cast_json_get_bool("[true]", 6, "a", &b),
			 CAST_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hello),
		cmocka_unit_test(args_codec),
		cmocka_unit_test(ctl_frame),
		cmocka_unit_test(csv_writer),
		cmocka_unit_test(json_reader),
		cmocka_unit_test(welcome),
		cmocka_unit_test(ping_pong_stats_unicast),
		cmocka_unit_test(heartbeat),
		cmocka_unit_test(command_reply),
		cmocka_unit_test(encode_errors),
		cmocka_unit_test(header_errors),
		cmocka_unit_test(truncation),
		cmocka_unit_test(field_errors),
		cmocka_unit_test(string_errors),
		cmocka_unit_test(stats_json),
		cmocka_unit_test(output_untouched_on_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
