/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-display.c: the producer end to end over a socketpair
 * (the rig in display-rig.h: a fake guest source, a sender loop, and a
 * client model that applies the received draws). Checks invalid commands are
 * rejected without harm, that a client that stops reading is dropped from
 * fan-out, then resynced to the exact server picture, and the codecs,
 * streams, GLZ cohort, blends and pacing each client sees. */
#include "tests/channels/display-rig.h"
#include "tests/unit.h"

SF_TEST(display_new_client_gets_surface_snapshot_then_updates)
{
	struct rig r = {0};

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 300);
	SF_TEST_ASSERT(r.m->created && r.m->copies == 1);
	/* the default setting sends drawn content as LZ, decoded here */
	SF_TEST_ASSERT(r.m->lz == 1 && r.m->bad_images == 0);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	for (int i = 0; i < 200; i++)
		fill(&r.src, r.d, i % W, i % H, i % W + 1, i % H + 1, 0x010101u * (uint32_t)i);
	sf_display_flush(r.d);
	pump(r.m, 300);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	rig_down(&r);
}

SF_TEST(display_rejects_bad_commands_and_keeps_going)
{
	struct rig r = {0};
	struct sf_display_stats st;
	struct sf_image *img = sf_image_new(4, 4, SPICE_BITMAP_FMT_32BIT);

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	fill(&r.src, r.d, -1, 0, 4, 4, 1);    /* negative */
	fill(&r.src, r.d, 0, 0, W + 1, 4, 1); /* past the edge */
	fill(&r.src, r.d, 5, 5, 5, 9, 1);     /* empty */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_FILL,
			       .surface_id = 5000,
			       .rect = {0, 0, 1, 1}}); /* no such surface */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_COPY,
			       .rect = {0, 0, 8, 8},
			       .image = img}); /* source too small */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_COPY_BITS,
			       .rect = {0, 0, 8, 8},
			       .src_x = W - 4,
			       .src_y = 0}); /* source outside */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_SURFACE_CREATE,
			       .width = 100000,
			       .height = 2,
			       .surface_id = 3});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_SURFACE_CREATE, .width = 8, .height = 8});
	submit(&r.src, r.d, (struct sf_cmd){.type = 77});
	fill(&r.src, r.d, 1, 1, 3, 3, 0xffffff); /* still processed afterwards */
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	SF_TEST_ASSERT(st.rejected == 9);
	pump(r.m, 300);
	SF_TEST_ASSERT(model_matches(r.m, r.d) && r.m->fb[2][2] == 0xffffff);
	rig_down(&r);
}

SF_TEST(display_stalled_client_is_dropped_then_resynced)
{
	struct rig r = {0};
	struct sf_display_stats st;

	SF_TEST_ASSERT(rig_up(&r, 4096));
	pump(r.m, 200);
	/* the client does not read: way past the ack window and the backlog */
	for (int i = 0; i < 3000; i++)
		fill(&r.src, r.d, (i * 7) % (W - 4), (i * 3) % (H - 4), (i * 7) % (W - 4) + 4,
		     (i * 3) % (H - 4) + 4, 0x000100u * (uint32_t)i);
	sf_display_flush(r.d);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	/* bounded: far fewer messages queued than commands processed */
	SF_TEST_ASSERT(st.messages < 1000);
	pump(r.m, 500);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.resyncs >= 1);
	SF_TEST_ASSERT(r.m->copies >= 2);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	rig_down(&r);
}

SF_TEST(display_superseded_draws_are_dropped_from_lagging_pipes)
{
	struct rig r = {0};
	struct sf_display_stats st;

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 200);
	/* the client neither reads nor acks: after the ack window the rest
	 * queue, and each full-surface fill supersedes the one before */
	for (int i = 0; i < 1000; i++)
		fill(&r.src, r.d, 0, 0, W, H, 0x010203u * (uint32_t)i);
	fill(&r.src, r.d, 5, 5, 9, 9, 0xabcdef); /* partial: must not hide the last full one */
	sf_display_flush(r.d);
	pump(r.m, 500);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	SF_TEST_ASSERT(st.obsoleted >= 900 && st.resyncs == 0);
	SF_TEST_ASSERT(r.m->fills < 300); /* ~ two ack windows, not 1001 */
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	SF_TEST_ASSERT(r.m->fb[6][6] == 0xabcdef &&
		       (r.m->fb[0][0] & 0xffffff) == ((0x010203u * 999) & 0xffffff));
	rig_down(&r);
}

SF_TEST(display_draws_every_pipe_has_sent_are_let_go)
{
	struct rig r = {0};
	struct sf_display_stats st;

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 200);
	for (int i = 0; i < 100; i++) { /* the client keeps up */
		fill(&r.src, r.d, i % (W - 8), 0, i % (W - 8) + 8, 8, 0x010101u * (uint32_t)i);
		sf_display_flush(r.d);
		pump(r.m, 5);
	}
	pump(r.m, 200);
	fill(&r.src, r.d, 0, 20, 4, 24, 0xff); /* the next draw lets the sent ones go */
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	SF_TEST_ASSERT(st.held_draws <= 2);
	/* a client that reads nothing: its queued draws stay obsoletable */
	for (int i = 0; i < 400; i++) /* apart: none covers another */
		fill(&r.src, r.d, i % 40, 40 + i / 40, i % 40 + 1, 41 + i / 40, (uint32_t)i);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	SF_TEST_ASSERT(st.held_draws >= 90);
	pump(r.m, 500);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	rig_down(&r);
}

/* 300 one-pixel fills at (@x, @y): they fill the client's ack window, so
 * the draws after them queue unsent in its pipe. */
