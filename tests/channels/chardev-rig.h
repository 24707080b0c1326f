/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/chardev-rig.h: a scripted char device and a raw client end
 * of a socketpair, for the agent and spicevmc unit tests (single thread: the
 * test drives the loop). */
#ifndef SF_TESTS_CHARDEV_RIG_H
#define SF_TESTS_CHARDEV_RIG_H

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "channels/chardev.h"
#include "channels/wire.h"
#include "engine/loop.h"
#include "tests/channels/msg-rig.h"

struct dev {
	uint8_t out[1 << 20]; /* what the guest will give */
	size_t out_len, out_pos;
	uint8_t in[1 << 20]; /* what the guest got */
	size_t in_len;
	int write_limit; /* bytes per write; 0: take nothing */
	bool budgeted;	 /* then at most @budget bytes in all */
	size_t budget;
	int state, events, last_event;
	bool monitors_supported;
	int monitors_calls;
	uint32_t monitors_n;
};

static inline int dev_read(void *o, uint8_t *buf, int len)
{
	struct dev *d = o;
	size_t n = d->out_len - d->out_pos;

	n = n < (size_t)len ? n : (size_t)len;
	memcpy(buf, d->out + d->out_pos, n);
	d->out_pos += n;
	return (int)n;
}

static inline int dev_write(void *o, const uint8_t *buf, int len)
{
	struct dev *d = o;
	int n = len < d->write_limit ? len : d->write_limit;

	if (d->in_len + (size_t)n > sizeof(d->in))
		n = (int)(sizeof(d->in) - d->in_len);
	if (d->budgeted && (size_t)n > d->budget)
		n = (int)d->budget;
	if (d->budgeted)
		d->budget -= (size_t)n;
	memcpy(d->in + d->in_len, buf, (size_t)n);
	d->in_len += (size_t)n;
	return n;
}

static inline void dev_state(void *o, bool on)
{
	((struct dev *)o)->state = on;
}

static inline void dev_event(void *o, uint8_t ev)
{
	struct dev *d = o;
	d->events++;
	d->last_event = ev;
}

static inline bool dev_monitors(void *o, const uint8_t *cfg, uint32_t size)
{
	struct dev *d = o;

	(void)size;
	if (cfg) {
		d->monitors_calls++;
		d->monitors_n = sf_get_le32(cfg);
	}
	return d->monitors_supported;
}

static const struct sf_chardev_ops dev_ops = {.read = dev_read,
					      .write = dev_write,
					      .state = dev_state,
					      .event = dev_event,
					      .monitors_config = dev_monitors};

/* A client message on the wire (mini header), written by the test. */
static inline bool send_msg(int fd, uint16_t type, const void *p, uint32_t n)
{
	return rig_send(fd, type, p, n);
}

/* Read one server message (mini header) with the loop pumped meanwhile;
 * returns its type, or -1 when none came within ~@ms. */
static inline int recv_msg(struct sf_loop *loop, int fd, uint8_t *body, uint32_t cap,
			   uint32_t *size, int ms)
{
	uint8_t h[6];
	size_t got = 0;

	for (int i = 0; i < ms && got < 6; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		sf_loop_iterate(loop, 0);
		if (poll(&p, 1, 1) > 0) {
			ssize_t n = recv(fd, h + got, 6 - got, MSG_DONTWAIT);
			if (n <= 0)
				return -1;
			got += (size_t)n;
		}
	}
	if (got < 6)
		return -1;
	*size = sf_get_le32(h + 2);
	for (uint32_t have = 0; have < *size;) {
		uint8_t sink[4096];
		uint32_t want = *size - have;
		ssize_t n;
		sf_loop_iterate(loop, 0);
		n = have < cap ? recv(fd, body + have, SF_MIN(want, cap - have), 0)
			       : recv(fd, sink, SF_MIN(want, (uint32_t)sizeof(sink)), 0);
		if (n <= 0)
			return -1;
		have += (uint32_t)n;
	}
	return sf_get_le16(h);
}

static inline void pump_loop(struct sf_loop *loop, int rounds)
{
	for (int i = 0; i < rounds; i++)
		sf_loop_iterate(loop, 1);
}

#endif
