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
 * A JSON object writer for one stats line. Keys and string values are
 * escaped; nesting up to 8 objects. The line ends with '\n' at
 * cast_json_end() when the outermost object closes.
 */
struct cast_json {
	char buf[65536];
	size_t len;
	int depth;
	bool need_comma[8];
	bool overflow;
};

CAST_API void cast_json_begin(struct cast_json *j);
CAST_API void cast_json_obj(struct cast_json *j, const char *key);
CAST_API void cast_json_end(struct cast_json *j);
CAST_API void cast_json_int(struct cast_json *j, const char *key, int64_t v);
CAST_API void cast_json_num(struct cast_json *j, const char *key, double v);
CAST_API void cast_json_str(struct cast_json *j, const char *key,
			    const char *v);
CAST_API void cast_json_bool(struct cast_json *j, const char *key, bool v);
/**
 * Adds `json` verbatim under `key`. The caller guarantees it is one valid
 * JSON value (e.g. checked with cast_json_validate_object).
 */
CAST_API void cast_json_raw(struct cast_json *j, const char *key,
			    const char *json);
/** Opens an array under `key` (NULL inside arrays); close with _array_end. */
CAST_API void cast_json_array(struct cast_json *j, const char *key);
CAST_API void cast_json_array_end(struct cast_json *j);
/** Adds {"p50":..,"p95":..,"p99":..} in milliseconds under `key`. */
CAST_API void cast_json_hist_ms(struct cast_json *j, const char *key,
				const struct cast_hist *h);
/** Writes the finished line to `f` and flushes. Returns 0 or -EIO. */
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

CAST_API int cast_json_write(const struct cast_json *j, FILE *f);

#endif
