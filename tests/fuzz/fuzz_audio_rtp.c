/* libFuzzer target: length-prefixed datagrams into the voice receive path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/audio.h"
#include "cast/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: records of a 2-byte big-endian length and that many bytes, each a
 * plain RTP packet as the voice receiver sees it after SRTP. The length's
 * top bit plays one 20 ms tick before the packet (jitter buffer → Opus
 * decode with FEC or concealment), so reorder, loss and late packets mix.
 * Each packet's signature is checked (with a key no input holds) and
 * everything the parser accepts goes into the jitter buffer as it would:
 * as received, or (odd sequence numbers) as rebuilt by repair.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_jitter_cfg jc;
	struct cast_jitter *j = NULL;
	struct cast_opus_dec *d = NULL;
	struct cast_jitter_frame f;
	struct cast_rtp_hdr h;
	int16_t pcm[CAST_AUDIO_FRAME];
	int64_t now = 1000000;
	size_t off = 0;
	/* Any 32 bytes: checking against them must fail safely. */
	static const uint8_t pk[32] = {1, 2, 3};

	cast_log_set_level(CAST_LOG_ERROR);
	cast_jitter_cfg_init(&jc);
	if (cast_jitter_new(&j, &jc) || cast_opus_dec_new(&d))
		abort();
	while (off + 2 <= size) {
		size_t len = (size_t)(data[off] & 0x7f) << 8 | data[off + 1];
		bool tick = data[off] & 0x80;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (tick) {
			now += CAST_AUDIO_FRAME_US;
			cast_jitter_get(j, now, &f);
			if (f.kind == CAST_JITTER_PACKET ||
			    f.kind == CAST_JITTER_FEC) {
				if (!f.data || !f.len ||
				    f.len > CAST_OPUS_MAX_PACKET)
					abort();
				cast_opus_decode(d, f.data, f.len,
						 f.kind == CAST_JITTER_FEC, pcm);
			} else if (f.kind == CAST_JITTER_LOST) {
				cast_opus_decode(d, NULL, 0, false, pcm);
			}
		}
		if (!cast_opus_rtp_verify(data + off, len, pk, pk))
			abort();
		if (!cast_opus_rtp_parse(data + off, len, 0, &h)) {
			if (h.payload < data + off ||
			    h.payload + h.payload_len > data + off + len)
				abort();
			if (h.seq & 1)
				cast_jitter_put_rebuilt(j, h.seq, h.ts,
							h.payload,
							h.payload_len, now);
			else
				cast_jitter_put(j, h.seq, h.ts, h.payload,
						h.payload_len, now);
			(void)cast_jitter_due(j);
		}
		now += 1000;
		off += len;
	}
	cast_jitter_free(&j);
	cast_opus_dec_free(&d);
	return 0;
}
