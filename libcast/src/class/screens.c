/* On the teacher: students' screens (demo, monitor wall, remote control). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "cast/error.h"
#include "cast/key.h"
#include "cast/log.h"
#include "cast/net.h"
#include "cast/record.h"
#include "cast/input.h"
#include "cast/screens.h"
#include "class/screens_int.h"

#define STUDENTS_MAX 512
#define WATCH_TICK_US 250000
#define PAGE_COLS 4
#define PAGE_ROWS 4
#define LABEL_H 28

void cast__screen_receiver_cfg(struct cast_receiver_cfg *rc, int channel,
			       const char *iface,
			       const struct cast_screen_stream *st,
			       const uint8_t *pk)
{
	cast_receiver_cfg_init(rc);
	rc->channel = channel;
	rc->iface = iface;
	rc->group = st->group;
	rc->port = st->port;
	rc->media_key = &st->key;
	rc->teacher_pk = pk;
	rc->unicast_after_ms = 0;
}

enum { SHOW_DEMO, SHOW_FILM };

/* One student's stream to the teacher (wall, focus or control). */
struct seat {
	char id[CAST_IDENTITY_ID_MAX];
	bool used;
	int slot;
	int64_t connected_us;		/* the join it was started for */
	/* The join the demo (SHOW_DEMO) or the film (SHOW_FILM) was shown
	 * to. */
	int64_t shown_conn_us[2];
	struct cast_receiver *r;	/* NULL: not sending */
	int fps, width, height, kbps;	/* as asked */
	/* The latest picture (I420, packed) and its rate. */
	pthread_mutex_t lock;
	uint8_t *pic;
	size_t cap;
	int pw, ph;
	uint64_t frames;
	uint64_t frames_prev;
	double fps_measured;
	/* A recording of this student's screen (its own H.264, as sent). */
	struct cast_recorder *rec;
	struct cast_screens *sc;
};

struct cast_screens {
	struct cast_screens_cfg cfg;
	char *iface;
	struct cast_teacher_ctl *ctl;
	pthread_mutex_t lock;		/* everything below */
	struct seat *seats;		/* CAST_SCREENS_SLOTS */
	bool wall;
	int wall_fps, wall_w, wall_h;
	char focus[CAST_IDENTITY_ID_MAX];
	char control[CAST_IDENTITY_ID_MAX];
	/* The demo. */
	char demo[CAST_IDENTITY_ID_MAX];
	char demo_to[1024];		/* its viewers, comma-separated */
	bool demo_all;			/* and everyone who joins */
	struct cast_cmd_screen_show demo_show;	/* what they were told */
	struct cast_receiver *demo_r;
	/* The teacher's film to some students (film.c sends it). */
	bool film;
	char film_to[1024];		/* its viewers, comma-separated */
	bool film_all;			/* and everyone who joins */
	struct cast_cmd_screen_show film_show;	/* what they were told */
	uint64_t demos;
	uint64_t demo_frames;		/* received of ended demos */
	int64_t rate_mono;
	pthread_t thread;
	bool stop;
	pthread_cond_t cond;
};

void cast_screens_cfg_init(struct cast_screens_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channel = 1;
	cfg->wall_width = CAST_WALL_WIDTH;
	cfg->wall_height = CAST_WALL_HEIGHT;
	cfg->wall_fps = CAST_WALL_FPS;
	cfg->wall_kbps = CAST_WALL_KBPS;
	cfg->focus_fps = CAST_FOCUS_FPS;
	cfg->focus_kbps = CAST_FOCUS_KBPS;
	cfg->demo_fps = CAST_DEMO_FPS;
	cfg->demo_kbps = CAST_DEMO_KBPS;
}

/* ---- Streams ------------------------------------------------------------- */

static int port_of(int slot, int off)
{
	return CAST_SCREENS_PORT_BASE + 10 * slot + off;
}

/* The seat of `id`, made if new (lock held); NULL when all are taken. */
static struct seat *seat_of(struct cast_screens *sc, const char *id, bool make)
{
	struct seat *free_seat = NULL;

	for (int i = 0; i < CAST_SCREENS_SLOTS; i++) {
		struct seat *s = &sc->seats[i];

		if (s->used && !strcmp(s->id, id))
			return s;
		if (!s->used && !free_seat)
			free_seat = s;
	}
	if (!make || !free_seat)
		return NULL;
	free_seat->used = true;
	snprintf(free_seat->id, sizeof(free_seat->id), "%s", id);
	return free_seat;
}

static void seat_frame(const struct cast_frame *f, void *arg)
{
	struct seat *s = arg;

	pthread_mutex_lock(&s->lock);
	if (cast_frame_pack_i420(f, &s->pic, &s->cap) > 0) {
		s->pw = f->width;
		s->ph = f->height;
		s->frames++;
	}
	pthread_mutex_unlock(&s->lock);
	if (s->sc->cfg.on_frame)
		s->sc->cfg.on_frame(s->id, f, s->sc->cfg.arg);
}

/* The stream's access units, on its receiver's thread: the recording. */
static void seat_au(const struct cast_packet *pkt, void *arg)
{
	struct seat *s = arg;

	pthread_mutex_lock(&s->lock);
	if (s->rec)
		cast_recorder_video(s->rec, pkt);
	pthread_mutex_unlock(&s->lock);
}

/* The recorder wants a keyframe to start on (lock of the seat held or
 * not: the receiver only sets a flag). */
static void seat_need_keyframe(void *arg)
{
	struct seat *s = arg;

	cast_receiver_request_keyframe(s->r);
}

/* Ends a student's recording (sc lock held). */
static void seat_record_stop(struct seat *s)
{
	struct cast_recorder *rec;

	pthread_mutex_lock(&s->lock);
	rec = s->rec;
	s->rec = NULL;
	pthread_mutex_unlock(&s->lock);
	if (!rec)
		return;
	cast_recorder_stop(rec, true);
	cast_recorder_free(&rec);
}

