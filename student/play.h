/* cast-student --play FILE: the recorded-lesson player's window (or headless run). */
#ifndef CAST_STUDENT_PLAY_H
#define CAST_STUDENT_PLAY_H

#include <stdbool.h>

struct play_opts {
	const char *path;
	double speed;		/* 0.5..2 */
	double seek;		/* start here (s) */
	const char *geometry;	/* --windowed WxH[+X+Y]; NULL: 1280x720 */
	const char *stats_path;	/* "-" stdout, NULL none */
	const char *dump_path;	/* at exit, the window's picture (PPM) */
	double duration;	/* stop after (s), 0: at the end / when closed */
	bool headless;
};

/** Plays the file; returns the program's exit code. */
int play_main(const struct play_opts *o);

#endif