static void queue_behind(struct rig *r, int x, int y)
{
	for (int i = 0; i < 300; i++)
		fill(&r->src, r->d, x, y, x + 1, y + 1, (uint32_t)i);
}

SF_TEST(display_copy_bits_pins_earlier_draws)
{
	struct rig r = {0};

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 200);
	queue_behind(&r, 40, 40);
	fill(&r.src, r.d, 0, 0, 8, 8, 0x00ff00);
	/* reads the green square, then a fill covers where it came from */
	submit(&r.src, r.d,
	       (struct sf_cmd){
		       .type = SF_CMD_COPY_BITS, .rect = {20, 20, 28, 28}, .src_x = 0, .src_y = 0});
	fill(&r.src, r.d, 0, 0, 16, 16, 0x0000ff);
	sf_display_flush(r.d);
	pump(r.m, 500);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	SF_TEST_ASSERT((r.m->fb[24][24] & 0xffffff) == 0x00ff00);
	rig_down(&r);
}

static void guest_monitors(struct sf_display *d, void *arg)
{
	struct sf_head h[2] = {{.id = 0, .width = 32, .height = 48},
			       {.id = 1, .x = 32, .width = 32, .height = 48}};
	(void)arg;
	sf_display_set_monitors(d, h, 2, 4);
}

SF_TEST(display_monitors_config_and_client_caps_reach_both_sides)
{
	struct rig r = {0};

	rig_caps = 1u << SPICE_DISPLAY_CAP_MONITORS_CONFIG | 1u << SPICE_DISPLAY_CAP_COMPOSITE;
	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 300);
	/* before the guest says anything, the primary surface is the monitor */
	SF_TEST_ASSERT(r.m->monitors == 1 && r.m->head_w == W && r.m->head_h == H);
	SF_TEST_ASSERT(sf_display_call(r.d, guest_monitors, NULL) == 0);
	pump(r.m, 300);
	SF_TEST_ASSERT(r.m->monitors == 2 && r.m->head_w == 32);
	/* the guest heard a client with exactly these of the caps it cares about */
	pthread_mutex_lock(&r.src.m);
	SF_TEST_ASSERT(r.src.caps_calls >= 1 && r.src.caps_present);
	SF_TEST_ASSERT(r.src.caps == rig_caps);
	pthread_mutex_unlock(&r.src.m);
	rig_down(&r);
	rig_caps = 0;
}

/* A photo-like 128x96 frame number @n. */
static struct sf_image *video_frame(unsigned n, uint32_t *expect)
{
	struct sf_image *img = sf_image_new(128, 96, SPICE_BITMAP_FMT_32BIT);

	for (uint32_t y = 0; img && y < 96; y++)
		for (uint32_t x = 0; x < 128; x++) {
			/* smooth fields, as in photographs */
			uint32_t red = (uint32_t)(127 + 120 * sin((x + n * 3) / 20.0));
			uint32_t green = (uint32_t)(127 + 120 * cos((y + n) / 15.0));
			uint32_t blue = (uint32_t)(127 + 120 * sin((x + y + n * 5) / 30.0));
			uint32_t v = red << 16 | green << 8 | blue;
			((uint32_t *)sf_image_row(img, y))[x] = v;
			expect[y * 128 + x] = v;
		}
	return img;
}

/* Frame @n of the test video, drawn where the tests expect it (128 x 96 at
 * 10, 10); @expect gets its pixels. */
static const struct sf_rect video_rect = {10, 10, 138, 106};

static void copy_video(struct rig *r, unsigned n, uint32_t *expect)
{
	submit(&r->src, r->d,
	       (struct sf_cmd){
		       .type = SF_CMD_COPY, .rect = video_rect, .image = video_frame(n, expect)});
}

/* 30 video frames, then a draw over part of them, which ends the stream. */
static void video_then_cover(struct rig *r)
{
	pump(r->m, 100);
	for (unsigned n = 0; n < 30; n++) {
		copy_video(r, n, r->m->expect);
		sf_display_flush(r->d);
		pump(r->m, 20);
	}
	SF_TEST_ASSERT(r->m->stream_creates == 1 && r->m->stream_frames >= 15);
	/* quality 70 on photo-like content: measured 40.8 dB here, stated >= 30 */
	SF_TEST_ASSERT(r->m->bad_images == 0 && r->m->last_psnr > 30.0);
	fill(&r->src, r->d, 100, 50, 150, 60, 0x00ff00);
	sf_display_flush(r->d);
	pump(r->m, 200);
}

SF_TEST(display_video_becomes_an_mjpeg_stream_and_ends_lossless)
{
	struct rig r = {0};
	struct sf_display_stats st;

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	video_then_cover(&r);
	/* the client gets the exact pixels back */
	SF_TEST_ASSERT(r.m->stream_destroys == 1 && model_matches(r.m, r.d));
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.streams == 1);
	/* the AUTO setting sent the photo-like frames before the stream and the
	 * lossless repair as QUIC */
	SF_TEST_ASSERT(r.m->quic >= 1 && st.images[SF_CODEC_QUIC] == r.m->quic);
	rig_down(&r);
}

/* The repair after a stream is lossless whatever the WAN setting, as
 * spice-server's upgrade: JPEG under "always" would leave the stream's
 * blur on screen for good. */
SF_TEST(display_stream_end_repair_is_lossless_under_jpeg_always)
{
	struct rig r = {0};

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	sf_display_set_jpeg(r.d, SF_WAN_ALWAYS);
	video_then_cover(&r);
	SF_TEST_ASSERT(r.m->stream_destroys == 1 && model_matches(r.m, r.d));
	SF_TEST_ASSERT(r.m->quic >= 1);
	rig_down(&r);
}

