/* The whiteboard blended into the broadcast picture before conversion. */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "board/board_int.h"
#include "cast/error.h"
#include "cast/log.h"

/* Renders the current page and the item being drawn into the layer (lock
 * held): the whole layer, or only `clip` (pixels) when it is not NULL. The
 * box of the drawn pixels is found on a whole render and grown by a
 * partial one. */
static int render_layer(struct cast_board *b, const struct cast_rect *area)
{
	struct board_comp *c = &b->comp;
	const struct board_page *p = &b->pages[b->cur];
	cairo_surface_t *s;
	cairo_t *cr;
	int err, x0 = c->w, y0 = c->h, x1 = -1, y1 = -1;

	s = cairo_image_surface_create_for_data(c->layer, CAIRO_FORMAT_ARGB32,
	                                        c->w, c->h, c->w * 4);
	cr = cairo_create(s);
	if (area) {
		cairo_rectangle(cr, area->x, area->y, area->w, area->h);
		cairo_clip(cr);
	}
	cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
	cairo_paint(cr);
	cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
	err = cast__board_draw_page(p, cr, c->w, c->h, true);
	if (b->live) {
		struct board_page one = {.items = &b->live, .n = 1};

		cast__board_draw_page(&one, cr, c->w, c->h, false);
	}
	cairo_destroy(cr);
	cairo_surface_flush(s);
	cairo_surface_destroy(s);
	b->st.renders++;
	c->blank = p->bg != CAST_BOARD_BG_OVERLAY;
	if (c->blank) {
		c->bbox = (struct cast_rect){0, 0, c->w, c->h};
		return err;
	}
	if (area) {
		x0 = c->bbox.w ? c->bbox.x : area->x;
		y0 = c->bbox.w ? c->bbox.y : area->y;
		x1 = c->bbox.w ? c->bbox.x + c->bbox.w : area->x + area->w;
		y1 = c->bbox.w ? c->bbox.y + c->bbox.h : area->y + area->h;
		x0 = area->x < x0 ? area->x : x0;
		y0 = area->y < y0 ? area->y : y0;
		x1 = area->x + area->w > x1 ? area->x + area->w : x1;
		y1 = area->y + area->h > y1 ? area->y + area->h : y1;
		c->bbox = (struct cast_rect){x0, y0, x1 - x0, y1 - y0};
		return err;
	}
	/* Blending only where something is drawn keeps an annotated
	 * screen nearly as cheap as a bare one. */
	for (int y = 0; y < c->h; y++) {
		const uint32_t *row =
		    (const uint32_t *)(c->layer + (size_t)y * c->w * 4);
		int l = -1, r = -1;

		for (int x = 0; x < c->w; x++)
			if (row[x]) {
				l = x;
				break;
			}
		if (l < 0)
			continue;
		for (int x = c->w - 1; x >= l; x--)
			if (row[x]) {
				r = x;
				break;
			}
		x0 = l < x0 ? l : x0;
		x1 = r > x1 ? r : x1;
		y0 = y < y0 ? y : y0;
		y1 = y;
	}
	c->bbox = x1 < 0 ? (struct cast_rect){0, 0, 0, 0}
	                 : (struct cast_rect){x0, y0, x1 - x0 + 1, y1 - y0 + 1};
	return err;
}

static int comp_alloc(struct board_comp *c, const struct cast_frame *f)
{
	size_t n = (size_t)f->width * f->height;

	free(c->layer);
	free(c->out[0]);
	c->out[0] = c->out[1] = c->out[2] = NULL;
	c->w = f->width;
	c->h = f->height;
	c->fmt = f->fmt;
	c->valid = false;
	c->layer = malloc(n * 4);
	if (f->fmt == CAST_PIX_BGRA) {
		c->out[0] = malloc(n * 4);
		c->stride[0] = f->width * 4;
	} else {
		/* Chroma of an odd size rounds up, as libav's does. */
		size_t cw = (size_t)(f->width + 1) / 2;
		size_t ch = (size_t)(f->height + 1) / 2;

		c->out[0] = malloc(n + 2 * cw * ch);
		c->stride[0] = f->width;
		c->stride[1] = c->stride[2] = (int)cw;
		if (c->out[0]) {
			c->out[1] = c->out[0] + n;
			c->out[2] = c->out[1] + cw * ch;
		}
	}
	c->layer_version = 0;
	if (!c->layer || !c->out[0]) {
		free(c->layer);
		free(c->out[0]);
		c->layer = c->out[0] = NULL;
		c->w = c->h = 0;
		return CAST_ERROR(ENOMEM);
	}
	return 0;
}

