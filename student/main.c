/* cast-student: follows its channel's teacher and shows the broadcast full-screen. */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <SDL.h>

#include <cast/cast.h>

#include "indicator.h"
#include "overlay.h"
#include "play.h"

struct student {
	struct cast_receiver_cfg cfg;
	struct cast_common_opts common; /* channel, iface, insecure: in cfg */
	const char *teacher_addr;
	const char *teacher_codes;	/* with --key-code: FP[,FP…] */
	const char *id, *name, *class_name;
	struct cast_receiver *r;	/* set before the control plane starts */
	struct cast_voice_receiver *voice;	/* NULL: no audio here */
	const char *audio_out;		/* NULL: default, or none headless */
	bool check_av;
	/* Lip sync: decoded pictures held for the sound, then shown. */
	struct cast_picture_delay *pdelay;
	void (*shown_cb)(const struct cast_frame *f, void *arg);
	void *shown_arg;
	struct cast_student_ctl *ctl;	/* set once the control plane runs */
	struct cast_seat_cfg ccfg;
	struct cast_seat *seat;		/* what the teacher set here */
	const char *state_dir;
	const char *local_socket;
	const char *inbox;
	const char *collect_root;
	char seat_id[64];
	/* One homework submission at a time, on a thread of its own. */
	pthread_t hw_thread;
	atomic_bool hw_busy;
	bool hw_started;
	char hw_root[1024];	/* "" for a submission of an absolute path */
	char hw_folder[1024];
	uint32_t hw_collection;
	uint64_t hw_session;	/* the connection the chunks go on */
	struct cast_file_receiver *files;
	const char *dump_path;
	const char *geometry;
	struct play_opts play;		/* --play FILE */
	atomic_uint welcomes;	/* WELCOMEs so far: the teacher may have
				   forgotten our window */
	/* Students on screen: what this seat sends and shows when asked. */
	const char *source;		/* --source x11[:DISPLAY]|testpattern */
	int size_w, size_h;		/* --size */
	bool no_remote;			/* --no-remote-control */
	struct cast_share *share;
	struct cast_watch *watch;
	cast_receiver_frame_cb *teacher_cb;	/* the teacher's pictures' sink */
	void *teacher_arg;
	/* The broadcast started again: when this seat was told (monotonic
	 * µs, 0 none pending), and how long its first picture took then. */
	_Atomic int64_t resume_at;
	_Atomic int64_t resume_ms;	/* -1: never measured */
	/* Remote control: the teacher holds this seat's input. */
	pthread_mutex_t rc_lock;
	atomic_bool remote;
	struct cast_injector *injector;
	uint64_t inputs, inputs_refused;
};

/* The latest decoded picture, handed from the receiver thread to the view. */
struct picture {
	pthread_mutex_t lock;
	uint8_t *buf;
	size_t cap;
	int width, height;
	bool fresh;
};

extern char **environ;

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cast-student [options]\n"
		"       cast-student ctl [--channel N] [--socket PATH] COMMAND\n"
		"       cast-student --play FILE [--speed X] [--seek SEC]\n"
		"         COMMAND: hand up|down, message TEXT, submit /FOLDER,\n"
		"                  state\n"
		"Shows the broadcast of this channel's teacher.\n\n"
		"  --channel N          class channel 1..999 (default 1)\n"
		"  --iface NAME|ADDR    interface to receive on (default: routing)\n"
		"  --duration SEC       stop after SEC seconds (default: run)\n"
		"  --stats FILE|-       JSON stats lines, each second and at exit\n"
		"  --key FILE           class key file (from cast-teacher keygen)\n"
		"  --key-code CODE      class key given as its short code\n"
		"  --id ID --name NAME --class CLASS   who signs in here\n"
		"                       (default id: seat-<MAC of the lab interface>)\n"
		"  --teacher ADDR       connect to this teacher without discovery\n"
		"  --state-dir DIR      where the class state is kept (lock survives\n"
		"                       restarts; default ~/.local/state/libcast)\n"
		"  --local-socket PATH  the student's own actions (default per channel)\n"
		"  --collect-root DIR   folders the teacher may collect are inside\n"
		"                       it (default ~)\n"
		"  --inbox DIR          where files from the teacher arrive\n"
		"                       (default ~/libcast/inbox)\n"
		"  --open-cmd PROG      opens URLs and files the teacher sends\n"
		"                       (xdg-open)\n"
		"  --url-schemes LIST   allowed URL schemes (http,https)\n"
		"  --poweroff-cmd PROG  --reboot-cmd PROG   remote power commands,\n"
		"                       run without a shell (default: systemctl\n"
		"                       poweroff, systemctl reboot); the teacher\n"
		"                       gets their outcome (waited for, 10 s)\n"
		"  --allow-clock-set    the teacher may set this machine's clock\n"
		"  --insecure           accept plain RTP, no control plane\n"
		"  --headless           no window; stats only\n"
		"  --windowed WxH[+X+Y] a window instead of full screen\n"
		"  --dump FILE          at exit, save the shown picture (PPM)\n"
		"  --audio-out OUT      the teacher's voice: default (the sound\n"
		"                       device; none with --headless), none, or\n"
		"                       file:PATH.wav (what would be played,\n"
		"                       48 kHz, written as it would be played)\n"
		"  --check-stamp        verify test-pattern frame numbers\n"
		"  --check-av           time white flashes shown against clicks\n"
		"                       played (lip sync check; stats av_check)\n"
		"  --no-decode          receive and repair only, decode nothing\n"
		"                       (network checks, benchmarks; headless)\n"
		"  --unsigned-media     show SRTP media without the teacher's\n"
		"                       signatures (measuring their cost only:\n"
		"                       any student could then inject frames)\n"
		"  --config FILE        read these settings as 'key = value'\n"
		"  --teacher-code FP[,FP]  with --key-code: the teachers this\n"
		"                       student obeys (their fingerprints)\n"
		"  --play FILE          play a recorded lesson (or any video or\n"
		"                       sound file): space pause, arrows seek 5 s,\n"
		"                       [ ] or up/down speed 0.5-2x (pitch kept),\n"
		"                       1 normal speed, click the bar to seek, q quit\n"
		"  --source SRC         what this screen sends when the teacher\n"
		"                       asks (demo, wall, remote control):\n"
		"                       x11[:DISPLAY] (default) or testpattern\n"
		"  --size WxH           the largest picture it sends (default:\n"
		"                       what the teacher asks; testpattern: 1280x720)\n"
		"  --no-remote-control  the teacher may watch this screen but\n"
		"                       never take its keyboard and mouse\n"
		"  --speed X            --play: start at this speed (default 1)\n"
		"  --seek SEC           --play: start here\n"
		"  --help, --version\n");
}

enum {
	OPT_WINDOWED = CAST_OPT_APP, OPT_DUMP, OPT_CHECK_STAMP, OPT_NO_DECODE,
	OPT_UNSIGNED,
	OPT_ID, OPT_NAME, OPT_CLASS, OPT_TEACHER, OPT_STATE_DIR,
	OPT_LOCAL_SOCKET, OPT_OPEN_CMD, OPT_URL_SCHEMES, OPT_POWEROFF_CMD,
	OPT_REBOOT_CMD, OPT_ALLOW_CLOCK_SET, OPT_INBOX, OPT_COLLECT_ROOT,
	OPT_TEACHER_CODE, OPT_AUDIO_OUT, OPT_CHECK_AV, OPT_PLAY, OPT_SPEED,
	OPT_SEEK, OPT_SOURCE, OPT_SIZE, OPT_NO_REMOTE,
};

/* The student's own options; the common ones are cast/options.h's. */
static const struct cast_option options[] = {
	{"windowed", true, OPT_WINDOWED},
	{"dump", true, OPT_DUMP},
	{"check-stamp", false, OPT_CHECK_STAMP},
	{"no-decode", false, OPT_NO_DECODE},
	{"unsigned-media", false, OPT_UNSIGNED},
	{"id", true, OPT_ID},
	{"name", true, OPT_NAME},
	{"class", true, OPT_CLASS},
	{"teacher", true, OPT_TEACHER},
	{"state-dir", true, OPT_STATE_DIR},
	{"local-socket", true, OPT_LOCAL_SOCKET},
	{"open-cmd", true, OPT_OPEN_CMD},
	{"url-schemes", true, OPT_URL_SCHEMES},
	{"poweroff-cmd", true, OPT_POWEROFF_CMD},
	{"reboot-cmd", true, OPT_REBOOT_CMD},
	{"allow-clock-set", false, OPT_ALLOW_CLOCK_SET},
	{"inbox", true, OPT_INBOX},
	{"collect-root", true, OPT_COLLECT_ROOT},
	{"teacher-code", true, OPT_TEACHER_CODE},
	{"audio-out", true, OPT_AUDIO_OUT},
	{"check-av", false, OPT_CHECK_AV},
	{"play", true, OPT_PLAY},
	{"speed", true, OPT_SPEED},
	{"seek", true, OPT_SEEK},
	{"source", true, OPT_SOURCE},
	{"size", true, OPT_SIZE},
	{"no-remote-control", false, OPT_NO_REMOTE},
	{NULL, false, 0},
};

/* Option values live as long as the program; freed at exit. */
static struct cast_options *opts;

static void free_options(void)
{
	cast_options_free(&opts);
}

