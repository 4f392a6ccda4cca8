/* Inside the library: the teacher's film shown through the screens' viewers. */
#ifndef CAST_CLASS_SCREENS_INT_H
#define CAST_CLASS_SCREENS_INT_H

#include "cast/receiver.h"
#include "cast/screens.h"

/*
 * A receiver's configuration for a screen stream of the class (a
 * student's demo or wall thumbnail, the teacher watching a demo): its
 * group and port, its SRTP key, signed by `pk`; never a unicast copy
 * (feedback goes to the sender, learnt from its first signed packet).
 * `st` and `pk` must outlive the receiver's creation.
 */
void cast__screen_receiver_cfg(struct cast_receiver_cfg *rc, int channel,
			       const char *iface,
			       const struct cast_screen_stream *st,
			       const uint8_t *pk);

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
