/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/glib-chardev.c: a spice-client-glib client for chardev-host. It
 * writes PORT_BYTES through the echo port and checks every byte that comes
 * back; takes the agent's clipboard and checks it; grabs the clipboard and
 * serves its own text when the agent asks; sends a monitors config. Exits 0
 * when all of it is done and right, 1 otherwise (or on timeout). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spice-client.h>
#include <spice/vd_agent.h>
#include "tests/e2e/chardev-test.h"

#define WRITE_CHUNK (64 * 1024)

static GMainLoop *loop;
static SpiceMainChannel *main_chan;
static size_t port_total, port_sent, port_got, port_bad;
static bool port_writing, clip_ok, client_clip_served, monitors_sent, agent_confirmed;
static int failures;
static bool list_only; /* --list: print the channels and port names, exit */

static void port_named(GObject *obj, GParamSpec *ps, gpointer data)
{
	gchar *name;

	(void)ps;
	(void)data;
	g_object_get(obj, "port-name", &name, NULL);
	printf("client: port name %s\n", name ? name : "(none)");
	fflush(stdout);
	g_free(name);
}

static void check_done(void)
{
	if (port_got == port_total && clip_ok && client_clip_served && monitors_sent &&
	    agent_confirmed)
		g_main_loop_quit(loop);
}

static void write_next(SpicePortChannel *port);

static void wrote(GObject *src, GAsyncResult *res, gpointer data)
{
	GError *err = NULL;
	gssize n = spice_port_channel_write_finish(SPICE_PORT_CHANNEL(src), res, &err);

	(void)data;
	if (n < 0) {
		printf("client: port write failed: %s\n", err ? err->message : "?");
		failures++;
		g_main_loop_quit(loop);
		return;
	}
	port_sent += (size_t)n;
	write_next(SPICE_PORT_CHANNEL(src));
}

static void write_next(SpicePortChannel *port)
{
	static guint8 buf[WRITE_CHUNK];
	size_t n = MIN(sizeof(buf), port_total - port_sent);

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		buf[i] = ct_port_byte(port_sent + i);
	spice_port_channel_write_async(port, buf, n, NULL, wrote, NULL);
}

static void port_opened(GObject *obj, GParamSpec *ps, gpointer data)
{
	gboolean opened;
	gchar *name;

	(void)ps;
	(void)data;
	g_object_get(obj, "port-opened", &opened, "port-name", &name, NULL);
	if (opened && !port_writing && g_strcmp0(name, CT_PORT_NAME) == 0) {
		port_writing = true;
		write_next(SPICE_PORT_CHANNEL(obj));
	}
	g_free(name);
}

static void port_data(SpicePortChannel *port, gpointer data, int size, gpointer user)
{
	const guint8 *p = data;

	(void)port;
	(void)user;
	for (int i = 0; i < size; i++)
		port_bad += p[i] != (guint8)(ct_port_byte(port_got + (size_t)i) ^ CT_PORT_XOR);
	port_got += (size_t)size;
	if (port_got > port_total) {
		printf("client: port returned more than sent (%zu)\n", port_got);
		failures++;
	}
	if (port_got == port_total)
		printf("client: port echoed %zu bytes, %zu wrong\n", port_got, port_bad);
	failures += port_got == port_total && port_bad;
	check_done();
}

static gboolean on_grab(SpiceMainChannel *m, guint sel, gpointer types, guint ntypes, gpointer u)
{
	(void)types;
	(void)u;
	printf("client: agent grabbed selection %u (%u types)\n", sel, ntypes);
	if (!clip_ok)
		spice_main_channel_clipboard_selection_request(m, sel,
							       VD_AGENT_CLIPBOARD_UTF8_TEXT);
	return TRUE;
}

static void send_monitors(SpiceMainChannel *m)
{
	spice_main_channel_update_display_enabled(m, 0, TRUE, FALSE);
	spice_main_channel_update_display(m, 0, 0, 0, 1024, 768, FALSE);
	monitors_sent = spice_main_channel_send_monitor_config(m);
	printf("client: monitors config sent: %d\n", monitors_sent);
}

/* Client mouse mode through the agent (the host has no tablet). spice-gtk
 * drops a position given before the inputs channel is up, so it goes out on
 * the channel's OPENED event. */
static void inputs_event(SpiceChannel *c, SpiceChannelEvent ev, gpointer u)
{
	(void)u;
	if (ev != SPICE_CHANNEL_OPENED)
		return;
	spice_inputs_channel_position(SPICE_INPUTS_CHANNEL(c), 123, 45, 0,
				      SPICE_MOUSE_BUTTON_MASK_LEFT);
	printf("client: mouse position sent\n");
}

