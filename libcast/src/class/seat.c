/* The student's seat: the teacher's commands carried out within the lab's
 * settings, the state that survives a restart, the lab's programs run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cast/class.h"
#include "cast/error.h"
#include "cast/frame.h"
#include "cast/log.h"

#define OBJ "seat"
#define POWER_WAIT_MS 10000	/* for a power command's outcome */
#define OPEN_WAIT_MS 500	/* a page opener still running: started */
#define MAX_CHILDREN 32

extern char **environ;

/* A program to run, then one running. */
struct run {
	struct run *next;
	char *argv[3];
	uint32_t cmd_id;
	int wait_ms;
	bool running_is_ok;	/* an opener that stays (a browser) */
	pid_t pid;
	int pidfd;
	int64_t deadline_us;	/* 0: reported, only to be reaped */
};

struct cast_seat {
	char path[1024];		/* persisted state file, "" none */
	char *open_cmd, *poweroff_cmd, *reboot_cmd, *url_schemes;
	bool allow_clock_set;
	void (*on_outcome)(uint32_t cmd_id, int status, void *arg);
	void *arg;

	pthread_mutex_t lock;
	struct cast_seat_state st;	/* under lock */
	bool dirty;			/* under lock: to be written */
	struct run *queue;		/* under lock */

	pthread_t thread;
	int wfd;
	atomic_bool stop;
	struct run *running[MAX_CHILDREN]; /* the seat's thread only */
	int n_running;
};

