/* Test attacker: joins a class as a student, then forges SRTP media with its key. */
/*
 * What a student PC with root can do with what its agent knows: it joins
 * the class (class code), receives the SRTP media key in WELCOME like any
 * student, and sends H.264 frames of its own on the class's group, validly
 * SRTP-protected. With --sign it also sends auth packets signed by a key of
 * its own (a teacher the class does not list). Used by
 * tests/integration/test_media_forgery.sh; prints one JSON line at exit.
 *
 * With --nack old|live it sends no media but floods the teacher with
 * validly SRTCP-protected feedback, 50 a second, each asking for 128
 * packets: long gone ones (old: 4000 packets back) or the newest (live),
 * as a student asking for more repair than anyone needs
 * (tests/integration/test_repair_live.sh, bench/dos.sh).
 *
 * With --audio it sends, instead of video, a loud 1 kHz tone as the voice:
 * Opus in RTP (payload type 111), 20 ms a packet, validly SRTP-protected,
 * on the channel's audio port (with --sign, each packet signed, payload type
 * 112, as the teacher's voice; tests/integration/test_voice_forgery.sh).
 *
 * With --wait-file PATH it joins at once but waits for PATH to exist
 * before it starts (a test's trigger: joining may take seconds on a loaded
 * machine).
 *
 * Usage: cast_forge --key FILE --channel N [--duration SEC] [--fps N]
 *                   [--size WxH] [--sign] [--nack old|live]
 *                   [--audio] [--wait-file PATH]
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cast/cast.h"

struct forge {
	pthread_mutex_t lock;
	bool have_key;
	struct cast_media_params media;
};

static void on_welcome(const struct cast_media_params *m, void *arg)
{
	struct forge *f = arg;

	pthread_mutex_lock(&f->lock);
	f->media = *m;
	f->have_key = true;
	pthread_mutex_unlock(&f->lock);
}

struct out {
	struct cast_srtp *srtp;
	struct cast_udp *udp;
	uint64_t packets, bytes;
	uint8_t hashes[4096][CAST_MAUTH_HASH_LEN];
	int n_hashes;
	uint64_t first;
	bool have_first;
};

static void send_pkt(const uint8_t *pkt, size_t len, void *arg)
{
	struct out *o = arg;
	uint8_t buf[CAST_RTP_MAX_PKT + CAST_SRTP_OVERHEAD];

	if (len > CAST_RTP_MAX_PKT)
		return;
	if ((pkt[1] & 0x7f) != CAST_RTP_PT_AUTH && o->n_hashes < 4096) {
		if (!o->n_hashes)
			o->first = (uint16_t)(pkt[2] << 8 | pkt[3]);
		cast_mauth_hash(pkt, len, o->hashes[o->n_hashes++]);
	}
	memcpy(buf, pkt, len);
	if (cast_srtp_protect(o->srtp, buf, &len, sizeof(buf)))
		return;
	if (cast_udp_send(o->udp, buf, len) > 0) {
		o->packets++;
		o->bytes += len;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: cast_forge --key FILE --channel N "
			"[--duration SEC] [--fps N] [--size WxH] [--sign] "
			"[--nack old|live] [--audio] [--wait-file PATH]\n");
}

/* The forged voice: a tone no speech has, for `duration` s. Returns the
 * audio packets sent (each signed with `sk` when `sign`). */
