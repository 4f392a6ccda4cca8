/* File receiver: accepts only offered NORM objects, verifies, installs. */
#include <dirent.h>
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

#define OBJ "file-receiver"
#define RX_BUFFER (16u << 20)
#define SOCK_BUFFER (8u << 20)
/* Open (not yet completed) offers one receiver keeps, and completed ones it
 * remembers to drop duplicates. */
#define OFFERS_MAX 4096
/* NORM objects received at once; more are dropped on arrival. */
#define OBJECTS_MAX 64
/* Objects per offer at once (a stranger who copies a transfer id can't
 * crowd out the teacher's object: it fails the hash, the other goes on). */
#define OBJECTS_PER_OFFER 3
/* An object whose NORM_INFO (transfer id) has not come by then is dropped. */
#define UNCLAIMED_MS 10000

enum offer_state { OFFER_OPEN, OFFER_DONE };

struct offer {
	struct cast_file_offer o;
	enum offer_state state;
	unsigned active; /* objects claiming it */
	uint64_t order;  /* for evicting the oldest completed */
};

struct rx_obj {
	struct rx_obj *next;
	NormObjectHandle h;   /* retained until the record goes */
	char name[32];        /* temp file in the incoming folder */
	uint32_t transfer_id; /* 0 while unclaimed */
	int64_t new_ms;
};

struct cast_file_receiver {
	struct cast_file_receiver_cfg cfg;
	char *inbox;
	int inbox_fd, inc_fd;
	char inc_path[PATH_MAX]; /* what libnorm opens files in */
	NormInstanceHandle inst;
	NormSessionHandle sess;
	pthread_t thread;
	bool thread_started;
	int wfd;
	atomic_bool stop;

	pthread_mutex_t mu;
	struct offer *offers;
	size_t n_offers;
	uint64_t order;
	struct cast_file_receiver_stats st;
	/* Loop thread only. */
	struct rx_obj *objs;
	unsigned n_objs;
	uint64_t seq;
};

void cast_file_receiver_cfg_init(struct cast_file_receiver_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_file_size = (uint64_t)4 << 30;
}

/* With mu held. */
static struct offer *offer_find(struct cast_file_receiver *r, uint32_t id)
{
	for (size_t i = 0; i < r->n_offers; i++)
		if (r->offers[i].o.transfer_id == id)
			return &r->offers[i];
	return NULL;
}

/* Any offer of that size, open or done (a done one lets the duplicate get
 * as far as its NORM_INFO, to be counted as such). */
static bool size_offered(struct cast_file_receiver *r, uint64_t size)
{
	for (size_t i = 0; i < r->n_offers; i++)
		if (r->offers[i].o.size == size)
			return true;
	return false;
}

static void final_path(const struct cast_file_receiver *r,
                       const struct cast_file_offer *o, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", r->inbox, o->rel_path);
}

/* Forgets object `x`: cancels it in libnorm if asked, deletes its temp
 * file, releases the handle. */
