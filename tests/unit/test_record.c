/* Unit tests for the lesson recorder: path rules, states, overflow, the voice track. */
#include <math.h>
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
#include <libavformat/avformat.h>
#include <opus/opus.h>

#include "cast/codec.h"
#include "cast/error.h"
#include "cast/frame.h"
#include "cast/record.h"

#define W 160
#define H 96
#define FPS 30
#define T0 1700000000000000LL

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/cast-rec.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

static void test_path_rules(void **state)
{
	char p[256], want[256];
	time_t when = 1700000000; /* 2023-11-14 22:13:20 UTC */
	struct tm tm;
	char stamp[32];

	(void)state;
	localtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H%M%S", &tm);
	/* The default name: title made safe, date, .mkv. */
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, NULL,
					    "Maths 1/b\tc", when), 0);
	snprintf(want, sizeof(want), "%s/Maths-1-b-c-%s.mkv", dir, stamp);
	assert_string_equal(p, want);
	/* Taken: numbered, never overwritten. */
	touch(want);
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "",
					    "Maths 1/b\tc", when), 0);
	snprintf(want, sizeof(want), "%s/Maths-1-b-c-%s-2.mkv", dir, stamp);
	assert_string_equal(p, want);
	/* No title: "lesson"; a leading dot is not a hidden file. */
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, NULL, NULL, when),
			 0);
	snprintf(want, sizeof(want), "%s/lesson-%s.mkv", dir, stamp);
	assert_string_equal(p, want);
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, NULL, ".x", when),
			 0);
	snprintf(want, sizeof(want), "%s/_x-%s.mkv", dir, stamp);
	assert_string_equal(p, want);
	/* A name alone goes in the folder; no extension: .mkv. */
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "week3", "t",
					    when), 0);
	snprintf(want, sizeof(want), "%s/week3.mkv", dir);
	assert_string_equal(p, want);
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "a.MP4", "t",
					    when), 0);
	snprintf(want, sizeof(want), "%s/a.MP4", dir);
	assert_string_equal(p, want);
	/* A path is taken as given. */
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "/tmp/x/y.mkv",
					    "t", when), 0);
	assert_string_equal(p, "/tmp/x/y.mkv");
	/* Refused: an existing file, bad extension, control chars, "..". */
	touch(want);
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "a.MP4", "t",
					    when), CAST_ERROR(EEXIST));
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "a.txt", "t",
					    when), CAST_ERROR(EINVAL));
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "a\nb.mkv", "t",
					    when), CAST_ERROR(EINVAL));
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "../x.mkv", "t",
					    when), CAST_ERROR(EINVAL));
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "/a/../x.mkv",
					    "t", when), CAST_ERROR(EINVAL));
	assert_int_equal(cast_recorder_path(p, sizeof(p), dir, "a..b.mkv", "t",
					    when), 0);
	assert_int_equal(cast_recorder_path(p, 20, dir, "long-name.mkv", "t",
					    when), CAST_ERROR(ENAMETOOLONG));
}

/* Encoded pictures of a moving gradient, as the sender sees them. */
struct video {
	struct cast_encoder *enc;
	struct cast_frame f;
	int n;
	bool now_clock;	/* stamped by cast_now_us(), as the sender */
};

static void video_open(struct video *v, bool intra_refresh)
{
	struct cast_encoder_cfg cfg;

	memset(v, 0, sizeof(*v));
	cast_encoder_cfg_init(&cfg);
	cfg.width = W;
	cfg.height = H;
	cfg.fps = FPS;
	cfg.bitrate_kbps = 300;
	cfg.intra_refresh = intra_refresh;
	assert_int_equal(cast_encoder_new(&v->enc, &cfg), 0);
	v->f.fmt = CAST_PIX_I420;
	v->f.width = W;
	v->f.height = H;
	v->f.stride[0] = W;
	v->f.stride[1] = v->f.stride[2] = W / 2;
	v->f.data[0] = malloc(W * H);
	v->f.data[1] = malloc(W * H / 4);
	v->f.data[2] = malloc(W * H / 4);
	memset(v->f.data[1], 128, W * H / 4);
	memset(v->f.data[2], 128, W * H / 4);
	v->f.n_damage = -1;
}

static void video_close(struct video *v)
{
	cast_encoder_free(&v->enc);
	free(v->f.data[0]);
	free(v->f.data[1]);
	free(v->f.data[2]);
}

