/* TLS 1.3 external-PSK contexts and framed non-blocking connections. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cast/error.h"
#include "cast/log.h"
#include "ctl_int.h"

/* What the callbacks need, hung on the SSL_CTX. */
struct psk_data {
	uint8_t psk[32];
	char identity[32];
};

static int psk_index = -1;
static pthread_once_t psk_once = PTHREAD_ONCE_INIT;

static void psk_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
		     long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	OPENSSL_clear_free(ptr, sizeof(struct psk_data));
}

static void psk_index_init(void)
{
	psk_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, psk_free);
}

static struct psk_data *psk_of(SSL *ssl)
{
	return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), psk_index);
}

/* The PSK as a TLS 1.3 session: AES-128-GCM-SHA256 only. */
static SSL_SESSION *psk_session(SSL *ssl, const struct psk_data *d)
{
	static const unsigned char aes128gcm[] = {0x13, 0x01};
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcm);
	SSL_SESSION *s;

	if (!cipher)
		return NULL;
	s = SSL_SESSION_new();
	if (!s)
		return NULL;
	if (!SSL_SESSION_set1_master_key(s, d->psk, sizeof(d->psk)) ||
	    !SSL_SESSION_set_cipher(s, cipher) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

static int use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
			  size_t *idlen, SSL_SESSION **sess)
{
	struct psk_data *d = psk_of(ssl);
	SSL_SESSION *s;

	*sess = NULL;
	if (!d)
		return 0;
	s = psk_session(ssl, d);
	if (!s)
		return 0;
	if (md && md != SSL_CIPHER_get_handshake_digest(
			      SSL_SESSION_get0_cipher(s))) {
		/* Not usable with the suite the server picked: no PSK. */
		SSL_SESSION_free(s);
		return 1;
	}
	*sess = s;
	*id = (const unsigned char *)d->identity;
	*idlen = strlen(d->identity);
	return 1;
}

static int find_session_cb(SSL *ssl, const unsigned char *identity,
			   size_t identity_len, SSL_SESSION **sess)
{
	struct psk_data *d = psk_of(ssl);

	*sess = NULL;
	if (!d)
		return 0;
	/* A different identity (other channel) finds no PSK: the handshake
	 * then fails for lack of a certificate, as it should. */
	if (identity_len != strlen(d->identity) ||
	    memcmp(identity, d->identity, identity_len))
		return 1;
	*sess = psk_session(ssl, d);
	return *sess ? 1 : 0;
}

void cast__tls_log_errors(int level, const char *obj, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		cast_log((enum cast_log_level)level, obj, "%s: %s", what, buf);
	} else {
		cast_log((enum cast_log_level)level, obj, "%s", what);
	}
	ERR_clear_error();
}

SSL_CTX *cast__tls_ctx_new(bool server, int channel, const uint8_t psk[32])
{
	struct psk_data *d;
	SSL_CTX *ctx;

	pthread_once(&psk_once, psk_index_init);
	if (psk_index < 0)
		return NULL;
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx)
		return NULL;
	d = OPENSSL_zalloc(sizeof(*d));
	if (!d)
		goto fail;
	memcpy(d->psk, psk, sizeof(d->psk));
	snprintf(d->identity, sizeof(d->identity), "libcast/%d", channel);
	if (!SSL_CTX_set_ex_data(ctx, psk_index, d)) {
		OPENSSL_clear_free(d, sizeof(*d));
		goto fail;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256"))
		goto fail;
	/* No resumption tickets: every connection proves the class key and
	 * runs a fresh (EC)DHE exchange. SSL_OP_ALLOW_NO_DHE_KEX stays off. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (server) {
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_psk_find_session_callback(ctx, find_session_cb);
	} else {
		SSL_CTX_set_psk_use_session_callback(ctx, use_session_cb);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void cast__tls_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

int cast__conn_init(struct cast__conn *c, SSL_CTX *ctx, int fd, bool server,
		    size_t rx_max, size_t tx_max)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->rx_max = rx_max;
	c->tx_max = tx_max;
	c->ssl = SSL_new(ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
		SSL_free(c->ssl);
		c->ssl = NULL;
		close(fd);
		c->fd = -1;
		return CAST_EEXTERNAL;
	}
	if (server)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	return 0;
}

void cast__conn_close(struct cast__conn *c)
{
	if (c->ssl) {
		/* Best effort close_notify; never waits. */
		if (c->handshaken)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->rx)
		OPENSSL_cleanse(c->rx, c->rx_cap);
	if (c->tx)
		OPENSSL_cleanse(c->tx, c->tx_cap);
	free(c->rx);
	free(c->tx);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Maps an SSL_get_error result after a failed call. */