/* One of the student's own options (cast_option_cb), from argv or --config. */
static int set_option(int id, const char *v, void *arg, char *why,
		      size_t why_size)
{
	struct student *s = arg;

	(void)why;
	(void)why_size;
	switch (id) {
	case OPT_PLAY:
		s->play.path = v;
		return 0;
	case OPT_SPEED:
	case OPT_SEEK: {
		char *end;
		double d = strtod(v, &end);

		if (end == v || *end || d < 0 || d > 1e6 ||
		    (id == OPT_SPEED && (d < 0.5 || d > 2))) {
			snprintf(why, why_size, id == OPT_SPEED
							? "expected 0.5 to 2"
							: "expected seconds");
			return CAST_ERROR(EINVAL);
		}
		if (id == OPT_SPEED)
			s->play.speed = d;
		else
			s->play.seek = d;
		return 0;
	}
	case OPT_WINDOWED:
		s->geometry = v;
		return 0;
	case OPT_DUMP:
		s->dump_path = v;
		return 0;
	case OPT_NO_DECODE:
		s->cfg.no_decode = cast_parse_flag(v);
		return 0;
	case OPT_UNSIGNED:
		s->cfg.unsigned_media = cast_parse_flag(v);
		return 0;
	case OPT_CHECK_STAMP:
		s->cfg.check_stamp = cast_parse_flag(v);
		return 0;
	case OPT_ID:
		s->id = v;
		return 0;
	case OPT_NAME:
		s->name = v;
		return 0;
	case OPT_CLASS:
		s->class_name = v;
		return 0;
	case OPT_TEACHER:
		s->teacher_addr = v;
		return 0;
	case OPT_STATE_DIR:
		s->state_dir = v;
		return 0;
	case OPT_TEACHER_CODE:
		s->teacher_codes = v;
		return 0;
	case OPT_LOCAL_SOCKET:
		s->local_socket = v;
		return 0;
	case OPT_OPEN_CMD:
		s->ccfg.open_cmd = v;
		return 0;
	case OPT_URL_SCHEMES:
		s->ccfg.url_schemes = v;
		return 0;
	case OPT_POWEROFF_CMD:
		s->ccfg.poweroff_cmd = v;
		return 0;
	case OPT_REBOOT_CMD:
		s->ccfg.reboot_cmd = v;
		return 0;
	case OPT_ALLOW_CLOCK_SET:
		s->ccfg.allow_clock_set = cast_parse_flag(v);
		return 0;
	case OPT_INBOX:
		s->inbox = v;
		return 0;
	case OPT_COLLECT_ROOT:
		s->collect_root = v;
		return 0;
	case OPT_CHECK_AV:
		s->check_av = cast_parse_flag(v);
		return 0;
	case OPT_SOURCE:
		if (strcmp(v, "testpattern") && strcmp(v, "x11") &&
		    strncmp(v, "x11:", 4)) {
			snprintf(why, why_size, "--source takes x11[:DISPLAY] "
				 "or testpattern");
			return CAST_ERROR(EINVAL);
		}
		s->source = v;
		return 0;
	case OPT_SIZE: {
		int w = 0, h = 0;
		char extra;

		if (sscanf(v, "%dx%d%c", &w, &h, &extra) != 2 || w < 16 ||
		    h < 16 || w > 7680 || h > 4320 || w % 2 || h % 2) {
			snprintf(why, why_size, "--size takes WxH (even, "
				 "16x16..7680x4320)");
			return CAST_ERROR(EINVAL);
		}
		s->size_w = w;
		s->size_h = h;
		return 0;
	}
	case OPT_NO_REMOTE:
		s->no_remote = cast_parse_flag(v);
		return 0;
	case OPT_AUDIO_OUT:
		if (strcmp(v, "default") && strcmp(v, "none") &&
		    (strncmp(v, "file:", 5) || !v[5])) {
			snprintf(why, why_size,
				 "--audio-out takes default, none or "
				 "file:PATH.wav");
			return CAST_ERROR(EINVAL);
		}
		s->audio_out = v;
		return 0;
	default:
		return CAST_ERROR(EINVAL);
	}
}

static void on_frame(const struct cast_frame *f, void *arg)
{
	struct picture *p = arg;

	pthread_mutex_lock(&p->lock);
	if (cast_frame_pack_i420(f, &p->buf, &p->cap) > 0) {
		p->width = f->width;
		p->height = f->height;
		p->fresh = true;
	}
	pthread_mutex_unlock(&p->lock);
}

/* A WELCOME from the authenticated teacher: its media key, if it is ours. */
static void on_welcome(const struct cast_media_params *m, void *arg)
{
	struct student *s = arg;
	int err;

	atomic_fetch_add(&s->welcomes, 1);
	if (m->channel != s->cfg.channel) {
		cast_log(CAST_LOG_WARN, "student",
			 "teacher sent media for channel %u, not %d: ignored",
			 m->channel, s->cfg.channel);
		return;
	}
	cast_receiver_set_teacher_key(s->r, m->teacher_pk);
	if (s->voice)
		cast_voice_receiver_set_teacher_key(s->voice, m->teacher_pk);
	err = cast_receiver_set_key(s->r, &m->key);
	if (!err && s->voice)
		err = cast_voice_receiver_set_key(s->voice, &m->key);
	if (err)
		cast_log(CAST_LOG_ERROR, "student", "media key: %s",
			 cast_strerror(err));
}

/* What the teacher's roster shows for this student (STATS message). */
static int stats_json(char *buf, size_t size, void *arg)
{
	struct student *s = arg;
	struct cast_receiver_stats st;
	struct cast_json j;
	int n;

	cast_receiver_stats(s->r, &st);
	cast_json_begin(&j);
	cast_json_int(&j, "frames_decoded", (int64_t)st.frames_decoded);
	cast_json_int(&j, "packets_lost", (int64_t)st.rtp.lost);
	cast_json_int(&j, "packets_recovered", (int64_t)st.packets_recovered);
	cast_json_int(&j, "nacks_sent", (int64_t)st.nacks_sent);
	cast_json_num(&j, "jitter_ms", st.jitter_ms);
	cast_json_num(&j, "latency_p50_ms",
		      (double)cast_hist_quantile(&st.latency_us, 0.5) / 1000);
	cast_json_bool(&j, "multicast_ok", !st.unicast_wanted);
	cast_json_int(&j, "auth_failures", (int64_t)st.auth_failures);
	cast_json_bool(&j, "locked", cast_seat_locked(s->seat));
	cast_json_bool(&j, "broadcast_on", cast_seat_broadcast_on(s->seat));
	/* The teacher finds this student's RTCP feedback by it. */
	cast_json_int(&j, "rtcp_ssrc", st.rtcp_ssrc);
	cast_json_end(&j);
	if (j.overflow || j.len >= size) {
		cast_json_free(&j);
		return 0;
	}
	/* Without the line end the JSON writer adds. */
	memcpy(buf, j.buf, j.len - 1);
	n = (int)j.len - 1;
	cast_json_free(&j);
	return n;
}

/* How the teacher knows this student: its --id, else the seat id the
 * library derives from the lab interface's MAC (the same on every boot of
 * this seat, different on each clone). The file node id comes from it too. */
static const char *effective_id(struct student *s)
{
	if (s->id && *s->id)
		return s->id;
	if (!s->seat_id[0] &&
	    cast_student_seat_id(s->cfg.iface, s->seat_id,
				 sizeof(s->seat_id)) < 0)
		s->seat_id[0] = '\0';
	return s->seat_id;
}

/* An offered file is in (verified) or failed: open it if asked, tell. */
static void on_file(const char *final_path, const struct cast_file_offer *o,
		    int status, void *arg)
{
	struct student *s = arg;
	struct cast_event *e;

	if (!status && o->open_after)
		cast_seat_open(s->seat, final_path);
	e = malloc(sizeof(*e));
	if (!e)
		return;
	cast_event_init(e, CAST_EV_FILE);
	e->u.file.transfer_id = o->transfer_id;
	e->u.file.status = status;
	snprintf(e->u.file.path, sizeof(e->u.file.path), "%s", o->rel_path);
	if (s->ctl)
		cast_student_send_event(s->ctl, e);
	free(e);
}

/* How long one homework chunk may wait for room on a live connection, and
 * how often a wait looks at `quit` (a signal cannot wake a condition). */
#define HW_CHUNK_WAIT_S 120
#define HW_WAIT_SLICE_MS 1000
/* Submissions restarted after the connection dropped under them. */
#define HW_ATTEMPTS 3

/* Hands one homework chunk to the control connection: waits while its
 * queue is full (back-pressure); -ECONNRESET once the connection the
 * submission began on is gone. */
static int hw_send(const char *name, const void *args, size_t len, void *arg)
{
	struct student *s = arg;
	struct cast_event e;

	(void)name; /* CAST_HW_EVENT: the event's type says it */
	cast_event_init(&e, CAST_EV_HOMEWORK);
	e.u.homework.chunk = args;
	e.u.homework.len = len;
	for (int waited = 0;; waited++) {
		int err = cast_student_send_event_wait(s->ctl, s->hw_session,
						       &e, HW_WAIT_SLICE_MS);

		if (err != CAST_ERROR(ETIMEDOUT))
			return err;
		if (quit)
			return CAST_ERROR(ECANCELED);
		if (waited * HW_WAIT_SLICE_MS >= HW_CHUNK_WAIT_S * 1000)
			return err;
	}
}

/* Waits for the teacher (again); `quit` is looked at between slices. */
static int hw_session(struct student *s)
{
	for (int waited = 0;; waited++) {
		int err = cast_student_ctl_session_wait(s->ctl, HW_WAIT_SLICE_MS,
							&s->hw_session);

		if (err != CAST_ERROR(ETIMEDOUT))
			return err;
		if (quit)
			return CAST_ERROR(ECANCELED);
		if (waited * HW_WAIT_SLICE_MS >= HW_CHUNK_WAIT_S * 1000)
			return err;
	}
}

/*
 * One submission. The chunks of a submission belong to one connection: if
 * it drops, the teacher has removed the unfinished file and shows the
 * submission as interrupted, so it is sent again from the start on the
 * next connection (files already stored are replaced by the same bytes).
 */
