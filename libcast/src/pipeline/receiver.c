/* Student pipeline: multicast RTP/RTCP → reorder → H.264 decode, on one thread. */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/cast.h"
#include "net/net_int.h"

/* With no media for this long, leave and join the group again: a switch
 * that lost our membership, or a link that came back, starts delivering. */
#define REJOIN_AFTER_US 2000000
/*
 * NACK bookkeeping: a lost packet is asked for at most NACK_TRIES times, one
 * repair timeout apart. The timeout follows the measured time from asking to
 * having the packet (RFC 6298 style: srtt + 4 rttvar, within
 * NACK_RETRY_MIN_US..NACK_RETRY_MAX_US), and a gap is waited for WAIT_TIMEOUTS
 * timeouts (at least cfg.reorder_ms, at most REPAIR_WAIT_MAX_US) before the
 * picture is given up: on a busy machine or a slow LAN repairs take longer
 * than the default, and a picture given up costs a keyframe, which is far
 * longer than waiting for its repair.
 */
#define NACK_TAB 1024
#define RSEEN_TAB 64
#define NACK_TRIES 8
#define WAIT_TIMEOUTS 4
#define NACK_RETRY_MIN_US 10000
#define NACK_RETRY_MAX_US 120000
/* Before the first measurement: the teacher answers a block's requests in
 * one round, up to 150 ms after the first (--repair-delay). */
#define NACK_RETRY_INIT_US 50000
#define REPAIR_WAIT_MAX_US 900000
/* The most of the teacher's repair time a student believes (ms). */
#define REPAIR_HINT_MAX_MS 2000
#define REPORT_US 1000000
/* Media back after this long with packets missing: the teacher refuses
 * repairs that old (it answers with a refresh), so skip to what is live. */
#define STALE_AFTER_US 1000000
#define PLI_FIRST_US 50000	/* no picture this long after media: ask */
#define PLI_STALL_US 300000	/* media flows but no picture this long */
#define PLI_REPEAT_US 500000
#define PLI_DAMAGE_US 100000	/* after a picture was lost: ask again soon */

struct nack_entry {
	uint16_t seq;
	bool valid;
	uint8_t tries;
	int64_t first_us, last_us;
};

struct cast_receiver {
	struct cast_receiver_cfg cfg;
	struct cast_udp *rtp, *rtcp;
	/* Feedback socket: sends RTCP to the teacher, receives unicast copies. */
	struct cast_udp *fb;
	struct cast_srtp *fb_srtp;	/* protects our feedback */
	struct cast_srtp *next_fb_srtp;	/* under lock */
	uint16_t teacher_fb_port;
	_Atomic uint32_t teacher_ip;	/* set by the app, or learned */
	struct nack_entry nack[NACK_TAB];
	int64_t srtt_us, rttvar_us;	/* ask → packet back; 0: none yet */
	int64_t retry_us, wait_us;	/* from them */
	int64_t wait_init_us;		/* before any measurement */
	int64_t hint_us;		/* teacher's longest repair, 0: none */
	struct cast_repair_dec *rdec;	/* coded repair (receiver thread) */
	/* Per repair block: one past the highest repair seed seen. */
	struct {
		uint16_t base, seen;
		bool used;
	} rseen[RSEEN_TAB];
	/* What the next feedback reports of the blocks it asks for. */
	struct {
		uint16_t base, seen;
	} ask_state[CAST_RTCP_MAX_REPAIR_STATE];
	int n_ask_state;
	uint8_t *raw;			/* a packet as it came, before SRTP */
	int64_t last_report_mono, last_pli_mono, first_rx_mono;
	bool pli_damage;		/* a picture was lost: ask for a new one */
	bool pli_asked;			/* cast_receiver_request_keyframe */
	bool broken;			/* no_decode: damaged until a keyframe */
	int64_t last_mcast_mono;
	int64_t last_sr_mcast_mono;	/* the last authentic multicast SR */
	int64_t last_media_mono;	/* last authentic media packet, 0: none */
	uint32_t media_ssrc, own_ssrc;
	bool have_seq;
	uint16_t first_seq;		/* the first packet we got */
	uint16_t max_seq;
	uint32_t seq_cycles;
	uint32_t prev_expected, prev_received;
	double jitter;			/* RTP units */
	int64_t prev_transit;
	uint64_t frames_at_report;
	struct cast_h264_depacketizer *depack;
	struct cast_decoder *dec;
	struct cast_srtp *srtp;		/* receiver thread only */
	struct cast_srtp *next_srtp;	/* under lock: set_key hands over */
	bool srtp_ok;			/* a media packet authenticated */
	/* Source authentication (receiver thread); the key under lock. */
	struct cast_mauth_gate *gate;
	uint8_t next_pk[32];
	bool next_pk_set;
	int64_t last_roc_try;
	uint8_t roc_pkt[CAST_RTP_MAX_PKT + 64]; /* the packet as it came */
	char group[32];
	uint16_t port;
	bool unicast_only;	/* bound to a local address, no group */

	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct cast_receiver_stats st;	/* under lock */

	int64_t start_mono;
	int64_t last_pic_mono;
	int64_t last_rx_mono;
	/* Sender clock mapping from the latest SR. */
	bool have_sr;
	uint32_t sr_rtp_ts;
	int64_t sr_us;
};

void cast_receiver_cfg_init(struct cast_receiver_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channel = 1;
	cfg->reorder_ms = 40;
	cfg->feedback = true;
	cfg->unicast_after_ms = 3000;
	cfg->repair_block = 64;
}

static void check_stamp(struct cast_receiver *r, const struct cast_frame *f)
{
	uint32_t n;

	if (cast_stamp_read(f, &n)) {
		r->st.stamp_bad++;
		return;
	}
	if (r->st.stamp_ok + r->st.stamp_disorder > 0 && n <= r->st.last_stamp) {
		r->st.stamp_disorder++;
		return;
	}
	if (r->st.stamp_ok + r->st.stamp_disorder > 0)
		r->st.stamp_skipped += n - r->st.last_stamp - 1;
	r->st.stamp_ok++;
	r->st.last_stamp = n;
}

