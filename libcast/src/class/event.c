/* The class protocol's events: what a student tells the teacher, typed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/class.h"
#include "cast/error.h"
#include "core/core_int.h"

/*
 * Wire names and payload forms are those of the first students that sent
 * them, so students and teachers of protocol version 1 still understand
 * each other: "hand" is the bytes "up" or "down", "message" the text's
 * bytes, "assets" the JSON object's bytes, "hw" the homework chunk, "view"
 * and "file" key=value lists (cast_args).
 */
static const char *const NAMES[CAST_EV_COUNT_] = {
    [CAST_EV_HAND] = "hand", [CAST_EV_MESSAGE] = "message",
    [CAST_EV_VIEW] = "view", [CAST_EV_ASSETS] = "assets",
    [CAST_EV_FILE] = "file", [CAST_EV_HOMEWORK] = CAST_HW_EVENT,
};

const char *cast_event_name(enum cast_event_type type)
{
	return type > 0 && type < CAST_EV_COUNT_ ? NAMES[type] : NULL;
}

enum cast_event_type cast_event_type_of(const char *name)
{
	for (int t = 1; name && t < CAST_EV_COUNT_; t++)
		if (!strcmp(NAMES[t], name))
			return (enum cast_event_type)t;
	return 0;
}

void cast_event_init(struct cast_event *e, enum cast_event_type type)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
}

/* A text of `len` bytes (no NUL) that fits `size` with its NUL. */
static int text_check(const uint8_t *s, size_t len, size_t size, bool required)
{
	if (len >= size)
		return CAST_ERROR(EMSGSIZE);
	if (required && !len)
		return CAST_ERROR(EINVAL);
	if ((len && memchr(s, '\0', len)) || !cast__utf8_valid(s, len))
		return CAST_ERROR(EINVAL);
	return 0;
}

/* A NUL-terminated text held in an array of `size` bytes. */
static int text_of(const char *s, size_t size, bool required)
{
	size_t n = strnlen(s, size);

	return n == size ? CAST_ERROR(EMSGSIZE)
	                 : text_check((const uint8_t *)s, n, size, required);
}

static int assets_check(const char *json, size_t len)
{
	if (len >= CAST_EVENT_ASSETS_MAX)
		return CAST_ERROR(EMSGSIZE);
	return cast_json_validate_object(json, len) ? CAST_ERROR(EINVAL) : 0;
}

/* The common header of a homework chunk: version, a known kind, reserved
 * zero. What depends on the chunks before it is the receiver's. */
static int chunk_check(const uint8_t *b, size_t len, int *kind,
                       uint32_t *collection)
{
	if (len > CAST_EVENT_HW_MAX)
		return CAST_ERROR(EMSGSIZE);
	if (!b || len < CAST_EVENT_HW_MIN || b[0] != CAST_HW_VERSION ||
	    b[1] < CAST_HW_BEGIN || b[1] > CAST_HW_PLAN || b[2] || b[3])
		return CAST_ERROR(EINVAL);
	*kind = b[1];
	*collection = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
	              (uint32_t)b[6] << 8 | b[7];
	return 0;
}

static void view_args(const struct cast_view *v, struct cast_args *a)
{
	if (v->headless) {
		cast_args_add(a, "headless", "1");
		return;
	}
	cast_args_add(a, "fullscreen", v->fullscreen ? "1" : "0");
	cast_args_add(a, "visible", v->visible ? "1" : "0");
	cast_args_add(a, "focused", v->focused ? "1" : "0");
	cast_args_add(a, "picture", v->picture ? "1" : "0");
}

/* Copies `n` bytes out, or only counts them (buf NULL). */
static int put(uint8_t *buf, size_t size, const void *p, size_t n)
{
	if (n > INT32_MAX)
		return CAST_ERROR(EMSGSIZE);
	if (buf) {
		if (n > size)
			return CAST_ERROR(ENOSPC);
		if (n)
			memcpy(buf, p, n);
	}
	return (int)n;
}

