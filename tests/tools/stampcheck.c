/* Reads test-pattern stamps from a raw I420 file (third-party decoder output).
 * With --red X,Y,W,H it also finds the frames whose box is red (the
 * whiteboard's test): the first such frame's number, red frames before it
 * (none expected) and frames after it that are not red. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/cast.h"

/* Red (BT.601: Y ~81, U ~90, V ~240) in 90 % of the box's pixels. */
static bool is_red(const struct cast_frame *f, const struct cast_rect *b)
{
	long n = 0, hit = 0;

	for (int y = b->y; y < b->y + b->h; y++)
		for (int x = b->x; x < b->x + b->w; x++) {
			int Y = f->data[0][y * f->stride[0] + x];
			int U = f->data[1][y / 2 * f->stride[1] + x / 2];
			int V = f->data[2][y / 2 * f->stride[2] + x / 2];

			n++;
			hit += Y < 130 && U < 125 && V > 200;
		}
	return n && hit * 10 >= n * 9;
}

int main(int argc, char **argv)
{
	struct cast_frame f = {.fmt = CAST_PIX_I420};
	unsigned long frames = 0, bad = 0, disorder = 0;
	uint32_t n, first = 0, last = 0;
	bool any = false, red_seen = false;
	struct cast_rect box = {0, 0, 0, 0};
	unsigned long red = 0, red_gaps = 0;
	uint32_t red_first = 0, last_plain = 0;
	bool any_plain = false;
	size_t ysz, size;
	uint8_t *buf;
	FILE *in;

	if (argc == 5 && !strcmp(argv[3], "--red") &&
	    sscanf(argv[4], "%d,%d,%d,%d", &box.x, &box.y, &box.w, &box.h) != 4)
		argc = 0;
	if ((argc != 3 && argc != 5) ||
	    cast_parse_size(argv[2], &f.width, &f.height) || box.x < 0 ||
	    box.y < 0 || box.x + box.w > f.width || box.y + box.h > f.height) {
		fprintf(stderr, "usage: stampcheck FILE.yuv WxH "
		                "[--red X,Y,W,H]\n");
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
		if (box.w > 0 && box.h > 0) {
			if (is_red(&f, &box)) {
				red++;
				if (!red_seen)
					red_first = n;
				red_seen = true;
			} else if (red_seen) {
				red_gaps++;
			} else {
				last_plain = n;
				any_plain = true;
			}
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
	if (box.w > 0)
		printf("{\"red\":%lu,\"red_first\":%ld,\"plain_last\":%ld,"
		       "\"red_gaps\":%lu,\"final\":true}\n",
		       red, red_seen ? (long)red_first : -1L,
		       any_plain ? (long)last_plain : -1L, red_gaps);
	return 0;
}
