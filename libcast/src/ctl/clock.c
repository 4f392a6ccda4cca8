/* Clock offset filter: the minimum-delay sample of the last PING/PONGs. */
#include <string.h>

#include "cast/control.h"
#include "cast/error.h"

/* Times beyond this are refused, so that sums and differences of three of
 * them cannot overflow. */
#define TIME_MAX ((int64_t)1 << 61)
/*
 * Two samples agree when their intervals overlap within this much: reading
 * a clock takes time and offsets are rounded to the µs, so intervals that
 * only just miss are no evidence of a step.
 */
#define SLACK_US 100

void cast_clock_filter_init(struct cast_clock_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->last_rtt_us = -1;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

int cast_clock_filter_add(struct cast_clock_filter *f, int64_t sent_us,
			  int64_t peer_us, int64_t recv_us)
{
	struct cast_clock_sample x;
	unsigned i, kept = 0;
	int dropped;

	if (!f || sent_us < 0 || sent_us >= TIME_MAX || peer_us < 0 ||
	    peer_us >= TIME_MAX || recv_us < 0 || recv_us >= TIME_MAX)
		return CAST_ERROR(EINVAL);
	if (recv_us < sent_us) {
		f->dropped += f->n;
		f->n = 0;
		return CAST_ERROR(ERANGE);
	}
	x.rtt_us = recv_us - sent_us;
	/* peer - midpoint, rounded half away from zero. */
	x.offset_us = 2 * peer_us - sent_us - recv_us;
	x.offset_us = (x.offset_us + (x.offset_us < 0 ? -1 : 1)) / 2;

	for (i = 0; i < f->n; i++) {
		const struct cast_clock_sample *o = &f->s[i];

		if (abs64(o->offset_us - x.offset_us) * 2 >
		    o->rtt_us + x.rtt_us + 2 * SLACK_US)
			continue;
		f->s[kept++] = *o;
	}
	dropped = (int)(f->n - kept);
	f->dropped += (uint64_t)dropped;
	f->n = kept;
	if (f->n == CAST_CLOCK_SAMPLES) {
		memmove(&f->s[0], &f->s[1], sizeof(f->s[0]) * (f->n - 1));
		f->n--;
	}
	f->s[f->n++] = x;
	f->last_rtt_us = x.rtt_us;
	f->samples++;
	return dropped;
}

int cast_clock_filter_get(const struct cast_clock_filter *f,
			  int64_t *offset_us, int64_t *rtt_us)
{
	unsigned i, best;

	if (!f || !f->n)
		return CAST_ERROR(ENODATA);
	best = f->n - 1;
	for (i = f->n - 1; i-- > 0;)
		if (f->s[i].rtt_us < f->s[best].rtt_us)
			best = i;
	if (offset_us)
		*offset_us = f->s[best].offset_us;
	if (rtt_us)
		*rtt_us = f->s[best].rtt_us;
	return 0;
}
