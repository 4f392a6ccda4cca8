/* Coded packet repair: GF(256) block codes over RTP wire packets. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/repair.h"

#define MAGIC 0x52 /* 'R' */
#define ENC_RING_DEFAULT 4096
#define DEC_RING_DEFAULT 1024
#define RING_MAX 32768
#define BLOCKS_DEFAULT 64
#define BLOCKS_MAX 1024
/* Extended sequence numbers start here so they never go negative. */
#define EXT_ORIGIN ((int64_t)1 << 32)

/* ---- GF(2^8), polynomial 0x11d ---- */

static uint8_t gf_exp[512];
static uint8_t gf_log[256];
static uint8_t gf_inv[256];
/* 64 KiB: row c is "multiply by c", so a region op is one lookup a byte. */
static uint8_t gf_mul[256][256];
static pthread_once_t gf_once = PTHREAD_ONCE_INIT;

static void gf_build(void)
{
	unsigned x = 1;
	int i, a, b;

	for (i = 0; i < 255; i++) {
		gf_exp[i] = (uint8_t)x;
		gf_log[x] = (uint8_t)i;
		x <<= 1;
		if (x & 0x100)
			x ^= 0x11d;
	}
	for (i = 255; i < 512; i++)
		gf_exp[i] = gf_exp[i - 255];
	for (a = 1; a < 256; a++) {
		gf_inv[a] = gf_exp[255 - gf_log[a]];
		for (b = 1; b < 256; b++)
			gf_mul[a][b] = gf_exp[gf_log[a] + gf_log[b]];
	}
}

/* dst ^= c * src over n bytes. */
static void gf_mac(uint8_t *restrict dst, const uint8_t *restrict src,
		   size_t n, uint8_t c)
{
	const uint8_t *row = gf_mul[c];
	size_t i = 0;

	if (c == 0)
		return;
	if (c == 1) {
		for (; i < n; i++)
			dst[i] ^= src[i];
		return;
	}
	for (; i + 8 <= n; i += 8) {
		dst[i] ^= row[src[i]];
		dst[i + 1] ^= row[src[i + 1]];
		dst[i + 2] ^= row[src[i + 2]];
		dst[i + 3] ^= row[src[i + 3]];
		dst[i + 4] ^= row[src[i + 4]];
		dst[i + 5] ^= row[src[i + 5]];
		dst[i + 6] ^= row[src[i + 6]];
		dst[i + 7] ^= row[src[i + 7]];
	}
	for (; i < n; i++)
		dst[i] ^= row[src[i]];
}

/* dst *= c over n bytes. */
static void gf_scale(uint8_t *dst, size_t n, uint8_t c)
{
	const uint8_t *row = gf_mul[c];
	size_t i;

	if (c == 1)
		return;
	for (i = 0; i < n; i++)
		dst[i] = row[dst[i]];
}

static uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The coefficient of packet base + i in a repair of a k-packet block with
 * this seed. Cauchy rows need x = first + seed outside 0..k-1. */
static uint8_t coef(uint32_t seed, int i, int k)
{
	unsigned first = k > 64 ? (unsigned)k : 64;
	uint32_t h;

	if (seed < 256 - first)
		return gf_inv[(first + seed) ^ (unsigned)i];
	h = fmix32(seed ^ (0x9e3779b9u * (uint32_t)(i + 1)));
	return (uint8_t)(1 + h % 255);
}

/* ---- shared helpers ---- */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static bool valid_k(int k)
{
	return k >= CAST_REPAIR_MIN_BLOCK && k <= CAST_REPAIR_MAX_BLOCK &&
	       (k & (k - 1)) == 0;
}

static bool valid_ring(int ring, int k)
{
	return ring >= 2 * k && ring <= RING_MAX && (ring & (ring - 1)) == 0;
}

/* The extended sequence number of `seq` closest to `ref`. */
static int64_t unwrap(int64_t ref, uint16_t seq)
{
	int delta = (int)((seq - (unsigned)(ref & 0xffff)) & 0xffff);

	if (delta >= 32768)
		delta -= 65536;
	return ref + delta;
}

uint16_t cast_repair_block_base(uint16_t seq, int k)
{
	if (!valid_k(k))
		return seq;
	return (uint16_t)(seq & ~(unsigned)(k - 1));
}

