/* Media file source: libavformat demux + decode, paced in real time. */
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <pango/pangocairo.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "core/core_int.h"
#include "cast/log.h"
#include "cast/record.h"
#include "capture/capture_int.h"

/*
 * Pacing: the first grab starts the clock. Each grab decodes forward while
 * the next frame is already due (its pts, relative to the first frame, is not
 * after the time since the start) and hands out the newest due one; frames
 * passed over are decoded, since later ones refer to them, but never
 * converted. At the end the last frame keeps its duration, then CAST_EOF, or
 * with `loop` a seek back to the start and a clock that runs on.
 *
 * Decoded yuv420p goes out as it is (no copy, no conversion); anything else
 * is converted to I420 once per frame that is shown.
 *
 * A file with sound and no moving picture (an mp3, an m4a, an ogg) shows a
 * still: its cover art (an attached picture) when it has one, else a card
 * with its name. The still stands as a frame every STILL_US, for the
 * sound's length (with no length, a live stream, until stopped), so the
 * pacing, looping and the film's clock below work as for a film. The card
 * is drawn in cairo's BGR0 and converted to I420, the encoder's format,
 * once when it is made: each still frame then goes out as it is.
 */

/* Decodes per grab at most, so a grab after a long stall stays short. */
#define MAX_DECODES 16
/* A sound file's still: one frame each, and the card's size. */
#define STILL_US 500000
#define CARD_W 1280
#define CARD_H 720

struct filesrc {
	AVFormatContext *fmt;
	AVCodecContext *dec;
	AVPacket *pkt;
	AVFrame *cur;  /* what the caller sees */
	AVFrame *next; /* decoded, not due yet */
	bool have_next, demux_eof, dec_eof, loop;
	int stream;
	AVRational tb;
	int w, h;
	int64_t frame_us; /* nominal frame duration */

	int64_t start_mono; /* -1 until the first grab */
	int64_t start_wall; /* CLOCK_REALTIME then */
	int64_t first_pts;  /* AV_NOPTS_VALUE until the first frame */
	int64_t prev_pts;
	int64_t loop_off_us;    /* start of the current pass on the clock */
	int64_t next_t, last_t; /* due times, us since the start */
	int64_t frames_in_pass;

	struct SwsContext *sws;
	uint8_t *buf[4]; /* own I420 picture for converted frames */
	int buf_stride[4];
	struct cast_frame out;
	bool shown;

	/* Network cinema: the film's clock (due times are then film times,
	 * from the file's start), the seek generation played. */
	struct cast_cinema *cinema;
	uint64_t gen;
	int64_t origin_us;

	/* A sound file: its still picture (I420), the next still's index
	 * and the sound's length (0: unknown). */
	AVFrame *still;
	int64_t still_k;
	int64_t duration_us;
};

static int av_to_cast(int e)
{
	if (e == AVERROR_EOF)
		return CAST_EOF;
	/* AVERROR(e) is -e on POSIX; anything else is an FFmpeg tag. */
	if (e < 0 && e > -4096)
		return e;
	return CAST_EEXTERNAL;
}

static void log_av(const char *what, int e)
{
	char msg[AV_ERROR_MAX_STRING_SIZE];

	av_strerror(e, msg, sizeof(msg));
	cast_log(CAST_LOG_ERROR, "file", "%s: %s", what, msg);
}

static int file_probe(const struct cast_capture_cfg *cfg)
{
	(void)cfg;
	return 0;
}

static void file_close(void *priv)
{
	struct filesrc *fs = priv;

	if (!fs)
		return;
	sws_freeContext(fs->sws);
	av_freep(&fs->buf[0]);
	av_frame_free(&fs->still);
	av_frame_free(&fs->cur);
	av_frame_free(&fs->next);
	av_packet_free(&fs->pkt);
	avcodec_free_context(&fs->dec);
	cast__media_close(&fs->fmt);
	free(fs);
}

