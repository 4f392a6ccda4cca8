/* Audio sources by name: mic (SDL2 capture), file (libavformat), none. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "cast/audio.h"
#include "cast/error.h"
#include "cast/log.h"
#include "audio/audio_int.h"
#include "core/core_int.h"

struct backend {
	const char *name;
	bool live;
	int (*open)(void **priv, const char *path);
	int (*read)(void *priv, int16_t *pcm, int timeout_ms);
	void (*close)(void *priv);
	int (*seek)(void *priv, double t);	/* NULL: cannot */
	/* NULL: never damaged */
	void (*damage)(void *priv, struct cast__audio_damage *d);
};

struct cast_audio_source {
	const struct backend *b;
	void *priv;
};

/* ---- none: silence ---- */

static int none_open(void **priv, const char *path)
{
	(void)path;
	*priv = NULL;
	return 0;
}

static int none_read(void *priv, int16_t *pcm, int timeout_ms)
{
	(void)priv;
	(void)timeout_ms;
	memset(pcm, 0, CAST_AUDIO_FRAME * sizeof(*pcm));
	return 1;
}

static void none_close(void *priv)
{
	(void)priv;
}

/* ---- file: libavformat + libswresample to 48 kHz mono s16 ---- */

struct filesrc {
	AVFormatContext *fmt;
	AVCodecContext *dec;
	SwrContext *swr;
	AVPacket *pkt;
	AVFrame *frame;
	int stream;
	bool demux_eof, dec_eof, swr_eof;
	/* Resampled samples not handed out yet. */
	int16_t *fifo;
	int have, cap;
	/* After a seek: the film time (s) the samples start at again, -1
	 * when none is pending; the film's time origin (s). */
	double skip_to;
	double origin_s;
	/* The film time (s) where the decoded sound ends, -1 unknown (at the
	 * start, after a seek); samples per packet as last decoded (48 kHz). */
	double end_s;
	int pkt_samples;
	/* Damaged or missing sound, replaced by silence: the first one is
	 * logged, every one counted. */
	struct cast__audio_damage damage;
	/* Silence still to hand out for lost sound, before fs->frame when
	 * `held` (the frame after a gap). */
	int64_t silence_left;
	bool held, warned;
	char name[256];
};

static int av_err(const char *what, int e)
{
	char msg[AV_ERROR_MAX_STRING_SIZE];

	av_strerror(e, msg, sizeof(msg));
	cast_log(CAST_LOG_ERROR, "audio", "%s: %s", what, msg);
	if (e == AVERROR(ENOENT))
		return CAST_ERROR(ENOENT);
	if (e == AVERROR_INVALIDDATA)
		return CAST_EMALFORMED;
	if (e == AVERROR(ENOMEM))
		return CAST_ERROR(ENOMEM);
	return CAST_EEXTERNAL;
}

static void file_close(void *priv)
{
	struct filesrc *fs = priv;

	if (!fs)
		return;
	swr_free(&fs->swr);
	avcodec_free_context(&fs->dec);
	cast__media_close(&fs->fmt);
	av_packet_free(&fs->pkt);
	av_frame_free(&fs->frame);
	free(fs->fifo);
	free(fs);
}

