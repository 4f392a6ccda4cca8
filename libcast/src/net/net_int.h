/* Internal helpers of the network layer shared by the pipelines. */
#ifndef CAST_NET_INT_H
#define CAST_NET_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The media address of a channel: `addr`/`port` when given (non-NULL,
 * non-zero), else the channel's group and video port. Writes `group` (a
 * dotted quad) and `*port_out`. Returns 0, -EINVAL (bad channel) or
 * -ENOSPC.
 */
int cast__media_addr(int channel, const char *addr, uint16_t port,
		     char *group, size_t size, uint16_t *port_out);

#endif
