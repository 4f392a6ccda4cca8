/* Config files: "key = value" lines, the same keys as the programs' long flags. */
#ifndef CAST_CONFIG_H
#define CAST_CONFIG_H

#include "defs.h"

/**
 * Called for each setting. Return 0 to accept, or a negative error to reject
 * the line; `why` (may be left empty) receives a short reason.
 */
typedef int(cast_config_cb)(const char *key, const char *value, void *arg,
			    char *why, size_t why_size);

/**
 * Parses `text` (NUL-terminated): one "key = value" per line, '#' starts a
 * comment line, blank lines ignored, whitespace around key and value
 * trimmed, a value may be double-quoted. Stops at the first bad line and
 * writes "NAME:LINE: reason" into `err` (`name` labels the source).
 * Returns 0, CAST_EMALFORMED (syntax) or the callback's error.
 */
CAST_API int cast_config_parse(const char *text, const char *name,
			       cast_config_cb *cb, void *arg, char *err,
			       size_t err_size);

/**
 * Reads the file at `path` (at most 1 MiB) and parses it like
 * cast_config_parse. Errors: the open/read errno, -EFBIG, and those above.
 */
CAST_API int cast_config_load(const char *path, cast_config_cb *cb, void *arg,
			      char *err, size_t err_size);

/**
 * A flag's value: true for NULL (a flag given without a value), "", "1",
 * "true", "yes" and "on"; false for anything else.
 */
CAST_API bool cast_parse_flag(const char *value);
/** Parses "WxH" (each 16..8192, even). Returns 0 or -EINVAL. */
CAST_API int cast_parse_size(const char *s, int *w, int *h);
/** Parses a decimal integer in [min, max]. Returns 0 or -EINVAL/-ERANGE. */
CAST_API int cast_parse_int(const char *s, long min, long max, long *out);

#endif
