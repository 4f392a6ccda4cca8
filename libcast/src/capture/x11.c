/* X11 screen capture over xcb: MIT-SHM, XDamage, XFixes cursor. */
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <xcb/damage.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "cast/log.h"
#include "capture/capture_int.h"

/*
 * The picture is one BGRA buffer of the captured region. With MIT-SHM it is
 * the shared segment itself: the server writes whole rows straight into place
 * (a full-width band at offset y * stride), so no copy is made on our side.
 *
 * With XDamage (report level NonEmpty) a grab with no DamageNotify pending and
 * the pointer where it was costs one round trip (the cursor query) and no
 * pixels. Otherwise the damage is subtracted into a region, fetched as
 * rectangles, merged into a few row bands, and only those bands are read.
 * The pointer is drawn into the buffer, so its old place is re-read whenever
 * anything is read and reported as damage whenever it moves.
 */

#define MAX_BANDS 8
/* Rows between two damaged areas that are cheaper to read than to split. */
#define BAND_GAP 16

struct x11 {
	xcb_connection_t *conn;
	xcb_window_t root;
	int x, y, w, h; /* region, root coordinates */
	uint8_t *pic;   /* w * h * 4: the SHM segment or malloc'd */
	int stride;

	bool shm;
	xcb_shm_seg_t seg;

	bool use_damage;
	uint8_t damage_event;
	xcb_damage_damage_t damage;
	xcb_xfixes_region_t region;
	bool damaged; /* a DamageNotify arrived since the last subtract */
	bool first;

	bool draw_cursor;
	struct cast_rect cur; /* where the pointer is drawn, region coords */
	int cur_px, cur_py;   /* its top-left, root coordinates */
	uint32_t cur_serial;

	/* Left out of the picture (region coordinates, clipped). */
	struct cast_rect excl[CAST_CAPTURE_EXCLUDE_MAX];
	int n_excl;
};

/* Checks that the screen's pixels are 32-bit little-endian xRGB. */
static int check_format(xcb_connection_t *conn, const xcb_screen_t *scr)
{
	const xcb_setup_t *setup = xcb_get_setup(conn);
	xcb_format_iterator_t fi = xcb_setup_pixmap_formats_iterator(setup);
	xcb_depth_iterator_t di = xcb_screen_allowed_depths_iterator(scr);
	const xcb_visualtype_t *vis = NULL;
	int bpp = 0;

	if (scr->root_depth != 24 && scr->root_depth != 32) {
		cast_log(CAST_LOG_ERROR, "x11", "depth %d unsupported",
		         scr->root_depth);
		return CAST_ERROR(ENOTSUP);
	}
	for (; fi.rem; xcb_format_next(&fi))
		if (fi.data->depth == scr->root_depth)
			bpp = fi.data->bits_per_pixel;
	for (; di.rem && !vis; xcb_depth_next(&di)) {
		xcb_visualtype_iterator_t vi =
		    xcb_depth_visuals_iterator(di.data);

		for (; vi.rem; xcb_visualtype_next(&vi))
			if (vi.data->visual_id == scr->root_visual)
				vis = vi.data;
	}
	if (bpp != 32 || setup->image_byte_order != XCB_IMAGE_ORDER_LSB_FIRST ||
	    !vis || vis->red_mask != 0xff0000 || vis->green_mask != 0xff00 ||
	    vis->blue_mask != 0xff) {
		cast_log(CAST_LOG_ERROR, "x11", "pixel format is not BGRA");
		return CAST_ERROR(ENOTSUP);
	}
	return 0;
}

static xcb_screen_t *screen_of(xcb_connection_t *conn, int num)
{
	xcb_screen_iterator_t it =
	    xcb_setup_roots_iterator(xcb_get_setup(conn));

	for (; it.rem; xcb_screen_next(&it), num--)
		if (!num)
			return it.data;
	return NULL;
}

static int x11_probe(const struct cast_capture_cfg *cfg)
{
	xcb_connection_t *conn;
	xcb_screen_t *scr;
	int num = 0, err = CAST_ENOBACKEND;

	conn = xcb_connect(cfg->device, &num);
	if (xcb_connection_has_error(conn)) {
		cast_log(CAST_LOG_DEBUG, "x11", "cannot open display '%s'",
		         cfg->device ? cfg->device : "$DISPLAY");
		goto out;
	}
	scr = screen_of(conn, num);
	if (scr)
		err = check_format(conn, scr);
out:
	xcb_disconnect(conn);
	return err;
}

