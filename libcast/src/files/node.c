/* A student's NORM node id, derived the same way on teacher and student. */
#include "cast/files.h"

uint32_t cast_file_node_id(const char *student_id, const uint8_t *mac)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)student_id;
	     p && *p; p++)
		h = (h ^ *p) * 16777619u;
	if (mac && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		for (int i = 0; i < 6; i++)
			h = (h ^ mac[i]) * 16777619u;
	return h == 0 || h == 0xffffffffu ? 1 : h;
}
