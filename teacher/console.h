/* The class console: every teacher action on students, scriptable through
 * `cast-teacher ctl`, and the class state re-applied when a student rejoins. */
#ifndef CAST_TEACHER_CONSOLE_H
#define CAST_TEACHER_CONSOLE_H

#include <cast/cast.h>

struct console_cfg {
	int channel;
	const char *iface;	/* multicast interface for file sending */
	/** Where Wake-on-LAN magic packets go (default 255.255.255.255:9). */
	const char *wol_addr;
	uint16_t wol_port;
	/** Settings file of this teacher (custom menu); NULL: none kept. */
	const char *settings_path;
	/** The roster and attendance database (SQLite); NULL: in memory. */
	const char *roster_path;
	/** Title of this lesson in the attendance (default: date and time). */
	const char *lesson;
	/** Collected homework goes to <homework_root>/<lesson>/<student>/. */
	const char *homework_root;
};

struct console;

int console_new(struct console **out, const struct console_cfg *cfg);
/** Attaches the control plane (after it was created with our callbacks). */
void console_set_ctl(struct console *c, struct cast_teacher_ctl *ctl);

/** cast_ctl_command_cb: one command (argv[0] its name) → JSON reply. */
char *console_ctl(int argc, char **argv, void *arg);
/** cast_student_event_cb: joins (state re-applied), events, replies. */
void console_event(const struct cast_student_info *info,
		   enum cast_student_event ev, void *arg);

/** Adds "console":{hands, messages, locked…} to a stats line. */
void console_json(struct console *c, struct cast_json *j);

void console_free(struct console **c);

#endif