/* The cover art of stream `idx` (an attached picture), decoded. */
static AVFrame *decode_cover(AVFormatContext *fmt, int idx)
{
	AVStream *st = fmt->streams[idx];
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	AVCodecContext *dec = codec ? avcodec_alloc_context3(codec) : NULL;
	AVFrame *f = av_frame_alloc();
	bool ok = false;

	if (dec && f &&
	    avcodec_parameters_to_context(dec, st->codecpar) >= 0 &&
	    avcodec_open2(dec, codec, NULL) >= 0 &&
	    avcodec_send_packet(dec, &st->attached_pic) >= 0) {
		avcodec_send_packet(dec, NULL);
		ok = avcodec_receive_frame(dec, f) >= 0 && f->width > 0 &&
		     f->height > 0;
	}
	avcodec_free_context(&dec);
	if (!ok)
		av_frame_free(&f);
	return f;
}

/* The cover scaled into `w` x `h` (aspect kept) as a cairo surface. */
static cairo_surface_t *cover_surface(const AVFrame *c, int w, int h)
{
	double k = fmin((double)w / c->width, (double)h / c->height);
	int cw = (int)(c->width * k), ch = (int)(c->height * k);
	cairo_surface_t *cs;
	struct SwsContext *sws;
	uint8_t *dst[4] = {NULL};
	int stride[4] = {0};

	if (cw < 1 || ch < 1)
		return NULL;
	cs = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cw, ch);
	if (cairo_surface_status(cs) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(cs);
		return NULL;
	}
	sws = sws_getContext(c->width, c->height, c->format, cw, ch,
			     AV_PIX_FMT_BGR0, SWS_BICUBIC, NULL, NULL, NULL);
	if (!sws) {
		cairo_surface_destroy(cs);
		return NULL;
	}
	cairo_surface_flush(cs);
	dst[0] = cairo_image_surface_get_data(cs);
	stride[0] = cairo_image_surface_get_stride(cs);
	sws_scale(sws, (const uint8_t *const *)c->data, c->linesize, 0,
		  c->height, dst, stride);
	sws_freeContext(sws);
	cairo_surface_mark_dirty(cs);
	return cs;
}

/*
 * The still of a sound without a moving picture: its cover (aspect kept)
 * or a note, with the file's name under it, on a dark 16:9 card.
 */
static AVFrame *make_card(const char *path, const AVFrame *cover)
{
	AVFrame *f = av_frame_alloc();
	const char *name = strrchr(path, '/');
	cairo_surface_t *cs, *pic = NULL;
	cairo_t *cr;
	PangoLayout *lay;
	PangoFontDescription *fd;
	int tw, th;

	if (!f)
		return NULL;
	f->format = AV_PIX_FMT_BGR0; /* cairo's RGB24, little-endian */
	f->width = CARD_W;
	f->height = CARD_H;
	if (av_frame_get_buffer(f, 64) < 0) {
		av_frame_free(&f);
		return NULL;
	}
	name = name ? name + 1 : path;
	cs = cairo_image_surface_create_for_data(f->data[0], CAIRO_FORMAT_RGB24,
						 CARD_W, CARD_H, f->linesize[0]);
	cr = cairo_create(cs);
	cairo_set_source_rgb(cr, 0.11, 0.14, 0.20);
	cairo_paint(cr);
	lay = pango_cairo_create_layout(cr);
	pango_layout_set_width(lay, (CARD_W - 160) * PANGO_SCALE);
	pango_layout_set_alignment(lay, PANGO_ALIGN_CENTER);
	pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_MIDDLE);
	fd = pango_font_description_from_string("Sans 150");
	if (cover)
		pic = cover_surface(cover, CARD_W - 160, CARD_H - 180);
	if (pic) {
		int pw = cairo_image_surface_get_width(pic);
		int ph = cairo_image_surface_get_height(pic);

		cairo_set_source_surface(cr, pic, (CARD_W - pw) / 2.0,
					 (CARD_H - 120 - ph) / 2.0);
		cairo_paint(cr);
		cairo_surface_destroy(pic);
	} else {
		pango_layout_set_font_description(lay, fd);
		pango_layout_set_text(lay, "\u266B", -1);
		pango_layout_get_pixel_size(lay, &tw, &th);
		cairo_set_source_rgb(cr, 0.55, 0.70, 0.95);
		cairo_move_to(cr, 80, (CARD_H - 120 - th) / 2.0);
		pango_cairo_show_layout(cr, lay);
	}
	pango_font_description_set_size(fd, 40 * PANGO_SCALE);
	pango_layout_set_font_description(lay, fd);
	/* The name is text, never markup. */
	pango_layout_set_text(lay, name, -1);
	cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
	cairo_move_to(cr, 80, CARD_H - 110);
	pango_cairo_show_layout(cr, lay);
	pango_font_description_free(fd);
	g_object_unref(lay);
	cairo_destroy(cr);
	cairo_surface_flush(cs);
	cairo_surface_destroy(cs);
	return f;
}

