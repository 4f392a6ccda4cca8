/* RTP payload format for Opus (RFC 7587): one Opus packet per RTP packet. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cast/audio.h"
#include "cast/error.h"
#include "cast/key.h"
#include "rtp/rtp_int.h"

struct cast_opus_packetizer {
	struct cast_opus_packetizer_cfg cfg;
	uint16_t seq;
	uint32_t packets, octets;
	bool sign;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t session[CAST_VOICE_SESSION_LEN];
};

/* CAST_VOICE_SIG_CONTEXT, the session, then the packet: what a signature
 * covers. */
#define CONTEXT_LEN (sizeof(CAST_VOICE_SIG_CONTEXT) - 1)
#define PREFIX_LEN (CONTEXT_LEN + CAST_VOICE_SESSION_LEN)
#define SIGNED_MAX (PREFIX_LEN + CAST_RTP_MAX_PKT)

void cast_voice_session(const struct cast_media_key *key,
			uint8_t out[CAST_VOICE_SESSION_LEN])
{
	crypto_generichash(out, CAST_VOICE_SESSION_LEN, (const uint8_t *)key,
			   sizeof(*key), NULL, 0);
}

static void prefix(uint8_t *msg, const uint8_t *session)
{
	memcpy(msg, CAST_VOICE_SIG_CONTEXT, CONTEXT_LEN);
	memcpy(msg + CONTEXT_LEN, session, CAST_VOICE_SESSION_LEN);
}

void cast_opus_packetizer_cfg_init(struct cast_opus_packetizer_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pt = CAST_RTP_PT_OPUS;
	cfg->first_seq = -1;
}

int cast_opus_packetizer_new(struct cast_opus_packetizer **out,
			     const struct cast_opus_packetizer_cfg *cfg)
{
	struct cast_opus_packetizer *p;
	uint16_t seq;

	if (cfg->pt > 127 || cfg->first_seq > 65535)
		return CAST_ERROR(EINVAL);
	p = calloc(1, sizeof(*p));
	if (!p)
		return CAST_ERROR(ENOMEM);
	p->cfg = *cfg;
	p->cfg.sign_sk = NULL;
	p->cfg.sign_session = NULL;
	if (cfg->sign_sk) {
		memcpy(p->sk, cfg->sign_sk, sizeof(p->sk));
		if (cfg->sign_session)
			memcpy(p->session, cfg->sign_session,
			       sizeof(p->session));
		p->sign = true;
		p->cfg.pt = CAST_RTP_PT_OPUS_SIGNED;
	}
	while (!p->cfg.ssrc)
		if (cast_random(&p->cfg.ssrc, sizeof(p->cfg.ssrc)))
			break;
	if (cfg->first_seq >= 0)
		p->seq = (uint16_t)cfg->first_seq;
	else if (!cast_random(&seq, sizeof(seq)))
		p->seq = seq;
	*out = p;
	return 0;
}

