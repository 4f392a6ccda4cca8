/* The widget layer (cast/ui.h): layout and hit-testing at the console's two
 * target sizes, rubber bands, menus kept on screen, the string table in the
 * three languages, every icon's glyph in the fonts, and drawing read back
 * from a cairo image surface. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"
#include "cast/ui.h"

static const double sizes[][2] = {{1366, 768}, {1920, 1080}, {1024, 600}};

static void test_layout_regions(void **state)
{
	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct cast_ui_layout l;
		double w = sizes[s][0], h = sizes[s][1];

		cast_ui_layout(&l, w, h, 12);
		/* Text big enough to read on both target screens. */
		assert_true(l.unit >= 12);
		assert_true(l.toolbar.h > 0 && l.status.h > 0);
		assert_true(l.status.y + l.status.h <= h + 0.01);
		assert_true(l.grid.x + l.grid.w <= l.side.x);
		assert_true(l.side.x + l.side.w <= w + 0.01);
		for (int i = 0; i < CAST_UI_TILES_PAGE; i++) {
			const struct cast_ui_rect *r = &l.tiles[i];

			/* Inside the grid, each at least 180 x 110 px. */
			assert_true(r->x >= l.grid.x && r->y >= l.grid.y);
			assert_true(r->x + r->w <= l.grid.x + l.grid.w + 0.01);
			assert_true(r->y + r->h <= l.grid.y + l.grid.h + 0.01);
			assert_true(r->w >= 180 && r->h >= 110);
			for (int k = 0; k < i; k++) {
				const struct cast_ui_rect *o = &l.tiles[k];

				assert_false(
				    r->x < o->x + o->w && o->x < r->x + r->w &&
				    r->y < o->y + o->h && o->y < r->y + r->h);
			}
		}
		/* Buttons in the toolbar, in order, not overlapping. */
		assert_int_equal(l.n_buttons, 12);
		for (int i = 0; i < l.n_buttons; i++) {
			assert_true(l.buttons[i].x + l.buttons[i].w <= w);
			assert_true(l.buttons[i].y + l.buttons[i].h <=
			            l.toolbar.h);
			if (i)
				assert_true(l.buttons[i].x >=
				            l.buttons[i - 1].x +
				                l.buttons[i - 1].w);
		}
	}
}

static void test_hit(void **state)
{
	struct cast_ui_layout l;

	(void)state;
	cast_ui_layout(&l, 1366, 768, 5);
	for (int i = 0; i < CAST_UI_TILES_PAGE; i++) {
		const struct cast_ui_rect *r = &l.tiles[i];

		assert_int_equal(
		    cast_ui_tile_at(&l, r->x + r->w / 2, r->y + r->h / 2), i);
		assert_int_equal(cast_ui_tile_at(&l, r->x, r->y), i);
		/* The right and bottom edges belong to the next. */
		assert_int_not_equal(
		    cast_ui_tile_at(&l, r->x + r->w, r->y + r->h / 2), i);
	}
	/* The gap between two tiles, the toolbar, the side panel: none. */
	assert_int_equal(cast_ui_tile_at(&l, l.tiles[0].x + l.tiles[0].w + 1,
	                                 l.tiles[0].y + 5),
	                 -1);
	assert_int_equal(cast_ui_tile_at(&l, 5, 5), -1);
	assert_int_equal(cast_ui_tile_at(&l, l.side.x + 5, l.side.y + 5), -1);
	assert_int_equal(
	    cast_ui_button_at(&l, l.buttons[3].x + 2, l.buttons[3].y + 2), 3);
	assert_int_equal(cast_ui_button_at(&l, l.w - 2, 5), -1);
	assert_int_equal(cast_ui_button_at(&l, 100, 300), -1);
	cast_ui_layout(&l, 1366, 768, 99);
	assert_int_equal(l.n_buttons, CAST_UI_BUTTONS_MAX);
	cast_ui_layout(&l, 10, 10, -3);
	assert_int_equal(l.n_buttons, 0);
	assert_true(l.w == 320 && l.h == 240);
}

