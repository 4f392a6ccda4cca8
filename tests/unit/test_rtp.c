/* Unit tests of RTP parsing, H.264 packetizer/depacketizer, RTCP SR and SDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/rtp.h"

#define MAX_PKTS 8192
#define MAX_AUS 512

/* ---- helpers ----------------------------------------------------------- */

static uint32_t rng_state = 0x12345678;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Packets captured from a packetizer. */
struct pkts {
	int n;
	uint8_t *p[MAX_PKTS];
	size_t len[MAX_PKTS];
};

static void pkts_cb(const uint8_t *pkt, size_t len, void *arg)
{
	struct pkts *l = arg;

	assert_true(l->n < MAX_PKTS);
	l->p[l->n] = malloc(len);
	assert_non_null(l->p[l->n]);
	memcpy(l->p[l->n], pkt, len);
	l->len[l->n] = len;
	l->n++;
}

static struct pkts *pkts_new(void)
{
	struct pkts *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	return l;
}

static void pkts_free(struct pkts *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->p[i]);
	free(l);
}

/* Access units delivered by a depacketizer. */
struct got {
	uint8_t *data;
	size_t size;
	uint32_t ts;
	bool damaged;
	bool keyframe;
};

struct sink {
	int n;
	struct got au[MAX_AUS];
};

static void sink_cb(const struct cast_h264_au *au, void *arg)
{
	struct sink *s = arg;
	struct got *g;

	assert_true(s->n < MAX_AUS);
	g = &s->au[s->n++];
	g->data = malloc(au->size);
	assert_non_null(g->data);
	memcpy(g->data, au->data, au->size);
	g->size = au->size;
	g->ts = au->ts;
	g->damaged = au->damaged;
	g->keyframe = au->keyframe;
}

static struct sink *sink_new(void)
{
	struct sink *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void sink_free(struct sink *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->au[i].data);
	free(s);
}

/* An Annex B access unit, and the same with 4-byte start codes only. */
struct au {
	uint8_t *data;
	size_t len;
	uint8_t *norm;
	size_t norm_len;
};

/*
 * Builds an AU from NAL sizes and types; payload bytes are never zero so no
 * start code emulation happens. sc3 selects 3-byte start codes.
 */
static void au_build(struct au *a, const size_t *sizes, const uint8_t *types,
		     int count, bool sc3)
{
	size_t total = 0;
	int i;

	for (i = 0; i < count; i++)
		total += 4 + sizes[i];
	a->data = malloc(total);
	a->norm = malloc(total);
	assert_non_null(a->data);
	assert_non_null(a->norm);
	a->len = 0;
	a->norm_len = 0;
	for (i = 0; i < count; i++) {
		size_t j, sc = sc3 && i > 0 ? 3 : 4;
		uint8_t *nal;

		memcpy(a->data + a->len, &"\0\0\0\1"[4 - sc], sc);
		a->len += sc;
		memcpy(a->norm + a->norm_len, "\0\0\0\1", 4);
		a->norm_len += 4;
		nal = a->data + a->len;
		nal[0] = (uint8_t)(0x60 | types[i]);
		for (j = 1; j < sizes[i]; j++)
			nal[j] = (uint8_t)(1 + rnd() % 255);
		memcpy(a->norm + a->norm_len, nal, sizes[i]);
		a->len += sizes[i];
		a->norm_len += sizes[i];
	}
}

static void au_one(struct au *a, size_t size, uint8_t type)
{
	au_build(a, &size, &type, 1, false);
}

static void au_free(struct au *a)
{
	free(a->data);
	free(a->norm);
}

static struct cast_h264_packetizer *packer(size_t mtu, uint16_t seq)
{
	struct cast_h264_packetizer_cfg cfg;
	struct cast_h264_packetizer *p;

	cast_h264_packetizer_cfg_init(&cfg);
	cfg.mtu = mtu;
	cfg.first_seq = seq;
	cfg.ssrc = 0x11223344;
	assert_int_equal(cast_h264_packetizer_new(&p, &cfg), 0);
	return p;
}

static struct cast_h264_depacketizer *depacker(struct sink *s, int window,
					       size_t max_au)
{
	struct cast_h264_depacketizer_cfg cfg;
	struct cast_h264_depacketizer *d;

	cast_h264_depacketizer_cfg_init(&cfg);
	if (window)
		cfg.reorder_window = window;
	if (max_au)
		cfg.max_au = max_au;
	assert_int_equal(cast_h264_depacketizer_new(&d, &cfg, sink_cb, s), 0);
	return d;
}

static struct cast_rtp_rx_stats stats(struct cast_h264_depacketizer *d)
{
	struct cast_rtp_rx_stats st;

	cast_h264_depacketizer_stats(d, &st);
	return st;
}

static void assert_au(const struct got *g, const struct au *a, uint32_t ts)
{
	assert_int_equal(g->size, a->norm_len);
	assert_memory_equal(g->data, a->norm, a->norm_len);
	assert_int_equal(g->ts, ts);
	assert_false(g->damaged);
}

static int push(struct cast_h264_depacketizer *d, const struct pkts *l,
		int i, int64_t now)
{
	return cast_h264_depacketizer_push(d, l->p[i], l->len[i], now);
}

static void push_all(struct cast_h264_depacketizer *d, const struct pkts *l,
		     int64_t now)
{
	int i;

	for (i = 0; i < l->n; i++)
		assert_int_equal(push(d, l, i, now), 0);
}

static void quiet(enum cast_log_level level, const char *obj, const char *msg,
		  void *arg)
{
	(void)level;
	(void)obj;
	(void)msg;
	(void)arg;
}

/* Writes a bare RTP header; returns its length. */
static size_t rtp_hdr(uint8_t *b, bool marker, uint16_t seq, uint32_t ts,
		      uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = (uint8_t)((marker ? 0x80 : 0) | CAST_RTP_PT_H264);
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	return CAST_RTP_HDR_LEN;
}

static unsigned nal_type_of(const uint8_t *pkt)
{
	return pkt[CAST_RTP_HDR_LEN] & 0x1f;
}

static bool marker_of(const uint8_t *pkt)
{
	return pkt[1] & 0x80;
}

static uint16_t seq_of(const uint8_t *pkt)
{
	return (uint16_t)(pkt[2] << 8 | pkt[3]);
}

/* ---- RTP header -------------------------------------------------------- */

