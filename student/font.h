/* The student program's font: found through fontconfig (student/font.c). */
#ifndef CAST_STUDENT_FONT_H
#define CAST_STUDENT_FONT_H

#include <stdbool.h>

/**
 * Finds the font file for Simplified (or, with `traditional`, Traditional)
 * Chinese and Latin: Noto Sans CJK, else any sans-serif font for the
 * language, else DejaVu Sans with a warning that Chinese will not render.
 * On success *file is a malloc'd path (the caller frees it) and *index the
 * face in it. 0 or CAST_ERROR(ENOENT) (no usable font, logged with the
 * packages to install).
 */
int font_find(bool traditional, char **file, int *index);

#endif
