/* Control messages: TLV encoding and a decoder that trusts nothing. */
#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include "cast/error.h"
#include "ctl_int.h"

enum kind { K_STR, K_FIXED, K_U16, K_U32, K_U64, K_I32, K_IPV4, K_BLOB };

#define T(t) (1u << (t))

/* Tag numbering is documented in docs/protocol.md, "Control". */
static const struct field {
	uint16_t tag;
	uint8_t kind;
	uint32_t types;		/* message types this field belongs to */
	uint32_t required;	/* types that must carry it */
	size_t off;		/* into struct cast_msg */
	size_t size;		/* array size (STR, FIXED) or max (BLOB) */
	size_t len_off;		/* BLOB: the size_t length member */
} FIELDS[] = {
#define F(tag, kind, types, req, member, size)                                 \
	{tag, kind, types, req, offsetof(struct cast_msg, member), size, 0}
#define B(tag, types, req, member, max)                                        \
	{tag,                                                                  \
	 K_BLOB,                                                               \
	 types,                                                                \
	 req,                                                                  \
	 offsetof(struct cast_msg, member),                                    \
	 max,                                                                  \
	 offsetof(struct cast_msg, member##_len)}
	F(1, K_STR, T(CAST_MSG_HELLO), 0, hello.presented_id, 64),
	F(2, K_STR, T(CAST_MSG_HELLO), 0, hello.name, 128),
	F(3, K_STR, T(CAST_MSG_HELLO), 0, hello.class_name, 64),
	F(4, K_STR, T(CAST_MSG_HELLO), 0, hello.host, 256),
	F(5, K_STR, T(CAST_MSG_HELLO), 0, hello.machine_id, 64),
	F(6, K_FIXED, T(CAST_MSG_HELLO), 0, hello.mac, 6),
	F(16, K_FIXED, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME), media.key.key,
	  CAST_SRTP_KEY_LEN),
	F(17, K_FIXED, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME),
	  media.key.salt, CAST_SRTP_SALT_LEN),
	F(18, K_U32, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME), media.ssrc, 4),
	F(19, K_IPV4, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME), media.group,
	  16),
	F(20, K_U16, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME), media.port, 2),
	F(21, K_U16, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME), media.channel,
	  2),
	B(22, T(CAST_MSG_WELCOME), 0, class_state, CAST_MSG_STATE_MAX),
	F(23, K_FIXED, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME), teacher_pk,
	  32),
	F(24, K_FIXED, T(CAST_MSG_WELCOME), T(CAST_MSG_WELCOME), teacher_sig,
	  64),
	F(32, K_U64, T(CAST_MSG_PING), T(CAST_MSG_PING), time_us, 8),
	F(33, K_U64, T(CAST_MSG_PONG), T(CAST_MSG_PONG), echo_time_us, 8),
	F(34, K_U64, T(CAST_MSG_PONG), T(CAST_MSG_PONG), peer_time_us, 8),
	B(48, T(CAST_MSG_STATS), T(CAST_MSG_STATS), stats_json,
	  CAST_MSG_STATS_MAX),
	F(49, K_U16, T(CAST_MSG_UNICAST_REQUEST), T(CAST_MSG_UNICAST_REQUEST),
	  udp_port, 2),
	F(64, K_U32, T(CAST_MSG_COMMAND) | T(CAST_MSG_REPLY),
	  T(CAST_MSG_COMMAND) | T(CAST_MSG_REPLY), cmd_id, 4),
	F(65, K_STR, T(CAST_MSG_COMMAND) | T(CAST_MSG_EVENT),
	  T(CAST_MSG_COMMAND) | T(CAST_MSG_EVENT), cmd_name, 64),
	B(66, T(CAST_MSG_COMMAND) | T(CAST_MSG_EVENT), 0, cmd_args,
	  CAST_MSG_ARGS_MAX),
	F(67, K_I32, T(CAST_MSG_REPLY), T(CAST_MSG_REPLY), status, 4),
	B(68, T(CAST_MSG_REPLY), 0, body, CAST_MSG_ARGS_MAX),
#undef F
#undef B
};

#define NFIELDS (sizeof(FIELDS) / sizeof(FIELDS[0]))
#define HDR 4
#define TLV_HDR 6

static bool known_type(unsigned type)
{
	return type >= CAST_MSG_HELLO && type <= CAST_MSG_HEARTBEAT;
}

void cast_msg_init(struct cast_msg *m, enum cast_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = (uint16_t)type;
	m->version = CAST_MSG_VERSION;
}

/* Length of one valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

bool cast__utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t l = s[i] ? utf8_seq(s + i, n - i) : 0;

		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* Printable UTF-8: no NUL, no C0/C1 control characters, no DEL. */
