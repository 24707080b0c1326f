/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/glz.h: SPICE's global LZ (SPICE_IMAGE_TYPE_GLZ_RGB), as spice-gtk's
 * decode-glz.c reads it: LZ77 whose references may point into earlier images
 * of a dictionary the client keeps in step with the server's. Each image
 * carries a 64-bit id and the distance back to the oldest image the client
 * must keep. Which clients may share one dictionary is display.c's rule. */
#ifndef SF_ENCODERS_GLZ_H
#define SF_ENCODERS_GLZ_H

#include <stddef.h>
#include <stdint.h>
#include "channels/display-t.h"

#define SF_GLZ_HEADER_SIZE 33
/* Largest window in pixels the format can address (LZ_MAX_WINDOW_SIZE). */
#define SF_GLZ_MAX_WINDOW (1u << 25)

/* The server's dictionary: recent images and a hash of their pixels. Not
 * thread-safe: one owner (the display's producer thread). */
struct sf_glz;

/* A dictionary keeping at most @window pixels of past images (clamped to
 * SF_GLZ_MAX_WINDOW). Ids start at 0. Returns NULL with errno set. */
struct sf_glz *sf_glz_new(uint32_t window);
void sf_glz_free(struct sf_glz *g);
/* Forget every image; the next one gets id 0 (a new client window). */
void sf_glz_reset(struct sf_glz *g);
/* The id the next encoded image will carry; 0 while the dictionary is new. */
uint64_t sf_glz_next_id(const struct sf_glz *g);
/* Go on from @id in an empty dictionary: for a client whose window already
 * holds every image before @id (one migrated here). The first image tells it
 * to let those go. Returns 0, or -EBUSY if the dictionary holds images. */
int sf_glz_resume(struct sf_glz *g, uint64_t id);
/* Change the window for the next images. A smaller one drops old images at
 * the next encode; the clients learn it from that image's header. */
void sf_glz_set_window(struct sf_glz *g, uint32_t window);

size_t sf_glz_bound(uint32_t w, uint32_t h);

/* Encode the @w x @h area of 32-bit @img at (@x, @y) as GLZ RGB32 and add
 * it to the dictionary under the next id. Every client sharing the
 * dictionary must then receive this image, in id order: a client that
 * misses one cannot decode what follows. Returns the size, or 0 with the
 * dictionary unchanged (no memory, @cap short, area over 2^25 pixels). */
size_t sf_glz_encode(struct sf_glz *g, const struct sf_image *img, uint32_t x, uint32_t y,
		     uint32_t w, uint32_t h, uint8_t *out, size_t cap);

/* The client's side, for tests, fuzzing and the load client: decoded images
 * by id. Images must arrive in id order from 0, as Saffron sends them. */
struct sf_glz_window;

struct sf_glz_window *sf_glz_window_new(void);
void sf_glz_window_free(struct sf_glz_window *win);

/* Decode one GLZ RGB32 image of exactly @w x @h into @out (x8r8g8b8, pad 0),
 * keep it, and release the images its header says are no longer needed.
 * Every id, distance, offset and length is checked; the window holds at
 * most 2 * SF_GLZ_MAX_WINDOW pixels. Returns 0, -EINVAL (bad stream; the
 * window is unchanged) or -ENOMEM. */
int sf_glz_decode(struct sf_glz_window *win, const uint8_t *in, size_t len, uint32_t w, uint32_t h,
		  uint32_t *out);

#endif
