/* The student's voice: multicast RTP → SRTP → repair → jitter buffer → Opus → out. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <sodium.h>

#include "cast/cast.h"
#include "cast/audio.h"
#include "net/net_int.h"
#include "audio/audio_int.h"

/* The output device's queue is kept under this many frames. */
#define DEVICE_MAX_FRAMES 6
/* Lip sync: the audio's extra delay moves this often, by this much at most. */
#define SYNC_EVERY_US 1000000
#define SYNC_STEP_MS 40
#define SYNC_MAX_MS 300
/* With nothing to play, the thread wakes this often (ms) at least. */
#define IDLE_POLL_MS 100

enum output { OUT_NONE, OUT_FILE, OUT_DEVICE };

struct cast_voice_receiver {
	struct cast_voice_receiver_cfg cfg;
	char group[32];
	uint16_t port;
	char *iface;			/* the class's interface, or NULL */
	struct cast_udp *rtp, *rtcp;
	struct cast_srtp *srtp;		/* receiver thread */
	struct cast_srtp *next_srtp;	/* under lock */
	/* The signatures' session, of srtp's key and next_srtp's. */
	uint8_t session[CAST_VOICE_SESSION_LEN];
	uint8_t next_session[CAST_VOICE_SESSION_LEN];
	bool srtp_ok;
	int64_t last_roc_try;
	struct cast_repair_dec *rdec;
	/* Source authentication: every packet's signature is checked with
	 * the teacher's key `pk` (receiver thread), unless insecure or
	 * unsigned_media. */
	bool check;
	uint8_t pk[32];
	bool have_pk;
	uint8_t next_pk[32];		/* under lock */
	bool next_pk_set;		/* under lock */
	struct cast_jitter *jit;
	struct cast_opus_dec *dec;
	enum output out;
	struct cast_wav *wav;
	SDL_AudioDeviceID dev;
	bool sdl_init;
	bool playing;			/* played since the stream started */
	uint32_t ssrc;
	bool have_ssrc;
	bool have_sr;
	uint32_t sr_rtp_ts;
	int64_t sr_us;
	int64_t run_concealed;
	double lat_avg_us;		/* recent capture → played */
	bool have_lat;
	int extra_ms;
	int64_t last_sync_mono;
	uint8_t raw[CAST_RTP_MAX_PKT + 64];
	/*
	 * Another stream followed instead of the class's (a film shown to
	 * this seat): its sockets and keys wait here, under lock, for the
	 * thread to take them; the class's keys are kept to go back to.
	 */
	struct {
		bool pending;
		bool film;		/* following another stream */
		struct cast_udp *rtp, *rtcp;
		struct cast_srtp *srtp;
		uint8_t session[CAST_VOICE_SESSION_LEN];
		uint8_t pk[32];
	} next;
	bool film;			/* receiver thread: following one */
	bool home_key_set, home_pk_set;	/* under lock */
	struct cast_media_key home_key;	/* under lock */
	uint8_t home_pk[32];		/* under lock */

	pthread_t thread;
	bool running;
	atomic_bool stop, enabled;
	_Atomic int64_t video_delay_us;
	_Atomic int64_t hold_us;		/* pictures wait this long */
	pthread_mutex_t lock;
	struct cast_voice_receiver_stats st;	/* under lock */
	double av_offset_ms;			/* under lock; NAN: none */
};

void cast_voice_receiver_cfg_init(struct cast_voice_receiver_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channel = 1;
	cfg->output = "default";
	cfg->enabled = true;
	cast_jitter_cfg_init(&cfg->jitter);
	cfg->repair_block = 4;
}

static void count(struct cast_voice_receiver *v, uint64_t *field)
{
	pthread_mutex_lock(&v->lock);
	(*field)++;
	pthread_mutex_unlock(&v->lock);
}

