/* RTP (RFC 3550) for H.264 (RFC 6184): packetizer, reordering depacketizer, RTCP SR. */
#ifndef CAST_RTP_H
#define CAST_RTP_H

#include "defs.h"

#define CAST_RTP_HDR_LEN 12
#define CAST_RTP_MTU_DEFAULT 1200
/** Largest RTP packet libcast sends or accepts (a jumbo-free Ethernet MTU). */
#define CAST_RTP_MAX_PKT 1472
#define CAST_RTP_PT_H264 96
/** The teacher's source authentication packets (cast/mauth.h). */
#define CAST_RTP_PT_AUTH 100
#define CAST_RTP_CLOCK_H264 90000

/** Parsed fixed RTP header (extensions and CSRCs skipped). */
struct cast_rtp_hdr {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	/** Channel from the libcast header extension; 0 when absent. */
	uint16_t channel;
	const uint8_t *payload;
	size_t payload_len;
};

/**
 * Parses an RTP packet (version 2, padding, CSRCs and header extension
 * handled). Returns 0, or CAST_EMALFORMED for anything that is not RTP.
 */
CAST_API int cast_rtp_parse(const uint8_t *buf, size_t len,
			    struct cast_rtp_hdr *hdr);

/** Receives each finished RTP packet of a packetizer (buf valid in the call). */
typedef void(cast_rtp_send_cb)(const uint8_t *pkt, size_t len, void *arg);

struct cast_h264_packetizer;

struct cast_h264_packetizer_cfg {
	uint8_t pt;		/* default 96 */
	uint32_t ssrc;		/* default random */
	uint16_t first_seq;	/* default random */
	size_t mtu;		/* max RTP packet size, default 1200 */
	bool use_stap;		/* aggregate small NALs in STAP-A (default true) */
	/**
	 * Class channel named in every packet (RFC 8285 one-byte header
	 * extension, ID CAST_RTP_EXT_CHANNEL); 0 sends no extension.
	 */
	uint16_t channel;
};

/** Header extension element that carries the channel (2 bytes, big endian). */
#define CAST_RTP_EXT_CHANNEL 1
/** Bytes the channel extension adds to every packet. */
#define CAST_RTP_EXT_CHANNEL_LEN 8

CAST_API void cast_h264_packetizer_cfg_init(struct cast_h264_packetizer_cfg *cfg);
CAST_API int cast_h264_packetizer_new(struct cast_h264_packetizer **out,
				      const struct cast_h264_packetizer_cfg *cfg);

/**
 * Splits one Annex B access unit into RTP packets (single NAL, STAP-A, FU-A)
 * with timestamp `ts` and the marker bit on the last one, handing each to
 * `cb`. Returns the number of packets, or -EINVAL (no NAL units found).
 */
CAST_API int cast_h264_packetize(struct cast_h264_packetizer *p,
				 const uint8_t *au, size_t len, uint32_t ts,
				 cast_rtp_send_cb *cb, void *arg);

/**
 * Sends one packet of another payload type (`pt`, e.g. CAST_RTP_PT_AUTH) in
 * the packetizer's stream: same SSRC, channel extension and sequence space,
 * timestamp `ts`, no marker. `cb` may not call back into the packetizer.
 * Returns 1, or -EINVAL (payload over the MTU, pt over 127).
 */
CAST_API int cast_rtp_packetizer_send(struct cast_h264_packetizer *p,
				      uint8_t pt, const uint8_t *payload,
				      size_t len, uint32_t ts,
				      cast_rtp_send_cb *cb, void *arg);
/** Next sequence number the packetizer will use, and its SSRC. */
CAST_API uint16_t cast_h264_packetizer_seq(const struct cast_h264_packetizer *p);
CAST_API uint32_t cast_h264_packetizer_ssrc(const struct cast_h264_packetizer *p);
/** Packets and payload octets sent so far (for RTCP SR). */
CAST_API void cast_h264_packetizer_counts(const struct cast_h264_packetizer *p,
					  uint32_t *packets, uint32_t *octets);

CAST_API void cast_h264_packetizer_free(struct cast_h264_packetizer **p);

/* Depacketizer: reorders by sequence number, detects loss, rebuilds AUs. */
struct cast_h264_depacketizer;

struct cast_h264_depacketizer_cfg {
	uint8_t pt;		/* accepted payload type, default 96 */
	/** Packets held back to wait for reordered ones (default 64). */
	int reorder_window;
	/** How long a gap may stay open before it counts as loss (default 40 ms). */
	int reorder_ms;
	/** Largest access unit accepted (default 4 MiB); bigger is dropped. */
	size_t max_au;
	/** Accept only packets naming this channel (0: accept any). */
	uint16_t channel;
	/**
	 * Packets of this payload type (0: none) take their place in the
	 * sequence space (so their loss is seen and asked for) and add nothing
	 * to the pictures: the source authentication packets.
	 */
	uint8_t filler_pt;
};

/** An access unit rebuilt from RTP, Annex B with 4-byte start codes. */
struct cast_h264_au {
	const uint8_t *data;	/* valid during the callback */
	size_t size;
	uint32_t ts;
	/** True when a packet of this AU (or before it since the last AU) was lost. */
	bool damaged;
	/** A NAL of type 5 (IDR) or 7 (SPS) is present. */
	bool keyframe;
};

typedef void(cast_h264_au_cb)(const struct cast_h264_au *au, void *arg);

