/* A new teacher's channel: candidates from the class key, the first quiet
 * one on the LAN, kept in a small file beside the key. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cast/config.h"
#include "cast/error.h"
#include "cast/frame.h"
#include "cast/key.h"
#include "cast/log.h"
#include "cast/net.h"
#include "core/core_int.h"

#define ORDER_INFO "libcast channel order v1"
#define N_SPAN (CAST_CHANNEL_MAX - CAST_CHANNEL_MIN + 1)

int cast_channel_candidates(const struct cast_key *k, int *out, int n)
{
	uint8_t msg[sizeof(ORDER_INFO) - 1 + 4], mac[32];
	unsigned int mac_len = sizeof(mac);
	int found = 0;

	if (!k || !out || n < 1 || n > CAST_CHANNEL_CANDIDATES_MAX)
		return CAST_ERROR(EINVAL);
	memcpy(msg, ORDER_INFO, sizeof(ORDER_INFO) - 1);
	/* Each round gives 16 draws of 16 bits; a draw already taken is
	 * skipped, so rounds go on until n distinct channels. The modulo's
	 * bias (65536 % 999) is far below what matters for spreading. */
	for (uint32_t round = 0; found < n; round++) {
		msg[sizeof(msg) - 4] = (uint8_t)(round >> 24);
		msg[sizeof(msg) - 3] = (uint8_t)(round >> 16);
		msg[sizeof(msg) - 2] = (uint8_t)(round >> 8);
		msg[sizeof(msg) - 1] = (uint8_t)round;
		if (!HMAC(EVP_sha256(), k->beacon, sizeof(k->beacon), msg,
			  sizeof(msg), mac, &mac_len))
			return CAST_EEXTERNAL;
		for (int i = 0; i + 1 < (int)mac_len && found < n; i += 2) {
			int ch = CAST_CHANNEL_MIN +
				 ((mac[i] << 8) | mac[i + 1]) % N_SPAN;
			bool dup = false;

			for (int j = 0; j < found; j++)
				dup = dup || out[j] == ch;
			if (!dup)
				out[found++] = ch;
		}
	}
	return n;
}

/* Opens a receiver of `channel`'s group on the port of `kind`. */
static int listener(struct cast_udp **u, int channel, enum cast_port_kind kind,
		    const char *iface)
{
	struct cast_udp_cfg cfg;
	char group[16];

	cast_udp_cfg_init(&cfg);
	if (cast_channel_group(channel, group, sizeof(group)))
		return CAST_ERROR(EINVAL);
	cfg.group = group;
	cfg.port = (uint16_t)cast_channel_port(channel, kind);
	cfg.iface = iface;
	cfg.rcvbuf = 0;
	cfg.sndbuf = 0;
	cfg.multicast_all = false;
	return cast_udp_new(u, &cfg);
}

#define KINDS 2 /* the beacon and the video RTP port of each channel */