static void test_rtp_parse(void **state)
{
	uint8_t b[64] = {0};
	struct cast_rtp_hdr h;
	size_t n;

	(void)state;
	n = rtp_hdr(b, true, 0xabcd, 0x01020304, 0xdeadbeef);
	b[n] = 0x65;
	assert_int_equal(cast_rtp_parse(b, n + 1, &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.pt, 96);
	assert_int_equal(h.seq, 0xabcd);
	assert_int_equal(h.ts, 0x01020304);
	assert_int_equal(h.ssrc, 0xdeadbeef);
	assert_ptr_equal(h.payload, b + 12);
	assert_int_equal(h.payload_len, 1);

	/* 2 CSRCs, a 1-word extension, 3 bytes of padding. */
	memset(b, 0, sizeof(b));
	rtp_hdr(b, false, 1, 2, 3);
	b[0] = 0x80 | 0x20 | 0x10 | 2;
	b[20] = 0xbe;
	b[21] = 0xde;
	b[23] = 1;		/* extension length in words */
	b[28] = 0x41;		/* payload */
	b[29] = 0x42;
	b[32] = 3;		/* padding count */
	assert_int_equal(cast_rtp_parse(b, 33, &h), 0);
	assert_ptr_equal(h.payload, b + 28);
	assert_int_equal(h.payload_len, 2);
	assert_false(h.marker);

	/* Malformed variants. */
	assert_int_equal(cast_rtp_parse(b, 11, &h), CAST_EMALFORMED);
	assert_int_equal(cast_rtp_parse(b, 27, &h), CAST_EMALFORMED);
	b[32] = 0;
	assert_int_equal(cast_rtp_parse(b, 33, &h), CAST_EMALFORMED);
	b[32] = 6;
	assert_int_equal(cast_rtp_parse(b, 33, &h), CAST_EMALFORMED);
	b[32] = 3;
	b[23] = 200;
	assert_int_equal(cast_rtp_parse(b, 33, &h), CAST_EMALFORMED);
	b[23] = 1;
	b[0] = 0x40 | 0x30 | 2;	/* version 1 */
	assert_int_equal(cast_rtp_parse(b, 33, &h), CAST_EMALFORMED);
	b[0] = 0x8f;		/* 15 CSRCs: 72 bytes */
	assert_int_equal(cast_rtp_parse(b, 33, &h), CAST_EMALFORMED);
	rtp_hdr(b, false, 1, 2, 3);
	b[1] = 200;		/* RTCP SR */
	assert_int_equal(cast_rtp_parse(b, 33, &h), CAST_EMALFORMED);
	assert_int_equal(cast_rtp_parse(NULL, 33, &h), CAST_EMALFORMED);
}

/* ---- packetizer -------------------------------------------------------- */

static void test_pack_single(void **state)
{
	struct cast_h264_packetizer *p = packer(1200, 100);
	struct pkts *l = pkts_new();
	struct cast_rtp_hdr h;
	uint32_t np, no;
	struct au a;

	(void)state;
	au_one(&a, 500, 1);
	assert_int_equal(
		cast_h264_packetize(p, a.data, a.len, 9000, pkts_cb, l), 1);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->len[0], 12 + 500);
	assert_int_equal(cast_rtp_parse(l->p[0], l->len[0], &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.seq, 100);
	assert_int_equal(h.ts, 9000);
	assert_int_equal(h.ssrc, 0x11223344);
	assert_int_equal(h.pt, 96);
	assert_memory_equal(h.payload, a.data + 4, 500);
	assert_int_equal(cast_h264_packetizer_seq(p), 101);
	assert_int_equal(cast_h264_packetizer_ssrc(p), 0x11223344);
	cast_h264_packetizer_counts(p, &np, &no);
	assert_int_equal(np, 1);
	assert_int_equal(no, 500);

	/* No start code at all. */
	assert_int_equal(cast_h264_packetize(p, a.data + 4, 100, 0, pkts_cb, l),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_h264_packetize(p, (const uint8_t *)"\0\0\1", 3,
					     0, pkts_cb, l),
			 CAST_ERROR(EINVAL));
	au_free(&a);
	pkts_free(l);
	cast_h264_packetizer_free(&p);
	assert_null(p);
}

static void test_pack_cfg(void **state)
{
	struct cast_h264_packetizer_cfg cfg, cfg2;
	struct cast_h264_packetizer *p = NULL;

	(void)state;
	cast_h264_packetizer_cfg_init(&cfg);
	cast_h264_packetizer_cfg_init(&cfg2);
	assert_int_equal(cfg.pt, 96);
	assert_int_equal(cfg.mtu, CAST_RTP_MTU_DEFAULT);
	assert_true(cfg.use_stap);
	/* Random SSRC and sequence: two draws almost never agree on both. */
	assert_true(cfg.ssrc != cfg2.ssrc || cfg.first_seq != cfg2.first_seq);
	cfg.mtu = 20;
	assert_int_equal(cast_h264_packetizer_new(&p, &cfg),
			 CAST_ERROR(EINVAL));
	assert_null(p);
	assert_int_equal(cast_h264_packetizer_new(&p, NULL), 0);
	cast_h264_packetizer_free(&p);
	cast_h264_packetizer_free(&p);
}

static void test_pack_stap(void **state)
{
	static const size_t sizes[] = {12, 4, 30, 3000};
	static const uint8_t types[] = {7, 8, 6, 5};
	struct cast_h264_packetizer *p = packer(1200, 7);
	struct pkts *l = pkts_new();
	const uint8_t *pl;
	struct au a;
	int i, n;

	(void)state;
	au_build(&a, sizes, types, 4, true);
	n = cast_h264_packetize(p, a.data, a.len, 1, pkts_cb, l);
	assert_int_equal(n, 1 + 3);
	assert_int_equal(l->n, n);
	pl = l->p[0] + 12;
	assert_int_equal(pl[0] & 0x1f, 24);
	assert_int_equal(pl[0] & 0x60, 0x60);
	assert_int_equal(l->len[0], 12 + 1 + 2 + 12 + 2 + 4 + 2 + 30);
	assert_int_equal(pl[1] << 8 | pl[2], 12);
	assert_int_equal(pl[3], 0x67);
	for (i = 1; i < l->n; i++) {
		assert_int_equal(nal_type_of(l->p[i]), 28);
		assert_true(l->len[i] <= 1200);
		assert_int_equal(marker_of(l->p[i]), i == l->n - 1);
	}
	assert_false(marker_of(l->p[0]));
	au_free(&a);
	pkts_free(l);
	cast_h264_packetizer_free(&p);

	/* Without STAP-A every small NAL is its own packet. */
	{
		struct cast_h264_packetizer_cfg cfg;

		cast_h264_packetizer_cfg_init(&cfg);
		cfg.use_stap = false;
		assert_int_equal(cast_h264_packetizer_new(&p, &cfg), 0);
		l = pkts_new();
		au_build(&a, sizes, types, 3, false);
		assert_int_equal(
			cast_h264_packetize(p, a.data, a.len, 1, pkts_cb, l),
			3);
		assert_int_equal(nal_type_of(l->p[0]), 7);
		assert_int_equal(nal_type_of(l->p[1]), 8);
		assert_int_equal(nal_type_of(l->p[2]), 6);
		au_free(&a);
		pkts_free(l);
		cast_h264_packetizer_free(&p);
	}
}

static void test_pack_mtu_edges(void **state)
{
	struct cast_h264_packetizer *p = packer(1200, 65535);
	struct pkts *l = pkts_new();
	struct au a;
	const uint8_t *f;

	(void)state;
	/* Exactly at the limit: one single-NAL packet of MTU bytes. */
	au_one(&a, 1188, 5);
	assert_int_equal(cast_h264_packetize(p, a.data, a.len, 0, pkts_cb, l),
			 1);
	assert_int_equal(l->len[0], 1200);
	assert_int_equal(nal_type_of(l->p[0]), 5);
	au_free(&a);

	/* One byte more: FU-A in two fragments. */
	au_one(&a, 1189, 5);
	assert_int_equal(cast_h264_packetize(p, a.data, a.len, 0, pkts_cb, l),
			 2);
	assert_int_equal(seq_of(l->p[1]), 0);
	f = l->p[1] + 12;
	assert_int_equal(f[0], 0x60 | 28);
	assert_int_equal(f[1], 0x80 | 5);
	f = l->p[2] + 12;
	assert_int_equal(f[1], 0x40 | 5);
	assert_int_equal(l->len[1] - 14 + l->len[2] - 14, 1188);
	assert_false(marker_of(l->p[1]));
	assert_true(marker_of(l->p[2]));
	au_free(&a);
	pkts_free(l);
	cast_h264_packetizer_free(&p);
}

static void test_pack_fu_many(void **state)
{
	struct cast_h264_packetizer *p = packer(1200, 0);
	struct pkts *l = pkts_new();
	size_t total = 0;
	uint32_t np, no;
	struct au a;
	int i, n;

	(void)state;
	au_one(&a, 200000, 1);
	n = cast_h264_packetize(p, a.data, a.len, 42, pkts_cb, l);
	assert_int_equal(n, l->n);
	assert_true(n >= 200000 / 1186);
	for (i = 0; i < n; i++) {
		const uint8_t *f = l->p[i] + 12;

		assert_true(l->len[i] <= 1200);
		assert_int_equal(seq_of(l->p[i]), i);
		assert_int_equal(f[0] & 0x1f, 28);
		assert_int_equal(!!(f[1] & 0x80), i == 0);
		assert_int_equal(!!(f[1] & 0x40), i == n - 1);
		assert_int_equal(marker_of(l->p[i]), i == n - 1);
		total += l->len[i] - 14;
	}
	assert_int_equal(total, 199999);
	cast_h264_packetizer_counts(p, &np, &no);
	assert_int_equal(np, n);
	assert_int_equal(no, total + 2 * (size_t)n);
	au_free(&a);
	pkts_free(l);
	cast_h264_packetizer_free(&p);
}

/* ---- round trips ------------------------------------------------------- */

/* Packetizes AUs (ts 3000 apart), pushes in order, checks what comes out. */
static void round_trip(const size_t *sizes, const uint8_t *types, int count,
		       size_t mtu, int aus, uint16_t first_seq)
{
	struct cast_h264_packetizer *p = packer(mtu, first_seq);
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_rtp_rx_stats st;
	struct au a[8];
	int i, total = 0;

	assert_true(aus <= 8);
	for (i = 0; i < aus; i++) {
		struct pkts *l = pkts_new();

		au_build(&a[i], sizes, types, count, i & 1);
		assert_true(cast_h264_packetize(p, a[i].data, a[i].len,
						(uint32_t)i * 3000, pkts_cb,
						l) > 0);
		push_all(d, l, i * 1000);
		total += l->n;
		pkts_free(l);
	}
	assert_int_equal(s->n, aus);
	for (i = 0; i < aus; i++) {
		assert_au(&s->au[i], &a[i], (uint32_t)i * 3000);
		au_free(&a[i]);
	}
	st = stats(d);
	assert_int_equal(st.packets, total);
	assert_int_equal(st.aus, aus);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.reordered, 0);
	assert_int_equal(st.aus_damaged, 0);
	cast_h264_depacketizer_free(&d);
	assert_null(d);
	sink_free(s);
	cast_h264_packetizer_free(&p);
}

