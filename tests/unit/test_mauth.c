/* Unit tests: media source authentication (auth packets and the gate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

#define SSRC 0x11223344u
#define CH 7

/* A small stream: the packetizer's own packets and auth packets. */
struct stream {
	struct cast_h264_packetizer *pack;
	struct cast_key key;
	uint8_t pkts[64][CAST_RTP_MAX_PKT];
	size_t lens[64];
	int n;
	uint8_t hashes[64][CAST_MAUTH_HASH_LEN];
	int n_hashes;
	uint64_t first;
	uint64_t ext;			/* of the last packet */
	bool have_ext;
};

static void collect(const uint8_t *pkt, size_t len, void *arg)
{
	struct stream *s = arg;

	assert_true(s->n < 64);
	uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);

	memcpy(s->pkts[s->n], pkt, len);
	s->lens[s->n++] = len;
	s->ext = s->have_ext ? s->ext + (uint16_t)(seq - (uint16_t)s->ext)
			     : seq;
	s->have_ext = true;
	if ((pkt[1] & 0x7f) != CAST_RTP_PT_AUTH) {
		if (!s->n_hashes)
			s->first = s->ext;
		cast_mauth_hash(pkt, len, s->hashes[s->n_hashes++]);
	}
}

static void stream_init(struct stream *s, uint16_t first_seq)
{
	struct cast_h264_packetizer_cfg pc;

	memset(s, 0, sizeof(*s));
	cast_h264_packetizer_cfg_init(&pc);
	pc.ssrc = SSRC;
	pc.first_seq = first_seq;
	pc.channel = CH;
	pc.mtu = 300;
	assert_int_equal(cast_h264_packetizer_new(&s->pack, &pc), 0);
	assert_int_equal(cast_key_generate(&s->key), 0);
	assert_int_equal(cast_key_new_signer(&s->key), 0);
}

/* One frame (an IDR of `size` bytes) and its auth packet after it. */
static void stream_frame(struct stream *s, uint32_t ts, size_t size,
			 const uint8_t *sk)
{
	uint8_t au[4096] = {0, 0, 0, 1, 0x65};
	uint8_t a[CAST_MAUTH_MAX_LEN];
	int len;

	for (size_t i = 5; i < size; i++)
		au[i] = (uint8_t)(i * 7 + ts + 1) | 1;
	s->n_hashes = 0;
	assert_true(cast_h264_packetize(s->pack, au, size, ts, collect, s) > 0);
	len = cast_mauth_write(
		a, sizeof(a), SSRC, CH, s->first,
		(uint16_t)(cast_h264_packetizer_seq(s->pack) - (uint16_t)s->first),
		s->hashes[0], s->n_hashes, sk ? sk : s->key.sign_sk);
	assert_true(len > 0);
	assert_int_equal(cast_rtp_packetizer_send(s->pack, CAST_RTP_PT_AUTH, a,
						  (size_t)len, ts, collect, s),
			 1);
}

static void stream_free(struct stream *s)
{
	cast_h264_packetizer_free(&s->pack);
}

/* What the gate released, in order. */
struct sink {
	uint16_t seqs[256];
	uint8_t pts[256];
	int n;
};

static void released(const uint8_t *pkt, size_t len, int64_t arrival_us,
		     void *arg)
{
	struct sink *k = arg;

	(void)len;
	(void)arrival_us;
	assert_true(k->n < 256);
	k->pts[k->n] = pkt[1] & 0x7f;
	k->seqs[k->n++] = (uint16_t)(pkt[2] << 8 | pkt[3]);
}

static struct cast_mauth_gate *gate_new(struct sink *k, const uint8_t *pk)
{
	struct cast_mauth_gate_cfg gc;
	struct cast_mauth_gate *g = NULL;

	cast_mauth_gate_cfg_init(&gc);
	gc.cb = released;
	gc.arg = k;
	gc.hold_us = 100000;
	assert_int_equal(cast_mauth_gate_new(&g, &gc), 0);
	cast_mauth_gate_set_key(g, pk);
	return g;
}

