/* Control plane: signed discovery beacons, control messages, teacher/student. */
#ifndef CAST_CONTROL_H
#define CAST_CONTROL_H

#include "defs.h"
#include "key.h"
#include "srtp.h"

/*
 * docs/protocol.md ("Discovery" and "Control") is the wire reference for
 * everything in this header.
 */

/* ---- Discovery beacon ------------------------------------------------ */

#define CAST_BEACON_VERSION 2
/**
 * Size of a version-2 beacon: 38 bytes of fields, the teacher's Ed25519
 * public key (32), its signature over those 70 bytes (64), and an
 * HMAC-SHA256 under the class key over all of it (32).
 */
#define CAST_BEACON_SIZE 166

struct cast_beacon {
	uint8_t version;	/* CAST_BEACON_VERSION */
	uint8_t flags;		/* reserved, 0 */
	uint16_t channel;
	uint16_t control_port;	/* the teacher's TCP control port */
	uint32_t teacher_ip;	/* IPv4, host order; 0: the datagram's source */
	uint64_t boot_id;	/* random per teacher start */
	uint64_t counter;	/* +1 per beacon within one boot_id */
	uint64_t time_us;	/* teacher's wall clock (CLOCK_REALTIME) */
	uint8_t teacher_pk[32];	/* parse: the signer (write: key's own) */
};

/**
 * Writes the beacon `b` signed with the teacher's key (key->can_sign) and
 * HMAC'd with key->beacon into `buf`. Returns CAST_BEACON_SIZE, -EINVAL or
 * -ENOSPC (size < CAST_BEACON_SIZE), -EPERM (no signing key),
 * CAST_EEXTERNAL (HMAC failed).
 */
CAST_API int cast_beacon_write(uint8_t *buf, size_t size,
			       const struct cast_beacon *b,
			       const struct cast_key *key);

/**
 * Verifies and parses one beacon datagram. Checks in this order, trusting
 * no field before the MAC: CAST_EMALFORMED (wrong size or magic), -EACCES
 * (MAC does not verify: forged, corrupted, or another class's key; compared
 * in constant time), -EPROTONOSUPPORT (version != 2), -ECHRNG (signed for
 * another channel than `expected_channel`), -EPERM (not signed by a teacher
 * the key lists: another teacher, or a student posing as one). Returns 0
 * and fills `*out` only on success. Replays are not detected here: see
 * cast_beacon_filter.
 */
CAST_API int cast_beacon_parse(const uint8_t *buf, size_t len,
			       const struct cast_key *key,
			       int expected_channel, struct cast_beacon *out);

/*
 * Replay filter for verified beacons: remembers the highest counter of the
 * last CAST_BEACON_BOOTS boot ids and accepts a beacon only if its counter
 * is higher than the one remembered for its boot id (a new boot id is
 * accepted and replaces the least recently seen one). Plain data, no
 * allocation; not thread-safe on its own.
 */
#define CAST_BEACON_BOOTS 8

struct cast_beacon_filter {
	struct {
		uint64_t boot_id;
		uint64_t counter;
		uint64_t last_use;
	} boot[CAST_BEACON_BOOTS];
	unsigned n;
	uint64_t uses;
};

CAST_API void cast_beacon_filter_init(struct cast_beacon_filter *f);
/** Returns 0 (fresh, remembered) or -EALREADY (replayed or duplicate). */
CAST_API int cast_beacon_filter_check(struct cast_beacon_filter *f,
				      const struct cast_beacon *b);

/* ---- Control messages ------------------------------------------------ */

/*
 * Inside TLS each message is framed as a u32 big-endian length (1 ..
 * CAST_MSG_MAX) followed by the message: u16 type, u16 version (1), then
 * fields as TLV (u16 tag, u32 length, bytes), all big-endian.
 */
#define CAST_MSG_VERSION 1
#define CAST_MSG_MAX (1u << 20)
#define CAST_MSG_STATS_MAX 2048	  /* STATS JSON, bytes */
#define CAST_MSG_STATE_MAX (256u << 10) /* WELCOME class state */
#define CAST_MSG_ARGS_MAX (512u << 10)	 /* COMMAND args, REPLY body */

enum cast_msg_type {
	CAST_MSG_HELLO = 1,	      /* student → teacher, first message */
	CAST_MSG_WELCOME = 2,	      /* teacher → student: media, state */
	CAST_MSG_PING = 3,	      /* either way: time_us */
	CAST_MSG_PONG = 4,	      /* echo_time_us, peer_time_us */
	CAST_MSG_STATS = 5,	      /* student → teacher: JSON counters */
	CAST_MSG_UNICAST_REQUEST = 6, /* student → teacher: udp_port */
	CAST_MSG_COMMAND = 7,	      /* teacher → student: cmd_id, name, args */
	CAST_MSG_REPLY = 8,	      /* student → teacher: cmd_id, status */
	CAST_MSG_EVENT = 9,	      /* student → teacher: cmd_name, cmd_args */
	CAST_MSG_HEARTBEAT = 10,      /* student → teacher, every 1 s: no field */
};

