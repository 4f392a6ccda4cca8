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
#include "cast/record.h"
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
 *
 * An RTSP server's film with a length can seek (cast__media_share_seek):
 * the thread does it between two packets, and every reader's queue starts
 * again from the new position. A film's picture and sound each seek for
 * one jump of the film's clock, and again when the picture settles the
 * clock on its keyframe: a seek within what the source sent since its last
 * seek is served from the kept packets (the history, kept again from each
 * seek on), only another time asks the server again. The server sends
 * from a PLAY with a Range; libavformat stamps what comes after it from
 * the reply's range and RTP-Info, so the packets still in the socket from
 * before (sent before the PAUSE reached the server) would be stamped as if
 * they came after: GStreamer's server starts its RTP times again at each
 * seek, and they land seconds past the target. So the thread pauses the
 * session first, reads and drops what still arrives (SHARE_DRAIN_US), and
 * only then seeks and plays. The first picture after a PLAY has no time
 * (libavformat's H.264 parser gives the keyframe with the SPS and PPS
 * none): a video packet without one is held until its stream's next
 * packet and stamped a frame before it.
 *
 * Packets a reader lost (it fell behind) are counted by their kind for the
 * process's stats (cast_media_share_stats): a picture's reader plays only
 * video, a sound's only audio.
 */
#define SHARE_QUEUE_BYTES (16u << 20)
#define SHARE_QUEUE_PKTS 20000
#define SHARE_HISTORY_US (10 * 1000000)
#define SHARE_IDLE_US (5 * 1000000)
#define SHARE_OPEN_US (15 * 1000000)
#define SHARE_LINGER_US (3 * 1000000)
#define SHARE_DRAIN_US 200000	/* after a PAUSE, before the seek */
#define SHARE_SEEK_NEAR_US 1000000	/* a reader's seek served by history */
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
	int64_t duration;	/* AV_TIME_BASE; AV_NOPTS_VALUE: live */
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
	int64_t history_mono;	/* when the history (re)started */
	/* The source's times (AV_TIME_BASE) in the history: its first and
	 * last packet's. */
	int64_t hist_first, hist_last;
	/* Seeking: asked and not done yet (seek_pending), being done
	 * (seeking), and the last one done and its target (AV_TIME_BASE). */
	bool seek_pending, seeking, seek_done;
	int64_t seek_req, seek_target;
	int64_t drain_until;	/* monotonic; 0: not draining */
	/* Packets readers lost, every source so far (video, audio). */
	uint64_t lost_video, lost_audio;
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

