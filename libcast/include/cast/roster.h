/* Class roster: students, lessons and attendance in one SQLite file; CSV. */
#ifndef CAST_ROSTER_H
#define CAST_ROSTER_H

#include "control.h"
#include "defs.h"

/** Longest text field in bytes (UTF-8), in the database and in CSV files. */
#define CAST_ROSTER_FIELD_MAX 256
/** Most data rows one CSV import accepts. */
#define CAST_ROSTER_MAX_ROWS 10000
/** Room for an IPv4 or IPv6 address in text, with its NUL. */
#define CAST_ROSTER_IP_SIZE 46
/** Room for "aa:bb:cc:dd:ee:ff" with its NUL. */
#define CAST_ROSTER_MAC_SIZE 18

/**
 * An open roster. Every function is safe to call from any thread (one lock
 * per roster), but a callback must not call back into the same roster.
 */
struct cast_roster;

/** One student. Text is UTF-8 and NUL-terminated; "" when unknown. */
struct cast_roster_entry {
	char id[CAST_ROSTER_FIELD_MAX + 1];
	char name[CAST_ROSTER_FIELD_MAX + 1];
	char class_name[CAST_ROSTER_FIELD_MAX + 1];
	char ip[CAST_ROSTER_IP_SIZE];
	char mac[CAST_ROSTER_MAC_SIZE];	/* lower-case, colon-separated */
	char host[CAST_ROSTER_FIELD_MAX + 1];
	char notes[CAST_ROSTER_FIELD_MAX + 1];
	int64_t first_seen_us;		/* first sign-in, 0: never signed in */
	int64_t last_seen_us;		/* latest sign-in, 0: never */
};

/**
 * Receives one student; `e` is valid during the call only. Return 0 to go
 * on; anything else stops the walk (a negative value is returned by the
 * walking function).
 */
typedef int(cast_roster_entry_cb)(const struct cast_roster_entry *e,
				  void *arg);

enum cast_attend_state {
	CAST_ATTEND_ABSENT = 0,		/* nothing recorded, or marked absent */
	CAST_ATTEND_SIGNED_IN = 1,
	CAST_ATTEND_LEFT = 2,
};

/** One student's attendance in one lesson. */
struct cast_attend_record {
	struct cast_roster_entry student;
	enum cast_attend_state state;	/* the latest recorded state */
	bool present;			/* state is SIGNED_IN or LEFT */
	int64_t first_us;		/* first sign-in in the lesson, 0: none */
	int64_t last_us;		/* latest recorded event, 0: none */
};

/** Like cast_roster_entry_cb, for attendance records. */
typedef int(cast_attend_cb)(const struct cast_attend_record *rec, void *arg);

struct cast_roster_lesson {
	int64_t id;
	char title[CAST_ROSTER_FIELD_MAX + 1];
	int64_t begin_us;
	int64_t end_us;			/* 0: not ended */
};

/** Like cast_roster_entry_cb, for lessons. */
typedef int(cast_roster_lesson_cb)(const struct cast_roster_lesson *l,
				   void *arg);

/**
 * Opens (creating if needed) the roster database at `path` (":memory:" for
 * a private in-memory one), brings its schema up to date and switches it to
 * WAL mode. `*out` is written only on success; close it with
 * cast_roster_close. Errors: -EINVAL, -ENOMEM, the open errno (e.g.
 * -EACCES), CAST_EMALFORMED (not a database, or corrupt),
 * -EPROTONOSUPPORT (written by a newer libcast), CAST_EEXTERNAL (other
 * SQLite failures, logged).
 */
CAST_API int cast_roster_open(struct cast_roster **out, const char *path);

/** Closes the roster and writes NULL to `*r`. NULL and *r == NULL are no-ops. */
CAST_API void cast_roster_close(struct cast_roster **r);

/**
 * Records that student `id` signed in at `when_us` (wall clock, µs): adds
 * the student if new, else updates what the sign-in says. NULL or "" for
 * `name`, `class_name`, `ip` or `host`, and NULL or all-zero for the 6-byte
 * `mac`, keep what the roster already holds (e.g. an imported name).
 * Returns 1 if the student was new, 0 if known. Errors: -EINVAL (empty id,
 * a field over CAST_ROSTER_FIELD_MAX bytes or not UTF-8, control
 * characters or surrounding spaces in the id, a bad IP address), and the
 * database errors of cast_roster_open.
 */
CAST_API int cast_roster_upsert_seen(struct cast_roster *r, const char *id,
				     const char *name, const char *class_name,
				     const char *ip, const uint8_t *mac,
				     const char *host, int64_t when_us);

/** Sets the teacher's notes on a student. Errors: -ENOENT, -EINVAL, db. */
/**
 * cast_roster_upsert_seen of a student's identity as the teacher knows it:
 * keyed by its seat id (`who->id`), with its name, class, address, MAC and
 * hostname. Same returns.
 */
CAST_API int cast_roster_seen(struct cast_roster *r,
			      const struct cast_identity *who,
			      int64_t when_us);

/**
 * The identity a roster row describes (id, name, class, address, MAC,
 * host; the rest ""), e.g. to show a student that has not joined yet next
 * to those online. `*out` is written on success only. Returns 0, -EINVAL (a
 * bad MAC), -ENAMETOOLONG (a field longer than the identity holds).
 */