static void *hw_run(void *arg)
{
	struct student *s = arg;
	int n = 0;

	for (int attempt = 1; attempt <= HW_ATTEMPTS; attempt++) {
		n = hw_session(s);
		if (n)
			break;
		n = s->hw_root[0]
			    ? cast_homework_send_in(s->hw_root, s->hw_folder,
						    effective_id(s),
						    s->hw_collection, hw_send, s,
						    NULL)
			    : cast_homework_send(s->hw_folder, effective_id(s),
						 s->hw_collection, hw_send, s,
						 NULL);
		/* Sent only once the last chunk left for the teacher. */
		if (n != CAST_ERROR(ECONNRESET) && !quit) {
			int err = cast_student_ctl_drain(
				s->ctl, s->hw_session, HW_CHUNK_WAIT_S * 1000);

			if (err == CAST_ERROR(ECONNRESET))
				n = err;
		}
		if (n != CAST_ERROR(ECONNRESET) || quit)
			break;
		cast_log(CAST_LOG_WARN, "student",
			 "homework %s: the connection dropped while sending%s",
			 s->hw_folder,
			 attempt < HW_ATTEMPTS ? "; starting again" : "");
	}
	if (n < 0)
		cast_log(CAST_LOG_WARN, "student", "homework %s: %s",
			 s->hw_folder, cast_strerror(n));
	else
		cast_log(CAST_LOG_INFO, "student", "homework: %d files sent",
			 n);
	atomic_store(&s->hw_busy, false);
	return NULL;
}

/* Sends `folder` (absolute when root is NULL, else relative to root) as
 * collection `id` (0: on the student's own). */
static int hw_start(struct student *s, const char *root, const char *folder,
		    uint32_t id)
{
	bool idle = false;

	if (!s->ctl)
		return CAST_ERROR(ENOTCONN);
	if (!atomic_compare_exchange_strong(&s->hw_busy, &idle, true))
		return CAST_ERROR(EBUSY);
	if (s->hw_started)
		pthread_join(s->hw_thread, NULL);
	snprintf(s->hw_root, sizeof(s->hw_root), "%s", root ? root : "");
	snprintf(s->hw_folder, sizeof(s->hw_folder), "%s", folder);
	s->hw_collection = id;
	if (pthread_create(&s->hw_thread, NULL, hw_run, s)) {
		atomic_store(&s->hw_busy, false);
		s->hw_started = false;
		return CAST_ERROR(EAGAIN);
	}
	s->hw_started = true;
	return 0;
}

/* The display remote control works on: the source's, else $DISPLAY. */
static const char *remote_display(const struct student *s)
{
	if (s->source && !strncmp(s->source, "x11:", 4))
		return s->source + 4;
	return NULL;
}

/* The teacher takes or lets go of this seat's keyboard and mouse. */
static int remote_set(struct student *s, bool on)
{
	int err = 0;

	if (on && s->no_remote) {
		cast_log(CAST_LOG_WARN, "student", "remote control refused: "
			 "this lab forbids it (--no-remote-control)");
		return CAST_ERROR(EPERM);
	}
	pthread_mutex_lock(&s->rc_lock);
	if (on && !s->injector)
		err = cast_injector_new(&s->injector, remote_display(s));
	if (!on)
		cast_injector_free(&s->injector);
	atomic_store(&s->remote, on && !err);
	pthread_mutex_unlock(&s->rc_lock);
	if (err)
		cast_log(CAST_LOG_ERROR, "student", "remote control: no "
			 "display to control: %s", cast_strerror(err));
	else
		cast_log(CAST_LOG_INFO, "student", "%s",
			 on ? "under remote control by the teacher"
			    : "remote control ended");
	return err;
}

/* One input event from the teacher, while it holds this seat. */
static int remote_input(struct student *s, const char *word)
{
	struct cast_input_event ev;
	char why[160];
	int err;

	err = cast_input_parse(word, &ev, why, sizeof(why));
	if (err)
		return err;
	pthread_mutex_lock(&s->rc_lock);
	if (!atomic_load(&s->remote) || !s->injector)
		err = CAST_ERROR(EPERM);
	else
		err = cast_injector_send(s->injector, &ev);
	if (err)
		s->inputs_refused++;
	else
		s->inputs++;
	pthread_mutex_unlock(&s->rc_lock);
	return err;
}

/* A picture of the teacher's broadcast: shown unless a demo is. */
static void teacher_frame(const struct cast_frame *f, void *arg)
{
	struct student *s = arg;
	int64_t at = atomic_exchange(&s->resume_at, 0);

	if (at)
		atomic_store(&s->resume_ms, (cast_mono_us() - at) / 1000);

	if (cast_watch_teacher(s->watch) && s->teacher_cb)
		s->teacher_cb(f, s->teacher_arg);
}

/* An authenticated COMMAND from the teacher, decoded and checked. */
static int on_command(const struct cast_command *cmd, uint32_t cmd_id,
		      void *arg)
{
	struct student *s = arg;
	const char *home = getenv("HOME");
	int n;

	switch (cmd->type) {
	case CAST_CMD_ASSETS: {
		struct cast_assets a;
		struct cast_event *e = malloc(sizeof(*e));

		if (!e)
			return CAST_ERROR(ENOMEM);
		cast_event_init(e, CAST_EV_ASSETS);
		cast_assets_collect(&a, s->common.headless ? "headless"
							   : s->geometry);
		n = cast_assets_json(&a, e->u.assets.json,
				     sizeof(e->u.assets.json));
		if (n >= 0)
			n = cast_student_send_event(s->ctl, e);
		free(e);
		return n;
	}
	case CAST_CMD_VOICE:
		if (!s->voice)
			return CAST_ERROR(ENOSYS);
		cast_voice_receiver_enable(s->voice, cmd->u.voice.on);
		return 0;
	case CAST_CMD_SCREEN_SEND: {
		struct cast_student_ctl_stats cs;

		cast_student_ctl_stats(s->ctl, &cs);
		return cast_share_apply(s->share, &cmd->u.screen_send,
					cs.teacher_ip);
	}
	case CAST_CMD_SCREEN_SHOW:
		return cast_watch_apply(s->watch, &cmd->u.screen_show);
	case CAST_CMD_BROADCAST:
		/* Started again: time its first picture (stats). */
		if (cmd->u.broadcast.on && !cast_seat_broadcast_on(s->seat))
			atomic_store(&s->resume_at, cast_mono_us());
		n = cast_seat_apply(s->seat, cmd, cmd_id);
		return n;
	case CAST_CMD_REMOTE:
		return remote_set(s, cmd->u.remote.on);
	case CAST_CMD_REMOTE_INPUT:
		return remote_input(s, cmd->u.input.word);
	case CAST_CMD_FILE_OFFER:
		/* Only offered files' NORM bytes are accepted. */
		return s->files ? cast_file_receiver_expect(s->files,
							    &cmd->u.file_offer)
				: CAST_ERROR(ENOSYS);
	case CAST_CMD_COLLECT:
		/* No link inside the root is followed, the folder itself
		 * included. */
		return hw_start(s,
				s->collect_root ? s->collect_root
				: home		? home
						: "/nonexistent",
				cmd->u.collect.folder, cmd->u.collect.collection);
	default:
		n = cast_seat_apply(s->seat, cmd, cmd_id);
		return n == CAST_SEAT_LATER ? CAST_COMMAND_LATER : n;
	}
}

/* A program the seat ran (web opener, power) answered. */
static void on_outcome(uint32_t cmd_id, int status, void *arg)
{
	struct student *s = arg;

	if (cmd_id && s->ctl)
		cast_student_ctl_reply(s->ctl, cmd_id, status);
}

/* Joins argv[from..] with spaces: a text typed without quotes. */
static char *join_args(int argc, char **argv, int from)
{
	size_t n = 0, off = 0;
	char *out;

	for (int i = from; i < argc; i++)
		n += strlen(argv[i]) + 1;
	out = malloc(n ? n : 1);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (int i = from; i < argc; i++) {
		size_t l = strlen(argv[i]);

		if (off)
			out[off++] = ' ';
		memcpy(out + off, argv[i], l + 1);
		off += l;
	}
	return out;
}

/* The student's own actions, from its local socket. */
static char *on_local(int argc, char **argv, uint64_t req, void *arg)
{
	struct student *s = arg;
	struct cast_json j;
	int err = 0;

	(void)req; /* always answered at once */
	if (argc == 2 && !strcmp(argv[0], "hand") &&
	    (!strcmp(argv[1], "up") || !strcmp(argv[1], "down"))) {
		struct cast_event e;

		cast_event_init(&e, CAST_EV_HAND);
		e.u.hand.up = !strcmp(argv[1], "up");
		cast_seat_set_hand(s->seat, e.u.hand.up);
		err = s->ctl ? cast_student_send_event(s->ctl, &e)
			     : CAST_ERROR(ENOTCONN);
	} else if (argc >= 2 && !strcmp(argv[0], "message") && argv[1][0]) {
		char *text = join_args(argc, argv, 1);
		struct cast_event *e = malloc(sizeof(*e));

		/* The teacher keeps a message up to CAST_NOTICE_MAX, never
		 * cut: a longer one is refused here (-EMSGSIZE). */
		if (!text || !e) {
			err = CAST_ERROR(ENOMEM);
		} else if (strlen(text) >= sizeof(e->u.message.text)) {
			err = CAST_ERROR(EMSGSIZE);
		} else {
			cast_event_init(e, CAST_EV_MESSAGE);
			memcpy(e->u.message.text, text, strlen(text) + 1);
			err = s->ctl ? cast_student_send_event(s->ctl, e)
				     : CAST_ERROR(ENOTCONN);
		}
		free(e);
		free(text);
	} else if (argc == 2 && !strcmp(argv[0], "submit") &&
		   argv[1][0] == '/') {
		err = hw_start(s, NULL, argv[1], 0);
	} else if (argc == 1 && !strcmp(argv[0], "state")) {
		cast_json_begin(&j);
		cast_json_bool(&j, "connected",
			       s->ctl && cast_student_ctl_connected(s->ctl));
		cast_seat_json(s->seat, &j);
		cast_json_end(&j);
		return cast_json_take(&j);
	} else {
		return NULL;
	}
	cast_json_begin(&j);
	cast_json_bool(&j, "ok", !err);
	if (err)
		cast_json_str(&j, "error", cast_strerror(err));
	cast_json_end(&j);
	return cast_json_take(&j);
}

