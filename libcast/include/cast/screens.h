/* Students on screen: student demo, monitor wall, remote control. */
#ifndef CAST_SCREENS_H
#define CAST_SCREENS_H

#include "audio.h"
#include "capture.h"
#include "class.h"
#include "receiver.h"
#include "sender.h"

/*
 * A student's screen goes out through the same sender (cast/sender.h) the
 * teacher broadcasts with, and comes in through the same receiver
 * (cast/receiver.h): the seat embeds a cast_share (what it sends when
 * asked) and a cast_watch (what it shows: the teacher's broadcast or a
 * demonstrator's stream); the teacher embeds a cast_screens, which serves
 * the `ctl demo|wall|control|input` verbs and receives the students'
 * streams. docs/screens.md explains the choices and the figures.
 *
 * Every stream gets a fresh SRTP key and a fresh Ed25519 signing key from
 * the teacher, over the authenticated control connection, to the sending
 * student only: receivers show only pictures signed with that key. A
 * demonstrator is thereby authorised for that one demo; a student cannot
 * forge another's thumbnails; keys die with the stream.
 *
 * Ports: the teacher gives student slot k (0..CAST_SCREENS_SLOTS-1) the
 * block CAST_SCREENS_PORT_BASE + 10 * k, below Linux's ephemeral range:
 *   +0/+1 the wall stream's RTP/RTCP (unicast, received by the teacher)
 *   +2/+3 the demo's RTP/RTCP (multicast to the channel's group)
 *   +6 and +8 the wall's and the demo's feedback (on the student)
 */
#define CAST_SCREENS_PORT_BASE 21000
#define CAST_SCREENS_SLOTS 900

/* Defaults of the monitor wall and of a focused (or controlled) student. */
#define CAST_WALL_WIDTH 320
#define CAST_WALL_HEIGHT 180
#define CAST_WALL_FPS 2
#define CAST_WALL_KBPS 64
#define CAST_FOCUS_FPS 15
#define CAST_FOCUS_KBPS 4000
#define CAST_DEMO_FPS 30
#define CAST_DEMO_KBPS 6000

/* ---- On the student: what this seat sends -------------------------------- */

struct cast_share;

struct cast_share_cfg {
	/** The source: the student's `--source` (default x11, its display). */
	struct cast_capture_cfg capture;
	/** Largest size it sends (`--size`); 0: what the teacher asks. */
	int max_width, max_height;
	int channel;
	const char *iface;	/* multicast interface, NULL: routing table */
};

struct cast_share_stats {
	bool demo, wall;		/* sending now */
	uint64_t demo_frames_sent;	/* since start, every demo */
	uint64_t wall_frames_sent;	/* wall, focus and control */
	int wall_width, wall_height, wall_fps;
	int demo_width, demo_height;
	uint64_t errors;		/* streams that could not start */
};

CAST_API void cast_share_cfg_init(struct cast_share_cfg *cfg);
/** Errors: -EINVAL, -ENOMEM. Nothing is captured until asked. */
CAST_API int cast_share_new(struct cast_share **out,
			    const struct cast_share_cfg *cfg);
/**
 * Carries out a "screen-send" command: starts (or restarts with the new
 * settings) or stops the stream of its kind. A wall stream goes to
 * `teacher_ip` (host order: the control connection's peer). Returns 0, or
 * the sender's error (capture, encoder, socket). Thread-safe.
 */
CAST_API int cast_share_apply(struct cast_share *sh,
			      const struct cast_cmd_screen_send *cmd,
			      uint32_t teacher_ip);
/** Stops every stream (the teacher left). Thread-safe. */
CAST_API void cast_share_stop_all(struct cast_share *sh);
CAST_API void cast_share_stats(struct cast_share *sh,
			       struct cast_share_stats *st);
CAST_API void cast_share_free(struct cast_share **sh);

/* ---- On the student: what this seat shows -------------------------------- */

/*
 * The seat shows the teacher's broadcast unless told to show a
 * demonstrator's stream; the teacher's receiver keeps running beneath, so
 * going back is immediate. The demo replaces the teacher's picture only
 * once its first picture is decoded (no black between), and the seat goes
 * back to the teacher by itself when the demo's pictures stop for
 * `fallback_ms` (the demonstrator dropped off).
 */
