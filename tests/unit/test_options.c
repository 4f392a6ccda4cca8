/* Program options: flags and config files through one parser, errors named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/cast.h"

enum { OPT_FPS = CAST_OPT_APP, OPT_NAME, OPT_LOOP };

static const struct cast_option own[] = {
	{"fps", true, OPT_FPS},
	{"name", true, OPT_NAME},
	{"loop", false, OPT_LOOP},
	{NULL, false, 0},
};

/* What a program would keep: values are the parser's, stored as given. */
struct prog {
	long fps;
	const char *name;
	bool loop;
	int calls;
};

static int set_own(int id, const char *v, void *arg, char *why,
		   size_t why_size)
{
	struct prog *p = arg;

	p->calls++;
	switch (id) {
	case OPT_FPS:
		if (cast_parse_int(v, 1, 120, &p->fps)) {
			snprintf(why, why_size, "bad number '%s'", v);
			return CAST_ERROR(EINVAL);
		}
		return 0;
	case OPT_NAME:
		p->name = v;
		return 0;
	case OPT_LOOP:
		p->loop = cast_parse_flag(v);
		return 0;
	default:
		return CAST_ERROR(EINVAL);
	}
}

static struct cast_options *new_opts(struct prog *p)
{
	struct cast_options_cfg cfg;
	struct cast_options *o = NULL;

	cast_options_cfg_init(&cfg);
	cfg.own = own;
	cfg.cb = set_own;
	cfg.arg = p;
	assert_int_equal(cast_options_new(&o, &cfg), 0);
	assert_non_null(o);
	return o;
}

/* Writes `text` to a new temporary file; its path goes into `path`. */
static void write_temp(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/cast-options-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int parse(struct cast_options *o, char **argv, char *err,
		 size_t err_size)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	return cast_options_parse(o, argc, argv, err, err_size);
}

static void defaults(void **state)
{
	struct prog p = {0};
	struct cast_options *o = new_opts(&p);
	const struct cast_common_opts *c = cast_options_common(o);
	char *argv[] = {"prog", NULL}, err[256];

	(void)state;
	assert_int_equal(parse(o, argv, err, sizeof(err)), 0);
	assert_int_equal(c->channel, 1);
	assert_null(c->iface);
	assert_null(c->key_path);
	assert_null(c->key_code);
	assert_null(c->stats_path);
	assert_true(c->duration == 0);
	assert_false(c->headless || c->insecure || c->help || c->version);
	assert_int_equal(p.calls, 0);
	cast_options_free(&o);
	assert_null(o);
	cast_options_free(&o);
}

static void argv_common_and_own(void **state)
{
	struct prog p = {0};
	struct cast_options *o = new_opts(&p);
	const struct cast_common_opts *c = cast_options_common(o);
	char err[256];
	char *argv[] = {"prog",	     "--channel", "7",	    "--iface=eth1",
			"--key",     "/k",	  "--key-code", "ABCD",
			"--stats",   "-",	  "--duration", "2.5",
			"--headless", "--insecure", "--fps",     "25",
			"--name",    "--dash",	  "--lo",	"--ifa",
			"lo",	     NULL};

	(void)state;
	assert_int_equal(parse(o, argv, err, sizeof(err)), 0);
	assert_int_equal(c->channel, 7);
	assert_string_equal(c->iface, "lo"); /* the later one wins */
	assert_string_equal(c->key_path, "/k");
	assert_string_equal(c->key_code, "ABCD");
	assert_string_equal(c->stats_path, "-");
	assert_true(c->duration > 2.4 && c->duration < 2.6);
	assert_true(c->headless);
	assert_true(c->insecure);
	assert_int_equal(p.fps, 25);
	/* A value may start with a dash; the parser owns the copy. */
	assert_string_equal(p.name, "--dash");
	assert_ptr_not_equal(p.name, argv[17]);
	assert_true(p.loop); /* "--lo": the one option it begins */
	cast_options_free(&o);
}

static void help_stops(void **state)
{
	struct prog p = {0};
	struct cast_options *o = new_opts(&p);
	char *argv[] = {"prog", "--fps", "30", "--help", "--bogus", NULL};
	char err[256];

	(void)state;
	assert_int_equal(parse(o, argv, err, sizeof(err)), 0);
	assert_true(cast_options_common(o)->help);
	assert_int_equal(p.fps, 30);
	cast_options_free(&o);
}

static void argv_errors(void **state)
{
	static const struct {
		char *argv[5];
		int ret;
		const char *want;
	} cases[] = {
		{{"p", "--bogus", NULL}, CAST_EUSAGE,
		 "unrecognized option '--bogus'"},
		{{"p", "-x", NULL}, CAST_EUSAGE, "unrecognized option '-x'"},
		{{"p", "--fps", NULL}, CAST_EUSAGE,
		 "option '--fps' requires an argument"},
		{{"p", "--headless=yes", NULL}, CAST_EUSAGE,
		 "option '--headless' doesn't allow an argument"},
		{{"p", "--k", "x", NULL}, CAST_EUSAGE,
		 "ambiguous option '--k'"},
		{{"p", "extra", "--fps", "5", NULL}, CAST_ERROR(EINVAL),
		 "unexpected argument 'extra'"},
		{{"p", "--", "--fps", NULL}, CAST_ERROR(EINVAL),
		 "unexpected argument '--fps'"},
		{{"p", "--fps", "500", NULL}, CAST_ERROR(EINVAL),
		 "--fps: bad number '500'"},
		{{"p", "--channel", "0", NULL}, CAST_ERROR(ERANGE),
		 "--channel: expected 1..999"},
		{{"p", "--duration", "-1", NULL}, CAST_ERROR(EINVAL),
		 "--duration: expected seconds > 0"},
		{{"p", "--config", "/nonexistent/c.conf", NULL},
		 CAST_ERROR(ENOENT), "--config: /nonexistent/c.conf: "},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prog p = {0};
		struct cast_options *o = new_opts(&p);
		char err[256];
		int ret = parse(o, (char **)cases[i].argv, err, sizeof(err));

		/* `want` is the message or, for system errors, its start. */
		if (ret != cases[i].ret ||
		    strncmp(err, cases[i].want, strlen(cases[i].want)))
			fail_msg("case %zu: %d '%s', want %d '%s'", i, ret, err,
				 cases[i].ret, cases[i].want);
		cast_options_free(&o);
	}
}

