/* On the teacher: a film to some students (`ctl cinema play PATH --to IDS`). */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cast/audio.h"
#include "cast/control.h"
#include "cast/error.h"
#include "cast/key.h"
#include "cast/log.h"
#include "cast/net.h"
#include "cast/record.h"
#include "cast/screens.h"
#include "class/screens_int.h"

#define FILM_TICK_US 200000

/* The film playing now: its clock, picture, sound and keys. */
struct playing {
	struct cast_cinema *clock;
	struct cast_replay *replay;	/* passed through, or NULL */
	struct cast_sender *sender;
	struct cast_voice_sender *voice;	/* NULL: no sound */
	char path[1024];
	char name[CAST_IDENTITY_ID_MAX];
	char to[1024];			/* "" : everyone */
	int64_t started_mono;
};

struct cast_film {
	struct cast_film_cfg cfg;
	struct cast_sender_cfg base;	/* the broadcast's, pointers cut */
	char *iface;
	pthread_mutex_t lock;		/* everything below */
	struct playing *p;		/* NULL: none */
	uint64_t films;			/* started so far */
	uint64_t frames_before;		/* sent by the films that ended */
	char last_error[1200];		/* the last refused play or stop */
	struct cast_teacher_ctl *ctl;	/* answers later, NULL: at once */
	/* A `cinema play` the thread opens (the control plane's thread
	 * never waits on a disk or a server). */
	struct {
		bool pending;
		uint64_t req;
		char path[1024];
		char to[CAST_FILM_TO_MAX];
		bool all;
	} job;
	pthread_t thread;
	pthread_cond_t cond;
	bool stop;
};

void cast_film_cfg_init(struct cast_film_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->sound = true;
}

int cast_film_port(int channel)
{
	if (channel < CAST_CHANNEL_MIN || channel > CAST_CHANNEL_MAX)
		return CAST_ERROR(EINVAL);
	return CAST_FILM_PORT_BASE + 10 * channel;
}

/* ---- Arguments ------------------------------------------------------------ */

/* A list of student ids: "all", or ids separated by single commas. */
static bool ids_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= CAST_FILM_TO_MAX || s[0] == ',' || s[n - 1] == ',' ||
	    strstr(s, ",,"))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

int cast_film_args_parse(int argc, char **argv, struct cast_film_args *a,
			 char *why, size_t why_size)
{
	static const char usage[] =
		"usage: cinema play PATH|URL [--to IDS|all] | cinema stop | "
		"cinema pause|resume|status|seek SECONDS";
	struct cast_film_args r = {0};

	if (!argv || !a || argc < 2 || !argv[1]) {
		snprintf(why, why_size, "%s", usage);
		return CAST_ERROR(EINVAL);
	}
	if (!strcmp(argv[1], "stop")) {
		if (argc != 2) {
			snprintf(why, why_size, "%s", usage);
			return CAST_ERROR(EINVAL);
		}
		r.stop = true;
		*a = r;
		return 0;
	}
	if (strcmp(argv[1], "play")) {
		snprintf(why, why_size, "%s", usage);
		return CAST_ERROR(EINVAL);
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--to")) {
			if (r.to || i + 1 >= argc || !ids_ok(argv[i + 1])) {
				snprintf(why, why_size, "cinema play: --to "
					 "takes student ids separated by "
					 "commas, or all");
				return CAST_ERROR(EINVAL);
			}
			r.to = argv[++i];
		} else if (!r.path && argv[i][0] && strncmp(argv[i], "--", 2)) {
			if (strlen(argv[i]) >= sizeof(((struct playing *)0)->path)) {
				snprintf(why, why_size, "cinema play: the path "
					 "is too long");
				return CAST_ERROR(ENAMETOOLONG);
			}
			r.path = argv[i];
		} else {
			snprintf(why, why_size, "%s", usage);
			return CAST_ERROR(EINVAL);
		}
	}
	if (!r.path) {
		snprintf(why, why_size, "cinema play: which film? %s", usage);
		return CAST_ERROR(EINVAL);
	}
	if (r.to && !strcmp(r.to, "all"))
		r.to = NULL;
	r.play = true;
	*a = r;
	return 0;
}

