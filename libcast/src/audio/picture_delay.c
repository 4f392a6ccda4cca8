/* Decoded pictures held back until the sound that goes with them plays. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cast/audio.h"
#include "cast/error.h"

struct held {
	struct cast_frame f;
	uint8_t *buf;
	size_t cap;
	int64_t due;
};

struct cast_picture_delay {
	pthread_mutex_t lock;
	struct held *q;
	int max, head, n;
	/* The picture being handed out, outside the lock. */
	struct held out;
};

int cast_picture_delay_new(struct cast_picture_delay **out, int max_frames)
{
	struct cast_picture_delay *d;

	if (max_frames < 1 || max_frames > 64)
		return CAST_ERROR(EINVAL);
	d = calloc(1, sizeof(*d));
	if (!d)
		return CAST_ERROR(ENOMEM);
	d->q = calloc((size_t)max_frames, sizeof(*d->q));
	if (!d->q) {
		free(d);
		return CAST_ERROR(ENOMEM);
	}
	d->max = max_frames;
	pthread_mutex_init(&d->lock, NULL);
	*out = d;
	return 0;
}

/* Copies `f` (I420) into `h`'s own buffer. */
static int copy(struct held *h, const struct cast_frame *f)
{
	size_t w[3] = {(size_t)f->width, (size_t)(f->width + 1) / 2,
		       (size_t)(f->width + 1) / 2};
	size_t r[3] = {(size_t)f->height, (size_t)(f->height + 1) / 2,
		       (size_t)(f->height + 1) / 2};
	size_t need = w[0] * r[0] + w[1] * r[1] + w[2] * r[2], off = 0;

	if (need > h->cap) {
		uint8_t *b = realloc(h->buf, need);

		if (!b)
			return CAST_ERROR(ENOMEM);
		h->buf = b;
		h->cap = need;
	}
	h->f = *f;
	h->f.n_damage = -1;
	for (int p = 0; p < 3; p++) {
		for (size_t y = 0; y < r[p]; y++)
			memcpy(h->buf + off + y * w[p],
			       f->data[p] + y * (size_t)f->stride[p], w[p]);
		h->f.data[p] = h->buf + off;
		h->f.stride[p] = (int)w[p];
		off += w[p] * r[p];
	}
	return 0;
}

int cast_picture_delay_push(struct cast_picture_delay *d,
			    const struct cast_frame *f, int64_t due_us)
{
	struct held *h;
	int err;

	if (f->fmt != CAST_PIX_I420 || f->width <= 0 || f->height <= 0)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&d->lock);
	if (d->n == d->max) {
		/* Full: this one is dropped, the oldest goes out at the
		 * next pop. */
		d->q[d->head].due = 0;
		pthread_mutex_unlock(&d->lock);
		return CAST_ERROR(ENOSPC);
	}
	h = &d->q[(d->head + d->n) % d->max];
	err = copy(h, f);
	if (!err) {
		h->due = due_us;
		d->n++;
	}
	pthread_mutex_unlock(&d->lock);
	return err;
}

int cast_picture_delay_pop(struct cast_picture_delay *d, int64_t now_us,
			   void (*cb)(const struct cast_frame *f, void *arg),
			   void *arg)
{
	int n = 0;

	for (;;) {
		struct held t;

		pthread_mutex_lock(&d->lock);
		if (!d->n || d->q[d->head].due > now_us) {
			pthread_mutex_unlock(&d->lock);
			return n;
		}
		/* Swap buffers with the slot: no copy, no allocation. */
		t = d->out;
		d->out = d->q[d->head];
		d->q[d->head] = t;
		d->head = (d->head + 1) % d->max;
		d->n--;
		pthread_mutex_unlock(&d->lock);
		cb(&d->out.f, arg);
		n++;
	}
}

void cast_picture_delay_free(struct cast_picture_delay **pd)
{
	struct cast_picture_delay *d;

	if (!pd || !*pd)
		return;
	d = *pd;
	for (int i = 0; i < d->max; i++)
		free(d->q[i].buf);
	free(d->out.buf);
	free(d->q);
	pthread_mutex_destroy(&d->lock);
	free(d);
	*pd = NULL;
}