static void test_write_parse_verify(void **state)
{
	struct cast_key k;
	uint8_t hashes[3][CAST_MAUTH_HASH_LEN], buf[CAST_MAUTH_MAX_LEN];
	struct cast_mauth a;
	int len;

	(void)state;
	assert_int_equal(cast_key_generate(&k), 0);
	assert_int_equal(cast_key_new_signer(&k), 0);
	for (int i = 0; i < 3; i++)
		memset(hashes[i], i + 1, CAST_MAUTH_HASH_LEN);
	len = cast_mauth_write(buf, sizeof(buf), SSRC, CH, 0x123456789abcULL,
			       4, hashes[0], 3, k.sign_sk);
	assert_int_equal(len, CAST_MAUTH_HDR_LEN + 3 * 16 + 64);
	assert_int_equal(cast_mauth_parse(buf, (size_t)len, &a), 0);
	assert_true(a.first == 0x123456789abcULL);
	assert_int_equal(a.count, 3);
	assert_int_equal(a.self, 4);
	assert_memory_equal(a.hashes, hashes, sizeof(hashes));
	assert_int_equal(cast_mauth_verify(&a, SSRC, CH, k.sign_pk), 0);
	/* Bound to the stream and the channel. */
	assert_int_equal(cast_mauth_verify(&a, SSRC + 1, CH, k.sign_pk),
			 CAST_ERROR(EACCES));
	assert_int_equal(cast_mauth_verify(&a, SSRC, CH + 1, k.sign_pk),
			 CAST_ERROR(EACCES));
	/* Every signed byte counts. */
	for (int i = 0; i < len - 64; i++) {
		buf[i] ^= 0x40;
		if (!cast_mauth_parse(buf, (size_t)len, &a))
			assert_int_equal(
				cast_mauth_verify(&a, SSRC, CH, k.sign_pk),
				CAST_ERROR(EACCES));
		buf[i] ^= 0x40;
	}
	/* Another key is not the teacher's. */
	{
		struct cast_key other = k;

		assert_int_equal(cast_key_new_signer(&other), 0);
		assert_int_equal(cast_mauth_parse(buf, (size_t)len, &a), 0);
		assert_int_equal(cast_mauth_verify(&a, SSRC, CH, other.sign_pk),
				 CAST_ERROR(EACCES));
	}
}

static void test_parse_rejects(void **state)
{
	struct cast_key k;
	uint8_t h[CAST_MAUTH_MAX_HASHES + 1][CAST_MAUTH_HASH_LEN] = {{0}};
	uint8_t buf[CAST_MAUTH_MAX_LEN + 32];
	struct cast_mauth a;
	int len;

	(void)state;
	assert_int_equal(cast_key_generate(&k), 0);
	assert_int_equal(cast_key_new_signer(&k), 0);
	assert_int_equal(cast_mauth_write(buf, sizeof(buf), SSRC, CH, 0, 1,
					  h[0], 0, k.sign_sk),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_mauth_write(buf, sizeof(buf), SSRC, CH, 0, 1,
					  h[0], CAST_MAUTH_MAX_HASHES + 1,
					  k.sign_sk),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_mauth_write(buf, sizeof(buf), SSRC, CH,
					  UINT64_C(1) << 48, 1, h[0], 1,
					  k.sign_sk),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_mauth_write(buf, 50, SSRC, CH, 0, 1, h[0], 1,
					  k.sign_sk),
			 CAST_ERROR(ENOSPC));
	len = cast_mauth_write(buf, sizeof(buf), SSRC, CH, 0, 2, h[0], 2,
			       k.sign_sk);
	assert_true(len > 0);
	assert_int_equal(cast_mauth_parse(buf, (size_t)len - 1, &a),
			 CAST_EMALFORMED);
	assert_int_equal(cast_mauth_parse(buf, (size_t)len + 1, &a),
			 CAST_EMALFORMED);
	assert_int_equal(cast_mauth_parse(buf, 0, &a), CAST_EMALFORMED);
	buf[0] = 2;
	assert_int_equal(cast_mauth_parse(buf, (size_t)len, &a),
			 CAST_EMALFORMED);
	buf[0] = CAST_MAUTH_VERSION;
	buf[1] = 0;
	assert_int_equal(cast_mauth_parse(buf, (size_t)len, &a),
			 CAST_EMALFORMED);
	buf[1] = 2;
	buf[11] = 1;
	assert_int_equal(cast_mauth_parse(buf, (size_t)len, &a),
			 CAST_EMALFORMED);
}

