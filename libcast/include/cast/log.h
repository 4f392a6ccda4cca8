/* Logging: one function, every line prefixed with the object that speaks. */
#ifndef CAST_LOG_H
#define CAST_LOG_H

#include <stdarg.h>

#include "defs.h"

enum cast_log_level {
	CAST_LOG_ERROR = 0,
	CAST_LOG_WARN = 1,
	CAST_LOG_INFO = 2,
	CAST_LOG_DEBUG = 3,
};

/** Receives every log line at or above the set level; `msg` has no '\n'. */
typedef void(cast_log_cb)(enum cast_log_level level, const char *obj,
			  const char *msg, void *arg);

/**
 * Installs the log handler (NULL restores the default, which writes
 * "[obj] msg" to stderr). Not thread-safe against concurrent logging: call it
 * before starting any libcast object.
 */
CAST_API void cast_log_set_handler(cast_log_cb *cb, void *arg);
/** Sets the most verbose level that is still delivered (default INFO). */
CAST_API void cast_log_set_level(enum cast_log_level level);
/** Logs one line on behalf of `obj` (e.g. "sender"). */
CAST_API void cast_log(enum cast_log_level level, const char *obj,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