/* A fresh key pair for one stream. */
static int stream_keys(struct cast_screen_stream *st, uint8_t seed[32],
		       uint8_t pk[32])
{
	uint8_t sk[64];
	int err = cast_random(&st->key, sizeof(st->key));

	if (!err)
		err = cast_random(seed, 32);
	if (err)
		return err;
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

static int send_to(struct cast_screens *sc, const char *id,
		   const struct cast_command *cmd)
{
	int n = cast_class_command(sc->cfg.cls, id, cmd, NULL);

	return n < 0 ? n : 0;
}

/* Tells a student to stop its wall stream and closes ours (lock held). */
static void seat_stop(struct cast_screens *sc, struct seat *s, bool tell)
{
	struct cast_command *cmd;

	if (!s->r)
		return;
	seat_record_stop(s);
	cast_receiver_free(&s->r);
	s->fps = s->width = s->height = s->kbps = 0;
	if (!tell)
		return;
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return;
	cast_command_init(cmd, CAST_CMD_SCREEN_SEND);
	cmd->u.screen_send.kind = CAST_SCREEN_WALL;
	cmd->u.screen_send.on = false;
	send_to(sc, s->id, cmd);
	free(cmd);
}

/* Starts (or restarts with new settings) a student's stream (lock held). */
static int seat_start(struct cast_screens *sc, struct seat *s, int fps, int w,
		      int h, int kbps, int64_t connected_us)
{
	struct cast_receiver_cfg rc;
	struct cast_command *cmd;
	uint8_t pk[32];
	int err;

	if (s->r && s->fps == fps && s->width == w && s->height == h &&
	    s->kbps == kbps && s->connected_us == connected_us)
		return 0;
	if (s->r)
		cast_receiver_free(&s->r);
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return CAST_ERROR(ENOMEM);
	cast_command_init(cmd, CAST_CMD_SCREEN_SEND);
	cmd->u.screen_send.kind = CAST_SCREEN_WALL;
	cmd->u.screen_send.on = true;
	cmd->u.screen_send.to.port = (uint16_t)port_of(s->slot, 0);
	cmd->u.screen_send.width = w;
	cmd->u.screen_send.height = h;
	cmd->u.screen_send.fps = fps;
	cmd->u.screen_send.kbps = kbps;
	err = stream_keys(&cmd->u.screen_send.to, cmd->u.screen_send.seed, pk);
	if (!err) {
		cast__screen_receiver_cfg(&rc, sc->cfg.channel, sc->cfg.iface,
					  &cmd->u.screen_send.to, pk);
		/* To the teacher's own address. */
		rc.group = "0.0.0.0";
		/* Thumbnails: fifty receivers must cost little. */
		rc.poll_ms = fps <= 2 ? 100 : fps < 10 ? 50 : 10;
		rc.on_frame = seat_frame;
		rc.on_au = seat_au;
		rc.arg = s;
		err = cast_receiver_new(&s->r, &rc);
		if (!err)
			err = cast_receiver_start(s->r);
	}
	if (!err)
		err = send_to(sc, s->id, cmd);
	sodium_memzero(cmd, sizeof(*cmd));
	free(cmd);
	if (err) {
		cast_receiver_free(&s->r);
		cast_log(CAST_LOG_WARN, "screens", "%s: cannot receive its "
			 "screen: %s", s->id, cast_strerror(err));
		return err;
	}
	s->fps = fps;
	s->width = w;
	s->height = h;
	s->kbps = kbps;
	s->connected_us = connected_us;
	return 0;
}

/* What a student should send now (lock held): focus/control, wall, none. */
static int seat_want(struct cast_screens *sc, struct seat *s,
		     int64_t connected_us)
{
	if ((sc->focus[0] && !strcmp(sc->focus, s->id)) ||
	    (sc->control[0] && !strcmp(sc->control, s->id)))
		return seat_start(sc, s, sc->cfg.focus_fps, 0, 0,
				  sc->cfg.focus_kbps, connected_us);
	if (sc->wall)
		return seat_start(sc, s, sc->wall_fps, sc->wall_w, sc->wall_h,
				  sc->cfg.wall_kbps, connected_us);
	seat_stop(sc, s, true);
	return 0;
}

/* The online students (malloc'd), or NULL. */
static struct cast_student_info *online(struct cast_screens *sc, int *n)
{
	struct cast_student_info *arr;

	*n = 0;
	if (!sc->ctl)
		return NULL;
	arr = malloc(STUDENTS_MAX * sizeof(*arr));
	if (!arr)
		return NULL;
	*n = cast_teacher_ctl_students(sc->ctl, arr, STUDENTS_MAX);
	return arr;
}

static const struct cast_student_info *find(const struct cast_student_info *a,
					    int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (a[i].online && !strcmp(a[i].id, id))
			return &a[i];
	return NULL;
}

/* Brings every student's stream to what is wanted (lock held). */
static void sync_seats(struct cast_screens *sc)
{
	struct cast_student_info *arr;
	int n;

	arr = online(sc, &n);
	if (!arr)
		return;
	for (int i = 0; i < n; i++) {
		struct seat *s;

		if (!arr[i].online)
			continue;
		s = seat_of(sc, arr[i].id, sc->wall || !strcmp(sc->focus,
							       arr[i].id) ||
						   !strcmp(sc->control,
							   arr[i].id));
		if (s)
			seat_want(sc, s, arr[i].connected_us);
	}
	/* Students gone: their stream ends with their connection. */
	for (int i = 0; i < CAST_SCREENS_SLOTS; i++) {
		struct seat *s = &sc->seats[i];

		if (s->r && !find(arr, n, s->id))
			seat_stop(sc, s, false);
	}
	free(arr);
}

/* ---- The demo -------------------------------------------------------------- */

static void demo_frame(const struct cast_frame *f, void *arg)
{
	struct cast_screens *sc = arg;

	if (sc->cfg.on_frame)
		sc->cfg.on_frame(sc->demo, f, sc->cfg.arg);
}

static bool in_list(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t k = e ? (size_t)(e - p) : strlen(p);

		if (k == n && !strncmp(p, id, n))
			return true;
		p += k + (e ? 1 : 0);
	}
	return false;
}

/*
 * A stream's viewers as they are now (lock held): each one's join is
 * remembered; with `resend`, one that joined again since (or, for a stream
 * to everyone, joined at all) is shown the stream too and added to `to`
 * (so that the end reaches it). `except`: its sender, never a viewer.
 */
