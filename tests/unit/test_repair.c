/* Coded repair: wire format, recovery, 50-student loss simulation, speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cast/cast.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static int rnd_int(int lo, int hi)
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static bool lost(double p)
{
	return (double)(rnd() >> 11) / 9007199254740992.0 < p;
}

static void fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* Thread CPU time: the cost itself, even on a loaded machine. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- an independent model of the documented wire format ---- */

static uint8_t ref_mul(uint8_t a, uint8_t b)
{
	unsigned r = 0, x = a;

	while (b) {
		if (b & 1)
			r ^= x;
		x <<= 1;
		if (x & 0x100)
			x ^= 0x11d;
		b >>= 1;
	}
	return (uint8_t)r;
}

static uint8_t ref_inv(uint8_t a)
{
	unsigned x;

	for (x = 1; x < 256; x++)
		if (ref_mul(a, (uint8_t)x) == 1)
			return (uint8_t)x;
	return 0;
}

static uint8_t ref_coef(uint32_t seed, int i)
{
	uint32_t h;

	if (seed < 192)
		return ref_inv((uint8_t)((64 + seed) ^ (unsigned)i));
	h = seed ^ (0x9e3779b9u * (uint32_t)(i + 1));
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return (uint8_t)(1 + h % 255);
}

static void wire_format(void **state)
{
	static const uint32_t seeds[] = {0, 7, 191, 192, 0xdeadbeef};
	uint8_t pkt[3][40], out[CAST_REPAIR_MAX_LEN], want[64];
	static const size_t lens[3] = {40, 5, 17};
	struct cast_repair_enc_cfg cfg;
	struct cast_repair_enc *e = NULL;
	size_t s, i, j;
	int n;

	(void)state;
	rng_state = 1;
	cast_repair_enc_cfg_init(&cfg);
	cfg.k = 8;
	assert_int_equal(cast_repair_enc_new(&e, &cfg), 0);
	for (i = 0; i < 3; i++) {
		fill(pkt[i], lens[i]);
		assert_int_equal(cast_repair_enc_add(e, (uint16_t)(65528 + i),
						     pkt[i], lens[i]), 0);
	}
	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		n = cast_repair_enc_make(e, 65528, 3, seeds[s], out,
					 sizeof(out));
		assert_int_equal(n, 14 + 42);
		assert_int_equal(out[0], 0x00);
		assert_int_equal(out[1], 'R');
		assert_int_equal(out[2], 1);
		assert_int_equal(out[3], 8);
		assert_int_equal(out[4] << 8 | out[5], 65528);
		assert_int_equal(out[6] << 8 | out[7], 3);
		assert_int_equal((uint32_t)out[8] << 24 | (uint32_t)out[9] << 16 |
					 (uint32_t)out[10] << 8 | out[11],
				 seeds[s]);
		assert_int_equal(out[12] << 8 | out[13], 42);
		assert_true(cast_repair_detect(out, (size_t)n));
		{
			int hk = 0;
			uint16_t hbase = 0;
			uint32_t hseed = 0;

			assert_true(cast_repair_header(out, (size_t)n, &hk,
						       &hbase, &hseed));
			assert_int_equal(hk, 8);
			assert_int_equal(hbase, 65528);
			assert_int_equal(hseed, seeds[s]);
			out[2] = 2; /* unknown version */
			assert_false(cast_repair_header(out, (size_t)n, NULL,
							NULL, NULL));
			out[2] = 1;
			assert_false(cast_repair_header(out, 13, NULL, NULL,
							NULL));
		}
		memset(want, 0, sizeof(want));
		for (i = 0; i < 3; i++) {
			uint8_t c = ref_coef(seeds[s], (int)i);

			assert_int_not_equal(c, 0);
			want[0] ^= ref_mul(c, (uint8_t)(lens[i] >> 8));
			want[1] ^= ref_mul(c, (uint8_t)lens[i]);
			for (j = 0; j < lens[i]; j++)
				want[2 + j] ^= ref_mul(c, pkt[i][j]);
		}
		assert_memory_equal(out + 14, want, 42);
	}
	/* A repair is never mistaken for RTP (version 2) or vice versa. */
	{
		struct cast_rtp_hdr h;
		static const uint8_t rtp[12] = {0x80, 96};

		assert_int_equal(cast_rtp_parse(out, (size_t)n, &h),
				 CAST_EMALFORMED);
		assert_false(cast_repair_detect(rtp, sizeof(rtp)));
	}
	cast_repair_enc_free(&e);
	assert_null(e);
}