/* A send stage on a stretched tick (64 ms, as with 52 or more clients on
 * its loop) holds up to two 30 fps frames: the client still gets every
 * frame at the top tier, since a frame is obsoleted only once two newer
 * ones exist and only two frames waiting count as falling behind. */
SF_TEST(display_stream_on_a_64_ms_tick_keeps_every_frame)
{
	struct rig r = {0};
	struct sf_display_stats st;
	unsigned n = 0, before = 0;

	rig_tick = 64;
	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 150);
	for (uint64_t next = sf_clock_now_ns(); n < 90; n++) { /* 30 fps for 3 s */
		if (n == 30)
			before = r.m->stream_frames;
		copy_video(&r, n, r.m->expect);
		sf_display_flush(r.d);
		next += 33333333;
		while (sf_clock_now_ns() < next) /* read what comes meanwhile */
			pump(r.m, 1);
	}
	pump(r.m, 200);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	SF_TEST_ASSERT(r.m->stream_creates == 1 && r.m->stream_destroys == 0);
	SF_TEST_ASSERT(r.m->bad_images == 0 && r.m->last_psnr > 35.0);
	SF_TEST_ASSERT(st.stream_tier_moves == 0);
	/* 60 here; the old rule (obsolete at the next frame, behind at one
	 * waiting) delivered 31. A little slack for a loaded machine's
	 * scheduling bunching three frames into a tick. */
	SF_TEST_ASSERT(r.m->stream_frames - before >= 55);
	rig_down(&r);
	rig_tick = 0;
}

/* Another client of the rig's display, with its own model. */
static struct sf_chan *extra_client(struct rig *r, struct model **m)
{
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_DISPLAY,
				    .mini_header = true,
				    .num_channel_caps = 1,
				    .channel_caps = {rig_caps}};
	int sv[2];

	if (!(*m = calloc(1, sizeof(**m))) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	(*m)->fd = sv[0];
	return sf_display_attach(r->d, r->sender, sv[1], &info);
}

static void extra_close(struct sf_chan *ch, struct model *m)
{
	sf_chan_close(ch);
	sf_chan_unref(ch);
	close(m->fd);
	sf_glz_window_free(m->glz_win);
	free(m);
}

/* Drawn (not photographic) content: AUTO sends it as GLZ to the cohort.
 * Noisy: about 9 KB each even with the dictionary. */
static void copy_ui(struct rig *r, int i, bool noisy)
{
	struct sf_image *img = sf_image_new(64, 48, SPICE_BITMAP_FMT_32BIT);

	for (uint32_t y = 0; img && y < 48; y++)
		for (uint32_t x = 0; x < 64; x++)
			((uint32_t *)sf_image_row(img, y))[x] =
				noisy			       ? (uint32_t)rand()
				: (x % 16 == 0 || y % 12 == 0) ? 0x404040u
							       : 0xe0e0e0u + (uint32_t)(i % 3);
	int x = (i * 37) % (W - 64), y = (i * 23) % (H - 48);
	submit(&r->src, r->d,
	       (struct sf_cmd){.type = SF_CMD_COPY, .rect = {x, y, x + 64, y + 48}, .image = img});
}

SF_TEST(display_glz_cohort_joins_empty_and_leaves_when_it_misses_an_image)
{
	struct rig r = {0};
	struct model *b, *c;
	struct sf_chan *cb, *cc;
	struct sf_display_stats st;

	SF_TEST_ASSERT(rig_up(&r, 256 << 10));
	cb = extra_client(&r, &b);
	SF_TEST_ASSERT(cb);
	pump(r.m, 200);
	pump(b, 200);
	/* snapshots stay LZ, so the dictionary is still empty: both joined */
	SF_TEST_ASSERT(r.m->lz == 1 && b->lz == 1);
	for (int i = 0; i < 20; i++)
		copy_ui(&r, i, false);
	sf_display_flush(r.d);
	pump(r.m, 200);
	pump(b, 200);
	SF_TEST_ASSERT(r.m->glz == 20 && b->glz == 20);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.images[SF_CODEC_GLZ] == 20);
	/* a late client cannot join a dictionary that has images: LZ for it */
	cc = extra_client(&r, &c);
	SF_TEST_ASSERT(cc);
	pump(c, 200);
	for (int i = 20; i < 25; i++)
		copy_ui(&r, i, false);
	sf_display_flush(r.d);
	pump(r.m, 200);
	pump(b, 200);
	pump(c, 200);
	SF_TEST_ASSERT(r.m->glz == 25 && b->glz == 25 && c->glz == 0 && c->lz == 1 + 5);
	/* b stops reading past its backlog: it misses GLZ images, so it leaves
	 * the cohort; after its resync it gets LZ, and every picture is right */
	for (int i = 25; i < 400; i++) {
		copy_ui(&r, i, true);
		if (i % 2 == 0) {
			sf_display_flush(r.d);
			pump(r.m, 5);
			pump(c, 5);
		}
	}
	sf_display_flush(r.d);
	pump(r.m, 200);
	pump(b, 300);
	pump(c, 200);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.resyncs >= 1);
	unsigned b_glz = b->glz;
	SF_TEST_ASSERT(b_glz > 25 && b_glz < 400);
	for (int i = 400; i < 410; i++)
		copy_ui(&r, i, false);
	sf_display_flush(r.d);
	pump(r.m, 200);
	pump(b, 200);
	pump(c, 200);
	SF_TEST_ASSERT(r.m->glz == 410 && b->glz == b_glz && c->glz == 0);
	SF_TEST_ASSERT(r.m->bad_images == 0 && b->bad_images == 0 && c->bad_images == 0);
	SF_TEST_ASSERT(model_matches(r.m, r.d) && model_matches(b, r.d) && model_matches(c, r.d));
	/* each GLZ image was encoded once, whatever the number of members */
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.images[SF_CODEC_GLZ] == 410);
	extra_close(cb, b);
	extra_close(cc, c);
	rig_down(&r);
}

