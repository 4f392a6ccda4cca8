/* The whiteboard (F8): pages of vector drawings over the screen or blank. */
#ifndef CAST_BOARD_H
#define CAST_BOARD_H

#include "frame.h"

/*
 * Coordinates are normalised to the page: x in [0,1] across, y in [0,1]
 * down, so a drawing lines up on any picture size (a 4K screen scaled to
 * 1080p, the console's window, an export). Widths and text sizes are in
 * pixels of a 1080-line page and scale with the picture's height.
 */

enum cast_board_tool {
	CAST_BOARD_PEN = 0,
	CAST_BOARD_HIGHLIGHTER,
	CAST_BOARD_LINE,
	CAST_BOARD_ARROW,
	CAST_BOARD_RECT,
	CAST_BOARD_ELLIPSE,
	CAST_BOARD_TEXT,
	/* Removes whole items its path touches (see docs/whiteboard.md). */
	CAST_BOARD_ERASER,
	CAST_BOARD_TOOLS
};

/** What is under a page's drawings. */
enum cast_board_bg {
	CAST_BOARD_BG_OVERLAY = 0, /* the live screen (transparent page) */
	CAST_BOARD_BG_WHITE,
	CAST_BOARD_BG_BLACK,
	CAST_BOARD_BG_GRID, /* white with a light grid */
};

/* Limits the model, the file parser and the ctl verbs all hold to. */
#define CAST_BOARD_MAX_PAGES 100
#define CAST_BOARD_MAX_ITEMS 5000   /* per page */
#define CAST_BOARD_MAX_POINTS 10000 /* per item */
#define CAST_BOARD_MAX_TOTAL_POINTS 1000000
#define CAST_BOARD_MAX_TEXT 4096       /* bytes of UTF-8 per text item */
#define CAST_BOARD_MAX_FILE (64 << 20) /* bytes of a board file */
#define CAST_BOARD_MAX_WIDTH 200.0     /* line width, 1080-line pixels */
#define CAST_BOARD_MAX_SIZE 400.0      /* text size, 1080-line pixels */
#define CAST_BOARD_UNDO 200            /* undo steps kept per page */

/** The pen the next item is drawn with. */
struct cast_board_style {
	enum cast_board_tool tool;
	uint32_t color; /* 0xRRGGBB */
	double width;   /* line width (0.5..200), 1080-line pixels */
	double opacity; /* 0..1 */
	double size;    /* text size (4..400), 1080-line pixels */
};

struct cast_board;

struct cast_board_cfg {
	/**
	 * The picture the board is drawn over (the broadcast's size): the
	 * aspect eraser distances are measured in and what pixel
	 * coordinates (cast_board_draw with `pixels`) refer to. Default
	 * 1920x1080.
	 */
	int width, height;
};

CAST_API void cast_board_cfg_init(struct cast_board_cfg *cfg);
/**
 * A board with one overlay page, off (not composited). `cfg` NULL takes
 * the defaults. Errors: -EINVAL, -ENOMEM.
 */
CAST_API int cast_board_new(struct cast_board **out,
                            const struct cast_board_cfg *cfg);
/** Stops the board's worker, frees everything. NULL-safe. */
CAST_API void cast_board_free(struct cast_board **b);

/** Changes the board's picture size (cfg width/height). -EINVAL. */
CAST_API int cast_board_set_size(struct cast_board *b, int w, int h);

/** Shows (composites into the broadcast) or hides the board. */
CAST_API void cast_board_set_on(struct cast_board *b, bool on);
CAST_API bool cast_board_on(const struct cast_board *b);

/** Fills `st` with the defaults of `tool` (red pen 4, highlighter …). */
CAST_API void cast_board_style_init(struct cast_board_style *st,
                                    enum cast_board_tool tool);
/** The style pointer input draws with; set checks it (-EINVAL). */
CAST_API int cast_board_set_style(struct cast_board *b,
                                  const struct cast_board_style *st);
CAST_API void cast_board_style(struct cast_board *b,
                               struct cast_board_style *st);

/*
 * Pointer input, as a window forwards it: positions normalised to the page
 * (clamped to it). Down starts an item with the current style (a text
 * tool ignores them: use cast_board_text); move extends it (freehand keeps
 * points at least 1.5 pixels apart); up finishes it (an item too small to
 * see is dropped). Returns 0, -EINVAL, -ENOSPC (a limit reached: the item
 * ends there).
 */
CAST_API int cast_board_pointer_down(struct cast_board *b, double x, double y);
CAST_API int cast_board_pointer_move(struct cast_board *b, double x, double y);
CAST_API int cast_board_pointer_up(struct cast_board *b, double x, double y);

/**
 * Draws one whole item with `st` through `n` points (x,y pairs in `xy`,
 * normalised, or in pixels of the board's size when `pixels`): freehand
 * takes 2 or more, shapes their first and last. An eraser removes the items
 * its path touches. Returns 0 or the number of items erased; -EINVAL (bad
 * style, points outside the page, too few), -ENOSPC (limits).
 */
CAST_API int cast_board_draw(struct cast_board *b,
                             const struct cast_board_style *st,
                             const double *xy, int n, bool pixels);
