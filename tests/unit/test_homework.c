/* Homework collection: round trip, hostile students, limits, two students. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "cast/cast.h"

/* Per test: base/src (the student's folder), base/root (the teacher's),
 * base/outside (must stay empty: nothing may escape the root). */
static char base[64];
static char src[128], root[128], outside[128];

static void quiet_log(enum cast_log_level level, const char *obj,
                      const char *msg, void *arg)
{
	(void)level;
	(void)obj;
	(void)msg;
	(void)arg;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int open_fds(void)
{
	return count_entries("/proc/self/fd");
}

static int fds_at_setup;

static int setup(void **state)
{
	(void)state;
	cast_log_set_handler(quiet_log, NULL);
	fds_at_setup = open_fds();
	snprintf(base, sizeof(base), "/tmp/cast-hw-XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(src, sizeof(src), "%s/src", base);
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	if (mkdir(src, 0700) || mkdir(outside, 0700))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (open_fds() != fds_at_setup) {
		fprintf(stderr, "leaked %d file descriptors\n",
		        open_fds() - fds_at_setup);
		return -1;
	}
	return 0;
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...)
{
	static char buf[4][1024];
	static int i;
	va_list ap;
	char *p = buf[i++ % 4];
	va_start(ap, fmt);
	vsnprintf(p, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *random_bytes(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = seed ? seed : 1;
	assert_non_null(p);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

/* True if `path` is a regular file (not a link) holding exactly data. */
static bool file_is(const char *path, const void *data, size_t len)
{
	struct stat st;
	if (lstat(path, &st) || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size != len)
		return false;
	uint8_t *got = malloc(len ? len : 1);
	FILE *f = fopen(path, "rb");
	bool ok = f && fread(got, 1, len, f) == len &&
	          (len == 0 || !memcmp(got, data, len));
	if (f)
		fclose(f);
	free(got);
	return ok;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int partials;
static int count_partial(const char *path, const struct stat *sb, int flag,
                         struct FTW *ftw)
{
	size_t n = strlen(path);
	(void)ftw;
	if (flag == FTW_F && S_ISREG(sb->st_mode) && n > 8 &&
	    !strcmp(path + n - 8, ".partial"))
		partials++;
	return 0;
}

/* Regular .partial files anywhere under the teacher's root. */
static int partials_left(void)
{
	partials = 0;
	nftw(root, count_partial, 16, FTW_PHYS);
	return partials;
}

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 0;
	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
}

/* ---- Chunk builders (what a hostile student could send) --------------- */

static size_t hdr(uint8_t *b, int kind, uint32_t coll)
{
	b[0] = CAST_HW_VERSION;
	b[1] = (uint8_t)kind;
	b[2] = b[3] = 0;
	b[4] = (uint8_t)(coll >> 24);
	b[5] = (uint8_t)(coll >> 16);
	b[6] = (uint8_t)(coll >> 8);
	b[7] = (uint8_t)coll;
	return CAST_HW_HDR_SIZE;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static size_t mk_begin(uint8_t *b, uint32_t coll, uint32_t idx, uint64_t size,
                       const uint8_t sha[32], const char *path, size_t plen)
{
	hdr(b, CAST_HW_BEGIN, coll);
	be32(b + 8, idx);
	be64(b + 12, size);
	if (sha)
		memcpy(b + 20, sha, 32);
	else
		memset(b + 20, 0, 32);
	b[52] = (uint8_t)(plen >> 8);
	b[53] = (uint8_t)plen;
	memcpy(b + CAST_HW_BEGIN_SIZE, path, plen);
	return CAST_HW_BEGIN_SIZE + plen;
}

static size_t mk_data(uint8_t *b, uint32_t coll, uint32_t idx, uint64_t off,
                      const void *data, size_t n)
{
	hdr(b, CAST_HW_DATA, coll);
	be32(b + 8, idx);
	be64(b + 12, off);
	be32(b + 20, (uint32_t)n);
	memcpy(b + CAST_HW_DATA_HDR_SIZE, data, n);
	return CAST_HW_DATA_HDR_SIZE + n;
}

static size_t mk_end(uint8_t *b, uint32_t coll, uint32_t idx)
{
	hdr(b, CAST_HW_END, coll);
	be32(b + 8, idx);
	return CAST_HW_END_SIZE;
}

static size_t mk_abort(uint8_t *b, uint32_t coll, uint32_t idx)
{
	hdr(b, CAST_HW_ABORT, coll);
	be32(b + 8, idx);
	be32(b + 12, (uint32_t)-EIO);
	return CAST_HW_ABORT_SIZE;
}

static size_t mk_done(uint8_t *b, uint32_t coll, uint32_t count, int status)
{
	hdr(b, CAST_HW_DONE, coll);
	be32(b + 8, count);
	be32(b + 12, (uint32_t)status);
	return CAST_HW_DONE_SIZE;
}

/* Sends one whole file the honest way; returns the END's result. */
static int rx_file(struct cast_homework_rx *rx, const char *id, uint32_t coll,
                   uint32_t idx, const char *path, const void *data, size_t n)
{
	static uint8_t b[CAST_HW_DATA_HDR_SIZE + 4096];
	uint8_t sha[32];
	int rc;
	sha256(data, n, sha);
	rc = cast_homework_rx_event(
	    rx, id, b, mk_begin(b, coll, idx, n, sha, path, strlen(path)));
	if (rc)
		return rc;
	if (n && (rc = cast_homework_rx_event(
	              rx, id, b, mk_data(b, coll, idx, 0, data, n))))
		return rc;
	return cast_homework_rx_event(rx, id, b, mk_end(b, coll, idx));
}

/* ---- Sender → receiver glue ------------------------------------------- */

struct feed {
	struct cast_homework_rx *rx;
	const char *id;
	int events, begins, datas, ends, aborts, dones, plans;
	int refused; /* chunks the receiver refused */
	int last_refusal;
	size_t max_len;
	int fail_after;     /* > 0: the callback fails at that event */
	const char *mutate; /* rewritten at the first DATA */
};

static int feed_cb(const char *name, const void *args, size_t len, void *arg)
{
	struct feed *f = arg;
	const uint8_t *b = args;
	assert_string_equal(name, CAST_HW_EVENT);
	assert_true(len <= CAST_MSG_ARGS_MAX);
	f->events++;
	if (f->fail_after && f->events >= f->fail_after)
		return CAST_ERROR(EPIPE);
	if (len > f->max_len)
		f->max_len = len;
	switch (b[1]) {
	case CAST_HW_BEGIN:
		f->begins++;
		break;
	case CAST_HW_DATA:
		if (f->datas++ == 0 && f->mutate) {
			uint8_t *junk = random_bytes(600000, 99);
			write_file(f->mutate, junk, 600000);
			free(junk);
		}
		break;
	case CAST_HW_END:
		f->ends++;
		break;
	case CAST_HW_ABORT:
		f->aborts++;
		break;
	case CAST_HW_DONE:
		f->dones++;
		break;
	case CAST_HW_PLAN:
		f->plans++;
		break;
	}
	if (!f->rx)
		return 0;
	int rc = cast_homework_rx_event(f->rx, f->id, args, len);
	if (rc < 0) {
		f->refused++;
		f->last_refusal = rc;
	}
	return 0;
}

/* Stored chunks, to interleave students or replay. */
struct tape {
	uint8_t *chunk[256];
	size_t len[256];
	int n;
};

static int tape_cb(const char *name, const void *args, size_t len, void *arg)
{
	struct tape *t = arg;
	(void)name;
	assert_true(t->n < 256);
	t->chunk[t->n] = malloc(len);
	assert_non_null(t->chunk[t->n]);
	memcpy(t->chunk[t->n], args, len);
	t->len[t->n++] = len;
	return 0;
}

static void tape_free(struct tape *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->chunk[i]);
	t->n = 0;
}

/* ---- Tests ------------------------------------------------------------ */

static void test_path_rules(void **state)
{
	(void)state;
	assert_int_equal(cast_homework_path_check("a.txt"), 0);
	assert_int_equal(cast_homework_path_check("作业1.docx"), 0);
	assert_int_equal(cast_homework_path_check("第一章/图 1.png"), 0);
	assert_int_equal(cast_homework_path_check("x..y/b"), 0);
	const char *bad[] = {
	    "",
	    "../x",
	    "..",
	    "/etc/x",
	    "a/../../x",
	    "\x01",
	    ".hidden",
	    "a/.git/config",
	    "a//b",
	    "a/",
	    "./a",
	    "a\\b",
	    "a\nb",
	    "a\x7f",
	    "a\x80",
	    "\xc0\xaf",
	    "\xed\xa0\x80",
	    "a\xc2\x85",
	    "x\xe2\x80\xaetxt.exe",
	    "a.partial",
	    "d/b.partial",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cast_homework_path_check(bad[i]),
		                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_homework_path_check(NULL), CAST_ERROR(EINVAL));
	char deep[64] = "";
	for (int i = 0; i < CAST_HW_DEPTH_MAX; i++)
		strcat(deep, "a/");
	strcat(deep, "f");
	assert_int_equal(cast_homework_path_check(deep), CAST_ERROR(EINVAL));
	char longname[CAST_HW_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(cast_homework_path_check(longname),
	                 CAST_ERROR(ENAMETOOLONG));
	longname[CAST_HW_NAME_MAX] = '\0';
	assert_int_equal(cast_homework_path_check(longname), 0);
	char longpath[CAST_HW_PATH_MAX + 8];
	memset(longpath, 'p', sizeof(longpath) - 1);
	for (size_t i = 100; i < sizeof(longpath); i += 100)
		longpath[i] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(cast_homework_path_check(longpath),
	                 CAST_ERROR(ENAMETOOLONG));

	assert_int_equal(cast_homework_name_check("s01"), 0);
	assert_int_equal(cast_homework_name_check("10.0.0.5:4242"), 0);
	assert_int_equal(cast_homework_name_check("张三"), 0);
	assert_int_equal(cast_homework_name_check("../../t"),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_homework_name_check("a/b"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_homework_name_check(".."), CAST_ERROR(EINVAL));
	assert_int_equal(cast_homework_name_check(""), CAST_ERROR(EINVAL));
	char longid[CAST_HW_ID_MAX + 2];
	memset(longid, 'i', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(cast_homework_name_check(longid),
	                 CAST_ERROR(ENAMETOOLONG));
}

static void test_round_trip(void **state)
{
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st;
	(void)state;
	const size_t big = 3 * 1000 * 1000 + 17;
	uint8_t *big_data = random_bytes(big, 7);
	const char *small = "hello homework\n";
	const char *zh = "第一题：答案是 42。\n";

	assert_int_equal(mkdir(pathf("%s/sub", src), 0700), 0);
	assert_int_equal(mkdir(pathf("%s/sub/deep", src), 0700), 0);
	assert_int_equal(mkdir(pathf("%s/作业2", src), 0700), 0);
	assert_int_equal(mkdir(pathf("%s/.git", src), 0700), 0);
	write_file(pathf("%s/a.txt", src), small, strlen(small));
	write_file(pathf("%s/sub/deep/big.bin", src), big_data, big);
	write_file(pathf("%s/sub/empty", src), "", 0);
	write_file(pathf("%s/作业1.docx", src), zh, strlen(zh));
	write_file(pathf("%s/作业2/说明.txt", src), zh, strlen(zh));
	/* Not sent: hidden, a link to outside, a FIFO. */
	write_file(pathf("%s/.secret", src), "x", 1);
	write_file(pathf("%s/.git/config", src), "x", 1);
	write_file(pathf("%s/target", outside), "outside", 7);
	assert_int_equal(
	    symlink(pathf("%s/target", outside), pathf("%s/link.txt", src)), 0);
	assert_int_equal(symlink(outside, pathf("%s/linkdir", src)), 0);
	assert_int_equal(mkfifo(pathf("%s/fifo", src), 0600), 0);

	assert_int_equal(cast_homework_rx_new(&rx, root, "lesson-1", NULL), 0);
	struct feed f = {.rx = rx, .id = "s01"};
	assert_int_equal(cast_homework_send(src, "s01", 7, feed_cb, &f, NULL),
	                 5);
	assert_int_equal(f.refused, 0);
	assert_int_equal(f.begins, 5);
	assert_int_equal(f.ends, 5);
	assert_int_equal(f.dones, 1);
	assert_int_equal(f.plans, 1);
	assert_int_equal(f.aborts, 0);
	assert_int_equal(f.datas, 3 + (int)((big + CAST_HW_DATA_MAX - 1) /
	                                    CAST_HW_DATA_MAX));
	/* The PLAN gave the teacher the totals to show progress against. */
	struct cast_homework_status pst;
	assert_int_equal(cast_homework_rx_status(rx, "s01", &pst), 0);
	assert_int_equal(pst.files_expected, 5);
	assert_int_equal(pst.bytes_expected,
	                 strlen(small) + big + 2 * strlen(zh));
	assert_int_equal(pst.bytes, pst.bytes_expected);
	assert_true(f.max_len <= CAST_HW_DATA_HDR_SIZE + CAST_HW_DATA_MAX);

	char t[512];
	snprintf(t, sizeof(t), "%s", pathf("%s/lesson-1/s01", root));
	assert_true(file_is(pathf("%s/a.txt", t), small, strlen(small)));
	assert_true(file_is(pathf("%s/sub/deep/big.bin", t), big_data, big));
	assert_true(file_is(pathf("%s/sub/empty", t), "", 0));
	assert_true(file_is(pathf("%s/作业1.docx", t), zh, strlen(zh)));
	assert_true(file_is(pathf("%s/作业2/说明.txt", t), zh, strlen(zh)));
	assert_false(exists(pathf("%s/.secret", t)));
	assert_false(exists(pathf("%s/.git", t)));
	assert_false(exists(pathf("%s/link.txt", t)));
	assert_false(exists(pathf("%s/linkdir", t)));
	assert_false(exists(pathf("%s/fifo", t)));
	assert_int_equal(count_entries(t), 4); /* a.txt sub 作业1 作业2 */
	assert_int_equal(partials_left(), 0);

	assert_int_equal(cast_homework_rx_status(rx, "s01", &st), 0);
	assert_string_equal(st.student_id, "s01");
	assert_int_equal(st.collection_id, 7);
	assert_int_equal(st.files_done, 5);
	assert_int_equal(st.files_failed, 0);
	assert_int_equal(st.chunks_rejected, 0);
	assert_int_equal(st.files_announced, 5);
	assert_true(st.done);
	assert_false(st.in_progress);
	assert_int_equal(st.last_error, 0);
	assert_int_equal(st.bytes, big + 2 * strlen(zh) + strlen(small));
	assert_string_equal(st.current, "");
	assert_int_equal(cast_homework_rx_status(rx, "nobody", &st),
	                 CAST_ERROR(ENOENT));

	/* Submitting again replaces the files and restarts the counters. */
	write_file(pathf("%s/a.txt", src), "v2", 2);
	f = (struct feed){.rx = rx, .id = "s01"};
	assert_int_equal(cast_homework_send(src, "s01", 0, feed_cb, &f, NULL),
	                 5);
	assert_true(file_is(pathf("%s/a.txt", t), "v2", 2));
	assert_int_equal(cast_homework_rx_status(rx, "s01", &st), 0);
	assert_int_equal(st.collection_id, 0);
	assert_int_equal(st.files_done, 5);
	assert_int_equal(count_entries(outside), 1); /* just "target" */
	cast_homework_rx_free(&rx);
	assert_null(rx);
	free(big_data);
}

static void test_hostile_student(void **state)
{
	static uint8_t b[CAST_HW_DATA_HDR_SIZE + 4096];
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st;
	uint8_t sha[32];
	const char *id = "evil";
	(void)state;

	assert_int_equal(cast_homework_rx_new(&rx, root, "L", NULL), 0);
	char t[512];
	snprintf(t, sizeof(t), "%s", pathf("%s/L/%s", root, id));

	/* Paths that would leave the student's folder or hide. */
	const char *bad[] = {"../x",    "/etc/x", "a/../../x", "\x01",
	                     ".hidden", "a/./b",  "..",        "x.partial"};
	size_t nbad = sizeof(bad) / sizeof(bad[0]);
	for (size_t i = 0; i < nbad; i++) {
		sha256("x", 1, sha);
		assert_int_equal(
		    cast_homework_rx_event(rx, id, b,
		                           mk_begin(b, 1, (uint32_t)i, 1, sha,
		                                    bad[i], strlen(bad[i]))),
		    CAST_ERROR(EINVAL));
		/* The data that follows belongs to no file. */
		assert_int_equal(
		    cast_homework_rx_event(
		        rx, id, b, mk_data(b, 1, (uint32_t)i, 0, "x", 1)),
		    CAST_ERROR(EPROTO));
	}
	/* A NUL inside the path. */
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_begin(b, 1, 0, 1, sha, "a\0b", 3)),
	                 CAST_EMALFORMED);
	assert_int_equal(cast_homework_rx_status(rx, id, &st), 0);
	assert_int_equal(st.files_failed, nbad + 1);
	assert_int_equal(st.chunks_rejected, 2 * nbad + 1);
	assert_true(st.in_progress);

	/* Ids that are not one safe folder name: refused, nothing kept. */
	const char *bad_ids[] = {"../../t", "a/b", "..", "", ".x", "a\tb"};
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		assert_int_equal(
		    cast_homework_rx_event(rx, bad_ids[i], b,
		                           mk_begin(b, 1, 0, 1, sha, "ok", 2)),
		    CAST_ERROR(EINVAL));
		assert_int_equal(cast_homework_rx_status(rx, bad_ids[i], &st),
		                 CAST_ERROR(ENOENT));
	}
	assert_false(exists(pathf("%s/t", base)));
	assert_int_equal(count_entries(pathf("%s/L", root)), 0);

	/* DATA past the announced size. */
	sha256("abcd", 4, sha);
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_begin(b, 2, 0, 4, sha, "big", 3)),
	                 0);
	assert_true(exists(pathf("%s/big.partial", t)));
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_data(b, 2, 0, 0, "abcdefgh", 8)),
	                 CAST_ERROR(EFBIG));
	assert_false(exists(pathf("%s/big.partial", t)));
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_end(b, 2, 0)),
	                 CAST_ERROR(EPROTO));
	assert_false(exists(pathf("%s/big", t)));

	/* Exactly the size, in two chunks, then one byte too many. */
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_begin(b, 2, 1, 4, sha, "big", 3)),
	                 0);
	assert_int_equal(
	    cast_homework_rx_event(rx, id, b, mk_data(b, 2, 1, 0, "ab", 2)), 0);
	assert_int_equal(cast_homework_rx_status(rx, id, &st), 0);
	assert_string_equal(st.current, "big");
	assert_int_equal(st.current_size, 4);
	assert_int_equal(st.current_bytes, 2);
	assert_int_equal(
	    cast_homework_rx_event(rx, id, b, mk_data(b, 2, 1, 2, "cde", 3)),
	    CAST_ERROR(EFBIG));
	assert_false(exists(pathf("%s/big", t)));

	/* A gap in the offsets, another file's index, another collection. */
	const struct {
		uint32_t coll, idx;
		uint64_t off;
	} seq[] = {{2, 2, 1}, {2, 9, 0}, {3, 2, 0}};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(
		    cast_homework_rx_event(rx, id, b,
		                           mk_begin(b, 2, 2, 4, sha, "big", 3)),
		    0);
		assert_int_equal(
		    cast_homework_rx_event(rx, id, b,
		                           mk_data(b, seq[i].coll, seq[i].idx,
		                                   seq[i].off, "ab", 2)),
		    CAST_ERROR(EPROTO));
		assert_false(exists(pathf("%s/big.partial", t)));
	}

	/* A wrong hash, and a short file: never renamed to the final name. */
	uint8_t wrong[32] = {0};
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_begin(b, 2, 5, 4, wrong, "w", 1)),
	                 0);
	assert_int_equal(
	    cast_homework_rx_event(rx, id, b, mk_data(b, 2, 5, 0, "abcd", 4)),
	    0);
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_end(b, 2, 5)),
	                 CAST_ERROR(EBADMSG));
	assert_false(exists(pathf("%s/w", t)));
	assert_false(exists(pathf("%s/w.partial", t)));
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_begin(b, 2, 6, 4, sha, "s", 1)),
	                 0);
	assert_int_equal(
	    cast_homework_rx_event(rx, id, b, mk_data(b, 2, 6, 0, "ab", 2)), 0);
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_end(b, 2, 6)),
	                 CAST_ERROR(EBADMSG));
	assert_false(exists(pathf("%s/s", t)));

	/* Truncated chunks: BEGIN, DATA, END, a bare header, 3 bytes. */
	size_t n = mk_begin(b, 2, 7, 4, sha, "tr", 2);
	assert_int_equal(cast_homework_rx_event(rx, id, b, n - 1),
	                 CAST_EMALFORMED);
	assert_int_equal(cast_homework_rx_event(rx, id, b, 40),
	                 CAST_EMALFORMED);
	assert_int_equal(cast_homework_rx_event(rx, id, b, n), 0);
	n = mk_data(b, 2, 7, 0, "abcd", 4);
	assert_int_equal(cast_homework_rx_event(rx, id, b, n - 1),
	                 CAST_EMALFORMED);
	assert_false(exists(pathf("%s/tr.partial", t)));
	n = mk_end(b, 2, 7);
	assert_int_equal(cast_homework_rx_event(rx, id, b, n - 1),
	                 CAST_EMALFORMED);
	assert_int_equal(cast_homework_rx_event(rx, id, b, 8), CAST_EMALFORMED);
	assert_int_equal(cast_homework_rx_event(rx, id, b, 3), CAST_EMALFORMED);
	assert_int_equal(cast_homework_rx_event(rx, id, NULL, 0),
	                 CAST_EMALFORMED);
	/* Bad version, unknown kind, reserved bits set. */
	n = mk_end(b, 2, 7);
	b[0] = 2;
	assert_int_equal(cast_homework_rx_event(rx, id, b, n), CAST_EMALFORMED);
	n = mk_end(b, 2, 7);
	b[1] = 9;
	assert_int_equal(cast_homework_rx_event(rx, id, b, n), CAST_EMALFORMED);
	n = mk_end(b, 2, 7);
	b[3] = 1;
	assert_int_equal(cast_homework_rx_event(rx, id, b, n), CAST_EMALFORMED);
	/* A DATA with a zero or oversize length field. */
	n = mk_data(b, 2, 7, 0, "", 0);
	assert_int_equal(cast_homework_rx_event(rx, id, b, n), CAST_EMALFORMED);

	/* Chunks for a file never begun. */
	assert_int_equal(
	    cast_homework_rx_event(rx, id, b, mk_data(b, 2, 40, 0, "zz", 2)),
	    CAST_ERROR(EPROTO));
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_end(b, 2, 40)),
	                 CAST_ERROR(EPROTO));
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_abort(b, 2, 40)),
	                 CAST_ERROR(EPROTO));

	/* A student ABORT, a DONE with a file still open. */
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_begin(b, 2, 8, 4, sha, "ab", 2)),
	                 0);
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_abort(b, 2, 8)),
	                 0);
	assert_false(exists(pathf("%s/ab.partial", t)));
	assert_int_equal(cast_homework_rx_status(rx, id, &st), 0);
	assert_int_equal(st.last_error, CAST_ERROR(ECANCELED));
	assert_int_equal(cast_homework_rx_event(
	                     rx, id, b, mk_begin(b, 2, 9, 4, sha, "op", 2)),
	                 0);
	assert_int_equal(
	    cast_homework_rx_event(rx, id, b, mk_data(b, 2, 9, 0, "abcd", 4)),
	    0);
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_done(b, 2, 1, 0)),
	                 2);
	assert_false(exists(pathf("%s/op", t)));
	assert_false(exists(pathf("%s/op.partial", t)));
	assert_int_equal(cast_homework_rx_status(rx, id, &st), 0);
	assert_int_equal(st.files_done, 0);
	assert_true(st.done);
	assert_false(st.in_progress);
	assert_int_equal(st.files_announced, 1);
	/* big ×5, w, s, two truncated BEGINs, tr, ab, op. */
	assert_int_equal(st.files_failed, 12);
	/* A DONE with a positive status is malformed. */
	assert_int_equal(cast_homework_rx_event(rx, id, b, mk_done(b, 2, 1, 5)),
	                 CAST_EMALFORMED);

	/* Nothing but the student's own folder; no file there at all. */
	assert_int_equal(count_entries(pathf("%s/L", root)), 1);
	assert_int_equal(count_entries(t), 0);
	assert_int_equal(count_entries(root), 1);
	assert_int_equal(count_entries(outside), 0);

	/* An honest file after all that still works. */
	assert_int_equal(rx_file(rx, id, 3, 0, "ok.txt", "fine", 4), 1);
	assert_true(file_is(pathf("%s/ok.txt", t), "fine", 4));
	cast_homework_rx_free(&rx);
}

