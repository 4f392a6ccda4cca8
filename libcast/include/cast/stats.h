/* Measurement helpers: latency histograms, CPU use, JSON stats lines. */
#ifndef CAST_STATS_H
#define CAST_STATS_H

#include <stdio.h>

#include "defs.h"

/*
 * Histogram of durations in microseconds with ~1 % relative resolution from
 * 1 us to ~100 s. Fixed size, no allocation; not thread-safe on its own.
 */
#define CAST_HIST_BUCKETS 1600

struct cast_hist {
	uint64_t count;
	int64_t min_us, max_us;
	double sum_us;
	uint32_t bucket[CAST_HIST_BUCKETS];
};

CAST_API void cast_hist_reset(struct cast_hist *h);
/** Records one duration; negative values count as 0. */
CAST_API void cast_hist_add(struct cast_hist *h, int64_t us);
/** The q-quantile (0..1) in microseconds; 0 when empty. */
CAST_API int64_t cast_hist_quantile(const struct cast_hist *h, double q);

/** Process CPU time (user + system) in microseconds since start. */
CAST_API int64_t cast_cpu_us(void);

/* Once-a-second rate and CPU computation for a stats line. */
struct cast_meter {
	int64_t t0_us;		/* monotonic time of the last sample */
	int64_t cpu0_us;
	uint64_t frames0, bytes0;
};

struct cast_rates {
	double fps;
	double bitrate_kbps;
	double cpu_pct;		/* 100 = one full core */
};

CAST_API void cast_meter_init(struct cast_meter *m, uint64_t frames,
			      uint64_t bytes);
/** Rates since the previous call (or init), then restarts the window. */
CAST_API void cast_meter_sample(struct cast_meter *m, uint64_t frames,
				uint64_t bytes, struct cast_rates *out);

/*
 * A JSON object writer (json-c underneath), for stats lines and answers:
 * cast_json_begin opens the outermost object; members are added under a
 * key (or, inside an array, with key NULL); nesting up to 8. When the
 * outermost object closes (cast_json_end), `buf` holds the text with a
 * final '\n' and `len` its length. Out of memory, or a text that is not
 * UTF-8, sets `overflow` and the text is then
 * {"ok":false,"error":"…"} instead. The caller owns `buf`: take it with
 * cast_json_take or free everything with cast_json_free (also after a
 * writer abandoned half-way).
 */
struct cast_json {
	void *obj[9];		/* the open objects and arrays (json-c) */
	int depth;
	char *buf;		/* the finished text, or NULL */
	size_t len;
	bool overflow;
};

CAST_API void cast_json_begin(struct cast_json *j);
CAST_API void cast_json_obj(struct cast_json *j, const char *key);
CAST_API void cast_json_end(struct cast_json *j);
CAST_API void cast_json_int(struct cast_json *j, const char *key, int64_t v);
/** A number written with 3 decimals (not finite: 0). */
CAST_API void cast_json_num(struct cast_json *j, const char *key, double v);
CAST_API void cast_json_str(struct cast_json *j, const char *key,
			    const char *v);
CAST_API void cast_json_bool(struct cast_json *j, const char *key, bool v);
/** Adds the JSON text `json` (parsed: invalid JSON sets overflow). */
CAST_API void cast_json_raw(struct cast_json *j, const char *key,
			    const char *json);
/** Opens an array under `key` (NULL inside arrays); close with _array_end. */
CAST_API void cast_json_array(struct cast_json *j, const char *key);
CAST_API void cast_json_array_end(struct cast_json *j);
/** Adds {"p50":..,"p95":..,"p99":..} in milliseconds under `key`. */
CAST_API void cast_json_hist_ms(struct cast_json *j, const char *key,
				const struct cast_hist *h);
/**
 * The finished text (malloc'd, NUL-terminated, ends with '\n'), handed to
 * the caller; `j` is empty afterwards. NULL only when out of memory.
 */
CAST_API char *cast_json_take(struct cast_json *j);
/**
 * A refused request's answer, as every `ctl` verb gives it:
 * {"ok":false,"error":"<the formatted text>"} (malloc'd, as
 * cast_json_take). NULL only when out of memory.
 */
CAST_API char *cast_json_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/** Frees the text and anything still open. */
CAST_API void cast_json_free(struct cast_json *j);
/** Writes the finished line to `f` and flushes. Returns 0 or -EIO. */
CAST_API int cast_json_write(const struct cast_json *j, FILE *f);

/**
 * Reads one member of a JSON object text (`len` bytes, no NUL needed):
 * `path` names it, with '.' between nested objects ("class.locked").
 * cast_json_get_str copies a string (or a number or boolean as its text)
 * into `out` (NUL-terminated); cast_json_get_bool reads a boolean.
 * Returns 1 (found), 0 (absent, or of another type), -EMSGSIZE (does not
 * fit: `out` is ""), CAST_EMALFORMED (not a JSON object).
 */
CAST_API int cast_json_get_str(const char *json, size_t len, const char *path,
			       char *out, size_t size);
CAST_API int cast_json_get_bool(const char *json, size_t len,
				const char *path, bool *out);

#endif
