/* Recorded-lesson player: libavformat demux, libavcodec decode, atempo speed, app-driven clock. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/player.h"

/* Audio is decoded this far (media seconds) ahead of the position. */
#define AUDIO_LEAD_S 0.25
/* A seek decodes from this far (s) before: one refresh period and some. */
#define PREROLL_S 1.5
/* Decoded pictures waiting for their time, at most. */
#define VQ_MAX 16

struct cast_player {
	struct cast_player_cfg cfg;
	char path[1024];
	AVFormatContext *fmt;
	int vidx, aidx;
	AVCodecContext *vdec, *adec;
	AVPacket *pkt;
	AVFrame *frame;
	double start_s;		/* the file's first timestamp */
	struct cast_player_info info;

	/* Video: decoded pictures in order, the one shown. */
	AVFrame *vq[VQ_MAX];
	double vq_pts[VQ_MAX];
	int vq_len;
	AVFrame *cur;
	struct SwsContext *sws;
	AVFrame *yuv;		/* cur converted when not I420 */
	double last_video_pts;

	/* Audio: decoder → atempo → float ring the device pulls from. */
	AVFilterGraph *graph;
	AVFilterContext *src, *sink;
	AVFrame *afilt;
	double audio_pts;	/* end of the audio decoded so far */
	pthread_mutex_t alock;
	float *ring;		/* cap frames x channels */
	size_t ring_cap, ring_head, ring_len;

	/* Clock. */
	double position, speed;
	int64_t last_now;
	bool clock_set, paused, ended;
	bool demux_eof, v_done, a_done;
	bool seeking;		/* pictures before the first shown: run-up */
	struct cast_player_stats st;	/* audio counters under alock */
};

void cast_player_cfg_init(struct cast_player_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->audio_rate = 48000;
	cfg->audio_channels = 2;
	cfg->audio_buffer_ms = 2000;
}

static int av_to_cast(int err)
{
	if (err == AVERROR_EOF)
		return CAST_EOF;
	if (err == AVERROR_INVALIDDATA)
		return CAST_EMALFORMED;
	if (err < 0 && err > -4096)
		return err;
	return CAST_EEXTERNAL;
}

static int open_decoder(struct cast_player *p, int idx, AVCodecContext **out)
{
	AVStream *st = p->fmt->streams[idx];
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	AVCodecContext *ctx;
	int err;

	if (!codec)
		return CAST_ENOBACKEND;
	ctx = avcodec_alloc_context3(codec);
	if (!ctx)
		return CAST_ERROR(ENOMEM);
	err = avcodec_parameters_to_context(ctx, st->codecpar);
	if (err >= 0) {
		ctx->pkt_timebase = st->time_base;
		ctx->thread_count = 2;
		err = avcodec_open2(ctx, codec, NULL);
	}
	if (err < 0) {
		avcodec_free_context(&ctx);
		return av_to_cast(err);
	}
	*out = ctx;
	return 0;
}

/* (Re)builds abuffer → atempo=speed → aformat → abuffersink. */
static int build_filter(struct cast_player *p)
{
	const AVFilter *abuf = avfilter_get_by_name("abuffer");
	const AVFilter *asink = avfilter_get_by_name("abuffersink");
	AVFilterInOut *in = NULL, *outs = NULL;
	AVRational tb = p->fmt->streams[p->aidx]->time_base;
	char args[512], layout[128], chain[256];
	int err;

	avfilter_graph_free(&p->graph);
	p->src = p->sink = NULL;
	p->graph = avfilter_graph_alloc();
	if (!p->graph || !abuf || !asink)
		return CAST_ERROR(ENOMEM);
	av_channel_layout_describe(&p->adec->ch_layout, layout, sizeof(layout));
	snprintf(args, sizeof(args),
		 "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
		 tb.num, tb.den, p->adec->sample_rate,
		 av_get_sample_fmt_name(p->adec->sample_fmt), layout);
	err = avfilter_graph_create_filter(&p->src, abuf, "in", args, NULL,
					   p->graph);
	if (err >= 0)
		err = avfilter_graph_create_filter(&p->sink, asink, "out", NULL,
						   NULL, p->graph);
	if (err < 0)
		goto out;
	snprintf(chain, sizeof(chain),
		 "atempo=%.4f,aformat=sample_fmts=flt:sample_rates=%d:"
		 "channel_layouts=%s",
		 p->speed, p->cfg.audio_rate,
		 p->cfg.audio_channels == 1 ? "mono" : "stereo");
	outs = avfilter_inout_alloc();
	in = avfilter_inout_alloc();
	if (!outs || !in) {
		err = AVERROR(ENOMEM);
		goto out;
	}
	outs->name = av_strdup("in");
	outs->filter_ctx = p->src;
	in->name = av_strdup("out");
	in->filter_ctx = p->sink;
	err = avfilter_graph_parse_ptr(p->graph, chain, &in, &outs, NULL);
	if (err >= 0)
		err = avfilter_graph_config(p->graph, NULL);
out:
	avfilter_inout_free(&in);
	avfilter_inout_free(&outs);
	if (err < 0) {
		cast_log(CAST_LOG_ERROR, "player", "audio filter: %s",
			 av_err2str(err));
		avfilter_graph_free(&p->graph);
		p->src = p->sink = NULL;
		return av_to_cast(err);
	}
	return 0;
}

