/* cast-teacher ctl: waits for the students' replies to a command it sent. */
#ifndef CAST_TEACHER_CTL_WAIT_H
#define CAST_TEACHER_CTL_WAIT_H

#include <stddef.h>

/**
 * After `first` (the teacher's answer to `command`, with its
 * "command_ids"), polls the teacher's "replies" every 200 ms, at most
 * `timeout_ms`, until every command id has an answer, and writes one JSON
 * document into `out`: each student's outcome, the offline ones, and
 * "ok" true only when every targeted student succeeded. Returns 0 when
 * `first` already refused the command (nothing written), 1 all succeeded,
 * 2 not all, -ENOSPC.
 */
int ctl_wait_replies(const char *socket_path, const char *command,
		     const char *first, int timeout_ms, char *out,
		     size_t size);

#endif
