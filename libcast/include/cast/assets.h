/* This machine's hardware and software summary for the asset view (F23). */
#ifndef CAST_ASSETS_H
#define CAST_ASSETS_H

#include "defs.h"

/*
 * What a student machine reports when the teacher asks for assets. Every
 * string is bounded by its array (cut at a UTF-8 character boundary) and ""
 * when unknown; cores and memory_mb are 0, the disk sizes -1 when unknown.
 */
struct cast_assets {
	char host[256];	   /* host name */
	char cpu[256];	   /* CPU model name */
	int64_t cores;	   /* online CPUs */
	int64_t memory_mb; /* RAM */
	int64_t disk_gb;   /* size of the root file system */
	int64_t disk_free_gb;
	char os[256];	  /* PRETTY_NAME of /etc/os-release */
	char kernel[128]; /* kernel release */
	char arch[64];	  /* machine hardware name */
	char mac[32];	  /* first non-loopback interface's MAC */
	char display[128]; /* where it shows ("headless", WxH) */
};

/**
 * Fills `a` from this machine (/proc, /sys, /etc/os-release, uname,
 * statvfs of "/"); `display` (may be NULL) is copied as given. Never fails:
 * what cannot be read stays unknown.
 */
CAST_API void cast_assets_collect(struct cast_assets *a, const char *display);

/**
 * Writes `a` as one JSON object without a line end into `buf`: keys host,
 * cpu, cores, memory_mb, disk_gb, disk_free_gb, os, kernel, arch, mac,
 * display, libcast (the version); unknown disk sizes, kernel and arch are
 * left out. Returns its length, or -EMSGSIZE when it does not fit (`buf` is
 * then ""), -EINVAL for a NULL argument, -ENOMEM.
 */
CAST_API int cast_assets_json(const struct cast_assets *a, char *buf,
			      size_t size);

#endif