bool cast_repair_detect(const uint8_t *buf, size_t len)
{
	return buf && len >= CAST_REPAIR_HDR_LEN && buf[0] == 0 &&
	       buf[1] == MAGIC;
}

bool cast_repair_header(const uint8_t *buf, size_t len, int *k,
			uint16_t *base, uint32_t *seed)
{
	if (!cast_repair_detect(buf, len) || buf[2] != CAST_REPAIR_VERSION)
		return false;
	if (k)
		*k = buf[3];
	if (base)
		*base = (uint16_t)get16(buf + 4);
	if (seed)
		*seed = (uint32_t)get16(buf + 8) << 16 | get16(buf + 10);
	return true;
}

/* A kept packet: ext is its extended sequence number, -1 when empty. */
struct slot {
	int64_t ext;
	uint16_t len;
	uint8_t data[CAST_REPAIR_MAX_PKT];
};

/* ---- encoder ---- */

struct cast_repair_enc {
	int k;
	int mask;
	bool have_ref;
	int64_t newest;
	struct slot *ring;
};

void cast_repair_enc_cfg_init(struct cast_repair_enc_cfg *cfg)
{
	cfg->k = CAST_REPAIR_BLOCK;
	cfg->ring = ENC_RING_DEFAULT;
}

int cast_repair_enc_new(struct cast_repair_enc **out,
			const struct cast_repair_enc_cfg *cfg)
{
	struct cast_repair_enc_cfg def;
	struct cast_repair_enc *e;
	int i;

	if (!out)
		return CAST_ERROR(EINVAL);
	if (!cfg) {
		cast_repair_enc_cfg_init(&def);
		cfg = &def;
	}
	if (!valid_k(cfg->k) || !valid_ring(cfg->ring, cfg->k))
		return CAST_ERROR(EINVAL);
	pthread_once(&gf_once, gf_build);
	e = calloc(1, sizeof(*e));
	if (!e)
		return CAST_ERROR(ENOMEM);
	e->ring = malloc((size_t)cfg->ring * sizeof(*e->ring));
	if (!e->ring) {
		free(e);
		return CAST_ERROR(ENOMEM);
	}
	for (i = 0; i < cfg->ring; i++)
		e->ring[i].ext = -1;
	e->k = cfg->k;
	e->mask = cfg->ring - 1;
	*out = e;
	return 0;
}

int cast_repair_enc_add(struct cast_repair_enc *e, uint16_t seq,
			const uint8_t *pkt, size_t len)
{
	struct slot *s;
	int64_t ext;

	if (!e || !pkt || len == 0)
		return CAST_ERROR(EINVAL);
	if (len > CAST_REPAIR_MAX_PKT)
		return CAST_ERROR(EMSGSIZE);
	ext = e->have_ref ? unwrap(e->newest, seq) : EXT_ORIGIN + seq;
	if (e->have_ref && ext <= e->newest - (e->mask + 1))
		return CAST_ERROR(ERANGE);
	if (!e->have_ref || ext > e->newest)
		e->newest = ext;
	e->have_ref = true;
	s = &e->ring[ext & e->mask];
	s->ext = ext;
	s->len = (uint16_t)len;
	memcpy(s->data, pkt, len);
	return 0;
}

