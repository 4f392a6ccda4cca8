/* Seat identity: what differs between cloned lab PCs and survives a restore. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "cast/control.h"
#include "cast/error.h"

static bool mac_known(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return mac && memcmp(mac, zero, 6) != 0;
}

int cast_student_seat_id_make(const uint8_t mac[6], const char *hostname, char *buf,
		      size_t size)
{
	int n;

	if (!buf || !size)
		return CAST_ERROR(EINVAL);
	if (mac_known(mac))
		n = snprintf(buf, size, "seat-%02x%02x%02x%02x%02x%02x", mac[0],
			     mac[1], mac[2], mac[3], mac[4], mac[5]);
	else if (hostname && *hostname && strcmp(hostname, "localhost"))
		n = snprintf(buf, size, "host-%s", hostname);
	else
		return CAST_ERROR(ENODEV);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return CAST_ERROR(ENOSPC);
	}
	return n;
}

/* The interface of the IPv4 default route with the lowest metric, from
 * /proc/net/route (no netlink needed for one lookup at start). */
static bool default_route_iface(char *name, size_t size)
{
	FILE *f = fopen("/proc/net/route", "r");
	char line[256], ifn[IF_NAMESIZE + 1];
	unsigned long dest, metric, best = (unsigned long)-1;
	unsigned flags;
	bool found = false;

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		/* Iface Destination Gateway Flags RefCnt Use Metric ... */
		if (sscanf(line, "%16s %lx %*x %x %*d %*d %lu", ifn, &dest,
			   &flags, &metric) != 4)
			continue;
		if (dest != 0 || !(flags & 0x1 /* RTF_UP */) || metric >= best)
			continue;
		best = metric;
		snprintf(name, size, "%s", ifn);
		found = true;
	}
	fclose(f);
	return found;
}

/* `iface` given as an IPv4 address: the name of the interface holding it. */
static void iface_by_addr(const struct ifaddrs *ifa, const char *iface,
			  char *name, size_t size)
{
	struct in_addr a;

	snprintf(name, size, "%s", iface);
	if (inet_pton(AF_INET, iface, &a) != 1)
		return;
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    ((const struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
			    a.s_addr) {
			snprintf(name, size, "%s", i->ifa_name);
			return;
		}
}

/* MAC of interface `name` (NULL: the first non-loopback one with a MAC). */
static bool find_mac(const struct ifaddrs *ifa, const char *name,
		     uint8_t mac[6])
{
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_ll *ll =
			(const struct sockaddr_ll *)i->ifa_addr;

		if (!ll || ll->sll_family != AF_PACKET || ll->sll_halen != 6 ||
		    (i->ifa_flags & IFF_LOOPBACK) || !mac_known(ll->sll_addr))
			continue;
		if (name && strcmp(name, i->ifa_name))
			continue;
		memcpy(mac, ll->sll_addr, 6);
		return true;
	}
	return false;
}

int cast_student_mac(const char *iface, uint8_t mac[6])
{
	struct ifaddrs *ifa;
	char name[IF_NAMESIZE + 64];
	bool ok = false;

	if (!mac)
		return CAST_ERROR(EINVAL);
	if (getifaddrs(&ifa))
		return CAST_ERROR(errno);
	if (iface && *iface) {
		iface_by_addr(ifa, iface, name, sizeof(name));
		ok = find_mac(ifa, name, mac);
	} else {
		ok = (default_route_iface(name, sizeof(name)) &&
		      find_mac(ifa, name, mac)) ||
		     find_mac(ifa, NULL, mac);
	}
	freeifaddrs(ifa);
	return ok ? 0 : CAST_ERROR(ENODEV);
}

int cast_student_seat_id(const char *iface, char *buf, size_t size)
{
	uint8_t mac[6] = {0};
	char host[256] = "";

	if (!buf || !size)
		return CAST_ERROR(EINVAL);
	/* Without a MAC, the hostname the lab sets per seat after cloning. */
	if (cast_student_mac(iface, mac)) {
		if (gethostname(host, sizeof(host)))
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
	}
	return cast_student_seat_id_make(mac, host, buf, size);
}

/* The identity's members are also cast_student_info's own: same bytes. */
_Static_assert(offsetof(struct cast_student_info, ip) ==
		       offsetof(struct cast_student_info, ident) +
			       offsetof(struct cast_identity, ip),
	       "cast_student_info's identity members match cast_identity");
_Static_assert(offsetof(struct cast_student_info, port) >=
		       sizeof(struct cast_identity),
	       "cast_student_info's identity members match cast_identity");

int cast_identity_presented(const struct cast_identity *who, char *buf,
			    size_t size)
{
	size_t n;

	if (!who || !buf || !size)
		return CAST_ERROR(EINVAL);
	n = strnlen(who->presented_id, sizeof(who->presented_id));
	if (!n)
		return cast_student_seat_id_make(who->mac, who->host, buf,
						 size);
	if (n == sizeof(who->presented_id) || n >= size) {
		buf[0] = '\0';
		return CAST_ERROR(n == sizeof(who->presented_id) ? EINVAL
								 : ENOSPC);
	}
	memcpy(buf, who->presented_id, n + 1);
	return (int)n;
}

bool cast_student_same_machine(const struct cast_identity *a,
			       const struct cast_identity *b)
{
	if (mac_known(a->mac) || mac_known(b->mac))
		return !memcmp(a->mac, b->mac, 6);
	return !strcmp(a->machine_id, b->machine_id) &&
	       !strcmp(a->host, b->host) && !strcmp(a->ip, b->ip);
}
