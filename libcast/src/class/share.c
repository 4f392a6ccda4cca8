/* On the student: the screen it sends when asked, and what it shows. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/error.h"
#include "cast/key.h"
#include "cast/log.h"
#include "cast/audio.h"
#include "cast/screens.h"
#include "class/screens_int.h"

/* ---- Sending ------------------------------------------------------------ */

struct stream {
	struct cast_sender *s;
	struct cast_cmd_screen_send cmd;
	uint64_t frames_before;	/* sent by this kind's earlier senders */
	int width, height;
};

struct cast_share {
	struct cast_share_cfg cfg;
	char *backend, *device;
	pthread_mutex_t lock;
	struct stream demo, wall;
	uint64_t errors;
};

void cast_share_cfg_init(struct cast_share_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cast_capture_cfg_init(&cfg->capture);
	cfg->capture.backend = "x11";
	cfg->channel = 1;
}

int cast_share_new(struct cast_share **out, const struct cast_share_cfg *cfg)
{
	struct cast_share *sh;

	if (!out || !cfg || cfg->max_width < 0 || cfg->max_height < 0)
		return CAST_ERROR(EINVAL);
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return CAST_ERROR(ENOMEM);
	sh->cfg = *cfg;
	sh->cfg.iface = NULL;
	if ((cfg->capture.backend &&
	     !(sh->backend = strdup(cfg->capture.backend))) ||
	    (cfg->capture.device &&
	     !(sh->device = strdup(cfg->capture.device))) ||
	    (cfg->iface && !(sh->cfg.iface = strdup(cfg->iface)))) {
		free(sh->backend);
		free(sh->device);
		free(sh);
		return CAST_ERROR(ENOMEM);
	}
	sh->cfg.capture.backend = sh->backend;
	sh->cfg.capture.device = sh->device;
	pthread_mutex_init(&sh->lock, NULL);
	*out = sh;
	return 0;
}

/* Stops a stream, keeping its count (lock held). */
static void stream_stop(struct stream *st)
{
	struct cast_sender_stats ss;

	if (!st->s)
		return;
	cast_sender_stop(st->s);
	cast_sender_stats(st->s, &ss);
	st->frames_before += ss.frames_sent;
	cast_sender_free(&st->s);
	sodium_memzero(&st->cmd, sizeof(st->cmd));
}

static int stream_start(struct cast_share *sh, struct stream *st,
			const struct cast_cmd_screen_send *cmd,
			uint32_t teacher_ip)
{
	struct cast_sender_cfg sc;
	struct cast_key *key;
	struct in_addr in = {.s_addr = htonl(teacher_ip)};
	char dest[INET_ADDRSTRLEN];
	int err, w = cmd->width, h = cmd->height;

	if (cmd->kind == CAST_SCREEN_WALL) {
		if (!teacher_ip || !inet_ntop(AF_INET, &in, dest, sizeof(dest)))
			return CAST_ERROR(EDESTADDRREQ);
	} else {
		snprintf(dest, sizeof(dest), "%s", cmd->to.group);
	}
	key = sodium_malloc(sizeof(*key));
	if (!key)
		return CAST_ERROR(ENOMEM);
	memset(key, 0, sizeof(*key));
	key->can_sign = true;
	crypto_sign_seed_keypair(key->sign_pk, key->sign_sk, cmd->seed);

	cast_sender_cfg_init(&sc);
	sc.capture = sh->cfg.capture;
	sc.capture.fps = cmd->fps;
	if (!strcmp(sc.capture.backend ? sc.capture.backend : "", "testpattern") &&
	    (!sc.capture.width || !sc.capture.height)) {
		/* A pattern as large as the seat says its screen is. */
		sc.capture.width = sh->cfg.max_width ? sh->cfg.max_width : 1280;
		sc.capture.height = sh->cfg.max_height ? sh->cfg.max_height
						       : 720;
	}
	/* What the teacher asks for, within the seat's own limit. */
	if (!w || !h) {
		w = CAST_CLASS_WIDTH;
		h = CAST_CLASS_HEIGHT;
	}
	if (sh->cfg.max_width && sh->cfg.max_height) {
		w = w < sh->cfg.max_width ? w : sh->cfg.max_width;
		h = h < sh->cfg.max_height ? h : sh->cfg.max_height;
	}
	sc.fit_width = w;
	sc.fit_height = h;
	sc.encoder.fps = cmd->fps;
	sc.encoder.bitrate_kbps = cmd->kbps;
	sc.channel = sh->cfg.channel;
	sc.dest_addr = dest;
	sc.dest_port = cmd->to.port;
	sc.iface = sh->cfg.iface;
	sc.media_key = &cmd->to.key;
	sc.sign_key = key;
	/* A thumbnail's still screen: refreshed, then once a second. */
	if (cmd->kind == CAST_SCREEN_WALL && cmd->fps < 10)
		sc.still_interval_ms = 1000 / cmd->fps;
	err = cast_sender_new(&st->s, &sc);
	sodium_free(key);
	if (!err)
		err = cast_sender_start(st->s);
	if (err) {
		cast_sender_free(&st->s);
		sh->errors++;
		cast_log(CAST_LOG_ERROR, "share", "cannot send this screen "
			 "(%s to %s:%u): %s",
			 cmd->kind == CAST_SCREEN_DEMO ? "demo" : "wall", dest,
			 cmd->to.port, cast_strerror(err));
		return err;
	}
	st->cmd = *cmd;
	st->width = w;
	st->height = h;
	cast_log(CAST_LOG_INFO, "share", "sending this screen (%s) to %s:%u, "
		 "%d fps, at most %dx%d",
		 cmd->kind == CAST_SCREEN_DEMO ? "demo" : "wall", dest,
		 cmd->to.port, cmd->fps, w, h);
	return 0;
}

