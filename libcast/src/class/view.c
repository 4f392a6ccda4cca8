/* The broadcast window's state: the teacher's verdict (the report is an
 * event, event.c). */
#include <string.h>

#include "cast/class.h"
#include "cast/error.h"

bool cast_view_left(const struct cast_view *v, int64_t unfocused_ms)
{
	if (!v || v->headless || !v->picture)
		return false;
	return !v->fullscreen || !v->visible ||
	       (!v->focused && unfocused_ms > CAST_VIEW_FOCUS_GRACE_MS);
}

const char *cast_student_state(const struct cast_student_info *in, bool left,
                               bool watching)
{
	if (!in || !in->online)
		return "offline";
	if (!in->responding)
		return "not responding";
	if (left)
		return "left broadcast";
	return watching ? "watching" : "online";
}
