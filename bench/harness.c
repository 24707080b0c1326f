/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench/harness.c: a QXL device written only against the official <spice.h>
 * and linked to libspice-server.so.1, so the same binary runs on Saffron's
 * shim or the reference library (LD_LIBRARY_PATH picks). It waits for N
 * display clients, plays a workload of QXL commands at a fixed rate, waits
 * for the server to drain, and prints its own CPU time. A generator thread
 * synthesizes the commands ahead of the pacing; its CPU time is not the
 * server's, so it is left out of cpu_s (and printed as gen_s). server_s
 * also leaves out what the main thread spends outside the library (polling
 * and pacing: the hypervisor's loop and the guest's clock, host_s). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <spice.h>
#include "bench/pixels.h"
#include "channels/names.h"
#include "tests/host/core.h"

#define W	    800
#define H	    600
#define MIN64(a, b) ((a) < (b) ? (a) : (b))

static int display_clients;
static void channel_event(int event, SpiceChannelEventInfo *info)
{
	if (getenv("HARNESS_DEBUG"))
		fprintf(stderr, "harness: event %d type %d id %d\n", event, info->type, info->id);
	if (info->type == SPICE_CHANNEL_DISPLAY) {
		if (event == SPICE_CHANNEL_EVENT_INITIALIZED)
			display_clients++;
		else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED)
			display_clients--;
	}
}

/* ---- the QXL device ---- */
struct update {
	QXLDrawable drawable;
	QXLSurfaceCmd surface; /* QXL_CMD_SURFACE instead of the drawable */
	QXLImage image;
	QXLCommandExt ext;
	uint8_t *bitmap; /* a bitmap's pixels, or a surface's memory */
};

static QXLInstance qxl;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static struct update *queue[65536];
static unsigned qhead, qtail;
static bool want_notify;
static uint8_t *primary;
static unsigned released;

static void attached_worker(QXLInstance *qin)
{
	(void)qin;
}
static void set_compression_level(QXLInstance *qin, int level)
{
	(void)qin, (void)level;
}
static void set_mm_time(QXLInstance *qin, uint32_t mm)
{
	(void)qin, (void)mm;
}
static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
	(void)qin;
	memset(info, 0, sizeof(*info));
	info->num_memslots_groups = 1;
	info->num_memslots = 1;
	info->memslot_gen_bits = 8;
	info->memslot_id_bits = 8;
	info->n_surfaces = 2; /* the primary, one off-screen surface */
}
static int get_command(QXLInstance *qin, QXLCommandExt *ext)
{
	struct update *u = NULL;
	(void)qin;
	pthread_mutex_lock(&qlock);
	if (qhead != qtail)
		u = queue[qhead++ % 65536];
	pthread_mutex_unlock(&qlock);
	if (!u)
		return 0;
	*ext = u->ext;
	return 1;
}
static int req_cmd_notification(QXLInstance *qin)
{
	int empty;
	(void)qin;
	pthread_mutex_lock(&qlock);
	empty = qhead == qtail;
	want_notify = empty;
	pthread_mutex_unlock(&qlock);
	return empty;
}
static void release_resource(QXLInstance *qin, QXLReleaseInfoExt ext)
{
	struct update *u = (struct update *)(uintptr_t)ext.info->id;
	(void)qin;
	free(u->bitmap);
	free(u);
	__atomic_add_fetch(&released, 1, __ATOMIC_RELAXED);
}
static int get_cursor_command(QXLInstance *qin, QXLCommandExt *ext)
{
	(void)qin, (void)ext;
	return 0;
}
static int req_cursor_notification(QXLInstance *qin)
{
	(void)qin;
	return 1;
}
static void notify_update(QXLInstance *qin, uint32_t id)
{
	(void)qin, (void)id;
}
static int flush_resources(QXLInstance *qin)
{
	(void)qin;
	return 0;
}
static void async_complete(QXLInstance *qin, uint64_t cookie)
{
	(void)qin, (void)cookie;
}
static void update_area_complete(QXLInstance *qin, uint32_t sid, QXLRect *r, uint32_t n)
{
	(void)qin, (void)sid, (void)r, (void)n;
}
static void set_client_capabilities(QXLInstance *qin, uint8_t present, uint8_t *caps)
{
	(void)qin, (void)present, (void)caps;
}
static int client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc)
{
	(void)qin, (void)mc;
	return 0;
}

