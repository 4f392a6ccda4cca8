/* Class roster on SQLite: schema migrations, students, attendance, CSV. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cast/csv.h"
#include "cast/error.h"
#include "cast/log.h"
#include "cast/net.h"
#include "cast/roster.h"
#include "core/core_int.h"

#define OBJ "roster"
#define FIELD_MAX CAST_ROSTER_FIELD_MAX
#define MAX_CSV_BYTES (64u << 20)
#define MAX_COLUMNS 64
/* How long opening waits for another process holding the file. */
#define BUSY_WAIT_MS 5000
#define REQUIRED_HEADER "id,name,class,ip,mac"

struct cast_roster {
	sqlite3 *db;
	pthread_mutex_t lock;
};

/*
 * Schema migrations, oldest first: migrations[i] brings a database from
 * version i to i + 1. Never edit a released entry; append a new one.
 */
static const char *const migrations[] = {
	"CREATE TABLE students("
	" id TEXT PRIMARY KEY NOT NULL,"
	" name TEXT NOT NULL DEFAULT '',"
	" class_name TEXT NOT NULL DEFAULT '',"
	" ip TEXT NOT NULL DEFAULT '',"
	" mac TEXT NOT NULL DEFAULT '',"
	" host TEXT NOT NULL DEFAULT '',"
	" notes TEXT NOT NULL DEFAULT '',"
	" first_seen_us INTEGER NOT NULL DEFAULT 0,"
	" last_seen_us INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE lessons("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" title TEXT NOT NULL DEFAULT '',"
	" begin_us INTEGER NOT NULL,"
	" end_us INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE attendance("
	" lesson_id INTEGER NOT NULL"
	"  REFERENCES lessons(id) ON DELETE CASCADE,"
	" student_id TEXT NOT NULL"
	"  REFERENCES students(id) ON DELETE CASCADE ON UPDATE CASCADE,"
	" state TEXT NOT NULL CHECK (state IN ('signed_in','left','absent')),"
	" first_us INTEGER NOT NULL DEFAULT 0,"
	" last_us INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (lesson_id, student_id));"
	"CREATE INDEX attendance_student ON attendance(student_id);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define STUDENT_COLS                                                           \
	"s.id, s.name, s.class_name, s.ip, s.mac, s.host, s.notes, "          \
	"s.first_seen_us, s.last_seen_us"
#define N_STUDENT_COLS 9

/* An empty value keeps what the row holds. */
#define KEEP(col) col " = CASE WHEN excluded." col " <> '' THEN excluded." col \
		      " ELSE " col " END"

static const char sql_upsert_seen[] =
	"INSERT INTO students(id, name, class_name, ip, mac, host,"
	" first_seen_us, last_seen_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
	" ON CONFLICT(id) DO UPDATE SET " KEEP("name") ", " KEEP("class_name")
	", " KEEP("ip") ", " KEEP("mac") ", " KEEP("host") ","
	" first_seen_us = CASE WHEN first_seen_us = 0 OR"
	"  excluded.first_seen_us < first_seen_us"
	"  THEN excluded.first_seen_us ELSE first_seen_us END,"
	" last_seen_us = max(last_seen_us, excluded.last_seen_us)";

static const char sql_upsert_import[] =
	"INSERT INTO students(id, name, class_name, ip, mac, host, notes)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	" ON CONFLICT(id) DO UPDATE SET " KEEP("name") ", " KEEP("class_name")
	", " KEEP("ip") ", " KEEP("mac") ", " KEEP("host") ", " KEEP("notes");

/* Out-of-order events: the state with the latest time wins. */
static const char sql_attend[] =
	"INSERT INTO attendance(lesson_id, student_id, state, first_us, last_us)"
	" VALUES (?1, ?2, ?3, CASE WHEN ?3 = 'signed_in' THEN ?4 ELSE 0 END, ?4)"
	" ON CONFLICT(lesson_id, student_id) DO UPDATE SET"
	" state = CASE WHEN excluded.last_us >= last_us THEN excluded.state"
	"  ELSE state END,"
	" first_us = CASE WHEN excluded.first_us <> 0 AND (first_us = 0 OR"
	"  excluded.first_us < first_us) THEN excluded.first_us"
	"  ELSE first_us END,"
	" last_us = max(last_us, excluded.last_us)";

/* --- SQLite boundary --- */

/* Converts a failed SQLite call's result and logs SQLite's own message. */
static int db_err(sqlite3 *db, int rc, const char *what)
{
	int ret, sys;

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		ret = CAST_ERROR(ENOMEM);
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		ret = CAST_ERROR(EBUSY);
		break;
	case SQLITE_FULL:
		ret = CAST_ERROR(ENOSPC);
		break;
	case SQLITE_READONLY:
		ret = CAST_ERROR(EROFS);
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		ret = CAST_EMALFORMED;
		break;
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		sys = db ? sqlite3_system_errno(db) : 0;
		ret = sys > 0 ? CAST_ERROR(sys) : CAST_EEXTERNAL;
		break;
	default:
		ret = CAST_EEXTERNAL;
		break;
	}
	cast_log(CAST_LOG_ERROR, OBJ, "%s: %s (sqlite %d)", what,
		 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
	return ret;
}

/* Binds ?1, ?2, … from `fmt`: 't' a string (NULL as ""), 'i' an int64_t. */
static int bindv(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 1; *fmt && rc == SQLITE_OK; fmt++, i++) {
		if (*fmt == 't') {
			const char *s = va_arg(ap, const char *);

			rc = sqlite3_bind_text(st, i, s ? s : "", -1,
					       SQLITE_STATIC);
		} else {
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
		}
	}
	return rc;
}