/* `card` (BGR0) as the encoder takes it (I420), or NULL. */
static AVFrame *card_i420(const AVFrame *card)
{
	AVFrame *f = av_frame_alloc();
	struct SwsContext *sws;

	if (!f)
		return NULL;
	f->format = AV_PIX_FMT_YUV420P;
	f->width = card->width;
	f->height = card->height;
	sws = sws_getContext(card->width, card->height, card->format,
			     card->width, card->height, AV_PIX_FMT_YUV420P,
			     SWS_BILINEAR, NULL, NULL, NULL);
	if (!sws || av_frame_get_buffer(f, 64) < 0) {
		sws_freeContext(sws);
		av_frame_free(&f);
		return NULL;
	}
	sws_scale(sws, (const uint8_t *const *)card->data, card->linesize, 0,
		  card->height, f->data, f->linesize);
	sws_freeContext(sws);
	return f;
}

/* A sound file: its still (cover or card), the sizes it is shown at. */
static int open_still(struct filesrc *fs, const char *path)
{
	AVFrame *cover = NULL, *card;
	int idx = -1;

	for (unsigned i = 0; i < fs->fmt->nb_streams; i++)
		if (fs->fmt->streams[i]->disposition &
		    AV_DISPOSITION_ATTACHED_PIC) {
			idx = (int)i;
			break;
		}
	if (idx >= 0)
		cover = decode_cover(fs->fmt, idx);
	card = make_card(path, cover);
	av_frame_free(&cover);
	fs->still = card ? card_i420(card) : NULL;
	av_frame_free(&card);
	if (!fs->still)
		return CAST_ERROR(ENOMEM);
	fs->w = CARD_W;
	fs->h = CARD_H;
	fs->frame_us = STILL_US;
	fs->tb = (AVRational){1, 1000000};
	fs->duration_us = fs->fmt->duration != AV_NOPTS_VALUE &&
				  fs->fmt->duration > 0
			      ? fs->fmt->duration
			      : 0;
	for (unsigned i = 0; i < fs->fmt->nb_streams; i++)
		fs->fmt->streams[i]->discard = AVDISCARD_ALL;
	cast_log(CAST_LOG_INFO, "file",
		 "%s: sound without a picture: showing %s for %.1f s", path,
		 idx >= 0 ? "its cover" : "a card",
		 (double)fs->duration_us / 1e6);
	return 0;
}

