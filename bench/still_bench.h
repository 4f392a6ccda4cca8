/* cast-bench still: a sound-only film's still picture, cost per frame. */
#ifndef CAST_BENCH_STILL_H
#define CAST_BENCH_STILL_H

int cast_bench_still(int argc, char **argv);

#endif