static void on_au(const struct cast_h264_au *au, void *arg)
{
	struct cast_receiver *r = arg;
	struct cast_frame f;
	int64_t capture_us = 0, t0 = cast_mono_us(), now;
	int ret;

	if (r->have_sr)
		capture_us = r->sr_us +
			     (int64_t)(int32_t)(au->ts - r->sr_rtp_ts) * 100 / 9;
	if (r->cfg.on_au && !au->damaged) {
		struct cast_packet pkt = {.data = au->data, .size = au->size,
					  .capture_us = capture_us ? capture_us
								   : cast_now_us(),
					  .keyframe = au->keyframe};

		r->cfg.on_au(&pkt, r->cfg.arg);
	}
	if (r->cfg.no_decode) {
		/* Count what a decoder would show: nothing from a damaged
		 * picture until the next keyframe. */
		if (au->damaged)
			r->broken = true;
		else if (au->keyframe)
			r->broken = false;
		ret = r->broken ? -1 : 1;
		memset(&f, 0, sizeof(f));
	} else {
		/* Whole pictures may be in what was lost, and frame numbers
		 * do not always tell (they wrap): start over from the next
		 * refresh rather than show a picture built on wrong ones. */
		if (au->damaged)
			cast_decoder_resync(r->dec);
		ret = cast_decoder_decode(r->dec, au->data, au->size,
					  capture_us, &f);
	}
	now = cast_mono_us();
	/* A damaged or refused picture freezes the screen until the next
	 * refresh: ask for one now instead of waiting to notice the stall. */
	if (au->damaged || ret < 0)
		r->pli_damage = true;
	pthread_mutex_lock(&r->lock);
	if (ret < 0)
		r->st.frames_dropped++;
	if (ret == 1) {
		r->st.frames_decoded++;
		cast_hist_add(&r->st.decode_us, now - t0);
		if (r->st.first_picture_us < 0)
			r->st.first_picture_us = now - r->start_mono;
		else if (now - r->last_pic_mono > r->st.max_gap_us)
			r->st.max_gap_us = now - r->last_pic_mono;
		r->last_pic_mono = now;
		if (r->st.width &&
		    (f.width != r->st.width || f.height != r->st.height))
			r->st.size_changes++;
		r->st.width = f.width;
		r->st.height = f.height;
		if (r->have_sr)
			cast_hist_add(&r->st.latency_us,
				      cast_now_us() - capture_us);
		if (r->cfg.check_stamp && !r->cfg.no_decode)
			check_stamp(r, &f);
	}
	pthread_mutex_unlock(&r->lock);
	if (ret == 1 && r->cfg.on_frame && !r->cfg.no_decode)
		r->cfg.on_frame(&f, r->cfg.arg);
}

static void retune(struct cast_receiver *r);

/* Unprotects in place unless insecure; counts what it drops. */
static bool accept_packet(struct cast_receiver *r, uint8_t *buf, size_t *len,
			  bool rtcp)
{
	size_t plain = 0;
	bool learn;
	int err;

	if (r->cfg.insecure)
		return true;
	if (!r->srtp) {
		pthread_mutex_lock(&r->lock);
		r->st.no_key++;
		pthread_mutex_unlock(&r->lock);
		return false;
	}
	/* Until the stream is accepted, a failed packet may only mean we
	 * joined after the sequence numbers wrapped: learn the rollover
	 * counter (rate-limited: forged packets land here too) from the
	 * packet as it came, since a failed unprotect garbles it. */
	learn = !rtcp && !r->srtp_ok && *len <= sizeof(r->roc_pkt) &&
		cast_mono_us() - r->last_roc_try >= 200000;
	if (learn) {
		memcpy(r->roc_pkt, buf, *len);
		plain = *len;
	}
	err = rtcp ? cast_srtp_unprotect_rtcp(r->srtp, buf, len)
		   : cast_srtp_unprotect(r->srtp, buf, len);
	if (err == CAST_ERROR(EACCES) && learn) {
		r->last_roc_try = cast_mono_us();
		memcpy(buf, r->roc_pkt, plain);
		*len = plain;
		err = cast_srtp_unprotect_learn_roc(r->srtp, buf, len, 4096);
	}
	if (!err) {
		if (!rtcp)
			r->srtp_ok = true;
		return true;
	}
	pthread_mutex_lock(&r->lock);
	if (err == CAST_EREPLAY)
		r->st.replays++;
	else
		r->st.auth_failures++;
	pthread_mutex_unlock(&r->lock);
	return false;
}

/* An RTCP packet; true when it was the teacher's authentic report. */
static bool on_rtcp(struct cast_receiver *r, uint8_t *buf, size_t len)
{
	struct cast_rtcp_sr sr;
	int64_t hint;

	if (!accept_packet(r, buf, &len, true) ||
	    cast_rtcp_parse_sr(buf, len, &sr))
		return false;
	r->sr_rtp_ts = sr.rtp_ts;
	r->sr_us = cast_ntp_to_us(sr.ntp);
	r->have_sr = true;
	/* The teacher's block size: its repairs and our requests use it. */
	if (sr.repair_block && r->rdec &&
	    sr.repair_block != r->cfg.repair_block &&
	    !cast_repair_dec_set_block(r->rdec, sr.repair_block)) {
		cast_log(CAST_LOG_DEBUG, "receiver", "repair blocks of %d",
			 sr.repair_block);
		r->cfg.repair_block = sr.repair_block;
		memset(r->rseen, 0, sizeof(r->rseen));
	}
	hint = (int64_t)(sr.repair_ms < REPAIR_HINT_MAX_MS ? sr.repair_ms
							   : REPAIR_HINT_MAX_MS) *
	       1000;
	if (hint != r->hint_us) {
		r->hint_us = hint;
		retune(r);
	}
	pthread_mutex_lock(&r->lock);
	r->st.rtcp_sr++;
	pthread_mutex_unlock(&r->lock);
	return true;
}

