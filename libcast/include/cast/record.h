/* Lesson recording: the broadcast's own H.264 (and the voice's Opus) in a file. */
#ifndef CAST_RECORD_H
#define CAST_RECORD_H

#include <time.h>

#include "codec.h"
#include "stats.h"

/*
 * The recorder muxes the access units the sender broadcasts, exactly as
 * they go out (no second encode), into Matroska, or fragmented MP4 when the
 * name ends in .mp4 / .mov. The sender's tap (cast_recorder_video) only
 * copies the packet into a bounded queue; a writer thread of the recorder's
 * own writes the file, so a slow or full disk never holds the broadcast.
 *
 * A file is readable at every moment: Matroska clusters close at every
 * keyframe (each intra refresh wave, once a second) and at most every
 * `flush_ms`; MP4 fragments likewise. A kill -9 loses at most the open
 * cluster. A write error (ENOSPC, EIO) or a disk that falls `queue_bytes`
 * behind stops the recording with the reason in `error`; the file keeps
 * everything written before.
 *
 * States: IDLE → start → WAITING (for a picture a decoder can start from:
 * an IDR, asked for at start; after 2 s a recovery point will do) →
 * RECORDING → stop → IDLE; a failure → FAILED (until the next start).
 */
struct cast_recorder;

enum cast_record_state {
	CAST_RECORD_IDLE,
	CAST_RECORD_WAITING,
	CAST_RECORD_RECORDING,
	CAST_RECORD_FAILED,
};

/** Asks the encoder for an IDR keyframe (e.g. cast_sender_request_keyframe). */
typedef void(cast_recorder_keyframe_cb)(void *arg);

struct cast_recorder_cfg {
	/** Folder for names without a '/'; NULL: ~/Videos/libcast (made). */
	const char *folder;
	/** Lesson title: the file's title and default name; NULL: "lesson". */
	const char *title;
	/** An Opus track (48 kHz) for the voice, fed by cast_recorder_audio. */
	bool audio;
	int audio_channels;	/* 1 (default) or 2 */
	int audio_preskip;	/* encoder delay in 48 kHz samples (312) */
	/** Queued bytes the writer may fall behind by (default 64 MiB). */
	size_t queue_bytes;
	/** Longest span (ms) written as one piece (default 1000, 100..2000). */
	int flush_ms;
	/** Called (from the tap's or start's thread) when an IDR is needed. */
	cast_recorder_keyframe_cb *need_keyframe;
	void *arg;
};

struct cast_recorder_stats {
	enum cast_record_state state;
	bool recording;			/* WAITING or RECORDING */
	char path[1024];		/* the current or last file */
	double seconds;			/* media time written */
	uint64_t bytes;			/* bytes written to the file */
	uint64_t video_frames;		/* access units written */
	uint64_t audio_packets;
	uint64_t skipped;		/* before the first keyframe */
	uint64_t files;			/* recordings started */
	char error[256];		/* why it failed, "" if it did not */
};

CAST_API void cast_recorder_cfg_init(struct cast_recorder_cfg *cfg);

/** Makes an idle recorder. Errors: -EINVAL, -ENOMEM. */
CAST_API int cast_recorder_new(struct cast_recorder **out,
			       const struct cast_recorder_cfg *cfg);

/**
 * The file a recording goes to (the path rules), into `out`:
 * - `name` NULL or "": FOLDER/TITLE-YYYY-MM-DD-HHMMSS.mkv (`when`, local
 *   time; the title's '/', control characters and spaces made '-');
 * - a name without '/': FOLDER/NAME; a name with one: that path;
 * - the extension must be .mkv, .mka, .webm, .mp4 or .mov; none: .mkv added.
 * A default name that exists gets "-2", "-3"… (up to 99); a given one that
 * exists is refused. Errors: -EINVAL (control characters, a bad extension,
 * a ".." part), -EEXIST, -ENAMETOOLONG.
 */
