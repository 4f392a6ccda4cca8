/* SRTP/SRTCP with libsrtp2: AES-128-GCM, any SSRC, replay protection. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <srtp2/srtp.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/srtp.h"

struct cast_srtp {
	srtp_t session;
	/* Kept to add a stream with a learnt ROC (receivers); wiped at free. */
	uint8_t master[CAST_SRTP_KEY_LEN + CAST_SRTP_SALT_LEN];
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status;

static void srtp_lib_init(void)
{
	init_status = srtp_init();
}

int cast_srtp_new(struct cast_srtp **out, enum cast_srtp_role role,
		  const struct cast_media_key *key)
{
	struct cast_srtp *s;
	srtp_policy_t policy;
	uint8_t master[CAST_SRTP_KEY_LEN + CAST_SRTP_SALT_LEN];
	srtp_err_status_t st;

	if (!out || !key)
		return CAST_ERROR(EINVAL);
	pthread_once(&init_once, srtp_lib_init);
	if (init_status != srtp_err_status_ok) {
		cast_log(CAST_LOG_ERROR, "srtp", "libsrtp init failed (%d)",
			 (int)init_status);
		return CAST_EEXTERNAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return CAST_ERROR(ENOMEM);
	memcpy(master, key->key, CAST_SRTP_KEY_LEN);
	memcpy(master + CAST_SRTP_KEY_LEN, key->salt, CAST_SRTP_SALT_LEN);
	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
	policy.ssrc.type = role == CAST_SRTP_SENDER ? ssrc_any_outbound
						    : ssrc_any_inbound;
	policy.key = master;
	/* Wide enough for the reorder window and retransmissions. */
	policy.window_size = 1024;
	/* The sender may re-send a cached protected packet on NACK. */
	policy.allow_repeat_tx = 1;
	st = srtp_create(&s->session, &policy);
	memcpy(s->master, master, sizeof(master));
	memset(master, 0, sizeof(master));
	if (st != srtp_err_status_ok) {
		cast_log(CAST_LOG_ERROR, "srtp", "srtp_create failed (%d)",
			 (int)st);
		free(s);
		return CAST_EEXTERNAL;
	}
	*out = s;
	return 0;
}

static int protect(struct cast_srtp *s, uint8_t *buf, size_t *len, size_t cap,
		   bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st;

	if (*len + (rtcp ? CAST_SRTCP_OVERHEAD : CAST_SRTP_OVERHEAD) > cap ||
	    *len > 65535)
		return CAST_ERROR(ENOSPC);
	st = rtcp ? srtp_protect_rtcp(s->session, buf, &n)
		  : srtp_protect(s->session, buf, &n);
	if (st != srtp_err_status_ok)
		return CAST_EEXTERNAL;
	*len = (size_t)n;
	return 0;
}

static int unprotect(struct cast_srtp *s, uint8_t *buf, size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st;

	if (*len < 12 || *len > 65535)
		return CAST_EMALFORMED;
	st = rtcp ? srtp_unprotect_rtcp(s->session, buf, &n)
		  : srtp_unprotect(s->session, buf, &n);
	switch (st) {
	case srtp_err_status_ok:
		*len = (size_t)n;
		return 0;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return CAST_EREPLAY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return CAST_EMALFORMED;
	default:
		return CAST_ERROR(EACCES);
	}
}

int cast_srtp_protect(struct cast_srtp *s, uint8_t *buf, size_t *len,
		      size_t cap)
{
	return protect(s, buf, len, cap, false);
}

int cast_srtp_protect_rtcp(struct cast_srtp *s, uint8_t *buf, size_t *len,
			   size_t cap)
{
	return protect(s, buf, len, cap, true);
}

int cast_srtp_unprotect(struct cast_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, false);
}

int cast_srtp_unprotect_rtcp(struct cast_srtp *s, uint8_t *buf, size_t *len)
{
	return unprotect(s, buf, len, true);
}

int cast_srtp_unprotect_learn_roc(struct cast_srtp *s, uint8_t *buf,
				  size_t *len, uint32_t max_roc)
{
	srtp_policy_t policy;
	uint8_t tmp[2048];
	uint32_t ssrc;
	int n;

	if (*len < 12 || *len > sizeof(tmp))
		return CAST_EMALFORMED;
	ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
	       (uint32_t)buf[10] << 8 | buf[11];
	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
	policy.ssrc.type = ssrc_specific;
	policy.ssrc.value = ssrc;
	policy.key = s->master;
	policy.window_size = 1024;
	/* A stream of its own for this SSRC, whose ROC we can set. */
	if (srtp_add_stream(s->session, &policy) != srtp_err_status_ok)
		return CAST_ERROR(EACCES);
	for (uint32_t roc = 1; roc <= max_roc; roc++) {
		if (srtp_set_stream_roc(s->session, ssrc, roc) !=
		    srtp_err_status_ok)
			break;
		memcpy(tmp, buf, *len);
		n = (int)*len;
		if (srtp_unprotect(s->session, tmp, &n) == srtp_err_status_ok) {
			memcpy(buf, tmp, (size_t)n);
			*len = (size_t)n;
			cast_log(CAST_LOG_INFO, "srtp",
				 "joined a running stream: rollover %u", roc);
			return 0;
		}
	}
	srtp_remove_stream(s->session, htonl(ssrc));
	return CAST_ERROR(EACCES);
}

void cast_srtp_free(struct cast_srtp **ps)
{
	struct cast_srtp *s = ps ? *ps : NULL;

	if (!s)
		return;
	memset(s->master, 0, sizeof(s->master));
	srtp_dealloc(s->session);
	free(s);
	*ps = NULL;
}