static void viewers_sync(struct cast_screens *sc, int which, const char *except,
			 char *to, size_t to_size, bool all,
			 const struct cast_cmd_screen_show *show, bool resend)
{
	struct cast_student_info *arr;
	struct cast_command *cmd = NULL;
	int n;

	arr = online(sc, &n);
	for (int i = 0; arr && i < n; i++) {
		struct seat *s;
		bool listed;

		if (!arr[i].online || (except && !strcmp(arr[i].id, except)))
			continue;
		listed = in_list(to, arr[i].id);
		if (!listed && !all)
			continue;
		s = seat_of(sc, arr[i].id, true);
		if (!s || s->shown_conn_us[which] == arr[i].connected_us)
			continue;
		if (resend) {
			size_t len = strlen(to);

			if (!cmd && !(cmd = calloc(1, sizeof(*cmd))))
				break;
			cast_command_init(cmd, CAST_CMD_SCREEN_SHOW);
			cmd->u.screen_show = *show;
			if (send_to(sc, arr[i].id, cmd))
				continue;
			cast_log(CAST_LOG_INFO, "screens", "%s joined: shown "
				 "%s %s", arr[i].id, show->from,
				 which == SHOW_FILM ? "(film)" : "(demo)");
			if (!listed && len + strlen(arr[i].id) + 2 < to_size)
				snprintf(to + len, to_size - len, "%s%s",
					 len ? "," : "", arr[i].id);
		}
		s->shown_conn_us[which] = arr[i].connected_us;
	}
	if (cmd) {
		sodium_memzero(cmd, sizeof(*cmd));
		free(cmd);
	}
	free(arr);
}

/* The demo's viewers (lock held), see viewers_sync. */
static void demo_viewers(struct cast_screens *sc, bool resend)
{
	if (!sc->demo[0])
		return;
	viewers_sync(sc, SHOW_DEMO, sc->demo, sc->demo_to, sizeof(sc->demo_to),
		     sc->demo_all, &sc->demo_show, resend);
}

/* The film's viewers (lock held), see viewers_sync. */
static void film_viewers(struct cast_screens *sc, bool resend)
{
	if (!sc->film)
		return;
	viewers_sync(sc, SHOW_FILM, NULL, sc->film_to, sizeof(sc->film_to),
		     sc->film_all, &sc->film_show, resend);
}

/* Closes the teacher's view of the demo, keeping its count (lock held). */
static void demo_close(struct cast_screens *sc)
{
	struct cast_receiver_stats st;

	if (!sc->demo_r)
		return;
	cast_receiver_stats(sc->demo_r, &st);
	sc->demo_frames += st.frames_decoded;
	cast_receiver_free(&sc->demo_r);
}

/* Ends the demo (lock held): everyone back to the teacher. */
static void demo_stop(struct cast_screens *sc)
{
	struct cast_command *cmd;

	if (!sc->demo[0])
		return;
	cmd = calloc(1, sizeof(*cmd));
	if (cmd) {
		cast_command_init(cmd, CAST_CMD_SCREEN_SHOW);
		send_to(sc, sc->demo_to[0] ? sc->demo_to : NULL, cmd);
		cast_command_init(cmd, CAST_CMD_SCREEN_SEND);
		cmd->u.screen_send.kind = CAST_SCREEN_DEMO;
		send_to(sc, sc->demo, cmd);
		free(cmd);
	}
	demo_close(sc);
	cast_log(CAST_LOG_INFO, "screens", "demo of %s ended", sc->demo);
	sc->demo[0] = '\0';
	sc->demo_to[0] = '\0';
	sc->demo_all = false;
	sodium_memzero(&sc->demo_show, sizeof(sc->demo_show));
	for (int i = 0; i < CAST_SCREENS_SLOTS; i++)
		sc->seats[i].shown_conn_us[SHOW_DEMO] = 0;
}

/* Everyone online but `except`, comma-separated, into buf. */
static int everyone_but(struct cast_screens *sc, const char *except, char *buf,
			size_t size)
{
	struct cast_student_info *arr;
	size_t len = 0;
	int n, k = 0;

	buf[0] = '\0';
	arr = online(sc, &n);
	if (!arr)
		return CAST_ERROR(ENOMEM);
	for (int i = 0; i < n; i++) {
		int w;

		if (!arr[i].online || !strcmp(arr[i].id, except))
			continue;
		w = snprintf(buf + len, size - len, "%s%s", k ? "," : "",
			     arr[i].id);
		if (w < 0 || (size_t)w >= size - len) {
			free(arr);
			return CAST_ERROR(ENOSPC);
		}
		len += (size_t)w;
		k++;
	}
	free(arr);
	return k;
}

