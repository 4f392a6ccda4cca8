/* H.264 RTP packetizer (RFC 6184 non-interleaved): single NAL, STAP-A, FU-A. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/rtp.h"

#include "rtp_int.h"

#define NAL_STAP_A 24
#define NAL_FU_A 28
/* Smallest MTU that still leaves room for an FU-A with payload. */
#define MTU_MIN (CAST_RTP_HDR_LEN + CAST_RTP_EXT_CHANNEL_LEN + 16)
#define MTU_MAX 65535

struct cast_h264_packetizer {
	struct cast_h264_packetizer_cfg cfg;
	uint16_t seq;
	uint32_t packets;
	uint32_t octets;
	uint8_t *buf;	/* one packet, cfg.mtu bytes */
	size_t hdr_len;	/* fixed header plus the channel extension */
};

struct nal {
	const uint8_t *p;
	size_t len;
};

static uint32_t random32(void)
{
	uint32_t v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No entropy yet (early boot): SSRC only needs to differ per run. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^
	       (uint32_t)getpid() << 16;
}

void cast_h264_packetizer_cfg_init(struct cast_h264_packetizer_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pt = CAST_RTP_PT_H264;
	cfg->ssrc = random32();
	cfg->first_seq = (uint16_t)random32();
	cfg->mtu = CAST_RTP_MTU_DEFAULT;
	cfg->use_stap = true;
}

int cast_h264_packetizer_new(struct cast_h264_packetizer **out,
			     const struct cast_h264_packetizer_cfg *cfg)
{
	struct cast_h264_packetizer *p;

	if (!out)
		return CAST_ERROR(EINVAL);
	p = calloc(1, sizeof(*p));
	if (!p)
		return CAST_ERROR(ENOMEM);
	if (cfg)
		p->cfg = *cfg;
	else
		cast_h264_packetizer_cfg_init(&p->cfg);
	if (p->cfg.mtu < MTU_MIN || p->cfg.mtu > MTU_MAX || p->cfg.pt > 127) {
		free(p);
		return CAST_ERROR(EINVAL);
	}
	p->buf = malloc(p->cfg.mtu);
	if (!p->buf) {
		free(p);
		return CAST_ERROR(ENOMEM);
	}
	p->seq = p->cfg.first_seq;
	p->hdr_len = CAST_RTP_HDR_LEN +
		     (p->cfg.channel ? CAST_RTP_EXT_CHANNEL_LEN : 0);
	*out = p;
	return 0;
}

void cast_h264_packetizer_free(struct cast_h264_packetizer **pp)
{
	if (!pp || !*pp)
		return;
	free((*pp)->buf);
	free(*pp);
	*pp = NULL;
}

uint16_t cast_h264_packetizer_seq(const struct cast_h264_packetizer *p)
{
	return p->seq;
}

uint32_t cast_h264_packetizer_ssrc(const struct cast_h264_packetizer *p)
{
	return p->cfg.ssrc;
}

void cast_h264_packetizer_counts(const struct cast_h264_packetizer *p,
				 uint32_t *packets, uint32_t *octets)
{
	if (packets)
		*packets = p->packets;
	if (octets)
		*octets = p->octets;
}

/*
 * Finds the next NAL unit of an Annex B stream at or after *pos. Leading
 * bytes before the first start code are skipped, and trailing zero bytes
 * (trailing_zero_8bits, or the first byte of a 4-byte start code) are not
 * part of the NAL. Returns false when no more NAL units exist.
 */
static bool next_nal(const uint8_t *buf, size_t len, size_t *pos,
		     struct nal *nal)
{
	size_t i = *pos, start, end;

