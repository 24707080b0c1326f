/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/chardev.h: the device side of a char device (a virtio-serial port,
 * a usbredir device, the guest agent) as an embedder provides it. Devices
 * are driven only on the main thread, where QEMU expects its chardev calls. */
#ifndef SF_CHANNELS_CHARDEV_H
#define SF_CHANNELS_CHARDEV_H

#include <stdbool.h>
#include <stdint.h>

/* All callbacks run on the main thread with the @opaque given at creation. */
struct sf_chardev_ops {
	/* Up to @len bytes from the guest; returns the count, 0 when empty. */
	int (*read)(void *opaque, uint8_t *buf, int len);
	/* Offer @len bytes to the guest; returns how many it took (0: full).
	 * The embedder calls the device's wakeup when it can take more. */
	int (*write)(void *opaque, const uint8_t *buf, int len);
	/* Connected (true) or not: for a spicevmc device, while its client is
	 * attached; for the agent, while the device is. Optional. */
	void (*state)(void *opaque, bool connected);
	/* A port event from the client (SPICE_PORT_EVENT_*). Optional. */
	void (*event)(void *opaque, uint8_t event);
	/* Agent only: can the display device take client monitor configs
	 * itself (@cfg NULL), or take this one (a VDAgentMonitorsConfig of
	 * @size bytes)? Returning false sends them to the agent. Optional. */
	bool (*monitors_config)(void *opaque, const uint8_t *cfg, uint32_t size);
};

#endif
