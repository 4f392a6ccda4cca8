/* File distribution: files and folders to many students by NORM multicast. */
#ifndef CAST_FILES_H
#define CAST_FILES_H

#include "defs.h"

/*
 * docs/files.md is the design and security reference for this header.
 *
 * The teacher describes each file in a cast_file_offer and hands it to the
 * chosen students over the authenticated control connection; NORM (RFC 5740,
 * libnorm) then multicasts only the bytes, tagged with the transfer id. A
 * student writes an object to its inbox only if an offer it was given names
 * that transfer id, the size matches and the SHA-256 of the received bytes
 * equals the offer's. NORM bytes are not encrypted: anyone on the LAN can
 * read a file while it is being sent.
 *
 * Order of operations (teacher): cast_file_offer_make (or
 * cast_file_tree_offers) → send the offers to the students over control and
 * let them call cast_file_receiver_expect → cast_file_sender_send (or
 * _send_tree). An object that arrives before its offer is dropped; sending
 * the same transfer again repairs that (see cast_file_sender_send).
 */

/** Longest rel_path, including its NUL. */
#define CAST_FILE_PATH_MAX 512
/** Most path components in a rel_path ("a/b/c" has 3). */
#define CAST_FILE_DEPTH_MAX 16
/** Most files cast_file_tree_offers lists from one folder. */
#define CAST_FILE_TREE_MAX 10000
/** Most acking nodes (students) one sender tracks. */
#define CAST_FILE_NODES_MAX 1024

/** One file of a distribution, as the teacher announces it over control. */
struct cast_file_offer {
	uint32_t transfer_id; /* non-zero, unique per file per lesson */
	/* Where it lands, relative to the inbox (cast_file_path_check). */
	char rel_path[CAST_FILE_PATH_MAX];
	uint64_t size;	    /* bytes */
	uint8_t sha256[32]; /* of the whole file */
	bool open_after;    /* the student opens it when it is in */
};

/**
 * Checks that `rel_path` is a safe relative path inside an inbox: non-empty,
 * shorter than CAST_FILE_PATH_MAX, valid UTF-8, no control characters or
 * backslashes, components separated by single '/', none empty, none starting
 * with '.' (so no "..", no hidden files), each at most 255 bytes, at most
 * CAST_FILE_DEPTH_MAX of them, no leading '/'. Returns 0, -EINVAL or
 * -ENAMETOOLONG.
 */
CAST_API int cast_file_path_check(const char *rel_path);

/**
 * Fills `*out` for the regular file `path`: size and SHA-256 read from the
 * file, `rel_path` (NULL: the file's base name) checked with
 * cast_file_path_check, `transfer_id` (non-zero), open_after false.
 * Errors: -EINVAL (bad argument or rel_path), -ENAMETOOLONG, -EISDIR /
 * -ENOENT / -EACCES / … (the file), CAST_EEXTERNAL (hashing failed).
 */
CAST_API int cast_file_offer_make(struct cast_file_offer *out, const char *path,
                                  const char *rel_path, uint32_t transfer_id);

/**
 * Lists the regular files under folder `dir` as offers with transfer ids
 * first_transfer_id, first_transfer_id + 1, …, and rel_path
 * "<base name of dir>/<path inside dir>". Symbolic links are never followed
 * (skipped with a warning), nor are hidden entries (names starting with
 * '.') or special files. On success `*out` is a malloc'd array the caller
 * frees with free() and `*count` its length (0 for an empty folder; `*out`
 * is then NULL). Errors: -EINVAL, -ENOTDIR, -E2BIG (more than
 * CAST_FILE_TREE_MAX files), -ENAMETOOLONG, -ENOMEM, the file errors of
 * cast_file_offer_make.
 */
CAST_API int cast_file_tree_offers(const char *dir, uint32_t first_transfer_id,
                                   struct cast_file_offer **out, size_t *count);

/**
 * The NORM node id of a student: FNV-1a of the id it presents and of the
 * MAC of its lab interface (`mac` NULL or all zero: the id alone), never 0
 * or 0xffffffff. Two cloned seats presenting one id differ by their MACs;
 * two students on one machine by their ids. Teacher (from HELLO) and
 * student compute it alike, so no message carries it.
 */
CAST_API uint32_t cast_file_node_id(const char *student_id,
                                    const uint8_t *mac);

/* ---- Sender (teacher) --------------------------------------------------- */

