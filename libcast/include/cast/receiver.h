/* The student's receive pipeline: RTP multicast → reorder → H.264 decode. */
#ifndef CAST_RECEIVER_H
#define CAST_RECEIVER_H

#include "frame.h"
#include "rtp.h"
#include "srtp.h"
#include "stats.h"

struct cast_receiver;

/**
 * Called on the receiver's thread with each decoded picture (I420, valid
 * during the call). Keep it short: copy and return.
 */
typedef void(cast_receiver_frame_cb)(const struct cast_frame *f, void *arg);

struct cast_packet;
/**
 * Sees each whole access unit received (Annex B, as sent; damaged ones
 * are not passed), on the receiver's thread before it is decoded: a
 * recorder's tap (cast_recorder_video). Copy what is kept, never block.
 */
typedef void(cast_receiver_au_cb)(const struct cast_packet *pkt, void *arg);

struct cast_receiver_cfg {
	int channel;		/* 1..999, default 1 */
	/**
	 * Group and port; NULL/0 take the channel's. A local address that is
	 * not a group ("0.0.0.0") receives a stream sent to this host alone
	 * (a student's screen: cast/screens.h).
	 */
	const char *group;
	uint16_t port;
	const char *iface;	/* interface to join on, NULL: default */
	bool insecure;		/* accept plain RTP */
	/**
	 * SRTP media key; copied at new. Without it (and not insecure) the
	 * receiver drops everything until cast_receiver_set_key().
	 */
	const struct cast_media_key *media_key;
	/**
	 * The teacher's Ed25519 public key (32 bytes, copied at new) that
	 * signs the stream (cast/mauth.h): unless insecure, a packet reaches
	 * the decoder only once covered by its signature. NULL: nothing is
	 * shown until cast_receiver_set_teacher_key().
	 */
	const uint8_t *teacher_pk;
	/**
	 * Show SRTP media without the teacher's signatures (default false):
	 * only to measure what source authentication costs, since any holder
	 * of the media key could then inject frames.
	 */
	bool unsigned_media;
	int reorder_ms;		/* default 40 */
	/**
	 * Longest sleep between two looks at the timers (reorder, repair)
	 * when no packet arrives, ms (default 10). A low-rate stream (a
	 * wall thumbnail) can take 50: many receivers then cost little.
	 */
	int poll_ms;
	/** Receive, repair and count only; decode nothing (network checks
	 * and benchmarks: frames "decoded" are those a decoder would show). */
	bool no_decode;
	/** Read testpattern stamps back and check order (default false). */
	bool check_stamp;
	cast_receiver_frame_cb *on_frame;
	void *arg;
	/** Optional tap on the access units (called with `arg`). */
	cast_receiver_au_cb *on_au;
	/** Send RTCP feedback (RR, NACK, PLI) to the teacher (default true). */
	bool feedback;
	/**
	 * Teacher's IPv4 address (host order) for feedback before any media
	 * arrived, e.g. from the control connection; 0 learns it from the
	 * first authenticated packet.
	 */
	uint32_t teacher_ip;
	/** Ask for a unicast copy after this long without multicast (3000 ms; 0 never). */
	int unicast_after_ms;
	/**
	 * Coded repair block size until the teacher's sender reports say
	 * theirs (default 64; 0: no coded repair).
	 */
	int repair_block;
};

