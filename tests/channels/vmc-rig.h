/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/vmc-rig.h: a spicevmc/port channel on its own loop with the
 * test device of chardev-rig.h, the client's end of the socket in @fd. */
#ifndef SF_TESTS_VMC_RIG_H
#define SF_TESTS_VMC_RIG_H

#include "tests/channels/chardev-rig.h"
#include "channels/vmc.h"

struct vrig {
	struct sf_loop *loop;
	struct sf_vmc *v;
	struct dev *d;
	struct sf_chan *chan;
	int fd;
};

/* @migrated: the link a client migrating here makes (its start waits for
 * MIGRATE_DATA). */
static inline bool vrig_up(struct vrig *r, uint8_t type, bool migrated)
{
	struct sf_link_info info = {
		.channel_type = type, .mini_header = true, .migrated = migrated};
	int sv[2];

	r->loop = sf_loop_create();
	r->d = calloc(1, sizeof(*r->d));
	if (!r->loop || !r->d || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return false;
	r->d->write_limit = 1 << 20;
	r->v = sf_vmc_create(r->loop, type, 0, "org.test.port", &dev_ops, r->d);
	if (!r->v)
		return false;
	r->fd = sv[0];
	r->chan = sf_vmc_attach(r->v, sv[1], &info);
	pump_loop(r->loop, 2);
	return r->chan != NULL;
}

static inline void vrig_down(struct vrig *r)
{
	sf_chan_unref(r->chan);
	sf_vmc_destroy(r->v);
	close(r->fd);
	pump_loop(r->loop, 2);
	sf_loop_destroy(r->loop);
	free(r->d);
}

#endif