/* A packet of stream `si` reader `r` lost (lock held). */
static void count_lost(struct sreader *r, int si)
{
	r->dropped++;
	if (sh.snap.par[si]->codec_type == AVMEDIA_TYPE_VIDEO)
		sh.lost_video++;
	else if (sh.snap.par[si]->codec_type == AVMEDIA_TYPE_AUDIO)
		sh.lost_audio++;
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
		count_lost(r, si);
		if (sh.snap.par[si]->codec_type == AVMEDIA_TYPE_VIDEO) {
			r->need_key[si] = true;
			r->key_waited[si] = 0;
		}
		return;
	}
	nd = node_of(pkt);
	if (!nd) {
		count_lost(r, si);
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
	else if (sh.drain_until && now >= sh.drain_until)
		stop = 1;
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

/* The source's time of `pkt` (AV_TIME_BASE), AV_NOPTS_VALUE if none. */
static int64_t pkt_time(const AVPacket *pkt)
{
	int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
	int si = pkt->stream_index;

	if (ts == AV_NOPTS_VALUE || si < 0 || si >= sh.snap.n)
		return AV_NOPTS_VALUE;
	return av_rescale_q(ts, sh.snap.tb[si], AV_TIME_BASE_Q);
}

/* Starts the history again (lock held): from the source's start or a
 * seek on. */
static void history_restart(int64_t now)
{
	queue_clear(&sh.history);
	sh.history_on = true;
	sh.history_mono = now;
	sh.hist_first = INT64_MAX;
	sh.hist_last = INT64_MIN;
}

/* Hands `pkt` to every reader and to the history (lock held). */
static void share_packet(const AVPacket *pkt, int64_t now)
{
	struct node *nd;
	int64_t t;

	for (int i = 0; i < SHARE_READERS; i++)
		if (sh.r[i].open && !sh.r[i].ended)
			reader_push(&sh.r[i], pkt);
	/* A reader whose queue ran empty (a seek emptied it, or it read
	 * all there was) waits for the next. */
	pthread_cond_broadcast(&sh.cond);
	if (sh.history_on && (now - sh.history_mono > SHARE_HISTORY_US ||
			      sh.history.bytes > SHARE_QUEUE_BYTES / 2)) {
		sh.history_on = false;
		queue_clear(&sh.history);
	}
	if (!sh.history_on || !(nd = node_of(pkt)))
		return;
	queue_push(&sh.history, nd);
	t = pkt_time(pkt);
	if (t != AV_NOPTS_VALUE) {
		sh.hist_first = FFMIN(sh.hist_first, t);
		sh.hist_last = FFMAX(sh.hist_last, t);
	}
}

/*
 * `pkt` is its stream's next after `held`, a video packet without a time:
 * that one was a frame before it (the keyframe that starts a PLAY).
 */
static void stamp_held(AVPacket *held, const AVPacket *pkt)
{
	int si = held->stream_index;
	AVRational rate = sh.snap.r_rate[si];
	int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;

	if (ts == AV_NOPTS_VALUE)
		return;
	if (rate.num <= 0 || rate.den <= 0)
		rate = sh.snap.avg_rate[si];
	if (rate.num > 0 && rate.den > 0)
		ts -= av_rescale_q(1, av_inv_q(rate), sh.snap.tb[si]);
	held->pts = held->dts = ts;
}

/*
 * Moves the source to `target` (AV_TIME_BASE; the thread, without the
 * lock): PAUSE, what still arrives read and dropped, the seek, PLAY with
 * the range. Then every reader's queue and the history start again.
 */
static void seek_source(int64_t target, AVPacket *pkt, AVPacket **held)
{
	int64_t t0 = mono_us(), now;
	int drained = 0, e;
	bool paused = av_read_pause(sh.src) >= 0;

	if (paused) {
		int64_t until = mono_us() + SHARE_DRAIN_US;

		pthread_mutex_lock(&sh.lock);
		sh.drain_until = until;
		pthread_mutex_unlock(&sh.lock);
		while (mono_us() < until) {
			e = av_read_frame(sh.src, pkt);
			if (e < 0 && e != AVERROR(EAGAIN))
				break;
			if (!e)
				drained++;
			av_packet_unref(pkt);
		}
		pthread_mutex_lock(&sh.lock);
		sh.drain_until = 0;
		pthread_mutex_unlock(&sh.lock);
	}
	e = av_seek_frame(sh.src, -1, target, AVSEEK_FLAG_BACKWARD);
	if (paused) {
		int e2 = av_read_play(sh.src);

		if (!e)
			e = e2;
	}
	for (int i = 0; i < SHARE_STREAMS; i++)
		av_packet_free(&held[i]);
	now = mono_us();
	pthread_mutex_lock(&sh.lock);
	for (int i = 0; i < SHARE_READERS; i++) {
		struct sreader *r = &sh.r[i];

		if (!r->open || r->ended)
			continue;
		queue_clear(&r->q);
		for (int k = 0; k < sh.snap.n; k++) {
			r->need_key[k] = sh.snap.par[k]->codec_type ==
					 AVMEDIA_TYPE_VIDEO;
			r->key_waited[k] = 0;
		}
	}
	history_restart(now);
	sh.seeking = false;
	sh.seek_done = true;
	sh.last_pkt_mono = now;
	pthread_cond_broadcast(&sh.cond);
	pthread_mutex_unlock(&sh.lock);
	if (e < 0) {
		char msg[AV_ERROR_MAX_STRING_SIZE];

		av_strerror(e, msg, sizeof(msg));
		cast_log(CAST_LOG_WARN, "media", "%s: seek to %.3f s: %s",
			 sh.url, (double)target / AV_TIME_BASE, msg);
	} else {
		cast_log(CAST_LOG_INFO, "media",
			 "%s: to %.3f s (%d packets from before dropped, "
			 "%.0f ms)",
			 sh.url, (double)target / AV_TIME_BASE, drained,
			 (double)(now - t0) / 1000);
	}
}

static void *share_thread(void *arg)
{
	AVPacket *pkt = av_packet_alloc();
	AVPacket *held[SHARE_STREAMS] = {NULL};
	int e = pkt ? 0 : AVERROR(ENOMEM);

	(void)arg;
	while (!e) {
		int64_t now, target = 0;
		bool seek;

		pthread_mutex_lock(&sh.lock);
		seek = sh.seek_pending && !sh.stopping;
		if (seek) {
			target = sh.seek_target = sh.seek_req;
			sh.seek_pending = false;
			sh.seeking = true;
		}
		pthread_mutex_unlock(&sh.lock);
		if (seek) {
			seek_source(target, pkt, held);
			continue;
		}
		e = av_read_frame(sh.src, pkt);
		if (e == AVERROR(EAGAIN)) {
			e = 0;
			continue;
		}
		now = mono_us();
		pthread_mutex_lock(&sh.lock);
		if (!e) {
			int si = pkt->stream_index;
			bool hold = false;

			sh.last_pkt_mono = now;
			if (si >= 0 && si < sh.snap.n) {
				if (held[si]) {
					stamp_held(held[si], pkt);
					share_packet(held[si], now);
					av_packet_free(&held[si]);
				}
				hold = pkt->pts == AV_NOPTS_VALUE &&
				       pkt->dts == AV_NOPTS_VALUE &&
				       sh.snap.par[si]->codec_type ==
					       AVMEDIA_TYPE_VIDEO &&
				       (held[si] = av_packet_clone(pkt));
			}
			if (!hold)
				share_packet(pkt, now);
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
	for (int i = 0; i < SHARE_STREAMS; i++)
		av_packet_free(&held[i]);
	av_packet_free(&pkt);
	/* Outside the lock: an RTSP session says goodbye to its server. */
	avformat_close_input(&sh.src);
	pthread_mutex_lock(&sh.lock);
	queue_clear(&sh.history);
	snapshot_free(&sh.snap);
	sh.state = SH_IDLE;
	sh.stopping = false;
	sh.seek_pending = sh.seeking = sh.seek_done = false;
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
	/* An RTSP server's film with a length can seek; an RTP stream by
	 * SDP and a live RTSP source cannot. */
	sh.snap.duration = !strcmp(src->iformat->name, "rtsp") &&
					   src->duration != AV_NOPTS_VALUE &&
					   src->duration > 0
				   ? src->duration
				   : AV_NOPTS_VALUE;
	n = src->nb_streams;
	sh.src = src;
	sh.last_pkt_mono = mono_us();
	history_restart(sh.last_pkt_mono);
	sh.seek_pending = sh.seeking = sh.seek_done = false;
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
	c->duration = sh.snap.duration;
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
			/* The last film, lingering with no reader: it
			 * goes, this one comes. */
			if (sh.state == SH_RUNNING && !sh.n_open)
				sh.stopping = true;
			if (sh.state == SH_RUNNING && sh.stopping) {
				pthread_cond_wait(&sh.cond, &sh.lock);
				continue;
			}
			if (sh.state == SH_CLOSING) {
				pthread_cond_wait(&sh.cond, &sh.lock);
				continue;
			}
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

/* Is `t` (AV_TIME_BASE) in what the source sent since its last seek, or
 * about to (lock held)? */
static bool near_history(int64_t t)
{
	int64_t lo = sh.hist_first != INT64_MAX
			     ? sh.hist_first - SHARE_SEEK_NEAR_US / 10
			     : sh.seek_target - SHARE_SEEK_NEAR_US;
	int64_t hi = FFMAX(sh.seek_target,
			   sh.hist_last != INT64_MIN ? sh.hist_last
						     : sh.seek_target) +
		     SHARE_SEEK_NEAR_US;

	return t >= lo && t <= hi;
}

int cast__media_share_seek(AVFormatContext *fmt, int stream, int64_t ts,
			   int flags)
{
	struct sreader *r = fmt->opaque;
	int64_t t;

	(void)flags;	/* the server lands where it can: a keyframe */
	pthread_mutex_lock(&sh.lock);
	if (r->ended) {
		pthread_mutex_unlock(&sh.lock);
		return AVERROR_EOF;
	}
	if (sh.snap.duration == AV_NOPTS_VALUE) {
		pthread_mutex_unlock(&sh.lock);
		return AVERROR(ESPIPE);
	}
	t = stream >= 0 && stream < sh.snap.n
		    ? av_rescale_q(ts, sh.snap.tb[stream], AV_TIME_BASE_Q)
		    : ts;
	queue_clear(&r->q);
	for (int i = 0; i < sh.snap.n; i++) {
		r->need_key[i] =
			sh.snap.par[i]->codec_type == AVMEDIA_TYPE_VIDEO;
		r->key_waited[i] = 0;
	}
	if (sh.seek_pending) {
		sh.seek_req = t;	/* the newest wins */
	} else if (sh.seeking) {
		/* The packets from that seek come to this reader too. */
		if (llabs(t - sh.seek_target) > SHARE_SEEK_NEAR_US) {
			sh.seek_pending = true;
			sh.seek_req = t;
		}
	} else if (sh.seek_done && sh.history_on && near_history(t)) {
		for (struct node *nd = sh.history.head; nd; nd = nd->next)
			reader_push(r, nd->pkt);
	} else {
		sh.seek_pending = true;
		sh.seek_req = t;
	}
	pthread_mutex_unlock(&sh.lock);
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

void cast_media_share_stats(struct cast_media_share_stats *st)
{
	pthread_mutex_lock(&sh.lock);
	st->video_dropped = sh.lost_video;
	st->audio_dropped = sh.lost_audio;
	pthread_mutex_unlock(&sh.lock);
}