struct cast_receiver_stats {
	struct cast_rtp_rx_stats rtp;
	uint64_t frames_decoded;
	uint64_t frames_dropped;	/* AUs the decoder refused or lost */
	uint64_t rtcp_sr;		/* sender reports seen */
	uint64_t auth_failures;		/* forged / foreign-key packets dropped */
	uint64_t replays;		/* replayed packets dropped */
	uint64_t no_key;		/* dropped while no media key was set */
	/* Source authentication (not insecure). */
	uint64_t auth_packets_ok;	/* packets released, signed */
	uint64_t auth_packets_bad;	/* dropped: no valid signature */
	uint64_t frames_unauthenticated; /* frames (last packets) of those */
	uint64_t auth_sigs_ok;		/* auth packets verified */
	uint64_t auth_sigs_bad;		/* forged or malformed auth packets */
	struct cast_hist auth_wait_us;	/* arrival → signed, per packet */
	uint64_t auth_cpu_us;		/* spent hashing and verifying */
	uint32_t rtcp_ssrc;		/* this receiver's own, in its feedback */
	/* Repair. */
	uint64_t packets_recovered;	/* NACKed, then arrived or rebuilt */
	uint64_t repairs_received;	/* coded repair packets */
	uint64_t repairs_recovered;	/* packets rebuilt from them */
	uint64_t repairs_declined;	/* blocks left out of a full NACK list */
	uint64_t nacks_sent;		/* sequence numbers asked for */
	double repair_rtt_ms;		/* smoothed ask → packet back time */
	double repair_wait_ms;		/* how long a gap is waited for now */
	uint64_t plis_sent;
	/** Media came back after over 1 s with packets missing: skipped to
	 * the live picture (no repair of the past, a refresh instead). */
	uint64_t stale_skips;
	uint64_t feedback_sent;		/* RTCP feedback packets */
	uint64_t multicast_packets;
	uint64_t unicast_packets;	/* media that came as a unicast copy */
	bool unicast_wanted;		/* asking the teacher for unicast */
	double jitter_ms;
	/** Capture (sender clock) → decoded, µs; needs a sender report. */
	struct cast_hist latency_us;
	struct cast_hist decode_us;
	/** Time from start to the first decoded picture; -1 if none yet. */
	int64_t first_picture_us;
	/** Longest gap between two decoded pictures, after the first. */
	int64_t max_gap_us;
	/** Size of the last picture shown, and how often it changed. */
	int width, height;
	uint64_t size_changes;
	/* Stamp checks (check_stamp): */
	uint64_t stamp_ok;		/* read back, in order */
	uint64_t stamp_bad;		/* unreadable stamp */
	uint64_t stamp_disorder;	/* went backwards or repeated */
	uint64_t stamp_skipped;		/* frame numbers jumped over */
	uint32_t last_stamp;
};

CAST_API void cast_receiver_cfg_init(struct cast_receiver_cfg *cfg);
/** Opens the socket and decoder. Errors: -EINVAL, socket and codec errors. */
CAST_API int cast_receiver_new(struct cast_receiver **out,
			       const struct cast_receiver_cfg *cfg);
CAST_API int cast_receiver_start(struct cast_receiver *r);
/**
 * Installs a new media key (the teacher restarted or rekeyed); takes effect
 * on the receiver thread before the next packet. Returns 0 or -ENOMEM.
 */
CAST_API int cast_receiver_set_key(struct cast_receiver *r,
				   const struct cast_media_key *key);
/**
 * Sets the public key of the teacher whose signatures the stream must carry
 * (from the control connection's WELCOME); takes effect on the receiver
 * thread before the next packet, and drops what waited for the old one.
 */
CAST_API void cast_receiver_set_teacher_key(struct cast_receiver *r,
					    const uint8_t pk[32]);
/**
 * Asks the sender for a fresh keyframe (a PLI with the next feedback):
 * a recording of the stream starts there. Thread-safe.
 */
CAST_API void cast_receiver_request_keyframe(struct cast_receiver *r);
/** Sets the teacher's IPv4 address (host order) once known. */
CAST_API void cast_receiver_set_teacher(struct cast_receiver *r, uint32_t ip);
CAST_API void cast_receiver_stats(struct cast_receiver *r,
				  struct cast_receiver_stats *st);
CAST_API void cast_receiver_stop(struct cast_receiver *r);
CAST_API void cast_receiver_free(struct cast_receiver **r);

#endif