/* SRTP check (in place); counts what it refuses. */
static bool accept_packet(struct cast_voice_receiver *v, uint8_t *buf,
			  size_t *len, bool rtcp)
{
	uint8_t copy[CAST_RTP_MAX_PKT + 64];
	size_t plain = *len;
	bool learn;
	int err;

	if (v->cfg.insecure)
		return true;
	if (!v->srtp) {
		count(v, &v->st.no_key);
		return false;
	}
	/* As the video: a late joiner may have to learn the rollover
	 * counter, from the packet as it came (rate-limited). */
	learn = !rtcp && !v->srtp_ok && *len <= sizeof(copy) &&
		cast_mono_us() - v->last_roc_try >= 200000;
	if (learn)
		memcpy(copy, buf, *len);
	err = rtcp ? cast_srtp_unprotect_rtcp(v->srtp, buf, len)
		   : cast_srtp_unprotect(v->srtp, buf, len);
	if (err == CAST_ERROR(EACCES) && learn) {
		v->last_roc_try = cast_mono_us();
		memcpy(buf, copy, plain);
		*len = plain;
		err = cast_srtp_unprotect_learn_roc(v->srtp, buf, len, 64);
	}
	if (!err) {
		if (!rtcp)
			v->srtp_ok = true;
		return true;
	}
	count(v, err == CAST_EREPLAY ? &v->st.replays : &v->st.auth_failures);
	return false;
}

/* An authenticated audio packet (parsed) into the jitter buffer. */
static void play_rtp(struct cast_voice_receiver *v,
		     const struct cast_rtp_hdr *hp, int64_t now, bool rebuilt)
{
	struct cast_rtp_hdr h = *hp;

	if (!v->have_ssrc || h.ssrc != v->ssrc) {
		/* A new stream (the teacher restarted): start over. */
		if (v->have_ssrc) {
			struct cast_jitter *j = NULL;

			if (!cast_jitter_new(&j, &v->cfg.jitter)) {
				cast_jitter_free(&v->jit);
				v->jit = j;
				cast_jitter_set_extra(v->jit, v->extra_ms);
			}
			v->have_sr = false;
		}
		v->ssrc = h.ssrc;
		v->have_ssrc = true;
	}
	if (rebuilt)
		cast_jitter_put_rebuilt(v->jit, h.seq, h.ts, h.payload,
					h.payload_len, now);
	else
		cast_jitter_put(v->jit, h.seq, h.ts, h.payload, h.payload_len,
				now);
	count(v, &v->st.packets);
}

/* Takes the teacher's key (or none: all zeros) and forgets the stream:
 * the teacher may have restarted. Receiver thread, or before it runs. */
static void use_key(struct cast_voice_receiver *v, const uint8_t pk[32])
{
	static const uint8_t zero[32];

	memcpy(v->pk, pk, 32);
	v->have_pk = sodium_memcmp(pk, zero, 32) != 0;
}

/* A plain RTP packet (after SRTP and repair): played if the teacher
 * signed it, or when signatures are not checked. */
static void take_rtp(struct cast_voice_receiver *v, const uint8_t *buf,
		     size_t len, int64_t now, bool rebuilt)
{
	struct cast_rtp_hdr h;
	int64_t t0;
	int err = cast_opus_rtp_parse(buf, len, (uint16_t)v->cfg.channel, &h);

	if (err) {
		count(v, err == CAST_ERROR(EXDEV) ? &v->st.foreign
						  : &v->st.malformed);
		return;
	}
	if (!v->check) {
		play_rtp(v, &h, now, rebuilt);
		return;
	}
	if (!v->have_pk) {
		count(v, &v->st.unauthenticated);
		return;
	}
	t0 = cast_mono_us();
	err = cast_opus_rtp_verify(buf, len, v->pk, v->session);
	pthread_mutex_lock(&v->lock);
	v->st.verify_us += (uint64_t)(cast_mono_us() - t0);
	if (err == CAST_EMALFORMED) {
		v->st.malformed++;
	} else if (err) {
		v->st.unauthenticated++;
		/* Signed, but not by the teacher: a forgery. */
		if ((buf[1] & 0x7f) == CAST_RTP_PT_OPUS_SIGNED)
			v->st.sigs_bad++;
	} else {
		v->st.sigs_ok++;
	}
	pthread_mutex_unlock(&v->lock);
	if (!err)
		play_rtp(v, &h, now, rebuilt);
}

