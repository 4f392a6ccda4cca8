/* MAC addresses and Wake-on-LAN magic packets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cast/error.h"
#include "cast/net.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cast_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t v[6];

	if (!s || !mac || strlen(s) != 17 || (s[2] != ':' && s[2] != '-'))
		return CAST_ERROR(EINVAL);
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != s[2]))
			return CAST_ERROR(EINVAL);
		v[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, v, 6);
	return 0;
}

void cast_mac_format(const uint8_t mac[6], char *buf, size_t size)
{
	if (!size)
		return;
	buf[0] = '\0';
	if (!mac || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return;
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

int cast_wol_send(const char *addr, uint16_t port, const uint8_t mac[6])
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	uint8_t pkt[102];
	int fd, one = 1, ret = 0;

	if (!mac)
		return CAST_ERROR(EINVAL);
	/* Six 0xff, then the MAC sixteen times. */
	memset(pkt, 0xff, 6);
	for (int i = 0; i < 16; i++)
		memcpy(pkt + 6 + i * 6, mac, 6);
	to.sin_port = htons(port ? port : 9);
	if (inet_pton(AF_INET, addr ? addr : "255.255.255.255",
		      &to.sin_addr) != 1)
		return CAST_ERROR(EINVAL);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return CAST_ERROR(errno);
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		ret = CAST_ERROR(errno);
	close(fd);
	return ret;
}
