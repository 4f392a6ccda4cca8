/* The widget layer: layout, hit-testing and cairo/pango drawing (cast/ui.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "cast/error.h"
#include "cast/ui.h"

struct cast_ui {
	enum cast_lang lang;
	PangoFontDescription *font, *bold;
	PangoLanguage *planguage;
};

/* ---- layout ---- */

bool cast_ui_rect_hit(const struct cast_ui_rect *r, double x, double y)
{
	return x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h;
}

static struct cast_ui_rect rect(double x, double y, double w, double h)
{
	struct cast_ui_rect r = {x, y, w > 0 ? w : 0, h > 0 ? h : 0};

	return r;
}

void cast_ui_layout(struct cast_ui_layout *l, double w, double h, int n_buttons)
{
	double u, pad, side_w, gx, gy, gw, gh, tw, th, bw;

	memset(l, 0, sizeof(*l));
	w = w < 320 ? 320 : w;
	h = h < 240 ? 240 : h;
	/* One unit: 16 px at 768 high, 22 at 1080; text is about a unit. */
	u = h / 48;
	/* Up to 48: a 4K screen without desktop scaling still reads. */
	u = u < 10 ? 10 : u > 48 ? 48 : u;
	pad = u * 0.6;
	l->w = w;
	l->h = h;
	l->unit = u;
	l->toolbar = rect(0, 0, w, u * 4.2);
	l->status = rect(0, h - u * 1.9, w, u * 1.9);
	side_w = w * 0.22;
	side_w = side_w < u * 13 ? u * 13 : side_w;
	side_w = side_w > w * 0.4 ? w * 0.4 : side_w;
	l->side =
	    rect(w - side_w, l->toolbar.h, side_w, l->status.y - l->toolbar.h);
	gx = pad;
	gy = l->toolbar.h + pad;
	gw = l->side.x - 2 * pad;
	gh = l->status.y - gy - pad;
	l->grid = rect(gx, gy, gw, gh);
	tw = (gw - 3 * pad) / 4;
	th = (gh - 3 * pad) / 4;
	for (int i = 0; i < CAST_UI_TILES_PAGE; i++)
		l->tiles[i] = rect(gx + (i % 4) * (tw + pad),
		                   gy + (i / 4) * (th + pad), tw, th);
	n_buttons = n_buttons < 0                     ? 0
	            : n_buttons > CAST_UI_BUTTONS_MAX ? CAST_UI_BUTTONS_MAX
	                                              : n_buttons;
	l->n_buttons = n_buttons;
	if (!n_buttons)
		return;
	bw = (w - 2 * pad) / n_buttons;
	bw = bw > u * 7 ? u * 7 : bw;
	for (int i = 0; i < n_buttons; i++)
		l->buttons[i] = rect(pad + i * bw, u * 0.3, bw - u * 0.2,
		                     l->toolbar.h - u * 0.6);
}

int cast_ui_tile_at(const struct cast_ui_layout *l, double x, double y)
{
	for (int i = 0; i < CAST_UI_TILES_PAGE; i++)
		if (cast_ui_rect_hit(&l->tiles[i], x, y))
			return i;
	return -1;
}

int cast_ui_button_at(const struct cast_ui_layout *l, double x, double y)
{
	for (int i = 0; i < l->n_buttons; i++)
		if (cast_ui_rect_hit(&l->buttons[i], x, y))
			return i;
	return -1;
}

unsigned cast_ui_tiles_in(const struct cast_ui_layout *l, double x0, double y0,
                          double x1, double y1)
{
	double lx = fmin(x0, x1), hx = fmax(x0, x1);
	double ly = fmin(y0, y1), hy = fmax(y0, y1);
	unsigned bits = 0;

	for (int i = 0; i < CAST_UI_TILES_PAGE; i++) {
		const struct cast_ui_rect *r = &l->tiles[i];

		if (lx < r->x + r->w && hx >= r->x && ly < r->y + r->h &&
		    hy >= r->y)
			bits |= 1u << i;
	}
	return bits;
}

void cast_ui_menu_layout(struct cast_ui_menu_layout *m,
                         const struct cast_ui_rect *anchor, int n, double unit,
                         double w, double h)
{
	double iw = unit * 14, ih = unit * 2;
	double x = anchor->x, y = anchor->y + anchor->h;

	m->n = n < 0 ? 0 : n;
	/* A long menu (the custom menu lists every feature) gets lower
	 * items, down to 1.2 units, rather than cover its own button. */
	if (m->n && h - y > 0 && ih * m->n > h - y)
		ih = fmax((h - y) / m->n, unit * 1.2);
	m->item_h = ih;
	if (x + iw > w)
		x = w - iw;
	if (x < 0)
		x = 0;
	if (y + ih * m->n > h)
		y = h - ih * m->n;
	if (y < 0)
		y = 0;
	m->box = rect(x, y, iw, ih * m->n);
}