static void on_recovered(uint16_t seq, const uint8_t *pkt, size_t len,
			 void *arg)
{
	struct cast_voice_receiver *v = arg;
	uint8_t buf[CAST_RTP_MAX_PKT + 64];

	(void)seq;
	if (len > sizeof(buf))
		return;
	memcpy(buf, pkt, len);
	if (!accept_packet(v, buf, &len, false))
		return;
	count(v, &v->st.repairs_recovered);
	take_rtp(v, buf, len, cast_mono_us(), true);
}

static void on_media(struct cast_voice_receiver *v, uint8_t *buf, size_t len,
		     int64_t now)
{
	size_t raw_len = len;
	uint16_t seq;

	if (cast_repair_detect(buf, len)) {
		count(v, &v->st.repairs_received);
		if (v->rdec &&
		    cast_repair_dec_add_repair(v->rdec, buf, len, on_recovered,
					       v) == CAST_EMALFORMED)
			count(v, &v->st.malformed);
		return;
	}
	if (len < CAST_RTP_HDR_LEN || len > sizeof(v->raw)) {
		count(v, &v->st.malformed);
		return;
	}
	seq = (uint16_t)(buf[2] << 8 | buf[3]);
	memcpy(v->raw, buf, len);
	if (!accept_packet(v, buf, &len, false))
		return;
	/* Only packets that authenticate feed the repair decoder. */
	if (v->rdec && raw_len <= CAST_REPAIR_MAX_PKT &&
	    cast_repair_dec_add_packet(v->rdec, seq, v->raw, raw_len) == 1)
		cast_repair_dec_solve(v->rdec, on_recovered, v);
	take_rtp(v, buf, len, now, false);
}

static void on_rtcp(struct cast_voice_receiver *v, uint8_t *buf, size_t len)
{
	struct cast_rtcp_sr sr;

	if (!accept_packet(v, buf, &len, true) ||
	    cast_rtcp_parse_sr(buf, len, &sr))
		return;
	if (v->have_ssrc && sr.ssrc != v->ssrc)
		return;
	v->sr_rtp_ts = sr.rtp_ts;
	v->sr_us = cast_ntp_to_us(sr.ntp);
	v->have_sr = true;
	count(v, &v->st.rtcp_sr);
}

/* How long until what is handed to the output now is heard (µs). */
static int64_t output_delay(struct cast_voice_receiver *v)
{
	if (v->out != OUT_DEVICE)
		return 0;
	return (int64_t)SDL_GetQueuedAudioSize(v->dev) * 1000000 /
	       (CAST_AUDIO_RATE * 2);
}

static void output(struct cast_voice_receiver *v, const int16_t *pcm)
{
	if (v->out == OUT_FILE && v->wav) {
		if (cast_wav_write(v->wav, pcm, CAST_AUDIO_FRAME)) {
			cast_log(CAST_LOG_ERROR, "voice", "output file: "
				 "write failed, stopped");
			cast_wav_close(&v->wav);
		}
	} else if (v->out == OUT_DEVICE) {
		if (SDL_GetQueuedAudioSize(v->dev) >=
		    DEVICE_MAX_FRAMES * CAST_AUDIO_FRAME * 2) {
			count(v, &v->st.output_overruns);
			return;
		}
		SDL_QueueAudio(v->dev, pcm, CAST_AUDIO_FRAME * 2);
	}
}

/*
 * Lip sync: hold the sound back as far as the picture is behind it, or
 * have the pictures held as far as the sound is behind them.
 */
