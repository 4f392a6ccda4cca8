/* Remote control input: what the parser and the injector share. */
#ifndef CAST_INPUT_INT_H
#define CAST_INPUT_INT_H

#include <stddef.h>
#include <stdint.h>

/* Modifiers of a key word, in the order they are written and pressed. */
enum {
	CAST__MOD_CTRL = 1 << 0,
	CAST__MOD_ALT = 1 << 1,
	CAST__MOD_SHIFT = 1 << 2,
	CAST__MOD_SUPER = 1 << 3,
};

/*
 * Splits a key name ("ctrl+alt+t") into its modifiers (CAST__MOD_* bits) and
 * keysym. 0 or CAST_ERROR(EINVAL) with `why` (may be NULL) filled.
 */
int cast__input_key(const char *name, unsigned *mods, uint32_t *sym, char *why,
                    size_t why_size);

/*
 * Decodes the code point at *s (strict UTF-8: no overlong forms, surrogates
 * or values past U+10FFFF) and advances *s. 0 or CAST_ERROR(EINVAL).
 */
int cast__utf8_next(const char **s, uint32_t *cp);

#endif
