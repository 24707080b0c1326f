/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/inputs.h: the inputs channel. Client keyboard and mouse messages
 * are parsed (bounded) and delivered to the embedder's callbacks on the main
 * thread; mouse motion is acknowledged in bunches as clients expect. */
#ifndef SF_CHANNELS_INPUTS_H
#define SF_CHANNELS_INPUTS_H

#include <stdint.h>
#include "channels/chan.h"

/* All called on the main thread. Key codes are PC/XT set-1 scancodes, with
 * 0x100 added for 0xe0-prefixed keys. Button masks use SPICE_MOUSE_BUTTON_MASK_*. */
struct sf_input_ops {
	void (*key)(void *data, uint32_t scancode, bool down);
	void (*modifiers)(void *data, uint16_t mods);
	void (*motion)(void *data, int32_t dx, int32_t dy, uint32_t buttons);
	void (*position)(void *data, uint32_t x, uint32_t y, uint32_t buttons, uint8_t display);
	void (*button)(void *data, uint8_t button, bool down, uint32_t buttons);
	/* Keyboard LEDs for INPUTS_INIT (SPICE_KEYBOARD_MODIFIER_FLAGS_*). Optional. */
	uint16_t (*get_modifiers)(void *data);
};

/* Connection ops for an inputs client; the chan's data must point at a
 * struct sf_inputs_ctx that outlives it. */
struct sf_inputs_ctx {
	const struct sf_input_ops *ops;
	void *data;
	uint32_t motion_count; /* per connection: see sf_inputs_client_new */
};

/* Create the connection for a linked inputs socket (takes @fd). The returned
 * chan holds a private context; starting it sends INPUTS_INIT.
 * Thread: main. Returns NULL on failure. */
struct sf_chan *sf_inputs_client_new(struct sf_loop *loop, int fd, const struct sf_link_info *info,
				     const struct sf_input_ops *ops, void *data);

/* Parse and deliver one inputs message (exported for unit tests and fuzzing).
 * Returns 0, 1 if a MOUSE_MOTION_ACK is due, or -EPROTO. */
int sf_inputs_parse(struct sf_inputs_ctx *ctx, uint16_t type, const uint8_t *p, uint32_t size);

#endif
