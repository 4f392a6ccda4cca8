/* Remote control input words: parsed and written back, nothing carried out. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <xkbcommon/xkbcommon.h>

#include "cast/error.h"
#include "cast/input.h"
#include "input/input_int.h"

#define COORD_MAX 32767
#define WORDS "move=X,Y, click=X,Y[,left|middle|right], key=NAME, type=TEXT"

static const struct {
	const char *name;
	unsigned bit;
} mod_names[] = {
    {"ctrl", CAST__MOD_CTRL},
    {"alt", CAST__MOD_ALT},
    {"shift", CAST__MOD_SHIFT},
    {"super", CAST__MOD_SUPER},
};

static const char *const buttons[] = {NULL, "left", "middle", "right"};

__attribute__((format(printf, 4, 5))) static int
fail(char *why, size_t why_size, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && why_size) {
		va_start(ap, fmt);
		vsnprintf(why, why_size, fmt, ap);
		va_end(ap);
	}
	return err;
}

int cast__utf8_next(const char **s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t c = p[0], min;
	int n;

	if (c < 0x80) {
		n = 0;
		min = 0;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		return CAST_ERROR(EINVAL);
	}
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return CAST_ERROR(EINVAL);
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return CAST_ERROR(EINVAL);
	*cp = c;
	*s += n + 1;
	return 0;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Valid UTF-8, no control characters but \n and \t. */
static int text_check(const char *text, char *why, size_t why_size)
{
	const char *p = text;
	uint32_t cp;

	while (*p) {
		size_t at = (size_t)(p - text);

		if (cast__utf8_next(&p, &cp))
			return fail(why, why_size, CAST_ERROR(EINVAL),
			            "type: the text is not valid UTF-8 (byte "
			            "%zu); type=TEXT takes UTF-8 text",
			            at);
		if (is_control(cp) && cp != '\n' && cp != '\t')
			return fail(why, why_size, CAST_ERROR(EINVAL),
			            "type: control character U+%04X at byte "
			            "%zu; type=TEXT takes text, newlines and "
			            "tabs",
			            (unsigned)cp, at);
	}
	return 0;
}

/* The keysym of a key name: its X name, else one character, else the name
 * in any case ("return"). */
static uint32_t keysym_of(const char *name)
{
	const char *p = name;
	xkb_keysym_t sym;
	uint32_t cp;

	sym = xkb_keysym_from_name(name, XKB_KEYSYM_NO_FLAGS);
	if (sym != XKB_KEY_NoSymbol)
		return sym;
	if (!cast__utf8_next(&p, &cp) && !*p) {
		if (is_control(cp))
			return XKB_KEY_NoSymbol;
		return xkb_utf32_to_keysym(cp);
	}
	return xkb_keysym_from_name(name, XKB_KEYSYM_CASE_INSENSITIVE);
}

int cast__input_key(const char *name, unsigned *mods, uint32_t *sym, char *why,
                    size_t why_size)
{
	const char *p = name, *q;
	unsigned m = 0;
	uint32_t s;

	/* "ctrl++" is ctrl and '+': the last part may be a lone '+'. */
	while ((q = strchr(p, '+')) && q[1]) {
		size_t len = (size_t)(q - p);
		unsigned bit = 0;

		for (size_t i = 0; i < sizeof(mod_names) / sizeof(*mod_names);
		     i++)
			if (strlen(mod_names[i].name) == len &&
			    !strncasecmp(p, mod_names[i].name, len))
				bit = mod_names[i].bit;
		if (!bit)
			return fail(
			    why, why_size, CAST_ERROR(EINVAL),
			    "key: '%.*s' is not a modifier; key=NAME "
			    "takes ctrl, alt, shift, super joined by '+' "
			    "before a key (ctrl+alt+t)",
			    (int)(len > 32 ? 32 : len), p);
		m |= bit;
		p = q + 1;
	}
	if (!*p)
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "key: no key named; key=NAME takes an X key name "
		            "(Return, a, F5, BackSpace) after any modifiers");
	s = keysym_of(p);
	if (s == XKB_KEY_NoSymbol)
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "key: unknown key '%.32s'; key=NAME takes an X key "
		            "name (Return, a, F5, BackSpace, Left, Escape) or "
		            "one character",
		            p);
	*mods = m;
	*sym = s;
	return 0;
}