static void sync_av(struct cast_voice_receiver *v, int64_t now)
{
	int64_t vd = v->video_delay_us, hold;
	int want;

	if (now - v->last_sync_mono < SYNC_EVERY_US || !v->have_lat)
		return;
	v->last_sync_mono = now;
	/* What the last second's correction left: shown picture vs sound. */
	pthread_mutex_lock(&v->lock);
	v->av_offset_ms = vd > 0 ? (double)(vd + v->hold_us -
					    (int64_t)v->lat_avg_us) / 1000
				 : 0;
	pthread_mutex_unlock(&v->lock);
	hold = vd > 0 && (int64_t)v->lat_avg_us > vd
		       ? (int64_t)v->lat_avg_us - vd
		       : 0;
	v->hold_us = hold;
	if (vd <= 0)
		want = 0;
	else
		want = v->extra_ms + (int)((vd - (int64_t)v->lat_avg_us) / 1000);
	if (want < 0)
		want = 0;
	if (want > SYNC_MAX_MS)
		want = SYNC_MAX_MS;
	if (want > v->extra_ms + SYNC_STEP_MS)
		want = v->extra_ms + SYNC_STEP_MS;
	if (want < v->extra_ms - SYNC_STEP_MS)
		want = v->extra_ms - SYNC_STEP_MS;
	/* Within a frame is in sync: no change, no stretching. */
	if (abs(want - v->extra_ms) >= CAST_AUDIO_FRAME_US / 1000) {
		v->extra_ms = want;
		cast_jitter_set_extra(v->jit, want);
	}
}

/* One 20 ms output period. */
static void tick(struct cast_voice_receiver *v, int64_t now)
{
	struct cast_jitter_frame f;
	int16_t pcm[CAST_AUDIO_FRAME];
	int64_t t0, play;
	/* A film shown to this seat plays whatever the teacher's voice. */
	bool on = v->enabled || v->film;

	cast_jitter_get(v->jit, now, &f);
	if (f.kind == CAST_JITTER_NONE) {
		v->run_concealed = 0;
		/* A device plays silence between talks; so does the file,
		 * once it began. */
		if (on && v->playing && v->out == OUT_FILE) {
			memset(pcm, 0, sizeof(pcm));
			output(v, pcm);
		}
		return;
	}
	if (!on) {
		v->playing = false;
		return;
	}
	t0 = cast_mono_us();
	if (f.kind == CAST_JITTER_PACKET)
		cast_opus_decode(v->dec, f.data, f.len, false, pcm);
	else if (f.kind == CAST_JITTER_FEC)
		cast_opus_decode(v->dec, f.data, f.len, true, pcm);
	else
		cast_opus_decode(v->dec, NULL, 0, false, pcm);
	v->playing = true;
	pthread_mutex_lock(&v->lock);
	cast_hist_add(&v->st.decode_us, cast_mono_us() - t0);
	v->st.frames_played++;
	if (f.kind == CAST_JITTER_FEC)
		v->st.frames_fec++;
	if (f.kind == CAST_JITTER_LOST) {
		v->st.frames_concealed++;
		v->run_concealed += CAST_AUDIO_FRAME_US / 1000;
		if (v->run_concealed > v->st.max_concealed_ms)
			v->st.max_concealed_ms = v->run_concealed;
	} else {
		v->run_concealed = 0;
	}
	play = cast_now_us() + output_delay(v);
	if (v->have_sr) {
		int64_t cap = v->sr_us +
			      (int64_t)(int32_t)(f.ts - v->sr_rtp_ts) * 1000 / 48;
		int64_t lat = play - cap;

		cast_hist_add(&v->st.latency_us, lat);
		v->lat_avg_us = v->have_lat ? v->lat_avg_us * 0.95 + lat * 0.05
					    : (double)lat;
		v->have_lat = true;
	}
	pthread_mutex_unlock(&v->lock);
	output(v, pcm);
	if (v->cfg.on_play)
		v->cfg.on_play(pcm, play, v->cfg.arg);
	sync_av(v, now);
}

/*
 * Takes the stream waiting in `next` (lock held, receiver thread or before
 * it starts): its sockets and keys, and a fresh start (jitter buffer,
 * repair, sender reports), as for a restarted teacher.
 */
