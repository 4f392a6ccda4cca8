/* Teacher control plane: beacons, TLS-PSK student connections, ctl socket. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cast/class.h"
#include "cast/error.h"
#include "cast/log.h"
#include "cast/stats.h"
#include "cast/config.h"
#include "cast/net.h"
#include "ctl_int.h"

#define OBJ "teacher-ctl"
#define MAX_DESTS 64
#define MAX_CTL_CLIENTS 32
#define CTL_TIMEOUT_MS 3000		/* to send a whole request */
#define CTL_LATER_MS (15 * 60000)	/* an answer given later: at most */
#define CTL_BEAT_MS 1000		/* meanwhile, a '\n' this often */
#define SPARE_CONNS 32		/* handshakes beyond max_students */
/* A student sends its ClientHello as soon as it is connected: a connection
 * silent this long is not one (docs/security.md, "Hostile traffic"). */
#define FIRST_BYTE_MS 1000
/* With every slot taken, an address holding this many unfinished
 * handshakes loses its oldest to a newcomer at once. */
#define PENDING_PER_ADDR 8
#define LOG_EVERY_US 10000000	/* repeated warnings: one line per 10 s */
/* Students send small messages, and homework in chunks of at most 256 KiB
 * (buffers grow only as far as a message needs). */
#define STUDENT_RX_MAX (320u << 10)
#define STUDENT_TX_MAX (4u << 20)
/* Read from one student per round: two homework chunks. 50 students sending
 * at once then share the network thread, and beacons and `ctl` keep time. */
#define STUDENT_READ_BUDGET (512u << 10)

enum client_state { C_FREE, C_HANDSHAKE, C_HELLO, C_READY };

struct client {
	struct cast__conn conn;
	enum client_state state;
	int64_t start_us, last_rx_us, next_ping_us; /* monotonic */
	char ip[16];
	uint16_t port;
	uint32_t addr;			/* network order, for the per-address
					 * count of unfinished handshakes */
	bool heard;			/* a byte came before the handshake ended */
	int entry;			/* roster index, -1 before HELLO */
	int burst;			/* pings of the join burst not sent */
	struct cast_clock_filter clock;
	bool proved;			/* proof_* made for this session */
	uint8_t proof_pk[32], proof_sig[64];
};

/* A warning that may repeat as fast as a flood: logged once per
 * LOG_EVERY_US, with the count of those not logged. */
struct log_limit {
	int64_t last_us;
	uint64_t quiet;
};

struct entry {
	bool used;
	int client;			/* -1 when offline */
	char presented[64];		/* the id its HELLO gave (info.id may
					 * be "<id>#<n>", see on_hello) */
	int64_t left_us;		/* monotonic, for eviction */
	int64_t heard_us;		/* monotonic, its last message */
	bool quiet;			/* logged as not responding */
	struct cast_student_info info;
};

struct ctl_client {
	int fd;				/* -1: free */
	uint8_t *in;			/* the request as received so far */
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	int64_t start_us;
	uint64_t req;			/* waiting for cast_teacher_ctl_answer */
	int64_t beat_us;		/* next keep-alive while waiting */
};

/* An answer given later, on its way to the network thread. */
struct later {
	struct later *next;
	uint64_t req;
	char *json;
};

struct command {
	struct command *next;
	uint32_t id;
	char student_id[64];		/* "" for all */
	char name[64];
	uint8_t *args;
	size_t len;
};

struct cast_teacher_ctl {
	int channel;
	struct cast_key key;
	int max_students;
	int beacon_interval_ms;
	cast_student_event_cb *on_event;
	cast_ctl_command_cb *on_ctl;
	void *arg;
	/* The EVENT being handed out (network thread only). */
	struct cast_event *event;

	SSL_CTX *ctx;
	int lfd, bfd, ufd, wfd;
	uint16_t port;
	struct sockaddr_in dest[MAX_DESTS];
	int ndest;
	uint32_t teacher_ip;
	uint64_t boot_id, counter;
	int64_t next_beacon_us;
	int64_t auth_log_us;
	bool auth_quiet;
	struct log_limit full_log, evict_log;
	char upath[sizeof(((struct sockaddr_un *)0)->sun_path)];

	struct client *clients;
	int nclients;
	struct entry *roster;
	struct ctl_client ctl[MAX_CTL_CLIENTS];
	uint64_t next_req;
	struct later *answers;		/* under lock */
	/* Students' connections not read (cast_teacher_ctl_hold), and when
	 * that last ended: silence is counted from then. */
	atomic_bool held;
	_Atomic int64_t unheld_us;

	pthread_t thread;
	bool started;
	atomic_bool stop;

	/* Shared with other threads, under lock. */
	pthread_mutex_t lock;
	struct cast_teacher_ctl_stats st;
	struct cast_media_params media;
	bool media_dirty;
	uint8_t *state;
	size_t state_len;
	struct command *cmds, **cmds_tail;
	uint32_t next_cmd_id;
};

void cast_teacher_ctl_cfg_init(struct cast_teacher_ctl_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_students = 256;
	cfg->beacon_interval_ms = 1000;
}

int cast_ctl_socket_path(int channel, char *buf, size_t size)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	int n;

	if (dir && *dir)
		n = snprintf(buf, size, "%s/libcast-teacher-%d.sock", dir,
			     channel);
	else
		n = snprintf(buf, size, "/run/libcast/libcast-teacher-%d.sock",
			     channel);
	return n < 0 || (size_t)n >= size ? CAST_ERROR(ENOSPC) : 0;
}

static void wake(struct cast_teacher_ctl *t)
{
	uint64_t one = 1;

	if (write(t->wfd, &one, sizeof(one)) < 0)
		(void)0; /* already signalled (counter full) is fine */
}

/* ---- setup ---- */

static int parse_dests(struct cast_teacher_ctl *t, const char *list)
{
	char group[16], item[64];
	int bport = cast_channel_port(t->channel, CAST_PORT_BEACON);
	const char *p = list;

	if (!list) {
		cast_channel_group(t->channel, group, sizeof(group));
		t->dest[0].sin_family = AF_INET;
		t->dest[0].sin_port = htons((uint16_t)bport);
		inet_pton(AF_INET, group, &t->dest[0].sin_addr);
		t->ndest = 1;
		return 0;
	}
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		struct sockaddr_in *d;
		char *colon;
		long port = bport;

		if (!n || n >= sizeof(item) || t->ndest >= MAX_DESTS)
			return CAST_ERROR(EINVAL);
		memcpy(item, p, n);
		item[n] = '\0';
		colon = strchr(item, ':');
		if (colon) {
			*colon = '\0';
			if (cast_parse_int(colon + 1, 1, 65535, &port))
				return CAST_ERROR(EINVAL);
		}
		d = &t->dest[t->ndest];
		d->sin_family = AF_INET;
		d->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, item, &d->sin_addr) != 1)
			return CAST_ERROR(EINVAL);
		t->ndest++;
		p += n;
		if (*p == ',')
			p++;
	}
	return t->ndest ? 0 : CAST_ERROR(EINVAL);
}

/* IPv4 of an interface given by name or address (host order), or 0. */
static uint32_t iface_ip(const char *iface)
{
	struct ifaddrs *ifa, *i;
	struct in_addr a;
	uint32_t ip = 0;

	if (inet_pton(AF_INET, iface, &a) == 1)
		return ntohl(a.s_addr);
	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, iface)) {
			ip = ntohl(((struct sockaddr_in *)i->ifa_addr)
					   ->sin_addr.s_addr);
			break;
		}
	}
	freeifaddrs(ifa);
	return ip;
}

