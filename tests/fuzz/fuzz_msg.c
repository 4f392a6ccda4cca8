/* libFuzzer target: control message decoder (and the STATS JSON check). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/control.h"
#include "cast/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_msg m, again;
	uint8_t *copy = malloc(size ? size : 1), *buf;
	int rc, n;

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	cast_json_validate_object((const char *)copy, size);
	rc = cast_msg_decode(copy, size, &m);
	if (rc != 0 && rc != CAST_EMALFORMED && rc != CAST_ERROR(ENOMSG) &&
	    rc != CAST_ERROR(EPROTONOSUPPORT))
		abort();
	if (rc == 0) {
		/* Borrowed blobs stay inside the input. */
		if ((m.class_state_len &&
		     (m.class_state < copy ||
		      m.class_state + m.class_state_len > copy + size)) ||
		    (m.stats_json_len &&
		     ((const uint8_t *)m.stats_json < copy ||
		      (const uint8_t *)m.stats_json + m.stats_json_len >
			      copy + size)))
			abort();
		/* What decodes must re-encode and decode to the same. */
		n = cast_msg_encode(&m, NULL, 0);
		if (n < 4)
			abort();
		buf = malloc((size_t)n);
		if (!buf)
			abort();
		if (cast_msg_encode(&m, buf, (size_t)n) != n ||
		    cast_msg_decode(buf, (size_t)n, &again) ||
		    again.type != m.type ||
		    strcmp(again.hello.presented_id, m.hello.presented_id) ||
		    strcmp(again.hello.name, m.hello.name) ||
		    memcmp(&again.media, &m.media, sizeof(m.media)) ||
		    again.time_us != m.time_us || again.cmd_id != m.cmd_id ||
		    again.stats_json_len != m.stats_json_len ||
		    again.cmd_args_len != m.cmd_args_len ||
		    again.status != m.status)
			abort();
		free(buf);
	}
	free(copy);
	return 0;
}