/* PSNR of the client's picture against the server's over @r. */
static double area_psnr(struct model *m, struct sf_display *d, const struct sf_rect *r)
{
	struct sf_image *img = sf_display_read_pixels(d, 0);
	double se = 0;

	for (int y = r->top; img && y < r->bottom; y++)
		for (int x = r->left; x < r->right; x++)
			for (int k = 0; k < 24; k += 8) {
				uint32_t a = ((uint32_t *)sf_image_row(img, (uint32_t)y))[x];
				double e = (double)((a >> k) & 0xff) - ((m->fb[y][x] >> k) & 0xff);
				se += e * e;
			}
	if (img)
		sf_image_unref(img);
	return 10 * log10(255.0 * 255.0 * 3 * sf_rect_w(r) * sf_rect_h(r) / (se + 1e-9));
}

SF_TEST(display_wan_setting_sends_photos_as_jpeg_to_low_bandwidth_clients)
{
	struct rig r = {0};
	const struct sf_rect *a = &video_rect;
	uint32_t scratch[128 * 96];

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 100);
	/* AUTO (the default) on a fast link: lossless QUIC */
	copy_video(&r, 0, scratch);
	sf_display_flush(r.d);
	pump(r.m, 100);
	SF_TEST_ASSERT(r.m->quic == 1 && r.m->jpeg == 0 && model_matches(r.m, r.d));
	/* the session's net test says low bandwidth: JPEG for photos */
	sf_display_set_low_bandwidth(r.d, 0, true);
	copy_video(&r, 7, scratch);
	fill(&r.src, r.d, 0, 108, 40, 118, 0x123456); /* not an image: exact */
	sf_display_flush(r.d);
	pump(r.m, 100);
	SF_TEST_ASSERT(r.m->jpeg == 1 && r.m->bad_images == 0);
	/* quality 85 on photo-like content: measured 44.6 dB here, stated >= 35 */
	SF_TEST_ASSERT(area_psnr(r.m, r.d, a) >= 35.0 && area_psnr(r.m, r.d, a) < 90.0);
	SF_TEST_ASSERT((r.m->fb[112][20] & 0xffffff) == 0x123456);
	/* NEVER overrides the bandwidth; ALWAYS needs none */
	sf_display_set_jpeg(r.d, SF_WAN_NEVER);
	copy_video(&r, 9, scratch);
	sf_display_flush(r.d);
	pump(r.m, 100);
	SF_TEST_ASSERT(r.m->jpeg == 1 && model_matches(r.m, r.d));
	sf_display_set_low_bandwidth(r.d, 0, false);
	sf_display_set_jpeg(r.d, SF_WAN_ALWAYS);
	copy_video(&r, 11, scratch);
	sf_display_flush(r.d);
	pump(r.m, 100);
	SF_TEST_ASSERT(r.m->jpeg == 2 && area_psnr(r.m, r.d, a) >= 35.0);
	rig_down(&r);
}

/* Frame @n to the rig's client, which reads it, and to @b if it reads too
 * (NULL: it does not). */
static void video_step(struct rig *r, unsigned n, struct model *b)
{
	copy_video(r, n, r->m->expect);
	sf_display_flush(r->d);
	pump(r->m, 10);
	if (b) {
		memcpy(b->expect, r->m->expect, sizeof(b->expect));
		pump(b, 10);
	}
}

SF_TEST(display_video_tiers_follow_each_client_and_encode_once_per_tier)
{
	struct rig r = {0};
	struct model *b;
	struct sf_chan *cb;
	struct sf_display_stats st;
	unsigned n = 0;

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	cb = extra_client(&r, &b);
	SF_TEST_ASSERT(cb);
	pump(r.m, 100);
	pump(b, 100);
	/* both keep up: one encoding a frame, at the top tier */
	for (; n < 20; n++)
		video_step(&r, n, b);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.streams == 1);
	SF_TEST_ASSERT(st.stream_tier_frames[0] == st.stream_frames && st.stream_tier_moves == 0);
	/* b stops acking and reading: once its ack window is used up it goes
	 * down the tiers, a stays on top */
	for (; n < 140; n++)
		video_step(&r, n, NULL);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	SF_TEST_ASSERT(st.stream_tier_frames[SF_STREAM_TIERS - 1] > 0);
	SF_TEST_ASSERT(st.stream_tier_moves == SF_STREAM_TIERS - 1);
	SF_TEST_ASSERT(r.m->last_psnr > 35.0 && r.m->bad_images == 0);
	/* b reads again: it climbs back, the lowest tier's frames stop */
	for (; n < 300; n++)
		video_step(&r, n, b);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0);
	SF_TEST_ASSERT(st.stream_tier_moves == 2 * (SF_STREAM_TIERS - 1));
	SF_TEST_ASSERT(b->bad_images == 0 && b->last_psnr > 35.0 && r.m->last_psnr > 35.0);
	extra_close(cb, b);
	rig_down(&r);
}