static QXLInterface qxl_if = {
	.base = {.type = SPICE_INTERFACE_QXL,
		 .description = "bench qxl",
		 .major_version = SPICE_INTERFACE_QXL_MAJOR,
		 .minor_version = SPICE_INTERFACE_QXL_MINOR},
	.attached_worker = attached_worker,
	.set_compression_level = set_compression_level,
	.set_mm_time = set_mm_time,
	.get_init_info = get_init_info,
	.get_command = get_command,
	.req_cmd_notification = req_cmd_notification,
	.release_resource = release_resource,
	.get_cursor_command = get_cursor_command,
	.req_cursor_notification = req_cursor_notification,
	.notify_update = notify_update,
	.flush_resources = flush_resources,
	.async_complete = async_complete,
	.update_area_complete = update_area_complete,
	.set_client_capabilities = set_client_capabilities,
	.client_monitors_config = client_monitors_config,
};

/* Commands made ahead by the generator thread, each tagged with the step
 * that made it; the pacer moves a step's commands to the device queue at
 * that step's time. At most STAGE_AHEAD steps wait, so memory stays small. */
#define STAGE_SLOTS 8192
#define STAGE_AHEAD 64
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct update *u[STAGE_SLOTS];
	unsigned step[STAGE_SLOTS];
	unsigned head, tail;
	unsigned made;		     /* steps the generator finished */
	unsigned taken;		     /* steps the pacer released */
	bool gen_waits, pacer_waits; /* so only a waiting side is signalled */
} stage = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
static _Thread_local int gen_step = -1; /* >= 0 on the generator thread */
static bool stop_gen;			/* under stage.lock */

static void kick_device(struct update *u)
{
	bool kick;
	pthread_mutex_lock(&qlock);
	queue[qtail++ % 65536] = u;
	kick = want_notify;
	want_notify = false;
	pthread_mutex_unlock(&qlock);
	if (kick) {
		host_core_meter_enter(); /* the server's work, on the guest's thread */
		spice_qxl_wakeup(&qxl);
		host_core_meter_leave();
	}
}

static void enqueue(struct update *u, uint8_t type, QXLReleaseInfo *info, void *cmd)
{
	info->id = (uintptr_t)u;
	u->ext.cmd.type = type;
	u->ext.cmd.data = (uintptr_t)cmd;
	u->ext.group_id = 0;
	if (gen_step < 0) {
		kick_device(u);
		return;
	}
	pthread_mutex_lock(&stage.lock);
	/* not reached with STAGE_AHEAD steps of a few commands each; if it
	 * were, the pacer must know to wake us, and a stop must end it */
	while (stage.tail - stage.head == STAGE_SLOTS && !stop_gen) {
		stage.gen_waits = true;
		pthread_cond_wait(&stage.cond, &stage.lock);
	}
	if (stage.tail - stage.head == STAGE_SLOTS) { /* stopping: nobody takes it */
		pthread_mutex_unlock(&stage.lock);
		free(u->bitmap);
		free(u);
		return;
	}
	stage.u[stage.tail % STAGE_SLOTS] = u;
	stage.step[stage.tail++ % STAGE_SLOTS] = (unsigned)gen_step;
	pthread_mutex_unlock(&stage.lock);
}

static void push(struct update *u)
{
	enqueue(u, QXL_CMD_DRAW, &u->drawable.release_info, &u->drawable);
}

static struct update *draw(int x, int y, int w, int h, uint8_t type)
{
	struct update *u = calloc(1, sizeof(*u));
	u->drawable.bbox = (QXLRect){.top = y, .left = x, .bottom = y + h, .right = x + w};
	u->drawable.effect = QXL_EFFECT_OPAQUE;
	u->drawable.type = type;
	u->drawable.surfaces_dest[0] = u->drawable.surfaces_dest[1] = u->drawable.surfaces_dest[2] =
		-1;
	return u;
}

static void fill_on(uint32_t sid, int x, int y, int w, int h, uint32_t color)
{
	struct update *u = draw(x, y, w, h, QXL_DRAW_FILL);
	u->drawable.surface_id = sid;
	u->drawable.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
	u->drawable.u.fill.brush.u.color = color;
	u->drawable.u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
	push(u);
}

static void fill(int x, int y, int w, int h, uint32_t color)
{
	fill_on(0, x, y, w, h, color);
}

/* Describe the direct bitmap @u->bitmap (@w x @h, @fmt, @stride bytes a
 * row, QXL_BITMAP_* @flags besides DIRECT) in @u->image; its address. */
