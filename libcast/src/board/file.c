/* The whiteboard file (docs/whiteboard.md): JSON via json-c, strictly read. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board/board_int.h"
#include "cast/error.h"
#include "cast/log.h"
#include "core/core_int.h"

#define FORMAT "libcast-whiteboard"
#define VERSION 1

static json_object *item_json(const struct board_item *it)
{
	json_object *o = json_object_new_object(), *pts;
	char color[8];

	snprintf(color, sizeof(color), "#%06x", it->color & 0xffffff);
	json_object_object_add(
	    o, "tool", json_object_new_string(cast__board_tool_name(it->tool)));
	json_object_object_add(o, "color", json_object_new_string(color));
	if (it->tool == CAST_BOARD_TEXT)
		json_object_object_add(o, "size",
		                       json_object_new_double(it->size));
	else
		json_object_object_add(o, "width",
		                       json_object_new_double(it->width));
	json_object_object_add(o, "opacity",
	                       json_object_new_double(it->opacity));
	pts = json_object_new_array_ext(2 * it->n);
	for (int i = 0; i < 2 * it->n; i++)
		json_object_array_add(pts, json_object_new_double(it->xy[i]));
	json_object_object_add(o, "points", pts);
	if (it->text)
		json_object_object_add(o, "text",
		                       json_object_new_string(it->text));
	return o;
}

char *cast_board_save_string(struct cast_board *b)
{
	json_object *root = json_object_new_object(), *pages, *p, *items;
	char *s;

	/* Six significant digits: a twentieth of a pixel on a 4K page. */
	json_c_set_serialization_double_format("%.6g", JSON_C_OPTION_THREAD);
	json_object_object_add(root, "format", json_object_new_string(FORMAT));
	json_object_object_add(root, "version", json_object_new_int(VERSION));
	pages = json_object_new_array();
	pthread_mutex_lock(&b->lock);
	json_object_object_add(root, "current", json_object_new_int(b->cur));
	for (int i = 0; i < b->n_pages; i++) {
		p = json_object_new_object();
		json_object_object_add(
		    p, "background",
		    json_object_new_string(
		        cast__board_bg_name(b->pages[i].bg)));
		items = json_object_new_array();
		for (int k = 0; k < b->pages[i].n; k++)
			json_object_array_add(items,
			                      item_json(b->pages[i].items[k]));
		json_object_object_add(p, "items", items);
		json_object_array_add(pages, p);
	}
	pthread_mutex_unlock(&b->lock);
	json_object_object_add(root, "pages", pages);
	s = strdup(json_object_to_json_string_ext(
	    root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	json_c_set_serialization_double_format(NULL, JSON_C_OPTION_THREAD);
	return s;
}

/* Names what is wrong, with where it is. */
static int refuse(char *why, size_t size, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && size) {
		va_start(ap, fmt);
		vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool is_num(json_object *o)
{
	return json_object_is_type(o, json_type_double) ||
	       json_object_is_type(o, json_type_int);
}

/* Reads a number member within [lo, hi]. */
static int get_num(json_object *o, const char *key, double lo, double hi,
                   double *out, const char *where, char *why, size_t size)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return refuse(why, size, CAST_ERROR(EINVAL),
		              "%s: %s is missing", where, key);
	if (!is_num(v))
		return refuse(why, size, CAST_ERROR(EINVAL),
		              "%s: %s is not a number", where, key);
	*out = json_object_get_double(v);
	if (!(*out >= lo && *out <= hi))
		return refuse(why, size, CAST_ERROR(EINVAL),
		              "%s: %s %g is outside %g..%g", where, key, *out,
		              lo, hi);
	return 0;
}

static int parse_color(const char *s, uint32_t *c)
{
	char *end;
	unsigned long v;

	if (strlen(s) != 7 || s[0] != '#')
		return -1;
	for (int i = 1; i < 7; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return -1;
	v = strtoul(s + 1, &end, 16);
	*c = (uint32_t)v;
	return 0;
}

static int parse_item(json_object *o, struct board_item **out, long *total,
                      const char *where, char *why, size_t size)
{
	static const char *const known[] = {
	    "tool", "color", "width", "size", "opacity", "points", "text"};
	struct board_item *it;
	json_object *v, *pts;
	const char *s;
	double d;
	size_t n;
	int tool, err;

	if (!json_object_is_type(o, json_type_object))
		return refuse(why, size, CAST_ERROR(EINVAL),
		              "%s: not an object", where);
	json_object_object_foreach(o, key, val)
	{
		bool ok = false;

		(void)val;
		for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
			ok |= !strcmp(key, known[i]);
		if (!ok)
			return refuse(why, size, CAST_ERROR(EINVAL),
			              "%s: unknown member \"%.40s\"", where,
			              key);
	}
	if (!json_object_object_get_ex(o, "tool", &v) ||
	    !json_object_is_type(v, json_type_string))
		return refuse(why, size, CAST_ERROR(EINVAL),
		              "%s: tool is missing or not a string", where);
	tool = cast__board_tool_of(json_object_get_string(v));
	if (tool < 0 || tool == CAST_BOARD_ERASER)
		return refuse(why, size, CAST_ERROR(EINVAL),
		              "%s: tool \"%.40s\" is not one of pen, "
		              "highlighter, line, arrow, rect, ellipse, text",
		              where, json_object_get_string(v));
	it = calloc(1, sizeof(*it));
	if (!it)
		return CAST_ERROR(ENOMEM);
	it->tool = tool;
	it->width = 4;
	it->size = 36;
	if (!json_object_object_get_ex(o, "color", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    parse_color(json_object_get_string(v), &it->color)) {
		err = refuse(why, size, CAST_ERROR(EINVAL),
		             "%s: color is missing or not #RRGGBB", where);
		goto out;
	}
	if (tool == CAST_BOARD_TEXT)
		err = get_num(o, "size", 4, CAST_BOARD_MAX_SIZE, &d, where, why,
		              size);
	else
		err = get_num(o, "width", 0.5, CAST_BOARD_MAX_WIDTH, &d, where,
		              why, size);
	if (err)
		goto out;
	if (tool == CAST_BOARD_TEXT)
		it->size = (float)d;
	else
		it->width = (float)d;
	err = get_num(o, "opacity", 0, 1, &d, where, why, size);
	if (err)
		goto out;
	it->opacity = (float)d;
	if (!json_object_object_get_ex(o, "points", &pts) ||
	    !json_object_is_type(pts, json_type_array)) {
		err = refuse(why, size, CAST_ERROR(EINVAL),
		             "%s: points is missing or not an array", where);
		goto out;
	}
	n = json_object_array_length(pts);
	if (n % 2 || n < 2 ||
	    n < (tool == CAST_BOARD_PEN || tool == CAST_BOARD_HIGHLIGHTER ||
	                 tool == CAST_BOARD_TEXT
	             ? 2u
	             : 4u)) {
		err = refuse(why, size, CAST_ERROR(EINVAL),
		             "%s: points has %zu numbers: x,y pairs, at least "
		             "%s",
		             where, n,
		             tool == CAST_BOARD_PEN ||
		                     tool == CAST_BOARD_HIGHLIGHTER ||
		                     tool == CAST_BOARD_TEXT
		                 ? "one"
		                 : "two");
		goto out;
	}
	if (n / 2 > CAST_BOARD_MAX_POINTS ||
	    (tool == CAST_BOARD_TEXT && n != 2) ||
	    (tool != CAST_BOARD_PEN && tool != CAST_BOARD_HIGHLIGHTER &&
	     n > 4)) {
		err = refuse(why, size, CAST_ERROR(E2BIG),
		             "%s: %zu points, at most %d (%s)", where, n / 2,
		             tool == CAST_BOARD_TEXT ? 1
		             : tool == CAST_BOARD_PEN ||
		                     tool == CAST_BOARD_HIGHLIGHTER
		                 ? CAST_BOARD_MAX_POINTS
		                 : 2,
		             cast__board_tool_name(tool));
		goto out;
	}
	*total += (long)(n / 2);
	if (*total > CAST_BOARD_MAX_TOTAL_POINTS) {
		err = refuse(why, size, CAST_ERROR(E2BIG),
		             "%s: over %d points in the board", where,
		             CAST_BOARD_MAX_TOTAL_POINTS);
		goto out;
	}
	it->xy = malloc(n * sizeof(*it->xy));
	if (!it->xy) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		v = json_object_array_get_idx(pts, i);
		d = is_num(v) ? json_object_get_double(v) : NAN;
		if (!(d >= 0 && d <= 1)) {
			err = refuse(why, size, CAST_ERROR(EINVAL),
			             "%s: point %zu is not a number in 0..1",
			             where, i / 2);
			goto out;
		}
		it->xy[i] = (float)d;
	}
	it->n = (int)(n / 2);
	if (json_object_object_get_ex(o, "text", &v) !=
	    (tool == CAST_BOARD_TEXT)) {
		err = refuse(why, size, CAST_ERROR(EINVAL),
		             tool == CAST_BOARD_TEXT ? "%s: text is missing"
		                                     : "%s: text on a shape",
		             where);
		goto out;
	}
	if (tool == CAST_BOARD_TEXT) {
		if (!json_object_is_type(v, json_type_string)) {
			err = refuse(why, size, CAST_ERROR(EINVAL),
			             "%s: text is not a string", where);
			goto out;
		}
		s = json_object_get_string(v);
		n = (size_t)json_object_get_string_len(v);
		if (!n || n > CAST_BOARD_MAX_TEXT || strlen(s) != n ||
		    !cast__utf8_valid((const uint8_t *)s, n)) {
			err =
			    refuse(why, size,
			           n > CAST_BOARD_MAX_TEXT ? CAST_ERROR(E2BIG)
			                                   : CAST_ERROR(EINVAL),
			           "%s: text is empty, over %d bytes, or not "
			           "UTF-8 without NUL",
			           where, CAST_BOARD_MAX_TEXT);
			goto out;
		}
		it->text = strdup(s);
		if (!it->text) {
			err = CAST_ERROR(ENOMEM);
			goto out;
		}
	}
	*out = it;
	return 0;
out:
	cast__board_item_free(it);
	return err;
}

int cast__board_parse(const char *text, size_t len, struct board_page **out,
                      int *n_out, int *cur_out, long *total_out, char *why,
                      size_t size)
{
	struct json_tokener *tok;
	json_object *root = NULL, *v, *pages, *items;
	struct board_page *pg = NULL;
	char where[64];
	long total = 0;
	int np = 0, cur = 0, err = 0;
	size_t n;

	if (why && size)
		why[0] = 0;
	if (!text)
		return CAST_ERROR(EINVAL);
	if (len > CAST_BOARD_MAX_FILE)
		return refuse(why, size, CAST_ERROR(E2BIG),
		              "file over %d bytes", CAST_BOARD_MAX_FILE);
	/* Depth: root, pages, page, items, item, points. */
	tok = json_tokener_new_ex(8);
	if (!tok)
		return CAST_ERROR(ENOMEM);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success) {
		err = refuse(
		    why, size, CAST_EMALFORMED, "not JSON: %s at byte %zu",
		    json_tokener_error_desc(json_tokener_get_error(tok)),
		    json_tokener_get_parse_end(tok));
		goto out;
	}
	for (n = json_tokener_get_parse_end(tok); n < len; n++)
		if (!strchr(" \t\r\n", text[n])) {
			err = refuse(why, size, CAST_EMALFORMED,
			             "not JSON: more after the object at byte "
			             "%zu",
			             n);
			goto out;
		}
	if (!json_object_is_type(root, json_type_object)) {
		err = refuse(why, size, CAST_EMALFORMED, "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(root, "format", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), FORMAT)) {
		err = refuse(why, size, CAST_ERROR(ENOTSUP),
		             "not a whiteboard file (format is not \"" FORMAT
		             "\")");
		goto out;
	}
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 1) {
		err = refuse(why, size, CAST_ERROR(EINVAL),
		             "version is missing or not a positive integer");
		goto out;
	}
	if (json_object_get_int64(v) > VERSION) {
		err = refuse(why, size, CAST_ERROR(ENOTSUP),
		             "version %lld is newer than this program reads "
		             "(%d)",
		             (long long)json_object_get_int64(v), VERSION);
		goto out;
	}
	json_object_object_foreach(root, key, val)
	{
		(void)val;
		if (strcmp(key, "format") && strcmp(key, "version") &&
		    strcmp(key, "current") && strcmp(key, "pages")) {
			err = refuse(why, size, CAST_ERROR(EINVAL),
			             "unknown member \"%.40s\"", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(root, "pages", &pages) ||
	    !json_object_is_type(pages, json_type_array) ||
	    !json_object_array_length(pages)) {
		err = refuse(why, size, CAST_ERROR(EINVAL),
		             "pages is missing, not an array or empty");
		goto out;
	}
	n = json_object_array_length(pages);
	if (n > CAST_BOARD_MAX_PAGES) {
		err = refuse(why, size, CAST_ERROR(E2BIG),
		             "%zu pages, at most %d", n, CAST_BOARD_MAX_PAGES);
		goto out;
	}
	if (json_object_object_get_ex(root, "current", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) >= (int64_t)n) {
			err = refuse(why, size, CAST_ERROR(EINVAL),
			             "current is not a page number 0..%zu",
			             n - 1);
			goto out;
		}
		cur = (int)json_object_get_int64(v);
	}
	pg = calloc(n, sizeof(*pg));
	if (!pg) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	for (np = 0; np < (int)n; np++) {
		json_object *p = json_object_array_get_idx(pages, (size_t)np);
		struct board_page *d = &pg[np];
		size_t ni;
		int bg;

		snprintf(where, sizeof(where), "page %d", np + 1);
		if (!json_object_is_type(p, json_type_object)) {
			err = refuse(why, size, CAST_ERROR(EINVAL),
			             "%s: not an object", where);
			goto out;
		}
		json_object_object_foreach(p, pkey, pval)
		{
			(void)pval;
			if (strcmp(pkey, "background") &&
			    strcmp(pkey, "items")) {
				err = refuse(why, size, CAST_ERROR(EINVAL),
				             "%s: unknown member \"%.40s\"",
				             where, pkey);
				goto out;
			}
		}
		if (!json_object_object_get_ex(p, "background", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    (bg = cast__board_bg_of(json_object_get_string(v))) < 0) {
			err = refuse(why, size, CAST_ERROR(EINVAL),
			             "%s: background is not one of overlay, "
			             "white, black, grid",
			             where);
			goto out;
		}
		d->bg = bg;
		if (!json_object_object_get_ex(p, "items", &items) ||
		    !json_object_is_type(items, json_type_array)) {
			err = refuse(why, size, CAST_ERROR(EINVAL),
			             "%s: items is missing or not an array",
			             where);
			goto out;
		}
		ni = json_object_array_length(items);
		if (ni > CAST_BOARD_MAX_ITEMS) {
			err = refuse(why, size, CAST_ERROR(E2BIG),
			             "%s: %zu items, at most %d", where, ni,
			             CAST_BOARD_MAX_ITEMS);
			goto out;
		}
		d->items = calloc(ni ? ni : 1, sizeof(*d->items));
		if (!d->items) {
			err = CAST_ERROR(ENOMEM);
			goto out;
		}
		d->cap = (int)(ni ? ni : 1);
		for (size_t i = 0; i < ni; i++) {
			snprintf(where, sizeof(where), "page %d item %zu",
			         np + 1, i + 1);
			err = parse_item(json_object_array_get_idx(items, i),
			                 &d->items[d->n], &total, where, why,
			                 size);
			if (err)
				goto out;
			d->n++;
		}
	}
out:
	json_tokener_free(tok);
	json_object_put(root);
	if (err) {
		cast__board_free_pages(pg, pg ? (int)n : 0);
		return err;
	}
	*out = pg;
	*n_out = np;
	*cur_out = cur;
	*total_out = total;
	return 0;
}

int cast_board_load_string(struct cast_board *b, const char *text, size_t len,
                           char *why, size_t why_size)
{
	struct board_page *pages, *old;
	int n, cur, n_old, err;
	long total;

	err = cast__board_parse(text, len, &pages, &n, &cur, &total, why,
	                        why_size);
	if (err)
		return err;
	pthread_mutex_lock(&b->lock);
	old = b->pages;
	n_old = b->n_pages;
	b->pages = pages;
	b->n_pages = n;
	b->cur = cur;
	b->total_points = total;
	cast__board_item_free(b->live);
	b->live = NULL;
	cast__board_touch_all(b);
	pthread_mutex_unlock(&b->lock);
	cast__board_free_pages(old, n_old);
	return 0;
}

int cast_board_save(struct cast_board *b, const char *path)
{
	char *s;
	int err;

	if (!b || !path)
		return CAST_ERROR(EINVAL);
	s = cast_board_save_string(b);
	if (!s)
		return CAST_ERROR(ENOMEM);
	err = cast__write_atomic(path, s, strlen(s));
	free(s);
	return err;
}

int cast_board_open(struct cast_board *b, const char *path, char *why,
                    size_t why_size)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, err;

	if (!b || !path)
		return CAST_ERROR(EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = CAST_ERROR(errno);
		return refuse(why, why_size, err, "%s: %s", path,
		              cast_strerror(err));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(why, why_size, CAST_ERROR(EINVAL),
		              "%s: not a regular file", path);
	}
	if (st.st_size > CAST_BOARD_MAX_FILE) {
		close(fd);
		return refuse(why, why_size, CAST_ERROR(E2BIG),
		              "%s: over %d bytes", path, CAST_BOARD_MAX_FILE);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return CAST_ERROR(ENOMEM);
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	err = cast_board_load_string(b, buf, got, why, why_size);
	free(buf);
	return err;
}
