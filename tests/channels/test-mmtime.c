/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-mmtime.c: who drives the client's mm-time. The main
 * channel starts it 400 ms behind the server's clock and resends it with a
 * larger lag when video needs it; while audio plays, playback drives it and
 * clients with the cap are told the audio latency instead. */
#include <spice/enums.h>
#include "tests/channels/chardev-rig.h"
#include "channels/main.h"
#include "channels/playback.h"
#include "engine/clock.h"
#include "tests/unit.h"

static bool near(uint32_t got, uint32_t want)
{
	return (int32_t)(got - want) > -100 && (int32_t)(got - want) < 100;
}

SF_TEST(mmtime_main_channel_lags_and_follows_the_latency)
{
	struct sf_loop *loop = sf_loop_create();
	static const uint8_t chans[1][2] = {{SPICE_CHANNEL_DISPLAY, 0}};
	struct sf_session_env env = {
		.channels = chans, .nchannels = 1, .mm_by_main = true, .mm_latency = 400};
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_MAIN, .mini_header = true};
	struct sf_session *s;
	uint8_t body[256];
	uint32_t size;
	int sv[2];

	SF_TEST_ASSERT(loop && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	s = sf_session_create(loop, sv[1], &info, &env);
	SF_TEST_ASSERT(s);
	SF_TEST_ASSERT(recv_msg(loop, sv[0], body, sizeof(body), &size, 300) ==
		       SPICE_MSG_MAIN_INIT);
	SF_TEST_ASSERT(size == 32 && near(sf_get_le32(body + 24), sf_clock_mm_time() - 400));
	while (recv_msg(loop, sv[0], body, sizeof(body), &size, 20) >= 0)
		;	      /* the first PING */
	env.mm_latency = 900; /* a video stream asked for more */
	sf_session_send_mm_time(s);
	SF_TEST_ASSERT(recv_msg(loop, sv[0], body, sizeof(body), &size, 300) ==
		       SPICE_MSG_MAIN_MULTI_MEDIA_TIME);
	SF_TEST_ASSERT(near(sf_get_le32(body), sf_clock_mm_time() - 900));
	env.mm_by_main = false; /* audio plays: the main channel stays quiet */
	sf_session_send_mm_time(s);
	SF_TEST_ASSERT(recv_msg(loop, sv[0], body, sizeof(body), &size, 50) == -1);
	sf_session_close(s);
	pump_loop(loop, 5);
	close(sv[0]);
	sf_loop_destroy(loop);
}

static int observed[2];
static void observer(void *data, bool active)
{
	(void)data;
	observed[active]++;
}

SF_TEST(mmtime_playback_reports_activity_and_latency_to_capable_clients)
{
	struct sf_loop *loop = sf_loop_create();
	struct sf_playback *pb = sf_playback_create();
	struct sf_link_info with = {.channel_type = SPICE_CHANNEL_PLAYBACK,
				    .mini_header = true,
				    .num_channel_caps = 1,
				    .channel_caps = {1u << SPICE_PLAYBACK_CAP_LATENCY}};
	struct sf_link_info without = {.channel_type = SPICE_CHANNEL_PLAYBACK, .mini_header = true};
	struct sf_chan *c1, *c2;
	uint8_t body[256];
	uint32_t size;
	int a[2], b[2], t, seen = 0;

	SF_TEST_ASSERT(loop && pb && socketpair(AF_UNIX, SOCK_STREAM, 0, a) == 0 &&
		       socketpair(AF_UNIX, SOCK_STREAM, 0, b) == 0);
	sf_playback_set_observer(pb, observer, NULL);
	c1 = sf_playback_attach(pb, loop, a[1], &with);
	c2 = sf_playback_attach(pb, loop, b[1], &without);
	sf_playback_start(pb);
	SF_TEST_ASSERT(observed[1] == 1 && sf_playback_active(pb));
	sf_playback_set_latency(pb, 250);
	while ((t = recv_msg(loop, a[0], body, sizeof(body), &size, 50)) >= 0)
		if (t == SPICE_MSG_PLAYBACK_LATENCY)
			seen += size == 4 && sf_get_le32(body) == 250;
	SF_TEST_ASSERT(seen == 1);
	while ((t = recv_msg(loop, b[0], body, sizeof(body), &size, 50)) >= 0)
		SF_TEST_ASSERT(t != SPICE_MSG_PLAYBACK_LATENCY);
	sf_playback_stop(pb);
	SF_TEST_ASSERT(observed[0] == 1 && !sf_playback_active(pb));
	sf_chan_unref(c1);
	sf_chan_unref(c2);
	sf_playback_destroy(pb);
	pump_loop(loop, 5);
	close(a[0]);
	close(b[0]);
	sf_loop_destroy(loop);
}
