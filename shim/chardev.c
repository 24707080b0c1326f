/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/chardev.c: char devices (vdagent, usbredir, smartcard, port). The
 * spicevmc/port channels are not built yet, so no client is ever attached to
 * a device: as spice-server does then, the agent's output is read and
 * dropped (the agent must not block on a full virtio-serial port), other
 * devices are left unread until a client comes, and device state follows
 * vm_start/vm_stop. */
#include <string.h>
#include "shim/shim.h"

SF_LOG_TOPIC("chardev");

struct SpiceCharDeviceState {
	SpiceServer *reds;
	bool running;
	bool is_agent;
	uint8_t last_port_event;
	uint64_t dropped;
};

#define CIF(sin) ((SpiceCharDeviceInterface *)(sin)->base.sif)

SF_EXPORT const char **spice_server_char_device_recognized_subtypes(void)
{
	static const char *subtypes[] = {"vdagent", "smartcard", "usbredir", "port", NULL};
	return subtypes;
}

static bool known(const char *subtype)
{
	const char **s = spice_server_char_device_recognized_subtypes();

	for (; subtype && *s; s++)
		if (strcmp(*s, subtype) == 0)
			return true;
	return false;
}

int shim_chardev_add(SpiceServer *s, SpiceCharDeviceInstance *sin)
{
	if (!known(sin->subtype) ||
	    CIF(sin)->base.major_version != SPICE_INTERFACE_CHAR_DEVICE_MAJOR)
		return -1;
	for (unsigned i = 0; i < SHIM_MAX_CHAR; i++) {
		if (s->chardev[i])
			continue;
		sin->st = calloc(1, sizeof(*sin->st));
		if (!sin->st)
			return -1;
		sin->st->reds = s;
		sin->st->running = s->vm_running;
		sin->st->is_agent = strcmp(sin->subtype, "vdagent") == 0;
		s->chardev[i] = sin;
		return 0;
	}
	return -1;
}

int shim_chardev_remove(SpiceServer *unused, SpiceCharDeviceInstance *sin)
{
	SpiceServer *s = sin->st ? sin->st->reds : NULL;

	(void)unused;
	for (unsigned i = 0; s && i < SHIM_MAX_CHAR; i++) {
		if (s->chardev[i] == sin) {
			s->chardev[i] = NULL;
			free(sin->st);
			sin->st = NULL;
			return 0;
		}
	}
	return -1;
}

void shim_chardev_vm_running(SpiceServer *s, bool running)
{
	for (unsigned i = 0; i < SHIM_MAX_CHAR; i++) {
		if (!s->chardev[i])
			continue;
		s->chardev[i]->st->running = running;
		if (running)
			spice_server_char_device_wakeup(s->chardev[i]);
	}
}

SF_EXPORT void spice_server_char_device_wakeup(SpiceCharDeviceInstance *sin)
{
	uint8_t buf[4096];
	int n, rounds = 0;

	if (!sin || !sin->st || !sin->st->running || !sin->st->is_agent)
		return;
	/* no client to forward agent messages to: drain and drop, bounded */
	while (rounds++ < 256 && (n = CIF(sin)->read(sin, buf, sizeof(buf))) > 0)
		sin->st->dropped += (uint64_t)n;
}

SF_EXPORT void spice_server_port_event(SpiceCharDeviceInstance *sin, uint8_t event)
{
	if (sin && sin->st)
		sin->st->last_port_event = event;
}
