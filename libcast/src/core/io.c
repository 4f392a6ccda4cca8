/* Small I/O helpers shared across libcast's areas. */
#include <errno.h>
#include <unistd.h>

#include "cast/error.h"
#include "core/core_int.h"

int cast__write_all(int fd, const void *buf, size_t n)
{
	const char *s = buf;

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return CAST_ERROR(errno);
		s += w;
		n -= (size_t)w;
	}
	return 0;
}