static bool has_ext(xcb_connection_t *conn, xcb_extension_t *ext)
{
	const xcb_query_extension_reply_t *r =
	    xcb_get_extension_data(conn, ext);

	return r && r->present;
}

/* Makes the picture a SysV shared segment the server can write into. */
static bool setup_shm(struct x11 *x, size_t size)
{
	xcb_shm_query_version_reply_t *ver;
	xcb_generic_error_t *e;
	void *mem;
	int id;

	if (!has_ext(x->conn, &xcb_shm_id))
		return false;
	ver = xcb_shm_query_version_reply(x->conn,
	                                  xcb_shm_query_version(x->conn), NULL);
	if (!ver)
		return false;
	free(ver);
	id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
	if (id < 0)
		return false;
	mem = shmat(id, NULL, 0);
	if (mem == (void *)-1) {
		shmctl(id, IPC_RMID, NULL);
		return false;
	}
	x->seg = xcb_generate_id(x->conn);
	e = xcb_request_check(x->conn,
	                      xcb_shm_attach_checked(x->conn, x->seg, id, 0));
	/* Once attached (or refused) the id is no longer needed: no leaks. */
	shmctl(id, IPC_RMID, NULL);
	if (e) {
		/* A server on another host or in another IPC namespace. */
		free(e);
		shmdt(mem);
		return false;
	}
	x->pic = mem;
	return true;
}

static void setup_damage(struct x11 *x)
{
	const xcb_query_extension_reply_t *ext;
	xcb_damage_query_version_reply_t *dv;
	xcb_xfixes_query_version_reply_t *fv;

	if (!has_ext(x->conn, &xcb_damage_id) ||
	    !has_ext(x->conn, &xcb_xfixes_id)) {
		cast_log(CAST_LOG_INFO, "x11", "no XDamage: full grabs");
		x->use_damage = false;
		return;
	}
	dv = xcb_damage_query_version_reply(
	    x->conn, xcb_damage_query_version(x->conn, 1, 1), NULL);
	fv = xcb_xfixes_query_version_reply(
	    x->conn, xcb_xfixes_query_version(x->conn, 4, 0), NULL);
	if (!dv || !fv || fv->major_version < 2) {
		free(dv);
		free(fv);
		x->use_damage = false;
		return;
	}
	free(dv);
	free(fv);
	ext = xcb_get_extension_data(x->conn, &xcb_damage_id);
	x->damage_event = ext->first_event + XCB_DAMAGE_NOTIFY;
	x->region = xcb_generate_id(x->conn);
	xcb_xfixes_create_region(x->conn, x->region, 0, NULL);
	x->damage = xcb_generate_id(x->conn);
	xcb_damage_create(x->conn, x->damage, x->root,
	                  XCB_DAMAGE_REPORT_LEVEL_NON_EMPTY);
}

static void x11_close(void *priv)
{
	struct x11 *x = priv;

	if (!x)
		return;
	if (x->conn && !xcb_connection_has_error(x->conn)) {
		if (x->damage)
			xcb_damage_destroy(x->conn, x->damage);
		if (x->region)
			xcb_xfixes_destroy_region(x->conn, x->region);
		if (x->shm)
			xcb_shm_detach(x->conn, x->seg);
		xcb_flush(x->conn);
	}
	if (x->shm)
		shmdt(x->pic);
	else
		free(x->pic);
	if (x->conn)
		xcb_disconnect(x->conn);
	free(x);
}

