/* Unit tests for the recorded-lesson player: clock, speed with pitch kept, seek, end. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <opus/opus.h>

#include "cast/codec.h"
#include "cast/error.h"
#include "cast/frame.h"
#include "cast/player.h"
#include "cast/record.h"

#define W 160
#define H 96
#define FPS 30
#define SECONDS 3
#define T0 1700000000000000LL
#define TONE 440.0

static char dir[64], path[128];

static void keyframe(void *arg)
{
	cast_encoder_request_keyframe(arg);
}

/* A 3 s recording: 30 fps pictures whose brightness is the frame number,
 * and a 440 Hz tone as 20 ms Opus packets. */
static void make_recording(void)
{
	struct cast_encoder_cfg ec;
	struct cast_encoder *enc;
	struct cast_recorder_cfg rc;
	struct cast_recorder *r;
	struct cast_frame f;
	struct cast_packet pkt;
	OpusEncoder *oe;
	int16_t pcm[960];
	uint8_t opus[1500];
	int err, n = 0;

	cast_encoder_cfg_init(&ec);
	ec.width = W;
	ec.height = H;
	ec.fps = FPS;
	ec.bitrate_kbps = 300;
	assert_int_equal(cast_encoder_new(&enc, &ec), 0);
	oe = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &err);
	assert_non_null(oe);
	cast_recorder_cfg_init(&rc);
	rc.folder = dir;
	rc.title = "Tone";
	rc.audio = true;
	rc.need_keyframe = keyframe;
	rc.arg = enc;
	assert_int_equal(cast_recorder_new(&r, &rc), 0);
	assert_int_equal(cast_recorder_start(r, "tone.mkv"), 0);
	memset(&f, 0, sizeof(f));
	f.fmt = CAST_PIX_I420;
	f.width = W;
	f.height = H;
	f.stride[0] = W;
	f.stride[1] = f.stride[2] = W / 2;
	f.data[0] = malloc(W * H);
	f.data[1] = malloc(W * H / 4);
	f.data[2] = malloc(W * H / 4);
	memset(f.data[1], 128, W * H / 4);
	memset(f.data[2], 128, W * H / 4);
	f.n_damage = -1;
	for (int k = 0; k < SECONDS * 50; k++) {
		int64_t t = T0 + (int64_t)k * 20000;
		int len;

		while (T0 + (int64_t)n * 1000000 / FPS <= t) {
			memset(f.data[0], 16 + 2 * n, W * H);
			f.capture_us = T0 + (int64_t)n * 1000000 / FPS;
			n++;
			assert_int_equal(cast_encoder_send_frame(enc, &f), 0);
			while (cast_encoder_receive_packet(enc, &pkt) == 0)
				cast_recorder_video(r, &pkt);
		}
		for (int i = 0; i < 960; i++)
			pcm[i] = (int16_t)(10000 * sin(2 * M_PI * TONE *
						       (k * 960 + i) / 48000.0));
		len = opus_encode(oe, pcm, 960, opus, sizeof(opus));
		assert_true(len > 0);
		assert_int_equal(cast_recorder_audio(r, opus, (size_t)len, t,
						     960), 0);
	}
	assert_int_equal(cast_recorder_stop(r, true), 0);
	cast_recorder_free(&r);
	opus_encoder_destroy(oe);
	cast_encoder_free(&enc);
	free(f.data[0]);
	free(f.data[1]);
	free(f.data[2]);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cast-play.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tone.mkv", dir);
	make_recording();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Plays `ms` of wall time in 10 ms steps, the device pulling its share;
 * counts the pictures and the tone's sign changes. */
struct run {
	int64_t now;
	int shown;
	int last_luma;
	long crossings, sound;
	int prev_sign;
	bool ended;
};

static void play(struct cast_player *p, struct run *r, int ms)
{
	float buf[480 * 2];
	struct cast_frame f;

	for (int i = 0; i < ms / 10; i++) {
		int ret, n;

		r->now += 10000;
		ret = cast_player_update(p, r->now, &f);
		if (ret == CAST_EOF) {
			r->ended = true;
			return;
		}
		assert_true(ret >= 0);
		if (ret == 1) {
			assert_int_equal(f.width, W);
			assert_int_equal(f.height, H);
			r->shown++;
			r->last_luma = f.data[0][f.stride[0] * 40 + 80];
		}
		n = cast_player_audio(p, buf, 480);
		for (int k = 0; k < n; k++) {
			int s = buf[2 * k] >= 0;

			if (r->sound > 4800)
				r->crossings += s != r->prev_sign;
			r->prev_sign = s;
			r->sound++;
		}
	}
}

/* The picture's frame number from its brightness (16 + 2n). */
static int frame_no(int luma)
{
	return (luma - 16 + 1) / 2;
}

