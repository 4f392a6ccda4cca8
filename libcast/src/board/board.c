/* Whiteboard model: pages, items, undo/redo, eraser, pointer input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "board/board_int.h"
#include "cast/error.h"
#include "cast/log.h"
#include "core/core_int.h"

static const char *const tool_names[CAST_BOARD_TOOLS] = {
    "pen", "highlighter", "line", "arrow", "rect", "ellipse", "text", "eraser"};
static const char *const bg_names[] = {"overlay", "white", "black", "grid"};

const char *cast__board_tool_name(enum cast_board_tool t)
{
	return (unsigned)t < CAST_BOARD_TOOLS ? tool_names[t] : "?";
}

int cast__board_tool_of(const char *name)
{
	for (int i = 0; i < CAST_BOARD_TOOLS; i++)
		if (!strcmp(name, tool_names[i]))
			return i;
	return CAST_ERROR(EINVAL);
}

const char *cast__board_bg_name(enum cast_board_bg bg)
{
	return (unsigned)bg < 4 ? bg_names[bg] : "?";
}

int cast__board_bg_of(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, bg_names[i]))
			return i;
	return CAST_ERROR(EINVAL);
}

void cast_board_cfg_init(struct cast_board_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->width = 1920;
	cfg->height = 1080;
}

void cast_board_style_init(struct cast_board_style *st,
                           enum cast_board_tool tool)
{
	st->tool = tool;
	st->color = 0xe01b24;
	st->width = 4;
	st->opacity = 1;
	st->size = 36;
	if (tool == CAST_BOARD_HIGHLIGHTER) {
		st->color = 0xf6d32d;
		st->width = 24;
		st->opacity = 0.4;
	} else if (tool == CAST_BOARD_ERASER) {
		st->width = 24;
	}
}

static bool style_ok(const struct cast_board_style *st)
{
	return st && (unsigned)st->tool < CAST_BOARD_TOOLS &&
	       st->color <= 0xffffff && st->width >= 0.5 &&
	       st->width <= CAST_BOARD_MAX_WIDTH && st->opacity >= 0 &&
	       st->opacity <= 1 && st->size >= 4 &&
	       st->size <= CAST_BOARD_MAX_SIZE;
}

static void page_init(struct board_page *p, enum cast_board_bg bg)
{
	memset(p, 0, sizeof(*p));
	p->bg = bg;
}

int cast_board_new(struct cast_board **out, const struct cast_board_cfg *cfg)
{
	struct cast_board *b;
	struct cast_board_cfg def;

	if (!cfg) {
		cast_board_cfg_init(&def);
		cfg = &def;
	}
	if (!out || cfg->width < 2 || cfg->height < 2 || cfg->width > 16384 ||
	    cfg->height > 16384)
		return CAST_ERROR(EINVAL);
	b = calloc(1, sizeof(*b));
	if (!b)
		return CAST_ERROR(ENOMEM);
	b->pages = calloc(1, sizeof(*b->pages));
	if (!b->pages) {
		free(b);
		return CAST_ERROR(ENOMEM);
	}
	b->cfg = *cfg;
	b->n_pages = 1;
	b->version = 1;
	page_init(&b->pages[0], CAST_BOARD_BG_OVERLAY);
	cast_board_style_init(&b->style, CAST_BOARD_PEN);
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	*out = b;
	return 0;
}

void cast__board_item_free(struct board_item *it)
{
	if (!it)
		return;
	free(it->xy);
	free(it->text);
	free(it);
}

/* Frees a step; `on_undo` says which stack it was on (who owns what). */
static void action_free(struct action *a, bool on_undo)
{
	bool owns = on_undo ? a->kind == ACT_REMOVE : a->kind == ACT_ADD;

	if (owns)
		for (int i = 0; i < a->n; i++)
			cast__board_item_free(a->items[i]);
	free(a->items);
	free(a->idx);
	memset(a, 0, sizeof(*a));
}