static int file_open(void **priv, const struct cast_capture_cfg *cfg, int *w,
                     int *h)
{
	const AVCodec *codec = NULL;
	struct filesrc *fs;
	AVStream *st;
	AVRational fr;
	int err;

	cast__av_log_init();

	if (!cfg->device || !*cfg->device)
		return CAST_ERROR(EINVAL);
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return CAST_ERROR(ENOMEM);
	fs->loop = cfg->loop;
	fs->cinema = cfg->cinema;
	fs->start_mono = -1;
	fs->first_pts = AV_NOPTS_VALUE;
	fs->prev_pts = AV_NOPTS_VALUE;

	err = cast__media_open(&fs->fmt, cfg->device);
	if (err < 0) {
		log_av(cfg->device, err);
		err = av_to_cast(err);
		goto out;
	}
	err = cast__media_find_stream_info(fs->fmt);
	if (err < 0) {
		log_av("find_stream_info", err);
		err = av_to_cast(err);
		goto out;
	}
	err =
	    av_find_best_stream(fs->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if ((err < 0 || (fs->fmt->streams[err]->disposition &
	                 AV_DISPOSITION_ATTACHED_PIC)) &&
	    av_find_best_stream(fs->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0) >=
	        0) {
		err = open_still(fs, cfg->device);
		fs->cur = av_frame_alloc();
		fs->next = av_frame_alloc();
		if (!err && (!fs->cur || !fs->next))
			err = CAST_ERROR(ENOMEM);
		if (err)
			goto out;
		fs->origin_us = 0;
		if (fs->cinema)
			fs->gen = cast_cinema_generation(fs->cinema);
		*priv = fs;
		*w = fs->w;
		*h = fs->h;
		return 0;
	}
	if (err < 0 || !codec) {
		cast_log(CAST_LOG_ERROR, "file", "%s: no decodable video",
		         cfg->device);
		err = CAST_ERROR(ENOTSUP);
		goto out;
	}
	fs->stream = err;
	st = fs->fmt->streams[fs->stream];
	for (unsigned i = 0; i < fs->fmt->nb_streams; i++)
		if ((int)i != fs->stream)
			fs->fmt->streams[i]->discard = AVDISCARD_ALL;
	fs->tb = st->time_base;
	fs->origin_us = fs->fmt->start_time != AV_NOPTS_VALUE
	                    ? fs->fmt->start_time
	                    : 0;
	if (fs->cinema)
		fs->gen = cast_cinema_generation(fs->cinema);
	fr = av_guess_frame_rate(fs->fmt, st, NULL);
	fs->frame_us = fr.num > 0 && fr.den > 0
	                   ? av_rescale(1000000, fr.den, fr.num)
	                   : 1000000 / (cfg->fps > 0 ? cfg->fps : 30);

	fs->dec = avcodec_alloc_context3(codec);
	fs->pkt = av_packet_alloc();
	fs->cur = av_frame_alloc();
	fs->next = av_frame_alloc();
	if (!fs->dec || !fs->pkt || !fs->cur || !fs->next) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	err = avcodec_parameters_to_context(fs->dec, st->codecpar);
	if (err < 0) {
		err = av_to_cast(err);
		goto out;
	}
	/* Two threads: lab PCs have two cores and the encoder wants one. */
	fs->dec->thread_count = 2;
	err = avcodec_open2(fs->dec, codec, NULL);
	if (err < 0) {
		log_av("avcodec_open2", err);
		err = av_to_cast(err);
		goto out;
	}
	fs->w = fs->dec->width;
	fs->h = fs->dec->height;
	if (fs->w <= 0 || fs->h <= 0) {
		err = CAST_EMALFORMED;
		goto out;
	}
	cast_log(CAST_LOG_INFO, "file", "%s: %s %dx%d, %.2f fps", cfg->device,
	         codec->name, fs->w, fs->h, 1e6 / (double)fs->frame_us);
	*priv = fs;
	*w = fs->w;
	*h = fs->h;
	return 0;
out:
	file_close(fs);
	return err;
}

/* Decodes the next frame of the stream into fs->next; CAST_EOF at the end. */
static int decode_next(struct filesrc *fs)
{
	int64_t pts;
	int err;

	if (fs->still) {
		int64_t t = fs->still_k * fs->frame_us;

		if (fs->duration_us > 0 && t >= fs->duration_us)
			return CAST_EOF;
		av_frame_unref(fs->next);
		err = av_frame_ref(fs->next, fs->still);
		if (err < 0)
			return CAST_ERROR(ENOMEM);
		fs->still_k++;
		fs->next_t = fs->loop_off_us + t;
		fs->frames_in_pass++;
		return 0;
	}

	for (;;) {
		err = avcodec_receive_frame(fs->dec, fs->next);
		if (!err)
			break;
		if (err == AVERROR_EOF)
			return CAST_EOF;
		if (err != AVERROR(EAGAIN)) {
			log_av("decode", err);
			return av_to_cast(err);
		}
		err = fs->demux_eof ? AVERROR_EOF
		                    : cast__media_read(fs->fmt, fs->pkt);
		if (err == AVERROR_EOF) {
			fs->demux_eof = true;
			err = avcodec_send_packet(fs->dec, NULL);
			if (err < 0 && err != AVERROR_EOF)
				return av_to_cast(err);
			continue;
		}
		if (err < 0) {
			log_av("read", err);
			return av_to_cast(err);
		}
		if (fs->pkt->stream_index == fs->stream)
			err = avcodec_send_packet(fs->dec, fs->pkt);
		av_packet_unref(fs->pkt);
		/* A damaged packet costs a frame, not the stream. */
		if (err == AVERROR_INVALIDDATA)
			cast_log(CAST_LOG_WARN, "file", "bad packet skipped");
		else if (err < 0)
			return av_to_cast(err);
	}

	pts = fs->next->best_effort_timestamp;
	if (pts == AV_NOPTS_VALUE)
		pts = fs->prev_pts == AV_NOPTS_VALUE
		          ? 0
		          : fs->prev_pts +
		                av_rescale_q(fs->frame_us,
		                             (AVRational){1, 1000000}, fs->tb);
	if (fs->first_pts == AV_NOPTS_VALUE)
		fs->first_pts = fs->cinema ? 0 : pts;
	fs->prev_pts = pts;
	fs->next_t = fs->loop_off_us + av_rescale_q(pts - fs->first_pts, fs->tb,
	                                            (AVRational){1, 1000000}) -
	             (fs->cinema ? fs->origin_us : 0);
	fs->frames_in_pass++;
	return 0;
}

static int rewind_file(struct filesrc *fs)
{
	AVStream *st = fs->fmt->streams[fs->stream];
	int64_t ts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
	int err;

	if (fs->still) {
		fs->still_k = 0;
		fs->dec_eof = false;
		fs->loop_off_us = fs->last_t + fs->frame_us;
		fs->frames_in_pass = 0;
		return 0;
	}
	err = cast__media_seek(fs->fmt, fs->stream, ts, AVSEEK_FLAG_BACKWARD);
	if (err < 0) {
		log_av("seek", err);
		return av_to_cast(err);
	}
	avcodec_flush_buffers(fs->dec);
	fs->demux_eof = false;
	fs->dec_eof = false;
	fs->loop_off_us = fs->last_t + fs->frame_us;
	fs->prev_pts = AV_NOPTS_VALUE;
	fs->frames_in_pass = 0;
	return 0;
}

/* Network cinema: to the keyframe before film time `t_us`; the frames
 * from there to `t_us` are decoded and passed over as not shown. */
static int seek_film(struct filesrc *fs, int64_t t_us)
{
	int64_t ts = av_rescale_q(t_us + fs->origin_us, (AVRational){1, 1000000},
	                          fs->tb);
	int err;

	if (fs->still) {
		fs->still_k = t_us > 0 ? t_us / fs->frame_us : 0;
		fs->dec_eof = false;
		fs->have_next = false;
		fs->frames_in_pass = 0;
		return 0;
	}
	err = cast__media_seek(fs->fmt, fs->stream, ts, AVSEEK_FLAG_BACKWARD);
	if (err < 0) {
		log_av("seek", err);
		return av_to_cast(err);
	}
	avcodec_flush_buffers(fs->dec);
	fs->demux_eof = false;
	fs->dec_eof = false;
	fs->have_next = false;
	fs->prev_pts = AV_NOPTS_VALUE;
	fs->frames_in_pass = 0;
	return 0;
}

/* Points fs->out at the picture of fs->cur, converting if need be. */
static int present(struct filesrc *fs)
{
	AVFrame *f = fs->cur;
	struct cast_frame *o = &fs->out;
	int err;

	memset(o, 0, sizeof(*o));
	o->fmt = CAST_PIX_I420;
	o->width = fs->w;
	o->height = fs->h;
	o->n_damage = -1;
	if (f->format == AV_PIX_FMT_YUV420P && f->width == fs->w &&
	    f->height == fs->h) {
		for (int i = 0; i < 3; i++) {
			o->data[i] = f->data[i];
			o->stride[i] = f->linesize[i];
		}
		return 0;
	}
	if (!fs->buf[0]) {
		err = av_image_alloc(fs->buf, fs->buf_stride, fs->w, fs->h,
		                     AV_PIX_FMT_YUV420P, 32);
		if (err < 0)
			return CAST_ERROR(ENOMEM);
	}
	fs->sws = sws_getCachedContext(fs->sws, f->width, f->height, f->format,
	                               fs->w, fs->h, AV_PIX_FMT_YUV420P,
	                               SWS_BILINEAR, NULL, NULL, NULL);
	if (!fs->sws)
		return CAST_EEXTERNAL;
	sws_scale(fs->sws, (const uint8_t *const *)f->data, f->linesize, 0,
	          f->height, fs->buf, fs->buf_stride);
	for (int i = 0; i < 3; i++) {
		o->data[i] = fs->buf[i];
		o->stride[i] = fs->buf_stride[i];
	}
	return 0;
}

static int file_grab(void *priv, struct cast_frame *frame)
{
	struct filesrc *fs = priv;
	bool got = false;
	int64_t now = cast_mono_us(), elapsed;
	int err;

	if (fs->start_mono < 0) {
		fs->start_mono = now;
		fs->start_wall = cast_now_us();
	}
	elapsed = now - fs->start_mono;
	if (fs->cinema) {
		uint64_t gen;

		cast_cinema_due(fs->cinema, 0, &gen);
		elapsed = (int64_t)(cast_cinema_position(fs->cinema) * 1e6);
		if (gen != fs->gen) {
			fs->gen = gen;
			err = seek_film(fs, elapsed);
			if (err)
				return err;
		}
	}
again:
	for (int i = 0; i < MAX_DECODES && !fs->dec_eof; i++) {
		if (!fs->have_next) {
			err = decode_next(fs);
			if (err == CAST_EOF) {
				fs->dec_eof = true;
				break;
			}
			if (err)
				return err;
			fs->have_next = true;
		}
		/* The film's first picture may start after its sound
		 * (the film's time 0): it stands until then. */
		if (fs->next_t > elapsed && (fs->shown || got || !fs->cinema))
			break;
		FFSWAP(AVFrame *, fs->cur, fs->next);
		fs->have_next = false;
		fs->last_t = fs->next_t;
		got = true;
	}
	if (!got && fs->dec_eof && elapsed >= fs->last_t + fs->frame_us) {
		if (!fs->loop || !fs->frames_in_pass)
			return CAST_EOF;
		if (fs->cinema) {
			/* The sound starts again with the picture. */
			cast_cinema_seek(fs->cinema, 0);
			fs->gen = cast_cinema_generation(fs->cinema);
			elapsed = 0;
			err = seek_film(fs, 0);
			if (err)
				return err;
			goto again;
		}
		err = rewind_file(fs);
		if (err)
			return err;
		goto again;
	}
	if (got) {
		err = present(fs);
		if (err)
			return err;
		fs->shown = true;
	}
	if (!fs->shown)
		return CAST_EOF;
	*frame = fs->out;
	/* A new picture is stamped with its own time in the file (the
	 * grab may come up to a frame late): the sound of the same file
	 * is stamped by its sample position, and lip sync compares them. */
	if (fs->cinema && got)
		frame->capture_us = cast_now_us() - (elapsed - fs->last_t);
	else
		frame->capture_us =
		    got ? fs->start_wall + fs->last_t : cast_now_us();
	if (!got)
		frame->n_damage = 0;
	return got ? 1 : 0;
}

const struct cast__capture_backend cast__capture_file = {
    .name = "file",
    .probe = file_probe,
    .open = file_open,
    .grab = file_grab,
    .close = file_close,
};
