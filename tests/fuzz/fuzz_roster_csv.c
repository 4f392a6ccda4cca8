/*
 * libFuzzer target: roster CSV import into an in-memory roster. A file that
 * imports must export and import again to the same bytes; one that doesn't
 * must name a line and leave the roster empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cast_roster *first, *second;

static void no_log(enum cast_log_level level, const char *obj,
		   const char *msg, void *arg)
{
	(void)level;
	(void)obj;
	(void)msg;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *out, *again;
	size_t len, len2;
	int rc, rc2;

	if (!first) {
		cast_log_set_handler(no_log, NULL);
		if (cast_roster_open(&first, ":memory:") ||
		    cast_roster_open(&second, ":memory:"))
			abort();
	}
	if (cast_roster_clear(first) || cast_roster_clear(second))
		abort();
	rc = cast_roster_import_csv_buf(first, (const char *)data, size,
					"fuzz.csv", 0, err, sizeof(err));
	if (rc < 0) {
		if (rc != CAST_EMALFORMED || strncmp(err, "fuzz.csv:", 9))
			abort();
		if (cast_roster_list(first, NULL, NULL) != 0)
			abort();
		return 0;
	}
	if (rc > CAST_ROSTER_MAX_ROWS || cast_roster_list(first, NULL, NULL) != rc)
		abort();
	if (cast_roster_export_csv_buf(first, &out, &len))
		abort();
	rc2 = cast_roster_import_csv_buf(second, out, len, "export.csv", 0,
					 err, sizeof(err));
	if (rc2 != rc)
		abort();
	if (cast_roster_export_csv_buf(second, &again, &len2))
		abort();
	if (len2 != len || memcmp(out, again, len))
		abort();
	free(out);
	free(again);
	return 0;
}
