/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-channels.c: libFuzzer target for the byte streams of
 * display, cursor and playback clients (framing, ACK/ACK_SYNC against the
 * send stage's ack window, each channel's own messages) through real
 * connections: a running display producer with a surface, and the playback
 * stream playing. The first byte picks the channel and header kind. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <spice/enums.h>
#include "channels/display.h"
#include "channels/playback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool no_command(void *o, struct sf_cmd *cmd)
{
	(void)o, (void)cmd;
	return false;
}

static bool no_notify(void *o)
{
	(void)o;
	return true;
}

static const struct sf_display_source_ops src = {.get_command = no_command,
						 .req_notification = no_notify};

static void add_surface(struct sf_display *d, void *arg)
{
	struct sf_cmd c = {.type = SF_CMD_SURFACE_CREATE, .width = 64, .height = 48};

	(void)arg;
	sf_display_exec(d, &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_loop *loop;
	static struct sf_display *display;
	static struct sf_playback *pb;
	struct sf_link_info info = {.mini_header = true};
	struct sf_chan *c = NULL;
	uint8_t sink[65536];
	uint32_t *frame, n;
	int sv[2];

	if (!loop) {
		loop = sf_loop_create();
		display = sf_display_create(0, &src, NULL);
		pb = sf_playback_create();
		if (!loop || !display || !pb || sf_display_start(display) < 0)
			__builtin_trap();
		sf_display_call(display, add_surface, NULL);
		sf_playback_start(pb);
	}
	if (size < 1 || size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	info.mini_header = data[0] & 1;
	switch (data[0] >> 1 & 3) {
	case 0:
	case 3:
		info.channel_type = SPICE_CHANNEL_DISPLAY;
		c = sf_display_attach(display, loop, sv[1], &info);
		break;
	case 1:
		info.channel_type = SPICE_CHANNEL_CURSOR;
		c = sf_display_attach(display, loop, sv[1], &info);
		break;
	case 2:
		info.channel_type = SPICE_CHANNEL_PLAYBACK;
		c = sf_playback_attach(pb, loop, sv[1], &info);
		break;
	}
	if (size > 1 && write(sv[0], data + 1, size - 1) < 0) {
		/* nothing: the server side may be closed already */
	}
	shutdown(sv[0], SHUT_WR);
	for (int i = 0; i < 40 && c && !sf_chan_closed(c); i++) {
		sf_loop_iterate(loop, i < 30 ? 0 : 1);
		sf_playback_get_buffer(pb, &frame, &n);
		if (frame)
			sf_playback_put_samples(pb, frame);
		while (recv(sv[0], sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	sf_chan_close(c);
	sf_chan_unref(c);
	for (int i = 0; i < 5; i++)
		sf_loop_iterate(loop, 1);
	close(sv[0]);
	return 0;
}
