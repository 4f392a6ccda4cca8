/* SRTP: round trips, forged and foreign-key packets, replays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

static void make_key(struct cast_media_key *k, uint8_t seed)
{
	for (int i = 0; i < CAST_SRTP_KEY_LEN; i++)
		k->key[i] = (uint8_t)(seed + i * 7);
	for (int i = 0; i < CAST_SRTP_SALT_LEN; i++)
		k->salt[i] = (uint8_t)(seed ^ (i * 13));
}

/* A minimal RTP packet: V=2, PT 96, given seq, fixed SSRC, payload. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, const char *payload)
{
	size_t n = strlen(payload);

	memset(buf, 0, 12);
	buf[0] = 0x80;
	buf[1] = 96;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[8] = 0x12;
	buf[9] = 0x34;
	buf[10] = 0x56;
	buf[11] = 0x78;
	memcpy(buf + 12, payload, n);
	return 12 + n;
}

static void roundtrip_and_attacks(void **state)
{
	struct cast_media_key k, other;
	struct cast_srtp *tx = NULL, *rx = NULL, *foreign = NULL;
	uint8_t pkt[256], copy[256];
	size_t len, clen;

	(void)state;
	make_key(&k, 1);
	make_key(&other, 2);
	assert_int_equal(cast_srtp_new(&tx, CAST_SRTP_SENDER, &k), 0);
	assert_int_equal(cast_srtp_new(&rx, CAST_SRTP_RECEIVER, &k), 0);
	assert_int_equal(cast_srtp_new(&foreign, CAST_SRTP_RECEIVER, &other), 0);

	len = make_rtp(pkt, 1000, "picture data");
	assert_int_equal(cast_srtp_protect(tx, pkt, &len, sizeof(pkt)), 0);
	assert_int_equal(len, 12 + 12 + CAST_SRTP_OVERHEAD);
	assert_memory_not_equal(pkt + 12, "picture data", 12); /* encrypted */
	memcpy(copy, pkt, len);
	clen = len;

	/* A receiver with another class's key rejects it. */
	assert_int_equal(cast_srtp_unprotect(foreign, copy, &clen),
			 CAST_ERROR(EACCES));
	memcpy(copy, pkt, len);
	clen = len;
	/* A flipped bit anywhere (header included) is caught. */
	copy[3] ^= 1;
	assert_int_equal(cast_srtp_unprotect(rx, copy, &clen),
			 CAST_ERROR(EACCES));
	memcpy(copy, pkt, len);
	clen = len;
	copy[len - 1] ^= 0x80;
	assert_int_equal(cast_srtp_unprotect(rx, copy, &clen),
			 CAST_ERROR(EACCES));

	memcpy(copy, pkt, len);
	clen = len;
	assert_int_equal(cast_srtp_unprotect(rx, copy, &clen), 0);
	assert_int_equal(clen, 24);
	assert_memory_equal(copy + 12, "picture data", 12);

	/* The same packet again is a replay. */
	memcpy(copy, pkt, len);
	clen = len;
	assert_int_equal(cast_srtp_unprotect(rx, copy, &clen), CAST_EREPLAY);

	/* Too short to be SRTP. */
	clen = 5;
	assert_int_equal(cast_srtp_unprotect(rx, copy, &clen), CAST_EMALFORMED);

	/* No room for the tag. */
	len = make_rtp(pkt, 1001, "x");
	assert_int_equal(cast_srtp_protect(tx, pkt, &len, len + 3),
			 CAST_ERROR(ENOSPC));

	cast_srtp_free(&foreign);
	cast_srtp_free(&rx);
	cast_srtp_free(&tx);
	assert_null(tx);
}

static void rtcp_roundtrip(void **state)
{
	struct cast_media_key k;
	struct cast_srtp *tx = NULL, *rx = NULL;
	struct cast_rtcp_sr sr = {.ssrc = 0x12345678, .ntp = 42, .rtp_ts = 7},
			    got;
	uint8_t buf[256], copy[256];
	size_t len;
	int n;

	(void)state;
	make_key(&k, 9);
	assert_int_equal(cast_srtp_new(&tx, CAST_SRTP_SENDER, &k), 0);
	assert_int_equal(cast_srtp_new(&rx, CAST_SRTP_RECEIVER, &k), 0);
	n = cast_rtcp_write_sr(buf, sizeof(buf), &sr, "t");
	assert_true(n > 0);
	len = (size_t)n;
	assert_int_equal(cast_srtp_protect_rtcp(tx, buf, &len, sizeof(buf)), 0);
	assert_int_equal(len, (size_t)n + CAST_SRTCP_OVERHEAD);
	memcpy(copy, buf, len);
	assert_int_equal(cast_srtp_unprotect_rtcp(rx, buf, &len), 0);
	assert_int_equal(len, (size_t)n);
	assert_int_equal(cast_rtcp_parse_sr(buf, len, &got), 0);
	assert_int_equal(got.ssrc, sr.ssrc);
	len = (size_t)n + CAST_SRTCP_OVERHEAD;
	assert_int_equal(cast_srtp_unprotect_rtcp(rx, copy, &len), CAST_EREPLAY);
	cast_srtp_free(&rx);
	cast_srtp_free(&tx);
}

