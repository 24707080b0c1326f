/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/display.c: the producer. Owns surfaces, cursor state and the list
 * of clients (display and cursor pipes); every field below "producer only" is
 * touched on the producer thread alone, other threads reach it through tasks.
 *
 * Client lifetime: a client is referenced by its connection (dropped in
 * on_close, after which the connection never calls back), by the producer's
 * list, and by every queued task. The last reference frees it. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <spice/enums.h>
#include "channels/display-priv.h"
#include "channels/marshal.h"
#include "channels/surface.h"
#include "encoders/glz.h"
#include "migrate/data.h"
#include "engine/clock.h"
#include "engine/log.h"
#include "engine/thread.h"

SF_LOG_TOPIC("display");

#define CMD_BATCH	256
#define MAX_SURFACE_DIM 8192
#define MAX_CURSOR_DIM	512
#define DEFAULT_BACKLOG (16u << 20)

static void send_surfaces(struct sf_display *d, struct client *c, bool create)
{
	for (uint32_t i = 0; i < SF_DISPLAY_MAX_SURFACES; i++) {
		const struct sf_image *img;
		if (!d->surfaces[i])
			continue;
		img = sf_surface_image(d->surfaces[i]);
		if (create)
			sf_dpy_send_one(c, sf_marshal_surface_create(
						   i, img->width, img->height,
						   SPICE_SURFACE_FMT_32_xRGB,
						   i == 0 ? SPICE_SURFACE_FLAGS_PRIMARY : 0));
		sf_dpy_send_snapshot(d, c, i);
	}
	if (create && d->surfaces[0])
		sf_dpy_send_one(c, sf_marshal_mark());
}

static void send_cursor_state(struct sf_display *d, struct client *c, bool init)
{
	struct sf_image *shape = d->cursor;

	if (init)
		sf_dpy_send_one(c, sf_marshal_cursor_init(d->cur_x, d->cur_y, d->cursor_visible,
							  shape, d->hot_x, d->hot_y));
	else
		sf_dpy_send_one(c, sf_marshal_cursor_set(d->cur_x, d->cur_y, d->cursor_visible,
							 shape, d->hot_x, d->hot_y));
}

/* ---- command handling (producer) ---- */

static bool bad(struct sf_display *d, const struct sf_cmd *cmd, const char *why)
{
	d->stats.rejected++;
	if (sf_ratelimit_test(&d->rl))
		sf_log_warn("%p: display %u: rejected command %d on surface %u: %s", (void *)d,
			    d->id, cmd->type, cmd->surface_id, why);
	return false;
}

static struct sf_surface *target(struct sf_display *d, const struct sf_cmd *cmd)
{
	if (cmd->surface_id >= SF_DISPLAY_MAX_SURFACES || !d->surfaces[cmd->surface_id])
		return NULL;
	if (!sf_surface_contains(d->surfaces[cmd->surface_id], &cmd->rect))
		return NULL;
	return d->surfaces[cmd->surface_id];
}

static bool image_covers(const struct sf_image *img, const struct sf_rect *r, int32_t x, int32_t y,
			 bool rgba_ok)
{
	return img &&
	       (img->format == SPICE_BITMAP_FMT_32BIT ||
		(rgba_ok && img->format == SPICE_BITMAP_FMT_RGBA)) &&
	       x >= 0 && y >= 0 && (int64_t)x + sf_rect_w(r) <= img->width &&
	       (int64_t)y + sf_rect_h(r) <= img->height;
}

/* ---- monitors and client capabilities (producer) ---- */

static void send_monitors(struct sf_display *d, struct client *c)
{
	if (d->monitors && c->kind == K_DISPLAY &&
	    sf_chan_test_cap(c->chan, SPICE_DISPLAY_CAP_MONITORS_CONFIG))
		sf_dpy_push(c, d->monitors);
}

static void set_monitors(struct sf_display *d, const struct sf_head *heads, uint16_t count,
			 uint16_t max_allowed)
{
	struct sf_buf *b = sf_marshal_monitors_config(heads, count, max_allowed);

	if (!b)
		return;
	sf_buf_unref(d->monitors);
	d->monitors = b;
	for (struct client *c = d->clients; c; c = c->next)
		send_monitors(d, c);
}

void sf_display_set_monitors(struct sf_display *d, const struct sf_head *heads, uint16_t count,
			     uint16_t max_allowed)
{
	SF_ASSERT_THREAD(SF_THREAD_PRODUCER);
	d->guest_monitors = true;
	set_monitors(d, heads, count, max_allowed);
}

/* The caps the guest may rely on, as spice-server reports them. */
#define GUEST_VISIBLE_CAPS                                                                         \
	(1u << SPICE_DISPLAY_CAP_SIZED_STREAM | 1u << SPICE_DISPLAY_CAP_MONITORS_CONFIG |          \
	 1u << SPICE_DISPLAY_CAP_COMPOSITE | 1u << SPICE_DISPLAY_CAP_A8_SURFACE)

