/* Teacher pipeline: capture → convert → encode → RTP → multicast, on one thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cast/cast.h"
#include "net/net_int.h"

#define MAX_STUDENTS 1024
/* A student unheard for this long is forgotten (and its unicast stops). */
#define STUDENT_EXPIRE_US 30000000
#define UNICAST_EXPIRE_US 5000000

/* A sent packet kept for retransmission, exactly as it went on the wire. */
struct retx_slot {
	uint16_t seq;
	bool used;
	uint16_t len;
	int64_t last_retx_us;		/* monotonic; 0: never resent */
	uint8_t data[CAST_RTP_MAX_PKT + CAST_SRTP_OVERHEAD];
};

/* Blocks whose repair totals a student's last reports gave. */
#define WANT_TAB 16

struct student {
	struct cast_student_stat st;
	int64_t unicast_until_mono;	/* 0: none */
	/* What its requests may still add to the class's repairs. */
	double tokens;
	int64_t tokens_us;
	/* Per block asked for lately: repairs seen + still needed. */
	struct {
		uint16_t base;
		bool used;
		uint32_t total;
	} want[WANT_TAB];
};

/* Requests for a block are gathered at least this long (ms). */
#define REPAIR_GATHER_MS 6
/* A repair sent longer ago than this (ms) has reached the students or is
 * lost; a request may not have seen those sent since. */
#define REPAIR_IN_FLIGHT_MS 20
/* Send times kept per repair block. */
#define RECENT_SENDS 16
/* Repair rounds start when repair costs more than ROUNDS_ON_PCT of the
 * stream and ROUNDS_ON_BPS (bits/s) over a COST_WINDOW_US, and stop below
 * ROUNDS_OFF_PCT or ROUNDS_OFF_BPS: a class whose repairs cost little keeps
 * the lowest latency, also after a burst (50 students joining at once). */
#define COST_WINDOW_US 1000000
#define ROUNDS_ON_PCT 12
#define ROUNDS_ON_BPS 250000
#define ROUNDS_OFF_PCT 4
#define ROUNDS_OFF_BPS 125000
/* A round sent before its block is complete serves this share (%) of the
 * students in full; the others' remaining need joins the block's next
 * round, which serves everyone: a round per block costs the worst
 * student's losses in it, and a larger block averages more of them. */
#define EARLY_ROUND_PCT 80
/* A block sent within this (ms): rounds cost a short wait. */
#define QUICK_BLOCK_MS 700
/* From this bitrate on (~170 packets/s), blocks of 128 packets. */
#define BIG_BLOCK_KBPS 1500
/*
 * Repair is for what is still live. A packet sent longer ago than LIVE_MS
 * plus the repair delay the students were told (the longest any of them
 * waits for a gap is 900 ms, or that delay) is past every student's window:
 * a request for it gets a refresh (the keyframe path, coalesced), not a
 * repair. And one student's requests may raise the class's repairs by at
 * most REPAIR_SHARE_PCT of the stream's packet rate (at least
 * REPAIR_MIN_PPS), with a burst of REPAIR_BURST_BLOCKS blocks: a token
 * bucket per student; what is over is refused.
 */
#define LIVE_MS 1000
#define REPAIR_SHARE_PCT 20
#define REPAIR_MIN_PPS 30
#define REPAIR_BURST_BLOCKS 2
/* Frames of this many packets or more send their auth packets twice. */
#define AUTH_TWICE 16
/* Send times kept per sequence number (to tell a request's age). */
#define SENT_RING 8192

/* Students report at least once a second: these are in the class. */
#define HEARD_LATELY_US 3000000
/* A stopped sender looks for a start this often. */
#define IDLE_STEP_US 20000
/* Started again, a film passed through waits this long at most for its
 * next keyframe before it goes on. */
#define REPLAY_KEY_WAIT_US 2000000

struct cast_sender {
	struct cast_sender_cfg cfg;
	struct cast_capture *cap;
	struct cast_convert *conv;	/* made for the source's format */
	enum cast_pixfmt conv_fmt;
	struct cast_encoder *enc;
	struct cast_h264_packetizer *pack;
	struct cast_udp *rtp, *rtcp;
	struct cast_srtp *srtp;		/* NULL when insecure */
	/* Feedback: its socket, SRTCP context, thread; the rest under lock. */
	struct cast_udp *fb;
	struct cast_srtp *fb_srtp;
	pthread_t fb_thread;
	bool fb_running;
	struct retx_slot *retx;
	int n_retx;
	struct {
		uint16_t seq;
		int64_t us;		/* monotonic */
	} *sent_at;			/* SENT_RING, under lock */
	double stream_pps;		/* packets a second, lately */
	int64_t rate_us;
	uint64_t rate_packets;
	struct student *students;
	int n_students;
	uint32_t *want_sorted;		/* MAX_STUDENTS, for early rounds */
	/* Coded repair: the encoder and, per block, repairs sent lately. */
	struct cast_repair_enc *renc;
	uint16_t next_added;		/* one past the newest packet it has */
	struct {
		uint16_t base;
		bool used;
		uint32_t sent;		/* repairs sent for it (next seed) */
		/* Needs gathered from students, sent when the batch ends. */
		uint32_t pending;
		int64_t pending_since;
		/* Repairs in all the students' exact reports ask for. */
		uint32_t target;
		int64_t complete_us;	/* when its last packet was sent */
		bool early;		/* had a round for most students */
		int64_t sent_us[RECENT_SENDS];	/* the last sends, a ring */
	} rblk[256];
	bool rounds;			/* repair is costly: rounds per block */
	int costly;			/* costly windows in a row */
	int64_t cost_us;		/* repair cost: window start */
	uint64_t cost_repair, cost_stream, cost_packets;
	/* The longest a repair may take now (ms, 0: at once): students
	 * learn it from the sender reports, sent at once when it changes. */
	_Atomic uint16_t repair_ms;
	atomic_bool sr_due;
	int64_t last_forced_key_mono;
	int64_t key_deferred;		/* monotonic time of a merged PLI's key */
	/* Source authentication (sender thread): the hashes of the packets
	 * of the frame being sent, from extended sequence number auth_first. */
	bool auth;
	uint8_t sign_sk[64];
	uint8_t *auth_hashes;
	int auth_n, auth_cap;
	uint64_t auth_first;
	bool have_ext;
	uint64_t ext_last;		/* of the last packet sent */
	int64_t auth_cost_us;		/* hashing and signing this frame */
	char group[32];
	uint16_t port;

	pthread_t thread;
	bool running;
	atomic_bool stop;
	/* Stopped by the teacher (cast_sender_set_active): nothing is
	 * grabbed, encoded or sent but the sender reports. */
	atomic_bool paused;
	pthread_mutex_t lock;
	struct cast_sender_stats st;	/* under lock */

	int64_t t0_us;			/* capture clock origin */
	uint32_t ts_base;
	int64_t last_sr_us;
	int64_t last_encode_mono;
	bool keyframe_req;		/* under lock */
	bool overlay_failed;		/* logged once */
};

