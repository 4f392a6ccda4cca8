/* Channel layout (groups and ports) and the UDP multicast socket. */
#ifndef CAST_NET_H
#define CAST_NET_H

#include "defs.h"

/*
 * Every class is a channel 1..999. Channel c uses the organisation-local
 * group 239.255.H.L with H = c / 256, L = c % 256 (never 239.255.0.0), and
 * the port block CAST_PORT_BASE + 10 * c:
 *   +0 video RTP    +1 video RTCP   +2 audio RTP   +3 audio RTCP
 *   +4 discovery beacon             +5 teacher control (TCP)
 *   +6 feedback (unicast to teacher) +7 files (NORM)  +8..+9 reserved
 * docs/protocol.md documents the same table.
 */
#define CAST_CHANNEL_MIN 1
#define CAST_CHANNEL_MAX 999
#define CAST_PORT_BASE 40000

enum cast_port_kind {
	CAST_PORT_VIDEO = 0,
	CAST_PORT_VIDEO_RTCP = 1,
	CAST_PORT_AUDIO = 2,
	CAST_PORT_AUDIO_RTCP = 3,
	CAST_PORT_BEACON = 4,
	CAST_PORT_CONTROL = 5,
	CAST_PORT_FEEDBACK = 6,
	CAST_PORT_FILES = 7,	/* NORM file distribution (cast/files.h) */
};

/**
 * Writes the channel's multicast group as dotted quad into `buf` (>= 16
 * bytes). Returns 0 or -EINVAL for a channel outside 1..999.
 */
CAST_API int cast_channel_group(int channel, char *buf, size_t size);
/** Returns the channel's port of the given kind, or -EINVAL. */
CAST_API int cast_channel_port(int channel, enum cast_port_kind kind);

struct cast_udp;

struct cast_udp_cfg {
	/** Local address to bind (NULL: any). For receivers of a group, the group. */
	const char *bind_addr;
	uint16_t port;		/* 0: ephemeral */
	/** Multicast group to join (receive) — NULL for none. */
	const char *group;
	/** Interface for multicast: name ("lo", "eth0") or IPv4; NULL: default. */
	const char *iface;
	int ttl;		/* multicast TTL, default 1 (one LAN) */
	bool loop;		/* deliver own multicast locally, default true */
	int rcvbuf;		/* SO_RCVBUF bytes, default 4 MiB (0: leave) */
	int sndbuf;		/* SO_SNDBUF bytes, default 1 MiB (0: leave) */
	/**
	 * Also receive multicast of groups other sockets on this host joined
	 * (Linux IP_MULTICAST_ALL). Default true; unicast-only sockets that
	 * share a port with group sockets turn it off.
	 */
	bool multicast_all;
	/** Default destination for cast_udp_send (NULL: none). */
	const char *dest_addr;
	uint16_t dest_port;
};

CAST_API void cast_udp_cfg_init(struct cast_udp_cfg *cfg);
/**
 * Opens, binds and (for a group) joins. Errors: -EINVAL (bad address),
 * -ENODEV (no such interface), and the socket calls' errno.
 */
CAST_API int cast_udp_new(struct cast_udp **out, const struct cast_udp_cfg *cfg);
/** Sends to the default destination. Returns bytes sent or negative errno. */
CAST_API int cast_udp_send(struct cast_udp *u, const void *buf, size_t len);
/** Sends to `ip`:`port` (host order). Returns bytes sent or negative errno. */
CAST_API int cast_udp_send_to(struct cast_udp *u, const void *buf, size_t len,
			      uint32_t ip, uint16_t port);
/** The bound local port (host order), or negative errno. */
CAST_API int cast_udp_local_port(const struct cast_udp *u);
/**
 * Receives one datagram (non-blocking when timeout_ms == 0; -1 waits).
 * Returns its length, -EAGAIN on timeout, or negative errno. `from` (may be
 * NULL) receives the sender's IPv4 address in host order.
 */
CAST_API int cast_udp_recv(struct cast_udp *u, void *buf, size_t size,
			   int timeout_ms, uint32_t *from_ip, uint16_t *from_port);
