/* Media source authentication: auth packets, and the student's gate. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/frame.h"
#include "cast/mauth.h"
#include "cast/rtp.h"

#include "rtp_int.h"

#define CTX_LEN (sizeof(CAST_MAUTH_CONTEXT) - 1)
#define MSG_MAX (CTX_LEN + 6 + CAST_MAUTH_MAX_LEN)
/* An auth packet whose packets end this far behind the newest signed one
 * is a replay (after the 16-bit sequence numbers wrapped), not a repair. */
#define STALE_PACKETS 8192
#define EXT_MASK ((UINT64_C(1) << 48) - 1)

void cast_mauth_hash(const uint8_t *pkt, size_t len,
		     uint8_t out[CAST_MAUTH_HASH_LEN])
{
	crypto_generichash(out, CAST_MAUTH_HASH_LEN, pkt, len, NULL, 0);
}

static size_t signed_msg(uint8_t *m, uint32_t ssrc, uint16_t channel,
			 const uint8_t *part, size_t len)
{
	memcpy(m, CAST_MAUTH_CONTEXT, CTX_LEN);
	cast__wr32(m + CTX_LEN, ssrc);
	cast__wr16(m + CTX_LEN + 4, channel);
	memcpy(m + CTX_LEN + 6, part, len);
	return CTX_LEN + 6 + len;
}

int cast_mauth_write(uint8_t *buf, size_t size, uint32_t ssrc,
		     uint16_t channel, uint64_t first, uint16_t self,
		     const uint8_t *hashes, int count, const uint8_t sk[64])
{
	uint8_t m[MSG_MAX];
	size_t body, n;

	if (!buf || !hashes || !sk || count < 1 ||
	    count > CAST_MAUTH_MAX_HASHES || first > EXT_MASK)
		return CAST_ERROR(EINVAL);
	body = CAST_MAUTH_HDR_LEN + (size_t)count * CAST_MAUTH_HASH_LEN;
	if (size < body + CAST_MAUTH_SIG_LEN)
		return CAST_ERROR(ENOSPC);
	buf[0] = CAST_MAUTH_VERSION;
	buf[1] = (uint8_t)count;
	cast__wr16(buf + 2, (uint16_t)(first >> 32));
	cast__wr32(buf + 4, (uint32_t)first);
	cast__wr16(buf + 8, self);
	buf[10] = buf[11] = 0;
	memcpy(buf + CAST_MAUTH_HDR_LEN, hashes,
	       (size_t)count * CAST_MAUTH_HASH_LEN);
	n = signed_msg(m, ssrc, channel, buf, body);
	crypto_sign_detached(buf + body, NULL, m, n, sk);
	return (int)(body + CAST_MAUTH_SIG_LEN);
}

int cast_mauth_parse(const uint8_t *p, size_t len, struct cast_mauth *a)
{
	int count;

	if (!p || !a || len < CAST_MAUTH_HDR_LEN + CAST_MAUTH_SIG_LEN ||
	    p[0] != CAST_MAUTH_VERSION || p[10] || p[11])
		return CAST_EMALFORMED;
	count = p[1];
	if (count < 1 || count > CAST_MAUTH_MAX_HASHES ||
	    len != CAST_MAUTH_HDR_LEN + (size_t)count * CAST_MAUTH_HASH_LEN +
			   CAST_MAUTH_SIG_LEN)
		return CAST_EMALFORMED;
	a->first = (uint64_t)cast__rd16(p + 2) << 32 | cast__rd32(p + 4);
	a->count = count;
	a->self = cast__rd16(p + 8);
	a->hashes = p + CAST_MAUTH_HDR_LEN;
	a->signed_part = p;
	a->signed_len = len - CAST_MAUTH_SIG_LEN;
	a->sig = p + a->signed_len;
	return 0;
}

int cast_mauth_verify(const struct cast_mauth *a, uint32_t ssrc,
		      uint16_t channel, const uint8_t pk[32])
{
	uint8_t m[MSG_MAX];
	size_t n;

	if (!a || !pk || a->signed_len > CAST_MAUTH_MAX_LEN)
		return CAST_ERROR(EACCES);
	n = signed_msg(m, ssrc, channel, a->signed_part, a->signed_len);
	return crypto_sign_verify_detached(a->sig, m, n, pk)
		       ? CAST_ERROR(EACCES)
		       : 0;
}

