/*
 * libFuzzer target: the recorded-lesson player on any file (read as
 * Matroska or MP4, what recordings are): open, play at 2x, seek, pull the
 * sound. It must refuse or play, never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/player.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

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
	struct cast_player_cfg cfg;
	struct cast_player *p;
	struct cast_player_stats st;
	struct cast_frame f;
	float buf[2 * 256];
	FILE *fp;
	int64_t now = 0;

	if (!path[0]) {
		cast_log_set_handler(no_log, NULL);
		snprintf(path, sizeof(path), "/tmp/fuzz_player.%d", (int)getpid());
	}
	fp = fopen(path, "wb");
	if (!fp)
		abort();
	if (size && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	cast_player_cfg_init(&cfg);
	cfg.path = path;
	/* Recordings are Matroska (EBML's first byte) or MP4. */
	cfg.format = size && data[0] == 0x1a ? "matroska" : "mov";
	if (cast_player_new(&p, &cfg) == 0) {
		cast_player_set_speed(p, 2);
		cast_player_pause(p, false);
		for (int i = 0; i < 40; i++) {
			now += 20000;
			if (cast_player_update(p, now, &f) == CAST_EOF)
				break;
			cast_player_audio(p, buf, 256);
		}
		cast_player_stats(p, &st);
		cast_player_seek(p, st.position / 2);
		for (int i = 0; i < 10; i++) {
			now += 20000;
			cast_player_update(p, now, &f);
		}
		cast_player_free(&p);
	}
	unlink(path);
	return 0;
}