static QXLPHYSICAL set_image(struct update *u, int w, int h, uint8_t fmt, uint8_t flags,
			     uint32_t stride, uint64_t palette)
{
	static uint32_t unique = 1;
	QXLImage *im = &u->image;

	QXL_SET_IMAGE_ID(im, QXL_IMAGE_GROUP_DEVICE, unique++);
	im->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
	im->descriptor.width = im->bitmap.x = (uint32_t)w;
	im->descriptor.height = im->bitmap.y = (uint32_t)h;
	im->bitmap.format = fmt;
	im->bitmap.flags = QXL_BITMAP_DIRECT | flags;
	im->bitmap.stride = stride;
	im->bitmap.data = (uintptr_t)u->bitmap;
	im->bitmap.palette = palette;
	return (uintptr_t)im;
}

/* Queue a DRAW_COPY of the whole image set_image() describes. */
static void push_copy(struct update *u, int w, int h, uint8_t fmt, uint8_t flags, uint32_t stride,
		      uint64_t palette)
{
	u->drawable.u.copy.src_bitmap = set_image(u, w, h, fmt, flags, stride, palette);
	u->drawable.u.copy.src_area = (QXLRect){.right = w, .bottom = h};
	u->drawable.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
	push(u);
}

/* A direct 32-bit bitmap copy, as QEMU's VGA path sends them. */
static void copy(int x, int y, int w, int h, uint32_t (*px)(int, int, uint32_t), uint32_t seed)
{
	struct update *u = draw(x, y, w, h, QXL_DRAW_COPY);
	u->bitmap = malloc((size_t)w * h * 4);
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			((uint32_t *)u->bitmap)[j * w + i] = px(i, j, seed);
	push_copy(u, w, h, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_TOP_DOWN, (uint32_t)w * 4, 0);
}

/* A pixel of @v (x8r8g8b8) in bitmap format @fmt at @p; 8-bit uses the
 * 3-3-2 palette of formats_palette(). */
static void put_pixel(uint8_t *p, uint8_t fmt, uint32_t v)
{
	uint32_t r = v >> 16 & 0xff, g = v >> 8 & 0xff, b = v & 0xff;
	uint16_t v16 = (uint16_t)((r >> 3) << 10 | (g >> 3) << 5 | b >> 3);

	switch (fmt) {
	case SPICE_BITMAP_FMT_16BIT: /* x1r5g5b5 */
		p[0] = (uint8_t)v16, p[1] = (uint8_t)(v16 >> 8);
		break;
	case SPICE_BITMAP_FMT_24BIT:
		p[0] = (uint8_t)b, p[1] = (uint8_t)g, p[2] = (uint8_t)r;
		break;
	case SPICE_BITMAP_FMT_8BIT:
		p[0] = (uint8_t)((r >> 5) << 5 | (g >> 5) << 2 | b >> 6);
		break;
	default:
		memcpy(p, &v, 4);
	}
}

static QXLPalette *formats_palette(void)
{
	static QXLPalette *pal;

	if (!pal) {
		pal = calloc(1, sizeof(*pal) + 256 * sizeof(uint32_t));
		pal->num_ents = 256;
		for (uint32_t i = 0; i < 256; i++)
			pal->ents[i] = (i >> 5) * 255 / 7 << 16 | ((i >> 2) & 7) * 255 / 7 << 8 |
				       (i & 3) * 255 / 3;
	}
	return pal;
}

/* A bitmap copy in a guest format other than 32-bit: padded stride, rows
 * top-down or bottom-up, as QXL drivers send them. */
static void copy_fmt(int x, int y, int w, int h, uint8_t fmt, bool top_down,
		     uint32_t (*px)(int, int, uint32_t), uint32_t seed)
{
	unsigned bytes = fmt == SPICE_BITMAP_FMT_16BIT	 ? 2
			 : fmt == SPICE_BITMAP_FMT_24BIT ? 3
			 : fmt == SPICE_BITMAP_FMT_8BIT	 ? 1
							 : 4;
	uint32_t stride = ((uint32_t)w * bytes + 3 + (seed % 3) * 4) & ~3u;
	struct update *u = draw(x, y, w, h, QXL_DRAW_COPY);

	u->bitmap = calloc((size_t)stride * h, 1);
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			put_pixel(u->bitmap + (size_t)(top_down ? j : h - 1 - j) * stride +
					  (size_t)i * bytes,
				  fmt, px(i, j, seed));
	push_copy(u, w, h, fmt, top_down ? QXL_BITMAP_TOP_DOWN : 0, stride,
		  fmt == SPICE_BITMAP_FMT_8BIT ? (uintptr_t)formats_palette() : 0);
}

