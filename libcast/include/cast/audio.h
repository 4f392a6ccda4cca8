/* Voice broadcast (F2): Opus, RTP (RFC 7587), jitter buffer, WAV, pipelines. */
#ifndef CAST_AUDIO_H
#define CAST_AUDIO_H

#include "defs.h"
#include "frame.h"
#include "key.h"
#include "rtp.h"
#include "srtp.h"
#include "stats.h"

/** The class's audio: 48 kHz mono, 16-bit, 20 ms frames. */
#define CAST_AUDIO_RATE 48000
#define CAST_AUDIO_FRAME 960
#define CAST_AUDIO_FRAME_US 20000
/** RTP payload type of Opus (dynamic, as in the SDP libcast writes). */
#define CAST_RTP_PT_OPUS 111
/**
 * RTP payload type of signed Opus: the Opus packet, then the teacher's
 * Ed25519 signature (CAST_VOICE_SIG_LEN bytes) over CAST_VOICE_SIG_CONTEXT,
 * the stream's session (cast_voice_session: a hash of its SRTP key, new at
 * each run of the teacher, so a packet signed in another lesson is refused)
 * and the RTP packet before the signature (header, channel extension,
 * Opus), as sent before SRTP. Each packet is checked on its own: nothing
 * waits for a later packet (docs/protocol.md, "Signed voice").
 */
#define CAST_RTP_PT_OPUS_SIGNED 112
#define CAST_VOICE_SIG_LEN 64
#define CAST_VOICE_SIG_CONTEXT "libcast voice v1"
#define CAST_VOICE_SESSION_LEN 16

/** The session a stream's signatures are bound to: BLAKE2b-128 of its key. */
CAST_API void cast_voice_session(const struct cast_media_key *key,
				 uint8_t out[CAST_VOICE_SESSION_LEN]);
/** Largest Opus packet (RFC 6716): also the largest payload accepted. */
#define CAST_OPUS_MAX_PACKET 1275

/* ---- Opus (codecs/opus.c) --------------------------------------------- */

struct cast_opus_enc;
struct cast_opus_dec;

struct cast_opus_enc_cfg {
	int bitrate;		/* bits/s, 6000..510000, default 32000 */
	/** In-band FEC (LBRR): a lost frame is rebuilt from the next one. */
	bool fec;		/* default true */
	int loss_pct;		/* expected loss the FEC is sized for, default 10 */
	int complexity;		/* 0..10, default 5 */
};

CAST_API void cast_opus_enc_cfg_init(struct cast_opus_enc_cfg *cfg);
/** Opens a speech encoder (48 kHz mono). Errors: -EINVAL, CAST_EEXTERNAL. */
CAST_API int cast_opus_enc_new(struct cast_opus_enc **out,
			       const struct cast_opus_enc_cfg *cfg);
/**
 * Encodes one 20 ms frame (CAST_AUDIO_FRAME samples) into `out`. Returns the
 * packet's length (a 1-byte packet is a silent frame Opus chose not to
 * code: still send it) or CAST_EEXTERNAL / -ENOSPC.
 */
CAST_API int cast_opus_encode(struct cast_opus_enc *e, const int16_t *pcm,
			      uint8_t *out, size_t size);
CAST_API void cast_opus_enc_free(struct cast_opus_enc **e);

/** Opens a decoder (48 kHz mono). Errors: CAST_EEXTERNAL, -ENOMEM. */
CAST_API int cast_opus_dec_new(struct cast_opus_dec **out);
/**
 * Decodes one 20 ms frame into `pcm` (CAST_AUDIO_FRAME samples):
 *  - pkt != NULL, fec false: the packet itself;
 *  - pkt != NULL, fec true: the frame BEFORE it, from its in-band FEC
 *    (concealment when it carries none);
 *  - pkt == NULL: loss concealment.
 * Returns CAST_AUDIO_FRAME, or CAST_EMALFORMED (a corrupt packet: `pcm`
 * then holds concealment).
 */
CAST_API int cast_opus_decode(struct cast_opus_dec *d, const uint8_t *pkt,
			      size_t len, bool fec, int16_t *pcm);
CAST_API void cast_opus_dec_free(struct cast_opus_dec **d);

/* ---- RTP payload for Opus (RFC 7587) ---------------------------------- */

/*
 * One Opus packet per RTP packet, timestamp at 48 kHz (960 per 20 ms frame),
 * marker bit on the first packet after silence (the first one sent), and the
 * libcast channel header extension like the video (CAST_RTP_EXT_CHANNEL).
 */
