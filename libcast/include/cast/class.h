/* The class protocol: every classroom command as a typed struct. */
#ifndef CAST_CLASS_H
#define CAST_CLASS_H

#include "control.h"
#include "defs.h"
#include "files.h"
#include "homework.h"
#include "srtp.h"
#include "stats.h"

/*
 * What the teacher tells students, one struct per command, encoded and
 * decoded here only: the teacher's console, `cast-teacher ctl` and the
 * tests build a struct cast_command; the student gets one decoded and
 * checked (cast_command_decode) and never parses arguments itself. On
 * the wire a command is a COMMAND message: its name and its arguments
 * (cast_args). docs/classroom.md lists the commands.
 */
enum cast_command_type {
	CAST_CMD_LOCK = 1,	/* black screen with a notice, input captured */
	CAST_CMD_UNLOCK,
	CAST_CMD_MESSAGE,	/* a message box */
	CAST_CMD_MARQUEE,	/* a notice scrolling across the top */
	CAST_CMD_WATERMARK,	/* changes what the watermark shows */
	CAST_CMD_LANGUAGE,
	CAST_CMD_WEB,		/* open a web page */
	CAST_CMD_POWER,		/* shut down or restart */
	CAST_CMD_CLOCK_SET,	/* set the clock to the teacher's */
	CAST_CMD_RESET,		/* every default back */
	CAST_CMD_FILE_OFFER,	/* a file will arrive by NORM */
	CAST_CMD_COLLECT,	/* send a folder as homework */
	CAST_CMD_ASSETS,	/* report the machine's summary */
	CAST_CMD_VOICE,		/* "voice-play": play the teacher's voice, or not */
	CAST_CMD_SCREEN_SEND,	/* "screen-send": send this screen (demo, wall) */
	CAST_CMD_SCREEN_SHOW,	/* "screen-show": show a demo, or the teacher */
	CAST_CMD_REMOTE,	/* "remote-control": the teacher takes over */
	CAST_CMD_REMOTE_INPUT,	/* "remote-input": one input event */
	/* "broadcast-state": the teacher broadcasts, or has stopped (the
	 * seat steps aside) */
	CAST_CMD_BROADCAST,
	CAST_CMD_COUNT_
};

/* Watermark fields (bits of cast_cmd_watermark.fields). */
enum {
	CAST_WM_ID = 1 << 0,
	CAST_WM_NAME = 1 << 1,
	CAST_WM_CLASS = 1 << 2,
	CAST_WM_IP = 1 << 3,
};

enum cast_wm_place { CAST_WM_TILED, CAST_WM_CORNER, CAST_WM_CENTER };

/* Which watermark members a command sets (the rest stay as they are). */
enum {
	CAST_WM_SET_FIELDS = 1 << 0,
	CAST_WM_SET_TEXT = 1 << 1,
	CAST_WM_SET_OPACITY = 1 << 2,
	CAST_WM_SET_PLACE = 1 << 3,
};

struct cast_watermark {
	unsigned fields;		/* CAST_WM_ID | … */
	char text[CAST_NOTICE_MAX];
	int opacity;			/* 0..100 */
	enum cast_wm_place place;
};

enum cast_power_action { CAST_POWER_OFF = 1, CAST_POWER_RESTART };

/** Longest remote-input word, with its NUL ("type=" and a text). */
#define CAST_REMOTE_WORD_MAX 320

/* What a student's screen is sent for (cast/screens.h). */
enum cast_screen_kind {
	CAST_SCREEN_DEMO = 1,	/* multicast to the class: a student demo */
	CAST_SCREEN_WALL,	/* unicast to the teacher: wall, focus, control */
};

/*
 * A stream a student sends or shows: where it goes, and the keys that
 * make it the teacher's. The teacher makes a fresh pair for each stream
 * and hands it over the authenticated control connection only: a
 * receiver accepts the stream's pictures only when signed with `seed`'s
 * key (cast/mauth.h), so a demonstrator is authorised for that stream
 * alone and nobody else can forge it.
 */
struct cast_screen_stream {
	/* Destination: a multicast group (demo), "" for the teacher's own
	 * address (wall: the control connection's peer). */
	char group[16];
	uint16_t port;		/* RTP port; RTCP +1, feedback +6 */
	struct cast_media_key key;	/* SRTP */
};