int cast_event_encode(const struct cast_event *e, uint8_t *buf, size_t size)
{
	struct cast_args a = {0};
	int kind, ret = 0;
	uint32_t coll;

	if (!e || !cast_event_name(e->type))
		return CAST_ERROR(EINVAL);
	switch (e->type) {
	case CAST_EV_HAND:
		return e->u.hand.up ? put(buf, size, "up", 2)
		                    : put(buf, size, "down", 4);
	case CAST_EV_MESSAGE:
		ret =
		    text_of(e->u.message.text, sizeof(e->u.message.text), true);
		return ret ? ret
		           : put(buf, size, e->u.message.text,
		                 strlen(e->u.message.text));
	case CAST_EV_ASSETS: {
		size_t n = strnlen(e->u.assets.json, sizeof(e->u.assets.json));

		ret = assets_check(e->u.assets.json, n);
		return ret ? ret : put(buf, size, e->u.assets.json, n);
	}
	case CAST_EV_HOMEWORK:
		ret = chunk_check(e->u.homework.chunk, e->u.homework.len, &kind,
		                  &coll);
		return ret ? ret
		           : put(buf, size, e->u.homework.chunk,
		                 e->u.homework.len);
	case CAST_EV_VIEW:
		view_args(&e->u.view, &a);
		break;
	case CAST_EV_FILE:
		if (!e->u.file.transfer_id || e->u.file.status > 0 ||
		    strnlen(e->u.file.path, sizeof(e->u.file.path)) ==
		        sizeof(e->u.file.path) ||
		    cast_file_path_check(e->u.file.path))
			return CAST_ERROR(EINVAL);
		cast_args_addf(&a, "id", "%u", e->u.file.transfer_id);
		cast_args_addf(&a, "status", "%d", (int)e->u.file.status);
		cast_args_add(&a, "path", e->u.file.path);
		break;
	default:
		return CAST_ERROR(EINVAL);
	}
	ret = a.err ? a.err : put(buf, size, a.buf, a.len);
	cast_args_free(&a);
	return ret;
}

static int flag(const uint8_t *args, size_t len, const char *key, bool *out)
{
	long long v;
	int ret = cast_args_get_int(args, len, key, 0, 1, &v);

	if (ret != 1)
		return CAST_EMALFORMED;
	*out = v == 1;
	return 0;
}

int cast_view_decode(const uint8_t *args, size_t len, struct cast_view *v)
{
	struct cast_view r = {0};
	long long h;
	int ret;

	if (!v || (len && !args) || cast_args_check(args, len))
		return CAST_EMALFORMED;
	ret = cast_args_get_int(args, len, "headless", 0, 1, &h);
	if (ret < 0)
		return CAST_EMALFORMED;
	if (ret == 1 && h == 1) {
		r.headless = true;
	} else if (flag(args, len, "fullscreen", &r.fullscreen) ||
	           flag(args, len, "visible", &r.visible) ||
	           flag(args, len, "focused", &r.focused) ||
	           flag(args, len, "picture", &r.picture)) {
		return CAST_EMALFORMED;
	}
	*v = r;
	return 0;
}

/* A file's outcome: id, status and path, each once; other keys (a later
 * version's) are ignored. */
static int file_decode(const uint8_t *p, size_t len, struct cast_event *e)
{
	long long x;

	if ((len && !p) || cast_args_check(p, len))
		return CAST_ERROR(EINVAL);
	if (cast_args_get_int(p, len, "id", 1, UINT32_MAX, &x) != 1)
		return CAST_ERROR(EINVAL);
	e->u.file.transfer_id = (uint32_t)x;
	if (cast_args_get_int(p, len, "status", -4095, 0, &x) != 1)
		return CAST_ERROR(EINVAL);
	e->u.file.status = (int32_t)x;
	if (cast_args_get(p, len, "path", e->u.file.path,
	                  sizeof(e->u.file.path)) != 1 ||
	    cast_file_path_check(e->u.file.path))
		return CAST_ERROR(EINVAL);
	return 0;
}

