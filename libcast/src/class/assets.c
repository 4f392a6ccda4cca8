/* This machine's hardware and software summary, for the teacher's asset view. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cast/assets.h"
#include "cast/cast.h"
#include "ctl/ctl_int.h"

/* Length of the UTF-8 character at `s` (`n` bytes left), 0 if none. */
static size_t utf8_len(const char *s, size_t n)
{
	for (size_t len = 1; len <= 4 && len <= n; len++)
		if (cast__utf8_valid((const uint8_t *)s, len))
			return len;
	return 0;
}

/*
 * Copies `src` into `dst` (`size` > 0) as UTF-8 the teacher can show: a
 * byte that is not part of a character (or is a C1 control) becomes '?',
 * and a string too long is cut before the first character that won't fit.
 */
static void copy_bounded(char *dst, size_t size, const char *src)
{
	const char *s = src;
	size_t n = strlen(src), o = 0;

	while (n) {
		size_t len = utf8_len(s, n);

		if (o + (len ? len : 1) >= size)
			break;
		if (len) {
			memcpy(dst + o, s, len);
		} else {
			dst[o] = '?';
			len = 1;
		}
		o += len;
		s += len;
		n -= len;
	}
	dst[o] = '\0';
}

/* First line of `path` that starts with `key`, value after the separator. */
static void read_field(const char *path, const char *key, char sep, char *out,
		       size_t size)
{
	char line[512];
	size_t klen = strlen(key);
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;

		if (strncmp(line, key, klen))
			continue;
		v = strchr(line + klen, sep);
		if (!v)
			continue;
		v++;
		while (*v == ' ' || *v == '\t' || *v == '"')
			v++;
		v[strcspn(v, "\"\n")] = '\0';
		copy_bounded(out, size, v);
		break;
	}
	fclose(f);
}

/* MAC of the first interface that is not loopback and has one. */
static void first_mac(char *out, size_t size)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	char path[300], line[64];

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			copy_bounded(out, size, line);
		}
		fclose(f);
		if (out[0] && strcmp(out, "00:00:00:00:00:00"))
			break;
		out[0] = '\0';
	}
	closedir(d);
}

void cast_assets_collect(struct cast_assets *a, const char *display)
{
	struct utsname u;
	struct statvfs fs;
	char host[256] = "", v[256];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(a, 0, sizeof(*a));
	/* gethostname may leave a cut name unterminated: the last byte stays. */
	if (!gethostname(host, sizeof(host) - 1))
		copy_bounded(a->host, sizeof(a->host), host);
	read_field("/proc/cpuinfo", "model name", ':', a->cpu, sizeof(a->cpu));
	a->cores = cores > 0 ? cores : 0;
	read_field("/proc/meminfo", "MemTotal", ':', v, sizeof(v));
	a->memory_mb = atoll(v) / 1024;
	a->disk_gb = a->disk_free_gb = -1;
	if (!statvfs("/", &fs)) {
		a->disk_gb = (int64_t)((double)fs.f_blocks * fs.f_frsize / 1e9);
		a->disk_free_gb =
			(int64_t)((double)fs.f_bavail * fs.f_frsize / 1e9);
	}
	read_field("/etc/os-release", "PRETTY_NAME", '=', a->os, sizeof(a->os));
	if (!uname(&u)) {
		copy_bounded(a->kernel, sizeof(a->kernel), u.release);
		copy_bounded(a->arch, sizeof(a->arch), u.machine);
	}
	first_mac(a->mac, sizeof(a->mac));
	copy_bounded(a->display, sizeof(a->display), display ? display : "");
}

int cast_assets_json(const struct cast_assets *a, char *buf, size_t size)
{
	struct cast_json *j;
	int ret;

	if (!a || !buf || !size)
		return CAST_ERROR(EINVAL);
	buf[0] = '\0';
	/* 64 KiB: too large for the stack of a control-loop callback. */
	j = malloc(sizeof(*j));
	if (!j)
		return CAST_ERROR(ENOMEM);
	cast_json_begin(j);
	cast_json_str(j, "host", a->host);
	cast_json_str(j, "cpu", a->cpu);
	cast_json_int(j, "cores", a->cores);
	cast_json_int(j, "memory_mb", a->memory_mb);
	if (a->disk_gb >= 0) {
		cast_json_int(j, "disk_gb", a->disk_gb);
		cast_json_int(j, "disk_free_gb", a->disk_free_gb);
	}
	cast_json_str(j, "os", a->os);
	if (a->kernel[0]) {
		cast_json_str(j, "kernel", a->kernel);
		cast_json_str(j, "arch", a->arch);
	}
	cast_json_str(j, "mac", a->mac);
	cast_json_str(j, "display", a->display);
	cast_json_str(j, "libcast", cast_version());
	cast_json_end(j);
	if (j->overflow || j->len >= size) {
		ret = CAST_ERROR(EMSGSIZE);
	} else {
		/* Without the line end the writer adds. */
		memcpy(buf, j->buf, j->len - 1);
		buf[j->len - 1] = '\0';
		ret = (int)j->len - 1;
	}
	cast_json_free(j);
	free(j);
	return ret;
}
