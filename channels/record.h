/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/record.h: the record channel. When the guest starts recording,
 * clients are told to send audio (START with rate and format); their packets
 * (Opus, decoded here once, or raw S16 stereo) land in a bounded ring the
 * guest side reads. Main thread only. */
#ifndef SF_CHANNELS_RECORD_H
#define SF_CHANNELS_RECORD_H

#include <stdint.h>
#include "channels/chan.h"

struct sf_record;

struct sf_record *sf_record_create(void);
void sf_record_destroy(struct sf_record *rec);

/* Serve a linked record socket (takes @fd). Returns the connection (one
 * reference for the caller) or NULL. */
struct sf_chan *sf_record_attach(struct sf_record *rec, struct sf_loop *loop, int fd,
				 const struct sf_link_info *info);

void sf_record_start(struct sf_record *rec);
void sf_record_stop(struct sf_record *rec);
/* Copy up to @max stereo S16 frames (one uint32 each) recorded so far.
 * Returns how many. */
uint32_t sf_record_get_samples(struct sf_record *rec, uint32_t *samples, uint32_t max);
void sf_record_set_rate(struct sf_record *rec, uint32_t hz);
uint32_t sf_record_rate(const struct sf_record *rec);
void sf_record_set_volume(struct sf_record *rec, uint8_t nchannels, const uint16_t *volume);
void sf_record_set_mute(struct sf_record *rec, bool mute);

/* Parse one client record message into the ring (exported for tests and
 * fuzzing). @opus_mode is the client's announced mode, updated by MODE.
 * Returns 0 or -EPROTO. */
int sf_record_parse(struct sf_record *rec, uint16_t *mode, uint16_t type, const uint8_t *p,
		    uint32_t size);

#endif
