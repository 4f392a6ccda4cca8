/* Live RTP and RTSP sources: demuxed once, their packets shared. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libavformat/avformat.h>

#include "cast/error.h"
#include "cast/log.h"
#include "core/core_int.h"

/*
 * An RTP stream described by an SDP file (or an rtp:// URL) binds its UDP
 * ports, and an RTSP URL is a session with the server: either can be
 * received once only, yet a film's picture and its sound each demux "the
 * film". So one thread opens the source and demuxes it, and every context
 * opened on it (the picture's, the sound's, their probes) is a context of
 * its own that carries a copy of the source's streams (codec parameters,
 * time bases, start time) and no demuxer: cast__media_read hands it the
 * source's packets from a queue of its own that the thread fills.
 *
 * Each queue is bounded (SHARE_QUEUE_BYTES, SHARE_QUEUE_PKTS): a side that
 * falls behind loses the packets that do not fit, counted and logged once,
 * and its picture waits for the next keyframe; the thread never waits for
 * a reader, so the picture never holds the sound back nor the reverse.
 * A packet of a stream the reader discards (AVStream.discard) is not
 * queued for it.
 *
 * Readers come and go while a film starts (the sound's probe, the picture,
 * the sound): the packets of the source's first SHARE_HISTORY_US are kept
 * and a reader that opens meanwhile starts with them, so the picture and
 * the sound share the source's time origin; the source stays open
 * SHARE_LINGER_US after its last reader closes. A source that sends
 * nothing for SHARE_IDLE_US (a dead server, a sender that stopped) has
 * ended: every reader gets AVERROR_EOF after its queue.
 */
#define SHARE_QUEUE_BYTES (16u << 20)
#define SHARE_QUEUE_PKTS 20000
#define SHARE_HISTORY_US (10 * 1000000)
#define SHARE_IDLE_US (5 * 1000000)
#define SHARE_OPEN_US (15 * 1000000)
#define SHARE_LINGER_US (3 * 1000000)
#define SHARE_KEY_WAIT 600	/* video packets dropped waiting for a key */
#define SHARE_READERS 8
#define SHARE_STREAMS 16

struct node {
	AVPacket *pkt;
	struct node *next;
};

struct queue {
	struct node *head, *tail;
	size_t bytes;
	int n;
};

struct sreader {
	bool open, ended;
	AVFormatContext *ctx;
	struct queue q;
	bool skip[SHARE_STREAMS];	/* discarded by the reader */
	bool need_key[SHARE_STREAMS];
	int key_waited[SHARE_STREAMS];
	uint64_t dropped, waited;
};

/* The source's streams as they were found when it opened. */
struct snapshot {
	AVCodecParameters *par[SHARE_STREAMS];
	AVRational tb[SHARE_STREAMS], r_rate[SHARE_STREAMS],
		avg_rate[SHARE_STREAMS];
	int64_t st_start[SHARE_STREAMS];
	int n;
	int64_t start_time;
};

enum share_state { SH_IDLE, SH_OPENING, SH_RUNNING, SH_CLOSING };

static struct share {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum share_state state;
	bool stopping;		/* the thread is to close the source */
	char url[1024];
	AVFormatContext *src;
	struct snapshot snap;
	struct sreader r[SHARE_READERS];
	int n_open;
	int64_t started_mono, last_pkt_mono, linger_until;
	struct queue history;
	bool history_on;
} sh = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool cast__media_shared_url(const char *url)
{
	size_t n = strlen(url);

	return !strncmp(url, "rtp:", 4) || !strncmp(url, "rtsp:", 5) ||
	       !strncmp(url, "rtsps:", 6) ||
	       (n > 4 && !strcasecmp(url + n - 4, ".sdp"));
}

static bool is_sdp(const char *url)
{
	size_t n = strlen(url);

	return n > 4 && !strcasecmp(url + n - 4, ".sdp");
}

static void queue_push(struct queue *q, struct node *nd)
{
	nd->next = NULL;
	if (q->tail)
		q->tail->next = nd;
	else
		q->head = nd;
	q->tail = nd;
	q->bytes += (size_t)nd->pkt->size;
	q->n++;
}

static struct node *queue_pop(struct queue *q)
{
	struct node *nd = q->head;

	if (!nd)
		return NULL;
	q->head = nd->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= (size_t)nd->pkt->size;
	q->n--;
	return nd;
}

