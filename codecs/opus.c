/* Opus speech encoder and decoder (libopus): 48 kHz mono, 20 ms frames. */
#include <stdlib.h>

#include <opus.h>

#include "cast/audio.h"
#include "cast/error.h"
#include "cast/log.h"

struct cast_opus_enc {
	OpusEncoder *enc;
};

struct cast_opus_dec {
	OpusDecoder *dec;
};

void cast_opus_enc_cfg_init(struct cast_opus_enc_cfg *cfg)
{
	cfg->bitrate = 32000;
	cfg->fec = true;
	cfg->loss_pct = 10;
	cfg->complexity = 5;
}

int cast_opus_enc_new(struct cast_opus_enc **out,
		      const struct cast_opus_enc_cfg *cfg)
{
	struct cast_opus_enc *e;
	int err;

	if (cfg->bitrate < 6000 || cfg->bitrate > 510000 ||
	    cfg->complexity < 0 || cfg->complexity > 10 ||
	    cfg->loss_pct < 0 || cfg->loss_pct > 100)
		return CAST_ERROR(EINVAL);
	e = calloc(1, sizeof(*e));
	if (!e)
		return CAST_ERROR(ENOMEM);
	e->enc = opus_encoder_create(CAST_AUDIO_RATE, 1, OPUS_APPLICATION_VOIP,
				     &err);
	if (!e->enc) {
		cast_log(CAST_LOG_ERROR, "opus", "encoder: %s",
			 opus_strerror(err));
		free(e);
		return CAST_EEXTERNAL;
	}
	opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(cfg->bitrate));
	opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(cfg->complexity));
	opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(cfg->fec ? 1 : 0));
	opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(cfg->loss_pct));
	/* Constant frame cadence: a silent teacher still sends (tiny)
	 * frames, so students tell a pause from a loss. */
	opus_encoder_ctl(e->enc, OPUS_SET_DTX(0));
	*out = e;
	return 0;
}

int cast_opus_encode(struct cast_opus_enc *e, const int16_t *pcm, uint8_t *out,
		     size_t size)
{
	int n;

	if (size > CAST_OPUS_MAX_PACKET)
		size = CAST_OPUS_MAX_PACKET;
	n = opus_encode(e->enc, pcm, CAST_AUDIO_FRAME, out, (opus_int32)size);
	if (n == OPUS_BUFFER_TOO_SMALL)
		return CAST_ERROR(ENOSPC);
	return n < 0 ? CAST_EEXTERNAL : n;
}

void cast_opus_enc_free(struct cast_opus_enc **pe)
{
	if (!pe || !*pe)
		return;
	opus_encoder_destroy((*pe)->enc);
	free(*pe);
	*pe = NULL;
}

int cast_opus_dec_new(struct cast_opus_dec **out)
{
	struct cast_opus_dec *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return CAST_ERROR(ENOMEM);
	d->dec = opus_decoder_create(CAST_AUDIO_RATE, 1, &err);
	if (!d->dec) {
		free(d);
		return CAST_EEXTERNAL;
	}
	*out = d;
	return 0;
}

int cast_opus_decode(struct cast_opus_dec *d, const uint8_t *pkt, size_t len,
		     bool fec, int16_t *pcm)
{
	int n;

	if (pkt && (len == 0 || len > CAST_OPUS_MAX_PACKET))
		pkt = NULL;
	n = opus_decode(d->dec, pkt, pkt ? (opus_int32)len : 0, pcm,
			CAST_AUDIO_FRAME, fec ? 1 : 0);
	if (n == CAST_AUDIO_FRAME)
		return n;
	/* A corrupt packet, or one of another duration: conceal instead. */
	n = opus_decode(d->dec, NULL, 0, pcm, CAST_AUDIO_FRAME, 0);
	if (n != CAST_AUDIO_FRAME) {
		for (int i = 0; i < CAST_AUDIO_FRAME; i++)
			pcm[i] = 0;
	}
	return CAST_EMALFORMED;
}

void cast_opus_dec_free(struct cast_opus_dec **pd)
{
	if (!pd || !*pd)
		return;
	opus_decoder_destroy((*pd)->dec);
	free(*pd);
	*pd = NULL;
}
