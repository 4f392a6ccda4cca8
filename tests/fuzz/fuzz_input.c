/* libFuzzer target: the teacher's remote control input words. What parses
 * formats back to a word that parses to the same event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_input_event ev, again;
	char *word = malloc(size + 1), why[160], buf[512];
	int rc, n;

	if (!word)
		return 0;
	memcpy(word, data, size);
	word[size] = '\0';
	rc = cast_input_parse(word, &ev, why, sizeof(why));
	if (rc == 0) {
		n = cast_input_format(&ev, buf, sizeof(buf));
		if (n < 0 || (size_t)n != strlen(buf))
			abort();
		if (cast_input_parse(buf, &again, NULL, 0) ||
		    memcmp(&ev, &again, sizeof(ev)))
			abort();
		if ((ev.kind == CAST_INPUT_MOVE ||
		     ev.kind == CAST_INPUT_CLICK) &&
		    (ev.x < 0 || ev.x > 32767 || ev.y < 0 || ev.y > 32767))
			abort();
		if (ev.kind == CAST_INPUT_CLICK &&
		    (ev.button < 1 || ev.button > 3))
			abort();
	} else if (rc != CAST_ERROR(EINVAL) && rc != CAST_ERROR(EMSGSIZE)) {
		abort();
	} else if (!why[0] || strlen(why) >= sizeof(why)) {
		abort();
	}
	free(word);
	return 0;
}