static void switch_stream(struct cast_voice_receiver *v, struct pollfd *pfd)
{
	struct cast_jitter *j = NULL;

	cast_udp_free(&v->rtp);
	cast_udp_free(&v->rtcp);
	v->rtp = v->next.rtp;
	v->rtcp = v->next.rtcp;
	v->next.rtp = v->next.rtcp = NULL;
	cast_srtp_free(&v->srtp);
	cast_srtp_free(&v->next_srtp);
	v->srtp = v->next.srtp;
	v->next.srtp = NULL;
	memcpy(v->session, v->next.session, sizeof(v->session));
	v->srtp_ok = false;
	use_key(v, v->next.pk);
	v->next_pk_set = false;
	if (v->rdec) {
		struct cast_repair_dec *rd = NULL;
		struct cast_repair_dec_cfg rc;

		cast_repair_dec_cfg_init(&rc);
		rc.k = v->cfg.repair_block;
		rc.ring = 256;
		rc.max_blocks = 16;
		if (!cast_repair_dec_new(&rd, &rc)) {
			cast_repair_dec_free(&v->rdec);
			v->rdec = rd;
		}
	}
	if (!cast_jitter_new(&j, &v->cfg.jitter)) {
		cast_jitter_free(&v->jit);
		v->jit = j;
		cast_jitter_set_extra(v->jit, v->extra_ms);
	}
	v->have_ssrc = v->have_sr = false;
	v->playing = false;
	v->film = v->next.film;
	v->next.pending = false;
	sodium_memzero(v->next.pk, sizeof(v->next.pk));
	if (pfd) {
		pfd[0].fd = cast_udp_fd(v->rtp);
		pfd[1].fd = cast_udp_fd(v->rtcp);
	}
}

static void *voice_thread(void *arg)
{
	struct cast_voice_receiver *v = arg;
	uint8_t buf[CAST_RTP_MAX_PKT + 64];
	struct pollfd pfd[2];
	int64_t next = cast_mono_us() + CAST_AUDIO_FRAME_US, now;
	int n;

	cast__audio_realtime("voice");

	pfd[0].fd = cast_udp_fd(v->rtp);
	pfd[1].fd = cast_udp_fd(v->rtcp);
	pfd[0].events = pfd[1].events = POLLIN;
	while (!v->stop) {
		int64_t due;
		int wait;
		bool idle;

		now = cast_mono_us();
		wait = next > now ? (int)((next - now + 999) / 1000) : 0;
		/* No talk (a class without voice, a pause): wake for packets
		 * only, not 50 times a second; a file being written keeps
		 * its silence. */
		idle = cast_jitter_idle(v->jit) &&
		       !(v->out == OUT_FILE && v->playing);
		poll(pfd, 2, idle ? IDLE_POLL_MS : wait > 20 ? 20 : wait);
		pthread_mutex_lock(&v->lock);
		if (v->next.pending)
			switch_stream(v, pfd);
		if (v->next_srtp) {
			cast_srtp_free(&v->srtp);
			v->srtp = v->next_srtp;
			v->next_srtp = NULL;
			memcpy(v->session, v->next_session,
			       sizeof(v->session));
			v->srtp_ok = false;
		}
		if (v->next_pk_set) {
			use_key(v, v->next_pk);
			v->next_pk_set = false;
		}
		pthread_mutex_unlock(&v->lock);
		while ((n = cast_udp_recv(v->rtp, buf, sizeof(buf), 0, NULL,
					  NULL)) >= 0)
			on_media(v, buf, (size_t)n, cast_mono_us());
		while ((n = cast_udp_recv(v->rtcp, buf, sizeof(buf), 0, NULL,
					  NULL)) >= 0)
			on_rtcp(v, buf, (size_t)n);
		now = cast_mono_us();
		if (idle && cast_jitter_idle(v->jit)) {
			next = now + CAST_AUDIO_FRAME_US;
			continue;
		}
		/* A talk begins: the ticks follow its first frame's due
		 * time (a tick's phase would add up to 20 ms of delay). */
		due = cast_jitter_due(v->jit);
		if (due)
			next = due;
		/* After a stall (a loaded machine), do not play catch-up. */
		if (now - next > 200000)
			next = now;
		while (now >= next) {
			tick(v, now);
			next += CAST_AUDIO_FRAME_US;
		}
	}
	return NULL;
}