/* A packet waiting for its signature. */
struct cand {
	bool used;
	bool marker;
	uint16_t seq;
	uint32_t ssrc;
	int64_t arrival_us;
	uint8_t hash[CAST_MAUTH_HASH_LEN];
	size_t len;
	uint8_t *data;			/* CAST_RTP_MAX_PKT, kept */
};

/* What a valid signature said of one sequence number. */
struct signed_seq {
	bool used;
	bool done;			/* its packet was released */
	uint16_t seq;
	uint32_t ssrc;
	uint8_t hash[CAST_MAUTH_HASH_LEN];
};

struct cast_mauth_gate {
	struct cast_mauth_gate_cfg cfg;
	bool have_key;
	uint8_t pk[32];
	bool have_ssrc;
	uint32_t ssrc;			/* of the last valid signature */
	bool have_top;
	uint64_t top;			/* one past the newest signed packet */
	struct cand *cand;		/* ring * candidates */
	struct signed_seq *sig;		/* ring */
	struct cast_mauth_gate_stats st;
};

void cast_mauth_gate_cfg_init(struct cast_mauth_gate_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ring = 1024;
	cfg->candidates = 4;
	cfg->hold_us = 1000000;
}

int cast_mauth_gate_new(struct cast_mauth_gate **out,
			const struct cast_mauth_gate_cfg *cfg)
{
	struct cast_mauth_gate *g;

	if (!out || !cfg || cfg->ring < 64 || cfg->ring > 8192 ||
	    (cfg->ring & (cfg->ring - 1)) || cfg->candidates < 1 ||
	    cfg->candidates > 8 || cfg->hold_us <= 0)
		return CAST_ERROR(EINVAL);
	g = calloc(1, sizeof(*g));
	if (!g)
		return CAST_ERROR(ENOMEM);
	g->cfg = *cfg;
	g->cand = calloc((size_t)cfg->ring * (size_t)cfg->candidates,
			 sizeof(*g->cand));
	g->sig = calloc((size_t)cfg->ring, sizeof(*g->sig));
	if (!g->cand || !g->sig) {
		cast_mauth_gate_free(&g);
		return CAST_ERROR(ENOMEM);
	}
	cast_hist_reset(&g->st.wait_us);
	*out = g;
	return 0;
}

void cast_mauth_gate_free(struct cast_mauth_gate **pg)
{
	struct cast_mauth_gate *g = pg ? *pg : NULL;

	if (!g)
		return;
	if (g->cand)
		for (int i = 0; i < g->cfg.ring * g->cfg.candidates; i++)
			free(g->cand[i].data);
	free(g->cand);
	free(g->sig);
	sodium_memzero(g->pk, sizeof(g->pk));
	free(g);
	*pg = NULL;
}

static struct cand *cands_of(struct cast_mauth_gate *g, uint16_t seq)
{
	return &g->cand[(size_t)(seq & (g->cfg.ring - 1)) *
			(size_t)g->cfg.candidates];
}

static void drop(struct cast_mauth_gate *g, struct cand *c)
{
	g->st.packets_bad++;
	g->st.frames_bad += c->marker;
	g->st.held--;
	c->used = false;
}

/* Forgets the stream: everything held is dropped, nothing is signed. */
static void forget(struct cast_mauth_gate *g)
{
	for (int i = 0; i < g->cfg.ring * g->cfg.candidates; i++)
		if (g->cand[i].used)
			drop(g, &g->cand[i]);
	memset(g->sig, 0, (size_t)g->cfg.ring * sizeof(*g->sig));
	g->have_ssrc = false;
	g->have_top = false;
}

void cast_mauth_gate_set_key(struct cast_mauth_gate *g, const uint8_t pk[32])
{
	forget(g);
	g->have_key = pk != NULL;
	if (pk)
		memcpy(g->pk, pk, 32);
}

