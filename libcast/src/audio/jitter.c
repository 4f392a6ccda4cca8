/* Adaptive playout buffer for 20 ms Opus frames, indexed by sequence number. */
#include <stdlib.h>
#include <string.h>

#include "cast/audio.h"
#include "cast/error.h"

/*
 * Playout: the first packet starts a wait of `target` ms, then one frame
 * per get() in sequence order. The target is the spread (max - min) of
 * the packets' transit times (arrival minus RTP time) over the last
 * SPREAD_N packets, plus one frame (so a lost frame's successor, whose
 * in-band FEC rebuilds it, is usually there in time), plus a bonus that
 * each underrun raises by a frame and that decays by 1 ms a second; never
 * under min_ms + extra nor over max_ms. A frame missing when its turn
 * comes is rebuilt from the next one's FEC or concealed; when nothing at
 * all is buffered (an underrun) a concealed frame is played without
 * advancing, which adds a frame of delay; so does a concealed frame played
 * every 500 ms while the buffer holds two frames less than the target (the
 * target grew: more jitter, or lip sync). When more than two frames over
 * the target stay buffered for half a second, one frame is skipped.
 */

#define CAP 64
#define SPREAD_N 256
#define FRAME_MS (CAST_AUDIO_FRAME_US / 1000)
#define SHRINK_GETS 25
#define BONUS_MAX_MS 200
#define GROW_EVERY_US 500000

struct slot {
	bool used;
	uint16_t seq;
	uint32_t ts;
	uint16_t len;
	uint8_t data[CAST_OPUS_MAX_PACKET];
};

struct cast_jitter {
	struct cast_jitter_cfg cfg;
	struct slot slot[CAP];
	uint8_t out[CAST_OPUS_MAX_PACKET];
	bool any, started;
	uint16_t newest, next_seq;
	uint32_t next_ts, ref_ts;
	int64_t last_arrival;
	/* Before the start: the least transit (arrival minus RTP time, µs,
	 * relative to ref_ts) of the packets held. */
	int64_t start_transit;
	/* Transit times (µs, relative), a ring, and the RFC 3550 jitter. */
	int64_t transit[SPREAD_N];
	int n_transit, i_transit;
	int64_t prev_transit;
	double jitter_us;
	int spread_ms, bonus_ms, extra_ms;
	int64_t bonus_decay_us, last_grow_us;
	int over;
	bool dry;			/* in an underrun */
	struct cast_jitter_stats st;
};

void cast_jitter_cfg_init(struct cast_jitter_cfg *cfg)
{
	cfg->min_ms = 30;
	cfg->max_ms = 400;
	cfg->idle_ms = 200;
}

int cast_jitter_new(struct cast_jitter **out, const struct cast_jitter_cfg *cfg)
{
	struct cast_jitter *j;

	if (cfg->min_ms < 0 || cfg->max_ms < cfg->min_ms || cfg->max_ms > 2000 ||
	    cfg->idle_ms < FRAME_MS)
		return CAST_ERROR(EINVAL);
	j = calloc(1, sizeof(*j));
	if (!j)
		return CAST_ERROR(ENOMEM);
	j->cfg = *cfg;
	*out = j;
	return 0;
}

static int target_ms(const struct cast_jitter *j)
{
	int t = j->spread_ms + FRAME_MS + j->bonus_ms;
	int lo = j->cfg.min_ms + j->extra_ms;

	if (t < lo)
		t = lo;
	return t > j->cfg.max_ms ? j->cfg.max_ms : t;
}

static void reset(struct cast_jitter *j)
{
	for (int i = 0; i < CAP; i++)
		j->slot[i].used = false;
	j->any = false;
	j->started = false;
	j->n_transit = 0;
	j->i_transit = 0;
}

static struct slot *find(struct cast_jitter *j, uint16_t seq)
{
	struct slot *s = &j->slot[seq % CAP];

	return s->used && s->seq == seq ? s : NULL;
}

/* RTP time `ts` on the arrival clock's scale, from the talk's first (µs). */
static int64_t ts_us(const struct cast_jitter *j, uint32_t ts)
{
	return (int64_t)(int32_t)(ts - j->ref_ts) * 1000 / 48;
}

