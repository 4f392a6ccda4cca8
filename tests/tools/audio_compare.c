/* Compares what a student played (WAV) with the teacher's source (WAV). */
#include <complex.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Both files 16-bit PCM, same rate. Finds where in the source the played
 * audio lines up (cross-correlation by FFT), then over the overlap prints,
 * as one JSON line: the normalised correlation at that alignment (1.0: the
 * same waveform; "whole"), the median over 1 s windows of the best
 * normalised correlation within 300 ms of it ("peak": an adaptive playout
 * moves the alignment by a frame when it grows or shrinks its delay, which
 * a single alignment over the whole file counts as a mismatch), the
 * alignment, and the longest gap: a run of 10 ms
 * windows where the source speaks but the student's output is silent
 * (under 1/20 of the source's level). With --clicks it also lists the
 * times (s) of the output's clicks: 10 ms windows rising from quiet.
 */

#define WIN_MS 10

struct wav {
	int rate;
	size_t n;
	double *x;
};

static int rd16(const unsigned char *p)
{
	return (short)(p[0] | p[1] << 8);
}

static unsigned rd32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (unsigned)p[3] << 24;
}

static int wav_read(const char *path, struct wav *w)
{
	unsigned char h[12], ch[8], fmt[16];
	unsigned len;
	int channels = 0;
	FILE *f = fopen(path, "rb");

	if (!f || fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) ||
	    memcmp(h + 8, "WAVE", 4))
		goto bad;
	for (;;) {
		if (fread(ch, 1, 8, f) != 8)
			goto bad;
		len = rd32(ch + 4);
		if (!memcmp(ch, "fmt ", 4)) {
			if (len < 16 || fread(fmt, 1, 16, f) != 16)
				goto bad;
			if (rd16(fmt) != 1 || rd16(fmt + 14) != 16)
				goto bad;
			channels = rd16(fmt + 2);
			w->rate = (int)rd32(fmt + 4);
			fseek(f, (long)(len - 16 + (len & 1)), SEEK_CUR);
		} else if (!memcmp(ch, "data", 4)) {
			unsigned char *b;

			if (channels < 1)
				goto bad;
			b = malloc(len + 1);
			if (!b)
				goto bad;
			len = (unsigned)fread(b, 1, len, f);
			w->n = len / 2 / (unsigned)channels;
			w->x = calloc(w->n + 1, sizeof(double));
			for (size_t i = 0; i < w->n; i++)
				w->x[i] = rd16(b + 2 * i * (size_t)channels);
			free(b);
			fclose(f);
			return 0;
		} else {
			fseek(f, (long)(len + (len & 1)), SEEK_CUR);
		}
	}
bad:
	fprintf(stderr, "audio_compare: %s: not a 16-bit PCM WAV\n", path);
	if (f)
		fclose(f);
	return -1;
}

static void fft(double complex *a, size_t n, int dir)
{
	for (size_t i = 1, j = 0; i < n; i++) {
		size_t bit = n >> 1;

		for (; j & bit; bit >>= 1)
			j ^= bit;
		j ^= bit;
		if (i < j) {
			double complex t = a[i];

			a[i] = a[j];
			a[j] = t;
		}
	}
	for (size_t len = 2; len <= n; len <<= 1) {
		double complex wl = cexp(dir * 2 * M_PI * I / (double)len);

		for (size_t i = 0; i < n; i += len) {
			double complex w = 1;

			for (size_t k = 0; k < len / 2; k++) {
				double complex u = a[i + k];
				double complex v = a[i + k + len / 2] * w;

				a[i + k] = u + v;
				a[i + k + len / 2] = u - v;
				w *= wl;
			}
		}
	}
}

