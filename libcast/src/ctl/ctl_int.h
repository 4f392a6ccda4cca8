/* Control plane internals shared by beacon, message, TLS and peer code. */
#ifndef CAST_CTL_INT_H
#define CAST_CTL_INT_H

#include <pthread.h>

#include <openssl/ssl.h>

#include "cast/control.h"
#include "cast/frame.h"
#include "core/core_int.h"

/* Big-endian helpers. */
static inline void cast__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void cast__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void cast__put64(uint8_t *p, uint64_t v)
{
	cast__put32(p, (uint32_t)(v >> 32));
	cast__put32(p + 4, (uint32_t)v);
}

static inline uint16_t cast__get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t cast__get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t cast__get64(const uint8_t *p)
{
	return (uint64_t)cast__get32(p) << 32 | cast__get32(p + 4);
}

/* The JSON answer to a local request refused whole (too long, malformed). */
char *cast__ctl_refusal(int err);

/*
 * Timeouts of the control connection. Students report every 5 s, so the
 * teacher drops one silent for 15 s. The teacher pings each student every
 * 15 s (clock offset, and proof of life; the class's signed beacons say the
 * teacher is there in between), so a student gives its teacher 35 s. Per
 * student this is about 25 bytes/s on the teacher's wire.
 *
 * The clock offset is the fastest of the last few exchanges (struct
 * cast_clock_filter), so a join starts with a burst: CAST__PING_BURST pings
 * CAST__PING_BURST_MS apart, the first when the student's first STATS
 * arrives (it sends one as soon as its WELCOME work is over; a PING sent
 * with the WELCOME waited behind that work, 15-110 ms) or after
 * CAST__PING_FIRST_MS at the latest. A PING and its PONG are 44 and 58
 * bytes of TLS records, about 260 bytes on the wire with TCP/IP headers
 * and an ACK: the burst costs about 1.5 KB per join, once.
 */
/*
 * Liveness: a student sends a HEARTBEAT (no field: 8 bytes of message, a
 * 30-byte TLS record) every CAST__HEARTBEAT_MS, so a teacher that has not
 * heard from it for CAST_RESPONDING_MS (control.h) shows it as not
 * responding: a stopped agent or a cut cable within 3 s, not 15. About
 * 170 bytes a second per student on the wire (a 100-byte frame and the
 * teacher's ACK): 8.5 KB/s for 50 students, under 1 % of the broadcast.
 */
#define CAST__HEARTBEAT_MS 1000
#define CAST__HANDSHAKE_MS 5000
#define CAST__SILENCE_MS 15000
#define CAST__TEACHER_SILENCE_MS 35000
#define CAST__PING_MS 15000
#define CAST__PING_FIRST_MS 1000
#define CAST__PING_BURST 6
#define CAST__PING_BURST_MS 250

/*
 * TLS 1.3 with an external PSK, no certificates. The identity is
 * "libcast/<channel>"; (EC)DHE is required (OpenSSL's default psk_dhe_ke)
 * so sessions stay forward secret.
 */
SSL_CTX *cast__tls_ctx_new(bool server, int channel, const uint8_t psk[32]);
void cast__tls_ctx_free(SSL_CTX *ctx);
/* Logs OpenSSL's error queue (first entry) at `level` and clears it. */
void cast__tls_log_errors(int level, const char *obj, const char *what);

/*
 * One non-blocking TLS connection with framed messages: bounded receive
 * buffer (rx_max bytes of message) and bounded send queue.
 */
struct cast__conn {
	int fd;
	SSL *ssl;
	bool handshaken;
	bool want_write;	/* OpenSSL needs POLLOUT to progress */
	uint8_t *rx;
	size_t rx_len, rx_cap, rx_max;
	uint8_t *tx;
	size_t tx_len, tx_off, tx_cap, tx_max;
	size_t read_budget;	/* bytes per cast__conn_read(); 0: no bound */
	bool more;		/* the budget ran out with bytes in OpenSSL */
};

/* Takes ownership of fd (non-blocking). Returns 0, -ENOMEM, CAST_EEXTERNAL. */
int cast__conn_init(struct cast__conn *c, SSL_CTX *ctx, int fd, bool server,
		    size_t rx_max, size_t tx_max);
void cast__conn_close(struct cast__conn *c);
/* 0 done, -EAGAIN in progress, -EACCES TLS refused (key), else I/O error. */
int cast__conn_handshake(struct cast__conn *c);
/* Frames and queues one message. -ENOBUFS when the queue is full. */
int cast__conn_send(struct cast__conn *c, const struct cast_msg *m);
/* Writes queued bytes. 0 (all or some sent), or a negative error. */
int cast__conn_flush(struct cast__conn *c);
/*
 * Reads what is available, at most about read_budget bytes, and calls `fn`
 * for each complete message (the buffer is valid during the call). When the
 * budget runs out with bytes OpenSSL holds, sets `more`: call again without
 * waiting for poll. Returns 0 (would block), -EPIPE (peer
 * closed), CAST_EMALFORMED (frame length 0 or over rx_max), the first
 * error `fn` returns, or another negative error.
 */
int cast__conn_read(struct cast__conn *c,
		    int (*fn)(const uint8_t *msg, size_t len, void *arg),
		    void *arg);
/* poll() events this connection needs. */
short cast__conn_events(const struct cast__conn *c);

/*
 * The teacher's proof on this TLS session: its Ed25519 signature over
 * "libcast teacher v1", the channel and 32 bytes exported from the session
 * (RFC 8446 exporter, label "EXPORTER-libcast-teacher"), so a proof made
 * for one connection is worth nothing on another. cast__teacher_proof
 * writes pk and sig (0, -EPERM: no signing key, CAST_EEXTERNAL);
 * cast__teacher_check returns 0 or -EACCES (not a listed teacher, or not
 * this session's proof).
 */
int cast__teacher_proof(SSL *ssl, const struct cast_key *key, int channel,
			uint8_t pk[32], uint8_t sig[64]);
int cast__teacher_check(SSL *ssl, const struct cast_key *key, int channel,
			const uint8_t pk[32], const uint8_t sig[64]);

/* Starts a thread with every signal blocked (no SIGPIPE from SSL_write;
 * the application's handlers run on its own threads). 0 or -errno. */
int cast__thread_start(pthread_t *t, void *(*fn)(void *), void *arg);
/* Makes fd non-blocking and close-on-exec. 0 or -errno. */
int cast__set_nonblock(int fd);

#endif
