/* Unit tests for the whiteboard: model, undo/redo, eraser, pointer input,
 * the board file (round trip and refusals), rendering, compositing into
 * BGRA and I420 pictures, the ctl verbs and export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/board.h"
#include "cast/error.h"

static struct cast_board *board_new(void)
{
	struct cast_board *b = NULL;
	struct cast_board_cfg cfg;

	cast_board_cfg_init(&cfg);
	cfg.width = 320;
	cfg.height = 180;
	assert_int_equal(cast_board_new(&b, &cfg), 0);
	return b;
}

static double width_ = 0; /* 0: the tool's default */

static int draw2(struct cast_board *b, enum cast_board_tool t, double x0,
                 double y0, double x1, double y1)
{
	struct cast_board_style st;
	double xy[4] = {x0, y0, x1, y1};

	cast_board_style_init(&st, t);
	st.color = 0xff0000;
	if (width_ > 0)
		st.width = width_;
	return cast_board_draw(b, &st, xy, 2, false);
}

static void test_undo_redo(void **state)
{
	struct cast_board *b = board_new();

	(void)state;
	assert_int_equal(cast_board_undo(b), CAST_ERROR(ENOENT));
	assert_int_equal(draw2(b, CAST_BOARD_LINE, 0.1, 0.1, 0.9, 0.1), 0);
	assert_int_equal(draw2(b, CAST_BOARD_RECT, 0.2, 0.5, 0.4, 0.7), 0);
	assert_int_equal(draw2(b, CAST_BOARD_PEN, 0.6, 0.6, 0.7, 0.9), 0);
	assert_int_equal(cast_board_items(b), 3);
	assert_int_equal(cast_board_undo(b), 0);
	assert_int_equal(cast_board_items(b), 2);
	assert_int_equal(cast_board_redo(b), 0);
	assert_int_equal(cast_board_items(b), 3);
	assert_int_equal(cast_board_redo(b), CAST_ERROR(ENOENT));
	/* Clear is one step, undone whole. */
	assert_int_equal(cast_board_clear(b), 0);
	assert_int_equal(cast_board_items(b), 0);
	assert_int_equal(cast_board_undo(b), 0);
	assert_int_equal(cast_board_items(b), 3);
	/* A new step after an undo drops the redo stack (and frees it). */
	assert_int_equal(cast_board_undo(b), 0);
	assert_int_equal(cast_board_undo(b), 0);
	assert_int_equal(cast_board_items(b), 1);
	assert_int_equal(draw2(b, CAST_BOARD_ELLIPSE, 0.1, 0.1, 0.3, 0.3), 0);
	assert_int_equal(cast_board_redo(b), CAST_ERROR(ENOENT));
	assert_int_equal(cast_board_items(b), 2);
	/* Pages keep their own history. */
	assert_int_equal(cast_board_page_new(b, CAST_BOARD_BG_GRID), 1);
	assert_int_equal(cast_board_items(b), 0);
	assert_int_equal(cast_board_undo(b), CAST_ERROR(ENOENT));
	assert_int_equal(cast_board_page_set(b, 0), 0);
	assert_int_equal(cast_board_undo(b), 0);
	assert_int_equal(cast_board_items(b), 1);
	assert_int_equal(cast_board_page_set(b, 5), CAST_ERROR(ERANGE));
	cast_board_free(&b);
	assert_null(b);
}

static void test_undo_limit(void **state)
{
	struct cast_board *b = board_new();
	int n = 0;

	(void)state;
	for (int i = 0; i < CAST_BOARD_UNDO + 20; i++)
		assert_int_equal(
		    draw2(b, CAST_BOARD_LINE, 0.1, 0.1, 0.2, 0.2 + i * 0.001),
		    0);
	while (!cast_board_undo(b))
		n++;
	assert_int_equal(n, CAST_BOARD_UNDO);
	assert_int_equal(cast_board_items(b), 20);
	cast_board_free(&b);
}

