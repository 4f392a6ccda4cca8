/*
 * Checks the x11 capture backend against a running X server (the integration
 * script starts Xvfb), and measures its cost per grab.
 *
 *   x11_grab_check DISPLAY REF.ppm   picture, damage and cursor checks
 *   x11_grab_check --bench DISPLAY N  N grabs per case, median and p99 in ms
 *
 * Exit status: 0 passed, 1 failed, 77 skipped (no display).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xcb/xcb.h>

#include "cast/cast.h"

static int failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);   \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			failures++;                                            \
		}                                                              \
	} while (0)

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

struct image {
	int w, h;
	uint8_t *rgb;
};

static int load_ppm(const char *path, struct image *img)
{
	FILE *f = fopen(path, "rb");
	int maxval;

	if (!f)
		return -1;
	if (fscanf(f, "P6 %d %d %d", &img->w, &img->h, &maxval) != 3 ||
	    maxval != 255 || fgetc(f) == EOF) {
		fclose(f);
		return -1;
	}
	img->rgb = malloc((size_t)img->w * img->h * 3);
	if (!img->rgb || fread(img->rgb, 3, (size_t)img->w * img->h, f) !=
	                     (size_t)img->w * img->h) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static const uint8_t *px(const struct cast_frame *f, int x, int y)
{
	return f->data[0] + (size_t)y * f->stride[0] + (size_t)x * 4;
}

/* Pixels of `f` (at offset ox, oy of the screen) off `ref` by more than 8. */
static long diff_ref(const struct cast_frame *f, const struct image *ref,
                     int ox, int oy)
{
	long bad = 0;

	for (int y = 0; y < f->height; y++) {
		for (int x = 0; x < f->width; x++) {
			const uint8_t *p = px(f, x, y);
			const uint8_t *q =
			    ref->rgb + ((size_t)(y + oy) * ref->w + x + ox) * 3;

			if (abs(p[2] - q[0]) > 8 || abs(p[1] - q[1]) > 8 ||
			    abs(p[0] - q[2]) > 8)
				bad++;
		}
	}
	return bad;
}

static uint8_t *snapshot(const struct cast_frame *f)
{
	uint8_t *s = malloc((size_t)f->width * f->height * 4);

	for (int y = 0; y < f->height; y++)
		memcpy(s + (size_t)y * f->width * 4, px(f, 0, y),
		       (size_t)f->width * 4);
	return s;
}

static bool in_damage(const struct cast_frame *f, int x, int y)
{
	for (int k = 0; k < f->n_damage; k++) {
		const struct cast_rect *r = &f->damage[k];

		if (x >= r->x && x < r->x + r->w && y >= r->y &&
		    y < r->y + r->h)
			return true;
	}
	return f->n_damage < 0;
}

/*
 * Compares `f` with an earlier snapshot: every changed pixel must be inside
 * the damage. Returns the number of changed pixels, and their bounding box.
 */
static long changed(const struct cast_frame *f, const uint8_t *before,
                    struct cast_rect *box)
{
	int x0 = f->width, y0 = f->height, x1 = -1, y1 = -1;
	long n = 0, outside = 0;

	for (int y = 0; y < f->height; y++) {
		for (int x = 0; x < f->width; x++) {
			if (!memcmp(px(f, x, y),
			            before + ((size_t)y * f->width + x) * 4, 3))
				continue;
			n++;
			outside += !in_damage(f, x, y);
			x0 = x < x0 ? x : x0;
			y0 = y < y0 ? y : y0;
			x1 = x > x1 ? x : x1;
			y1 = y > y1 ? y : y1;
		}
	}
	CHECK(!outside, "%ld changed pixels outside the damage", outside);
	*box = (struct cast_rect){x0, y0, x1 - x0 + 1, y1 - y0 + 1};
	return n;
}

static bool covers(const struct cast_frame *f, const struct cast_rect *r)
{
	for (int y = r->y; y < r->y + r->h; y++)
		for (int x = r->x; x < r->x + r->w; x++)
			if (!in_damage(f, x, y))
				return false;
	return true;
}