/* The address students should connect to; 0 lets them use the source. */
static uint32_t pick_teacher_ip(struct cast_teacher_ctl *t,
				const struct cast_teacher_ctl_cfg *cfg)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	struct in_addr b;
	int fd;

	if (cfg->bind_addr && inet_pton(AF_INET, cfg->bind_addr, &b) == 1 &&
	    b.s_addr != htonl(INADDR_ANY))
		return ntohl(b.s_addr);
	if (cfg->iface && *cfg->iface)
		return iface_ip(cfg->iface);
	/* The routing table's source address towards the first destination. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&t->dest[0], sizeof(t->dest[0])) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen))
		a.sin_addr.s_addr = 0;
	close(fd);
	return ntohl(a.sin_addr.s_addr);
}

static int open_listen(struct cast_teacher_ctl *t,
		       const struct cast_teacher_ctl_cfg *cfg)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int one = 1, port, ret;

	if (cfg->control_port > 0)
		port = cfg->control_port;
	else if (cfg->control_port < 0)
		port = 0;
	else
		port = cast_channel_port(t->channel, CAST_PORT_CONTROL);
	if (port > 65535)
		return CAST_ERROR(EINVAL);
	if (cfg->bind_addr &&
	    inet_pton(AF_INET, cfg->bind_addr, &a.sin_addr) != 1)
		return CAST_ERROR(EINVAL);
	a.sin_port = htons((uint16_t)port);
	t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0);
	if (t->lfd < 0)
		return CAST_ERROR(errno);
	setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(t->lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(t->lfd, 128)) {
		ret = CAST_ERROR(errno);
		cast_log(CAST_LOG_ERROR, OBJ, "listen on TCP port %d: %s",
			 port, cast_strerror(ret));
		return ret;
	}
	if (getsockname(t->lfd, (struct sockaddr *)&a, &alen))
		return CAST_ERROR(errno);
	t->port = ntohs(a.sin_port);
	return 0;
}

static int open_beacon(struct cast_teacher_ctl *t, const char *iface)
{
	unsigned char ttl = 1, loop = 1;
	struct ip_mreqn m = {0};

	t->bfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->bfd < 0)
		return CAST_ERROR(errno);
	setsockopt(t->bfd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	setsockopt(t->bfd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
	if (iface && *iface) {
		if (inet_pton(AF_INET, iface, &m.imr_address) != 1) {
			m.imr_ifindex = (int)if_nametoindex(iface);
			if (!m.imr_ifindex)
				return CAST_ERROR(ENODEV);
		}
		if (setsockopt(t->bfd, IPPROTO_IP, IP_MULTICAST_IF, &m,
			       sizeof(m)))
			return CAST_ERROR(errno);
	}
	return 0;
}

static int open_unix(struct cast_teacher_ctl *t, const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	bool dflt = !path;
	int fd, ret;

	t->ufd = -1;
	if (path && !*path)
		return 0;
	if (dflt) {
		if (cast_ctl_socket_path(t->channel, t->upath, sizeof(t->upath)))
			return CAST_ERROR(ENAMETOOLONG);
		if (!getenv("XDG_RUNTIME_DIR") || !*getenv("XDG_RUNTIME_DIR"))
			mkdir("/run/libcast", 0700);
	} else {
		if (strlen(path) >= sizeof(t->upath))
			return CAST_ERROR(ENAMETOOLONG);
		snprintf(t->upath, sizeof(t->upath), "%s", path);
	}
	memcpy(a.sun_path, t->upath, sizeof(a.sun_path));

	/* A socket file nobody answers on is stale; one that answers is
	 * another teacher's. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CAST_ERROR(errno);
	if (!connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		cast_log(CAST_LOG_ERROR, OBJ,
			 "%s: another teacher is running on channel %d",
			 t->upath, t->channel);
		t->upath[0] = '\0';
		return CAST_ERROR(EADDRINUSE);
	}
	if (errno == ECONNREFUSED)
		unlink(t->upath);
	close(fd);

	t->ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0);
	if (t->ufd < 0)
		return CAST_ERROR(errno);
	/* The directory is private (XDG_RUNTIME_DIR, /run/libcast 0700), so
	 * the window before chmod exposes nothing. */
	if (bind(t->ufd, (struct sockaddr *)&a, sizeof(a)) ||
	    chmod(t->upath, 0600) || listen(t->ufd, 8)) {
		ret = CAST_ERROR(errno);
		cast_log(dflt ? CAST_LOG_WARN : CAST_LOG_ERROR, OBJ,
			 "control socket %s: %s%s", t->upath,
			 cast_strerror(ret),
			 dflt ? " (continuing without it)" : "");
		close(t->ufd);
		t->ufd = -1;
		t->upath[0] = '\0';
		return dflt ? 0 : ret;
	}
	return 0;
}

/* ---- roster and clients ---- */

static void emit(struct cast_teacher_ctl *t, struct entry *e,
		 enum cast_student_event ev)
{
	if (t->on_event)
		t->on_event(&e->info, ev, t->arg);
}

/* Flags every online entry that shares its presented id with another
 * online machine, naming the first other one (caller holds t->lock). */
static void mark_conflicts(struct cast_teacher_ctl *t, const char *presented)
{
	int first = -1, second = -1;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < t->max_students; i++) {
			struct entry *e = &t->roster[i];
			struct cast_student_info *in = &e->info;
			int other;

			if (!e->used || e->client < 0 ||
			    strcmp(e->presented, presented))
				continue;
			if (pass == 0) {
				if (first < 0)
					first = i;
				else if (second < 0)
					second = i;
				continue;
			}
			other = i == first ? second : first;
			in->conflict = other >= 0;
			snprintf(in->conflict_with, sizeof(in->conflict_with),
				 "%s",
				 other >= 0 ? t->roster[other].info.id : "");
			snprintf(in->conflict_ip, sizeof(in->conflict_ip), "%s",
				 other >= 0 ? t->roster[other].info.ip : "");
		}
	}
}

static void drop(struct cast_teacher_ctl *t, int ci, const char *why)
{
	struct client *c = &t->clients[ci];
	struct entry *e = NULL;

	if (c->state == C_FREE)
		return;
	if (c->entry >= 0 && t->roster[c->entry].client == ci)
		e = &t->roster[c->entry];
	cast_log(e ? CAST_LOG_INFO : CAST_LOG_DEBUG, OBJ, "%s:%u%s%s: %s",
		 c->ip, c->port, e ? " " : "", e ? e->info.id : "", why);
	cast__conn_close(&c->conn);
	c->state = C_FREE;
	if (e) {
		pthread_mutex_lock(&t->lock);
		e->client = -1;
		e->left_us = cast_mono_us();
		e->info.online = false;
		e->info.responding = false;
		e->info.silent_ms = -1;
		mark_conflicts(t, e->presented);
		t->st.leaves++;
		t->st.students_online--;
		pthread_mutex_unlock(&t->lock);
		emit(t, e, CAST_STUDENT_LEFT);
	}
}

/* True when the warning may be logged now; *quiet is then how many were
 * not logged since the previous one. */
static bool log_allowed(struct log_limit *l, int64_t now, uint64_t *quiet)
{
	if (l->last_us && now - l->last_us < LOG_EVERY_US) {
		l->quiet++;
		return false;
	}
	*quiet = l->quiet;
	l->quiet = 0;
	l->last_us = now;
	return true;
}

static bool pending(const struct client *c)
{
	return c->state == C_HANDSHAKE || c->state == C_HELLO;
}

