/* `ctl board …`: the whiteboard scriptable from the teacher's control socket.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board/board_int.h"
#include "cast/error.h"
#include "cast/log.h"
#include "cast/stats.h"

enum job_kind { JOB_SAVE, JOB_OPEN, JOB_EXPORT };

struct board_job {
	enum job_kind kind;
	uint64_t req;
	char *path, *png, *pdf;
	int w, h;
	struct board_job *next;
};

static void style_json(struct cast_json *j, const struct cast_board_style *s)
{
	char color[8];

	snprintf(color, sizeof(color), "#%06x", s->color & 0xffffff);
	cast_json_obj(j, "style");
	cast_json_str(j, "tool", cast__board_tool_name(s->tool));
	cast_json_str(j, "color", color);
	cast_json_num(j, "width", s->width);
	cast_json_num(j, "opacity", s->opacity);
	cast_json_num(j, "size", s->size);
	cast_json_end(j);
}

/* The board's state, with `extra` (may be NULL) first. */
static char *state(struct cast_board *b, const char *key, int64_t v)
{
	struct cast_json j;
	struct board_page *p;

	cast_json_begin(&j);
	cast_json_bool(&j, "ok", true);
	if (key)
		cast_json_int(&j, key, v);
	pthread_mutex_lock(&b->lock);
	p = &b->pages[b->cur];
	cast_json_bool(&j, "on", b->on);
	cast_json_int(&j, "page", b->cur + 1);
	cast_json_int(&j, "pages", b->n_pages);
	cast_json_str(&j, "background", cast__board_bg_name(p->bg));
	cast_json_int(&j, "items", p->n);
	cast_json_int(&j, "undo", p->n_undo);
	cast_json_int(&j, "redo", p->n_redo);
	cast_json_int(&j, "points", b->total_points);
	style_json(&j, &b->style);
	/* The picture number that first carries the last change. */
	cast_json_int(&j, "frame", (int64_t)b->st.changed_at);
	cast_json_int(&j, "composited", (int64_t)atomic_load(&b->frames));
	cast_json_int(&j, "renders", (int64_t)b->st.renders);
	cast_json_int(&j, "width", b->cfg.width);
	cast_json_int(&j, "height", b->cfg.height);
	pthread_mutex_unlock(&b->lock);
	cast_json_end(&j);
	return cast_json_take(&j);
}

char *cast_board_state_json(struct cast_board *b)
{
	return state(b, NULL, 0);
}

/* The value of key=… among the words, or NULL. */
static const char *arg(int argc, char **argv, const char *key)
{
	size_t k = strlen(key);

	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, k) && argv[i][k] == '=')
			return argv[i] + k + 1;
	return NULL;
}

static int num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (*end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int color_of(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s[0] == '#')
		s++;
	if (strlen(s) != 6 || strspn(s, "0123456789abcdefABCDEF") != 6)
		return -1;
	v = strtoul(s, &end, 16);
	*out = (uint32_t)v;
	return 0;
}

/* Reads tool= color= width= opacity= size= over `st`; NULL or a message. */
static const char *style_args(int argc, char **argv,
                              struct cast_board_style *st)
{
	const char *v;
	int t;

	if ((v = arg(argc, argv, "tool"))) {
		t = cast__board_tool_of(v);
		if (t < 0)
			return "tool= is one of pen, highlighter, line, arrow, "
			       "rect, ellipse, text, eraser";
		cast_board_style_init(st, (enum cast_board_tool)t);
	}
	if ((v = arg(argc, argv, "color")) && color_of(v, &st->color))
		return "color= is #RRGGBB";
	if ((v = arg(argc, argv, "width")) &&
	    num(v, 0.5, CAST_BOARD_MAX_WIDTH, &st->width))
		return "width= is 0.5..200 (pixels of a 1080-line page)";
	if ((v = arg(argc, argv, "opacity")) && num(v, 0, 1, &st->opacity))
		return "opacity= is 0..1";
	if ((v = arg(argc, argv, "size")) &&
	    num(v, 4, CAST_BOARD_MAX_SIZE, &st->size))
		return "size= is 4..400 (pixels of a 1080-line page)";
	return NULL;
}

