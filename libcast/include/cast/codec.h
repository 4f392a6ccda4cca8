/* H.264 encoder and decoder (codecs/: libavcodec with libx264). */
#ifndef CAST_CODEC_H
#define CAST_CODEC_H

#include "frame.h"

struct cast_encoder;
struct cast_decoder;

struct cast_encoder_cfg {
	int width, height;	/* required */
	int fps;		/* default 30 */
	int bitrate_kbps;	/* default 2000 */
	/** Rate buffer (VBV) size in milliseconds of bitrate (default 1000). */
	int vbv_ms;
	const char *preset;	/* x264 preset, default "veryfast" */
	/** Periodic intra refresh instead of keyframes (default true). */
	bool intra_refresh;
	/** Full refresh period in frames (intra refresh wave or GOP); default fps. */
	int refresh_frames;
	/** Encoder threads, 0 = auto (sliced threads). */
	int threads;
	/** Constant rate factor cap (quality floor); 0 = plain ABR. Default 20. */
	int crf;
};

/** A compressed access unit in Annex B byte-stream format. */
struct cast_packet {
	const uint8_t *data;	/* owned by the codec, valid until next call */
	size_t size;
	int64_t capture_us;	/* carried from the source frame */
	bool keyframe;		/* IDR or start of a refresh wave */
};

CAST_API void cast_encoder_cfg_init(struct cast_encoder_cfg *cfg);

/**
 * Opens the H.264 encoder. Errors: -EINVAL (bad size/rate), CAST_ENOBACKEND
 * (libavcodec has no libx264), CAST_EEXTERNAL.
 */
CAST_API int cast_encoder_new(struct cast_encoder **out,
			      const struct cast_encoder_cfg *cfg);

/**
 * Queues one I420 frame of the configured size; NULL starts draining.
 * Returns 0, -EAGAIN (receive packets first), -EINVAL, CAST_EEXTERNAL.
 */
CAST_API int cast_encoder_send_frame(struct cast_encoder *e,
				     const struct cast_frame *frame);

/**
 * Takes the next packet. Returns 0, -EAGAIN (send more frames), CAST_EOF
 * (fully drained), CAST_EEXTERNAL. Call in a loop until -EAGAIN.
 */
CAST_API int cast_encoder_receive_packet(struct cast_encoder *e,
					 struct cast_packet *pkt);

/** Makes the next frame an IDR keyframe (coalesced: many calls, one IDR). */
CAST_API void cast_encoder_request_keyframe(struct cast_encoder *e);

/**
 * SPS and PPS NAL units (without start codes) for the SDP's
 * sprop-parameter-sets, and profile-level-id. Returns 0 or -ENOENT.
 */
CAST_API int cast_encoder_params(const struct cast_encoder *e,
				 const uint8_t **sps, size_t *sps_len,
				 const uint8_t **pps, size_t *pps_len);

CAST_API void cast_encoder_free(struct cast_encoder **e);

struct cast_decoder_cfg {
	int threads;	/* 0 = 1 thread, low delay */
};

CAST_API void cast_decoder_cfg_init(struct cast_decoder_cfg *cfg);
CAST_API int cast_decoder_new(struct cast_decoder **out,
			      const struct cast_decoder_cfg *cfg);

/**
 * Decodes one Annex B access unit. Writes the picture (I420, owned by the
 * decoder, valid until the next call) and returns 1 when one is ready, 0 when
 * the decoder needs more data, CAST_EMALFORMED for a broken access unit
 * (counted, the decoder stays usable). `capture_us` is carried through.
 */
CAST_API int cast_decoder_decode(struct cast_decoder *d, const uint8_t *au,
				 size_t size, int64_t capture_us,
				 struct cast_frame *out);

/**
 * Pictures may have been lost before the next access unit (a gap the network
 * could not repair): the decoder drops its references and shows nothing until
 * a keyframe or a recovery point, rather than a picture predicted from the
 * wrong ones. Frame numbers alone miss a loss of a multiple of their range
 * (e.g. exactly 32 pictures during a link outage).
 */
CAST_API void cast_decoder_resync(struct cast_decoder *d);

CAST_API void cast_decoder_free(struct cast_decoder **d);

#endif