/* Every slot is taken: the unfinished handshake to close for a newcomer
 * from `addr`, or -1 when every slot holds a student. The newcomer's own
 * address pays first once it holds PENDING_PER_ADDR of them; otherwise the
 * address holding the most, with its oldest. So a host that floods the
 * control port only ever displaces its own connections, and an honest
 * student always gets a slot at once. */
static int pending_victim(const struct cast_teacher_ctl *t, uint32_t addr,
			  int *count)
{
	const struct client *cl = t->clients;
	int own = -1, own_n = 0, best = -1, best_n = 0;

	for (int i = 0; i < t->nclients; i++) {
		if (!pending(&cl[i]) || cl[i].addr != addr)
			continue;
		own_n++;
		if (own < 0 || cl[i].start_us < cl[own].start_us)
			own = i;
	}
	if (own_n >= PENDING_PER_ADDR) {
		*count = own_n;
		return own;
	}
	/* Quadratic, but only for a newcomer that is not the flood's source,
	 * over a few hundred slots. */
	for (int i = 0; i < t->nclients; i++) {
		int n = 0;

		if (!pending(&cl[i]))
			continue;
		for (int j = 0; j < t->nclients; j++)
			n += pending(&cl[j]) && cl[j].addr == cl[i].addr;
		if (n > best_n ||
		    (n == best_n && cl[i].start_us < cl[best].start_us)) {
			best = i;
			best_n = n;
		}
	}
	*count = best_n;
	return best;
}

