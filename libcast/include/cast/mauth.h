/* Media source authentication: the teacher signs its RTP stream (Ed25519). */
#ifndef CAST_MAUTH_H
#define CAST_MAUTH_H
#include "defs.h"
#include "stats.h"

/*
 * SRTP keeps strangers out of the media, but every student holds its key. So
 * the teacher also signs what it sends: after each access unit's packets it
 * sends, in the same RTP stream (payload type CAST_RTP_PT_AUTH, same SSRC
 * and sequence space, so NACK and coded repair recover it like any packet),
 * one auth packet per run of up to CAST_MAUTH_MAX_HASHES packets. Its
 * payload (docs/protocol.md, "Source authentication"):
 *
 *   0  version (1)          1  count n (1..56)
 *   2  first (6): extended sequence number (48 bits) of the first packet
 *   8  self (2): this auth packet's sequence number minus first's (16 bits)
 *   10 reserved (2), zero
 *   12 n hashes of 16 bytes: BLAKE2b-128 (crypto_generichash) of each
 *      covered RTP packet as sent before SRTP, header and payload
 *   12+16n  Ed25519 signature (64) over CAST_MAUTH_CONTEXT || SSRC (4) ||
 *      channel (2) || the payload's first 12+16n bytes
 */
#define CAST_MAUTH_VERSION 1
#define CAST_MAUTH_HDR_LEN 12
#define CAST_MAUTH_HASH_LEN 16
#define CAST_MAUTH_SIG_LEN 64
#define CAST_MAUTH_MAX_HASHES 56
#define CAST_MAUTH_MAX_LEN                                                   \
	(CAST_MAUTH_HDR_LEN + CAST_MAUTH_MAX_HASHES * CAST_MAUTH_HASH_LEN +  \
	 CAST_MAUTH_SIG_LEN)
#define CAST_MAUTH_CONTEXT "libcast media auth v1"

/** A parsed auth payload; pointers borrow from the parsed buffer. */
struct cast_mauth {
	uint64_t first;			/* extended sequence number */
	int count;
	uint16_t self;			/* own seq minus first's */
	const uint8_t *hashes;		/* count * CAST_MAUTH_HASH_LEN */
	const uint8_t *sig;		/* CAST_MAUTH_SIG_LEN */
	const uint8_t *signed_part;	/* the payload's signed bytes */
	size_t signed_len;
};

/** The hash of one RTP packet (whole, before SRTP / after unprotect). */
CAST_API void cast_mauth_hash(const uint8_t *pkt, size_t len,
			      uint8_t out[CAST_MAUTH_HASH_LEN]);
/**
 * Writes a signed auth payload covering `count` packets from extended
 * sequence number `first`, whose hashes are `hashes` (count * 16 bytes), for
 * an auth packet sent with sequence number first + self in stream `ssrc` of
 * `channel`, signed with Ed25519 secret key `sk`. Returns the length, or
 * -EINVAL (count outside 1..CAST_MAUTH_MAX_HASHES, first over 48 bits),
 * -ENOSPC.
 */
CAST_API int cast_mauth_write(uint8_t *buf, size_t size, uint32_t ssrc,
			      uint16_t channel, uint64_t first, uint16_t self,
			      const uint8_t *hashes, int count,
			      const uint8_t sk[64]);
/**
 * Parses an auth payload (no signature check). Returns 0 or
 * CAST_EMALFORMED (version, count, length or reserved bytes wrong).
 */
CAST_API int cast_mauth_parse(const uint8_t *payload, size_t len,
			      struct cast_mauth *a);
/** Checks a parsed payload's signature: 0, or -EACCES. */
CAST_API int cast_mauth_verify(const struct cast_mauth *a, uint32_t ssrc,
			       uint16_t channel, const uint8_t pk[32]);

/*
 * The student's gate: plain RTP packets (after SRTP) go in; a media packet
 * comes out (through the release callback) only once a valid signature of
 * the teacher covers its hash, auth packets once verified (the depacketizer
 * takes them as fillers). What no signature covers within the hold time, or
 * what a signature contradicts, is dropped and counted. Several candidates
 * are kept per sequence number, so a forged packet that arrives first does
 * not shut out the teacher's.
 */
struct cast_mauth_gate;

/** A released packet (valid during the call) and when it arrived. */
typedef void(cast_mauth_release_cb)(const uint8_t *pkt, size_t len,
				    int64_t arrival_us, void *arg);

struct cast_mauth_gate_cfg {
	/** Sequence numbers tracked (a power of two, default 1024). */
	int ring;
	/** Candidates kept per sequence number (1..8, default 4). */
	int candidates;
	/** Longest a packet waits for its signature (default 1 s). */
	int64_t hold_us;
	cast_mauth_release_cb *cb;
	void *arg;
};

struct cast_mauth_gate_stats {
	uint64_t packets_ok;		/* released, covered by a signature */
	uint64_t packets_bad;		/* dropped: never or wrongly covered */
	uint64_t frames_bad;		/* of those, last packets of a frame */
	uint64_t duplicates;		/* already released */
	uint64_t auth_ok;		/* auth packets verified */
	uint64_t auth_bad;		/* malformed or not the teacher's */
	uint64_t auth_stale;		/* valid but far older than the stream */
	uint64_t no_key;		/* auth packets before a key was set */
	uint64_t held;			/* packets waiting now */
	uint64_t cost_us;		/* spent hashing and verifying */
	/** Arrival → release of media packets, µs (the latency added). */
	struct cast_hist wait_us;
};

CAST_API void cast_mauth_gate_cfg_init(struct cast_mauth_gate_cfg *cfg);
/** Errors: -EINVAL (ring not a power of two 64..8192, candidates), -ENOMEM. */
CAST_API int cast_mauth_gate_new(struct cast_mauth_gate **out,
				 const struct cast_mauth_gate_cfg *cfg);
/**
 * Sets the teacher's public key (NULL: none, everything waits) and forgets
 * the stream: the teacher may have restarted.
 */
CAST_API void cast_mauth_gate_set_key(struct cast_mauth_gate *g,
				      const uint8_t pk[32]);
/** Changes how long a packet waits for its signature (µs, > 0). */
CAST_API void cast_mauth_gate_set_hold(struct cast_mauth_gate *g,
				       int64_t hold_us);
/**
 * Takes one plain RTP packet that arrived at `now_us`. Returns 1 when it
 * (and maybe others) was released, 0 when held or dropped as a duplicate,
 * CAST_EMALFORMED (not RTP), -EACCES (refused: wrong stream, contradicted
 * by a signature, or a bad auth packet), -ENOMEM.
 */
CAST_API int cast_mauth_gate_push(struct cast_mauth_gate *g,
				  const uint8_t *pkt, size_t len,
				  int64_t now_us);
/** Drops (and counts) what waited longer than the hold time. */
CAST_API void cast_mauth_gate_poll(struct cast_mauth_gate *g, int64_t now_us);
/** True when a packet with this sequence number waits in the gate. */
CAST_API bool cast_mauth_gate_holds(const struct cast_mauth_gate *g,
				    uint16_t seq);
CAST_API void cast_mauth_gate_stats(const struct cast_mauth_gate *g,
				    struct cast_mauth_gate_stats *st);
CAST_API void cast_mauth_gate_free(struct cast_mauth_gate **g);
#endif
