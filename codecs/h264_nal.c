/* Annex B NAL splitting and minimal SPS/PPS/SEI/slice header parsing. */
#include <string.h>

#include "cast/error.h"
#include "h264_nal.h"

/* Headers we read are short; SEI and SPS (scaling lists) fit in this. */
#define RBSP_MAX 1024

struct bits {
	uint8_t buf[RBSP_MAX];
	size_t size; /* bytes */
	size_t pos;  /* bits */
	bool overrun;
};

const uint8_t *cast__h264_next_nal(const uint8_t *buf, size_t size,
				   size_t *pos, size_t *len)
{
	size_t i = *pos, start, end;

	while (i + 3 <= size &&
	       !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
		i++;
	if (i + 3 > size) {
		*pos = size;
		return NULL;
	}
	start = i + 3;
	end = start;
	while (end + 3 <= size &&
	       !(buf[end] == 0 && buf[end + 1] == 0 && buf[end + 2] <= 1))
		end++;
	if (end + 3 > size)
		end = size;
	*pos = end;
	/* Trailing zero bytes belong to the next start code. */
	while (end > start && buf[end - 1] == 0)
		end--;
	if (end == start)
		return cast__h264_next_nal(buf, size, pos, len);
	*len = end - start;
	return buf + start;
}

/* Copies the RBSP after the NAL header, dropping emulation prevention. */
static void bits_init(struct bits *b, const uint8_t *nal, size_t len)
{
	size_t i, zeros = 0;

	b->size = 0;
	b->pos = 0;
	b->overrun = false;
	for (i = 1; i < len && b->size < RBSP_MAX; i++) {
		if (zeros >= 2 && nal[i] == 3) {
			zeros = 0;
			continue;
		}
		zeros = nal[i] == 0 ? zeros + 1 : 0;
		b->buf[b->size++] = nal[i];
	}
}

static unsigned get_bit(struct bits *b)
{
	unsigned v;

	if (b->pos >= b->size * 8) {
		b->overrun = true;
		return 0;
	}
	v = (b->buf[b->pos / 8] >> (7 - b->pos % 8)) & 1;
	b->pos++;
	return v;
}

static unsigned get_bits(struct bits *b, int n)
{
	unsigned v = 0;

	while (n-- > 0)
		v = (v << 1) | get_bit(b);
	return v;
}

static unsigned get_ue(struct bits *b)
{
	int zeros = 0;

	while (!get_bit(b)) {
		if (b->overrun || ++zeros > 31) {
			b->overrun = true;
			return 0;
		}
	}
	return ((1u << zeros) - 1) + get_bits(b, zeros);
}

static int get_se(struct bits *b)
{
	unsigned v = get_ue(b);

	return v & 1 ? (int)((v + 1) / 2) : -(int)(v / 2);
}

bool cast__h264_sei_has_recovery(const uint8_t *nal, size_t len)
{
	struct bits b;
	size_t i = 0;

	bits_init(&b, nal, len);
	while (i < b.size && b.buf[i] != 0x80) {
		unsigned type = 0, size = 0;

		while (i < b.size && b.buf[i] == 0xff)
			type += b.buf[i++];
		if (i >= b.size)
			break;
		type += b.buf[i++];
		while (i < b.size && b.buf[i] == 0xff)
			size += b.buf[i++];
		if (i >= b.size)
			break;
		size += b.buf[i++];
		if (type == CAST__SEI_RECOVERY_POINT)
			return true;
		i += size;
	}
	return false;
}

static void skip_scaling_list(struct bits *b, int n)
{
	int last = 8, next = 8, i;

	for (i = 0; i < n && !b->overrun; i++) {
		if (next != 0)
			next = (last + get_se(b) + 256) % 256;
		last = next == 0 ? last : next;
	}
}

int cast__h264_parse_sps(const uint8_t *nal, size_t len,
			 struct cast__h264_sps *sps)
{
	struct bits b;
	unsigned profile, v;
	int i, n;

	bits_init(&b, nal, len);
	profile = get_bits(&b, 8);
	get_bits(&b, 16); /* constraint flags, level */
	sps->id = (int)get_ue(&b);
	sps->separate_colour_plane = false;
	switch (profile) {
	case 100: case 110: case 122: case 244: case 44:
	case 83: case 86: case 118: case 128: case 138:
	case 139: case 134: case 135:
		v = get_ue(&b); /* chroma_format_idc */
		if (v == 3)
			sps->separate_colour_plane = get_bit(&b);
		get_ue(&b); /* bit depths */
		get_ue(&b);
		get_bit(&b); /* qpprime_y_zero_transform_bypass */
		if (get_bit(&b)) {
			n = v == 3 ? 12 : 8;
			for (i = 0; i < n; i++)
				if (get_bit(&b))
					skip_scaling_list(&b, i < 6 ? 16 : 64);
		}
		break;
	default:
		break;
	}
	v = get_ue(&b);
	if (b.overrun || sps->id > 31 || v > 12)
		return CAST_EMALFORMED;
	sps->log2_max_frame_num = (int)v + 4;
	return 0;
}

int cast__h264_parse_pps(const uint8_t *nal, size_t len,
			 struct cast__h264_pps *pps)
{
	struct bits b;

	bits_init(&b, nal, len);
	pps->id = (int)get_ue(&b);
	pps->sps_id = (int)get_ue(&b);
	if (b.overrun || pps->id > 255 || pps->sps_id > 31)
		return CAST_EMALFORMED;
	return 0;
}

int cast__h264_parse_slice(const uint8_t *nal, size_t len,
			   const struct cast__h264_sps *sps,
			   struct cast__h264_slice *s)
{
	struct bits b;

	bits_init(&b, nal, len);
	s->first_mb = (int)get_ue(&b);
	get_ue(&b); /* slice_type */
	s->pps_id = (int)get_ue(&b);
	s->frame_num = -1;
	if (sps) {
		if (sps->separate_colour_plane)
			get_bits(&b, 2);
		s->frame_num = (int)get_bits(&b, sps->log2_max_frame_num);
	}
	if (b.overrun || s->pps_id > 255 || s->first_mb < 0)
		return CAST_EMALFORMED;
	return 0;
}
