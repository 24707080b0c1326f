/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* demo/devices.c: the echo port keeps a small buffer, so a client writing
 * faster than it reads back meets flow control on both sides; the agent
 * takes 64 bytes per millisecond, like a busy guest, so a client that
 * ignores agent tokens overruns it. */
#include <string.h>
#include <spice/enums.h>
#include "demo/devices.h"

#define ECHO_CAP      16384
#define SINK_PER_POLL 64

struct sf_demo_devices {
	struct sf_server *srv;
	struct sf_vmc *port;
	uint8_t buf[ECHO_CAP];
	size_t len;
	bool agent;
	size_t sink_budget;
	uint64_t swallowed;
};

static int echo_read(void *opaque, uint8_t *out, int len)
{
	struct sf_demo_devices *d = opaque;
	size_t n = SF_MIN(d->len, (size_t)len);

	memcpy(out, d->buf, n);
	memmove(d->buf, d->buf + n, d->len - n);
	d->len -= n;
	return (int)n;
}

static int echo_write(void *opaque, const uint8_t *in, int len)
{
	struct sf_demo_devices *d = opaque;
	size_t n = SF_MIN(ECHO_CAP - d->len, (size_t)len);

	memcpy(d->buf + d->len, in, n);
	d->len += n;
	return (int)n;
}

static const struct sf_chardev_ops echo_ops = {.read = echo_read, .write = echo_write};

static int sink_read(void *opaque, uint8_t *out, int len)
{
	(void)opaque, (void)out, (void)len;
	return 0;
}

static int sink_write(void *opaque, const uint8_t *in, int len)
{
	struct sf_demo_devices *d = opaque;
	size_t n = SF_MIN(d->sink_budget, (size_t)len);

	(void)in;
	d->sink_budget -= n;
	d->swallowed += n;
	return (int)n;
}

static const struct sf_chardev_ops sink_ops = {.read = sink_read, .write = sink_write};

struct sf_demo_devices *sf_demo_devices_create(struct sf_server *srv, const char *echo_port,
					       bool sink_agent)
{
	struct sf_demo_devices *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->srv = srv;
	if (echo_port) {
		d->port = sf_server_add_vmc(srv, SPICE_CHANNEL_PORT, echo_port, &echo_ops, d);
		if (!d->port) {
			free(d);
			return NULL;
		}
		sf_vmc_port_event(d->port, SPICE_PORT_EVENT_OPENED);
	}
	if (sink_agent) {
		sf_agent_set_device(sf_server_agent(srv), &sink_ops, d);
		d->agent = true;
	}
	return d;
}

void sf_demo_devices_poll(struct sf_demo_devices *d)
{
	if (d && d->port)
		sf_vmc_wakeup(d->port);
	if (d && d->agent) {
		d->sink_budget = SINK_PER_POLL;
		sf_agent_wakeup(sf_server_agent(d->srv));
	}
}

void sf_demo_devices_destroy(struct sf_demo_devices *d)
{
	if (!d)
		return;
	if (d->agent)
		sf_agent_set_device(sf_server_agent(d->srv), NULL, NULL);
	if (d->port)
		sf_server_remove_vmc(d->srv, d->port);
	free(d);
}
