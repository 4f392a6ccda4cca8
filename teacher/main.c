/* cast-teacher: broadcasts this machine's screen (or a test pattern or a file) to the class. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cast/cast.h>

#include <cast/ui.h>

#include "console.h"


struct teacher {
	struct cast_sender_cfg cfg;
	struct cast_common_opts common; /* channel, iface, insecure: in cfg */
	const char *ctl_socket;
	const char *wol_addr;
	uint16_t wol_port;
	const char *db_path;
	const char *lesson;
	const char *homework_dir;
	char source[16];
	char device[1024];
	const char *sdp_path;
	int console_w, console_h;
	double ui_scale;		/* --ui-scale; 0: the desktop's */
	const char *console_lang;
	bool first_run;			/* the class key was made just now */
	char key_file[1024];		/* the students' file of the key */
	/* Voice (F2): "mic", "file" or "" (none), and the file. */
	char voice[8];
	char voice_path[1024];
	bool voice_set;			/* --voice given (none included) */
	int voice_bitrate;
	const char *record_path;	/* --record FILE */
	const char *record_dir;		/* --record-dir DIR */
	struct cast_sender *sender;	/* for the recorder's keyframe asks */
	struct cast_recorder *rec;
	struct cast_replay *replay;	/* --source file: passed through */
	struct cast_cinema *cinema;	/* --source file: the film's clock */
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
		"       cast-teacher keygen FILE [--code CODE]   (FILE for the\n"
		"               students, FILE.teacher this teacher's own)\n"
		"       cast-teacher trust|revoke FILE FINGERPRINT\n"
		"       cast-teacher rotate FILE\n"
		"       cast-teacher ctl [--channel N] [--socket PATH] COMMAND\n"
		"Broadcasts a screen to every student of a channel.\n\n"
		"  --source NAME[:DEV]  x11[:DISPLAY] | testpattern | file:PATH\n"
		"  --size WxH           picture size sent (default: the source's,\n"
		"                       a larger one scaled down to fit 1920x1080)\n"
		"  --region X,Y,W,H     x11: capture only this rectangle\n"
		"  --fps N              frames per second (default 30)\n"
		"  --bitrate KBPS       video bitrate (default 2000)\n"
		"  --preset NAME        x264 preset (default veryfast)\n"
		"  --channel N          class channel 1..999 (default: this\n"
		"                       teacher's own, picked free on its\n"
		"                       first start and kept beside the key;\n"
		"                       1 with --insecure)\n"
		"  --iface NAME|ADDR    multicast interface (default: routing)\n"
		"  --ttl N              multicast TTL (default 1)\n"
		"  --mtu BYTES          largest RTP packet (default 1200)\n"
		"  --loop               file source: play again at the end\n"
		"                       (a file whose H.264 fits the class, like a\n"
		"                       lesson recording, is sent as it is: no\n"
		"                       re-encode; others are encoded again;\n"
		"                       its sound goes too unless --voice says\n"
		"                       otherwise; 'ctl cinema pause|resume|\n"
		"                       seek SECONDS|status'; 'ctl cinema play\n"
		"                       FILE [--to IDS]|stop' plays a film to\n"
		"                       some students during any broadcast)\n"
		"  --repair MODE        coded (default) or resend: how lost\n"
		"                       packets are repaired\n"
		"  --fec N              also N repair packets per block (64 packets,\n"
		"                       128 from 1500 kbit/s), unasked (packet\n"
		"                       FEC; default 0)\n"
		"  --repair-delay MS    while repair is costly (a lossy class on a\n"
		"                       busy stream), gather a block's requests\n"
		"                       until it is sent, at most MS (1..500,\n"
		"                       default 350; 6: always at once), then\n"
		"                       serve most students, the rest with the\n"
		"                       block's next round: about half the repair\n"
		"                       traffic, for a longer wait on a lost packet\n"
		"  --first-seq N        first RTP sequence number (default random;\n"
		"                       for testing a wrap)\n"
		"  --voice SRC          the teacher's voice: mic (default device),\n"
		"                       mic:DEVICE, file:PATH (anything FFmpeg\n"
		"                       reads: tests, a prepared narration) or\n"
		"                       none (default; with --source file:PATH\n"
		"                       the film's own sound when it has one);\n"
		"                       `ctl voice on|off` turns\n"
		"                       it on and off, for all or --to students\n"
		"                       (--lock: their input and screen locked\n"
		"                       while it is on)\n"
		"  --voice-bitrate BPS  Opus bitrate, 16000..64000 (default 32000)\n"
		"  --unsigned-media     send no source authentication (measuring\n"
		"                       its cost only: students show nothing\n"
		"                       unless also given --unsigned-media)\n"
		"  --duration SEC       stop after SEC seconds (default: run)\n"
		"  --stats FILE|-       JSON stats lines, each second and at exit\n"
		"  --sdp FILE           write an SDP for third-party players\n"
		"  --key FILE           class key (default ~/.config/libcast/class.key,\n"
		"                       made on first run)\n"
		"  --key-code CODE      class key given as its short code\n"
		"  --ctl-socket PATH    local control socket (default per channel)\n"
		"  --wol-addr ADDR      Wake-on-LAN broadcast (255.255.255.255)\n"
		"  --wol-port PORT      Wake-on-LAN port (9)\n"
		"  --db FILE            roster and attendance database\n"
		"                       (default ~/.local/share/libcast/teacher.db)\n"
		"  --lesson TITLE       this lesson's name in the attendance\n"
		"  --homework-dir DIR   collected homework (~/libcast/homework)\n"
		"  --record FILE        record the broadcast from the start (a\n"
		"                       name alone goes in the recordings folder;\n"
		"                       .mkv, or fragmented MP4 for .mp4)\n"
		"  --record-dir DIR     recordings folder (~/Videos/libcast); also\n"
		"                       'ctl record start [path=NAME]', 'ctl record\n"
		"                       stop'\n"
		"  --insecure           plain RTP, no control plane: third-party\n"
		"                       receivers and interop tests only\n"
		"  --headless           no window; stats only (without it, the\n"
		"                       console window opens on a display)\n"
		"  --console-size WxH   the console window's size in logical\n"
		"                       pixels (default: most of the screen)\n"
		"  --ui-scale N         the console's scale, 0.5 to 3 (default:\n"
		"                       the desktop's: GDK_SCALE, else Xft.dpi/96)\n"
		"  --console-lang CODE  zh_CN, zh_TW or en (default: $LANG)\n"
		"  --config FILE        read these settings as 'key = value'\n"
		"  --help, --version\n");
}

enum {
	OPT_SOURCE = CAST_OPT_APP, OPT_SIZE, OPT_REGION, OPT_FPS, OPT_BITRATE,
	OPT_PRESET, OPT_TTL, OPT_MTU, OPT_LOOP, OPT_SDP, OPT_CTL_SOCKET,
	OPT_WOL_ADDR, OPT_WOL_PORT, OPT_DB, OPT_LESSON, OPT_REPAIR, OPT_FEC,
	OPT_REPAIR_DELAY, OPT_HOMEWORK_DIR, OPT_FIRST_SEQ, OPT_CONSOLE_SIZE,
	OPT_CONSOLE_LANG, OPT_VOICE, OPT_VOICE_BITRATE, OPT_RECORD, OPT_RECORD_DIR,
	OPT_UNSIGNED, OPT_UI_SCALE,
};