/* Starts a demo of `from` to `to` (NULL: everyone else), lock held. */
static int demo_start(struct cast_screens *sc, const char *from, const char *to,
		      char *why, size_t why_size)
{
	struct cast_student_info *arr;
	struct cast_command *cmd;
	struct cast_receiver_cfg rc;
	struct seat *s;
	char viewers[sizeof(sc->demo_to)];
	uint8_t pk[32];
	int n, err;

	arr = online(sc, &n);
	if (!arr || !find(arr, n, from)) {
		free(arr);
		snprintf(why, why_size, "%s is not online", from);
		return CAST_ERROR(ENOENT);
	}
	free(arr);
	if (to) {
		if (snprintf(viewers, sizeof(viewers), "%s", to) >=
		    (int)sizeof(viewers)) {
			snprintf(why, why_size, "--to: too many students");
			return CAST_ERROR(ENOSPC);
		}
	} else {
		err = everyone_but(sc, from, viewers, sizeof(viewers));
		if (err < 0) {
			snprintf(why, why_size, "%s", cast_strerror(err));
			return err;
		}
	}
	s = seat_of(sc, from, true);
	if (!s) {
		snprintf(why, why_size, "too many students");
		return CAST_ERROR(ENOSPC);
	}
	/* Switching demonstrator: the old one stops; viewers switch on the
	 * new one's first picture. */
	if (sc->demo[0] && strcmp(sc->demo, from)) {
		cmd = calloc(1, sizeof(*cmd));
		if (cmd) {
			cast_command_init(cmd, CAST_CMD_SCREEN_SEND);
			cmd->u.screen_send.kind = CAST_SCREEN_DEMO;
			send_to(sc, sc->demo, cmd);
			free(cmd);
		}
	}
	demo_close(sc);
	sc->demo[0] = '\0';
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return CAST_ERROR(ENOMEM);
	cast_command_init(cmd, CAST_CMD_SCREEN_SEND);
	cmd->u.screen_send.kind = CAST_SCREEN_DEMO;
	cmd->u.screen_send.on = true;
	cast_channel_group(sc->cfg.channel, cmd->u.screen_send.to.group,
			   sizeof(cmd->u.screen_send.to.group));
	cmd->u.screen_send.to.port = (uint16_t)port_of(s->slot, 2);
	cmd->u.screen_send.fps = sc->cfg.demo_fps;
	cmd->u.screen_send.kbps = sc->cfg.demo_kbps;
	err = stream_keys(&cmd->u.screen_send.to, cmd->u.screen_send.seed, pk);
	if (!err) {
		/* The teacher watches it too. */
		cast__screen_receiver_cfg(&rc, sc->cfg.channel, sc->cfg.iface,
					  &cmd->u.screen_send.to, pk);
		rc.on_frame = demo_frame;
		rc.arg = sc;
		err = cast_receiver_new(&sc->demo_r, &rc);
		if (!err)
			err = cast_receiver_start(sc->demo_r);
	}
	if (!err && viewers[0]) {
		/* Viewers listen first, so the first picture finds them. */
		struct cast_command *show = calloc(1, sizeof(*show));

		if (!show) {
			err = CAST_ERROR(ENOMEM);
		} else {
			cast_command_init(show, CAST_CMD_SCREEN_SHOW);
			show->u.screen_show.demo = true;
			snprintf(show->u.screen_show.from,
				 sizeof(show->u.screen_show.from), "%s", from);
			show->u.screen_show.from_stream =
				cmd->u.screen_send.to;
			memcpy(show->u.screen_show.pk, pk, 32);
			show->u.screen_show.lock = true;
			sc->demo_show = show->u.screen_show;
			n = cast_class_command(sc->cfg.cls, viewers, show, NULL);
			if (n < 0)
				snprintf(why, why_size, "--to: unknown student "
					 "in '%.200s'", viewers);
			err = n < 0 ? n : 0;
			sodium_memzero(show, sizeof(*show));
			free(show);
		}
	}
	if (!err)
		err = send_to(sc, from, cmd);
	sodium_memzero(cmd, sizeof(*cmd));
	free(cmd);
	if (err) {
		demo_close(sc);
		sodium_memzero(&sc->demo_show, sizeof(sc->demo_show));
		if (!why[0])
			snprintf(why, why_size, "%s", cast_strerror(err));
		return err;
	}
	snprintf(sc->demo, sizeof(sc->demo), "%s", from);
	snprintf(sc->demo_to, sizeof(sc->demo_to), "%s", viewers);
	sc->demo_all = !to;
	for (int i = 0; i < CAST_SCREENS_SLOTS; i++)
		sc->seats[i].shown_conn_us[SHOW_DEMO] = 0;
	demo_viewers(sc, false);
	sc->demos++;
	cast_log(CAST_LOG_INFO, "screens", "demo of %s to %s", from,
		 viewers[0] ? viewers : "nobody else");
	return 0;
}

/* ---- The teacher's film ---------------------------------------------------- */

int cast__screens_film_show(struct cast_screens *sc,
			    const struct cast_cmd_screen_show *show,
			    const char *to, char *why, size_t why_size)
{
	char viewers[sizeof(sc->film_to)];
	struct cast_command *cmd;
	int n = 0, err = 0;

	if (!sc || !show || !show->demo || !show->film)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&sc->lock);
	if (!sc->ctl) {
		snprintf(why, why_size, "the class is not open");
		err = CAST_ERROR(ENOTCONN);
	} else if (to) {
		if (snprintf(viewers, sizeof(viewers), "%s", to) >=
		    (int)sizeof(viewers)) {
			snprintf(why, why_size, "--to: too many students");
			err = CAST_ERROR(ENOSPC);
		}
	} else {
		err = everyone_but(sc, "", viewers, sizeof(viewers));
		if (err < 0)
			snprintf(why, why_size, "%s", cast_strerror(err));
		else
			err = 0;
	}
	cmd = err ? NULL : calloc(1, sizeof(*cmd));
	if (!err && !cmd)
		err = CAST_ERROR(ENOMEM);
	if (!err && viewers[0]) {
		cast_command_init(cmd, CAST_CMD_SCREEN_SHOW);
		cmd->u.screen_show = *show;
		n = cast_class_command(sc->cfg.cls, viewers, cmd, NULL);
		if (n < 0) {
			snprintf(why, why_size, "--to: unknown student in "
				 "'%s'", viewers);
			err = n;
		}
	}
	if (cmd) {
		sodium_memzero(cmd, sizeof(*cmd));
		free(cmd);
	}
	if (!err) {
		sc->film = true;
		snprintf(sc->film_to, sizeof(sc->film_to), "%s", viewers);
		sc->film_all = !to;
		sc->film_show = *show;
		for (int i = 0; i < CAST_SCREENS_SLOTS; i++)
			sc->seats[i].shown_conn_us[SHOW_FILM] = 0;
		film_viewers(sc, false);
		cast_log(CAST_LOG_INFO, "screens", "film %s to %s", show->from,
			 !to ? "everyone" : viewers);
	}
	pthread_mutex_unlock(&sc->lock);
	return err ? err : n;
}

void cast__screens_film_end(struct cast_screens *sc)
{
	struct cast_command *cmd;

	if (!sc)
		return;
	pthread_mutex_lock(&sc->lock);
	if (sc->film && sc->film_to[0] && (cmd = calloc(1, sizeof(*cmd)))) {
		/* Back to the teacher's broadcast. */
		cast_command_init(cmd, CAST_CMD_SCREEN_SHOW);
		send_to(sc, sc->film_to, cmd);
		free(cmd);
	}
	if (sc->film)
		cast_log(CAST_LOG_INFO, "screens", "film %s ended",
			 sc->film_show.from);
	sc->film = false;
	sc->film_to[0] = '\0';
	sc->film_all = false;
	sodium_memzero(&sc->film_show, sizeof(sc->film_show));
	for (int i = 0; i < CAST_SCREENS_SLOTS; i++)
		sc->seats[i].shown_conn_us[SHOW_FILM] = 0;
	pthread_mutex_unlock(&sc->lock);
}

