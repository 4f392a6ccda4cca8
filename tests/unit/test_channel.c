/* A new teacher's channel: the class's candidate order, the pick with
 * channels heard busy, the file that keeps the choice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cast/cast.h"

#define CODE_A "7K3M-Q9XA-2B4C-6D8E-0F1G-3H5J"
#define CODE_B "0000-0000-0000-0000-0000-0001"

static void candidates_are_the_class_own(void **state)
{
	struct cast_key a, b, a2;
	int ca[CAST_CHANNEL_CANDIDATES_MAX], cb[16], ca2[16];

	(void)state;
	assert_int_equal(cast_key_from_code(&a, CODE_A), 0);
	assert_int_equal(cast_key_from_code(&b, CODE_B), 0);
	/* Lenient reading gives the same key, so the same order. */
	assert_int_equal(cast_key_from_code(&a2, "7k3mq9xa2b4c6d8eof1g3h5j"), 0);
	assert_int_equal(cast_channel_candidates(&a, ca, 64), 64);
	assert_int_equal(cast_channel_candidates(&a2, ca2, 16), 16);
	assert_int_equal(cast_channel_candidates(&b, cb, 16), 16);
	assert_memory_equal(ca, ca2, sizeof(ca2));
	/* Another class starts elsewhere (fixed codes: no chance involved). */
	assert_int_not_equal(ca[0], cb[0]);
	assert_memory_not_equal(ca, cb, sizeof(cb));
	for (int i = 0; i < 64; i++) {
		assert_in_range(ca[i], CAST_CHANNEL_MIN, CAST_CHANNEL_MAX);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ca[i], ca[j]);
	}
	/* Not channel 1 for everyone: the order spreads over 1..999. */
	{
		int lo = 0;

		for (int i = 0; i < 64; i++)
			lo += ca[i] <= 100;
		assert_true(lo < 32);
	}
	assert_int_equal(cast_channel_candidates(NULL, ca, 4), -EINVAL);
	assert_int_equal(cast_channel_candidates(&a, NULL, 4), -EINVAL);
	assert_int_equal(cast_channel_candidates(&a, ca, 0), -EINVAL);
	assert_int_equal(cast_channel_candidates(&a, ca, 65), -EINVAL);
}

/* A probe that hears the channels in `arg` (0-terminated) as busy. */
struct heard {
	int busy[8];
	int calls, asked;
	int fail;
};

static int fake_probe(const struct cast_channel_pick_cfg *cfg,
		      const int *channels, int n, bool *busy)
{
	struct heard *h = cfg->arg;
	int count = 0;

	h->calls++;
	h->asked = n;
	if (h->fail)
		return h->fail;
	for (int i = 0; i < n; i++) {
		busy[i] = false;
		for (int j = 0; h->busy[j]; j++)
			busy[i] = busy[i] || h->busy[j] == channels[i];
		count += busy[i];
	}
	return count;
}

