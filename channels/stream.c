/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/stream.c: video on the display producer. A rectangle redrawn
 * often becomes an MJPEG stream, encoded once per quality tier in use and
 * shared by the clients on that tier; each client's tier follows its acks.
 * Runs on the producer thread, on the display's state (display-priv.h). */
#include <stdlib.h>
#include <spice/enums.h>
#include "channels/display-priv.h"
#include "channels/marshal.h"
#include "channels/surface.h"
#include "encoders/jpeg.h"
#include "engine/clock.h"

#define STREAM_MIN_AREA	    (128 * 96)
#define STREAM_START_FRAMES 8	       /* consecutive updates, each within: */
#define STREAM_MAX_GAP_NS   200000000  /* 200 ms, as spice-server's detection */
#define STREAM_IDLE_NS	    1000000000 /* no frame for 1 s: back to lossless */
/* Video tiers: JPEG quality and the share of frames sent (one in @every). */
static const struct {
	int quality;
	unsigned every;
} tiers[SF_STREAM_TIERS] = {{70, 1}, {50, 1}, {35, 2}, {25, 4}};
#define STREAM_BEHIND_FRAMES  3	 /* frames in a row behind: a tier down */
#define STREAM_KEPT_UP_FRAMES 30 /* frames in a row kept up: a tier up */

/* ---- video streams (producer) ----
 * A rectangle of surface 0 that COPY redraws STREAM_START_FRAMES times with
 * at most STREAM_MAX_GAP_NS between updates becomes an MJPEG stream: each
 * frame is JPEG-encoded once per tier in use and the same STREAM_DATA body
 * goes to every client on that tier, the tier's previous frame marked
 * obsolete so a client that fell behind skips to the newest. The surface keeps the exact pixels.
 * Any other draw touching the rectangle, or a second of silence, ends the stream, and a lossless
 * copy of the rectangle replaces the lossy frames on the clients. Clients learn of the stream on
 * their next frame (late joiners, resyncs). */

static bool rect_eq(const struct sf_rect *a, const struct sf_rect *b)
{
	return a->left == b->left && a->top == b->top && a->right == b->right &&
	       a->bottom == b->bottom;
}

static bool rect_meets(const struct sf_rect *a, const struct sf_rect *b)
{
	return a->left < b->right && b->left < a->right && a->top < b->bottom && b->top < a->bottom;
}

/* The client drops a stream it still has (before a snapshot, so no late
 * frame lands on top of it). */
void sf_stream_forget(struct client *c)
{
	if (c->stream_id)
		sf_dpy_send_one(c, sf_marshal_stream_destroy(c->stream_id));
	c->stream_id = 0;
	atomic_store_explicit(&c->stream_seen, 0, memory_order_relaxed);
}

static void stream_introduce(struct sf_display *d, struct client *c)
{
	if (c->stream_id == d->stream_id)
		return;
	sf_stream_forget(c);
	if (d->stream_id)
		sf_dpy_send_one(c, sf_marshal_stream_create(d->stream_id, 0, &d->stream_rect));
	c->stream_id = d->stream_id;
	atomic_store_explicit(&c->stream_seen, c->stream_id, memory_order_relaxed);
	/* the tier stays (the link is the same); the frame sizes it was judged
	 * by were another stream's */
	c->last_frame = 0;
	c->behind = 0;
	c->kept_up = 0;
}

void sf_stream_stop(struct sf_display *d, bool upgrade)
{
	struct sf_rect r = d->stream_rect;

	if (!d->stream_id)
		return;
	for (struct client *c = d->clients; c; c = c->next)
		if (c->stream_id == d->stream_id && sf_dpy_client_ready(d, c, K_DISPLAY))
			sf_stream_forget(c);
	d->stream_id = 0;
	for (int t = 0; t < SF_STREAM_TIERS; t++)
		for (int k = 0; k < 2; k++) {
			sf_buf_unref(d->stream_frame[t][k]);
			d->stream_frame[t][k] = NULL;
		}
	if (upgrade && d->surfaces[0]) {
		const struct sf_image *img = sf_surface_image(d->surfaces[0]);
		sf_dpy_fanout_copy(d, 0, &r, img, r.left, r.top, true);
	}
}

static void stream_check(void *data)
{
	struct sf_display *d = data;

	if (d->stream_id && sf_clock_now_ns() - d->stream_last_ns > STREAM_IDLE_NS)
		sf_stream_stop(d, true);
}

static void stream_start(struct sf_display *d, const struct sf_rect *r)
{
	if (!d->stream_timer) {
		d->stream_timer = sf_loop_timer_add(d->loop, stream_check, d);
		if (!d->stream_timer)
			return;
		sf_loop_timer_arm(d->stream_timer, 200, true);
	}
	if (++d->next_stream_id == 0)
		d->next_stream_id = 1;
	d->stream_id = d->next_stream_id;
	d->stream_rect = *r;
	d->stream_seq = 0;
	d->stats.streams++;
}