void cast_seat_cfg_init(struct cast_seat_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static void defaults(struct cast_seat_state *st)
{
	st->locked = false;
	st->lock_notice[0] = st->language[0] = st->marquee[0] = '\0';
	cast_watermark_default(&st->wm);
	st->marquee_until_us = 0;
	st->hand = false;
}

/* ---- the persisted state ---- */

/*
 * Writes what must survive a restart (on the seat's thread: the control
 * connection never waits for the disk). Takes the lock to copy the state.
 */
static void write_state(struct cast_seat *s)
{
	struct cast_args a = {0};
	char tmp[1100], fields[64];
	FILE *f;

	pthread_mutex_lock(&s->lock);
	s->dirty = false;
	/* The same form as the teacher's commands: any text stays whole. */
	cast_wm_fields_format(s->st.wm.fields, fields, sizeof(fields));
	cast_args_add(&a, "locked", s->st.locked ? "1" : "0");
	cast_args_add(&a, "notice", s->st.lock_notice);
	cast_args_add(&a, "wm_fields", fields);
	cast_args_add(&a, "wm_text", s->st.wm.text);
	cast_args_addf(&a, "wm_opacity", "%d", s->st.wm.opacity);
	cast_args_add(&a, "wm_place", cast_wm_place_name(s->st.wm.place));
	cast_args_add(&a, "language", s->st.language);
	pthread_mutex_unlock(&s->lock);
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	f = a.err ? NULL : fopen(tmp, "w");
	if (!f) {
		cast_log(CAST_LOG_WARN, OBJ, "cannot save state %s: %s", tmp,
			 a.err ? cast_strerror(a.err) : strerror(errno));
		cast_args_free(&a);
		return;
	}
	if (fwrite(a.buf, 1, a.len, f) != a.len || fflush(f) ||
	    fsync(fileno(f)) || fclose(f) || rename(tmp, s->path))
		cast_log(CAST_LOG_WARN, OBJ, "cannot save state %s", s->path);
	cast_args_free(&a);
}

/* The state changed: the seat's thread writes it (caller holds the lock). */
static void save(struct cast_seat *s)
{
	uint64_t one = 1;

	if (!s->path[0])
		return;
	s->dirty = true;
	if (s->wfd >= 0 && write(s->wfd, &one, sizeof(one)) < 0)
		cast_log(CAST_LOG_WARN, OBJ, "wake: %s", strerror(errno));
}

static void load(struct cast_seat *s)
{
	static const size_t max = 4 * CAST_NOTICE_MAX;
	uint8_t *buf = malloc(max);
	char v[64];
	long long x;
	size_t n;
	FILE *f;

	if (!buf || !s->path[0] || !(f = fopen(s->path, "r"))) {
		free(buf);
		return;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	if (cast_args_check(buf, n)) {
		cast_log(CAST_LOG_WARN, OBJ, "%s: not a state file (ignored)",
			 s->path);
		free(buf);
		return;
	}
	if (cast_args_get(buf, n, "locked", v, sizeof(v)) == 1)
		s->st.locked = v[0] == '1';
	cast_args_get(buf, n, "notice", s->st.lock_notice,
		      sizeof(s->st.lock_notice));
	if (cast_args_get(buf, n, "wm_fields", v, sizeof(v)) == 1 &&
	    cast_wm_fields_parse(v) >= 0)
		s->st.wm.fields = (unsigned)cast_wm_fields_parse(v);
	cast_args_get(buf, n, "wm_text", s->st.wm.text, sizeof(s->st.wm.text));
	if (cast_args_get_int(buf, n, "wm_opacity", 0, 100, &x) == 1)
		s->st.wm.opacity = (int)x;
	if (cast_args_get(buf, n, "wm_place", v, sizeof(v)) == 1 &&
	    cast_wm_place_parse(v) >= 0)
		s->st.wm.place = (enum cast_wm_place)cast_wm_place_parse(v);
	cast_args_get(buf, n, "language", s->st.language,
		      sizeof(s->st.language));
	s->st.version++;
	free(buf);
}

/* ---- the lab's programs, on the seat's thread ---- */

/* Queues `prog arg1` (caller holds the lock). */
static int run_later(struct cast_seat *s, const char *prog, const char *arg1,
		     uint32_t cmd_id, int wait_ms, bool running_is_ok)
{
	struct run *r = calloc(1, sizeof(*r));
	uint64_t one = 1;

	if (!r || !(r->argv[0] = strdup(prog)) ||
	    (arg1 && !(r->argv[1] = strdup(arg1)))) {
		if (r)
			free(r->argv[0]);
		free(r);
		return CAST_ERROR(ENOMEM);
	}
	r->cmd_id = cmd_id;
	r->wait_ms = wait_ms;
	r->running_is_ok = running_is_ok;
	r->pidfd = -1;
	r->next = s->queue;
	s->queue = r;
	if (write(s->wfd, &one, sizeof(one)) < 0)
		return CAST_ERROR(errno);
	return CAST_SEAT_LATER;
}

static void run_free(struct run *r)
{
	if (r->pidfd >= 0)
		close(r->pidfd);
	free(r->argv[0]);
	free(r->argv[1]);
	free(r);
}

static void report(struct cast_seat *s, struct run *r, int status)
{
	if (!r->deadline_us)
		return;
	r->deadline_us = 0;
	if (status) {
		pthread_mutex_lock(&s->lock);
		s->st.refused++;
		s->st.version++;
		pthread_mutex_unlock(&s->lock);
	}
	if (s->on_outcome)
		s->on_outcome(r->cmd_id, status, s->arg);
}

static void start(struct cast_seat *s, struct run *r)
{
	int err = posix_spawnp(&r->pid, r->argv[0], NULL, NULL, r->argv,
			       environ);

	r->deadline_us = cast_mono_us() + r->wait_ms * 1000LL;
	if (err) {
		cast_log(CAST_LOG_WARN, OBJ, "cannot run %s: %s", r->argv[0],
			 strerror(err));
		report(s, r, -err);
		run_free(r);
		return;
	}
	r->pidfd = pidfd_open(r->pid, 0);
	if (r->pidfd < 0 || s->n_running == MAX_CHILDREN) {
		/* No pidfd (an old kernel) or too many: wait here. */
		int st;

		while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
			;
		report(s, r, WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO);
		run_free(r);
		return;
	}
	s->running[s->n_running++] = r;
}

/* A child ended: its outcome, and it is reaped. */
static void ended(struct cast_seat *s, struct run *r)
{
	siginfo_t info = {0};

	if (waitid(P_PIDFD, (id_t)r->pidfd, &info, WEXITED) < 0) {
		report(s, r, CAST_ERROR(errno));
		return;
	}
	if (info.si_code == CLD_EXITED && info.si_status == 0) {
		report(s, r, 0);
		return;
	}
	cast_log(CAST_LOG_WARN, OBJ, "%s %s: %s %d", r->argv[0],
		 r->argv[1] ? r->argv[1] : "",
		 info.si_code == CLD_EXITED ? "exit status" : "signal",
		 info.si_status);
	report(s, r, info.si_code == CLD_EXITED ? CAST_ERROR(EIO)
						 : CAST_ERROR(EINTR));
}

static void *seat_thread(void *arg)
{
	struct cast_seat *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd p[MAX_CHILDREN + 1];
		int64_t now = cast_mono_us(), next = now + 1000000;
		struct run *q;
		bool dirty;
		int n = 0;

		pthread_mutex_lock(&s->lock);
		q = s->queue;
		s->queue = NULL;
		dirty = s->dirty;
		pthread_mutex_unlock(&s->lock);
		if (dirty)
			write_state(s);
		while (q) {
			struct run *r = q;

			q = q->next;
			start(s, r);
		}
		p[n++] = (struct pollfd){.fd = s->wfd, .events = POLLIN};
		for (int i = 0; i < s->n_running; i++) {
			struct run *r = s->running[i];

			if (r->deadline_us && now >= r->deadline_us) {
				if (r->running_is_ok) {
					report(s, r, 0); /* it started */
				} else {
					cast_log(CAST_LOG_WARN, OBJ,
						 "%s still running after %d s",
						 r->argv[0], r->wait_ms / 1000);
					report(s, r, CAST_ERROR(ETIMEDOUT));
				}
			}
			if (r->deadline_us && r->deadline_us < next)
				next = r->deadline_us;
			p[n++] = (struct pollfd){.fd = r->pidfd,
						 .events = POLLIN};
		}
		if (poll(p, (nfds_t)n, (int)((next - now) / 1000) + 1) < 0)
			continue;
		if (p[0].revents) {
			uint64_t v;

			if (read(s->wfd, &v, sizeof(v)) < 0)
				continue;
		}
		for (int i = s->n_running - 1; i >= 0; i--) {
			if (!p[1 + i].revents)
				continue;
			ended(s, s->running[i]);
			run_free(s->running[i]);
			s->running[i] = s->running[--s->n_running];
		}
	}
	return NULL;
}

/* ---- commands ---- */

/* Only schemes the lab allows (the command already checked the form). */
static int url_allowed(const char *url, const char *schemes)
{
	const char *colon = strchr(url, ':');
	const char *p = schemes && *schemes ? schemes : "http,https";
	size_t n;

	if (!colon || colon == url)
		return CAST_ERROR(EINVAL);
	n = (size_t)(colon - url);
	while (*p) {
		size_t l = strcspn(p, ",");

		if (l == n && !strncasecmp(p, url, n))
			return 0;
		p += l + (p[l] == ',');
	}
	return CAST_ERROR(EPERM);
}

static int power(struct cast_seat *s, const struct cast_command *cmd,
		 uint32_t cmd_id)
{
	bool off = cmd->u.power.action == CAST_POWER_OFF;
	const char *prog = off ? s->poweroff_cmd : s->reboot_cmd;

	/* The lab's command alone, or the platform's own. */
	if (prog && *prog)
		return run_later(s, prog, NULL, cmd_id, POWER_WAIT_MS, false);
	return run_later(s, "systemctl", off ? "poweroff" : "reboot", cmd_id,
			 POWER_WAIT_MS, false);
}

int cast_seat_apply(struct cast_seat *s, const struct cast_command *cmd,
		    uint32_t cmd_id)
{
	struct cast_seat_state *st = &s->st;
	struct timespec ts;
	int ret = 0;

	if (!s || !cmd)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&s->lock);
	st->commands++;
	switch (cmd->type) {
	case CAST_CMD_LOCK:
		st->locked = true;
		copy_str(st->lock_notice, sizeof(st->lock_notice),
			 cmd->u.lock.notice);
		save(s);
		break;
	case CAST_CMD_UNLOCK:
		st->locked = false;
		save(s);
		break;
	case CAST_CMD_MESSAGE:
		copy_str(st->msg_title, sizeof(st->msg_title),
			 cmd->u.message.title);
		copy_str(st->msg_text, sizeof(st->msg_text),
			 cmd->u.message.text);
		st->messages++;
		break;
	case CAST_CMD_MARQUEE:
		copy_str(st->marquee, sizeof(st->marquee), cmd->u.marquee.text);
		st->marquee_until_us = cast_now_us() +
				       (int64_t)cmd->u.marquee.seconds * 1000000;
		break;
	case CAST_CMD_WATERMARK:
		cast_watermark_merge(&st->wm, cmd->u.watermark.set,
				     &cmd->u.watermark.wm);
		save(s);
		break;
	case CAST_CMD_LANGUAGE:
		copy_str(st->language, sizeof(st->language),
			 cmd->u.language.lang);
		save(s);
		break;
	case CAST_CMD_WEB:
		ret = url_allowed(cmd->u.web.url, s->url_schemes);
		if (!ret && !(s->open_cmd && *s->open_cmd))
			ret = CAST_ERROR(ENOSYS);
		if (!ret) {
			copy_str(st->last_url, sizeof(st->last_url),
				 cmd->u.web.url);
			st->urls_opened++;
			ret = run_later(s, s->open_cmd, cmd->u.web.url, cmd_id,
					OPEN_WAIT_MS, true);
		}
		break;
	case CAST_CMD_POWER:
		ret = power(s, cmd, cmd_id);
		break;
	case CAST_CMD_RESET:
		/* Every default back: the next teacher starts clean. */
		defaults(st);
		save(s);
		break;
	case CAST_CMD_BROADCAST:
		st->broadcast_on = cmd->u.broadcast.on;
		break;
	case CAST_CMD_CLOCK_SET:
		if (!s->allow_clock_set) {
			ret = CAST_ERROR(EPERM);
			break;
		}
		ts.tv_sec = (time_t)(cmd->u.clock_set.time_us / 1000000);
		ts.tv_nsec = (long)(cmd->u.clock_set.time_us % 1000000) * 1000;
		ret = clock_settime(CLOCK_REALTIME, &ts) ? CAST_ERROR(errno) : 0;
		break;
	default:
		ret = CAST_ERROR(ENOSYS);
		break;
	}
	if (ret < 0)
		st->refused++;
	st->version++;
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		cast_log(CAST_LOG_INFO, OBJ, "command '%s' refused: %s",
			 cast_command_name(cmd->type), cast_strerror(ret));
	return ret;
}