/* Sequence, jitter and recovery bookkeeping of one authenticated RTP packet. */
static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* One measured repair time (a NACKed packet came back): retune the NACK
 * timeout and how long the depacketizer waits for a gap. */
static void repair_rtt_sample(struct cast_receiver *r, int64_t us)
{
	int64_t dev;

	if (us < 0)
		return;
	if (!r->srtt_us) {
		r->srtt_us = us > 0 ? us : 1;
		r->rttvar_us = us / 2;
	} else {
		dev = r->srtt_us - us;
		if (dev < 0)
			dev = -dev;
		r->rttvar_us += (dev - r->rttvar_us) / 4;
		r->srtt_us += (us - r->srtt_us) / 8;
		if (r->srtt_us <= 0)
			r->srtt_us = 1;
	}
	retune(r);
}

/* The NACK timeout and how long a gap is waited for, from the measured
 * repair times and the teacher's word on its repair rounds. */
static void retune(struct cast_receiver *r)
{
	int64_t wait, retry;

	/* Repairs that come in rounds (a lossy class on a busy stream) take
	 * long but surely: then the limits follow the measured time. */
	if (r->srtt_us) {
		r->retry_us = clamp64(r->srtt_us + 4 * r->rttvar_us,
				      NACK_RETRY_MIN_US,
				      NACK_RETRY_MAX_US > r->srtt_us * 3 / 2
					      ? NACK_RETRY_MAX_US
					      : r->srtt_us * 3 / 2);
		wait = clamp64(WAIT_TIMEOUTS * r->retry_us,
			       (int64_t)r->cfg.reorder_ms * 1000,
			       REPAIR_WAIT_MAX_US > 3 * r->srtt_us
				       ? REPAIR_WAIT_MAX_US
				       : 3 * r->srtt_us);
	} else {
		r->retry_us = NACK_RETRY_INIT_US;
		wait = r->wait_init_us;
	}
	/* The teacher answers in rounds: a repair may take this long, from
	 * the first request on (the measurement needs repairs to catch up);
	 * the NACK tries last that long too. */
	if (r->hint_us) {
		retry = r->hint_us / (NACK_TRIES - 2);
		if (r->retry_us < retry)
			r->retry_us = retry;
		if (wait < r->hint_us)
			wait = r->hint_us;
	}
	/* A packet waits for its signature as long as for a repair of the
	 * signature's packet, and then as long as the gap after it. */
	if (r->gate)
		cast_mauth_gate_set_hold(r->gate, 2 * wait + 200000);
	if (wait != r->wait_us) {
		r->wait_us = wait;
		cast_h264_depacketizer_set_reorder_ms(r->depack,
						      (int)(wait / 1000));
	}
	pthread_mutex_lock(&r->lock);
	r->st.repair_rtt_ms = (double)r->srtt_us / 1000.0;
	r->st.repair_wait_ms = (double)r->wait_us / 1000.0;
	pthread_mutex_unlock(&r->lock);
}

static void note_rtp(struct cast_receiver *r, const uint8_t *buf, size_t len,
		     int64_t now_mono, int64_t held_us)
{
	struct cast_rtp_hdr h;
	struct nack_entry *e;
	int64_t transit, d;

	if (cast_rtp_parse(buf, len, &h))
		return;
	r->media_ssrc = h.ssrc;
	if (!r->have_seq) {
		r->have_seq = true;
		r->first_seq = h.seq;
		r->max_seq = h.seq;
		r->first_rx_mono = now_mono;
	} else if ((int16_t)(uint16_t)(h.seq - r->max_seq) > 0) {
		if (h.seq < r->max_seq)
			r->seq_cycles += 65536;
		r->max_seq = h.seq;
	}
	/* RFC 3550 A.8 interarrival jitter, in RTP units. */
	transit = (cast_now_us() - held_us) * 9 / 100 - (int64_t)h.ts;
	if (r->prev_transit) {
		d = transit - r->prev_transit;
		if (d < 0)
			d = -d;
		if (d < 90000) /* a jump of a second is a new clock, not jitter */
			r->jitter += ((double)d - r->jitter) / 16;
	}
	r->prev_transit = transit;
	e = &r->nack[h.seq % NACK_TAB];
	if (e->valid && e->seq == h.seq) {
		e->valid = false;
		if (e->tries)
			repair_rtt_sample(r, now_mono - e->first_us);
		pthread_mutex_lock(&r->lock);
		r->st.packets_recovered++;
		pthread_mutex_unlock(&r->lock);
	}
}

