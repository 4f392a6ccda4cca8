/* RTCP feedback: RR (RFC 3550), generic NACK and PLI (RFC 4585), APP stats
 * and repair state. */
#include <string.h>

#include "cast/error.h"
#include "cast/rtcp.h"

#define PT_RR 201
#define PT_APP 204
#define PT_RTPFB 205
#define PT_PSFB 206
#define FMT_NACK 1
#define FMT_PLI 1

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Common header: V=2, count/fmt, type, length in 32-bit words minus one. */
static void header(uint8_t *p, int count, int pt, size_t bytes)
{
	p[0] = (uint8_t)(0x80 | (count & 0x1f));
	p[1] = (uint8_t)pt;
	put16(p + 2, (uint32_t)(bytes / 4 - 1));
}

int cast_rtcp_write_fb(uint8_t *buf, size_t size, const struct cast_rtcp_fb *fb)
{
	const struct cast_rtcp_rr *rr = &fb->rr;
	size_t off = 0, start;
	uint16_t pid, blp;
	int i, j;

	if (!fb->has_rr || fb->n_nack < 0 || fb->n_nack > CAST_RTCP_MAX_NACK ||
	    fb->n_repair_state < 0 ||
	    fb->n_repair_state > CAST_RTCP_MAX_REPAIR_STATE)
		return CAST_ERROR(EINVAL);
	if (size < 32)
		return CAST_ERROR(ENOSPC);
	header(buf, 1, PT_RR, 32);
	put32(buf + 4, rr->ssrc);
	put32(buf + 8, rr->media_ssrc);
	put32(buf + 12, (uint32_t)rr->fraction_lost << 24 |
				((uint32_t)rr->cumulative_lost & 0xffffff));
	put32(buf + 16, rr->highest_seq);
	put32(buf + 20, rr->jitter);
	put32(buf + 24, rr->lsr);
	put32(buf + 28, rr->dlsr);
	off = 32;

	if (fb->n_nack > 0) {
		start = off;
		if (off + 12 > size)
			return CAST_ERROR(ENOSPC);
		off += 12;
		/* PID + bitmask of the 16 following: one FCI per run. */
		for (i = 0; i < fb->n_nack; i = j) {
			pid = fb->nack[i];
			blp = 0;
			for (j = i + 1; j < fb->n_nack; j++) {
				uint16_t d = (uint16_t)(fb->nack[j] - pid);

				if (d < 1 || d > 16)
					break;
				blp |= (uint16_t)(1u << (d - 1));
			}
			if (off + 4 > size)
				return CAST_ERROR(ENOSPC);
			put16(buf + off, pid);
			put16(buf + off + 2, blp);
			off += 4;
		}
		header(buf + start, FMT_NACK, PT_RTPFB, off - start);
		put32(buf + start + 4, rr->ssrc);
		put32(buf + start + 8, rr->media_ssrc);
	}
	if (fb->pli) {
		if (off + 12 > size)
			return CAST_ERROR(ENOSPC);
		header(buf + off, FMT_PLI, PT_PSFB, 12);
		put32(buf + off + 4, rr->ssrc);
		put32(buf + off + 8, rr->media_ssrc);
		off += 12;
	}
	if (fb->has_stats) {
		if (off + 32 > size)
			return CAST_ERROR(ENOSPC);
		header(buf + off, 0, PT_APP, 32);
		put32(buf + off + 4, rr->ssrc);
		memcpy(buf + off + 8, "LCST", 4);
		put32(buf + off + 12, fb->stats.fps_x100);
		put32(buf + off + 16, fb->stats.frames_decoded);
		put32(buf + off + 20, fb->stats.latency_p50_us);
		put32(buf + off + 24, fb->stats.packets_recovered);
		put32(buf + off + 28, fb->stats.no_multicast);
		off += 32;
	}
	if (fb->unicast_request) {
		if (off + 12 > size)
			return CAST_ERROR(ENOSPC);
		header(buf + off, 0, PT_APP, 12);
		put32(buf + off + 4, rr->ssrc);
		memcpy(buf + off + 8, "LCUC", 4);
		off += 12;
	}
	if (fb->n_repair_state > 0) {
		size_t n = 12 + 4 * (size_t)fb->n_repair_state;

		if (off + n > size)
			return CAST_ERROR(ENOSPC);
		header(buf + off, 0, PT_APP, n);
		put32(buf + off + 4, rr->ssrc);
		memcpy(buf + off + 8, "LCRS", 4);
		for (i = 0; i < fb->n_repair_state; i++) {
			put16(buf + off + 12 + 4 * (size_t)i,
			      fb->repair_state[i].base);
			put16(buf + off + 14 + 4 * (size_t)i,
			      fb->repair_state[i].seen);
		}
		off += n;
	}
	return (int)off;
}