static void test_band(void **state)
{
	struct cast_ui_layout l;
	const struct cast_ui_rect *a, *b;

	(void)state;
	cast_ui_layout(&l, 1920, 1080, 12);
	a = &l.tiles[0];
	b = &l.tiles[5];
	/* From inside tile 0 to inside tile 5, either direction: 0,1,4,5. */
	assert_int_equal(
	    cast_ui_tiles_in(&l, a->x + 3, a->y + 3, b->x + 3, b->y + 3),
	    (1u << 0) | (1u << 1) | (1u << 4) | (1u << 5));
	assert_int_equal(
	    cast_ui_tiles_in(&l, b->x + 3, b->y + 3, a->x + 3, a->y + 3),
	    (1u << 0) | (1u << 1) | (1u << 4) | (1u << 5));
	/* In a gap only: nothing. */
	assert_int_equal(cast_ui_tiles_in(&l, a->x + a->w + 1, a->y,
	                                  a->x + a->w + 2, a->y + 2),
	                 0);
	/* The whole grid: all 16. */
	assert_int_equal(cast_ui_tiles_in(&l, 0, 0, 1920, 1080), 0xffff);
}

static void test_menu(void **state)
{
	struct cast_ui_menu_layout m;
	struct cast_ui_rect at = {1300, 10, 60, 50};

	(void)state;
	cast_ui_menu_layout(&m, &at, 6, 16, 1366, 768);
	/* Kept inside the window, below its button. */
	assert_true(m.box.x + m.box.w <= 1366);
	assert_true(m.box.y >= 60);
	assert_int_equal(cast_ui_menu_item_at(&m, m.box.x + 5, m.box.y + 1), 0);
	assert_int_equal(
	    cast_ui_menu_item_at(&m, m.box.x + 5, m.box.y + m.item_h * 5.5), 5);
	assert_int_equal(cast_ui_menu_item_at(&m, m.box.x - 1, m.box.y + 1),
	                 -1);
	assert_int_equal(
	    cast_ui_menu_item_at(&m, m.box.x + 5, m.box.y + m.box.h), -1);
	/* A menu near the bottom moves up. */
	at.y = 740;
	cast_ui_menu_layout(&m, &at, 6, 16, 1366, 768);
	assert_true(m.box.y + m.box.h <= 768);
	/* A long one (every feature in the custom menu) below a toolbar
	 * button: lower items, still below the button and on screen. */
	at = (struct cast_ui_rect){900, 5, 100, 62};
	cast_ui_menu_layout(&m, &at, 28, 16, 1366, 768);
	assert_true(m.box.y >= 67);
	assert_true(m.box.y + m.box.h <= 768 + 1e-9);
	assert_true(m.item_h >= 16 * 1.2 && m.item_h < 32);
	assert_int_equal(
	    cast_ui_menu_item_at(&m, m.box.x + 5, m.box.y + m.item_h * 27.5), 27);
}

static void test_strings(void **state)
{
	int differ = 0;

	(void)state;
	for (int s = 0; s < CAST_S_COUNT; s++) {
		for (int l = 0; l < CAST_LANG_COUNT; l++)
			assert_true(cast_ui_text(l, s)[0] != '\0');
		differ += strcmp(cast_ui_text(CAST_LANG_ZH_CN, s),
		                 cast_ui_text(CAST_LANG_ZH_TW, s)) != 0;
		/* Chinese is not the English left untranslated. */
		assert_string_not_equal(cast_ui_text(CAST_LANG_ZH_CN, s),
		                        cast_ui_text(CAST_LANG_EN, s));
	}
	assert_true(differ > CAST_S_COUNT / 2);
	assert_string_equal(cast_ui_text(CAST_LANG_ZH_CN, CAST_S_LOCK), "锁屏");
	assert_string_equal(cast_ui_text(CAST_LANG_ZH_TW, CAST_S_LOCK),
	                    "鎖定螢幕");
	assert_string_equal(cast_ui_text(CAST_LANG_EN, CAST_S_LOCK), "Lock");
	/* Out of range: never NULL. */
	assert_string_equal(cast_ui_text(CAST_LANG_EN, CAST_S_COUNT), "");
	assert_string_equal(cast_ui_text(99, CAST_S_LOCK), "Lock");
	assert_int_equal(cast_lang_parse("zh_CN.UTF-8"), CAST_LANG_ZH_CN);
	assert_int_equal(cast_lang_parse("zh"), CAST_LANG_ZH_CN);
	assert_int_equal(cast_lang_parse("zh_TW"), CAST_LANG_ZH_TW);
	assert_int_equal(cast_lang_parse("zh_HK.UTF-8"), CAST_LANG_ZH_TW);
	assert_int_equal(cast_lang_parse("en_US.UTF-8"), CAST_LANG_EN);
	assert_int_equal(cast_lang_parse("C"), -EINVAL);
	assert_int_equal(cast_lang_parse("zhx"), -EINVAL);
	assert_int_equal(cast_lang_parse(NULL), -EINVAL);
	for (int l = 0; l < CAST_LANG_COUNT; l++)
		assert_int_equal(cast_lang_parse(cast_lang_code(l)), l);
}

