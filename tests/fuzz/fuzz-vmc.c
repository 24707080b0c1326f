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

#define ECHO_PER_WRITE 501
#include "tests/fuzz/echo-dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sf_chardev_ops dev_ops = {.read = echo_read, .write = echo_write};

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
	echo_len = 0;
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