/* An ALPHA_BLEND over what earlier steps drew, as drivers send for
 * translucent windows: a premultiplied RGBA bitmap whose alpha rises left to
 * right, or (@rgba false) an opaque 32-bit one at 60% overall. A source
 * @sw x @sh other than @w x @h is stretched (spice-gtk: nearest). */
static void blend(int x, int y, int w, int h, int sw, int sh, uint32_t (*px)(int, int, uint32_t),
		  uint32_t seed, bool rgba)
{
	struct update *u = draw(x, y, w, h, QXL_DRAW_ALPHA_BLEND);
	QXLAlphaBlend *ab = &u->drawable.u.alpha_blend;

	u->drawable.effect = QXL_EFFECT_BLEND; /* not opaque: it shows what is under it */
	u->bitmap = malloc((size_t)sw * sh * 4);
	for (int j = 0; j < sh; j++)
		for (int i = 0; i < sw; i++) {
			uint32_t v = px(i, j, seed),
				 a = rgba ? (uint32_t)(i * 255 / (sw > 1 ? sw - 1 : 1)) : 0xff,
				 pm = 0;
			for (int k = 0; k < 24; k += 8)
				pm |= ((v >> k & 0xff) * a / 255) << k;
			((uint32_t *)u->bitmap)[j * sw + i] = a << 24 | pm;
		}
	ab->alpha = rgba ? 0xff : 0x99;
	ab->src_area = (QXLRect){.right = sw, .bottom = sh};
	ab->src_bitmap = set_image(u, sw, sh, rgba ? SPICE_BITMAP_FMT_RGBA : SPICE_BITMAP_FMT_32BIT,
				   QXL_BITMAP_TOP_DOWN, (uint32_t)sw * 4, 0);
	push(u);
}

/* A 32-bit @sw x @sh bitmap stretched onto @w x @h, as StretchBlt sends
 * it: the area (1, 1) to the bitmap's end, @mode nearest or interpolate. */
static void copy_scaled(int x, int y, int w, int h, int sw, int sh,
			uint32_t (*px)(int, int, uint32_t), uint32_t seed, uint8_t mode)
{
	struct update *u = draw(x, y, w, h, QXL_DRAW_COPY);

	u->bitmap = malloc((size_t)sw * sh * 4);
	for (int j = 0; j < sh; j++)
		for (int i = 0; i < sw; i++)
			((uint32_t *)u->bitmap)[j * sw + i] = px(i, j, seed);
	u->drawable.u.copy.src_bitmap = set_image(u, sw, sh, SPICE_BITMAP_FMT_32BIT,
						  QXL_BITMAP_TOP_DOWN, (uint32_t)sw * 4, 0);
	u->drawable.u.copy.src_area = (QXLRect){.left = 1, .top = 1, .right = sw, .bottom = sh};
	u->drawable.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
	u->drawable.u.copy.scale_mode = mode;
	push(u);
}

/* A solid fill through SPICE_ROPD_* @ropd (XOR carets, inverted
 * selections, as Windows drivers send them), or QXL_DRAW_INVERS for 0. */
static void fill_rop(int x, int y, int w, int h, uint32_t color, uint16_t ropd)
{
	struct update *u = draw(x, y, w, h, ropd ? QXL_DRAW_FILL : QXL_DRAW_INVERS);

	u->drawable.effect = QXL_EFFECT_BLEND; /* reads the destination */
	if (ropd) {
		u->drawable.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
		u->drawable.u.fill.brush.u.color = color;
		u->drawable.u.fill.rop_descriptor = ropd;
	}
	push(u);
}

/* A colour-keyed copy (QXL_DRAW_TRANSPARENT): glyphs whose background,
 * @key, lets what is under them show, stretched when @sw differs from @w. */