static void test_rt_tiny_stap(void **state)
{
	static const size_t sizes[] = {10, 4, 25, 2, 1};
	static const uint8_t types[] = {7, 8, 6, 1, 1};

	(void)state;
	round_trip(sizes, types, 5, 1200, 4, 500);
}

static void test_rt_exact_mtu(void **state)
{
	static const size_t sizes[] = {1188};
	static const uint8_t types[] = {5};

	(void)state;
	round_trip(sizes, types, 1, 1200, 3, 0);
}

static void test_rt_fu_two(void **state)
{
	static const size_t sizes[] = {1189};
	static const uint8_t types[] = {5};
	static const size_t sizes2[] = {2000};

	(void)state;
	round_trip(sizes, types, 1, 1200, 3, 0);
	round_trip(sizes2, types, 1, 1200, 3, 0);
}

static void test_rt_fu_many(void **state)
{
	static const size_t sizes[] = {300000};
	static const uint8_t types[] = {5};

	(void)state;
	round_trip(sizes, types, 1, 1200, 2, 1000);
	round_trip(sizes, types, 1, 100, 1, 1000);
}

static void test_rt_multi_nal(void **state)
{
	static const size_t sizes[] = {15, 5, 40, 9000, 600, 1188, 3, 1500};
	static const uint8_t types[] = {7, 8, 6, 5, 5, 5, 1, 5};

	(void)state;
	round_trip(sizes, types, 8, 1200, 5, 12345);
	round_trip(sizes, types, 8, 1500, 5, 12345);
}

static void test_rt_seq_wrap(void **state)
{
	static const size_t sizes[] = {10, 4, 2500};
	static const uint8_t types[] = {7, 8, 5};

	(void)state;
	/* 4 packets per AU: 8 AUs run from 65530 through 0 to 26. */
	round_trip(sizes, types, 3, 1200, 8, 65530);
}

static void test_keyframe_flag(void **state)
{
	static const size_t sizes[] = {10, 4, 100};
	static const uint8_t key[] = {7, 8, 5};
	static const uint8_t inter[] = {6, 1, 1};
	static const uint8_t big_idr[] = {5};
	static const size_t big[] = {5000};
	struct cast_h264_packetizer *p = packer(1200, 0);
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct pkts *l = pkts_new();
	struct au a, b, c;

	(void)state;
	au_build(&a, sizes, key, 3, false);
	au_build(&b, sizes, inter, 3, false);
	au_build(&c, big, big_idr, 1, false);
	cast_h264_packetize(p, a.data, a.len, 0, pkts_cb, l);
	cast_h264_packetize(p, b.data, b.len, 3000, pkts_cb, l);
	cast_h264_packetize(p, c.data, c.len, 6000, pkts_cb, l);
	push_all(d, l, 0);
	assert_int_equal(s->n, 3);
	assert_true(s->au[0].keyframe);
	assert_false(s->au[1].keyframe);
	assert_true(s->au[2].keyframe);
	assert_au(&s->au[2], &c, 6000);
	au_free(&a);
	au_free(&b);
	au_free(&c);
	pkts_free(l);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
	cast_h264_packetizer_free(&p);
}

/* Random AUs, random adjacent swaps within the window: all come out right. */
static void test_rt_random_reorder(void **state)
{
	struct cast_h264_packetizer *p = packer(1200, 65000);
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 16, 0);
	struct pkts *l = pkts_new();
	struct cast_rtp_rx_stats st;
	struct au a[40];
	int i, swaps = 0;

	(void)state;
	rng_state = 99;
	for (i = 0; i < 40; i++) {
		size_t sizes[6];
		uint8_t types[6];
		int j, k = 1 + (int)(rnd() % 6);

		for (j = 0; j < k; j++) {
			sizes[j] = 1 + rnd() % (rnd() % 4 ? 1500 : 6000);
			types[j] = (uint8_t)(1 + rnd() % 23);
		}
		au_build(&a[i], sizes, types, k, rnd() & 1);
		assert_true(cast_h264_packetize(p, a[i].data, a[i].len,
						(uint32_t)i * 3000, pkts_cb,
						l) > 0);
	}
	/* Not the first packet: it sets where the stream starts. */
	for (i = 1; i + 3 < l->n; i++) {
		if (rnd() % 3 == 0) {
			int j = i + 1 + (int)(rnd() % 3);
			uint8_t *tp = l->p[i];
			size_t tl = l->len[i];

			l->p[i] = l->p[j];
			l->len[i] = l->len[j];
			l->p[j] = tp;
			l->len[j] = tl;
			swaps++;
		}
	}
	assert_true(swaps > 10);
	push_all(d, l, 0);
	assert_int_equal(s->n, 40);
	for (i = 0; i < 40; i++) {
		assert_au(&s->au[i], &a[i], (uint32_t)i * 3000);
		au_free(&a[i]);
	}
	st = stats(d);
	assert_int_equal(st.lost, 0);
	assert_true(st.reordered > 0);
	assert_int_equal(st.packets, l->n);
	pkts_free(l);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
	cast_h264_packetizer_free(&p);
}

/* ---- loss, reorder, duplicates, late ----------------------------------- */

/* Packetizes three AUs: a [SPS PPS big IDR], b [big slice], c [small]. */
struct three {
	struct au a, b, c;
	struct pkts *l;
	int na, nb, nc;
};

static void three_make(struct three *t, uint16_t seq)
{
	static const size_t sa[] = {10, 4, 12000};
	static const uint8_t ta[] = {7, 8, 5};
	struct cast_h264_packetizer *p = packer(1200, seq);

	t->l = pkts_new();
	au_build(&t->a, sa, ta, 3, false);
	au_one(&t->b, 12000, 1);
	au_one(&t->c, 300, 1);
	t->na = cast_h264_packetize(p, t->a.data, t->a.len, 0, pkts_cb, t->l);
	t->nb = cast_h264_packetize(p, t->b.data, t->b.len, 3000, pkts_cb,
				    t->l);
	t->nc = cast_h264_packetize(p, t->c.data, t->c.len, 6000, pkts_cb,
				    t->l);
	assert_int_equal(t->na, 1 + 11);
	assert_int_equal(t->nb, 11);
	assert_int_equal(t->nc, 1);
	cast_h264_packetizer_free(&p);
}

