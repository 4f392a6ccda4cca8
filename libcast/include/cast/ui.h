/* The widget layer of the console and the student's screens: cairo + pango. */
#ifndef CAST_UI_H
#define CAST_UI_H

#include <cairo.h>

#include "defs.h"

/*
 * One small layer both apps draw with (docs/console.md): pure layout and
 * hit-testing on rectangles in logical pixels, drawing of the few widgets a
 * console needs (button, tile, menu, status bar, toast, text entry, panel)
 * into any cairo context, and the one table of UI strings in the three
 * languages. Drawing knows nothing of SDL: an app draws into a cairo image
 * surface and uploads it (SDL texture, PNG, PDF): the same code renders
 * every target. A window's HiDPI scale is its drawable size over its
 * logical size times the desktop's UI scale (cast_ui_scale_pick); the app
 * scales the cairo context by it once.
 */

/* ---- Languages and strings --------------------------------------------- */

enum cast_lang {
	CAST_LANG_ZH_CN,
	CAST_LANG_EN,
	CAST_LANG_ZH_TW,
	CAST_LANG_COUNT
};

/** Every UI string, one entry per text shown (cast_ui_str). */
enum cast_ui_str {
	CAST_S_TITLE,
	CAST_S_LOCK,
	CAST_S_UNLOCK,
	CAST_S_MESSAGE,
	CAST_S_MARQUEE,
	CAST_S_WATERMARK,
	CAST_S_LANGUAGE,
	CAST_S_WEB,
	CAST_S_POWER,
	CAST_S_WAKE,
	CAST_S_FILES,
	CAST_S_HOMEWORK,
	CAST_S_ATTENDANCE,
	CAST_S_MENU,
	CAST_S_SELECT_ALL,
	CAST_S_SELECT_NONE,
	CAST_S_POWER_OFF,
	CAST_S_POWER_RESTART,
	CAST_S_WM_ID_NAME,
	CAST_S_WM_OFF,
	CAST_S_STUDENTS_LANG,
	CAST_S_CONSOLE_LANG,
	CAST_S_ONLINE,
	CAST_S_OFFLINE,
	CAST_S_SIGNED_IN,
	CAST_S_HAND,
	CAST_S_LOCKED,
	CAST_S_DEMO,
	CAST_S_LEFT,
	CAST_S_LOSS,
	CAST_S_NOT_RESPONDING,
	CAST_S_CHANNEL,
	CAST_S_STUDENTS_ONLINE,
	CAST_S_BROADCASTING,
	CAST_S_NOT_BROADCASTING,
	CAST_S_WORST_LOSS,
	CAST_S_PAGE,
	CAST_S_SELECTED,
	CAST_S_TO_ALL,
	CAST_S_SETUP,
	CAST_S_SETUP_HINT,
	CAST_S_HANDS_RAISED,
	CAST_S_NONE,
	CAST_S_MESSAGES,
	CAST_S_ENTER_MESSAGE,
	CAST_S_ENTER_MARQUEE,
	CAST_S_ENTER_URL,
	CAST_S_ENTER_FILE,
	CAST_S_ENTER_FOLDER,
	CAST_S_ENTER_HINT,
	CAST_S_SENT,
	CAST_S_FAILED,
	CAST_S_QUEUED_OFFLINE,
	CAST_S_EMPTY_CLASS,
	CAST_S_SHOWN,
	CAST_S_HIDDEN,
	CAST_S_BAR,
	CAST_S_CONSOLE,
	CAST_S_WHITEBOARD,
	CAST_S_RECORD,
	CAST_S_VOICE,
	CAST_S_REC,
	CAST_S_ENTER_BOARD_TEXT,
	CAST_S_DRAWING,
	CAST_S_WALL,
	CAST_S_DEMO_START,
	CAST_S_DEMO_STOP,
	CAST_S_CONTROL,
	CAST_S_CONTROL_STOP,
	CAST_S_PICK_ONE,
	CAST_S_CONTROLLING,
	CAST_S_BROADCAST,	/* the feature's name (custom menu) */
	CAST_S_BROADCAST_START,
	CAST_S_BROADCAST_STOP,
	/* The whiteboard palette's tooltips. */
	CAST_S_PEN,
	CAST_S_HIGHLIGHTER,
	CAST_S_LINE,
	CAST_S_ARROW,
	CAST_S_RECT,
	CAST_S_ELLIPSE,
	CAST_S_TEXT,
	CAST_S_ERASER,
	CAST_S_RED,
	CAST_S_BLUE,
	CAST_S_GREEN,
	CAST_S_YELLOW,
	CAST_S_THIN,
	CAST_S_MEDIUM,
	CAST_S_THICK,
	CAST_S_UNDO,
	CAST_S_REDO,
	CAST_S_CLEAR,
	CAST_S_PREV_PAGE,
	CAST_S_NEXT_PAGE,
	CAST_S_NEW_PAGE,
	CAST_S_FILM,
	CAST_S_FILM_STOP,
	CAST_S_ENTER_FILM,
	CAST_S_COUNT
};