struct cast_watch;

struct cast_watch_cfg {
	int channel;
	const char *iface;
	/** The app's picture sink: gets the demo's pictures while shown. */
	cast_receiver_frame_cb *on_frame;
	void *arg;
	bool no_decode, check_stamp;	/* as the teacher's receiver */
	int fallback_ms;		/* default 2000 */
	/**
	 * The seat's voice receiver (borrowed, may be NULL): a film shown
	 * with its sound is played through it instead of the teacher's
	 * voice (cast_voice_receiver_follow) until the film is no longer
	 * shown.
	 */
	struct cast_voice_receiver *voice;
};

CAST_API void cast_watch_cfg_init(struct cast_watch_cfg *cfg);
CAST_API int cast_watch_new(struct cast_watch **out,
			    const struct cast_watch_cfg *cfg);
/** Carries out a "screen-show" command. Returns 0 or the receiver's error. */
CAST_API int cast_watch_apply(struct cast_watch *w,
			      const struct cast_cmd_screen_show *cmd);
/**
 * Whether the teacher's pictures are to be shown now (call it with each;
 * it also notices a silent demonstrator). Thread-safe.
 */
CAST_API bool cast_watch_teacher(struct cast_watch *w);
/** Whether input is to be captured (a demo watched with lock). */
CAST_API bool cast_watch_locked(struct cast_watch *w);
/** "teacher", "demo:ID" or "film:NAME" into buf. Thread-safe. */
CAST_API void cast_watch_showing(struct cast_watch *w, char *buf,
				 size_t size);
/**
 * Whether the stream watched is the teacher's film (`ctl cinema play`),
 * and in `*sound` (may be NULL) whether its sound is played. Thread-safe.
 */
CAST_API bool cast_watch_film(struct cast_watch *w, bool *sound);
/** The demo (or film) receiver's stats; false when none is watched. */
CAST_API bool cast_watch_demo_stats(struct cast_watch *w,
				    struct cast_receiver_stats *st);
/**
 * The last switch's time (ms, from the command, or the demonstrator's
 * silence, to the first picture of the new source shown) and how many
 * switches so far: what the class saw of the old picture.
 */
CAST_API void cast_watch_switches(struct cast_watch *w, double *last_ms,
				  uint64_t *n);
CAST_API void cast_watch_free(struct cast_watch **w);

/* ---- On the teacher: students' screens ----------------------------------- */

struct cast_screens;

struct cast_screens_cfg {
	struct cast_class *cls;		/* borrowed: commands go through it */
	int channel;
	const char *iface;
	int wall_width, wall_height, wall_fps, wall_kbps;
	int focus_fps, focus_kbps;
	int demo_fps, demo_kbps;
	/**
	 * Optional: every picture of a student's stream (wall, focus,
	 * control, demo), on a receiver thread (copy, return).
	 */
	void (*on_frame)(const char *id, const struct cast_frame *f,
			 void *arg);
	void *arg;
};

CAST_API void cast_screens_cfg_init(struct cast_screens_cfg *cfg);
/** Starts its watch thread. Errors: -EINVAL, -ENOMEM, thread errors. */
CAST_API int cast_screens_new(struct cast_screens **out,
			      const struct cast_screens_cfg *cfg);
/** The control plane (students online, their addresses). */
CAST_API void cast_screens_set_ctl(struct cast_screens *sc,
				   struct cast_teacher_ctl *ctl);
/**
 * cast_ctl_command_cb for the verbs (register each with
 * cast_class_add_verb): `demo from=ID [--to IDS|all]`, `demo stop`,
 * `wall on|off [fps=N] [size=WxH]`, `wall snapshot dir=DIR`,
 * `wall focus ID|off`, `control ID`, `control stop`,
 * `input ID WORD…`. Answers in JSON.
 */
CAST_API char *cast_screens_ctl(int argc, char **argv, uint64_t req,
				void *arg);
/** Adds "screens":{demo, wall, control, students:[…]} to a stats line. */
CAST_API void cast_screens_json(struct cast_screens *sc, struct cast_json *j);
/**
 * Writes the latest picture of every student's stream as DIR/ID.png, and
 * the wall's pages (16 students with names each) as DIR/wall-N.png.
 * Returns the number of students written, or a negative errno.
 */