static void update_client_caps(struct sf_display *d)
{
	uint32_t caps = GUEST_VISIBLE_CAPS;
	bool present = false;

	if (!d->ops->client_caps || atomic_load_explicit(&d->paused, memory_order_relaxed))
		return;
	for (struct client *c = d->clients; c; c = c->next) {
		if (c->kind != K_DISPLAY)
			continue;
		present = true;
		for (unsigned bit = 0; bit < 32; bit++)
			if ((caps >> bit & 1) && !sf_chan_test_cap(c->chan, bit))
				caps &= ~(1u << bit);
	}
	if (!present)
		caps = 0;
	if (d->caps_known && present == d->caps_present && caps == d->caps)
		return;
	d->caps_known = true;
	d->caps_present = present;
	d->caps = caps;
	d->ops->client_caps(d->opaque, present, caps);
}

static bool do_surface_create(struct sf_display *d, const struct sf_cmd *cmd)
{
	uint32_t id = cmd->surface_id;

	if (id >= SF_DISPLAY_MAX_SURFACES || d->surfaces[id])
		return bad(d, cmd, "bad or existing surface id");
	if (!cmd->width || !cmd->height || cmd->width > MAX_SURFACE_DIM ||
	    cmd->height > MAX_SURFACE_DIM)
		return bad(d, cmd, "bad surface size");
	d->surfaces[id] = cmd->mem ? sf_surface_create_external(cmd->width, cmd->height, cmd->mem,
								cmd->stride, cmd->keep_data)
				   : sf_surface_create(cmd->width, cmd->height);
	if (!d->surfaces[id])
		return bad(d, cmd, "out of memory");
	if (id == 0)
		d->gen++;
	sf_dpy_fanout(d, K_DISPLAY,
		      sf_marshal_surface_create(id, cmd->width, cmd->height,
						SPICE_SURFACE_FMT_32_xRGB,
						id == 0 ? SPICE_SURFACE_FLAGS_PRIMARY : 0));
	/* a surface QEMU recreates on a migration target already shows the
	 * guest's picture; clients attached before it (the migrated one)
	 * would otherwise see it blank until redrawn */
	if (cmd->keep_data && cmd->mem)
		for (struct client *c = d->clients; c; c = c->next)
			if (sf_dpy_client_ready(d, c, K_DISPLAY))
				sf_dpy_send_snapshot(d, c, id);
	if (id == 0)
		sf_dpy_fanout(d, K_DISPLAY, sf_marshal_mark());
	if (id == 0 && !d->guest_monitors) {
		struct sf_head h = {.width = cmd->width, .height = cmd->height};
		set_monitors(d, &h, 1, 1);
	}
	return true;
}

static bool do_surface_destroy(struct sf_display *d, const struct sf_cmd *cmd)
{
	uint32_t id = cmd->surface_id;

	if (id >= SF_DISPLAY_MAX_SURFACES || !d->surfaces[id])
		return bad(d, cmd, "no such surface");
	if (id == 0)
		sf_stream_stop(d, false);
	sf_surface_destroy(d->surfaces[id]);
	d->surfaces[id] = NULL;
	sf_dpy_occlusion_forget(d);
	if (id == 0)
		d->gen++;
	sf_dpy_fanout(d, K_DISPLAY, sf_marshal_surface_destroy(id));
	return true;
}

/* The area a COPY or BLEND reads from its source surface, copied now, in
 * command order (the source may be the target, overlapping), or NULL. */
static struct sf_image *surface_source(struct sf_display *d, const struct sf_cmd *cmd)
{
	uint32_t w = (uint32_t)sf_rect_w(&cmd->rect), h = (uint32_t)sf_rect_h(&cmd->rect);
	struct sf_rect src = {cmd->src_x, cmd->src_y, cmd->src_x + (int32_t)w,
			      cmd->src_y + (int32_t)h};
	const struct sf_image *si;

	if (cmd->src_surface >= SF_DISPLAY_MAX_SURFACES || !d->surfaces[cmd->src_surface] ||
	    !sf_surface_contains(d->surfaces[cmd->src_surface], &src))
		return NULL;
	si = sf_surface_image(d->surfaces[cmd->src_surface]);
	return sf_image_copy(si, (uint32_t)cmd->src_x, (uint32_t)cmd->src_y, w, h);
}