static void test_eraser(void **state)
{
	struct cast_board *b = board_new();
	struct cast_board_style er;
	double through_line[4] = {0.5, 0.05, 0.5, 0.15};
	double nowhere[2] = {0.9, 0.9};
	double on_rect_edge[2] = {0.2, 0.6};
	double inside_rect[2] = {0.3, 0.6};

	(void)state;
	assert_int_equal(draw2(b, CAST_BOARD_LINE, 0.1, 0.1, 0.9, 0.1), 0);
	assert_int_equal(draw2(b, CAST_BOARD_RECT, 0.2, 0.5, 0.4, 0.7), 0);
	assert_int_equal(draw2(b, CAST_BOARD_ELLIPSE, 0.6, 0.4, 0.8, 0.8), 0);
	cast_board_style_init(&er, CAST_BOARD_ERASER);
	er.width = 4;
	/* A miss erases nothing and is no undo step. */
	assert_int_equal(cast_board_draw(b, &er, nowhere, 1, false), 0);
	/* An object eraser: the rectangle's inside is not the rectangle. */
	assert_int_equal(cast_board_draw(b, &er, inside_rect, 1, false), 0);
	assert_int_equal(cast_board_items(b), 3);
	/* Crossing the line (a path, walked between its points). */
	assert_int_equal(cast_board_draw(b, &er, through_line, 2, false), 1);
	assert_int_equal(cast_board_draw(b, &er, on_rect_edge, 1, false), 1);
	assert_int_equal(cast_board_items(b), 1);
	/* Undo puts them back in their places. */
	assert_int_equal(cast_board_undo(b), 0);
	assert_int_equal(cast_board_undo(b), 0);
	assert_int_equal(cast_board_items(b), 3);
	assert_int_equal(cast_board_redo(b), 0);
	assert_int_equal(cast_board_items(b), 2);
	/* Text is hit anywhere in its box (measured with pango). */
	{
		struct cast_board_style ts;
		double in_text[2] = {0.12, 0.93}, past_text[2] = {0.9, 0.93};

		cast_board_style_init(&ts, CAST_BOARD_TEXT);
		assert_int_equal(cast_board_text(b, &ts, 0.1, 0.9, "Hello"), 0);
		assert_int_equal(cast_board_draw(b, &er, past_text, 1, false),
		                 0);
		assert_int_equal(cast_board_draw(b, &er, in_text, 1, false), 1);
		assert_int_equal(cast_board_items(b), 2);
	}
	cast_board_free(&b);
}

static void test_pointer(void **state)
{
	struct cast_board *b = board_new();
	struct cast_board_style st;
	char *s;

	(void)state;
	cast_board_style_init(&st, CAST_BOARD_PEN);
	assert_int_equal(cast_board_set_style(b, &st), 0);
	assert_int_equal(cast_board_pointer_down(b, 0.1, 0.1), 0);
	/* Jitter under 1.5 px of a 1080-line page is dropped. */
	for (int i = 0; i < 50; i++)
		assert_int_equal(
		    cast_board_pointer_move(b, 0.1 + i * 1e-5, 0.1), 0);
	for (int i = 1; i <= 20; i++)
		assert_int_equal(
		    cast_board_pointer_move(b, 0.1 + i * 0.02, 0.1 + i * 0.01),
		    0);
	/* Outside the page: clamped. */
	assert_int_equal(cast_board_pointer_up(b, 1.5, -0.5), 0);
	assert_int_equal(cast_board_items(b), 1);
	s = cast_board_save_string(b);
	assert_non_null(s);
	assert_non_null(strstr(s, "\"tool\":\"pen\""));
	/* 1 down + 20 moves + the clamped end: 22 points. */
	{
		const char *p = strstr(s, "\"points\":[");
		int commas = 0;

		assert_non_null(p);
		for (p += 10; *p != ']'; p++)
			commas += *p == ',';
		assert_int_equal(commas + 1, 44);
	}
	if (!strstr(s, "1,0]") && !strstr(s, "1.0,0.0]"))
		fail_msg("the end is not clamped to (1,0): %s", s);
	free(s);
	/* A click with a shape tool draws nothing. */
	cast_board_style_init(&st, CAST_BOARD_RECT);
	assert_int_equal(cast_board_set_style(b, &st), 0);
	assert_int_equal(cast_board_pointer_down(b, 0.5, 0.5), 0);
	assert_int_equal(cast_board_pointer_up(b, 0.5, 0.5), 0);
	assert_int_equal(cast_board_items(b), 1);
	/* A dragged rectangle keeps two points. */
	assert_int_equal(cast_board_pointer_down(b, 0.5, 0.5), 0);
	assert_int_equal(cast_board_pointer_move(b, 0.6, 0.6), 0);
	assert_int_equal(cast_board_pointer_move(b, 0.7, 0.8), 0);
	assert_int_equal(cast_board_pointer_up(b, 0.7, 0.8), 0);
	assert_int_equal(cast_board_items(b), 2);
	/* The eraser with the pointer removes what it crossed, on release. */
	cast_board_style_init(&st, CAST_BOARD_ERASER);
	assert_int_equal(cast_board_set_style(b, &st), 0);
	assert_int_equal(cast_board_pointer_down(b, 0.6, 0.4), 0);
	assert_int_equal(cast_board_pointer_move(b, 0.6, 0.6), 0);
	assert_int_equal(cast_board_items(b), 2);
	assert_int_equal(cast_board_pointer_up(b, 0.6, 0.7), 0);
	assert_int_equal(cast_board_items(b), 1);
	st.width = 0;
	assert_int_equal(cast_board_set_style(b, &st), CAST_ERROR(EINVAL));
	cast_board_free(&b);
}