static void default_paths(struct student *s, char *state_dir, size_t sd_size,
			  char *sock, size_t sock_size)
{
	const char *home = getenv("HOME"), *run = getenv("XDG_RUNTIME_DIR");
	char dir[768];

	if (!s->state_dir) {
		snprintf(dir, sizeof(dir), "%s/.local", home ? home : "/tmp");
		mkdir(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/.local/state", home ? home : "/tmp");
		mkdir(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/.local/state/libcast",
			 home ? home : "/tmp");
		mkdir(dir, 0700);
		snprintf(state_dir, sd_size, "%s/ch%d", dir, s->cfg.channel);
		s->state_dir = state_dir;
	}
	mkdir(s->state_dir, 0700);
	if (!s->local_socket) {
		if (run && *run)
			snprintf(sock, sock_size, "%s/libcast-student-%d.sock",
				 run, s->cfg.channel);
		else
			snprintf(sock, sock_size,
				 "/tmp/libcast-student-%u-%d.sock",
				 (unsigned)getuid(), s->cfg.channel);
		s->local_socket = sock;
	}
}

static int cmd_ctl(int argc, char **argv)
{
	const char *args[CAST_CTL_ARGC_MAX];
	char path[512] = "", *reply = NULL;
	long channel = 1;
	int n, nargs = 0, ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--channel") && i + 1 < argc) {
			if (cast_parse_int(argv[++i], CAST_CHANNEL_MIN,
					   CAST_CHANNEL_MAX, &channel))
				return 2;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			snprintf(path, sizeof(path), "%s", argv[++i]);
		} else if (nargs < CAST_CTL_ARGC_MAX) {
			args[nargs++] = argv[i];
		} else {
			fprintf(stderr, "cast-student ctl: too many arguments\n");
			return 2;
		}
	}
	if (!nargs) {
		fprintf(stderr, "usage: cast-student ctl [--channel N] [--socket "
				"PATH] hand up|down | message TEXT | submit "
				"/FOLDER | state\n");
		return 2;
	}
	if (!path[0]) {
		const char *run = getenv("XDG_RUNTIME_DIR");

		if (run && *run)
			snprintf(path, sizeof(path), "%s/libcast-student-%ld.sock",
				 run, channel);
		else
			snprintf(path, sizeof(path),
				 "/tmp/libcast-student-%u-%ld.sock",
				 (unsigned)getuid(), channel);
	}
	n = cast_ctl_request(path, nargs, args, &reply);
	if (n < 0) {
		fprintf(stderr, "cast-student ctl: %s: %s\n", path,
			cast_strerror(n));
		return 1;
	}
	fputs(reply, stdout);
	ret = strstr(reply, "\"ok\":false") ? 1 : 0;
	free(reply);
	return ret;
}

/*
 * The class key and the teachers this student obeys: --key FILE (the
 * students' file from cast-teacher keygen), or --key-code CODE with
 * --teacher-code FP[,FP…]. Never a teacher's own file: a student PC must
 * not hold what makes a teacher.
 */
static int load_key(const struct student *s, struct cast_key *key)
{
	int err;

	if (s->common.key_code) {
		char list[512], *save = NULL, *fp;

		err = cast_key_from_code(key, s->common.key_code);
		if (err) {
			fprintf(stderr, "cast-student: --key-code: not a class "
					"key code\n");
			return err;
		}
		snprintf(list, sizeof(list), "%s",
			 s->teacher_codes ? s->teacher_codes : "");
		for (fp = strtok_r(list, ",", &save); fp;
		     fp = strtok_r(NULL, ",", &save)) {
			err = cast_key_trust(key, fp);
			if (err && err != CAST_ERROR(EEXIST)) {
				fprintf(stderr, "cast-student: --teacher-code: "
						"'%s' is not a teacher "
						"fingerprint\n", fp);
				return err;
			}
		}
	} else if (s->common.key_path) {
		err = cast_key_load(key, s->common.key_path);
		if (err) {
			fprintf(stderr, "cast-student: --key %s: %s\n",
				s->common.key_path, cast_strerror(err));
			return err;
		}
	} else {
		fprintf(stderr, "cast-student: needs the class key (--key FILE "
				"or --key-code CODE), or --insecure\n");
		return CAST_ERROR(EINVAL);
	}
	if (key->can_sign) {
		fprintf(stderr, "cast-student: this is a teacher's own key file "
				"(it holds a signing key): a student PC takes "
				"the students' file, made beside it by "
				"cast-teacher keygen\n");
		cast_key_wipe(key);
		return CAST_ERROR(EPERM);
	}
	if (!key->n_teachers) {
		fprintf(stderr, "cast-student: the class key names no teacher to "
				"obey (--teacher-code FP, or a key file made by "
				"cast-teacher keygen)\n");
		return CAST_ERROR(EINVAL);
	}
	return 0;
}

/*
 * --check-av: when each white flash is shown (a picture whose mean luma
 * crosses half) and each click is played (the first loud sample after a
 * quiet frame), on this machine's wall clock; the stats pair each flash
 * with the nearest click.
 */
#define AV_EVENTS 512
static struct {
	pthread_mutex_t lock;
	int64_t flash[AV_EVENTS], click[AV_EVENTS];
	int n_flash, n_click;
	bool bright, loud;
	struct picture *pic;	/* the view's, when there is one */
} avc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void av_frame(const struct cast_frame *f, void *arg)
{
	int64_t now = cast_now_us();
	uint64_t sum = 0, n = 0;
	bool bright;

	(void)arg;
	for (int y = 0; y < f->height; y += 8)
		for (int x = 0; x < f->width; x += 8, n++)
			sum += f->data[0][(size_t)y * (size_t)f->stride[0] +
					  (size_t)x];
	bright = n && sum / n > 128;
	pthread_mutex_lock(&avc.lock);
	if (bright && !avc.bright && avc.n_flash < AV_EVENTS)
		avc.flash[avc.n_flash++] = now;
	avc.bright = bright;
	pthread_mutex_unlock(&avc.lock);
	if (avc.pic)
		on_frame(f, avc.pic);
}

static void av_play(const int16_t *pcm, int64_t play_us, void *arg)
{
	int first = -1;

	(void)arg;
	for (int i = 0; i < CAST_AUDIO_FRAME && first < 0; i++)
		if (pcm[i] > 6000 || pcm[i] < -6000)
			first = i;
	pthread_mutex_lock(&avc.lock);
	if (first >= 0 && !avc.loud && avc.n_click < AV_EVENTS)
		avc.click[avc.n_click++] =
			play_us + (int64_t)first * 1000000 / CAST_AUDIO_RATE;
	avc.loud = first >= 0;
	pthread_mutex_unlock(&avc.lock);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Click − flash (ms) of every flash with a click within 500 ms. */
static void write_av_check(struct cast_json *j)
{
	int64_t off[AV_EVENTS];
	int n = 0, half;

	pthread_mutex_lock(&avc.lock);
	for (int i = 0; i < avc.n_flash; i++) {
		int64_t best = INT64_MAX;

		for (int k = 0; k < avc.n_click; k++) {
			int64_t d = avc.click[k] - avc.flash[i];

			if (llabs(d) < llabs(best))
				best = d;
		}
		if (llabs(best) <= 500000)
			off[n++] = best;
	}
	cast_json_obj(j, "av_check");
	cast_json_int(j, "flashes", avc.n_flash);
	cast_json_int(j, "clicks", avc.n_click);
	pthread_mutex_unlock(&avc.lock);
	cast_json_int(j, "pairs", n);
	cast_json_array(j, "offsets_ms");
	for (int i = 0; i < n; i++)
		cast_json_num(j, NULL, (double)off[i] / 1000);
	cast_json_array_end(j);
	/* The second half: after lip sync had time to settle. */
	half = n / 2;
	if (n - half > 0) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;

		for (int i = half; i < n; i++) {
			lo = off[i] < lo ? off[i] : lo;
			hi = off[i] > hi ? off[i] : hi;
		}
		cast_json_num(j, "first_ms", (double)off[0] / 1000);
		cast_json_num(j, "settled_min_ms", (double)lo / 1000);
		cast_json_num(j, "settled_max_ms", (double)hi / 1000);
		qsort(off + half, (size_t)(n - half), sizeof(off[0]), cmp_i64);
		cast_json_num(j, "settled_p50_ms",
			      (double)off[half + (n - half) / 2] / 1000);
	}
	cast_json_end(j);
}

/* A decoded picture (receiver thread): held until its sound plays. */
static void hold_frame(const struct cast_frame *f, void *arg)
{
	struct student *s = arg;

	cast_picture_delay_push(s->pdelay, f,
				cast_mono_us() +
					cast_voice_receiver_picture_hold(s->voice));
}

/* The voice's part of a stats line. */
static void write_voice(struct cast_json *j, struct cast_voice_receiver *v)
{
	struct cast_voice_receiver_stats vs;

	cast_voice_receiver_stats(v, &vs);
	cast_json_bool(j, "voice_on", vs.enabled);
	cast_json_int(j, "audio_packets", (int64_t)vs.packets);
	cast_json_int(j, "audio_frames_played", (int64_t)vs.frames_played);
	cast_json_int(j, "audio_concealed", (int64_t)vs.frames_concealed);
	cast_json_int(j, "audio_fec", (int64_t)vs.frames_fec);
	cast_json_int(j, "audio_repairs_recovered",
		      (int64_t)vs.repairs_recovered);
	cast_json_int(j, "audio_late", (int64_t)vs.jitter.late);
	cast_json_int(j, "audio_underruns", (int64_t)vs.jitter.underruns);
	cast_json_int(j, "audio_output_overruns", (int64_t)vs.output_overruns);
	cast_json_int(j, "audio_auth_failures", (int64_t)vs.auth_failures);
	cast_json_int(j, "audio_malformed", (int64_t)vs.malformed);
	/* Source authentication: audio dropped as not the teacher's, auth
	 * packets verified and refused, the wait for a signature. */
	cast_json_int(j, "audio_unauthenticated", (int64_t)vs.unauthenticated);
	cast_json_int(j, "audio_auth_sigs_ok", (int64_t)vs.sigs_ok);
	cast_json_int(j, "audio_auth_sigs_bad", (int64_t)vs.sigs_bad);
	cast_json_num(j, "audio_verify_ms", (double)vs.verify_us / 1000.0);
	cast_json_int(j, "audio_max_concealed_ms", vs.max_concealed_ms);
	cast_json_int(j, "audio_buffer_ms", vs.jitter.target_ms);
	cast_json_num(j, "audio_jitter_ms", vs.jitter.jitter_ms);
	cast_json_hist_ms(j, "audio_latency_ms", &vs.latency_us);
	cast_json_hist_ms(j, "audio_decode_ms", &vs.decode_us);
	cast_json_num(j, "av_offset_ms", vs.av_offset_ms);
	cast_json_int(j, "av_extra_delay_ms", vs.extra_delay_ms);
	cast_json_int(j, "av_picture_hold_ms", vs.picture_hold_ms);
}