static bool do_draw(struct sf_display *d, const struct sf_cmd *cmd)
{
	struct sf_surface *s = target(d, cmd);
	struct sf_rect src;
	struct sf_buf *b = NULL;
	uint64_t now;

	if (!s)
		return bad(d, cmd, "no such surface or rectangle outside it");
	if (cmd->from_surface && (cmd->type == SF_CMD_COPY || cmd->type == SF_CMD_BLEND ||
				  cmd->type == SF_CMD_COPY_ROP)) {
		/* clients get the pixels, as for a bitmap: always exact, and no
		 * draw on the source surface is pinned in their pipes */
		struct sf_cmd c = *cmd;
		bool ok;
		c.image = surface_source(d, cmd);
		if (!c.image)
			return bad(d, cmd, "no such source surface or area outside it");
		c.from_surface = false;
		c.src_x = c.src_y = 0;
		ok = do_draw(d, &c);
		sf_image_unref(c.image);
		return ok;
	}
	sf_stream_before_draw(d, cmd);
	switch (cmd->type) {
	case SF_CMD_FILL:
		sf_surface_fill(s, &cmd->rect, cmd->color);
		b = sf_marshal_fill(cmd->surface_id, &cmd->rect, cmd->color);
		sf_dpy_occlusion_cover(d, cmd->surface_id, &cmd->rect);
		sf_dpy_occlusion_add(d, cmd->surface_id, &cmd->rect,
				     (struct sf_buf *[SF_CODECS]){b});
		break;
	case SF_CMD_COPY:
		if (!image_covers(cmd->image, &cmd->rect, cmd->src_x, cmd->src_y, false))
			return bad(d, cmd, "source outside image");
		sf_surface_copy(s, &cmd->rect, cmd->image, cmd->src_x, cmd->src_y);
		if (cmd->surface_id == 0)
			d->gen++;
		now = sf_clock_now_ns();
		if (sf_stream_detect(d, cmd, now))
			sf_stream_frame(d, cmd, now);
		else
			sf_dpy_fanout_copy(d, cmd->surface_id, &cmd->rect, cmd->image, cmd->src_x,
					   cmd->src_y, false);
		return true;
	case SF_CMD_BLEND:
		if (!image_covers(cmd->image, &cmd->rect, cmd->src_x, cmd->src_y, true))
			return bad(d, cmd, "source outside image");
		if (!cmd->alpha)
			return true; /* draws nothing, as on the client */
		sf_surface_blend(s, &cmd->rect, cmd->image, cmd->src_x, cmd->src_y, cmd->alpha);
		sf_dpy_fanout_reading(d, cmd);
		break;
	case SF_CMD_COPY_ROP:
		if (!image_covers(cmd->image, &cmd->rect, cmd->src_x, cmd->src_y, false))
			return bad(d, cmd, "source outside image");
		sf_surface_copy_rop(s, &cmd->rect, cmd->image, cmd->src_x, cmd->src_y,
				    (enum sf_rop)cmd->rop);
		sf_dpy_fanout_reading(d, cmd);
		break;
	case SF_CMD_FILL_ROP: /* reads what is under it: obsoletes nothing (see fanout_reading) */
		sf_surface_fill_rop(s, &cmd->rect, cmd->color, (enum sf_rop)cmd->rop);
		b = sf_marshal_fill_rop(cmd->surface_id, &cmd->rect, cmd->color, cmd->ropd);
		sf_dpy_occlusion_add(d, cmd->surface_id, &cmd->rect,
				     (struct sf_buf *[SF_CODECS]){b});
		break;
	case SF_CMD_COPY_BITS:
		src = (struct sf_rect){cmd->src_x, cmd->src_y, cmd->src_x + sf_rect_w(&cmd->rect),
				       cmd->src_y + sf_rect_h(&cmd->rect)};
		if (!sf_surface_contains(s, &src))
			return bad(d, cmd, "copy-bits source outside surface");
		sf_surface_copy_bits(s, &cmd->rect, cmd->src_x, cmd->src_y);
		sf_dpy_occlusion_forget(d); /* it reads what earlier draws wrote */
		b = sf_marshal_copy_bits(cmd->surface_id, &cmd->rect, cmd->src_x, cmd->src_y);
		break;
	default:
		return bad(d, cmd, "not a drawing command");
	}
	if (cmd->surface_id == 0)
		d->gen++;
	sf_dpy_fanout(d, K_DISPLAY, b);
	return true;
}

static bool do_cursor(struct sf_display *d, const struct sf_cmd *cmd)
{
	switch (cmd->type) {
	case SF_CMD_CURSOR_SET:
		if (cmd->image &&
		    (cmd->image->width > MAX_CURSOR_DIM || cmd->image->height > MAX_CURSOR_DIM ||
		     cmd->hot_x >= cmd->image->width || cmd->hot_y >= cmd->image->height))
			return bad(d, cmd, "bad cursor shape");
		sf_image_unref(d->cursor);
		d->cursor = cmd->image ? sf_image_ref(cmd->image) : NULL;
		d->hot_x = cmd->hot_x;
		d->hot_y = cmd->hot_y;
		d->cur_x = cmd->x;
		d->cur_y = cmd->y;
		d->cursor_visible = true;
		sf_dpy_fanout(
			d, K_CURSOR,
			sf_marshal_cursor_set(cmd->x, cmd->y, true, d->cursor, d->hot_x, d->hot_y));
		return true;
	case SF_CMD_CURSOR_MOVE:
		d->cur_x = cmd->x;
		d->cur_y = cmd->y;
		d->cursor_visible = true;
		sf_dpy_fanout(d, K_CURSOR, sf_marshal_cursor_move(cmd->x, cmd->y));
		return true;
	case SF_CMD_CURSOR_HIDE:
		d->cursor_visible = false;
		sf_dpy_fanout(d, K_CURSOR, sf_marshal_cursor_hide());
		return true;
	default:
		return bad(d, cmd, "not a cursor command");
	}
}

