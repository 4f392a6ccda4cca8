/* Internal helpers of the network layer shared by the pipelines. */
#ifndef CAST_NET_INT_H
#define CAST_NET_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The address of one of a channel's services (`kind`, an enum
 * cast_port_kind): `addr`/`port` when given (non-NULL, non-zero), else the
 * channel's group and that service's port. Writes `group` (a dotted quad)
 * and `*port_out`. Returns 0, -EINVAL (bad channel) or -ENOSPC.
 */
int cast__channel_addr(int channel, int kind, const char *addr,
		       uint16_t port, char *group, size_t size,
		       uint16_t *port_out);

#endif