static void page_free(struct board_page *p)
{
	for (int i = 0; i < p->n; i++)
		cast__board_item_free(p->items[i]);
	for (int i = 0; i < p->n_undo; i++)
		action_free(&p->undo[i], true);
	for (int i = 0; i < p->n_redo; i++)
		action_free(&p->redo[i], false);
	free(p->items);
	free(p->undo);
	free(p->redo);
	memset(p, 0, sizeof(*p));
}

void cast__board_free_pages(struct board_page *pages, int n)
{
	for (int i = 0; i < n; i++)
		page_free(&pages[i]);
	free(pages);
}

void cast_board_free(struct cast_board **pb)
{
	struct cast_board *b = pb ? *pb : NULL;

	if (!b)
		return;
	cast__board_worker_stop(b);
	cast__board_free_pages(b->pages, b->n_pages);
	cast__board_item_free(b->live);
	free(b->comp.layer);
	free(b->comp.out[0]);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
	*pb = NULL;
}

void cast__board_touch_all(struct cast_board *b)
{
	b->dirty = true;
	b->dirty_all = true;
	b->version++;
	b->st.changed_at = atomic_load(&b->frames);
}

/* Marks an item's area changed (lock held). */
static void touch_item(struct cast_board *b, const struct board_item *it)
{
	double x0, y0, x1, y1;

	cast__board_item_box(it, b->cfg.width, b->cfg.height, &x0, &y0, &x1,
	                     &y1);
	x0 /= b->cfg.width;
	x1 /= b->cfg.width;
	y0 /= b->cfg.height;
	y1 /= b->cfg.height;
	if (!b->dirty) {
		b->dx0 = x0;
		b->dy0 = y0;
		b->dx1 = x1;
		b->dy1 = y1;
	} else {
		b->dx0 = fmin(b->dx0, x0);
		b->dy0 = fmin(b->dy0, y0);
		b->dx1 = fmax(b->dx1, x1);
		b->dy1 = fmax(b->dy1, y1);
	}
	b->dirty = true;
	b->version++;
	b->st.changed_at = atomic_load(&b->frames);
}

int cast_board_set_size(struct cast_board *b, int w, int h)
{
	if (w < 2 || h < 2 || w > 16384 || h > 16384)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&b->lock);
	b->cfg.width = w;
	b->cfg.height = h;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void cast_board_set_on(struct cast_board *b, bool on)
{
	pthread_mutex_lock(&b->lock);
	if (b->on != on) {
		b->on = on;
		cast__board_touch_all(b);
	}
	pthread_mutex_unlock(&b->lock);
}

bool cast_board_on(const struct cast_board *b)
{
	return b->on;
}

int cast_board_set_style(struct cast_board *b,
                         const struct cast_board_style *st)
{
	if (!style_ok(st))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&b->lock);
	b->style = *st;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void cast_board_style(struct cast_board *b, struct cast_board_style *st)
{
	pthread_mutex_lock(&b->lock);
	*st = b->style;
	pthread_mutex_unlock(&b->lock);
}

static struct board_item *item_new(const struct cast_board_style *st)
{
	struct board_item *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	it->tool = st->tool;
	it->color = st->color;
	it->width = (float)st->width;
	it->opacity = (float)st->opacity;
	it->size = (float)st->size;
	return it;
}

static int item_push(struct board_item *it, double x, double y)
{
	float *xy;

	if (it->n >= CAST_BOARD_MAX_POINTS)
		return CAST_ERROR(ENOSPC);
	xy = realloc(it->xy, (size_t)(it->n + 1) * 2 * sizeof(*xy));
	if (!xy)
		return CAST_ERROR(ENOMEM);
	it->xy = xy;
	xy[2 * it->n] = (float)x;
	xy[2 * it->n + 1] = (float)y;
	it->n++;
	return 0;
}

static struct board_page *cur_page(struct cast_board *b)
{
	return &b->pages[b->cur];
}

