/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/chardev.c: char devices. "vdagent" becomes the agent behind the main
 * channel; "usbredir" and "port" become spicevmc channels (a port named
 * org.spice-space.webdav.0 is the webdav channel, as in spice-server).
 * "smartcard" is recognized but has no channel: its output is left unread.
 * Devices added before spice_server_init() are attached there. All calls
 * come on the embedder's main thread, where Saffron's main loop runs. */
#include <string.h>
#include <spice/enums.h>
#include "shim/shim.h"

SF_LOG_TOPIC("chardev");

#define WEBDAV_PORT "org.spice-space.webdav.0"

struct SpiceCharDeviceState {
	SpiceServer *reds;
	bool is_agent, attached;
	struct sf_vmc *vmc; /* usbredir and port */
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

static int dev_read(void *opaque, uint8_t *buf, int len)
{
	SpiceCharDeviceInstance *sin = opaque;

	return CIF(sin)->read ? CIF(sin)->read(sin, buf, len) : 0;
}

static int dev_write(void *opaque, const uint8_t *buf, int len)
{
	SpiceCharDeviceInstance *sin = opaque;

	return CIF(sin)->write ? CIF(sin)->write(sin, buf, len) : 0;
}

static void dev_state(void *opaque, bool connected)
{
	SpiceCharDeviceInstance *sin = opaque;

	if (CIF(sin)->state)
		CIF(sin)->state(sin, connected);
}

static void dev_event(void *opaque, uint8_t event)
{
	SpiceCharDeviceInstance *sin = opaque;

	/* event() arrived with interface minor version 2 */
	if (CIF(sin)->base.minor_version >= 2 && CIF(sin)->event)
		CIF(sin)->event(sin, event);
}

static bool dev_monitors_config(void *opaque, const uint8_t *cfg, uint32_t size)
{
	SpiceCharDeviceInstance *sin = opaque;

	(void)size; /* validated by the agent module: whole monitors, in bounds */
	return shim_qxl_client_monitors_config(sin->st->reds, (VDAgentMonitorsConfig *)cfg);
}

static const struct sf_chardev_ops dev_ops = {
	.read = dev_read,
	.write = dev_write,
	.state = dev_state,
	.event = dev_event,
	.monitors_config = dev_monitors_config,
};

static uint8_t channel_type(SpiceCharDeviceInstance *sin)
{
	if (strcmp(sin->subtype, "usbredir") == 0)
		return SPICE_CHANNEL_USBREDIR;
	if (strcmp(sin->subtype, "port") == 0)
		return sin->portname && strcmp(sin->portname, WEBDAV_PORT) == 0
			       ? SPICE_CHANNEL_WEBDAV
			       : SPICE_CHANNEL_PORT;
	return 0;
}

/* Give the device its channel (or the agent slot) on the running server. */
static int attach(SpiceServer *s, SpiceCharDeviceInstance *sin)
{
	struct SpiceCharDeviceState *st = sin->st;
	uint8_t type = channel_type(sin);

	if (st->attached || !s->srv)
		return 0;
	if (st->is_agent) {
		if (sf_agent_attached(sf_server_agent(s->srv)))
			return -1; /* one agent, as in spice-server */
		sf_agent_set_device(sf_server_agent(s->srv), &dev_ops, sin);
		sf_agent_set_running(sf_server_agent(s->srv), s->vm_running);
		shim_update_mouse_mode(s);
	} else if (type) {
		st->vmc = sf_server_add_vmc(s->srv, type, sin->portname, &dev_ops, sin);
		if (!st->vmc)
			return -1;
		sf_vmc_set_running(st->vmc, s->vm_running);
	}
	st->attached = true;
	return 0;
}

void shim_agent_configure(SpiceServer *s)
{
	struct sf_agent_config cfg = {.copy_paste = s->agent_copypaste,
				      .file_xfer = s->agent_file_xfer};

	if (s->srv)
		sf_agent_configure(sf_server_agent(s->srv), &cfg);
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
		sin->st->is_agent = strcmp(sin->subtype, "vdagent") == 0;
		if (attach(s, sin) < 0) {
			free(sin->st);
			sin->st = NULL;
			return -1;
		}
		s->chardev[i] = sin;
		return 0;
	}
	return -1;
}

void shim_chardev_attach_all(SpiceServer *s)
{
	for (unsigned i = 0; i < SHIM_MAX_CHAR; i++)
		if (s->chardev[i] && attach(s, s->chardev[i]) < 0)
			sf_log_warn("char device %s could not be attached", s->chardev[i]->subtype);
}

int shim_chardev_remove(SpiceServer *unused, SpiceCharDeviceInstance *sin)
{
	SpiceServer *s = sin->st ? sin->st->reds : NULL;

	(void)unused;
	for (unsigned i = 0; s && i < SHIM_MAX_CHAR; i++) {
		if (s->chardev[i] != sin)
			continue;
		if (sin->st->attached && sin->st->is_agent) {
			sf_agent_set_device(sf_server_agent(s->srv), NULL, NULL);
			shim_update_mouse_mode(s);
		}
		if (sin->st->vmc)
			sf_server_remove_vmc(s->srv, sin->st->vmc);
		s->chardev[i] = NULL;
		free(sin->st);
		sin->st = NULL;
		return 0;
	}
	return -1;
}

/* The agent stops while not running; a port stays readable during an
 * incoming migration (sf_vmc_set_incoming). */
static void set_devices(SpiceServer *s, bool running, bool incoming)
{
	for (unsigned i = 0; s->srv && i < SHIM_MAX_CHAR; i++) {
		struct SpiceCharDeviceState *st = s->chardev[i] ? s->chardev[i]->st : NULL;
		if (st && st->attached && st->is_agent)
			sf_agent_set_running(sf_server_agent(s->srv), running);
		else if (st && st->vmc && incoming)
			sf_vmc_set_incoming(st->vmc);
		else if (st && st->vmc)
			sf_vmc_set_running(st->vmc, running);
	}
}

void shim_chardev_vm_running(SpiceServer *s, bool running)
{
	set_devices(s, running, false);
}

void shim_chardev_incoming(SpiceServer *s)
{
	set_devices(s, false, true);
}

SF_EXPORT void spice_server_char_device_wakeup(SpiceCharDeviceInstance *sin)
{
	struct SpiceCharDeviceState *st = sin ? sin->st : NULL;

	if (!st || !st->attached)
		return;
	if (st->is_agent)
		sf_agent_wakeup(sf_server_agent(st->reds->srv));
	else if (st->vmc)
		sf_vmc_wakeup(st->vmc);
}

SF_EXPORT void spice_server_port_event(SpiceCharDeviceInstance *sin, uint8_t event)
{
	if (sin && sin->st && sin->st->vmc)
		sf_vmc_port_event(sin->st->vmc, event);
}