/* The teacher's frames come out only once their auth packet is in. */
static void test_gate_releases_signed(void **state)
{
	struct stream s;
	struct sink k = {0};
	struct cast_mauth_gate *g;
	struct cast_mauth_gate_stats st;
	int media;

	(void)state;
	stream_init(&s, 65530); /* wraps inside the frame */
	stream_frame(&s, 1000, 1500, NULL);
	media = s.n - 1;
	assert_true(media >= 5);
	g = gate_new(&k, s.key.sign_pk);
	for (int i = 0; i < media; i++) {
		assert_int_equal(cast_mauth_gate_push(g, s.pkts[i], s.lens[i],
						      10),
				 0);
		assert_true(cast_mauth_gate_holds(
			g, (uint16_t)(s.pkts[i][2] << 8 | s.pkts[i][3])));
	}
	assert_int_equal(k.n, 0);
	assert_int_equal(cast_mauth_gate_push(g, s.pkts[media], s.lens[media],
					      20),
			 1);
	assert_int_equal(k.n, media + 1);
	assert_int_equal(k.pts[media], CAST_RTP_PT_AUTH);
	for (int i = 0; i < media; i++)
		assert_int_equal(k.pts[i], CAST_RTP_PT_H264);
	assert_false(cast_mauth_gate_holds(g, 65530));
	/* A packet again (a repair that raced the original): once only. */
	assert_int_equal(cast_mauth_gate_push(g, s.pkts[0], s.lens[0], 30), 0);
	assert_int_equal(k.n, media + 1);
	cast_mauth_gate_stats(g, &st);
	assert_int_equal(st.packets_ok, (uint64_t)media);
	assert_int_equal(st.packets_bad, 0);
	assert_int_equal(st.auth_ok, 1);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.held, 0);
	assert_int_equal(st.wait_us.count, (uint64_t)media);

	/* The next frame: its auth packet first (reordered), then its
	 * packets, each released as it comes. */
	k.n = 0;
	stream_frame(&s, 4000, 600, NULL);
	{
		int base = media + 1, end = s.n;

		assert_int_equal(cast_mauth_gate_push(g, s.pkts[end - 1],
						      s.lens[end - 1], 40),
				 1);
		for (int i = base; i < end - 1; i++)
			assert_int_equal(cast_mauth_gate_push(g, s.pkts[i],
							      s.lens[i], 41),
					 1);
		assert_int_equal(k.n, end - base);
	}
	cast_mauth_gate_free(&g);
	stream_free(&s);
}

/* Forged packets: no signature, a wrong signature, a contradicted hash. */
static void test_gate_refuses_forgery(void **state)
{
	struct stream s, f;
	struct sink k = {0};
	struct cast_mauth_gate *g;
	struct cast_mauth_gate_stats st;
	int media;

	(void)state;
	stream_init(&s, 100);
	stream_init(&f, 100); /* same SSRC and sequence numbers */
	stream_frame(&s, 1000, 900, NULL);
	stream_frame(&f, 1000, 800, f.key.sign_sk); /* its own key */
	media = s.n - 1;
	g = gate_new(&k, s.key.sign_pk);
	/* The forger's packets arrive first, then its auth packet. */
	for (int i = 0; i < f.n - 1; i++)
		cast_mauth_gate_push(g, f.pkts[i], f.lens[i], 10);
	assert_int_equal(cast_mauth_gate_push(g, f.pkts[f.n - 1],
					      f.lens[f.n - 1], 11),
			 CAST_ERROR(EACCES));
	assert_int_equal(k.n, 0);
	/* The teacher's still get through. */
	for (int i = 0; i < s.n; i++)
		cast_mauth_gate_push(g, s.pkts[i], s.lens[i], 12);
	assert_int_equal(k.n, media + 1);
	cast_mauth_gate_stats(g, &st);
	assert_int_equal(st.auth_bad, 1);
	assert_int_equal(st.packets_ok, (uint64_t)media);
	/* The forger's packets of the same numbers: contradicted. */
	assert_true(st.packets_bad >= 1);
	assert_int_equal(st.held, 0);
	/* A forged packet after the signature: refused at once. */
	assert_int_equal(cast_mauth_gate_push(g, f.pkts[0], f.lens[0], 13),
			 CAST_ERROR(EACCES));
	/* A packet of another stream, once the teacher's is known. */
	{
		uint8_t p[CAST_RTP_MAX_PKT];

		memcpy(p, s.pkts[0], s.lens[0]);
		p[8] ^= 1;
		assert_int_equal(cast_mauth_gate_push(g, p, s.lens[0], 14),
				 CAST_ERROR(EACCES));
	}
	/* A valid auth payload moved to another sequence number. */
	{
		uint8_t p[CAST_RTP_MAX_PKT];

		memcpy(p, s.pkts[media], s.lens[media]);
		p[3] ^= 1;
		assert_int_equal(cast_mauth_gate_push(g, p, s.lens[media], 15),
				 CAST_ERROR(EACCES));
	}
	/* Not RTP. */
	assert_int_equal(cast_mauth_gate_push(g, (const uint8_t *)"xx", 2, 16),
			 CAST_EMALFORMED);
	cast_mauth_gate_free(&g);
	stream_free(&s);
	stream_free(&f);
}

