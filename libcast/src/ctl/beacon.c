/* Discovery beacons: signed by the teacher (Ed25519), HMAC-filtered with
 * the class key, channel-bound, replay-filtered. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cast/error.h"
#include "ctl_int.h"

#define FIELDS_LEN 38	/* the fields */
#define SIGNED_LEN 70	/* the fields and the teacher's public key */
#define SIG_OFF 70	/* Ed25519 signature over the 70 bytes before it */
#define MAC_OFF 134	/* HMAC-SHA256 under the class key of all before */
#define MAC_LEN 32

static const uint8_t MAGIC[4] = {'L', 'C', 'B', '1'};

static int mac(const struct cast_key *key, const uint8_t *buf,
	       uint8_t out[MAC_LEN])
{
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key->beacon, sizeof(key->beacon), buf,
		  MAC_OFF, out, &n) ||
	    n != MAC_LEN)
		return CAST_EEXTERNAL;
	return 0;
}

int cast_beacon_write(uint8_t *buf, size_t size, const struct cast_beacon *b,
		      const struct cast_key *key)
{
	int ret;

	if (!buf || !b || !key)
		return CAST_ERROR(EINVAL);
	if (size < CAST_BEACON_SIZE)
		return CAST_ERROR(ENOSPC);
	if (!key->can_sign)
		return CAST_ERROR(EPERM);
	memcpy(buf, MAGIC, 4);
	buf[4] = b->version;
	buf[5] = b->flags;
	cast__put16(buf + 6, b->channel);
	cast__put16(buf + 8, b->control_port);
	cast__put32(buf + 10, b->teacher_ip);
	cast__put64(buf + 14, b->boot_id);
	cast__put64(buf + 22, b->counter);
	cast__put64(buf + 30, b->time_us);
	memcpy(buf + FIELDS_LEN, key->sign_pk, 32);
	ret = cast_key_sign(key, buf, SIGNED_LEN, buf + SIG_OFF);
	if (!ret)
		ret = mac(key, buf, buf + MAC_OFF);
	return ret ? ret : CAST_BEACON_SIZE;
}

int cast_beacon_parse(const uint8_t *buf, size_t len,
		      const struct cast_key *key, int expected_channel,
		      struct cast_beacon *out)
{
	uint8_t want[MAC_LEN];
	struct cast_beacon b;
	int ret;

	if (!key || !out || (!buf && len))
		return CAST_ERROR(EINVAL);
	if (len != CAST_BEACON_SIZE || memcmp(buf, MAGIC, 4))
		return CAST_EMALFORMED;
	/* The class key first: cheap, and it keeps strangers' traffic from
	 * costing a signature check. */
	ret = mac(key, buf, want);
	if (ret)
		return ret;
	if (CRYPTO_memcmp(want, buf + MAC_OFF, MAC_LEN))
		return CAST_ERROR(EACCES);
	b.version = buf[4];
	b.flags = buf[5];
	b.channel = cast__get16(buf + 6);
	b.control_port = cast__get16(buf + 8);
	b.teacher_ip = cast__get32(buf + 10);
	b.boot_id = cast__get64(buf + 14);
	b.counter = cast__get64(buf + 22);
	b.time_us = cast__get64(buf + 30);
	if (b.version != CAST_BEACON_VERSION)
		return CAST_ERROR(EPROTONOSUPPORT);
	if ((int)b.channel != expected_channel)
		return CAST_ERROR(ECHRNG);
	/* Then the teacher: one this class obeys, and its signature. */
	memcpy(b.teacher_pk, buf + FIELDS_LEN, 32);
	if (cast_key_verify(key, b.teacher_pk, buf, SIGNED_LEN, buf + SIG_OFF))
		return CAST_ERROR(EPERM);
	*out = b;
	return 0;
}

void cast_beacon_filter_init(struct cast_beacon_filter *f)
{
	memset(f, 0, sizeof(*f));
}

int cast_beacon_filter_check(struct cast_beacon_filter *f,
			     const struct cast_beacon *b)
{
	unsigned i, victim = 0;

	f->uses++;
	for (i = 0; i < f->n; i++) {
		if (f->boot[i].boot_id != b->boot_id)
			continue;
		if (b->counter <= f->boot[i].counter)
			return CAST_ERROR(EALREADY);
		f->boot[i].counter = b->counter;
		f->boot[i].last_use = f->uses;
		return 0;
	}
	if (f->n < CAST_BEACON_BOOTS) {
		victim = f->n++;
	} else {
		for (i = 1; i < CAST_BEACON_BOOTS; i++)
			if (f->boot[i].last_use < f->boot[victim].last_use)
				victim = i;
	}
	f->boot[victim].boot_id = b->boot_id;
	f->boot[victim].counter = b->counter;
	f->boot[victim].last_use = f->uses;
	return 0;
}
