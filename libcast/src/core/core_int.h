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

struct AVFormatContext;

/*
 * Opens a film for demuxing like avformat_open_input(fmt, url, NULL,
 * NULL), except that a live byte stream on a socket (udp://, udplite://,
 * tcp://, srt://) is received once and shared by every context open on it
 * (the picture's and the sound's). Close with cast__media_close. Returns
 * 0 or an AVERROR / negative errno.
 */
int cast__media_open(struct AVFormatContext **fmt, const char *url);
void cast__media_close(struct AVFormatContext **fmt);
/* True for the URLs cast__media_open shares (live, never seekable). */
bool cast__media_live_url(const char *url);

#endif
