/* Internal helpers shared by the voice sender and receiver. */
#ifndef CAST_AUDIO_INT_H
#define CAST_AUDIO_INT_H

#include <stdint.h>

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

/* A file's sound lost to damage and played as silence instead. */
struct cast__audio_damage {
	uint64_t decode_errors;	/* packets the decoder refused */
	uint64_t gaps;		/* runs of packets the demuxer dropped */
	uint64_t missing_ms;	/* film sound replaced by silence */
	uint64_t dropped_ms;	/* live capture: oldest sound dropped */
};

/** What the source lost to damage so far (zeros: not a file). */
void cast__audio_source_damage(const struct cast_audio_source *s,
			       struct cast__audio_damage *d);

#endif