static void test_info_and_errors(void **state)
{
	struct cast_player_cfg cfg;
	struct cast_player *p;
	struct cast_player_info info;
	char bad[160];
	FILE *fp;

	(void)state;
	cast_player_cfg_init(&cfg);
	cfg.path = path;
	assert_int_equal(cast_player_new(&p, &cfg), 0);
	cast_player_info(p, &info);
	assert_true(info.has_video);
	assert_true(info.has_audio);
	assert_int_equal(info.width, W);
	assert_int_equal(info.height, H);
	assert_string_equal(info.title, "Tone");
	assert_string_equal(info.video_codec, "h264");
	assert_string_equal(info.audio_codec, "opus");
	assert_true(fabs(info.duration - SECONDS) < 0.1);
	assert_int_equal(cast_player_set_speed(p, 0.4), CAST_ERROR(ERANGE));
	assert_int_equal(cast_player_set_speed(p, 2.5), CAST_ERROR(ERANGE));
	cast_player_free(&p);
	assert_null(p);

	snprintf(bad, sizeof(bad), "%s/none.mkv", dir);
	cfg.path = bad;
	assert_int_equal(cast_player_new(&p, &cfg), CAST_ERROR(ENOENT));
	snprintf(bad, sizeof(bad), "%s/text.mkv", dir);
	fp = fopen(bad, "w");
	assert_non_null(fp);
	fputs("not a lesson\n", fp);
	fclose(fp);
	assert_true(cast_player_new(&p, &cfg) < 0);
}

static void test_speeds(void **state)
{
	struct cast_player_cfg cfg;
	struct cast_player *p;
	struct cast_player_stats st;
	struct run r = {0};
	double hz;

	(void)state;
	cast_player_cfg_init(&cfg);
	cfg.path = path;
	assert_int_equal(cast_player_new(&p, &cfg), 0);
	/* Paused at first: the clock does not move. */
	play(p, &r, 200);
	cast_player_stats(p, &st);
	assert_true(st.paused);
	assert_true(st.position == 0);
	assert_int_equal(r.sound, 0);
	/* 1x for 1 s: 30 pictures, 1 s of the tone at 440 Hz. */
	cast_player_pause(p, false);
	r.shown = 0;
	play(p, &r, 1000);
	cast_player_stats(p, &st);
	assert_true(fabs(st.position - 1.0) < 0.011);
	assert_true(r.shown >= FPS - 1 && r.shown <= FPS + 1);
	assert_true(abs(frame_no(r.last_luma) - FPS) <= 1);
	assert_true(r.sound > 48000 * 8 / 10);
	hz = r.crossings / 2.0 / ((r.sound - 4800) / 48000.0);
	assert_true(hz > TONE * 0.97 && hz < TONE * 1.03);
	/* 2x for 0.75 s: 1.5 s of lesson, 45 pictures, the pitch kept. */
	assert_int_equal(cast_player_set_speed(p, 2.0), 0);
	memset(&r.crossings, 0, sizeof(r.crossings));
	r.sound = 0;
	r.shown = 0;
	play(p, &r, 750);
	cast_player_stats(p, &st);
	assert_true(fabs(st.position - 2.5) < 0.011);
	assert_true(r.shown >= 43 && r.shown <= 46);
	assert_true(abs(frame_no(r.last_luma) - 75) <= 1);
	/* The device played 0.75 s of sound (less what the new filter
	 * took to fill), still at 440 Hz, not 880. */
	assert_true(r.sound > 48000 * 5 / 10);
	hz = r.crossings / 2.0 / ((r.sound - 4800) / 48000.0);
	assert_true(hz > TONE * 0.95 && hz < TONE * 1.05);
	/* On to the end: the player stops itself. */
	play(p, &r, 2000);
	assert_true(r.ended);
	cast_player_stats(p, &st);
	assert_true(st.ended);
	assert_true(st.paused);
	assert_true(fabs(st.position - (SECONDS * FPS - 1) / (double)FPS) <
		    0.05);
	assert_int_equal(st.frames_shown + st.frames_late, SECONDS * FPS);
	/* Half speed: 1 s of wall is 0.5 s of lesson. */
	assert_int_equal(cast_player_seek(p, 0), 0);
	assert_int_equal(cast_player_set_speed(p, 0.5), 0);
	cast_player_pause(p, false);
	r.shown = 0;
	play(p, &r, 1000);
	cast_player_stats(p, &st);
	assert_true(fabs(st.position - 0.5) < 0.011);
	assert_true(r.shown >= 14 && r.shown <= 16);
	cast_player_free(&p);
}

static void test_seek(void **state)
{
	struct cast_player_cfg cfg;
	struct cast_player *p;
	struct cast_player_stats st;
	struct run r = {0};

	(void)state;
	cast_player_cfg_init(&cfg);
	cfg.path = path;
	assert_int_equal(cast_player_new(&p, &cfg), 0);
	cast_player_pause(p, false);
	play(p, &r, 100);
	/* Forward into the middle of a refresh wave: the picture shown is
	 * the one at 2.0 s (frame 60), decoded from the wave's start. */
	assert_int_equal(cast_player_seek(p, 2.0), 0);
	r.shown = 0;
	play(p, &r, 10);
	assert_int_equal(r.shown, 1);
	assert_true(abs(frame_no(r.last_luma) - 60) <= 1);
	/* Back. */
	assert_int_equal(cast_player_seek(p, 0.5), 0);
	play(p, &r, 10);
	assert_true(abs(frame_no(r.last_luma) - 15) <= 1);
	play(p, &r, 500);
	assert_true(abs(frame_no(r.last_luma) - 30) <= 1);
	/* Past the end: clamped, and it ends. */
	assert_int_equal(cast_player_seek(p, 99), 0);
	play(p, &r, 100);
	assert_true(r.ended);
	cast_player_stats(p, &st);
	assert_int_equal(st.seeks, 3);
	cast_player_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_and_errors),
		cmocka_unit_test(test_speeds),
		cmocka_unit_test(test_seek),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
