/* The teacher's class: what it set, what students sent, every action. */
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

#include "cast/class.h"
#include "cast/config.h"
#include "cast/csv.h"
#include "cast/error.h"
#include "cast/frame.h"
#include "cast/homework.h"
#include "cast/log.h"
#include "cast/net.h"
#include "cast/roster.h"

#define OBJ "class"
#define MAX_TRACK 1024		/* students whose state we remember */
#define MAX_IDS 256		/* students one command names */
#define RING 256		/* hands, messages, replies kept */
#define ROSTER_MAX 512		/* students listed at once */
#define POWER_WAIT_MS 15000	/* for the students' power outcomes */
#define OFFER_WAIT_MS 2000	/* for offers to reach students */
/* After the broadcast starts again, the seats' windows come back and
 * report it; until then none counts as having left. */
#define BCAST_GRACE_US 2000000
/* Homework chunks waiting for the disk: past this, the students sending
 * them are held (their connections not read) until the worker catches up. */
#define HW_QUEUE_HIGH (64u << 20)
#define HW_QUEUE_LOW (16u << 20)

/* Console features a teacher may hide from the menu (F16). */
static const char *const FEATURES[] = {
	"broadcast", "lock",   "message", "marquee", "watermark",
	"language",  "web",    "power",   "wake",    "hands",
	"inbox",     "assets", "clock",   "reset",   "roster",
	"attendance", "send",  "collect", "whiteboard", "record",
	"voice",      "wall",  "demo",    "control",    "bar",
	"film",       NULL,
};
#define N_FEATURES (sizeof(FEATURES) / sizeof(FEATURES[0]) - 1)

/* What the teacher set on one student (re-applied when it rejoins). */
struct tracked {
	char id[64];
	bool locked;
	bool reported;			/* lock state as the student reported */
	char notice[CAST_NOTICE_MAX];
	bool has_wm;			/* else the class's watermark */
	struct cast_watermark wm;
	uint8_t voice;			/* 0: the class's, 1 off, 2 on */
};

/* An online student's broadcast window as it last reported it ("view"). */
struct viewed {
	char id[64];			/* "": a free slot */
	struct cast_view v;
	int64_t unfocused_us;		/* monotonic: focus lost; 0 focused */
};

struct hand {
	char id[64], name[128];
	bool raised;
	int64_t since_us;
};

struct note {
	char id[64], name[128];
	int64_t when_us;
	char text[CAST_NOTICE_MAX];
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

/* Who a command goes to. */
struct targets {
	char ids[MAX_IDS][64];
	int n;			/* -1: all online */
	char offline[1024];
	char unknown[1024];
};

/* Work for the worker thread, in order. */
struct job {
	struct job *next;
	char *(*run)(struct cast_class *c, struct job *j);
	uint64_t req;			/* ctl request it answers; 0 none */
	int argc;
	char **argv;			/* the ctl words (one allocation) */
	struct targets *t;
	char student[64];		/* homework: whose chunk */
	uint8_t *data;
	size_t len;
	size_t hw_bytes;		/* counted in hw_queued */
};

/* A join or a leave for the roster and attendance (a job's data). */
struct attend {
	struct cast_identity who;
	int64_t when_us;
};

/* An answer, or a file sending, that waits for the students' replies. */
struct waiter {
	struct waiter *next;
	uint64_t req;			/* power: the ctl request */
	char command[16];
	int n;
	uint32_t ids[MAX_IDS];
	char who[MAX_IDS][64];
	bool answered[MAX_IDS];
	int32_t status[MAX_IDS];
	char offline[1024];
	int64_t deadline_us;		/* monotonic */
	/* Offers: what goes by NORM once they reached the students. */
	char path[1024];
	bool tree;
	struct cast_file_offer *offers;
	size_t count;
	uint32_t nodes[ROSTER_MAX];
	size_t n_nodes;
};

struct cast_class {
	int channel;
	char iface[64];
	char settings_path[1024];
	char wol_addr[64];
	uint16_t wol_port;
	struct cast_teacher_ctl *ctl;
	struct {
		char verb[32];
		cast_ctl_command_cb *cb;
		void *arg;
	} verbs[CAST_CLASS_VERBS_MAX];	/* set before the control plane runs */
	int n_verbs;
	struct cast_roster *roster;
	int64_t lesson_id;
	struct cast_file_sender *files;	/* made on the first send */
	struct cast_homework_rx *homework;
	pthread_mutex_t lock;

	/* The worker and its queue (under lock). */
	pthread_t worker;
	bool worker_started, stop;
	pthread_cond_t wake;
	struct job *jobs, **jobs_tail;
	/*
	 * The slow lane: jobs that hash whole files (`send`), on a thread of
	 * their own, so a quick job (roster import, an export, the menu)
	 * never waits behind a 2 GiB hash. In order among themselves.
	 */
	pthread_t hasher;
	bool hasher_started, stop_slow;
	pthread_cond_t slow_wake;
	struct job *slow_jobs, **slow_tail;
	struct waiter *waiters;
	size_t hw_queued;		/* bytes of homework chunks queued */
	bool hw_held;

	uint32_t next_collection;
	uint32_t next_transfer;
	struct {
		uint32_t id;
		char path[CAST_FILE_PATH_MAX];
	} transfers[RING];
	int n_transfers;

	/* Class state, re-applied on every join. */
	bool lock_all;
	char lock_notice[CAST_NOTICE_MAX];
	struct tracked *track;		/* grows up to MAX_TRACK */
	int n_track, cap_track;
	bool has_wm;			/* a class watermark was set */
	struct cast_watermark wm;
	char language[8];
	uint8_t voice_all;		/* 0: never said, 1 off, 2 on */
	/* The broadcast stopped (`ctl broadcast off`): told to every seat
	 * that joins, as is its running. */
	bool bcast_off;
	int64_t bcast_mono;		/* when it last started or stopped */

	struct hand hands[RING];
	int n_hands;
	struct note inbox[RING];
	int inbox_head, inbox_n;
	uint64_t messages_refused;
	/* Students' file events: all, and those that failed. */
	uint64_t files_reported, files_failed;
	struct reply replies[RING];
	int rep_head, rep_n;
	struct {
		uint32_t cmd_id;
		char cmd[32];
	} sent[RING];
	int sent_head;
	struct asset *assets;		/* MAX_TRACK of them */
	int n_assets;
	bool hidden[N_FEATURES];
	struct cast_student_info roster_copy[ROSTER_MAX]; /* under lock */
	/* Windows of online students; forgotten when they join or leave,
	 * so a restarted agent starts fresh. */
	struct viewed views[ROSTER_MAX];
};

void cast_class_cfg_init(struct cast_class_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->wol_port = 9;
}

/* ---- settings (custom menu) ---- */

static int feature_index(const char *name)
{
	for (int i = 0; FEATURES[i]; i++)
		if (!strcmp(FEATURES[i], name))
			return i;
	return -1;
}

/* Writes the menu (on the worker: it touches the disk). */
static void settings_save(const char *path, const bool hidden[N_FEATURES])
{
	char tmp[1100];
	FILE *f;

	if (!path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		cast_log(CAST_LOG_WARN, OBJ, "cannot save %s", path);
		return;
	}
	fprintf(f, "# libcast teacher console settings\n");
	for (size_t i = 0; i < N_FEATURES; i++)
		if (hidden[i])
			fprintf(f, "hide = %s\n", FEATURES[i]);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path))
		cast_log(CAST_LOG_WARN, OBJ, "cannot save %s", path);
}

