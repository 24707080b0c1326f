/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/inputs.c: keyboard/mouse message parsing and motion acks. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "channels/inputs.h"
#include "channels/marshal.h"
#include "channels/wire.h"
#include "migrate/data.h"

static void key(struct sf_inputs_ctx *ctx, uint32_t code)
{
	bool down = !(code & 0x80);

	if (ctx->ops && ctx->ops->key)
		ctx->ops->key(ctx->data, code & ~0x80u, down);
}

/* KEY_DOWN/KEY_UP codes carry the 0xe0 prefix in the low byte. */
static void key_code(struct sf_inputs_ctx *ctx, uint32_t code, bool down)
{
	uint32_t sc = (code & 0xff) == 0xe0 ? 0x100 | ((code >> 8) & 0x7f) : code & 0x7f;

	if (ctx->ops && ctx->ops->key)
		ctx->ops->key(ctx->data, sc, down);
}

static int scancodes(struct sf_inputs_ctx *ctx, const uint8_t *p, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++) {
		if (p[i] == 0xe0) {
			if (++i == size)
				return -EPROTO;
			key(ctx, 0x100 | p[i]);
		} else {
			key(ctx, p[i]);
		}
	}
	return 0;
}

static int motion_done(struct sf_inputs_ctx *ctx)
{
	return ++ctx->motion_count % SPICE_INPUT_MOTION_ACK_BUNCH == 0 ? 1 : 0;
}

int sf_inputs_parse(struct sf_inputs_ctx *ctx, uint16_t type, const uint8_t *p, uint32_t size)
{
	const struct sf_input_ops *ops = ctx->ops;
	struct sf_rbuf r;
	uint32_t a, b, buttons;
	uint8_t btn, disp;

	sf_rbuf_init(&r, p, size);
	switch (type) {
	case SPICE_MSGC_INPUTS_KEY_DOWN:
	case SPICE_MSGC_INPUTS_KEY_UP:
		a = sf_rbuf_u32(&r);
		if (r.err)
			return -EPROTO;
		key_code(ctx, a, type == SPICE_MSGC_INPUTS_KEY_DOWN);
		return 0;
	case SPICE_MSGC_INPUTS_KEY_SCANCODE:
		return scancodes(ctx, p, size);
	case SPICE_MSGC_INPUTS_KEY_MODIFIERS:
		a = sf_rbuf_u16(&r);
		if (r.err)
			return -EPROTO;
		if (ops && ops->modifiers)
			ops->modifiers(ctx->data, (uint16_t)a);
		return 0;
	case SPICE_MSGC_INPUTS_MOUSE_MOTION:
		a = sf_rbuf_u32(&r);
		b = sf_rbuf_u32(&r);
		buttons = sf_rbuf_u16(&r);
		if (r.err)
			return -EPROTO;
		if (ops && ops->motion)
			ops->motion(ctx->data, (int32_t)a, (int32_t)b, buttons);
		return motion_done(ctx);
	case SPICE_MSGC_INPUTS_MOUSE_POSITION:
		a = sf_rbuf_u32(&r);
		b = sf_rbuf_u32(&r);
		buttons = sf_rbuf_u16(&r);
		disp = sf_rbuf_u8(&r);
		if (r.err)
			return -EPROTO;
		if (ops && ops->position)
			ops->position(ctx->data, a, b, buttons, disp);
		return motion_done(ctx);
	case SPICE_MSGC_INPUTS_MOUSE_PRESS:
	case SPICE_MSGC_INPUTS_MOUSE_RELEASE:
		btn = sf_rbuf_u8(&r);
		buttons = sf_rbuf_u16(&r);
		if (r.err)
			return -EPROTO;
		if (ops && ops->button)
			ops->button(ctx->data, btn, type == SPICE_MSGC_INPUTS_MOUSE_PRESS, buttons);
		return 0;
	case SPICE_MSGC_PONG:
		return 0;
	default:
		return -EPROTO;
	}
}

static int handle(struct sf_chan *c, uint16_t type, const uint8_t *p, uint32_t size)
{
	struct sf_inputs_ctx *ctx = sf_chan_data(c);
	int r = sf_inputs_parse(ctx, type, p, size);
	struct sf_buf *b;

	if (r == 1) {
		b = sf_marshal_empty(SPICE_MSG_INPUTS_MOUSE_MOTION_ACK);
		if (b)
			sf_chan_push(c, b);
		sf_buf_unref(b);
		r = 0;
	}
	return r;
}

static void on_start(struct sf_chan *c)
{
	struct sf_inputs_ctx *ctx = sf_chan_data(c);
	uint16_t mods =
		ctx->ops && ctx->ops->get_modifiers ? ctx->ops->get_modifiers(ctx->data) : 0;
	struct sf_buf *b = sf_marshal_inputs_init(mods);

	if (b)
		sf_chan_push(c, b);
	sf_buf_unref(b);
}

static void on_close(struct sf_chan *c)
{
	free(sf_chan_data(c));
}

/* The motion count keeps the client's ack bunches in phase. */
static struct sf_buf *migrate_save(struct sf_chan *c)
{
	struct sf_inputs_ctx *ctx = sf_chan_data(c);
	struct sf_mig_inputs m = {.motion_count = ctx->motion_count};
	struct sf_wbuf w;

	sf_migdata_begin(&w, SPICE_CHANNEL_INPUTS);
	sf_mig_inputs_save(&w, &m);
	return sf_migdata_finish(&w);
}

static int migrate_load(struct sf_chan *c, const uint8_t *p, uint32_t size)
{
	struct sf_inputs_ctx *ctx = sf_chan_data(c);
	struct sf_mig_inputs m;
	struct sf_rbuf r;
	int err;

	if ((err = sf_migdata_open(&r, p, size, SPICE_CHANNEL_INPUTS)) < 0 ||
	    (err = sf_mig_inputs_load(&r, &m)) < 0 || (err = sf_migdata_end(&r)) < 0)
		return err;
	ctx->motion_count = m.motion_count;
	return 0;
}

static const struct sf_chan_ops inputs_ops = {
	.name = "inputs",
	.max_msg_size = 1024,
	.acks = false,
	.handle = handle,
	.on_start = on_start,
	.on_close = on_close,
	.migrate_save = migrate_save,
	.migrate_load = migrate_load,
};

struct sf_chan *sf_inputs_client_new(struct sf_loop *loop, int fd, const struct sf_link_info *info,
				     const struct sf_input_ops *ops, void *data)
{
	struct sf_inputs_ctx *ctx = calloc(1, sizeof(*ctx));
	struct sf_chan *c;

	if (!ctx) {
		close(fd);
		return NULL;
	}
	ctx->ops = ops;
	ctx->data = data;
	c = sf_chan_create(loop, fd, info, &inputs_ops, ctx);
	if (!c)
		free(ctx);
	return c;
}
