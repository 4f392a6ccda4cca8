/* Student control plane: find the teacher's beacon, connect, stay connected. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/class.h"
#include "cast/net.h"
#include "ctl_int.h"

#define OBJ "student-ctl"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
#define TX_MAX (1u << 20)
#define LATER_SLOTS 64
/*
 * EVENTs are handed to the connection only while less than this is queued
 * in it, so the rest of TX_MAX stays free for what must never wait (PONG,
 * REPLY, STATS); the rest wait in the event queue until the connection
 * drains (POLLOUT).
 */
#define TX_EVENTS_MAX (256u << 10)
#define EVQ_SLOTS 64
/* Producers that wait for room (send_event_wait) stop at this mark, so the
 * slots above it stay for a raised hand or a message during a transfer. */
#define EVQ_WAIT_MARK 48

enum sstate { S_IDLE, S_CONNECTING, S_HANDSHAKE, S_HELLO, S_READY };

struct cast_student_ctl {
	int channel;
	struct cast_key key;
	char *iface, *beacon_bind, *teacher_addr;
	uint16_t beacon_port, teacher_port;
	int stats_interval_ms;
	cast_welcome_cb *on_welcome;
	cast_class_state_cb *on_class_state;
	cast_command_cb *on_command;
	struct cast_command *cmd;	/* the one being carried out */
	cast_stats_json_cb *stats_json;
	void *arg;
	/* What HELLO presents: the configured id (else the seat id), name
	 * and class, this machine's hostname, machine id and MAC. */
	struct cast_identity self;

	SSL_CTX *ctx;
	struct cast_udp *beacon;
	int wfd;
	pthread_t thread;
	bool started;
	atomic_bool stop;

	/* Network thread only. */
	enum sstate state;
	struct cast__conn conn;
	int tcp_fd;			/* during S_CONNECTING */
	struct sockaddr_in target;
	bool have_target;
	int64_t target_us;		/* monotonic time of the last beacon */
	int64_t fail_us, next_try_us, state_us, last_rx_us, next_stats_us;
	int64_t next_beat_us;		/* HEARTBEAT (CAST__HEARTBEAT_MS) */
	int backoff_ms;
	uint16_t sent_unicast;
	struct cast_beacon_filter filter;
	int64_t last_reject_log_us, last_untrusted_log_us;
	bool auth_logged;

	/* Shared, under lock. */
	pthread_mutex_t lock;
	struct cast_student_ctl_stats st;
	bool connected;
	uint16_t unicast_port;
	bool unicast_dirty;
	/*
	 * EVENTs waiting for the connection, oldest first. Never dropped
	 * while the connection lives: producers get -EAGAIN or wait on `cond`
	 * for room. An event with a session belongs to that connection only
	 * and is discarded when it ends.
	 */
	struct {
		char name[64];
		uint8_t *args;
		size_t len;
		uint64_t session;
	} evq[EVQ_SLOTS];
	int evq_head, evq_n;
	uint64_t session, last_session; /* current connection (0: none) */
	bool tx_idle;			/* nothing handed over is unsent */
	pthread_cond_t cond;		/* room, session or tx_idle changed */
	/* Commands answered later (CAST_COMMAND_LATER), by their session. */
	struct {
		uint32_t cmd_id;
		uint64_t session;
		bool ready;
		int status;
	} later[LATER_SLOTS];
	int n_later;
};

void cast_student_ctl_cfg_init(struct cast_student_ctl_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->stats_interval_ms = 5000;
}

#define COUNT(s, field)                                                        \
	do {                                                                   \
		pthread_mutex_lock(&(s)->lock);                                \
		(s)->st.field++;                                               \
		pthread_mutex_unlock(&(s)->lock);                              \
	} while (0)

static void read_machine_id(char *buf, size_t size)
{
	FILE *f = fopen("/etc/machine-id", "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\r\n")] = '\0';
	fclose(f);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '\0';
}

