/* cast-bench board: the whiteboard compositor's cost per picture. */
#ifndef CAST_BENCH_BOARD_H
#define CAST_BENCH_BOARD_H

int cast_bench_board(int argc, char **argv);

#endif
