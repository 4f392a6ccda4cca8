/* FFmpeg log lines go through cast_log like everything else. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "cast/log.h"
#include "core/core_int.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void av_to_cast(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[1024];
	int prefix = 1;
	enum cast_log_level l;
	size_t n;

	if (level > AV_LOG_VERBOSE)
		return;
	l = level <= AV_LOG_ERROR	? CAST_LOG_ERROR
	    : level <= AV_LOG_WARNING ? CAST_LOG_WARN
				      : CAST_LOG_DEBUG;
	av_log_format_line(avcl, level, fmt, vl, line, sizeof(line), &prefix);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n)
		cast_log(l, "ffmpeg", "%s", line);
}

static void install(void)
{
	av_log_set_callback(av_to_cast);
}

void cast__av_log_init(void)
{
	pthread_once(&once, install);
}