/* Keeps a string field printable so the teacher does not refuse HELLO. */
static void copy_clean(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; src && *src && n + 1 < size; src++)
		if ((unsigned char)*src >= 0x20 && *src != 0x7f)
			dst[n++] = *src;
	dst[n] = '\0';
	/* Do not end inside a UTF-8 sequence cut by the size limit. */
	while (n && ((unsigned char)dst[n - 1] & 0x80)) {
		size_t k = n - 1, len;

		while (k && ((unsigned char)dst[k] & 0xc0) == 0x80)
			k--;
		len = (unsigned char)dst[k] >= 0xf0   ? 4
		      : (unsigned char)dst[k] >= 0xe0 ? 3
						      : 2;
		if (n - k >= len)
			break;
		dst[k] = '\0';
		n = k;
	}
}

static void set_connected(struct cast_student_ctl *s, bool on)
{
	pthread_mutex_lock(&s->lock);
	s->connected = on;
	s->st.teacher_ip = on ? ntohl(s->target.sin_addr.s_addr) : 0;
	pthread_mutex_unlock(&s->lock);
}

/* The connection ended: its own events go (the teacher dropped what it
 * had of them too), the others stay for the next; waiters learn it. */
static void end_session(struct cast_student_ctl *s)
{
	int kept = 0, gone = 0;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->evq_n; i++) {
		int from = (s->evq_head + i) % EVQ_SLOTS;
		int to = (s->evq_head + kept) % EVQ_SLOTS;

		if (s->evq[from].session) {
			free(s->evq[from].args);
			s->evq[from].args = NULL;
			gone++;
			continue;
		}
		if (from != to) {
			s->evq[to] = s->evq[from];
			s->evq[from].args = NULL;
		}
		kept++;
	}
	s->evq_n = kept;
	s->st.events_discarded += (uint64_t)gone;
	s->session = 0;
	s->tx_idle = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (gone)
		cast_log(CAST_LOG_INFO, OBJ,
			 "%d queued events of the lost connection discarded",
			 gone);
}

static void conn_fail(struct cast_student_ctl *s, const char *why)
{
	int64_t now = cast_mono_us();

	if (s->state == S_READY) {
		COUNT(s, disconnects);
		set_connected(s, false);
		end_session(s);
		cast_log(CAST_LOG_INFO, OBJ, "lost the teacher: %s", why);
	} else if (s->state != S_IDLE) {
		cast_log(CAST_LOG_DEBUG, OBJ, "connect failed: %s", why);
	}
	if (s->state == S_CONNECTING && s->tcp_fd >= 0)
		close(s->tcp_fd);
	else if (s->state >= S_HANDSHAKE)
		cast__conn_close(&s->conn);
	s->tcp_fd = -1;
	s->state = S_IDLE;
	s->fail_us = now;
	s->next_try_us = now + s->backoff_ms * 1000LL;
	s->backoff_ms *= 2;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
}

static void start_connect(struct cast_student_ctl *s)
{
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		s->state = S_CONNECTING;
		s->tcp_fd = -1;
		conn_fail(s, cast_strerror(CAST_ERROR(errno)));
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->tcp_fd = fd;
	s->state = S_CONNECTING;
	s->state_us = cast_mono_us();
	if (connect(fd, (struct sockaddr *)&s->target, sizeof(s->target)) &&
	    errno != EINPROGRESS)
		conn_fail(s, cast_strerror(CAST_ERROR(errno)));
}

static int send_hello(struct cast_student_ctl *s)
{
	struct cast_msg m;

	cast_msg_init(&m, CAST_MSG_HELLO);
	m.hello = s->self;
	return cast__conn_send(&s->conn, &m);
}