void cast_sender_cfg_init(struct cast_sender_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cast_capture_cfg_init(&cfg->capture);
	cast_encoder_cfg_init(&cfg->encoder);
	cfg->encoder.width = 0;
	cfg->encoder.height = 0;
	cfg->fit_width = CAST_CLASS_WIDTH;
	cfg->fit_height = CAST_CLASS_HEIGHT;
	cfg->channel = 1;
	cfg->ttl = 1;
	cfg->loop = true;
	cfg->mtu = CAST_RTP_MTU_DEFAULT;
	cfg->still_interval_ms = 100;
	cfg->feedback = true;
	cfg->retx_packets = 2048;
	cfg->retx_holdoff_ms = 8;
	cfg->pli_holdoff_ms = 300;
	cfg->max_unicast = 8;
	cfg->coded_repair = true;
	cfg->repair_block = 0;
	cfg->repair_batch_ms = 350;
	cfg->fec_per_block = 0;
	cfg->first_seq = -1;
}

static void send_fec(struct cast_sender *s, uint16_t base);

static uint32_t rtp_ts_of(const struct cast_sender *s, int64_t us)
{
	return s->ts_base + (uint32_t)((us - s->t0_us) * 9 / 100);
}

/*
 * Sends to the group and to every student served a unicast copy (lock held).
 * Unicast copies, RTP and RTCP alike, go to the student's feedback socket,
 * which tells them apart by payload type (RFC 5761).
 */
static int send_all(struct cast_sender *s, struct cast_udp *u,
		    const uint8_t *buf, size_t len)
{
	int64_t now = cast_mono_us();
	int n = cast_udp_send(u, buf, len);

	for (int i = 0; i < s->n_students; i++) {
		struct student *st = &s->students[i];

		if (st->unicast_until_mono < now)
			continue;
		cast_udp_send_to(s->fb, buf, len, st->st.ip, st->st.port);
	}
	return n;
}

/* Extended sequence number of a packet about to be sent. */
static uint64_t ext_of(struct cast_sender *s, uint16_t seq)
{
	if (!s->have_ext) {
		s->have_ext = true;
		s->ext_last = seq;
	} else {
		s->ext_last += (uint16_t)(seq - (uint16_t)s->ext_last);
	}
	return s->ext_last & ((UINT64_C(1) << 48) - 1);
}

/* Keeps the hash of a media packet for the frame's auth packets. */
static int auth_note(struct cast_sender *s, const uint8_t *pkt, size_t len)
{
	uint64_t ext = ext_of(s, (uint16_t)(pkt[2] << 8 | pkt[3]));
	int64_t t0;

	if ((pkt[1] & 0x7f) == CAST_RTP_PT_AUTH)
		return 0;
	if (s->auth_n == s->auth_cap) {
		int cap = s->auth_cap ? s->auth_cap * 2 : 256;
		uint8_t *nb = realloc(s->auth_hashes,
				      (size_t)cap * CAST_MAUTH_HASH_LEN);

		if (!nb)
			return CAST_ERROR(ENOMEM);
		s->auth_hashes = nb;
		s->auth_cap = cap;
	}
	if (!s->auth_n)
		s->auth_first = ext;
	t0 = cast_mono_us();
	cast_mauth_hash(pkt, len,
			s->auth_hashes + (size_t)s->auth_n * CAST_MAUTH_HASH_LEN);
	s->auth_cost_us += cast_mono_us() - t0;
	s->auth_n++;
	return 0;
}

static void send_rtp(const uint8_t *pkt, size_t len, void *arg);

/*
 * After a frame's last packet: its auth packets, each signing the hashes of
 * up to CAST_MAUTH_MAX_HASHES of its packets, in the same RTP stream.
 */
static void send_auth(struct cast_sender *s, uint32_t ts)
{
	uint8_t buf[CAST_MAUTH_MAX_LEN];
	uint32_t ssrc = cast_h264_packetizer_ssrc(s->pack);
	int n, len, sent = 0;
	uint64_t first;
	int64_t t0;

	for (int off = 0; off < s->auth_n; off += n) {
		n = s->auth_n - off < CAST_MAUTH_MAX_HASHES
			    ? s->auth_n - off
			    : CAST_MAUTH_MAX_HASHES;
		first = (s->auth_first + (uint64_t)off) &
			((UINT64_C(1) << 48) - 1);
		/* A big frame's auth packets go twice: losing one would
		 * cost the whole frame where its repair cannot come (a
		 * student that joined inside the block asks for none). */
		for (int copy = 0; copy < (s->auth_n >= AUTH_TWICE ? 2 : 1);
		     copy++) {
			t0 = cast_mono_us();
			len = cast_mauth_write(
				buf, sizeof(buf), ssrc,
				(uint16_t)s->cfg.channel, first,
				(uint16_t)(cast_h264_packetizer_seq(s->pack) -
					   (uint16_t)first),
				s->auth_hashes +
					(size_t)off * CAST_MAUTH_HASH_LEN,
				n, s->sign_sk);
			s->auth_cost_us += cast_mono_us() - t0;
			if (len < 0 ||
			    cast_rtp_packetizer_send(s->pack, CAST_RTP_PT_AUTH,
						     buf, (size_t)len, ts,
						     send_rtp, s) < 0) {
				cast_log(CAST_LOG_WARN, "sender",
					 "auth packet: %s",
					 cast_strerror(len < 0
							       ? len
							       : CAST_ERROR(
									 EINVAL)));
				continue;
			}
			sent++;
			pthread_mutex_lock(&s->lock);
			s->st.auth_packets++;
			s->st.auth_bytes += (uint64_t)len + CAST_RTP_HDR_LEN +
					    CAST_RTP_EXT_CHANNEL_LEN +
					    (s->srtp ? CAST_SRTP_OVERHEAD : 0);
			pthread_mutex_unlock(&s->lock);
		}
	}
	s->auth_n = 0;
	if (sent) {
		pthread_mutex_lock(&s->lock);
		cast_hist_add(&s->st.sign_us, s->auth_cost_us);
		pthread_mutex_unlock(&s->lock);
	}
	s->auth_cost_us = 0;
}

static void send_rtp(const uint8_t *pkt, size_t len, void *arg)
{
	struct cast_sender *s = arg;
	uint8_t buf[CAST_RTP_MAX_PKT + CAST_SRTP_OVERHEAD];
	struct retx_slot *slot;
	uint16_t seq;
	int n = CAST_ERROR(EMSGSIZE);

	if (len > CAST_RTP_MAX_PKT || len < CAST_RTP_HDR_LEN)
		goto count;
	if (s->auth && auth_note(s, pkt, len)) {
		n = CAST_ERROR(ENOMEM);
		goto count;
	}
	memcpy(buf, pkt, len);
	n = s->srtp ? cast_srtp_protect(s->srtp, buf, &len, sizeof(buf)) : 0;
	if (n)
		goto count;
	seq = (uint16_t)(buf[2] << 8 | buf[3]);
	pthread_mutex_lock(&s->lock);
	n = send_all(s, s->rtp, buf, len);
	if (s->sent_at) {
		s->sent_at[seq % SENT_RING].seq = seq;
		s->sent_at[seq % SENT_RING].us = cast_mono_us();
	}
	if (s->retx) {
		slot = &s->retx[seq % s->n_retx];
		slot->used = true;
		slot->seq = seq;
		slot->len = (uint16_t)len;
		slot->last_retx_us = 0;
		memcpy(slot->data, buf, len);
	}
	if (s->renc) {
		cast_repair_enc_add(s->renc, seq, buf, len);
		s->next_added = (uint16_t)(seq + 1);
		/* Proactive FEC when a block is complete. */
		if (s->cfg.fec_per_block > 0 &&
		    (uint16_t)(seq + 1) % s->cfg.repair_block == 0)
			send_fec(s, cast_repair_block_base(seq,
							   s->cfg.repair_block));
	}
	pthread_mutex_unlock(&s->lock);
count:
	pthread_mutex_lock(&s->lock);
	if (n < 0) {
		s->st.send_errors++;
	} else {
		s->st.packets_sent++;
		s->st.bytes_sent += (uint64_t)n;
	}
	pthread_mutex_unlock(&s->lock);
}