int cast_player_new(struct cast_player **out, const struct cast_player_cfg *cfg)
{
	struct cast_player *p;
	const AVInputFormat *ifmt = NULL;
	AVDictionaryEntry *t;
	int err;

	if (!out || !cfg || !cfg->path || cfg->audio_rate < 8000 ||
	    cfg->audio_rate > 192000 || cfg->audio_channels < 1 ||
	    cfg->audio_channels > 2 || cfg->audio_buffer_ms < 100 ||
	    cfg->audio_buffer_ms > 10000)
		return CAST_ERROR(EINVAL);
	p = calloc(1, sizeof(*p));
	if (!p)
		return CAST_ERROR(ENOMEM);
	p->cfg = *cfg;
	snprintf(p->path, sizeof(p->path), "%s", cfg->path);
	p->cfg.path = p->path;
	p->vidx = p->aidx = -1;
	p->speed = 1.0;
	p->paused = true;
	pthread_mutex_init(&p->alock, NULL);
	p->pkt = av_packet_alloc();
	p->frame = av_frame_alloc();
	p->afilt = av_frame_alloc();
	p->ring_cap = (size_t)cfg->audio_rate * (size_t)cfg->audio_buffer_ms /
		      1000;
	p->ring = calloc(p->ring_cap * (size_t)cfg->audio_channels,
			 sizeof(float));
	if (!p->pkt || !p->frame || !p->afilt || !p->ring) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	if (cfg->format && !(ifmt = av_find_input_format(cfg->format))) {
		err = CAST_ERROR(EINVAL);
		goto out;
	}
	err = avformat_open_input(&p->fmt, p->path, ifmt, NULL);
	if (err < 0) {
		err = av_to_cast(err);
		goto out;
	}
	err = avformat_find_stream_info(p->fmt, NULL);
	if (err < 0) {
		err = CAST_EMALFORMED;
		goto out;
	}
	p->vidx = av_find_best_stream(p->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL,
				      0);
	p->aidx = av_find_best_stream(p->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL,
				      0);
	if (p->vidx >= 0 && open_decoder(p, p->vidx, &p->vdec))
		p->vidx = -1;
	if (p->aidx >= 0 && open_decoder(p, p->aidx, &p->adec))
		p->aidx = -1;
	if (p->aidx >= 0 && build_filter(p))
		p->aidx = -1;
	if (p->vidx < 0 && p->aidx < 0) {
		err = CAST_EMALFORMED;
		goto out;
	}
	p->start_s = p->fmt->start_time != AV_NOPTS_VALUE
			     ? p->fmt->start_time / (double)AV_TIME_BASE
			     : 0;
	p->info.duration = p->fmt->duration > 0
				   ? p->fmt->duration / (double)AV_TIME_BASE
				   : 0;
	p->info.has_video = p->vidx >= 0;
	p->info.has_audio = p->aidx >= 0;
	if (p->vidx >= 0) {
		AVStream *st = p->fmt->streams[p->vidx];

		p->info.width = p->vdec->width;
		p->info.height = p->vdec->height;
		p->info.fps = st->avg_frame_rate.den
				      ? av_q2d(st->avg_frame_rate)
				      : 0;
		snprintf(p->info.video_codec, sizeof(p->info.video_codec),
			 "%s", avcodec_get_name(st->codecpar->codec_id));
	}
	if (p->aidx >= 0)
		snprintf(p->info.audio_codec, sizeof(p->info.audio_codec),
			 "%s",
			 avcodec_get_name(
				 p->fmt->streams[p->aidx]->codecpar->codec_id));
	t = av_dict_get(p->fmt->metadata, "title", NULL, 0);
	if (t)
		snprintf(p->info.title, sizeof(p->info.title), "%s", t->value);
	p->v_done = p->vidx < 0;
	p->a_done = p->aidx < 0;
	p->last_video_pts = -1;
	*out = p;
	return 0;
out:
	cast_player_free(&p);
	return err;
}

