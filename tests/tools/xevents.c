/* Test helper: a window over the whole X screen that prints what reaches
 * it, one line per event, flushed: "ready W H" once mapped and focused,
 * "click X Y BUTTON", "key KEYSYMNAME" (xkbcommon's name, with the event's
 * modifiers applied), "motion X Y" (only with --motion). Exits 0 on SIGTERM
 * or SIGINT.
 * Usage: xevents [--motion]   (the display is $DISPLAY) */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>
#include <xkbcommon/xkbcommon-x11.h>
#include <xkbcommon/xkbcommon.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int die(const char *what)
{
	fprintf(stderr, "xevents: %s\n", what);
	return 1;
}

/* The keysym name of a key press, as a client with this keymap reads it. */
static void print_key(struct xkb_keymap *km, const xcb_key_press_event_t *k)
{
	struct xkb_state *st = xkb_state_new(km);
	char name[64];
	xkb_keysym_t sym;

	if (!st)
		return;
	/* The core state: modifiers in the low byte, the group in 13-14. */
	xkb_state_update_mask(st, k->state & 0xff, 0, 0, 0, 0,
	                      (k->state >> 13) & 3);
	sym = xkb_state_key_get_one_sym(st, k->detail);
	if (xkb_keysym_get_name(sym, name, sizeof(name)) < 0)
		snprintf(name, sizeof(name), "0x%x", sym);
	printf("key %s\n", name);
	xkb_state_unref(st);
}

int main(int argc, char **argv)
{
	bool motion = argc > 1 && !strcmp(argv[1], "--motion");
	struct sigaction sa = {.sa_handler = on_signal};
	struct xkb_context *ctx;
	struct xkb_keymap *km;
	xcb_connection_t *c;
	xcb_screen_t *scr;
	xcb_window_t win;
	xcb_generic_event_t *e;
	xcb_get_input_focus_reply_t *f;
	uint32_t mask = XCB_EVENT_MASK_KEY_PRESS | XCB_EVENT_MASK_BUTTON_PRESS |
	                XCB_EVENT_MASK_STRUCTURE_NOTIFY;
	uint32_t values[2];
	int32_t kbd;
	bool mapped = false, ready = false;

	if (argc > 2 || (argc == 2 && !motion))
		return die("usage: xevents [--motion]");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	c = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(c))
		return die("cannot open $DISPLAY");
	if (!xkb_x11_setup_xkb_extension(c, XKB_X11_MIN_MAJOR_XKB_VERSION,
	                                 XKB_X11_MIN_MINOR_XKB_VERSION, 0, NULL,
	                                 NULL, NULL, NULL))
		return die("no XKB");
	ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	kbd = xkb_x11_get_core_keyboard_device_id(c);
	km = ctx ? xkb_x11_keymap_new_from_device(ctx, c, kbd, 0) : NULL;
	if (!km)
		return die("cannot read the keymap");
	scr = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
	if (motion)
		mask |= XCB_EVENT_MASK_POINTER_MOTION;
	values[0] = scr->black_pixel;
	values[1] = mask;
	win = xcb_generate_id(c);
	xcb_create_window(c, XCB_COPY_FROM_PARENT, win, scr->root, 0, 0,
	                  scr->width_in_pixels, scr->height_in_pixels, 0,
	                  XCB_WINDOW_CLASS_INPUT_OUTPUT, scr->root_visual,
	                  XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK, values);
	xcb_map_window(c, win);
	xcb_flush(c);

	while (!stop) {
		struct pollfd p = {.fd = xcb_get_file_descriptor(c),
		                   .events = POLLIN};

		if (xcb_connection_has_error(c))
			return die("lost the display");
		e = xcb_poll_for_event(c);
		if (!e) {
			if (poll(&p, 1, 500) < 0 && errno != EINTR)
				return die("poll failed");
			continue;
		}
		switch (e->response_type & 0x7f) {
		case XCB_MAP_NOTIFY:
			mapped = true;
			break;
		case XCB_BUTTON_PRESS: {
			xcb_button_press_event_t *b = (void *)e;

			printf("click %d %d %u\n", b->event_x, b->event_y,
			       b->detail);
			break;
		}
		case XCB_MOTION_NOTIFY: {
			xcb_motion_notify_event_t *m = (void *)e;

			printf("motion %d %d\n", m->event_x, m->event_y);
			break;
		}
		case XCB_KEY_PRESS:
			print_key(km, (xcb_key_press_event_t *)e);
			break;
		default:
			break;
		}
		free(e);
		if (mapped && !ready) {
			xcb_set_input_focus(c, XCB_INPUT_FOCUS_POINTER_ROOT,
			                    win, XCB_CURRENT_TIME);
			f = xcb_get_input_focus_reply(c, xcb_get_input_focus(c),
			                              NULL);
			if (f && f->focus == win) {
				ready = true;
				printf("ready %u %u\n", scr->width_in_pixels,
				       scr->height_in_pixels);
			}
			free(f);
		}
	}
	xkb_keymap_unref(km);
	xkb_context_unref(ctx);
	xcb_disconnect(c);
	return 0;
}