SF_TEST(display_glz_dictionary_starts_over_for_the_next_client_once_all_left)
{
	struct rig r = {0};
	struct model *b;
	struct sf_chan *cb;
	struct sf_display_stats st;

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 100);
	for (int i = 0; i < 5; i++)
		copy_ui(&r, i, false);
	sf_display_flush(r.d);
	pump(r.m, 100);
	SF_TEST_ASSERT(r.m->glz == 5 && r.m->bad_images == 0);
	/* the only member leaves: the next client finds an empty dictionary
	 * and its window starts at id 0 (the model's decoder insists) */
	sf_chan_close(r.chan);
	pump(r.m, 100);
	cb = extra_client(&r, &b);
	SF_TEST_ASSERT(cb);
	pump(b, 100);
	for (int i = 5; i < 10; i++)
		copy_ui(&r, i, false);
	sf_display_flush(r.d);
	pump(b, 100);
	SF_TEST_ASSERT(b->glz == 5 && b->lz == 1 && b->bad_images == 0 && model_matches(b, r.d));
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.images[SF_CODEC_GLZ] == 10);
	extra_close(cb, b);
	rig_down(&r);
}

SF_TEST(display_resync_after_jpeg_is_lossless)
{
	struct rig r = {0};
	struct sf_display_stats st;
	uint32_t scratch[128 * 96];

	SF_TEST_ASSERT(rig_up(&r, 4096));
	pump(r.m, 100);
	sf_display_set_jpeg(r.d, SF_WAN_ALWAYS);
	copy_video(&r, 3, scratch);
	sf_display_flush(r.d);
	pump(r.m, 100);
	SF_TEST_ASSERT(r.m->jpeg == 1 && !model_matches(r.m, r.d));
	/* the client falls behind and is resynced: the snapshot is exact. The
	 * fills are distinct pixels: none supersedes another, so the send
	 * stage cannot prune its way out of the backlog */
	for (int i = 0; i < 3000; i++)
		fill(&r.src, r.d, i % 150, i / 150, i % 150 + 1, i / 150 + 1,
		     0x000100u * (uint32_t)i);
	sf_display_flush(r.d);
	pump(r.m, 500);
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.resyncs >= 1);
	SF_TEST_ASSERT(r.m->bad_images == 0 && model_matches(r.m, r.d));
	rig_down(&r);
}

/* A @w x @h RGBA image, premultiplied: photo-like colour (or flat) under
 * an alpha that rises from 0 on the left to 255 on the right. */
static struct sf_image *rgba_image(uint32_t w, uint32_t h, bool photo)
{
	struct sf_image *img = sf_image_new(w, h, SPICE_BITMAP_FMT_RGBA);

	for (uint32_t y = 0; img && y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t a = x * 255 / (w - 1), v = 0;
			for (int k = 0; k < 24; k += 8) {
				uint32_t c = photo ? (uint32_t)(127 + 120 * sin((x + y * (k + 1)) /
										(17.0 + k)))
						   : 0xc0;
				v |= (c * a / 255) << k;
			}
			((uint32_t *)sf_image_row(img, y))[x] = a << 24 | v;
		}
	return img;
}

static void blend_cmd(struct rig *r, struct sf_rect rect, struct sf_image *img, uint8_t alpha)
{
	submit(&r->src, r->d,
	       (struct sf_cmd){.type = SF_CMD_BLEND, .rect = rect, .image = img, .alpha = alpha});
}

SF_TEST(display_alpha_blends_reach_the_client_as_the_server_draws_them)
{
	struct rig r = {0};
	struct sf_image *opaque = sf_image_new(32, 32, SPICE_BITMAP_FMT_32BIT);

	SF_TEST_ASSERT(rig_up(&r, 16 << 20) && opaque);
	pump(r.m, 200);
	queue_behind(&r, 150, 100);
	/* a blend reads what is under it: it must not obsolete this fill */
	fill(&r.src, r.d, 20, 20, 60, 50, 0xff0000);
	blend_cmd(&r, (struct sf_rect){10, 10, 74, 58}, rgba_image(64, 48, false), 0xff);
	for (uint32_t i = 0; i < 32 * 32; i++)
		((uint32_t *)opaque->pixels)[i] = 0xff00ff00u | i;
	blend_cmd(&r, (struct sf_rect){80, 10, 112, 42}, opaque, 0x80);
	blend_cmd(&r, (struct sf_rect){0, 60, 64, 108}, rgba_image(64, 48, false), 0);
	sf_display_flush(r.d);
	pump(r.m, 500);
	/* the zero-alpha blend draws nothing and is not sent */
	SF_TEST_ASSERT(r.m->blends == 2 && r.m->rgba_blends == 1 && r.m->bad_images == 0);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	/* alpha 0 on the left shows the background, the fill shows through */
	SF_TEST_ASSERT((r.m->fb[12][10] & 0xffffff) == 0x102030);
	SF_TEST_ASSERT((r.m->fb[30][21] & 0xff0000) > 0x800000);
	/* half of opaque green over the background */
	SF_TEST_ASSERT(((r.m->fb[20][90] >> 8) & 0xff) >= 0x7f + 0x10);
	rig_down(&r);
}

