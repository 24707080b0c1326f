/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/loadclient.c: N SPICE clients from one process. Each links a main and
 * a display channel (blocking handshakes at start), then one epoll loop acks,
 * answers pings and discards, counting bytes per client. With --verify it
 * decodes draws (fill; copies as raw, LZ4, LZ, GLZ, QUIC or JPEG; copy-bits;
 * clip rects)
 * into a framebuffer per client and compares each with the expected frame at
 * the end; clients that received another image type are reported as
 * undecodable instead; with JPEG images (lossy) a client counts as verified
 * at 25 dB PSNR over the frame. --stall makes client 0 stop reading for a
 * while (the slow-client experiment). --glz-window is the GLZ window in pixels
 * it announces (default 1M: 4 MB a client, for 1000 verified clients). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <pixman.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "channels/ticket.h"
#include "channels/wire.h"
#include "encoders/lz.h"
#include "encoders/glz.h"
#include "encoders/jpeg.h"
#include "encoders/lz4.h"
#include "encoders/quic.h"

#define FW 800
#define FH 600

struct client;
struct conn {
	int fd;
	bool display;
	struct client *cl;
	uint8_t *buf;
	size_t len, cap;
	uint32_t window, since_ack;
};
struct client {
	struct conn main, disp;
	uint32_t session;
	uint64_t bytes;
	uint32_t *fb;
	uint64_t images[2];		  /* decoded compressed images: other codecs, QUIC */
	uint64_t glz_images, jpeg_images; /* JPEG: lossy, verified by PSNR */
	uint64_t stream_frames;		  /* STREAM_DATA received, verified or not */
	struct sf_glz_window *glz;	  /* as spice-gtk's: one per session */
	bool undecodable;
};

static int g_port = 5900;
static struct client *g_cl;
static int g_n;
static bool g_verify;
static int32_t g_glz_window = 1 << 20; /* pixels, announced in DISPLAY_INIT */
static volatile sig_atomic_t g_stop;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool rd_full(int fd, void *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = recv(fd, (uint8_t *)p + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void wr(int fd, const void *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n)
		g_stop = g_stop; /* the epoll loop notices a dead socket */
}

static void send_msg(int fd, uint16_t type, const void *body, uint32_t size)
{
	uint8_t h[6];
	sf_put_le16(h, type);
	sf_put_le32(h + 2, size);
	wr(fd, h, 6);
	if (size)
		wr(fd, body, size);
}

static int dial_link(uint8_t type, uint32_t conn_id)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
	struct timeval tv = {.tv_sec = 30};
	uint8_t m[16 + 26], h[16], body[512], enc[128], res[4];
	uint32_t caps = (1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION) |
			(1u << SPICE_COMMON_CAP_AUTH_SPICE) | (1u << SPICE_COMMON_CAP_MINI_HEADER);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	uint32_t size;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err;
	sf_put_le32(m, SPICE_MAGIC);
	sf_put_le32(m + 4, SPICE_VERSION_MAJOR);
	sf_put_le32(m + 8, SPICE_VERSION_MINOR);
	sf_put_le32(m + 12, 26);
	sf_put_le32(m + 16, conn_id);
	m[20] = type;
	m[21] = 0;
	sf_put_le32(m + 22, 1);
	sf_put_le32(m + 26, 1);
	sf_put_le32(m + 30, 18);
	sf_put_le32(m + 34, caps);
	/* display: decode LZ4 images, as spice-gtk built with liblz4 does */
	sf_put_le32(m + 38,
		    type == SPICE_CHANNEL_DISPLAY ? 1u << SPICE_DISPLAY_CAP_LZ4_COMPRESSION : 0);
	wr(fd, m, sizeof(m));
	if (!rd_full(fd, h, 16) || (size = sf_get_le32(h + 12)) > sizeof(body) || size < 4 + 162 ||
	    !rd_full(fd, body, size) || sf_get_le32(body) != 0)
		goto err;
	sf_put_le32(res, SPICE_COMMON_CAP_AUTH_SPICE);
	wr(fd, res, 4);
	if (sf_ticket_encrypt(body + 4, SPICE_TICKET_PUBKEY_BYTES, "", enc) < 0)
		goto err;
	wr(fd, enc, sizeof(enc));
	if (!rd_full(fd, res, 4) || sf_get_le32(res) != 0)
		goto err;
	return fd;
err:
	close(fd);
	return -1;
}

