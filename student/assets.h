/* This machine's hardware and software summary (asset view, F23). */
#ifndef CAST_STUDENT_ASSETS_H
#define CAST_STUDENT_ASSETS_H

#include <stdlib.h>

#include <cast/cast.h>

/**
 * Writes one JSON object (host, cpu, cores, memory, disk, os, kernel, mac,
 * display) into `buf` without a line end. Returns its length or -1.
 */
int assets_json(char *buf, size_t size, const char *display);

#endif
