/* Draws the student overlays in a real SDL window and checks the pixels. */
#include <libintl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "../../student/overlay.h"

#define W 960
#define H 540

/* The stand-in for the broadcast picture: one known colour. */
static const uint8_t BG[3] = {0, 48, 96};

struct shot {
	uint8_t px[W * H * 3];
};

/* What a scan of part of a shot found. */
struct found {
	long n;
	int x0, y0, x1, y1; /* bounding box of the matches */
	int max_r;
};

typedef bool(match_fn)(const uint8_t *p);

static SDL_Window *win;
static SDL_Renderer *ren;
static struct overlay *ov;
static const char *outdir;
static int failures;

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

static void save_ppm(const struct shot *s, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.ppm", outdir, name);
	f = fopen(path, "wb");
	if (!f) {
		check(false, "cannot write %s", path);
		return;
	}
	fprintf(f, "P6\n%d %d\n255\n", W, H);
	fwrite(s->px, 3, (size_t)W * H, f);
	fclose(f);
}

/* Picture, overlays, read back, present; saved as NAME.ppm. */
static void frame(struct shot *s, const char *name)
{
	int w, h;

	SDL_GetRendererOutputSize(ren, &w, &h);
	if (w != W || h != H) {
		fprintf(stderr, "overlay_check: window is %dx%d, not %dx%d\n",
		        w, h, W, H);
		exit(1);
	}
	SDL_SetRenderDrawColor(ren, BG[0], BG[1], BG[2], 255);
	SDL_RenderClear(ren);
	overlay_draw(ov, w, h);
	if (SDL_RenderReadPixels(ren, NULL, SDL_PIXELFORMAT_RGB24, s->px,
	                         W * 3)) {
		fprintf(stderr, "overlay_check: read pixels: %s\n",
		        SDL_GetError());
		exit(1);
	}
	SDL_RenderPresent(ren);
	if (name)
		save_ppm(s, name);
}

static void scan(const struct shot *s, int x0, int y0, int x1, int y1,
                 match_fn *match, struct found *f)
{
	memset(f, 0, sizeof(*f));
	f->x0 = x1;
	f->y0 = y1;
	f->x1 = f->y1 = -1;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++) {
			const uint8_t *p = s->px + ((size_t)y * W + x) * 3;

			if (!match(p))
				continue;
			f->n++;
			f->x0 = x < f->x0 ? x : f->x0;
			f->y0 = y < f->y0 ? y : f->y0;
			f->x1 = x > f->x1 ? x : f->x1;
			f->y1 = y > f->y1 ? y : f->y1;
			f->max_r = p[0] > f->max_r ? p[0] : f->max_r;
		}
}

static bool not_bg(const uint8_t *p)
{
	return abs(p[0] - BG[0]) > 6 || abs(p[1] - BG[1]) > 6 ||
	       abs(p[2] - BG[2]) > 6;
}

static bool is_bg(const uint8_t *p)
{
	return !not_bg(p);
}

static bool not_black(const uint8_t *p)
{
	return p[0] || p[1] || p[2];
}

static bool yellow(const uint8_t *p)
{
	return p[0] > 170 && p[1] > 130 && p[2] < 110;
}

static bool orange(const uint8_t *p)
{
	return p[0] > 200 && p[1] > 90 && p[1] < 150 && p[2] < 40;
}

static bool ok_blue(const uint8_t *p)
{
	return abs(p[0] - 32) < 4 && abs(p[1] - 112) < 4 && abs(p[2] - 200) < 4;
}

static bool box_grey(const uint8_t *p)
{
	return p[0] == 246 && p[1] == 246 && p[2] == 246;
}

/*
 * Pushes `e` through SDL's queue, as the window system would, and offers
 * what comes out to the overlay; returns whether the overlay consumed it.
 */
static bool inject(SDL_Event *e)
{
	SDL_Event got;
	bool consumed = false, seen = false;

	if (SDL_PushEvent(e) != 1) {
		check(false, "SDL_PushEvent: %s", SDL_GetError());
		return false;
	}
	while (SDL_PollEvent(&got)) {
		bool c = overlay_handle_event(ov, &got);

		if (got.type == e->type && !seen) {
			seen = true;
			consumed = c;
		}
	}
	if (!seen)
		check(false, "pushed event 0x%x never came out", e->type);
	return consumed;
}

static bool key(SDL_Keycode sym, Uint16 mod)
{
	SDL_Event e = {.type = SDL_KEYDOWN};

	e.key.windowID = SDL_GetWindowID(win);
	e.key.state = SDL_PRESSED;
	e.key.keysym.sym = sym;
	e.key.keysym.scancode = SDL_GetScancodeFromKey(sym);
	e.key.keysym.mod = mod;
	return inject(&e);
}

