/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/display-rig.h: a display producer on its own thread fed by
 * a fake guest source, a sender loop, and a model client at the other end
 * of a socketpair that decodes and applies what it receives, for
 * test-display.c (which includes it once). */
#ifndef SF_TESTS_DISPLAY_RIG_H
#define SF_TESTS_DISPLAY_RIG_H

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <pixman.h>
#include <spice/enums.h>
#include "channels/display.h"
#include "channels/surface.h"
#include "channels/wire.h"
#include "encoders/glz.h"
#include "encoders/jpeg.h"
#include "encoders/lz.h"
#include "encoders/quic.h"
#include "engine/clock.h"
#include "engine/thread.h"
#include "tests/channels/msg-rig.h"

#define W 160
#define H 120

struct source {
	pthread_mutex_t m;
	struct sf_cmd cmds[4096];
	unsigned head, tail;
	int caps_calls; /* client_caps: producer writes, test reads after flush */
	bool caps_present;
	uint32_t caps;
};

static inline bool get_command(void *o, struct sf_cmd *cmd)
{
	struct source *s = o;
	bool ok;
	pthread_mutex_lock(&s->m);
	ok = s->head != s->tail;
	if (ok)
		*cmd = s->cmds[s->head++ % 4096];
	pthread_mutex_unlock(&s->m);
	return ok;
}

static inline bool req_notification(void *o)
{
	struct source *s = o;
	bool empty;
	pthread_mutex_lock(&s->m);
	empty = s->head == s->tail;
	pthread_mutex_unlock(&s->m);
	return empty;
}

static inline void client_caps(void *o, bool present, uint32_t caps)
{
	struct source *s = o;
	pthread_mutex_lock(&s->m);
	s->caps_calls++;
	s->caps_present = present;
	s->caps = caps;
	pthread_mutex_unlock(&s->m);
}

static const struct sf_display_source_ops ops = {.get_command = get_command,
						 .req_notification = req_notification,
						 .client_caps = client_caps};

static inline void submit(struct source *s, struct sf_display *d, struct sf_cmd c)
{
	pthread_mutex_lock(&s->m);
	s->cmds[s->tail++ % 4096] = c;
	pthread_mutex_unlock(&s->m);
	sf_display_wakeup(d);
}

static inline void fill(struct source *s, struct sf_display *d, int l, int t, int r, int b,
			uint32_t c)
{
	submit(s, d, (struct sf_cmd){.type = SF_CMD_FILL, .rect = {l, t, r, b}, .color = c});
}

/* ---- client model ---- */
struct model {
	int fd;
	uint32_t fb[H][W];
	bool created;
	bool primary_gone; /* SURFACE_DESTROY of 0 seen: the next create is black */
	unsigned msgs, since_ack, copies, fills, monitors, lz, quic, glz, jpeg, bad_images;
	unsigned blends, rgba_blends, jpeg_alpha, rop_copies;
	struct sf_glz_window *glz_win; /* as spice-gtk's: one per session */
	unsigned stream_creates, stream_frames, stream_destroys;
	uint32_t stream_id;
	double last_psnr; /* of the newest stream frame against model->expect */
	uint32_t expect[128 * 96];
	uint32_t head_w, head_h;
	uint64_t migrate_ns, migrate_data_ns; /* when MIGRATE, MIGRATE_DATA came */
	uint8_t migdata[256];		      /* that MIGRATE_DATA, for a target */
	uint32_t migdata_len;
	uint8_t buf[1 << 20];
	size_t len;
};

/* A message of @size bytes (0 or 4) carrying @v. */
static inline void send_msg(int fd, uint16_t type, uint32_t v, uint32_t size)
{
	uint8_t b[4];
	sf_put_le32(b, v);
	SF_BUG_ON(!rig_send(fd, type, b, size));
}

/* Decode the Image at @img (@w x @h) into @px as the stock client would
 * (the AUTO default: (G)LZ, or QUIC for photos); *@rgba: it has alpha. */