static void handle(struct sf_display *d, const struct sf_cmd *cmd)
{
	d->stats.commands++;
	switch (cmd->type) {
	case SF_CMD_SURFACE_CREATE:
		do_surface_create(d, cmd);
		break;
	case SF_CMD_SURFACE_DESTROY:
		do_surface_destroy(d, cmd);
		break;
	case SF_CMD_FILL:
	case SF_CMD_COPY:
	case SF_CMD_COPY_BITS:
	case SF_CMD_BLEND:
	case SF_CMD_FILL_ROP:
	case SF_CMD_COPY_ROP:
		do_draw(d, cmd);
		break;
	case SF_CMD_CURSOR_SET:
	case SF_CMD_CURSOR_MOVE:
	case SF_CMD_CURSOR_HIDE:
		do_cursor(d, cmd);
		break;
	default:
		bad(d, cmd, "unknown command type");
	}
}

static void run_cmd(struct sf_display *d, struct sf_cmd *cmd)
{
	handle(d, cmd);
	sf_image_unref(cmd->image);
	cmd->image = NULL;
	if (d->ops->release)
		d->ops->release(d->opaque, cmd);
}

bool sf_display_exec(struct sf_display *d, struct sf_cmd *cmd)
{
	uint64_t rejected = d->stats.rejected;

	SF_ASSERT_THREAD(SF_THREAD_PRODUCER);
	run_cmd(d, cmd);
	sf_dpy_publish_all(d); /* callers may run outside the loop */
	return d->stats.rejected == rejected;
}

/* Pull one command from @get; on an empty ring ask for a notification if
 * @arm. Returns 1 if a command ran, 0 if the ring is idle (notification
 * armed if asked), -1 if it became non-empty while arming (poll again). */
static int pull_one(struct sf_display *d, bool (*get)(void *, struct sf_cmd *), bool (*req)(void *),
		    bool arm)
{
	struct sf_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	if (get(d->opaque, &cmd)) {
		run_cmd(d, &cmd);
		return 1;
	}
	return !arm || req(d->opaque) ? 0 : -1;
}

/* Run up to @max commands from each ring, adding how many ran to @ran.
 * Returns true if the source may have more commands right now. */
static bool process_batch(struct sf_display *d, unsigned max, bool arm, unsigned *ran)
{
	bool cursor = d->ops->get_cursor_command && d->ops->req_cursor_notification;

	for (unsigned n = 0; n < max; n++) {
		/* acquire: pairs with the release in sf_display_set_running() */
		if (atomic_load_explicit(&d->paused, memory_order_acquire))
			return false;
		int a = pull_one(d, d->ops->get_command, d->ops->req_notification, arm);
		int b = cursor ? pull_one(d, d->ops->get_cursor_command,
					  d->ops->req_cursor_notification, arm)
			       : 0;
		*ran += (a > 0) + (b > 0);
		if (a == 0 && b == 0)
			return false;
	}
	return true;
}

bool sf_display_has_surface(const struct sf_display *d, uint32_t sid)
{
	return sid < SF_DISPLAY_MAX_SURFACES && d->surfaces[sid];
}

void sf_display_drain(struct sf_display *d)
{
	unsigned ran = 0;

	while (process_batch(d, CMD_BATCH, true, &ran))
		;
	d->pacing = false;
}

/* ---- pacing (producer) ----
 * Every guest kick costs the guest an exit and this thread a wakeup, and
 * while commands keep coming what they produce waits for the send stage's
 * tick anyway. So when commands come faster than every PACE_MS, the rings
 * are polled every PACE_MS instead of arming the notification; a poll that
 * finds nothing arms it and the display goes idle, so the first command
 * after a pause runs at once, and a slower stream (video at 30 fps) is
 * kicked per command as before: a poll would cost as much as the kick. A
 * run of PACE_FULL or more commands means the guest may be waiting for ring
 * space: then the notification is armed at once. */
#define PACE_MS	  8
#define PACE_FULL 16

static void process(struct sf_display *d);

static void pace_fired(void *data)
{
	struct sf_display *d = data;

	if (d->running && d->pacing)
		process(d);
}

/* Decide after a run of @ran commands; true: the timer polls next. */
static bool pace(struct sf_display *d, unsigned ran, bool was_pacing)
{
	uint64_t now, last = d->last_ran_ns;

	if (!ran)
		return false;
	now = sf_clock_now_ns();
	d->last_ran_ns = now;
	if (ran >= PACE_FULL || (!was_pacing && now - last > PACE_MS * 1000000ull))
		return false;
	if (!d->pace_timer && !(d->pace_timer = sf_loop_timer_add(d->loop, pace_fired, d)))
		return false;
	return sf_loop_timer_arm(d->pace_timer, PACE_MS, false) == 0;
}