static bool click(Uint32 type, int x, int y)
{
	SDL_Event e = {.type = type};

	e.button.windowID = SDL_GetWindowID(win);
	e.button.button = SDL_BUTTON_LEFT;
	e.button.state =
	    type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
	e.button.clicks = 1;
	e.button.x = x;
	e.button.y = y;
	return inject(&e);
}

static bool simple(Uint32 type)
{
	SDL_Event e = {.type = type};

	return inject(&e);
}

static bool window_event(Uint8 what)
{
	SDL_Event e = {.type = SDL_WINDOWEVENT};

	e.window.windowID = SDL_GetWindowID(win);
	e.window.event = what;
	return inject(&e);
}

static void set_wm(enum overlay_wm_place place, int opacity)
{
	struct overlay_watermark w;

	overlay_watermark_init(&w);
	w.id = "2023001";
	w.name = "张三丰";
	w.class_name = "三年二班";
	w.ip = "192.168.1.23";
	w.text = "课堂专用 For class use only";
	w.fields = OVERLAY_WM_ID | OVERLAY_WM_NAME | OVERLAY_WM_CLASS |
	           OVERLAY_WM_IP | OVERLAY_WM_TEXT;
	w.opacity = opacity;
	w.place = place;
	if (overlay_set_watermark(ov, &w))
		check(false, "overlay_set_watermark");
}

static void check_watermark(struct shot *s)
{
	static const struct {
		enum overlay_wm_place place;
		int opacity;
		const char *name;
		int qx, qy; /* the quadrant it must be in */
	} cases[] = {
	    {OVERLAY_WM_BOTTOM_RIGHT, 50, "wm_bottom_right_50", 1, 1},
	    {OVERLAY_WM_TOP_LEFT, 25, "wm_top_left_25", 0, 0},
	    {OVERLAY_WM_BOTTOM_LEFT, 100, "wm_bottom_left_100", 0, 1},
	    {OVERLAY_WM_TOP_RIGHT, 75, "wm_top_right_75", 1, 0},
	};
	struct found in, out;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int x0 = cases[i].qx * W / 2, y0 = cases[i].qy * H / 2;
		/* White at alpha a over BG: red goes from 0 to 255 * a. */
		int want = 255 * cases[i].opacity / 100;
		long elsewhere = 0;

		set_wm(cases[i].place, cases[i].opacity);
		frame(s, cases[i].name);
		scan(s, x0, y0, x0 + W / 2, y0 + H / 2, not_bg, &in);
		for (int q = 0; q < 4; q++) {
			int ox = (q & 1) * W / 2, oy = (q >> 1) * H / 2;

			if (ox == x0 && oy == y0)
				continue;
			scan(s, ox, oy, ox + W / 2, oy + H / 2, not_bg, &out);
			elsewhere += out.n;
		}
		check(in.n > 1500 && elsewhere == 0,
		      "%s: %ld watermark pixels in its corner, %ld elsewhere",
		      cases[i].name, in.n, elsewhere);
		check(abs(in.max_r - want) <= 8,
		      "%s: brightest red %d, want %d (opacity %d%%)",
		      cases[i].name, in.max_r, want, cases[i].opacity);
		/* Hugs its corner: within 5% of the two edges. */
		check((cases[i].qx ? W - 1 - in.x1 : in.x0) < W / 20 &&
		          (cases[i].qy ? H - 1 - in.y1 : in.y0) < H / 20,
		      "%s: box %d,%d-%d,%d is at the corner", cases[i].name,
		      in.x0, in.y0, in.x1, in.y1);
	}

	set_wm(OVERLAY_WM_CENTER, 40);
	frame(s, "wm_center_40");
	scan(s, 0, 0, W, H, not_bg, &in);
	check(in.n > 1500 && abs((in.x0 + in.x1) / 2 - W / 2) < W / 40 &&
	          abs((in.y0 + in.y1) / 2 - H / 2) < H / 40,
	      "centre: %ld pixels, box %d,%d-%d,%d", in.n, in.x0, in.y0, in.x1,
	      in.y1);

	set_wm(OVERLAY_WM_TILED, 30);
	frame(s, "wm_tiled_30");
	for (int q = 0; q < 4; q++) {
		int ox = (q & 1) * W / 2, oy = (q >> 1) * H / 2;

		scan(s, ox, oy, ox + W / 2, oy + H / 2, not_bg, &in);
		check(in.n > 1500 && abs(in.max_r - 255 * 30 / 100) <= 8,
		      "tiled: quadrant %d has %ld pixels, brightest red %d", q,
		      in.n, in.max_r);
	}

	set_wm(OVERLAY_WM_TILED, 0);
	frame(s, NULL);
	scan(s, 0, 0, W, H, not_bg, &in);
	check(in.n == 0, "opacity 0 draws nothing (%ld pixels)", in.n);
	overlay_set_watermark(ov, NULL);
}