/* "screen-send": start or stop sending this screen. */
struct cast_cmd_screen_send {
	enum cast_screen_kind kind;
	bool on;		/* off: stop that stream */
	struct cast_screen_stream to;
	uint8_t seed[32];	/* Ed25519 seed signing it */
	/* The largest picture (0: the source's size), rate, kbit/s. */
	int width, height, fps, kbps;
};

/* "screen-show": show a demonstrator's stream, or the teacher's again. */
struct cast_cmd_screen_show {
	bool demo;		/* false: the teacher's again */
	char from[CAST_IDENTITY_ID_MAX];	/* the demonstrator */
	struct cast_screen_stream from_stream;
	uint8_t pk[32];		/* its signing public key */
	bool lock;		/* watch only: input captured */
	/**
	 * The teacher's film to some students (`ctl cinema play --to`):
	 * `from` names the film, not a student.
	 */
	bool film;
	/**
	 * The stream has sound: Opus on from_stream.port + 2 (RTCP + 3),
	 * same SRTP key and signing key; the seat plays it instead of the
	 * teacher's voice while it shows the stream (docs/recording.md).
	 */
	bool audio;
};

/*
 * One command. Only the member of its type is meaningful; texts are UTF-8,
 * NUL-terminated, within the limits of cast/control.h. It is large (a
 * message body is 16 KiB): allocate it, don't put many on a stack.
 */
struct cast_command {
	enum cast_command_type type;
	union {
		struct {
			char notice[CAST_NOTICE_MAX];	/* "" : the default */
		} lock;
		struct {
			char title[CAST_NOTICE_MAX];
			char text[CAST_TEXT_MAX];	/* not empty */
		} message;
		struct {
			char text[CAST_NOTICE_MAX];	/* not empty */
			int seconds;			/* 1..3600, default 30 */
		} marquee;
		struct {
			unsigned set;			/* CAST_WM_SET_* */
			struct cast_watermark wm;
		} watermark;
		struct {
			char lang[8];			/* zh_CN, zh_TW, en */
		} language;
		struct {
			char url[CAST_NOTICE_MAX];	/* http:// or https:// */
		} web;
		struct {
			enum cast_power_action action;
		} power;
		struct {
			int64_t time_us;		/* teacher's wall clock */
		} clock_set;
		struct cast_file_offer file_offer;
		struct {
			char folder[512];	/* cast_homework_path_check */
			uint32_t collection;
		} collect;
		struct {
			bool on;			/* "on=0|1", required */
		} voice;
		struct cast_cmd_screen_send screen_send;
		struct cast_cmd_screen_show screen_show;
		struct {
			bool on;	/* the teacher holds this seat's input */
		} remote;
		struct {
			/* One word of cast/input.h ("click=X,Y", …). */
			char word[CAST_REMOTE_WORD_MAX];
		} input;
		struct {
			/* "on=0|1": the teacher's broadcast runs, or it
			 * stopped it (no media comes until it starts again). */
			bool on;
		} broadcast;
	} u;
};

/** Zeroes `*c`, sets its type and the type's defaults. */
CAST_API void cast_command_init(struct cast_command *c,
				enum cast_command_type type);

/** The command's wire name ("lock", …), or NULL for an unknown type. */
CAST_API const char *cast_command_name(enum cast_command_type type);
/** The type of a wire name, or 0. */
CAST_API enum cast_command_type cast_command_type_of(const char *name);

/**
 * Checks `c` and appends its arguments to `out` (zero-initialised by the
 * caller, freed with cast_args_free). Returns 0, -EINVAL (unknown type, a
 * value out of its range, an empty required text, a URL that is not
 * http(s), a bad path or language), -EMSGSIZE (a text over its limit),
 * -ENOMEM.
 */
CAST_API int cast_command_encode(const struct cast_command *c,
				 struct cast_args *out);

/**
 * Decodes and checks a received command (`name`, and arguments as the
 * COMMAND carried them). `*out` is written on success only. Returns 0,
 * -ENOSYS (a command this version does not know), -EINVAL (malformed
 * arguments, an unknown argument, a value out of range or of the wrong
 * form, a required one missing), -EMSGSIZE (a text over its limit).
 */