static void process(struct sf_display *d)
{
	bool was_pacing = d->pacing;
	unsigned ran = 0;

	if (process_batch(d, CMD_BATCH, false, &ran)) {
		sf_loop_wake(d->loop, &d->process_task); /* yield to attach/resync tasks */
		return;
	}
	d->pacing = false;
	/* acquire: pairs with the release in sf_display_set_running() */
	if (atomic_load_explicit(&d->paused, memory_order_acquire))
		return; /* set_running wakes us again */
	if ((d->pacing = pace(d, ran, was_pacing)))
		return;
	/* go idle: arm both notifications; a command that came meanwhile
	 * runs, and the rings are looked at again */
	ran = 0;
	if (process_batch(d, 1, true, &ran) || ran)
		sf_loop_wake(d->loop, &d->process_task);
}

static void process_fn(struct sf_task *t)
{
	struct sf_display *d = sf_container_of(t, struct sf_display, process_task);

	if (!d->running)
		return; /* a wake left over after stop, run by sf_display_destroy() */
	SF_ASSERT_THREAD(SF_THREAD_PRODUCER);
	process(d);
}

/* ---- client tasks (producer) ---- */

static void attach_fn(struct sf_task *t)
{
	struct client *c = sf_container_of(t, struct client, attach_task);
	struct sf_display *d = c->d;

	if (!atomic_load_explicit(&c->closed, memory_order_acquire) && !c->listed) {
		c->listed = true;
		c->lz4 = sf_chan_test_cap(c->chan, SPICE_DISPLAY_CAP_LZ4_COMPRESSION);
		sf_dpy_glz_join(d, c);
		sf_dpy_client_ref(c);
		c->next = d->clients;
		if (d->clients)
			d->clients->prev = c;
		d->clients = c;
		sf_chan_set_ack(c->chan, SF_DISPLAY_ACK_WINDOW);
		if (c->kind == K_DISPLAY) {
			if (c->migrated)
				sf_log_debug("a migrated client's GLZ window: %s",
					     c->glz ? "goes on" : "not used");
			d->stats.clients++;
			sf_stream_forget(c); /* one a migrated client still shows */
			send_surfaces(d, c, true);
			send_monitors(d, c);
			update_client_caps(d);
		} else {
			d->stats.cursor_clients++;
			/* a migrated client had its CURSOR_INIT from the source */
			send_cursor_state(d, c, !c->migrated);
		}
	}
	sf_dpy_client_unref(c);
}

static void detach_fn(struct sf_task *t)
{
	struct client *c = sf_container_of(t, struct client, detach_task);
	struct sf_display *d = c->d;

	sf_dpy_publish_all(d); /* the stage list must not outlive the client */
	if (c->listed) {
		c->listed = false;
		sf_dpy_glz_leave(d, c);
		if (c->prev)
			c->prev->next = c->next;
		else
			d->clients = c->next;
		if (c->next)
			c->next->prev = c->prev;
		if (c->kind == K_DISPLAY)
			d->stats.clients--;
		else
			d->stats.cursor_clients--;
		update_client_caps(d);
		sf_dpy_client_unref(c);
	}
	sf_dpy_client_unref(c);
}

static void resync_fn(struct sf_task *t)
{
	struct client *c = sf_container_of(t, struct client, resync_task);
	struct sf_display *d = c->d;
	int expected = CS_RESYNC;

	if (c->listed &&
	    atomic_compare_exchange_strong_explicit(&c->state, &expected, CS_NORMAL,
						    memory_order_acq_rel, memory_order_acquire)) {
		d->stats.resyncs++;
		if (c->kind == K_DISPLAY) {
			sf_stream_forget(c); /* reintroduced with the next frame */
			send_surfaces(d, c, false);
		} else
			send_cursor_state(d, c, false);
	}
	sf_dpy_client_unref(c);
}

/* ---- connection callbacks (sender thread) ---- */

static int client_handle(struct sf_chan *ch, uint16_t type, const uint8_t *p, uint32_t size)
{
	struct client *c = sf_chan_data(ch);

	switch (type) {
	case SPICE_MSGC_DISPLAY_INIT:
		/* pixmap cache id and size (no image cache yet), GLZ dictionary
		 * id (one dictionary per display instead) and window */
		if (size < 14)
			return -EPROTO;
		int32_t win = (int32_t)sf_get_le32(p + 10);
		/* relaxed: a size hint, read at the next GLZ encode */
		atomic_store_explicit(&c->glz_window, win > 0 ? (uint32_t)win : 0,
				      memory_order_relaxed);
		/* release: publishes the window to glz_window() */
		atomic_store_explicit(&c->d->glz_win_new, true, memory_order_release);
		return 0;
	case SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION:
		if (size < 1)
			return -EPROTO;
		/* unknown modes are ignored, as spice-server does */
		if (p[0] > SPICE_IMAGE_COMPRESSION_INVALID &&
		    p[0] < SPICE_IMAGE_COMPRESSION_ENUM_END)
			atomic_store_explicit(&c->preferred, p[0], memory_order_relaxed);
		return 0;
	case SPICE_MSGC_PONG:
	case SPICE_MSGC_DISPLAY_STREAM_REPORT:
	case SPICE_MSGC_DISPLAY_PREFERRED_VIDEO_CODEC_TYPE:
	case SPICE_MSGC_DISPLAY_GL_DRAW_DONE:
		return 0;
	default:
		return -EPROTO;
	}
}

