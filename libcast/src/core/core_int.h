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
struct AVPacket;

/*
 * Opens a film for demuxing like avformat_open_input(fmt, url, NULL,
 * NULL), except that a live source is received once and shared by every
 * context open on it (the picture's and the sound's): a byte stream on a
 * socket (udp://, udplite://, tcp://, srt://) byte by byte, an RTP stream
 * (an .sdp file, rtp://) or an RTSP session (rtsp://, rtsps://) packet by
 * packet, demuxed once (media_share.c). Such a shared packet source's
 * context has no demuxer of its own: read, seek and find its streams'
 * information only with the functions below. Close with
 * cast__media_close. Returns 0 or an AVERROR / negative errno.
 */
int cast__media_open(struct AVFormatContext **fmt, const char *url);
void cast__media_close(struct AVFormatContext **fmt);
/* avformat_find_stream_info (nothing to do for a shared packet source). */
int cast__media_find_stream_info(struct AVFormatContext *fmt);
/* av_read_frame: a shared packet source waits for its next packet, and
 * gives AVERROR_EOF once the source ended (nothing for 5 s). */
int cast__media_read(struct AVFormatContext *fmt, struct AVPacket *pkt);
/* av_seek_frame. A shared packet source: AVERROR(ESPIPE) unless it is an
 * RTSP server's film with a length, which the source's thread moves (the
 * reader's next packets are from there on); AVERROR_EOF once it ended. */
int cast__media_seek(struct AVFormatContext *fmt, int stream, int64_t ts,
		     int flags);
/* True for the URLs cast__media_open shares (live; an RTSP film with a
 * length excepted, never seekable). */
bool cast__media_live_url(const char *url);

/* media_share.c: RTP (.sdp, rtp://) and RTSP sources, demuxed once. */
bool cast__media_shared_url(const char *url);
int cast__media_share_open(struct AVFormatContext **fmt, const char *url);
int cast__media_share_read(struct AVFormatContext *fmt, struct AVPacket *pkt);
int cast__media_share_seek(struct AVFormatContext *fmt, int stream,
			   int64_t ts, int flags);
void cast__media_share_close(struct AVFormatContext **fmt);

#endif