CAST_API int cast_roster_entry_identity(const struct cast_roster_entry *e,
					struct cast_identity *out);

CAST_API int cast_roster_set_notes(struct cast_roster *r, const char *id,
				   const char *notes);

/** Copies student `id` into `*out`. Errors: -ENOENT, -EINVAL, db. */
CAST_API int cast_roster_get(struct cast_roster *r, const char *id,
			     struct cast_roster_entry *out);

/**
 * Calls `cb` (may be NULL to just count) for every student, sorted by id in
 * natural order ("s2" before "s10"). Returns the number of students
 * visited, or the callback's negative value, or a database error.
 */
CAST_API int cast_roster_list(struct cast_roster *r, cast_roster_entry_cb *cb,
			      void *arg);

/** Removes a student and their attendance. Errors: -ENOENT, -EINVAL, db. */
CAST_API int cast_roster_remove(struct cast_roster *r, const char *id);

/** Removes every student, lesson and attendance record ("reset settings"). */
CAST_API int cast_roster_clear(struct cast_roster *r);

/**
 * Starts a lesson titled `title` (NULL: "") at `when_us` and writes its id
 * to `*lesson_id`. Errors: -EINVAL, db.
 */
CAST_API int cast_roster_lesson_begin(struct cast_roster *r, const char *title,
				      int64_t when_us, int64_t *lesson_id);

/** Ends a lesson. Errors: -ENOENT, -EALREADY (already ended), db. */
CAST_API int cast_roster_lesson_end(struct cast_roster *r, int64_t lesson_id,
				    int64_t when_us);

/** Calls `cb` for every lesson, oldest first. Returns as cast_roster_list. */
CAST_API int cast_roster_lessons(struct cast_roster *r,
				 cast_roster_lesson_cb *cb, void *arg);

/**
 * Records a student's attendance event in a lesson. The record keeps the
 * state with the latest time, the first sign-in time and the latest event
 * time; CAST_ATTEND_ABSENT is the teacher marking the student absent.
 * Errors: -ENOENT (no such lesson or student), -EINVAL, db.
 */
CAST_API int cast_roster_attend(struct cast_roster *r, int64_t lesson_id,
				const char *student_id,
				enum cast_attend_state state, int64_t when_us);

/**
 * Calls `cb` for every student now on the roster (natural id order) with
 * their attendance in the lesson; students with nothing recorded are
 * absent. Returns as cast_roster_list; -ENOENT if there is no such lesson.
 */
CAST_API int cast_roster_attendance(struct cast_roster *r, int64_t lesson_id,
				    cast_attend_cb *cb, void *arg);

/** "signed_in", "left" or "absent" ("?" for anything else). */
CAST_API const char *cast_attend_state_name(enum cast_attend_state state);

/** Import flag: also remove students the file doesn't list. */
#define CAST_ROSTER_IMPORT_REPLACE 1u

/**
 * Imports students from CSV text (see docs/roster.md): UTF-8, RFC 4180
 * quoting, a header naming at least id,name,class,ip,mac (any order, any
 * case; host and notes are read too, other columns ignored; a BOM is
 * skipped). Each row adds the student or replaces the fields the row gives;
 * an empty cell keeps the stored value. All or nothing: on the first bad
 * line nothing changes, and `err` (if not NULL) receives
 * "NAME:LINE: reason", `name` labelling the text (NULL: "roster.csv").
 * Returns the number of rows imported. Errors: CAST_EMALFORMED (bad file),
 * -EINVAL, db errors (with a line in `err` too).
 */
CAST_API int cast_roster_import_csv_buf(struct cast_roster *r,
					const char *data, size_t size,
					const char *name, unsigned flags,
					char *err, size_t err_size);

/**
 * Reads the file at `path` (at most 64 MiB) and imports it like
 * cast_roster_import_csv_buf, naming it `path` in errors. Also: the open
 * or read errno, -EFBIG.
 */
CAST_API int cast_roster_import_csv(struct cast_roster *r, const char *path,
				    unsigned flags, char *err, size_t err_size);

/**
 * Writes the roster as CSV (UTF-8 with BOM, CRLF, header
 * id,name,class,ip,mac,host,notes, natural id order) to a new buffer in
 * `*out` (NUL-terminated, length in `*len`; free() it). Errors: -EINVAL,
 * -ENOMEM, db.
 */
CAST_API int cast_roster_export_csv_buf(struct cast_roster *r, char **out,
					size_t *len);

/**
 * Writes the roster CSV to `path` atomically: a temporary file beside it,
 * synced, then renamed over it (mode 0600: it holds personal data). On any
 * failure the old file is untouched. Errors: the file errno, as above.
 */
CAST_API int cast_roster_export_csv(struct cast_roster *r, const char *path);

/**
 * Writes one lesson's attendance to `path` atomically as CSV with header
 * id,name,class,ip,present,state,first,last (times in local ISO 8601, empty
 * when none). Errors: -ENOENT (no such lesson), as cast_roster_export_csv.
 */
CAST_API int cast_roster_export_attendance_csv(struct cast_roster *r,
					       int64_t lesson_id,
					       const char *path);

#endif
