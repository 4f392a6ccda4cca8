/* RTP fixed header parsing (RFC 3550 section 5.1). */
#include "cast/error.h"
#include "cast/rtp.h"

#include "rtp_int.h"

/* Walks RFC 8285 one-byte elements for the channel element; 0 if absent. */
static uint16_t one_byte_channel(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned id = p[i] >> 4, l = (p[i] & 0x0f) + 1u;

		if (p[i] == 0) { /* padding */
			i++;
			continue;
		}
		if (id == 15 || i + 1 + l > len)
			return 0;
		if (id == CAST_RTP_EXT_CHANNEL && l == 2)
			return (uint16_t)cast__rd16(p + i + 1);
		i += 1 + l;
	}
	return 0;
}

int cast_rtp_parse(const uint8_t *buf, size_t len, struct cast_rtp_hdr *hdr)
{
	size_t off = CAST_RTP_HDR_LEN;
	size_t end = len;
	uint16_t channel = 0;
	unsigned cc;

	if (!buf || !hdr || len < CAST_RTP_HDR_LEN)
		return CAST_EMALFORMED;
	if ((buf[0] >> 6) != 2)
		return CAST_EMALFORMED;
	/* PT 72-76 with the marker bit set is RTCP SR..APP (RFC 5761). */
	if (buf[1] >= 200 && buf[1] <= 204)
		return CAST_EMALFORMED;

	cc = buf[0] & 0x0f;
	off += 4 * (size_t)cc;
	if (off > len)
		return CAST_EMALFORMED;
	if (buf[0] & 0x10) {
		size_t ext;

		if (off + 4 > len)
			return CAST_EMALFORMED;
		ext = 4 + 4 * (size_t)cast__rd16(buf + off + 2);
		if (ext > len - off)
			return CAST_EMALFORMED;
		if (cast__rd16(buf + off) == 0xBEDE)
			channel = one_byte_channel(buf + off + 4, ext - 4);
		off += ext;
	}
	if (buf[0] & 0x20) {
		uint8_t pad = buf[len - 1];

		/* The count includes itself, so it is at least 1. */
		if (pad == 0 || pad > len - off)
			return CAST_EMALFORMED;
		end = len - pad;
	}

	hdr->marker = buf[1] >> 7;
	hdr->pt = buf[1] & 0x7f;
	hdr->seq = cast__rd16(buf + 2);
	hdr->ts = cast__rd32(buf + 4);
	hdr->ssrc = cast__rd32(buf + 8);
	hdr->channel = channel;
	hdr->payload = buf + off;
	hdr->payload_len = end - off;
	return 0;
}