CAST_API int cast_recorder_path(char *out, size_t size, const char *folder,
				const char *name, const char *title,
				time_t when);

/**
 * Starts recording into `name` (see cast_recorder_path; NULL: the default
 * name), making the default folder if missing, and asks for a keyframe.
 * The file is created at once (never over an existing one); what it holds
 * follows on the writer thread. Errors: -EALREADY (recording), those of
 * cast_recorder_path, the file's (-EACCES, -ENOSPC…), -ENOMEM.
 */
CAST_API int cast_recorder_start(struct cast_recorder *r, const char *name);

/**
 * Ends the recording: what is queued is written and the file finished
 * (index, duration). With `wait` false it returns at once and the writer
 * finishes on its own. Returns 0, -ENOENT (not recording), or the failure
 * that had stopped it (its reason stays in the stats).
 */
CAST_API int cast_recorder_stop(struct cast_recorder *r, bool wait);

/**
 * The sender's tap: one encoded access unit (Annex B, as broadcast), any
 * thread, never blocks on the disk. Ignored unless recording.
 */
CAST_API void cast_recorder_video(struct cast_recorder *r,
				  const struct cast_packet *pkt);

/**
 * One Opus packet of the voice (`samples` at 48 kHz, e.g. 960 for 20 ms)
 * captured at `capture_us` (the clock of cast_packet.capture_us). Ignored
 * (returns 0) unless recording; packets before the first picture are
 * dropped. Returns 0, -EINVAL (no audio track, bad size), -ENOBUFS (the
 * writer is too far behind: the recording stopped).
 */
CAST_API int cast_recorder_audio(struct cast_recorder *r, const uint8_t *opus,
				 size_t len, int64_t capture_us, int samples);

/** Copies the state and counters (thread-safe). */
CAST_API void cast_recorder_stats(struct cast_recorder *r,
				  struct cast_recorder_stats *st);

/**
 * Adds recording, record_path, record_seconds, record_bytes and
 * record_error to a stats line.
 */
CAST_API void cast_recorder_json(struct cast_recorder *r, struct cast_json *j);

/**
 * The "record" ctl verb (a cast_ctl_command_cb, `arg` the recorder):
 * "record start [path=NAME]", "record stop", "record" (the state).
 */
CAST_API char *cast_recorder_ctl(int argc, char **argv, uint64_t req,
				 void *arg);

/** Stops (finishing the file) and frees; writes NULL. */
CAST_API void cast_recorder_free(struct cast_recorder **r);

/*
 * Broadcast replay: a recording's own H.264 access units (Annex B), due at
 * their pace, for the sender to pass through without re-encoding. Only a
 * file that fits the class is taken: H.264 without B-frames (what the
 * students' low-delay decoders show as it comes) no larger than the class
 * size; others go through the `file` capture (decode, re-encode).
 */
struct cast_replay;

struct cast_replay_cfg {
	const char *path;		/* required */
	int max_width, max_height;	/* the class size; 0: no limit */
	bool loop;			/* start again at the end */
};

CAST_API void cast_replay_cfg_init(struct cast_replay_cfg *cfg);

/**
 * Opens the file. Errors: the open errno, CAST_EMALFORMED (no video),
 * -ENOTSUP (the video does not fit the class: re-encode it instead),
 * -ENOMEM.
 */
CAST_API int cast_replay_new(struct cast_replay **out,
			     const struct cast_replay_cfg *cfg);
CAST_API void cast_replay_size(const struct cast_replay *r, int *w, int *h);

/**
 * The next access unit (owned by the replay, valid until the next call)
 * and the monotonic time (cast_mono_us) it is due: the file's own pace
 * from the first call on. Returns 0, CAST_EOF at the end (without loop),
 * or a negative error.
 */
CAST_API int cast_replay_next(struct cast_replay *r, struct cast_packet *pkt,
			      int64_t *due_mono_us);
CAST_API void cast_replay_free(struct cast_replay **r);

#endif
