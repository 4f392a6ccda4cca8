/* Broadcast replay: a recording's H.264 access units as Annex B, at the file's pace. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>

#include "cast/cast.h"
#include "core/core_int.h"
#include "cast/record.h"

struct cast_replay {
	AVFormatContext *fmt;
	AVBSFContext *bsf;	/* MP4/Matroska length prefixes → start codes */
	AVPacket *pkt;
	int vidx, width, height;
	bool loop;
	bool started;
	int64_t t0_mono;	/* when the file's time 0 is due */
	double offset_s;	/* file time already played (loops) */
	double last_s;		/* the last packet's time */
	double first_s;		/* the file's first video time */
	/* Network cinema: the film's clock, the seek generation played,
	 * the film's time origin and an access unit read but not yet due. */
	struct cast_cinema *cinema;
	uint64_t gen;
	double origin_s;
	bool pending;
	double pending_s;	/* its film time */
	/* Copies of the access units handed out since the last keyframe
	 * (with a clock): what a student joining during a pause needs. */
	struct cast_packet *held;
	int n_held, cap_held;
	size_t held_bytes;
	bool held_over;		/* too many since the keyframe: none kept */
};

#define HELD_MAX_AUS 600
#define HELD_MAX_BYTES (32u << 20)

static void held_clear(struct cast_replay *r)
{
	for (int i = 0; i < r->n_held; i++)
		free((void *)r->held[i].data);
	r->n_held = 0;
	r->held_bytes = 0;
	r->held_over = false;
}

/* Keeps a copy of the access unit just handed out. */
static void held_add(struct cast_replay *r, const struct cast_packet *pkt)
{
	uint8_t *copy;

	if (pkt->keyframe)
		held_clear(r);
	if (r->held_over)
		return;
	if (r->n_held == HELD_MAX_AUS ||
	    r->held_bytes + pkt->size > HELD_MAX_BYTES) {
		held_clear(r);
		r->held_over = true;
		return;
	}
	if (r->n_held == r->cap_held) {
		int cap = r->cap_held ? 2 * r->cap_held : 32;
		struct cast_packet *p = realloc(r->held, (size_t)cap * sizeof(*p));

		if (!p)
			goto over;
		r->held = p;
		r->cap_held = cap;
	}
	copy = malloc(pkt->size ? pkt->size : 1);
	if (!copy)
		goto over;
	memcpy(copy, pkt->data, pkt->size);
	r->held[r->n_held] = *pkt;
	r->held[r->n_held].data = copy;
	r->n_held++;
	r->held_bytes += pkt->size;
	return;
over:
	held_clear(r);
	r->held_over = true;
}

int cast_replay_held(struct cast_replay *r, const struct cast_packet **aus)
{
	struct cast_cinema_status st;

	*aus = NULL;
	if (!r->cinema || !r->n_held)
		return 0;
	cast_cinema_status(r->cinema, &st);
	if (!st.paused)
		return 0;
	*aus = r->held;
	return r->n_held;
}

