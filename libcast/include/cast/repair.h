/* Coded packet repair: GF(256) repair packets that fix any student's losses. */
#ifndef CAST_REPAIR_H
#define CAST_REPAIR_H

#include "defs.h"

/*
 * Why: with NACK + resend of originals, 50 students with independent 5 %
 * loss make the teacher resend almost every packet. A repair packet is a
 * linear combination over GF(256) of the packets of a block, so ONE repair
 * fixes a single missing packet of that block for EVERY student at once; a
 * student missing d packets of a block needs any d repairs of that block.
 * The teacher sends, per block, as many repairs as the worst student's
 * deficit (cast_repair_dec_needed() on each student), not the union of
 * losses. Proactive FEC is the same call made for every block as soon as it
 * is complete (covered = k), without waiting for feedback.
 *
 * The codec works on wire bytes (SRTP-protected RTP as sent); it never looks
 * inside a packet, and does no networking, logging or threading. One object
 * must not be used by two threads at once; different objects may.
 *
 * BLOCKS. k (power of two, 4..128, default 16) consecutive RTP sequence
 * numbers form a block; the block of seq s starts at base = s & ~(k - 1).
 * 65536 is a multiple of k, so blocks never straddle the 65535 -> 0 wrap.
 *
 * WIRE FORMAT of a repair packet (all integers big endian):
 *
 *   off size field
 *   0   1    0x00           (RTP version 0: never valid RTP, RTCP or SRTP,
 *                            so repairs may share the media socket)
 *   1   1    'R' (0x52)
 *   2   1    version        1
 *   3   1    k              block size (power of two, 4..128)
 *   4   2    base           first sequence number of the block (base % k == 0)
 *   6   2    covered        1..k: covers packets base .. base + covered - 1
 *                           (a block still being sent may be coded partially)
 *   8   4    seed           selects the coefficients (below)
 *   12  2    coded_len      L = 2 + longest covered packet; 3..1502
 *   14  L    coded          sum over i < covered of c_i * S_i
 *
 * The packet is exactly 14 + L bytes. S_i, the source symbol of packet
 * base + i of length n_i (1..1500), is L bytes: n_i >> 8, n_i & 0xff, the
 * packet's bytes, then zeros. Arithmetic is GF(2^8) with the polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11d): addition is XOR.
 *
 * Coefficients c_i = coef(seed, i), never 0:
 *   seed < 256 - F, where F = max(64, k) (192 seeds, CAST_REPAIR_MDS_SEEDS,
 *   for k <= 64; 128 for k = 128): c_i = inverse(x ^ i), x = F + seed.
 *     These rows form a Cauchy matrix: any d repairs of a block with
 *     distinct such seeds and the same coverage recover ANY d missing
 *     packets (never a singular system).
 *   seed >= 256 - F: h = fmix32(seed ^ (0x9e3779b9 * (i + 1))) (mod 2^32), where
 *     fmix32 is MurmurHash3's finalizer (h ^= h >> 16; h *= 0x85ebca6b;
 *     h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16); c_i = 1 + h % 255.
 *     Random coefficients: d such repairs fail to recover d losses with a
 *     probability of about 1/255 (the decoder then needs one more).
 * The teacher should number a block's repairs 0, 1, 2, ... (distinct seeds):
 * two repairs of equal seed and coverage are the same equation.
 */

/** Default block size k. */
#define CAST_REPAIR_BLOCK 16
#define CAST_REPAIR_MIN_BLOCK 4
#define CAST_REPAIR_MAX_BLOCK 128
/** Largest source packet the codec accepts. */
#define CAST_REPAIR_MAX_PKT 1500
#define CAST_REPAIR_HDR_LEN 14
/** Largest coded_len: 2 length bytes + CAST_REPAIR_MAX_PKT. */
#define CAST_REPAIR_MAX_CODED (2 + CAST_REPAIR_MAX_PKT)
/** Largest repair packet: a buffer this big always suffices for _make(). */
#define CAST_REPAIR_MAX_LEN (CAST_REPAIR_HDR_LEN + CAST_REPAIR_MAX_CODED)
#define CAST_REPAIR_VERSION 1
/** Seeds below this give Cauchy (MDS) coefficient rows (k <= 64; k = 128:
 * seeds below 128). */
#define CAST_REPAIR_MDS_SEEDS 192

/** First sequence number of the block holding `seq` (k a valid block size). */
CAST_API uint16_t cast_repair_block_base(uint16_t seq, int k);