static int file_open(void **priv, const char *path)
{
	struct filesrc *fs;
	const AVCodec *codec = NULL;
	AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
	int e, err;

	if (!path || !*path)
		return CAST_ERROR(EINVAL);
	cast__av_log_init();
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return CAST_ERROR(ENOMEM);
	fs->skip_to = -1;
	fs->end_s = -1;
	fs->pkt_samples = CAST_AUDIO_FRAME;
	snprintf(fs->name, sizeof(fs->name), "%s", path);
	fs->cap = 8 * CAST_AUDIO_FRAME;
	fs->fifo = malloc((size_t)fs->cap * sizeof(int16_t));
	fs->pkt = av_packet_alloc();
	fs->frame = av_frame_alloc();
	if (!fs->fifo || !fs->pkt || !fs->frame) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	e = cast__media_open(&fs->fmt, path);
	if (e < 0) {
		err = av_err(path, e);
		goto out;
	}
	e = cast__media_find_stream_info(fs->fmt);
	if (e < 0) {
		err = av_err(path, e);
		goto out;
	}
	e = av_find_best_stream(fs->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
	if (e < 0) {
		cast_log(CAST_LOG_ERROR, "audio", "%s: no audio stream", path);
		err = CAST_EMALFORMED;
		goto out;
	}
	fs->stream = e;
	/* The picture is another reader's (and a shared live source then
	 * queues none of it here). */
	for (unsigned i = 0; i < fs->fmt->nb_streams; i++)
		if ((int)i != fs->stream)
			fs->fmt->streams[i]->discard = AVDISCARD_ALL;
	fs->origin_s = fs->fmt->start_time != AV_NOPTS_VALUE
			       ? (double)fs->fmt->start_time / AV_TIME_BASE
			       : 0;
	fs->dec = avcodec_alloc_context3(codec);
	if (!fs->dec) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	e = avcodec_parameters_to_context(fs->dec,
					  fs->fmt->streams[fs->stream]->codecpar);
	if (e >= 0)
		e = avcodec_open2(fs->dec, codec, NULL);
	if (e < 0) {
		err = av_err("decoder", e);
		goto out;
	}
	if (!fs->dec->ch_layout.nb_channels) {
		err = CAST_EMALFORMED;
		goto out;
	}
	e = swr_alloc_set_opts2(&fs->swr, &mono, AV_SAMPLE_FMT_S16,
				CAST_AUDIO_RATE, &fs->dec->ch_layout,
				fs->dec->sample_fmt, fs->dec->sample_rate, 0,
				NULL);
	if (e >= 0)
		e = swr_init(fs->swr);
	if (e < 0) {
		err = av_err("resampler", e);
		goto out;
	}
	*priv = fs;
	return 0;
out:
	file_close(fs);
	return err;
}

/* Resamples `in` (NULL: flush) onto the FIFO. */
static int file_convert(struct filesrc *fs, const AVFrame *in)
{
	int room, n;
	uint8_t *dst;

	room = swr_get_out_samples(fs->swr, in ? in->nb_samples : 0);
	if (room < 0)
		return CAST_EEXTERNAL;
	if (fs->have + room > fs->cap) {
		int cap = fs->have + room + CAST_AUDIO_FRAME;
		int16_t *p = realloc(fs->fifo, (size_t)cap * sizeof(int16_t));

		if (!p)
			return CAST_ERROR(ENOMEM);
		fs->fifo = p;
		fs->cap = cap;
	}
	dst = (uint8_t *)(fs->fifo + fs->have);
	n = swr_convert(fs->swr, &dst, fs->cap - fs->have,
			in ? (const uint8_t **)in->extended_data : NULL,
			in ? in->nb_samples : 0);
	if (n < 0)
		return av_err("resample", n);
	fs->have += n;
	return n;
}

/*
 * After a seek (which lands before the time asked): drops a decoded frame
 * wholly before fs->skip_to (returns 0), or converts the one that spans it
 * and drops its samples before it (returns 0 too); 1: no time known, take
 * the frame as it is.
 */
static int skip_before(struct filesrc *fs)
{
	AVRational tb = fs->fmt->streams[fs->stream]->time_base;
	int64_t pts = fs->frame->best_effort_timestamp;
	double t, end;
	int drop, e;

	if (pts == AV_NOPTS_VALUE || fs->frame->sample_rate <= 0) {
		fs->skip_to = -1;
		return 1;
	}
	t = pts * av_q2d(tb) - fs->origin_s;
	end = t + (double)fs->frame->nb_samples / fs->frame->sample_rate;
	if (end <= fs->skip_to) {
		av_frame_unref(fs->frame);
		return 0;
	}
	e = file_convert(fs, fs->frame);
	av_frame_unref(fs->frame);
	if (e < 0)
		return e;
	drop = (int)((fs->skip_to - t) * CAST_AUDIO_RATE);
	if (drop > fs->have)
		drop = fs->have;
	if (drop > 0) {
		fs->have -= drop;
		memmove(fs->fifo, fs->fifo + drop,
			(size_t)fs->have * sizeof(int16_t));
	}
	fs->skip_to = -1;
	return 0;
}

/* Appends `n` samples of silence to the FIFO. */
static int add_silence(struct filesrc *fs, int n)
{
	if (fs->have + n > fs->cap) {
		int cap = fs->have + n + CAST_AUDIO_FRAME;
		int16_t *p = realloc(fs->fifo, (size_t)cap * sizeof(int16_t));

		if (!p)
			return CAST_ERROR(ENOMEM);
		fs->fifo = p;
		fs->cap = cap;
	}
	memset(fs->fifo + fs->have, 0, (size_t)n * sizeof(int16_t));
	fs->have += n;
	return 0;
}

/*
 * The film's sound from film time `t` (s; < 0: where the last decoded
 * sound ended) for `dur` s is lost (a packet the decoder refused, or
 * packets the demuxer dropped): silence takes its place, so the sound after
 * it keeps its time against the picture. The first loss is logged as a
 * warning, every one is counted.
 */
static int lost_sound(struct filesrc *fs, double t, double dur,
		      const char *why)
{
	if (t < 0)
		t = fs->end_s >= 0 ? fs->end_s : 0;
	if (!(dur > 0))
		dur = (double)fs->pkt_samples / CAST_AUDIO_RATE;
	if (fs->skip_to >= 0) {
		if (t + dur <= fs->skip_to)
			return 0;
		if (t < fs->skip_to) {
			dur -= fs->skip_to - t;
			t = fs->skip_to;
		}
		fs->skip_to = -1;
	}
	if (!fs->warned)
		cast_log(CAST_LOG_WARN, "audio",
			 "%s: the film's sound cannot be decoded at %.2f s "
			 "(%s): silence instead, the picture goes on",
			 fs->name, t, why);
	fs->warned = true;
	/* The decoder's own line for every damaged packet after it would
	 * bury that one: down to debug. */
	fs->dec->log_level_offset = AV_LOG_DEBUG;
	fs->end_s = t + dur;
	fs->damage.missing_ms += (uint64_t)(dur * 1000 + 0.5);
	/* Handed out as it is read: an hour-long hole costs no memory. */
	fs->silence_left += (int64_t)(dur * CAST_AUDIO_RATE + 0.5);
	return 0;
}

/* The film time (s) of the frame (or packet) with timestamp `ts`, -1 when
 * unknown. */
static double film_time(struct filesrc *fs, int64_t ts)
{
	AVRational tb = fs->fmt->streams[fs->stream]->time_base;

	return ts == AV_NOPTS_VALUE ? -1 : ts * av_q2d(tb) - fs->origin_s;
}

/* A packet the decoder refused: its time and length become silence. */
static int refused_packet(struct filesrc *fs, int e)
{
	AVRational tb = fs->fmt->streams[fs->stream]->time_base;
	char msg[AV_ERROR_MAX_STRING_SIZE];
	double t = film_time(fs, fs->pkt->pts);
	double dur = fs->pkt->duration > 0 ? fs->pkt->duration * av_q2d(tb)
					   : 0;

	/* A damaged packet's duration is not to be believed either. */
	if (dur > 1)
		dur = 1;
	if (av_strerror(e, msg, sizeof(msg)) < 0)
		snprintf(msg, sizeof(msg), "the decoder refused a packet");
	fs->damage.decode_errors++;
	return lost_sound(fs, t, dur, msg);
}

/*
 * A decoded frame: sound missing before it (the demuxer dropped damaged
 * packets: more than 100 ms since the last frame's end) becomes silence,
 * and the frame is held until that is handed out (returns 1); then where
 * this one ends.
 */
static int check_frame(struct filesrc *fs)
{
	AVFrame *f = fs->frame;
	double t = film_time(fs, f->best_effort_timestamp), end;
	bool gap;

	if (f->sample_rate <= 0)
		return 0;
	end = t + (double)f->nb_samples / f->sample_rate;
	fs->pkt_samples = (int)((int64_t)f->nb_samples * CAST_AUDIO_RATE /
				f->sample_rate);
	if (t < 0)
		return 0;
	gap = fs->end_s >= 0 && t > fs->end_s + 0.1 && fs->skip_to < 0;
	if (gap) {
		fs->damage.gaps++;
		lost_sound(fs, fs->end_s, t - fs->end_s,
			   "damaged packets dropped");
		fs->held = true;
	}
	fs->end_s = end;
	return gap;
}

static int file_fill(struct filesrc *fs)
{
	int e;

	while (fs->have < CAST_AUDIO_FRAME && !fs->swr_eof) {
		if (fs->silence_left > 0) {
			int n = fs->silence_left < CAST_AUDIO_FRAME
					? (int)fs->silence_left
					: CAST_AUDIO_FRAME;

			e = add_silence(fs, n);
			if (e < 0)
				return e;
			fs->silence_left -= n;
			continue;
		}
		if (fs->held) {
			fs->held = false;
			e = file_convert(fs, fs->frame);
			av_frame_unref(fs->frame);
			if (e < 0)
				return e;
			continue;
		}
		if (fs->dec_eof) {
			e = file_convert(fs, NULL);
			if (e < 0)
				return e;
			if (e == 0)
				fs->swr_eof = true;
			continue;
		}
		e = avcodec_receive_frame(fs->dec, fs->frame);
		if (e >= 0 && check_frame(fs))
			continue;	/* the silence first */
		if (e >= 0 && fs->skip_to >= 0) {
			e = skip_before(fs);
			if (e < 0)
				return e;
			if (e == 0)
				continue;
		}
		if (e >= 0) {
			e = file_convert(fs, fs->frame);
			av_frame_unref(fs->frame);
			if (e < 0)
				return e;
			continue;
		}
		if (e == AVERROR_EOF) {
			fs->dec_eof = true;
			continue;
		}
		if (e == AVERROR(ENOMEM))
			return av_err("decode", e);
		if (e != AVERROR(EAGAIN)) {
			/* A decoder that reports a damaged packet late. */
			fs->damage.decode_errors++;
			e = lost_sound(fs, -1, 0, "decoder error");
			if (e < 0)
				return e;
			continue;
		}
		if (fs->demux_eof) {
			avcodec_send_packet(fs->dec, NULL);
			continue;
		}
		e = cast__media_read(fs->fmt, fs->pkt);
		if (e == AVERROR_EOF) {
			fs->demux_eof = true;
			avcodec_send_packet(fs->dec, NULL);
			continue;
		}
		if (e < 0)
			return av_err("read", e);
		if (fs->pkt->stream_index == fs->stream) {
			e = avcodec_send_packet(fs->dec, fs->pkt);
			/* A damaged packet loses its samples, not the film. */
			if (e == AVERROR(ENOMEM)) {
				av_packet_unref(fs->pkt);
				return av_err("decode", e);
			}
			if (e < 0 && e != AVERROR(EAGAIN))
				e = refused_packet(fs, e);
			if (e < 0 && e != AVERROR(EAGAIN)) {
				av_packet_unref(fs->pkt);
				return e;
			}
		}
		av_packet_unref(fs->pkt);
	}
	return 0;
}

static int file_read(void *priv, int16_t *pcm, int timeout_ms)
{
	struct filesrc *fs = priv;
	int err;

	(void)timeout_ms;
	err = file_fill(fs);
	if (err)
		return err;
	if (!fs->have)
		return CAST_EOF;
	if (fs->have < CAST_AUDIO_FRAME) {
		/* The last, partial frame is padded with silence. */
		memset(fs->fifo + fs->have, 0,
		       (size_t)(CAST_AUDIO_FRAME - fs->have) * sizeof(int16_t));
		fs->have = CAST_AUDIO_FRAME;
	}
	memcpy(pcm, fs->fifo, CAST_AUDIO_FRAME * sizeof(int16_t));
	fs->have -= CAST_AUDIO_FRAME;
	memmove(fs->fifo, fs->fifo + CAST_AUDIO_FRAME,
		(size_t)fs->have * sizeof(int16_t));
	return 1;
}

/* To film time `t` (s from the file's start), to the sample. */
static int file_seek(void *priv, double t)
{
	struct filesrc *fs = priv;
	int64_t ts = (int64_t)((t + fs->origin_s) * AV_TIME_BASE);
	int e;

	e = cast__media_seek(fs->fmt, -1, ts, AVSEEK_FLAG_BACKWARD);
	if (e < 0)
		return av_err("seek", e);
	avcodec_flush_buffers(fs->dec);
	e = swr_init(fs->swr);
	if (e < 0)
		return av_err("resampler", e);
	fs->demux_eof = fs->dec_eof = fs->swr_eof = false;
	fs->have = 0;
	fs->skip_to = t;
	fs->end_s = -1;
	fs->silence_left = 0;
	if (fs->held)
		av_frame_unref(fs->frame);
	fs->held = false;
	return 0;
}

static void file_damage(void *priv, struct cast__audio_damage *d)
{
	*d = ((struct filesrc *)priv)->damage;
}

int cast_audio_file_probe(const char *path)
{
	AVFormatContext *fmt = NULL;
	int e;

	if (!path || !*path)
		return CAST_ERROR(EINVAL);
	e = cast__media_open(&fmt, path);
	if (e < 0)
		return e == AVERROR(ENOENT) ? CAST_ERROR(ENOENT)
		       : e == AVERROR_INVALIDDATA ? CAST_EMALFORMED
		       : e > -4096 ? e : CAST_EEXTERNAL;
	e = cast__media_find_stream_info(fmt);
	if (e >= 0)
		e = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL,
					0) >= 0;
	else
		e = CAST_EMALFORMED;
	cast__media_close(&fmt);
	return e;
}

