/* Internal: just enough H.264 Annex B / header parsing for the codec glue. */
#ifndef CAST_CODECS_H264_NAL_H
#define CAST_CODECS_H264_NAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CAST__NAL_SLICE = 1,
	CAST__NAL_IDR = 5,
	CAST__NAL_SEI = 6,
	CAST__NAL_SPS = 7,
	CAST__NAL_PPS = 8,
	CAST__NAL_AUD = 9,
};

/** SEI payload type of a recovery point (start of an intra refresh wave). */
#define CAST__SEI_RECOVERY_POINT 6

/**
 * Finds the next NAL unit of an Annex B buffer at or after `*pos`. Returns a
 * pointer to its header byte and writes its length (without start codes or
 * trailing zero bytes), or returns NULL at the end. Advances `*pos`.
 */
const uint8_t *cast__h264_next_nal(const uint8_t *buf, size_t size,
				   size_t *pos, size_t *len);

/** True when the SEI NAL unit `nal` carries a recovery point message. */
bool cast__h264_sei_has_recovery(const uint8_t *nal, size_t len);

/** Fields of a parameter set or slice header that the decoder glue needs. */
struct cast__h264_sps {
	int id;
	int log2_max_frame_num;
	bool separate_colour_plane;
};

struct cast__h264_pps {
	int id;
	int sps_id;
};

struct cast__h264_slice {
	int first_mb;
	int pps_id;
	int frame_num;	/* needs the SPS: -1 until then */
};

/** Parse an SPS / PPS / the start of a slice header. 0 or CAST_EMALFORMED. */
int cast__h264_parse_sps(const uint8_t *nal, size_t len,
			 struct cast__h264_sps *sps);
int cast__h264_parse_pps(const uint8_t *nal, size_t len,
			 struct cast__h264_pps *pps);
/** `sps` may be NULL: then only first_mb and pps_id are read. */
int cast__h264_parse_slice(const uint8_t *nal, size_t len,
			   const struct cast__h264_sps *sps,
			   struct cast__h264_slice *s);

#endif