static void config_file(void **state)
{
	struct prog p = {0};
	struct cast_options *o = new_opts(&p);
	const struct cast_common_opts *c = cast_options_common(o);
	char path[64], arg[80], err[512];
	char *argv[] = {"prog", "--channel", "3", arg, "--fps", "60", NULL};

	(void)state;
	write_temp(path, "# lab 2\nchannel = 12\nname = \"Li Lei\"\n"
			 "headless =\nloop = no\nfps = 10\nkey-code = XY\n");
	snprintf(arg, sizeof(arg), "--config=%s", path);
	assert_int_equal(parse(o, argv, err, sizeof(err)), 0);
	/* In order: the file overrides what came before, argv after wins. */
	assert_int_equal(c->channel, 12);
	assert_int_equal(p.fps, 60);
	assert_string_equal(p.name, "Li Lei");
	assert_true(c->headless);
	assert_false(p.loop);
	assert_string_equal(c->key_code, "XY");
	cast_options_free(&o);
	unlink(path);
}

static void config_errors_name_the_line(void **state)
{
	static const struct {
		const char *text;
		int ret;
		const char *want; /* after "PATH:" */
	} cases[] = {
		{"channel = 4\nfps = fast\n", CAST_ERROR(EINVAL),
		 "2: fps: bad number 'fast'"},
		{"\n\nchannel = 1000\n", CAST_ERROR(ERANGE),
		 "3: channel: expected 1..999"},
		{"colour = red\n", CAST_ERROR(EINVAL),
		 "1: colour: unknown setting"},
		{"# no\nconfig = other.conf\n", CAST_ERROR(EINVAL),
		 "2: config: unknown setting"},
		{"help = yes\n", CAST_ERROR(EINVAL), "1: help: unknown setting"},
		/* Files take exact names, never abbreviations. */
		{"chan = 3\n", CAST_ERROR(EINVAL), "1: chan: unknown setting"},
		{"fps 30\n", CAST_EMALFORMED, "1: expected 'key = value'"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prog p = {0};
		struct cast_options *o = new_opts(&p);
		char path[64], want[256], err[512], arg[300];
		char *argv[] = {"prog", "--config", path, NULL};
		int ret;

		write_temp(path, cases[i].text);
		/* Loaded directly, and through --config on the command line. */
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].want);
		ret = cast_options_load(o, path, err, sizeof(err));
		if (ret != cases[i].ret || strcmp(err, want))
			fail_msg("case %zu: %d '%s', want %d '%s'", i, ret, err,
				 cases[i].ret, want);
		snprintf(arg, sizeof(arg), "--config: %s", want);
		ret = parse(o, argv, err, sizeof(err));
		if (ret != cases[i].ret || strcmp(err, arg))
			fail_msg("case %zu: %d '%s', want '%s'", i, ret, err,
				 arg);
		cast_options_free(&o);
		unlink(path);
	}
}

static void bad_tables(void **state)
{
	static const struct cast_option low_id[] = {{"x", true, 5},
						    {NULL, false, 0}};
	static const struct cast_option taken[] = {
		{"channel", true, CAST_OPT_APP}, {NULL, false, 0}};
	struct cast_options_cfg cfg;
	struct cast_options *o = NULL;

	(void)state;
	cast_options_cfg_init(&cfg);
	cfg.cb = set_own;
	cfg.own = low_id;
	assert_int_equal(cast_options_new(&o, &cfg), CAST_ERROR(EINVAL));
	cfg.own = taken;
	assert_int_equal(cast_options_new(&o, &cfg), CAST_ERROR(EINVAL));
	cfg.own = own;
	cfg.cb = NULL;
	assert_int_equal(cast_options_new(&o, &cfg), CAST_ERROR(EINVAL));
	assert_null(o);
	/* No options of its own: the common ones only. */
	cast_options_cfg_init(&cfg);
	assert_int_equal(cast_options_new(&o, &cfg), 0);
	cast_options_free(&o);
}

/* Many values kept: all freed with the parser (the sanitizer build checks). */
static void many_values_freed(void **state)
{
	struct prog p = {0};
	struct cast_options *o = new_opts(&p);
	char *argv[402], err[256];

	(void)state;
	argv[0] = "prog";
	for (int i = 1; i < 401; i += 2) {
		argv[i] = "--name";
		argv[i + 1] = "a value that is kept until the parser is freed";
	}
	argv[401] = NULL;
	assert_int_equal(parse(o, argv, err, sizeof(err)), 0);
	assert_int_equal(p.calls, 200);
	assert_string_equal(p.name, argv[2]);
	cast_options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(argv_common_and_own),
		cmocka_unit_test(help_stops),
		cmocka_unit_test(argv_errors),
		cmocka_unit_test(config_file),
		cmocka_unit_test(config_errors_name_the_line),
		cmocka_unit_test(bad_tables),
		cmocka_unit_test(many_values_freed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