static void test_roundtrip(void **state)
{
	struct cast_board *b = board_new(), *c = board_new();
	struct cast_board_style st;
	char *s1, *s2, why[256];
	double pen[6] = {0.1, 0.2, 0.15, 0.25, 0.2, 0.22};

	(void)state;
	cast_board_style_init(&st, CAST_BOARD_HIGHLIGHTER);
	assert_int_equal(cast_board_draw(b, &st, pen, 3, false), 0);
	assert_int_equal(draw2(b, CAST_BOARD_ARROW, 0.5, 0.5, 0.9, 0.1), 0);
	cast_board_style_init(&st, CAST_BOARD_TEXT);
	assert_int_equal(
	    cast_board_text(b, &st, 0.1, 0.8, "Übung \"1\" — 练习\n<b>"), 0);
	assert_int_equal(cast_board_page_new(b, CAST_BOARD_BG_BLACK), 1);
	assert_int_equal(draw2(b, CAST_BOARD_ELLIPSE, 0.2, 0.2, 0.4, 0.5), 0);
	s1 = cast_board_save_string(b);
	assert_non_null(s1);
	assert_int_equal(
	    cast_board_load_string(c, s1, strlen(s1), why, sizeof(why)), 0);
	assert_int_equal(cast_board_page(c, NULL), 1);
	assert_int_equal(cast_board_items(c), 1);
	assert_int_equal(cast_board_page_set(c, 0), 0);
	assert_int_equal(cast_board_items(c), 3);
	assert_int_equal(cast_board_page_set(c, 1), 0);
	s2 = cast_board_save_string(c);
	assert_string_equal(s1, s2);
	free(s1);
	free(s2);
	cast_board_free(&b);
	cast_board_free(&c);
}