static int ssl_fail(struct cast__conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want_write = false;
		return CAST_ERROR(EAGAIN);
	case SSL_ERROR_WANT_WRITE:
		c->want_write = true;
		return CAST_ERROR(EAGAIN);
	case SSL_ERROR_ZERO_RETURN:
		return CAST_ERROR(EPIPE);
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno && errno != EAGAIN ? CAST_ERROR(errno)
						 : CAST_ERROR(EPIPE);
	default:
		return CAST_ERROR(EPROTO);
	}
}

int cast__conn_handshake(struct cast__conn *c)
{
	int r, ret;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->handshaken = true;
		c->want_write = false;
		return 0;
	}
	ret = ssl_fail(c, r);
	/* A TLS-level failure during the handshake means the peer did not
	 * prove the class key (or is not libcast at all). */
	if (ret == CAST_ERROR(EPROTO))
		return CAST_ERROR(EACCES);
	return ret;
}

int cast__conn_send(struct cast__conn *c, const struct cast_msg *m)
{
	int n = cast_msg_encode(m, NULL, 0);
	size_t pending, need;

	if (n < 0)
		return n;
	pending = c->tx_len - c->tx_off;
	need = 4 + (size_t)n;
	if (pending + need > c->tx_max)
		return CAST_ERROR(ENOBUFS);
	if (c->tx_off && c->tx_len + need > c->tx_cap) {
		memmove(c->tx, c->tx + c->tx_off, pending);
		c->tx_len = pending;
		c->tx_off = 0;
	}
	if (c->tx_len + need > c->tx_cap) {
		size_t cap = c->tx_cap ? c->tx_cap : 4096;
		uint8_t *p;

		while (cap < c->tx_len + need)
			cap *= 2;
		p = realloc(c->tx, cap);
		if (!p)
			return CAST_ERROR(ENOMEM);
		c->tx = p;
		c->tx_cap = cap;
	}
	cast__put32(c->tx + c->tx_len, (uint32_t)n);
	n = cast_msg_encode(m, c->tx + c->tx_len + 4, need - 4);
	if (n < 0)
		return n;
	c->tx_len += need;
	return 0;
}

int cast__conn_flush(struct cast__conn *c)
{
	while (c->tx_off < c->tx_len) {
		int r, ret;
		size_t n = c->tx_len - c->tx_off;

		ERR_clear_error();
		errno = 0;
		r = SSL_write(c->ssl, c->tx + c->tx_off,
			      n > 0x40000000 ? 0x40000000 : (int)n);
		if (r > 0) {
			c->tx_off += (size_t)r;
			continue;
		}
		ret = ssl_fail(c, r);
		return ret == CAST_ERROR(EAGAIN) ? 0 : ret;
	}
	c->tx_off = c->tx_len = 0;
	c->want_write = false;
	return 0;
}

/* Calls fn for each complete frame at the start of rx, then compacts. */
static int deliver(struct cast__conn *c,
		   int (*fn)(const uint8_t *, size_t, void *), void *arg)
{
	size_t pos = 0;
	int ret = 0;

	while (c->rx_len - pos >= 4) {
		size_t l = cast__get32(c->rx + pos);

		if (!l || l > c->rx_max)
			return CAST_EMALFORMED;
		if (c->rx_len - pos - 4 < l)
			break;
		ret = fn(c->rx + pos + 4, l, arg);
		pos += 4 + l;
		if (ret)
			break;
	}
	memmove(c->rx, c->rx + pos, c->rx_len - pos);
	c->rx_len -= pos;
	return ret;
}