/** The text of `s` in `lang` (UTF-8, static; never NULL). */
CAST_API const char *cast_ui_text(enum cast_lang lang, enum cast_ui_str s);
/** "zh_CN", "en", "zh_TW". */
CAST_API const char *cast_lang_code(enum cast_lang lang);
/** The language's own name ("简体中文", "English", "繁體中文"). */
CAST_API const char *cast_lang_name(enum cast_lang lang);
/** A code ("zh_CN", "zh_CN.UTF-8", "en_US", "zh_TW", "zh_HK") to a
 * language; -EINVAL for one the table lacks. */
CAST_API int cast_lang_parse(const char *code);

/* ---- Icons -------------------------------------------------------------- */

/**
 * Every icon the console shows (toolbar, floating bar, whiteboard palette,
 * the marks on menus and the bar): one table, so that test_ui can lay each
 * out with the widget layer's fonts and fail on a glyph they lack (which
 * would show as an empty box).
 */
enum cast_ui_icon {
	CAST_ICON_BROADCAST,
	CAST_ICON_LOCK, /* drawn with cairo: a padlock */
	CAST_ICON_MESSAGE,
	CAST_ICON_MARQUEE,
	CAST_ICON_WATERMARK,
	CAST_ICON_WEB,
	CAST_ICON_FILES,
	CAST_ICON_HOMEWORK,
	CAST_ICON_ATTENDANCE,
	CAST_ICON_WAKE,
	CAST_ICON_POWER,
	CAST_ICON_WHITEBOARD,
	CAST_ICON_RECORD,
	CAST_ICON_VOICE,
	CAST_ICON_LANGUAGE,
	CAST_ICON_MENU,
	CAST_ICON_BAR,
	CAST_ICON_WALL,
	CAST_ICON_DEMO,
	CAST_ICON_CONTROL,
	CAST_ICON_FILM,
	CAST_ICON_CONSOLE,
	/* The whiteboard palette. */
	CAST_ICON_PEN,
	CAST_ICON_HIGHLIGHTER,
	CAST_ICON_LINE,
	CAST_ICON_ARROW,
	CAST_ICON_RECT,
	CAST_ICON_ELLIPSE,
	CAST_ICON_TEXT,
	CAST_ICON_ERASER,
	CAST_ICON_UNDO,
	CAST_ICON_REDO,
	CAST_ICON_CLEAR,
	CAST_ICON_PREV_PAGE,
	CAST_ICON_NEXT_PAGE,
	CAST_ICON_NEW_PAGE,
	/* Marks: a menu's ▾, a ticked item, the bar's on and off. */
	CAST_ICON_DROPDOWN,
	CAST_ICON_CHECK,
	CAST_ICON_ON,
	CAST_ICON_OFF,
	CAST_ICON_COUNT
};

