/* The teacher's console: student tiles, toolbar, menus, status bar
 * (docs/console.md). */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>
#include <cast/ui.h>
#include <json-c/json.h>

#include "console.h"

#define MAX_STUDENTS 256
#define TEXT_MAX 1024
#define POLL_US 400000  /* class view refresh */
#define RATE_US 2000000 /* the status bar's bitrate, averaged this long */
#define TOAST_US 5000000

/* Every action the toolbar offers: each is a library call that exists. */
enum action {
	A_BROADCAST, /* stop / start the broadcast (ctl broadcast) */
	A_LOCK,
	A_MESSAGE,
	A_MARQUEE,
	A_WATERMARK,
	A_WEB,
	A_FILES,
	A_HOMEWORK,
	A_ATTENDANCE,
	A_WAKE,
	A_POWER,
	A_BOARD, /* with a whiteboard */
	A_RECORD,
	A_VOICE, /* with a voice source */
	A_LANGUAGE,
	A_MENU,
	A_BAR,  /* own-screen broadcast only */
	A_WALL, /* with students' screens */
	A_DEMO,
	A_CONTROL,
	A_FILM, /* with students' screens: a film to the selection */
	A_COUNT
};

static const struct {
	const char *name;    /* stats and tests */
	const char *feature; /* the custom menu's (F16) name; NULL: always */
	enum cast_ui_str label;
	enum cast_ui_icon icon;
	const char *shortcut;
	bool menu;
} actions[A_COUNT] = {
    [A_BROADCAST] = {"broadcast", "broadcast", CAST_S_BROADCAST,
                     CAST_ICON_BROADCAST, "F4", false},
    [A_LOCK] = {"lock", "lock", CAST_S_LOCK, CAST_ICON_LOCK, "Ctrl+L", false},
    [A_MESSAGE] = {"message", "message", CAST_S_MESSAGE, CAST_ICON_MESSAGE,
                   "Ctrl+M", false},
    [A_MARQUEE] = {"marquee", "marquee", CAST_S_MARQUEE, CAST_ICON_MARQUEE,
                   "Ctrl+K", false},
    [A_WATERMARK] = {"watermark", "watermark", CAST_S_WATERMARK,
                     CAST_ICON_WATERMARK, "Ctrl+W", true},
    [A_WEB] = {"web", "web", CAST_S_WEB, CAST_ICON_WEB, NULL, false},
    [A_FILES] = {"files", "send", CAST_S_FILES, CAST_ICON_FILES, NULL, false},
    [A_HOMEWORK] = {"homework", "collect", CAST_S_HOMEWORK, CAST_ICON_HOMEWORK,
                    NULL, false},
    [A_ATTENDANCE] = {"attendance", "attendance", CAST_S_ATTENDANCE,
                      CAST_ICON_ATTENDANCE, NULL, false},
    [A_WAKE] = {"wake", "wake", CAST_S_WAKE, CAST_ICON_WAKE, NULL, false},
    [A_POWER] = {"power", "power", CAST_S_POWER, CAST_ICON_POWER, NULL, true},
    [A_BOARD] = {"whiteboard", "whiteboard", CAST_S_WHITEBOARD,
                 CAST_ICON_WHITEBOARD, "F5", false},
    [A_RECORD] = {"record", "record", CAST_S_RECORD, CAST_ICON_RECORD, "F6",
                  false},
    [A_VOICE] = {"voice", "voice", CAST_S_VOICE, CAST_ICON_VOICE, "F7", false},
    [A_LANGUAGE] = {"language", NULL, CAST_S_LANGUAGE, CAST_ICON_LANGUAGE,
                    "Ctrl+G", true},
    [A_MENU] = {"menu", NULL, CAST_S_MENU, CAST_ICON_MENU, NULL, true},
    [A_BAR] = {"bar", "bar", CAST_S_BAR, CAST_ICON_BAR, "F11", false},
    [A_WALL] = {"wall", "wall", CAST_S_WALL, CAST_ICON_WALL, "F8", false},
    [A_DEMO] = {"demo", "demo", CAST_S_DEMO_START, CAST_ICON_DEMO, "F9", false},
    [A_CONTROL] = {"control", "control", CAST_S_CONTROL, CAST_ICON_CONTROL,
                   "F12", false},
    [A_FILM] = {"film", "film", CAST_S_FILM, CAST_ICON_FILM, NULL, false},
};

/* The floating bar (logical px): Stop broadcast, Lock, Console and
 * Whiteboard buttons, then the state. */
#define BAR_W 620
#define BAR_H 60
#define BAR_UNIT 15

/* What a menu item does. */
enum item {
	I_WM_ON,
	I_WM_OFF,
	I_POWER_OFF,
	I_POWER_RESTART,
	I_UI_LANG, /* + cast_lang */
	I_STUDENT_LANG = I_UI_LANG + CAST_LANG_COUNT,
	I_FEATURE = I_STUDENT_LANG + CAST_LANG_COUNT, /* + action */
	I_TILE_LOCK = I_FEATURE + A_COUNT,
	I_TILE_UNLOCK,
	I_TILE_MESSAGE,
	I_TILE_SELECT_ALL,
	I_TILE_SELECT_NONE,
	I_TILE_DEMO,
	I_TILE_CONTROL,
	I_FEATURE_LANG, /* the custom menu's "students' language" */
};

#define MENU_MAX 24

/* The whiteboard's pen palette (drawing mode), down the left edge. */
enum pal {
	P_TOOL, /* + enum cast_board_tool */
	P_COLOR = P_TOOL + CAST_BOARD_TOOLS,
	P_WIDTH = P_COLOR + 4,
	P_UNDO = P_WIDTH + 3,
	P_REDO,
	P_CLEAR,
	P_PREV,
	P_NEXT,
	P_NEW,
	P_COUNT
};

static const char *const tool_names[CAST_BOARD_TOOLS] = {
    "pen", "highlighter", "line", "arrow", "rect", "ellipse", "text", "eraser"};
static const enum cast_ui_icon tool_icons[CAST_BOARD_TOOLS] = {
    CAST_ICON_PEN,  CAST_ICON_HIGHLIGHTER, CAST_ICON_LINE, CAST_ICON_ARROW,
    CAST_ICON_RECT, CAST_ICON_ELLIPSE,     CAST_ICON_TEXT, CAST_ICON_ERASER};
static const uint32_t pal_colors[4] = {0xe53935, 0x1e88e5, 0x43a047, 0xfdd835};
static const double pal_widths[3] = {3, 6, 12};
static const char *const pal_names[] = {"undo", "redo", "clear",
                                        "prev", "next", "new_page"};
static const enum cast_ui_icon pal_icons[] = {
    CAST_ICON_UNDO,      CAST_ICON_REDO,      CAST_ICON_CLEAR,
    CAST_ICON_PREV_PAGE, CAST_ICON_NEXT_PAGE, CAST_ICON_NEW_PAGE};
/* Each palette button's name, for its tooltip (P_TOOL … P_NEW). */
static const enum cast_ui_str pal_tips[] = {
    CAST_S_PEN,     CAST_S_HIGHLIGHTER, CAST_S_LINE,      CAST_S_ARROW,
    CAST_S_RECT,    CAST_S_ELLIPSE,     CAST_S_TEXT,      CAST_S_ERASER,
    CAST_S_RED,     CAST_S_BLUE,        CAST_S_GREEN,     CAST_S_YELLOW,
    CAST_S_THIN,    CAST_S_MEDIUM,      CAST_S_THICK,     CAST_S_UNDO,
    CAST_S_REDO,    CAST_S_CLEAR,       CAST_S_PREV_PAGE, CAST_S_NEXT_PAGE,
    CAST_S_NEW_PAGE};
_Static_assert(sizeof(pal_tips) / sizeof(pal_tips[0]) == P_COUNT,
               "a tooltip for every palette button");

struct student {
	char id[64], name[128], ip[16];
	unsigned flags;
	double loss_pct;
	int64_t hand_us; /* when the hand went up (wall clock) */
	uint64_t frames; /* its pictures so far: a new one redraws */
};

/* ---- students' pictures (receiver threads) ---- */

#define PIC_W 320 /* a tile's picture: the wall's thumbnail size */
#define PIC_H 180
#define VIEW_W 1600 /* the remote control view's picture, at most */
#define VIEW_H 900

struct pic {
	char id[64];
	cairo_surface_t *thumb;
	uint64_t frames;
};

struct console_pics {
	pthread_mutex_t lock; /* everything below */
	struct pic p[MAX_STUDENTS];
	int n;
	char big_id[64]; /* the student under control: its large picture */
	cairo_surface_t *big;
	int src_w, src_h; /* that picture's own size: the student's screen */
	uint64_t big_frames;
};

int console_pics_new(struct console_pics **out)
{
	struct console_pics *p = calloc(1, sizeof(*p));

	if (!p)
		return CAST_ERROR(ENOMEM);
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return CAST_ERROR(ENOMEM);
	}
	*out = p;
	return 0;
}

void console_pics_free(struct console_pics **pp)
{
	struct console_pics *p = pp ? *pp : NULL;

	if (!p)
		return;
	for (int i = 0; i < p->n; i++)
		if (p->p[i].thumb)
			cairo_surface_destroy(p->p[i].thumb);
	if (p->big)
		cairo_surface_destroy(p->big);
	pthread_mutex_destroy(&p->lock);
	free(p);
	*pp = NULL;
}

/*
 * `f` (I420) into `s` scaled to fit max_w x max_h, nearest sample (a tile
 * shows it smaller still; this is the cheap part): `s` is reused when its
 * size is right, else replaced. Returns the surface, or NULL.
 */
static cairo_surface_t *
to_surface(cairo_surface_t *s, const struct cast_frame *f, int max_w, int max_h)
{
	int w, h, xs[VIEW_W], stride;
	uint8_t *dst;

	if (f->fmt != CAST_PIX_I420 ||
	    cast_size_fit(f->width, f->height, max_w, max_h, &w, &h) < 0)
		return s;
	if (s && (cairo_image_surface_get_width(s) != w ||
	          cairo_image_surface_get_height(s) != h)) {
		cairo_surface_destroy(s);
		s = NULL;
	}
	if (!s) {
		s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
		if (cairo_surface_status(s)) {
			cairo_surface_destroy(s);
			return NULL;
		}
	}
	cairo_surface_flush(s);
	dst = cairo_image_surface_get_data(s);
	stride = cairo_image_surface_get_stride(s);
	for (int x = 0; x < w; x++)
		xs[x] = (int)((int64_t)x * f->width / w);
	for (int y = 0; y < h; y++) {
		int sy = (int)((int64_t)y * f->height / h);
		const uint8_t *yp = f->data[0] + (size_t)sy * f->stride[0];
		const uint8_t *up =
		    f->data[1] + (size_t)(sy / 2) * f->stride[1];
		const uint8_t *vp =
		    f->data[2] + (size_t)(sy / 2) * f->stride[2];
		uint32_t *row = (uint32_t *)(dst + (size_t)y * stride);

		for (int x = 0; x < w; x++) {
			/* BT.601 limited range, as the encoder's input. */
			int c = yp[xs[x]] - 16, d = up[xs[x] / 2] - 128;
			int e = vp[xs[x] / 2] - 128;
			int r = (298 * c + 409 * e + 128) >> 8;
			int g = (298 * c - 100 * d - 208 * e + 128) >> 8;
			int b = (298 * c + 516 * d + 128) >> 8;

			r = r < 0 ? 0 : r > 255 ? 255 : r;
			g = g < 0 ? 0 : g > 255 ? 255 : g;
			b = b < 0 ? 0 : b > 255 ? 255 : b;
			row[x] =
			    (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
		}
	}
	cairo_surface_mark_dirty(s);
	return s;
}

void console_on_frame(const char *id, const struct cast_frame *f, void *arg)
{
	struct console_pics *p = arg;
	struct pic *pic = NULL;

	if (!p || !id || !f || f->width < 2 || f->height < 2)
		return;
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->n && !pic; i++)
		if (!strcmp(p->p[i].id, id))
			pic = &p->p[i];
	if (!pic && p->n < MAX_STUDENTS) {
		pic = &p->p[p->n++];
		snprintf(pic->id, sizeof(pic->id), "%s", id);
	}
	if (pic) {
		pic->thumb = to_surface(pic->thumb, f, PIC_W, PIC_H);
		pic->frames++;
	}
	if (p->big_id[0] && !strcmp(p->big_id, id)) {
		p->big = to_surface(p->big, f, VIEW_W, VIEW_H);
		p->src_w = f->width;
		p->src_h = f->height;
		p->big_frames++;
	}
	pthread_mutex_unlock(&p->lock);
}

/* The pictures of `id` (lock held); NULL: none yet. */
static struct pic *pic_of(struct console_pics *p, const char *id)
{
	for (int i = 0; p && i < p->n; i++)
		if (!strcmp(p->p[i].id, id))
			return &p->p[i];
	return NULL;
}

/* The side panel's last messages from students. */
#define NOTES 4
#define NOTE_MAX 160

/* An action answered later by the class (send, attendance, power, menu):
 * asked through the control socket on a thread of its own. */
struct request {
	pthread_t thread;
	bool running, done; /* done: written by the thread (atomic) */
	char sock[512];
	int argc;
	char *argv[8];
	char what[64];
	char *reply;
	int err;
};

struct console {
	struct console_cfg cfg;
	/* Modifiers as of the event being handled: SDL_GetModState() is
	 * already past a Ctrl released right after the click. */
	SDL_Keymod mod;
	/* Each redraw: drawing (cairo) and showing it (upload, present). */
	struct cast_hist draw_us, present_us;
	/* A whiteboard stroke on the own screen: from SDL's queueing of the
	 * first pointer move not yet shown to the end of the present that
	 * shows it (SDL ticks, ms). */
	struct cast_hist stroke_us;
	bool stroke_pending;
	Uint32 stroke_at;
	uint64_t redraws, part_redraws;
	/* Redraws by kind: the whole window; one tile's rectangle alone (its
	 * picture or state changed, nothing else); the status bar alone. */
	uint64_t full_redraws, tile_redraws, status_redraws;
	/* Digests of what the last class refresh showed: all but the tiles
	 * and the status bar (a change redraws the window), each tile of the
	 * page and the status bar (a change repaints only it: `tiles_due`, a
	 * bit per tile of the page, and `status_due`). */
	uint64_t shown, tile_shown[CAST_UI_TILES_PAGE], status_shown;
	unsigned tiles_due;
	bool status_due;
	int64_t next_rate; /* the status bar's bitrate: every RATE_US */
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	int tex_w, tex_h;
	cairo_surface_t *surf;
	/* The board's own drawing (draw_board), kept from one redraw to the
	 * next; a pen stroke's new part repaints only the rectangle it
	 * touched (`part`, x0..y1 in logical pixels; present_part). */
	cairo_surface_t *board_surf;
	bool part;
	double part_x0, part_y0, part_x1, part_y1;
	double pen_px[2], pen_py[2]; /* the stroke's two points before */
	struct cast_ui *ui;
	struct cast_ui_layout lay;
	/* Device pixels per logical pixel: the drawable's over the window's
	 * (`px_scale`: Wayland, macOS) times the desktop's UI scale
	 * (`ui_scale`: window pixels per logical pixel, X11). Everything is
	 * laid out and hit-tested in logical pixels. */
	double scale, px_scale, ui_scale;
	int win_w, win_h;
	bool dirty;

	struct student st[MAX_STUDENTS];
	int n_st;
	int hands;
	char notes[NOTES][NOTE_MAX + 200];
	int n_notes, messages;
	int64_t next_poll;
	bool hidden[A_COUNT];
	/* The feature "language": the students' language, in the language
	 * menu (which keeps the console's own whatever is hidden). */
	bool lang_hidden;
	int visible[A_COUNT]; /* toolbar slot → action */
	int n_visible;

