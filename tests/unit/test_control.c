/*
 * Control plane end to end in one process on 127.0.0.1: a teacher and
 * three students (unicast beacons), a student with the wrong key, an idle
 * TCP client, the unix ctl socket, commands, rekey, and a teacher restart.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/cast.h"

#define NSTUD 3
#define BULK_LEN (256 << 10)
#define CHANNEL 321

struct student {
	struct cast_student_ctl *ctl;
	pthread_mutex_t lock;
	int welcomes;
	struct cast_media_params media;
	int commands;
	char last_cmd[64];
	char state[64];
	int stats_calls;
	uint16_t beacon_port;
};

struct teacher_events {
	pthread_mutex_t lock;
	int joined, left, stats, replies, unicast, events, hands;
	int untyped_hands; /* "hand" events that came without a typed event */
	uint16_t unicast_port;
	/* "bulk" events: numbered, checked in order; `gate` holds the
	 * teacher's network thread (it stops reading) while closed. */
	pthread_cond_t gate;
	bool gate_closed;
	int bulk, bulk_bad, plain;
};

static struct student stud[NSTUD + 1]; /* the last has the wrong key */
static struct teacher_events tev;
static struct cast_key key, wrong;
static char dir[64], sock_path[128], dests[256];

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* A free UDP port on 127.0.0.1 (bound then released). */
static uint16_t free_udp_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void on_welcome(const struct cast_media_params *m, void *arg)
{
	struct student *s = arg;

	pthread_mutex_lock(&s->lock);
	s->welcomes++;
	s->media = *m;
	pthread_mutex_unlock(&s->lock);
}

static void on_state(const uint8_t *state, size_t len, void *arg)
{
	struct student *s = arg;

	pthread_mutex_lock(&s->lock);
	snprintf(s->state, sizeof(s->state), "%.*s", (int)len,
		 (const char *)state);
	pthread_mutex_unlock(&s->lock);
}

static int on_command(const struct cast_command *cmd, uint32_t cmd_id,
		      void *arg)
{
	struct student *s = arg;

	(void)cmd_id;
	pthread_mutex_lock(&s->lock);
	s->commands++;
	snprintf(s->last_cmd, sizeof(s->last_cmd), "%s",
		 cast_command_name(cmd->type));
	pthread_mutex_unlock(&s->lock);
	return cmd->type == CAST_CMD_LOCK ? 0 : CAST_ERROR(ENOSYS);
}

static int stats_json(char *buf, size_t size, void *arg)
{
	struct student *s = arg;
	int n;

	pthread_mutex_lock(&s->lock);
	n = ++s->stats_calls;
	pthread_mutex_unlock(&s->lock);
	return snprintf(buf, size,
			"{\"frames_decoded\":%d,\"fps\":30.0,"
			"\"packets_lost\":0,\"packets_recovered\":0,"
			"\"jitter_ms\":1.5,\"nacks_sent\":0,"
			"\"latency\":{\"p50\":40.0},\"multicast_ok\":true}",
			n * 60);
}

static void on_event(const struct cast_student_info *info,
		     enum cast_student_event ev, void *arg)
{
	struct teacher_events *e = arg;

	pthread_mutex_lock(&e->lock);
	switch (ev) {
	case CAST_STUDENT_JOINED:
		e->joined++;
		break;
	case CAST_STUDENT_LEFT:
		e->left++;
		break;
	case CAST_STUDENT_STATS:
		e->stats++;
		break;
	case CAST_STUDENT_EVENT:
		e->events++;
		/* Decoded by the control plane: the class gets it typed. */
		if (info->event && info->event->type == CAST_EV_HAND &&
		    info->event->u.hand.up && !info->event_error)
			e->hands++;
		if (info->event_name && !strcmp(info->event_name, "hand") &&
		    !info->event)
			e->untyped_hands++;
		if (info->event_name && !strcmp(info->event_name, "plain"))
			e->plain++;
		if (info->event_name && !strcmp(info->event_name, "bulk")) {
			uint32_t seq = 0;

			if (info->event_args_len == BULK_LEN)
				memcpy(&seq, info->event_args, sizeof(seq));
			if (seq != (uint32_t)e->bulk)
				e->bulk_bad++;
			e->bulk++;
			while (e->gate_closed)
				pthread_cond_wait(&e->gate, &e->lock);
		}
		break;
	case CAST_STUDENT_REPLY:
		e->replies++;
		break;
	case CAST_STUDENT_UNICAST_REQUEST:
		e->unicast++;
		e->unicast_port = info->unicast_port;
		break;
	}
	pthread_mutex_unlock(&e->lock);
}

