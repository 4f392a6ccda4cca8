/* "key = value" config parsing with errors that name the line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/config.h"
#include "cast/error.h"

#define MAX_CONFIG_BYTES (1 << 20)
#define MAX_LINE 4096

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int cast_config_parse(const char *text, const char *name, cast_config_cb *cb,
		      void *arg, char *err, size_t err_size)
{
	char line[MAX_LINE], why[256];
	const char *p = text, *nl;
	int lineno = 0, ret;

	if (!text || !cb)
		return CAST_ERROR(EINVAL);
	if (!name)
		name = "config";
	while (*p) {
		char *s, *eq, *key, *val;
		size_t len;

		lineno++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= sizeof(line)) {
			snprintf(err, err_size, "%s:%d: line too long", name,
				 lineno);
			return CAST_EMALFORMED;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : p + len;

		s = trim(line);
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, err_size, "%s:%d: expected 'key = value'",
				 name, lineno);
			return CAST_EMALFORMED;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!*key) {
			snprintf(err, err_size, "%s:%d: missing key", name,
				 lineno);
			return CAST_EMALFORMED;
		}
		for (const char *k = key; *k; k++) {
			if (!isalnum((unsigned char)*k) && *k != '-' &&
			    *k != '_') {
				snprintf(err, err_size,
					 "%s:%d: bad character in key '%s'",
					 name, lineno, key);
				return CAST_EMALFORMED;
			}
		}
		len = strlen(val);
		if (len && val[0] == '"') {
			if (len < 2 || val[len - 1] != '"') {
				snprintf(err, err_size,
					 "%s:%d: unterminated quote", name,
					 lineno);
				return CAST_EMALFORMED;
			}
			val[len - 1] = '\0';
			val++;
		}
		why[0] = '\0';
		ret = cb(key, val, arg, why, sizeof(why));
		if (ret < 0) {
			snprintf(err, err_size, "%s:%d: %s: %s", name, lineno,
				 key, why[0] ? why : cast_strerror(ret));
			return ret;
		}
	}
	return 0;
}

int cast_config_load(const char *path, cast_config_cb *cb, void *arg, char *err,
		     size_t err_size)
{
	FILE *f;
	char *text;
	size_t n;
	int ret;

	f = fopen(path, "rb");
	if (!f) {
		ret = CAST_ERROR(errno);
		snprintf(err, err_size, "%s: %s", path, cast_strerror(ret));
		return ret;
	}
	text = malloc(MAX_CONFIG_BYTES + 1);
	if (!text) {
		fclose(f);
		return CAST_ERROR(ENOMEM);
	}
	n = fread(text, 1, MAX_CONFIG_BYTES + 1, f);
	ret = ferror(f) ? CAST_ERROR(EIO) : 0;
	fclose(f);
	if (!ret && n > MAX_CONFIG_BYTES)
		ret = CAST_ERROR(EFBIG);
	if (ret) {
		snprintf(err, err_size, "%s: %s", path, cast_strerror(ret));
		free(text);
		return ret;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n)) {
		snprintf(err, err_size, "%s: not a text file", path);
		free(text);
		return CAST_EMALFORMED;
	}
	ret = cast_config_parse(text, path, cb, arg, err, err_size);
	free(text);
	return ret;
}

bool cast_parse_flag(const char *v)
{
	return !v || !*v || !strcmp(v, "1") || !strcmp(v, "true") ||
	       !strcmp(v, "yes") || !strcmp(v, "on");
}

int cast_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return CAST_ERROR(EINVAL);
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end || errno == ERANGE)
		return CAST_ERROR(errno == ERANGE ? ERANGE : EINVAL);
	if (v < min || v > max)
		return CAST_ERROR(ERANGE);
	*out = v;
	return 0;
}

int cast_parse_size(const char *s, int *w, int *h)
{
	char buf[32], *x;
	long a, b;

	if (!s || strlen(s) >= sizeof(buf))
		return CAST_ERROR(EINVAL);
	strcpy(buf, s);
	x = strchr(buf, 'x');
	if (!x)
		return CAST_ERROR(EINVAL);
	*x = '\0';
	if (cast_parse_int(buf, 16, 8192, &a) ||
	    cast_parse_int(x + 1, 16, 8192, &b) || (a & 1) || (b & 1))
		return CAST_ERROR(EINVAL);
	*w = (int)a;
	*h = (int)b;
	return 0;
}