/* The teacher's own options; the common ones are cast/options.h's. */
static const struct cast_option options[] = {
	{"source", true, OPT_SOURCE},
	{"size", true, OPT_SIZE},
	{"region", true, OPT_REGION},
	{"fps", true, OPT_FPS},
	{"bitrate", true, OPT_BITRATE},
	{"preset", true, OPT_PRESET},
	{"ttl", true, OPT_TTL},
	{"mtu", true, OPT_MTU},
	{"loop", false, OPT_LOOP},
	{"sdp", true, OPT_SDP},
	{"ctl-socket", true, OPT_CTL_SOCKET},
	{"wol-addr", true, OPT_WOL_ADDR},
	{"wol-port", true, OPT_WOL_PORT},
	{"db", true, OPT_DB},
	{"lesson", true, OPT_LESSON},
	{"repair", true, OPT_REPAIR},
	{"fec", true, OPT_FEC},
	{"repair-delay", true, OPT_REPAIR_DELAY},
	{"homework-dir", true, OPT_HOMEWORK_DIR},
	{"first-seq", true, OPT_FIRST_SEQ},
	{"console-size", true, OPT_CONSOLE_SIZE},
	{"console-lang", true, OPT_CONSOLE_LANG},
	{"ui-scale", true, OPT_UI_SCALE},
	{"voice", true, OPT_VOICE},
	{"voice-bitrate", true, OPT_VOICE_BITRATE},
	{"record", true, OPT_RECORD},
	{"record-dir", true, OPT_RECORD_DIR},
	{"unsigned-media", false, OPT_UNSIGNED},
	{NULL, false, 0},
};

/* Option values live as long as the program; freed at exit. */
static struct cast_options *opts;

static void free_options(void)
{
	cast_options_free(&opts);
}

/* One of the teacher's own options (cast_option_cb), from argv or --config. */
static int set_option(int id, const char *v, void *arg, char *why,
		      size_t why_size)
{
	struct teacher *t = arg;
	struct cast_sender_cfg *c = &t->cfg;
	long n;
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
		c->encoder.preset = v;
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
		c->capture.loop = cast_parse_flag(v);
		return 0;
	case OPT_SDP:
		t->sdp_path = v;
		return 0;
	case OPT_CTL_SOCKET:
		t->ctl_socket = v;
		return 0;
	case OPT_WOL_ADDR:
		t->wol_addr = v;
		return 0;
	case OPT_DB:
		t->db_path = v;
		return 0;
	case OPT_HOMEWORK_DIR:
		t->homework_dir = v;
		return 0;
	case OPT_REPAIR:
		if (strcmp(v, "coded") && strcmp(v, "resend")) {
			snprintf(why, why_size, "expected coded or resend");
			return CAST_ERROR(EINVAL);
		}
		c->coded_repair = !strcmp(v, "coded");
		return 0;
	case OPT_FEC:
		ret = cast_parse_int(v, 0, 16, &n);
		c->fec_per_block = (int)n;
		break;
	case OPT_REPAIR_DELAY:
		ret = cast_parse_int(v, 1, 500, &n);
		c->repair_batch_ms = (int)n;
		break;
	case OPT_FIRST_SEQ:
		ret = cast_parse_int(v, 0, 65535, &n);
		c->first_seq = (int)n;
		break;
	case OPT_UNSIGNED:
		c->unsigned_media = cast_parse_flag(v);
		ret = 0;
		break;
	case OPT_LESSON:
		t->lesson = v;
		return 0;
	case OPT_CONSOLE_SIZE:
		if (sscanf(v, "%dx%d", &t->console_w, &t->console_h) != 2 ||
		    t->console_w < 320 || t->console_h < 240 ||
		    t->console_w > 16384 || t->console_h > 16384) {
			snprintf(why, why_size, "expected WxH, at least 320x240");
			return CAST_ERROR(EINVAL);
		}
		return 0;
	case OPT_UI_SCALE: {
		char *e;
		double k = strtod(v, &e);

		if (e == v || *e || !(k >= 0.5 && k <= CAST_UI_SCALE_MAX)) {
			snprintf(why, why_size, "expected a scale, 0.5 to 3");
			return CAST_ERROR(EINVAL);
		}
		t->ui_scale = k;
		return 0;
	}
	case OPT_CONSOLE_LANG:
		if (cast_lang_parse(v) < 0) {
			snprintf(why, why_size, "expected zh_CN, zh_TW or en");
			return CAST_ERROR(EINVAL);
		}
		t->console_lang = v;
		return 0;
	case OPT_VOICE:
		t->voice_set = true;
		colon = strchr(v, ':');
		snprintf(t->voice, sizeof(t->voice), "%.*s",
			 (int)(colon ? (size_t)(colon - v) : strlen(v)), v);
		snprintf(t->voice_path, sizeof(t->voice_path), "%s",
			 colon ? colon + 1 : "");
		if (!strcmp(t->voice, "none") && !colon) {
			t->voice[0] = 0;
			return 0;
		}
		if ((strcmp(t->voice, "mic") && strcmp(t->voice, "file")) ||
		    (!strcmp(t->voice, "file") && !t->voice_path[0])) {
			snprintf(why, why_size,
				 "unknown voice (mic, mic:DEVICE, file:PATH, "
				 "none)");
			return CAST_ERROR(EINVAL);
		}
		return 0;
	case OPT_VOICE_BITRATE:
		ret = cast_parse_int(v, 16000, 64000, &n);
		t->voice_bitrate = (int)n;
		break;
	case OPT_RECORD:
		t->record_path = v;
		return 0;
	case OPT_RECORD_DIR:
		t->record_dir = v;
		return 0;
	case OPT_WOL_PORT:
		ret = cast_parse_int(v, 1, 65535, &n);
		t->wol_port = (uint16_t)n;
		break;
	default:
		return CAST_ERROR(EINVAL);
	}
	if (ret)
		snprintf(why, why_size, "bad number '%s'", v);
	return ret;
}

/* "FILE.teacher": where keygen puts this teacher's own file. */
static void teacher_file(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s.teacher", path);
}

/*
 * The class key with this teacher's signing key: FILE if it holds one, else
 * FILE.teacher beside it (what keygen writes). Logs why it fails.
 */
static int load_signer(struct cast_key *key, const char *path)
{
	char own[1100];
	int err = cast_key_load(key, path);

	if (err || key->can_sign)
		return err;
	teacher_file(path, own, sizeof(own));
	err = cast_key_load(key, own);
	if (!err && !key->can_sign)
		err = CAST_ERROR(EPERM);
	if (err)
		fprintf(stderr, "cast-teacher: %s holds no signing key and %s "
				"is not this teacher's file: make them with "
				"cast-teacher keygen %s\n",
			path, own, path);
	return err;
}