static int open_output(struct cast_voice_receiver *v, const char *spec)
{
	SDL_AudioSpec want = {0}, have;

	if (!spec || !strcmp(spec, "none")) {
		v->out = OUT_NONE;
		return 0;
	}
	if (!strncmp(spec, "file:", 5)) {
		v->out = OUT_FILE;
		return cast_wav_open(&v->wav, spec + 5, CAST_AUDIO_RATE, 1);
	}
	if (strcmp(spec, "default"))
		return CAST_ERROR(EINVAL);
	if (SDL_InitSubSystem(SDL_INIT_AUDIO)) {
		cast_log(CAST_LOG_ERROR, "voice", "SDL audio: %s",
			 SDL_GetError());
		return CAST_ENOBACKEND;
	}
	v->sdl_init = true;
	want.freq = CAST_AUDIO_RATE;
	want.format = AUDIO_S16SYS;
	want.channels = 1;
	want.samples = CAST_AUDIO_FRAME / 2;
	v->dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
	if (!v->dev) {
		cast_log(CAST_LOG_ERROR, "voice", "audio output: %s",
			 SDL_GetError());
		return CAST_ENOBACKEND;
	}
	v->out = OUT_DEVICE;
	SDL_PauseAudioDevice(v->dev, 0);
	return 0;
}

int cast_voice_receiver_new(struct cast_voice_receiver **out,
			    const struct cast_voice_receiver_cfg *cfg)
{
	struct cast_voice_receiver *v;
	struct cast_udp_cfg ucfg;
	int err;

	v = calloc(1, sizeof(*v));
	if (!v)
		return CAST_ERROR(ENOMEM);
	v->cfg = *cfg;
	v->cfg.group = NULL;
	v->cfg.iface = NULL;
	if (cfg->iface && !(v->iface = strdup(cfg->iface))) {
		free(v);
		return CAST_ERROR(ENOMEM);
	}
	v->cfg.output = NULL;
	v->cfg.media_key = NULL;
	v->cfg.teacher_pk = NULL;
	v->enabled = cfg->enabled;
	pthread_mutex_init(&v->lock, NULL);
	cast_hist_reset(&v->st.latency_us);
	cast_hist_reset(&v->st.decode_us);
	err = cast__channel_addr(cfg->channel, CAST_PORT_AUDIO, cfg->group,
				 cfg->port, v->group, sizeof(v->group),
				 &v->port);
	if (err)
		goto out;
	if (!cfg->insecure && cfg->unsigned_media)
		cast_log(CAST_LOG_WARN, "voice", "unsigned media: playing "
			 "sound any student could send");
	v->check = !cfg->insecure && !cfg->unsigned_media;
	if (v->check && cfg->teacher_pk) {
		use_key(v, cfg->teacher_pk);
		memcpy(v->next_pk, cfg->teacher_pk, 32);
		memcpy(v->home_pk, cfg->teacher_pk, 32);
		v->home_pk_set = true;
	}
	err = cast_jitter_new(&v->jit, &cfg->jitter);
	if (err)
		goto out;
	err = cast_opus_dec_new(&v->dec);
	if (err)
		goto out;
	if (cfg->repair_block) {
		struct cast_repair_dec_cfg rc;

		cast_repair_dec_cfg_init(&rc);
		rc.k = cfg->repair_block;
		rc.ring = 256;
		rc.max_blocks = 16;
		err = cast_repair_dec_new(&v->rdec, &rc);
		if (err)
			goto out;
	}
	if (cfg->media_key) {
		v->home_key = *cfg->media_key;
		v->home_key_set = true;
		cast_voice_session(cfg->media_key, v->session);
		err = cast_srtp_new(&v->srtp, CAST_SRTP_RECEIVER,
				    cfg->media_key);
		if (err)
			goto out;
	}
	cast_udp_cfg_init(&ucfg);
	ucfg.group = v->group;
	ucfg.iface = cfg->iface;
	ucfg.port = v->port;
	ucfg.rcvbuf = 256 << 10;
	err = cast_udp_new(&v->rtp, &ucfg);
	if (err)
		goto out;
	ucfg.port = (uint16_t)(v->port + 1);
	err = cast_udp_new(&v->rtcp, &ucfg);
	if (err)
		goto out;
	err = open_output(v, cfg->output);
	if (err) {
		cast_log(CAST_LOG_ERROR, "voice", "output %s: %s",
			 cfg->output ? cfg->output : "(none)",
			 cast_strerror(err));
		goto out;
	}
	*out = v;
	return 0;
out:
	cast_voice_receiver_free(&v);
	return err;
}