static void client_drained(struct sf_chan *ch)
{
	struct client *c = sf_chan_data(ch);
	int expected = CS_DROPPING;

	/* acq_rel: pairs with the release in sf_dpy_fanout(); the producer sends the
	 * snapshot after it sees RESYNC */
	if (atomic_compare_exchange_strong_explicit(&c->state, &expected, CS_RESYNC,
						    memory_order_acq_rel, memory_order_acquire))
		sf_dpy_wake_client(c, &c->resync_task);
}

/* Attach once the connection runs (a migrated one: after its data). */
static void client_started(struct sf_chan *ch)
{
	struct client *c = sf_chan_data(ch);

	sf_dpy_wake_client(c, &c->attach_task);
}

/* The client's compression wish and the stream it shows: it will not
 * repeat the one, and the target must close the other. */
static struct sf_buf *client_migrate_save(struct sf_chan *ch)
{
	struct client *c = sf_chan_data(ch);
	struct sf_mig_display m = {
		.preferred = (int8_t)atomic_load_explicit(&c->preferred, memory_order_relaxed),
		.stream_id = atomic_load_explicit(&c->stream_seen, memory_order_relaxed),
		/* only display 0 sends GLZ: the window is the session's */
		.glz = c->d->id == 0,
		.glz_next = atomic_load_explicit(&c->glz_next, memory_order_relaxed),
		.glz_window = atomic_load_explicit(&c->glz_window, memory_order_relaxed),
	};
	struct sf_wbuf w;

	sf_migdata_begin(&w, SPICE_CHANNEL_DISPLAY);
	sf_mig_display_save(&w, &m);
	return sf_migdata_finish(&w);
}

static int client_migrate_load(struct sf_chan *ch, const uint8_t *p, uint32_t size)
{
	struct client *c = sf_chan_data(ch);
	struct sf_mig_display m;
	struct sf_rbuf r;
	int err;

	if ((err = sf_migdata_open(&r, p, size, SPICE_CHANNEL_DISPLAY)) < 0 ||
	    (err = sf_mig_display_load(&r, &m)) < 0 || (err = sf_migdata_end(&r)) < 0)
		return err;
	atomic_store_explicit(&c->preferred, m.preferred, memory_order_relaxed);
	c->stream_id = m.stream_id; /* before attach: the task queue orders it */
	c->glz_resume = m.glz;
	atomic_store_explicit(&c->glz_next, m.glz_next, memory_order_relaxed);
	atomic_store_explicit(&c->glz_window, m.glz_window, memory_order_relaxed);
	return 0;
}

static void client_closed(struct sf_chan *ch)
{
	struct client *c = sf_chan_data(ch);

	atomic_store_explicit(&c->closed, true, memory_order_release);
	sf_dpy_wake_client(c, &c->detach_task);
	sf_dpy_client_unref(c); /* the connection's reference */
}

static const struct sf_chan_ops display_client_ops = {
	.name = "display",
	.max_msg_size = 4096,
	.acks = true,
	.batch = true,
	.handle = client_handle,
	.on_start = client_started,
	.on_drained = client_drained,
	.on_close = client_closed,
	.migrate_save = client_migrate_save,
	.migrate_load = client_migrate_load,
};

static const struct sf_chan_ops cursor_client_ops = {
	.name = "cursor",
	.max_msg_size = 4096,
	.acks = true,
	.batch = true,
	.handle = client_handle,
	.on_start = client_started,
	.on_drained = client_drained,
	.on_close = client_closed,
};