/* Makes a class key file pair (students' FILE, teacher's FILE.teacher). */
static int write_pair(const struct cast_key *key, const char *path)
{
	char own[1100];
	int err;

	teacher_file(path, own, sizeof(own));
	err = cast_key_save_teacher(key, own);
	if (!err)
		err = cast_key_save(key, path);
	return err;
}

/* The class key: --key FILE, --key-code with the default file's signing
 * key, or the default file pair (made once). */
static int load_key(struct teacher *t, struct cast_key *key)
{
	char path[1024];
	const char *home = getenv("HOME");
	int err;

	snprintf(path, sizeof(path), "%s/.config/libcast/class.key",
		 home ? home : ".");
	snprintf(t->key_file, sizeof(t->key_file), "%s",
		 t->common.key_path ? t->common.key_path : path);
	if (t->common.key_path) {
		err = load_signer(key, t->common.key_path);
		if (err && err != CAST_ERROR(EPERM))
			fprintf(stderr, "cast-teacher: --key %s: %s\n",
				t->common.key_path, cast_strerror(err));
		return err;
	}
	if (t->common.key_code) {
		struct cast_key code;

		err = cast_key_from_code(&code, t->common.key_code);
		if (err) {
			fprintf(stderr, "cast-teacher: --key-code: not a class "
					"key code\n");
			return err;
		}
		err = load_signer(key, path);
		if (!err && strcmp(key->code, code.code)) {
			fprintf(stderr, "cast-teacher: --key-code: %s is for "
					"another class; make this class's with "
					"cast-teacher keygen FILE --code %s\n",
				path, code.code);
			err = CAST_ERROR(EINVAL);
		}
		cast_key_wipe(&code);
		return err;
	}
	err = load_signer(key, path);
	if (err != CAST_ERROR(ENOENT))
		return err;
	snprintf(path, sizeof(path), "%s/.config", home ? home : ".");
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.config/libcast", home ? home : ".");
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.config/libcast/class.key",
		 home ? home : ".");
	err = cast_key_generate(key);
	if (!err)
		err = cast_key_new_signer(key);
	if (!err)
		err = write_pair(key, path);
	if (err) {
		fprintf(stderr, "cast-teacher: cannot create class key %s: %s\n",
			path, cast_strerror(err));
		return err;
	}
	t->first_run = true;
	fprintf(stderr,
		"cast-teacher: new class key in %s (install it on the students;\n"
		"  %s.teacher is this teacher's own and stays here)\n",
		path, path);
	return 0;
}

/*
 * The channel when --channel is not given: the one kept beside the class
 * key (KEYFILE.channel), or else the first of the class's candidates heard
 * quiet on the LAN, then kept there for every later start.
 */
static int own_channel(struct teacher *t, const struct cast_key *key)
{
	struct cast_channel_pick_cfg pc;
	char path[1100];
	int ch, err;

	snprintf(path, sizeof(path), "%s.channel", t->key_file);
	err = cast_channel_load(path, &ch);
	if (!err) {
		t->cfg.channel = ch;
		return 0;
	}
	if (err != CAST_ERROR(ENOENT)) {
		fprintf(stderr, "cast-teacher: %s: %s (fix or remove it, or "
				"give --channel N)\n",
			path, cast_strerror(err));
		return err;
	}
	fprintf(stderr, "cast-teacher: no channel of its own yet: listening "
			"for other classes...\n");
	cast_channel_pick_cfg_init(&pc);
	pc.key = key;
	pc.iface = t->common.iface;
	ch = cast_channel_pick(&pc);
	if (ch < 0) {
		fprintf(stderr, "cast-teacher: no free channel found: %s; give "
				"--channel N\n",
			cast_strerror(ch));
		return ch;
	}
	err = cast_channel_save(path, ch);
	if (err) {
		fprintf(stderr, "cast-teacher: cannot keep the channel in %s: "
				"%s\n",
			path, cast_strerror(err));
		return err;
	}
	t->cfg.channel = ch;
	fprintf(stderr, "cast-teacher: channel %d is free here; kept in %s\n",
		ch, path);
	return 0;
}

/* Prints the class code and every teacher's fingerprint. */
static void print_key(const struct cast_key *key)
{
	char fp[32];

	printf("%s\n", key->code);
	for (int i = 0; i < key->n_teachers; i++) {
		cast_key_fingerprint_code(key->teachers[i], fp);
		printf("teacher %s%s\n", fp,
		       i == key->n_teachers - 1 && key->can_sign ? " (this one)"
								   : "");
	}
}

/*
 * keygen FILE [--code CODE]: a class key and this teacher's signing key.
 * trust FILE FP / revoke FILE FP: list or drop another teacher.
 * rotate FILE: a new signing key for this teacher (the old one dropped).
 */
static int cmd_keys(int argc, char **argv)
{
	const char *cmd = argv[0];
	struct cast_key key;
	int err;

	if (!strcmp(cmd, "keygen") && (argc == 2 ||
				       (argc == 4 && !strcmp(argv[2], "--code")))) {
		err = argc == 2 ? cast_key_generate(&key)
				: cast_key_from_code(&key, argv[3]);
		if (err && argc == 4) {
			fprintf(stderr, "cast-teacher keygen: not a class key "
					"code: %s\n", argv[3]);
			return 2;
		}
		if (!err)
			err = cast_key_new_signer(&key);
	} else if ((!strcmp(cmd, "trust") || !strcmp(cmd, "revoke")) &&
		   argc == 3) {
		err = load_signer(&key, argv[1]);
		if (!err)
			err = !strcmp(cmd, "trust") ? cast_key_trust(&key, argv[2])
						    : cast_key_revoke(&key,
								      argv[2]);
	} else if (!strcmp(cmd, "rotate") && argc == 2) {
		err = load_signer(&key, argv[1]);
		if (!err)
			err = cast_key_new_signer(&key);
	} else {
		fprintf(stderr,
			"usage: cast-teacher keygen FILE [--code CODE]\n"
			"       cast-teacher trust|revoke FILE FINGERPRINT\n"
			"       cast-teacher rotate FILE\n");
		return 2;
	}
	if (!err)
		err = write_pair(&key, argv[1]);
	if (err) {
		fprintf(stderr, "cast-teacher %s: %s: %s\n", cmd, argv[1],
			cast_strerror(err));
		cast_key_wipe(&key);
		return 1;
	}
	print_key(&key);
	cast_key_wipe(&key);
	return 0;
}