struct cast_opus_packetizer;

struct cast_opus_packetizer_cfg {
	uint8_t pt;		/* default CAST_RTP_PT_OPUS */
	uint32_t ssrc;		/* 0 (default): random */
	int first_seq;		/* -1 (default): random */
	uint16_t channel;	/* 0: no extension */
	/**
	 * An Ed25519 secret key (64 bytes, copied; NULL: none): each packet
	 * is then signed, payload type CAST_RTP_PT_OPUS_SIGNED, for the
	 * session `sign_session` (CAST_VOICE_SESSION_LEN bytes, copied).
	 */
	const uint8_t *sign_sk;
	const uint8_t *sign_session;
};

CAST_API void cast_opus_packetizer_cfg_init(struct cast_opus_packetizer_cfg *cfg);
CAST_API int cast_opus_packetizer_new(struct cast_opus_packetizer **out,
				      const struct cast_opus_packetizer_cfg *cfg);
/**
 * Writes one RTP packet carrying `opus` (1..CAST_OPUS_MAX_PACKET bytes) with
 * timestamp `ts` into `out`, signed when the packetizer has a key. Returns
 * its length, -EINVAL or -ENOSPC.
 */
CAST_API int cast_opus_packetize(struct cast_opus_packetizer *p,
				 const uint8_t *opus, size_t len, uint32_t ts,
				 uint8_t *out, size_t size);
/** The sequence number the next packet will carry. */
CAST_API uint16_t cast_opus_packetizer_seq(const struct cast_opus_packetizer *p);
CAST_API uint32_t cast_opus_packetizer_ssrc(const struct cast_opus_packetizer *p);
/** Packets and payload octets so far (for the RTCP SR). */
CAST_API void cast_opus_packetizer_counts(const struct cast_opus_packetizer *p,
					  uint32_t *packets, uint32_t *octets);
CAST_API void cast_opus_packetizer_free(struct cast_opus_packetizer **p);

/**
 * Checks a received (plain) RTP packet as Opus audio of `channel` (0: any)
 * and fills `hdr`: for signed Opus, the payload is the Opus packet without
 * the signature (which is not checked here: cast_opus_rtp_verify).
 * Returns 0, CAST_EMALFORMED (not RTP, another payload type, an empty or
 * oversize payload) or -EXDEV (another channel's, or a packet naming none
 * when `channel` is set).
 */
CAST_API int cast_opus_rtp_parse(const uint8_t *pkt, size_t len,
				 uint16_t channel, struct cast_rtp_hdr *hdr);
/**
 * Checks a received (plain) signed Opus packet's signature with the
 * teacher's public key `pk` (32 bytes) for `session`. Returns 0, -EACCES
 * (unsigned, or not signed by `pk` for this session) or CAST_EMALFORMED
 * (too short to hold a signature).
 */
CAST_API int cast_opus_rtp_verify(const uint8_t *pkt, size_t len,
				  const uint8_t pk[32],
				  const uint8_t session[CAST_VOICE_SESSION_LEN]);

/* ---- Jitter buffer ---------------------------------------------------- */

/*
 * The student's adaptive playout buffer (docs/voice.md says why it is ours
 * and not SpeexDSP's). Packets go in by sequence number as they arrive;
 * the output pulls one 20 ms frame per tick and is told what to play: the
 * packet, the frame rebuilt from the next packet's in-band FEC, concealment,
 * or nothing (not started, or the stream stopped). The delay it keeps
 * follows the measured arrival jitter (within min_ms..max_ms), grows by a
 * frame when the output runs dry and shrinks by a frame when more is
 * buffered than needed for a while.
 */
struct cast_jitter;

struct cast_jitter_cfg {
	/**
	 * Least playout delay, default 30: the next frame (whose in-band
	 * FEC rebuilds a lost one) and 10 ms of arrival jitter.
	 */
	int min_ms;
	int max_ms;		/* most, default 400 */
	/** No packet for this long (ms): the talk paused, start over (200). */
	int idle_ms;
};

enum cast_jitter_kind {
	CAST_JITTER_NONE = 0,	/* nothing to play (silence, not counted) */
	CAST_JITTER_PACKET,	/* play `data` */
	CAST_JITTER_FEC,	/* this frame was lost: decode `data` with fec */
	CAST_JITTER_LOST,	/* lost, or a frame of delay added: conceal */
};