	/* Selection: by id, so it survives the roster's reordering. */
	char (*selected)[64];
	int n_sel;
	char anchor[64];
	int page, focus_tile; /* focus: index on the page, -1 none */
	int focus_button;     /* keyboard in the toolbar, -1 none */
	bool band;            /* rubber band in progress */
	double band_x0, band_y0, band_x1, band_y1;

	/* Open menu. */
	int menu_of; /* action, or -2 for a tile's menu, -1 none */
	int n_items, menu_focus;
	enum item items[MENU_MAX];
	char labels[MENU_MAX][128];
	unsigned checked;
	struct cast_ui_menu_layout menu;

	/* Text entry (not modal: the class view keeps refreshing). */
	int entry_for; /* action, -1 none */
	char entry[TEXT_MAX];

	/* Tooltip: the button (toolbar, or palette in drawing mode:
	 * `pal_hover`) under the pointer since `hover_since`. */
	int hover, pal_hover;
	int64_t hover_since;
	double hover_x, hover_y;

	char toast[512];
	bool toast_error;
	int64_t toast_until;
	char last_error[512];

	/* Floating bar (own-screen broadcast): the full console's place. */
	bool bar;
	int full_x, full_y, full_w, full_h;
	struct cast_ui_rect bar_lock, bar_console, bar_board, bar_bcast;
	struct cast_rect excl; /* last rectangle left out of the picture */

	/* Whiteboard drawing mode: the pointer goes to the board. */
	bool drawing, pen;
	struct cast_ui_rect board_r, pal[P_COUNT];
	double text_x, text_y; /* where the text tool was clicked */
	double pen_x, pen_y;   /* the pointer's last place on the page */
	uint64_t board_version;
	/* The broadcast runs (`ctl broadcast`), recording (`ctl record`)
	 * and voice (`ctl voice`). */
	bool broadcasting;
	bool recording, voice_on;
	double rec_seconds;
	char rec_path[512];

	/* Students' screens (`ctl wall|demo|control` as the class reports
	 * them) and the remote control view. */
	bool wall_on;
	bool film_on; /* a film plays to students (`ctl cinema play`) */
	char demo[64], control[64];
	struct cast_ui_rect view_r; /* the controlled student's picture */
	int src_w, src_h;           /* its own size (the student's screen) */
	uint64_t view_frames;       /* its pictures drawn */
	int64_t esc_since;          /* Esc held since (0: up) */
	int64_t next_move;          /* pointer moves sent at most every 50 ms */
	int last_x, last_y;
	uint64_t inputs, inputs_failed;

	char setup[256]; /* the command a student PC runs */
	struct request req;
	struct cast_meter meter;
	double bitrate_kbps, worst_loss;
	int width, height;
};

/* ---- helpers ---- */

static const char *T(struct console *c, enum cast_ui_str s)
{
	return cast_ui_text(cast_ui_lang(c->ui), s);
}

/* What an action's button says now (Broadcast: what pressing it does). */
static const char *action_label(struct console *c, int a)
{
	if (a == A_BROADCAST)
		return T(c, c->broadcasting ? CAST_S_BROADCAST_STOP
		                            : CAST_S_BROADCAST_START);
	return T(c, actions[a].label);
}

static void toast(struct console *c, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void toast(struct console *c, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->toast, sizeof(c->toast), fmt, ap);
	va_end(ap);
	c->toast_error = error;
	c->toast_until = cast_mono_us() + TOAST_US;
	if (error)
		snprintf(c->last_error, sizeof(c->last_error), "%s", c->toast);
	c->dirty = true;
}

static bool is_selected(const struct console *c, const char *id)
{
	for (int i = 0; i < c->n_sel; i++)
		if (!strcmp(c->selected[i], id))
			return true;
	return false;
}

static void select_id(struct console *c, const char *id, bool on)
{
	for (int i = 0; i < c->n_sel; i++) {
		if (strcmp(c->selected[i], id))
			continue;
		if (!on)
			memmove(c->selected[i], c->selected[i + 1],
			        (size_t)(c->n_sel - i - 1) *
			            sizeof(c->selected[0]));
		c->n_sel -= !on;
		return;
	}
	if (on && c->n_sel < MAX_STUDENTS)
		snprintf(c->selected[c->n_sel++], sizeof(c->selected[0]), "%s",
		         id);
}

static void select_all(struct console *c, bool on)
{
	c->n_sel = 0;
	for (int i = 0; on && i < c->n_st; i++)
		select_id(c, c->st[i].id, true);
	c->dirty = true;
}

/* The targets of an action: the selection as "id,id", or NULL (all). */
static const char *targets(struct console *c, char *buf, size_t size)
{
	size_t n = 0;

	if (!c->n_sel)
		return NULL;
	buf[0] = '\0';
	for (int i = 0; i < c->n_sel && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
		                      c->selected[i]);
	return n < size ? buf : NULL;
}

static int pages(const struct console *c)
{
	return c->n_st ? (c->n_st + CAST_UI_TILES_PAGE - 1) / CAST_UI_TILES_PAGE
	               : 1;
}

/* ---- the class view ---- */

/* Each student's loss: its RTCP reports, joined by the SSRC it reports. */
static void read_loss(struct console *c)
{
	static struct cast_student_info roster[MAX_STUDENTS];
	static struct cast_student_stat fb[MAX_STUDENTS];
	int n_roster, n_fb;

	c->worst_loss = 0;
	if (!c->cfg.ctl || !c->cfg.sender)
		return;
	n_roster = cast_teacher_ctl_students(c->cfg.ctl, roster, MAX_STUDENTS);
	n_fb = cast_sender_students(c->cfg.sender, fb, MAX_STUDENTS);
	for (int i = 0; i < n_roster; i++) {
		char v[16];
		unsigned long ssrc = 0;

		if (cast_json_get_str(roster[i].stats_json,
		                      strlen(roster[i].stats_json), "rtcp_ssrc",
		                      v, sizeof(v)) == 1)
			ssrc = strtoul(v, NULL, 10);
		for (int k = 0; k < n_fb && ssrc; k++) {
			if (fb[k].ssrc != ssrc)
				continue;
			for (int s = 0; s < c->n_st; s++) {
				if (strcmp(c->st[s].id, roster[i].id))
					continue;
				c->st[s].loss_pct = fb[k].loss_pct;
				if (fb[k].loss_pct >= 2)
					c->st[s].flags |= CAST_UI_T_LOSS;
			}
			if (fb[k].loss_pct > c->worst_loss)
				c->worst_loss = fb[k].loss_pct;
		}
	}
}

static bool jbool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	               json_object_is_type(v, json_type_string)
	           ? json_object_get_string(v)
	           : "";
}

/* Asks the class a question it answers at once (`ctl class`, `menu`). */
static json_object *ask(struct console *c, const char *verb)
{
	char *argv[] = {(char *)verb, NULL};
	char *reply = cast_class_ctl(1, argv, 0, c->cfg.cls);
	json_object *o;

	if (!reply || reply == CAST_CTL_LATER)
		return NULL;
	o = json_tokener_parse(reply);
	free(reply);
	return o;
}