/* Each bad file: the error code and what the message must name. */
static const struct {
	const char *text;
	int err;
	const char *why;
} bad_files[] = {
    {"", CAST_EMALFORMED, "not JSON"},
    {"{\"format\":", CAST_EMALFORMED, "not JSON"},
    {"[1,2]", CAST_EMALFORMED, "not a JSON object"},
    {"{\"format\":\"other\",\"version\":1,\"pages\":[]}", -ENOTSUP,
     "not a whiteboard file"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":2,\"pages\":[]}", -ENOTSUP,
     "newer"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":\"1\",\"pages\":[]}",
     -EINVAL, "version"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[]}", -EINVAL,
     "pages"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"overlay\",\"items\":[]}]} x",
     CAST_EMALFORMED, "more after"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"extra\":1,"
     "\"pages\":[{\"background\":\"overlay\",\"items\":[]}]}",
     -EINVAL, "unknown member \"extra\""},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"current\":1,"
     "\"pages\":[{\"background\":\"overlay\",\"items\":[]}]}",
     -EINVAL, "current"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"pink\",\"items\":[]}]}",
     -EINVAL, "page 1: background"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"pen\",\"color\":"
     "\"#12\",\"width\":4,\"opacity\":1,\"points\":[0.1,0.1]}]}]}",
     -EINVAL, "page 1 item 1: color"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"pen\",\"color\":"
     "\"#123456\",\"width\":400,\"opacity\":1,\"points\":[0.1,0.1]}]}]}",
     -EINVAL, "page 1 item 1: width 400 is outside"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"rect\",\"color\":"
     "\"#123456\",\"width\":4,\"opacity\":1,\"points\":[0.1,0.1,0.2,2]}]}"
     "]}",
     -EINVAL, "point 1 is not a number in 0..1"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"rect\",\"color\":"
     "\"#123456\",\"width\":4,\"opacity\":1,\"points\":[0.1,0.1]}]}]}",
     -EINVAL, "at least two"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"eraser\",\"color\":"
     "\"#123456\",\"width\":4,\"opacity\":1,\"points\":[0.1,0.1]}]}]}",
     -EINVAL, "tool \"eraser\""},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"text\",\"color\":"
     "\"#123456\",\"size\":30,\"opacity\":1,\"points\":[0.1,0.1]}]}]}",
     -EINVAL, "text is missing"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"text\",\"color\":"
     "\"#123456\",\"size\":30,\"opacity\":1,\"points\":[0.1,0.1],"
     "\"text\":\"a\\u0000b\"}]}]}",
     -EINVAL, "UTF-8 without NUL"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":[{"
     "\"background\":\"white\",\"items\":[{\"tool\":\"line\",\"color\":"
     "\"#123456\",\"width\":4,\"opacity\":1,\"points\":[0.1,0.1,0.2,0.2],"
     "\"text\":\"x\"}]}]}",
     -EINVAL, "text on a shape"},
    {"{\"format\":\"libcast-whiteboard\",\"version\":1,\"pages\":"
     "[[[[[[[[[[1]]]]]]]]]]}",
     CAST_EMALFORMED, "not JSON"},
};

static void test_refusals(void **state)
{
	struct cast_board *b = board_new();
	char why[256], *before, *after;

	(void)state;
	assert_int_equal(draw2(b, CAST_BOARD_LINE, 0.1, 0.1, 0.9, 0.1), 0);
	before = cast_board_save_string(b);
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(*bad_files); i++) {
		int r = cast_board_load_string(b, bad_files[i].text,
		                               strlen(bad_files[i].text), why,
		                               sizeof(why));

		if (r != bad_files[i].err || !strstr(why, bad_files[i].why))
			fail_msg("file %zu: %d \"%s\", expected %d \"%s\"", i,
			         r, why, bad_files[i].err, bad_files[i].why);
	}
	/* Nothing changed on a refusal. */
	after = cast_board_save_string(b);
	assert_string_equal(before, after);
	free(before);
	free(after);
	cast_board_free(&b);
}

