/* Recorded-lesson playback: demux, decode, clock, speed with pitch kept, seek. */
#ifndef CAST_PLAYER_H
#define CAST_PLAYER_H

#include "frame.h"

/*
 * A player opens any file libavformat reads (a libcast recording, or any
 * other video or audio file) and keeps the playing position on a clock the
 * application drives: each cast_player_update(now) advances the position by
 * the time since the previous call times the speed, and returns the picture
 * due at that position. Audio is decoded on the way and played at the speed
 * with its pitch kept (libavfilter's atempo); the application's audio
 * device pulls it with cast_player_audio, from any thread. Drawing, keys
 * and the audio device belong to the application.
 */
struct cast_player;

struct cast_player_cfg {
	const char *path;	/* required */
	/** A libavformat format name to read it as; NULL: probe the file. */
	const char *format;
	int audio_rate;		/* output sample rate, default 48000 */
	int audio_channels;	/* output channels (float, interleaved), 2 */
	/** Audio decoded ahead of the device at most (ms, default 2000). */
	int audio_buffer_ms;
};

struct cast_player_info {
	double duration;	/* seconds, 0 if unknown */
	bool has_video, has_audio;
	int width, height;
	double fps;		/* average frame rate, 0 if unknown */
	char title[256];	/* "" if none */
	char video_codec[32], audio_codec[32];
};

struct cast_player_stats {
	double position;	/* seconds from the start */
	double speed;
	bool paused, ended;
	uint64_t frames_decoded;
	uint64_t frames_shown;	/* returned by cast_player_update */
	uint64_t frames_late;	/* decoded but overtaken by the clock */
	uint64_t audio_frames_out;	/* sample frames handed to the device */
	uint64_t audio_dropped;		/* sample frames the device missed */
	uint64_t seeks;
	uint64_t errors;	/* broken packets skipped */
};

#define CAST_PLAYER_SPEED_MIN 0.5
#define CAST_PLAYER_SPEED_MAX 2.0

CAST_API void cast_player_cfg_init(struct cast_player_cfg *cfg);

/**
 * Opens the file and its decoders, paused at 0. Errors: the open errno
 * (-ENOENT, -EACCES), CAST_EMALFORMED (not a media file, or no stream it
 * can decode), -EINVAL, -ENOMEM.
 */
CAST_API int cast_player_new(struct cast_player **out,
			     const struct cast_player_cfg *cfg);

CAST_API void cast_player_info(const struct cast_player *p,
			       struct cast_player_info *info);

/** Plays (false) or pauses (true) from the next update on. */
CAST_API void cast_player_pause(struct cast_player *p, bool paused);

/** 0.5..2 (pitch kept). Errors: -ERANGE. */
CAST_API int cast_player_set_speed(struct cast_player *p, double speed);

/**
 * Moves to `seconds` (clamped to the file): the next picture is the first
 * at or after it (decoded from the keyframe or recovery point before).
 * Returns 0 or CAST_EEXTERNAL.
 */
CAST_API int cast_player_seek(struct cast_player *p, double seconds);

/**
 * Advances the clock to `now_us` (any monotonic clock of the caller's; the
 * first call only sets it) and decodes up to the position. Returns 1 with
 * the picture due in `out` (I420, owned by the player, valid until the
 * next update), 0 when the shown picture stays, CAST_EOF at the end (the
 * player then pauses), or a negative error.
 */
CAST_API int cast_player_update(struct cast_player *p, int64_t now_us,
				struct cast_frame *out);

/**
 * Fills `frames` sample frames of interleaved float audio (cfg rate and
 * channels) at the current speed; silence where there is none (paused, no
 * audio, not decoded yet). Any thread (the audio device's). Returns the
 * number of frames that were sound, not silence.
 */
CAST_API int cast_player_audio(struct cast_player *p, float *buf, int frames);

CAST_API void cast_player_stats(struct cast_player *p,
				struct cast_player_stats *st);

CAST_API void cast_player_free(struct cast_player **p);

#endif
