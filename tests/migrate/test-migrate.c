/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/migrate/test-migrate.c: the MIGRATE_DATA format (round trips, and
 * every kind of damage refused), and a char device channel migrating
 * seamlessly between two servers over real sockets: the flush mark, the
 * data, and the bytes the source's stopped device had not taken reaching
 * the target's device first. */
#include <spice/enums.h>
#include <spice/protocol.h>
#include "tests/channels/vmc-rig.h"
#include "migrate/data.h"
#include "tests/unit.h"

static struct sf_buf *sample_main(void)
{
	struct sf_mig_main m = {.mouse_mode = SPICE_MOUSE_MODE_CLIENT, .mm_time = 123456};
	struct sf_wbuf w;

	sf_migdata_begin(&w, SPICE_CHANNEL_MAIN);
	sf_mig_main_save(&w, &m);
	return sf_migdata_finish(&w);
}

static int load_main(const uint8_t *p, uint32_t n, struct sf_mig_main *m)
{
	struct sf_rbuf r;
	int err;

	if ((err = sf_migdata_open(&r, p, n, SPICE_CHANNEL_MAIN)) < 0 ||
	    (err = sf_mig_main_load(&r, m)) < 0)
		return err;
	return sf_migdata_end(&r);
}

static int load_display(const struct sf_buf *b, uint32_t size, struct sf_mig_display *d)
{
	struct sf_rbuf r;
	int err;

	if ((err = sf_migdata_open(&r, b->data, size, SPICE_CHANNEL_DISPLAY)) < 0 ||
	    (err = sf_mig_display_load(&r, d)) < 0)
		return err;
	return sf_migdata_end(&r);
}

static struct sf_buf *display_record(const struct sf_mig_display *d, unsigned extra)
{
	struct sf_wbuf w;

	sf_migdata_begin(&w, SPICE_CHANNEL_DISPLAY);
	sf_mig_display_save(&w, d);
	for (unsigned i = 0; i < extra; i++)
		sf_wbuf_u8(&w, 0);
	return sf_migdata_finish(&w);
}

SF_TEST(migdata_round_trips)
{
	struct sf_buf *b = sample_main();
	struct sf_mig_main m;
	struct sf_mig_display d = {.preferred = SPICE_IMAGE_COMPRESSION_LZ, .stream_id = 7}, d2;
	struct sf_mig_vmc v = {.data = (const uint8_t *)"hello", .len = 5}, v2;
	struct sf_wbuf w;
	struct sf_rbuf r;

	SF_TEST_ASSERT(b && load_main(b->data, b->size, &m) == 0);
	SF_TEST_ASSERT(m.mouse_mode == SPICE_MOUSE_MODE_CLIENT && m.mm_time == 123456 && !m.agent);
	sf_buf_unref(b);

	b = display_record(&d, 0);
	SF_TEST_ASSERT(b && load_display(b, b->size, &d2) == 0);
	SF_TEST_ASSERT(d2.preferred == d.preferred && d2.stream_id == 7);
	sf_buf_unref(b);

	sf_migdata_begin(&w, SPICE_CHANNEL_PORT);
	sf_mig_vmc_save(&w, &v);
	b = sf_migdata_finish(&w);
	SF_TEST_ASSERT(sf_migdata_open(&r, b->data, b->size, SPICE_CHANNEL_PORT) == 0);
	SF_TEST_ASSERT(sf_mig_vmc_load(&r, &v2) == 0 && sf_migdata_end(&r) == 0);
	SF_TEST_ASSERT(v2.len == 5 && memcmp(v2.data, "hello", 5) == 0);
	sf_buf_unref(b);
}

/* The display record's GLZ part is optional (older sources end before it):
 * the envelope's length says which, and nothing in between is taken. */
