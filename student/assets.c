/* This machine's hardware and software summary, for the teacher's asset view. */
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <dirent.h>

#include "assets.h"

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
		snprintf(out, size, "%s", v);
		break;
	}
	fclose(f);
}

/* MAC of the first interface that is not loopback and has one. */
static void first_mac(char *out, size_t size)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	char path[300];

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address",
			 e->d_name);
		{
			FILE *f = fopen(path, "r");

			if (f) {
				if (fgets(out, (int)size, f))
					out[strcspn(out, "\n")] = '\0';
				fclose(f);
			}
		}
		if (out[0] && strcmp(out, "00:00:00:00:00:00"))
			break;
		out[0] = '\0';
	}
	closedir(d);
}

int assets_json(char *buf, size_t size, const char *display)
{
	struct cast_json j;
	struct utsname u;
	struct statvfs fs;
	char v[256], host[256] = "";
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	cast_json_begin(&j);
	gethostname(host, sizeof(host) - 1);
	cast_json_str(&j, "host", host);
	read_field("/proc/cpuinfo", "model name", ':', v, sizeof(v));
	cast_json_str(&j, "cpu", v);
	cast_json_int(&j, "cores", cores);
	read_field("/proc/meminfo", "MemTotal", ':', v, sizeof(v));
	cast_json_int(&j, "memory_mb", atoll(v) / 1024);
	if (!statvfs("/", &fs)) {
		cast_json_int(&j, "disk_gb",
			      (int64_t)((double)fs.f_blocks * fs.f_frsize / 1e9));
		cast_json_int(&j, "disk_free_gb",
			      (int64_t)((double)fs.f_bavail * fs.f_frsize / 1e9));
	}
	read_field("/etc/os-release", "PRETTY_NAME", '=', v, sizeof(v));
	cast_json_str(&j, "os", v);
	if (!uname(&u)) {
		cast_json_str(&j, "kernel", u.release);
		cast_json_str(&j, "arch", u.machine);
	}
	first_mac(v, sizeof(v));
	cast_json_str(&j, "mac", v);
	cast_json_str(&j, "display", display ? display : "");
	cast_json_str(&j, "libcast", cast_version());
	cast_json_end(&j);
	if (j.overflow || j.len >= size)
		return -1;
	memcpy(buf, j.buf, j.len - 1); /* without the line end */
	buf[j.len - 1] = '\0';
	return (int)j.len - 1;
}