/* ---- Student identity ------------------------------------------------ */

/*
 * Who a student is, one shape everywhere: the HELLO it sends, the control
 * plane's list of students, the class, the roster and `ctl class`. The
 * teacher keys everything it knows of a student by `id`, its seat id as
 * the class sees it; address, hostname and machine id are hints only and
 * never join anything (docs/protocol.md, "Seat identity and conflicts").
 * Strings are UTF-8 without control characters, NUL-terminated.
 */
/* Size of id, presented_id and class_name, with the NUL. */
#define CAST_IDENTITY_ID_MAX 64

struct cast_identity {
	/*
	 * The seat id the teacher gives: `presented_id`, or "<id>#2", "#3"…
	 * for another machine presenting an id already online (cloned seats,
	 * a mistyped --id). Set by the teacher; not on the wire.
	 */
	char id[CAST_IDENTITY_ID_MAX];
	/* What the student presents: --id (a sign-in), else its seat id
	 * (cast_student_seat_id: "seat-<MAC>", the same on every boot). */
	char presented_id[CAST_IDENTITY_ID_MAX];
	char name[128];			/* signed-in name */
	char class_name[CAST_IDENTITY_ID_MAX];
	char host[256];			/* hostname (hint) */
	char machine_id[64];		/* /etc/machine-id (hint: clones
					   share it) */
	uint8_t mac[6];			/* lab interface's; 0: unknown */
	char ip[16];			/* connection's address (hint) */
};

/** Media parameters the teacher hands out in WELCOME. */
struct cast_media_params {
	struct cast_media_key key;	/* SRTP master key + salt */
	uint32_t ssrc;
	char group[16];			/* IPv4 dotted quad */
	uint16_t port;			/* video RTP port */
	uint16_t channel;
	/**
	 * Student side: the public key of the teacher that sent them, proved
	 * on this connection (the stream must carry its signatures). Not
	 * sent as such: WELCOME's teacher_pk.
	 */
	uint8_t teacher_pk[32];
};

/*
 * One decoded (or to-be-encoded) message. Only the fields of its type are
 * meaningful (see docs/protocol.md). Strings are NUL-terminated copies and
 * never contain control characters or invalid UTF-8. Blob pointers
 * (class_state, stats_json, cmd_args, body) borrow: after decode they point
 * into the buffer given to cast_msg_decode and live as long as it does;
 * stats_json is not NUL-terminated.
 */
struct cast_msg {
	uint16_t type;			/* enum cast_msg_type */
	uint16_t version;		/* CAST_MSG_VERSION */
	/* HELLO: presented_id, name, class_name, host, machine_id, mac (all
	 * zero: unknown, not sent); id and ip are the teacher's, never sent. */
	struct cast_identity hello;
	/* WELCOME */
	struct cast_media_params media;
	/* The teacher's public key and its signature binding this TLS
	 * session to it (docs/security.md, "The control connection"). */
	uint8_t teacher_pk[32];
	uint8_t teacher_sig[64];
	const uint8_t *class_state;
	size_t class_state_len;
	/* PING / PONG */
	uint64_t time_us;		/* PING: sender's wall clock */
	uint64_t echo_time_us;		/* PONG: the PING's time_us */
	uint64_t peer_time_us;		/* PONG: responder's wall clock */
	/* STATS */
	const char *stats_json;
	size_t stats_json_len;
	/* UNICAST_REQUEST */
	uint16_t udp_port;
	/* COMMAND / REPLY */
	uint32_t cmd_id;
	char cmd_name[64];
	const uint8_t *cmd_args;
	size_t cmd_args_len;
	int32_t status;			/* REPLY: 0 or negative errno */
	const uint8_t *body;
	size_t body_len;
};

/** Zeroes `*m` and sets its type and version. */
CAST_API void cast_msg_init(struct cast_msg *m, enum cast_msg_type type);

/**
 * Encodes `m` (without the frame length) into `buf`. With buf == NULL
 * returns the size needed. Returns the length, -EINVAL (unknown type, a
 * string not terminated within its array, a bad group address, a blob over
 * its limit or with a NULL pointer), -ENOSPC (buf too small), -EMSGSIZE
 * (over CAST_MSG_MAX).
 */
CAST_API int cast_msg_encode(const struct cast_msg *m, uint8_t *buf,
			     size_t size);

/**
 * Decodes one message (without the frame length). Bounds-checks every
 * field; skips unknown tags (and tags that do not belong to the type);
 * CAST_EMALFORMED for a truncated header or field, a duplicate field, a
 * fixed-size field of the wrong size, an oversize string or blob, a string
 * with NUL, control characters or bad UTF-8, a STATS that is not a JSON
 * object, or a required field missing. -EPROTONOSUPPORT for version != 1,
 * -ENOMSG for an unknown type (ignore it). `*m` is written only on success
 * and borrows `buf` (see struct cast_msg).
 */
CAST_API int cast_msg_decode(const uint8_t *buf, size_t len,
			     struct cast_msg *m);