/** The icon's text (UTF-8, static): one glyph, or the name of one the
 * widget layer draws itself (cast_ui_icon_drawn). "" for an unknown one. */
CAST_API const char *cast_ui_icon(enum cast_ui_icon icon);
/** Whether a button's `icon` text is drawn with cairo ("lock"), not set in
 * a font. */
CAST_API bool cast_ui_icon_drawn(const char *icon);

/* ---- Scale (HiDPI) ------------------------------------------------------ */

/*
 * The console lays out in logical pixels; the UI scale is how many of the
 * window's pixels one logical pixel takes. Wayland and macOS give it as the
 * drawable's size over the window's; SDL2 on X11 gives none (the two are
 * equal), so there, as GTK and Qt do, the desktop's GDK_SCALE or Xft.dpi
 * says it. The two multiply.
 */
#define CAST_UI_SCALE_MAX 3

/**
 * The UI scale an X11 desktop asks for: `gdk_scale` ($GDK_SCALE, NULL for
 * unset) when it is a whole number >= 1 (GTK's rule; at most
 * CAST_UI_SCALE_MAX), else the resource Xft.dpi of `resources` (the X
 * server's resource string, as `xrdb -query` prints it; NULL for none) over
 * 96, rounded to a quarter and kept within 1..CAST_UI_SCALE_MAX; else 1.
 */
CAST_API double cast_ui_scale_pick(const char *gdk_scale,
                                   const char *resources);
/** The value of the line "Xft.dpi: N" of a resource string (> 0), or 0 when
 * it has none or not a number. */
CAST_API double cast_ui_xft_dpi(const char *resources);
/**
 * The resource string of the X server at `display` (NULL: $DISPLAY): the
 * first screen's RESOURCE_MANAGER property, what `xrdb` loads and
 * Xlib's XResourceManagerString() returns; at most 64 KiB. Malloc'd (the
 * caller frees), or NULL: no X server or no resources.
 */
CAST_API char *cast_ui_x11_resources(const char *display);

/* ---- Layout and hit-testing (pure) ------------------------------------- */

struct cast_ui_rect {
	double x, y, w, h;
};

/** Whether (x, y) lies in `r` (left/top edges in, right/bottom out). */
CAST_API bool cast_ui_rect_hit(const struct cast_ui_rect *r, double x,
                               double y);

#define CAST_UI_TILES_PAGE 16 /* tiles on a page: 4 × 4 */
#define CAST_UI_BUTTONS_MAX 24 /* the console has 24 actions */

/**
 * The console's regions for a window of `w` × `h` logical pixels: toolbar
 * (top), grid of CAST_UI_TILES_PAGE tiles (4 × 4), side panel (right),
 * status bar (bottom). `unit` is the base size every region derives from
 * (text height, padding), chosen so that 768 and 1080 high windows both read
 * well.
 */
struct cast_ui_layout {
	double w, h, unit;
	struct cast_ui_rect toolbar, grid, side, status;
	struct cast_ui_rect tiles[CAST_UI_TILES_PAGE];
	struct cast_ui_rect buttons[CAST_UI_BUTTONS_MAX];
	int n_buttons;
};

/**
 * Lays out a console window with `n_buttons` toolbar buttons (at most
 * CAST_UI_BUTTONS_MAX) of equal width. Sizes below 320 × 240 are taken as
 * 320 × 240.
 */
CAST_API void cast_ui_layout(struct cast_ui_layout *l, double w, double h,
                             int n_buttons);
/** The tile under (x, y): 0..CAST_UI_TILES_PAGE-1, or -1. */
CAST_API int cast_ui_tile_at(const struct cast_ui_layout *l, double x,
                             double y);
/** The toolbar button under (x, y), or -1. */
CAST_API int cast_ui_button_at(const struct cast_ui_layout *l, double x,
                               double y);

/**
 * Tiles within a rubber band from (x0, y0) to (x1, y1) (any corners): a bit
 * per tile of the page that the band overlaps.
 */