void cast_player_info(const struct cast_player *p, struct cast_player_info *i)
{
	*i = p->info;
}

void cast_player_pause(struct cast_player *p, bool paused)
{
	if (!paused && p->ended)
		return;
	/* The audio device reads it on its own thread. */
	pthread_mutex_lock(&p->alock);
	p->paused = paused;
	pthread_mutex_unlock(&p->alock);
}

int cast_player_set_speed(struct cast_player *p, double speed)
{
	if (!(speed >= CAST_PLAYER_SPEED_MIN && speed <= CAST_PLAYER_SPEED_MAX))
		return CAST_ERROR(ERANGE);
	if (speed == p->speed)
		return 0;
	p->speed = speed;
	return p->aidx >= 0 ? build_filter(p) : 0;
}

/* Appends filtered audio to the ring; the oldest goes if the device lags. */
static void ring_put(struct cast_player *p, const float *s, size_t n)
{
	size_t ch = (size_t)p->cfg.audio_channels;

	pthread_mutex_lock(&p->alock);
	for (size_t i = 0; i < n; i++) {
		size_t at;

		if (p->ring_len == p->ring_cap) {
			p->ring_head = (p->ring_head + 1) % p->ring_cap;
			p->ring_len--;
			p->st.audio_dropped++;
		}
		at = (p->ring_head + p->ring_len) % p->ring_cap;
		memcpy(&p->ring[at * ch], &s[i * ch], ch * sizeof(float));
		p->ring_len++;
	}
	pthread_mutex_unlock(&p->alock);
}

static void pull_filter(struct cast_player *p)
{
	while (p->sink && av_buffersink_get_frame(p->sink, p->afilt) >= 0) {
		ring_put(p, (const float *)p->afilt->data[0],
			 (size_t)p->afilt->nb_samples);
		av_frame_unref(p->afilt);
	}
}

static double frame_time(struct cast_player *p, int idx, const AVFrame *f)
{
	int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE
			     ? f->best_effort_timestamp
			     : f->pts;

	if (ts == AV_NOPTS_VALUE)
		return -1;
	return ts * av_q2d(p->fmt->streams[idx]->time_base) - p->start_s;
}

/* Takes every picture the video decoder has ready. */
static void receive_video(struct cast_player *p)
{
	int err;

	while ((err = avcodec_receive_frame(p->vdec, p->frame)) >= 0) {
		double t = frame_time(p, p->vidx, p->frame);

		p->st.frames_decoded++;
		if (t < 0)
			t = p->last_video_pts >= 0
				    ? p->last_video_pts +
					      (p->info.fps > 0 ? 1 / p->info.fps
							       : 0.04)
				    : 0;
		if (p->vq_len == VQ_MAX) {
			av_frame_free(&p->vq[0]);
			memmove(p->vq, p->vq + 1, sizeof(p->vq[0]) * (VQ_MAX - 1));
			memmove(p->vq_pts, p->vq_pts + 1,
				sizeof(p->vq_pts[0]) * (VQ_MAX - 1));
			p->vq_len--;
			p->st.frames_late++;
		}
		p->vq[p->vq_len] = av_frame_clone(p->frame);
		p->vq_pts[p->vq_len] = t;
		if (p->vq[p->vq_len])
			p->vq_len++;
		p->last_video_pts = t;
		av_frame_unref(p->frame);
	}
	if (err == AVERROR_EOF)
		p->v_done = true;
}

static void receive_audio(struct cast_player *p)
{
	int err;

	while ((err = avcodec_receive_frame(p->adec, p->frame)) >= 0) {
		double t = frame_time(p, p->aidx, p->frame);

		double end = t + (double)p->frame->nb_samples /
					 p->frame->sample_rate;

		if (t >= 0)
			p->audio_pts = end;
		/* Before the position (the run-up to a seek): not heard. */
		if (t >= 0 && end <= p->position) {
			av_frame_unref(p->frame);
			continue;
		}
		if (p->src && av_buffersrc_add_frame(p->src, p->frame) < 0)
			p->st.errors++;
		av_frame_unref(p->frame);
		pull_filter(p);
	}
	if (err == AVERROR_EOF) {
		p->a_done = true;
		p->audio_pts = 1e12;
	}
}

