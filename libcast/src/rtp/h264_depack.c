/* H.264 RTP depacketizer (RFC 6184): reordering, loss detection, AU rebuild. */
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/rtp.h"

#include "rtp_int.h"

#define NAL_STAP_A 24
#define NAL_FU_A 28
/* Largest datagram accepted; IPv4 UDP cannot carry more anyway. */
#define MAX_PKT 65536
#define WINDOW_MAX 1024
/* Sequence numbers behind the head remembered as received or lost. */
#define HIST 1024
/* A jump further ahead than this is a restart, not loss (RFC 3550 A.1). */
#define MAX_DROPOUT 3000
/* Packets in a row from a new SSRC that take over a still-active stream. */
#define SSRC_TAKEOVER 8
#define AU_MIN_CAP 65536

struct slot {
	bool used;
	bool bad;	/* failed the syntax check; still counts as received */
	bool filler;	/* cfg.filler_pt: holds its place, adds nothing */
	bool marker;
	uint16_t seq;
	uint32_t ts;
	int64_t arrival_us;
	size_t len;
	size_t cap;
	uint8_t *data;
};

struct cast_h264_depacketizer {
	struct cast_h264_depacketizer_cfg cfg;
	cast_h264_au_cb *cb;
	void *arg;
	struct cast_rtp_rx_stats st;
	uint64_t reorder_us;

	/* Stream identity. */
	bool have_ssrc;
	uint32_t ssrc;
	uint32_t other_ssrc;
	int other_count;
	int64_t last_rx_us;

	/* Reorder ring: slots[head_idx] is for sequence number `head`. */
	struct slot *slots;
	int window;
	int head_idx;
	int buffered;
	bool started;
	uint16_t head;
	uint16_t max_seq;
	uint8_t hist[HIST / 8];	/* received bits of [head - HIST, head) */
	bool probing;
	uint16_t probe_seq;

	/* Access unit being rebuilt. */
	uint8_t *au;
	size_t au_len;
	size_t au_cap;
	bool au_active;
	uint32_t au_ts;
	bool au_damaged;
	bool au_keyframe;
	bool au_oversize;
	/* Packets lost since the last one processed. */
	uint64_t loss_run;
	/* FU-A in progress: its NAL starts at au[fu_start]. */
	bool fu_active;
	size_t fu_start;
	uint8_t fu_type;
	/* Fragments of an FU whose start we lost or never saw are expected. */
	bool fu_skip;
};

static const uint8_t start_code[4] = {0, 0, 0, 1};

void cast_h264_depacketizer_cfg_init(struct cast_h264_depacketizer_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pt = CAST_RTP_PT_H264;
	cfg->reorder_window = 64;
	cfg->reorder_ms = 40;
	cfg->max_au = 4 << 20;
}

int cast_h264_depacketizer_new(struct cast_h264_depacketizer **out,
			       const struct cast_h264_depacketizer_cfg *cfg,
			       cast_h264_au_cb *cb, void *arg)
{
	struct cast_h264_depacketizer *d;

	if (!out)
		return CAST_ERROR(EINVAL);
	d = calloc(1, sizeof(*d));
	if (!d)
		return CAST_ERROR(ENOMEM);
	if (cfg)
		d->cfg = *cfg;
	else
		cast_h264_depacketizer_cfg_init(&d->cfg);
	if (d->cfg.pt > 127 || d->cfg.filler_pt > 127 ||
	    d->cfg.reorder_window < 0 ||
	    d->cfg.reorder_ms < 0) {
		free(d);
		return CAST_ERROR(EINVAL);
	}
	if (d->cfg.max_au == 0)
		d->cfg.max_au = 4 << 20;
	if (d->cfg.reorder_window == 0)
		d->cfg.reorder_window = 1;
	if (d->cfg.reorder_window > WINDOW_MAX)
		d->cfg.reorder_window = WINDOW_MAX;
	d->window = d->cfg.reorder_window;
	d->reorder_us = (uint64_t)d->cfg.reorder_ms * 1000;
	d->slots = calloc((size_t)d->window, sizeof(*d->slots));
	if (!d->slots) {
		free(d);
		return CAST_ERROR(ENOMEM);
	}
	d->cb = cb;
	d->arg = arg;
	d->fu_skip = true;
	*out = d;
	return 0;
}