int cast_repair_enc_make(struct cast_repair_enc *e, uint16_t base_seq,
			 int covered, uint32_t seed, uint8_t *out,
			 size_t out_size)
{
	const struct slot *src[CAST_REPAIR_MAX_BLOCK];
	uint8_t lenb[2];
	size_t maxlen = 0, coded_len;
	int64_t base;
	uint8_t c;
	int i;

	if (!e || !out || covered < 1 || covered > e->k ||
	    (base_seq & (e->k - 1)))
		return CAST_ERROR(EINVAL);
	if (!e->have_ref)
		return CAST_ERROR(ENOENT);
	base = unwrap(e->newest, base_seq);
	for (i = 0; i < covered; i++) {
		src[i] = &e->ring[(base + i) & e->mask];
		if (src[i]->ext != base + i)
			return CAST_ERROR(ENOENT);
		if (src[i]->len > maxlen)
			maxlen = src[i]->len;
	}
	coded_len = 2 + maxlen;
	if (out_size < CAST_REPAIR_HDR_LEN + coded_len)
		return CAST_ERROR(ENOSPC);

	out[0] = 0;
	out[1] = MAGIC;
	out[2] = CAST_REPAIR_VERSION;
	out[3] = (uint8_t)e->k;
	put16(out + 4, base_seq);
	put16(out + 6, (unsigned)covered);
	put16(out + 8, seed >> 16);
	put16(out + 10, seed & 0xffff);
	put16(out + 12, (unsigned)coded_len);
	memset(out + CAST_REPAIR_HDR_LEN, 0, coded_len);
	for (i = 0; i < covered; i++) {
		c = coef(seed, i, e->k);
		put16(lenb, src[i]->len);
		gf_mac(out + CAST_REPAIR_HDR_LEN, lenb, 2, c);
		gf_mac(out + CAST_REPAIR_HDR_LEN + 2, src[i]->data,
		       src[i]->len, c);
	}
	return (int)(CAST_REPAIR_HDR_LEN + coded_len);
}

void cast_repair_enc_free(struct cast_repair_enc **e)
{
	if (!e || !*e)
		return;
	free((*e)->ring);
	free(*e);
	*e = NULL;
}

/* ---- decoder ---- */

/* One stored repair: coded holds coded_len bytes. */
struct equation {
	uint32_t seed;
	int covered;
	size_t coded_len;
	uint8_t *coded;
};

struct block {
	bool used;
	bool dirty;		/* a packet arrived since the last solve */
	int64_t base;		/* extended sequence number of the first packet */
	int neq;
	struct equation *eq;	/* max_eq entries, oldest first */
};

struct cast_repair_dec {
	int k;
	int mask;
	int max_blocks;
	int max_eq;
	bool have_ref;
	int64_t newest;
	struct slot *ring;
	struct block *blocks;
	struct equation *eq_pool;
	uint8_t *work;		/* max_eq rows of CAST_REPAIR_MAX_CODED */
	struct cast_repair_dec_stats st;
};

/* The elimination of a block's equations over its missing packets. */
struct system {
	int n;				/* unknowns */
	int m;				/* equations */
	int idx[CAST_REPAIR_MAX_BLOCK];	/* block index of unknown j */
	uint8_t a[CAST_REPAIR_MAX_BLOCK][CAST_REPAIR_MAX_BLOCK];
	int pivot[CAST_REPAIR_MAX_BLOCK]; /* column of row r, -1: zero row */
};

void cast_repair_dec_cfg_init(struct cast_repair_dec_cfg *cfg)
{
	cfg->k = CAST_REPAIR_BLOCK;
	cfg->ring = DEC_RING_DEFAULT;
	cfg->max_blocks = BLOCKS_DEFAULT;
	cfg->max_equations = 0;
}

int cast_repair_dec_new(struct cast_repair_dec **out,
			const struct cast_repair_dec_cfg *cfg)
{
	struct cast_repair_dec_cfg def;
	struct cast_repair_dec *d;
	int i;

	if (!out)
		return CAST_ERROR(EINVAL);
	if (!cfg) {
		cast_repair_dec_cfg_init(&def);
		cfg = &def;
	}
	if (!valid_k(cfg->k) || !valid_ring(cfg->ring, cfg->k) ||
	    cfg->max_blocks < 1 || cfg->max_blocks > BLOCKS_MAX ||
	    cfg->max_equations < 0 ||
	    cfg->max_equations > CAST_REPAIR_MAX_BLOCK)
		return CAST_ERROR(EINVAL);
	pthread_once(&gf_once, gf_build);
	d = calloc(1, sizeof(*d));
	if (!d)
		return CAST_ERROR(ENOMEM);
	d->k = cfg->k;
	d->mask = cfg->ring - 1;
	d->max_blocks = cfg->max_blocks;
	d->max_eq = cfg->max_equations ? cfg->max_equations : cfg->k;
	d->ring = malloc((size_t)cfg->ring * sizeof(*d->ring));
	d->blocks = calloc((size_t)d->max_blocks, sizeof(*d->blocks));
	d->eq_pool = calloc((size_t)d->max_blocks * (size_t)d->max_eq,
			    sizeof(*d->eq_pool));
	d->work = malloc((size_t)d->max_eq * CAST_REPAIR_MAX_CODED);
	if (!d->ring || !d->blocks || !d->eq_pool || !d->work) {
		cast_repair_dec_free(&d);
		return CAST_ERROR(ENOMEM);
	}
	for (i = 0; i < cfg->ring; i++)
		d->ring[i].ext = -1;
	for (i = 0; i < d->max_blocks; i++)
		d->blocks[i].eq = &d->eq_pool[(size_t)i * (size_t)d->max_eq];
	*out = d;
	return 0;
}

