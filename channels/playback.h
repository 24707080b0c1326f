/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/playback.h: the playback channel. The guest side (the shim's
 * playback interface, the demo's tone) hands 10 ms frames of S16 stereo;
 * each frame is encoded once per mode (Opus for clients that decode it at
 * 48 kHz, raw otherwise) and stamped with mm-time. Main thread only, as in
 * spice-server, where audio runs on the main loop. */
#ifndef SF_CHANNELS_PLAYBACK_H
#define SF_CHANNELS_PLAYBACK_H

#include <stdint.h>
#include "channels/chan.h"

#define SF_PLAYBACK_FRAME 480 /* samples (per channel) per get_buffer */

struct sf_playback;

struct sf_playback *sf_playback_create(void);
/* Closes its clients. NULL no-op. */
void sf_playback_destroy(struct sf_playback *pb);

/* Serve a linked playback socket (takes @fd). Returns the connection (one
 * reference for the caller) or NULL. */
struct sf_chan *sf_playback_attach(struct sf_playback *pb, struct sf_loop *loop, int fd,
				   const struct sf_link_info *info);

void sf_playback_start(struct sf_playback *pb);
void sf_playback_stop(struct sf_playback *pb);
bool sf_playback_active(const struct sf_playback *pb);

/* @fn hears start/stop: while audio plays, the client's mm-time follows the
 * audio stream instead of the main channel's MULTI_MEDIA_TIME. */
void sf_playback_set_observer(struct sf_playback *pb, void (*fn)(void *data, bool active),
			      void *data);

/* The audio delay clients should keep so video stamped with mm-time lines
 * up (SPICE_MSG_PLAYBACK_LATENCY, to clients with the cap). */
void sf_playback_set_latency(struct sf_playback *pb, uint32_t ms);
/* A frame buffer to fill, or NULL with 0 samples when no client listens
 * (the guest then skips the work, as with spice-server). */
void sf_playback_get_buffer(struct sf_playback *pb, uint32_t **samples, uint32_t *n);
/* Send the frame from get_buffer (@samples must be that buffer). */
void sf_playback_put_samples(struct sf_playback *pb, uint32_t *samples);
void sf_playback_set_volume(struct sf_playback *pb, uint8_t nchannels, const uint16_t *volume);
void sf_playback_set_mute(struct sf_playback *pb, bool mute);
/* 48000 with compression (Opus), otherwise the guest's choice. */
void sf_playback_set_rate(struct sf_playback *pb, uint32_t hz);
uint32_t sf_playback_best_rate(const struct sf_playback *pb);
void sf_playback_set_compression(struct sf_playback *pb, bool on);
unsigned sf_playback_clients(const struct sf_playback *pb);

#endif
