/* Internal helpers shared across libcast's areas. */
#ifndef CAST_CORE_INT_H
#define CAST_CORE_INT_H

/*
 * Routes FFmpeg's (and through it x264's) log lines into cast_log, once per
 * process: warnings and errors stay visible, chatter becomes debug.
 */
void cast__av_log_init(void);

#endif
