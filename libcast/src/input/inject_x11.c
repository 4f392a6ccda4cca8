/* Remote control input carried out on an X display through XTEST. */
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>
#include <xcb/xtest.h>
#include <xkbcommon/xkbcommon-x11.h>
#include <xkbcommon/xkbcommon.h>

#include "cast/error.h"
#include "cast/input.h"
#include "cast/log.h"
#include "input/input_int.h"

/*
 * XTEST makes the server take our requests as if they came from its own
 * keyboard and mouse: the events go wherever real ones would (the window
 * under the pointer, the focused window) and nobody can tell them apart.
 * Keys are keycodes, so a keysym is looked up in the server's current
 * keymap (read through XKB before each key or text, since the student may
 * switch layouts) together with the modifiers its level needs. Everything
 * an event needs is resolved before the first request, so an event either
 * goes out whole or not at all, and every key pressed is released in the
 * same batch.
 */

/* Modifier keys we may press, in press order (released in reverse). */
enum {
	KEY_CTRL,
	KEY_ALT,
	KEY_SHIFT,
	KEY_SUPER,
	KEY_LEVEL3,
	KEY_MODS_N,
};

static const xkb_keysym_t mod_syms[KEY_MODS_N] = {
    XKB_KEY_Control_L,        XKB_KEY_Alt_L, XKB_KEY_Shift_L, XKB_KEY_Super_L,
    XKB_KEY_ISO_Level3_Shift,
};

/* One key to press and release, with the modifiers held around it. */
struct stroke {
	xcb_keycode_t code;
	unsigned mods; /* 1 << KEY_* */
};

struct cast_injector {
	xcb_connection_t *conn;
	xcb_window_t root;
	int w, h;
	int32_t kbd; /* XKB core keyboard device id */
	struct xkb_context *ctx;
	struct xkb_keymap *km;
	xkb_layout_index_t layout; /* the one in effect at the last refresh */
	xcb_keycode_t mod_code[KEY_MODS_N];
};

/* Reads the server's keymap and layout as they are now. */
static int keymap_refresh(struct cast_injector *in)
{
	struct xkb_keymap *km;
	struct xkb_state *st;

	km = xkb_x11_keymap_new_from_device(in->ctx, in->conn, in->kbd,
	                                    XKB_KEYMAP_COMPILE_NO_FLAGS);
	if (!km) {
		cast_log(CAST_LOG_ERROR, "inject", "cannot read the keymap");
		return CAST_EEXTERNAL;
	}
	st = xkb_x11_state_new_from_device(km, in->conn, in->kbd);
	if (!st) {
		xkb_keymap_unref(km);
		cast_log(CAST_LOG_ERROR, "inject",
		         "cannot read the keyboard state");
		return CAST_EEXTERNAL;
	}
	in->layout = xkb_state_serialize_layout(st, XKB_STATE_LAYOUT_EFFECTIVE);
	xkb_state_unref(st);
	xkb_keymap_unref(in->km);
	in->km = km;
	return 0;
}

/* The key and level that give `sym` in the current layout, lowest level
 * first. */
static bool find_sym(struct cast_injector *in, xkb_keysym_t sym,
                     xkb_keycode_t *code, xkb_level_index_t *level)
{
	xkb_keycode_t min = xkb_keymap_min_keycode(in->km);
	xkb_keycode_t max = xkb_keymap_max_keycode(in->km);
	bool found = false;

	/* Core protocol keycodes are 8..255. */
	if (min < 8)
		min = 8;
	if (max > 255)
		max = 255;
	for (xkb_keycode_t kc = min; kc <= max; kc++) {
		xkb_layout_index_t nl =
		    xkb_keymap_num_layouts_for_key(in->km, kc);
		xkb_layout_index_t lay;
		xkb_level_index_t n;

		if (!nl)
			continue;
		lay = in->layout < nl ? in->layout : 0;
		n = xkb_keymap_num_levels_for_key(in->km, kc, lay);
		for (xkb_level_index_t l = 0; l < n; l++) {
			const xkb_keysym_t *syms;

			if (found && l >= *level)
				break;
			if (xkb_keymap_key_get_syms_by_level(in->km, kc, lay, l,
			                                     &syms) == 1 &&
			    syms[0] == sym) {
				*code = kc;
				*level = l;
				found = true;
				break;
			}
		}
	}
	return found;
}