void cast_replay_cfg_init(struct cast_replay_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static int err_of(int err)
{
	if (err == AVERROR_EOF)
		return CAST_EOF;
	if (err == AVERROR_INVALIDDATA)
		return CAST_EMALFORMED;
	return err < 0 && err > -4096 ? err : CAST_EEXTERNAL;
}

int cast_replay_new(struct cast_replay **out, const struct cast_replay_cfg *cfg)
{
	struct cast_replay *r;
	AVCodecParameters *par;
	const AVBitStreamFilter *f;
	int err;

	if (!out || !cfg || !cfg->path)
		return CAST_ERROR(EINVAL);
	r = calloc(1, sizeof(*r));
	if (!r)
		return CAST_ERROR(ENOMEM);
	r->loop = cfg->loop;
	r->cinema = cfg->cinema;
	r->first_s = -1;
	r->pkt = av_packet_alloc();
	if (!r->pkt) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	err = cast__media_open(&r->fmt, cfg->path);
	if (err < 0) {
		err = err_of(err);
		goto out;
	}
	if (cast__media_find_stream_info(r->fmt) < 0) {
		err = CAST_EMALFORMED;
		goto out;
	}
	r->vidx = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL,
				      0);
	/* Sound with no moving picture (at most a cover): the file
	 * capture shows a still, encoded. */
	if ((r->vidx < 0 || (r->fmt->streams[r->vidx]->disposition &
			     AV_DISPOSITION_ATTACHED_PIC)) &&
	    av_find_best_stream(r->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0) >=
		0) {
		err = CAST_ERROR(ENOTSUP);
		goto out;
	}
	if (r->vidx < 0) {
		err = CAST_EMALFORMED;
		goto out;
	}
	/* The sound is another reader's (and a shared live source then
	 * queues none of it here). */
	for (unsigned i = 0; i < r->fmt->nb_streams; i++)
		if ((int)i != r->vidx)
			r->fmt->streams[i]->discard = AVDISCARD_ALL;
	par = r->fmt->streams[r->vidx]->codecpar;
	r->width = par->width;
	r->height = par->height;
	/* What the class shows as it is: H.264, no reordering, not larger
	 * than the class, even sizes. */
	if (par->codec_id != AV_CODEC_ID_H264 || par->video_delay > 0 ||
	    r->width <= 0 || r->height <= 0 || (r->width | r->height) & 1 ||
	    (cfg->max_width > 0 && r->width > cfg->max_width) ||
	    (cfg->max_height > 0 && r->height > cfg->max_height)) {
		cast_log(CAST_LOG_INFO, "replay",
			 "%s: %s %dx%d%s does not fit the class as it is",
			 cfg->path, avcodec_get_name(par->codec_id), r->width,
			 r->height, par->video_delay > 0 ? " with B-frames" : "");
		err = CAST_ERROR(ENOTSUP);
		goto out;
	}
	/* Annex B already (an RTP stream: its SPS and PPS come in the SDP,
	 * not with the pictures): a student that joins needs them before
	 * each keyframe. */
	if (par->extradata_size >= 4 && !par->extradata[0] &&
	    !par->extradata[1] &&
	    (par->extradata[2] == 1 ||
	     (!par->extradata[2] && par->extradata[3] == 1))) {
		if (av_bsf_list_parse_str("dump_extra=freq=keyframe",
					  &r->bsf) < 0) {
			err = CAST_ENOBACKEND;
			goto out;
		}
	} else {
		f = av_bsf_get_by_name("h264_mp4toannexb");
		if (!f || av_bsf_alloc(f, &r->bsf) < 0) {
			err = CAST_ENOBACKEND;
			goto out;
		}
	}
	avcodec_parameters_copy(r->bsf->par_in, par);
	r->bsf->time_base_in = r->fmt->streams[r->vidx]->time_base;
	err = av_bsf_init(r->bsf);
	if (err < 0) {
		err = err_of(err);
		goto out;
	}
	r->origin_s = r->fmt->start_time != AV_NOPTS_VALUE
			      ? (double)r->fmt->start_time / AV_TIME_BASE
			      : 0;
	if (r->cinema)
		r->gen = cast_cinema_generation(r->cinema);
	cast_log(CAST_LOG_INFO, "replay", "%s: H.264 %dx%d passed through",
		 cfg->path, r->width, r->height);
	*out = r;
	return 0;
out:
	cast_replay_free(&r);
	return err;
}

void cast_replay_size(const struct cast_replay *r, int *w, int *h)
{
	*w = r->width;
	*h = r->height;
}

/* Reads video packets into the filter until one comes out. */
static int next_filtered(struct cast_replay *r)
{
	int err;

	for (;;) {
		err = av_bsf_receive_packet(r->bsf, r->pkt);
		if (err != AVERROR(EAGAIN))
			return err;
		for (;;) {
			err = cast__media_read(r->fmt, r->pkt);
			if (err < 0)
				return err;
			if (r->pkt->stream_index == r->vidx)
				break;
			av_packet_unref(r->pkt);
		}
		err = av_bsf_send_packet(r->bsf, r->pkt);
		if (err < 0) {
			av_packet_unref(r->pkt);
			return err;
		}
	}
}

static void fill_packet(struct cast_replay *r, struct cast_packet *pkt)
{
	pkt->data = r->pkt->data;
	pkt->size = (size_t)r->pkt->size;
	pkt->keyframe = r->pkt->flags & AV_PKT_FLAG_KEY;
	pkt->capture_us = 0;
}

/* The film time of the access unit in r->pkt. */
static double packet_time(struct cast_replay *r)
{
	AVRational tb = r->fmt->streams[r->vidx]->time_base;
	int64_t ts = r->pkt->pts != AV_NOPTS_VALUE ? r->pkt->pts : r->pkt->dts;

	r->last_s = ts != AV_NOPTS_VALUE ? ts * av_q2d(tb) - r->origin_s
					 : r->last_s + 0.033;
	return r->last_s;
}