void cast__screens_film_viewers(struct cast_screens *sc, char *buf,
				size_t size, bool *all)
{
	buf[0] = '\0';
	*all = false;
	if (!sc)
		return;
	pthread_mutex_lock(&sc->lock);
	if (sc->film) {
		snprintf(buf, size, "%s", sc->film_to);
		*all = sc->film_all;
	}
	pthread_mutex_unlock(&sc->lock);
}

/* ---- The watch thread ---------------------------------------------------- */

static void *watch_thread(void *arg)
{
	struct cast_screens *sc = arg;
	struct timespec ts;

	pthread_mutex_lock(&sc->lock);
	while (!sc->stop) {
		struct cast_student_info *arr;
		int64_t now = cast_mono_us();
		int n;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WATCH_TICK_US * 1000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sc->cond, &sc->lock, &ts);
		if (sc->stop)
			break;
		arr = online(sc, &n);
		if (arr) {
			/* A demonstrator that dropped off: back to the
			 * teacher. A controlled student that did: let go. */
			if (sc->demo[0] && !find(arr, n, sc->demo)) {
				cast_log(CAST_LOG_WARN, "screens", "%s left "
					 "during its demo", sc->demo);
				demo_stop(sc);
			}
			if (sc->control[0] && !find(arr, n, sc->control)) {
				cast_log(CAST_LOG_WARN, "screens", "%s left "
					 "while under remote control",
					 sc->control);
				sc->control[0] = '\0';
			}
			free(arr);
		}
		demo_viewers(sc, true);
		film_viewers(sc, true);
		sync_seats(sc);
		if (now - sc->rate_mono >= 1000000) {
			double dt = (double)(now - sc->rate_mono) / 1e6;

			for (int i = 0; i < CAST_SCREENS_SLOTS; i++) {
				struct seat *s = &sc->seats[i];

				if (!s->used)
					continue;
				pthread_mutex_lock(&s->lock);
				s->fps_measured = sc->rate_mono
					? (double)(s->frames - s->frames_prev) / dt
					: 0;
				s->frames_prev = s->frames;
				pthread_mutex_unlock(&s->lock);
			}
			sc->rate_mono = now;
		}
	}
	pthread_mutex_unlock(&sc->lock);
	return NULL;
}

int cast_screens_new(struct cast_screens **out,
		     const struct cast_screens_cfg *cfg)
{
	struct cast_screens *sc;
	int err;

	if (!out || !cfg || !cfg->cls || cfg->wall_fps < 1 ||
	    cfg->focus_fps < 1 || cfg->demo_fps < 1)
		return CAST_ERROR(EINVAL);
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return CAST_ERROR(ENOMEM);
	sc->seats = calloc(CAST_SCREENS_SLOTS, sizeof(*sc->seats));
	if (!sc->seats || (cfg->iface && !(sc->iface = strdup(cfg->iface)))) {
		free(sc->seats);
		free(sc);
		return CAST_ERROR(ENOMEM);
	}
	sc->cfg = *cfg;
	sc->cfg.iface = sc->iface;
	sc->wall_fps = cfg->wall_fps;
	sc->wall_w = cfg->wall_width;
	sc->wall_h = cfg->wall_height;
	for (int i = 0; i < CAST_SCREENS_SLOTS; i++) {
		sc->seats[i].slot = i;
		sc->seats[i].sc = sc;
		pthread_mutex_init(&sc->seats[i].lock, NULL);
	}
	pthread_mutex_init(&sc->lock, NULL);
	pthread_cond_init(&sc->cond, NULL);
	err = pthread_create(&sc->thread, NULL, watch_thread, sc);
	if (err) {
		free(sc->seats);
		free(sc->iface);
		free(sc);
		return CAST_ERROR(err);
	}
	*out = sc;
	return 0;
}

void cast_screens_set_ctl(struct cast_screens *sc, struct cast_teacher_ctl *ctl)
{
	if (!sc)
		return;
	pthread_mutex_lock(&sc->lock);
	sc->ctl = ctl;
	pthread_mutex_unlock(&sc->lock);
}

void cast_screens_free(struct cast_screens **psc)
{
	struct cast_screens *sc = psc ? *psc : NULL;

	if (!sc)
		return;
	pthread_mutex_lock(&sc->lock);
	sc->stop = true;
	pthread_cond_signal(&sc->cond);
	pthread_mutex_unlock(&sc->lock);
	pthread_join(sc->thread, NULL);
	cast_receiver_free(&sc->demo_r);
	for (int i = 0; i < CAST_SCREENS_SLOTS; i++) {
		seat_record_stop(&sc->seats[i]);
		cast_receiver_free(&sc->seats[i].r);
		free(sc->seats[i].pic);
		pthread_mutex_destroy(&sc->seats[i].lock);
	}
	pthread_cond_destroy(&sc->cond);
	pthread_mutex_destroy(&sc->lock);
	free(sc->seats);
	free(sc->iface);
	free(sc);
	*psc = NULL;
}

/* ---- Snapshots ----------------------------------------------------------- */

/* A student id as a file name, or false when it cannot be one. */
static bool file_name_ok(const char *id)
{
	if (!id[0] || id[0] == '.')
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return false;
	return true;
}