/* Reads one packet into its decoder; at the end, drains them. */
static void demux_one(struct cast_player *p)
{
	int err = av_read_frame(p->fmt, p->pkt);

	if (err < 0) {
		p->demux_eof = true;
		if (p->vdec && !p->v_done) {
			avcodec_send_packet(p->vdec, NULL);
			receive_video(p);
			p->v_done = true;
		}
		if (p->adec && !p->a_done) {
			avcodec_send_packet(p->adec, NULL);
			receive_audio(p);
			if (p->src && av_buffersrc_add_frame(p->src, NULL) >= 0)
				pull_filter(p);
			p->a_done = true;
			p->audio_pts = 1e12;
		}
		return;
	}
	if (p->pkt->stream_index == p->vidx) {
		if (avcodec_send_packet(p->vdec, p->pkt) < 0)
			p->st.errors++;
		receive_video(p);
	} else if (p->pkt->stream_index == p->aidx) {
		if (avcodec_send_packet(p->adec, p->pkt) < 0)
			p->st.errors++;
		receive_audio(p);
	}
	av_packet_unref(p->pkt);
}

static int picture(struct cast_player *p, struct cast_frame *out)
{
	AVFrame *f = p->cur;

	if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) {
		p->sws = sws_getCachedContext(p->sws, f->width, f->height,
					      f->format, f->width, f->height,
					      AV_PIX_FMT_YUV420P, SWS_BILINEAR,
					      NULL, NULL, NULL);
		if (!p->sws)
			return CAST_EEXTERNAL;
		if (!p->yuv || p->yuv->width != f->width ||
		    p->yuv->height != f->height) {
			av_frame_free(&p->yuv);
			p->yuv = av_frame_alloc();
			if (!p->yuv)
				return CAST_ERROR(ENOMEM);
			p->yuv->format = AV_PIX_FMT_YUV420P;
			p->yuv->width = f->width;
			p->yuv->height = f->height;
			if (av_frame_get_buffer(p->yuv, 0) < 0) {
				av_frame_free(&p->yuv);
				return CAST_ERROR(ENOMEM);
			}
		}
		sws_scale(p->sws, (const uint8_t *const *)f->data, f->linesize,
			  0, f->height, p->yuv->data, p->yuv->linesize);
		f = p->yuv;
	}
	memset(out, 0, sizeof(*out));
	out->fmt = CAST_PIX_I420;
	out->width = f->width & ~1;
	out->height = f->height & ~1;
	for (int i = 0; i < 3; i++) {
		out->data[i] = f->data[i];
		out->stride[i] = f->linesize[i];
	}
	out->n_damage = -1;
	return 0;
}

/* Where the file ends: its last picture or sound, or its duration. */
static double end_time(const struct cast_player *p)
{
	double end = p->last_video_pts;

	if (p->aidx >= 0 && p->audio_pts < 1e11 && p->audio_pts > end)
		end = p->audio_pts;
	return end > 0 ? end : p->info.duration;
}

int cast_player_update(struct cast_player *p, int64_t now_us,
		       struct cast_frame *out)
{
	int got = 0, err;

	if (!p->clock_set) {
		p->clock_set = true;
	} else if (!p->paused) {
		p->position += (double)(now_us - p->last_now) / 1e6 * p->speed;
	}
	p->last_now = now_us;
	for (int guard = 0; guard < 10000; guard++) {
		bool need_video, need_audio;

		while (p->vq_len && p->vq_pts[0] <= p->position) {
			av_frame_free(&p->cur);
			p->cur = p->vq[0];
			memmove(p->vq, p->vq + 1,
				sizeof(p->vq[0]) * (size_t)(p->vq_len - 1));
			memmove(p->vq_pts, p->vq_pts + 1,
				sizeof(p->vq_pts[0]) * (size_t)(p->vq_len - 1));
			p->vq_len--;
			got++;
		}
		need_video = p->vidx >= 0 && !p->vq_len && !p->v_done;
		need_audio = p->aidx >= 0 && !p->a_done &&
			     p->audio_pts < p->position + AUDIO_LEAD_S;
		if ((!need_video && !need_audio) || p->demux_eof)
			break;
		demux_one(p);
	}
	if (got > 1 && !p->seeking)
		p->st.frames_late += (uint64_t)(got - 1);
	if (got)
		p->seeking = false;
	if (p->demux_eof && !p->vq_len && p->position >= end_time(p)) {
		p->position = end_time(p);
		if (!p->ended)
			cast_log(CAST_LOG_INFO, "player", "%s: end", p->path);
		p->ended = true;
		pthread_mutex_lock(&p->alock);
		p->paused = true;
		pthread_mutex_unlock(&p->alock);
	}
	if (got) {
		p->st.frames_shown++;
		err = picture(p, out);
		if (err)
			return err;
		return 1;
	}
	return p->ended ? CAST_EOF : 0;
}