struct cast_file_sender;

/** A target's state for one transfer. */
enum cast_file_status {
	CAST_FILE_PENDING = 0, /* not yet acknowledged */
	CAST_FILE_DONE = 1,    /* the node acknowledged every byte (NORM ACK) */
	CAST_FILE_FAILED = 2,  /* no acknowledgement after every retry */
};

/**
 * Called on the sender's thread when `node_id`'s state for `transfer_id`
 * becomes final (DONE or FAILED). Must not call cast_file_sender_free.
 */
typedef void(cast_file_ack_cb)(uint32_t transfer_id, uint32_t node_id,
                               enum cast_file_status status, void *arg);

struct cast_file_sender_cfg {
	int channel;       /* 1..999 */
	const char *iface; /* multicast interface name; NULL: default */
	const char *group; /* NULL: the channel's group */
	uint16_t port;     /* 0: the channel's CAST_PORT_FILES */
	int ttl;           /* default 1 */
	/**
	 * Sending rate in kbit/s (default 50000). With `congestion_control`
	 * it is the upper bound of NORM-CC's rate instead of a fixed rate.
	 */
	uint32_t rate_kbps;
	bool congestion_control; /* NORM-CC (TFMCC-like), default false */
	/** This sender's NORM node id; 0 (default): derived from its IP. */
	uint32_t node_id;
	/**
	 * A target that has not acknowledged an object this long after its
	 * first pass ended is FAILED (it is off, or gone). Default 30000.
	 */
	unsigned ack_timeout_ms;
	cast_file_ack_cb *on_ack; /* may be NULL */
	void *arg;
};

CAST_API void cast_file_sender_cfg_init(struct cast_file_sender_cfg *cfg);
/**
 * Opens the NORM session (socket bound to the files port) and starts the
 * sender's thread. Errors: -EINVAL (bad cfg), CAST_EEXTERNAL (libnorm
 * refused: socket, interface), -ENOMEM, pthread errors.
 */
CAST_API int cast_file_sender_new(struct cast_file_sender **out,
                                  const struct cast_file_sender_cfg *cfg);
/** Stops the thread, cancels what is still queued, frees; writes NULL. */
CAST_API void cast_file_sender_free(struct cast_file_sender **s);

/**
 * Adds a student's NORM node id to the nodes whose positive
 * acknowledgement is collected (and who are targets of every later
 * cast_file_sender_send). Returns 0, -EEXIST, -ENOSPC (CAST_FILE_NODES_MAX),
 * -EINVAL (0 or 0xffffffff).
 */
CAST_API int cast_file_sender_add_node(struct cast_file_sender *s,
                                       uint32_t node_id);
/** Removes a node; returns 0 or -ENOENT. Its pending states become FAILED. */
CAST_API int cast_file_sender_remove_node(struct cast_file_sender *s,
                                          uint32_t node_id);

/**
 * Queues the regular file `path` as transfer `transfer_id` (non-zero) for
 * every added node. Sending an id again sends the file again as a new NORM
 * object (for a student that joined late or missed it): students that
 * already have it drop the duplicate; the progress of `transfer_id` then
 * follows the newest sending. Returns 0, -EINVAL, -ENOMEM, or the file's
 * errno (-ENOENT, -EISDIR for a non-regular file, …).
 */
CAST_API int cast_file_sender_send(struct cast_file_sender *s, const char *path,
                                   uint32_t transfer_id);
/** Like cast_file_sender_send, with acknowledgements tracked only for the
 * `count` nodes listed (added to the acking nodes if they are not). */
CAST_API int cast_file_sender_send_to(struct cast_file_sender *s,
                                      const char *path, uint32_t transfer_id,
                                      const uint32_t *nodes, size_t count);
/**
 * Queues every offer of a cast_file_tree_offers(dir, …) listing: the file
 * of offer i is dir/<rel_path without its first component>. Each file is
 * checked (regular, not a symbolic link, the offer's size) before it is
 * queued. Returns the number queued, or -EINVAL (an offer not under dir's
 * base name), or the first file error (earlier files stay queued).
 */
CAST_API int cast_file_sender_send_tree(struct cast_file_sender *s,
                                        const char *dir,
                                        const struct cast_file_offer *offers,
                                        size_t count);