struct cast_jitter_frame {
	enum cast_jitter_kind kind;
	const uint8_t *data;	/* valid until the next put/get */
	size_t len;
	uint32_t ts;		/* RTP timestamp of the frame to play */
};

struct cast_jitter_stats {
	uint64_t packets;	/* accepted */
	uint64_t duplicates;
	uint64_t late;		/* arrived after their turn */
	uint64_t played;	/* PACKET */
	uint64_t fec;		/* FEC */
	uint64_t concealed;	/* LOST */
	uint64_t dropped;	/* skipped to shrink the delay */
	uint64_t underruns;	/* ran dry while the stream went on */
	uint64_t restarts;	/* started over (pause, jump) */
	uint64_t stretched;	/* concealed frames added to grow the delay */
	int target_ms;		/* delay aimed at now */
	int depth;		/* frames buffered now */
	double jitter_ms;	/* RFC 3550 interarrival jitter */
};

CAST_API void cast_jitter_cfg_init(struct cast_jitter_cfg *cfg);
CAST_API int cast_jitter_new(struct cast_jitter **out,
			     const struct cast_jitter_cfg *cfg);
/**
 * Takes one Opus packet (copied) at monotonic time `now_us`. Returns 0,
 * 1 (dropped: a duplicate or too late, counted), -EINVAL (empty) or
 * -EMSGSIZE (over CAST_OPUS_MAX_PACKET).
 */
CAST_API int cast_jitter_put(struct cast_jitter *j, uint16_t seq, uint32_t ts,
			     const uint8_t *data, size_t len, int64_t now_us);
/**
 * The same for a packet rebuilt by coded repair: it arrived with its
 * block's repair, late by design, so its arrival does not count as the
 * network's jitter (which sets the delay) nor time the talk's start.
 */
CAST_API int cast_jitter_put_rebuilt(struct cast_jitter *j, uint16_t seq,
				     uint32_t ts, const uint8_t *data,
				     size_t len, int64_t now_us);
/** What to play for the next 20 ms, at monotonic time `now_us`. */
CAST_API void cast_jitter_get(struct cast_jitter *j, int64_t now_us,
			      struct cast_jitter_frame *out);
/**
 * Sets a delay the buffer keeps at least (ms, on top of min_ms), e.g. to
 * wait for the picture (lip sync). Takes effect at the next restart or as
 * the buffer grows; 0 removes it.
 */
CAST_API void cast_jitter_set_extra(struct cast_jitter *j, int ms);
/** True when nothing is held or playing (no talk): no need to tick. */
CAST_API bool cast_jitter_idle(const struct cast_jitter *j);
/**
 * When a stream that has begun to arrive is due to start playing
 * (monotonic µs: the oldest frame held, on the arrival clock of the
 * best-timed packet, plus the target): the output ticks from then on, so
 * no tick's phase adds to the delay. 0 when empty or already playing.
 */
CAST_API int64_t cast_jitter_due(struct cast_jitter *j);
CAST_API void cast_jitter_stats(const struct cast_jitter *j,
				struct cast_jitter_stats *st);
CAST_API void cast_jitter_free(struct cast_jitter **j);

/* ---- WAV writer ------------------------------------------------------- */

struct cast_wav;

/**
 * Creates (truncates) a 16-bit PCM WAV file of `rate` Hz and `channels`.
 * Errors: -EINVAL, the open call's errno.
 */
CAST_API int cast_wav_open(struct cast_wav **out, const char *path, int rate,
			   int channels);
/** Appends `frames` sample frames. Returns 0 or -EIO / -EFBIG (over 4 GiB). */
CAST_API int cast_wav_write(struct cast_wav *w, const int16_t *pcm,
			    size_t frames);
/**
 * Writes the final sizes into the header and closes. Returns 0 or -EIO;
 * `*w` is NULL afterwards either way.
 */
CAST_API int cast_wav_close(struct cast_wav **w);

/* ---- Audio sources ---------------------------------------------------- */

/*
 * Backends by name: "mic" (SDL2 audio capture: PulseAudio or PipeWire
 * underneath; `path` names a device, NULL the default), "file" (anything
 * libavformat opens, `path` required, resampled to 48 kHz mono, read as
 * fast as asked: the voice sender paces it), "none" (silence, never ends).
 */
struct cast_audio_source;

/**
 * Opens a source. Errors: CAST_ENOBACKEND (unknown name, or no audio
 * capture here), -ENOENT / CAST_EMALFORMED (the file), CAST_EEXTERNAL.
 */
