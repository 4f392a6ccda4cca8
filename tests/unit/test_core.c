/* Core helpers: errors, histograms, JSON stats lines, channel layout, UDP,
 * a live source demuxed once for several readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <libavformat/avformat.h>
#include <unistd.h>

#include "cast/cast.h"
#include "core/core_int.h"

static void errors_readable(void **state)
{
	(void)state;
	assert_string_equal(cast_strerror(0), "success");
	assert_string_equal(cast_strerror(CAST_EOF), "end of stream");
	assert_string_equal(cast_strerror(CAST_ERROR(ENOENT)),
			    "No such file or directory");
	assert_true(CAST_EMALFORMED < -4096);
	assert_string_equal(cast_strerror(-123456), "unknown error");
}

static void hist_quantiles(void **state)
{
	struct cast_hist h;

	(void)state;
	cast_hist_reset(&h);
	assert_int_equal(cast_hist_quantile(&h, 0.5), 0);
	for (int i = 1; i <= 1000; i++)
		cast_hist_add(&h, i * 100); /* 0.1 .. 100 ms */
	assert_int_equal(h.count, 1000);
	/* Within the ~1 % bucket resolution. */
	assert_in_range(cast_hist_quantile(&h, 0.50), 49500, 50600);
	assert_in_range(cast_hist_quantile(&h, 0.99), 98000, 100000);
	assert_int_equal(cast_hist_quantile(&h, 1.0), 100000);
	assert_int_equal(cast_hist_quantile(&h, 0.0), 100);
	cast_hist_add(&h, -5);
	assert_int_equal(h.min_us, 0);
	cast_hist_add(&h, INT64_MAX / 2); /* clamps into the last bucket */
	assert_int_equal(cast_hist_quantile(&h, 1.0), INT64_MAX / 2);
}

static void json_line(void **state)
{
	struct cast_json j;
	struct cast_hist h;

	(void)state;
	cast_hist_reset(&h);
	cast_hist_add(&h, 2000);
	cast_json_begin(&j);
	cast_json_str(&j, "role", "te\"ach\ner");
	cast_json_int(&j, "frames_sent", 42);
	cast_json_num(&j, "fps", 29.5);
	cast_json_bool(&j, "final", true);
	cast_json_hist_ms(&j, "latency_ms", &h);
	cast_json_end(&j);
	assert_false(j.overflow);
	assert_string_equal(
		j.buf, "{\"role\":\"te\\\"ach\\ner\",\"frames_sent\":42,"
		       "\"fps\":29.500,\"final\":true,\"latency_ms\":{\"p50\":"
		       "2.000,\"p95\":2.000,\"p99\":2.000,\"count\":1}}\n");
	cast_json_free(&j);
	assert_null(j.buf);
}