/* A student that joins after the sequence numbers wrapped learns the ROC. */
static void late_join_after_wrap(void **state)
{
	struct cast_media_key k;
	struct cast_srtp *tx = NULL, *rx = NULL;
	static uint8_t pkts[1200][64];
	size_t lens[1200], len;
	uint8_t buf[64];

	(void)state;
	make_key(&k, 3);
	assert_int_equal(cast_srtp_new(&tx, CAST_SRTP_SENDER, &k), 0);
	assert_int_equal(cast_srtp_new(&rx, CAST_SRTP_RECEIVER, &k), 0);
	/* 65000 … 65535, then 0 … : the sender's ROC becomes 1. */
	for (int i = 0; i < 1200; i++) {
		lens[i] = make_rtp(pkts[i], (uint16_t)(65000 + i), "frame");
		assert_int_equal(cast_srtp_protect(tx, pkts[i], &lens[i],
						   sizeof(pkts[i])),
				 0);
	}
	/* Joining at packet 900 (seq 364, ROC 1): plain unprotect fails. */
	memcpy(buf, pkts[900], lens[900]);
	len = lens[900];
	assert_int_equal(cast_srtp_unprotect(rx, buf, &len), CAST_ERROR(EACCES));
	memcpy(buf, pkts[900], lens[900]);
	len = lens[900];
	assert_int_equal(cast_srtp_unprotect_learn_roc(rx, buf, &len, 16), 0);
	assert_memory_equal(buf + 12, "frame", 5);
	/* …and the following packets decrypt normally. */
	for (int i = 901; i < 1200; i++) {
		memcpy(buf, pkts[i], lens[i]);
		len = lens[i];
		assert_int_equal(cast_srtp_unprotect(rx, buf, &len), 0);
	}
	/* A forged packet never "learns" anything. */
	{
		struct cast_srtp *other = NULL;
		struct cast_media_key k2;

		make_key(&k2, 4);
		assert_int_equal(cast_srtp_new(&other, CAST_SRTP_RECEIVER, &k2),
				 0);
		memcpy(buf, pkts[950], lens[950]);
		len = lens[950];
		assert_int_equal(cast_srtp_unprotect_learn_roc(other, buf, &len,
							       16),
				 CAST_ERROR(EACCES));
		cast_srtp_free(&other);
	}
	cast_srtp_free(&rx);
	cast_srtp_free(&tx);
}

/* Joining in the second half of a wrapped sequence space (ROC 1, seq
 * 40000): the packet index libsrtp guesses from the set ROC differs. The
 * packet is kept as it came: a failed unprotect garbles it. */
static void late_join_second_half(void **state)
{
	struct cast_media_key k;
	struct cast_srtp *tx = NULL, *rx = NULL;
	uint8_t pkt[64], kept[64];
	size_t len, klen = 0;

	(void)state;
	make_key(&k, 5);
	assert_int_equal(cast_srtp_new(&tx, CAST_SRTP_SENDER, &k), 0);
	assert_int_equal(cast_srtp_new(&rx, CAST_SRTP_RECEIVER, &k), 0);
	for (int i = 0; i < 41000; i++) {
		uint16_t seq = (uint16_t)(65000 + i);

		len = make_rtp(pkt, seq, "frame");
		assert_int_equal(cast_srtp_protect(tx, pkt, &len, sizeof(pkt)),
				 0);
		if (i < 536 + 40000) /* ROC 1 from i = 536 */
			continue;
		if (!klen) {
			memcpy(kept, pkt, len);
			klen = len;
			assert_int_equal(cast_srtp_unprotect(rx, pkt, &len),
					 CAST_ERROR(EACCES));
			memcpy(pkt, kept, klen);
			len = klen;
			assert_int_equal(cast_srtp_unprotect_learn_roc(rx, pkt,
								       &len, 16),
					 0);
		} else {
			assert_int_equal(cast_srtp_unprotect(rx, pkt, &len), 0);
		}
		assert_memory_equal(pkt + 12, "frame", 5);
	}
	cast_srtp_free(&rx);
	cast_srtp_free(&tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip_and_attacks),
		cmocka_unit_test(rtcp_roundtrip),
		cmocka_unit_test(late_join_after_wrap),
		cmocka_unit_test(late_join_second_half),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