/* Encodes one picture and hands every packet to the recorder. */
static int video_step(struct video *v, struct cast_recorder *r,
		      bool *was_key)
{
	struct cast_packet pkt;
	int got = 0;

	/* A still gradient and a moving block (no scene cut). */
	for (int i = 0; i < W * H; i++)
		v->f.data[0][i] =
			(uint8_t)(i % W + ((i / W) / 16 == (v->n / 4) % 6 &&
						   (i % W) / 16 == v->n % 10
					   ? 100
					   : 0));
	v->f.capture_us = v->now_clock ? cast_now_us()
				       : T0 + (int64_t)v->n * 1000000 / FPS;
	v->n++;
	assert_int_equal(cast_encoder_send_frame(v->enc, &v->f), 0);
	while (cast_encoder_receive_packet(v->enc, &pkt) == 0) {
		if (was_key)
			*was_key = pkt.keyframe;
		if (r)
			cast_recorder_video(r, &pkt);
		got++;
	}
	return got;
}

static int keyframes_asked;

static void ask_key(void *arg)
{
	struct video *v = arg;

	keyframes_asked++;
	cast_encoder_request_keyframe(v->enc);
}

/* Reads a file back: packets per stream, the last video time. */
struct probe {
	int video, audio, streams;
	enum AVCodecID vcodec, acodec;
	int width, height, sample_rate;
	double last_video_s;
	char title[64];
	int64_t apts[256];
};