static inline bool decode_image(struct model *m, const uint8_t *img, uint32_t w, uint32_t h,
				uint32_t *px, bool *rgba)
{
	uint32_t len = sf_get_le32(img + 18);

	*rgba = false;
	switch (img[8]) {
	case SPICE_IMAGE_TYPE_BITMAP:
		*rgba = img[18] == SPICE_BITMAP_FMT_RGBA;
		for (uint32_t y = 0; y < h; y++)
			memcpy(px + (size_t)y * w, img + 36 + (size_t)y * sf_get_le32(img + 28),
			       (size_t)w * 4);
		return true;
	case SPICE_IMAGE_TYPE_LZ_RGB:
		m->lz++;
		*rgba = len > 12 && img[22 + 11] == 9; /* LZ_IMAGE_TYPE_RGBA */
		return sf_lz_decode(img + 22, len, w, h, px) == 0;
	case SPICE_IMAGE_TYPE_QUIC:
		m->quic++;
		*rgba = len > 12 && sf_get_le32(img + 22 + 8) == 5; /* QUIC_IMAGE_TYPE_RGBA */
		return sf_quic_decode(img + 22, len, w, h, px) == 0;
	case SPICE_IMAGE_TYPE_JPEG:
		m->jpeg++;
		return sf_jpeg_decode(img + 22, len, w, h, px) == 0;
	case SPICE_IMAGE_TYPE_JPEG_ALPHA: { /* flags, jpeg_size, data_size, data */
		uint32_t jlen = sf_get_le32(img + 19), total = sf_get_le32(img + 23);
		m->jpeg_alpha++;
		*rgba = true;
		return img[18] == SPICE_JPEG_ALPHA_FLAGS_TOP_DOWN && jlen < total &&
		       sf_jpeg_decode(img + 27, jlen, w, h, px) == 0 &&
		       sf_lz_decode_alpha(img + 27 + jlen, total - jlen, w, h, px) == 0;
	}
	case SPICE_IMAGE_TYPE_GLZ_RGB:
		m->glz++;
		if (!m->glz_win)
			m->glz_win = sf_glz_window_new();
		return sf_glz_decode(m->glz_win, img + 22, len, w, h, px) == 0;
	default:
		return false;
	}
}

/* DRAW_ALPHA_BLEND as spice-gtk's software canvas does it: pixman OVER,
 * with a solid mask for an overall alpha below 255. */
static inline void blend(struct model *m, const uint8_t *p, int32_t left, int32_t top, uint32_t w,
			 uint32_t h)
{
	static uint32_t px[W * H];
	uint8_t alpha = p[22];
	bool rgba;
	pixman_image_t *dst, *src, *mask = NULL;

	m->blends++;
	if (!decode_image(m, p + sf_get_le32(p + 23), w, h, px, &rgba)) {
		m->bad_images++;
		return;
	}
	m->rgba_blends += rgba;
	dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, W, H, &m->fb[0][0], W * 4);
	src = pixman_image_create_bits(rgba ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, (int)w, (int)h, px,
				       (int)w * 4);
	if (alpha != 0xff)
		mask = pixman_image_create_solid_fill(&(pixman_color_t){0, 0, 0, alpha * 0x101});
	pixman_image_composite32(PIXMAN_OP_OVER, src, mask, dst, 0, 0, 0, 0, left, top, (int)w,
				 (int)h);
	if (mask)
		pixman_image_unref(mask);
	pixman_image_unref(src);
	pixman_image_unref(dst);
}