void cast_h264_depacketizer_free(struct cast_h264_depacketizer **dp)
{
	struct cast_h264_depacketizer *d;
	int i;

	if (!dp || !*dp)
		return;
	d = *dp;
	for (i = 0; i < d->window; i++)
		free(d->slots[i].data);
	free(d->slots);
	free(d->au);
	free(d);
	*dp = NULL;
}

void cast_h264_depacketizer_stats(const struct cast_h264_depacketizer *d,
				  struct cast_rtp_rx_stats *st)
{
	*st = d->st;
}

/* Time from `then` to `now`, 0 if the clock went backwards. */
static uint64_t elapsed(int64_t now, int64_t then)
{
	return now > then ? (uint64_t)now - (uint64_t)then : 0;
}

/* Stateless RFC 6184 syntax check for non-interleaved mode. */
static bool payload_valid(const uint8_t *p, size_t len)
{
	unsigned type;
	size_t off;

	if (len < 1 || (p[0] & 0x80))
		return false;
	type = p[0] & 0x1f;
	if (type >= 1 && type <= 23)
		return true;
	if (type == NAL_STAP_A) {
		if (len < 4)
			return false;
		for (off = 1; off < len;) {
			size_t n;
			unsigned t;

			if (len - off < 2)
				return false;
			n = cast__rd16(p + off);
			if (n == 0 || n > len - off - 2)
				return false;
			t = p[off + 2] & 0x1f;
			if (t == 0 || t > 23)
				return false;
			off += 2 + n;
		}
		return true;
	}
	if (type == NAL_FU_A) {
		unsigned t;

		if (len < 3 || (p[1] & 0xc0) == 0xc0)
			return false;
		t = p[1] & 0x1f;
		return t >= 1 && t <= 23;
	}
	/* STAP-B, MTAP, FU-B belong to interleaved mode; 0, 30, 31 unused. */
	return false;
}

/* Appends bytes to the AU; past cfg.max_au the AU is only marked oversize. */
static void au_put(struct cast_h264_depacketizer *d, const uint8_t *p,
		   size_t n)
{
	if (d->au_oversize)
		return;
	if (n > d->cfg.max_au - d->au_len) {
		d->au_oversize = true;
		return;
	}
	if (d->au_len + n > d->au_cap) {
		size_t cap = d->au_cap ? d->au_cap : AU_MIN_CAP;
		uint8_t *nb;

		while (cap < d->au_len + n)
			cap = cap > d->cfg.max_au / 2 ? d->cfg.max_au : cap * 2;
		if (cap > d->cfg.max_au)
			cap = d->cfg.max_au;
		nb = realloc(d->au, cap);
		if (!nb) {
			d->au_oversize = true;
			return;
		}
		d->au = nb;
		d->au_cap = cap;
	}
	memcpy(d->au + d->au_len, p, n);
	d->au_len += n;
}

static void note_nal_type(struct cast_h264_depacketizer *d, unsigned type)
{
	if (type == 5 || type == 7)
		d->au_keyframe = true;
}

static void au_put_nal(struct cast_h264_depacketizer *d, const uint8_t *p,
		       size_t n)
{
	au_put(d, start_code, sizeof(start_code));
	au_put(d, p, n);
	note_nal_type(d, p[0] & 0x1f);
}

/* Drops the partial NAL of an unfinished FU-A. */
static void fu_abort(struct cast_h264_depacketizer *d)
{
	if (!d->fu_active)
		return;
	if (d->au_len > d->fu_start)
		d->au_len = d->fu_start;
	d->fu_active = false;
	d->fu_skip = true;
	d->au_damaged = true;
}