static const struct slot *held(const struct cast_repair_dec *d, int64_t ext)
{
	const struct slot *s = &d->ring[ext & d->mask];

	return s->ext == ext ? s : NULL;
}

static void eq_remove(struct block *b, int i)
{
	free(b->eq[i].coded);
	memmove(&b->eq[i], &b->eq[i + 1],
		(size_t)(b->neq - i - 1) * sizeof(b->eq[0]));
	b->neq--;
	memset(&b->eq[b->neq], 0, sizeof(b->eq[0]));
}

static void block_clear(struct block *b)
{
	while (b->neq > 0)
		eq_remove(b, b->neq - 1);
	b->used = false;
}

/* Forgets blocks whose packets have left (or are leaving) the ring. */
static void expire(struct cast_repair_dec *d)
{
	int64_t oldest = d->newest - d->mask;
	int i;

	for (i = 0; i < d->max_blocks; i++) {
		struct block *b = &d->blocks[i];

		if (b->used && b->base < oldest) {
			d->st.dropped += (uint64_t)b->neq;
			block_clear(b);
		}
	}
}

/* Stores a packet by extended sequence number; false if already held. */
static bool store(struct cast_repair_dec *d, int64_t ext, const uint8_t *pkt,
		  size_t len)
{
	struct slot *s = &d->ring[ext & d->mask];
	int64_t old_block;

	if (s->ext == ext)
		return false;
	s->ext = ext;
	s->len = (uint16_t)len;
	memcpy(s->data, pkt, len);
	if (ext > d->newest) {
		old_block = d->newest / d->k;
		d->newest = ext;
		if (ext / d->k != old_block)
			expire(d);
	}
	return true;
}

int cast_repair_dec_add_packet(struct cast_repair_dec *d, uint16_t seq,
			       const uint8_t *pkt, size_t len)
{
	struct block *b;
	int64_t ext;
	int i;

	if (!d || !pkt || len == 0)
		return CAST_ERROR(EINVAL);
	if (len > CAST_REPAIR_MAX_PKT)
		return CAST_ERROR(EMSGSIZE);
	if (!d->have_ref) {
		d->have_ref = true;
		d->newest = EXT_ORIGIN + seq;
	}
	ext = unwrap(d->newest, seq);
	if (ext <= d->newest - (d->mask + 1)) {
		d->st.stale++;
		return 0;
	}
	if (!store(d, ext, pkt, len)) {
		d->st.duplicates++;
		return 0;
	}
	d->st.packets++;
	/* EXT_ORIGIN is a multiple of k: ext & ~(k - 1) is the block base. */
	for (i = 0; i < d->max_blocks; i++) {
		b = &d->blocks[i];
		if (b->used && b->base == (ext & ~(int64_t)(d->k - 1))) {
			b->dirty = true;
			return 1;
		}
	}
	return 0;
}

/*
 * Lists the unknowns (missing packets of the first `covered` of the block)
 * and fills the coefficient matrix of equations `use` (NULL: all).
 */
static void sys_build(const struct cast_repair_dec *d, const struct block *b,
		      int covered, const bool *use, struct system *s)
{
	int i, j, r;

	s->n = 0;
	for (i = 0; i < covered; i++)
		if (!held(d, b->base + i))
			s->idx[s->n++] = i;
	s->m = 0;
	for (r = 0; r < b->neq; r++) {
		if (use && !use[r])
			continue;
		for (j = 0; j < s->n; j++)
			s->a[s->m][j] = s->idx[j] < b->eq[r].covered
						? coef(b->eq[r].seed,
						       s->idx[j], d->k)
						: 0;
		s->m++;
	}
}