/* Unsigned packets wait the hold time, then go (counted); without a key
 * nothing comes out. */
static void test_gate_expires(void **state)
{
	struct stream s;
	struct sink k = {0};
	struct cast_mauth_gate *g;
	struct cast_mauth_gate_stats st;
	int media;

	(void)state;
	stream_init(&s, 7);
	stream_frame(&s, 1000, 900, NULL);
	media = s.n - 1;
	g = gate_new(&k, NULL);
	for (int i = 0; i < s.n; i++)
		cast_mauth_gate_push(g, s.pkts[i], s.lens[i], 0);
	assert_int_equal(k.n, 0);
	cast_mauth_gate_stats(g, &st);
	assert_int_equal(st.no_key, 1);
	assert_int_equal(st.held, (uint64_t)media);
	cast_mauth_gate_poll(g, 50000);
	cast_mauth_gate_stats(g, &st);
	assert_int_equal(st.held, (uint64_t)media);
	cast_mauth_gate_poll(g, 200000);
	cast_mauth_gate_stats(g, &st);
	assert_int_equal(st.held, 0);
	assert_int_equal(st.packets_bad, (uint64_t)media);
	assert_int_equal(st.frames_bad, 1);
	/* With the key, a repaired auth packet releases what arrives again. */
	cast_mauth_gate_set_key(g, s.key.sign_pk);
	assert_int_equal(cast_mauth_gate_push(g, s.pkts[media], s.lens[media],
					      300000),
			 1);
	for (int i = 0; i < media; i++)
		assert_int_equal(cast_mauth_gate_push(g, s.pkts[i], s.lens[i],
						      300001),
				 1);
	assert_int_equal(k.n, media + 1);
	cast_mauth_gate_free(&g);
	stream_free(&s);
}

/* The depacketizer takes auth packets as fillers: the AU is unchanged and
 * a lost auth packet is missing like any packet. */
static void test_depack_filler(void **state)
{
	struct stream s;
	struct cast_h264_depacketizer *d;
	struct cast_h264_depacketizer_cfg dc;
	struct cast_rtp_rx_stats st;
	uint16_t miss[8];
	int n1;

	(void)state;
	stream_init(&s, 500);
	stream_frame(&s, 1000, 900, NULL);
	n1 = s.n;
	stream_frame(&s, 4000, 900, NULL);
	stream_frame(&s, 7000, 900, NULL);
	cast_h264_depacketizer_cfg_init(&dc);
	dc.channel = CH;
	dc.filler_pt = CAST_RTP_PT_AUTH;
	assert_int_equal(cast_h264_depacketizer_new(&d, &dc, NULL, NULL), 0);
	for (int i = 0; i < s.n; i++) {
		if (i == n1 - 1)
			continue; /* the first frame's auth packet is lost */
		assert_int_equal(cast_h264_depacketizer_push(d, s.pkts[i],
							     s.lens[i], i),
				 0);
	}
	assert_int_equal(cast_h264_depacketizer_missing(d, miss, 8), 1);
	assert_int_equal(miss[0], (uint16_t)(500 + n1 - 1));
	cast_h264_depacketizer_push(d, s.pkts[n1 - 1], s.lens[n1 - 1], 100);
	cast_h264_depacketizer_stats(d, &st);
	assert_int_equal(st.aus, 3);
	assert_int_equal(st.aus_damaged, 0);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.lost, 0);
	cast_h264_depacketizer_free(&d);
	stream_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_parse_verify),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_gate_releases_signed),
		cmocka_unit_test(test_gate_refuses_forgery),
		cmocka_unit_test(test_gate_expires),
		cmocka_unit_test(test_depack_filler),
	};

	cast_log_set_level(CAST_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