static void test_file_limits(void **state)
{
	struct cast_board *b = board_new();
	char why[256], *s;
	size_t cap = (size_t)CAST_BOARD_MAX_POINTS * 2 * 4 + 4096, n = 0;

	(void)state;
	/* One point over the limit of a freehand item. */
	s = malloc(cap);
	assert_non_null(s);
	n += (size_t)snprintf(
	    s, cap,
	    "{\"format\":\"libcast-whiteboard\",\"version\":1,"
	    "\"pages\":[{\"background\":\"overlay\",\"items\":"
	    "[{\"tool\":\"pen\",\"color\":\"#000000\",\"width\":"
	    "2,\"opacity\":1,\"points\":[0");
	for (int i = 1; i < 2 * (CAST_BOARD_MAX_POINTS + 1); i++)
		n += (size_t)snprintf(s + n, cap - n, ",0");
	n += (size_t)snprintf(s + n, cap - n, "]}]}]}");
	assert_int_equal(cast_board_load_string(b, s, n, why, sizeof(why)),
	                 CAST_ERROR(E2BIG));
	assert_non_null(strstr(why, "page 1 item 1: 10001 points, at most"));
	free(s);
	/* Text over 4096 bytes, through the API. */
	{
		struct cast_board_style st;
		char *t = malloc(CAST_BOARD_MAX_TEXT + 2);

		assert_non_null(t);
		memset(t, 'a', CAST_BOARD_MAX_TEXT + 1);
		t[CAST_BOARD_MAX_TEXT + 1] = 0;
		cast_board_style_init(&st, CAST_BOARD_TEXT);
		assert_int_equal(cast_board_text(b, &st, 0.1, 0.1, t),
		                 CAST_ERROR(E2BIG));
		t[CAST_BOARD_MAX_TEXT] = 0;
		assert_int_equal(cast_board_text(b, &st, 0.1, 0.1, t), 0);
		/* Not UTF-8: it could not be saved, so it is not drawn. */
		assert_int_equal(cast_board_text(b, &st, 0.1, 0.1, "a\xff"),
		                 CAST_ERROR(EINVAL));
		free(t);
	}
	/* Pages. */
	for (int i = 1; i < CAST_BOARD_MAX_PAGES; i++)
		assert_int_equal(cast_board_page_new(b, CAST_BOARD_BG_WHITE),
		                 i);
	assert_int_equal(cast_board_page_new(b, CAST_BOARD_BG_WHITE),
	                 CAST_ERROR(ENOSPC));
	cast_board_free(&b);
}

static uint32_t px(const uint8_t *argb, int stride, int x, int y)
{
	return *(const uint32_t *)(argb + (size_t)y * stride + x * 4);
}

static void test_render(void **state)
{
	struct cast_board *b = board_new();
	struct cast_board_style st;
	double xy[4] = {0.25, 0.25, 0.75, 0.75};
	uint8_t *argb = malloc(320 * 180 * 4);

	(void)state;
	assert_non_null(argb);
	cast_board_style_init(&st, CAST_BOARD_RECT);
	st.color = 0xff0000;
	st.width = 30; /* 5 px at 180 lines */
	assert_int_equal(cast_board_draw(b, &st, xy, 2, false), 0);
	assert_int_equal(cast_board_render(b, -1, argb, 320, 180, 320 * 4), 0);
	/* The top edge is opaque red, the inside and outside transparent. */
	assert_int_equal(px(argb, 320 * 4, 160, 45), 0xffff0000);
	assert_int_equal(px(argb, 320 * 4, 160, 90), 0);
	assert_int_equal(px(argb, 320 * 4, 10, 10), 0);
	/* Same place at another size: normalised coordinates. */
	assert_int_equal(cast_board_render(b, -1, argb, 160, 90, 320 * 4), 0);
	assert_int_equal(px(argb, 320 * 4, 80, 22), 0xffff0000);
	/* A grid page is opaque white with lines. */
	assert_int_equal(cast_board_page_new(b, CAST_BOARD_BG_GRID), 1);
	assert_int_equal(cast_board_render(b, -1, argb, 320, 180, 320 * 4), 0);
	assert_int_equal(px(argb, 320 * 4, 3, 3), 0xffffffff);
	assert_int_equal(cast_board_render(b, 7, argb, 320, 180, 320 * 4),
	                 CAST_ERROR(ERANGE));
	free(argb);
	cast_board_free(&b);
}

static struct cast_frame grey_bgra(uint8_t *buf, int w, int h)
{
	struct cast_frame f;

	memset(&f, 0, sizeof(f));
	memset(buf, 0x80, (size_t)w * h * 4);
	f.fmt = CAST_PIX_BGRA;
	f.width = w;
	f.height = h;
	f.data[0] = buf;
	f.stride[0] = w * 4;
	f.n_damage = -1;
	return f;
}

