/* Whiteboard rendering with cairo (anti-aliased) and pango (text); export. */
#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board/board_int.h"
#include "cast/error.h"
#include "cast/log.h"
#include "core/core_int.h"

static PangoLayout *text_layout(cairo_t *cr, const struct board_item *it,
                                double k)
{
	PangoLayout *l = pango_cairo_create_layout(cr);
	PangoFontDescription *fd;

	fd = pango_font_description_from_string("Sans");
	pango_font_description_set_absolute_size(fd,
	                                         it->size * k * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_text(l, it->text, -1);
	return l;
}

void cast__board_item_box(const struct board_item *it, int w, int h, double *x0,
                          double *y0, double *x1, double *y1)
{
	double k = h / BOARD_REF_H, m;

	*x0 = *x1 = it->xy[0] * w;
	*y0 = *y1 = it->xy[1] * h;
	if (it->tool == CAST_BOARD_TEXT) {
		cairo_surface_t *s;
		cairo_t *cr;
		PangoLayout *l;
		int tw = 0, th = 0;

		s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
		cr = cairo_create(s);
		l = text_layout(cr, it, k);
		pango_layout_get_pixel_size(l, &tw, &th);
		g_object_unref(l);
		cairo_destroy(cr);
		cairo_surface_destroy(s);
		*x1 += tw;
		*y1 += th;
		m = 2;
	} else {
		for (int i = 1; i < it->n; i++) {
			*x0 = fmin(*x0, it->xy[2 * i] * w);
			*x1 = fmax(*x1, it->xy[2 * i] * w);
			*y0 = fmin(*y0, it->xy[2 * i + 1] * h);
			*y1 = fmax(*y1, it->xy[2 * i + 1] * h);
		}
		/* Half the width, the arrow's head, anti-aliasing. */
		m = it->width * k * (it->tool == CAST_BOARD_ARROW ? 3 : 0.5) +
		    2;
		if (it->tool == CAST_BOARD_ARROW)
			m += 12 * k;
	}
	*x0 -= m;
	*y0 -= m;
	*x1 += m;
	*y1 += m;
}

/* A smooth curve through the points (Catmull-Rom as cubic Béziers). */
static void freehand_path(cairo_t *cr, const float *v, int n, int w, int h)
{
	cairo_move_to(cr, v[0] * w, v[1] * h);
	if (n == 1) {
		cairo_line_to(cr, v[0] * w, v[1] * h);
		return;
	}
	for (int i = 0; i + 1 < n; i++) {
		int a = i ? i - 1 : 0, d = i + 2 < n ? i + 2 : n - 1;
		double x1 = v[2 * i] * w, y1 = v[2 * i + 1] * h;
		double x2 = v[2 * i + 2] * w, y2 = v[2 * i + 3] * h;
		double x0 = v[2 * a] * w, y0 = v[2 * a + 1] * h;
		double x3 = v[2 * d] * w, y3 = v[2 * d + 1] * h;

		cairo_curve_to(cr, x1 + (x2 - x0) / 6, y1 + (y2 - y0) / 6,
		               x2 - (x3 - x1) / 6, y2 - (y3 - y1) / 6, x2, y2);
	}
}

static void draw_item(cairo_t *cr, const struct board_item *it, int w, int h)
{
	double k = h / BOARD_REF_H, lw = it->width * k;
	const float *v = it->xy;
	double x0 = v[0] * w, y0 = v[1] * h;
	double x1 = v[2 * it->n - 2] * w, y1 = v[2 * it->n - 1] * h;
	bool group = it->opacity < 1;

	cairo_save(cr);
	/* Drawn whole then faded, so a stroke crossing itself stays even;
	 * the group only as large as the item. */
	if (group) {
		double bx0, by0, bx1, by1;

		cast__board_item_box(it, w, h, &bx0, &by0, &bx1, &by1);
		cairo_rectangle(cr, floor(bx0), floor(by0), ceil(bx1 - bx0) + 1,
		                ceil(by1 - by0) + 1);
		cairo_clip(cr);
		cairo_push_group(cr);
	}
	cairo_set_source_rgb(cr, (it->color >> 16 & 255) / 255.0,
	                     (it->color >> 8 & 255) / 255.0,
	                     (it->color & 255) / 255.0);
	cairo_set_line_width(cr, lw);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	switch (it->tool) {
	case CAST_BOARD_PEN:
		freehand_path(cr, v, it->n, w, h);
		cairo_stroke(cr);
		break;
	case CAST_BOARD_HIGHLIGHTER:
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
		freehand_path(cr, v, it->n, w, h);
		cairo_stroke(cr);
		break;
	case CAST_BOARD_ERASER:
		/* Only while dragging: where it will erase. */
		cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, 0.5);
		freehand_path(cr, v, it->n, w, h);
		cairo_stroke(cr);
		break;
	case CAST_BOARD_LINE:
		cairo_move_to(cr, x0, y0);
		cairo_line_to(cr, x1, y1);
		cairo_stroke(cr);
		break;
	case CAST_BOARD_ARROW: {
		double a = atan2(y1 - y0, x1 - x0), hl = lw * 3 + 12 * k;

		cairo_move_to(cr, x0, y0);
		cairo_line_to(cr, x1 - cos(a) * hl * 0.5,
		              y1 - sin(a) * hl * 0.5);
		cairo_stroke(cr);
		cairo_move_to(cr, x1, y1);
		cairo_line_to(cr, x1 - hl * cos(a - 0.45),
		              y1 - hl * sin(a - 0.45));
		cairo_line_to(cr, x1 - hl * cos(a + 0.45),
		              y1 - hl * sin(a + 0.45));
		cairo_close_path(cr);
		cairo_fill(cr);
		break;
	}
	case CAST_BOARD_RECT:
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
		cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
		cairo_rectangle(cr, fmin(x0, x1), fmin(y0, y1), fabs(x1 - x0),
		                fabs(y1 - y0));
		cairo_stroke(cr);
		break;
	case CAST_BOARD_ELLIPSE:
		if (fabs(x1 - x0) < 1 || fabs(y1 - y0) < 1) {
			cairo_move_to(cr, x0, y0);
			cairo_line_to(cr, x1, y1);
		} else {
			cairo_save(cr);
			cairo_translate(cr, (x0 + x1) / 2, (y0 + y1) / 2);
			cairo_scale(cr, fabs(x1 - x0) / 2, fabs(y1 - y0) / 2);
			cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
			cairo_restore(cr);
		}
		cairo_stroke(cr);
		break;
	case CAST_BOARD_TEXT: {
		PangoLayout *l = text_layout(cr, it, k);

		cairo_move_to(cr, x0, y0);
		pango_cairo_show_layout(cr, l);
		g_object_unref(l);
		break;
	}
	default:
		break;
	}
	if (group) {
		cairo_pop_group_to_source(cr);
		cairo_paint_with_alpha(cr, it->opacity);
	}
	cairo_restore(cr);
}