static inline uint8_t mul255(unsigned x, unsigned a)
{
	unsigned t = x * a + 128;

	return (uint8_t)((t + (t >> 8)) >> 8);
}

/* Copies the source's rectangle and blends the layer over it (BGRA). */
static void bgra_rect(struct board_comp *c, const struct cast_frame *f,
                      struct cast_rect r)
{
	for (int y = r.y; y < r.y + r.h; y++) {
		uint8_t *o = c->out[0] + (size_t)y * c->stride[0] + r.x * 4;
		const uint8_t *l = c->layer + ((size_t)y * c->w + r.x) * 4;

		if (c->blank) {
			memcpy(o, l, (size_t)r.w * 4);
			continue;
		}
		memcpy(o, f->data[0] + (size_t)y * f->stride[0] + r.x * 4,
		       (size_t)r.w * 4);
		if (y < c->bbox.y || y >= c->bbox.y + c->bbox.h)
			continue;
		for (int x = r.x; x < r.x + r.w; x++, o += 4, l += 4) {
			unsigned a = l[3];

			if (!a)
				continue;
			/* Premultiplied OVER. */
			o[0] = (uint8_t)(l[0] + mul255(o[0], 255 - a));
			o[1] = (uint8_t)(l[1] + mul255(o[1], 255 - a));
			o[2] = (uint8_t)(l[2] + mul255(o[2], 255 - a));
			o[3] = 255;
		}
	}
}

/* The same for I420: BT.601 limited range, chroma from 2x2 averages. */
static void i420_rect(struct board_comp *c, const struct cast_frame *f,
                      struct cast_rect r)
{
	for (int y = r.y; y < r.y + r.h; y++) {
		uint8_t *o = c->out[0] + (size_t)y * c->stride[0];
		const uint8_t *l = c->layer + (size_t)y * c->w * 4;

		if (!c->blank)
			memcpy(o + r.x,
			       f->data[0] + (size_t)y * f->stride[0] + r.x,
			       (size_t)r.w);
		for (int x = r.x; x < r.x + r.w; x++) {
			const uint8_t *p = l + x * 4;
			unsigned a = p[3];
			int yl;

			if (!a && !c->blank)
				continue;
			yl = (66 * p[2] + 129 * p[1] + 25 * p[0] +
			      16 * 256 * a / 255 + 128) >>
			     8;
			o[x] = (uint8_t)(yl + mul255(o[x], 255 - a));
		}
	}
	for (int y = r.y / 2; y < (r.y + r.h + 1) / 2; y++) {
		for (int pl = 1; pl <= 2; pl++) {
			uint8_t *o = c->out[pl] + (size_t)y * c->stride[pl];

			if (!c->blank)
				memcpy(o + r.x / 2,
				       f->data[pl] + (size_t)y * f->stride[pl] +
				           r.x / 2,
				       (size_t)((r.x + r.w + 1) / 2 - r.x / 2));
		}
		for (int x = r.x / 2; x < (r.x + r.w + 1) / 2; x++) {
			int sr = 0, sg = 0, sb = 0, sa = 0;
			uint8_t *u = c->out[1] + (size_t)y * c->stride[1] + x;
			uint8_t *v = c->out[2] + (size_t)y * c->stride[2] + x;

			for (int k = 0; k < 4; k++) {
				int ly = 2 * y + k / 2, lx = 2 * x + k % 2;
				const uint8_t *p;

				ly = ly < c->h ? ly : c->h - 1;
				lx = lx < c->w ? lx : c->w - 1;
				p = c->layer + ((size_t)ly * c->w + lx) * 4;

				sb += p[0];
				sg += p[1];
				sr += p[2];
				sa += p[3];
			}
			if (!sa && !c->blank)
				continue;
			sr /= 4;
			sg /= 4;
			sb /= 4;
			sa /= 4;
			*u = (uint8_t)(((-38 * sr - 74 * sg + 112 * sb +
			                 128 * 256 * sa / 255 + 128) >>
			                8) +
			               mul255(*u, 255 - (unsigned)sa));
			*v = (uint8_t)(((112 * sr - 94 * sg - 18 * sb +
			                 128 * 256 * sa / 255 + 128) >>
			                8) +
			               mul255(*v, 255 - (unsigned)sa));
		}
	}
}