/* "x,y;x,y;…" into a malloc'd array of pairs. */
static int points_of(const char *s, double **out)
{
	double *xy;
	int n = 1, i = 0;
	char *end;

	for (const char *p = s; *p; p++)
		n += *p == ';';
	if (n > CAST_BOARD_MAX_POINTS)
		return CAST_ERROR(E2BIG);
	xy = malloc((size_t)n * 2 * sizeof(*xy));
	if (!xy)
		return CAST_ERROR(ENOMEM);
	while (i < n) {
		xy[2 * i] = strtod(s, &end);
		if (end == s || *end != ',')
			goto bad;
		s = end + 1;
		xy[2 * i + 1] = strtod(s, &end);
		if (end == s || (*end != ';' && *end))
			goto bad;
		if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
			goto bad;
		i++;
		s = *end ? end + 1 : end;
		if (!*end)
			break;
	}
	if (i != n || *s)
		goto bad;
	*out = xy;
	return n;
bad:
	free(xy);
	return CAST_ERROR(EINVAL);
}

static int units_px(int argc, char **argv, bool *px)
{
	const char *u = arg(argc, argv, "units");

	*px = u && !strcmp(u, "px");
	return !u || *px || !strcmp(u, "norm") ? 0 : -1;
}

static char *cmd_draw(struct cast_board *b, int argc, char **argv)
{
	struct cast_board_style st;
	const char *why, *pts = arg(argc, argv, "points");
	double *xy = NULL;
	bool px;
	int n, r;

	cast_board_style(b, &st);
	why = style_args(argc, argv, &st);
	if (why)
		return cast_json_error("draw: %s", why);
	if (st.tool == CAST_BOARD_TEXT)
		return cast_json_error("draw: text is written with `board text`");
	if (units_px(argc, argv, &px))
		return cast_json_error(
		    "draw: units= is norm (0..1, default) or px");
	if (!pts)
		return cast_json_error("draw needs points=x,y;x,y;…");
	n = points_of(pts, &xy);
	if (n < 0)
		return cast_json_error("draw: points= %s",
		                   n == CAST_ERROR(E2BIG)
		                       ? "has over 10000 points"
		                       : "is x,y;x,y;… numbers");
	r = cast_board_draw(b, &st, xy, n, px);
	free(xy);
	if (r == CAST_ERROR(EINVAL))
		return cast_json_error("draw: points outside the page (%s) or too "
		                   "few for %s",
		                   px ? "0..width, 0..height" : "0..1",
		                   cast__board_tool_name(st.tool));
	if (r < 0)
		return cast_json_error("draw: %s", r == CAST_ERROR(ENOSPC)
		                                   ? "the page is full"
		                                   : cast_strerror(r));
	return state(b, st.tool == CAST_BOARD_ERASER ? "erased" : NULL, r);
}

static char *cmd_text(struct cast_board *b, int argc, char **argv)
{
	struct cast_board_style st;
	const char *why, *text = arg(argc, argv, "text");
	double x, y;
	bool px;
	int r;

	cast_board_style(b, &st);
	if (!arg(argc, argv, "tool"))
		st.tool = CAST_BOARD_TEXT;
	why = style_args(argc, argv, &st);
	if (why)
		return cast_json_error("text: %s", why);
	if (units_px(argc, argv, &px))
		return cast_json_error(
		    "text: units= is norm (0..1, default) or px");
	if (!text || num(arg(argc, argv, "x"), 0, px ? b->cfg.width : 1, &x) ||
	    num(arg(argc, argv, "y"), 0, px ? b->cfg.height : 1, &y))
		return cast_json_error("text needs x= y= on the page and text=");
	if (px) {
		x /= b->cfg.width;
		y /= b->cfg.height;
	}
	r = cast_board_text(b, &st, x, y, text);
	if (r < 0)
		return cast_json_error("text: %s", r == CAST_ERROR(E2BIG)
		                                   ? "over 4096 bytes"
		                               : r == CAST_ERROR(ENOSPC)
		                                   ? "the page is full"
		                                   : "empty or not valid");
	return state(b, NULL, 0);
}

