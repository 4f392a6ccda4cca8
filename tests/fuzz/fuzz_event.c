/*
 * libFuzzer target: a student's EVENT as the teacher's control plane
 * decodes it (cast_event_decode). Whatever decodes must re-encode, and the
 * encoding must decode to the same event (decode → encode → decode is
 * stable); a refusal is one of the documented errors and writes nothing.
 *
 * Input: one byte choosing the event's name (its low bits: one of the
 * known names, or one no version knows), then the payload.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/class.h"
#include "cast/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct cast_event *a, const struct cast_event *b)
{
	if (a->type != b->type)
		return false;
	if (a->type != CAST_EV_HOMEWORK)
		return !memcmp(a, b, sizeof(*a));
	return a->u.homework.len == b->u.homework.len &&
	       a->u.homework.kind == b->u.homework.kind &&
	       a->u.homework.collection == b->u.homework.collection &&
	       !memcmp(a->u.homework.chunk, b->u.homework.chunk,
	               a->u.homework.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cast_event ev, again, untouched;
	const char *name;
	uint8_t *payload, *enc;
	size_t len;
	int rc, n;

	if (!size)
		return 0;
	name = cast_event_name((enum cast_event_type)(data[0] % 8));
	if (!name)
		name = data[0] & 0x80 ? "" : "dance";
	len = size - 1;
	/* A copy of its own size, so reads past the payload are caught. */
	payload = malloc(len ? len : 1);
	if (!payload)
		return 0;
	memcpy(payload, data + 1, len);
	memset(&ev, 0x5a, sizeof(ev));
	untouched = ev;
	rc = cast_event_decode(name, payload, len, &ev);
	if (rc) {
		if (rc != CAST_ERROR(EINVAL) && rc != CAST_ERROR(EMSGSIZE) &&
		    rc != CAST_ERROR(ENOSYS) && rc != CAST_ERROR(ENOMEM))
			abort();
		if (memcmp(&ev, &untouched, sizeof(ev)))
			abort();
		free(payload);
		return 0;
	}
	if (strcmp(cast_event_name(ev.type), name))
		abort();
	n = cast_event_encode(&ev, NULL, 0);
	if (n < 0)
		abort();
	enc = malloc(n ? (size_t)n : 1);
	if (!enc || cast_event_encode(&ev, enc, (size_t)n) != n)
		abort();
	/* Fixed forms re-encode to the very bytes. */
	if (ev.type != CAST_EV_VIEW && ev.type != CAST_EV_FILE &&
	    ((size_t)n != len || memcmp(enc, payload, len)))
		abort();
	if (cast_event_decode(name, enc, (size_t)n, &again) ||
	    !same(&ev, &again))
		abort();
	free(enc);
	free(payload);
	return 0;
}