static int write_pkt(struct cast_opus_packetizer *p, uint8_t pt,
		     bool marker, const uint8_t *payload, size_t len,
		     uint32_t ts, uint8_t *out, size_t size)
{
	size_t hdr = CAST_RTP_HDR_LEN +
		     (p->cfg.channel ? CAST_RTP_EXT_CHANNEL_LEN : 0);

	if (hdr + len > size)
		return CAST_ERROR(ENOSPC);
	out[0] = p->cfg.channel ? 0x90 : 0x80;
	out[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	cast__wr16(out + 2, p->seq);
	cast__wr32(out + 4, ts);
	cast__wr32(out + 8, p->cfg.ssrc);
	if (p->cfg.channel) {
		/* RFC 8285 one-byte form, as the video's. */
		cast__wr16(out + 12, 0xBEDE);
		cast__wr16(out + 14, 1);
		out[16] = (uint8_t)(CAST_RTP_EXT_CHANNEL << 4 | 1);
		cast__wr16(out + 17, p->cfg.channel);
		out[19] = 0;
	}
	memcpy(out + hdr, payload, len);
	p->seq++;
	return (int)(hdr + len);
}

int cast_opus_packetize(struct cast_opus_packetizer *p, const uint8_t *opus,
			size_t len, uint32_t ts, uint8_t *out, size_t size)
{
	uint8_t msg[SIGNED_MAX];
	size_t room = size;
	int n;

	if (!len || len > CAST_OPUS_MAX_PACKET)
		return CAST_ERROR(EINVAL);
	if (p->sign) {
		if (size < CAST_VOICE_SIG_LEN)
			return CAST_ERROR(ENOSPC);
		room = size - CAST_VOICE_SIG_LEN;
	}
	/* RFC 7587 4.1: the marker flags the first packet of a talkspurt. */
	n = write_pkt(p, (uint8_t)p->cfg.pt, p->packets == 0, opus, len, ts,
		      out, room);
	if (n < 0)
		return n;
	if (p->sign) {
		if (PREFIX_LEN + (size_t)n > sizeof(msg)) {
			p->seq--;
			return CAST_ERROR(ENOSPC);
		}
		prefix(msg, p->session);
		memcpy(msg + PREFIX_LEN, out, (size_t)n);
		crypto_sign_detached(out + n, NULL, msg, PREFIX_LEN + (size_t)n,
				     p->sk);
		n += CAST_VOICE_SIG_LEN;
	}
	p->packets++;
	p->octets += (uint32_t)len;
	return n;
}

uint16_t cast_opus_packetizer_seq(const struct cast_opus_packetizer *p)
{
	return p->seq;
}

uint32_t cast_opus_packetizer_ssrc(const struct cast_opus_packetizer *p)
{
	return p->cfg.ssrc;
}

void cast_opus_packetizer_counts(const struct cast_opus_packetizer *p,
				 uint32_t *packets, uint32_t *octets)
{
	*packets = p->packets;
	*octets = p->octets;
}

void cast_opus_packetizer_free(struct cast_opus_packetizer **p)
{
	if (!p || !*p)
		return;
	sodium_memzero((*p)->sk, sizeof((*p)->sk));
	free(*p);
	*p = NULL;
}

int cast_opus_rtp_parse(const uint8_t *pkt, size_t len, uint16_t channel,
			struct cast_rtp_hdr *hdr)
{
	struct cast_rtp_hdr h;

	if (cast_rtp_parse(pkt, len, &h))
		return CAST_EMALFORMED;
	if (h.pt == CAST_RTP_PT_OPUS_SIGNED) {
		if (h.payload_len <= CAST_VOICE_SIG_LEN)
			return CAST_EMALFORMED;
		h.payload_len -= CAST_VOICE_SIG_LEN;
	} else if (h.pt != CAST_RTP_PT_OPUS) {
		return CAST_EMALFORMED;
	}
	if (!h.payload_len || h.payload_len > CAST_OPUS_MAX_PACKET)
		return CAST_EMALFORMED;
	if (channel && h.channel != channel)
		return CAST_ERROR(EXDEV);
	*hdr = h;
	return 0;
}

int cast_opus_rtp_verify(const uint8_t *pkt, size_t len, const uint8_t pk[32],
			 const uint8_t session[CAST_VOICE_SESSION_LEN])
{
	uint8_t msg[SIGNED_MAX];
	size_t body;

	if (len < CAST_RTP_HDR_LEN + CAST_VOICE_SIG_LEN ||
	    len > CAST_RTP_MAX_PKT)
		return CAST_EMALFORMED;
	if ((pkt[1] & 0x7f) != CAST_RTP_PT_OPUS_SIGNED)
		return CAST_ERROR(EACCES);
	body = len - CAST_VOICE_SIG_LEN;
	prefix(msg, session);
	memcpy(msg + PREFIX_LEN, pkt, body);
	if (crypto_sign_verify_detached(pkt + body, msg, PREFIX_LEN + body,
					pk))
		return CAST_ERROR(EACCES);
	return 0;
}
