/* The class protocol's commands: typed structs to arguments and back. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast/class.h"
#include "cast/error.h"
#include "cast/homework.h"
#include "cast/input.h"

static const char *const NAMES[CAST_CMD_COUNT_] = {
	[CAST_CMD_LOCK] = "lock",	    [CAST_CMD_UNLOCK] = "unlock",
	[CAST_CMD_MESSAGE] = "message",	    [CAST_CMD_MARQUEE] = "marquee",
	[CAST_CMD_WATERMARK] = "watermark", [CAST_CMD_LANGUAGE] = "language",
	[CAST_CMD_WEB] = "web",		    [CAST_CMD_POWER] = "power",
	[CAST_CMD_CLOCK_SET] = "clock-set", [CAST_CMD_RESET] = "reset",
	[CAST_CMD_FILE_OFFER] = "file-offer", [CAST_CMD_COLLECT] = "collect",
	[CAST_CMD_ASSETS] = "assets",	    [CAST_CMD_VOICE] = "voice-play",
	[CAST_CMD_SCREEN_SEND] = "screen-send",
	[CAST_CMD_SCREEN_SHOW] = "screen-show",
	[CAST_CMD_REMOTE] = "remote-control",
	[CAST_CMD_REMOTE_INPUT] = "remote-input",
	[CAST_CMD_BROADCAST] = "broadcast-state",
};

#define KEYS_MAX 12

/* The arguments each command may carry (all others are refused). */
static const char *const KEYS[CAST_CMD_COUNT_][KEYS_MAX] = {
	[CAST_CMD_LOCK] = {"notice"},
	[CAST_CMD_MESSAGE] = {"title", "text"},
	[CAST_CMD_MARQUEE] = {"text", "seconds"},
	[CAST_CMD_WATERMARK] = {"fields", "text", "opacity", "place"},
	[CAST_CMD_LANGUAGE] = {"lang"},
	[CAST_CMD_WEB] = {"url"},
	[CAST_CMD_POWER] = {"action"},
	[CAST_CMD_CLOCK_SET] = {"time_us"},
	[CAST_CMD_FILE_OFFER] = {"id", "path", "size", "sha256", "open"},
	[CAST_CMD_COLLECT] = {"folder", "collection"},
	[CAST_CMD_VOICE] = {"on"},
	[CAST_CMD_SCREEN_SEND] = {"kind", "on", "group", "port", "key", "seed",
				  "width", "height", "fps", "kbps"},
	[CAST_CMD_SCREEN_SHOW] = {"demo", "from", "group", "port", "key", "pk",
				  "lock", "film", "audio"},
	[CAST_CMD_REMOTE] = {"on"},
	[CAST_CMD_REMOTE_INPUT] = {"word"},
	[CAST_CMD_BROADCAST] = {"on"},
};

static const char *const USAGE[CAST_CMD_COUNT_] = {
	[CAST_CMD_LOCK] = "[notice=TEXT]",
	[CAST_CMD_UNLOCK] = "(nothing)",
	[CAST_CMD_MESSAGE] = "text=TEXT [title=TEXT]",
	[CAST_CMD_MARQUEE] = "text=TEXT [seconds=1..3600, a whole number]",
	[CAST_CMD_WATERMARK] = "[fields=id,name,class,ip] [text=TEXT] "
			       "[opacity=0..100, a whole number] "
			       "[place=corner|center|tiled]",
	[CAST_CMD_LANGUAGE] = "lang=zh_CN|zh_TW|en",
	[CAST_CMD_WEB] = "url=http(s)://…",
	[CAST_CMD_POWER] = "action=off|restart",
	[CAST_CMD_CLOCK_SET] = "time_us=N",
	[CAST_CMD_RESET] = "(nothing)",
	[CAST_CMD_FILE_OFFER] = "id= path= size= sha256= [open=0|1]",
	[CAST_CMD_COLLECT] = "folder=NAME [collection=N]",
	[CAST_CMD_ASSETS] = "(nothing)",
	[CAST_CMD_VOICE] = "on=0|1",
	[CAST_CMD_SCREEN_SEND] = "kind=demo|wall on=0|1 [group=A port=N "
				 "key=HEX seed=HEX width= height= fps= kbps=]",
	[CAST_CMD_SCREEN_SHOW] = "demo=0|1 [from=ID group=A port=N key=HEX "
				 "pk=HEX lock=0|1 film=0|1 audio=0|1]",
	[CAST_CMD_REMOTE] = "on=0|1",
	[CAST_CMD_REMOTE_INPUT] = "word=click=X,Y|move=X,Y|key=NAME|type=TEXT",
	[CAST_CMD_BROADCAST] = "on=0|1",
};

