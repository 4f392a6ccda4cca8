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

/*
 * Teacher authority (docs/security.md): each teacher holds an Ed25519
 * signing key that never leaves the teacher machine; students hold only the
 * class code (their credential to join) and the fingerprints of the teachers
 * they obey (SHA-256 of the public key, first 15 bytes, written like a
 * class code). Beacons and every control connection's WELCOME are signed;
 * a student shows and obeys only a teacher whose fingerprint it lists.
 */
#define CAST_KEY_TEACHERS_MAX 8
#define CAST_KEY_FP_BYTES 15

struct cast_key {
	char code[32];		/* canonical "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX" */
	uint8_t psk[32];
	uint8_t beacon[32];
	/* The teachers this class obeys. */
	int n_teachers;
	uint8_t teachers[CAST_KEY_TEACHERS_MAX][CAST_KEY_FP_BYTES];
	/* This teacher's own signing key: only in the teacher's file. */
	bool can_sign;
	uint8_t sign_pk[32];
	uint8_t sign_sk[64];
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
 * Writes the students' key file at `path`: "code = XXXX-…" and one
 * "teacher = FINGERPRINT" line per listed teacher, never the signing key;
 * mode 0600, atomically (a temporary file in the same directory, fsync,
 * rename). Errors: -EINVAL and the file calls' errno (logged with the
 * path). The secrets derive from the code.
 */
CAST_API int cast_key_save(const struct cast_key *k, const char *path);

/**
 * Loads a key file written by cast_key_save or cast_key_save_teacher (any
 * "key = value" file with a `code` line, `teacher` lines, and at most one
 * `signing_key` line: then can_sign is set). Refuses a file that group or others may read with -EPERM
 * (and a log line saying to chmod 600). Errors: the open/read errno,
 * -EPERM, -EFBIG, CAST_EMALFORMED (no or bad code line, unknown key),
 * -EINVAL; each is logged naming the file. `*k` is written only on success.
 */
CAST_API int cast_key_load(struct cast_key *k, const char *path);

/**
 * Makes a new signing key for this teacher into `k` (replacing any) and
 * lists its fingerprint among the teachers. Returns 0, -ENOSPC (the list
 * is full), CAST_EEXTERNAL.
 */
CAST_API int cast_key_new_signer(struct cast_key *k);

/** The fingerprint of public key `pk`, and its typable code. */
CAST_API void cast_key_fingerprint(const uint8_t pk[32],
				   uint8_t fp[CAST_KEY_FP_BYTES]);
CAST_API void cast_key_fingerprint_code(const uint8_t fp[CAST_KEY_FP_BYTES],
					char out[32]);

/**
 * Adds (cast_key_trust) or removes (cast_key_revoke) a teacher by the code
 * of its fingerprint. Returns 0, -EINVAL (not a code), -EEXIST / -ENOENT,
 * -ENOSPC (the list is full).
 */
CAST_API int cast_key_trust(struct cast_key *k, const char *fp_code);
CAST_API int cast_key_revoke(struct cast_key *k, const char *fp_code);

/** True when `pk` is a listed teacher's. */
CAST_API bool cast_key_trusts(const struct cast_key *k, const uint8_t pk[32]);

/** Signs `m` with this teacher's key. 0, -EPERM (no signing key), -EINVAL. */
CAST_API int cast_key_sign(const struct cast_key *k, const void *m, size_t n,
			   uint8_t sig[64]);

/**
 * Checks that `sig` is a listed teacher's (public key `pk`) over `m`.
 * Returns 0, -EACCES (not listed, or the signature does not verify).
 */
CAST_API int cast_key_verify(const struct cast_key *k, const uint8_t pk[32],
			     const void *m, size_t n, const uint8_t sig[64]);

/**
 * Writes the teacher's own file (the student file's lines plus the
 * signing key), mode 0600, atomically. -EPERM without a signing key.
 */
CAST_API int cast_key_save_teacher(const struct cast_key *k, const char *path);

/** Overwrites the key's secrets and code with zeros (OPENSSL_cleanse). */
CAST_API void cast_key_wipe(struct cast_key *k);

#endif
