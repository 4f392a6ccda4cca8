/* Homework collection: chunked folder sender and a verifying receiver. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cast/error.h"
#include "cast/homework.h"
#include "cast/log.h"
#include "core/core_int.h"

#define OBJ "homework"
#define PARTIAL_SUFFIX ".partial"
#define PARTIAL_LEN (sizeof(PARTIAL_SUFFIX) - 1)
#define DIR_MODE 0750
#define FILE_MODE 0640

/* ---- Wire helpers ---------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put_hdr(uint8_t *b, enum cast_hw_kind kind, uint32_t coll)
{
	b[0] = CAST_HW_VERSION;
	b[1] = (uint8_t)kind;
	put16(b + 2, 0);
	put32(b + 4, coll);
}

/* ---- Names ----------------------------------------------------------- */

/*
 * One path component: valid UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF), no C0/DEL/C1 controls, no '/' or '\\', no
 * bidirectional controls (they disguise extensions: "exe<RLO>cod.txt"),
 * not empty, not starting with '.'.
 */
static int check_component(const unsigned char *s, size_t n, size_t max)
{
	if (n == 0 || s[0] == '.')
		return CAST_ERROR(EINVAL);
	if (n > max)
		return CAST_ERROR(ENAMETOOLONG);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t k;
		if (c < 0x80) {
			cp = c;
			k = 1;
		} else if ((c & 0xe0) == 0xc0) {
			cp = c & 0x1fu;
			k = 2;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0fu;
			k = 3;
		} else if ((c & 0xf8) == 0xf0) {
			cp = c & 0x07u;
			k = 4;
		} else {
			return CAST_ERROR(EINVAL);
		}
		if (n - i < k)
			return CAST_ERROR(EINVAL);
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return CAST_ERROR(EINVAL);
			cp = cp << 6 | (s[i + j] & 0x3fu);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) ||
		    (k == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return CAST_ERROR(EINVAL);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
		    cp == '/' || cp == '\\')
			return CAST_ERROR(EINVAL);
		if (cp == 0x200e || cp == 0x200f ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
			return CAST_ERROR(EINVAL);
		i += k;
	}
	return 0;
}

int cast_homework_path_check(const char *rel_path)
{
	if (!rel_path)
		return CAST_ERROR(EINVAL);
	size_t len = strnlen(rel_path, CAST_HW_PATH_MAX);
	if (len == 0)
		return CAST_ERROR(EINVAL);
	if (len >= CAST_HW_PATH_MAX)
		return CAST_ERROR(ENAMETOOLONG);
	const unsigned char *s = (const unsigned char *)rel_path;
	unsigned depth = 0;
	size_t start = 0;
	for (;;) {
		const unsigned char *slash =
		    memchr(s + start, '/', len - start);
		size_t end = slash ? (size_t)(slash - s) : len;
		if (++depth > CAST_HW_DEPTH_MAX)
			return CAST_ERROR(EINVAL);
		int err =
		    check_component(s + start, end - start, CAST_HW_NAME_MAX);
		if (err)
			return err;
		if (!slash) {
			if (end - start >= PARTIAL_LEN &&
			    !memcmp(s + end - PARTIAL_LEN, PARTIAL_SUFFIX,
			            PARTIAL_LEN))
				return CAST_ERROR(EINVAL);
			return 0;
		}
		start = end + 1;
	}
}

int cast_homework_name_check(const char *name)
{
	if (!name)
		return CAST_ERROR(EINVAL);
	size_t len = strnlen(name, CAST_HW_ID_MAX + 1);
	return check_component((const unsigned char *)name, len,
	                       CAST_HW_ID_MAX);
}

void cast_homework_limits_init(struct cast_homework_limits *lim)
{
	if (!lim)
		return;
	lim->max_files = 1000;
	lim->max_file_bytes = 1ull << 30;
	lim->max_total_bytes = 1ull << 30;
	lim->max_student_bytes = 4ull << 30;
}

static void limits_or_default(struct cast_homework_limits *out,
                              const struct cast_homework_limits *lim)
{
	if (lim)
		*out = *lim;
	else
		cast_homework_limits_init(out);
}

/* ---- Student: sender ------------------------------------------------- */

struct item {
	char *rel;
	uint64_t size;
};

struct scan {
	struct item *v;
	size_t n, cap;
	uint64_t total;
	struct cast_homework_limits lim;
	const char *who;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_push(struct scan *sc, const char *rel, uint64_t size)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 32;
		struct item *v = realloc(sc->v, cap * sizeof(*v));
		if (!v)
			return CAST_ERROR(ENOMEM);
		sc->v = v;
		sc->cap = cap;
	}
	char *copy = strdup(rel);
	if (!copy)
		return CAST_ERROR(ENOMEM);
	sc->v[sc->n].rel = copy;
	sc->v[sc->n].size = size;
	sc->n++;
	return 0;
}

