/*
 * libFuzzer target: beacon parser. Inputs are re-signed with the fuzzer's
 * key half of the time so the fields past the MAC check are reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/control.h"
#include "cast/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cast_key key;
static struct cast_beacon_filter filter;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_beacon b, again;
	uint8_t *copy, buf[CAST_BEACON_SIZE];
	int rc;

	if (!ready) {
		if (cast_key_from_code(&key, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23") ||
		    cast_key_new_signer(&key))
			abort();
		cast_beacon_filter_init(&filter);
		ready = 1;
	}
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	rc = cast_beacon_parse(copy, size, &key, 7, &b);
	if (rc != 0 && rc != CAST_EMALFORMED && rc != CAST_ERROR(EACCES) &&
	    rc != CAST_ERROR(ECHRNG) && rc != CAST_ERROR(EPROTONOSUPPORT) &&
	    rc != CAST_ERROR(EPERM))
		abort();
	if (rc == 0 && size != CAST_BEACON_SIZE)
		abort();
	/* Take the fields from the input and sign them properly. */
	if (size >= 38 && (data[0] & 1)) {
		memset(&b, 0, sizeof(b));
		memcpy(&b, data + 1, sizeof(b) < size - 1 ? sizeof(b)
							  : size - 1);
		if (cast_beacon_write(buf, sizeof(buf), &b, &key) !=
		    CAST_BEACON_SIZE)
			abort();
		rc = cast_beacon_parse(buf, sizeof(buf), &key, 7, &again);
		if (rc == 0) {
			if (again.channel != 7 ||
			    again.counter != b.counter ||
			    again.boot_id != b.boot_id)
				abort();
			cast_beacon_filter_check(&filter, &again);
		} else if (rc != CAST_ERROR(ECHRNG) &&
			   rc != CAST_ERROR(EPROTONOSUPPORT)) {
			abort();
		}
	}
	free(copy);
	return 0;
}
