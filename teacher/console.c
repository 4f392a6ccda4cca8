/* The class console: commands to students, their events, state on rejoin. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

#define MAX_ARGS 32
#define MAX_TRACK 1024		/* students whose lock we remember */
#define RING 256		/* hands, messages, replies kept */

/* Console features a teacher may hide from the menu (F16). */
static const char *const FEATURES[] = {
	"broadcast", "lock",   "message", "marquee", "watermark",
	"language",  "web",    "power",   "wake",    "hands",
	"inbox",     "assets", "clock",   "reset",   "roster",
	"attendance", "send",  "collect", NULL,
};

/* The watermark as the teacher set it (every field; changes merge in). */
struct watermark {
	char fields[64];		/* "id,name,class,ip" subset, "" none */
	char text[CAST_NOTICE_MAX];
	int opacity;			/* 0..100 */
	char place[16];			/* corner|center|tiled */
};

/* What the teacher set on one student (re-applied when it rejoins). */
struct tracked {
	char id[64];
	bool locked;
	bool reported;			/* lock state as the student reported */
	char notice[CAST_NOTICE_MAX];
	bool has_wm;			/* else the class's watermark */
	struct watermark wm;
};

struct hand {
	char id[64], name[128];
	bool raised;
	int64_t since_us;
};

struct note {
	char id[64], name[128];
	int64_t when_us;
	char text[1024];
};

struct reply {
	uint32_t cmd_id;
	char id[64];
	char cmd[32];
	int32_t status;
	int64_t when_us;
};

struct asset {
	char id[64];
	char json[4096];
};

struct console {
	struct console_cfg cfg;
	char settings_path[1024];
	char wol_addr[64];
	struct cast_teacher_ctl *ctl;
	struct cast_roster *roster;
	int64_t lesson_id;
	struct cast_file_sender *files;	/* made on the first send */
	struct cast_homework_rx *homework;
	uint32_t next_collection;
	uint32_t next_transfer;
	struct {
		uint32_t id;
		char path[CAST_FILE_PATH_MAX];
	} transfers[RING];
	int n_transfers;
	pthread_t threads[64];		/* pending sends */
	int n_threads;
	pthread_mutex_t lock;

	/* Class state, re-applied on every join. */
	bool lock_all;
	char lock_notice[CAST_NOTICE_MAX];
	struct tracked *track;		/* grows up to MAX_TRACK */
	int n_track, cap_track;
	bool has_wm;			/* a class watermark was set */
	struct watermark wm;
	char language[16];

	struct hand hands[RING];
	int n_hands;
	struct note inbox[RING];
	int inbox_head, inbox_n;
	struct reply replies[RING];
	int rep_head, rep_n;
	struct {
		uint32_t cmd_id;
		char cmd[32];
	} sent[RING];
	int sent_head;
	struct asset assets[MAX_TRACK];
	int n_assets;
	bool hidden[sizeof(FEATURES) / sizeof(FEATURES[0])];
};

/* ---- settings (custom menu) ---- */

static int feature_index(const char *name)
{
	for (int i = 0; FEATURES[i]; i++)
		if (!strcmp(FEATURES[i], name))
			return i;
	return -1;
}

static void settings_save(struct console *c)
{
	char tmp[1100];
	FILE *f;

	if (!c->settings_path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->settings_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "# libcast teacher console settings\n");
	for (int i = 0; FEATURES[i]; i++)
		if (c->hidden[i])
			fprintf(f, "hide = %s\n", FEATURES[i]);
	if (fclose(f) || rename(tmp, c->settings_path))
		cast_log(CAST_LOG_WARN, "console", "cannot save %s",
			 c->settings_path);
}

static int settings_cb(const char *key, const char *value, void *arg,
		       char *why, size_t why_size)
{
	struct console *c = arg;
	int i;

	if (strcmp(key, "hide")) {
		snprintf(why, why_size, "unknown setting");
		return CAST_ERROR(EINVAL);
	}
	i = feature_index(value);
	if (i < 0) {
		snprintf(why, why_size, "unknown feature '%s'", value);
		return CAST_ERROR(EINVAL);
	}
	c->hidden[i] = true;
	return 0;
}

/* ---- helpers ---- */

/*
 * The student's entry (NULL if none and !add, or no room). A new entry
 * starts from the class's state: what the teacher set for everyone.
 */
static struct tracked *track_of(struct console *c, const char *id, bool add)
{
	struct tracked *k;

	for (int i = 0; i < c->n_track; i++)
		if (!strcmp(c->track[i].id, id))
			return &c->track[i];
	if (!add || c->n_track == MAX_TRACK)
		return NULL;
	if (c->n_track == c->cap_track) {
		int cap = c->cap_track ? c->cap_track * 2 : 64;
		struct tracked *p = realloc(c->track, (size_t)cap * sizeof(*p));

		if (!p)
			return NULL;
		c->track = p;
		c->cap_track = cap;
	}
	k = &c->track[c->n_track++];
	memset(k, 0, sizeof(*k));
	snprintf(k->id, sizeof(k->id), "%s", id);
	k->locked = c->lock_all;
	memcpy(k->notice, c->lock_notice, sizeof(k->notice));
	return k;
}

static char *error_reply(const char *fmt, const char *arg);

static char *json_done(struct cast_json *j)
{
	cast_json_end(j);
	if (j->overflow)
		return error_reply("the answer is over %s bytes; ask for less",
				   "65536");
	return strdup(j->buf);
}

static char *error_reply(const char *fmt, const char *arg)
{
	struct cast_json j;
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	cast_json_begin(&j);
	cast_json_bool(&j, "ok", false);
	cast_json_str(&j, "error", msg);
	return json_done(&j);
}

/*
 * What each command that sets state or shows text takes: its keys and
 * their kinds. The teacher refuses anything else whole, before a student
 * sees it; the student checks the same bounds again.
 */
enum akind { A_TEXT, A_INT, A_ENUM, A_FIELDS, A_URL };

struct aspec {
	const char *key;
	enum akind kind;
	size_t max;			/* A_TEXT/A_URL: bytes with the NUL */
	long long lo, hi;		/* A_INT */
	const char *choices;		/* A_ENUM: comma-separated */
	bool required;			/* and not empty */
};

static const struct {
	const char *cmd;
	struct aspec a[4];
} SPECS[] = {
	{"lock", {{"notice", A_TEXT, CAST_NOTICE_MAX, 0, 0, NULL, false}}},
	{"unlock", {{NULL, A_TEXT, 0, 0, 0, NULL, false}}},
	{"message",
	 {{"text", A_TEXT, CAST_TEXT_MAX, 0, 0, NULL, true},
	  {"title", A_TEXT, CAST_NOTICE_MAX, 0, 0, NULL, false}}},
	{"marquee",
	 {{"text", A_TEXT, CAST_NOTICE_MAX, 0, 0, NULL, true},
	  {"seconds", A_INT, 0, 1, 3600, NULL, false}}},
	{"watermark",
	 {{"fields", A_FIELDS, 0, 0, 0, NULL, false},
	  {"text", A_TEXT, CAST_NOTICE_MAX, 0, 0, NULL, false},
	  {"opacity", A_INT, 0, 0, 100, NULL, false},
	  {"place", A_ENUM, 0, 0, 0, "corner,center,tiled", false}}},
	{"web", {{"url", A_URL, CAST_NOTICE_MAX, 0, 0, NULL, true}}},
	{"reset", {{NULL, A_TEXT, 0, 0, 0, NULL, false}}},
};