/* Pushes a step on the page's undo stack, dropping the redo stack and, when
 * full, the oldest step. Takes the step's arrays. */
static int push_action(struct board_page *p, struct action *a)
{
	struct action *u;

	for (int i = 0; i < p->n_redo; i++)
		action_free(&p->redo[i], false);
	p->n_redo = 0;
	if (p->n_undo == CAST_BOARD_UNDO) {
		action_free(&p->undo[0], true);
		memmove(p->undo, p->undo + 1,
		        (size_t)(p->n_undo - 1) * sizeof(*p->undo));
		p->n_undo--;
	}
	if (!p->undo) {
		u = calloc(CAST_BOARD_UNDO, sizeof(*u));
		if (!u)
			return CAST_ERROR(ENOMEM);
		p->undo = u;
	}
	p->undo[p->n_undo++] = *a;
	return 0;
}

static int page_reserve(struct board_page *p, int n)
{
	struct board_item **v;
	int cap;

	if (n <= p->cap)
		return 0;
	cap = p->cap ? p->cap * 2 : 16;
	while (cap < n)
		cap *= 2;
	v = realloc(p->items, (size_t)cap * sizeof(*v));
	if (!v)
		return CAST_ERROR(ENOMEM);
	p->items = v;
	p->cap = cap;
	return 0;
}

/* Appends a finished item to the current page as one undo step (lock
 * held); the item is the page's (or freed) afterwards. */
static int add_item(struct cast_board *b, struct board_item *it)
{
	struct board_page *p = cur_page(b);
	struct action a = {ACT_ADD, 1, NULL, NULL};
	int err;

	if (p->n >= CAST_BOARD_MAX_ITEMS ||
	    b->total_points + it->n > CAST_BOARD_MAX_TOTAL_POINTS) {
		err = CAST_ERROR(ENOSPC);
		goto out;
	}
	err = page_reserve(p, p->n + 1);
	if (err)
		goto out;
	a.items = malloc(sizeof(*a.items));
	if (!a.items) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	a.items[0] = it;
	err = push_action(p, &a);
	if (err) {
		free(a.items);
		goto out;
	}
	p->items[p->n++] = it;
	b->total_points += it->n;
	touch_item(b, it);
	return 0;
out:
	cast__board_item_free(it);
	return err;
}

/* Distance from (px,py) to the segment a-b. */
static double seg_dist(double px, double py, double ax, double ay, double bx,
                       double by)
{
	double dx = bx - ax, dy = by - ay, l = dx * dx + dy * dy, t = 0;

	if (l > 0) {
		t = ((px - ax) * dx + (py - ay) * dy) / l;
		t = t < 0 ? 0 : t > 1 ? 1 : t;
	}
	return hypot(px - ax - t * dx, py - ay - t * dy);
}

