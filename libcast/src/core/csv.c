/* One CSV writer for every file the project writes (escaped, atomic). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cast/csv.h"
#include "cast/error.h"
#include "cast/log.h"
#include "core_int.h"

#define OBJ "csv"

static void put(struct cast_csv *c, const char *s, size_t n)
{
	if (c->oom)
		return;
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *p;

		while (c->len + n + 1 > cap)
			cap *= 2;
		p = realloc(c->s, cap);
		if (!p) {
			c->oom = true;
			return;
		}
		c->s = p;
		c->cap = cap;
	}
	memcpy(c->s + c->len, s, n);
	c->len += n;
	c->s[c->len] = '\0';
}

void cast_csv_begin(struct cast_csv *c, const char *header)
{
	put(c, "\xef\xbb\xbf", 3);
	put(c, header, strlen(header));
	put(c, "\r\n", 2);
}

void cast_csv_cell(struct cast_csv *c, const char *s, bool last)
{
	size_t n;
	bool quote;

	if (!s)
		s = "";
	n = strlen(s);
	quote = n && (strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[0] == '\t' ||
		      s[n - 1] == ' ' || s[n - 1] == '\t');
	if (quote)
		put(c, "\"", 1);
	if (n && strchr("=+-@\t\r'", s[0]))
		put(c, "'", 1);
	for (const char *q = strchr(s, '"'); q; q = strchr(s, '"')) {
		put(c, s, (size_t)(q - s) + 1);
		put(c, "\"", 1);
		s = q + 1;
	}
	put(c, s, strlen(s));
	if (quote)
		put(c, "\"", 1);
	put(c, last ? "\r\n" : ",", last ? 2 : 1);
}

int cast__write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	int fd, ret;

	if (!path || !*path)
		return CAST_ERROR(EINVAL);
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return CAST_ERROR(ENAMETOOLONG);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		ret = CAST_ERROR(errno);
		cast_log(CAST_LOG_ERROR, OBJ, "%s: cannot create: %s", path,
			 cast_strerror(ret));
		return ret;
	}
	ret = cast__write_all(fd, data, len);
	if (!ret && fsync(fd))
		ret = CAST_ERROR(errno);
	if (close(fd) && !ret)
		ret = CAST_ERROR(errno);
	if (!ret && rename(tmp, path))
		ret = CAST_ERROR(errno);
	if (ret) {
		unlink(tmp);
		cast_log(CAST_LOG_ERROR, OBJ, "%s: cannot write: %s", path,
			 cast_strerror(ret));
	}
	return ret;
}

int cast_csv_save(const struct cast_csv *c, const char *path)
{
	if (!c)
		return CAST_ERROR(EINVAL);
	if (c->oom)
		return CAST_ERROR(ENOMEM);
	return cast__write_atomic(path, c->s ? c->s : "", c->len);
}

void cast_csv_free(struct cast_csv *c)
{
	if (!c)
		return;
	free(c->s);
	memset(c, 0, sizeof(*c));
}