/* Builds and sends one compound feedback packet to the teacher. */
static void send_feedback(struct cast_receiver *r, const uint16_t *nacks,
			  int n_nack, bool pli, bool report, int64_t now)
{
	struct cast_rtcp_fb fb;
	struct cast_receiver_stats st;
	uint8_t buf[1200]; /* a whole block of NACKs, with reports */
	uint32_t expected, received, ext_max;
	int64_t elapsed;
	size_t len;
	int n;

	if (!r->teacher_ip || !r->fb)
		return;
	if (!r->cfg.insecure && !r->fb_srtp)
		return;
	cast_receiver_stats(r, &st);
	memset(&fb, 0, sizeof(fb));
	fb.has_rr = true;
	fb.rr.ssrc = r->own_ssrc;
	fb.rr.media_ssrc = r->media_ssrc;
	ext_max = r->seq_cycles + r->max_seq;
	fb.rr.highest_seq = ext_max;
	fb.rr.cumulative_lost = (int32_t)(st.rtp.lost > 0x7fffff
						  ? 0x7fffff
						  : st.rtp.lost);
	fb.rr.jitter = (uint32_t)r->jitter;
	if (report) {
		expected = (uint32_t)(st.rtp.packets + st.rtp.lost);
		received = (uint32_t)st.rtp.packets;
		if (expected > r->prev_expected) {
			uint32_t e = expected - r->prev_expected;
			uint32_t g = received - r->prev_received;
			uint32_t lost = e > g ? e - g : 0;

			fb.rr.fraction_lost = (uint8_t)(lost * 256 / e > 255
								? 255
								: lost * 256 / e);
		}
		r->prev_expected = expected;
		r->prev_received = received;
		elapsed = now - r->last_report_mono;
		fb.has_stats = true;
		fb.stats.fps_x100 =
			elapsed > 0 ? (uint32_t)((st.frames_decoded -
						  r->frames_at_report) *
						 100000000 / (uint64_t)elapsed)
				    : 0;
		r->frames_at_report = st.frames_decoded;
		fb.stats.frames_decoded = (uint32_t)st.frames_decoded;
		fb.stats.latency_p50_us =
			(uint32_t)cast_hist_quantile(&st.latency_us, 0.5);
		fb.stats.packets_recovered = (uint32_t)st.packets_recovered;
		fb.stats.no_multicast = st.unicast_wanted;
		fb.unicast_request = st.unicast_wanted;
		r->last_report_mono = now;
	}
	if (n_nack > CAST_RTCP_MAX_NACK)
		n_nack = CAST_RTCP_MAX_NACK;
	memcpy(fb.nack, nacks, (size_t)n_nack * sizeof(*nacks));
	fb.n_nack = n_nack;
	fb.pli = pli;
	for (int i = 0; i < r->n_ask_state; i++) {
		fb.repair_state[i].base = r->ask_state[i].base;
		fb.repair_state[i].seen = r->ask_state[i].seen;
	}
	fb.n_repair_state = n_nack ? r->n_ask_state : 0;
	r->n_ask_state = 0;
	n = cast_rtcp_write_fb(buf, sizeof(buf) - CAST_SRTCP_OVERHEAD, &fb);
	if (n < 0)
		return;
	len = (size_t)n;
	if (r->fb_srtp &&
	    cast_srtp_protect_rtcp(r->fb_srtp, buf, &len, sizeof(buf)))
		return;
	if (cast_udp_send_to(r->fb, buf, len, r->teacher_ip,
			     r->teacher_fb_port) < 0)
		return;
	pthread_mutex_lock(&r->lock);
	r->st.feedback_sent++;
	r->st.nacks_sent += (uint64_t)n_nack;
	r->st.plis_sent += pli;
	pthread_mutex_unlock(&r->lock);
}

/* An authentic packet (SRTP, then the teacher's signature) goes on. */
static void deliver(const uint8_t *pkt, size_t len, int64_t arrival_us,
		    void *arg)
{
	struct cast_receiver *r = arg;
	int64_t now = cast_mono_us();

	note_rtp(r, pkt, len, arrival_us, now - arrival_us);
	cast_h264_depacketizer_push(r->depack, pkt, len, now);
}

/* A packet through SRTP: on to the decoder once the teacher signed it. */
static void admit(struct cast_receiver *r, const uint8_t *pkt, size_t len,
		  int64_t now)
{
	if (r->gate)
		cast_mauth_gate_push(r->gate, pkt, len, now);
	else
		deliver(pkt, len, now, r);
}

/* A packet rebuilt from coded repair: through SRTP and on like any other. */
static void on_recovered(uint16_t seq, const uint8_t *pkt, size_t len,
			 void *arg)
{
	struct cast_receiver *r = arg;
	uint8_t buf[CAST_REPAIR_MAX_PKT + 16];
	int64_t now = cast_mono_us();

	(void)seq;
	if (len > sizeof(buf))
		return;
	memcpy(buf, pkt, len);
	if (!accept_packet(r, buf, &len, false))
		return;
	pthread_mutex_lock(&r->lock);
	r->st.repairs_recovered++;
	pthread_mutex_unlock(&r->lock);
	admit(r, buf, len, now);
}

/*
 * Counts a repair packet's seed for its block (header checked like the
 * decoder does; a forged one can only make us report more seen, which the
 * teacher caps at what it sent).
 */
static void note_repair_seen(struct cast_receiver *r, const uint8_t *buf,
			     size_t len)
{
	int k, i;
	uint16_t base;
	uint32_t seed;

	if (!cast_repair_header(buf, len, &k, &base, &seed) ||
	    k != r->cfg.repair_block || base % k || seed >= 65535)
		return;
	i = (base / k) % RSEEN_TAB;
	if (!r->rseen[i].used || r->rseen[i].base != base) {
		r->rseen[i].used = true;
		r->rseen[i].base = base;
		r->rseen[i].seen = 0;
	}
	if (seed + 1 > r->rseen[i].seen)
		r->rseen[i].seen = (uint16_t)(seed + 1);
}

/* Repairs of the block at `base` seen so far (one past the highest seed). */
static uint16_t repairs_seen(const struct cast_receiver *r, uint16_t base)
{
	int i = (base / r->cfg.repair_block) % RSEEN_TAB;

	return r->rseen[i].used && r->rseen[i].base == base ? r->rseen[i].seen
							    : 0;
}

static void skip_to_live(struct cast_receiver *r, int64_t now);

/*
 * One datagram from the media socket or a unicast copy: a coded repair, or
 * an RTP packet (kept as it came for later repairs once authentic).
 */