void cast_seat_set_hand(struct cast_seat *s, bool up)
{
	pthread_mutex_lock(&s->lock);
	s->st.hand = up;
	s->st.version++;
	pthread_mutex_unlock(&s->lock);
}

bool cast_seat_broadcast_on(struct cast_seat *s)
{
	bool on;

	pthread_mutex_lock(&s->lock);
	on = s->st.broadcast_on;
	pthread_mutex_unlock(&s->lock);
	return on;
}

bool cast_seat_locked(struct cast_seat *s)
{
	bool locked;

	pthread_mutex_lock(&s->lock);
	locked = s->st.locked;
	pthread_mutex_unlock(&s->lock);
	return locked;
}

uint64_t cast_seat_version(struct cast_seat *s)
{
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	v = s->st.version;
	pthread_mutex_unlock(&s->lock);
	return v;
}

void cast_seat_state(struct cast_seat *s, struct cast_seat_state *out)
{
	pthread_mutex_lock(&s->lock);
	memcpy(out, &s->st, sizeof(*out));
	pthread_mutex_unlock(&s->lock);
}

void cast_seat_json(struct cast_seat *s, struct cast_json *j)
{
	const struct cast_seat_state *st = &s->st;
	int64_t now = cast_now_us();
	char fields[64];

	pthread_mutex_lock(&s->lock);
	cast_wm_fields_format(st->wm.fields, fields, sizeof(fields));
	cast_json_obj(j, "class");
	cast_json_bool(j, "locked", st->locked);
	cast_json_bool(j, "broadcast_on", st->broadcast_on);
	cast_json_str(j, "lock_notice", st->lock_notice);
	cast_json_str(j, "watermark_fields", fields);
	cast_json_str(j, "watermark_text", st->wm.text);
	cast_json_int(j, "watermark_opacity", st->wm.opacity);
	cast_json_str(j, "watermark_place", cast_wm_place_name(st->wm.place));
	cast_json_str(j, "language", st->language);
	cast_json_str(j, "marquee",
		      now < st->marquee_until_us ? st->marquee : "");
	cast_json_int(j, "messages", (int64_t)st->messages);
	cast_json_str(j, "message_title", st->msg_title);
	cast_json_str(j, "message_text", st->msg_text);
	cast_json_bool(j, "hand", st->hand);
	cast_json_str(j, "last_url", st->last_url);
	cast_json_int(j, "urls_opened", (int64_t)st->urls_opened);
	cast_json_int(j, "commands", (int64_t)st->commands);
	cast_json_int(j, "refused", (int64_t)st->refused);
	cast_json_end(j);
	pthread_mutex_unlock(&s->lock);
}

