/* Internal helpers shared by the voice sender and receiver. */
#ifndef CAST_AUDIO_INT_H
#define CAST_AUDIO_INT_H

/**
 * Asks for real-time scheduling (SCHED_FIFO, low priority) for the calling
 * thread, as audio threads do: a 20 ms frame late is heard, a busy machine
 * (an x264 encode, a compile) must not delay it. Without the privilege
 * (CAP_SYS_NICE or an RLIMIT_RTPRIO) the thread stays as it is; `who`
 * names it in the one debug line that says so.
 */
void cast__audio_realtime(const char *who);

struct cast_audio_source;

/**
 * Moves a file source to film time `t` (seconds from the file's start),
 * to the sample (network cinema). Returns 0, -ENOTSUP (not a file) or the
 * seek's error.
 */
int cast__audio_source_seek(struct cast_audio_source *s, double t);

#endif
