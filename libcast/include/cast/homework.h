/* Homework collection: student folders to per-student teacher folders. */
#ifndef CAST_HOMEWORK_H
#define CAST_HOMEWORK_H

#include "defs.h"

/*
 * docs/homework.md is the design and security reference for this header.
 *
 * A student's folder travels as a sequence of control EVENTs named
 * CAST_HW_EVENT over the authenticated, encrypted control connection
 * (cast_student_ctl_send_event → CAST_STUDENT_EVENT). The teacher files every
 * chunk under the id of the connection it came on (never under anything the
 * chunk says), in <root>/<lesson>/<student id>/<relative path>.
 *
 * Chunk format, version 1, all integers big-endian, every length explicit;
 * a chunk's size must equal exactly the size its kind and lengths give:
 *
 *   common header (8 bytes)
 *     u8  version            CAST_HW_VERSION (1)
 *     u8  kind               enum cast_hw_kind
 *     u16 reserved           0
 *     u32 collection_id      chosen by the teacher's request (0: the
 *                            student submits on its own)
 *   BEGIN   u32 file_index, u64 size, u8 sha256[32], u16 path_len,
 *           path[path_len]   (UTF-8, no NUL, 1 .. CAST_HW_PATH_MAX - 1)
 *   DATA    u32 file_index, u64 offset, u32 data_len (1 .. CAST_HW_DATA_MAX),
 *           data[data_len]   (offsets strictly consecutive from 0)
 *   END     u32 file_index
 *   ABORT   u32 file_index, i32 error (negative errno: the sender gave the
 *           file up, e.g. -ESTALE when it changed while being sent)
 *   DONE    u32 file_count (files the sender completed with END),
 *           i32 status (0, or why the submission stopped, e.g. -EFBIG)
 *   PLAN    u32 file_count, u64 total_bytes (what the listing found; for
 *           progress, and it starts the submission afresh)
 *
 * One file is BEGIN, DATA… (none for an empty file), END; a submission is
 * PLAN, its files in order, then DONE (a submission over the limits or of a
 * folder that cannot be opened is only DONE).
 */

/** Name of every homework EVENT. */
#define CAST_HW_EVENT "hw"
#define CAST_HW_VERSION 1
/** Size of the common chunk header. */
#define CAST_HW_HDR_SIZE 8
/** Fixed part of a BEGIN (header included), before the path bytes. */
#define CAST_HW_BEGIN_SIZE 54
/** Fixed part of a DATA (header included), before the data bytes. */
#define CAST_HW_DATA_HDR_SIZE 24
#define CAST_HW_END_SIZE 12
#define CAST_HW_ABORT_SIZE 16
#define CAST_HW_DONE_SIZE 16
#define CAST_HW_PLAN_SIZE 20
/** Most data bytes in one DATA chunk (so a chunk stays far below
 * CAST_MSG_ARGS_MAX). */
#define CAST_HW_DATA_MAX (256u << 10)
/** Longest relative path, including its NUL. */
#define CAST_HW_PATH_MAX 512
/** Most components in a relative path ("a/b/c" has 3). */
#define CAST_HW_DEPTH_MAX 16
/** Longest path component in bytes: NAME_MAX less ".partial". */
#define CAST_HW_NAME_MAX 247
/** Longest student id or lesson name in bytes (without NUL). */
#define CAST_HW_ID_MAX 63
/** Most students one receiver keeps state for. */
#define CAST_HW_STUDENTS_MAX 4096

enum cast_hw_kind {
	CAST_HW_BEGIN = 1,
	CAST_HW_DATA = 2,
	CAST_HW_END = 3,
	CAST_HW_ABORT = 4,
	CAST_HW_DONE = 5,
	CAST_HW_PLAN = 6,
};

/** Bounds on one submission; both sides enforce them. */
struct cast_homework_limits {
	uint32_t max_files;       /* per submission; default 1000 */
	uint64_t max_file_bytes;  /* per file; default 1 GiB */
	uint64_t max_total_bytes; /* per submission; default 1 GiB */
	/**
	 * Receiver only: bytes one student may announce over the receiver's
	 * whole life, all submissions together (a student resubmitting under
	 * new collection ids can't fill the disk); default 4 GiB.
	 */
	uint64_t max_student_bytes;
};

/** Fills the defaults above. */
CAST_API void cast_homework_limits_init(struct cast_homework_limits *lim);

