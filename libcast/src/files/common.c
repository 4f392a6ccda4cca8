/* Offers, path checks, safe placement inside the inbox, hashing. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/log.h"
#include "files_int.h"

#define NAME_MAX_BYTES 255

/* Length of the UTF-8 sequence at `s` (1..4), or 0 when it is invalid
 * (overlong, surrogate, above U+10FFFF, truncated) or a C1 control. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if ((s[1] & 0xc0) != 0x80)
			return 0;
		if (c == 0xc2 && s[1] < 0xa0) /* U+0080..U+009F */
			return 0;
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] >= 0xa0)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

int cast_file_path_check(const char *rel_path)
{
	if (!rel_path || !rel_path[0])
		return CAST_ERROR(EINVAL);
	size_t len = strnlen(rel_path, CAST_FILE_PATH_MAX);
	if (len >= CAST_FILE_PATH_MAX)
		return CAST_ERROR(ENAMETOOLONG);
	const unsigned char *p = (const unsigned char *)rel_path;
	size_t comp_len = 0;
	unsigned depth = 0;
	for (size_t i = 0; i <= len;) {
		unsigned c = p[i];
		if (c == '/' || c == '\0') {
			if (comp_len == 0)
				return CAST_ERROR(
				    EINVAL); /* "/a", "a//b", "a/" */
			if (comp_len > NAME_MAX_BYTES)
				return CAST_ERROR(ENAMETOOLONG);
			if (++depth > CAST_FILE_DEPTH_MAX)
				return CAST_ERROR(ENAMETOOLONG);
			comp_len = 0;
			i++;
			continue;
		}
		/* A component may not start with '.': no ".", "..", hidden. */
		if (comp_len == 0 && c == '.')
			return CAST_ERROR(EINVAL);
		if (c < 0x20 || c == 0x7f || c == '\\')
			return CAST_ERROR(EINVAL);
		size_t n = utf8_len(p + i);
		if (n == 0)
			return CAST_ERROR(EINVAL);
		i += n;
		comp_len += n;
	}
	return 0;
}

int64_t cast__files_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cast__files_info_write(char *buf, uint32_t transfer_id)
{
	buf[0] = CAST__FILES_INFO_MAGIC0;
	buf[1] = CAST__FILES_INFO_MAGIC1;
	buf[2] = CAST__FILES_INFO_VERSION;
	buf[3] = 0;
	buf[4] = (char)(transfer_id >> 24);
	buf[5] = (char)(transfer_id >> 16);
	buf[6] = (char)(transfer_id >> 8);
	buf[7] = (char)transfer_id;
}

int cast__files_info_parse(const char *buf, size_t len, uint32_t *transfer_id)
{
	const unsigned char *b = (const unsigned char *)buf;
	if (len != CAST__FILES_INFO_LEN || b[0] != CAST__FILES_INFO_MAGIC0 ||
	    b[1] != CAST__FILES_INFO_MAGIC1 ||
	    b[2] != CAST__FILES_INFO_VERSION || b[3] != 0)
		return CAST_EMALFORMED;
	uint32_t id = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
	              (uint32_t)b[6] << 8 | b[7];
	if (id == 0)
		return CAST_EMALFORMED;
	*transfer_id = id;
	return 0;
}

int cast__files_sha256_fd(int fd, uint8_t out[32], uint64_t *len)
{
	enum { CHUNK = 1 << 20 };
	int err = 0;
	uint64_t total = 0;
	unsigned char *buf = malloc(CHUNK);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!buf || !ctx) {
		err = CAST_ERROR(ENOMEM);
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		err = CAST_EEXTERNAL;
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, CHUNK, (off_t)total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = CAST_ERROR(errno);
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			err = CAST_EEXTERNAL;
			goto out;
		}
		total += (uint64_t)n;
	}
	unsigned int mdlen = 0;
	if (EVP_DigestFinal_ex(ctx, out, &mdlen) != 1 || mdlen != 32) {
		err = CAST_EEXTERNAL;
		goto out;
	}
	if (len)
		*len = total;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return err;
}