static struct cast_teacher_ctl *start_teacher_as(uint8_t key_byte,
					       const struct cast_key *k)
{
	struct cast_teacher_ctl_cfg cfg;
	struct cast_teacher_ctl *t = NULL;

	cast_teacher_ctl_cfg_init(&cfg);
	cfg.channel = CHANNEL;
	cfg.key = k;
	cfg.bind_addr = "127.0.0.1";
	cfg.control_port = -1;
	cfg.beacon_interval_ms = 200;
	cfg.beacon_dest = dests;
	cfg.ctl_socket = sock_path;
	memset(cfg.media.key.key, key_byte, sizeof(cfg.media.key.key));
	memset(cfg.media.key.salt, key_byte ^ 0xff,
	       sizeof(cfg.media.key.salt));
	cfg.media.ssrc = 0x1234;
	cast_channel_group(CHANNEL, cfg.media.group, sizeof(cfg.media.group));
	cfg.media.port = (uint16_t)cast_channel_port(CHANNEL, CAST_PORT_VIDEO);
	cfg.media.channel = CHANNEL;
	cfg.on_student_event = on_event;
	cfg.arg = &tev;
	assert_int_equal(cast_teacher_ctl_new(&t, &cfg), 0);
	return t;
}

static struct cast_teacher_ctl *start_teacher(uint8_t key_byte)
{
	return start_teacher_as(key_byte, &key);
}

static void start_student(int i, const struct cast_key *k,
			  const char *teacher_addr, uint16_t teacher_port)
{
	struct cast_student_ctl_cfg cfg;
	struct student *s = &stud[i];
	char id[32], name[48];

	snprintf(id, sizeof(id), "seat-%d", i);
	snprintf(name, sizeof(name), "Student %d", i);
	cast_student_ctl_cfg_init(&cfg);
	cfg.channel = CHANNEL;
	cfg.key = k;
	snprintf(cfg.identity.presented_id, sizeof(cfg.identity.presented_id),
		 "%s", id);
	snprintf(cfg.identity.name, sizeof(cfg.identity.name), "%s", name);
	snprintf(cfg.identity.class_name, sizeof(cfg.identity.class_name),
		 "7B");
	cfg.beacon_bind = "127.0.0.1";
	cfg.beacon_port = s->beacon_port;
	cfg.teacher_addr = teacher_addr;
	cfg.teacher_port = teacher_port;
	cfg.stats_interval_ms = 300;
	cfg.on_welcome = on_welcome;
	cfg.on_class_state = on_state;
	cfg.on_command = on_command;
	cfg.stats_json = stats_json;
	cfg.arg = s;
	assert_int_equal(cast_student_ctl_new(&s->ctl, &cfg), 0);
}

static bool all_connected(void)
{
	for (int i = 0; i < NSTUD; i++)
		if (!cast_student_ctl_connected(stud[i].ctl))
			return false;
	return true;
}

static bool none_connected(void)
{
	for (int i = 0; i < NSTUD; i++)
		if (cast_student_ctl_connected(stud[i].ctl))
			return false;
	return true;
}

static bool wait_for(bool (*cond)(void), int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (cond())
			return true;
		sleep_ms(20);
	}
	return cond();
}

static uint8_t expect_byte;

static bool all_have_key(void)
{
	for (int i = 0; i < NSTUD; i++) {
		bool ok;

		pthread_mutex_lock(&stud[i].lock);
		ok = stud[i].media.key.key[0] == expect_byte &&
		     stud[i].media.key.key[15] == expect_byte;
		pthread_mutex_unlock(&stud[i].lock);
		if (!ok)
			return false;
	}
	return true;
}

static struct cast_teacher_ctl *cur;

static bool stats_arrived(void)
{
	struct cast_student_info info[8];
	int n = cast_teacher_ctl_students(cur, info, 8), ok = 0;

	for (int i = 0; i < n; i++)
		if (info[i].online && strstr(info[i].stats_json,
					     "\"frames_decoded\""))
			ok++;
	return ok == NSTUD;
}

static bool rtt_known(void)
{
	struct cast_student_info info[8];
	int n = cast_teacher_ctl_students(cur, info, 8), ok = 0;

	for (int i = 0; i < n; i++)
		if (info[i].online && info[i].rtt_ms >= 0)
			ok++;
	return ok == NSTUD;
}

/* The join burst: several samples within about 2 s of the join. */
static bool clock_measured(void)
{
	struct cast_student_info info[8];
	int n = cast_teacher_ctl_students(cur, info, 8), ok = 0;

	for (int i = 0; i < n; i++)
		if (info[i].online && info[i].clock_samples >= 4)
			ok++;
	return ok == NSTUD;
}

static bool replies_arrived(void)
{
	bool ok;

	pthread_mutex_lock(&tev.lock);
	ok = tev.replies >= NSTUD;
	pthread_mutex_unlock(&tev.lock);
	return ok;
}