static void on_media(struct cast_receiver *r, uint8_t *buf, size_t len,
		     int64_t now, bool multicast)
{
	struct cast_rtp_hdr h;

	if (cast_repair_detect(buf, len)) {
		int n;

		pthread_mutex_lock(&r->lock);
		r->st.repairs_received++;
		pthread_mutex_unlock(&r->lock);
		if (r->rdec)
			note_repair_seen(r, buf, len);
		if (r->rdec) {
			n = cast_repair_dec_add_repair(r->rdec, buf, len,
						       on_recovered, r);
			(void)n;
		}
		return;
	}
	if (r->rdec && len <= CAST_REPAIR_MAX_PKT)
		memcpy(r->raw, buf, len);
	if (!accept_packet(r, buf, &len, false))
		return;
	if (r->have_seq && r->last_media_mono &&
	    now - r->last_media_mono > STALE_AFTER_US &&
	    !cast_rtp_parse(buf, len, &h) &&
	    (int16_t)(uint16_t)(h.seq - r->max_seq) > 1)
		skip_to_live(r, now);
	r->last_media_mono = now;
	r->last_rx_mono = now;
	pthread_mutex_lock(&r->lock);
	if (multicast)
		r->st.multicast_packets++;
	else
		r->st.unicast_packets++;
	pthread_mutex_unlock(&r->lock);
	if (multicast)
		r->last_mcast_mono = now;
	/* Only authentic packets feed the repair decoder. */
	if (r->rdec && !cast_rtp_parse(buf, len, &h) &&
	    cast_repair_dec_add_packet(r->rdec, h.seq, r->raw,
				       r->cfg.insecure ? len
						       : len + CAST_SRTP_OVERHEAD) ==
		    1)
		cast_repair_dec_solve(r->rdec, on_recovered, r);
	admit(r, buf, len, now);
}

/* The link came back after a long silence with packets missing: give the
 * gaps up at once, ask for nothing from back then, and ask for a refresh. */
static void skip_to_live(struct cast_receiver *r, int64_t now)
{
	cast_log(CAST_LOG_INFO, "receiver",
		 "media back after %lld ms: skipping to the live picture",
		 (long long)((now - r->last_media_mono) / 1000));
	cast_h264_depacketizer_restart(r->depack);
	memset(r->nack, 0, sizeof(r->nack));
	r->n_ask_state = 0;
	r->pli_damage = true;
	r->last_pli_mono = 0;
	pthread_mutex_lock(&r->lock);
	r->st.stale_skips++;
	pthread_mutex_unlock(&r->lock);
}

/* The NACK entry of a missing packet: is it time to ask (again)? */
static bool nack_due(struct cast_receiver *r, uint16_t seq, int64_t now)
{
	struct nack_entry *e = &r->nack[seq % NACK_TAB];

	if (!e->valid || e->seq != seq) {
		e->valid = true;
		e->seq = seq;
		e->tries = 0;
		e->last_us = 0;
	}
	return e->tries < NACK_TRIES && now - e->last_us >= r->retry_us;
}

static void nack_mark(struct cast_receiver *r, uint16_t seq, int64_t now)
{
	struct nack_entry *e = &r->nack[seq % NACK_TAB];

	if (!e->tries)
		e->first_us = now;
	e->tries++;
	e->last_us = now;
}

static bool listed(const uint16_t *seqs, int n, uint16_t seq)
{
	for (int i = 0; i < n; i++)
		if (seqs[i] == seq)
			return true;
	return false;
}

/*
 * With coded repair a student asks, per block, for as many repairs as it
 * still needs: every packet of the block it does not hold (lost, given up
 * earlier, or sent before it joined) minus the independent repairs it holds.
 * The teacher counts the sequence numbers listed per block and sends that
 * many repairs, which fix any of them. A block is asked for when one of its
 * live gaps is due; the list is its due gaps, then its other gaps, then the
 * other packets it lacks. A student that joined inside a block lacks what
 * was sent before it came: its first loss there costs up to one block of
 * repairs once, shared by everyone who joined in that block, about what one
 * keyframe costs, and far cheaper than a frozen picture. A block that does
 * not fit the feedback packet any more is left for the next one.
 */
static int coded_asks(struct cast_receiver *r, const uint16_t *missing, int n,
		      uint16_t *ask, int64_t now)
{
	uint16_t lacks[CAST_REPAIR_MAX_BLOCK];
	int k = r->cfg.repair_block, out = 0;

	r->n_ask_state = 0;
	/* Blocks are the teacher's: its first sender report (sent as soon
	 * as it hears us) says their size. Until then gaps just wait. */
	if (!r->have_sr)
		return 0;

	for (int i = 0; i < n;) {
		uint16_t base = cast_repair_block_base(missing[i], k);
		int16_t span = (int16_t)(uint16_t)(r->max_seq - base);
		int covered = span >= k - 1 ? k : span + 1;
		int need, j = i, start = out, nl;
		bool due = false;

		while (j < n && cast_repair_block_base(missing[j], k) == base)
			due |= nack_due(r, missing[j++], now);
		if (!due || covered <= 0) {
			i = j;
			continue;
		}
		/* The block we joined in, before our first picture: repairs
		 * would first have to make up what was sent before we came
		 * (up to a block of them for every joiner), for a picture not
		 * shown yet; it comes with a later refresh. (This thread
		 * writes first_picture_us.) */
		if (base == cast_repair_block_base(r->first_seq, k) &&
		    base != r->first_seq && r->st.first_picture_us < 0) {
			i = j;
			continue;
		}
		need = cast_repair_dec_needed(r->rdec, base, covered);
		if (need > CAST_RTCP_MAX_NACK - out) {
			pthread_mutex_lock(&r->lock);
			r->st.repairs_declined++;
			pthread_mutex_unlock(&r->lock);
		}
		if (need <= 0 || need > CAST_RTCP_MAX_NACK - out) {
			i = j;
			continue;
		}
		for (int q = i; q < j && out - start < need; q++)
			if (nack_due(r, missing[q], now)) {
				nack_mark(r, missing[q], now);
				ask[out++] = missing[q];
			}
		for (int q = i; q < j && out - start < need; q++)
			if (!listed(ask + start, out - start, missing[q]))
				ask[out++] = missing[q];
		nl = cast_repair_dec_missing(r->rdec, base, covered, lacks,
					     CAST_REPAIR_MAX_BLOCK);
		for (int q = 0; q < nl && out - start < need; q++)
			if (!listed(ask + start, out - start, lacks[q]))
				ask[out++] = lacks[q];
		if (out > start &&
		    r->n_ask_state < CAST_RTCP_MAX_REPAIR_STATE) {
			r->ask_state[r->n_ask_state].base = base;
			r->ask_state[r->n_ask_state].seen = repairs_seen(r, base);
			r->n_ask_state++;
		}
		i = j;
	}
	return out;
}

