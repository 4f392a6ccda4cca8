/* cast-teacher: broadcasts this machine's screen (or a test pattern or a file) to the class. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cast/cast.h>

struct teacher {
	struct cast_sender_cfg cfg;
	char source[16];
	char device[1024];
	const char *stats_path;
	const char *sdp_path;
	double duration;
	bool headless;
};

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cast-teacher [options]\n"
		"Broadcasts a screen to every student of a channel.\n\n"
		"  --source NAME[:DEV]  x11[:DISPLAY] | testpattern | file:PATH\n"
		"  --size WxH           picture size sent (default: source's)\n"
		"  --region X,Y,W,H     x11: capture only this rectangle\n"
		"  --fps N              frames per second (default 30)\n"
		"  --bitrate KBPS       video bitrate (default 2000)\n"
		"  --preset NAME        x264 preset (default veryfast)\n"
		"  --channel N          class channel 1..999 (default 1)\n"
		"  --iface NAME|ADDR    multicast interface (default: routing)\n"
		"  --ttl N              multicast TTL (default 1)\n"
		"  --mtu BYTES          largest RTP packet (default 1200)\n"
		"  --loop               file source: play again at the end\n"
		"  --duration SEC       stop after SEC seconds (default: run)\n"
		"  --stats FILE|-       JSON stats lines, each second and at exit\n"
		"  --sdp FILE           write an SDP for third-party players\n"
		"  --insecure           plain RTP for third-party receivers\n"
		"  --headless           no window; stats only\n"
		"  --config FILE        read these settings as 'key = value'\n"
		"  --help, --version\n");
}

enum {
	OPT_SOURCE = 256, OPT_SIZE, OPT_REGION, OPT_FPS, OPT_BITRATE,
	OPT_PRESET, OPT_CHANNEL, OPT_IFACE, OPT_TTL, OPT_MTU, OPT_LOOP,
	OPT_DURATION, OPT_STATS, OPT_SDP, OPT_INSECURE, OPT_HEADLESS,
	OPT_CONFIG, OPT_HELP, OPT_VERSION,
};

static const struct option options[] = {
	{"source", required_argument, NULL, OPT_SOURCE},
	{"size", required_argument, NULL, OPT_SIZE},
	{"region", required_argument, NULL, OPT_REGION},
	{"fps", required_argument, NULL, OPT_FPS},
	{"bitrate", required_argument, NULL, OPT_BITRATE},
	{"preset", required_argument, NULL, OPT_PRESET},
	{"channel", required_argument, NULL, OPT_CHANNEL},
	{"iface", required_argument, NULL, OPT_IFACE},
	{"ttl", required_argument, NULL, OPT_TTL},
	{"mtu", required_argument, NULL, OPT_MTU},
	{"loop", no_argument, NULL, OPT_LOOP},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"stats", required_argument, NULL, OPT_STATS},
	{"sdp", required_argument, NULL, OPT_SDP},
	{"insecure", no_argument, NULL, OPT_INSECURE},
	{"headless", no_argument, NULL, OPT_HEADLESS},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

static bool truthy(const char *v)
{
	return !v || !*v || !strcmp(v, "1") || !strcmp(v, "true") ||
	       !strcmp(v, "yes") || !strcmp(v, "on");
}

static char *keep(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fprintf(stderr, "cast-teacher: out of memory\n");
		exit(1);
	}
	return d;
}

static int set_option(struct teacher *t, int id, const char *v, char *why,
		      size_t why_size);

static int config_cb(const char *key, const char *value, void *arg, char *why,
		     size_t why_size)
{
	for (const struct option *o = options; o->name; o++) {
		if (strcmp(o->name, key))
			continue;
		if (o->val == OPT_CONFIG || o->val == OPT_HELP ||
		    o->val == OPT_VERSION)
			break;
		return set_option(arg, o->val, value, why, why_size);
	}
	snprintf(why, why_size, "unknown setting");
	return CAST_ERROR(EINVAL);
}

static int set_option(struct teacher *t, int id, const char *v, char *why,
		      size_t why_size)
{
	struct cast_sender_cfg *c = &t->cfg;
	long n;
	char err[512];
	const char *colon;
	int ret;

	switch (id) {
	case OPT_SOURCE:
		colon = strchr(v, ':');
		snprintf(t->source, sizeof(t->source), "%.*s",
			 (int)(colon ? (size_t)(colon - v) : strlen(v)), v);
		if (strcmp(t->source, "x11") && strcmp(t->source, "file") &&
		    strcmp(t->source, "testpattern")) {
			snprintf(why, why_size,
				 "unknown source (x11, testpattern, file:PATH)");
			return CAST_ERROR(EINVAL);
		}
		snprintf(t->device, sizeof(t->device), "%s",
			 colon ? colon + 1 : "");
		if (!strcmp(t->source, "file") && !t->device[0]) {
			snprintf(why, why_size, "file source needs file:PATH");
			return CAST_ERROR(EINVAL);
		}
		return 0;
	case OPT_SIZE:
		if (cast_parse_size(v, &c->encoder.width, &c->encoder.height)) {
			snprintf(why, why_size, "expected WxH, even, 16..8192");
			return CAST_ERROR(EINVAL);
		}
		c->capture.width = c->encoder.width;
		c->capture.height = c->encoder.height;
		return 0;
	case OPT_REGION:
		if (sscanf(v, "%d,%d,%d,%d", &c->capture.x, &c->capture.y,
			   &c->capture.w, &c->capture.h) != 4 ||
		    c->capture.x < 0 || c->capture.y < 0 || c->capture.w < 16 ||
		    c->capture.h < 16) {
			snprintf(why, why_size, "expected X,Y,W,H");
			return CAST_ERROR(EINVAL);
		}
		return 0;
	case OPT_FPS:
		ret = cast_parse_int(v, 1, 120, &n);
		c->encoder.fps = (int)n;
		break;
	case OPT_BITRATE:
		ret = cast_parse_int(v, 50, 100000, &n);
		c->encoder.bitrate_kbps = (int)n;
		break;
	case OPT_PRESET:
		c->encoder.preset = keep(v);
		return 0;
	case OPT_CHANNEL:
		ret = cast_parse_int(v, CAST_CHANNEL_MIN, CAST_CHANNEL_MAX, &n);
		c->channel = (int)n;
		break;
	case OPT_IFACE:
		c->iface = keep(v);
		return 0;
	case OPT_TTL:
		ret = cast_parse_int(v, 0, 255, &n);
		c->ttl = (int)n;
		break;
	case OPT_MTU:
		ret = cast_parse_int(v, 200, 9000, &n);
		c->mtu = (size_t)n;
		break;
	case OPT_LOOP:
		c->capture.loop = truthy(v);
		return 0;
	case OPT_DURATION:
		t->duration = strtod(v, NULL);
		if (t->duration <= 0) {
			snprintf(why, why_size, "expected seconds > 0");
			return CAST_ERROR(EINVAL);
		}
		return 0;
	case OPT_STATS:
		t->stats_path = keep(v);
		return 0;
	case OPT_SDP:
		t->sdp_path = keep(v);
		return 0;
	case OPT_INSECURE:
		c->insecure = truthy(v);
		return 0;
	case OPT_HEADLESS:
		t->headless = truthy(v);
		return 0;
	case OPT_CONFIG:
		ret = cast_config_load(v, config_cb, t, err, sizeof(err));
		if (ret)
			snprintf(why, why_size, "%s", err);
		return ret;
	default:
		return CAST_ERROR(EINVAL);
	}
	if (ret)
		snprintf(why, why_size, "bad number '%s'", v);
	return ret;
}

static void write_stats(FILE *f, struct cast_sender *s, struct cast_meter *m,
			double elapsed, bool final)
{
	struct cast_sender_stats st;
	struct cast_rates r;
	struct cast_json j;

	cast_sender_stats(s, &st);
	cast_meter_sample(m, st.frames_sent, st.bytes_sent, &r);
	cast_json_begin(&j);
	cast_json_str(&j, "role", "teacher");
	cast_json_num(&j, "t", elapsed);
	cast_json_int(&j, "width", st.width);
	cast_json_int(&j, "height", st.height);
	cast_json_int(&j, "frames_captured", (int64_t)st.frames_captured);
	cast_json_int(&j, "frames_sent", (int64_t)st.frames_sent);
	cast_json_int(&j, "frames_still", (int64_t)st.frames_still);
	cast_json_int(&j, "keyframes", (int64_t)st.keyframes);
	cast_json_int(&j, "packets_sent", (int64_t)st.packets_sent);
	cast_json_int(&j, "bytes_sent", (int64_t)st.bytes_sent);
	cast_json_int(&j, "send_errors", (int64_t)st.send_errors);
	cast_json_int(&j, "max_frame_bytes", (int64_t)st.max_frame_bytes);
	cast_json_int(&j, "feedback_packets", (int64_t)st.feedback_packets);
	cast_json_int(&j, "feedback_rejected", (int64_t)st.feedback_rejected);
	cast_json_int(&j, "nacks_received", (int64_t)st.nacks_received);
	cast_json_int(&j, "nacks_suppressed", (int64_t)st.nacks_suppressed);
	cast_json_int(&j, "nacks_too_old", (int64_t)st.nacks_too_old);
	cast_json_int(&j, "packets_retransmitted",
		      (int64_t)st.packets_retransmitted);
	cast_json_int(&j, "retransmit_bytes", (int64_t)st.retransmit_bytes);
	cast_json_int(&j, "plis_received", (int64_t)st.plis_received);
	cast_json_int(&j, "plis_coalesced", (int64_t)st.plis_coalesced);
	cast_json_int(&j, "keyframes_forced", (int64_t)st.keyframes_forced);
	cast_json_int(&j, "students", st.students);
	cast_json_int(&j, "unicast_targets", st.unicast_targets);
	cast_json_int(&j, "unicast_refused", (int64_t)st.unicast_refused);
	cast_json_num(&j, "fps", r.fps);
	cast_json_num(&j, "bitrate_kbps", r.bitrate_kbps);
	cast_json_num(&j, "cpu_pct", r.cpu_pct);
	cast_json_hist_ms(&j, "capture_ms", &st.capture_us);
	cast_json_hist_ms(&j, "convert_ms", &st.convert_us);
	cast_json_hist_ms(&j, "encode_ms", &st.encode_us);
	if (final)
		cast_json_bool(&j, "final", true);
	cast_json_end(&j);
	cast_json_write(&j, f);
}

int main(int argc, char **argv)
{
	struct teacher t;
	struct cast_sender *s = NULL;
	struct cast_meter meter;
	FILE *stats = NULL;
	char why[1024], sdp[4096];
	int c, err;
	int64_t start, next_stats;

	memset(&t, 0, sizeof(t));
	cast_sender_cfg_init(&t.cfg);
	snprintf(t.source, sizeof(t.source), "testpattern");
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			usage(stdout);
			return 0;
		}
		if (c == OPT_VERSION) {
			printf("cast-teacher %s\n", cast_version());
			return 0;
		}
		if (c == '?') {
			usage(stderr);
			return 2;
		}
		why[0] = '\0';
		if (set_option(&t, c, optarg, why, sizeof(why))) {
			fprintf(stderr, "cast-teacher: --%s: %s\n",
				options[c - OPT_SOURCE].name, why);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cast-teacher: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	t.cfg.capture.backend = t.source;
	t.cfg.capture.device = t.device[0] ? t.device : NULL;

	if (t.stats_path) {
		stats = strcmp(t.stats_path, "-") ? fopen(t.stats_path, "w")
						  : stdout;
		if (!stats) {
			fprintf(stderr, "cast-teacher: --stats %s: %s\n",
				t.stats_path, strerror(errno));
			return 1;
		}
	}
	err = cast_sender_new(&s, &t.cfg);
	if (err) {
		fprintf(stderr, "cast-teacher: cannot start %s broadcast: %s\n",
			t.source, cast_strerror(err));
		return 1;
	}
	if (t.sdp_path) {
		FILE *f;

		err = cast_sender_sdp(s, sdp, sizeof(sdp));
		f = err < 0 ? NULL : fopen(t.sdp_path, "w");
		if (!f || fputs(sdp, f) < 0 || fclose(f)) {
			fprintf(stderr, "cast-teacher: --sdp %s: cannot write\n",
				t.sdp_path);
			cast_sender_free(&s);
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	cast_meter_init(&meter, 0, 0);
	err = cast_sender_start(s);
	if (err) {
		fprintf(stderr, "cast-teacher: %s\n", cast_strerror(err));
		cast_sender_free(&s);
		return 1;
	}
	start = cast_mono_us();
	next_stats = start + 1000000;
	while (!quit) {
		struct cast_sender_stats st;
		int64_t now = cast_mono_us();

		if (t.duration > 0 && now - start >= (int64_t)(t.duration * 1e6))
			break;
		cast_sender_stats(s, &st);
		if (st.finished)
			break;
		if (now >= next_stats) {
			if (stats)
				write_stats(stats, s, &meter,
					    (double)(now - start) / 1e6, false);
			else if (!t.headless)
				fprintf(stderr,
					"\rcast-teacher: %llu frames sent",
					(unsigned long long)st.frames_sent);
			next_stats += 1000000;
		}
		usleep(20000);
	}
	cast_sender_stop(s);
	if (stats) {
		write_stats(stats, s, &meter,
			    (double)(cast_mono_us() - start) / 1e6, true);
		if (stats != stdout)
			fclose(stats);
	}
	cast_sender_free(&s);
	return 0;
}