void cast_mauth_gate_set_hold(struct cast_mauth_gate *g, int64_t hold_us)
{
	if (hold_us > 0)
		g->cfg.hold_us = hold_us;
}

static void release(struct cast_mauth_gate *g, const uint8_t *pkt, size_t len,
		    int64_t arrival_us, int64_t now_us)
{
	g->st.packets_ok++;
	cast_hist_add(&g->st.wait_us, now_us - arrival_us);
	if (g->cfg.cb)
		g->cfg.cb(pkt, len, arrival_us, g->cfg.arg);
}

/* A valid signature says sequence number `seq` hashes to `hash`: release
 * the candidate that does, drop the others. Returns 1 if one was released. */
static int settle(struct cast_mauth_gate *g, struct signed_seq *e,
		  int64_t now_us)
{
	struct cand *c = cands_of(g, e->seq);
	int released = 0;

	for (int i = 0; i < g->cfg.candidates; i++) {
		if (!c[i].used || c[i].seq != e->seq)
			continue;
		if (!e->done && c[i].ssrc == e->ssrc &&
		    !memcmp(c[i].hash, e->hash, CAST_MAUTH_HASH_LEN)) {
			e->done = true;
			c[i].used = false;
			g->st.held--;
			release(g, c[i].data, c[i].len, c[i].arrival_us,
				now_us);
			released = 1;
		} else {
			drop(g, &c[i]);
		}
	}
	return released;
}

static int push_auth(struct cast_mauth_gate *g, const struct cast_rtp_hdr *h,
		     const uint8_t *pkt, size_t len, int64_t now_us)
{
	struct cast_mauth a;
	uint64_t end;
	int64_t t0;
	int released = 0, bad;

	if (!g->have_key) {
		g->st.no_key++;
		return CAST_ERROR(EACCES);
	}
	if (cast_mauth_parse(h->payload, h->payload_len, &a) ||
	    (uint16_t)(a.first + a.self) != h->seq ||
	    a.self < a.count || a.self >= STALE_PACKETS) {
		g->st.auth_bad++;
		return CAST_ERROR(EACCES);
	}
	t0 = cast_mono_us();
	bad = cast_mauth_verify(&a, h->ssrc, h->channel, g->pk);
	g->st.cost_us += (uint64_t)(cast_mono_us() - t0);
	if (bad) {
		g->st.auth_bad++;
		return CAST_ERROR(EACCES);
	}
	end = a.first + (uint64_t)a.count;
	/* Signed by the teacher, in another stream: it restarted. */
	if (g->have_ssrc && h->ssrc != g->ssrc)
		forget(g);
	if (g->have_top && end + STALE_PACKETS < g->top) {
		g->st.auth_stale++;
		return CAST_ERROR(EACCES);
	}
	g->have_ssrc = true;
	g->ssrc = h->ssrc;
	if (!g->have_top || end > g->top) {
		g->top = end;
		g->have_top = true;
	}
	g->st.auth_ok++;
	for (int i = 0; i < a.count; i++) {
		uint16_t seq = (uint16_t)(a.first + (uint64_t)i);
		struct signed_seq *e = &g->sig[seq & (g->cfg.ring - 1)];
		const uint8_t *hash = a.hashes + i * CAST_MAUTH_HASH_LEN;

		if (e->used && e->seq == seq && e->ssrc == h->ssrc &&
		    !memcmp(e->hash, hash, CAST_MAUTH_HASH_LEN))
			continue; /* the same auth packet again */
		e->used = true;
		e->done = false;
		e->seq = seq;
		e->ssrc = h->ssrc;
		memcpy(e->hash, hash, CAST_MAUTH_HASH_LEN);
		released |= settle(g, e, now_us);
	}
	/* The auth packet itself takes its place in the sequence space. */
	if (g->cfg.cb)
		g->cfg.cb(pkt, len, now_us, g->cfg.arg);
	return 1 | released;
}