/* The key's own form: modifiers in a fixed order, then the keysym's name. */
static int key_canonical(const char *name, char *out, size_t size, char *why,
                         size_t why_size)
{
	char sym_name[CAST_INPUT_KEY_MAX];
	unsigned mods;
	uint32_t sym;
	size_t len = 0;
	int err, n;

	err = cast__input_key(name, &mods, &sym, why, why_size);
	if (err)
		return err;
	if (xkb_keysym_get_name(sym, sym_name, sizeof(sym_name)) < 0)
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "key: '%.32s' has no name", name);
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(mod_names) / sizeof(*mod_names); i++) {
		if (!(mods & mod_names[i].bit))
			continue;
		n = snprintf(out + len, size - len, "%s+", mod_names[i].name);
		if (n < 0 || (size_t)n >= size - len)
			goto too_long;
		len += (size_t)n;
	}
	n = snprintf(out + len, size - len, "%s", sym_name);
	if (n < 0 || (size_t)n >= size - len)
		goto too_long;
	return 0;
too_long:
	return fail(why, why_size, CAST_ERROR(EMSGSIZE),
	            "key: '%.32s' is too long (at most %d bytes)", name,
	            CAST_INPUT_KEY_MAX - 1);
}

/* A coordinate: 1-5 digits, 0..32767. */
static int coord(const char *s, size_t len, const char *what, int *out,
                 char *why, size_t why_size)
{
	long v = 0;
	int shown = (int)(len > 16 ? 16 : len);

	if (len && s[0] == '-')
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "%s '%.*s' is negative; pixels are 0..%d", what,
		            shown, s, COORD_MAX);
	if (!len || len > 5)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		v = v * 10 + (s[i] - '0');
	}
	if (v > COORD_MAX)
		goto big;
	*out = (int)v;
	return 0;
bad:
	if (len > 5 && strspn(s, "0123456789") == len)
		goto big;
	return fail(why, why_size, CAST_ERROR(EINVAL),
	            "%s '%.*s' is not a number; pixels are whole numbers "
	            "0..%d",
	            what, shown, s, COORD_MAX);
big:
	return fail(why, why_size, CAST_ERROR(EINVAL),
	            "%s '%.*s' is over %d; pixels are 0..%d", what, shown, s,
	            COORD_MAX, COORD_MAX);
}

/* "X,Y" or, for a click, "X,Y,BUTTON". */
static int position(const char *v, bool click, struct cast_input_event *ev,
                    char *why, size_t why_size)
{
	const char *c1 = strchr(v, ','), *c2, *end = v + strlen(v);
	const char *usage =
	    click ? "click=X,Y[,left|middle|right]" : "move=X,Y";
	int err;

	if (!c1)
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "'%.32s' is not a position; %s takes two numbers",
		            v, usage);
	c2 = strchr(c1 + 1, ',');
	if (c2 && !click)
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "'%.32s' has more than two numbers; %s", v, usage);
	err = coord(v, (size_t)(c1 - v), "x", &ev->x, why, why_size);
	if (err)
		return err;
	err = coord(c1 + 1, (size_t)((c2 ? c2 : end) - c1 - 1), "y", &ev->y,
	            why, why_size);
	if (err)
		return err;
	ev->button = click ? 1 : 0;
	if (!c2)
		return 0;
	for (int b = 1; b <= 3; b++)
		if (!strcasecmp(c2 + 1, buttons[b])) {
			ev->button = b;
			return 0;
		}
	return fail(why, why_size, CAST_ERROR(EINVAL),
	            "'%.16s' is not a button; %s", c2 + 1, usage);
}

