/* The student's small banners ("under remote control", "no broadcast"):
 * see indicator.h. */
#include <errno.h>
#include <libintl.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_syswm.h>
#include <X11/Xlib.h>

#include <cast/error.h>
#include <cast/log.h>

#include "indicator.h"
#include "text.h"

#define DOMAIN "libcast"

/* What each kind says, its colour, where it sits, its window's name. */
static const struct {
	const char *text;
	Uint8 r, g, b;
	bool corner; /* bottom right; else top centre */
	const char *title;
} KINDS[] = {
    [INDICATOR_REMOTE] = {"Under remote control by the teacher", 200, 16, 16,
                          false, "libcast remote control"},
    [INDICATOR_NO_BROADCAST] = {"No broadcast: the teacher has stopped it",
                                40, 60, 90, true, "libcast status"},
};

struct indicator {
	enum indicator_kind kind;
	SDL_Window *win;
	struct cast_ui *ui;	/* text through the widget layer (pango) */
	SDL_Surface *text;
	bool shown;
};

static char *hint_swap(const char *name, const char *value);
static void hint_restore(const char *name, char *old);

/* Fills the window: red, the text centred in white. */
static void paint(struct indicator *in)
{
	SDL_Surface *s;
	SDL_Rect r;
	char *old;

	/* The window's own pixels through X (XShm or PutImage), not an
	 * OpenGL texture: a small banner needs no GPU, and the GL path showed
	 * nothing on a server without one (Xvfb). */
	old = hint_swap(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	s = SDL_GetWindowSurface(in->win);
	hint_restore(SDL_HINT_FRAMEBUFFER_ACCELERATION, old);

	if (!s) {
		cast_log(CAST_LOG_WARN, "indicator", "no window surface: %s",
		         SDL_GetError());
		return;
	}
	SDL_FillRect(s, NULL,
	             SDL_MapRGB(s->format, KINDS[in->kind].r, KINDS[in->kind].g,
	                        KINDS[in->kind].b));
	if (in->text) {
		r.w = in->text->w;
		r.h = in->text->h;
		r.x = (s->w - r.w) / 2;
		r.y = (s->h - r.h) / 2;
		SDL_BlitSurface(in->text, NULL, s, &r);
	}
	SDL_UpdateWindowSurface(in->win);
}

/*
 * Repaints when the window is shown or uncovered. SDL calls event watches
 * from SDL_PumpEvents, on the main thread that pumps the program's events.
 */
static int watch(void *arg, SDL_Event *e)
{
	struct indicator *in = arg;

	if (e->type != SDL_WINDOWEVENT || !in->win || !in->shown ||
	    e->window.windowID != SDL_GetWindowID(in->win))
		return 0;
	switch (e->window.event) {
	case SDL_WINDOWEVENT_SHOWN:
	case SDL_WINDOWEVENT_EXPOSED:
	case SDL_WINDOWEVENT_RESTORED:
	case SDL_WINDOWEVENT_SIZE_CHANGED:
		paint(in);
		break;
	default:
		break;
	}
	return 0;
}

/* True when gettext's language is Traditional Chinese. */
static bool traditional_now(void)
{
	const char *l = getenv("LANGUAGE");

	return l && (!strncmp(l, "zh_TW", 5) || !strncmp(l, "zh_HK", 5));
}

/* Renders the text in the current language, sized for a display `dh`
 * pixels high. */
static void render_text(struct indicator *in, int dh)
{
	SDL_Color white = {255, 255, 255, 255};
	int px = dh / 36;

	cast_ui_set_lang(in->ui, traditional_now() ? CAST_LANG_ZH_TW
	                                           : CAST_LANG_ZH_CN);
	if (px < 14)
		px = 14;
	if (px > 48)
		px = 48;
	SDL_FreeSurface(in->text);
	in->text = text_surface(in->ui, dgettext(DOMAIN, KINDS[in->kind].text),
	                        px, white, 0, CAST_UI_LEFT_ALIGN);
	if (!in->text)
		cast_log(CAST_LOG_WARN, "indicator", "text: out of memory");
}

/* Sets hint `name` to `value`, over any environment variable; returns the
 * old value (malloc'd, or NULL). */
static char *hint_swap(const char *name, const char *value)
{
	const char *old = SDL_GetHint(name);
	char *keep = old ? strdup(old) : NULL;

	SDL_SetHintWithPriority(name, value, SDL_HINT_OVERRIDE);
	return keep;
}

/* Puts back what hint_swap found: the environment's value or the
 * program's own. */
static void hint_restore(const char *name, char *old)
{
	const char *env = getenv(name);

	SDL_ResetHint(name);
	if (old && (!env || strcmp(env, old)))
		SDL_SetHint(name, old);
	free(old);
}

/* Makes (or moves and resizes) the window for the current text. */
static int place(struct indicator *in)
{
	SDL_Rect d;
	int w, h, x, y;
	char *old_type;

	if (SDL_GetDisplayBounds(0, &d)) {
		cast_log(CAST_LOG_ERROR, "indicator", "no display: %s",
		         SDL_GetError());
		return CAST_EEXTERNAL;
	}
	render_text(in, d.h);
	w = (in->text ? in->text->w : 200) + 2 * (d.h / 40 + 8);
	h = (in->text ? in->text->h : 24) + d.h / 80 + 8;
	if (w > d.w)
		w = d.w;
	if (KINDS[in->kind].corner) {
		x = d.x + d.w - w - d.h / 40;
		y = d.y + d.h - h - d.h / 20;
	} else {
		x = d.x + (d.w - w) / 2;
		y = d.y;
	}
	if (in->win) {
		SDL_SetWindowSize(in->win, w, h);
		SDL_SetWindowPosition(in->win, x, y);
		return 0;
	}
	/* A notification to window managers: on top, not focused, no
	 * decoration (read when the window is made). */
	old_type = hint_swap(SDL_HINT_X11_WINDOW_TYPE,
	                     "_NET_WM_WINDOW_TYPE_NOTIFICATION");
	in->win = SDL_CreateWindow(
	    KINDS[in->kind].title, x, y, w, h,
	    SDL_WINDOW_HIDDEN | SDL_WINDOW_ALWAYS_ON_TOP |
	        SDL_WINDOW_BORDERLESS | SDL_WINDOW_SKIP_TASKBAR);
	hint_restore(SDL_HINT_X11_WINDOW_TYPE, old_type);
	if (!in->win) {
		cast_log(CAST_LOG_ERROR, "indicator", "window: %s",
		         SDL_GetError());
		return CAST_EEXTERNAL;
	}
	return 0;
}

/*
 * Shows the window without taking the keyboard focus. With a window
 * manager the notification type and the hint keep it from focusing the
 * banner; without one SDL gives the focus to every window it shows, so it
 * is handed back to where it was.
 */
static void show_unfocused(SDL_Window *w)
{
	SDL_SysWMinfo info;
	Display *d = NULL;
	Window before = None, now;
	int revert = RevertToPointerRoot, r;
	char *old;

	SDL_VERSION(&info.version);
	if (SDL_GetWindowWMInfo(w, &info) && info.subsystem == SDL_SYSWM_X11) {
		d = info.info.x11.display;
		XGetInputFocus(d, &before, &revert);
	}
	old = hint_swap(SDL_HINT_WINDOW_NO_ACTIVATION_WHEN_SHOWN, "1");
	SDL_ShowWindow(w);
	hint_restore(SDL_HINT_WINDOW_NO_ACTIVATION_WHEN_SHOWN, old);
	if (!d)
		return;
	XGetInputFocus(d, &now, &r);
	if (now == info.info.x11.window && before != now) {
		XSetInputFocus(d, before, revert, CurrentTime);
		XFlush(d);
	}
}

void indicator_show(struct indicator *in, bool on)
{
	if (!in || on == in->shown)
		return;
	if (!on) {
		in->shown = false;
		SDL_HideWindow(in->win);
		return;
	}
	if (place(in))
		return;
	in->shown = true;
	/* The teacher's keys must keep going to the student's programs. */
	show_unfocused(in->win);
	paint(in);
}

bool indicator_shown(const struct indicator *in)
{
	return in && in->shown;
}

int indicator_new(struct indicator **out)
{
	return indicator_new_kind(out, INDICATOR_REMOTE);
}

int indicator_new_kind(struct indicator **out, enum indicator_kind kind)
{
	struct indicator *in;
	int err;

	if (kind != INDICATOR_REMOTE && kind != INDICATOR_NO_BROADCAST)
		return CAST_ERROR(EINVAL);
	in = calloc(1, sizeof(*in));
	if (!in)
		return CAST_ERROR(ENOMEM);
	in->kind = kind;
	err = cast_ui_new(&in->ui, traditional_now() ? CAST_LANG_ZH_TW
	                                             : CAST_LANG_ZH_CN);
	if (err) {
		free(in);
		return err;
	}
	SDL_AddEventWatch(watch, in);
	*out = in;
	return 0;
}

void indicator_free(struct indicator **inp)
{
	struct indicator *in = inp ? *inp : NULL;

	if (!in)
		return;
	SDL_DelEventWatch(watch, in);
	if (in->win)
		SDL_DestroyWindow(in->win);
	SDL_FreeSurface(in->text);
	cast_ui_free(&in->ui);
	free(in);
	*inp = NULL;
}