/* Blocking read of main-channel messages until @want arrives; answers pings. */
static int64_t main_until(int fd, uint16_t want, uint8_t *out, size_t cap)
{
	static uint8_t body[1 << 20];
	for (int i = 0; i < 64; i++) {
		uint8_t h[6];
		uint32_t size;
		if (!rd_full(fd, h, 6) || (size = sf_get_le32(h + 2)) > sizeof(body) ||
		    !rd_full(fd, body, size))
			return -1;
		if (sf_get_le16(h) == SPICE_MSG_PING && size >= 12)
			send_msg(fd, SPICE_MSGC_PONG, body, 12);
		if (sf_get_le16(h) == want) {
			memcpy(out, body, SF_MIN(cap, size));
			return size;
		}
	}
	return -1;
}

static bool connect_client(struct client *c)
{
	uint8_t init[32];

	c->main.fd = dial_link(SPICE_CHANNEL_MAIN, 0);
	if (c->main.fd < 0 || main_until(c->main.fd, SPICE_MSG_MAIN_INIT, init, 32) < 32)
		return false;
	c->session = sf_get_le32(init);
	send_msg(c->main.fd, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
	if (main_until(c->main.fd, SPICE_MSG_MAIN_CHANNELS_LIST, init, 4) < 4)
		return false;
	c->disp.fd = dial_link(SPICE_CHANNEL_DISPLAY, c->session);
	if (c->disp.fd < 0)
		return false;
	/* spice-gtk sends DISPLAY_INIT first: cache ids and sizes, and the
	 * GLZ dictionary id and window */
	uint8_t di[14] = {0};
	di[9] = 1;
	sf_put_le32(di + 10, (uint32_t)g_glz_window);
	send_msg(c->disp.fd, SPICE_MSGC_DISPLAY_INIT, di, sizeof(di));
	c->main.cl = c->disp.cl = c;
	c->disp.display = true;
	return true;
}

/* ---- verify: a tiny renderer for raw draws ---- */

/* Image types whose payload is BinaryData and that an in-tree decoder reads. */
static bool encoded(uint8_t type)
{
	return type == SPICE_IMAGE_TYPE_LZ4 || type == SPICE_IMAGE_TYPE_LZ_RGB ||
	       type == SPICE_IMAGE_TYPE_QUIC || type == SPICE_IMAGE_TYPE_JPEG ||
	       type == SPICE_IMAGE_TYPE_GLZ_RGB;
}

/* Decode one such image into @out; GLZ through the client's own window. */
static int decode(struct client *cl, uint8_t type, const uint8_t *in, size_t len, uint32_t w,
		  uint32_t h, uint32_t *out)
{
	switch (type) {
	case SPICE_IMAGE_TYPE_LZ4:
		return sf_lz4_decode(in, len, w, h, out);
	case SPICE_IMAGE_TYPE_LZ_RGB:
		return sf_lz_decode(in, len, w, h, out);
	case SPICE_IMAGE_TYPE_QUIC:
		return sf_quic_decode(in, len, w, h, out);
	case SPICE_IMAGE_TYPE_JPEG:
		cl->jpeg_images++;
		return sf_jpeg_decode(in, len, w, h, out);
	case SPICE_IMAGE_TYPE_GLZ_RGB:
		if (!cl->glz && !(cl->glz = sf_glz_window_new()))
			return -ENOMEM;
		cl->glz_images++;
		return sf_glz_decode(cl->glz, in, len, w, h, out);
	default:
		return -ENOTSUP;
	}
}

struct clip {
	int n;
	int32_t r[64][4]; /* top, left, bottom, right */
};

static bool in_clip(const struct clip *c, int x, int y)
{
	if (c->n < 0)
		return true;
	for (int i = 0; i < c->n; i++)
		if (y >= c->r[i][0] && x >= c->r[i][1] && y < c->r[i][2] && x < c->r[i][3])
			return true;
	return false;
}

/* The Image at offset @img of a draw body, decoded to @w x @h pixels
 * (malloc'd; a8r8g8b8 when *@rgba), or NULL if not understood or bad. */
static uint32_t *image(struct client *cl, const uint8_t *p, uint32_t size, uint32_t img,
		       uint32_t *w, uint32_t *h, bool *rgba)
{
	const uint8_t *d = p + img;
	uint32_t *out, len;
	bool ok;

	if (img > size || size - img < 22)
		return NULL;
	*w = sf_get_le32(d + 10), *h = sf_get_le32(d + 14), len = sf_get_le32(d + 18);
	if (!*w || !*h || *w > FW || *h > FH || !(out = malloc((size_t)*w * *h * 4)))
		return NULL;
	*rgba = false;
	if (d[8] == SPICE_IMAGE_TYPE_BITMAP) { /* format, flags, x, y, stride, palette */
		uint32_t stride = size - img >= 36 ? sf_get_le32(d + 28) : 0;
		*rgba = d[18] == SPICE_BITMAP_FMT_RGBA;
		ok = stride >= *w * 4 && (d[18] == SPICE_BITMAP_FMT_32BIT || *rgba) &&
		     (d[19] & SPICE_BITMAP_FLAGS_TOP_DOWN) &&
		     (uint64_t)stride * (*h - 1) + *w * 4 <= size - img - 36;
		for (uint32_t y = 0; ok && y < *h; y++)
			memcpy(out + (size_t)y * *w, d + 36 + (size_t)y * stride, (size_t)*w * 4);
	} else if (d[8] == SPICE_IMAGE_TYPE_JPEG_ALPHA) { /* flags, jpeg_size, size, data */
		uint32_t jlen = size - img >= 27 ? sf_get_le32(d + 19) : 0;
		len = size - img >= 27 ? sf_get_le32(d + 23) : 0;
		*rgba = true;
		cl->jpeg_images++;
		ok = jlen < len && len <= size - img - 27 &&
		     sf_jpeg_decode(d + 27, jlen, *w, *h, out) == 0 &&
		     sf_lz_decode_alpha(d + 27 + jlen, len - jlen, *w, *h, out) == 0;
	} else {
		/* the header's type: LZ_IMAGE_TYPE_RGBA (big-endian), QUIC_IMAGE_TYPE_RGBA */
		*rgba = len > 12 && ((d[8] == SPICE_IMAGE_TYPE_LZ_RGB && d[22 + 11] == 9) ||
				     (d[8] == SPICE_IMAGE_TYPE_QUIC && sf_get_le32(d + 30) == 5));
		ok = encoded(d[8]) && len <= size - img - 22 &&
		     decode(cl, d[8], d + 22, len, *w, *h, out) == 0;
		cl->images[d[8] == SPICE_IMAGE_TYPE_QUIC] += ok;
	}
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

/* ALPHA_BLEND as spice-gtk's software canvas draws it: pixman OVER, the
 * overall alpha as a solid mask, the clip as a region. */
static void blend_into(struct client *cl, const struct clip *clip, uint32_t *px, uint32_t w,
		       uint32_t h, bool rgba, uint8_t alpha, int32_t sx, int32_t sy, int32_t dx,
		       int32_t dy, int32_t dw, int32_t dh)
{
	pixman_image_t *dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, FW, FH, cl->fb, FW * 4);
	pixman_image_t *src = pixman_image_create_bits(rgba ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8,
						       (int)w, (int)h, px, (int)w * 4);
	pixman_image_t *mask = NULL;
	pixman_region32_t reg;

	if (clip->n >= 0) {
		pixman_box32_t boxes[64];
		for (int i = 0; i < clip->n; i++)
			boxes[i] = (pixman_box32_t){clip->r[i][1], clip->r[i][0], clip->r[i][3],
						    clip->r[i][2]};
		pixman_region32_init_rects(&reg, boxes, clip->n);
		pixman_image_set_clip_region32(dst, &reg);
		pixman_region32_fini(&reg);
	}
	if (alpha != 0xff)
		mask = pixman_image_create_solid_fill(&(pixman_color_t){0, 0, 0, alpha * 0x101});
	pixman_image_composite32(PIXMAN_OP_OVER, src, mask, dst, sx, sy, 0, 0, dx, dy, dw, dh);
	if (mask)
		pixman_image_unref(mask);
	pixman_image_unref(src);
	pixman_image_unref(dst);
	for (int y = SF_MAX(dy, 0); y < SF_MIN(dy + dh, FH); y++) /* the fb keeps no pad */
		for (int x = SF_MAX(dx, 0); x < SF_MIN(dx + dw, FW); x++)
			cl->fb[y * FW + x] &= 0xffffff;
}

static void draw(struct client *cl, uint16_t type, const uint8_t *p, uint32_t size)
{
	struct sf_rbuf r;
	int32_t top, left, bottom, right;
	struct clip clip = {.n = -1};
	uint32_t sid;

	sf_rbuf_init(&r, p, size);
	sid = sf_rbuf_u32(&r);
	top = (int32_t)sf_rbuf_u32(&r), left = (int32_t)sf_rbuf_u32(&r);
	bottom = (int32_t)sf_rbuf_u32(&r), right = (int32_t)sf_rbuf_u32(&r);
	if (sf_rbuf_u8(&r) == SPICE_CLIP_TYPE_RECTS) {
		clip.n = (int)sf_rbuf_u32(&r);
		if (clip.n > 64) {
			cl->undecodable = true;
			return;
		}
		for (int i = 0; i < clip.n; i++)
			for (int k = 0; k < 4; k++)
				clip.r[i][k] = (int32_t)sf_rbuf_u32(&r);
	}
	if (r.err || sid != 0)
		return;
	if (type == SPICE_MSG_DISPLAY_DRAW_FILL) {
		uint8_t brush = sf_rbuf_u8(&r);
		uint32_t color = sf_rbuf_u32(&r);
		if (brush != SPICE_BRUSH_TYPE_SOLID) {
			cl->undecodable = true;
			return;
		}
		for (int y = SF_MAX(top, 0); y < SF_MIN(bottom, FH); y++)
			for (int x = SF_MAX(left, 0); x < SF_MIN(right, FW); x++)
				if (in_clip(&clip, x, y))
					cl->fb[y * FW + x] = color & 0xffffff;
	} else if (type == SPICE_MSG_DISPLAY_DRAW_COPY ||
		   type == SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND) {
		bool blend = type == SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND, rgba = false;
		uint8_t alpha = 0xff;
		uint32_t img, w = 0, h = 0;
		if (blend) {
			(void)sf_rbuf_u8(&r); /* alpha_flags */
			alpha = sf_rbuf_u8(&r);
		}
		img = sf_rbuf_u32(&r);
		int32_t src_top = (int32_t)sf_rbuf_u32(&r), src_left = (int32_t)sf_rbuf_u32(&r);
		uint32_t *px = r.err ? NULL : image(cl, p, size, img, &w, &h, &rgba);
		if (!px) {
			cl->undecodable = true;
			return;
		}
		if (blend)
			blend_into(cl, &clip, px, w, h, rgba, alpha, src_left, src_top, left, top,
				   right - left, bottom - top);
		else
			for (int y = SF_MAX(top, 0); y < SF_MIN(bottom, FH); y++)
				for (int x = SF_MAX(left, 0); x < SF_MIN(right, FW); x++) {
					int iy = y - top + src_top, ix = x - left + src_left;
					if (in_clip(&clip, x, y) && iy >= 0 && ix >= 0 &&
					    (uint32_t)iy < h && (uint32_t)ix < w)
						cl->fb[y * FW + x] =
							px[(size_t)iy * w + (size_t)ix] & 0xffffff;
				}
		free(px);
	} else if (type == SPICE_MSG_DISPLAY_COPY_BITS) {
		int32_t sxp = (int32_t)sf_rbuf_u32(&r), syp = (int32_t)sf_rbuf_u32(&r);
		int w = right - left, h = bottom - top;
		uint32_t *tmp = malloc((size_t)SF_MAX(w * h, 1) * 4);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				tmp[y * w + x] = cl->fb[(syp + y) * FW + sxp + x];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				if (in_clip(&clip, left + x, top + y))
					cl->fb[(top + y) * FW + left + x] = tmp[y * w + x];
		free(tmp);
	} else if (type != SPICE_MSG_DISPLAY_MARK && type != SPICE_MSG_DISPLAY_SURFACE_CREATE &&
		   type != SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES &&
		   type != SPICE_MSG_DISPLAY_MONITORS_CONFIG &&
		   type != SPICE_MSG_DISPLAY_INVAL_ALL_PIXMAPS &&
		   !(type >= SPICE_MSG_DISPLAY_STREAM_CREATE &&
		     type <= SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL)) {
		/* stream frames are lossy and end with a lossless copy: skipped */
		cl->undecodable = true; /* other draws */
	}
}

static void handle(struct conn *c, uint16_t type, const uint8_t *p, uint32_t size)
{
	if (type == SPICE_MSG_PING && size >= 12) {
		send_msg(c->fd, SPICE_MSGC_PONG, p, 12);
	} else if (type == SPICE_MSG_SET_ACK && size >= 8) {
		send_msg(c->fd, SPICE_MSGC_ACK_SYNC, p, 4);
		c->window = sf_get_le32(p + 4);
		c->since_ack = 0;
		return;
	}
	if (c->window && ++c->since_ack >= c->window) {
		send_msg(c->fd, SPICE_MSGC_ACK, NULL, 0);
		c->since_ack = 0;
	}
	if (c->display && type == SPICE_MSG_DISPLAY_STREAM_DATA)
		c->cl->stream_frames++;
	if (c->display && g_verify && type >= SPICE_MSG_DISPLAY_MODE)
		draw(c->cl, type, p, size);
}

static void pump(struct conn *c)
{
	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n;
		size_t off = 0;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 1 << 17;
			c->buf = realloc(c->buf, c->cap);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			/* closed: out of the epoll set, so the drain below can end */
			close(c->fd);
			c->fd = -1;
		}
		if (n <= 0)
			return;
		c->len += (size_t)n;
		c->cl->bytes += (uint64_t)n;
		while (c->len - off >= 6) {
			uint32_t size = sf_get_le32(c->buf + off + 2);
			if (c->len - off - 6 < size) {
				if (size + 6 > c->cap) {
					c->cap = size + 65536 * 2;
					c->buf = realloc(c->buf, c->cap);
				}
				break;
			}
			handle(c, sf_get_le16(c->buf + off), c->buf + off + 6, size);
			off += 6 + size;
		}
		memmove(c->buf, c->buf + off, c->len - off);
		c->len -= off;
	}
}

