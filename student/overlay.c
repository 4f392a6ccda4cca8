/* Student screen overlays drawn over the broadcast picture: see overlay.h. */
#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>

#include <cast/error.h>
#include <cast/log.h>
#include <cast/ui.h>

#include "overlay.h"
#include "text.h"

#define DOMAIN "libcast"
#define MAX_MESSAGES 32
#define FRAME_MS 33
/* Marks a string for xgettext without translating it here. */
#define N_(s) (s)

#ifndef CAST_LOCALEDIR_INSTALL
#define CAST_LOCALEDIR_INSTALL "/usr/share/locale"
#endif

enum effect {
	PLAIN,
	SHADOW,
	SHADOW_TILTED, /* shadowed, then turned 30 degrees anticlockwise */
};

/* A rasterised text, kept until its text or look changes. */
struct text {
	char *str;
	int px, wrap, align;
	enum effect effect;
	SDL_Color fg;
	Uint8 alpha; /* opacity baked into the pixels */
	unsigned font_gen;
	SDL_Texture *tex; /* NULL with str set: rasterising failed */
	int w, h;
	int w0, h0;      /* before turning (SHADOW_TILTED) */
	SDL_Rect *spans; /* SHADOW_TILTED: strips trimmed to the ink */
	int nspans;
};

struct message {
	char *title, *text;
};

/* What the setters write, under `lock`; each part has a generation. */
struct shared {
	char *wm; /* the watermark's lines; NULL: none */
	int wm_opacity, wm_size;
	enum overlay_wm_place wm_place;
	unsigned wm_gen;

	char *marquee;
	double marquee_s;
	unsigned marquee_gen;

	struct message msgs[MAX_MESSAGES];
	int nmsgs;
	unsigned msg_gen;

	bool locked;
	char *notice;
	unsigned lock_gen;

	bool hand;
	bool idle; /* the teacher's broadcast is stopped */

	char lang[32];
	unsigned lang_gen;

	unsigned gen; /* sum of all changes: for needs_redraw */
};

/* The main thread's copy of `shared`, and what it drew last. */
struct drawn {
	char *wm;
	int wm_opacity, wm_size;
	enum overlay_wm_place wm_place;
	unsigned wm_gen;

	char *marquee;
	double marquee_s;
	uint64_t marquee_start; /* ms; 0: not shown yet */
	bool marquee_done;
	unsigned marquee_gen;

	char *title, *body;
	int nmsgs;
	bool msg_shown;   /* a box is on screen: input may dismiss it */
	SDL_Rect box, ok; /* in renderer output pixels */
	unsigned msg_gen;

	bool locked;
	char *notice;
	unsigned lock_gen;

	bool hand;
	bool idle;

	char lang[32];
	unsigned lang_gen;
	const char *s_hand, *s_locked, *s_ok, *s_message, *s_idle;

	unsigned gen;
	uint64_t last_ms;
	int w, h;
};

struct overlay {
	SDL_Renderer *ren;
	struct cast_ui *ui;	/* text through the widget layer (pango) */
	int font_px, font_align;
	unsigned font_gen;

	pthread_mutex_t lock;
	struct shared s;
	struct drawn d;

	struct text t_wm, t_marquee, t_hand, t_title, t_body, t_ok, t_notice,
	    t_idle;
	_Atomic uint64_t frames, text_renders;
};

static const SDL_Color WHITE = {255, 255, 255, 255};
static const SDL_Color BLACK = {0, 0, 0, 255};
static const SDL_Color DARK = {24, 24, 28, 255};
static const SDL_Color YELLOW = {255, 214, 64, 255};

static const char *tr(const char *msgid)
{
	return dgettext(DOMAIN, msgid);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Replaces *dst by a copy of src (NULL for NULL); false if out of memory. */
static bool copy_str(char **dst, const char *src)
{
	char *c = NULL;

	if (src && !(c = strdup(src)))
		return false;
	free(*dst);
	*dst = c;
	return true;
}

void overlay_watermark_init(struct overlay_watermark *w)
{
	memset(w, 0, sizeof(*w));
	w->fields = OVERLAY_WM_ID | OVERLAY_WM_NAME | OVERLAY_WM_IP;
	w->opacity = 30;
	w->place = OVERLAY_WM_BOTTOM_RIGHT;
}

int overlay_wm_place_parse(const char *name, enum overlay_wm_place *out)
{
	static const struct {
		const char *name;
		enum overlay_wm_place place;
	} names[] = {
	    {"bottom-right", OVERLAY_WM_BOTTOM_RIGHT},
	    {"bottom-left", OVERLAY_WM_BOTTOM_LEFT},
	    {"top-right", OVERLAY_WM_TOP_RIGHT},
	    {"top-left", OVERLAY_WM_TOP_LEFT},
	    {"center", OVERLAY_WM_CENTER},
	    {"centre", OVERLAY_WM_CENTER},
	    {"tiled", OVERLAY_WM_TILED},
	};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*out = names[i].place;
			return 0;
		}
	return CAST_ERROR(EINVAL);
}

/* --- fonts ------------------------------------------------------------- */

/* Chooses the fonts for the language (Noto CJK's regional variant first),
 * if they are not the ones in use. */