/* Whether the point (pixels of w x h) is within r of the item. */
static bool item_hit(const struct board_item *it, double px, double py,
                     double r, int w, int h)
{
	double k = h / BOARD_REF_H, x0, y0, x1, y1, cx, cy, rx, ry;
	double tol = r + it->width * k / 2;
	const float *v = it->xy;

	switch (it->tool) {
	case CAST_BOARD_PEN:
	case CAST_BOARD_HIGHLIGHTER:
		if (it->n == 1)
			return hypot(px - v[0] * w, py - v[1] * h) <= tol;
		for (int i = 1; i < it->n; i++)
			if (seg_dist(px, py, v[2 * i - 2] * w, v[2 * i - 1] * h,
			             v[2 * i] * w, v[2 * i + 1] * h) <= tol)
				return true;
		return false;
	case CAST_BOARD_LINE:
	case CAST_BOARD_ARROW:
		return seg_dist(px, py, v[0] * w, v[1] * h,
		                v[2 * it->n - 2] * w,
		                v[2 * it->n - 1] * h) <= tol;
	case CAST_BOARD_RECT:
		x0 = v[0] * w;
		y0 = v[1] * h;
		x1 = v[2 * it->n - 2] * w;
		y1 = v[2 * it->n - 1] * h;
		return seg_dist(px, py, x0, y0, x1, y0) <= tol ||
		       seg_dist(px, py, x1, y0, x1, y1) <= tol ||
		       seg_dist(px, py, x1, y1, x0, y1) <= tol ||
		       seg_dist(px, py, x0, y1, x0, y0) <= tol;
	case CAST_BOARD_ELLIPSE:
		cx = (v[0] + v[2 * it->n - 2]) * w / 2;
		cy = (v[1] + v[2 * it->n - 1]) * h / 2;
		rx = fabs(v[2 * it->n - 2] - v[0]) * w / 2;
		ry = fabs(v[2 * it->n - 1] - v[1]) * h / 2;
		for (int i = 0; i < 64; i++) {
			double a0 = i * M_PI / 32, a1 = (i + 1) * M_PI / 32;

			if (seg_dist(px, py, cx + rx * cos(a0),
			             cy + ry * sin(a0), cx + rx * cos(a1),
			             cy + ry * sin(a1)) <= tol)
				return true;
		}
		return false;
	case CAST_BOARD_TEXT:
		cast__board_item_box(it, w, h, &x0, &y0, &x1, &y1);
		return px >= x0 - r && px <= x1 + r && py >= y0 - r &&
		       py <= y1 + r;
	default:
		return false;
	}
}

/* Removes the items the eraser path touches, as one step (lock held).
 * Returns the number removed. */
static int erase(struct cast_board *b, const struct board_item *er)
{
	struct board_page *p = cur_page(b);
	struct action a = {ACT_REMOVE, 0, NULL, NULL};
	int w = b->cfg.width, h = b->cfg.height, keep = 0, err;
	double r = fmax(er->width / 2, 2) * h / BOARD_REF_H;

	if (!p->n)
		return 0;
	a.items = malloc((size_t)p->n * sizeof(*a.items));
	a.idx = malloc((size_t)p->n * sizeof(*a.idx));
	if (!a.items || !a.idx) {
		free(a.items);
		free(a.idx);
		return CAST_ERROR(ENOMEM);
	}
	for (int i = 0; i < p->n; i++) {
		bool hit = false;

		/* Walk the eraser's path in steps of half its radius. */
		for (int j = 0; j < er->n && !hit; j++) {
			double ax = er->xy[2 * j] * w,
			       ay = er->xy[2 * j + 1] * h;
			double bx = j + 1 < er->n ? er->xy[2 * j + 2] * w : ax;
			double by = j + 1 < er->n ? er->xy[2 * j + 3] * h : ay;
			int steps = (int)fmin(
			    hypot(bx - ax, by - ay) / fmax(r / 2, 1), 4096);

			for (int s = 0; s <= steps && !hit; s++) {
				double t = steps ? (double)s / steps : 0;

				hit = item_hit(p->items[i], ax + t * (bx - ax),
				               ay + t * (by - ay), r, w, h);
			}
		}
		if (hit) {
			a.items[a.n] = p->items[i];
			a.idx[a.n++] = i;
		} else {
			p->items[keep++] = p->items[i];
		}
	}
	if (!a.n) {
		free(a.items);
		free(a.idx);
		return 0;
	}
	p->n = keep;
	err = push_action(p, &a);
	for (int i = 0; i < a.n; i++) {
		b->total_points -= a.items[i]->n;
		touch_item(b, a.items[i]);
	}
	if (err) {
		/* Nothing can undo it: the items go. */
		for (int i = 0; i < a.n; i++)
			cast__board_item_free(a.items[i]);
		free(a.items);
		free(a.idx);
		return err;
	}
	return a.n;
}

