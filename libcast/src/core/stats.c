/* Histograms, CPU time, rate meters and JSON stats lines. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <json-c/json.h>

#include "cast/cast.h"
#include "core_int.h"

const char *cast_version(void)
{
	return CAST_VERSION;
}

int64_t cast_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t cast_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Buckets: value v >= 1 us maps to floor(log(v) / log(1.01)); ~1 % steps. */
static const double HIST_STEP = 0.00995033085316809; /* ln(1.01) */

static int bucket_of(int64_t us)
{
	int b;

	if (us < 1)
		return 0;
	b = (int)(log((double)us) / HIST_STEP);
	return b < CAST_HIST_BUCKETS ? b : CAST_HIST_BUCKETS - 1;
}

void cast_hist_reset(struct cast_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void cast_hist_add(struct cast_hist *h, int64_t us)
{
	if (us < 0)
		us = 0;
	if (!h->count || us < h->min_us)
		h->min_us = us;
	if (!h->count || us > h->max_us)
		h->max_us = us;
	h->count++;
	h->sum_us += (double)us;
	h->bucket[bucket_of(us)]++;
}

int64_t cast_hist_quantile(const struct cast_hist *h, double q)
{
	uint64_t want, seen = 0;
	int64_t v;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min_us;
	if (q >= 1)
		return h->max_us;
	want = (uint64_t)ceil(q * (double)h->count);
	for (int b = 0; b < CAST_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want) {
			/* Midpoint of the bucket, clamped to what was seen. */
			v = b ? (int64_t)exp(((double)b + 0.5) * HIST_STEP) : 0;
			if (v < h->min_us)
				v = h->min_us;
			if (v > h->max_us)
				v = h->max_us;
			return v;
		}
	}
	return h->max_us;
}

