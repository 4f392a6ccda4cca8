/* UDP sockets for multicast and unicast, and the channel's group/port layout. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/net.h"
#include "net/net_int.h"

struct cast_udp {
	int fd;
	struct sockaddr_in dest;
	bool has_dest;
	struct ip_mreqn mreq;
	bool joined;
};

int cast_channel_group(int channel, char *buf, size_t size)
{
	if (channel < CAST_CHANNEL_MIN || channel > CAST_CHANNEL_MAX || !buf)
		return CAST_ERROR(EINVAL);
	if (snprintf(buf, size, "239.255.%d.%d", channel / 256,
		     channel % 256) >= (int)size)
		return CAST_ERROR(ENOSPC);
	return 0;
}

int cast_channel_port(int channel, enum cast_port_kind kind)
{
	if (channel < CAST_CHANNEL_MIN || channel > CAST_CHANNEL_MAX ||
	    (int)kind < 0 || (int)kind > 9)
		return CAST_ERROR(EINVAL);
	return CAST_PORT_BASE + 10 * channel + (int)kind;
}

int cast__channel_addr(int channel, int kind, const char *addr,
		       uint16_t port, char *group, size_t size,
		       uint16_t *port_out)
{
	int p = port ? port
		     : cast_channel_port(channel, (enum cast_port_kind)kind);
	int err;

	if (p < 0)
		return p;
	if (addr) {
		if (snprintf(group, size, "%s", addr) >= (int)size)
			return CAST_ERROR(ENOSPC);
	} else {
		err = cast_channel_group(channel, group, size);
		if (err)
			return err;
	}
	*port_out = (uint16_t)p;
	return 0;
}

void cast_udp_cfg_init(struct cast_udp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ttl = 1;
	cfg->loop = true;
	cfg->rcvbuf = 4 << 20;
	cfg->sndbuf = 1 << 20;
	cfg->multicast_all = true;
}

static bool is_multicast(struct in_addr a)
{
	return IN_MULTICAST(ntohl(a.s_addr));
}

/* Resolves an interface given by name or IPv4 address into mreqn fields. */
static int resolve_iface(const char *iface, struct ip_mreqn *m)
{
	if (!iface || !*iface)
		return 0;
	if (inet_pton(AF_INET, iface, &m->imr_address) == 1)
		return 0;
	m->imr_ifindex = (int)if_nametoindex(iface);
	if (!m->imr_ifindex)
		return CAST_ERROR(ENODEV);
	return 0;
}

int cast_udp_new(struct cast_udp **out, const struct cast_udp_cfg *cfg)
{
	struct cast_udp *u;
	struct sockaddr_in local = {.sin_family = AF_INET};
	struct ip_mreqn ifm = {0};
	int one = 1, err;
	unsigned char ttl, loop;

	if (!out || !cfg || cfg->ttl < 0 || cfg->ttl > 255)
		return CAST_ERROR(EINVAL);
	u = calloc(1, sizeof(*u));
	if (!u)
		return CAST_ERROR(ENOMEM);
	u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->fd < 0) {
		err = CAST_ERROR(errno);
		free(u);
		return err;
	}
	err = resolve_iface(cfg->iface, &ifm);
	if (err)
		goto out;

	if (cfg->group) {
		if (inet_pton(AF_INET, cfg->group, &u->mreq.imr_multiaddr) !=
			    1 ||
		    !is_multicast(u->mreq.imr_multiaddr)) {
			err = CAST_ERROR(EINVAL);
			goto out;
		}
	}
	if (cfg->bind_addr &&
	    inet_pton(AF_INET, cfg->bind_addr, &local.sin_addr) != 1) {
		err = CAST_ERROR(EINVAL);
		goto out;
	}
	/* Receivers of a group bind the group so other groups on the same
	 * port (other channels' traffic) never reach this socket. */
	if (cfg->group && !cfg->bind_addr)
		local.sin_addr = u->mreq.imr_multiaddr;
	local.sin_port = htons(cfg->port);

	setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cfg->rcvbuf > 0 &&
	    setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &cfg->rcvbuf,
		       sizeof(cfg->rcvbuf)))
		setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &cfg->rcvbuf,
			   sizeof(cfg->rcvbuf));
	if (cfg->sndbuf > 0 &&
	    setsockopt(u->fd, SOL_SOCKET, SO_SNDBUFFORCE, &cfg->sndbuf,
		       sizeof(cfg->sndbuf)))
		setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &cfg->sndbuf,
			   sizeof(cfg->sndbuf));
	if (bind(u->fd, (struct sockaddr *)&local, sizeof(local))) {
		err = CAST_ERROR(errno);
		cast_log(CAST_LOG_ERROR, "udp", "bind port %u: %s", cfg->port,
			 cast_strerror(err));
		goto out;
	}

	if (!cfg->multicast_all) {
		int zero = 0;

		setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero,
			   sizeof(zero));
	}
	ttl = (unsigned char)cfg->ttl;
	loop = cfg->loop ? 1 : 0;
	if (setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
		       sizeof(ttl)) ||
	    setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
		       sizeof(loop))) {
		err = CAST_ERROR(errno);
		goto out;
	}
	if ((cfg->iface && *cfg->iface) &&
	    setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_IF, &ifm, sizeof(ifm))) {
		err = CAST_ERROR(errno);
		goto out;
	}

	if (cfg->group) {
		u->mreq.imr_address = ifm.imr_address;
		u->mreq.imr_ifindex = ifm.imr_ifindex;
		if (setsockopt(u->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &u->mreq,
			       sizeof(u->mreq))) {
			err = CAST_ERROR(errno);
			cast_log(CAST_LOG_ERROR, "udp", "join %s: %s",
				 cfg->group, cast_strerror(err));
			goto out;
		}
		u->joined = true;
	}

	if (cfg->dest_addr) {
		u->dest.sin_family = AF_INET;
		u->dest.sin_port = htons(cfg->dest_port);
		if (inet_pton(AF_INET, cfg->dest_addr, &u->dest.sin_addr) !=
			    1 ||
		    !cfg->dest_port) {
			err = CAST_ERROR(EINVAL);
			goto out;
		}
		u->has_dest = true;
	}
	*out = u;
	return 0;