/* Prepares `sql` and binds its parameters; the caller finalizes. */
static int query(sqlite3 *db, sqlite3_stmt **st, const char *sql,
		 const char *fmt, ...)
{
	va_list ap;
	int rc;

	rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	if (rc != SQLITE_OK) {
		*st = NULL;
		return db_err(db, rc, "prepare");
	}
	va_start(ap, fmt);
	rc = bindv(*st, fmt, ap);
	va_end(ap);
	if (rc != SQLITE_OK) {
		int ret = db_err(db, rc, "bind");

		sqlite3_finalize(*st);
		*st = NULL;
		return ret;
	}
	return 0;
}

/* Runs one statement to its end. Returns the rows it changed, or error. */
static int run(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc, ret;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_err(db, rc, "prepare");
	va_start(ap, fmt);
	rc = bindv(st, fmt, ap);
	va_end(ap);
	while (rc == SQLITE_OK || rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	ret = rc == SQLITE_DONE ? sqlite3_changes(db) : db_err(db, rc, "step");
	sqlite3_finalize(st);
	return ret;
}

/* Returns 1 if the query yields a row, 0 if not, or an error. */
static int exists(sqlite3 *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc, ret;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_err(db, rc, "prepare");
	va_start(ap, fmt);
	rc = bindv(st, fmt, ap);
	va_end(ap);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = 1;
	else if (rc == SQLITE_DONE)
		ret = 0;
	else
		ret = db_err(db, rc, "step");
	sqlite3_finalize(st);
	return ret;
}

static int begin(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_err(db, rc, "begin");
}

static int commit(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_err(db, rc, "commit");
}

static void rollback(sqlite3 *db)
{
	/* SQLite may have rolled back already (e.g. after SQLITE_FULL). */
	if (!sqlite3_get_autocommit(db)) {
		int rc = sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);

		if (rc != SQLITE_OK)
			db_err(db, rc, "rollback");
	}
}