/* Finds the keycodes of the modifier keys (0: this keymap has none). */
static void find_mods(struct cast_injector *in)
{
	for (int i = 0; i < KEY_MODS_N; i++) {
		xkb_keycode_t kc;
		xkb_level_index_t l;

		in->mod_code[i] = 0;
		if (find_sym(in, mod_syms[i], &kc, &l) && l == 0)
			in->mod_code[i] = (xcb_keycode_t)kc;
	}
}

/*
 * The stroke that gives `sym` with the modifiers `want` (CAST__MOD_*):
 * the key, plus Shift or AltGr when the keysym sits on a level that needs
 * them. 0 or CAST_ERROR(ENOENT).
 */
static int resolve(struct cast_injector *in, xkb_keysym_t sym, unsigned want,
                   struct stroke *out)
{
	xkb_mod_index_t shift =
	    xkb_keymap_mod_get_index(in->km, XKB_MOD_NAME_SHIFT);
	xkb_mod_index_t mod5 = xkb_keymap_mod_get_index(in->km, "Mod5");
	xkb_mod_mask_t masks[8], allowed = 0;
	xkb_keycode_t kc;
	xkb_level_index_t level;
	size_t n;
	unsigned mods = 0;
	int pick = -1;

	if (!find_sym(in, sym, &kc, &level))
		return CAST_ERROR(ENOENT);
	if (shift != XKB_MOD_INVALID)
		allowed |= 1u << shift;
	if (mod5 != XKB_MOD_INVALID && in->mod_code[KEY_LEVEL3])
		allowed |= 1u << mod5;
	n = xkb_keymap_key_get_mods_for_level(
	    in->km, kc,
	    in->layout < xkb_keymap_num_layouts_for_key(in->km, kc) ? in->layout
	                                                            : 0,
	    level, masks, 8);
	/* The simplest mask we can produce by pressing keys. */
	for (size_t i = 0; i < n; i++)
		if (!(masks[i] & ~allowed) &&
		    (pick < 0 || __builtin_popcount(masks[i]) <
		                     __builtin_popcount(masks[pick])))
			pick = (int)i;
	if (pick < 0)
		return CAST_ERROR(ENOENT);
	if (shift != XKB_MOD_INVALID && masks[pick] & (1u << shift))
		mods |= 1u << KEY_SHIFT;
	if (mod5 != XKB_MOD_INVALID && masks[pick] & (1u << mod5))
		mods |= 1u << KEY_LEVEL3;
	if (want & CAST__MOD_CTRL)
		mods |= 1u << KEY_CTRL;
	if (want & CAST__MOD_ALT)
		mods |= 1u << KEY_ALT;
	if (want & CAST__MOD_SHIFT)
		mods |= 1u << KEY_SHIFT;
	if (want & CAST__MOD_SUPER)
		mods |= 1u << KEY_SUPER;
	for (int i = 0; i < KEY_MODS_N; i++)
		if (mods & (1u << i) && !in->mod_code[i])
			return CAST_ERROR(ENOENT);
	out->code = (xcb_keycode_t)kc;
	out->mods = mods;
	return 0;
}

static void fake(struct cast_injector *in, uint8_t type, uint8_t detail, int x,
                 int y)
{
	xcb_test_fake_input(in->conn, type, detail, XCB_CURRENT_TIME,
	                    type == XCB_MOTION_NOTIFY ? in->root : XCB_NONE,
	                    (int16_t)x, (int16_t)y, 0);
}