static void do_accept(struct cast_teacher_ctl *t)
{
	for (;;) {
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);
		int fd, ci, one = 1;
		struct client *c;

		fd = accept4(t->lfd, (struct sockaddr *)&a, &alen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		for (ci = 0; ci < t->nclients; ci++)
			if (t->clients[ci].state == C_FREE)
				break;
		if (ci == t->nclients) {
			int64_t now = cast_mono_us();
			uint64_t quiet;
			int n = 0;

			ci = pending_victim(t, a.sin_addr.s_addr, &n);
			if (ci >= 0 && log_allowed(&t->evict_log, now, &quiet))
				cast_log(CAST_LOG_WARN, OBJ,
					 "%d connections: closing the oldest "
					 "unfinished handshake of %s (%d "
					 "there); %" PRIu64 " more since the "
					 "last such line",
					 t->nclients, t->clients[ci].ip, n,
					 quiet);
			if (ci >= 0) {
				pthread_mutex_lock(&t->lock);
				t->st.handshakes_evicted++;
				pthread_mutex_unlock(&t->lock);
				drop(t, ci, "evicted (connection table full)");
			}
		}
		pthread_mutex_lock(&t->lock);
		t->st.connections++;
		if (ci < 0)
			t->st.rejected_full++;
		pthread_mutex_unlock(&t->lock);
		if (ci < 0) {
			uint64_t quiet;

			if (log_allowed(&t->full_log, cast_mono_us(), &quiet))
				cast_log(CAST_LOG_WARN, OBJ,
					 "%d students connected: refusing "
					 "connections (%" PRIu64 " more since "
					 "the last such line)",
					 t->nclients, quiet);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = &t->clients[ci];
		if (cast__conn_init(&c->conn, t->ctx, fd, true, STUDENT_RX_MAX,
				    STUDENT_TX_MAX))
			continue;
		c->conn.read_budget = STUDENT_READ_BUDGET;
		c->state = C_HANDSHAKE;
		c->start_us = c->last_rx_us = cast_mono_us();
		c->entry = -1;
		c->proved = false; /* a proof is for one session only */
		c->heard = false;
		c->addr = a.sin_addr.s_addr;
		inet_ntop(AF_INET, &a.sin_addr, c->ip, sizeof(c->ip));
		c->port = ntohs(a.sin_port);
	}
}

static int send_welcome(struct cast_teacher_ctl *t, struct client *c)
{
	struct cast_msg m;
	int ret;

	/* The teacher's proof on this session: students obey no other. */
	if (!c->proved) {
		ret = cast__teacher_proof(c->conn.ssl, &t->key, t->channel,
					  c->proof_pk, c->proof_sig);
		if (ret)
			return ret;
		c->proved = true;
	}
	cast_msg_init(&m, CAST_MSG_WELCOME);
	memcpy(m.teacher_pk, c->proof_pk, 32);
	memcpy(m.teacher_sig, c->proof_sig, 64);
	pthread_mutex_lock(&t->lock);
	m.media = t->media;
	m.class_state = t->state;
	m.class_state_len = t->state_len;
	ret = cast__conn_send(&c->conn, &m);
	pthread_mutex_unlock(&t->lock);
	OPENSSL_cleanse(&m.media, sizeof(m.media));
	return ret;
}

/* Finds the roster slot for a student id: its own, a free one, or the
 * offline one that left longest ago. -1 when every slot is online. */
static int roster_slot(struct cast_teacher_ctl *t, const char *id)
{
	int i, free_i = -1, old_i = -1;

	for (i = 0; i < t->max_students; i++) {
		struct entry *e = &t->roster[i];

		if (e->used && !strcmp(e->info.id, id))
			return i;
		if (!e->used && free_i < 0)
			free_i = i;
		if (e->used && e->client < 0 &&
		    (old_i < 0 || e->left_us < t->roster[old_i].left_us))
			old_i = i;
	}
	return free_i >= 0 ? free_i : old_i;
}

/* An online entry named `id` that is another machine than `who`. */
static bool taken_by_other(struct cast_teacher_ctl *t, const char *id,
			   const struct cast_student_info *who)
{
	for (int i = 0; i < t->max_students; i++) {
		struct entry *e = &t->roster[i];

		if (e->used && e->client >= 0 && !strcmp(e->info.id, id) &&
		    !cast_student_same_machine(&e->info.ident, &who->ident))
			return true;
	}
	return false;
}

/*
 * Where a HELLO presenting `id` from machine `who` goes, and under which
 * roster id (`name`). The entry this machine had under this id (online:
 * a reconnect, the caller drops the old connection) keeps its place and
 * name, so two clones that reconnect never swap or displace each other.
 * Otherwise the id itself, or "<id>#2", "#3"… while another machine holds
 * it online. Returns the slot, or -1 when every slot is online.
 */
static int seat_slot(struct cast_teacher_ctl *t, const char *id,
		     const struct cast_student_info *who, char *name,
		     size_t size)
{
	int i, n = 1;

	for (i = 0; i < t->max_students; i++) {
		struct entry *e = &t->roster[i];

		if (e->used && !strcmp(e->presented, id) &&
		    cast_student_same_machine(&e->info.ident, &who->ident) &&
		    !taken_by_other(t, e->info.id, who)) {
			snprintf(name, size, "%s", e->info.id);
			return i;
		}
	}
	snprintf(name, size, "%s", id);
	while (taken_by_other(t, name, who) && n < t->max_students + 1) {
		char sfx[16];
		int k = snprintf(sfx, sizeof(sfx), "#%d", ++n);

		snprintf(name, size, "%.*s%s", (int)(size - 1 - (size_t)k), id,
			 sfx);
	}
	return roster_slot(t, name);
}

static int on_hello(struct cast_teacher_ctl *t, int ci,
		    const struct cast_msg *m)
{
	struct client *c = &t->clients[ci];
	struct cast_student_info *in, who = {0};
	char id[64], name[64];
	struct entry *e;
	int slot, ret;

	/* The id it presents, else its seat id from what HELLO says of the
	 * machine (MAC, else hostname): never its address, which a lab
	 * hands out anew and clones may swap. */
	if (cast_identity_presented(&m->hello, id, sizeof(id)) < 0) {
		cast_log(CAST_LOG_WARN, OBJ,
			 "%s:%u: HELLO without an id, a MAC or a hostname",
			 c->ip, c->port);
		return CAST_EMALFORMED;
	}
	who.ident = m->hello;
	memcpy(who.ip, c->ip, sizeof(who.ip));
	slot = seat_slot(t, id, &who, name, sizeof(name));
	if (slot < 0) {
		pthread_mutex_lock(&t->lock);
		t->st.rejected_full++;
		pthread_mutex_unlock(&t->lock);
		cast_log(CAST_LOG_WARN, OBJ, "class full (%d), refusing %s",
			 t->max_students, id);
		return CAST_ERROR(EUSERS);
	}
	e = &t->roster[slot];
	/* This seat again (it reconnected before we noticed the old
	 * connection die): the new connection wins. Another machine with
	 * this id never gets here: seat_slot gave it a name of its own. */
	if (e->used && e->client >= 0 && e->client != ci)
		drop(t, e->client, "replaced by a new connection");

	ret = send_welcome(t, c);
	if (ret)
		return ret;
	pthread_mutex_lock(&t->lock);
	in = &e->info;
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->client = ci;
	snprintf(e->presented, sizeof(e->presented), "%s", id);
	in->ident = who.ident;
	snprintf(in->id, sizeof(in->id), "%s", name);
	snprintf(in->presented_id, sizeof(in->presented_id), "%s", id);
	in->port = c->port;
	in->connected_us = in->last_seen_us = cast_now_us();
	e->heard_us = cast_mono_us();
	in->online = true;
	in->responding = true;
	in->rtt_ms = -1;
	in->clock_rtt_ms = -1;
	mark_conflicts(t, id);
	t->st.joins++;
	t->st.students_online++;
	pthread_mutex_unlock(&t->lock);
	c->entry = slot;
	c->state = C_READY;
	/* Not with the WELCOME: the student answers only after its WELCOME
	 * work. Its first STATS says that is over (see CAST__PING_BURST). */
	cast_clock_filter_init(&c->clock);
	c->burst = CAST__PING_BURST;
	c->next_ping_us = cast_mono_us() + CAST__PING_FIRST_MS * 1000LL;
	if (in->conflict)
		cast_log(CAST_LOG_WARN, OBJ,
			 "%s:%u joined as '%s' (%s): another machine (%s) "
			 "presents the id '%s' too; both kept",
			 c->ip, c->port, in->id, in->name, in->conflict_ip, id);
	else
		cast_log(CAST_LOG_INFO, OBJ, "%s:%u joined as '%s' (%s)",
			 c->ip, c->port, in->id, in->name);
	emit(t, e, CAST_STUDENT_JOINED);
	return 0;
}

struct rx_ctx {
	struct cast_teacher_ctl *t;
	int ci;
};

/* One clock sample; the roster shows the filter's estimate. */
static void on_pong(struct cast_teacher_ctl *t, struct client *c,
		    struct entry *e, const struct cast_msg *m)
{
	int64_t now = cast_now_us(), off = 0, rtt = -1;
	int ret;

	ret = cast_clock_filter_add(&c->clock, (int64_t)m->echo_time_us,
				    (int64_t)m->peer_time_us, now);
	/* DEBUG: a student decides how often this happens. */
	if (ret < 0)
		cast_log(CAST_LOG_DEBUG, OBJ,
			 "%s: clock sample refused (%s); offset measured "
			 "again",
			 e->info.id, cast_strerror(ret));
	else if (ret > 0)
		cast_log(CAST_LOG_DEBUG, OBJ,
			 "%s: a clock was set; offset measured again",
			 e->info.id);
	cast_clock_filter_get(&c->clock, &off, &rtt);
	cast_log(CAST_LOG_DEBUG, OBJ,
		 "%s: ping round trip %.3f ms; offset %.3f ms (round trip "
		 "%.3f ms, best of %u)",
		 e->info.id, (double)c->clock.last_rtt_us / 1000.0,
		 (double)off / 1000.0, (double)rtt / 1000.0, c->clock.n);
	pthread_mutex_lock(&t->lock);
	e->info.rtt_ms = c->clock.last_rtt_us < 0
				 ? -1
				 : (double)c->clock.last_rtt_us / 1000.0;
	e->info.clock_offset_ms = (double)off / 1000.0;
	e->info.clock_rtt_ms = (double)rtt / 1000.0;
	e->info.clock_samples = (int)c->clock.n;
	pthread_mutex_unlock(&t->lock);
}

/*
 * An EVENT, decoded and checked once here (cast_event_decode): the class
 * gets it typed. One that does not decode is counted and handed on with
 * its error only (nothing of it is used); one of a name this version does
 * not know (a newer student's) is handed on untyped, for parts of the
 * teacher that know it.
 */
static void on_event(struct cast_teacher_ctl *t, struct entry *e,
		     const struct cast_msg *m)
{
	int ret = cast_event_decode(m->cmd_name, m->cmd_args, m->cmd_args_len,
				    t->event);

	if (ret && ret != CAST_ERROR(ENOSYS)) {
		pthread_mutex_lock(&t->lock);
		t->st.events_refused++;
		pthread_mutex_unlock(&t->lock);
		cast_log(CAST_LOG_DEBUG, OBJ, "%s: event '%s' refused: %s",
			 e->info.id, m->cmd_name, cast_strerror(ret));
	}
	pthread_mutex_lock(&t->lock);
	e->info.event = ret ? NULL : t->event;
	e->info.event_error = ret == CAST_ERROR(ENOSYS) ? 0 : ret;
	e->info.event_name = m->cmd_name;
	e->info.event_args = m->cmd_args;
	e->info.event_args_len = m->cmd_args_len;
	pthread_mutex_unlock(&t->lock);
	emit(t, e, CAST_STUDENT_EVENT);
	pthread_mutex_lock(&t->lock);
	e->info.event = NULL;
	e->info.event_error = 0;
	e->info.event_name = NULL;
	e->info.event_args = NULL;
	e->info.event_args_len = 0;
	pthread_mutex_unlock(&t->lock);
}

static int on_msg(const uint8_t *buf, size_t len, void *arg)
{
	struct rx_ctx *x = arg;
	struct cast_teacher_ctl *t = x->t;
	struct client *c = &t->clients[x->ci];
	struct entry *e = c->entry >= 0 ? &t->roster[c->entry] : NULL;
	struct cast_msg m, r;
	int ret;

	ret = cast_msg_decode(buf, len, &m);
	if (ret == CAST_ERROR(ENOMSG))
		return 0; /* a newer student's message type */
	if (ret)
		return ret;
	c->last_rx_us = cast_mono_us();
	if (c->state == C_HELLO) {
		if (m.type != CAST_MSG_HELLO)
			return CAST_EMALFORMED;
		return on_hello(t, x->ci, &m);
	}
	pthread_mutex_lock(&t->lock);
	e->info.last_seen_us = cast_now_us();
	e->heard_us = c->last_rx_us;
	pthread_mutex_unlock(&t->lock);
	switch (m.type) {
	case CAST_MSG_HEARTBEAT:
		return 0; /* heard: that is all it says */
	case CAST_MSG_PING:
		cast_msg_init(&r, CAST_MSG_PONG);
		r.echo_time_us = m.time_us;
		r.peer_time_us = (uint64_t)cast_now_us();
		return cast__conn_send(&c->conn, &r);
	case CAST_MSG_PONG:
		on_pong(t, c, e, &m);
		return 0;
	case CAST_MSG_STATS:
		if (c->burst == CAST__PING_BURST)
			c->next_ping_us = c->last_rx_us;
		pthread_mutex_lock(&t->lock);
		memcpy(e->info.stats_json, m.stats_json, m.stats_json_len);
		e->info.stats_json[m.stats_json_len] = '\0';
		pthread_mutex_unlock(&t->lock);
		emit(t, e, CAST_STUDENT_STATS);
		return 0;
	case CAST_MSG_UNICAST_REQUEST:
		pthread_mutex_lock(&t->lock);
		e->info.unicast_port = m.udp_port;
		pthread_mutex_unlock(&t->lock);
		emit(t, e, CAST_STUDENT_UNICAST_REQUEST);
		return 0;
	case CAST_MSG_REPLY:
		pthread_mutex_lock(&t->lock);
		e->info.last_cmd_id = m.cmd_id;
		e->info.last_cmd_status = m.status;
		e->info.reply_body = m.body;
		e->info.reply_body_len = m.body_len;
		pthread_mutex_unlock(&t->lock);
		emit(t, e, CAST_STUDENT_REPLY);
		pthread_mutex_lock(&t->lock);
		e->info.reply_body = NULL;
		e->info.reply_body_len = 0;
		pthread_mutex_unlock(&t->lock);
		return 0;
	case CAST_MSG_EVENT:
		on_event(t, e, &m);
		return 0;
	default:
		/* HELLO twice, or a teacher's message from a student. */
		return CAST_EMALFORMED;
	}
}

static void service_client(struct cast_teacher_ctl *t, int ci, short rev)
{
	struct client *c = &t->clients[ci];
	struct rx_ctx x = {t, ci};
	int ret;

	if (rev & POLLNVAL) {
		drop(t, ci, "bad socket");
		return;
	}
	if (c->state == C_HANDSHAKE) {
		if (rev & POLLIN)
			c->heard = true;
		ret = cast__conn_handshake(&c->conn);
		if (ret == CAST_ERROR(EAGAIN))
			return;
		if (ret == CAST_ERROR(EACCES)) {
			int64_t now = cast_mono_us();

			pthread_mutex_lock(&t->lock);
			t->st.auth_failures++;
			pthread_mutex_unlock(&t->lock);
			/* One line per 10 s: a scanner or a misconfigured
			 * lab must not flood the log. */
			if (!t->auth_log_us || now - t->auth_log_us > 10000000) {
				cast_log(CAST_LOG_WARN, OBJ,
					 "%s:%u failed TLS authentication "
					 "(wrong class key?)%s",
					 c->ip, c->port,
					 t->auth_quiet ? "; more failures were "
							 "not logged"
						       : "");
				t->auth_log_us = now;
				t->auth_quiet = false;
			} else {
				t->auth_quiet = true;
			}
			drop(t, ci, "authentication failed");
			return;
		}
		if (ret) {
			drop(t, ci, cast_strerror(ret));
			return;
		}
		c->state = C_HELLO;
	}
	/* Held: what the student sends waits in its TCP window. */
	ret = c->state == C_READY && atomic_load(&t->held)
		      ? 0
		      : cast__conn_read(&c->conn, on_msg, &x);
	if (c->state == C_FREE)
		return;
	if (ret == CAST_EMALFORMED || ret == CAST_ERROR(EPROTONOSUPPORT)) {
		pthread_mutex_lock(&t->lock);
		t->st.protocol_errors++;
		pthread_mutex_unlock(&t->lock);
		drop(t, ci, "protocol error");
		return;
	}
	if (ret) {
		drop(t, ci, ret == CAST_ERROR(EPIPE) ? "closed"
						      : cast_strerror(ret));
		return;
	}
	ret = cast__conn_flush(&c->conn);
	if (ret)
		drop(t, ci, cast_strerror(ret));
}

/*
 * Sets e's responding and silent_ms as of `now` (monotonic; caller holds
 * t->lock). While the students' connections are held (not read) their
 * silence is ours: it counts from when the hold ended.
 */
static void liveness(struct cast_teacher_ctl *t, struct entry *e, int64_t now)
{
	struct cast_student_info *in = &e->info;
	int64_t quiet = now - e->heard_us;
	int64_t unheld = now - atomic_load(&t->unheld_us);

	if (!in->online) {
		in->responding = false;
		in->silent_ms = -1;
		return;
	}
	in->silent_ms = (double)quiet / 1000.0;
	if (atomic_load(&t->held))
		quiet = 0;
	else if (unheld < quiet)
		quiet = unheld;
	in->responding = quiet <= CAST_RESPONDING_MS * 1000LL;
}

/* Logs a student going quiet and coming back (every pass, <= 200 ms). */
static void note_liveness(struct cast_teacher_ctl *t, struct entry *e,
			  int64_t now)
{
	bool was, is;
	double silent;

	pthread_mutex_lock(&t->lock);
	was = !e->quiet;
	liveness(t, e, now);
	is = e->info.responding;
	silent = e->info.silent_ms;
	e->quiet = !is;
	pthread_mutex_unlock(&t->lock);
	if (was && !is)
		cast_log(CAST_LOG_INFO, OBJ, "%s not responding (silent %.1f s)",
			 e->info.id, silent / 1000.0);
	else if (is && !was)
		cast_log(CAST_LOG_INFO, OBJ, "%s responds again", e->info.id);
}

/* Timeouts, pings, and what other threads asked for. Returns when the
 * next ping is due. */
static int64_t housekeeping(struct cast_teacher_ctl *t, int64_t now)
{
	struct command *cmds;
	bool rekey;
	int64_t next_ping = INT64_MAX;

	pthread_mutex_lock(&t->lock);
	cmds = t->cmds;
	t->cmds = NULL;
	t->cmds_tail = &t->cmds;
	rekey = t->media_dirty;
	t->media_dirty = false;
	pthread_mutex_unlock(&t->lock);

	for (int ci = 0; ci < t->nclients; ci++) {
		struct client *c = &t->clients[ci];
		int ret = 0;

		if (c->state == C_FREE)
			continue;
		if ((c->state != C_READY &&
		     now - c->start_us > CAST__HANDSHAKE_MS * 1000LL) ||
		    (c->state == C_HANDSHAKE && !c->heard &&
		     now - c->start_us > FIRST_BYTE_MS * 1000LL)) {
			pthread_mutex_lock(&t->lock);
			t->st.handshake_timeouts++;
			pthread_mutex_unlock(&t->lock);
			drop(t, ci, c->heard || c->state != C_HANDSHAKE
					    ? "no handshake within 5 s"
					    : "silent for 1 s after connecting");
			continue;
		}
		if (c->state != C_READY)
			continue;
		note_liveness(t, &t->roster[c->entry], now);
		if (!atomic_load(&t->held) &&
		    now - c->last_rx_us > CAST__SILENCE_MS * 1000LL &&
		    now - atomic_load(&t->unheld_us) >
			    CAST__SILENCE_MS * 1000LL) {
			pthread_mutex_lock(&t->lock);
			t->st.timeouts++;
			pthread_mutex_unlock(&t->lock);
			drop(t, ci, "silent for 15 s");
			continue;
		}
		if (now >= c->next_ping_us) {
			struct cast_msg m;

			cast_msg_init(&m, CAST_MSG_PING);
			m.time_us = (uint64_t)cast_now_us();
			ret = cast__conn_send(&c->conn, &m);
			if (c->burst > 0)
				c->burst--;
			c->next_ping_us = now + (c->burst ? CAST__PING_BURST_MS
							  : CAST__PING_MS) *
							1000LL;
		}
		if (c->next_ping_us < next_ping)
			next_ping = c->next_ping_us;
		if (!ret && rekey)
			ret = send_welcome(t, c);
		for (struct command *k = cmds; k && !ret; k = k->next) {
			struct cast_msg m;

			if (k->student_id[0] &&
			    strcmp(k->student_id, t->roster[c->entry].info.id))
				continue;
			cast_msg_init(&m, CAST_MSG_COMMAND);
			m.cmd_id = k->id;
			memcpy(m.cmd_name, k->name, sizeof(m.cmd_name));
			m.cmd_args = k->args;
			m.cmd_args_len = k->len;
			ret = cast__conn_send(&c->conn, &m);
		}
		if (!ret)
			ret = cast__conn_flush(&c->conn);
		if (ret)
			drop(t, ci, ret == CAST_ERROR(ENOBUFS)
					    ? "not reading (send queue full)"
					    : cast_strerror(ret));
	}
	while (cmds) {
		struct command *k = cmds;

		cmds = k->next;
		free(k->args);
		free(k);
	}
	return next_ping;
}

static void send_beacon(struct cast_teacher_ctl *t)
{
	struct cast_beacon b = {
		.version = CAST_BEACON_VERSION,
		.channel = (uint16_t)t->channel,
		.control_port = t->port,
		.teacher_ip = t->teacher_ip,
		.boot_id = t->boot_id,
		.counter = ++t->counter,
		.time_us = (uint64_t)cast_now_us(),
	};
	uint8_t buf[CAST_BEACON_SIZE];
	uint64_t sent = 0, errs = 0;

	if (cast_beacon_write(buf, sizeof(buf), &b, &t->key) < 0) {
		errs = 1;
	} else {
		for (int i = 0; i < t->ndest; i++) {
			if (sendto(t->bfd, buf, sizeof(buf), MSG_NOSIGNAL,
				   (struct sockaddr *)&t->dest[i],
				   sizeof(t->dest[i])) == sizeof(buf))
				sent++;
			else
				errs++;
		}
	}
	pthread_mutex_lock(&t->lock);
	t->st.beacons_sent += sent;
	t->st.beacon_errors += errs;
	pthread_mutex_unlock(&t->lock);
}

/* ---- unix control socket ---- */

static void set_out(struct ctl_client *k, char *json);

static void json_student(struct cast_json *j, const struct cast_student_info *i,
			 bool with_stats)
{
	char mac[18];

	cast_mac_format(i->mac, mac, sizeof(mac));
	cast_json_obj(j, NULL);
	cast_json_str(j, "id", i->id);
	cast_json_str(j, "name", i->name);
	cast_json_str(j, "class", i->class_name);
	cast_json_str(j, "host", i->host);
	cast_json_str(j, "machine_id", i->machine_id);
	cast_json_str(j, "mac", mac);
	cast_json_str(j, "ip", i->ip);
	cast_json_int(j, "port", i->port);
	cast_json_bool(j, "online", i->online);
	cast_json_bool(j, "responding", i->responding);
	if (i->online)
		cast_json_num(j, "silent_s", i->silent_ms / 1000.0);
	cast_json_int(j, "connected_us", i->connected_us);
	cast_json_int(j, "last_seen_us", i->last_seen_us);
	cast_json_num(j, "rtt_ms", i->rtt_ms);
	cast_json_num(j, "clock_offset_ms", i->clock_offset_ms);
	cast_json_num(j, "clock_rtt_ms", i->clock_rtt_ms);
	cast_json_int(j, "clock_samples", i->clock_samples);
	cast_json_int(j, "unicast_port", i->unicast_port);
	cast_json_bool(j, "conflict", i->conflict);
	if (i->conflict) {
		cast_json_str(j, "conflict_with", i->conflict_with);
		cast_json_str(j, "conflict_ip", i->conflict_ip);
	}
	/* Validated as a JSON object when it arrived. */
	if (with_stats)
		cast_json_raw(j, "stats",
			      i->stats_json[0] ? i->stats_json : "null");
	cast_json_end(j);
}

static void ctl_answer(struct cast_teacher_ctl *t, struct ctl_client *k,
		       int argc, char **argv)
{
	bool stats = argc == 1 && !strcmp(argv[0], "stats");
	struct cast_json j;
	char *reply;

	if (!stats && (argc != 1 || strcmp(argv[0], "students"))) {
		uint64_t req = ++t->next_req;

		reply = t->on_ctl ? t->on_ctl(argc, argv, req, t->arg) : NULL;
		if (reply == CAST_CTL_LATER) {
			/* Answered by cast_teacher_ctl_answer(); the client
			 * hears a '\n' (JSON white space) every second. */
			k->req = req;
			k->beat_us = cast_mono_us() + CTL_BEAT_MS * 1000LL;
			return;
		}
		set_out(k, reply ? reply
				 : strdup("{\"ok\":false,\"error\":"
					  "\"unknown command\"}\n"));
		return;
	}
	cast_json_begin(&j);
	pthread_mutex_lock(&t->lock);
	cast_json_int(&j, "channel", t->channel);
	cast_json_int(&j, "control_port", t->port);
	if (stats) {
		cast_json_int(&j, "students_online", t->st.students_online);
		cast_json_int(&j, "auth_failures", (int64_t)t->st.auth_failures);
		cast_json_int(&j, "beacons_sent", (int64_t)t->st.beacons_sent);
		cast_json_int(&j, "beacon_errors", (int64_t)t->st.beacon_errors);
		cast_json_int(&j, "connections", (int64_t)t->st.connections);
		cast_json_int(&j, "handshake_timeouts",
			      (int64_t)t->st.handshake_timeouts);
		cast_json_int(&j, "rejected_full", (int64_t)t->st.rejected_full);
		cast_json_int(&j, "handshakes_evicted",
			      (int64_t)t->st.handshakes_evicted);
		cast_json_int(&j, "protocol_errors",
			      (int64_t)t->st.protocol_errors);
		cast_json_int(&j, "events_refused",
			      (int64_t)t->st.events_refused);
		cast_json_int(&j, "timeouts", (int64_t)t->st.timeouts);
		cast_json_int(&j, "joins", (int64_t)t->st.joins);
		cast_json_int(&j, "leaves", (int64_t)t->st.leaves);
	}
	cast_json_array(&j, "students");
	for (int i = 0; i < t->max_students; i++)
		if (t->roster[i].used) {
			liveness(t, &t->roster[i], cast_mono_us());
			json_student(&j, &t->roster[i].info, stats);
		}
	pthread_mutex_unlock(&t->lock);
	cast_json_array_end(&j);
	cast_json_end(&j);
	set_out(k, cast_json_take(&j));
}

static void ctl_close(struct ctl_client *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->out);
	free(k->in);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

static void ctl_service(struct cast_teacher_ctl *t, struct ctl_client *k,
			short rev)
{
	ssize_t n;

	if (rev & (POLLERR | POLLNVAL)) {
		ctl_close(k);
		return;
	}
	if (k->req && !k->out) {
		uint8_t drain[256];

		/* Nothing more is read from a client waiting for its answer;
		 * one that hangs up gives it up. */
		n = read(k->fd, drain, sizeof(drain));
		if (n == 0 || (n < 0 && errno != EAGAIN))
			ctl_close(k);
		return;
	}
	if (!k->out && (rev & (POLLIN | POLLHUP))) {
		char *argv[CAST_CTL_ARGC_MAX];
		int argc = 0, ret;

		if (k->in_cap - k->in_len < 4096) {
			size_t cap = k->in_cap ? k->in_cap * 2 : 8192;
			uint8_t *p = realloc(k->in, cap);

			if (!p) {
				ctl_close(k);
				return;
			}
			k->in = p;
			k->in_cap = cap;
		}
		n = read(k->fd, k->in + k->in_len, k->in_cap - k->in_len);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* Closed before the whole request: it never runs. */
			ctl_close(k);
			return;
		}
		k->in_len += (size_t)n;
		ret = cast_ctl_frame_parse(k->in, k->in_len, &argc, argv,
					   CAST_CTL_ARGC_MAX);
		if (ret < 0) {
			k->out = cast__ctl_refusal(ret);
			k->out_len = k->out ? strlen(k->out) : 0;
			k->out_off = 0;
			if (!k->out) {
				ctl_close(k);
				return;
			}
		} else if (ret > 0) {
			ctl_answer(t, k, argc, argv);
		}
	}
	while (k->out && k->out_off < k->out_len) {
		n = send(k->fd, k->out + k->out_off, k->out_len - k->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			ctl_close(k);
			return;
		}
		k->out_off += (size_t)n;
	}
	if (k->out)
		ctl_close(k);
}

