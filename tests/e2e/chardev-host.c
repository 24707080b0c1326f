/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/chardev-host.c: a spice.h host with two char devices, linked to
 * libspice-server.so.1 (Saffron's shim or the reference, by LD_LIBRARY_PATH):
 *  - a port "org.saffron.test" whose guest side XORs every byte with 0x5a
 *    and sends it back, through small buffers, taking at most 1000 bytes per
 *    write and giving at most 700 per read, so flow control is exercised;
 *  - a fake vdagent speaking VDIChunks/VDAgentMessages: it announces
 *    clipboard caps, grabs the clipboard, serves a CT_CLIP_SIZE text when asked,
 *    requests the client's clipboard when the client grabs, and checks it.
 * Results are printed on stdout as "host: ..." lines the test script reads. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spice.h>
#include <spice/protocol.h>
#include <spice/vd_agent.h>
#include "tests/e2e/chardev-test.h"
#include "tests/host/core.h"

#define BUF_CAP 65536

struct ring {
	uint8_t d[BUF_CAP];
	size_t len;
};

static size_t ring_put(struct ring *r, const uint8_t *p, size_t n)
{
	n = n < BUF_CAP - r->len ? n : BUF_CAP - r->len;
	memcpy(r->d + r->len, p, n);
	r->len += n;
	return n;
}

static size_t ring_get(struct ring *r, uint8_t *p, size_t n)
{
	n = n < r->len ? n : r->len;
	memcpy(p, r->d, n);
	memmove(r->d, r->d + n, r->len - n);
	r->len -= n;
	return n;
}

/* ---- the echo port ---- */
static struct ring port_in, port_out;
static unsigned long long port_echoed;
static int port_state = -1;

static int port_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
	(void)sin;
	return (int)ring_put(&port_in, buf, (size_t)(len > 1000 ? 1000 : len));
}

static int port_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
	(void)sin;
	return (int)ring_get(&port_out, buf, (size_t)(len > 700 ? 700 : len));
}

static void port_state_cb(SpiceCharDeviceInstance *sin, int connected)
{
	(void)sin;
	port_state = connected;
	printf("host: port state %d\n", connected);
	fflush(stdout);
}

static void port_event_cb(SpiceCharDeviceInstance *sin, uint8_t event)
{
	(void)sin;
	printf("host: port event %u\n", event);
	fflush(stdout);
}

static SpiceCharDeviceInterface port_sif = {
	.base = {.type = SPICE_INTERFACE_CHAR_DEVICE,
		 .description = "echo port",
		 .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
		 .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR},
	.state = port_state_cb,
	.write = port_write,
	.read = port_read,
	.event = port_event_cb,
};
static SpiceCharDeviceInstance port_sin = {
	.base = {.sif = &port_sif.base}, .subtype = "port", .portname = CT_PORT_NAME};

/* The guest side: move bytes from in to out, transformed. */
static void port_guest(void)
{
	uint8_t tmp[4096];
	size_t room = BUF_CAP - port_out.len, n;
	bool moved = false;

	while (room && (n = ring_get(&port_in, tmp, room < sizeof(tmp) ? room : sizeof(tmp)))) {
		for (size_t i = 0; i < n; i++)
			tmp[i] ^= CT_PORT_XOR;
		ring_put(&port_out, tmp, n);
		port_echoed += n;
		room -= n;
		moved = true;
	}
	if (moved || port_out.len || port_in.len < BUF_CAP)
		spice_server_char_device_wakeup(&port_sin);
}

/* ---- the fake agent ---- */
static struct ring agent_out;  /* VDIChunks towards the server */
static uint8_t *agent_pending; /* queued output beyond the ring */
static size_t agent_pending_len, agent_pending_off;
static uint8_t agent_rx[8 + VD_AGENT_MAX_DATA_SIZE];
static size_t agent_rx_len;
static uint8_t *msg; /* the VDAgentMessage being reassembled */
static size_t msg_len, msg_cap;
static bool client_sel_grab;

static void agent_queue(const void *p, size_t n)
{
	agent_pending = realloc(agent_pending, agent_pending_len + n);
	memcpy(agent_pending + agent_pending_len, p, n);
	agent_pending_len += n;
}