static void api_errors(void **state)
{
	struct cast_repair_enc_cfg ec;
	struct cast_repair_dec_cfg dc;
	struct cast_repair_enc *e = NULL;
	struct cast_repair_dec *d = NULL;
	uint8_t pkt[1501] = {1}, out[CAST_REPAIR_MAX_LEN];
	uint16_t seqs[16];
	int i;

	(void)state;
	cast_repair_enc_cfg_init(&ec);
	ec.k = 12;
	assert_int_equal(cast_repair_enc_new(&e, &ec), CAST_ERROR(EINVAL));
	ec.k = 256;
	assert_int_equal(cast_repair_enc_new(&e, &ec), CAST_ERROR(EINVAL));
	ec.k = 16;
	ec.ring = 16;
	assert_int_equal(cast_repair_enc_new(&e, &ec), CAST_ERROR(EINVAL));
	assert_null(e);
	cast_repair_dec_cfg_init(&dc);
	dc.max_equations = 129;
	assert_int_equal(cast_repair_dec_new(&d, &dc), CAST_ERROR(EINVAL));
	assert_null(d);

	assert_int_equal(cast_repair_enc_new(&e, NULL), 0);
	assert_int_equal(cast_repair_enc_make(e, 0, 1, 0, out, sizeof(out)),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_repair_enc_add(e, 1, pkt, 0), CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_enc_add(e, 1, pkt, 1501),
			 CAST_ERROR(EMSGSIZE));
	for (i = 0; i < 5; i++)
		assert_int_equal(cast_repair_enc_add(e, (uint16_t)(32 + i), pkt,
						     1500), 0);
	assert_int_equal(cast_repair_enc_make(e, 33, 1, 0, out, sizeof(out)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_enc_make(e, 32, 0, 0, out, sizeof(out)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_enc_make(e, 32, 17, 0, out, sizeof(out)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_enc_make(e, 32, 6, 0, out, sizeof(out)),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_repair_enc_make(e, 32, 5, 0, out, 1515),
			 CAST_ERROR(ENOSPC));
	assert_int_equal(cast_repair_enc_make(e, 32, 5, 0, out, 1516), 1516);
	assert_int_equal(cast_repair_block_base(47, 16), 32);
	assert_int_equal(cast_repair_block_base(65535, 64), 65472);
	/* 4096 later the first packets have left the ring. */
	for (i = 5; i < 4096 + 5; i++)
		assert_int_equal(cast_repair_enc_add(e, (uint16_t)(32 + i), pkt,
						     10), 0);
	assert_int_equal(cast_repair_enc_add(e, 32, pkt, 10),
			 CAST_ERROR(ERANGE));
	assert_int_equal(cast_repair_enc_make(e, 32, 5, 0, out, sizeof(out)),
			 CAST_ERROR(ENOENT));
	cast_repair_enc_free(&e);

	assert_int_equal(cast_repair_dec_new(&d, NULL), 0);
	assert_int_equal(cast_repair_dec_add_packet(d, 1, pkt, 0),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_dec_add_packet(d, 1, pkt, 1501),
			 CAST_ERROR(EMSGSIZE));
	assert_int_equal(cast_repair_dec_missing(d, 3, 4, seqs, 16),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_dec_needed(d, 0, 17), CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_dec_needed(d, 0, 16), 16);
	cast_repair_dec_free(&d);
	assert_null(d);
	cast_repair_dec_free(&d);
	cast_repair_enc_free(NULL);
}

/* ---- a teacher and students over one block ---- */

#define MAXPKT 1400

struct truth {
	uint16_t first;
	int n;
	uint8_t (*data)[CAST_REPAIR_MAX_PKT];
	uint16_t *len;
};

struct student {
	struct cast_repair_dec *d;
	const struct truth *t;
	bool *got;
	int recovered;
};

static void on_recovered(uint16_t seq, const uint8_t *pkt, size_t len,
			 void *arg)
{
	struct student *s = arg;
	int i = (uint16_t)(seq - s->t->first);

	assert_true(i < s->t->n);
	assert_false(s->got[i]);
	assert_int_equal(len, s->t->len[i]);
	assert_memory_equal(pkt, s->t->data[i], len);
	s->got[i] = true;
	s->recovered++;
}

static void truth_init(struct truth *t, uint16_t first, int n, int minlen,
		       int maxlen)
{
	int i;

	t->first = first;
	t->n = n;
	t->data = malloc((size_t)n * sizeof(*t->data));
	t->len = malloc((size_t)n * sizeof(*t->len));
	assert_non_null(t->data);
	assert_non_null(t->len);
	for (i = 0; i < n; i++) {
		t->len[i] = (uint16_t)rnd_int(minlen, maxlen);
		fill(t->data[i], t->len[i]);
	}
}

static void truth_free(struct truth *t)
{
	free(t->data);
	free(t->len);
}

static void student_init(struct student *s, const struct truth *t, int k,
			 int ring)
{
	struct cast_repair_dec_cfg cfg;

	memset(s, 0, sizeof(*s));
	cast_repair_dec_cfg_init(&cfg);
	cfg.k = k;
	cfg.ring = ring;
	cfg.max_blocks = 8;
	cfg.max_equations = k;
	assert_int_equal(cast_repair_dec_new(&s->d, &cfg), 0);
	s->t = t;
	s->got = calloc((size_t)t->n, sizeof(bool));
	assert_non_null(s->got);
}

static void student_free(struct student *s)
{
	cast_repair_dec_free(&s->d);
	free(s->got);
}

static void student_recv(struct student *s, int i)
{
	assert_true(cast_repair_dec_add_packet(s->d, (uint16_t)(s->t->first + i),
					       s->t->data[i], s->t->len[i]) >=
		    0);
	s->got[i] = true;
}

static int student_repair(struct student *s, const uint8_t *buf, size_t len)
{
	int rc = cast_repair_dec_add_repair(s->d, buf, len, on_recovered, s);

	assert_true(rc >= 0);
	return rc;
}

static struct cast_repair_enc *teacher(const struct truth *t, int k)
{
	struct cast_repair_enc_cfg cfg;
	struct cast_repair_enc *e;
	int i;

	cast_repair_enc_cfg_init(&cfg);
	cfg.k = k;
	assert_int_equal(cast_repair_enc_new(&e, &cfg), 0);
	for (i = 0; i < t->n; i++)
		assert_int_equal(cast_repair_enc_add(e,
						     (uint16_t)(t->first + i),
						     t->data[i], t->len[i]),
				 0);
	return e;
}

static void single_loss(void **state)
{
	uint8_t buf[CAST_REPAIR_MAX_LEN];
	struct cast_repair_dec_stats st;
	struct cast_repair_enc *e;
	struct student s;
	struct truth t;
	int i, n, lose;

	(void)state;
	rng_state = 2;
	truth_init(&t, 1008, 16, 1, MAXPKT);
	e = teacher(&t, 16);
	for (lose = 0; lose < 16; lose++) {
		student_init(&s, &t, 16, 64);
		for (i = 0; i < 16; i++)
			if (i != lose)
				student_recv(&s, i);
		assert_int_equal(cast_repair_dec_needed(s.d, 1008, 16), 1);
		n = cast_repair_enc_make(e, 1008, 16, (uint32_t)lose * 977,
					 buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(student_repair(&s, buf, (size_t)n), 1);
		assert_true(s.got[lose]);
		assert_int_equal(cast_repair_dec_needed(s.d, 1008, 16), 0);
		/* Another repair of a complete block is useless. */
		n = cast_repair_enc_make(e, 1008, 16, 1, buf, sizeof(buf));
		assert_int_equal(student_repair(&s, buf, (size_t)n), 0);
		cast_repair_dec_stats(s.d, &st);
		assert_int_equal(st.recovered, 1);
		assert_int_equal(st.useless, 1);
		student_free(&s);
	}
	cast_repair_enc_free(&e);
	truth_free(&t);
}

/* Blocks 65520..65535 and 0..15 (k 16) and 65528..65535 (k 8) at the wrap. */
static void wraparound(void **state)
{
	static const int ks[] = {8, 16};
	uint8_t buf[CAST_REPAIR_MAX_LEN];
	struct cast_repair_enc *e;
	struct student s;
	struct truth t;
	uint16_t seqs[16];
	int ki, k, i, n, r;

	(void)state;
	for (ki = 0; ki < 2; ki++) {
		k = ks[ki];
		rng_state = 3;
		truth_init(&t, (uint16_t)(65536 - 2 * k), 4 * k, 1, MAXPKT);
		e = teacher(&t, k);
		student_init(&s, &t, k, 4 * k);
		/* Lose the last two before the wrap and the first two after. */
		for (i = 0; i < t.n; i++)
			if (i < 2 * k - 2 || i >= 2 * k + 2)
				student_recv(&s, i);
		assert_int_equal(cast_repair_dec_missing(s.d, (uint16_t)(65536 - k),
							 k, seqs, 16), 2);
		assert_int_equal(seqs[0], 65534);
		assert_int_equal(seqs[1], 65535);
		assert_int_equal(cast_repair_dec_needed(s.d, 0, k), 2);
		for (r = 0; r < 2; r++) {
			n = cast_repair_enc_make(e, (uint16_t)(65536 - k), k,
						 (uint32_t)r, buf, sizeof(buf));
			assert_int_equal(student_repair(&s, buf, (size_t)n),
					 r == 1 ? 2 : 0);
			n = cast_repair_enc_make(e, 0, k, (uint32_t)r, buf,
						 sizeof(buf));
			assert_int_equal(student_repair(&s, buf, (size_t)n),
					 r == 1 ? 2 : 0);
		}
		for (i = 0; i < t.n; i++)
			assert_true(s.got[i]);
		student_free(&s);
		cast_repair_enc_free(&e);
		truth_free(&t);
	}
}

/* Coding over a block still being sent, then over the whole block. */
static void partial_block(void **state)
{
	uint8_t buf[CAST_REPAIR_MAX_LEN];
	struct cast_repair_enc_cfg cfg;
	struct cast_repair_enc *e;
	struct student s;
	struct truth t;
	int i, n;

	(void)state;
	rng_state = 4;
	truth_init(&t, 4096, 16, 1, MAXPKT);
	cast_repair_enc_cfg_init(&cfg);
	assert_int_equal(cast_repair_enc_new(&e, &cfg), 0);
	student_init(&s, &t, 16, 64);
	for (i = 0; i < 6; i++) {
		assert_int_equal(cast_repair_enc_add(e, (uint16_t)(4096 + i),
						     t.data[i], t.len[i]), 0);
		if (i != 3)
			student_recv(&s, i);
	}
	assert_int_equal(cast_repair_enc_make(e, 4096, 7, 0, buf, sizeof(buf)),
			 CAST_ERROR(ENOENT));
	n = cast_repair_enc_make(e, 4096, 6, 0, buf, sizeof(buf));
	assert_int_equal(student_repair(&s, buf, (size_t)n), 1);
	assert_true(s.got[3]);
	for (i = 6; i < 16; i++) {
		assert_int_equal(cast_repair_enc_add(e, (uint16_t)(4096 + i),
						     t.data[i], t.len[i]), 0);
		if (i != 9 && i != 15)
			student_recv(&s, i);
	}
	/* A covered-6 repair of seed 1 would be useless now; full ones help. */
	n = cast_repair_enc_make(e, 4096, 6, 1, buf, sizeof(buf));
	assert_int_equal(student_repair(&s, buf, (size_t)n), 0);
	assert_int_equal(cast_repair_dec_needed(s.d, 4096, 16), 2);
	n = cast_repair_enc_make(e, 4096, 16, 1, buf, sizeof(buf));
	assert_int_equal(student_repair(&s, buf, (size_t)n), 0);
	assert_int_equal(cast_repair_dec_needed(s.d, 4096, 16), 1);
	n = cast_repair_enc_make(e, 4096, 16, 2, buf, sizeof(buf));
	assert_int_equal(student_repair(&s, buf, (size_t)n), 2);
	for (i = 0; i < 16; i++)
		assert_true(s.got[i]);
	student_free(&s);
	cast_repair_enc_free(&e);
	truth_free(&t);
}

/* A lost packet arriving late after a repair: solve() finishes the block. */
static void late_packet(void **state)
{
	uint8_t buf[CAST_REPAIR_MAX_LEN];
	struct cast_repair_enc *e;
	struct student s;
	struct truth t;
	int i, n;

	(void)state;
	rng_state = 5;
	truth_init(&t, 320, 16, 1, MAXPKT);
	e = teacher(&t, 16);
	student_init(&s, &t, 16, 64);
	for (i = 0; i < 16; i++)
		if (i != 2 && i != 11)
			student_recv(&s, i);
	n = cast_repair_enc_make(e, 320, 16, 0, buf, sizeof(buf));
	assert_int_equal(student_repair(&s, buf, (size_t)n), 0);
	assert_int_equal(cast_repair_dec_needed(s.d, 320, 16), 1);
	/* The same repair again adds nothing. */
	assert_int_equal(student_repair(&s, buf, (size_t)n), 0);
	assert_int_equal(cast_repair_dec_needed(s.d, 320, 16), 1);
	assert_int_equal(cast_repair_dec_add_packet(s.d, 331, t.data[11],
						    t.len[11]), 1);
	s.got[11] = true;
	assert_int_equal(cast_repair_dec_needed(s.d, 320, 16), 0);
	assert_int_equal(cast_repair_dec_solve(s.d, on_recovered, &s), 1);
	assert_true(s.got[2]);
	assert_int_equal(cast_repair_dec_solve(s.d, on_recovered, &s), 0);
	student_free(&s);
	cast_repair_enc_free(&e);
	truth_free(&t);
}

/* Built with AddressSanitizer (gcc says so; clang through __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

/* Trials of the MDS property: fewer under the sanitizers, which check the
 * same code paths at ten times the cost. */
#ifdef SANITIZED
#define MDS_TRIALS(n) ((n) / 5)
#else
#define MDS_TRIALS(n) (n)
#endif

/* Cauchy seeds (below 192 for k <= 64, below 128 for k = 128): any d
 * repairs recover any d losses, never singular. */
static void mds_k(int k, int seeds, int trials)
{
	uint8_t buf[CAST_REPAIR_MAX_LEN];
	struct cast_repair_enc *e;
	struct student s;
	struct truth t;
	bool lose[CAST_REPAIR_MAX_BLOCK], used[192];
	int trial, i, d, n, r, total;
	uint32_t seed;

	rng_state = 6;
	truth_init(&t, 128, k, 1, 300);
	e = teacher(&t, k);
	for (trial = 0; trial < trials; trial++) {
		student_init(&s, &t, k, 2 * k > 64 ? 2 * k : 64);
		d = rnd_int(1, k < seeds ? k : seeds);
		memset(lose, 0, sizeof(lose));
		for (i = 0; i < d;) {
			r = rnd_int(0, k - 1);
			if (!lose[r]) {
				lose[r] = true;
				i++;
			}
		}
		for (i = 0; i < k; i++)
			if (!lose[i])
				student_recv(&s, i);
		memset(used, 0, sizeof(used));
		total = 0;
		for (r = 0; r < d; r++) {
			do
				seed = (uint32_t)rnd_int(0, seeds - 1);
			while (used[seed]);
			used[seed] = true;
			n = cast_repair_enc_make(e, 128, k, seed, buf,
						 sizeof(buf));
			total += student_repair(&s, buf, (size_t)n);
			assert_int_equal(cast_repair_dec_needed(s.d, 128, k),
					 d - r - 1);
		}
		assert_int_equal(total, d);
		for (i = 0; i < k; i++)
			assert_true(s.got[i]);
		student_free(&s);
	}
	cast_repair_enc_free(&e);
	truth_free(&t);
}

/* The teacher says its blocks are 128, not 64: the packets held count. */
static void set_block(void **state)
{
	uint8_t buf[CAST_REPAIR_MAX_LEN];
	struct cast_repair_dec_cfg cfg;
	struct cast_repair_enc *e;
	struct student s;
	struct truth t;
	int i, n;

	(void)state;
	rng_state = 9;
	truth_init(&t, 256, 128, 1, 300);
	e = teacher(&t, 128);
	memset(&s, 0, sizeof(s));
	s.t = &t;
	s.got = calloc((size_t)t.n, sizeof(bool));
	assert_non_null(s.got);
	cast_repair_dec_cfg_init(&cfg);
	cfg.k = 64;
	cfg.ring = 256;
	cfg.max_equations = 128;
	assert_int_equal(cast_repair_dec_new(&s.d, &cfg), 0);
	for (i = 0; i < 128; i++)
		if (i != 3 && i != 70 && i != 127)
			student_recv(&s, i);
	/* A 128-block repair is refused by a 64-block decoder. */
	n = cast_repair_enc_make(e, 256, 128, 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(cast_repair_dec_add_repair(s.d, buf, (size_t)n,
					       on_recovered, &s) < 0);
	assert_int_equal(cast_repair_dec_set_block(s.d, 256), CAST_ERROR(EINVAL));
	assert_int_equal(cast_repair_dec_set_block(s.d, 128), 0);
	assert_int_equal(cast_repair_dec_needed(s.d, 256, 128), 3);
	for (i = 0; i < 3; i++) {
		n = cast_repair_enc_make(e, 256, 128, (uint32_t)i, buf,
					 sizeof(buf));
		student_repair(&s, buf, (size_t)n);
	}
	assert_int_equal(cast_repair_dec_needed(s.d, 256, 128), 0);
	assert_true(s.got[3] && s.got[70] && s.got[127]);
	/* A ring too small for the block size is refused. */
	{
		struct cast_repair_dec *small;

		cfg.ring = 128;
		assert_int_equal(cast_repair_dec_new(&small, &cfg), 0);
		assert_int_equal(cast_repair_dec_set_block(small, 128),
				 CAST_ERROR(EINVAL));
		cast_repair_dec_free(&small);
	}
	student_free(&s);
	cast_repair_enc_free(&e);
	truth_free(&t);
}

static void mds(void **state)
{
	(void)state;
	mds_k(32, 192, MDS_TRIALS(300));
	mds_k(128, 128, MDS_TRIALS(60));
}

static void malformed(void **state)
{
	uint8_t good[CAST_REPAIR_MAX_LEN], bad[CAST_REPAIR_MAX_LEN + 8];
	struct cast_repair_dec_stats st;
	struct cast_repair_enc *e;
	struct student s;
	struct truth t;
	size_t i;
	int n;

	(void)state;
	rng_state = 7;
	truth_init(&t, 0, 16, 1500, 1500);
	e = teacher(&t, 16);
	student_init(&s, &t, 16, 64);
	for (i = 1; i < 16; i++)
		student_recv(&s, (int)i);
	n = cast_repair_enc_make(e, 0, 16, 0, good, sizeof(good));
	assert_int_equal(n, CAST_REPAIR_MAX_LEN);
	memset(bad, 0, sizeof(bad));

#define EXPECT_BAD(len)                                                        \
	assert_int_equal(cast_repair_dec_add_repair(s.d, bad, (len),          \
						    on_recovered, &s),        \
			 CAST_EMALFORMED)
	for (i = 0; i < (size_t)n; i++) {
		memcpy(bad, good, i);
		EXPECT_BAD(i); /* every truncation */
	}
	memcpy(bad, good, (size_t)n);
	bad[n] = 0;
	EXPECT_BAD((size_t)n + 1); /* trailing byte */
	bad[0] = 0x80;
	EXPECT_BAD((size_t)n);
	bad[0] = 0;
	bad[1] = 'r';
	EXPECT_BAD((size_t)n);
	bad[1] = 'R';
	bad[2] = 2; /* version */
	EXPECT_BAD((size_t)n);
	bad[2] = 1;
	bad[3] = 32; /* k mismatch */
	EXPECT_BAD((size_t)n);
	bad[3] = 16;
	bad[5] = 8; /* unaligned base */
	EXPECT_BAD((size_t)n);
	bad[5] = 0;
	bad[7] = 0; /* covered 0 */
	EXPECT_BAD((size_t)n);
	bad[7] = 17; /* covered > k */
	EXPECT_BAD((size_t)n);
	bad[7] = 16;
	bad[12] = 1503 >> 8; /* coded_len too big, packet long enough */
	bad[13] = 1503 & 0xff;
	EXPECT_BAD(14 + 1503);
	bad[12] = 0; /* coded_len 2: no room for a packet */
	bad[13] = 2;
	EXPECT_BAD(16);
	bad[12] = 0xff;
	bad[13] = 0xff;
	EXPECT_BAD(sizeof(bad));
	assert_int_equal(cast_repair_dec_add_repair(s.d, good, 0, NULL, NULL),
			 CAST_EMALFORMED);
	cast_repair_dec_stats(s.d, &st);
	assert_int_equal(st.repairs, 0);
	assert_int_equal(st.recovered, 0);
	assert_false(s.got[0]);
	/* The decoder is unharmed. */
	assert_int_equal(student_repair(&s, good, (size_t)n), 1);
	assert_true(s.got[0]);
	student_free(&s);
	cast_repair_enc_free(&e);
	truth_free(&t);
}

static void count_cb(uint16_t seq, const uint8_t *pkt, size_t len, void *arg)
{
	(void)seq;
	assert_true(len >= 1 && len <= CAST_REPAIR_MAX_PKT);
	assert_non_null(pkt);
	(*(int *)arg)++;
}

/* Random garbage, half of it with a plausible header, never crashes. */
static void garbage(void **state)
{
	struct cast_repair_dec_cfg cfg;
	struct cast_repair_dec *d;
	uint8_t buf[1600];
	size_t len;
	int iter, rc, count = 0;

	(void)state;
	rng_state = 8;
	cast_repair_dec_cfg_init(&cfg);
	cfg.k = 8;
	cfg.ring = 32;
	cfg.max_blocks = 3;
	cfg.max_equations = 4;
	assert_int_equal(cast_repair_dec_new(&d, &cfg), 0);
	for (iter = 0; iter < 200000; iter++) {
		len = (size_t)rnd_int(0, (int)sizeof(buf));
		fill(buf, len);
		if (rnd() & 1) {
			len = (size_t)rnd_int(1, 40);
			assert_true(cast_repair_dec_add_packet(
					    d, (uint16_t)rnd_int(0, 80), buf,
					    len) >= 0);
			continue;
		}
		if (len >= 14 && (rnd() & 3)) {
			size_t cl = len - 14;

			buf[0] = 0;
			buf[1] = 'R';
			buf[2] = 1;
			buf[3] = 8;
			buf[4] = 0;
			buf[5] = (uint8_t)(rnd_int(0, 10) * 8);
			buf[6] = 0;
			buf[7] = (uint8_t)rnd_int(1, 8);
			buf[12] = (uint8_t)(cl >> 8);
			buf[13] = (uint8_t)cl;
			if (rnd() & 1)
				buf[8] = buf[9] = buf[10] = 0;
		}
		rc = cast_repair_dec_add_repair(d, buf, len, count_cb, &count);
		assert_true(rc >= 0 || rc == CAST_EMALFORMED);
		if ((iter & 63) == 0)
			assert_true(cast_repair_dec_solve(d, count_cb,
							  &count) >= 0);
	}
	print_message("garbage: %d bogus packets 'recovered' (SRTP rejects "
		      "them), no crash\n", count);
	cast_repair_dec_free(&d);
}

/* ---- 50 students, independent loss, the teacher repairs the worst ---- */

#define STUDENTS 50
#define LOSS 0.05
/* The stream crosses sequence number 0, its start aligned for any k. The
 * outcome is deterministic (a fixed seed per k): the plain build checks
 * the whole 10000-packet run; under the sanitizers, which watch the same
 * encoder and decoder paths at several times the cost, 2048 packets. */
#ifdef SANITIZED
#define SOURCE 2048
#define FIRST 64512 /* 1024 before the wrap */
#else
#define SOURCE 10000
#define FIRST 60032 /* 5504 before the wrap */
#endif

static void simulate(int k)
{
	uint8_t buf[CAST_REPAIR_MAX_LEN];
	struct cast_repair_enc_cfg cfg;
	struct student *st;
	struct cast_repair_enc *e;
	struct truth t;
	long repairs = 0, union_lost = 0, rounds_hist[8] = {0};
	int b, i, j, n, r, dmax, need, covered, round, sum_deficit;
	uint16_t base;
	uint32_t seed;

	rng_state = 0x5eed0000u + (unsigned)k;
	truth_init(&t, FIRST, SOURCE, 1, MAXPKT);
	cast_repair_enc_cfg_init(&cfg);
	cfg.k = k;
	assert_int_equal(cast_repair_enc_new(&e, &cfg), 0);
	st = calloc(STUDENTS, sizeof(*st));
	assert_non_null(st);
	for (j = 0; j < STUDENTS; j++)
		student_init(&st[j], &t, k, 4 * k > 256 ? 4 * k : 256);

	for (b = 0; b < SOURCE; b += k) {
		base = (uint16_t)(t.first + b);
		covered = SOURCE - b < k ? SOURCE - b : k;
		for (i = b; i < b + covered; i++) {
			bool anyone = false;

			assert_int_equal(cast_repair_enc_add(e,
							     (uint16_t)(t.first + i),
							     t.data[i], t.len[i]),
					 0);
			for (j = 0; j < STUDENTS; j++) {
				if (lost(LOSS))
					anyone = true;
				else
					student_recv(&st[j], i);
			}
			union_lost += anyone;
		}
		/* Feedback rounds: each student reports its deficit. */
		seed = 0;
		for (round = 0;; round++) {
			dmax = 0;
			sum_deficit = 0;
			for (j = 0; j < STUDENTS; j++) {
				need = cast_repair_dec_needed(st[j].d, base,
							      covered);
				assert_true(need >= 0);
				sum_deficit += need;
				if (need > dmax)
					dmax = need;
			}
			if (dmax == 0)
				break;
			assert_true(round < 8);
			for (r = 0; r < dmax; r++) {
				n = cast_repair_enc_make(e, base, covered,
							 seed++, buf,
							 sizeof(buf));
				assert_true(n > 0);
				repairs++;
				for (j = 0; j < STUDENTS; j++)
					if (!lost(LOSS))
						student_repair(&st[j], buf,
							       (size_t)n);
			}
		}
		rounds_hist[round]++;
	}
	for (j = 0; j < STUDENTS; j++) {
		for (i = 0; i < SOURCE; i++)
			assert_true(st[j].got[i]);
		student_free(&st[j]);
	}
	print_message("k=%2d: %d students, %.0f%% loss, %d packets: %ld "
		      "repairs = %.1f%% overhead (NACK+resend of originals: "
		      "%.1f%%); blocks by feedback rounds 0/1/2/3/4+: "
		      "%ld/%ld/%ld/%ld/%ld\n",
		      k, STUDENTS, LOSS * 100, SOURCE, repairs,
		      100.0 * (double)repairs / SOURCE,
		      100.0 * (double)union_lost / SOURCE, rounds_hist[0],
		      rounds_hist[1], rounds_hist[2], rounds_hist[3],
		      rounds_hist[4] + rounds_hist[5] + rounds_hist[6] +
			      rounds_hist[7]);
	free(st);
	cast_repair_enc_free(&e);
	truth_free(&t);
}

static void classroom_k8(void **state)
{
	(void)state;
	simulate(8);
}

static void classroom_k16(void **state)
{
	(void)state;
	simulate(16);
}

static void classroom_k32(void **state)
{
	(void)state;
	simulate(32);
}

static void classroom_k64(void **state)
{
	(void)state;
	simulate(64);
}

static void classroom_k128(void **state)
{
	(void)state;
	simulate(128);
}

/* Cost per repair for k 16 and 1200-byte packets (meaningful unsanitized:
 * under the sanitizers the same blocks run through classroom_k16). */
static void speed(void **state)
{
	struct cast_repair_dec_cfg dc;
	struct cast_repair_enc *e;
	struct cast_repair_dec *d;
	uint8_t pkt[1200], buf[CAST_REPAIR_MAX_LEN];
	static const int losses[] = {1, 4};
	double t0, enc_s = 0, dec_s;
	long made = 0, used;
	int blk, i, n, li, nl, got;
	uint16_t seq;

	(void)state;
#ifdef SANITIZED
	skip();
#endif
	rng_state = 9;
	fill(pkt, sizeof(pkt));
	for (li = 0; li < 2; li++) {
		nl = losses[li];
		assert_int_equal(cast_repair_enc_new(&e, NULL), 0);
		cast_repair_dec_cfg_init(&dc);
		assert_int_equal(cast_repair_dec_new(&d, &dc), 0);
		dec_s = 0;
		used = 0;
		got = 0;
		for (blk = 0; blk < 2000; blk++) {
			for (i = 0; i < 16; i++) {
				seq = (uint16_t)(blk * 16 + i);
				pkt[0] = (uint8_t)seq;
				pkt[1] = (uint8_t)(seq >> 8);
				cast_repair_enc_add(e, seq, pkt, sizeof(pkt));
				if (i >= nl)
					cast_repair_dec_add_packet(
						d, seq, pkt, sizeof(pkt));
			}
			for (i = 0; i < nl; i++) {
				t0 = now_s();
				n = cast_repair_enc_make(e, (uint16_t)(blk * 16),
							 16, (uint32_t)i, buf,
							 sizeof(buf));
				enc_s += now_s() - t0;
				made++;
				t0 = now_s();
				got += cast_repair_dec_add_repair(
					d, buf, (size_t)n, NULL, NULL);
				dec_s += now_s() - t0;
				used++;
			}
		}
		assert_int_equal(got, 2000 * nl);
		print_message("speed k=16, 1200-byte packets, %d lost of 16: "
			      "decode %.2f us CPU per repair (%.2f us per "
			      "recovered packet)\n",
			      nl, dec_s * 1e6 / (double)used,
			      dec_s * 1e6 / (double)got);
		cast_repair_dec_free(&d);
		cast_repair_enc_free(&e);
	}
	print_message("speed k=16, 1200-byte packets: encode %.2f us CPU per "
		      "repair\n", enc_s * 1e6 / (double)made);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wire_format),
		cmocka_unit_test(api_errors),
		cmocka_unit_test(single_loss),
		cmocka_unit_test(wraparound),
		cmocka_unit_test(partial_block),
		cmocka_unit_test(late_packet),
		cmocka_unit_test(mds),
		cmocka_unit_test(set_block),
		cmocka_unit_test(malformed),
		cmocka_unit_test(garbage),
		cmocka_unit_test(classroom_k8),
		cmocka_unit_test(classroom_k16),
		cmocka_unit_test(classroom_k32),
		cmocka_unit_test(classroom_k64),
		cmocka_unit_test(classroom_k128),
		cmocka_unit_test(speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
