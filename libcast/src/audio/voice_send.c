/* The teacher's voice: source → denoise/AGC → Opus → RTP → SRTP → multicast. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <speex/speex_preprocess.h>

#include "cast/cast.h"
#include "cast/audio.h"
#include "cast/record.h"
#include "net/net_int.h"
#include "audio/audio_int.h"

#define SR_INTERVAL_US 1000000
/* Wire packets the repair encoder keeps (it covers one block at a time). */
#define REPAIR_RING 256

struct cast_voice_sender {
	struct cast_voice_sender_cfg cfg;
	struct cast_audio_source *src;
	SpeexPreprocessState *pp;
	struct cast_opus_enc *enc;
	struct cast_opus_packetizer *pack;
	struct cast_repair_enc *renc;
	struct cast_udp *rtp, *rtcp;
	struct cast_srtp *srtp;
	char group[32];
	uint16_t port;
	uint16_t seq;			/* of the next packet */
	/* The RTP clock: ts_base at wall time t0_us, 48 kHz. */
	int64_t t0_us;
	uint32_t ts_base;
	int64_t last_sr_mono;
	bool sign;			/* each packet signed (the packetizer) */

	pthread_t thread;
	bool running;
	atomic_bool stop, enabled;
	pthread_mutex_t lock;
	struct cast_voice_sender_stats st;	/* under lock */
};

void cast_voice_sender_cfg_init(struct cast_voice_sender_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channel = 1;
	cfg->ttl = 1;
	cfg->loop = true;
	cfg->source = "mic";
	cfg->preprocess = -1;
	cast_opus_enc_cfg_init(&cfg->opus);
	cfg->repair_block = 4;
	cfg->repairs = 2;
	cfg->enabled = true;
}