static void three_free(struct three *t)
{
	au_free(&t->a);
	au_free(&t->b);
	au_free(&t->c);
	pkts_free(t->l);
}

static void test_loss_mid_fu(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_rtp_rx_stats st;
	struct three t;
	int i, drop;

	(void)state;
	three_make(&t, 65530);
	/* Drop a middle fragment of AU a's IDR, and one of AU b. */
	drop = 6;
	for (i = 0; i < t.na + t.nb + t.nc; i++) {
		if (i == drop || i == t.na + 5)
			continue;
		assert_int_equal(push(d, t.l, i, 1000), 0);
	}
	/* Nothing can pass the gap until reorder_ms (40) has gone by. */
	assert_int_equal(s->n, 0);
	cast_h264_depacketizer_poll(d, 1000 + 39999);
	assert_int_equal(s->n, 0);
	cast_h264_depacketizer_poll(d, 1000 + 40000);
	/* a keeps SPS and PPS, damaged; b has nothing left; c is intact. */
	assert_int_equal(s->n, 2);
	assert_true(s->au[0].damaged);
	assert_true(s->au[0].keyframe);
	assert_int_equal(s->au[0].size, 4 + 10 + 4 + 4);
	assert_memory_equal(s->au[0].data, t.a.norm, 22);
	assert_int_equal(s->au[0].ts, 0);
	assert_au(&s->au[1], &t.c, 6000);
	st = stats(d);
	assert_int_equal(st.lost, 2);
	assert_int_equal(st.aus, 2);
	assert_int_equal(st.aus_damaged, 1);
	assert_int_equal(st.aus_dropped, 1);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.late, 0);

	/* The dropped fragment shows up after all: late, not delivered. */
	assert_int_equal(push(d, t.l, drop, 50000), 0);
	st = stats(d);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(s->n, 2);
	/* Twice: now it is a duplicate. */
	assert_int_equal(push(d, t.l, drop, 50000), 0);
	st = stats(d);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.duplicates, 1);
	three_free(&t);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