static void parse_nack(const uint8_t *p, size_t len, struct cast_rtcp_fb *fb)
{
	for (size_t off = 12; off + 4 <= len; off += 4) {
		uint16_t pid = (uint16_t)get16(p + off);
		uint16_t blp = (uint16_t)get16(p + off + 2);

		if (fb->n_nack < CAST_RTCP_MAX_NACK)
			fb->nack[fb->n_nack++] = pid;
		for (int b = 0; b < 16; b++)
			if (blp & (1u << b) && fb->n_nack < CAST_RTCP_MAX_NACK)
				fb->nack[fb->n_nack++] = (uint16_t)(pid + b + 1);
	}
}

int cast_rtcp_parse_fb(const uint8_t *buf, size_t len, struct cast_rtcp_fb *fb)
{
	size_t off = 0;

	memset(fb, 0, sizeof(*fb));
	if (len < 8)
		return CAST_EMALFORMED;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen;
		int count, pt;

		if (len - off < 4 || (p[0] >> 6) != 2)
			return CAST_EMALFORMED;
		count = p[0] & 0x1f;
		pt = p[1];
		plen = (get16(p + 2) + 1) * 4;
		if (plen > len - off)
			return CAST_EMALFORMED;
		if (off == 0 && pt != PT_RR && pt != 200)
			return CAST_EMALFORMED; /* must start with SR/RR */
		switch (pt) {
		case PT_RR:
			if (plen < 8 + (size_t)count * 24)
				return CAST_EMALFORMED;
			fb->rr.ssrc = get32(p + 4);
			if (count >= 1) {
				const uint8_t *b = p + 8;
				uint32_t cl = get32(b + 4) & 0xffffff;

				fb->has_rr = true;
				fb->rr.media_ssrc = get32(b);
				fb->rr.fraction_lost = b[4];
				/* Sign-extend the 24-bit count. */
				fb->rr.cumulative_lost =
					(int32_t)(cl ^ 0x800000) - 0x800000;
				fb->rr.highest_seq = get32(b + 8);
				fb->rr.jitter = get32(b + 12);
				fb->rr.lsr = get32(b + 16);
				fb->rr.dlsr = get32(b + 20);
			}
			break;
		case PT_RTPFB:
			if (plen < 12)
				return CAST_EMALFORMED;
			if (count == FMT_NACK)
				parse_nack(p, plen, fb);
			break;
		case PT_PSFB:
			if (plen < 12)
				return CAST_EMALFORMED;
			if (count == FMT_PLI)
				fb->pli = true;
			break;
		case PT_APP:
			if (plen < 12)
				return CAST_EMALFORMED;
			if (!memcmp(p + 8, "LCST", 4) && plen >= 32) {
				fb->has_stats = true;
				fb->stats.fps_x100 = get32(p + 12);
				fb->stats.frames_decoded = get32(p + 16);
				fb->stats.latency_p50_us = get32(p + 20);
				fb->stats.packets_recovered = get32(p + 24);
				fb->stats.no_multicast = get32(p + 28);
			} else if (!memcmp(p + 8, "LCUC", 4)) {
				fb->unicast_request = true;
			} else if (!memcmp(p + 8, "LCRS", 4)) {
				for (size_t q = 12; q + 4 <= plen &&
				     fb->n_repair_state < CAST_RTCP_MAX_REPAIR_STATE;
				     q += 4) {
					int n = fb->n_repair_state++;

					fb->repair_state[n].base =
						(uint16_t)get16(p + q);
					fb->repair_state[n].seen =
						(uint16_t)get16(p + q + 2);
				}
			}
			break;
		default:
			break; /* SDES, BYE, others: not needed here */
		}
		off += plen;
	}
	return 0;
}
