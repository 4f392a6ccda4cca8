/*
 * libFuzzer target: source authentication. The input is parsed as an auth
 * payload (what parses must write back the same), then read as a series of
 * RTP packets (2-byte length, top bit: re-sign an auth packet with the
 * fuzzer's key so the gate's paths past the signature are reached) pushed
 * through a gate, with time moving on so packets expire.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/key.h"
#include "cast/mauth.h"
#include "cast/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cast_key key;
static int ready;

static void released(const uint8_t *pkt, size_t len, int64_t arrival_us,
		     void *arg)
{
	(void)arrival_us;
	(void)arg;
	/* Touch every byte: ASan checks the gate's copy. */
	volatile uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= pkt[i];
}

static void resign(uint8_t *pkt, size_t len)
{
	struct cast_rtp_hdr h;
	struct cast_mauth a;
	uint8_t buf[CAST_MAUTH_MAX_LEN];
	int n;

	if (cast_rtp_parse(pkt, len, &h) || h.pt != CAST_RTP_PT_AUTH ||
	    cast_mauth_parse(h.payload, h.payload_len, &a))
		return;
	n = cast_mauth_write(buf, sizeof(buf), h.ssrc, h.channel, a.first,
			     a.self, a.hashes, a.count, key.sign_sk);
	if (n != (int)h.payload_len)
		abort();
	memcpy((uint8_t *)h.payload, buf, (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_mauth_gate_cfg gc;
	struct cast_mauth_gate *g = NULL;
	struct cast_mauth_gate_stats st;
	struct cast_mauth a;
	uint8_t *copy, out[CAST_MAUTH_MAX_LEN];
	int64_t now = 0;
	int rc;

	if (!ready) {
		if (cast_key_from_code(&key, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23") ||
		    cast_key_new_signer(&key))
			abort();
		ready = 1;
	}
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	rc = cast_mauth_parse(copy, size, &a);
	if (rc && rc != CAST_EMALFORMED)
		abort();
	if (!rc) {
		if (a.hashes < copy || a.sig + CAST_MAUTH_SIG_LEN > copy + size)
			abort();
		rc = cast_mauth_write(out, sizeof(out), 1, 2, a.first, a.self,
				      a.hashes, a.count, key.sign_sk);
		if (rc != (int)size || memcmp(out, copy, a.signed_len))
			abort();
		cast_mauth_verify(&a, 1, 2, key.sign_pk);
	}
	free(copy);

	cast_mauth_gate_cfg_init(&gc);
	gc.ring = 64;
	gc.candidates = 2;
	gc.hold_us = 1000;
	gc.cb = released;
	if (cast_mauth_gate_new(&g, &gc))
		abort();
	cast_mauth_gate_set_key(g, key.sign_pk);
	while (size >= 2) {
		size_t len = (size_t)(data[0] << 8 | data[1]) & 0x7fff;
		bool sign = data[0] & 0x80;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		copy = malloc(len ? len : 1);
		if (!copy)
			break;
		memcpy(copy, data, len);
		if (sign)
			resign(copy, len);
		rc = cast_mauth_gate_push(g, copy, len, now);
		if (rc != 0 && rc != 1 && rc != CAST_EMALFORMED &&
		    rc != CAST_ERROR(EACCES))
			abort();
		free(copy);
		data += len;
		size -= len;
		now += 300;
		cast_mauth_gate_poll(g, now);
		if (len >= 4)
			cast_mauth_gate_holds(g, (uint16_t)(data[-2] << 8 | data[-1]));
	}
	cast_mauth_gate_stats(g, &st);
	if (st.held > 64 * 2)
		abort();
	cast_mauth_gate_free(&g);
	return 0;
}
