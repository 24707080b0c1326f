/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-main-channel.c: libFuzzer target for a linked client's byte
 * stream: mini-header framing, the common messages (ACK_SYNC, ACK, PONG...)
 * and main-channel handling, through a real sf_chan on a real loop fed over
 * a socketpair. */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include "channels/main.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t chans[1][2] = {{2, 0}};
static int ended;

static void on_end(struct sf_session *s, void *d)
{
	(void)s;
	(void)d;
	ended = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_loop *loop;
	struct sf_session_env env = {.channels = chans,
				     .nchannels = 1,
				     .ndisplays = 1,
				     .client_mouse = true,
				     .ended = on_end};
	struct sf_link_info info = {.channel_type = 1, .mini_header = true};
	struct sf_session *s;
	uint8_t sink[65536];
	int sv[2];

	if (!loop)
		loop = sf_loop_create();
	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	info.mini_header = size && (data[0] & 1);
	ended = 0;
	s = sf_session_create(loop, sv[1], &info, &env);
	if (!s) {
		close(sv[0]);
		return 0;
	}
	if (size > 1 && write(sv[0], data + 1, size - 1) < 0) {
		/* nothing: the server side may be closed already */
	}
	shutdown(sv[0], SHUT_WR);
	for (int i = 0; i < 50 && !ended; i++) {
		sf_loop_iterate(loop, 0);
		while (recv(sv[0], sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	if (!ended)
		sf_session_close(s);
	for (int i = 0; i < 50 && !ended; i++)
		sf_loop_iterate(loop, 0);
	close(sv[0]);
	return 0;
}