/**
 * Strict RFC 8259 check that `s` (length `len`, no NUL needed) is one JSON
 * object, nested at most 8 deep. Returns 0 or CAST_EMALFORMED. The teacher
 * runs it on every STATS before it stores or re-emits the text.
 */
CAST_API int cast_json_validate_object(const char *s, size_t len);

/* ---- Command arguments ---------------------------------------------- */

/*
 * The arguments of a COMMAND (and of the EVENTs and state files that use
 * the same form): "key=value" items, each terminated by a NUL, so a value
 * carries any text (spaces, tabs, newlines, quotes) whole. Keys are
 * [a-z0-9_-], 1..31 bytes, each at most once; values are UTF-8 without
 * NUL. The whole is at most CAST_MSG_ARGS_MAX bytes.
 */
#define CAST_ARGS_KEY_MAX 32

/*
 * Text limits of the classroom commands, in bytes of UTF-8 with the
 * terminating NUL, the same on the teacher (which refuses a longer text
 * whole, naming the limit) and the student (which refuses it too, never
 * cutting it): a message's body; everything else a teacher types (lock
 * notice, marquee, message title, watermark text, web address).
 */
#define CAST_TEXT_MAX (16u << 10)
#define CAST_NOTICE_MAX 2048

/** A growing argument list; zero-initialise it, free with cast_args_free. */
struct cast_args {
	uint8_t *buf;
	size_t len, cap;
	int err;		/* first error of an add, kept */
};

/**
 * Appends key=value. Returns 0, -EINVAL (bad key, a key already present,
 * value not UTF-8), -E2BIG (over CAST_MSG_ARGS_MAX), -ENOMEM; the first
 * error is also kept in a->err so a chain of adds can be checked once.
 */
CAST_API int cast_args_add(struct cast_args *a, const char *key,
			   const char *value);