static char *cmd_page(struct cast_board *b, int argc, char **argv)
{
	const char *w = argc > 2 ? argv[2] : "";
	int cur, n, bg, r;
	double v;

	cur = cast_board_page(b, &n);
	if (!strcmp(w, "new")) {
		const char *k = argc > 3 ? argv[3] : "overlay";

		bg = !strcmp(k, "blank") ? CAST_BOARD_BG_WHITE
		                         : cast__board_bg_of(k);
		if (bg < 0)
			return cast_json_error("page new [overlay|blank|white|"
			                   "black|grid]");
		r = cast_board_page_new(b, (enum cast_board_bg)bg);
		if (r < 0)
			return cast_json_error("page new: at most %d pages",
			                   CAST_BOARD_MAX_PAGES);
		return state(b, NULL, 0);
	}
	if (!strncmp(w, "bg=", 3)) {
		bg = !strcmp(w + 3, "blank") ? CAST_BOARD_BG_WHITE
		                             : cast__board_bg_of(w + 3);
		if (bg < 0)
			return cast_json_error("page bg= is overlay, blank, white, "
			                   "black or grid");
		cast_board_page_bg(b, (enum cast_board_bg)bg);
		return state(b, NULL, 0);
	}
	if (!strcmp(w, "next"))
		r = cast_board_page_set(b, cur + 1);
	else if (!strcmp(w, "prev"))
		r = cast_board_page_set(b, cur - 1);
	else if (!num(w, 1, CAST_BOARD_MAX_PAGES, &v) && v == floor(v))
		r = cast_board_page_set(b, (int)v - 1);
	else
		return cast_json_error("page new [bg]|next|prev|N|bg=BG");
	if (r)
		return cast_json_error("page: no such page (there are %d)", n);
	return state(b, NULL, 0);
}

/* Runs a save, open or export; the answer as JSON. */
static char *run_job(struct cast_board *b, const struct board_job *jb)
{
	char why[256];
	int r;

	switch (jb->kind) {
	case JOB_SAVE:
		r = cast_board_save(b, jb->path);
		if (r)
			return cast_json_error("save %s: %s", jb->path,
			                   cast_strerror(r));
		return state(b, NULL, 0);
	case JOB_OPEN:
		r = cast_board_open(b, jb->path, why, sizeof(why));
		if (r)
			return cast_json_error("open: %s",
			                   why[0] ? why : cast_strerror(r));
		return state(b, NULL, 0);
	default:
		r = cast_board_export(b, jb->png, jb->pdf, jb->w, jb->h);
		if (r < 0)
			return cast_json_error("export: %s", cast_strerror(r));
		return state(b, "exported", r);
	}
}

static void job_free(struct board_job *jb)
{
	if (!jb)
		return;
	free(jb->path);
	free(jb->png);
	free(jb->pdf);
	free(jb);
}

