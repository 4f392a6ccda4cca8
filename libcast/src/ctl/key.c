/* Class keys: random codes, HKDF-derived secrets, 0600 key files. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "cast/config.h"
#include "cast/error.h"
#include "cast/key.h"
#include "cast/log.h"
#include "core/core_int.h"

#define KEY_BYTES 15 /* 120 bits = 24 base32 characters */
#define MAX_KEY_FILE 4096

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int cast_random(void *buf, size_t n)
{
	if (!n)
		return 0;
	if (!buf || n > (size_t)0x7fffffff)
		return CAST_ERROR(EINVAL);
	if (RAND_bytes(buf, (int)n) != 1)
		return CAST_EEXTERNAL;
	return 0;
}

/* Crockford base32 value of c, or -1. */
static int b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	for (int i = 0; i < 32; i++)
		if (ALPHABET[i] == c)
			return i;
	return -1;
}

static int hkdf(const uint8_t *ikm, size_t ikm_len, const char *info,
		uint8_t *out, size_t out_len)
{
	static const char salt[] = "libcast class key";
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5];
	int ret = CAST_EEXTERNAL;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return CAST_EEXTERNAL;
	ctx = EVP_KDF_CTX_new(kdf);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)ikm, ikm_len);
	params[2] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_SALT, (void *)salt, sizeof(salt) - 1);
	params[3] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) == 1)
		ret = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

/* 15 bytes as a grouped code "XXXX-…" (out: at least 30 bytes). */
static void code_encode(const uint8_t raw[KEY_BYTES], char *out)
{
	size_t pos = 0;

	for (int i = 0; i < CAST_KEY_CHARS; i++) {
		/* 5 bits per character, most significant first. */
		int bit = i * 5, v = 0;

		for (int b = 0; b < 5; b++, bit++)
			v = (v << 1) | ((raw[bit / 8] >> (7 - bit % 8)) & 1);
		if (i && i % 4 == 0)
			out[pos++] = '-';
		out[pos++] = ALPHABET[v];
	}
	out[pos] = '\0';
}

