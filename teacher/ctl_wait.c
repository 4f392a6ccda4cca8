/* cast-teacher ctl: waits for the students' replies to a command it sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cast/cast.h>

#include "ctl_wait.h"

#define MAX_IDS 256

struct outcome {
	long cmd_id;
	bool answered, ok;
	char id[64];
	char error[128];
};

/*
 * Copies the JSON string that starts at `p` (just after its opening quote)
 * into `out`, undoing simple escapes; returns the character after the
 * closing quote, or NULL.
 */
static const char *json_string(const char *p, char *out, size_t size)
{
	size_t n = 0;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (n + 1 < size)
			out[n++] = *p;
	}
	if (size)
		out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/* The value of "key" inside [obj, end): a string copied, or NULL. */
static bool obj_str(const char *obj, const char *end, const char *key,
		    char *out, size_t size)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(obj, pat);
	if (!p || p >= end)
		return false;
	return json_string(p + strlen(pat), out, size) != NULL;
}

/* Reads the "command_ids":[…] of the first answer; returns how many. */
static int command_ids(const char *reply, struct outcome *o, int max)
{
	const char *p = strstr(reply, "\"command_ids\":[");
	char *end;
	int n = 0;

	if (!p)
		return 0;
	p += strlen("\"command_ids\":[");
	while (n < max) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		memset(&o[n], 0, sizeof(o[n]));
		o[n++].cmd_id = v;
		p = end;
		if (*p == ',')
			p++;
	}
	return n;
}

/* Matches the teacher's "replies" list against the outcomes we wait for. */
static void match_replies(const char *reply, struct outcome *o, int n)
{
	const char *p = reply, *next;

	while ((p = strstr(p, "{\"command_id\":")) != NULL) {
		long id = strtol(p + strlen("{\"command_id\":"), NULL, 10);

		next = strstr(p + 1, "{\"command_id\":");
		if (!next)
			next = p + strlen(p);
		for (int i = 0; i < n; i++) {
			if (o[i].cmd_id != id || o[i].answered)
				continue;
			o[i].answered = true;
			obj_str(p, next, "id", o[i].id, sizeof(o[i].id));
			o[i].ok = strstr(p, "\"ok\":true") &&
				  strstr(p, "\"ok\":true") < next;
			if (!o[i].ok &&
			    !obj_str(p, next, "error", o[i].error,
				     sizeof(o[i].error)))
				snprintf(o[i].error, sizeof(o[i].error),
					 "failed");
			break;
		}
		p = next;
	}
}

int ctl_wait_replies(const char *socket_path, const char *command,
		     const char *first, int timeout_ms, char *out, size_t size)
{
	static struct outcome o[MAX_IDS];
	static const char *const ask[] = {"replies"};
	char offline[1024], *replies = NULL;
	struct cast_json j;
	int n, waited = 0, left, err = 0;
	bool ok;

	if (strstr(first, "\"ok\":false") || !strncmp(first, "{\"error\"", 9))
		return 0; /* refused at once: the first answer says it */
	n = command_ids(first, o, MAX_IDS);
	if (!strstr(first, "\"offline\":\"") ||
	    !json_string(strstr(first, "\"offline\":\"") + 11, offline,
			 sizeof(offline)))
		offline[0] = '\0';
	for (;;) {
		int r = cast_ctl_request(socket_path, 1, ask, &replies);

		if (r < 0) {
			err = r;
			break;
		}
		match_replies(replies, o, n);
		free(replies);
		replies = NULL;
		left = 0;
		for (int i = 0; i < n; i++)
			left += !o[i].answered;
		if (!left || waited >= timeout_ms)
			break;
		usleep(200000);
		waited += 200;
	}

	ok = n > 0 && !offline[0] && !err;
	cast_json_begin(&j);
	cast_json_str(&j, "command", command);
	cast_json_array(&j, "students");
	for (int i = 0; i < n; i++) {
		cast_json_obj(&j, NULL);
		cast_json_int(&j, "command_id", o[i].cmd_id);
		if (o[i].id[0])
			cast_json_str(&j, "id", o[i].id);
		cast_json_bool(&j, "ok", o[i].answered && o[i].ok);
		if (!o[i].answered)
			cast_json_str(&j, "error",
				      err ? cast_strerror(err)
					  : "no reply in time");
		else if (!o[i].ok)
			cast_json_str(&j, "error", o[i].error);
		cast_json_end(&j);
		ok = ok && o[i].answered && o[i].ok;
	}
	cast_json_array_end(&j);
	if (offline[0])
		cast_json_str(&j, "offline", offline);
	if (!n)
		cast_json_str(&j, "error", "no student was sent the command");
	cast_json_bool(&j, "ok", ok);
	cast_json_end(&j);
	if (j.len >= size)
		return CAST_ERROR(ENOSPC);
	memcpy(out, j.buf, j.len);
	out[j.len] = '\0';
	return ok ? 1 : 2;
}