int cast_share_apply(struct cast_share *sh,
		     const struct cast_cmd_screen_send *cmd,
		     uint32_t teacher_ip)
{
	struct stream *st;
	int err = 0;

	if (!sh || !cmd ||
	    (cmd->kind != CAST_SCREEN_DEMO && cmd->kind != CAST_SCREEN_WALL))
		return CAST_ERROR(EINVAL);
	st = cmd->kind == CAST_SCREEN_DEMO ? &sh->demo : &sh->wall;
	pthread_mutex_lock(&sh->lock);
	stream_stop(st);
	if (cmd->on)
		err = stream_start(sh, st, cmd, teacher_ip);
	pthread_mutex_unlock(&sh->lock);
	return err;
}

void cast_share_stop_all(struct cast_share *sh)
{
	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	stream_stop(&sh->demo);
	stream_stop(&sh->wall);
	pthread_mutex_unlock(&sh->lock);
}

static uint64_t stream_frames(const struct stream *st, int *w, int *h)
{
	struct cast_sender_stats ss;

	if (!st->s)
		return st->frames_before;
	cast_sender_stats(st->s, &ss);
	*w = ss.width;
	*h = ss.height;
	return st->frames_before + ss.frames_sent;
}

void cast_share_stats(struct cast_share *sh, struct cast_share_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	st->demo = sh->demo.s != NULL;
	st->wall = sh->wall.s != NULL;
	st->demo_frames_sent =
		stream_frames(&sh->demo, &st->demo_width, &st->demo_height);
	st->wall_frames_sent =
		stream_frames(&sh->wall, &st->wall_width, &st->wall_height);
	st->wall_fps = sh->wall.s ? sh->wall.cmd.fps : 0;
	st->errors = sh->errors;
	pthread_mutex_unlock(&sh->lock);
}

void cast_share_free(struct cast_share **psh)
{
	struct cast_share *sh = psh ? *psh : NULL;

	if (!sh)
		return;
	cast_share_stop_all(sh);
	pthread_mutex_destroy(&sh->lock);
	free(sh->backend);
	free(sh->device);
	free((char *)sh->cfg.iface);
	free(sh);
	*psh = NULL;
}

/* ---- Showing ------------------------------------------------------------ */

struct cast_watch {
	struct cast_watch_cfg cfg;
	char *iface;
	pthread_mutex_t lock;
	struct cast_receiver *r;	/* the demo's, while one is shown */
	char from[CAST_IDENTITY_ID_MAX];
	bool lock_input;
	bool film;			/* the teacher's film, not a demo */
	bool sound;			/* the voice follows its sound */
	uint64_t sr_seen;		/* film: its sender reports so far */
	bool shown;			/* its first picture arrived */
	int64_t last_frame_mono;
	int64_t started_mono;
	uint64_t frames_seen;		/* no_decode: the demo's count */
	/* Switch times: command (or fallback) to the first new picture. */
	int64_t switch_mono;		/* 0: no switch pending */
	bool to_teacher;		/* the pending switch's way */
	double last_switch_ms;
	uint64_t switches;
	/* Receivers left behind by a switch: freed off the frame path. */
	struct cast_receiver *old;
};

void cast_watch_cfg_init(struct cast_watch_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channel = 1;
	cfg->fallback_ms = 2000;
}