/* Grabs until the picture changes (the server may be a moment behind). */
static int grab_change(struct cast_capture *c, struct cast_frame *f)
{
	int err = 0;

	for (int i = 0; i < 100; i++) {
		err = cast_capture_grab(c, f);
		if (err)
			return err;
		sleep_ms(10);
	}
	return err;
}

/* Grabs until the screen has been still for a few grabs. */
static bool settle(struct cast_capture *c, struct cast_frame *f)
{
	int still = 0;

	for (int i = 0; i < 200 && still < 5; i++) {
		int err = cast_capture_grab(c, f);

		CHECK(err >= 0, "grab: %s", cast_strerror(err));
		still = err == 0 ? still + 1 : 0;
		if (err == 0)
			CHECK(f->n_damage == 0, "n_damage %d on a still grab",
			      f->n_damage);
		sleep_ms(10);
	}
	return still >= 5;
}

static void x_sync(xcb_connection_t *conn)
{
	free(xcb_get_input_focus_reply(conn, xcb_get_input_focus(conn), NULL));
}

static struct cast_capture *open_x11(const char *display, bool cursor,
                                     bool damage, int x, int y, int w, int h)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	int err;

	cast_capture_cfg_init(&cfg);
	cfg.backend = "x11";
	cfg.device = display;
	cfg.draw_cursor = cursor;
	cfg.use_damage = damage;
	cfg.x = x;
	cfg.y = y;
	cfg.w = w;
	cfg.h = h;
	err = cast_capture_new(&c, &cfg);
	if (err) {
		fprintf(stderr, "x11 capture on %s: %s\n", display,
		        cast_strerror(err));
		return NULL;
	}
	return c;
}

static void check_picture_and_damage(const char *display,
                                     const struct image *ref,
                                     xcb_connection_t *conn, xcb_screen_t *scr)
{
	struct cast_rect win = {200, 150, 160, 90}, box;
	struct cast_capture *c = open_x11(display, false, true, 0, 0, 0, 0);
	struct cast_frame f;
	xcb_window_t wid;
	uint8_t *before;
	uint32_t vals[2] = {0xff0000, 1};
	long n;
	int w, h, err;

	if (!c) {
		failures++;
		return;
	}
	cast_capture_size(c, &w, &h);
	CHECK(w == ref->w && h == ref->h, "size %dx%d, screen %dx%d", w, h,
	      ref->w, ref->h);
	err = cast_capture_grab(c, &f);
	CHECK(err == 1, "first grab returned %d", err);
	CHECK(f.n_damage == -1, "first grab n_damage %d", f.n_damage);
	CHECK(f.fmt == CAST_PIX_BGRA && f.width == w && f.height == h,
	      "frame format");
	n = diff_ref(&f, ref, 0, 0);
	CHECK(n <= (long)w * h / 1000, "%ld pixels differ from the image", n);
	printf("full screen: %ld of %d pixels off the reference\n", n, w * h);

	CHECK(settle(c, &f), "screen never still");
	before = snapshot(&f);
	err = cast_capture_grab(c, &f);
	CHECK(err == 0 && f.n_damage == 0, "still grab returned %d (%d rects)",
	      err, f.n_damage);

	/* Something new: a red window the capture must see, and only it. */
	wid = xcb_generate_id(conn);
	xcb_create_window(conn, XCB_COPY_FROM_PARENT, wid, scr->root,
	                  (int16_t)win.x, (int16_t)win.y, (uint16_t)win.w,
	                  (uint16_t)win.h, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
	                  scr->root_visual,
	                  XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT, vals);
	xcb_map_window(conn, wid);
	x_sync(conn);
	err = grab_change(c, &f);
	CHECK(err == 1, "grab after drawing returned %d", err);
	CHECK(f.n_damage > 0, "n_damage %d after drawing", f.n_damage);
	CHECK(covers(&f, &win), "damage does not cover the new window");
	n = changed(&f, before, &box);
	CHECK(n > 0 && box.x == win.x && box.y == win.y && box.w == win.w &&
	          box.h == win.h,
	      "changed %ld pixels in %dx%d+%d+%d", n, box.w, box.h, box.x,
	      box.y);
	for (int y = win.y; y < win.y + win.h; y += 7)
		for (int x = win.x; x < win.x + win.w; x += 7)
			CHECK(!memcmp(px(&f, x, y), "\0\0\xff", 3),
			      "not red at %d,%d", x, y);
	printf("window drawn: %d damage rects, %ld pixels changed\n",
	       f.n_damage, n);
	free(before);

	before = snapshot(&f);
	xcb_destroy_window(conn, wid);
	x_sync(conn);
	err = grab_change(c, &f);
	CHECK(err == 1 && covers(&f, &win), "damage misses the removed window");
	changed(&f, before, &box);
	n = diff_ref(&f, ref, 0, 0);
	CHECK(n <= (long)w * h / 1000, "%ld pixels off after removal", n);
	free(before);
	cast_capture_free(&c);
}