static int font_load(struct overlay *o, bool traditional)
{
	enum cast_lang l = traditional ? CAST_LANG_ZH_TW : CAST_LANG_ZH_CN;

	if (cast_ui_lang(o->ui) != l) {
		cast_ui_set_lang(o->ui, l);
		o->font_gen++;
	}
	return 0;
}

/* --- text rasterising -------------------------------------------------- */

static SDL_Surface *render_lines(struct overlay *o, const char *str,
                                 SDL_Color fg, int wrap)
{
	return text_surface(o->ui, str, o->font_px, fg, wrap,
	                    (enum cast_ui_align)o->font_align);
}

/* The text in `fg` over its own black shadow, `off` pixels down-right. */
static SDL_Surface *render_shadowed(struct overlay *o, const char *str,
                                    SDL_Color fg, int wrap, int off)
{
	SDL_Surface *front, *back, *out = NULL;
	SDL_Rect at = {off, off, 0, 0};

	front = render_lines(o, str, fg, wrap);
	back = render_lines(o, str, BLACK, wrap);
	if (!front || !back)
		goto out;
	out = SDL_CreateRGBSurfaceWithFormat(0, front->w + off, front->h + off,
	                                     32, SDL_PIXELFORMAT_ARGB8888);
	if (!out)
		goto out;
	SDL_FillRect(out, NULL, 0);
	SDL_SetSurfaceBlendMode(back, SDL_BLENDMODE_BLEND);
	SDL_SetSurfaceBlendMode(front, SDL_BLENDMODE_BLEND);
	if (SDL_BlitSurface(back, NULL, out, &at) ||
	    SDL_BlitSurface(front, NULL, out, NULL)) {
		SDL_FreeSurface(out);
		out = NULL;
	}
out:
	SDL_FreeSurface(front);
	SDL_FreeSurface(back);
	return out;
}

/*
 * Turns an ARGB8888 surface `deg` degrees anticlockwise on a canvas that
 * holds all of it. Done once per text in software, so that the tiled
 * watermark is plain copies of one texture: a rotated copy per tile per
 * frame costs too much on the software renderer lab PCs without a GPU use.
 */
static SDL_Surface *rotate(SDL_Surface *src, double deg)
{
	double a = deg * M_PI / 180, c = cos(a), s = sin(a);
	int sw = src->w, sh = src->h;
	int dw = (int)ceil(fabs(sw * c) + fabs(sh * s));
	int dh = (int)ceil(fabs(sw * s) + fabs(sh * c));
	double scx = sw / 2.0, scy = sh / 2.0, dcx = dw / 2.0, dcy = dh / 2.0;
	SDL_Surface *dst;

	dst = SDL_CreateRGBSurfaceWithFormat(0, dw, dh, 32,
	                                     SDL_PIXELFORMAT_ARGB8888);
	if (!dst)
		return NULL;
	for (int y = 0; y < dh; y++) {
		Uint32 *row = (Uint32 *)((Uint8 *)dst->pixels +
		                         (size_t)y * (size_t)dst->pitch);

		for (int x = 0; x < dw; x++) {
			double dx = x + 0.5 - dcx, dy = y + 0.5 - dcy;
			/* Inverse of the turn, sampling pixel centres. */
			double fx = dx * c - dy * s + scx - 0.5;
			double fy = dx * s + dy * c + scy - 0.5;
			int x0 = (int)floor(fx), y0 = (int)floor(fy);
			double wx = fx - x0, wy = fy - y0, acc[4] = {0};

			/* Bilinear, premultiplied so edges don't darken. */
			for (int k = 0; k < 4; k++) {
				int px = x0 + (k & 1), py = y0 + (k >> 1);
				double wt = ((k & 1) ? wx : 1 - wx) *
				            ((k >> 1) ? wy : 1 - wy);
				Uint32 p;
				double al;

				if (px < 0 || py < 0 || px >= sw || py >= sh)
					continue;
				p = ((const Uint32
				          *)((const Uint8 *)src->pixels +
				             (size_t)py *
				                 (size_t)src->pitch))[px];
				al = (p >> 24) * wt;
				acc[0] += al;
				acc[1] += ((p >> 16) & 255) * al;
				acc[2] += ((p >> 8) & 255) * al;
				acc[3] += (p & 255) * al;
			}
			if (acc[0] < 0.5) {
				row[x] = 0;
				continue;
			}
			row[x] = (Uint32)lround(acc[0]) << 24 |
			         (Uint32)lround(acc[1] / acc[0]) << 16 |
			         (Uint32)lround(acc[2] / acc[0]) << 8 |
			         (Uint32)lround(acc[3] / acc[0]);
		}
	}
	return dst;
}

/*
 * Multiplies the alpha of an ARGB8888 surface by alpha / 255. Baked in
 * rather than set with SDL_SetTextureAlphaMod: without a modulation the
 * software renderer blends through its fast per-pixel-alpha blitter, which
 * skips transparent pixels (most of a text's box).
 */
static void fade(SDL_Surface *s, Uint8 alpha)
{
	for (int y = 0; alpha < 255 && y < s->h; y++) {
		Uint32 *row = (Uint32 *)((Uint8 *)s->pixels +
		                         (size_t)y * (size_t)s->pitch);

		for (int x = 0; x < s->w; x++) {
			Uint32 a = (row[x] >> 24) * alpha;

			row[x] = (row[x] & 0xffffff) | ((a + 127) / 255) << 24;
		}
	}
}

