/*
 * libFuzzer target: a teacher's kept channel file (cast_channel_load). A
 * file that loads gives a channel 1..999 that saves and loads again to the
 * same; one that doesn't leaves the output alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz_channel.XXXXXX", again[64];

static void tidy(void)
{
	unlink(again);
	rmdir(dir);
}

static void no_log(enum cast_log_level level, const char *obj,
		   const char *msg, void *arg)
{
	(void)level;
	(void)obj;
	(void)msg;
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd, ch = -1, ch2 = -1;

	if (!again[0]) {
		cast_log_set_handler(no_log, NULL);
		if (!mkdtemp(dir))
			abort();
		snprintf(again, sizeof(again), "%s/again", dir);
		atexit(tidy);
	}
	/* The input as a file, without touching the disk per run. */
	fd = memfd_create("channel", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (cast_channel_load(path, &ch) == 0) {
		if (ch < 1 || ch > 999 || cast_channel_save(again, ch) ||
		    cast_channel_load(again, &ch2) || ch2 != ch)
			abort();
	} else if (ch != -1) {
		abort();
	}
	close(fd);
	return 0;
}