static void set_out(struct ctl_client *k, char *json)
{
	if (!json) {
		ctl_close(k);
		return;
	}
	k->out = json;
	k->out_len = strlen(json);
	k->out_off = 0;
}

/* Hands the answers given later to the clients still waiting for them. */
static void ctl_later(struct cast_teacher_ctl *t)
{
	struct later *list, *next;

	pthread_mutex_lock(&t->lock);
	list = t->answers;
	t->answers = NULL;
	pthread_mutex_unlock(&t->lock);
	for (; list; list = next) {
		next = list->next;
		for (int i = 0; i < MAX_CTL_CLIENTS; i++) {
			struct ctl_client *k = &t->ctl[i];

			if (k->fd >= 0 && k->req == list->req && !k->out) {
				set_out(k, list->json);
				list->json = NULL;
				break;
			}
		}
		free(list->json); /* its client gave up */
		free(list);
	}
}

void cast_teacher_ctl_hold(struct cast_teacher_ctl *t, bool hold)
{
	if (!t || atomic_exchange(&t->held, hold) == hold)
		return;
	if (!hold)
		atomic_store(&t->unheld_us, cast_mono_us());
	wake(t);
}

int cast_teacher_ctl_answer(struct cast_teacher_ctl *t, uint64_t req,
			    const char *json)
{
	struct later *l;
	size_t n;

	if (!t || !req || !json)
		return CAST_ERROR(EINVAL);
	n = strlen(json);
	l = calloc(1, sizeof(*l));
	if (l)
		l->json = malloc(n + 2);
	if (!l || !l->json) {
		free(l);
		return CAST_ERROR(ENOMEM);
	}
	memcpy(l->json, json, n);
	if (!n || json[n - 1] != '\n')
		l->json[n++] = '\n';
	l->json[n] = '\0';
	l->req = req;
	pthread_mutex_lock(&t->lock);
	l->next = t->answers;
	t->answers = l;
	pthread_mutex_unlock(&t->lock);
	wake(t);
	return 0;
}

