/* The "voice" ctl verb: the teacher's voice, who plays it, the lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/audio.h"
#include "cast/class.h"
#include "cast/error.h"
#include "cast/stats.h"

struct cast_voice_ctl {
	struct cast_voice_sender *v;
	struct cast_class *cls;
	bool locked;		/* `voice on --lock` locked the listeners */
	char lock_to[1024];	/* whom ("" everyone) */
};

int cast_voice_ctl_new(struct cast_voice_ctl **out, struct cast_class *cls,
		       struct cast_voice_sender *v)
{
	struct cast_voice_ctl *vc;

	if (!out || !cls || !v)
		return CAST_ERROR(EINVAL);
	vc = calloc(1, sizeof(*vc));
	if (!vc)
		return CAST_ERROR(ENOMEM);
	vc->cls = cls;
	vc->v = v;
	*out = vc;
	return 0;
}

void cast_voice_ctl_free(struct cast_voice_ctl **vc)
{
	if (!vc)
		return;
	free(*vc);
	*vc = NULL;
}

static char *reply(bool ok, const char *what, const char *to, int sent)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_bool(&j, "ok", ok);
	if (ok) {
		cast_json_str(&j, "voice", what);
		cast_json_str(&j, "to", to ? to : "all");
		cast_json_int(&j, "sent", sent);
	} else {
		cast_json_str(&j, "error", what);
	}
	cast_json_end(&j);
	return cast_json_take(&j);
}

char *cast_voice_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	static const char usage[] = "usage: voice on|off [--to IDS] [--lock]";
	struct cast_voice_ctl *vc = arg;
	struct cast_command cmd;
	const char *to = NULL;
	char *json = NULL;
	int n, sent = 0;
	bool on, lock = false;

	(void)req;
	if (!vc)
		return reply(false, cast_strerror(CAST_ERROR(EINVAL)), NULL, 0);
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc && !to)
			to = argv[++i];
		else if (!strcmp(argv[i], "--lock") && !lock)
			lock = true;
		else
			return reply(false, usage, NULL, 0);
	}
	if (argc < 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off")))
		return reply(false, usage, NULL, 0);
	on = !strcmp(argv[1], "on");
	if (!on && (to || lock))
		return reply(false, "voice off is for everyone: use "
			     "voice on --to IDS to choose", NULL, 0);
	if (to && !strcmp(to, "all"))
		to = NULL;
	/* Everyone hears it, or nobody but the chosen ones. */
	cast_command_init(&cmd, CAST_CMD_VOICE);
	cmd.u.voice.on = on && !to;
	n = cast_class_command(vc->cls, NULL, &cmd, NULL);
	if (n >= 0 && to) {
		cmd.u.voice.on = true;
		n = cast_class_command(vc->cls, to, &cmd, &json);
		if (n < 0)
			return json;
		free(json);
	}
	if (n < 0)
		return reply(false, cast_strerror(n), NULL, 0);
	sent = n;
	cast_voice_sender_enable(vc->v, on);
	/* The listeners' screen, keyboard and mouse while the teacher
	 * speaks (--lock); what the voice locked, it unlocks. */
	if (vc->locked && (!on || lock || !to != !vc->lock_to[0] ||
			   (to && strcmp(to, vc->lock_to)))) {
		cast_command_init(&cmd, CAST_CMD_UNLOCK);
		cast_class_command(vc->cls, vc->lock_to[0] ? vc->lock_to : NULL,
				   &cmd, NULL);
		vc->locked = false;
	}
	if (on && lock) {
		cast_command_init(&cmd, CAST_CMD_LOCK);
		snprintf(cmd.u.lock.notice, sizeof(cmd.u.lock.notice),
			 "The teacher is speaking");
		if (cast_class_command(vc->cls, to, &cmd, NULL) >= 0) {
			vc->locked = true;
			snprintf(vc->lock_to, sizeof(vc->lock_to), "%s",
				 to ? to : "");
		}
	}
	return reply(true, on ? "on" : "off", to, sent);
}