static int on_msg(const uint8_t *buf, size_t len, void *arg)
{
	struct cast_student_ctl *s = arg;
	struct cast_msg m, r;
	int ret;

	ret = cast_msg_decode(buf, len, &m);
	if (ret == CAST_ERROR(ENOMSG))
		return 0;
	if (ret)
		return ret;
	s->last_rx_us = cast_mono_us();
	switch (m.type) {
	case CAST_MSG_WELCOME:
		/* Only a listed teacher, proved on this very session: a host
		 * with the class code (any student PC) is not one. */
		if (cast__teacher_check(s->conn.ssl, &s->key, s->channel,
					m.teacher_pk, m.teacher_sig)) {
			OPENSSL_cleanse(&m.media, sizeof(m.media));
			COUNT(s, untrusted_teachers);
			return CAST_ERROR(EACCES);
		}
		if (s->state == S_HELLO) {
			s->state = S_READY;
			s->backoff_ms = BACKOFF_MIN_MS;
			s->auth_logged = false;
			s->next_stats_us = s->last_rx_us;
			s->next_beat_us = s->last_rx_us;
			s->sent_unicast = 0;
			pthread_mutex_lock(&s->lock);
			s->st.connects++;
			s->unicast_dirty = s->unicast_port != 0;
			s->session = ++s->last_session;
			pthread_cond_broadcast(&s->cond);
			pthread_mutex_unlock(&s->lock);
			cast_log(CAST_LOG_INFO, OBJ,
				 "welcomed by the teacher of channel %d",
				 s->channel);
		}
		COUNT(s, welcomes);
		set_connected(s, true);
		memcpy(m.media.teacher_pk, m.teacher_pk, 32);
		if (s->on_welcome)
			s->on_welcome(&m.media, s->arg);
		if (s->on_class_state && m.class_state_len)
			s->on_class_state(m.class_state, m.class_state_len,
					  s->arg);
		OPENSSL_cleanse(&m.media, sizeof(m.media));
		return 0;
	case CAST_MSG_PING:
		cast_msg_init(&r, CAST_MSG_PONG);
		r.echo_time_us = m.time_us;
		r.peer_time_us = (uint64_t)cast_now_us();
		ret = cast__conn_send(&s->conn, &r);
		/* Out now, not after the messages read with it: a command
		 * that writes state would lengthen the round trip. */
		return ret ? ret : cast__conn_flush(&s->conn);
	case CAST_MSG_PONG:
		return 0;
	case CAST_MSG_COMMAND:
		if (s->state != S_READY)
			return CAST_EMALFORMED;
		COUNT(s, commands);
		cast_msg_init(&r, CAST_MSG_REPLY);
		r.cmd_id = m.cmd_id;
		/* Typed and checked here: the application never parses. */
		r.status = cast_command_decode(m.cmd_name, m.cmd_args,
					       m.cmd_args_len, s->cmd);
		if (!r.status)
			r.status = s->on_command ? s->on_command(s->cmd, m.cmd_id,
								 s->arg)
						 : CAST_ERROR(ENOSYS);
		if (r.status == CAST_COMMAND_LATER) {
			pthread_mutex_lock(&s->lock);
			if (s->n_later < LATER_SLOTS) {
				s->later[s->n_later].cmd_id = m.cmd_id;
				s->later[s->n_later].session = s->session;
				s->later[s->n_later++].ready = false;
				pthread_mutex_unlock(&s->lock);
				return 0; /* cast_student_ctl_reply */
			}
			pthread_mutex_unlock(&s->lock);
			/* No room to remember it: answered now. */
			r.status = 0;
		}
		if (r.status > 0)
			r.status = 0;
		return cast__conn_send(&s->conn, &r);
	default:
		/* A student's message type from the teacher. */
		return CAST_EMALFORMED;
	}
}

static void send_stats(struct cast_student_ctl *s)
{
	char buf[CAST_MSG_STATS_MAX + 1];
	struct cast_msg m;
	int n;

	if (!s->stats_json)
		return;
	n = s->stats_json(buf, sizeof(buf), s->arg);
	if (n <= 0)
		return;
	if ((size_t)n > CAST_MSG_STATS_MAX ||
	    cast_json_validate_object(buf, (size_t)n)) {
		cast_log(CAST_LOG_WARN, OBJ,
			 "stats_json gave no valid JSON object; not sent");
		return;
	}
	cast_msg_init(&m, CAST_MSG_STATS);
	m.stats_json = buf;
	m.stats_json_len = (size_t)n;
	if (cast__conn_send(&s->conn, &m))
		cast_log(CAST_LOG_DEBUG, OBJ, "send queue full, stats skipped");
}