/* The seat's latest picture as a cairo surface, or NULL. */
static cairo_surface_t *seat_surface(struct seat *s)
{
	cairo_surface_t *img = NULL;

	pthread_mutex_lock(&s->lock);
	if (!s->pic || s->pw < 2 || s->ph < 2)
		goto out;
	img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s->pw, s->ph);
	if (cairo_surface_status(img)) {
		cairo_surface_destroy(img);
		img = NULL;
		goto out;
	}
	{
		/* BT.601 limited range, as the encoder's input. */
		size_t ysz = (size_t)s->pw * (size_t)s->ph;
		const uint8_t *yp = s->pic, *up = s->pic + ysz,
			      *vp = s->pic + ysz + ysz / 4;
		uint8_t *dst = cairo_image_surface_get_data(img);
		int stride = cairo_image_surface_get_stride(img);

		cairo_surface_flush(img);
		for (int y = 0; y < s->ph; y++) {
			uint32_t *row = (uint32_t *)(dst + (size_t)y * stride);

			for (int x = 0; x < s->pw; x++) {
				int c = yp[(size_t)y * s->pw + x] - 16;
				size_t ci = (size_t)(y / 2) * (s->pw / 2) +
					    x / 2;
				int d = up[ci] - 128, e = vp[ci] - 128;
				int r = (298 * c + 409 * e + 128) >> 8;
				int g = (298 * c - 100 * d - 208 * e + 128) >> 8;
				int b = (298 * c + 516 * d + 128) >> 8;

				r = r < 0 ? 0 : r > 255 ? 255 : r;
				g = g < 0 ? 0 : g > 255 ? 255 : g;
				b = b < 0 ? 0 : b > 255 ? 255 : b;
				row[x] = (uint32_t)r << 16 | (uint32_t)g << 8 |
					 (uint32_t)b;
			}
		}
		cairo_surface_mark_dirty(img);
	}
out:
	pthread_mutex_unlock(&s->lock);
	return img;
}

static void draw_label(cairo_t *cr, const char *text, double x, double y,
		       double w)
{
	PangoLayout *l = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_from_string("Sans");

	pango_font_description_set_absolute_size(fd, 15 * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_layout_set_width(l, (int)(w * PANGO_SCALE));
	pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
	pango_layout_set_text(l, text, -1);
	cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, l);
	pango_font_description_free(fd);
	g_object_unref(l);
}

static int write_page(const char *dir, int page, cairo_surface_t **imgs,
		      const char (*names)[CAST_IDENTITY_ID_MAX], int n)
{
	int cw = CAST_WALL_WIDTH, ch = CAST_WALL_HEIGHT, pad = 8;
	int W = PAGE_COLS * (cw + pad) + pad;
	int H = PAGE_ROWS * (ch + LABEL_H + pad) + pad;
	cairo_surface_t *pg = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
	cairo_t *cr = cairo_create(pg);
	char path[PATH_MAX];
	int err = 0;

	cairo_set_source_rgb(cr, 0.12, 0.13, 0.15);
	cairo_paint(cr);
	for (int i = 0; i < n; i++) {
		double x = pad + (i % PAGE_COLS) * (cw + pad);
		double y = pad + (i / PAGE_COLS) * (ch + LABEL_H + pad);

		cairo_save(cr);
		cairo_rectangle(cr, x, y, cw, ch);
		cairo_clip(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_paint(cr);
		if (imgs[i]) {
			double iw = cairo_image_surface_get_width(imgs[i]);
			double ih = cairo_image_surface_get_height(imgs[i]);
			double k = cw / iw < ch / ih ? cw / iw : ch / ih;

			cairo_translate(cr, x + (cw - iw * k) / 2,
					y + (ch - ih * k) / 2);
			cairo_scale(cr, k, k);
			cairo_set_source_surface(cr, imgs[i], 0, 0);
			cairo_paint(cr);
		}
		cairo_restore(cr);
		draw_label(cr, names[i], x + 4, y + ch + 4, cw - 8);
	}
	cairo_destroy(cr);
	snprintf(path, sizeof(path), "%s/wall-%d.png", dir, page);
	if (cairo_surface_write_to_png(pg, path) != CAIRO_STATUS_SUCCESS)
		err = CAST_ERROR(EIO);
	cairo_surface_destroy(pg);
	return err;
}

int cast_screens_snapshot(struct cast_screens *sc, const char *dir)
{
	cairo_surface_t *imgs[PAGE_COLS * PAGE_ROWS];
	char (*names)[CAST_IDENTITY_ID_MAX];
	struct stat stt;
	int written = 0, on_page = 0, page = 1, err = 0;

	if (!sc || !dir || !*dir)
		return CAST_ERROR(EINVAL);
	if (stat(dir, &stt) || !S_ISDIR(stt.st_mode))
		return CAST_ERROR(ENOTDIR);
	names = calloc(PAGE_COLS * PAGE_ROWS, sizeof(*names));
	if (!names)
		return CAST_ERROR(ENOMEM);
	pthread_mutex_lock(&sc->lock);
	for (int i = 0; i < CAST_SCREENS_SLOTS && !err; i++) {
		struct seat *s = &sc->seats[i];
		cairo_surface_t *img;
		char path[PATH_MAX];

		if (!s->used || !s->r)
			continue;
		img = seat_surface(s);
		if (img && file_name_ok(s->id)) {
			snprintf(path, sizeof(path), "%s/%s.png", dir, s->id);
			if (cairo_surface_write_to_png(img, path) !=
			    CAIRO_STATUS_SUCCESS)
				err = CAST_ERROR(EIO);
			else
				written++;
		}
		imgs[on_page] = img;
		snprintf(names[on_page], sizeof(names[0]), "%s", s->id);
		if (++on_page == PAGE_COLS * PAGE_ROWS) {
			if (!err)
				err = write_page(dir, page++, imgs, names,
						 on_page);
			for (int k = 0; k < on_page; k++)
				if (imgs[k])
					cairo_surface_destroy(imgs[k]);
			on_page = 0;
		}
	}
	pthread_mutex_unlock(&sc->lock);
	if (on_page && !err)
		err = write_page(dir, page, imgs, names, on_page);
	for (int k = 0; k < on_page; k++)
		if (imgs[k])
			cairo_surface_destroy(imgs[k]);
	free(names);
	return err ? err : written;
}

/* ---- Stats --------------------------------------------------------------- */

static void json_locked(struct cast_screens *sc, struct cast_json *j)
{
	cast_json_obj(j, "screens");
	cast_json_bool(j, "wall", sc->wall);
	cast_json_int(j, "wall_fps", sc->wall_fps);
	cast_json_str(j, "focus", sc->focus);
	cast_json_str(j, "control", sc->control);
	cast_json_str(j, "demo", sc->demo);
	cast_json_int(j, "demos", (int64_t)sc->demos);
	{
		struct cast_receiver_stats st = {0};

		if (sc->demo_r)
			cast_receiver_stats(sc->demo_r, &st);
		/* Received by the teacher, every demo so far. */
		cast_json_int(j, "demo_frames",
			      (int64_t)(sc->demo_frames + st.frames_decoded));
		cast_json_int(j, "demo_width", st.width);
		cast_json_int(j, "demo_height", st.height);
	}
	cast_json_array(j, "students");
	for (int i = 0; i < CAST_SCREENS_SLOTS; i++) {
		struct seat *s = &sc->seats[i];

		if (!s->used || !s->r)
			continue;
		cast_json_obj(j, NULL);
		cast_json_str(j, "id", s->id);
		pthread_mutex_lock(&s->lock);
		cast_json_int(j, "frames", (int64_t)s->frames);
		cast_json_num(j, "fps", s->fps_measured);
		cast_json_int(j, "width", s->pw);
		cast_json_int(j, "height", s->ph);
		pthread_mutex_unlock(&s->lock);
		cast_json_int(j, "asked_fps", s->fps);
		if (s->rec) {
			struct cast_recorder_stats rs;

			cast_recorder_stats(s->rec, &rs);
			cast_json_obj(j, "recording");
			cast_json_str(j, "path", rs.path);
			cast_json_num(j, "seconds", rs.seconds);
			cast_json_int(j, "video_frames", (int64_t)rs.video_frames);
			cast_json_str(j, "error", rs.error);
			cast_json_end(j);
		}
		cast_json_end(j);
	}
	cast_json_array_end(j);
	cast_json_end(j);
}

void cast_screens_json(struct cast_screens *sc, struct cast_json *j)
{
	if (!sc)
		return;
	pthread_mutex_lock(&sc->lock);
	json_locked(sc, j);
	pthread_mutex_unlock(&sc->lock);
}

/* ---- The verbs ----------------------------------------------------------- */

static char *fail(const char *fmt, const char *a)
{
	return cast_json_error(fmt, a ? a : "");
}

static char *ok_state(struct cast_screens *sc, const char *what, int n)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_str(&j, "done", what);
	if (n >= 0)
		cast_json_int(&j, "students", n);
	json_locked(sc, &j);
	cast_json_end(&j);
	return cast_json_take(&j);
}