CAST_API int cast_command_decode(const char *name, const uint8_t *args,
				 size_t len, struct cast_command *out);

/**
 * Builds a command of `type` from "key=value" words as a teacher types them
 * (`cast-teacher ctl lock notice=…`): each word whole, each key once, only
 * the keys the command takes, every value checked as cast_command_decode
 * checks it. On error `why` says which word is wrong and what the command
 * takes. Returns 0, -ENOSYS (a type that takes no typed words: file-offer,
 * collect), -EINVAL, -EMSGSIZE (a text over its limit, named), -ENOMEM.
 */
CAST_API int cast_command_parse(enum cast_command_type type, int argc,
				char *const *argv, struct cast_command *out,
				char *why, size_t why_size);

/** What a command takes, for help and error texts ("notice=TEXT"). */
CAST_API const char *cast_command_usage(enum cast_command_type type);

/**
 * Parses "id,name,class,ip" (any subset, any order, "" for none) into
 * CAST_WM_* bits. Returns the bits, or -EINVAL.
 */
CAST_API int cast_wm_fields_parse(const char *s);
/** Writes the bits as "id,name,class,ip" (subset) into `buf`. */
CAST_API void cast_wm_fields_format(unsigned fields, char *buf, size_t size);
/** "tiled", "corner", "center"; cast_wm_place_parse returns -EINVAL. */
CAST_API const char *cast_wm_place_name(enum cast_wm_place p);
CAST_API int cast_wm_place_parse(const char *s);
/** Applies the members `set` names from `from` onto `to`. */
CAST_API void cast_watermark_merge(struct cast_watermark *to, unsigned set,
				   const struct cast_watermark *from);
/** The default: no fields, no text, opacity 30, tiled. */
CAST_API void cast_watermark_default(struct cast_watermark *w);

/* ---- On the student: what the teacher set on this seat ----------------- */

/*
 * The seat carries out the teacher's commands on a student machine within
 * the lab's own settings, keeps what must survive a restart (lock,
 * watermark, language) in its state folder, and runs the lab's programs
 * (web opener, power) on a thread of its own: an outcome is reported when
 * the program has answered, without holding the control connection.
 */
struct cast_seat;

struct cast_seat_cfg {
	/** Folder for the persisted state; NULL: nothing persisted. */
	const char *state_dir;
	/** Program that opens a URL (argv[0]; the URL is argv[1]). */
	const char *open_cmd;
	/** Power commands, run alone without a shell; NULL: `systemctl
	 * poweroff` / `systemctl reboot`. */
	const char *poweroff_cmd;
	const char *reboot_cmd;
	/** URL schemes students may be sent to, comma-separated (default
	 * "http,https"). */
	const char *url_schemes;
	/** May the teacher set this machine's clock. */
	bool allow_clock_set;
	/**
	 * Called on the seat's thread with the outcome of a command that
	 * cast_seat_apply answered CAST_SEAT_LATER (0 or negative errno).
	 */
	void (*on_outcome)(uint32_t cmd_id, int status, void *arg);
	void *arg;
};

/** What the seat shows (a copy: see cast_seat_state). */
struct cast_seat_state {
	uint64_t version;		/* bumped on every change */
	bool locked;
	/* The teacher broadcasts (default), or stopped: the seat's window
	 * steps aside. Never persisted: told again on every join. */
	bool broadcast_on;
	char lock_notice[CAST_NOTICE_MAX];
	struct cast_watermark wm;
	char language[8];
	char marquee[CAST_NOTICE_MAX];
	int64_t marquee_until_us;	/* CLOCK_REALTIME */
	char msg_title[CAST_NOTICE_MAX];
	char msg_text[CAST_TEXT_MAX];
	uint64_t messages;
	bool hand;
	char last_url[CAST_NOTICE_MAX];
	uint64_t urls_opened;
	uint64_t commands, refused;
};

/** What cast_seat_apply returns when the outcome comes later. */
#define CAST_SEAT_LATER 1

CAST_API void cast_seat_cfg_init(struct cast_seat_cfg *cfg);

