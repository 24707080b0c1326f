/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/vmc.h: a spicevmc channel (usbredir, port, webdav) tying one char
 * device to at most one client at a time. Bytes move both ways without loss:
 * the device is read only while the client keeps up, and the client's socket
 * is read only while the device keeps up. With no client, the device's
 * output is drained and dropped, as spice-server does, so the guest never
 * blocks on a port nobody reads. Everything runs on the main thread. */
#ifndef SF_CHANNELS_VMC_H
#define SF_CHANNELS_VMC_H

#include "channels/chan.h"
#include "channels/chardev.h"

struct sf_vmc;

/* @type is SPICE_CHANNEL_USBREDIR, _PORT or _WEBDAV; @portname is copied
 * (ports only). @ops and @opaque are borrowed until sf_vmc_destroy().
 * Returns NULL with errno set. */
struct sf_vmc *sf_vmc_create(struct sf_loop *loop, uint8_t type, uint8_t id, const char *portname,
			     const struct sf_chardev_ops *ops, void *opaque);
/* Disconnects the client; no device call is made after this returns. */
void sf_vmc_destroy(struct sf_vmc *v);

uint8_t sf_vmc_type(const struct sf_vmc *v);
uint8_t sf_vmc_id(const struct sf_vmc *v);
bool sf_vmc_busy(const struct sf_vmc *v);

/* Serve a linked socket (takes @fd). Returns the connection (one reference
 * for the caller) or NULL when a client is already attached. */
struct sf_chan *sf_vmc_attach(struct sf_vmc *v, int fd, const struct sf_link_info *info);

/* The device has data or room: read and write what can move now. */
void sf_vmc_wakeup(struct sf_vmc *v);
/* The guest opened or closed the port (SPICE_PORT_EVENT_*). */
void sf_vmc_port_event(struct sf_vmc *v, uint8_t event);
/* While stopped the device is neither read nor written; client data waits
 * in a bounded buffer and then in the client's socket. */
void sf_vmc_set_running(struct sf_vmc *v, bool running);

/* An incoming migration: the VM has not run yet but the device is already
 * the target's. It may be read (QEMU's serial drops a byte it fails to hand
 * over a few times) but is written only once running. Cleared by
 * sf_vmc_set_running(v, true). */
void sf_vmc_set_incoming(struct sf_vmc *v);

struct sf_vmc_stats {
	uint64_t to_device, from_device, dropped;
};
void sf_vmc_stats(const struct sf_vmc *v, struct sf_vmc_stats *st);

#endif
