/* Reads test-pattern stamps from a raw I420 file (third-party decoder output). */
#include <stdio.h>
#include <stdlib.h>

#include "cast/cast.h"

int main(int argc, char **argv)
{
	struct cast_frame f = {.fmt = CAST_PIX_I420};
	unsigned long frames = 0, bad = 0, disorder = 0;
	uint32_t n, first = 0, last = 0;
	bool any = false;
	size_t ysz, size;
	uint8_t *buf;
	FILE *in;

	if (argc != 3 || cast_parse_size(argv[2], &f.width, &f.height)) {
		fprintf(stderr, "usage: stampcheck FILE.yuv WxH\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	ysz = (size_t)f.width * (size_t)f.height;
	size = ysz + ysz / 2;
	buf = malloc(size);
	if (!buf)
		return 1;
	f.data[0] = buf;
	f.data[1] = buf + ysz;
	f.data[2] = buf + ysz + ysz / 4;
	f.stride[0] = f.width;
	f.stride[1] = f.stride[2] = f.width / 2;
	while (fread(buf, 1, size, in) == size) {
		frames++;
		if (cast_stamp_read(&f, &n)) {
			bad++;
			continue;
		}
		if (!any)
			first = n;
		else if (n <= last)
			disorder++;
		if (!any || n > last)
			last = n;
		any = true;
	}
	fclose(in);
	free(buf);
	printf("{\"frames\":%lu,\"first\":%u,\"last\":%u,\"bad\":%lu,"
	       "\"disorder\":%lu,\"span\":%lu,\"final\":true}\n",
	       frames, first, last, bad, disorder,
	       any ? (unsigned long)(last - first + 1) : 0ul);
	return 0;
}
