/* Inside the library: the teacher's film shown through the screens' viewers. */
#ifndef CAST_CLASS_SCREENS_INT_H
#define CAST_CLASS_SCREENS_INT_H

#include "cast/screens.h"

/*
 * Shows the teacher's own stream (`show`: demo and film set) to `to`
 * (student ids, comma-separated; NULL: everyone online and everyone who
 * joins while it lasts), as a demo is shown: students who join again
 * while it lasts are shown it again by the screens' watch thread. Returns
 * the number of commands sent, or -EINVAL (an unknown student: nothing
 * sent), -ENOSPC, -ENOTCONN, -ENOMEM with the reason in `why`.
 */
int cast__screens_film_show(struct cast_screens *sc,
			    const struct cast_cmd_screen_show *show,
			    const char *to, char *why, size_t why_size);
/* Tells the film's viewers to show the teacher's broadcast again. */
void cast__screens_film_end(struct cast_screens *sc);
/* The film's viewers now (comma-separated) and whether it is to everyone. */
void cast__screens_film_viewers(struct cast_screens *sc, char *buf,
				size_t size, bool *all);

#endif