int cast_watch_new(struct cast_watch **out, const struct cast_watch_cfg *cfg)
{
	struct cast_watch *w;

	if (!out || !cfg)
		return CAST_ERROR(EINVAL);
	w = calloc(1, sizeof(*w));
	if (!w)
		return CAST_ERROR(ENOMEM);
	w->cfg = *cfg;
	if (w->cfg.fallback_ms <= 0)
		w->cfg.fallback_ms = 2000;
	if (cfg->iface && !(w->iface = strdup(cfg->iface))) {
		free(w);
		return CAST_ERROR(ENOMEM);
	}
	w->cfg.iface = w->iface;
	pthread_mutex_init(&w->lock, NULL);
	*out = w;
	return 0;
}

/* A demo picture, on the demo receiver's thread. */
static void demo_frame(const struct cast_frame *f, void *arg)
{
	struct cast_watch *w = arg;
	bool show;

	pthread_mutex_lock(&w->lock);
	w->shown = true;
	w->last_frame_mono = cast_mono_us();
	show = w->r != NULL;
	if (show && w->switch_mono && !w->to_teacher) {
		w->last_switch_ms = (w->last_frame_mono - w->switch_mono) / 1e3;
		w->switches++;
		w->switch_mono = 0;
	}
	pthread_mutex_unlock(&w->lock);
	if (show && w->cfg.on_frame)
		w->cfg.on_frame(f, w->cfg.arg);
}

/* The seat's sound back to the teacher's voice (a film's ended). */
static void sound_home(struct cast_watch *w)
{
	int err = cast_voice_receiver_follow(w->cfg.voice, NULL, 0, NULL,
					     NULL);

	if (err)
		cast_log(CAST_LOG_ERROR, "watch", "cannot play the teacher's "
			 "voice again: %s", cast_strerror(err));
}

static void watch_drop(struct cast_watch *w)
{
	struct cast_receiver *r;
	bool sound;

	pthread_mutex_lock(&w->lock);
	r = w->r;
	w->r = NULL;
	w->shown = false;
	w->from[0] = '\0';
	w->lock_input = false;
	w->film = false;
	sound = w->sound;
	w->sound = false;
	pthread_mutex_unlock(&w->lock);
	cast_receiver_free(&r);
	if (sound)
		sound_home(w);
}

int cast_watch_apply(struct cast_watch *w, const struct cast_cmd_screen_show *cmd)
{
	struct cast_receiver_cfg rc;
	struct cast_receiver *r = NULL;
	int err;

	if (!w || !cmd)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&w->lock);
	/* Back to the teacher only when a demo was shown. */
	if (cmd->demo || w->r) {
		w->switch_mono = cast_mono_us();
		w->to_teacher = !cmd->demo;
	}
	pthread_mutex_unlock(&w->lock);
	watch_drop(w);
	cast_receiver_free(&w->old);
	if (!cmd->demo)
		return 0;
	/* Feedback goes to the demonstrator; never a unicast copy. */
	cast__screen_receiver_cfg(&rc, w->cfg.channel, w->cfg.iface,
				  &cmd->from_stream, cmd->pk);
	rc.no_decode = w->cfg.no_decode;
	rc.check_stamp = w->cfg.check_stamp;
	rc.on_frame = demo_frame;
	rc.arg = w;
	err = cast_receiver_new(&r, &rc);
	pthread_mutex_lock(&w->lock);
	if (!err) {
		w->r = r;
		snprintf(w->from, sizeof(w->from), "%s", cmd->from);
		w->lock_input = cmd->lock;
		w->film = cmd->film;
		w->sr_seen = 0;
		w->shown = false;
		w->frames_seen = 0;
		w->started_mono = cast_mono_us();
	}
	pthread_mutex_unlock(&w->lock);
	if (!err)
		err = cast_receiver_start(r);
	if (err) {
		cast_log(CAST_LOG_ERROR, "watch", "cannot show %s's %s: %s",
			 cmd->from, cmd->film ? "film" : "demo",
			 cast_strerror(err));
		watch_drop(w);
		return err;
	}
	/* A film's sound replaces the teacher's voice on this seat while
	 * it is shown (docs/recording.md says why). */
	if (cmd->audio && w->cfg.voice) {
		err = cast_voice_receiver_follow(
			w->cfg.voice, cmd->from_stream.group,
			(uint16_t)(cmd->from_stream.port + 2),
			&cmd->from_stream.key, cmd->pk);
		if (err) {
			cast_log(CAST_LOG_ERROR, "watch", "the film's sound "
				 "cannot be played: %s", cast_strerror(err));
		} else {
			pthread_mutex_lock(&w->lock);
			w->sound = true;
			pthread_mutex_unlock(&w->lock);
		}
	}
	if (cmd->film)
		cast_log(CAST_LOG_INFO, "watch", "showing the teacher's film "
			 "%s%s", cmd->from, cmd->audio ? " with its sound" : "");
	else
		cast_log(CAST_LOG_INFO, "watch", "showing %s's screen",
			 cmd->from);
	return 0;
}