struct sf_chan *sf_display_attach(struct sf_display *d, struct sf_loop *sender, int fd,
				  const struct sf_link_info *info)
{
	bool cursor = info->channel_type == SPICE_CHANNEL_CURSOR;
	struct client *c = calloc(1, sizeof(*c));
	struct sf_chan *ch;

	if (!c) {
		close(fd);
		return NULL;
	}
	c->d = d;
	c->kind = cursor ? K_CURSOR : K_DISPLAY;
	c->migrated = info->migrated;
	c->session = info->connection_id;
	atomic_init(&c->low_bw, info->low_bandwidth);
	atomic_init(&c->preferred, -1);
	atomic_init(&c->glz_next, 0);
	atomic_init(&c->ref, 1); /* the connection's */
	atomic_init(&c->state, CS_NORMAL);
	sf_task_init(&c->attach_task, attach_fn);
	sf_task_init(&c->detach_task, detach_fn);
	sf_task_init(&c->resync_task, resync_fn);
	c->chan = sf_chan_create(sender, fd, info,
				 cursor ? &cursor_client_ops : &display_client_ops, c);
	if (!c->chan) {
		free(c);
		return NULL;
	}
	/* the caller's reference is taken before the start: from then on the
	 * sender may close the connection and the producer free @c (and drop
	 * its reference) before this thread reads anything of it again */
	ch = sf_chan_ref(c->chan);
	/* attach is queued from on_start, on the connection's loop before it
	 * can close, so it runs before detach */
	sf_chan_start(ch);
	return ch;
}

/* ---- lifecycle and synchronous calls ---- */

static int run_sync(struct sf_display *d, void (*fn)(struct sf_display *, void *), void *arg);

struct sync_call {
	struct sf_task task;
	struct sf_display *d;
	void (*fn)(struct sf_display *d, void *arg);
	void *arg;
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool done;
};

static void sync_fn(struct sf_task *t)
{
	struct sync_call *s = sf_container_of(t, struct sync_call, task);

	s->fn(s->d, s->arg);
	sf_dpy_publish_all(s->d); /* the caller may push after us (MIGRATE) */
	pthread_mutex_lock(&s->m);
	s->done = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->m);
}

struct async_call {
	struct sf_task task;
	struct sf_display *d;
	void (*fn)(struct sf_display *d, void *arg);
	void *arg;
};

static void async_fn(struct sf_task *t)
{
	struct async_call *a = sf_container_of(t, struct async_call, task);

	a->fn(a->d, a->arg);
	free(a);
}