int cast_voice_receiver_start(struct cast_voice_receiver *v)
{
	int err;

	if (v->running)
		return CAST_ERROR(EALREADY);
	err = pthread_create(&v->thread, NULL, voice_thread, v);
	if (err)
		return CAST_ERROR(err);
	v->running = true;
	return 0;
}

int cast_voice_receiver_set_key(struct cast_voice_receiver *v,
				const struct cast_media_key *key)
{
	struct cast_srtp *s = NULL;
	int err = cast_srtp_new(&s, CAST_SRTP_RECEIVER, key);

	if (err)
		return err;
	pthread_mutex_lock(&v->lock);
	v->home_key = *key;
	v->home_key_set = true;
	if (v->film || (v->next.pending && v->next.film)) {
		/* Following a film: the class's key waits for the way back. */
		cast_srtp_free(&s);
	} else if (!v->running && !v->srtp) {
		v->srtp = s;
		cast_voice_session(key, v->session);
	} else {
		cast_srtp_free(&v->next_srtp);
		v->next_srtp = s;
		cast_voice_session(key, v->next_session);
	}
	pthread_mutex_unlock(&v->lock);
	return 0;
}

void cast_voice_receiver_set_teacher_key(struct cast_voice_receiver *v,
					 const uint8_t pk[32])
{
	if (!v || !pk)
		return;
	pthread_mutex_lock(&v->lock);
	memcpy(v->home_pk, pk, 32);
	v->home_pk_set = true;
	if (v->film || (v->next.pending && v->next.film)) {
		/* Following a film: kept for the way back. */
		pthread_mutex_unlock(&v->lock);
		return;
	}
	/* The same key again (every WELCOME) keeps the stream. */
	if (v->check && memcmp(v->next_pk, pk, 32)) {
		memcpy(v->next_pk, pk, 32);
		if (!v->running)
			use_key(v, pk);
		else
			v->next_pk_set = true;
	}
	pthread_mutex_unlock(&v->lock);
}

int cast_voice_receiver_follow(struct cast_voice_receiver *v,
				const char *group, uint16_t port,
				const struct cast_media_key *key,
				const uint8_t pk[32])
{
	struct cast_udp *rtp = NULL, *rtcp = NULL;
	struct cast_srtp *srtp = NULL;
	struct cast_udp_cfg ucfg;
	struct cast_media_key home;
	uint8_t session[CAST_VOICE_SESSION_LEN] = {0};
	char g[32];
	uint16_t p;
	bool film = group != NULL, have_home;
	int err;

	if (!v || (film && (!port || port > 65534 || !pk ||
			    (!key && !v->cfg.insecure))))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&v->lock);
	home = v->home_key;
	have_home = v->home_key_set;
	if (!film && !v->film && !(v->next.pending && v->next.film)) {
		/* Already on the class's stream. */
		pthread_mutex_unlock(&v->lock);
		return 0;
	}
	pthread_mutex_unlock(&v->lock);
	if (film) {
		snprintf(g, sizeof(g), "%s", group);
		p = port;
	} else {
		err = cast__channel_addr(v->cfg.channel, CAST_PORT_AUDIO,
					 NULL, 0, g, sizeof(g), &p);
		if (err)
			return err;
	}
	cast_udp_cfg_init(&ucfg);
	ucfg.group = g;
	ucfg.iface = v->iface;
	ucfg.port = p;
	ucfg.rcvbuf = 256 << 10;
	err = cast_udp_new(&rtp, &ucfg);
	if (!err) {
		ucfg.port = (uint16_t)(p + 1);
		err = cast_udp_new(&rtcp, &ucfg);
	}
	if (!err && !v->cfg.insecure && (film || have_home)) {
		err = cast_srtp_new(&srtp, CAST_SRTP_RECEIVER,
				    film ? key : &home);
		cast_voice_session(film ? key : &home, session);
	}
	sodium_memzero(&home, sizeof(home));
	if (err) {
		cast_udp_free(&rtp);
		cast_udp_free(&rtcp);
		return err;
	}
	pthread_mutex_lock(&v->lock);
	cast_udp_free(&v->next.rtp);
	cast_udp_free(&v->next.rtcp);
	cast_srtp_free(&v->next.srtp);
	v->next.rtp = rtp;
	v->next.rtcp = rtcp;
	v->next.srtp = srtp;
	memcpy(v->next.session, session, sizeof(session));
	v->next.film = film;
	if (film)
		memcpy(v->next.pk, pk, 32);
	else if (v->home_pk_set)
		memcpy(v->next.pk, v->home_pk, 32);
	else
		memset(v->next.pk, 0, 32);
	v->next.pending = true;
	if (!v->running)
		switch_stream(v, NULL);
	pthread_mutex_unlock(&v->lock);
	cast_log(CAST_LOG_INFO, "voice", film ? "playing the film's sound "
		 "(%s:%u)" : "playing the teacher's voice again (%s:%u)", g,
		 (unsigned)p);
	return 0;
}