/* Seats in id order ("s2" before "s10"), stable across refreshes. */
static int by_id(const void *a, const void *b)
{
	const char *x = ((const struct student *)a)->id;
	const char *y = ((const struct student *)b)->id;
	size_t lx = strlen(x), ly = strlen(y);

	/* Shorter first, then byte order: numbered ids sort as numbers. */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* Copies at most `max` bytes of UTF-8 `s`, never cutting a character. */
static void utf8_cut(char *out, size_t size, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	snprintf(out, size, "%.*s%s", (int)n, s, n < strlen(s) ? "…" : "");
}

/* Raised hands (since when) and the last messages, as `ctl hands` and
 * `ctl inbox` report them. */
static void refresh_notes(struct console *c)
{
	json_object *o = ask(c, "hands"), *arr;
	size_t n;

	if (o && json_object_object_get_ex(o, "hands", &arr)) {
		n = json_object_array_length(arr);
		for (size_t i = 0; i < n; i++) {
			json_object *h = json_object_array_get_idx(arr, i), *v;

			for (int s = 0; s < c->n_st; s++)
				if (!strcmp(c->st[s].id, jstr(h, "id")) &&
				    json_object_object_get_ex(h, "since_us",
				                              &v))
					c->st[s].hand_us =
					    json_object_get_int64(v);
		}
	}
	json_object_put(o);
	o = ask(c, "inbox");
	c->n_notes = 0;
	if (o && json_object_object_get_ex(o, "messages", &arr)) {
		n = json_object_array_length(arr);
		c->messages = (int)n;
		/* The newest last: show the last NOTES, newest first. */
		for (size_t i = n; i > 0 && c->n_notes < NOTES; i--) {
			json_object *m = json_object_array_get_idx(arr, i - 1);
			char text[NOTE_MAX + 8];
			const char *who =
			    *jstr(m, "name") ? jstr(m, "name") : jstr(m, "id");

			utf8_cut(text, sizeof(text), jstr(m, "text"), NOTE_MAX);
			snprintf(c->notes[c->n_notes++], sizeof(c->notes[0]),
			         "%.60s: %s", who, text);
		}
	}
	json_object_put(o);
}

static void status_text(struct console *c, char *buf, size_t size);

/*
 * The students' screens as `ctl wall status` reports them (the wall, the
 * demonstrator, the student under control), and how many pictures each
 * student's tile has had: a new one redraws the tile.
 */
static void refresh_screens(struct console *c)
{
	char *argv[] = {"wall", "status", NULL};
	char *reply;
	json_object *o = NULL, *sc;

	if (!c->cfg.pics)
		return;
	reply = cast_class_ctl(2, argv, 0, c->cfg.cls);
	if (reply && reply != CAST_CTL_LATER) {
		o = json_tokener_parse(reply);
		free(reply);
	}
	if (o && json_object_object_get_ex(o, "screens", &sc)) {
		c->wall_on = jbool(sc, "wall");
		snprintf(c->demo, sizeof(c->demo), "%s", jstr(sc, "demo"));
		snprintf(c->control, sizeof(c->control), "%s",
		         jstr(sc, "control"));
	}
	json_object_put(o);
	{
		/* A film to students, as `ctl cinema status` says. */
		char *cv[] = {"cinema", "status", NULL};

		reply = cast_class_ctl(2, cv, 0, c->cfg.cls);
		o = NULL;
		if (reply && reply != CAST_CTL_LATER) {
			o = json_tokener_parse(reply);
			free(reply);
		}
		c->film_on = o && jbool(o, "ok") && jbool(o, "playing");
		json_object_put(o);
	}
	pthread_mutex_lock(&c->cfg.pics->lock);
	/* The controlled student's large picture, from its next one. */
	if (strcmp(c->cfg.pics->big_id, c->control)) {
		snprintf(c->cfg.pics->big_id, sizeof(c->cfg.pics->big_id), "%s",
		         c->control);
		c->cfg.pics->src_w = c->cfg.pics->src_h = 0;
		c->cfg.pics->big_frames = 0;
		c->view_frames = 0;
		/* Text typed in the view goes to the student (control
		 * started here or by `ctl control`). */
		if (c->control[0])
			SDL_StartTextInput();
		else if (c->entry_for < 0)
			SDL_StopTextInput();
	}
	for (int i = 0; i < c->n_st; i++) {
		struct pic *p = pic_of(c->cfg.pics, c->st[i].id);

		bool shown = i / CAST_UI_TILES_PAGE == c->page;

		/* Only what a tile on this page shows (the wall's, or the
		 * demonstrator's): pictures of other pages redraw nothing. */
		c->st[i].frames =
		    p && shown && (c->wall_on || !strcmp(c->demo, p->id))
		        ? p->frames
		        : 0;
		if (c->demo[0] && !strcmp(c->demo, c->st[i].id))
			c->st[i].flags |= CAST_UI_T_DEMO;
	}
	pthread_mutex_unlock(&c->cfg.pics->lock);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211u;
	return h;
}

#define FNV_START 14695981039346656037u

static int tile_index(struct console *c, int on_page);
static bool all_locked(const struct console *c);

/* What a class refresh puts on screen outside the tiles and the status
 * bar: how many students (pages, the tiles' places), the raised hands (the
 * side panel), notes, toolbar. */
static uint64_t shown_digest(struct console *c)
{
	uint64_t h = FNV_START;
	bool locked = all_locked(c);

	h = fnv1a(h, &c->n_st, sizeof(c->n_st));
	h = fnv1a(h, &c->page, sizeof(c->page));
	for (int i = 0; i < c->n_st; i++) {
		const struct student *s = &c->st[i];

		if (!(s->flags & CAST_UI_T_HAND))
			continue;
		h = fnv1a(h, s->id, strlen(s->id) + 1);
		h = fnv1a(h, s->name, strlen(s->name) + 1);
		h = fnv1a(h, &s->hand_us, sizeof(s->hand_us));
	}
	h = fnv1a(h, &locked, sizeof(locked));
	h = fnv1a(h, &c->n_notes, sizeof(c->n_notes));
	for (int i = 0; i < c->n_notes; i++)
		h = fnv1a(h, c->notes[i], strlen(c->notes[i]));
	h = fnv1a(h, &c->messages, sizeof(c->messages));
	h = fnv1a(h, &c->n_visible, sizeof(c->n_visible));
	h = fnv1a(h, c->visible, sizeof(c->visible[0]) * (size_t)c->n_visible);
	h = fnv1a(h, &c->recording, sizeof(c->recording));
	h = fnv1a(h, &c->broadcasting, sizeof(c->broadcasting));
	h = fnv1a(h, &c->wall_on, sizeof(c->wall_on));
	h = fnv1a(h, &c->film_on, sizeof(c->film_on));
	h = fnv1a(h, c->demo, strlen(c->demo));
	h = fnv1a(h, c->control, strlen(c->control));
	return h;
}

/* What tile `k` of the page shows: its student (the struct is zeroed
 * before it is filled, so no padding differs), with its pictures' count. */
static uint64_t tile_digest(struct console *c, int k)
{
	int i = tile_index(c, k);

	return i < 0 ? 0 : fnv1a(FNV_START, &c->st[i], sizeof(c->st[i]));
}

/* Compares what the refresh shows with the last: a change outside the
 * tiles and the status bar redraws the window, else only the tiles and
 * status bar that changed are repainted. An idle console draws nothing. */
static void note_changes(struct console *c)
{
	char status[1024];
	uint64_t d = shown_digest(c);

	if (d != c->shown) {
		c->shown = d;
		c->dirty = true;
	}
	for (int k = 0; k < CAST_UI_TILES_PAGE; k++) {
		d = tile_digest(c, k);
		if (d != c->tile_shown[k]) {
			c->tile_shown[k] = d;
			c->tiles_due |= 1u << k;
		}
	}
	status_text(c, status, sizeof(status));
	d = fnv1a(FNV_START, status, strlen(status));
	if (d != c->status_shown) {
		c->status_shown = d;
		c->status_due = true;
	}
}

/* Reads the class as `ctl class` reports it (the JSON keys stay stable). */
static void refresh(struct console *c)
{
	json_object *o = ask(c, "class"), *arr, *m;
	size_t n;

	if (o && json_object_object_get_ex(o, "students", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		n = json_object_array_length(arr);
		c->n_st = 0;
		c->hands = 0;
		for (size_t i = 0; i < n && c->n_st < MAX_STUDENTS; i++) {
			json_object *s = json_object_array_get_idx(arr, i);
			struct student *d = &c->st[c->n_st++];

			memset(d, 0, sizeof(*d));
			snprintf(d->id, sizeof(d->id), "%s", jstr(s, "id"));
			snprintf(d->name, sizeof(d->name), "%s",
			         jstr(s, "name"));
			snprintf(d->ip, sizeof(d->ip), "%s", jstr(s, "ip"));
			d->flags =
			    (jbool(s, "online") ? CAST_UI_T_ONLINE : 0) |
			    (jbool(s, "signed_in") && d->name[0]
			         ? CAST_UI_T_SIGNED_IN
			         : 0) |
			    (jbool(s, "hand") ? CAST_UI_T_HAND : 0) |
			    (jbool(s, "locked") ? CAST_UI_T_LOCKED : 0) |
			    (jbool(s, "left_broadcast") ? CAST_UI_T_LEFT : 0);
			if (jbool(s, "online") && !jbool(s, "responding"))
				d->flags |= CAST_UI_T_SILENT;
			c->hands += jbool(s, "hand");
		}
		qsort(c->st, (size_t)c->n_st, sizeof(c->st[0]), by_id);
		if (c->page >= pages(c))
			c->page = pages(c) - 1;
	}
	json_object_put(o);
	read_loss(c);
	refresh_notes(c);
	/* The custom menu (F16): hidden features leave the toolbar. */
	o = ask(c, "menu");
	if (o && json_object_object_get_ex(o, "menu", &m)) {
		n = json_object_array_length(m);
		for (size_t i = 0; i < n; i++) {
			json_object *f = json_object_array_get_idx(m, i);

			for (int a = 0; a < A_COUNT; a++)
				if (actions[a].feature &&
				    !strcmp(actions[a].feature,
				            jstr(f, "feature")))
					c->hidden[a] = !jbool(f, "shown");
			if (!strcmp(jstr(f, "feature"), "language"))
				c->lang_hidden = !jbool(f, "shown");
		}
	}
	json_object_put(o);
	c->broadcasting = c->cfg.sender && cast_sender_active(c->cfg.sender);
	c->n_visible = 0;
	for (int a = 0; a < A_COUNT; a++)
		if (!c->hidden[a] && (a != A_BAR || c->cfg.own_screen) &&
		    (a != A_BROADCAST || c->cfg.sender) &&
		    (a != A_BOARD || c->cfg.board) &&
		    (a != A_VOICE || c->cfg.voice) &&
		    ((a != A_WALL && a != A_DEMO && a != A_CONTROL &&
		      a != A_FILM) ||
		     c->cfg.pics))
			c->visible[c->n_visible++] = a;
	/* Recording: its state as `ctl record` reports it. */
	o = ask(c, "record");
	if (o) {
		json_object *v;

		c->recording = jbool(o, "recording");
		c->rec_seconds =
		    json_object_object_get_ex(o, "record_seconds", &v)
		        ? json_object_get_double(v)
		        : 0;
		snprintf(c->rec_path, sizeof(c->rec_path), "%s",
		         jstr(o, "record_path"));
	}
	json_object_put(o);
	refresh_screens(c);
	if (c->cfg.sender && cast_mono_us() >= c->next_rate) {
		struct cast_sender_stats st;
		struct cast_rates r;

		cast_sender_stats(c->cfg.sender, &st);
		cast_meter_sample(&c->meter, st.frames_sent, st.bytes_sent, &r);
		c->bitrate_kbps = r.bitrate_kbps;
		c->width = st.width;
		c->height = st.height;
		c->next_rate = cast_mono_us() + RATE_US;
	}
	note_changes(c);
}

/* ---- actions ---- */

/* Shows a class reply: "Lock: sent 3 · s03 offline — queued", or the error. */
static void report(struct console *c, const char *what, const char *reply)
{
	json_object *o = reply ? json_tokener_parse(reply) : NULL, *v;
	const char *off;

	if (!o) {
		toast(c, true, "%s: %s", what, T(c, CAST_S_FAILED));
		return;
	}
	if (!jbool(o, "ok") && json_object_object_get_ex(o, "error", &v)) {
		toast(c, true, "%s %s: %s", what, T(c, CAST_S_FAILED),
		      json_object_get_string(v));
	} else {
		off = jstr(o, "offline");
		if (*off)
			toast(c, false, "%s: %s · %s %s", what,
			      T(c, CAST_S_SENT), off,
			      T(c, CAST_S_QUEUED_OFFLINE));
		else
			toast(c, false, "%s: %s", what, T(c, CAST_S_SENT));
	}
	json_object_put(o);
}

static void typed(struct console *c, const char *what,
                  const struct cast_command *cmd)
{
	char to[4096], *json = NULL;

	cast_class_command(c->cfg.cls, targets(c, to, sizeof(to)), cmd, &json);
	report(c, what, json);
	free(json);
	refresh(c);
}

static void *request_thread(void *arg)
{
	struct request *r = arg;

	int n = cast_ctl_request(r->sock, r->argc, (const char *const *)r->argv,
	                         &r->reply);

	r->err = n < 0 ? n : 0;
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void request_done(struct console *c);

/* Whom a request names: the selection (none: the class decides), the
 * selection or explicitly all, or nobody (a verb without --to). */
enum to { TO_SEL, TO_SEL_OR_ALL, TO_NONE };

/* Runs `argv` (with --to the selection) through the control socket. */
static void later(struct console *c, const char *what, int argc,
                  const char *const *argv, enum to to_whom)
{
	struct request *r = &c->req;
	char to[4096];
	const char *sel = targets(c, to, sizeof(to));

	if (r->running) {
		toast(c, true, "%s: %s (%s)", what, T(c, CAST_S_FAILED),
		      r->what);
		return;
	}
	memset(r, 0, sizeof(*r));
	snprintf(r->what, sizeof(r->what), "%s", what);
	for (int i = 0; i < argc && r->argc < 5; i++)
		r->argv[r->argc++] = strdup(argv[i]);
	if (to_whom != TO_NONE && (sel || to_whom == TO_SEL_OR_ALL)) {
		r->argv[r->argc++] = strdup("--to");
		r->argv[r->argc++] = strdup(sel ? sel : "all");
	}
	for (int i = 0; i < r->argc; i++)
		if (!r->argv[i]) {
			request_done(c);
			return;
		}
	snprintf(r->sock, sizeof(r->sock), "%s", c->cfg.ctl_socket);
	r->running = true;
	if (pthread_create(&r->thread, NULL, request_thread, r)) {
		r->running = false;
		request_done(c);
	}
}

static void request_done(struct console *c)
{
	struct request *r = &c->req;

	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
	r->argc = 0;
	free(r->reply);
	r->reply = NULL;
}

static void do_lock(struct console *c)
{
	struct cast_command *cmd = calloc(1, sizeof(*cmd));
	bool all_locked = true;
	int n = 0;

	if (!cmd)
		return;
	/* Pressed again: unlocks what it locked. */
	for (int i = 0; i < c->n_st; i++) {
		if (c->n_sel && !is_selected(c, c->st[i].id))
			continue;
		if (!c->n_sel && !(c->st[i].flags & CAST_UI_T_ONLINE))
			continue;
		n++;
		all_locked &= !!(c->st[i].flags & CAST_UI_T_LOCKED);
	}
	cast_command_init(cmd,
	                  n && all_locked ? CAST_CMD_UNLOCK : CAST_CMD_LOCK);
	typed(c, T(c, n && all_locked ? CAST_S_UNLOCK : CAST_S_LOCK), cmd);
	free(cmd);
}

static void lock_to(struct console *c, bool on)
{
	struct cast_command *cmd = calloc(1, sizeof(*cmd));

	if (!cmd)
		return;
	cast_command_init(cmd, on ? CAST_CMD_LOCK : CAST_CMD_UNLOCK);
	typed(c, T(c, on ? CAST_S_LOCK : CAST_S_UNLOCK), cmd);
	free(cmd);
}

/* The text entry's Enter: the action with the typed text. */
static void entry_done(struct console *c)
{
	struct cast_command *cmd;
	int a = c->entry_for;
	char word[TEXT_MAX + 16];
	const char *argv[2];

	c->entry_for = -1;
	SDL_StopTextInput();
	if (!c->entry[0])
		return;
	if (a == A_BOARD) {
		struct cast_board_style st;

		cast_board_style(c->cfg.board, &st);
		if (cast_board_text(c->cfg.board, &st, c->text_x, c->text_y,
		                    c->entry) < 0)
			toast(c, true, "%s: %s", T(c, CAST_S_WHITEBOARD),
			      T(c, CAST_S_FAILED));
		return;
	}
	if (a == A_FILM) {
		/* Opened off the window's thread: a film can be a URL. */
		const char *v[] = {"cinema", "play", c->entry};

		later(c, T(c, CAST_S_FILM), 3, v, TO_SEL);
		return;
	}
	if (a == A_FILES || a == A_HOMEWORK) {
		snprintf(word, sizeof(word), "%s=%s",
		         a == A_FILES ? "path" : "folder", c->entry);
		argv[0] = a == A_FILES ? "send" : "collect";
		argv[1] = word;
		later(c, T(c, actions[a].label), 2, argv, TO_SEL);
		return;
	}
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return;
	switch (a) {
	case A_MESSAGE:
		cast_command_init(cmd, CAST_CMD_MESSAGE);
		snprintf(cmd->u.message.text, sizeof(cmd->u.message.text), "%s",
		         c->entry);
		break;
	case A_MARQUEE:
		cast_command_init(cmd, CAST_CMD_MARQUEE);
		snprintf(cmd->u.marquee.text, sizeof(cmd->u.marquee.text), "%s",
		         c->entry);
		break;
	case A_WEB:
		cast_command_init(cmd, CAST_CMD_WEB);
		snprintf(cmd->u.web.url, sizeof(cmd->u.web.url), "%s",
		         c->entry);
		break;
	default:
		free(cmd);
		return;
	}
	typed(c, T(c, actions[a].label), cmd);
	free(cmd);
}

static void open_entry(struct console *c, int a)
{
	c->entry_for = a;
	c->entry[0] = '\0';
	c->menu_of = -1;
	SDL_StartTextInput();
	c->dirty = true;
}

static void add_item(struct console *c, enum item it, const char *label,
                     bool checked)
{
	if (c->n_items == MENU_MAX)
		return;
	if (checked)
		c->checked |= 1u << c->n_items;
	c->items[c->n_items] = it;
	snprintf(c->labels[c->n_items++], sizeof(c->labels[0]), "%s", label);
}

static void open_menu(struct console *c, int of, const struct cast_ui_rect *at)
{
	char buf[128];

	c->menu_of = of;
	c->n_items = 0;
	c->checked = 0;
	c->menu_focus = 0;
	switch (of) {
	case A_WATERMARK:
		add_item(c, I_WM_ON, T(c, CAST_S_WM_ID_NAME), false);
		add_item(c, I_WM_OFF, T(c, CAST_S_WM_OFF), false);
		break;
	case A_POWER:
		add_item(c, I_POWER_OFF, T(c, CAST_S_POWER_OFF), false);
		add_item(c, I_POWER_RESTART, T(c, CAST_S_POWER_RESTART), false);
		break;
	case A_LANGUAGE:
		for (int l = 0; l < CAST_LANG_COUNT; l++) {
			snprintf(buf, sizeof(buf), "%s: %s",
			         T(c, CAST_S_CONSOLE_LANG), cast_lang_name(l));
			add_item(c, I_UI_LANG + l, buf,
			         cast_ui_lang(c->ui) == (enum cast_lang)l);
		}
		for (int l = 0; l < CAST_LANG_COUNT && !c->lang_hidden;
		     l++) {
			snprintf(buf, sizeof(buf), "%s: %s",
			         T(c, CAST_S_STUDENTS_LANG), cast_lang_name(l));
			add_item(c, I_STUDENT_LANG + l, buf, false);
		}
		break;
	case A_MENU:
		for (int a = 0; a < A_COUNT; a++) {
			if (actions[a].feature)
				add_item(c, I_FEATURE + a,
				         T(c, actions[a].label), !c->hidden[a]);
			if (a == A_LANGUAGE)
				add_item(c, I_FEATURE_LANG,
				         T(c, CAST_S_STUDENTS_LANG),
				         !c->lang_hidden);
		}
		break;
	default: /* a tile's menu */
		add_item(c, I_TILE_LOCK, T(c, CAST_S_LOCK), false);
		add_item(c, I_TILE_UNLOCK, T(c, CAST_S_UNLOCK), false);
		add_item(c, I_TILE_MESSAGE, T(c, CAST_S_MESSAGE), false);
		add_item(c, I_TILE_SELECT_ALL, T(c, CAST_S_SELECT_ALL), false);
		add_item(c, I_TILE_SELECT_NONE, T(c, CAST_S_SELECT_NONE),
		         false);
		/* Demo from this student, control it (one selected). */
		if (c->cfg.pics && c->n_sel == 1 && !c->hidden[A_DEMO])
			add_item(c, I_TILE_DEMO,
			         T(c, c->demo[0] ? CAST_S_DEMO_STOP
			                         : CAST_S_DEMO_START),
			         false);
		if (c->cfg.pics && c->n_sel == 1 && !c->hidden[A_CONTROL])
			add_item(c, I_TILE_CONTROL, T(c, CAST_S_CONTROL),
			         false);
		break;
	}
	cast_ui_menu_layout(&c->menu, at, c->n_items, c->lay.unit, c->lay.w,
	                    c->lay.h);
	c->dirty = true;
}

static void set_lang(struct console *c, enum cast_lang l)
{
	cast_ui_set_lang(c->ui, l);
	SDL_SetWindowTitle(c->win, T(c, CAST_S_TITLE));
	c->dirty = true;
}

static void do_demo(struct console *c);
static void do_control(struct console *c);

static void choose(struct console *c, int k)
{
	struct cast_command *cmd;
	enum item it;
	const char *argv[3];

	if (k < 0 || k >= c->n_items)
		return;
	it = c->items[k];
	c->menu_of = -1;
	c->dirty = true;
	if (it >= I_UI_LANG && it < I_STUDENT_LANG) {
		set_lang(c, (enum cast_lang)(it - I_UI_LANG));
		return;
	}
	if (it >= I_FEATURE && it < I_FEATURE + A_COUNT) {
		int a = it - I_FEATURE;

		argv[0] = "menu";
		argv[1] = c->hidden[a] ? "show" : "hide";
		argv[2] = actions[a].feature;
		c->hidden[a] = !c->hidden[a];
		later(c, T(c, CAST_S_MENU), 3, argv, TO_NONE);
		/* `menu` takes no --to: asked as is. */
		return;
	}
	if (it == I_FEATURE_LANG) {
		argv[0] = "menu";
		argv[1] = c->lang_hidden ? "show" : "hide";
		argv[2] = "language";
		c->lang_hidden = !c->lang_hidden;
		later(c, T(c, CAST_S_MENU), 3, argv, TO_NONE);
		return;
	}
	switch (it) {
	case I_POWER_OFF:
	case I_POWER_RESTART:
		argv[0] = "power";
		argv[1] = it == I_POWER_OFF ? "off" : "restart";
		later(c,
		      T(c, it == I_POWER_OFF ? CAST_S_POWER_OFF
		                             : CAST_S_POWER_RESTART),
		      2, argv, TO_SEL_OR_ALL);
		return;
	case I_TILE_LOCK:
	case I_TILE_UNLOCK:
		lock_to(c, it == I_TILE_LOCK);
		return;
	case I_TILE_MESSAGE:
		open_entry(c, A_MESSAGE);
		return;
	case I_TILE_SELECT_ALL:
	case I_TILE_SELECT_NONE:
		select_all(c, it == I_TILE_SELECT_ALL);
		return;
	case I_TILE_DEMO:
		do_demo(c);
		return;
	case I_TILE_CONTROL:
		do_control(c);
		return;
	default:
		break;
	}
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return;
	if (it == I_WM_ON || it == I_WM_OFF) {
		cast_command_init(cmd, CAST_CMD_WATERMARK);
		cmd->u.watermark.set = CAST_WM_SET_FIELDS | CAST_WM_SET_TEXT;
		cmd->u.watermark.wm.fields =
		    it == I_WM_ON ? CAST_WM_ID | CAST_WM_NAME : 0;
		typed(c, T(c, CAST_S_WATERMARK), cmd);
	} else if (it >= I_STUDENT_LANG && it < I_FEATURE) {
		cast_command_init(cmd, CAST_CMD_LANGUAGE);
		snprintf(cmd->u.language.lang, sizeof(cmd->u.language.lang),
		         "%s", cast_lang_code(it - I_STUDENT_LANG));
		typed(c, T(c, CAST_S_STUDENTS_LANG), cmd);
	}
	free(cmd);
}

/*
 * The floating bar: small, borderless, on top, at the top centre of the
 * screen; the console's size and place come back when it is left.
 */
static void set_bar(struct console *c, bool on)
{
	SDL_DisplayMode dm;

	if (on == c->bar || !c->cfg.own_screen)
		return;
	c->menu_of = -1;
	c->focus_button = -1;
	if (on) {
		SDL_GetWindowPosition(c->win, &c->full_x, &c->full_y);
		SDL_GetWindowSize(c->win, &c->full_w, &c->full_h);
		SDL_SetWindowBordered(c->win, SDL_FALSE);
		SDL_SetWindowSize(c->win, (int)lround(BAR_W * c->ui_scale),
		                  (int)lround(BAR_H * c->ui_scale));
		if (!SDL_GetDesktopDisplayMode(0, &dm))
			SDL_SetWindowPosition(
			    c->win,
			    (dm.w - (int)lround(BAR_W * c->ui_scale)) / 2, 0);
		SDL_SetWindowAlwaysOnTop(c->win, SDL_TRUE);
	} else {
		SDL_SetWindowAlwaysOnTop(c->win, SDL_FALSE);
		SDL_SetWindowBordered(c->win, SDL_TRUE);
		SDL_SetWindowSize(c->win, c->full_w, c->full_h);
		SDL_SetWindowPosition(c->win, c->full_x, c->full_y);
	}
	c->bar = on;
	c->dirty = true;
}

/*
 * Keeps the console's window (its frame included) out of the broadcast
 * picture wherever it is, bar or full: the students never see it.
 */
static void exclude_self(struct console *c)
{
	struct cast_rect r;
	int top = 0, left = 0, bottom = 0, right = 0;

	if (!c->cfg.own_screen || !c->cfg.sender)
		return;
	SDL_GetWindowPosition(c->win, &r.x, &r.y);
	SDL_GetWindowSize(c->win, &r.w, &r.h);
	if (SDL_GetWindowBordersSize(c->win, &top, &left, &bottom, &right))
		top = left = bottom = right = 0;
	r.x -= left;
	r.y -= top;
	r.w += left + right;
	r.h += top + bottom;
	if (!memcmp(&r, &c->excl, sizeof(r)))
		return;
	c->excl = r;
	if (cast_sender_exclude(c->cfg.sender, &r, 1))
		toast(c, true, "%s: %s", T(c, CAST_S_BAR), T(c, CAST_S_FAILED));
}

/* ---- whiteboard, recording, voice ---- */

/* Drawing mode on or off; the board stays shown (and its drawing kept)
 * when only the mode is left (Esc). */
static void set_drawing(struct console *c, bool on)
{
	if (!c->cfg.board)
		return;
	if (on) {
		set_bar(c, false);
		cast_board_set_on(c->cfg.board, true);
	} else if (c->pen) {
		cast_board_pointer_up(c->cfg.board, c->pen_x, c->pen_y);
		c->pen = false;
	}
	c->drawing = on;
	c->dirty = true;
}

/* The Whiteboard button: shows the board and draws on it; pressed again
 * while drawing, hides the board (its pages kept for next time). */
static void do_board(struct console *c)
{
	if (c->drawing) {
		set_drawing(c, false);
		cast_board_set_on(c->cfg.board, false);
	} else {
		set_drawing(c, true);
	}
}

/* Asks a verb the class answers at once and shows its reply. */
static bool ctl_now(struct console *c, const char *what, int argc, char **argv)
{
	char *reply = cast_class_ctl(argc, argv, 0, c->cfg.cls);
	json_object *o;
	bool ok;

	if (reply == CAST_CTL_LATER)
		reply = NULL;
	o = reply ? json_tokener_parse(reply) : NULL;
	ok = o && jbool(o, "ok");
	json_object_put(o);
	report(c, what, reply);
	free(reply);
	return ok;
}

static void do_record(struct console *c)
{
	if (c->recording) {
		/* Stop waits for the file's index: off the window's thread. */
		const char *v[] = {"record", "stop"};

		later(c, T(c, CAST_S_RECORD), 2, v, TO_NONE);
		c->recording = false;
	} else {
		char *v[] = {"record", "start", NULL};

		c->recording = ctl_now(c, T(c, CAST_S_RECORD), 2, v);
	}
	c->dirty = true;
}

/* Voice on to the selection (nothing selected: all), or off for all. */
static void do_voice(struct console *c)
{
	char to[4096], *argv[5];
	int argc = 0;

	argv[argc++] = "voice";
	argv[argc++] = c->voice_on ? "off" : "on";
	if (!c->voice_on && targets(c, to, sizeof(to))) {
		argv[argc++] = "--to";
		argv[argc++] = to;
	}
	argv[argc] = NULL;
	if (ctl_now(c, T(c, CAST_S_VOICE), argc, argv))
		c->voice_on = !c->voice_on;
}

/*
 * Stops the broadcast for the whole class, or starts it again (`ctl
 * broadcast`, answered at once). Stopped from the floating bar, the full
 * console comes back: there is no broadcast to keep it out of.
 */
static void do_broadcast(struct console *c)
{
	char *argv[] = {"broadcast", c->broadcasting ? "off" : "on", NULL};

	if (ctl_now(c,
	            T(c, c->broadcasting ? CAST_S_BROADCAST_STOP
	                                 : CAST_S_BROADCAST_START),
	            2, argv))
		c->broadcasting = !c->broadcasting;
	if (!c->broadcasting)
		set_bar(c, false);
	c->dirty = true;
}

/* ---- students' screens: wall, demo, remote control ---- */

/* The one selected student, or NULL (and a toast saying to pick one). */
static const char *one_selected(struct console *c, const char *what)
{
	if (c->n_sel == 1)
		return c->selected[0];
	toast(c, true, "%s: %s", what, T(c, CAST_S_PICK_ONE));
	return NULL;
}

static void do_wall(struct console *c)
{
	char *argv[] = {"wall", c->wall_on ? "off" : "on", NULL};

	if (ctl_now(c, T(c, CAST_S_WALL), 2, argv))
		c->wall_on = !c->wall_on;
	refresh(c);
}

/* Demo from the one selected student to all the others; pressed again
 * (a demo running), stops it. */
static void do_demo(struct console *c)
{
	char from[80], *argv[] = {"demo", "stop", NULL};
	const char *id;

	if (!c->demo[0]) {
		id = one_selected(c, T(c, CAST_S_DEMO_START));
		if (!id)
			return;
		snprintf(from, sizeof(from), "from=%s", id);
		argv[1] = from;
	}
	ctl_now(c, T(c, c->demo[0] ? CAST_S_DEMO_STOP : CAST_S_DEMO_START), 2,
	        argv);
	refresh(c);
}

/* A film to the selected students (none: everyone): its path or URL in
 * the text entry; pressed again while one plays, stops it. */
static void do_film(struct console *c)
{
	char *argv[] = {"cinema", "stop", NULL};

	if (!c->film_on) {
		open_entry(c, A_FILM);
		return;
	}
	if (ctl_now(c, T(c, CAST_S_FILM_STOP), 2, argv))
		c->film_on = false;
	c->dirty = true;
}

/* Takes the one selected student's keyboard and mouse (its screen large
 * in the grid's place); pressed again, lets go. */
static void do_control(struct console *c)
{
	char *argv[] = {"control", "stop", NULL};
	const char *id;

	if (!c->control[0]) {
		id = one_selected(c, T(c, CAST_S_CONTROL));
		if (!id)
			return;
		argv[1] = (char *)id;
	}
	ctl_now(c, T(c, c->control[0] ? CAST_S_CONTROL_STOP : CAST_S_CONTROL),
	        2, argv);
	c->esc_since = 0;
	refresh(c);
	if (c->control[0])
		SDL_StartTextInput();
	else if (c->entry_for < 0)
		SDL_StopTextInput();
}

/* Sends one input word to the student under control. */
static void send_input(struct console *c, const char *word)
{
	char *argv[] = {"input", c->control, (char *)word, NULL};
	char *reply;
	json_object *o;

	if (!c->control[0])
		return;
	reply = cast_class_ctl(3, argv, 0, c->cfg.cls);
	if (reply == CAST_CTL_LATER)
		reply = NULL;
	o = reply ? json_tokener_parse(reply) : NULL;
	if (o && jbool(o, "ok")) {
		c->inputs++;
	} else {
		c->inputs_failed++;
		report(c, T(c, CAST_S_CONTROL), reply);
	}
	json_object_put(o);
	free(reply);
}

/* A point of the view in the student's screen pixels; false outside. */
static bool view_point(struct console *c, double x, double y, int *sx, int *sy)
{
	const struct cast_ui_rect *r = &c->view_r;

	if (c->src_w < 2 || !cast_ui_rect_hit(r, x, y))
		return false;
	*sx = (int)((x - r->x) / r->w * c->src_w);
	*sy = (int)((y - r->y) / r->h * c->src_h);
	*sx = *sx >= c->src_w ? c->src_w - 1 : *sx;
	*sy = *sy >= c->src_h ? c->src_h - 1 : *sy;
	return true;
}

static void view_button(struct console *c, const SDL_MouseButtonEvent *b)
{
	char word[64];
	int x, y;

	if (!view_point(c, b->x / c->ui_scale, b->y / c->ui_scale, &x, &y))
		return;
	snprintf(word, sizeof(word), "click=%d,%d%s", x, y,
	         b->button == SDL_BUTTON_RIGHT    ? ",right"
	         : b->button == SDL_BUTTON_MIDDLE ? ",middle"
	                                          : "");
	send_input(c, word);
}

static void view_motion(struct console *c, double mx, double my)
{
	char word[64];
	int x, y;
	int64_t now = cast_mono_us();

	if (now < c->next_move || !view_point(c, mx, my, &x, &y) ||
	    (x == c->last_x && y == c->last_y))
		return;
	c->last_x = x;
	c->last_y = y;
	c->next_move = now + 50000;
	snprintf(word, sizeof(word), "move=%d,%d", x, y);
	send_input(c, word);
}

/* X keysym names of the keys that type no text. */
static const char *key_name(SDL_Keycode k)
{
	static const struct {
		SDL_Keycode k;
		const char *x;
	} keys[] = {
	    {SDLK_RETURN, "Return"},
	    {SDLK_KP_ENTER, "KP_Enter"},
	    {SDLK_BACKSPACE, "BackSpace"},
	    {SDLK_TAB, "Tab"},
	    {SDLK_ESCAPE, "Escape"},
	    {SDLK_DELETE, "Delete"},
	    {SDLK_INSERT, "Insert"},
	    {SDLK_HOME, "Home"},
	    {SDLK_END, "End"},
	    {SDLK_PAGEUP, "Page_Up"},
	    {SDLK_PAGEDOWN, "Page_Down"},
	    {SDLK_LEFT, "Left"},
	    {SDLK_RIGHT, "Right"},
	    {SDLK_UP, "Up"},
	    {SDLK_DOWN, "Down"},
	    {SDLK_F1, "F1"},
	    {SDLK_F2, "F2"},
	    {SDLK_F3, "F3"},
	    {SDLK_F4, "F4"},
	    {SDLK_F5, "F5"},
	    {SDLK_F6, "F6"},
	    {SDLK_F7, "F7"},
	    {SDLK_F8, "F8"},
	    {SDLK_F9, "F9"},
	    {SDLK_F10, "F10"},
	    {SDLK_F11, "F11"},
	    {SDLK_F12, "F12"},
	    {SDLK_SPACE, "space"},
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].k == k)
			return keys[i].x;
	return NULL;
}

/*
 * A key in the control view: text comes as SDL_TEXTINPUT (type=); keys
 * that type nothing, and anything with Ctrl, Alt or Super, go as key=
 * with their modifiers. Esc held for a second ends the control; a short
 * Esc goes to the student on release.
 */
static void view_key(struct console *c, const SDL_KeyboardEvent *k)
{
	SDL_Keymod m = k->keysym.mod;
	SDL_Keycode sym = k->keysym.sym;
	bool chord = m & (KMOD_CTRL | KMOD_ALT | KMOD_GUI);
	const char *name = key_name(sym);
	char one[2] = {0}, word[96];

	if (sym == SDLK_ESCAPE && !chord) {
		if (!k->repeat)
			c->esc_since = cast_mono_us();
		return;
	}
	if (!name && chord && sym > 32 && sym < 127) {
		one[0] = (char)sym;
		name = one;
	}
	/* Plain text and Space: SDL_TEXTINPUT sends them. */
	if (!name || (!chord && sym == SDLK_SPACE))
		return;
	snprintf(word, sizeof(word), "key=%s%s%s%s%s",
	         m & KMOD_CTRL ? "ctrl+" : "", m & KMOD_ALT ? "alt+" : "",
	         m & KMOD_SHIFT && chord ? "shift+" : "",
	         m & KMOD_GUI ? "super+" : "", name);
	send_input(c, word);
}

static void view_text(struct console *c, const char *text)
{
	char word[96];

	if (SDL_GetModState() & (KMOD_CTRL | KMOD_ALT | KMOD_GUI))
		return; /* sent as a key with its modifiers */
	snprintf(word, sizeof(word), "type=%s", text);
	send_input(c, word);
}

/* The controlled student's screen, as large as the grid allows. */
static void draw_view(struct console *c, cairo_t *cr)
{
	const struct cast_ui_rect *g = &c->lay.grid;
	struct console_pics *p = c->cfg.pics;
	double u = c->lay.unit, k;
	struct cast_ui_rect a = {g->x, g->y + u * 1.6, g->w, g->h - u * 1.6};
	char line[256];

	cast_ui_fill(cr, g, 0, 0x202124);
	snprintf(line, sizeof(line), "%s · %s", c->control,
	         T(c, CAST_S_CONTROLLING));
	cast_ui_label(
	    c->ui, cr,
	    &(struct cast_ui_rect){g->x + u * 0.4, g->y, g->w, u * 1.6}, line,
	    u * 0.85, 0xe8eaed, true, CAST_UI_LEFT_ALIGN);
	pthread_mutex_lock(&p->lock);
	c->src_w = p->src_w;
	c->src_h = p->src_h;
	c->view_frames = p->big_frames;
	if (p->big && c->src_w > 0 && c->src_h > 0) {
		double pw = cairo_image_surface_get_width(p->big);
		double ph = cairo_image_surface_get_height(p->big);

		/* The student's aspect, as large as fits. */
		if (a.w / a.h > (double)c->src_w / c->src_h) {
			a.x += (a.w - a.h * c->src_w / c->src_h) / 2;
			a.w = a.h * c->src_w / c->src_h;
		} else {
			a.y += (a.h - a.w * c->src_h / c->src_w) / 2;
			a.h = a.w * c->src_h / c->src_w;
		}
		k = a.w / pw;
		cairo_save(cr);
		cairo_translate(cr, a.x, a.y);
		cairo_scale(cr, k, a.h / ph);
		cairo_set_source_surface(cr, p->big, 0, 0);
		cairo_pattern_set_filter(cairo_get_source(cr),
		                         CAIRO_FILTER_GOOD);
		cairo_paint(cr);
		cairo_restore(cr);
	}
	pthread_mutex_unlock(&p->lock);
	c->view_r = a;
}

/* Lays out the palette and the drawing surface inside the grid. */
static void board_layout(struct console *c)
{
	const struct cast_ui_rect *g = &c->lay.grid;
	double u = c->lay.unit, pad = u * 0.5;
	double bh = fmin(u * 2.2, (g->h - pad * 2) / P_COUNT), bw = u * 2.4;
	double aw = c->width > 0 && c->height > 0 ? (double)c->width / c->height
	                                          : 16.0 / 9;
	struct cast_ui_rect a = {g->x + bw + pad * 2, g->y + pad,
	                         g->w - bw - pad * 3, g->h - pad * 2};

	for (int i = 0; i < P_COUNT; i++)
		c->pal[i] = (struct cast_ui_rect){
		    g->x + pad, g->y + pad + i * bh, bw, bh - 2};
	/* The broadcast's aspect, as large as fits. */
	if (a.w / a.h > aw) {
		a.x += (a.w - a.h * aw) / 2;
		a.w = a.h * aw;
	} else {
		a.y += (a.h - a.w / aw) / 2;
		a.h = a.w / aw;
	}
	c->board_r = a;
}

static void pal_click(struct console *c, int p)
{
	struct cast_board *b = c->cfg.board;
	struct cast_board_style st, cur;
	int n = 0, i;

	cast_board_style(b, &cur);
	if (p < P_COLOR) {
		cast_board_style_init(&st, (enum cast_board_tool)(p - P_TOOL));
		if (p - P_TOOL != CAST_BOARD_HIGHLIGHTER &&
		    p - P_TOOL != CAST_BOARD_ERASER) {
			st.color = cur.color;
			st.width = cur.width;
		}
		cast_board_set_style(b, &st);
	} else if (p < P_WIDTH) {
		cur.color = pal_colors[p - P_COLOR];
		cast_board_set_style(b, &cur);
	} else if (p < P_UNDO) {
		cur.width = pal_widths[p - P_WIDTH];
		cast_board_set_style(b, &cur);
	} else if (p == P_UNDO) {
		cast_board_undo(b);
	} else if (p == P_REDO) {
		cast_board_redo(b);
	} else if (p == P_CLEAR) {
		cast_board_clear(b);
	} else if (p == P_NEW) {
		if (cast_board_page_new(b, CAST_BOARD_BG_OVERLAY) < 0)
			toast(c, true, "%s: %s", T(c, CAST_S_WHITEBOARD),
			      T(c, CAST_S_FAILED));
	} else {
		i = cast_board_page(b, &n) + (p == P_NEXT ? 1 : -1);
		if (i >= 0 && i < n)
			cast_board_page_set(b, i);
	}
	c->dirty = true;
}

/* A press in drawing mode: the palette, or the board's pointer. */
static void board_button(struct console *c, const SDL_MouseButtonEvent *e)
{
	struct cast_board_style st;
	double x = e->x / c->ui_scale, y = e->y / c->ui_scale;
	double nx = (x - c->board_r.x) / c->board_r.w;
	double ny = (y - c->board_r.y) / c->board_r.h;

	if (e->button != SDL_BUTTON_LEFT)
		return;
	for (int p = 0; p < P_COUNT; p++)
		if (cast_ui_rect_hit(&c->pal[p], x, y)) {
			pal_click(c, p);
			return;
		}
	if (!cast_ui_rect_hit(&c->board_r, x, y))
		return;
	cast_board_style(c->cfg.board, &st);
	if (st.tool == CAST_BOARD_TEXT) {
		c->text_x = nx;
		c->text_y = ny;
		open_entry(c, A_BOARD);
		return;
	}
	c->pen_x = nx;
	c->pen_y = ny;
	c->pen = !cast_board_pointer_down(c->cfg.board, nx, ny);
	c->pen_px[0] = c->pen_px[1] = x;
	c->pen_py[0] = c->pen_py[1] = y;
}

static void board_motion(struct console *c, double x, double y, bool up)
{
	double nx = (x - c->board_r.x) / c->board_r.w;
	double ny = (y - c->board_r.y) / c->board_r.h;

	struct cast_board_style st;
	struct cast_board_stats bs;
	double m;

	if (!c->pen)
		return;
	c->pen_x = nx;
	c->pen_y = ny;
	if (up) {
		cast_board_pointer_up(c->cfg.board, nx, ny);
		c->pen = false;
		c->dirty = true;
		return;
	}
	if (cast_board_pointer_move(c->cfg.board, nx, ny) ==
	    CAST_ERROR(ENOSPC)) {
		c->pen = false;
		c->dirty = true;
		return;
	}
	/* A pen or highlighter line grows only where the pointer went: the
	 * rectangle of its last three points, as wide as the line (shapes
	 * and the eraser change more: the whole window). */
	cast_board_style(c->cfg.board, &st);
	if (st.tool != CAST_BOARD_PEN && st.tool != CAST_BOARD_HIGHLIGHTER) {
		c->dirty = true;
		return;
	}
	m = st.width * c->board_r.h / 1080 + 4;
	if (!c->part) {
		c->part = true;
		c->part_x0 = c->part_x1 = x;
		c->part_y0 = c->part_y1 = y;
	}
	for (int i = 0; i < 3; i++) {
		double px = i < 2 ? c->pen_px[i] : x;
		double py = i < 2 ? c->pen_py[i] : y;

		c->part_x0 = fmin(c->part_x0, px - m);
		c->part_y0 = fmin(c->part_y0, py - m);
		c->part_x1 = fmax(c->part_x1, px + m);
		c->part_y1 = fmax(c->part_y1, py + m);
	}
	c->pen_px[0] = c->pen_px[1];
	c->pen_py[0] = c->pen_py[1];
	c->pen_px[1] = x;
	c->pen_py[1] = y;
	/* Not a change from elsewhere for console_step to redraw for. */
	cast_board_stats(c->cfg.board, &bs);
	c->board_version = bs.version;
}

/*
 * The drawing area: the board over a dark stand-in for the broadcast
 * picture, and its page line. The board is rendered into a surface kept
 * for the next time (a stroke redraws many times a second).
 */
static void board_paint(struct console *c, cairo_t *cr)
{
	const struct cast_ui_rect *a = &c->board_r;
	double u = c->lay.unit;
	int w = (int)(a->w * c->scale), h = (int)(a->h * c->scale), n = 0;
	cairo_surface_t *s = c->board_surf;
	char line[160];

	cast_ui_fill(cr, a, 0, 0x202124);
	if (s && (cairo_image_surface_get_width(s) != w ||
	          cairo_image_surface_get_height(s) != h)) {
		cairo_surface_destroy(s);
		s = c->board_surf = NULL;
	}
	if (!s && w > 0 && h > 0) {
		s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
		if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
			cairo_surface_destroy(s);
			s = NULL;
		}
		c->board_surf = s;
	}
	if (s) {
		cairo_surface_flush(s);
		if (!cast_board_render(c->cfg.board, -1,
		                       cairo_image_surface_get_data(s), w, h,
		                       cairo_image_surface_get_stride(s))) {
			cairo_surface_mark_dirty(s);
			cairo_save(cr);
			cairo_translate(cr, a->x, a->y);
			cairo_scale(cr, 1 / c->scale, 1 / c->scale);
			cairo_set_source_surface(cr, s, 0, 0);
			cairo_paint(cr);
			cairo_restore(cr);
		}
	}
	snprintf(line, sizeof(line), "%s · %s %d/%d", T(c, CAST_S_DRAWING),
	         T(c, CAST_S_PAGE), cast_board_page(c->cfg.board, &n) + 1, n);
	cast_ui_label(c->ui, cr,
	              &(struct cast_ui_rect){a->x, a->y, a->w, u * 1.4}, line,
	              u * 0.8, 0xe8eaed, false, CAST_UI_LEFT_ALIGN);
}

static void draw_board(struct console *c, cairo_t *cr)
{
	struct cast_board_style st;
	double u = c->lay.unit;

	cast_board_style(c->cfg.board, &st);
	for (int p = 0; p < P_COUNT; p++) {
		bool on = (p < P_COLOR && (int)st.tool == p - P_TOOL) ||
		          (p >= P_COLOR && p < P_WIDTH &&
		           st.color == pal_colors[p - P_COLOR]) ||
		          (p >= P_WIDTH && p < P_UNDO &&
		           st.width == pal_widths[p - P_WIDTH]);
		const char *icon =
		    p < P_COLOR  ? cast_ui_icon(tool_icons[p - P_TOOL])
		    : p < P_UNDO ? ""
		                 : cast_ui_icon(pal_icons[p - P_UNDO]);
		struct cast_ui_rect r = c->pal[p];

		cast_ui_fill(cr, &r, u * 0.2, on ? 0x1a73e8 : 0x3c4043);
		if (p >= P_COLOR && p < P_WIDTH) {
			r = (struct cast_ui_rect){r.x + r.w * 0.25,
			                          r.y + r.h * 0.2, r.w * 0.5,
			                          r.h * 0.6};
			cast_ui_fill(cr, &r, u * 0.1, pal_colors[p - P_COLOR]);
		} else if (p >= P_WIDTH && p < P_UNDO) {
			cairo_set_source_rgb(cr, 1, 1, 1);
			cairo_arc(
			    cr, r.x + r.w / 2, r.y + r.h / 2,
			    fmin(r.h * 0.4, pal_widths[p - P_WIDTH] / 2 + 0.5),
			    0, 2 * M_PI);
			cairo_fill(cr);
		} else {
			cast_ui_label(c->ui, cr, &r, icon, u * 0.9, 0xffffff,
			              false, CAST_UI_CENTER);
		}
	}
	board_paint(c, cr);
}

static void act(struct console *c, int a, const struct cast_ui_rect *at)
{
	char to[4096], *argv[4], *reply;
	int argc = 0;

	if (a < 0 || a >= A_COUNT || c->hidden[a])
		return;
	if (actions[a].menu) {
		if (c->menu_of == a) {
			c->menu_of = -1;
			c->dirty = true;
		} else {
			open_menu(c, a, at);
		}
		return;
	}
	switch (a) {
	case A_LOCK:
		do_lock(c);
		return;
	case A_MESSAGE:
	case A_MARQUEE:
	case A_WEB:
	case A_FILES:
	case A_HOMEWORK:
		open_entry(c, a);
		return;
	case A_ATTENDANCE: {
		const char *v[] = {"attendance"};

		later(c, T(c, CAST_S_ATTENDANCE), 1, v, TO_SEL);
		return;
	}
	case A_BAR:
		set_bar(c, !c->bar);
		return;
	case A_BOARD:
		do_board(c);
		return;
	case A_BROADCAST:
		do_broadcast(c);
		return;
	case A_RECORD:
		do_record(c);
		return;
	case A_VOICE:
		do_voice(c);
		return;
	case A_WALL:
		do_wall(c);
		return;
	case A_DEMO:
		do_demo(c);
		return;
	case A_CONTROL:
		do_control(c);
		return;
	case A_FILM:
		do_film(c);
		return;
	case A_WAKE:
		argv[argc++] = "wake";
		if (targets(c, to, sizeof(to))) {
			argv[argc++] = "--to";
			argv[argc++] = to;
		}
		argv[argc] = NULL;
		reply = cast_class_ctl(argc, argv, 0, c->cfg.cls);
		report(c, T(c, CAST_S_WAKE),
		       reply == CAST_CTL_LATER ? NULL : reply);
		if (reply != CAST_CTL_LATER)
			free(reply);
		return;
	default:
		return;
	}
}

/* Toolbar slot of action `a` (for a menu's anchor), or NULL. */
static const struct cast_ui_rect *button_rect(struct console *c, int a)
{
	for (int i = 0; i < c->n_visible && i < c->lay.n_buttons; i++)
		if (c->visible[i] == a)
			return &c->lay.buttons[i];
	return &c->lay.toolbar;
}

/* ---- events ---- */

static int tile_index(struct console *c, int on_page)
{
	int i = c->page * CAST_UI_TILES_PAGE + on_page;

	return on_page >= 0 && i < c->n_st ? i : -1;
}

static void click_tile(struct console *c, int k, SDL_Keymod mod)
{
	int i = tile_index(c, k);
	const char *id;

	if (i < 0) {
		if (!(mod & (KMOD_CTRL | KMOD_SHIFT)))
			select_all(c, false);
		return;
	}
	id = c->st[i].id;
	c->focus_tile = k;
	if (mod & KMOD_CTRL) {
		select_id(c, id, !is_selected(c, id));
	} else if ((mod & KMOD_SHIFT) && c->anchor[0]) {
		int a = -1;

		for (int s = 0; s < c->n_st; s++)
			if (!strcmp(c->st[s].id, c->anchor))
				a = s;
		if (a < 0)
			a = i;
		for (int s = a < i ? a : i; s <= (a < i ? i : a); s++)
			select_id(c, c->st[s].id, true);
	} else {
		c->n_sel = 0;
		select_id(c, id, true);
	}
	if (!(mod & KMOD_SHIFT))
		snprintf(c->anchor, sizeof(c->anchor), "%s", id);
	c->dirty = true;
}

static void on_key(struct console *c, const SDL_KeyboardEvent *k)
{
	SDL_Keycode key = k->keysym.sym;
	bool ctrl = k->keysym.mod & KMOD_CTRL;
	int i;

	c->dirty = true;
	if (c->control[0] && c->entry_for < 0 && c->menu_of == -1 &&
	    !c->drawing) {
		view_key(c, k);
		return;
	}
	if (key == SDLK_F11 && c->entry_for < 0 &&
	    (c->bar || !c->hidden[A_BAR])) {
		set_bar(c, !c->bar);
		return;
	}
	if (c->entry_for >= 0) {
		if (key == SDLK_RETURN || key == SDLK_KP_ENTER)
			entry_done(c);
		else if (key == SDLK_ESCAPE) {
			c->entry_for = -1;
			SDL_StopTextInput();
		} else if (key == SDLK_BACKSPACE)
			cast_ui_utf8_backspace(c->entry);
		return;
	}
	if (c->menu_of != -1) {
		if (key == SDLK_ESCAPE)
			c->menu_of = -1;
		else if (key == SDLK_DOWN)
			c->menu_focus = (c->menu_focus + 1) % c->n_items;
		else if (key == SDLK_UP)
			c->menu_focus =
			    (c->menu_focus + c->n_items - 1) % c->n_items;
		else if (key == SDLK_RETURN || key == SDLK_KP_ENTER ||
		         key == SDLK_SPACE)
			choose(c, c->menu_focus);
		return;
	}
	if (c->focus_button >= 0) {
		/* F10 mode: the toolbar takes the arrows. */
		if (key == SDLK_LEFT || key == SDLK_RIGHT) {
			c->focus_button = (c->focus_button + c->n_visible +
			                   (key == SDLK_LEFT ? -1 : 1)) %
			                  c->n_visible;
			return;
		}
		if (key == SDLK_RETURN || key == SDLK_DOWN ||
		    key == SDLK_SPACE) {
			i = c->visible[c->focus_button];
			act(c, i, &c->lay.buttons[c->focus_button]);
			return;
		}
		if (key == SDLK_ESCAPE || key == SDLK_F10) {
			c->focus_button = -1;
			return;
		}
	}
	if (key == SDLK_ESCAPE && c->drawing) {
		/* Leaves drawing mode; the drawing stays on the screen. */
		set_drawing(c, false);
	} else if (key == SDLK_F4 && c->cfg.sender) {
		act(c, A_BROADCAST, NULL);
	} else if (key == SDLK_F5 && c->cfg.board) {
		act(c, A_BOARD, NULL);
	} else if (key == SDLK_F6) {
		act(c, A_RECORD, NULL);
	} else if (key == SDLK_F7 && c->cfg.voice) {
		act(c, A_VOICE, NULL);
	} else if (key == SDLK_F8 && c->cfg.pics) {
		act(c, A_WALL, NULL);
	} else if (key == SDLK_F9 && c->cfg.pics) {
		act(c, A_DEMO, NULL);
	} else if (key == SDLK_F12 && c->cfg.pics) {
		act(c, A_CONTROL, NULL);
	} else if (ctrl && key == SDLK_a) {
		select_all(c, true);
	} else if (ctrl && key == SDLK_l) {
		act(c, A_LOCK, NULL);
	} else if (ctrl && key == SDLK_m) {
		act(c, A_MESSAGE, NULL);
	} else if (ctrl && key == SDLK_k) {
		act(c, A_MARQUEE, NULL);
	} else if (ctrl && key == SDLK_w) {
		act(c, A_WATERMARK, button_rect(c, A_WATERMARK));
	} else if (ctrl && key == SDLK_g) {
		act(c, A_LANGUAGE, button_rect(c, A_LANGUAGE));
	} else if (key == SDLK_F10) {
		c->focus_button = 0;
	} else if (key == SDLK_ESCAPE) {
		select_all(c, false);
	} else if (key == SDLK_PAGEDOWN || key == SDLK_PAGEUP) {
		c->page += key == SDLK_PAGEDOWN ? 1 : -1;
		c->page = c->page < 0           ? 0
		          : c->page >= pages(c) ? pages(c) - 1
		                                : c->page;
	} else if (key == SDLK_LEFT || key == SDLK_RIGHT || key == SDLK_UP ||
	           key == SDLK_DOWN) {
		int f = c->focus_tile < 0 ? 0 : c->focus_tile;

		f += key == SDLK_LEFT    ? -1
		     : key == SDLK_RIGHT ? 1
		     : key == SDLK_UP    ? -4
		                         : 4;
		if (f >= 0 && f < CAST_UI_TILES_PAGE && tile_index(c, f) >= 0)
			c->focus_tile = f;
		else if (c->focus_tile < 0)
			c->focus_tile = 0;
	} else if (key == SDLK_SPACE && c->focus_tile >= 0) {
		i = tile_index(c, c->focus_tile);
		if (i >= 0)
			select_id(c, c->st[i].id, !is_selected(c, c->st[i].id));
	} else if (key == SDLK_MENU && c->focus_tile >= 0) {
		open_menu(c, -2, &c->lay.tiles[c->focus_tile]);
	}
}

static void on_button(struct console *c, const SDL_MouseButtonEvent *b)
{
	double x = b->x / c->ui_scale, y = b->y / c->ui_scale;
	SDL_Keymod mod = c->mod;
	int k;

	c->dirty = true;
	c->focus_button = -1;
	if (c->bar) {
		if (b->button != SDL_BUTTON_LEFT)
			return;
		if (c->cfg.sender && !c->hidden[A_BROADCAST] &&
		    cast_ui_rect_hit(&c->bar_bcast, x, y))
			do_broadcast(c);
		else if (cast_ui_rect_hit(&c->bar_lock, x, y))
			do_lock(c);
		else if (cast_ui_rect_hit(&c->bar_console, x, y))
			set_bar(c, false);
		else if (c->cfg.board && cast_ui_rect_hit(&c->bar_board, x, y))
			do_board(c);
		return;
	}
	if (c->entry_for >= 0)
		return;
	if (c->menu_of != -1) {
		k = cast_ui_menu_item_at(&c->menu, x, y);
		if (k >= 0) {
			choose(c, k);
			return;
		}
		c->menu_of = -1;
		/* A click beside the menu on its own button only closes it. */
		if (cast_ui_button_at(&c->lay, x, y) >= 0)
			return;
	}
	k = cast_ui_button_at(&c->lay, x, y);
	if (b->button == SDL_BUTTON_LEFT && k >= 0 && k < c->n_visible) {
		act(c, c->visible[k], &c->lay.buttons[k]);
		return;
	}
	if (c->drawing) {
		board_button(c, b);
		return;
	}
	if (c->control[0]) {
		view_button(c, b);
		return;
	}
	if (!cast_ui_rect_hit(&c->lay.grid, x, y))
		return;
	k = cast_ui_tile_at(&c->lay, x, y);
	if (b->button == SDL_BUTTON_RIGHT) {
		int i = tile_index(c, k);

		if (i >= 0 && !is_selected(c, c->st[i].id))
			click_tile(c, k, 0);
		if (i >= 0)
			open_menu(c, -2, &(struct cast_ui_rect){x, y, 0, 0});
		return;
	}
	if (b->button != SDL_BUTTON_LEFT)
		return;
	if (k >= 0 && tile_index(c, k) >= 0) {
		click_tile(c, k, mod);
		return;
	}
	/* Between tiles: a rubber band starts. */
	c->band = true;
	c->band_x0 = c->band_x1 = x;
	c->band_y0 = c->band_y1 = y;
	if (!(mod & (KMOD_CTRL | KMOD_SHIFT)))
		select_all(c, false);
}

static void band_end(struct console *c)
{
	unsigned bits = cast_ui_tiles_in(&c->lay, c->band_x0, c->band_y0,
	                                 c->band_x1, c->band_y1);

	c->band = false;
	for (int k = 0; k < CAST_UI_TILES_PAGE; k++) {
		int i = tile_index(c, k);

		if ((bits & (1u << k)) && i >= 0)
			select_id(c, c->st[i].id, true);
	}
	c->dirty = true;
}

/* ---- drawing ---- */

static void status_text(struct console *c, char *buf, size_t size)
{
	int online = 0;
	size_t n;

	for (int i = 0; i < c->n_st; i++)
		online += !!(c->st[i].flags & CAST_UI_T_ONLINE);
	n = (size_t)snprintf(buf, size, "%s %d · %s %d/%d · ",
	                     T(c, CAST_S_CHANNEL), c->cfg.channel,
	                     T(c, CAST_S_STUDENTS_ONLINE), online, c->n_st);
	if (c->cfg.sender && c->broadcasting && n < size)
		n += (size_t)snprintf(buf + n, size - n,
		                      "%s %dx%d %.2f Mbit/s · ",
		                      T(c, CAST_S_BROADCASTING), c->width,
		                      c->height, c->bitrate_kbps / 1000);
	else if (c->cfg.sender && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s · ",
		                      T(c, CAST_S_NOT_BROADCASTING));
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s %.0f%% · ",
		                      T(c, CAST_S_WORST_LOSS), c->worst_loss);
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, "%s %d/%d · %s %d",
		                      T(c, CAST_S_PAGE), c->page + 1, pages(c),
		                      T(c, CAST_S_SELECTED), c->n_sel);
	if (c->recording && n < size) {
		long t = (long)c->rec_seconds;

		n += (size_t)snprintf(
		    buf + n, size - n, " · %s %02ld:%02ld:%02ld",
		    T(c, CAST_S_REC), t / 3600, t / 60 % 60, t % 60);
	}
	if (c->last_error[0] && n < size)
		snprintf(buf + n, size - n, " · %s", c->last_error);
}