static void au_finish(struct cast_h264_depacketizer *d)
{
	if (!d->au_active)
		return;
	if (d->fu_active) {
		/* Marker or new timestamp inside an FU: the sender broke it. */
		d->st.malformed++;
		fu_abort(d);
	}
	if (d->au_oversize) {
		d->st.aus_dropped++;
		cast_log(CAST_LOG_DEBUG, "depack",
			 "access unit ts %u over %zu bytes dropped", d->au_ts,
			 d->cfg.max_au);
	} else if (d->au_len == 0) {
		if (d->au_damaged)
			d->st.aus_dropped++;
	} else {
		struct cast_h264_au au = {
			.data = d->au,
			.size = d->au_len,
			.ts = d->au_ts,
			.damaged = d->au_damaged,
			.keyframe = d->au_keyframe,
		};

		d->st.aus++;
		if (au.damaged)
			d->st.aus_damaged++;
		if (d->cb)
			d->cb(&au, d->arg);
	}
	d->au_active = false;
	d->au_len = 0;
	d->au_damaged = false;
	d->au_keyframe = false;
	d->au_oversize = false;
}

static void depay_fu_a(struct cast_h264_depacketizer *d, const uint8_t *p,
		       size_t len)
{
	uint8_t type = p[1] & 0x1f;

	if (p[1] & 0x80) {
		uint8_t nal_hdr = (uint8_t)((p[0] & 0xe0) | type);

		d->fu_start = d->au_len;
		d->fu_type = type;
		d->fu_active = true;
		au_put(d, start_code, sizeof(start_code));
		au_put(d, &nal_hdr, 1);
		au_put(d, p + 2, len - 2);
		note_nal_type(d, type);
		if (p[1] & 0x40)
			d->fu_active = false;
		return;
	}
	if (!d->fu_active) {
		if (!d->fu_skip)
			d->st.malformed++;
		d->fu_skip = true;
		d->au_damaged = true;
		return;
	}
	if (type != d->fu_type) {
		d->st.malformed++;
		fu_abort(d);
		return;
	}
	au_put(d, p + 2, len - 2);
	if (p[1] & 0x40)
		d->fu_active = false;
}

/* Adds a syntax-checked payload to the current AU. */
static void depay(struct cast_h264_depacketizer *d, const uint8_t *p,
		  size_t len)
{
	unsigned type = p[0] & 0x1f;
	size_t off;

	if (type != NAL_FU_A || (p[1] & 0x80)) {
		if (d->fu_active) {
			/* A new NAL began before the FU ended. */
			d->st.malformed++;
			fu_abort(d);
		}
		d->fu_skip = false;
	}
	switch (type) {
	case NAL_STAP_A:
		for (off = 1; off < len;) {
			size_t n = cast__rd16(p + off);

			au_put_nal(d, p + off + 2, n);
			off += 2 + n;
		}
		break;
	case NAL_FU_A:
		depay_fu_a(d, p, len);
		break;
	default:
		au_put_nal(d, p, len);
		break;
	}
}

/* Runs one packet, in sequence order, through the AU builder. */
static void process(struct cast_h264_depacketizer *d, const struct slot *s)
{
	bool no_marker = d->au_active && s->ts != d->au_ts;

	if (s->filler) {
		/* Sent after an AU's last packet: what was lost between
		 * them was fillers too, not the next AU's. */
		d->loss_run = 0;
		return;
	}
	if (no_marker)
		au_finish(d);
	if (!d->au_active) {
		/*
		 * Packets lost right before this one belong to this AU, except
		 * that one of them was the last of an AU that never saw its
		 * marker.
		 */
		d->au_active = true;
		d->au_ts = s->ts;
		d->au_damaged = d->loss_run > (no_marker ? 1u : 0u);
	}
	d->loss_run = 0;
	if (s->bad) {
		fu_abort(d);
		d->fu_skip = true;
		d->au_damaged = true;
	} else {
		depay(d, s->data, s->len);
	}
	if (s->marker)
		au_finish(d);
}

static void on_loss(struct cast_h264_depacketizer *d, uint64_t n)
{
	d->st.lost += n;
	d->loss_run += n;
	if (d->au_active)
		d->au_damaged = true;
	fu_abort(d);
	d->fu_skip = true;
}