/*
 * Lists folder `dfd` (taken over and closed), whose path inside the
 * submission is rel[0 .. rel_len) with `depth` components.
 */
static int scan_dir(struct scan *sc, int dfd, char *rel, size_t rel_len,
                    unsigned depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	int err = 0;
	DIR *d = fdopendir(dfd);
	if (!d) {
		err = CAST_ERROR(errno);
		close(dfd);
		return err;
	}
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				err = CAST_ERROR(errno);
			break;
		}
		if (de->d_name[0] == '.')
			continue; /* ".", ".." and hidden entries */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **v = realloc(names, ncap * sizeof(*v));
			if (!v) {
				err = CAST_ERROR(ENOMEM);
				break;
			}
			names = v;
			cap = ncap;
		}
		if (!(names[n] = strdup(de->d_name))) {
			err = CAST_ERROR(ENOMEM);
			break;
		}
		n++;
	}
	if (err)
		goto out;
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	const char *shown = rel_len ? rel : ".";
	for (size_t i = 0; i < n && !err; i++) {
		const char *name = names[i];
		size_t nl = strlen(name);
		struct stat st;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue; /* removed while we list */
			err = CAST_ERROR(errno);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			cast_log(CAST_LOG_INFO, OBJ,
			         "%s: skipping a symbolic link in %s", sc->who,
			         shown);
			continue;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			cast_log(CAST_LOG_INFO, OBJ,
			         "%s: skipping a special file in %s", sc->who,
			         shown);
			continue;
		}
		size_t sep = rel_len ? 1 : 0;
		if (rel_len + sep + nl >= CAST_HW_PATH_MAX ||
		    check_component((const unsigned char *)name, nl,
		                    CAST_HW_NAME_MAX)) {
			cast_log(CAST_LOG_WARN, OBJ,
			         "%s: skipping an entry in %s: name not "
			         "accepted (length or characters)",
			         sc->who, shown);
			continue;
		}
		if (sep)
			rel[rel_len] = '/';
		memcpy(rel + rel_len + sep, name, nl + 1);
		size_t child_len = rel_len + sep + nl;
		if (S_ISDIR(st.st_mode)) {
			if (depth + 2 > CAST_HW_DEPTH_MAX) {
				cast_log(CAST_LOG_WARN, OBJ,
				         "%s: skipping %s: nested too deep",
				         sc->who, rel);
			} else {
				int sub = openat(dirfd(d), name,
				                 O_RDONLY | O_DIRECTORY |
				                     O_NOFOLLOW | O_CLOEXEC);
				if (sub < 0)
					err = CAST_ERROR(errno);
				else
					err = scan_dir(sc, sub, rel, child_len,
					               depth + 1);
			}
		} else if (cast_homework_path_check(rel)) {
			cast_log(CAST_LOG_WARN, OBJ,
			         "%s: skipping %s: name not accepted", sc->who,
			         rel);
		} else {
			uint64_t size = (uint64_t)st.st_size;
			if (sc->n + 1 > sc->lim.max_files) {
				cast_log(CAST_LOG_WARN, OBJ,
				         "%s: more than %u files", sc->who,
				         sc->lim.max_files);
				err = CAST_ERROR(EFBIG);
			} else if (size > sc->lim.max_file_bytes) {
				cast_log(
				    CAST_LOG_WARN, OBJ,
				    "%s: %s is over %llu bytes", sc->who, rel,
				    (unsigned long long)sc->lim.max_file_bytes);
				err = CAST_ERROR(EFBIG);
			} else if (size > sc->lim.max_total_bytes - sc->total ||
			           sc->total > sc->lim.max_total_bytes) {
				cast_log(CAST_LOG_WARN, OBJ,
				         "%s: folder over %llu bytes", sc->who,
				         (unsigned long long)
				             sc->lim.max_total_bytes);
				err = CAST_ERROR(EFBIG);
			} else {
				sc->total += size;
				err = scan_push(sc, rel, size);
			}
		}
		rel[rel_len] = '\0';
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return err;
}

struct tx {
	cast_homework_send_cb *send;
	void *arg;
	uint32_t coll;
	uint8_t *buf; /* CAST_HW_DATA_HDR_SIZE + CAST_HW_DATA_MAX */
	bool send_failed;
};

static int emit(struct tx *tx, size_t len)
{
	int err = tx->send(CAST_HW_EVENT, tx->buf, len, tx->arg);
	if (err > 0)
		err = 0;
	if (err)
		tx->send_failed = true;
	return err;
}

static int emit_abort(struct tx *tx, uint32_t index, int error)
{
	put_hdr(tx->buf, CAST_HW_ABORT, tx->coll);
	put32(tx->buf + 8, index);
	put32(tx->buf + 12, (uint32_t)error);
	return emit(tx, CAST_HW_ABORT_SIZE);
}