/**
 * Reads the persisted state (a missing or unreadable file: defaults) and
 * starts the seat's thread. Strings are copied. Errors: -EINVAL, -ENOMEM,
 * thread errors.
 */
CAST_API int cast_seat_new(struct cast_seat **out,
			   const struct cast_seat_cfg *cfg);

/**
 * Carries out one command from the teacher (lock, unlock, message,
 * marquee, watermark, language, web, power, clock-set, reset,
 * broadcast-state): it changes
 * only what the command names. Returns 0, a negative errno (-EPERM: the
 * lab forbids it; -ENOSYS: not a seat command), or CAST_SEAT_LATER: a
 * program runs, and on_outcome reports `cmd_id`'s outcome. Thread-safe.
 */
CAST_API int cast_seat_apply(struct cast_seat *s, const struct cast_command *cmd,
			     uint32_t cmd_id);

/** The student raised or lowered a hand. Thread-safe. */
CAST_API void cast_seat_set_hand(struct cast_seat *s, bool up);
/** Whether the teacher's broadcast runs (not stopped). Thread-safe. */
CAST_API bool cast_seat_broadcast_on(struct cast_seat *s);
/** Whether the teacher locked this seat. Thread-safe. */
CAST_API bool cast_seat_locked(struct cast_seat *s);
/** The state's version (cheap: compare before copying). Thread-safe. */
CAST_API uint64_t cast_seat_version(struct cast_seat *s);
/** Copies the state (large: keep `out` off small stacks). Thread-safe. */
CAST_API void cast_seat_state(struct cast_seat *s, struct cast_seat_state *out);
/** Adds the state as "class":{…} to a JSON object. Thread-safe. */
CAST_API void cast_seat_json(struct cast_seat *s, struct cast_json *j);
/**
 * Opens a received file (or a URL) with the lab's opener, without a
 * command to answer. Returns 0, -ENOSYS (no opener), -ENOMEM.
 */
CAST_API int cast_seat_open(struct cast_seat *s, const char *what);
/**
 * Stops the seat's thread: no outcome is reported after it returns (a
 * program still queued is not run). The state stays readable. Idempotent.
 */
CAST_API void cast_seat_stop(struct cast_seat *s);
/** Stops (cast_seat_stop), frees; a running program is left to finish. */
CAST_API void cast_seat_free(struct cast_seat **s);

/* ---- The broadcast window: who has left the broadcast ------------------ */

/*
 * The student's broadcast window as its app sees it (SDL's window flags),
 * reported to the teacher as an EVENT "view" at once when it changes and
 * on every (re)join; the teacher decides (cast_view_left) and shows it in
 * `ctl class`. docs/protocol.md, "Liveness and the view event".
 */
#define CAST_VIEW_EVENT "view"

struct cast_view {
	bool headless;		/* no window at all: the rest is unused */
	bool fullscreen;	/* full-screen, covering its whole display */
	bool visible;		/* shown: not minimized, hidden or unmapped */
	bool focused;		/* has the keyboard focus (on top) */
	bool picture;		/* has shown a picture of the broadcast */
};

/**
 * How long the window may lack the focus before it counts as not on top:
 * a notification or the lock screen's own grab takes it for a moment.
 */
#define CAST_VIEW_FOCUS_GRACE_MS 1000

/**
 * Sends `v` to the teacher as a CAST_EV_VIEW event
 * (cast_student_send_event: never blocks; queued while disconnected).
 * Returns 0, -EAGAIN (queue full: retry), -EINVAL, -ENOMEM.
 */
CAST_API int cast_view_report(struct cast_student_ctl *ctl,
			      const struct cast_view *v);

/**
 * Reads a view event's arguments (cast_event_decode of a "view" event):
 * `headless=1`, or each of `fullscreen`, `visible`, `focused`, `picture`
 * as 0 or 1 (unknown keys are ignored). Returns 0 (`*v` written),
 * CAST_EMALFORMED (bad list, a key missing or not 0/1).
 */
CAST_API int cast_view_decode(const uint8_t *args, size_t len,
			      struct cast_view *v);