/* Normalised correlation of out[i] with src[i + lag] over their overlap. */
static double corr_at(const struct wav *s, const struct wav *o, long lag,
		      size_t *first, size_t *last)
{
	double sxy = 0, sxx = 0, syy = 0;
	size_t a = lag < 0 ? (size_t)-lag : 0;
	size_t b = o->n;

	if ((long)b + lag > (long)s->n)
		b = (size_t)((long)s->n - lag);
	for (size_t i = a; i < b; i++) {
		double x = o->x[i], y = s->x[(size_t)((long)i + lag)];

		sxy += x * y;
		sxx += x * x;
		syy += y * y;
	}
	*first = a;
	*last = b;
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

static double rms(const double *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += x[i] * x[i];
	return n ? sqrt(e / (double)n) : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over 1 s windows of the best correlation within ±SLACK of `lag`. */
static double window_peak(const struct wav *s, const struct wav *o, long lag,
			  int *n_out)
{
	size_t L = (size_t)s->rate, M = (size_t)s->rate * 3 / 10, N = 1;
	double *pre = calloc(s->n + 1, sizeof(double));
	double *best = calloc(o->n / L + 1, sizeof(double));
	double complex *A, *B;
	int k = 0;
	double med = 0;

	while (N < 2 * L + 2 * M)
		N <<= 1;
	A = calloc(N, sizeof(*A));
	B = calloc(N, sizeof(*B));
	if (!pre || !best || !A || !B)
		exit(1);
	for (size_t i = 0; i < s->n; i++)
		pre[i + 1] = pre[i] + s->x[i] * s->x[i];
	for (size_t i0 = 0; i0 + L <= o->n; i0 += L) {
		long j0 = (long)i0 + lag - (long)M;
		double eo = 0, v = 0;

		if (j0 < 0 || (size_t)j0 + L + 2 * M > s->n)
			continue;
		if (rms(s->x + (long)i0 + lag, L) < 300)
			continue;	/* the source is quiet here */
		memset(A, 0, N * sizeof(*A));
		memset(B, 0, N * sizeof(*B));
		for (size_t i = 0; i < L; i++) {
			B[i] = o->x[i0 + i];
			eo += o->x[i0 + i] * o->x[i0 + i];
		}
		for (size_t i = 0; i < L + 2 * M; i++)
			A[i] = s->x[(size_t)j0 + i];
		fft(A, N, -1);
		fft(B, N, -1);
		for (size_t i = 0; i < N; i++)
			A[i] *= conj(B[i]);
		fft(A, N, 1);
		for (size_t d = 0; d <= 2 * M; d++) {
			double es = pre[(size_t)j0 + d + L] - pre[(size_t)j0 + d];
			double c = eo > 0 && es > 0
					   ? creal(A[d]) / (double)N / sqrt(eo * es)
					   : 0;

			v = c > v ? c : v;
		}
		best[k++] = v;
	}
	if (k) {
		qsort(best, (size_t)k, sizeof(double), cmp_double);
		med = best[k / 2];
	}
	*n_out = k;
	free(pre);
	free(best);
	free(A);
	free(B);
	return med;
}


int main(int argc, char **argv)
{
	struct wav s = {0}, o = {0};
	double complex *A, *B;
	size_t n = 1, first, last, win;
	long best = 0;
	double bestv = -1, peak, wpeak;
	int windows;
	int gap = 0, max_gap = 0, active = 0;
	double gap_at = 0;
	bool clicks = argc == 4 && !strcmp(argv[3], "--clicks");

	if ((argc != 3 && !clicks) || wav_read(argv[1], &s) ||
	    wav_read(argv[2], &o)) {
		fprintf(stderr, "usage: audio_compare SOURCE.wav PLAYED.wav "
				"[--clicks]\n");
		return 2;
	}
	if (s.rate != o.rate || !s.n || !o.n) {
		fprintf(stderr, "audio_compare: rates differ or empty\n");
		return 2;
	}
	while (n < s.n + o.n)
		n <<= 1;
	A = calloc(n, sizeof(*A));
	B = calloc(n, sizeof(*B));
	if (!A || !B)
		return 1;
	for (size_t i = 0; i < s.n; i++)
		A[i] = s.x[i];
	for (size_t i = 0; i < o.n; i++)
		B[i] = o.x[i];
	fft(A, n, -1);
	fft(B, n, -1);
	for (size_t i = 0; i < n; i++)
		A[i] *= conj(B[i]);
	fft(A, n, 1);
	/* A[lag] = sum out[i] src[i + lag]; negative lags wrap around. */
	for (size_t i = 0; i < n; i++) {
		long lag = i < n / 2 ? (long)i : (long)i - (long)n;
		double v = creal(A[i]);

		if (lag <= -(long)o.n || lag >= (long)s.n)
			continue;
		if (v > bestv) {
			bestv = v;
			best = lag;
		}
	}
	peak = corr_at(&s, &o, best, &first, &last);
	wpeak = window_peak(&s, &o, best, &windows);
	win = (size_t)s.rate * WIN_MS / 1000;
	for (size_t i = first; i + win <= last; i += win) {
		double rs = rms(s.x + (long)i + best, win);
		double ro = rms(o.x + i, win);

		if (rs < 300) {	/* the source is quiet here */
			gap = 0;
			continue;
		}
		active++;
		if (ro < rs / 20) {
			gap += WIN_MS;
			if (gap > max_gap) {
				max_gap = gap;
				gap_at = (double)i / s.rate;
			}
		} else {
			gap = 0;
		}
	}
	printf("{\"peak\":%.4f,\"windows\":%d,\"whole\":%.4f,\"lag_s\":%.4f,"
	       "\"overlap_s\":%.3f,\"active_ms\":%d,\"max_gap_ms\":%d,"
	       "\"gap_end_s\":%.2f",
	       wpeak, windows, peak, (double)best / s.rate,
	       (double)(last - first) / s.rate,
	       active * WIN_MS, max_gap, gap_at);
	if (clicks) {
		double prev = 0;
		int k = 0;

		printf(",\"clicks_s\":[");
		for (size_t i = 0; i + win <= o.n; i += win) {
			double r = rms(o.x + i, win);

			if (r > 3000 && prev < 300)
				printf("%s%.3f", k++ ? "," : "",
				       (double)i / o.rate);
			prev = r;
		}
		printf("]");
	}
	printf("}\n");
	free(A);
	free(B);
	free(s.x);
	free(o.x);
	return 0;
}