static void send_stroke(struct cast_injector *in, const struct stroke *s)
{
	for (int i = 0; i < KEY_MODS_N; i++)
		if (s->mods & (1u << i))
			fake(in, XCB_KEY_PRESS, in->mod_code[i], 0, 0);
	fake(in, XCB_KEY_PRESS, s->code, 0, 0);
	fake(in, XCB_KEY_RELEASE, s->code, 0, 0);
	for (int i = KEY_MODS_N - 1; i >= 0; i--)
		if (s->mods & (1u << i))
			fake(in, XCB_KEY_RELEASE, in->mod_code[i], 0, 0);
}

/* Flushes and waits until the server has handled every request sent. */
static int sync_server(struct cast_injector *in)
{
	xcb_generic_error_t *err = NULL;
	xcb_get_input_focus_reply_t *r;
	xcb_generic_event_t *e;
	int rc = 0;

	r = xcb_get_input_focus_reply(in->conn, xcb_get_input_focus(in->conn),
	                              &err);
	if (!r)
		rc = CAST_EEXTERNAL;
	free(r);
	free(err);
	/* Errors of the unchecked fake-input requests come as events. */
	while ((e = xcb_poll_for_event(in->conn))) {
		if (e->response_type == 0) {
			cast_log(CAST_LOG_ERROR, "inject",
			         "the server refused a request (error %u)",
			         ((xcb_generic_error_t *)e)->error_code);
			rc = CAST_EEXTERNAL;
		}
		free(e);
	}
	if (xcb_connection_has_error(in->conn)) {
		cast_log(CAST_LOG_ERROR, "inject", "lost the display");
		return CAST_ERROR(EIO);
	}
	return rc;
}

static void read_size(struct cast_injector *in)
{
	xcb_get_geometry_reply_t *g;

	g = xcb_get_geometry_reply(in->conn,
	                           xcb_get_geometry(in->conn, in->root), NULL);
	if (g) {
		in->w = g->width;
		in->h = g->height;
		free(g);
	}
}

static int clamp(int v, int size)
{
	if (v < 0)
		return 0;
	return v >= size ? size - 1 : v;
}

static int send_key(struct cast_injector *in, const char *name)
{
	struct stroke s;
	unsigned mods;
	uint32_t sym;
	int err;

	if (cast__input_key(name, &mods, &sym, NULL, 0))
		return CAST_ERROR(EINVAL);
	err = keymap_refresh(in);
	if (err)
		return err;
	find_mods(in);
	err = resolve(in, sym, mods, &s);
	if (err) {
		cast_log(CAST_LOG_WARN, "inject",
		         "key %s: not on this keyboard's layout", name);
		return err;
	}
	send_stroke(in, &s);
	return 0;
}

static int send_text(struct cast_injector *in, const char *text)
{
	struct stroke s[CAST_INPUT_TEXT_MAX];
	const char *p = text;
	size_t n = 0;
	uint32_t cp;
	int err;

	err = keymap_refresh(in);
	if (err)
		return err;
	find_mods(in);
	while (*p && n < CAST_INPUT_TEXT_MAX) {
		xkb_keysym_t sym;

		if (cast__utf8_next(&p, &cp))
			return CAST_ERROR(EINVAL);
		if (cp == '\n')
			sym = XKB_KEY_Return;
		else if (cp == '\t')
			sym = XKB_KEY_Tab;
		else
			sym = xkb_utf32_to_keysym(cp);
		if (sym == XKB_KEY_NoSymbol || resolve(in, sym, 0, &s[n])) {
			cast_log(CAST_LOG_WARN, "inject",
			         "type: U+%04X is not on this keyboard's "
			         "layout; nothing typed",
			         (unsigned)cp);
			return CAST_ERROR(ENOENT);
		}
		n++;
	}
	for (size_t i = 0; i < n; i++)
		send_stroke(in, &s[i]);
	return 0;
}