/* Moves to the keyframe at or before film time `t`, read into r->pkt. */
static int seek_to(struct cast_replay *r, double t)
{
	AVRational tb = r->fmt->streams[r->vidx]->time_base;
	int64_t ts = (int64_t)((t + r->origin_s) / av_q2d(tb));
	int err;

	av_packet_unref(r->pkt);
	err = cast__media_seek(r->fmt, r->vidx, ts, AVSEEK_FLAG_BACKWARD);
	if (err < 0)
		return err;
	av_bsf_flush(r->bsf);
	return next_filtered(r);
}

/*
 * With the film's clock: the pending access unit when it is due; a new
 * generation (a seek asked, or the loop's return to the start) moves to
 * the keyframe before the clock's time and settles the clock there.
 */
static int next_cinema(struct cast_replay *r, struct cast_packet *pkt,
		       int64_t *due)
{
	int64_t now = cast_mono_us();
	uint64_t gen;
	double t;
	int err;

	if (!r->pending) {
		av_packet_unref(r->pkt);
		err = next_filtered(r);
		if (err == AVERROR_EOF && r->loop && r->started) {
			cast_cinema_seek(r->cinema, 0);
			err = seek_to(r, 0);
			r->gen = (uint64_t)-1;	/* settle below */
		}
		if (err < 0)
			return err_of(err);
		r->pending = true;
		r->started = true;
		r->pending_s = packet_time(r);
	}
	t = r->pending_s;
	*due = cast_cinema_due(r->cinema, t, &gen);
	if (gen != r->gen) {
		double to = cast_cinema_position(r->cinema);

		err = seek_to(r, to);
		if (err < 0)
			return err_of(err);
		t = r->pending_s = packet_time(r);
		if (cast_cinema_settle(r->cinema, t, gen))
			r->gen = gen + 1;
		cast_log(CAST_LOG_INFO, "replay", "at %.3f s (asked %.3f s)",
			 t, to);
		*due = now;
		return 1;
	}
	/* Paused or not due soon: ask again shortly (a pause may end, a
	 * seek may come). */
	if (*due > now + 20000) {
		*due = now + 20000;
		return 1;
	}
	r->pending = false;
	fill_packet(r, pkt);
	held_add(r, pkt);
	return 0;
}

int cast_replay_next(struct cast_replay *r, struct cast_packet *pkt,
		     int64_t *due)
{
	AVRational tb = r->fmt->streams[r->vidx]->time_base;
	int64_t ts;
	double t;
	int err;

	if (r->cinema)
		return next_cinema(r, pkt, due);
	av_packet_unref(r->pkt);
	err = next_filtered(r);
	if (err == AVERROR_EOF && r->loop && r->started) {
		r->offset_s += r->last_s - r->first_s + 0.04;
		if (cast__media_seek(r->fmt, r->vidx, 0,
				     AVSEEK_FLAG_BACKWARD) < 0)
			return CAST_EEXTERNAL;
		av_bsf_flush(r->bsf);
		r->first_s = -1;
		err = next_filtered(r);
	}
	if (err < 0)
		return err_of(err);
	ts = r->pkt->pts != AV_NOPTS_VALUE ? r->pkt->pts : r->pkt->dts;
	t = ts != AV_NOPTS_VALUE ? ts * av_q2d(tb) : r->last_s + 0.033;
	if (r->first_s < 0)
		r->first_s = t;
	if (!r->started) {
		r->started = true;
		r->t0_mono = cast_mono_us();
	}
	r->last_s = t;
	*due = r->t0_mono + (int64_t)((r->offset_s + t - r->first_s) * 1e6);
	pkt->data = r->pkt->data;
	pkt->size = (size_t)r->pkt->size;
	pkt->keyframe = r->pkt->flags & AV_PKT_FLAG_KEY;
	pkt->capture_us = 0;
	return 0;
}

void cast_replay_free(struct cast_replay **pr)
{
	struct cast_replay *r = pr ? *pr : NULL;

	if (!r)
		return;
	held_clear(r);
	free(r->held);
	av_bsf_free(&r->bsf);
	av_packet_free(&r->pkt);
	cast__media_close(&r->fmt);
	free(r);
	*pr = NULL;
}
