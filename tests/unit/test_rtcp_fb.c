/* RTCP feedback: RR, NACK runs, PLI and APP round trips; malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cast/cast.h"

static void fill_rr(struct cast_rtcp_fb *fb)
{
	memset(fb, 0, sizeof(*fb));
	fb->has_rr = true;
	fb->rr.ssrc = 0xaabbccdd;
	fb->rr.media_ssrc = 0x11223344;
	fb->rr.fraction_lost = 12;
	fb->rr.cumulative_lost = -3;
	fb->rr.highest_seq = 0x1fffe;
	fb->rr.jitter = 90;
}

static void full_roundtrip(void **state)
{
	struct cast_rtcp_fb fb, got;
	uint8_t buf[512];
	/* Two runs: 65530..65535 wrapping to 0..2 (one FCI: within 16), and 100. */
	static const uint16_t lost[] = {65530, 65532, 65535, 0, 2, 100};
	int n;

	(void)state;
	fill_rr(&fb);
	memcpy(fb.nack, lost, sizeof(lost));
	fb.n_nack = 6;
	fb.pli = true;
	fb.has_stats = true;
	fb.stats.fps_x100 = 2998;
	fb.stats.frames_decoded = 1234;
	fb.stats.latency_p50_us = 15000;
	fb.stats.packets_recovered = 7;
	fb.unicast_request = true;
	fb.repair_state[0].base = 65472;
	fb.repair_state[0].seen = 3;
	fb.repair_state[1].base = 0;
	fb.repair_state[1].seen = 0;
	fb.n_repair_state = 2;
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	assert_true(n > 0);
	assert_int_equal(n % 4, 0);
	assert_int_equal(cast_rtcp_parse_fb(buf, (size_t)n, &got), 0);
	assert_true(got.has_rr);
	assert_int_equal(got.rr.ssrc, fb.rr.ssrc);
	assert_int_equal(got.rr.media_ssrc, fb.rr.media_ssrc);
	assert_int_equal(got.rr.fraction_lost, 12);
	assert_int_equal(got.rr.cumulative_lost, -3);
	assert_int_equal(got.rr.highest_seq, 0x1fffe);
	assert_int_equal(got.rr.jitter, 90);
	assert_int_equal(got.n_nack, 6);
	assert_memory_equal(got.nack, lost, sizeof(lost));
	assert_true(got.pli);
	assert_true(got.has_stats);
	assert_int_equal(got.stats.fps_x100, 2998);
	assert_int_equal(got.stats.frames_decoded, 1234);
	assert_int_equal(got.stats.packets_recovered, 7);
	assert_true(got.unicast_request);
	assert_int_equal(got.n_repair_state, 2);
	assert_int_equal(got.repair_state[0].base, 65472);
	assert_int_equal(got.repair_state[0].seen, 3);
	assert_int_equal(got.repair_state[1].base, 0);
	assert_int_equal(got.repair_state[1].seen, 0);
}