CAST_API unsigned cast_ui_tiles_in(const struct cast_ui_layout *l, double x0,
                                   double y0, double x1, double y1);

/** A drop-down menu's items stacked below `anchor`'s bottom-left corner,
 * `n` of them, kept inside a `w` × `h` window. */
struct cast_ui_menu_layout {
	struct cast_ui_rect box;
	double item_h;
	int n;
};

CAST_API void cast_ui_menu_layout(struct cast_ui_menu_layout *m,
                                  const struct cast_ui_rect *anchor, int n,
                                  double unit, double w, double h);
/** The menu item under (x, y), or -1. */
CAST_API int cast_ui_menu_item_at(const struct cast_ui_menu_layout *m, double x,
                                  double y);

/* ---- Drawing ------------------------------------------------------------ */

/** Colours as 0xRRGGBB. */
#define CAST_UI_BG 0xf4f5f7
#define CAST_UI_BAR 0x23303e
#define CAST_UI_ACCENT 0x1e6fd9
#define CAST_UI_ONLINE 0x2e9e4f
#define CAST_UI_OFFLINE 0x9aa0a6
#define CAST_UI_HAND 0xf29900
#define CAST_UI_LOCKED 0xc5221f
#define CAST_UI_LEFT 0x8e44ad
#define CAST_UI_LOSS 0xe37400

/** The drawing context: fonts (pango, found by fontconfig). */
struct cast_ui;

/**
 * Makes a drawing context for `lang` (its fonts: Noto Sans CJK SC/TC first
 * for Chinese, then what fontconfig has). Errors: -ENOMEM.
 */
CAST_API int cast_ui_new(struct cast_ui **out, enum cast_lang lang);
/** Switches the language (fonts and strings) at once. */
CAST_API void cast_ui_set_lang(struct cast_ui *ui, enum cast_lang lang);
CAST_API enum cast_lang cast_ui_lang(const struct cast_ui *ui);
CAST_API void cast_ui_free(struct cast_ui **ui);

/**
 * How many glyphs of `text` the context's fonts (in its language, pango
 * through fontconfig) lack: each would be drawn as an empty box. 0: all
 * there. A button leaves out an icon with a missing glyph.
 */
CAST_API int cast_ui_missing_glyphs(struct cast_ui *ui, const char *text);

enum cast_ui_align { CAST_UI_LEFT_ALIGN, CAST_UI_CENTER, CAST_UI_RIGHT };

/**
 * Draws `text` in `r` (one line, ellipsized to fit, vertically centred),
 * `size` pixels high, colour `rgb`, bold or not. Returns the width used.
 */
CAST_API double cast_ui_label(struct cast_ui *ui, cairo_t *cr,
                              const struct cast_ui_rect *r, const char *text,
                              double size, uint32_t rgb, bool bold,
                              enum cast_ui_align align);
/** The width `text` takes at `size` (one line). */
CAST_API double cast_ui_text_width(struct cast_ui *ui, cairo_t *cr,
                                   const char *text, double size, bool bold);

/** Fills the rounded rectangle `r` (corner radius `radius`) with `rgb`. */
CAST_API void cast_ui_fill(cairo_t *cr, const struct cast_ui_rect *r,
                           double radius, uint32_t rgb);

/** A toolbar button: an icon glyph above its label, its shortcut small. */
struct cast_ui_button {
	/* cast_ui_icon(): one glyph, or one drawn with cairo; "" for none */
	const char *icon;
	const char *label;
	const char *shortcut; /* "Ctrl+L", or NULL */
	bool pressed;         /* a running action (lock on) */
	bool focused;         /* keyboard focus */
	bool has_menu;        /* draws a small ▾ */
};

CAST_API void cast_ui_draw_button(struct cast_ui *ui, cairo_t *cr,
                                  const struct cast_ui_rect *r,
                                  const struct cast_ui_button *b, double unit);