int cast_channel_listen(const int *channels, int n, const char *iface, int ms,
			bool *busy)
{
	static const enum cast_port_kind kinds[KINDS] = {CAST_PORT_BEACON,
							 CAST_PORT_VIDEO};
	struct cast_udp *u[CAST_CHANNEL_CANDIDATES_MAX * KINDS] = {0};
	struct pollfd pfd[CAST_CHANNEL_CANDIDATES_MAX * KINDS];
	uint8_t buf[2048];
	int64_t end;
	int err = 0, n_busy = 0;

	if (!channels || !busy || n < 1 || n > CAST_CHANNEL_CANDIDATES_MAX ||
	    ms < 0)
		return CAST_ERROR(EINVAL);
	for (int i = 0; i < n; i++) {
		busy[i] = false;
		for (int k = 0; k < KINDS; k++) {
			err = listener(&u[i * KINDS + k], channels[i],
				       kinds[k], iface);
			if (err)
				goto out;
			pfd[i * KINDS + k].fd = cast_udp_fd(u[i * KINDS + k]);
			pfd[i * KINDS + k].events = POLLIN;
		}
	}
	end = cast_now_us() + (int64_t)ms * 1000;
	for (;;) {
		int64_t left = (end - cast_now_us()) / 1000;
		int r;

		if (left <= 0)
			break;
		r = poll(pfd, (nfds_t)(n * KINDS), (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = CAST_ERROR(errno);
			goto out;
		}
		for (int i = 0; i < n * KINDS; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			/* Heard once is enough: stop watching the socket. */
			while (cast_udp_recv(u[i], buf, sizeof(buf), 0, NULL,
					     NULL) >= 0)
				;
			pfd[i].fd = -1;
			if (!busy[i / KINDS]) {
				busy[i / KINDS] = true;
				n_busy++;
			}
		}
	}
	err = n_busy;
out:
	for (int i = 0; i < n * KINDS; i++)
		cast_udp_free(&u[i]);
	return err;
}

static int listen_probe(const struct cast_channel_pick_cfg *cfg,
			const int *channels, int n, bool *busy)
{
	return cast_channel_listen(channels, n, cfg->iface, cfg->listen_ms,
				   busy);
}

void cast_channel_pick_cfg_init(struct cast_channel_pick_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_ms = 1500;
	cfg->candidates = 16;
	cfg->probe = listen_probe;
}

int cast_channel_pick(const struct cast_channel_pick_cfg *cfg)
{
	int ch[CAST_CHANNEL_CANDIDATES_MAX];
	bool busy[CAST_CHANNEL_CANDIDATES_MAX];
	int n, err;

	if (!cfg || !cfg->key || !cfg->probe || cfg->listen_ms < 0)
		return CAST_ERROR(EINVAL);
	n = cast_channel_candidates(cfg->key, ch, cfg->candidates);
	if (n < 0)
		return n;
	err = cfg->probe(cfg, ch, n, busy);
	if (err < 0)
		return err;
	for (int i = 0; i < n; i++) {
		if (!busy[i])
			return ch[i];
		cast_log(CAST_LOG_INFO, "channel", "channel %d is in use",
			 ch[i]);
	}
	return CAST_ERROR(EBUSY);
}

static int channel_line(const char *key, const char *value, void *arg,
			char *why, size_t why_size)
{
	long n;

	if (strcmp(key, "channel")) {
		snprintf(why, why_size, "unknown key");
		return CAST_EMALFORMED;
	}
	if (cast_parse_int(value, CAST_CHANNEL_MIN, CAST_CHANNEL_MAX, &n)) {
		snprintf(why, why_size, "expected %d..%d", CAST_CHANNEL_MIN,
			 CAST_CHANNEL_MAX);
		return CAST_EMALFORMED;
	}
	*(int *)arg = (int)n;
	return 0;
}

int cast_channel_load(const char *path, int *channel)
{
	char why[512] = "";
	int ch = 0, err;

	if (!path || !channel)
		return CAST_ERROR(EINVAL);
	err = cast_config_load(path, channel_line, &ch, why, sizeof(why));
	if (err == CAST_ERROR(ENOENT))
		return err;
	if (err) {
		cast_log(CAST_LOG_ERROR, "channel", "%s: %s", why[0] ? why : path,
			 cast_strerror(err));
		return err;
	}
	if (!ch) {
		cast_log(CAST_LOG_ERROR, "channel", "%s: no channel line",
			 path);
		return CAST_EMALFORMED;
	}
	*channel = ch;
	return 0;
}

int cast_channel_save(const char *path, int channel)
{
	char text[128];
	int n;

	if (!path || channel < CAST_CHANNEL_MIN || channel > CAST_CHANNEL_MAX)
		return CAST_ERROR(EINVAL);
	n = snprintf(text, sizeof(text),
		     "# This teacher's channel, chosen free on its first "
		     "start.\nchannel = %d\n",
		     channel);
	return cast__write_atomic(path, text, (size_t)n);
}
