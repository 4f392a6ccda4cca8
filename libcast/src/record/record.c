/* Lesson recorder: broadcast access units and voice packets muxed by a writer thread. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/mem.h>

#include "cast/cast.h"
#include "cast/record.h"
#include "h264_nal.h"

/* Waiting longer than this (us) for an IDR, a recovery point will do. */
#define WAIT_IDR_US 2000000
/* ctl record stop waits this long (us) for the file to be finished. */
#define STOP_WAIT_US 2000000
/* An unanswered keyframe request is repeated this often (us). */
#define ASK_AGAIN_US 1000000

struct item {
	struct item *next;
	bool video, key;
	int64_t pts_us;		/* from the recording's start */
	int64_t dur_us;		/* video: the gap before it (an estimate) */
	int samples;		/* audio */
	size_t size;
	uint8_t data[];
};

struct cast_recorder {
	struct cast_recorder_cfg cfg;
	char folder[512];
	char title[256];

	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_live;	/* started, not joined */
	enum cast_record_state state;
	bool stopping;		/* the writer ends when the queue is empty */
	int result;		/* why it failed, 0 */
	bool write_error;	/* the file could not be written */
	struct item *head, *tail;
	size_t queued;
	int64_t start_mono, asked_mono;
	int64_t t0_us;		/* capture time of the first picture */
	/* The broadcast is stopped (cast_recorder_pause): nothing is
	 * written, and the time it lasts is left out of the file. */
	bool paused;
	int64_t paused_at_us;
	int64_t last_video_us, last_audio_us;
	struct cast_recorder_stats st;

	/* The writer's own (the output is opened at start, before it runs). */
	AVFormatContext *fmt;
	AVStream *vst, *ast;
	bool header;
};

void cast_recorder_cfg_init(struct cast_recorder_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->audio_channels = 1;
	cfg->audio_preskip = 312;
	cfg->queue_bytes = 64u << 20;
	cfg->flush_ms = 1000;
}

static int errno_of_av(int err)
{
	/* AVERROR(e) is -e: keep errno values, name the rest external. */
	if (err < 0 && err > -4096)
		return err;
	return err == AVERROR_EOF ? CAST_EOF : CAST_EEXTERNAL;
}

static const char *const exts[] = {".mkv", ".mka", ".webm", ".mp4", ".mov"};

/* The name's extension if it is one we write, else NULL. */
static const char *known_ext(const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');

	if (!dot || (slash && dot < slash))
		return NULL;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcasecmp(dot, exts[i]))
			return dot;
	return "";
}

static bool has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || !s[2]))
			return true;
	return false;
}