out:
	close(u->fd);
	free(u);
	return err;
}

int cast_udp_send(struct cast_udp *u, const void *buf, size_t len)
{
	ssize_t n;

	if (!u->has_dest)
		return CAST_ERROR(EDESTADDRREQ);
	do {
		n = sendto(u->fd, buf, len, 0, (struct sockaddr *)&u->dest,
			   sizeof(u->dest));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return CAST_ERROR(errno);
	return (int)n;
}

int cast_udp_send_to(struct cast_udp *u, const void *buf, size_t len,
		     uint32_t ip, uint16_t port)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	ssize_t n;

	to.sin_addr.s_addr = htonl(ip);
	to.sin_port = htons(port);
	do {
		n = sendto(u->fd, buf, len, 0, (struct sockaddr *)&to,
			   sizeof(to));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return CAST_ERROR(errno);
	return (int)n;
}

int cast_udp_local_port(const struct cast_udp *u)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(u->fd, (struct sockaddr *)&a, &len))
		return CAST_ERROR(errno);
	return ntohs(a.sin_port);
}

int cast_udp_recv(struct cast_udp *u, void *buf, size_t size, int timeout_ms,
		  uint32_t *from_ip, uint16_t *from_port)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	if (timeout_ms != 0) {
		struct pollfd p = {.fd = u->fd, .events = POLLIN};
		int r = poll(&p, 1, timeout_ms);

		if (r < 0)
			return CAST_ERROR(errno == EINTR ? EAGAIN : errno);
		if (r == 0)
			return CAST_ERROR(EAGAIN);
	}
	n = recvfrom(u->fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&from,
		     &flen);
	if (n < 0)
		return CAST_ERROR(errno == EWOULDBLOCK ? EAGAIN : errno);
	if (from_ip)
		*from_ip = ntohl(from.sin_addr.s_addr);
	if (from_port)
		*from_port = ntohs(from.sin_port);
	return (int)n;
}

int cast_udp_rejoin(struct cast_udp *u)
{
	if (!u->joined)
		return 0;
	setsockopt(u->fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &u->mreq,
		   sizeof(u->mreq));
	if (setsockopt(u->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &u->mreq,
		       sizeof(u->mreq)))
		return CAST_ERROR(errno);
	return 0;
}

int cast_udp_fd(const struct cast_udp *u)
{
	return u->fd;
}

void cast_udp_free(struct cast_udp **pu)
{
	struct cast_udp *u = pu ? *pu : NULL;

	if (!u)
		return;
	if (u->joined)
		setsockopt(u->fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &u->mreq,
			   sizeof(u->mreq));
	close(u->fd);
	free(u);
	*pu = NULL;
}
