/*
 * libFuzzer target: homework receiver fed arbitrary chunks from four
 * students (one with an id that is not a safe folder name) into a root in a
 * temp dir with links planted towards an "outside" folder. After each input:
 * nothing outside the lesson folder, no .partial left after free, and no
 * more stored files than verified ENDs.
 *
 * Input: records of u8 selector, u16 length (big-endian), that many bytes
 * (cut at the end of the input). Selector bits 0-1: student; bit 2: the
 * student's connection drops (cast_homework_rx_abort) instead.
 */
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/homework.h"
#include "cast/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64], root[128], lesson[160], outside[128];
static const char *const ids[4] = {"s0", "s1", "s2", "../s3"};
static int stored_files, partial_files, stray;

static void no_log(enum cast_log_level level, const char *obj, const char *msg,
                   void *arg)
{
	(void)level;
	(void)obj;
	(void)msg;
	(void)arg;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static int rm_all(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	nftw(base, rm_all, 32, FTW_DEPTH | FTW_PHYS);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		abort();
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int inspect(const char *path, const struct stat *sb, int flag,
                   struct FTW *ftw)
{
	size_t n = strlen(path);
	(void)flag;
	if (ftw->level == 1 && strcmp(path + ftw->base, "s0") &&
	    strcmp(path + ftw->base, "s1") && strcmp(path + ftw->base, "s2"))
		stray++;
	if (S_ISREG(sb->st_mode)) {
		if (n > 8 && !strcmp(path + n - 8, ".partial"))
			partial_files++;
		else
			stored_files++;
	}
	return 0;
}

static void plant(void)
{
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/s0", lesson);
	if (mkdir(a, 0700))
		abort();
	snprintf(a, sizeof(a), "%s/s0/sub", lesson);
	if (symlink(outside, a))
		abort();
	snprintf(a, sizeof(a), "%s/s0/y.partial", lesson);
	snprintf(b, sizeof(b), "%s/p", outside);
	if (symlink(b, a))
		abort();
	snprintf(a, sizeof(a), "%s/s1", lesson);
	if (symlink(outside, a))
		abort();
	snprintf(a, sizeof(a), "%s/s2", lesson);
	if (mkdir(a, 0700))
		abort();
	snprintf(a, sizeof(a), "%s/s2/f", lesson);
	snprintf(b, sizeof(b), "%s/f", outside);
	if (symlink(b, a))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_limits lim;
	int verified = 0;

	if (!base[0]) {
		cast_log_set_handler(no_log, NULL);
		/* tmpfs when there is one: an fsync per stored file is slow. */
		snprintf(base, sizeof(base), "/dev/shm/cast-hw-fuzz-XXXXXX");
		if (!mkdtemp(base)) {
			snprintf(base, sizeof(base),
			         "/tmp/cast-hw-fuzz-XXXXXX");
			if (!mkdtemp(base))
				abort();
		}
		atexit(cleanup);
		snprintf(root, sizeof(root), "%s/root", base);
		snprintf(outside, sizeof(outside), "%s/outside", base);
		snprintf(lesson, sizeof(lesson), "%s/L", root);
		if (mkdir(root, 0700) || mkdir(outside, 0700) ||
		    mkdir(lesson, 0700))
			abort();
	}
	plant();

	cast_homework_limits_init(&lim);
	lim.max_files = 8;
	lim.max_file_bytes = 4096;
	lim.max_total_bytes = 16384;
	lim.max_student_bytes = 65536;
	if (cast_homework_rx_new(&rx, root, "L", &lim))
		abort();
	while (size >= 3) {
		unsigned sel = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		const char *id = ids[sel & 3];
		if (sel & 4) {
			cast_homework_rx_abort(rx, id);
		} else {
			int rc = cast_homework_rx_event(rx, id, data, len);
			if (rc == 1)
				verified++;
			if (rc > 2 || (sel & 3) == 3) {
				if (rc != CAST_ERROR(EINVAL))
					abort();
			}
		}
		data += len;
		size -= len;
	}
	struct cast_homework_status st[8];
	if (cast_homework_rx_list(rx, st, 8) > 3)
		abort();
	cast_homework_rx_free(&rx);

	stored_files = partial_files = stray = 0;
	nftw(lesson, inspect, 32, FTW_PHYS);
	if (count_entries(outside) != 0 || count_entries(root) != 1 ||
	    count_entries(base) != 2 || partial_files || stray ||
	    stored_files > verified)
		abort();
	nftw(lesson, rm_one, 32, FTW_DEPTH | FTW_PHYS);
	return 0;
}