static const char *const PLACES[] = {"tiled", "corner", "center"};
static const char *const FIELDS[] = {"id", "name", "class", "ip"};

const char *cast_command_name(enum cast_command_type type)
{
	return type > 0 && type < CAST_CMD_COUNT_ ? NAMES[type] : NULL;
}

enum cast_command_type cast_command_type_of(const char *name)
{
	for (int t = 1; name && t < CAST_CMD_COUNT_; t++)
		if (!strcmp(NAMES[t], name))
			return (enum cast_command_type)t;
	return 0;
}

void cast_watermark_default(struct cast_watermark *w)
{
	memset(w, 0, sizeof(*w));
	w->opacity = 30;
	w->place = CAST_WM_TILED;
}

void cast_command_init(struct cast_command *c, enum cast_command_type type)
{
	memset(c, 0, sizeof(*c));
	c->type = type;
	if (type == CAST_CMD_MARQUEE)
		c->u.marquee.seconds = 30;
	if (type == CAST_CMD_WATERMARK)
		cast_watermark_default(&c->u.watermark.wm);
}

int cast_wm_fields_parse(const char *s)
{
	int bits = 0;

	if (!s)
		return CAST_ERROR(EINVAL);
	while (*s) {
		size_t l = strcspn(s, ",");
		int i;

		for (i = 0; i < 4; i++)
			if (strlen(FIELDS[i]) == l && !strncmp(FIELDS[i], s, l))
				break;
		if (i == 4 || (s[l] == ',' && !s[l + 1]))
			return CAST_ERROR(EINVAL);
		bits |= 1 << i;
		s += l + (s[l] == ',');
	}
	return bits;
}

void cast_wm_fields_format(unsigned fields, char *buf, size_t size)
{
	size_t off = 0;

	if (!size)
		return;
	buf[0] = '\0';
	for (int i = 0; i < 4; i++) {
		int n;

		if (!(fields & (1u << i)))
			continue;
		n = snprintf(buf + off, size - off, "%s%s", off ? "," : "",
			     FIELDS[i]);
		if (n < 0 || (size_t)n >= size - off)
			return;
		off += (size_t)n;
	}
}

const char *cast_wm_place_name(enum cast_wm_place p)
{
	return (unsigned)p < 3 ? PLACES[p] : "tiled";
}

int cast_wm_place_parse(const char *s)
{
	for (int i = 0; s && i < 3; i++)
		if (!strcmp(PLACES[i], s))
			return i;
	return CAST_ERROR(EINVAL);
}

void cast_watermark_merge(struct cast_watermark *to, unsigned set,
			  const struct cast_watermark *from)
{
	if (set & CAST_WM_SET_FIELDS)
		to->fields = from->fields;
	if (set & CAST_WM_SET_TEXT)
		memcpy(to->text, from->text, sizeof(to->text));
	if (set & CAST_WM_SET_OPACITY)
		to->opacity = from->opacity;
	if (set & CAST_WM_SET_PLACE)
		to->place = from->place;
}

/* A web address students may be sent to: http(s), nothing unprintable. */
static bool url_ok(const char *u)
{
	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
		return false;
	for (; *u; u++)
		if ((unsigned char)*u <= ' ' || *u == 0x7f)
			return false;
	return true;
}

static bool lang_ok(const char *l)
{
	return !strcmp(l, "zh_CN") || !strcmp(l, "zh_TW") || !strcmp(l, "en");
}

/* A text within `size` bytes (with its NUL). */
static int text(const char *s, size_t size, bool required)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return CAST_ERROR(EMSGSIZE);
	return required && !n ? CAST_ERROR(EINVAL) : 0;
}

