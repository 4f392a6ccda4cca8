/* libFuzzer target: the teacher's parser of student RTCP feedback. */
#include <stddef.h>
#include <stdint.h>

#include "cast/cast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_rtcp_fb fb;

	if (!cast_rtcp_parse_fb(data, size, &fb) &&
	    fb.n_nack > CAST_RTCP_MAX_NACK)
		__builtin_trap();
	return 0;
}