/** State flags of a student tile. */
enum {
	CAST_UI_T_ONLINE = 1 << 0,
	CAST_UI_T_SIGNED_IN = 1 << 1,
	CAST_UI_T_HAND = 1 << 2,
	CAST_UI_T_LOCKED = 1 << 3,
	CAST_UI_T_DEMO = 1 << 4,
	CAST_UI_T_LEFT = 1 << 5,
	CAST_UI_T_LOSS = 1 << 6,
	CAST_UI_T_SILENT = 1 << 7, /* online, not responding */
};

struct cast_ui_tile {
	char id[64], name[128], seat[64];
	unsigned flags;
	double loss_pct;
	bool selected, focused;
	/** The student's latest screen (monitor wall), borrowed; NULL: none. */
	cairo_surface_t *picture;
};

/**
 * Draws a student tile: thumbnail area (the picture, scaled to fit, or grey
 * while there is none; a demonstrator's marked with a ▶), name,
 * id and seat, and one coloured badge per state (online/offline, signed in,
 * hand, locked, demo, left the broadcast, loss) with its word in the
 * context's language. A selected tile has a thick accent border.
 */
CAST_API void cast_ui_draw_tile(struct cast_ui *ui, cairo_t *cr,
                                const struct cast_ui_rect *r,
                                const struct cast_ui_tile *t, double unit);

/** Draws a menu of `n` labels laid out by cast_ui_menu_layout; `focus` is
 * the highlighted item (-1: none); `checked` a bit per item with a tick. */
CAST_API void cast_ui_draw_menu(struct cast_ui *ui, cairo_t *cr,
                                const struct cast_ui_menu_layout *m,
                                const char *const *labels, int focus,
                                unsigned checked, double unit);

/** Status bar: `text` on the bar colour across `r`. */
CAST_API void cast_ui_draw_status(struct cast_ui *ui, cairo_t *cr,
                                  const struct cast_ui_rect *r,
                                  const char *text, double unit);

/** A toast: a short line in a dark rounded box centred near the bottom of
 * a `w` × `h` window; `error` draws it red. */
CAST_API void cast_ui_draw_toast(struct cast_ui *ui, cairo_t *cr, double w,
                                 double h, const char *text, bool error,
                                 double unit);

/** A tooltip: `text` in a small box just below (x, y), kept inside a
 * `w` × `h` window. */
CAST_API void cast_ui_draw_tooltip(struct cast_ui *ui, cairo_t *cr, double x,
                                   double y, double w, double h,
                                   const char *text, double unit);

/** A text-entry box centred in a `w` × `h` window: a title, the text typed
 * so far with a caret, a hint line. Not modal: the app routes keys to it. */
CAST_API void cast_ui_draw_entry(struct cast_ui *ui, cairo_t *cr, double w,
                                 double h, const char *title, const char *text,
                                 const char *hint, double unit);

/** A panel with a title and lines of text (wrapped) in `r`. */
CAST_API void cast_ui_draw_panel(struct cast_ui *ui, cairo_t *cr,
                                 const struct cast_ui_rect *r,
                                 const char *title, const char *const *lines,
                                 int n, double unit);

/**
 * Rasterises `text` (UTF-8; "\n" breaks lines; wrapped at `wrap` pixels
 * when > 0, aligned by `align`) `size` pixels high in `rgb`, into a new
 * image exactly its size: *w × *h pixels 0xAARRGGBB, alpha straight (not
 * premultiplied), rows of *w pixels, for a window that blends it itself
 * (the student's screens draw it into SDL textures). Returns the malloc'd
 * pixels (the caller frees), or NULL for an empty text or no memory.
 */
CAST_API uint32_t *cast_ui_text_pixels(struct cast_ui *ui, const char *text,
                                       double size, uint32_t rgb, int wrap,
                                       enum cast_ui_align align, int *w,
                                       int *h);

/** Removes the last UTF-8 character of `s` (a text entry's Backspace). */
CAST_API void cast_ui_utf8_backspace(char *s);

#endif
