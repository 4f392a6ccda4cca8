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

bool class_arg(const uint8_t *args, size_t len, const char *key, char *out,
	       size_t size)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		size_t end = i;

		while (end < len && args[end] != '\n')
			end++;
		if (end - i > klen && !memcmp(args + i, key, klen) &&
		    args[i + klen] == '=') {
			size_t v = i + klen + 1, n = end - v;

			if (n >= size)
				n = size - 1;
			memcpy(out, args + v, n);
			out[n] = '\0';
			return true;
		}
		i = end + 1;
	}
	if (size)
		out[0] = '\0';
	return false;
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
	char tmp[1100];
	FILE *f;

	if (!s->path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	f = fopen(tmp, "w");
	if (!f) {
		cast_log(CAST_LOG_WARN, "class", "cannot save state %s: %s",
			 tmp, strerror(errno));
		return;
	}
	fprintf(f,
		"locked=%d\nnotice=%s\nwm_fields=%s\nwm_text=%s\n"
		"wm_opacity=%d\nwm_place=%s\nlanguage=%s\n",
		s->locked, s->lock_notice, s->wm_fields, s->wm_text,
		s->wm_opacity, s->wm_place, s->language);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) ||
	    rename(tmp, s->path))
		cast_log(CAST_LOG_WARN, "class", "cannot save state %s",
			 s->path);
}

int class_state_load(struct class_state *s)
{
	uint8_t buf[4096];
	char v[256];
	size_t n;
	FILE *f;

	if (!s->path[0])
		return 0;
	f = fopen(s->path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	pthread_mutex_lock(&s->lock);
	if (class_arg(buf, n, "locked", v, sizeof(v)))
		s->locked = v[0] == '1';
	class_arg(buf, n, "notice", s->lock_notice, sizeof(s->lock_notice));
	class_arg(buf, n, "wm_fields", s->wm_fields, sizeof(s->wm_fields));
	class_arg(buf, n, "wm_text", s->wm_text, sizeof(s->wm_text));
	if (class_arg(buf, n, "wm_opacity", v, sizeof(v)))
		s->wm_opacity = atoi(v);
	if (class_arg(buf, n, "wm_place", v, sizeof(v)) && v[0])
		copy_str(s->wm_place, sizeof(s->wm_place), v);
	class_arg(buf, n, "language", s->language, sizeof(s->language));
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

int class_command(struct class_state *s, const struct class_cfg *cfg,
		  const char *name, const uint8_t *args, size_t len)
{
	char v[CLASS_TEXT];
	int ret = 0;

	pthread_mutex_lock(&s->lock);
	s->commands++;
	if (!strcmp(name, "lock")) {
		s->locked = true;
		class_arg(args, len, "notice", s->lock_notice,
			  sizeof(s->lock_notice));
		save(s);
	} else if (!strcmp(name, "unlock")) {
		s->locked = false;
		save(s);
	} else if (!strcmp(name, "message")) {
		class_arg(args, len, "title", s->msg_title,
			  sizeof(s->msg_title));
		class_arg(args, len, "text", s->msg_text, sizeof(s->msg_text));
		s->messages++;
	} else if (!strcmp(name, "marquee")) {
		int secs = 30;

		class_arg(args, len, "text", s->marquee, sizeof(s->marquee));
		if (class_arg(args, len, "seconds", v, sizeof(v)))
			secs = atoi(v);
		if (secs < 1 || secs > 3600)
			secs = 30;
		s->marquee_until_us = cast_now_us() + (int64_t)secs * 1000000;
	} else if (!strcmp(name, "watermark")) {
		class_arg(args, len, "fields", s->wm_fields,
			  sizeof(s->wm_fields));
		class_arg(args, len, "text", s->wm_text, sizeof(s->wm_text));
		if (class_arg(args, len, "opacity", v, sizeof(v))) {
			s->wm_opacity = atoi(v);
			if (s->wm_opacity < 0 || s->wm_opacity > 100)
				s->wm_opacity = 30;
		}
		if (class_arg(args, len, "place", v, sizeof(v)) &&
		    (!strcmp(v, "corner") || !strcmp(v, "center") ||
		     !strcmp(v, "tiled")))
			copy_str(s->wm_place, sizeof(s->wm_place), v);
		save(s);
	} else if (!strcmp(name, "language")) {
		class_arg(args, len, "lang", v, sizeof(v));
		if (strcmp(v, "zh_CN") && strcmp(v, "zh_TW") && strcmp(v, "en")) {
			ret = -EINVAL;
		} else {
			copy_str(s->language, sizeof(s->language), v);
			save(s);
		}
	} else if (!strcmp(name, "web")) {
		class_arg(args, len, "url", v, sizeof(v));
		ret = url_allowed(v, cfg->url_schemes);
		if (!ret) {
			copy_str(s->last_url, sizeof(s->last_url), v);
			pthread_mutex_unlock(&s->lock);
			ret = run(cfg->open_cmd, v);
			pthread_mutex_lock(&s->lock);
			if (!ret)
				s->urls_opened++;
		}
	} else if (!strcmp(name, "power")) {
		class_arg(args, len, "action", v, sizeof(v));
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

		class_arg(args, len, "time_us", v, sizeof(v));
		if (!cfg->allow_clock_set) {
			ret = -EPERM;
		} else {
			long long us = atoll(v);

			ts.tv_sec = (time_t)(us / 1000000);
			ts.tv_nsec = (long)(us % 1000000) * 1000;
			ret = us > 0 && !clock_settime(CLOCK_REALTIME, &ts)
				      ? 0
				      : -errno;
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
