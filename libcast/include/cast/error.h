/* Error codes: 0 or a positive count on success, negative errno on failure. */
#ifndef CAST_ERROR_H
#define CAST_ERROR_H

#include <errno.h>

#include "defs.h"

/** Turns a positive errno value into a libcast error code. */
#define CAST_ERROR(e) (-(e))

/* Private tags, chosen far outside the errno range so they never collide. */
#define CAST_TAG(a, b, c, d)                                                   \
	(-(int)((unsigned)(a) | ((unsigned)(b) << 8) | ((unsigned)(c) << 16) | \
		((unsigned)(d) << 24)))
/** End of stream: a file source ran out, or a drained codec has no more. */
#define CAST_EOF CAST_TAG('E', 'O', 'F', ' ')
/** Input did not parse (bad packet, bad config line, bad bitstream). */
#define CAST_EMALFORMED CAST_TAG('M', 'A', 'L', 'F')
/** A needed backend or library feature is not available on this machine. */
#define CAST_ENOBACKEND CAST_TAG('N', 'O', 'B', 'K')
/** An external library (FFmpeg, SDL, X11) failed in a way errno can't say. */
#define CAST_EEXTERNAL CAST_TAG('E', 'X', 'T', 'L')
/** A command line that does not parse (unknown option, missing value). */
#define CAST_EUSAGE CAST_TAG('U', 'S', 'G', 'E')

/**
 * Returns a static, human-readable description of a libcast error code
 * (negative errno or a CAST_E* tag). Never NULL.
 */
CAST_API const char *cast_strerror(int err);

#endif