static void queue_clear(struct queue *q)
{
	struct node *nd;

	while ((nd = queue_pop(q))) {
		av_packet_free(&nd->pkt);
		free(nd);
	}
}

static struct node *node_of(const AVPacket *pkt)
{
	struct node *nd = malloc(sizeof(*nd));

	if (!nd)
		return NULL;
	nd->pkt = av_packet_clone(pkt);
	if (!nd->pkt) {
		free(nd);
		return NULL;
	}
	return nd;
}

/* Queues a copy of `pkt` for reader `r` (lock held), or drops it. */
static void reader_push(struct sreader *r, const AVPacket *pkt)
{
	int si = pkt->stream_index;
	struct node *nd;

	if (si < 0 || si >= sh.snap.n || r->skip[si])
		return;
	if (r->need_key[si]) {
		/* A picture starts at a keyframe (bounded: a stream that
		 * marks none is taken as it comes). */
		if (!(pkt->flags & AV_PKT_FLAG_KEY) &&
		    r->key_waited[si] < SHARE_KEY_WAIT) {
			r->key_waited[si]++;
			r->waited++;
			return;
		}
		r->need_key[si] = false;
	}
	if (r->q.bytes + (size_t)pkt->size > SHARE_QUEUE_BYTES ||
	    r->q.n >= SHARE_QUEUE_PKTS) {
		if (!r->dropped)
			cast_log(CAST_LOG_WARN, "media",
				 "%s: a reader fell behind: packets dropped",
				 sh.url);
		r->dropped++;
		if (sh.snap.par[si]->codec_type == AVMEDIA_TYPE_VIDEO) {
			r->need_key[si] = true;
			r->key_waited[si] = 0;
		}
		return;
	}
	nd = node_of(pkt);
	if (!nd) {
		r->dropped++;
		return;
	}
	queue_push(&r->q, nd);
}

/* Called by libavformat while it waits: ends the open that takes too
 * long, a source silent for too long, or one nobody reads any more. */
static int share_interrupt(void *arg)
{
	int64_t now = mono_us();
	int stop = 0;

	(void)arg;
	pthread_mutex_lock(&sh.lock);
	if (sh.state == SH_OPENING)
		stop = now - sh.started_mono > SHARE_OPEN_US;
	else if (sh.stopping)
		stop = 1;
	else if (!sh.n_open && now >= sh.linger_until)
		stop = sh.stopping = 1;
	else if (now - sh.last_pkt_mono > SHARE_IDLE_US)
		stop = 1;
	pthread_mutex_unlock(&sh.lock);
	return stop;
}

static void snapshot_free(struct snapshot *s)
{
	for (int i = 0; i < s->n; i++)
		avcodec_parameters_free(&s->par[i]);
	s->n = 0;
}

static void *share_thread(void *arg)
{
	AVPacket *pkt = av_packet_alloc();
	int e = pkt ? 0 : AVERROR(ENOMEM);

	(void)arg;
	while (!e) {
		int64_t now;

		e = av_read_frame(sh.src, pkt);
		if (e == AVERROR(EAGAIN)) {
			e = 0;
			continue;
		}
		now = mono_us();
		pthread_mutex_lock(&sh.lock);
		if (!e) {
			sh.last_pkt_mono = now;
			for (int i = 0; i < SHARE_READERS; i++)
				if (sh.r[i].open && !sh.r[i].ended)
					reader_push(&sh.r[i], pkt);
			if (sh.history_on &&
			    (now - sh.started_mono > SHARE_HISTORY_US ||
			     sh.history.bytes > SHARE_QUEUE_BYTES / 2)) {
				sh.history_on = false;
				queue_clear(&sh.history);
			}
			if (sh.history_on) {
				struct node *nd = node_of(pkt);

				if (nd)
					queue_push(&sh.history, nd);
			}
			av_packet_unref(pkt);
			if (!sh.n_open && now >= sh.linger_until)
				sh.stopping = true;
			if (sh.stopping)
				e = AVERROR_EXIT;
		}
		if (e) {
			char msg[AV_ERROR_MAX_STRING_SIZE];

			if (!sh.stopping) {
				av_strerror(e, msg, sizeof(msg));
				cast_log(CAST_LOG_INFO, "media", "%s ended: %s",
					 sh.url,
					 now - sh.last_pkt_mono > SHARE_IDLE_US
						 ? "nothing received for 5 s"
						 : msg);
			}
			/* Its readers read what they have, then the end; a
			 * new session of the source is none of theirs. */
			for (int i = 0; i < SHARE_READERS; i++)
				if (sh.r[i].open)
					sh.r[i].ended = true;
			sh.n_open = 0;
			sh.state = SH_CLOSING;
			pthread_cond_broadcast(&sh.cond);
		}
		pthread_mutex_unlock(&sh.lock);
	}
	av_packet_free(&pkt);
	/* Outside the lock: an RTSP session says goodbye to its server. */
	avformat_close_input(&sh.src);
	pthread_mutex_lock(&sh.lock);
	queue_clear(&sh.history);
	snapshot_free(&sh.snap);
	sh.state = SH_IDLE;
	sh.stopping = false;
	pthread_cond_broadcast(&sh.cond);
	pthread_mutex_unlock(&sh.lock);
	return NULL;
}