/* True when `v` is one of the comma-separated `list`. */
static bool one_of(const char *v, const char *list)
{
	size_t n = strlen(v);

	while (*list) {
		size_t l = strcspn(list, ",");

		if (l == n && !strncmp(list, v, n))
			return true;
		list += l + (list[l] == ',');
	}
	return false;
}

static bool int_ok(const char *v, long long lo, long long hi)
{
	char *end;
	long long x;

	if (!*v || (*v != '-' && (*v < '0' || *v > '9')))
		return false;
	errno = 0;
	x = strtoll(v, &end, 10);
	return !*end && !errno && x >= lo && x <= hi;
}

/*
 * Checks the key=value tokens of `cmd` against its spec and builds the
 * arguments students get. Returns 0, or -EINVAL with the reason in `why`.
 */
static int command_args(const char *cmd, char **tok, int n,
			struct cast_args *out, char *why, size_t why_size)
{
	const struct aspec *spec = NULL;

	for (size_t i = 0; i < sizeof(SPECS) / sizeof(SPECS[0]); i++)
		if (!strcmp(SPECS[i].cmd, cmd))
			spec = SPECS[i].a;
	if (!spec) {
		snprintf(why, why_size, "unknown command '%s'", cmd);
		return CAST_ERROR(EINVAL);
	}
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(tok[i], '=');
		const struct aspec *a = NULL;
		char key[CAST_ARGS_KEY_MAX];
		size_t k = eq ? (size_t)(eq - tok[i]) : 0;

		if (!eq || !k || k >= sizeof(key)) {
			snprintf(why, why_size, "%s: arguments are key=value, "
				 "not '%.40s'", cmd, tok[i]);
			return CAST_ERROR(EINVAL);
		}
		memcpy(key, tok[i], k);
		key[k] = '\0';
		for (int j = 0; j < 4 && spec[j].key; j++)
			if (!strcmp(spec[j].key, key))
				a = &spec[j];
		if (!a) {
			snprintf(why, why_size, "%s takes no '%s'", cmd, key);
			return CAST_ERROR(EINVAL);
		}
		eq++;
		switch (a->kind) {
		case A_TEXT:
		case A_URL:
			if (strlen(eq) >= a->max) {
				snprintf(why, why_size, "%s: %s is %zu bytes, "
					 "over the limit of %zu: nothing sent",
					 cmd, key, strlen(eq), a->max - 1);
				return CAST_ERROR(EINVAL);
			}
			if (a->kind == A_URL && strncmp(eq, "http://", 7) &&
			    strncmp(eq, "https://", 8)) {
				snprintf(why, why_size, "url must be http:// "
					 "or https://");
				return CAST_ERROR(EINVAL);
			}
			break;
		case A_INT:
			if (!int_ok(eq, a->lo, a->hi)) {
				snprintf(why, why_size, "%s: %s must be a whole "
					 "number from %lld to %lld, not '%.40s'",
					 cmd, key, a->lo, a->hi, eq);
				return CAST_ERROR(EINVAL);
			}
			break;
		case A_ENUM:
			if (!one_of(eq, a->choices)) {
				snprintf(why, why_size, "%s: %s is one of %s",
					 cmd, key, a->choices);
				return CAST_ERROR(EINVAL);
			}
			break;
		case A_FIELDS: {
			char f[64];
			const char *p = eq;

			while (*p) {
				size_t l = strcspn(p, ",");

				if (!l || l >= sizeof(f))
					break;
				memcpy(f, p, l);
				f[l] = '\0';
				if (!one_of(f, "id,name,class,ip"))
					break;
				p += l + (p[l] == ',' && p[l + 1]);
			}
			if (*p || strlen(eq) >= sizeof(f)) {
				snprintf(why, why_size, "%s: fields is a list of "
					 "id,name,class,ip (or empty)", cmd);
				return CAST_ERROR(EINVAL);
			}
			break;
		}
		}
		if (cast_args_add(out, key, eq)) {
			snprintf(why, why_size, "%s: '%s' given twice or not "
				 "text", cmd, key);
			return CAST_ERROR(EINVAL);
		}
	}
	for (int j = 0; j < 4 && spec[j].key; j++) {
		char v[2];

		if (spec[j].required &&
		    cast_args_get(out->buf, out->len, spec[j].key, v,
				  sizeof(v)) == 0) {
			snprintf(why, why_size, "%s needs %s=…", cmd,
				 spec[j].key);
			return CAST_ERROR(EINVAL);
		}
	}
	return 0;
}

/* True when `key` is among the arguments (whatever its value). */
static bool has_arg(const struct cast_args *a, const char *key)
{
	char v[1];

	return cast_args_get(a->buf, a->len, key, v, sizeof(v)) != 0;
}

/* Merges the watermark arguments given into `w`: only what they name. */
static void wm_merge(struct watermark *w, const struct cast_args *a)
{
	long long x;

	if (has_arg(a, "fields"))
		cast_args_get(a->buf, a->len, "fields", w->fields,
			      sizeof(w->fields));
	if (has_arg(a, "text"))
		cast_args_get(a->buf, a->len, "text", w->text, sizeof(w->text));
	if (cast_args_get_int(a->buf, a->len, "opacity", 0, 100, &x) == 1)
		w->opacity = (int)x;
	if (has_arg(a, "place"))
		cast_args_get(a->buf, a->len, "place", w->place,
			      sizeof(w->place));
}

static void wm_default(struct watermark *w)
{
	memset(w, 0, sizeof(*w));
	w->opacity = 30;
	snprintf(w->place, sizeof(w->place), "tiled");
}

/* The whole watermark as arguments (what a rejoining student gets). */
static int wm_args(const struct watermark *w, struct cast_args *a)
{
	cast_args_add(a, "fields", w->fields);
	cast_args_add(a, "text", w->text);
	cast_args_addf(a, "opacity", "%d", w->opacity);
	cast_args_add(a, "place", w->place);
	return a->err;
}

/* The value of key=… among the tokens, or NULL. */
static const char *arg_of(char **tok, int n, const char *key)
{
	size_t k = strlen(key);

	for (int i = 0; i < n; i++)
		if (!strncmp(tok[i], key, k) && tok[i][k] == '=')
			return tok[i] + k + 1;
	return NULL;
}

/* Copies key's value to out; false when absent or longer than out. */
static bool arg_value(char **tok, int n, const char *key, char *out,
		      size_t size)
{
	const char *v = arg_of(tok, n, key);

	out[0] = '\0';
	if (!v || strlen(v) >= size)
		return false;
	memcpy(out, v, strlen(v) + 1);
	return true;
}