/* ---- mic: SDL2 audio capture (PulseAudio / PipeWire underneath) ---- */

struct micsrc {
	SDL_AudioDeviceID dev;
	uint64_t dropped_ms;
};

/*
 * The most the capture queue may hold when a frame is read: past it (the
 * sending thread was held up, or the sound server handed over a backlog),
 * the oldest sound is dropped, so the voice does not stay that far behind
 * the teacher's mouth for the rest of the lesson. Three frames leave room
 * for a server's usual 10-40 ms delivery bursts.
 */
#define MIC_BACKLOG_MAX (3 * CAST_AUDIO_FRAME * (Uint32)sizeof(int16_t))

static int mic_open(void **priv, const char *path)
{
	struct micsrc *m;
	SDL_AudioSpec want = {0}, have;

	if (SDL_InitSubSystem(SDL_INIT_AUDIO)) {
		cast_log(CAST_LOG_ERROR, "audio", "SDL audio: %s",
			 SDL_GetError());
		return CAST_ENOBACKEND;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
		return CAST_ERROR(ENOMEM);
	}
	want.freq = CAST_AUDIO_RATE;
	want.format = AUDIO_S16SYS;
	want.channels = 1;
	want.samples = CAST_AUDIO_FRAME;
	/* No callback: samples queue up and read() dequeues them. */
	m->dev = SDL_OpenAudioDevice(path, 1, &want, &have, 0);
	if (!m->dev) {
		cast_log(CAST_LOG_ERROR, "audio", "microphone %s: %s",
			 path ? path : "(default)", SDL_GetError());
		free(m);
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
		return CAST_ENOBACKEND;
	}
	SDL_PauseAudioDevice(m->dev, 0);
	*priv = m;
	return 0;
}