static void obj_drop(struct cast_file_receiver *r, struct rx_obj *x,
                     bool cancel)
{
	for (struct rx_obj **pp = &r->objs; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	r->n_objs--;
	if (x->transfer_id) {
		pthread_mutex_lock(&r->mu);
		struct offer *of = offer_find(r, x->transfer_id);
		if (of && of->active)
			of->active--;
		pthread_mutex_unlock(&r->mu);
	}
	NormObjectSetUserData(x->h, NULL);
	if (cancel)
		NormObjectCancel(x->h);
	if (x->name[0] && unlinkat(r->inc_fd, x->name, 0) < 0 &&
	    errno != ENOENT)
		cast_log(CAST_LOG_WARN, OBJ, "unlink %s: %s", x->name,
		         strerror(errno));
	NormObjectRelease(x->h);
	free(x);
}

/* Drops an object no offer asked for (and its libnorm state). */
static void reject_obj(struct cast_file_receiver *r, NormObjectHandle h,
                       struct rx_obj *x, bool duplicate, const char *why,
                       bool cancel)
{
	pthread_mutex_lock(&r->mu);
	if (duplicate)
		r->st.objects_duplicate++;
	else
		r->st.objects_rejected++;
	pthread_mutex_unlock(&r->mu);
	cast_log(duplicate ? CAST_LOG_DEBUG : CAST_LOG_WARN, OBJ,
	         "dropping object: %s", why);
	if (x) {
		obj_drop(r, x, cancel);
		return;
	}
	/* Not ours yet: libnorm already made its temp file; remove it. */
	char name[PATH_MAX];
	bool named = NormObjectGetType(h) == NORM_OBJECT_FILE &&
	             NormFileGetName(h, name, sizeof(name));
	NormObjectCancel(h);
	if (named && unlink(name) < 0 && errno != ENOENT)
		cast_log(CAST_LOG_WARN, OBJ, "unlink %s: %s", name,
		         strerror(errno));
}

/* Drops an object libnorm is still receiving. */
static void reject(struct cast_file_receiver *r, NormObjectHandle h,
                   struct rx_obj *x, bool duplicate, const char *why)
{
	reject_obj(r, h, x, duplicate, why, true);
}

static void report(struct cast_file_receiver *r,
                   const struct cast_file_offer *o, int status)
{
	char path[PATH_MAX + CAST_FILE_PATH_MAX];
	final_path(r, o, path, sizeof(path));
	if (status < 0)
		cast_log(CAST_LOG_WARN, OBJ, "transfer %u (%s): %s",
		         o->transfer_id, o->rel_path, cast_strerror(status));
	else
		cast_log(CAST_LOG_INFO, OBJ, "transfer %u: %s (%llu bytes)",
		         o->transfer_id, path, (unsigned long long)o->size);
	if (r->cfg.on_file)
		r->cfg.on_file(path, o, status, r->cfg.arg);
}

static void on_new(struct cast_file_receiver *r, NormObjectHandle h)
{
	if (NormObjectGetType(h) != NORM_OBJECT_FILE) {
		reject(r, h, NULL, false, "not a file object");
		return;
	}
	NormSize size = NormObjectGetSize(h);
	pthread_mutex_lock(&r->mu);
	bool offered = size >= 0 && (uint64_t)size <= r->cfg.max_file_size &&
	               size_offered(r, (uint64_t)size);
	pthread_mutex_unlock(&r->mu);
	if (!offered) {
		reject(r, h, NULL, false, "no offer of that size");
		return;
	}
	if (r->n_objs >= OBJECTS_MAX) {
		reject(r, h, NULL, false, "too many objects at once");
		return;
	}
	struct rx_obj *x = calloc(1, sizeof(*x));
	if (!x) {
		reject(r, h, NULL, false, "out of memory");
		return;
	}
	/* libnorm made its temp file with mkstemp in our incoming folder;
	 * give it a name that says what it is. */
	char old[PATH_MAX], neu[PATH_MAX + 40];
	snprintf(x->name, sizeof(x->name), "o%llu.partial",
	         (unsigned long long)++r->seq);
	snprintf(neu, sizeof(neu), "%s/%s", r->inc_path, x->name);
	if (!NormFileGetName(h, old, sizeof(old)) || !NormFileRename(h, neu)) {
		free(x);
		reject(r, h, NULL, false, "temp file rename failed");
		return;
	}
	NormObjectRetain(h);
	NormObjectSetUserData(h, x);
	x->h = h;
	x->new_ms = cast__files_now_ms();
	x->next = r->objs;
	r->objs = x;
	r->n_objs++;
}

static void on_info(struct cast_file_receiver *r, struct rx_obj *x)
{
	char info[CAST__FILES_INFO_LEN + 1];
	uint32_t id = 0;
	UINT16 n = NormObjectGetInfo(x->h, info, sizeof(info));
	if (x->transfer_id)
		return;
	if (cast__files_info_parse(info, n, &id) < 0) {
		reject(r, x->h, x, false, "not a libcast object");
		return;
	}
	NormSize size = NormObjectGetSize(x->h);
	pthread_mutex_lock(&r->mu);
	struct offer *of = offer_find(r, id);
	const char *why = NULL;
	bool dup = false;
	if (!of) {
		why = "transfer id not offered";
	} else if (of->state == OFFER_DONE) {
		why = "already received";
		dup = true;
	} else if ((uint64_t)size != of->o.size) {
		why = "size differs from the offer";
	} else if (of->active >= OBJECTS_PER_OFFER) {
		why = "offer busy";
	} else {
		of->active++;
		x->transfer_id = id;
		r->st.objects_accepted++;
	}
	pthread_mutex_unlock(&r->mu);
	if (why)
		reject(r, x->h, x, dup, why);
}

/* Verifies the finished temp file against its offer and moves it into
 * the inbox. Returns 0 or negative errno. */
static int verify_install(struct cast_file_receiver *r, struct rx_obj *x,
                          const struct cast_file_offer *o)
{
	int fd = openat(r->inc_fd, x->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return CAST_ERROR(errno);
	struct stat st;
	uint8_t md[32];
	uint64_t len = 0;
	int err = 0;
	if (fstat(fd, &st) < 0) {
		err = CAST_ERROR(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > o->size ||
	    (uint64_t)st.st_size > r->cfg.max_file_size) {
		err = CAST_ERROR(EFBIG);
		goto out;
	}
	err = cast__files_sha256_fd(fd, md, &len);
	if (err < 0)
		goto out;
	if (len != o->size || memcmp(md, o->sha256, sizeof(md)) != 0) {
		err = CAST_ERROR(EBADMSG);
		goto out;
	}
	if (fchmod(fd, 0644) < 0) {
		err = CAST_ERROR(errno);
		goto out;
	}
	err = cast__files_install(r->inbox_fd, r->inc_fd, x->name, o->rel_path);
	if (err == 0)
		x->name[0] = '\0'; /* moved: nothing left to delete */
out:
	close(fd);
	return err;
}

static void on_completed(struct cast_file_receiver *r, struct rx_obj *x)
{
	if (!x->transfer_id) {
		reject_obj(r, x->h, x, false, "completed without a transfer id",
		           false);
		return;
	}
	struct cast_file_offer o;
	pthread_mutex_lock(&r->mu);
	struct offer *of = offer_find(r, x->transfer_id);
	bool done = !of || of->state == OFFER_DONE;
	if (of)
		o = of->o;
	pthread_mutex_unlock(&r->mu);
	if (done) {
		reject_obj(r, x->h, x, true, "already received", false);
		return;
	}
	int err = verify_install(r, x, &o);
	pthread_mutex_lock(&r->mu);
	of = offer_find(r, x->transfer_id);
	if (err == 0) {
		r->st.files_completed++;
		r->st.bytes_completed += o.size;
		if (of) {
			of->state = OFFER_DONE;
			of->order = ++r->order;
		}
	} else {
		r->st.files_failed++;
	}
	pthread_mutex_unlock(&r->mu);
	obj_drop(r, x, false);
	if (err == 0) {
		/* Other objects of the same transfer are now duplicates. */
		struct rx_obj *y = r->objs;
		while (y) {
			struct rx_obj *next = y->next;
			if (y->transfer_id == o.transfer_id)
				reject(r, y->h, y, true, "already received");
			y = next;
		}
	}
	report(r, &o, err);
}

static void on_aborted(struct cast_file_receiver *r, struct rx_obj *x)
{
	uint32_t id = x->transfer_id;
	struct cast_file_offer o;
	bool have = false;
	if (id) {
		pthread_mutex_lock(&r->mu);
		struct offer *of = offer_find(r, id);
		if (of && of->state == OFFER_OPEN) {
			o = of->o;
			have = true;
			r->st.files_failed++;
		}
		pthread_mutex_unlock(&r->mu);
	}
	obj_drop(r, x, false);
	if (have)
		report(r, &o, CAST_ERROR(ECONNABORTED));
}

static void handle_event(struct cast_file_receiver *r, const NormEvent *ev)
{
	if (ev->object == NORM_OBJECT_INVALID)
		return;
	if (ev->type == NORM_RX_OBJECT_NEW) {
		on_new(r, ev->object);
		return;
	}
	struct rx_obj *x = (struct rx_obj *)NormObjectGetUserData(ev->object);
	if (!x)
		return;
	switch (ev->type) {
	case NORM_RX_OBJECT_INFO:
		on_info(r, x);
		break;
	case NORM_RX_OBJECT_COMPLETED:
		on_completed(r, x);
		break;
	case NORM_RX_OBJECT_ABORTED:
		on_aborted(r, x);
		break;
	default:
		break;
	}
}

static void expire_unclaimed(struct cast_file_receiver *r)
{
	int64_t now = cast__files_now_ms();
	struct rx_obj *x = r->objs;
	while (x) {
		struct rx_obj *next = x->next;
		if (!x->transfer_id && now - x->new_ms > UNCLAIMED_MS)
			reject(r, x->h, x, false, "no transfer id in time");
		x = next;
	}
}

static void *receiver_thread(void *arg)
{
	struct cast_file_receiver *r = arg;
	struct pollfd pfd[2] = {
	    {.fd = NormGetDescriptor(r->inst), .events = POLLIN},
	    {.fd = r->wfd, .events = POLLIN},
	};
	while (!atomic_load(&r->stop)) {
		if (poll(pfd, 2, 500) < 0 && errno != EINTR) {
			cast_log(CAST_LOG_ERROR, OBJ, "poll: %s",
			         strerror(errno));
			break;
		}
		NormEvent ev;
		while (!atomic_load(&r->stop) &&
		       NormGetNextEvent(r->inst, &ev, false))
			handle_event(r, &ev);
		expire_unclaimed(r);
	}
	return NULL;
}

/* Opens (creating) the private temp folder and empties it. */
static int open_incoming(struct cast_file_receiver *r)
{
	if (mkdirat(r->inbox_fd, CAST__FILES_INCOMING, 0700) < 0 &&
	    errno != EEXIST)
		return CAST_ERROR(errno);
	r->inc_fd = openat(r->inbox_fd, CAST__FILES_INCOMING,
	                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->inc_fd < 0)
		return CAST_ERROR(errno);
	struct stat st;
	if (fstat(r->inc_fd, &st) < 0)
		return CAST_ERROR(errno);
	if (st.st_uid != geteuid())
		return CAST_ERROR(EPERM);
	if ((st.st_mode & 077) && fchmod(r->inc_fd, 0700) < 0)
		return CAST_ERROR(errno);
	int dup_fd = dup(r->inc_fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return CAST_ERROR(errno);
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(r->inc_fd, e->d_name, 0);
	closedir(d);
	/* libnorm names files by path: this one is pinned to the folder we
	 * opened and checked, whatever happens to the name later. */
	snprintf(r->inc_path, sizeof(r->inc_path), "/proc/self/fd/%d",
	         r->inc_fd);
	if (access(r->inc_path, W_OK) < 0)
		snprintf(r->inc_path, sizeof(r->inc_path), "%s/%s", r->inbox,
		         CAST__FILES_INCOMING);
	return 0;
}

int cast_file_receiver_new(struct cast_file_receiver **out,
                           const struct cast_file_receiver_cfg *cfg)
{
	if (!out || !cfg || !cfg->inbox || !cfg->inbox[0] ||
	    cfg->node_id == 0 || cfg->node_id == 0xffffffffu ||
	    cfg->max_file_size == 0)
		return CAST_ERROR(EINVAL);
	char group[16];
	uint16_t port;
	int err = cast__channel_addr(cfg->channel, CAST_PORT_FILES, cfg->group,
	                             cfg->port, group, sizeof(group), &port);
	if (err)
		return err == CAST_ERROR(ENOSPC) ? CAST_ERROR(EINVAL) : err;
	struct cast_file_receiver *r = calloc(1, sizeof(*r));
	if (!r)
		return CAST_ERROR(ENOMEM);
	r->cfg = *cfg;
	r->cfg.group = NULL;
	r->cfg.iface = NULL;
	r->cfg.inbox = NULL;
	r->inbox_fd = r->inc_fd = r->wfd = -1;
	pthread_mutex_init(&r->mu, NULL);
	r->inbox = strdup(cfg->inbox);
	r->offers = calloc(OFFERS_MAX, sizeof(*r->offers));
	if (!r->inbox || !r->offers) {
		err = CAST_ERROR(ENOMEM);
		goto fail;
	}
	if (mkdir(r->inbox, 0755) < 0 && errno != EEXIST) {
		err = CAST_ERROR(errno);
		goto fail;
	}
	r->inbox_fd = open(r->inbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->inbox_fd < 0) {
		err = CAST_ERROR(errno);
		goto fail;
	}
	err = open_incoming(r);
	if (err < 0)
		goto fail;
	r->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->wfd < 0) {
		err = CAST_ERROR(errno);
		goto fail;
	}
	r->inst = NormCreateInstance(false);
	if (r->inst == NORM_INSTANCE_INVALID ||
	    !NormSetCacheDirectory(r->inst, r->inc_path)) {
		err = CAST_EEXTERNAL;
		goto fail;
	}
	r->sess = NormCreateSession(r->inst, group, (UINT16)port, cfg->node_id);
	if (r->sess == NORM_SESSION_INVALID) {
		err = CAST_EEXTERNAL;
		goto fail;
	}
	/* Bound to the group: several receivers (and the sender) may share
	 * the port on one host, and unicast to the port is not for us. */
	NormSetRxPortReuse(r->sess, true, group, NULL, 0);
	if (cfg->iface && !NormSetMulticastInterface(r->sess, cfg->iface)) {
		err = CAST_ERROR(ENODEV);
		goto fail;
	}
	NormSetMulticastLoopback(r->sess, true);
	NormSetTTL(r->sess, 1);
	NormSetDefaultUnicastNack(r->sess, false);
	if (!NormStartReceiver(r->sess, RX_BUFFER)) {
		cast_log(CAST_LOG_ERROR, OBJ, "NormStartReceiver %s:%d failed",
		         group, port);
		err = CAST_EEXTERNAL;
		goto fail;
	}
	NormSetRxSocketBuffer(r->sess, SOCK_BUFFER);
	err = -pthread_create(&r->thread, NULL, receiver_thread, r);
	if (err < 0)
		goto fail;
	r->thread_started = true;
	cast_log(CAST_LOG_INFO, OBJ, "%s:%d node %u inbox %s", group, port,
	         cfg->node_id, r->inbox);
	*out = r;
	return 0;
fail:
	cast_file_receiver_free(&r);
	return err;
}

void cast_file_receiver_free(struct cast_file_receiver **rp)
{
	struct cast_file_receiver *r = rp ? *rp : NULL;
	if (!r)
		return;
	if (r->thread_started) {
		atomic_store(&r->stop, true);
		uint64_t one = 1;
		if (write(r->wfd, &one, sizeof(one)) < 0)
			cast_log(CAST_LOG_WARN, OBJ, "wake: %s",
			         strerror(errno));
		pthread_join(r->thread, NULL);
	}
	while (r->objs)
		obj_drop(r, r->objs, true);
	if (r->sess && r->sess != NORM_SESSION_INVALID) {
		NormStopReceiver(r->sess);
		NormDestroySession(r->sess);
	}
	if (r->inst && r->inst != NORM_INSTANCE_INVALID)
		NormDestroyInstance(r->inst);
	if (r->inc_fd >= 0) {
		close(r->inc_fd);
		/* Only when empty: a file in there is not ours to lose. */
		unlinkat(r->inbox_fd, CAST__FILES_INCOMING, AT_REMOVEDIR);
	}
	if (r->inbox_fd >= 0)
		close(r->inbox_fd);
	if (r->wfd >= 0)
		close(r->wfd);
	pthread_mutex_destroy(&r->mu);
	free(r->offers);
	free(r->inbox);
	free(r);
	*rp = NULL;
}

int cast_file_receiver_expect(struct cast_file_receiver *r,
                              const struct cast_file_offer *offer)
{
	if (!r || !offer || offer->transfer_id == 0 ||
	    memchr(offer->rel_path, '\0', sizeof(offer->rel_path)) == NULL)
		return CAST_ERROR(EINVAL);
	int err = cast_file_path_check(offer->rel_path);
	if (err < 0)
		return err;
	if (offer->size > r->cfg.max_file_size)
		return CAST_ERROR(EFBIG);
	pthread_mutex_lock(&r->mu);
	struct offer *of = offer_find(r, offer->transfer_id);
	if (of) {
		/* A completed id stays completed; an open one takes the
		 * newest description. */
		if (of->state == OFFER_OPEN)
			of->o = *offer;
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	if (r->n_offers == OFFERS_MAX) {
		/* Forget the oldest completed offer to make room. */
		size_t victim = OFFERS_MAX;
		for (size_t i = 0; i < r->n_offers; i++)
			if (r->offers[i].state == OFFER_DONE &&
			    (victim == OFFERS_MAX ||
			     r->offers[i].order < r->offers[victim].order))
				victim = i;
		if (victim == OFFERS_MAX) {
			pthread_mutex_unlock(&r->mu);
			return CAST_ERROR(ENOSPC);
		}
		r->offers[victim] = r->offers[--r->n_offers];
	}
	of = &r->offers[r->n_offers++];
	memset(of, 0, sizeof(*of));
	of->o = *offer;
	of->state = OFFER_OPEN;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

void cast_file_receiver_get_stats(struct cast_file_receiver *r,
                                  struct cast_file_receiver_stats *st)
{
	if (!r || !st)
		return;
	pthread_mutex_lock(&r->mu);
	*st = r->st;
	pthread_mutex_unlock(&r->mu);
}