int cast_injector_send(struct cast_injector *in,
                       const struct cast_input_event *ev)
{
	char word[CAST_INPUT_KEY_MAX + CAST_INPUT_TEXT_MAX];
	int err = 0;

	if (!in || !ev || cast_input_format(ev, word, sizeof(word)) < 0)
		return CAST_ERROR(EINVAL);
	if (xcb_connection_has_error(in->conn))
		return CAST_ERROR(EIO);
	switch (ev->kind) {
	case CAST_INPUT_MOVE:
	case CAST_INPUT_CLICK:
		read_size(in);
		fake(in, XCB_MOTION_NOTIFY, 0, clamp(ev->x, in->w),
		     clamp(ev->y, in->h));
		if (ev->kind == CAST_INPUT_CLICK) {
			fake(in, XCB_BUTTON_PRESS, (uint8_t)ev->button, 0, 0);
			fake(in, XCB_BUTTON_RELEASE, (uint8_t)ev->button, 0, 0);
		}
		break;
	case CAST_INPUT_KEY:
		err = send_key(in, ev->key);
		break;
	case CAST_INPUT_TYPE:
		err = send_text(in, ev->text);
		break;
	}
	if (err)
		return err;
	return sync_server(in);
}

int cast_injector_new(struct cast_injector **out, const char *display)
{
	struct cast_injector *in;
	const xcb_query_extension_reply_t *ext;
	xcb_screen_iterator_t it;
	int screen = 0, err;

	if (!out)
		return CAST_ERROR(EINVAL);
	in = calloc(1, sizeof(*in));
	if (!in)
		return CAST_ERROR(ENOMEM);
	in->conn = xcb_connect(display, &screen);
	if (xcb_connection_has_error(in->conn)) {
		cast_log(CAST_LOG_ERROR, "inject", "cannot open display %s",
		         display ? display : "$DISPLAY");
		err = CAST_ERROR(ENODEV);
		goto out;
	}
	it = xcb_setup_roots_iterator(xcb_get_setup(in->conn));
	for (; it.rem && screen > 0; screen--)
		xcb_screen_next(&it);
	if (!it.rem) {
		err = CAST_ERROR(ENODEV);
		goto out;
	}
	in->root = it.data->root;
	in->w = it.data->width_in_pixels;
	in->h = it.data->height_in_pixels;
	ext = xcb_get_extension_data(in->conn, &xcb_test_id);
	if (!ext || !ext->present) {
		cast_log(CAST_LOG_ERROR, "inject",
		         "the X server has no XTEST extension");
		err = CAST_ERROR(ENOTSUP);
		goto out;
	}
	if (!xkb_x11_setup_xkb_extension(
	        in->conn, XKB_X11_MIN_MAJOR_XKB_VERSION,
	        XKB_X11_MIN_MINOR_XKB_VERSION,
	        XKB_X11_SETUP_XKB_EXTENSION_NO_FLAGS, NULL, NULL, NULL, NULL)) {
		cast_log(CAST_LOG_ERROR, "inject",
		         "the X server has no usable XKB extension");
		err = CAST_ERROR(ENOTSUP);
		goto out;
	}
	in->kbd = xkb_x11_get_core_keyboard_device_id(in->conn);
	in->ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (in->kbd < 0 || !in->ctx) {
		err = in->ctx ? CAST_ERROR(ENOTSUP) : CAST_ERROR(ENOMEM);
		goto out;
	}
	err = keymap_refresh(in);
	if (err)
		goto out;
	*out = in;
	return 0;
out:
	cast_injector_free(&in);
	return err;
}

void cast_injector_size(struct cast_injector *in, int *w, int *h)
{
	if (!in)
		return;
	if (!xcb_connection_has_error(in->conn))
		read_size(in);
	if (w)
		*w = in->w;
	if (h)
		*h = in->h;
}

void cast_injector_free(struct cast_injector **inp)
{
	struct cast_injector *in = inp ? *inp : NULL;

	if (!in)
		return;
	xkb_keymap_unref(in->km);
	xkb_context_unref(in->ctx);
	if (in->conn)
		xcb_disconnect(in->conn);
	free(in);
	*inp = NULL;
}