CAST_API int cast_audio_source_new(struct cast_audio_source **out,
				   const char *backend, const char *path);
/**
 * Reads the next 20 ms (CAST_AUDIO_FRAME samples) into `pcm`. A live
 * source waits up to `timeout_ms` for them. Returns 1 (a frame), 0 (not
 * yet: live sources only), CAST_EOF (a file ended) or negative errno.
 */
CAST_API int cast_audio_source_read(struct cast_audio_source *s, int16_t *pcm,
				    int timeout_ms);
/**
 * Whether libavformat finds an audio stream in the file at `path` (a film
 * given as the picture source brings its own sound). Returns 1 (it has),
 * 0 (none), -EINVAL, -ENOENT, CAST_EMALFORMED or CAST_EEXTERNAL.
 */
CAST_API int cast_audio_file_probe(const char *path);
/** True for a live source (the microphone): it paces itself. */
CAST_API bool cast_audio_source_live(const struct cast_audio_source *s);
CAST_API void cast_audio_source_free(struct cast_audio_source **s);

/* ---- The teacher's voice sender --------------------------------------- */

struct cast_voice_sender;
struct cast_cinema;

struct cast_voice_sender_cfg {
	int channel;		/* 1..999, default 1 */
	/** Destination; NULL/0 take the channel's group and audio port. */
	const char *dest_addr;
	uint16_t dest_port;
	const char *iface;
	int ttl;		/* default 1 */
	bool loop;		/* default true */
	bool insecure;		/* plain RTP */
	/** SRTP key (the video's: one key per class); copied at new. */
	const struct cast_media_key *media_key;
	const char *source;	/* "mic", "file", "none"; default "mic" */
	const char *path;	/* file or device */
	/**
	 * A "file" source is a film's sound: it follows the film's clock
	 * (cast/record.h, not owned): silent while paused, moved with each
	 * seek, waiting at its end for the picture's. NULL: its own pace.
	 */
	struct cast_cinema *cinema;
	/** Denoise and gain control (SpeexDSP): -1 (default) on for "mic". */
	int preprocess;
	struct cast_opus_enc_cfg opus;
	/**
	 * Coded repair (cast/repair.h) sent with the stream: after each
	 * block of this many packets (a power of two 4..128, default 4),
	 * `repairs` repair packets; 0: none.
	 */
	int repair_block;
	/**
	 * Repairs per block, 1..repair_block (default 2: any two losses
	 * among a block's 4 packets and its 2 repairs rebuilt).
	 */
	int repairs;
	bool enabled;		/* sending from the start (default true) */
	/**
	 * The teacher's key (can_sign; required unless insecure or
	 * unsigned_media): its signing key signs every voice packet
	 * (CAST_RTP_PT_OPUS_SIGNED; docs/voice.md, "Source
	 * authentication"); copied at new.
	 */
	const struct cast_key *sign_key;
	/** Send unsigned packets (measurement only, as the video's). */
	bool unsigned_media;
	/**
	 * Optional tap on each Opus packet sent (the recorder's voice track:
	 * cast_recorder_audio), on the voice thread: copy, never block.
	 * `capture_us` is on the wall clock the video's capture times use.
	 */
	void (*on_opus)(const uint8_t *opus, size_t len, int64_t capture_us,
			int samples, void *arg);
	void *opus_arg;
};

struct cast_voice_sender_stats {
	uint64_t frames_read;
	uint64_t frames_sent;		/* encoded and sent */
	uint64_t packets_sent;		/* RTP packets */
	uint64_t repairs_sent;		/* coded repair packets */
	uint64_t bytes_sent;		/* everything on the wire */
	uint64_t send_errors;
	/**
	 * The source failed (read error), or a film's sound could not be
	 * opened at all (its picture then plays silent).
	 */
	uint64_t source_errors;
	/** A film's sound packets the decoder refused (played as silence). */
	uint64_t decode_errors;
	/** A film's sound lost to damage, replaced by silence (ms). */
	uint64_t missing_ms;
	/**
	 * The microphone's oldest sound dropped because the capture queue
	 * held more than 60 ms when a frame was read (ms): the voice keeps
	 * up with the teacher instead of staying behind.
	 */
	uint64_t capture_dropped_ms;
	uint32_t ssrc;
	bool enabled;
	bool finished;			/* the file ended */
	struct cast_hist encode_us;	/* preprocess + encode per frame */
	uint64_t signed_packets;	/* audio packets signed */
	uint64_t auth_bytes;		/* their signatures' bytes */
	uint64_t sign_us;		/* spent signing */
};