/* ---- Playing --------------------------------------------------------------- */

/* The film's name for the students' stats: its last path part, printable. */
static void film_name(const char *path, char *buf, size_t size)
{
	const char *b = path;
	size_t n = strlen(path), k = 0;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (size_t i = 0; i + 1 < n; i++)
		if (path[i] == '/')
			b = path + i + 1;
	for (const char *p = b; p < path + n && k + 1 < size; p++)
		buf[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '_';
	buf[k] = '\0';
	if (!k)
		snprintf(buf, size, "film");
}

static void playing_free(struct playing **pp)
{
	struct playing *p = *pp;

	if (!p)
		return;
	cast_sender_stop(p->sender);
	cast_voice_sender_stop(p->voice);
	cast_sender_free(&p->sender);
	cast_voice_sender_free(&p->voice);
	cast_replay_free(&p->replay);
	cast_cinema_free(&p->clock);
	free(p);
	*pp = NULL;
}

/*
 * Opens the film's clock, picture and sound on the film's port block with
 * a fresh SRTP key and signing key (`stream`, `pk`): nothing is sent yet.
 */
static int playing_open(struct cast_film *fm, const char *path,
			struct playing **out, struct cast_screen_stream *stream,
			uint8_t pk[32], char *why, size_t why_size)
{
	struct cast_replay_cfg rc;
	struct cast_sender_cfg sc;
	struct playing *p;
	struct cast_key *key = NULL;
	uint8_t seed[32];
	int err, port = cast_film_port(fm->base.channel);

	if (port < 0)
		return port;
	p = calloc(1, sizeof(*p));
	if (!p)
		return CAST_ERROR(ENOMEM);
	snprintf(p->path, sizeof(p->path), "%s", path);
	film_name(path, p->name, sizeof(p->name));
	err = cast_cinema_new(&p->clock, path);
	if (err) {
		snprintf(why, why_size, "%s: %s", path, cast_strerror(err));
		goto out;
	}
	/* H.264 that fits the class goes out as it is; anything else is
	 * decoded, scaled and encoded again (docs/recording.md). */
	cast_replay_cfg_init(&rc);
	rc.path = path;
	rc.cinema = p->clock;
	rc.max_width = fm->base.encoder.width ? fm->base.encoder.width
					      : fm->base.fit_width;
	rc.max_height = fm->base.encoder.height ? fm->base.encoder.height
						: fm->base.fit_height;
	err = cast_replay_new(&p->replay, &rc);
	if (err && err != CAST_ERROR(ENOTSUP)) {
		snprintf(why, why_size, "%s: %s", path, cast_strerror(err));
		goto out;
	}
	cast_cinema_set_passthrough(p->clock, p->replay != NULL);

	memset(stream, 0, sizeof(*stream));
	cast_channel_group(fm->base.channel, stream->group,
			   sizeof(stream->group));
	stream->port = (uint16_t)port;
	key = sodium_malloc(sizeof(*key));
	err = key ? cast_random(&stream->key, sizeof(stream->key))
		  : CAST_ERROR(ENOMEM);
	if (!err)
		err = cast_random(seed, sizeof(seed));
	if (err) {
		snprintf(why, why_size, "no keys: %s", cast_strerror(err));
		goto out;
	}
	memset(key, 0, sizeof(*key));
	key->can_sign = true;
	crypto_sign_seed_keypair(key->sign_pk, key->sign_sk, seed);
	sodium_memzero(seed, sizeof(seed));
	memcpy(pk, key->sign_pk, 32);

	sc = fm->base;
	sc.capture.backend = "file";
	sc.capture.device = p->path;
	sc.capture.loop = false;
	sc.capture.cinema = p->clock;
	sc.replay = p->replay;
	sc.dest_addr = stream->group;
	sc.dest_port = stream->port;
	sc.media_key = &stream->key;
	sc.sign_key = key;
	err = cast_sender_new(&p->sender, &sc);
	if (err) {
		snprintf(why, why_size, "%s: cannot send its picture: %s", path,
			 cast_strerror(err));
		goto out;
	}
	/* Its sound on the block's audio ports, on the same clock. */
	if (fm->cfg.sound && cast_audio_file_probe(path) == 1) {
		struct cast_voice_sender_cfg vc;

		cast_voice_sender_cfg_init(&vc);
		vc.channel = fm->base.channel;
		vc.dest_addr = stream->group;
		vc.dest_port = (uint16_t)(stream->port + 2);
		vc.iface = fm->base.iface;
		vc.media_key = &stream->key;
		vc.sign_key = key;
		vc.source = "file";
		vc.path = p->path;
		vc.cinema = p->clock;
		if (fm->cfg.audio_bitrate)
			vc.opus.bitrate = fm->cfg.audio_bitrate;
		err = cast_voice_sender_new(&p->voice, &vc);
		if (err) {
			/* The picture still plays, silent. */
			cast_log(CAST_LOG_WARN, "film", "%s: its sound cannot "
				 "be sent (%s): the film plays silent", path,
				 cast_strerror(err));
			err = 0;
		}
	}
out:
	if (key)
		sodium_free(key);
	if (err) {
		playing_free(&p);
		return err;
	}
	*out = p;
	return 0;
}

/* Ends the film playing (lock held): viewers back to the broadcast. */
static void film_end(struct cast_film *fm, const char *why)
{
	struct cast_sender_stats st;

	if (!fm->p)
		return;
	cast__screens_film_end(fm->cfg.screens);
	cast_sender_stats(fm->p->sender, &st);
	fm->frames_before += st.frames_sent;
	cast_log(CAST_LOG_INFO, "film", "%s ended (%s), %llu pictures sent",
		 fm->p->path, why, (unsigned long long)st.frames_sent);
	playing_free(&fm->p);
}

/* Refuses a play while a film plays or opens (lock held). */
static int play_busy(struct cast_film *fm, char *why, size_t why_size)
{
	if (fm->p) {
		snprintf(why, why_size, "%s is playing: cinema stop first",
			 fm->p->path);
		return CAST_ERROR(EBUSY);
	}
	if (fm->job.pending) {
		snprintf(why, why_size, "%s is being opened", fm->job.path);
		return CAST_ERROR(EBUSY);
	}
	return 0;
}

/*
 * Opens the film (lock not held: only the settings copied at new are
 * read), then, under the lock, shows it to its viewers and starts it.
 */
static int film_play(struct cast_film *fm, const struct cast_film_args *a,
		     char *why, size_t why_size)
{
	struct cast_command *cmd;
	struct playing *p = NULL;
	int err, n;

	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return CAST_ERROR(ENOMEM);
	cast_command_init(cmd, CAST_CMD_SCREEN_SHOW);
	err = playing_open(fm, a->path, &p, &cmd->u.screen_show.from_stream,
			   cmd->u.screen_show.pk, why, why_size);
	pthread_mutex_lock(&fm->lock);
	if (!err && (fm->stop || fm->p)) {
		snprintf(why, why_size, "%s", fm->stop ? "the teacher is "
			 "stopping" : "another film started: cinema stop "
			 "first");
		err = CAST_ERROR(ECANCELED);
	}
	if (!err) {
		struct cast_cmd_screen_show *sh = &cmd->u.screen_show;

		sh->demo = true;
		sh->film = true;
		sh->audio = p->voice != NULL;
		/* Films are watched, not locked: the class's lock is ctl
		 * lock's. */
		sh->lock = false;
		snprintf(sh->from, sizeof(sh->from), "%s", p->name);
		/* Viewers listen first, so the first picture finds them. */
		n = cast__screens_film_show(fm->cfg.screens, sh, a->to, why,
					    why_size);
		err = n < 0 ? n : 0;
	}
	sodium_memzero(cmd, sizeof(*cmd));
	free(cmd);
	if (!err)
		err = cast_sender_start(p->sender);
	if (!err && p->voice)
		err = cast_voice_sender_start(p->voice);
	if (err) {
		if (!why[0])
			snprintf(why, why_size, "%s: %s", a->path,
				 cast_strerror(err));
		if (p && p->sender && err != CAST_ERROR(ECANCELED))
			cast__screens_film_end(fm->cfg.screens);
		pthread_mutex_unlock(&fm->lock);
		playing_free(&p);
		return err;
	}
	snprintf(p->to, sizeof(p->to), "%s", a->to ? a->to : "");
	p->started_mono = cast_mono_us();
	fm->p = p;
	fm->films++;
	cast_log(CAST_LOG_INFO, "film", "%s to %s (%s%s)", p->path,
		 a->to ? a->to : "everyone",
		 p->replay ? "passed through" : "transcoded",
		 p->voice ? ", with its sound" : "");
	pthread_mutex_unlock(&fm->lock);
	return 0;
}

/* A play's or stop's answer (lock held). */
static char *answer(struct cast_film *fm, int err, const char *why,
		    const char *done);

/* ---- Stats and answers -------------------------------------------------- */

static void json_locked(struct cast_film *fm, struct cast_json *j)
{
	struct cast_sender_stats st = {0};
	struct cast_cinema_status cs;
	char viewers[1024];
	bool all;

	cast_json_bool(j, "playing", fm->p != NULL);
	cast_json_int(j, "films", (int64_t)fm->films);
	if (fm->p)
		cast_sender_stats(fm->p->sender, &st);
	/* Sent to the film's viewers, every film so far. */
	cast_json_int(j, "frames_sent",
		      (int64_t)(fm->frames_before + st.frames_sent));
	if (!fm->p)
		return;
	cast_cinema_status(fm->p->clock, &cs);
	cast__screens_film_viewers(fm->cfg.screens, viewers, sizeof(viewers),
				   &all);
	cast_json_str(j, "file", fm->p->path);
	cast_json_str(j, "name", fm->p->name);
	cast_json_str(j, "to", fm->p->to[0] ? fm->p->to : "all");
	cast_json_str(j, "viewers", viewers);
	cast_json_num(j, "position_s", cs.position_s);
	cast_json_num(j, "duration_s", cs.duration_s);
	cast_json_bool(j, "paused", cs.paused);
	cast_json_bool(j, "passthrough", cs.passthrough);
	cast_json_bool(j, "live", cs.live);
	cast_json_bool(j, "seekable", cs.seekable);
	cast_json_bool(j, "sound", fm->p->voice != NULL);
	cast_json_int(j, "film_frames_sent", (int64_t)st.frames_sent);
	cast_json_int(j, "width", st.width);
	cast_json_int(j, "height", st.height);
	cast_json_int(j, "keyframes", (int64_t)st.keyframes);
	cast_json_int(j, "frames_repeated", (int64_t)st.frames_repeated);
	cast_json_int(j, "nacks_received", (int64_t)st.nacks_received);
	cast_json_int(j, "packets_retransmitted",
		      (int64_t)st.packets_retransmitted);
	if (fm->p->voice) {
		struct cast_voice_sender_stats vs;

		cast_voice_sender_stats(fm->p->voice, &vs);
		cast_json_int(j, "audio_frames_sent", (int64_t)vs.frames_sent);
		cast_json_int(j, "audio_decode_errors",
			      (int64_t)vs.decode_errors);
		cast_json_bool(j, "audio_finished", vs.finished);
	}
}

void cast_film_json(struct cast_film *fm, struct cast_json *j)
{
	if (!fm)
		return;
	pthread_mutex_lock(&fm->lock);
	cast_json_obj(j, "cinema");
	json_locked(fm, j);
	if (fm->last_error[0])
		cast_json_str(j, "last_error", fm->last_error);
	cast_json_end(j);
	pthread_mutex_unlock(&fm->lock);
}

static char *fail(const char *why)
{
	return cast_json_error("%s", why);
}

static char *ok_state(struct cast_film *fm, const char *done)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_str(&j, "done", done);
	json_locked(fm, &j);
	cast_json_end(&j);
	return cast_json_take(&j);
}