SF_TEST(migdata_display_glz_state_is_optional_and_checked)
{
	struct sf_mig_display d = {.preferred = -1,
				   .glz = true,
				   .glz_next = 0x123456789ull,
				   .glz_window = 1u << 22},
			      d2;
	struct sf_buf *b = display_record(&d, 0);

	SF_TEST_ASSERT(b && load_display(b, b->size, &d2) == 0);
	SF_TEST_ASSERT(d2.glz && d2.glz_next == 0x123456789ull && d2.glz_window == 1u << 22);
	sf_buf_unref(b);
	/* as an older source writes it */
	d.glz = false;
	b = display_record(&d, 0);
	SF_TEST_ASSERT(b && load_display(b, b->size, &d2) == 0 && !d2.glz && d2.glz_next == 0);
	sf_buf_unref(b);
	/* neither: a part cut short or one byte too many */
	for (unsigned extra = 1; extra < 12 + 2; extra++) {
		if (extra == 12)
			continue;
		b = display_record(&d, extra);
		SF_TEST_ASSERT(b && load_display(b, b->size, &d2) < 0);
		sf_buf_unref(b);
	}
	/* an id no dictionary reaches */
	d.glz = true;
	d.glz_next = SF_MIG_GLZ_ID_MAX;
	b = display_record(&d, 0);
	SF_TEST_ASSERT(b && load_display(b, b->size, &d2) < 0);
	sf_buf_unref(b);
}

