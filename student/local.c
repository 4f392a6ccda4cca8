/* A one-line-command unix socket served on its own thread. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "local.h"

struct local {
	int fd;
	char path[108];
	local_cb *cb;
	void *arg;
	pthread_t thread;
	atomic_bool stop;
};

static void serve(struct local *l, int c)
{
	char line[4096];
	size_t n = 0;
	char *reply;
	struct pollfd p = {.fd = c, .events = POLLIN};

	/* One line, within a second: nobody holds the thread. */
	while (n < sizeof(line) - 1 && poll(&p, 1, 1000) == 1) {
		ssize_t r = read(c, line + n, sizeof(line) - 1 - n);

		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(line, '\n', n))
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	reply = l->cb(line, l->arg);
	if (!reply)
		reply = strdup("{\"error\":\"unknown command\"}");
	if (reply) {
		size_t len = strlen(reply), off = 0;

		while (off < len) {
			ssize_t w = send(c, reply + off, len - off,
					 MSG_NOSIGNAL);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		if (send(c, "\n", 1, MSG_NOSIGNAL) < 0)
			n = 0;
		free(reply);
	}
}

static void *run(void *arg)
{
	struct local *l = arg;

	while (!atomic_load(&l->stop)) {
		struct pollfd p = {.fd = l->fd, .events = POLLIN};
		int c;

		if (poll(&p, 1, 200) != 1)
			continue;
		c = accept(l->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve(l, c);
		close(c);
	}
	return NULL;
}

int local_start(struct local **out, const char *path, local_cb *cb, void *arg)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct local *l;
	int err, probe;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	/* A live socket means another student agent already runs here. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&a, sizeof(a))) {
		close(probe);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cb = cb;
	l->arg = arg;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    chmod(path, 0600) || listen(l->fd, 8)) {
		err = -errno;
		if (l->fd >= 0)
			close(l->fd);
		free(l);
		return err;
	}
	err = pthread_create(&l->thread, NULL, run, l);
	if (err) {
		close(l->fd);
		unlink(path);
		free(l);
		return -err;
	}
	*out = l;
	return 0;
}

void local_stop(struct local **pl)
{
	struct local *l = pl ? *pl : NULL;

	if (!l)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	close(l->fd);
	unlink(l->path);
	free(l);
	*pl = NULL;
}