static bool all_locked(const struct console *c)
{
	int locked = 0, online = 0;

	for (int s = 0; s < c->n_st; s++) {
		online += !!(c->st[s].flags & CAST_UI_T_ONLINE);
		locked += !!(c->st[s].flags & CAST_UI_T_LOCKED) &&
		          (c->st[s].flags & CAST_UI_T_ONLINE);
	}
	return online && locked == online;
}

/* The floating bar: [Lock] [Console] broadcasting · online · last word. */
static void draw_bar(struct console *c, cairo_t *cr)
{
	double u = BAR_UNIT;
	struct cast_ui_button lock = {.icon = cast_ui_icon(CAST_ICON_LOCK),
	                              .label = T(c, CAST_S_LOCK),
	                              .pressed = all_locked(c)};
	struct cast_ui_button con = {.icon = cast_ui_icon(CAST_ICON_CONSOLE),
	                             .label = T(c, CAST_S_CONSOLE)};
	struct cast_ui_rect all = {0, 0, BAR_W, BAR_H};
	struct cast_ui_button board = {
	    .icon = cast_ui_icon(CAST_ICON_WHITEBOARD),
	    .label = T(c, CAST_S_WHITEBOARD),
	    .pressed = c->cfg.board && cast_board_on(c->cfg.board)};
	struct cast_ui_button bcast = {
	    .icon = cast_ui_icon(CAST_ICON_BROADCAST),
	    .label = T(c, c->broadcasting ? CAST_S_BROADCAST_STOP
	                                  : CAST_S_BROADCAST_START),
	    .pressed = c->broadcasting};
	bool has_bcast = c->cfg.sender && !c->hidden[A_BROADCAST];
	double x = u * 0.3, tx;
	struct cast_ui_rect t1, t2;
	char line[256];
	int online = 0;

	for (int i = 0; i < c->n_st; i++)
		online += !!(c->st[i].flags & CAST_UI_T_ONLINE);
	cast_ui_fill(cr, &all, 0, CAST_UI_BAR);
	if (has_bcast) {
		c->bar_bcast = (struct cast_ui_rect){x, 2, u * 7, BAR_H - 4};
		cast_ui_draw_button(c->ui, cr, &c->bar_bcast, &bcast, u);
		x += u * 7.5;
	}
	c->bar_lock = (struct cast_ui_rect){x, 2, u * 4.8, BAR_H - 4};
	c->bar_console =
	    (struct cast_ui_rect){x + u * 5, 2, u * 4.8, BAR_H - 4};
	cast_ui_draw_button(c->ui, cr, &c->bar_lock, &lock, u);
	cast_ui_draw_button(c->ui, cr, &c->bar_console, &con, u);
	x += u * 10;
	c->bar_board = (struct cast_ui_rect){x, 2, u * 4.8, BAR_H - 4};
	if (c->cfg.board) {
		cast_ui_draw_button(c->ui, cr, &c->bar_board, &board, u);
		x += u * 5;
	}
	tx = x + u * 0.1;
	t1 = (struct cast_ui_rect){tx, 4, BAR_W - tx - u * 0.6,
	                           BAR_H / 2.0 - 4};
	t2 = (struct cast_ui_rect){tx, BAR_H / 2.0, BAR_W - tx - u * 0.6,
	                           BAR_H / 2.0 - 4};
	if (c->broadcasting)
		snprintf(line, sizeof(line), "%s %s %.2f Mbit/s",
		         cast_ui_icon(CAST_ICON_ON), T(c, CAST_S_BROADCASTING),
		         c->bitrate_kbps / 1000);
	else
		snprintf(line, sizeof(line), "%s %s",
		         cast_ui_icon(CAST_ICON_OFF),
		         T(c, CAST_S_NOT_BROADCASTING));
	cast_ui_label(c->ui, cr, &t1, line, u * 0.85,
	              c->broadcasting ? 0xff6b6b : 0xe8eaed, true,
	              CAST_UI_LEFT_ALIGN);
	if (c->toast[0] && cast_mono_us() < c->toast_until)
		snprintf(line, sizeof(line), "%.200s", c->toast);
	else
		snprintf(line, sizeof(line), "%s %d/%d",
		         T(c, CAST_S_STUDENTS_ONLINE), online, c->n_st);
	cast_ui_label(c->ui, cr, &t2, line, u * 0.75, 0xe8eaed, false,
	              CAST_UI_LEFT_ALIGN);
}