/**
 * True when `buf` starts like a repair packet (0x00 'R', at least the 14-byte
 * header): the demultiplexing test for a socket that also carries RTP/RTCP.
 * Does not validate the rest; cast_repair_dec_add_repair() does.
 */
CAST_API bool cast_repair_detect(const uint8_t *buf, size_t len);

/**
 * Reads a repair packet's block size, block base and seed (any of the
 * pointers may be NULL). Returns false when `buf` is not a repair packet
 * of a version this library knows; checks nothing else.
 */
CAST_API bool cast_repair_header(const uint8_t *buf, size_t len, int *k,
				 uint16_t *base, uint32_t *seed);

/* ---- Encoder (teacher) ---- */

struct cast_repair_enc;

struct cast_repair_enc_cfg {
	/** Block size: power of two in 4..128 (default CAST_REPAIR_BLOCK). */
	int k;
	/**
	 * Packets kept, a power of two in 2k..32768 (default 4096, about
	 * 6 MiB): a repair can only cover packets still kept.
	 */
	int ring;
};

CAST_API void cast_repair_enc_cfg_init(struct cast_repair_enc_cfg *cfg);

/**
 * Creates an encoder (`cfg` NULL: defaults). Writes `*out` only on success.
 * Errors: -EINVAL (bad k or ring), -ENOMEM.
 */
CAST_API int cast_repair_enc_new(struct cast_repair_enc **out,
				 const struct cast_repair_enc_cfg *cfg);

/**
 * Keeps a copy of packet `seq` exactly as sent (wire bytes, after SRTP
 * protect). Call for every media packet in sending order; adding a sequence
 * number again (a resend) replaces the copy. Returns 0, -EINVAL (len 0),
 * -EMSGSIZE (len > CAST_REPAIR_MAX_PKT) or -ERANGE (seq more than `ring`
 * behind the newest added: not kept).
 */
CAST_API int cast_repair_enc_add(struct cast_repair_enc *e, uint16_t seq,
				 const uint8_t *pkt, size_t len);

/**
 * Writes the repair packet of the block starting at `base_seq` (a multiple
 * of k) covering packets base_seq .. base_seq + covered - 1 (1 <= covered
 * <= k) with coefficients from `seed` (see the wire format) into `out`.
 * Returns its length (14 + coded_len, at most CAST_REPAIR_MAX_LEN), or
 * -EINVAL (unaligned base, covered out of range), -ENOENT (a covered packet
 * was never added or is no longer kept), -ENOSPC (out_size too small;
 * nothing useful written).
 */
CAST_API int cast_repair_enc_make(struct cast_repair_enc *e, uint16_t base_seq,
				  int covered, uint32_t seed, uint8_t *out,
				  size_t out_size);

/** Frees the encoder and writes NULL to `*e`; NULL or `*e` NULL is a no-op. */
CAST_API void cast_repair_enc_free(struct cast_repair_enc **e);

/* ---- Decoder (student) ---- */

struct cast_repair_dec;

struct cast_repair_dec_cfg {
	/** Block size; must equal the teacher's (default CAST_REPAIR_BLOCK). */
	int k;
	/**
	 * Received packets kept, a power of two in 2k..32768 (default 1024,
	 * about 1.5 MiB). Blocks older than this are forgotten.
	 */
	int ring;
	/** Blocks with pending repairs, 1..1024 (default 64); oldest dropped. */
	int max_blocks;
	/**
	 * Repair equations kept per block, 1..128, or 0 (the default) for k:
	 * what a student missing the whole block needs; the oldest is
	 * dropped. Memory is allocated per stored repair (coded_len bytes),
	 * so this only bounds it: max_blocks * max_equations * 1.5 KiB.
	 */
	int max_equations;
};

/** Counters of a decoder; all monotonic. */
struct cast_repair_dec_stats {
	uint64_t packets;	/* source packets stored */
	uint64_t duplicates;	/* source packets already held (ignored) */
	uint64_t stale;		/* packets or repairs outside the window */
	uint64_t repairs;	/* well-formed repair packets received */
	uint64_t malformed;	/* repair packets rejected as malformed */
	uint64_t useless;	/* repairs whose packets were all held */
	uint64_t dependent;	/* repairs that added no information */
	uint64_t recovered;	/* packets rebuilt and handed out */
	uint64_t inconsistent;	/* repairs contradicting held packets */
	uint64_t dropped;	/* equations dropped: limits or old blocks */
};