static void test_composite_bgra(void **state)
{
	struct cast_board *b = board_new();
	struct cast_board_stats bs;
	uint8_t *src = malloc(320 * 180 * 4);
	struct cast_frame f;
	const uint8_t *o;

	(void)state;
	width_ = 30;
	assert_non_null(src);
	/* Off: untouched, the source's verdict passes through. */
	f = grey_bgra(src, 320, 180);
	assert_int_equal(cast_board_composite(&f, 1, b), 1);
	assert_ptr_equal(f.data[0], src);
	f.n_damage = 0;
	assert_int_equal(cast_board_composite(&f, 0, b), 0);
	assert_ptr_equal(f.data[0], src);
	assert_int_equal(f.n_damage, 0);

	cast_board_set_on(b, true);
	assert_int_equal(draw2(b, CAST_BOARD_LINE, 0.1, 0.5, 0.9, 0.5), 0);
	cast_board_stats(b, &bs);
	assert_int_equal(bs.changed_at, 2);
	f = grey_bgra(src, 320, 180);
	f.n_damage = 0;
	/* A still source, a new stroke: a changed picture. */
	assert_int_equal(cast_board_composite(&f, 0, b), 1);
	assert_ptr_not_equal(f.data[0], src);
	o = f.data[0] + 90 * f.stride[0] + 160 * 4;
	assert_true(o[2] > 200 && o[1] < 60 && o[0] < 60);
	o = f.data[0] + 20 * f.stride[0] + 160 * 4;
	assert_int_equal(o[0], 0x80);
	/* The source is not written to. */
	assert_int_equal(src[(90 * 320 + 160) * 4 + 2], 0x80);
	/* Nothing changed: nothing to send, the picture still the board's. */
	f = grey_bgra(src, 320, 180);
	f.n_damage = 0;
	assert_int_equal(cast_board_composite(&f, 0, b), 0);
	assert_int_equal(f.n_damage, 0);
	o = f.data[0] + 90 * f.stride[0] + 160 * 4;
	assert_true(o[2] > 200 && o[1] < 60);
	/* A small stroke: the damage is its box, not the picture. */
	assert_int_equal(draw2(b, CAST_BOARD_LINE, 0.1, 0.1, 0.2, 0.1), 0);
	f = grey_bgra(src, 320, 180);
	f.n_damage = 0;
	assert_int_equal(cast_board_composite(&f, 0, b), 1);
	assert_int_equal(f.n_damage, 1);
	assert_true(f.damage[0].x <= 32 && f.damage[0].x + f.damage[0].w >= 64);
	assert_true(f.damage[0].y <= 18 && f.damage[0].y + f.damage[0].h >= 18);
	assert_true(f.damage[0].w < 80 && f.damage[0].h < 30);
	/* A source change under the stroke is blended over again. */
	f = grey_bgra(src, 320, 180);
	memset(src, 0x10, 320 * 180 * 4);
	f.n_damage = 1;
	f.damage[0] = (struct cast_rect){100, 80, 120, 20};
	assert_int_equal(cast_board_composite(&f, 1, b), 1);
	o = f.data[0] + 90 * f.stride[0] + 160 * 4;
	assert_true(o[2] > 200 && o[1] < 60);
	o = f.data[0] + 85 * f.stride[0] + 105 * 4;
	assert_int_equal(o[0], 0x10);
	o = f.data[0] + 40 * f.stride[0] + 105 * 4;
	assert_int_equal(o[0], 0x80); /* outside the damage: the old picture */
	/* A blank page replaces the picture; source changes do not count. */
	assert_int_equal(cast_board_page_new(b, CAST_BOARD_BG_WHITE), 1);
	f = grey_bgra(src, 320, 180);
	assert_int_equal(cast_board_composite(&f, 1, b), 1);
	o = f.data[0] + 40 * f.stride[0] + 105 * 4;
	assert_true(o[0] == 255 && o[1] == 255 && o[2] == 255);
	f = grey_bgra(src, 320, 180);
	f.n_damage = 1;
	f.damage[0] = (struct cast_rect){0, 0, 10, 10};
	assert_int_equal(cast_board_composite(&f, 1, b), 0);
	/* Off: the bare source, whole, once. */
	cast_board_set_on(b, false);
	f = grey_bgra(src, 320, 180);
	f.n_damage = 0;
	assert_int_equal(cast_board_composite(&f, 0, b), 1);
	assert_ptr_equal(f.data[0], src);
	assert_int_equal(f.n_damage, -1);
	f.n_damage = 0;
	assert_int_equal(cast_board_composite(&f, 0, b), 0);
	width_ = 0;
	free(src);
	cast_board_free(&b);
}