/* Tile `k` of the page (the pictures' lock held). */
static void draw_tile(struct console *c, cairo_t *cr, int k)
{
	int i = tile_index(c, k);
	struct cast_ui_tile t;

	if (i < 0)
		return;
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", c->st[i].id);
	snprintf(t.name, sizeof(t.name), "%s", c->st[i].name);
	snprintf(t.seat, sizeof(t.seat), "%s", c->st[i].ip);
	t.flags = c->st[i].flags;
	t.loss_pct = c->st[i].loss_pct;
	t.selected = is_selected(c, t.id);
	t.focused = k == c->focus_tile;
	if (c->wall_on || !strcmp(c->demo, t.id)) {
		struct pic *p = pic_of(c->cfg.pics, t.id);

		t.picture = p ? p->thumb : NULL;
	}
	cast_ui_draw_tile(c->ui, cr, &c->lay.tiles[k], &t, c->lay.unit);
}

/* What lies over everything: the open menu, the text entry, the toast and
 * the tooltip. */
static void draw_overlays(struct console *c, cairo_t *cr)
{
	double u = c->lay.unit;

	if (c->menu_of != -1) {
		const char *labels[MENU_MAX];

		for (int i = 0; i < c->n_items; i++)
			labels[i] = c->labels[i];
		cast_ui_draw_menu(c->ui, cr, &c->menu, labels, c->menu_focus,
		                  c->checked, u);
	}
	if (c->entry_for >= 0) {
		enum cast_ui_str title =
		    c->entry_for == A_MESSAGE   ? CAST_S_ENTER_MESSAGE
		    : c->entry_for == A_MARQUEE ? CAST_S_ENTER_MARQUEE
		    : c->entry_for == A_WEB     ? CAST_S_ENTER_URL
		    : c->entry_for == A_FILES   ? CAST_S_ENTER_FILE
		    : c->entry_for == A_BOARD   ? CAST_S_ENTER_BOARD_TEXT
		    : c->entry_for == A_FILM    ? CAST_S_ENTER_FILM
		                                : CAST_S_ENTER_FOLDER;
		char t[256];
		char to[4096];

		snprintf(t, sizeof(t), "%s → %.200s", T(c, title),
		         targets(c, to, sizeof(to)) ? to : T(c, CAST_S_TO_ALL));
		cast_ui_draw_entry(c->ui, cr, c->lay.w, c->lay.h, t, c->entry,
		                   T(c, CAST_S_ENTER_HINT), u);
	}
	if (c->toast[0] && cast_mono_us() < c->toast_until)
		cast_ui_draw_toast(c->ui, cr, c->lay.w, c->lay.h, c->toast,
		                   c->toast_error, u);
	if (c->hover >= 0 && c->hover < c->n_visible && c->menu_of == -1 &&
	    c->entry_for < 0 && cast_mono_us() - c->hover_since >= 600000) {
		int a = c->visible[c->hover];
		char tip[256];
		bool to_all = a != A_LANGUAGE && a != A_MENU && a != A_BAR &&
		              a != A_BROADCAST && a != A_WALL &&
		              a != A_ATTENDANCE && a != A_BOARD &&
		              a != A_RECORD && a != A_DEMO && a != A_CONTROL;

		/* Name, shortcut, and whom it reaches with nothing selected. */
		snprintf(tip, sizeof(tip), "%s%s%s%s%s%s", action_label(c, a),
		         actions[a].shortcut ? " (" : "",
		         actions[a].shortcut ? actions[a].shortcut : "",
		         actions[a].shortcut ? ")" : "",
		         to_all && !c->n_sel ? " — " : "",
		         to_all && !c->n_sel ? T(c, CAST_S_TO_ALL) : "");
		cast_ui_draw_tooltip(c->ui, cr, c->hover_x,
		                     c->lay.toolbar.y + c->lay.toolbar.h,
		                     c->lay.w, c->lay.h, tip, u);
	}
	/* The palette's, to the right of its button. */
	if (c->drawing && c->pal_hover >= 0 && c->menu_of == -1 &&
	    c->entry_for < 0 && cast_mono_us() - c->hover_since >= 600000) {
		const struct cast_ui_rect *r = &c->pal[c->pal_hover];

		cast_ui_draw_tooltip(c->ui, cr, r->x + r->w + u * 0.3,
		                     r->y - u * 0.3, c->lay.w, c->lay.h,
		                     T(c, pal_tips[c->pal_hover]), u);
	}
}

