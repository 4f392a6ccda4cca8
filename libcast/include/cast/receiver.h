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

struct cast_receiver_cfg {
	int channel;		/* 1..999, default 1 */
	/** Group and port; NULL/0 take the channel's. */
	const char *group;
	uint16_t port;
	const char *iface;	/* interface to join on, NULL: default */
	bool insecure;		/* accept plain RTP */
	/**
	 * SRTP media key; copied at new. Without it (and not insecure) the
	 * receiver drops everything until cast_receiver_set_key().
	 */
	const struct cast_media_key *media_key;
	int reorder_ms;		/* default 40 */
	/** Read testpattern stamps back and check order (default false). */
	bool check_stamp;
	cast_receiver_frame_cb *on_frame;
	void *arg;
};

struct cast_receiver_stats {
	struct cast_rtp_rx_stats rtp;
	uint64_t frames_decoded;
	uint64_t frames_dropped;	/* AUs the decoder refused or lost */
	uint64_t rtcp_sr;		/* sender reports seen */
	uint64_t auth_failures;		/* forged / foreign-key packets dropped */
	uint64_t replays;		/* replayed packets dropped */
	uint64_t no_key;		/* dropped while no media key was set */
	/** Capture (sender clock) → decoded, µs; needs a sender report. */
	struct cast_hist latency_us;
	struct cast_hist decode_us;
	/** Time from start to the first decoded picture; -1 if none yet. */
	int64_t first_picture_us;
	/** Longest gap between two decoded pictures, after the first. */
	int64_t max_gap_us;
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
CAST_API void cast_receiver_stats(struct cast_receiver *r,
				  struct cast_receiver_stats *st);
CAST_API void cast_receiver_stop(struct cast_receiver *r);
CAST_API void cast_receiver_free(struct cast_receiver **r);

#endif