/* A VDAgentMessage split into chunks of at most VD_AGENT_MAX_DATA_SIZE. */
static void agent_send(uint32_t type, const void *data, uint32_t size)
{
	VDAgentMessage h = {.protocol = VD_AGENT_PROTOCOL, .type = type, .size = size};
	uint8_t *all = malloc(sizeof(h) + size);
	size_t total = sizeof(h) + size;

	memcpy(all, &h, sizeof(h));
	if (size)
		memcpy(all + sizeof(h), data, size);
	for (size_t off = 0; off < total;) {
		size_t n =
			total - off > VD_AGENT_MAX_DATA_SIZE ? VD_AGENT_MAX_DATA_SIZE : total - off;
		VDIChunkHeader ch = {.port = VDP_CLIENT_PORT, .size = (uint32_t)n};
		agent_queue(&ch, sizeof(ch));
		agent_queue(all + off, n);
		off += n;
	}
	free(all);
}

static void agent_announce(bool request)
{
	uint8_t buf[sizeof(VDAgentAnnounceCapabilities) + 4] = {0};
	VDAgentAnnounceCapabilities *caps = (VDAgentAnnounceCapabilities *)buf;

	caps->request = request;
	VD_AGENT_SET_CAPABILITY(caps->caps, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
	VD_AGENT_SET_CAPABILITY(caps->caps, VD_AGENT_CAP_MONITORS_CONFIG);
	agent_send(VD_AGENT_ANNOUNCE_CAPABILITIES, buf, sizeof(buf));
}

/* The release tells the client the agent has all it sent: its clipboard and,
 * unless the library offers no agent mouse (argv[3] "nomouse"), one pointer
 * state. The client hangs up on it, so it must come after both. */
static bool clip_checked, mouse_seen, mouse_expected = true;

static void maybe_release(void)
{
	if (clip_checked && (mouse_seen || !mouse_expected))
		agent_send(VD_AGENT_CLIPBOARD_RELEASE, NULL, 0);
}

static void agent_grab(void)
{
	uint32_t type = VD_AGENT_CLIPBOARD_UTF8_TEXT;

	agent_send(VD_AGENT_CLIPBOARD_GRAB, &type, sizeof(type));
}

static void agent_clipboard_reply(void)
{
	uint8_t *p = malloc(4 + CT_CLIP_SIZE);
	uint32_t type = VD_AGENT_CLIPBOARD_UTF8_TEXT;

	memcpy(p, &type, 4);
	for (size_t i = 0; i < CT_CLIP_SIZE; i++)
		p[4 + i] = ct_clip_byte(i);
	agent_send(VD_AGENT_CLIPBOARD, p, 4 + CT_CLIP_SIZE);
	free(p);
}

static void check_client_clipboard(const uint8_t *p, uint32_t size)
{
	size_t bad = 0, n = size > 4 ? size - 4 : 0;

	for (size_t i = 0; i < n; i++)
		bad += p[4 + i] != (uint8_t)(ct_clip_byte(i) ^ CT_CLIENT_CLIP_XOR);
	printf("host: agent got client clipboard %zu bytes, %zu wrong\n", n, bad);
	clip_checked = true;
	maybe_release();
}

static void agent_message(uint32_t type, const uint8_t *p, uint32_t size)
{
	uint32_t want = VD_AGENT_CLIPBOARD_UTF8_TEXT;

	switch (type) {
	case VD_AGENT_ANNOUNCE_CAPABILITIES:
		printf("host: agent caps from client\n");
		if (size >= 4 && ((const VDAgentAnnounceCapabilities *)p)->request)
			agent_announce(false);
		agent_grab();
		break;
	case VD_AGENT_MONITORS_CONFIG:
		if (size >= sizeof(VDAgentMonitorsConfig) + sizeof(VDAgentMonConfig)) {
			const VDAgentMonitorsConfig *mc = (const void *)p;
			printf("host: agent monitors %u first %ux%u\n", mc->num_of_monitors,
			       mc->monitors[0].width, mc->monitors[0].height);
		}
		break;
	case VD_AGENT_CLIPBOARD_REQUEST:
		printf("host: agent clipboard request\n");
		agent_clipboard_reply();
		break;
	case VD_AGENT_CLIPBOARD_GRAB:
		printf("host: agent sees client grab\n");
		client_sel_grab = true;
		agent_send(VD_AGENT_CLIPBOARD_REQUEST, &want, sizeof(want));
		break;
	case VD_AGENT_CLIPBOARD:
		check_client_clipboard(p, size);
		break;
	case VD_AGENT_MOUSE_STATE:
		if (size == sizeof(VDAgentMouseState)) {
			const VDAgentMouseState *ms = (const void *)p;
			printf("host: agent mouse %u,%u buttons 0x%x\n", ms->x, ms->y, ms->buttons);
			if (!mouse_seen) {
				mouse_seen = true;
				maybe_release();
			}
		}
		break;
	default:
		printf("host: agent message type %u size %u\n", type, size);
	}
	fflush(stdout);
}

/* Reassemble VDAgentMessages out of the chunks the server wrote. */
static void agent_chunk(const uint8_t *p, uint32_t n)
{
	const VDAgentMessage *h;

	if (msg_len + n > msg_cap) {
		msg_cap = (msg_len + n) * 2;
		msg = realloc(msg, msg_cap);
	}
	memcpy(msg + msg_len, p, n);
	msg_len += n;
	h = (const VDAgentMessage *)msg;
	if (msg_len < sizeof(*h) || msg_len < sizeof(*h) + h->size)
		return;
	if (h->protocol != VD_AGENT_PROTOCOL || msg_len != sizeof(*h) + h->size) {
		printf("host: agent stream corrupt (protocol %u, have %zu, size %u)\n", h->protocol,
		       msg_len, h->size);
		exit(3);
	}
	agent_message(h->type, msg + sizeof(*h), h->size);
	msg_len = 0;
}

static int agent_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
	int took = 0;

	(void)sin;
	while (took < len) {
		size_t want = agent_rx_len < 8
				      ? 8 - agent_rx_len
				      : 8 + ((VDIChunkHeader *)agent_rx)->size - agent_rx_len;
		size_t n = (size_t)(len - took) < want ? (size_t)(len - took) : want;
		memcpy(agent_rx + agent_rx_len, buf + took, n);
		agent_rx_len += n;
		took += (int)n;
		if (agent_rx_len == 8 &&
		    ((VDIChunkHeader *)agent_rx)->size > VD_AGENT_MAX_DATA_SIZE) {
			printf("host: oversized chunk %u\n", ((VDIChunkHeader *)agent_rx)->size);
			exit(3);
		}
		if (agent_rx_len >= 8 && agent_rx_len == 8 + ((VDIChunkHeader *)agent_rx)->size) {
			agent_chunk(agent_rx + 8, ((VDIChunkHeader *)agent_rx)->size);
			agent_rx_len = 0;
		}
	}
	return took;
}