int cast_player_seek(struct cast_player *p, double seconds)
{
	int64_t ts;
	int err;

	if (seconds < 0)
		seconds = 0;
	if (p->info.duration > 0 && seconds > p->info.duration)
		seconds = p->info.duration;
	/* From a keyframe a refresh period before: a recording made with
	 * intra refresh is whole only a wave after a recovery point; the
	 * pictures between are decoded and not shown. */
	ts = (int64_t)((seconds - PREROLL_S + p->start_s) * AV_TIME_BASE);
	if (ts < (int64_t)(p->start_s * AV_TIME_BASE))
		ts = (int64_t)(p->start_s * AV_TIME_BASE);
	err = avformat_seek_file(p->fmt, -1, INT64_MIN, ts, ts, 0);
	if (err < 0) {
		cast_log(CAST_LOG_WARN, "player", "seek to %.1f s: %s",
			 seconds, av_err2str(err));
		return CAST_EEXTERNAL;
	}
	if (p->vdec)
		avcodec_flush_buffers(p->vdec);
	if (p->adec) {
		avcodec_flush_buffers(p->adec);
		build_filter(p);
	}
	for (int i = 0; i < p->vq_len; i++)
		av_frame_free(&p->vq[i]);
	p->vq_len = 0;
	pthread_mutex_lock(&p->alock);
	p->ring_head = p->ring_len = 0;
	pthread_mutex_unlock(&p->alock);
	p->position = seconds;
	p->audio_pts = 0;
	p->last_video_pts = -1;
	p->demux_eof = p->ended = false;
	p->v_done = p->vidx < 0;
	p->a_done = p->aidx < 0;
	p->st.seeks++;
	p->seeking = true;
	return 0;
}

int cast_player_audio(struct cast_player *p, float *buf, int frames)
{
	size_t ch = (size_t)p->cfg.audio_channels, n = 0;

	if (frames <= 0)
		return 0;
	pthread_mutex_lock(&p->alock);
	if (!p->paused) {
		while (n < (size_t)frames && p->ring_len) {
			memcpy(&buf[n * ch], &p->ring[p->ring_head * ch],
			       ch * sizeof(float));
			p->ring_head = (p->ring_head + 1) % p->ring_cap;
			p->ring_len--;
			n++;
		}
		p->st.audio_frames_out += n;
	}
	pthread_mutex_unlock(&p->alock);
	memset(&buf[n * ch], 0, ((size_t)frames - n) * ch * sizeof(float));
	return (int)n;
}

void cast_player_stats(struct cast_player *p, struct cast_player_stats *st)
{
	pthread_mutex_lock(&p->alock);
	*st = p->st;
	pthread_mutex_unlock(&p->alock);
	st->position = p->position;
	st->speed = p->speed;
	st->paused = p->paused;
	st->ended = p->ended;
}

void cast_player_free(struct cast_player **pp)
{
	struct cast_player *p = pp ? *pp : NULL;

	if (!p)
		return;
	for (int i = 0; i < p->vq_len; i++)
		av_frame_free(&p->vq[i]);
	av_frame_free(&p->cur);
	av_frame_free(&p->yuv);
	av_frame_free(&p->frame);
	av_frame_free(&p->afilt);
	av_packet_free(&p->pkt);
	sws_freeContext(p->sws);
	avfilter_graph_free(&p->graph);
	avcodec_free_context(&p->vdec);
	avcodec_free_context(&p->adec);
	avformat_close_input(&p->fmt);
	free(p->ring);
	pthread_mutex_destroy(&p->alock);
	free(p);
	*pp = NULL;
}
