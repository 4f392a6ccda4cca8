/* The "broadcast" ctl verb: the teacher stops and starts its broadcast. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cast/class.h"
#include "cast/error.h"
#include "cast/log.h"
#include "cast/record.h"
#include "cast/sender.h"
#include "cast/stats.h"

struct cast_broadcast_ctl {
	struct cast_class *cls;
	struct cast_sender *sender;
	struct cast_recorder *rec;	/* NULL: no recording to pause */
	pthread_mutex_t lock;		/* one change at a time */
};

int cast_broadcast_ctl_new(struct cast_broadcast_ctl **out,
			   struct cast_class *cls, struct cast_sender *sender,
			   struct cast_recorder *rec)
{
	struct cast_broadcast_ctl *bc;

	if (!out || !cls || !sender)
		return CAST_ERROR(EINVAL);
	bc = calloc(1, sizeof(*bc));
	if (!bc)
		return CAST_ERROR(ENOMEM);
	bc->cls = cls;
	bc->sender = sender;
	bc->rec = rec;
	pthread_mutex_init(&bc->lock, NULL);
	*out = bc;
	return 0;
}

void cast_broadcast_ctl_free(struct cast_broadcast_ctl **bc)
{
	if (!bc || !*bc)
		return;
	pthread_mutex_destroy(&(*bc)->lock);
	free(*bc);
	*bc = NULL;
}

int cast_broadcast_set(struct cast_broadcast_ctl *bc, bool on)
{
	struct cast_command cmd;
	int n;

	if (!bc)
		return CAST_ERROR(EINVAL);
	pthread_mutex_lock(&bc->lock);
	/*
	 * Stopping: no media first, then the seats step aside (they would
	 * otherwise wait on a picture that never comes). Starting: media
	 * first, so the keyframe is on its way when the windows come back.
	 */
	cast_sender_set_active(bc->sender, on);
	cast_recorder_pause(bc->rec, !on);
	cast_command_init(&cmd, CAST_CMD_BROADCAST);
	cmd.u.broadcast.on = on;
	n = cast_class_command(bc->cls, NULL, &cmd, NULL);
	pthread_mutex_unlock(&bc->lock);
	if (n < 0)
		cast_log(CAST_LOG_WARN, "broadcast", "telling the students: %s",
			 cast_strerror(n));
	return n;
}

bool cast_broadcast_on(struct cast_broadcast_ctl *bc)
{
	return bc && cast_sender_active(bc->sender);
}

static char *error(const char *why)
{
	return cast_json_error("%s", why);
}

char *cast_broadcast_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	static const char usage[] = "usage: broadcast on|off|status "
				    "(for the whole class)";
	struct cast_broadcast_ctl *bc = arg;
	struct cast_sender_stats st;
	struct cast_json j;
	int n = 0;

	(void)req;
	if (!bc)
		return error(cast_strerror(CAST_ERROR(EINVAL)));
	if (argc > 2)
		return error(usage);
	if (argc == 2 && strcmp(argv[1], "status")) {
		if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
			return error(usage);
		n = cast_broadcast_set(bc, !strcmp(argv[1], "on"));
		if (n < 0)
			return error(cast_strerror(n));
	}
	cast_sender_stats(bc->sender, &st);
	cast_json_begin(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_str(&j, "broadcast", st.active ? "on" : "off");
	cast_json_bool(&j, "broadcasting", st.active);
	if (argc == 2 && strcmp(argv[1], "status"))
		cast_json_int(&j, "sent", n);
	cast_json_int(&j, "frames_sent", (int64_t)st.frames_sent);
	cast_json_int(&j, "stops", (int64_t)st.stops);
	cast_json_end(&j);
	return cast_json_take(&j);
}