/**
 * Has the student left the broadcast? True when its window has shown the
 * broadcast (`picture`) and is not full-screen, not visible, or has been
 * without the focus for more than CAST_VIEW_FOCUS_GRACE_MS
 * (`unfocused_ms`: how long, 0 while focused). Never for a headless
 * student. Pure.
 */
CAST_API bool cast_view_left(const struct cast_view *v, int64_t unfocused_ms);

/**
 * The one word `ctl class` shows for a student, first that applies:
 * "offline" (connection closed: agent killed or exited), "not responding"
 * (online, silent over CAST_RESPONDING_MS: stopped, or its network cut),
 * "left broadcast" (`left`), "watching" (`watching`: a full-screen window
 * showing the broadcast), "online". Pure; a static string.
 */
CAST_API const char *cast_student_state(const struct cast_student_info *in,
					bool left, bool watching);

/* ---- Events: what a student tells the teacher -------------------------- */

/*
 * Everything a student sends the teacher on its own, one struct per event,
 * encoded and decoded here only (the counterpart of struct cast_command):
 * the student program builds a struct cast_event and sends it
 * (cast_student_send_event); the teacher's control plane decodes every
 * EVENT (cast_event_decode) and the class gets it typed
 * (cast_student_info.event). On the wire an event is an EVENT message: its
 * name and its payload, whose form each type fixes (docs/protocol.md,
 * "Events"). Texts share the commands' limits (cast/control.h).
 */
enum cast_event_type {
	CAST_EV_HAND = 1,	/* "hand": a hand raised or lowered */
	CAST_EV_MESSAGE,	/* "message": a text to the teacher */
	CAST_EV_VIEW,		/* "view": the broadcast window's state */
	CAST_EV_ASSETS,		/* "assets": the machine summary (F23) */
	CAST_EV_FILE,		/* "file": an offered file's outcome */
	CAST_EV_HOMEWORK,	/* "hw": a homework chunk (homework.h) */
	CAST_EV_COUNT_
};

/** Longest name of an event on the wire, with its NUL. */
#define CAST_EVENT_NAME_MAX 64
/** An asset summary: one JSON object, in bytes with the NUL. */
#define CAST_EVENT_ASSETS_MAX 4096
/** Smallest and largest homework chunk an event carries (a DATA chunk
 * with CAST_HW_DATA_MAX bytes is the largest). */
#define CAST_EVENT_HW_MIN CAST_HW_HDR_SIZE
#define CAST_EVENT_HW_MAX (CAST_HW_DATA_HDR_SIZE + CAST_HW_DATA_MAX)

/*
 * One event. Only the member of its type is meaningful; texts are UTF-8,
 * NUL-terminated, within their limits. About 4 KiB: keep it off small
 * stacks where many are kept.
 */
struct cast_event {
	enum cast_event_type type;
	union {
		struct {
			bool up;
		} hand;
		struct {
			/* Not empty; newlines and tabs kept. */
			char text[CAST_NOTICE_MAX];
		} message;
		struct cast_view view;
		struct {
			/* One JSON object (cast_json_validate_object). */
			char json[CAST_EVENT_ASSETS_MAX];
		} assets;
		struct {
			uint32_t transfer_id;	/* the offer's, not 0 */
			int32_t status;		/* 0 or -errno */
			/* The offer's path (cast_file_path_check). */
			char path[CAST_FILE_PATH_MAX];
		} file;
		struct {
			/*
			 * The chunk as cast_homework_send made it, borrowed:
			 * after decode it points into the decoded payload.
			 * Decoding checks its size and common header (version,
			 * kind, reserved); the rest, which depends on the
			 * chunks before it, cast_homework_rx_event checks.
			 */
			const uint8_t *chunk;
			size_t len;
			/* Read from its header by decode (encode sends the
			 * chunk as it is): */
			int kind;			/* enum cast_hw_kind */
			uint32_t collection;
		} homework;
	} u;
};

/** Zeroes `*e` and sets its type. */
CAST_API void cast_event_init(struct cast_event *e, enum cast_event_type type);

/** The event's wire name ("hand", …), or NULL for an unknown type. */
CAST_API const char *cast_event_name(enum cast_event_type type);
/** The type of a wire name, or 0. */
CAST_API enum cast_event_type cast_event_type_of(const char *name);

