/* Voice: Opus, RFC 7587, jitter buffer, WAV writer, sources, picture hold. */
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
#include <sodium.h>

#include "cast/cast.h"

#define F CAST_AUDIO_FRAME_US

static void tone(int16_t *pcm, int frame)
{
	for (int i = 0; i < CAST_AUDIO_FRAME; i++) {
		double t = (double)(frame * CAST_AUDIO_FRAME + i) / 48000;

		pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * t));
	}
}

static double energy(const int16_t *pcm)
{
	double e = 0;

	for (int i = 0; i < CAST_AUDIO_FRAME; i++)
		e += (double)pcm[i] * pcm[i];
	return sqrt(e / CAST_AUDIO_FRAME);
}

static void opus_roundtrip_fec_plc(void **state)
{
	struct cast_opus_enc_cfg cfg;
	struct cast_opus_enc *e = NULL;
	struct cast_opus_dec *d = NULL;
	uint8_t pkt[50][CAST_OPUS_MAX_PACKET];
	int len[50];
	int16_t pcm[CAST_AUDIO_FRAME], out[CAST_AUDIO_FRAME];

	(void)state;
	cast_opus_enc_cfg_init(&cfg);
	assert_int_equal(cfg.bitrate, 32000);
	assert_true(cfg.fec);
	cfg.bitrate = 1000;
	assert_int_equal(cast_opus_enc_new(&e, &cfg), CAST_ERROR(EINVAL));
	assert_null(e);
	cast_opus_enc_cfg_init(&cfg);
	assert_int_equal(cast_opus_enc_new(&e, &cfg), 0);
	assert_int_equal(cast_opus_dec_new(&d), 0);
	for (int i = 0; i < 50; i++) {
		tone(pcm, i);
		len[i] = cast_opus_encode(e, pcm, pkt[i], sizeof(pkt[i]));
		assert_true(len[i] > 1 && len[i] < 400);
	}
	/* Decoded, then frame 30 rebuilt from 31's FEC, then concealed. */
	for (int i = 0; i < 30; i++)
		assert_int_equal(cast_opus_decode(d, pkt[i], (size_t)len[i],
						  false, out),
				 CAST_AUDIO_FRAME);
	assert_true(energy(out) > 3000);
	assert_int_equal(cast_opus_decode(d, pkt[31], (size_t)len[31], true,
					  out),
			 CAST_AUDIO_FRAME);
	assert_true(energy(out) > 1000);
	assert_int_equal(cast_opus_decode(d, NULL, 0, false, out),
			 CAST_AUDIO_FRAME);
	/* Garbage is concealment and an error, never a crash. */
	memset(pkt[0], 0xff, 20);
	assert_int_equal(cast_opus_decode(d, pkt[0], 20, false, out),
			 CAST_EMALFORMED);
	assert_int_equal(cast_opus_decode(d, pkt[0], 0, false, out),
			 CAST_AUDIO_FRAME);
	cast_opus_enc_free(&e);
	cast_opus_dec_free(&d);
	assert_null(e);
	assert_null(d);
}