static void ctl_accept(struct cast_teacher_ctl *t)
{
	int fd;

	while ((fd = accept4(t->ufd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int i;

		for (i = 0; i < MAX_CTL_CLIENTS; i++)
			if (t->ctl[i].fd < 0)
				break;
		if (i == MAX_CTL_CLIENTS) {
			close(fd);
			continue;
		}
		t->ctl[i].fd = fd;
		t->ctl[i].start_us = cast_mono_us();
	}
}

/* ---- the network thread ---- */

static void *run(void *arg)
{
	struct cast_teacher_ctl *t = arg;
	int nfds = 3 + MAX_CTL_CLIENTS + t->nclients;
	struct pollfd *pfd = calloc((size_t)nfds, sizeof(*pfd));

	if (!pfd) {
		cast_log(CAST_LOG_ERROR, OBJ, "out of memory");
		return NULL;
	}
	t->next_beacon_us = cast_mono_us();
	while (!atomic_load(&t->stop)) {
		int64_t now = cast_mono_us(), wait_ms, wake;
		int n = 0;

		if (now >= t->next_beacon_us) {
			send_beacon(t);
			t->next_beacon_us = now + t->beacon_interval_ms * 1000LL;
		}
		wake = housekeeping(t, now);
		ctl_later(t);
		for (int i = 0; i < MAX_CTL_CLIENTS; i++) {
			struct ctl_client *k = &t->ctl[i];

			if (k->fd < 0)
				continue;
			if (k->req && !k->out &&
				   now - k->start_us > CTL_LATER_MS * 1000LL) {
				set_out(k, strdup("{\"ok\":false,\"error\":"
						  "\"no answer in time\"}\n"));
			} else if (k->req && !k->out && now >= k->beat_us) {
				if (send(k->fd, "\n", 1,
					 MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
				    errno != EAGAIN) {
					ctl_close(k);
					continue;
				}
				k->beat_us = now + CTL_BEAT_MS * 1000LL;
			}
			if (k->req && !k->out && k->beat_us < wake)
				wake = k->beat_us;
		}

		pfd[n++] = (struct pollfd){.fd = t->wfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = t->lfd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = t->ufd, .events = POLLIN};
		for (int i = 0; i < MAX_CTL_CLIENTS; i++)
			pfd[n++] = (struct pollfd){
				.fd = t->ctl[i].fd,
				.events = t->ctl[i].out ? POLLOUT : POLLIN};
		for (int i = 0; i < t->nclients; i++) {
			struct client *c = &t->clients[i];

			short ev = c->state == C_FREE
					   ? 0
					   : cast__conn_events(&c->conn);

			if (c->state == C_READY && atomic_load(&t->held))
				ev &= (short)~POLLIN;
			pfd[n++] = (struct pollfd){
				.fd = c->state == C_FREE ? -1 : c->conn.fd,
				.events = ev};
		}
		if (wake > t->next_beacon_us)
			wake = t->next_beacon_us;
		wait_ms = (wake - now) / 1000 + 1;
		if (wait_ms > 200)
			wait_ms = 200;
		for (int i = 0; i < t->nclients; i++)
			if (t->clients[i].state != C_FREE &&
			    t->clients[i].conn.more)
				wait_ms = 0;
		if (poll(pfd, (nfds_t)n, (int)wait_ms) < 0)
			continue;
		if (pfd[0].revents) {
			uint64_t v;

			if (read(t->wfd, &v, sizeof(v)) < 0)
				(void)0;
		}
		if (pfd[1].revents)
			do_accept(t);
		if (pfd[2].revents)
			ctl_accept(t);
		for (int i = 0; i < MAX_CTL_CLIENTS; i++)
			if (pfd[3 + i].revents)
				ctl_service(t, &t->ctl[i], pfd[3 + i].revents);
		for (int i = 0; i < t->nclients; i++) {
			short rev = pfd[3 + MAX_CTL_CLIENTS + i].revents;

			if (t->clients[i].state == C_FREE)
				continue;
			if (t->clients[i].conn.more)
				rev = (short)(rev | POLLIN);
			if (rev)
				service_client(t, i, rev);
		}
		/* After the requests that arrived were read: a round that
		 * took long (students sending homework) must not cost a
		 * client its request. */
		now = cast_mono_us();
		for (int i = 0; i < MAX_CTL_CLIENTS; i++) {
			struct ctl_client *k = &t->ctl[i];

			if (k->fd >= 0 && !k->req &&
			    now - k->start_us > CTL_TIMEOUT_MS * 1000LL)
				ctl_close(k);
		}
	}
	free(pfd);
	return NULL;
}

int cast_teacher_ctl_new(struct cast_teacher_ctl **out,
			 const struct cast_teacher_ctl_cfg *cfg)
{
	struct cast_teacher_ctl *t;
	int ret;

	if (!out || !cfg || !cfg->key || cfg->channel < CAST_CHANNEL_MIN ||
	    cfg->channel > CAST_CHANNEL_MAX || cfg->max_students < 1 ||
	    cfg->max_students > 65536 || cfg->beacon_interval_ms < 10)
		return CAST_ERROR(EINVAL);
	t = calloc(1, sizeof(*t));
	if (!t)
		return CAST_ERROR(ENOMEM);
	t->lfd = t->bfd = t->ufd = t->wfd = -1;
	for (int i = 0; i < MAX_CTL_CLIENTS; i++)
		t->ctl[i].fd = -1;
	pthread_mutex_init(&t->lock, NULL);
	t->cmds_tail = &t->cmds;
	t->channel = cfg->channel;
	t->key = *cfg->key;
	t->max_students = cfg->max_students;
	t->beacon_interval_ms = cfg->beacon_interval_ms;
	t->on_event = cfg->on_student_event;
	t->on_ctl = cfg->on_ctl_command;
	t->arg = cfg->arg;
	t->media = cfg->media;
	t->next_cmd_id = 1;
	t->nclients = cfg->max_students + SPARE_CONNS;
	t->clients = calloc((size_t)t->nclients, sizeof(*t->clients));
	t->roster = calloc((size_t)t->max_students, sizeof(*t->roster));
	t->event = malloc(sizeof(*t->event));
	if (!t->clients || !t->roster || !t->event) {
		ret = CAST_ERROR(ENOMEM);
		goto fail;
	}
	for (int i = 0; i < t->nclients; i++)
		t->clients[i].conn.fd = -1;
	ret = parse_dests(t, cfg->beacon_dest);
	if (ret) {
		cast_log(CAST_LOG_ERROR, OBJ, "bad beacon destination '%s'",
			 cfg->beacon_dest);
		goto fail;
	}
	ret = cast_random(&t->boot_id, sizeof(t->boot_id));
	if (ret)
		goto fail;
	t->ctx = cast__tls_ctx_new(true, t->channel, t->key.psk);
	if (!t->ctx) {
		cast__tls_log_errors(CAST_LOG_ERROR, OBJ, "TLS setup");
		ret = CAST_EEXTERNAL;
		goto fail;
	}
	t->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->wfd < 0) {
		ret = CAST_ERROR(errno);
		goto fail;
	}
	ret = open_listen(t, cfg);
	if (!ret)
		ret = open_beacon(t, cfg->iface);
	if (!ret)
		ret = open_unix(t, cfg->ctl_socket);
	if (ret)
		goto fail;
	t->teacher_ip = pick_teacher_ip(t, cfg);
	ret = cast__thread_start(&t->thread, run, t);
	if (ret)
		goto fail;
	t->started = true;
	{
		struct in_addr a = {htonl(t->teacher_ip)};
		char ip[16];

		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		cast_log(CAST_LOG_INFO, OBJ,
			 "channel %d: control on %s:%u, beacons every %d ms%s%s",
			 t->channel, t->teacher_ip ? ip : "*", t->port,
			 t->beacon_interval_ms, t->upath[0] ? ", ctl " : "",
			 t->upath);
	}
	*out = t;
	return 0;
fail:
	cast_teacher_ctl_free(&t);
	return ret;
}

int cast_teacher_ctl_port(const struct cast_teacher_ctl *t)
{
	return t ? t->port : CAST_ERROR(EINVAL);
}

int cast_teacher_ctl_students(struct cast_teacher_ctl *t,
			      struct cast_student_info *arr, int max)
{
	int n = 0;

	if (!t || !arr || max <= 0)
		return 0;
	pthread_mutex_lock(&t->lock);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < t->max_students && n < max; i++)
			if (t->roster[i].used &&
			    t->roster[i].info.online == (pass == 0)) {
				liveness(t, &t->roster[i], cast_mono_us());
				arr[n++] = t->roster[i].info;
			}
	pthread_mutex_unlock(&t->lock);
	return n;
}

void cast_teacher_ctl_stats(struct cast_teacher_ctl *t,
			    struct cast_teacher_ctl_stats *st)
{
	pthread_mutex_lock(&t->lock);
	*st = t->st;
	pthread_mutex_unlock(&t->lock);
}

int cast_teacher_ctl_set_media(struct cast_teacher_ctl *t,
			       const struct cast_media_params *media)
{
	if (!t || !media)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&t->lock);
	t->media = *media;
	t->media_dirty = true;
	pthread_mutex_unlock(&t->lock);
	wake(t);
	return 0;
}

