/* libFuzzer target: the local socket's request frame (and the `cinema play`
 * words in it), command arguments, the typed commands and the view event
 * decoded from them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/class.h"
#include "cast/control.h"
#include "cast/error.h"
#include "cast/screens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[CAST_CTL_ARGC_MAX], v[64];
	uint8_t *copy = malloc(size ? size : 1), *again;
	size_t len;
	long long x;
	int argc = 0, rc;

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	rc = cast_ctl_frame_parse(copy, size, &argc, argv, CAST_CTL_ARGC_MAX);
	if (rc > 0) {
		/* Arguments lie inside the frame; they re-frame to it. */
		if ((size_t)rc > size || argc < 1 || argc > CAST_CTL_ARGC_MAX)
			abort();
		for (int i = 0; i < argc; i++)
			if ((uint8_t *)argv[i] < copy + 4 ||
			    (uint8_t *)argv[i] + strlen(argv[i]) >= copy + rc)
				abort();
		if (cast_ctl_frame_encode(argc, (const char *const *)argv,
					  &again, &len) ||
		    len != (size_t)rc || memcmp(again, copy, len))
			abort();
		free(again);
		/* As `cinema play|stop` words: a film and its viewers come
		 * from the words, or nothing does. */
		{
			struct cast_film_args fa;
			char why[256];

			rc = cast_film_args_parse(argc, argv, &fa, why,
						  sizeof(why));
			if (rc == 0 && fa.play == fa.stop)
				abort();
			if (rc == 0 && fa.play &&
			    (!fa.path || !fa.path[0] ||
			     (fa.to && !fa.to[0])))
				abort();
			if (rc && rc != CAST_ERROR(EINVAL) &&
			    rc != CAST_ERROR(ENAMETOOLONG))
				abort();
		}
	} else if (rc != 0 && rc != CAST_EMALFORMED &&
		   rc != CAST_ERROR(E2BIG)) {
		abort();
	}
	/* The same bytes as command arguments. */
	if (!cast_args_check(copy, size)) {
		rc = cast_args_get(copy, size, "text", v, sizeof(v));
		if (rc != 0 && rc != 1 && rc != CAST_ERROR(EMSGSIZE))
			abort();
		if (rc == 1 && strlen(v) >= sizeof(v))
			abort();
		rc = cast_args_get_int(copy, size, "opacity", 0, 100, &x);
		if (rc == 1 && (x < 0 || x > 100))
			abort();
	}
	/* As a student's view event (what the teacher's class reads). */
	{
		struct cast_view w = {.picture = true};

		rc = cast_view_decode(copy, size, &w);
		if (rc != 0 && rc != CAST_EMALFORMED)
			abort();
		if (rc == 0 && w.headless && cast_view_left(&w, INT64_MAX))
			abort();
	}
	/* As every command: what decodes re-encodes to the same command. */
	{
		static struct cast_command c, again;

		for (int t = 1; t < CAST_CMD_COUNT_; t++) {
			const char *name = cast_command_name(t);
			struct cast_args a = {0};

			if (cast_command_decode(name, copy, size, &c))
				continue;
			if (cast_command_encode(&c, &a) ||
			    cast_command_decode(name, a.buf, a.len, &again) ||
			    memcmp(&c, &again, sizeof(c)))
				abort();
			cast_args_free(&a);
		}
	}
	free(copy);
	return 0;
}
