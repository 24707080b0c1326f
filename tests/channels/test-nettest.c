/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-nettest.c: the network test a new session runs, as
 * spice-server does: two empty PINGs for the latency, one padded with 250 KB
 * for the bit rate. The client here answers at once (a fast link) or holds
 * the last PONG back (a slow one, under 10 Mbit/s: "low bandwidth"). */
#include <unistd.h>
#include <spice/enums.h>
#include "tests/channels/chardev-rig.h"
#include "channels/main.h"
#include "tests/unit.h"

static int measured;

static void on_measured(struct sf_session *s, void *data)
{
	(void)s;
	(void)data;
	measured++;
}

/* Answer the net test's three PINGs, the last after @delay_ms. */
static bool answer_net_test(struct sf_loop *loop, int fd, int delay_ms)
{
	static uint8_t body[300 * 1024];
	uint32_t size;
	int pings = 0, t;

	while (pings < 3 && (t = recv_msg(loop, fd, body, sizeof(body), &size, 300)) >= 0) {
		if (t != SPICE_MSG_PING)
			continue;
		if (++pings == 3) {
			if (size < 250 * 1024)
				return false;
			for (int i = 0; i < delay_ms; i++) {
				sf_loop_iterate(loop, 0);
				usleep(1000);
			}
		}
		send_msg(fd, SPICE_MSGC_PONG, body, 12);
	}
	pump_loop(loop, 20);
	return pings == 3;
}

static bool run(int delay_ms, uint64_t *bitrate, bool *low)
{
	struct sf_loop *loop = sf_loop_create();
	static const uint8_t chans[1][2] = {{SPICE_CHANNEL_DISPLAY, 0}};
	struct sf_session_env env = {
		.channels = chans, .nchannels = 1, .mm_by_main = true, .net_measured = on_measured};
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_MAIN, .mini_header = true};
	struct sf_session *s;
	int sv[2];
	bool ok;

	if (!loop || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return false;
	measured = 0;
	s = sf_session_create(loop, sv[1], &info, &env);
	ok = s && sf_session_bitrate(s) == 0 && answer_net_test(loop, sv[0], delay_ms);
	if (s) {
		*bitrate = sf_session_bitrate(s);
		*low = sf_session_low_bandwidth(s);
		sf_session_close(s);
	}
	pump_loop(loop, 5);
	close(sv[0]);
	sf_loop_destroy(loop);
	return ok && measured == 1;
}

SF_TEST(nettest_measures_a_fast_and_a_slow_client)
{
	uint64_t fast, slow;
	bool low_fast, low_slow;

	SF_TEST_ASSERT(run(0, &fast, &low_fast));
	SF_TEST_ASSERT(fast > 0 && !low_fast);
	/* 250 KB in at least 400 ms: at most 5.1 Mbit/s */
	SF_TEST_ASSERT(run(400, &slow, &low_slow));
	SF_TEST_ASSERT(slow > 0 && slow < 5200000 && low_slow);
}