int cast_ui_menu_item_at(const struct cast_ui_menu_layout *m, double x,
                         double y)
{
	if (!m->n || !cast_ui_rect_hit(&m->box, x, y))
		return -1;
	return (int)((y - m->box.y) / m->item_h);
}

void cast_ui_utf8_backspace(char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		n--;
		/* Stop at a byte that starts a character. */
		if (((unsigned char)s[n] & 0xc0) != 0x80)
			break;
	}
	s[n] = '\0';
}

/* ---- icons ---- */

/* Each a glyph that DejaVu Sans or Noto Sans CJK (scripts/install-deps.sh)
 * has: test_ui checks every one in the three languages' fonts. */
static const char *const icons[CAST_ICON_COUNT] = {
    [CAST_ICON_BROADCAST] = "◉",
    [CAST_ICON_LOCK] = "lock",
    [CAST_ICON_MESSAGE] = "✉",
    [CAST_ICON_MARQUEE] = "⇶",
    [CAST_ICON_WATERMARK] = "≋",
    [CAST_ICON_WEB] = "⌘",
    [CAST_ICON_FILES] = "⇪",
    [CAST_ICON_HOMEWORK] = "⇩",
    [CAST_ICON_ATTENDANCE] = "☑",
    [CAST_ICON_WAKE] = "☀",
    [CAST_ICON_POWER] = "⚡",
    [CAST_ICON_WHITEBOARD] = "✎",
    [CAST_ICON_RECORD] = "●",
    [CAST_ICON_VOICE] = "♪",
    [CAST_ICON_LANGUAGE] = "文",
    [CAST_ICON_MENU] = "☰",
    [CAST_ICON_BAR] = "▭",
    [CAST_ICON_WALL] = "▦",
    [CAST_ICON_DEMO] = "▶",
    /* A keyboard: the teacher takes the student's keys and pointer
     * (U+2316 "position indicator" is in none of the fonts). */
    [CAST_ICON_CONTROL] = "⌨",
    [CAST_ICON_FILM] = "▷",
    [CAST_ICON_CONSOLE] = "▣",
    [CAST_ICON_PEN] = "✎",
    [CAST_ICON_HIGHLIGHTER] = "▮",
    [CAST_ICON_LINE] = "╱",
    [CAST_ICON_ARROW] = "→",
    [CAST_ICON_RECT] = "▭",
    [CAST_ICON_ELLIPSE] = "◯",
    [CAST_ICON_TEXT] = "T",
    [CAST_ICON_ERASER] = "⌫",
    [CAST_ICON_UNDO] = "↶",
    [CAST_ICON_REDO] = "↷",
    [CAST_ICON_CLEAR] = "✕",
    [CAST_ICON_PREV_PAGE] = "◀",
    [CAST_ICON_NEXT_PAGE] = "▶",
    [CAST_ICON_NEW_PAGE] = "+",
    [CAST_ICON_DROPDOWN] = "▾",
    [CAST_ICON_CHECK] = "✓",
    [CAST_ICON_ON] = "●",
    [CAST_ICON_OFF] = "○",
};

const char *cast_ui_icon(enum cast_ui_icon icon)
{
	return (unsigned)icon < CAST_ICON_COUNT && icons[icon] ? icons[icon]
	                                                       : "";
}

bool cast_ui_icon_drawn(const char *icon)
{
	return icon && !strcmp(icon, "lock");
}

/* ---- context ---- */

static const char *family_of(enum cast_lang lang)
{
	/* Noto CJK first: one family covers Latin and Han with matching
	 * metrics, the regional variant picking the right glyph shapes. */
	switch (lang) {
	case CAST_LANG_ZH_TW:
		return "Noto Sans CJK TC,Noto Sans CJK SC,DejaVu "
		       "Sans,sans-serif";
	case CAST_LANG_ZH_CN:
		return "Noto Sans CJK SC,Noto Sans CJK TC,DejaVu "
		       "Sans,sans-serif";
	default:
		return "DejaVu Sans,Noto Sans CJK SC,sans-serif";
	}
}

