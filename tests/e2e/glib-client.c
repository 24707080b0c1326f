/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/glib-client.c: a spice-client-glib (spice-gtk) client that links
 * to saffron-demo, checks pixels of the primary surface as the stock client
 * rendered them, then types a key and clicks, and waits until the demo's
 * reaction shows up in the client's surface. Exit 0 on success. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spice-client.h>
#include "demo/guest.h"

static struct {
	GMainLoop *loop;
	SpiceDisplayChannel *display;
	SpiceInputsChannel *inputs;
	bool primary, inputs_open;
	int cursor_w, cursor_h;
	int step;
	int ticks;
	const char *fail;
	int result;
} t = {.result = 1};

#define TIMEOUT_TICKS 400 /* x 50 ms */
#define CLICK_X	      300
#define CLICK_Y	      600

static bool pixel(int x, int y, uint32_t *out)
{
	SpiceDisplayPrimary p;

	if (!t.display || !spice_display_channel_get_primary(SPICE_CHANNEL(t.display), 0, &p))
		return false;
	if (x >= p.width || y >= p.height)
		return false;
	*out = *(uint32_t *)(p.data + (size_t)y * p.stride + (size_t)x * 4) & 0xffffff;
	return true;
}

static bool pixel_is(int x, int y, uint32_t want)
{
	uint32_t v = 0;
	return pixel(x, y, &v) && v == want;
}

static void finish(int result, const char *why)
{
	t.result = result;
	if (why)
		fprintf(stderr, "glib-client: %s\n", why);
	g_main_loop_quit(t.loop);
}

static gboolean tick(gpointer data)
{
	struct sf_rect kb = sf_guest_key_block(0);

	(void)data;
	if (++t.ticks > TIMEOUT_TICKS) {
		uint32_t v = 0;
		pixel(5, 5, &v);
		fprintf(stderr, "glib-client: primary=%d cursor=%dx%d inputs=%d pixel(5,5)=%06x\n",
			t.primary, t.cursor_w, t.cursor_h, t.inputs_open, v);
		finish(1, t.fail ? t.fail : "timeout");
		return G_SOURCE_REMOVE;
	}
	switch (t.step) {
	case 0: /* static desktop parts (not the moving rectangle) and the cursor */
		t.fail = "static frame or cursor shape not seen";
		if (t.cursor_w != 16 || t.cursor_h != 16)
			break;
		if (!t.primary || !pixel_is(5, 5, 0x2e5e8c) || !pixel_is(100, 70, 0x4060a0) ||
		    !pixel_is(10, 750, 0x3a9a3a) || !pixel_is(662, 180, 0x000000))
			break;
		t.step = 1;
		/* fall through */
	case 1:
		t.fail = "inputs channel not open";
		if (!t.inputs_open)
			break;
		spice_inputs_channel_key_press(t.inputs, 0x1e);
		spice_inputs_channel_key_release(t.inputs, 0x1e);
		t.step = 2;
		break;
	case 2:
		t.fail = "key press did not reach the screen";
		if (!pixel_is(kb.left + 8, kb.top + 8, sf_guest_key_color(0x1e)))
			break;
		spice_inputs_channel_position(t.inputs, CLICK_X, CLICK_Y, 0, 0);
		spice_inputs_channel_button_press(t.inputs, SPICE_MOUSE_BUTTON_LEFT,
						  SPICE_MOUSE_BUTTON_MASK_LEFT);
		spice_inputs_channel_button_release(t.inputs, SPICE_MOUSE_BUTTON_LEFT, 0);
		t.step = 3;
		break;
	case 3:
		t.fail = "click did not reach the screen";
		if (!pixel_is(CLICK_X, CLICK_Y, SF_GUEST_CLICK_COLOR) ||
		    !pixel_is(CLICK_X + SF_GUEST_CLICK_HALF, CLICK_Y, SF_GUEST_CLICK_COLOR))
			break;
		finish(0, NULL);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void primary_create(SpiceChannel *c, gint format, gint w, gint h, gint stride, gint shmid,
			   gpointer data, gpointer user)
{
	if (w != SF_GUEST_WIDTH || h != SF_GUEST_HEIGHT || format != SPICE_SURFACE_FMT_32_xRGB)
		finish(1, "unexpected primary surface");
	t.primary = true;
}

static void cursor_set(SpiceChannel *c, gint w, gint h, gint hot_x, gint hot_y, gpointer rgba,
		       gpointer user)
{
	t.cursor_w = w;
	t.cursor_h = h;
}

static void inputs_event(SpiceChannel *c, SpiceChannelEvent ev, gpointer user)
{
	if (ev == SPICE_CHANNEL_OPENED)
		t.inputs_open = true;
}

static void main_event(SpiceChannel *c, SpiceChannelEvent ev, gpointer user)
{
	if (ev != SPICE_CHANNEL_OPENED)
		finish(1, "main channel failed");
}

static void channel_new(SpiceSession *s, SpiceChannel *c, gpointer user)
{
	if (SPICE_IS_MAIN_CHANNEL(c)) {
		g_signal_connect(c, "channel-event", G_CALLBACK(main_event), NULL);
	} else if (SPICE_IS_DISPLAY_CHANNEL(c)) {
		t.display = SPICE_DISPLAY_CHANNEL(c);
		g_signal_connect(c, "display-primary-create", G_CALLBACK(primary_create), NULL);
		spice_channel_connect(c);
	} else if (SPICE_IS_CURSOR_CHANNEL(c)) {
		g_signal_connect(c, "cursor-set", G_CALLBACK(cursor_set), NULL);
		spice_channel_connect(c);
	} else if (SPICE_IS_INPUTS_CHANNEL(c)) {
		t.inputs = SPICE_INPUTS_CHANNEL(c);
		g_signal_connect(c, "channel-event", G_CALLBACK(inputs_event), NULL);
		spice_channel_connect(c);
	}
}

int main(int argc, char **argv)
{
	SpiceSession *s;

	if (argc < 2) {
		fprintf(stderr, "usage: glib-client PORT [PASSWORD]\n");
		return 2;
	}
	t.loop = g_main_loop_new(NULL, FALSE);
	s = spice_session_new();
	/* SF_TLS_PORT / SF_CA_FILE: link every channel over TLS instead */
	if (getenv("SF_TLS_PORT"))
		g_object_set(s, "host", "127.0.0.1", "tls-port", getenv("SF_TLS_PORT"), "ca-file",
			     getenv("SF_CA_FILE"), NULL);
	else
		g_object_set(s, "host", "127.0.0.1", "port", argv[1], NULL);
	if (argc > 2)
		g_object_set(s, "password", argv[2], NULL);
	g_signal_connect(s, "channel-new", G_CALLBACK(channel_new), NULL);
	if (!spice_session_connect(s))
		return 1;
	g_timeout_add(50, tick, NULL);
	g_main_loop_run(t.loop);
	spice_session_disconnect(s);
	g_object_unref(s);
	return t.result;
}