static inline void apply(struct model *m, uint16_t type, const uint8_t *p, uint32_t size)
{
	int32_t top = (int32_t)sf_get_le32(p + 4), left = (int32_t)sf_get_le32(p + 8);
	int32_t bottom = (int32_t)sf_get_le32(p + 12), right = (int32_t)sf_get_le32(p + 16);

	m->msgs++;
	if (type == SPICE_MSG_SET_ACK) {
		send_msg(m->fd, SPICE_MSGC_ACK_SYNC, sf_get_le32(p), 4);
		m->since_ack = 0;
		return;
	}
	if (++m->since_ack == SF_DISPLAY_ACK_WINDOW) {
		send_msg(m->fd, SPICE_MSGC_ACK, 0, 0);
		m->since_ack = 0;
	}
	/* as spice-gtk: a destroyed primary is freed and the next create is a
	 * zeroed canvas; a create over a live primary (migration) reuses it */
	if (type == SPICE_MSG_DISPLAY_SURFACE_DESTROY && sf_get_le32(p) == 0)
		m->primary_gone = true;
	if (type == SPICE_MSG_DISPLAY_SURFACE_CREATE) {
		m->created = true;
		if (sf_get_le32(p) == 0 && m->primary_gone)
			memset(m->fb, 0, sizeof(m->fb));
		m->primary_gone = false;
	}
	if (type == SPICE_MSG_MIGRATE) { /* answer as spice-gtk does */
		m->migrate_ns = sf_clock_now_ns();
		send_msg(m->fd, SPICE_MSGC_MIGRATE_FLUSH_MARK, 0, 0);
	}
	if (type == SPICE_MSG_MIGRATE_DATA && size <= sizeof(m->migdata)) {
		m->migrate_data_ns = sf_clock_now_ns();
		memcpy(m->migdata, p, size);
		m->migdata_len = size;
	}
	if ((type == SPICE_MSG_DISPLAY_COPY_BITS ||
	     (type >= SPICE_MSG_DISPLAY_DRAW_FILL && type <= SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND)) &&
	    sf_get_le32(p) != 0)
		return; /* the model is surface 0 */
	if (type == SPICE_MSG_DISPLAY_DRAW_FILL)
		m->fills++;
	if (type == SPICE_MSG_DISPLAY_STREAM_CREATE && size >= 8) {
		m->stream_creates++;
		m->stream_id = sf_get_le32(p + 4);
	}
	if (type == SPICE_MSG_DISPLAY_STREAM_DESTROY && size >= 4 &&
	    sf_get_le32(p) == m->stream_id) {
		m->stream_destroys++;
		m->stream_id = 0;
	}
	if (type == SPICE_MSG_DISPLAY_STREAM_DATA && size >= 12) {
		static uint32_t px[128 * 96];
		double se = 0;
		m->stream_frames += sf_get_le32(p) == m->stream_id;
		if (sf_jpeg_decode(p + 12, sf_get_le32(p + 8), 128, 96, px) < 0) {
			m->bad_images++;
			return;
		}
		for (int i = 0; i < 128 * 96; i++)
			for (int k = 0; k < 24; k += 8) {
				double e = (double)((px[i] >> k) & 0xff) -
					   ((m->expect[i] >> k) & 0xff);
				se += e * e;
			}
		m->last_psnr = 10 * log10(255.0 * 255.0 / (se / (128 * 96 * 3) + 1e-9));
		return;
	}
	if (type == SPICE_MSG_DISPLAY_MONITORS_CONFIG && size >= 4 + 28) {
		m->monitors = sf_get_le16(p);
		m->head_w = sf_get_le32(p + 4 + 8);
		m->head_h = sf_get_le32(p + 4 + 12);
	}
	if (type == SPICE_MSG_DISPLAY_DRAW_FILL) /* the model knows PUT, XOR and INVERS */
		for (int y = top; y < bottom; y++)
			for (int x = left; x < right; x++)
				m->fb[y][x] = sf_get_le16(p + 26) == SPICE_ROPD_OP_XOR
						      ? m->fb[y][x] ^ sf_get_le32(p + 22)
					      : sf_get_le16(p + 26) == SPICE_ROPD_OP_INVERS
						      ? ~m->fb[y][x]
						      : sf_get_le32(p + 22);
	if (type == SPICE_MSG_DISPLAY_COPY_BITS) {
		static uint32_t tmp[H][W];
		int32_t sx = (int32_t)sf_get_le32(p + 21), sy = (int32_t)sf_get_le32(p + 25);
		for (int y = top; y < bottom; y++)
			for (int x = left; x < right; x++)
				tmp[y][x] = m->fb[sy + y - top][sx + x - left];
		for (int y = top; y < bottom; y++)
			for (int x = left; x < right; x++)
				m->fb[y][x] = tmp[y][x];
	}
	if (type == SPICE_MSG_DISPLAY_DRAW_COPY) {
		static uint32_t px[W * H];
		uint32_t w = (uint32_t)(right - left), h = (uint32_t)(bottom - top);
		bool rgba;
		m->copies++;
		if (!decode_image(m, p + sf_get_le32(p + 21), w, h, px, &rgba))
			m->bad_images++;
		for (int y = top; y < bottom; y++)
			for (int x = left; x < right; x++)
				m->fb[y][x] = px[(size_t)(y - top) * w + (size_t)(x - left)];
	}
	if (type == SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND)
		blend(m, p, left, top, (uint32_t)(right - left), (uint32_t)(bottom - top));
	if (type == SPICE_MSG_DISPLAY_DRAW_BLEND) { /* the model knows AND and OR */
		static uint32_t px[W * H];
		uint32_t w = (uint32_t)(right - left), h = (uint32_t)(bottom - top);
		uint16_t ropd = sf_get_le16(p + 41);
		bool rgba;
		m->rop_copies++;
		if (!decode_image(m, p + sf_get_le32(p + 21), w, h, px, &rgba))
			m->bad_images++;
		for (int y = top; y < bottom; y++)
			for (int x = left; x < right; x++) {
				uint32_t v = px[(size_t)(y - top) * w + (size_t)(x - left)];
				m->fb[y][x] = ropd == SPICE_ROPD_OP_AND	 ? m->fb[y][x] & v
					      : ropd == SPICE_ROPD_OP_OR ? m->fb[y][x] | v
									 : 0xdeadbeef;
			}
	}
}