/* Keeps a packet no signature covers yet; the oldest candidate makes room. */
static int hold(struct cast_mauth_gate *g, const struct cast_rtp_hdr *h,
		const uint8_t *pkt, size_t len,
		const uint8_t hash[CAST_MAUTH_HASH_LEN], int64_t now_us)
{
	struct cand *c = cands_of(g, h->seq), *slot = NULL;

	for (int i = 0; i < g->cfg.candidates; i++) {
		if (c[i].used && c[i].seq == h->seq && c[i].ssrc == h->ssrc &&
		    !memcmp(c[i].hash, hash, CAST_MAUTH_HASH_LEN)) {
			g->st.duplicates++;
			return 0;
		}
		/* A candidate of a sequence number a ring ago is lost. */
		if (c[i].used && c[i].seq != h->seq)
			drop(g, &c[i]);
	}
	for (int i = 0; i < g->cfg.candidates; i++)
		if (!slot || (slot->used && (!c[i].used ||
					     c[i].arrival_us < slot->arrival_us)))
			slot = &c[i];
	if (slot->used)
		drop(g, slot);
	if (!slot->data) {
		slot->data = malloc(CAST_RTP_MAX_PKT);
		if (!slot->data)
			return CAST_ERROR(ENOMEM);
	}
	memcpy(slot->data, pkt, len);
	slot->len = len;
	slot->used = true;
	slot->seq = h->seq;
	slot->ssrc = h->ssrc;
	slot->marker = h->marker;
	slot->arrival_us = now_us;
	memcpy(slot->hash, hash, CAST_MAUTH_HASH_LEN);
	g->st.held++;
	return 0;
}

int cast_mauth_gate_push(struct cast_mauth_gate *g, const uint8_t *pkt,
			 size_t len, int64_t now_us)
{
	struct cast_rtp_hdr h;
	struct signed_seq *e;
	uint8_t hash[CAST_MAUTH_HASH_LEN];
	int64_t t0;

	if (!g || !pkt || len > CAST_RTP_MAX_PKT || cast_rtp_parse(pkt, len, &h))
		return CAST_EMALFORMED;
	if (h.pt == CAST_RTP_PT_AUTH)
		return push_auth(g, &h, pkt, len, now_us);
	/* Once the teacher's stream is known, no other is worth holding. */
	if (g->have_ssrc && h.ssrc != g->ssrc) {
		g->st.packets_bad++;
		g->st.frames_bad += h.marker;
		return CAST_ERROR(EACCES);
	}
	t0 = cast_mono_us();
	cast_mauth_hash(pkt, len, hash);
	g->st.cost_us += (uint64_t)(cast_mono_us() - t0);
	e = &g->sig[h.seq & (g->cfg.ring - 1)];
	if (e->used && e->seq == h.seq && e->ssrc == h.ssrc) {
		if (memcmp(e->hash, hash, CAST_MAUTH_HASH_LEN)) {
			g->st.packets_bad++;
			g->st.frames_bad += h.marker;
			return CAST_ERROR(EACCES);
		}
		if (e->done) {
			g->st.duplicates++;
			return 0;
		}
		/* A repair (or a reordered packet) after its signature. */
		e->done = true;
		release(g, pkt, len, now_us, now_us);
		return 1;
	}
	return hold(g, &h, pkt, len, hash, now_us);
}

void cast_mauth_gate_poll(struct cast_mauth_gate *g, int64_t now_us)
{
	if (!g || !g->st.held)
		return;
	for (int i = 0; i < g->cfg.ring * g->cfg.candidates; i++)
		if (g->cand[i].used &&
		    now_us - g->cand[i].arrival_us > g->cfg.hold_us)
			drop(g, &g->cand[i]);
}

bool cast_mauth_gate_holds(const struct cast_mauth_gate *g, uint16_t seq)
{
	const struct cand *c =
		&g->cand[(size_t)(seq & (g->cfg.ring - 1)) *
			 (size_t)g->cfg.candidates];

	for (int i = 0; i < g->cfg.candidates; i++)
		if (c[i].used && c[i].seq == seq)
			return true;
	return false;
}

void cast_mauth_gate_stats(const struct cast_mauth_gate *g,
			   struct cast_mauth_gate_stats *st)
{
	*st = g->st;
}
