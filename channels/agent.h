/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/agent.h: the guest agent (vdagent) behind every session's main
 * channel. Token flow control both ways (SPICE_MSG_MAIN_AGENT_TOKEN): the
 * device is read only while every listening client holds a token, and a
 * client may not send more AGENT_DATA than the tokens it was given, so the
 * memory an agent stream holds per client is bounded. Messages from several
 * clients reach the agent whole, never interleaved. A client that starts
 * listening mid-message is served from the next message. The device gets
 * state(1) while it is attached. Everything runs on
 * the main thread. */
#ifndef SF_CHANNELS_AGENT_H
#define SF_CHANNELS_AGENT_H

#include "channels/chan.h"
#include "channels/chardev.h"

/* Tokens a client gets for sending: AGENT_DATA messages in flight. */
#define SF_AGENT_CLIENT_TOKENS 10

struct sf_agent;
struct sf_agent_client;

struct sf_agent_config {
	bool copy_paste, file_xfer; /* false: such messages are dropped both ways */
};

/* The agent slot exists for the server's life; a device comes and goes. */
struct sf_agent *sf_agent_create(struct sf_loop *loop);
void sf_agent_destroy(struct sf_agent *a);
void sf_agent_configure(struct sf_agent *a, const struct sf_agent_config *cfg);

/* The guest's agent port appeared (@ops non-NULL) or went away (NULL):
 * clients get AGENT_CONNECTED(_TOKENS) or AGENT_DISCONNECTED. */
void sf_agent_set_device(struct sf_agent *a, const struct sf_chardev_ops *ops, void *opaque);
bool sf_agent_attached(const struct sf_agent *a);
/* The device has data or room. */
void sf_agent_wakeup(struct sf_agent *a);
void sf_agent_set_running(struct sf_agent *a, bool running);

/* Client-mode pointer state for an agent-driven mouse (no tablet): sent as
 * VD_AGENT_MOUSE_STATE between client messages, newest state winning when
 * the device is slow. @buttons are VD_AGENT_*BUTTON_MASK bits. */
void sf_agent_mouse(struct sf_agent *a, uint32_t x, uint32_t y, uint32_t buttons,
		    uint8_t display_id);

/* A session's main channel: added when it starts, removed when it closes. */
struct sf_agent_client *sf_agent_client_add(struct sf_agent *a, struct sf_chan *main);
void sf_agent_client_remove(struct sf_agent_client *ac);
/* The client's SPICE_MSGC_MAIN_AGENT_START / _TOKEN / _DATA. Return 0 or
 * -errno to disconnect the client (protocol error, tokens exceeded). */
int sf_agent_client_start(struct sf_agent_client *ac, uint32_t tokens);
int sf_agent_client_tokens(struct sf_agent_client *ac, uint32_t tokens);
int sf_agent_client_data(struct sf_agent_client *ac, const uint8_t *p, uint32_t size);

/* Seamless migration (one client): everything in flight between this
 * client and the device, both ways: tokens, queued and half-written chunks,
 * the message filters' positions and a half-read device chunk. The target
 * validates it all (counts, sizes, the token sum) before applying it.
 * Returns 0 or -errno. */
struct sf_wbuf;
struct sf_rbuf;
void sf_agent_client_save(const struct sf_agent_client *ac, struct sf_wbuf *w);
int sf_agent_client_load(struct sf_agent_client *ac, struct sf_rbuf *r);

struct sf_agent_stats {
	uint64_t to_device, from_device, dropped, filtered;
};
void sf_agent_stats(const struct sf_agent *a, struct sf_agent_stats *st);

#endif