static bool text_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t l;

		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		l = utf8_seq(s + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* ---- strict JSON ----
 *
 * Our own check rather than json-c's parser: json-c's strict mode still
 * takes "1." and raw control characters in strings, which RFC 8259 and the
 * tools that read our output refuse. Everything else reads and writes JSON
 * through json-c (cast_json_*). */

struct jp {
	const char *s;
	size_t n, i;
};

static void j_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
			       p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static bool j_lit(struct jp *p, const char *lit)
{
	size_t l = strlen(lit);

	if (p->n - p->i < l || memcmp(p->s + p->i, lit, l))
		return false;
	p->i += l;
	return true;
}

static bool j_digits(struct jp *p)
{
	size_t start = p->i;

	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > start;
}

static bool j_number(struct jp *p)
{
	if (p->i < p->n && p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (!j_digits(p))
		return false;
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (!j_digits(p))
			return false;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (!j_digits(p))
			return false;
	}
	return true;
}

static bool j_string(struct jp *p)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return false;
	p->i++;
	while (p->i < p->n) {
		uint8_t c = (uint8_t)p->s[p->i];
		size_t l;

		if (c == '"') {
			p->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++p->i >= p->n)
				return false;
			c = (uint8_t)p->s[p->i];
			if (c == 'u') {
				for (int k = 1; k <= 4; k++) {
					char h;

					if (p->i + (size_t)k >= p->n)
						return false;
					h = p->s[p->i + (size_t)k];
					if (!((h >= '0' && h <= '9') ||
					      (h >= 'a' && h <= 'f') ||
					      (h >= 'A' && h <= 'F')))
						return false;
				}
				p->i += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c) || !c)
				return false;
			p->i++;
			continue;
		}
		l = utf8_seq((const uint8_t *)p->s + p->i, p->n - p->i);
		if (!l)
			return false;
		p->i += l;
	}
	return false;
}

static bool j_value(struct jp *p, int depth);

static bool j_container(struct jp *p, int depth, bool object)
{
	char close = object ? '}' : ']';

	if (depth > 8)
		return false;
	p->i++; /* the opening bracket */
	j_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		return true;
	}
	for (;;) {
		if (object) {
			if (!j_string(p))
				return false;
			j_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return false;
			p->i++;
			j_ws(p);
		}
		if (!j_value(p, depth))
			return false;
		j_ws(p);
		if (p->i >= p->n)
			return false;
		if (p->s[p->i] == close) {
			p->i++;
			return true;
		}
		if (p->s[p->i] != ',')
			return false;
		p->i++;
		j_ws(p);
	}
}

static bool j_value(struct jp *p, int depth)
{
	if (p->i >= p->n)
		return false;
	switch (p->s[p->i]) {
	case '{':
		return j_container(p, depth + 1, true);
	case '[':
		return j_container(p, depth + 1, false);
	case '"':
		return j_string(p);
	case 't':
		return j_lit(p, "true");
	case 'f':
		return j_lit(p, "false");
	case 'n':
		return j_lit(p, "null");
	default:
		return j_number(p);
	}
}

int cast_json_validate_object(const char *s, size_t len)
{
	struct jp p = {s, len, 0};

	if (!s)
		return CAST_EMALFORMED;
	j_ws(&p);
	if (p.i >= p.n || s[p.i] != '{' || !j_container(&p, 1, true))
		return CAST_EMALFORMED;
	j_ws(&p);
	return p.i == p.n ? 0 : CAST_EMALFORMED;
}

/* ---- encode ---- */

/* Size of field f's value in m, or 0 to omit it; -1 for an invalid value. */
static long field_len(const struct cast_msg *m, const struct field *f,
		      bool required)
{
	const uint8_t *base = (const uint8_t *)m + f->off;

	switch (f->kind) {
	case K_STR: {
		size_t l = strnlen((const char *)base, f->size);

		if (l == f->size)
			return -1;
		return (long)l;
	}
	case K_FIXED:
		if (!required) {
			size_t i;

			for (i = 0; i < f->size && !base[i]; i++)
				;
			if (i == f->size)
				return 0;
		}
		return (long)f->size;
	case K_U16:
		return 2;
	case K_U32:
	case K_I32:
	case K_IPV4:
		return 4;
	case K_U64:
		return 8;
	case K_BLOB: {
		size_t l = *(const size_t *)((const uint8_t *)m + f->len_off);
		const void *ptr = *(const void *const *)base;

		if (l > f->size || (l && !ptr))
			return -1;
		return (long)l;
	}
	}
	return -1;
}

static int put_value(const struct cast_msg *m, const struct field *f,
		     uint8_t *p, size_t len)
{
	const uint8_t *base = (const uint8_t *)m + f->off;
	struct in_addr a;

	switch (f->kind) {
	case K_STR:
	case K_FIXED:
		memcpy(p, base, len);
		break;
	case K_U16:
		cast__put16(p, *(const uint16_t *)base);
		break;
	case K_U32:
		cast__put32(p, *(const uint32_t *)base);
		break;
	case K_I32:
		cast__put32(p, (uint32_t)*(const int32_t *)base);
		break;
	case K_U64:
		cast__put64(p, *(const uint64_t *)base);
		break;
	case K_IPV4:
		if (strnlen((const char *)base, f->size) == f->size ||
		    inet_pton(AF_INET, (const char *)base, &a) != 1)
			return CAST_ERROR(EINVAL);
		memcpy(p, &a, 4); /* already network order */
		break;
	case K_BLOB:
		if (len)
			memcpy(p, *(const void *const *)base, len);
		break;
	}
	return 0;
}

