/* Local control sockets: framed requests, the client, a threaded server. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/frame.h"
#include "ctl_int.h"

/* A silent server is given up after 5 s (one answering later sends a
 * '\n' every second); no answer takes more than 16 minutes. */
#define REQUEST_TIMEOUT_MS 5000
#define REQUEST_MAX_MS (16 * 60000)
#define SERVE_TIMEOUT_MS 1000

int cast_ctl_frame_encode(int argc, const char *const *argv, uint8_t **out,
			  size_t *len)
{
	size_t total = 0, off = 4;
	uint8_t *buf;

	if (argc < 1 || argc > CAST_CTL_ARGC_MAX || !argv || !out || !len)
		return CAST_ERROR(EINVAL);
	for (int i = 0; i < argc; i++) {
		if (!argv[i])
			return CAST_ERROR(EINVAL);
		total += strlen(argv[i]) + 1;
		if (total > CAST_CTL_REQUEST_MAX)
			return CAST_ERROR(E2BIG);
	}
	buf = malloc(4 + total);
	if (!buf)
		return CAST_ERROR(ENOMEM);
	cast__put32(buf, (uint32_t)total);
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(buf + off, argv[i], n);
		off += n;
	}
	*out = buf;
	*len = 4 + total;
	return 0;
}

int cast_ctl_frame_parse(const uint8_t *buf, size_t len, int *argc,
			 char **argv, int max)
{
	size_t total, i = 4;
	int n = 0;

	if (len < 4)
		return 0;
	total = cast__get32(buf);
	if (total > CAST_CTL_REQUEST_MAX)
		return CAST_ERROR(E2BIG);
	if (!total || max < 1 || max > CAST_CTL_ARGC_MAX)
		return CAST_EMALFORMED;
	if (len - 4 < total)
		return 0;
	if (buf[4 + total - 1] != '\0' || buf[4] == '\0')
		return CAST_EMALFORMED;
	while (i < 4 + total) {
		size_t l = strlen((const char *)buf + i);

		if (n == max || !cast__utf8_valid(buf + i, l))
			return CAST_EMALFORMED;
		argv[n++] = (char *)(uintptr_t)(buf + i);
		i += l + 1;
	}
	*argc = n;
	return (int)(4 + total);
}

static int unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!path)
		return CAST_ERROR(EINVAL);
	if (strlen(path) >= sizeof(a->sun_path))
		return CAST_ERROR(ENAMETOOLONG);
	memcpy(a->sun_path, path, strlen(path));
	return 0;
}

int cast_ctl_request(const char *socket_path, int argc,
		     const char *const *argv, char **reply)
{
	int64_t start = cast_mono_us();
	int64_t deadline = start + REQUEST_TIMEOUT_MS * 1000LL;
	struct sockaddr_un a;
	uint8_t *req = NULL;
	char *buf = NULL;
	size_t req_len, len = 0, cap = 0, off = 0;
	int fd = -1, ret;

	if (!reply)
		return CAST_ERROR(EINVAL);
	ret = unix_addr(socket_path, &a);
	if (!ret)
		ret = cast_ctl_frame_encode(argc, argv, &req, &req_len);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		ret = CAST_ERROR(errno);
		goto out;
	}
	while (off < req_len) {
		ssize_t w = send(fd, req + off, req_len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ret = CAST_ERROR(errno ? errno : EPIPE);
			goto out;
		}
		off += (size_t)w;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = (deadline - cast_mono_us()) / 1000;
		ssize_t n;

		if (left <= 0) {
			ret = CAST_ERROR(ETIMEDOUT);
			goto out;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			ret = CAST_ERROR(errno);
			goto out;
		}
		if (!p.revents)
			continue;
		if (cap - len < 4096) {
			char *q;

			cap = cap ? cap * 2 : 65536;
			if (cap > CAST_CTL_REPLY_MAX + 1)
				cap = CAST_CTL_REPLY_MAX + 1;
			if (cap - len < 2) {
				ret = CAST_ERROR(EMSGSIZE);
				goto out;
			}
			q = realloc(buf, cap);
			if (!q) {
				ret = CAST_ERROR(ENOMEM);
				goto out;
			}
			buf = q;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = CAST_ERROR(errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		deadline = cast_mono_us() + REQUEST_TIMEOUT_MS * 1000LL;
		if (deadline > start + REQUEST_MAX_MS * 1000LL)
			deadline = start + REQUEST_MAX_MS * 1000LL;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf) {
			ret = CAST_ERROR(ENOMEM);
			goto out;
		}
	}
	buf[len] = '\0';
	/* The keep-alive '\n's of an answer given later. */
	{
		size_t ws = strspn(buf, "\n");

		memmove(buf, buf + ws, len - ws + 1);
		len -= ws;
	}
	*reply = buf;
	buf = NULL;
	ret = len > INT32_MAX ? INT32_MAX : (int)len;
out:
	if (fd >= 0)
		close(fd);
	free(req);
	free(buf);
	return ret;
}