/*
 * Resolves "--to" into student ids. `to` NULL or "all" means every online
 * student (ids = NULL, n = -1). Unknown ids are an error naming them;
 * known students that are offline are listed in `offline`.
 */
struct targets {
	char ids[256][64];
	int n;			/* -1: all online */
	char offline[1024];
	char unknown[1024];
};

static void resolve(struct console *c, const char *to, struct targets *t)
{
	static struct cast_student_info roster[512];
	int n = c->ctl ? cast_teacher_ctl_students(c->ctl, roster, 512) : 0;
	char list[2048], *save = NULL, *id;

	t->n = 0;
	t->offline[0] = t->unknown[0] = '\0';
	if (!to || !strcmp(to, "all")) {
		t->n = -1;
		return;
	}
	snprintf(list, sizeof(list), "%s", to);
	for (id = strtok_r(list, ",", &save); id && t->n < 256;
	     id = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = 0; k < n && strcmp(roster[k].id, id); k++)
			;
		if (k == n) {
			size_t l = strlen(t->unknown);

			snprintf(t->unknown + l, sizeof(t->unknown) - l, "%s%s",
				 l ? "," : "", id);
			continue;
		}
		if (!roster[k].online) {
			size_t l = strlen(t->offline);

			snprintf(t->offline + l, sizeof(t->offline) - l,
				 "%s%s", l ? "," : "", id);
		}
		snprintf(t->ids[t->n++], sizeof(t->ids[0]), "%s", id);
	}
}

/* "all" as the list of online students, each sent its own command. */
static void targets_online(struct console *c, struct targets *t)
{
	static struct cast_student_info roster[512];
	int n = c->ctl ? cast_teacher_ctl_students(c->ctl, roster, 512) : 0;

	t->n = 0;
	for (int k = 0; k < n && t->n < 256; k++)
		if (roster[k].online)
			snprintf(t->ids[t->n++], sizeof(t->ids[0]), "%.63s",
				 roster[k].id);
}

static void note_sent(struct console *c, int cmd_id, const char *cmd)
{
	if (cmd_id <= 0)
		return;
	c->sent[c->sent_head].cmd_id = (uint32_t)cmd_id;
	snprintf(c->sent[c->sent_head].cmd, sizeof(c->sent[0].cmd), "%s", cmd);
	c->sent_head = (c->sent_head + 1) % RING;
}

/* Sends to the targets; returns the number of commands queued. */
static int send_to(struct console *c, const struct targets *t,
		   const char *cmd, const struct cast_args *a,
		   struct cast_json *j)
{
	const void *args = a ? a->buf : NULL;
	size_t len = a ? a->len : 0;
	int sent = 0, id;

	cast_json_array(j, "command_ids");
	if (t->n < 0) {
		id = cast_teacher_ctl_command(c->ctl, NULL, cmd, args, len);
		if (id > 0) {
			note_sent(c, id, cmd);
			cast_json_int(j, NULL, id);
			sent++;
		}
	}
	for (int i = 0; i < t->n; i++) {
		id = cast_teacher_ctl_command(c->ctl, t->ids[i], cmd, args,
					      len);
		if (id > 0) {
			note_sent(c, id, cmd);
			cast_json_int(j, NULL, id);
			sent++;
		}
	}
	cast_json_array_end(j);
	return sent;
}

/* ---- Wake-on-LAN (F10) ---- */

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6)
		return CAST_ERROR(EINVAL);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int send_wol(const struct console *c, const uint8_t mac[6])
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	uint8_t pkt[102];
	int fd, one = 1, ret = 0;

	memset(pkt, 0xff, 6);
	for (int i = 0; i < 16; i++)
		memcpy(pkt + 6 + i * 6, mac, 6);
	to.sin_port = htons(c->cfg.wol_port ? c->cfg.wol_port : 9);
	if (inet_pton(AF_INET, c->wol_addr, &to.sin_addr) != 1)
		return CAST_ERROR(EINVAL);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CAST_ERROR(errno);
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		ret = CAST_ERROR(errno);
	close(fd);
	return ret;
}

/*
 * Wakes the chosen students' machines (their MACs as learned when they
 * signed in; --to all: every known machine that is offline), and any
 * mac=AA:BB:… given explicitly (machines never seen yet).
 */
static char *cmd_wake(struct console *c, const struct targets *t,
		      bool explicit_to, char **tok, int ntok)
{
	static struct cast_student_info roster[512];
	int n = cast_teacher_ctl_students(c->ctl, roster, 512), woken = 0;
	struct cast_json j;
	static const uint8_t zero[6];
	uint8_t mac[6];

	cast_json_begin(&j);
	cast_json_array(&j, "woken");
	for (int i = 0; i < ntok; i++) {
		if (strncmp(tok[i], "mac=", 4))
			continue;
		if (parse_mac(tok[i] + 4, mac)) {
			cast_json_array_end(&j);
			return error_reply("bad MAC address '%s'", tok[i] + 4);
		}
		if (!send_wol(c, mac)) {
			cast_json_str(&j, NULL, tok[i] + 4);
			woken++;
		}
	}
	/* Only MACs given: wake just those. */
	if (woken && !explicit_to)
		n = 0;
	for (int k = 0; k < n; k++) {
		bool want = t->n < 0 ? !roster[k].online : false;

		for (int i = 0; i < t->n; i++)
			want |= !strcmp(t->ids[i], roster[k].id);
		if (!want || !memcmp(roster[k].mac, zero, 6))
			continue;
		if (!send_wol(c, roster[k].mac)) {
			cast_json_str(&j, NULL, roster[k].id);
			woken++;
		}
	}
	cast_json_array_end(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "sent", woken);
	return json_done(&j);
}

/* ---- listings ---- */