static void send_sr(struct cast_sender *s)
{
	struct cast_rtcp_sr sr = {0};
	uint8_t buf[256];
	int64_t now = cast_now_us();
	size_t len;
	int n;

	sr.ssrc = cast_h264_packetizer_ssrc(s->pack);
	sr.ntp = cast_ntp_from_us(now);
	sr.rtp_ts = rtp_ts_of(s, now);
	cast_h264_packetizer_counts(s->pack, &sr.packets, &sr.octets);
	sr.repair_ms = s->repair_ms;
	sr.repair_block = s->renc ? (uint8_t)s->cfg.repair_block : 0;
	s->sr_due = false;
	n = cast_rtcp_write_sr(buf, sizeof(buf) - CAST_SRTCP_OVERHEAD, &sr,
			       "libcast-teacher");
	len = n > 0 ? (size_t)n : 0;
	if (n > 0 && s->srtp)
		n = cast_srtp_protect_rtcp(s->srtp, buf, &len, sizeof(buf));
	pthread_mutex_lock(&s->lock);
	if (n < 0 || send_all(s, s->rtcp, buf, len) < 0)
		s->st.send_errors++;
	pthread_mutex_unlock(&s->lock);
	s->last_sr_us = now;
}

/* Puts one access unit on the wire (and through the tap). */
static void send_packet(struct cast_sender *s, const struct cast_packet *pkt)
{
	int err = cast_h264_packetize(s->pack, pkt->data, pkt->size,
				      rtp_ts_of(s, pkt->capture_us), send_rtp,
				      s);

	if (s->auth)
		send_auth(s, rtp_ts_of(s, pkt->capture_us));
	if (s->cfg.on_packet)
		s->cfg.on_packet(pkt, s->cfg.packet_arg);
	pthread_mutex_lock(&s->lock);
	s->st.frames_sent++;
	if (pkt->keyframe)
		s->st.keyframes++;
	if (pkt->size > s->st.max_frame_bytes)
		s->st.max_frame_bytes = pkt->size;
	pthread_mutex_unlock(&s->lock);
	if (err < 0)
		cast_log(CAST_LOG_WARN, "sender", "packetize: %s",
			 cast_strerror(err));
}

/* Drains every ready packet from the encoder onto the wire. */
static int drain_encoder(struct cast_sender *s)
{
	struct cast_packet pkt;
	int err;

	for (;;) {
		err = cast_encoder_receive_packet(s->enc, &pkt);
		if (err == CAST_ERROR(EAGAIN) || err == CAST_EOF)
			return 0;
		if (err < 0)
			return err;
		send_packet(s, &pkt);
	}
}