char cast_ctl_later_tag;

/* ---- threaded server ---- */

struct cast_ctl_server {
	int fd;
	char path[108];
	cast_ctl_command_cb *cb;
	void *arg;
	pthread_t thread;
	atomic_bool stop;
};

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* A one-line JSON error for a request that is refused whole. */
char *cast__ctl_refusal(int err)
{
	char msg[160];

	if (err == CAST_ERROR(E2BIG))
		snprintf(msg, sizeof(msg),
			 "{\"ok\":false,\"error\":\"command too long (the "
			 "limit is %u bytes): nothing was done\"}",
			 CAST_CTL_REQUEST_MAX);
	else
		snprintf(msg, sizeof(msg),
			 "{\"ok\":false,\"error\":\"malformed command: "
			 "nothing was done\"}");
	return strdup(msg);
}

static void serve(struct cast_ctl_server *srv, int c)
{
	int64_t deadline = cast_mono_us() + SERVE_TIMEOUT_MS * 1000LL;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	char *argv[CAST_CTL_ARGC_MAX], *reply = NULL;
	int argc = 0, ret = 0;

	for (;;) {
		struct pollfd p = {.fd = c, .events = POLLIN};
		int64_t left = (deadline - cast_mono_us()) / 1000;
		ssize_t n;

		ret = cast_ctl_frame_parse(buf, len, &argc, argv,
					   CAST_CTL_ARGC_MAX);
		if (ret)
			break;
		if (left <= 0 || poll(&p, 1, (int)left) != 1)
			goto out; /* too slow: a partial request never runs */
		if (cap - len < 4096) {
			uint8_t *q;

			cap = cap ? cap * 2 : 8192;
			q = realloc(buf, cap);
			if (!q)
				goto out;
			buf = q;
		}
		n = read(c, buf + len, cap - len);
		if (n <= 0)
			goto out;
		len += (size_t)n;
	}
	if (ret < 0)
		reply = cast__ctl_refusal(ret);
	else
		reply = srv->cb(argc, argv, 0, srv->arg);
	if (reply == CAST_CTL_LATER)
		reply = NULL;
	if (!reply)
		reply = strdup("{\"ok\":false,\"error\":\"unknown command\"}");
	if (reply) {
		send_all(c, reply, strlen(reply));
		if (!reply[0] || reply[strlen(reply) - 1] != '\n')
			send_all(c, "\n", 1);
	}
out:
	free(reply);
	free(buf);
}

static void *serve_loop(void *arg)
{
	struct cast_ctl_server *srv = arg;

	while (!atomic_load(&srv->stop)) {
		struct pollfd p = {.fd = srv->fd, .events = POLLIN};
		int c;

		if (poll(&p, 1, 200) != 1)
			continue;
		c = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve(srv, c);
		close(c);
	}
	return NULL;
}

int cast_ctl_server_new(struct cast_ctl_server **out, const char *path,
			cast_ctl_command_cb *cb, void *arg)
{
	struct cast_ctl_server *srv;
	struct sockaddr_un a;
	int ret, probe;

	if (!out || !cb)
		return CAST_ERROR(EINVAL);
	ret = unix_addr(path, &a);
	if (ret)
		return ret;
	/* A live socket means another program already serves it. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&a, sizeof(a))) {
		close(probe);
		return CAST_ERROR(EADDRINUSE);
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return CAST_ERROR(ENOMEM);
	srv->cb = cb;
	srv->arg = arg;
	memcpy(srv->path, a.sun_path, sizeof(srv->path));
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->fd < 0 || bind(srv->fd, (struct sockaddr *)&a, sizeof(a)) ||
	    chmod(path, 0600) || listen(srv->fd, 8)) {
		ret = CAST_ERROR(errno);
		goto fail;
	}
	ret = cast__thread_start(&srv->thread, serve_loop, srv);
	if (ret)
		goto fail;
	*out = srv;
	return 0;
fail:
	if (srv->fd >= 0) {
		close(srv->fd);
		unlink(path);
	}
	free(srv);
	return ret;
}

void cast_ctl_server_free(struct cast_ctl_server **psrv)
{
	struct cast_ctl_server *srv = psrv ? *psrv : NULL;

	if (!srv)
		return;
	atomic_store(&srv->stop, true);
	pthread_join(srv->thread, NULL);
	close(srv->fd);
	unlink(srv->path);
	free(srv);
	*psrv = NULL;
}
