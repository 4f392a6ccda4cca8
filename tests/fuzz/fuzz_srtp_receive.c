/* libFuzzer target: a student's whole receive path for one datagram —
 * repair detection, SRTP unprotect, RTP depacketizing — under a fixed key. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cast/cast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_au(const struct cast_h264_au *au, void *arg)
{
	(void)au;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cast_srtp *rx;
	static struct cast_h264_depacketizer *d;
	static struct cast_repair_dec *rd;
	static int64_t now;
	uint8_t buf[2048];
	size_t off = 0;

	if (!rx) {
		struct cast_media_key k;
		struct cast_h264_depacketizer_cfg dc;

		memset(&k, 7, sizeof(k));
		cast_log_set_level(CAST_LOG_ERROR);
		if (cast_srtp_new(&rx, CAST_SRTP_RECEIVER, &k))
			return 0;
		cast_h264_depacketizer_cfg_init(&dc);
		dc.channel = 7;
		cast_h264_depacketizer_new(&d, &dc, on_au, NULL);
		cast_repair_dec_new(&rd, NULL);
	}
	/* Datagrams as [u16 length][bytes]... */
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		struct cast_rtp_hdr h;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > sizeof(buf))
			len = sizeof(buf);
		memcpy(buf, data + off, len);
		off += len;
		now += 1000;
		if (cast_repair_detect(buf, len)) {
			cast_repair_dec_add_repair(rd, buf, len, NULL, NULL);
			continue;
		}
		if (!cast_rtp_parse(buf, len, &h))
			cast_repair_dec_add_packet(rd, h.seq, buf, len);
		if (cast_srtp_unprotect(rx, buf, &len))
			continue;
		cast_h264_depacketizer_push(d, buf, len, now);
	}
	cast_h264_depacketizer_poll(d, now + 100000);
	return 0;
}
