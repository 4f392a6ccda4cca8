/* Test driver: carries out each input word of argv on an X display through
 * cast_injector_send, printing "ok WORD" or "error WORD: REASON" per word
 * (it goes on after an error). Exit 0 when every word was carried out.
 * Usage: inject [--display D] [--size] [--time] WORD...
 *   --size  first prints "size W H", the screen as the injector sees it
 *   --time  adds to each "ok" line the microseconds cast_injector_send took
 *           (bench/inject.sh) */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cast/cast.h"

int main(int argc, char **argv)
{
	struct cast_injector *in = NULL;
	const char *display = NULL;
	int i = 1, rc = 0, err, w, h;
	bool timed = false;
	char why[256];

	if (i + 1 < argc && !strcmp(argv[i], "--display")) {
		display = argv[i + 1];
		i += 2;
	}
	err = cast_injector_new(&in, display);
	if (err) {
		fprintf(stderr, "inject: %s\n", cast_strerror(err));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i < argc && !strcmp(argv[i], "--size")) {
		cast_injector_size(in, &w, &h);
		printf("size %d %d\n", w, h);
		i++;
	}
	if (i < argc && !strcmp(argv[i], "--time")) {
		timed = true;
		i++;
	}
	for (; i < argc; i++) {
		struct cast_input_event ev;
		struct timespec t0, t1;

		err = cast_input_parse(argv[i], &ev, why, sizeof(why));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (!err)
			err = cast_injector_send(in, &ev);
		else
			fprintf(stderr, "inject: %s\n", why);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (err) {
			printf("error %s: %s\n", argv[i], cast_strerror(err));
			rc = 1;
		} else if (timed) {
			printf("ok %s %ld\n", argv[i],
			       (long)((t1.tv_sec - t0.tv_sec) * 1000000 +
			              (t1.tv_nsec - t0.tv_nsec) / 1000));
		} else {
			printf("ok %s\n", argv[i]);
		}
	}
	cast_injector_free(&in);
	return rc;
}