/**
 * Writes `text` (UTF-8, 1..4096 bytes) with its top-left at x,y. Errors as
 * above; -EINVAL for text that is not UTF-8, -E2BIG over 4096 bytes.
 */
CAST_API int cast_board_text(struct cast_board *b,
                             const struct cast_board_style *st, double x,
                             double y, const char *text);

/** Undo/redo on the current page. 0, or -ENOENT (nothing to undo/redo). */
CAST_API int cast_board_undo(struct cast_board *b);
CAST_API int cast_board_redo(struct cast_board *b);
/** Removes every item of the current page (one undo step). */
CAST_API int cast_board_clear(struct cast_board *b);

/** Adds a page after the last and shows it. Returns its index or -ENOSPC. */
CAST_API int cast_board_page_new(struct cast_board *b, enum cast_board_bg bg);
/** Shows page `i` (0-based). -ERANGE when there is none. */
CAST_API int cast_board_page_set(struct cast_board *b, int i);
/** The current page's index; the page count in `*n` when not NULL. */
CAST_API int cast_board_page(struct cast_board *b, int *n);
/** Changes the current page's background. */
CAST_API int cast_board_page_bg(struct cast_board *b, enum cast_board_bg bg);
/** Items on the current page. */
CAST_API int cast_board_items(struct cast_board *b);

/**
 * Renders page `page` (-1: the current one) into a premultiplied ARGB32
 * picture (cairo's CAIRO_FORMAT_ARGB32: native-endian 32-bit words, the
 * BGRA bytes of a little-endian machine) of w x h with `stride` bytes per
 * row: the background (transparent for an overlay page) and the items,
 * anti-aliased. Returns 0, -EINVAL, -ERANGE, CAST_EEXTERNAL (cairo).
 */
CAST_API int cast_board_render(struct cast_board *b, int page, uint8_t *argb,
                               int w, int h, int stride);

/**
 * The board as the documented JSON file (docs/whiteboard.md) in a malloc'd
 * NUL-terminated string; NULL when out of memory.
 */
CAST_API char *cast_board_save_string(struct cast_board *b);
/**
 * Replaces every page with those of a board file's text (`len` bytes).
 * Nothing changes on a refusal: CAST_EMALFORMED (not JSON), -EINVAL (a
 * field out of its limits), -E2BIG (over a limit), -ENOTSUP (another
 * format or a newer version); `why` (when not NULL) names what is wrong,
 * e.g. "page 2 item 5: color: \"#12\" is not #RRGGBB".
 */
CAST_API int cast_board_load_string(struct cast_board *b, const char *text,
                                    size_t len, char *why, size_t why_size);
/** Saves to `path` (written beside it and renamed over it, mode 0600). */
CAST_API int cast_board_save(struct cast_board *b, const char *path);
/** Opens a board file; errors as cast_board_load_string plus the file's. */
CAST_API int cast_board_open(struct cast_board *b, const char *path, char *why,
                             size_t why_size);
/**
 * Exports every page: `png_dir` (may be NULL) gets page-001.png … at w x h
 * (0: the board's size), `pdf_path` (may be NULL) one PDF with a page each.
 * Returns the number of pages, or a negative errno.
 */
CAST_API int cast_board_export(struct cast_board *b, const char *png_dir,
                               const char *pdf_path, int w, int h);

/**
 * The compositor, called by the sender with every grabbed picture before
 * conversion (a cast_sender_cfg `overlay` with the board as its `arg`).
 * While the board is off it leaves `f` alone and costs one atomic load
 * (once after turning off it marks the whole picture changed). While on it
 * points `f` at the board's own copy of the picture with the page blended
 * over it (a blank page replaces it), its damage the source's plus what the
 * board changed. `changed` is whether the source picture changed. Returns
 * 1 when the picture to send changed, 0 when not, negative errno.
 */
CAST_API int cast_board_composite(struct cast_frame *f, int changed, void *arg);

/**
 * Counters: pictures handed to the compositor (on or off), layer renders,
 * and the number of the first picture to carry the last change (pictures
 * counted from 0 as they are handed to the compositor).
 */
struct cast_board_stats {
	uint64_t composited;
	uint64_t renders;
	uint64_t changed_at;
	uint64_t version;
};
CAST_API void cast_board_stats(struct cast_board *b,
                               struct cast_board_stats *st);

/** The board as a JSON object (state, pages, style, counters), malloc'd. */
CAST_API char *cast_board_state_json(struct cast_board *b);

/*
 * `ctl board …` (a cast_ctl_command_cb with the board as `arg`; register it
 * with cast_class_add_verb). See docs/whiteboard.md for the verbs. With a
 * control plane set (cast_board_set_ctl), save, open and export run on the
 * board's worker thread and are answered later; without one they run in
 * the call.
 */
struct cast_teacher_ctl;
CAST_API void cast_board_set_ctl(struct cast_board *b,
                                 struct cast_teacher_ctl *ctl);
CAST_API char *cast_board_ctl(int argc, char **argv, uint64_t req, void *arg);

#endif
