/* Opening a film: files and URLs as they are, live byte streams shared. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavformat/avformat.h>

#include "cast/error.h"
#include "cast/log.h"
#include "core/core_int.h"

/*
 * A live stream that arrives on a socket (udp://, tcp://...) can be opened
 * only once: a second bind of the same port fails, or steals half the
 * datagrams. The picture and the sound of a film each demux their own
 * input, so one thread reads the stream's bytes (avio) and copies them to
 * every open reader's ring; each reader's AVFormatContext reads its ring
 * through a custom AVIOContext. Once started the thread reads until the
 * stream ends or the process exits (readers come and go: the sound's probe,
 * the picture, the sound; a socket's read cannot be interrupted, and the
 * port must stay bound between them). A reader that falls more than RING bytes behind loses the oldest bytes (a
 * live picture glitches until its next keyframe; nothing waits).
 */
#define RING (8u << 20)
#define AVIO_BUF 32768
#define MAX_READERS 8

struct reader {
	uint8_t *ring;
	size_t head, len;	/* start and bytes buffered */
	uint64_t dropped;
	bool open;
};

static struct tee {
	pthread_mutex_t lock;
	pthread_cond_t more;
	pthread_t thread;
	bool running, eof;
	int err;
	char url[1024];
	struct reader r[MAX_READERS];
	int n_open;
} tee = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};

static const char *const live_protos[] = {"udp:", "udplite:", "tcp:", "srt:"};

bool cast__media_live_url(const char *url)
{
	if (cast__media_shared_url(url))
		return true;
	for (size_t i = 0; i < sizeof(live_protos) / sizeof(live_protos[0]); i++)
		if (!strncmp(url, live_protos[i], strlen(live_protos[i])))
			return true;
	return false;
}

static void *tee_thread(void *arg)
{
	AVIOContext *in = arg;
	uint8_t buf[AVIO_BUF];

	for (;;) {
		int n;

		n = avio_read_partial(in, buf, sizeof(buf));
		if (n == AVERROR(EAGAIN) || n == AVERROR(ETIMEDOUT) || n == 0) {
			/* Nothing yet: read on (10 s of nothing is the end). */
			in->error = 0;
			in->eof_reached = 0;
			continue;
		}
		pthread_mutex_lock(&tee.lock);
		if (n < 0) {
			tee.eof = true;
			tee.err = n;
			pthread_cond_broadcast(&tee.more);
			pthread_mutex_unlock(&tee.lock);
			break;
		}
		for (int i = 0; i < MAX_READERS; i++) {
			struct reader *r = &tee.r[i];

			if (!r->open)
				continue;
			for (int k = 0; k < n; k++) {
				if (r->len == RING) {
					r->head = (r->head + 1) % RING;
					r->len--;
					r->dropped++;
				}
				r->ring[(r->head + r->len) % RING] = buf[k];
				r->len++;
			}
		}
		pthread_cond_broadcast(&tee.more);
		pthread_mutex_unlock(&tee.lock);
	}
	avio_closep(&in);
	return NULL;
}

/* Reads the reader's ring, waiting for bytes (at most 10 s: a stream that
 * stopped ends the film). */
static int reader_read(void *opaque, uint8_t *buf, int size)
{
	struct reader *r = opaque;
	struct timespec until;
	int n = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&tee.lock);
	while (!r->len && !tee.eof)
		if (pthread_cond_timedwait(&tee.more, &tee.lock, &until) ==
		    ETIMEDOUT)
			break;
	while (r->len && n < size) {
		buf[n++] = r->ring[r->head];
		r->head = (r->head + 1) % RING;
		r->len--;
	}
	pthread_mutex_unlock(&tee.lock);
	return n ? n : AVERROR_EOF;
}