static void sleep_until(int64_t mono_us)
{
	struct timespec ts = {.tv_sec = mono_us / 1000000,
			      .tv_nsec = (mono_us % 1000000) * 1000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static void count_send(struct cast_voice_sender *v, int n, bool repair)
{
	pthread_mutex_lock(&v->lock);
	if (n < 0) {
		v->st.send_errors++;
	} else {
		v->st.bytes_sent += (uint64_t)n;
		if (repair)
			v->st.repairs_sent++;
		else
			v->st.packets_sent++;
	}
	pthread_mutex_unlock(&v->lock);
}

/* Protects and sends one RTP packet; a full repair block gets its repair. */
static void send_packet(struct cast_voice_sender *v, uint8_t *pkt, size_t len,
			size_t cap)
{
	uint8_t rep[CAST_REPAIR_MAX_LEN];
	uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	int n = 0;

	if (v->srtp)
		n = cast_srtp_protect(v->srtp, pkt, &len, cap);
	if (!n)
		n = cast_udp_send(v->rtp, pkt, len);
	count_send(v, n, false);
	if (!v->renc || n < 0)
		return;
	cast_repair_enc_add(v->renc, seq, pkt, len);
	if ((uint16_t)(seq + 1) % v->cfg.repair_block)
		return;
	/* The block may have begun before this stream did: cover what we
	 * sent of it. Seeds 0, 1, ...: any `repairs` losses are rebuilt. */
	for (uint32_t seed = 0; seed < (uint32_t)v->cfg.repairs; seed++) {
		uint16_t base = cast_repair_block_base(seq, v->cfg.repair_block);
		int covered = v->cfg.repair_block;

		n = cast_repair_enc_make(v->renc, base, covered, seed, rep,
					 sizeof(rep));
		if (n == CAST_ERROR(ENOENT))
			return;
		if (n > 0)
			n = cast_udp_send(v->rtp, rep, (size_t)n);
		count_send(v, n, true);
	}
}

static void send_sr(struct cast_voice_sender *v)
{
	struct cast_rtcp_sr sr = {0};
	uint8_t buf[256];
	int64_t now = cast_now_us();
	size_t len;
	int n;

	sr.ssrc = cast_opus_packetizer_ssrc(v->pack);
	sr.ntp = cast_ntp_from_us(now);
	/* The same wall clock as the video's reports: lip sync. */
	sr.rtp_ts = v->ts_base + (uint32_t)((now - v->t0_us) * 48 / 1000);
	cast_opus_packetizer_counts(v->pack, &sr.packets, &sr.octets);
	n = cast_rtcp_write_sr(buf, sizeof(buf) - CAST_SRTCP_OVERHEAD, &sr,
			       "libcast-teacher");
	len = n > 0 ? (size_t)n : 0;
	if (n > 0 && v->srtp)
		n = cast_srtp_protect_rtcp(v->srtp, buf, &len, sizeof(buf));
	if (n >= 0)
		n = cast_udp_send(v->rtcp, buf, len);
	if (n < 0)
		count_send(v, n, false);
}

static int encode_send(struct cast_voice_sender *v, int16_t *pcm,
		       uint32_t ts, int64_t capture_us)
{
	uint8_t opus[CAST_OPUS_MAX_PACKET];
	uint8_t pkt[CAST_RTP_MAX_PKT + CAST_SRTP_OVERHEAD];
	int64_t t = cast_mono_us();
	int n;

	if (v->pp)
		speex_preprocess_run(v->pp, pcm);
	n = cast_opus_encode(v->enc, pcm, opus, sizeof(opus));
	pthread_mutex_lock(&v->lock);
	cast_hist_add(&v->st.encode_us, cast_mono_us() - t);
	pthread_mutex_unlock(&v->lock);
	if (n < 0)
		return n;
	if (v->cfg.on_opus)
		v->cfg.on_opus(opus, (size_t)n, capture_us, CAST_AUDIO_FRAME,
			       v->cfg.opus_arg);
	t = cast_mono_us();
	/* Signed here when the class is (docs/voice.md, "Source
	 * authentication"). */
	n = cast_opus_packetize(v->pack, opus, (size_t)n, ts, pkt,
				sizeof(pkt) - CAST_SRTP_OVERHEAD);
	if (n < 0)
		return n;
	if (v->sign) {
		pthread_mutex_lock(&v->lock);
		v->st.sign_us += (uint64_t)(cast_mono_us() - t);
		v->st.signed_packets++;
		v->st.auth_bytes += CAST_VOICE_SIG_LEN;
		pthread_mutex_unlock(&v->lock);
	}
	send_packet(v, pkt, (size_t)n, sizeof(pkt));
	pthread_mutex_lock(&v->lock);
	v->st.frames_sent++;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

/*
 * A film's sound follows the film's clock (network cinema): each frame is
 * sent when the clock reaches its film time. Returns true when the frame
 * at `*film_s` is due now; false after waiting a little instead (paused,
 * the sound ended before the picture, not due yet) or moving the source
 * to a seek's time. Whenever the clock held or jumped, the origin of the
 * reports' wall clock is set again so the next frame is stamped now.
 */
static bool cinema_wait(struct cast_voice_sender *v, uint64_t n,
			double *film_s, uint64_t *gen, bool *ended,
			bool *anchor)
{
	struct cast_cinema *c = v->cfg.cinema;
	uint64_t g;
	int64_t due = cast_cinema_due(c, *film_s, &g), now = cast_mono_us();
	int err;

	if (g != *gen) {
		*film_s = cast_cinema_position(c);
		err = cast__audio_source_seek(v->src, *film_s);
		if (err)
			cast_log(CAST_LOG_WARN, "voice", "seek to %.3f s: %s",
				 *film_s, cast_strerror(err));
		*gen = g;
		*ended = false;
		*anchor = true;
		return false;
	}
	if (due == INT64_MAX || *ended) {
		sleep_until(now + CAST_AUDIO_FRAME_US);
		*anchor = true;
		return false;
	}
	if (due > now + CAST_AUDIO_FRAME_US) {
		sleep_until(now + CAST_AUDIO_FRAME_US);
		return false;
	}
	sleep_until(due);
	if (*anchor) {
		v->t0_us = cast_now_us() - (int64_t)n * CAST_AUDIO_FRAME_US;
		/* A report with the new origin goes with the next frame. */
		v->last_sr_mono = 0;
		*anchor = false;
	}
	return true;
}

static void *voice_thread(void *arg)
{
	struct cast_voice_sender *v = arg;
	int16_t pcm[CAST_AUDIO_FRAME];
	bool live = cast_audio_source_live(v->src);
	int64_t t0_mono;
	/* n: frames read; k: their place on the sample clock, which also
	 * counts what a live source dropped to keep up (RFC 3550: the
	 * timestamp is the sampling instant, so it jumps over a drop). */
	uint64_t n = 0, k = 0, gen = 0;
	bool ended = false, anchor = true;
	double film_s = 0;
	struct cast__audio_damage dmg;
	int err;

	cast__audio_realtime("voice");

	/* Both clocks read together: a file's frames are sent on the one
	 * at the times the other stamps them with. */
	t0_mono = cast_mono_us();
	v->t0_us = cast_now_us();
	v->last_sr_mono = 0;
	if (v->cfg.cinema)
		gen = cast_cinema_generation(v->cfg.cinema);
	while (!v->stop) {
		if (v->cfg.cinema) {
			if (!cinema_wait(v, n, &film_s, &gen, &ended, &anchor))
				continue;
		} else if (!live) {
			sleep_until(t0_mono + (int64_t)n * CAST_AUDIO_FRAME_US);
		}
		err = cast_audio_source_read(v->src, pcm, 100);
		if (err == 0)
			continue;
		if (err == CAST_EOF && v->cfg.cinema) {
			/* The picture may go on, loop or be moved back. */
			ended = true;
			continue;
		}
		if (err == CAST_EOF) {
			cast_log(CAST_LOG_INFO, "voice", "source ended");
			break;
		}
		if (err < 0) {
			cast_log(CAST_LOG_ERROR, "voice", "source: %s",
				 cast_strerror(err));
			pthread_mutex_lock(&v->lock);
			v->st.source_errors++;
			pthread_mutex_unlock(&v->lock);
			break;
		}
		film_s += (double)CAST_AUDIO_FRAME_US / 1e6;
		cast__audio_source_damage(v->src, &dmg);
		pthread_mutex_lock(&v->lock);
		v->st.frames_read++;
		v->st.decode_errors = dmg.decode_errors;
		v->st.missing_ms = dmg.missing_ms;
		v->st.capture_dropped_ms = dmg.dropped_ms;
		pthread_mutex_unlock(&v->lock);
		k = n + dmg.dropped_ms * 1000 / CAST_AUDIO_FRAME_US;
		if (v->enabled) {
			err = encode_send(v, pcm,
					  v->ts_base +
						  (uint32_t)(k * CAST_AUDIO_FRAME),
					  v->t0_us + (int64_t)k *
							     CAST_AUDIO_FRAME_US);
			if (err)
				cast_log(CAST_LOG_WARN, "voice", "encode: %s",
					 cast_strerror(err));
		}
		n++;
		/* The sample clock is the capture clock: resync the wall
		 * clock origin the reports use to it (a file is paced to
		 * it; a microphone's device clock drifts a little, and its
		 * first frame may come long after the thread started). The
		 * report goes after, so it never maps the sound through the
		 * origin the thread guessed at its start. */
		if (live)
			v->t0_us = cast_now_us() -
				   (int64_t)(k + 1) * CAST_AUDIO_FRAME_US;
		if (v->enabled &&
		    cast_mono_us() - v->last_sr_mono >= SR_INTERVAL_US) {
			send_sr(v);
			v->last_sr_mono = cast_mono_us();
		}
	}
	pthread_mutex_lock(&v->lock);
	v->st.finished = true;
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int cast_voice_sender_new(struct cast_voice_sender **out,
			  const struct cast_voice_sender_cfg *cfg)
{
	struct cast_voice_sender *v;
	struct cast_opus_packetizer_cfg pcfg;
	struct cast_udp_cfg ucfg;
	uint8_t session[CAST_VOICE_SESSION_LEN];
	int err, pre;

	if (!cfg->insecure && !cfg->media_key)
		return CAST_ERROR(EINVAL);
	if (!cfg->insecure && !cfg->unsigned_media &&
	    (!cfg->sign_key || !cfg->sign_key->can_sign)) {
		cast_log(CAST_LOG_ERROR, "voice",
			 "secure voice needs the teacher's signing key");
		return CAST_ERROR(EINVAL);
	}
	if (cfg->repair_block &&
	    (cfg->repair_block < CAST_REPAIR_MIN_BLOCK ||
	     cfg->repair_block > CAST_REPAIR_MAX_BLOCK ||
	     (cfg->repair_block & (cfg->repair_block - 1)) ||
	     cfg->repairs < 1 || cfg->repairs > cfg->repair_block))
		return CAST_ERROR(EINVAL);
	v = calloc(1, sizeof(*v));
	if (!v)
		return CAST_ERROR(ENOMEM);
	v->cfg = *cfg;
	v->cfg.media_key = NULL;
	v->cfg.dest_addr = NULL;
	v->cfg.iface = NULL;
	v->cfg.source = NULL;
	v->cfg.path = NULL;
	v->cfg.sign_key = NULL;
	v->sign = !cfg->insecure && !cfg->unsigned_media;
	v->enabled = cfg->enabled;
	pthread_mutex_init(&v->lock, NULL);
	cast_hist_reset(&v->st.encode_us);
	err = cast__channel_addr(cfg->channel, CAST_PORT_AUDIO, cfg->dest_addr,
				 cfg->dest_port, v->group, sizeof(v->group),
				 &v->port);
	if (err)
		goto out;
	err = cast_audio_source_new(&v->src, cfg->source, cfg->path);
	if (err && cfg->cinema) {
		/* A film's sound no decoder takes: the picture plays on,
		 * silent; the sender sends nothing. */
		cast_log(CAST_LOG_WARN, "voice",
			 "%s: the film's sound cannot be decoded (%s): the "
			 "picture plays silent",
			 cfg->path ? cfg->path : "", cast_strerror(err));
		v->st.source_errors = 1;
		v->st.finished = true;
		*out = v;
		return 0;
	}
	if (err) {
		cast_log(CAST_LOG_ERROR, "voice", "source %s%s%s: %s",
			 cfg->source ? cfg->source : "(none)",
			 cfg->path ? ":" : "", cfg->path ? cfg->path : "",
			 cast_strerror(err));
		goto out;
	}
	pre = cfg->preprocess < 0 ? cast_audio_source_live(v->src)
				  : cfg->preprocess;
	if (pre) {
		int on = 1;

		v->pp = speex_preprocess_state_init(CAST_AUDIO_FRAME,
						    CAST_AUDIO_RATE);
		if (!v->pp) {
			err = CAST_ERROR(ENOMEM);
			goto out;
		}
		speex_preprocess_ctl(v->pp, SPEEX_PREPROCESS_SET_DENOISE, &on);
		speex_preprocess_ctl(v->pp, SPEEX_PREPROCESS_SET_AGC, &on);
	}
	err = cast_opus_enc_new(&v->enc, &cfg->opus);
	if (err)
		goto out;
	cast_opus_packetizer_cfg_init(&pcfg);
	pcfg.channel = (uint16_t)cfg->channel;
	if (v->sign) {
		cast_voice_session(cfg->media_key, session);
		pcfg.sign_sk = cfg->sign_key->sign_sk;
		pcfg.sign_session = session;
	}
	err = cast_opus_packetizer_new(&v->pack, &pcfg);
	if (err)
		goto out;
	v->ts_base = cast_opus_packetizer_ssrc(v->pack) * 2654435761u;
	v->st.ssrc = cast_opus_packetizer_ssrc(v->pack);
	if (cfg->repair_block) {
		struct cast_repair_enc_cfg rc;

		cast_repair_enc_cfg_init(&rc);
		rc.k = cfg->repair_block;
		rc.ring = REPAIR_RING;
		err = cast_repair_enc_new(&v->renc, &rc);
		if (err)
			goto out;
	}
	if (!cfg->insecure) {
		err = cast_srtp_new(&v->srtp, CAST_SRTP_SENDER, cfg->media_key);
		if (err)
			goto out;
	}
	cast_udp_cfg_init(&ucfg);
	ucfg.iface = cfg->iface;
	ucfg.ttl = cfg->ttl;
	ucfg.loop = cfg->loop;
	ucfg.dest_addr = v->group;
	ucfg.dest_port = v->port;
	ucfg.rcvbuf = 0;
	err = cast_udp_new(&v->rtp, &ucfg);
	if (err)
		goto out;
	ucfg.dest_port = (uint16_t)(v->port + 1);
	err = cast_udp_new(&v->rtcp, &ucfg);
	if (err)
		goto out;
	*out = v;
	return 0;
out:
	cast_voice_sender_free(&v);
	return err;
}

int cast_voice_sender_start(struct cast_voice_sender *v)
{
	int err;

	if (v->running)
		return CAST_ERROR(EALREADY);
	if (!v->src)
		return 0;	/* a film's sound that cannot be decoded */
	err = pthread_create(&v->thread, NULL, voice_thread, v);
	if (err)
		return CAST_ERROR(err);
	v->running = true;
	return 0;
}

int cast_voice_sender_sdp(struct cast_voice_sender *v, char *buf,
			  size_t size)
{
	return cast_sdp_append_opus(buf, size, v->group, v->port,
				    CAST_RTP_PT_OPUS, v->cfg.ttl);
}

void cast_voice_sender_enable(struct cast_voice_sender *v, bool on)
{
	v->enabled = on;
}

void cast_voice_sender_stats(struct cast_voice_sender *v,
			     struct cast_voice_sender_stats *st)
{
	pthread_mutex_lock(&v->lock);
	*st = v->st;
	pthread_mutex_unlock(&v->lock);
	st->enabled = v->enabled;
}

void cast_voice_sender_stop(struct cast_voice_sender *v)
{
	if (!v || !v->running)
		return;
	v->stop = true;
	pthread_join(v->thread, NULL);
	v->running = false;
}

void cast_voice_sender_free(struct cast_voice_sender **pv)
{
	struct cast_voice_sender *v;

	if (!pv || !*pv)
		return;
	v = *pv;
	cast_voice_sender_stop(v);
	cast_udp_free(&v->rtp);
	cast_udp_free(&v->rtcp);
	cast_srtp_free(&v->srtp);
	cast_repair_enc_free(&v->renc);
	cast_opus_packetizer_free(&v->pack);
	cast_opus_enc_free(&v->enc);
	if (v->pp)
		speex_preprocess_state_destroy(v->pp);
	cast_audio_source_free(&v->src);
	pthread_mutex_destroy(&v->lock);
	free(v);
	*pv = NULL;
}
