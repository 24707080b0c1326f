/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-vmc.c: libFuzzer target for a port channel client's byte
 * stream (SPICEVMC_DATA, PORT_EVENT, anything else) through a real sf_chan,
 * against a device that takes a few bytes per write and echoes them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <spice/enums.h>
#include "channels/vmc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t dev_buf[8192];
static size_t dev_len;

static int dev_read(void *o, uint8_t *buf, int len)
{
	size_t n = dev_len < (size_t)len ? dev_len : (size_t)len;

	(void)o;
	memcpy(buf, dev_buf, n);
	memmove(dev_buf, dev_buf + n, dev_len - n);
	dev_len -= n;
	return (int)n;
}

static int dev_write(void *o, const uint8_t *buf, int len)
{
	size_t n = sizeof(dev_buf) - dev_len;

	(void)o;
	n = n < (size_t)len ? n : (size_t)len;
	n = n > 501 ? 501 : n;
	memcpy(dev_buf + dev_len, buf, n);
	dev_len += n;
	return (int)n;
}

static const struct sf_chardev_ops dev_ops = {.read = dev_read, .write = dev_write};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_loop *loop;
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_PORT, .mini_header = true};
	struct sf_vmc *v;
	struct sf_chan *c;
	uint8_t sink[65536];
	int sv[2];

	if (!loop)
		loop = sf_loop_create();
	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	dev_len = 0;
	v = sf_vmc_create(loop, SPICE_CHANNEL_PORT, 0, "org.fuzz", &dev_ops, NULL);
	c = v ? sf_vmc_attach(v, sv[1], &info) : NULL;
	if (size && write(sv[0], data, size) < 0) {
		/* nothing: the server side may be closed already */
	}
	shutdown(sv[0], SHUT_WR);
	for (int i = 0; i < 50 && c && !sf_chan_closed(c); i++) {
		sf_loop_iterate(loop, 0);
		sf_vmc_wakeup(v);
		while (recv(sv[0], sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	sf_chan_unref(c);
	sf_vmc_destroy(v);
	for (int i = 0; i < 5; i++)
		sf_loop_iterate(loop, 0);
	close(sv[0]);
	return 0;
}
