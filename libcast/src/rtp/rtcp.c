/* RTCP sender reports and SDES CNAME (RFC 3550 section 6), NTP timestamps. */
#include <stdbool.h>
#include <string.h>

#include "cast/error.h"
#include "cast/rtp.h"

#include "rtp_int.h"

#define RTCP_SR 200
#define RTCP_SDES 202
#define RTCP_APP 204
#define APP_LCRD_LEN 16
#define SDES_CNAME 1
#define SR_LEN 28
#define REPORT_BLOCK_LEN 24
/* Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
#define NTP_UNIX_OFFSET 2208988800ll

int cast_rtcp_write_sr(uint8_t *buf, size_t size, const struct cast_rtcp_sr *sr,
		       const char *cname)
{
	size_t cname_len = cname ? strlen(cname) : 0;
	size_t sdes_len = 0, total;
	bool lcrd;
	uint8_t *p;

	if (!buf || !sr || cname_len > 255)
		return CAST_ERROR(EINVAL);
	if (cname_len) {
		/* Chunk: SSRC, CNAME item, a null octet or more, pad to 4. */
		sdes_len = 4 + ((4 + 2 + cname_len + 1 + 3) & ~(size_t)3);
	}
	lcrd = sr->repair_ms || sr->repair_block;
	total = SR_LEN + sdes_len + (lcrd ? APP_LCRD_LEN : 0);
	if (total > size)
		return CAST_ERROR(ENOSPC);

	p = buf;
	p[0] = 0x80;
	p[1] = RTCP_SR;
	cast__wr16(p + 2, SR_LEN / 4 - 1);
	cast__wr32(p + 4, sr->ssrc);
	cast__wr32(p + 8, (uint32_t)(sr->ntp >> 32));
	cast__wr32(p + 12, (uint32_t)sr->ntp);
	cast__wr32(p + 16, sr->rtp_ts);
	cast__wr32(p + 20, sr->packets);
	cast__wr32(p + 24, sr->octets);
	if (cname_len) {
		p = buf + SR_LEN;
		memset(p, 0, sdes_len);
		p[0] = 0x81;
		p[1] = RTCP_SDES;
		cast__wr16(p + 2, (uint16_t)(sdes_len / 4 - 1));
		cast__wr32(p + 4, sr->ssrc);
		p[8] = SDES_CNAME;
		p[9] = (uint8_t)cname_len;
		memcpy(p + 10, cname, cname_len);
	}
	if (lcrd) {
		p = buf + SR_LEN + sdes_len;
		memset(p, 0, APP_LCRD_LEN);
		p[0] = 0x80;
		p[1] = RTCP_APP;
		cast__wr16(p + 2, APP_LCRD_LEN / 4 - 1);
		cast__wr32(p + 4, sr->ssrc);
		memcpy(p + 8, "LCRD", 4);
		cast__wr16(p + 12, sr->repair_ms);
		p[14] = sr->repair_block;
	}
	return (int)total;
}

int cast_rtcp_parse_sr(const uint8_t *buf, size_t len, struct cast_rtcp_sr *sr)
{
	const uint8_t *found = NULL, *lcrd = NULL;
	size_t off = 0;

	if (!buf || !sr || len < 4 || len % 4)
		return CAST_EMALFORMED;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen;

		if (len - off < 4 || (p[0] >> 6) != 2)
			return CAST_EMALFORMED;
		/* RTCP packet types live in 192-223 (RFC 5761 section 4). */
		if (p[1] < 192 || p[1] > 223)
			return CAST_EMALFORMED;
		plen = 4 * ((size_t)cast__rd16(p + 2) + 1);
		if (plen > len - off)
			return CAST_EMALFORMED;
		if (p[0] & 0x20) {
			/* Only the last packet of a compound may be padded. */
			if (off + plen != len || p[plen - 1] == 0 ||
			    p[plen - 1] > plen - 4)
				return CAST_EMALFORMED;
		}
		if (p[1] == RTCP_SR) {
			size_t rc = p[0] & 0x1f;

			if (plen < SR_LEN + rc * REPORT_BLOCK_LEN)
				return CAST_EMALFORMED;
			if (!found)
				found = p;
		}
		if (p[1] == RTCP_APP && (p[0] & 0x1f) == 0 &&
		    plen >= APP_LCRD_LEN && !memcmp(p + 8, "LCRD", 4) && !lcrd)
			lcrd = p;
		off += plen;
	}
	if (!found)
		return CAST_ERROR(ENOENT);
	sr->ssrc = cast__rd32(found + 4);
	sr->ntp = (uint64_t)cast__rd32(found + 8) << 32 |
		  cast__rd32(found + 12);
	sr->rtp_ts = cast__rd32(found + 16);
	sr->packets = cast__rd32(found + 20);
	sr->octets = cast__rd32(found + 24);
	sr->repair_ms = lcrd ? cast__rd16(lcrd + 12) : 0;
	sr->repair_block = lcrd ? lcrd[14] : 0;
	return 0;
}

uint64_t cast_ntp_from_us(int64_t us)
{
	int64_t sec = us / 1000000, rem = us % 1000000;
	uint64_t frac;

	if (rem < 0) {
		sec--;
		rem += 1000000;
	}
	frac = ((uint64_t)rem << 32) / 1000000;
	/* Seconds wrap in 2036 (era 1); cast_ntp_to_us undoes it. */
	return (uint64_t)(uint32_t)(sec + NTP_UNIX_OFFSET) << 32 | frac;
}

int64_t cast_ntp_to_us(uint64_t ntp)
{
	int64_t sec = (int64_t)(ntp >> 32);
	uint64_t frac = ntp & 0xffffffffu;

	/* RFC 4330 section 3: MSB clear means era 1 (2036-2104). */
	if (!(sec & 0x80000000ll))
		sec += 0x100000000ll;
	return (sec - NTP_UNIX_OFFSET) * 1000000 +
	       (int64_t)((frac * 1000000 + 0x80000000u) >> 32);
}