CAST_API void cast_voice_sender_cfg_init(struct cast_voice_sender_cfg *cfg);
/**
 * Opens the source, encoder and sockets. Errors: the source's, -EINVAL (a
 * bad channel, or no media key when secure), socket and SRTP errors.
 */
CAST_API int cast_voice_sender_new(struct cast_voice_sender **out,
				   const struct cast_voice_sender_cfg *cfg);
CAST_API int cast_voice_sender_start(struct cast_voice_sender *v);
/**
 * Appends the voice's media section (Opus, RFC 7587) to the SDP in `buf`
 * (cast_sender_sdp's), for third-party players of an --insecure class.
 * Returns the new length, -EINVAL or -ENOSPC (buf unchanged).
 */
CAST_API int cast_voice_sender_sdp(struct cast_voice_sender *v, char *buf,
				   size_t size);
/** Turns sending on or off (the source keeps being read). */
CAST_API void cast_voice_sender_enable(struct cast_voice_sender *v, bool on);
CAST_API void cast_voice_sender_stats(struct cast_voice_sender *v,
				      struct cast_voice_sender_stats *st);
CAST_API void cast_voice_sender_stop(struct cast_voice_sender *v);
CAST_API void cast_voice_sender_free(struct cast_voice_sender **v);

/* ---- The student's voice receiver ------------------------------------- */

struct cast_voice_receiver;

struct cast_voice_receiver_cfg {
	int channel;		/* default 1 */
	const char *group;	/* NULL/0: the channel's group and audio port */
	uint16_t port;
	const char *iface;
	bool insecure;
	const struct cast_media_key *media_key;	/* copied; or set later */
	/**
	 * "default" (SDL2 playback), "none" (decode and count only), or
	 * "file:PATH.wav": what would be played, 48 kHz mono, written as it
	 * would be played (in real time).
	 */
	const char *output;
	bool enabled;		/* plays from the start (default true) */
	struct cast_jitter_cfg jitter;
	int repair_block;	/* the teacher's (default 4; 0: none) */
	/**
	 * The teacher's Ed25519 public key (32 bytes, copied; or set later
	 * with cast_voice_receiver_set_teacher_key): unless insecure or
	 * unsigned_media, only packets its signatures cover are played.
	 */
	const uint8_t *teacher_pk;
	/** Play unsigned audio (default false; the video's --unsigned-media). */
	bool unsigned_media;
	/**
	 * Called on the receiver's thread with every frame played (pcm valid
	 * during the call; CAST_AUDIO_FRAME samples) and when it is heard:
	 * CLOCK_REALTIME µs (the device's queue included). May be NULL.
	 */
	void (*on_play)(const int16_t *pcm, int64_t play_us, void *arg);
	void *arg;
};

struct cast_voice_receiver_stats {
	uint64_t packets;		/* authenticated audio RTP */
	uint64_t malformed;
	uint64_t foreign;		/* another channel's */
	uint64_t auth_failures;
	uint64_t replays;
	uint64_t no_key;
	uint64_t repairs_received;
	uint64_t repairs_recovered;
	uint64_t rtcp_sr;
	uint64_t frames_played;		/* every 20 ms played: decoded,
					   rebuilt or concealed */
	uint64_t frames_fec;		/* rebuilt from in-band FEC */
	uint64_t frames_concealed;	/* Opus loss concealment */
	uint64_t output_overruns;	/* device queue full: frame skipped */
	/*
	 * Source authentication (zero when insecure or unsigned_media):
	 * audio dropped for want of the teacher's signature (unsigned, no
	 * key yet, or signed by another key), of which signed by another
	 * key; packets verified; time spent verifying.
	 */
	uint64_t unauthenticated;
	uint64_t sigs_bad;
	uint64_t sigs_ok;
	uint64_t verify_us;
	bool enabled;
	struct cast_jitter_stats jitter;
	/** Capture (teacher's wall clock) → played, µs; needs an SR. */
	struct cast_hist latency_us;
	struct cast_hist decode_us;
	/** Longest run of concealed frames (ms). */
	int64_t max_concealed_ms;
	/**
	 * Lip sync: the picture's delay (with its hold) minus the sound's
	 * (ms; > 0: the picture is later), 0 until both are known; the delay
	 * added to the sound, or the pictures' hold, that close it.
	 */
	double av_offset_ms;
	int extra_delay_ms;
	int picture_hold_ms;	/* the pictures' wait for the sound */
};

