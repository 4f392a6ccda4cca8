/*
 * libFuzzer target: the whiteboard file parser. A file that loads must save
 * and load again to the same text, and render; one that doesn't must say
 * why and leave the board as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/board.h"
#include "cast/error.h"
#include "cast/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* Text goes through pango and fontconfig, whose caches live as long as the
 * process by design (the fuzzers run without tests/lsan.supp). */
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig\nleak:libpango\nleak:libglib\n"
	       "leak:libgobject\nleak:libharfbuzz\nleak:libcairo\n";
}

static struct cast_board *board, *again;
static uint8_t argb[64 * 36 * 4];

static void no_log(enum cast_log_level level, const char *obj, const char *msg,
                   void *arg)
{
	(void)level;
	(void)obj;
	(void)msg;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], *s1, *s2, *before;
	int rc;

	if (!board) {
		cast_log_set_handler(no_log, NULL);
		if (cast_board_new(&board, NULL) ||
		    cast_board_new(&again, NULL))
			abort();
	}
	before = cast_board_save_string(board);
	why[0] = 0;
	rc = cast_board_load_string(board, (const char *)data, size, why,
	                            sizeof(why));
	if (rc) {
		s1 = cast_board_save_string(board);
		if (!why[0] || !before || !s1 || strcmp(before, s1))
			abort();
		free(s1);
		free(before);
		return 0;
	}
	free(before);
	s1 = cast_board_save_string(board);
	if (!s1 ||
	    cast_board_load_string(again, s1, strlen(s1), why, sizeof(why)))
		abort();
	s2 = cast_board_save_string(again);
	if (!s2 || strcmp(s1, s2))
		abort();
	free(s1);
	free(s2);
	/* Small, so text and long strokes stay cheap to draw. */
	if (cast_board_render(board, -1, argb, 64, 36, 64 * 4))
		abort();
	return 0;
}