/*
 * Cuts a slanted text's box into strips of 8 rows, each trimmed to the
 * columns that have ink: the tiled watermark then blends about half the
 * pixels its boxes cover. False if out of memory.
 */
static bool find_spans(struct text *t, const SDL_Surface *s)
{
	int n = (s->h + 7) / 8;

	free(t->spans);
	t->nspans = 0;
	t->spans = malloc((size_t)n * sizeof(*t->spans));
	if (!t->spans)
		return false;
	for (int y0 = 0; y0 < s->h; y0 += 8) {
		int x0 = s->w, x1 = -1, y1 = y0 + 8 < s->h ? y0 + 8 : s->h;

		for (int y = y0; y < y1; y++) {
			const Uint32 *row =
			    (const Uint32 *)((const Uint8 *)s->pixels +
			                     (size_t)y * (size_t)s->pitch);

			for (int x = 0; x < s->w; x++)
				if (row[x] >> 24) {
					x0 = x < x0 ? x : x0;
					x1 = x > x1 ? x : x1;
				}
		}
		if (x1 >= x0)
			t->spans[t->nspans++] =
			    (SDL_Rect){x0, y0, x1 - x0 + 1, y1 - y0};
	}
	return true;
}

/*
 * The texture for `str` in this look: the cached one unless something
 * changed. NULL for an empty string or when rasterising failed (logged once
 * per text, not retried until the text changes).
 */
static SDL_Texture *text_get(struct overlay *o, struct text *t, const char *str,
                             int px, int wrap, int align, enum effect effect,
                             SDL_Color fg, Uint8 alpha)
{
	SDL_Surface *s = NULL, *r;

	if (!str || !*str || !o->ui)
		return NULL;
	if (t->str && !strcmp(t->str, str) && t->px == px && t->wrap == wrap &&
	    t->align == align && t->effect == effect && t->fg.r == fg.r &&
	    t->fg.g == fg.g && t->fg.b == fg.b && t->alpha == alpha &&
	    t->font_gen == o->font_gen)
		return t->tex;
	if (t->tex)
		SDL_DestroyTexture(t->tex);
	t->tex = NULL;
	if (!copy_str(&t->str, str))
		return NULL;
	t->px = px;
	t->wrap = wrap;
	t->align = align;
	t->effect = effect;
	t->fg = fg;
	t->alpha = alpha;
	t->font_gen = o->font_gen;
	atomic_fetch_add(&o->text_renders, 1);

	o->font_px = px;
	o->font_align = align;
	if (effect == PLAIN) {
		s = render_lines(o, str, fg, wrap);
	} else {
		s = render_shadowed(o, str, fg, wrap, px >= 24 ? 2 : 1);
		if (s) {
			t->w0 = s->w;
			t->h0 = s->h;
		}
		if (s && effect == SHADOW_TILTED) {
			r = rotate(s, 30);
			SDL_FreeSurface(s);
			s = r;
		}
	}
	if (s && effect == SHADOW_TILTED && !find_spans(t, s)) {
		SDL_FreeSurface(s);
		s = NULL;
	}
	if (s) {
		fade(s, alpha);
		t->tex = SDL_CreateTextureFromSurface(o->ren, s);
		t->w = s->w;
		t->h = s->h;
		SDL_FreeSurface(s);
	}
	if (!t->tex) {
		cast_log(CAST_LOG_WARN, "overlay", "cannot render text: %s",
		         effect == PLAIN ? "out of memory" : SDL_GetError());
		return NULL;
	}
	SDL_SetTextureBlendMode(t->tex, SDL_BLENDMODE_BLEND);
	return t->tex;
}

static void text_free(struct text *t)
{
	if (t->tex)
		SDL_DestroyTexture(t->tex);
	free(t->str);
	free(t->spans);
	memset(t, 0, sizeof(*t));
}

/* --- language ---------------------------------------------------------- */

static const char *locale_dir(void)
{
	const char *env = getenv("CAST_LOCALEDIR");

	if (env && *env)
		return env;
#ifdef CAST_LOCALEDIR_BUILD
	if (!access(CAST_LOCALEDIR_BUILD "/zh_CN/LC_MESSAGES/" DOMAIN ".mo",
	            R_OK))
		return CAST_LOCALEDIR_BUILD;
#endif
	return CAST_LOCALEDIR_INSTALL;
}

static bool traditional(const char *lang)
{
	return !strncmp(lang, "zh_TW", 5) || !strncmp(lang, "zh_HK", 5);
}

/*
 * Points gettext at `lang` ("" keeps the environment's choice) and fetches
 * the built-in strings. gettext reads $LANGUAGE on each lookup but ignores
 * it in the "C" locale, so LC_MESSAGES moves to C.UTF-8 then. setenv is not
 * thread-safe: this runs on the main thread, and the libcast threads of a
 * student (receiver, control) do not read the environment.
 */