SF_TEST(display_wan_blends_photos_as_jpeg_alpha_and_lossless_as_quic_rgba)
{
	struct rig r = {0};
	const struct sf_rect a = {10, 10, 138, 106};
	struct sf_display_stats st;

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 100);
	sf_display_set_jpeg(r.d, SF_WAN_ALWAYS);
	blend_cmd(&r, a, rgba_image(128, 96, true), 0xff);
	sf_display_flush(r.d);
	pump(r.m, 200);
	SF_TEST_ASSERT(r.m->jpeg_alpha == 1 && r.m->rgba_blends == 1 && r.m->bad_images == 0);
	SF_TEST_ASSERT(area_psnr(r.m, r.d, &a) >= 35.0 && area_psnr(r.m, r.d, &a) < 90.0);
	/* without JPEG the photo is QUIC RGBA, exact (over an exact fill: it
	 * blends with what is under it, and the JPEG left that inexact) */
	sf_display_set_jpeg(r.d, SF_WAN_NEVER);
	fill(&r.src, r.d, a.left, a.top, a.right, a.bottom, 0x204060);
	blend_cmd(&r, a, rgba_image(128, 96, true), 0xff);
	sf_display_flush(r.d);
	pump(r.m, 200);
	SF_TEST_ASSERT(r.m->jpeg_alpha == 1 && r.m->rgba_blends == 2 && r.m->quic == 1);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	SF_TEST_ASSERT(sf_display_get_stats(r.d, &st) == 0 && st.images[SF_CODEC_JPEG] == 1);
	rig_down(&r);
}

SF_TEST(display_copies_from_surfaces_read_them_in_command_order)
{
	struct rig r = {0};

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 100);
	submit(&r.src, r.d,
	       (struct sf_cmd){
		       .type = SF_CMD_SURFACE_CREATE, .surface_id = 1, .width = 64, .height = 32});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_FILL,
			       .surface_id = 1,
			       .rect = {0, 0, 64, 32},
			       .color = 0x00ff00});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_FILL,
			       .surface_id = 1,
			       .rect = {8, 8, 16, 16},
			       .color = 0xff0000});
	/* surface 1's (4, 4)-(36, 28) onto surface 0 at (100, 50) */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_COPY,
			       .rect = {100, 50, 132, 74},
			       .from_surface = true,
			       .src_surface = 1,
			       .src_x = 4,
			       .src_y = 4});
	/* later draws on the source do not reach the copy */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_FILL,
			       .surface_id = 1,
			       .rect = {0, 0, 64, 32},
			       .color = 0x0000ff});
	/* a blend from surface 0 onto itself, overlapping: reads before writing */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_BLEND,
			       .rect = {110, 60, 140, 80},
			       .alpha = 0x80,
			       .from_surface = true,
			       .src_surface = 0,
			       .src_x = 100,
			       .src_y = 50});
	/* a source area outside its surface, and a missing surface: refused */
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_COPY,
			       .rect = {0, 0, 64, 64},
			       .from_surface = true,
			       .src_surface = 1});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_COPY,
			       .rect = {0, 0, 8, 8},
			       .from_surface = true,
			       .src_surface = 7});
	sf_display_flush(r.d);
	pump(r.m, 300);
	SF_TEST_ASSERT(r.m->bad_images == 0 && model_matches(r.m, r.d));
	SF_TEST_ASSERT((r.m->fb[50][100] & 0xffffff) == 0x00ff00);
	SF_TEST_ASSERT((r.m->fb[55][105] & 0xffffff) == 0xff0000);
	SF_TEST_ASSERT((r.m->fb[0][0] & 0xffffff) == 0x102030);
	rig_down(&r);
}

SF_TEST(display_raster_op_fills_read_the_destination_on_both_sides)
{
	struct rig r = {0};

	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 100);
	queue_behind(&r, 150, 100);
	fill(&r.src, r.d, 10, 10, 30, 30, 0x808080);
	/* a caret drawn and erased with XOR, an inverted selection */
	for (int k = 0; k < 2; k++)
		submit(&r.src, r.d,
		       (struct sf_cmd){.type = SF_CMD_FILL_ROP,
				       .rect = {12, 12, 14, 28},
				       .color = 0xffffff,
				       .rop = SF_ROP_XOR,
				       .ropd = SPICE_ROPD_OP_XOR});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_FILL_ROP,
			       .rect = {20, 5, 40, 25},
			       .rop = SF_ROP_INVERT,
			       .ropd = SPICE_ROPD_OP_INVERS});
	sf_display_flush(r.d);
	pump(r.m, 400);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	SF_TEST_ASSERT((r.m->fb[15][12] & 0xffffff) == 0x808080);		 /* XOR twice */
	SF_TEST_ASSERT((r.m->fb[22][22] & 0xffffff) == (~0x808080u & 0xffffff)); /* inverted */
	SF_TEST_ASSERT((r.m->fb[6][22] & 0xffffff) == (~0x102030u & 0xffffff));
	rig_down(&r);
}

SF_TEST(display_raster_op_copies_mask_an_icon_as_windows_draws_it)
{
	struct rig r = {0};
	struct sf_image *mask = sf_image_new(8, 8, SPICE_BITMAP_FMT_32BIT);
	struct sf_image *icon = sf_image_new(8, 8, SPICE_BITMAP_FMT_32BIT);

	SF_TEST_ASSERT(rig_up(&r, 16 << 20) && mask && icon);
	pump(r.m, 100);
	fill(&r.src, r.d, 40, 40, 48, 48, 0x336699);
	/* SRCAND with a mask (white outside the shape, black inside), then
	 * SRCPAINT with the icon (black outside): the shape over the background */
	for (uint32_t y = 0; y < 8; y++)
		for (uint32_t x = 0; x < 8; x++) {
			bool in = x >= 2 && x < 6 && y >= 2 && y < 6;
			((uint32_t *)sf_image_row(mask, y))[x] = in ? 0 : 0xffffff;
			((uint32_t *)sf_image_row(icon, y))[x] = in ? 0xff8000 : 0;
		}
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_COPY_ROP,
			       .rect = {40, 40, 48, 48},
			       .image = mask,
			       .rop = SF_ROP_AND,
			       .ropd = SPICE_ROPD_OP_AND});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_COPY_ROP,
			       .rect = {40, 40, 48, 48},
			       .image = icon,
			       .rop = SF_ROP_OR,
			       .ropd = SPICE_ROPD_OP_OR});
	sf_display_flush(r.d);
	pump(r.m, 300);
	SF_TEST_ASSERT(r.m->rop_copies == 2 && r.m->bad_images == 0 && model_matches(r.m, r.d));
	SF_TEST_ASSERT((r.m->fb[41][41] & 0xffffff) == 0x336699);
	SF_TEST_ASSERT((r.m->fb[43][43] & 0xffffff) == 0xff8000);
	rig_down(&r);
}