static int mic_read(void *priv, int16_t *pcm, int timeout_ms)
{
	struct micsrc *m = priv;
	const Uint32 want = CAST_AUDIO_FRAME * sizeof(int16_t);
	Uint32 queued;

	for (int waited = 0; (queued = SDL_GetQueuedAudioSize(m->dev)) < want;
	     waited += 2) {
		if (waited >= timeout_ms)
			return 0;
		SDL_Delay(2);
	}
	/* Behind: whole frames of the oldest sound go. */
	while (queued > MIC_BACKLOG_MAX + want) {
		if (SDL_DequeueAudio(m->dev, pcm, want) != want)
			return CAST_EEXTERNAL;
		m->dropped_ms += CAST_AUDIO_FRAME_US / 1000;
		queued -= want;
	}
	return SDL_DequeueAudio(m->dev, pcm, want) == want ? 1
							   : CAST_EEXTERNAL;
}

static void mic_damage(void *priv, struct cast__audio_damage *d)
{
	d->dropped_ms = ((struct micsrc *)priv)->dropped_ms;
}

static void mic_close(void *priv)
{
	struct micsrc *m = priv;

	SDL_CloseAudioDevice(m->dev);
	free(m);
	SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

static const struct backend backends[] = {
	{"mic", true, mic_open, mic_read, mic_close, NULL, mic_damage},
	{"file", false, file_open, file_read, file_close, file_seek,
	 file_damage},
	{"none", false, none_open, none_read, none_close, NULL, NULL},
};

int cast_audio_source_new(struct cast_audio_source **out, const char *backend,
			  const char *path)
{
	struct cast_audio_source *s;
	const struct backend *b = NULL;
	int err;

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backend && !strcmp(backends[i].name, backend))
			b = &backends[i];
	if (!b)
		return CAST_ENOBACKEND;
	s = calloc(1, sizeof(*s));
	if (!s)
		return CAST_ERROR(ENOMEM);
	s->b = b;
	err = b->open(&s->priv, path);
	if (err) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

int cast_audio_source_read(struct cast_audio_source *s, int16_t *pcm,
			   int timeout_ms)
{
	return s->b->read(s->priv, pcm, timeout_ms);
}

int cast__audio_source_seek(struct cast_audio_source *s, double t)
{
	return s->b->seek ? s->b->seek(s->priv, t) : CAST_ERROR(ENOTSUP);
}

void cast__audio_source_damage(const struct cast_audio_source *s,
				struct cast__audio_damage *d)
{
	memset(d, 0, sizeof(*d));
	if (s->b->damage)
		s->b->damage(s->priv, d);
}

bool cast_audio_source_live(const struct cast_audio_source *s)
{
	return s->b->live;
}

void cast_audio_source_free(struct cast_audio_source **s)
{
	if (!s || !*s)
		return;
	(*s)->b->close((*s)->priv);
	free(*s);
	*s = NULL;
}
