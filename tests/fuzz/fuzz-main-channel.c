/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-main-channel.c: libFuzzer target for a linked client's byte
 * stream: mini-header framing, the common messages (ACK_SYNC, ACK, PONG...)
 * and main-channel handling with a guest agent attached (AGENT_START, TOKEN,
 * DATA against a device that takes a few bytes at a time and talks back),
 * through a real sf_chan on a real loop fed over a socketpair. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "channels/agent.h"
#include "channels/main.h"

#define ECHO_PER_WRITE 37
#include "tests/fuzz/echo-dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t chans[1][2] = {{2, 0}};
static int ended;

static void on_end(struct sf_session *s, void *d)
{
	(void)s;
	(void)d;
	ended = 1;
}

static bool dev_monitors(void *o, const uint8_t *cfg, uint32_t size)
{
	(void)o;
	if (cfg && size < 8)
		__builtin_trap(); /* the agent module validated it */
	return true;
}

/* The guest agent echoes what it is given back as its output, so chunks
 * the client wrote (well-formed or not) come back through the read side. */
static const struct sf_chardev_ops dev_ops = {
	.read = echo_read, .write = echo_write, .monitors_config = dev_monitors};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_loop *loop;
	static struct sf_agent *agent;
	struct sf_session_env env = {.channels = chans,
				     .nchannels = 1,
				     .ndisplays = 1,
				     .client_mouse = true,
				     .ended = on_end};
	struct sf_link_info info = {.channel_type = 1, .mini_header = true};
	struct sf_session *s;
	uint8_t sink[65536];
	int sv[2];

	if (!loop) {
		loop = sf_loop_create();
		agent = sf_agent_create(loop);
		sf_agent_set_device(agent, &dev_ops, NULL);
	}
	env.agent = agent;
	echo_len = 0;
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
		sf_agent_wakeup(agent);
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