CAST_API int cast_screens_snapshot(struct cast_screens *sc, const char *dir);
/** Stops every student's stream and the demo, frees. */
CAST_API void cast_screens_free(struct cast_screens **sc);

/* ---- On the teacher: a film to some students ----------------------------- */

/*
 * Network cinema to one, some or all students while the class keeps the
 * teacher's broadcast (`ctl cinema play PATH [--to IDS]`): the film goes
 * out as a stream of its own, with a fresh SRTP key and signing key like a
 * demo's, from a second cast_sender in the teacher's process (the file's
 * H.264 passed through when it fits the class, else decoded and encoded:
 * cast_replay / the file capture, on a cast_cinema clock) and its sound
 * from a voice sender on the same clock. Its viewers are shown it with
 * "screen-show" (film=1, audio=1) as a demo's are, rejoining ones again;
 * they play its sound instead of the teacher's voice while they show it.
 * docs/recording.md, "A film to some students".
 *
 * Ports: channel c's film uses CAST_FILM_PORT_BASE + 10 * c: +0/+1 the
 * picture's RTP/RTCP, +2/+3 the sound's, +6 feedback (on the teacher).
 */
#define CAST_FILM_PORT_BASE 30000
/** Longest `--to` list (with its NUL). */
#define CAST_FILM_TO_MAX 1024

/** The first port of channel `channel`'s film, or -EINVAL. */
CAST_API int cast_film_port(int channel);

/** `cinema play PATH [--to IDS|all]` or `cinema stop`, parsed. */
struct cast_film_args {
	bool play, stop;
	const char *path;	/* play: the film (points into argv) */
	const char *to;		/* play: ids, NULL for everyone */
};

/**
 * Parses the words of a `cinema play|stop` request (argv[0] "cinema").
 * Returns 0, or -EINVAL / -ENAMETOOLONG with the reason in `why`; `*a`
 * is written only on success.
 */
CAST_API int cast_film_args_parse(int argc, char **argv,
				  struct cast_film_args *a, char *why,
				  size_t why_size);

struct cast_film;

struct cast_film_cfg {
	struct cast_screens *screens;	/* borrowed: shows it to viewers */
	/**
	 * The broadcast's sender settings (copied at new): channel,
	 * interface, class size, encoder; not its source, keys, overlay
	 * or taps. Secure classes only.
	 */
	const struct cast_sender_cfg *base;
	/**
	 * The broadcast's own film clock (`--source file:`), driven by
	 * `cinema pause|resume|seek|status` while no film plays to
	 * students (borrowed, may be NULL).
	 */
	struct cast_cinema *broadcast;
	bool sound;		/* send the film's sound (default true) */
	int audio_bitrate;	/* Opus bits/s; 0: the voice's default */
};

CAST_API void cast_film_cfg_init(struct cast_film_cfg *cfg);
/** Starts its thread (the end of a film). Errors: -EINVAL, -ENOMEM. */
CAST_API int cast_film_new(struct cast_film **out,
			   const struct cast_film_cfg *cfg);
/**
 * The control plane (after it is made; NULL before it is freed): with
 * it, `cinema play` opens the film on the film's thread and answers later
 * (the control plane's thread never waits on a disk or a server).
 */
CAST_API void cast_film_set_ctl(struct cast_film *fm,
				struct cast_teacher_ctl *ctl);
/**
 * cast_ctl_command_cb for the "cinema" verb: `cinema play PATH|URL
 * [--to IDS|all]`, `cinema stop`, and `cinema pause|resume|status|seek
 * SECONDS`, which act on the film to students while one plays and on the
 * broadcast's own film otherwise. Answers in JSON (`play` later, see
 * cast_film_set_ctl); a bad path, an unknown student or a film already
 * playing or opening answer {"ok":false,"error":…} and change nothing.
 */
CAST_API char *cast_film_ctl(int argc, char **argv, uint64_t req, void *arg);
/** Adds "cinema":{playing, to, viewers, frames_sent, …} to a stats line. */
CAST_API void cast_film_json(struct cast_film *fm, struct cast_json *j);
/** Ends a film playing (viewers back to the broadcast), frees. */
CAST_API void cast_film_free(struct cast_film **fm);

#endif