/* A receiver that learned repairs take long waits longer for a gap. */
static void test_reorder_runtime(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct three t;
	int i;

	(void)state;
	three_make(&t, 100);
	cast_h264_depacketizer_set_reorder_ms(d, 200);
	cast_h264_depacketizer_set_reorder_ms(d, -5); /* ignored */
	for (i = 0; i < t.na + t.nb + t.nc; i++)
		if (i != 2)
			assert_int_equal(push(d, t.l, i, 1000), 0);
	cast_h264_depacketizer_poll(d, 1000 + 40000);
	assert_int_equal(s->n, 0);
	cast_h264_depacketizer_poll(d, 1000 + 199999);
	assert_int_equal(s->n, 0);
	/* The repair comes at 150 ms: nothing lost, everything in order. */
	assert_int_equal(push(d, t.l, 2, 151000), 0);
	assert_int_equal(s->n, 3);
	assert_false(s->au[0].damaged);
	assert_int_equal(stats(d).lost, 0);
	/* Shorter again: the next gap is given up after 10 ms. */
	cast_h264_depacketizer_set_reorder_ms(d, 10);
	i = t.na + t.nb + t.nc;
	three_free(&t);
	three_make(&t, (uint16_t)(100 + i));
	for (i = 0; i < t.na + t.nb + t.nc; i++)
		if (i != 1)
			assert_int_equal(push(d, t.l, i, 300000), 0);
	cast_h264_depacketizer_poll(d, 300000 + 9999);
	assert_int_equal(s->n, 3);
	cast_h264_depacketizer_poll(d, 300000 + 10000);
	assert_true(s->n > 3);
	assert_int_equal(stats(d).lost, 1);
	three_free(&t);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

/* A lost marker packet: the AU ends on the timestamp change instead. */
static void test_loss_marker(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct three t;
	int i;

	(void)state;
	three_make(&t, 0);
	for (i = 0; i < t.na + t.nb + t.nc; i++) {
		if (i == t.na + t.nb - 1)
			continue;
		push(d, t.l, i, 0);
	}
	cast_h264_depacketizer_poll(d, 100000);
	assert_int_equal(s->n, 2);
	assert_au(&s->au[0], &t.a, 0);
	assert_au(&s->au[1], &t.c, 6000);
	assert_int_equal(stats(d).aus_dropped, 1);
	three_free(&t);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

static void test_reorder_in_window(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_rtp_rx_stats st;
	struct three t;
	int i, n;

	(void)state;
	three_make(&t, 100);
	n = t.na + t.nb + t.nc;
	/* The first packet sets the start; then the rest fully reversed. */
	assert_int_equal(push(d, t.l, 0, 0), 0);
	for (i = n - 1; i > 0; i--)
		assert_int_equal(push(d, t.l, i, 0), 0);
	assert_int_equal(s->n, 3);
	assert_au(&s->au[0], &t.a, 0);
	assert_au(&s->au[1], &t.b, 3000);
	assert_au(&s->au[2], &t.c, 6000);
	st = stats(d);
	assert_int_equal(st.reordered, n - 2);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.late, 0);
	three_free(&t);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

static void test_duplicates(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_rtp_rx_stats st;
	struct three t;
	int i, n, pushes = 0;

	(void)state;
	three_make(&t, 65500);
	n = t.na + t.nb + t.nc;
	for (i = 0; i < n; i++) {
		/* Duplicates while held behind a gap, and after delivery. */
		if (i % 2 && i + 1 < n) {
			assert_int_equal(push(d, t.l, i + 1, 0), 0);
			assert_int_equal(push(d, t.l, i + 1, 0), 0);
			pushes += 2;
		}
		assert_int_equal(push(d, t.l, i, 0), 0);
		assert_int_equal(push(d, t.l, i, 0), 0);
		pushes += 2;
	}
	assert_int_equal(s->n, 3);
	assert_au(&s->au[0], &t.a, 0);
	assert_au(&s->au[1], &t.b, 3000);
	assert_au(&s->au[2], &t.c, 6000);
	st = stats(d);
	assert_int_equal(st.packets, n);
	assert_int_equal(st.duplicates, pushes - n);
	assert_true(st.reordered > 0);
	assert_int_equal(st.lost, 0);
	assert_int_equal(st.aus, 3);
	three_free(&t);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

/* Gaps held in the reorder window are listed for NACKs, oldest first. */
static void test_missing(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	uint16_t seqs[8];
	struct three t;
	int i;

	(void)state;
	three_make(&t, 65533);
	assert_int_equal(cast_h264_depacketizer_missing(d, seqs, 8), 0);
	for (i = 0; i < 8; i++)
		if (i != 3 && i != 4 && i != 6)
			push(d, t.l, i, 0);
	assert_int_equal(cast_h264_depacketizer_missing(d, seqs, 8), 3);
	assert_int_equal(seqs[0], 0);
	assert_int_equal(seqs[1], 1);
	assert_int_equal(seqs[2], 3);
	assert_int_equal(cast_h264_depacketizer_missing(d, seqs, 2), 2);
	push(d, t.l, 3, 0);
	push(d, t.l, 4, 0);
	assert_int_equal(cast_h264_depacketizer_missing(d, seqs, 8), 1);
	assert_int_equal(seqs[0], 3);
	push(d, t.l, 6, 0);
	assert_int_equal(cast_h264_depacketizer_missing(d, seqs, 8), 0);
	assert_int_equal(stats(d).lost, 0);
	three_free(&t);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

/* A full window forces the gap out without waiting for time. */
static void test_window_overflow(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 8, 0);
	struct cast_rtp_rx_stats st;
	struct three t;
	int i;

	(void)state;
	three_make(&t, 0);
	for (i = 0; i < t.na + t.nb + t.nc; i++)
		if (i != 3)
			push(d, t.l, i, 0);
	/* No poll and no time passing: the window ran full instead. */
	assert_int_equal(s->n, 3);
	assert_true(s->au[0].damaged);
	assert_au(&s->au[1], &t.b, 3000);
	st = stats(d);
	assert_int_equal(st.lost, 1);
	assert_int_equal(st.aus, 3);
	assert_au(&s->au[2], &t.c, 6000);
	three_free(&t);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

/* ---- stream changes ---------------------------------------------------- */

static void test_ssrc_change(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_h264_packetizer *p1 = packer(1200, 1000);
	struct cast_h264_packetizer_cfg cfg;
	struct cast_h264_packetizer *p2;
	struct pkts *l1 = pkts_new(), *l2 = pkts_new(), *l3 = pkts_new();
	struct au a, b, c;

	(void)state;
	cast_h264_packetizer_cfg_init(&cfg);
	cfg.ssrc = 0x55667788;
	cfg.first_seq = 40000;
	assert_int_equal(cast_h264_packetizer_new(&p2, &cfg), 0);
	au_one(&a, 3000, 5);
	au_one(&b, 3000, 5);
	au_one(&c, 100, 1);
	cast_h264_packetize(p1, a.data, a.len, 1000, pkts_cb, l1);
	cast_h264_packetize(p2, b.data, b.len, 7777, pkts_cb, l2);
	push_all(d, l1, 0);
	assert_int_equal(s->n, 1);

	/* A second sender while the first is active: rejected. */
	assert_int_equal(push(d, l2, 0, 1000), CAST_EMALFORMED);
	assert_int_equal(stats(d).malformed, 1);
	cast_h264_packetize(p1, c.data, c.len, 4000, pkts_cb, l3);
	push_all(d, l3, 2000);
	assert_int_equal(s->n, 2);

	/* The first went silent: the new one takes over. */
	push_all(d, l2, 200000);
	assert_int_equal(s->n, 3);
	assert_au(&s->au[2], &b, 7777);
	assert_int_equal(stats(d).lost, 0);
	au_free(&a);
	au_free(&b);
	au_free(&c);
	pkts_free(l1);
	pkts_free(l2);
	pkts_free(l3);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
	cast_h264_packetizer_free(&p1);
	cast_h264_packetizer_free(&p2);
}

/* Same SSRC, sequence numbers jump far: resync after two in a row. */
static void test_seq_jump(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_h264_packetizer *p = packer(1200, 10);
	struct pkts *l = pkts_new();
	struct au a;
	int i;

	(void)state;
	au_one(&a, 100, 1);
	for (i = 0; i < 3; i++)
		cast_h264_packetize(p, a.data, a.len, (uint32_t)i * 3000,
				    pkts_cb, l);
	cast_h264_packetizer_free(&p);
	p = packer(1200, 30000);
	for (i = 3; i < 6; i++)
		cast_h264_packetize(p, a.data, a.len, (uint32_t)i * 3000,
				    pkts_cb, l);
	for (i = 0; i < 6; i++)
		push(d, l, i, i * 1000);
	assert_int_equal(s->n, 5);
	assert_au(&s->au[2], &a, 6000);
	/* The packet dropped while probing makes the next AU suspect. */
	assert_true(s->au[3].damaged);
	assert_int_equal(s->au[3].ts, 12000);
	assert_au(&s->au[4], &a, 15000);
	assert_int_equal(stats(d).malformed, 1);
	au_free(&a);
	pkts_free(l);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
	cast_h264_packetizer_free(&p);
}

/* A restart (the link back after a long silence): the first AU after it
 * refers to pictures that were skipped, so it comes damaged; the next one
 * is whole again. */
static void test_restart_damages_next(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_h264_packetizer *p = packer(1200, 100);
	struct pkts *l = pkts_new();
	struct au a;
	int i;

	(void)state;
	au_one(&a, 100, 1);
	for (i = 0; i < 6; i++)
		cast_h264_packetize(p, a.data, a.len, (uint32_t)i * 3000,
				    pkts_cb, l);
	push(d, l, 0, 0);
	push(d, l, 1, 1000);
	assert_int_equal(s->n, 2);
	cast_h264_depacketizer_restart(d);
	/* Packets 2 and 3 never came: 4 and 5 are what is live. */
	push(d, l, 4, 5000);
	push(d, l, 5, 6000);
	assert_int_equal(s->n, 4);
	assert_true(s->au[2].damaged);
	assert_int_equal(s->au[2].ts, 12000);
	assert_au(&s->au[3], &a, 15000);
	au_free(&a);
	pkts_free(l);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
	cast_h264_packetizer_free(&p);
}

/* No marker bits at all: AUs end when the timestamp changes. */
static void test_ts_boundary(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	uint8_t b[64];
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		size_t n = rtp_hdr(b, false, (uint16_t)i,
				   (uint32_t)(i / 2) * 3000, 1);

		b[n] = 0x41;
		b[n + 1] = (uint8_t)(0x10 + i);
		assert_int_equal(cast_h264_depacketizer_push(d, b, n + 2, 0),
				 0);
	}
	assert_int_equal(s->n, 2);
	assert_int_equal(s->au[0].size, 12);
	assert_memory_equal(s->au[0].data,
			    "\0\0\0\1\x41\x10\0\0\0\1\x41\x11", 12);
	assert_int_equal(s->au[1].ts, 3000);
	assert_false(s->au[1].damaged);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

static void test_oversize_au(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 5000);
	struct cast_h264_packetizer *p = packer(1200, 0);
	struct pkts *l = pkts_new();
	struct cast_rtp_rx_stats st;
	struct au a, b, c;

	(void)state;
	au_one(&a, 10000, 5);
	au_one(&b, 4996, 1);	/* 4 + 4996: exactly max_au */
	au_one(&c, 4997, 1);
	cast_h264_packetize(p, a.data, a.len, 0, pkts_cb, l);
	cast_h264_packetize(p, b.data, b.len, 3000, pkts_cb, l);
	cast_h264_packetize(p, c.data, c.len, 6000, pkts_cb, l);
	cast_h264_packetize(p, b.data, b.len, 9000, pkts_cb, l);
	push_all(d, l, 0);
	assert_int_equal(s->n, 2);
	assert_au(&s->au[0], &b, 3000);
	assert_au(&s->au[1], &b, 9000);
	st = stats(d);
	assert_int_equal(st.aus_dropped, 2);
	assert_int_equal(st.aus, 2);
	au_free(&a);
	au_free(&b);
	au_free(&c);
	pkts_free(l);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
	cast_h264_packetizer_free(&p);
}

/* ---- malformed input --------------------------------------------------- */

static void test_garbage_random(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_rtp_rx_stats st;
	uint8_t b[1500];
	uint64_t bad = 0;
	int i;

	(void)state;
	rng_state = 7;
	for (i = 0; i < 20000; i++) {
		size_t len = rnd() % sizeof(b), j;
		int rc;

		for (j = 0; j < len; j++)
			b[j] = (uint8_t)rnd();
		if (i & 1) {
			/* Valid RTP header, random payload. */
			if (len < 13)
				len = 13;
			rtp_hdr(b, rnd() & 1, (uint16_t)rnd(), rnd() % 4, 9);
		}
		rc = cast_h264_depacketizer_push(d, b, len, i * 100);
		assert_true(rc == 0 || rc == CAST_EMALFORMED);
		bad += rc != 0;
		if (i % 50 == 0)
			cast_h264_depacketizer_poll(d, i * 100);
	}
	st = stats(d);
	assert_true(st.malformed >= bad);
	assert_true(bad > 10000);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

static void test_garbage_crafted(void **state)
{
	struct sink *s = sink_new();
	struct cast_h264_depacketizer *d = depacker(s, 0, 0);
	struct cast_rtp_rx_stats st;
	uint8_t b[64];
	uint16_t seq = 1;
	size_t n, i;

	(void)state;
	/* Truncated headers. */
	memset(b, 0, sizeof(b));
	rtp_hdr(b, true, 0, 0, 5);
	for (i = 0; i < CAST_RTP_HDR_LEN; i++)
		assert_int_equal(cast_h264_depacketizer_push(d, b, i, 0),
				 CAST_EMALFORMED);
	assert_int_equal(cast_h264_depacketizer_push(d, NULL, 0, 0),
			 CAST_EMALFORMED);
	/* Empty payload, wrong payload type. */
	assert_int_equal(cast_h264_depacketizer_push(d, b, 12, 0),
			 CAST_EMALFORMED);
	b[1] = 97;
	b[12] = 0x41;
	assert_int_equal(cast_h264_depacketizer_push(d, b, 13, 0),
			 CAST_EMALFORMED);
	st = stats(d);
	assert_int_equal(st.malformed, CAST_RTP_HDR_LEN + 3);
	assert_int_equal(st.packets, 0);
	b[1] = CAST_RTP_PT_H264;

	/* A good AU so the stream is established. */
	n = rtp_hdr(b, true, seq++, 0, 5);
	b[n] = 0x65;
	b[n + 1] = 0x88;
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 2, 0), 0);
	assert_int_equal(s->n, 1);

	/* STAP-A: length past the end, zero length, one dangling byte. */
	n = rtp_hdr(b, true, seq++, 3000, 5);
	memcpy(b + n, "\x18\x00\x05\x67\x01", 5);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 5, 0),
			 CAST_EMALFORMED);
	n = rtp_hdr(b, true, seq++, 6000, 5);
	memcpy(b + n, "\x18\x00\x00\x00\x01\x67", 6);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 6, 0),
			 CAST_EMALFORMED);
	n = rtp_hdr(b, true, seq++, 9000, 5);
	memcpy(b + n, "\x18\x00\x01\x67\x00", 5);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 5, 0),
			 CAST_EMALFORMED);
	/* FU-A with start and end both set; FU-A too short; F bit; types. */
	n = rtp_hdr(b, true, seq++, 12000, 5);
	memcpy(b + n, "\x7c\xc5\x01", 3);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 3, 0),
			 CAST_EMALFORMED);
	n = rtp_hdr(b, true, seq++, 15000, 5);
	memcpy(b + n, "\x7c\x85", 2);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 2, 0),
			 CAST_EMALFORMED);
	n = rtp_hdr(b, true, seq++, 18000, 5);
	memcpy(b + n, "\xe5\x01", 2);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 2, 0),
			 CAST_EMALFORMED);
	for (i = 0; i < 5; i++) {
		static const uint8_t bad_types[] = {0, 25, 26, 29, 31};

		n = rtp_hdr(b, true, seq++, 21000 + (uint32_t)i, 5);
		b[n] = (uint8_t)(0x60 | bad_types[i]);
		b[n + 1] = 0x85;
		b[n + 2] = 1;
		assert_int_equal(cast_h264_depacketizer_push(d, b, n + 3, 0),
				 CAST_EMALFORMED);
	}
	st = stats(d);
	assert_int_equal(st.malformed, CAST_RTP_HDR_LEN + 3 + 11);
	/* Their sequence numbers still count as received: no loss. */
	assert_int_equal(st.lost, 0);

	/* A good single NAL, then an FU-A middle and end without a start. */
	n = rtp_hdr(b, true, seq++, 27000, 5);
	b[n] = 0x41;
	b[n + 1] = 0x01;
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 2, 0), 0);
	assert_int_equal(s->n, 2);
	n = rtp_hdr(b, false, seq++, 30000, 5);
	memcpy(b + n, "\x7c\x05\x01\x02", 4);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 4, 0), 0);
	n = rtp_hdr(b, true, seq++, 30000, 5);
	memcpy(b + n, "\x7c\x45\x03", 3);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 3, 0), 0);
	st = stats(d);
	assert_int_equal(st.malformed, CAST_RTP_HDR_LEN + 3 + 11 + 1);
	/* FU-A start then a different NAL type in the middle. */
	n = rtp_hdr(b, false, seq++, 33000, 5);
	memcpy(b + n, "\x7c\x85\x01\x02", 4);
	cast_h264_depacketizer_push(d, b, n + 4, 0);
	n = rtp_hdr(b, true, seq++, 33000, 5);
	memcpy(b + n, "\x7c\x41\x03", 3);
	cast_h264_depacketizer_push(d, b, n + 3, 0);
	/* FU-A start, then a marker before its end. */
	n = rtp_hdr(b, true, seq++, 36000, 5);
	memcpy(b + n, "\x7c\x85\x01\x02", 4);
	cast_h264_depacketizer_push(d, b, n + 4, 0);
	st = stats(d);
	assert_int_equal(st.malformed, CAST_RTP_HDR_LEN + 3 + 11 + 3);
	assert_int_equal(s->n, 2);

	/* And a good AU still goes through, undamaged. */
	n = rtp_hdr(b, false, seq++, 39000, 5);
	memcpy(b + n, "\x7c\x85\x01", 3);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 3, 0), 0);
	n = rtp_hdr(b, true, seq++, 39000, 5);
	memcpy(b + n, "\x7c\x45\x02", 3);
	assert_int_equal(cast_h264_depacketizer_push(d, b, n + 3, 0), 0);
	assert_int_equal(s->n, 3);
	assert_int_equal(s->au[2].size, 7);
	assert_memory_equal(s->au[2].data, "\0\0\0\1\x65\x01\x02", 7);
	assert_false(s->au[2].damaged);
	assert_true(s->au[2].keyframe);
	st = stats(d);
	assert_int_equal(st.lost, 0);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
}