/* Links planted in the teacher's folders never redirect a write. */
static void test_planted_links(void **state)
{
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st;
	char t[512];
	snprintf(t, sizeof(t), "%s", pathf("%s/L/evil", root));
	(void)state;

	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(pathf("%s/L", root), 0700), 0);
	assert_int_equal(mkdir(t, 0700), 0);
	/* A folder link, a .partial link, final-name links, a student link. */
	assert_int_equal(symlink(outside, pathf("%s/sub", t)), 0);
	assert_int_equal(
	    symlink(pathf("%s/p", outside), pathf("%s/y.txt.partial", t)), 0);
	assert_int_equal(symlink(pathf("%s/z", outside), pathf("%s/z.txt", t)),
	                 0);
	write_file(pathf("%s/keep", outside), "keep", 4);
	assert_int_equal(
	    symlink(pathf("%s/keep", outside), pathf("%s/k.txt", t)), 0);
	assert_int_equal(symlink(outside, pathf("%s/L/linked", root)), 0);

	assert_int_equal(cast_homework_rx_new(&rx, root, "L", NULL), 0);
	int rc = rx_file(rx, "evil", 1, 0, "sub/x.txt", "x", 1);
	assert_true(rc == CAST_ERROR(ELOOP) || rc == CAST_ERROR(ENOTDIR));
	assert_int_equal(rx_file(rx, "evil", 1, 1, "y.txt", "yy", 2), 1);
	assert_int_equal(rx_file(rx, "evil", 1, 2, "z.txt", "zz", 2), 1);
	assert_int_equal(rx_file(rx, "evil", 1, 3, "k.txt", "kk", 2), 1);
	rc = rx_file(rx, "linked", 1, 0, "a.txt", "a", 1);
	assert_true(rc == CAST_ERROR(ELOOP) || rc == CAST_ERROR(ENOTDIR));

	assert_true(file_is(pathf("%s/y.txt", t), "yy", 2));
	assert_true(file_is(pathf("%s/z.txt", t), "zz", 2));
	assert_true(file_is(pathf("%s/k.txt", t), "kk", 2));
	assert_false(exists(pathf("%s/y.txt.partial", t)));
	assert_true(file_is(pathf("%s/keep", outside), "keep", 4));
	assert_int_equal(count_entries(outside), 1);
	assert_int_equal(cast_homework_rx_status(rx, "evil", &st), 0);
	assert_int_equal(st.files_done, 3);
	assert_int_equal(st.files_failed, 1);
	assert_int_equal(cast_homework_rx_status(rx, "linked", &st), 0);
	assert_int_equal(st.files_failed, 1);
	cast_homework_rx_free(&rx);

	/* A lesson folder that is a link is refused outright. */
	assert_int_equal(symlink(outside, pathf("%s/L2", root)), 0);
	rc = cast_homework_rx_new(&rx, root, "L2", NULL);
	assert_true(rc == CAST_ERROR(ELOOP) || rc == CAST_ERROR(ENOTDIR));
	assert_null(rx);
	assert_int_equal(cast_homework_rx_new(&rx, root, "../L", NULL),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(count_entries(outside), 1);
}

