/* Capture registry: finds a source backend by name and forwards to it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cast/log.h"
#include "capture/capture_int.h"

struct cast_capture {
	const struct cast__capture_backend *be;
	void *priv;
	int width, height;
	/* Exclusions set from any thread, handed to the backend by grab. */
	pthread_mutex_t lock;
	struct cast_rect excl[CAST_CAPTURE_EXCLUDE_MAX];
	int n_excl;
	bool excl_changed;
};

/* Preference order: the real screen first; a file needs a path. */
static const struct cast__capture_backend *const backends[] = {
    &cast__capture_x11,
    &cast__capture_testpattern,
    &cast__capture_file,
};

#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

static const char *const backend_names[N_BACKENDS + 1] = {
    "x11",
    "testpattern",
    "file",
    NULL,
};

const char *const *cast_capture_backends(void)
{
	return backend_names;
}

const struct cast__capture_backend *cast__capture_find(const char *name)
{
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

void cast_capture_cfg_init(struct cast_capture_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = "testpattern";
	cfg->width = 1920;
	cfg->height = 1080;
	cfg->fps = 30;
	cfg->draw_cursor = true;
	cfg->use_damage = true;
}

int cast_capture_new(struct cast_capture **out,
                     const struct cast_capture_cfg *cfg)
{
	const struct cast__capture_backend *be;
	struct cast_capture *c;
	const char *name;
	int err;

	if (!out || !cfg)
		return CAST_ERROR(EINVAL);
	name = cfg->backend ? cfg->backend : "testpattern";
	be = cast__capture_find(name);
	if (!be) {
		cast_log(CAST_LOG_ERROR, "capture", "no backend named '%s'",
		         name);
		return CAST_ENOBACKEND;
	}
	err = be->probe(cfg);
	if (err) {
		cast_log(CAST_LOG_WARN, "capture", "%s: not available: %s",
		         name, cast_strerror(err));
		return CAST_ENOBACKEND;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return CAST_ERROR(ENOMEM);
	c->be = be;
	pthread_mutex_init(&c->lock, NULL);
	err = be->open(&c->priv, cfg, &c->width, &c->height);
	if (err) {
		cast_log(CAST_LOG_ERROR, "capture", "%s: open failed: %s", name,
		         cast_strerror(err));
		pthread_mutex_destroy(&c->lock);
		free(c);
		return err;
	}
	cast_log(CAST_LOG_INFO, "capture", "%s: %dx%d", name, c->width,
	         c->height);
	*out = c;
	return 0;
}

int cast_capture_grab(struct cast_capture *c, struct cast_frame *frame)
{
	if (!c || !frame)
		return CAST_ERROR(EINVAL);
	if (c->be->exclude) {
		pthread_mutex_lock(&c->lock);
		if (c->excl_changed)
			c->be->exclude(c->priv, c->excl, c->n_excl);
		c->excl_changed = false;
		pthread_mutex_unlock(&c->lock);
	}
	return c->be->grab(c->priv, frame);
}

int cast_capture_exclude(struct cast_capture *c, const struct cast_rect *r,
			 int n)
{
	if (!c || n < 0 || (n && !r))
		return CAST_ERROR(EINVAL);
	if (!c->be->exclude)
		return CAST_ERROR(ENOTSUP);
	if (n > CAST_CAPTURE_EXCLUDE_MAX)
		return CAST_ERROR(E2BIG);
	pthread_mutex_lock(&c->lock);
	/* Unchanged: no full re-read of the screen. */
	if (n != c->n_excl || memcmp(c->excl, r, sizeof(*r) * (size_t)n)) {
		if (n)
			memcpy(c->excl, r, sizeof(*r) * (size_t)n);
		c->n_excl = n;
		c->excl_changed = true;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void cast_capture_size(const struct cast_capture *c, int *w, int *h)
{
	if (w)
		*w = c ? c->width : 0;
	if (h)
		*h = c ? c->height : 0;
}

const char *cast_capture_backend(const struct cast_capture *c)
{
	return c ? c->be->name : NULL;
}

void cast_capture_free(struct cast_capture **c)
{
	if (!c || !*c)
		return;
	(*c)->be->close((*c)->priv);
	pthread_mutex_destroy(&(*c)->lock);
	free(*c);
	*c = NULL;
}
