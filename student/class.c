/* The teacher's commands on a student: lock, messages, watermark, web, power. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "class.h"

extern char **environ;

/* Bounded copy that always terminates (values may be cut). */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void class_state_init(struct class_state *s, const char *state_dir)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->wm_opacity = 30;
	snprintf(s->wm_place, sizeof(s->wm_place), "tiled");
	if (state_dir && *state_dir)
		snprintf(s->path, sizeof(s->path), "%s/state", state_dir);
}

/* Writes what must survive a restart; caller holds the lock. */
static void save(struct class_state *s)
{
	struct cast_args a = {0};
	char tmp[1100];
	FILE *f;

	if (!s->path[0])
		return;
	/* The same form as the teacher's commands: any text stays whole. */
	cast_args_add(&a, "locked", s->locked ? "1" : "0");
	cast_args_add(&a, "notice", s->lock_notice);
	cast_args_add(&a, "wm_fields", s->wm_fields);
	cast_args_add(&a, "wm_text", s->wm_text);
	cast_args_addf(&a, "wm_opacity", "%d", s->wm_opacity);
	cast_args_add(&a, "wm_place", s->wm_place);
	cast_args_add(&a, "language", s->language);
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	f = a.err ? NULL : fopen(tmp, "w");
	if (!f) {
		cast_log(CAST_LOG_WARN, "class", "cannot save state %s: %s",
			 tmp, a.err ? cast_strerror(a.err) : strerror(errno));
		cast_args_free(&a);
		return;
	}
	if (fwrite(a.buf, 1, a.len, f) != a.len || fflush(f) ||
	    fsync(fileno(f)) || fclose(f) || rename(tmp, s->path))
		cast_log(CAST_LOG_WARN, "class", "cannot save state %s",
			 s->path);
	cast_args_free(&a);
}

int class_state_load(struct class_state *s)
{
	static uint8_t buf[4 * CLASS_NOTICE];
	char v[16];
	long long x;
	size_t n;
	FILE *f;

	if (!s->path[0])
		return 0;
	f = fopen(s->path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (cast_args_check(buf, n)) {
		cast_log(CAST_LOG_WARN, "class", "%s: not a state file "
			 "(ignored)", s->path);
		return 0;
	}
	pthread_mutex_lock(&s->lock);
	if (cast_args_get(buf, n, "locked", v, sizeof(v)) == 1)
		s->locked = v[0] == '1';
	cast_args_get(buf, n, "notice", s->lock_notice, sizeof(s->lock_notice));
	cast_args_get(buf, n, "wm_fields", s->wm_fields, sizeof(s->wm_fields));
	cast_args_get(buf, n, "wm_text", s->wm_text, sizeof(s->wm_text));
	if (cast_args_get_int(buf, n, "wm_opacity", 0, 100, &x) == 1)
		s->wm_opacity = (int)x;
	if (cast_args_get(buf, n, "wm_place", v, sizeof(v)) == 1 && v[0])
		copy_str(s->wm_place, sizeof(s->wm_place), v);
	cast_args_get(buf, n, "language", s->language, sizeof(s->language));
	s->version++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Runs argv without a shell; returns 0 when it started. */
static int run(const char *prog, const char *arg1)
{
	char *argv[3];
	pid_t pid;
	int err;

	if (!prog || !*prog)
		return -ENOSYS;
	argv[0] = (char *)prog;
	argv[1] = (char *)arg1;
	argv[2] = NULL;
	err = posix_spawnp(&pid, prog, NULL, NULL, argv, environ);
	if (err) {
		cast_log(CAST_LOG_WARN, "class", "cannot run %s: %s", prog,
			 strerror(err));
		return -err;
	}
	/* Reap it without blocking the control thread for long. */
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, &err, WNOHANG) == pid)
			return WIFEXITED(err) && WEXITSTATUS(err) == 0 ? 0
								      : -EIO;
		usleep(10000);
	}
	return 0; /* still running (a browser): started is enough */
}

/*
 * Runs argv without a shell and waits for it (at most POWER_WAIT_MS): 0 when
 * it exited 0; -ENOENT/-EACCES when it could not start, -EIO for a non-zero
 * exit, -EINTR when a signal ended it, -ETIMEDOUT when still running. The
 * caller (the control thread) waits that long at most: a power command
 * normally answers at once.
 */
#define POWER_WAIT_MS 10000

static int run_wait(const char *prog, const char *arg1)
{
	char *argv[3] = {(char *)prog, (char *)arg1, NULL};
	pid_t pid;
	int err, st;

	err = posix_spawnp(&pid, prog, NULL, NULL, argv, environ);
	if (err) {
		cast_log(CAST_LOG_WARN, "class", "cannot run %s: %s", prog,
			 strerror(err));
		return -err;
	}
	for (int ms = 0; ms < POWER_WAIT_MS; ms += 10) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				return 0;
			cast_log(CAST_LOG_WARN, "class", "%s %s: %s %d", prog,
				 arg1 ? arg1 : "",
				 WIFEXITED(st) ? "exit status" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st)
					       : WTERMSIG(st));
			return WIFEXITED(st) ? -EIO : -EINTR;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		usleep(10000);
	}
	cast_log(CAST_LOG_WARN, "class", "%s still running after %d s", prog,
		 POWER_WAIT_MS / 1000);
	return -ETIMEDOUT;
}

