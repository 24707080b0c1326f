/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/ids.h: process-wide unique ids (image ids, session ids). */
#ifndef SF_ENGINE_IDS_H
#define SF_ENGINE_IDS_H

#include <stdint.h>

/* Next id, never 0. Thread: any. */
uint64_t sf_ids_next(void);

/* A random non-zero 32-bit id (session ids must not be guessable). */
uint32_t sf_ids_random32(void);

#endif