/* Copies a text column, cutting at a character boundary if it's too long. */
static void copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= size) {
		n = size - 1;
		while (n && (t[n] & 0xc0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

static void fill_entry(struct cast_roster_entry *e, sqlite3_stmt *st, int c)
{
	copy_col(e->id, sizeof(e->id), st, c);
	copy_col(e->name, sizeof(e->name), st, c + 1);
	copy_col(e->class_name, sizeof(e->class_name), st, c + 2);
	copy_col(e->ip, sizeof(e->ip), st, c + 3);
	copy_col(e->mac, sizeof(e->mac), st, c + 4);
	copy_col(e->host, sizeof(e->host), st, c + 5);
	copy_col(e->notes, sizeof(e->notes), st, c + 6);
	e->first_seen_us = sqlite3_column_int64(st, c + 7);
	e->last_seen_us = sqlite3_column_int64(st, c + 8);
}

/*
 * Natural order: runs of digits compare by value ("s2" < "s10"), other
 * bytes by value; names equal that way ("s01", "s1") fall back to plain
 * byte order, so the collation stays a total order.
 */
static int natural_cmp(void *arg, int na, const void *va, int nb,
		       const void *vb)
{
	const unsigned char *a = va, *b = vb;
	int i = 0, j = 0, c;

	(void)arg;
	while (i < na && j < nb) {
		if (a[i] >= '0' && a[i] <= '9' && b[j] >= '0' && b[j] <= '9') {
			int zi = i, zj = j, ei, ej;

			while (zi < na && a[zi] == '0')
				zi++;
			while (zj < nb && b[zj] == '0')
				zj++;
			for (ei = zi; ei < na && a[ei] >= '0' && a[ei] <= '9';)
				ei++;
			for (ej = zj; ej < nb && b[ej] >= '0' && b[ej] <= '9';)
				ej++;
			if (ei - zi != ej - zj)
				return ei - zi < ej - zj ? -1 : 1;
			c = memcmp(a + zi, b + zj, (size_t)(ei - zi));
			if (c)
				return c < 0 ? -1 : 1;
			i = ei;
			j = ej;
			continue;
		}
		if (a[i] != b[j])
			return a[i] < b[j] ? -1 : 1;
		i++;
		j++;
	}
	if (i < na || j < nb)
		return i < na ? 1 : -1;
	c = memcmp(a, b, (size_t)(na < nb ? na : nb));
	if (c)
		return c < 0 ? -1 : 1;
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

/* --- validation --- */

/* Offset of the first byte that isn't valid UTF-8 (NUL included), or len. */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, min, n;

		if (c == 0)
			return i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

static bool text_ok(const char *s)
{
	size_t n;

	if (!s)
		return true;
	n = strlen(s);
	return n <= FIELD_MAX && utf8_bad((const unsigned char *)s, n) == n;
}

/* Ids are printable and untrimmed, so " s01" can't shadow "s01". */
static bool id_ok(const char *id)
{
	size_t n;

	if (!id || !*id || !text_ok(id))
		return false;
	n = strlen(id);
	if (id[0] == ' ' || id[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool ip_ok(const char *ip)
{
	unsigned char buf[16];

	if (!ip || !*ip)
		return true;
	if (strlen(ip) >= CAST_ROSTER_IP_SIZE)
		return false;
	return inet_pton(AF_INET, ip, buf) == 1 ||
	       inet_pton(AF_INET6, ip, buf) == 1;
}

/* "" or six hex pairs split by ':' or '-' (one kind); writes lower:case. */
static bool mac_parse(const char *s, char out[CAST_ROSTER_MAC_SIZE])
{
	uint8_t mac[6];

	out[0] = '\0';
	if (!*s)
		return true;
	if (cast_mac_parse(s, mac))
		return false;
	cast_mac_format(mac, out, CAST_ROSTER_MAC_SIZE);
	return true;
}

/* --- open, close --- */

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int migrate(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ret, rc, have = 0;

	ret = begin(db);
	if (ret)
		return ret;
	rc = sqlite3_exec(db,
			  "CREATE TABLE IF NOT EXISTS schema_version("
			  " version INTEGER PRIMARY KEY,"
			  " applied_us INTEGER NOT NULL)",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = db_err(db, rc, "schema_version");
		goto out;
	}
	ret = query(db, &st,
		    "SELECT coalesce(max(version), 0) FROM schema_version", "");
	if (ret)
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = db_err(db, rc, "schema_version");
		goto out;
	}
	have = sqlite3_column_int(st, 0);
	if (have > SCHEMA_VERSION) {
		cast_log(CAST_LOG_ERROR, OBJ,
			 "schema version %d is newer than this libcast's %d",
			 have, SCHEMA_VERSION);
		ret = CAST_ERROR(EPROTONOSUPPORT);
		goto out;
	}
	for (int v = have + 1; v <= SCHEMA_VERSION; v++) {
		rc = sqlite3_exec(db, migrations[v - 1], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			ret = db_err(db, rc, "migration");
			goto out;
		}
		ret = run(db,
			  "INSERT INTO schema_version(version, applied_us)"
			  " VALUES (?1, ?2)",
			  "ii", (int64_t)v, wall_us());
		if (ret < 0)
			goto out;
	}
	ret = commit(db);
out:
	sqlite3_finalize(st);
	if (ret < 0) {
		rollback(db);
		return ret;
	}
	if (have < SCHEMA_VERSION)
		cast_log(CAST_LOG_DEBUG, OBJ, "schema version %d -> %d", have,
			 SCHEMA_VERSION);
	return 0;
}

static int setup(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;

	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, BUSY_WAIT_MS);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	rc = sqlite3_create_collation_v2(db, "cast_natural", SQLITE_UTF8, NULL,
					 natural_cmp, NULL);
	if (rc != SQLITE_OK)
		return db_err(db, rc, "collation");
	rc = sqlite3_exec(db,
			  "PRAGMA foreign_keys = ON;"
			  "PRAGMA temp_store = MEMORY;"
			  "PRAGMA trusted_schema = OFF;",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_err(db, rc, "pragma");
	/* The first read of the file: a non-database fails here. SQLite
	 * does not call the busy handler while another connection switches
	 * the file to WAL (it could deadlock), so that wait is ours: two
	 * teachers on one machine start together. */
	ret = query(db, &st, "PRAGMA journal_mode = WAL", "");
	if (ret)
		return ret;
	for (int waited_ms = 0;; waited_ms += 10) {
		rc = sqlite3_step(st);
		if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= BUSY_WAIT_MS)
			break;
		sqlite3_reset(st);
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	if (rc != SQLITE_ROW) {
		ret = db_err(db, rc, "journal_mode");
		sqlite3_finalize(st);
		return ret;
	}
	{
		const char *mode = (const char *)sqlite3_column_text(st, 0);

		if (mode && strcmp(mode, "wal") && strcmp(mode, "memory"))
			cast_log(CAST_LOG_WARN, OBJ,
				 "journal mode %s, not wal", mode);
	}
	sqlite3_finalize(st);
	/* WAL keeps NORMAL consistent after a crash; it only may lose the
	 * last commits on power loss. */
	rc = sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_err(db, rc, "pragma");
	ret = migrate(db);
	if (ret)
		return ret;
	/* Ids seen by the running import, for duplicates and REPLACE. */
	rc = sqlite3_exec(db,
			  "CREATE TEMP TABLE import_ids(id TEXT PRIMARY KEY)",
			  NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_err(db, rc, "temp table");
}

int cast_roster_open(struct cast_roster **out, const char *path)
{
	struct cast_roster *r;
	sqlite3 *db = NULL;
	int rc, ret;

	if (!out || !path || !*path)
		return CAST_ERROR(EINVAL);
	/* Personal data: a new file is private (SQLite would use 0644, and
	 * gives its -wal and -shm files the database's mode). */
	if (strcmp(path, ":memory:") && strncmp(path, "file:", 5)) {
		int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			ret = CAST_ERROR(errno);
			cast_log(CAST_LOG_ERROR, OBJ, "%s: cannot open: %s",
				 path, cast_strerror(ret));
			return ret;
		}
		close(fd);
	}
	rc = sqlite3_open_v2(path, &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		ret = db ? db_err(db, rc, path) : CAST_ERROR(ENOMEM);
		sqlite3_close_v2(db);
		return ret;
	}
	ret = setup(db);
	if (ret) {
		cast_log(CAST_LOG_ERROR, OBJ, "%s: cannot open: %s", path,
			 cast_strerror(ret));
		sqlite3_close_v2(db);
		return ret;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		sqlite3_close_v2(db);
		return CAST_ERROR(ENOMEM);
	}
	r->db = db;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void cast_roster_close(struct cast_roster **rp)
{
	struct cast_roster *r;

	if (!rp || !*rp)
		return;
	r = *rp;
	sqlite3_close_v2(r->db);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*rp = NULL;
}

/* --- students --- */

int cast_roster_upsert_seen(struct cast_roster *r, const char *id,
			    const char *name, const char *class_name,
			    const char *ip, const uint8_t *mac,
			    const char *host, int64_t when_us)
{
	char macs[CAST_ROSTER_MAC_SIZE];
	int ret;

	if (!r || !id_ok(id) || !text_ok(name) || !text_ok(class_name) ||
	    !text_ok(host) || !ip_ok(ip))
		return CAST_ERROR(EINVAL);
	cast_mac_format(mac, macs, sizeof(macs));
	pthread_mutex_lock(&r->lock);
	ret = exists(r->db, "SELECT 1 FROM students WHERE id = ?1", "t", id);
	if (ret >= 0) {
		int known = ret;

		ret = run(r->db, sql_upsert_seen, "tttttti", id, name,
			  class_name, ip, macs, host, when_us);
		if (ret >= 0)
			ret = !known;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int cast_roster_seen(struct cast_roster *r, const struct cast_identity *who,
		     int64_t when_us)
{
	if (!who)
		return CAST_ERROR(EINVAL);
	return cast_roster_upsert_seen(r, who->id, who->name, who->class_name,
				       who->ip, who->mac, who->host, when_us);
}

/* Copies `src` into `dst` whole, or says it does not fit. */
static int copy_whole(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return CAST_ERROR(ENAMETOOLONG);
	memcpy(dst, src, n + 1);
	return 0;
}

int cast_roster_entry_identity(const struct cast_roster_entry *e,
			       struct cast_identity *out)
{
	struct cast_identity who = {0};
	int ret;

	if (!e || !out)
		return CAST_ERROR(EINVAL);
	if (e->mac[0] && cast_mac_parse(e->mac, who.mac))
		return CAST_ERROR(EINVAL);
	ret = copy_whole(who.id, sizeof(who.id), e->id);
	if (!ret)
		ret = copy_whole(who.presented_id, sizeof(who.presented_id),
				 e->id);
	if (!ret)
		ret = copy_whole(who.name, sizeof(who.name), e->name);
	if (!ret)
		ret = copy_whole(who.class_name, sizeof(who.class_name),
				 e->class_name);
	if (!ret)
		ret = copy_whole(who.ip, sizeof(who.ip), e->ip);
	if (!ret)
		ret = copy_whole(who.host, sizeof(who.host), e->host);
	if (!ret)
		*out = who;
	return ret;
}

int cast_roster_set_notes(struct cast_roster *r, const char *id,
			  const char *notes)
{
	int ret;

	if (!r || !id_ok(id) || !text_ok(notes))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = run(r->db, "UPDATE students SET notes = ?2 WHERE id = ?1", "tt",
		  id, notes);
	pthread_mutex_unlock(&r->lock);
	if (ret == 0)
		return CAST_ERROR(ENOENT);
	return ret < 0 ? ret : 0;
}

int cast_roster_get(struct cast_roster *r, const char *id,
		    struct cast_roster_entry *out)
{
	sqlite3_stmt *st = NULL;
	int ret, rc;

	if (!r || !id || !*id || !out)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = query(r->db, &st,
		    "SELECT " STUDENT_COLS " FROM students s WHERE s.id = ?1",
		    "t", id);
	if (!ret) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			fill_entry(out, st, 0);
		else if (rc == SQLITE_DONE)
			ret = CAST_ERROR(ENOENT);
		else
			ret = db_err(r->db, rc, "get");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int cast_roster_list(struct cast_roster *r, cast_roster_entry_cb *cb,
		     void *arg)
{
	struct cast_roster_entry e;
	sqlite3_stmt *st = NULL;
	int ret, rc = SQLITE_DONE, n = 0;

	if (!r)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = query(r->db, &st,
		    "SELECT " STUDENT_COLS " FROM students s"
		    " ORDER BY s.id COLLATE cast_natural",
		    "");
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb) {
			fill_entry(&e, st, 0);
			ret = cb(&e, arg);
			if (ret > 0)
				ret = 1;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_err(r->db, rc, "list");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : n;
}

int cast_roster_remove(struct cast_roster *r, const char *id)
{
	int ret;

	if (!r || !id || !*id)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = run(r->db, "DELETE FROM students WHERE id = ?1", "t", id);
	pthread_mutex_unlock(&r->lock);
	if (ret == 0)
		return CAST_ERROR(ENOENT);
	return ret < 0 ? ret : 0;
}

int cast_roster_clear(struct cast_roster *r)
{
	int ret;

	if (!r)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = begin(r->db);
	if (!ret)
		ret = run(r->db, "DELETE FROM attendance", "");
	if (ret >= 0)
		ret = run(r->db, "DELETE FROM lessons", "");
	if (ret >= 0)
		ret = run(r->db, "DELETE FROM students", "");
	if (ret >= 0)
		ret = commit(r->db);
	if (ret < 0)
		rollback(r->db);
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : 0;
}

/* --- lessons and attendance --- */

int cast_roster_lesson_begin(struct cast_roster *r, const char *title,
			     int64_t when_us, int64_t *lesson_id)
{
	int ret;

	if (!r || !lesson_id || !text_ok(title))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = run(r->db, "INSERT INTO lessons(title, begin_us) VALUES (?1, ?2)",
		  "ti", title, when_us);
	if (ret >= 0) {
		*lesson_id = sqlite3_last_insert_rowid(r->db);
		ret = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int cast_roster_lesson_end(struct cast_roster *r, int64_t lesson_id,
			   int64_t when_us)
{
	int ret;

	if (!r)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = run(r->db,
		  "UPDATE lessons SET end_us = ?2 WHERE id = ?1 AND end_us = 0",
		  "ii", lesson_id, when_us);
	if (ret == 0) {
		ret = exists(r->db, "SELECT 1 FROM lessons WHERE id = ?1", "i",
			     lesson_id);
		if (ret >= 0)
			ret = ret ? CAST_ERROR(EALREADY) : CAST_ERROR(ENOENT);
	}
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : 0;
}

int cast_roster_lessons(struct cast_roster *r, cast_roster_lesson_cb *cb,
			void *arg)
{
	struct cast_roster_lesson l;
	sqlite3_stmt *st = NULL;
	int ret, rc = SQLITE_DONE, n = 0;

	if (!r)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = query(r->db, &st,
		    "SELECT id, title, begin_us, end_us FROM lessons"
		    " ORDER BY id",
		    "");
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb) {
			l.id = sqlite3_column_int64(st, 0);
			copy_col(l.title, sizeof(l.title), st, 1);
			l.begin_us = sqlite3_column_int64(st, 2);
			l.end_us = sqlite3_column_int64(st, 3);
			ret = cb(&l, arg);
			if (ret > 0)
				ret = 1;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_err(r->db, rc, "lessons");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : n;
}

const char *cast_attend_state_name(enum cast_attend_state state)
{
	switch (state) {
	case CAST_ATTEND_ABSENT:
		return "absent";
	case CAST_ATTEND_SIGNED_IN:
		return "signed_in";
	case CAST_ATTEND_LEFT:
		return "left";
	}
	return "?";
}

static enum cast_attend_state state_from_text(const unsigned char *s)
{
	if (s && !strcmp((const char *)s, "signed_in"))
		return CAST_ATTEND_SIGNED_IN;
	if (s && !strcmp((const char *)s, "left"))
		return CAST_ATTEND_LEFT;
	return CAST_ATTEND_ABSENT;
}

int cast_roster_attend(struct cast_roster *r, int64_t lesson_id,
		       const char *student_id, enum cast_attend_state state,
		       int64_t when_us)
{
	int ret;

	if (!r || !student_id || !*student_id ||
	    (state != CAST_ATTEND_ABSENT && state != CAST_ATTEND_SIGNED_IN &&
	     state != CAST_ATTEND_LEFT))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = exists(r->db,
		     "SELECT 1 FROM lessons WHERE id = ?1"
		     " AND EXISTS (SELECT 1 FROM students WHERE id = ?2)",
		     "it", lesson_id, student_id);
	if (ret == 0)
		ret = CAST_ERROR(ENOENT);
	else if (ret > 0)
		ret = run(r->db, sql_attend, "itti", lesson_id, student_id,
			  cast_attend_state_name(state), when_us);
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : 0;
}

/* Walks a lesson's attendance; called with the lock held. */
static int attendance_walk(struct cast_roster *r, int64_t lesson_id,
			   cast_attend_cb *cb, void *arg)
{
	struct cast_attend_record rec;
	sqlite3_stmt *st = NULL;
	int ret, rc = SQLITE_DONE, n = 0;

	ret = exists(r->db, "SELECT 1 FROM lessons WHERE id = ?1", "i",
		     lesson_id);
	if (ret <= 0)
		return ret ? ret : CAST_ERROR(ENOENT);
	ret = query(r->db, &st,
		    "SELECT " STUDENT_COLS ", a.state, a.first_us, a.last_us"
		    " FROM students s LEFT JOIN attendance a"
		    " ON a.student_id = s.id AND a.lesson_id = ?1"
		    " ORDER BY s.id COLLATE cast_natural",
		    "i", lesson_id);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (!cb)
			continue;
		fill_entry(&rec.student, st, 0);
		rec.state = state_from_text(
			sqlite3_column_text(st, N_STUDENT_COLS));
		rec.present = rec.state != CAST_ATTEND_ABSENT;
		rec.first_us = sqlite3_column_int64(st, N_STUDENT_COLS + 1);
		rec.last_us = sqlite3_column_int64(st, N_STUDENT_COLS + 2);
		ret = cb(&rec, arg);
		if (ret > 0)
			ret = 1;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_err(r->db, rc, "attendance");
	sqlite3_finalize(st);
	return ret < 0 ? ret : n;
}

int cast_roster_attendance(struct cast_roster *r, int64_t lesson_id,
			   cast_attend_cb *cb, void *arg)
{
	int ret;

	if (!r)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = attendance_walk(r, lesson_id, cb, arg);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* --- CSV import --- */

enum { END_FIELD, END_RECORD, END_FILE };

struct csv {
	const unsigned char *p, *end;
	int line;			/* of the byte at p */
	const char *name;
	char *err;
	size_t err_size;
	/* the current record */
	int n, rec_line;
	char field[MAX_COLUMNS][FIELD_MAX + 2];	/* + the apostrophe */
	bool quoted[MAX_COLUMNS];
};

__attribute__((format(printf, 3, 4))) static int
csv_fail(struct csv *c, int line, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (c->err && c->err_size)
		snprintf(c->err, c->err_size, "%s:%d: %s", c->name, line, why);
	return CAST_EMALFORMED;
}

/* Copies `s` for an error message: printable, cut at ~60 bytes. */
static const char *show(const char *s, char *buf, size_t size)
{
	size_t n;

	for (n = 0; s[n] && n + 4 < size; n++) {
		unsigned char ch = (unsigned char)s[n];

		buf[n] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (s[n]) {
		/* Don't end on half a character. */
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static bool eol(struct csv *c)
{
	if (c->p < c->end && *c->p == '\n') {
		c->p++;
	} else if (c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n') {
		c->p += 2;
	} else {
		return false;
	}
	c->line++;
	return true;
}

static int too_long(struct csv *c, int line)
{
	return csv_fail(c, line, "field longer than %d bytes", FIELD_MAX);
}

/* Room left in a field: export's escaping apostrophe doesn't count. */
static bool full(const unsigned char *out, size_t n)
{
	return n >= FIELD_MAX + (size_t)(n && out[0] == '\'');
}

/* Reads field `i` of the record at c->p (RFC 4180). */
static int read_field(struct csv *c, int i, int *end)
{
	unsigned char *out = (unsigned char *)c->field[i];
	int start = c->line, line;
	size_t n = 0, bad;

	c->quoted[i] = c->p < c->end && *c->p == '"';
	if (c->quoted[i]) {
		c->p++;
		for (;;) {
			unsigned char ch;

			if (c->p == c->end)
				return csv_fail(c, start,
						"unterminated quoted field");
			ch = *c->p++;
			if (ch == '"') {
				if (c->p == c->end || *c->p != '"')
					break;
				c->p++;
			} else if (ch == '\n') {
				c->line++;
			}
			if (full(out, n)) {
				if (!memchr(c->p, '"', (size_t)(c->end - c->p)))
					return csv_fail(
						c, start,
						"unterminated quoted field");
				return too_long(c, start);
			}
			out[n++] = ch;
		}
		if (c->p == c->end)
			*end = END_FILE;
		else if (*c->p == ',')
			c->p++, *end = END_FIELD;
		else if (eol(c))
			*end = END_RECORD;
		else
			return csv_fail(c, c->line,
					"text after a closing quote");
	} else {
		for (;;) {
			unsigned char ch;

			if (c->p == c->end) {
				*end = END_FILE;
				break;
			}
			ch = *c->p;
			if (ch == ',') {
				c->p++;
				*end = END_FIELD;
				break;
			}
			if (ch == '\n' || ch == '\r') {
				if (!eol(c))
					return csv_fail(c, c->line,
							"carriage return "
							"without line feed");
				*end = END_RECORD;
				break;
			}
			if (ch == '"')
				return csv_fail(c, c->line,
						"quote inside an unquoted "
						"field (quote the whole field)");
			if (full(out, n))
				return too_long(c, start);
			out[n++] = ch;
			c->p++;
		}
	}
	out[n] = '\0';
	bad = utf8_bad(out, n);
	if (bad < n) {
		line = start;
		for (size_t k = 0; k < bad; k++)
			line += out[k] == '\n';
		return csv_fail(c, line, out[bad] ? "invalid UTF-8" : "NUL byte");
	}
	return 0;
}

/* Returns 1 with a record in c->field, 0 at the end, or an error. */
static int read_record(struct csv *c)
{
	if (c->p == c->end)
		return 0;
	c->n = 0;
	c->rec_line = c->line;
	for (;;) {
		int end = END_FILE, ret;

		if (c->n == MAX_COLUMNS)
			return csv_fail(c, c->line, "more than %d columns",
					MAX_COLUMNS);
		ret = read_field(c, c->n, &end);
		if (ret)
			return ret;
		c->n++;
		if (end != END_FIELD)
			return 1;
	}
}

static bool blank_record(const struct csv *c)
{
	return c->n == 1 && !c->quoted[0] && !c->field[0][0];
}

enum { COL_ID, COL_NAME, COL_CLASS, COL_IP, COL_MAC, COL_HOST, COL_NOTES,
       N_COLS };
static const char *const col_names[N_COLS] = {
	"id", "name", "class", "ip", "mac", "host", "notes",
};
#define N_REQUIRED 5

static int read_header(struct csv *c, int col[N_COLS])
{
	int ret;

	for (int k = 0; k < N_COLS; k++)
		col[k] = -1;
	do {
		ret = read_record(c);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return csv_fail(c, c->line,
					"no header (expected " REQUIRED_HEADER
					")");
	} while (blank_record(c));
	for (int i = 0; i < c->n; i++) {
		char *s = c->field[i], *e;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		for (int k = 0; k < N_COLS; k++) {
			if (strcasecmp(s, col_names[k]))
				continue;
			if (col[k] >= 0)
				return csv_fail(c, c->rec_line,
						"column '%s' given twice",
						col_names[k]);
			col[k] = i;
		}
	}
	for (int k = 0; k < N_REQUIRED; k++)
		if (col[k] < 0)
			return csv_fail(c, c->rec_line,
					"missing column '%s' (the header "
					"needs " REQUIRED_HEADER ")",
					col_names[k]);
	return 0;
}

/*
 * A cell's value. Export escapes text that spreadsheets would run as a
 * formula with a leading apostrophe; one leading apostrophe is dropped here.
 */
static const char *cell(const struct csv *c, int i)
{
	if (i < 0)
		return "";
	return c->field[i][0] == '\'' ? c->field[i] + 1 : c->field[i];
}

/* Parses and applies every row; called inside the import transaction. */
static int import_rows(sqlite3 *db, struct csv *c, char *dberr,
		       size_t dberr_size)
{
	sqlite3_stmt *up = NULL, *seen = NULL;
	char mac[CAST_ROSTER_MAC_SIZE], tmp[64];
	int col[N_COLS], ncols, rows = 0, ret, rc = SQLITE_OK;

	ret = read_header(c, col);
	if (ret)
		return ret;
	ncols = c->n;
	rc = sqlite3_prepare_v2(db, sql_upsert_import, -1, &up, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"INSERT OR IGNORE INTO temp.import_ids"
					"(id) VALUES (?1)",
					-1, &seen, NULL);
	if (rc != SQLITE_OK) {
		ret = db_err(db, rc, "import");
		snprintf(dberr, dberr_size, "%s:%d: database error: %s",
			 c->name, c->line, cast_strerror(ret));
		goto out;
	}
	while ((ret = read_record(c)) > 0) {
		const char *id;

		if (blank_record(c))
			continue;
		if (++rows > CAST_ROSTER_MAX_ROWS) {
			ret = csv_fail(c, c->rec_line, "more than %d rows",
				       CAST_ROSTER_MAX_ROWS);
			goto out;
		}
		if (c->n != ncols) {
			ret = csv_fail(c, c->rec_line,
				       "%d fields, the header has %d", c->n,
				       ncols);
			goto out;
		}
		id = cell(c, col[COL_ID]);
		if (!*id) {
			ret = csv_fail(c, c->rec_line, "missing id");
			goto out;
		}
		if (!id_ok(id)) {
			ret = csv_fail(c, c->rec_line,
				       "bad id '%s' (control characters or "
				       "surrounding spaces)",
				       show(id, tmp, sizeof(tmp)));
			goto out;
		}
		if (!mac_parse(cell(c, col[COL_MAC]), mac)) {
			ret = csv_fail(c, c->rec_line, "bad MAC address '%s'",
				       show(cell(c, col[COL_MAC]), tmp,
					    sizeof(tmp)));
			goto out;
		}
		if (!ip_ok(cell(c, col[COL_IP]))) {
			ret = csv_fail(c, c->rec_line, "bad IP address '%s'",
				       show(cell(c, col[COL_IP]), tmp,
					    sizeof(tmp)));
			goto out;
		}
		sqlite3_reset(seen);
		rc = sqlite3_bind_text(seen, 1, id, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(seen);
		if (rc != SQLITE_DONE)
			break;
		if (sqlite3_changes(db) == 0) {
			ret = csv_fail(c, c->rec_line, "duplicate id '%s'",
				       show(id, tmp, sizeof(tmp)));
			goto out;
		}
		sqlite3_reset(up);
		rc = sqlite3_bind_text(up, 1, id, -1, SQLITE_STATIC);
		for (int k = 1; k < N_COLS && rc == SQLITE_OK; k++)
			rc = sqlite3_bind_text(up, k + 1,
					       k == COL_MAC ? mac
							    : cell(c, col[k]),
					       -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(up);
		if (rc != SQLITE_DONE)
			break;
	}
	if (ret > 0) {
		ret = db_err(db, rc, "import");
		snprintf(dberr, dberr_size, "%s:%d: database error: %s",
			 c->name, c->rec_line, cast_strerror(ret));
	}
	if (!ret)
		ret = rows;
out:
	sqlite3_finalize(up);
	sqlite3_finalize(seen);
	return ret;
}

int cast_roster_import_csv_buf(struct cast_roster *r, const char *data,
			       size_t size, const char *name, unsigned flags,
			       char *err, size_t err_size)
{
	char dummy[8];
	struct csv *c;
	int ret, n;

	if (!err || !err_size) {
		err = dummy;
		err_size = sizeof(dummy);
	}
	err[0] = '\0';
	if (!r || (!data && size) || (flags & ~CAST_ROSTER_IMPORT_REPLACE))
		return CAST_ERROR(EINVAL);
	c = malloc(sizeof(*c));
	if (!c)
		return CAST_ERROR(ENOMEM);
	c->p = (const unsigned char *)(data ? data : "");
	c->end = c->p + size;
	c->line = 1;
	c->name = name ? name : "roster.csv";
	c->err = err;
	c->err_size = err_size;
	if (size >= 3 && !memcmp(c->p, "\xef\xbb\xbf", 3))
		c->p += 3;

	pthread_mutex_lock(&r->lock);
	ret = begin(r->db);
	if (!ret)
		ret = run(r->db, "DELETE FROM temp.import_ids", "");
	if (ret < 0) {
		snprintf(err, err_size, "%s: database error: %s", c->name,
			 cast_strerror(ret));
		goto out;
	}
	n = import_rows(r->db, c, err, err_size);
	ret = n;
	if (ret >= 0 && (flags & CAST_ROSTER_IMPORT_REPLACE))
		ret = run(r->db,
			  "DELETE FROM students WHERE id NOT IN"
			  " (SELECT id FROM temp.import_ids)",
			  "");
	if (ret >= 0)
		ret = run(r->db, "DELETE FROM temp.import_ids", "");
	if (ret >= 0)
		ret = commit(r->db);
	if (ret < 0 && n >= 0)
		snprintf(err, err_size, "%s: database error: %s", c->name,
			 cast_strerror(ret));
out:
	if (ret < 0)
		rollback(r->db);
	pthread_mutex_unlock(&r->lock);
	free(c);
	return ret < 0 ? ret : n;
}

int cast_roster_import_csv(struct cast_roster *r, const char *path,
			   unsigned flags, char *err, size_t err_size)
{
	struct stat sb;
	char *buf = NULL;
	size_t n = 0, size = 0;
	int fd, ret = 0;

	if (err && err_size)
		err[0] = '\0';
	if (!r || !path)
		return CAST_ERROR(EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb))
		ret = CAST_ERROR(errno);
	else if (!S_ISREG(sb.st_mode))
		ret = CAST_ERROR(EINVAL);
	else if ((uint64_t)sb.st_size > MAX_CSV_BYTES)
		ret = CAST_ERROR(EFBIG);
	else if (!(buf = malloc((size_t)sb.st_size + 1)))
		ret = CAST_ERROR(ENOMEM);
	else
		size = (size_t)sb.st_size;
	while (!ret && n < size) {
		ssize_t got = read(fd, buf + n, size - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			ret = CAST_ERROR(errno);
		else if (got == 0)
			break;
		else
			n += (size_t)got;
	}
	if (fd >= 0)
		close(fd);
	if (ret) {
		if (err && err_size)
			snprintf(err, err_size, "%s: %s", path,
				 cast_strerror(ret));
		free(buf);
		return ret;
	}
	ret = cast_roster_import_csv_buf(r, buf, n, path, flags, err,
					 err_size);
	free(buf);
	return ret;
}

/* --- CSV export --- */

/* Excel reads a CSV as UTF-8 only when it starts with a BOM. */

static int export_roster(struct cast_roster *r, struct cast_csv *b)
{
	struct cast_roster_entry e;
	sqlite3_stmt *st = NULL;
	int ret, rc = SQLITE_DONE;

	cast_csv_begin(b, "id,name,class,ip,mac,host,notes");
	ret = query(r->db, &st,
		    "SELECT " STUDENT_COLS " FROM students s"
		    " ORDER BY s.id COLLATE cast_natural",
		    "");
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		fill_entry(&e, st, 0);
		cast_csv_cell(b, e.id, false);
		cast_csv_cell(b, e.name, false);
		cast_csv_cell(b, e.class_name, false);
		cast_csv_cell(b, e.ip, false);
		cast_csv_cell(b, e.mac, false);
		cast_csv_cell(b, e.host, false);
		cast_csv_cell(b, e.notes, true);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_err(r->db, rc, "export");
	sqlite3_finalize(st);
	if (!ret && b->oom)
		ret = CAST_ERROR(ENOMEM);
	return ret;
}

int cast_roster_export_csv_buf(struct cast_roster *r, char **out, size_t *len)
{
	struct cast_csv b = {0};
	int ret;

	if (!r || !out || !len)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&r->lock);
	ret = export_roster(r, &b);
	pthread_mutex_unlock(&r->lock);
	if (ret) {
		cast_csv_free(&b);
		return ret;
	}
	*out = b.s;
	*len = b.len;
	return 0;
}

int cast_roster_export_csv(struct cast_roster *r, const char *path)
{
	char *buf;
	size_t len;
	int ret;

	if (!path || !*path)
		return CAST_ERROR(EINVAL);
	ret = cast_roster_export_csv_buf(r, &buf, &len);
	if (ret)
		return ret;
	ret = cast__write_atomic(path, buf, len);
	free(buf);
	return ret;
}

/* Local time with its offset, e.g. "2024-03-01T08:00:05+0800"; "" for 0. */
static void fmt_time(int64_t us, char *buf, size_t size)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	buf[0] = '\0';
	if (us && localtime_r(&t, &tm))
		strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static int attendance_row(const struct cast_attend_record *rec, void *arg)
{
	struct cast_csv *b = arg;
	char t[64];

	cast_csv_cell(b, rec->student.id, false);
	cast_csv_cell(b, rec->student.name, false);
	cast_csv_cell(b, rec->student.class_name, false);
	cast_csv_cell(b, rec->student.ip, false);
	cast_csv_cell(b, rec->present ? "yes" : "no", false);
	cast_csv_cell(b, cast_attend_state_name(rec->state), false);
	fmt_time(rec->first_us, t, sizeof(t));
	cast_csv_cell(b, t, false);
	fmt_time(rec->last_us, t, sizeof(t));
	cast_csv_cell(b, t, true);
	return b->oom ? CAST_ERROR(ENOMEM) : 0;
}

int cast_roster_export_attendance_csv(struct cast_roster *r,
				      int64_t lesson_id, const char *path)
{
	struct cast_csv b = {0};
	int ret;

	if (!r || !path || !*path)
		return CAST_ERROR(EINVAL);
	cast_csv_begin(&b, "id,name,class,ip,present,state,first,last");
	pthread_mutex_lock(&r->lock);
	ret = attendance_walk(r, lesson_id, attendance_row, &b);
	pthread_mutex_unlock(&r->lock);
	if (ret >= 0 && b.oom)
		ret = CAST_ERROR(ENOMEM);
	if (ret >= 0)
		ret = cast_csv_save(&b, path);
	cast_csv_free(&b);
	return ret < 0 ? ret : 0;
}