static void on_selection(SpiceMainChannel *m, guint sel, guint type, gpointer data, guint size,
			 gpointer u)
{
	const guint8 *p = data;
	size_t bad = 0;
	guint32 types[1] = {VD_AGENT_CLIPBOARD_UTF8_TEXT};

	(void)u;
	for (guint i = 0; i < size; i++)
		bad += p[i] != ct_clip_byte(i);
	printf("client: agent clipboard %u bytes (type %u), %zu wrong\n", size, type, bad);
	clip_ok = size == CT_CLIP_SIZE && !bad;
	failures += !clip_ok;
	/* now the other way: the client owns the clipboard */
	spice_main_channel_clipboard_selection_grab(m, sel, types, 1);
	send_monitors(m);
	check_done();
}

static gboolean on_request(SpiceMainChannel *m, guint sel, guint type, gpointer u)
{
	guint8 *p = g_malloc(CT_CLIP_SIZE);

	(void)u;
	for (size_t i = 0; i < CT_CLIP_SIZE; i++)
		p[i] = ct_clip_byte(i) ^ CT_CLIENT_CLIP_XOR;
	spice_main_channel_clipboard_selection_notify(m, sel, type, p, CT_CLIP_SIZE);
	g_free(p);
	printf("client: served its clipboard to the agent\n");
	client_clip_served = true;
	check_done();
	return TRUE;
}

/* The host's agent releases the clipboard once it has checked ours. */
static void on_release(SpiceMainChannel *m, guint sel, gpointer u)
{
	(void)m, (void)sel, (void)u;
	if (client_clip_served) {
		agent_confirmed = true;
		printf("client: the agent confirmed our clipboard\n");
		check_done();
	}
}

static void channel_new(SpiceSession *s, SpiceChannel *c, gpointer data)
{
	int type, id;

	(void)s;
	(void)data;
	g_object_get(c, "channel-type", &type, "channel-id", &id, NULL);
	if (list_only) {
		printf("client: channel %s %d\n", spice_channel_type_to_string(type), id);
		fflush(stdout);
		if (SPICE_IS_PORT_CHANNEL(c)) {
			g_signal_connect(c, "notify::port-name", G_CALLBACK(port_named), NULL);
			spice_channel_connect(c);
		}
		return;
	}
	if (SPICE_IS_MAIN_CHANNEL(c)) {
		main_chan = SPICE_MAIN_CHANNEL(c);
		g_signal_connect(c, "main-clipboard-selection-grab", G_CALLBACK(on_grab), NULL);
		g_signal_connect(c, "main-clipboard-selection", G_CALLBACK(on_selection), NULL);
		g_signal_connect(c, "main-clipboard-selection-request", G_CALLBACK(on_request),
				 NULL);
		g_signal_connect(c, "main-clipboard-selection-release", G_CALLBACK(on_release),
				 NULL);
	} else if (SPICE_IS_INPUTS_CHANNEL(c)) {
		g_signal_connect(c, "channel-event", G_CALLBACK(inputs_event), NULL);
		spice_channel_connect(c);
	} else if (SPICE_IS_PORT_CHANNEL(c)) {
		g_signal_connect(c, "notify::port-opened", G_CALLBACK(port_opened), NULL);
		g_signal_connect(c, "port-data", G_CALLBACK(port_data), NULL);
		spice_channel_connect(c);
	}
}

static gboolean on_timeout(gpointer data)
{
	(void)data;
	if (list_only) {
		g_main_loop_quit(loop);
		return G_SOURCE_REMOVE;
	}
	printf("client: timeout (port %zu/%zu sent, %zu back; clipboard %d; served %d)\n",
	       port_sent, port_total, port_got, clip_ok, client_clip_served);
	failures++;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	SpiceSession *session;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		list_only = true;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: glib-chardev [--list] PORT [PORT_BYTES] [TIMEOUT_S]\n");
		return 2;
	}
	port_total = argc > 2 ? strtoul(argv[2], NULL, 0) : 1 << 20;
	loop = g_main_loop_new(NULL, FALSE);
	session = spice_session_new();
	g_object_set(session, "host", "127.0.0.1", "port", argv[1], NULL);
	g_signal_connect(session, "channel-new", G_CALLBACK(channel_new), NULL);
	if (!spice_session_connect(session))
		return 1;
	g_timeout_add_seconds(argc > 3 ? atoi(argv[3]) : 40, on_timeout, NULL);
	g_main_loop_run(loop);
	spice_session_disconnect(session);
	g_object_unref(session);
	printf("client: %s\n", failures ? "FAIL" : "ok");
	return failures ? 1 : 0;
}