static int encode_one(struct cast_sender *s, const struct cast_frame *f)
{
	struct cast_frame yuv;
	int64_t t0 = cast_mono_us(), t1;
	int err;
	bool key;

	if (f->fmt == CAST_PIX_I420 && f->width == s->cfg.encoder.width &&
	    f->height == s->cfg.encoder.height) {
		yuv = *f;
	} else {
		if (!s->conv || s->conv_fmt != f->fmt) {
			cast_convert_free(&s->conv);
			err = cast_convert_new(&s->conv, f->fmt, f->width,
					       f->height, s->cfg.encoder.width,
					       s->cfg.encoder.height);
			if (err)
				return err;
			s->conv_fmt = f->fmt;
		}
		err = cast_convert_run(s->conv, f, &yuv);
		if (err < 0)
			return err;
		yuv.capture_us = f->capture_us;
	}
	t1 = cast_mono_us();
	pthread_mutex_lock(&s->lock);
	key = s->keyframe_req;
	s->keyframe_req = false;
	pthread_mutex_unlock(&s->lock);
	if (key)
		cast_encoder_request_keyframe(s->enc);
	err = cast_encoder_send_frame(s->enc, &yuv);
	if (err == CAST_ERROR(EAGAIN)) {
		err = drain_encoder(s);
		if (!err)
			err = cast_encoder_send_frame(s->enc, &yuv);
	}
	if (!err)
		err = drain_encoder(s);
	pthread_mutex_lock(&s->lock);
	cast_hist_add(&s->st.convert_us, t1 - t0);
	cast_hist_add(&s->st.encode_us, cast_mono_us() - t1);
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* Finds or adds the student that sent feedback (lock held). */
static struct student *student_of(struct cast_sender *s, uint32_t ip,
				  uint16_t port, uint32_t ssrc, int64_t now)
{
	struct student *st, *oldest = NULL;

	for (int i = 0; i < s->n_students; i++) {
		st = &s->students[i];
		if (st->st.ip == ip && st->st.port == port)
			return st;
		if (!oldest || st->st.last_seen_us < oldest->st.last_seen_us)
			oldest = st;
	}
	if (s->n_students < MAX_STUDENTS) {
		st = &s->students[s->n_students++];
	} else if (oldest && now - oldest->st.last_seen_us > STUDENT_EXPIRE_US) {
		st = oldest;
	} else {
		return NULL;
	}
	memset(st, 0, sizeof(*st));
	/* A new student learns the repair block size and timing from the
	 * next sender report: send it now, not within a second. */
	s->sr_due = true;
	st->st.ip = ip;
	st->st.port = port;
	st->st.ssrc = ssrc;
	st->st.first_seen_us = now;
	return st;
}

/* How many of a block's last RECENT_SENDS repairs went out after `since`. */
static uint32_t recent_sends(const int64_t *sent_us, int64_t since)
{
	uint32_t n = 0;

	for (int i = 0; i < RECENT_SENDS; i++)
		n += sent_us[i] > since;
	return n;
}

/* The index of the block's entry in the feedback's repair state, or -1. */
static int repair_state_of(const struct cast_rtcp_fb *fb, uint16_t base)
{
	for (int i = 0; i < fb->n_repair_state; i++)
		if (fb->repair_state[i].base == base)
			return i;
	return -1;
}

/* Repairs a block still owes by the students' exact reports. */
static uint32_t exact_owed(const struct cast_sender *s, int slot)
{
	return s->rblk[slot].target > s->rblk[slot].sent
		       ? s->rblk[slot].target - s->rblk[slot].sent
		       : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Repairs owed by a round sent before its block is complete: enough for
 * EARLY_ROUND_PCT of the students heard lately (those without a report
 * for the block need none of it), not for the unluckiest. */
static uint32_t early_owed(struct cast_sender *s, int slot)
{
	uint32_t *tot = s->want_sorted;
	uint16_t base = s->rblk[slot].base;
	int k = s->cfg.repair_block, w = (base / k) % WANT_TAB, n = 0;
	int64_t now = cast_now_us();
	uint32_t r;

	for (int i = 0; i < s->n_students; i++) {
		const struct student *st = &s->students[i];

		if (now - st->st.last_seen_us > HEARD_LATELY_US)
			continue;
		tot[n++] = st->want[w].used && st->want[w].base == base
				   ? st->want[w].total
				   : 0;
	}
	if (!n)
		return exact_owed(s, slot);
	qsort(tot, (size_t)n, sizeof(tot[0]), cmp_u32);
	r = tot[(n * EARLY_ROUND_PCT + 99) / 100 - 1];
	return r > s->rblk[slot].sent ? r - s->rblk[slot].sent : 0;
}

/* Sends `n` new coded repairs for the block at `base` (lock held). */
static void send_repairs(struct cast_sender *s, uint16_t base, int covered,
			 int n, bool proactive)
{
	uint8_t out[CAST_REPAIR_MAX_LEN];
	int k = s->cfg.repair_block;
	int i = (base / k) % 256, len;

	if (!s->rblk[i].used || s->rblk[i].base != base) {
		memset(&s->rblk[i], 0, sizeof(s->rblk[i]));
		s->rblk[i].used = true;
		s->rblk[i].base = base;
	}
	while (n-- > 0) {
		/* Seeds 0, 1, 2… per block: Cauchy rows, any d of them
		 * solve any d losses. */
		len = cast_repair_enc_make(s->renc, base, covered,
					   s->rblk[i].sent, out, sizeof(out));
		if (len < 0) {
			s->st.nacks_too_old++;
			return;
		}
		s->rblk[i].sent_us[s->rblk[i].sent % RECENT_SENDS] =
			cast_mono_us();
		s->rblk[i].sent++;
		if (send_all(s, s->rtp, out, (size_t)len) < 0)
			continue;
		s->st.retransmit_bytes += (uint64_t)len;
		if (proactive) {
			s->st.fec_packets++;
		} else {
			s->st.packets_retransmitted++;
			s->st.repairs_coded++;
		}
	}
}

static void send_fec(struct cast_sender *s, uint16_t base)
{
	send_repairs(s, base, s->cfg.repair_block, s->cfg.fec_per_block, true);
}

/* The live window (µs): older packets get a refresh, not a repair. */
static int64_t live_us(const struct cast_sender *s)
{
	return (LIVE_MS + (int64_t)s->repair_ms) * 1000;
}

/* True when packet `seq` went out longer ago than the live window, or so
 * long ago that its send time is forgotten (lock held). */
static bool stale(const struct cast_sender *s, uint16_t seq, int64_t now)
{
	if (!s->sent_at || s->sent_at[seq % SENT_RING].seq != seq ||
	    !s->sent_at[seq % SENT_RING].us)
		return true;
	return now - s->sent_at[seq % SENT_RING].us > live_us(s);
}

/* Takes up to `want` repairs from the student's budget; returns how many
 * it may cause (lock held). */
static uint32_t budget_take(struct cast_sender *s, struct student *who,
			    uint32_t want, int64_t now)
{
	double rate, burst;
	uint32_t got;

	if (!want)
		return 0;
	if (!who) {
		s->st.repairs_refused_rate += want;
		return 0;
	}
	if (!s->rate_us || now - s->rate_us >= COST_WINDOW_US) {
		if (s->rate_us)
			s->stream_pps = (double)(s->st.packets_sent -
						 s->rate_packets) *
					1e6 / (double)(now - s->rate_us);
		s->rate_us = now;
		s->rate_packets = s->st.packets_sent;
	}
	rate = s->stream_pps * REPAIR_SHARE_PCT / 100;
	if (rate < REPAIR_MIN_PPS)
		rate = REPAIR_MIN_PPS;
	burst = (double)(REPAIR_BURST_BLOCKS *
			 (s->renc ? s->cfg.repair_block : 64));
	if (!who->tokens_us)
		who->tokens = burst;
	else
		who->tokens += rate * (double)(now - who->tokens_us) / 1e6;
	if (who->tokens > burst)
		who->tokens = burst;
	who->tokens_us = now;
	got = who->tokens >= (double)want ? want : (uint32_t)who->tokens;
	who->tokens -= (double)got;
	s->st.repairs_refused_rate += want - got;
	return got;
}

/*
 * Coded repair: a student lists, per block, as many of its missing
 * sequence numbers as it still needs repairs for. The block gets that many
 * new repairs, less those sent for it within the holdoff, so 50 students
 * cost the worst student's need, not the union of their losses.
 */
static bool handle_nacks_coded(struct cast_sender *s, struct student *who,
			       const struct cast_rtcp_fb *fb)
{
	int k = s->cfg.repair_block;
	int64_t now = cast_mono_us();
	int64_t in_flight = REPAIR_IN_FLIGHT_MS * 1000;
	uint16_t next = s->next_added;
	bool refresh = false;

	for (int i = 0; i < fb->n_nack;) {
		uint16_t base = cast_repair_block_base(fb->nack[i], k);
		int need = 0, slot = (base / k) % 256, covered, st;
		bool live = false;

		while (i < fb->n_nack &&
		       cast_repair_block_base(fb->nack[i], k) == base) {
			live |= !stale(s, fb->nack[i], now);
			need++;
			i++;
		}
		s->st.nacks_received += (uint64_t)need;
		/* Past every student's window: a refresh serves it. */
		if (!live) {
			s->st.repairs_refused_stale += (uint64_t)need;
			refresh = true;
			continue;
		}
		/* The block may still be filling: cover what was sent. */
		covered = (uint16_t)(next - base) < k ? (uint16_t)(next - base)
						      : k;
		if (covered <= 0)
			continue;
		if (!s->rblk[slot].used || s->rblk[slot].base != base) {
			memset(&s->rblk[slot], 0, sizeof(s->rblk[slot]));
			s->rblk[slot].used = true;
			s->rblk[slot].base = base;
		}
		if (!s->rblk[slot].pending_since)
			s->rblk[slot].pending_since = now;
		st = repair_state_of(fb, base);
		if (st >= 0) {
			/* Exact: the student saw `seen` of the block's
			 * repairs (those sent later are on their way) and
			 * needs `need` more, so the block needs seen + need
			 * in all. Nobody can have seen more than was sent. */
			uint32_t seen = fb->repair_state[st].seen;
			uint32_t landed = s->rblk[slot].sent -
					  recent_sends(s->rblk[slot].sent_us,
						       now - in_flight);

			/* Sent long enough ago and not seen: lost on the way
			 * to this student, not still coming. */
			if (seen < landed)
				seen = landed;
			if (seen > s->rblk[slot].sent)
				seen = s->rblk[slot].sent;
			/* What this request adds to the block's repairs
			 * comes out of the student's budget. */
			if (seen + (uint32_t)need > s->rblk[slot].target)
				s->rblk[slot].target += budget_take(
					s, who,
					seen + (uint32_t)need -
						s->rblk[slot].target,
					now);
			if (who) {
				int w = (base / k) % WANT_TAB;

				who->want[w].base = base;
				who->want[w].used = true;
				who->want[w].total =
					seen + (uint32_t)need <
							s->rblk[slot].target
						? seen + (uint32_t)need
						: s->rblk[slot].target;
			}
			continue;
		}
		/* Gather the block's largest need over a short batch: one
		 * set of repairs then serves every student who lost any
		 * packets of it meanwhile. */
		if ((uint32_t)need > s->rblk[slot].pending)
			s->rblk[slot].pending += budget_take(
				s, who, (uint32_t)need - s->rblk[slot].pending,
				now);
	}
	return refresh;
}

/* Sends the repairs of every block whose batch is over (lock held). */
static void flush_repairs(struct cast_sender *s)
{
	int k = s->cfg.repair_block;
	int64_t now = cast_mono_us();
	int64_t batch = (int64_t)s->cfg.repair_batch_ms * 1000;
	int64_t gather = REPAIR_GATHER_MS * 1000;
	int64_t holdoff = (int64_t)s->cfg.retx_holdoff_ms * 1000;
	uint16_t next = s->next_added;

	/* Rounds only while repair is costly (a lossy class on a busy
	 * stream), with hysteresis. */
	if (!s->cost_us) {
		s->cost_us = now;
	} else if (now - s->cost_us >= COST_WINDOW_US) {
		uint64_t rb = s->st.retransmit_bytes - s->cost_repair;
		uint64_t sb = s->st.bytes_sent - s->cost_stream;
		uint64_t bps = rb * 8 * 1000000 / (uint64_t)(now - s->cost_us);
		uint64_t pk = s->st.packets_sent - s->cost_packets;
		int64_t block_ms = pk ? (int64_t)k * (now - s->cost_us) /
						(int64_t)pk / 1000
				      : 2000;
		/* A straggler of a block's first round is served by its
		 * next: when the block is complete, or one delay later. */
		int64_t wait_ms = block_ms < 2 * s->cfg.repair_batch_ms
					  ? block_ms
					  : 2 * s->cfg.repair_batch_ms;
		uint16_t hint;

		/* Where a block takes long to send, rounds cost long waits:
		 * start them only when repair stays costly (two windows in
		 * a row), not for the burst of a class joining at once. */
		if (sb && !s->rounds && rb > sb * ROUNDS_ON_PCT / 100 &&
		    bps > ROUNDS_ON_BPS)
			s->rounds = ++s->costly >=
				    (block_ms <= QUICK_BLOCK_MS ? 1 : 2);
		else if (!s->rounds)
			s->costly = 0;
		else if (sb && s->rounds &&
			 (rb < sb * ROUNDS_OFF_PCT / 100 || bps < ROUNDS_OFF_BPS))
			s->rounds = false, s->costly = 0;
		s->st.repair_rounds = s->rounds;
		hint = s->rounds ? (uint16_t)(wait_ms + 150) : 0;
		if (hint / 50 != s->repair_ms / 50) {
			s->repair_ms = hint;
			s->sr_due = true;
		}
		s->cost_us = now;
		s->cost_packets = s->st.packets_sent;
		s->cost_repair = s->st.retransmit_bytes;
		s->cost_stream = s->st.bytes_sent;
	}
	if (!s->rounds)
		batch = gather;
	for (int i = 0; i < 256; i++) {
		uint32_t need, recent, owed;
		int covered;
		bool done;

		if (!s->rblk[i].used)
			continue;
		if (!s->rblk[i].complete_us &&
		    (uint16_t)(next - s->rblk[i].base) >= k)
			s->rblk[i].complete_us = now;
		/* A block's requests are answered once it is complete (and
		 * the requests for its last packets had REPAIR_GATHER_MS to
		 * come), once the oldest waited repair_batch_ms, or at once
		 * when the stream is too slow to complete the block by then:
		 * one round per block only pays where a block takes less than
		 * the delay; elsewhere waiting would cost latency for little. */
		if (!s->rblk[i].pending_since ||
		    now - s->rblk[i].pending_since < gather)
			continue;
		done = s->rblk[i].complete_us &&
		       now - s->rblk[i].complete_us >= gather;
		if (now - s->rblk[i].pending_since < batch && !done)
			continue;
		/* Not complete after the delay: a first round for most
		 * students; the rest, with new losses, get the block's next
		 * round, which serves everyone. */
		if (s->rounds && !done && !s->rblk[i].early) {
			owed = early_owed(s, i);
			s->rblk[i].early = true;
		} else {
			owed = exact_owed(s, i);
		}
		need = s->rblk[i].pending;
		s->rblk[i].pending = 0;
		s->rblk[i].pending_since = 0;
		/* Without a repair-state report: less what was sent within
		 * the holdoff, which the request may not have seen. */
		recent = recent_sends(s->rblk[i].sent_us, now - holdoff);
		if (need <= recent) {
			s->st.nacks_suppressed += need;
			need = 0;
		} else {
			need -= recent;
		}
		if (owed > need)
			need = owed;
		if (!need)
			continue;
		covered = (uint16_t)(next - s->rblk[i].base) < k
				  ? (uint16_t)(next - s->rblk[i].base)
				  : k;
		if (covered > 0)
			send_repairs(s, s->rblk[i].base, covered, (int)need,
				     false);
	}
}

/* Resends lost packets, once per holdoff however many students ask. */
static bool handle_nacks(struct cast_sender *s, struct student *who,
			 const struct cast_rtcp_fb *fb)
{
	int64_t now = cast_mono_us();
	int64_t holdoff = (int64_t)s->cfg.retx_holdoff_ms * 1000;
	bool refresh = false;

	for (int i = 0; i < fb->n_nack; i++) {
		struct retx_slot *slot = &s->retx[fb->nack[i] % s->n_retx];

		s->st.nacks_received++;
		if (!slot->used || slot->seq != fb->nack[i]) {
			s->st.nacks_too_old++;
			continue;
		}
		if (stale(s, fb->nack[i], now)) {
			s->st.repairs_refused_stale++;
			refresh = true;
			continue;
		}
		if (slot->last_retx_us && now - slot->last_retx_us < holdoff) {
			s->st.nacks_suppressed++;
			continue;
		}
		if (!budget_take(s, who, 1, now))
			continue;
		if (send_all(s, s->rtp, slot->data, slot->len) >= 0) {
			s->st.packets_retransmitted++;
			s->st.retransmit_bytes += slot->len;
		}
		slot->last_retx_us = now;
	}
	return refresh;
}

static void handle_feedback(struct cast_sender *s, uint8_t *buf, size_t len,
			    uint32_t ip, uint16_t port)
{
	struct cast_rtcp_fb fb;
	struct student *st;
	int64_t now = cast_now_us(), mono = cast_mono_us();
	bool key = false, stale_refresh = false;

	if ((s->fb_srtp && cast_srtp_unprotect_rtcp(s->fb_srtp, buf, &len)) ||
	    cast_rtcp_parse_fb(buf, len, &fb) || !fb.has_rr) {
		pthread_mutex_lock(&s->lock);
		s->st.feedback_rejected++;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->st.feedback_packets++;
	st = student_of(s, ip, port, fb.rr.ssrc, now);
	if (st) {
		st->st.last_seen_us = now;
		st->st.loss_pct = fb.rr.fraction_lost * 100.0 / 256;
		st->st.cumulative_lost = fb.rr.cumulative_lost;
		st->st.jitter_ms = fb.rr.jitter / 90.0;
		st->st.nacks += (uint64_t)fb.n_nack;
		if (fb.pli)
			st->st.plis++;
		if (fb.has_stats) {
			st->st.fps = fb.stats.fps_x100 / 100.0;
			st->st.frames_decoded = fb.stats.frames_decoded;
			st->st.latency_ms = fb.stats.latency_p50_us / 1000.0;
			st->st.packets_recovered = fb.stats.packets_recovered;
		}
		if (fb.unicast_request) {
			int served = 0;

			for (int i = 0; i < s->n_students; i++)
				served += s->students[i].unicast_until_mono >=
						  mono &&
					  &s->students[i] != st;
			if (served < s->cfg.max_unicast) {
				if (!st->st.unicast)
					cast_log(CAST_LOG_INFO, "sender",
						 "unicast copy to %u.%u.%u.%u:%u",
						 ip >> 24, (ip >> 16) & 255,
						 (ip >> 8) & 255, ip & 255,
						 port);
				st->unicast_until_mono =
					mono + UNICAST_EXPIRE_US;
				st->st.unicast = true;
			} else {
				s->st.unicast_refused++;
			}
		}
	}
	if (fb.n_nack && s->renc)
		stale_refresh = handle_nacks_coded(s, st, &fb);
	else if (fb.n_nack && s->retx)
		stale_refresh = handle_nacks(s, st, &fb);
	if (stale_refresh && !fb.pli) {
		s->st.refreshes_for_stale++;
		fb.pli = true;
	}
	if (fb.pli) {
		s->st.plis_received++;
		if (s->last_forced_key_mono &&
		    mono - s->last_forced_key_mono <
			    (int64_t)s->cfg.pli_holdoff_ms * 1000) {
			s->st.plis_coalesced++;
			if (!s->key_deferred)
				s->key_deferred =
					s->last_forced_key_mono +
					(int64_t)s->cfg.pli_holdoff_ms * 1000;
		} else {
			s->last_forced_key_mono = mono;
			s->st.keyframes_forced++;
			s->keyframe_req = true;
			key = true;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (key)
		cast_log(CAST_LOG_DEBUG, "sender", "keyframe on request");
}

static void *feedback_thread(void *arg)
{
	struct cast_sender *s = arg;
	uint8_t buf[2048];
	uint32_t ip;
	uint16_t port;
	int n;

	while (!s->stop) {
		n = cast_udp_recv(s->fb, buf, sizeof(buf),
				  s->renc ? 2 : 50, &ip, &port);
		if (n > 0)
			handle_feedback(s, buf, (size_t)n, ip, port);
		if (s->renc) {
			pthread_mutex_lock(&s->lock);
			flush_repairs(s);
			pthread_mutex_unlock(&s->lock);
		}
	}
	return NULL;
}

int cast_sender_students(struct cast_sender *s, struct cast_student_stat *out,
			 int max)
{
	int64_t now = cast_now_us(), mono = cast_mono_us();
	int n = 0;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n_students && n < max; i++) {
		struct student *st = &s->students[i];

		if (now - st->st.last_seen_us > HEARD_LATELY_US)
			continue;
		out[n] = st->st;
		out[n].unicast = st->unicast_until_mono >= mono;
		n++;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void sleep_until(int64_t mono_us)
{
	struct timespec ts = {.tv_sec = mono_us / 1000000,
			      .tv_nsec = (mono_us % 1000000) * 1000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* Hands the grabbed picture to the overlay; its failure costs the overlay,
 * never the broadcast. */
static int overlay(struct cast_sender *s, struct cast_frame *f, int changed)
{
	struct cast_frame keep = *f;
	int r = s->cfg.overlay(f, changed, s->cfg.overlay_arg);

	if (r >= 0)
		return r;
	if (!s->overlay_failed)
		cast_log(CAST_LOG_WARN, "sender", "overlay: %s",
			 cast_strerror(r));
	s->overlay_failed = true;
	*f = keep;
	return changed;
}

/*
 * A film passed through and paused: a student asked for a keyframe (it
 * joined, or lost the picture), so the access units from the last keyframe
 * to the paused picture go out again, a millisecond apart. Students that
 * have the picture run through them in a blink and stop at the same one.
 * Not recorded again.
 */
static void repeat_held(struct cast_sender *s)
{
	const struct cast_packet *aus;
	int n = cast_replay_held(s->cfg.replay, &aus);

	for (int i = 0; i < n && !s->stop; i++) {
		struct cast_packet pkt = aus[i];
		int err;

		pkt.capture_us = cast_now_us();
		err = cast_h264_packetize(s->pack, pkt.data, pkt.size,
					  rtp_ts_of(s, pkt.capture_us),
					  send_rtp, s);
		if (s->auth)
			send_auth(s, rtp_ts_of(s, pkt.capture_us));
		if (err < 0)
			cast_log(CAST_LOG_WARN, "sender", "packetize: %s",
				 cast_strerror(err));
		sleep_until(cast_mono_us() + 1000);
	}
	if (n > 0) {
		pthread_mutex_lock(&s->lock);
		s->st.frames_repeated += (uint64_t)n;
		s->st.keyframes++;
		pthread_mutex_unlock(&s->lock);
	}
}

/*
 * While the broadcast is stopped: nothing grabbed or encoded, only the
 * sender reports once a second (students then know the teacher is there
 * and ask for no unicast copy). Waits in short steps so a start or a stop
 * is heard at once.
 */
static void idle_step(struct cast_sender *s)
{
	if (cast_now_us() - s->last_sr_us >= 1000000 || s->sr_due)
		send_sr(s);
	sleep_until(cast_mono_us() + IDLE_STEP_US);
}

/* Broadcast replay: the recording's access units at their own pace. */
static void *replay_thread(struct cast_sender *s)
{
	struct cast_packet pkt;
	int64_t due;
	bool want_key, skip_to_key = false;
	int64_t resumed_us = 0;
	int r;

	send_sr(s);
	while (!s->stop) {
		r = cast_replay_next(s->cfg.replay, &pkt, &due);
		if (r == CAST_EOF) {
			cast_log(CAST_LOG_INFO, "sender", "source ended");
			break;
		}
		if (r < 0) {
			cast_log(CAST_LOG_ERROR, "sender", "replay: %s",
				 cast_strerror(r));
			break;
		}
		/* In short steps, so a stop is heard at once. */
		while (!s->stop && cast_mono_us() < due)
			sleep_until(due < cast_mono_us() + 50000
					    ? due
					    : cast_mono_us() + 50000);
		/* A keyframe asked for while playing is the film's own
		 * next one's to serve. */
		pthread_mutex_lock(&s->lock);
		want_key = s->keyframe_req;
		s->keyframe_req = false;
		pthread_mutex_unlock(&s->lock);
		/* The film's clock holds it (paused) or moved it (seek):
		 * nothing new to send, the reports go on. */
		if (r > 0) {
			if (want_key)
				repeat_held(s);
			if (cast_now_us() - s->last_sr_us >= 1000000)
				send_sr(s);
			continue;
		}
		/*
		 * Stopped: the film's clock goes on, nothing is sent; started
		 * again, students get it from its next keyframe (a film
		 * without one soon goes on anyway: its refresh, or the
		 * students' requests, repair the picture).
		 */
		if (atomic_load(&s->paused))
			resumed_us = 0;
		else if (skip_to_key && !resumed_us)
			resumed_us = cast_mono_us();
		if (atomic_load(&s->paused) ||
		    (skip_to_key && !pkt.keyframe &&
		     cast_mono_us() - resumed_us < REPLAY_KEY_WAIT_US)) {
			skip_to_key = true;
			if (cast_now_us() - s->last_sr_us >= 1000000)
				send_sr(s);
			continue;
		}
		skip_to_key = false;
		pkt.capture_us = cast_now_us();
		send_packet(s, &pkt);
		pthread_mutex_lock(&s->lock);
		s->st.frames_captured++;
		pthread_mutex_unlock(&s->lock);
		if (cast_now_us() - s->last_sr_us >= 1000000 || s->sr_due)
			send_sr(s);
	}
	send_sr(s);
	pthread_mutex_lock(&s->lock);
	s->st.finished = true;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void *sender_thread(void *arg)
{
	struct cast_sender *s = arg;
	struct cast_frame f;
	int64_t period = 1000000 / s->cfg.encoder.fps;
	int64_t next = cast_mono_us(), t, still_us, idle_us;
	int refresh = s->cfg.encoder.refresh_frames > 0
			      ? s->cfg.encoder.refresh_frames
			      : s->cfg.encoder.fps;
	int still_sent = 0;	/* keep-alive encodes since the last change */
	bool have_frame = false, want_key;
	int r;

	if (s->cfg.replay)
		return replay_thread(s);
	still_us = (int64_t)s->cfg.still_interval_ms * 1000;
	/* Once a whole refresh of the unchanged picture has gone out, every
	 * receiver has it complete: keep-alives drop to one a second, and a
	 * student joining later asks for a picture (PLI). */
	idle_us = 1000000;
	send_sr(s);
	while (!s->stop) {
		if (atomic_load(&s->paused)) {
			idle_step(s);
			next = cast_mono_us();
			continue;
		}
		t = cast_mono_us();
		r = cast_capture_grab(s->cap, &f);
		pthread_mutex_lock(&s->lock);
		cast_hist_add(&s->st.capture_us, cast_mono_us() - t);
		if (r >= 0)
			s->st.frames_captured++;
		pthread_mutex_unlock(&s->lock);
		if (r == CAST_EOF) {
			cast_log(CAST_LOG_INFO, "sender", "source ended");
			break;
		}
		if (r < 0) {
			cast_log(CAST_LOG_ERROR, "sender", "capture: %s",
				 cast_strerror(r));
			break;
		}
		if (s->cfg.overlay)
			r = overlay(s, &f, r);
		if (r == 1) {
			have_frame = true;
			still_sent = 0;
		}
		pthread_mutex_lock(&s->lock);
		/* A PLI merged into a recent keyframe is served when the
		 * holdoff ends, so no joiner waits for its own retry. */
		if (s->key_deferred && t >= s->key_deferred) {
			s->key_deferred = 0;
			s->last_forced_key_mono = t;
			s->st.keyframes_forced++;
			s->keyframe_req = true;
		}
		want_key = s->keyframe_req;
		pthread_mutex_unlock(&s->lock);
		if (have_frame &&
		    (r == 1 || want_key ||
		     t - s->last_encode_mono >=
			     (still_sent >= refresh ? idle_us : still_us))) {
			if (r == 0)
				still_sent++;
			f.capture_us = r == 1 ? f.capture_us : cast_now_us();
			r = encode_one(s, &f);
			s->last_encode_mono = t;
			if (r < 0) {
				cast_log(CAST_LOG_ERROR, "sender", "encode: %s",
					 cast_strerror(r));
				break;
			}
		} else {
			pthread_mutex_lock(&s->lock);
			s->st.frames_still++;
			pthread_mutex_unlock(&s->lock);
		}
		if (cast_now_us() - s->last_sr_us >= 1000000 || s->sr_due)
			send_sr(s);
		next += period;
		t = cast_mono_us();
		if (next < t - period) /* fell behind: don't burst to catch up */
			next = t;
		sleep_until(next);
	}
	if (!cast_encoder_send_frame(s->enc, NULL))
		drain_encoder(s);
	send_sr(s);
	pthread_mutex_lock(&s->lock);
	s->st.finished = true;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int cast_sender_new(struct cast_sender **out, const struct cast_sender_cfg *cfg)
{
	struct cast_sender *s;
	struct cast_udp_cfg ucfg;
	struct cast_h264_packetizer_cfg pcfg;
	int err, w, h;

	if (!out || !cfg || cfg->encoder.fps <= 0 || cfg->encoder.fps > 240)
		return CAST_ERROR(EINVAL);
	s = calloc(1, sizeof(*s));
	if (!s)
		return CAST_ERROR(ENOMEM);
	s->cfg = *cfg;
	/* Auto: a 128-packet block averages more losses per repair round,
	 * worth it where a block takes well under a second to send. */
	if (!s->cfg.repair_block)
		s->cfg.repair_block =
			cfg->encoder.bitrate_kbps >= BIG_BLOCK_KBPS ? 128 : 64;
	s->cfg.media_key = NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->st.active = true;
	cast_hist_reset(&s->st.capture_us);
	cast_hist_reset(&s->st.convert_us);
	cast_hist_reset(&s->st.encode_us);
	cast_hist_reset(&s->st.sign_us);

	err = cast__channel_addr(cfg->channel, CAST_PORT_VIDEO, cfg->dest_addr,
				 cfg->dest_port, s->group, sizeof(s->group),
				 &s->port);
	if (err)
		goto out;

	s->cfg.capture.fps = cfg->encoder.fps;
	if (cfg->replay) {
		/* The recording's own pictures: nothing to capture or encode. */
		cast_replay_size(cfg->replay, &w, &h);
		s->cfg.encoder.width = w;
		s->cfg.encoder.height = h;
		goto encoded;
	}
	err = cast_capture_new(&s->cap, &s->cfg.capture);
	if (err)
		goto out;
	cast_capture_size(s->cap, &w, &h);
	if (!s->cfg.encoder.width || !s->cfg.encoder.height) {
		err = cast_size_fit(w, h, s->cfg.fit_width, s->cfg.fit_height,
				    &s->cfg.encoder.width,
				    &s->cfg.encoder.height);
		if (err < 0)
			goto out;
		if (err)
			cast_log(CAST_LOG_INFO, "sender",
				 "%dx%d source scaled to %dx%d", w, h,
				 s->cfg.encoder.width, s->cfg.encoder.height);
	}
	err = cast_encoder_new(&s->enc, &s->cfg.encoder);
	if (err)
		goto out;
encoded:
	s->st.width = s->cfg.encoder.width;
	s->st.height = s->cfg.encoder.height;

	if (!cfg->insecure) {
		if (!cfg->media_key) {
			cast_log(CAST_LOG_ERROR, "sender",
				 "secure broadcast needs a media key");
			err = CAST_ERROR(EINVAL);
			goto out;
		}
		err = cast_srtp_new(&s->srtp, CAST_SRTP_SENDER, cfg->media_key);
		if (err)
			goto out;
		if (cfg->unsigned_media) {
			cast_log(CAST_LOG_WARN, "sender",
				 "unsigned media: any student could inject "
				 "frames (measurement only)");
		} else if (!cfg->sign_key || !cfg->sign_key->can_sign) {
			cast_log(CAST_LOG_ERROR, "sender",
				 "secure broadcast needs the teacher's "
				 "signing key");
			err = CAST_ERROR(EINVAL);
			goto out;
		} else {
			memcpy(s->sign_sk, cfg->sign_key->sign_sk,
			       sizeof(s->sign_sk));
			s->auth = true;
		}
	}
	s->cfg.sign_key = NULL;
	cast_h264_packetizer_cfg_init(&pcfg);
	pcfg.mtu = cfg->mtu ? cfg->mtu : CAST_RTP_MTU_DEFAULT;
	pcfg.channel = (uint16_t)cfg->channel;
	if (cfg->first_seq > 65535) {
		err = CAST_ERROR(EINVAL);
		goto out;
	}
	if (cfg->first_seq >= 0)
		pcfg.first_seq = (uint16_t)cfg->first_seq;
	/* SRTP's tag must still fit the MTU. */
	if (s->srtp)
		pcfg.mtu -= CAST_SRTP_OVERHEAD;
	if (pcfg.mtu > CAST_RTP_MAX_PKT || pcfg.mtu < 200) {
		err = CAST_ERROR(EINVAL);
		goto out;
	}
	err = cast_h264_packetizer_new(&s->pack, &pcfg);
	if (err)
		goto out;

	cast_udp_cfg_init(&ucfg);
	ucfg.iface = cfg->iface;
	ucfg.ttl = cfg->ttl;
	ucfg.loop = cfg->loop;
	ucfg.dest_addr = s->group;
	ucfg.dest_port = s->port;
	err = cast_udp_new(&s->rtp, &ucfg);
	if (err)
		goto out;
	ucfg.dest_port = (uint16_t)(s->port + 1);
	err = cast_udp_new(&s->rtcp, &ucfg);
	if (err)
		goto out;

	if (cfg->feedback) {
		int fport = cast_channel_port(cfg->channel, CAST_PORT_FEEDBACK);

		if (cfg->dest_port)
			fport = cfg->dest_port + CAST_PORT_FEEDBACK;
		cast_udp_cfg_init(&ucfg);
		ucfg.port = (uint16_t)fport;
		ucfg.multicast_all = false;
		ucfg.iface = cfg->iface;
		ucfg.ttl = cfg->ttl;
		ucfg.rcvbuf = 1 << 20;
		err = cast_udp_new(&s->fb, &ucfg);
		if (err)
			goto out;
		if (s->srtp) {
			err = cast_srtp_new(&s->fb_srtp, CAST_SRTP_RECEIVER,
					    cfg->media_key);
			if (err)
				goto out;
		}
		/* The resend ring only serves when coded repair is off: with
		 * it, NACKs are answered by the repair encoder, which keeps the
		 * packets itself (one copy per packet, not two). */
		s->n_retx = cfg->retx_packets > 0 && !cfg->coded_repair &&
					    cfg->fec_per_block <= 0
				    ? cfg->retx_packets
				    : 0;
		if (s->n_retx) {
			s->retx = calloc((size_t)s->n_retx, sizeof(*s->retx));
			if (!s->retx) {
				err = CAST_ERROR(ENOMEM);
				goto out;
			}
		}
		if (cfg->coded_repair || cfg->fec_per_block > 0) {
			struct cast_repair_enc_cfg rc;

			cast_repair_enc_cfg_init(&rc);
			rc.k = s->cfg.repair_block;
			err = cast_repair_enc_new(&s->renc, &rc);
			if (err)
				goto out;
		}
		s->sent_at = calloc(SENT_RING, sizeof(*s->sent_at));
		s->students = calloc(MAX_STUDENTS, sizeof(*s->students));
		s->want_sorted = calloc(MAX_STUDENTS, sizeof(*s->want_sorted));
		if (!s->students || !s->want_sorted || !s->sent_at) {
			err = CAST_ERROR(ENOMEM);
			goto out;
		}
	}

	s->t0_us = cast_now_us();
	s->ts_base = cast_h264_packetizer_ssrc(s->pack) * 2654435761u;
	s->st.ssrc = cast_h264_packetizer_ssrc(s->pack);
	if (cfg->insecure)
		cast_log(CAST_LOG_WARN, "sender",
			 "insecure: plain RTP that anyone on the LAN can watch");
	cast_log(CAST_LOG_INFO, "sender", "%s %dx%d@%d %d kbit/s -> %s:%u",
		 s->cap ? cast_capture_backend(s->cap) : "replay", s->cfg.encoder.width,
		 s->cfg.encoder.height, s->cfg.encoder.fps,
		 s->cfg.encoder.bitrate_kbps, s->group, s->port);
	*out = s;
	return 0;
out:
	cast_sender_free(&s);
	return err;
}

int cast_sender_start(struct cast_sender *s)
{
	int err;

	if (s->running)
		return CAST_ERROR(EALREADY);
	s->stop = false;
	if (s->fb) {
		err = pthread_create(&s->fb_thread, NULL, feedback_thread, s);
		if (err)
			return CAST_ERROR(err);
		s->fb_running = true;
	}
	err = pthread_create(&s->thread, NULL, sender_thread, s);
	if (err) {
		s->stop = true;
		if (s->fb_running)
			pthread_join(s->fb_thread, NULL);
		s->fb_running = false;
		return CAST_ERROR(err);
	}
	s->running = true;
	return 0;
}

void cast_sender_stats(struct cast_sender *s, struct cast_sender_stats *st)
{
	int64_t now = cast_now_us(), mono = cast_mono_us();

	pthread_mutex_lock(&s->lock);
	*st = s->st;
	st->students = 0;
	st->unicast_targets = 0;
	for (int i = 0; i < s->n_students; i++) {
		st->students += now - s->students[i].st.last_seen_us < 5000000;
		st->unicast_targets += s->students[i].unicast_until_mono >= mono;
	}
	pthread_mutex_unlock(&s->lock);
}

int cast_sender_sdp(struct cast_sender *s, char *buf, size_t size)
{
	struct cast_sdp_info info = {0};

	info.dest_addr = s->group;
	info.port = s->port;
	info.ttl = s->cfg.ttl;
	info.pt = CAST_RTP_PT_H264;
	if (s->enc)
		cast_encoder_params(s->enc, &info.sps, &info.sps_len,
				    &info.pps, &info.pps_len);
	return cast_sdp_write(buf, size, &info);
}

int cast_sender_set_active(struct cast_sender *s, bool on)
{
	if (!s)
		return CAST_ERROR(EINVAL);
	if (atomic_load(&s->paused) == !on)
		return 0;
	pthread_mutex_lock(&s->lock);
	/* Started again: a picture every student can start from, first. */
	if (on)
		s->keyframe_req = true;
	else
		s->st.stops++;
	s->st.active = on;
	atomic_store(&s->paused, !on);
	pthread_mutex_unlock(&s->lock);
	cast_log(CAST_LOG_INFO, "sender", "broadcast %s",
		 on ? "started again" : "stopped");
	return 1;
}

bool cast_sender_active(struct cast_sender *s)
{
	return s && !atomic_load(&s->paused);
}

void cast_sender_request_keyframe(struct cast_sender *s)
{
	pthread_mutex_lock(&s->lock);
	s->keyframe_req = true;
	pthread_mutex_unlock(&s->lock);
}

int cast_sender_exclude(struct cast_sender *s, const struct cast_rect *r,
			int n)
{
	return s ? cast_capture_exclude(s->cap, r, n) : CAST_ERROR(EINVAL);
}

void cast_sender_stop(struct cast_sender *s)
{
	if (!s || !s->running)
		return;
	s->stop = true;
	pthread_join(s->thread, NULL);
	if (s->fb_running)
		pthread_join(s->fb_thread, NULL);
	s->fb_running = false;
	s->running = false;
}

void cast_sender_free(struct cast_sender **ps)
{
	struct cast_sender *s = ps ? *ps : NULL;

	if (!s)
		return;
	cast_sender_stop(s);
	cast_udp_free(&s->fb);
	cast_srtp_free(&s->fb_srtp);
	free(s->retx);
	free(s->students);
	free(s->want_sorted);
	free(s->sent_at);
	cast_repair_enc_free(&s->renc);
	cast_udp_free(&s->rtcp);
	cast_udp_free(&s->rtp);
	cast_h264_packetizer_free(&s->pack);
	cast_srtp_free(&s->srtp);
	cast_encoder_free(&s->enc);
	cast_convert_free(&s->conv);
	cast_capture_free(&s->cap);
	free(s->auth_hashes);
	OPENSSL_cleanse(s->sign_sk, sizeof(s->sign_sk));
	pthread_mutex_destroy(&s->lock);
	free(s);
	*ps = NULL;
}