/**
 * Checks `e` and writes its payload into `buf` (`size` bytes); with buf
 * NULL returns the size needed. Returns the payload's length, -EINVAL
 * (unknown type, an empty message, a text or path not valid, an assets
 * text that is not one JSON object, a file without id or with a positive
 * status, a homework chunk whose header is not one), -EMSGSIZE (a text
 * over its limit, a chunk over CAST_EVENT_HW_MAX), -ENOSPC (buf too
 * small), -ENOMEM.
 */
CAST_API int cast_event_encode(const struct cast_event *e, uint8_t *buf,
			       size_t size);

/**
 * Decodes and checks a received event (`name`, and the payload as the
 * EVENT carried it). `*out` is written on success only; a homework chunk
 * borrows `payload`. Returns 0, -ENOSYS (an event this version does not
 * know), -EINVAL (malformed: a hand neither "up" nor "down", a text with a
 * NUL or not UTF-8, an empty message, a view or file list that does not
 * read, assets that are not one JSON object, a chunk with a bad header),
 * -EMSGSIZE (a text or chunk over its limit).
 */
CAST_API int cast_event_decode(const char *name, const uint8_t *payload,
			       size_t len, struct cast_event *out);

/**
 * Sends `e` to the teacher (cast_event_encode, then
 * cast_student_ctl_send_event: never blocks, queued while disconnected).
 * Returns 0, what cast_event_encode refuses, -EAGAIN (queue full: retry),
 * -ENOMEM. Thread-safe.
 */
CAST_API int cast_student_send_event(struct cast_student_ctl *s,
				     const struct cast_event *e);

/**
 * The same for a stream's part that belongs to connection `session` only
 * (homework chunks): cast_student_ctl_send_event_wait, which waits up to
 * `timeout_ms` for room. Returns 0, what cast_event_encode refuses,
 * -ECONNRESET, -ETIMEDOUT, -ENOMEM. Thread-safe.
 */
CAST_API int cast_student_send_event_wait(struct cast_student_ctl *s,
					  uint64_t session,
					  const struct cast_event *e,
					  int timeout_ms);

/* ---- On the teacher: the class ---------------------------------------- */

/*
 * The teacher's side of the class: what it set (lock, watermark, language:
 * re-applied to a student that rejoins), what students sent (hands,
 * messages, replies, asset summaries, homework), the roster and this
 * lesson's attendance, files handed out. Every console action is a call
 * here; `cast-teacher ctl` reaches them through cast_class_ctl. Work that
 * takes time (hashing files, CSV, homework on disk, waiting for students'
 * replies) runs on the class's own worker thread, never on the control
 * plane's network thread. docs/classroom.md lists the actions.
 */
struct cast_class;

struct cast_class_cfg {
	int channel;			/* 1..999 */
	const char *iface;		/* for files and Wake-on-LAN; NULL */
	const char *roster_path;	/* SQLite file; NULL: in memory */
	const char *lesson;		/* title; NULL: the date and time */
	/** Collected homework goes to <homework_root>/<lesson>/<student>/;
	 * NULL: no collection. */
	const char *homework_root;
	/** This teacher's custom menu (F16); NULL: not kept. */
	const char *settings_path;
	const char *wol_addr;		/* default 255.255.255.255 */
	uint16_t wol_port;		/* default 9 */
};

CAST_API void cast_class_cfg_init(struct cast_class_cfg *cfg);

/**
 * Opens the roster, begins the lesson, starts the worker. Strings in cfg
 * are copied. Errors: the roster's (cast_roster_open), -ENOMEM, thread
 * errors.
 */
CAST_API int cast_class_new(struct cast_class **out,
			    const struct cast_class_cfg *cfg);

/**
 * Attaches the control plane, made with cast_class_ctl and
 * cast_class_event as its callbacks and the class as their `arg`.
 */
CAST_API void cast_class_set_ctl(struct cast_class *c,
				 struct cast_teacher_ctl *ctl);

/**
 * Sends `cmd` to `to` (NULL: every online student; "all" the same; else
 * student ids separated by commas) and remembers the state it sets for
 * students that rejoin. Returns the number of commands queued; -EINVAL (a
 * bad command, or an unknown student); the answer for a console (command
 * ids, offline students, or the error) in a malloc'd `*json` when `json`
 * is not NULL.
 */