/*
 * Incremental Gauss-Jordan: row r is reduced by every earlier pivot row,
 * normalised on its first nonzero column, which is then cleared from the
 * earlier pivot rows. With `rows`, the same operations run on the payloads
 * (each `len` bytes). Dependent rows end as zero rows (pivot -1).
 */
static int sys_eliminate(struct system *s, uint8_t **rows, size_t len)
{
	int r, p, j, pc, rank = 0;
	uint8_t f, inv;

	for (r = 0; r < s->m; r++) {
		for (p = 0; p < r; p++) {
			pc = s->pivot[p];
			if (pc < 0 || !(f = s->a[r][pc]))
				continue;
			gf_mac(s->a[r], s->a[p], (size_t)s->n, f);
			if (rows)
				gf_mac(rows[r], rows[p], len, f);
		}
		s->pivot[r] = -1;
		for (j = 0; j < s->n; j++)
			if (s->a[r][j])
				break;
		if (j == s->n)
			continue;
		s->pivot[r] = j;
		rank++;
		inv = gf_inv[s->a[r][j]];
		gf_scale(s->a[r], (size_t)s->n, inv);
		if (rows)
			gf_scale(rows[r], len, inv);
		for (p = 0; p < r; p++) {
			if (s->pivot[p] < 0 || !(f = s->a[p][j]))
				continue;
			gf_mac(s->a[p], s->a[r], (size_t)s->n, f);
			if (rows)
				gf_mac(rows[p], rows[r], len, f);
		}
	}
	return rank;
}

/* Unknown column solved by row r: its only nonzero is the pivot. */
static bool row_solved(const struct system *s, int r)
{
	int j;

	if (s->pivot[r] < 0)
		return false;
	for (j = 0; j < s->n; j++)
		if (j != s->pivot[r] && s->a[r][j])
			return false;
	return true;
}

static int block_covered(const struct block *b)
{
	int r, c = 0;

	for (r = 0; r < b->neq; r++)
		if (b->eq[r].covered > c)
			c = b->eq[r].covered;
	return c;
}

/* Drops equations contradicting a held packet's length, or covering none. */
static void prune(struct cast_repair_dec *d, struct block *b)
{
	const struct slot *sl;
	bool any_missing;
	int r, i;

	for (r = b->neq - 1; r >= 0; r--) {
		any_missing = false;
		for (i = 0; i < b->eq[r].covered; i++) {
			sl = held(d, b->base + i);
			if (!sl)
				any_missing = true;
			else if ((size_t)sl->len + 2 > b->eq[r].coded_len)
				break;
		}
		if (i < b->eq[r].covered) {
			d->st.inconsistent++;
			eq_remove(b, r);
		} else if (!any_missing) {
			eq_remove(b, r);
		}
	}
}