static void rtp_packetize_parse(void **state)
{
	struct cast_opus_packetizer_cfg cfg;
	struct cast_opus_packetizer *p = NULL;
	struct cast_rtp_hdr h;
	uint8_t opus[CAST_OPUS_MAX_PACKET + 1], pkt[1600];
	uint32_t packets, octets;
	int n;

	(void)state;
	memset(opus, 0x5a, sizeof(opus));
	cast_opus_packetizer_cfg_init(&cfg);
	cfg.channel = 7;
	cfg.first_seq = 65535;
	cfg.ssrc = 0x11223344;
	assert_int_equal(cast_opus_packetizer_new(&p, &cfg), 0);
	n = cast_opus_packetize(p, opus, 60, 1000, pkt, sizeof(pkt));
	assert_int_equal(n, 12 + 8 + 60);
	assert_int_equal(cast_opus_rtp_parse(pkt, (size_t)n, 7, &h), 0);
	assert_int_equal(h.pt, CAST_RTP_PT_OPUS);
	assert_true(h.marker);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.ts, 1000);
	assert_int_equal(h.ssrc, 0x11223344);
	assert_int_equal(h.channel, 7);
	assert_int_equal(h.payload_len, 60);
	assert_memory_equal(h.payload, opus, 60);
	/* The next: no marker, sequence wraps. */
	n = cast_opus_packetize(p, opus, 3, 1960, pkt, sizeof(pkt));
	assert_int_equal(cast_opus_rtp_parse(pkt, (size_t)n, 0, &h), 0);
	assert_false(h.marker);
	assert_int_equal(h.seq, 0);
	/* Another channel's packet; a channel-less one when one is asked. */
	assert_int_equal(cast_opus_rtp_parse(pkt, (size_t)n, 8, &h),
			 CAST_ERROR(EXDEV));
	/* Sizes: empty and oversize refused, no room refused. */
	assert_int_equal(cast_opus_packetize(p, opus, 0, 0, pkt, sizeof(pkt)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_opus_packetize(p, opus, sizeof(opus), 0, pkt,
					     sizeof(pkt)),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_opus_packetize(p, opus, 60, 0, pkt, 40),
			 CAST_ERROR(ENOSPC));
	cast_opus_packetizer_counts(p, &packets, &octets);
	assert_int_equal(packets, 2);
	assert_int_equal(octets, 63);
	/* Not Opus: another payload type, no payload, not RTP. */
	pkt[1] = 96;
	assert_int_equal(cast_opus_rtp_parse(pkt, (size_t)n, 0, &h),
			 CAST_EMALFORMED);
	pkt[1] = CAST_RTP_PT_OPUS;
	assert_int_equal(cast_opus_rtp_parse(pkt, 20, 0, &h), CAST_EMALFORMED);
	pkt[0] = 0x40;
	assert_int_equal(cast_opus_rtp_parse(pkt, (size_t)n, 0, &h),
			 CAST_EMALFORMED);
	cast_opus_packetizer_free(&p);
	assert_null(p);
}

/*
 * Signed voice: each packet carries the signature of the key it was made
 * with; the parser hands out the Opus packet alone; any change to header
 * or payload, another key, or an unsigned packet fail the check.
 */
static void rtp_signed(void **state)
{
	struct cast_opus_packetizer_cfg cfg;
	struct cast_opus_packetizer *p = NULL;
	struct cast_rtp_hdr h;
	uint8_t pk[32], sk[64], pk2[32], sk2[64];
	uint8_t opus[80], pkt[400], bad[400];
	uint8_t ses[CAST_VOICE_SESSION_LEN], ses2[CAST_VOICE_SESSION_LEN];
	struct cast_media_key mk, mk2;
	int n, n2;

	(void)state;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	randombytes_buf(&mk, sizeof(mk));
	mk2 = mk;
	mk2.salt[0] ^= 1;
	cast_voice_session(&mk, ses);
	cast_voice_session(&mk2, ses2);
	assert_memory_not_equal(ses, ses2, sizeof(ses));
	memset(opus, 0x33, sizeof(opus));
	cast_opus_packetizer_cfg_init(&cfg);
	cfg.channel = 3;
	cfg.sign_sk = sk;
	cfg.sign_session = ses;
	assert_int_equal(cast_opus_packetizer_new(&p, &cfg), 0);
	sodium_memzero(sk, sizeof(sk));	/* copied at new */
	n = cast_opus_packetize(p, opus, sizeof(opus), 960, pkt, sizeof(pkt));
	assert_int_equal(n, 12 + 8 + 80 + CAST_VOICE_SIG_LEN);
	assert_int_equal(pkt[1] & 0x7f, CAST_RTP_PT_OPUS_SIGNED);
	assert_int_equal(cast_opus_rtp_parse(pkt, (size_t)n, 3, &h), 0);
	assert_int_equal(h.payload_len, 80);
	assert_memory_equal(h.payload, opus, 80);
	assert_int_equal(cast_opus_rtp_verify(pkt, (size_t)n, pk, ses), 0);
	assert_int_equal(cast_opus_rtp_verify(pkt, (size_t)n, pk2, ses),
			 CAST_ERROR(EACCES));
	/* Signed in another lesson (another media key): refused. */
	assert_int_equal(cast_opus_rtp_verify(pkt, (size_t)n, pk, ses2),
			 CAST_ERROR(EACCES));
	/* Every byte counts: header (sequence, channel), payload, sig. */
	for (int i = 0; i < n; i += 7) {
		memcpy(bad, pkt, (size_t)n);
		bad[i] ^= 0x01;
		assert_int_equal(cast_opus_rtp_verify(bad, (size_t)n, pk, ses),
				 CAST_ERROR(EACCES));
	}
	memcpy(bad, pkt, (size_t)n);
	bad[1] ^= 0x80;
	assert_int_equal(cast_opus_rtp_verify(bad, (size_t)n, pk, ses),
			 CAST_ERROR(EACCES));
	/* Cut short: no room for a signature, or one cut off. */
	assert_int_equal(cast_opus_rtp_verify(pkt, 40, pk, ses), CAST_EMALFORMED);
	assert_int_equal(cast_opus_rtp_verify(pkt, (size_t)n - 1, pk, ses),
			 CAST_ERROR(EACCES));
	/* A signature alone is no Opus packet. */
	assert_int_equal(cast_opus_rtp_parse(pkt, 20 + CAST_VOICE_SIG_LEN, 0,
					     &h),
			 CAST_EMALFORMED);
	/* No room for the signature: refused, the sequence not used. */
	assert_int_equal(cast_opus_packetize(p, opus, 80, 0, pkt, 120),
			 CAST_ERROR(ENOSPC));
	n2 = cast_opus_packetize(p, opus, 10, 1920, pkt, sizeof(pkt));
	assert_int_equal(cast_opus_rtp_parse(pkt, (size_t)n2, 3, &h), 0);
	assert_int_equal(cast_opus_rtp_verify(pkt, (size_t)n2, pk, ses), 0);
	cast_opus_packetizer_free(&p);
	/* Unsigned Opus is refused by the check. */
	cast_opus_packetizer_cfg_init(&cfg);
	assert_int_equal(cast_opus_packetizer_new(&p, &cfg), 0);
	n = cast_opus_packetize(p, opus, sizeof(opus), 0, pkt, sizeof(pkt));
	assert_int_equal(cast_opus_rtp_verify(pkt, (size_t)n, pk, ses),
			 CAST_ERROR(EACCES));
	cast_opus_packetizer_free(&p);
}