static void hist_set(struct cast_h264_depacketizer *d, uint16_t seq, bool rx)
{
	unsigned i = seq % HIST;

	if (rx)
		d->hist[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		d->hist[i / 8] &= (uint8_t)~(1u << (i % 8));
}

static bool hist_get(const struct cast_h264_depacketizer *d, uint16_t seq)
{
	unsigned i = seq % HIST;

	return d->hist[i / 8] >> (i % 8) & 1;
}

/* Moves the head one sequence number on: processes it or declares it lost. */
static void advance_head(struct cast_h264_depacketizer *d)
{
	struct slot *s = &d->slots[d->head_idx];

	if (s->used) {
		s->used = false;
		d->buffered--;
		process(d, s);
		hist_set(d, d->head, true);
	} else {
		on_loss(d, 1);
		hist_set(d, d->head, false);
	}
	d->head++;
	d->head_idx = (d->head_idx + 1) % d->window;
}

static void drain(struct cast_h264_depacketizer *d)
{
	while (d->slots[d->head_idx].used)
		advance_head(d);
}

void cast_h264_depacketizer_set_reorder_ms(struct cast_h264_depacketizer *d,
					  int ms)
{
	if (ms >= 0)
		d->reorder_us = (uint64_t)ms * 1000;
}

/* Declares gaps lost whose first following packet waited reorder_ms. */
static void expire(struct cast_h264_depacketizer *d, int64_t now_us)
{
	while (d->buffered) {
		const struct slot *s = NULL;
		int j;

		for (j = 1; j < d->window && !s; j++) {
			s = &d->slots[(d->head_idx + j) % d->window];
			if (!s->used)
				s = NULL;
		}
		if (!s || elapsed(now_us, s->arrival_us) < d->reorder_us)
			break;
		while (!d->slots[d->head_idx].used)
			advance_head(d);
		drain(d);
	}
}

/* Delivers everything buffered and ends the AU: the stream restarts. */
static void flush(struct cast_h264_depacketizer *d)
{
	while (d->buffered)
		advance_head(d);
	if (d->au_active) {
		/* No marker seen, so the AU may be incomplete. */
		d->au_damaged = true;
		au_finish(d);
	}
	d->started = false;
	d->probing = false;
	d->fu_active = false;
	d->fu_skip = true;
	d->loss_run = 0;
}

/* Sequence number far outside the window: a restart needs two in a row. */
static bool far_seq(struct cast_h264_depacketizer *d, uint16_t seq, int delta)
{
	if (d->probing && seq == d->probe_seq) {
		cast_log(CAST_LOG_INFO, "depack",
			 "sequence jump %u -> %u, resyncing", d->head, seq);
		flush(d);
		/* The packet before this one was dropped while probing. */
		d->loss_run = 1;
		return true;
	}
	d->probing = true;
	d->probe_seq = (uint16_t)(seq + 1);
	if (delta < 0)
		d->st.late++;
	else
		d->st.malformed++;
	return false;
}

static int store(struct cast_h264_depacketizer *d, const struct cast_rtp_hdr *h,
		 bool ok, bool filler, size_t len, int64_t now_us)
{
	struct slot *s;
	int delta;

	if (!d->started) {
		d->started = true;
		d->head = h->seq;
		d->max_seq = h->seq;
		d->head_idx = 0;
		memset(d->hist, 0, sizeof(d->hist));
	}
	delta = (int16_t)(uint16_t)(h->seq - d->head);
	if (delta < -HIST || delta >= d->window + MAX_DROPOUT) {
		if (!far_seq(d, h->seq, delta))
			return -1;
		return store(d, h, ok, filler, len, now_us);
	}
	d->probing = false;
	if (delta < 0) {
		if (hist_get(d, h->seq)) {
			d->st.duplicates++;
		} else {
			d->st.late++;
			hist_set(d, h->seq, true);
		}
		return -1;
	}
	if (delta >= d->window) {
		/* Window full: give up on the oldest gaps to make room. */
		int need = delta - d->window + 1;

		while (need > 0 && d->buffered) {
			advance_head(d);
			need--;
		}
		if (need > 0) {
			int i;

			on_loss(d, (uint64_t)need);
			for (i = 0; i < need && i < HIST; i++)
				hist_set(d, (uint16_t)(d->head + i), false);
			d->head = (uint16_t)(d->head + need);
			d->head_idx = 0;
		}
		delta = (int16_t)(uint16_t)(h->seq - d->head);
	}
	s = &d->slots[(d->head_idx + delta) % d->window];
	if (s->used) {
		d->st.duplicates++;
		return -1;
	}
	if ((int16_t)(uint16_t)(h->seq - d->max_seq) < 0)
		d->st.reordered++;
	else
		d->max_seq = h->seq;
	if (filler)
		ok = false;
	if (ok && h->payload_len > s->cap) {
		uint8_t *nb = realloc(s->data, h->payload_len);

		if (!nb)
			return -1;
		s->data = nb;
		s->cap = h->payload_len;
	}
	if (ok)
		memcpy(s->data, h->payload, h->payload_len);
	s->used = true;
	s->bad = !ok && !filler;
	s->filler = filler;
	s->marker = h->marker;
	s->seq = h->seq;
	s->ts = h->ts;
	s->len = ok ? h->payload_len : 0;
	s->arrival_us = now_us;
	d->buffered++;
	if (ok || filler) {
		d->st.packets++;
		d->st.bytes += len;
	}
	drain(d);
	return 0;
}

/* Accepts the packet's SSRC, switching streams when the old one went away. */
static bool ssrc_ok(struct cast_h264_depacketizer *d, uint32_t ssrc,
		    int64_t now_us)
{
	if (!d->have_ssrc) {
		d->have_ssrc = true;
		d->ssrc = ssrc;
		return true;
	}
	if (ssrc == d->ssrc) {
		d->other_count = 0;
		return true;
	}
	if (ssrc != d->other_ssrc || !d->other_count) {
		d->other_ssrc = ssrc;
		d->other_count = 0;
	}
	d->other_count++;
	if (elapsed(now_us, d->last_rx_us) > d->reorder_us ||
	    d->other_count >= SSRC_TAKEOVER) {
		cast_log(CAST_LOG_INFO, "depack",
			 "SSRC %08x -> %08x, resyncing", d->ssrc, ssrc);
		flush(d);
		d->ssrc = ssrc;
		d->other_count = 0;
		return true;
	}
	return false;
}

int cast_h264_depacketizer_push(struct cast_h264_depacketizer *d,
				const uint8_t *pkt, size_t len, int64_t now_us)
{
	struct cast_rtp_hdr h;
	bool ok, filler;

	if (!d)
		return CAST_ERROR(EINVAL);
	if (!pkt || len > MAX_PKT || cast_rtp_parse(pkt, len, &h)) {
		d->st.malformed++;
		expire(d, now_us);
		return CAST_EMALFORMED;
	}
	/* Before the SSRC check: another class must not take over ours. */
	if (d->cfg.channel && h.channel != d->cfg.channel) {
		d->st.foreign++;
		return CAST_ERROR(EXDEV);
	}
	filler = d->cfg.filler_pt && h.pt == d->cfg.filler_pt;
	if ((h.pt != d->cfg.pt && !filler) || !ssrc_ok(d, h.ssrc, now_us)) {
		d->st.malformed++;
		expire(d, now_us);
		return CAST_EMALFORMED;
	}
	d->last_rx_us = now_us;
	ok = filler || payload_valid(h.payload, h.payload_len);
	store(d, &h, ok && !filler, filler, len, now_us);
	expire(d, now_us);
	if (!ok) {
		d->st.malformed++;
		return CAST_EMALFORMED;
	}
	return 0;
}

void cast_h264_depacketizer_restart(struct cast_h264_depacketizer *d)
{
	if (d && d->started) {
		flush(d);
		/* What was skipped held pictures the next ones refer to: the
		 * first AU after it is delivered damaged, so the decoder
		 * waits for a refresh instead of showing pictures built on
		 * ones it never had. */
		d->loss_run = 1;
	}
}

void cast_h264_depacketizer_poll(struct cast_h264_depacketizer *d,
				 int64_t now_us)
{
	if (d)
		expire(d, now_us);
}

int cast_h264_depacketizer_missing(const struct cast_h264_depacketizer *d,
				   uint16_t *seqs, int max)
{
	int n = 0, span;

	if (!d->started || !d->buffered)
		return 0;
	span = (int16_t)(uint16_t)(d->max_seq - d->head);
	for (int j = 0; j < span && j < d->window && n < max; j++)
		if (!d->slots[(d->head_idx + j) % d->window].used)
			seqs[n++] = (uint16_t)(d->head + j);
	return n;
}