/* Rebuilds what the block's equations determine; returns how many. */
static int solve(struct cast_repair_dec *d, struct block *b,
		 cast_repair_recovered_cb *cb, void *arg)
{
	struct system s;
	uint8_t *rows[CAST_REPAIR_MAX_BLOCK];
	int64_t got[CAST_REPAIR_MAX_BLOCK];
	int solved_row[CAST_REPAIR_MAX_BLOCK];
	const struct slot *sl;
	uint8_t lenb[2];
	size_t lmax = 0, n_i, x;
	int r, i, j, nsolved = 0, covered;
	uint8_t c, *w;

	b->dirty = false;
	prune(d, b);
	covered = block_covered(b);
	sys_build(d, b, covered, NULL, &s);
	sys_eliminate(&s, NULL, 0);
	/* Zero rows are combinations of the others: they never help. */
	for (r = s.m - 1; r >= 0; r--) {
		if (s.pivot[r] < 0) {
			d->st.dependent++;
			eq_remove(b, r);
		}
	}
	if (b->neq == 0) {
		b->used = false;
		return 0;
	}
	if (b->neq != s.m) {
		sys_build(d, b, covered, NULL, &s);
		sys_eliminate(&s, NULL, 0);
	}
	for (j = 0; j < s.n; j++)
		solved_row[j] = -1;
	for (r = 0; r < s.m; r++) {
		if (row_solved(&s, r)) {
			solved_row[s.pivot[r]] = r;
			nsolved++;
		}
	}
	if (nsolved == 0)
		return 0;

	/* Right-hand sides: each repair minus the packets held. */
	for (r = 0; r < b->neq; r++)
		if (b->eq[r].coded_len > lmax)
			lmax = b->eq[r].coded_len;
	for (r = 0; r < b->neq; r++) {
		const struct equation *e = &b->eq[r];

		w = rows[r] = d->work + (size_t)r * CAST_REPAIR_MAX_CODED;
		memcpy(w, e->coded, e->coded_len);
		memset(w + e->coded_len, 0, lmax - e->coded_len);
		for (i = 0; i < e->covered; i++) {
			sl = held(d, b->base + i);
			if (!sl)
				continue;
			c = coef(e->seed, i, d->k);
			put16(lenb, sl->len);
			gf_mac(w, lenb, 2, c);
			gf_mac(w + 2, sl->data, sl->len, c);
		}
	}
	sys_build(d, b, covered, NULL, &s);
	sys_eliminate(&s, rows, lmax);

	/* Check every rebuilt symbol before handing any out. */
	for (j = 0; j < s.n; j++) {
		if (solved_row[j] < 0)
			continue;
		w = rows[solved_row[j]];
		n_i = get16(w);
		if (n_i == 0 || n_i > CAST_REPAIR_MAX_PKT || n_i + 2 > lmax)
			goto inconsistent;
		for (x = n_i + 2; x < lmax; x++)
			if (w[x])
				goto inconsistent;
	}
	nsolved = 0;
	for (j = 0; j < s.n; j++) {
		if (solved_row[j] < 0)
			continue;
		w = rows[solved_row[j]];
		got[nsolved] = b->base + s.idx[j];
		store(d, got[nsolved], w + 2, get16(w));
		nsolved++;
	}
	d->st.recovered += (uint64_t)nsolved;
	prune(d, b);
	if (b->neq == 0)
		b->used = false;
	for (i = 0; i < nsolved; i++) {
		sl = held(d, got[i]);
		if (cb && sl)
			cb((uint16_t)got[i], sl->data, sl->len, arg);
	}
	return nsolved;

inconsistent:
	d->st.inconsistent += (uint64_t)b->neq;
	block_clear(b);
	return 0;
}

static struct block *block_get(struct cast_repair_dec *d, int64_t base)
{
	struct block *b, *free_b = NULL, *oldest = NULL;
	int i;

	for (i = 0; i < d->max_blocks; i++) {
		b = &d->blocks[i];
		if (!b->used) {
			if (!free_b)
				free_b = b;
			continue;
		}
		if (b->base == base)
			return b;
		if (!oldest || b->base < oldest->base)
			oldest = b;
	}
	if (!free_b) {
		d->st.dropped += (uint64_t)oldest->neq;
		block_clear(oldest);
		free_b = oldest;
	}
	free_b->used = true;
	free_b->dirty = false;
	free_b->base = base;
	free_b->neq = 0;
	return free_b;
}

int cast_repair_dec_add_repair(struct cast_repair_dec *d, const uint8_t *buf,
			       size_t len, cast_repair_recovered_cb *cb,
			       void *arg)
{
	struct equation *e;
	struct block *b;
	unsigned base_seq, covered;
	size_t coded_len;
	uint32_t seed;
	uint16_t b16;
	int64_t base;
	uint8_t *copy;
	int i, k;

	if (!d || !buf)
		return CAST_ERROR(EINVAL);
	if (!cast_repair_header(buf, len, &k, &b16, &seed) || k != d->k)
		goto malformed;
	base_seq = b16;
	covered = get16(buf + 6);
	coded_len = get16(buf + 12);
	if ((base_seq & (unsigned)(d->k - 1)) || covered < 1 ||
	    covered > (unsigned)d->k || coded_len < 3 ||
	    coded_len > CAST_REPAIR_MAX_CODED ||
	    len != CAST_REPAIR_HDR_LEN + coded_len)
		goto malformed;
	d->st.repairs++;

	if (!d->have_ref) {
		d->have_ref = true;
		d->newest = EXT_ORIGIN + base_seq;
	}
	base = unwrap(d->newest, (uint16_t)base_seq);
	if (base < d->newest - d->mask || base > d->newest + d->mask) {
		d->st.stale++;
		return 0;
	}
	for (i = 0; i < (int)covered; i++)
		if (!held(d, base + i))
			break;
	if (i == (int)covered) {
		d->st.useless++;
		return 0;
	}

	copy = malloc(coded_len);
	if (!copy)
		return CAST_ERROR(ENOMEM);
	memcpy(copy, buf + CAST_REPAIR_HDR_LEN, coded_len);
	b = block_get(d, base);
	if (b->neq == d->max_eq) {
		d->st.dropped++;
		eq_remove(b, 0);
	}
	e = &b->eq[b->neq++];
	e->seed = seed;
	e->covered = (int)covered;
	e->coded_len = coded_len;
	e->coded = copy;
	return solve(d, b, cb, arg);

malformed:
	d->st.malformed++;
	return CAST_EMALFORMED;
}

