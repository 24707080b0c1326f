/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/input.c: client input to the embedder's keyboard, mouse and tablet
 * interfaces, converted as spice-server does: scancodes as byte sequences
 * with the 0xe0 prefix, SPICE button masks to the local (left, right,
 * middle) order, wheel buttons to dz. Runs on the main thread. */
#include <spice/vd_agent.h>
#include "shim/shim.h"

/* SPICE masks are left=1, middle=2, right=4; the interfaces want left=1,
 * right=2, middle=4. */
static uint32_t local_buttons(uint32_t s)
{
	return (s & SPICE_MOUSE_BUTTON_MASK_LEFT) | ((s & SPICE_MOUSE_BUTTON_MASK_MIDDLE) << 1) |
	       ((s & SPICE_MOUSE_BUTTON_MASK_RIGHT) >> 1);
}

static void on_key(void *data, uint32_t sc, bool down)
{
	SpiceServer *s = data;
	SpiceKbdInterface *k;

	if (!s->kbd)
		return;
	k = (SpiceKbdInterface *)s->kbd->base.sif;
	if (sc & 0x100)
		k->push_scan_freg(s->kbd, 0xe0);
	k->push_scan_freg(s->kbd, (uint8_t)((sc & 0x7f) | (down ? 0 : 0x80)));
}

static void on_motion(void *data, int32_t dx, int32_t dy, uint32_t buttons)
{
	SpiceServer *s = data;

	s->pointer_absolute = false;
	s->buttons = buttons;
	if (s->mouse)
		((SpiceMouseInterface *)s->mouse->base.sif)
			->motion(s->mouse, dx, dy, 0, local_buttons(buttons));
}

/* Client mouse mode without a tablet goes through the guest agent. */
static bool agent_mouse(const SpiceServer *s)
{
	return !s->tablet && s->agent_mouse && s->srv && sf_agent_attached(sf_server_agent(s->srv));
}

void shim_update_mouse_mode(SpiceServer *s)
{
	if (s->srv)
		sf_server_set_client_mouse(s->srv, s->tablet || agent_mouse(s));
}

static uint32_t agent_buttons(uint32_t s, int dz)
{
	return (s & SPICE_MOUSE_BUTTON_MASK_LEFT ? VD_AGENT_LBUTTON_MASK : 0) |
	       (s & SPICE_MOUSE_BUTTON_MASK_MIDDLE ? VD_AGENT_MBUTTON_MASK : 0) |
	       (s & SPICE_MOUSE_BUTTON_MASK_RIGHT ? VD_AGENT_RBUTTON_MASK : 0) |
	       (dz < 0 ? VD_AGENT_UBUTTON_MASK : 0) | (dz > 0 ? VD_AGENT_DBUTTON_MASK : 0);
}

static void on_position(void *data, uint32_t x, uint32_t y, uint32_t buttons, uint8_t disp)
{
	SpiceServer *s = data;

	s->pointer_absolute = true;
	s->buttons = buttons;
	s->pointer_x = x;
	s->pointer_y = y;
	s->pointer_display = disp;
	if (s->tablet)
		((SpiceTabletInterface *)s->tablet->base.sif)
			->position(s->tablet, (int)x, (int)y, local_buttons(buttons));
	else if (agent_mouse(s))
		sf_agent_mouse(sf_server_agent(s->srv), x, y, agent_buttons(buttons, 0), disp);
}

static void on_button(void *data, uint8_t button, bool down, uint32_t buttons)
{
	SpiceServer *s = data;
	int dz = button == SPICE_MOUSE_BUTTON_UP ? -1 : button == SPICE_MOUSE_BUTTON_DOWN ? 1 : 0;
	uint32_t local = local_buttons(buttons);

	s->buttons = buttons;
	if (s->pointer_absolute && !s->tablet && agent_mouse(s)) {
		if (!dz || down) /* a wheel notch: one state with the bit, one without */
			sf_agent_mouse(sf_server_agent(s->srv), s->pointer_x, s->pointer_y,
				       agent_buttons(buttons, down ? dz : 0), s->pointer_display);
		if (dz && down)
			sf_agent_mouse(sf_server_agent(s->srv), s->pointer_x, s->pointer_y,
				       agent_buttons(buttons, 0), s->pointer_display);
	} else if (s->pointer_absolute && s->tablet) {
		SpiceTabletInterface *t = (SpiceTabletInterface *)s->tablet->base.sif;
		if (dz && down)
			t->wheel(s->tablet, dz, local);
		else if (!dz)
			t->buttons(s->tablet, local);
	} else if (s->mouse) {
		SpiceMouseInterface *m = (SpiceMouseInterface *)s->mouse->base.sif;
		if (dz && down)
			m->motion(s->mouse, 0, 0, dz, local);
		else if (!dz)
			m->buttons(s->mouse, local);
	}
}

static uint16_t get_modifiers(void *data)
{
	SpiceServer *s = data;

	if (!s->kbd)
		return 0;
	/* the interface reports LEDs in SPICE's modifier bit order */
	return ((SpiceKbdInterface *)s->kbd->base.sif)->get_leds(s->kbd);
}

static const struct sf_input_ops ops = {
	.key = on_key,
	.motion = on_motion,
	.position = on_position,
	.button = on_button,
	.get_modifiers = get_modifiers,
};

const struct sf_input_ops *shim_input_ops(void)
{
	return &ops;
}

void shim_input_tablet_size(SpiceServer *s, uint32_t width, uint32_t height)
{
	if (s->tablet)
		((SpiceTabletInterface *)s->tablet->base.sif)
			->set_logical_size(s->tablet, (int)width, (int)height);
}

SF_EXPORT int spice_server_kbd_leds(SpiceKbdInstance *sin, int leds)
{
	SpiceServer *s = sin && sin->st ? sin->st->reds : NULL;

	if (s && s->srv)
		sf_server_set_modifiers(s->srv, (uint16_t)leds);
	return 0;
}