static uint64_t forge_audio(struct out *o, int channel, bool sign,
			    const uint8_t sk[64],
			    const struct cast_media_key *key, double duration)
{
	uint8_t session[CAST_VOICE_SESSION_LEN];
	struct cast_opus_enc *enc = NULL;
	struct cast_opus_enc_cfg ec;
	struct cast_opus_packetizer *pack = NULL;
	struct cast_opus_packetizer_cfg pc;
	int16_t pcm[CAST_AUDIO_FRAME];
	uint8_t opus[CAST_OPUS_MAX_PACKET];
	uint8_t pkt[CAST_RTP_MAX_PKT];
	uint64_t frames = 0, sample = 0;
	uint32_t ts = 0x4321;
	int64_t t0 = cast_mono_us();
	int n;

	cast_opus_enc_cfg_init(&ec);
	cast_opus_packetizer_cfg_init(&pc);
	pc.channel = (uint16_t)channel;
	if (sign) {
		/* Even bound to this lesson's key: still not the teacher's. */
		cast_voice_session(key, session);
		pc.sign_sk = sk;
		pc.sign_session = session;
	}
	if (cast_opus_enc_new(&enc, &ec) ||
	    cast_opus_packetizer_new(&pack, &pc))
		goto out;
	while (cast_mono_us() - t0 < (int64_t)(duration * 1e6)) {
		for (int i = 0; i < CAST_AUDIO_FRAME; i++, sample++)
			pcm[i] = (int16_t)(20000 *
					   sin(2 * M_PI * 1000 *
					       (double)sample / CAST_AUDIO_RATE));
		n = cast_opus_encode(enc, pcm, opus, sizeof(opus));
		if (n > 0)
			n = cast_opus_packetize(pack, opus, (size_t)n, ts, pkt,
						sizeof(pkt));
		if (n > 0) {
			send_pkt(pkt, (size_t)n, o);
			frames++;
		}
		o->n_hashes = 0;
		ts += CAST_AUDIO_FRAME;
		/* Paced on the clock, as a voice is: 50 a second however
		 * slow each round was on a loaded machine. */
		{
			int64_t due = t0 + (int64_t)(sample / CAST_AUDIO_FRAME) *
						   CAST_AUDIO_FRAME_US,
				now = cast_mono_us();

			if (due > now)
				usleep((useconds_t)(due - now));
		}
	}
out:
	cast_opus_packetizer_free(&pack);
	cast_opus_enc_free(&enc);
	return frames;
}

/* Watches the group for the teacher's newest sequence number and asks it
 * for repairs it should not give. Returns the feedback packets sent. */
static uint64_t nack_flood(const struct cast_media_params *m, int channel,
			   bool old, double duration)
{
	struct cast_udp *rx = NULL, *tx = NULL;
	struct cast_srtp *srtcp = NULL;
	struct cast_udp_cfg uc;
	struct cast_rtcp_fb fb;
	uint8_t buf[2048];
	uint32_t from, teacher = 0, ssrc = 0, own = 0x0bad0bad;
	uint16_t seq = 0;
	uint64_t sent = 0;
	int64_t t0 = cast_mono_us(), next = t0;
	int n;

	/* Its own SSRC, as each student has: SRTCP keeps a replay window
	 * per SSRC. */
	cast_random(&own, sizeof(own));
	cast_udp_cfg_init(&uc);
	uc.group = m->group;
	uc.port = m->port;
	if (cast_udp_new(&rx, &uc))
		return 0;
	cast_udp_cfg_init(&uc);
	uc.multicast_all = false;
	if (cast_udp_new(&tx, &uc) ||
	    cast_srtp_new(&srtcp, CAST_SRTP_SENDER, &m->key))
		goto out;
	while (cast_mono_us() - t0 < (int64_t)(duration * 1e6)) {
		n = cast_udp_recv(rx, buf, sizeof(buf), 5, &from, NULL);
		/* SRTP leaves the header in the clear. */
		if (n >= 12 && (buf[0] & 0xc0) == 0x80 && buf[1] < 192) {
			seq = (uint16_t)(buf[2] << 8 | buf[3]);
			ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
			       (uint32_t)buf[10] << 8 | buf[11];
			teacher = from;
		}
		if (!teacher || cast_mono_us() < next)
			continue;
		next += 20000;
		memset(&fb, 0, sizeof(fb));
		fb.has_rr = true;
		fb.rr.ssrc = own;
		fb.rr.media_ssrc = ssrc;
		fb.n_nack = CAST_RTCP_MAX_NACK;
		for (int i = 0; i < fb.n_nack; i++)
			fb.nack[i] = (uint16_t)(old ? seq - 4000 - i
						    : seq - fb.n_nack + i);
		n = cast_rtcp_write_fb(buf, sizeof(buf) - 64, &fb);
		if (n > 0) {
			size_t len = (size_t)n;

			if (!cast_srtp_protect_rtcp(srtcp, buf, &len,
						    sizeof(buf)) &&
			    cast_udp_send_to(tx, buf, len, teacher,
					     (uint16_t)cast_channel_port(
						     channel,
						     CAST_PORT_FEEDBACK)) > 0)
				sent++;
		}
	}
out:
	cast_srtp_free(&srtcp);
	cast_udp_free(&tx);
	cast_udp_free(&rx);
	return sent;
}

