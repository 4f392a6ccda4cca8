/* SRTP/SRTCP with libsrtp2: AES-128-GCM, any SSRC, replay protection. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "cast/error.h"
#include "cast/log.h"
#include "cast/srtp.h"

struct cast_srtp {
	srtp_t session;
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

void cast_srtp_free(struct cast_srtp **ps)
{
	struct cast_srtp *s = ps ? *ps : NULL;

	if (!s)
		return;
	srtp_dealloc(s->session);
	free(s);
	*ps = NULL;
}