static void note_transit(struct cast_jitter *j, int64_t t)
{
	int64_t lo, hi, d;

	if (j->n_transit) {
		d = t - j->prev_transit;
		j->jitter_us += ((double)(d < 0 ? -d : d) - j->jitter_us) / 16;
	}
	j->prev_transit = t;
	j->transit[j->i_transit] = t;
	j->i_transit = (j->i_transit + 1) % SPREAD_N;
	if (j->n_transit < SPREAD_N)
		j->n_transit++;
	lo = hi = j->transit[0];
	for (int i = 1; i < j->n_transit; i++) {
		lo = j->transit[i] < lo ? j->transit[i] : lo;
		hi = j->transit[i] > hi ? j->transit[i] : hi;
	}
	j->spread_ms = (int)((hi - lo + 999) / 1000);
}

static int put(struct cast_jitter *j, uint16_t seq, uint32_t ts,
	       const uint8_t *data, size_t len, int64_t now_us, bool measured)
{
	struct slot *s;
	int16_t d;
	bool first;
	int64_t t;

	if (!len)
		return CAST_ERROR(EINVAL);
	if (len > CAST_OPUS_MAX_PACKET)
		return CAST_ERROR(EMSGSIZE);
	if (j->any) {
		d = (int16_t)(seq - (j->started ? j->next_seq : j->newest));
		if (j->started ? d < 0 : d <= -CAP) {
			j->st.late++;
			return 1;
		}
		if (d >= CAP) {
			/* The sender jumped (restart, long outage). */
			reset(j);
			j->st.restarts++;
		}
	}
	first = !j->any;
	if (first) {
		j->any = true;
		j->ref_ts = ts;
		j->newest = seq;
	}
	s = &j->slot[seq % CAP];
	if (s->used && s->seq == seq) {
		j->st.duplicates++;
		return 1;
	}
	s->used = true;
	s->seq = seq;
	s->ts = ts;
	s->len = (uint16_t)len;
	memcpy(s->data, data, len);
	if ((int16_t)(seq - j->newest) > 0)
		j->newest = seq;
	j->last_arrival = now_us;
	/* A rebuilt packet's arrival says nothing of the network's
	 * jitter: it came with its block's repair. */
	t = now_us - ts_us(j, ts);
	if (measured)
		note_transit(j, t);
	if (first || (!j->started && measured && t < j->start_transit))
		j->start_transit = t;
	j->st.packets++;
	return 0;
}

int cast_jitter_put(struct cast_jitter *j, uint16_t seq, uint32_t ts,
		    const uint8_t *data, size_t len, int64_t now_us)
{
	return put(j, seq, ts, data, len, now_us, true);
}

int cast_jitter_put_rebuilt(struct cast_jitter *j, uint16_t seq, uint32_t ts,
			    const uint8_t *data, size_t len, int64_t now_us)
{
	return put(j, seq, ts, data, len, now_us, false);
}

/* The oldest held packet's sequence number (j->any). */
static uint16_t oldest(struct cast_jitter *j)
{
	for (int i = CAP - 1; i > 0; i--) {
		uint16_t seq = (uint16_t)(j->newest - i);

		if (find(j, seq))
			return seq;
	}
	return j->newest;
}

/*
 * When the frame with RTP time `ts` is due, before the start (monotonic
 * µs): its time on the arrival clock through the best-timed packet held
 * (the least transit), plus the target. A packet that came late (rebuilt
 * by repair, or held up) then does not delay the whole talk.
 */
static int64_t due_of(const struct cast_jitter *j, uint32_t ts, int target)
{
	return ts_us(j, ts) + j->start_transit + (int64_t)target * 1000;
}

static void take(struct cast_jitter *j, struct slot *s,
		 struct cast_jitter_frame *out)
{
	memcpy(j->out, s->data, s->len);
	out->data = j->out;
	out->len = s->len;
}

void cast_jitter_get(struct cast_jitter *j, int64_t now_us,
		     struct cast_jitter_frame *out)
{
	struct slot *s, *nx;
	int depth, target;