/* A jitter buffer with a 60 ms floor and its fake clock. */
static struct cast_jitter *jb(void)
{
	struct cast_jitter_cfg cfg;
	struct cast_jitter *j = NULL;

	cast_jitter_cfg_init(&cfg);
	cfg.min_ms = 60;
	assert_int_equal(cast_jitter_new(&j, &cfg), 0);
	return j;
}

static void put(struct cast_jitter *j, uint16_t seq, int64_t now)
{
	uint8_t b = (uint8_t)seq;

	assert_int_equal(cast_jitter_put(j, seq, (uint32_t)seq * 960, &b, 1,
					 now),
			 0);
}

static void rebuilt(struct cast_jitter *j, uint16_t seq, int64_t now)
{
	uint8_t b = (uint8_t)seq;

	assert_int_equal(cast_jitter_put_rebuilt(j, seq, (uint32_t)seq * 960,
						 &b, 1, now),
			 0);
}

static enum cast_jitter_kind get(struct cast_jitter *j, int64_t now,
				 int *payload)
{
	struct cast_jitter_frame f;

	cast_jitter_get(j, now, &f);
	*payload = f.data ? f.data[0] : -1;
	return f.kind;
}

static void jitter_reorder_loss(void **state)
{
	struct cast_jitter *j = jb();
	struct cast_jitter_stats st;
	int64_t t = 1000000;
	int b;

	(void)state;
	/* 0, 2, 1 (reordered), 4 (3 lost), 6 (5 lost: its FEC is in 6?
	 * no: 6 holds 5's FEC), 9 (7, 8 lost). */
	put(j, 10, t);
	put(j, 12, t + F);
	put(j, 11, t + F + 1000);
	put(j, 14, t + 3 * F);
	put(j, 16, t + 5 * F);
	put(j, 19, t + 8 * F);
	/* Nothing before the target delay: 60 ms after 10's time on the
	 * clock of the best-timed packet (19, 20 ms earlier than 10). */
	assert_int_equal(get(j, t, &b), CAST_JITTER_NONE);
	t += 40000;
	assert_int_equal(get(j, t, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 10);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 11);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 12);
	/* 13 lost: 14 is there, its FEC rebuilds 13; then 14 itself. */
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_FEC);
	assert_int_equal(b, 14);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 14);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_FEC);
	assert_int_equal(b, 16);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_PACKET);
	/* 17, 18 lost: 17 concealed (18 missing too), 18 from 19's FEC. */
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_LOST);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_FEC);
	assert_int_equal(b, 19);
	/* 17 turns up late, 19 twice: dropped and counted. */
	assert_int_equal(cast_jitter_put(j, 17, 17 * 960, (uint8_t[]){17}, 1,
					 t),
			 1);
	assert_int_equal(cast_jitter_put(j, 19, 19 * 960, (uint8_t[]){19}, 1,
					 t),
			 1);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 19);
	cast_jitter_stats(j, &st);
	assert_int_equal(st.played, 6);
	assert_int_equal(st.fec, 3);
	assert_int_equal(st.concealed, 1);
	assert_int_equal(st.late, 1);
	assert_int_equal(st.duplicates, 1);
	/* Sizes. */
	assert_int_equal(cast_jitter_put(j, 20, 0, (uint8_t[]){0}, 0, t),
			 CAST_ERROR(EINVAL));
	assert_int_equal(cast_jitter_put(j, 20, 0, (uint8_t[]){0},
					 CAST_OPUS_MAX_PACKET + 1, t),
			 CAST_ERROR(EMSGSIZE));
	cast_jitter_free(&j);
	assert_null(j);
}