static void write_stats(FILE *f, struct student *stu, struct cast_receiver *r,
			struct cast_voice_receiver *voice,
			struct cast_student_ctl *ctl, struct cast_seat *seat,
			struct cast_file_receiver *files, struct cast_meter *m,
			double elapsed, bool final)
{
	struct cast_receiver_stats st;
	struct cast_rates rt;
	struct cast_json j;

	cast_receiver_stats(r, &st);
	cast_meter_sample(m, st.frames_decoded, st.rtp.bytes, &rt);
	cast_json_begin(&j);
	cast_json_str(&j, "role", "student");
	cast_json_num(&j, "t", elapsed);
	cast_json_int(&j, "frames_received", (int64_t)st.rtp.aus);
	cast_json_int(&j, "frames_decoded", (int64_t)st.frames_decoded);
	cast_json_int(&j, "frames_dropped",
		      (int64_t)(st.frames_dropped + st.rtp.aus_dropped));
	cast_json_int(&j, "frames_damaged", (int64_t)st.rtp.aus_damaged);
	cast_json_num(&j, "fps", rt.fps);
	cast_json_bool(&j, "broadcast_on", cast_seat_broadcast_on(stu->seat));
	/* The broadcast started again: told → first picture (ms, -1 none). */
	cast_json_int(&j, "broadcast_resume_ms",
		      (int64_t)atomic_load(&stu->resume_ms));
	{
		/* What this seat shows, and what it sends when asked. */
		struct cast_receiver_stats ds;
		struct cast_share_stats sh;
		char showing[96];

		cast_watch_showing(stu->watch, showing, sizeof(showing));
		cast_json_str(&j, "showing", showing);
		if (strcmp(showing, "teacher") &&
		    cast_watch_demo_stats(stu->watch, &ds)) {
			cast_json_int(&j, "width", ds.width);
			cast_json_int(&j, "height", ds.height);
			bool film, sound;

			film = cast_watch_film(stu->watch, &sound);
			cast_json_obj(&j, "demo_shown");
			/* The teacher's film (ctl cinema play --to) or a
			 * student's demo, and whether its sound plays. */
			cast_json_str(&j, "kind", film ? "film" : "demo");
			cast_json_str(&j, "from", strchr(showing, ':') + 1);
			cast_json_bool(&j, "sound", sound);
			cast_json_int(&j, "frames_decoded",
				      (int64_t)ds.frames_decoded);
			cast_json_int(&j, "last_stamp", ds.last_stamp);
			cast_json_int(&j, "stamp_ok", (int64_t)ds.stamp_ok);
			cast_json_int(&j, "stamp_bad", (int64_t)ds.stamp_bad);
			cast_json_int(&j, "stamp_disorder",
				      (int64_t)ds.stamp_disorder);
			cast_json_int(&j, "packets_received",
				      (int64_t)ds.rtp.packets);
			cast_json_int(&j, "packets_lost", (int64_t)ds.rtp.lost);
			cast_json_int(&j, "packets_recovered",
				      (int64_t)ds.packets_recovered);
			cast_json_int(&j, "nacks_sent", (int64_t)ds.nacks_sent);
			cast_json_num(&j, "max_gap_ms", ds.max_gap_us / 1e3);
			cast_json_end(&j);
		} else {
			cast_json_int(&j, "width", st.width);
			cast_json_int(&j, "height", st.height);
		}
		cast_share_stats(stu->share, &sh);
		cast_json_int(&j, "demo_frames_sent",
			      (int64_t)sh.demo_frames_sent);
		cast_json_int(&j, "wall_frames_sent",
			      (int64_t)sh.wall_frames_sent);
		cast_json_bool(&j, "sending_demo", sh.demo);
		cast_json_bool(&j, "sending_wall", sh.wall);
		cast_json_bool(&j, "input_locked",
			       cast_watch_locked(stu->watch));
		{
			double ms;
			uint64_t n;

			cast_watch_switches(stu->watch, &ms, &n);
			cast_json_num(&j, "switch_ms", ms);
			cast_json_int(&j, "switches", (int64_t)n);
		}
		pthread_mutex_lock(&stu->rc_lock);
		cast_json_bool(&j, "remote_control", atomic_load(&stu->remote));
		cast_json_int(&j, "remote_inputs", (int64_t)stu->inputs);
		cast_json_int(&j, "remote_inputs_refused",
			      (int64_t)stu->inputs_refused);
		pthread_mutex_unlock(&stu->rc_lock);
	}
	cast_json_int(&j, "size_changes", (int64_t)st.size_changes);
	cast_json_num(&j, "bitrate_kbps", rt.bitrate_kbps);
	cast_json_int(&j, "packets_received", (int64_t)st.rtp.packets);
	cast_json_int(&j, "packets_lost", (int64_t)st.rtp.lost);
	cast_json_int(&j, "packets_recovered", (int64_t)st.packets_recovered);
	cast_json_int(&j, "nacks_sent", (int64_t)st.nacks_sent);
	cast_json_int(&j, "repairs_received", (int64_t)st.repairs_received);
	cast_json_int(&j, "repairs_recovered", (int64_t)st.repairs_recovered);
	cast_json_int(&j, "repairs_declined", (int64_t)st.repairs_declined);
	cast_json_num(&j, "repair_rtt_ms", st.repair_rtt_ms);
	cast_json_num(&j, "repair_wait_ms", st.repair_wait_ms);
	cast_json_int(&j, "plis_sent", (int64_t)st.plis_sent);
	cast_json_int(&j, "stale_skips", (int64_t)st.stale_skips);
	cast_json_int(&j, "feedback_sent", (int64_t)st.feedback_sent);
	cast_json_int(&j, "multicast_packets", (int64_t)st.multicast_packets);
	cast_json_int(&j, "unicast_packets", (int64_t)st.unicast_packets);
	cast_json_bool(&j, "unicast_wanted", st.unicast_wanted);
	cast_json_num(&j, "jitter_ms", st.jitter_ms);
	cast_json_int(&j, "auth_failures", (int64_t)st.auth_failures);
	cast_json_int(&j, "replays", (int64_t)st.replays);
	cast_json_int(&j, "no_key", (int64_t)st.no_key);
	cast_json_int(&j, "auth_packets_ok", (int64_t)st.auth_packets_ok);
	cast_json_int(&j, "auth_packets_bad", (int64_t)st.auth_packets_bad);
	cast_json_int(&j, "frames_unauthenticated",
		      (int64_t)st.frames_unauthenticated);
	cast_json_int(&j, "auth_sigs_ok", (int64_t)st.auth_sigs_ok);
	cast_json_int(&j, "auth_sigs_bad", (int64_t)st.auth_sigs_bad);
	cast_json_hist_ms(&j, "auth_wait_ms", &st.auth_wait_us);
	cast_json_num(&j, "auth_cpu_ms", (double)st.auth_cpu_us / 1000);
	cast_json_int(&j, "packets_reordered", (int64_t)st.rtp.reordered);
	cast_json_int(&j, "packets_duplicate", (int64_t)st.rtp.duplicates);
	cast_json_int(&j, "packets_malformed", (int64_t)st.rtp.malformed);
	cast_json_int(&j, "packets_foreign", (int64_t)st.rtp.foreign);
	cast_json_int(&j, "rtcp_sr", (int64_t)st.rtcp_sr);
	cast_json_num(&j, "cpu_pct", rt.cpu_pct);
	cast_json_hist_ms(&j, "latency_ms", &st.latency_us);
	cast_json_hist_ms(&j, "decode_ms", &st.decode_us);
	cast_json_num(&j, "first_picture_ms",
		      st.first_picture_us < 0
			      ? -1.0
			      : (double)st.first_picture_us / 1000);
	cast_json_num(&j, "max_gap_ms", (double)st.max_gap_us / 1000);
	if (voice)
		write_voice(&j, voice);
	if (avc.n_flash || avc.n_click)
		write_av_check(&j);
	if (st.stamp_ok + st.stamp_bad + st.stamp_disorder) {
		cast_json_obj(&j, "stamp");
		cast_json_int(&j, "ok", (int64_t)st.stamp_ok);
		cast_json_int(&j, "bad", (int64_t)st.stamp_bad);
		cast_json_int(&j, "disorder", (int64_t)st.stamp_disorder);
		cast_json_int(&j, "skipped", (int64_t)st.stamp_skipped);
		cast_json_int(&j, "last", st.last_stamp);
		cast_json_end(&j);
	}
	if (seat)
		cast_seat_json(seat, &j);
	if (files) {
		struct cast_file_receiver_stats fs;

		cast_file_receiver_get_stats(files, &fs);
		cast_json_obj(&j, "files");
		cast_json_int(&j, "completed", (int64_t)fs.files_completed);
		cast_json_int(&j, "failed", (int64_t)fs.files_failed);
		cast_json_int(&j, "rejected", (int64_t)fs.objects_rejected);
		cast_json_int(&j, "bytes", (int64_t)fs.bytes_completed);
		cast_json_end(&j);
	}
	if (ctl) {
		struct cast_student_ctl_stats cs;

		cast_student_ctl_stats(ctl, &cs);
		cast_json_obj(&j, "control");
		cast_json_bool(&j, "connected", cast_student_ctl_connected(ctl));
		cast_json_int(&j, "connects", (int64_t)cs.connects);
		cast_json_int(&j, "disconnects", (int64_t)cs.disconnects);
		cast_json_int(&j, "beacons_ok", (int64_t)cs.beacons_ok);
		cast_json_int(&j, "beacons_rejected",
			      (int64_t)cs.beacons_rejected);
		cast_json_int(&j, "beacons_untrusted",
			      (int64_t)cs.beacons_untrusted);
		cast_json_int(&j, "untrusted_teachers",
			      (int64_t)cs.untrusted_teachers);
		cast_json_int(&j, "auth_failures", (int64_t)cs.auth_failures);
		cast_json_int(&j, "commands", (int64_t)cs.commands);
		cast_json_end(&j);
	}
	if (final)
		cast_json_bool(&j, "final", true);
	cast_json_end(&j);
	cast_json_write(&j, f);
	cast_json_free(&j);
}

