/* libcast: classroom screen broadcast. Includes every public header. */
#ifndef CAST_CAST_H
#define CAST_CAST_H

#include "defs.h"
#include "error.h"
#include "log.h"
#include "frame.h"
#include "capture.h"
#include "codec.h"
#include "rtp.h"
#include "net.h"
#include "stats.h"
#include "sender.h"
#include "receiver.h"
#include "config.h"
#include "options.h"
#include "srtp.h"
#include "key.h"
#include "control.h"
#include "rtcp.h"
#include "csv.h"
#include "roster.h"
#include "files.h"
#include "homework.h"
#include "class.h"
#include "assets.h"
#include "board.h"
#include "repair.h"
#include "audio.h"
#include "record.h"
#include "player.h"
#include "mauth.h"
#include "input.h"
#include "screens.h"

/** libcast version string, e.g. "0.1.0". */
CAST_API const char *cast_version(void);

#endif
