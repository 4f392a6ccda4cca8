/* The teacher's broadcast pipeline: capture → convert → H.264 → RTP multicast. */
#ifndef CAST_SENDER_H
#define CAST_SENDER_H

#include "capture.h"
#include "codec.h"
#include "record.h"
#include "key.h"
#include "srtp.h"
#include "stats.h"

struct cast_sender;

/**
 * An overlay over the broadcast (the whiteboard: cast_board_composite),
 * called on the pipeline thread with every grabbed picture before
 * conversion. It may point `f` at a picture of its own (same format and
 * size, valid until its next call) and change its damage. `changed`: the
 * source's picture changed. Returns 1 when the picture to send changed, 0
 * when not, or a negative errno (the grabbed picture is sent as it is).
 */
typedef int(cast_frame_overlay_cb)(struct cast_frame *f, int changed,
				   void *arg);

/**
 * Sees each encoded access unit as it is broadcast (the recorder's tap), on
 * the sender's thread: copy what is kept, never block.
 */
typedef void(cast_sender_packet_cb)(const struct cast_packet *pkt, void *arg);

struct cast_sender_cfg {
	struct cast_capture_cfg capture;
	/**
	 * Encoder settings; width/height 0 take the capture size fitted into
	 * fit_width x fit_height (see cast_size_fit).
	 */
	struct cast_encoder_cfg encoder;
	/**
	 * The class size a larger source is scaled down to when the encoder
	 * size is not given (aspect kept); default CAST_CLASS_WIDTH x
	 * CAST_CLASS_HEIGHT (1080p), 0: send the source's size.
	 */
	int fit_width, fit_height;
	int channel;		/* 1..999, default 1 */
	/** Destination; NULL/0 take the channel's group and video port. */
	const char *dest_addr;
	uint16_t dest_port;
	const char *iface;	/* multicast interface, NULL: routing table */
	int ttl;		/* default 1 */
	bool loop;		/* multicast loopback, default true */
	size_t mtu;		/* default CAST_RTP_MTU_DEFAULT */
	/** Plain RTP (no SRTP): for third-party receivers only. */
	bool insecure;
	/** SRTP media key (required unless insecure); copied at new. */
	const struct cast_media_key *media_key;
	/**
	 * The teacher's key (can_sign; required unless insecure): its signing
	 * key signs the stream (cast/mauth.h), copied at new. Students verify
	 * against the public key the control connection proved.
	 */
	const struct cast_key *sign_key;
	/**
	 * Send no auth packets (default false): only to measure what source
	 * authentication costs; students then show nothing unless they too
	 * are told so.
	 */
	bool unsigned_media;
	/**
	 * On a still screen, encode one frame at least this often (ms) until
	 * a whole refresh period of the unchanged picture went out (so every
	 * receiver's picture is complete), then once a second; default 100.
	 */
	int still_interval_ms;
	/** Listen for student feedback (RR, NACK, PLI) and repair (default true). */
	bool feedback;
	/** Sent packets kept for retransmission (default 2048, ~2 s at 8 Mbit/s). */
	int retx_packets;
	/**
	 * A packet is retransmitted at most once per this many ms however many
	 * students ask (default 8: several LAN round trips, under the
	 * students' 10 ms NACK retry).
	 */
	int retx_holdoff_ms;
	/** Keyframe requests closer together than this are merged (default 300). */
	int pli_holdoff_ms;
	/** Students served a unicast copy at most (default 8). */
	int max_unicast;
	/**
	 * Repair lost packets with coded repair packets (one repair fixes any
	 * single loss of a block for every student: the cost follows the
	 * worst student's loss, not the union of all losses) instead of
	 * resending originals. Default true.
	 */
	bool coded_repair;
	/**
	 * Block size of coded repair, a power of two 4..128; 0 (default):
	 * 128 from 1500 kbit/s on, else 64. Students learn it from the
	 * sender reports.
	 */
	int repair_block;
	/**
	 * While repair is costly (over 12 % of the stream and 250 kbit/s in
	 * the last second, two seconds in a row where a block takes over
	 * 700 ms to send; until under 4 % or 125 kbit/s: a lossy class on a
	 * busy stream), requests for a block are gathered until its last
	 * packet was sent (and 6 ms more), then answered with one round that
	 * serves every student. A block not complete this long (ms) after
	 * its first request gets a first round serving 80 % of the students
	 * in full; the others' need joins its next round. Otherwise answered
	 * at once (after 6 ms). Default 350: about half the repair traffic
	 * at 5 % loss, for a longer wait on a lost packet (students are told
	 * how long, in the sender reports). 6: always at once.
	 */
	int repair_batch_ms;
	/** Proactive FEC: repair packets sent for every full block (default 0). */
	int fec_per_block;
	/**
	 * First RTP sequence number, 0..65535; -1 (default): random, as RFC
	 * 3550 asks. Set only to test a wrap (late joiners, interop).
	 */
	int first_seq;
	/** Blended over every picture before conversion; NULL: none. */
	cast_frame_overlay_cb *overlay;
	void *overlay_arg;
	/**
	 * Broadcast replay: send this recording's own access units at its
	 * pace instead of capturing and encoding (borrowed; capture and
	 * encoder settings other than the bitrate are not used).
	 */
	struct cast_replay *replay;
	/** Optional tap on the encoded packets (e.g. cast_recorder_video). */
	cast_sender_packet_cb *on_packet;
	void *packet_arg;
};