static int settings_cb(const char *key, const char *value, void *arg,
		       char *why, size_t why_size)
{
	struct cast_class *c = arg;
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
static struct tracked *track_of(struct cast_class *c, const char *id, bool add)
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

/* The window student `id` reported, or a slot for it (`add`); NULL when
 * none (caller holds c->lock). */
static struct viewed *view_of(struct cast_class *c, const char *id, bool add)
{
	struct viewed *free_slot = NULL;

	for (int i = 0; i < ROSTER_MAX; i++) {
		if (!strcmp(c->views[i].id, id))
			return &c->views[i];
		if (!free_slot && !c->views[i].id[0])
			free_slot = &c->views[i];
	}
	if (!add || !free_slot || !id[0])
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	snprintf(free_slot->id, sizeof(free_slot->id), "%s", id);
	return free_slot;
}

static void view_forget(struct cast_class *c, const char *id)
{
	struct viewed *w = view_of(c, id, false);

	if (w)
		memset(w, 0, sizeof(*w));
}

/* A "view" event: the student's window changed (or it rejoined). */
static void view_report(struct cast_class *c,
			const struct cast_student_info *info,
			const struct cast_view *vp)
{
	struct cast_view v = *vp;
	struct viewed *w;
	bool was_unfocused;

	w = view_of(c, info->id, true);
	if (!w)
		return;
	was_unfocused = w->unfocused_us != 0;
	if (v.headless || v.focused)
		w->unfocused_us = 0;
	else if (!was_unfocused)
		w->unfocused_us = cast_mono_us();
	if (!v.headless &&
	    (v.fullscreen != w->v.fullscreen || v.visible != w->v.visible ||
	     v.focused != w->v.focused || v.picture != w->v.picture))
		cast_log(CAST_LOG_INFO, OBJ,
			 "%s: window %sfull-screen, %s, %s%s", info->id,
			 v.fullscreen ? "" : "not ",
			 v.visible ? "visible" : "hidden",
			 v.focused ? "focused" : "not focused",
			 v.picture ? "" : ", no picture yet");
	w->v = v;
}

static char *error_reply(const char *fmt, const char *arg)
{
	return cast_json_error(fmt, arg ? arg : "");
}

static char *json_done(struct cast_json *j)
{
	cast_json_end(j);
	return cast_json_take(j);
}

/* The value of key=… among the words, or NULL. */
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

/* A copy of the control plane's roster (caller holds c->lock). */
static int roster_of(struct cast_class *c)
{
	return c->ctl ? cast_teacher_ctl_students(c->ctl, c->roster_copy,
						  ROSTER_MAX)
		      : 0;
}

/*
 * Resolves "--to" into student ids. `to` NULL or "all" means every online
 * student (ids = NULL, n = -1). Unknown ids are an error naming them;
 * known students that are offline are listed in `offline`.
 */
static void resolve(struct cast_class *c, const char *to, struct targets *t)
{
	int n = roster_of(c);
	char list[2048], *save = NULL, *id;

	t->n = 0;
	t->offline[0] = t->unknown[0] = '\0';
	if (!to || !strcmp(to, "all")) {
		t->n = -1;
		return;
	}
	snprintf(list, sizeof(list), "%s", to);
	for (id = strtok_r(list, ",", &save); id && t->n < MAX_IDS;
	     id = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = 0; k < n && strcmp(c->roster_copy[k].id, id); k++)
			;
		if (k == n) {
			size_t l = strlen(t->unknown);

			snprintf(t->unknown + l, sizeof(t->unknown) - l, "%s%s",
				 l ? "," : "", id);
			continue;
		}
		if (!c->roster_copy[k].online) {
			size_t l = strlen(t->offline);

			snprintf(t->offline + l, sizeof(t->offline) - l,
				 "%s%s", l ? "," : "", id);
		}
		snprintf(t->ids[t->n++], sizeof(t->ids[0]), "%s", id);
	}
}

/* "all" as the list of online students, each sent its own command. */
static void targets_online(struct cast_class *c, struct targets *t)
{
	int n = roster_of(c);

	t->n = 0;
	for (int k = 0; k < n && t->n < MAX_IDS; k++)
		if (c->roster_copy[k].online)
			snprintf(t->ids[t->n++], sizeof(t->ids[0]), "%.63s",
				 c->roster_copy[k].id);
}

static void note_sent(struct cast_class *c, int cmd_id, const char *cmd)
{
	if (cmd_id <= 0)
		return;
	c->sent[c->sent_head].cmd_id = (uint32_t)cmd_id;
	snprintf(c->sent[c->sent_head].cmd, sizeof(c->sent[0].cmd), "%s", cmd);
	c->sent_head = (c->sent_head + 1) % RING;
}

/*
 * Sends a typed command to the targets (caller holds c->lock); the first
 * `max` command ids go to `ids` (and the students to `who`) when not NULL,
 * all of them into "command_ids" of `j` when not NULL. Returns the number
 * queued, or the encoding's error.
 */
static int send_to(struct cast_class *c, const struct targets *t,
		   const struct cast_command *cmd, struct cast_json *j,
		   uint32_t *ids, char (*who)[64], int max)
{
	const char *name = cast_command_name(cmd->type);
	struct cast_args a = {0};
	int sent = 0, id, ret;

	ret = cast_command_encode(cmd, &a);
	if (ret) {
		cast_args_free(&a);
		return ret;
	}
	if (j)
		cast_json_array(j, "command_ids");
	for (int i = 0; i < (t->n < 0 ? 1 : t->n); i++) {
		const char *to = t->n < 0 ? NULL : t->ids[i];

		id = cast_teacher_ctl_command(c->ctl, to, name, a.buf, a.len);
		if (id <= 0)
			continue;
		note_sent(c, id, name);
		if (j)
			cast_json_int(j, NULL, id);
		if (ids && sent < max) {
			ids[sent] = (uint32_t)id;
			if (who)
				snprintf(who[sent], sizeof(who[0]), "%s",
					 to ? to : "");
		}
		sent++;
	}
	if (j)
		cast_json_array_end(j);
	cast_args_free(&a);
	return sent;
}

/* ---- Wake-on-LAN (F10) ---- */

/*
 * Wakes the chosen students' machines (their MACs as learned when they
 * signed in; --to all: every known machine that is offline), and any
 * mac=AA:BB:… given explicitly (machines never seen yet).
 */
static char *cmd_wake(struct cast_class *c, const struct targets *t,
		      bool explicit_to, char **tok, int ntok)
{
	static const uint8_t zero[6];
	int n = roster_of(c), woken = 0;
	struct cast_json j;
	uint8_t mac[6];

	cast_json_begin(&j);
	cast_json_array(&j, "woken");
	for (int i = 0; i < ntok; i++) {
		if (strncmp(tok[i], "mac=", 4))
			continue;
		if (cast_mac_parse(tok[i] + 4, mac)) {
			cast_json_free(&j);
			return error_reply("bad MAC address '%s'", tok[i] + 4);
		}
		if (!cast_wol_send(c->wol_addr, c->wol_port, mac)) {
			cast_json_str(&j, NULL, tok[i] + 4);
			woken++;
		}
	}
	/* Only MACs given: wake just those. */
	if (woken && !explicit_to)
		n = 0;
	for (int k = 0; k < n; k++) {
		const struct cast_student_info *in = &c->roster_copy[k];
		bool want = t->n < 0 ? !in->online : false;

		for (int i = 0; i < t->n; i++)
			want |= !strcmp(t->ids[i], in->id);
		if (!want || !memcmp(in->mac, zero, 6))
			continue;
		if (!cast_wol_send(c->wol_addr, c->wol_port, in->mac)) {
			cast_json_str(&j, NULL, in->id);
			woken++;
		}
	}
	cast_json_array_end(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "sent", woken);
	return json_done(&j);
}

/* ---- listings ---- */

static char *cmd_hands(struct cast_class *c)
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

