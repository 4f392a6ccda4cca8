/* Program options: command-line flags and config files through one parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/config.h"
#include "cast/error.h"
#include "cast/net.h"
#include "cast/options.h"

struct cast_options {
	const struct cast_option *own;
	cast_option_cb *cb;
	void *arg;
	struct cast_common_opts common;
	char **kept; /* every value handed out, freed with the parser */
	size_t n_kept, cap_kept;
};

static const struct cast_option common_options[] = {
	{"config", true, CAST_OPT_CONFIG},
	{"help", false, CAST_OPT_HELP},
	{"version", false, CAST_OPT_VERSION},
	{"key", true, CAST_OPT_KEY},
	{"key-code", true, CAST_OPT_KEY_CODE},
	{"channel", true, CAST_OPT_CHANNEL},
	{"iface", true, CAST_OPT_IFACE},
	{"duration", true, CAST_OPT_DURATION},
	{"stats", true, CAST_OPT_STATS},
	{"headless", false, CAST_OPT_HEADLESS},
	{"insecure", false, CAST_OPT_INSECURE},
	{NULL, false, 0},
};

void cast_options_cfg_init(struct cast_options_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static const struct cast_option *find_exact(const struct cast_option *t,
					    const char *name, size_t len)
{
	for (; t && t->name; t++)
		if (strlen(t->name) == len && !strncmp(t->name, name, len))
			return t;
	return NULL;
}

int cast_options_new(struct cast_options **out,
		     const struct cast_options_cfg *cfg)
{
	struct cast_options *o;

	if (!out || !cfg)
		return CAST_ERROR(EINVAL);
	for (const struct cast_option *t = cfg->own; t && t->name; t++) {
		if (t->id < CAST_OPT_APP || !cfg->cb ||
		    find_exact(common_options, t->name, strlen(t->name)))
			return CAST_ERROR(EINVAL);
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return CAST_ERROR(ENOMEM);
	o->own = cfg->own;
	o->cb = cfg->cb;
	o->arg = cfg->arg;
	o->common.channel = CAST_CHANNEL_MIN;
	*out = o;
	return 0;
}

void cast_options_free(struct cast_options **o)
{
	if (!o || !*o)
		return;
	for (size_t i = 0; i < (*o)->n_kept; i++)
		free((*o)->kept[i]);
	free((*o)->kept);
	free(*o);
	*o = NULL;
}

const struct cast_common_opts *cast_options_common(const struct cast_options *o)
{
	return &o->common;
}

/* A copy of `s` that lives as long as the parser; NULL when out of memory. */
static const char *keep(struct cast_options *o, const char *s)
{
	char *d;

	if (o->n_kept == o->cap_kept) {
		size_t cap = o->cap_kept ? 2 * o->cap_kept : 16;
		char **k = realloc(o->kept, cap * sizeof(*k));

		if (!k)
			return NULL;
		o->kept = k;
		o->cap_kept = cap;
	}
	d = strdup(s);
	if (d)
		o->kept[o->n_kept++] = d;
	return d;
}

static int set_common(struct cast_options *o, int id, const char *v,
		      char *why, size_t why_size)
{
	struct cast_common_opts *c = &o->common;
	char err[512];
	long n;
	int ret;

	switch (id) {
	case CAST_OPT_CONFIG:
		ret = cast_options_load(o, v, err, sizeof(err));
		if (ret)
			snprintf(why, why_size, "%s", err);
		return ret;
	case CAST_OPT_HELP:
		c->help = true;
		return 0;
	case CAST_OPT_VERSION:
		c->version = true;
		return 0;
	case CAST_OPT_KEY:
		c->key_path = v;
		return 0;
	case CAST_OPT_KEY_CODE:
		c->key_code = v;
		return 0;
	case CAST_OPT_CHANNEL:
		ret = cast_parse_int(v, CAST_CHANNEL_MIN, CAST_CHANNEL_MAX, &n);
		if (ret) {
			snprintf(why, why_size, "expected %d..%d",
				 CAST_CHANNEL_MIN, CAST_CHANNEL_MAX);
			return ret;
		}
		c->channel = (int)n;
		c->channel_set = true;
		return 0;
	case CAST_OPT_IFACE:
		c->iface = v;
		return 0;
	case CAST_OPT_DURATION:
		c->duration = strtod(v, NULL);
		if (c->duration <= 0) {
			snprintf(why, why_size, "expected seconds > 0");
			return CAST_ERROR(EINVAL);
		}
		return 0;
	case CAST_OPT_STATS:
		c->stats_path = v;
		return 0;
	case CAST_OPT_HEADLESS:
		c->headless = cast_parse_flag(v);
		return 0;
	case CAST_OPT_INSECURE:
		c->insecure = cast_parse_flag(v);
		return 0;
	default:
		return CAST_ERROR(EINVAL);
	}
}

/* Sets one option: `v` is NULL for a flag given without a value. */
static int set(struct cast_options *o, const struct cast_option *opt,
	       const char *v, char *why, size_t why_size)
{
	if (v && !(v = keep(o, v))) {
		snprintf(why, why_size, "out of memory");
		return CAST_ERROR(ENOMEM);
	}
	if (opt->id < CAST_OPT_APP)
		return set_common(o, opt->id, v, why, why_size);
	return o->cb(opt->id, v, o->arg, why, why_size);
}

static int config_cb(const char *key, const char *value, void *arg, char *why,
		     size_t why_size)
{
	struct cast_options *o = arg;
	size_t len = strlen(key);
	const struct cast_option *opt = find_exact(common_options, key, len);

	if (!opt)
		opt = find_exact(o->own, key, len);
	if (!opt || opt->id == CAST_OPT_CONFIG || opt->id == CAST_OPT_HELP ||
	    opt->id == CAST_OPT_VERSION) {
		snprintf(why, why_size, "unknown setting");
		return CAST_ERROR(EINVAL);
	}
	return set(o, opt, value, why, why_size);
}

int cast_options_load(struct cast_options *o, const char *path, char *err,
		      size_t err_size)
{
	if (!o || !path)
		return CAST_ERROR(EINVAL);
	return cast_config_load(path, config_cb, o, err, err_size);
}

/*
 * The option `name` (`len` bytes) names: exactly, else as the one option it
 * begins (getopt_long's abbreviations). Sets *ambiguous when it begins more.
 */
static const struct cast_option *find_option(const struct cast_options *o,
					     const char *name, size_t len,
					     bool *ambiguous)
{
	const struct cast_option *tables[2] = {common_options, o->own};
	const struct cast_option *found = NULL;

	*ambiguous = false;
	found = find_exact(common_options, name, len);
	if (!found)
		found = find_exact(o->own, name, len);
	if (found)
		return found;
	for (int i = 0; i < 2; i++) {
		for (const struct cast_option *t = tables[i]; t && t->name;
		     t++) {
			if (strncmp(t->name, name, len))
				continue;
			if (found) {
				*ambiguous = true;
				return NULL;
			}
			found = t;
		}
	}
	return found;
}

int cast_options_parse(struct cast_options *o, int argc, char *const *argv,
		       char *err, size_t err_size)
{
	const char *extra = NULL; /* the first argument that is no option */
	char why[1024];
	int i, ret;

	if (!o || argc < 0 || (argc && !argv))
		return CAST_ERROR(EINVAL);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *v = NULL;
		const struct cast_option *opt;
		bool ambiguous;
		size_t len;

		if (!strcmp(a, "--")) {
			if (!extra && i + 1 < argc)
				extra = argv[i + 1];
			break;
		}
		if (a[0] != '-' || !a[1]) {
			if (!extra)
				extra = a;
			continue;
		}
		if (a[1] != '-') {
			snprintf(err, err_size, "unrecognized option '%s'", a);
			return CAST_EUSAGE;
		}
		name = a + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		opt = find_option(o, name, len, &ambiguous);
		if (!opt) {
			snprintf(err, err_size, "%s option '--%.*s'",
				 ambiguous ? "ambiguous" : "unrecognized",
				 (int)len, name);
			return CAST_EUSAGE;
		}
		if (opt->has_arg && eq) {
			v = eq + 1;
		} else if (opt->has_arg) {
			if (i + 1 >= argc) {
				snprintf(err, err_size,
					 "option '--%s' requires an argument",
					 opt->name);
				return CAST_EUSAGE;
			}
			v = argv[++i];
		} else if (eq) {
			snprintf(err, err_size,
				 "option '--%s' doesn't allow an argument",
				 opt->name);
			return CAST_EUSAGE;
		}
		why[0] = '\0';
		ret = set(o, opt, v, why, sizeof(why));
		if (ret) {
			snprintf(err, err_size, "--%s: %s", opt->name,
				 why[0] ? why : cast_strerror(ret));
			return ret;
		}
		if (o->common.help || o->common.version)
			return 0;
	}
	if (extra) {
		snprintf(err, err_size, "unexpected argument '%s'", extra);
		return CAST_ERROR(EINVAL);
	}
	return 0;
}
