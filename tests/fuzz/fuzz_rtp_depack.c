/* libFuzzer target: length-prefixed RTP datagrams into the depacketizer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/log.h"
#include "cast/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	size_t max_au;
	uint64_t sum;
};

/* Touches every byte so ASan sees any bad pointer or length. */
static void on_au(const struct cast_h264_au *au, void *arg)
{
	struct ctx *c = arg;
	size_t i;

	if (au->size < 5 || au->size > c->max_au ||
	    memcmp(au->data, "\0\0\0\1", 4) != 0)
		abort();
	for (i = 0; i < au->size; i++)
		c->sum += au->data[i];
}

/*
 * Input: one config byte (window, reorder time, AU limit), then records of
 * a 2-byte big-endian length and that many bytes. The length's top bit
 * makes 50 ms pass before the packet, so gaps expire; otherwise 1 ms does.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_h264_depacketizer_cfg cfg;
	struct cast_h264_depacketizer *d;
	struct cast_rtp_rx_stats st;
	struct ctx c = {0};
	uint16_t missing[16];
	int64_t now = 1000000;
	size_t off = 1;
	int n;

	if (size < 1)
		return 0;
	cast_log_set_level(CAST_LOG_ERROR);
	cast_h264_depacketizer_cfg_init(&cfg);
	cfg.reorder_window = 1 + (data[0] & 0x1f);
	cfg.reorder_ms = (data[0] & 0x20) ? 0 : 40;
	if (data[0] & 0x40)
		cfg.max_au = 3000;
	/* Payload type 100 (auth packets) holds its place, adds nothing. */
	cfg.filler_pt = CAST_RTP_PT_AUTH;
	c.max_au = cfg.max_au;
	if (cast_h264_depacketizer_new(&d, &cfg, on_au, &c))
		return 0;
	while (size - off >= 2) {
		size_t len = (size_t)(data[off] & 0x7f) << 8 | data[off + 1];

		now += (data[off] & 0x80) ? 50000 : 1000;
		off += 2;
		if (len > size - off)
			len = size - off;
		cast_h264_depacketizer_push(d, data + off, len, now);
		off += len;
		n = cast_h264_depacketizer_missing(d, missing, 16);
		if (n < 0 || n > 16 || n >= cfg.reorder_window)
			abort();
		if ((data[0] & 0x80) && (off & 7) == 0)
			cast_h264_depacketizer_poll(d, now);
		/* Now and then, a link back after long: skip to live. */
		if ((data[0] & 0x80) && (off & 63) == 1)
			cast_h264_depacketizer_restart(d);
	}
	cast_h264_depacketizer_poll(d, now + 1000000);
	cast_h264_depacketizer_stats(d, &st);
	if (st.aus_damaged > st.aus)
		abort();
	cast_h264_depacketizer_free(&d);
	return 0;
}