static bool unicast_arrived(void)
{
	bool ok;

	pthread_mutex_lock(&tev.lock);
	ok = tev.unicast >= 1;
	pthread_mutex_unlock(&tev.lock);
	return ok;
}

static bool wrong_key_refused(void)
{
	struct cast_teacher_ctl_stats ts;
	struct cast_student_ctl_stats ss;

	cast_teacher_ctl_stats(cur, &ts);
	cast_student_ctl_stats(stud[NSTUD].ctl, &ss);
	return ts.auth_failures >= 1 && ss.auth_failures >= 1 &&
	       ss.beacons_rejected >= 1;
}

static bool idle_dropped(void)
{
	struct cast_teacher_ctl_stats ts;

	cast_teacher_ctl_stats(cur, &ts);
	return ts.handshake_timeouts >= 1;
}

static bool hands_arrived(void)
{
	bool ok;

	pthread_mutex_lock(&tev.lock);
	ok = tev.hands >= 2;
	pthread_mutex_unlock(&tev.lock);
	return ok;
}

/* One request of one argument; the previous reply is freed. */
static int ask(const char *path, const char *cmd, char **reply)
{
	const char *argv[] = {cmd};

	free(*reply);
	*reply = NULL;
	return cast_ctl_request(path, 1, argv, reply);
}