/*
 * Opens the source and finds its streams (state OPENING: called without
 * the lock, the open may take seconds), then, with the lock held again,
 * keeps what it found and starts the thread; the caller attaches its
 * reader before it lets the lock go, so the thread cannot end the source
 * before (it needs the lock for every packet).
 */
static int share_start(const char *url)
{
	AVFormatContext *src = avformat_alloc_context();
	AVDictionary *opt = NULL;
	pthread_t th;
	unsigned n;
	int e;

	if (!src) {
		pthread_mutex_lock(&sh.lock);
		return AVERROR(ENOMEM);
	}
	src->interrupt_callback.callback = share_interrupt;
	/* An SDP names the protocols its streams use; nothing else. */
	if (is_sdp(url))
		av_dict_set(&opt, "protocol_whitelist",
			    "file,udp,rtp,crypto,data", 0);
	e = avformat_open_input(&src, url, NULL, &opt);
	av_dict_free(&opt);
	if (e >= 0) {
		e = avformat_find_stream_info(src, NULL);
		if (e >= 0 &&
		    (src->nb_streams < 1 || src->nb_streams > SHARE_STREAMS))
			e = AVERROR_INVALIDDATA;
		if (e < 0)
			avformat_close_input(&src);
	}
	pthread_mutex_lock(&sh.lock);
	if (e < 0)
		return e;
	memset(&sh.snap, 0, sizeof(sh.snap));
	for (unsigned i = 0; i < src->nb_streams; i++) {
		AVStream *st = src->streams[i];

		sh.snap.par[i] = avcodec_parameters_alloc();
		if (!sh.snap.par[i] ||
		    avcodec_parameters_copy(sh.snap.par[i], st->codecpar) < 0) {
			avcodec_parameters_free(&sh.snap.par[i]);
			e = AVERROR(ENOMEM);
			break;
		}
		sh.snap.tb[i] = st->time_base;
		sh.snap.r_rate[i] = st->r_frame_rate;
		sh.snap.avg_rate[i] = st->avg_frame_rate;
		sh.snap.st_start[i] = st->start_time;
		sh.snap.n = (int)i + 1;
	}
	sh.snap.start_time = src->start_time;
	n = src->nb_streams;
	sh.src = src;
	sh.last_pkt_mono = mono_us();
	sh.history_on = true;
	sh.state = SH_RUNNING;
	if (!e && pthread_create(&th, NULL, share_thread, NULL))
		e = AVERROR(EAGAIN);
	if (e) {
		snapshot_free(&sh.snap);
		sh.src = NULL;
		sh.state = SH_OPENING;
		avformat_close_input(&src);
		return e;
	}
	pthread_detach(th);
	cast_log(CAST_LOG_INFO, "media",
		 "%s: received once, %u streams demuxed once", url, n);
	return 0;
}

/* A context of its own for reader `r` (lock held). */
static int reader_context(struct sreader *r, const char *url)
{
	AVFormatContext *c = avformat_alloc_context();

	if (!c)
		return AVERROR(ENOMEM);
	for (int i = 0; i < sh.snap.n; i++) {
		AVStream *st = avformat_new_stream(c, NULL);

		if (!st || avcodec_parameters_copy(st->codecpar,
						   sh.snap.par[i]) < 0) {
			avformat_free_context(c);
			return AVERROR(ENOMEM);
		}
		st->time_base = sh.snap.tb[i];
		st->r_frame_rate = sh.snap.r_rate[i];
		st->avg_frame_rate = sh.snap.avg_rate[i];
		st->start_time = sh.snap.st_start[i];
	}
	c->start_time = sh.snap.start_time;
	c->duration = AV_NOPTS_VALUE;
	c->url = av_strdup(url);
	c->opaque = r;
	r->ctx = c;
	return 0;
}