static void pick_skips_busy_channels(void **state)
{
	struct cast_key k;
	struct cast_channel_pick_cfg pc;
	struct heard h;
	int c[16];

	(void)state;
	assert_int_equal(cast_key_from_code(&k, CODE_A), 0);
	assert_int_equal(cast_channel_candidates(&k, c, 16), 16);
	cast_channel_pick_cfg_init(&pc);
	assert_int_equal(pc.candidates, 16);
	assert_int_equal(pc.listen_ms, 1500);
	assert_non_null(pc.probe);
	pc.key = &k;
	pc.probe = fake_probe;
	pc.arg = &h;

	/* A quiet LAN: the first candidate, all candidates asked at once. */
	memset(&h, 0, sizeof(h));
	assert_int_equal(cast_channel_pick(&pc), c[0]);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.asked, 16);
	/* Busy channels that are not candidates change nothing. */
	memset(&h, 0, sizeof(h));
	h.busy[0] = c[0] == 1 ? 2 : 1;
	assert_int_equal(cast_channel_pick(&pc), c[0]);
	/* The first candidate heard: the second. */
	memset(&h, 0, sizeof(h));
	h.busy[0] = c[0];
	assert_int_equal(cast_channel_pick(&pc), c[1]);
	/* The first three heard, in any order: the fourth. */
	memset(&h, 0, sizeof(h));
	h.busy[0] = c[2];
	h.busy[1] = c[0];
	h.busy[2] = c[1];
	assert_int_equal(cast_channel_pick(&pc), c[3]);
	/* Only the later ones heard: still the first. */
	memset(&h, 0, sizeof(h));
	h.busy[0] = c[1];
	h.busy[1] = c[15];
	assert_int_equal(cast_channel_pick(&pc), c[0]);
	/* Every candidate heard. */
	pc.candidates = 3;
	memset(&h, 0, sizeof(h));
	h.busy[0] = c[0];
	h.busy[1] = c[1];
	h.busy[2] = c[2];
	assert_int_equal(cast_channel_pick(&pc), -EBUSY);
	assert_int_equal(h.asked, 3);
	/* The probe's error is the pick's. */
	memset(&h, 0, sizeof(h));
	h.fail = -ENODEV;
	assert_int_equal(cast_channel_pick(&pc), -ENODEV);
	/* Refusals. */
	pc.candidates = 0;
	assert_int_equal(cast_channel_pick(&pc), -EINVAL);
	pc.candidates = 16;
	pc.key = NULL;
	assert_int_equal(cast_channel_pick(&pc), -EINVAL);
	assert_int_equal(cast_channel_pick(NULL), -EINVAL);
}

static void listen_refuses(void **state)
{
	int ch[1] = {5};
	bool busy[1];

	(void)state;
	assert_int_equal(cast_channel_listen(NULL, 1, NULL, 10, busy),
			 -EINVAL);
	assert_int_equal(cast_channel_listen(ch, 0, NULL, 10, busy), -EINVAL);
	assert_int_equal(cast_channel_listen(ch, 65, NULL, 10, busy), -EINVAL);
	assert_int_equal(cast_channel_listen(ch, 1, NULL, -1, busy), -EINVAL);
	assert_int_equal(cast_channel_listen(ch, 1, NULL, 10, NULL), -EINVAL);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void file_keeps_the_choice(void **state)
{
	char dir[] = "/tmp/cast-channel-XXXXXX", path[64];
	static const char *const bad[] = {
		"",			  "# nothing\n",
		"channel = 0\n",	  "channel = 1000\n",
		"channel = 12abc\n",	  "channel = -3\n",
		"chanel = 12\n",	  "channel = 12\nkey = x\n",
		"channel\n",		  "channel = \n",
	};
	struct stat st;
	int ch = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/class.key.channel", dir);
	assert_int_equal(cast_channel_load(path, &ch), -ENOENT);
	assert_int_equal(ch, -1);
	assert_int_equal(cast_channel_save(path, 417), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(cast_channel_load(path, &ch), 0);
	assert_int_equal(ch, 417);
	assert_int_equal(cast_channel_save(path, 999), 0);
	assert_int_equal(cast_channel_load(path, &ch), 0);
	assert_int_equal(ch, 999);
	/* Refused: nothing written. */
	assert_int_equal(cast_channel_save(path, 0), -EINVAL);
	assert_int_equal(cast_channel_save(path, 1000), -EINVAL);
	assert_int_equal(cast_channel_save(NULL, 5), -EINVAL);
	assert_int_equal(cast_channel_load(path, &ch), 0);
	assert_int_equal(ch, 999);
	/* Written by hand: comments and spaces are fine. */
	write_file(path, "# ours\n  channel =  23  \n");
	assert_int_equal(cast_channel_load(path, &ch), 0);
	assert_int_equal(ch, 23);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ch = -1;
		write_file(path, bad[i]);
		assert_int_equal(cast_channel_load(path, &ch),
				 CAST_EMALFORMED);
		assert_int_equal(ch, -1);
	}
	assert_int_equal(cast_channel_load(NULL, &ch), -EINVAL);
	assert_int_equal(cast_channel_load(path, NULL), -EINVAL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(candidates_are_the_class_own),
		cmocka_unit_test(pick_skips_busy_channels),
		cmocka_unit_test(listen_refuses),
		cmocka_unit_test(file_keeps_the_choice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