static void test_depack_cfg(void **state)
{
	struct cast_h264_depacketizer_cfg cfg;
	struct cast_h264_depacketizer *d = NULL;

	(void)state;
	cast_h264_depacketizer_cfg_init(&cfg);
	assert_int_equal(cfg.pt, 96);
	assert_int_equal(cfg.reorder_window, 64);
	assert_int_equal(cfg.reorder_ms, 40);
	assert_int_equal(cfg.max_au, 4 << 20);
	cfg.reorder_ms = -1;
	assert_int_equal(cast_h264_depacketizer_new(&d, &cfg, NULL, NULL),
			 CAST_ERROR(EINVAL));
	assert_null(d);
	assert_int_equal(cast_h264_depacketizer_new(&d, NULL, NULL, NULL), 0);
	cast_h264_depacketizer_free(&d);
	cast_h264_depacketizer_free(&d);
}

/* ---- RTCP and NTP ------------------------------------------------------ */

static void test_rtcp_round_trip(void **state)
{
	struct cast_rtcp_sr sr = {
		.ssrc = 0xcafef00d,
		.ntp = 0xe1234567890abcdeull,
		.rtp_ts = 123456789,
		.packets = 1000,
		.octets = 1000000,
	}, out;
	uint8_t b[512];
	int n;

	(void)state;
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "teacher@10.0.0.1");
	/* SR 28 + SDES 4 + chunk (4 + 2 + 16 + 1 -> 24). */
	assert_int_equal(n, 28 + 4 + 24);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[1], 200);
	assert_int_equal(b[28], 0x81);
	assert_int_equal(b[29], 202);
	assert_int_equal(b[36], 1);
	assert_int_equal(b[37], 16);
	assert_memory_equal(b + 38, "teacher@10.0.0.1", 16);
	memset(&out, 0, sizeof(out));
	assert_int_equal(cast_rtcp_parse_sr(b, (size_t)n, &out), 0);
	assert_int_equal(out.ssrc, sr.ssrc);
	assert_int_equal(out.ntp, sr.ntp);
	assert_int_equal(out.rtp_ts, sr.rtp_ts);
	assert_int_equal(out.packets, sr.packets);
	assert_int_equal(out.octets, sr.octets);

	/* No CNAME: the SR alone. */
	assert_int_equal(cast_rtcp_write_sr(b, sizeof(b), &sr, NULL), 28);
	assert_int_equal(cast_rtcp_parse_sr(b, 28, &out), 0);
	/* Too small a buffer. */
	assert_int_equal(cast_rtcp_write_sr(b, 40, &sr, "teacher@10.0.0.1"),
			 CAST_ERROR(ENOSPC));
	assert_int_equal(cast_rtcp_write_sr(b, 27, &sr, NULL),
			 CAST_ERROR(ENOSPC));
	/* CNAME lengths that fill the chunk exactly and leave 3 pad bytes. */
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "ab");
	assert_int_equal(n, 28 + 4 + 12);
	assert_int_equal(cast_rtcp_parse_sr(b, (size_t)n, &out), 0);
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "abc");
	assert_int_equal(n, 28 + 4 + 12);
	assert_int_equal(cast_rtcp_parse_sr(b, (size_t)n, &out), 0);
	assert_int_equal(out.repair_ms, 0);

	/* The teacher's repair timing: an APP "LCRD" after the SDES. */
	sr.repair_ms = 612;
	sr.repair_block = 128;
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "abc");
	assert_int_equal(n, 28 + 4 + 12 + 16);
	assert_int_equal(b[44], 0x80);
	assert_int_equal(b[45], 204);
	assert_memory_equal(b + 52, "LCRD", 4);
	assert_int_equal(b[56] << 8 | b[57], 612);
	assert_int_equal(b[58], 128);
	memset(&out, 0, sizeof(out));
	assert_int_equal(cast_rtcp_parse_sr(b, (size_t)n, &out), 0);
	assert_int_equal(out.repair_ms, 612);
	assert_int_equal(out.repair_block, 128);
	/* The block size alone. */
	sr.repair_ms = 0;
	sr.repair_block = 64;
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "abc");
	assert_int_equal(n, 28 + 4 + 12 + 16);
	assert_int_equal(cast_rtcp_parse_sr(b, (size_t)n, &out), 0);
	assert_int_equal(out.repair_ms, 0);
	assert_int_equal(out.repair_block, 64);
	sr.repair_ms = 612;
	assert_int_equal(out.ssrc, sr.ssrc);
	/* No room for it: refused, not cut. */
	assert_int_equal(cast_rtcp_write_sr(b, 28 + 4 + 12 + 15, &sr, "abc"),
			 CAST_ERROR(ENOSPC));
	/* An APP of another name, or too short for LCRD, is not LCRD. */
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "abc");
	memcpy(b + 52, "LCRX", 4);
	assert_int_equal(cast_rtcp_parse_sr(b, (size_t)n, &out), 0);
	assert_int_equal(out.repair_ms, 0);
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "abc");
	b[46] = 0;
	b[47] = 2; /* 12 bytes */
	assert_int_equal(cast_rtcp_parse_sr(b, (size_t)n - 4, &out), 0);
	assert_int_equal(out.repair_ms, 0);
}