/**
 * Checks that `rel_path` is a relative path the receiver accepts:
 * non-empty, shorter than CAST_HW_PATH_MAX, valid UTF-8 without control
 * characters (C0, DEL, C1), bidirectional overrides or backslashes;
 * components separated by single '/', none empty, none starting with '.'
 * (so no "..", no hidden files), each at most CAST_HW_NAME_MAX bytes, at
 * most CAST_HW_DEPTH_MAX of them; the last does not end in ".partial".
 * Returns 0, -EINVAL or -ENAMETOOLONG.
 */
CAST_API int cast_homework_path_check(const char *rel_path);

/**
 * Checks that `name` (a student id or a lesson name) makes one safe path
 * component: the component rules of cast_homework_path_check, at most
 * CAST_HW_ID_MAX bytes, no '/'. Returns 0, -EINVAL or -ENAMETOOLONG.
 */
CAST_API int cast_homework_name_check(const char *name);

/* ---- Student: sender ------------------------------------------------- */

/**
 * Delivers one chunk (`len` bytes, borrowed for the call) as an EVENT named
 * `event_name`. Return 0, or a negative error that stops the sending.
 *
 * In production this is cast_student_ctl_send_event_wait, which waits
 * while the control connection's queue is full (back-pressure) and fails
 * with -ECONNRESET once the connection the submission began on is gone; a
 * callback that dropped chunks would make every affected file fail its
 * check on the teacher.
 */
typedef int(cast_homework_send_cb)(const char *event_name, const void *args,
                                   size_t len, void *arg);

/**
 * Sends every regular file under `folder` (recursively, in name order;
 * `folder` itself must not be a symbolic link: -ELOOP;
 * symbolic links are never followed, hidden entries and special files are
 * skipped; entries whose relative path cast_homework_path_check refuses are
 * skipped with a warning) as the chunks described above, then DONE.
 *
 * The folder is listed first and checked against `lim` (NULL: defaults):
 * more than max_files files, a file over max_file_bytes or a total over
 * max_total_bytes sends no file at all, only a DONE with file_count 0 and
 * status -EFBIG, and returns -EFBIG. Each file is hashed (SHA-256) before
 * its BEGIN and hashed again while it is sent; a file that changed in
 * between gets an ABORT instead of its END and is not counted.
 *
 * `student_id` is only used in log lines (may be NULL): the teacher files
 * chunks under the id of the connection, never one the student names.
 *
 * Returns the number of files sent (END sent), or: -EINVAL (bad argument),
 * -EFBIG (limits), -ESTALE (a file changed while being sent; the others were
 * sent and DONE carries -ESTALE), -ELOOP / -ENOTDIR / -ENOENT / -EACCES /
 * -EIO … (the folder or a file; DONE carries the error), -ENOMEM,
 * CAST_EEXTERNAL (hashing failed), or the first error `send` returned
 * (nothing more is sent after it).
 */
CAST_API int cast_homework_send(const char *folder, const char *student_id,
                                uint32_t collection_id,
                                cast_homework_send_cb *send, void *arg,
                                const struct cast_homework_limits *lim);

/**
 * cast_homework_send of `folder` (a relative path that must pass
 * cast_homework_path_check, else -EINVAL) inside `root`: `root` is opened
 * as given (the lab's choice, e.g. the home folder; it may be a link), then
 * every component of `folder` is opened relative to its parent with
 * O_NOFOLLOW | O_DIRECTORY, so a link anywhere from `root` down (the folder
 * itself, a folder on the way to it, one inside it) is never followed: the
 * folder or a component on the way being a link gives -ELOOP/-ENOTDIR (sent
 * as DONE's status), links inside are skipped. Same returns as
 * cast_homework_send.
 */
CAST_API int cast_homework_send_in(const char *root, const char *folder,
                                   const char *student_id,
                                   uint32_t collection_id,
                                   cast_homework_send_cb *send, void *arg,
                                   const struct cast_homework_limits *lim);

/* ---- Teacher: receiver ----------------------------------------------- */