static int cmd_ctl(int argc, char **argv)
{
	const char *args[CAST_CTL_ARGC_MAX];
	char path[512] = "", *reply = NULL;
	long channel = 1;
	int i, n, nargs = 0, ret, kept;
	bool channel_set = false;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--channel") && i + 1 < argc) {
			channel_set = true;
			if (cast_parse_int(argv[++i], CAST_CHANNEL_MIN,
					   CAST_CHANNEL_MAX, &channel)) {
				fprintf(stderr, "cast-teacher ctl: --channel: "
						"expected 1..999\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			snprintf(path, sizeof(path), "%s", argv[++i]);
		} else if (nargs == CAST_CTL_ARGC_MAX) {
			fprintf(stderr, "cast-teacher ctl: more than %d "
					"arguments: nothing was done\n",
				CAST_CTL_ARGC_MAX);
			return 2;
		} else {
			/* Each argument stays whole: texts hold spaces. */
			args[nargs++] = argv[i];
		}
	}
	if (!nargs) {
		fprintf(stderr,
			"usage: cast-teacher ctl [--channel N] [--socket PATH] "
			"COMMAND [--to IDS|all] [key=value ...]\n"
			"  (default: the channel this teacher keeps, else 1)\n"
			"  stats, students, lock [notice=], unlock, message text= "
			"[title=],\n"
			"  marquee text= [seconds=], watermark [fields=id,name,"
			"class,ip] [text=]\n"
			"  [opacity=] [place=corner|center|tiled], language "
			"zh_CN|zh_TW|en,\n"
			"  web url=, power off|restart, wake, hands, inbox, "
			"replies, assets\n"
			"  [export=FILE], clock, clock-set, reset, menu "
			"[show|hide FEATURE]\n"
			"  broadcast on|off|status (stop the broadcast: the "
			"students' screens\n    are released; on: it goes "
			"on)\n"
			"  board [on|off|page …|style …|draw …|text …|undo|redo|"
			"clear|save|open|export]\n"
			"    (docs/whiteboard.md)\n"
			"  A command is at most %u bytes; a longer one is "
			"refused whole.\n", CAST_CTL_REQUEST_MAX);
		return 2;
	}
	/* Without --channel: the channel this teacher keeps, as it runs. */
	if (!path[0] && !channel_set) {
		const char *home = getenv("HOME");

		snprintf(path, sizeof(path),
			 "%s/.config/libcast/class.key.channel",
			 home ? home : ".");
		if (!access(path, F_OK) && !cast_channel_load(path, &kept))
			channel = kept;
		path[0] = '\0';
	}
	if (!path[0] && cast_ctl_socket_path((int)channel, path, sizeof(path))) {
		fprintf(stderr, "cast-teacher ctl: socket path too long\n");
		return 1;
	}
	n = cast_ctl_request(path, nargs, args, &reply);
	if (n < 0) {
		fprintf(stderr, "cast-teacher ctl: %s: %s\n", path,
			n == CAST_ERROR(ENOENT) || n == CAST_ERROR(ECONNREFUSED)
				? "no teacher running on this channel"
			: n == CAST_ERROR(E2BIG)
				? "command too long: nothing was done"
				: cast_strerror(n));
		return 1;
	}
	fputs(reply, stdout);
	if (n && reply[n - 1] != '\n')
		putchar('\n');
	ret = strstr(reply, "\"ok\":false") ? 1 : 0;
	free(reply);
	return ret;
}

/* The ctl socket of an insecure teacher: the whiteboard's verbs only. */
static char *insecure_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	if (argc < 1 || strcmp(argv[0], "board"))
		return NULL;
	return cast_board_ctl(argc, argv, req, arg);
}

/* Per-student view: the control roster joined with RTCP feedback by IP. */
static void write_students(struct cast_json *j, struct cast_sender *s,
			   struct cast_teacher_ctl *ctl)
{
	static struct cast_student_info roster[256];
	static struct cast_student_stat fb[256];
	int n_roster, n_fb;
	int64_t now = cast_now_us();

	n_roster = ctl ? cast_teacher_ctl_students(ctl, roster, 256) : 0;
	n_fb = cast_sender_students(s, fb, 256);
	cast_json_array(j, "students");
	for (int i = 0; i < n_roster; i++) {
		const struct cast_student_info *r = &roster[i];
		const struct cast_student_stat *f = NULL;
		char v[16];
		unsigned long ssrc = 0;

		/* Its feedback: by the RTCP SSRC it reports (students may share
		 * an address). */
		if (cast_json_get_str(r->stats_json, strlen(r->stats_json),
				      "rtcp_ssrc", v, sizeof(v)) == 1)
			ssrc = strtoul(v, NULL, 10);
		for (int k = 0; k < n_fb && ssrc; k++)
			if (fb[k].ssrc == ssrc)
				f = &fb[k];
		cast_json_obj(j, NULL);
		cast_json_str(j, "id", r->id);
		cast_json_str(j, "name", r->name);
		cast_json_str(j, "ip", r->ip);
		cast_json_bool(j, "online", r->online);
		cast_json_num(j, "last_seen_ms_ago",
			      (double)(now - r->last_seen_us) / 1000);
		cast_json_num(j, "rtt_ms", r->rtt_ms);
		if (f) {
			cast_json_num(j, "loss_pct", f->loss_pct);
			cast_json_int(j, "cumulative_lost", f->cumulative_lost);
			cast_json_num(j, "jitter_ms", f->jitter_ms);
			cast_json_int(j, "nacks", (int64_t)f->nacks);
			cast_json_int(j, "plis", (int64_t)f->plis);
			cast_json_num(j, "fps", f->fps);
			cast_json_num(j, "latency_ms", f->latency_ms);
			cast_json_bool(j, "unicast", f->unicast);
		}
		if (r->stats_json[0])
			cast_json_raw(j, "reported", r->stats_json);
		cast_json_end(j);
	}
	cast_json_array_end(j);
}

/* The sender's tap: every access unit broadcast goes to the recorder. */
static void tap_packet(const struct cast_packet *pkt, void *arg)
{
	struct teacher *t = arg;

	cast_recorder_video(t->rec, pkt);
}

/* The voice's tap: every Opus packet sent goes to the recording too. */
static void tap_opus(const uint8_t *opus, size_t len, int64_t capture_us,
		     int samples, void *arg)
{
	struct teacher *t = arg;

	cast_recorder_audio(t->rec, opus, len, capture_us, samples);
}

static void recorder_keyframe(void *arg)
{
	struct teacher *t = arg;

	if (t->sender)
		cast_sender_request_keyframe(t->sender);
}

