/* H.264 encoder: libx264 through libavcodec, tuned for one-frame latency. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "core/core_int.h"
#include "av_err.h"
#include "cast/codec.h"
#include "cast/error.h"
#include "cast/log.h"
#include "h264_nal.h"

/* Frames in flight inside x264; zerolatency keeps this at 0 or 1. */
#define PTS_RING 64

struct cast_encoder {
	struct cast_encoder_cfg cfg;
	AVCodecContext *ctx;
	AVFrame *frame;
	AVPacket *pkt;
	int64_t next_pts;
	int64_t capture_us[PTS_RING];
	atomic_bool want_idr;
	uint8_t *sps, *pps;
	size_t sps_len, pps_len;
};

void cast_encoder_cfg_init(struct cast_encoder_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fps = 30;
	cfg->bitrate_kbps = 2000;
	cfg->vbv_ms = 1000;
	cfg->preset = "veryfast";
	cfg->intra_refresh = true;
	cfg->refresh_frames = 0; /* filled from fps at open */
	cfg->threads = 0;
	cfg->crf = 20;
}

/* Sets up (but does not open) a libx264 context for `cfg`. */
static int setup_ctx(AVCodecContext **out, const AVCodec *codec,
		     const struct cast_encoder_cfg *cfg, bool global_header)
{
	AVCodecContext *ctx;
	char params[256];
	int64_t bps = (int64_t)cfg->bitrate_kbps * 1000;
	int err;

	ctx = avcodec_alloc_context3(codec);
	if (!ctx)
		return CAST_ERROR(ENOMEM);
	ctx->width = cfg->width;
	ctx->height = cfg->height;
	ctx->pix_fmt = AV_PIX_FMT_YUV420P;
	/* One tick per frame: the pts is our frame counter, see PTS_RING. */
	ctx->time_base = (AVRational){1, cfg->fps};
	ctx->framerate = (AVRational){cfg->fps, 1};
	ctx->bit_rate = bps;
	ctx->rc_max_rate = bps;
	ctx->rc_buffer_size = (int)(bps * cfg->vbv_ms / 1000);
	ctx->gop_size = cfg->refresh_frames;
	ctx->max_b_frames = 0;
	ctx->refs = 1;
	ctx->thread_count = cfg->threads;
	ctx->thread_type = FF_THREAD_SLICE;
	ctx->color_range = AVCOL_RANGE_MPEG;
	ctx->colorspace = AVCOL_SPC_SMPTE170M;
	ctx->color_primaries = AVCOL_PRI_SMPTE170M;
	ctx->color_trc = AVCOL_TRC_SMPTE170M;
	if (global_header)
		ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

	err = av_opt_set(ctx->priv_data, "preset", cfg->preset, 0);
	if (!err)
		err = av_opt_set(ctx->priv_data, "tune", "zerolatency", 0);
	if (!err)
		err = av_opt_set_int(ctx->priv_data, "forced-idr", 1, 0);
	if (!err && cfg->crf > 0)
		err = av_opt_set_double(ctx->priv_data, "crf", cfg->crf, 0);
	/*
	 * repeat-headers comes from the missing GLOBAL_HEADER flag; say the
	 * rest explicitly so a preset can't change them.
	 */
	snprintf(params, sizeof(params),
		 "sliced-threads=1:bframes=0:intra-refresh=%d:annexb=1:"
		 "aud=0:rc-lookahead=0:sync-lookahead=0",
		 cfg->intra_refresh ? 1 : 0);
	if (!err)
		err = av_opt_set(ctx->priv_data, "x264-params", params, 0);
	if (err) {
		cast_log(CAST_LOG_ERROR, "encoder", "bad x264 option: %s",
			 av_err2str(err));
		avcodec_free_context(&ctx);
		return CAST_ERROR(EINVAL);
	}
	*out = ctx;
	return 0;
}

/* Keeps a copy of one parameter set NAL unit. */
static int keep_nal(uint8_t **dst, size_t *dst_len, const uint8_t *nal,
		    size_t len)
{
	uint8_t *p = malloc(len);

	if (!p)
		return CAST_ERROR(ENOMEM);
	memcpy(p, nal, len);
	free(*dst);
	*dst = p;
	*dst_len = len;
	return 0;
}