static void transparent(int x, int y, int w, int h, int sw, uint32_t key, uint32_t seed)
{
	struct update *u = draw(x, y, w, h, QXL_DRAW_TRANSPARENT);
	QXLTransparent *tr = &u->drawable.u.transparent;

	u->drawable.effect = QXL_EFFECT_BLEND;
	u->bitmap = malloc((size_t)sw * h * 4);
	for (int j = 0; j < h; j++)
		for (int i = 0; i < sw; i++)
			((uint32_t *)u->bitmap)[j * sw + i] = bench_glyphs(i, j % 12, seed);
	tr->src_bitmap = set_image(u, sw, h, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_TOP_DOWN,
				   (uint32_t)sw * 4, 0);
	tr->src_area = (QXLRect){.right = sw, .bottom = h};
	tr->src_color = tr->true_color = key;
	push(u);
}

/* An icon as Windows draws one: a mask through SRCAND (QXL_DRAW_BLEND,
 * OP_AND), then the picture through SRCPAINT (OP_OR). */
static void icon(int x, int y, int n, uint32_t seed)
{
	for (int pass = 0; pass < 2; pass++) {
		struct update *u = draw(x, y, n, n, QXL_DRAW_BLEND);
		u->drawable.effect = QXL_EFFECT_BLEND;
		u->bitmap = malloc((size_t)n * n * 4);
		for (int j = 0; j < n; j++)
			for (int i = 0; i < n; i++) {
				int dx = 2 * i - n, dy = 2 * j - n;
				bool in = dx * dx + dy * dy < n * n;
				((uint32_t *)u->bitmap)[j * n + i] =
					pass ? (in ? bench_photo(i, j, seed) : 0)
					     : (in ? 0 : 0xffffff);
			}
		u->drawable.u.blend.src_bitmap = set_image(u, n, n, SPICE_BITMAP_FMT_32BIT,
							   QXL_BITMAP_TOP_DOWN, (uint32_t)n * 4, 0);
		u->drawable.u.blend.src_area = (QXLRect){.right = n, .bottom = n};
		u->drawable.u.blend.rop_descriptor = pass ? SPICE_ROPD_OP_OR : SPICE_ROPD_OP_AND;
		push(u);
	}
}

/* Create off-screen surface @id, @w x @h xRGB, in memory the create
 * command owns (freed when the server releases it, at destroy). */
static void surface_create(uint32_t id, int w, int h)
{
	struct update *u = calloc(1, sizeof(*u));
	QXLSurfaceCmd *sc = &u->surface;

	u->bitmap = calloc((size_t)w * h, 4);
	sc->surface_id = id;
	sc->type = QXL_SURFACE_CMD_CREATE;
	sc->u.surface_create = (QXLSurface){.format = SPICE_SURFACE_FMT_32_xRGB,
					    .width = (uint32_t)w,
					    .height = (uint32_t)h,
					    .stride = w * 4,
					    .data = (uintptr_t)u->bitmap};
	enqueue(u, QXL_CMD_SURFACE, &sc->release_info, sc);
}

/* A COPY from surface @sid's area at (@sx, @sy), as X's qxl driver puts
 * pixmaps on screen; the drawable names the surface it depends on. */
static void copy_from_surface(uint32_t sid, int sx, int sy, int x, int y, int w, int h)
{
	struct update *u = draw(x, y, w, h, QXL_DRAW_COPY);
	QXLImage *im = &u->image;

	im->descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
	im->descriptor.width = (uint32_t)w;
	im->descriptor.height = (uint32_t)h;
	im->surface_image.surface_id = sid;
	u->drawable.surfaces_dest[0] = (int32_t)sid;
	u->drawable.surfaces_rects[0] =
		(QXLRect){.left = sx, .top = sy, .right = sx + w, .bottom = sy + h};
	u->drawable.u.copy.src_bitmap = (uintptr_t)im;
	u->drawable.u.copy.src_area = u->drawable.surfaces_rects[0];
	u->drawable.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
	push(u);
}

/* The "formats" workload: every guest format and kind at odd widths; one
 * command in eight is an alpha blend across earlier copies (one blend in
 * four stretched), one in eight a stretched copy (nearest, interpolated),
 * one in eight a copy from an off-screen surface drawn on just before, and
 * one in eight adds a raster-op fill, one a colour-keyed copy and one a
 * masked icon (raster-op copies) over what is there. */