/*
 * The default floor (30 ms: the next frame for FEC and 10 ms of jitter),
 * and when a talk is due to start: the output's ticks follow it.
 */
static void jitter_due(void **state)
{
	struct cast_jitter_cfg cfg;
	struct cast_jitter *j = NULL;
	int64_t t = 3000000;
	int b;

	(void)state;
	cast_jitter_cfg_init(&cfg);
	assert_int_equal(cfg.min_ms, 30);
	assert_int_equal(cast_jitter_new(&j, &cfg), 0);
	assert_int_equal(cast_jitter_due(j), 0);
	put(j, 10, t);
	assert_int_equal(cast_jitter_due(j), t + 30000);
	/* Its successor on time: still due then, not before. */
	put(j, 11, t + F);
	assert_int_equal(cast_jitter_due(j), t + 30000);
	assert_int_equal(get(j, t + 29999, &b), CAST_JITTER_NONE);
	assert_int_equal(get(j, t + 30000, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 10);
	/* Playing: nothing is due. */
	assert_int_equal(cast_jitter_due(j), 0);
	assert_int_equal(get(j, t + 30000 + F, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 11);
	cast_jitter_free(&j);
}

/*
 * A talk whose first packets to arrive are not its oldest: older ones come
 * after (rebuilt by repair, or held up). The start follows the best-timed
 * packet: the older frames play when due on its clock, or are passed if
 * their time has gone, instead of delaying the whole talk.
 */
static void jitter_start_follows_best_timed(void **state)
{
	struct cast_jitter_cfg cfg;
	struct cast_jitter_stats st;
	struct cast_jitter *j = NULL;
	int64_t t0 = 7000000;	/* frame n is on time at t0 + n F */
	int b;

	(void)state;
	cast_jitter_cfg_init(&cfg);
	assert_int_equal(cast_jitter_new(&j, &cfg), 0);
	/* 12 on time, then 10 and 11 rebuilt, late by 41 and 21 ms. */
	put(j, 12, t0 + 12 * F);
	rebuilt(j, 10, t0 + 12 * F + 1000);
	rebuilt(j, 11, t0 + 12 * F + 1000);
	/* 10 is due at its own time plus 30 ms, on 12's clock. */
	assert_int_equal(cast_jitter_due(j), t0 + 10 * F + 30000);
	assert_int_equal(get(j, t0 + 12 * F + 1000, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 10);
	assert_int_equal(get(j, t0 + 12 * F + 1000 + F, &b),
			 CAST_JITTER_PACKET);
	assert_int_equal(b, 11);
	cast_jitter_free(&j);

	/* 14 on time, 10..13 after it: 10 and 11's time has gone. */
	assert_int_equal(cast_jitter_new(&j, &cfg), 0);
	put(j, 14, t0 + 14 * F);
	for (uint16_t n = 10; n < 14; n++)
		rebuilt(j, n, t0 + 14 * F + 1000);
	assert_int_equal(get(j, t0 + 14 * F + 1000, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, 12);
	cast_jitter_stats(j, &st);
	assert_int_equal(st.late, 2);
	/* Rebuilt packets are no jitter: the delay stays the floor. */
	assert_int_equal(st.target_ms, 30);
	cast_jitter_free(&j);

	/* The same lateness on packets that came so is jitter. */
	assert_int_equal(cast_jitter_new(&j, &cfg), 0);
	put(j, 12, t0 + 12 * F);
	put(j, 10, t0 + 12 * F + 1000);
	put(j, 11, t0 + 12 * F + 1000);
	cast_jitter_stats(j, &st);
	assert_int_equal(st.target_ms, 41 + 20);
	cast_jitter_free(&j);
}

static void jitter_underrun_grows_pause_restarts(void **state)
{
	struct cast_jitter *j = jb();
	struct cast_jitter_stats st;
	int64_t t = 5000000;
	uint16_t seq = 100;
	int b, target0;

	(void)state;
	/* A steady stream: packets arrive just before their tick. */
	for (int i = 0; i < 10; i++)
		put(j, seq++, t + i * F);
	t += 9 * F;
	for (int i = 0; i < 10; i++) {
		if (i)
			put(j, seq++, t);
		assert_int_not_equal(get(j, t, &b), CAST_JITTER_LOST);
		t += F;
	}
	cast_jitter_stats(j, &st);
	target0 = st.target_ms;
	/* The stream stalls 60 ms: drained, then underruns (concealed,
	 * not advancing), then the late packets play in order. */
	while (get(j, t, &b) == CAST_JITTER_PACKET)
		t += F;
	cast_jitter_stats(j, &st);
	assert_true(st.underruns >= 1);
	uint16_t expect = seq;

	put(j, seq++, t);
	put(j, seq++, t);
	/* The stall was jitter: the target grew, and the buffer with it
	 * (concealed frames, nothing skipped), then the packets play. */
	cast_jitter_stats(j, &st);
	assert_true(st.target_ms > target0);
	for (int i = 0; i < 3 && get(j, t += F, &b) != CAST_JITTER_PACKET; i++)
		assert_int_equal(b, -1);
	assert_int_equal(b, (uint8_t)expect);
	/* The teacher pauses: after idle_ms the buffer starts over, and
	 * the next talk waits the target again. */
	for (int i = 0; i < 20; i++)
		get(j, t += F, &b);
	assert_int_equal(get(j, t += F, &b), CAST_JITTER_NONE);
	cast_jitter_stats(j, &st);
	assert_true(st.restarts >= 1);
	assert_true(cast_jitter_idle(j));
	seq += 500;
	put(j, seq, t);
	assert_false(cast_jitter_idle(j));
	assert_int_equal(get(j, t + 1000, &b), CAST_JITTER_NONE);
	assert_int_equal(get(j, t + 400000, &b), CAST_JITTER_PACKET);
	assert_int_equal(b, (uint8_t)seq);
	cast_jitter_free(&j);
}

static void jitter_shrinks_and_follows_jitter(void **state)
{
	struct cast_jitter *j = jb();
	struct cast_jitter_stats st;
	int64_t t = 1000000;
	uint16_t seq = 0;
	int b;

	(void)state;
	/* 12 frames arrive at once (a burst after a stall), then one per
	 * tick: once the burst left the jitter window the target is low
	 * again, and the buffer skips a frame per 0.5 s until near it. */
	for (int i = 0; i < 12; i++)
		put(j, seq++, t);
	t += 100000;
	for (int i = 0; i < 1200; i++) {
		put(j, seq++, t);
		get(j, t, &b);
		t += F;
	}
	cast_jitter_stats(j, &st);
	assert_true(st.dropped >= 1);
	assert_true(st.depth * 20 <= st.target_ms + 60);
	cast_jitter_free(&j);

	/* Arrival spread of ±30 ms: the target follows it. */
	j = jb();
	seq = 0;
	t = 1000000;
	for (int i = 0; i < 100; i++)
		put(j, seq++, t + i * F + (i % 2 ? 30000 : 0));
	cast_jitter_stats(j, &st);
	assert_true(st.target_ms >= 50 && st.target_ms <= 80);
	assert_true(st.jitter_ms > 10);
	/* An extra delay (lip sync) raises the floor. */
	cast_jitter_set_extra(j, 200);
	cast_jitter_stats(j, &st);
	assert_int_equal(st.target_ms, 260);
	cast_jitter_free(&j);
}

static void wav_writer(void **state)
{
	char path[] = "/tmp/test_audio_XXXXXX";
	struct cast_wav *w = NULL;
	int16_t pcm[4] = {1, -2, 32767, -32768};
	unsigned char buf[64];
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cast_wav_open(&w, path, 0, 1), CAST_ERROR(EINVAL));
	assert_int_equal(cast_wav_open(&w, "/nonexistent/x.wav", 48000, 1),
			 CAST_ERROR(ENOENT));
	assert_int_equal(cast_wav_open(&w, path, 48000, 1), 0);
	assert_int_equal(cast_wav_write(w, pcm, 4), 0);
	assert_int_equal(cast_wav_write(w, pcm, 2), 0);
	assert_int_equal(cast_wav_close(&w), 0);
	assert_null(w);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 44 + 12);
	fclose(f);
	unlink(path);
	assert_memory_equal(buf, "RIFF", 4);
	assert_int_equal(buf[4] | buf[5] << 8, 36 + 12);
	assert_memory_equal(buf + 8, "WAVEfmt ", 8);
	assert_int_equal(buf[20], 1);				/* PCM */
	assert_int_equal(buf[22], 1);				/* mono */
	assert_int_equal(buf[24] | buf[25] << 8 | buf[26] << 16, 48000);
	assert_int_equal(buf[28] | buf[29] << 8 | buf[30] << 16, 96000);
	assert_int_equal(buf[34], 16);
	assert_memory_equal(buf + 36, "data", 4);
	assert_int_equal(buf[40], 12);
	assert_int_equal((int16_t)(buf[44] | buf[45] << 8), 1);
	assert_int_equal((int16_t)(buf[46] | buf[47] << 8), -2);
	assert_int_equal((int16_t)(buf[48] | buf[49] << 8), 32767);
	assert_int_equal((int16_t)(buf[50] | buf[51] << 8), -32768);
}

static void file_source(void **state)
{
	char path[] = "/tmp/test_audio_src_XXXXXX";
	struct cast_audio_source *s = NULL;
	struct cast_wav *w = NULL;
	int16_t pcm[CAST_AUDIO_FRAME], got[CAST_AUDIO_FRAME];
	int fd, frames = 0;

	(void)state;
	assert_int_equal(cast_audio_source_new(&s, "nosuch", NULL),
			 CAST_ENOBACKEND);
	assert_int_equal(cast_audio_source_new(&s, "file", "/nonexistent"),
			 CAST_ERROR(ENOENT));
	assert_null(s);
	/* A WAV of 10.5 frames at 48 kHz: 11 frames, the last padded. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(cast_wav_open(&w, path, 48000, 1), 0);
	for (int i = 0; i < 10; i++) {
		tone(pcm, i);
		assert_int_equal(cast_wav_write(w, pcm, CAST_AUDIO_FRAME), 0);
	}
	assert_int_equal(cast_wav_write(w, pcm, CAST_AUDIO_FRAME / 2), 0);
	assert_int_equal(cast_wav_close(&w), 0);
	assert_int_equal(cast_audio_source_new(&s, "file", path), 0);
	assert_false(cast_audio_source_live(s));
	while (cast_audio_source_read(s, got, 0) == 1) {
		if (frames < 10) {
			tone(pcm, frames);
			assert_memory_equal(got, pcm, sizeof(pcm));
		}
		frames++;
	}
	assert_int_equal(frames, 11);
	assert_int_equal(cast_audio_source_read(s, got, 0), CAST_EOF);
	cast_audio_source_free(&s);
	unlink(path);
	assert_int_equal(cast_audio_source_new(&s, "none", NULL), 0);
	assert_int_equal(cast_audio_source_read(s, got, 0), 1);
	assert_true(energy(got) == 0);
	cast_audio_source_free(&s);
}

static void voice_play_command(void **state)
{
	struct cast_command c, d;
	struct cast_args a = {0};

	(void)state;
	cast_command_init(&c, CAST_CMD_VOICE);
	c.u.voice.on = true;
	assert_string_equal(cast_command_name(CAST_CMD_VOICE), "voice-play");
	assert_int_equal(cast_command_encode(&c, &a), 0);
	assert_int_equal(cast_command_decode("voice-play", a.buf, a.len, &d),
			 0);
	assert_int_equal(d.type, CAST_CMD_VOICE);
	assert_true(d.u.voice.on);
	cast_args_free(&a);
	memset(&a, 0, sizeof(a));
	cast_args_add(&a, "on", "2");
	assert_int_equal(cast_command_decode("voice-play", a.buf, a.len, &d),
			 CAST_ERROR(EINVAL));
	cast_args_free(&a);
	assert_int_equal(cast_command_decode("voice-play", NULL, 0, &d),
			 CAST_ERROR(EINVAL));
}

struct popped {
	int n;
	uint8_t first_luma[8];
	int64_t capture[8];
};

static void on_pop(const struct cast_frame *f, void *arg)
{
	struct popped *p = arg;

	assert_int_equal(f->fmt, CAST_PIX_I420);
	assert_int_equal(f->width, 6);
	assert_int_equal(f->data[2][f->stride[2] * 2 + 2], 0x99);
	p->first_luma[p->n] = f->data[0][0];
	p->capture[p->n++] = f->capture_us;
}

static void picture_delay(void **state)
{
	struct cast_picture_delay *d = NULL;
	struct popped p = {0};
	uint8_t y[6 * 6], u[3 * 3], v[3 * 3];
	struct cast_frame f = {.fmt = CAST_PIX_I420, .width = 6, .height = 6,
			       .data = {y, u, v}, .stride = {6, 3, 3}};

	(void)state;
	assert_int_equal(cast_picture_delay_new(&d, 0), CAST_ERROR(EINVAL));
	assert_int_equal(cast_picture_delay_new(&d, 2), 0);
	memset(v, 0x99, sizeof(v));
	for (int i = 0; i < 2; i++) {
		memset(y, 10 + i, sizeof(y));
		f.capture_us = 100 + i;
		assert_int_equal(cast_picture_delay_push(d, &f, 1000 + i * 100),
				 0);
	}
	/* Copied: the source may change at once. */
	memset(y, 0, sizeof(y));
	assert_int_equal(cast_picture_delay_pop(d, 999, on_pop, &p), 0);
	assert_int_equal(cast_picture_delay_pop(d, 1000, on_pop, &p), 1);
	assert_int_equal(p.first_luma[0], 10);
	assert_int_equal(p.capture[0], 100);
	/* Full (2): the newest is dropped, the oldest is due at once. */
	assert_int_equal(cast_picture_delay_push(d, &f, 5000), 0);
	assert_int_equal(cast_picture_delay_push(d, &f, 6000),
			 CAST_ERROR(ENOSPC));
	assert_int_equal(cast_picture_delay_pop(d, 1001, on_pop, &p), 1);
	assert_int_equal(p.first_luma[1], 11);
	assert_int_equal(cast_picture_delay_pop(d, 5000, on_pop, &p), 1);
	assert_int_equal(p.first_luma[2], 0);
	f.fmt = CAST_PIX_BGRA;
	assert_int_equal(cast_picture_delay_push(d, &f, 0), CAST_ERROR(EINVAL));
	cast_picture_delay_free(&d);
	assert_null(d);
}

/* The voice's repairs per block: 1..repair_block (default 2), else -EINVAL
 * before anything is opened. */
static void voice_repairs_cfg(void **state)
{
	struct cast_voice_sender_cfg c;
	struct cast_voice_sender *v = NULL;

	(void)state;
	cast_voice_sender_cfg_init(&c);
	assert_int_equal(c.repair_block, 4);
	assert_int_equal(c.repairs, 2);
	c.insecure = true;
	c.source = "none";
	c.repairs = 0;
	assert_int_equal(cast_voice_sender_new(&v, &c), CAST_ERROR(EINVAL));
	c.repairs = 5;
	assert_int_equal(cast_voice_sender_new(&v, &c), CAST_ERROR(EINVAL));
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opus_roundtrip_fec_plc),
		cmocka_unit_test(rtp_packetize_parse),
		cmocka_unit_test(rtp_signed),
		cmocka_unit_test(jitter_reorder_loss),
		cmocka_unit_test(jitter_due),
		cmocka_unit_test(jitter_start_follows_best_timed),
		cmocka_unit_test(jitter_underrun_grows_pause_restarts),
		cmocka_unit_test(jitter_shrinks_and_follows_jitter),
		cmocka_unit_test(wav_writer),
		cmocka_unit_test(file_source),
		cmocka_unit_test(voice_play_command),
		cmocka_unit_test(picture_delay),
		cmocka_unit_test(voice_repairs_cfg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