/* Once per loop: NACK new gaps, PLI when stuck, report once a second. */
static void feedback_tick(struct cast_receiver *r, int64_t now)
{
	uint16_t missing[CAST_RTCP_MAX_NACK], ask[CAST_RTCP_MAX_NACK];
	int n, n_ask = 0;
	bool pli = false, report, want_uc;

	n = cast_h264_depacketizer_missing(r->depack, missing,
					   CAST_RTCP_MAX_NACK);
	/* Held for their signature: here, not to be asked for. */
	if (r->gate) {
		int m = 0;

		for (int i = 0; i < n; i++)
			if (!cast_mauth_gate_holds(r->gate, missing[i]))
				missing[m++] = missing[i];
		n = m;
	}
	if (r->rdec) {
		n_ask = coded_asks(r, missing, n, ask, now);
	} else {
		for (int i = 0; i < n; i++)
			if (nack_due(r, missing[i], now)) {
				nack_mark(r, missing[i], now);
				ask[n_ask++] = missing[i];
			}
	}
	pthread_mutex_lock(&r->lock);
	if (r->pli_asked) {
		pli = true;
		r->pli_asked = false;
	} else if (r->pli_damage && r->st.first_picture_us >= 0 &&
	    now - r->last_pli_mono >= PLI_DAMAGE_US) {
		pli = true;
		r->pli_damage = false;
	} else if (now - r->last_pli_mono >= PLI_REPEAT_US) {
		/* No picture yet: ask as soon as media flows, or as soon as
		 * the teacher is known (a still screen sends little). */
		if (r->st.first_picture_us < 0)
			pli = r->have_seq ? now - r->first_rx_mono >= PLI_FIRST_US
					  : r->teacher_ip &&
						    now - r->start_mono >=
							    PLI_FIRST_US;
		else if (r->have_seq)
			/* Not while a gap is still waited for: its repair
			 * is due sooner than a keyframe, and far cheaper. */
			pli = now - r->last_pic_mono >=
				      (r->wait_us + 100000 > PLI_STALL_US
					       ? r->wait_us + 100000
					       : PLI_STALL_US) &&
			      now - r->last_rx_mono < 100000;
	}
	want_uc = r->cfg.unicast_after_ms > 0 && r->teacher_ip &&
		  now - r->last_mcast_mono >
			  (int64_t)r->cfg.unicast_after_ms * 1000;
	if (want_uc != r->st.unicast_wanted)
		cast_log(CAST_LOG_INFO, "receiver", "%s",
			 want_uc ? "no multicast arriving: asking for a "
				   "unicast copy"
				 : "multicast arrives again");
	r->st.unicast_wanted = want_uc;
	pthread_mutex_unlock(&r->lock);
	if (pli)
		r->last_pli_mono = now;
	report = now - r->last_report_mono >= REPORT_US;
	if (n_ask || pli || report)
		send_feedback(r, ask, n_ask, pli, report, now);
}

/* The gate's counters into the receiver's (lock held). */
static void gate_stats(struct cast_receiver *r)
{
	struct cast_mauth_gate_stats g;

	cast_mauth_gate_stats(r->gate, &g);
	r->st.auth_packets_ok = g.packets_ok;
	r->st.auth_packets_bad = g.packets_bad;
	r->st.frames_unauthenticated = g.frames_bad;
	r->st.auth_sigs_ok = g.auth_ok;
	r->st.auth_sigs_bad = g.auth_bad + g.auth_stale;
	r->st.auth_wait_us = g.wait_us;
	r->st.auth_cpu_us = g.cost_us;
}

