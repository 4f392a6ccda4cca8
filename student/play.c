/* cast-student --play: draws the player's pictures and progress bar, forwards keys and clicks. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL.h>
#include <cast/cast.h>

#include "play.h"

#define BAR_H 28	/* the progress bar's height at the window's bottom */
#define SEEK_STEP 5.0	/* seconds per arrow key */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct window {
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	int tex_w, tex_h;
	SDL_AudioDeviceID audio;
};

static void audio_cb(void *arg, Uint8 *stream, int len)
{
	cast_player_audio(arg, (float *)stream, len / (int)(2 * sizeof(float)));
}

static int window_open(struct window *w, const struct play_opts *o,
		       struct cast_player *p, const char *title)
{
	int ww = 1280, wh = 720, x = SDL_WINDOWPOS_UNDEFINED,
	    y = SDL_WINDOWPOS_UNDEFINED;
	SDL_AudioSpec want = {0}, have;

	if (o->geometry &&
	    sscanf(o->geometry, "%dx%d+%d+%d", &ww, &wh, &x, &y) < 2) {
		fprintf(stderr, "cast-student: --windowed: bad %s\n",
			o->geometry);
		return -1;
	}
	if (SDL_Init(SDL_INIT_VIDEO)) {
		fprintf(stderr, "cast-student: no display: %s\n",
			SDL_GetError());
		return -1;
	}
	w->win = SDL_CreateWindow(title, x, y, ww, wh,
				  SDL_WINDOW_SHOWN | SDL_WINDOW_RESIZABLE);
	if (!w->win)
		return -1;
	w->ren = SDL_CreateRenderer(w->win, -1, 0);
	if (!w->ren)
		return -1;
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
	/* Sound is optional: a lab PC without a sound card still plays. */
	if (SDL_InitSubSystem(SDL_INIT_AUDIO) == 0) {
		want.freq = 48000;
		want.format = AUDIO_F32SYS;
		want.channels = 2;
		want.samples = 1024;
		want.callback = audio_cb;
		want.userdata = p;
		w->audio = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
		if (w->audio)
			SDL_PauseAudioDevice(w->audio, 0);
	}
	if (!w->audio)
		fprintf(stderr, "cast-student: no sound: %s\n", SDL_GetError());
	return 0;
}

static void window_close(struct window *w)
{
	if (w->audio)
		SDL_CloseAudioDevice(w->audio);
	if (w->tex)
		SDL_DestroyTexture(w->tex);
	if (w->ren)
		SDL_DestroyRenderer(w->ren);
	if (w->win)
		SDL_DestroyWindow(w->win);
	SDL_Quit();
}

static void upload(struct window *w, const struct cast_frame *f)
{
	if (!w->tex || w->tex_w != f->width || w->tex_h != f->height) {
		if (w->tex)
			SDL_DestroyTexture(w->tex);
		w->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_IYUV,
					   SDL_TEXTUREACCESS_STREAMING,
					   f->width, f->height);
		w->tex_w = f->width;
		w->tex_h = f->height;
	}
	if (w->tex)
		SDL_UpdateYUVTexture(w->tex, NULL, f->data[0], f->stride[0],
				     f->data[1], f->stride[1], f->data[2],
				     f->stride[2]);
}

/* The picture aspect-fit above the bar, then the bar: played part, time. */
static void draw(struct window *w, const struct cast_player_stats *st,
		 double duration)
{
	int ww, wh, ah;
	SDL_Rect dst, bar, done;

	SDL_GetRendererOutputSize(w->ren, &ww, &wh);
	ah = wh - BAR_H;
	SDL_SetRenderDrawColor(w->ren, 0, 0, 0, 255);
	SDL_RenderClear(w->ren);
	if (w->tex && ah > 0) {
		double s = (double)ww / w->tex_w < (double)ah / w->tex_h
				   ? (double)ww / w->tex_w
				   : (double)ah / w->tex_h;

		dst.w = (int)(w->tex_w * s);
		dst.h = (int)(w->tex_h * s);
		dst.x = (ww - dst.w) / 2;
		dst.y = (ah - dst.h) / 2;
		SDL_RenderCopy(w->ren, w->tex, NULL, &dst);
	}
	bar = (SDL_Rect){8, wh - BAR_H + 8, ww - 16, BAR_H - 16};
	SDL_SetRenderDrawColor(w->ren, 70, 70, 70, 255);
	SDL_RenderFillRect(w->ren, &bar);
	done = bar;
	done.w = duration > 0 ? (int)(bar.w * st->position / duration) : 0;
	if (done.w > bar.w)
		done.w = bar.w;
	/* Green while playing, amber paused; brighter the faster. */
	if (st->paused)
		SDL_SetRenderDrawColor(w->ren, 230, 160, 20, 255);
	else
		SDL_SetRenderDrawColor(w->ren, 40, (Uint8)(140 + 50 * st->speed),
				       60, 255);
	SDL_RenderFillRect(w->ren, &done);
	SDL_RenderPresent(w->ren);
}