	memset(out, 0, sizeof(*out));
	if (now_us - j->bonus_decay_us >= 1000000) {
		j->bonus_decay_us = now_us;
		if (j->bonus_ms > 0)
			j->bonus_ms--;
	}
	target = target_ms(j);
	j->st.target_ms = target;
	if (!j->any) {
		j->st.depth = 0;
		return;
	}
	if (!j->started) {
		uint16_t o = oldest(j);

		if (now_us < due_of(j, find(j, o)->ts, target))
			return;
		j->started = true;
		j->next_seq = o;
		j->next_ts = find(j, o)->ts;
		j->over = 0;
		/* Frames whose time has passed (the oldest came late):
		 * start with the one due now. */
		while (now_us - due_of(j, j->next_ts, target) >= FRAME_MS * 1000 &&
		       j->next_seq != j->newest) {
			s = find(j, j->next_seq);
			if (s) {
				s->used = false;
				j->st.late++;
			}
			j->next_seq++;
			j->next_ts += CAST_AUDIO_FRAME;
		}
	}
	depth = (int16_t)(j->newest - j->next_seq) + 1;
	if (depth <= 0 &&
	    now_us - j->last_arrival > (int64_t)j->cfg.idle_ms * 1000) {
		/* The teacher paused or stopped: start over on the next. */
		reset(j);
		j->st.restarts++;
		j->st.depth = 0;
		return;
	}
	j->st.depth = depth > 0 ? depth : 0;
	out->ts = j->next_ts;
	if (depth <= 0) {
		/* Ran dry: conceal without advancing (a frame more delay);
		 * the target wants a frame more, once per underrun. */
		if (!j->dry) {
			j->st.underruns++;
			j->bonus_ms += FRAME_MS;
			if (j->bonus_ms > BONUS_MAX_MS)
				j->bonus_ms = BONUS_MAX_MS;
		}
		j->dry = true;
		j->st.concealed++;
		out->kind = CAST_JITTER_LOST;
		return;
	}
	/* Two frames short (one is the arrival phase): grow by one. */
	if ((depth + 1) * FRAME_MS < target - FRAME_MS &&
	    now_us - j->last_grow_us >= GROW_EVERY_US) {
		/* Asked to hold more (lip sync, jitter grew): one frame. */
		j->last_grow_us = now_us;
		j->st.stretched++;
		out->kind = CAST_JITTER_LOST;
		return;
	}
	j->dry = false;
	s = find(j, j->next_seq);
	j->over = depth * FRAME_MS > target + 2 * FRAME_MS ? j->over + 1 : 0;
	if (s && j->over >= SHRINK_GETS &&
	    find(j, (uint16_t)(j->next_seq + 1))) {
		s->used = false;
		j->st.dropped++;
		j->over = 0;
		j->next_seq++;
		j->next_ts += CAST_AUDIO_FRAME;
		s = find(j, j->next_seq);
		out->ts = j->next_ts;
	}
	if (s) {
		take(j, s, out);
		out->kind = CAST_JITTER_PACKET;
		out->ts = s->ts;
		s->used = false;
		j->next_ts = s->ts + CAST_AUDIO_FRAME;
		j->st.played++;
	} else if ((nx = find(j, (uint16_t)(j->next_seq + 1)))) {
		take(j, nx, out);
		out->kind = CAST_JITTER_FEC;
		j->next_ts += CAST_AUDIO_FRAME;
		j->st.fec++;
	} else {
		out->kind = CAST_JITTER_LOST;
		j->next_ts += CAST_AUDIO_FRAME;
		j->st.concealed++;
	}
	j->next_seq++;
}

void cast_jitter_set_extra(struct cast_jitter *j, int ms)
{
	j->extra_ms = ms < 0 ? 0 : ms;
}

bool cast_jitter_idle(const struct cast_jitter *j)
{
	return !j->any;
}

int64_t cast_jitter_due(struct cast_jitter *j)
{
	if (!j->any || j->started)
		return 0;
	return due_of(j, find(j, oldest(j))->ts, target_ms(j));
}

void cast_jitter_stats(const struct cast_jitter *j, struct cast_jitter_stats *st)
{
	*st = j->st;
	st->target_ms = target_ms(j);
	st->jitter_ms = j->jitter_us / 1000;
}

void cast_jitter_free(struct cast_jitter **j)
{
	if (!j)
		return;
	free(*j);
	*j = NULL;
}