int cast_teacher_ctl_set_class_state(struct cast_teacher_ctl *t,
				     const void *state, size_t len)
{
	uint8_t *copy = NULL;

	if (!t || len > CAST_MSG_STATE_MAX || (len && !state))
		return CAST_ERROR(EINVAL);
	if (len) {
		copy = malloc(len);
		if (!copy)
			return CAST_ERROR(ENOMEM);
		memcpy(copy, state, len);
	}
	pthread_mutex_lock(&t->lock);
	free(t->state);
	t->state = copy;
	t->state_len = len;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int cast_teacher_ctl_command(struct cast_teacher_ctl *t,
			     const char *student_id, const char *name,
			     const void *args, size_t len)
{
	struct command *k;
	int id;

	if (!t || !name || !*name || strlen(name) >= sizeof(k->name) ||
	    (student_id && strlen(student_id) >= sizeof(k->student_id)) ||
	    len > CAST_MSG_ARGS_MAX || (len && !args))
		return CAST_ERROR(EINVAL);
	k = calloc(1, sizeof(*k));
	if (!k)
		return CAST_ERROR(ENOMEM);
	if (len) {
		k->args = malloc(len);
		if (!k->args) {
			free(k);
			return CAST_ERROR(ENOMEM);
		}
		memcpy(k->args, args, len);
	}
	k->len = len;
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->student_id, sizeof(k->student_id), "%s",
		 student_id ? student_id : "");
	pthread_mutex_lock(&t->lock);
	k->id = t->next_cmd_id++;
	if (!t->next_cmd_id || t->next_cmd_id > 0x7fffffff)
		t->next_cmd_id = 1;
	id = (int)k->id;
	*t->cmds_tail = k;
	t->cmds_tail = &k->next;
	pthread_mutex_unlock(&t->lock);
	wake(t);
	return id;
}