/* True when the copy became part of a stream (now or earlier). */
bool sf_stream_detect(struct sf_display *d, const struct sf_cmd *cmd, uint64_t now)
{
	struct stream_candidate *c = NULL, *oldest = &d->cand[0];

	if (!atomic_load_explicit(&d->streaming, memory_order_relaxed) || cmd->surface_id != 0 ||
	    (int64_t)sf_rect_w(&cmd->rect) * sf_rect_h(&cmd->rect) < STREAM_MIN_AREA)
		return false;
	if (d->stream_id)
		return rect_eq(&cmd->rect, &d->stream_rect);
	for (int i = 0; i < STREAM_CANDIDATES; i++) {
		if (d->cand[i].frames && rect_eq(&d->cand[i].r, &cmd->rect))
			c = &d->cand[i];
		if (d->cand[i].last_ns < oldest->last_ns)
			oldest = &d->cand[i];
	}
	if (!c) {
		*oldest = (struct stream_candidate){cmd->rect, 1, now};
		return false;
	}
	c->frames = now - c->last_ns <= STREAM_MAX_GAP_NS ? c->frames + 1 : 1;
	c->last_ns = now;
	if (c->frames < STREAM_START_FRAMES)
		return false;
	c->frames = 0;
	stream_start(d, &cmd->rect);
	return d->stream_id != 0;
}

/* Rate adaptation, per client, from its acks: a client whose pipe still
 * holds the two previous frames when the next comes (its acks lag, or its
 * link is slow) is behind; one frame waiting is the send stage's tick (up
 * to 64 ms with many clients: two frames at 30 fps), not the client.
 * STREAM_BEHIND_FRAMES in a row move it a tier down (lower quality, then
 * fewer frames); STREAM_KEPT_UP_FRAMES in a row move it back up. A frame is
 * encoded once per tier some client is on now. */
static void stream_adapt(struct sf_display *d, struct client *c)
{
	bool behind = c->last_frame && sf_chan_backlog(c->chan) >= 2 * (size_t)c->last_frame;

	c->behind = behind ? (uint8_t)SF_MIN(c->behind + 1, 255) : 0;
	c->kept_up = behind ? 0 : (uint16_t)SF_MIN(c->kept_up + 1, 65535);
	if (c->behind >= STREAM_BEHIND_FRAMES && c->tier + 1 < SF_STREAM_TIERS) {
		c->tier++;
		c->behind = 0;
		d->stats.stream_tier_moves++;
	} else if (c->kept_up >= STREAM_KEPT_UP_FRAMES && c->tier > 0) {
		c->tier--;
		c->kept_up = 0;
		d->stats.stream_tier_moves++;
	}
}

static struct sf_buf *stream_encode(struct sf_display *d, const struct sf_cmd *cmd, int tier)
{
	const struct sf_rect *r = &cmd->rect;
	size_t len = 0;
	uint8_t *jpeg = sf_jpeg_encode(cmd->image, (uint32_t)cmd->src_x, (uint32_t)cmd->src_y,
				       (uint32_t)sf_rect_w(r), (uint32_t)sf_rect_h(r),
				       tiers[tier].quality, &len);
	struct sf_buf *b =
		jpeg ? sf_marshal_stream_data(d->stream_id, sf_clock_mm_time(), jpeg, len) : NULL;

	free(jpeg);
	if (!b)
		return NULL;
	d->stats.stream_tier_frames[tier]++;
	/* a client of this tier that fell behind skips to the newest two */
	if (d->stream_frame[tier][1])
		sf_buf_set_obsolete(d->stream_frame[tier][1]);
	sf_buf_unref(d->stream_frame[tier][1]);
	d->stream_frame[tier][1] = d->stream_frame[tier][0];
	d->stream_frame[tier][0] = sf_buf_ref(b);
	return b;
}

void sf_stream_frame(struct sf_display *d, const struct sf_cmd *cmd, uint64_t now)
{
	struct sf_buf *v[SF_STREAM_TIERS] = {NULL};
	bool failed = false;

	for (struct client *c = d->clients; c && !failed; c = c->next) {
		if (!sf_dpy_client_ready(d, c, K_DISPLAY))
			continue;
		stream_introduce(d, c);
		stream_adapt(d, c);
		if (d->stream_seq % tiers[c->tier].every)
			continue;
		if (!v[c->tier] && !(v[c->tier] = stream_encode(d, cmd, c->tier))) {
			failed = true;
			break;
		}
		if (sf_dpy_push(c, v[c->tier]))
			c->last_frame = v[c->tier]->size;
	}
	for (int t = 0; t < SF_STREAM_TIERS; t++)
		sf_buf_unref(v[t]);
	if (failed) {
		sf_stream_stop(d, true);
		return;
	}
	d->stream_seq++;
	d->stream_last_ns = now;
	d->stats.stream_frames++;
}

/* Before a draw lands: one that touches the stream (other than its next
 * frame) ends it, with the lossless pixels from before this draw. */
void sf_stream_before_draw(struct sf_display *d, const struct sf_cmd *cmd)
{
	struct sf_rect src;

	if (!d->stream_id || cmd->surface_id != 0)
		return;
	if (cmd->type == SF_CMD_COPY && rect_eq(&cmd->rect, &d->stream_rect))
		return;
	src = (struct sf_rect){cmd->src_x, cmd->src_y, cmd->src_x + sf_rect_w(&cmd->rect),
			       cmd->src_y + sf_rect_h(&cmd->rect)};
	if (rect_meets(&cmd->rect, &d->stream_rect) ||
	    (cmd->type == SF_CMD_COPY_BITS && rect_meets(&src, &d->stream_rect)))
		sf_stream_stop(d, true);
}