static void check_cursor(const char *display, xcb_connection_t *conn,
                         xcb_screen_t *scr)
{
	struct cast_capture *plain = open_x11(display, false, true, 0, 0, 0, 0);
	struct cast_capture *c = open_x11(display, true, true, 0, 0, 0, 0);
	struct cast_frame f, p;
	struct cast_rect box, box2;
	uint8_t *bare;
	long n;
	int err;

	if (!plain || !c) {
		failures++;
		goto out;
	}
	xcb_warp_pointer(conn, XCB_NONE, scr->root, 0, 0, 0, 0, 640, 360);
	x_sync(conn);
	cast_capture_grab(plain, &p);
	bare = snapshot(&p);
	err = cast_capture_grab(c, &f);
	CHECK(err == 1, "first cursor grab returned %d", err);
	/* changed() with n_damage -1 counts the pointer's pixels. */
	n = changed(&f, bare, &box);
	printf("pointer: %ld pixels in %dx%d+%d+%d\n", n, box.w, box.h, box.x,
	       box.y);
	CHECK(n > 0, "no pointer drawn");
	CHECK(n == 0 || (box.x > 640 - 64 && box.x + box.w < 640 + 64 &&
	                 box.y > 360 - 64 && box.y + box.h < 360 + 64),
	      "pointer pixels far from the pointer");

	CHECK(settle(c, &f), "screen with pointer never still");
	xcb_warp_pointer(conn, XCB_NONE, scr->root, 0, 0, 0, 0, 900, 500);
	x_sync(conn);
	err = grab_change(c, &f);
	CHECK(err == 1, "grab after pointer move returned %d", err);
	CHECK(covers(&f, &box), "damage misses the old pointer");
	for (int y = box.y; y < box.y + box.h; y++)
		for (int x = box.x; x < box.x + box.w; x++)
			if (memcmp(px(&f, x, y),
			           bare + ((size_t)y * f.width + x) * 4, 3)) {
				CHECK(0, "old pointer left at %d,%d", x, y);
				y = box.y + box.h;
				break;
			}
	n = changed(&f, bare, &box2);
	CHECK(n > 0 && covers(&f, &box2), "damage misses the new pointer");
	CHECK(box2.x > 900 - 64 && box2.x < 900 + 64, "new pointer misplaced");
	err = cast_capture_grab(c, &f);
	CHECK(err == 0, "still pointer grab returned %d", err);
	free(bare);

	/* Pointer half off the screen: clipped, no stray writes. */
	xcb_warp_pointer(conn, XCB_NONE, scr->root, 0, 0, 0, 0, 0, 0);
	x_sync(conn);
	CHECK(grab_change(c, &f) == 1, "grab with pointer at 0,0");
	xcb_warp_pointer(conn, XCB_NONE, scr->root, 0, 0, 0, 0,
	                 (int16_t)(scr->width_in_pixels - 1),
	                 (int16_t)(scr->height_in_pixels - 1));
	x_sync(conn);
	CHECK(grab_change(c, &f) == 1, "grab with pointer at the corner");
out:
	cast_capture_free(&plain);
	cast_capture_free(&c);
}

