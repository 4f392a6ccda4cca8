/* Internal helpers shared across libcast's areas. */
#ifndef CAST_CORE_INT_H
#define CAST_CORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Routes FFmpeg's (and through it x264's) log lines into cast_log, once per
 * process: warnings and errors stay visible, chatter becomes debug.
 */
void cast__av_log_init(void);

/* Writes all `n` bytes (retrying short writes and EINTR). Returns 0 or a
 * negative errno. */
int cast__write_all(int fd, const void *buf, size_t n);

/* Writes `path` atomically: a temporary file beside it (mode 0600), synced,
 * renamed over it. Returns 0 or a negative errno (logged). */
int cast__write_atomic(const char *path, const char *data, size_t len);

/* True when s[0..n) is UTF-8 without NUL (control characters allowed). */
bool cast__utf8_valid(const uint8_t *s, size_t n);

#endif