static void *worker(void *arg)
{
	struct cast_board *b = arg;
	struct board_job *jb;
	char *reply;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (!b->jobs && !b->stopping)
			pthread_cond_wait(&b->cond, &b->lock);
		if (!b->jobs)
			break;
		jb = b->jobs;
		b->jobs = jb->next;
		pthread_mutex_unlock(&b->lock);
		reply = run_job(b, jb);
		/* Not under the board's lock: the control plane may hold its
		 * own while it calls cast_board_ctl. cast_board_set_ctl(NULL)
		 * joins this thread before the control plane goes. */
		if (b->ctl)
			cast_teacher_ctl_answer(
			    b->ctl, jb->req, reply ? reply : "{\"ok\":false}");
		free(reply);
		job_free(jb);
		pthread_mutex_lock(&b->lock);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

void cast_board_set_ctl(struct cast_board *b, struct cast_teacher_ctl *ctl)
{
	/* The worker answers through the old control plane: finish first. */
	if (!ctl)
		cast__board_worker_stop(b);
	pthread_mutex_lock(&b->lock);
	b->ctl = ctl;
	b->stopping = false;
	pthread_mutex_unlock(&b->lock);
}

void cast__board_worker_stop(struct cast_board *b)
{
	struct board_job *jb;

	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (b->worker_running)
		pthread_join(b->worker, NULL);
	b->worker_running = false;
	while ((jb = b->jobs)) {
		b->jobs = jb->next;
		job_free(jb);
	}
}

/* Queues a job for the worker, or runs it now without a control plane. */
static char *submit(struct cast_board *b, struct board_job *jb)
{
	struct board_job **tail;
	char *reply;
	int err = 0;

	pthread_mutex_lock(&b->lock);
	if (!b->ctl) {
		pthread_mutex_unlock(&b->lock);
		reply = run_job(b, jb);
		job_free(jb);
		return reply;
	}
	if (!b->worker_running) {
		err = pthread_create(&b->worker, NULL, worker, b);
		b->worker_running = !err;
	}
	if (!err) {
		for (tail = &b->jobs; *tail; tail = &(*tail)->next)
			;
		*tail = jb;
		pthread_cond_signal(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
	if (err) {
		job_free(jb);
		return cast_json_error("no worker: %s",
		                   cast_strerror(CAST_ERROR(err)));
	}
	return CAST_CTL_LATER;
}

/* Paths over ctl are the teacher's own, and absolute: the client's working
 * directory is not the teacher's. */
static bool path_ok(const char *p)
{
	return p && p[0] == '/' && strlen(p) < 4000;
}

static char *cmd_file(struct cast_board *b, const char *verb, int argc,
                      char **argv, uint64_t req)
{
	struct board_job *jb = calloc(1, sizeof(*jb));
	const char *p = arg(argc, argv, "path"), *png = arg(argc, argv, "png");
	const char *pdf = arg(argc, argv, "pdf"),
	           *size = arg(argc, argv, "size");

	if (!jb)
		return NULL;
	jb->req = req;
	if (!strcmp(verb, "export")) {
		jb->kind = JOB_EXPORT;
		if ((!png && !pdf) || (png && !path_ok(png)) ||
		    (pdf && !path_ok(pdf))) {
			job_free(jb);
			return cast_json_error("export needs png=/abs/dir and/or "
			                   "pdf=/abs/file.pdf [size=WxH]");
		}
		if (size &&
		    (sscanf(size, "%dx%d", &jb->w, &jb->h) != 2 || jb->w < 16 ||
		     jb->h < 16 || jb->w > 8192 || jb->h > 8192)) {
			job_free(jb);
			return cast_json_error("export: size= is WxH, 16..8192");
		}
		jb->png = png ? strdup(png) : NULL;
		jb->pdf = pdf ? strdup(pdf) : NULL;
		if ((png && !jb->png) || (pdf && !jb->pdf)) {
			job_free(jb);
			return NULL;
		}
	} else {
		jb->kind = !strcmp(verb, "save") ? JOB_SAVE : JOB_OPEN;
		if (!path_ok(p)) {
			job_free(jb);
			return cast_json_error("%s needs path=/absolute/file",
			                   verb);
		}
		jb->path = strdup(p);
		if (!jb->path) {
			job_free(jb);
			return NULL;
		}
	}
	return submit(b, jb);
}

char *cast_board_ctl(int argc, char **argv, uint64_t req, void *arg_)
{
	struct cast_board *b = arg_;
	const char *v = argc > 1 ? argv[1] : "";
	struct cast_board_style st;
	const char *why;
	int r;

	if (!b)
		return NULL;
	if (argc < 2)
		return state(b, NULL, 0);
	if (!strcmp(v, "on") || !strcmp(v, "off")) {
		cast_board_set_on(b, !strcmp(v, "on"));
		return state(b, NULL, 0);
	}
	if (!strcmp(v, "page"))
		return cmd_page(b, argc, argv);
	if (!strcmp(v, "draw"))
		return cmd_draw(b, argc, argv);
	if (!strcmp(v, "text"))
		return cmd_text(b, argc, argv);
	if (!strcmp(v, "style")) {
		cast_board_style(b, &st);
		why = style_args(argc, argv, &st);
		if (why || cast_board_set_style(b, &st))
			return cast_json_error("style: %s", why ? why : "invalid");
		return state(b, NULL, 0);
	}
	if (!strcmp(v, "undo") || !strcmp(v, "redo")) {
		r = !strcmp(v, "undo") ? cast_board_undo(b)
		                       : cast_board_redo(b);
		if (r)
			return cast_json_error("%s: nothing to %s", v, v);
		return state(b, NULL, 0);
	}
	if (!strcmp(v, "clear")) {
		r = cast_board_clear(b);
		if (r)
			return cast_json_error("clear: %s", cast_strerror(r));
		return state(b, NULL, 0);
	}
	if (!strcmp(v, "save") || !strcmp(v, "open") || !strcmp(v, "export"))
		return cmd_file(b, v, argc, argv, req);
	return cast_json_error("board: unknown %.40s (on, off, page, style, draw, "
	                   "text, undo, redo, clear, save, open, export)",
	                   v);
}
