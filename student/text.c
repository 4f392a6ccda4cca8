/* The student's screens' text as SDL surfaces: see text.h. */
#include <stdlib.h>
#include <string.h>

#include "text.h"

SDL_Surface *text_surface(struct cast_ui *ui, const char *str, int px,
                          SDL_Color fg, int wrap, enum cast_ui_align align)
{
	SDL_Surface *s;
	uint32_t *pix;
	int w, h;

	pix = cast_ui_text_pixels(ui, str, px,
	                          (uint32_t)fg.r << 16 | fg.g << 8 | fg.b, wrap,
	                          align, &w, &h);
	if (!pix)
		return NULL;
	s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32,
	                                   SDL_PIXELFORMAT_ARGB8888);
	if (s)
		for (int y = 0; y < h; y++)
			memcpy((Uint8 *)s->pixels + (size_t)y * s->pitch,
			       pix + (size_t)y * w, (size_t)w * 4);
	free(pix);
	return s;
}