/* ---- pacing: a source that, like a QXL ring, kicks the display only when
 * it asked to be told of the next command ---- */
struct kick_source {
	pthread_mutex_t m;
	unsigned queued, taken, kicks;
	bool armed;
};

static bool ks_get(void *o, struct sf_cmd *cmd)
{
	struct kick_source *s = o;
	bool ok;

	pthread_mutex_lock(&s->m);
	ok = s->taken < s->queued;
	if (ok && s->taken++ == 0)
		*cmd = (struct sf_cmd){.type = SF_CMD_SURFACE_CREATE, .width = W, .height = H};
	else if (ok)
		*cmd = (struct sf_cmd){
			.type = SF_CMD_FILL, .rect = {0, 0, 8, 8}, .color = s->taken};
	pthread_mutex_unlock(&s->m);
	return ok;
}

static bool ks_req(void *o)
{
	struct kick_source *s = o;
	bool empty;

	pthread_mutex_lock(&s->m);
	empty = s->taken == s->queued;
	s->armed = empty;
	pthread_mutex_unlock(&s->m);
	return empty;
}

static void ks_push(struct kick_source *s, struct sf_display *d)
{
	bool kick;

	pthread_mutex_lock(&s->m);
	s->queued++;
	kick = s->armed;
	s->armed = false;
	s->kicks += kick;
	pthread_mutex_unlock(&s->m);
	if (kick)
		sf_display_wakeup(d);
}

static unsigned ks_taken(struct kick_source *s)
{
	unsigned n;

	pthread_mutex_lock(&s->m);
	n = s->taken;
	pthread_mutex_unlock(&s->m);
	return n;
}

/* Wait up to 2 s for the display to take every command and arm the
 * notification again (idle). */
static bool ks_idle(struct kick_source *s)
{
	for (int i = 0; i < 2000; i++) {
		bool idle;

		pthread_mutex_lock(&s->m);
		idle = s->armed && s->taken == s->queued;
		pthread_mutex_unlock(&s->m);
		if (idle)
			return true;
		usleep(1000);
	}
	return false;
}

SF_TEST(display_paces_a_command_stream_instead_of_taking_a_kick_per_command)
{
	static const struct sf_display_source_ops kops = {.get_command = ks_get,
							  .req_notification = ks_req};
	struct kick_source s = {.m = PTHREAD_MUTEX_INITIALIZER};
	struct sf_display *d = sf_display_create(0, &kops, &s);
	unsigned kicks;

	SF_TEST_ASSERT(d && sf_display_start(d) == 0);
	SF_TEST_ASSERT(ks_idle(&s));
	/* a lone command after a pause: one kick, runs at once, idle again */
	ks_push(&s, d);
	SF_TEST_ASSERT(ks_idle(&s) && ks_taken(&s) == 1);
	pthread_mutex_lock(&s.m);
	kicks = s.kicks;
	pthread_mutex_unlock(&s.m);
	SF_TEST_ASSERT(kicks == 1);
	/* a stream, one command every 2 ms: polled, not kicked each time
	 * (without pacing every command would be kicked: about 60) */
	for (int i = 0; i < 60; i++) {
		ks_push(&s, d);
		usleep(2000);
	}
	SF_TEST_ASSERT(ks_idle(&s));
	pthread_mutex_lock(&s.m);
	kicks = s.kicks - 1;
	pthread_mutex_unlock(&s.m);
	SF_TEST_ASSERT(kicks >= 1 && kicks <= 20);
	SF_TEST_ASSERT(ks_taken(&s) == 61);
	/* stopped VM: nothing is pulled, and it resumes where it was */
	sf_display_set_running(d, false);
	ks_push(&s, d);
	usleep(30000);
	SF_TEST_ASSERT(ks_taken(&s) == 61);
	sf_display_set_running(d, true);
	SF_TEST_ASSERT(ks_idle(&s) && ks_taken(&s) == 62);
	sf_display_destroy(d);
}

SF_TEST(display_migrate_and_its_data_leave_at_once_not_at_the_tick)
{
	struct rig r = {0};
	uint64_t t0;

	rig_tick = 5000; /* a connection that just wrote waits up to 5 s */
	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	rig_tick = 0;
	pump(r.m, 100); /* the first message left at once, the rest wait */
	fill(&r.src, r.d, 0, 0, 8, 8, 0x445566);
	sf_display_flush(r.d);
	t0 = sf_clock_now_ns();
	sf_chan_migrate(r.chan);
	for (int i = 0; i < 20 && !r.m->migrate_data_ns; i++)
		pump(r.m, 50);
	/* the migrate flush took what waited for the tick along */
	SF_TEST_ASSERT(r.m->created && r.m->migrate_ns && r.m->migrate_data_ns);
	SF_TEST_ASSERT(r.m->migrate_data_ns - t0 < 1000000000ull);
	rig_down(&r);
}

/* A source rig whose client got @n GLZ images, migrated: the client's
 * MIGRATE_DATA is in src->m. */