/** Leaves the group (if any) and joins it again (for rejoin after a drop). */
CAST_API int cast_udp_rejoin(struct cast_udp *u);
CAST_API int cast_udp_fd(const struct cast_udp *u);
CAST_API void cast_udp_free(struct cast_udp **u);

/* ---- Choosing a free channel (a new teacher's first start) ----------- */

struct cast_key;

/** How many candidate channels cast_channel_pick listens to at most. */
#define CAST_CHANNEL_CANDIDATES_MAX 64

/**
 * The class's candidate channels, best first: `n` (1..64) distinct
 * channels 1..999 drawn from HMAC-SHA256(the key's beacon secret,
 * "libcast channel order v1" || counter). Every teacher of a class gets the
 * same order; another class's order is unrelated, so two new teachers in
 * neighbouring labs do not both start on the same channel. Returns n, or
 * -EINVAL (NULL, n out of range), CAST_EEXTERNAL (HMAC failed).
 */
CAST_API int cast_channel_candidates(const struct cast_key *k, int *out,
				     int n);

/**
 * Listens `ms` milliseconds at once on each of the `n` channels' beacon
 * and video RTP groups/ports (on `iface`, NULL: the default) and sets
 * busy[i] when any datagram arrived on channel[i]: another class's beacons
 * cannot be verified with this class's key, so any traffic means "in use".
 * Returns the number of busy channels, or -EINVAL, -ENODEV, socket errors.
 */
CAST_API int cast_channel_listen(const int *channels, int n, const char *iface,
				 int ms, bool *busy);

struct cast_channel_pick_cfg;

/**
 * Sets busy[i] for each of the `n` candidate channels in use (as
 * cast_channel_listen does). Returns >= 0 or a negative errno.
 */
typedef int(cast_channel_probe_cb)(const struct cast_channel_pick_cfg *cfg,
				   const int *channels, int n, bool *busy);

struct cast_channel_pick_cfg {
	const struct cast_key *key;	/* required: gives the order */
	const char *iface;		/* NULL: the default */
	int listen_ms;			/* default 1500 (beacons: every 1 s) */
	int candidates;			/* 1..64, default 16 */
	/** Default cast_channel_listen; tests inject busy channels here. */
	cast_channel_probe_cb *probe;
	void *arg;			/* for `probe` */
};

CAST_API void cast_channel_pick_cfg_init(struct cast_channel_pick_cfg *cfg);

/**
 * Picks a channel no other class uses on this LAN: the first candidate
 * (cast_channel_candidates) that was quiet while listening. Returns the
 * channel (1..999), or -EBUSY (every candidate is in use), -EINVAL, and
 * the probe's errors.
 */
CAST_API int cast_channel_pick(const struct cast_channel_pick_cfg *cfg);

/**
 * The teacher's own channel, kept beside its class key (a "channel = N"
 * file, docs/protocol.md "Channels"). Load: 0 and `*channel` set, or the
 * open/read errno (-ENOENT: none chosen yet), CAST_EMALFORMED (no valid
 * channel line, or an unknown key), -EFBIG. Save: atomically, mode 0600;
 * 0, -EINVAL or the file calls' errno.
 */
CAST_API int cast_channel_load(const char *path, int *channel);
CAST_API int cast_channel_save(const char *path, int channel);

/* ---- MAC addresses and Wake-on-LAN (F10) ------------------------------ */

/**
 * Parses six hex pairs split by ':' or '-' (one kind throughout). Returns
 * 0 or -EINVAL; `mac` is written on success only.
 */
CAST_API int cast_mac_parse(const char *s, uint8_t mac[6]);
/** "aa:bb:cc:dd:ee:ff" into `buf` (at least 18 bytes); "" for all zero. */
CAST_API void cast_mac_format(const uint8_t mac[6], char *buf, size_t size);
/**
 * Sends a Wake-on-LAN magic packet for `mac` to `addr` (IPv4, e.g. the
 * lab's broadcast address; NULL: 255.255.255.255) port `port` (0: 9).
 * Returns 0, -EINVAL, or the socket calls' errno.
 */
CAST_API int cast_wol_send(const char *addr, uint16_t port,
			   const uint8_t mac[6]);

#endif