/* The view: SDL2 window, aspect-fit I420 texture, redrawn on new pictures. */
struct view {
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	int tex_w, tex_h;
	struct overlay *ov;	/* watermark, marquee, messages, lock, hand */
	struct indicator *ind;	/* "under remote control", made when needed */
	bool ind_failed;	/* no font for it: not tried again */
	/* "No broadcast", over the desktop while the broadcast is stopped. */
	struct indicator *idle;
	bool idle_failed;
	bool fullscreen;	/* not --windowed */
	bool stopped;		/* the teacher's broadcast is stopped */
	bool grabbed;
	bool hidden;		/* stepped aside: remote control, stopped */
	/* What of the class state the overlay already shows. */
	uint64_t seen_version, seen_messages;
	int64_t seen_marquee_until;
	char seen_language[16];
};

/*
 * Is the only OpenGL here a software rasterizer (Mesa llvmpipe/softpipe, as
 * on a PC without a GPU driver or a virtual display)? Then SDL's OpenGL
 * renderer runs its YUV->RGB shader on the CPU, which costs about three
 * times what SDL's software renderer does (measured 0.52 vs 0.16 cores at
 * 1080p30 under Xvfb). Asked once, of a hidden 1x1 window.
 */
static bool gl_is_software(void)
{
	typedef const unsigned char *(*get_string_fn)(unsigned int);
	SDL_Window *w;
	SDL_GLContext ctx;
	get_string_fn get_string;
	const char *name = NULL;
	bool soft = false;

	w = SDL_CreateWindow("", 0, 0, 1, 1,
			     SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
	if (!w)
		return false;
	ctx = SDL_GL_CreateContext(w);
	if (ctx) {
		get_string = (get_string_fn)SDL_GL_GetProcAddress(
			"glGetString");
		if (get_string)
			name = (const char *)get_string(0x1F01); /* RENDERER */
		if (name)
			soft = strstr(name, "llvmpipe") ||
			       strstr(name, "softpipe") ||
			       strstr(name, "Software Rasterizer") ||
			       strstr(name, "swrast");
		SDL_GL_DeleteContext(ctx);
	}
	SDL_DestroyWindow(w);
	return soft;
}

static int view_open(struct view *v, const char *geometry)
{
	int w = 1280, h = 720, x = SDL_WINDOWPOS_UNDEFINED,
	    y = SDL_WINDOWPOS_UNDEFINED;
	Uint32 flags = SDL_WINDOW_SHOWN;

	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr, "cast-student: no display: %s\n",
			SDL_GetError());
		return -1;
	}
	/* Without a GPU, draw with the CPU directly (unless the user chose a
	 * renderer with SDL_RENDER_DRIVER). */
	if (!getenv("SDL_RENDER_DRIVER") && gl_is_software()) {
		SDL_SetHint(SDL_HINT_RENDER_DRIVER, "software");
		SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
		fprintf(stderr, "cast-student: no GPU OpenGL: drawing with the "
				"CPU (software renderer)\n");
	}
	if (geometry) {
		if (sscanf(geometry, "%dx%d+%d+%d", &w, &h, &x, &y) < 2) {
			fprintf(stderr, "cast-student: --windowed: bad %s\n",
				geometry);
			return -1;
		}
	} else {
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
		v->fullscreen = true;
	}
	v->win = SDL_CreateWindow("libcast student", x, y, w, h, flags);
	if (!v->win) {
		fprintf(stderr, "cast-student: window: %s\n", SDL_GetError());
		return -1;
	}
	v->ren = SDL_CreateRenderer(v->win, -1, 0);
	if (!v->ren) {
		fprintf(stderr, "cast-student: renderer: %s\n",
			SDL_GetError());
		return -1;
	}
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	if (overlay_new(&v->ov, v->ren))
		fprintf(stderr, "cast-student: overlays unavailable (no font); "
				"watermark and notices will not show\n");
	SDL_SetRenderDrawColor(v->ren, 0, 0, 0, 255);
	SDL_RenderClear(v->ren);
	SDL_RenderPresent(v->ren);
	/* The broadcast comes to the front when it opens (a desktop without
	 * a window manager would leave the focus where it was). */
	if (!geometry) {
		SDL_RaiseWindow(v->win);
		SDL_SetWindowInputFocus(v->win);
	}
	return 0;
}

/* This machine's first non-loopback IPv4 address, for the watermark. */
static void local_ip(char *buf, size_t size)
{
	struct ifaddrs *ifa = NULL, *i;

	snprintf(buf, size, "127.0.0.1");
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;

		if (!a || a->sin_family != AF_INET ||
		    (ntohl(a->sin_addr.s_addr) >> 24) == 127)
			continue;
		inet_ntop(AF_INET, &a->sin_addr, buf, (socklen_t)size);
		break;
	}
	freeifaddrs(ifa);
}

/* Brings the overlay in line with what the teacher set (main thread). */
static void view_sync(struct view *v, struct student *s)
{
	static struct cast_seat_state c; /* the main thread's copy */
	struct overlay_watermark w;
	char ip[64];
	bool new_msg, new_marquee;
	int64_t until, now = cast_now_us();

	if (!v->ov || cast_seat_version(s->seat) == v->seen_version)
		return;
	cast_seat_state(s->seat, &c);
	v->seen_version = c.version;
	new_msg = c.messages > v->seen_messages;
	v->seen_messages = c.messages;
	new_marquee = c.marquee_until_us != v->seen_marquee_until;
	until = v->seen_marquee_until = c.marquee_until_us;

	overlay_watermark_init(&w);
	w.id = s->id;
	w.name = s->name;
	w.class_name = s->class_name;
	local_ip(ip, sizeof(ip));
	w.ip = ip;
	w.text = c.wm.text;
	w.fields = (c.wm.fields & CAST_WM_ID ? OVERLAY_WM_ID : 0) |
		   (c.wm.fields & CAST_WM_NAME ? OVERLAY_WM_NAME : 0) |
		   (c.wm.fields & CAST_WM_CLASS ? OVERLAY_WM_CLASS : 0) |
		   (c.wm.fields & CAST_WM_IP ? OVERLAY_WM_IP : 0) |
		   (c.wm.text[0] ? OVERLAY_WM_TEXT : 0);
	w.opacity = w.fields ? c.wm.opacity : 0;
	w.place = c.wm.place == CAST_WM_CORNER	 ? OVERLAY_WM_BOTTOM_RIGHT
		  : c.wm.place == CAST_WM_CENTER ? OVERLAY_WM_CENTER
						 : OVERLAY_WM_TILED;
	overlay_set_watermark(v->ov, &w);
	overlay_set_lock(v->ov, c.locked, c.lock_notice[0] ? c.lock_notice
							   : NULL);
	overlay_set_hand(v->ov, c.hand);
	if (c.language[0] && strcmp(c.language, v->seen_language)) {
		overlay_set_language(v->ov, c.language);
		snprintf(v->seen_language, sizeof(v->seen_language), "%s",
			 c.language);
	}
	if (new_msg)
		overlay_show_message(v->ov, c.msg_title[0] ? c.msg_title : NULL,
				     c.msg_text);
	if (new_marquee)
		overlay_set_marquee(v->ov, until > now ? c.marquee : NULL,
				    (double)(until - now) / 1e6);
}

/*
 * Who holds this screen beyond the overlays: a locked student, or one
 * watching a demo with its input locked, cannot reach other windows or the
 * desktop; under remote control the broadcast window steps aside so the
 * teacher works on the student's own desktop.
 */
static void view_hold(struct view *v, struct student *s)
{
	bool grab = (v->ov && overlay_locked(v->ov)) ||
		    cast_watch_locked(s->watch);
	bool stopped = !cast_seat_broadcast_on(s->seat), aside;
	char showing[96];
	bool hide;

	/*
	 * The teacher stopped its broadcast: the last picture goes (a window
	 * shows the "no broadcast" notice, and when the broadcast comes back
	 * it shows nothing stale), and a full-screen window steps aside to
	 * the desktop with the small status banner, unless the seat is
	 * locked or watches a demo, which go on holding the screen.
	 */
	if (stopped != v->stopped) {
		v->stopped = stopped;
		if (v->ov)
			overlay_set_idle(v->ov, stopped);
		if (stopped && v->tex) {
			SDL_DestroyTexture(v->tex);
			v->tex = NULL;
		}
	}
	cast_watch_showing(s->watch, showing, sizeof(showing));
	aside = stopped && v->fullscreen && !grab &&
		!strcmp(showing, "teacher");
	hide = (atomic_load(&s->remote) || aside) && !grab;

	if (grab != v->grabbed) {
		v->grabbed = grab;
		SDL_SetWindowGrab(v->win, grab ? SDL_TRUE : SDL_FALSE);
		SDL_SetWindowKeyboardGrab(v->win, grab ? SDL_TRUE : SDL_FALSE);
		SDL_SetWindowAlwaysOnTop(v->win, grab ? SDL_TRUE : SDL_FALSE);
		SDL_ShowCursor(grab ? SDL_DISABLE : SDL_ENABLE);
		if (grab)
			SDL_RaiseWindow(v->win);
	}
	if (hide != v->hidden) {
		v->hidden = hide;
		if (hide) {
			SDL_HideWindow(v->win);
		} else {
			SDL_ShowWindow(v->win);
			/* Back in front, as when it opened. */
			if (v->fullscreen) {
				SDL_RaiseWindow(v->win);
				SDL_SetWindowInputFocus(v->win);
			}
		}
	}
	if (!v->idle && !v->idle_failed && aside &&
	    indicator_new_kind(&v->idle, INDICATOR_NO_BROADCAST))
		v->idle_failed = true;
	if (v->idle && indicator_shown(v->idle) != aside)
		indicator_show(v->idle, aside);
	/* The student sees, over the desktop, that the teacher operates it. */
	if (!v->ind && !v->ind_failed && atomic_load(&s->remote) &&
	    indicator_new(&v->ind))
		v->ind_failed = true;
	if (v->ind && indicator_shown(v->ind) != atomic_load(&s->remote))
		indicator_show(v->ind, atomic_load(&s->remote));
}