char *cast_film_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	struct cast_film *fm = arg;
	struct cast_film_args a;
	char why[1200] = "";
	char *out;
	int err;

	if (!fm || argc < 2)
		return fail("usage: cinema play PATH|URL [--to IDS|all] | "
			    "cinema stop | cinema pause|resume|status|seek "
			    "SECONDS");
	pthread_mutex_lock(&fm->lock);
	if (strcmp(argv[1], "play") && strcmp(argv[1], "stop")) {
		/* pause, resume, seek, status: the film to some students
		 * while it plays, else the broadcast's own film. */
		if (fm->p && argc == 2 && !strcmp(argv[1], "status")) {
			out = ok_state(fm, "status");
		} else if (fm->p) {
			out = cast_cinema_ctl(argc, argv, req, fm->p->clock);
		} else if (fm->cfg.broadcast) {
			out = cast_cinema_ctl(argc, argv, req,
					      fm->cfg.broadcast);
		} else {
			out = fail("no film is playing (cinema play PATH "
				   "[--to IDS], or --source file:PATH)");
		}
		pthread_mutex_unlock(&fm->lock);
		return out;
	}
	err = cast_film_args_parse(argc, argv, &a, why, sizeof(why));
	if (!err && a.stop) {
		if (fm->job.pending) {
			err = CAST_ERROR(EBUSY);
			snprintf(why, sizeof(why), "%s is being opened: stop "
				 "it once it plays", fm->job.path);
		} else if (!fm->p) {
			err = CAST_ERROR(ENOENT);
			snprintf(why, sizeof(why), "no film is playing to "
				 "students (cinema play PATH [--to IDS])");
		} else {
			film_end(fm, "cinema stop");
		}
	} else if (!err) {
		err = play_busy(fm, why, sizeof(why));
		if (!err && fm->ctl && req) {
			/* Opened on the film's thread, answered from there. */
			fm->job.pending = true;
			fm->job.req = req;
			snprintf(fm->job.path, sizeof(fm->job.path), "%s",
				 a.path);
			snprintf(fm->job.to, sizeof(fm->job.to), "%s",
				 a.to ? a.to : "");
			fm->job.all = !a.to;
			pthread_cond_signal(&fm->cond);
			pthread_mutex_unlock(&fm->lock);
			return CAST_CTL_LATER;
		}
		if (!err) {
			pthread_mutex_unlock(&fm->lock);
			err = film_play(fm, &a, why, sizeof(why));
			pthread_mutex_lock(&fm->lock);
		}
	}
	out = answer(fm, err, why, a.stop ? "stop" : "play");
	pthread_mutex_unlock(&fm->lock);
	return out;
}