static void test_rtcp_malformed(void **state)
{
	struct cast_rtcp_sr sr = {.ssrc = 1}, out;
	uint8_t b[256], c[256];
	int n, i;

	(void)state;
	n = cast_rtcp_write_sr(b, sizeof(b), &sr, "x");
	assert_true(n > 28);
	/* RR first, then the SR: still found. */
	memcpy(c, "\x80\xc9\x00\x01\x00\x00\x00\x02", 8);
	memcpy(c + 8, b, (size_t)n);
	assert_int_equal(cast_rtcp_parse_sr(c, (size_t)n + 8, &out), 0);
	assert_int_equal(out.ssrc, 1);
	/* RR alone: valid, no SR. */
	assert_int_equal(cast_rtcp_parse_sr(c, 8, &out), CAST_ERROR(ENOENT));

	/* Every truncation of the compound is rejected. */
	for (i = 0; i < n; i++)
		if (i != 28)
			assert_int_not_equal(
				cast_rtcp_parse_sr(b, (size_t)i, &out), 0);
	memcpy(c, b, (size_t)n);
	c[0] = 0x40;		/* version 1 */
	assert_int_equal(cast_rtcp_parse_sr(c, (size_t)n, &out),
			 CAST_EMALFORMED);
	memcpy(c, b, (size_t)n);
	c[3] = 60;		/* length past the end */
	assert_int_equal(cast_rtcp_parse_sr(c, (size_t)n, &out),
			 CAST_EMALFORMED);
	memcpy(c, b, (size_t)n);
	c[3] = 4;		/* SR shorter than its fixed part */
	assert_int_equal(cast_rtcp_parse_sr(c, (size_t)n, &out),
			 CAST_EMALFORMED);
	memcpy(c, b, (size_t)n);
	c[0] = 0x81;		/* claims a report block it lacks */
	assert_int_equal(cast_rtcp_parse_sr(c, (size_t)n, &out),
			 CAST_EMALFORMED);
	memcpy(c, b, (size_t)n);
	c[0] |= 0x20;		/* padding on the first of two */
	assert_int_equal(cast_rtcp_parse_sr(c, (size_t)n, &out),
			 CAST_EMALFORMED);
	memcpy(c, b, (size_t)n);
	c[29] = 96;		/* RTP payload type, not RTCP */
	assert_int_equal(cast_rtcp_parse_sr(c, (size_t)n, &out),
			 CAST_EMALFORMED);
	assert_int_equal(cast_rtcp_parse_sr(NULL, 0, &out), CAST_EMALFORMED);
}

static void test_ntp(void **state)
{
	static const int64_t samples[] = {
		0, 1, 999999, 1000000, -1, -1500000, 1700000000123456ll,
		2085978495999999ll,	/* just before the 2036 wrap */
		2085978496000000ll,	/* the wrap */
		2240524800000000ll,	/* 2041 */
	};
	size_t i;

	(void)state;
	assert_int_equal(cast_ntp_from_us(0), 2208988800ull << 32);
	assert_int_equal(cast_ntp_from_us(1500000),
			 (2208988801ull << 32) | 0x80000000u);
	assert_int_equal(cast_ntp_to_us((2208988802ull << 32) | 0x40000000u),
			 2250000);
	assert_int_equal(cast_ntp_from_us(2085978496000000ll), 0);
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		assert_int_equal(cast_ntp_to_us(cast_ntp_from_us(samples[i])),
				 samples[i]);
	rng_state = 3;
	for (i = 0; i < 100000; i++) {
		int64_t us = 1600000000000000ll +
			     (int64_t)(rnd() % 2000000000) * 1000000 +
			     rnd() % 1000000;

		assert_int_equal(cast_ntp_to_us(cast_ntp_from_us(us)), us);
	}
}

/* ---- SDP --------------------------------------------------------------- */

static void test_sdp(void **state)
{
	static const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01};
	static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};
	struct cast_sdp_info info = {
		.dest_addr = "239.255.42.1",
		.port = 5004,
		.ttl = 4,
		.pt = 96,
		.sps = sps,
		.sps_len = sizeof(sps),
		.pps = pps,
		.pps_len = sizeof(pps),
	};
	char b[1024];
	int n;

	(void)state;
	n = cast_sdp_write(b, sizeof(b), &info);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(b));
	assert_true(strncmp(b, "v=0\r\n", 5) == 0);
	assert_non_null(strstr(b, "\r\no=- 0 0 IN IP4 127.0.0.1\r\n"));
	assert_non_null(strstr(b, "\r\ns=libcast\r\n"));
	assert_non_null(strstr(b, "\r\nc=IN IP4 239.255.42.1/4\r\n"));
	assert_non_null(strstr(b, "\r\nt=0 0\r\n"));
	assert_non_null(strstr(b, "\r\nm=video 5004 RTP/AVP 96\r\n"));
	assert_non_null(strstr(b, "\r\na=rtpmap:96 H264/90000\r\n"));
	assert_non_null(strstr(b, "\r\na=fmtp:96 packetization-mode=1;"
				  "profile-level-id=42c01f;"
				  "sprop-parameter-sets="
				  "Z0LAH9oB,aM48gA==\r\n"));
	assert_int_equal(b[n - 1], '\n');

	/* Unicast: no TTL; no SPS: no profile or parameter sets. */
	info.dest_addr = "192.168.1.20";
	info.session_name = "Room 101";
	info.sps = NULL;
	n = cast_sdp_write(b, sizeof(b), &info);
	assert_true(n > 0);
	assert_non_null(strstr(b, "\r\nc=IN IP4 192.168.1.20\r\n"));
	assert_non_null(strstr(b, "\r\ns=Room 101\r\n"));
	assert_non_null(strstr(b, "\r\na=fmtp:96 packetization-mode=1\r\n"));
	assert_null(strstr(b, "sprop"));

	/* Every too-small buffer says so. */
	info.sps = sps;
	info.dest_addr = "239.255.42.1";
	n = cast_sdp_write(b, sizeof(b), &info);
	for (size_t i = 1; i <= (size_t)n; i++)
		assert_int_equal(cast_sdp_write(b, i, &info),
				 CAST_ERROR(ENOSPC));
	assert_int_equal(cast_sdp_write(b, (size_t)n + 1, &info), n);
	info.dest_addr = "not an address";
	assert_int_equal(cast_sdp_write(b, sizeof(b), &info),
			 CAST_ERROR(EINVAL));
}