void cast_ui_set_lang(struct cast_ui *ui, enum cast_lang lang)
{
	if ((unsigned)lang >= CAST_LANG_COUNT)
		lang = CAST_LANG_EN;
	ui->lang = lang;
	pango_font_description_set_family(ui->font, family_of(lang));
	pango_font_description_set_family(ui->bold, family_of(lang));
	ui->planguage =
	    pango_language_from_string(lang == CAST_LANG_ZH_TW   ? "zh-tw"
	                               : lang == CAST_LANG_ZH_CN ? "zh-cn"
	                                                         : "en");
}

enum cast_lang cast_ui_lang(const struct cast_ui *ui)
{
	return ui->lang;
}

int cast_ui_new(struct cast_ui **out, enum cast_lang lang)
{
	struct cast_ui *ui = calloc(1, sizeof(*ui));

	if (!ui)
		return CAST_ERROR(ENOMEM);
	ui->font = pango_font_description_new();
	ui->bold = pango_font_description_new();
	if (!ui->font || !ui->bold) {
		cast_ui_free(&ui);
		return CAST_ERROR(ENOMEM);
	}
	pango_font_description_set_weight(ui->bold, PANGO_WEIGHT_BOLD);
	cast_ui_set_lang(ui, lang);
	*out = ui;
	return 0;
}

void cast_ui_free(struct cast_ui **pui)
{
	struct cast_ui *ui = pui ? *pui : NULL;

	if (!ui)
		return;
	if (ui->font)
		pango_font_description_free(ui->font);
	if (ui->bold)
		pango_font_description_free(ui->bold);
	free(ui);
	*pui = NULL;
}

/* ---- drawing ---- */

static void set_rgb(cairo_t *cr, uint32_t rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0,
	                     ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0);
}

static PangoLayout *layout_for(struct cast_ui *ui, cairo_t *cr,
                               const char *text, double size, bool bold)
{
	PangoLayout *pl = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = bold ? ui->bold : ui->font;

	pango_context_set_language(pango_layout_get_context(pl), ui->planguage);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(pl, fd);
	pango_layout_set_text(pl, text ? text : "", -1);
	return pl;
}

double cast_ui_text_width(struct cast_ui *ui, cairo_t *cr, const char *text,
                          double size, bool bold)
{
	PangoLayout *pl = layout_for(ui, cr, text, size, bold);
	int w, h;

	pango_layout_get_pixel_size(pl, &w, &h);
	g_object_unref(pl);
	return w;
}

int cast_ui_missing_glyphs(struct cast_ui *ui, const char *text)
{
	cairo_surface_t *s =
	    cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
	cairo_t *cr = cairo_create(s);
	PangoLayout *pl = layout_for(ui, cr, text, 16, false);
	int n = pango_layout_get_unknown_glyphs_count(pl);

	g_object_unref(pl);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	return n;
}

/* cast_ui_label; with `whole`, nothing at all when a glyph is missing (an
 * icon: better none than an empty box). */
static double draw_text(struct cast_ui *ui, cairo_t *cr,
                        const struct cast_ui_rect *r, const char *text,
                        double size, uint32_t rgb, bool bold,
                        enum cast_ui_align align, bool whole)
{
	PangoLayout *pl = layout_for(ui, cr, text, size, bold);
	PangoRectangle ink, logical;
	double x;

	if (whole && pango_layout_get_unknown_glyphs_count(pl) > 0) {
		g_object_unref(pl);
		return 0;
	}

	pango_layout_set_width(pl, (int)(r->w * PANGO_SCALE));
	pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
	pango_layout_set_single_paragraph_mode(pl, TRUE);
	pango_layout_set_alignment(pl,
	                           align == CAST_UI_CENTER  ? PANGO_ALIGN_CENTER
	                           : align == CAST_UI_RIGHT ? PANGO_ALIGN_RIGHT
	                                                    : PANGO_ALIGN_LEFT);
	pango_layout_get_pixel_extents(pl, &ink, &logical);
	x = r->x;
	set_rgb(cr, rgb);
	cairo_move_to(cr, x, r->y + (r->h - logical.height) / 2);
	pango_cairo_show_layout(cr, pl);
	g_object_unref(pl);
	return logical.width;
}

double cast_ui_label(struct cast_ui *ui, cairo_t *cr,
                     const struct cast_ui_rect *r, const char *text,
                     double size, uint32_t rgb, bool bold,
                     enum cast_ui_align align)
{
	return draw_text(ui, cr, r, text, size, rgb, bold, align, false);
}

uint32_t *cast_ui_text_pixels(struct cast_ui *ui, const char *text,
                              double size, uint32_t rgb, int wrap,
                              enum cast_ui_align align, int *w, int *h)
{
	cairo_surface_t *probe, *img = NULL;
	cairo_t *cr;
	PangoLayout *pl;
	PangoRectangle logical;
	uint32_t *out = NULL;
	const unsigned char *src;
	int lw, lh, stride;