/* ---- life ---- */

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

int cast_seat_new(struct cast_seat **out, const struct cast_seat_cfg *cfg)
{
	struct cast_seat *s;
	int ret;

	if (!out || !cfg)
		return CAST_ERROR(EINVAL);
	s = calloc(1, sizeof(*s));
	if (!s)
		return CAST_ERROR(ENOMEM);
	if (cfg->state_dir && *cfg->state_dir)
		snprintf(s->path, sizeof(s->path), "%s/state", cfg->state_dir);
	s->open_cmd = dup_opt(cfg->open_cmd);
	s->poweroff_cmd = dup_opt(cfg->poweroff_cmd);
	s->reboot_cmd = dup_opt(cfg->reboot_cmd);
	s->url_schemes = dup_opt(cfg->url_schemes);
	s->allow_clock_set = cfg->allow_clock_set;
	s->on_outcome = cfg->on_outcome;
	s->arg = cfg->arg;
	pthread_mutex_init(&s->lock, NULL);
	defaults(&s->st);
	/* Not kept across restarts: the teacher tells every seat that joins
	 * whether it broadcasts. */
	s->st.broadcast_on = true;
	load(s);
	s->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ret = s->wfd < 0 ? CAST_ERROR(errno)
			 : pthread_create(&s->thread, NULL, seat_thread, s);
	if (ret > 0)
		ret = CAST_ERROR(ret);
	if (ret) {
		if (s->wfd >= 0)
			close(s->wfd);
		s->wfd = -1; /* no thread to stop */
		cast_seat_free(&s);
		return ret;
	}
	*out = s;
	return 0;
}

