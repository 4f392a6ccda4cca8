/* cast_strerror: one readable line for every libcast error code. */
#include <string.h>

#include "cast/error.h"

const char *cast_strerror(int err)
{
	if (err >= 0)
		return "success";
	switch (err) {
	case CAST_EOF:
		return "end of stream";
	case CAST_EMALFORMED:
		return "malformed input";
	case CAST_ENOBACKEND:
		return "backend not available";
	case CAST_EEXTERNAL:
		return "external library error";
	case CAST_EUSAGE:
		return "bad command line";
	default:
		break;
	}
	if (-err < 4096)
		return strerror(-err);
	return "unknown error";
}
