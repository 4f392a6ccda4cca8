/* Includes libnorm's normApi.h from C. */
#ifndef CAST_FILES_NORM_C_H
#define CAST_FILES_NORM_C_H

/*
 * libnorm 1.5.9's normApi.h declares two functions with C++ only syntax (a
 * reference parameter, a default argument), which a C compiler rejects. We
 * use neither: these function-like macros swallow their parameter lists so
 * the two declarations become harmless prototypes of unused names.
 */
#define NormGetRxBindAddress(...) cast__norm_unused_rx_bind_address(void)
#define NormStreamGetVacancy(...) cast__norm_unused_stream_vacancy(void)
#include <normApi.h>
#undef NormGetRxBindAddress
#undef NormStreamGetVacancy

#endif