static void test_limits_sender(void **state)
{
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st;
	struct cast_homework_limits lim;
	uint8_t *data = random_bytes(5000, 3);
	(void)state;

	write_file(pathf("%s/1", src), data, 1000);
	write_file(pathf("%s/2", src), data, 2000);
	write_file(pathf("%s/3", src), data, 1500);
	assert_int_equal(cast_homework_rx_new(&rx, root, "L", NULL), 0);
	char t[512];
	snprintf(t, sizeof(t), "%s", pathf("%s/L/s", root));

	cast_homework_limits_init(&lim);
	lim.max_files = 2;
	struct feed f = {.rx = rx, .id = "s"};
	assert_int_equal(cast_homework_send(src, "s", 1, feed_cb, &f, &lim),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(f.events, 1); /* DONE only */
	assert_int_equal(f.dones, 1);
	assert_int_equal(cast_homework_rx_status(rx, "s", &st), 0);
	assert_true(st.done);
	assert_int_equal(st.files_done, 0);
	assert_int_equal(st.last_error, CAST_ERROR(EFBIG));
	assert_false(exists(t));

	cast_homework_limits_init(&lim);
	lim.max_file_bytes = 1999;
	f = (struct feed){.rx = rx, .id = "s"};
	assert_int_equal(cast_homework_send(src, "s", 2, feed_cb, &f, &lim),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(f.begins, 0);

	cast_homework_limits_init(&lim);
	lim.max_total_bytes = 4499;
	f = (struct feed){.rx = rx, .id = "s"};
	assert_int_equal(cast_homework_send(src, "s", 3, feed_cb, &f, &lim),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(f.begins, 0);
	lim.max_total_bytes = 4500;
	f = (struct feed){.rx = rx, .id = "s"};
	assert_int_equal(cast_homework_send(src, "s", 4, feed_cb, &f, &lim), 3);
	assert_true(file_is(pathf("%s/2", t), data, 2000));

	/* A missing folder: the teacher still hears why. */
	f = (struct feed){.rx = rx, .id = "s"};
	assert_int_equal(cast_homework_send(pathf("%s/none", base), "s", 5,
	                                    feed_cb, &f, NULL),
	                 CAST_ERROR(ENOENT));
	assert_int_equal(cast_homework_rx_status(rx, "s", &st), 0);
	assert_int_equal(st.collection_id, 5);
	assert_int_equal(st.last_error, CAST_ERROR(ENOENT));
	assert_int_equal(cast_homework_send(NULL, "s", 5, feed_cb, &f, NULL),
	                 CAST_ERROR(EINVAL));
	cast_homework_rx_free(&rx);
	free(data);
}

static void test_limits_receiver(void **state)
{
	static uint8_t b[CAST_HW_DATA_HDR_SIZE + 4096];
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st;
	struct cast_homework_limits lim;
	uint8_t *data = random_bytes(5000, 4);
	uint8_t sha[32];
	(void)state;

	cast_homework_limits_init(&lim);
	lim.max_files = 2;
	lim.max_file_bytes = 1000;
	lim.max_total_bytes = 1500;
	lim.max_student_bytes = 2500;
	assert_int_equal(cast_homework_rx_new(&rx, root, "L", &lim), 0);
	char t[512];
	snprintf(t, sizeof(t), "%s", pathf("%s/L/s", root));

	/* Announced size over the per-file limit: refused at BEGIN. */
	sha256(data, 1001, sha);
	assert_int_equal(cast_homework_rx_event(
	                     rx, "s", b, mk_begin(b, 1, 0, 1001, sha, "f", 1)),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(rx_file(rx, "s", 1, 0, "a", data, 1000), 1);
	/* Over the submission's total. */
	assert_int_equal(rx_file(rx, "s", 1, 1, "b", data, 501),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(rx_file(rx, "s", 1, 1, "b", data, 500), 1);
	/* A third file, and an index past max_files. */
	assert_int_equal(rx_file(rx, "s", 1, 1, "c", data, 1),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(rx_file(rx, "s", 1, 7, "c", data, 1),
	                 CAST_ERROR(EFBIG));
	assert_false(exists(pathf("%s/c", t)));
	assert_int_equal(cast_homework_rx_status(rx, "s", &st), 0);
	assert_int_equal(st.files_done, 2);
	assert_int_equal(st.files_failed, 4);
	/* A new submission starts afresh, within the student's lifetime cap. */
	assert_int_equal(rx_file(rx, "s", 2, 5, "d", data, 10),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(rx_file(rx, "s", 2, 0, "d", data, 900), 1);
	assert_int_equal(rx_file(rx, "s", 2, 1, "e", data, 101),
	                 CAST_ERROR(EFBIG));
	assert_int_equal(rx_file(rx, "s", 2, 1, "e", data, 100), 1);
	assert_int_equal(count_entries(t), 4);

	/* The real sender against a stricter receiver. */
	write_file(pathf("%s/small", src), data, 10);
	write_file(pathf("%s/large", src), data, 1200);
	struct feed f = {.rx = rx, .id = "s2"};
	assert_int_equal(cast_homework_send(src, "s2", 9, feed_cb, &f, NULL),
	                 2);
	assert_true(f.refused >= 3); /* BEGIN, DATA, END of "large" */
	assert_int_equal(cast_homework_rx_status(rx, "s2", &st), 0);
	assert_int_equal(st.files_done, 1);
	assert_int_equal(st.files_failed, 1);
	assert_int_equal(st.files_announced, 2);
	assert_true(file_is(pathf("%s/L/s2/small", root), data, 10));
	assert_false(exists(pathf("%s/L/s2/large", root)));
	assert_int_equal(partials_left(), 0);
	cast_homework_rx_free(&rx);
	free(data);
}

/*
 * A collection inside a root follows no link: not the collected folder
 * itself, not a folder on the way to it, not one inside it (a link to a
 * folder or to a file is skipped).
 */
static void test_collect_links(void **state)
{
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st;
	char home[512], t[512];
	(void)state;

	snprintf(home, sizeof(home), "%s", pathf("%s/home", src));
	assert_int_equal(mkdir(home, 0700), 0);
	assert_int_equal(mkdir(pathf("%s/Work", home), 0700), 0);
	write_file(pathf("%s/Work/ok.txt", home), "mine", 4);
	write_file(pathf("%s/secret.txt", outside), "secret", 6);
	assert_int_equal(symlink(outside, pathf("%s/Work/to-dir", home)), 0);
	assert_int_equal(symlink(pathf("%s/secret.txt", outside),
	                         pathf("%s/Work/to-file.txt", home)),
	                 0);
	assert_int_equal(symlink(outside, pathf("%s/Linked", home)), 0);
	assert_int_equal(symlink(home, pathf("%s/via", home)), 0);
	assert_int_equal(cast_homework_rx_new(&rx, root, "L", NULL), 0);

	/* The folder itself is a link: only DONE(0, -ELOOP) goes. */
	struct feed f = {.rx = rx, .id = "s1"};
	assert_int_equal(cast_homework_send_in(home, "Linked", "s1", 3,
	                                       feed_cb, &f, NULL),
	                 CAST_ERROR(ELOOP));
	assert_int_equal(f.begins, 0);
	assert_int_equal(f.dones, 1);
	assert_int_equal(cast_homework_rx_status(rx, "s1", &st), 0);
	assert_true(st.done);
	assert_int_equal(st.last_error, CAST_ERROR(ELOOP));
	/* A link on the way to it. */
	memset(&f, 0, sizeof(f));
	f.rx = rx;
	f.id = "s1";
	assert_int_equal(cast_homework_send_in(home, "via/Work", "s1", 4,
	                                       feed_cb, &f, NULL),
	                 CAST_ERROR(ELOOP));
	assert_int_equal(f.begins, 0);
	/* The same for a folder given whole. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(cast_homework_send(pathf("%s/Linked", home), "s1", 5,
	                                    feed_cb, &f, NULL),
	                 CAST_ERROR(ELOOP));
	assert_int_equal(f.begins, 0);
	/* Relative and nothing else. */
	assert_int_equal(cast_homework_send_in(home, "../Work", "s1", 6,
	                                       feed_cb, &f, NULL),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_homework_send_in(NULL, "Work", "s1", 6, feed_cb,
	                                       &f, NULL),
	                 CAST_ERROR(EINVAL));

	/* Links inside the folder are skipped; the file arrives. */
	memset(&f, 0, sizeof(f));
	f.rx = rx;
	f.id = "s1";
	assert_int_equal(cast_homework_send_in(home, "Work", "s1", 7, feed_cb,
	                                       &f, NULL),
	                 1);
	assert_int_equal(f.refused, 0);
	snprintf(t, sizeof(t), "%s", pathf("%s/L/s1", root));
	assert_true(file_is(pathf("%s/ok.txt", t), "mine", 4));
	assert_false(exists(pathf("%s/to-dir", t)));
	assert_false(exists(pathf("%s/to-file.txt", t)));
	assert_false(exists(pathf("%s/secret.txt", t)));
	cast_homework_rx_free(&rx);
}

static void test_two_students_interleaved(void **state)
{
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st[4];
	struct tape ta = {0}, tb = {0};
	uint8_t *da = random_bytes(700000, 11), *db = random_bytes(900000, 12);
	(void)state;

	assert_int_equal(mkdir(pathf("%s/a", src), 0700), 0);
	assert_int_equal(mkdir(pathf("%s/b", src), 0700), 0);
	write_file(pathf("%s/a/作业.docx", src), da, 700000);
	write_file(pathf("%s/a/note.txt", src), "from a", 6);
	write_file(pathf("%s/b/作业.docx", src), db, 900000);
	write_file(pathf("%s/b/note.txt", src), "from b", 6);
	assert_int_equal(
	    cast_homework_send(pathf("%s/a", src), "A", 4, tape_cb, &ta, NULL),
	    2);
	assert_int_equal(
	    cast_homework_send(pathf("%s/b", src), "B", 4, tape_cb, &tb, NULL),
	    2);

	assert_int_equal(cast_homework_rx_new(&rx, root, "L", NULL), 0);
	int stored = 0;
	for (int i = 0; i < ta.n || i < tb.n; i++) {
		int rc;
		if (i < ta.n) {
			rc = cast_homework_rx_event(rx, "A", ta.chunk[i],
			                            ta.len[i]);
			assert_true(rc >= 0);
			stored += rc == 1;
		}
		if (i < tb.n) {
			rc = cast_homework_rx_event(rx, "B", tb.chunk[i],
			                            tb.len[i]);
			assert_true(rc >= 0);
			stored += rc == 1;
		}
		if (i == 1) {
			/* Both mid-file at once. */
			assert_int_equal(cast_homework_rx_list(rx, st, 4), 2);
			assert_true(st[0].in_progress && st[1].in_progress);
			assert_string_equal(st[0].current, "note.txt");
			assert_string_equal(st[1].current, "note.txt");
		}
	}
	assert_int_equal(stored, 4);
	assert_true(file_is(pathf("%s/L/A/作业.docx", root), da, 700000));
	assert_true(file_is(pathf("%s/L/B/作业.docx", root), db, 900000));
	assert_true(file_is(pathf("%s/L/A/note.txt", root), "from a", 6));
	assert_true(file_is(pathf("%s/L/B/note.txt", root), "from b", 6));
	assert_int_equal(cast_homework_rx_list(rx, NULL, 0), 2);
	assert_int_equal(cast_homework_rx_list(rx, st, 1), 2);
	assert_string_equal(st[0].student_id, "A");

	/* B's connection drops mid-file: its partial goes, A is untouched. */
	assert_int_equal(
	    cast_homework_rx_event(rx, "B", tb.chunk[0], tb.len[0]), 0);
	assert_int_equal(
	    cast_homework_rx_event(rx, "B", tb.chunk[1], tb.len[1]), 0);
	assert_true(exists(pathf("%s/L/B/note.txt.partial", root)));
	assert_int_equal(cast_homework_rx_abort(rx, "B"), 0);
	assert_false(exists(pathf("%s/L/B/note.txt.partial", root)));
	assert_int_equal(cast_homework_rx_status(rx, "B", st), 0);
	assert_false(st[0].in_progress);
	assert_int_equal(st[0].files_failed, 1);
	assert_int_equal(st[0].last_error, CAST_ERROR(ECONNRESET));
	assert_int_equal(cast_homework_rx_abort(rx, "C"), CAST_ERROR(ENOENT));
	/* The older verified copy of B's file is still there. */
	assert_true(file_is(pathf("%s/L/B/note.txt", root), "from b", 6));

	/* Freeing mid-file leaves no partial behind (PLAN, then BEGIN). */
	assert_int_equal(
	    cast_homework_rx_event(rx, "A", ta.chunk[0], ta.len[0]), 0);
	assert_int_equal(
	    cast_homework_rx_event(rx, "A", ta.chunk[1], ta.len[1]), 0);
	assert_int_equal(partials_left(), 1);
	cast_homework_rx_free(&rx);
	assert_int_equal(partials_left(), 0);
	cast_homework_rx_free(&rx); /* NULL-safe */
	tape_free(&ta);
	tape_free(&tb);
	free(da);
	free(db);
}

/* A file rewritten while it is sent gets ABORT, never a stored copy. */
static void test_changed_while_sending(void **state)
{
	struct cast_homework_rx *rx = NULL;
	struct cast_homework_status st;
	uint8_t *data = random_bytes(600000, 5);
	(void)state;

	write_file(pathf("%s/a.bin", src), data, 600000);
	write_file(pathf("%s/b.txt", src), "b", 1);
	assert_int_equal(cast_homework_rx_new(&rx, root, "L", NULL), 0);
	struct feed f = {.rx = rx, .id = "s", .mutate = pathf("%s/a.bin", src)};
	assert_int_equal(cast_homework_send(src, "s", 1, feed_cb, &f, NULL),
	                 CAST_ERROR(ESTALE));
	assert_int_equal(f.aborts, 1);
	assert_int_equal(f.ends, 1);
	assert_int_equal(f.dones, 1);
	assert_int_equal(cast_homework_rx_status(rx, "s", &st), 0);
	assert_int_equal(st.files_done, 1);
	assert_int_equal(st.files_failed, 1);
	assert_int_equal(st.files_announced, 1);
	assert_int_equal(st.last_error, CAST_ERROR(ESTALE));
	assert_false(exists(pathf("%s/L/s/a.bin", root)));
	assert_true(file_is(pathf("%s/L/s/b.txt", root), "b", 1));
	assert_int_equal(partials_left(), 0);

	/* The transport fails: the sender stops at once and says why. */
	f = (struct feed){.rx = rx, .id = "s", .fail_after = 3};
	assert_int_equal(cast_homework_send(src, "s", 2, feed_cb, &f, NULL),
	                 CAST_ERROR(EPIPE));
	assert_int_equal(f.events, 3);
	assert_int_equal(partials_left(), 1);
	assert_int_equal(cast_homework_rx_abort(rx, "s"), 0);
	assert_int_equal(partials_left(), 0);
	cast_homework_rx_free(&rx);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_rules),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_student, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_planted_links, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_limits_sender, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_limits_receiver, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_collect_links, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_two_students_interleaved,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changed_while_sending, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
