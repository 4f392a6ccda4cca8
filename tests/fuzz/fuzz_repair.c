/* libFuzzer target: repair decoder fed real and forged repairs and packets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/repair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRUTH 4096

/*
 * Input: k/limits byte, two bytes of first sequence number, then ops:
 *   0 send the next packet (length byte; the decoder misses it if bit 7)
 *   1 a real repair of a recent block (blocks back, covered, seed)
 *   2 a forged repair (length, raw bytes)
 *   3 a forged packet (seq, length, raw bytes)
 *   4 queries: needed, missing, solve
 * While nothing forged was fed, every recovered packet must be the one sent.
 */
struct fuzz {
	const uint8_t *p, *end;
	int64_t next;			/* extended seq of the next packet */
	bool clean;
	int64_t truth_ext[TRUTH];
	uint16_t truth_len[TRUTH];
	uint8_t truth[TRUTH][CAST_REPAIR_MAX_PKT];
};

static struct fuzz F;

static unsigned take(unsigned n)
{
	unsigned v = 0;

	while (n--) {
		v <<= 8;
		if (F.p < F.end)
			v |= *F.p++;
	}
	return v;
}

static void on_recovered(uint16_t seq, const uint8_t *pkt, size_t len,
			 void *arg)
{
	uint8_t *copy;
	int64_t ext;
	int slot;

	(void)arg;
	if (len < 1 || len > CAST_REPAIR_MAX_PKT)
		abort();
	/* Exact-size copy so ASan catches a read past what was handed out. */
	copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, pkt, len);
	if (F.clean) {
		ext = F.next - 1 - (int64_t)(uint16_t)(F.next - 1 - seq);
		slot = (int)(ext & (TRUTH - 1));
		if (F.truth_ext[slot] != ext || F.truth_len[slot] != len ||
		    memcmp(F.truth[slot], copy, len))
			abort();
	}
	free(copy);
}

static void feed_repair(struct cast_repair_dec *d, const uint8_t *buf,
			size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	if (!copy)
		return;
	if (len)
		memcpy(copy, buf, len);
	rc = cast_repair_dec_add_repair(d, copy, len, on_recovered, NULL);
	if (rc < 0 && rc != CAST_EMALFORMED && rc != CAST_ERROR(ENOMEM))
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_repair_enc_cfg ec;
	struct cast_repair_dec_cfg dc;
	struct cast_repair_enc *e = NULL;
	struct cast_repair_dec *d = NULL;
	uint8_t buf[CAST_REPAIR_MAX_LEN], pkt[CAST_REPAIR_MAX_PKT];
	uint16_t seqs[CAST_REPAIR_MAX_BLOCK];
	unsigned op, cfgb, len, i, back, covered, seed;
	int64_t base, cur;
	int k, n, slot;

	F.p = data;
	F.end = data + size;
	F.clean = true;
	cfgb = take(1);
	k = 4 << (cfgb % 5);
	cast_repair_enc_cfg_init(&ec);
	ec.k = k;
	cast_repair_dec_cfg_init(&dc);
	dc.k = k;
	dc.ring = 2 * k;
	dc.max_blocks = 1 + (int)((cfgb >> 3) & 3);
	dc.max_equations = 1 + (int)((cfgb >> 5) % (unsigned)k);
	if (cast_repair_enc_new(&e, &ec) || cast_repair_dec_new(&d, &dc))
		goto out;
	F.next = 0x10000 + take(2);
	for (i = 0; i < TRUTH; i++)
		F.truth_ext[i] = -1;

	while (F.p < F.end) {
		op = take(1);
		switch (op % 5) {
		case 0:
			len = 1 + take(1) * 6;
			if (len > CAST_REPAIR_MAX_PKT)
				len = CAST_REPAIR_MAX_PKT;
			slot = (int)(F.next & (TRUTH - 1));
			for (i = 0; i < len; i++)
				F.truth[slot][i] =
					(uint8_t)(F.next * 31 + i * 7 + op);
			F.truth_ext[slot] = F.next;
			F.truth_len[slot] = (uint16_t)len;
			if (cast_repair_enc_add(e, (uint16_t)F.next,
						F.truth[slot], len))
				abort();
			if (!(op & 0x80) &&
			    cast_repair_dec_add_packet(d, (uint16_t)F.next,
						       F.truth[slot], len) == 1)
				cast_repair_dec_solve(d, on_recovered, NULL);
			F.next++;
			break;
		case 1:
			if (F.next == 0x10000)
				break;
			back = (op >> 3) & 3;
			cur = (F.next - 1) & ~(int64_t)(k - 1);
			base = cur - (int64_t)back * k;
			covered = 1 + take(1) % (unsigned)k;
			seed = take(4);
			n = cast_repair_enc_make(e, (uint16_t)base, (int)covered,
						 seed, buf, sizeof(buf));
			if (n == CAST_ERROR(ENOENT))
				break;
			if (n < CAST_REPAIR_HDR_LEN || n > (int)sizeof(buf))
				abort();
			feed_repair(d, buf, (size_t)n);
			break;
		case 2:
			F.clean = false;
			len = take(2) % (sizeof(buf) + 1);
			if (len > (size_t)(F.end - F.p))
				len = (unsigned)(F.end - F.p);
			feed_repair(d, F.p, len);
			F.p += len;
			break;
		case 3:
			F.clean = false;
			seqs[0] = (uint16_t)take(2);
			len = 1 + take(1) * 6;
			if (len > CAST_REPAIR_MAX_PKT)
				len = CAST_REPAIR_MAX_PKT;
			memset(pkt, (int)op, len);
			for (i = 0; i < len && F.p < F.end; i++)
				pkt[i] = *F.p++;
			if (cast_repair_dec_add_packet(d, seqs[0], pkt, len) < 0)
				abort();
			break;
		default:
			base = ((F.next - 1) & ~(int64_t)(k - 1)) -
			       (int64_t)((op >> 3) & 3) * k;
			covered = 1 + take(1) % (unsigned)k;
			n = cast_repair_dec_needed(d, (uint16_t)base,
						   (int)covered);
			if (n < 0 || n > (int)covered)
				abort();
			n = cast_repair_dec_missing(d, (uint16_t)base,
						    (int)covered, seqs,
						    (int)covered);
			if (n < 0 || n > (int)covered)
				abort();
			if (cast_repair_dec_solve(d, on_recovered, NULL) < 0)
				abort();
			break;
		}
	}
out:
	cast_repair_enc_free(&e);
	cast_repair_dec_free(&d);
	return 0;
}