static void test_composite_i420(void **state)
{
	struct cast_board *b = board_new();
	uint8_t *buf = malloc(320 * 180 * 3 / 2);
	struct cast_frame f;
	struct cast_board_style st;
	double xy[4] = {0.1, 0.5, 0.9, 0.5};

	(void)state;
	assert_non_null(buf);
	memset(buf, 128, 320 * 180 * 3 / 2);
	memset(&f, 0, sizeof(f));
	f.fmt = CAST_PIX_I420;
	f.width = 320;
	f.height = 180;
	f.data[0] = buf;
	f.data[1] = buf + 320 * 180;
	f.data[2] = f.data[1] + 320 * 180 / 4;
	f.stride[0] = 320;
	f.stride[1] = f.stride[2] = 160;
	f.n_damage = -1;
	cast_board_style_init(&st, CAST_BOARD_LINE);
	st.color = 0xff0000;
	st.width = 60;
	assert_int_equal(cast_board_draw(b, &st, xy, 2, false), 0);
	cast_board_set_on(b, true);
	assert_int_equal(cast_board_composite(&f, 1, b), 1);
	/* Red in BT.601 limited range: Y 81, U 90, V 240. */
	assert_in_range(f.data[0][90 * f.stride[0] + 160], 76, 86);
	assert_in_range(f.data[1][45 * f.stride[1] + 80], 85, 95);
	assert_in_range(f.data[2][45 * f.stride[2] + 80], 235, 245);
	assert_int_equal(f.data[0][20 * f.stride[0] + 160], 128);
	free(buf);
	cast_board_free(&b);
}

/* An odd-sized I420 picture (a file source): every pixel written, the
 * last row and column too. */
static void test_composite_i420_odd(void **state)
{
	struct cast_board *b = board_new();
	int w = 161, h = 91, cw = 81, ch = 46;
	uint8_t *buf = malloc((size_t)(w * h + 2 * cw * ch));
	struct cast_frame f;

	(void)state;
	assert_non_null(buf);
	memset(buf, 77, (size_t)(w * h + 2 * cw * ch));
	memset(&f, 0, sizeof(f));
	f.fmt = CAST_PIX_I420;
	f.width = w;
	f.height = h;
	f.data[0] = buf;
	f.data[1] = buf + w * h;
	f.data[2] = f.data[1] + cw * ch;
	f.stride[0] = w;
	f.stride[1] = f.stride[2] = cw;
	f.n_damage = -1;
	cast_board_set_on(b, true);
	assert_int_equal(cast_board_composite(&f, 1, b), 1);
	assert_int_equal(f.data[0][(h - 1) * f.stride[0] + w - 1], 77);
	assert_int_equal(f.data[1][(ch - 1) * f.stride[1] + cw - 1], 77);
	assert_int_equal(f.data[2][(ch - 1) * f.stride[2] + cw - 1], 77);
	/* A change in the last column reaches it. */
	buf[(h - 1) * w + w - 1] = 200;
	f.data[0] = buf;
	f.data[1] = buf + w * h;
	f.data[2] = f.data[1] + cw * ch;
	f.stride[0] = w;
	f.stride[1] = f.stride[2] = cw;
	f.n_damage = 1;
	f.damage[0] = (struct cast_rect){w - 1, h - 1, 1, 1};
	assert_int_equal(cast_board_composite(&f, 1, b), 1);
	assert_int_equal(f.data[0][(h - 1) * f.stride[0] + w - 1], 200);
	free(buf);
	cast_board_free(&b);
}

