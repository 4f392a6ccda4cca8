/* Program options: flags and config files, and the flags all programs share. */
#ifndef CAST_OPTIONS_H
#define CAST_OPTIONS_H

#include "defs.h"

/*
 * Each option is "--name [VALUE]" on the command line and "name = value" in
 * a config file (see cast/config.h); both go through the same code, so a
 * setting means the same wherever it is given and a later one wins.
 *
 * The flags every libcast program takes are parsed here into struct
 * cast_common_opts:
 *   --config FILE   read FILE's settings at this point (not in a file)
 *   --key FILE, --key-code CODE, --channel N (1..999), --iface NAME|ADDR,
 *   --duration SEC (> 0), --stats FILE|-, --headless, --insecure
 *   --help, --version  stop the parse (not in a file)
 * A program adds its own options in a table with ids from CAST_OPT_APP;
 * their values go to its callback.
 */

/** Ids of the common options; a program numbers its own from CAST_OPT_APP. */
enum cast_opt_id {
	CAST_OPT_CONFIG = 1,
	CAST_OPT_HELP,
	CAST_OPT_VERSION,
	CAST_OPT_KEY,
	CAST_OPT_KEY_CODE,
	CAST_OPT_CHANNEL,
	CAST_OPT_IFACE,
	CAST_OPT_DURATION,
	CAST_OPT_STATS,
	CAST_OPT_HEADLESS,
	CAST_OPT_INSECURE,
	CAST_OPT_APP = 256,
};

/** One option of a program's table; a table ends with a NULL name. */
struct cast_option {
	const char *name; /* without the "--" */
	bool has_arg;	  /* --name VALUE; else a flag (value NULL) */
	int id;		  /* CAST_OPT_APP or more */
};

/** The common options' values; strings live until cast_options_free. */
struct cast_common_opts {
	int channel;		/* default 1 */
	bool channel_set;	/* --channel was given (flag or file) */
	const char *iface;	/* NULL: the routing table's choice */
	const char *key_path;	/* NULL unless given */
	const char *key_code;	/* NULL unless given */
	const char *stats_path; /* "-" for stdout; NULL: no stats */
	double duration;	/* seconds; 0: run until stopped */
	bool headless;
	bool insecure;
	bool help;    /* --help was given: the parse stopped there */
	bool version; /* --version was given: the parse stopped there */
};

/**
 * Sets one of the program's own options. `value` is NULL for a flag given
 * on the command line, the text after '=' for one in a config file (read it
 * with cast_parse_flag), and lives until cast_options_free (store it as is).
 * Return 0, or a negative error and a short reason in `why`.
 */
typedef int(cast_option_cb)(int id, const char *value, void *arg, char *why,
			    size_t why_size);

struct cast_options_cfg {
	const struct cast_option *own; /* the program's options; may be NULL */
	cast_option_cb *cb;	       /* required when `own` has any */
	void *arg;
};

struct cast_options;

/** Defaults: no options of the program's own. */
CAST_API void cast_options_cfg_init(struct cast_options_cfg *cfg);

/**
 * Creates a parser with the common options at their defaults. The table in
 * `cfg` is borrowed and must outlive the parser. Errors: -EINVAL (an id
 * below CAST_OPT_APP, a name the common options use, no callback),
 * -ENOMEM. `*out` is written only on success.
 */
CAST_API int cast_options_new(struct cast_options **out,
			      const struct cast_options_cfg *cfg);

/** Frees the parser and every value it handed out; writes NULL. */
CAST_API void cast_options_free(struct cast_options **o);

/**
 * Parses argv[1..argc-1] like getopt_long: "--name VALUE", "--name=VALUE",
 * an unambiguous prefix of a name, "--" ends the options. Stops with 0 at
 * --help or --version (see cast_common_opts). On failure writes one line
 * without the program's name into `err`:
 *   CAST_EUSAGE: an unknown, ambiguous or malformed option ("unrecognized
 *     option '--x'", "option '--fps' requires an argument"): show the usage;
 *   -EINVAL: an argument that is not an option ("unexpected argument 'x'");
 *   the callback's error, or the common option's: "--NAME: reason", and
 *     for --config "--config: FILE:LINE: key: reason";
 *   -ENOMEM.
 */
CAST_API int cast_options_parse(struct cast_options *o, int argc,
				char *const *argv, char *err, size_t err_size);

/**
 * Applies the settings of the config file at `path` (as --config does):
 * exact names only; config, help and version are refused there. Errors are
 * those of cast_config_load, with "FILE:LINE: key: reason" in `err`.
 */
CAST_API int cast_options_load(struct cast_options *o, const char *path,
			       char *err, size_t err_size);

/** The common options as parsed so far. */
CAST_API const struct cast_common_opts *
cast_options_common(const struct cast_options *o);

#endif
