/* 16-bit PCM WAV writer: header first, sizes filled in at close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/audio.h"
#include "cast/error.h"

struct cast_wav {
	FILE *f;
	int rate, channels;
	uint64_t bytes;
	bool failed;
};

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static void header(uint8_t h[44], int rate, int channels, uint32_t data)
{
	memcpy(h, "RIFF", 4);
	le32(h + 4, 36 + data);
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1);			/* PCM */
	le16(h + 22, (uint16_t)channels);
	le32(h + 24, (uint32_t)rate);
	le32(h + 28, (uint32_t)(rate * channels * 2));
	le16(h + 32, (uint16_t)(channels * 2));
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, data);
}

int cast_wav_open(struct cast_wav **out, const char *path, int rate,
		  int channels)
{
	struct cast_wav *w;
	uint8_t h[44];
	int err;

	if (!path || !*path || rate <= 0 || rate > 384000 || channels < 1 ||
	    channels > 8)
		return CAST_ERROR(EINVAL);
	w = calloc(1, sizeof(*w));
	if (!w)
		return CAST_ERROR(ENOMEM);
	w->f = fopen(path, "wb");
	if (!w->f) {
		err = CAST_ERROR(errno);
		free(w);
		return err;
	}
	w->rate = rate;
	w->channels = channels;
	header(h, rate, channels, 0);
	if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h)) {
		fclose(w->f);
		free(w);
		return CAST_ERROR(EIO);
	}
	*out = w;
	return 0;
}

int cast_wav_write(struct cast_wav *w, const int16_t *pcm, size_t frames)
{
	uint8_t buf[4096];
	size_t n = frames * (size_t)w->channels, done = 0;

	if (w->bytes + n * 2 > UINT32_MAX - 36)
		return CAST_ERROR(EFBIG);
	while (done < n) {
		size_t k = n - done > sizeof(buf) / 2 ? sizeof(buf) / 2
						      : n - done;

		for (size_t i = 0; i < k; i++)
			le16(buf + 2 * i, (uint16_t)pcm[done + i]);
		if (fwrite(buf, 2, k, w->f) != k) {
			w->failed = true;
			return CAST_ERROR(EIO);
		}
		done += k;
	}
	w->bytes += n * 2;
	return 0;
}

int cast_wav_close(struct cast_wav **pw)
{
	struct cast_wav *w;
	uint8_t h[44];
	int err = 0;

	if (!pw || !*pw)
		return 0;
	w = *pw;
	*pw = NULL;
	header(h, w->rate, w->channels, (uint32_t)w->bytes);
	if (fseek(w->f, 0, SEEK_SET) ||
	    fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
		err = CAST_ERROR(EIO);
	if (fclose(w->f) || w->failed)
		err = CAST_ERROR(EIO);
	free(w);
	return err;
}