static void title_of(char *buf, size_t size, const struct cast_player_stats *st,
		     double duration, const char *name)
{
	int p = (int)st->position, d = (int)duration;

	snprintf(buf, size, "%s  %d:%02d / %d:%02d  %.2gx%s", name, p / 60,
		 p % 60, d / 60, d % 60, st->speed,
		 st->paused ? "  (paused)" : "");
}

static void write_stats(FILE *f, struct cast_player *p,
			const struct cast_player_info *info, double t,
			bool final)
{
	struct cast_player_stats st;
	struct cast_json j;

	cast_player_stats(p, &st);
	cast_json_begin(&j);
	cast_json_str(&j, "role", "player");
	cast_json_num(&j, "t", t);
	cast_json_num(&j, "position", st.position);
	cast_json_num(&j, "duration", info->duration);
	cast_json_num(&j, "speed", st.speed);
	cast_json_bool(&j, "paused", st.paused);
	cast_json_bool(&j, "ended", st.ended);
	cast_json_int(&j, "width", info->width);
	cast_json_int(&j, "height", info->height);
	cast_json_num(&j, "fps", info->fps);
	cast_json_str(&j, "video_codec", info->video_codec);
	cast_json_str(&j, "audio_codec", info->audio_codec);
	cast_json_str(&j, "title", info->title);
	cast_json_int(&j, "frames_decoded", (int64_t)st.frames_decoded);
	cast_json_int(&j, "frames_shown", (int64_t)st.frames_shown);
	cast_json_int(&j, "frames_late", (int64_t)st.frames_late);
	cast_json_num(&j, "audio_seconds", (double)st.audio_frames_out / 48000);
	cast_json_int(&j, "seeks", (int64_t)st.seeks);
	cast_json_int(&j, "errors", (int64_t)st.errors);
	if (final)
		cast_json_bool(&j, "final", true);
	cast_json_end(&j);
	cast_json_write(&j, f);
	cast_json_free(&j);
}

static int dump(struct window *w, const char *path)
{
	int ww, wh, ret = -1;
	uint8_t *px;
	FILE *f;

	SDL_GetRendererOutputSize(w->ren, &ww, &wh);
	px = malloc((size_t)ww * (size_t)wh * 3);
	if (!px)
		return -1;
	if (!SDL_RenderReadPixels(w->ren, NULL, SDL_PIXELFORMAT_RGB24, px,
				  ww * 3)) {
		f = fopen(path, "wb");
		if (f) {
			fprintf(f, "P6\n%d %d\n255\n", ww, wh);
			if (fwrite(px, 3, (size_t)ww * (size_t)wh, f) ==
			    (size_t)ww * (size_t)wh)
				ret = 0;
			if (fclose(f))
				ret = -1;
		}
	}
	free(px);
	return ret;
}

/* Keys: space pause, arrows seek, [ ] or - + speed, 1 normal, q/Esc quit;
 * a click on the bar seeks there, elsewhere pauses or plays. */
static bool on_event(const SDL_Event *e, struct cast_player *p,
		     struct window *w, double duration)
{
	struct cast_player_stats st;
	double sp;
	int ww, wh;

	cast_player_stats(p, &st);
	if (e->type == SDL_QUIT)
		return false;
	if (e->type == SDL_MOUSEBUTTONDOWN &&
	    e->button.button == SDL_BUTTON_LEFT) {
		SDL_GetWindowSize(w->win, &ww, &wh);
		if (e->button.y >= wh - BAR_H && duration > 0 && ww > 16)
			cast_player_seek(p, duration * (e->button.x - 8) /
						    (ww - 16));
		else
			cast_player_pause(p, !st.paused);
		return true;
	}
	if (e->type != SDL_KEYDOWN)
		return true;
	sp = st.speed;
	switch (e->key.keysym.sym) {
	case SDLK_q:
	case SDLK_ESCAPE:
		return false;
	case SDLK_SPACE:
	case SDLK_k:
		if (st.ended)
			cast_player_seek(p, 0);
		cast_player_pause(p, !st.paused);
		break;
	case SDLK_LEFT:
		cast_player_seek(p, st.position - SEEK_STEP);
		break;
	case SDLK_RIGHT:
		cast_player_seek(p, st.position + SEEK_STEP);
		break;
	case SDLK_HOME:
		cast_player_seek(p, 0);
		break;
	case SDLK_RIGHTBRACKET:
	case SDLK_PLUS:
	case SDLK_EQUALS:
	case SDLK_UP:
		cast_player_set_speed(p, sp + 0.25 > 2 ? 2 : sp + 0.25);
		break;
	case SDLK_LEFTBRACKET:
	case SDLK_MINUS:
	case SDLK_DOWN:
		cast_player_set_speed(p, sp - 0.25 < 0.5 ? 0.5 : sp - 0.25);
		break;
	case SDLK_1:
		cast_player_set_speed(p, 1);
		break;
	default:
		break;
	}
	return true;
}