static void *receiver_thread(void *arg)
{
	struct cast_receiver *r = arg;
	struct pollfd pfd[3];
	uint32_t from;
	static const size_t bufsize = 65536;
	uint8_t *buf = malloc(bufsize);
	int n;

	if (!buf) {
		cast_log(CAST_LOG_ERROR, "receiver", "out of memory");
		return NULL;
	}
	pfd[0].fd = cast_udp_fd(r->rtp);
	pfd[1].fd = cast_udp_fd(r->rtcp);
	pfd[2].fd = r->fb ? cast_udp_fd(r->fb) : -1;
	pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
	r->last_rx_mono = cast_mono_us();
	r->last_mcast_mono = r->last_rx_mono;
	r->last_report_mono = r->last_rx_mono;
	while (!r->stop) {
		int64_t now;

		poll(pfd, 3, r->cfg.poll_ms > 0 ? r->cfg.poll_ms : 10);
		pthread_mutex_lock(&r->lock);
		if (r->next_srtp) {
			cast_srtp_free(&r->srtp);
			r->srtp = r->next_srtp;
			r->next_srtp = NULL;
			r->srtp_ok = false;
		}
		if (r->next_fb_srtp) {
			cast_srtp_free(&r->fb_srtp);
			r->fb_srtp = r->next_fb_srtp;
			r->next_fb_srtp = NULL;
		}
		if (r->next_pk_set && r->gate) {
			cast_mauth_gate_set_key(r->gate, r->next_pk);
			r->next_pk_set = false;
		}
		pthread_mutex_unlock(&r->lock);
		/* Drain everything queued before polling again. */
		while ((n = cast_udp_recv(r->rtp, buf, bufsize, 0, &from,
					  NULL)) >= 0) {
			uint64_t before = r->st.multicast_packets;

			now = cast_mono_us();
			on_media(r, buf, (size_t)n, now, true);
			/* 0.0.0.0: a host-local sender with no usable source
			 * address; nothing to answer to. Learnt only from an
			 * authentic packet. */
			if (!r->teacher_ip && from &&
			    r->st.multicast_packets != before)
				r->teacher_ip = from;
		}
		/* Unicast copies (RTP and RTCP, RFC 5761 demux) from the
		 * teacher only. */
		while (r->fb && (n = cast_udp_recv(r->fb, buf, bufsize, 0,
						   &from, NULL)) >= 0) {
			size_t len = (size_t)n;
			bool rtcp = n >= 2 && buf[1] >= 192 && buf[1] <= 223;

			if (from != r->teacher_ip)
				continue;
			if (rtcp) {
				on_rtcp(r, buf, len);
				continue;
			}
			on_media(r, buf, len, cast_mono_us(), false);
		}
		/* The teacher's reports reaching the group say multicast
		 * works even when no media flows (a film paused, passed
		 * through): no unicast copy, no rejoin for that. */
		while ((n = cast_udp_recv(r->rtcp, buf, bufsize, 0, NULL,
					  NULL)) >= 0)
			if (on_rtcp(r, buf, (size_t)n))
				r->last_mcast_mono = r->last_sr_mcast_mono =
					cast_mono_us();
		now = cast_mono_us();
		if (r->fb)
			feedback_tick(r, now);
		if (r->gate)
			cast_mauth_gate_poll(r->gate, now);
		cast_h264_depacketizer_poll(r->depack, now);
		pthread_mutex_lock(&r->lock);
		cast_h264_depacketizer_stats(r->depack, &r->st.rtp);
		if (r->gate)
			gate_stats(r);
		r->st.jitter_ms = r->jitter / 90.0;
		pthread_mutex_unlock(&r->lock);
		if (!r->unicast_only && now - r->last_rx_mono > REJOIN_AFTER_US &&
		    now - r->last_sr_mcast_mono > REJOIN_AFTER_US) {
			cast_log(CAST_LOG_INFO, "receiver",
				 "no media for %d s: joining %s again",
				 REJOIN_AFTER_US / 1000000, r->group);
			cast_udp_rejoin(r->rtp);
			cast_udp_rejoin(r->rtcp);
			r->last_rx_mono = now;
		}
	}
	free(buf);
	return NULL;
}

int cast_receiver_new(struct cast_receiver **out,
		      const struct cast_receiver_cfg *cfg)
{
	struct cast_receiver *r;
	struct cast_udp_cfg ucfg;
	struct cast_h264_depacketizer_cfg dcfg;
	struct cast_decoder_cfg deccfg;
	int err;

	if (!out || !cfg)
		return CAST_ERROR(EINVAL);
	r = calloc(1, sizeof(*r));
	if (!r)
		return CAST_ERROR(ENOMEM);
	r->cfg = *cfg;
	pthread_mutex_init(&r->lock, NULL);
	cast_hist_reset(&r->st.latency_us);
	cast_hist_reset(&r->st.decode_us);
	cast_hist_reset(&r->st.auth_wait_us);
	r->st.first_picture_us = -1;

	err = cast__channel_addr(cfg->channel, CAST_PORT_VIDEO, cfg->group,
				 cfg->port, r->group, sizeof(r->group),
				 &r->port);
	if (err)
		goto out;

	{
		struct in_addr in;

		r->unicast_only = inet_pton(AF_INET, r->group, &in) == 1 &&
				  !IN_MULTICAST(ntohl(in.s_addr));
	}
	cast_udp_cfg_init(&ucfg);
	if (r->unicast_only) {
		/* A stream sent to this host alone (a student's screen). */
		ucfg.bind_addr = r->group;
		ucfg.multicast_all = false;
	} else {
		ucfg.group = r->group;
	}
	ucfg.iface = cfg->iface;
	ucfg.port = r->port;
	err = cast_udp_new(&r->rtp, &ucfg);
	if (err)
		goto out;
	ucfg.port = (uint16_t)(r->port + 1);
	ucfg.rcvbuf = 256 << 10;
	err = cast_udp_new(&r->rtcp, &ucfg);
	if (err)
		goto out;

	if (cfg->feedback) {
		cast_udp_cfg_init(&ucfg);
		ucfg.iface = cfg->iface;
		ucfg.multicast_all = false;
		err = cast_udp_new(&r->fb, &ucfg);
		if (err)
			goto out;
		r->teacher_fb_port = (uint16_t)(r->port - CAST_PORT_VIDEO +
						CAST_PORT_FEEDBACK);
		r->teacher_ip = cfg->teacher_ip;
		if (cast_random(&r->own_ssrc, sizeof(r->own_ssrc)))
			r->own_ssrc = (uint32_t)cast_now_us();
	}

	if (cfg->repair_block > 0) {
		struct cast_repair_dec_cfg rc;

		cast_repair_dec_cfg_init(&rc);
		rc.k = cfg->repair_block;
		rc.ring = 2048;
		/* Room for the teacher's block size, whichever it says. */
		rc.max_equations = CAST_REPAIR_MAX_BLOCK;
		err = cast_repair_dec_new(&r->rdec, &rc);
		if (!err) {
			r->raw = malloc(CAST_REPAIR_MAX_PKT);
			if (!r->raw)
				err = CAST_ERROR(ENOMEM);
		}
		if (err)
			goto out;
	}

	cast_h264_depacketizer_cfg_init(&dcfg);
	if (cfg->reorder_ms > 0)
		dcfg.reorder_ms = cfg->reorder_ms;
	r->cfg.reorder_ms = dcfg.reorder_ms;
	r->retry_us = NACK_RETRY_INIT_US;
	r->wait_us = (int64_t)dcfg.reorder_ms * 1000;
	/* Waiting longer than the reorder window only helps when asking. */
	if (cfg->feedback)
		r->wait_us = clamp64(WAIT_TIMEOUTS * r->retry_us, r->wait_us,
				     REPAIR_WAIT_MAX_US);
	r->wait_init_us = r->wait_us;
	dcfg.reorder_ms = (int)(r->wait_us / 1000);
	/* Room for what arrives while a gap is waited for (a busy 1080p
	 * video during repair rounds: ~900 ms). */
	dcfg.reorder_window = 1024;
	dcfg.channel = (uint16_t)cfg->channel;
	if (cfg->unsigned_media && !cfg->insecure)
		cast_log(CAST_LOG_WARN, "receiver",
			 "unsigned media: showing frames any student could "
			 "inject (measurement only)");
	if (!cfg->insecure && !cfg->unsigned_media) {
		struct cast_mauth_gate_cfg gc;

		dcfg.filler_pt = CAST_RTP_PT_AUTH;
		cast_mauth_gate_cfg_init(&gc);
		gc.hold_us = 2 * r->wait_us + 200000;
		gc.cb = deliver;
		gc.arg = r;
		err = cast_mauth_gate_new(&r->gate, &gc);
		if (err)
			goto out;
		if (cfg->teacher_pk) {
			cast_mauth_gate_set_key(r->gate, cfg->teacher_pk);
			memcpy(r->next_pk, cfg->teacher_pk, 32);
		}
	}
	r->cfg.teacher_pk = NULL;
	err = cast_h264_depacketizer_new(&r->depack, &dcfg, on_au, r);
	if (err)
		goto out;
	cast_decoder_cfg_init(&deccfg);
	err = cast_decoder_new(&r->dec, &deccfg);
	if (err)
		goto out;
	r->cfg.media_key = NULL;
	if (!cfg->insecure && cfg->media_key) {
		err = cast_srtp_new(&r->srtp, CAST_SRTP_RECEIVER,
				    cfg->media_key);
		if (!err && r->fb)
			err = cast_srtp_new(&r->fb_srtp, CAST_SRTP_SENDER,
					    cfg->media_key);
		if (err)
			goto out;
	}
	if (cfg->insecure)
		cast_log(CAST_LOG_WARN, "receiver",
			 "insecure: accepting plain, unauthenticated RTP");
	cast_log(CAST_LOG_INFO, "receiver", "channel %d: %s:%u",
		 cfg->channel, r->group, r->port);
	*out = r;
	return 0;
out:
	cast_receiver_free(&r);
	return err;
}