/* Clips to the picture; I420 rectangles grow to even edges. */
static bool clip(struct cast_rect *r, const struct board_comp *c)
{
	int x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
	int x1 = r->x + r->w > c->w ? c->w : r->x + r->w;
	int y1 = r->y + r->h > c->h ? c->h : r->y + r->h;

	if (c->fmt == CAST_PIX_I420) {
		x0 &= ~1;
		y0 &= ~1;
		x1 = (x1 + 1) & ~1;
		y1 = (y1 + 1) & ~1;
		x1 = x1 > c->w ? c->w : x1;
		y1 = y1 > c->h ? c->h : y1;
	}
	*r = (struct cast_rect){x0, y0, x1 - x0, y1 - y0};
	return r->w > 0 && r->h > 0;
}

static void update(struct board_comp *c, const struct cast_frame *f,
                   struct cast_rect r)
{
	if (!clip(&r, c))
		return;
	if (c->fmt == CAST_PIX_BGRA)
		bgra_rect(c, f, r);
	else
		i420_rect(c, f, r);
}

int cast_board_composite(struct cast_frame *f, int changed, void *arg)
{
	struct cast_board *b = arg;
	struct board_comp *c = &b->comp;
	struct cast_rect rects[CAST_FRAME_MAX_DAMAGE];
	struct cast_rect br = {0, 0, 0, 0};
	bool full, board_changed;
	uint64_t frame;
	int n = 0, err = 0;

	frame = atomic_fetch_add(&b->frames, 1);
	if (!atomic_load(&b->on)) {
		if (!c->was_on)
			return changed;
		/* Turned off: the bare picture goes out whole once. */
		c->was_on = false;
		c->valid = false;
		f->n_damage = -1;
		return 1;
	}
	if (f->fmt != CAST_PIX_BGRA && f->fmt != CAST_PIX_I420)
		return CAST_ERROR(ENOTSUP);
	if (c->w != f->width || c->h != f->height || c->fmt != f->fmt ||
	    !c->layer) {
		err = comp_alloc(c, f);
		if (err)
			return err;
	}
	pthread_mutex_lock(&b->lock);
	b->st.composited = frame + 1;
	full = !c->valid || !c->was_on || b->dirty_all;
	board_changed = full || b->dirty;
	if (!full && b->dirty) {
		br =
		    (struct cast_rect){(int)floor(b->dx0 * c->w) - 1,
		                       (int)floor(b->dy0 * c->h) - 1,
		                       (int)ceil((b->dx1 - b->dx0) * c->w) + 3,
		                       (int)ceil((b->dy1 - b->dy0) * c->h) + 3};
		clip(&br, c);
	}
	if (c->layer_version != b->version) {
		/* A stroke re-renders its own box, not the picture. */
		bool part =
		    c->layer_version && !b->dirty_all && b->dirty && br.w > 0;

		err = render_layer(b, part ? &br : NULL);
		c->layer_version = b->version;
	}
	b->dirty = b->dirty_all = false;
	pthread_mutex_unlock(&b->lock);
	if (err)
		return err;
	c->was_on = true;
	/* A blank page hides the source: only the board's changes count. */
	if (!c->blank && changed && f->n_damage < 0)
		full = true;
	if (full) {
		update(c, f, (struct cast_rect){0, 0, c->w, c->h});
		c->valid = true;
		f->n_damage = -1;
	} else {
		if (!c->blank && changed) {
			for (int i = 0;
			     i < f->n_damage && n < CAST_FRAME_MAX_DAMAGE; i++)
				rects[n++] = f->damage[i];
		}
		if (br.w > 0 && br.h > 0) {
			if (n < CAST_FRAME_MAX_DAMAGE)
				rects[n++] = br;
			else
				rects[0] = (struct cast_rect){0, 0, c->w, c->h};
		}
		for (int i = 0; i < n; i++)
			update(c, f, rects[i]);
		f->n_damage = n;
		for (int i = 0; i < n; i++) {
			clip(&rects[i], c);
			f->damage[i] = rects[i];
		}
	}
	for (int i = 0; i < 3; i++) {
		f->data[i] = c->out[i];
		f->stride[i] = c->stride[i];
	}
	if (!board_changed && (c->blank || !changed))
		return 0;
	return 1;
}
