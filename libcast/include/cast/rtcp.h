/* RTCP feedback from students: receiver reports, generic NACK, PLI, stats. */
#ifndef CAST_RTCP_H
#define CAST_RTCP_H

#include "defs.h"

/* RFC 3550 6.4.2 receiver report block. */
struct cast_rtcp_rr {
	uint32_t ssrc;		/* reporter */
	uint32_t media_ssrc;	/* source reported on */
	uint8_t fraction_lost;	/* 8-bit fixed point, /256 */
	int32_t cumulative_lost; /* 24-bit signed */
	uint32_t highest_seq;	/* extended */
	uint32_t jitter;	/* RTP timestamp units */
	uint32_t lsr, dlsr;
};

/** Sequence numbers a feedback packet asks for, at most: a whole repair
 * block (CAST_REPAIR_MAX_BLOCK). */
#define CAST_RTCP_MAX_NACK 128
/** Repair blocks a feedback packet reports the state of, at most. */
#define CAST_RTCP_MAX_REPAIR_STATE 16

/*
 * A student's feedback, as one compound RTCP packet: RR first (required by
 * RFC 3550), then any of NACK (RFC 4585 generic NACK), PLI, and the libcast
 * APP packets "LCST" (what the student shows), "LCUC" (send me unicast) and
 * "LCRS" (repair state).
 */
struct cast_rtcp_fb {
	struct cast_rtcp_rr rr;
	bool has_rr;
	uint16_t nack[CAST_RTCP_MAX_NACK];	/* lost sequence numbers */
	int n_nack;
	bool pli;
	bool has_stats;
	struct {
		uint32_t fps_x100;		/* pictures shown per second ×100 */
		uint32_t frames_decoded;
		uint32_t latency_p50_us;
		uint32_t packets_recovered;
		uint32_t no_multicast;		/* 1 when multicast is not arriving */
	} stats;
	bool unicast_request;
	/*
	 * APP "LCRS", with coded repair: for each block the NACKs ask for,
	 * the repairs of it the student has seen (one past the highest seed
	 * received, 0 for none). The teacher then knows exactly how many
	 * repairs the block needs in all (seen + asked), whatever was in
	 * flight when the student wrote.
	 */
	struct {
		uint16_t base;			/* first sequence number of the block */
		uint16_t seen;
	} repair_state[CAST_RTCP_MAX_REPAIR_STATE];
	int n_repair_state;
};

/**
 * Writes a compound feedback packet. NACKs are packed into PID+BLP pairs.
 * Returns its length or -ENOSPC / -EINVAL (no RR).
 */
CAST_API int cast_rtcp_write_fb(uint8_t *buf, size_t size,
				const struct cast_rtcp_fb *fb);

/**
 * Parses a compound feedback packet (unknown RTCP types are skipped; at most
 * CAST_RTCP_MAX_NACK sequence numbers are kept). Returns 0 or
 * CAST_EMALFORMED for anything that is not well-formed compound RTCP.
 */
CAST_API int cast_rtcp_parse_fb(const uint8_t *buf, size_t len,
				struct cast_rtcp_fb *fb);

#endif
