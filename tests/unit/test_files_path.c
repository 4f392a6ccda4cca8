/* Unit tests: rel_path sanitizer, safe placement inside the inbox, offers. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/error.h"
#include "cast/files.h"
#include "files/files_int.h"

static void test_good_paths(void **state)
{
	(void)state;
	assert_int_equal(cast_file_path_check("a.txt"), 0);
	assert_int_equal(cast_file_path_check("lesson3/slides.pdf"), 0);
	assert_int_equal(cast_file_path_check("作业.docx"), 0);
	assert_int_equal(cast_file_path_check("课程/第一章/作业.docx"), 0);
	assert_int_equal(cast_file_path_check("a b/c-d_e.f"), 0);
	assert_int_equal(cast_file_path_check("x..y"), 0); /* not ".." */
	assert_int_equal(cast_file_path_check("emoji 😀.png"), 0);
}

static void test_bad_paths(void **state)
{
	(void)state;
	assert_int_equal(cast_file_path_check(NULL), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check(""), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("../evil"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check(".."), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a/../../b"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a/.."), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("./a"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("/etc/passwd"),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a//b"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a/"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check(".bashrc"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a/.ssh/authorized_keys"),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a\\..\\b"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a\nb"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a\tb"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a\x1b[31mb"),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a\x7f"), CAST_ERROR(EINVAL));
	/* Invalid UTF-8: lone continuation, overlong '/', surrogate, C1. */
	assert_int_equal(cast_file_path_check("a\x80"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a\xc0\xaf.."),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("\xed\xa0\x80"),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("a\xc2\x85"), CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_path_check("\xe4\xbd"), CAST_ERROR(EINVAL));
}

static void test_length_limits(void **state)
{
	(void)state;
	char buf[1200];
	memset(buf, 'a', sizeof(buf));
	buf[256] = '\0'; /* one component of 256 bytes */
	assert_int_equal(cast_file_path_check(buf), CAST_ERROR(ENAMETOOLONG));
	buf[255] = '\0';
	assert_int_equal(cast_file_path_check(buf), 0);
	/* 511 bytes in components of 100: fits; 512: does not. */
	memset(buf, 'a', sizeof(buf));
	for (int i = 100; i < 600; i += 101)
		buf[i] = '/';
	buf[511] = '\0';
	assert_int_equal(cast_file_path_check(buf), 0);
	buf[511] = 'a';
	buf[512] = '\0';
	assert_int_equal(cast_file_path_check(buf), CAST_ERROR(ENAMETOOLONG));
	buf[600] = '\0';
	assert_int_equal(cast_file_path_check(buf), CAST_ERROR(ENAMETOOLONG));
	/* Too deep. */
	char deep[64] = "";
	for (int i = 0; i <= CAST_FILE_DEPTH_MAX; i++)
		strcat(deep, i ? "/a" : "a");
	assert_int_equal(cast_file_path_check(deep), CAST_ERROR(ENAMETOOLONG));
	deep[strlen(deep) - 2] = '\0';
	assert_int_equal(cast_file_path_check(deep), 0);
}

struct fixture {
	char root[64];
	char inbox[96];
	int inbox_fd, tmp_fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/cast-files-ut.XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->inbox, sizeof(f->inbox), "%s/inbox", f->root);
	mkdir(f->inbox, 0755);
	f->inbox_fd = open(f->inbox, O_RDONLY | O_DIRECTORY);
	mkdirat(f->inbox_fd, CAST__FILES_INCOMING, 0700);
	f->tmp_fd =
	    openat(f->inbox_fd, CAST__FILES_INCOMING, O_RDONLY | O_DIRECTORY);
	*state = f;
	return f->inbox_fd < 0 || f->tmp_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	close(f->tmp_fd);
	close(f->inbox_fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static void make_tmp(struct fixture *f, const char *name, const char *data)
{
	int fd = openat(f->tmp_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void test_install(void **state)
{
	struct fixture *f = *state;
	make_tmp(f, "o1.partial", "hello");
	assert_int_equal(cast__files_install(f->inbox_fd, f->tmp_fd,
	                                     "o1.partial",
	                                     "课程/sub/作业.docx"),
	                 0);
	char path[256];
	snprintf(path, sizeof(path), "%s/课程/sub/作业.docx", f->inbox);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(faccessat(f->tmp_fd, "o1.partial", F_OK, 0), -1);
	/* Bad names never reach the file system. */
	make_tmp(f, "o2.partial", "x");
	assert_int_equal(cast__files_install(f->inbox_fd, f->tmp_fd,
	                                     "o2.partial", "../evil"),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast__files_install(f->inbox_fd, f->tmp_fd,
	                                     "o2.partial", "/tmp/evil"),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(faccessat(f->tmp_fd, "o2.partial", F_OK, 0), 0);
}

static void test_symlink_in_inbox(void **state)
{
	struct fixture *f = *state;
	char outside[128], link[128], victim[160];
	snprintf(outside, sizeof(outside), "%s/outside", f->root);
	mkdir(outside, 0755);
	snprintf(link, sizeof(link), "%s/sub", f->inbox);
	assert_int_equal(symlink(outside, link), 0);
	make_tmp(f, "o3.partial", "pwned");
	int err = cast__files_install(f->inbox_fd, f->tmp_fd, "o3.partial",
	                              "sub/x.txt");
	assert_true(err == CAST_ERROR(ELOOP) || err == CAST_ERROR(ENOTDIR));
	snprintf(victim, sizeof(victim), "%s/x.txt", outside);
	assert_int_equal(access(victim, F_OK), -1);

	/* A deeper link: inbox/d/e -> outside. */
	char d[128], e[160];
	snprintf(d, sizeof(d), "%s/d", f->inbox);
	mkdir(d, 0755);
	snprintf(e, sizeof(e), "%s/e", d);
	assert_int_equal(symlink(outside, e), 0);
	err = cast__files_install(f->inbox_fd, f->tmp_fd, "o3.partial",
	                          "d/e/x.txt");
	assert_true(err == CAST_ERROR(ELOOP) || err == CAST_ERROR(ENOTDIR));
	assert_int_equal(access(victim, F_OK), -1);

	/* A link as the file name itself is replaced, not followed. */
	char target[160], leaf[160];
	snprintf(target, sizeof(target), "%s/target.txt", outside);
	make_tmp(f, "o4.partial", "new");
	int fd = open(target, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);
	snprintf(leaf, sizeof(leaf), "%s/leaf.txt", f->inbox);
	assert_int_equal(symlink(target, leaf), 0);
	assert_int_equal(cast__files_install(f->inbox_fd, f->tmp_fd,
	                                     "o4.partial", "leaf.txt"),
	                 0);
	struct stat st;
	assert_int_equal(lstat(leaf, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 3); /* untouched */
}

static void test_offer_and_tree(void **state)
{
	struct fixture *f = *state;
	char dir[128], sub[160], file[200], hidden[200], link[200];
	snprintf(dir, sizeof(dir), "%s/lesson", f->root);
	mkdir(dir, 0755);
	snprintf(sub, sizeof(sub), "%s/作业", dir);
	mkdir(sub, 0755);
	snprintf(file, sizeof(file), "%s/a.txt", sub);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("abc", fp);
	fclose(fp);
	snprintf(hidden, sizeof(hidden), "%s/.secret", dir);
	fp = fopen(hidden, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(link, sizeof(link), "%s/passwd", dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);

	struct cast_file_offer o;
	assert_int_equal(cast_file_offer_make(&o, file, NULL, 5), 0);
	assert_int_equal(o.size, 3);
	assert_string_equal(o.rel_path, "a.txt");
	static const uint8_t abc[32] = {
	    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	assert_memory_equal(o.sha256, abc, 32);
	assert_int_equal(cast_file_offer_make(&o, file, "../x", 5),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_offer_make(&o, file, NULL, 0),
	                 CAST_ERROR(EINVAL));
	assert_int_equal(cast_file_offer_make(&o, dir, NULL, 5),
	                 CAST_ERROR(EISDIR));

	struct cast_file_offer *v = NULL;
	size_t n = 0;
	assert_int_equal(cast_file_tree_offers(dir, 10, &v, &n), 0);
	assert_int_equal(n, 1); /* no hidden file, no symbolic link */
	assert_string_equal(v[0].rel_path, "lesson/作业/a.txt");
	assert_int_equal(v[0].transfer_id, 10);
	free(v);
	/* A trailing '/' names the same folder. */
	char slashed[200];
	snprintf(slashed, sizeof(slashed), "%s/", dir);
	assert_int_equal(cast_file_tree_offers(slashed, 10, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].rel_path, "lesson/作业/a.txt");
	free(v);
}

/* Nothing behind a symbolic link is offered: not a link to a file, not a
 * link to a folder (given, or inside the folder), not a link given with a
 * trailing '/'. */
static void test_offer_links(void **state)
{
	struct fixture *f = *state;
	char dir[128], secret[128], file[200], p[200];
	snprintf(secret, sizeof(secret), "%s/secret", f->root);
	mkdir(secret, 0755);
	snprintf(file, sizeof(file), "%s/key.txt", secret);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("key", fp);
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s/pack", f->root);
	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/ok.txt", dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/to-dir", dir);
	assert_int_equal(symlink(secret, p), 0);
	snprintf(p, sizeof(p), "%s/to-file.txt", dir);
	assert_int_equal(symlink(file, p), 0);

	struct cast_file_offer o;
	assert_int_equal(cast_file_offer_make(&o, p, NULL, 5),
	                 CAST_ERROR(ELOOP));
	struct cast_file_offer *v = NULL;
	size_t n = 0;
	assert_int_equal(cast_file_tree_offers(dir, 1, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].rel_path, "pack/ok.txt");
	free(v);

	snprintf(p, sizeof(p), "%s/linked", f->root);
	assert_int_equal(symlink(secret, p), 0);
	v = NULL;
	assert_int_equal(cast_file_tree_offers(p, 1, &v, &n), CAST_ERROR(ELOOP));
	assert_null(v);
	strcat(p, "/");
	assert_int_equal(cast_file_tree_offers(p, 1, &v, &n), CAST_ERROR(ELOOP));
	assert_null(v);
}

static void test_info(void **state)
{
	(void)state;
	char buf[CAST__FILES_INFO_LEN];
	uint32_t id = 0;
	cast__files_info_write(buf, 0xdeadbeef);
	assert_int_equal(cast__files_info_parse(buf, sizeof(buf), &id), 0);
	assert_int_equal(id, 0xdeadbeef);
	assert_int_equal(cast__files_info_parse(buf, 7, &id), CAST_EMALFORMED);
	buf[0] = 'X';
	assert_int_equal(cast__files_info_parse(buf, sizeof(buf), &id),
	                 CAST_EMALFORMED);
	cast__files_info_write(buf, 0);
	assert_int_equal(cast__files_info_parse(buf, sizeof(buf), &id),
	                 CAST_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_paths),
	    cmocka_unit_test(test_bad_paths),
	    cmocka_unit_test(test_length_limits),
	    cmocka_unit_test_setup_teardown(test_install, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_in_inbox, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_offer_and_tree, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_offer_links, setup, teardown),
	    cmocka_unit_test(test_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