static int emit_plan(struct tx *tx, uint32_t count, uint64_t total)
{
	put_hdr(tx->buf, CAST_HW_PLAN, tx->coll);
	put32(tx->buf + 8, count);
	put64(tx->buf + 12, total);
	return emit(tx, CAST_HW_PLAN_SIZE);
}

static int emit_done(struct tx *tx, uint32_t count, int status)
{
	put_hdr(tx->buf, CAST_HW_DONE, tx->coll);
	put32(tx->buf + 8, count);
	put32(tx->buf + 12, (uint32_t)status);
	return emit(tx, CAST_HW_DONE_SIZE);
}

/* Reads exactly `len` bytes at `off`; -ESTALE if the file got shorter. */
static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return CAST_ERROR(errno);
		}
		if (r == 0)
			return CAST_ERROR(ESTALE);
		got += (size_t)r;
	}
	return 0;
}

/* -ESTALE if the file has grown past `size`. */
static int check_eof(int fd, uint64_t size)
{
	uint8_t b;
	ssize_t r;
	do
		r = pread(fd, &b, 1, (off_t)size);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return CAST_ERROR(errno);
	return r ? CAST_ERROR(ESTALE) : 0;
}

static int sha_init(EVP_MD_CTX **md)
{
	*md = EVP_MD_CTX_new();
	if (!*md)
		return CAST_ERROR(ENOMEM);
	if (EVP_DigestInit_ex(*md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(*md);
		*md = NULL;
		return CAST_EEXTERNAL;
	}
	return 0;
}

static int sha_final(EVP_MD_CTX *md, uint8_t out[32])
{
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(md, out, &n) != 1 || n != 32)
		return CAST_EEXTERNAL;
	return 0;
}

/* The SHA-256 of the first `size` bytes of fd; -ESTALE if it differs. */
static int hash_file(int fd, uint64_t size, uint8_t *buf, uint8_t out[32])
{
	EVP_MD_CTX *md;
	int err = sha_init(&md);
	if (err)
		return err;
	for (uint64_t off = 0; off < size && !err;) {
		size_t n = size - off < CAST_HW_DATA_MAX ? (size_t)(size - off)
		                                         : CAST_HW_DATA_MAX;
		err = read_at(fd, buf, n, off);
		if (!err && EVP_DigestUpdate(md, buf, n) != 1)
			err = CAST_EEXTERNAL;
		off += n;
	}
	if (!err)
		err = check_eof(fd, size);
	if (!err)
		err = sha_final(md, out);
	EVP_MD_CTX_free(md);
	return err;
}

/* The error of a failed openat(dfd, name, … O_NOFOLLOW): -ELOOP when name
 * is a symbolic link (O_DIRECTORY says -ENOTDIR for one). */