SF_TEST(migdata_refuses_damage)
{
	struct sf_buf *b = sample_main();
	uint8_t p[64];
	uint32_t n = b->size;
	struct sf_mig_main m;
	struct sf_mig_display d;
	struct sf_rbuf r;

	SF_TEST_ASSERT(n < sizeof(p));
	memcpy(p, b->data, n);
	sf_buf_unref(b);
	/* every truncation */
	for (uint32_t cut = 0; cut < n; cut++)
		SF_TEST_ASSERT(load_main(p, cut, &m) < 0);
	/* every single-bit flip in the envelope */
	for (uint32_t bit = 0; bit < 12 * 8; bit++) {
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		SF_TEST_ASSERT(load_main(p, n, &m) < 0);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	SF_TEST_ASSERT(load_main(p, n, &m) == 0);
	/* a newer version, a wrong channel, trailing bytes, a bad mouse mode */
	p[4] = SF_MIGDATA_VERSION + 1;
	SF_TEST_ASSERT(load_main(p, n, &m) == -EPROTONOSUPPORT);
	p[4] = SF_MIGDATA_VERSION;
	SF_TEST_ASSERT(sf_migdata_open(&r, p, n, SPICE_CHANNEL_INPUTS) < 0);
	p[n] = 0;
	SF_TEST_ASSERT(load_main(p, n + 1, &m) < 0);
	p[12] = 7; /* mouse mode */
	SF_TEST_ASSERT(load_main(p, n, &m) < 0);
	/* a display record with an unknown compression */
	{
		struct sf_wbuf w;
		struct sf_mig_display bad = {.preferred = 99};
		sf_migdata_begin(&w, SPICE_CHANNEL_DISPLAY);
		sf_mig_display_save(&w, &bad);
		b = sf_migdata_finish(&w);
		SF_TEST_ASSERT(sf_migdata_open(&r, b->data, b->size, SPICE_CHANNEL_DISPLAY) == 0);
		SF_TEST_ASSERT(sf_mig_display_load(&r, &d) < 0);
		sf_buf_unref(b);
	}
	/* a char device record claiming more than the limit */
	{
		uint8_t v[12 + 4];
		struct sf_mig_vmc mv;
		memcpy(v, p, 12);
		v[6] = SPICE_CHANNEL_PORT;
		sf_put_le32(v + 8, 4);
		sf_put_le32(v + 12, SF_MIGDATA_VMC_MAX + 1);
		SF_TEST_ASSERT(sf_migdata_open(&r, v, sizeof(v), SPICE_CHANNEL_PORT) == 0);
		SF_TEST_ASSERT(sf_mig_vmc_load(&r, &mv) < 0);
	}
}

/* The client's side of the source: MIGRATE, then MIGRATE_DATA after our
 * flush mark. Returns the data's size in @body, or 0. */
static uint32_t source_switch(struct vrig *src, uint8_t *body, uint32_t cap)
{
	uint32_t size = 0;
	int t;

	sf_chan_migrate(src->chan);
	do /* skip PORT_INIT and whatever came before */
		t = recv_msg(src->loop, src->fd, body, cap, &size, 500);
	while (t > 0 && t != SPICE_MSG_MIGRATE);
	if (t != SPICE_MSG_MIGRATE || size != 4 ||
	    sf_get_le32(body) != (SPICE_MIGRATE_NEED_FLUSH | SPICE_MIGRATE_NEED_DATA_TRANSFER))
		return 0;
	if (!send_msg(src->fd, SPICE_MSGC_MIGRATE_FLUSH_MARK, NULL, 0))
		return 0;
	t = recv_msg(src->loop, src->fd, body, cap, &size, 500);
	return t == SPICE_MSG_MIGRATE_DATA ? size : 0;
}

SF_TEST(port_migrates_seamlessly_with_its_unwritten_bytes)
{
	struct vrig src = {0}, dst = {0};
	static uint8_t msg[3000], body[65536];
	uint32_t size;
	size_t bad = 0;

	SF_TEST_ASSERT(vrig_up(&src, SPICE_CHANNEL_PORT, false));
	/* the VM stops: what the client sends waits for the device */
	sf_vmc_set_running(src.v, false);
	for (uint32_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	SF_TEST_ASSERT(send_msg(src.fd, SPICE_MSGC_SPICEVMC_DATA, msg, sizeof(msg)));
	pump_loop(src.loop, 5);
	SF_TEST_ASSERT(src.d->in_len == 0);
	size = source_switch(&src, body, sizeof(body));
	SF_TEST_ASSERT(size > sizeof(msg));

	/* the target holds its start until the data comes; the device hears of
	 * the client at once */
	SF_TEST_ASSERT(vrig_up(&dst, SPICE_CHANNEL_PORT, true));
	SF_TEST_ASSERT(dst.d->state == 1);
	SF_TEST_ASSERT(send_msg(dst.fd, SPICE_MSGC_MIGRATE_DATA, body, size));
	SF_TEST_ASSERT(send_msg(dst.fd, SPICE_MSGC_SPICEVMC_DATA, "tail", 4));
	for (int i = 0; i < 200 && dst.d->in_len < sizeof(msg) + 4; i++)
		pump_loop(dst.loop, 1);
	SF_TEST_ASSERT(dst.d->in_len == sizeof(msg) + 4);
	for (uint32_t i = 0; i < sizeof(msg); i++)
		bad += dst.d->in[i] != msg[i];
	SF_TEST_ASSERT(bad == 0 && memcmp(dst.d->in + sizeof(msg), "tail", 4) == 0);
	/* the target's channel runs after the data; the client knows the port
	 * already, so it gets the guest's side only */
	SF_TEST_ASSERT(recv_msg(dst.loop, dst.fd, body, sizeof(body), &size, 500) ==
		       SPICE_MSG_PORT_EVENT);
	vrig_down(&src);
	vrig_down(&dst);
}

SF_TEST(damaged_migrate_data_disconnects_only_that_client)
{
	struct vrig src = {0}, dst = {0};
	static uint8_t body[65536];
	uint32_t size;

	SF_TEST_ASSERT(vrig_up(&src, SPICE_CHANNEL_PORT, false));
	SF_TEST_ASSERT(send_msg(src.fd, SPICE_MSGC_SPICEVMC_DATA, "abc", 3));
	pump_loop(src.loop, 5);
	size = source_switch(&src, body, sizeof(body));
	SF_TEST_ASSERT(size > 0);
	SF_TEST_ASSERT(vrig_up(&dst, SPICE_CHANNEL_PORT, true));
	body[size - 1] ^= 1;	      /* still well-formed bytes */
	sf_put_le32(body + 12, 1000); /* but the length lies */
	SF_TEST_ASSERT(send_msg(dst.fd, SPICE_MSGC_MIGRATE_DATA, body, size));
	SF_TEST_ASSERT(recv_msg(dst.loop, dst.fd, body, sizeof(body), &size, 500) <= 0);
	SF_TEST_ASSERT(dst.d->in_len == 0);
	/* the device is free for the next client */
	pump_loop(dst.loop, 3);
	SF_TEST_ASSERT(!sf_vmc_busy(dst.v));
	vrig_down(&src);
	vrig_down(&dst);
}