static void draw_background(cairo_t *cr, enum cast_board_bg bg, int w, int h)
{
	double step;

	if (bg == CAST_BOARD_BG_OVERLAY)
		return;
	if (bg == CAST_BOARD_BG_BLACK)
		cairo_set_source_rgb(cr, 0, 0, 0);
	else
		cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	if (bg != CAST_BOARD_BG_GRID)
		return;
	/* 40 px squares of a 1080-line page. */
	step = 40 * h / BOARD_REF_H;
	cairo_set_source_rgb(cr, 0.82, 0.86, 0.92);
	cairo_set_line_width(cr, fmax(1, h / BOARD_REF_H));
	for (double x = step; x < w; x += step) {
		cairo_move_to(cr, floor(x) + 0.5, 0);
		cairo_line_to(cr, floor(x) + 0.5, h);
	}
	for (double y = step; y < h; y += step) {
		cairo_move_to(cr, 0, floor(y) + 0.5);
		cairo_line_to(cr, w, floor(y) + 0.5);
	}
	cairo_stroke(cr);
}

int cast__board_draw_page(const struct board_page *p, struct _cairo *cr, int w,
                          int h, bool background)
{
	if (background)
		draw_background(cr, p->bg, w, h);
	for (int i = 0; i < p->n; i++)
		draw_item(cr, p->items[i], w, h);
	return cairo_status(cr) ? CAST_EEXTERNAL : 0;
}

