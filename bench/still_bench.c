/* cast-bench still: what a sound-only film's still picture costs per frame. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "still_bench.h"
#include "cast/cast.h"

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A WAV of `secs` seconds of silence: a film with sound and no picture. */
static int make_song(const char *path, int secs)
{
	struct cast_wav *w;
	int16_t pcm[4800] = {0};
	int err = cast_wav_open(&w, path, 48000, 1);

	for (int i = 0; !err && i < secs * 10; i++)
		err = cast_wav_write(w, pcm, 4800);
	if (!err)
		err = cast_wav_close(&w);
	return err;
}

/*
 * The file capture shows a sound-only film as a still card, a frame
 * every 0.5 s: each grab that hands one out is timed (the card is made,
 * and converted to I420, when the film opens: not timed).
 */
int cast_bench_still(int argc, char **argv)
{
	struct cast_capture_cfg cfg;
	struct cast_capture *c = NULL;
	struct cast_frame f;
	struct cast_json j;
	const char *json = NULL;
	char path[64];
	double ms[256], sum = 0;
	int secs = 10, n = 0, err, w, h;
	FILE *out = stdout;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--secs") && i + 1 < argc) {
			secs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else {
			fprintf(stderr, "usage: cast-bench still [--secs N] "
					"[--json FILE]\n");
			return 2;
		}
	}
	if (secs < 2 || secs > 100) {
		fprintf(stderr, "cast-bench still: --secs 2..100\n");
		return 2;
	}
	cast_log_set_level(CAST_LOG_WARN);
	snprintf(path, sizeof(path), "/tmp/cast-bench-still-%d.wav",
		 (int)getpid());
	err = make_song(path, secs);
	cast_capture_cfg_init(&cfg);
	cfg.backend = "file";
	cfg.device = path;
	if (!err)
		err = cast_capture_new(&c, &cfg);
	if (err) {
		fprintf(stderr, "cast-bench still: %s\n", cast_strerror(err));
		unlink(path);
		return 1;
	}
	cast_capture_size(c, &w, &h);
	for (;;) {
		struct timespec nap = {0, 5000000};
		int64_t t0 = cast_mono_us(), t1;

		err = cast_capture_grab(c, &f);
		t1 = cast_mono_us();
		if (err < 0)
			break;
		if (err == 1 && n < 256) {
			ms[n] = (double)(t1 - t0) / 1000;
			sum += ms[n++];
		}
		nanosleep(&nap, NULL);
	}
	cast_capture_free(&c);
	unlink(path);
	if (err != CAST_EOF || n < 2) {
		fprintf(stderr, "cast-bench still: %s\n", cast_strerror(err));
		return 1;
	}
	/* The first one also warms the caches: not counted. */
	sum -= ms[0];
	memmove(ms, ms + 1, (size_t)(n - 1) * sizeof(ms[0]));
	n--;
	qsort(ms, (size_t)n, sizeof(ms[0]), cmp_d);
	printf("cast-bench still: a sound-only film's %dx%d card, %d frames "
	       "shown\n  %-24s %8s %8s %8s\n  %-24s %8.3f %8.3f %8.3f\n",
	       w, h, n, "ms per frame shown", "p50", "p95", "mean", "grab",
	       ms[n / 2], ms[(int)(n * 0.95)], sum / n);
	cast_json_begin(&j);
	cast_json_str(&j, "bench", "still");
	cast_json_int(&j, "width", w);
	cast_json_int(&j, "height", h);
	cast_json_int(&j, "frames", n);
	cast_json_num(&j, "grab_ms_p50", ms[n / 2]);
	cast_json_num(&j, "grab_ms_p95", ms[(int)(n * 0.95)]);
	cast_json_num(&j, "grab_ms_mean", sum / n);
	cast_json_end(&j);
	if (json && !(out = fopen(json, "w"))) {
		fprintf(stderr, "cast-bench: --json %s: %s\n", json,
			strerror(errno));
		cast_json_free(&j);
		return 1;
	}
	err = cast_json_write(&j, out);
	cast_json_free(&j);
	if (out != stdout && fclose(out))
		err = CAST_ERROR(EIO);
	return err ? 1 : 0;
}