/** Summary of one transfer (the newest sending of its id). */
struct cast_file_progress {
	uint32_t transfer_id;
	uint64_t size;
	bool sent;       /* the first pass is on the wire */
	unsigned nodes;  /* targets */
	unsigned done;   /* targets in CAST_FILE_DONE */
	unsigned failed; /* targets in CAST_FILE_FAILED */
};

struct cast_file_node_progress {
	uint32_t node_id;
	enum cast_file_status status;
};

/**
 * Reports transfer `transfer_id` into `*out` and the first `max_nodes`
 * targets into `nodes` (may be NULL with max_nodes 0). Returns the number of
 * node entries written, -ENOENT (unknown id) or -EINVAL.
 */
CAST_API int cast_file_sender_progress(struct cast_file_sender *s,
                                       uint32_t transfer_id,
                                       struct cast_file_progress *out,
                                       struct cast_file_node_progress *nodes,
                                       size_t max_nodes);
/**
 * Waits until transfer `transfer_id` (0: every transfer queued so far) is
 * final for all its targets (a transfer without targets: until it is
 * sent). `timeout_ms` < 0 waits for ever. Returns the number of
 * (transfer, node) pairs that FAILED, -ETIMEDOUT or -ENOENT.
 */
CAST_API int cast_file_sender_wait(struct cast_file_sender *s,
                                   uint32_t transfer_id, int timeout_ms);

/* ---- Receiver (student) ------------------------------------------------- */

struct cast_file_receiver;

/**
 * Called on the receiver's thread once per offer: `status` 0 when the file
 * is verified and in place at `final_path`, or a negative error (-EFBIG:
 * larger than the offer or the maximum; -EBADMSG: SHA-256 mismatch;
 * -ECONNABORTED: the sender aborted; -ELOOP / -ENOTDIR: a symbolic link
 * or a file in the inbox is in the way; an I/O errno). `final_path` is
 * inbox/rel_path in both cases. Must not call cast_file_receiver_free.
 */
typedef void(cast_file_done_cb)(const char *final_path,
                                const struct cast_file_offer *offer, int status,
                                void *arg);

struct cast_file_receiver_stats {
	uint64_t objects_accepted;  /* matched an offer, being received */
	uint64_t files_completed;   /* verified and renamed into place */
	uint64_t objects_rejected;  /* no matching offer (or wrong size) */
	uint64_t objects_duplicate; /* offer already completed */
	uint64_t files_failed;      /* too big, hash mismatch, I/O, aborted */
	uint64_t bytes_completed;
};

struct cast_file_receiver_cfg {
	int channel;       /* 1..999 */
	const char *iface; /* NULL: default */
	const char *group; /* NULL: the channel's group */
	uint16_t port;     /* 0: the channel's CAST_PORT_FILES */
	/** Inbox folder (created if missing); temp files go to
	 * inbox/.cast-incoming. One receiver per inbox. */
	const char *inbox;
	uint32_t node_id;           /* this student's NORM node id, required */
	uint64_t max_file_size;     /* default 4 GiB */
	cast_file_done_cb *on_file; /* may be NULL */
	void *arg;
};

CAST_API void cast_file_receiver_cfg_init(struct cast_file_receiver_cfg *cfg);
/**
 * Opens the inbox and the NORM session and starts the receiver's thread.
 * Leftover temp files of an earlier run are removed. Errors: -EINVAL,
 * the inbox's errno, CAST_EEXTERNAL (libnorm), -ENOMEM.
 */
CAST_API int cast_file_receiver_new(struct cast_file_receiver **out,
                                    const struct cast_file_receiver_cfg *cfg);
/** Stops the thread, deletes partial files, frees; writes NULL. */
CAST_API void cast_file_receiver_free(struct cast_file_receiver **r);
/**
 * Registers an offer that arrived over the authenticated control
 * connection: from now on a NORM object carrying its transfer id and size
 * is received. Re-registering a completed id changes nothing (the
 * duplicate is dropped). Errors: -EINVAL (id 0, rel_path not
 * NUL-terminated) or cast_file_path_check's error, -EFBIG (size over
 * max_file_size), -ENOSPC (too many open offers).
 */
CAST_API int cast_file_receiver_expect(struct cast_file_receiver *r,
                                       const struct cast_file_offer *offer);
CAST_API void cast_file_receiver_get_stats(struct cast_file_receiver *r,
                                           struct cast_file_receiver_stats *st);

#endif