int cast_file_offer_make(struct cast_file_offer *out, const char *path,
                         const char *rel_path, uint32_t transfer_id)
{
	if (!out || !path || transfer_id == 0)
		return CAST_ERROR(EINVAL);
	if (!rel_path) {
		const char *slash = strrchr(path, '/');
		rel_path = slash ? slash + 1 : path;
	}
	int err = cast_file_path_check(rel_path);
	if (err < 0)
		return err;
	/* A symbolic link is refused (-ELOOP), never sent as its target. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return CAST_ERROR(errno);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err = CAST_ERROR(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = CAST_ERROR(EISDIR);
		goto out;
	}
	struct cast_file_offer o;
	memset(&o, 0, sizeof(o));
	o.transfer_id = transfer_id;
	snprintf(o.rel_path, sizeof(o.rel_path), "%s", rel_path);
	err = cast__files_sha256_fd(fd, o.sha256, &o.size);
	if (err < 0)
		goto out;
	*out = o;
out:
	close(fd);
	return err;
}

struct tree_walk {
	struct cast_file_offer *v;
	size_t n, cap;
	uint32_t next_id;
};

/* Lists `dfd` (the folder whose rel_path prefix is `prefix`) recursively.
 * Takes ownership of dfd. */
static int walk_dir(struct tree_walk *w, int dfd, const char *prefix,
                    unsigned depth)
{
	int err = 0;
	DIR *d = fdopendir(dfd);
	if (!d) {
		err = CAST_ERROR(errno);
		close(dfd);
		return err;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.') {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				cast_log(CAST_LOG_WARN, "files",
				         "skipping hidden %s/%s", prefix,
				         e->d_name);
			continue;
		}
		char rel[CAST_FILE_PATH_MAX];
		if (snprintf(rel, sizeof(rel), "%s/%s", prefix, e->d_name) >=
		    (int)sizeof(rel)) {
			err = CAST_ERROR(ENAMETOOLONG);
			break;
		}
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0) {
			err = CAST_ERROR(errno);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 >= CAST_FILE_DEPTH_MAX) {
				err = CAST_ERROR(ENAMETOOLONG);
				break;
			}
			int sub = openat(dirfd(d), e->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			                     O_CLOEXEC);
			if (sub < 0) {
				err = CAST_ERROR(errno);
				break;
			}
			err = walk_dir(w, sub, rel, depth + 1);
			if (err < 0)
				break;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			cast_log(CAST_LOG_WARN, "files", "skipping %s (%s)",
			         rel,
			         S_ISLNK(st.st_mode) ? "symbolic link"
			                             : "not a regular file");
			continue;
		}
		err = cast_file_path_check(rel);
		if (err < 0) {
			cast_log(CAST_LOG_WARN, "files",
			         "skipping %s (name not allowed)", rel);
			err = 0;
			continue;
		}
		if (w->n >= CAST_FILE_TREE_MAX) {
			err = CAST_ERROR(E2BIG);
			break;
		}
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 16;
			struct cast_file_offer *v =
			    realloc(w->v, cap * sizeof(*v));
			if (!v) {
				err = CAST_ERROR(ENOMEM);
				break;
			}
			w->v = v;
			w->cap = cap;
		}
		int fd = openat(dirfd(d), e->d_name,
		                O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			err = CAST_ERROR(errno);
			break;
		}
		struct cast_file_offer *o = &w->v[w->n];
		memset(o, 0, sizeof(*o));
		o->transfer_id = w->next_id++;
		if (o->transfer_id == 0) /* wrapped: 0 means "none" */
			o->transfer_id = w->next_id++;
		snprintf(o->rel_path, sizeof(o->rel_path), "%s", rel);
		err = cast__files_sha256_fd(fd, o->sha256, &o->size);
		close(fd);
		if (err < 0)
			break;
		w->n++;
	}
	closedir(d);
	return err;
}

int cast__files_open_dir(const char *dir, char *base, size_t base_size)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);
	/* "/a/b/" is "/a/b": the base name is the last real component. */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(buf))
		return CAST_ERROR(n ? ENAMETOOLONG : EINVAL);
	memcpy(buf, dir, n);
	buf[n] = '\0';
	const char *b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	int err = cast_file_path_check(b);
	if (err < 0)
		return err;
	if (snprintf(base, base_size, "%s", b) >= (int)base_size)
		return CAST_ERROR(ENAMETOOLONG);
	/* The folder itself is never followed if it is a symbolic link. */
	int dfd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		return dfd;
	err = CAST_ERROR(errno);
	/* O_DIRECTORY on a link says ENOTDIR: name the real reason. */
	struct stat st;
	if (err == CAST_ERROR(ENOTDIR) && !lstat(buf, &st) &&
	    S_ISLNK(st.st_mode))
		err = CAST_ERROR(ELOOP);
	return err;
}

int cast_file_tree_offers(const char *dir, uint32_t first_transfer_id,
                          struct cast_file_offer **out, size_t *count)
{
	char base[CAST_FILE_PATH_MAX];
	if (!dir || !out || !count || first_transfer_id == 0)
		return CAST_ERROR(EINVAL);
	int dfd = cast__files_open_dir(dir, base, sizeof(base));
	if (dfd < 0)
		return dfd;
	struct tree_walk w = {.next_id = first_transfer_id};
	int err = walk_dir(&w, dfd, base, 1);
	if (err < 0) {
		free(w.v);
		return err;
	}
	if (w.n == 0) {
		free(w.v);
		w.v = NULL;
	}
	*out = w.v;
	*count = w.n;
	return 0;
}

/* Opens (creating if missing) sub-folder `name` of `dfd`, never following
 * a symbolic link. */
static int open_subdir(int dfd, const char *name)
{
	if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
		return CAST_ERROR(errno);
	int fd =
	    openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return CAST_ERROR(errno);
	return fd;
}

int cast__files_install(int inbox_fd, int tmp_dir_fd, const char *tmp_name,
                        const char *rel_path)
{
	int err = cast_file_path_check(rel_path);
	if (err < 0)
		return err;
	char buf[CAST_FILE_PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", rel_path);
	int dfd = inbox_fd;
	char *comp = buf;
	char *slash;
	while ((slash = strchr(comp, '/'))) {
		*slash = '\0';
		int nfd = open_subdir(dfd, comp);
		if (dfd != inbox_fd)
			close(dfd);
		if (nfd < 0)
			return nfd;
		dfd = nfd;
		comp = slash + 1;
	}
	/* renameat replaces a symbolic link of that name, it never follows
	 * one; a folder of that name makes it fail (EISDIR). */
	if (renameat(tmp_dir_fd, tmp_name, dfd, comp) < 0)
		err = CAST_ERROR(errno);
	if (dfd != inbox_fd)
		close(dfd);
	return err;
}