static void check_marquee(struct shot *s)
{
	struct found a, b, below;

	overlay_set_marquee(ov,
	                    "通知：下午三点在礼堂开会。Notice: assembly "
	                    "in the hall at 3 pm.",
	                    60);
	frame(s, NULL);
	SDL_Delay(700);
	check(overlay_needs_redraw(ov), "a moving marquee asks for frames");
	frame(s, "marquee_a");
	scan(s, 0, 0, W, H / 8, yellow, &a);
	SDL_Delay(400);
	frame(s, "marquee_b");
	scan(s, 0, 0, W, H / 8, yellow, &b);
	check(a.n > 100 && b.n > 100, "marquee text at the top: %ld, %ld px",
	      a.n, b.n);
	check(b.x0 < a.x0 - 10,
	      "marquee moved left: from x=%d to x=%d in 0.4 s", a.x0, b.x0);
	scan(s, 0, H / 8, W, H, yellow, &below);
	check(below.n == 0, "nothing of it below the band (%ld px)", below.n);
	scan(s, 0, H / 8, W, H, not_bg, &below);
	check(below.n == 0, "the picture is untouched below the band");

	overlay_set_marquee(ov, "Short notice 短通知", 0.5);
	frame(s, NULL);
	SDL_Delay(700);
	frame(s, NULL);
	scan(s, 0, 0, W, H, yellow, &a);
	check(a.n == 0, "marquee gone after its time (%ld px)", a.n);
	check(!overlay_needs_redraw(ov), "no frames asked for when still");
}

static void check_messages(struct shot *s)
{
	struct found box, btn;
	int cx, cy;

	overlay_show_message(ov, "通知 Notice",
	                     "请在下课前提交作业。Please hand in your "
	                     "homework before the bell. "
	                     "这是一段很长的中文文字，用来检查自动换行是否正"
	                     "常工作，没有空格也应该能够换行。");
	overlay_show_message(ov, NULL, "Second message 第二条消息");
	check(overlay_messages(ov) == 2, "two messages queued");
	check(!key(SDLK_RETURN, 0), "Enter before any box is drawn: passed on");
	frame(s, "message_1");
	scan(s, 0, 0, W, H, box_grey, &box);
	check(box.n > 20000 && abs((box.x0 + box.x1) / 2 - W / 2) < 4 &&
	          box.y0 < H / 2 && box.y1 > H / 2,
	      "message box centred: %d,%d-%d,%d", box.x0, box.y0, box.x1,
	      box.y1);
	check(!click(SDL_MOUSEBUTTONDOWN, 5, 5), "click outside: passed on");
	check(!key(SDLK_a, 0), "other keys: passed on");
	check(key(SDLK_RETURN, 0), "Enter consumed");
	check(overlay_messages(ov) == 1, "Enter dismissed the first box");
	frame(s, "message_2");
	scan(s, 0, 0, W, H, ok_blue, &btn);
	check(btn.n > 500, "OK button drawn (%ld px)", btn.n);
	cx = (btn.x0 + btn.x1) / 2;
	cy = (btn.y0 + btn.y1) / 2;
	check(click(SDL_MOUSEBUTTONDOWN, cx, cy) &&
	          click(SDL_MOUSEBUTTONUP, cx, cy),
	      "click on OK consumed");
	check(overlay_messages(ov) == 0, "OK dismissed the second box");
	frame(s, NULL);
	scan(s, 0, 0, W, H, not_bg, &box);
	check(box.n == 0, "no box left (%ld px)", box.n);
	check(!key(SDLK_RETURN, 0), "Enter without a box: passed on");
}