static char *answer(struct cast_film *fm, int err, const char *why,
		    const char *done)
{
	if (err) {
		snprintf(fm->last_error, sizeof(fm->last_error), "%s", why);
		cast_log(CAST_LOG_WARN, "film", "%s", why);
		return fail(why);
	}
	fm->last_error[0] = '\0';
	return ok_state(fm, done);
}

/* The `cinema play` waiting in `job` (lock held, released meanwhile). */
static void run_job(struct cast_film *fm)
{
	struct cast_film_args a = {.play = true};
	char path[sizeof(fm->job.path)], to[sizeof(fm->job.to)];
	char why[1200] = "", *out;
	uint64_t req = fm->job.req;
	int err;

	snprintf(path, sizeof(path), "%s", fm->job.path);
	snprintf(to, sizeof(to), "%s", fm->job.to);
	a.path = path;
	a.to = fm->job.all ? NULL : to;
	pthread_mutex_unlock(&fm->lock);
	err = film_play(fm, &a, why, sizeof(why));
	pthread_mutex_lock(&fm->lock);
	fm->job.pending = false;
	out = answer(fm, err, why, "play");
	if (fm->ctl)
		cast_teacher_ctl_answer(fm->ctl, req,
					out ? out
					    : "{\"ok\":false,\"error\":\"out of "
					      "memory\"}");
	free(out);
}

