/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* demo/devices.h: the demo guest's char devices: an echo port (what the
 * client writes comes back) and an agent that swallows everything, enough
 * for clients and the soak test to exercise ports and agent tokens. */
#ifndef SF_DEMO_DEVICES_H
#define SF_DEMO_DEVICES_H

#include "channels/server.h"

struct sf_demo_devices;

/* @echo_port: a port name or NULL; @sink_agent: attach the agent. Thread:
 * main. Returns NULL on failure. */
struct sf_demo_devices *sf_demo_devices_create(struct sf_server *srv, const char *echo_port,
					       bool sink_agent);
void sf_demo_devices_destroy(struct sf_demo_devices *d);

/* Move echoed bytes along; call from the main loop now and then. */
void sf_demo_devices_poll(struct sf_demo_devices *d);

#endif