static void check_region(const char *display, const struct image *ref,
                         xcb_connection_t *conn, xcb_screen_t *scr)
{
	struct cast_capture *c;
	struct cast_frame f;
	int w, h, err;
	long n;

	xcb_warp_pointer(conn, XCB_NONE, scr->root, 0, 0, 0, 0, 5, 5);
	x_sync(conn);
	c = open_x11(display, true, true, 100, 60, 320, 240);
	if (!c) {
		failures++;
		return;
	}
	cast_capture_size(c, &w, &h);
	CHECK(w == 320 && h == 240, "region size %dx%d", w, h);
	err = cast_capture_grab(c, &f);
	CHECK(err == 1, "region grab returned %d", err);
	n = diff_ref(&f, ref, 100, 60);
	CHECK(n <= 320 * 240 / 1000, "region: %ld pixels off", n);
	CHECK(settle(c, &f), "region never still");
	cast_capture_free(&c);

	printf("a region off the screen must be refused (error expected):\n");
	c = open_x11(display, false, true, 1000, 600, 300, 200);
	CHECK(!c, "region off the screen accepted");
	cast_capture_free(&c);
}

/* Excluded rectangles: flat grey in the picture, the rest the screen's;
 * moved or cleared, the screen shows again where they were. */
static void check_exclude(const char *display, const struct image *ref,
                          xcb_connection_t *conn, xcb_screen_t *scr)
{
	struct cast_rect a = {150, 100, 200, 80}, b = {10, 10, 40, 30};
	struct cast_capture *c;
	struct cast_frame f;
	long grey = 0, off;

	xcb_warp_pointer(conn, XCB_NONE, scr->root, 0, 0, 0, 0, 5, 5);
	x_sync(conn);
	/* A region: exclusions are in screen coordinates. */
	c = open_x11(display, false, true, 100, 60, 320, 240);
	if (!c) {
		failures++;
		return;
	}
	CHECK(cast_capture_grab(c, &f) == 1, "first grab");
	CHECK(settle(c, &f), "never still");
	CHECK(cast_capture_exclude(c, &a, 1) == 0, "exclude refused");
	CHECK(cast_capture_grab(c, &f) == 1, "exclusion not a change");
	for (int y = a.y - 60; y < a.y - 60 + a.h; y++)
		for (int x = a.x - 100; x < a.x - 100 + a.w; x++)
			grey += !memcmp(px(&f, x, y), "\x30\x30\x30", 3);
	CHECK(grey == (long)a.w * a.h, "excluded: %ld of %d px grey", grey,
	      a.w * a.h);
	/* Outside it, the screen as it is. */
	off = 0;
	for (int y = 0; y < f.height; y++)
		for (int x = 0; x < f.width; x++) {
			const uint8_t *p = px(&f, x, y);
			const uint8_t *q = ref->rgb +
			                   ((size_t)(y + 60) * ref->w + x + 100) * 3;

			if (x >= a.x - 100 && x < a.x - 100 + a.w &&
			    y >= a.y - 60 && y < a.y - 60 + a.h)
				continue;
			off += abs(p[2] - q[0]) > 8 || abs(p[1] - q[1]) > 8 ||
			       abs(p[0] - q[2]) > 8;
		}
	CHECK(off <= 320 * 240 / 1000, "outside the exclusion: %ld px off",
	      off);
	/* Moved: the old place shows the screen again. */
	CHECK(cast_capture_exclude(c, &b, 1) == 0, "exclude move");
	CHECK(cast_capture_grab(c, &f) == 1, "move not a change");
	CHECK(diff_ref(&f, ref, 100, 60) <= 320 * 240 / 1000,
	      "after moving the exclusion off the region: picture off");
	CHECK(cast_capture_exclude(c, NULL, 0) == 0, "clear");
	CHECK(cast_capture_exclude(c, &a, CAST_CAPTURE_EXCLUDE_MAX + 1) ==
	          CAST_ERROR(E2BIG), "too many accepted");
	cast_capture_free(&c);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void report(const char *name, int64_t *t, int n, int changed_n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_i64);
	printf("%-34s median %7.3f ms  p99 %7.3f ms  (%d grabs, %d changed)\n",
	       name, (double)t[n / 2] / 1000, (double)t[n * 99 / 100] / 1000, n,
	       changed_n);
}