/* Notices a silent demonstrator (lock held): back to the teacher. */
static void check_fallback(struct cast_watch *w)
{
	int64_t now = cast_mono_us(), limit = (int64_t)w->cfg.fallback_ms * 1000;

	if (!w->r)
		return;
	if (w->film && w->shown) {
		/* A paused film sends no new picture, but its sender's
		 * reports go on: the film is still there. */
		struct cast_receiver_stats st;

		cast_receiver_stats(w->r, &st);
		if (st.rtcp_sr != w->sr_seen) {
			w->sr_seen = st.rtcp_sr;
			w->last_frame_mono = now;
		}
	}
	if (w->cfg.no_decode) {
		/* No pictures to be called with: count them instead. */
		struct cast_receiver_stats st;

		cast_receiver_stats(w->r, &st);
		if (st.frames_decoded != w->frames_seen) {
			w->frames_seen = st.frames_decoded;
			w->shown = true;
			w->last_frame_mono = now;
			if (w->switch_mono && !w->to_teacher) {
				w->last_switch_ms =
					(now - w->switch_mono) / 1e3;
				w->switches++;
				w->switch_mono = 0;
			}
		}
	}
	if ((w->shown && now - w->last_frame_mono > limit) ||
	    (!w->shown && now - w->started_mono > 3 * limit)) {
		/* The receiver is freed later, not on a frame callback. */
		cast_log(CAST_LOG_WARN, "watch", "%s's %s stopped: showing "
			 "the teacher again", w->from,
			 w->film ? "film" : "demo");
		w->old = w->r;
		w->r = NULL;
		w->shown = false;
		w->lock_input = false;
		w->film = false;
		w->from[0] = '\0';
		w->switch_mono = now;
		w->to_teacher = true;
		if (w->sound) {
			w->sound = false;
			sound_home(w);
		}
	}
}

bool cast_watch_teacher(struct cast_watch *w)
{
	bool teacher;

	if (!w)
		return true;
	pthread_mutex_lock(&w->lock);
	check_fallback(w);
	teacher = !w->r || !w->shown;
	if (teacher && w->switch_mono && w->to_teacher) {
		/* Called with each teacher picture: this one is shown. */
		w->last_switch_ms = (cast_mono_us() - w->switch_mono) / 1e3;
		w->switches++;
		w->switch_mono = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return teacher;
}

bool cast_watch_locked(struct cast_watch *w)
{
	bool l;

	if (!w)
		return false;
	pthread_mutex_lock(&w->lock);
	l = w->r && w->lock_input;
	pthread_mutex_unlock(&w->lock);
	return l;
}

void cast_watch_showing(struct cast_watch *w, char *buf, size_t size)
{
	if (!w) {
		snprintf(buf, size, "teacher");
		return;
	}
	pthread_mutex_lock(&w->lock);
	check_fallback(w);
	if (w->r && w->shown)
		snprintf(buf, size, "%s:%s", w->film ? "film" : "demo",
			 w->from);
	else
		snprintf(buf, size, "teacher");
	pthread_mutex_unlock(&w->lock);
}

bool cast_watch_demo_stats(struct cast_watch *w, struct cast_receiver_stats *st)
{
	bool have;

	if (!w)
		return false;
	pthread_mutex_lock(&w->lock);
	have = w->r != NULL;
	if (have)
		cast_receiver_stats(w->r, st);
	pthread_mutex_unlock(&w->lock);
	return have;
}

bool cast_watch_film(struct cast_watch *w, bool *sound)
{
	bool film;

	if (sound)
		*sound = false;
	if (!w)
		return false;
	pthread_mutex_lock(&w->lock);
	film = w->r && w->film;
	if (sound)
		*sound = film && w->sound;
	pthread_mutex_unlock(&w->lock);
	return film;
}

void cast_watch_switches(struct cast_watch *w, double *last_ms, uint64_t *n)
{
	*last_ms = 0;
	*n = 0;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	*last_ms = w->last_switch_ms;
	*n = w->switches;
	pthread_mutex_unlock(&w->lock);
}

void cast_watch_free(struct cast_watch **pw)
{
	struct cast_watch *w = pw ? *pw : NULL;

	if (!w)
		return;
	watch_drop(w);
	cast_receiver_free(&w->old);
	pthread_mutex_destroy(&w->lock);
	free(w->iface);
	free(w);
	*pw = NULL;
}