/* The configured power command (alone), or systemctl with the action. */
static int power(const struct class_cfg *cfg, const char *action)
{
	bool off = !strcmp(action, "off");

	if (!off && strcmp(action, "restart"))
		return -EINVAL;
	if (off && cfg->poweroff_cmd && *cfg->poweroff_cmd)
		return run_wait(cfg->poweroff_cmd, NULL);
	if (!off && cfg->reboot_cmd && *cfg->reboot_cmd)
		return run_wait(cfg->reboot_cmd, NULL);
	return run_wait("systemctl", off ? "poweroff" : "reboot");
}

/* Only schemes the lab allows, and only a plain URL (no spaces/controls). */
static int url_allowed(const char *url, const char *schemes)
{
	const char *colon = strchr(url, ':');
	const char *p = schemes && *schemes ? schemes : "http,https";
	size_t n;

	if (!colon || colon == url || strncmp(colon, "://", 3))
		return -EINVAL;
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -EINVAL;
	n = (size_t)(colon - url);
	while (*p) {
		size_t l = strcspn(p, ",");

		if (l == n && !strncasecmp(p, url, n))
			return 0;
		p += l + (p[l] == ',');
	}
	return -EPERM;
}

/*
 * Reads the text `key` into `out` when present; leaves `out` as it is when
 * absent. Returns 0, or -EMSGSIZE for a value over the limit (the caller
 * then changes nothing).
 */