/**
 * Receives a rebuilt packet: sequence number and wire bytes, valid only
 * during the call. Treat them like a packet from the network (SRTP-unprotect
 * them: that also authenticates them). The callback must not call into the
 * same decoder.
 */
typedef void(cast_repair_recovered_cb)(uint16_t seq, const uint8_t *pkt,
				       size_t len, void *arg);

CAST_API void cast_repair_dec_cfg_init(struct cast_repair_dec_cfg *cfg);

/**
 * Creates a decoder (`cfg` NULL: defaults). Writes `*out` only on success.
 * Errors: -EINVAL (a cfg value out of range), -ENOMEM.
 */
CAST_API int cast_repair_dec_new(struct cast_repair_dec **out,
				 const struct cast_repair_dec_cfg *cfg);

/**
 * Changes the block size to `k` (the teacher said so): the packets held
 * stay, the repair equations of every block are dropped (counted). Returns
 * 0, -EINVAL (k not valid, or the ring holds fewer than 2k packets).
 * Equations per block stay as created (max_equations).
 */
CAST_API int cast_repair_dec_set_block(struct cast_repair_dec *d, int k);

/**
 * Keeps a copy of a received media packet: its wire bytes, as they arrived
 * (before cast_srtp_unprotect, which decrypts in place, so copy or add them
 * first). Prefer adding only packets that then authenticate: a forged packet
 * held here makes the recoveries of its block wrong (SRTP rejects those).
 * Returns 1 when the packet belongs to a block holding repair equations
 * (a late packet: call cast_repair_dec_solve(), which may now rebuild the
 * rest of the block), 0 otherwise (stored, or ignored as a duplicate or too
 * old: counted), -EINVAL (len 0) or -EMSGSIZE (len > CAST_REPAIR_MAX_PKT).
 */
CAST_API int cast_repair_dec_add_packet(struct cast_repair_dec *d, uint16_t seq,
					const uint8_t *pkt, size_t len);

/**
 * Takes one repair packet (untrusted network bytes; fully bounds-checked).
 * It is stored as an equation of its block unless it adds nothing (all its
 * packets held, or a combination of the equations already held). When the
 * block's equations determine missing packets, they are rebuilt, stored as
 * received, and handed to `cb` (may be NULL) in sequence order.
 * Returns the number of packets recovered (0 or more), CAST_EMALFORMED (not
 * a repair packet: bad magic or version, k differs from the decoder's,
 * unaligned base, covered 0 or > k, coded_len outside 3..1502 or not the
 * rest of the packet) or -ENOMEM. Repairs outside the window (more than
 * `ring` from the newest packet) and ones that contradict held packets
 * return 0 and are counted.
 */
CAST_API int cast_repair_dec_add_repair(struct cast_repair_dec *d,
					const uint8_t *buf, size_t len,
					cast_repair_recovered_cb *cb, void *arg);

/**
 * Retries the blocks that received packets since their last attempt (see
 * cast_repair_dec_add_packet() returning 1), handing what they now
 * determine to `cb` as cast_repair_dec_add_repair() does. Returns the number
 * of packets recovered, or -EINVAL (d NULL).
 */
CAST_API int cast_repair_dec_solve(struct cast_repair_dec *d,
				   cast_repair_recovered_cb *cb, void *arg);

/**
 * Writes to `seqs` (up to `max`) the sequence numbers of base_seq ..
 * base_seq + covered - 1 not held (lost, or not arrived yet), in order.
 * Returns how many were written, or -EINVAL (unaligned base, covered not in
 * 1..k, max < 0).
 */
CAST_API int cast_repair_dec_missing(const struct cast_repair_dec *d,
				     uint16_t base_seq, int covered,
				     uint16_t *seqs, int max);

/**
 * The student's deficit for a block: how many more repairs covering
 * base_seq .. base_seq + covered - 1 it needs to rebuild all its missing
 * packets there (missing packets minus independent equations held). This is
 * what a student reports; the teacher sends the maximum over students.
 * Returns it (0 or more) or -EINVAL (unaligned base, covered not in 1..k).
 */
CAST_API int cast_repair_dec_needed(const struct cast_repair_dec *d,
				    uint16_t base_seq, int covered);

CAST_API void cast_repair_dec_stats(const struct cast_repair_dec *d,
				    struct cast_repair_dec_stats *st);

/** Frees the decoder and writes NULL to `*d`; NULL or `*d` NULL is a no-op. */
CAST_API void cast_repair_dec_free(struct cast_repair_dec **d);

#endif