	for (;;) {
		/* Find a 00 00 01 start code. */
		while (i + 3 <= len &&
		       !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
			i++;
		if (i + 3 > len)
			return false;
		start = i + 3;
		i = start;
		while (i + 3 <= len &&
		       !(buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1))
			i++;
		end = i + 3 <= len ? i : len;
		*pos = end;
		while (end > start && buf[end - 1] == 0)
			end--;
		if (end > start)
			break;
		/* Empty NAL between two start codes: skip it. */
		i = *pos;
	}
	nal->p = buf + start;
	nal->len = end - start;
	return true;
}

static void emit_pt(struct cast_h264_packetizer *p, size_t payload_len,
		    bool marker, uint8_t pt, uint32_t ts, cast_rtp_send_cb *cb,
		    void *arg);

static void emit(struct cast_h264_packetizer *p, size_t payload_len,
		 bool marker, uint32_t ts, cast_rtp_send_cb *cb, void *arg)
{
	emit_pt(p, payload_len, marker, p->cfg.pt, ts, cb, arg);
}

static void emit_pt(struct cast_h264_packetizer *p, size_t payload_len,
		    bool marker, uint8_t pt, uint32_t ts, cast_rtp_send_cb *cb,
		    void *arg)
{
	uint8_t *b = p->buf;

	b[0] = p->cfg.channel ? 0x90 : 0x80;
	b[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	cast__wr16(b + 2, p->seq);
	cast__wr32(b + 4, ts);
	cast__wr32(b + 8, p->cfg.ssrc);
	if (p->cfg.channel) {
		/* RFC 8285 one-byte: profile, 1 word, ID/len, channel, pad. */
		cast__wr16(b + 12, 0xBEDE);
		cast__wr16(b + 14, 1);
		b[16] = (uint8_t)(CAST_RTP_EXT_CHANNEL << 4 | 1);
		cast__wr16(b + 17, p->cfg.channel);
		b[19] = 0;
	}
	p->seq++;
	p->packets++;
	p->octets += (uint32_t)payload_len;
	cb(b, p->hdr_len + payload_len, arg);
}

/* Sends a NAL too big for one packet as FU-A fragments of even size. */
static int send_fu_a(struct cast_h264_packetizer *p, const struct nal *nal,
		     bool last_nal, uint32_t ts, cast_rtp_send_cb *cb,
		     void *arg)
{
	size_t room = p->cfg.mtu - p->hdr_len - 2;
	size_t data = nal->len - 1, off = 1, nfrag, chunk;
	uint8_t *pl = p->buf + p->hdr_len;
	int n = 0;

	nfrag = (data + room - 1) / room;
	chunk = (data + nfrag - 1) / nfrag;
	while (off < nal->len) {
		size_t c = nal->len - off < chunk ? nal->len - off : chunk;
		bool first = off == 1, last = off + c == nal->len;

		pl[0] = (uint8_t)((nal->p[0] & 0xe0) | NAL_FU_A);
		pl[1] = (uint8_t)((first ? 0x80 : 0) | (last ? 0x40 : 0) |
				  (nal->p[0] & 0x1f));
		memcpy(pl + 2, nal->p + off, c);
		emit(p, 2 + c, last && last_nal, ts, cb, arg);
		off += c;
		n++;
	}
	return n;
}

int cast_h264_packetize(struct cast_h264_packetizer *p, const uint8_t *au,
			size_t len, uint32_t ts, cast_rtp_send_cb *cb,
			void *arg)
{
	struct nal cur, nxt;
	size_t room, pos = 0;
	uint8_t *pl;
	bool have_next;
	int n = 0;

	if (!p || !au || !cb)
		return CAST_ERROR(EINVAL);
	room = p->cfg.mtu - p->hdr_len;
	pl = p->buf + p->hdr_len;
	if (!next_nal(au, len, &pos, &cur))
		return CAST_ERROR(EINVAL);
	have_next = next_nal(au, len, &pos, &nxt);

	for (;;) {
		if (cur.len > room) {
			n += send_fu_a(p, &cur, !have_next, ts, cb, arg);
		} else if (p->cfg.use_stap && have_next &&
			   1 + 2 + cur.len + 2 + nxt.len <= room) {
			/* STAP-A: as many following NALs as fit. */
			size_t off = 1;
			uint8_t f_nri = 0;

			for (;;) {
				cast__wr16(pl + off, (uint16_t)cur.len);
				memcpy(pl + off + 2, cur.p, cur.len);
				off += 2 + cur.len;
				f_nri |= cur.p[0] & 0x80;
				if ((cur.p[0] & 0x60) > (f_nri & 0x60))
					f_nri = (uint8_t)((f_nri & 0x80) |
							  (cur.p[0] & 0x60));
				if (!have_next || off + 2 + nxt.len > room)
					break;
				cur = nxt;
				have_next = next_nal(au, len, &pos, &nxt);
			}
			pl[0] = (uint8_t)(f_nri | NAL_STAP_A);
			emit(p, off, !have_next, ts, cb, arg);
			n++;
		} else {
			memcpy(pl, cur.p, cur.len);
			emit(p, cur.len, !have_next, ts, cb, arg);
			n++;
		}
		if (!have_next)
			break;
		cur = nxt;
		have_next = next_nal(au, len, &pos, &nxt);
	}
	return n;
}

int cast_rtp_packetizer_send(struct cast_h264_packetizer *p, uint8_t pt,
			     const uint8_t *payload, size_t len, uint32_t ts,
			     cast_rtp_send_cb *cb, void *arg)
{
	if (!p || !cb || pt > 127 || (len && !payload) ||
	    len > p->cfg.mtu - p->hdr_len)
		return CAST_ERROR(EINVAL);
	memcpy(p->buf + p->hdr_len, payload, len);
	emit_pt(p, len, false, pt, ts, cb, arg);
	return 1;
}