int cast_board_render(struct cast_board *b, int page, uint8_t *argb, int w,
                      int h, int stride)
{
	cairo_surface_t *s;
	cairo_t *cr;
	int err;

	if (!b || !argb || w < 1 || h < 1 || w > 16384 || h > 16384 ||
	    stride < 4 * w)
		return CAST_ERROR(EINVAL);
	s = cairo_image_surface_create_for_data(argb, CAIRO_FORMAT_ARGB32, w, h,
	                                        stride);
	if (cairo_surface_status(s)) {
		cairo_surface_destroy(s);
		return CAST_EEXTERNAL;
	}
	cr = cairo_create(s);
	cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
	cairo_paint(cr);
	cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
	pthread_mutex_lock(&b->lock);
	if (page < 0)
		page = b->cur;
	if (page >= b->n_pages) {
		err = CAST_ERROR(ERANGE);
	} else {
		err = cast__board_draw_page(&b->pages[page], cr, w, h, true);
		if (!err && b->live && page == b->cur)
			draw_item(cr, b->live, w, h);
	}
	pthread_mutex_unlock(&b->lock);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	cairo_surface_destroy(s);
	return err;
}

/* Bytes cairo writes, gathered in memory then written atomically. */
struct membuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static cairo_status_t mem_write(void *arg, const unsigned char *data,
                                unsigned int len)
{
	struct membuf *m = arg;

	if (m->n + len > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 65536;
		char *p;

		while (cap < m->n + len)
			cap *= 2;
		p = realloc(m->p, cap);
		if (!p) {
			m->oom = true;
			return CAIRO_STATUS_NO_MEMORY;
		}
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->n, data, len);
	m->n += len;
	return CAIRO_STATUS_SUCCESS;
}

/* Exports a parsed copy of the board (no lock: the copy is ours). */
static int export_pages(const struct board_page *pages, int n,
                        const char *png_dir, const char *pdf_path, int w, int h)
{
	struct membuf m = {0};
	cairo_surface_t *s;
	cairo_t *cr;
	char path[4096];
	int err = 0;

	for (int i = 0; png_dir && i < n && !err; i++) {
		s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
		cr = cairo_create(s);
		err = cast__board_draw_page(&pages[i], cr, w, h, true);
		cairo_destroy(cr);
		m.n = 0;
		if (!err && cairo_surface_write_to_png_stream(s, mem_write, &m))
			err = m.oom ? CAST_ERROR(ENOMEM) : CAST_EEXTERNAL;
		cairo_surface_destroy(s);
		if (!err && snprintf(path, sizeof(path), "%s/page-%03d.png",
		                     png_dir, i + 1) >= (int)sizeof(path))
			err = CAST_ERROR(ENAMETOOLONG);
		if (!err)
			err = cast__write_atomic(path, m.p, m.n);
	}
	if (pdf_path && !err) {
		/* 96 pixels an inch: a 1920x1080 page is 1440x810 points. */
		double pw = w * 0.75, ph = h * 0.75;

		m.n = 0;
		s = cairo_pdf_surface_create_for_stream(mem_write, &m, pw, ph);
		cr = cairo_create(s);
		cairo_scale(cr, 0.75, 0.75);
		for (int i = 0; i < n && !err; i++) {
			/* An overlay page prints on white paper. */
			if (pages[i].bg == CAST_BOARD_BG_OVERLAY) {
				cairo_set_source_rgb(cr, 1, 1, 1);
				cairo_paint(cr);
			}
			err = cast__board_draw_page(&pages[i], cr, w, h, true);
			cairo_show_page(cr);
		}
		cairo_destroy(cr);
		cairo_surface_finish(s);
		if (!err && cairo_surface_status(s))
			err = m.oom ? CAST_ERROR(ENOMEM) : CAST_EEXTERNAL;
		cairo_surface_destroy(s);
		if (!err)
			err = cast__write_atomic(pdf_path, m.p, m.n);
	}
	free(m.p);
	return err;
}

int cast_board_export(struct cast_board *b, const char *png_dir,
                      const char *pdf_path, int w, int h)
{
	struct board_page *pages = NULL;
	char *text;
	long total;
	int n = 0, cur, err;

	if (!b || (!png_dir && !pdf_path) || w < 0 || h < 0 || w > 8192 ||
	    h > 8192)
		return CAST_ERROR(EINVAL);
	if (!w || !h) {
		w = b->cfg.width;
		h = b->cfg.height;
	}
	/* A copy through the file format: the board stays free meanwhile. */
	text = cast_board_save_string(b);
	if (!text)
		return CAST_ERROR(ENOMEM);
	err = cast__board_parse(text, strlen(text), &pages, &n, &cur, &total,
	                        NULL, 0);
	free(text);
	if (err)
		return err;
	err = export_pages(pages, n, png_dir, pdf_path, w, h);
	cast__board_free_pages(pages, n);
	if (err)
		cast_log(CAST_LOG_ERROR, OBJ, "export: %s", cast_strerror(err));
	return err ? err : n;
}