int cast_recorder_path(char *out, size_t size, const char *folder,
		       const char *name, const char *title, time_t when)
{
	char safe[128], stamp[32];
	const char *ext;
	struct tm tm;
	struct stat sb;
	size_t n = 0;
	int len;

	if (!out || !size || !folder)
		return CAST_ERROR(EINVAL);
	if (name && *name) {
		for (const char *c = name; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return CAST_ERROR(EINVAL);
		if (has_dotdot(name))
			return CAST_ERROR(EINVAL);
		ext = known_ext(name);
		if (ext && !*ext)
			return CAST_ERROR(EINVAL);
		len = strchr(name, '/')
			      ? snprintf(out, size, "%s%s", name,
					 ext ? "" : ".mkv")
			      : snprintf(out, size, "%s/%s%s", folder, name,
					 ext ? "" : ".mkv");
		if (len < 0 || (size_t)len >= size)
			return CAST_ERROR(ENAMETOOLONG);
		if (!lstat(out, &sb))
			return CAST_ERROR(EEXIST);
		return 0;
	}
	/* The title, made a file name: no '/', no control characters. */
	for (const char *c = title && *title ? title : "lesson";
	     *c && n < sizeof(safe) - 1; c++) {
		unsigned char ch = (unsigned char)*c;

		safe[n++] = ch < 0x20 || ch == 0x7f || ch == '/' || ch == ' ' ||
					    ch == '\\'
				    ? '-'
				    : (char)ch;
	}
	safe[n] = 0;
	if (safe[0] == '.')
		safe[0] = '_';
	localtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H%M%S", &tm);
	for (int i = 1; i < 100; i++) {
		char num[8] = "";

		if (i > 1)
			snprintf(num, sizeof(num), "-%d", i);
		len = snprintf(out, size, "%s/%s-%s%s.mkv", folder, safe, stamp,
			       num);
		if (len < 0 || (size_t)len >= size)
			return CAST_ERROR(ENAMETOOLONG);
		if (lstat(out, &sb))
			return 0;
	}
	return CAST_ERROR(EEXIST);
}

int cast_recorder_new(struct cast_recorder **out,
		      const struct cast_recorder_cfg *cfg)
{
	struct cast_recorder *r;
	const char *home = getenv("HOME");

	if (!out || !cfg || cfg->audio_channels < 1 ||
	    cfg->audio_channels > 2 || cfg->audio_preskip < 0 ||
	    cfg->audio_preskip > 48000 || cfg->queue_bytes < 65536 ||
	    cfg->flush_ms < 100 || cfg->flush_ms > 2000)
		return CAST_ERROR(EINVAL);
	r = calloc(1, sizeof(*r));
	if (!r)
		return CAST_ERROR(ENOMEM);
	r->cfg = *cfg;
	if (cfg->folder)
		snprintf(r->folder, sizeof(r->folder), "%s", cfg->folder);
	else
		snprintf(r->folder, sizeof(r->folder), "%s/Videos/libcast",
			 home ? home : ".");
	snprintf(r->title, sizeof(r->title), "%s",
		 cfg->title && *cfg->title ? cfg->title : "lesson");
	r->cfg.folder = r->folder;
	r->cfg.title = r->title;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	*out = r;
	return 0;
}

/* mkdir -p for the default folder (the user's own). */
static int make_folder(const char *path)
{
	char buf[512];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return CAST_ERROR(ENAMETOOLONG);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return CAST_ERROR(errno);
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return CAST_ERROR(errno);
	return 0;
}

static void free_queue(struct cast_recorder *r)
{
	struct item *it;

	while ((it = r->head)) {
		r->head = it->next;
		free(it);
	}
	r->tail = NULL;
	r->queued = 0;
}

static void close_output(struct cast_recorder *r)
{
	if (!r->fmt)
		return;
	if (r->fmt->pb)
		avio_closep(&r->fmt->pb);
	avformat_free_context(r->fmt);
	r->fmt = NULL;
	r->vst = r->ast = NULL;
	r->header = false;
}

/* Fails the recording (lock held): the writer drops the queue and ends. */
static void fail_locked(struct cast_recorder *r, int err, const char *why)
{
	if (r->state == CAST_RECORD_FAILED)
		return;
	r->state = CAST_RECORD_FAILED;
	r->result = err;
	snprintf(r->st.error, sizeof(r->st.error), "%s", why);
	cast_log(CAST_LOG_ERROR, "recorder", "%s: recording stopped (%s)",
		 r->st.path, why);
	pthread_cond_signal(&r->wake);
}

/* OpusHead (RFC 7845 5.1), the track's codec private data. */
static int opus_head(AVCodecParameters *par, int channels, int preskip)
{
	uint8_t *h = av_mallocz(19 + AV_INPUT_BUFFER_PADDING_SIZE);

	if (!h)
		return CAST_ERROR(ENOMEM);
	memcpy(h, "OpusHead", 8);
	h[8] = 1;
	h[9] = (uint8_t)channels;
	h[10] = (uint8_t)(preskip & 255);
	h[11] = (uint8_t)(preskip >> 8);
	h[12] = 48000 & 255;
	h[13] = (48000 >> 8) & 255;
	h[14] = 0;
	h[15] = 0;
	par->extradata = h;
	par->extradata_size = 19;
	return 0;
}

/* The picture size and profile, read from the SPS by libavcodec's parser. */
static int picture_size(AVCodecParameters *par, const struct item *it)
{
	AVCodecParserContext *pc = av_parser_init(AV_CODEC_ID_H264);
	AVCodecContext *ctx = avcodec_alloc_context3(NULL);
	uint8_t *out;
	int out_size, err = 0;

	if (!pc || !ctx) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	pc->flags |= PARSER_FLAG_COMPLETE_FRAMES;
	av_parser_parse2(pc, ctx, &out, &out_size, it->data, (int)it->size,
			 AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
	if (pc->width <= 0 || pc->height <= 0) {
		err = CAST_EMALFORMED;
		goto out;
	}
	par->width = pc->width;
	par->height = pc->height;
	par->profile = ctx->profile;
	par->level = ctx->level;
	par->format = pc->format;
out:
	av_parser_close(pc);
	avcodec_free_context(&ctx);
	return err;
}

/*
 * Writes the header from the first picture's in-band SPS and PPS, which
 * the muxer turns into the track's avcC. Runs on the writer thread.
 */
static int write_header(struct cast_recorder *r, const struct item *it)
{
	const uint8_t *nal, *sps = NULL, *pps = NULL;
	size_t pos = 0, len, sps_len = 0, pps_len = 0;
	AVDictionary *opt = NULL;
	char date[32], buf[16];
	struct tm tm;
	time_t now = time(NULL);
	uint8_t *x;
	int err;

	while ((nal = cast__h264_next_nal(it->data, it->size, &pos, &len))) {
		if ((nal[0] & 0x1f) == CAST__NAL_SPS && !sps) {
			sps = nal;
			sps_len = len;
		} else if ((nal[0] & 0x1f) == CAST__NAL_PPS && !pps) {
			pps = nal;
			pps_len = len;
		}
	}
	if (!sps || !pps)
		return CAST_EMALFORMED;
	err = picture_size(r->vst->codecpar, it);
	if (err)
		return err;
	x = av_mallocz(8 + sps_len + pps_len + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!x)
		return CAST_ERROR(ENOMEM);
	memcpy(x, "\0\0\0\1", 4);
	memcpy(x + 4, sps, sps_len);
	memcpy(x + 4 + sps_len, "\0\0\0\1", 4);
	memcpy(x + 8 + sps_len, pps, pps_len);
	r->vst->codecpar->extradata = x;
	r->vst->codecpar->extradata_size = (int)(8 + sps_len + pps_len);
	if (r->ast) {
		err = opus_head(r->ast->codecpar, r->cfg.audio_channels,
				r->cfg.audio_preskip);
		if (err)
			return err;
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	av_dict_set(&r->fmt->metadata, "title", r->title, 0);
	av_dict_set(&r->fmt->metadata, "date", date, 0);
	av_dict_set(&r->fmt->metadata, "creation_time", date, 0);
	av_dict_set(&r->fmt->metadata, "encoder", "libcast", 0);
	/* A crash loses at most the open cluster or fragment. */
	snprintf(buf, sizeof(buf), "%d", r->cfg.flush_ms);
	av_dict_set(&opt, "cluster_time_limit", buf, 0);
	av_dict_set(&opt, "cluster_size_limit", "4194304", 0);
	snprintf(buf, sizeof(buf), "%d", r->cfg.flush_ms * 1000);
	av_dict_set(&opt, "frag_duration", buf, 0);
	av_dict_set(&opt, "movflags", "frag_keyframe+empty_moov+default_base_moof",
		    0);
	r->fmt->max_interleave_delta = (int64_t)r->cfg.flush_ms * 1000;
	r->fmt->strict_std_compliance = FF_COMPLIANCE_EXPERIMENTAL;
	err = avformat_write_header(r->fmt, &opt);
	av_dict_free(&opt);
	if (err < 0)
		return errno_of_av(err);
	r->header = true;
	return 0;
}

static int write_item(struct cast_recorder *r, const struct item *it)
{
	AVPacket *pkt;
	AVStream *st = it->video ? r->vst : r->ast;
	int err;

	if (!r->header && (err = write_header(r, it)))
		return err;
	pkt = av_packet_alloc();
	if (!pkt)
		return CAST_ERROR(ENOMEM);
	/* The muxer copies what it keeps; the item lives until we return. */
	pkt->data = (uint8_t *)it->data;
	pkt->size = (int)it->size;
	pkt->stream_index = st->index;
	pkt->pts = av_rescale_q(it->pts_us, (AVRational){1, 1000000},
				st->time_base);
	pkt->dts = pkt->pts;
	if (it->samples)
		pkt->duration = av_rescale_q(it->samples, (AVRational){1, 48000},
					     st->time_base);
	else
		pkt->duration = av_rescale_q(it->dur_us, (AVRational){1, 1000000},
					     st->time_base);
	if (it->key)
		pkt->flags |= AV_PKT_FLAG_KEY;
	err = av_interleaved_write_frame(r->fmt, pkt);
	av_packet_free(&pkt);
	if (err >= 0) {
		avio_flush(r->fmt->pb);
		err = r->fmt->pb->error;
	}
	return err < 0 ? errno_of_av(err) : 0;
}

static void describe(char *buf, size_t size, int err)
{
	if (err == CAST_ERROR(ENOSPC))
		snprintf(buf, size, "disk full: %s", cast_strerror(err));
	else
		snprintf(buf, size, "write failed: %s", cast_strerror(err));
}

static void *writer_thread(void *arg)
{
	struct cast_recorder *r = arg;
	struct item *it;
	char why[256];
	int err;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->head && !r->stopping &&
		       r->state != CAST_RECORD_FAILED)
			pthread_cond_wait(&r->wake, &r->lock);
		if (r->state == CAST_RECORD_FAILED)
			break;
		it = r->head;
		if (!it)
			break;	/* stopping, all written */
		r->head = it->next;
		if (!r->head)
			r->tail = NULL;
		r->queued -= it->size;
		pthread_mutex_unlock(&r->lock);
		err = write_item(r, it);
		pthread_mutex_lock(&r->lock);
		if (err) {
			describe(why, sizeof(why), err);
			r->write_error = true;
			fail_locked(r, err, why);
		} else {
			int64_t end = it->pts_us;

			if (it->video)
				r->st.video_frames++;
			else
				r->st.audio_packets++;
			if (it->samples)
				end += (int64_t)it->samples * 1000000 / 48000;
			if ((double)end / 1e6 > r->st.seconds)
				r->st.seconds = (double)end / 1e6;
			r->st.bytes = (uint64_t)avio_tell(r->fmt->pb);
		}
		free(it);
	}
	free_queue(r);
	/* A failure that is not the disk's (it fell behind): the file is
	 * finished, with everything written before. */
	if (r->state != CAST_RECORD_FAILED || !r->write_error) {
		pthread_mutex_unlock(&r->lock);
		err = r->header ? av_write_trailer(r->fmt) : 0;
		if (err >= 0 && r->fmt->pb) {
			avio_flush(r->fmt->pb);
			err = r->fmt->pb->error;
		}
		pthread_mutex_lock(&r->lock);
		if (err < 0) {
			describe(why, sizeof(why), errno_of_av(err));
			r->write_error = true;
			fail_locked(r, errno_of_av(err), why);
		} else {
			r->st.bytes = r->fmt->pb
					      ? (uint64_t)avio_tell(r->fmt->pb)
					      : 0;
			if (r->state != CAST_RECORD_FAILED)
				r->state = CAST_RECORD_IDLE;
			cast_log(CAST_LOG_INFO, "recorder",
				 "%s: %.1f s, %llu bytes", r->st.path,
				 r->st.seconds,
				 (unsigned long long)r->st.bytes);
		}
	}
	pthread_mutex_unlock(&r->lock);
	/* Stopped before its first picture: no empty file is left. */
	if (!r->header)
		unlink(r->st.path);
	close_output(r);
	return NULL;
}

/* Joins a writer that ended (or is ending) — lock not held. */
static void join_writer(struct cast_recorder *r)
{
	if (r->thread_live) {
		pthread_join(r->thread, NULL);
		r->thread_live = false;
	}
}

static int open_output(struct cast_recorder *r, const char *path)
{
	const char *ext = known_ext(path);
	bool mp4 = ext && (!strcasecmp(ext, ".mp4") || !strcasecmp(ext, ".mov"));
	const char *fmt = mp4 ? (!strcasecmp(ext, ".mov") ? "mov" : "mp4")
			      : (ext && !strcasecmp(ext, ".webm") ? "webm"
								  : "matroska");
	int fd, err;

	/* Created here, never over an existing file. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return CAST_ERROR(errno);
	close(fd);
	err = avformat_alloc_output_context2(&r->fmt, NULL, fmt, path);
	if (err < 0)
		goto fail;
	r->vst = avformat_new_stream(r->fmt, NULL);
	if (!r->vst) {
		err = AVERROR(ENOMEM);
		goto fail;
	}
	r->vst->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
	r->vst->codecpar->codec_id = AV_CODEC_ID_H264;
	r->vst->time_base = (AVRational){1, 1000};
	if (r->cfg.audio) {
		r->ast = avformat_new_stream(r->fmt, NULL);
		if (!r->ast) {
			err = AVERROR(ENOMEM);
			goto fail;
		}
		r->ast->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
		r->ast->codecpar->codec_id = AV_CODEC_ID_OPUS;
		r->ast->codecpar->sample_rate = 48000;
		av_channel_layout_default(&r->ast->codecpar->ch_layout,
					  r->cfg.audio_channels);
		r->ast->codecpar->initial_padding = r->cfg.audio_preskip;
		r->ast->time_base = (AVRational){1, 48000};
	}
	err = avio_open(&r->fmt->pb, path, AVIO_FLAG_WRITE);
	if (err < 0)
		goto fail;
	return 0;
fail:
	close_output(r);
	unlink(path);
	return errno_of_av(err);
}

int cast_recorder_start(struct cast_recorder *r, const char *name)
{
	char path[1024];
	bool waiting;
	int err;

	if (!r)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	waiting = r->state == CAST_RECORD_WAITING ||
		  r->state == CAST_RECORD_RECORDING;
	pthread_mutex_unlock(&r->lock);
	if (waiting)
		return CAST_ERROR(EALREADY);
	join_writer(r);
	if (!name || !*name || !strchr(name, '/')) {
		err = make_folder(r->folder);
		if (err) {
			cast_log(CAST_LOG_ERROR, "recorder", "%s: %s",
				 r->folder, cast_strerror(err));
			return err;
		}
	}
	err = cast_recorder_path(path, sizeof(path), r->folder, name, r->title,
				 time(NULL));
	if (!err)
		err = open_output(r, path);
	if (err) {
		cast_log(CAST_LOG_ERROR, "recorder", "cannot record to %s: %s",
			 name && *name ? name : r->folder, cast_strerror(err));
		return err;
	}
	pthread_mutex_lock(&r->lock);
	r->state = CAST_RECORD_WAITING;
	r->stopping = false;
	r->result = 0;
	r->write_error = false;
	r->start_mono = r->asked_mono = cast_mono_us();
	r->last_video_us = r->last_audio_us = INT64_MIN;
	memset(&r->st, 0, offsetof(struct cast_recorder_stats, files));
	r->st.error[0] = 0;
	r->st.files++;
	snprintf(r->st.path, sizeof(r->st.path), "%s", path);
	err = pthread_create(&r->thread, NULL, writer_thread, r);
	if (err) {
		r->state = CAST_RECORD_IDLE;
		pthread_mutex_unlock(&r->lock);
		close_output(r);
		unlink(path);
		return CAST_ERROR(err);
	}
	r->thread_live = true;
	pthread_mutex_unlock(&r->lock);
	cast_log(CAST_LOG_INFO, "recorder", "recording to %s", path);
	if (r->cfg.need_keyframe)
		r->cfg.need_keyframe(r->cfg.arg);
	return 0;
}

int cast_recorder_stop(struct cast_recorder *r, bool wait)
{
	int err;

	if (!r)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	if (r->state == CAST_RECORD_FAILED) {
		err = r->result;
		pthread_mutex_unlock(&r->lock);
		if (wait)
			join_writer(r);
		return err;
	}
	if (!r->thread_live || r->stopping) {
		pthread_mutex_unlock(&r->lock);
		if (wait)
			join_writer(r);
		return r->thread_live ? 0 : CAST_ERROR(ENOENT);
	}
	r->stopping = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	if (!wait)
		return 0;
	join_writer(r);
	pthread_mutex_lock(&r->lock);
	err = r->state == CAST_RECORD_FAILED ? r->result : 0;
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* Queues one item (lock held); a writer too far behind fails the recording. */
static int push_locked(struct cast_recorder *r, bool video, bool key,
		       const uint8_t *data, size_t size, int64_t pts_us,
		       int samples)
{
	struct item *it;
	char why[256];

	if (r->queued + size > r->cfg.queue_bytes) {
		snprintf(why, sizeof(why),
			 "the disk cannot keep up: %zu KiB waiting",
			 r->queued / 1024);
		fail_locked(r, CAST_ERROR(ENOBUFS), why);
		return CAST_ERROR(ENOBUFS);
	}
	it = malloc(sizeof(*it) + size);
	if (!it) {
		fail_locked(r, CAST_ERROR(ENOMEM), "out of memory");
		return CAST_ERROR(ENOMEM);
	}
	it->next = NULL;
	it->video = video;
	it->key = key;
	it->pts_us = pts_us;
	it->dur_us = 0;
	it->samples = samples;
	it->size = size;
	memcpy(it->data, data, size);
	if (r->tail)
		r->tail->next = it;
	else
		r->head = it;
	r->tail = it;
	r->queued += size;
	pthread_cond_signal(&r->wake);
	return 0;
}

static bool has_idr(const struct cast_packet *pkt)
{
	const uint8_t *nal;
	size_t pos = 0, len;
	bool idr = false, sps = false;

	while ((nal = cast__h264_next_nal(pkt->data, pkt->size, &pos, &len))) {
		idr |= (nal[0] & 0x1f) == CAST__NAL_IDR;
		sps |= (nal[0] & 0x1f) == CAST__NAL_SPS;
	}
	return idr && sps;
}

static bool has_sps(const struct cast_packet *pkt)
{
	const uint8_t *nal;
	size_t pos = 0, len;

	while ((nal = cast__h264_next_nal(pkt->data, pkt->size, &pos, &len)))
		if ((nal[0] & 0x1f) == CAST__NAL_SPS)
			return true;
	return false;
}

void cast_recorder_video(struct cast_recorder *r, const struct cast_packet *pkt)
{
	int64_t now, ts, dur;
	bool ask = false;

	if (!r || !pkt || !pkt->data || !pkt->size || pkt->size > INT_MAX)
		return;
	pthread_mutex_lock(&r->lock);
	if (r->stopping || r->paused ||
	    (r->state != CAST_RECORD_WAITING &&
	     r->state != CAST_RECORD_RECORDING))
		goto out;
	now = cast_mono_us();
	ts = pkt->capture_us ? pkt->capture_us : cast_now_us();
	if (r->state == CAST_RECORD_WAITING) {
		/* A file starts where a decoder can: an IDR with its
		 * parameter sets, or (the encoder not obliging) a refresh. */
		if (!(has_idr(pkt) ||
		      (pkt->keyframe && has_sps(pkt) &&
		       now - r->start_mono > WAIT_IDR_US))) {
			r->st.skipped++;
			if (now - r->asked_mono > ASK_AGAIN_US) {
				r->asked_mono = now;
				ask = true;
			}
			goto out;
		}
		r->state = CAST_RECORD_RECORDING;
		r->t0_us = ts;
	}
	ts -= r->t0_us;
	/* Strictly increasing, whatever the capture clock did. */
	if (ts <= r->last_video_us)
		ts = r->last_video_us + 1000;
	/* A picture lasts until the next; not known yet, the last gap is
	 * the guess (MP4 fragments want one). */
	dur = r->last_video_us == INT64_MIN ? 33333 : ts - r->last_video_us;
	r->last_video_us = ts;
	if (!push_locked(r, true, pkt->keyframe, pkt->data, pkt->size, ts, 0))
		r->tail->dur_us = dur;
out:
	pthread_mutex_unlock(&r->lock);
	if (ask && r->cfg.need_keyframe)
		r->cfg.need_keyframe(r->cfg.arg);
}

int cast_recorder_audio(struct cast_recorder *r, const uint8_t *opus,
			size_t len, int64_t capture_us, int samples)
{
	int64_t ts;
	int err = 0;

	if (!r || !r->cfg.audio || !opus || !len || len > 65536 ||
	    samples <= 0 || samples > 48000 * 120 / 1000)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	if (r->state != CAST_RECORD_RECORDING || r->stopping || r->paused)
		goto out;
	ts = capture_us - r->t0_us;
	if (ts < 0)
		goto out;	/* before the first picture */
	if (ts <= r->last_audio_us)
		ts = r->last_audio_us + 1;
	r->last_audio_us = ts;
	err = push_locked(r, false, true, opus, len, ts, samples);
out:
	pthread_mutex_unlock(&r->lock);
	return err;
}

void cast_recorder_pause(struct cast_recorder *r, bool paused)
{
	int64_t now = cast_now_us();

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	if (paused && !r->paused) {
		r->paused_at_us = now;
	} else if (!paused && r->paused && r->state == CAST_RECORD_RECORDING) {
		/* The file's clock skips the stop: what comes next follows
		 * the last picture as if no time had passed. */
		r->t0_us += now - r->paused_at_us;
		r->st.paused_seconds += (double)(now - r->paused_at_us) / 1e6;
	}
	r->paused = paused;
	pthread_mutex_unlock(&r->lock);
}

void cast_recorder_stats(struct cast_recorder *r, struct cast_recorder_stats *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	st->state = r->state;
	st->paused = r->paused;
	st->recording = (r->state == CAST_RECORD_WAITING ||
			 r->state == CAST_RECORD_RECORDING) &&
			!r->stopping;
	pthread_mutex_unlock(&r->lock);
}

static const char *state_name(enum cast_record_state s)
{
	switch (s) {
	case CAST_RECORD_WAITING:
		return "waiting";
	case CAST_RECORD_RECORDING:
		return "recording";
	case CAST_RECORD_FAILED:
		return "failed";
	default:
		return "idle";
	}
}

void cast_recorder_json(struct cast_recorder *r, struct cast_json *j)
{
	struct cast_recorder_stats st;

	cast_recorder_stats(r, &st);
	cast_json_bool(j, "recording", st.recording);
	cast_json_str(j, "record_state",
		      st.recording || st.state == CAST_RECORD_IDLE ||
				      st.state == CAST_RECORD_FAILED
			      ? state_name(st.state)
			      : "finishing");
	cast_json_str(j, "record_path", st.path);
	cast_json_num(j, "record_seconds", st.seconds);
	cast_json_int(j, "record_bytes", (int64_t)st.bytes);
	cast_json_int(j, "record_frames", (int64_t)st.video_frames);
	cast_json_int(j, "record_audio_packets", (int64_t)st.audio_packets);
	cast_json_int(j, "record_files", (int64_t)st.files);
	cast_json_str(j, "record_error", st.error);
	cast_json_bool(j, "record_paused", st.paused);
	cast_json_num(j, "record_paused_seconds", st.paused_seconds);
}

static char *answer(struct cast_recorder *r, int err, const char *what)
{
	struct cast_json j;
	char msg[300];

	cast_json_begin(&j);
	cast_json_bool(&j, "ok", !err);
	if (err) {
		snprintf(msg, sizeof(msg), "%s: %s", what, cast_strerror(err));
		cast_json_str(&j, "error", msg);
	}
	cast_recorder_json(r, &j);
	cast_json_end(&j);
	return cast_json_take(&j);
}

char *cast_recorder_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	struct cast_recorder *r = arg;
	const char *path = NULL;
	int err;

	(void)req;
	if (argc < 2)
		return answer(r, 0, NULL);
	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "path=", 5) && !strcmp(argv[1], "start"))
			path = argv[i] + 5;
		else
			return answer(r, CAST_ERROR(EINVAL), argv[i]);
	}
	if (!strcmp(argv[1], "start")) {
		err = cast_recorder_start(r, path);
		return answer(r, err, "record start");
	}
	if (!strcmp(argv[1], "stop")) {
		/* This runs on the control plane's thread: wait for the writer
		 * (the index is a few ms) at most STOP_WAIT_US, then answer;
		 * a writer still behind finishes on its own ("finishing"). */
		err = cast_recorder_stop(r, false);
		for (int64_t t0 = cast_mono_us();
		     !err && cast_mono_us() - t0 < STOP_WAIT_US;) {
			struct cast_recorder_stats st;

			cast_recorder_stats(r, &st);
			if (st.state == CAST_RECORD_IDLE ||
			    st.state == CAST_RECORD_FAILED)
				break;
			usleep(5000);
		}
		if (!err) {
			pthread_mutex_lock(&r->lock);
			if (r->state == CAST_RECORD_FAILED)
				err = r->result;
			pthread_mutex_unlock(&r->lock);
		}
		return answer(r, err, "record stop");
	}
	return answer(r, CAST_ERROR(EINVAL), argv[1]);
}

void cast_recorder_free(struct cast_recorder **pr)
{
	struct cast_recorder *r = pr ? *pr : NULL;

	if (!r)
		return;
	cast_recorder_stop(r, true);
	join_writer(r);
	close_output(r);
	free_queue(r);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*pr = NULL;
}