static void formats_step(unsigned i)
{
	static const uint8_t fmts[] = {SPICE_BITMAP_FMT_16BIT, SPICE_BITMAP_FMT_24BIT,
				       SPICE_BITMAP_FMT_8BIT, SPICE_BITMAP_FMT_32BIT};
	static const int widths[] = {1, 3, 7, 33, 100, 257};
	static uint32_t (*const kinds[])(int, int, uint32_t) = {bench_glyphs, bench_photo,
								bench_frame};
	int w = widths[(i / 12) % 6], h = 5 + (int)(i % 5) * 9;

	if (i % 8 == 7) {
		int bw = 120 + (int)i % 37, bh = 40 + (int)i % 11, s = (i / 8) % 4 == 1 ? 2 : 1;
		blend((int)(i / 8 % 7) * 100 + 50, (int)(i / 8 % 12) * 48 + 10, bw, bh, bw / s,
		      bh / s, kinds[(i / 8) % 3], i, (i / 8) % 4 != 3);
		return;
	}
	if (i == 0) { /* an off-screen surface, drawn on, copied from below */
		surface_create(1, 128, 96);
		fill_on(1, 0, 0, 128, 96, 0x336699);
	}
	if (i % 8 == 5) { /* surface 1 changes, then part of it goes on screen */
		fill_on(1, (int)(i % 5) * 20, (int)(i % 3) * 24, 40, 30,
			bench_hash32(i) & 0xffffff);
		copy_from_surface(1, (int)(i % 4) * 16, (int)(i % 3) * 12,
				  (int)(i / 8 % 7) * 100 + 30, (int)(i / 8 % 12) * 48 + 6, 64, 48);
		return;
	}
	if (i % 8 == 1) { /* raster-op fills across what is there */
		static const uint16_t ropds[] = {
			SPICE_ROPD_OP_XOR,
			SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_RES,
			SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_BRUSH,
			0, /* invert */
			SPICE_ROPD_OP_XOR | SPICE_ROPD_INVERS_RES,
			SPICE_ROPD_OP_PUT | SPICE_ROPD_INVERS_BRUSH,
		};
		fill_rop((int)(i / 8 % 7) * 100 + 10, (int)(i / 8 % 12) * 48 + 2, 90, 30,
			 bench_hash32(i) & 0xffffff, ropds[(i / 8) % 6]);
	}
	if (i % 8 == 2) /* an icon masked over what is there */
		icon((int)(i / 8 % 7) * 100 + 60, (int)(i / 8 % 12) * 48 + 8, 32, i);
	if (i % 8 == 6) /* glyphs over what is there, one in four stretched */
		transparent((int)(i / 8 % 7) * 100 + 15, (int)(i / 8 % 12) * 48 + 20, 80, 24,
			    (i / 8) % 4 ? 80 : 53, 0xf0f0f0, i);
	if (i % 8 == 3) { /* up by 7/3 or down by 3/5 */
		bool up = (i / 8) % 2;
		copy_scaled((int)(i / 8 % 7) * 100 + 20, (int)(i / 8 % 12) * 48 + 4, up ? 70 : 60,
			    up ? 35 : 24, up ? 31 : 101, up ? 16 : 41, kinds[(i / 8) % 3], i,
			    (i / 16) % 2 ? SPICE_IMAGE_SCALE_MODE_INTERPOLATE
					 : SPICE_IMAGE_SCALE_MODE_NEAREST);
		return;
	}
	copy_fmt((int)(i % 8) * 100, (int)(i / 8 % 12) * 48, w, h, fmts[i % 4], (i / 4) % 2,
		 kinds[(i / 4) % 3], i);
}

/* Issue command number @i of @workload. */
static void step(const char *workload, unsigned i)
{
	uint32_t r = bench_hash32(i + 1);
	if (strcmp(workload, "office") == 0) {
		if (i % 2)
			fill((int)(r % (W - 64)), (int)((r >> 12) % (H - 32)), 8 + (int)(r % 56),
			     8 + (int)((r >> 8) % 24), bench_hash32(r) & 0xffffff);
		else
			copy((int)(r % (W - 240)), (int)((r >> 12) % (H - 12)), 240, 12,
			     bench_glyphs, r);
	} else if (strcmp(workload, "bitmap") == 0) {
		copy((int)(r % (W - 256)), (int)((r >> 12) % (H - 256)), 256, 256, bench_photo, i);
	} else if (strcmp(workload, "formats") == 0) {
		formats_step(i);
	} else if (strcmp(workload, "blend") == 0) { /* translucent photo tiles */
		blend((int)(r % (W - 256)), (int)((r >> 12) % (H - 256)), 256, 256, 256, 256,
		      bench_photo, i, true);
	} else {
		copy(80, 120, 640, 360, bench_frame, i);
	}
}