CAST_API void cast_voice_receiver_cfg_init(struct cast_voice_receiver_cfg *cfg);
/**
 * Opens the sockets, decoder and output. Errors: -EINVAL (bad channel or
 * output), the output's (file or device) and socket errors.
 */
CAST_API int cast_voice_receiver_new(struct cast_voice_receiver **out,
				     const struct cast_voice_receiver_cfg *cfg);
CAST_API int cast_voice_receiver_start(struct cast_voice_receiver *v);
/** Installs the media key (from the teacher's WELCOME). 0 or -ENOMEM. */
CAST_API int cast_voice_receiver_set_key(struct cast_voice_receiver *v,
					 const struct cast_media_key *key);
/**
 * Sets the teacher's public key (32 bytes) the voice's signatures are
 * checked with (from any thread; the video's, from WELCOME). A new key
 * forgets the stream.
 */
CAST_API void cast_voice_receiver_set_teacher_key(struct cast_voice_receiver *v,
						  const uint8_t pk[32]);
/**
 * Plays another stream instead of the class's: a film shown to this seat
 * (cast/screens.h), Opus at `group`:`port` (RTCP `port` + 1) under SRTP
 * `key` (NULL when insecure), signed with `pk` (copied). It plays whatever
 * the teacher's `voice` command says, which applies again once back.
 * `group` NULL goes back to the class's stream with the class's keys (as
 * set at new, cast_voice_receiver_set_key and _set_teacher_key, which,
 * while a film is followed, only keep them for the way back). The sockets
 * open here, the thread switches at its next wake-up (20 ms at most, or
 * 100 ms when idle), starting over like a new stream. Returns 0, -EINVAL,
 * or the socket and SRTP errors (nothing changed). Thread-safe.
 */
CAST_API int cast_voice_receiver_follow(struct cast_voice_receiver *v,
					const char *group, uint16_t port,
					const struct cast_media_key *key,
					const uint8_t pk[32]);
/** Whether another stream than the class's is followed (or about to be). */
CAST_API bool cast_voice_receiver_following(struct cast_voice_receiver *v);
/** Plays (true) or stays silent (false): the teacher's `voice` command. */
CAST_API void cast_voice_receiver_enable(struct cast_voice_receiver *v,
					 bool on);
/**
 * Lip sync: the picture's current capture → shown delay (µs, 0: no
 * picture). Audio is held back to match when it is ahead.
 */
CAST_API void cast_voice_receiver_set_video_delay(struct cast_voice_receiver *v,
						  int64_t us);
/**
 * Lip sync, the other way: how long (µs) to hold each decoded picture
 * before showing it, when the sound is later than the picture (its jitter
 * buffer); 0 when it is not, or nothing is known yet.
 */
CAST_API int64_t cast_voice_receiver_picture_hold(struct cast_voice_receiver *v);
CAST_API void cast_voice_receiver_stats(struct cast_voice_receiver *v,
					struct cast_voice_receiver_stats *st);
CAST_API void cast_voice_receiver_stop(struct cast_voice_receiver *v);
CAST_API void cast_voice_receiver_free(struct cast_voice_receiver **v);

/* ---- Holding pictures for the sound (lip sync) ------------------------ */

/*
 * A short queue of decoded pictures (I420, copied) each shown at its due
 * time: the receiver's thread pushes, the program's view loop pops. When
 * full, the oldest is handed out at the next pop whatever its time.
 */
struct cast_picture_delay;

/** max_frames 1..64. Errors: -EINVAL, -ENOMEM. */
CAST_API int cast_picture_delay_new(struct cast_picture_delay **out,
				    int max_frames);
/**
 * Copies an I420 picture to be shown at monotonic `due_us`. Returns 0,
 * -EINVAL (not I420), -ENOMEM, -ENOSPC (full: this picture is dropped and
 * the oldest is due at once).
 */
CAST_API int cast_picture_delay_push(struct cast_picture_delay *d,
				     const struct cast_frame *f, int64_t due_us);
/**
 * Hands every picture due at monotonic `now_us` to `cb` (oldest first; the
 * picture is valid during the call). Returns how many.
 */
CAST_API int cast_picture_delay_pop(struct cast_picture_delay *d,
				    int64_t now_us,
				    void (*cb)(const struct cast_frame *f,
					       void *arg),
				    void *arg);
CAST_API void cast_picture_delay_free(struct cast_picture_delay **d);

#endif