static char *ctl(struct cast_board *b, const char *line)
{
	char *copy = strdup(line), *argv[16], *save = NULL;
	int argc = 0;
	char *r;

	assert_non_null(copy);
	for (char *t = strtok_r(copy, " ", &save); t && argc < 16;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	r = cast_board_ctl(argc, argv, 1, b);
	free(copy);
	assert_non_null(r);
	return r;
}

static void expect(struct cast_board *b, const char *line, const char *has)
{
	char *r = ctl(b, line);

	if (!strstr(r, has))
		fail_msg("%s: %s (expected %s)", line, r, has);
	free(r);
}

static void test_ctl(void **state)
{
	struct cast_board *b = board_new();
	char dir[] = "/tmp/cast-board-XXXXXX", cmd[1024], path[256];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	expect(b, "board", "\"on\":false");
	expect(b, "board on", "\"on\":true");
	expect(b,
	       "board draw tool=rect color=#ff0000 width=20 "
	       "points=0.1,0.1;0.5,0.5",
	       "\"items\":1");
	expect(b, "board draw tool=pen units=px points=10,10;20,20;300,170",
	       "\"items\":2");
	expect(b, "board draw tool=pen units=px points=10,10;400,20",
	       "outside the page");
	expect(b, "board draw tool=pen points=0.1,0.1;x,0.2", "x,y;x,y");
	expect(b, "board draw tool=pen color=red points=0.1,0.1;0.2,0.2",
	       "#RRGGBB");
	expect(b, "board draw tool=brush points=0.1,0.1;0.2,0.2", "tool=");
	expect(b, "board draw tool=pen width=500 points=0.1,0.1;0.2,0.2",
	       "width=");
	expect(b, "board draw tool=eraser points=0.3,0.1", "\"erased\":1");
	expect(b, "board text x=0.2 y=0.7 size=40 text=Hello", "\"items\":2");
	expect(b, "board text x=2 y=0.7 text=Hello", "x= y=");
	expect(b, "board undo", "\"items\":1");
	expect(b, "board redo", "\"items\":2");
	expect(b, "board redo", "nothing to redo");
	expect(b, "board page new grid", "\"background\":\"grid\"");
	expect(b, "board page new lilac", "page new");
	expect(b, "board page prev", "\"page\":1");
	expect(b, "board page 3", "no such page");
	expect(b, "board page 2", "\"page\":2");
	expect(b, "board page bg=black", "\"background\":\"black\"");
	expect(b, "board style tool=highlighter", "\"tool\":\"highlighter\"");
	expect(b, "board save path=relative.board", "absolute");
	snprintf(path, sizeof(path), "%s/a.board", dir);
	snprintf(cmd, sizeof(cmd), "board save path=%s", path);
	expect(b, cmd, "\"ok\":true");
	expect(b, "board clear", "\"items\":0");
	snprintf(cmd, sizeof(cmd), "board open path=%s", path);
	expect(b, cmd, "\"pages\":2");
	snprintf(cmd, sizeof(cmd), "board open path=%s/none.board", dir);
	expect(b, cmd, "No such file");
	snprintf(cmd, sizeof(cmd),
	         "board export png=%s pdf=%s/b.pdf size=64x36", dir, dir);
	expect(b, cmd, "\"exported\":2");
	snprintf(path, sizeof(path), "%s/page-002.png", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 50);
	unlink(path);
	snprintf(path, sizeof(path), "%s/page-001.png", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b.pdf", dir);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a.board", dir);
	unlink(path);
	expect(b, "board fly", "unknown fly");
	expect(b, "board off", "\"on\":false");
	rmdir(dir);
	cast_board_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_undo_redo),
	    cmocka_unit_test(test_undo_limit),
	    cmocka_unit_test(test_eraser),
	    cmocka_unit_test(test_pointer),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_file_limits),
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_composite_bgra),
	    cmocka_unit_test(test_composite_i420),
	    cmocka_unit_test(test_composite_i420_odd),
	    cmocka_unit_test(test_ctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