int main(int argc, char **argv)
{
	const char *key_path = NULL;
	int channel = 0, fps = 10, w = 640, h = 360;
	double duration = 5;
	bool sign = false, audio = false;
	const char *nack = NULL, *wait_file = NULL;
	struct forge f = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct cast_key key, fake;
	struct cast_student_ctl *ctl = NULL;
	struct cast_student_ctl_cfg cc;
	struct cast_encoder *enc = NULL;
	struct cast_encoder_cfg ec;
	struct cast_h264_packetizer *pack = NULL;
	struct cast_h264_packetizer_cfg pc;
	struct cast_udp_cfg uc;
	struct out *o = calloc(1, sizeof(*o));
	struct cast_frame fr;
	struct cast_packet pkt;
	uint8_t *img = NULL;
	uint64_t frames = 0, auths = 0;
	int64_t t0, deadline;
	uint32_t ts = 0x1234;
	int err = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key_path = argv[++i];
		else if (!strcmp(argv[i], "--channel") && i + 1 < argc)
			channel = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--duration") && i + 1 < argc)
			duration = atof(argv[++i]);
		else if (!strcmp(argv[i], "--fps") && i + 1 < argc)
			fps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			sscanf(argv[++i], "%dx%d", &w, &h);
		else if (!strcmp(argv[i], "--sign"))
			sign = true;
		else if (!strcmp(argv[i], "--audio"))
			audio = true;
		else if (!strcmp(argv[i], "--wait-file") && i + 1 < argc)
			wait_file = argv[++i];
		else if (!strcmp(argv[i], "--nack") && i + 1 < argc &&
			 (!strcmp(argv[i + 1], "old") ||
			  !strcmp(argv[i + 1], "live")))
			nack = argv[++i];
		else {
			usage();
			return 2;
		}
	}
	if (!o || !key_path || channel < 1 || fps < 1 || w < 16 || h < 16) {
		usage();
		return 2;
	}
	if (cast_key_load(&key, key_path))
		return 1;
	fake = key;
	if (sign && cast_key_new_signer(&fake)) {
		fprintf(stderr, "cast_forge: no signing key\n");
		return 1;
	}
	cast_student_ctl_cfg_init(&cc);
	cc.channel = channel;
	cc.key = &key;
	snprintf(cc.identity.presented_id, sizeof(cc.identity.presented_id),
		 "forger");
	cc.on_welcome = on_welcome;
	cc.arg = &f;
	if (cast_student_ctl_new(&ctl, &cc)) {
		fprintf(stderr, "cast_forge: cannot join\n");
		return 1;
	}
	deadline = cast_mono_us() + 15000000;
	for (;;) {
		bool have;

		pthread_mutex_lock(&f.lock);
		have = f.have_key;
		pthread_mutex_unlock(&f.lock);
		if (have)
			break;
		if (cast_mono_us() > deadline) {
			fprintf(stderr, "cast_forge: no WELCOME\n");
			goto out;
		}
		usleep(20000);
	}
	fprintf(stderr, "cast_forge: media key of channel %d obtained\n",
		channel);
	while (wait_file && access(wait_file, F_OK))
		usleep(20000);
	if (nack) {
		uint64_t n = nack_flood(&f.media, channel,
					!strcmp(nack, "old"), duration);

		printf("{\"key_obtained\":true,\"feedback_sent\":%llu,"
		       "\"final\":true}\n",
		       (unsigned long long)n);
		err = n ? 0 : 1;
		cast_student_ctl_free(&ctl);
		cast_key_wipe(&key);
		cast_key_wipe(&fake);
		free(o);
		return err;
	}
	if (cast_srtp_new(&o->srtp, CAST_SRTP_SENDER, &f.media.key))
		goto out;
	cast_udp_cfg_init(&uc);
	uc.dest_addr = f.media.group;
	uc.dest_port = f.media.port;
	if (audio)
		uc.dest_port = (uint16_t)cast_channel_port(channel,
							   CAST_PORT_AUDIO);
	if (cast_udp_new(&o->udp, &uc))
		goto out;
	if (audio) {
		frames = forge_audio(o, channel, sign, fake.sign_sk,
				     &f.media.key, duration);
		auths = sign ? frames : 0;
		err = frames ? 0 : 1;
		goto out;
	}
	cast_h264_packetizer_cfg_init(&pc);
	pc.channel = (uint16_t)channel;
	pc.mtu = CAST_RTP_MTU_DEFAULT - CAST_SRTP_OVERHEAD;
	cast_encoder_cfg_init(&ec);
	ec.width = w;
	ec.height = h;
	ec.fps = fps;
	ec.bitrate_kbps = 3000;
	ec.intra_refresh = false;
	ec.refresh_frames = 2;
	img = malloc((size_t)w * (size_t)h * 3 / 2);
	if (!img || cast_h264_packetizer_new(&pack, &pc) ||
	    cast_encoder_new(&enc, &ec))
		goto out;
	memset(&fr, 0, sizeof(fr));
	fr.fmt = CAST_PIX_I420;
	fr.width = w;
	fr.height = h;
	fr.data[0] = img;
	fr.data[1] = img + w * h;
	fr.data[2] = img + w * h + w * h / 4;
	fr.stride[0] = w;
	fr.stride[1] = fr.stride[2] = w / 2;
	fr.n_damage = -1;
	t0 = cast_mono_us();
	while (cast_mono_us() - t0 < (int64_t)(duration * 1e6)) {
		/* Noise: frames of many packets, as a screen would be. */
		for (size_t i = 0; i < (size_t)w * (size_t)h * 3 / 2; i++)
			img[i] = (uint8_t)rand();
		fr.capture_us = cast_now_us();
		if (cast_encoder_send_frame(enc, &fr))
			continue;
		while (!cast_encoder_receive_packet(enc, &pkt)) {
			o->n_hashes = 0;
			cast_h264_packetize(pack, pkt.data, pkt.size, ts,
					    send_pkt, o);
			frames++;
			for (int off = 0; sign && off < o->n_hashes;
			     off += CAST_MAUTH_MAX_HASHES) {
				uint8_t a[CAST_MAUTH_MAX_LEN];
				int n = o->n_hashes - off < CAST_MAUTH_MAX_HASHES
						? o->n_hashes - off
						: CAST_MAUTH_MAX_HASHES;
				uint64_t first = o->first + (uint64_t)off;
				int len = cast_mauth_write(
					a, sizeof(a),
					cast_h264_packetizer_ssrc(pack),
					(uint16_t)channel, first,
					(uint16_t)(cast_h264_packetizer_seq(
							   pack) -
						   (uint16_t)first),
					o->hashes[off], n, fake.sign_sk);

				if (len > 0 &&
				    cast_rtp_packetizer_send(pack,
							     CAST_RTP_PT_AUTH,
							     a, (size_t)len, ts,
							     send_pkt, o) > 0)
					auths++;
			}
		}
		ts += 90000 / (uint32_t)fps;
		usleep((useconds_t)(1000000 / fps));
	}
	err = 0;
out:
	printf("{\"key_obtained\":%s,\"frames_sent\":%llu,\"packets_sent\":%llu,"
	       "\"auth_sent\":%llu,\"final\":true}\n",
	       f.have_key ? "true" : "false", (unsigned long long)frames,
	       (unsigned long long)o->packets, (unsigned long long)auths);
	cast_encoder_free(&enc);
	cast_h264_packetizer_free(&pack);
	cast_udp_free(&o->udp);
	cast_srtp_free(&o->srtp);
	cast_student_ctl_free(&ctl);
	cast_key_wipe(&key);
	cast_key_wipe(&fake);
	free(img);
	free(o);
	return err;
}