static char *cmd_inbox(struct cast_class *c)
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "messages");
	for (int i = 0; i < c->inbox_n; i++) {
		const struct note *n = &c->inbox[(c->inbox_head + i) % RING];

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

static char *cmd_replies(struct cast_class *c)
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

/* assets: asks every online student; answers arrive as events. */
static char *cmd_assets(struct cast_class *c)
{
	struct targets t = {.n = -1};
	struct cast_command cmd;
	struct cast_json j;

	cast_command_init(&cmd, CAST_CMD_ASSETS);
	cast_json_begin(&j);
	send_to(c, &t, &cmd, &j, NULL, NULL, 0);
	cast_json_int(&j, "known", c->n_assets);
	cast_json_array(&j, "assets");
	for (int i = 0; i < c->n_assets; i++) {
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", c->assets[i].id);
		/* Validated as a JSON object when it arrived. */
		cast_json_raw(&j, "summary", c->assets[i].json);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

/* assets export=FILE (on the worker): one escaped CSV, mode 0600. */
static char *job_assets_export(struct cast_class *c, struct job *jb)
{
	static const char *const cols[] = {"host", "cpu", "cores",
					   "memory_mb", "disk_gb", "disk_free_gb",
					   "os", "kernel", "mac", "display",
					   NULL};
	const char *path = arg_of(jb->argv + 1, jb->argc - 1, "export");
	struct cast_csv csv = {0};
	struct cast_json j;
	char v[512];
	int ret, rows;

	cast_csv_begin(&csv, "id,host,cpu,cores,memory_mb,disk_gb,"
			     "disk_free_gb,os,kernel,mac,display");
	pthread_mutex_lock(&c->lock);
	rows = c->n_assets;
	for (int i = 0; i < c->n_assets; i++) {
		cast_csv_cell(&csv, c->assets[i].id, false);
		for (int k = 0; cols[k]; k++) {
			cast_json_get_str(c->assets[i].json,
					  strlen(c->assets[i].json), cols[k], v,
					  sizeof(v));
			cast_csv_cell(&csv, v, !cols[k + 1]);
		}
	}
	pthread_mutex_unlock(&c->lock);
	ret = cast_csv_save(&csv, path);
	cast_csv_free(&csv);
	if (ret)
		return error_reply("cannot write %s", path);
	cast_json_begin(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "rows", rows);
	cast_json_str(&j, "file", path);
	return json_done(&j);
}

static char *cmd_clock(struct cast_class *c)
{
	int n = roster_of(c);
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "clocks");
	for (int k = 0; k < n; k++) {
		const struct cast_student_info *in = &c->roster_copy[k];

		if (!in->online)
			continue;
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", in->id);
		cast_json_num(&j, "offset_ms", in->clock_offset_ms);
		/* The round trip of the sample the offset comes from: the
		 * offset is within half of it. */
		cast_json_num(&j, "rtt_ms", in->clock_rtt_ms);
		cast_json_int(&j, "samples", in->clock_samples);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

static char *menu_json(const bool hidden[N_FEATURES])
{
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "menu");
	for (size_t i = 0; i < N_FEATURES; i++) {
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "feature", FEATURES[i]);
		cast_json_bool(&j, "shown", !hidden[i]);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	return json_done(&j);
}

/* menu show|hide FEATURE (on the worker: the menu file is written). */
static char *job_menu(struct cast_class *c, struct job *jb)
{
	bool hidden[N_FEATURES];
	int i = feature_index(jb->argv[2]);

	if (i < 0)
		return error_reply("unknown feature '%s'", jb->argv[2]);
	pthread_mutex_lock(&c->lock);
	c->hidden[i] = !strcmp(jb->argv[1], "hide");
	memcpy(hidden, c->hidden, sizeof(hidden));
	pthread_mutex_unlock(&c->lock);
	settings_save(c->settings_path, hidden);
	return menu_json(hidden);
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
	return j->overflow ? CAST_ERROR(ENOMEM) : 0;
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
	return j->overflow ? CAST_ERROR(ENOMEM) : 0;
}

/* roster [export=FILE] [import=FILE [replace=1]] (on the worker). */
static char *job_roster(struct cast_class *c, struct job *jb)
{
	char **tok = jb->argv + 1, err[512];
	const char *path, *replace;
	int n = jb->argc - 1, ret;
	struct cast_json j;

	if ((path = arg_of(tok, n, "export"))) {
		ret = cast_roster_export_csv(c->roster, path);
		if (ret < 0)
			return error_reply("cannot write the roster: %s",
					   cast_strerror(ret));
		cast_json_begin(&j);
		cast_json_bool(&j, "ok", true);
		cast_json_str(&j, "file", path);
		return json_done(&j);
	}
	if ((path = arg_of(tok, n, "import"))) {
		replace = arg_of(tok, n, "replace");
		err[0] = '\0';
		ret = cast_roster_import_csv(c->roster, path,
					     replace && !strcmp(replace, "1")
						     ? CAST_ROSTER_IMPORT_REPLACE
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
	if (ret < 0) {
		cast_json_free(&j);
		return error_reply("roster: %s", cast_strerror(ret));
	}
	return json_done(&j);
}

/* attendance [export=FILE] (on the worker). */
static char *job_attendance(struct cast_class *c, struct job *jb)
{
	const char *path = arg_of(jb->argv + 1, jb->argc - 1, "export");
	struct cast_json j;
	int ret;

	if (path) {
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
	if (ret < 0) {
		cast_json_free(&j);
		return error_reply("attendance: %s", cast_strerror(ret));
	}
	return json_done(&j);
}

/* ---- file distribution (F11) ---- */

#define LINK_REFUSED                                                           \
	"%s is a symbolic link: not sent (links are never followed; send "     \
	"its target itself)"

static void waiter_free(struct waiter *w)
{
	free(w->offers);
	free(w);
}

/*
 * send path=FILE|FOLDER [open=1] [--to IDS] (on the worker: it hashes).
 * The offers (name, size, SHA-256) go to the students over their
 * authenticated connections; the bytes go once by NORM multicast as soon
 * as every student answered its offers (they drop objects nobody offered
 * them), or after OFFER_WAIT_MS.
 */
static char *job_send(struct cast_class *c, struct job *jb)
{
	char **tok = jb->argv + 1;
	int n = jb->argc - 1, ret = 0, nr;
	const char *path = arg_of(tok, n, "path"), *open = arg_of(tok, n, "open");
	struct cast_file_offer *offers = NULL;
	struct cast_command *cmd = NULL;
	struct waiter *w = NULL;
	size_t count = 0;
	struct cast_json j;
	struct stat st;
	bool tree;

	if (!path || path[0] != '/' || strlen(path) >= sizeof(w->path))
		return error_reply("send needs path=/absolute/file/or/folder",
				   NULL);
	/* Never a link's target: lstat, and the offers refuse links too. */
	if (lstat(path, &st))
		return error_reply("cannot read %s", path);
	if (S_ISLNK(st.st_mode))
		return error_reply(LINK_REFUSED, path);
	tree = S_ISDIR(st.st_mode);
	if (!c->files) {
		struct cast_file_sender_cfg fc;
		struct cast_file_sender *fs = NULL;

		cast_file_sender_cfg_init(&fc);
		fc.channel = c->channel;
		fc.iface = c->iface[0] ? c->iface : NULL;
		ret = cast_file_sender_new(&fs, &fc);
		if (ret)
			return error_reply("file sender: %s",
					   cast_strerror(ret));
		pthread_mutex_lock(&c->lock);
		c->files = fs;
		pthread_mutex_unlock(&c->lock);
	}
	/* Hashing: the long part, with nothing locked. */
	if (tree) {
		ret = cast_file_tree_offers(path, 1, &offers, &count);
	} else {
		offers = calloc(1, sizeof(*offers));
		ret = !offers ? CAST_ERROR(ENOMEM)
			      : cast_file_offer_make(offers, path, NULL, 1);
		count = ret ? 0 : 1;
	}
	if (ret) {
		free(offers);
		if (ret == CAST_ERROR(ELOOP)) /* "dir-link/" passes lstat */
			return error_reply(LINK_REFUSED, path);
		return error_reply("cannot offer it: %s", cast_strerror(ret));
	}
	w = calloc(1, sizeof(*w));
	cmd = malloc(sizeof(*cmd));
	if (!w || !cmd) {
		free(offers);
		free(w);
		free(cmd);
		return error_reply("out of memory", NULL);
	}
	snprintf(w->command, sizeof(w->command), "file-offer");
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->tree = tree;
	w->offers = offers;
	w->count = count;
	w->deadline_us = cast_mono_us() + OFFER_WAIT_MS * 1000LL;

	pthread_mutex_lock(&c->lock);
	/* One offer command per student, so each one's answer counts. */
	if (jb->t->n < 0)
		targets_online(c, jb->t);
	nr = roster_of(c);
	for (int k = 0; k < nr && w->n_nodes < ROSTER_MAX; k++) {
		const struct cast_student_info *in = &c->roster_copy[k];
		bool want = false;

		for (int i = 0; i < jb->t->n; i++)
			want |= !strcmp(jb->t->ids[i], in->id);
		if (want)
			w->nodes[w->n_nodes++] =
				cast_file_node_id(in->presented_id, in->mac);
	}
	cast_json_begin(&j);
	cast_json_array(&j, "transfers");
	for (size_t i = 0; i < count; i++) {
		struct cast_file_offer *o = &offers[i];
		int sent;

		o->transfer_id = ++c->next_transfer;
		o->open_after = open && !strcmp(open, "1");
		cast_command_init(cmd, CAST_CMD_FILE_OFFER);
		cmd->u.file_offer = *o;
		cast_json_obj(&j, NULL);
		cast_json_int(&j, "id", o->transfer_id);
		cast_json_str(&j, "path", o->rel_path);
		cast_json_int(&j, "size", (int64_t)o->size);
		sent = send_to(c, jb->t, cmd, &j, w->ids + w->n, NULL,
			       MAX_IDS - w->n);
		if (sent < 0)
			cast_json_str(&j, "error", cast_strerror(sent));
		else
			w->n += sent < MAX_IDS - w->n ? sent : MAX_IDS - w->n;
		cast_json_end(&j);
		snprintf(c->transfers[c->n_transfers % RING].path,
			 sizeof(c->transfers[0].path), "%s", o->rel_path);
		c->transfers[c->n_transfers++ % RING].id = o->transfer_id;
	}
	cast_json_array_end(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "students", (int64_t)w->n_nodes);
	w->next = c->waiters;
	c->waiters = w;
	pthread_mutex_unlock(&c->lock);
	free(cmd);
	return json_done(&j);
}

/* The offers were answered (or not in time): the bytes go by NORM. */
static void send_offered(struct cast_class *c, struct waiter *w)
{
	int ret;

	if (w->tree) {
		for (size_t i = 0; i < w->n_nodes; i++)
			cast_file_sender_add_node(c->files, w->nodes[i]);
		ret = cast_file_sender_send_tree(c->files, w->path, w->offers,
						 w->count);
	} else {
		ret = cast_file_sender_send_to(c->files, w->path,
					       w->offers[0].transfer_id,
					       w->nodes, w->n_nodes);
	}
	if (ret < 0)
		cast_log(CAST_LOG_ERROR, OBJ, "sending %s: %s", w->path,
			 cast_strerror(ret));
}

/* power: every student's outcome, once all answered or the time is up. */
static void answer_power(struct cast_class *c, struct waiter *w)
{
	struct cast_json j;
	bool ok = w->n > 0 && !w->offline[0];
	char *out;

	cast_json_begin(&j);
	cast_json_str(&j, "command", "power");
	cast_json_array(&j, "students");
	for (int i = 0; i < w->n; i++) {
		cast_json_obj(&j, NULL);
		cast_json_int(&j, "command_id", w->ids[i]);
		cast_json_str(&j, "id", w->who[i]);
		cast_json_bool(&j, "ok", w->answered[i] && !w->status[i]);
		if (!w->answered[i])
			cast_json_str(&j, "error", "no reply in time");
		else if (w->status[i])
			cast_json_str(&j, "error", cast_strerror(w->status[i]));
		cast_json_end(&j);
		ok = ok && w->answered[i] && !w->status[i];
	}
	cast_json_array_end(&j);
	if (w->offline[0])
		cast_json_str(&j, "offline", w->offline);
	if (!w->n)
		cast_json_str(&j, "error", "no student was sent the command");
	cast_json_bool(&j, "ok", ok);
	out = json_done(&j);
	pthread_mutex_lock(&c->lock);
	if (out && c->ctl)
		cast_teacher_ctl_answer(c->ctl, w->req, out);
	pthread_mutex_unlock(&c->lock);
	free(out);
}

/* files: each recent transfer with each student's state. */
static char *cmd_files(struct cast_class *c)
{
	static struct cast_file_node_progress np[ROSTER_MAX];
	int nr = roster_of(c);
	int first = c->n_transfers > RING ? c->n_transfers - RING : 0;
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "transfers");
	for (int i = first; c->files && i < c->n_transfers; i++) {
		struct cast_file_progress pr;
		int k = cast_file_sender_progress(c->files,
						  c->transfers[i % RING].id,
						  &pr, np, ROSTER_MAX);

		if (k < 0) /* offered, not yet on its way */
			k = 0, pr = (struct cast_file_progress){0};
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
				if (cast_file_node_id(
					    c->roster_copy[q].presented_id,
					    c->roster_copy[q].mac) ==
				    np[m].node_id)
					who = c->roster_copy[q].id;
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
static char *cmd_collect(struct cast_class *c, const struct targets *t,
			 char **tok, int n)
{
	struct cast_command cmd;
	struct cast_json j;

	if (!c->homework)
		return error_reply("no homework folder on this teacher", NULL);
	cast_command_init(&cmd, CAST_CMD_COLLECT);
	if (!arg_value(tok, n, "folder", cmd.u.collect.folder,
		       sizeof(cmd.u.collect.folder)) ||
	    cast_homework_path_check(cmd.u.collect.folder))
		return error_reply("collect needs folder=NAME (a relative "
				   "folder inside each student's home)", NULL);
	cmd.u.collect.collection = ++c->next_collection;
	cast_json_begin(&j);
	send_to(c, t, &cmd, &j, NULL, NULL, 0);
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "collection", c->next_collection);
	return json_done(&j);
}

static char *cmd_homework(struct cast_class *c)
{
	static struct cast_homework_status st[ROSTER_MAX];
	int n = c->homework ? cast_homework_rx_list(c->homework, st,
						    ROSTER_MAX)
			    : 0;
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "homework");
	for (int i = 0; i < n && i < ROSTER_MAX; i++) {
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

/* What `ctl class` adds of a student's identity after its other fields. */
static void identity_json(struct cast_json *j, const struct cast_identity *who)
{
	char mac[18];

	cast_mac_format(who->mac, mac, sizeof(mac));
	cast_json_str(j, "presented_id", who->presented_id);
	cast_json_str(j, "host", who->host);
	cast_json_str(j, "mac", mac);
}

/* class: every student with address and state (online, responding, its
 * window, signed in, hand raised, locked, last seen), the teacher's one
 * view of the room. */
static char *cmd_class(struct cast_class *c)
{
	int n = roster_of(c);
	int64_t now = cast_now_us(), mono = cast_mono_us();
	struct cast_json j;

	cast_json_begin(&j);
	cast_json_array(&j, "students");
	for (int k = 0; k < n; k++) {
		const struct cast_student_info *in = &c->roster_copy[k];
		struct tracked *t = track_of(c, in->id, false);
		struct viewed *w = in->online ? view_of(c, in->id, false) : NULL;
		int64_t unfocused = w && w->unfocused_us
					    ? (mono - w->unfocused_us) / 1000
					    : 0;
		bool hand = false, left, watching;

		for (int i = 0; i < c->n_hands; i++)
			if (!strcmp(c->hands[i].id, in->id))
				hand = c->hands[i].raised;
		/* Stopped, every window steps aside: nobody left anything
		 * (nor while the windows come back, BCAST_GRACE_US). */
		left = w && !c->bcast_off &&
		       mono - c->bcast_mono >= BCAST_GRACE_US &&
		       cast_view_left(&w->v, unfocused);
		watching = w && !left && !w->v.headless && w->v.picture;
		cast_json_obj(&j, NULL);
		cast_json_str(&j, "id", in->id);
		cast_json_str(&j, "name", in->name);
		cast_json_str(&j, "class", in->class_name);
		cast_json_str(&j, "ip", in->ip);
		cast_json_bool(&j, "online", in->online);
		cast_json_bool(&j, "signed_in", in->online && in->id[0]);
		cast_json_bool(&j, "hand", hand);
		cast_json_bool(&j, "locked", t ? t->locked : c->lock_all);
		/* Another machine presents this id too (cloned seats). */
		cast_json_bool(&j, "conflict", in->conflict);
		if (in->conflict) {
			cast_json_str(&j, "conflict_with", in->conflict_with);
			cast_json_str(&j, "conflict_ip", in->conflict_ip);
		}
		cast_json_str(&j, "state", cast_student_state(in, left, watching));
		cast_json_bool(&j, "responding", in->responding);
		if (in->online)
			cast_json_num(&j, "silent_s", in->silent_ms / 1000.0);
		cast_json_bool(&j, "left_broadcast", left);
		/* What its window reported: null before any report. */
		if (!w) {
			cast_json_raw(&j, "view", "null");
		} else {
			cast_json_obj(&j, "view");
			cast_json_bool(&j, "headless", w->v.headless);
			if (!w->v.headless) {
				cast_json_bool(&j, "fullscreen",
					       w->v.fullscreen);
				cast_json_bool(&j, "visible", w->v.visible);
				cast_json_bool(&j, "focused", w->v.focused);
				cast_json_bool(&j, "picture", w->v.picture);
				cast_json_num(&j, "unfocused_s",
					      (double)unfocused / 1000.0);
			}
			cast_json_end(&j);
		}
		cast_json_num(&j, "last_seen_s_ago",
			      (double)(now - in->last_seen_us) / 1e6);
		/* The rest of its identity: "id" is its seat id, these are
		 * what it presented and the hints that came with it. */
		identity_json(&j, &in->ident);
		cast_json_end(&j);
	}
	cast_json_array_end(&j);
	cast_json_bool(&j, "broadcasting", !c->bcast_off);
	return json_done(&j);
}

/* ---- the worker ---- */

/* Queues `run` with a copy of the ctl words (caller holds c->lock). */
static struct job *job_new(char *(*run)(struct cast_class *, struct job *),
			   uint64_t req, int argc, char **argv)
{
	struct job *j = calloc(1, sizeof(*j));
	size_t size = 0;
	char *p;

	if (!j)
		return NULL;
	for (int i = 0; i < argc; i++)
		size += strlen(argv[i]) + 1;
	j->argv = malloc((size_t)(argc + 1) * sizeof(char *) + size + 1);
	if (!j->argv) {
		free(j);
		return NULL;
	}
	p = (char *)(j->argv + argc + 1);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		j->argv[i] = memcpy(p, argv[i], n);
		p += n;
	}
	j->argv[argc] = NULL;
	j->argc = argc;
	j->run = run;
	j->req = req;
	return j;
}

static void job_free(struct job *j)
{
	free(j->argv);
	free(j->t);
	free(j->data);
	free(j);
}

static void job_push(struct cast_class *c, struct job *j)
{
	*c->jobs_tail = j;
	c->jobs_tail = &j->next;
	pthread_cond_signal(&c->wake);
}

/* A job that reads and hashes whole files: the slow lane. */
static void job_push_slow(struct cast_class *c, struct job *j)
{
	*c->slow_tail = j;
	c->slow_tail = &j->next;
	pthread_cond_signal(&c->slow_wake);
}

/* Runs a job and answers its request (without the lock held on entry). */
static void job_run(struct cast_class *c, struct job *j)
{
	char *out = j->run(c, j);

	/* Under the lock: the control plane may be going
	 * (cast_class_set_ctl(c, NULL)). */
	pthread_mutex_lock(&c->lock);
	if (j->req && c->ctl)
		cast_teacher_ctl_answer(c->ctl, j->req,
					out ? out
					    : "{\"ok\":false,\"error\":"
					      "\"out of memory\"}");
	pthread_mutex_unlock(&c->lock);
	free(out);
	job_free(j);
}

/* The slow lane's thread: one job at a time, in order; what is queued
 * when the class stops is still done. */
static void *work_slow(void *arg)
{
	struct cast_class *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct job *j = c->slow_jobs;

		if (j) {
			c->slow_jobs = j->next;
			if (!c->slow_jobs)
				c->slow_tail = &c->slow_jobs;
			pthread_mutex_unlock(&c->lock);
			job_run(c, j);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		if (c->stop_slow)
			break;
		pthread_cond_wait(&c->slow_wake, &c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Homework chunks: written in order, on the worker. */
static char *job_homework(struct cast_class *c, struct job *jb)
{
	if (jb->data)
		cast_homework_rx_event(c->homework, jb->student, jb->data,
				       jb->len);
	else
		cast_homework_rx_abort(c->homework, jb->student);
	return NULL;
}

/* Takes the waiters that are done (all answered, or out of time). */
static struct waiter *waiters_due(struct cast_class *c, int64_t now,
				  int64_t *next)
{
	struct waiter *due = NULL, **pw = &c->waiters;

	while (*pw) {
		struct waiter *w = *pw;
		bool all = true;

		for (int i = 0; i < w->n; i++)
			all = all && w->answered[i];
		if (all || now >= w->deadline_us) {
			*pw = w->next;
			w->next = due;
			due = w;
			continue;
		}
		if (w->deadline_us < *next)
			*next = w->deadline_us;
		pw = &w->next;
	}
	return due;
}

static void *work(void *arg)
{
	struct cast_class *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		int64_t now = cast_mono_us(), next = now + 60000000LL;
		struct waiter *due = waiters_due(c, now, &next);
		struct job *j = c->jobs;

		if (due || j) {
			if (j && !due) {
				c->jobs = j->next;
				if (!c->jobs)
					c->jobs_tail = &c->jobs;
				c->hw_queued -= j->hw_bytes;
			} else {
				j = NULL;
			}
			pthread_mutex_unlock(&c->lock);
			for (struct waiter *w = due, *nw; w; w = nw) {
				nw = w->next;
				if (!strcmp(w->command, "power"))
					answer_power(c, w);
				else
					send_offered(c, w);
				waiter_free(w);
			}
			if (j)
				job_run(c, j);
			pthread_mutex_lock(&c->lock);
			/* The disk caught up: read the students again. */
			if (c->hw_held && c->hw_queued < HW_QUEUE_LOW) {
				c->hw_held = false;
				if (c->ctl)
					cast_teacher_ctl_hold(c->ctl, false);
			}
			continue;
		}
		if (c->stop)
			break;
		{
			struct timespec ts;
			int64_t wait_us = next - now;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (time_t)(wait_us / 1000000);
			ts.tv_nsec += (long)(wait_us % 1000000) * 1000;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&c->wake, &c->lock, &ts);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---- actions ---- */

/* Remembers what `cmd` sets, for students that rejoin (holds c->lock). */
static void remember(struct cast_class *c, const struct targets *t,
		     const struct cast_command *cmd)
{
	switch (cmd->type) {
	case CAST_CMD_LOCK:
	case CAST_CMD_UNLOCK: {
		bool on = cmd->type == CAST_CMD_LOCK;
		const char *notice = on ? cmd->u.lock.notice : "";

		if (t->n < 0) {
			c->lock_all = on;
			snprintf(c->lock_notice, sizeof(c->lock_notice), "%s",
				 notice);
			for (int i = 0; i < c->n_track; i++) {
				c->track[i].locked = on;
				c->track[i].reported = false;
				snprintf(c->track[i].notice,
					 sizeof(c->track[i].notice), "%s",
					 notice);
			}
		}
		for (int i = 0; i < t->n; i++) {
			struct tracked *k = track_of(c, t->ids[i], true);

			if (!k)
				continue;
			k->locked = on;
			k->reported = false;
			snprintf(k->notice, sizeof(k->notice), "%s", notice);
		}
		break;
	}
	case CAST_CMD_WATERMARK:
		if (t->n < 0) {
			if (!c->has_wm)
				cast_watermark_default(&c->wm);
			c->has_wm = true;
			cast_watermark_merge(&c->wm, cmd->u.watermark.set,
					     &cmd->u.watermark.wm);
			for (int i = 0; i < c->n_track; i++)
				if (c->track[i].has_wm)
					cast_watermark_merge(
						&c->track[i].wm,
						cmd->u.watermark.set,
						&cmd->u.watermark.wm);
		}
		for (int i = 0; i < t->n; i++) {
			struct tracked *k = track_of(c, t->ids[i], true);

			if (!k)
				continue;
			if (!k->has_wm) {
				if (c->has_wm)
					k->wm = c->wm;
				else
					cast_watermark_default(&k->wm);
				k->has_wm = true;
			}
			cast_watermark_merge(&k->wm, cmd->u.watermark.set,
					     &cmd->u.watermark.wm);
		}
		break;
	case CAST_CMD_LANGUAGE:
		snprintf(c->language, sizeof(c->language), "%s",
			 cmd->u.language.lang);
		break;
	case CAST_CMD_VOICE: {
		uint8_t v = cmd->u.voice.on ? 2 : 1;

		if (t->n < 0) {
			c->voice_all = v;
			for (int i = 0; i < c->n_track; i++)
				c->track[i].voice = v;
		}
		for (int i = 0; i < t->n; i++) {
			struct tracked *k = track_of(c, t->ids[i], true);

			if (k)
				k->voice = v;
		}
		break;
	}
	case CAST_CMD_BROADCAST:
		if (t->n < 0) {
			c->bcast_off = !cmd->u.broadcast.on;
			c->bcast_mono = cast_mono_us();
		}
		break;
	case CAST_CMD_RESET:
		c->voice_all = 0;
		c->lock_all = false;
		c->n_track = 0;
		c->has_wm = false;
		c->language[0] = c->lock_notice[0] = '\0';
		c->n_hands = 0;
		c->inbox_n = 0;
		c->n_assets = 0;
		memset(c->hidden, 0, sizeof(c->hidden));
		break;
	default:
		break;
	}
}

/*
 * A student command to the targets: remembered, sent, answered in JSON
 * (holds c->lock). Language and reset go to everyone.
 */
static char *command_locked(struct cast_class *c, struct targets *t,
			    const struct cast_command *cmd, int *sent)
{
	struct cast_json j;
	int n;

	if (cmd->type == CAST_CMD_LANGUAGE || cmd->type == CAST_CMD_RESET)
		t->n = -1; /* one action: every student */
	cast_json_begin(&j);
	n = send_to(c, t, cmd, &j, NULL, NULL, 0);
	if (n < 0) {
		*sent = n;
		cast_json_free(&j);
		return error_reply("%s", cast_strerror(n));
	}
	remember(c, t, cmd);
	*sent = n;
	cast_json_bool(&j, "ok", true);
	cast_json_int(&j, "sent", n);
	if (t->offline[0])
		cast_json_str(&j, "offline", t->offline);
	if (t->offline[0] && (cmd->type == CAST_CMD_LOCK ||
			      cmd->type == CAST_CMD_UNLOCK ||
			      cmd->type == CAST_CMD_WATERMARK))
		cast_json_str(&j, "note", "offline students get it when they "
					  "rejoin");
	return json_done(&j);
}

int cast_class_command(struct cast_class *c, const char *to,
		       const struct cast_command *cmd, char **json)
{
	struct targets *t = calloc(1, sizeof(*t));
	char *out;
	int sent = 0;

	if (!t)
		return CAST_ERROR(ENOMEM);
	pthread_mutex_lock(&c->lock);
	resolve(c, to, t);
	if (t->unknown[0]) {
		out = error_reply("unknown student(s): %s", t->unknown);
		sent = CAST_ERROR(EINVAL);
	} else {
		out = command_locked(c, t, cmd, &sent);
	}
	pthread_mutex_unlock(&c->lock);
	if (json)
		*json = out;
	else
		free(out);
	free(t);
	return sent;
}

/* reset: the roster emptied and the menu file rewritten (on the worker). */
static char *job_reset(struct cast_class *c, struct job *jb)
{
	bool hidden[N_FEATURES] = {0};

	(void)jb;
	cast_roster_clear(c->roster);
	settings_save(c->settings_path, hidden);
	return NULL;
}

/*
 * power off|restart: one command per student; the answer waits (on the
 * worker, never here) for every student's outcome, POWER_WAIT_MS at most.
 */
static char *power(struct cast_class *c, struct targets *t,
		   const struct cast_command *cmd, uint64_t req)
{
	struct waiter *w;
	int n;

	if (t->n < 0)
		targets_online(c, t);
	if (!req) {
		command_locked(c, t, cmd, &n);
		return error_reply("power is answered later, which this "
				   "socket cannot do", NULL);
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	snprintf(w->command, sizeof(w->command), "power");
	snprintf(w->offline, sizeof(w->offline), "%s", t->offline);
	w->req = req;
	w->deadline_us = cast_mono_us() + POWER_WAIT_MS * 1000LL;
	n = send_to(c, t, cmd, NULL, w->ids, w->who, MAX_IDS);
	if (n < 0) {
		free(w);
		return error_reply("%s", cast_strerror(n));
	}
	w->n = n < MAX_IDS ? n : MAX_IDS;
	w->next = c->waiters;
	c->waiters = w;
	pthread_cond_signal(&c->wake);
	return CAST_CTL_LATER;
}

/* ---- the ctl command line ---- */

/* Queues a worker job answering `req` later (holds c->lock). */
static char *later(struct cast_class *c, uint64_t req,
		   char *(*run)(struct cast_class *, struct job *), int argc,
		   char **argv, struct targets *t)
{
	struct job *j;

	if (!req)
		return error_reply("this command is answered later, which "
				   "this socket cannot do", NULL);
	j = job_new(run, req, argc, argv);
	if (!j)
		return NULL;
	j->t = t;
	if (run == job_send)
		job_push_slow(c, j);
	else
		job_push(c, j);
	return CAST_CTL_LATER;
}

static char *dispatch(struct cast_class *c, char **tok, int n, uint64_t req)
{
	const char *cmd = tok[0], *to = NULL;
	enum cast_command_type type;
	struct cast_command *typed;
	struct targets *t;
	char why[512], *out;
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
	if (!strcmp(cmd, "files"))
		return cmd_files(c);
	if (!strcmp(cmd, "homework"))
		return cmd_homework(c);
	if (!strcmp(cmd, "menu")) {
		if (n == 3 && (!strcmp(tok[1], "show") ||
			       !strcmp(tok[1], "hide")))
			return later(c, req, job_menu, n, tok, NULL);
		if (n != 1)
			return error_reply("usage: menu [show|hide FEATURE]",
					   NULL);
		return menu_json(c->hidden);
	}
	if (!strcmp(cmd, "assets"))
		return arg_of(tok + 1, n - 1, "export")
			       ? later(c, req, job_assets_export, n, tok, NULL)
			       : cmd_assets(c);
	if (!strcmp(cmd, "roster"))
		return later(c, req, job_roster, n, tok, NULL);
	if (!strcmp(cmd, "attendance"))
		return later(c, req, job_attendance, n, tok, NULL);

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
		out = later(c, req, job_send, n, tok, t);
		if (out == CAST_CTL_LATER)
			t = NULL; /* the job's now */
		goto done;
	}
	if (!strcmp(cmd, "collect")) {
		out = cmd_collect(c, t, tok + 1, n - 1);
		goto done;
	}

	/* Commands that go to students: typed, checked, then sent. */
	type = cast_command_type_of(cmd);
	/* voice-play follows the teacher's `voice` verb (the voice's),
	 * broadcast-state its `broadcast` verb (the sender's). */
	if (!type || type == CAST_CMD_FILE_OFFER || type == CAST_CMD_COLLECT ||
	    type == CAST_CMD_ASSETS || type == CAST_CMD_VOICE ||
	    type == CAST_CMD_SCREEN_SEND || type == CAST_CMD_SCREEN_SHOW ||
	    type == CAST_CMD_REMOTE || type == CAST_CMD_BROADCAST) {
		out = error_reply("unknown command '%s'", cmd);
		goto done;
	}
	typed = malloc(sizeof(*typed));
	if (!typed) {
		out = NULL;
		goto done;
	}
	if (type == CAST_CMD_POWER) {
		/* power off|restart --to IDS|all */
		cast_command_init(typed, type);
		typed->u.power.action = n == 2 && !strcmp(tok[1], "off")
						? CAST_POWER_OFF
					: n == 2 && !strcmp(tok[1], "restart")
						? CAST_POWER_RESTART
						: 0;
		if (!typed->u.power.action)
			out = error_reply("usage: power off|restart --to IDS",
					  NULL);
		else if (t->n < 0 && (!to || strcmp(to, "all")))
			out = error_reply("power needs --to IDS or --to all",
					  NULL);
		else
			out = NULL;
	} else if (type == CAST_CMD_LANGUAGE) {
		cast_command_init(typed, type);
		if (n != 2 || strlen(tok[1]) >= sizeof(typed->u.language.lang))
			out = error_reply("usage: language zh_CN|zh_TW|en",
					  NULL);
		else
			out = NULL;
		if (!out)
			snprintf(typed->u.language.lang,
				 sizeof(typed->u.language.lang), "%s", tok[1]);
	} else if (type == CAST_CMD_CLOCK_SET) {
		cast_command_init(typed, type);
		typed->u.clock_set.time_us = cast_now_us();
		out = n == 1 ? NULL
			     : error_reply("clock-set takes no arguments",
					   NULL);
	} else {
		out = cast_command_parse(type, n - 1, tok + 1, typed, why,
					 sizeof(why))
			      ? error_reply("%s", why)
			      : NULL;
	}
	if (!out && type == CAST_CMD_POWER) {
		out = power(c, t, typed, req);
	} else if (!out) {
		out = command_locked(c, t, typed, &sent);
		if (type == CAST_CMD_RESET && sent >= 0) {
			/* The menu and the lists too, on the worker. */
			struct job *j = job_new(job_reset, 0, 0, NULL);

			if (j)
				job_push(c, j);
		}
	}
	free(typed);
done:
	free(t);
	return out;
}

static const char *const builtin_verbs[] = {
	"hands", "class", "inbox", "replies", "clock", "files", "homework",
	"menu", "assets", "roster", "attendance", "wake", "send", "collect",
	"power", "language", "clock-set",
};

int cast_class_add_verb(struct cast_class *c, const char *verb,
			cast_ctl_command_cb *cb, void *arg)
{
	if (!c || !verb || !*verb || !cb ||
	    strlen(verb) >= sizeof(c->verbs[0].verb) ||
	    cast_command_type_of(verb))
		return CAST_ERROR(EINVAL);
	for (size_t i = 0; i < sizeof(builtin_verbs) / sizeof(builtin_verbs[0]); i++)
		if (!strcmp(verb, builtin_verbs[i]))
			return CAST_ERROR(EINVAL);
	for (int i = 0; i < c->n_verbs; i++)
		if (!strcmp(verb, c->verbs[i].verb))
			return CAST_ERROR(EINVAL);
	if (c->n_verbs == CAST_CLASS_VERBS_MAX)
		return CAST_ERROR(ENOSPC);
	snprintf(c->verbs[c->n_verbs].verb, sizeof(c->verbs[0].verb), "%s",
		 verb);
	c->verbs[c->n_verbs].cb = cb;
	c->verbs[c->n_verbs].arg = arg;
	c->n_verbs++;
	return 0;
}

char *cast_class_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	struct cast_class *c = arg;
	char *out;

	if (argc < 1)
		return NULL;
	for (int i = 0; i < c->n_verbs; i++)
		if (!strcmp(argv[0], c->verbs[i].verb))
			return c->verbs[i].cb(argc, argv, req,
					      c->verbs[i].arg);
	if (!c->ctl)
		return NULL;
	pthread_mutex_lock(&c->lock);
	out = dispatch(c, argv, argc, req);
	pthread_mutex_unlock(&c->lock);
	return out;
}

/* ---- events from students ---- */

/* What the teacher set on this student, sent again as it (re)joins. */
static void reapply(struct cast_class *c, const struct cast_student_info *info)
{
	struct tracked *k = track_of(c, info->id, false);
	const struct cast_watermark *wm = k && k->has_wm ? &k->wm
					  : c->has_wm	 ? &c->wm
							 : NULL;
	struct cast_command *cmd = malloc(sizeof(*cmd));
	struct targets *t = calloc(1, sizeof(*t));

	if (!cmd || !t)
		goto out;
	t->n = 1;
	snprintf(t->ids[0], sizeof(t->ids[0]), "%s", info->id);
	/* A state only the student reported (the teacher restarted since)
	 * stays as the student has it. */
	if (!(k && k->reported)) {
		if (k ? k->locked : c->lock_all) {
			cast_command_init(cmd, CAST_CMD_LOCK);
			snprintf(cmd->u.lock.notice, sizeof(cmd->u.lock.notice),
				 "%s", k ? k->notice : c->lock_notice);
			send_to(c, t, cmd, NULL, NULL, NULL, 0);
		} else if (k) {
			/* Unlocked while it was away. */
			cast_command_init(cmd, CAST_CMD_UNLOCK);
			send_to(c, t, cmd, NULL, NULL, NULL, 0);
		}
	}
	if (wm) {
		cast_command_init(cmd, CAST_CMD_WATERMARK);
		cmd->u.watermark.set = CAST_WM_SET_FIELDS | CAST_WM_SET_TEXT |
				       CAST_WM_SET_OPACITY | CAST_WM_SET_PLACE;
		cmd->u.watermark.wm = *wm;
		send_to(c, t, cmd, NULL, NULL, NULL, 0);
	}
	if (c->language[0]) {
		cast_command_init(cmd, CAST_CMD_LANGUAGE);
		snprintf(cmd->u.language.lang, sizeof(cmd->u.language.lang),
			 "%s", c->language);
		send_to(c, t, cmd, NULL, NULL, NULL, 0);
	}
	if (k && k->voice ? k->voice : c->voice_all) {
		cast_command_init(cmd, CAST_CMD_VOICE);
		cmd->u.voice.on = (k && k->voice ? k->voice : c->voice_all) == 2;
		send_to(c, t, cmd, NULL, NULL, NULL, 0);
	}
	/* Whether the broadcast runs, always: a seat that knew it stopped
	 * (a teacher restarted since) learns it runs again. */
	cast_command_init(cmd, CAST_CMD_BROADCAST);
	cmd->u.broadcast.on = !c->bcast_off;
	send_to(c, t, cmd, NULL, NULL, NULL, 0);
out:
	free(cmd);
	free(t);
}

/* Attendance and the roster, on the worker (SQLite writes). */
static char *job_attend(struct cast_class *c, struct job *jb)
{
	/* The roster and attendance go by the student's seat id. */
	const struct attend *a = (const void *)jb->data;
	const struct cast_identity *who = &a->who;

	if (jb->argc == 1) { /* joined */
		cast_roster_seen(c->roster, who, a->when_us);
		cast_roster_attend(c->roster, c->lesson_id, who->id,
				   CAST_ATTEND_SIGNED_IN, cast_now_us());
	} else {
		cast_roster_attend(c->roster, c->lesson_id, who->id,
				   CAST_ATTEND_LEFT, cast_now_us());
	}
	return NULL;
}

/*
 * Queues a job that keeps its own copy of `len` bytes (holds c->lock).
 * Returns the job, or NULL (logged).
 */
static struct job *push_data(struct cast_class *c,
		      char *(*run)(struct cast_class *, struct job *),
		      int kind, const char *student, const void *data,
		      size_t len)
{
	struct job *j = job_new(run, 0, 0, NULL);

	if (!j || (len && !(j->data = malloc(len)))) {
		cast_log(CAST_LOG_ERROR, OBJ, "%s: out of memory: an event "
			 "from the student is lost", student);
		if (j)
			job_free(j);
		return NULL;
	}
	if (len)
		memcpy(j->data, data, len);
	j->len = len;
	j->argc = kind;
	if (run == job_homework)
		j->hw_bytes = len;
	snprintf(j->student, sizeof(j->student), "%s", student);
	job_push(c, j);
	return j;
}

/* A student's event, decoded and checked by the control plane. */
static void on_student_event_locked(struct cast_class *c,
				    const struct cast_student_info *info,
				    const struct cast_event *ev)
{
	switch (ev->type) {
	case CAST_EV_HAND: {
		bool up = ev->u.hand.up;
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
		cast_log(CAST_LOG_INFO, OBJ, "%s (%s) %s a hand", info->id,
			 info->name, up ? "raised" : "lowered");
		break;
	}
	case CAST_EV_MESSAGE: {
		struct note *n;

		if (c->inbox_n == RING) {
			c->inbox_head = (c->inbox_head + 1) % RING;
			c->inbox_n--;
		}
		n = &c->inbox[(c->inbox_head + c->inbox_n++) % RING];
		snprintf(n->id, sizeof(n->id), "%s", info->id);
		snprintf(n->name, sizeof(n->name), "%s", info->name);
		n->when_us = cast_now_us();
		memcpy(n->text, ev->u.message.text, sizeof(n->text));
		break;
	}
	case CAST_EV_HOMEWORK:
		if (!c->homework)
			return;
		if (push_data(c, job_homework, 0, info->id,
			      ev->u.homework.chunk, ev->u.homework.len))
			c->hw_queued += ev->u.homework.len;
		/* The disk is behind: hold the students until it catches up
		 * (their TCP windows fill, their senders wait). */
		if (!c->hw_held && c->hw_queued > HW_QUEUE_HIGH && c->ctl) {
			c->hw_held = true;
			cast_teacher_ctl_hold(c->ctl, true);
		}
		break;
	case CAST_EV_VIEW:
		view_report(c, info, &ev->u.view);
		break;
	case CAST_EV_ASSETS: {
		int i;

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
		memcpy(c->assets[i].json, ev->u.assets.json,
		       sizeof(c->assets[i].json));
		break;
	}
	case CAST_EV_FILE:
		c->files_reported++;
		if (ev->u.file.status)
			c->files_failed++;
		cast_log(ev->u.file.status ? CAST_LOG_WARN : CAST_LOG_INFO, OBJ,
			 "%s: file %u (%s) %s%s", info->id,
			 ev->u.file.transfer_id, ev->u.file.path,
			 ev->u.file.status ? "failed: " : "received",
			 ev->u.file.status ? cast_strerror(ev->u.file.status)
					   : "");
		break;
	default:
		break;
	}
}

/* A student's answer to a command someone waits for. */
static void note_reply(struct cast_class *c, uint32_t cmd_id, int32_t status)
{
	for (struct waiter *w = c->waiters; w; w = w->next)
		for (int i = 0; i < w->n; i++)
			if (w->ids[i] == cmd_id && !w->answered[i]) {
				w->answered[i] = true;
				w->status[i] = status;
				pthread_cond_signal(&c->wake);
				return;
			}
}

void cast_class_event(const struct cast_student_info *info,
		      enum cast_student_event ev, void *arg)
{
	struct cast_class *c = arg;
	struct attend att;

	pthread_mutex_lock(&c->lock);
	switch (ev) {
	case CAST_STUDENT_JOINED:
		view_forget(c, info->id);
		att.who = info->ident;
		att.when_us = info->connected_us;
		push_data(c, job_attend, 1, info->id, &att, sizeof(att));
		if (c->ctl)
			reapply(c, info);
		break;
	case CAST_STUDENT_LEFT:
		view_forget(c, info->id);
		if (c->homework)
			push_data(c, job_homework, 0, info->id, NULL, 0);
		att.who = info->ident;
		att.when_us = cast_now_us();
		push_data(c, job_attend, 2, info->id, &att, sizeof(att));
		break;
	case CAST_STUDENT_STATS: {
		/* After a teacher restart the students know their lock state
		 * better than this class: adopt what it does not know. */
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
		if (info->event)
			on_student_event_locked(c, info, info->event);
		else if (info->event_error && info->event_name &&
			 cast_event_type_of(info->event_name) ==
				 CAST_EV_MESSAGE)
			c->messages_refused++;
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
		note_reply(c, r->cmd_id, r->status);
		break;
	}
	default:
		break;
	}
	pthread_mutex_unlock(&c->lock);
}

void cast_class_json(struct cast_class *c, struct cast_json *j)
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
	cast_json_int(j, "messages_refused", (int64_t)c->messages_refused);
	cast_json_int(j, "files_reported", (int64_t)c->files_reported);
	cast_json_int(j, "files_failed", (int64_t)c->files_failed);
	cast_json_bool(j, "lock_all", c->lock_all);
	cast_json_bool(j, "broadcasting", !c->bcast_off);
	cast_json_int(j, "locked", locked);
	cast_json_str(j, "language", c->language);
	cast_json_int(j, "replies", c->rep_n);
	cast_json_int(j, "homework_queued", (int64_t)c->hw_queued);
	cast_json_end(j);
	pthread_mutex_unlock(&c->lock);
}

/* ---- life ---- */

static int open_lesson(struct cast_class *c, const struct cast_class_cfg *cfg)
{
	char title[128];
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	ret = cast_roster_open(&c->roster,
			       cfg->roster_path ? cfg->roster_path : ":memory:");
	localtime_r(&now, &tm);
	if (!ret) {
		strftime(title, sizeof(title), "%Y-%m-%d %H:%M", &tm);
		ret = cast_roster_lesson_begin(c->roster,
					       cfg->lesson ? cfg->lesson : title,
					       cast_now_us(), &c->lesson_id);
	}
	if (ret) {
		cast_log(CAST_LOG_ERROR, OBJ, "roster %s: %s",
			 cfg->roster_path ? cfg->roster_path : "(memory)",
			 cast_strerror(ret));
		return ret;
	}
	if (cfg->homework_root) {
		char lesson[64];

		/* One folder per lesson: its title, or the date and time. */
		strftime(lesson, sizeof(lesson), "%Y-%m-%d_%H%M", &tm);
		if (cfg->lesson && !cast_homework_name_check(cfg->lesson))
			snprintf(lesson, sizeof(lesson), "%s", cfg->lesson);
		mkdir(cfg->homework_root, 0700);
		ret = cast_homework_rx_new(&c->homework, cfg->homework_root,
					   lesson, NULL);
		if (ret)
			cast_log(CAST_LOG_WARN, OBJ,
				 "homework folder %s/%s: %s (collection off)",
				 cfg->homework_root, lesson,
				 cast_strerror(ret));
	}
	return 0;
}

int cast_class_new(struct cast_class **out, const struct cast_class_cfg *cfg)
{
	struct cast_class *c;
	char err[512];
	int ret;

	if (!out || !cfg)
		return CAST_ERROR(EINVAL);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->assets = calloc(MAX_TRACK, sizeof(*c->assets)))) {
		free(c);
		return CAST_ERROR(ENOMEM);
	}
	c->channel = cfg->channel;
	snprintf(c->iface, sizeof(c->iface), "%s", cfg->iface ? cfg->iface : "");
	snprintf(c->wol_addr, sizeof(c->wol_addr), "%s",
		 cfg->wol_addr ? cfg->wol_addr : "255.255.255.255");
	c->wol_port = cfg->wol_port;
	c->jobs_tail = &c->jobs;
	c->slow_tail = &c->slow_jobs;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->slow_wake, NULL);
	if (cfg->settings_path) {
		snprintf(c->settings_path, sizeof(c->settings_path), "%s",
			 cfg->settings_path);
		if (access(c->settings_path, F_OK) == 0 &&
		    cast_config_load(c->settings_path, settings_cb, c, err,
				     sizeof(err)))
			cast_log(CAST_LOG_WARN, OBJ, "%s (ignored)", err);
	}
	ret = open_lesson(c, cfg);
	if (!ret) {
		ret = pthread_create(&c->worker, NULL, work, c);
		ret = ret ? CAST_ERROR(ret) : 0;
		c->worker_started = !ret;
	}
	if (!ret) {
		ret = pthread_create(&c->hasher, NULL, work_slow, c);
		ret = ret ? CAST_ERROR(ret) : 0;
		c->hasher_started = !ret;
	}
	if (ret) {
		if (c->worker_started) {
			pthread_mutex_lock(&c->lock);
			c->stop = true;
			pthread_cond_signal(&c->wake);
			pthread_mutex_unlock(&c->lock);
			pthread_join(c->worker, NULL);
		}
		cast_homework_rx_free(&c->homework);
		cast_roster_close(&c->roster);
		pthread_cond_destroy(&c->wake);
		pthread_cond_destroy(&c->slow_wake);
		pthread_mutex_destroy(&c->lock);
		free(c->assets);
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void cast_class_set_ctl(struct cast_class *c, struct cast_teacher_ctl *ctl)
{
	pthread_mutex_lock(&c->lock);
	c->ctl = ctl;
	pthread_mutex_unlock(&c->lock);
}

void cast_class_free(struct cast_class **pc)
{
	struct cast_class *c = pc ? *pc : NULL;

	if (!c)
		return;
	/* Both lanes finish what is queued (homework on disk, sends) first;
	 * the slow lane before the worker, whose waiters its sends add. */
	pthread_mutex_lock(&c->lock);
	c->stop_slow = true;
	pthread_cond_signal(&c->slow_wake);
	pthread_mutex_unlock(&c->lock);
	if (c->hasher_started)
		pthread_join(c->hasher, NULL);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	if (c->worker_started)
		pthread_join(c->worker, NULL);
	while (c->waiters) {
		struct waiter *w = c->waiters;

		c->waiters = w->next;
		waiter_free(w);
	}
	cast_file_sender_free(&c->files);
	cast_homework_rx_free(&c->homework);
	if (c->roster) {
		cast_roster_lesson_end(c->roster, c->lesson_id, cast_now_us());
		cast_roster_close(&c->roster);
	}
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->slow_wake);
	pthread_mutex_destroy(&c->lock);
	free(c->track);
	free(c->assets);
	free(c);
	*pc = NULL;
}
