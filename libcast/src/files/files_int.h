/* Internals of file distribution shared by sender, receiver and tests. */
#ifndef CAST_FILES_INT_H
#define CAST_FILES_INT_H

#include <stdint.h>

#include "cast/files.h"

/* NORM_INFO of every libcast object: magic "CF", version 1, 0, transfer id
 * (u32 big-endian). */
#define CAST__FILES_INFO_LEN 8
#define CAST__FILES_INFO_MAGIC0 'C'
#define CAST__FILES_INFO_MAGIC1 'F'
#define CAST__FILES_INFO_VERSION 1

/** Name of the temp folder inside an inbox (hidden: never a rel_path). */
#define CAST__FILES_INCOMING ".cast-incoming"

/**
 * Moves `tmp_dir_fd`/`tmp_name` to `rel_path` under the inbox open at
 * `inbox_fd`, creating missing folders 0755. Every folder is opened with
 * O_NOFOLLOW relative to its parent, so a symbolic link planted in the inbox
 * can't redirect the file outside (-ELOOP or -ENOTDIR). An existing file of
 * that name is replaced. Returns 0 or negative errno (-EINVAL: rel_path
 * fails cast_file_path_check).
 */
int cast__files_install(int inbox_fd, int tmp_dir_fd, const char *tmp_name,
                        const char *rel_path);

/* Opens folder `dir` (trailing '/' allowed) without following it if it is
 * a symbolic link (-ELOOP); its base name, which must pass
 * cast_file_path_check, goes to `base`. Returns the fd or an error. */
int cast__files_open_dir(const char *dir, char *base, size_t base_size);

/** SHA-256 of everything `fd` reads from offset 0; also its length. Returns
 * 0, negative errno or CAST_EEXTERNAL. */
int cast__files_sha256_fd(int fd, uint8_t out[32], uint64_t *len);

/** Writes and parses the NORM_INFO of an object (CAST__FILES_INFO_LEN). */
void cast__files_info_write(char *buf, uint32_t transfer_id);
int cast__files_info_parse(const char *buf, size_t len, uint32_t *transfer_id);

/** Monotonic milliseconds. */
int64_t cast__files_now_ms(void);

#endif
