/* libFuzzer target: RTCP compound parser, plus the RTP header parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_rtcp_sr sr, again;
	struct cast_rtp_hdr h;
	uint8_t buf[512];
	char cname[256];
	size_t n;
	int rc;

	/* Exact-size copy so ASan catches any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	if (cast_rtp_parse(copy, size, &h) == 0) {
		if (h.payload < copy || h.payload + h.payload_len > copy + size)
			abort();
	}
	rc = cast_rtcp_parse_sr(copy, size, &sr);
	if (rc != 0 && rc != CAST_ERROR(ENOENT) && rc != CAST_EMALFORMED)
		abort();
	if (rc == 0) {
		/* What parses must survive a write/parse round trip. */
		n = size < sizeof(cname) - 1 ? size : sizeof(cname) - 1;
		memcpy(cname, copy, n);
		cname[n] = '\0';
		rc = cast_rtcp_write_sr(buf, sizeof(buf), &sr, cname);
		if (rc < 28 || cast_rtcp_parse_sr(buf, (size_t)rc, &again) ||
		    again.ssrc != sr.ssrc || again.ntp != sr.ntp ||
		    again.rtp_ts != sr.rtp_ts ||
		    again.packets != sr.packets || again.octets != sr.octets)
			abort();
	}
	free(copy);
	return 0;
}
