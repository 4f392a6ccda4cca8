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
	bool paused;			/* the broadcast is stopped */
	double paused_seconds;		/* left out of the file so far */
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

/**
 * The broadcast stopped (`paused`) or started again, any thread: while
 * paused nothing is written (the sender sends nothing, and the voice's
 * packets are dropped), and when it ends the file's clock goes on from
 * its last picture, so a lesson recording skips the stop instead of
 * holding a frozen picture for it. Lasts across recordings (a recording
 * started while paused begins with the broadcast's first keyframe).
 */
CAST_API void cast_recorder_pause(struct cast_recorder *r, bool paused);

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

struct cast_cinema;

struct cast_replay_cfg {
	const char *path;		/* required */
	int max_width, max_height;	/* the class size; 0: no limit */
	bool loop;			/* start again at the end */
	/**
	 * The film's clock (network cinema, below; not owned): pauses and
	 * seeks the replay, which lands a seek on the keyframe before the
	 * time asked and moves the clock there. NULL: the file's own pace.
	 */
	struct cast_cinema *cinema;
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
 * from the first call on, or the film's clock. Returns 0, CAST_EOF at the
 * end (without loop), or a negative error; with a clock also 1: nothing
 * to send yet (paused, or not due soon), call again at `*due_mono_us`.
 */
CAST_API int cast_replay_next(struct cast_replay *r, struct cast_packet *pkt,
			      int64_t *due_mono_us);
/**
 * Network cinema, passed through: while the film's clock is paused, the
 * access units from the last keyframe handed out to the paused picture, in
 * order (owned by the replay, valid until the next cast_replay_next), so a
 * student that joins during the pause can be sent a picture its decoder can
 * start with. Returns how many are in `*aus`: 0 when not paused, without a
 * clock, or when more than 600 access units or 32 MiB came since the
 * keyframe (none kept).
 */
CAST_API int cast_replay_held(struct cast_replay *r,
			      const struct cast_packet **aus);
CAST_API void cast_replay_free(struct cast_replay **r);

/*
 * Network cinema: one clock for a film's picture and its sound, which the
 * teacher pauses, resumes and moves (`ctl cinema`). The picture (replay or
 * file capture) and the sound (the voice sender's file source) each play
 * the film time the clock is at: while it is paused the picture holds its
 * last frame and the sound stops; after a seek both go on from the new
 * time. Every call is thread-safe.
 */
struct cast_cinema_status {
	double position_s;	/* where the film is now */
	double duration_s;	/* 0: unknown */
	bool paused;
	bool passthrough;	/* the picture is the file's H.264 as it is */
	/** A live stream (udp://, tcp://, srt://, or no duration and no
	 * seeking): no seek, no end known. */
	bool live;
	/** cast_cinema_seek can move it (a file; a server with ranges; an
	 * RTSP server's film with a length). */
	bool seekable;
	char file[1024];
};

/**
 * A clock for the film at `path` (its duration read from the file or, for
 * an RTSP URL, from its server: a film with a length can seek, one without
 * is live; a live stream's URL is not opened), at time 0, running from the
 * first cast_cinema_position() on. Errors: -EINVAL, -ENOMEM, the open's
 * (-ENOENT, CAST_EMALFORMED).
 */
CAST_API int cast_cinema_new(struct cast_cinema **out, const char *path);
/** The film time now (s); the first call starts the clock. */
CAST_API double cast_cinema_position(struct cast_cinema *c);
/**
 * The monotonic time (cast_mono_us) film time `t` is due at, INT64_MAX
 * while paused, with the generation it holds for (see below).
 */
CAST_API int64_t cast_cinema_due(struct cast_cinema *c, double t,
				 uint64_t *generation);
/** Changes at each seek: a player that sees a new one seeks too. */
CAST_API uint64_t cast_cinema_generation(struct cast_cinema *c);
/** Holds the film (0, or -EALREADY when it is already paused). */
CAST_API int cast_cinema_pause(struct cast_cinema *c);
/** Goes on from where it was paused (0, or -EALREADY: not paused). */
CAST_API int cast_cinema_resume(struct cast_cinema *c);
/**
 * Jumps to `t` seconds (a pause stays a pause). Returns 0, -ERANGE when
 * `t` is negative or past the film's end, -ESPIPE for a live stream,
 * -ENOTSUP for a source that cannot seek (a server without byte ranges).
 */
CAST_API int cast_cinema_seek(struct cast_cinema *c, double t);
/**
 * The picture's player: the jump of `generation` landed at `t` (a
 * keyframe): the clock moves there and the sound follows (generation + 1).
 * Returns false, doing nothing, when a newer jump came meanwhile.
 */
CAST_API bool cast_cinema_settle(struct cast_cinema *c, double t,
				 uint64_t generation);
CAST_API void cast_cinema_set_passthrough(struct cast_cinema *c, bool on);
CAST_API void cast_cinema_status(struct cast_cinema *c,
				 struct cast_cinema_status *st);
CAST_API void cast_cinema_free(struct cast_cinema **c);
/**
 * A film received once and shared by its picture and its sound (an RTP
 * stream by SDP, an RTSP session): each side reads the source's packets
 * from a bounded queue of its own, and one that falls behind loses what
 * does not fit. These count the packets lost, by side, every such film
 * since the process started.
 */
struct cast_media_share_stats {
	uint64_t video_dropped;	/* the picture's side */
	uint64_t audio_dropped;	/* the sound's side */
};

/** The counts so far (thread-safe). */
CAST_API void cast_media_share_stats(struct cast_media_share_stats *st);

/**
 * cast_ctl_command_cb (`arg` a cast_cinema): `cinema pause|resume|status|
 * seek SECONDS`, answered in JSON ({"ok":true, "position_s":…} or
 * {"ok":false,"error":…}).
 */
CAST_API char *cast_cinema_ctl(int argc, char **argv, uint64_t req, void *arg);

#endif