/* Redraws when a new picture arrived, the overlay changed, or `force`
 * (window exposed, resized). */
static void view_draw(struct view *v, struct picture *p, bool force)
{
	int ow, oh;
	SDL_Rect dst;

	if (v->ov && overlay_needs_redraw(v->ov))
		force = true;
	pthread_mutex_lock(&p->lock);
	if (!p->fresh && !force) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	/* A picture decoded as the broadcast stopped is not shown. */
	if (p->fresh && v->stopped)
		p->fresh = false;
	if (p->fresh) {
		if (!v->tex || v->tex_w != p->width || v->tex_h != p->height) {
			if (v->tex)
				SDL_DestroyTexture(v->tex);
			v->tex = SDL_CreateTexture(v->ren, SDL_PIXELFORMAT_IYUV,
						   SDL_TEXTUREACCESS_STREAMING,
						   p->width, p->height);
			v->tex_w = p->width;
			v->tex_h = p->height;
		}
		if (v->tex)
			SDL_UpdateTexture(v->tex, NULL, p->buf, p->width);
		p->fresh = false;
	}
	pthread_mutex_unlock(&p->lock);

	SDL_GetRendererOutputSize(v->ren, &ow, &oh);
	SDL_RenderClear(v->ren);
	if (v->tex) {
		/* Aspect fit: the largest rectangle of the picture's shape. */
		if ((int64_t)ow * v->tex_h > (int64_t)oh * v->tex_w) {
			dst.h = oh;
			dst.w = (int)((int64_t)oh * v->tex_w / v->tex_h);
		} else {
			dst.w = ow;
			dst.h = (int)((int64_t)ow * v->tex_h / v->tex_w);
		}
		dst.x = (ow - dst.w) / 2;
		dst.y = (oh - dst.h) / 2;
		SDL_RenderCopy(v->ren, v->tex, NULL, &dst);
	}
	if (v->ov)
		overlay_draw(v->ov, ow, oh);
	SDL_RenderPresent(v->ren);
}

/* Saves what the window shows as a binary PPM. */
static int view_dump(struct view *v, const char *path)
{
	int w, h, ret = -1;
	uint8_t *px;
	FILE *f;

	SDL_GetRendererOutputSize(v->ren, &w, &h);
	px = malloc((size_t)w * (size_t)h * 3);
	if (!px)
		return -1;
	if (!SDL_RenderReadPixels(v->ren, NULL, SDL_PIXELFORMAT_RGB24, px,
				  w * 3)) {
		f = fopen(path, "wb");
		if (f) {
			fprintf(f, "P6\n%d %d\n255\n", w, h);
			if (fwrite(px, 3, (size_t)w * (size_t)h, f) ==
			    (size_t)w * (size_t)h)
				ret = 0;
			if (fclose(f))
				ret = -1;
		}
	}
	free(px);
	return ret;
}

/* What SDL says of the window; the teacher decides what it means. */
static void view_state(struct view *v, struct cast_view *out)
{
	Uint32 f = SDL_GetWindowFlags(v->win);
	int x, y, w, h, i = SDL_GetWindowDisplayIndex(v->win);
	SDL_Rect d;

	memset(out, 0, sizeof(*out));
	SDL_GetWindowPosition(v->win, &x, &y);
	SDL_GetWindowSize(v->win, &w, &h);
	/* Full-screen is what covers the display, whatever the flag says
	 * (a window resized or moved by someone else keeps the flag). */
	out->fullscreen = (f & SDL_WINDOW_FULLSCREEN) && i >= 0 &&
			  !SDL_GetDisplayBounds(i, &d) && x <= d.x &&
			  y <= d.y && x + w >= d.x + d.w && y + h >= d.y + d.h;
	out->visible = (f & SDL_WINDOW_SHOWN) &&
		       !(f & (SDL_WINDOW_HIDDEN | SDL_WINDOW_MINIMIZED));
	out->focused = (f & SDL_WINDOW_INPUT_FOCUS) != 0;
	out->picture = v->tex != NULL;
}

/* Tells the teacher what the window is like when that changed, and again
 * after each WELCOME (a new connection: the teacher starts fresh). */
static void view_report(struct student *s, const struct cast_view *now,
			struct cast_view *sent, unsigned *seen)
{
	unsigned w = atomic_load(&s->welcomes);

	if (!s->ctl || !cast_student_ctl_connected(s->ctl))
		return;
	if (w == *seen && now->headless == sent->headless &&
	    now->fullscreen == sent->fullscreen &&
	    now->visible == sent->visible && now->focused == sent->focused &&
	    now->picture == sent->picture)
		return;
	/* -EAGAIN (queue full): tried again on the next pass. */
	if (!cast_view_report(s->ctl, now)) {
		*sent = *now;
		*seen = w;
	}
}

static void view_close(struct view *v)
{
	indicator_free(&v->ind);
	indicator_free(&v->idle);
	overlay_free(&v->ov);
	if (v->tex)
		SDL_DestroyTexture(v->tex);
	if (v->ren)
		SDL_DestroyRenderer(v->ren);
	if (v->win)
		SDL_DestroyWindow(v->win);
	SDL_Quit();
}