/* The sound's media section (RFC 7587) after the picture's. */
static void test_sdp_opus(void **state)
{
	struct cast_sdp_info info = {
		.dest_addr = "239.255.0.11",
		.port = 40110,
		.pt = 96,
	};
	char b[1024], before[1024];
	int n, v;

	(void)state;
	v = cast_sdp_write(b, sizeof(b), &info);
	assert_true(v > 0);
	n = cast_sdp_append_opus(b, sizeof(b), "239.255.0.11", 40112, 111, 1);
	assert_true(n > v);
	assert_int_equal((size_t)n, strlen(b));
	assert_non_null(strstr(b, "\r\nm=video 40110 RTP/AVP 96\r\n"));
	/* The audio section comes last, with its own address. */
	assert_non_null(strstr(b + v, "m=audio 40112 RTP/AVP 111\r\n"
				      "c=IN IP4 239.255.0.11/1\r\n"
				      "a=rtpmap:111 opus/48000/2\r\n"
				      "a=fmtp:111 minptime=20;useinbandfec=1;"
				      "stereo=0;sprop-stereo=0\r\n"
				      "a=ptime:20\r\n"));
	assert_int_equal(strncmp(b + v, "m=audio", 7), 0);

	/* Too small, a bad address or type: the SDP is left as it was. */
	v = cast_sdp_write(b, sizeof(b), &info);
	memcpy(before, b, (size_t)v + 1);
	for (size_t i = (size_t)v + 1; i < (size_t)n; i += 7) {
		assert_int_equal(cast_sdp_append_opus(b, i, "239.255.0.11",
						      40112, 111, 1),
				 CAST_ERROR(ENOSPC));
		assert_string_equal(b, before);
	}
	assert_int_equal(cast_sdp_append_opus(b, sizeof(b), "nowhere", 40112,
					      111, 1),
			 CAST_ERROR(EINVAL));
	assert_string_equal(b, before);
	assert_int_equal(cast_sdp_append_opus(b, sizeof(b), "10.0.0.1", 40112,
					      200, 1),
			 CAST_ERROR(EINVAL));
	n = cast_sdp_append_opus(b, sizeof(b), "10.0.0.1", 5006, 111, 1);
	assert_true(n > v);
	assert_non_null(strstr(b, "\r\nc=IN IP4 10.0.0.1\r\n"));
}

/* Every packet names its channel; a receiver of one channel drops others'. */
static void test_channel_ext(void **state)
{
	static const size_t sizes[] = {10, 4, 3000};
	static const uint8_t types[] = {7, 8, 5};
	struct cast_h264_packetizer_cfg pc;
	struct cast_h264_depacketizer_cfg dc;
	struct cast_h264_packetizer *p7 = NULL, *p8 = NULL;
	struct cast_h264_depacketizer *d = NULL;
	struct sink *s = sink_new();
	struct pkts *l7 = pkts_new(), *l8 = pkts_new();
	struct cast_rtp_rx_stats st;
	struct cast_rtp_hdr h;
	struct au a;

	(void)state;
	cast_h264_packetizer_cfg_init(&pc);
	pc.channel = 7;
	pc.mtu = 600;
	assert_int_equal(cast_h264_packetizer_new(&p7, &pc), 0);
	pc.channel = 8;
	assert_int_equal(cast_h264_packetizer_new(&p8, &pc), 0);
	cast_h264_depacketizer_cfg_init(&dc);
	dc.channel = 7;
	assert_int_equal(cast_h264_depacketizer_new(&d, &dc, sink_cb, s), 0);

	au_build(&a, sizes, types, 3, 0);
	assert_true(cast_h264_packetize(p7, a.data, a.len, 90, pkts_cb, l7) > 1);
	assert_true(cast_h264_packetize(p8, a.data, a.len, 90, pkts_cb, l8) > 1);
	for (int i = 0; i < l7->n; i++) {
		assert_true(l7->len[i] <= 600);
		assert_int_equal(cast_rtp_parse(l7->p[i], l7->len[i], &h), 0);
		assert_int_equal(h.channel, 7);
	}
	/* Channel 8's packets first: all refused, none delivered. */
	for (int i = 0; i < l8->n; i++)
		assert_int_equal(cast_h264_depacketizer_push(d, l8->p[i],
							     l8->len[i], 0),
				 CAST_ERROR(EXDEV));
	push_all(d, l7, 1000);
	st = stats(d);
	assert_int_equal(st.foreign, (uint64_t)l8->n);
	assert_int_equal(s->n, 1);
	assert_au(&s->au[0], &a, 90);
	/* A plain packet without the extension is foreign too. */
	{
		uint8_t plain[16] = {0x80, 96, 0, 1, 0, 0, 0, 90, 1, 2, 3, 4,
				     0x65, 0x88, 0x80, 0x10};

		assert_int_equal(cast_rtp_parse(plain, sizeof(plain), &h), 0);
		assert_int_equal(h.channel, 0);
		assert_int_equal(cast_h264_depacketizer_push(d, plain,
							     sizeof(plain), 2000),
				 CAST_ERROR(EXDEV));
	}
	au_free(&a);
	pkts_free(l7);
	pkts_free(l8);
	sink_free(s);
	cast_h264_depacketizer_free(&d);
	cast_h264_packetizer_free(&p7);
	cast_h264_packetizer_free(&p8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_parse),
		cmocka_unit_test(test_channel_ext),
		cmocka_unit_test(test_pack_single),
		cmocka_unit_test(test_pack_cfg),
		cmocka_unit_test(test_pack_stap),
		cmocka_unit_test(test_pack_mtu_edges),
		cmocka_unit_test(test_pack_fu_many),
		cmocka_unit_test(test_rt_tiny_stap),
		cmocka_unit_test(test_rt_exact_mtu),
		cmocka_unit_test(test_rt_fu_two),
		cmocka_unit_test(test_rt_fu_many),
		cmocka_unit_test(test_rt_multi_nal),
		cmocka_unit_test(test_rt_seq_wrap),
		cmocka_unit_test(test_keyframe_flag),
		cmocka_unit_test(test_rt_random_reorder),
		cmocka_unit_test(test_loss_mid_fu),
		cmocka_unit_test(test_reorder_runtime),
		cmocka_unit_test(test_loss_marker),
		cmocka_unit_test(test_reorder_in_window),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_window_overflow),
		cmocka_unit_test(test_ssrc_change),
		cmocka_unit_test(test_seq_jump),
		cmocka_unit_test(test_restart_damages_next),
		cmocka_unit_test(test_ts_boundary),
		cmocka_unit_test(test_oversize_au),
		cmocka_unit_test(test_garbage_random),
		cmocka_unit_test(test_garbage_crafted),
		cmocka_unit_test(test_depack_cfg),
		cmocka_unit_test(test_rtcp_round_trip),
		cmocka_unit_test(test_rtcp_malformed),
		cmocka_unit_test(test_ntp),
		cmocka_unit_test(test_sdp),
		cmocka_unit_test(test_sdp_opus),
	};

	cast_log_set_handler(quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