/* A typed code back to its 15 bytes: 0 or -EINVAL. */
static int code_decode(const char *code, uint8_t raw[KEY_BYTES])
{
	int n = 0;

	memset(raw, 0, KEY_BYTES);
	for (const char *p = code; *p; p++) {
		int v;

		if (*p == '-' || *p == ' ')
			continue;
		v = b32_value(*p);
		if (v < 0 || n >= CAST_KEY_CHARS)
			return CAST_ERROR(EINVAL);
		for (int b = 0; b < 5; b++) {
			int bit = n * 5 + b;

			if ((v >> (4 - b)) & 1)
				raw[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		}
		n++;
	}
	return n == CAST_KEY_CHARS ? 0 : CAST_ERROR(EINVAL);
}

/* Canonical code and secrets from the 15 raw bytes (teachers and the
 * signing key of `*out` are kept). */
static int key_from_bytes(struct cast_key *out, const uint8_t raw[KEY_BYTES])
{
	struct cast_key k;
	int ret;

	memset(&k, 0, sizeof(k));
	code_encode(raw, k.code);
	ret = hkdf(raw, KEY_BYTES, "libcast tls psk v1", k.psk, sizeof(k.psk));
	if (!ret)
		ret = hkdf(raw, KEY_BYTES, "libcast beacon v1", k.beacon,
			   sizeof(k.beacon));
	if (!ret) {
		memcpy(out->code, k.code, sizeof(k.code));
		memcpy(out->psk, k.psk, sizeof(k.psk));
		memcpy(out->beacon, k.beacon, sizeof(k.beacon));
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return ret;
}

int cast_key_generate(struct cast_key *k)
{
	uint8_t raw[KEY_BYTES];
	int ret;

	if (!k)
		return CAST_ERROR(EINVAL);
	memset(k, 0, sizeof(*k));
	ret = cast_random(raw, sizeof(raw));
	if (!ret)
		ret = key_from_bytes(k, raw);
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

int cast_key_from_code(struct cast_key *k, const char *code)
{
	uint8_t raw[KEY_BYTES];
	int ret;

	if (!k || !code)
		return CAST_ERROR(EINVAL);
	ret = code_decode(code, raw);
	if (!ret) {
		memset(k, 0, sizeof(*k));
		ret = key_from_bytes(k, raw);
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

void cast_key_wipe(struct cast_key *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

/* The key file's text: code, teachers, and the signing key if asked. */
static int key_text(const struct cast_key *k, bool with_signer, char *text,
		    size_t size)
{
	size_t len;
	char fp[32];

	len = (size_t)snprintf(text, size, "# libcast class key%s\ncode = %s\n",
			       with_signer ? " (this teacher's: keep it on "
					     "the teacher machine)"
					   : "",
			       k->code);
	for (int i = 0; i < k->n_teachers && len < size; i++) {
		cast_key_fingerprint_code(k->teachers[i], fp);
		len += (size_t)snprintf(text + len, size - len,
					"teacher = %s\n", fp);
	}
	if (with_signer && len < size) {
		char hex[65];

		/* The Ed25519 seed: the first half of libsodium's secret. */
		sodium_bin2hex(hex, sizeof(hex), k->sign_sk, 32);
		len += (size_t)snprintf(text + len, size - len,
					"signing_key = %s\n", hex);
		sodium_memzero(hex, sizeof(hex));
	}
	return len < size ? (int)len : CAST_ERROR(ENOSPC);
}

static int save(const struct cast_key *k, const char *path, bool with_signer)
{
	char tmp[4096], text[1024];
	int fd, ret, len;

	if (!k || !path || !*path || strlen(k->code) != CAST_KEY_CODE_LEN)
		return CAST_ERROR(EINVAL);
	if (with_signer && !k->can_sign)
		return CAST_ERROR(EPERM);
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return CAST_ERROR(ENAMETOOLONG);
	len = key_text(k, with_signer, text, sizeof(text));
	if (len < 0)
		return len;
	/* mkstemp creates the file 0600 whatever the umask. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = CAST_ERROR(errno);
		cast_log(CAST_LOG_ERROR, "key", "%s: cannot create: %s", path,
			 cast_strerror(ret));
		OPENSSL_cleanse(text, sizeof(text));
		return ret;
	}
	ret = fchmod(fd, 0600) ? CAST_ERROR(errno) : 0;
	if (!ret)
		ret = cast__write_all(fd, text, (size_t)len);
	if (!ret && fsync(fd))
		ret = CAST_ERROR(errno);
	if (close(fd) && !ret)
		ret = CAST_ERROR(errno);
	if (!ret && rename(tmp, path))
		ret = CAST_ERROR(errno);
	OPENSSL_cleanse(text, sizeof(text));
	if (ret) {
		unlink(tmp);
		cast_log(CAST_LOG_ERROR, "key", "%s: cannot write: %s", path,
			 cast_strerror(ret));
	}
	return ret;
}

int cast_key_save(const struct cast_key *k, const char *path)
{
	return save(k, path, false);
}

int cast_key_save_teacher(const struct cast_key *k, const char *path)
{
	return save(k, path, true);
}

/* ---- teacher authority ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;

static void sodium_start(void)
{
	sodium_ok = sodium_init() >= 0;
}

void cast_key_fingerprint(const uint8_t pk[32], uint8_t fp[CAST_KEY_FP_BYTES])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, 32);
	memcpy(fp, h, CAST_KEY_FP_BYTES);
}

void cast_key_fingerprint_code(const uint8_t fp[CAST_KEY_FP_BYTES], char out[32])
{
	code_encode(fp, out);
}

static int find_teacher(const struct cast_key *k,
			const uint8_t fp[CAST_KEY_FP_BYTES])
{
	for (int i = 0; i < k->n_teachers; i++)
		if (!sodium_memcmp(k->teachers[i], fp, CAST_KEY_FP_BYTES))
			return i;
	return -1;
}

static int add_teacher(struct cast_key *k, const uint8_t fp[CAST_KEY_FP_BYTES])
{
	if (find_teacher(k, fp) >= 0)
		return CAST_ERROR(EEXIST);
	if (k->n_teachers == CAST_KEY_TEACHERS_MAX)
		return CAST_ERROR(ENOSPC);
	memcpy(k->teachers[k->n_teachers++], fp, CAST_KEY_FP_BYTES);
	return 0;
}

int cast_key_new_signer(struct cast_key *k)
{
	uint8_t fp[CAST_KEY_FP_BYTES], old[CAST_KEY_FP_BYTES];
	int ret;

	pthread_once(&sodium_once, sodium_start);
	if (!k)
		return CAST_ERROR(EINVAL);
	if (!sodium_ok)
		return CAST_EEXTERNAL;
	if (k->n_teachers == CAST_KEY_TEACHERS_MAX)
		return CAST_ERROR(ENOSPC);
	if (k->can_sign) /* a rotation: the old key is no longer listed */
		cast_key_fingerprint(k->sign_pk, old);
	crypto_sign_keypair(k->sign_pk, k->sign_sk);
	cast_key_fingerprint(k->sign_pk, fp);
	ret = add_teacher(k, fp);
	if (!ret && k->can_sign) {
		int i = find_teacher(k, old);

		if (i >= 0)
			memmove(k->teachers[i], k->teachers[i + 1],
				(size_t)(--k->n_teachers - i) *
					CAST_KEY_FP_BYTES);
	}
	k->can_sign = !ret;
	return ret;
}

int cast_key_trust(struct cast_key *k, const char *fp_code)
{
	uint8_t fp[CAST_KEY_FP_BYTES];

	if (!k || !fp_code || code_decode(fp_code, fp))
		return CAST_ERROR(EINVAL);
	return add_teacher(k, fp);
}

int cast_key_revoke(struct cast_key *k, const char *fp_code)
{
	uint8_t fp[CAST_KEY_FP_BYTES];
	int i;

	if (!k || !fp_code || code_decode(fp_code, fp))
		return CAST_ERROR(EINVAL);
	i = find_teacher(k, fp);
	if (i < 0)
		return CAST_ERROR(ENOENT);
	memmove(k->teachers[i], k->teachers[i + 1],
		(size_t)(--k->n_teachers - i) * CAST_KEY_FP_BYTES);
	return 0;
}

bool cast_key_trusts(const struct cast_key *k, const uint8_t pk[32])
{
	uint8_t fp[CAST_KEY_FP_BYTES];

	if (!k || !pk)
		return false;
	cast_key_fingerprint(pk, fp);
	return find_teacher(k, fp) >= 0;
}

int cast_key_sign(const struct cast_key *k, const void *m, size_t n,
		  uint8_t sig[64])
{
	pthread_once(&sodium_once, sodium_start);
	if (!k || !sig || (!m && n))
		return CAST_ERROR(EINVAL);
	if (!k->can_sign || !sodium_ok)
		return CAST_ERROR(EPERM);
	crypto_sign_detached(sig, NULL, m, n, k->sign_sk);
	return 0;
}

int cast_key_verify(const struct cast_key *k, const uint8_t pk[32],
		    const void *m, size_t n, const uint8_t sig[64])
{
	pthread_once(&sodium_once, sodium_start);
	if (!k || !pk || !sig || (!m && n) || !sodium_ok)
		return CAST_ERROR(EACCES);
	if (!cast_key_trusts(k, pk) ||
	    crypto_sign_verify_detached(sig, m, n, pk))
		return CAST_ERROR(EACCES);
	return 0;
}

struct load_ctx {
	struct cast_key key;
	bool have;
};

static int on_setting(const char *name, const char *value, void *arg,
		      char *why, size_t why_size)
{
	struct load_ctx *c = arg;

	if (!strcmp(name, "teacher")) {
		int ret = cast_key_trust(&c->key, value);

		if (ret == CAST_ERROR(EINVAL))
			snprintf(why, why_size, "not a teacher fingerprint "
				 "(24 base32 characters)");
		else if (ret == CAST_ERROR(ENOSPC))
			snprintf(why, why_size, "more than %d teachers",
				 CAST_KEY_TEACHERS_MAX);
		return ret == CAST_ERROR(EEXIST) ? 0
		       : ret			 ? CAST_EMALFORMED
						 : 0;
	}
	if (!strcmp(name, "signing_key")) {
		uint8_t seed[32];
		size_t n = 0;

		pthread_once(&sodium_once, sodium_start);
		if (c->key.can_sign || !sodium_ok ||
		    sodium_hex2bin(seed, sizeof(seed), value, strlen(value),
				   NULL, &n, NULL) ||
		    n != sizeof(seed)) {
			snprintf(why, why_size, "not one signing key (64 hex "
				 "digits)");
			return CAST_EMALFORMED;
		}
		crypto_sign_seed_keypair(c->key.sign_pk, c->key.sign_sk, seed);
		sodium_memzero(seed, sizeof(seed));
		c->key.can_sign = true;
		return 0;
	}
	if (strcmp(name, "code")) {
		snprintf(why, why_size, "unknown setting");
		return CAST_EMALFORMED;
	}
	uint8_t raw[KEY_BYTES];

	if (c->have) {
		snprintf(why, why_size, "code given twice");
		return CAST_EMALFORMED;
	}
	if (code_decode(value, raw) || key_from_bytes(&c->key, raw)) {
		snprintf(why, why_size,
			 "not a class key (24 base32 characters)");
		return CAST_EMALFORMED;
	}
	c->have = true;
	return 0;
}

int cast_key_load(struct cast_key *k, const char *path)
{
	struct load_ctx c = {0};
	struct stat st;
	char *text = NULL, err[512] = "";
	ssize_t n;
	size_t len = 0;
	int fd, ret;

	if (!k || !path)
		return CAST_ERROR(EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = CAST_ERROR(errno);
		cast_log(CAST_LOG_ERROR, "key", "%s: %s", path,
			 cast_strerror(ret));
		return ret;
	}
	/* fstat on the open file: no window between the check and the read. */
	if (fstat(fd, &st)) {
		ret = CAST_ERROR(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = CAST_ERROR(EINVAL);
		cast_log(CAST_LOG_ERROR, "key", "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		ret = CAST_ERROR(EPERM);
		cast_log(CAST_LOG_ERROR, "key",
			 "%s: refusing a class key others can read (mode %03o);"
			 " run: chmod 600 %s",
			 path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if (st.st_size > MAX_KEY_FILE) {
		ret = CAST_ERROR(EFBIG);
		goto out;
	}
	text = malloc(MAX_KEY_FILE + 1);
	if (!text) {
		ret = CAST_ERROR(ENOMEM);
		goto out;
	}
	while (len < MAX_KEY_FILE + 1) {
		n = read(fd, text + len, MAX_KEY_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = CAST_ERROR(errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > MAX_KEY_FILE) {
		ret = CAST_ERROR(EFBIG);
		goto out;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len)) {
		ret = CAST_EMALFORMED;
		snprintf(err, sizeof(err), "%s: not a text file", path);
		goto out;
	}
	ret = cast_config_parse(text, path, on_setting, &c, err, sizeof(err));
	if (!ret && !c.have) {
		ret = CAST_EMALFORMED;
		snprintf(err, sizeof(err), "%s: no 'code = …' line", path);
	}
	if (!ret)
		*k = c.key;
out:
	if (ret && ret != CAST_ERROR(EPERM)) {
		if (err[0])
			cast_log(CAST_LOG_ERROR, "key", "%s", err);
		else if (ret != CAST_ERROR(EINVAL))
			cast_log(CAST_LOG_ERROR, "key", "%s: %s", path,
				 cast_strerror(ret));
	}
	if (text) {
		OPENSSL_cleanse(text, MAX_KEY_FILE + 1);
		free(text);
	}
	OPENSSL_cleanse(&c, sizeof(c));
	close(fd);
	return ret;
}