int cast_input_parse(const char *word, struct cast_input_event *ev, char *why,
                     size_t why_size)
{
	struct cast_input_event e;
	const char *eq, *v;
	size_t nlen;
	int err;

	if (why && why_size)
		why[0] = '\0';
	if (!word || !ev)
		return fail(why, why_size, CAST_ERROR(EINVAL), "no word");
	memset(&e, 0, sizeof(e));
	eq = strchr(word, '=');
	if (!eq)
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "'%.32s' has no '='; the words are " WORDS, word);
	nlen = (size_t)(eq - word);
	v = eq + 1;
	if (nlen == 4 && !strncmp(word, "move", 4)) {
		e.kind = CAST_INPUT_MOVE;
		err = position(v, false, &e, why, why_size);
	} else if (nlen == 5 && !strncmp(word, "click", 5)) {
		e.kind = CAST_INPUT_CLICK;
		err = position(v, true, &e, why, why_size);
	} else if (nlen == 3 && !strncmp(word, "key", 3)) {
		e.kind = CAST_INPUT_KEY;
		if (strlen(v) >= CAST_INPUT_KEY_MAX)
			return fail(why, why_size, CAST_ERROR(EMSGSIZE),
			            "key: the name is too long (at most %d "
			            "bytes)",
			            CAST_INPUT_KEY_MAX - 1);
		err = key_canonical(v, e.key, sizeof(e.key), why, why_size);
	} else if (nlen == 4 && !strncmp(word, "type", 4)) {
		e.kind = CAST_INPUT_TYPE;
		if (!*v)
			return fail(
			    why, why_size, CAST_ERROR(EINVAL),
			    "type: no text; type=TEXT takes the text to "
			    "type");
		if (strlen(v) >= CAST_INPUT_TEXT_MAX)
			return fail(why, why_size, CAST_ERROR(EMSGSIZE),
			            "type: the text is too long (at most %d "
			            "bytes)",
			            CAST_INPUT_TEXT_MAX - 1);
		err = text_check(v, why, why_size);
		if (!err)
			memcpy(e.text, v, strlen(v) + 1);
	} else {
		return fail(why, why_size, CAST_ERROR(EINVAL),
		            "unknown input '%.*s'; the words are " WORDS,
		            (int)(nlen > 16 ? 16 : nlen), word);
	}
	if (err)
		return err;
	*ev = e;
	return 0;
}

static bool coord_ok(int v)
{
	return v >= 0 && v <= COORD_MAX;
}

int cast_input_format(const struct cast_input_event *ev, char *buf, size_t size)
{
	char key[CAST_INPUT_KEY_MAX];
	int n;

	if (!ev)
		return CAST_ERROR(EINVAL);
	switch (ev->kind) {
	case CAST_INPUT_MOVE:
		if (!coord_ok(ev->x) || !coord_ok(ev->y))
			return CAST_ERROR(EINVAL);
		n = snprintf(buf, size, "move=%d,%d", ev->x, ev->y);
		break;
	case CAST_INPUT_CLICK:
		if (!coord_ok(ev->x) || !coord_ok(ev->y) || ev->button < 1 ||
		    ev->button > 3)
			return CAST_ERROR(EINVAL);
		n = snprintf(buf, size, "click=%d,%d%s%s", ev->x, ev->y,
		             ev->button == 1 ? "" : ",",
		             ev->button == 1 ? "" : buttons[ev->button]);
		break;
	case CAST_INPUT_KEY:
		if (!memchr(ev->key, '\0', sizeof(ev->key)) ||
		    key_canonical(ev->key, key, sizeof(key), NULL, 0))
			return CAST_ERROR(EINVAL);
		n = snprintf(buf, size, "key=%s", key);
		break;
	case CAST_INPUT_TYPE:
		if (!memchr(ev->text, '\0', sizeof(ev->text)) || !ev->text[0] ||
		    text_check(ev->text, NULL, 0))
			return CAST_ERROR(EINVAL);
		n = snprintf(buf, size, "type=%s", ev->text);
		break;
	default:
		return CAST_ERROR(EINVAL);
	}
	if (n < 0 || (size_t)n >= size)
		return CAST_ERROR(ENOSPC);
	return n;
}