/* The voice sender's part of a stats line. */
static void write_voice(struct cast_json *j, struct cast_voice_sender *v)
{
	struct cast_voice_sender_stats vs;

	cast_voice_sender_stats(v, &vs);
	cast_json_bool(j, "voice_on", vs.enabled);
	cast_json_int(j, "audio_frames_read", (int64_t)vs.frames_read);
	cast_json_int(j, "audio_frames_sent", (int64_t)vs.frames_sent);
	cast_json_int(j, "audio_packets_sent", (int64_t)vs.packets_sent);
	cast_json_int(j, "audio_repairs_sent", (int64_t)vs.repairs_sent);
	cast_json_int(j, "audio_bytes_sent", (int64_t)vs.bytes_sent);
	cast_json_int(j, "audio_send_errors", (int64_t)vs.send_errors);
	cast_json_int(j, "audio_source_errors", (int64_t)vs.source_errors);
	cast_json_int(j, "audio_decode_errors", (int64_t)vs.decode_errors);
	cast_json_int(j, "audio_missing_ms", (int64_t)vs.missing_ms);
	cast_json_int(j, "audio_capture_dropped_ms",
		      (int64_t)vs.capture_dropped_ms);
	cast_json_bool(j, "audio_finished", vs.finished);
	cast_json_hist_ms(j, "audio_encode_ms", &vs.encode_us);
	cast_json_int(j, "audio_signed_packets", (int64_t)vs.signed_packets);
	cast_json_int(j, "audio_auth_bytes", (int64_t)vs.auth_bytes);
	cast_json_num(j, "audio_sign_ms", (double)vs.sign_us / 1000.0);
}

static struct cast_screens *screens;	/* students' screens (ctl demo…) */
static struct cast_film *film;		/* a film to some students */
static struct console_pics *pics;	/* their pictures, for the console */

static void write_stats(FILE *f, struct cast_sender *s,
			struct cast_recorder *rec,
			struct cast_voice_sender *voice,
			struct cast_teacher_ctl *ctl, struct cast_class *cls,
			struct cast_board *board, struct console *con,
			struct cast_meter *m,
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
	cast_json_bool(&j, "broadcasting", st.active);
	cast_json_int(&j, "broadcast_stops", (int64_t)st.stops);
	cast_json_int(&j, "frames_captured", (int64_t)st.frames_captured);
	cast_json_int(&j, "frames_sent", (int64_t)st.frames_sent);
	cast_json_int(&j, "frames_still", (int64_t)st.frames_still);
	cast_json_int(&j, "frames_repeated", (int64_t)st.frames_repeated);
	cast_json_int(&j, "keyframes", (int64_t)st.keyframes);
	cast_json_int(&j, "packets_sent", (int64_t)st.packets_sent);
	cast_json_int(&j, "bytes_sent", (int64_t)st.bytes_sent);
	cast_json_int(&j, "send_errors", (int64_t)st.send_errors);
	cast_json_int(&j, "max_frame_bytes", (int64_t)st.max_frame_bytes);
	cast_json_int(&j, "auth_packets", (int64_t)st.auth_packets);
	cast_json_int(&j, "auth_bytes", (int64_t)st.auth_bytes);
	cast_json_int(&j, "feedback_packets", (int64_t)st.feedback_packets);
	cast_json_int(&j, "feedback_rejected", (int64_t)st.feedback_rejected);
	cast_json_int(&j, "nacks_received", (int64_t)st.nacks_received);
	cast_json_int(&j, "nacks_suppressed", (int64_t)st.nacks_suppressed);
	cast_json_int(&j, "nacks_too_old", (int64_t)st.nacks_too_old);
	cast_json_int(&j, "packets_retransmitted",
		      (int64_t)st.packets_retransmitted);
	cast_json_int(&j, "retransmit_bytes", (int64_t)st.retransmit_bytes);
	cast_json_int(&j, "repairs_coded", (int64_t)st.repairs_coded);
	cast_json_bool(&j, "repair_rounds", st.repair_rounds);
	cast_json_int(&j, "fec_packets", (int64_t)st.fec_packets);
	cast_json_int(&j, "plis_received", (int64_t)st.plis_received);
	cast_json_int(&j, "plis_coalesced", (int64_t)st.plis_coalesced);
	cast_json_int(&j, "keyframes_forced", (int64_t)st.keyframes_forced);
	cast_json_int(&j, "students_heard", st.students);
	cast_json_int(&j, "unicast_targets", st.unicast_targets);
	cast_json_int(&j, "unicast_refused", (int64_t)st.unicast_refused);
	cast_json_int(&j, "repairs_refused_stale",
		      (int64_t)st.repairs_refused_stale);
	cast_json_int(&j, "refreshes_for_stale",
		      (int64_t)st.refreshes_for_stale);
	cast_json_int(&j, "repairs_refused_rate",
		      (int64_t)st.repairs_refused_rate);
	cast_json_num(&j, "fps", r.fps);
	cast_json_num(&j, "bitrate_kbps", r.bitrate_kbps);
	cast_json_num(&j, "cpu_pct", r.cpu_pct);
	cast_json_hist_ms(&j, "capture_ms", &st.capture_us);
	cast_json_hist_ms(&j, "convert_ms", &st.convert_us);
	cast_json_hist_ms(&j, "encode_ms", &st.encode_us);
	if (voice)
		write_voice(&j, voice);
	cast_json_hist_ms(&j, "sign_ms", &st.sign_us);
	{
		struct cast_media_share_stats ms;

		/* A live or RTSP film's picture or sound that fell behind
		 * its source (received once, shared). */
		cast_media_share_stats(&ms);
		cast_json_int(&j, "shared_video_dropped",
			      (int64_t)ms.video_dropped);
		cast_json_int(&j, "shared_audio_dropped",
			      (int64_t)ms.audio_dropped);
	}
	if (ctl) {
		struct cast_teacher_ctl_stats cs;

		cast_teacher_ctl_stats(ctl, &cs);
		cast_json_obj(&j, "control");
		cast_json_int(&j, "students_online", cs.students_online);
		cast_json_int(&j, "joins", (int64_t)cs.joins);
		cast_json_int(&j, "leaves", (int64_t)cs.leaves);
		cast_json_int(&j, "auth_failures", (int64_t)cs.auth_failures);
		cast_json_int(&j, "protocol_errors",
			      (int64_t)cs.protocol_errors);
		cast_json_int(&j, "beacons_sent", (int64_t)cs.beacons_sent);
		cast_json_end(&j);
	}
	if (cls)
		cast_class_json(cls, &j);
	cast_screens_json(screens, &j);
	cast_film_json(film, &j);
	if (board) {
		struct cast_board_stats bs;

		cast_board_stats(board, &bs);
		cast_json_obj(&j, "board");
		cast_json_bool(&j, "on", cast_board_on(board));
		cast_json_int(&j, "composited", (int64_t)bs.composited);
		cast_json_int(&j, "renders", (int64_t)bs.renders);
		cast_json_end(&j);
	}
	cast_recorder_json(rec, &j);
	write_students(&j, s, ctl);
	if (con)
		console_json(con, &j);
	if (final)
		cast_json_bool(&j, "final", true);
	cast_json_end(&j);
	cast_json_write(&j, f);
	cast_json_free(&j);
}

