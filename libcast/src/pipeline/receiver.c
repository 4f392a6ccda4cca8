/* Student pipeline: multicast RTP/RTCP → reorder → H.264 decode, on one thread. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/cast.h"

/* With no media for this long, leave and join the group again: a switch
 * that lost our membership, or a link that came back, starts delivering. */
#define REJOIN_AFTER_US 2000000

struct cast_receiver {
	struct cast_receiver_cfg cfg;
	struct cast_udp *rtp, *rtcp;
	struct cast_h264_depacketizer *depack;
	struct cast_decoder *dec;
	struct cast_srtp *srtp;		/* receiver thread only */
	struct cast_srtp *next_srtp;	/* under lock: set_key hands over */
	char group[32];
	uint16_t port;

	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct cast_receiver_stats st;	/* under lock */

	int64_t start_mono;
	int64_t last_pic_mono;
	int64_t last_rx_mono;
	/* Sender clock mapping from the latest SR. */
	bool have_sr;
	uint32_t sr_rtp_ts;
	int64_t sr_us;
};

void cast_receiver_cfg_init(struct cast_receiver_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->channel = 1;
	cfg->reorder_ms = 40;
}

static void check_stamp(struct cast_receiver *r, const struct cast_frame *f)
{
	uint32_t n;

	if (cast_stamp_read(f, &n)) {
		r->st.stamp_bad++;
		return;
	}
	if (r->st.stamp_ok + r->st.stamp_disorder > 0 && n <= r->st.last_stamp) {
		r->st.stamp_disorder++;
		return;
	}
	if (r->st.stamp_ok + r->st.stamp_disorder > 0)
		r->st.stamp_skipped += n - r->st.last_stamp - 1;
	r->st.stamp_ok++;
	r->st.last_stamp = n;
}

static void on_au(const struct cast_h264_au *au, void *arg)
{
	struct cast_receiver *r = arg;
	struct cast_frame f;
	int64_t capture_us = 0, t0 = cast_mono_us(), now;
	int ret;

	if (r->have_sr)
		capture_us = r->sr_us +
			     (int64_t)(int32_t)(au->ts - r->sr_rtp_ts) * 100 / 9;
	ret = cast_decoder_decode(r->dec, au->data, au->size, capture_us, &f);
	now = cast_mono_us();
	pthread_mutex_lock(&r->lock);
	if (ret < 0)
		r->st.frames_dropped++;
	if (ret == 1) {
		r->st.frames_decoded++;
		cast_hist_add(&r->st.decode_us, now - t0);
		if (r->st.first_picture_us < 0)
			r->st.first_picture_us = now - r->start_mono;
		else if (now - r->last_pic_mono > r->st.max_gap_us)
			r->st.max_gap_us = now - r->last_pic_mono;
		r->last_pic_mono = now;
		if (r->have_sr)
			cast_hist_add(&r->st.latency_us,
				      cast_now_us() - capture_us);
		if (r->cfg.check_stamp)
			check_stamp(r, &f);
	}
	pthread_mutex_unlock(&r->lock);
	if (ret == 1 && r->cfg.on_frame)
		r->cfg.on_frame(&f, r->cfg.arg);
}

/* Unprotects in place unless insecure; counts what it drops. */
static bool accept_packet(struct cast_receiver *r, uint8_t *buf, size_t *len,
			  bool rtcp)
{
	int err;

	if (r->cfg.insecure)
		return true;
	if (!r->srtp) {
		pthread_mutex_lock(&r->lock);
		r->st.no_key++;
		pthread_mutex_unlock(&r->lock);
		return false;
	}
	err = rtcp ? cast_srtp_unprotect_rtcp(r->srtp, buf, len)
		   : cast_srtp_unprotect(r->srtp, buf, len);
	if (!err)
		return true;
	pthread_mutex_lock(&r->lock);
	if (err == CAST_EREPLAY)
		r->st.replays++;
	else
		r->st.auth_failures++;
	pthread_mutex_unlock(&r->lock);
	return false;
}

static void on_rtcp(struct cast_receiver *r, uint8_t *buf, size_t len)
{
	struct cast_rtcp_sr sr;

	if (!accept_packet(r, buf, &len, true) ||
	    cast_rtcp_parse_sr(buf, len, &sr))
		return;
	r->sr_rtp_ts = sr.rtp_ts;
	r->sr_us = cast_ntp_to_us(sr.ntp);
	r->have_sr = true;
	pthread_mutex_lock(&r->lock);
	r->st.rtcp_sr++;
	pthread_mutex_unlock(&r->lock);
}

static void *receiver_thread(void *arg)
{
	struct cast_receiver *r = arg;
	struct pollfd pfd[2];
	static const size_t bufsize = 65536;
	uint8_t *buf = malloc(bufsize);
	int n;

	if (!buf) {
		cast_log(CAST_LOG_ERROR, "receiver", "out of memory");
		return NULL;
	}
	pfd[0].fd = cast_udp_fd(r->rtp);
	pfd[1].fd = cast_udp_fd(r->rtcp);
	pfd[0].events = pfd[1].events = POLLIN;
	r->last_rx_mono = cast_mono_us();
	while (!r->stop) {
		int64_t now;

		poll(pfd, 2, 10);
		pthread_mutex_lock(&r->lock);
		if (r->next_srtp) {
			cast_srtp_free(&r->srtp);
			r->srtp = r->next_srtp;
			r->next_srtp = NULL;
		}
		pthread_mutex_unlock(&r->lock);
		/* Drain everything queued before polling again. */
		while ((n = cast_udp_recv(r->rtp, buf, bufsize, 0, NULL,
					  NULL)) >= 0) {
			size_t len = (size_t)n;

			now = cast_mono_us();
			if (!accept_packet(r, buf, &len, false))
				continue;
			r->last_rx_mono = now;
			cast_h264_depacketizer_push(r->depack, buf, len, now);
		}
		while ((n = cast_udp_recv(r->rtcp, buf, bufsize, 0, NULL,
					  NULL)) >= 0)
			on_rtcp(r, buf, (size_t)n);
		now = cast_mono_us();
		cast_h264_depacketizer_poll(r->depack, now);
		pthread_mutex_lock(&r->lock);
		cast_h264_depacketizer_stats(r->depack, &r->st.rtp);
		pthread_mutex_unlock(&r->lock);
		if (now - r->last_rx_mono > REJOIN_AFTER_US) {
			cast_log(CAST_LOG_INFO, "receiver",
				 "no media for %d s: joining %s again",
				 REJOIN_AFTER_US / 1000000, r->group);
			cast_udp_rejoin(r->rtp);
			cast_udp_rejoin(r->rtcp);
			r->last_rx_mono = now;
		}
	}
	free(buf);
	return NULL;
}

