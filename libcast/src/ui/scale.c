/* The UI scale an X11 desktop asks for: GDK_SCALE, or Xft.dpi (cast/ui.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xcb/xcb.h>

#include "cast/error.h"
#include "cast/ui.h"

/* The resource string read at most: a desktop's is a few hundred bytes. */
#define RESOURCES_MAX 65536

double cast_ui_xft_dpi(const char *res)
{
	const char *p = res;

	/* One "name:\tvalue" a line, as `xrdb -query` prints them; Qt reads
	 * the same way (the entry exactly "Xft.dpi", nothing matched by a
	 * wildcard). */
	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 8 && !strncmp(p, "Xft.dpi", 7)) {
			const char *v = p + 7;
			char buf[32], *e;
			size_t k;
			double dpi;

			while (v < p + n && (*v == ' ' || *v == '\t'))
				v++;
			if (v < p + n && *v == ':') {
				v++;
				while (v < p + n && (*v == ' ' || *v == '\t'))
					v++;
				k = (size_t)(p + n - v);
				if (k > 0 && k < sizeof(buf)) {
					memcpy(buf, v, k);
					buf[k] = '\0';
					errno = 0;
					dpi = strtod(buf, &e);
					while (*e == ' ' || *e == '\t' ||
					       *e == '\r')
						e++;
					if (!errno && !*e && e != buf &&
					    isfinite(dpi) && dpi > 0 &&
					    dpi <= 2000)
						return dpi;
				}
			}
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

double cast_ui_scale_pick(const char *gdk_scale, const char *resources)
{
	double dpi;

	if (gdk_scale && *gdk_scale) {
		char *e;
		long v;

		errno = 0;
		v = strtol(gdk_scale, &e, 10);
		/* GTK takes whole numbers only; anything else is ignored. */
		if (!errno && !*e && v >= 1)
			return v > CAST_UI_SCALE_MAX ? CAST_UI_SCALE_MAX
			                             : (double)v;
	}
	dpi = cast_ui_xft_dpi(resources);
	if (dpi <= 0)
		return 1;
	dpi = round(dpi / 96 * 4) / 4;
	return dpi < 1 ? 1 : dpi > CAST_UI_SCALE_MAX ? CAST_UI_SCALE_MAX : dpi;
}

char *cast_ui_x11_resources(const char *display)
{
	int screen = 0;
	xcb_connection_t *x = xcb_connect(display, &screen);
	xcb_get_property_cookie_t ck;
	xcb_get_property_reply_t *r = NULL;
	const xcb_setup_t *setup;
	char *out = NULL;
	int len;

	if (xcb_connection_has_error(x))
		goto out;
	setup = xcb_get_setup(x);
	/* Xlib's XResourceManagerString: the first screen's root. */
	ck = xcb_get_property(x, 0, xcb_setup_roots_iterator(setup).data->root,
	                      XCB_ATOM_RESOURCE_MANAGER, XCB_ATOM_STRING, 0,
	                      RESOURCES_MAX / 4);
	r = xcb_get_property_reply(x, ck, NULL);
	if (!r || r->format != 8)
		goto out;
	len = xcb_get_property_value_length(r);
	if (len <= 0 || len > RESOURCES_MAX)
		goto out;
	out = malloc((size_t)len + 1);
	if (!out)
		goto out;
	memcpy(out, xcb_get_property_value(r), (size_t)len);
	out[len] = '\0';
out:
	free(r);
	xcb_disconnect(x);
	return out;
}