static void language_apply(struct overlay *o, const char *lang)
{
	const char *cur;

	if (*lang) {
		cur = setlocale(LC_MESSAGES, NULL);
		if ((!cur || !strcmp(cur, "C") || !strcmp(cur, "POSIX")) &&
		    !setlocale(LC_MESSAGES, "C.UTF-8"))
			cast_log(CAST_LOG_WARN, "overlay",
			         "no C.UTF-8 locale: built-in strings stay "
			         "in English");
		setenv("LANGUAGE", lang, 1);
		/*
		 * gettext caches translations by locale name, which
		 * $LANGUAGE is not part of: setting the text domain again is
		 * what glibc takes as "the environment changed, drop the
		 * cache" (textdomain.c).
		 */
		textdomain(textdomain(NULL));
		if (font_load(o, traditional(lang)))
			cast_log(CAST_LOG_WARN, "overlay",
			         "keeping the current font for %s", lang);
	}
	o->d.s_hand = tr(N_("Hand raised"));
	o->d.s_locked = tr(N_("Screen locked by the teacher"));
	o->d.s_ok = tr(N_("OK"));
	o->d.s_message = tr(N_("Message from the teacher"));
	o->d.s_idle = tr(N_("No broadcast: the teacher has stopped it"));
}

int overlay_set_language(struct overlay *o, const char *lang)
{
	char norm[sizeof(o->s.lang)];
	size_t n = lang ? strlen(lang) : 0;

	if (!n || n >= sizeof(norm))
		return CAST_ERROR(EINVAL);
	for (size_t i = 0; i <= n; i++) {
		char c = lang[i];

		if (c == '-')
			c = '_';
		if (c && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		           c == '@'))
			return CAST_ERROR(EINVAL);
		norm[i] = c;
	}
	/* "zh_cn" and "ZH_CN" name the zh_CN catalog too. */
	for (int i = 0; n >= 5 && norm[2] == '_' && i < 5; i++) {
		if (i < 2 && norm[i] >= 'A' && norm[i] <= 'Z')
			norm[i] = (char)(norm[i] - 'A' + 'a');
		else if (i > 2 && norm[i] >= 'a' && norm[i] <= 'z')
			norm[i] = (char)(norm[i] - 'a' + 'A');
	}
	pthread_mutex_lock(&o->lock);
	if (strcmp(o->s.lang, norm)) {
		memcpy(o->s.lang, norm, n + 1);
		o->s.lang_gen++;
		o->s.gen++;
	}
	pthread_mutex_unlock(&o->lock);
	return 0;
}

/* --- life cycle -------------------------------------------------------- */

int overlay_new(struct overlay **out, SDL_Renderer *ren)
{
	struct overlay *o;
	int err;

	if (!ren)
		return CAST_ERROR(EINVAL);
	o = calloc(1, sizeof(*o));
	if (!o)
		return CAST_ERROR(ENOMEM);
	o->ren = ren;
	pthread_mutex_init(&o->lock, NULL);
	o->s.wm_opacity = o->d.wm_opacity = 30;
	err = cast_ui_new(&o->ui, CAST_LANG_ZH_CN);
	if (err) {
		overlay_free(&o);
		return err;
	}
	if (!bindtextdomain(DOMAIN, locale_dir()) ||
	    !bind_textdomain_codeset(DOMAIN, "UTF-8"))
		cast_log(CAST_LOG_WARN, "overlay", "gettext: %s",
		         strerror(errno));
	language_apply(o, "");
	*out = o;
	return 0;
}

static void message_clear(struct message *m)
{
	free(m->title);
	free(m->text);
	m->title = m->text = NULL;
}

void overlay_free(struct overlay **op)
{
	struct overlay *o = op ? *op : NULL;

	if (!o)
		return;
	text_free(&o->t_wm);
	text_free(&o->t_marquee);
	text_free(&o->t_hand);
	text_free(&o->t_title);
	text_free(&o->t_body);
	text_free(&o->t_ok);
	text_free(&o->t_notice);
	text_free(&o->t_idle);
	cast_ui_free(&o->ui);
	free(o->s.wm);
	free(o->s.marquee);
	free(o->s.notice);
	for (int i = 0; i < o->s.nmsgs; i++)
		message_clear(&o->s.msgs[i]);
	free(o->d.wm);
	free(o->d.marquee);
	free(o->d.notice);
	free(o->d.title);
	free(o->d.body);
	pthread_mutex_destroy(&o->lock);
	free(o);
	*op = NULL;
}

/* --- setters (any thread) ---------------------------------------------- */

/* Appends `a` and `b` (either may be empty) as one line, two spaces apart. */
static void line_add(char *buf, size_t size, const char *a, const char *b)
{
	size_t len = strlen(buf);

	if (!a || !*a)
		a = NULL;
	if (!b || !*b)
		b = NULL;
	if (!a && !b)
		return;
	snprintf(buf + len, size - len, "%s%s%s%s", len ? "\n" : "", a ? a : "",
	         a && b ? "  " : "", b ? b : "");
}

int overlay_set_watermark(struct overlay *o, const struct overlay_watermark *w)
{
	char buf[1024] = "";
	char *lines = NULL;

	if (w) {
		unsigned f = w->fields;

		line_add(buf, sizeof(buf), f & OVERLAY_WM_ID ? w->id : NULL,
		         f & OVERLAY_WM_NAME ? w->name : NULL);
		line_add(buf, sizeof(buf),
		         f & OVERLAY_WM_CLASS ? w->class_name : NULL,
		         f & OVERLAY_WM_IP ? w->ip : NULL);
		line_add(buf, sizeof(buf), f & OVERLAY_WM_TEXT ? w->text : NULL,
		         NULL);
		if (*buf && w->opacity > 0 && !(lines = strdup(buf)))
			return CAST_ERROR(ENOMEM);
	}
	pthread_mutex_lock(&o->lock);
	free(o->s.wm);
	o->s.wm = lines;
	if (w) {
		o->s.wm_opacity = w->opacity < 0     ? 0
		                  : w->opacity > 100 ? 100
		                                     : w->opacity;
		o->s.wm_size = w->size < 0 ? 0 : w->size > 512 ? 512 : w->size;
		o->s.wm_place = w->place <= OVERLAY_WM_TILED
		                    ? w->place
		                    : OVERLAY_WM_BOTTOM_RIGHT;
	}
	o->s.wm_gen++;
	o->s.gen++;
	pthread_mutex_unlock(&o->lock);
	return 0;
}

