/* Internal: AVERROR to libcast error codes, at the libavcodec boundary. */
#ifndef CAST_CODECS_AV_ERR_H
#define CAST_CODECS_AV_ERR_H

#include <libavutil/error.h>

#include "cast/error.h"

static inline int cast__averror(int err)
{
	if (err >= 0)
		return err;
	if (err == AVERROR_EOF)
		return CAST_EOF;
	if (err == AVERROR_INVALIDDATA)
		return CAST_EMALFORMED;
	switch (err) {
	case AVERROR(EAGAIN):
	case AVERROR(EINVAL):
	case AVERROR(ENOMEM):
	case AVERROR(ENOSYS):
		return err;
	default:
		return CAST_EEXTERNAL;
	}
}

#endif