static void on_sig(int s)
{
	(void)s;
	g_stop = 1;
}

/* A client that got JPEG images counts as verified at this PSNR or better
 * over the whole frame (all channels). */
#define LOSSY_MIN_PSNR 25.0

static double psnr(const uint32_t *a, const uint32_t *b)
{
	double se = 0;

	for (size_t i = 0; i < (size_t)FW * FH; i++)
		for (int k = 0; k < 24; k += 8) {
			double d = (double)((a[i] >> k) & 0xff) - ((b[i] >> k) & 0xff);
			se += d * d;
		}
	return se ? 10 * log10(255.0 * 255.0 * 3 * FW * FH / se) : INFINITY;
}

static uint32_t *load_ppm(const char *path)
{
	FILE *f = fopen(path, "rb");
	int w, h, m;
	uint32_t *fb;
	if (!f || fscanf(f, "P6 %d %d %d", &w, &h, &m) != 3 || w != FW || h != FH ||
	    fgetc(f) == EOF)
		return NULL;
	fb = malloc((size_t)FW * FH * 4);
	for (int i = 0; i < FW * FH; i++) {
		uint8_t rgb[3];
		if (fread(rgb, 1, 3, f) != 3)
			break;
		fb[i] = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
	}
	fclose(f);
	return fb;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"port", 1, 0, 'p'},  {"clients", 1, 0, 'c'},  {"verify", 1, 0, 'v'},
		{"stall", 1, 0, 's'}, {"stall-at", 1, 0, 'a'}, {"glz-window", 1, 0, 'g'},
		{0, 0, 0, 0}};
	const char *expected = NULL;
	int stall_s = 0, stall_at = 3, ep, opt;
	struct epoll_event ev, evs[256];
	uint64_t t0, min = UINT64_MAX, max = 0, sum = 0, fmin = UINT64_MAX, fsum = 0;
	bool stalled = false;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'p':
			g_port = atoi(optarg);
			break;
		case 'c':
			g_n = atoi(optarg);
			break;
		case 'v':
			expected = optarg;
			g_verify = true;
			break;
		case 's':
			stall_s = atoi(optarg);
			break;
		case 'a':
			stall_at = atoi(optarg);
			break;
		case 'g':
			g_glz_window = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	if (stall_s) /* the stalled client must read again before the end */
		stall_at = SF_MAX(stall_at, 0);
	signal(SIGPIPE, SIG_IGN);
	g_cl = calloc((size_t)g_n, sizeof(*g_cl));
	ep = epoll_create1(0);
	for (int i = 0; i < g_n; i++) {
		struct client *c = &g_cl[i];
		if (!connect_client(c)) {
			fprintf(stderr, "loadclient: client %d failed to link\n", i);
			return 1;
		}
		if (g_verify)
			c->fb = calloc((size_t)FW * FH, 4);
		for (int k = 0; k < 2; k++) {
			struct conn *cn = k ? &c->disp : &c->main;
			fcntl(cn->fd, F_SETFL, fcntl(cn->fd, F_GETFL) | O_NONBLOCK);
			ev.events = EPOLLIN;
			ev.data.ptr = cn;
			epoll_ctl(ep, EPOLL_CTL_ADD, cn->fd, &ev);
		}
	}
	fprintf(stderr, "loadclient: %d clients linked\n", g_n);
	t0 = now_ms();
	while (!g_stop) {
		int n = epoll_wait(ep, evs, 256, 100);
		uint64_t t = now_ms() - t0;
		bool stall_now = stall_s && t >= (uint64_t)stall_at * 1000 &&
				 t < (uint64_t)(stall_at + stall_s) * 1000;
		if (stall_now != stalled) {
			stalled = stall_now;
			fprintf(stderr, "loadclient: client 0 %s reading at %.1f s\n",
				stalled ? "stops" : "resumes", (double)t / 1000);
			ev.events = stalled ? 0 : EPOLLIN;
			ev.data.ptr = &g_cl[0].disp;
			epoll_ctl(ep, EPOLL_CTL_MOD, g_cl[0].disp.fd, &ev);
		}
		for (int i = 0; i < n; i++)
			pump(evs[i].data.ptr);
	}
	/* stopped: keep reading until every socket has been quiet for 3 s
	 * (bounded), so what the server sent is decoded before comparing */
	for (uint64_t quiet = now_ms(), start = quiet;
	     g_verify && now_ms() - quiet < 3000 && now_ms() - start < 300000;) {
		int n = epoll_wait(ep, evs, 256, 200);
		for (int i = 0; i < n; i++)
			pump(evs[i].data.ptr);
		if (n > 0)
			quiet = now_ms();
	}
	for (int i = 0; i < g_n; i++) {
		min = SF_MIN(min, g_cl[i].bytes);
		max = SF_MAX(max, g_cl[i].bytes);
		sum += g_cl[i].bytes;
		fmin = SF_MIN(fmin, g_cl[i].stream_frames);
		fsum += g_cl[i].stream_frames;
	}
	printf("clients=%d bytes_min=%llu bytes_avg=%llu bytes_max=%llu frames_min=%llu "
	       "frames_avg=%llu\n",
	       g_n, (unsigned long long)min, (unsigned long long)(sum / (uint64_t)SF_MAX(g_n, 1)),
	       (unsigned long long)max, (unsigned long long)(g_n ? fmin : 0),
	       (unsigned long long)(fsum / (uint64_t)SF_MAX(g_n, 1)));
	if (g_verify) {
		uint32_t *ref = load_ppm(expected);
		int ok = 0, undecodable = 0;
		uint64_t img[2] = {0, 0}, glz = 0, jpeg = 0;
		double worst = INFINITY;
		for (int i = 0; ref && i < g_n; i++) {
			img[0] += g_cl[i].images[0];
			img[1] += g_cl[i].images[1];
			glz += g_cl[i].glz_images;
			jpeg += g_cl[i].jpeg_images;
			if (g_cl[i].undecodable) {
				undecodable++;
				continue;
			}
			if (g_cl[i].jpeg_images) { /* lossy: close enough */
				double p = psnr(ref, g_cl[i].fb);
				worst = SF_MIN(worst, p);
				ok += p >= LOSSY_MIN_PSNR;
			} else {
				ok += memcmp(ref, g_cl[i].fb, (size_t)FW * FH * 4) == 0;
			}
		}
		printf("verified=%d of %d undecodable=%d quic_images=%llu glz_images=%llu "
		       "jpeg_images=%llu worst_psnr=%.1f other_compressed=%llu\n",
		       ok, g_n, undecodable, (unsigned long long)img[1], (unsigned long long)glz,
		       (unsigned long long)jpeg, worst, (unsigned long long)img[0]);
	}
	return 0;
}