/* A remote-input word: one event as cast_input_parse reads it. */
static int input_word_check(const char *w, size_t size)
{
	struct cast_input_event ev;
	char why[160];
	int ret = text(w, size, true);

	return ret ? ret : cast_input_parse(w, &ev, why, sizeof(why));
}

static void hex_add(struct cast_args *a, const char *key, const uint8_t *b,
		    size_t n)
{
	char hex[2 * 64 + 1];

	for (size_t i = 0; i < n && i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	hex[2 * (n < 64 ? n : 64)] = '\0';
	cast_args_add(a, key, hex);
}

/* A multicast group (demo), or "" for the teacher's own address. */
static bool group_ok(const char *g, bool multicast)
{
	struct in_addr in;

	if (!multicast)
		return !g[0];
	return inet_pton(AF_INET, g, &in) == 1 &&
	       IN_MULTICAST(ntohl(in.s_addr));
}

static int stream_encode(struct cast_args *a,
			 const struct cast_screen_stream *st, bool multicast)
{
	if (!st->port || st->port > 65534 ||
	    !memchr(st->group, 0, sizeof(st->group)) ||
	    !group_ok(st->group, multicast))
		return CAST_ERROR(EINVAL);
	if (multicast)
		cast_args_add(a, "group", st->group);
	cast_args_addf(a, "port", "%u", st->port);
	{
		uint8_t k[CAST_SRTP_KEY_LEN + CAST_SRTP_SALT_LEN];

		memcpy(k, st->key.key, CAST_SRTP_KEY_LEN);
		memcpy(k + CAST_SRTP_KEY_LEN, st->key.salt, CAST_SRTP_SALT_LEN);
		hex_add(a, "key", k, sizeof(k));
	}
	return 0;
}

int cast_command_encode(const struct cast_command *c, struct cast_args *a)
{
	char buf[80];
	int ret = 0;

	if (!c || !a || !cast_command_name(c->type))
		return CAST_ERROR(EINVAL);
	switch (c->type) {
	case CAST_CMD_LOCK:
		ret = text(c->u.lock.notice, sizeof(c->u.lock.notice), false);
		if (!ret && c->u.lock.notice[0])
			cast_args_add(a, "notice", c->u.lock.notice);
		break;
	case CAST_CMD_MESSAGE:
		ret = text(c->u.message.title, sizeof(c->u.message.title),
			   false);
		if (!ret)
			ret = text(c->u.message.text, sizeof(c->u.message.text),
				   true);
		if (!ret && c->u.message.title[0])
			cast_args_add(a, "title", c->u.message.title);
		if (!ret)
			cast_args_add(a, "text", c->u.message.text);
		break;
	case CAST_CMD_MARQUEE:
		ret = text(c->u.marquee.text, sizeof(c->u.marquee.text), true);
		if (!ret && (c->u.marquee.seconds < 1 ||
			     c->u.marquee.seconds > 3600))
			ret = CAST_ERROR(EINVAL);
		if (!ret) {
			cast_args_add(a, "text", c->u.marquee.text);
			cast_args_addf(a, "seconds", "%d", c->u.marquee.seconds);
		}
		break;
	case CAST_CMD_WATERMARK: {
		const struct cast_watermark *w = &c->u.watermark.wm;
		unsigned set = c->u.watermark.set;

		ret = text(w->text, sizeof(w->text), false);
		if (!ret && ((set & CAST_WM_SET_FIELDS && w->fields > 15) ||
			     (set & CAST_WM_SET_OPACITY &&
			      (w->opacity < 0 || w->opacity > 100)) ||
			     (set & CAST_WM_SET_PLACE && (unsigned)w->place > 2)))
			ret = CAST_ERROR(EINVAL);
		if (ret)
			break;
		if (set & CAST_WM_SET_FIELDS) {
			cast_wm_fields_format(w->fields, buf, sizeof(buf));
			cast_args_add(a, "fields", buf);
		}
		if (set & CAST_WM_SET_TEXT)
			cast_args_add(a, "text", w->text);
		if (set & CAST_WM_SET_OPACITY)
			cast_args_addf(a, "opacity", "%d", w->opacity);
		if (set & CAST_WM_SET_PLACE)
			cast_args_add(a, "place", cast_wm_place_name(w->place));
		break;
	}
	case CAST_CMD_LANGUAGE:
		if (!lang_ok(c->u.language.lang))
			ret = CAST_ERROR(EINVAL);
		else
			cast_args_add(a, "lang", c->u.language.lang);
		break;
	case CAST_CMD_WEB:
		ret = text(c->u.web.url, sizeof(c->u.web.url), true);
		if (!ret && !url_ok(c->u.web.url))
			ret = CAST_ERROR(EINVAL);
		if (!ret)
			cast_args_add(a, "url", c->u.web.url);
		break;
	case CAST_CMD_POWER:
		if (c->u.power.action != CAST_POWER_OFF &&
		    c->u.power.action != CAST_POWER_RESTART)
			ret = CAST_ERROR(EINVAL);
		else
			cast_args_add(a, "action",
				      c->u.power.action == CAST_POWER_OFF
					      ? "off"
					      : "restart");
		break;
	case CAST_CMD_CLOCK_SET:
		if (c->u.clock_set.time_us <= 0)
			ret = CAST_ERROR(EINVAL);
		else
			cast_args_addf(a, "time_us", "%lld",
				       (long long)c->u.clock_set.time_us);
		break;
	case CAST_CMD_FILE_OFFER: {
		const struct cast_file_offer *o = &c->u.file_offer;
		char hex[65];

		if (!o->transfer_id || cast_file_path_check(o->rel_path) ||
		    o->size > INT64_MAX) {
			ret = CAST_ERROR(EINVAL);
			break;
		}
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", o->sha256[i]);
		cast_args_addf(a, "id", "%u", o->transfer_id);
		cast_args_add(a, "path", o->rel_path);
		cast_args_addf(a, "size", "%llu", (unsigned long long)o->size);
		cast_args_add(a, "sha256", hex);
		cast_args_add(a, "open", o->open_after ? "1" : "0");
		break;
	}
	case CAST_CMD_COLLECT:
		if (text(c->u.collect.folder, sizeof(c->u.collect.folder),
			 true) ||
		    cast_homework_path_check(c->u.collect.folder)) {
			ret = CAST_ERROR(EINVAL);
			break;
		}
		cast_args_add(a, "folder", c->u.collect.folder);
		cast_args_addf(a, "collection", "%u", c->u.collect.collection);
		break;
	case CAST_CMD_VOICE:
		cast_args_add(a, "on", c->u.voice.on ? "1" : "0");
		break;
	case CAST_CMD_BROADCAST:
		cast_args_add(a, "on", c->u.broadcast.on ? "1" : "0");
		break;
	case CAST_CMD_SCREEN_SEND: {
		const struct cast_cmd_screen_send *ss = &c->u.screen_send;

		if (ss->kind != CAST_SCREEN_DEMO && ss->kind != CAST_SCREEN_WALL) {
			ret = CAST_ERROR(EINVAL);
			break;
		}
		cast_args_add(a, "kind",
			      ss->kind == CAST_SCREEN_DEMO ? "demo" : "wall");
		cast_args_add(a, "on", ss->on ? "1" : "0");
		if (!ss->on)
			break;
		if (ss->width < 0 || ss->height < 0 || ss->width > 7680 ||
		    ss->height > 4320 || ss->fps < 1 || ss->fps > 60 ||
		    ss->kbps < 16 || ss->kbps > 50000) {
			ret = CAST_ERROR(EINVAL);
			break;
		}
		ret = stream_encode(a, &ss->to, ss->kind == CAST_SCREEN_DEMO);
		hex_add(a, "seed", ss->seed, sizeof(ss->seed));
		cast_args_addf(a, "width", "%d", ss->width);
		cast_args_addf(a, "height", "%d", ss->height);
		cast_args_addf(a, "fps", "%d", ss->fps);
		cast_args_addf(a, "kbps", "%d", ss->kbps);
		break;
	}
	case CAST_CMD_SCREEN_SHOW: {
		const struct cast_cmd_screen_show *sh = &c->u.screen_show;

		cast_args_add(a, "demo", sh->demo ? "1" : "0");
		if (!sh->demo)
			break;
		ret = text(sh->from, sizeof(sh->from), true);
		if (!ret)
			ret = stream_encode(a, &sh->from_stream, true);
		cast_args_add(a, "from", sh->from);
		hex_add(a, "pk", sh->pk, sizeof(sh->pk));
		cast_args_add(a, "lock", sh->lock ? "1" : "0");
		/* Its sound's ports follow the picture's. */
		if (!ret && sh->audio && sh->from_stream.port > 65532)
			ret = CAST_ERROR(EINVAL);
		/* Only when set: a demo reads as it always did. */
		if (sh->film)
			cast_args_add(a, "film", "1");
		if (sh->audio)
			cast_args_add(a, "audio", "1");
		break;
	}
	case CAST_CMD_REMOTE:
		cast_args_add(a, "on", c->u.remote.on ? "1" : "0");
		break;
	case CAST_CMD_REMOTE_INPUT:
		ret = input_word_check(c->u.input.word, sizeof(c->u.input.word));
		if (!ret)
			cast_args_add(a, "word", c->u.input.word);
		break;
	default:
		break; /* no arguments */
	}
	return ret ? ret : a->err;
}

/* Reads a text argument into out (size bytes); absent leaves it. */
static int get_text(const uint8_t *args, size_t len, const char *key,
		    char *out, size_t size, bool required)
{
	int ret = cast_args_get(args, len, key, out, size);

	if (ret < 0)
		return ret;
	if (required && (ret == 0 || !out[0]))
		return CAST_ERROR(EINVAL);
	return 0;
}

static int hexbyte(const char *s)
{
	int v = 0;

	for (int i = 0; i < 2; i++) {
		char ch = s[i];

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else
			return -1;
	}
	return v;
}

/* A hex argument of exactly n bytes. */
static int hex_get(const uint8_t *args, size_t len, const char *key,
		   uint8_t *out, size_t n)
{
	char v[2 * 64 + 2];

	if (n > 64 || cast_args_get(args, len, key, v, sizeof(v)) != 1 ||
	    strlen(v) != 2 * n)
		return CAST_ERROR(EINVAL);
	for (size_t i = 0; i < n; i++) {
		int b = hexbyte(v + 2 * i);

		if (b < 0)
			return CAST_ERROR(EINVAL);
		out[i] = (uint8_t)b;
	}
	return 0;
}

static int stream_decode(const uint8_t *args, size_t len,
			 struct cast_screen_stream *st, bool multicast)
{
	uint8_t k[CAST_SRTP_KEY_LEN + CAST_SRTP_SALT_LEN];
	long long x;
	int r = 0;

	if (multicast)
		r = cast_args_get(args, len, "group", st->group,
				  sizeof(st->group));
	else if (cast_args_get(args, len, "group", st->group,
			       sizeof(st->group)) != 0)
		return CAST_ERROR(EINVAL);
	if (r < 0 || !group_ok(st->group, multicast) ||
	    cast_args_get_int(args, len, "port", 1024, 65534, &x) != 1 ||
	    hex_get(args, len, "key", k, sizeof(k)))
		return CAST_ERROR(EINVAL);
	st->port = (uint16_t)x;
	memcpy(st->key.key, k, CAST_SRTP_KEY_LEN);
	memcpy(st->key.salt, k + CAST_SRTP_KEY_LEN, CAST_SRTP_SALT_LEN);
	return 0;
}

static int decode_args(struct cast_command *c, const uint8_t *args,
		       size_t len)
{
	char v[80];
	long long x;
	int ret = 0, r;

	switch (c->type) {
	case CAST_CMD_LOCK:
		return get_text(args, len, "notice", c->u.lock.notice,
				sizeof(c->u.lock.notice), false);
	case CAST_CMD_MESSAGE:
		ret = get_text(args, len, "title", c->u.message.title,
			       sizeof(c->u.message.title), false);
		return ret ? ret
			   : get_text(args, len, "text", c->u.message.text,
				      sizeof(c->u.message.text), true);
	case CAST_CMD_MARQUEE:
		ret = get_text(args, len, "text", c->u.marquee.text,
			       sizeof(c->u.marquee.text), true);
		r = cast_args_get_int(args, len, "seconds", 1, 3600, &x);
		if (!ret && r < 0)
			ret = r;
		if (r == 1)
			c->u.marquee.seconds = (int)x;
		return ret;
	case CAST_CMD_WATERMARK: {
		struct cast_watermark *w = &c->u.watermark.wm;

		r = cast_args_get(args, len, "fields", v, sizeof(v));
		if (r == 1) {
			int bits = cast_wm_fields_parse(v);

			if (bits < 0)
				return bits;
			w->fields = (unsigned)bits;
			c->u.watermark.set |= CAST_WM_SET_FIELDS;
		} else if (r < 0) {
			return CAST_ERROR(EINVAL);
		}
		r = cast_args_get(args, len, "text", w->text, sizeof(w->text));
		if (r < 0)
			return r;
		if (r == 1)
			c->u.watermark.set |= CAST_WM_SET_TEXT;
		r = cast_args_get_int(args, len, "opacity", 0, 100, &x);
		if (r < 0)
			return r;
		if (r == 1) {
			w->opacity = (int)x;
			c->u.watermark.set |= CAST_WM_SET_OPACITY;
		}
		r = cast_args_get(args, len, "place", v, sizeof(v));
		if (r == 1) {
			int p = cast_wm_place_parse(v);

			if (p < 0)
				return p;
			w->place = (enum cast_wm_place)p;
			c->u.watermark.set |= CAST_WM_SET_PLACE;
		} else if (r < 0) {
			return CAST_ERROR(EINVAL);
		}
		return 0;
	}
	case CAST_CMD_LANGUAGE:
		if (cast_args_get(args, len, "lang", c->u.language.lang,
				  sizeof(c->u.language.lang)) != 1 ||
		    !lang_ok(c->u.language.lang))
			return CAST_ERROR(EINVAL);
		return 0;
	case CAST_CMD_WEB:
		ret = get_text(args, len, "url", c->u.web.url,
			       sizeof(c->u.web.url), true);
		return ret ? ret : url_ok(c->u.web.url) ? 0 : CAST_ERROR(EINVAL);
	case CAST_CMD_POWER:
		if (cast_args_get(args, len, "action", v, sizeof(v)) != 1)
			return CAST_ERROR(EINVAL);
		if (!strcmp(v, "off"))
			c->u.power.action = CAST_POWER_OFF;
		else if (!strcmp(v, "restart"))
			c->u.power.action = CAST_POWER_RESTART;
		else
			return CAST_ERROR(EINVAL);
		return 0;
	case CAST_CMD_CLOCK_SET:
		if (cast_args_get_int(args, len, "time_us", 1, INT64_MAX, &x) !=
		    1)
			return CAST_ERROR(EINVAL);
		c->u.clock_set.time_us = x;
		return 0;
	case CAST_CMD_FILE_OFFER: {
		struct cast_file_offer *o = &c->u.file_offer;

		if (cast_args_get_int(args, len, "id", 1, UINT32_MAX, &x) != 1)
			return CAST_ERROR(EINVAL);
		o->transfer_id = (uint32_t)x;
		if (cast_args_get(args, len, "path", o->rel_path,
				  sizeof(o->rel_path)) != 1 ||
		    cast_file_path_check(o->rel_path) ||
		    cast_args_get_int(args, len, "size", 0, INT64_MAX, &x) != 1)
			return CAST_ERROR(EINVAL);
		o->size = (uint64_t)x;
		if (cast_args_get(args, len, "sha256", v, sizeof(v)) != 1 ||
		    strlen(v) != 64)
			return CAST_ERROR(EINVAL);
		for (int i = 0; i < 32; i++) {
			int b = hexbyte(v + 2 * i);

			if (b < 0)
				return CAST_ERROR(EINVAL);
			o->sha256[i] = (uint8_t)b;
		}
		r = cast_args_get(args, len, "open", v, sizeof(v));
		if (r < 0 || (r == 1 && strcmp(v, "0") && strcmp(v, "1")))
			return CAST_ERROR(EINVAL);
		o->open_after = r == 1 && v[0] == '1';
		return 0;
	}
	case CAST_CMD_COLLECT:
		r = cast_args_get_int(args, len, "collection", 0, UINT32_MAX,
				      &x);
		if (cast_args_get(args, len, "folder", c->u.collect.folder,
				  sizeof(c->u.collect.folder)) != 1 ||
		    cast_homework_path_check(c->u.collect.folder) || r < 0)
			return CAST_ERROR(EINVAL);
		c->u.collect.collection = r == 1 ? (uint32_t)x : 0;
		return 0;
	case CAST_CMD_VOICE:
		if (cast_args_get_int(args, len, "on", 0, 1, &x) != 1)
			return CAST_ERROR(EINVAL);
		c->u.voice.on = x == 1;
		return 0;
	case CAST_CMD_BROADCAST:
		if (cast_args_get_int(args, len, "on", 0, 1, &x) != 1)
			return CAST_ERROR(EINVAL);
		c->u.broadcast.on = x == 1;
		return 0;
	case CAST_CMD_SCREEN_SEND: {
		struct cast_cmd_screen_send *ss = &c->u.screen_send;

		if (cast_args_get(args, len, "kind", v, sizeof(v)) != 1)
			return CAST_ERROR(EINVAL);
		if (!strcmp(v, "demo"))
			ss->kind = CAST_SCREEN_DEMO;
		else if (!strcmp(v, "wall"))
			ss->kind = CAST_SCREEN_WALL;
		else
			return CAST_ERROR(EINVAL);
		if (cast_args_get_int(args, len, "on", 0, 1, &x) != 1)
			return CAST_ERROR(EINVAL);
		ss->on = x == 1;
		if (!ss->on)
			return 0;
		if (stream_decode(args, len, &ss->to,
				  ss->kind == CAST_SCREEN_DEMO) ||
		    hex_get(args, len, "seed", ss->seed, sizeof(ss->seed)))
			return CAST_ERROR(EINVAL);
		if (cast_args_get_int(args, len, "width", 0, 7680, &x) != 1)
			return CAST_ERROR(EINVAL);
		ss->width = (int)x;
		if (cast_args_get_int(args, len, "height", 0, 4320, &x) != 1)
			return CAST_ERROR(EINVAL);
		ss->height = (int)x;
		if (cast_args_get_int(args, len, "fps", 1, 60, &x) != 1)
			return CAST_ERROR(EINVAL);
		ss->fps = (int)x;
		if (cast_args_get_int(args, len, "kbps", 16, 50000, &x) != 1)
			return CAST_ERROR(EINVAL);
		ss->kbps = (int)x;
		return 0;
	}
	case CAST_CMD_SCREEN_SHOW: {
		struct cast_cmd_screen_show *sh = &c->u.screen_show;

		if (cast_args_get_int(args, len, "demo", 0, 1, &x) != 1)
			return CAST_ERROR(EINVAL);
		sh->demo = x == 1;
		if (!sh->demo)
			return 0;
		if (get_text(args, len, "from", sh->from, sizeof(sh->from),
			     true) ||
		    stream_decode(args, len, &sh->from_stream, true) ||
		    hex_get(args, len, "pk", sh->pk, sizeof(sh->pk)) ||
		    cast_args_get_int(args, len, "lock", 0, 1, &x) != 1)
			return CAST_ERROR(EINVAL);
		sh->lock = x == 1;
		r = cast_args_get_int(args, len, "film", 0, 1, &x);
		if (r < 0)
			return CAST_ERROR(EINVAL);
		sh->film = r == 1 && x == 1;
		r = cast_args_get_int(args, len, "audio", 0, 1, &x);
		if (r < 0)
			return CAST_ERROR(EINVAL);
		sh->audio = r == 1 && x == 1;
		/* Its sound's ports follow the picture's. */
		if (sh->audio && sh->from_stream.port > 65532)
			return CAST_ERROR(EINVAL);
		return 0;
	}
	case CAST_CMD_REMOTE:
		if (cast_args_get_int(args, len, "on", 0, 1, &x) != 1)
			return CAST_ERROR(EINVAL);
		c->u.remote.on = x == 1;
		return 0;
	case CAST_CMD_REMOTE_INPUT:
		ret = get_text(args, len, "word", c->u.input.word,
			       sizeof(c->u.input.word), true);
		return ret ? ret
			   : input_word_check(c->u.input.word,
					      sizeof(c->u.input.word));
	default:
		return 0;
	}
}

int cast_command_decode(const char *name, const uint8_t *args, size_t len,
			struct cast_command *out)
{
	enum cast_command_type type = cast_command_type_of(name);
	struct cast_command *c;
	size_t i = 0;
	int ret;

	if (!out)
		return CAST_ERROR(EINVAL);
	if (!type)
		return CAST_ERROR(ENOSYS);
	if (cast_args_check(args, len))
		return CAST_ERROR(EINVAL);
	/* Only the arguments the command takes. */
	while (i < len) {
		const char *item = (const char *)args + i;
		size_t k = strcspn(item, "="), j;

		for (j = 0; j < KEYS_MAX && KEYS[type][j]; j++)
			if (strlen(KEYS[type][j]) == k &&
			    !strncmp(KEYS[type][j], item, k))
				break;
		if (j == KEYS_MAX || !KEYS[type][j])
			return CAST_ERROR(EINVAL);
		i += strlen(item) + 1;
	}
	c = malloc(sizeof(*c));
	if (!c)
		return CAST_ERROR(ENOMEM);
	cast_command_init(c, type);
	ret = decode_args(c, args, len);
	if (!ret)
		memcpy(out, c, sizeof(*c));
	free(c);
	return ret;
}

const char *cast_command_usage(enum cast_command_type type)
{
	return type > 0 && type < CAST_CMD_COUNT_ ? USAGE[type] : "";
}

/* The limit of a text argument of `type`, or 0 when `key` is no text. */
static size_t text_limit(enum cast_command_type type, const char *key)
{
	if (type == CAST_CMD_MESSAGE && !strcmp(key, "text"))
		return CAST_TEXT_MAX;
	if (!strcmp(key, "notice") || !strcmp(key, "title") ||
	    !strcmp(key, "text") || !strcmp(key, "url"))
		return CAST_NOTICE_MAX;
	return 0;
}

int cast_command_parse(enum cast_command_type type, int argc,
		       char *const *argv, struct cast_command *out, char *why,
		       size_t why_size)
{
	const char *name = cast_command_name(type);
	struct cast_args a = {0};
	int ret = 0;

	if (!name || !out || !why || !why_size)
		return CAST_ERROR(EINVAL);
	why[0] = '\0';
	if (type == CAST_CMD_FILE_OFFER || type == CAST_CMD_COLLECT ||
	    type == CAST_CMD_SCREEN_SEND || type == CAST_CMD_SCREEN_SHOW ||
	    type == CAST_CMD_REMOTE || type == CAST_CMD_REMOTE_INPUT ||
	    type == CAST_CMD_BROADCAST)
		return CAST_ERROR(ENOSYS);
	for (int i = 0; i < argc && !ret; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t k = eq ? (size_t)(eq - argv[i]) : 0, j, lim;
		char key[CAST_ARGS_KEY_MAX];

		if (!k || k >= sizeof(key)) {
			snprintf(why, why_size, "%s: arguments are key=value, "
				 "not '%.40s'; it takes %s", name, argv[i],
				 USAGE[type]);
			ret = CAST_ERROR(EINVAL);
			break;
		}
		memcpy(key, argv[i], k);
		key[k] = '\0';
		for (j = 0; j < KEYS_MAX && KEYS[type][j]; j++)
			if (!strcmp(KEYS[type][j], key))
				break;
		if (j == KEYS_MAX || !KEYS[type][j]) {
			snprintf(why, why_size, "%s takes no '%s'; it takes %s",
				 name, key, USAGE[type]);
			ret = CAST_ERROR(EINVAL);
			break;
		}
		lim = text_limit(type, key);
		if (lim && strlen(eq + 1) >= lim) {
			snprintf(why, why_size, "%s: %s is %zu bytes, over the "
				 "limit of %zu: nothing sent", name, key,
				 strlen(eq + 1), lim - 1);
			ret = CAST_ERROR(EMSGSIZE);
			break;
		}
		ret = cast_args_add(&a, key, eq + 1);
		if (ret)
			snprintf(why, why_size, "%s: '%s' given twice, or not "
				 "UTF-8 text", name, key);
	}
	if (!ret) {
		ret = cast_command_decode(name, a.buf, a.len, out);
		if (ret)
			snprintf(why, why_size, "%s: %s; it takes %s", name,
				 ret == CAST_ERROR(EMSGSIZE)
					 ? "a text over its limit"
					 : "a value missing or not of its form",
				 USAGE[type]);
	}
	cast_args_free(&a);
	return ret;
}