	*w = *h = 0;
	if (!text || !*text)
		return NULL;
	/* Measured on a 1-pixel surface, then drawn on one of its size. */
	probe = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
	cr = cairo_create(probe);
	pl = layout_for(ui, cr, text, size, false);
	if (wrap > 0) {
		pango_layout_set_width(pl, wrap * PANGO_SCALE);
		pango_layout_set_wrap(pl, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_alignment(pl,
	                           align == CAST_UI_CENTER  ? PANGO_ALIGN_CENTER
	                           : align == CAST_UI_RIGHT ? PANGO_ALIGN_RIGHT
	                                                    : PANGO_ALIGN_LEFT);
	pango_layout_get_pixel_extents(pl, NULL, &logical);
	lw = logical.width;
	lh = logical.height;
	if (lw <= 0 || lh <= 0 || lw > 16384 || lh > 16384)
		goto out;
	img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, lw, lh);
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS)
		goto out;
	cairo_destroy(cr);
	cr = cairo_create(img);
	/* The layout was made for the probe's context: the same font
	 * options, so its lines and metrics hold here. */
	pango_cairo_update_layout(cr, pl);
	set_rgb(cr, rgb);
	cairo_move_to(cr, -logical.x, -logical.y);
	pango_cairo_show_layout(cr, pl);
	cairo_surface_flush(img);
	out = malloc((size_t)lw * (size_t)lh * 4);
	if (!out)
		goto out;
	src = cairo_image_surface_get_data(img);
	stride = cairo_image_surface_get_stride(img);
	for (int y = 0; y < lh; y++) {
		const uint32_t *row = (const uint32_t *)(src + (size_t)y * stride);

		for (int x = 0; x < lw; x++) {
			uint32_t p = row[x], a = p >> 24;
			uint32_t r = (p >> 16) & 0xff, g = (p >> 8) & 0xff,
			         b = p & 0xff;

			/* cairo premultiplies; a window's blending does not. */
			if (a && a < 255) {
				r = (r * 255 + a / 2) / a;
				g = (g * 255 + a / 2) / a;
				b = (b * 255 + a / 2) / a;
			}
			out[(size_t)y * lw + x] = a << 24 | r << 16 | g << 8 | b;
		}
	}
	*w = lw;
	*h = lh;
out:
	g_object_unref(pl);
	cairo_destroy(cr);
	if (img)
		cairo_surface_destroy(img);
	cairo_surface_destroy(probe);
	return out;
}

static void rounded(cairo_t *cr, const struct cast_ui_rect *r, double rad)
{
	double x = r->x, y = r->y, w = r->w, h = r->h;

	rad = fmin(rad, fmin(w, h) / 2);
	cairo_new_sub_path(cr);
	cairo_arc(cr, x + w - rad, y + rad, rad, -M_PI / 2, 0);
	cairo_arc(cr, x + w - rad, y + h - rad, rad, 0, M_PI / 2);
	cairo_arc(cr, x + rad, y + h - rad, rad, M_PI / 2, M_PI);
	cairo_arc(cr, x + rad, y + rad, rad, M_PI, 3 * M_PI / 2);
	cairo_close_path(cr);
}

void cast_ui_fill(cairo_t *cr, const struct cast_ui_rect *r, double radius,
                  uint32_t rgb)
{
	rounded(cr, r, radius);
	set_rgb(cr, rgb);
	cairo_fill(cr);
}

static void stroke_rect(cairo_t *cr, const struct cast_ui_rect *r,
                        double radius, uint32_t rgb, double width)
{
	struct cast_ui_rect in = {r->x + width / 2, r->y + width / 2,
	                          r->w - width, r->h - width};

	rounded(cr, &in, radius);
	set_rgb(cr, rgb);
	cairo_set_line_width(cr, width);
	cairo_stroke(cr);
}

/* A padlock, `s` high, centred on (cx, cy). */
static void padlock(cairo_t *cr, double cx, double cy, double s, uint32_t rgb)
{
	struct cast_ui_rect body = {cx - s * 0.4, cy - s * 0.05, s * 0.8,
	                            s * 0.55};

	set_rgb(cr, rgb);
	cairo_set_line_width(cr, s * 0.12);
	cairo_new_path(cr);
	cairo_arc(cr, cx, cy - s * 0.1, s * 0.25, M_PI, 2 * M_PI);
	cairo_line_to(cr, cx + s * 0.25, cy);
	cairo_move_to(cr, cx - s * 0.25, cy - s * 0.1);
	cairo_line_to(cr, cx - s * 0.25, cy);
	cairo_stroke(cr);
	cast_ui_fill(cr, &body, s * 0.08, rgb);
}