int cast__conn_read(struct cast__conn *c,
		    int (*fn)(const uint8_t *msg, size_t len, void *arg),
		    void *arg)
{
	size_t got = 0;

	c->more = false;
	for (;;) {
		size_t want = 4096;
		int r, ret;

		/* One connection must not keep the caller's loop to itself:
		 * past its budget, the rest waits for the next round (what
		 * OpenSSL already holds is flagged, poll cannot see it). */
		if (c->read_budget && got >= c->read_budget) {
			c->more = SSL_pending(c->ssl) > 0;
			return 0;
		}

		/* Room for the frame being received, never beyond its bound. */
		if (c->rx_len >= 4) {
			size_t l = cast__get32(c->rx);

			if (!l || l > c->rx_max)
				return CAST_EMALFORMED;
			if (4 + l - c->rx_len > want)
				want = 4 + l - c->rx_len;
		}
		if (c->rx_cap - c->rx_len < want) {
			size_t cap = c->rx_len + want;
			uint8_t *p = realloc(c->rx, cap);

			if (!p)
				return CAST_ERROR(ENOMEM);
			c->rx = p;
			c->rx_cap = cap;
		}
		ERR_clear_error();
		errno = 0;
		r = SSL_read(c->ssl, c->rx + c->rx_len,
			     (int)(c->rx_cap - c->rx_len > 0x40000000
					   ? 0x40000000
					   : c->rx_cap - c->rx_len));
		if (r <= 0) {
			ret = ssl_fail(c, r);
			return ret == CAST_ERROR(EAGAIN) ? 0 : ret;
		}
		c->rx_len += (size_t)r;
		got += (size_t)r;
		ret = deliver(c, fn, arg);
		if (ret)
			return ret;
		/* Shrink a buffer a large message left behind. */
		if (c->rx_cap > 65536 && c->rx_len < 4096) {
			uint8_t *p = realloc(c->rx, 4096 + c->rx_len);

			if (p) {
				c->rx = p;
				c->rx_cap = 4096 + c->rx_len;
			}
		}
	}
}

short cast__conn_events(const struct cast__conn *c)
{
	short ev = POLLIN;

	if (c->want_write || c->tx_len > c->tx_off)
		ev |= POLLOUT;
	return ev;
}

int cast__thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r ? CAST_ERROR(r) : 0;
}

int cast__set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC))
		return CAST_ERROR(errno);
	return 0;
}

/* ---- the teacher's proof on a session ---- */

/* What the teacher signs for this session. */
static int proof_message(SSL *ssl, int channel, uint8_t msg[52])
{
	static const char label[] = "EXPORTER-libcast-teacher";

	memcpy(msg, "libcast teacher v1", 18);
	cast__put16(msg + 18, (uint16_t)channel);
	if (SSL_export_keying_material(ssl, msg + 20, 32, label,
				       sizeof(label) - 1, NULL, 0, 0) != 1)
		return CAST_EEXTERNAL;
	return 0;
}

int cast__teacher_proof(SSL *ssl, const struct cast_key *key, int channel,
			uint8_t pk[32], uint8_t sig[64])
{
	uint8_t msg[52];
	int ret = proof_message(ssl, channel, msg);

	if (!ret)
		ret = cast_key_sign(key, msg, sizeof(msg), sig);
	if (!ret)
		memcpy(pk, key->sign_pk, 32);
	OPENSSL_cleanse(msg, sizeof(msg));
	return ret;
}

int cast__teacher_check(SSL *ssl, const struct cast_key *key, int channel,
			const uint8_t pk[32], const uint8_t sig[64])
{
	uint8_t msg[52];
	int ret = proof_message(ssl, channel, msg);

	if (!ret)
		ret = cast_key_verify(key, pk, msg, sizeof(msg), sig);
	OPENSSL_cleanse(msg, sizeof(msg));
	return ret ? CAST_ERROR(EACCES) : 0;
}