static int x11_open(void **priv, const struct cast_capture_cfg *cfg, int *w,
                    int *h)
{
	xcb_screen_t *scr;
	struct x11 *x;
	size_t size;
	int num = 0, err;

	x = calloc(1, sizeof(*x));
	if (!x)
		return CAST_ERROR(ENOMEM);
	/* An X server without other clients resets when the last one (our
	 * probe) leaves, and refuses connections meanwhile: retry for 2 s. */
	for (int tries = 0;; tries++) {
		x->conn = xcb_connect(cfg->device, &num);
		if (!xcb_connection_has_error(x->conn))
			break;
		if (tries == 20) {
			err = CAST_ENOBACKEND;
			goto out;
		}
		xcb_disconnect(x->conn);
		x->conn = NULL;
		usleep(100000);
	}
	scr = screen_of(x->conn, num);
	if (!scr) {
		err = CAST_EEXTERNAL;
		goto out;
	}
	err = check_format(x->conn, scr);
	if (err)
		goto out;
	x->root = scr->root;
	x->x = cfg->x;
	x->y = cfg->y;
	x->w = cfg->w ? cfg->w : scr->width_in_pixels - cfg->x;
	x->h = cfg->h ? cfg->h : scr->height_in_pixels - cfg->y;
	if (x->x < 0 || x->y < 0 || x->w <= 0 || x->h <= 0 ||
	    x->x + x->w > scr->width_in_pixels ||
	    x->y + x->h > scr->height_in_pixels) {
		cast_log(CAST_LOG_ERROR, "x11",
		         "region %dx%d+%d+%d is off %dx%d", x->w, x->h, x->x,
		         x->y, scr->width_in_pixels, scr->height_in_pixels);
		err = CAST_ERROR(EINVAL);
		goto out;
	}
	x->stride = x->w * 4;
	size = (size_t)x->stride * x->h;
	x->shm = setup_shm(x, size);
	if (!x->shm) {
		cast_log(CAST_LOG_INFO, "x11", "no MIT-SHM: using GetImage");
		x->pic = calloc(1, size);
		if (!x->pic) {
			err = CAST_ERROR(ENOMEM);
			goto out;
		}
	}
	x->use_damage = cfg->use_damage;
	if (x->use_damage)
		setup_damage(x);
	x->draw_cursor = cfg->draw_cursor && has_ext(x->conn, &xcb_xfixes_id);
	if (x->draw_cursor && !x->use_damage) {
		/* setup_damage() did not announce our XFixes version. */
		free(xcb_xfixes_query_version_reply(
		    x->conn, xcb_xfixes_query_version(x->conn, 4, 0), NULL));
	}
	x->first = true;
	xcb_flush(x->conn);
	cast_log(CAST_LOG_INFO, "x11", "%dx%d+%d+%d shm=%d damage=%d cursor=%d",
	         x->w, x->h, x->x, x->y, x->shm, x->use_damage, x->draw_cursor);
	*priv = x;
	*w = x->w;
	*h = x->h;
	return 0;
out:
	x11_close(x);
	return err;
}

/* Reads rows [y, y + h) of the region into place. */
static int fetch_rows(struct x11 *x, int y, int h)
{
	xcb_generic_error_t *e = NULL;
	size_t want = (size_t)x->stride * h;

	if (x->shm) {
		xcb_shm_get_image_reply_t *r = xcb_shm_get_image_reply(
		    x->conn,
		    xcb_shm_get_image(x->conn, x->root, (int16_t)x->x,
		                      (int16_t)(x->y + y), (uint16_t)x->w,
		                      (uint16_t)h, ~0u,
		                      XCB_IMAGE_FORMAT_Z_PIXMAP, x->seg,
		                      (uint32_t)y * x->stride),
		    &e);
		bool ok = r && r->size >= want;

		free(r);
		if (ok)
			return 0;
	} else {
		xcb_get_image_reply_t *r = xcb_get_image_reply(
		    x->conn,
		    xcb_get_image(x->conn, XCB_IMAGE_FORMAT_Z_PIXMAP, x->root,
		                  (int16_t)x->x, (int16_t)(x->y + y),
		                  (uint16_t)x->w, (uint16_t)h, ~0u),
		    &e);

		if (r && (size_t)xcb_get_image_data_length(r) >= want) {
			memcpy(x->pic + (size_t)y * x->stride,
			       xcb_get_image_data(r), want);
			free(r);
			return 0;
		}
		free(r);
	}
	cast_log(CAST_LOG_ERROR, "x11", "GetImage failed (X error %d)",
	         e ? e->error_code : -1);
	free(e);
	return CAST_EEXTERNAL;
}

static bool clip(struct cast_rect *r, int w, int h)
{
	int x1 = r->x + r->w, y1 = r->y + r->h;

	r->x = r->x < 0 ? 0 : r->x;
	r->y = r->y < 0 ? 0 : r->y;
	x1 = x1 > w ? w : x1;
	y1 = y1 > h ? h : y1;
	r->w = x1 - r->x;
	r->h = y1 - r->y;
	return r->w > 0 && r->h > 0;
}

static struct cast_rect rect_union(const struct cast_rect *a,
                                   const struct cast_rect *b)
{
	int x0 = a->x < b->x ? a->x : b->x, y0 = a->y < b->y ? a->y : b->y;
	int x1 = a->x + a->w > b->x + b->w ? a->x + a->w : b->x + b->w;
	int y1 = a->y + a->h > b->y + b->h ? a->y + a->h : b->y + b->h;

	return (struct cast_rect){x0, y0, x1 - x0, y1 - y0};
}