/* Repair state: bounded on both sides, and an odd-length APP is cut. */
static void repair_state_limits(void **state)
{
	struct cast_rtcp_fb fb, got;
	uint8_t buf[1024];
	int n;

	(void)state;
	fill_rr(&fb);
	for (int i = 0; i < CAST_RTCP_MAX_REPAIR_STATE; i++) {
		fb.repair_state[i].base = (uint16_t)(i * 64);
		fb.repair_state[i].seen = (uint16_t)i;
	}
	fb.n_repair_state = CAST_RTCP_MAX_REPAIR_STATE;
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	assert_int_equal(n, 32 + 12 + 4 * CAST_RTCP_MAX_REPAIR_STATE);
	assert_int_equal(cast_rtcp_parse_fb(buf, (size_t)n, &got), 0);
	assert_int_equal(got.n_repair_state, CAST_RTCP_MAX_REPAIR_STATE);
	assert_int_equal(got.repair_state[15].base, 960);
	assert_int_equal(got.repair_state[15].seen, 15);
	assert_int_equal(cast_rtcp_write_fb(buf, (size_t)n - 4, &fb),
			 CAST_ERROR(ENOSPC));
	fb.n_repair_state = CAST_RTCP_MAX_REPAIR_STATE + 1;
	assert_int_equal(cast_rtcp_write_fb(buf, sizeof(buf), &fb),
			 CAST_ERROR(EINVAL));
	/* A sender listing more than the limit: the rest is ignored. */
	fb.n_repair_state = CAST_RTCP_MAX_REPAIR_STATE;
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	memcpy(buf + n, buf + 32, (size_t)n - 32);
	n += n - 32;
	assert_int_equal(cast_rtcp_parse_fb(buf, (size_t)n, &got), 0);
	assert_int_equal(got.n_repair_state, CAST_RTCP_MAX_REPAIR_STATE);
	assert_int_equal(got.repair_state[0].base, 0);
}

static void rr_only_and_limits(void **state)
{
	struct cast_rtcp_fb fb, got;
	uint8_t buf[1024];
	int n;

	(void)state;
	fill_rr(&fb);
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	assert_int_equal(n, 32);
	assert_int_equal(cast_rtcp_parse_fb(buf, 32, &got), 0);
	assert_int_equal(got.n_nack, 0);
	assert_false(got.pli);
	/* Every NACK as its own FCI: 128 spread far apart still fit. */
	for (int i = 0; i < CAST_RTCP_MAX_NACK; i++)
		fb.nack[i] = (uint16_t)(i * 100);
	fb.n_nack = CAST_RTCP_MAX_NACK;
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	assert_int_equal(n, 32 + 12 + 4 * CAST_RTCP_MAX_NACK);
	assert_int_equal(cast_rtcp_parse_fb(buf, (size_t)n, &got), 0);
	assert_int_equal(got.n_nack, CAST_RTCP_MAX_NACK);
	assert_int_equal(got.nack[127], 12700);
	assert_int_equal(cast_rtcp_write_fb(buf, 40, &fb), CAST_ERROR(ENOSPC));
	fb.has_rr = false;
	assert_int_equal(cast_rtcp_write_fb(buf, sizeof(buf), &fb),
			 CAST_ERROR(EINVAL));
}

static void malformed(void **state)
{
	struct cast_rtcp_fb fb, got;
	uint8_t buf[512];
	int n;

	(void)state;
	fill_rr(&fb);
	fb.pli = true;
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	/* Truncated anywhere. */
	for (int cut = 0; cut < n; cut++)
		if (cut % 4 || cut < 32)
			assert_int_equal(cast_rtcp_parse_fb(buf, (size_t)cut,
							    &got),
					 CAST_EMALFORMED);
	/* Length field pointing past the end. */
	buf[32 + 3] = 50;
	assert_int_equal(cast_rtcp_parse_fb(buf, (size_t)n, &got),
			 CAST_EMALFORMED);
	/* Wrong version. */
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	buf[0] = 0x41;
	assert_int_equal(cast_rtcp_parse_fb(buf, (size_t)n, &got),
			 CAST_EMALFORMED);
	/* Not starting with SR/RR. */
	n = cast_rtcp_write_fb(buf, sizeof(buf), &fb);
	assert_int_equal(cast_rtcp_parse_fb(buf + 32, (size_t)n - 32, &got),
			 CAST_EMALFORMED);
	/* Random bytes never crash and mostly fail. */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand() % 200);

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand();
		if (len && rand() % 2)
			buf[0] = 0x81;
		cast_rtcp_parse_fb(buf, len, &got);
		assert_true(got.n_nack <= CAST_RTCP_MAX_NACK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_roundtrip),
		cmocka_unit_test(rr_only_and_limits),
		cmocka_unit_test(repair_state_limits),
		cmocka_unit_test(malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