int cast_event_decode(const char *name, const uint8_t *p, size_t len,
                      struct cast_event *out)
{
	enum cast_event_type type = cast_event_type_of(name);
	struct cast_event *e;
	int ret = 0;

	if (!out || (len && !p))
		return CAST_ERROR(EINVAL);
	if (!type)
		return CAST_ERROR(ENOSYS);
	/* Decoded aside so `*out` is written on success only. */
	e = malloc(sizeof(*e));
	if (!e)
		return CAST_ERROR(ENOMEM);
	cast_event_init(e, type);
	switch (type) {
	case CAST_EV_HAND:
		if (len == 2 && !memcmp(p, "up", 2))
			e->u.hand.up = true;
		else if (!(len == 4 && !memcmp(p, "down", 4)))
			ret = CAST_ERROR(EINVAL);
		break;
	case CAST_EV_MESSAGE:
		ret = text_check(p, len, sizeof(e->u.message.text), true);
		if (!ret)
			memcpy(e->u.message.text, p, len);
		break;
	case CAST_EV_ASSETS:
		ret = assets_check((const char *)p, len);
		if (!ret && memchr(p, '\0', len))
			ret = CAST_ERROR(EINVAL);
		if (!ret)
			memcpy(e->u.assets.json, p, len);
		break;
	case CAST_EV_VIEW:
		ret = cast_view_decode(p, len, &e->u.view) ? CAST_ERROR(EINVAL)
		                                           : 0;
		break;
	case CAST_EV_FILE:
		ret = file_decode(p, len, e);
		break;
	case CAST_EV_HOMEWORK:
		ret = chunk_check(p, len, &e->u.homework.kind,
		                  &e->u.homework.collection);
		e->u.homework.chunk = p;
		e->u.homework.len = len;
		break;
	default:
		ret = CAST_ERROR(ENOSYS);
		break;
	}
	if (!ret)
		*out = *e;
	free(e);
	return ret;
}

/* Encodes `e` into a buffer of its own size. */
static int encode_alloc(const struct cast_event *e, uint8_t **out)
{
	int n = cast_event_encode(e, NULL, 0);

	if (n < 0)
		return n;
	*out = malloc(n ? (size_t)n : 1);
	if (!*out)
		return CAST_ERROR(ENOMEM);
	n = cast_event_encode(e, *out, (size_t)n);
	if (n < 0) {
		free(*out);
		*out = NULL;
	}
	return n;
}

int cast_student_send_event(struct cast_student_ctl *s,
                            const struct cast_event *e)
{
	uint8_t *buf = NULL;
	int n;

	if (!s)
		return CAST_ERROR(EINVAL);
	n = encode_alloc(e, &buf);
	if (n >= 0)
		n = cast_student_ctl_send_event(s, cast_event_name(e->type),
		                                buf, (size_t)n);
	free(buf);
	return n;
}

int cast_student_send_event_wait(struct cast_student_ctl *s, uint64_t session,
                                 const struct cast_event *e, int timeout_ms)
{
	uint8_t *buf = NULL;
	int n;

	if (!s)
		return CAST_ERROR(EINVAL);
	n = encode_alloc(e, &buf);
	if (n >= 0)
		n = cast_student_ctl_send_event_wait(
		    s, session, cast_event_name(e->type), buf, (size_t)n,
		    timeout_ms);
	free(buf);
	return n;
}

int cast_view_report(struct cast_student_ctl *ctl, const struct cast_view *v)
{
	struct cast_event e;

	if (!ctl || !v)
		return CAST_ERROR(EINVAL);
	cast_event_init(&e, CAST_EV_VIEW);
	e.u.view = *v;
	return cast_student_send_event(ctl, &e);
}