static void check_lock(struct shot *s)
{
	struct found all, in, out;

	set_wm(OVERLAY_WM_TILED, 60);
	overlay_set_marquee(ov, "通知 Notice", 0);
	overlay_set_hand(ov, true);
	overlay_show_message(ov, "Title", "Under the lock");
	frame(s, "everything");
	scan(s, W / 2, 0, W, H / 4, orange, &in);
	check(in.n > 200, "hand indicator at the top right (%ld px)", in.n);

	overlay_set_lock(ov, true,
	                 "屏幕已锁定，请看黑板。Screen locked: eyes on the "
	                 "board.");
	check(overlay_locked(ov), "overlay_locked");
	frame(s, "locked");
	scan(s, 0, 0, W, H, not_black, &all);
	check(all.n > 1000, "lock notice drawn (%ld px)", all.n);
	check(abs((all.x0 + all.x1) / 2 - W / 2) < W / 40 &&
	          abs((all.y0 + all.y1) / 2 - H / 2) < H / 20 &&
	          (long)(all.x1 - all.x0) * (all.y1 - all.y0) < (long)W * H / 4,
	      "only a centred notice is not black: %d,%d-%d,%d", all.x0, all.y0,
	      all.x1, all.y1);
	scan(s, 0, 0, W, H, not_bg, &in);
	check(in.n == (long)W * H, "no broadcast pixel shows through");
	scan(s, 0, 0, W, all.y0, not_black, &out);
	check(out.n == 0, "all black above the notice");
	scan(s, 0, all.y1 + 1, W, H, not_black, &out);
	check(out.n == 0, "all black below the notice");
	check(!overlay_needs_redraw(ov), "a still lock screen needs no frames");

	check(key(SDLK_ESCAPE, 0), "locked: Escape swallowed");
	check(key(SDLK_F4, KMOD_LALT), "locked: Alt+F4 swallowed");
	check(key(SDLK_RETURN, 0), "locked: Enter swallowed");
	check(overlay_messages(ov) == 1, "locked: Enter dismissed nothing");
	check(simple(SDL_QUIT), "locked: SDL_QUIT swallowed");
	check(window_event(SDL_WINDOWEVENT_CLOSE),
	      "locked: window close swallowed");
	check(click(SDL_MOUSEBUTTONDOWN, 10, 10) &&
	          click(SDL_MOUSEBUTTONUP, 10, 10),
	      "locked: mouse buttons swallowed");
	check(simple(SDL_MOUSEMOTION) && simple(SDL_MOUSEWHEEL) &&
	          simple(SDL_TEXTINPUT) && simple(SDL_FINGERDOWN),
	      "locked: motion, wheel, text, touch swallowed");
	check(!window_event(SDL_WINDOWEVENT_EXPOSED),
	      "locked: exposure still reaches the caller");

	overlay_set_lock(ov, false, NULL);
	check(!overlay_locked(ov), "unlocked");
	frame(s, "unlocked");
	scan(s, 0, 0, W, H, is_bg, &in);
	check(in.n > (long)W * H / 3, "the picture is back (%ld px)", in.n);
	check(!simple(SDL_QUIT), "unlocked: SDL_QUIT passed on");
	check(key(SDLK_RETURN, 0) && overlay_messages(ov) == 0,
	      "unlocked: the box under the lock is dismissable");
	overlay_set_hand(ov, false);
	overlay_set_marquee(ov, NULL, 0);
	overlay_set_watermark(ov, NULL);
}

static void check_languages(struct shot *s)
{
	static const struct {
		const char *lang, *locked, *hand;
	} langs[] = {
	    {"zh_CN", "屏幕已被老师锁定", "已举手"},
	    {"zh-TW", "螢幕已被老師鎖定", "已舉手"},
	    {"en", "Screen locked by the teacher", "Hand raised"},
	};
	struct found f;
	char name[64];

	check(overlay_set_language(ov, "zh_CN; rm") < 0 &&
	          overlay_set_language(ov, "") < 0,
	      "malformed language refused");
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		const char *got;

		overlay_set_language(ov, langs[i].lang);
		set_wm(OVERLAY_WM_BOTTOM_RIGHT, 70);
		overlay_set_hand(ov, true);
		overlay_show_message(ov, NULL, "文字 text");
		snprintf(name, sizeof(name), "lang_%s", langs[i].lang);
		frame(s, name);
		scan(s, W / 2, 0, W, H / 4, orange, &f);
		check(f.n > 200, "%s: hand indicator (%ld px)", langs[i].lang,
		      f.n);
		got = dgettext("libcast", "Screen locked by the teacher");
		check(!strcmp(got, langs[i].locked), "%s: lock notice '%s'",
		      langs[i].lang, got);
		got = dgettext("libcast", "Hand raised");
		check(!strcmp(got, langs[i].hand), "%s: hand '%s'",
		      langs[i].lang, got);
		overlay_set_lock(ov, true, NULL);
		snprintf(name, sizeof(name), "lock_%s", langs[i].lang);
		frame(s, name);
		scan(s, 0, 0, W, H, not_black, &f);
		check(f.n > 500, "%s: default lock notice drawn (%ld px)",
		      langs[i].lang, f.n);
		overlay_set_lock(ov, false, NULL);
		key(SDLK_RETURN, 0);
	}
	overlay_set_hand(ov, false);
	overlay_set_watermark(ov, NULL);
}

