/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* demo/guest.h: a synthetic guest. It plays the part of a QXL driver: it
 * writes drawing commands into a ring and notifies the display device, which
 * pulls them on its producer thread. It draws a deterministic desktop and
 * reacts to keyboard and mouse input. */
#ifndef SF_DEMO_GUEST_H
#define SF_DEMO_GUEST_H

#include "channels/display.h"
#include "channels/inputs.h"

#define SF_GUEST_WIDTH	1024
#define SF_GUEST_HEIGHT 768

struct sf_guest;

/* Thread: main. */
struct sf_guest *sf_guest_create(void);
void sf_guest_destroy(struct sf_guest *g);

/* The device callbacks to register with sf_server_add_display(). */
const struct sf_display_source_ops *sf_guest_source_ops(void);
/* Input callbacks to register with sf_server_set_input_ops(). */
const struct sf_input_ops *sf_guest_input_ops(void);

/* Bind the display the guest draws to (for notifications). Thread: main. */
void sf_guest_set_display(struct sf_guest *g, struct sf_display *d);

/* Queue the primary surface and the static desktop. Thread: main. */
int sf_guest_draw_desktop(struct sf_guest *g);

/* The codec gallery instead: a SF_GUEST_GALLERY_WIDTH x _HEIGHT primary
 * (the surface call) then text, UI, photo, gradient and noise images of
 * widths 1 to 4096 and areas of a larger image, with its stride and odd
 * offsets (the images call). Thread: main. */
#define SF_GUEST_GALLERY_WIDTH	4096
#define SF_GUEST_GALLERY_HEIGHT 448
int sf_guest_gallery_surface(struct sf_guest *g);
void sf_guest_gallery_images(struct sf_guest *g);

/* Advance the moving rectangle by one frame. Thread: main. */
void sf_guest_tick(struct sf_guest *g);

/* Video: frame @n of a 320x240 clip at sf_guest_video_rect(), drawn with
 * one COPY (the display turns a steady series into an MJPEG stream).
 * Thread: main. */
struct sf_rect sf_guest_video_rect(void);
void sf_guest_video_frame(struct sf_guest *g, unsigned n);

/* Submit up to @max commands that leave the picture as it is, without
 * blocking: stops when the ring is half full. Returns how many. Thread: main. */
unsigned sf_guest_flood(struct sf_guest *g, unsigned max);

/* Pure layout helpers shared with the tests: where key press number @n
 * draws its block, which colour a scancode gives, the click marker size. */
struct sf_rect sf_guest_key_block(unsigned n);
uint32_t sf_guest_key_color(uint32_t scancode);
#define SF_GUEST_CLICK_COLOR 0xff0000u
#define SF_GUEST_CLICK_HALF  4

#endif