/* A raised hand, `s` high, centred on (cx, cy): palm, four fingers, thumb
 * (drawn: no font is sure to have the emoji). */
static void hand(cairo_t *cr, double cx, double cy, double s, uint32_t rgb)
{
	double fw = s * 0.13, top = cy - s * 0.5;
	struct cast_ui_rect palm = {cx - s * 0.28, cy - s * 0.05, s * 0.56,
	                            s * 0.55};
	struct cast_ui_rect thumb = {cx - s * 0.4, cy - s * 0.02, fw, s * 0.35};
	const double len[4] = {0.5, 0.6, 0.58, 0.48};

	cast_ui_fill(cr, &palm, s * 0.12, rgb);
	for (int i = 0; i < 4; i++) {
		struct cast_ui_rect f = {cx - s * 0.28 + i * s * 0.143,
		                         top + (0.6 - len[i]) * s, fw,
		                         len[i] * s};

		cast_ui_fill(cr, &f, fw / 2, rgb);
	}
	cairo_save(cr);
	cairo_translate(cr, thumb.x + fw / 2, thumb.y + thumb.h);
	cairo_rotate(cr, -0.5);
	cairo_translate(cr, -(thumb.x + fw / 2), -(thumb.y + thumb.h));
	cast_ui_fill(cr, &thumb, fw / 2, rgb);
	cairo_restore(cr);
}

void cast_ui_draw_button(struct cast_ui *ui, cairo_t *cr,
                         const struct cast_ui_rect *r,
                         const struct cast_ui_button *b, double unit)
{
	struct cast_ui_rect icon = {r->x, r->y + unit * 0.2, r->w, unit * 1.7};
	struct cast_ui_rect label = {r->x + unit * 0.2, r->y + unit * 1.9,
	                             r->w - unit * 0.4, unit * 1.2};
	uint32_t fg = b->pressed ? 0xffffff : 0xe8eaed;

	if (b->pressed)
		cast_ui_fill(cr, r, unit * 0.3, CAST_UI_ACCENT);
	if (b->focused)
		stroke_rect(cr, r, unit * 0.3, 0xfbbc04, unit * 0.15);
	if (cast_ui_icon_drawn(b->icon))
		padlock(cr, r->x + r->w / 2, icon.y + icon.h / 2, unit * 1.3,
		        fg);
	else if (b->icon && b->icon[0])
		draw_text(ui, cr, &icon, b->icon, unit * 1.2, fg, false,
		          CAST_UI_CENTER, true);
	cast_ui_label(ui, cr, &label, b->label, unit * 0.75, fg, false,
	              CAST_UI_CENTER);
	if (b->has_menu) {
		struct cast_ui_rect m = {r->x + r->w - unit * 1.0, r->y,
		                         unit * 0.9, unit * 1.2};

		cast_ui_label(ui, cr, &m, cast_ui_icon(CAST_ICON_DROPDOWN),
		              unit * 0.8, fg, false, CAST_UI_CENTER);
	}
}

/* A badge: `text` on a pill of `rgb` at (x, y); returns its width. */
static double badge(struct cast_ui *ui, cairo_t *cr, double x, double y,
                    double max_x, const char *text, uint32_t rgb, double unit)
{
	double size = unit * 0.7;
	/* +2: pango's pixel width is rounded; never ellipsize a badge. */
	double w =
	    cast_ui_text_width(ui, cr, text, size, false) + unit * 0.8 + 2;
	struct cast_ui_rect r = {x, y, w, unit * 1.15};
	struct cast_ui_rect t = {x + unit * 0.4, y, w - unit * 0.8, r.h};

	if (x + w > max_x)
		return -1;
	cast_ui_fill(cr, &r, r.h / 2, rgb);
	cast_ui_label(ui, cr, &t, text, size, 0xffffff, false,
	              CAST_UI_LEFT_ALIGN);
	return w;
}

