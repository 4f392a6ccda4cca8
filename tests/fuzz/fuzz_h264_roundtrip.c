/* libFuzzer target: any Annex B AU survives packetize + depacketize. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/log.h"
#include "cast/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct cast_h264_depacketizer *d;
	size_t mtu;
	int64_t now;
	uint8_t *want;
	size_t want_len;
	int aus;
};

static void on_pkt(const uint8_t *pkt, size_t len, void *arg)
{
	struct ctx *c = arg;

	if (len > c->mtu || cast_h264_depacketizer_push(c->d, pkt, len, c->now))
		abort();
}

static void on_au(const struct cast_h264_au *au, void *arg)
{
	struct ctx *c = arg;

	if (au->damaged || au->size != c->want_len ||
	    memcmp(au->data, c->want, c->want_len) != 0)
		abort();
	c->aus++;
}

/*
 * The expected output: every NAL between start codes, trailing zero bytes
 * dropped, with a 4-byte start code. Returns false when a NAL could not be
 * sent as is (forbidden bit set or a type RTP reserves).
 */
static bool expect(const uint8_t *au, size_t len, uint8_t *out, size_t *olen)
{
	size_t i = 0, start, end;

	*olen = 0;
	for (;;) {
		while (i + 3 <= len && !(au[i] == 0 && au[i + 1] == 0 &&
					 au[i + 2] == 1))
			i++;
		if (i + 3 > len)
			return true;
		start = i + 3;
		i = start;
		while (i + 3 <= len && !(au[i] == 0 && au[i + 1] == 0 &&
					 au[i + 2] == 1))
			i++;
		end = i + 3 <= len ? i : len;
		i = end;
		while (end > start && au[end - 1] == 0)
			end--;
		if (end == start)
			continue;
		if ((au[start] & 0x80) || (au[start] & 0x1f) == 0 ||
		    (au[start] & 0x1f) > 23)
			return false;
		memcpy(out + *olen, "\0\0\0\1", 4);
		memcpy(out + *olen + 4, au + start, end - start);
		*olen += 4 + end - start;
	}
}

/* Input: 2 bytes choose the MTU and STAP-A use, the rest is the AU. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_h264_packetizer_cfg pcfg;
	struct cast_h264_packetizer *p;
	struct ctx c = {0};
	int n;

	if (size < 3)
		return 0;
	cast_log_set_level(CAST_LOG_ERROR);
	/* Up to 4 bytes of start code per NAL of at least 1 byte: 2x room. */
	c.want = malloc(2 * size + 8);
	if (!c.want)
		return 0;
	if (!expect(data + 2, size - 2, c.want, &c.want_len))
		goto out_want;
	cast_h264_packetizer_cfg_init(&pcfg);
	pcfg.mtu = 28 + ((size_t)(data[0] << 8 | data[1]) & 0x7ff);
	pcfg.use_stap = !(data[0] & 0x80);
	c.mtu = pcfg.mtu;
	if (cast_h264_packetizer_new(&p, &pcfg))
		goto out_want;
	if (cast_h264_depacketizer_new(&c.d, NULL, on_au, &c))
		goto out_p;
	n = cast_h264_packetize(p, data + 2, size - 2, 1234, on_pkt, &c);
	if ((n > 0) != (c.want_len > 0) || c.aus != (n > 0))
		abort();
	cast_h264_depacketizer_free(&c.d);
out_p:
	cast_h264_packetizer_free(&p);
out_want:
	free(c.want);
	return 0;
}
