/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/opus.h: Opus encoding of SPICE playback frames (48 kHz stereo,
 * 480-sample frames, as spice-gtk's decoder expects). One encoder per
 * playback stream serves every Opus client: packets are encoded once. */
#ifndef SF_ENCODERS_OPUS_H
#define SF_ENCODERS_OPUS_H

#include <stddef.h>
#include <stdint.h>

#define SF_OPUS_RATE  48000
#define SF_OPUS_FRAME 480 /* samples per channel per packet (10 ms) */

struct sf_opus;

/* Returns NULL on failure. Thread: the caller's (one stream, one thread). */
struct sf_opus *sf_opus_create(void);
void sf_opus_destroy(struct sf_opus *o);

/* Encode SF_OPUS_FRAME interleaved stereo S16 samples. Returns the packet
 * size (> 0) or -EIO. */
int sf_opus_encode(struct sf_opus *o, const int16_t *pcm, uint8_t *out, size_t cap);

#endif