static int rate_of(const char *workload)
{
	return strcmp(workload, "office") == 0 ? 500
	       : strcmp(workload, "bitmap") == 0 || strcmp(workload, "formats") == 0 ||
			       strcmp(workload, "blend") == 0
		       ? 100
		       : 30;
}

static volatile sig_atomic_t stop;
static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

struct gen_args {
	const char *workload;
	unsigned count;
	double cpu_s; /* out: the thread's CPU time */
};

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *generator(void *arg)
{
	struct gen_args *g = arg;

	for (unsigned i = 0; i < g->count; i++) {
		bool quit;

		pthread_mutex_lock(&stage.lock);
		/* once full, wait until half is taken: one wakeup per
		 * STAGE_AHEAD / 2 steps, not one per step */
		if (stage.made - stage.taken >= STAGE_AHEAD)
			while (stage.made - stage.taken > STAGE_AHEAD / 2 && !stop_gen) {
				stage.gen_waits = true;
				pthread_cond_wait(&stage.cond, &stage.lock);
			}
		stage.gen_waits = false;
		quit = stop_gen;
		pthread_mutex_unlock(&stage.lock);
		if (quit)
			break;
		gen_step = (int)i;
		step(g->workload, i);
		pthread_mutex_lock(&stage.lock);
		stage.made = i + 1;
		if (stage.pacer_waits)
			pthread_cond_broadcast(&stage.cond);
		pthread_mutex_unlock(&stage.lock);
	}
	g->cpu_s = thread_cpu_s();
	return NULL;
}

/* Hand step @i's commands to the device, waiting for the generator if it
 * is behind (it runs ahead unless the machine is saturated). */