/* A reader of the live stream `url` (the one being read, or a new one). */
static int tee_attach(const char *url, struct reader **out)
{
	AVIOContext *in = NULL;
	int e, slot = -1;

	pthread_mutex_lock(&tee.lock);
	if (tee.running && strcmp(tee.url, url)) {
		pthread_mutex_unlock(&tee.lock);
		return CAST_ERROR(EBUSY);	/* one live film at a time */
	}
	for (int i = 0; i < MAX_READERS && slot < 0; i++)
		if (!tee.r[i].open)
			slot = i;
	if (slot < 0) {
		pthread_mutex_unlock(&tee.lock);
		return CAST_ERROR(EMFILE);
	}
	if (!tee.r[slot].ring)
		tee.r[slot].ring = malloc(RING);
	if (!tee.r[slot].ring) {
		pthread_mutex_unlock(&tee.lock);
		return CAST_ERROR(ENOMEM);
	}
	if (!tee.running || tee.eof) {
		/* Not started, or the stream ended: (again) from the start. */
		AVDictionary *opt = NULL;

		av_dict_set(&opt, "rw_timeout", "10000000", 0);
		e = avio_open2(&in, url, AVIO_FLAG_READ, NULL, &opt);
		av_dict_free(&opt);
		if (e < 0) {
			pthread_mutex_unlock(&tee.lock);
			return e;
		}
		tee.eof = false;
		tee.err = 0;
		snprintf(tee.url, sizeof(tee.url), "%s", url);
		if (pthread_create(&tee.thread, NULL, tee_thread, in)) {
			avio_closep(&in);
			pthread_mutex_unlock(&tee.lock);
			return CAST_ERROR(EAGAIN);
		}
		pthread_detach(tee.thread);
		tee.running = true;
	}
	tee.r[slot].head = tee.r[slot].len = 0;
	tee.r[slot].open = true;
	tee.n_open++;
	*out = &tee.r[slot];
	pthread_mutex_unlock(&tee.lock);
	return 0;
}

static void tee_detach(struct reader *r)
{
	pthread_mutex_lock(&tee.lock);
	r->open = false;
	r->len = 0;
	free(r->ring);
	r->ring = NULL;
	tee.n_open--;
	pthread_mutex_unlock(&tee.lock);
}

int cast__media_open(AVFormatContext **fmt, const char *url)
{
	struct reader *r;
	AVIOContext *pb;
	uint8_t *buf;
	int e;

	if (cast__media_shared_url(url))
		return cast__media_share_open(fmt, url);
	if (!cast__media_live_url(url))
		return avformat_open_input(fmt, url, NULL, NULL);
	e = tee_attach(url, &r);
	if (e < 0)
		return e;
	buf = av_malloc(AVIO_BUF);
	pb = buf ? avio_alloc_context(buf, AVIO_BUF, 0, r, reader_read, NULL,
				      NULL)
		 : NULL;
	*fmt = pb ? avformat_alloc_context() : NULL;
	if (!*fmt) {
		if (pb)
			avio_context_free(&pb);
		av_free(buf);
		tee_detach(r);
		return AVERROR(ENOMEM);
	}
	pb->seekable = 0;
	(*fmt)->pb = pb;
	(*fmt)->flags |= AVFMT_FLAG_CUSTOM_IO;
	e = avformat_open_input(fmt, url, NULL, NULL);
	if (e < 0) {
		/* avformat_open_input freed the context, not our I/O. */
		av_freep(&pb->buffer);
		avio_context_free(&pb);
		tee_detach(r);
	}
	return e;
}

void cast__media_close(AVFormatContext **fmt)
{
	AVIOContext *pb;

	if (!*fmt)
		return;
	if ((*fmt)->opaque) {
		cast__media_share_close(fmt);
		return;
	}
	if (!((*fmt)->flags & AVFMT_FLAG_CUSTOM_IO)) {
		avformat_close_input(fmt);
		return;
	}
	pb = (*fmt)->pb;
	avformat_close_input(fmt);
	if (pb) {
		struct reader *r = pb->opaque;

		av_freep(&pb->buffer);
		avio_context_free(&pb);
		tee_detach(r);
	}
}

int cast__media_find_stream_info(AVFormatContext *fmt)
{
	/* A shared source's streams were found when it opened. */
	return fmt->opaque ? 0 : avformat_find_stream_info(fmt, NULL);
}

int cast__media_read(AVFormatContext *fmt, AVPacket *pkt)
{
	return fmt->opaque ? cast__media_share_read(fmt, pkt)
			   : av_read_frame(fmt, pkt);
}

int cast__media_seek(AVFormatContext *fmt, int stream, int64_t ts, int flags)
{
	return fmt->opaque ? cast__media_share_seek(fmt, stream, ts, flags)
			   : av_seek_frame(fmt, stream, ts, flags);
}