static int by_y(const void *a, const void *b)
{
	const struct cast_rect *ra = a, *rb = b;

	return (ra->y > rb->y) - (ra->y < rb->y);
}

/*
 * Sorts `r` and folds it into at most MAX_BANDS bounding boxes of rows that
 * are close together; returns their number. Bands never share a row.
 */
static int merge_bands(struct cast_rect *r, int n, struct cast_rect *band)
{
	int nb = 0;

	qsort(r, (size_t)n, sizeof(*r), by_y);
	for (int i = 0; i < n; i++) {
		if (nb && r[i].y <= band[nb - 1].y + band[nb - 1].h + BAND_GAP)
			band[nb - 1] = rect_union(&band[nb - 1], &r[i]);
		else if (nb < MAX_BANDS)
			band[nb++] = r[i];
		else
			band[nb - 1] = rect_union(&band[nb - 1], &r[i]);
	}
	return nb;
}

/* Blends the premultiplied ARGB pointer image onto the picture. */
static void blend_cursor(struct x11 *x, const uint32_t *img, int iw,
                         const struct cast_rect *dst, int sx, int sy)
{
	for (int j = 0; j < dst->h; j++) {
		const uint32_t *s = img + (size_t)(sy + j) * iw + sx;
		uint8_t *d = x->pic + (size_t)(dst->y + j) * x->stride +
		             (size_t)dst->x * 4;

		for (int i = 0; i < dst->w; i++, d += 4) {
			uint32_t p = s[i], a = p >> 24, k = 255 - a;

			if (!a)
				continue;
			d[0] = (uint8_t)((p & 0xff) + (d[0] * k + 127) / 255);
			d[1] =
			    (uint8_t)((p >> 8 & 0xff) + (d[1] * k + 127) / 255);
			d[2] = (uint8_t)((p >> 16 & 0xff) +
			                 (d[2] * k + 127) / 255);
		}
	}
}

/* Reads the events that arrived; notes damage. */
static void poll_events(struct x11 *x)
{
	xcb_generic_event_t *ev;

	while ((ev = xcb_poll_for_event(x->conn))) {
		if ((ev->response_type & 0x7f) == x->damage_event)
			x->damaged = true;
		free(ev);
	}
}

/* Gets the damage since the last call, in region coordinates. */
static int take_damage(struct x11 *x, struct cast_rect *r, int max)
{
	xcb_xfixes_fetch_region_reply_t *reply;
	xcb_rectangle_t *xr;
	int n = 0, len;

	xcb_damage_subtract(x->conn, x->damage, XCB_NONE, x->region);
	reply = xcb_xfixes_fetch_region_reply(
	    x->conn, xcb_xfixes_fetch_region(x->conn, x->region), NULL);
	if (!reply)
		return CAST_EEXTERNAL;
	xr = xcb_xfixes_fetch_region_rectangles(reply);
	len = xcb_xfixes_fetch_region_rectangles_length(reply);
	for (int i = 0; i < len; i++) {
		struct cast_rect c = {xr[i].x - x->x, xr[i].y - x->y,
		                      xr[i].width, xr[i].height};

		if (!clip(&c, x->w, x->h))
			continue;
		if (n < max)
			r[n++] = c;
		else
			r[max - 1] = rect_union(&r[max - 1], &c);
	}
	free(reply);
	return n;
}

static void fill_excluded(struct x11 *x);

