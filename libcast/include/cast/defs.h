/* Export marker and common includes shared by every public libcast header. */
#ifndef CAST_DEFS_H
#define CAST_DEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(CAST_BUILDING_LIB) && defined(__GNUC__)
#define CAST_API __attribute__((visibility("default")))
#else
#define CAST_API
#endif

#endif