int cast_msg_encode(const struct cast_msg *m, uint8_t *buf, size_t size)
{
	size_t need = HDR, pos;
	int ret;

	if (!m || !known_type(m->type))
		return CAST_ERROR(EINVAL);
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &FIELDS[i];
		bool req = f->required & T(m->type);
		long l;

		if (!(f->types & T(m->type)))
			continue;
		l = field_len(m, f, req);
		if (l < 0)
			return CAST_ERROR(EINVAL);
		if (l || req)
			need += TLV_HDR + (size_t)l;
	}
	if (need > CAST_MSG_MAX)
		return CAST_ERROR(EMSGSIZE);
	if (!buf)
		return (int)need;
	if (size < need)
		return CAST_ERROR(ENOSPC);
	cast__put16(buf, m->type);
	cast__put16(buf + 2, CAST_MSG_VERSION);
	pos = HDR;
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &FIELDS[i];
		bool req = f->required & T(m->type);
		long l;

		if (!(f->types & T(m->type)))
			continue;
		l = field_len(m, f, req);
		if (!l && !req)
			continue;
		cast__put16(buf + pos, f->tag);
		cast__put32(buf + pos + 2, (uint32_t)l);
		ret = put_value(m, f, buf + pos + TLV_HDR, (size_t)l);
		if (ret)
			return ret;
		pos += TLV_HDR + (size_t)l;
	}
	return (int)pos;
}

/* ---- decode ---- */

static const struct field *find_field(uint16_t tag, unsigned type,
				      size_t *index)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		if (FIELDS[i].tag == tag && (FIELDS[i].types & T(type))) {
			*index = i;
			return &FIELDS[i];
		}
	}
	return NULL;
}

static int get_value(struct cast_msg *m, const struct field *f,
		     const uint8_t *p, size_t len)
{
	uint8_t *base = (uint8_t *)m + f->off;
	size_t want = 0;

	switch (f->kind) {
	case K_STR:
		if (len >= f->size || !text_ok(p, len))
			return CAST_EMALFORMED;
		memcpy(base, p, len);
		base[len] = '\0';
		return 0;
	case K_BLOB:
		if (len > f->size)
			return CAST_EMALFORMED;
		*(const uint8_t **)base = p;
		*(size_t *)((uint8_t *)m + f->len_off) = len;
		return 0;
	case K_FIXED:
		want = f->size;
		break;
	case K_U16:
		want = 2;
		break;
	case K_U32:
	case K_I32:
	case K_IPV4:
		want = 4;
		break;
	case K_U64:
		want = 8;
		break;
	}
	if (len != want)
		return CAST_EMALFORMED;
	switch (f->kind) {
	case K_FIXED:
		memcpy(base, p, len);
		break;
	case K_U16:
		*(uint16_t *)base = cast__get16(p);
		break;
	case K_U32:
		*(uint32_t *)base = cast__get32(p);
		break;
	case K_I32:
		*(int32_t *)base = (int32_t)cast__get32(p);
		break;
	case K_U64:
		*(uint64_t *)base = cast__get64(p);
		break;
	case K_IPV4:
		if (!inet_ntop(AF_INET, p, (char *)base, (socklen_t)f->size))
			return CAST_EMALFORMED;
		break;
	default:
		break;
	}
	return 0;
}

int cast_msg_decode(const uint8_t *buf, size_t len, struct cast_msg *out)
{
	struct cast_msg m;
	uint32_t seen = 0;
	size_t pos = HDR;
	unsigned type;
	int ret;

	if (!out || (!buf && len))
		return CAST_ERROR(EINVAL);
	if (len < HDR || len > CAST_MSG_MAX)
		return CAST_EMALFORMED;
	type = cast__get16(buf);
	if (cast__get16(buf + 2) != CAST_MSG_VERSION)
		return CAST_ERROR(EPROTONOSUPPORT);
	if (!known_type(type))
		return CAST_ERROR(ENOMSG);
	cast_msg_init(&m, (enum cast_msg_type)type);
	while (pos < len) {
		const struct field *f;
		uint16_t tag;
		size_t flen, idx = 0;

		if (len - pos < TLV_HDR)
			return CAST_EMALFORMED;
		tag = cast__get16(buf + pos);
		flen = cast__get32(buf + pos + 2);
		pos += TLV_HDR;
		if (flen > len - pos)
			return CAST_EMALFORMED;
		f = find_field(tag, type, &idx);
		if (f) {
			if (seen & (1u << idx))
				return CAST_EMALFORMED;
			seen |= 1u << idx;
			ret = get_value(&m, f, buf + pos, flen);
			if (ret)
				return ret;
		}
		pos += flen;
	}
	for (size_t i = 0; i < NFIELDS; i++)
		if ((FIELDS[i].required & T(type)) && !(seen & (1u << i)))
			return CAST_EMALFORMED;
	if (type == CAST_MSG_STATS &&
	    cast_json_validate_object(m.stats_json, m.stats_json_len))
		return CAST_EMALFORMED;
	*out = m;
	return 0;
}