void cast_teacher_ctl_free(struct cast_teacher_ctl **pt)
{
	struct cast_teacher_ctl *t = pt ? *pt : NULL;

	if (!t)
		return;
	if (t->started) {
		atomic_store(&t->stop, true);
		wake(t);
		pthread_join(t->thread, NULL);
	}
	for (int i = 0; t->clients && i < t->nclients; i++) {
		if (t->clients[i].state != C_FREE) {
			cast__conn_flush(&t->clients[i].conn);
			cast__conn_close(&t->clients[i].conn);
		}
	}
	for (int i = 0; i < MAX_CTL_CLIENTS; i++)
		ctl_close(&t->ctl[i]);
	if (t->ufd >= 0) {
		close(t->ufd);
		unlink(t->upath);
	}
	if (t->lfd >= 0)
		close(t->lfd);
	if (t->bfd >= 0)
		close(t->bfd);
	if (t->wfd >= 0)
		close(t->wfd);
	while (t->cmds) {
		struct command *k = t->cmds;

		t->cmds = k->next;
		free(k->args);
		free(k);
	}
	while (t->answers) {
		struct later *l = t->answers;

		t->answers = l->next;
		free(l->json);
		free(l);
	}
	cast__tls_ctx_free(t->ctx);
	free(t->clients);
	free(t->roster);
	free(t->event);
	free(t->state);
	pthread_mutex_destroy(&t->lock);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
	*pt = NULL;
}