static void service_conn(struct cast_student_ctl *s, short rev)
{
	int ret;

	if (s->state == S_CONNECTING) {
		int err = 0;
		socklen_t elen = sizeof(err);

		if (!(rev & (POLLOUT | POLLERR | POLLHUP)))
			return;
		getsockopt(s->tcp_fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			conn_fail(s, cast_strerror(CAST_ERROR(err)));
			return;
		}
		ret = cast__conn_init(&s->conn, s->ctx, s->tcp_fd, false,
				      CAST_MSG_MAX, TX_MAX);
		s->tcp_fd = -1;
		s->state = S_HANDSHAKE;
		if (ret) {
			conn_fail(s, "TLS setup failed");
			return;
		}
	}
	if (s->state == S_HANDSHAKE) {
		ret = cast__conn_handshake(&s->conn);
		if (ret == CAST_ERROR(EAGAIN))
			return;
		if (ret == CAST_ERROR(EACCES)) {
			COUNT(s, auth_failures);
			/* Said once until a connection succeeds. */
			cast_log(s->auth_logged ? CAST_LOG_DEBUG
						: CAST_LOG_ERROR,
				 OBJ,
				 "the teacher refused our class key (or is "
				 "not the teacher of this class)");
			s->auth_logged = true;
			conn_fail(s, "authentication failed");
			return;
		}
		if (ret) {
			conn_fail(s, cast_strerror(ret));
			return;
		}
		s->state = S_HELLO;
		s->last_rx_us = cast_mono_us();
		ret = send_hello(s);
		if (ret) {
			conn_fail(s, cast_strerror(ret));
			return;
		}
	}
	ret = cast__conn_read(&s->conn, on_msg, s);
	if (ret == CAST_ERROR(EACCES)) {
		/* Logged once a minute: an impostor must not flood the log. */
		int64_t now = cast_mono_us();

		if (!s->last_untrusted_log_us ||
		    now - s->last_untrusted_log_us > 60000000) {
			cast_log(CAST_LOG_WARN, OBJ,
				 "refused a teacher that is not one of this "
				 "class's (a student PC or a stranger posing as "
				 "the teacher?)");
			s->last_untrusted_log_us = now;
		}
		conn_fail(s, "untrusted teacher");
		return;
	}
	if (ret == CAST_EMALFORMED || ret == CAST_ERROR(EPROTONOSUPPORT)) {
		COUNT(s, protocol_errors);
		conn_fail(s, "protocol error");
		return;
	}
	if (ret) {
		conn_fail(s, ret == CAST_ERROR(EPIPE) ? "closed"
						      : cast_strerror(ret));
		return;
	}
	ret = cast__conn_flush(&s->conn);
	if (ret)
		conn_fail(s, cast_strerror(ret));
}

static void read_beacons(struct cast_student_ctl *s)
{
	uint8_t buf[512];
	uint32_t from;
	int n;

	while ((n = cast_udp_recv(s->beacon, buf, sizeof(buf), 0, &from,
				  NULL)) >= 0) {
		struct cast_beacon b;
		int ret = cast_beacon_parse(buf, (size_t)n, &s->key,
					    s->channel, &b);

		if (ret == CAST_ERROR(EPERM))
			COUNT(s, beacons_untrusted);
		if (!ret && cast_beacon_filter_check(&s->filter, &b)) {
			COUNT(s, beacons_replayed);
			ret = CAST_ERROR(EALREADY);
		}
		if (ret) {
			int64_t now = cast_mono_us();

			COUNT(s, beacons_rejected);
			/* At most one warning a minute: a foreign class on the
			 * same channel would otherwise flood the log. */
			if (!s->last_reject_log_us ||
			    now - s->last_reject_log_us > 60000000) {
				struct in_addr a = {htonl(from)};
				char ip[16];

				inet_ntop(AF_INET, &a, ip, sizeof(ip));
				cast_log(CAST_LOG_WARN, OBJ,
					 "rejected a beacon from %s: %s", ip,
					 ret == CAST_ERROR(EACCES)
						 ? "bad signature (other "
						   "class key?)"
					 : ret == CAST_ERROR(EPERM)
						 ? "not a teacher of this "
						   "class (a student PC posing "
						   "as the teacher?)"
						 : cast_strerror(ret));
				s->last_reject_log_us = now;
			}
			continue;
		}
		COUNT(s, beacons_ok);
		s->target.sin_family = AF_INET;
		s->target.sin_addr.s_addr = htonl(b.teacher_ip ? b.teacher_ip
							       : from);
		s->target.sin_port = htons(b.control_port);
		s->have_target = b.control_port != 0;
		s->target_us = cast_mono_us();
	}
}

