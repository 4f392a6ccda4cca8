/* SDP for third-party receivers (RFC 4566, RFC 6184 section 8). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/base64.h>

#include "cast/error.h"
#include "cast/rtp.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o,
						      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

static void put_base64(struct out *o, const uint8_t *p, size_t n)
{
	if (o->full)
		return;
	if (n > (size_t)INT32_MAX / 2 ||
	    !av_base64_encode(o->buf + o->len, (int)(o->size - o->len), p,
			      (int)n)) {
		o->full = true;
		return;
	}
	o->len += strlen(o->buf + o->len);
}

int cast_sdp_write(char *buf, size_t size, const struct cast_sdp_info *info)
{
	struct out o = {.buf = buf, .size = size};
	const char *name, *origin, *ip = "IP4";
	struct in_addr a4;
	struct in6_addr a6;
	bool mcast = false;

	if (!buf || !size || !info || !info->dest_addr || info->pt > 127)
		return CAST_ERROR(EINVAL);
	name = info->session_name && *info->session_name ? info->session_name
							  : "libcast";
	origin = info->origin_addr ? info->origin_addr : "127.0.0.1";
	if (inet_pton(AF_INET, info->dest_addr, &a4) == 1) {
		mcast = (ntohl(a4.s_addr) >> 28) == 0xe;
	} else if (inet_pton(AF_INET6, info->dest_addr, &a6) == 1) {
		ip = "IP6";
	} else {
		return CAST_ERROR(EINVAL);
	}

	buf[0] = '\0';
	put(&o, "v=0\r\n");
	put(&o, "o=- 0 0 IN %s %s\r\n", strchr(origin, ':') ? "IP6" : "IP4",
	    origin);
	put(&o, "s=%s\r\n", name);
	if (mcast)
		put(&o, "c=IN IP4 %s/%d\r\n", info->dest_addr,
		    info->ttl > 0 && info->ttl < 256 ? info->ttl : 1);
	else
		put(&o, "c=IN %s %s\r\n", ip, info->dest_addr);
	put(&o, "t=0 0\r\n");
	put(&o, "m=video %u RTP/AVP %u\r\n", info->port, info->pt);
	put(&o, "a=rtpmap:%u H264/%d\r\n", info->pt, CAST_RTP_CLOCK_H264);
	put(&o, "a=fmtp:%u packetization-mode=1", info->pt);
	if (info->sps && info->sps_len >= 4)
		put(&o, ";profile-level-id=%02x%02x%02x", info->sps[1],
		    info->sps[2], info->sps[3]);
	if (info->sps && info->sps_len) {
		put(&o, ";sprop-parameter-sets=");
		put_base64(&o, info->sps, info->sps_len);
		if (info->pps && info->pps_len) {
			put(&o, ",");
			put_base64(&o, info->pps, info->pps_len);
		}
	}
	put(&o, "\r\n");
	if (o.full)
		return CAST_ERROR(ENOSPC);
	return (int)o.len;
}

int cast_sdp_append_opus(char *buf, size_t size, const char *addr,
			 uint16_t port, uint8_t pt, int ttl)
{
	struct out o = {.buf = buf, .size = size};
	struct in_addr a4;
	struct in6_addr a6;
	size_t start;

	if (!buf || !size || !addr || pt > 127 || !port)
		return CAST_ERROR(EINVAL);
	o.len = start = strnlen(buf, size);
	if (start == size)
		return CAST_ERROR(EINVAL);
	put(&o, "m=audio %u RTP/AVP %u\r\n", port, pt);
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		if ((ntohl(a4.s_addr) >> 28) == 0xe)
			put(&o, "c=IN IP4 %s/%d\r\n", addr,
			    ttl > 0 && ttl < 256 ? ttl : 1);
		else
			put(&o, "c=IN IP4 %s\r\n", addr);
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		put(&o, "c=IN IP6 %s\r\n", addr);
	} else {
		buf[start] = '\0';
		return CAST_ERROR(EINVAL);
	}
	/* RFC 7587: always opus/48000/2; the stream itself is mono. */
	put(&o, "a=rtpmap:%u opus/48000/2\r\n", pt);
	put(&o, "a=fmtp:%u minptime=20;useinbandfec=1;stereo=0;"
		"sprop-stereo=0\r\n", pt);
	put(&o, "a=ptime:20\r\n");
	if (o.full) {
		buf[start] = '\0';
		return CAST_ERROR(ENOSPC);
	}
	return (int)o.len;
}