/** What the teacher knows of one student from its feedback. */
struct cast_student_stat {
	uint32_t ip;			/* host order */
	uint16_t port;
	uint32_t ssrc;
	int64_t first_seen_us, last_seen_us;	/* CLOCK_REALTIME */
	double loss_pct;		/* last report interval */
	int32_t cumulative_lost;
	double jitter_ms;
	uint64_t nacks;			/* sequence numbers asked for */
	uint64_t plis;
	double fps;			/* pictures shown per second */
	uint32_t frames_decoded;
	double latency_ms;		/* capture → decoded, p50 */
	uint32_t packets_recovered;
	bool unicast;			/* served a unicast copy */
};

/** Counters since start; histograms in microseconds. */
struct cast_sender_stats {
	uint64_t frames_captured;
	uint64_t frames_still;		/* skipped: nothing changed */
	/** A paused film's access units sent again for a late student. */
	uint64_t frames_repeated;
	uint64_t frames_sent;		/* encoded and packetized */
	uint64_t keyframes;
	uint64_t packets_sent;
	uint64_t bytes_sent;		/* RTP bytes on the wire */
	uint64_t send_errors;
	uint32_t ssrc;
	/* Feedback and repair. */
	uint64_t feedback_packets;
	uint64_t feedback_rejected;	/* malformed, forged or replayed */
	uint64_t nacks_received;	/* sequence numbers asked for */
	uint64_t nacks_suppressed;	/* already resent within the holdoff */
	uint64_t nacks_too_old;		/* no longer in the buffer */
	uint64_t packets_retransmitted;	/* originals or coded repairs */
	uint64_t retransmit_bytes;
	uint64_t repairs_coded;		/* of which coded repair packets */
	bool repair_rounds;		/* repair costly: gathered per block */
	uint64_t fec_packets;		/* proactive FEC packets */
	uint64_t plis_received;
	uint64_t plis_coalesced;
	uint64_t keyframes_forced;
	uint64_t unicast_refused;	/* over max_unicast */
	/* Repair is for what is live (docs/protocol.md, "Repair bound"). */
	uint64_t repairs_refused_stale;	/* asked past the live window */
	uint64_t refreshes_for_stale;	/* refreshes asked for that way */
	uint64_t repairs_refused_rate;	/* over a student's budget */
	int students;			/* heard from in the last 5 s */
	int unicast_targets;
	uint64_t max_frame_bytes;
	/* Source authentication. */
	uint64_t auth_packets;		/* auth packets sent */
	uint64_t auth_bytes;		/* their RTP bytes (in bytes_sent too) */
	struct cast_hist capture_us, convert_us, encode_us;
	struct cast_hist sign_us;	/* hashing and signing, per frame */
	bool finished;			/* the source ended (file) */
	/* Broadcasting (cast_sender_set_active), and times stopped. */
	bool active;
	uint64_t stops;
	int width, height;
};

CAST_API void cast_sender_cfg_init(struct cast_sender_cfg *cfg);

/**
 * Opens capture, encoder and socket; does not start sending.
 * Errors from the parts (capture, encoder, socket, SRTP), -EINVAL for a
 * bad channel or a secure sender without a media key.
 */
CAST_API int cast_sender_new(struct cast_sender **out,
			     const struct cast_sender_cfg *cfg);
/** Starts the pipeline thread. Returns 0 or negative errno. */
CAST_API int cast_sender_start(struct cast_sender *s);
/** Copies the counters (thread-safe). */
CAST_API void cast_sender_stats(struct cast_sender *s,
				struct cast_sender_stats *st);
/**
 * Copies up to `max` students' feedback state (those heard from in the last
 * 30 s). Returns the number copied.
 */
CAST_API int cast_sender_students(struct cast_sender *s,
				  struct cast_student_stat *out, int max);
/** Writes an SDP for third-party receivers (insecure mode only). */
CAST_API int cast_sender_sdp(struct cast_sender *s, char *buf, size_t size);
/**
 * Stops or starts the broadcast (any thread). Stopped, the pipeline
 * thread grabs, encodes and sends nothing (a film passed through keeps
 * its clock and sends nothing) but a sender report once a second, and
 * the tap sees no packet; started again, the first picture is a keyframe
 * (a film's: its next keyframe). A new sender is active. Returns 1 when
 * the state changed, 0 when it already was so, -EINVAL.
 */
CAST_API int cast_sender_set_active(struct cast_sender *s, bool on);
/** Whether the sender broadcasts (not stopped). */
CAST_API bool cast_sender_active(struct cast_sender *s);
/** Asks for a keyframe on the next frame. */
CAST_API void cast_sender_request_keyframe(struct cast_sender *s);
/**
 * Leaves screen rectangles out of the broadcast picture
 * (cast_capture_exclude: root-window coordinates, any thread). Returns 0,
 * -ENOTSUP (the source is not a screen), -E2BIG, -EINVAL.
 */
CAST_API int cast_sender_exclude(struct cast_sender *s,
				 const struct cast_rect *r, int n);
/** Stops the thread (drains the encoder). Safe to call twice. */
CAST_API void cast_sender_stop(struct cast_sender *s);
CAST_API void cast_sender_free(struct cast_sender **s);

#endif