/*
 * Hands queued EVENTs to the connection, in order, while it has room. An
 * event that does not fit stays at the head of the queue: the connection
 * asks for POLLOUT while it has bytes to write, and the loop comes back
 * here once they are written.
 */
static void send_events(struct cast_student_ctl *s)
{
	bool sent = false;

	pthread_mutex_lock(&s->lock);
	while (s->evq_n && s->conn.tx_len - s->conn.tx_off < TX_EVENTS_MAX) {
		int h = s->evq_head, ret;
		struct cast_msg m;

		cast_msg_init(&m, CAST_MSG_EVENT);
		memcpy(m.cmd_name, s->evq[h].name, sizeof(m.cmd_name));
		m.cmd_args = s->evq[h].args ? s->evq[h].args
					    : (const uint8_t *)"";
		m.cmd_args_len = s->evq[h].len;
		ret = cast__conn_send(&s->conn, &m);
		if (ret == CAST_ERROR(ENOBUFS))
			break;
		if (ret) {
			/* Only an event the encoder refuses: it never will. */
			s->st.events_failed++;
			cast_log(CAST_LOG_WARN, OBJ, "event '%s' not sent: %s",
				 m.cmd_name, cast_strerror(ret));
		}
		free(s->evq[h].args);
		s->evq[h].args = NULL;
		s->evq_head = (h + 1) % EVQ_SLOTS;
		s->evq_n--;
		sent = true;
	}
	if (sent) {
		s->tx_idle = false;
		pthread_cond_broadcast(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
}

/* Tells drain waiters when everything handed to the connection is written
 * to the socket. Only this thread writes tx_idle. */
static void note_tx(struct cast_student_ctl *s)
{
	bool idle = s->state != S_READY || s->conn.tx_len == s->conn.tx_off;

	if (idle == s->tx_idle)
		return;
	pthread_mutex_lock(&s->lock);
	s->tx_idle = idle;
	if (idle)
		pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void send_later_replies(struct cast_student_ctl *s);

static void timers(struct cast_student_ctl *s, int64_t now)
{
	bool unicast;
	uint16_t uport;

	if (s->state == S_IDLE && now >= s->next_try_us &&
	    (s->teacher_addr || (s->have_target && s->target_us > s->fail_us)))
		start_connect(s);
	if (s->state != S_IDLE && s->state != S_READY &&
	    now - s->state_us > CAST__HANDSHAKE_MS * 1000LL) {
		conn_fail(s, "no answer within 5 s");
		return;
	}
	if (s->state == S_HELLO &&
	    now - s->last_rx_us > CAST__HANDSHAKE_MS * 1000LL) {
		conn_fail(s, "no WELCOME within 5 s");
		return;
	}
	if (s->state != S_READY)
		return;
	if (now - s->last_rx_us > CAST__TEACHER_SILENCE_MS * 1000LL) {
		conn_fail(s, "teacher silent for 35 s");
		return;
	}
	if (now >= s->next_stats_us) {
		send_stats(s);
		s->next_stats_us = now + s->stats_interval_ms * 1000LL;
	}
	if (now >= s->next_beat_us) {
		struct cast_msg m;

		/* A full send queue already tells the teacher we are here. */
		cast_msg_init(&m, CAST_MSG_HEARTBEAT);
		cast__conn_send(&s->conn, &m);
		s->next_beat_us = now + CAST__HEARTBEAT_MS * 1000LL;
	}
	send_later_replies(s);
	pthread_mutex_lock(&s->lock);
	unicast = s->unicast_dirty;
	uport = s->unicast_port;
	s->unicast_dirty = false;
	pthread_mutex_unlock(&s->lock);
	if (unicast && uport != s->sent_unicast) {
		struct cast_msg m;

		cast_msg_init(&m, CAST_MSG_UNICAST_REQUEST);
		m.udp_port = uport;
		if (!cast__conn_send(&s->conn, &m))
			s->sent_unicast = uport;
	}
	send_events(s);
	if (cast__conn_flush(&s->conn))
		conn_fail(s, "send failed");
}

int cast_student_ctl_reply(struct cast_student_ctl *s, uint32_t cmd_id,
			   int status)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n_later; i++)
		if (s->later[i].cmd_id == cmd_id && !s->later[i].ready) {
			s->later[i].ready = true;
			s->later[i].status = status > 0 ? 0 : status;
			break;
		}
	pthread_mutex_unlock(&s->lock);
	if (write(s->wfd, &one, sizeof(one)) < 0)
		return 0; /* the thread polls anyway */
	return 0;
}

/* Sends the replies given later; drops those of an older connection. */
static void send_later_replies(struct cast_student_ctl *s)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n_later;) {
		struct cast_msg r;

		if (s->later[i].session == s->session && !s->later[i].ready) {
			i++;
			continue;
		}
		if (s->later[i].session == s->session) {
			cast_msg_init(&r, CAST_MSG_REPLY);
			r.cmd_id = s->later[i].cmd_id;
			r.status = s->later[i].status;
			if (cast__conn_send(&s->conn, &r)) {
				i++; /* no room now: the next pass */
				continue;
			}
		}
		s->later[i] = s->later[--s->n_later];
	}
	pthread_mutex_unlock(&s->lock);
}