int cast_receiver_new(struct cast_receiver **out,
		      const struct cast_receiver_cfg *cfg)
{
	struct cast_receiver *r;
	struct cast_udp_cfg ucfg;
	struct cast_h264_depacketizer_cfg dcfg;
	struct cast_decoder_cfg deccfg;
	int err, port;

	if (!out || !cfg)
		return CAST_ERROR(EINVAL);
	r = calloc(1, sizeof(*r));
	if (!r)
		return CAST_ERROR(ENOMEM);
	r->cfg = *cfg;
	pthread_mutex_init(&r->lock, NULL);
	cast_hist_reset(&r->st.latency_us);
	cast_hist_reset(&r->st.decode_us);
	r->st.first_picture_us = -1;

	if (cfg->group) {
		snprintf(r->group, sizeof(r->group), "%s", cfg->group);
	} else {
		err = cast_channel_group(cfg->channel, r->group,
					 sizeof(r->group));
		if (err)
			goto out;
	}
	port = cfg->port ? cfg->port
			 : cast_channel_port(cfg->channel, CAST_PORT_VIDEO);
	if (port < 0) {
		err = port;
		goto out;
	}
	r->port = (uint16_t)port;

	cast_udp_cfg_init(&ucfg);
	ucfg.group = r->group;
	ucfg.iface = cfg->iface;
	ucfg.port = r->port;
	err = cast_udp_new(&r->rtp, &ucfg);
	if (err)
		goto out;
	ucfg.port = (uint16_t)(r->port + 1);
	ucfg.rcvbuf = 256 << 10;
	err = cast_udp_new(&r->rtcp, &ucfg);
	if (err)
		goto out;

	cast_h264_depacketizer_cfg_init(&dcfg);
	if (cfg->reorder_ms > 0)
		dcfg.reorder_ms = cfg->reorder_ms;
	err = cast_h264_depacketizer_new(&r->depack, &dcfg, on_au, r);
	if (err)
		goto out;
	cast_decoder_cfg_init(&deccfg);
	err = cast_decoder_new(&r->dec, &deccfg);
	if (err)
		goto out;
	r->cfg.media_key = NULL;
	if (!cfg->insecure && cfg->media_key) {
		err = cast_srtp_new(&r->srtp, CAST_SRTP_RECEIVER,
				    cfg->media_key);
		if (err)
			goto out;
	}
	if (cfg->insecure)
		cast_log(CAST_LOG_WARN, "receiver",
			 "insecure: accepting plain, unauthenticated RTP");
	cast_log(CAST_LOG_INFO, "receiver", "channel %d: %s:%u",
		 cfg->channel, r->group, r->port);
	*out = r;
	return 0;
out:
	cast_receiver_free(&r);
	return err;
}

int cast_receiver_start(struct cast_receiver *r)
{
	int err;

	if (r->running)
		return CAST_ERROR(EALREADY);
	r->stop = false;
	r->start_mono = cast_mono_us();
	err = pthread_create(&r->thread, NULL, receiver_thread, r);
	if (err)
		return CAST_ERROR(err);
	r->running = true;
	return 0;
}

int cast_receiver_set_key(struct cast_receiver *r,
			  const struct cast_media_key *key)
{
	struct cast_srtp *s = NULL;
	int err = cast_srtp_new(&s, CAST_SRTP_RECEIVER, key);

	if (err)
		return err;
	pthread_mutex_lock(&r->lock);
	cast_srtp_free(&r->next_srtp);
	r->next_srtp = s;
	pthread_mutex_unlock(&r->lock);
	if (!r->running) {
		cast_srtp_free(&r->srtp);
		r->srtp = r->next_srtp;
		r->next_srtp = NULL;
	}
	return 0;
}

void cast_receiver_stats(struct cast_receiver *r, struct cast_receiver_stats *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	pthread_mutex_unlock(&r->lock);
}

void cast_receiver_stop(struct cast_receiver *r)
{
	if (!r || !r->running)
		return;
	r->stop = true;
	pthread_join(r->thread, NULL);
	r->running = false;
}

void cast_receiver_free(struct cast_receiver **pr)
{
	struct cast_receiver *r = pr ? *pr : NULL;

	if (!r)
		return;
	cast_receiver_stop(r);
	cast_decoder_free(&r->dec);
	cast_srtp_free(&r->srtp);
	cast_srtp_free(&r->next_srtp);
	cast_h264_depacketizer_free(&r->depack);
	cast_udp_free(&r->rtcp);
	cast_udp_free(&r->rtp);
	pthread_mutex_destroy(&r->lock);
	free(r);
	*pr = NULL;
}