/* Read until the socket stays quiet for @quiet_ms. */
static inline void pump(struct model *m, int quiet_ms)
{
	struct pollfd pfd = {.fd = m->fd, .events = POLLIN};

	while (poll(&pfd, 1, quiet_ms) > 0) {
		ssize_t n = read(m->fd, m->buf + m->len, sizeof(m->buf) - m->len);
		size_t off = 0;
		if (n <= 0)
			return;
		m->len += (size_t)n;
		while (m->len - off >= 6) {
			uint32_t size = sf_get_le32(m->buf + off + 2);
			if (m->len - off - 6 < size)
				break;
			apply(m, sf_get_le16(m->buf + off), m->buf + off + 6, size);
			off += 6 + size;
		}
		memmove(m->buf, m->buf + off, m->len - off);
		m->len -= off;
	}
}

static inline bool model_matches(struct model *m, struct sf_display *d)
{
	struct sf_image *img = sf_display_read_pixels(d, 0);
	bool ok = img != NULL;
	for (int y = 0; ok && y < H; y++)
		for (int x = 0; x < W; x++)
			if ((((uint32_t *)sf_image_row(img, (uint32_t)y))[x] & 0xffffff) !=
			    (m->fb[y][x] & 0xffffff))
				ok = false;
	sf_image_unref(img);
	return ok;
}

static inline void *run_loop(void *l)
{
	sf_thread_set_role(SF_THREAD_SENDER);
	sf_loop_run(l);
	return NULL;
}

struct rig {
	struct source src;
	struct sf_display *d;
	struct sf_loop *sender;
	pthread_t thr;
	struct sf_chan *chan;
	struct model *m;
};

static uint32_t rig_caps; /* display caps the rig's client announces */
static unsigned rig_tick; /* the sender loop's tick, ms; 0 none */
static bool rig_migrated; /* the rig's client migrates here (MIGRATE_DATA first) */

static inline bool rig_up(struct rig *r, size_t backlog)
{
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_DISPLAY,
				    .mini_header = true,
				    .migrated = rig_migrated,
				    .num_channel_caps = 1,
				    .channel_caps = {rig_caps}};
	int sv[2];

	pthread_mutex_init(&r->src.m, NULL);
	r->d = sf_display_create(0, &ops, &r->src);
	r->sender = sf_loop_create();
	r->m = calloc(1, sizeof(*r->m));
	if (!r->d || !r->sender || !r->m || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return false;
	r->m->fd = sv[0];
	sf_display_set_backlog_limit(r->d, backlog);
	if (sf_display_start(r->d) < 0)
		return false;
	sf_loop_set_tick(r->sender, rig_tick);
	pthread_create(&r->thr, NULL, run_loop, r->sender);
	submit(&r->src, r->d,
	       (struct sf_cmd){.type = SF_CMD_SURFACE_CREATE, .width = W, .height = H});
	fill(&r->src, r->d, 0, 0, W, H, 0x102030);
	sf_display_flush(r->d);
	r->chan = sf_display_attach(r->d, r->sender, sv[1], &info);
	return r->chan != NULL;
}

static inline void rig_down(struct rig *r)
{
	sf_chan_close(r->chan);
	sf_chan_unref(r->chan);
	sf_display_stop(r->d);
	sf_loop_quit(r->sender);
	pthread_join(r->thr, NULL);
	sf_loop_iterate(r->sender, 0);
	sf_display_destroy(r->d);
	sf_loop_iterate(r->sender, 0);
	sf_loop_destroy(r->sender);
	close(r->m->fd);
	sf_glz_window_free(r->m->glz_win);
	free(r->m);
}

#endif