int cast_student_ctl_pending(struct cast_student_ctl *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->evq_n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int copy_args(uint8_t **copy, const char *name, const void *args,
		     size_t len)
{
	*copy = NULL;
	if (!name || strlen(name) >= 64 || len > CAST_MSG_ARGS_MAX ||
	    (len && !args))
		return CAST_ERROR(EINVAL);
	if (len) {
		*copy = malloc(len);
		if (!*copy)
			return CAST_ERROR(ENOMEM);
		memcpy(*copy, args, len);
	}
	return 0;
}

/* Appends under the lock; the caller checked there is room. */
static void push_locked(struct cast_student_ctl *s, const char *name,
			uint8_t *copy, size_t len, uint64_t session)
{
	int slot = (s->evq_head + s->evq_n) % EVQ_SLOTS;

	snprintf(s->evq[slot].name, sizeof(s->evq[slot].name), "%s", name);
	s->evq[slot].args = copy;
	s->evq[slot].len = len;
	s->evq[slot].session = session;
	s->evq_n++;
}

static void wake(struct cast_student_ctl *s)
{
	uint64_t one = 1;

	if (write(s->wfd, &one, sizeof(one)) < 0)
		(void)0; /* already signalled; the thread polls anyway */
}

/* Absolute CLOCK_MONOTONIC time `ms` from now (cond uses that clock). */
static struct timespec deadline(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int cast_student_ctl_send_event(struct cast_student_ctl *s, const char *name,
				const void *args, size_t len)
{
	uint8_t *copy;
	int ret;

	if (!s)
		return CAST_ERROR(EINVAL);
	ret = copy_args(&copy, name, args, len);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->lock);
	if (s->evq_n == EVQ_SLOTS) {
		pthread_mutex_unlock(&s->lock);
		free(copy);
		return CAST_ERROR(EAGAIN);
	}
	push_locked(s, name, copy, len, 0);
	pthread_mutex_unlock(&s->lock);
	wake(s);
	return 0;
}

int cast_student_ctl_session_wait(struct cast_student_ctl *s, int timeout_ms,
				  uint64_t *session)
{
	struct timespec until;
	int ret = 0;

	if (!s || !session || timeout_ms < 0)
		return CAST_ERROR(EINVAL);
	until = deadline(timeout_ms);
	pthread_mutex_lock(&s->lock);
	while (!s->session && !ret)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) ==
		    ETIMEDOUT)
			ret = CAST_ERROR(ETIMEDOUT);
	if (s->session) {
		*session = s->session;
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int cast_student_ctl_send_event_wait(struct cast_student_ctl *s,
				     uint64_t session, const char *name,
				     const void *args, size_t len,
				     int timeout_ms)
{
	struct timespec until;
	uint8_t *copy;
	int ret;

	if (!s || !session || timeout_ms < 0)
		return CAST_ERROR(EINVAL);
	ret = copy_args(&copy, name, args, len);
	if (ret)
		return ret;
	until = deadline(timeout_ms);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		if (s->session != session) {
			ret = CAST_ERROR(ECONNRESET);
			break;
		}
		if (s->evq_n < EVQ_WAIT_MARK) {
			push_locked(s, name, copy, len, session);
			copy = NULL;
			break;
		}
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) ==
		    ETIMEDOUT) {
			ret = CAST_ERROR(ETIMEDOUT);
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	free(copy);
	if (!ret)
		wake(s);
	return ret;
}