int cast__media_share_open(AVFormatContext **fmt, const char *url)
{
	struct sreader *r = NULL;
	int e = 0;

	pthread_mutex_lock(&sh.lock);
	for (;;) {
		if (sh.state != SH_IDLE && strcmp(sh.url, url)) {
			pthread_mutex_unlock(&sh.lock);
			return CAST_ERROR(EBUSY);	/* one live film */
		}
		if (sh.state == SH_RUNNING && !sh.stopping)
			break;
		if (sh.state == SH_IDLE) {
			sh.state = SH_OPENING;
			snprintf(sh.url, sizeof(sh.url), "%s", url);
			sh.started_mono = mono_us();
			sh.stopping = false;
			pthread_mutex_unlock(&sh.lock);
			e = share_start(url);	/* returns with the lock */
			if (e)
				sh.state = SH_IDLE;
			sh.linger_until = mono_us() + SHARE_LINGER_US;
			pthread_cond_broadcast(&sh.cond);
			if (e) {
				pthread_mutex_unlock(&sh.lock);
				return e;
			}
			break;
		}
		/* Being opened, or closing: wait for that to end. */
		pthread_cond_wait(&sh.cond, &sh.lock);
	}
	for (int i = 0; i < SHARE_READERS && !r; i++)
		if (!sh.r[i].open)
			r = &sh.r[i];
	if (!r) {
		pthread_mutex_unlock(&sh.lock);
		return CAST_ERROR(EMFILE);
	}
	memset(r, 0, sizeof(*r));
	e = reader_context(r, url);
	if (e) {
		pthread_mutex_unlock(&sh.lock);
		return e;
	}
	for (int i = 0; i < sh.snap.n; i++)
		r->need_key[i] =
			sh.snap.par[i]->codec_type == AVMEDIA_TYPE_VIDEO;
	r->open = true;
	sh.n_open++;
	/* What the source sent since it opened, while that is kept. */
	for (struct node *nd = sh.history.head; nd; nd = nd->next)
		reader_push(r, nd->pkt);
	*fmt = r->ctx;
	pthread_mutex_unlock(&sh.lock);
	return 0;
}

int cast__media_share_read(AVFormatContext *fmt, AVPacket *pkt)
{
	struct sreader *r = fmt->opaque;
	struct node *nd;

	pthread_mutex_lock(&sh.lock);
	for (int i = 0; i < SHARE_STREAMS && i < (int)fmt->nb_streams; i++)
		r->skip[i] = fmt->streams[i]->discard >= AVDISCARD_ALL;
	for (;;) {
		nd = queue_pop(&r->q);
		if (nd && r->skip[nd->pkt->stream_index]) {
			av_packet_free(&nd->pkt);
			free(nd);
			continue;
		}
		if (nd || r->ended)
			break;
		pthread_cond_wait(&sh.cond, &sh.lock);
	}
	pthread_mutex_unlock(&sh.lock);
	if (!nd)
		return AVERROR_EOF;
	av_packet_move_ref(pkt, nd->pkt);
	av_packet_free(&nd->pkt);
	free(nd);
	return 0;
}

void cast__media_share_close(AVFormatContext **fmt)
{
	struct sreader *r = (*fmt)->opaque;

	pthread_mutex_lock(&sh.lock);
	queue_clear(&r->q);
	if (r->dropped)
		cast_log(CAST_LOG_WARN, "media",
			 "%s: %llu packets dropped (a reader fell behind)",
			 sh.url, (unsigned long long)r->dropped);
	if (r->waited)
		cast_log(CAST_LOG_DEBUG, "media",
			 "%s: %llu packets before the first keyframe", sh.url,
			 (unsigned long long)r->waited);
	r->open = false;
	r->ctx = NULL;
	if (!r->ended && !--sh.n_open)
		sh.linger_until = mono_us() + SHARE_LINGER_US;
	pthread_mutex_unlock(&sh.lock);
	avformat_free_context(*fmt);
	*fmt = NULL;
}
