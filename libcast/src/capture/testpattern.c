/* Synthetic source: a desktop-like picture with a moving box and a ticker. */
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"

/*
 * The background (a page of text-like glyphs on a gradient) is drawn once and
 * kept; each grab only restores the box's old place from it, redraws the
 * ticker band from a pre-drawn strip, draws the box and the stamp. That is a
 * few hundred kilobytes of copies per 1080p frame, and the damage rects say
 * exactly which parts moved.
 */

struct testpattern {
	int w, h;
	uint32_t *pic;   /* what grab hands out, w * h BGRA */
	uint32_t *bg;    /* the static background, same size */
	uint32_t *strip; /* ticker content, w * tick_h, scrolled with wrap */
	int tick_y, tick_h, tick_step;
	int box, box_x, box_y, box_vx, box_vy;
	uint32_t frame_no;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rgb(int r, int g, int b)
{
	return 0xff000000u | (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
}

/*
 * Is (x, y) ink in a page of pseudo-text with line height lh? Glyphs are 5x7
 * dot matrices of dot size d from a hash of (line, column), with word gaps and
 * ragged line ends, which gives the encoder text-like edges to chew on.
 */
static bool text_ink(int x, int y, int lh, int d, uint64_t seed)
{
	int line = y / lh, ly = y % lh, col = x / (6 * d), lx = x % (6 * d);
	uint64_t hl = mix64(seed ^ (uint64_t)line * 0x9e3779b97f4a7c15ULL);
	uint64_t hg;

	if (ly < d || ly >= 8 * d || lx >= 5 * d)
		return false;
	if (col >= 20 + (int)(hl % 60))
		return false;
	hg = mix64(hl + (uint64_t)col);
	if (hg % 6 == 0)
		return false;
	return (hg >> (8 + ((ly - d) / d) * 5 + lx / d)) & 1;
}

static void draw_background(struct testpattern *tp)
{
	int w = tp->w, h = tp->h;
	int lh = h / 40 > 9 ? h / 40 : 9, d = lh / 9 > 1 ? lh / 9 : 1;
	int px0 = w / 16, px1 = w * 9 / 16, py0 = h / 8, py1 = h * 3 / 4;

	for (int y = 0; y < h; y++) {
		uint32_t *row = tp->bg + (size_t)y * w;

		for (int x = 0; x < w; x++) {
			if (x >= px0 && x < px1 && y >= py0 && y < py1) {
				bool ink = text_ink(x - px0, y - py0, lh, d, 1);

				row[x] =
				    ink ? rgb(20, 20, 30) : rgb(250, 250, 245);
			} else if (x >= w * 5 / 8 && x < w * 15 / 16 &&
			           y >= py0 && y < py1) {
				/* Colour bars, a classic for eyeballing. */
				static const uint32_t bars[] = {
				    0xffc0c0c0, 0xffc0c000, 0xff00c0c0,
				    0xff00c000, 0xffc000c0, 0xffc00000,
				    0xff0000c0, 0xff101010,
				};
				int i = (x - w * 5 / 8) * 8 / (w * 5 / 16);

				row[x] = bars[i < 8 ? i : 7];
			} else {
				row[x] = rgb(30 + 60 * y / h, 60 + 40 * x / w,
				             110 + 80 * y / h);
			}
		}
	}
}

static void draw_strip(struct testpattern *tp)
{
	int lh = tp->tick_h, d = lh / 9 > 1 ? lh / 9 : 1;

	for (int y = 0; y < tp->tick_h; y++)
		for (int x = 0; x < tp->w; x++)
			tp->strip[(size_t)y * tp->w + x] =
			    text_ink(x, y, lh, d, 2) ? rgb(255, 255, 255)
			                             : rgb(10, 40, 120);
}

static int tp_probe(const struct cast_capture_cfg *cfg)
{
	(void)cfg;
	return 0;
}

static void tp_close(void *priv)
{
	struct testpattern *tp = priv;

	if (!tp)
		return;
	free(tp->pic);
	free(tp->bg);
	free(tp->strip);
	free(tp);
}

static int tp_open(void **priv, const struct cast_capture_cfg *cfg, int *w,
                   int *h)
{
	struct testpattern *tp;
	int b;

	if (cfg->width < 1 || cfg->height < 1 || cfg->width > 8192 ||
	    cfg->height > 8192)
		return CAST_ERROR(EINVAL);
	b = cast_stamp_block(cfg->width);
	if (cfg->width < (CAST_STAMP_BITS + 1) * b || cfg->height < 8 * b)
		return CAST_ERROR(EINVAL);
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		return CAST_ERROR(ENOMEM);
	tp->w = cfg->width;
	tp->h = cfg->height;
	tp->tick_h = tp->h / 20 > 9 ? tp->h / 20 : 9;
	tp->tick_y = tp->h - 2 * tp->tick_h;
	tp->tick_step = tp->w / 240 > 1 ? tp->w / 240 : 1;
	tp->box = (tp->w < tp->h ? tp->w : tp->h) / 6;
	tp->box_x = tp->w / 3;
	tp->box_y = tp->h / 3;
	tp->box_vx = tp->w / 120 > 1 ? tp->w / 120 : 1;
	tp->box_vy = tp->h / 90 > 1 ? tp->h / 90 : 1;
	tp->pic = malloc((size_t)tp->w * tp->h * 4);
	tp->bg = malloc((size_t)tp->w * tp->h * 4);
	tp->strip = malloc((size_t)tp->w * tp->tick_h * 4);
	if (!tp->pic || !tp->bg || !tp->strip) {
		tp_close(tp);
		return CAST_ERROR(ENOMEM);
	}
	draw_background(tp);
	draw_strip(tp);
	memcpy(tp->pic, tp->bg, (size_t)tp->w * tp->h * 4);
	*priv = tp;
	*w = tp->w;
	*h = tp->h;
	return 0;
}

static void restore_bg(struct testpattern *tp, const struct cast_rect *r)
{
	for (int y = r->y; y < r->y + r->h; y++) {
		size_t o = (size_t)y * tp->w + r->x;

		memcpy(tp->pic + o, tp->bg + o, (size_t)r->w * 4);
	}
}

static void draw_ticker(struct testpattern *tp)
{
	int off = (int)((uint64_t)tp->frame_no * tp->tick_step % tp->w);

	for (int y = 0; y < tp->tick_h; y++) {
		uint32_t *dst = tp->pic + (size_t)(tp->tick_y + y) * tp->w;
		const uint32_t *src = tp->strip + (size_t)y * tp->w;

		memcpy(dst, src + off, (size_t)(tp->w - off) * 4);
		memcpy(dst + tp->w - off, src, (size_t)off * 4);
	}
}

static void draw_box(struct testpattern *tp)
{
	int s = tp->box, edge = s / 12 > 1 ? s / 12 : 1;
	uint32_t hue = tp->frame_no / 8 % 6;
	static const uint32_t fills[] = {
	    0xffe04040, 0xff40c040, 0xff4060e0,
	    0xffe0c040, 0xffc040c0, 0xff40c0c0,
	};

	for (int y = 0; y < s; y++) {
		uint32_t *row =
		    tp->pic + (size_t)(tp->box_y + y) * tp->w + tp->box_x;
		bool rim = y < edge || y >= s - edge;

		for (int x = 0; x < s; x++)
			row[x] = rim || x < edge || x >= s - edge ? 0xffffffff
			                                          : fills[hue];
	}
}

static void bounce(int *pos, int *v, int size, int room)
{
	*pos += *v;
	if (*pos < 0) {
		*pos = -*pos;
		*v = -*v;
	}
	if (*pos + size > room) {
		*pos = 2 * (room - size) - *pos;
		*v = -*v;
	}
	if (*pos < 0)
		*pos = 0;
}

static void move_box(struct testpattern *tp)
{
	bounce(&tp->box_x, &tp->box_vx, tp->box, tp->w);
	bounce(&tp->box_y, &tp->box_vy, tp->box, tp->h);
}

static int tp_grab(void *priv, struct cast_frame *f)
{
	struct testpattern *tp = priv;
	struct cast_rect old = {tp->box_x, tp->box_y, tp->box, tp->box};
	int b = cast_stamp_block(tp->w), err;

	memset(f, 0, sizeof(*f));
	f->fmt = CAST_PIX_BGRA;
	f->width = tp->w;
	f->height = tp->h;
	f->data[0] = (uint8_t *)tp->pic;
	f->stride[0] = tp->w * 4;

	if (tp->frame_no) {
		restore_bg(tp, &old);
		move_box(tp);
	}
	draw_ticker(tp);
	draw_box(tp);
	err = cast_stamp_write(f, tp->frame_no);
	if (err)
		return err;

	if (!tp->frame_no) {
		f->n_damage = -1;
	} else {
		f->n_damage = 4;
		f->damage[0] = old;
		f->damage[1] =
		    (struct cast_rect){tp->box_x, tp->box_y, tp->box, tp->box};
		f->damage[2] =
		    (struct cast_rect){0, tp->tick_y, tp->w, tp->tick_h};
		f->damage[3] =
		    (struct cast_rect){0, 0, (CAST_STAMP_BITS + 1) * b, 2 * b};
	}
	f->capture_us = cast_now_us();
	tp->frame_no++;
	return 1;
}

const struct cast__capture_backend cast__capture_testpattern = {
    .name = "testpattern",
    .probe = tp_probe,
    .open = tp_open,
    .grab = tp_grab,
    .close = tp_close,
};