static void channel_layout(void **state)
{
	char g[32];

	(void)state;
	assert_int_equal(cast_channel_group(7, g, sizeof(g)), 0);
	assert_string_equal(g, "239.255.0.7");
	assert_int_equal(cast_channel_group(999, g, sizeof(g)), 0);
	assert_string_equal(g, "239.255.3.231");
	assert_int_equal(cast_channel_group(0, g, sizeof(g)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_channel_group(1000, g, sizeof(g)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_channel_port(1, CAST_PORT_VIDEO), 40010);
	assert_int_equal(cast_channel_port(999, CAST_PORT_FEEDBACK), 49996);
	/* Distinct channels never share a port. */
	assert_true(cast_channel_port(2, CAST_PORT_VIDEO) >
		    cast_channel_port(1, CAST_PORT_FEEDBACK));
}

static void udp_unicast_roundtrip(void **state)
{
	struct cast_udp_cfg cfg;
	struct cast_udp *rx = NULL, *tx = NULL;
	char buf[64];
	uint32_t ip;
	uint16_t port;

	(void)state;
	cast_udp_cfg_init(&cfg);
	cfg.bind_addr = "127.0.0.1";
	cfg.port = 0;
	assert_int_equal(cast_udp_new(&rx, &cfg), 0);
	{
		struct sockaddr_in a;
		socklen_t l = sizeof(a);

		assert_int_equal(getsockname(cast_udp_fd(rx),
					     (struct sockaddr *)&a, &l),
				 0);
		port = ntohs(a.sin_port);
	}
	cast_udp_cfg_init(&cfg);
	cfg.dest_addr = "127.0.0.1";
	cfg.dest_port = port;
	assert_int_equal(cast_udp_new(&tx, &cfg), 0);
	assert_int_equal(cast_udp_send(tx, "hello", 5), 5);
	assert_int_equal(cast_udp_recv(rx, buf, sizeof(buf), 1000, &ip, NULL),
			 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ip, 0x7f000001);
	assert_int_equal(cast_udp_recv(rx, buf, sizeof(buf), 0, NULL, NULL),
			 CAST_ERROR(EAGAIN));
	cast_udp_free(&tx);
	cast_udp_free(&rx);
	assert_null(rx);

	cast_udp_cfg_init(&cfg);
	cfg.group = "10.0.0.1"; /* not multicast */
	assert_int_equal(cast_udp_new(&rx, &cfg), CAST_ERROR(EINVAL));
	cfg.group = "239.255.0.1";
	cfg.iface = "no-such-if0";
	assert_int_equal(cast_udp_new(&rx, &cfg), CAST_ERROR(ENODEV));
}


/* A small NUT file: `nv` 16x16 grey pictures (10 fps, each a keyframe) and
 * `na` 20 ms blocks of 8 kHz sound, interleaved. */
static void write_film(const char *path, int nv, int na)
{
	AVFormatContext *o = NULL;
	AVStream *v, *a;
	AVPacket *pkt = av_packet_alloc();
	int iv = 0, ia = 0;

	assert_non_null(pkt);
	assert_true(avformat_alloc_output_context2(&o, NULL, "nut", path) >= 0);
	v = avformat_new_stream(o, NULL);
	a = avformat_new_stream(o, NULL);
	assert_non_null(v);
	assert_non_null(a);
	v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
	v->codecpar->codec_id = AV_CODEC_ID_RAWVIDEO;
	v->codecpar->format = AV_PIX_FMT_GRAY8;
	v->codecpar->width = v->codecpar->height = 16;
	v->time_base = (AVRational){1, 10};
	a->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
	a->codecpar->codec_id = AV_CODEC_ID_PCM_S16LE;
	a->codecpar->sample_rate = 8000;
	a->codecpar->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO;
	a->time_base = (AVRational){1, 8000};
	assert_true(avio_open(&o->pb, path, AVIO_FLAG_WRITE) >= 0);
	assert_true(avformat_write_header(o, NULL) >= 0);
	while (iv < nv || ia < na) {
		bool video = iv < nv && (ia >= na || iv * 100 <= ia * 20);

		assert_true(av_new_packet(pkt, video ? 256 : 320) >= 0);
		memset(pkt->data, video ? iv : 0, (size_t)pkt->size);
		pkt->stream_index = video ? 0 : 1;
		pkt->pts = pkt->dts = video ? iv++ : 160 * (int64_t)ia++;
		pkt->duration = video ? 1 : 160;
		pkt->flags = AV_PKT_FLAG_KEY;
		av_packet_rescale_ts(pkt, video ? (AVRational){1, 10}
						: (AVRational){1, 8000},
				     o->streams[pkt->stream_index]->time_base);
		assert_true(av_interleaved_write_frame(o, pkt) >= 0);
	}
	assert_true(av_write_trailer(o) >= 0);
	avio_closep(&o->pb);
	avformat_free_context(o);
	av_packet_free(&pkt);
}

/* Reads `fmt` to its end: how many packets, all of stream `want`, in
 * order. */
static int read_all(AVFormatContext *fmt, int want)
{
	AVPacket *pkt = av_packet_alloc();
	int64_t last = -1;
	int n = 0, e;

	while ((e = cast__media_read(fmt, pkt)) >= 0) {
		assert_int_equal(pkt->stream_index, want);
		assert_true(pkt->pts > last);
		last = pkt->pts;
		n++;
		av_packet_unref(pkt);
	}
	assert_int_equal(e, AVERROR_EOF);
	av_packet_free(&pkt);
	return n;
}

static void media_shared(void **state)
{
	char path[] = "/tmp/cast-test-share-XXXXXX";
	AVFormatContext *pic = NULL, *snd = NULL;
	int fd;

	(void)state;
	assert_true(cast__media_shared_url("film.sdp"));
	assert_true(cast__media_shared_url("/srv/FILM.SDP"));
	assert_true(cast__media_shared_url("rtp://239.255.0.9:5004"));
	assert_true(cast__media_shared_url("rtsp://127.0.0.1:8554/film"));
	assert_false(cast__media_shared_url("film.mkv"));
	assert_false(cast__media_shared_url("udp://127.0.0.1:9000"));
	assert_true(cast__media_live_url("rtsp://127.0.0.1:8554/film"));
	assert_true(cast__media_live_url("film.sdp"));
	assert_false(cast__media_live_url("http://127.0.0.1/film.mkv"));

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_film(path, 30, 50);
	/* The picture and the sound on one source, demuxed once: each
	 * context has the source's streams and no demuxer of its own. */
	assert_int_equal(cast__media_share_open(&pic, path), 0);
	assert_int_equal(cast__media_share_open(&snd, path), 0);
	assert_null(pic->iformat);
	assert_int_equal(pic->nb_streams, 2);
	assert_int_equal(snd->nb_streams, 2);
	assert_int_equal(pic->streams[0]->codecpar->width, 16);
	assert_int_equal(snd->streams[1]->codecpar->sample_rate, 8000);
	assert_int_equal(cast__media_find_stream_info(pic), 0);
	assert_int_equal(cast__media_seek(pic, 0, 0, 0), AVERROR(ESPIPE));
	pic->streams[1]->discard = AVDISCARD_ALL;
	snd->streams[0]->discard = AVDISCARD_ALL;
	/* The sound's side does not read while the picture's reads it all
	 * (nothing waits for it), then it reads what it was given: every
	 * packet of its own stream, then the end. */
	assert_int_equal(read_all(pic, 0), 30);
	assert_int_equal(read_all(snd, 1), 50);
	cast__media_close(&pic);
	cast__media_close(&snd);
	assert_null(pic);
	/* The source ended: a new open starts it again, from the start. */
	assert_int_equal(cast__media_share_open(&pic, path), 0);
	assert_null(pic->iformat);
	pic->streams[1]->discard = AVDISCARD_ALL;
	assert_int_equal(read_all(pic, 0), 30);
	cast__media_close(&pic);
	unlink(path);
}

/* Opens `path` as a shared source with one reader that reads nothing
 * until the source has sent `lost` more packets than its queue holds
 * (20000): those are counted lost, by kind, then it reads the rest. */
static void fall_behind(const char *path, uint64_t lost_video,
			uint64_t lost_audio)
{
	struct cast_media_share_stats a, b;
	AVFormatContext *r = NULL;
	AVPacket *pkt = av_packet_alloc();
	int n = 0, i;

	cast_media_share_stats(&a);
	assert_int_equal(cast__media_share_open(&r, path), 0);
	for (i = 0; i < 1000; i++) {
		struct timespec ts = {0, 10 * 1000000};

		cast_media_share_stats(&b);
		if (b.video_dropped - a.video_dropped +
			    b.audio_dropped - a.audio_dropped >=
		    lost_video + lost_audio)
			break;
		nanosleep(&ts, NULL);
	}
	assert_int_equal(b.video_dropped - a.video_dropped, lost_video);
	assert_int_equal(b.audio_dropped - a.audio_dropped, lost_audio);
	while (cast__media_read(r, pkt) >= 0) {
		n++;
		av_packet_unref(pkt);
	}
	assert_int_equal(n, 20000);
	cast__media_close(&r);
	av_packet_free(&pkt);
}

/* A side that falls behind its shared source loses packets, counted for
 * the teacher's stats by kind: the sound's, then the picture's. */
static void media_shared_dropped(void **state)
{
	char path[] = "/tmp/cast-test-drop-XXXXXX";
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* The pictures come first (one for five sounds): the last 130
	 * packets, past the queue's 20000, are sound. */
	write_film(path, 30, 20100);
	fall_behind(path, 0, 130);
	write_film(path, 20100, 30);
	fall_behind(path, 130, 0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errors_readable),
		cmocka_unit_test(hist_quantiles),
		cmocka_unit_test(json_line),
		cmocka_unit_test(channel_layout),
		cmocka_unit_test(udp_unicast_roundtrip),
		cmocka_unit_test(media_shared),
		cmocka_unit_test(media_shared_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