int sf_display_call_async(struct sf_display *d, void (*fn)(struct sf_display *d, void *arg),
			  void *arg)
{
	struct async_call *a = malloc(sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->d = d;
	a->fn = fn;
	a->arg = arg;
	sf_task_init(&a->task, async_fn);
	sf_loop_wake(d->loop, &a->task);
	return 0;
}

int sf_display_call(struct sf_display *d, void (*fn)(struct sf_display *d, void *arg), void *arg)
{
	return run_sync(d, fn, arg);
}

static void resend_caps(struct sf_display *d, void *arg)
{
	(void)arg;
	d->caps_known = false; /* a resumed guest hears the clients' caps again */
	update_client_caps(d);
}

static void barrier_fn(struct sf_display *d, void *arg)
{
	(void)d;
	(void)arg;
}

void sf_display_set_running(struct sf_display *d, bool running)
{
	/* release: pairs with the acquire in process_batch() */
	atomic_store_explicit(&d->paused, !running, memory_order_release);
	/* Stopping waits for the batch in progress, as spice-server's stop
	 * does: once the VM is stopped the guest's rings and memory must not
	 * change, or a migration copies them half-updated. */
	if (!running && d->running)
		sf_display_call(d, barrier_fn, NULL);
	if (running) {
		if (d->running)
			sf_display_call_async(d, resend_caps, NULL);
		sf_display_wakeup(d);
	}
}

static int run_sync(struct sf_display *d, void (*fn)(struct sf_display *, void *), void *arg)
{
	struct sync_call s = {.d = d, .fn = fn, .arg = arg};

	if (!d->running || sf_loop_is_current(d->loop))
		return -EDEADLK;
	pthread_mutex_init(&s.m, NULL);
	pthread_cond_init(&s.cv, NULL);
	sf_task_init(&s.task, sync_fn);
	sf_loop_wake(d->loop, &s.task);
	pthread_mutex_lock(&s.m);
	while (!s.done)
		pthread_cond_wait(&s.cv, &s.m);
	pthread_mutex_unlock(&s.m);
	pthread_mutex_destroy(&s.m);
	pthread_cond_destroy(&s.cv);
	return 0;
}

static void flush_all(struct sf_display *d, void *arg)
{
	(void)arg;
	sf_display_drain(d);
}

int sf_display_flush(struct sf_display *d)
{
	return run_sync(d, flush_all, NULL);
}

struct read_px {
	uint32_t sid;
	struct sf_image *out;
};

static void read_px_fn(struct sf_display *d, void *arg)
{
	struct read_px *r = arg;
	const struct sf_image *src;

	flush_all(d, NULL);
	if (r->sid >= SF_DISPLAY_MAX_SURFACES || !d->surfaces[r->sid])
		return;
	src = sf_surface_image(d->surfaces[r->sid]);
	r->out = sf_image_copy(src, 0, 0, src->width, src->height);
}

struct sf_image *sf_display_read_pixels(struct sf_display *d, uint32_t surface_id)
{
	struct read_px r = {.sid = surface_id};
	int e = run_sync(d, read_px_fn, &r);

	if (e < 0 || !r.out)
		errno = e < 0 ? -e : ENOENT;
	return r.out;
}

static void stats_fn(struct sf_display *d, void *arg)
{
	struct sf_display_stats *st = arg;

	*st = d->stats;
	st->held_draws = d->ndrawn;
}

int sf_display_get_stats(struct sf_display *d, struct sf_display_stats *out)
{
	return run_sync(d, stats_fn, out);
}

void sf_display_wakeup(struct sf_display *d)
{
	sf_loop_wake(d->loop, &d->process_task);
}

uint8_t sf_display_id(const struct sf_display *d)
{
	return d->id;
}

void sf_display_set_image_compression(struct sf_display *d, int mode)
{
	atomic_store_explicit(&d->compression, mode, memory_order_relaxed);
}

void sf_display_set_jpeg(struct sf_display *d, enum sf_wan mode)
{
	atomic_store_explicit(&d->jpeg, mode, memory_order_relaxed);
}

struct low_bw {
	uint32_t session;
	bool low;
};

static void set_low_bw_fn(struct sf_display *d, void *arg)
{
	struct low_bw *l = arg;

	for (struct client *c = d->clients; c; c = c->next)
		if (c->session == l->session)
			/* relaxed: read by the producer, which runs this */
			atomic_store_explicit(&c->low_bw, l->low, memory_order_relaxed);
	free(l);
}

void sf_display_set_low_bandwidth(struct sf_display *d, uint32_t session_id, bool low)
{
	struct low_bw *l = malloc(sizeof(*l));

	if (!l)
		return;
	*l = (struct low_bw){session_id, low};
	if (sf_display_call_async(d, set_low_bw_fn, l) < 0)
		free(l);
}

void sf_display_set_streaming(struct sf_display *d, bool on)
{
	atomic_store_explicit(&d->streaming, on, memory_order_relaxed);
}

void sf_display_set_backlog_limit(struct sf_display *d, size_t bytes)
{
	d->backlog_limit = bytes;
}

struct sf_display *sf_display_create(uint8_t id, const struct sf_display_source_ops *ops,
				     void *opaque)
{
	struct sf_display *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->loop = sf_loop_create();
	if (!d->loop) {
		free(d);
		return NULL;
	}
	d->id = id;
	d->ops = ops;
	d->opaque = opaque;
	d->backlog_limit = DEFAULT_BACKLOG;
	atomic_init(&d->compression, SPICE_IMAGE_COMPRESSION_AUTO_GLZ);
	atomic_init(&d->jpeg, SF_WAN_AUTO);
	atomic_init(&d->streaming, true);
	d->rl = (struct sf_ratelimit)SF_RATELIMIT_INIT(1000, 10);
	sf_task_init(&d->process_task, process_fn);
	sf_loop_set_after(d->loop, sf_dpy_publish_all, d);
	return d;
}

static void *producer_main(void *arg)
{
	struct sf_display *d = arg;

	sf_loop_run(d->loop);
	return NULL;
}

int sf_display_start(struct sf_display *d)
{
	char name[16];
	int r;

	snprintf(name, sizeof(name), "sf-produce%u", d->id % 100u);
	r = sf_thread_start(&d->thread, name, SF_THREAD_PRODUCER, producer_main, d);
	if (r == 0) {
		d->running = true;
		sf_display_wakeup(d);
	}
	return r;
}

static void shutdown_fn(struct sf_display *d, void *arg)
{
	(void)arg;
	sf_dpy_publish_all(d);
	while (d->clients) {
		struct client *c = d->clients;
		d->clients = c->next;
		c->listed = false;
		sf_dpy_glz_leave(d, c);
		sf_chan_close(c->chan);
		sf_dpy_client_unref(c);
	}
}

void sf_display_stop(struct sf_display *d)
{
	if (!d || !d->running)
		return;
	run_sync(d, shutdown_fn, NULL);
	sf_loop_quit(d->loop);
	pthread_join(d->thread, NULL);
	d->running = false;
}

void sf_display_destroy(struct sf_display *d)
{
	if (!d)
		return;
	sf_display_stop(d);
	/* tasks still queued hold client references; run them to release those */
	sf_loop_iterate(d->loop, 0);
	for (uint32_t i = 0; i < SF_DISPLAY_MAX_SURFACES; i++)
		sf_surface_destroy(d->surfaces[i]);
	sf_image_unref(d->cursor);
	sf_buf_unref(d->monitors);
	for (int t = 0; t < SF_STREAM_TIERS; t++)
		for (int k = 0; k < 2; k++)
			sf_buf_unref(d->stream_frame[t][k]);
	sf_loop_timer_remove(d->stream_timer);
	sf_loop_timer_remove(d->pace_timer);
	for (int k = 0; k < SF_CODECS; k++)
		sf_buf_unref(d->snap[k]);
	sf_dpy_occlusion_forget(d);
	sf_glz_free(d->glz);
	sf_loop_destroy(d->loop);
	free(d);
}