static void test_backspace(void **state)
{
	char s[32] = "ab锁";

	(void)state;
	cast_ui_utf8_backspace(s);
	assert_string_equal(s, "ab");
	cast_ui_utf8_backspace(s);
	assert_string_equal(s, "a");
	cast_ui_utf8_backspace(s);
	cast_ui_utf8_backspace(s);
	assert_string_equal(s, "");
}

/* Pixels of `img` within `r` close to colour `rgb`. */
static int count_rgb(cairo_surface_t *img, const struct cast_ui_rect *r,
                     uint32_t rgb)
{
	unsigned char *d = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img), n = 0;

	cairo_surface_flush(img);
	for (int y = (int)r->y; y < (int)(r->y + r->h); y++)
		for (int x = (int)r->x; x < (int)(r->x + r->w); x++) {
			uint32_t p = *(uint32_t *)(d + y * stride + x * 4);

			n += abs((int)((p >> 16) & 0xff) -
			         (int)((rgb >> 16) & 0xff)) < 12 &&
			     abs((int)((p >> 8) & 0xff) -
			         (int)((rgb >> 8) & 0xff)) < 12 &&
			     abs((int)(p & 0xff) - (int)(rgb & 0xff)) < 12;
		}
	return n;
}

static void test_draw_tile(void **state)
{
	cairo_surface_t *img =
	    cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 300, 200);
	cairo_t *cr = cairo_create(img);
	struct cast_ui *ui = NULL;
	struct cast_ui_rect r = {10, 10, 280, 180};
	struct cast_ui_tile t;

	(void)state;
	assert_int_equal(cast_ui_new(&ui, CAST_LANG_ZH_CN), 0);
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "s01");
	snprintf(t.name, sizeof(t.name), "李雷");
	t.flags = CAST_UI_T_ONLINE | CAST_UI_T_LOCKED;
	cast_ui_draw_tile(ui, cr, &r, &t, 16);
	/* Online badge green, locked badge and padlock red. */
	assert_true(count_rgb(img, &r, CAST_UI_ONLINE) > 50);
	assert_true(count_rgb(img, &r, CAST_UI_LOCKED) > 50);
	assert_int_equal(count_rgb(img, &r, CAST_UI_HAND), 0);
	/* Selected: the accent border. */
	t.selected = true;
	t.flags = CAST_UI_T_HAND;
	cast_ui_draw_tile(ui, cr, &r, &t, 16);
	assert_true(count_rgb(img, &r, CAST_UI_ACCENT) > 200);
	assert_true(count_rgb(img, &r, CAST_UI_OFFLINE) > 50);
	/* A picture (the monitor wall's) fills the thumbnail area, aspect
	 * kept; a demonstrator's tile has its accent mark over it. */
	{
		cairo_surface_t *pic =
		    cairo_image_surface_create(CAIRO_FORMAT_RGB24, 32, 18);
		cairo_t *pc = cairo_create(pic);

		cairo_set_source_rgb(pc, 1, 0, 1);
		cairo_paint(pc);
		cairo_destroy(pc);
		t.flags = CAST_UI_T_ONLINE;
		t.selected = false;
		cast_ui_draw_tile(ui, cr, &r, &t, 16);
		assert_int_equal(count_rgb(img, &r, 0xff00ff), 0);
		t.picture = pic;
		cast_ui_draw_tile(ui, cr, &r, &t, 16);
		assert_true(count_rgb(img, &r, 0xff00ff) > 5000);
		assert_true(count_rgb(img, &r, CAST_UI_ACCENT) < 50);
		t.flags |= CAST_UI_T_DEMO;
		cast_ui_draw_tile(ui, cr, &r, &t, 16);
		assert_true(count_rgb(img, &r, CAST_UI_ACCENT) > 100);
		t.picture = NULL;
		cairo_surface_destroy(pic);
	}
	/* Chinese text is laid out with real glyphs: wider than nothing, and
	 * the two scripts' words differ in width. */
	assert_true(cast_ui_text_width(ui, cr, "锁屏", 16, false) > 16);
	cast_ui_set_lang(ui, CAST_LANG_ZH_TW);
	assert_int_equal(cast_ui_lang(ui), CAST_LANG_ZH_TW);
	assert_true(cast_ui_text_width(ui, cr, "鎖定螢幕", 16, false) >
	            cast_ui_text_width(ui, cr, "锁屏", 16, false));
	cast_ui_free(&ui);
	assert_null(ui);
	cast_ui_free(&ui);
	cairo_destroy(cr);
	cairo_surface_destroy(img);
}