static bool is_online(struct cast_screens *sc, const char *id)
{
	struct cast_student_info *arr;
	int n;
	bool on;

	arr = online(sc, &n);
	on = arr && find(arr, n, id);
	free(arr);
	return on;
}

static char *verb_demo(struct cast_screens *sc, int argc, char **argv)
{
	static const char usage[] =
		"usage: demo from=ID [--to IDS|all] | demo stop | demo status";
	const char *from = NULL, *to = NULL;
	char why[256] = "";
	int err;

	if (argc == 2 && !strcmp(argv[1], "status"))
		return ok_state(sc, "demo status", -1);
	if (argc == 2 && !strcmp(argv[1], "stop")) {
		if (!sc->demo[0])
			return fail("no demo is running", NULL);
		demo_stop(sc);
		return ok_state(sc, "demo stop", -1);
	}
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "from=", 5) && !from && argv[i][5])
			from = argv[i] + 5;
		else if (!strcmp(argv[i], "--to") && i + 1 < argc && !to)
			to = argv[++i];
		else
			return fail("%s", usage);
	}
	if (!from)
		return fail("%s", usage);
	if (to && !strcmp(to, "all"))
		to = NULL;
	err = demo_start(sc, from, to, why, sizeof(why));
	if (err)
		return fail("demo: %s", why);
	return ok_state(sc, "demo", -1);
}

static int parse_size(const char *s, int *w, int *h)
{
	char *end;
	long a = strtol(s, &end, 10), b;

	if (end == s || (*end != 'x' && *end != 'X'))
		return CAST_ERROR(EINVAL);
	s = end + 1;
	b = strtol(s, &end, 10);
	if (end == s || *end || a < 16 || b < 16 || a > 1920 || b > 1080 ||
	    a % 2 || b % 2)
		return CAST_ERROR(EINVAL);
	*w = (int)a;
	*h = (int)b;
	return 0;
}

static int count_streams(struct cast_screens *sc)
{
	int n = 0;

	for (int i = 0; i < CAST_SCREENS_SLOTS; i++)
		n += sc->seats[i].r != NULL;
	return n;
}

/* `wall record ID [path=NAME]` / `wall record ID stop` (lock held). */
static char *wall_record(struct cast_screens *sc, const char *id,
			 const char *arg)
{
	struct cast_recorder_cfg rc;
	struct cast_recorder *rec = NULL;
	struct seat *s = seat_of(sc, id, false);
	char title[CAST_IDENTITY_ID_MAX + 16];
	int err;

	if (arg && !strcmp(arg, "stop")) {
		if (!s || !s->rec)
			return fail("%s's screen is not being recorded", id);
		seat_record_stop(s);
		return ok_state(sc, "wall record stop", -1);
	}
	if (arg && (strncmp(arg, "path=", 5) || !arg[5]))
		return fail("usage: wall record ID [path=NAME] | wall record ID "
			    "stop", NULL);
	if (!s || !s->r)
		return fail("%s's screen is not received: wall on, wall focus "
			    "or control first", id);
	if (s->rec)
		return fail("%s's screen is already being recorded", id);
	snprintf(title, sizeof(title), "student %s", id);
	cast_recorder_cfg_init(&rc);
	rc.title = title;
	rc.need_keyframe = seat_need_keyframe;
	rc.arg = s;
	err = cast_recorder_new(&rec, &rc);
	if (!err)
		err = cast_recorder_start(rec, arg ? arg + 5 : NULL);
	if (err) {
		cast_recorder_free(&rec);
		return fail("wall record: %s", cast_strerror(err));
	}
	pthread_mutex_lock(&s->lock);
	s->rec = rec;
	pthread_mutex_unlock(&s->lock);
	return ok_state(sc, "wall record", -1);
}