void cast_film_set_ctl(struct cast_film *fm, struct cast_teacher_ctl *ctl)
{
	if (!fm)
		return;
	pthread_mutex_lock(&fm->lock);
	fm->ctl = ctl;
	pthread_mutex_unlock(&fm->lock);
}

/* ---- The end of a film --------------------------------------------------- */

static void *film_thread(void *arg)
{
	struct cast_film *fm = arg;
	struct timespec ts;

	pthread_mutex_lock(&fm->lock);
	while (!fm->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += FILM_TICK_US * 1000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!fm->job.pending)
			pthread_cond_timedwait(&fm->cond, &fm->lock, &ts);
		if (fm->stop)
			break;
		if (fm->job.pending)
			run_job(fm);
		if (!fm->p)
			continue;
		{
			struct cast_sender_stats st;

			/* The picture's end is the film's: viewers go back
			 * to the broadcast by themselves. */
			cast_sender_stats(fm->p->sender, &st);
			if (st.finished)
				film_end(fm, "its end");
		}
	}
	pthread_mutex_unlock(&fm->lock);
	return NULL;
}

int cast_film_new(struct cast_film **out, const struct cast_film_cfg *cfg)
{
	struct cast_film *fm;
	int err;

	if (!out || !cfg || !cfg->screens || !cfg->base ||
	    cfg->base->insecure || cast_film_port(cfg->base->channel) < 0)
		return CAST_ERROR(EINVAL);
	fm = calloc(1, sizeof(*fm));
	if (!fm)
		return CAST_ERROR(ENOMEM);
	fm->cfg = *cfg;
	fm->base = *cfg->base;
	if (cfg->base->iface && !(fm->iface = strdup(cfg->base->iface))) {
		free(fm);
		return CAST_ERROR(ENOMEM);
	}
	/* The broadcast's settings, not its sources, keys, overlay or taps. */
	fm->base.iface = fm->iface;
	fm->cfg.base = NULL;
	fm->base.capture.device = NULL;
	fm->base.capture.cinema = NULL;
	fm->base.media_key = NULL;
	fm->base.sign_key = NULL;
	fm->base.overlay = NULL;
	fm->base.overlay_arg = NULL;
	fm->base.replay = NULL;
	fm->base.on_packet = NULL;
	fm->base.packet_arg = NULL;
	fm->base.dest_addr = NULL;
	pthread_mutex_init(&fm->lock, NULL);
	pthread_cond_init(&fm->cond, NULL);
	err = pthread_create(&fm->thread, NULL, film_thread, fm);
	if (err) {
		pthread_cond_destroy(&fm->cond);
		pthread_mutex_destroy(&fm->lock);
		free(fm->iface);
		free(fm);
		return CAST_ERROR(err);
	}
	*out = fm;
	return 0;
}

void cast_film_free(struct cast_film **pfm)
{
	struct cast_film *fm = pfm ? *pfm : NULL;

	if (!fm)
		return;
	pthread_mutex_lock(&fm->lock);
	fm->stop = true;
	pthread_cond_signal(&fm->cond);
	pthread_mutex_unlock(&fm->lock);
	pthread_join(fm->thread, NULL);
	pthread_mutex_lock(&fm->lock);
	film_end(fm, "the teacher stops");
	pthread_mutex_unlock(&fm->lock);
	pthread_cond_destroy(&fm->cond);
	pthread_mutex_destroy(&fm->lock);
	free(fm->iface);
	free(fm);
	*pfm = NULL;
}
