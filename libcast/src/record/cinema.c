/* Network cinema: one clock for a film's picture and sound, and its ctl verb. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "cast/cast.h"
#include "core/core_int.h"
#include "cast/record.h"

/*
 * The film time is base_s at monotonic base_mono and runs on from there
 * unless paused. Not started (base_mono < 0): time 0 until the first
 * position asked.
 */
struct cast_cinema {
	pthread_mutex_t lock;
	double base_s;
	int64_t base_mono;
	bool paused;
	bool passthrough;
	bool live, seekable;
	uint64_t gen;
	double duration_s;
	char file[1024];
};

int cast_cinema_new(struct cast_cinema **out, const char *path)
{
	AVFormatContext *fmt = NULL;
	struct cast_cinema *c;
	double duration = 0;
	bool live, rtsp, seekable = false;
	int e;

	if (!out || !path || !*path)
		return CAST_ERROR(EINVAL);
	/* A live stream is received once, by the picture and the sound:
	 * not opened here as well. An RTSP session is shared by every open
	 * (and lingers for the picture's and the sound's): its server tells
	 * whether it is a film with a length, which can seek. */
	rtsp = !strncmp(path, "rtsp:", 5) || !strncmp(path, "rtsps:", 6);
	live = cast__media_live_url(path) && !rtsp;
	if (!live) {
		e = cast__media_open(&fmt, path);
		if (e < 0)
			return e == AVERROR(ENOENT) ? CAST_ERROR(ENOENT)
			       : e > -4096	    ? e
						    : CAST_EMALFORMED;
		if (cast__media_find_stream_info(fmt) < 0) {
			cast__media_close(&fmt);
			return CAST_EMALFORMED;
		}
		if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
			duration = (double)fmt->duration / AV_TIME_BASE;
		/* A server without byte ranges: no seeking; and without a
		 * length either, a live stream. */
		seekable = rtsp ? duration > 0
				: !fmt->pb ||
					  fmt->pb->seekable & AVIO_SEEKABLE_NORMAL;
		live = duration <= 0 && !seekable;
		cast__media_close(&fmt);
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return CAST_ERROR(ENOMEM);
	c->duration_s = duration;
	c->live = live;
	c->seekable = seekable;
	pthread_mutex_init(&c->lock, NULL);
	c->base_mono = -1;
	snprintf(c->file, sizeof(c->file), "%s", path);
	*out = c;
	return 0;
}

static double position_locked(struct cast_cinema *c, int64_t now)
{
	if (c->base_mono < 0)
		c->base_mono = now;
	if (c->paused)
		return c->base_s;
	return c->base_s + (double)(now - c->base_mono) / 1e6;
}

double cast_cinema_position(struct cast_cinema *c)
{
	double t;

	pthread_mutex_lock(&c->lock);
	t = position_locked(c, cast_mono_us());
	pthread_mutex_unlock(&c->lock);
	return t;
}

int64_t cast_cinema_due(struct cast_cinema *c, double t, uint64_t *gen)
{
	int64_t due;

	pthread_mutex_lock(&c->lock);
	if (c->base_mono < 0)
		c->base_mono = cast_mono_us();
	due = c->paused ? INT64_MAX
			: c->base_mono + (int64_t)llround((t - c->base_s) * 1e6);
	if (gen)
		*gen = c->gen;
	pthread_mutex_unlock(&c->lock);
	return due;
}

uint64_t cast_cinema_generation(struct cast_cinema *c)
{
	uint64_t g;

	pthread_mutex_lock(&c->lock);
	g = c->gen;
	pthread_mutex_unlock(&c->lock);
	return g;
}

int cast_cinema_pause(struct cast_cinema *c)
{
	int err = 0;

	pthread_mutex_lock(&c->lock);
	if (c->paused) {
		err = CAST_ERROR(EALREADY);
	} else {
		c->base_s = position_locked(c, cast_mono_us());
		c->paused = true;
	}
	pthread_mutex_unlock(&c->lock);
	return err;
}

int cast_cinema_resume(struct cast_cinema *c)
{
	int err = 0;

	pthread_mutex_lock(&c->lock);
	if (!c->paused) {
		err = CAST_ERROR(EALREADY);
	} else {
		c->base_mono = cast_mono_us();
		c->paused = false;
	}
	pthread_mutex_unlock(&c->lock);
	return err;
}

int cast_cinema_seek(struct cast_cinema *c, double t)
{
	if (c->live)
		return CAST_ERROR(ESPIPE);
	if (!c->seekable)
		return CAST_ERROR(ENOTSUP);
	if (!(t >= 0) || (c->duration_s > 0 && t > c->duration_s))
		return CAST_ERROR(ERANGE);
	pthread_mutex_lock(&c->lock);
	c->base_s = t;
	c->base_mono = cast_mono_us();
	c->gen++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

bool cast_cinema_settle(struct cast_cinema *c, double t, uint64_t gen)
{
	bool done;

	pthread_mutex_lock(&c->lock);
	/* A newer seek came meanwhile: that one wins. */
	done = gen == c->gen;
	if (done) {
		c->base_s = t;
		c->base_mono = cast_mono_us();
		c->gen++;
	}
	pthread_mutex_unlock(&c->lock);
	return done;
}

void cast_cinema_set_passthrough(struct cast_cinema *c, bool on)
{
	pthread_mutex_lock(&c->lock);
	c->passthrough = on;
	pthread_mutex_unlock(&c->lock);
}

void cast_cinema_status(struct cast_cinema *c, struct cast_cinema_status *st)
{
	pthread_mutex_lock(&c->lock);
	st->position_s = c->base_mono < 0 ? 0
					  : position_locked(c, cast_mono_us());
	st->duration_s = c->duration_s;
	st->paused = c->paused;
	st->passthrough = c->passthrough;
	st->live = c->live;
	st->seekable = c->seekable;
	snprintf(st->file, sizeof(st->file), "%s", c->file);
	pthread_mutex_unlock(&c->lock);
}

void cast_cinema_free(struct cast_cinema **pc)
{
	struct cast_cinema *c = pc ? *pc : NULL;

	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
	*pc = NULL;
}

static char *fail_reply(const char *why)
{
	return cast_json_error("%s", why);
}

char *cast_cinema_ctl(int argc, char **argv, uint64_t req, void *arg)
{
	static const char usage[] =
		"usage: cinema pause|resume|status|seek SECONDS";
	struct cast_cinema *c = arg;
	struct cast_cinema_status st;
	struct cast_json j;
	int err = 0;

	(void)req;
	if (!c)
		return fail_reply("no film is playing (--source file:PATH)");
	if (argc == 2 && !strcmp(argv[1], "pause")) {
		err = cast_cinema_pause(c);
	} else if (argc == 2 && !strcmp(argv[1], "resume")) {
		err = cast_cinema_resume(c);
	} else if (argc == 3 && !strcmp(argv[1], "seek")) {
		char *end;
		double t = strtod(argv[2], &end);

		if (end == argv[2] || *end || !isfinite(t))
			return fail_reply("seek SECONDS: a number of seconds "
					  "from the film's start");
		err = cast_cinema_seek(c, t);
		if (err == CAST_ERROR(ESPIPE))
			return fail_reply("seek: a live stream cannot seek");
		if (err == CAST_ERROR(ENOTSUP))
			return fail_reply("seek: this source cannot seek (a "
					  "server without byte ranges)");
		if (err == CAST_ERROR(ERANGE))
			return fail_reply("seek: past the film's end or "
					  "before its start");
	} else if (argc != 2 || strcmp(argv[1], "status")) {
		return fail_reply(usage);
	}
	if (err == CAST_ERROR(EALREADY))
		return fail_reply(!strcmp(argv[1], "pause")
					  ? "the film is already paused"
					  : "the film is not paused");
	if (err)
		return fail_reply(cast_strerror(err));
	cast_cinema_status(c, &st);
	cast_json_begin(&j);
	cast_json_bool(&j, "ok", true);
	cast_json_num(&j, "position_s", st.position_s);
	cast_json_num(&j, "duration_s", st.duration_s);
	cast_json_bool(&j, "paused", st.paused);
	cast_json_bool(&j, "passthrough", st.passthrough);
	cast_json_bool(&j, "live", st.live);
	cast_json_bool(&j, "seekable", st.seekable);
	cast_json_str(&j, "file", st.file);
	cast_json_end(&j);
	return cast_json_take(&j);
}