/* A student's picture in `r`, aspect kept, centred (the rest stays dark). */
static void draw_picture(cairo_t *cr, const struct cast_ui_rect *r,
                         cairo_surface_t *pic)
{
	double pw = cairo_image_surface_get_width(pic);
	double ph = cairo_image_surface_get_height(pic), k;

	if (pw < 1 || ph < 1 || r->w < 1 || r->h < 1)
		return;
	k = fmin(r->w / pw, r->h / ph);
	cairo_save(cr);
	cairo_rectangle(cr, r->x, r->y, r->w, r->h);
	cairo_clip(cr);
	cairo_translate(cr, r->x + (r->w - pw * k) / 2,
	                r->y + (r->h - ph * k) / 2);
	cairo_scale(cr, k, k);
	cairo_set_source_surface(cr, pic, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_paint(cr);
	cairo_restore(cr);
}

/* The demonstrator's mark: a ▶ in an accent disc, top left of the picture. */
static void demo_mark(cairo_t *cr, const struct cast_ui_rect *r, double unit)
{
	double d = fmin(unit * 1.6, r->h * 0.45), x = r->x + unit * 0.3 + d / 2;
	double y = r->y + unit * 0.3 + d / 2;

	cairo_save(cr);
	cairo_set_source_rgb(cr, ((CAST_UI_ACCENT >> 16) & 255) / 255.0,
	                     ((CAST_UI_ACCENT >> 8) & 255) / 255.0,
	                     (CAST_UI_ACCENT & 255) / 255.0);
	cairo_arc(cr, x, y, d / 2, 0, 2 * M_PI);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_move_to(cr, x - d * 0.15, y - d * 0.25);
	cairo_line_to(cr, x + d * 0.28, y);
	cairo_line_to(cr, x - d * 0.15, y + d * 0.25);
	cairo_close_path(cr);
	cairo_fill(cr);
	cairo_restore(cr);
}

void cast_ui_draw_tile(struct cast_ui *ui, cairo_t *cr,
                       const struct cast_ui_rect *r,
                       const struct cast_ui_tile *t, double unit)
{
	bool online = t->flags & CAST_UI_T_ONLINE;
	double pad = unit * 0.4, x, y, w;
	struct cast_ui_rect thumb, line;
	char buf[160], loss[64];
	struct {
		unsigned flag;
		enum cast_ui_str s;
		uint32_t rgb;
	} const badges[] = {
	    {CAST_UI_T_SIGNED_IN, CAST_S_SIGNED_IN, CAST_UI_ACCENT},
	    {CAST_UI_T_HAND, CAST_S_HAND, CAST_UI_HAND},
	    {CAST_UI_T_LOCKED, CAST_S_LOCKED, CAST_UI_LOCKED},
	    {CAST_UI_T_DEMO, CAST_S_DEMO, CAST_UI_ACCENT},
	    {CAST_UI_T_LEFT, CAST_S_LEFT, CAST_UI_LEFT},
	};

	cast_ui_fill(cr, r, unit * 0.4, online ? 0xffffff : 0xeceff1);
	stroke_rect(cr, r, unit * 0.4, t->selected ? CAST_UI_ACCENT : 0xc4c7c5,
	            t->selected ? unit * 0.3 : 1);
	if (t->focused)
		stroke_rect(cr,
		            &(struct cast_ui_rect){r->x - 3, r->y - 3, r->w + 6,
		                                   r->h + 6},
		            unit * 0.5, 0xfbbc04, 2);
	/* Thumbnail area: a live picture when the monitor wall exists. */
	thumb = rect(r->x + pad + unit * 0.2, r->y + pad + unit * 0.2,
	             r->w - 2 * pad - unit * 0.4, (r->h - 2 * pad) * 0.42);
	cast_ui_fill(cr, &thumb, unit * 0.2, online ? 0x3c4043 : 0xdadce0);
	if (t->picture)
		draw_picture(cr, &thumb, t->picture);
	if (t->flags & CAST_UI_T_DEMO)
		demo_mark(cr, &thumb, unit);
	if (t->flags & CAST_UI_T_LOCKED)
		padlock(cr, thumb.x + thumb.w / 2, thumb.y + thumb.h / 2,
		        fmin(thumb.h * 0.6, unit * 2), CAST_UI_LOCKED);
	else if (t->flags & CAST_UI_T_HAND)
		hand(cr, thumb.x + thumb.w / 2, thumb.y + thumb.h / 2,
		     fmin(thumb.h * 0.7, unit * 2.2), CAST_UI_HAND);
	y = thumb.y + thumb.h + unit * 0.2;
	line = rect(r->x + pad + unit * 0.2, y, r->w - 2 * pad - unit * 0.4,
	            unit * 1.3);
	cast_ui_label(ui, cr, &line, t->name[0] ? t->name : t->id, unit * 0.95,
	              online ? 0x202124 : 0x5f6368, true, CAST_UI_LEFT_ALIGN);
	line.y += line.h;
	line.h = unit * 1.1;
	snprintf(buf, sizeof(buf), "%s%s%s", t->id, t->seat[0] ? " · " : "",
	         t->seat);
	cast_ui_label(ui, cr, &line, buf, unit * 0.7, 0x5f6368, false,
	              CAST_UI_LEFT_ALIGN);
	/* Badges, wrapping onto a second row if the tile is narrow. */
	x = line.x;
	y = line.y + line.h + unit * 0.15;
	w = badge(ui, cr, x, y, r->x + r->w - pad,
	          cast_ui_text(ui->lang, !online ? CAST_S_OFFLINE
	                                 : t->flags & CAST_UI_T_SILENT
	                                     ? CAST_S_NOT_RESPONDING
	                                     : CAST_S_ONLINE),
	          !online                       ? CAST_UI_OFFLINE
	          : t->flags & CAST_UI_T_SILENT ? CAST_UI_LOSS
	                                        : CAST_UI_ONLINE,
	          unit);
	x += w + unit * 0.25;
	for (size_t i = 0; i < sizeof(badges) / sizeof(badges[0]); i++) {
		const char *s = cast_ui_text(ui->lang, badges[i].s);

		if (!(t->flags & badges[i].flag))
			continue;
		w = badge(ui, cr, x, y, r->x + r->w - pad, s, badges[i].rgb,
		          unit);
		if (w < 0) {
			x = line.x;
			y += unit * 1.35;
			if (y + unit * 1.15 > r->y + r->h)
				break;
			w = badge(ui, cr, x, y, r->x + r->w - pad, s,
			          badges[i].rgb, unit);
		}
		x += w + unit * 0.25;
	}
	if (t->flags & CAST_UI_T_LOSS) {
		snprintf(loss, sizeof(loss), "%s %.0f%%",
		         cast_ui_text(ui->lang, CAST_S_LOSS), t->loss_pct);
		w = badge(ui, cr, x, y, r->x + r->w - pad, loss, CAST_UI_LOSS,
		          unit);
		if (w < 0 && y + unit * 2.5 <= r->y + r->h)
			badge(ui, cr, line.x, y + unit * 1.35,
			      r->x + r->w - pad, loss, CAST_UI_LOSS, unit);
	}
}

void cast_ui_draw_menu(struct cast_ui *ui, cairo_t *cr,
                       const struct cast_ui_menu_layout *m,
                       const char *const *labels, int focus, unsigned checked,
                       double unit)
{
	struct cast_ui_rect shadow = {m->box.x + 3, m->box.y + 3, m->box.w,
	                              m->box.h};

	cast_ui_fill(cr, &shadow, unit * 0.3, 0x9aa0a6);
	cast_ui_fill(cr, &m->box, unit * 0.3, 0xffffff);
	for (int i = 0; i < m->n; i++) {
		struct cast_ui_rect it = {m->box.x, m->box.y + i * m->item_h,
		                          m->box.w, m->item_h};
		struct cast_ui_rect tx = {it.x + unit * 1.6, it.y,
		                          it.w - unit * 2, it.h};
		struct cast_ui_rect tick = {it.x + unit * 0.4, it.y, unit,
		                            it.h};
		uint32_t fg = i == focus ? 0xffffff : 0x202124;

		if (i == focus)
			cast_ui_fill(cr, &it, unit * 0.2, CAST_UI_ACCENT);
		if (checked & (1u << i))
			cast_ui_label(ui, cr, &tick,
			              cast_ui_icon(CAST_ICON_CHECK), unit * 0.9,
			              fg, true, CAST_UI_LEFT_ALIGN);
		cast_ui_label(ui, cr, &tx, labels[i], unit * 0.85, fg, false,
		              CAST_UI_LEFT_ALIGN);
	}
	stroke_rect(cr, &m->box, unit * 0.3, 0xc4c7c5, 1);
}

void cast_ui_draw_status(struct cast_ui *ui, cairo_t *cr,
                         const struct cast_ui_rect *r, const char *text,
                         double unit)
{
	struct cast_ui_rect t = {r->x + unit * 0.6, r->y, r->w - unit * 1.2,
	                         r->h};

	cast_ui_fill(cr, r, 0, CAST_UI_BAR);
	cast_ui_label(ui, cr, &t, text, unit * 0.8, 0xe8eaed, false,
	              CAST_UI_LEFT_ALIGN);
}

void cast_ui_draw_toast(struct cast_ui *ui, cairo_t *cr, double w, double h,
                        const char *text, bool error, double unit)
{
	double tw = cast_ui_text_width(ui, cr, text, unit * 0.85, false);
	struct cast_ui_rect r, t;

	tw = fmin(tw + unit * 2, w * 0.8);
	r = rect((w - tw) / 2, h - unit * 5.5, tw, unit * 2.2);
	t = rect(r.x + unit, r.y, r.w - unit * 2, r.h);
	cast_ui_fill(cr, &r, unit * 0.5, error ? CAST_UI_LOCKED : 0x3c4043);
	cast_ui_label(ui, cr, &t, text, unit * 0.85, 0xffffff, false,
	              CAST_UI_CENTER);
}

void cast_ui_draw_tooltip(struct cast_ui *ui, cairo_t *cr, double x, double y,
                          double w, double h, const char *text, double unit)
{
	double tw = fmin(cast_ui_text_width(ui, cr, text, unit * 0.75, false) +
	                     unit * 1.2 + 2,
	                 w - 4);
	struct cast_ui_rect r = {x, y + unit * 0.3, tw, unit * 1.6}, t;

	if (r.x + r.w > w - 2)
		r.x = w - 2 - r.w;
	if (r.x < 2)
		r.x = 2;
	if (r.y + r.h > h)
		r.y = h - r.h;
	t = rect(r.x + unit * 0.6, r.y, r.w - unit * 1.2, r.h);
	cast_ui_fill(cr, &r, unit * 0.25, 0xfff8c5);
	stroke_rect(cr, &r, unit * 0.25, 0x9aa0a6, 1);
	cast_ui_label(ui, cr, &t, text, unit * 0.75, 0x202124, false,
	              CAST_UI_LEFT_ALIGN);
}

void cast_ui_draw_entry(struct cast_ui *ui, cairo_t *cr, double w, double h,
                        const char *title, const char *text, const char *hint,
                        double unit)
{
	double bw = fmin(w * 0.6, unit * 40), bh = unit * 7.5;
	struct cast_ui_rect box = {(w - bw) / 2, (h - bh) / 2, bw, bh};
	struct cast_ui_rect shadow = {box.x + 4, box.y + 4, bw, bh};
	struct cast_ui_rect tl = {box.x + unit, box.y + unit * 0.4,
	                          bw - 2 * unit, unit * 1.8};
	struct cast_ui_rect field = {box.x + unit, box.y + unit * 2.4,
	                             bw - 2 * unit, unit * 2.2};
	struct cast_ui_rect ft = {field.x + unit * 0.5, field.y, field.w - unit,
	                          field.h};
	struct cast_ui_rect hl = {box.x + unit, box.y + unit * 5, bw - 2 * unit,
	                          unit * 1.8};
	double tw;

	cast_ui_fill(cr, &shadow, unit * 0.5, 0x5f6368);
	cast_ui_fill(cr, &box, unit * 0.5, 0xffffff);
	cast_ui_label(ui, cr, &tl, title, unit * 0.95, 0x202124, true,
	              CAST_UI_LEFT_ALIGN);
	cast_ui_fill(cr, &field, unit * 0.3, 0xf1f3f4);
	stroke_rect(cr, &field, unit * 0.3, CAST_UI_ACCENT, 2);
	tw = cast_ui_label(ui, cr, &ft, text, unit * 0.9, 0x202124, false,
	                   CAST_UI_LEFT_ALIGN);
	set_rgb(cr, 0x202124);
	cairo_rectangle(cr, ft.x + fmin(tw, ft.w) + 1, field.y + unit * 0.4, 2,
	                field.h - unit * 0.8);
	cairo_fill(cr);
	cast_ui_label(ui, cr, &hl, hint, unit * 0.7, 0x5f6368, false,
	              CAST_UI_LEFT_ALIGN);
}

void cast_ui_draw_panel(struct cast_ui *ui, cairo_t *cr,
                        const struct cast_ui_rect *r, const char *title,
                        const char *const *lines, int n, double unit)
{
	struct cast_ui_rect t = {r->x + unit * 0.6, r->y + unit * 0.3,
	                         r->w - unit * 1.2, unit * 1.6};
	double y = t.y + t.h;

	cast_ui_label(ui, cr, &t, title, unit * 0.9, 0x202124, true,
	              CAST_UI_LEFT_ALIGN);
	for (int i = 0; i < n; i++) {
		PangoLayout *pl =
		    layout_for(ui, cr, lines[i], unit * 0.75, false);
		int lw, lh;

		pango_layout_set_width(pl, (int)(t.w * PANGO_SCALE));
		pango_layout_set_wrap(pl, PANGO_WRAP_WORD_CHAR);
		pango_layout_get_pixel_size(pl, &lw, &lh);
		if (y + lh > r->y + r->h) {
			g_object_unref(pl);
			break;
		}
		set_rgb(cr, 0x3c4043);
		cairo_move_to(cr, t.x, y);
		pango_cairo_show_layout(cr, pl);
		g_object_unref(pl);
		y += lh + unit * 0.25;
	}
}
