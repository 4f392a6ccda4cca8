/* Renders one console toolbar button with the widget layer, where the
 * console puts it, into a PNG: test_console.sh compares it with a screenshot
 * so that a label is proven drawn in the right language. With "layout",
 * prints the console's layout for a W x H (logical) window as JSON instead:
 * what test_console.sh holds a scaled console's geometry to.
 * Usage: ui_render W H N_BUTTONS INDEX LANG lock|menu OUT.ppm
 *        ui_render layout W H N_BUTTONS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/ui.h"

static void rect(const char *key, const struct cast_ui_rect *r)
{
	printf("%s\"%g,%g,%g,%g\"", key, r->x, r->y, r->w, r->h);
}

static int layout(int w, int h, int n)
{
	struct cast_ui_layout l;

	if (w < 320 || h < 240 || n < 0 || n > CAST_UI_BUTTONS_MAX)
		return 2;
	cast_ui_layout(&l, w, h, n);
	printf("{\"unit\":%g,", l.unit);
	rect("\"toolbar\":", &l.toolbar);
	rect(",\"grid\":", &l.grid);
	rect(",\"side\":", &l.side);
	rect(",\"status\":", &l.status);
	printf(",\"tiles\":[");
	for (int i = 0; i < CAST_UI_TILES_PAGE; i++)
		rect(i ? "," : "", &l.tiles[i]);
	printf("],\"buttons\":[");
	for (int i = 0; i < l.n_buttons; i++)
		rect(i ? "," : "", &l.buttons[i]);
	printf("]}\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct cast_ui_layout l;
	struct cast_ui_button b = {0};
	struct cast_ui *ui = NULL;
	cairo_surface_t *img;
	cairo_t *cr;
	FILE *f;
	int w, h, n, i, lang;

	if (argc == 5 && !strcmp(argv[1], "layout"))
		return layout(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc != 8) {
		fprintf(stderr, "usage: ui_render W H N INDEX LANG lock|menu "
		                "OUT.ppm\n");
		return 2;
	}
	w = atoi(argv[1]);
	h = atoi(argv[2]);
	n = atoi(argv[3]);
	i = atoi(argv[4]);
	lang = cast_lang_parse(argv[5]);
	if (w < 320 || h < 240 || i < 0 || i >= n || lang < 0 ||
	    cast_ui_new(&ui, (enum cast_lang)lang))
		return 2;
	cast_ui_layout(&l, w, h, n);
	if (!strcmp(argv[6], "lock")) {
		b.icon = cast_ui_icon(CAST_ICON_LOCK);
		b.label = cast_ui_text((enum cast_lang)lang, CAST_S_LOCK);
	} else {
		b.icon = cast_ui_icon(CAST_ICON_MENU);
		b.label = cast_ui_text((enum cast_lang)lang, CAST_S_MENU);
		b.has_menu = true;
	}
	img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cr = cairo_create(img);
	cast_ui_fill(cr, &l.toolbar, 0, CAST_UI_BAR);
	cast_ui_draw_button(ui, cr, &l.buttons[i], &b, l.unit);
	cairo_destroy(cr);
	cairo_surface_flush(img);
	f = fopen(argv[7], "wb");
	if (!f)
		return 1;
	/* Binary PPM: what the test reads screenshots as too. */
	fprintf(f, "P6\n%d %d\n255\n", w, h);
	for (int y = 0; y < h; y++) {
		const uint32_t *row =
		    (const uint32_t *)(cairo_image_surface_get_data(img) +
		                       (size_t)y *
		                           (size_t)
		                               cairo_image_surface_get_stride(
		                                   img));

		for (int x = 0; x < w; x++) {
			unsigned char px[3] = {(unsigned char)(row[x] >> 16),
			                       (unsigned char)(row[x] >> 8),
			                       (unsigned char)row[x]};

			fwrite(px, 1, 3, f);
		}
	}
	if (fclose(f))
		return 1;
	cairo_surface_destroy(img);
	cast_ui_free(&ui);
	return 0;
}