int main(int argc, char **argv)
{
	struct teacher t;
	struct cast_sender *s = NULL;
	struct cast_voice_sender *voice = NULL;
	struct cast_voice_ctl *vctl = NULL;
	struct cast_broadcast_ctl *bctl = NULL;
	struct cast_teacher_ctl *ctl = NULL;
	struct cast_class *cls = NULL;
	struct cast_board *board = NULL;
	struct cast_ctl_server *board_srv = NULL;
	struct cast_key key;
	struct cast_media_key media_key;
	struct cast_meter meter;
	FILE *stats = NULL;
	struct cast_options_cfg oc;
	struct console *con = NULL;
	struct console_cfg ccon;
	char why[1024], sdp[4096], sock[512] = "";
	int err;
	int64_t start, next_stats;

	if (argc > 1 && (!strcmp(argv[1], "keygen") || !strcmp(argv[1], "trust") ||
			 !strcmp(argv[1], "revoke") || !strcmp(argv[1], "rotate")))
		return cmd_keys(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	memset(&t, 0, sizeof(t));
	cast_sender_cfg_init(&t.cfg);
	snprintf(t.source, sizeof(t.source), "testpattern");
	cast_options_cfg_init(&oc);
	oc.own = options;
	oc.cb = set_option;
	oc.arg = &t;
	if (cast_options_new(&opts, &oc)) {
		fprintf(stderr, "cast-teacher: out of memory\n");
		return 1;
	}
	atexit(free_options);
	err = cast_options_parse(opts, argc, argv, why, sizeof(why));
	if (err) {
		fprintf(stderr, "cast-teacher: %s\n", why);
		if (err == CAST_EUSAGE)
			usage(stderr);
		return 2;
	}
	t.common = *cast_options_common(opts);
	if (t.common.help || t.common.version) {
		if (t.common.help)
			usage(stdout);
		else
			printf("cast-teacher %s\n", cast_version());
		return 0;
	}
	t.cfg.channel = t.common.channel;
	t.cfg.iface = t.common.iface;
	t.cfg.insecure = t.common.insecure;
	t.cfg.capture.backend = t.source;
	t.cfg.capture.device = t.device[0] ? t.device : NULL;
	/* Network cinema: a film's own sound is the class's, unless --voice
	 * says otherwise (none, the microphone, another file). */
	if (!t.voice_set && !strcmp(t.source, "file") &&
	    cast_audio_file_probe(t.device) == 1) {
		snprintf(t.voice, sizeof(t.voice), "file");
		snprintf(t.voice_path, sizeof(t.voice_path), "%s", t.device);
	}

	if (t.common.stats_path) {
		stats = strcmp(t.common.stats_path, "-")
				? fopen(t.common.stats_path, "w")
				: stdout;
		if (!stats) {
			fprintf(stderr, "cast-teacher: --stats %s: %s\n",
				t.common.stats_path, strerror(errno));
			return 1;
		}
	}
	memset(&ccon, 0, sizeof(ccon));
	if (!t.cfg.insecure) {
		if (load_key(&t, &key))
			return 1;
		if (!t.common.channel_set && own_channel(&t, &key))
			return 1;
		/* What a student PC needs, for the console's setup panel. */
		snprintf(ccon.key_code, sizeof(ccon.key_code), "%s", key.code);
		if (key.n_teachers > 0)
			cast_key_fingerprint_code(
				key.teachers[key.n_teachers - 1],
				ccon.teacher_code);
		if (t.first_run)
			fprintf(stderr, "cast-teacher: students join with: "
					"cast-student --channel %d --key-code "
					"%s --teacher-code %s\n",
				t.cfg.channel, ccon.key_code,
				ccon.teacher_code);
		if (cast_random(&media_key, sizeof(media_key))) {
			fprintf(stderr, "cast-teacher: no randomness\n");
			return 1;
		}
		t.cfg.media_key = &media_key;
		t.cfg.sign_key = &key;
	}
	/* The whiteboard (F8), blended into every picture before encoding;
	 * off until `ctl board on`. */
	if (cast_board_new(&board, NULL)) {
		fprintf(stderr, "cast-teacher: out of memory\n");
		return 1;
	}
	t.cfg.overlay = cast_board_composite;
	t.cfg.overlay_arg = board;
	{
		struct cast_recorder_cfg rc;

		cast_recorder_cfg_init(&rc);
		rc.folder = t.record_dir;
		rc.title = t.lesson;
		rc.need_keyframe = recorder_keyframe;
		rc.audio = t.voice[0] != 0;	/* the voice's Opus, as sent */
		rc.arg = &t;
		if (cast_recorder_new(&t.rec, &rc)) {
			fprintf(stderr, "cast-teacher: out of memory\n");
			return 1;
		}
	}
	t.cfg.on_packet = tap_packet;
	t.cfg.packet_arg = &t;
	/* A file whose H.264 fits the class goes out as it is (replay);
	 * anything else is decoded and encoded again. */
	if (!strcmp(t.source, "file")) {
		struct cast_replay_cfg pc;

		/* Network cinema: the picture and the film's own sound
		 * follow one clock (`ctl cinema`). */
		err = cast_cinema_new(&t.cinema, t.device);
		if (err) {
			fprintf(stderr, "cast-teacher: --source file:%s: %s\n",
				t.device, cast_strerror(err));
			cast_recorder_free(&t.rec);
			return 1;
		}
		t.cfg.capture.cinema = t.cinema;
		cast_replay_cfg_init(&pc);
		pc.path = t.device;
		pc.loop = t.cfg.capture.loop;
		pc.cinema = t.cinema;
		pc.max_width = t.cfg.encoder.width ? t.cfg.encoder.width
						   : t.cfg.fit_width;
		pc.max_height = t.cfg.encoder.height ? t.cfg.encoder.height
						     : t.cfg.fit_height;
		err = cast_replay_new(&t.replay, &pc);
		if (err && err != CAST_ERROR(ENOTSUP)) {
			fprintf(stderr, "cast-teacher: --source file:%s: %s\n",
				t.device, cast_strerror(err));
			cast_recorder_free(&t.rec);
			return 1;
		}
		t.cfg.replay = t.replay;
		cast_cinema_set_passthrough(t.cinema, t.replay != NULL);
	}
	err = cast_sender_new(&s, &t.cfg);
	if (err) {
		fprintf(stderr, "cast-teacher: cannot start %s broadcast: %s\n",
			t.source, cast_strerror(err));
		cast_board_free(&board);
		cast_recorder_free(&t.rec);
		return 1;
	}
	t.sender = s;
	{
		struct cast_sender_stats st;

		cast_sender_stats(s, &st);
		cast_board_set_size(board, st.width, st.height);
	}
	if (t.record_path) {
		err = cast_recorder_start(t.rec, t.record_path);
		if (err) {
			fprintf(stderr, "cast-teacher: --record %s: %s\n",
				t.record_path, cast_strerror(err));
			cast_sender_free(&s);
			cast_recorder_free(&t.rec);
			cast_board_free(&board);
			return 1;
		}
	}
	if (t.voice[0]) {
		struct cast_voice_sender_cfg vc;

		cast_voice_sender_cfg_init(&vc);
		vc.channel = t.cfg.channel;
		vc.iface = t.cfg.iface;
		vc.insecure = t.cfg.insecure;
		vc.media_key = t.cfg.media_key;
		vc.sign_key = t.cfg.sign_key;
		vc.unsigned_media = t.cfg.unsigned_media;
		vc.source = t.voice;
		vc.path = t.voice_path[0] ? t.voice_path : NULL;
		if (t.voice_bitrate)
			vc.opus.bitrate = t.voice_bitrate;
		/* The film's sound follows the film's clock: pauses, seeks
		 * and loops with its picture. */
		if (t.cinema && !strcmp(t.voice, "file") &&
		    !strcmp(t.voice_path, t.device))
			vc.cinema = t.cinema;
		vc.on_opus = tap_opus;
		vc.opus_arg = &t;
		err = cast_voice_sender_new(&voice, &vc);
		if (err) {
			fprintf(stderr, "cast-teacher: cannot start the voice "
					"(%s%s%s): %s\n",
				t.voice, t.voice_path[0] ? ":" : "",
				t.voice_path, cast_strerror(err));
			cast_sender_free(&s);
			cast_recorder_free(&t.rec);
			cast_board_free(&board);
			return 1;
		}
	}
	if (!t.cfg.insecure) {
		struct cast_teacher_ctl_cfg cc;
		struct cast_sender_stats st;

		cast_sender_stats(s, &st);
		cast_teacher_ctl_cfg_init(&cc);
		cc.channel = t.cfg.channel;
		cc.key = &key;
		cc.iface = t.cfg.iface;
		cc.ctl_socket = t.ctl_socket;
		/* Students that start or rejoin find the teacher within 0.25 s
		 * (70 bytes each: nothing on a LAN). */
		cc.beacon_interval_ms = 250;
		cc.media.key = media_key;
		cc.media.ssrc = st.ssrc;
		cc.media.channel = (uint16_t)t.cfg.channel;
		cast_channel_group(t.cfg.channel, cc.media.group,
				   sizeof(cc.media.group));
		cc.media.port = (uint16_t)cast_channel_port(t.cfg.channel,
							    CAST_PORT_VIDEO);
		{
			struct cast_class_cfg ccfg;
			char settings[1024], db[1024], hw[1024];
			const char *home = getenv("HOME");

			snprintf(settings, sizeof(settings), "%s/.config",
				 home ? home : ".");
			mkdir(settings, 0700);
			snprintf(settings, sizeof(settings),
				 "%s/.config/libcast", home ? home : ".");
			mkdir(settings, 0700);
			snprintf(settings, sizeof(settings),
				 "%s/.config/libcast/console.conf",
				 home ? home : ".");
			cast_class_cfg_init(&ccfg);
			ccfg.channel = t.cfg.channel;
			ccfg.iface = t.cfg.iface;
			ccfg.wol_addr = t.wol_addr;
			ccfg.wol_port = t.wol_port;
			ccfg.settings_path = settings;
			snprintf(db, sizeof(db), "%s/.local", home ? home : ".");
			mkdir(db, 0700);
			snprintf(db, sizeof(db), "%s/.local/share",
				 home ? home : ".");
			mkdir(db, 0700);
			snprintf(db, sizeof(db), "%s/.local/share/libcast",
				 home ? home : ".");
			mkdir(db, 0700);
			snprintf(db, sizeof(db),
				 "%s/.local/share/libcast/teacher.db",
				 home ? home : ".");
			ccfg.roster_path = t.db_path ? t.db_path : db;
			snprintf(hw, sizeof(hw), "%s/libcast", home ? home : ".");
			mkdir(hw, 0700);
			snprintf(hw, sizeof(hw), "%s/libcast/homework",
				 home ? home : ".");
			ccfg.homework_root = t.homework_dir ? t.homework_dir : hw;
			ccfg.lesson = t.lesson;
			err = cast_class_new(&cls, &ccfg);
			if (err) {
				cast_sender_free(&s);
				cast_board_free(&board);
				cast_voice_sender_free(&voice);
				return 1;
			}
		}
		err = cast_class_add_verb(cls, "board", cast_board_ctl, board);
		if (err) {
			fprintf(stderr, "cast-teacher: board verb: %s\n",
				cast_strerror(err));
			cast_class_free(&cls);
			cast_voice_ctl_free(&vctl);
			cast_broadcast_ctl_free(&bctl);
			cast_sender_free(&s);
			cast_board_free(&board);
			cast_voice_sender_free(&voice);
			return 1;
		}
		if (voice && (cast_voice_ctl_new(&vctl, cls, voice) ||
			      cast_class_add_verb(cls, "voice", cast_voice_ctl,
						  vctl)))
			fprintf(stderr, "cast-teacher: ctl voice unavailable\n");
		if (cast_broadcast_ctl_new(&bctl, cls, s, t.rec) ||
		    cast_class_add_verb(cls, "broadcast", cast_broadcast_ctl,
					bctl))
			fprintf(stderr, "cast-teacher: ctl broadcast "
					"unavailable\n");
		err = cast_class_add_verb(cls, "record", cast_recorder_ctl,
					  t.rec);
		if (err) {
			fprintf(stderr, "cast-teacher: record verb: %s\n",
				cast_strerror(err));
			cast_class_free(&cls);
			cast_voice_ctl_free(&vctl);
			cast_broadcast_ctl_free(&bctl);
			cast_sender_free(&s);
			cast_recorder_free(&t.rec);
			return 1;
		}
		{
			struct cast_screens_cfg sc;
			static const char *const verbs[] = {"demo", "wall",
							    "control", "input"};

			cast_screens_cfg_init(&sc);
			sc.cls = cls;
			/* The console's tiles and control view: only when it
			 * will open (a headless teacher copies no picture). */
			if (!t.common.headless &&
			    (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY")) &&
			    !console_pics_new(&pics)) {
				sc.on_frame = console_on_frame;
				sc.arg = pics;
			}
			sc.channel = t.cfg.channel;
			sc.iface = t.cfg.iface;
			err = cast_screens_new(&screens, &sc);
			for (size_t i = 0; !err && i < 4; i++)
				err = cast_class_add_verb(cls, verbs[i],
							  cast_screens_ctl,
							  screens);
			if (err)
				fprintf(stderr, "cast-teacher: students' "
					"screens unavailable: %s\n",
					cast_strerror(err));
		}
		{
			/* Network cinema: a film to some students (a stream
			 * of its own), and the broadcast's own film. */
			struct cast_film_cfg fc;

			cast_film_cfg_init(&fc);
			fc.screens = screens;
			fc.base = &t.cfg;
			fc.broadcast = t.cinema;
			fc.audio_bitrate = t.voice_bitrate;
			if (screens && cast_film_new(&film, &fc))
				fprintf(stderr, "cast-teacher: films to some "
					"students unavailable\n");
			/* Without a film it answers that none is playing. */
			if (film ? cast_class_add_verb(cls, "cinema",
						       cast_film_ctl, film)
				 : cast_class_add_verb(cls, "cinema",
						       cast_cinema_ctl,
						       t.cinema))
				fprintf(stderr, "cast-teacher: ctl cinema "
					"unavailable\n");
		}
		cc.on_student_event = cast_class_event;
		cc.on_ctl_command = cast_class_ctl;
		cc.arg = cls;
		err = cast_teacher_ctl_new(&ctl, &cc);
		if (!err) {
			cast_class_set_ctl(cls, ctl);
			cast_board_set_ctl(board, ctl);
			cast_screens_set_ctl(screens, ctl);
			cast_film_set_ctl(film, ctl);
		}
		cast_key_wipe(&key);
		if (err) {
			fprintf(stderr,
				"cast-teacher: cannot open the class control "
				"(channel %d): %s%s\n",
				t.cfg.channel, cast_strerror(err),
				err == CAST_ERROR(EADDRINUSE)
					? " (another teacher on this channel?)"
					: "");
			cast_sender_free(&s);
			cast_board_free(&board);
			cast_voice_sender_free(&voice);
			return 1;
		}
	}
	if (t.cfg.insecure) {
		/* No class without keys, but the whiteboard stays scriptable
		 * (interop tests draw on what third-party clients see). */
		char path[512];

		if (t.ctl_socket)
			snprintf(path, sizeof(path), "%s", t.ctl_socket);
		else if (cast_ctl_socket_path(t.cfg.channel, path, sizeof(path)))
			path[0] = 0;
		err = path[0] ? cast_ctl_server_new(&board_srv, path,
						    insecure_ctl, board)
			      : CAST_ERROR(ENAMETOOLONG);
		if (err)
			fprintf(stderr, "cast-teacher: no ctl socket (%s): "
					"the whiteboard is not scriptable\n",
				cast_strerror(err));
	}
	if (t.sdp_path) {
		FILE *f;

		if (!t.cfg.insecure) {
			fprintf(stderr, "cast-teacher: --sdp describes a plain "
					"RTP stream: it needs --insecure\n");
			cast_teacher_ctl_free(&ctl);
			cast_class_free(&cls);
			cast_voice_ctl_free(&vctl);
			cast_broadcast_ctl_free(&bctl);
			cast_sender_free(&s);
			cast_board_free(&board);
			cast_voice_sender_free(&voice);
			return 2;
		}
		err = cast_sender_sdp(s, sdp, sizeof(sdp));
		/* The sound too (the voice, or a film's own). */
		if (err >= 0 && voice)
			err = cast_voice_sender_sdp(voice, sdp, sizeof(sdp));
		f = err < 0 ? NULL : fopen(t.sdp_path, "w");
		if (!f || fputs(sdp, f) < 0 || fclose(f)) {
			fprintf(stderr, "cast-teacher: --sdp %s: cannot write\n",
				t.sdp_path);
			cast_teacher_ctl_free(&ctl);
			cast_class_free(&cls);
			cast_voice_ctl_free(&vctl);
			cast_broadcast_ctl_free(&bctl);
			cast_sender_free(&s);
			cast_board_free(&board);
			cast_voice_sender_free(&voice);
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	cast_meter_init(&meter, 0, 0);
	err = cast_sender_start(s);
	if (!err && voice)
		err = cast_voice_sender_start(voice);
	if (err) {
		fprintf(stderr, "cast-teacher: %s\n", cast_strerror(err));
		cast_teacher_ctl_free(&ctl);
		cast_class_free(&cls);
		cast_voice_ctl_free(&vctl);
		cast_broadcast_ctl_free(&bctl);
		cast_sender_free(&s);
		cast_board_free(&board);
		cast_voice_sender_free(&voice);
		return 1;
	}
	/* The console: with a display, unless --headless (scripts, tests). */
	if (!t.common.headless && cls &&
	    (getenv("DISPLAY") || getenv("WAYLAND_DISPLAY"))) {
		if (!t.ctl_socket)
			cast_ctl_socket_path(t.cfg.channel, sock, sizeof(sock));
		ccon.cls = cls;
		ccon.sender = s;
		ccon.ctl = ctl;
		ccon.ctl_socket = t.ctl_socket ? t.ctl_socket : sock;
		ccon.channel = t.cfg.channel;
		ccon.width = t.console_w;
		ccon.height = t.console_h;
		ccon.ui_scale = t.ui_scale;
		ccon.lang = t.console_lang;
		ccon.key_path = t.key_file;
		ccon.first_run = t.first_run;
		ccon.board = board;
		ccon.voice = voice != NULL;
		ccon.pics = screens ? pics : NULL;
		/* The broadcast is this very screen: keep the console out. */
		ccon.own_screen =
			!strcmp(t.source, "x11") &&
			(!t.device[0] ||
			 (getenv("DISPLAY") && !strcmp(t.device, getenv("DISPLAY"))));
		if (console_new(&con, &ccon))
			fprintf(stderr, "cast-teacher: broadcasting without "
					"the console window\n");
	}
	start = cast_mono_us();
	next_stats = start + 1000000;
	while (!quit) {
		struct cast_sender_stats st;
		int64_t now = cast_mono_us();

		if (t.common.duration > 0 &&
		    now - start >= (int64_t)(t.common.duration * 1e6))
			break;
		cast_sender_stats(s, &st);
		if (st.finished)
			break;
		if (now >= next_stats) {
			if (stats)
				write_stats(stats, s, t.rec, voice, ctl, cls,
					    board, con, &meter,
					    (double)(now - start) / 1e6, false);
			else if (!t.common.headless && !con)
				fprintf(stderr,
					"\rcast-teacher: %llu frames sent",
					(unsigned long long)st.frames_sent);
			next_stats += 1000000;
		}
		if (con) {
			if (!console_step(con, 20))
				break;
		} else {
			usleep(20000);
		}
	}
	cast_sender_stop(s);
	cast_voice_sender_stop(voice);
	/* Everything sent is in the file before the last stats line. */
	err = cast_recorder_stop(t.rec, true);
	if (err && err != CAST_ERROR(ENOENT))
		fprintf(stderr, "cast-teacher: recording: %s\n",
			cast_strerror(err));
	if (stats) {
		write_stats(stats, s, t.rec, voice, ctl, cls, board, con,
			    &meter,
			    (double)(cast_mono_us() - start) / 1e6, true);
		if (stats != stdout)
			fclose(stats);
	}
	console_free(&con);
	/* Students' streams (and a film's viewers) end before the class
	 * they answer through. */
	cast_film_free(&film);
	cast_screens_free(&screens);
	console_pics_free(&pics);
	/* The class's worker must not answer through a freed control plane. */
	if (cls)
		cast_class_set_ctl(cls, NULL);
	cast_board_set_ctl(board, NULL);
	cast_ctl_server_free(&board_srv);
	cast_teacher_ctl_free(&ctl);
	cast_class_free(&cls);
	cast_voice_ctl_free(&vctl);
	cast_broadcast_ctl_free(&bctl);
	cast_sender_free(&s);
	cast_board_free(&board);
	cast_voice_sender_free(&voice);
	cast_recorder_free(&t.rec);
	cast_replay_free(&t.replay);
	cast_cinema_free(&t.cinema);
	return 0;
}
