/* The student's seat: every command's effect and refusal, partial updates,
 * the persisted state (a lock survives a restart), the lab's programs and
 * their outcomes reported later. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/cast.h"

/* A literal argument list (its NULs included, not the final one). */
#define A(s) (const uint8_t *)(s), sizeof(s) - 1

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uint32_t last_id;
static int last_status, outcomes;

static void on_outcome(uint32_t cmd_id, int status, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	last_id = cmd_id;
	last_status = status;
	outcomes++;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* Waits (at most 15 s) for outcome number `n`; returns its status. */
static int outcome(int n, uint32_t want_id)
{
	struct timespec ts;
	int st;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 15;
	pthread_mutex_lock(&lock);
	while (outcomes < n &&
	       pthread_cond_timedwait(&cond, &lock, &ts) == 0)
		;
	assert_int_equal(outcomes, n);
	assert_int_equal(last_id, want_id);
	st = last_status;
	pthread_mutex_unlock(&lock);
	return st;
}

static struct cast_seat *seat_open(const char *dir)
{
	struct cast_seat_cfg cfg;
	struct cast_seat *s = NULL;

	cast_seat_cfg_init(&cfg);
	cfg.state_dir = dir;
	cfg.open_cmd = "true";
	cfg.poweroff_cmd = "true";
	cfg.reboot_cmd = "false";
	cfg.url_schemes = "https";
	cfg.on_outcome = on_outcome;
	assert_int_equal(cast_seat_new(&s, &cfg), 0);
	return s;
}

/* Decodes a command as the student's control plane does, then applies. */
static int apply(struct cast_seat *s, const char *name, const uint8_t *args,
		 size_t len, uint32_t id)
{
	static struct cast_command c;
	int ret = cast_command_decode(name, args, len, &c);

	return ret ? ret : cast_seat_apply(s, &c, id);
}

static struct cast_seat_state st;

/*
 * Partial updates change only what they name; a bad value changes nothing
 * (it never reaches the seat); texts arrive whole.
 */
static void partial(void **state)
{
	struct cast_seat *s = seat_open(NULL);

	(void)state;
	assert_int_equal(apply(s, "watermark",
			       A("fields=id,name,ip\0text=3A\0"), 1),
			 0);
	assert_int_equal(apply(s, "watermark", A("opacity=70\0"), 2), 0);
	cast_seat_state(s, &st);
	assert_int_equal(st.wm.fields, CAST_WM_ID | CAST_WM_NAME | CAST_WM_IP);
	assert_string_equal(st.wm.text, "3A");
	assert_int_equal(st.wm.opacity, 70);
	assert_int_equal(apply(s, "watermark", A("opacity=abc\0fields=id\0"), 3),
			 CAST_ERROR(EINVAL));
	assert_int_equal(apply(s, "watermark", A("fields=id,passwd\0"), 4),
			 CAST_ERROR(EINVAL));
	cast_seat_state(s, &st);
	assert_int_equal(st.wm.fields, CAST_WM_ID | CAST_WM_NAME | CAST_WM_IP);
	assert_int_equal(st.wm.opacity, 70);
	assert_int_equal(apply(s, "watermark", A("text=\0"), 5), 0);
	cast_seat_state(s, &st);
	assert_string_equal(st.wm.text, "");
	/* A message with newlines, tabs and quotes arrives whole. */
	assert_int_equal(apply(s, "message", A("text=line 1\nline\t\"2\"\0"),
			       6),
			 0);
	cast_seat_state(s, &st);
	assert_string_equal(st.msg_text, "line 1\nline\t\"2\"");
	assert_int_equal(st.messages, 1);
	/* Arguments not in the protocol's form run nothing. */
	assert_int_equal(apply(s, "lock", A("notice=x"), 7), CAST_ERROR(EINVAL));
	assert_int_equal(apply(s, "lock", A("notice=a\0notice=b\0"), 8),
			 CAST_ERROR(EINVAL));
	cast_seat_state(s, &st);
	assert_false(st.locked);
	cast_seat_free(&s);
	assert_null(s);
}

static void commands(void **state)
{
	char dir[] = "/tmp/cast-seat-XXXXXX", path[128];
	struct cast_seat *s;
	int n = outcomes;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s = seat_open(dir);
	assert_int_equal(apply(s, "lock", A("notice=考试\0"), 1), 0);
	assert_int_equal(apply(s, "watermark", A("fields=id,ip\0"), 2), 0);
	assert_int_equal(apply(s, "language", A("lang=zh_TW\0"), 3), 0);
	assert_int_equal(apply(s, "language", A("lang=xx\0"), 4),
			 CAST_ERROR(EINVAL));
	cast_seat_state(s, &st);
	assert_true(st.locked);
	assert_string_equal(st.lock_notice, "考试");
	assert_string_equal(st.language, "zh_TW");

	/* The state survives a restart of the program. */
	cast_seat_free(&s);
	s = seat_open(dir);
	cast_seat_state(s, &st);
	assert_true(st.locked);
	assert_string_equal(st.lock_notice, "考试");
	assert_int_equal(st.wm.fields, CAST_WM_ID | CAST_WM_IP);
	assert_string_equal(st.language, "zh_TW");

	/* Web pages: only the lab's schemes; the opener's outcome later. */
	assert_int_equal(apply(s, "web", A("url=https://example.org/a\0"), 10),
			 CAST_SEAT_LATER);
	assert_int_equal(outcome(++n, 10), 0);
	assert_int_equal(apply(s, "web", A("url=http://example.org/\0"), 11),
			 CAST_ERROR(EPERM));
	assert_int_equal(apply(s, "web", A("url=file:///etc/passwd\0"), 12),
			 CAST_ERROR(EINVAL));

	/* Power: the configured commands' real outcome, reported later. */
	assert_int_equal(apply(s, "power", A("action=off\0"), 20),
			 CAST_SEAT_LATER);
	assert_int_equal(outcome(++n, 20), 0);
	assert_int_equal(apply(s, "power", A("action=restart\0"), 21),
			 CAST_SEAT_LATER);
	assert_int_equal(outcome(++n, 21), CAST_ERROR(EIO));
	assert_int_equal(apply(s, "power", A("action=dance\0"), 22),
			 CAST_ERROR(EINVAL));
	assert_int_equal(apply(s, "clock-set", A("time_us=1\0"), 23),
			 CAST_ERROR(EPERM));
	assert_int_equal(apply(s, "format-disk", A(""), 24),
			 CAST_ERROR(ENOSYS));

	/* Reset: every default back, persisted. */
	assert_int_equal(apply(s, "reset", A(""), 30), 0);
	cast_seat_state(s, &st);
	assert_false(st.locked);
	assert_int_equal(st.wm.fields, 0);
	assert_string_equal(st.language, "");
	cast_seat_free(&s);
	s = seat_open(dir);
	cast_seat_state(s, &st);
	assert_false(st.locked);
	cast_seat_free(&s);
	snprintf(path, sizeof(path), "%s/state", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * The teacher's broadcast stopped and started: the seat knows, a bad
 * argument changes nothing, and it is never kept (a seat that starts
 * takes the broadcast as running until its teacher says otherwise).
 */
static void broadcast_state(void **state)
{
	char dir[] = "/tmp/cast-seat-XXXXXX", path[128];
	struct cast_seat *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	s = seat_open(dir);
	assert_true(cast_seat_broadcast_on(s));
	assert_int_equal(apply(s, "broadcast-state", A("on=0\0"), 1), 0);
	assert_false(cast_seat_broadcast_on(s));
	cast_seat_state(s, &st);
	assert_false(st.broadcast_on);
	assert_int_equal(apply(s, "broadcast-state", A("on=yes\0"), 2),
			 CAST_ERROR(EINVAL));
	assert_false(cast_seat_broadcast_on(s));
	/* A lock meanwhile is kept; the stop is not. */
	assert_int_equal(apply(s, "lock", A(""), 3), 0);
	cast_seat_free(&s);
	s = seat_open(dir);
	assert_true(cast_seat_broadcast_on(s));
	assert_true(cast_seat_locked(s));
	assert_int_equal(apply(s, "broadcast-state", A("on=0\0"), 4), 0);
	assert_int_equal(apply(s, "broadcast-state", A("on=1\0"), 5), 0);
	assert_true(cast_seat_broadcast_on(s));
	cast_seat_free(&s);
	snprintf(path, sizeof(path), "%s/state", dir);
	unlink(path);
	rmdir(dir);
}

/* A power command that is not there: an error, never "ok". */
static void power_missing(void **state)
{
	struct cast_seat_cfg cfg;
	struct cast_seat *s = NULL;
	int n = outcomes;

	(void)state;
	cast_seat_cfg_init(&cfg);
	cfg.poweroff_cmd = "/nonexistent/poweroff";
	cfg.on_outcome = on_outcome;
	assert_int_equal(cast_seat_new(&s, &cfg), 0);
	assert_int_equal(apply(s, "power", A("action=off\0"), 40),
			 CAST_SEAT_LATER);
	assert_int_equal(outcome(++n, 40), CAST_ERROR(ENOENT));
	cast_seat_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(partial),
		cmocka_unit_test(commands),
		cmocka_unit_test(power_missing),
		cmocka_unit_test(broadcast_state),
	};

	cast_log_set_level(CAST_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