int play_main(const struct play_opts *o)
{
	struct cast_player_cfg cfg;
	struct cast_player *p = NULL;
	struct cast_player_info info;
	struct cast_player_stats st;
	struct cast_frame f;
	struct window w = {0};
	FILE *stats = NULL;
	const char *name = strrchr(o->path, '/') ? strrchr(o->path, '/') + 1
						  : o->path;
	char title[512];
	float sink[2 * 480];
	int64_t start, now, next_stats, last_audio;
	int err, ret = 0;
	bool shown_end = false;

	cast_player_cfg_init(&cfg);
	cfg.path = o->path;
	err = cast_player_new(&p, &cfg);
	if (err) {
		fprintf(stderr, "cast-student: --play %s: %s\n", o->path,
			err == CAST_EMALFORMED ? "not a video or sound file"
					       : cast_strerror(err));
		return 1;
	}
	cast_player_info(p, &info);
	if (cast_player_set_speed(p, o->speed)) {
		fprintf(stderr, "cast-student: --speed: 0.5 to 2\n");
		cast_player_free(&p);
		return 2;
	}
	if (o->seek > 0)
		cast_player_seek(p, o->seek);
	if (o->stats_path) {
		stats = strcmp(o->stats_path, "-") ? fopen(o->stats_path, "w")
						   : stdout;
		if (!stats) {
			fprintf(stderr, "cast-student: --stats %s: cannot "
					"write\n", o->stats_path);
			cast_player_free(&p);
			return 1;
		}
	}
	if (!o->headless &&
	    window_open(&w, o, p, info.title[0] ? info.title : name)) {
		fprintf(stderr, "cast-student: cannot open a window: %s\n",
			SDL_GetError());
		window_close(&w);
		cast_player_free(&p);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	cast_player_pause(p, false);
	start = last_audio = cast_mono_us();
	next_stats = start + 1000000;
	while (!stop) {
		SDL_Event e;

		now = cast_mono_us();
		if (o->duration > 0 && now - start >= (int64_t)(o->duration * 1e6))
			break;
		err = cast_player_update(p, now, &f);
		if (err < 0 && err != CAST_EOF) {
			fprintf(stderr, "cast-student: --play: %s\n",
				cast_strerror(err));
			ret = 1;
			break;
		}
		if (err == 1 && !o->headless)
			upload(&w, &f);
		if (o->headless) {
			/* No sound card: the audio goes where a device would
			 * take it, at its pace (48 kHz). */
			while (now - last_audio >= 10000) {
				cast_player_audio(p, sink, 480);
				last_audio += 10000;
			}
			if (err == CAST_EOF && !o->duration)
				break;
		} else {
			while (SDL_PollEvent(&e))
				if (!on_event(&e, p, &w, info.duration))
					stop = 1;
			cast_player_stats(p, &st);
			title_of(title, sizeof(title), &st, info.duration,
				 info.title[0] ? info.title : name);
			SDL_SetWindowTitle(w.win, title);
			draw(&w, &st, info.duration);
		}
		if (err == CAST_EOF && !shown_end) {
			shown_end = true;
			if (!o->headless)
				fprintf(stderr, "cast-student: %s: the end "
						"(space plays again)\n", name);
		} else if (err != CAST_EOF) {
			shown_end = false;
		}
		if (stats && now >= next_stats) {
			write_stats(stats, p, &info, (now - start) / 1e6, false);
			next_stats += 1000000;
		}
		usleep(o->headless ? 5000 : 8000);
	}
	if (stats) {
		write_stats(stats, p, &info, (cast_mono_us() - start) / 1e6,
			    true);
		if (stats != stdout)
			fclose(stats);
	}
	if (!o->headless && o->dump_path && dump(&w, o->dump_path)) {
		fprintf(stderr, "cast-student: --dump %s: cannot write\n",
			o->dump_path);
		ret = 1;
	}
	if (!o->headless)
		window_close(&w);
	cast_player_free(&p);
	return ret;
}
