/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/fuzz-migrate.c: libFuzzer target for MIGRATE_DATA as a
 * migration target receives it from a client, through real connections:
 * the main channel (session and agent state, after DO_SEAMLESS), a port
 * and the inputs channel; the display's record (preferred compression, the
 * stream and the client's GLZ window), whose load is a pure function, is
 * parsed as the display channel does. data[0] picks which; with bit 0 of data[1]
 * the harness wraps the rest in a valid envelope so the fuzzer reaches the
 * records quickly; without it the bytes go as they are. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "channels/agent.h"
#include "channels/inputs.h"
#include "channels/main.h"
#include "channels/vmc.h"
#include "channels/wire.h"
#include "migrate/data.h"

#define ECHO_PER_WRITE 301
#include "tests/fuzz/echo-dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sf_chardev_ops dev_ops = {.read = echo_read, .write = echo_write};

static bool allow(struct sf_session *s, void *d)
{
	(void)s, (void)d;
	return true;
}

static struct sf_session *live; /* NULL once the session ended */

static void ended(struct sf_session *s, void *d)
{
	(void)d;
	if (live == s)
		live = NULL;
}

static void put_msg(int fd, uint16_t type, const uint8_t *p, uint32_t n)
{
	uint8_t h[6];

	sf_put_le16(h, type);
	sf_put_le32(h + 2, n);
	if (write(fd, h, 6) != 6 || (n && write(fd, p, n) != (ssize_t)n)) {
		/* the server may have closed already */
	}
}

/* The body as sent: wrapped in a valid envelope for @type, or raw. */
static uint32_t body(uint8_t *out, uint32_t cap, const uint8_t *p, size_t n, bool wrap,
		     uint8_t type)
{
	if (!wrap) {
		n = n < cap ? n : cap;
		memcpy(out, p, n);
		return (uint32_t)n;
	}
	n = n < cap - 12 ? n : cap - 12;
	sf_put_le32(out, SF_MIGDATA_MAGIC);
	sf_put_le16(out + 4, SF_MIGDATA_VERSION);
	out[6] = type;
	out[7] = 0;
	sf_put_le32(out + 8, (uint32_t)n);
	memcpy(out + 12, p, n);
	return (uint32_t)n + 12;
}

/* What the display channel's migrate_load does with the bytes. */
static int display_record(uint8_t *out, uint32_t cap, const uint8_t *p, size_t n, bool wrap)
{
	uint32_t len = body(out, cap, p, n, wrap, SPICE_CHANNEL_DISPLAY);
	struct sf_mig_display m;
	struct sf_rbuf r;

	if (sf_migdata_open(&r, out, len, SPICE_CHANNEL_DISPLAY) == 0 &&
	    sf_mig_display_load(&r, &m) == 0 && sf_migdata_end(&r) == 0 &&
	    (m.glz_next >= SF_MIG_GLZ_ID_MAX || (!m.glz && (m.glz_next || m.glz_window))))
		__builtin_trap(); /* accepted what the format rules out */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sf_loop *loop;
	static struct sf_agent *agent;
	static uint8_t msg[70000];
	static const uint8_t chans[1][2] = {{SPICE_CHANNEL_INPUTS, 0}};
	struct sf_session_env env = {.channels = chans,
				     .nchannels = 1,
				     .seamless_allowed = allow,
				     .mm_by_main = true,
				     .ended = ended};
	struct sf_link_info info = {.mini_header = true, .migrated = true, .connection_id = 77};
	struct sf_session *s = NULL;
	struct sf_vmc *v = NULL;
	struct sf_chan *c = NULL;
	uint8_t sink[65536], ver[4] = {1, 0, 0, 0};
	uint32_t n;
	int sv[2];

	if (!loop) {
		loop = sf_loop_create();
		agent = sf_agent_create(loop);
		sf_agent_set_device(agent, &dev_ops, NULL);
	}
	if (size < 2 || size > 65000)
		return 0;
	if (data[0] % 4 == 3)
		return display_record(msg, sizeof(msg), data + 2, size - 2, data[1] & 1);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	echo_len = 0;
	env.agent = agent;
	switch (data[0] % 4) {
	case 0: /* a session migrating here, seamless */
		info.channel_type = SPICE_CHANNEL_MAIN;
		info.common_caps[0] = 1u << SPICE_COMMON_CAP_MINI_HEADER;
		info.num_channel_caps = 1;
		info.channel_caps[0] = 1u << SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS |
				       1u << SPICE_MAIN_CAP_SEAMLESS_MIGRATE;
		live = s = sf_session_create(loop, sv[1], &info, &env);
		put_msg(sv[0], SPICE_MSGC_MAIN_MIGRATE_DST_DO_SEAMLESS, ver, 4);
		n = body(msg, sizeof(msg), data + 2, size - 2, data[1] & 1, SPICE_CHANNEL_MAIN);
		break;
	case 1:
		info.channel_type = SPICE_CHANNEL_PORT;
		v = sf_vmc_create(loop, SPICE_CHANNEL_PORT, 0, "org.fuzz", &dev_ops, NULL);
		c = v ? sf_vmc_attach(v, sv[1], &info) : NULL;
		n = body(msg, sizeof(msg), data + 2, size - 2, data[1] & 1, SPICE_CHANNEL_PORT);
		break;
	default:
		info.channel_type = SPICE_CHANNEL_INPUTS;
		c = sf_inputs_client_new(loop, sv[1], &info, NULL, NULL);
		if (c)
			sf_chan_start(c);
		n = body(msg, sizeof(msg), data + 2, size - 2, data[1] & 1, SPICE_CHANNEL_INPUTS);
		break;
	}
	put_msg(sv[0], SPICE_MSGC_MIGRATE_DATA, msg, n);
	put_msg(sv[0], SPICE_MSGC_PONG, msg, 12); /* life after the data */
	shutdown(sv[0], SHUT_WR);
	for (int i = 0; i < 30; i++) {
		sf_loop_iterate(loop, 0);
		if (v)
			sf_vmc_wakeup(v);
		sf_agent_wakeup(agent);
		while (recv(sv[0], sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
	}
	if (s && live)
		sf_session_close(live);
	if (c)
		sf_chan_close(c);
	for (int i = 0; i < 5; i++)
		sf_loop_iterate(loop, 0);
	sf_chan_unref(c);
	sf_vmc_destroy(v);
	for (int i = 0; i < 5; i++)
		sf_loop_iterate(loop, 0);
	if (s && live) /* still alive after the loop ran: a leak, not a pass */
		__builtin_trap();
	close(sv[0]);
	return 0;
}
