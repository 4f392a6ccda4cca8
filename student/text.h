/* The student's screens' text: the widget layer's (cast/ui.h) pango text
 * as SDL surfaces. */
#ifndef CAST_STUDENT_TEXT_H
#define CAST_STUDENT_TEXT_H

#include <SDL.h>

#include <cast/ui.h>

/**
 * `str` rasterised `px` pixels high in `fg`, wrapped at `wrap` pixels when
 * > 0, aligned by `align`: a new ARGB8888 surface (straight alpha) exactly
 * its size, or NULL for an empty string or no memory.
 */
SDL_Surface *text_surface(struct cast_ui *ui, const char *str, int px,
                          SDL_Color fg, int wrap, enum cast_ui_align align);

#endif