/* True while an event of `session` is queued. */
static bool session_queued(const struct cast_student_ctl *s, uint64_t session)
{
	for (int i = 0; i < s->evq_n; i++)
		if (s->evq[(s->evq_head + i) % EVQ_SLOTS].session == session)
			return true;
	return false;
}

int cast_student_ctl_drain(struct cast_student_ctl *s, uint64_t session,
			   int timeout_ms)
{
	struct timespec until;
	int ret = 0;

	if (!s || !session || timeout_ms < 0)
		return CAST_ERROR(EINVAL);
	until = deadline(timeout_ms);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		if (s->session != session) {
			ret = CAST_ERROR(ECONNRESET);
			break;
		}
		if (s->tx_idle && !session_queued(s, session))
			break;
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) ==
		    ETIMEDOUT) {
			ret = CAST_ERROR(ETIMEDOUT);
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void *run(void *arg)
{
	struct cast_student_ctl *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd p[3];
		int64_t now = cast_mono_us();

		timers(s, now);
		p[0] = (struct pollfd){.fd = s->wfd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = cast_udp_fd(s->beacon),
				       .events = POLLIN};
		p[2] = (struct pollfd){.fd = -1};
		if (s->state == S_CONNECTING)
			p[2] = (struct pollfd){.fd = s->tcp_fd,
					       .events = POLLOUT};
		else if (s->state != S_IDLE)
			p[2] = (struct pollfd){
				.fd = s->conn.fd,
				.events = cast__conn_events(&s->conn)};
		if (poll(p, 3, 100) < 0)
			continue;
		if (p[0].revents) {
			uint64_t v;

			if (read(s->wfd, &v, sizeof(v)) < 0)
				(void)0;
		}
		if (p[1].revents)
			read_beacons(s);
		if (p[2].revents && s->state != S_IDLE)
			service_conn(s, p[2].revents);
		note_tx(s);
	}
	if (s->state != S_IDLE) {
		if (s->state >= S_HANDSHAKE)
			cast__conn_flush(&s->conn);
		conn_fail(s, "stopped");
	}
	return NULL;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : CAST_ERROR(ENOMEM);
}