static int agent_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
	(void)sin;
	return (int)ring_get(&agent_out, buf, (size_t)len);
}

static void agent_state(SpiceCharDeviceInstance *sin, int connected)
{
	(void)sin;
	printf("host: agent state %d\n", connected);
	fflush(stdout);
}

static SpiceCharDeviceInterface agent_sif = {
	.base = {.type = SPICE_INTERFACE_CHAR_DEVICE,
		 .description = "fake vdagent",
		 .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
		 .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR},
	.state = agent_state,
	.write = agent_write,
	.read = agent_read,
};
static SpiceCharDeviceInstance agent_sin = {.base = {.sif = &agent_sif.base}, .subtype = "vdagent"};

static void agent_guest(void)
{
	size_t n;

	if (agent_pending_off < agent_pending_len) {
		n = ring_put(&agent_out, agent_pending + agent_pending_off,
			     agent_pending_len - agent_pending_off);
		agent_pending_off += n;
		if (agent_pending_off == agent_pending_len)
			agent_pending_off = agent_pending_len = 0;
	}
	if (agent_out.len)
		spice_server_char_device_wakeup(&agent_sin);
}

static volatile sig_atomic_t stop;
static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

int main(int argc, char **argv)
{
	SpiceServer *s = spice_server_new();
	int port = argc > 1 ? atoi(argv[1]) : 5930;
	int seconds = argc > 2 ? atoi(argv[2]) : 60;
	uint64_t t0 = host_now_ms();

	mouse_expected = !(argc > 3 && strcmp(argv[3], "nomouse") == 0);

	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	spice_server_set_port(s, port);
	spice_server_set_addr(s, "127.0.0.1", 0);
	spice_server_set_noauth(s);
	if (spice_server_init(s, host_core(NULL)) < 0) {
		fprintf(stderr, "chardev-host: spice_server_init failed\n");
		return 1;
	}
	if (spice_server_add_interface(s, &port_sin.base) < 0 ||
	    spice_server_add_interface(s, &agent_sin.base) < 0) {
		fprintf(stderr, "chardev-host: add_interface failed\n");
		return 1;
	}
	spice_server_port_event(&port_sin, SPICE_PORT_EVENT_OPENED);
	agent_announce(true);
	printf("host: ready on %d\n", port);
	fflush(stdout);
	while (!stop && host_now_ms() - t0 < (uint64_t)seconds * 1000) {
		host_core_iterate(2);
		port_guest();
		agent_guest();
	}
	printf("host: port echoed %llu bytes\n", port_echoed);
	spice_server_destroy(s);
	return 0;
}