static char *cmd_hands(struct console *c)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "hands");
	for (int i = 0; i < c->n_hands; i++) {
		if (!c->hands[i].raised)
			continue;
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", c->hands[i].id);
		cast_json_str(&j, "name", c->hands[i].name);
		cast_json_int(&j, "since_us", c->hands[i].since_us);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

static char *cmd_inbox(struct console *c)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "messages");
	for (int i = 0; i < c->inbox_n; i++) {
		const struct note *n =
			&c->inbox[(c->inbox_head + i) % RING];

		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", n->id);
		cast_json_str(&j, "name", n->name);
		cast_json_int(&j, "when_us", n->when_us);
		cast_json_str(&j, "text", n->text);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

static char *cmd_replies(struct console *c)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "replies");
	for (int i = 0; i < c->rep_n; i++) {
		const struct reply *r = &c->replies[(c->rep_head + i) % RING];

		cast_json_obj(&j, NULL);
		cast_json_int(&j, "command_id", r->cmd_id);
		cast_json_str(&j, "command", r->cmd);
		cast_json_str(&j, "id", r->id);
		cast_json_bool(&j, "ok", r->status == 0);
		if (r->status)
			cast_json_str(&j, "error", cast_strerror(r->status));
		cast_json_int(&j, "when_us", r->when_us);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

static char *cmd_assets(struct console *c, char **tok, int n)
{
	static const char *const cols[] = {"host", "cpu", "cores",
					   "memory_mb", "disk_gb", "disk_free_gb",
					   "os", "kernel", "mac", "display",
					   NULL};
	struct cast_csv csv = {0};
	struct cast_json j;
	char path[1024], v[512];
	int ret;

	if (!arg_value(tok, n, "export", path, sizeof(path))) {
		/* Ask every online student; answers arrive as events. */
		struct targets t = {.n = -1};

		cast_json_begin(&j);
		send_to(c, &t, "assets", NULL, &j);
		cast_json_int(&j, "known", c->n_assets);
		cast_json_array(&j, "assets");
		for (int i = 0; i < c->n_assets; i++) {
			cast_json_obj(&j, NULL);
			cast_json_str(&j, "id", c->assets[i].id);
			cast_json_raw(&j, "summary", c->assets[i].json);
			cast_json_end(&j);
		}
		cast_json_array_end(&j);
		return json_done(&j);
	}
	cast_csv_begin(&csv, "id,host,cpu,cores,memory_mb,disk_gb,"
			     "disk_free_gb,os,kernel,mac,display");
	for (int i = 0; i < c->n_assets; i++) {
		cast_csv_cell(&csv, c->assets[i].id, false);
		for (int k = 0; cols[k]; k++) {
			/* Validated as a JSON object when it arrived. */
			cast_json_get_str(c->assets[i].json,
					  strlen(c->assets[i].json), cols[k], v,
					  sizeof(v));
			cast_csv_cell(&csv, v, !cols[k + 1]);
		}
	}
	ret = cast_csv_save(&csv, path);
	cast_csv_free(&csv);
	if (ret)
		return error_reply("cannot write %s", path);
	cast_json_begin(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "rows", c->n_assets);
	cast_json_str(&j, "file", path);
	return json_done(&j);
}

static char *cmd_clock(struct console *c)
{
	static struct cast_student_info roster[512];
	int n = cast_teacher_ctl_students(c->ctl, roster, 512);
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "clocks");
	for (int k = 0; k < n; k++) {
		if (!roster[k].online)
			continue;
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", roster[k].id);
		cast_json_num(&j, "offset_ms", roster[k].clock_offset_ms);
		/* The round trip of the sample the offset comes from: the
		 * offset is within half of it. */
		cast_json_num(&j, "rtt_ms", roster[k].clock_rtt_ms);
		cast_json_int(&j, "samples", roster[k].clock_samples);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

static char *cmd_menu(struct console *c, char **tok, int n)
{
	struct cast_json j;
	int i;

	if (n == 2 && (!strcmp(tok[0], "show") || !strcmp(tok[0], "hide"))) {
		i = feature_index(tok[1]);
		if (i < 0)
			return error_reply("unknown feature '%s'", tok[1]);
		c->hidden[i] = !strcmp(tok[0], "hide");
		settings_save(c);
	} else if (n) {
		return error_reply("usage: menu [show|hide FEATURE]", NULL);
	}
	cast_json_begin(&j);
	cast_json_array(&j, "menu");
	for (i = 0; FEATURES[i]; i++) {
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "feature", FEATURES[i]);
		cast_json_bool(&j, "shown", !c->hidden[i]);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

/* ---- roster and attendance (F3) ---- */

static int roster_row(const struct cast_roster_entry *e, void *arg)
{
	struct cast_json *j = arg;

	cast_json_obj(j, NULL);
	cast_json_str(j, "id", e->id);
	cast_json_str(j, "name", e->name);
	cast_json_str(j, "class", e->class_name);
	cast_json_str(j, "ip", e->ip);
	cast_json_str(j, "mac", e->mac);
	cast_json_int(j, "last_seen_us", e->last_seen_us);
	cast_json_end(j);
	return j->overflow ? -ENOSPC : 0;
}

static int attend_row(const struct cast_attend_record *r, void *arg)
{
	struct cast_json *j = arg;

	cast_json_obj(j, NULL);
	cast_json_str(j, "id", r->student.id);
	cast_json_str(j, "name", r->student.name);
	cast_json_str(j, "state", cast_attend_state_name(r->state));
	cast_json_bool(j, "present", r->present);
	cast_json_int(j, "first_us", r->first_us);
	cast_json_end(j);
	return j->overflow ? -ENOSPC : 0;
}

static char *cmd_roster(struct console *c, char **tok, int n)
{
	static struct cast_json j;
	char path[1024], err[512], v[8];
	int ret;

	if (arg_value(tok, n, "export", path, sizeof(path))) {
		ret = cast_roster_export_csv(c->roster, path);
		if (ret < 0)
			return error_reply("cannot write the roster: %s",
					   cast_strerror(ret));
		cast_json_begin(&j);
		cast_json_bool(&j, "ok", true);
		cast_json_str(&j, "file", path);
		return json_done(&j);
	}
	if (arg_value(tok, n, "import", path, sizeof(path))) {
		arg_value(tok, n, "replace", v, sizeof(v));
		err[0] = '\0';
		ret = cast_roster_import_csv(c->roster, path,
					     v[0] == '1' ? CAST_ROSTER_IMPORT_REPLACE
							 : 0,
					     err, sizeof(err));
		if (ret < 0)
			return error_reply("%s", err[0] ? err
							 : cast_strerror(ret));
		cast_json_begin(&j);
		cast_json_bool(&j, "ok", true);
		cast_json_int(&j, "imported", ret);
		return json_done(&j);
	}
	cast_json_begin(&j);
	cast_json_array(&j, "roster");
	ret = cast_roster_list(c->roster, roster_row, &j);
	cast_json_array_end(&j);
	if (ret < 0)
		return error_reply("roster: %s", cast_strerror(ret));
	return json_done(&j);
}

static char *cmd_attendance(struct console *c, char **tok, int n)
{
	static struct cast_json j;
	char path[1024];
	int ret;

	if (arg_value(tok, n, "export", path, sizeof(path))) {
		ret = cast_roster_export_attendance_csv(c->roster, c->lesson_id,
							path);
		if (ret < 0)
			return error_reply("cannot write the attendance: %s",
					   cast_strerror(ret));
		cast_json_begin(&j);
		cast_json_bool(&j, "ok", true);
		cast_json_str(&j, "file", path);
		return json_done(&j);
	}
	cast_json_begin(&j);
	cast_json_int(&j, "lesson", c->lesson_id);
	cast_json_array(&j, "attendance");
	ret = cast_roster_attendance(c->roster, c->lesson_id, attend_row, &j);
	cast_json_array_end(&j);
	if (ret < 0)
		return error_reply("attendance: %s", cast_strerror(ret));
	return json_done(&j);
}

/* ---- file distribution (F11) ---- */

struct pending_send {
	struct console *c;
	char path[1024];
	struct cast_file_offer *offers;	/* folder: its offers; NULL: a file */
	size_t count;
	uint32_t transfer_id;
	uint32_t nodes[512];
	size_t n_nodes;
};

static void *send_later(void *arg)
{
	struct pending_send *p = arg;
	int ret;

	usleep(300000);
	if (p->offers) {
		for (size_t i = 0; i < p->n_nodes; i++)
			cast_file_sender_add_node(p->c->files, p->nodes[i]);
		ret = cast_file_sender_send_tree(p->c->files, p->path,
						 p->offers, p->count);
	} else {
		ret = cast_file_sender_send_to(p->c->files, p->path,
					       p->transfer_id, p->nodes,
					       p->n_nodes);
	}
	if (ret < 0)
		cast_log(CAST_LOG_ERROR, "console", "sending %s: %s", p->path,
			 cast_strerror(ret));
	free(p->offers);
	free(p);
	return NULL;
}

/* Starts a sender thread for one send; the console joins them at the end. */
static int queue_send(struct console *c, const char *path,
		      struct cast_file_offer *offers, size_t count,
		      uint32_t transfer_id, const uint32_t *nodes,
		      size_t n_nodes)
{
	struct pending_send *p;
	int err;

	if (c->n_threads == (int)(sizeof(c->threads) / sizeof(c->threads[0]))) {
		/* Each lasts a fraction of a second: collect the old ones. */
		for (int i = 0; i < c->n_threads; i++)
			pthread_join(c->threads[i], NULL);
		c->n_threads = 0;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return CAST_ERROR(ENOMEM);
	p->c = c;
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->offers = offers;
	p->count = count;
	p->transfer_id = transfer_id;
	memcpy(p->nodes, nodes, n_nodes * sizeof(*nodes));
	p->n_nodes = n_nodes;
	err = pthread_create(&c->threads[c->n_threads], NULL, send_later, p);
	if (err) {
		p->offers = NULL;
		free(p);
		return CAST_ERROR(err);
	}
	c->n_threads++;
	return 0;
}

static int offer_args(const struct cast_file_offer *o, struct cast_args *a)
{
	char hex[65];

	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", o->sha256[i]);
	cast_args_addf(a, "id", "%u", o->transfer_id);
	cast_args_add(a, "path", o->rel_path);
	cast_args_addf(a, "size", "%llu", (unsigned long long)o->size);
	cast_args_add(a, "sha256", hex);
	cast_args_add(a, "open", o->open_after ? "1" : "0");
	return a->err;
}

/*
 * send path=FILE|FOLDER [open=1] [--to IDS]: the offers (name, size,
 * SHA-256) go to the students over their authenticated connections, the
 * bytes once by NORM multicast to all of them.
 */
#define LINK_REFUSED                                                           \
	"%s is a symbolic link: not sent (links are never followed; send "     \
	"its target itself)"

static char *cmd_send(struct console *c, const struct targets *t, char **tok,
		      int n)
{
	static struct cast_student_info roster[512];
	struct cast_file_offer *offers = NULL, one;
	uint32_t nodes[512];
	size_t count = 0, n_nodes = 0;
	char path[1024], v[8];
	struct cast_json j;
	struct stat st;
	int ret, nr;
	bool open_after;

	if (!arg_value(tok, n, "path", path, sizeof(path)) || path[0] != '/')
		return error_reply("send needs path=/absolute/file/or/folder",
				   NULL);
	arg_value(tok, n, "open", v, sizeof(v));
	open_after = v[0] == '1';
	/* Never a link's target: lstat, and the offers refuse links too. */
	if (lstat(path, &st))
		return error_reply("cannot read %s", path);
	if (S_ISLNK(st.st_mode))
		return error_reply(LINK_REFUSED, path);
	if (!c->files) {
		struct cast_file_sender_cfg fc;

		cast_file_sender_cfg_init(&fc);
		fc.channel = c->cfg.channel;
		fc.iface = c->cfg.iface;
		ret = cast_file_sender_new(&c->files, &fc);
		if (ret)
			return error_reply("file sender: %s",
					   cast_strerror(ret));
	}
	if (S_ISDIR(st.st_mode)) {
		ret = cast_file_tree_offers(path, c->next_transfer + 1, &offers,
					    &count);
	} else {
		ret = cast_file_offer_make(&one, path, NULL,
					   c->next_transfer + 1);
		offers = &one;
		count = ret ? 0 : 1;
	}
	if (ret == CAST_ERROR(ELOOP)) /* "dir-link/" passes lstat */
		return error_reply(LINK_REFUSED, path);
	if (ret)
		return error_reply("cannot offer it: %s", cast_strerror(ret));
	c->next_transfer += (uint32_t)count;
	/* Targets and their NORM node ids. */
	nr = cast_teacher_ctl_students(c->ctl, roster, 512);
	for (int k = 0; k < nr; k++) {
		bool want = t->n < 0 ? roster[k].online : false;

		for (int i = 0; i < t->n; i++)
			want |= !strcmp(t->ids[i], roster[k].id);
		if (want)
			nodes[n_nodes++] = cast_file_node_id(roster[k].id);
	}
	cast_json_begin(&j);
	cast_json_array(&j, "transfers");
	for (size_t i = 0; i < count; i++) {
		struct cast_file_offer *o = &offers[i];
		struct cast_args a = {0};

		o->open_after = open_after;
		cast_json_obj(&j, NULL);
		cast_json_int(&j, "id", o->transfer_id);
		cast_json_str(&j, "path", o->rel_path);
		cast_json_int(&j, "size", (int64_t)o->size);
		if (!offer_args(o, &a))
			send_to(c, t, "file-offer", &a, &j);
		else
			cast_json_str(&j, "error", cast_strerror(a.err));
		cast_json_end(&j);
		cast_args_free(&a);
		snprintf(c->transfers[c->n_transfers % RING].path,
			 sizeof(c->transfers[0].path), "%s", o->rel_path);
		c->transfers[c->n_transfers++ % RING].id = o->transfer_id;
	}
	cast_json_array_end(&j);
	/* The bytes go once the offers reached the students (they drop NORM
	 * objects nobody offered them): a short delay on a thread of its
	 * own, not on the control plane's. */
	ret = queue_send(c, path, S_ISDIR(st.st_mode) ? offers : NULL, count,
			 one.transfer_id, nodes, n_nodes);
	if (ret)
		free(S_ISDIR(st.st_mode) ? offers : NULL);
	cast_json_bool(&j, "ok", ret == 0);
	cast_json_int(&j, "students", (int64_t)n_nodes);
	if (ret)
		cast_json_str(&j, "error", cast_strerror(ret));
	return json_done(&j);
}

/* files: each recent transfer with each student's state. */
static char *cmd_files(struct console *c)
{
	static struct cast_student_info roster[512];
	static struct cast_file_node_progress np[512];
	static struct cast_json j;
	int nr = c->ctl ? cast_teacher_ctl_students(c->ctl, roster, 512) : 0;
	int first = c->n_transfers > RING ? c->n_transfers - RING : 0;

	cast_json_begin(&j);
	cast_json_array(&j, "transfers");
	for (int i = first; c->files && i < c->n_transfers; i++) {
		struct cast_file_progress pr;
		int k = cast_file_sender_progress(c->files,
						  c->transfers[i % RING].id,
						  &pr, np, 512);

		if (k < 0)
			continue;
		cast_json_obj(&j, NULL);
		cast_json_int(&j, "id", c->transfers[i % RING].id);
		cast_json_str(&j, "path", c->transfers[i % RING].path);
		cast_json_int(&j, "done", pr.done);
		cast_json_int(&j, "failed", pr.failed);
		cast_json_int(&j, "targets", pr.nodes);
		cast_json_array(&j, "students");
		for (int m = 0; m < k; m++) {
			const char *who = "?";

			for (int q = 0; q < nr; q++)
				if (cast_file_node_id(roster[q].id) == np[m].node_id)
					who = roster[q].id;
			cast_json_obj(&j, NULL);
			cast_json_str(&j, "id", who);
			cast_json_str(&j, "state",
				      np[m].status == CAST_FILE_DONE ? "done"
				      : np[m].status == CAST_FILE_FAILED
					      ? "failed"
					      : "pending");
			cast_json_end(&j);
		}
		cast_json_array_end(&j);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

/* ---- homework collection (F13) ---- */

/* collect folder=NAME [--to IDS]: students send that folder of theirs. */
static char *cmd_collect(struct console *c, const struct targets *t,
			 char **tok, int n)
{
	char folder[512];
	struct cast_args a = {0};
	struct cast_json j;

	if (!c->homework)
		return error_reply("no homework folder on this teacher", NULL);
	if (!arg_value(tok, n, "folder", folder, sizeof(folder)) ||
	    cast_homework_path_check(folder))
		return error_reply("collect needs folder=NAME (a relative "
				   "folder inside each student's home)", NULL);
	cast_args_add(&a, "folder", folder);
	cast_args_addf(&a, "collection", "%u", ++c->next_collection);
	cast_json_begin(&j);
	send_to(c, t, "collect", &a, &j);
	cast_args_free(&a);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "collection", c->next_collection);
	return json_done(&j);
}

static char *cmd_homework(struct console *c)
{
	static struct cast_homework_status st[512];
	static struct cast_json j;
	int n = c->homework ? cast_homework_rx_list(c->homework, st, 512) : 0;

	cast_json_begin(&j);
	cast_json_array(&j, "homework");
	for (int i = 0; i < n && i < 512; i++) {
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", st[i].student_id);
		cast_json_int(&j, "collection", st[i].collection_id);
		cast_json_bool(&j, "done", st[i].done);
		cast_json_bool(&j, "in_progress", st[i].in_progress);
		cast_json_int(&j, "files_done", st[i].files_done);
		cast_json_int(&j, "files_failed", st[i].files_failed);
		cast_json_int(&j, "bytes", (int64_t)st[i].bytes);
		/* Progress: what the student's listing announced, and what
		 * arrived so far (stored files and the one being received). */
		cast_json_int(&j, "files_expected", st[i].files_expected);
		cast_json_int(&j, "bytes_expected",
			      (int64_t)st[i].bytes_expected);
		cast_json_int(&j, "bytes_received",
			      (int64_t)(st[i].bytes + st[i].current_bytes));
		if (st[i].current[0])
			cast_json_str(&j, "current", st[i].current);
		if (st[i].last_error)
			cast_json_str(&j, "error",
				      cast_strerror(st[i].last_error));
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

/* class: every student with address and state (online, signed in, hand
 * raised, locked, last seen), the teacher's one view of the room. */
static char *cmd_class(struct console *c)
{
	static struct cast_student_info roster[512];
	static struct cast_json j;
	int n = c->ctl ? cast_teacher_ctl_students(c->ctl, roster, 512) : 0;
	int64_t now = cast_now_us();

	cast_json_begin(&j);
	cast_json_array(&j, "students");
	for (int k = 0; k < n; k++) {
		const struct cast_student_info *in = &roster[k];
		struct tracked *t = track_of(c, in->id, false);
		bool hand = false;

		for (int i = 0; i < c->n_hands; i++)
			if (!strcmp(c->hands[i].id, in->id))
				hand = c->hands[i].raised;
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", in->id);
		cast_json_str(&j, "name", in->name);
		cast_json_str(&j, "class", in->class_name);
		cast_json_str(&j, "ip", in->ip);
		cast_json_bool(&j, "online", in->online);
		cast_json_bool(&j, "signed_in", in->online && in->id[0]);
		cast_json_bool(&j, "hand", hand);
		cast_json_bool(&j, "locked", t ? t->locked : c->lock_all);
		cast_json_num(&j, "last_seen_s_ago",
			      (double)(now - in->last_seen_us) / 1e6);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

/* ---- the command line ---- */

static char *dispatch(struct console *c, char **tok, int n)
{
	const char *cmd = tok[0], *to = NULL;
	struct cast_args a = {0};
	char why[256];
	struct targets *t;
	struct cast_json j;
	char *out;
	int sent;

	/* "--to IDS" anywhere after the command. */
	for (int i = 1; i < n; i++) {
		if (!strcmp(tok[i], "--to") && i + 1 < n) {
			to = tok[i + 1];
			memmove(&tok[i], &tok[i + 2],
				(size_t)(n - i - 2) * sizeof(*tok));
			n -= 2;
			break;
		}
	}
	if (!strcmp(cmd, "hands"))
		return cmd_hands(c);
	if (!strcmp(cmd, "class"))
		return cmd_class(c);
	if (!strcmp(cmd, "inbox"))
		return cmd_inbox(c);
	if (!strcmp(cmd, "replies"))
		return cmd_replies(c);
	if (!strcmp(cmd, "clock"))
		return cmd_clock(c);
	if (!strcmp(cmd, "menu"))
		return cmd_menu(c, tok + 1, n - 1);
	if (!strcmp(cmd, "assets"))
		return cmd_assets(c, tok + 1, n - 1);
	if (!strcmp(cmd, "roster"))
		return cmd_roster(c, tok + 1, n - 1);
	if (!strcmp(cmd, "attendance"))
		return cmd_attendance(c, tok + 1, n - 1);
	if (!strcmp(cmd, "files"))
		return cmd_files(c);
	if (!strcmp(cmd, "homework"))
		return cmd_homework(c);

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	resolve(c, to, t);
	if (t->unknown[0]) {
		out = error_reply("unknown student(s): %s", t->unknown);
		goto done;
	}
	if (!strcmp(cmd, "wake")) {
		out = cmd_wake(c, t, to != NULL, tok + 1, n - 1);
		goto done;
	}
	if (!strcmp(cmd, "send")) {
		out = cmd_send(c, t, tok + 1, n - 1);
		goto done;
	}
	if (!strcmp(cmd, "collect")) {
		out = cmd_collect(c, t, tok + 1, n - 1);
		goto done;
	}

	/* Commands that go to students. */
	if (!strcmp(cmd, "power")) {
		if (n != 2 || (strcmp(tok[1], "off") && strcmp(tok[1], "restart"))) {
			out = error_reply("usage: power off|restart --to IDS",
					  NULL);
			goto done;
		}
		if (t->n < 0 && (!to || strcmp(to, "all"))) {
			out = error_reply("power needs --to IDS or --to all",
					  NULL);
			goto done;
		}
		cast_args_add(&a, "action", tok[1]);
		if (t->n < 0)
			targets_online(c, t); /* an outcome per student */
	} else if (!strcmp(cmd, "language")) {
		if (n != 2 || (strcmp(tok[1], "zh_CN") && strcmp(tok[1], "zh_TW") &&
			       strcmp(tok[1], "en"))) {
			out = error_reply("usage: language zh_CN|zh_TW|en", NULL);
			goto done;
		}
		cast_args_add(&a, "lang", tok[1]);
		snprintf(c->language, sizeof(c->language), "%s", tok[1]);
		t->n = -1; /* one action: every student */
	} else if (!strcmp(cmd, "clock-set")) {
		if (n != 1) {
			out = error_reply("clock-set takes no arguments", NULL);
			goto done;
		}
		cast_args_addf(&a, "time_us", "%lld", (long long)cast_now_us());
	} else if (command_args(cmd, tok + 1, n - 1, &a, why, sizeof(why))) {
		out = error_reply("%s", why);
		goto done;
	}
	if (a.err) {
		out = error_reply("arguments: %s", cast_strerror(a.err));
		goto done;
	}

	/* Remember what must be re-applied when students rejoin. */
	if (!strcmp(cmd, "lock") || !strcmp(cmd, "unlock")) {
		bool on = !strcmp(cmd, "lock");
		char notice[CAST_NOTICE_MAX] = "";

		if (on)
			cast_args_get(a.buf, a.len, "notice", notice,
				      sizeof(notice));
		if (t->n < 0) {
			c->lock_all = on;
			memcpy(c->lock_notice, notice, sizeof(notice));
			for (int i = 0; i < c->n_track; i++) {
				c->track[i].locked = on;
				c->track[i].reported = false;
				memcpy(c->track[i].notice, notice,
				       sizeof(notice));
			}
		}
		for (int i = 0; i < t->n; i++) {
			struct tracked *k = track_of(c, t->ids[i], true);

			if (!k)
				continue;
			k->locked = on;
			k->reported = false;
			memcpy(k->notice, notice, sizeof(notice));
		}
	} else if (!strcmp(cmd, "watermark")) {
		if (t->n < 0) {
			if (!c->has_wm)
				wm_default(&c->wm);
			c->has_wm = true;
			wm_merge(&c->wm, &a);
			for (int i = 0; i < c->n_track; i++)
				if (c->track[i].has_wm)
					wm_merge(&c->track[i].wm, &a);
		}
		for (int i = 0; i < t->n; i++) {
			struct tracked *k = track_of(c, t->ids[i], true);

			if (!k)
				continue;
			if (!k->has_wm) {
				if (c->has_wm)
					k->wm = c->wm;
				else
					wm_default(&k->wm);
				k->has_wm = true;
			}
			wm_merge(&k->wm, &a);
		}
	} else if (!strcmp(cmd, "reset")) {
		c->lock_all = false;
		c->n_track = 0;
		c->has_wm = false;
		c->language[0] = c->lock_notice[0] = '\0';
		c->n_hands = 0;
		c->inbox_n = 0;
		c->n_assets = 0;
		memset(c->hidden, 0, sizeof(c->hidden));
		settings_save(c);
		/* Lists too: the next teacher starts with an empty roster. */
		cast_roster_clear(c->roster);
		t->n = -1;
	}
	cast_json_begin(&j);
	sent = send_to(c, t, cmd, &a, &j);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "sent", sent);
	if (t->offline[0])
		cast_json_str(&j, "offline", t->offline);
	if (t->offline[0] && (!strcmp(cmd, "lock") || !strcmp(cmd, "unlock") ||
			      !strcmp(cmd, "watermark")))
		cast_json_str(&j, "note", "offline students get it when they "
					  "rejoin");
	out = json_done(&j);
done:
	cast_args_free(&a);
	free(t);
	return out;
}

char *console_ctl(int argc, char **argv, void *arg)
{
	struct console *c = arg;
	char *out;

	if (argc < 1 || !c->ctl)
		return NULL;
	pthread_mutex_lock(&c->lock);
	out = dispatch(c, argv, argc);
	pthread_mutex_unlock(&c->lock);
	return out;
}

/* ---- events from students ---- */

/* What the teacher set on this student, sent again as it (re)joins. */
static void reapply(struct console *c, const struct cast_student_info *info)
{
	struct tracked *k = track_of(c, info->id, false);
	bool locked = k ? k->locked : c->lock_all;
	const struct watermark *wm = k && k->has_wm ? &k->wm
				     : c->has_wm    ? &c->wm
						    : NULL;
	struct cast_args a = {0};
	int id;

	/* A state only the student reported (the teacher restarted since)
	 * stays as the student has it. */
	if (k && k->reported)
		locked = false;
	else if (locked) {
		cast_args_add(&a, "notice", k ? k->notice : c->lock_notice);
		id = cast_teacher_ctl_command(c->ctl, info->id, "lock", a.buf,
					      a.len);
		note_sent(c, id, "lock");
	} else if (k && !k->reported) {
		/* Unlocked while it was away. */
		id = cast_teacher_ctl_command(c->ctl, info->id, "unlock", "", 0);
		note_sent(c, id, "unlock");
	}
	cast_args_free(&a);
	if (wm && !wm_args(wm, &a)) {
		id = cast_teacher_ctl_command(c->ctl, info->id, "watermark",
					      a.buf, a.len);
		note_sent(c, id, "watermark");
	}
	cast_args_free(&a);
	if (c->language[0]) {
		cast_args_add(&a, "lang", c->language);
		id = cast_teacher_ctl_command(c->ctl, info->id, "language",
					      a.buf, a.len);
		note_sent(c, id, "language");
	}
	cast_args_free(&a);
}

static void on_student_event_locked(struct console *c,
				    const struct cast_student_info *info,
				    const char *name, const uint8_t *args,
				    size_t len)
{
	if (!strcmp(name, "hand")) {
		bool up = len == 2 && !memcmp(args, "up", 2);
		int i;

		for (i = 0; i < c->n_hands && strcmp(c->hands[i].id, info->id);
		     i++)
			;
		if (i == c->n_hands) {
			if (c->n_hands == RING)
				return;
			c->n_hands++;
		}
		snprintf(c->hands[i].id, sizeof(c->hands[i].id), "%s", info->id);
		snprintf(c->hands[i].name, sizeof(c->hands[i].name), "%s",
			 info->name);
		if (up && !c->hands[i].raised)
			c->hands[i].since_us = cast_now_us();
		c->hands[i].raised = up;
		cast_log(CAST_LOG_INFO, "console", "%s (%s) %s a hand",
			 info->id, info->name, up ? "raised" : "lowered");
	} else if (!strcmp(name, "message")) {
		struct note *n;
		size_t l = len < sizeof(n->text) - 1 ? len : sizeof(n->text) - 1;

		if (c->inbox_n == RING) {
			c->inbox_head = (c->inbox_head + 1) % RING;
			c->inbox_n--;
		}
		n = &c->inbox[(c->inbox_head + c->inbox_n++) % RING];
		snprintf(n->id, sizeof(n->id), "%s", info->id);
		snprintf(n->name, sizeof(n->name), "%s", info->name);
		n->when_us = cast_now_us();
		memcpy(n->text, args, l);
		n->text[l] = '\0';
	} else if (!strcmp(name, "hw")) {
		if (c->homework)
			cast_homework_rx_event(c->homework, info->id, args, len);
	} else if (!strcmp(name, "assets")) {
		int i;

		if (len >= sizeof(c->assets[0].json) ||
		    cast_json_validate_object((const char *)args, len))
			return;
		for (i = 0; i < c->n_assets && strcmp(c->assets[i].id, info->id);
		     i++)
			;
		if (i == c->n_assets) {
			if (c->n_assets == MAX_TRACK)
				return;
			c->n_assets++;
		}
		snprintf(c->assets[i].id, sizeof(c->assets[i].id), "%s",
			 info->id);
		memcpy(c->assets[i].json, args, len);
		c->assets[i].json[len] = '\0';
	}
}

void console_event(const struct cast_student_info *info,
		   enum cast_student_event ev, void *arg)
{
	struct console *c = arg;

	pthread_mutex_lock(&c->lock);
	switch (ev) {
	case CAST_STUDENT_JOINED:
		if (c->roster) {
			cast_roster_upsert_seen(c->roster, info->id, info->name,
						info->class_name, info->ip,
						info->mac, info->host,
						info->connected_us);
			cast_roster_attend(c->roster, c->lesson_id, info->id,
					   CAST_ATTEND_SIGNED_IN, cast_now_us());
		}
		if (c->ctl)
			reapply(c, info);
		break;
	case CAST_STUDENT_LEFT:
		if (c->homework)
			cast_homework_rx_abort(c->homework, info->id);
		if (c->roster)
			cast_roster_attend(c->roster, c->lesson_id, info->id,
					   CAST_ATTEND_LEFT, cast_now_us());
		break;
	case CAST_STUDENT_STATS: {
		/* After a teacher restart the students know their lock state
		 * better than this console: adopt what it does not know. */
		struct tracked *k = track_of(c, info->id, false);
		bool locked;

		if (cast_json_get_bool(info->stats_json,
				       strlen(info->stats_json), "locked",
				       &locked) == 1 &&
		    (k ? k->reported : locked != c->lock_all) &&
		    (k || (k = track_of(c, info->id, true)))) {
			k->locked = locked;
			k->reported = true;
		}
		break;
	}
	case CAST_STUDENT_EVENT:
		if (info->event_name)
			on_student_event_locked(c, info, info->event_name,
						info->event_args,
						info->event_args_len);
		break;
	case CAST_STUDENT_REPLY: {
		struct reply *r;

		if (c->rep_n == RING) {
			c->rep_head = (c->rep_head + 1) % RING;
			c->rep_n--;
		}
		r = &c->replies[(c->rep_head + c->rep_n++) % RING];
		r->cmd_id = info->last_cmd_id;
		r->status = info->last_cmd_status;
		r->when_us = cast_now_us();
		snprintf(r->id, sizeof(r->id), "%s", info->id);
		r->cmd[0] = '\0';
		for (int i = 0; i < RING; i++)
			if (c->sent[i].cmd_id == r->cmd_id)
				snprintf(r->cmd, sizeof(r->cmd), "%s",
					 c->sent[i].cmd);
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&c->lock);
}

void console_json(struct console *c, struct cast_json *j)
{
	int raised = 0, locked = 0;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->n_hands; i++)
		raised += c->hands[i].raised;
	for (int i = 0; i < c->n_track; i++)
		locked += c->track[i].locked;
	cast_json_obj(j, "console");
	cast_json_int(j, "hands_raised", raised);
	cast_json_int(j, "messages", c->inbox_n);
	cast_json_bool(j, "lock_all", c->lock_all);
	cast_json_int(j, "locked", locked);
	cast_json_str(j, "language", c->language);
	cast_json_int(j, "replies", c->rep_n);
	cast_json_end(j);
	pthread_mutex_unlock(&c->lock);
}

int console_new(struct console **out, const struct console_cfg *cfg)
{
	struct console *c = calloc(1, sizeof(*c));
	char err[512];
	int ret;

	if (!c)
		return CAST_ERROR(ENOMEM);
	c->cfg = *cfg;
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->wol_addr, sizeof(c->wol_addr), "%s",
		 cfg->wol_addr ? cfg->wol_addr : "255.255.255.255");
	if (cfg->settings_path) {
		snprintf(c->settings_path, sizeof(c->settings_path), "%s",
			 cfg->settings_path);
		if (access(c->settings_path, F_OK) == 0 &&
		    cast_config_load(c->settings_path, settings_cb, c, err,
				     sizeof(err)))
			cast_log(CAST_LOG_WARN, "console", "%s (ignored)", err);
	}
	c->cfg.settings_path = NULL;
	ret = cast_roster_open(&c->roster,
			       cfg->roster_path ? cfg->roster_path : ":memory:");
	if (!ret) {
		char title[128];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(title, sizeof(title), "%Y-%m-%d %H:%M", &tm);
		ret = cast_roster_lesson_begin(c->roster,
					       cfg->lesson ? cfg->lesson : title,
					       cast_now_us(), &c->lesson_id);
	}
	if (ret) {
		cast_log(CAST_LOG_ERROR, "console", "roster %s: %s",
			 cfg->roster_path ? cfg->roster_path : "(memory)",
			 cast_strerror(ret));
		cast_roster_close(&c->roster);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return ret;
	}
	if (cfg->homework_root) {
		char lesson[64];
		struct tm tm;
		time_t now = time(NULL);

		/* One folder per lesson: its title, or the date and time. */
		localtime_r(&now, &tm);
		strftime(lesson, sizeof(lesson), "%Y-%m-%d_%H%M", &tm);
		if (cfg->lesson && !cast_homework_name_check(cfg->lesson))
			snprintf(lesson, sizeof(lesson), "%s", cfg->lesson);
		mkdir(cfg->homework_root, 0700);
		ret = cast_homework_rx_new(&c->homework, cfg->homework_root,
					   lesson, NULL);
		if (ret)
			cast_log(CAST_LOG_WARN, "console",
				 "homework folder %s/%s: %s (collection off)",
				 cfg->homework_root, lesson,
				 cast_strerror(ret));
	}
	c->cfg.roster_path = c->cfg.lesson = c->cfg.homework_root = NULL;
	*out = c;
	return 0;
}

void console_set_ctl(struct console *c, struct cast_teacher_ctl *ctl)
{
	pthread_mutex_lock(&c->lock);
	c->ctl = ctl;
	pthread_mutex_unlock(&c->lock);
}

void console_free(struct console **pc)
{
	struct console *c = pc ? *pc : NULL;

	if (!c)
		return;
	for (int i = 0; i < c->n_threads; i++)
		pthread_join(c->threads[i], NULL);
	cast_file_sender_free(&c->files);
	cast_homework_rx_free(&c->homework);
	if (c->roster) {
		cast_roster_lesson_end(c->roster, c->lesson_id, cast_now_us());
		cast_roster_close(&c->roster);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->track);
	free(c);
	*pc = NULL;
}