static int keep_params(struct cast_encoder *e, const uint8_t *buf,
		       size_t size)
{
	const uint8_t *nal;
	size_t pos = 0, len;
	int err = 0;

	while (!err && (nal = cast__h264_next_nal(buf, size, &pos, &len))) {
		if ((nal[0] & 0x1f) == CAST__NAL_SPS)
			err = keep_nal(&e->sps, &e->sps_len, nal, len);
		else if ((nal[0] & 0x1f) == CAST__NAL_PPS)
			err = keep_nal(&e->pps, &e->pps_len, nal, len);
	}
	return err;
}

/*
 * The streaming context repeats SPS/PPS in-band, so it has no extradata.
 * A second context with global headers yields the same parameter sets for
 * the SDP before the first frame is encoded.
 */
static int probe_params(struct cast_encoder *e, const AVCodec *codec)
{
	AVCodecContext *ctx;
	int err;

	err = setup_ctx(&ctx, codec, &e->cfg, true);
	if (err)
		return err;
	err = cast__averror(avcodec_open2(ctx, codec, NULL));
	if (!err && ctx->extradata)
		err = keep_params(e, ctx->extradata, (size_t)ctx->extradata_size);
	avcodec_free_context(&ctx);
	return err;
}

int cast_encoder_new(struct cast_encoder **out,
		     const struct cast_encoder_cfg *cfg)
{
	const AVCodec *codec;
	struct cast_encoder *e;
	int err;

	cast__av_log_init();

	if (!cfg || cfg->width <= 0 || cfg->height <= 0 || cfg->width % 2 ||
	    cfg->height % 2 || cfg->fps <= 0 || cfg->bitrate_kbps <= 0 ||
	    cfg->vbv_ms <= 0 || cfg->refresh_frames < 0 || cfg->threads < 0 ||
	    cfg->crf < 0 || cfg->crf > 51)
		return CAST_ERROR(EINVAL);
	codec = avcodec_find_encoder_by_name("libx264");
	if (!codec) {
		cast_log(CAST_LOG_ERROR, "encoder", "libavcodec lacks libx264");
		return CAST_ENOBACKEND;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return CAST_ERROR(ENOMEM);
	e->cfg = *cfg;
	if (!e->cfg.preset)
		e->cfg.preset = "veryfast";
	if (!e->cfg.refresh_frames)
		e->cfg.refresh_frames = e->cfg.fps;
	atomic_init(&e->want_idr, false);

	e->frame = av_frame_alloc();
	e->pkt = av_packet_alloc();
	if (!e->frame || !e->pkt) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	err = setup_ctx(&e->ctx, codec, &e->cfg, false);
	if (err)
		goto out;
	err = avcodec_open2(e->ctx, codec, NULL);
	if (err < 0) {
		cast_log(CAST_LOG_ERROR, "encoder", "cannot open libx264: %s",
			 av_err2str(err));
		err = err == AVERROR(EINVAL) ? err : CAST_EEXTERNAL;
		goto out;
	}
	err = probe_params(e, codec);
	if (err) {
		cast_log(CAST_LOG_WARN, "encoder", "no global headers: %s",
			 cast_strerror(err));
		err = 0; /* taken from the first keyframe instead */
	}
	e->cfg.preset = NULL; /* the caller's string; only needed to open */
	e->frame->format = AV_PIX_FMT_YUV420P;
	e->frame->width = cfg->width;
	e->frame->height = cfg->height;
	cast_log(CAST_LOG_INFO, "encoder",
		 "libx264 %dx%d@%d %d kbit/s vbv %d ms crf %d %s %d, "
		 "%d threads",
		 cfg->width, cfg->height, e->cfg.fps, e->cfg.bitrate_kbps,
		 e->cfg.vbv_ms, e->cfg.crf,
		 e->cfg.intra_refresh ? "intra refresh" : "gop",
		 e->cfg.refresh_frames, e->ctx->thread_count);
out:
	if (err) {
		cast_encoder_free(&e);
		return err;
	}
	*out = e;
	return 0;
}

/* x264 copies the picture during send_frame, so the planes need no copy. */
static void no_free(void *opaque, uint8_t *data)
{
	(void)opaque;
	(void)data;
}

static int wrap_planes(AVFrame *f, const struct cast_frame *src)
{
	int i, h;

	for (i = 0; i < 3; i++) {
		h = i ? (src->height + 1) / 2 : src->height;
		f->data[i] = src->data[i];
		f->linesize[i] = src->stride[i];
		f->buf[i] = av_buffer_create(src->data[i],
					     (size_t)src->stride[i] * h,
					     no_free, NULL, 0);
		if (!f->buf[i])
			return CAST_ERROR(ENOMEM);
	}
	return 0;
}

int cast_encoder_send_frame(struct cast_encoder *e,
			    const struct cast_frame *frame)
{
	AVFrame *f = e->frame;
	bool idr;
	int err;

	if (!frame) {
		err = avcodec_send_frame(e->ctx, NULL);
		return err == AVERROR_EOF ? 0 : cast__averror(err);
	}
	if (frame->fmt != CAST_PIX_I420 || frame->width != e->cfg.width ||
	    frame->height != e->cfg.height || !frame->data[0] ||
	    !frame->data[1] || !frame->data[2] || frame->stride[0] <= 0 ||
	    frame->stride[1] <= 0 || frame->stride[2] <= 0)
		return CAST_ERROR(EINVAL);

	f->format = AV_PIX_FMT_YUV420P;
	f->width = frame->width;
	f->height = frame->height;
	f->pts = e->next_pts;
	f->color_range = AVCOL_RANGE_MPEG;
	f->colorspace = AVCOL_SPC_SMPTE170M;
	idr = atomic_exchange(&e->want_idr, false);
	f->pict_type = idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	err = wrap_planes(f, frame);
	if (!err)
		err = avcodec_send_frame(e->ctx, f);
	av_frame_unref(f);
	if (err < 0) {
		if (idr)
			atomic_store(&e->want_idr, true);
		/* Sending after the drain started is a caller bug. */
		return err == AVERROR_EOF ? CAST_ERROR(EINVAL)
					  : cast__averror(err);
	}
	e->capture_us[e->next_pts % PTS_RING] = frame->capture_us;
	e->next_pts++;
	return 0;
}

/* IDR, recovery point SEI or x264's own key flag: a decoder can start. */
static bool is_keyframe(const AVPacket *p)
{
	const uint8_t *nal;
	size_t pos = 0, len;

	if (p->flags & AV_PKT_FLAG_KEY)
		return true;
	while ((nal = cast__h264_next_nal(p->data, (size_t)p->size, &pos,
					  &len))) {
		if ((nal[0] & 0x1f) == CAST__NAL_IDR)
			return true;
		if ((nal[0] & 0x1f) == CAST__NAL_SEI &&
		    cast__h264_sei_has_recovery(nal, len))
			return true;
	}
	return false;
}

int cast_encoder_receive_packet(struct cast_encoder *e, struct cast_packet *pkt)
{
	int err;

	av_packet_unref(e->pkt);
	err = avcodec_receive_packet(e->ctx, e->pkt);
	if (err < 0)
		return cast__averror(err);
	if (!e->sps && keep_params(e, e->pkt->data, (size_t)e->pkt->size))
		cast_log(CAST_LOG_WARN, "encoder", "cannot keep SPS/PPS");
	pkt->data = e->pkt->data;
	pkt->size = (size_t)e->pkt->size;
	pkt->keyframe = is_keyframe(e->pkt);
	if (e->pkt->pts != AV_NOPTS_VALUE && e->pkt->pts >= 0 &&
	    e->pkt->pts < e->next_pts && e->next_pts - e->pkt->pts <= PTS_RING)
		pkt->capture_us = e->capture_us[e->pkt->pts % PTS_RING];
	else
		pkt->capture_us = 0;
	return 0;
}

void cast_encoder_request_keyframe(struct cast_encoder *e)
{
	atomic_store(&e->want_idr, true);
}

int cast_encoder_params(const struct cast_encoder *e, const uint8_t **sps,
			size_t *sps_len, const uint8_t **pps, size_t *pps_len)
{
	if (!e->sps || !e->pps)
		return CAST_ERROR(ENOENT);
	*sps = e->sps;
	*sps_len = e->sps_len;
	*pps = e->pps;
	*pps_len = e->pps_len;
	return 0;
}

void cast_encoder_free(struct cast_encoder **pe)
{
	struct cast_encoder *e = *pe;

	if (!e)
		return;
	avcodec_free_context(&e->ctx);
	av_frame_free(&e->frame);
	av_packet_free(&e->pkt);
	free(e->sps);
	free(e->pps);
	free(e);
	*pe = NULL;
}