static void draw(struct console *c)
{
	cairo_t *cr = cairo_create(c->surf);
	double u = c->lay.unit;
	char status[1024], line1[256], line2[256], line3[256], hands[512];
	const char *lines[6];
	int n_lines = 0;
	struct cast_ui_rect side;

	cairo_scale(cr, c->scale, c->scale);
	if (c->bar) {
		draw_bar(c, cr);
		cairo_destroy(cr);
		return;
	}
	cast_ui_fill(cr, &(struct cast_ui_rect){0, 0, c->lay.w, c->lay.h}, 0,
	             CAST_UI_BG);
	cast_ui_fill(cr, &c->lay.toolbar, 0, CAST_UI_BAR);
	for (int i = 0; i < c->n_visible && i < c->lay.n_buttons; i++) {
		int a = c->visible[i];
		struct cast_ui_button b = {
		    .icon = cast_ui_icon(actions[a].icon),
		    .label = T(c, actions[a].label),
		    .shortcut = actions[a].shortcut,
		    .focused = c->focus_button == i,
		    .has_menu = actions[a].menu,
		    .pressed = c->menu_of == a,
		};

		/* Broadcast: pressed while it runs (the tooltip says what
		 * pressing it does, as the floating bar's button). */
		if (a == A_BROADCAST)
			b.pressed = c->broadcasting;
		else if (a == A_LOCK)
			b.pressed = all_locked(c);
		else if (a == A_BOARD)
			b.pressed = c->drawing || cast_board_on(c->cfg.board);
		else if (a == A_RECORD)
			b.pressed = c->recording;
		else if (a == A_VOICE)
			b.pressed = c->voice_on;
		else if (a == A_WALL)
			b.pressed = c->wall_on;
		if (a == A_DEMO && c->demo[0]) {
			b.pressed = true;
			b.label = T(c, CAST_S_DEMO_STOP);
		} else if (a == A_CONTROL && c->control[0]) {
			b.pressed = true;
			b.label = T(c, CAST_S_CONTROL_STOP);
		} else if (a == A_FILM && c->film_on) {
			b.pressed = true;
			b.label = T(c, CAST_S_FILM_STOP);
		}
		cast_ui_draw_button(c->ui, cr, &c->lay.buttons[i], &b, u);
	}
	if (c->drawing) {
		board_layout(c);
		draw_board(c, cr);
	} else if (c->control[0]) {
		draw_view(c, cr);
	}
	if (c->cfg.pics)
		pthread_mutex_lock(&c->cfg.pics->lock);
	for (int k = 0; k < CAST_UI_TILES_PAGE && !c->drawing && !c->control[0];
	     k++)
		draw_tile(c, cr, k);
	if (c->cfg.pics)
		pthread_mutex_unlock(&c->cfg.pics->lock);
	if (!c->n_st && !c->drawing && !c->control[0])
		cast_ui_label(c->ui, cr, &c->lay.grid, T(c, CAST_S_EMPTY_CLASS),
		              u * 1.2, 0x5f6368, false, CAST_UI_CENTER);
	if (c->band) {
		cairo_rectangle(cr, fmin(c->band_x0, c->band_x1),
		                fmin(c->band_y0, c->band_y1),
		                fabs(c->band_x1 - c->band_x0),
		                fabs(c->band_y1 - c->band_y0));
		cairo_set_source_rgba(cr, 0.12, 0.44, 0.85, 0.2);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, 0.12, 0.44, 0.85);
		cairo_set_line_width(cr, 1);
		cairo_stroke(cr);
	}
	/* Side panel: the student setup code, raised hands, messages. */
	cast_ui_fill(cr, &c->lay.side, 0, 0xffffff);
	side = c->lay.side;
	side.h = side.h * 0.36;
	snprintf(line1, sizeof(line1), "%s", T(c, CAST_S_SETUP_HINT));
	snprintf(line2, sizeof(line2), "%s", c->setup);
	snprintf(line3, sizeof(line3), "%s",
	         c->cfg.key_path ? c->cfg.key_path : "");
	lines[n_lines++] = line1;
	lines[n_lines++] = line2;
	if (line3[0])
		lines[n_lines++] = line3;
	cast_ui_draw_panel(c->ui, cr, &side, T(c, CAST_S_SETUP), lines, n_lines,
	                   u);
	side.y += side.h;
	side.h = c->lay.side.h * 0.28;
	{
		size_t n = 0;

		hands[0] = '\0';
		for (int i = 0; i < c->n_st && n < sizeof(hands); i++) {
			char when[16] = "";
			time_t t = (time_t)(c->st[i].hand_us / 1000000);
			struct tm tm;

			if (!(c->st[i].flags & CAST_UI_T_HAND))
				continue;
			if (c->st[i].hand_us && localtime_r(&t, &tm))
				strftime(when, sizeof(when), " %H:%M", &tm);
			n += (size_t)snprintf(hands + n, sizeof(hands) - n,
			                      "%s%s%s", n ? ", " : "",
			                      c->st[i].name[0] ? c->st[i].name
			                                       : c->st[i].id,
			                      when);
		}
		lines[0] = hands[0] ? hands : T(c, CAST_S_NONE);
		cast_ui_draw_panel(c->ui, cr, &side, T(c, CAST_S_HANDS_RAISED),
		                   lines, 1, u);
	}
	side.y += side.h;
	side.h = c->lay.side.y + c->lay.side.h - side.y;
	for (int i = 0; i < c->n_notes; i++)
		lines[i] = c->notes[i];
	if (!c->n_notes)
		lines[0] = T(c, CAST_S_NONE);
	cast_ui_draw_panel(c->ui, cr, &side, T(c, CAST_S_MESSAGES), lines,
	                   c->n_notes ? c->n_notes : 1, u);
	status_text(c, status, sizeof(status));
	cast_ui_draw_status(c->ui, cr, &c->lay.status, status, u);
	draw_overlays(c, cr);
	cairo_destroy(cr);
}