bool cast_voice_receiver_following(struct cast_voice_receiver *v)
{
	bool f;

	if (!v)
		return false;
	pthread_mutex_lock(&v->lock);
	f = v->next.pending ? v->next.film : v->film;
	pthread_mutex_unlock(&v->lock);
	return f;
}

void cast_voice_receiver_enable(struct cast_voice_receiver *v, bool on)
{
	v->enabled = on;
}

void cast_voice_receiver_set_video_delay(struct cast_voice_receiver *v,
					 int64_t us)
{
	v->video_delay_us = us;
}

int64_t cast_voice_receiver_picture_hold(struct cast_voice_receiver *v)
{
	return v->hold_us;
}

void cast_voice_receiver_stats(struct cast_voice_receiver *v,
			       struct cast_voice_receiver_stats *st)
{
	pthread_mutex_lock(&v->lock);
	*st = v->st;
	st->av_offset_ms = v->av_offset_ms;
	st->extra_delay_ms = v->extra_ms;
	st->picture_hold_ms = (int)(v->hold_us / 1000);
	cast_jitter_stats(v->jit, &st->jitter);
	pthread_mutex_unlock(&v->lock);
	st->enabled = v->enabled;
}

void cast_voice_receiver_stop(struct cast_voice_receiver *v)
{
	if (!v || !v->running)
		return;
	v->stop = true;
	pthread_join(v->thread, NULL);
	v->running = false;
}

void cast_voice_receiver_free(struct cast_voice_receiver **pv)
{
	struct cast_voice_receiver *v;

	if (!pv || !*pv)
		return;
	v = *pv;
	cast_voice_receiver_stop(v);
	if (v->dev)
		SDL_CloseAudioDevice(v->dev);
	if (v->sdl_init)
		SDL_QuitSubSystem(SDL_INIT_AUDIO);
	if (cast_wav_close(&v->wav))
		cast_log(CAST_LOG_ERROR, "voice", "output file: not finished");
	cast_udp_free(&v->rtp);
	cast_udp_free(&v->rtcp);
	cast_udp_free(&v->next.rtp);
	cast_udp_free(&v->next.rtcp);
	cast_srtp_free(&v->next.srtp);
	cast_srtp_free(&v->srtp);
	cast_srtp_free(&v->next_srtp);
	sodium_memzero(&v->home_key, sizeof(v->home_key));
	free(v->iface);
	cast_repair_dec_free(&v->rdec);
	sodium_memzero(v->pk, sizeof(v->pk));
	cast_jitter_free(&v->jit);
	cast_opus_dec_free(&v->dec);
	pthread_mutex_destroy(&v->lock);
	free(v);
	*pv = NULL;
}
