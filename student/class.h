/* What the teacher has set on this student, and the commands that set it. */
#ifndef CAST_STUDENT_CLASS_H
#define CAST_STUDENT_CLASS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cast/cast.h>

/* Local settings the teacher cannot change (the lab admin's config). */
struct class_cfg {
	/** Folder for the persisted state (lock survives restarts). */
	const char *state_dir;
	/** Program that opens a URL (argv[0]; the URL is argv[1]). */
	const char *open_cmd;
	/**
	 * Shutdown and restart commands (run without a shell, no arguments);
	 * NULL: "systemctl poweroff" and "systemctl reboot".
	 */
	const char *poweroff_cmd;
	const char *reboot_cmd;
	/** URL schemes students may be sent to, comma-separated. */
	const char *url_schemes;
	/** May the teacher set this machine's clock. */
	bool allow_clock_set;
};

#define CLASS_TEXT CAST_TEXT_MAX	/* a message's body */
#define CLASS_NOTICE CAST_NOTICE_MAX	/* every other text */

/* The class state; every field under `lock`. */
struct class_state {
	pthread_mutex_t lock;
	char path[1024];		/* persisted state file, "" none */
	uint64_t version;		/* bumped on every change */
	bool locked;
	char lock_notice[CLASS_NOTICE];
	/* Watermark: which fields, and how (as the teacher sent them). */
	char wm_fields[128];		/* e.g. "id,name,ip" ("" off) */
	char wm_text[CLASS_NOTICE];
	int wm_opacity;			/* 0..100 */
	char wm_place[16];		/* corner|center|tiled */
	char language[16];
	char marquee[CLASS_NOTICE];
	int64_t marquee_until_us;	/* CLOCK_REALTIME */
	char msg_title[CLASS_NOTICE];
	char msg_text[CLASS_TEXT];
	uint64_t messages;
	bool hand;
	char last_url[CLASS_NOTICE];
	uint64_t urls_opened;
	uint64_t commands, refused;
};

void class_state_init(struct class_state *s, const char *state_dir);
/** Reads the persisted state (lock, watermark, language); 0 or -errno. */
int class_state_load(struct class_state *s);

/**
 * Carries out one authenticated COMMAND from the teacher. `args` are a
 * cast_args list. A command changes only what it names; one with a bad or
 * over-long value changes nothing. Returns 0 or a negative errno (sent
 * back in REPLY): -EINVAL, -EMSGSIZE, -EPERM, -ENOSYS, …
 */
int class_command(struct class_state *s, const struct class_cfg *cfg,
		  const char *name, const uint8_t *args, size_t len);

/** Adds the state as "class":{…} to a stats line. */
void class_state_json(struct class_state *s, struct cast_json *j);

#endif
