/* Whiteboard internals shared by the model, renderer, file and compositor. */
#ifndef CAST_BOARD_INT_H
#define CAST_BOARD_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "cast/board.h"
#include "cast/control.h"

#define OBJ "board"
/* Widths and sizes are in pixels of a page this many lines high. */
#define BOARD_REF_H 1080.0

struct board_item {
	enum cast_board_tool tool; /* never ERASER */
	uint32_t color;
	float width, opacity, size;
	int n;      /* points */
	float *xy;  /* 2n, normalised */
	char *text; /* TEXT only */
};

enum action_kind { ACT_ADD, ACT_REMOVE };

/*
 * One undo step. ADD: `items[0]` was appended. REMOVE: `items` were taken
 * from the positions `idx` (ascending), by an eraser or a clear. An item
 * off the page belongs to the step that took it off: REMOVE steps on the
 * undo stack and ADD steps on the redo stack own theirs.
 */
struct action {
	enum action_kind kind;
	int n;
	struct board_item **items;
	int *idx;
};

struct board_page {
	enum cast_board_bg bg;
	struct board_item **items;
	int n, cap;
	struct action *undo, *redo;
	int n_undo, n_redo;
};

/* The compositor's state, used on the sender's thread only. */
struct board_comp {
	uint8_t *layer;  /* ARGB32 premultiplied, w x h */
	uint8_t *out[3]; /* the picture sent while on */
	int stride[3];
	enum cast_pixfmt fmt;
	int w, h;
	uint64_t layer_version; /* of the board the layer shows */
	bool valid;             /* out holds a whole picture */
	bool was_on;
	bool blank;            /* the layer replaces the picture */
	struct cast_rect bbox; /* the layer's drawn pixels */
};

struct cast_board {
	pthread_mutex_t lock;
	struct cast_board_cfg cfg;
	atomic_bool on;
	struct board_page *pages;
	int n_pages, cur;
	long total_points;
	struct cast_board_style style;
	struct board_item *live; /* being drawn with the pointer */
	uint64_t version;        /* bumped by every visible change */
	_Atomic uint64_t frames; /* pictures handed to the compositor */
	/* Changed area since the compositor last looked, normalised;
	 * dirty_all: everything. */
	bool dirty, dirty_all;
	double dx0, dy0, dx1, dy1;
	struct cast_board_stats st;
	struct board_comp comp;
	/* ctl: the control plane for later answers and the worker. */
	struct cast_teacher_ctl *ctl;
	pthread_t worker;
	bool worker_running;
	pthread_cond_t cond;
	struct board_job *jobs;
	bool stopping;
};

/* Frees an item. */
void cast__board_item_free(struct board_item *it);
/* Resets pages to one empty overlay page (lock held). */
void cast__board_pages_free(struct cast_board *b);
/* Marks the whole page changed (lock held). */
void cast__board_touch_all(struct cast_board *b);
/* Renders one page (lock held) into a cairo context of w x h. */
struct _cairo;
int cast__board_draw_page(const struct board_page *p, struct _cairo *cr, int w,
                          int h, bool background);
/* The pixel box an item covers on a w x h picture (margin included). */
void cast__board_item_box(const struct board_item *it, int w, int h, double *x0,
                          double *y0, double *x1, double *y1);
/* Parses a board file into pages (see cast_board_load_string). */
int cast__board_parse(const char *text, size_t len, struct board_page **pages,
                      int *n_pages, int *cur, long *total, char *why,
                      size_t why_size);
/* Frees pages made by cast__board_parse. */
void cast__board_free_pages(struct board_page *pages, int n);
const char *cast__board_tool_name(enum cast_board_tool t);
int cast__board_tool_of(const char *name);
const char *cast__board_bg_name(enum cast_board_bg bg);
int cast__board_bg_of(const char *name);
/* Stops and joins the worker (jobs left are answered as cancelled). */
void cast__board_worker_stop(struct cast_board *b);

#endif
