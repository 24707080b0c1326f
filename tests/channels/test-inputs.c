/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-inputs.c: inputs message parsing. */
#include <string.h>
#include <spice/enums.h>
#include "channels/inputs.h"
#include "channels/wire.h"
#include "tests/unit.h"

struct rec {
	uint32_t keys[8];
	bool down[8];
	int nkeys;
	uint32_t x, y;
	uint8_t button;
	bool pressed;
};

static void on_key(void *d, uint32_t sc, bool down)
{
	struct rec *r = d;
	if (r->nkeys < 8) {
		r->keys[r->nkeys] = sc;
		r->down[r->nkeys++] = down;
	}
}

static void on_pos(void *d, uint32_t x, uint32_t y, uint32_t b, uint8_t disp)
{
	struct rec *r = d;
	r->x = x;
	r->y = y;
}

static void on_button(void *d, uint8_t button, bool down, uint32_t b)
{
	struct rec *r = d;
	r->button = button;
	r->pressed = down;
}

static const struct sf_input_ops ops = {.key = on_key, .position = on_pos, .button = on_button};

SF_TEST(inputs_keys_plain_extended_and_scancode_stream)
{
	struct rec r = {0};
	struct sf_inputs_ctx ctx = {.ops = &ops, .data = &r};
	uint8_t m[4];
	const uint8_t stream[] = {0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8};

	sf_put_le32(m, 0x1e);
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_KEY_DOWN, m, 4) == 0);
	sf_put_le32(m, 0x48e0); /* extended: 0xe0 prefix in the low byte */
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_KEY_UP, m, 4) == 0);
	SF_TEST_ASSERT(r.nkeys == 2 && r.keys[0] == 0x1e && r.down[0]);
	SF_TEST_ASSERT(r.keys[1] == 0x148 && !r.down[1]);
	SF_TEST_ASSERT(
		sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_KEY_SCANCODE, stream, sizeof(stream)) == 0);
	SF_TEST_ASSERT(r.nkeys == 6 && r.keys[3] == 0x1e && !r.down[3]);
	SF_TEST_ASSERT(r.keys[4] == 0x148 && r.down[4] && r.keys[5] == 0x148 && !r.down[5]);
	/* a dangling 0xe0 prefix is malformed */
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_KEY_SCANCODE, stream + 2, 1) < 0);
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_KEY_DOWN, m, 3) < 0);
}

SF_TEST(inputs_mouse_and_motion_ack_every_bunch)
{
	struct rec r = {0};
	struct sf_inputs_ctx ctx = {.ops = &ops, .data = &r};
	uint8_t m[11] = {0};
	int acks = 0;

	sf_put_le32(m, 300);
	sf_put_le32(m + 4, 200);
	for (int i = 0; i < 8; i++) {
		int v = sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_MOUSE_POSITION, m, 11);
		SF_TEST_ASSERT(v >= 0);
		acks += v;
	}
	SF_TEST_ASSERT(acks == 8 / SPICE_INPUT_MOTION_ACK_BUNCH);
	SF_TEST_ASSERT(r.x == 300 && r.y == 200);
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_MOUSE_POSITION, m, 10) < 0);
	m[0] = SPICE_MOUSE_BUTTON_LEFT;
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_MOUSE_PRESS, m, 3) == 0);
	SF_TEST_ASSERT(r.button == SPICE_MOUSE_BUTTON_LEFT && r.pressed);
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, 9999, m, 3) < 0);
	/* no callbacks installed: still parsed safely */
	ctx.ops = NULL;
	SF_TEST_ASSERT(sf_inputs_parse(&ctx, SPICE_MSGC_INPUTS_MOUSE_PRESS, m, 3) == 0);
}