static void release_step(unsigned i)
{
	pthread_mutex_lock(&stage.lock);
	while (stage.made <= i && !stop) {
		stage.pacer_waits = true;
		pthread_cond_wait(&stage.cond, &stage.lock);
	}
	stage.pacer_waits = false;
	while (stage.head != stage.tail && stage.step[stage.head % STAGE_SLOTS] == i) {
		struct update *u = stage.u[stage.head++ % STAGE_SLOTS];
		pthread_mutex_unlock(&stage.lock);
		kick_device(u);
		pthread_mutex_lock(&stage.lock);
	}
	stage.taken = i + 1;
	if (stage.gen_waits && stage.made - stage.taken <= STAGE_AHEAD / 2)
		pthread_cond_broadcast(&stage.cond);
	pthread_mutex_unlock(&stage.lock);
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void write_ppm(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fprintf(f, "P6\n%d %d\n255\n", W, H);
	for (int i = 0; i < W * H; i++) {
		uint8_t *p = primary + (size_t)i * 4, rgb[3] = {p[2], p[1], p[0]};
		fwrite(rgb, 1, 3, f);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *workload = "office", *dump = NULL, *compression = NULL, *jpeg = NULL;
	int port = 5900, clients = 1, count = 1000, wait_s = 120;
	static const struct option lo[] = {
		{"port", 1, 0, 'p'},	    {"clients", 1, 0, 'c'}, {"workload", 1, 0, 'w'},
		{"count", 1, 0, 'n'},	    {"dump", 1, 0, 'd'},    {"wait", 1, 0, 't'},
		{"compression", 1, 0, 'z'}, {"jpeg", 1, 0, 'j'},    {0, 0, 0, 0}};
	int c;
	SpiceServer *s;
	QXLDevMemSlot slot = {.slot_group_id = 0, .slot_id = 0, .virt_end = ~(uintptr_t)0};
	QXLDevSurfaceCreate surf = {.width = W,
				    .height = H,
				    .stride = W * 4,
				    .format = SPICE_SURFACE_FMT_32_xRGB,
				    .mouse_mode = 1};
	double cpu0, cpu1, main0, main1, met0, met1, host_s;
	uint64_t t0, t1, next;
	struct gen_args gen;
	pthread_t gen_thread;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'c':
			clients = atoi(optarg);
			break;
		case 'w':
			workload = optarg;
			break;
		case 'n':
			count = atoi(optarg);
			break;
		case 'd':
			dump = optarg;
			break;
		case 't':
			wait_s = atoi(optarg);
			break;
		case 'z':
			compression = optarg;
			break;
		case 'j': /* QEMU's jpeg-wan-compression=: auto, never, always */
			jpeg = optarg;
			break;
		default:
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_sig);
	s = spice_server_new();
	spice_server_set_port(s, port);
	spice_server_set_addr(s, "127.0.0.1", 0);
	spice_server_set_noauth(s);
	if (compression &&
	    (sf_image_compression_from_name(compression) < 0 ||
	     spice_server_set_image_compression(
		     s, (SpiceImageCompression)sf_image_compression_from_name(compression)) < 0)) {
		fprintf(stderr, "harness: bad --compression %s\n", compression);
		return 2;
	}
	if (jpeg && (sf_wan_compression_from_name(jpeg) < 0 ||
		     spice_server_set_jpeg_compression(
			     s, (spice_wan_compression_t)sf_wan_compression_from_name(jpeg)) < 0)) {
		fprintf(stderr, "harness: bad --jpeg %s\n", jpeg);
		return 2;
	}
	if (spice_server_init(s, host_core(channel_event)) < 0) {
		fprintf(stderr, "harness: spice_server_init failed\n");
		return 1;
	}
	qxl.base.sif = &qxl_if.base;
	qxl.id = 0;
	if (spice_server_add_interface(s, &qxl.base) < 0)
		return 1;
	spice_server_vm_start(s);
	spice_qxl_add_memslot(&qxl, &slot);
	primary = calloc((size_t)W * H, 4);
	surf.mem = (uintptr_t)primary;
	spice_qxl_create_primary_surface(&qxl, 0, &surf);
	fill(0, 0, W, H, 0x204060);
	fprintf(stderr, "harness: ready on port %d, waiting for %d display clients\n", port,
		clients);
	for (t0 = host_now_ms();
	     display_clients < clients && !stop && host_now_ms() - t0 < (uint64_t)wait_s * 1000;)
		host_core_iterate(50);
	if (display_clients < clients)
		fprintf(stderr, "harness: only %d of %d clients connected\n", display_clients,
			clients);
	for (t0 = host_now_ms();
	     host_now_ms() - t0 < 2000 && !stop;) /* let initial frames go out */
		host_core_iterate(20);
	gen.workload = workload;
	gen.count = (unsigned)count;
	if (pthread_create(&gen_thread, NULL, generator, &gen) != 0)
		return 1;
	fprintf(stderr, "harness: workload starts\n"); /* a cue for profilers */
	cpu0 = cpu_s();
	main0 = thread_cpu_s();
	met0 = host_core_metered_s();
	t0 = next = host_now_ms();
	for (unsigned i = 0; i < (unsigned)count && !stop;) {
		if (host_now_ms() >= next) {
			release_step(i++);
			next = t0 + (uint64_t)i * 1000 / (uint64_t)rate_of(workload);
		}
		host_core_iterate((int)(next > host_now_ms() ? next - host_now_ms() : 0));
	}
	/* drain: the server pulled every command (spice-server keeps drawables
	 * in its tree, so releases are no signal), then 2 s for the sends */
	for (t1 = host_now_ms(); host_now_ms() - t1 < 60000;) {
		bool empty;
		pthread_mutex_lock(&qlock);
		empty = qhead == qtail;
		pthread_mutex_unlock(&qlock);
		if (empty)
			break;
		host_core_iterate(10);
	}
	for (t1 = host_now_ms(); host_now_ms() - t1 < 2000;)
		host_core_iterate(10);
	cpu1 = cpu_s();
	main1 = thread_cpu_s();
	met1 = host_core_metered_s();
	host_s = (main1 - main0) - (met1 - met0);
	pthread_mutex_lock(&stage.lock);
	stop_gen = true;
	pthread_cond_broadcast(&stage.cond);
	pthread_mutex_unlock(&stage.lock);
	pthread_join(gen_thread, NULL);
	if (dump) {
		QXLRect all = {.right = W, .bottom = H}, dirty;
		spice_qxl_update_area(&qxl, 0, &all, &dirty, 1, 0);
		write_ppm(dump);
	}
	printf("workload=%s clients=%d connected=%d commands=%d cpu_s=%.3f wall_s=%.2f "
	       "gen_s=%.3f host_s=%.3f server_s=%.3f\n",
	       workload, clients, display_clients, count, cpu1 - cpu0 - gen.cpu_s,
	       (double)(host_now_ms() - t0) / 1000.0, gen.cpu_s, host_s,
	       cpu1 - cpu0 - gen.cpu_s - host_s);
	fflush(stdout);
	while (!stop) /* keep serving until the driver stops us */
		host_core_iterate(50);
	return 0;
}
