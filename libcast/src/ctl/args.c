/* Command arguments: NUL-terminated "key=value" items, built and read. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "ctl_int.h"

static bool key_ok(const char *k, size_t n)
{
	if (!n || n >= CAST_ARGS_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
		      k[i] == '-'))
			return false;
	return true;
}

/* The value of `key` (n bytes) in args, or NULL. */
static const uint8_t *find(const uint8_t *args, size_t len, const char *key,
			   size_t klen, size_t *vlen)
{
	size_t i = 0;

	while (i < len) {
		const uint8_t *end = memchr(args + i, '\0', len - i);
		size_t n = end ? (size_t)(end - (args + i)) : len - i;

		if (n > klen && args[i + klen] == '=' &&
		    !memcmp(args + i, key, klen)) {
			*vlen = n - klen - 1;
			return args + i + klen + 1;
		}
		i += n + 1;
	}
	return NULL;
}

static int fail(struct cast_args *a, int err)
{
	if (!a->err)
		a->err = err;
	return err;
}

int cast_args_add(struct cast_args *a, const char *key, const char *value)
{
	size_t k, v, need, dummy;

	if (!a || !key || !value)
		return CAST_ERROR(EINVAL);
	k = strlen(key);
	v = strlen(value);
	if (!key_ok(key, k) || !cast__utf8_valid((const uint8_t *)value, v) ||
	    find(a->buf, a->len, key, k, &dummy))
		return fail(a, CAST_ERROR(EINVAL));
	need = k + 1 + v + 1;
	if (a->len + need > CAST_MSG_ARGS_MAX)
		return fail(a, CAST_ERROR(E2BIG));
	if (a->len + need > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		uint8_t *p;

		while (cap < a->len + need)
			cap *= 2;
		p = realloc(a->buf, cap);
		if (!p)
			return fail(a, CAST_ERROR(ENOMEM));
		a->buf = p;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, key, k);
	a->buf[a->len + k] = '=';
	memcpy(a->buf + a->len + k + 1, value, v + 1);
	a->len += need;
	return 0;
}

int cast_args_addf(struct cast_args *a, const char *key, const char *fmt, ...)
{
	char small[128], *v = small;
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(a, CAST_ERROR(EINVAL));
	if ((size_t)n >= sizeof(small)) {
		v = malloc((size_t)n + 1);
		if (!v)
			return fail(a, CAST_ERROR(ENOMEM));
		va_start(ap, fmt);
		vsnprintf(v, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	ret = cast_args_add(a, key, v);
	if (v != small)
		free(v);
	return ret;
}

void cast_args_free(struct cast_args *a)
{
	if (!a)
		return;
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int cast_args_check(const uint8_t *args, size_t len)
{
	size_t i = 0;

	if (len > CAST_MSG_ARGS_MAX || (len && !args))
		return CAST_EMALFORMED;
	while (i < len) {
		const uint8_t *end = memchr(args + i, '\0', len - i);
		const uint8_t *eq;
		size_t n, k, dummy;

		if (!end)
			return CAST_EMALFORMED;
		n = (size_t)(end - (args + i));
		eq = memchr(args + i, '=', n);
		if (!eq)
			return CAST_EMALFORMED;
		k = (size_t)(eq - (args + i));
		if (!key_ok((const char *)args + i, k) ||
		    !cast__utf8_valid(eq + 1, n - k - 1) ||
		    find(args, i, (const char *)args + i, k, &dummy))
			return CAST_EMALFORMED;
		i += n + 1;
	}
	return 0;
}

int cast_args_get(const uint8_t *args, size_t len, const char *key,
		  char *out, size_t size)
{
	size_t vlen;
	const uint8_t *v;

	if (!out || !size)
		return CAST_ERROR(EINVAL);
	out[0] = '\0';
	if (!key || !args)
		return 0;
	v = find(args, len, key, strlen(key), &vlen);
	if (!v)
		return 0;
	if (vlen >= size)
		return CAST_ERROR(EMSGSIZE);
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return 1;
}

int cast_args_get_int(const uint8_t *args, size_t len, const char *key,
		      long long min, long long max, long long *out)
{
	char v[32], *end;
	long long x;
	int ret = cast_args_get(args, len, key, v, sizeof(v));

	if (ret == CAST_ERROR(EMSGSIZE))
		return CAST_ERROR(EINVAL);
	if (ret <= 0)
		return ret;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (!v[0] || *end || errno || x < min || x > max ||
	    (v[0] != '-' && (v[0] < '0' || v[0] > '9')))
		return CAST_ERROR(EINVAL);
	*out = x;
	return 1;
}