/** Like cast_args_add with a printf-formatted value. */
CAST_API int cast_args_addf(struct cast_args *a, const char *key,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
CAST_API void cast_args_free(struct cast_args *a);

/**
 * Checks a received argument list: every item NUL-terminated, keys well
 * formed and unique, values UTF-8. Returns 0 or CAST_EMALFORMED.
 */
CAST_API int cast_args_check(const uint8_t *args, size_t len);

/**
 * Finds `key` in `args` and copies its value (NUL-terminated) to `out`.
 * Returns 1 (found), 0 (absent: `out` is ""), -EMSGSIZE (the value does
 * not fit in `size`: `out` is "", never a cut value). Use it on lists
 * cast_args_check accepted.
 */
CAST_API int cast_args_get(const uint8_t *args, size_t len, const char *key,
			   char *out, size_t size);

/**
 * Reads `key` as a whole decimal integer in [min, max]. Returns 1 (found
 * and valid, `*out` set), 0 (absent), -EINVAL (not a number, or out of
 * range).
 */
CAST_API int cast_args_get_int(const uint8_t *args, size_t len,
			       const char *key, long long min, long long max,
			       long long *out);

/* ---- Clock offset filter --------------------------------------------- */

/*
 * Estimates a peer's clock offset from PING/PONG exchanges the way NTP's
 * clock filter does (RFC 5905): it keeps the last CAST_CLOCK_SAMPLES
 * samples (round trip, offset) and reports the offset of the sample with
 * the smallest round trip. An exchange that waited somewhere (a peer busy
 * before it answered, or we busy before we read the answer) only has a
 * longer round trip and is passed over; the true offset is within half the
 * chosen round trip of the estimate.
 *
 * Each sample bounds the offset to [offset - rtt/2, offset + rtt/2]. A new
 * sample whose interval misses an older one's means a clock was stepped
 * (or drifted) since: the older samples no longer describe the clocks and
 * are dropped. Plain data, no allocation; not thread-safe on its own.
 */
#define CAST_CLOCK_SAMPLES 8

struct cast_clock_sample {
	int64_t rtt_us;			/* round trip, >= 0 */
	int64_t offset_us;		/* peer clock - our clock */
};

struct cast_clock_filter {
	struct cast_clock_sample s[CAST_CLOCK_SAMPLES]; /* oldest first */
	unsigned n;
	int64_t last_rtt_us;		/* the latest sample's, -1: none */
	uint64_t samples;		/* accepted since init */
	uint64_t dropped;		/* samples dropped as out of date */
};

CAST_API void cast_clock_filter_init(struct cast_clock_filter *f);

/**
 * Adds one exchange: `sent_us` is our clock when the PING left, `peer_us`
 * the peer's clock when it answered, `recv_us` our clock when the PONG
 * arrived (wall clock, µs since 1970; each in [0, 2^61)). The oldest sample
 * makes room when the filter is full. Returns the number of older samples
 * dropped as inconsistent with this one (0 or more), -EINVAL (a time out of
 * range), or -ERANGE (recv_us < sent_us: our clock was stepped back during
 * the exchange; the sample is not used and every older one is dropped, as
 * they were measured against the clock before the step).
 */
CAST_API int cast_clock_filter_add(struct cast_clock_filter *f,
				   int64_t sent_us, int64_t peer_us,
				   int64_t recv_us);

/**
 * The estimate: the offset (peer - ours) and the round trip of the kept
 * sample with the smallest round trip (the newest of equals). Either output
 * may be NULL. Returns 0, or -ENODATA when no sample is kept (outputs
 * untouched).
 */
CAST_API int cast_clock_filter_get(const struct cast_clock_filter *f,
				   int64_t *offset_us, int64_t *rtt_us);

/* ---- Teacher --------------------------------------------------------- */

enum cast_student_event {
	CAST_STUDENT_JOINED = 1,	 /* HELLO accepted, WELCOME sent */
	CAST_STUDENT_LEFT = 2,		 /* connection closed or dropped */
	CAST_STUDENT_STATS = 3,		 /* new STATS (info->stats_json) */
	CAST_STUDENT_UNICAST_REQUEST = 4, /* info->unicast_port */
	CAST_STUDENT_REPLY = 5,		 /* info->last_cmd_id/_status, reply */
	CAST_STUDENT_EVENT = 6,		 /* info->event_name/_args */
};

struct cast_event; /* cast/class.h */

/** A student not heard from for longer than this is "not responding". */
#define CAST_RESPONDING_MS 2500

/** One student in the teacher's roster (a copy; plain data). */
struct cast_student_info {
	/*
	 * The student's identity (`ident`, struct cast_identity); its members
	 * are also reachable by their own names (info->id, info->name…),
	 * the same bytes.
	 */
	union {
		struct cast_identity ident;
		struct {
			char id[CAST_IDENTITY_ID_MAX];
			char presented_id[CAST_IDENTITY_ID_MAX];
			char name[128];
			char class_name[CAST_IDENTITY_ID_MAX];
			char host[256];
			char machine_id[64];
			uint8_t mac[6];
			char ip[16];
		};
	};
	uint16_t port;
	int64_t connected_us;		/* wall clock of the last join */
	int64_t last_seen_us;		/* wall clock of the last message */
	bool online;
	/*
	 * Heard from within CAST_RESPONDING_MS (students send a HEARTBEAT
	 * every second): false for an agent stopped or cut off from the
	 * network long before it is dropped as silent (15 s), and while
	 * offline. silent_ms: since its last message (monotonic), -1
	 * offline. Both as of the copy (cast_teacher_ctl_students).
	 */
	bool responding;
	double silent_ms;
	double rtt_ms;			/* last PING round trip, -1: none */
	/* Student clock - teacher clock, from the fastest of the last
	 * CAST_CLOCK_SAMPLES PINGs (struct cast_clock_filter): within half
	 * clock_rtt_ms of the truth. 0 with no sample yet. */
	double clock_offset_ms;
	double clock_rtt_ms;		/* that PING's round trip, -1: none */
	int clock_samples;		/* samples the filter holds */
	uint16_t unicast_port;		/* 0: none requested */
	/*
	 * Another machine is online with the same student id (cloned seats
	 * presenting one identity, or a typo in --id): both are kept, the
	 * later one under "<id>#<n>"; these name one of the others. Updated
	 * as seats join and leave.
	 */
	bool conflict;
	char conflict_with[64];		/* the other's roster id */
	char conflict_ip[16];		/* the other's address */
	uint32_t last_cmd_id;
	int32_t last_cmd_status;
	char stats_json[CAST_MSG_STATS_MAX + 1]; /* last STATS, "" none */
	/*
	 * Valid during a CAST_STUDENT_EVENT / CAST_STUDENT_REPLY callback
	 * only (NULL otherwise, and in copies): what the student sent. An
	 * EVENT comes decoded and checked (cast_event_decode, cast/class.h)
	 * in `event`; NULL for a name this version does not know, and for
	 * one that does not decode, whose error is in `event_error`
	 * (counted in events_refused; use nothing of it but its name).
	 */
	const struct cast_event *event;
	int event_error;
	const char *event_name;
	const uint8_t *event_args;
	size_t event_args_len;
	const uint8_t *reply_body;
	size_t reply_body_len;
};

/**
 * A command from the local control socket that the control plane does not
 * answer itself (anything but "stats" and "students"): `argc` arguments,
 * argv[0] the command name, each argument whole (it may hold spaces, tabs,
 * newlines, quotes). The strings live during the call; the callback may
 * reorder the argv array. Called on the teacher's network thread, which it
 * must not hold up: work that takes time (hashing, disk, waiting for
 * students) goes elsewhere. Returns a malloc'd JSON document (freed by the
 * caller), NULL for "unknown command", or CAST_CTL_LATER to answer later
 * with cast_teacher_ctl_answer(t, req, …) (`req` names this request; the
 * student's own socket, cast_ctl_server, does not take later answers).
 */
typedef char *(cast_ctl_command_cb)(int argc, char **argv, uint64_t req,
				    void *arg);

/** What a cast_ctl_command_cb returns to answer later. */
CAST_API extern char cast_ctl_later_tag;
#define CAST_CTL_LATER (&cast_ctl_later_tag)

/**
 * Called on the teacher's network thread; `info` is valid during the call
 * only. Keep it short: the thread serves every student.
 */
typedef void(cast_student_event_cb)(const struct cast_student_info *info,
				    enum cast_student_event event, void *arg);

struct cast_teacher_ctl_cfg {
	int channel;			/* 1..999, required */
	const struct cast_key *key;	/* required; copied */
	/** Interface (name or IPv4) for beacons and teacher_ip; NULL: route. */
	const char *iface;
	/** Control listen address; NULL: any. */
	const char *bind_addr;
	/** Control TCP port: 0 the channel's, -1 ephemeral (tests). */
	int control_port;
	int max_students;		/* default 256 */
	int beacon_interval_ms;		/* default 1000 */
	/**
	 * Beacon destinations: NULL for the channel's group and beacon port,
	 * else a comma-separated list of "ipv4[:port]" (unicast or multicast,
	 * up to 64; port defaults to the channel's beacon port) — for subnets
	 * without multicast routing, and for tests on loopback.
	 */
	const char *beacon_dest;
	/**
	 * Unix control socket: NULL for $XDG_RUNTIME_DIR/libcast-teacher-
	 * <channel>.sock (or /run/libcast/… without XDG_RUNTIME_DIR), "" for
	 * none. Created mode 0600.
	 */
	const char *ctl_socket;
	struct cast_media_params media;	/* handed out in WELCOME */
	cast_student_event_cb *on_student_event;
	/** Other control socket commands (may be NULL). */
	cast_ctl_command_cb *on_ctl_command;
	void *arg;
};

/** Counters since start. */
struct cast_teacher_ctl_stats {
	uint64_t beacons_sent;
	uint64_t beacon_errors;
	uint64_t connections;		/* TCP connections accepted */
	uint64_t auth_failures;		/* TLS handshakes that failed */
	uint64_t handshake_timeouts;	/* no handshake within 5 s, or no
					 * byte within 1 s of connecting */
	uint64_t rejected_full;		/* over max_students, or every slot
					 * held by a student */
	uint64_t handshakes_evicted;	/* unfinished handshakes closed to
					 * make room for a newcomer */
	uint64_t protocol_errors;	/* malformed/oversize, connection closed */
	uint64_t events_refused;	/* EVENTs not decoded, dropped */
	uint64_t timeouts;		/* silent for 15 s */
	uint64_t joins, leaves;
	unsigned students_online;
};

struct cast_teacher_ctl;

/** Fills defaults (max_students 256, beacon 1000 ms, control_port 0). */
CAST_API void cast_teacher_ctl_cfg_init(struct cast_teacher_ctl_cfg *cfg);

/**
 * Creates the TLS context, control listen socket, beacon socket and unix
 * control socket, and starts the network thread. Errors: -EINVAL (bad
 * channel/address/no key), -EADDRINUSE (port or ctl socket in use, e.g.
 * another teacher on this channel), -ENAMETOOLONG (ctl socket path), -ENODEV
 * (iface), CAST_EEXTERNAL (OpenSSL), socket errno. The key and media are
 * copied; on error nothing is left running.
 */
CAST_API int cast_teacher_ctl_new(struct cast_teacher_ctl **out,
				  const struct cast_teacher_ctl_cfg *cfg);

/** The TCP port actually listened on (useful with control_port -1). */
CAST_API int cast_teacher_ctl_port(const struct cast_teacher_ctl *t);

/**
 * Copies up to `max` roster entries (online first, then recently left)
 * into `arr`. Thread-safe. Returns the number copied.
 */
CAST_API int cast_teacher_ctl_students(struct cast_teacher_ctl *t,
				       struct cast_student_info *arr, int max);

/** Copies the counters. Thread-safe. */
CAST_API void cast_teacher_ctl_stats(struct cast_teacher_ctl *t,
				     struct cast_teacher_ctl_stats *st);

/**
 * Replaces the media parameters and sends a new WELCOME to every online
 * student (rekey). Thread-safe. Returns 0.
 */
CAST_API int cast_teacher_ctl_set_media(struct cast_teacher_ctl *t,
					const struct cast_media_params *media);

/**
 * Replaces the class state blob sent in every later WELCOME (copied, at
 * most CAST_MSG_STATE_MAX). Thread-safe. Returns 0, -EINVAL, -ENOMEM.
 */
CAST_API int cast_teacher_ctl_set_class_state(struct cast_teacher_ctl *t,
					      const void *state, size_t len);

/**
 * Queues a COMMAND to the student with id `student_id` (NULL: all online
 * students). `name` at most 63 bytes, `args` copied (at most
 * CAST_MSG_ARGS_MAX). Replies arrive as CAST_STUDENT_REPLY events.
 * Thread-safe. Returns the command id (> 0), -EINVAL, -ENOMEM.
 */
CAST_API int cast_teacher_ctl_command(struct cast_teacher_ctl *t,
				      const char *student_id, const char *name,
				      const void *args, size_t len);

/**
 * Answers the local control request `req` that its callback deferred with
 * CAST_CTL_LATER (`json` copied). Meanwhile the client hears a '\n' (JSON
 * white space) every second, and gets {"ok":false,…} after 15 minutes. An
 * answer whose client has gone is dropped. Thread-safe. Returns 0,
 * -EINVAL, -ENOMEM.
 */
CAST_API int cast_teacher_ctl_answer(struct cast_teacher_ctl *t, uint64_t req,
				     const char *json);

/**
 * Holds (`hold` true) or releases the reading of every welcomed student's
 * connection: what students send waits in their TCP windows, so a consumer
 * that falls behind (homework to disk) slows the senders instead of
 * dropping what they sent. Beacons, commands and the control socket go on;
 * no student is dropped as silent while held. Thread-safe.
 */
CAST_API void cast_teacher_ctl_hold(struct cast_teacher_ctl *t, bool hold);

/** Stops the thread, closes every connection and socket, frees. NULL-safe. */
CAST_API void cast_teacher_ctl_free(struct cast_teacher_ctl **t);

/* ---- Local control socket ------------------------------------------ */

/*
 * The teacher's and the student's local control sockets (unix, mode 0600)
 * take one request per connection, framed so that a partial or oversize
 * request can never run: a u32 big-endian length (1 ..
 * CAST_CTL_REQUEST_MAX), then that many bytes: the arguments, each
 * terminated by a NUL (argv[0] the command). The answer is one JSON
 * document, then the server closes the connection.
 */
#define CAST_CTL_REQUEST_MAX (256u << 10)
#define CAST_CTL_ARGC_MAX 64
#define CAST_CTL_REPLY_MAX (64u << 20)

/**
 * Frames `argc` (1 .. CAST_CTL_ARGC_MAX) arguments into a malloc'd buffer
 * (`*out`, `*len` written on success only). Returns 0, -EINVAL (no
 * argument, or more than CAST_CTL_ARGC_MAX), -E2BIG (over
 * CAST_CTL_REQUEST_MAX), -ENOMEM.
 */
CAST_API int cast_ctl_frame_encode(int argc, const char *const *argv,
				   uint8_t **out, size_t *len);

/**
 * Parses the frame at the start of `buf` (`len` bytes received so far).
 * Returns the frame's whole size (> 0) with argv[0 .. *argc-1] pointing
 * into `buf`; 0 when more bytes are needed; -E2BIG as soon as the header
 * announces more than CAST_CTL_REQUEST_MAX; CAST_EMALFORMED for an empty
 * frame, one whose last argument is not terminated, over `max` arguments
 * (at most CAST_CTL_ARGC_MAX), an empty command name, or text that is not
 * UTF-8. `*argc` and argv are written only when a frame is returned.
 */
CAST_API int cast_ctl_frame_parse(const uint8_t *buf, size_t len, int *argc,
				  char **argv, int max);

/**
 * Client of a local control socket (for the CLIs and tests): sends one
 * request and reads the answer into a malloc'd NUL-terminated `*reply`
 * (written on success only; free it). Waits at most 5 s. Returns the
 * reply length, -EINVAL, -E2BIG (request over the limit: nothing sent),
 * -EMSGSIZE (answer over CAST_CTL_REPLY_MAX), -ENAMETOOLONG, -ETIMEDOUT,
 * -ENOMEM, or the socket calls' errno (-ENOENT, -ECONNREFUSED: nobody
 * serves it).
 */
CAST_API int cast_ctl_request(const char *socket_path, int argc,
			      const char *const *argv, char **reply);

/**
 * A local control socket served on a thread of its own (the student's
 * actions): one framed request per connection, answered by `cb` (the
 * reply freed here; NULL: "unknown command"). A client must send its
 * request within 1 s.
 */
struct cast_ctl_server;

/**
 * Listens on `path` (mode 0600; a stale socket is replaced). Returns 0,
 * -EADDRINUSE (a live server already answers there), -ENAMETOOLONG,
 * -ENOMEM, or the socket calls' errno.
 */
CAST_API int cast_ctl_server_new(struct cast_ctl_server **out,
				 const char *path, cast_ctl_command_cb *cb,
				 void *arg);
/** Stops the thread, removes the socket, frees. NULL-safe. */
CAST_API void cast_ctl_server_free(struct cast_ctl_server **srv);

/** Default unix control socket path of a channel into `buf`. 0 or -ENOSPC. */
CAST_API int cast_ctl_socket_path(int channel, char *buf, size_t size);

/* ---- Seat identity ---------------------------------------------------- */

/*
 * Lab PCs are cloned from one image (same /etc/machine-id, same home
 * folder) and restored at every boot, then given an address and hostname
 * per seat. What differs between clones and survives a restore is the lab
 * interface's MAC, so a student started without an id presents
 * "seat-<12 lowercase hex digits of that MAC>"; hostname and address
 * travel in HELLO as hints for the teacher. Nothing is written to disk.
 * See docs/protocol.md ("Seat identity").
 */

/**
 * The MAC of the lab interface: `iface` (a name, or an IPv4 address held
 * by an interface) if given; else the interface of the IPv4 default route
 * (lowest metric); else the first non-loopback interface with a non-zero
 * MAC. `mac` is written on success only. Returns 0, -ENODEV (no such
 * interface, or it has no MAC), -EINVAL, or getifaddrs's errno.
 */
CAST_API int cast_student_mac(const char *iface, uint8_t mac[6]);

/**
 * The seat id from what was found: "seat-" and the 12 hex digits of `mac`
 * when it is known (not all zero, not NULL); else "host-<hostname>" (the
 * hostname is set per seat after cloning) unless it is empty or
 * "localhost". Writes `buf` (NUL-terminated; "" on -ENOSPC). Pure: no
 * system call. Returns the length, -ENODEV (neither), -ENOSPC, -EINVAL.
 */
CAST_API int cast_student_seat_id_make(const uint8_t mac[6],
				       const char *hostname, char *buf,
				       size_t size);

/**
 * The id the teacher knows a HELLO's student by before conflicts are
 * resolved: its presented id, else the seat id cast_student_seat_id_make
 * derives from its MAC (else its hostname); never its address. Writes
 * `buf` (NUL-terminated). Pure. Returns the length, -ENODEV (no id, MAC
 * or hostname: the HELLO is refused), -ENOSPC, -EINVAL.
 */
CAST_API int cast_identity_presented(const struct cast_identity *who,
				     char *buf, size_t size);

/**
 * This machine's seat id: cast_student_seat_id_make with the MAC of
 * cast_student_mac(iface) and, without one, gethostname. Returns what
 * cast_student_seat_id_make returns.
 */
CAST_API int cast_student_seat_id(const char *iface, char *buf, size_t size);

/**
 * The teacher's test when a HELLO brings a student id already online:
 * true when `a` and `b` come from one machine (a reconnect of that seat,
 * which replaces the old connection), false for two machines presenting
 * one id (both are kept and flagged as a conflict). With a MAC known on
 * either side the MACs decide; with both unknown, machine id, hostname
 * and address must all match. Pure.
 */
CAST_API bool cast_student_same_machine(const struct cast_identity *a,
					const struct cast_identity *b);

/* ---- Student --------------------------------------------------------- */

/** New media parameters (first WELCOME, and each later one, e.g. rekey). */
typedef void(cast_welcome_cb)(const struct cast_media_params *media,
			      void *arg);
/** Class state blob from a WELCOME (borrowed for the call). */
typedef void(cast_class_state_cb)(const uint8_t *state, size_t len, void *arg);
struct cast_command; /* cast/class.h */

/**
 * A COMMAND from the authenticated teacher, decoded and checked by
 * cast_command_decode (one that does not decode is refused with that
 * error in the REPLY and never reaches the callback); `cmd` borrowed for
 * the call. Return 0 or a negative errno: it goes back in the REPLY; or
 * CAST_COMMAND_LATER, and report the outcome with cast_student_ctl_reply.
 */
typedef int(cast_command_cb)(const struct cast_command *cmd, uint32_t cmd_id,
			     void *arg);
#define CAST_COMMAND_LATER 1
/**
 * Fills `buf` with one JSON object of the student's counters (see
 * docs/protocol.md, STATS); return its length, or <= 0 to skip this time.
 */
typedef int(cast_stats_json_cb)(char *buf, size_t size, void *arg);

struct cast_student_ctl_cfg {
	int channel;			/* 1..999, required */
	const struct cast_key *key;	/* required; copied */
	const char *iface;		/* interface to join the beacon group */
	/*
	 * Who this student says it is: presented_id (e.g. a sign-in; "": the
	 * seat id, cast_student_seat_id), name, class_name. The library
	 * fills in host, machine id and MAC; id and ip are the teacher's.
	 */
	struct cast_identity identity;
	/**
	 * Where beacons are received: NULL joins the channel's group; an IPv4
	 * address binds it (unicast beacons, tests).
	 */
	const char *beacon_bind;
	uint16_t beacon_port;		/* 0: the channel's beacon port */
	/**
	 * Teacher address to connect to without waiting for a beacon (no
	 * multicast; tests). NULL: discovery.
	 */
	const char *teacher_addr;
	uint16_t teacher_port;		/* 0: the channel's control port */
	int stats_interval_ms;		/* default 5000 */
	cast_welcome_cb *on_welcome;	/* called on the student's thread */
	cast_class_state_cb *on_class_state;
	cast_command_cb *on_command;
	cast_stats_json_cb *stats_json;
	void *arg;
};

struct cast_student_ctl_stats {
	uint64_t beacons_ok;
	uint64_t beacons_rejected;	/* malformed, bad MAC, other channel */
	uint64_t beacons_replayed;	/* also counted in beacons_rejected */
	/** Beacons of a teacher the class key does not list (a student PC
	 * posing as the teacher, another teacher): also in beacons_rejected. */
	uint64_t beacons_untrusted;
	uint64_t auth_failures;		/* TLS handshake refused */
	/** WELCOMEs refused: not proved by a teacher the class key lists. */
	uint64_t untrusted_teachers;
	uint64_t connects;		/* WELCOME received on a connection */
	uint64_t disconnects;
	uint64_t welcomes;
	uint64_t commands;
	uint64_t protocol_errors;
	/** Queued events of a connection that ended before they were sent
	 * (cast_student_ctl_send_event_wait), discarded with it. */
	uint64_t events_discarded;
	/** Events the encoder refused (never sent). */
	uint64_t events_failed;
	/** The teacher's IPv4 address (host order) while connected, else 0. */
	uint32_t teacher_ip;
};

struct cast_student_ctl;

/** Fills defaults (stats every 5000 ms, channel 0 = unset). */
CAST_API void cast_student_ctl_cfg_init(struct cast_student_ctl_cfg *cfg);

/**
 * Opens the beacon socket and starts the student's thread, which finds
 * the teacher, connects, and reconnects by itself whenever the connection
 * drops. Errors: -EINVAL (bad channel/address/no key), -ENODEV, socket
 * errno, CAST_EEXTERNAL (OpenSSL). Strings in cfg are copied.
 */
CAST_API int cast_student_ctl_new(struct cast_student_ctl **out,
				  const struct cast_student_ctl_cfg *cfg);

/** True while connected and welcomed by the teacher. Thread-safe. */
CAST_API bool cast_student_ctl_connected(struct cast_student_ctl *s);

/** Copies the counters. Thread-safe. */
CAST_API void cast_student_ctl_stats(struct cast_student_ctl *s,
				     struct cast_student_ctl_stats *st);

/**
 * Asks the teacher for a unicast copy of the media to local UDP `port`
 * (sent now if connected, and again after each reconnect; 0 cancels).
 * Thread-safe. Returns 0.
 */
CAST_API int cast_student_ctl_request_unicast(struct cast_student_ctl *s,
					      uint16_t port);

/**
 * Sends an EVENT (raise hand, message to the teacher…) to the teacher: now
 * if connected, else when the connection is back. Never blocks and never
 * drops a queued event: at most 64 events wait, and beyond that this
 * returns -EAGAIN (retry later). Queued events go to the connection in
 * order as fast as it takes them (back-pressure from TLS/TCP, not loss).
 * `name` at most 63 bytes, `args` copied (at most CAST_MSG_ARGS_MAX).
 * Thread-safe. Returns 0, -EAGAIN, -EINVAL, -ENOMEM.
 */
CAST_API int cast_student_ctl_send_event(struct cast_student_ctl *s,
					 const char *name, const void *args,
					 size_t len);

/**
 * Waits up to `timeout_ms` until the student is connected and welcomed,
 * and gives the id of that connection in `*session` (each connection gets a
 * new one, never 0). Thread-safe. Returns 0, -ETIMEDOUT, -EINVAL.
 */
CAST_API int cast_student_ctl_session_wait(struct cast_student_ctl *s,
					   int timeout_ms, uint64_t *session);

/**
 * Queues an EVENT that belongs to connection `session` only — a part of a
 * stream such as a homework submission, meaningless on another connection.
 * Waits (on a condition variable, up to `timeout_ms`) while the queue is
 * full: this is the producer's back-pressure; 16 of the 64 slots stay for
 * cast_student_ctl_send_event. When that connection ends, its events still
 * queued are discarded (counted in events_discarded) and every call for it
 * returns -ECONNRESET, so the producer knows to start its stream again on
 * the next connection. Returns 0, -ECONNRESET, -ETIMEDOUT, -EINVAL,
 * -ENOMEM. Thread-safe; must return before cast_student_ctl_free.
 */
CAST_API int cast_student_ctl_send_event_wait(struct cast_student_ctl *s,
					      uint64_t session,
					      const char *name,
					      const void *args, size_t len,
					      int timeout_ms);

/**
 * Waits up to `timeout_ms` until every event of `session` has been written
 * to the connection's socket (the end of a stream). Returns 0, -ECONNRESET
 * (the connection ended first), -ETIMEDOUT, -EINVAL. Thread-safe.
 */
CAST_API int cast_student_ctl_drain(struct cast_student_ctl *s,
				    uint64_t session, int timeout_ms);

/**
 * The REPLY to command `cmd_id` whose callback answered CAST_COMMAND_LATER:
 * `status` 0 or a negative errno. Sent if the connection the command came
 * on is still up (a reply to an older connection is dropped). Thread-safe.
 * Returns 0.
 */
CAST_API int cast_student_ctl_reply(struct cast_student_ctl *s,
				    uint32_t cmd_id, int status);

/** EVENTs queued and not yet handed to the connection. */
CAST_API int cast_student_ctl_pending(struct cast_student_ctl *s);

/** Stops the thread, closes the connection, frees. NULL-safe. */
CAST_API void cast_student_ctl_free(struct cast_student_ctl **s);

#endif