static int bench(const char *display, int n)
{
	static const struct {
		const char *name;
		bool cursor, damage, draw;
	} cases[] = {
	    {"full grab, no damage, cursor", true, false, false},
	    {"full grab, no damage, no cursor", false, false, false},
	    {"damage, still screen, cursor", true, true, false},
	    {"damage, still screen, no cursor", false, true, false},
	    {"damage, 200x50 change, cursor", true, true, true},
	};
	int64_t *t = calloc((size_t)n, sizeof(*t));
	xcb_connection_t *conn = xcb_connect(display, NULL);
	xcb_screen_t *scr = xcb_setup_roots_iterator(xcb_get_setup(conn)).data;
	xcb_window_t wid = xcb_generate_id(conn);
	uint32_t vals[2] = {0, 1};

	xcb_create_window(conn, XCB_COPY_FROM_PARENT, wid, scr->root, 300, 300,
	                  200, 50, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
	                  scr->root_visual,
	                  XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT, vals);
	xcb_map_window(conn, wid);
	x_sync(conn);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cast_capture *c = open_x11(display, cases[k].cursor,
		                                  cases[k].damage, 0, 0, 0, 0);
		struct cast_frame f;
		int nch = 0;

		if (!c)
			return 1;
		cast_capture_grab(c, &f);
		settle(c, &f);
		for (int i = 0; i < n; i++) {
			int64_t t0;
			int err;

			if (cases[k].draw) {
				vals[0] = (uint32_t)i * 0x010307;
				xcb_change_window_attributes(
				    conn, wid, XCB_CW_BACK_PIXEL, vals);
				xcb_clear_area(conn, 0, wid, 0, 0, 0, 0);
				x_sync(conn);
			}
			t0 = cast_mono_us();
			err = cast_capture_grab(c, &f);
			t[i] = cast_mono_us() - t0;
			if (err < 0)
				return 1;
			nch += err;
		}
		report(cases[k].name, t, n, nch);
		cast_capture_free(&c);
	}
	xcb_disconnect(conn);
	free(t);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct image ref = {0, 0, NULL};
	xcb_connection_t *conn;
	xcb_screen_t *scr;

	if (argc == 4 && !strcmp(argv[1], "--bench"))
		return bench(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 100);
	if (argc != 3) {
		fprintf(stderr,
		        "usage: %s DISPLAY REF.ppm | --bench DISPLAY N\n",
		        argv[0]);
		return 2;
	}
	conn = xcb_connect(argv[1], NULL);
	if (xcb_connection_has_error(conn)) {
		printf("skipped: no X display %s\n", argv[1]);
		return 77;
	}
	scr = xcb_setup_roots_iterator(xcb_get_setup(conn)).data;
	if (load_ppm(argv[2], &ref) || ref.w != scr->width_in_pixels ||
	    ref.h != scr->height_in_pixels) {
		fprintf(stderr, "bad reference image %s\n", argv[2]);
		return 1;
	}
	cast_log_set_level(CAST_LOG_DEBUG);
	check_picture_and_damage(argv[1], &ref, conn, scr);
	check_cursor(argv[1], conn, scr);
	check_region(argv[1], &ref, conn, scr);
	check_exclude(argv[1], &ref, conn, scr);
	xcb_disconnect(conn);
	free(ref.rgb);
	printf("%s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
