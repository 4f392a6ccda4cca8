/* CSV files the project writes: one escaped writer, saved atomically. */
#ifndef CAST_CSV_H
#define CAST_CSV_H

#include "defs.h"

/*
 * A CSV text being built (RFC 4180, CRLF, UTF-8 with a BOM so spreadsheets
 * read it as UTF-8). Zero-initialise; free with cast_csv_free. Cells that
 * a spreadsheet would take as a formula (starting with = + - @ tab CR or
 * ') get a leading apostrophe, so what students typed never runs. An
 * allocation failure sets `oom` and later calls do nothing.
 */
struct cast_csv {
	char *s;
	size_t len, cap;
	bool oom;
};

/** Starts the text: the BOM, then `header` (plain column names, commas). */
CAST_API void cast_csv_begin(struct cast_csv *c, const char *header);
/** Adds one cell; `last` ends the row. NULL is an empty cell. */
CAST_API void cast_csv_cell(struct cast_csv *c, const char *s, bool last);
/**
 * Writes the text to `path` atomically (a temporary file beside it, mode
 * 0600 since rosters and inventories hold personal data, synced, renamed
 * over it). Returns 0, -ENOMEM (an earlier add failed), -ENAMETOOLONG, or
 * the file calls' errno.
 */
CAST_API int cast_csv_save(const struct cast_csv *c, const char *path);
CAST_API void cast_csv_free(struct cast_csv *c);

#endif
