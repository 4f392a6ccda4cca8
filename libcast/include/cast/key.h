/* Class keys: a short typable code from which the control secrets derive. */
#ifndef CAST_KEY_H
#define CAST_KEY_H

#include "defs.h"

/*
 * A class key is 120 random bits written as 24 base32 characters (Crockford
 * alphabet 0-9 A-Z without I L O U), shown in groups of four:
 * "7K3M-Q9XA-…". Reading is lenient: case-insensitive, dashes and spaces
 * ignored, O read as 0 and I/L as 1. Two 32-byte secrets derive from the
 * 15 decoded bytes with HKDF-SHA256 (salt "libcast class key"):
 *   psk    = HKDF(info "libcast tls psk v1")  — TLS 1.3 external PSK
 *   beacon = HKDF(info "libcast beacon v1")   — HMAC key of the beacons
 * docs/protocol.md, "Class key", documents the same.
 */
#define CAST_KEY_CHARS 24
/** Length of the canonical grouped code, without the NUL. */
#define CAST_KEY_CODE_LEN 29

struct cast_key {
	char code[32];		/* canonical "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX" */
	uint8_t psk[32];
	uint8_t beacon[32];
};

/**
 * Fills `buf` with `n` bytes from OpenSSL's CSPRNG (RAND_bytes).
 * Returns 0, -EINVAL (NULL buf with n > 0) or CAST_EEXTERNAL.
 */
CAST_API int cast_random(void *buf, size_t n);

/**
 * Makes a new random class key (code and derived secrets) into `*k`.
 * Returns 0, -EINVAL or CAST_EEXTERNAL (RNG or HKDF failed); `*k` is
 * written only on success.
 */
CAST_API int cast_key_generate(struct cast_key *k);

/**
 * Reads a typed code (see above) and derives the secrets into `*k`.
 * Errors: -EINVAL (NULL, wrong number of characters, a character outside
 * the alphabet), CAST_EEXTERNAL (HKDF failed). `*k` is written only on
 * success; k->code receives the canonical form.
 */
CAST_API int cast_key_from_code(struct cast_key *k, const char *code);

/**
 * Writes the key file "# libcast class key\ncode = XXXX-…\n" at `path`
 * with mode 0600, atomically (a temporary file in the same directory,
 * fsync, rename). Errors: -EINVAL and the file calls' errno (logged with
 * the path). Only the code is stored; the secrets derive from it.
 */
CAST_API int cast_key_save(const struct cast_key *k, const char *path);

/**
 * Loads a key file written by cast_key_save (any "key = value" file with a
 * `code` line). Refuses a file that group or others may read with -EPERM
 * (and a log line saying to chmod 600). Errors: the open/read errno,
 * -EPERM, -EFBIG, CAST_EMALFORMED (no or bad code line, unknown key),
 * -EINVAL; each is logged naming the file. `*k` is written only on success.
 */
CAST_API int cast_key_load(struct cast_key *k, const char *path);

/** Overwrites the key's secrets and code with zeros (OPENSSL_cleanse). */
CAST_API void cast_key_wipe(struct cast_key *k);

#endif