int cast_student_ctl_new(struct cast_student_ctl **out,
			 const struct cast_student_ctl_cfg *cfg)
{
	struct cast_student_ctl *s;
	struct cast_udp_cfg ucfg;
	char group[16];
	int ret, port;

	if (!out || !cfg || !cfg->key || cfg->channel < CAST_CHANNEL_MIN ||
	    cfg->channel > CAST_CHANNEL_MAX || cfg->stats_interval_ms < 10)
		return CAST_ERROR(EINVAL);
	s = calloc(1, sizeof(*s));
	if (s && !(s->cmd = malloc(sizeof(*s->cmd)))) {
		free(s);
		s = NULL;
	}
	if (!s)
		return CAST_ERROR(ENOMEM);
	s->wfd = s->tcp_fd = -1;
	s->conn.fd = -1;
	s->tx_idle = true;
	pthread_mutex_init(&s->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&s->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	s->channel = cfg->channel;
	s->key = *cfg->key;
	s->stats_interval_ms = cfg->stats_interval_ms;
	s->on_welcome = cfg->on_welcome;
	s->on_class_state = cfg->on_class_state;
	s->on_command = cfg->on_command;
	s->stats_json = cfg->stats_json;
	s->arg = cfg->arg;
	s->backoff_ms = BACKOFF_MIN_MS;
	cast_beacon_filter_init(&s->filter);
	ret = dup_str(&s->iface, cfg->iface);
	if (!ret)
		ret = dup_str(&s->beacon_bind, cfg->beacon_bind);
	if (!ret)
		ret = dup_str(&s->teacher_addr, cfg->teacher_addr);
	if (ret)
		goto fail;
	{
		struct cast_identity *me = &s->self;
		char host[256];

		copy_clean(me->presented_id, sizeof(me->presented_id),
			   cfg->identity.presented_id);
		copy_clean(me->name, sizeof(me->name), cfg->identity.name);
		copy_clean(me->class_name, sizeof(me->class_name),
			   cfg->identity.class_name);
		if (gethostname(host, sizeof(host)))
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		copy_clean(me->host, sizeof(me->host), host);
		read_machine_id(host, sizeof(me->machine_id));
		copy_clean(me->machine_id, sizeof(me->machine_id), host);
		/* The same interface the seat id comes from, so the teacher's
		 * same-machine test and the id agree. */
		if (cast_student_mac(s->iface, me->mac))
			memset(me->mac, 0, sizeof(me->mac));
		if (!me->presented_id[0] &&
		    cast_student_seat_id(s->iface, me->presented_id,
					 sizeof(me->presented_id)) < 0)
			me->presented_id[0] = '\0';
	}

	if (s->teacher_addr) {
		port = cfg->teacher_port
			       ? cfg->teacher_port
			       : cast_channel_port(s->channel,
						   CAST_PORT_CONTROL);
		s->target.sin_family = AF_INET;
		s->target.sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, s->teacher_addr,
			      &s->target.sin_addr) != 1) {
			ret = CAST_ERROR(EINVAL);
			goto fail;
		}
		s->have_target = true;
	}
	cast_udp_cfg_init(&ucfg);
	ucfg.rcvbuf = 64 << 10;
	ucfg.sndbuf = 0;
	ucfg.iface = s->iface;
	ucfg.port = cfg->beacon_port
			    ? cfg->beacon_port
			    : (uint16_t)cast_channel_port(s->channel,
							  CAST_PORT_BEACON);
	if (s->beacon_bind) {
		ucfg.bind_addr = s->beacon_bind;
	} else {
		cast_channel_group(s->channel, group, sizeof(group));
		ucfg.group = group;
	}
	ret = cast_udp_new(&s->beacon, &ucfg);
	if (ret) {
		cast_log(CAST_LOG_ERROR, OBJ, "beacon socket (port %u): %s",
			 ucfg.port, cast_strerror(ret));
		goto fail;
	}
	s->ctx = cast__tls_ctx_new(false, s->channel, s->key.psk);
	if (!s->ctx) {
		cast__tls_log_errors(CAST_LOG_ERROR, OBJ, "TLS setup");
		ret = CAST_EEXTERNAL;
		goto fail;
	}
	s->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wfd < 0) {
		ret = CAST_ERROR(errno);
		goto fail;
	}
	ret = cast__thread_start(&s->thread, run, s);
	if (ret)
		goto fail;
	s->started = true;
	*out = s;
	return 0;
fail:
	cast_student_ctl_free(&s);
	return ret;
}

bool cast_student_ctl_connected(struct cast_student_ctl *s)
{
	bool on;

	pthread_mutex_lock(&s->lock);
	on = s->connected;
	pthread_mutex_unlock(&s->lock);
	return on;
}

void cast_student_ctl_stats(struct cast_student_ctl *s,
			    struct cast_student_ctl_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}

int cast_student_ctl_request_unicast(struct cast_student_ctl *s,
				     uint16_t port)
{
	uint64_t one = 1;

	if (!s)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&s->lock);
	s->unicast_port = port;
	s->unicast_dirty = true;
	pthread_mutex_unlock(&s->lock);
	if (write(s->wfd, &one, sizeof(one)) < 0)
		(void)0; /* already signalled */
	return 0;
}

void cast_student_ctl_free(struct cast_student_ctl **ps)
{
	struct cast_student_ctl *s = ps ? *ps : NULL;

	if (!s)
		return;
	if (s->started) {
		uint64_t one = 1;

		atomic_store(&s->stop, true);
		if (write(s->wfd, &one, sizeof(one)) < 0)
			(void)0;
		pthread_join(s->thread, NULL);
	}
	if (s->wfd >= 0)
		close(s->wfd);
	cast_udp_free(&s->beacon);
	cast__tls_ctx_free(s->ctx);
	free(s->iface);
	free(s->beacon_bind);
	free(s->teacher_addr);
	for (int i = 0; i < EVQ_SLOTS; i++)
		free(s->evq[i].args);
	free(s->cmd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	*ps = NULL;
}
