/* Real-time scheduling for the voice threads, when the system allows it. */
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "audio/audio_int.h"
#include "cast/log.h"

/* Low among real-time priorities: above every normal thread, below the
 * sound server's own (PulseAudio and PipeWire ask for 5..20). */
#define VOICE_RT_PRIORITY 3

void cast__audio_realtime(const char *who)
{
	struct sched_param sp;
	int err;

	memset(&sp, 0, sizeof(sp));
	sp.sched_priority = VOICE_RT_PRIORITY;
	err = pthread_setschedparam(pthread_self(), SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	if (err)
		cast_log(CAST_LOG_DEBUG, who, "no real-time scheduling (%s): "
			 "normal priority", strerror(err));
}