void cast_seat_stop(struct cast_seat *s)
{
	uint64_t one = 1;

	if (!s || s->wfd < 0)
		return;
	atomic_store(&s->stop, true);
	if (write(s->wfd, &one, sizeof(one)) < 0)
		cast_log(CAST_LOG_WARN, OBJ, "wake: %s", strerror(errno));
	pthread_join(s->thread, NULL);
	close(s->wfd);
	s->wfd = -1;
	if (s->dirty) /* the last change, not yet written */
		write_state(s);
}

int cast_seat_open(struct cast_seat *s, const char *what)
{
	int ret;

	if (!s || !what)
		return CAST_ERROR(EINVAL);
	if (!s->open_cmd || !*s->open_cmd)
		return CAST_ERROR(ENOSYS);
	pthread_mutex_lock(&s->lock);
	ret = run_later(s, s->open_cmd, what, 0, OPEN_WAIT_MS, true);
	pthread_mutex_unlock(&s->lock);
	return ret < 0 ? ret : 0;
}

void cast_seat_free(struct cast_seat **ps)
{
	struct cast_seat *s = ps ? *ps : NULL;

	if (!s)
		return;
	cast_seat_stop(s);
	for (int i = 0; i < s->n_running; i++)
		run_free(s->running[i]); /* left to finish; init reaps it */
	while (s->queue) {
		struct run *r = s->queue;

		s->queue = r->next;
		run_free(r);
	}
	pthread_mutex_destroy(&s->lock);
	free(s->open_cmd);
	free(s->poweroff_cmd);
	free(s->reboot_cmd);
	free(s->url_schemes);
	free(s);
	*ps = NULL;
}