static char *verb_wall(struct cast_screens *sc, int argc, char **argv)
{
	static const char usage[] =
		"usage: wall on|off [fps=1..10] [size=WxH] | wall snapshot "
		"dir=DIR | wall focus ID|off | wall record ID [path=NAME]|stop "
		"| wall status";

	if (argc < 2)
		return fail("%s", usage);
	if (argc == 2 && !strcmp(argv[1], "status"))
		return ok_state(sc, "wall status", count_streams(sc));
	if (!strcmp(argv[1], "on")) {
		int fps = sc->cfg.wall_fps, w = sc->cfg.wall_width,
		    h = sc->cfg.wall_height;

		for (int i = 2; i < argc; i++) {
			char *end;

			if (!strncmp(argv[i], "fps=", 4)) {
				long v = strtol(argv[i] + 4, &end, 10);

				if (end == argv[i] + 4 || *end || v < 1 ||
				    v > 10)
					return fail("wall: fps=1..10, not "
						    "'%s'", argv[i] + 4);
				fps = (int)v;
			} else if (!strncmp(argv[i], "size=", 5)) {
				if (parse_size(argv[i] + 5, &w, &h))
					return fail("wall: size=WxH (even, "
						    "16x16..1920x1080), not "
						    "'%s'", argv[i] + 5);
			} else {
				return fail("%s", usage);
			}
		}
		sc->wall = true;
		sc->wall_fps = fps;
		sc->wall_w = w;
		sc->wall_h = h;
		sync_seats(sc);
		return ok_state(sc, "wall on", count_streams(sc));
	}
	if (!strcmp(argv[1], "off") && argc == 2) {
		sc->wall = false;
		sc->focus[0] = '\0';
		sync_seats(sc);
		return ok_state(sc, "wall off", count_streams(sc));
	}
	if (!strcmp(argv[1], "focus") && argc == 3) {
		if (!strcmp(argv[2], "off")) {
			sc->focus[0] = '\0';
		} else {
			if (!is_online(sc, argv[2]))
				return fail("%s is not online", argv[2]);
			snprintf(sc->focus, sizeof(sc->focus), "%s", argv[2]);
		}
		sync_seats(sc);
		return ok_state(sc, "wall focus", count_streams(sc));
	}
	if (!strcmp(argv[1], "record") && (argc == 3 || argc == 4))
		return wall_record(sc, argv[2], argc == 4 ? argv[3] : NULL);
	if (!strcmp(argv[1], "snapshot") && argc == 3 &&
	    !strncmp(argv[2], "dir=", 4)) {
		int n;

		pthread_mutex_unlock(&sc->lock);
		n = cast_screens_snapshot(sc, argv[2] + 4);
		pthread_mutex_lock(&sc->lock);
		if (n < 0)
			return fail("wall snapshot: %s", cast_strerror(n));
		return ok_state(sc, "wall snapshot", n);
	}
	return fail("%s", usage);
}

static char *verb_control(struct cast_screens *sc, int argc, char **argv)
{
	struct cast_command *cmd;
	char prev[CAST_IDENTITY_ID_MAX];
	int err = 0;

	if (argc != 2)
		return fail("usage: control ID | control stop", NULL);
	snprintf(prev, sizeof(prev), "%s", sc->control);
	if (strcmp(argv[1], "stop") && !is_online(sc, argv[1]))
		return fail("%s is not online", argv[1]);
	if (!strcmp(argv[1], "stop") && !prev[0])
		return fail("no student is under remote control", NULL);
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return NULL;
	cast_command_init(cmd, CAST_CMD_REMOTE);
	if (prev[0] && strcmp(prev, argv[1])) {
		/* Letting go of the one held before. */
		cmd->u.remote.on = false;
		send_to(sc, prev, cmd);
		sc->control[0] = '\0';
	}
	if (strcmp(argv[1], "stop")) {
		cmd->u.remote.on = true;
		err = send_to(sc, argv[1], cmd);
		if (!err)
			snprintf(sc->control, sizeof(sc->control), "%s",
				 argv[1]);
	}
	free(cmd);
	if (err)
		return fail("control: %s", cast_strerror(err));
	sync_seats(sc);
	return ok_state(sc, strcmp(argv[1], "stop") ? "control" : "control stop",
			-1);
}

static char *verb_input(struct cast_screens *sc, int argc, char **argv)
{
	struct cast_command *cmd;
	char why[256];
	int sent = 0, err = 0;

	if (argc < 3)
		return fail("usage: input ID click=X,Y | move=X,Y | key=NAME | "
			    "type=TEXT …", NULL);
	if (!sc->control[0] || strcmp(sc->control, argv[1]))
		return fail("%s is not under remote control: `control ID` "
			    "first", argv[1]);
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return NULL;
	/* Every word is checked before any is sent. */
	for (int i = 2; i < argc && !err; i++) {
		struct cast_input_event ev;

		err = cast_input_parse(argv[i], &ev, why, sizeof(why));
	}
	for (int i = 2; i < argc && !err; i++) {
		cast_command_init(cmd, CAST_CMD_REMOTE_INPUT);
		snprintf(cmd->u.input.word, sizeof(cmd->u.input.word), "%s",
			 argv[i]);
		err = send_to(sc, argv[1], cmd);
		sent += !err;
	}
	free(cmd);
	if (err)
		return fail("input: %s", why[0] ? why : cast_strerror(err));
	return ok_state(sc, "input", sent);
}

char *cast_screens_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	struct cast_screens *sc = arg;
	char *out;

	(void)req;
	if (!sc || argc < 1)
		return fail("screens: no such verb", NULL);
	pthread_mutex_lock(&sc->lock);
	if (!sc->ctl)
		out = fail("the class is not open", NULL);
	else if (!strcmp(argv[0], "demo"))
		out = verb_demo(sc, argc, argv);
	else if (!strcmp(argv[0], "wall"))
		out = verb_wall(sc, argc, argv);
	else if (!strcmp(argv[0], "control"))
		out = verb_control(sc, argc, argv);
	else if (!strcmp(argv[0], "input"))
		out = verb_input(sc, argc, argv);
	else
		out = fail("screens: no verb '%s'", argv[0]);
	pthread_mutex_unlock(&sc->lock);
	return out;
}
