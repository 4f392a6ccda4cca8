/* The student's local control socket: the student's own actions (raise hand,
 * message the teacher) from a tray, a shortcut or a script. */
#ifndef CAST_STUDENT_LOCAL_H
#define CAST_STUDENT_LOCAL_H

/** Answers one command line with a malloc'd JSON document (or NULL). */
typedef char *(local_cb)(const char *line, void *arg);

struct local;

/**
 * Listens on the unix socket `path` (mode 0600; a stale socket is replaced,
 * a live one is -EADDRINUSE) on a thread of its own. 0 or negative errno.
 */
int local_start(struct local **out, const char *path, local_cb *cb, void *arg);
void local_stop(struct local **l);

#endif