/* Matches the texture and surface to the window's drawable (HiDPI). */
static int resize(struct console *c)
{
	int dw, dh;

	SDL_GetWindowSize(c->win, &c->win_w, &c->win_h);
	SDL_GetRendererOutputSize(c->ren, &dw, &dh);
	c->px_scale = c->win_w > 0 ? (double)dw / c->win_w : 1;
	c->scale = c->px_scale * c->ui_scale;
	cast_ui_layout(&c->lay, c->win_w / c->ui_scale, c->win_h / c->ui_scale,
	               c->n_visible);
	if (c->tex && dw == c->tex_w && dh == c->tex_h)
		return 0;
	/* A new texture holds nothing yet: all of it is drawn. */
	c->dirty = true;
	if (c->tex)
		SDL_DestroyTexture(c->tex);
	if (c->surf)
		cairo_surface_destroy(c->surf);
	c->tex = SDL_CreateTexture(c->ren, SDL_PIXELFORMAT_ARGB8888,
	                           SDL_TEXTUREACCESS_STREAMING, dw, dh);
	c->surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, dw, dh);
	if (!c->tex || cairo_surface_status(c->surf) != CAIRO_STATUS_SUCCESS)
		return CAST_ERROR(ENOMEM);
	c->tex_w = dw;
	c->tex_h = dh;
	return 0;
}

/* A stroke's time, once the present that shows it is done. */
static void stroke_shown(struct console *c)
{
	if (!c->stroke_pending)
		return;
	cast_hist_add(&c->stroke_us,
	              (int64_t)(Uint32)(SDL_GetTicks() - c->stroke_at) * 1000);
	c->stroke_pending = false;
}

/* A rectangle in logical pixels as whole device pixels of the window
 * (the clip then paints each of them fully). False when nothing is left. */
static bool device_rect(const struct console *c, const struct cast_ui_rect *r,
                        SDL_Rect *out)
{
	double sc = c->scale;
	int x0 = (int)floor(r->x * sc), y0 = (int)floor(r->y * sc);
	int x1 = (int)ceil((r->x + r->w) * sc), y1 = (int)ceil((r->y + r->h) * sc);

	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > c->tex_w ? c->tex_w : x1;
	y1 = y1 > c->tex_h ? c->tex_h : y1;
	if (x1 <= x0 || y1 <= y0)
		return false;
	*out = (SDL_Rect){x0, y0, x1 - x0, y1 - y0};
	return true;
}

/*
 * Uploads what was painted (the `n` rectangles of the window's surface,
 * or all of it when n is 0) and shows the window; `t0` began the painting,
 * `t1` ended it: the draw and present times.
 */
static void show(struct console *c, const SDL_Rect *rects, int n, int64_t t0,
                 int64_t t1)
{
	unsigned char *data = cairo_image_surface_get_data(c->surf);
	int stride = cairo_image_surface_get_stride(c->surf);

	if (!n)
		SDL_UpdateTexture(c->tex, NULL, data, stride);
	for (int i = 0; i < n; i++)
		SDL_UpdateTexture(c->tex, &rects[i],
		                  data + (size_t)rects[i].y * stride +
		                      (size_t)rects[i].x * 4,
		                  stride);
	SDL_RenderClear(c->ren);
	SDL_RenderCopy(c->ren, c->tex, NULL, NULL);
	SDL_RenderPresent(c->ren);
	cast_hist_add(&c->draw_us, t1 - t0);
	cast_hist_add(&c->present_us, cast_mono_us() - t1);
	c->redraws++;
}

/*
 * Only a pen stroke grew since the last redraw: the drawing area is
 * repainted and uploaded inside the rectangle it touched, nothing else
 * (the toolbar, the palette and the rest stay as they were drawn).
 */
static void present_part(struct console *c)
{
	const struct cast_ui_rect *a = &c->board_r;
	double x0 = fmax(c->part_x0, a->x), y0 = fmax(c->part_y0, a->y);
	double x1 = fmin(c->part_x1, a->x + a->w);
	double y1 = fmin(c->part_y1, a->y + a->h);
	int64_t t0 = cast_mono_us();
	cairo_t *cr;
	SDL_Rect r;

	c->part = false;
	if (x1 <= x0 || y1 <= y0 ||
	    !device_rect(c, &(struct cast_ui_rect){x0, y0, x1 - x0, y1 - y0},
	                 &r))
		return;
	cr = cairo_create(c->surf);
	cairo_rectangle(cr, r.x, r.y, r.w, r.h);
	cairo_clip(cr);
	cairo_scale(cr, c->scale, c->scale);
	board_paint(c, cr);
	cairo_destroy(cr);
	cairo_surface_flush(c->surf);
	show(c, &r, 1, t0, cast_mono_us());
	c->part_redraws++;
	stroke_shown(c);
}

/*
 * Only tiles of the page (a new picture from the wall, a state) or the
 * status bar's text changed since the window was drawn: each is repainted
 * alone, inside its own rectangle (the background under it, the tile or
 * bar, and any menu, entry, toast or tooltip over it, as the whole window
 * would have it there), and only those rectangles are uploaded. A wall of
 * students then costs a tile's drawing per new picture, not the window's.
 */
static void present_tiles(struct console *c)
{
	/* A tile's keyboard focus ring reaches 3 logical pixels out; the
	 * gap to the next tile is at least 6 (0.6 of a unit >= 10). */
	const double ring = 3.5;
	int64_t t0 = cast_mono_us();
	SDL_Rect up[CAST_UI_TILES_PAGE + 1];
	int n = 0, tiles = 0;
	cairo_t *cr = cairo_create(c->surf);

	if (c->cfg.pics)
		pthread_mutex_lock(&c->cfg.pics->lock);
	for (int k = 0; k <= CAST_UI_TILES_PAGE; k++) {
		bool bar = k == CAST_UI_TILES_PAGE;
		struct cast_ui_rect r;

		if (bar ? !c->status_due : !(c->tiles_due & (1u << k)))
			continue;
		r = bar ? c->lay.status : c->lay.tiles[k];
		if (!bar)
			r = (struct cast_ui_rect){r.x - ring, r.y - ring,
			                          r.w + 2 * ring,
			                          r.h + 2 * ring};
		if (!device_rect(c, &r, &up[n]))
			continue;
		cairo_save(cr);
		cairo_rectangle(cr, up[n].x, up[n].y, up[n].w, up[n].h);
		cairo_clip(cr);
		cairo_scale(cr, c->scale, c->scale);
		cast_ui_fill(cr,
		             &(struct cast_ui_rect){0, 0, c->lay.w, c->lay.h},
		             0, CAST_UI_BG);
		if (bar) {
			char status[1024];

			status_text(c, status, sizeof(status));
			cast_ui_draw_status(c->ui, cr, &c->lay.status, status,
			                    c->lay.unit);
		} else {
			draw_tile(c, cr, k);
			tiles++;
		}
		draw_overlays(c, cr);
		cairo_restore(cr);
		n++;
	}
	if (c->cfg.pics)
		pthread_mutex_unlock(&c->cfg.pics->lock);
	cairo_destroy(cr);
	cairo_surface_flush(c->surf);
	c->status_redraws += c->status_due;
	c->tile_redraws += (uint64_t)tiles;
	c->tiles_due = 0;
	c->status_due = false;
	if (n)
		show(c, up, n, t0, cast_mono_us());
}

static void present(struct console *c)
{
	if (resize(c))
		return;
	/* No tiles show on the drawing surface, the control view or the
	 * floating bar: theirs changing repaints nothing. */
	if (c->bar || c->drawing || c->control[0])
		c->tiles_due = 0;
	/* The bar draws its own state; a rubber band lies across tiles. */
	if ((c->tiles_due || c->status_due) && (c->bar || c->band))
		c->dirty = true;
	if (!c->dirty && c->part && c->drawing && c->board_surf) {
		present_part(c);
		return;
	}
	if (!c->dirty && !c->part) {
		if (c->tiles_due || c->status_due)
			present_tiles(c);
		return;
	}
	c->part = false;
	c->tiles_due = 0;
	c->status_due = false;
	c->full_redraws++;
	int64_t t0 = cast_mono_us();

	draw(c);
	cairo_surface_flush(c->surf);
	show(c, NULL, 0, t0, cast_mono_us());
	c->dirty = false;
	stroke_shown(c);
}

/* ---- life ---- */

