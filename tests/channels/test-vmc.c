/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-vmc.c: spicevmc/port channels: every byte both ways
 * through slow device buffers, bounded buffering when the guest takes
 * nothing, port init/events, one client at a time, and dropping with no
 * client. */
#include <pthread.h>
#include <string.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "tests/channels/vmc-rig.h"
#include "tests/unit.h"

static unsigned pat(size_t i)
{
	return (uint8_t)(i * 31 + (i >> 9));
}

SF_TEST(vmc_bytes_both_ways_through_slow_buffers)
{
	struct vrig r = {0};
	static uint8_t body[70000];
	uint8_t msg[5000];
	size_t got = 0, bad = 0, sent = 0;
	uint32_t size;

	SF_TEST_ASSERT(vrig_up(&r, SPICE_CHANNEL_USBREDIR, false));
	SF_TEST_ASSERT(r.d->state == 1);
	/* guest to client: 300 KiB in whatever pieces */
	for (size_t i = 0; i < 300000; i++)
		r.d->out[i] = pat(i);
	r.d->out_len = 300000;
	sf_vmc_wakeup(r.v);
	while (got < 300000) {
		int t = recv_msg(r.loop, r.fd, body, sizeof(body), &size, 300);
		if (t != SPICE_MSG_SPICEVMC_DATA)
			break;
		for (uint32_t i = 0; i < size; i++)
			bad += body[i] != pat(got + i);
		got += size;
		sf_vmc_wakeup(r.v);
	}
	SF_TEST_ASSERT(got == 300000 && bad == 0);
	/* client to guest: 200 KB, the guest taking 333 bytes per write */
	r.d->write_limit = 333;
	while (sent < 200000) {
		uint32_t n = (uint32_t)SF_MIN(sizeof(msg), 200000 - sent);
		for (uint32_t i = 0; i < n; i++)
			msg[i] = (uint8_t)(pat(sent + i) ^ 0xff);
		SF_TEST_ASSERT(send_msg(r.fd, SPICE_MSGC_SPICEVMC_DATA, msg, n));
		sent += n;
		sf_vmc_wakeup(r.v);
		sf_loop_iterate(r.loop, 0);
	}
	for (int i = 0; i < 5000 && r.d->in_len < 200000; i++) {
		sf_loop_iterate(r.loop, 1);
		sf_vmc_wakeup(r.v);
	}
	SF_TEST_ASSERT(r.d->in_len == 200000);
	for (size_t i = 0; i < 200000; i++)
		bad += r.d->in[i] != (uint8_t)(pat(i) ^ 0xffu);
	SF_TEST_ASSERT(bad == 0);
	vrig_down(&r);
}

SF_TEST(vmc_buffers_a_bounded_amount_while_the_guest_takes_nothing)
{
	struct vrig r = {0};
	static uint8_t msg[60000];
	struct sf_vmc_stats st;
	int sent = 0;

	SF_TEST_ASSERT(vrig_up(&r, SPICE_CHANNEL_USBREDIR, false));
	r.d->write_limit = 0;
	/* the client keeps writing until its socket is full: the server stops
	 * reading it instead of buffering without limit */
	for (int i = 0; i < 200; i++) {
		struct pollfd p = {.fd = r.fd, .events = POLLOUT};
		sf_loop_iterate(r.loop, 0);
		if (poll(&p, 1, 5) <= 0)
			break;
		if (!send_msg(r.fd, SPICE_MSGC_SPICEVMC_DATA, msg, sizeof(msg)))
			break;
		sent++;
	}
	SF_TEST_ASSERT(sent < 200);
	/* the guest wakes up: everything arrives */
	r.d->write_limit = 1 << 20;
	for (int i = 0; i < 2000 && r.d->in_len < (size_t)sent * sizeof(msg); i++) {
		sf_loop_iterate(r.loop, 1);
		sf_vmc_wakeup(r.v);
	}
	sf_vmc_stats(r.v, &st);
	SF_TEST_ASSERT(st.to_device == (uint64_t)sent * sizeof(msg));
	vrig_down(&r);
}

/* A device that never calls wakeup when it has room again is retried on a
 * timer: the bytes still arrive, driven by the loop alone. Wakeups while it
 * is full (one per guest byte in QEMU) do not hold the retry back. */
SF_TEST(vmc_retries_a_device_that_never_signals_room)
{
	struct vrig r = {0};
	uint8_t msg[3000];

	SF_TEST_ASSERT(vrig_up(&r, SPICE_CHANNEL_USBREDIR, false));
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)pat(i);
	r.d->write_limit = 0;
	SF_TEST_ASSERT(send_msg(r.fd, SPICE_MSGC_SPICEVMC_DATA, msg, sizeof(msg)));
	for (int i = 0; i < 50; i++) {
		sf_loop_iterate(r.loop, 1);
		sf_vmc_wakeup(r.v);
	}
	SF_TEST_ASSERT(r.d->in_len == 0);
	r.d->write_limit = 1000; /* room for all of it, in three writes */
	for (int i = 0; i < 500 && r.d->in_len < sizeof(msg); i++)
		sf_loop_iterate(r.loop, 5);
	SF_TEST_ASSERT(r.d->in_len == sizeof(msg));
	SF_TEST_ASSERT(memcmp(r.d->in, msg, sizeof(msg)) == 0);
	vrig_down(&r);
}

