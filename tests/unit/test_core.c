/* Core helpers: errors, histograms, JSON stats lines, channel layout, UDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cast/cast.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errors_readable),
		cmocka_unit_test(hist_quantiles),
		cmocka_unit_test(json_line),
		cmocka_unit_test(channel_layout),
		cmocka_unit_test(udp_unicast_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