/* Text as pixels for the student's screens: its own size, the colour at
 * full opacity where the ink is solid (straight alpha, not premultiplied),
 * wrapped narrower and taller, nothing for no text. */
static void test_text_pixels(void **state)
{
	struct cast_ui *ui = NULL;
	uint32_t *px;
	int w, h, w2, h2, solid = 0, partial = 0, bad = 0;

	(void)state;
	assert_int_equal(cast_ui_new(&ui, CAST_LANG_ZH_CN), 0);
	px = cast_ui_text_pixels(ui, "屏幕已被老师锁定 Locked", 24, 0x3366cc, 0,
	                         CAST_UI_LEFT_ALIGN, &w, &h);
	assert_non_null(px);
	assert_true(w > 8 * 20 && h >= 24 && h < 24 * 2);
	for (int i = 0; i < w * h; i++) {
		uint32_t a = px[i] >> 24;

		if (a == 255)
			solid += (px[i] & 0xffffff) == 0x3366cc;
		else if (a > 0) {
			partial++;
			/* Un-premultiplied: near the colour, not darker
			 * (faint edges keep too few bits to say). */
			bad += a >= 64 && (abs((int)((px[i] >> 16) & 0xff) - 0x33) > 8 ||
			       abs((int)(px[i] & 0xff) - 0xcc) > 8);
		}
	}
	assert_true(solid > 200);
	assert_true(partial > 50);
	assert_int_equal(bad, 0);
	free(px);
	px = cast_ui_text_pixels(ui, "屏幕已被老师锁定 Locked", 24, 0x3366cc,
	                         100, CAST_UI_CENTER, &w2, &h2);
	assert_non_null(px);
	assert_true(w2 <= 100 && h2 >= 2 * h);
	free(px);
	assert_null(cast_ui_text_pixels(ui, "", 24, 0, 0, CAST_UI_LEFT_ALIGN,
	                                &w, &h));
	assert_int_equal(w, 0);
	assert_null(cast_ui_text_pixels(ui, NULL, 24, 0, 0, CAST_UI_LEFT_ALIGN,
	                                &w, &h));
	cast_ui_free(&ui);
}

/* Every icon the console shows is a glyph the widget layer's fonts have, in
 * each language's font order (a missing one would be an empty box on the
 * toolbar); an icon with a missing glyph is left out, not boxed. */
static void test_icons(void **state)
{
	struct cast_ui *ui = NULL;
	int missing = 0;

	(void)state;
	assert_int_equal(cast_ui_new(&ui, CAST_LANG_EN), 0);
	for (int l = 0; l < CAST_LANG_COUNT; l++) {
		cast_ui_set_lang(ui, (enum cast_lang)l);
		for (int i = 0; i < CAST_ICON_COUNT; i++) {
			const char *s = cast_ui_icon((enum cast_ui_icon)i);
			int n;

			assert_true(s[0] != '\0');
			if (cast_ui_icon_drawn(s))
				continue;
			n = cast_ui_missing_glyphs(ui, s);
			if (n) {
				printf("icon %d \"%s\": %d glyph(s) missing in "
				       "the %s font\n",
				       i, s, n,
				       cast_lang_code((enum cast_lang)l));
				missing++;
			}
		}
	}
	assert_int_equal(missing, 0);
	assert_true(cast_ui_icon_drawn(cast_ui_icon(CAST_ICON_LOCK)));
	assert_string_equal(cast_ui_icon(CAST_ICON_COUNT), "");
	/* The detector itself: a code point no font has (plane 16's last
	 * private use one) is missing; plain text is not. */
	assert_true(cast_ui_missing_glyphs(ui, "\xf4\x8f\xbf\xbd") > 0);
	assert_int_equal(cast_ui_missing_glyphs(ui, "Lock 锁屏"), 0);
	{
		cairo_surface_t *a =
		    cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 120, 80);
		cairo_surface_t *b =
		    cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 120, 80);
		cairo_t *ca = cairo_create(a), *cb = cairo_create(b);
		struct cast_ui_rect r = {0, 0, 120, 80};
		struct cast_ui_button none = {.icon = "", .label = "x"};
		struct cast_ui_button boxed = {.icon = "\xf4\x8f\xbf\xbd",
		                               .label = "x"};
		struct cast_ui_button pen = {
		    .icon = cast_ui_icon(CAST_ICON_CONTROL), .label = "x"};

		cast_ui_draw_button(ui, ca, &r, &none, 20);
		cast_ui_draw_button(ui, cb, &r, &boxed, 20);
		cairo_surface_flush(a);
		cairo_surface_flush(b);
		assert_memory_equal(cairo_image_surface_get_data(a),
		                    cairo_image_surface_get_data(b),
		                    (size_t)cairo_image_surface_get_stride(a) *
		                        80);
		/* A real icon does draw. */
		cast_ui_draw_button(ui, cb, &r, &pen, 20);
		cairo_surface_flush(b);
		assert_memory_not_equal(
		    cairo_image_surface_get_data(a),
		    cairo_image_surface_get_data(b),
		    (size_t)cairo_image_surface_get_stride(a) * 80);
		cairo_destroy(ca);
		cairo_destroy(cb);
		cairo_surface_destroy(a);
		cairo_surface_destroy(b);
	}
	cast_ui_free(&ui);
}