static void *wakeup_thread(void *arg)
{
	sf_vmc_wakeup(arg);
	return NULL;
}

/* QEMU calls wakeup on its vCPU thread each time the guest reads its UART:
 * the guest's output is read there and then (QEMU offers it only during the
 * call), but the refill of the device waits for the loop, so the guest can
 * drain its FIFO between refills instead of taking in a whole burst. */
SF_TEST(vmc_wakeup_off_the_loop_reads_at_once_and_writes_on_the_loop)
{
	struct vrig r = {0};
	uint8_t msg[100], body[64];
	uint32_t size;
	pthread_t th;

	SF_TEST_ASSERT(vrig_up(&r, SPICE_CHANNEL_USBREDIR, false));
	memset(msg, 0x5a, sizeof(msg));
	r.d->write_limit = 0;
	SF_TEST_ASSERT(send_msg(r.fd, SPICE_MSGC_SPICEVMC_DATA, msg, sizeof(msg)));
	pump_loop(r.loop, 5);
	SF_TEST_ASSERT(r.d->in_len == 0);
	r.d->write_limit = 1 << 20;
	memcpy(r.d->out, "guest says", 10);
	r.d->out_len = 10;
	SF_TEST_ASSERT(pthread_create(&th, NULL, wakeup_thread, r.v) == 0);
	pthread_join(th, NULL);
	SF_TEST_ASSERT(r.d->out_pos == 10 && r.d->in_len == 0);
	pump_loop(r.loop, 2);
	SF_TEST_ASSERT(r.d->in_len == sizeof(msg));
	SF_TEST_ASSERT(recv_msg(r.loop, r.fd, body, sizeof(body), &size, 300) ==
		       SPICE_MSG_SPICEVMC_DATA);
	SF_TEST_ASSERT(size == 10 && memcmp(body, "guest says", 10) == 0);
	vrig_down(&r);
}

SF_TEST(vmc_port_init_events_and_one_client_only)
{
	struct vrig r = {0};
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_PORT, .mini_header = true};
	uint8_t body[256], ev = SPICE_PORT_EVENT_BREAK;
	uint32_t size;
	int sv[2];

	SF_TEST_ASSERT(vrig_up(&r, SPICE_CHANNEL_PORT, false));
	SF_TEST_ASSERT(recv_msg(r.loop, r.fd, body, sizeof(body), &size, 200) ==
		       SPICE_MSG_PORT_INIT);
	SF_TEST_ASSERT(size == 9 + 14 && sf_get_le32(body) == 14 && sf_get_le32(body + 4) == 9);
	SF_TEST_ASSERT(body[8] == 0 && strcmp((char *)body + 9, "org.test.port") == 0);
	sf_vmc_port_event(r.v, SPICE_PORT_EVENT_OPENED);
	SF_TEST_ASSERT(recv_msg(r.loop, r.fd, body, sizeof(body), &size, 200) ==
		       SPICE_MSG_PORT_EVENT);
	SF_TEST_ASSERT(size == 1 && body[0] == SPICE_PORT_EVENT_OPENED);
	SF_TEST_ASSERT(send_msg(r.fd, SPICE_MSGC_PORT_EVENT, &ev, 1));
	pump_loop(r.loop, 5);
	SF_TEST_ASSERT(r.d->events == 1 && r.d->last_event == SPICE_PORT_EVENT_BREAK);
	/* a second client is refused while the first is attached */
	SF_TEST_ASSERT(sf_vmc_busy(r.v));
	SF_TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	SF_TEST_ASSERT(sf_vmc_attach(r.v, sv[1], &info) == NULL);
	close(sv[0]);
	/* an unknown message disconnects the client; the device sees it leave */
	SF_TEST_ASSERT(send_msg(r.fd, 999, NULL, 0));
	pump_loop(r.loop, 5);
	SF_TEST_ASSERT(!sf_vmc_busy(r.v) && r.d->state == 0);
	vrig_down(&r);
}

SF_TEST(vmc_drops_guest_output_with_no_client)
{
	struct sf_loop *loop = sf_loop_create();
	struct dev *d = calloc(1, sizeof(*d));
	struct sf_vmc *v = sf_vmc_create(loop, SPICE_CHANNEL_PORT, 0, "p", &dev_ops, d);
	struct sf_vmc_stats st;

	SF_TEST_ASSERT(v);
	d->out_len = 100000;
	sf_vmc_set_running(v, false);
	sf_vmc_wakeup(v);
	SF_TEST_ASSERT(d->out_pos == 0); /* stopped VM: untouched */
	sf_vmc_set_running(v, true);
	SF_TEST_ASSERT(d->out_pos == 100000);
	sf_vmc_stats(v, &st);
	SF_TEST_ASSERT(st.dropped == 100000);
	sf_vmc_destroy(v);
	sf_loop_destroy(loop);
	free(d);
}
