/* The student program's font lookup through fontconfig: see font.h. */
#include <stdlib.h>
#include <string.h>

#include <fontconfig/fontconfig.h>

#include <cast/error.h>
#include <cast/log.h>

#include "font.h"

/*
 * Asks fontconfig for `pattern`; keeps the answer if it has `probe` (a code
 * point; 0: any font with a file will do).
 */
static bool font_match(const char *pattern, FcChar32 probe, char **file,
                       int *index)
{
	FcPattern *pat, *match = NULL;
	FcResult res;
	FcChar8 *path;
	FcCharSet *cs;
	int idx = 0;
	bool ok = false;

	pat = FcNameParse((const FcChar8 *)pattern);
	if (!pat)
		return false;
	FcConfigSubstitute(NULL, pat, FcMatchPattern);
	FcDefaultSubstitute(pat);
	match = FcFontMatch(NULL, pat, &res);
	if (!match || res != FcResultMatch)
		goto out;
	if (FcPatternGetString(match, FC_FILE, 0, &path) != FcResultMatch)
		goto out;
	if (probe &&
	    (FcPatternGetCharSet(match, FC_CHARSET, 0, &cs) != FcResultMatch ||
	     !FcCharSetHasChar(cs, probe)))
		goto out;
	FcPatternGetInteger(match, FC_INDEX, 0, &idx);
	*file = strdup((const char *)path);
	*index = idx;
	ok = *file != NULL;
out:
	if (match)
		FcPatternDestroy(match);
	FcPatternDestroy(pat);
	return ok;
}

int font_find(bool traditional, char **file, int *index)
{
	static const char *const sc[] = {"Noto Sans CJK SC",
	                                 "sans-serif:lang=zh-cn"};
	static const char *const tc[] = {"Noto Sans CJK TC",
	                                 "sans-serif:lang=zh-tw"};
	const char *const *want = traditional ? tc : sc;
	/* 中 for Simplified, 體 (only in fonts with Traditional forms). */
	FcChar32 probe = traditional ? 0x9AD4 : 0x4E2D;

	if (!FcInit()) {
		cast_log(CAST_LOG_ERROR, "font", "fontconfig failed");
		return CAST_ERROR(ENOENT);
	}
	for (int i = 0; i < 2; i++)
		if (font_match(want[i], probe, file, index))
			return 0;
	if (font_match("DejaVu Sans", 'A', file, index)) {
		cast_log(CAST_LOG_WARN, "font",
		         "no Chinese font (install fonts-noto-cjk): using %s, "
		         "Chinese text will not render",
		         *file);
		return 0;
	}
	cast_log(CAST_LOG_ERROR, "font",
	         "no usable font found through fontconfig (tried Noto Sans "
	         "CJK, sans-serif:lang=zh-cn, DejaVu Sans): install "
	         "fonts-noto-cjk or fonts-dejavu-core");
	return CAST_ERROR(ENOENT);
}