/* The UI scale an X11 desktop asks for: GDK_SCALE (whole numbers, as GTK),
 * else Xft.dpi / 96 to a quarter, within 1..3; the resource string's line
 * found among others, bad values ignored. */
static void test_scale(void **state)
{
	(void)state;
	assert_true(cast_ui_scale_pick(NULL, NULL) == 1);
	assert_true(cast_ui_scale_pick("", "") == 1);
	assert_true(cast_ui_scale_pick("2", NULL) == 2);
	assert_true(cast_ui_scale_pick("2", "Xft.dpi:\t96\n") == 2);
	assert_true(cast_ui_scale_pick("9", NULL) == CAST_UI_SCALE_MAX);
	/* Not a whole number, zero, junk: GTK ignores it; Xft.dpi says. */
	assert_true(cast_ui_scale_pick("1.5", "Xft.dpi:\t192\n") == 2);
	assert_true(cast_ui_scale_pick("0", NULL) == 1);
	assert_true(cast_ui_scale_pick("2x", NULL) == 1);
	assert_true(cast_ui_scale_pick("-2", NULL) == 1);
	assert_true(cast_ui_scale_pick(NULL, "Xft.dpi:\t192\n") == 2);
	assert_true(cast_ui_scale_pick(NULL, "Xft.dpi: 144") == 1.5);
	assert_true(cast_ui_scale_pick(NULL, "Xft.dpi:\t120\n") == 1.25);
	/* 110 / 96 = 1.146: the nearest quarter. */
	assert_true(cast_ui_scale_pick(NULL, "Xft.dpi:\t110\n") == 1.25);
	assert_true(cast_ui_scale_pick(NULL, "Xft.dpi:\t72\n") == 1);
	assert_true(cast_ui_scale_pick(NULL, "Xft.dpi:\t400\n") ==
	            CAST_UI_SCALE_MAX);
	assert_true(cast_ui_xft_dpi("Xft.antialias:\t1\nXft.hinting:\t1\n"
	                            "Xft.dpi:\t192\nXft.rgba:\trgb\n") == 192);
	assert_true(cast_ui_xft_dpi("Xft.dpi :  96.5 \r\n") == 96.5);
	assert_true(cast_ui_xft_dpi("Xft.dpi:\t192") == 192);
	/* Not the entry, or not a number: none. */
	assert_true(cast_ui_xft_dpi(NULL) == 0);
	assert_true(cast_ui_xft_dpi("") == 0);
	assert_true(cast_ui_xft_dpi("Xft.dpiX:\t192\n") == 0);
	assert_true(cast_ui_xft_dpi("*dpi:\t192\n") == 0);
	assert_true(cast_ui_xft_dpi("Xft.dpi:\tbig\n") == 0);
	assert_true(cast_ui_xft_dpi("Xft.dpi:\t192dpi\n") == 0);
	assert_true(cast_ui_xft_dpi("Xft.dpi:\t-5\n") == 0);
	assert_true(cast_ui_xft_dpi("Xft.dpi:\tnan\n") == 0);
	assert_true(cast_ui_xft_dpi("Xft.dpi:\t1e300\n") == 0);
	assert_true(cast_ui_xft_dpi("Xft.dpi:\n") == 0);
	assert_true(
	    cast_ui_xft_dpi("Xft.dpi:\t"
	                    "1234567890123456789012345678901234567\n") == 0);
	/* A later good line still counts after a bad one. */
	assert_true(cast_ui_xft_dpi("Xft.dpi:\tx\nXft.dpi:\t144\n") == 144);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout_regions),
	    cmocka_unit_test(test_hit),
	    cmocka_unit_test(test_band),
	    cmocka_unit_test(test_menu),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_backspace),
	    cmocka_unit_test(test_draw_tile),
	    cmocka_unit_test(test_text_pixels),
	    cmocka_unit_test(test_icons),
	    cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