int cast_receiver_start(struct cast_receiver *r)
{
	int err;

	if (r->running)
		return CAST_ERROR(EALREADY);
	r->stop = false;
	r->start_mono = cast_mono_us();
	err = pthread_create(&r->thread, NULL, receiver_thread, r);
	if (err)
		return CAST_ERROR(err);
	r->running = true;
	return 0;
}

int cast_receiver_set_key(struct cast_receiver *r,
			  const struct cast_media_key *key)
{
	struct cast_srtp *s = NULL, *f = NULL;
	int err = cast_srtp_new(&s, CAST_SRTP_RECEIVER, key);

	if (!err && r->fb)
		err = cast_srtp_new(&f, CAST_SRTP_SENDER, key);
	if (err) {
		cast_srtp_free(&s);
		return err;
	}
	pthread_mutex_lock(&r->lock);
	cast_srtp_free(&r->next_srtp);
	cast_srtp_free(&r->next_fb_srtp);
	r->next_srtp = s;
	r->next_fb_srtp = f;
	if (!r->running) {
		cast_srtp_free(&r->srtp);
		cast_srtp_free(&r->fb_srtp);
		r->srtp = r->next_srtp;
		r->fb_srtp = r->next_fb_srtp;
		r->next_srtp = r->next_fb_srtp = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

void cast_receiver_set_teacher_key(struct cast_receiver *r,
				   const uint8_t pk[32])
{
	if (!r || !pk)
		return;
	pthread_mutex_lock(&r->lock);
	/* The same teacher again (a rejoin): what it signed stays good. */
	if (r->gate && memcmp(r->next_pk, pk, 32)) {
		memcpy(r->next_pk, pk, 32);
		if (r->running)
			r->next_pk_set = true;
		else
			cast_mauth_gate_set_key(r->gate, pk);
	}
	pthread_mutex_unlock(&r->lock);
}

void cast_receiver_set_teacher(struct cast_receiver *r, uint32_t ip)
{
	pthread_mutex_lock(&r->lock);
	r->teacher_ip = ip;
	pthread_mutex_unlock(&r->lock);
}

void cast_receiver_request_keyframe(struct cast_receiver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->pli_asked = true;
	pthread_mutex_unlock(&r->lock);
}

void cast_receiver_stats(struct cast_receiver *r, struct cast_receiver_stats *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	pthread_mutex_unlock(&r->lock);
	st->rtcp_ssrc = r->own_ssrc;
}

void cast_receiver_stop(struct cast_receiver *r)
{
	if (!r || !r->running)
		return;
	r->stop = true;
	pthread_join(r->thread, NULL);
	r->running = false;
}

void cast_receiver_free(struct cast_receiver **pr)
{
	struct cast_receiver *r = pr ? *pr : NULL;

	if (!r)
		return;
	cast_receiver_stop(r);
	cast_decoder_free(&r->dec);
	cast_srtp_free(&r->srtp);
	cast_srtp_free(&r->next_srtp);
	cast_srtp_free(&r->fb_srtp);
	cast_srtp_free(&r->next_fb_srtp);
	cast_udp_free(&r->fb);
	cast_repair_dec_free(&r->rdec);
	cast_mauth_gate_free(&r->gate);
	free(r->raw);
	cast_h264_depacketizer_free(&r->depack);
	cast_udp_free(&r->rtcp);
	cast_udp_free(&r->rtp);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*pr = NULL;
}
