/* H.264 decoder: libavcodec h264, low delay, never shows broken pictures. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "core/core_int.h"
#include "av_err.h"
#include "cast/codec.h"
#include "cast/error.h"
#include "cast/log.h"
#include "h264_nal.h"

#define MAX_SPS 32
#define MAX_PPS 256

struct cast_decoder {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;	/* the picture handed out */
	AVFrame *next;
	/* Conversion for streams that aren't 8-bit 4:2:0. */
	struct SwsContext *sws;
	AVFrame *conv;
	/* Parameter sets seen, to read frame_num from slice headers. */
	struct cast__h264_sps sps[MAX_SPS];
	bool have_sps[MAX_SPS];
	int16_t pps_sps[MAX_PPS]; /* -1: unknown PPS */
	int prev_ref_frame_num;	/* -1: none yet */
	uint64_t n_malformed, n_gaps, n_corrupt;
};

void cast_decoder_cfg_init(struct cast_decoder_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

int cast_decoder_new(struct cast_decoder **out,
		     const struct cast_decoder_cfg *cfg)
{
	const AVCodec *codec;
	struct cast_decoder *d;
	int err, i;

	cast__av_log_init();

	if (cfg && cfg->threads < 0)
		return CAST_ERROR(EINVAL);
	codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	if (!codec)
		return CAST_ENOBACKEND;
	d = calloc(1, sizeof(*d));
	if (!d)
		return CAST_ERROR(ENOMEM);
	for (i = 0; i < MAX_PPS; i++)
		d->pps_sps[i] = -1;
	d->prev_ref_frame_num = -1;
	d->ctx = avcodec_alloc_context3(codec);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	d->next = av_frame_alloc();
	if (!d->ctx || !d->pkt || !d->frame || !d->next) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	/* Hold pictures back until an IDR or a recovery point completes. */
	d->ctx->flags &= ~AV_CODEC_FLAG_OUTPUT_CORRUPT;
	d->ctx->flags2 &= ~AV_CODEC_FLAG2_SHOW_ALL;
	/* Frame threads would add a frame of delay each; slices add none. */
	d->ctx->thread_count = cfg && cfg->threads > 0 ? cfg->threads : 1;
	d->ctx->thread_type = FF_THREAD_SLICE;
	err = avcodec_open2(d->ctx, codec, NULL);
	if (err < 0) {
		cast_log(CAST_LOG_ERROR, "decoder", "cannot open h264: %s",
			 av_err2str(err));
		err = cast__averror(err);
		if (err == CAST_EMALFORMED)
			err = CAST_EEXTERNAL;
	}
out:
	if (err) {
		cast_decoder_free(&d);
		return err;
	}
	*out = d;
	return 0;
}

/* What the glue learns from one access unit before libavcodec sees it. */
struct au_info {
	struct cast__h264_sps sps[4];
	struct cast__h264_pps pps[4];
	int n_sps, n_pps;
	bool has_slice, ref, idr;
	bool no_params;		/* slice refers to a PPS/SPS not seen yet */
	int frame_num;		/* -1: unknown */
	int log2_max_frame_num;
};

static const struct cast__h264_sps *find_sps(const struct cast_decoder *d,
					     const struct au_info *a, int id)
{
	int i;

	for (i = a->n_sps - 1; i >= 0; i--)
		if (a->sps[i].id == id)
			return &a->sps[i];
	return d->have_sps[id] ? &d->sps[id] : NULL;
}

static int find_pps_sps(const struct cast_decoder *d, const struct au_info *a,
			int id)
{
	int i;

	for (i = a->n_pps - 1; i >= 0; i--)
		if (a->pps[i].id == id)
			return a->pps[i].sps_id;
	return d->pps_sps[id];
}

/*
 * Reads the parameter sets and the first slice header of an access unit:
 * enough to tell whether the decoder can start on it and whether a
 * reference picture went missing before it.
 */
static void scan_au(const struct cast_decoder *d, const uint8_t *au,
		    size_t size, struct au_info *a)
{
	const struct cast__h264_sps *sps;
	struct cast__h264_slice sl;
	const uint8_t *nal;
	size_t pos = 0, len;
	int type, sps_id;

	memset(a, 0, sizeof(*a));
	a->frame_num = -1;
	while ((nal = cast__h264_next_nal(au, size, &pos, &len))) {
		type = nal[0] & 0x1f;
		if (type == CAST__NAL_SPS && a->n_sps < 4) {
			if (!cast__h264_parse_sps(nal, len, &a->sps[a->n_sps]))
				a->n_sps++;
		} else if (type == CAST__NAL_PPS && a->n_pps < 4) {
			if (!cast__h264_parse_pps(nal, len, &a->pps[a->n_pps]))
				a->n_pps++;
		} else if ((type == CAST__NAL_SLICE || type == CAST__NAL_IDR) &&
			   !a->has_slice) {
			/* The first slice speaks for the whole picture. */
			a->has_slice = true;
			a->idr = type == CAST__NAL_IDR;
			a->ref = nal[0] & 0x60;
			if (cast__h264_parse_slice(nal, len, NULL, &sl))
				continue;
			sps_id = find_pps_sps(d, a, sl.pps_id);
			sps = sps_id < 0 ? NULL : find_sps(d, a, sps_id);
			a->no_params = !sps;
			if (!sps || cast__h264_parse_slice(nal, len, sps, &sl))
				continue;
			a->frame_num = sl.frame_num;
			a->log2_max_frame_num = sps->log2_max_frame_num;
		}
	}
}

/* Keeps what an accepted access unit taught us. */
static void commit_au(struct cast_decoder *d, const struct au_info *a)
{
	int i;

	for (i = 0; i < a->n_sps; i++) {
		d->sps[a->sps[i].id] = a->sps[i];
		d->have_sps[a->sps[i].id] = true;
	}
	for (i = 0; i < a->n_pps; i++)
		d->pps_sps[a->pps[i].id] = (int16_t)a->pps[i].sps_id;
	if (a->frame_num >= 0 && a->ref)
		d->prev_ref_frame_num = a->frame_num;
}

/*
 * A frame_num gap means a whole reference picture was lost and later ones
 * would predict from something we don't have.
 */
static bool frame_num_gap(const struct cast_decoder *d,
			  const struct au_info *a)
{
	int prev = d->prev_ref_frame_num, max;

	if (a->idr || a->frame_num < 0 || prev < 0)
		return false;
	max = 1 << a->log2_max_frame_num;
	return a->frame_num != prev && a->frame_num != (prev + 1) % max;
}

/* Drops everything the decoder holds; it waits for a recovery point. */
static void resync(struct cast_decoder *d, const char *why, uint64_t n)
{
	if (n <= 10 || n % 100 == 0)
		cast_log(CAST_LOG_WARN, "decoder",
			 "%s (%llu so far): waiting for a refresh", why,
			 (unsigned long long)n);
	avcodec_flush_buffers(d->ctx);
}

/* Converts a picture that isn't 8-bit 4:2:0 into d->conv. */
static int convert(struct cast_decoder *d, AVFrame *src)
{
	AVFrame *c = d->conv;
	int err;

	if (!c || c->width != src->width || c->height != src->height) {
		av_frame_free(&d->conv);
		c = d->conv = av_frame_alloc();
		if (!c)
			return CAST_ERROR(ENOMEM);
		c->format = AV_PIX_FMT_YUV420P;
		c->width = src->width;
		c->height = src->height;
		err = av_frame_get_buffer(c, 0);
		if (err < 0)
			return cast__averror(err);
	}
	d->sws = sws_getCachedContext(d->sws, src->width, src->height,
				      src->format, c->width, c->height,
				      AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL,
				      NULL, NULL);
	if (!d->sws)
		return CAST_EEXTERNAL;
	sws_scale(d->sws, (const uint8_t *const *)src->data, src->linesize, 0,
		  src->height, c->data, c->linesize);
	return 0;
}

static int fill_out(struct cast_decoder *d, AVFrame *f, struct cast_frame *out)
{
	int err, i;

	if (f->format != AV_PIX_FMT_YUV420P && f->format != AV_PIX_FMT_YUVJ420P) {
		err = convert(d, f);
		if (err)
			return err;
		f = d->conv;
	}
	memset(out, 0, sizeof(*out));
	out->fmt = CAST_PIX_I420;
	out->width = f->width;
	out->height = f->height;
	for (i = 0; i < 3; i++) {
		out->data[i] = f->data[i];
		out->stride[i] = f->linesize[i];
	}
	out->capture_us = d->frame->pts == AV_NOPTS_VALUE ? 0 : d->frame->pts;
	out->n_damage = -1;
	return 1;
}

int cast_decoder_decode(struct cast_decoder *d, const uint8_t *au, size_t size,
			int64_t capture_us, struct cast_frame *out)
{
	struct au_info a;
	bool got = false;
	int err;

	if (!au || !size || size > INT_MAX)
		return CAST_ERROR(EINVAL);
	scan_au(d, au, size, &a);
	/*
	 * A late joiner sees slices before the first SPS/PPS: that is not
	 * broken data, the decoder just can't start yet.
	 */
	if (a.no_params)
		return 0;
	if (frame_num_gap(d, &a)) {
		/* Drop the references; wait for an IDR or a recovery point. */
		resync(d, "picture lost", ++d->n_gaps);
	}

	/* Not refcounted: libavcodec copies it into a padded buffer. */
	d->pkt->data = (uint8_t *)au;
	d->pkt->size = (int)size;
	d->pkt->pts = capture_us;
	d->pkt->dts = AV_NOPTS_VALUE;
	err = avcodec_send_packet(d->ctx, d->pkt);
	d->pkt->data = NULL;
	d->pkt->size = 0;
	if (err < 0 && err != AVERROR(EAGAIN)) {
		err = cast__averror(err);
		if (err == CAST_EMALFORMED || err == CAST_EEXTERNAL) {
			if (++d->n_malformed <= 10 || d->n_malformed % 100 == 0)
				cast_log(CAST_LOG_WARN, "decoder",
					 "broken access unit (%llu so far)",
					 (unsigned long long)d->n_malformed);
			return CAST_EMALFORMED;
		}
		return err;
	}
	commit_au(d, &a);
	/* Low delay: at most one picture per AU, but drain to stay in step. */
	for (;;) {
		err = avcodec_receive_frame(d->ctx, d->next);
		if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
			break;
		if (err < 0) {
			cast_log(CAST_LOG_WARN, "decoder", "decode failed: %s",
				 av_err2str(err));
			++d->n_malformed;
			return CAST_EMALFORMED;
		}
		if ((d->next->flags & AV_FRAME_FLAG_CORRUPT) ||
		    d->next->decode_error_flags) {
			av_frame_unref(d->next);
			resync(d, "concealed picture", ++d->n_corrupt);
			got = false;
			break;
		}
		av_frame_unref(d->frame);
		av_frame_move_ref(d->frame, d->next);
		got = true;
	}
	if (!got)
		return 0;
	return fill_out(d, d->frame, out);
}

void cast_decoder_resync(struct cast_decoder *d)
{
	if (d)
		resync(d, "packets lost", ++d->n_gaps);
}

void cast_decoder_free(struct cast_decoder **pd)
{
	struct cast_decoder *d = *pd;

	if (!d)
		return;
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_frame_free(&d->next);
	av_frame_free(&d->conv);
	sws_freeContext(d->sws);
	free(d);
	*pd = NULL;
}