static void glz_source(struct rig *src, int n)
{
	SF_TEST_ASSERT(rig_up(src, 16 << 20));
	pump(src->m, 200);
	for (int i = 0; i < n; i++)
		copy_ui(src, i, false);
	sf_display_flush(src->d);
	pump(src->m, 200);
	SF_TEST_ASSERT(src->m->glz == (unsigned)n && src->m->bad_images == 0);
	sf_chan_migrate(src->chan);
	for (int i = 0; i < 20 && !src->m->migrate_data_ns; i++)
		pump(src->m, 50);
	SF_TEST_ASSERT(src->m->migdata_len > 0);
}

/* A target rig whose own client is the one migrating from @src; the client
 * links first and is attached once its MIGRATE_DATA arrives (glz_arrive). */
static void glz_target(struct rig *dst)
{
	rig_migrated = true;
	SF_TEST_ASSERT(rig_up(dst, 16 << 20));
	rig_migrated = false;
}

/* The client arrives on @dst with its session's GLZ window and the data the
 * source gave it. */
static void glz_arrive(struct rig *src, struct rig *dst)
{
	dst->m->glz_win = src->m->glz_win;
	src->m->glz_win = NULL;
	SF_TEST_ASSERT(rig_send(dst->m->fd, SPICE_MSGC_MIGRATE_DATA, src->m->migdata,
				src->m->migdata_len));
	pump(dst->m, 200);
}

/* spice-gtk keeps its GLZ window across a seamless migration: the target
 * goes on from the id after the last image the source sent that client (the
 * model's decoder takes ids only in order), so the client keeps GLZ. */
SF_TEST(display_glz_goes_on_from_the_window_a_migrated_client_brings)
{
	struct rig src = {0}, dst = {0};

	glz_source(&src, 10);
	glz_target(&dst);
	glz_arrive(&src, &dst);
	for (int i = 0; i < 10; i++)
		copy_ui(&dst, 50 + i, false);
	sf_display_flush(dst.d);
	pump(dst.m, 300);
	SF_TEST_ASSERT(dst.m->glz == 10 && dst.m->bad_images == 0);
	SF_TEST_ASSERT(model_matches(dst.m, dst.d));
	rig_down(&dst);
	rig_down(&src);
}

/* A target whose dictionary already serves a client: the migrated client's
 * window lacks those images, so it gets LZ and both pictures stay right. */
SF_TEST(display_glz_migrated_client_gets_lz_beside_a_cohort_of_the_target)
{
	struct rig src = {0}, dst = {0};
	struct model *b;
	struct sf_chan *cb;

	glz_source(&src, 6);
	glz_target(&dst);
	cb = extra_client(&dst, &b); /* a client of the target, there first */
	SF_TEST_ASSERT(cb);
	pump(b, 200);
	copy_ui(&dst, 40, false);
	sf_display_flush(dst.d);
	pump(b, 200);
	SF_TEST_ASSERT(b->glz == 1);
	glz_arrive(&src, &dst);
	for (int i = 0; i < 5; i++)
		copy_ui(&dst, 50 + i, false);
	sf_display_flush(dst.d);
	pump(dst.m, 300);
	pump(b, 200);
	SF_TEST_ASSERT(dst.m->glz == 0 && dst.m->bad_images == 0 && dst.m->lz >= 5);
	SF_TEST_ASSERT(b->glz == 6 && b->bad_images == 0);
	SF_TEST_ASSERT(model_matches(dst.m, dst.d) && model_matches(b, dst.d));
	extra_close(cb, b);
	rig_down(&dst);
	rig_down(&src);
}

SF_TEST(display_surface_recreated_with_its_picture_reaches_attached_clients)
{
	static uint32_t vram[W * H];
	struct rig r = {0};

	for (int i = 0; i < W * H; i++)
		vram[i] = 0x010203u * (uint32_t)(i % 77) + (uint32_t)(i / W);
	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 200);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	/* as QEMU's post_load on a migration target: the primary comes back
	 * over guest memory that already shows the picture */
	submit(&r.src, r.d, (struct sf_cmd){.type = SF_CMD_SURFACE_DESTROY, .surface_id = 0});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_SURFACE_CREATE,
			       .width = W,
			       .height = H,
			       .mem = (uint8_t *)vram,
			       .stride = W * 4,
			       .keep_data = true});
	sf_display_flush(r.d);
	pump(r.m, 300);
	SF_TEST_ASSERT(r.m->bad_images == 0);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	rig_down(&r);
}

SF_TEST(display_surface_created_without_keep_data_is_cleared_as_spice_server_does)
{
	/* QEMU's VGA display hands g_malloc()ed memory and then draws only what
	 * differs from black: the server must clear it, or a client linking
	 * later sees heap garbage that the clients attached at the create never
	 * got (the ASan-only picture mismatch of qemu-migrate.sh) */
	static uint32_t vram[W * H];
	struct rig r = {0};

	for (int i = 0; i < W * H; i++)
		vram[i] = 0xbebebebeu ^ (uint32_t)i;
	SF_TEST_ASSERT(rig_up(&r, 16 << 20));
	pump(r.m, 200);
	submit(&r.src, r.d, (struct sf_cmd){.type = SF_CMD_SURFACE_DESTROY, .surface_id = 0});
	submit(&r.src, r.d,
	       (struct sf_cmd){.type = SF_CMD_SURFACE_CREATE,
			       .width = W,
			       .height = H,
			       .mem = (uint8_t *)&vram[(H - 1) * W],
			       .stride = -W * 4});
	sf_display_flush(r.d);
	pump(r.m, 300);
	for (int i = 0; i < W * H; i++)
		SF_TEST_ASSERT(vram[i] == 0);
	SF_TEST_ASSERT(model_matches(r.m, r.d));
	rig_down(&r);
}