static int x11_grab(void *priv, struct cast_frame *f)
{
	/* Room for the damage plus the old and new pointer rects. */
	struct cast_rect r[CAST_FRAME_MAX_DAMAGE * 4 + 2], band[MAX_BANDS];
	xcb_xfixes_get_cursor_image_reply_t *ci = NULL;
	struct x11 *x = priv;
	struct cast_rect cur = {0, 0, 0, 0};
	bool full = x->first || !x->use_damage, moved = false, cur_on = false;
	int n = 0, nb, err = 0, sx = 0, sy = 0;

	if (xcb_connection_has_error(x->conn)) {
		cast_log(CAST_LOG_ERROR, "x11", "connection to X lost");
		return CAST_EEXTERNAL;
	}
	if (x->draw_cursor) {
		/*
		 * The round trip also guarantees that every DamageNotify sent
		 * before it is in our queue when poll_events() runs.
		 */
		ci = xcb_xfixes_get_cursor_image_reply(
		    x->conn, xcb_xfixes_get_cursor_image(x->conn), NULL);
		if (ci) {
			int px = ci->x - ci->xhot, py = ci->y - ci->yhot;

			cur = (struct cast_rect){px - x->x, py - x->y,
			                         ci->width, ci->height};
			sx = cur.x < 0 ? -cur.x : 0;
			sy = cur.y < 0 ? -cur.y : 0;
			cur_on = clip(&cur, x->w, x->h);
			moved =
			    cur_on != (x->cur.w > 0) ||
			    (cur_on && (px != x->cur_px || py != x->cur_py ||
			                ci->cursor_serial != x->cur_serial));
			/* Also where an earlier failed grab left it drawn. */
			moved = moved || cur.x != x->cur.x ||
			        cur.y != x->cur.y || cur.w != x->cur.w ||
			        cur.h != x->cur.h;
			x->cur_px = px;
			x->cur_py = py;
			x->cur_serial = ci->cursor_serial;
		} else {
			/* Unknown pointer: at least take the old one away. */
			moved = x->cur.w > 0;
		}
	}
	if (x->use_damage) {
		poll_events(x);
		if (x->first) {
			/* Start from a clean slate: all is read now anyway. */
			xcb_damage_subtract(x->conn, x->damage, XCB_NONE,
			                    XCB_NONE);
			x->damaged = false;
		} else if (x->damaged) {
			x->damaged = false;
			n = take_damage(x, r, CAST_FRAME_MAX_DAMAGE * 4);
			if (n < 0) {
				err = n;
				goto out;
			}
		}
	}

	memset(f, 0, sizeof(*f));
	f->fmt = CAST_PIX_BGRA;
	f->width = x->w;
	f->height = x->h;
	f->data[0] = x->pic;
	f->stride[0] = x->stride;

	if (full) {
		err = fetch_rows(x, 0, x->h);
		if (err)
			goto out;
		f->n_damage = -1;
	} else {
		if (moved && cur_on)
			r[n++] = cur;
		/* The old pointer is in our buffer: re-read under it. */
		if ((moved || n) && x->cur.w > 0)
			r[n++] = x->cur;
		if (!n) {
			f->capture_us = cast_now_us();
			goto out;
		}
		if (n <= CAST_FRAME_MAX_DAMAGE)
			memcpy(f->damage, r, sizeof(*r) * (size_t)n);
		nb = merge_bands(r, n, band);
		for (int i = 0; i < nb && !err; i++)
			err = fetch_rows(x, band[i].y, band[i].h);
		if (err)
			goto out;
		if (n <= CAST_FRAME_MAX_DAMAGE) {
			f->n_damage = n;
		} else {
			f->n_damage = nb;
			memcpy(f->damage, band, sizeof(*band) * (size_t)nb);
		}
	}
	x->cur = cur_on ? cur : (struct cast_rect){0, 0, 0, 0};
	if (cur_on)
		blend_cursor(x, xcb_xfixes_get_cursor_image_cursor_image(ci),
		             ci->width, &cur, sx, sy);
	fill_excluded(x);
	x->first = false;
	f->capture_us = cast_now_us();
	err = 1;
out:
	free(ci);
	return err;
}

/* The excluded rectangles, flat dark grey (over the pointer too). */
static void fill_excluded(struct x11 *x)
{
	for (int i = 0; i < x->n_excl; i++) {
		const struct cast_rect *r = &x->excl[i];

		for (int y = r->y; y < r->y + r->h; y++) {
			uint32_t *p = (uint32_t *)(x->pic + (size_t)y * x->stride) +
			              r->x;

			for (int k = 0; k < r->w; k++)
				p[k] = 0xff303030;
		}
	}
}

static void x11_exclude(void *priv, const struct cast_rect *r, int n)
{
	struct x11 *x = priv;

	x->n_excl = 0;
	for (int i = 0; i < n && i < CAST_CAPTURE_EXCLUDE_MAX; i++) {
		struct cast_rect c = {r[i].x - x->x, r[i].y - x->y, r[i].w,
		                      r[i].h};

		if (clip(&c, x->w, x->h))
			x->excl[x->n_excl++] = c;
	}
	/* Read everything again: what was left out shows again. */
	x->first = true;
}

const struct cast__capture_backend cast__capture_x11 = {
    .exclude = x11_exclude,
    .name = "x11",
    .probe = x11_probe,
    .open = x11_open,
    .grab = x11_grab,
    .close = x11_close,
};
