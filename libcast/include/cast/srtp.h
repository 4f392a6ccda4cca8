/* SRTP/SRTCP protection of the media (libsrtp2, AEAD AES-128-GCM). */
#ifndef CAST_SRTP_H
#define CAST_SRTP_H

#include "defs.h"

#define CAST_SRTP_KEY_LEN 16
#define CAST_SRTP_SALT_LEN 12
/** Bytes SRTP adds to a packet (GCM tag; plus the SRTCP index for RTCP). */
#define CAST_SRTP_OVERHEAD 16
#define CAST_SRTCP_OVERHEAD 20

/** The media key the teacher hands out on the control connection. */
struct cast_media_key {
	uint8_t key[CAST_SRTP_KEY_LEN];
	uint8_t salt[CAST_SRTP_SALT_LEN];
};

struct cast_srtp;

enum cast_srtp_role {
	CAST_SRTP_SENDER,	/* protects what it sends */
	CAST_SRTP_RECEIVER,	/* unprotects what it receives */
};

/** Replay of a packet already received (counted, not an attack per se). */
#define CAST_EREPLAY CAST_TAG('R', 'P', 'L', 'Y')

/**
 * Creates an SRTP context for any SSRC of the given role.
 * Errors: -EINVAL, -ENOMEM, CAST_EEXTERNAL (libsrtp failed to initialise).
 */
CAST_API int cast_srtp_new(struct cast_srtp **out, enum cast_srtp_role role,
			   const struct cast_media_key *key);

/**
 * Protects an RTP (or, with _rtcp, an RTCP) packet in place: `*len` grows by
 * the overhead, which must fit in `cap`. Returns 0, -ENOSPC, CAST_EEXTERNAL.
 */
CAST_API int cast_srtp_protect(struct cast_srtp *s, uint8_t *buf, size_t *len,
			       size_t cap);
CAST_API int cast_srtp_protect_rtcp(struct cast_srtp *s, uint8_t *buf,
				    size_t *len, size_t cap);

/**
 * Verifies and decrypts in place; `*len` shrinks to the plain packet.
 * Returns 0, -EACCES (forged, wrong key or corrupted), CAST_EREPLAY,
 * CAST_EMALFORMED (too short to be SRTP). On -EACCES the buffer may be
 * garbled (AES-GCM decrypts in place before it checks the tag): keep a copy
 * of a packet to try it again (cast_srtp_unprotect_learn_roc).
 */
CAST_API int cast_srtp_unprotect(struct cast_srtp *s, uint8_t *buf, size_t *len);
CAST_API int cast_srtp_unprotect_rtcp(struct cast_srtp *s, uint8_t *buf,
				      size_t *len);

/**
 * For a receiver that joined a long-running stream: SRTP's packet index
 * includes a rollover counter (ROC) that counts sequence-number wraps the
 * receiver never saw. Tries ROC 1..max_roc for this packet's SSRC; on
 * success the stream keeps that ROC, the packet is decrypted in place as by
 * cast_srtp_unprotect, and 0 is returned. Returns -EACCES when no ROC
 * authenticates it (nothing changes), CAST_EMALFORMED. Costs up to max_roc
 * AES-GCM checks: callers rate-limit it and use it only until a packet of
 * the stream was accepted.
 */
CAST_API int cast_srtp_unprotect_learn_roc(struct cast_srtp *s, uint8_t *buf,
					   size_t *len, uint32_t max_roc);

CAST_API void cast_srtp_free(struct cast_srtp **s);

#endif