/** A student's progress in its current (or last) submission. */
struct cast_homework_status {
	char student_id[CAST_HW_ID_MAX + 1];
	uint32_t collection_id;   /* of the current or last submission */
	bool in_progress;         /* a submission started, no DONE yet */
	bool done;                /* the submission's DONE arrived */
	uint32_t files_announced; /* DONE's file_count */
	uint32_t files_expected;  /* PLAN's file_count (0: no PLAN yet) */
	uint64_t bytes_expected;  /* PLAN's total_bytes */
	uint32_t files_done;      /* verified and stored under the final name */
	uint32_t files_failed;    /* refused, aborted or failed verification */
	uint32_t chunks_rejected; /* chunks refused (each also returned) */
	uint64_t bytes;           /* bytes of the files_done files */
	char current[CAST_HW_PATH_MAX]; /* file being received, "" none */
	uint64_t current_size;          /* its announced size */
	uint64_t current_bytes;         /* bytes of it received so far */
	int last_error;                 /* latest error (negative), 0 none */
};

struct cast_homework_rx;

/**
 * Opens a receiver that stores into <root>/<lesson>/. `root` (trusted,
 * chosen by the teacher) is created if missing (one level) and may be a
 * symbolic link; `lesson` must pass cast_homework_name_check and is created
 * if missing, never followed if it is a symbolic link. `lim` NULL: defaults.
 * Errors: -EINVAL, -ENAMETOOLONG, -ENOMEM, -ENOTDIR (root or lesson is
 * not a folder; lesson is a symbolic link), the errno of mkdir/open
 * (-EACCES, …).
 */
CAST_API int cast_homework_rx_new(struct cast_homework_rx **out,
                                  const char *root, const char *lesson,
                                  const struct cast_homework_limits *lim);

/**
 * Closes the receiver; files still being received are removed (their
 * .partial files deleted). Writes NULL. NULL-safe.
 */
CAST_API void cast_homework_rx_free(struct cast_homework_rx **rx);

/**
 * Consumes one CAST_HW_EVENT chunk (`args`, `len`: the EVENT's args) that
 * arrived on the connection of `student_id` (the id of the connection, as in
 * cast_student_info.id). Each student's chunks must be given in arrival
 * order; students are independent. Data is written to
 * <root>/<lesson>/<student>/<path>.partial (directories created, every
 * component opened relative to its parent without following symbolic
 * links; an existing .partial is replaced, never written through) and
 * renamed to <path> at END only if the size and SHA-256 match.
 *
 * Returns 0 (chunk accepted), 1 (this END stored a verified file), 2 (this
 * DONE ended the submission; an accepted ABORT returns 0, fails the file
 * and sets last_error -ECANCELED), or a negative error for a refused chunk
 * (chunks_rejected counted). While a file is being received, any refused
 * chunk also fails that file (its .partial removed, files_failed counted);
 * so does a refused BEGIN. Errors: CAST_EMALFORMED (truncated,
 * oversize, bad version/kind/reserved, path with NUL), -EINVAL (bad
 * student id or path: see the checks above, or a bad argument), -ENAMETOOLONG,
 * -EFBIG (announced size or a DATA past it, over a limit), -EPROTO (out of
 * sequence: DATA/END/ABORT without BEGIN, wrong index or collection, a gap
 * or overlap in offsets), -EBADMSG (END with a wrong size or SHA-256),
 * -ENOSPC (CAST_HW_STUDENTS_MAX), -ENOTDIR / -ELOOP / -EISDIR (a
 * symbolic link or a non-folder where a folder goes, or the reverse), the
 * errno of mkdir/open/write/rename, CAST_EEXTERNAL (hashing). Thread-safe.
 */
CAST_API int cast_homework_rx_event(struct cast_homework_rx *rx,
                                    const char *student_id, const void *args,
                                    size_t len);

/**
 * The student's connection ended: the file being received (if any) fails
 * and its .partial is removed; the submission stops being in progress.
 * Returns 0, -ENOENT (unknown student) or -EINVAL. Thread-safe.
 */
CAST_API int cast_homework_rx_abort(struct cast_homework_rx *rx,
                                    const char *student_id);

/**
 * Copies one student's status into `*st`. Returns 0, -ENOENT (no chunk
 * from this student yet) or -EINVAL. Thread-safe.
 */
CAST_API int cast_homework_rx_status(struct cast_homework_rx *rx,
                                     const char *student_id,
                                     struct cast_homework_status *st);

/**
 * Copies up to `max` students' status (in the order they first sent) into
 * `arr` (may be NULL with max 0). Returns the number of students known
 * (which may exceed `max`: only `max` are copied). Thread-safe.
 */
CAST_API int cast_homework_rx_list(struct cast_homework_rx *rx,
                                   struct cast_homework_status *arr,
                                   size_t max);

#endif