/** Counters of a depacketizer; all monotonic. */
struct cast_rtp_rx_stats {
	uint64_t packets;	/* accepted RTP packets */
	uint64_t bytes;
	uint64_t lost;		/* sequence numbers never received */
	uint64_t duplicates;
	uint64_t reordered;	/* arrived after a later sequence number */
	uint64_t late;		/* arrived after its gap was declared lost */
	uint64_t malformed;	/* not RTP, wrong PT/SSRC mix, bad NAL syntax */
	uint64_t foreign;	/* another channel's (or no channel's) packets */
	uint64_t aus;		/* access units delivered */
	uint64_t aus_damaged;
	uint64_t aus_dropped;	/* oversize or unrecoverable */
};

CAST_API void cast_h264_depacketizer_cfg_init(struct cast_h264_depacketizer_cfg *cfg);
CAST_API int cast_h264_depacketizer_new(struct cast_h264_depacketizer **out,
					const struct cast_h264_depacketizer_cfg *cfg,
					cast_h264_au_cb *cb, void *arg);

/**
 * Feeds one received datagram at monotonic time `now_us`. Complete access
 * units are delivered through the callback in sequence order. Returns 0,
 * CAST_EMALFORMED (packet dropped and counted; the depacketizer is unharmed)
 * or -EXDEV (another channel's packet: dropped and counted as foreign).
 */
CAST_API int cast_h264_depacketizer_push(struct cast_h264_depacketizer *d,
					 const uint8_t *pkt, size_t len,
					 int64_t now_us);

/**
 * Gives up on gaps older than reorder_ms at `now_us` and delivers what
 * follows them. Call periodically (e.g. every 10 ms) when no packets arrive.
 */
CAST_API void cast_h264_depacketizer_poll(struct cast_h264_depacketizer *d,
					  int64_t now_us);

/**
 * Gives every open gap up at once and starts over at the next packet (what
 * was buffered behind the gaps is delivered, marked damaged, and so is the
 * first AU after the restart, whose references were in what was skipped):
 * a receiver whose link came back after longer than anyone waits skips to
 * what is live rather than repair and replay the past.
 */
CAST_API void cast_h264_depacketizer_restart(struct cast_h264_depacketizer *d);
/**
 * Changes how long a gap is waited for (ms, >= 0) from now on: a receiver
 * that measures how long repairs take waits as long as they need.
 */
CAST_API void cast_h264_depacketizer_set_reorder_ms(
	struct cast_h264_depacketizer *d, int ms);

/**
 * Lists the sequence numbers currently missing inside the reorder window
 * (candidates for a NACK), oldest first. Returns how many were written.
 */
CAST_API int cast_h264_depacketizer_missing(
	const struct cast_h264_depacketizer *d, uint16_t *seqs, int max);

CAST_API void cast_h264_depacketizer_stats(const struct cast_h264_depacketizer *d,
					   struct cast_rtp_rx_stats *st);
CAST_API void cast_h264_depacketizer_free(struct cast_h264_depacketizer **d);

/* RTCP (RFC 3550 section 6.4.1): sender reports. */

struct cast_rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;		/* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
	/**
	 * The teacher's coded repair (RTCP APP "LCRD" after the SDES, sent
	 * when either is not 0): the longest a repair may take now, in ms,
	 * while it answers in rounds (0: it answers at once), and its block
	 * size (0: none said).
	 */
	uint16_t repair_ms;
	uint8_t repair_block;
};

/**
 * Writes an SR (no report blocks) followed by an SDES CNAME and, when
 * sr->repair_ms or sr->repair_block is not 0, an APP "LCRD" (PT 204,
 * subtype 0, 4 bytes: repair ms, 16 bits big endian; block size, 8 bits;
 * 8 reserved, zero) into `buf`. Returns the length written or -ENOSPC.
 */
CAST_API int cast_rtcp_write_sr(uint8_t *buf, size_t size,
				const struct cast_rtcp_sr *sr, const char *cname);

/**
 * Finds the SR (and an APP "LCRD", else repair_ms 0) in a compound RTCP
 * packet. Returns 0, -ENOENT (valid RTCP without an SR) or CAST_EMALFORMED.
 */
CAST_API int cast_rtcp_parse_sr(const uint8_t *buf, size_t len,
				struct cast_rtcp_sr *sr);

/** Converts CLOCK_REALTIME microseconds to an NTP 32.32 timestamp and back. */
CAST_API uint64_t cast_ntp_from_us(int64_t us);
CAST_API int64_t cast_ntp_to_us(uint64_t ntp);

/* SDP (RFC 4566, RFC 6184 section 8) for third-party receivers. */
struct cast_sdp_info {
	const char *session_name;	/* default "libcast" */
	const char *origin_addr;	/* default "127.0.0.1" */
	const char *dest_addr;		/* group or unicast address */
	uint16_t port;
	int ttl;			/* for multicast c= line */
	uint8_t pt;
	const uint8_t *sps;		/* NAL without start code, may be NULL */
	size_t sps_len;
	const uint8_t *pps;
	size_t pps_len;
};

/**
 * Writes an SDP for the H.264 stream, with sprop-parameter-sets and
 * profile-level-id when SPS/PPS are given. Returns the length or -ENOSPC.
 */
CAST_API int cast_sdp_write(char *buf, size_t size,
			    const struct cast_sdp_info *info);

/**
 * Appends an Opus media section (RFC 7587: m=audio, its own c= line,
 * rtpmap opus/48000/2, fmtp with in-band FEC, mono) for RTP to `addr`
 * `port` (RTCP on port + 1) with payload type `pt` to the SDP already in
 * `buf` (a C string). Returns the SDP's new length, -EINVAL (a bad address
 * or type) or -ENOSPC (buf unchanged).
 */
CAST_API int cast_sdp_append_opus(char *buf, size_t size, const char *addr,
				  uint16_t port, uint8_t pt, int ttl);

#endif