int64_t cast_cpu_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
	       (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

void cast_meter_init(struct cast_meter *m, uint64_t frames, uint64_t bytes)
{
	m->t0_us = cast_mono_us();
	m->cpu0_us = cast_cpu_us();
	m->frames0 = frames;
	m->bytes0 = bytes;
}

void cast_meter_sample(struct cast_meter *m, uint64_t frames, uint64_t bytes,
		       struct cast_rates *out)
{
	int64_t now = cast_mono_us(), cpu = cast_cpu_us();
	double dt = (double)(now - m->t0_us) / 1e6;

	if (dt <= 0) {
		memset(out, 0, sizeof(*out));
		return;
	}
	out->fps = (double)(frames - m->frames0) / dt;
	out->bitrate_kbps = (double)(bytes - m->bytes0) * 8 / 1000 / dt;
	out->cpu_pct = (double)(cpu - m->cpu0_us) / 1e4 / dt;
	m->t0_us = now;
	m->cpu0_us = cpu;
	m->frames0 = frames;
	m->bytes0 = bytes;
}

/*
 * Adds `v` (taken) under `key` in the innermost object or array; NULL is
 * JSON's null (json-c's own) when `null` says so, else a failed allocation.
 */
static void json_put(struct cast_json *j, const char *key,
		     struct json_object *v, bool null)
{
	struct json_object *top = j->depth ? j->obj[j->depth - 1] : NULL;
	int ret = -1;

	if ((!v && !null) || !top) {
		json_object_put(v);
		j->overflow = true;
		return;
	}
	if (json_object_is_type(top, json_type_array))
		ret = json_object_array_add(top, v);
	else if (key)
		ret = json_object_object_add(top, key, v);
	if (ret) {
		json_object_put(v);
		j->overflow = true;
	}
}

static void json_add(struct cast_json *j, const char *key,
		     struct json_object *v)
{
	json_put(j, key, v, false);
}

static void json_open(struct cast_json *j, const char *key,
		      struct json_object *o)
{
	if (!o || j->depth == 9) {
		json_object_put(o);
		j->overflow = true;
		return;
	}
	json_object_get(o); /* one reference for the stack, one for the parent */
	if (j->depth)
		json_add(j, key, o);
	else
		json_object_put(o);
	j->obj[j->depth++] = o;
}

static void json_close(struct cast_json *j)
{
	static const char oom[] = "{\"ok\":false,\"error\":\"out of memory "
				  "or not UTF-8\"}\n";
	struct json_object *o;
	const char *text;
	size_t n;

	if (!j->depth)
		return;
	o = j->obj[--j->depth];
	if (j->depth) {
		json_object_put(o); /* the parent keeps it */
		return;
	}
	text = j->overflow ? NULL
			   : json_object_to_json_string_ext(
				     o, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		j->overflow = true;
		text = oom;
	}
	n = strlen(text);
	free(j->buf);
	j->buf = malloc(n + 2);
	if (j->buf) {
		memcpy(j->buf, text, n);
		if (text != oom)
			j->buf[n++] = '\n';
		j->buf[n] = '\0';
		j->len = n;
	} else {
		j->len = 0;
	}
	json_object_put(o);
}

void cast_json_begin(struct cast_json *j)
{
	memset(j, 0, sizeof(*j));
	json_open(j, NULL, json_object_new_object());
}

void cast_json_obj(struct cast_json *j, const char *key)
{
	json_open(j, key, json_object_new_object());
}

void cast_json_end(struct cast_json *j)
{
	json_close(j);
}

void cast_json_int(struct cast_json *j, const char *key, int64_t v)
{
	json_add(j, key, json_object_new_int64(v));
}

void cast_json_num(struct cast_json *j, const char *key, double v)
{
	char num[64];

	if (!isfinite(v))
		v = 0;
	snprintf(num, sizeof(num), "%.3f", v);
	json_add(j, key, json_object_new_double_s(v, num));
}

void cast_json_str(struct cast_json *j, const char *key, const char *v)
{
	if (!v)
		v = "";
	/* Text only: bytes that are not UTF-8 would make the line invalid. */
	if (!cast__utf8_valid((const uint8_t *)v, strlen(v))) {
		j->overflow = true;
		return;
	}
	json_add(j, key, json_object_new_string(v));
}

void cast_json_bool(struct cast_json *j, const char *key, bool v)
{
	json_add(j, key, json_object_new_boolean(v));
}

void cast_json_raw(struct cast_json *j, const char *key, const char *json)
{
	struct json_object *v = json ? json_tokener_parse(json) : NULL;

	json_put(j, key, v, json && !strcmp(json, "null"));
}

void cast_json_array(struct cast_json *j, const char *key)
{
	json_open(j, key, json_object_new_array());
}

void cast_json_array_end(struct cast_json *j)
{
	json_close(j);
}

char *cast_json_take(struct cast_json *j)
{
	char *s;

	while (j->depth) /* an unfinished writer: finish it */
		json_close(j);
	s = j->buf;
	j->buf = NULL;
	j->len = 0;
	return s;
}

char *cast_json_error(const char *fmt, ...)
{
	struct cast_json j;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cast_json_begin(&j);
	cast_json_bool(&j, "ok", false);
	cast_json_str(&j, "error", msg);
	cast_json_end(&j);
	return cast_json_take(&j);
}

void cast_json_free(struct cast_json *j)
{
	free(cast_json_take(j));
}

void cast_json_hist_ms(struct cast_json *j, const char *key,
		       const struct cast_hist *h)
{
	cast_json_obj(j, key);
	cast_json_num(j, "p50", (double)cast_hist_quantile(h, 0.50) / 1000);
	cast_json_num(j, "p95", (double)cast_hist_quantile(h, 0.95) / 1000);
	cast_json_num(j, "p99", (double)cast_hist_quantile(h, 0.99) / 1000);
	cast_json_int(j, "count", (int64_t)h->count);
	cast_json_end(j);
}

int cast_json_write(const struct cast_json *j, FILE *f)
{
	if (!j->buf || fwrite(j->buf, 1, j->len, f) != j->len || fflush(f))
		return CAST_ERROR(EIO);
	return 0;
}

/* The member at `path` ("a.b.c") of a parsed object, or NULL. */
static struct json_object *json_at(struct json_object *o, const char *path)
{
	char key[128];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

static struct json_object *json_parse(const char *json, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o;

	if (!json || len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int cast_json_get_str(const char *json, size_t len, const char *path,
		      char *out, size_t size)
{
	struct json_object *root = json_parse(json, len), *v;
	const char *s;
	int ret = 0;

	if (!out || !size) {
		json_object_put(root);
		return CAST_ERROR(EINVAL);
	}
	out[0] = '\0';
	if (!root)
		return CAST_EMALFORMED;
	v = json_at(root, path);
	if (v && (json_object_is_type(v, json_type_string) ||
		  json_object_is_type(v, json_type_int) ||
		  json_object_is_type(v, json_type_double) ||
		  json_object_is_type(v, json_type_boolean))) {
		s = json_object_is_type(v, json_type_string)
			    ? json_object_get_string(v)
			    : json_object_to_json_string_ext(
				      v, JSON_C_TO_STRING_PLAIN);
		if (strlen(s) >= size) {
			ret = CAST_ERROR(EMSGSIZE);
		} else {
			memcpy(out, s, strlen(s) + 1);
			ret = 1;
		}
	}
	json_object_put(root);
	return ret;
}

int cast_json_get_bool(const char *json, size_t len, const char *path,
		       bool *out)
{
	struct json_object *root = json_parse(json, len), *v;
	int ret = 0;

	if (!root)
		return CAST_EMALFORMED;
	v = json_at(root, path);
	if (v && json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		ret = 1;
	}
	json_object_put(root);
	return ret;
}