static int take(const uint8_t *args, size_t len, const char *key, char *out,
		size_t size, bool *present)
{
	static char v[CLASS_TEXT]; /* under the state's lock */
	int ret = cast_args_get(args, len, key, v, size < sizeof(v) ? size
								   : sizeof(v));

	if (ret < 0)
		return ret;
	if (present)
		*present = ret == 1;
	if (ret == 1)
		memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* The watermark's fields: a comma-separated subset of id,name,class,ip. */
static bool fields_ok(const char *v)
{
	while (*v) {
		size_t l = strcspn(v, ",");

		if (!((l == 2 && !strncmp(v, "id", 2)) ||
		      (l == 4 && !strncmp(v, "name", 4)) ||
		      (l == 5 && !strncmp(v, "class", 5)) ||
		      (l == 2 && !strncmp(v, "ip", 2))))
			return false;
		v += l + (v[l] == ',');
	}
	return true;
}

/* watermark: validates everything first, then changes what is named. */
static int watermark(struct class_state *s, const uint8_t *args, size_t len)
{
	char fields[sizeof(s->wm_fields)] = "", place[16] = "";
	static char text[CLASS_NOTICE];
	bool has_fields = false, has_text = false, has_place = false;
	long long opacity = -1;
	int ret;

	ret = take(args, len, "fields", fields, sizeof(fields), &has_fields);
	if (!ret)
		ret = take(args, len, "text", text, sizeof(text), &has_text);
	if (!ret)
		ret = take(args, len, "place", place, sizeof(place), &has_place);
	if (!ret && cast_args_get_int(args, len, "opacity", 0, 100,
				      &opacity) < 0)
		ret = -EINVAL;
	if (!ret && ((has_fields && !fields_ok(fields)) ||
		     (has_place && strcmp(place, "corner") &&
		      strcmp(place, "center") && strcmp(place, "tiled"))))
		ret = -EINVAL;
	if (ret)
		return ret;
	if (has_fields)
		copy_str(s->wm_fields, sizeof(s->wm_fields), fields);
	if (has_text)
		copy_str(s->wm_text, sizeof(s->wm_text), text);
	if (opacity >= 0)
		s->wm_opacity = (int)opacity;
	if (has_place)
		copy_str(s->wm_place, sizeof(s->wm_place), place);
	save(s);
	return 0;
}

int class_command(struct class_state *s, const struct class_cfg *cfg,
		  const char *name, const uint8_t *args, size_t len)
{
	static char v[CLASS_NOTICE], title[CLASS_NOTICE];
	long long x;
	int ret = 0;

	/* Statics: commands run one at a time, under the lock. */
	pthread_mutex_lock(&s->lock);
	s->commands++;
	if (cast_args_check(args, len)) {
		ret = -EINVAL; /* malformed: nothing is done */
	} else if (!strcmp(name, "lock")) {
		v[0] = '\0';
		ret = take(args, len, "notice", v, sizeof(v), NULL);
		if (!ret) {
			s->locked = true;
			copy_str(s->lock_notice, sizeof(s->lock_notice), v);
			save(s);
		}
	} else if (!strcmp(name, "unlock")) {
		s->locked = false;
		save(s);
	} else if (!strcmp(name, "message")) {
		static char text[CLASS_TEXT];

		title[0] = text[0] = '\0';
		ret = take(args, len, "title", title, sizeof(title), NULL);
		if (!ret)
			ret = take(args, len, "text", text, sizeof(text), NULL);
		if (!ret && !text[0])
			ret = -EINVAL;
		if (!ret) {
			copy_str(s->msg_title, sizeof(s->msg_title), title);
			copy_str(s->msg_text, sizeof(s->msg_text), text);
			s->messages++;
		}
	} else if (!strcmp(name, "marquee")) {
		long long secs = 30;

		v[0] = '\0';
		ret = take(args, len, "text", v, sizeof(v), NULL);
		if (!ret && (cast_args_get_int(args, len, "seconds", 1, 3600,
					       &secs) < 0 ||
			     !v[0]))
			ret = -EINVAL;
		if (!ret) {
			copy_str(s->marquee, sizeof(s->marquee), v);
			s->marquee_until_us = cast_now_us() + secs * 1000000;
		}
	} else if (!strcmp(name, "watermark")) {
		ret = watermark(s, args, len);
	} else if (!strcmp(name, "language")) {
		cast_args_get(args, len, "lang", v, sizeof(v));
		if (strcmp(v, "zh_CN") && strcmp(v, "zh_TW") && strcmp(v, "en")) {
			ret = -EINVAL;
		} else {
			copy_str(s->language, sizeof(s->language), v);
			save(s);
		}
	} else if (!strcmp(name, "web")) {
		ret = cast_args_get(args, len, "url", v, sizeof(v));
		ret = ret == 1 ? url_allowed(v, cfg->url_schemes)
		      : ret == 0 ? -EINVAL
				 : ret;
		if (!ret) {
			copy_str(s->last_url, sizeof(s->last_url), v);
			pthread_mutex_unlock(&s->lock);
			ret = run(cfg->open_cmd, v);
			pthread_mutex_lock(&s->lock);
			if (!ret)
				s->urls_opened++;
		}
	} else if (!strcmp(name, "power")) {
		cast_args_get(args, len, "action", v, sizeof(v));
		pthread_mutex_unlock(&s->lock);
		ret = power(cfg, v);
		pthread_mutex_lock(&s->lock);
	} else if (!strcmp(name, "reset")) {
		/* Every default back: the next teacher starts clean. */
		s->locked = false;
		s->lock_notice[0] = s->wm_fields[0] = s->wm_text[0] = '\0';
		s->wm_opacity = 30;
		snprintf(s->wm_place, sizeof(s->wm_place), "tiled");
		s->language[0] = s->marquee[0] = '\0';
		s->marquee_until_us = 0;
		s->hand = false;
		save(s);
	} else if (!strcmp(name, "clock-set")) {
		struct timespec ts;

		if (!cfg->allow_clock_set) {
			ret = -EPERM;
		} else if (cast_args_get_int(args, len, "time_us", 1,
					     INT64_MAX, &x) != 1) {
			ret = -EINVAL;
		} else {
			ts.tv_sec = (time_t)(x / 1000000);
			ts.tv_nsec = (long)(x % 1000000) * 1000;
			ret = clock_settime(CLOCK_REALTIME, &ts) ? -errno : 0;
		}
	} else {
		ret = -ENOSYS;
	}
	if (ret)
		s->refused++;
	s->version++;
	pthread_mutex_unlock(&s->lock);
	if (ret)
		cast_log(CAST_LOG_INFO, "class", "command '%s' refused: %s",
			 name, cast_strerror(ret));
	return ret;
}

void class_state_json(struct class_state *s, struct cast_json *j)
{
	int64_t now = cast_now_us();

	pthread_mutex_lock(&s->lock);
	cast_json_obj(j, "class");
	cast_json_bool(j, "locked", s->locked);
	cast_json_str(j, "lock_notice", s->lock_notice);
	cast_json_str(j, "watermark_fields", s->wm_fields);
	cast_json_str(j, "watermark_text", s->wm_text);
	cast_json_int(j, "watermark_opacity", s->wm_opacity);
	cast_json_str(j, "watermark_place", s->wm_place);
	cast_json_str(j, "language", s->language);
	cast_json_str(j, "marquee",
		      now < s->marquee_until_us ? s->marquee : "");
	cast_json_int(j, "messages", (int64_t)s->messages);
	cast_json_str(j, "message_title", s->msg_title);
	cast_json_str(j, "message_text", s->msg_text);
	cast_json_bool(j, "hand", s->hand);
	cast_json_str(j, "last_url", s->last_url);
	cast_json_int(j, "urls_opened", (int64_t)s->urls_opened);
	cast_json_int(j, "commands", (int64_t)s->commands);
	cast_json_int(j, "refused", (int64_t)s->refused);
	cast_json_end(j);
	pthread_mutex_unlock(&s->lock);
}
