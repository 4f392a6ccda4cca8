/* Frame-number stamp: 40 black/white blocks that survive lossy encoding. */
#include <string.h>

#include "capture/capture_int.h"

/*
 * Layout, b = block edge, g = b / 2: a mid-grey guard box of
 * (CAST_STAMP_BITS * b + 2g) x (b + 2g) at the top-left corner, the blocks in
 * a row inside it at (g + i * b, g). Bits are the frame number MSB first, then
 * the CRC-8 of its four big-endian bytes. Readers average the centre half of
 * each block, so ringing at block edges and the guard never reach the sample.
 */

#define Y_BLACK 16
#define Y_WHITE 235
#define Y_GREY 126

int cast_stamp_block(int width)
{
	int b = width / 64;

	/* Even, so I420 chroma sits on whole blocks; 6 survives 320x180. */
	b &= ~1;
	return b < 6 ? 6 : b;
}

static uint8_t crc8(uint32_t v)
{
	/* CRC-8, polynomial 0x07, initial value 0xff: all-black is invalid. */
	uint8_t crc = 0xff;

	for (int i = 3; i >= 0; i--) {
		crc ^= (uint8_t)(v >> (8 * i));
		for (int k = 0; k < 8; k++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07
			                           : crc << 1);
	}
	return crc;
}

static int stamp_bit(uint32_t frame_no, uint8_t crc, int i)
{
	if (i < 32)
		return (int)(frame_no >> (31 - i)) & 1;
	return (crc >> (39 - i)) & 1;
}

static bool stamp_fits(const struct cast_frame *f, int b)
{
	return f->width >= CAST_STAMP_BITS * b + b && f->height >= 2 * b;
}

static void fill_bgra(const struct cast_frame *f, int x, int y, int w, int h,
                      uint8_t v)
{
	const uint8_t px[4] = {v, v, v, 255}; /* B, G, R, opaque */

	for (int r = y; r < y + h; r++) {
		uint8_t *row = f->data[0] + (size_t)r * f->stride[0];

		for (int c = x; c < x + w; c++)
			memcpy(row + (size_t)c * 4, &px, 4);
	}
}

static void fill_plane(uint8_t *p, int stride, int x, int y, int w, int h,
                       uint8_t v)
{
	for (int r = y; r < y + h; r++)
		memset(p + (size_t)r * stride + x, v, (size_t)w);
}

int cast_stamp_write(struct cast_frame *f, uint32_t frame_no)
{
	int b, g, bw, bh;
	uint8_t crc = crc8(frame_no);

	if (!f || !f->data[0])
		return CAST_ERROR(EINVAL);
	b = cast_stamp_block(f->width);
	g = b / 2;
	bw = CAST_STAMP_BITS * b + 2 * g;
	bh = b + 2 * g;
	if (!stamp_fits(f, b))
		return CAST_ERROR(EINVAL);

	switch (f->fmt) {
	case CAST_PIX_BGRA:
		fill_bgra(f, 0, 0, bw, bh, 128);
		for (int i = 0; i < CAST_STAMP_BITS; i++)
			fill_bgra(f, g + i * b, g, b, b,
			          stamp_bit(frame_no, crc, i) ? 255 : 0);
		break;
	case CAST_PIX_I420:
		if (!f->data[1] || !f->data[2])
			return CAST_ERROR(EINVAL);
		fill_plane(f->data[0], f->stride[0], 0, 0, bw, bh, Y_GREY);
		for (int i = 0; i < CAST_STAMP_BITS; i++)
			fill_plane(f->data[0], f->stride[0], g + i * b, g, b, b,
			           stamp_bit(frame_no, crc, i) ? Y_WHITE
			                                       : Y_BLACK);
		fill_plane(f->data[1], f->stride[1], 0, 0, (bw + 1) / 2,
		           (bh + 1) / 2, 128);
		fill_plane(f->data[2], f->stride[2], 0, 0, (bw + 1) / 2,
		           (bh + 1) / 2, 128);
		break;
	default:
		return CAST_ERROR(EINVAL);
	}
	return 0;
}

/* Mean luma of the centre half of the block at (x, y), edge b. */
static int block_luma(const struct cast_frame *f, int x, int y, int b)
{
	int m = b / 4, n = b - 2 * m, sum = 0;

	for (int r = y + m; r < y + m + n; r++) {
		const uint8_t *p = f->data[0] + (size_t)r * f->stride[0];

		for (int c = x + m; c < x + m + n; c++)
			sum += f->fmt == CAST_PIX_BGRA
			           ? cast__bgra_luma(p + (size_t)c * 4)
			           : p[c];
	}
	return sum / (n * n);
}

int cast_stamp_read(const struct cast_frame *f, uint32_t *frame_no)
{
	uint32_t v = 0;
	uint8_t crc = 0;
	int b, g, mid;

	if (!f || !frame_no || !f->data[0])
		return CAST_ERROR(EINVAL);
	if (f->fmt == CAST_PIX_BGRA)
		mid = 128;
	else if (f->fmt == CAST_PIX_I420)
		mid = (Y_BLACK + Y_WHITE + 1) / 2;
	else
		return CAST_ERROR(EINVAL);
	b = cast_stamp_block(f->width);
	g = b / 2;
	if (!stamp_fits(f, b))
		return CAST_EMALFORMED;

	for (int i = 0; i < CAST_STAMP_BITS; i++) {
		int bit = block_luma(f, g + i * b, g, b) >= mid;

		if (i < 32)
			v = v << 1 | (uint32_t)bit;
		else
			crc = (uint8_t)(crc << 1 | bit);
	}
	if (crc != crc8(v))
		return CAST_EMALFORMED;
	*frame_no = v;
	return 0;
}
