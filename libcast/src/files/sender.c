/* File sender: queues files as NORM objects, collects positive ACKs. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/net.h"
#include "files_int.h"
#include "net/net_int.h"
#include "norm_c.h"

#define OBJ "file-sender"
/* NORM parameters: 1400-byte segments fit a 1500-byte MTU with NORM, UDP
 * and IP headers; blocks of 64 source + up to 16 parity segments. */
#define SEGMENT_SIZE 1400
#define BLOCK_SIZE 64
#define NUM_PARITY 16
#define TX_BUFFER (64u << 20)
#define SOCK_BUFFER (4u << 20)
/* Pause between watermark rounds that left nodes behind. */
#define ROUND_PAUSE_MS 200

struct target {
	uint32_t node;
	enum cast_file_status status;
};

struct transfer {
	struct transfer *next;
	uint32_t id;
	uint64_t seq; /* order of cast_file_sender_send calls */
	char *path;
	uint64_t size;
	NormObjectHandle
	    obj; /* NORM_OBJECT_INVALID before enqueue, after purge */
	bool enqueued;
	bool sent;
	bool final;
	int64_t sent_ms;
	size_t n_targets;
	struct target *targets;
};

struct note {
	uint32_t id, node;
	enum cast_file_status status;
};

struct cast_file_sender {
	struct cast_file_sender_cfg cfg;
	NormInstanceHandle inst;
	NormSessionHandle sess;
	pthread_t thread;
	bool thread_started;
	int wfd;
	atomic_bool stop;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct transfer *head, *tail;
	uint64_t next_seq;
	uint32_t nodes[CAST_FILE_NODES_MAX];
	size_t n_nodes;
	/* Loop thread only (under mu): the watermark in progress. */
	struct transfer *wm;
	int64_t next_round_ms;
	unsigned inflight; /* enqueued, first pass not finished */
	/* Callbacks collected under mu, run without it. */
	struct note *notes;
	size_t n_notes, cap_notes;
};

void cast_file_sender_cfg_init(struct cast_file_sender_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ttl = 1;
	cfg->rate_kbps = 50000;
	cfg->ack_timeout_ms = 30000;
}