CAST_API int cast_class_command(struct cast_class *c, const char *to,
				const struct cast_command *cmd, char **json);

/**
 * Adds a `ctl` verb served by another part of the teacher (recorder, voice,
 * whiteboard, …): cast_class_ctl hands it every request whose first word is
 * `verb`, whole (argv[0] is the verb, "--to IDS" left in place), without
 * the class's lock held; `cb` answers like any cast_ctl_command_cb
 * (CAST_CTL_LATER included). Register before the control plane starts;
 * a built-in verb cannot be replaced. Errors: -EINVAL (bad verb, a
 * built-in or already added), -ENOSPC (CAST_CLASS_VERBS_MAX added).
 */
#define CAST_CLASS_VERBS_MAX 16
CAST_API int cast_class_add_verb(struct cast_class *c, const char *verb,
				 cast_ctl_command_cb *cb, void *arg);

/*
 * The "voice" ctl verb: `voice on|off [--to IDS] [--lock]` (docs/voice.md).
 * It turns the teacher's voice sender on or off, tells the students who
 * plays it (everyone, or nobody but IDS), and with --lock locks the
 * listeners while the teacher speaks; what it locked, it unlocks.
 */
struct cast_voice_sender;
struct cast_voice_ctl;
/**
 * A voice verb for class `cls` driving sender `v` (both borrowed, they must
 * outlive it). Errors: -EINVAL (NULL), -ENOMEM.
 */
CAST_API int cast_voice_ctl_new(struct cast_voice_ctl **out,
				struct cast_class *cls,
				struct cast_voice_sender *v);
CAST_API void cast_voice_ctl_free(struct cast_voice_ctl **vc);
/** cast_ctl_command_cb (`arg` a cast_voice_ctl): answers in JSON. */
CAST_API char *cast_voice_ctl(int argc, char **argv, uint64_t req, void *arg);

/*
 * The "broadcast" ctl verb: `broadcast on|off|status` (docs/console.md).
 * Off stops the teacher's sender (nothing grabbed, encoded or sent; the
 * recording pauses) and tells every seat (the command "broadcast-state",
 * re-sent to every seat that joins): their broadcast windows step aside.
 * On starts it again, keyframe first. Always for the whole class.
 */
struct cast_sender;
struct cast_recorder;
struct cast_broadcast_ctl;
/**
 * A broadcast verb for class `cls` driving `sender` and pausing `rec` (NULL:
 * none), all borrowed, outliving it. Errors: -EINVAL (NULL), -ENOMEM.
 */
CAST_API int cast_broadcast_ctl_new(struct cast_broadcast_ctl **out,
				    struct cast_class *cls,
				    struct cast_sender *sender,
				    struct cast_recorder *rec);
CAST_API void cast_broadcast_ctl_free(struct cast_broadcast_ctl **bc);
/**
 * Starts or stops the broadcast, as the verb does (any thread). Returns the
 * number of students told, -EINVAL.
 */
CAST_API int cast_broadcast_set(struct cast_broadcast_ctl *bc, bool on);
/** Whether the broadcast runs. */
CAST_API bool cast_broadcast_on(struct cast_broadcast_ctl *bc);
/** cast_ctl_command_cb (`arg` a cast_broadcast_ctl): answers in JSON. */
CAST_API char *cast_broadcast_ctl(int argc, char **argv, uint64_t req,
				  void *arg);

/** cast_ctl_command_cb: one `cast-teacher ctl` command, answered in JSON. */
CAST_API char *cast_class_ctl(int argc, char **argv, uint64_t req, void *arg);
/** cast_student_event_cb: joins (state re-applied), events, replies. */
CAST_API void cast_class_event(const struct cast_student_info *info,
			       enum cast_student_event ev, void *arg);
/** Adds "class":{hands, messages, locked…} to a stats line. */
CAST_API void cast_class_json(struct cast_class *c, struct cast_json *j);
/** Stops the worker (finishing what it has), ends the lesson, frees. */
CAST_API void cast_class_free(struct cast_class **c);

#endif
