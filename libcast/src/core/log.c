/* Logging: one entry point, level filter, pluggable handler. */
#include <stdio.h>

#include "cast/log.h"

static cast_log_cb *handler;
static void *handler_arg;
static enum cast_log_level max_level = CAST_LOG_INFO;

void cast_log_set_handler(cast_log_cb *cb, void *arg)
{
	handler = cb;
	handler_arg = arg;
}

void cast_log_set_level(enum cast_log_level level)
{
	max_level = level;
}

void cast_log(enum cast_log_level level, const char *obj, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char msg[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (handler) {
		handler(level, obj, msg, handler_arg);
		return;
	}
	fprintf(stderr, "[%s] %s: %s\n", obj ? obj : "cast",
		names[level <= CAST_LOG_DEBUG ? level : CAST_LOG_DEBUG], msg);
}