int main(int argc, char **argv)
{
	struct student s;
	struct picture pic = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct view view = {0};
	struct cast_receiver *r = NULL;
	struct cast_student_ctl *ctl = NULL;
	struct cast_ctl_server *local = NULL;
	char state_dir[1024], sock_path[512], inbox[1024];
	struct cast_key key;
	uint32_t teacher_ip = 0;
	struct cast_meter meter;
	FILE *stats = NULL;
	struct cast_options_cfg oc;
	char why[1024];
	int err, ret = 0;
	int64_t start, next_stats;
	struct cast_view shown = {0}, reported = {0};
	unsigned reported_welcomes = 0;
	bool was_connected = false;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	memset(&s, 0, sizeof(s));
	atomic_init(&s.resume_ms, -1);
	pthread_mutex_init(&s.rc_lock, NULL);
	cast_receiver_cfg_init(&s.cfg);
	s.ccfg.open_cmd = "xdg-open";
	/* NULL: the platform's own (systemctl poweroff / reboot). */
	s.ccfg.poweroff_cmd = NULL;
	s.ccfg.reboot_cmd = NULL;
	s.ccfg.url_schemes = "http,https";
	cast_options_cfg_init(&oc);
	oc.own = options;
	oc.cb = set_option;
	oc.arg = &s;
	if (cast_options_new(&opts, &oc)) {
		fprintf(stderr, "cast-student: out of memory\n");
		return 1;
	}
	atexit(free_options);
	err = cast_options_parse(opts, argc, argv, why, sizeof(why));
	if (err) {
		fprintf(stderr, "cast-student: %s\n", why);
		if (err == CAST_EUSAGE)
			usage(stderr);
		return 2;
	}
	s.common = *cast_options_common(opts);
	if (s.common.help || s.common.version) {
		if (s.common.help)
			usage(stdout);
		else
			printf("cast-student %s\n", cast_version());
		return 0;
	}
	if (s.play.path) {
		s.play.geometry = s.geometry;
		s.play.stats_path = s.common.stats_path;
		s.play.dump_path = s.dump_path;
		s.play.duration = s.common.duration;
		s.play.headless = s.common.headless;
		if (!s.play.speed)
			s.play.speed = 1;
		return play_main(&s.play);
	}
	s.cfg.channel = s.common.channel;
	s.cfg.iface = s.common.iface;
	s.cfg.insecure = s.common.insecure;
	if (s.common.stats_path) {
		stats = strcmp(s.common.stats_path, "-")
				? fopen(s.common.stats_path, "w")
				: stdout;
		if (!stats) {
			fprintf(stderr, "cast-student: --stats %s: %s\n",
				s.common.stats_path, strerror(errno));
			return 1;
		}
	}
	if (!s.cfg.insecure && load_key(&s, &key))
		return 1;
	default_paths(&s, state_dir, sizeof(state_dir), sock_path,
		      sizeof(sock_path));
	s.ccfg.state_dir = s.state_dir;
	s.ccfg.on_outcome = on_outcome;
	s.ccfg.arg = &s;
	err = cast_seat_new(&s.seat, &s.ccfg);
	if (err) {
		fprintf(stderr, "cast-student: %s\n", cast_strerror(err));
		return 1;
	}
	if (cast_seat_locked(s.seat))
		fprintf(stderr, "cast-student: this machine is locked by the "
				"teacher\n");
	if (s.cfg.no_decode)
		s.common.headless = true;	/* nothing to show */
	if (!s.common.headless && view_open(&view, s.geometry)) {
		view_close(&view);
		return 1;
	}
	if (!s.common.headless) {
		s.cfg.on_frame = on_frame;
		s.cfg.arg = &pic;
	}
	if (s.check_av) {
		avc.pic = s.common.headless ? NULL : &pic;
		s.cfg.on_frame = av_frame;
		s.cfg.arg = NULL;
	}
	err = 0;
	if (!s.cfg.no_decode) {
		struct cast_voice_receiver_cfg vc;

		cast_voice_receiver_cfg_init(&vc);
		vc.channel = s.cfg.channel;
		vc.iface = s.cfg.iface;
		vc.insecure = s.cfg.insecure;
		vc.unsigned_media = s.cfg.unsigned_media;
		vc.output = s.audio_out ? s.audio_out
			    : s.common.headless ? "none" : "default";
		if (s.check_av)
			vc.on_play = av_play;
		err = cast_voice_receiver_new(&s.voice, &vc);
		if (!err)
			err = cast_voice_receiver_start(s.voice);
		if (err && !s.audio_out) {
			/* No sound device: the picture still comes. */
			fprintf(stderr, "cast-student: no sound (%s): the "
					"teacher's voice is not played\n",
				cast_strerror(err));
			cast_voice_receiver_free(&s.voice);
			err = 0;
		}
	}
	if (!err && s.voice && s.cfg.on_frame) {
		/* Pictures wait for the sound that goes with them. */
		err = cast_picture_delay_new(&s.pdelay, 16);
		s.shown_cb = s.cfg.on_frame;
		s.shown_arg = s.cfg.arg;
		s.cfg.on_frame = hold_frame;
		s.cfg.arg = &s;
	}
	if (!err) {
		/* What this seat sends when asked, and shows of a demo. */
		struct cast_share_cfg shc;
		struct cast_watch_cfg wc;

		cast_share_cfg_init(&shc);
		if (s.source && !strcmp(s.source, "testpattern")) {
			shc.capture.backend = "testpattern";
			shc.capture.width = s.size_w ? s.size_w : 1280;
			shc.capture.height = s.size_h ? s.size_h : 720;
		} else if (s.source && !strncmp(s.source, "x11:", 4)) {
			shc.capture.device = s.source + 4;
		}
		shc.max_width = s.size_w;
		shc.max_height = s.size_h;
		shc.channel = s.cfg.channel;
		shc.iface = s.cfg.iface;
		err = cast_share_new(&s.share, &shc);
		cast_watch_cfg_init(&wc);
		wc.channel = s.cfg.channel;
		wc.iface = s.cfg.iface;
		wc.no_decode = s.cfg.no_decode;
		wc.check_stamp = s.cfg.check_stamp;
		wc.on_frame = s.cfg.on_frame;
		wc.arg = s.cfg.arg;
		wc.voice = s.voice;
		if (!err)
			err = cast_watch_new(&s.watch, &wc);
		s.teacher_cb = s.cfg.on_frame;
		s.teacher_arg = s.cfg.arg;
		s.cfg.on_frame = teacher_frame;
		s.cfg.arg = &s;
	}
	if (!err)
		err = cast_receiver_new(&r, &s.cfg);
	if (!err)
		err = cast_receiver_start(r);
	s.r = r;

	if (!err && !s.cfg.insecure) {
		struct cast_file_receiver_cfg fc;
		const char *home = getenv("HOME");

		if (!s.inbox) {
			snprintf(inbox, sizeof(inbox), "%s/libcast",
				 home ? home : "/tmp");
			mkdir(inbox, 0755);
			snprintf(inbox, sizeof(inbox), "%s/libcast/inbox",
				 home ? home : "/tmp");
			s.inbox = inbox;
		}
		cast_file_receiver_cfg_init(&fc);
		fc.channel = s.cfg.channel;
		fc.iface = s.cfg.iface;
		fc.inbox = s.inbox;
		{
			/* The lab interface's MAC, as HELLO tells the teacher. */
			uint8_t mac[6] = {0};

			cast_student_mac(s.cfg.iface, mac);
			fc.node_id = cast_file_node_id(effective_id(&s), mac);
		}
		fc.on_file = on_file;
		fc.arg = &s;
		if (cast_file_receiver_new(&s.files, &fc))
			fprintf(stderr, "cast-student: no file inbox at %s: "
					"files from the teacher cannot arrive\n",
				s.inbox);
	}
	if (!err && !s.cfg.insecure) {
		struct cast_student_ctl_cfg cc;

		cast_student_ctl_cfg_init(&cc);
		cc.channel = s.cfg.channel;
		cc.key = &key;
		cc.iface = s.cfg.iface;
		snprintf(cc.identity.presented_id,
			 sizeof(cc.identity.presented_id), "%s",
			 effective_id(&s));
		snprintf(cc.identity.name, sizeof(cc.identity.name), "%s",
			 s.name ? s.name : "");
		snprintf(cc.identity.class_name, sizeof(cc.identity.class_name),
			 "%s", s.class_name ? s.class_name : "");
		cc.teacher_addr = s.teacher_addr;
		cc.on_welcome = on_welcome;
		cc.on_command = on_command;
		cc.stats_json = stats_json;
		cc.arg = &s;
		err = cast_student_ctl_new(&ctl, &cc);
		cast_key_wipe(&key);
		s.ctl = ctl;
	}
	if (!err && cast_ctl_server_new(&local, s.local_socket, on_local, &s))
		/* The broadcast goes on; only hand/message from here fail. */
		fprintf(stderr, "cast-student: local socket %s unavailable "
				"(another student agent?): raise hand and "
				"messages disabled\n",
			s.local_socket);
	if (err) {
		fprintf(stderr, "cast-student: cannot receive channel %d: %s\n",
			s.cfg.channel, cast_strerror(err));
		cast_ctl_server_free(&local);
		cast_student_ctl_free(&ctl);
		cast_voice_receiver_free(&s.voice);
		cast_receiver_free(&r);
		cast_share_free(&s.share);
		cast_watch_free(&s.watch);
		if (!s.common.headless)
			view_close(&view);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	cast_meter_init(&meter, 0, 0);
	start = cast_mono_us();
	next_stats = start + 1000000;
	while (!quit) {
		int64_t now = cast_mono_us();

		if (s.common.duration > 0 &&
		    now - start >= (int64_t)(s.common.duration * 1e6))
			break;
		if (ctl) {
			struct cast_student_ctl_stats cs;

			cast_student_ctl_stats(ctl, &cs);
			if (cs.teacher_ip && cs.teacher_ip != teacher_ip) {
				teacher_ip = cs.teacher_ip;
				cast_receiver_set_teacher(r, teacher_ip);
			}
			if (was_connected && !cast_student_ctl_connected(ctl)) {
				/* The teacher is gone: what it asked of this
				 * screen ends with it. */
				struct cast_cmd_screen_show teacher = {0};

				cast_share_stop_all(s.share);
				cast_watch_apply(s.watch, &teacher);
				if (atomic_load(&s.remote))
					remote_set(&s, false);
			}
			was_connected = cast_student_ctl_connected(ctl);
		}
		if (now >= next_stats && s.voice) {
			struct cast_receiver_stats vst;

			/* Lip sync: the sound waits for the picture (the
			 * film's, while its sound is played). */
			bool sound;

			if (!cast_watch_film(s.watch, &sound) || !sound ||
			    !cast_watch_demo_stats(s.watch, &vst))
				cast_receiver_stats(r, &vst);
			cast_voice_receiver_set_video_delay(
				s.voice, cast_hist_quantile(&vst.latency_us, 0.5));
		}
		if (now >= next_stats) {
			if (stats)
				write_stats(stats, &s, r, s.voice, ctl, s.seat,
					    s.files, &meter,
					    (double)(now - start) / 1e6, false);
			next_stats += 1000000;
		}
		if (s.pdelay)
			cast_picture_delay_pop(s.pdelay, cast_mono_us(),
					       s.shown_cb, s.shown_arg);
		if (s.common.headless) {
			shown.headless = true;
			view_report(&s, &shown, &reported, &reported_welcomes);
			usleep(s.pdelay ? 2000 : 20000);
			continue;
		}
		SDL_Event ev;
		bool force = false;

		if (SDL_WaitEventTimeout(&ev, 5)) {
			do {
				/* While locked, the overlay takes every key,
				 * click and close request (Alt+F4, Esc). */
				if (view.ov && overlay_handle_event(view.ov, &ev))
					continue;
				if (ev.type == SDL_QUIT && s.geometry)
					quit = 1;
				if (ev.type == SDL_WINDOWEVENT)
					force = true;
			} while (SDL_PollEvent(&ev));
		}
		view_sync(&view, &s);
		view_hold(&view, &s);
		view_draw(&view, &pic, force);
		view_state(&view, &shown);
		view_report(&s, &shown, &reported, &reported_welcomes);
	}
	cast_ctl_server_free(&local);
	cast_receiver_stop(r);
	cast_voice_receiver_stop(s.voice);
	if (stats) {
		write_stats(stats, &s, r, s.voice, ctl, s.seat, s.files, &meter,
			    (double)(cast_mono_us() - start) / 1e6, true);
		if (stats != stdout)
			fclose(stats);
	}
	if (s.hw_started)
		pthread_join(s.hw_thread, NULL);
	/* No outcome is reported once the control plane goes. */
	cast_seat_stop(s.seat);
	cast_student_ctl_free(&ctl);
	cast_share_free(&s.share);
	cast_watch_free(&s.watch);
	cast_injector_free(&s.injector);
	cast_file_receiver_free(&s.files);
	if (!s.common.headless) {
		if (s.dump_path) {
			view_sync(&view, &s);
			view_draw(&view, &pic, true);
			if (view_dump(&view, s.dump_path)) {
				fprintf(stderr, "cast-student: --dump %s: failed\n",
					s.dump_path);
				ret = 1;
			}
		}
		view_close(&view);
	}
	cast_voice_receiver_free(&s.voice);
	cast_receiver_free(&r);
	cast_picture_delay_free(&s.pdelay);
	cast_seat_free(&s.seat);
	free(pic.buf);
	return ret;
}