static void wake(struct cast_file_sender *s)
{
	uint64_t one = 1;
	if (write(s->wfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		cast_log(CAST_LOG_WARN, OBJ, "wake: %s", strerror(errno));
}

static void note_add(struct cast_file_sender *s, uint32_t id, uint32_t node,
                     enum cast_file_status st)
{
	if (!s->cfg.on_ack)
		return;
	if (s->n_notes == s->cap_notes) {
		size_t cap = s->cap_notes ? s->cap_notes * 2 : 64;
		struct note *v = realloc(s->notes, cap * sizeof(*v));
		if (!v) {
			cast_log(CAST_LOG_ERROR, OBJ,
			         "out of memory: ack callback lost");
			return;
		}
		s->notes = v;
		s->cap_notes = cap;
	}
	s->notes[s->n_notes++] = (struct note){id, node, st};
}

/* Called with mu held: runs the collected callbacks without it. */
static void notes_flush(struct cast_file_sender *s)
{
	while (s->n_notes) {
		struct note n = s->notes[0];
		memmove(s->notes, s->notes + 1,
		        (s->n_notes - 1) * sizeof(*s->notes));
		s->n_notes--;
		pthread_mutex_unlock(&s->mu);
		s->cfg.on_ack(n.id, n.node, n.status, s->cfg.arg);
		pthread_mutex_lock(&s->mu);
	}
}

static void update_final(struct cast_file_sender *s, struct transfer *t)
{
	if (t->final)
		return;
	if (t->n_targets == 0) {
		t->final = t->sent;
	} else {
		t->final = true;
		for (size_t i = 0; i < t->n_targets; i++)
			if (t->targets[i].status == CAST_FILE_PENDING)
				t->final = false;
	}
	if (t->final)
		pthread_cond_broadcast(&s->cv);
}

static void target_set(struct cast_file_sender *s, struct transfer *t,
                       struct target *g, enum cast_file_status st)
{
	if (g->status != CAST_FILE_PENDING)
		return;
	g->status = st;
	note_add(s, t->id, g->node, st);
	if (st == CAST_FILE_FAILED)
		cast_log(CAST_LOG_WARN, OBJ, "transfer %u: node %u failed",
		         t->id, g->node);
	update_final(s, t);
}

static void fail_transfer(struct cast_file_sender *s, struct transfer *t)
{
	t->sent = true;
	for (size_t i = 0; i < t->n_targets; i++)
		target_set(s, t, &t->targets[i], CAST_FILE_FAILED);
	update_final(s, t);
}

/* Hands queued transfers to NORM in order until it refuses one. */
static void pump(struct cast_file_sender *s)
{
	for (struct transfer *t = s->head; t; t = t->next) {
		if (t->enqueued)
			continue;
		char info[CAST__FILES_INFO_LEN];
		cast__files_info_write(info, t->id);
		NormObjectHandle h =
		    NormFileEnqueue(s->sess, t->path, info, sizeof(info));
		if (h == NORM_OBJECT_INVALID) {
			if (s->inflight > 0)
				return; /* tx cache full: wait for room */
			cast_log(CAST_LOG_ERROR, OBJ,
			         "transfer %u: libnorm refused %s", t->id,
			         t->path);
			t->enqueued = true;
			fail_transfer(s, t);
			continue;
		}
		NormObjectSetUserData(h, t);
		t->obj = h;
		t->enqueued = true;
		s->inflight++;
	}
}

/* Starts a watermark round on the newest enqueued object if any target of
 * an enqueued transfer still waits for its acknowledgement. */
static void maybe_watermark(struct cast_file_sender *s)
{
	if (s->wm || cast__files_now_ms() < s->next_round_ms)
		return;
	struct transfer *newest = NULL;
	bool waiting = false;
	for (struct transfer *t = s->head; t; t = t->next) {
		if (!t->enqueued || t->obj == NORM_OBJECT_INVALID)
			continue;
		newest = t;
		if (!t->final && t->n_targets)
			waiting = true;
	}
	if (!waiting || !newest)
		return;
	if (!NormSetWatermark(s->sess, newest->obj, false)) {
		cast_log(CAST_LOG_WARN, OBJ, "NormSetWatermark failed");
		s->next_round_ms = cast__files_now_ms() + ROUND_PAUSE_MS;
		return;
	}
	s->wm = newest;
}

static void watermark_done(struct cast_file_sender *s)
{
	struct transfer *wm = s->wm;
	s->wm = NULL;
	if (!wm)
		return;
	int64_t now = cast__files_now_ms();
	bool behind = false;
	for (struct transfer *t = s->head; t; t = t->next) {
		if (t->final || !t->enqueued)
			goto next;
		for (size_t i = 0; i < t->n_targets; i++) {
			struct target *g = &t->targets[i];
			if (g->status != CAST_FILE_PENDING)
				continue;
			NormAckingStatus a =
			    NormGetAckingStatus(s->sess, g->node);
			if (a == NORM_ACK_SUCCESS) {
				target_set(s, t, g, CAST_FILE_DONE);
			} else if (t->sent &&
			           now - t->sent_ms > s->cfg.ack_timeout_ms) {
				target_set(s, t, g, CAST_FILE_FAILED);
			} else {
				behind = true;
			}
		}
	next:
		if (t == wm)
			break;
	}
	if (behind)
		s->next_round_ms = now + ROUND_PAUSE_MS;
}

static void handle_event(struct cast_file_sender *s, const NormEvent *ev)
{
	struct transfer *t = NULL;
	if (ev->object != NORM_OBJECT_INVALID)
		t = (struct transfer *)NormObjectGetUserData(ev->object);
	switch (ev->type) {
	case NORM_TX_OBJECT_SENT:
		if (t && !t->sent) {
			t->sent = true;
			t->sent_ms = cast__files_now_ms();
			if (s->inflight)
				s->inflight--;
			update_final(s, t);
		}
		break;
	case NORM_TX_OBJECT_PURGED:
		if (t) {
			if (!t->sent && s->inflight)
				s->inflight--;
			t->sent = true;
			t->obj = NORM_OBJECT_INVALID;
			if (s->wm == t)
				s->wm = NULL;
			/* No more repairs for it: whoever has not acknowledged
			 * it by now won't. */
			fail_transfer(s, t);
		}
		break;
	case NORM_TX_WATERMARK_COMPLETED:
		watermark_done(s);
		break;
	case NORM_SEND_ERROR:
		cast_log(CAST_LOG_WARN, OBJ, "send error (ICMP)");
		break;
	default:
		break;
	}
}

static void *sender_thread(void *arg)
{
	struct cast_file_sender *s = arg;
	struct pollfd pfd[2] = {
	    {.fd = NormGetDescriptor(s->inst), .events = POLLIN},
	    {.fd = s->wfd, .events = POLLIN},
	};
	while (!atomic_load(&s->stop)) {
		pthread_mutex_lock(&s->mu);
		pump(s);
		maybe_watermark(s);
		notes_flush(s);
		int timeout = 100;
		if (!s->wm && s->next_round_ms) {
			int64_t d = s->next_round_ms - cast__files_now_ms();
			timeout = d < 0 ? 0 : d < 100 ? (int)d : 100;
		}
		pthread_mutex_unlock(&s->mu);

		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			cast_log(CAST_LOG_ERROR, OBJ, "poll: %s",
			         strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			if (read(s->wfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				cast_log(CAST_LOG_WARN, OBJ, "read wake: %s",
				         strerror(errno));
		}
		NormEvent ev;
		pthread_mutex_lock(&s->mu);
		while (NormGetNextEvent(s->inst, &ev, false))
			handle_event(s, &ev);
		notes_flush(s);
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

int cast_file_sender_new(struct cast_file_sender **out,
                         const struct cast_file_sender_cfg *cfg)
{
	if (!out || !cfg || cfg->rate_kbps == 0 || cfg->ttl < 1 ||
	    cfg->ttl > 255 || cfg->node_id == 0xffffffffu)
		return CAST_ERROR(EINVAL);
	char group[16];
	uint16_t port;
	int err = cast__channel_addr(cfg->channel, CAST_PORT_FILES, cfg->group,
	                             cfg->port, group, sizeof(group), &port);
	if (err)
		return err == CAST_ERROR(ENOSPC) ? CAST_ERROR(EINVAL) : err;

	struct cast_file_sender *s = calloc(1, sizeof(*s));
	if (!s)
		return CAST_ERROR(ENOMEM);
	s->cfg = *cfg;
	s->cfg.group = NULL; /* not kept: the caller owns the strings */
	s->cfg.iface = NULL;
	s->wfd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);

	s->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wfd < 0) {
		err = CAST_ERROR(errno);
		goto fail;
	}
	s->inst = NormCreateInstance(false);
	if (s->inst == NORM_INSTANCE_INVALID) {
		err = CAST_EEXTERNAL;
		goto fail;
	}
	s->sess =
	    NormCreateSession(s->inst, group, (UINT16)port,
	                      cfg->node_id ? cfg->node_id : NORM_NODE_ANY);
	if (s->sess == NORM_SESSION_INVALID) {
		err = CAST_EEXTERNAL;
		goto fail;
	}
	/* Receivers on the same host bind the same port. */
	NormSetRxPortReuse(s->sess, true, NULL, NULL, 0);
	if (cfg->iface && !NormSetMulticastInterface(s->sess, cfg->iface)) {
		err = CAST_ERROR(ENODEV);
		goto fail;
	}
	NormSetTTL(s->sess, (unsigned char)cfg->ttl);
	NormSetMulticastLoopback(s->sess, true);
	/* A classroom LAN: start from a small round-trip estimate and a
	 * group size of a class, so repairs are not timed for the Internet. */
	NormSetGrttEstimate(s->sess, 0.01);
	NormSetGroupSize(s->sess, 64);
	double bps = (double)cfg->rate_kbps * 1000.0;
	if (cfg->congestion_control) {
		NormSetCongestionControl(s->sess, true, true);
		NormSetTxRateBounds(s->sess, 100e3, bps);
	} else {
		NormSetTxRate(s->sess, bps);
	}
	/* Objects are files on disk: the cache only bounds how many the
	 * sender keeps repairable, not memory. */
	NormSetTxCacheBounds(s->sess, (NormSize)1 << 40, 16, 4096);
	if (!NormStartSender(s->sess, NormGetRandomSessionId(), TX_BUFFER,
	                     SEGMENT_SIZE, BLOCK_SIZE, NUM_PARITY, 0)) {
		err = CAST_EEXTERNAL;
		cast_log(CAST_LOG_ERROR, OBJ, "NormStartSender %s:%d failed",
		         group, port);
		goto fail;
	}
	NormSetTxSocketBuffer(s->sess, SOCK_BUFFER);
	err = -pthread_create(&s->thread, NULL, sender_thread, s);
	if (err < 0)
		goto fail;
	s->thread_started = true;
	cast_log(CAST_LOG_INFO, OBJ, "%s:%d, %s %u kbit/s", group, port,
	         cfg->congestion_control ? "NORM-CC up to" : "fixed",
	         cfg->rate_kbps);
	*out = s;
	return 0;
fail:
	cast_file_sender_free(&s);
	return err;
}

void cast_file_sender_free(struct cast_file_sender **sp)
{
	struct cast_file_sender *s = sp ? *sp : NULL;
	if (!s)
		return;
	if (s->thread_started) {
		atomic_store(&s->stop, true);
		wake(s);
		pthread_join(s->thread, NULL);
	}
	if (s->sess != NORM_SESSION_INVALID && s->sess) {
		NormStopSender(s->sess);
		NormDestroySession(s->sess);
	}
	if (s->inst != NORM_INSTANCE_INVALID && s->inst)
		NormDestroyInstance(s->inst);
	struct transfer *t = s->head;
	while (t) {
		struct transfer *n = t->next;
		free(t->path);
		free(t->targets);
		free(t);
		t = n;
	}
	if (s->wfd >= 0)
		close(s->wfd);
	free(s->notes);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	*sp = NULL;
}

static bool node_known(const struct cast_file_sender *s, uint32_t node)
{
	for (size_t i = 0; i < s->n_nodes; i++)
		if (s->nodes[i] == node)
			return true;
	return false;
}

/* With mu held. */
static int add_node_locked(struct cast_file_sender *s, uint32_t node)
{
	if (node == 0 || node == 0xffffffffu)
		return CAST_ERROR(EINVAL);
	if (node_known(s, node))
		return CAST_ERROR(EEXIST);
	if (s->n_nodes >= CAST_FILE_NODES_MAX)
		return CAST_ERROR(ENOSPC);
	if (!NormAddAckingNode(s->sess, node))
		return CAST_ERROR(ENOMEM);
	s->nodes[s->n_nodes++] = node;
	return 0;
}

int cast_file_sender_add_node(struct cast_file_sender *s, uint32_t node_id)
{
	if (!s)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&s->mu);
	int err = add_node_locked(s, node_id);
	pthread_mutex_unlock(&s->mu);
	return err;
}

int cast_file_sender_remove_node(struct cast_file_sender *s, uint32_t node_id)
{
	if (!s)
		return CAST_ERROR(EINVAL);
	int err = CAST_ERROR(ENOENT);
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n_nodes; i++) {
		if (s->nodes[i] != node_id)
			continue;
		s->nodes[i] = s->nodes[--s->n_nodes];
		NormRemoveAckingNode(s->sess, node_id);
		for (struct transfer *t = s->head; t; t = t->next)
			for (size_t k = 0; k < t->n_targets; k++)
				if (t->targets[k].node == node_id)
					target_set(s, t, &t->targets[k],
					           CAST_FILE_FAILED);
		err = 0;
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

/* Checks that `path` is a regular file (not a symbolic link when
 * `nofollow`) and returns its size. */
static int64_t regular_size(const char *path, bool nofollow)
{
	struct stat st;
	if ((nofollow ? lstat(path, &st) : stat(path, &st)) < 0)
		return CAST_ERROR(errno);
	if (S_ISLNK(st.st_mode))
		return CAST_ERROR(ELOOP);
	if (!S_ISREG(st.st_mode))
		return CAST_ERROR(EISDIR);
	return (int64_t)st.st_size;
}

/* Queues one file; `nodes` NULL: every added node is a target. */
static int queue_file(struct cast_file_sender *s, const char *path,
                      uint32_t transfer_id, const uint32_t *nodes, size_t count,
                      uint64_t size)
{
	struct transfer *t = calloc(1, sizeof(*t));
	if (!t)
		return CAST_ERROR(ENOMEM);
	t->path = strdup(path);
	t->id = transfer_id;
	t->size = size;
	t->obj = NORM_OBJECT_INVALID;
	pthread_mutex_lock(&s->mu);
	if (!nodes) {
		nodes = s->nodes;
		count = s->n_nodes;
	}
	if (count)
		t->targets = calloc(count, sizeof(*t->targets));
	if (!t->path || (count && !t->targets)) {
		pthread_mutex_unlock(&s->mu);
		free(t->path);
		free(t->targets);
		free(t);
		return CAST_ERROR(ENOMEM);
	}
	for (size_t i = 0; i < count; i++) {
		int err = add_node_locked(s, nodes[i]);
		if (err < 0 && err != CAST_ERROR(EEXIST)) {
			pthread_mutex_unlock(&s->mu);
			free(t->path);
			free(t->targets);
			free(t);
			return err;
		}
		t->targets[i].node = nodes[i];
		t->targets[i].status = CAST_FILE_PENDING;
	}
	t->n_targets = count;
	t->seq = s->next_seq++;
	if (s->tail)
		s->tail->next = t;
	else
		s->head = t;
	s->tail = t;
	pthread_mutex_unlock(&s->mu);
	wake(s);
	return 0;
}

int cast_file_sender_send_to(struct cast_file_sender *s, const char *path,
                             uint32_t transfer_id, const uint32_t *nodes,
                             size_t count)
{
	if (!s || !path || transfer_id == 0 || (count && !nodes) ||
	    count > CAST_FILE_NODES_MAX)
		return CAST_ERROR(EINVAL);
	int64_t size = regular_size(path, true);
	if (size < 0)
		return (int)size;
	static const uint32_t none[1];
	return queue_file(s, path, transfer_id, count ? nodes : none, count,
	                  (uint64_t)size);
}

int cast_file_sender_send(struct cast_file_sender *s, const char *path,
                          uint32_t transfer_id)
{
	if (!s || !path || transfer_id == 0)
		return CAST_ERROR(EINVAL);
	int64_t size = regular_size(path, true);
	if (size < 0)
		return (int)size;
	return queue_file(s, path, transfer_id, NULL, 0, (uint64_t)size);
}

int cast_file_sender_send_tree(struct cast_file_sender *s, const char *dir,
                               const struct cast_file_offer *offers,
                               size_t count)
{
	if (!s || !dir || (count && !offers))
		return CAST_ERROR(EINVAL);
	char base[CAST_FILE_PATH_MAX];
	int dfd = cast__files_open_dir(dir, base, sizeof(base));
	if (dfd < 0)
		return dfd;
	close(dfd);
	char *real = realpath(dir, NULL);
	if (!real)
		return CAST_ERROR(errno);
	size_t blen = strlen(base);
	int queued = 0, err = 0;
	for (size_t i = 0; i < count; i++) {
		const struct cast_file_offer *o = &offers[i];
		if (cast_file_path_check(o->rel_path) < 0 ||
		    strncmp(o->rel_path, base, blen) != 0 ||
		    o->rel_path[blen] != '/') {
			err = CAST_ERROR(EINVAL);
			break;
		}
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", real,
		             o->rel_path + blen + 1) >= (int)sizeof(path)) {
			err = CAST_ERROR(ENAMETOOLONG);
			break;
		}
		/* The walk never followed a link; neither does the send: a
		 * component swapped for a link since is refused here. */
		int64_t size = regular_size(path, true);
		if (size >= 0 && (uint64_t)size != o->size)
			size = CAST_ERROR(ESTALE);
		if (size < 0) {
			err = (int)size;
			cast_log(CAST_LOG_ERROR, OBJ, "%s: %s", path,
			         cast_strerror(err));
			break;
		}
		err = queue_file(s, path, o->transfer_id, NULL, 0,
		                 (uint64_t)size);
		if (err < 0)
			break;
		queued++;
	}
	free(real);
	return err < 0 ? err : queued;
}

static struct transfer *find_latest(struct cast_file_sender *s, uint32_t id)
{
	struct transfer *found = NULL;
	for (struct transfer *t = s->head; t; t = t->next)
		if (t->id == id)
			found = t;
	return found;
}

int cast_file_sender_progress(struct cast_file_sender *s, uint32_t transfer_id,
                              struct cast_file_progress *out,
                              struct cast_file_node_progress *nodes,
                              size_t max_nodes)
{
	if (!s || !out || (max_nodes && !nodes))
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&s->mu);
	struct transfer *t = find_latest(s, transfer_id);
	if (!t) {
		pthread_mutex_unlock(&s->mu);
		return CAST_ERROR(ENOENT);
	}
	memset(out, 0, sizeof(*out));
	out->transfer_id = t->id;
	out->size = t->size;
	out->sent = t->sent;
	out->nodes = (unsigned)t->n_targets;
	size_t n = 0;
	for (size_t i = 0; i < t->n_targets; i++) {
		if (t->targets[i].status == CAST_FILE_DONE)
			out->done++;
		else if (t->targets[i].status == CAST_FILE_FAILED)
			out->failed++;
		if (n < max_nodes) {
			nodes[n].node_id = t->targets[i].node;
			nodes[n].status = t->targets[i].status;
			n++;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return (int)n;
}

/* With mu held: is everything `transfer_id` covers final? Counts failures.
 * An id that was sent again counts only with its newest sending. */
static bool all_final(struct cast_file_sender *s, uint32_t transfer_id,
                      int *failed, bool *found)
{
	*failed = 0;
	*found = false;
	for (struct transfer *t = s->head; t; t = t->next) {
		if (transfer_id ? t->id != transfer_id
		                : find_latest(s, t->id) != t)
			continue;
		if (transfer_id && find_latest(s, transfer_id) != t)
			continue;
		*found = true;
		if (!t->final)
			return false;
		for (size_t i = 0; i < t->n_targets; i++)
			if (t->targets[i].status == CAST_FILE_FAILED)
				(*failed)++;
	}
	return true;
}

int cast_file_sender_wait(struct cast_file_sender *s, uint32_t transfer_id,
                          int timeout_ms)
{
	if (!s)
		return CAST_ERROR(EINVAL);
	struct timespec dl;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	if (timeout_ms >= 0) {
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (dl.tv_nsec >= 1000000000) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000;
		}
	}
	int failed = 0, err = 0;
	bool found;
	pthread_mutex_lock(&s->mu);
	while (!all_final(s, transfer_id, &failed, &found)) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&s->cv, &s->mu);
		} else if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) ==
		           ETIMEDOUT) {
			err = CAST_ERROR(ETIMEDOUT);
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (err < 0)
		return err;
	if (transfer_id && !found)
		return CAST_ERROR(ENOENT);
	return failed;
}