/* Puts REMOVE'd items back at their places (ascending indices). */
static void reinsert(struct cast_board *b, struct board_page *p,
                     const struct action *a)
{
	for (int i = 0; i < a->n; i++) {
		int at = a->idx[i];

		memmove(p->items + at + 1, p->items + at,
		        (size_t)(p->n - at) * sizeof(*p->items));
		p->items[at] = a->items[i];
		p->n++;
		b->total_points += a->items[i]->n;
		touch_item(b, a->items[i]);
	}
}

/* Takes REMOVE'd items off again (descending, so indices hold). */
static void retake(struct cast_board *b, struct board_page *p,
                   const struct action *a)
{
	for (int i = a->n - 1; i >= 0; i--) {
		int at = a->idx[i];

		memmove(p->items + at, p->items + at + 1,
		        (size_t)(p->n - at - 1) * sizeof(*p->items));
		p->n--;
		b->total_points -= a->items[i]->n;
		touch_item(b, a->items[i]);
	}
}

int cast_board_undo(struct cast_board *b)
{
	struct board_page *p;
	struct action a;
	int err = 0;

	pthread_mutex_lock(&b->lock);
	p = cur_page(b);
	if (!p->n_undo) {
		err = CAST_ERROR(ENOENT);
		goto out;
	}
	if (!p->redo) {
		p->redo = calloc(CAST_BOARD_UNDO, sizeof(*p->redo));
		if (!p->redo) {
			err = CAST_ERROR(ENOMEM);
			goto out;
		}
	}
	if (page_reserve(p, p->n + p->undo[p->n_undo - 1].n)) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	a = p->undo[--p->n_undo];
	if (a.kind == ACT_ADD) {
		/* Steps undo in order: the item added is the last one. */
		p->n--;
		b->total_points -= a.items[0]->n;
		touch_item(b, a.items[0]);
	} else {
		reinsert(b, p, &a);
	}
	p->redo[p->n_redo++] = a;
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_redo(struct cast_board *b)
{
	struct board_page *p;
	struct action a;
	int err = 0;

	pthread_mutex_lock(&b->lock);
	p = cur_page(b);
	if (!p->n_redo) {
		err = CAST_ERROR(ENOENT);
		goto out;
	}
	if (page_reserve(p, p->n + 1)) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	a = p->redo[--p->n_redo];
	if (a.kind == ACT_ADD) {
		p->items[p->n++] = a.items[0];
		b->total_points += a.items[0]->n;
		touch_item(b, a.items[0]);
	} else {
		retake(b, p, &a);
	}
	/* The undo stack has room: this step came from it. */
	p->undo[p->n_undo++] = a;
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_clear(struct cast_board *b)
{
	struct board_page *p;
	struct action a = {ACT_REMOVE, 0, NULL, NULL};
	int err = 0;

	pthread_mutex_lock(&b->lock);
	p = cur_page(b);
	if (!p->n)
		goto out;
	a.items = malloc((size_t)p->n * sizeof(*a.items));
	a.idx = malloc((size_t)p->n * sizeof(*a.idx));
	if (!a.items || !a.idx) {
		free(a.items);
		free(a.idx);
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	for (int i = 0; i < p->n; i++) {
		a.items[i] = p->items[i];
		a.idx[i] = i;
		b->total_points -= p->items[i]->n;
	}
	a.n = p->n;
	err = push_action(p, &a);
	if (err) {
		free(a.items);
		free(a.idx);
		goto out;
	}
	p->n = 0;
	cast__board_touch_all(b);
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_page_new(struct cast_board *b, enum cast_board_bg bg)
{
	struct board_page *v;
	int r;

	if ((unsigned)bg > CAST_BOARD_BG_GRID)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&b->lock);
	if (b->n_pages >= CAST_BOARD_MAX_PAGES) {
		r = CAST_ERROR(ENOSPC);
		goto out;
	}
	v = realloc(b->pages, (size_t)(b->n_pages + 1) * sizeof(*v));
	if (!v) {
		r = CAST_ERROR(ENOMEM);
		goto out;
	}
	b->pages = v;
	page_init(&v[b->n_pages], bg);
	r = b->cur = b->n_pages++;
	cast__board_item_free(b->live);
	b->live = NULL;
	cast__board_touch_all(b);
out:
	pthread_mutex_unlock(&b->lock);
	return r;
}

int cast_board_page_set(struct cast_board *b, int i)
{
	int err = 0;

	pthread_mutex_lock(&b->lock);
	if (i < 0 || i >= b->n_pages) {
		err = CAST_ERROR(ERANGE);
	} else if (i != b->cur) {
		b->cur = i;
		cast__board_item_free(b->live);
		b->live = NULL;
		cast__board_touch_all(b);
	}
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_page(struct cast_board *b, int *n)
{
	int cur;

	pthread_mutex_lock(&b->lock);
	cur = b->cur;
	if (n)
		*n = b->n_pages;
	pthread_mutex_unlock(&b->lock);
	return cur;
}

int cast_board_page_bg(struct cast_board *b, enum cast_board_bg bg)
{
	if ((unsigned)bg > CAST_BOARD_BG_GRID)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&b->lock);
	if (cur_page(b)->bg != bg) {
		cur_page(b)->bg = bg;
		cast__board_touch_all(b);
	}
	pthread_mutex_unlock(&b->lock);
	return 0;
}

int cast_board_items(struct cast_board *b)
{
	int n;

	pthread_mutex_lock(&b->lock);
	n = cur_page(b)->n;
	pthread_mutex_unlock(&b->lock);
	return n;
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Finishes an item (lock held): shapes keep their first and last point; an
 * eraser erases. Takes `it`. */
static int finish(struct cast_board *b, struct board_item *it)
{
	int r;

	if (it->tool == CAST_BOARD_ERASER) {
		r = erase(b, it);
		cast__board_item_free(it);
		return r;
	}
	if (it->tool != CAST_BOARD_PEN && it->tool != CAST_BOARD_HIGHLIGHTER &&
	    it->n > 2) {
		it->xy[2] = it->xy[2 * it->n - 2];
		it->xy[3] = it->xy[2 * it->n - 1];
		it->n = 2;
	}
	return add_item(b, it);
}

int cast_board_draw(struct cast_board *b, const struct cast_board_style *st,
                    const double *xy, int n, bool pixels)
{
	struct board_item *it;
	double sx = pixels ? b->cfg.width : 1, sy = pixels ? b->cfg.height : 1;
	int err;

	if (!style_ok(st) || st->tool == CAST_BOARD_TEXT || !xy ||
	    n < (st->tool == CAST_BOARD_ERASER ? 1 : 2))
		return CAST_ERROR(EINVAL);
	if (n > CAST_BOARD_MAX_POINTS)
		return CAST_ERROR(ENOSPC);
	for (int i = 0; i < 2 * n; i++) {
		double v = xy[i] / (i % 2 ? sy : sx);

		if (!(v >= 0 && v <= 1))
			return CAST_ERROR(EINVAL);
	}
	it = item_new(st);
	if (!it)
		return CAST_ERROR(ENOMEM);
	it->xy = malloc((size_t)n * 2 * sizeof(*it->xy));
	if (!it->xy) {
		cast__board_item_free(it);
		return CAST_ERROR(ENOMEM);
	}
	for (int i = 0; i < n; i++) {
		it->xy[2 * i] = (float)(xy[2 * i] / sx);
		it->xy[2 * i + 1] = (float)(xy[2 * i + 1] / sy);
	}
	it->n = n;
	pthread_mutex_lock(&b->lock);
	err = finish(b, it);
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_text(struct cast_board *b, const struct cast_board_style *st,
                    double x, double y, const char *text)
{
	struct cast_board_style s;
	struct board_item *it;
	size_t len;
	int err;

	if (!style_ok(st) || !text || !(x >= 0 && x <= 1) ||
	    !(y >= 0 && y <= 1))
		return CAST_ERROR(EINVAL);
	len = strlen(text);
	if (!len || len > CAST_BOARD_MAX_TEXT)
		return CAST_ERROR(len ? E2BIG : EINVAL);
	/* What cannot be saved is not drawn. */
	if (!cast__utf8_valid((const uint8_t *)text, len))
		return CAST_ERROR(EINVAL);
	s = *st;
	s.tool = CAST_BOARD_TEXT;
	it = item_new(&s);
	if (!it || !(it->text = strdup(text)) || item_push(it, x, y)) {
		cast__board_item_free(it);
		return CAST_ERROR(ENOMEM);
	}
	pthread_mutex_lock(&b->lock);
	err = add_item(b, it);
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_pointer_down(struct cast_board *b, double x, double y)
{
	struct board_item *it;
	int err = 0;

	if (!isfinite(x) || !isfinite(y))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&b->lock);
	if (b->style.tool == CAST_BOARD_TEXT)
		goto out;
	cast__board_item_free(b->live);
	b->live = NULL;
	it = item_new(&b->style);
	if (!it || item_push(it, clamp01(x), clamp01(y))) {
		cast__board_item_free(it);
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	b->live = it;
	touch_item(b, it);
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_pointer_move(struct cast_board *b, double x, double y)
{
	struct board_item *it;
	double dx, dy, min;
	int err = 0;

	if (!isfinite(x) || !isfinite(y))
		return CAST_ERROR(EINVAL);
	x = clamp01(x);
	y = clamp01(y);
	pthread_mutex_lock(&b->lock);
	it = b->live;
	if (!it)
		goto out;
	dx = (x - it->xy[2 * it->n - 2]) * b->cfg.width;
	dy = (y - it->xy[2 * it->n - 1]) * b->cfg.height;
	/* Freehand: points closer than 1.5 px add jitter, not shape. */
	min = 1.5 * b->cfg.height / BOARD_REF_H;
	if (hypot(dx, dy) < min)
		goto out;
	if (it->tool == CAST_BOARD_PEN || it->tool == CAST_BOARD_HIGHLIGHTER ||
	    it->tool == CAST_BOARD_ERASER) {
		err = item_push(it, x, y);
		/* Only the stroke's end changes: the new point bends the
		 * curve back to the point before last. */
		if (!err) {
			struct board_item tail = *it;
			int k = it->n < 4 ? it->n : 4;

			tail.xy = it->xy + 2 * (it->n - k);
			tail.n = k;
			touch_item(b, &tail);
		}
	} else {
		touch_item(b, it); /* the old extent: shapes shrink too */
		if (it->n < 2) {
			err = item_push(it, x, y);
		} else {
			it->xy[2] = (float)x;
			it->xy[3] = (float)y;
		}
		touch_item(b, it);
	}
out:
	pthread_mutex_unlock(&b->lock);
	return err;
}

int cast_board_pointer_up(struct cast_board *b, double x, double y)
{
	struct board_item *it;
	int err;

	err = cast_board_pointer_move(b, x, y);
	if (err && err != CAST_ERROR(ENOSPC))
		return err;
	pthread_mutex_lock(&b->lock);
	it = b->live;
	b->live = NULL;
	if (!it) {
		err = 0;
		goto out;
	}
	touch_item(b, it);
	/* A click with a shape tool draws nothing. */
	if (it->n < 2 && it->tool != CAST_BOARD_PEN &&
	    it->tool != CAST_BOARD_HIGHLIGHTER &&
	    it->tool != CAST_BOARD_ERASER) {
		cast__board_item_free(it);
		err = 0;
		goto out;
	}
	err = finish(b, it);
out:
	pthread_mutex_unlock(&b->lock);
	return err < 0 ? err : 0;
}

void cast_board_stats(struct cast_board *b, struct cast_board_stats *st)
{
	pthread_mutex_lock(&b->lock);
	*st = b->st;
	st->composited = atomic_load(&b->frames);
	st->version = b->version;
	pthread_mutex_unlock(&b->lock);
}