bool console_step(struct console *c, int wait_ms)
{
	SDL_Event e;
	int64_t now;
	bool got = SDL_WaitEventTimeout(&e, wait_ms);

	while (got) {
		switch (e.type) {
		case SDL_QUIT:
			return false;
		case SDL_KEYDOWN:
			c->mod = e.key.keysym.mod;
			on_key(c, &e.key);
			break;
		case SDL_KEYUP:
			c->mod = e.key.keysym.mod;
			if (e.key.keysym.sym == SDLK_ESCAPE && c->esc_since) {
				/* A short Esc is the student's. */
				c->esc_since = 0;
				if (c->control[0])
					send_input(c, "key=Escape");
			}
			break;
		case SDL_TEXTINPUT:
			if (c->control[0] && c->entry_for < 0) {
				view_text(c, e.text.text);
				break;
			}
			if (c->entry_for >= 0 &&
			    strlen(c->entry) + strlen(e.text.text) < TEXT_MAX)
				strcat(c->entry, e.text.text);
			c->dirty = true;
			break;
		case SDL_MOUSEBUTTONDOWN:
			on_button(c, &e.button);
			break;
		case SDL_MOUSEMOTION: {
			/* In logical pixels, as everything is laid out. */
			double mx = e.motion.x / c->ui_scale;
			double my = e.motion.y / c->ui_scale;
			int k =
			    c->bar ? -1 : cast_ui_button_at(&c->lay, mx, my);
			int p = -1;

			for (int i = 0; c->drawing && k < 0 && i < P_COUNT; i++)
				if (cast_ui_rect_hit(&c->pal[i], mx, my))
					p = i;
			if (k != c->hover || p != c->pal_hover) {
				c->hover = k;
				c->pal_hover = p;
				c->hover_since = cast_mono_us();
				c->dirty = true;
			}
			c->hover_x = mx;
			c->hover_y = my;
			if (c->pen) {
				if (!c->stroke_pending)
					c->stroke_at = e.motion.timestamp;
				c->stroke_pending = true;
				board_motion(c, mx, my, false);
			}
			if (c->control[0] && !c->drawing)
				view_motion(c, mx, my);
			if (c->band) {
				c->band_x1 = mx;
				c->band_y1 = my;
				c->dirty = true;
			}
			break;
		}
		case SDL_MOUSEBUTTONUP:
			if (c->pen)
				board_motion(c, e.button.x / c->ui_scale,
				             e.button.y / c->ui_scale, true);
			if (c->band)
				band_end(c);
			break;
		case SDL_MOUSEWHEEL:
			c->page -= e.wheel.y > 0 ? 1 : e.wheel.y < 0 ? -1 : 0;
			c->page = c->page < 0           ? 0
			          : c->page >= pages(c) ? pages(c) - 1
			                                : c->page;
			c->dirty = true;
			break;
		case SDL_WINDOWEVENT:
			c->dirty = true;
			break;
		default:
			break;
		}
		got = SDL_PollEvent(&e);
	}
	if (c->req.running && __atomic_load_n(&c->req.done, __ATOMIC_ACQUIRE)) {
		pthread_join(c->req.thread, NULL);
		c->req.running = false;
		if (c->req.err < 0)
			toast(c, true, "%s %s: %s", c->req.what,
			      T(c, CAST_S_FAILED), cast_strerror(c->req.err));
		else
			report(c, c->req.what, c->req.reply);
		request_done(c);
		refresh(c);
	}
	now = cast_mono_us();
	if (now >= c->next_poll) {
		refresh(c);
		c->next_poll = now + POLL_US;
	}
	/* A tooltip shows after the pointer rests 0.6 s on a button. */
	if ((c->hover >= 0 || c->pal_hover >= 0) &&
	    now - c->hover_since >= 600000 &&
	    now - c->hover_since < 600000 + 60000)
		c->dirty = true;
	/* Esc held a second in the control view: the control ends. */
	if (c->esc_since && now - c->esc_since >= 1000000) {
		c->esc_since = 0;
		if (c->control[0])
			do_control(c);
	}
	/* The controlled student's next picture: the view follows it. */
	if (c->control[0] && c->cfg.pics) {
		uint64_t n;

		pthread_mutex_lock(&c->cfg.pics->lock);
		n = c->cfg.pics->big_frames;
		pthread_mutex_unlock(&c->cfg.pics->lock);
		c->dirty |= n != c->view_frames;
	}
	/* The board changed (here, or by `ctl board`): draw it again. */
	if (c->cfg.board) {
		struct cast_board_stats bs;

		cast_board_stats(c->cfg.board, &bs);
		if (bs.version != c->board_version) {
			c->board_version = bs.version;
			c->dirty |= c->drawing;
		}
	}
	if (c->toast[0] && now >= c->toast_until) {
		c->toast[0] = '\0';
		c->dirty = true;
	}
	if (c->dirty || c->part || c->tiles_due || c->status_due)
		present(c);
	exclude_self(c);
	return true;
}

/*
 * Window pixels per logical pixel: the one asked for (`--ui-scale`), else on
 * X11 the desktop's (GDK_SCALE, else Xft.dpi / 96), as GTK and Qt apps take
 * it; 1 elsewhere, where the drawable's own scale (Wayland, macOS) already
 * says it and would otherwise count twice.
 */
static double desktop_scale(double asked)
{
	const char *drv = SDL_GetCurrentVideoDriver();
	char *res;
	double s;

	if (asked > 0)
		return asked;
	if (!drv || strcmp(drv, "x11"))
		return 1;
	res = cast_ui_x11_resources(NULL);
	s = cast_ui_scale_pick(getenv("GDK_SCALE"), res);
	free(res);
	return s;
}

int console_new(struct console **out, const struct console_cfg *cfg)
{
	struct console *c = calloc(1, sizeof(*c));
	const char *env = cfg->lang ? cfg->lang : getenv("LANG");
	int lang = cast_lang_parse(env ? env : "");
	SDL_DisplayMode dm;
	int w = cfg->width, h = cfg->height, err;

	if (!c || !(c->selected = calloc(MAX_STUDENTS, sizeof(*c->selected)))) {
		free(c);
		return CAST_ERROR(ENOMEM);
	}
	c->cfg = *cfg;
	snprintf(c->setup, sizeof(c->setup),
	         "cast-student --channel %d --key-code %s --teacher-code %s",
	         cfg->channel, cfg->key_code, cfg->teacher_code);
	c->menu_of = -1;
	c->entry_for = -1;
	c->focus_tile = -1;
	c->focus_button = -1;
	c->hover = -1;
	c->pal_hover = -1;
	cast_meter_init(&c->meter, 0, 0);
	SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr,
		        "cast-teacher: no display for the console (%s)\n",
		        SDL_GetError());
		free(c->selected);
		free(c);
		return CAST_ERROR(ENODEV);
	}
	c->ui_scale = desktop_scale(cfg->ui_scale);
	c->px_scale = 1;
	c->scale = c->ui_scale;
	/* A size asked for is logical pixels: the UI scale's window. */
	w = (int)lround(w * c->ui_scale);
	h = (int)lround(h * c->ui_scale);
	if ((!w || !h) && !SDL_GetDesktopDisplayMode(0, &dm)) {
		/* Most of the screen, never beyond it. */
		w = dm.w * 9 / 10;
		h = dm.h * 9 / 10;
	}
	w = w ? w : (int)lround(1366 * c->ui_scale);
	h = h ? h : (int)lround(768 * c->ui_scale);
	err =
	    cast_ui_new(&c->ui, lang < 0 ? CAST_LANG_EN : (enum cast_lang)lang);
	c->win = err ? NULL
	             : SDL_CreateWindow(
	                   T(c, CAST_S_TITLE),
	                   cfg->width ? 0 : SDL_WINDOWPOS_CENTERED,
	                   cfg->width ? 0 : SDL_WINDOWPOS_CENTERED, w, h,
	                   SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
	c->ren = c->win ? SDL_CreateRenderer(c->win, -1, 0) : NULL;
	if (!c->ren) {
		fprintf(stderr, "cast-teacher: console window: %s\n",
		        SDL_GetError());
		console_free(&c);
		return CAST_ERROR(ENODEV);
	}
	refresh(c);
	c->next_poll = cast_mono_us() + POLL_US;
	/* Own screen broadcast: out of the way from the start. */
	if (cfg->own_screen)
		set_bar(c, true);
	if (cfg->first_run)
		toast(c, false, "%s: %s", T(c, CAST_S_SETUP), c->setup);
	present(c);
	*out = c;
	return 0;
}

/* A rectangle in window pixels ("x,y,w,h"): where xdotool clicks. */
static void json_rect(struct console *c, struct cast_json *j, const char *key,
                      const struct cast_ui_rect *r)
{
	char buf[96];
	double k = c->ui_scale;

	snprintf(buf, sizeof(buf), "%.0f,%.0f,%.0f,%.0f", r->x * k, r->y * k,
	         r->w * k, r->h * k);
	cast_json_str(j, key, buf);
}

void console_json(struct console *c, struct cast_json *j)
{
	char buf[64];

	cast_json_obj(j, "ui");
	cast_json_str(j, "lang", cast_lang_code(cast_ui_lang(c->ui)));
	cast_json_int(j, "redraws", (int64_t)c->redraws);
	cast_json_int(j, "stroke_redraws", (int64_t)c->part_redraws);
	cast_json_int(j, "full_redraws", (int64_t)c->full_redraws);
	cast_json_int(j, "tile_redraws", (int64_t)c->tile_redraws);
	cast_json_int(j, "status_redraws", (int64_t)c->status_redraws);
	cast_json_hist_ms(j, "draw_ms", &c->draw_us);
	cast_json_hist_ms(j, "present_ms", &c->present_us);
	cast_json_hist_ms(j, "stroke_ms", &c->stroke_us);
	cast_json_int(j, "page", c->page);
	cast_json_int(j, "window_w", c->win_w);
	cast_json_int(j, "window_h", c->win_h);
	cast_json_num(j, "scale", c->px_scale);
	cast_json_num(j, "ui_scale", c->ui_scale);
	cast_json_num(j, "unit", c->lay.unit);
	cast_json_str(j, "menu",
	              c->menu_of >= 0    ? actions[c->menu_of].name
	              : c->menu_of == -2 ? "tile"
	                                 : "");
	cast_json_int(j, "menu_items", c->menu_of != -1 ? c->n_items : 0);
	cast_json_bool(j, "entry", c->entry_for >= 0);
	cast_json_bool(j, "film", c->film_on);
	cast_json_bool(j, "bar", c->bar);
	/* What the setup panel shows (the same the teacher printed). */
	cast_json_str(j, "setup", c->setup);
	cast_json_bool(j, "first_run", c->cfg.first_run);
	cast_json_int(j, "messages", c->messages);
	cast_json_array(j, "hands");
	for (int i = 0; i < c->n_st; i++)
		if (c->st[i].flags & CAST_UI_T_HAND)
			cast_json_str(j, NULL, c->st[i].id);
	cast_json_array_end(j);
	snprintf(buf, sizeof(buf), "%d,%d,%d,%d", c->excl.x, c->excl.y,
	         c->excl.w, c->excl.h);
	cast_json_str(j, "excluded", buf);
	if (c->bar) {
		json_rect(c, j, "bar_console", &c->bar_console);
		json_rect(c, j, "bar_lock", &c->bar_lock);
	}
	if (c->bar && c->cfg.sender && !c->hidden[A_BROADCAST]) {
		json_rect(c, j, "bar_broadcast", &c->bar_bcast);
	}
	if (c->bar && c->cfg.board) {
		json_rect(c, j, "bar_board", &c->bar_board);
	}
	{
		char status[1024];

		status_text(c, status, sizeof(status));
		cast_json_str(j, "status", status);
	}
	cast_json_bool(j, "drawing", c->drawing);
	cast_json_bool(j, "broadcasting", c->broadcasting);
	cast_json_bool(j, "recording", c->recording);
	cast_json_bool(j, "voice_on", c->voice_on);
	cast_json_bool(j, "wall", c->wall_on);
	cast_json_str(j, "demo", c->demo);
	cast_json_str(j, "control", c->control);
	if (c->control[0]) {
		const struct cast_ui_rect *r = &c->view_r;

		json_rect(c, j, "view_rect", r);
		cast_json_int(j, "view_src_w", c->src_w);
		cast_json_int(j, "view_src_h", c->src_h);
		cast_json_int(j, "view_frames", (int64_t)c->view_frames);
	}
	cast_json_int(j, "inputs", (int64_t)c->inputs);
	cast_json_int(j, "inputs_failed", (int64_t)c->inputs_failed);
	if (c->drawing) {
		struct cast_board_style st;
		const struct cast_ui_rect *r = &c->board_r;

		cast_board_style(c->cfg.board, &st);
		cast_json_str(j, "tool", tool_names[st.tool]);
		json_rect(c, j, "board_rect", r);
		cast_json_array(j, "palette");
		for (int p = 0; p < P_COUNT; p++) {
			char name[32];

			r = &c->pal[p];
			if (p < P_COLOR)
				snprintf(name, sizeof(name), "%s",
				         tool_names[p - P_TOOL]);
			else if (p < P_WIDTH)
				snprintf(name, sizeof(name), "color_%06x",
				         pal_colors[p - P_COLOR]);
			else if (p < P_UNDO)
				snprintf(name, sizeof(name), "width_%.0f",
				         pal_widths[p - P_WIDTH]);
			else
				snprintf(name, sizeof(name), "%s",
				         pal_names[p - P_UNDO]);
			cast_json_obj(j, NULL);
			cast_json_str(j, "name", name);
			json_rect(c, j, "rect", r);
			cast_json_end(j);
		}
		cast_json_array_end(j);
	}
	cast_json_str(j, "toast", c->toast);
	/* The tooltip on screen ("" none): toolbar or palette. */
	{
		const char *tip = "";
		bool due = cast_mono_us() - c->hover_since >= 600000 &&
		           c->menu_of == -1 && c->entry_for < 0;

		if (due && c->drawing && c->pal_hover >= 0)
			tip = T(c, pal_tips[c->pal_hover]);
		else if (due && c->hover >= 0 && c->hover < c->n_visible)
			tip = action_label(c, c->visible[c->hover]);
		cast_json_str(j, "tooltip", tip);
	}
	cast_json_array(j, "selected");
	for (int i = 0; i < c->n_sel; i++)
		cast_json_str(j, NULL, c->selected[i]);
	cast_json_array_end(j);
	/* Where each part is (window pixels), for scripts that click. */
	json_rect(c, j, "toolbar", &c->lay.toolbar);
	json_rect(c, j, "grid", &c->lay.grid);
	json_rect(c, j, "side", &c->lay.side);
	json_rect(c, j, "status_bar", &c->lay.status);
	cast_json_array(j, "buttons");
	for (int i = 0; i < c->n_visible && i < c->lay.n_buttons; i++) {
		const struct cast_ui_rect *r = &c->lay.buttons[i];

		cast_json_obj(j, NULL);
		cast_json_str(j, "action", actions[c->visible[i]].name);
		json_rect(c, j, "rect", r);
		cast_json_end(j);
	}
	cast_json_array_end(j);
	cast_json_array(j, "tiles");
	for (int k = 0; k < CAST_UI_TILES_PAGE; k++) {
		int i = tile_index(c, k);
		const struct cast_ui_rect *r = &c->lay.tiles[k];

		if (i < 0)
			break;
		cast_json_obj(j, NULL);
		cast_json_str(j, "id", c->st[i].id);
		json_rect(c, j, "rect", r);
		cast_json_bool(j, "locked", c->st[i].flags & CAST_UI_T_LOCKED);
		cast_json_bool(j, "selected", is_selected(c, c->st[i].id));
		cast_json_int(j, "frames", (int64_t)c->st[i].frames);
		cast_json_bool(j, "demo", c->st[i].flags & CAST_UI_T_DEMO);
		cast_json_end(j);
	}
	cast_json_array_end(j);
	if (c->menu_of == A_MENU) {
		/* The custom menu's items, in order: the features' names. */
		cast_json_array(j, "menu_features");
		for (int i = 0; i < c->n_items; i++)
			cast_json_str(j, NULL,
			              c->items[i] == I_FEATURE_LANG
			                  ? "language"
			                  : actions[c->items[i] - I_FEATURE]
			                        .feature);
		cast_json_array_end(j);
	}
	if (c->menu_of != -1) {
		struct cast_ui_rect m = c->menu.box;

		/* Its height: one item's. */
		m.h = c->menu.item_h;
		json_rect(c, j, "menu_rect", &m);
	}
	cast_json_end(j);
}

void console_free(struct console **pc)
{
	struct console *c = pc ? *pc : NULL;

	if (!c)
		return;
	if (c->req.running) {
		pthread_join(c->req.thread, NULL);
		request_done(c);
	}
	if (c->surf)
		cairo_surface_destroy(c->surf);
	if (c->board_surf)
		cairo_surface_destroy(c->board_surf);
	if (c->tex)
		SDL_DestroyTexture(c->tex);
	if (c->ren)
		SDL_DestroyRenderer(c->ren);
	if (c->win)
		SDL_DestroyWindow(c->win);
	cast_ui_free(&c->ui);
	SDL_Quit();
	free(c->selected);
	free(c);
	*pc = NULL;
}
