/* Shows the student's "under remote control" banner (student/indicator.c)
 * on an X display and checks the screen itself (root window pixels read
 * back over xcb): a red banner with white text at the top centre, nothing
 * elsewhere, the keyboard focus untouched, repainted after another window
 * covered it, gone when hidden, back when shown again.
 * Usage: indicator_check [--lang LANG] [OUTDIR]   (display: $DISPLAY; OUTDIR
 * gets PPM screenshots; --lang: the banner in LANG from the catalogs in
 * $CAST_LOCALEDIR, as the overlay selects it: $LANGUAGE). Exit 0 when every
 * check passed. */
#include <libintl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <xcb/xcb.h>

#include "../../student/indicator.h"

static xcb_connection_t *c;
static xcb_screen_t *scr;
static const char *outdir, *lang;
static int failures;

/* One grab of the root window: BGRX, w * h * 4 bytes. */
struct shot {
	uint8_t *px;
	int w, h;
};

/* What a scan found: the red pixels' bounding box and the white ones. */
struct found {
	long red, white;
	int x0, y0, x1, y1;
};

__attribute__((format(printf, 2, 3))) static void check(bool ok,
                                                        const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

static void grab(struct shot *s)
{
	xcb_get_image_reply_t *r;

	free(s->px);
	s->w = scr->width_in_pixels;
	s->h = scr->height_in_pixels;
	s->px = calloc((size_t)s->w * (size_t)s->h, 4);
	r = xcb_get_image_reply(c,
	                        xcb_get_image(c, XCB_IMAGE_FORMAT_Z_PIXMAP,
	                                      scr->root, 0, 0, (uint16_t)s->w,
	                                      (uint16_t)s->h, ~0u),
	                        NULL);
	if (!s->px || !r) {
		fprintf(stderr, "indicator_check: cannot read the screen\n");
		exit(1);
	}
	if ((size_t)xcb_get_image_data_length(r) >= (size_t)s->w * s->h * 4)
		memcpy(s->px, xcb_get_image_data(r), (size_t)s->w * s->h * 4);
	free(r);
}

static bool is_red(const uint8_t *p)
{
	return p[2] > 150 && p[1] < 60 && p[0] < 60;
}

static bool is_white(const uint8_t *p)
{
	return p[2] > 220 && p[1] > 220 && p[0] > 220;
}

static struct found scan(const struct shot *s)
{
	struct found f = {0, 0, s->w, s->h, -1, -1};

	for (int y = 0; y < s->h; y++)
		for (int x = 0; x < s->w; x++) {
			const uint8_t *p = s->px + ((size_t)y * s->w + x) * 4;

			if (is_white(p))
				f.white++;
			if (!is_red(p))
				continue;
			f.red++;
			if (x < f.x0)
				f.x0 = x;
			if (y < f.y0)
				f.y0 = y;
			if (x > f.x1)
				f.x1 = x;
			if (y > f.y1)
				f.y1 = y;
		}
	return f;
}

static void save(const struct shot *s, const char *name)
{
	char path[4096];
	FILE *f;

	if (!outdir)
		return;
	snprintf(path, sizeof(path), "%s/%s.ppm", outdir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fprintf(f, "P6\n%d %d\n255\n", s->w, s->h);
	for (long i = 0; i < (long)s->w * s->h; i++) {
		uint8_t rgb[3] = {s->px[i * 4 + 2], s->px[i * 4 + 1],
		                  s->px[i * 4]};

		fwrite(rgb, 1, 3, f);
	}
	fclose(f);
}

/* Pumps SDL's events (the banner repaints from its event watch) until the
 * top centre pixel is red (`red`) or not, at most 5 s; grabs into `s`. */
static bool settle(struct shot *s, bool red)
{
	for (int i = 0; i < 250; i++) {
		SDL_PumpEvents();
		grab(s);
		if (is_red(s->px + ((size_t)2 * s->w + s->w / 2) * 4) == red)
			return true;
		SDL_Delay(20);
	}
	return false;
}

static xcb_window_t focus_now(void)
{
	xcb_get_input_focus_reply_t *r =
	    xcb_get_input_focus_reply(c, xcb_get_input_focus(c), NULL);
	xcb_window_t w = r ? r->focus : XCB_NONE;

	free(r);
	return w;
}

/* Checks the banner on `s`: red, at the top, centred, white text inside,
 * not too big. */
static void check_banner(const struct shot *s, const char *when)
{
	struct found f = scan(s);
	int mid = (f.x0 + f.x1) / 2;

	check(f.red > 2000, "%s: red banner (%ld red pixels)", when, f.red);
	check(f.y0 == 0, "%s: at the top (first red row %d)", when, f.y0);
	check(abs(mid - s->w / 2) <= 2,
	      "%s: centred (red x %d..%d, centre %d of %d)", when, f.x0, f.x1,
	      mid, s->w / 2);
	check(f.x1 - f.x0 + 1 < s->w * 3 / 4 && f.y1 < s->h / 8,
	      "%s: small (%dx%d)", when, f.x1 - f.x0 + 1, f.y1 - f.y0 + 1);
	check(f.white > 100, "%s: white text (%ld white pixels)", when,
	      f.white);
	/* "Under remote control by the teacher" is about twice as wide as its
	 * 8 Chinese characters. */
	if (lang)
		check(f.x1 - f.x0 + 1 < 300, "%s: the %s text (%d px wide)",
		      when, lang, f.x1 - f.x0 + 1);
	else
		check(f.x1 - f.x0 + 1 > 300,
		      "%s: the English text (%d px wide)", when,
		      f.x1 - f.x0 + 1);
	check((long)(f.x1 - f.x0 + 1) * (f.y1 - f.y0 + 1) - f.red <
	          (long)(f.x1 - f.x0 + 1) * (f.y1 - f.y0 + 1) / 2,
	      "%s: solid (%ld of %d px red, the rest text)", when, f.red,
	      (f.x1 - f.x0 + 1) * (f.y1 - f.y0 + 1));
}

int main(int argc, char **argv)
{
	struct indicator *ind = NULL;
	struct shot s = {0};
	struct found f;
	xcb_window_t focus0, cover;
	uint32_t values[2];
	int err;

	if (argc > 2 && !strcmp(argv[1], "--lang")) {
		lang = argv[2];
		argv += 2;
		argc -= 2;
		/* What the overlay does for the student (overlay.c). */
		setenv("LANGUAGE", lang, 1);
		setlocale(LC_ALL, "");
		setlocale(LC_MESSAGES, "C.UTF-8");
		if (!getenv("CAST_LOCALEDIR") ||
		    !bindtextdomain("libcast", getenv("CAST_LOCALEDIR")) ||
		    !bind_textdomain_codeset("libcast", "UTF-8")) {
			fprintf(stderr,
			        "indicator_check: set CAST_LOCALEDIR\n");
			return 1;
		}
	}
	outdir = argc > 1 ? argv[1] : NULL;
	c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c)) {
		fprintf(stderr, "indicator_check: cannot open $DISPLAY\n");
		return 1;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr, "indicator_check: SDL: %s\n", SDL_GetError());
		return 1;
	}
	err = indicator_new(&ind);
	if (err) {
		fprintf(stderr, "indicator_check: indicator_new: %d\n", err);
		return 1;
	}
	check(!indicator_shown(ind), "hidden when made");
	SDL_PumpEvents();
	grab(&s);
	f = scan(&s);
	check(f.red == 0, "nothing red before it is shown (%ld)", f.red);
	focus0 = focus_now();

	indicator_show(ind, true);
	check(indicator_shown(ind), "shown");
	check(settle(&s, true), "red at the top centre within 5 s");
	save(&s, "shown");
	check_banner(&s, "shown");
	check(focus_now() == focus0,
	      "the keyboard focus stays (0x%x, was 0x%x)", focus_now(), focus0);

	/* Another window over it, then gone: the banner paints itself again. */
	cover = xcb_generate_id(c);
	values[0] = scr->white_pixel;
	values[1] = 1; /* override-redirect: placed where asked */
	xcb_create_window(c, XCB_COPY_FROM_PARENT, cover, scr->root, 0, 0,
	                  scr->width_in_pixels, 200, 0,
	                  XCB_WINDOW_CLASS_INPUT_OUTPUT, scr->root_visual,
	                  XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT, values);
	xcb_map_window(c, cover);
	xcb_flush(c);
	check(settle(&s, false), "covered by another window");
	xcb_destroy_window(c, cover);
	xcb_flush(c);
	check(settle(&s, true), "repainted once uncovered");
	save(&s, "uncovered");
	check_banner(&s, "uncovered");

	indicator_show(ind, false);
	check(!indicator_shown(ind), "hidden");
	check(settle(&s, false), "gone from the screen");
	save(&s, "hidden");
	f = scan(&s);
	check(f.red == 0, "nothing red once hidden (%ld)", f.red);

	indicator_show(ind, true);
	check(settle(&s, true), "back when shown again");
	check_banner(&s, "shown again");

	indicator_free(&ind);
	check(ind == NULL, "freed");
	indicator_free(&ind);
	SDL_Quit();
	free(s.px);
	xcb_disconnect(c);
	printf("%s\n", failures ? "FAILED" : "PASS");
	return failures ? 1 : 0;
}