/* Another thread drives the setters while the main thread draws. */
static void *hammer(void *arg)
{
	atomic_bool *stop = arg;
	struct overlay_watermark w;
	char buf[64];

	overlay_watermark_init(&w);
	for (int i = 0; !atomic_load(stop); i++) {
		snprintf(buf, sizeof(buf), "学生 %d", i);
		w.name = buf;
		w.place = (enum overlay_wm_place)(i % 6);
		overlay_set_watermark(ov, &w);
		overlay_set_marquee(ov, buf, 10);
		overlay_set_hand(ov, i & 1);
		if (i % 50 == 0 && overlay_messages(ov) < 5)
			overlay_show_message(ov, buf, buf);
		SDL_Delay(1);
	}
	return NULL;
}

static void check_threads_and_cost(struct shot *s)
{
	atomic_bool stop = false;
	struct overlay_stats a, b;
	pthread_t t;
	uint64_t t0, t1;
	double base;

	if (pthread_create(&t, NULL, hammer, &stop)) {
		check(false, "pthread_create");
		return;
	}
	for (int i = 0; i < 150; i++)
		frame(s, NULL);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	check(true, "150 frames while another thread sets the overlays");
	while (overlay_messages(ov))
		key(SDLK_RETURN, 0), frame(s, NULL);

	/* A busy steady screen: nothing may be rasterised again per frame. */
	set_wm(OVERLAY_WM_TILED, 30);
	overlay_set_marquee(ov, "通知：下午三点在礼堂开会。", 0);
	overlay_set_hand(ov, true);
	overlay_show_message(ov, "通知", "请在下课前提交作业。");
	frame(s, "steady");
	t0 = SDL_GetPerformanceCounter();
	for (int i = 0; i < 100; i++) {
		SDL_SetRenderDrawColor(ren, BG[0], BG[1], BG[2], 255);
		SDL_RenderClear(ren);
		SDL_RenderPresent(ren);
	}
	t1 = SDL_GetPerformanceCounter();
	base = (double)(t1 - t0) * 1000 /
	       (double)SDL_GetPerformanceFrequency() / 100;
	overlay_stats(ov, &a);
	t0 = SDL_GetPerformanceCounter();
	for (int i = 0; i < 100; i++) {
		SDL_SetRenderDrawColor(ren, BG[0], BG[1], BG[2], 255);
		SDL_RenderClear(ren);
		overlay_draw(ov, W, H);
		SDL_RenderPresent(ren);
	}
	t1 = SDL_GetPerformanceCounter();
	overlay_stats(ov, &b);
	check(b.text_renders == a.text_renders,
	      "100 steady frames rasterised %llu texts",
	      (unsigned long long)(b.text_renders - a.text_renders));
	/* Informative: Xvfb timings say little about a real display. */
	printf("cost: %.2f ms per frame with the overlays (tiled watermark, "
	       "marquee, hand, message), %.2f ms without, %dx%d\n",
	       (double)(t1 - t0) * 1000 /
	           (double)SDL_GetPerformanceFrequency() / 100,
	       base, W, H);
}

int main(int argc, char **argv)
{
	static struct shot s;
	SDL_RendererInfo info;

	if (argc != 2) {
		fprintf(stderr,
		        "usage: overlay_check OUTDIR  (needs $DISPLAY)\n");
		return 2;
	}
	outdir = argv[1];
	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr, "overlay_check: no display: %s\n",
		        SDL_GetError());
		return 77;
	}
	win = SDL_CreateWindow("overlay_check", 0, 0, W, H, SDL_WINDOW_SHOWN);
	ren = win ? SDL_CreateRenderer(win, -1, 0) : NULL;
	if (!ren) {
		fprintf(stderr, "overlay_check: window: %s\n", SDL_GetError());
		return 1;
	}
	SDL_GetRendererInfo(ren, &info);
	printf("renderer: %s\n", info.name);
	if (overlay_new(&ov, ren)) {
		fprintf(stderr, "overlay_check: overlay_new failed\n");
		return 1;
	}
	check_watermark(&s);
	check_marquee(&s);
	check_messages(&s);
	check_lock(&s);
	check_languages(&s);
	check_threads_and_cost(&s);
	overlay_free(&ov);
	check(ov == NULL, "overlay_free writes NULL");
	SDL_DestroyRenderer(ren);
	SDL_DestroyWindow(win);
	SDL_Quit();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
