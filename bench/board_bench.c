/* cast-bench board: what the whiteboard costs the sender per picture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board_bench.h"
#include "cast/cast.h"

struct bcase {
	const char *name, *what;
	double p50, p95, mean;
};

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* An annotated page: strokes, shapes and text, as a lesson has. */
static void annotate(struct cast_board *b)
{
	struct cast_board_style st;
	double xy[64];

	for (int k = 0; k < 12; k++) {
		cast_board_style_init(&st, k % 3 ? CAST_BOARD_PEN
		                                 : CAST_BOARD_HIGHLIGHTER);
		for (int i = 0; i < 32; i++) {
			xy[2 * i] = 0.05 + 0.02 * i + 0.01 * k;
			xy[2 * i + 1] = 0.1 + 0.06 * k + 0.01 * (i % 3);
		}
		cast_board_draw(b, &st, xy, 32, false);
	}
	cast_board_style_init(&st, CAST_BOARD_RECT);
	xy[0] = 0.6;
	xy[1] = 0.2;
	xy[2] = 0.9;
	xy[3] = 0.5;
	cast_board_draw(b, &st, xy, 2, false);
	cast_board_style_init(&st, CAST_BOARD_ARROW);
	xy[0] = 0.5;
	xy[1] = 0.9;
	xy[2] = 0.7;
	xy[3] = 0.6;
	cast_board_draw(b, &st, xy, 2, false);
	cast_board_style_init(&st, CAST_BOARD_TEXT);
	cast_board_text(b, &st, 0.6, 0.55, "x² + y² = r²");
}

/* Times cast_board_composite over `n` grabbed pictures. `mode`: 0 the
 * source's own damage, 1 a still source, 2 the whole picture changed;
 * `stroke`: the teacher draws (one pointer move per picture). */
static int run(struct cast_capture *cap, struct cast_board *b, int n, int mode,
               bool stroke, struct bcase *out)
{
	double *t = calloc((size_t)n, sizeof(*t)), sum = 0;
	struct cast_frame f;
	int r;

	if (!t)
		return CAST_ERROR(ENOMEM);
	if (stroke)
		cast_board_pointer_down(b, 0.1, 0.9);
	for (int i = 0; i < n + 10; i++) {
		int64_t t0;

		r = cast_capture_grab(cap, &f);
		if (r < 0) {
			free(t);
			return r;
		}
		if (mode == 1) {
			f.n_damage = 0;
			r = 0;
		} else if (mode == 2) {
			f.n_damage = -1;
			r = 1;
		}
		if (stroke)
			cast_board_pointer_move(b, 0.1 + 0.8 * i / (n + 10),
			                        0.9 - 0.3 * (i % 7) / 7.0);
		t0 = cast_mono_us();
		r = cast_board_composite(&f, r, b);
		if (r < 0) {
			free(t);
			return r;
		}
		/* The first pictures settle the board's buffers. */
		if (i >= 10)
			t[i - 10] = (double)(cast_mono_us() - t0);
	}
	if (stroke)
		cast_board_pointer_up(b, 0.9, 0.9);
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	out->p50 = t[n / 2];
	out->p95 = t[n * 95 / 100];
	out->mean = sum / n;
	free(t);
	return 0;
}

int cast_bench_board(int argc, char **argv)
{
	struct cast_capture_cfg cc;
	struct cast_capture *cap = NULL;
	struct cast_board *b = NULL;
	struct cast_board_cfg bc;
	struct bcase c[7] = {
	    {"off", "board off, test pattern", 0, 0, 0},
	    {"on_still", "annotated overlay, still screen", 0, 0, 0},
	    {"on_pattern", "annotated overlay, test pattern's damage", 0, 0, 0},
	    {"on_full", "annotated overlay, whole picture changed", 0, 0, 0},
	    {"drawing", "teacher drawing (a pen move per picture)", 0, 0, 0},
	    {"blank", "grid page over a moving screen", 0, 0, 0},
	    {"empty_on", "empty overlay, test pattern's damage", 0, 0, 0},
	};
	const char *json = NULL;
	int w = 1920, h = 1080, n = 300, err;
	FILE *jf;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			if (cast_parse_size(argv[++i], &w, &h))
				return 2;
		} else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
			n = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else {
			fprintf(stderr, "usage: cast-bench board [--size WxH] "
			                "[--frames N] [--json FILE]\n");
			return 2;
		}
	}
	if (n < 20)
		n = 20;
	cast_log_set_level(CAST_LOG_WARN);
	cast_capture_cfg_init(&cc);
	cc.backend = "testpattern";
	cc.width = w;
	cc.height = h;
	cast_board_cfg_init(&bc);
	bc.width = w;
	bc.height = h;
	err = cast_capture_new(&cap, &cc);
	if (!err)
		err = cast_board_new(&b, &bc);
	if (!err)
		err = run(cap, b, n, 0, false, &c[0]);
	if (!err) {
		cast_board_set_on(b, true);
		err = run(cap, b, n, 0, false, &c[6]);
	}
	if (!err) {
		annotate(b);
		err = run(cap, b, n, 1, false, &c[1]);
	}
	if (!err)
		err = run(cap, b, n, 0, false, &c[2]);
	if (!err)
		err = run(cap, b, n, 2, false, &c[3]);
	if (!err)
		err = run(cap, b, n, 0, true, &c[4]);
	if (!err && cast_board_page_new(b, CAST_BOARD_BG_GRID) >= 0)
		err = run(cap, b, n, 0, false, &c[5]);
	cast_board_free(&b);
	cast_capture_free(&cap);
	if (err) {
		fprintf(stderr, "cast-bench board: %s\n", cast_strerror(err));
		return 1;
	}
	printf("cast-bench board: %dx%d BGRA, %d pictures each, "
	       "cast_board_composite per picture (µs)\n",
	       w, h, n);
	printf("%-12s %9s %9s %9s  %s\n", "case", "p50", "p95", "mean", "what");
	for (int i = 0; i < 7; i++)
		printf("%-12s %9.1f %9.1f %9.1f  %s\n", c[i].name, c[i].p50,
		       c[i].p95, c[i].mean, c[i].what);
	jf = json ? fopen(json, "w") : stdout;
	if (!jf)
		return 1;
	fprintf(jf,
	        "{\"bench\":\"board\",\"width\":%d,\"height\":%d,"
	        "\"frames\":%d",
	        w, h, n);
	for (int i = 0; i < 7; i++)
		fprintf(jf,
		        ",\"%s\":{\"p50_us\":%.1f,\"p95_us\":%.1f,"
		        "\"mean_us\":%.1f}",
		        c[i].name, c[i].p50, c[i].p95, c[i].mean);
	fprintf(jf, "}\n");
	if (jf != stdout)
		fclose(jf);
	return 0;
}
