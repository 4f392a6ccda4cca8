/* The broadcast window's state: the student's report, the teacher's verdict. */
#include <string.h>

#include "cast/class.h"
#include "cast/error.h"

int cast_view_report(struct cast_student_ctl *ctl, const struct cast_view *v)
{
	struct cast_args a = {0};
	int ret;

	if (!ctl || !v)
		return CAST_ERROR(EINVAL);
	if (v->headless) {
		cast_args_add(&a, "headless", "1");
	} else {
		cast_args_add(&a, "fullscreen", v->fullscreen ? "1" : "0");
		cast_args_add(&a, "visible", v->visible ? "1" : "0");
		cast_args_add(&a, "focused", v->focused ? "1" : "0");
		cast_args_add(&a, "picture", v->picture ? "1" : "0");
	}
	ret = a.err ? a.err
	            : cast_student_ctl_send_event(ctl, CAST_VIEW_EVENT, a.buf,
	                                          a.len);
	cast_args_free(&a);
	return ret;
}

static int flag(const uint8_t *args, size_t len, const char *key, bool *out)
{
	long long v;
	int ret = cast_args_get_int(args, len, key, 0, 1, &v);

	if (ret != 1)
		return CAST_EMALFORMED;
	*out = v == 1;
	return 0;
}

int cast_view_decode(const uint8_t *args, size_t len, struct cast_view *v)
{
	struct cast_view r = {0};
	long long h;
	int ret;

	if (!v || (len && !args) || cast_args_check(args, len))
		return CAST_EMALFORMED;
	ret = cast_args_get_int(args, len, "headless", 0, 1, &h);
	if (ret < 0)
		return CAST_EMALFORMED;
	if (ret == 1 && h == 1) {
		r.headless = true;
	} else if (flag(args, len, "fullscreen", &r.fullscreen) ||
	           flag(args, len, "visible", &r.visible) ||
	           flag(args, len, "focused", &r.focused) ||
	           flag(args, len, "picture", &r.picture)) {
		return CAST_EMALFORMED;
	}
	*v = r;
	return 0;
}

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