int cast_repair_dec_solve(struct cast_repair_dec *d,
			  cast_repair_recovered_cb *cb, void *arg)
{
	int i, n = 0;

	if (!d)
		return CAST_ERROR(EINVAL);
	for (i = 0; i < d->max_blocks; i++)
		if (d->blocks[i].used && d->blocks[i].dirty)
			n += solve(d, &d->blocks[i], cb, arg);
	return n;
}

static const struct block *block_find(const struct cast_repair_dec *d,
				      int64_t base)
{
	int i;

	for (i = 0; i < d->max_blocks; i++)
		if (d->blocks[i].used && d->blocks[i].base == base)
			return &d->blocks[i];
	return NULL;
}

static int64_t ext_of(const struct cast_repair_dec *d, uint16_t seq)
{
	return d->have_ref ? unwrap(d->newest, seq) : EXT_ORIGIN + seq;
}

int cast_repair_dec_missing(const struct cast_repair_dec *d, uint16_t base_seq,
			    int covered, uint16_t *seqs, int max)
{
	int64_t base;
	int i, n = 0;

	if (!d || covered < 1 || covered > d->k || max < 0 ||
	    (max > 0 && !seqs) || (base_seq & (d->k - 1)))
		return CAST_ERROR(EINVAL);
	base = ext_of(d, base_seq);
	for (i = 0; i < covered && n < max; i++)
		if (!held(d, base + i))
			seqs[n++] = (uint16_t)(base_seq + i);
	return n;
}

int cast_repair_dec_needed(const struct cast_repair_dec *d, uint16_t base_seq,
			   int covered)
{
	const struct block *b;
	bool use[CAST_REPAIR_MAX_BLOCK];
	struct system s;
	int r, missing = 0;
	int64_t base;

	if (!d || covered < 1 || covered > d->k || (base_seq & (d->k - 1)))
		return CAST_ERROR(EINVAL);
	base = ext_of(d, base_seq);
	b = block_find(d, base);
	if (!b) {
		for (r = 0; r < covered; r++)
			if (!held(d, base + r))
				missing++;
		return missing;
	}
	/* Equations reaching past `covered` need packets it doesn't count. */
	for (r = 0; r < b->neq; r++)
		use[r] = b->eq[r].covered <= covered;
	sys_build(d, b, covered, use, &s);
	return s.n - sys_eliminate(&s, NULL, 0);
}

void cast_repair_dec_stats(const struct cast_repair_dec *d,
			   struct cast_repair_dec_stats *st)
{
	*st = d->st;
}

int cast_repair_dec_set_block(struct cast_repair_dec *d, int k)
{
	if (!d || !valid_k(k) || !valid_ring(d->mask + 1, k))
		return CAST_ERROR(EINVAL);
	if (k == d->k)
		return 0;
	for (int i = 0; i < d->max_blocks; i++) {
		d->st.dropped += (uint64_t)d->blocks[i].neq;
		block_clear(&d->blocks[i]);
	}
	d->k = k;
	return 0;
}

void cast_repair_dec_free(struct cast_repair_dec **d)
{
	struct cast_repair_dec *p;
	int i;

	if (!d || !*d)
		return;
	p = *d;
	if (p->blocks)
		for (i = 0; i < p->max_blocks; i++)
			block_clear(&p->blocks[i]);
	free(p->blocks);
	free(p->eq_pool);
	free(p->work);
	free(p->ring);
	free(p);
	*d = NULL;
}