static void probe_file(const char *path, struct probe *p)
{
	AVFormatContext *fc = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVDictionaryEntry *t;

	memset(p, 0, sizeof(*p));
	assert_int_equal(avformat_open_input(&fc, path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(fc, NULL) >= 0);
	p->streams = (int)fc->nb_streams;
	t = av_dict_get(fc->metadata, "title", NULL, 0);
	if (t)
		snprintf(p->title, sizeof(p->title), "%s", t->value);
	while (av_read_frame(fc, pkt) >= 0) {
		AVStream *st = fc->streams[pkt->stream_index];

		if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
			p->video++;
			p->vcodec = st->codecpar->codec_id;
			p->width = st->codecpar->width;
			p->height = st->codecpar->height;
			p->last_video_s = pkt->pts * av_q2d(st->time_base);
		} else {
			if (p->audio < 256)
				p->apts[p->audio] = av_rescale_q(
					pkt->pts, st->time_base,
					(AVRational){1, 1000});
			p->audio++;
			p->acodec = st->codecpar->codec_id;
			p->sample_rate = st->codecpar->sample_rate;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	avformat_close_input(&fc);
}

static void wait_written(struct cast_recorder *r, uint64_t frames)
{
	struct cast_recorder_stats st;

	for (int i = 0; i < 2000; i++) {
		cast_recorder_stats(r, &st);
		if (st.video_frames >= frames)
			return;
		usleep(5000);
	}
	fail_msg("the writer did not write %llu frames",
		 (unsigned long long)frames);
}

static void test_states(void **state)
{
	struct cast_recorder_cfg cfg;
	struct cast_recorder *r;
	struct cast_recorder_stats st;
	struct video v;
	struct probe p;
	char path[128];
	bool key = true;
	int n = 0;

	(void)state;
	video_open(&v, true);
	cast_recorder_cfg_init(&cfg);
	cfg.folder = dir;
	cfg.title = "Physics";
	cfg.need_keyframe = ask_key;
	cfg.arg = &v;
	assert_int_equal(cast_recorder_new(&r, &cfg), 0);
	cast_recorder_stats(r, &st);
	assert_int_equal(st.state, CAST_RECORD_IDLE);
	assert_false(st.recording);
	assert_int_equal(cast_recorder_stop(r, true), CAST_ERROR(ENOENT));
	/* Not recording: packets are ignored. */
	video_step(&v, r, NULL);
	/* Run the encoder into the middle of a refresh wave. */
	do
		video_step(&v, NULL, &key);
	while (!key);
	video_step(&v, NULL, &key);
	keyframes_asked = 0;
	assert_int_equal(cast_recorder_start(r, "one"), 0);
	assert_int_equal(cast_recorder_start(r, "two"), CAST_ERROR(EALREADY));
	assert_int_equal(keyframes_asked, 1);
	cast_recorder_stats(r, &st);
	assert_int_equal(st.state, CAST_RECORD_WAITING);
	assert_true(st.recording);
	snprintf(path, sizeof(path), "%s/one.mkv", dir);
	assert_string_equal(st.path, path);
	/* Pictures until the IDR asked for are skipped (the one in flight). */
	for (int i = 0; i < 30; i++)
		n += video_step(&v, r, NULL);
	cast_recorder_stats(r, &st);
	assert_int_equal(st.state, CAST_RECORD_RECORDING);
	assert_true(st.skipped <= 2);
	n -= (int)st.skipped;
	assert_int_equal(cast_recorder_stop(r, true), 0);
	cast_recorder_stats(r, &st);
	assert_int_equal(st.state, CAST_RECORD_IDLE);
	assert_false(st.recording);
	assert_int_equal(st.video_frames, (uint64_t)n);
	assert_string_equal(st.error, "");
	assert_true(st.bytes > 1000);
	probe_file(path, &p);
	assert_int_equal(p.video, n);
	assert_int_equal(p.vcodec, AV_CODEC_ID_H264);
	assert_int_equal(p.width, W);
	assert_int_equal(p.height, H);
	assert_string_equal(p.title, "Physics");
	assert_true(fabs(p.last_video_s - (n - 1) / (double)FPS) < 0.01);
	assert_int_equal(cast_recorder_stop(r, true), CAST_ERROR(ENOENT));

	/* A second file under the default name; packets are skipped until
	 * one a decoder can start from (an IDR, or after 2 s a refresh). */
	cfg.need_keyframe = NULL;
	cast_recorder_free(&r);
	assert_null(r);
	assert_int_equal(cast_recorder_new(&r, &cfg), 0);
	assert_int_equal(cast_recorder_start(r, NULL), 0);
	n = 0;
	for (int i = 0; i < 400; i++) {
		n += video_step(&v, r, NULL);
		cast_recorder_stats(r, &st);
		if (st.state == CAST_RECORD_RECORDING)
			break;
		usleep(10000);
	}
	assert_int_equal(st.state, CAST_RECORD_RECORDING);
	for (int i = 0; i < 5; i++)
		n += video_step(&v, r, NULL);
	assert_int_equal(cast_recorder_stop(r, true), 0);
	cast_recorder_stats(r, &st);
	assert_int_equal(st.state, CAST_RECORD_IDLE);
	assert_int_equal(st.video_frames + st.skipped, (uint64_t)n);
	assert_non_null(strstr(st.path, "/Physics-"));
	probe_file(st.path, &p);
	assert_int_equal(p.video, (int)st.video_frames);
	/* Stopped before its first picture: no empty file left behind. */
	assert_int_equal(cast_recorder_start(r, "empty"), 0);
	snprintf(path, sizeof(path), "%s/empty.mkv", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(cast_recorder_stop(r, true), 0);
	assert_int_equal(access(path, F_OK), -1);
	cast_recorder_free(&r);
	video_close(&v);
}

static void test_overflow(void **state)
{
	struct cast_recorder_cfg cfg;
	struct cast_recorder *r;
	struct cast_recorder_stats st;
	struct cast_packet big;
	struct video v;
	struct probe p;
	char path[128];
	uint8_t *junk;
	int n = 0;

	(void)state;
	video_open(&v, false);
	cast_recorder_cfg_init(&cfg);
	cfg.folder = dir;
	cfg.queue_bytes = 65536;
	cfg.need_keyframe = ask_key;
	cfg.arg = &v;
	assert_int_equal(cast_recorder_new(&r, &cfg), 0);
	assert_int_equal(cast_recorder_start(r, "over.mkv"), 0);
	for (int i = 0; i < 20; i++)
		n += video_step(&v, r, NULL);
	wait_written(r, (uint64_t)n);
	/* More than the queue holds at once: the disk "cannot keep up". */
	junk = calloc(1, 70000);
	assert_non_null(junk);
	junk[3] = 1;
	junk[4] = 0x41;
	big.data = junk;
	big.size = 70000;
	big.capture_us = T0 + 10000000;
	big.keyframe = false;
	cast_recorder_video(r, &big);
	free(junk);
	cast_recorder_stats(r, &st);
	assert_int_equal(st.state, CAST_RECORD_FAILED);
	assert_false(st.recording);
	assert_non_null(strstr(st.error, "cannot keep up"));
	/* Later packets are ignored; stop reports the failure. */
	video_step(&v, r, NULL);
	assert_int_equal(cast_recorder_stop(r, true), CAST_ERROR(ENOBUFS));
	cast_recorder_stats(r, &st);
	assert_int_equal(st.video_frames, (uint64_t)n);
	/* What was written before stays readable. */
	snprintf(path, sizeof(path), "%s/over.mkv", dir);
	probe_file(path, &p);
	assert_int_equal(p.video, n);
	/* A new start clears the error. */
	assert_int_equal(cast_recorder_start(r, "again.mkv"), 0);
	cast_recorder_stats(r, &st);
	assert_string_equal(st.error, "");
	assert_int_equal(st.files, 2);
	cast_recorder_free(&r);
	video_close(&v);
}

/* The voice track: a 440 Hz tone through libopus, 20 ms packets. */
static void test_audio(void **state)
{
	struct cast_recorder_cfg cfg;
	struct cast_recorder *r;
	struct cast_recorder_stats st;
	OpusEncoder *oe;
	OpusDecoder *od;
	struct video v;
	struct probe p;
	AVFormatContext *fc = NULL;
	AVPacket *pkt;
	int16_t pcm[960], out[5760];
	uint8_t opus[1500];
	char path[128];
	int err, sent = 0, crossings = 0, decoded = 0, prev = 0;

	(void)state;
	video_open(&v, true);
	oe = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	assert_non_null(oe);
	cast_recorder_cfg_init(&cfg);
	cfg.folder = dir;
	cfg.audio = true;
	cfg.need_keyframe = ask_key;
	cfg.arg = &v;
	assert_int_equal(cast_recorder_new(&r, &cfg), 0);
	/* Without an audio track, audio is refused. */
	{
		struct cast_recorder *nr;
		struct cast_recorder_cfg nc = cfg;

		nc.audio = false;
		assert_int_equal(cast_recorder_new(&nr, &nc), 0);
		assert_int_equal(cast_recorder_audio(nr, opus, 10, T0, 960),
				 CAST_ERROR(EINVAL));
		cast_recorder_free(&nr);
	}
	assert_int_equal(cast_recorder_start(r, "voice.mka"), 0);
	/* Before the first picture: dropped, not an error. */
	assert_int_equal(cast_recorder_audio(r, opus, 10, T0, 960), 0);
	/* 2 s: 60 pictures, 100 voice packets, interleaved by time. */
	for (int k = 0; k < 100; k++) {
		int64_t t = T0 + (int64_t)k * 20000;
		int len;

		while (T0 + (int64_t)v.n * 1000000 / FPS <= t)
			video_step(&v, r, NULL);
		for (int i = 0; i < 960; i++)
			pcm[i] = (int16_t)(8000 *
					   sin(2 * M_PI * 440 * (k * 960 + i) /
					       48000.0));
		len = opus_encode(oe, pcm, 960, opus, sizeof(opus));
		assert_true(len > 0);
		assert_int_equal(cast_recorder_audio(r, opus, (size_t)len, t,
						     960), 0);
		sent++;
	}
	assert_int_equal(cast_recorder_audio(r, opus, 0, T0, 960),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_recorder_stop(r, true), 0);
	cast_recorder_stats(r, &st);
	assert_int_equal(st.audio_packets, (uint64_t)sent);
	assert_true(st.seconds >= 1.99);
	snprintf(path, sizeof(path), "%s/voice.mka", dir);
	probe_file(path, &p);
	assert_int_equal(p.streams, 2);
	assert_int_equal(p.acodec, AV_CODEC_ID_OPUS);
	assert_int_equal(p.sample_rate, 48000);
	assert_int_equal(p.audio, sent);
	assert_int_equal(p.video, v.n);
	for (int i = 1; i < sent; i++)
		assert_int_equal(p.apts[i] - p.apts[i - 1], 20);
	/* The packets decode back to the tone. */
	od = opus_decoder_create(48000, 1, &err);
	assert_non_null(od);
	assert_int_equal(avformat_open_input(&fc, path, NULL, NULL), 0);
	pkt = av_packet_alloc();
	while (av_read_frame(fc, pkt) >= 0) {
		if (fc->streams[pkt->stream_index]->codecpar->codec_type ==
		    AVMEDIA_TYPE_AUDIO) {
			int ns = opus_decode(od, pkt->data, pkt->size, out,
					     5760, 0);

			assert_int_equal(ns, 960);
			/* Skip the first 100 ms (the codec settling). */
			for (int i = 0; i < ns && decoded >= 4800; i++) {
				int s = out[i] >= 0;

				crossings += s != prev;
				prev = s;
			}
			decoded += ns;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	avformat_close_input(&fc);
	/* 440 Hz: 880 sign changes a second. */
	{
		double hz = crossings / 2.0 / ((decoded - 4800) / 48000.0);

		assert_true(hz > 430 && hz < 450);
	}
	opus_decoder_destroy(od);
	opus_encoder_destroy(oe);
	cast_recorder_free(&r);
	video_close(&v);
}

/*
 * The broadcast stopped while recording: nothing of the stop is in the
 * file (what came meanwhile is dropped), and the file's clock skips it:
 * its length is the time pictures were sent, not the wall clock's.
 */
static void test_pause(void **state)
{
	struct cast_recorder_cfg cfg;
	struct cast_recorder *r;
	struct cast_recorder_stats st;
	struct video v;
	struct probe p;
	char path[128];
	int n = 0;
	int64_t t, active = 0;

	(void)state;
	video_open(&v, false);
	v.now_clock = true;
	cast_recorder_cfg_init(&cfg);
	cfg.folder = dir;
	cfg.need_keyframe = ask_key;
	cfg.arg = &v;
	assert_int_equal(cast_recorder_new(&r, &cfg), 0);
	assert_int_equal(cast_recorder_start(r, "paused.mkv"), 0);
	t = cast_now_us();
	for (int i = 0; i < 15; i++)
		n += video_step(&v, r, NULL);
	active += cast_now_us() - t;
	cast_recorder_pause(r, true);
	cast_recorder_stats(r, &st);
	assert_true(st.paused);
	/* Whatever comes while paused is not written. */
	for (int i = 0; i < 5; i++)
		video_step(&v, r, NULL);
	usleep(1500000);
	cast_recorder_pause(r, false);
	cast_encoder_request_keyframe(v.enc);
	t = cast_now_us();
	for (int i = 0; i < 15; i++)
		n += video_step(&v, r, NULL);
	active += cast_now_us() - t;
	assert_int_equal(cast_recorder_stop(r, true), 0);
	cast_recorder_stats(r, &st);
	assert_false(st.paused);
	assert_true(st.paused_seconds >= 1.5);
	snprintf(path, sizeof(path), "%s/paused.mkv", dir);
	probe_file(path, &p);
	assert_int_equal(p.video, n);
	/* Without the skip it would last the pause's 1.5 s more. */
	if (p.last_video_s > (double)active / 1e6 + 0.2)
		fail_msg("the file lasts %.3f s for %.3f s of pictures",
			 p.last_video_s, (double)active / 1e6);
	cast_recorder_free(&r);
	video_close(&v);
}

static void test_fragmented_mp4(void **state)
{
	struct cast_recorder_cfg cfg;
	struct cast_recorder *r;
	struct video v;
	struct probe p;
	char path[128];
	int n = 0;

	(void)state;
	video_open(&v, true);
	cast_recorder_cfg_init(&cfg);
	cfg.folder = dir;
	cfg.need_keyframe = ask_key;
	cfg.arg = &v;
	assert_int_equal(cast_recorder_new(&r, &cfg), 0);
	assert_int_equal(cast_recorder_start(r, "frag.mp4"), 0);
	for (int i = 0; i < 45; i++)
		n += video_step(&v, r, NULL);
	/* Read while still open (as after a crash): the first second's
	 * fragment is already there. */
	wait_written(r, (uint64_t)n);
	snprintf(path, sizeof(path), "%s/frag.mp4", dir);
	probe_file(path, &p);
	assert_true(p.video >= FPS);
	assert_int_equal(p.vcodec, AV_CODEC_ID_H264);
	assert_int_equal(cast_recorder_stop(r, true), 0);
	probe_file(path, &p);
	assert_int_equal(p.video, n);
	cast_recorder_free(&r);
	video_close(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_rules),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_audio),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_fragmented_mp4),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