static int link_error(int dfd, const char *name)
{
	int err = CAST_ERROR(errno);
	struct stat st;
	if (err == CAST_ERROR(ENOTDIR) &&
	    !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
		err = CAST_ERROR(ELOOP);
	return err;
}

/*
 * Opens `rel` ("a/b/c") below folder `dfd`, one component at a time, none
 * of them followed if it is a symbolic link (-ELOOP or -ENOTDIR then); the
 * last is opened with `flags` | O_NOFOLLOW. Returns the fd or an error.
 */
static int open_beneath(int dfd, const char *rel, int flags)
{
	char buf[CAST_HW_PATH_MAX];
	char *comp = buf, *slash;
	int cur = dfd, fd;

	if (snprintf(buf, sizeof(buf), "%s", rel) >= (int)sizeof(buf))
		return CAST_ERROR(ENAMETOOLONG);
	while ((slash = strchr(comp, '/'))) {
		*slash = '\0';
		fd = openat(cur, comp,
		            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		fd = fd < 0 ? link_error(cur, comp) : fd;
		if (cur != dfd)
			close(cur);
		if (fd < 0)
			return fd;
		cur = fd;
		comp = slash + 1;
	}
	fd = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC);
	fd = fd < 0 ? link_error(cur, comp) : fd;
	if (cur != dfd)
		close(cur);
	return fd;
}

/*
 * Sends one file. Returns 0 (END sent), -ESTALE (changed: ABORT sent or
 * nothing sent), another error (ABORT sent if BEGIN was; tx->send_failed
 * tells a failed callback apart).
 */
static int send_file(struct tx *tx, int rootfd, const struct item *it,
                     uint32_t index, const char *who)
{
	uint8_t sha[32], sha2[32];
	EVP_MD_CTX *md = NULL;
	bool begun = false;
	int err;
	/* Every folder on the way is opened without following a link, so one
	 * swapped for a link since the listing cannot lead outside. */
	int fd = open_beneath(rootfd, it->rel,
	                      O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = fd == CAST_ERROR(ENOENT) || fd == CAST_ERROR(ELOOP) ||
		              fd == CAST_ERROR(ENOTDIR)
		          ? CAST_ERROR(ESTALE)
		          : fd;
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = CAST_ERROR(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != it->size) {
		err = CAST_ERROR(ESTALE);
		goto out;
	}
	uint8_t *data = tx->buf + CAST_HW_DATA_HDR_SIZE;
	err = hash_file(fd, it->size, data, sha);
	if (err)
		goto out;

	size_t plen = strlen(it->rel);
	put_hdr(tx->buf, CAST_HW_BEGIN, tx->coll);
	put32(tx->buf + 8, index);
	put64(tx->buf + 12, it->size);
	memcpy(tx->buf + 20, sha, 32);
	put16(tx->buf + 52, (uint16_t)plen);
	memcpy(tx->buf + CAST_HW_BEGIN_SIZE, it->rel, plen);
	err = emit(tx, CAST_HW_BEGIN_SIZE + plen);
	if (err)
		goto out;
	begun = true;

	err = sha_init(&md);
	for (uint64_t off = 0; off < it->size && !err;) {
		size_t n = it->size - off < CAST_HW_DATA_MAX
		               ? (size_t)(it->size - off)
		               : CAST_HW_DATA_MAX;
		err = read_at(fd, data, n, off);
		if (err)
			break;
		if (EVP_DigestUpdate(md, data, n) != 1) {
			err = CAST_EEXTERNAL;
			break;
		}
		put_hdr(tx->buf, CAST_HW_DATA, tx->coll);
		put32(tx->buf + 8, index);
		put64(tx->buf + 12, off);
		put32(tx->buf + 20, (uint32_t)n);
		err = emit(tx, CAST_HW_DATA_HDR_SIZE + n);
		off += n;
	}
	if (!err)
		err = check_eof(fd, it->size);
	if (!err)
		err = sha_final(md, sha2);
	if (!err && CRYPTO_memcmp(sha, sha2, 32) != 0)
		err = CAST_ERROR(ESTALE);
	if (!err) {
		put_hdr(tx->buf, CAST_HW_END, tx->coll);
		put32(tx->buf + 8, index);
		err = emit(tx, CAST_HW_END_SIZE);
	}
out:
	if (err && !tx->send_failed) {
		cast_log(CAST_LOG_WARN, OBJ, "%s: %s not sent: %s", who,
		         it->rel,
		         err == CAST_ERROR(ESTALE) ? "it changed while sending"
		                                   : cast_strerror(err));
		if (begun) {
			int e2 = emit_abort(tx, index, err);
			if (e2)
				err = e2;
		}
	}
	EVP_MD_CTX_free(md);
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * Opens the folder to submit: `folder` below `root` component by component
 * without following any link (root NULL: `folder` as given, only its last
 * component not followed). Returns the fd or an error.
 */
static int open_folder(const char *root, const char *folder)
{
	int rfd, fd;

	if (!root) {
		fd = open(folder, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		                      O_CLOEXEC);
		return fd < 0 ? link_error(AT_FDCWD, folder) : fd;
	}
	if (cast_homework_path_check(folder))
		return CAST_ERROR(EINVAL);
	/* The root is the app's (the lab's) choice: it may be a link. */
	rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return CAST_ERROR(errno);
	fd = open_beneath(rfd, folder, O_RDONLY | O_DIRECTORY);
	close(rfd);
	return fd;
}

static int submit(const char *root, const char *folder,
                  const char *student_id, uint32_t collection_id,
                  cast_homework_send_cb *send, void *arg,
                  const struct cast_homework_limits *lim)
{
	struct scan sc = {0};
	struct tx tx = {.send = send, .arg = arg, .coll = collection_id};
	char rel[CAST_HW_PATH_MAX] = "";
	uint32_t sent = 0;
	int status = 0, err = 0, rootfd = -1;

	if (!folder || !send)
		return CAST_ERROR(EINVAL);
	limits_or_default(&sc.lim, lim);
	sc.who = student_id && *student_id ? student_id : "student";
	tx.buf = malloc(CAST_HW_DATA_HDR_SIZE + CAST_HW_DATA_MAX);
	if (!tx.buf)
		return CAST_ERROR(ENOMEM);

	rootfd = open_folder(root, folder);
	if (rootfd < 0) {
		status = rootfd;
		rootfd = -1;
		if (status == CAST_ERROR(ELOOP))
			cast_log(CAST_LOG_WARN, OBJ,
			         "%s: %s is (or is inside) a symbolic link: "
			         "not followed",
			         sc.who, folder);
	} else {
		int dfd = dup(rootfd);
		status =
		    dfd < 0 ? CAST_ERROR(errno) : scan_dir(&sc, dfd, rel, 0, 0);
	}
	if (status) {
		cast_log(CAST_LOG_WARN, OBJ, "%s: cannot submit %s: %s", sc.who,
		         folder, cast_strerror(status));
		goto done;
	}
	/* What is coming, so the teacher can show progress. */
	err = emit_plan(&tx, (uint32_t)sc.n, sc.total);
	if (err)
		goto out;
	for (size_t i = 0; i < sc.n; i++) {
		err = send_file(&tx, rootfd, &sc.v[i], (uint32_t)i, sc.who);
		if (tx.send_failed)
			goto out;
		if (err == CAST_ERROR(ESTALE)) {
			status = err;
			continue;
		}
		if (err) {
			status = err;
			break;
		}
		sent++;
	}
done:
	err = emit_done(&tx, sent, status);
	if (!err)
		err = status;
	if (!err) {
		cast_log(CAST_LOG_INFO, OBJ, "%s: submitted %u files", sc.who,
		         sent);
		err = (int)sent;
	}
out:
	if (rootfd >= 0)
		close(rootfd);
	for (size_t i = 0; i < sc.n; i++)
		free(sc.v[i].rel);
	free(sc.v);
	free(tx.buf);
	return err;
}

int cast_homework_send(const char *folder, const char *student_id,
                       uint32_t collection_id, cast_homework_send_cb *send,
                       void *arg, const struct cast_homework_limits *lim)
{
	return submit(NULL, folder, student_id, collection_id, send, arg, lim);
}

int cast_homework_send_in(const char *root, const char *folder,
                          const char *student_id, uint32_t collection_id,
                          cast_homework_send_cb *send, void *arg,
                          const struct cast_homework_limits *lim)
{
	if (!root)
		return CAST_ERROR(EINVAL);
	return submit(root, folder, student_id, collection_id, send, arg, lim);
}

/* ---- Teacher: receiver ----------------------------------------------- */

struct student {
	struct cast_homework_status st;
	uint32_t round_files; /* BEGINs accepted in this submission */
	uint64_t round_bytes; /* their announced sizes */
	uint64_t life_bytes;  /* announced over the receiver's life */
	/* The file being received (open). */
	bool open;
	uint32_t index;
	int dirfd, fd;
	char leaf[CAST_HW_NAME_MAX + 1];
	char partial[CAST_HW_NAME_MAX + PARTIAL_LEN + 1];
	uint8_t sha256[32];
	EVP_MD_CTX *md;
};

struct cast_homework_rx {
	pthread_mutex_t lock;
	int lesson_fd;
	struct cast_homework_limits lim;
	struct student **v;
	size_t n, cap;
};

static int mkdir_open(int parent, const char *name)
{
	if (mkdirat(parent, name, DIR_MODE) < 0 && errno != EEXIST)
		return CAST_ERROR(errno);
	int fd = openat(parent, name,
	                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? CAST_ERROR(errno) : fd;
}

int cast_homework_rx_new(struct cast_homework_rx **out, const char *root,
                         const char *lesson,
                         const struct cast_homework_limits *lim)
{
	struct cast_homework_rx *rx = NULL;
	int err, rootfd = -1;

	if (!out || !root || !*root)
		return CAST_ERROR(EINVAL);
	err = cast_homework_name_check(lesson);
	if (err)
		return err;
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		return CAST_ERROR(ENOMEM);
	rx->lesson_fd = -1;
	limits_or_default(&rx->lim, lim);
	if ((err = pthread_mutex_init(&rx->lock, NULL))) {
		free(rx);
		return CAST_ERROR(err);
	}
	if (mkdir(root, DIR_MODE) < 0 && errno != EEXIST) {
		err = CAST_ERROR(errno);
		goto out;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		err = CAST_ERROR(errno);
		goto out;
	}
	err = mkdir_open(rootfd, lesson);
	if (err < 0)
		goto out;
	rx->lesson_fd = err;
	err = 0;
	*out = rx;
out:
	if (rootfd >= 0)
		close(rootfd);
	if (err) {
		cast_log(CAST_LOG_ERROR, OBJ, "cannot open %s/%s: %s", root,
		         lesson, cast_strerror(err));
		pthread_mutex_destroy(&rx->lock);
		free(rx);
	}
	return err;
}

/* Closes the open file of `s`, removing its .partial. */
static void close_file(struct student *s)
{
	if (!s->open)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->dirfd >= 0) {
		if (s->partial[0])
			unlinkat(s->dirfd, s->partial, 0);
		close(s->dirfd);
	}
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
	s->fd = s->dirfd = -1;
	s->open = false;
	s->partial[0] = s->leaf[0] = '\0';
	s->st.current[0] = '\0';
	s->st.current_size = s->st.current_bytes = 0;
}

void cast_homework_rx_free(struct cast_homework_rx **prx)
{
	if (!prx || !*prx)
		return;
	struct cast_homework_rx *rx = *prx;
	for (size_t i = 0; i < rx->n; i++) {
		close_file(rx->v[i]);
		free(rx->v[i]);
	}
	free(rx->v);
	if (rx->lesson_fd >= 0)
		close(rx->lesson_fd);
	pthread_mutex_destroy(&rx->lock);
	free(rx);
	*prx = NULL;
}

static struct student *find_student(struct cast_homework_rx *rx, const char *id)
{
	for (size_t i = 0; i < rx->n; i++)
		if (!strcmp(rx->v[i]->st.student_id, id))
			return rx->v[i];
	return NULL;
}

static int add_student(struct cast_homework_rx *rx, const char *id,
                       struct student **out)
{
	if (rx->n >= CAST_HW_STUDENTS_MAX)
		return CAST_ERROR(ENOSPC);
	if (rx->n == rx->cap) {
		size_t cap = rx->cap ? rx->cap * 2 : 16;
		struct student **v = realloc(rx->v, cap * sizeof(*v));
		if (!v)
			return CAST_ERROR(ENOMEM);
		rx->v = v;
		rx->cap = cap;
	}
	struct student *s = calloc(1, sizeof(*s));
	if (!s)
		return CAST_ERROR(ENOMEM);
	snprintf(s->st.student_id, sizeof(s->st.student_id), "%s", id);
	s->fd = s->dirfd = -1;
	rx->v[rx->n++] = s;
	*out = s;
	return 0;
}

/* The open file failed with `err`: remove it and count it. */
static void fail_file(struct student *s, int err)
{
	if (!s->open)
		return;
	cast_log(CAST_LOG_WARN, OBJ, "%s: %s refused: %s", s->st.student_id,
	         s->st.current, cast_strerror(err));
	close_file(s);
	s->st.files_failed++;
	s->st.last_error = err;
}

/* A chunk was refused: count it; it breaks the file being received. */
static int reject(struct student *s, int err)
{
	s->st.chunks_rejected++;
	s->st.last_error = err;
	fail_file(s, err);
	return err;
}

/* A BEGIN was refused before its file was opened: count the file too. */
static int refuse_begin(struct student *s, int err)
{
	s->st.files_failed++;
	return reject(s, err);
}

/* Starts a new submission (counters per submission restart). */
static void new_round(struct student *s, uint32_t coll)
{
	s->st.collection_id = coll;
	s->st.in_progress = true;
	s->st.done = false;
	s->st.files_announced = 0;
	s->st.files_expected = 0;
	s->st.bytes_expected = 0;
	s->st.files_done = 0;
	s->st.files_failed = 0;
	s->st.bytes = 0;
	s->st.last_error = 0;
	s->round_files = 0;
	s->round_bytes = 0;
}

/* Opens (creating) <student>/<dirs of path>; path is modified then put back. */
static int open_parent(struct cast_homework_rx *rx, const char *id, char *path,
                       const char **leaf)
{
	int dfd = mkdir_open(rx->lesson_fd, id);
	char *p = path, *slash;
	while (dfd >= 0 && (slash = strchr(p, '/'))) {
		*slash = '\0';
		int nfd = mkdir_open(dfd, p);
		*slash = '/';
		close(dfd);
		dfd = nfd;
		p = slash + 1;
	}
	*leaf = p;
	return dfd;
}

/* Creates the .partial afresh: an existing entry is removed, never reused. */
static int create_partial(int dfd, const char *name)
{
	for (int tries = 0; tries < 2; tries++) {
		int fd =
		    openat(dfd, name,
		           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		           FILE_MODE);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST || unlinkat(dfd, name, 0) < 0)
			return CAST_ERROR(errno);
	}
	return CAST_ERROR(EEXIST);
}

static int on_begin(struct cast_homework_rx *rx, struct student *s,
                    uint32_t coll, const uint8_t *b, size_t len)
{
	char path[CAST_HW_PATH_MAX];
	const char *leaf;
	int err = 0;

	/* A BEGIN while a file is open: the open one never got its END. */
	fail_file(s, CAST_ERROR(EPROTO));
	if (!s->st.in_progress || coll != s->st.collection_id)
		new_round(s, coll);

	if (len < CAST_HW_BEGIN_SIZE)
		return refuse_begin(s, CAST_EMALFORMED);
	uint32_t index = get32(b + 8);
	uint64_t size = get64(b + 12);
	size_t plen = get16(b + 52);
	if (len != CAST_HW_BEGIN_SIZE + plen || plen == 0)
		return refuse_begin(s, CAST_EMALFORMED);
	if (plen >= CAST_HW_PATH_MAX)
		return refuse_begin(s, CAST_ERROR(ENAMETOOLONG));
	if (memchr(b + CAST_HW_BEGIN_SIZE, '\0', plen))
		return refuse_begin(s, CAST_EMALFORMED);
	memcpy(path, b + CAST_HW_BEGIN_SIZE, plen);
	path[plen] = '\0';
	if ((err = cast_homework_path_check(path)))
		return refuse_begin(s, err);
	if (index >= rx->lim.max_files || s->round_files >= rx->lim.max_files ||
	    size > rx->lim.max_file_bytes ||
	    size > rx->lim.max_total_bytes - s->round_bytes ||
	    s->round_bytes > rx->lim.max_total_bytes ||
	    size > rx->lim.max_student_bytes - s->life_bytes ||
	    s->life_bytes > rx->lim.max_student_bytes) {
		cast_log(CAST_LOG_WARN, OBJ, "%s: %s (%llu bytes) over limits",
		         s->st.student_id, path, (unsigned long long)size);
		return refuse_begin(s, CAST_ERROR(EFBIG));
	}
	s->round_files++;
	s->round_bytes += size;
	s->life_bytes += size;

	s->dirfd = open_parent(rx, s->st.student_id, path, &leaf);
	if (s->dirfd < 0) {
		err = s->dirfd;
		s->dirfd = -1;
		cast_log(CAST_LOG_WARN, OBJ, "%s: %s refused: %s",
		         s->st.student_id, path, cast_strerror(err));
		return refuse_begin(s, err);
	}
	/* From here on the file is open: failing it counts it once. */
	size_t ll = strlen(leaf); /* <= CAST_HW_NAME_MAX: path checked */
	memcpy(s->leaf, leaf, ll + 1);
	memcpy(s->partial, leaf, ll);
	memcpy(s->partial + ll, PARTIAL_SUFFIX, PARTIAL_LEN + 1);
	s->open = true;
	s->index = index;
	s->st.current_size = size;
	s->st.current_bytes = 0;
	memcpy(s->st.current, path, plen + 1);
	memcpy(s->sha256, b + 20, 32);
	s->fd = create_partial(s->dirfd, s->partial);
	if (s->fd < 0) {
		err = s->fd;
		s->fd = -1;
		s->partial[0] = '\0'; /* not ours: leave it */
		return reject(s, err);
	}
	if ((err = sha_init(&s->md)))
		return reject(s, err);
	return 0;
}

/* DATA / END / ABORT must continue the open file. */
static int check_open(struct student *s, uint32_t coll, uint32_t index)
{
	if (!s->open || coll != s->st.collection_id || index != s->index)
		return CAST_ERROR(EPROTO);
	return 0;
}

static int on_data(struct student *s, uint32_t coll, const uint8_t *b,
                   size_t len)
{
	if (len < CAST_HW_DATA_HDR_SIZE)
		return reject(s, CAST_EMALFORMED);
	uint32_t index = get32(b + 8);
	uint64_t off = get64(b + 12);
	size_t n = get32(b + 20);
	if (n == 0 || n > CAST_HW_DATA_MAX || len != CAST_HW_DATA_HDR_SIZE + n)
		return reject(s, CAST_EMALFORMED);
	int err = check_open(s, coll, index);
	if (err)
		return reject(s, err);
	if (off != s->st.current_bytes)
		return reject(s, CAST_ERROR(EPROTO));
	if (n > s->st.current_size - s->st.current_bytes)
		return reject(s, CAST_ERROR(EFBIG));
	const uint8_t *data = b + CAST_HW_DATA_HDR_SIZE;
	if (EVP_DigestUpdate(s->md, data, n) != 1)
		return reject(s, CAST_EEXTERNAL);
	err = cast__write_all(s->fd, data, n);
	if (err)
		return reject(s, err);
	s->st.current_bytes += n;
	return 0;
}

static int on_end(struct student *s, uint32_t coll, const uint8_t *b,
                  size_t len)
{
	uint8_t md[32];
	if (len != CAST_HW_END_SIZE)
		return reject(s, CAST_EMALFORMED);
	int err = check_open(s, coll, get32(b + 8));
	if (err)
		return reject(s, err);
	if (s->st.current_bytes != s->st.current_size)
		return reject(s, CAST_ERROR(EBADMSG));
	if ((err = sha_final(s->md, md)))
		return reject(s, err);
	if (CRYPTO_memcmp(md, s->sha256, 32) != 0)
		return reject(s, CAST_ERROR(EBADMSG));
	err = fsync(s->fd) < 0 ? CAST_ERROR(errno) : 0;
	if (close(s->fd) < 0 && !err)
		err = CAST_ERROR(errno);
	s->fd = -1;
	if (err)
		return reject(s, err);
	if (renameat(s->dirfd, s->partial, s->dirfd, s->leaf) < 0)
		return reject(s, CAST_ERROR(errno));
	s->partial[0] = '\0'; /* renamed: nothing to remove */
	cast_log(CAST_LOG_DEBUG, OBJ, "%s: %s stored (%llu bytes)",
	         s->st.student_id, s->st.current,
	         (unsigned long long)s->st.current_size);
	s->st.files_done++;
	s->st.bytes += s->st.current_size;
	close_file(s);
	return 1;
}

static int on_abort(struct student *s, uint32_t coll, const uint8_t *b,
                    size_t len)
{
	if (len != CAST_HW_ABORT_SIZE)
		return reject(s, CAST_EMALFORMED);
	int err = check_open(s, coll, get32(b + 8));
	if (err)
		return reject(s, err);
	fail_file(s, CAST_ERROR(ECANCELED));
	return 0;
}

/* PLAN: a submission starts (a restarted one starts over). */
static int on_plan(struct cast_homework_rx *rx, struct student *s,
                   uint32_t coll, const uint8_t *b, size_t len)
{
	if (len != CAST_HW_PLAN_SIZE)
		return reject(s, CAST_EMALFORMED);
	/* A file still open never got its END. */
	fail_file(s, CAST_ERROR(EPROTO));
	new_round(s, coll);
	uint32_t files = get32(b + 8);
	uint64_t total = get64(b + 12);
	if (files > rx->lim.max_files || total > rx->lim.max_total_bytes)
		return reject(s, CAST_ERROR(EFBIG));
	s->st.files_expected = files;
	s->st.bytes_expected = total;
	return 0;
}

static int on_done(struct student *s, uint32_t coll, const uint8_t *b,
                   size_t len)
{
	if (len != CAST_HW_DONE_SIZE)
		return reject(s, CAST_EMALFORMED);
	int32_t status = (int32_t)get32(b + 12);
	if (status > 0)
		return reject(s, CAST_EMALFORMED);
	/* A file still open never got its END. */
	fail_file(s, CAST_ERROR(EPROTO));
	if (!s->st.in_progress || coll != s->st.collection_id)
		new_round(s, coll);
	s->st.files_announced = get32(b + 8);
	if (status < 0)
		s->st.last_error = status;
	s->st.in_progress = false;
	s->st.done = true;
	cast_log(CAST_LOG_INFO, OBJ,
	         "%s: submission %u done: %u stored, %u failed, %u announced",
	         s->st.student_id, coll, s->st.files_done, s->st.files_failed,
	         s->st.files_announced);
	return 2;
}

int cast_homework_rx_event(struct cast_homework_rx *rx, const char *student_id,
                           const void *args, size_t len)
{
	struct student *s;
	int err;

	if (!rx || !student_id || (!args && len))
		return CAST_ERROR(EINVAL);
	if ((err = cast_homework_name_check(student_id))) {
		cast_log(CAST_LOG_WARN, OBJ,
		         "chunk from a student id that is not a safe folder "
		         "name: refused");
		return err;
	}
	pthread_mutex_lock(&rx->lock);
	s = find_student(rx, student_id);
	if (!s && (err = add_student(rx, student_id, &s)))
		goto out;
	const uint8_t *b = args;
	if (len < CAST_HW_HDR_SIZE || b[0] != CAST_HW_VERSION ||
	    get16(b + 2) != 0) {
		err = reject(s, CAST_EMALFORMED);
		goto out;
	}
	uint32_t coll = get32(b + 4);
	switch (b[1]) {
	case CAST_HW_BEGIN:
		err = on_begin(rx, s, coll, b, len);
		break;
	case CAST_HW_DATA:
		err = on_data(s, coll, b, len);
		break;
	case CAST_HW_END:
		err = on_end(s, coll, b, len);
		break;
	case CAST_HW_ABORT:
		err = on_abort(s, coll, b, len);
		break;
	case CAST_HW_DONE:
		err = on_done(s, coll, b, len);
		break;
	case CAST_HW_PLAN:
		err = on_plan(rx, s, coll, b, len);
		break;
	default:
		err = reject(s, CAST_EMALFORMED);
		break;
	}
out:
	pthread_mutex_unlock(&rx->lock);
	return err;
}

int cast_homework_rx_abort(struct cast_homework_rx *rx, const char *student_id)
{
	if (!rx || !student_id)
		return CAST_ERROR(EINVAL);
	int err = 0;
	pthread_mutex_lock(&rx->lock);
	struct student *s = find_student(rx, student_id);
	if (!s) {
		err = CAST_ERROR(ENOENT);
	} else {
		fail_file(s, CAST_ERROR(ECONNRESET));
		/* Cut off between two files: still not complete. */
		if (s->st.in_progress)
			s->st.last_error = CAST_ERROR(ECONNRESET);
		s->st.in_progress = false;
	}
	pthread_mutex_unlock(&rx->lock);
	return err;
}

int cast_homework_rx_status(struct cast_homework_rx *rx, const char *student_id,
                            struct cast_homework_status *st)
{
	if (!rx || !student_id || !st)
		return CAST_ERROR(EINVAL);
	int err = 0;
	pthread_mutex_lock(&rx->lock);
	struct student *s = find_student(rx, student_id);
	if (s)
		*st = s->st;
	else
		err = CAST_ERROR(ENOENT);
	pthread_mutex_unlock(&rx->lock);
	return err;
}

int cast_homework_rx_list(struct cast_homework_rx *rx,
                          struct cast_homework_status *arr, size_t max)
{
	if (!rx || (!arr && max))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&rx->lock);
	for (size_t i = 0; i < rx->n && i < max; i++)
		arr[i] = rx->v[i]->st;
	int n = (int)rx->n;
	pthread_mutex_unlock(&rx->lock);
	return n;
}