/* Sends raw bytes to the ctl socket and reads what comes back. */
static int raw_request(const char *path, const void *buf, size_t len,
		       char *out, size_t size)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(strlen(path) < sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	shutdown(fd, SHUT_WR);
	while (got + 1 < size && (n = read(fd, out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
	return (int)got;
}

/*
 * The local socket's framing: an announced length over the limit is
 * refused before anything runs, a request cut short never runs, and a
 * request exactly at the limit is read whole.
 */
static void ctl_framing(const char *path)
{
	static uint8_t big[4 + CAST_CTL_REQUEST_MAX + 16];
	char out[512];
	uint8_t hdr[8] = {0, 0x04, 0, 1, 's', 't', 'a'};
	const char *argv[2] = {"stats", NULL};
	char *arg = malloc(CAST_CTL_REQUEST_MAX + 1), *reply = NULL;

	/* Over the limit: refused whole, by the header alone. */
	assert_true(raw_request(path, hdr, sizeof(hdr), out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "\"ok\":false"));
	assert_non_null(strstr(out, "too long"));
	/* "stats" cut short (the frame says 6 bytes, 3 arrive): no answer. */
	memcpy(big, "\0\0\0\6sta", 7);
	assert_int_equal(raw_request(path, big, 7, out, sizeof(out)), 0);
	/* The client refuses what the server would refuse. */
	memset(arg, 'x', CAST_CTL_REQUEST_MAX);
	arg[CAST_CTL_REQUEST_MAX - 7] = '\0'; /* "stats\0" + arg + NUL */
	argv[1] = arg;
	assert_true(cast_ctl_request(path, 2, argv, &reply) > 0);
	assert_non_null(strstr(reply, "\"ok\":false")); /* unknown: 2 args */
	free(reply);
	reply = NULL;
	arg[CAST_CTL_REQUEST_MAX - 7] = 'x';
	arg[CAST_CTL_REQUEST_MAX - 6] = '\0';
	assert_int_equal(cast_ctl_request(path, 2, argv, &reply),
			 CAST_ERROR(E2BIG));
	assert_null(reply);
	free(arg);
}

static void classroom(void **state)
{
	struct cast_student_info info[8];
	struct cast_teacher_ctl_stats ts;
	struct cast_student_ctl_stats ss;
	struct cast_media_params media;
	struct sockaddr_in a = {.sin_family = AF_INET};
	char *reply = NULL;
	int n, idle, first_port;

	(void)state;
	expect_byte = 0x11;
	cur = start_teacher(0x11);
	first_port = cast_teacher_ctl_port(cur);
	assert_true(first_port > 0);
	assert_int_equal(cast_teacher_ctl_set_class_state(cur, "{\"lock\":0}",
							  10),
			 0);
	for (int i = 0; i < NSTUD; i++)
		start_student(i, &key, NULL, 0);
	/* The wrong key: its beacons fail the MAC, so it is told the
	 * teacher's address directly to reach the TLS handshake. */
	start_student(NSTUD, &wrong, "127.0.0.1",
		      (uint16_t)cast_teacher_ctl_port(cur));

	/* A TCP client that never starts TLS. */
	idle = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)first_port);
	assert_int_equal(connect(idle, (struct sockaddr *)&a, sizeof(a)), 0);

	assert_true(wait_for(all_connected, 10000));
	assert_true(wait_for(all_have_key, 5000));
	for (int i = 0; i < NSTUD; i++) {
		pthread_mutex_lock(&stud[i].lock);
		assert_int_equal(stud[i].media.ssrc, 0x1234);
		assert_int_equal(stud[i].media.channel, CHANNEL);
		assert_string_equal(stud[i].media.group, "239.255.1.65");
		assert_string_equal(stud[i].state, "{\"lock\":0}");
		pthread_mutex_unlock(&stud[i].lock);
	}
	assert_true(wait_for(stats_arrived, 5000));
	assert_true(wait_for(rtt_known, 5000));
	n = cast_teacher_ctl_students(cur, info, 8);
	assert_int_equal(n, NSTUD);
	for (int i = 0; i < n; i++) {
		assert_true(info[i].online);
		assert_string_equal(info[i].ip, "127.0.0.1");
		assert_string_equal(info[i].class_name, "7B");
		assert_true(!strncmp(info[i].id, "seat-", 5));
		/* One identity: the seat id the teacher gave, what HELLO
		 * presented, and the hints, in info->ident and by name. */
		assert_string_equal(info[i].ident.id, info[i].id);
		assert_string_equal(info[i].ident.presented_id, info[i].id);
		assert_string_equal(info[i].ident.class_name, "7B");
		assert_string_equal(info[i].ident.ip, "127.0.0.1");
		assert_true(!strncmp(info[i].ident.name, "Student ", 8));
		assert_ptr_equal(info[i].ident.name, info[i].name);
		assert_true(info[i].rtt_ms < 1000);
	}
	assert_true(wait_for(clock_measured, 5000));
	n = cast_teacher_ctl_students(cur, info, 8);
	for (int i = 0; i < n; i++) {
		/* One clock: 0, within half the round trip it came from. */
		assert_true(info[i].clock_rtt_ms >= 0);
		assert_true(fabs(info[i].clock_offset_ms) <=
			    info[i].clock_rtt_ms / 2 + 0.001);
	}

	/* The wrong key never gets in, and both sides count it. */
	assert_true(wait_for(wrong_key_refused, 5000));
	cast_student_ctl_stats(stud[NSTUD].ctl, &ss);
	assert_int_equal(ss.welcomes, 0);
	assert_int_equal(ss.connects, 0);
	assert_int_equal(stud[NSTUD].welcomes, 0);
	assert_false(cast_student_ctl_connected(stud[NSTUD].ctl));

	/* Commands and replies; a unicast request. */
	assert_true(cast_teacher_ctl_command(cur, NULL, "lock", "notice=1", 9) > 0);
	assert_true(wait_for(replies_arrived, 5000));
	for (int i = 0; i < NSTUD; i++)
		assert_string_equal(stud[i].last_cmd, "lock");
	assert_int_equal(cast_student_ctl_request_unicast(stud[0].ctl, 50000),
			 0);
	assert_true(wait_for(unicast_arrived, 5000));
	/* Student → teacher events (raise hand), in order, with arguments:
	 * as bytes (as version 1 students send them) and typed; one that
	 * does not decode is refused and counted, and never arrives typed. */
	assert_int_equal(cast_student_ctl_send_event(stud[0].ctl, "hand", "up",
						     2),
			 0);
	assert_int_equal(cast_student_ctl_send_event(stud[1].ctl, "hand",
						     "sideways", 8),
			 0);
	{
		struct cast_event ev;

		cast_event_init(&ev, CAST_EV_HAND);
		ev.u.hand.up = true;
		assert_int_equal(cast_student_send_event(stud[1].ctl, &ev), 0);
		cast_event_init(&ev, CAST_EV_MESSAGE);
		assert_int_equal(cast_student_send_event(stud[1].ctl, &ev),
				 CAST_ERROR(EINVAL)); /* empty: never sent */
	}
	assert_int_equal(cast_student_ctl_send_event(stud[1].ctl,
						     "much-too-long-event-name-"
						     "that-does-not-fit-in-64-"
						     "bytes-at-all-not-even-close-to-it",
						     NULL, 0),
			 CAST_ERROR(EINVAL));
	assert_true(wait_for(hands_arrived, 5000));
	assert_int_equal(tev.unicast_port, 50000);
	{
		struct cast_teacher_ctl_stats tst;

		cast_teacher_ctl_stats(cur, &tst);
		assert_int_equal(tst.events_refused, 1);
		pthread_mutex_lock(&tev.lock);
		assert_int_equal(tev.untyped_hands, 1);
		assert_int_equal(tev.hands, 2);
		pthread_mutex_unlock(&tev.lock);
	}

	/* The unix control socket. */
	n = ask(sock_path, "stats", &reply);
	assert_true(n > 0);
	assert_non_null(strstr(reply, "\"students_online\":3"));
	assert_non_null(strstr(reply, "\"auth_failures\":"));
	assert_non_null(strstr(reply, "\"beacons_sent\":"));
	assert_non_null(strstr(reply, "\"stats\":{\"frames_decoded\""));
	assert_int_equal(cast_json_validate_object(reply, (size_t)n - 1), 0);
	n = ask(sock_path, "students", &reply);
	assert_true(n > 0);
	assert_non_null(strstr(reply, "\"id\":\"seat-0\""));
	assert_null(strstr(reply, "\"stats\""));
	n = ask(sock_path, "reboot", &reply);
	assert_non_null(strstr(reply, "\"ok\":false"));
	ctl_framing(sock_path);
	{
		struct stat st;

		assert_int_equal(stat(sock_path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}

	/* A second teacher on the same ctl socket is refused. */
	{
		struct cast_teacher_ctl_cfg cfg;
		struct cast_teacher_ctl *t2 = NULL;

		cast_teacher_ctl_cfg_init(&cfg);
		cfg.channel = CHANNEL;
		cfg.key = &key;
		cfg.bind_addr = "127.0.0.1";
		cfg.control_port = -1;
		cfg.beacon_dest = dests;
		cfg.ctl_socket = sock_path;
		assert_int_equal(cast_teacher_ctl_new(&t2, &cfg),
				 CAST_ERROR(EADDRINUSE));
		assert_null(t2);
	}

	/* Rekey: every student gets the new media key. */
	media = stud[0].media;
	memset(media.key.key, 0x22, sizeof(media.key.key));
	expect_byte = 0x22;
	assert_int_equal(cast_teacher_ctl_set_media(cur, &media), 0);
	assert_true(wait_for(all_have_key, 5000));

	/* The idle TCP client is dropped after 5 s. */
	assert_true(wait_for(idle_dropped, 8000));
	close(idle);

	/* Teacher restart: new boot, new port, new media key. */
	cast_teacher_ctl_free(&cur);
	assert_null(cur);
	assert_true(wait_for(none_connected, 5000));
	expect_byte = 0x33;
	cur = start_teacher(0x33);
	assert_true(wait_for(all_connected, 10000));
	assert_true(wait_for(all_have_key, 5000));
	for (int i = 0; i < NSTUD; i++) {
		cast_student_ctl_stats(stud[i].ctl, &ss);
		assert_true(ss.connects >= 2);
		assert_true(ss.disconnects >= 1);
		assert_true(ss.beacons_ok >= 2);
		assert_int_equal(ss.auth_failures, 0);
	}
	cast_teacher_ctl_stats(cur, &ts);
	assert_int_equal(ts.students_online, NSTUD);
	assert_true(ts.beacons_sent >= 1);
	pthread_mutex_lock(&tev.lock);
	assert_true(tev.joined >= 2 * NSTUD);
	assert_true(tev.stats >= NSTUD);
	pthread_mutex_unlock(&tev.lock);

	for (int i = 0; i <= NSTUD; i++)
		cast_student_ctl_free(&stud[i].ctl);
	cast_teacher_ctl_free(&cur);
	free(reply);
}

static int bulk_seen(void)
{
	int n;

	pthread_mutex_lock(&tev.lock);
	n = tev.bulk;
	pthread_mutex_unlock(&tev.lock);
	return n;
}

static bool gate_reached(void)
{
	return bulk_seen() > 0;
}

static bool student0_gone(void)
{
	return !cast_student_ctl_connected(stud[0].ctl);
}

static void gate(bool closed)
{
	pthread_mutex_lock(&tev.lock);
	tev.gate_closed = closed;
	pthread_cond_broadcast(&tev.gate);
	pthread_mutex_unlock(&tev.lock);
}

/*
 * A host holding everything a student PC holds (the class code, the
 * teacher's fingerprint) and a signing key of its own runs a teacher: the
 * student neither trusts its beacons nor takes its WELCOME (no media key,
 * no commands), even when told its address directly.
 */
static bool impostor_refused(void)
{
	struct cast_student_ctl_stats st;

	cast_student_ctl_stats(stud[0].ctl, &st);
	return st.untrusted_teachers >= 2 && st.beacons_untrusted >= 2;
}

static void impostor(void **state)
{
	struct cast_key student = key, rogue;
	struct cast_student_ctl_stats st;
	struct cast_teacher_ctl *t;

	(void)state;
	student.can_sign = false;
	memset(student.sign_sk, 0, sizeof(student.sign_sk));
	rogue = student;
	rogue.n_teachers = 0;
	assert_int_equal(cast_key_new_signer(&rogue), 0);
	memset(&tev, 0, sizeof(tev));
	pthread_mutex_init(&tev.lock, NULL);
	pthread_cond_init(&tev.gate, NULL);
	t = start_teacher_as(0x66, &rogue);
	start_student(0, &student, "127.0.0.1",
		      (uint16_t)cast_teacher_ctl_port(t));
	assert_true(wait_for(impostor_refused, 10000));
	cast_student_ctl_stats(stud[0].ctl, &st);
	assert_int_equal(st.connects, 0);
	assert_int_equal(st.welcomes, 0);
	assert_int_equal(st.commands, 0);
	assert_false(cast_student_ctl_connected(stud[0].ctl));
	cast_student_ctl_free(&stud[0].ctl);
	cast_teacher_ctl_free(&t);
	pthread_cond_destroy(&tev.gate);
	pthread_mutex_destroy(&tev.lock);
}

/*
 * Events far beyond the connection's 1 MiB send buffer: while the teacher
 * does not read, producers are held back (send_event_wait times out,
 * send_event says -EAGAIN) and nothing is dropped; once it reads, every
 * event arrives, in order. When the connection ends, the events of that
 * connection still queued are discarded and their producer told.
 */
static void event_backpressure(void **state)
{
	struct cast_teacher_ctl *t;
	struct cast_student_ctl_stats ss;
	uint8_t *buf = calloc(1, BULK_LEN);
	uint64_t session = 0, next;
	uint32_t seq = 0;
	int ret, plain = 0;

	(void)state;
	assert_non_null(buf);
	memset(&tev, 0, sizeof(tev));
	pthread_mutex_init(&tev.lock, NULL);
	pthread_cond_init(&tev.gate, NULL);
	t = start_teacher(0x5a);
	start_student(0, &key, NULL, 0);
	assert_int_equal(cast_student_ctl_session_wait(stud[0].ctl, 10000,
						       &session),
			 0);
	assert_true(session != 0);
	assert_int_equal(cast_student_ctl_send_event_wait(stud[0].ctl, 0,
							  "bulk", buf, 1, 10),
			 CAST_ERROR(EINVAL));

	/* The teacher stops reading at the first event. */
	gate(true);
	for (;;) {
		memcpy(buf, &seq, sizeof(seq));
		ret = cast_student_ctl_send_event_wait(stud[0].ctl, session,
						       "bulk", buf, BULK_LEN,
						       300);
		if (ret)
			break;
		seq++;
		assert_true(seq < 1000); /* ~250 MB: no back-pressure */
	}
	assert_int_equal(ret, CAST_ERROR(ETIMEDOUT));
	assert_true(seq >= 48);
	assert_true(wait_for(gate_reached, 5000));
	/* The slots above the producers' mark stay for other events. */
	while ((ret = cast_student_ctl_send_event(stud[0].ctl, "plain", "x",
						  1)) == 0)
		plain++;
	assert_int_equal(ret, CAST_ERROR(EAGAIN));
	assert_true(plain >= 16);
	assert_int_equal(cast_student_ctl_pending(stud[0].ctl), 64);

	/* Reading again: everything arrives, in order. */
	gate(false);
	for (int i = 0; i < 40; i++) {
		memcpy(buf, &seq, sizeof(seq));
		assert_int_equal(cast_student_ctl_send_event_wait(
					 stud[0].ctl, session, "bulk", buf,
					 BULK_LEN, 10000),
				 0);
		seq++;
	}
	assert_int_equal(cast_student_ctl_drain(stud[0].ctl, session, 10000),
			 0);
	for (int i = 0; i < 250 && bulk_seen() < (int)seq; i++)
		sleep_ms(20);
	pthread_mutex_lock(&tev.lock);
	assert_int_equal(tev.bulk, (int)seq);
	assert_int_equal(tev.bulk_bad, 0);
	assert_int_equal(tev.plain, plain);
	pthread_mutex_unlock(&tev.lock);
	cast_student_ctl_stats(stud[0].ctl, &ss);
	assert_int_equal(ss.events_discarded, 0);
	assert_int_equal(ss.events_failed, 0);

	/* The connection ends with the queue full: that connection's events
	 * go, the producer learns it, plain events stay for the next. */
	gate(true);
	for (;;) {
		memcpy(buf, &seq, sizeof(seq));
		if (cast_student_ctl_send_event_wait(stud[0].ctl, session,
						     "bulk", buf, BULK_LEN, 300))
			break;
		seq++;
	}
	assert_int_equal(cast_student_ctl_send_event(stud[0].ctl, "plain",
						     "y", 1),
			 0);
	gate(false);
	cast_teacher_ctl_free(&t);
	assert_true(wait_for(student0_gone, 10000));
	assert_int_equal(cast_student_ctl_send_event_wait(stud[0].ctl, session,
							  "bulk", buf, 1, 10),
			 CAST_ERROR(ECONNRESET));
	assert_int_equal(cast_student_ctl_drain(stud[0].ctl, session, 10),
			 CAST_ERROR(ECONNRESET));
	cast_student_ctl_stats(stud[0].ctl, &ss);
	assert_true(ss.events_discarded > 0);
	/* Only the plain event (if not sent before the end) is left. */
	assert_true(cast_student_ctl_pending(stud[0].ctl) <= 1);

	/* A new teacher: a new connection, a new session. */
	t = start_teacher(0x5b);
	assert_int_equal(cast_student_ctl_session_wait(stud[0].ctl, 10000,
						       &next),
			 0);
	assert_true(next != session);
	assert_int_equal(cast_student_ctl_drain(stud[0].ctl, next, 10000), 0);

	cast_student_ctl_free(&stud[0].ctl);
	cast_teacher_ctl_free(&t);
	pthread_cond_destroy(&tev.gate);
	free(buf);
}

static void bad_configs(void **state)
{
	struct cast_teacher_ctl_cfg tc;
	struct cast_student_ctl_cfg sc;
	struct cast_teacher_ctl *t = NULL;
	struct cast_student_ctl *s = NULL;

	(void)state;
	cast_teacher_ctl_cfg_init(&tc);
	tc.channel = CHANNEL;
	assert_int_equal(cast_teacher_ctl_new(&t, &tc), CAST_ERROR(EINVAL));
	tc.key = &key;
	tc.channel = 1000;
	assert_int_equal(cast_teacher_ctl_new(&t, &tc), CAST_ERROR(EINVAL));
	tc.channel = CHANNEL;
	tc.ctl_socket = "";
	tc.control_port = -1;
	tc.beacon_dest = "127.0.0.1:99999";
	assert_int_equal(cast_teacher_ctl_new(&t, &tc), CAST_ERROR(EINVAL));
	tc.beacon_dest = "localhost";
	assert_int_equal(cast_teacher_ctl_new(&t, &tc), CAST_ERROR(EINVAL));
	assert_null(t);

	cast_student_ctl_cfg_init(&sc);
	sc.channel = CHANNEL;
	assert_int_equal(cast_student_ctl_new(&s, &sc), CAST_ERROR(EINVAL));
	sc.key = &key;
	sc.beacon_bind = "127.0.0.1";
	sc.teacher_addr = "nowhere";
	assert_int_equal(cast_student_ctl_new(&s, &sc), CAST_ERROR(EINVAL));
	assert_null(s);
	cast_teacher_ctl_free(NULL);
	cast_student_ctl_free(NULL);
}

static int setup(void **state)
{
	size_t pos = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_control.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/teacher.sock", dir);
	if (cast_key_generate(&key) || cast_key_new_signer(&key) ||
	    cast_key_generate(&wrong) || cast_key_new_signer(&wrong))
		return -1;
	pthread_mutex_init(&tev.lock, NULL);
	for (int i = 0; i <= NSTUD; i++) {
		pthread_mutex_init(&stud[i].lock, NULL);
		stud[i].beacon_port = free_udp_port();
		pos += (size_t)snprintf(dests + pos, sizeof(dests) - pos,
					"%s127.0.0.1:%u", i ? "," : "",
					stud[i].beacon_port);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(sock_path);
	return rmdir(dir);
}

/* Seat identity: the lab interface's MAC names the seat; without one the
 * per-seat hostname; neither is an error, never a shared id. */
static void seat_id_rule(void **state)
{
	static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0xab, 0xcd};
	static const uint8_t zero[6];
	uint8_t got[6] = {0};
	char buf[64], small[8];

	(void)state;
	assert_int_equal(cast_student_seat_id_make(mac, "pc-07", buf,
						   sizeof(buf)),
			 17);
	assert_string_equal(buf, "seat-02005e10abcd");
	/* The hostname is only a hint when the MAC is known. */
	assert_int_equal(cast_student_seat_id_make(mac, NULL, buf,
						   sizeof(buf)),
			 17);
	assert_string_equal(buf, "seat-02005e10abcd");
	/* No MAC: the hostname the lab set for this seat. */
	assert_int_equal(cast_student_seat_id_make(zero, "pc-07", buf,
						   sizeof(buf)),
			 10);
	assert_string_equal(buf, "host-pc-07");
	assert_int_equal(cast_student_seat_id_make(NULL, "pc-07", buf,
						   sizeof(buf)),
			 10);
	assert_int_equal(cast_student_seat_id_make(zero, "", buf, sizeof(buf)),
			 CAST_ERROR(ENODEV));
	assert_int_equal(cast_student_seat_id_make(zero, "localhost", buf,
						   sizeof(buf)),
			 CAST_ERROR(ENODEV));
	assert_int_equal(cast_student_seat_id_make(mac, NULL, small,
						   sizeof(small)),
			 CAST_ERROR(ENOSPC));
	assert_string_equal(small, "");
	assert_int_equal(cast_student_seat_id_make(mac, NULL, NULL, 64),
			 CAST_ERROR(EINVAL));

	/* On this machine: an interface that does not exist, loopback (no
	 * MAC: the hostname), and the default choice. */
	assert_int_equal(cast_student_mac("no-such-if0", got),
			 CAST_ERROR(ENODEV));
	assert_int_equal(cast_student_mac("lo", got), CAST_ERROR(ENODEV));
	assert_memory_equal(got, zero, 6);
	if (cast_student_seat_id("lo", buf, sizeof(buf)) > 0)
		assert_int_equal(strncmp(buf, "host-", 5), 0);
	if (!cast_student_mac(NULL, got)) {
		char want[64];

		assert_true(memcmp(got, zero, 6) != 0);
		cast_student_seat_id_make(got, NULL, want, sizeof(want));
		assert_true(cast_student_seat_id(NULL, buf, sizeof(buf)) > 0);
		assert_string_equal(buf, want);
	}
}

/* The id a HELLO is known by: the one presented, else the seat id from
 * its MAC, else from its hostname; never its address. */
static void hello_id(void **state)
{
	struct cast_identity who = {0};
	char id[64];

	(void)state;
	snprintf(who.ip, sizeof(who.ip), "10.0.0.11");
	snprintf(who.machine_id, sizeof(who.machine_id), "4c4c4544");
	assert_int_equal(cast_identity_presented(&who, id, sizeof(id)),
			 CAST_ERROR(ENODEV));
	snprintf(who.host, sizeof(who.host), "pc-12");
	assert_int_equal(cast_identity_presented(&who, id, sizeof(id)), 10);
	assert_string_equal(id, "host-pc-12");
	memcpy(who.mac, "\x02\x00\x5e\x10\x00\x01", 6);
	assert_true(cast_identity_presented(&who, id, sizeof(id)) > 0);
	assert_string_equal(id, "seat-02005e100001");
	snprintf(who.presented_id, sizeof(who.presented_id), "s1");
	assert_int_equal(cast_identity_presented(&who, id, sizeof(id)), 2);
	assert_string_equal(id, "s1");
	assert_int_equal(cast_identity_presented(&who, id, 2),
			 CAST_ERROR(ENOSPC));
	assert_string_equal(id, "");
	memset(who.presented_id, 'x', sizeof(who.presented_id));
	assert_int_equal(cast_identity_presented(&who, id, sizeof(id)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_identity_presented(NULL, id, sizeof(id)),
			 CAST_ERROR(EINVAL));
}

/* The teacher's reconnect-or-conflict test on two HELLOs with one id. */
static void same_machine_rule(void **state)
{
	struct cast_identity a = {0}, b;

	(void)state;
	/* Clones: one machine id and home, hostnames not set yet. */
	snprintf(a.machine_id, sizeof(a.machine_id), "%s",
		 "4c4c4544003a10408039b4c04f4d3132");
	snprintf(a.host, sizeof(a.host), "lab-image");
	snprintf(a.ip, sizeof(a.ip), "10.0.0.11");
	memcpy(a.mac, "\x02\x00\x00\x00\x00\x01", 6);
	b = a;
	assert_true(cast_student_same_machine(&a, &b));
	/* The same seat back from another address: still the same. */
	snprintf(b.ip, sizeof(b.ip), "10.0.0.99");
	assert_true(cast_student_same_machine(&a, &b));
	/* Another clone: everything alike but the MAC. */
	b = a;
	b.mac[5] = 2;
	assert_false(cast_student_same_machine(&a, &b));
	assert_false(cast_student_same_machine(&b, &a));
	/* A MAC on one side only: not the same machine. */
	memset(b.mac, 0, 6);
	assert_false(cast_student_same_machine(&a, &b));
	assert_false(cast_student_same_machine(&b, &a));
	/* Both unknown: machine id, hostname and address all decide. */
	memset(a.mac, 0, 6);
	assert_true(cast_student_same_machine(&a, &b));
	snprintf(b.ip, sizeof(b.ip), "10.0.0.12");
	assert_false(cast_student_same_machine(&a, &b));
	b = a;
	snprintf(b.host, sizeof(b.host), "pc-12");
	assert_false(cast_student_same_machine(&a, &b));
	b = a;
	b.machine_id[0] = '5';
	assert_false(cast_student_same_machine(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_configs),
		cmocka_unit_test(classroom),
		cmocka_unit_test(event_backpressure),
		cmocka_unit_test(impostor),
		cmocka_unit_test(seat_id_rule),
		cmocka_unit_test(hello_id),
		cmocka_unit_test(same_machine_rule),
	};

	cast_log_set_level(CAST_LOG_WARN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