int overlay_set_marquee(struct overlay *o, const char *text, double seconds)
{
	char *t = dup_or_null(text);

	if (text && *text && !t)
		return CAST_ERROR(ENOMEM);
	/* One line: the notice scrolls, it doesn't stack. */
	for (char *p = t; p && *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	pthread_mutex_lock(&o->lock);
	free(o->s.marquee);
	o->s.marquee = t;
	o->s.marquee_s = seconds;
	o->s.marquee_gen++;
	o->s.gen++;
	pthread_mutex_unlock(&o->lock);
	return 0;
}

int overlay_show_message(struct overlay *o, const char *title, const char *text)
{
	struct message m = {dup_or_null(title), dup_or_null(text)};
	int ret = 0;

	if ((title && *title && !m.title) || (text && *text && !m.text)) {
		message_clear(&m);
		return CAST_ERROR(ENOMEM);
	}
	pthread_mutex_lock(&o->lock);
	if (o->s.nmsgs == MAX_MESSAGES) {
		ret = CAST_ERROR(ENOSPC);
	} else {
		o->s.msgs[o->s.nmsgs++] = m;
		o->s.msg_gen++;
		o->s.gen++;
	}
	pthread_mutex_unlock(&o->lock);
	if (ret) {
		cast_log(CAST_LOG_WARN, "overlay",
		         "%d messages waiting: dropped a new one",
		         MAX_MESSAGES);
		message_clear(&m);
	}
	return ret;
}

int overlay_messages(struct overlay *o)
{
	int n;

	pthread_mutex_lock(&o->lock);
	n = o->s.nmsgs;
	pthread_mutex_unlock(&o->lock);
	return n;
}

int overlay_set_lock(struct overlay *o, bool locked, const char *notice)
{
	char *n = dup_or_null(notice);

	if (notice && *notice && !n)
		return CAST_ERROR(ENOMEM);
	pthread_mutex_lock(&o->lock);
	free(o->s.notice);
	o->s.notice = n;
	o->s.locked = locked;
	o->s.lock_gen++;
	o->s.gen++;
	pthread_mutex_unlock(&o->lock);
	return 0;
}

bool overlay_locked(struct overlay *o)
{
	bool l;

	pthread_mutex_lock(&o->lock);
	l = o->s.locked;
	pthread_mutex_unlock(&o->lock);
	return l;
}

void overlay_set_hand(struct overlay *o, bool raised)
{
	pthread_mutex_lock(&o->lock);
	if (o->s.hand != raised) {
		o->s.hand = raised;
		o->s.gen++;
	}
	pthread_mutex_unlock(&o->lock);
}

void overlay_set_idle(struct overlay *o, bool idle)
{
	pthread_mutex_lock(&o->lock);
	if (o->s.idle != idle) {
		o->s.idle = idle;
		o->s.gen++;
	}
	pthread_mutex_unlock(&o->lock);
}

void overlay_stats(struct overlay *o, struct overlay_stats *st)
{
	st->frames = atomic_load(&o->frames);
	st->text_renders = atomic_load(&o->text_renders);
}

/* --- drawing (main thread) --------------------------------------------- */

/*
 * Copies what changed from the setters into the main thread's state,
 * holding the lock only for the copies: rasterising happens outside it.
 * Strings that fail to copy keep their old value until the next change.
 */
static void snapshot(struct overlay *o)
{
	struct shared *s = &o->s;
	struct drawn *d = &o->d;
	char lang[sizeof(s->lang)] = "";
	bool new_lang = false;

	pthread_mutex_lock(&o->lock);
	if (d->wm_gen != s->wm_gen && copy_str(&d->wm, s->wm)) {
		d->wm_opacity = s->wm_opacity;
		d->wm_size = s->wm_size;
		d->wm_place = s->wm_place;
		d->wm_gen = s->wm_gen;
	}
	if (d->marquee_gen != s->marquee_gen &&
	    copy_str(&d->marquee, s->marquee)) {
		d->marquee_s = s->marquee_s;
		d->marquee_start = 0;
		d->marquee_done = false;
		d->marquee_gen = s->marquee_gen;
	}
	if (d->msg_gen != s->msg_gen) {
		const struct message *m = s->nmsgs ? &s->msgs[0] : NULL;

		if (copy_str(&d->title, m ? m->title : NULL) &&
		    copy_str(&d->body, m ? m->text : NULL)) {
			d->nmsgs = s->nmsgs;
			d->msg_gen = s->msg_gen;
		}
	}
	if (d->lock_gen != s->lock_gen && copy_str(&d->notice, s->notice)) {
		d->locked = s->locked;
		d->lock_gen = s->lock_gen;
	}
	d->hand = s->hand;
	d->idle = s->idle;
	if (d->lang_gen != s->lang_gen) {
		memcpy(lang, s->lang, sizeof(lang));
		d->lang_gen = s->lang_gen;
		new_lang = true;
	}
	d->gen = s->gen;
	pthread_mutex_unlock(&o->lock);
	if (new_lang && strcmp(lang, d->lang)) {
		memcpy(d->lang, lang, sizeof(lang));
		language_apply(o, lang);
	}
}

static void fill(SDL_Renderer *ren, const SDL_Rect *r, Uint8 red, Uint8 g,
                 Uint8 b, Uint8 a)
{
	SDL_SetRenderDrawColor(ren, red, g, b, a);
	SDL_RenderFillRect(ren, r);
}

static void copy_at(SDL_Renderer *ren, SDL_Texture *t, const struct text *tt,
                    int x, int y)
{
	SDL_Rect r = {x, y, tt->w, tt->h};

	SDL_RenderCopy(ren, t, NULL, &r);
}

/*
 * Copies of the slanted watermark on a lattice along the slant: in each row
 * the texts follow one another a text's length plus a gap apart, rows are a
 * text's height plus a gap apart and every other row shifts by half a step.
 * A brick pattern: any part of the screen larger than one text shows one
 * whole, and none touch.
 */
static void draw_tiled(struct overlay *o, SDL_Texture *tex,
                       const struct text *t, int w, int h, int px)
{
	const double c = cos(M_PI / 6), s = 0.5;
	double along = t->w0 + 5.0 * px, across = t->h0 + 3.0 * px;
	double cx = w / 2.0, cy = h / 2.0;
	/* Every screen point is within these many steps of the centre. */
	int ni = (int)ceil((c * cx + s * cy) / along) + 1;
	int nj = (int)ceil((s * cx + c * cy) / across) + 1;

	for (int j = -nj; j <= nj; j++)
		for (int i = -ni; i <= ni; i++) {
			double step = i + ((j & 1) ? 0.5 : 0);
			int x =
			    (int)lround(cx + step * c * along + j * s * across);
			int y =
			    (int)lround(cy - step * s * along + j * c * across);

			x -= t->w / 2;
			y -= t->h / 2;
			if (x + t->w <= 0 || y + t->h <= 0 || x >= w || y >= h)
				continue;
			for (int k = 0; k < t->nspans; k++) {
				const SDL_Rect *sp = &t->spans[k];
				SDL_Rect to = {x + sp->x, y + sp->y, sp->w,
				               sp->h};

				SDL_RenderCopy(o->ren, tex, sp, &to);
			}
		}
}

static void draw_watermark(struct overlay *o, int w, int h)
{
	struct drawn *d = &o->d;
	struct text *t = &o->t_wm;
	bool tiled = d->wm_place == OVERLAY_WM_TILED;
	int px = d->wm_size, m;
	SDL_Texture *tex;

	if (!d->wm || d->wm_opacity <= 0)
		return;
	if (!px)
		px = d->wm_place == OVERLAY_WM_CENTER ? h / 16 : h / 36;
	if (px < 10)
		px = 10;
	tex = text_get(o, t, d->wm, px, 0,
	               d->wm_place == OVERLAY_WM_BOTTOM_RIGHT ||
	                       d->wm_place == OVERLAY_WM_TOP_RIGHT
	                   ? CAST_UI_RIGHT
	               : d->wm_place == OVERLAY_WM_CENTER ||
	                       d->wm_place == OVERLAY_WM_TILED
	                   ? CAST_UI_CENTER
	                   : CAST_UI_LEFT_ALIGN,
	               tiled ? SHADOW_TILTED : SHADOW, WHITE,
	               (Uint8)((d->wm_opacity * 255 + 50) / 100));
	if (!tex)
		return;
	m = px;
	switch (d->wm_place) {
	case OVERLAY_WM_BOTTOM_RIGHT:
		copy_at(o->ren, tex, t, w - t->w - m, h - t->h - m);
		break;
	case OVERLAY_WM_BOTTOM_LEFT:
		copy_at(o->ren, tex, t, m, h - t->h - m);
		break;
	case OVERLAY_WM_TOP_RIGHT:
		copy_at(o->ren, tex, t, w - t->w - m, m);
		break;
	case OVERLAY_WM_TOP_LEFT:
		copy_at(o->ren, tex, t, m, m);
		break;
	case OVERLAY_WM_CENTER:
		copy_at(o->ren, tex, t, (w - t->w) / 2, (h - t->h) / 2);
		break;
	case OVERLAY_WM_TILED:
		draw_tiled(o, tex, t, w, h, px);
		break;
	}
}

/* The marquee band's height (0: no marquee on screen). */
static int draw_marquee(struct overlay *o, int w, int h, uint64_t now)
{
	struct drawn *d = &o->d;
	struct text *t = &o->t_marquee;
	int px = h / 28 < 14 ? 14 : h / 28, band;
	double speed, travel;
	SDL_Texture *tex;
	SDL_Rect r;

	if (!d->marquee || d->marquee_done)
		return 0;
	if (!d->marquee_start)
		d->marquee_start = now;
	if (d->marquee_s > 0 &&
	    (double)(now - d->marquee_start) >= d->marquee_s * 1000) {
		d->marquee_done = true;
		return 0;
	}
	tex = text_get(o, t, d->marquee, px, 0, CAST_UI_LEFT_ALIGN, PLAIN,
	               YELLOW, 255);
	if (!tex)
		return 0;
	band = t->h + px / 2;
	r = (SDL_Rect){0, 0, w, band};
	fill(o->ren, &r, 0, 0, 0, 150);
	/*
	 * A reading pace that scales with the screen: 150 pixels a second
	 * at 1080p, 13 s to cross it; then the notice comes round again.
	 */
	speed = h / 7.2 < 40 ? 40 : h / 7.2;
	travel = fmod((double)(now - d->marquee_start) / 1000 * speed,
	              (double)(w + t->w));
	copy_at(o->ren, tex, t, w - (int)travel, (band - t->h) / 2);
	return band;
}

static void draw_hand(struct overlay *o, int w, int h, int top)
{
	struct text *t = &o->t_hand;
	int px = h / 40 < 12 ? 12 : h / 40, pad = px / 2;
	SDL_Texture *tex;
	SDL_Rect r;

	if (!o->d.hand)
		return;
	tex = text_get(o, t, o->d.s_hand, px, 0, CAST_UI_LEFT_ALIGN, PLAIN,
	               WHITE, 255);
	if (!tex)
		return;
	r = (SDL_Rect){w - t->w - 2 * pad - px, top + px, t->w + 2 * pad,
	               t->h + pad};
	fill(o->ren, &r, 230, 120, 0, 235);
	copy_at(o->ren, tex, t, r.x + pad, r.y + pad / 2);
}

static void draw_message(struct overlay *o, int w, int h)
{
	struct drawn *d = &o->d;
	int px = h / 40 < 14 ? 14 : h / 40, pad = px, bw, bh, x, y, bodyh;
	char title[512];
	SDL_Texture *tt, *tb, *tk;
	SDL_Rect r, src;

	d->msg_shown = false;
	if (!d->nmsgs)
		return;
	bw = w * 2 / 5 > px * 22 ? w * 2 / 5 : px * 22;
	if (bw > w - 2 * px)
		bw = w - 2 * px;
	if (d->nmsgs > 1)
		snprintf(title, sizeof(title), "%s  (1/%d)",
		         d->title ? d->title : d->s_message, d->nmsgs);
	else
		snprintf(title, sizeof(title), "%s",
		         d->title ? d->title : d->s_message);
	tt = text_get(o, &o->t_title, title, px * 11 / 10, bw - 2 * pad,
	              CAST_UI_LEFT_ALIGN, PLAIN, WHITE, 255);
	tb = text_get(o, &o->t_body, d->body, px, bw - 2 * pad,
	              CAST_UI_LEFT_ALIGN, PLAIN, DARK, 255);
	tk = text_get(o, &o->t_ok, d->s_ok, px, 0, CAST_UI_CENTER,
	              PLAIN, WHITE, 255);
	if (!tt || !tk)
		return;
	/* A long text is cut at 60% of the screen rather than overflow. */
	bodyh = tb ? o->t_body.h : 0;
	if (bodyh > h * 3 / 5)
		bodyh = h * 3 / 5;
	bh = o->t_title.h + pad + pad + bodyh + pad + o->t_ok.h + pad + pad;
	if (bh > h)
		bh = h;
	x = (w - bw) / 2;
	y = (h - bh) / 2;
	d->box = (SDL_Rect){x, y, bw, bh};
	fill(o->ren, &(SDL_Rect){x - 2, y - 2, bw + 4, bh + 4}, 0, 0, 0, 120);
	fill(o->ren, &d->box, 246, 246, 246, 255);
	r = (SDL_Rect){x, y, bw, o->t_title.h + pad};
	fill(o->ren, &r, 52, 56, 64, 255);
	copy_at(o->ren, tt, &o->t_title, x + pad, y + pad / 2);
	if (tb) {
		src = (SDL_Rect){0, 0, o->t_body.w, bodyh};
		r = (SDL_Rect){x + pad, y + o->t_title.h + 2 * pad, o->t_body.w,
		               bodyh};
		SDL_RenderCopy(o->ren, tb, &src, &r);
	}
	d->ok = (SDL_Rect){0, 0, o->t_ok.w + 4 * pad, o->t_ok.h + pad};
	if (d->ok.w < 5 * px)
		d->ok.w = 5 * px;
	d->ok.x = x + (bw - d->ok.w) / 2;
	d->ok.y = y + bh - pad - d->ok.h;
	fill(o->ren, &d->ok, 32, 112, 200, 255);
	copy_at(o->ren, tk, &o->t_ok, d->ok.x + (d->ok.w - o->t_ok.w) / 2,
	        d->ok.y + (d->ok.h - o->t_ok.h) / 2);
	d->msg_shown = true;
}

static void draw_lock(struct overlay *o, int w, int h)
{
	struct text *t = &o->t_notice;
	const char *notice = o->d.notice ? o->d.notice : o->d.s_locked;
	int px = h / 18 < 18 ? 18 : h / 18;
	SDL_Texture *tex;

	/* Opaque: nothing of the broadcast or the desktop shows through. */
	SDL_SetRenderDrawBlendMode(o->ren, SDL_BLENDMODE_NONE);
	fill(o->ren, NULL, 0, 0, 0, 255);
	tex = text_get(o, t, notice, px, w * 4 / 5, CAST_UI_CENTER,
	               PLAIN, WHITE, 255);
	if (tex)
		copy_at(o->ren, tex, t, (w - t->w) / 2, (h - t->h) / 2);
}

/* The broadcast stopped: a quiet notice in the middle of the window. */
static void draw_idle(struct overlay *o, int w, int h)
{
	struct text *t = &o->t_idle;
	int px = h / 24 < 14 ? 14 : h / 24;
	SDL_Texture *tex;

	tex = text_get(o, t, o->d.s_idle, px, w * 4 / 5,
	               CAST_UI_CENTER, PLAIN, WHITE, 200);
	if (tex)
		copy_at(o->ren, tex, t, (w - t->w) / 2, (h - t->h) / 2);
}

void overlay_draw(struct overlay *o, int w, int h)
{
	struct drawn *d = &o->d;
	uint64_t now = SDL_GetTicks64();
	Uint8 r, g, b, a;
	SDL_BlendMode mode;
	int top;

	if (!now)
		now = 1; /* 0 means "marquee not started" */
	snapshot(o);
	d->w = w;
	d->h = h;
	d->last_ms = now;
	atomic_fetch_add(&o->frames, 1);
	/* The caller clears with its draw colour: give it back unchanged. */
	SDL_GetRenderDrawColor(o->ren, &r, &g, &b, &a);
	SDL_GetRenderDrawBlendMode(o->ren, &mode);
	SDL_SetRenderDrawBlendMode(o->ren, SDL_BLENDMODE_BLEND);
	if (d->locked) {
		d->msg_shown = false;
		draw_lock(o, w, h);
	} else {
		if (d->idle)
			draw_idle(o, w, h);
		draw_watermark(o, w, h);
		top = draw_marquee(o, w, h, now);
		draw_hand(o, w, h, top);
		draw_message(o, w, h);
	}
	SDL_SetRenderDrawColor(o->ren, r, g, b, a);
	SDL_SetRenderDrawBlendMode(o->ren, mode);
}

bool overlay_needs_redraw(struct overlay *o)
{
	struct drawn *d = &o->d;
	bool changed;

	pthread_mutex_lock(&o->lock);
	changed = o->s.gen != d->gen;
	pthread_mutex_unlock(&o->lock);
	if (changed)
		return true;
	return !d->locked && d->marquee && !d->marquee_done &&
	       SDL_GetTicks64() - d->last_ms >= FRAME_MS;
}

/* --- input (main thread) ----------------------------------------------- */

static bool swallowed_when_locked(const SDL_Event *e)
{
	Uint32 t = e->type;

	if (t == SDL_QUIT)
		return true;
	if (t == SDL_WINDOWEVENT)
		return e->window.event == SDL_WINDOWEVENT_CLOSE;
	/*
	 * Keyboard and text 0x300, mouse 0x400, joystick and controller
	 * 0x600, touch 0x700, gestures 0x800; drag and drop 0x1000.
	 */
	return (t >= SDL_KEYDOWN && t < SDL_CLIPBOARDUPDATE) ||
	       (t >= SDL_DROPFILE && t < SDL_AUDIODEVICEADDED);
}

static void dismiss(struct overlay *o)
{
	pthread_mutex_lock(&o->lock);
	if (o->s.nmsgs) {
		message_clear(&o->s.msgs[0]);
		memmove(&o->s.msgs[0], &o->s.msgs[1],
		        (size_t)(o->s.nmsgs - 1) * sizeof(o->s.msgs[0]));
		o->s.nmsgs--;
		o->s.msg_gen++;
		o->s.gen++;
	}
	pthread_mutex_unlock(&o->lock);
	/* Until the next box is drawn, input can't dismiss it unseen. */
	o->d.msg_shown = false;
}

/* Window coordinates to renderer output pixels (they differ on HiDPI). */
static SDL_Point to_output(struct overlay *o, int x, int y)
{
	SDL_Window *win = SDL_RenderGetWindow(o->ren);
	int ww = 0, wh = 0;

	if (win)
		SDL_GetWindowSize(win, &ww, &wh);
	if (ww > 0 && wh > 0 && o->d.w > 0 && o->d.h > 0)
		return (SDL_Point){(int)((int64_t)x * o->d.w / ww),
		                   (int)((int64_t)y * o->d.h / wh)};
	return (SDL_Point){x, y};
}

static bool is_ok_key(SDL_Keycode k)
{
	return k == SDLK_RETURN || k == SDLK_KP_ENTER || k == SDLK_SPACE;
}

bool overlay_handle_event(struct overlay *o, const SDL_Event *e)
{
	struct drawn *d = &o->d;
	SDL_Point p;

	if (overlay_locked(o))
		return swallowed_when_locked(e);
	if (!d->msg_shown)
		return false;
	switch (e->type) {
	case SDL_KEYDOWN:
		if (!is_ok_key(e->key.keysym.sym))
			return false;
		/* A held key must not sweep through the whole queue. */
		if (!e->key.repeat)
			dismiss(o);
		return true;
	case SDL_KEYUP:
		return is_ok_key(e->key.keysym.sym);
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		p = to_output(o, e->button.x, e->button.y);
		if (!SDL_PointInRect(&p, &d->box))
			return false;
		if (e->type == SDL_MOUSEBUTTONUP &&
		    e->button.button == SDL_BUTTON_LEFT &&
		    SDL_PointInRect(&p, &d->ok))
			dismiss(o);
		return true;
	default:
		return false;
	}
}
