/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/fanout.c: the producer's delivery to its clients: client
 * references, occlusion of superseded draws, per-client staging published
 * once per loop round, the GLZ cohort, the readiness check and fan-out
 * every message goes through, and the codec each client gets for an image,
 * each encoding made once. Producer thread, except the references. */
#include <errno.h>
#include <string.h>
#include "channels/display-priv.h"
#include "channels/marshal.h"
#include "channels/surface.h"
#include "encoders/classify.h"
#include "encoders/glz.h"

/* ---- client references ---- */

struct client *sf_dpy_client_ref(struct client *c)
{
	/* relaxed: the caller holds a reference */
	atomic_fetch_add_explicit(&c->ref, 1, memory_order_relaxed);
	return c;
}

void sf_dpy_client_unref(struct client *c)
{
	/* acq_rel: the last holder sees the others' writes before freeing */
	if (atomic_fetch_sub_explicit(&c->ref, 1, memory_order_acq_rel) != 1)
		return;
	sf_chan_unref(c->chan);
	free(c);
}

void sf_dpy_wake_client(struct client *c, struct sf_task *t)
{
	sf_dpy_client_ref(c);
	if (!sf_loop_wake(c->d->loop, t))
		sf_dpy_client_unref(c);
}

/* ---- occlusion (producer) ----
 * Fills and copies with ROP put are opaque: a later one whose rectangle
 * contains an earlier draw's on the same surface makes the earlier one
 * pointless for every client that has not sent it yet. Marking the shared
 * body obsolete drops it from all those pipes at once (chan.c prune()).
 * Blends and raster-op draws read what is under them: they obsolete
 * nothing, but may be obsoleted (every pixel they wrote is overwritten).
 * COPY_BITS reads pixels anywhere, so it pins everything before it. GLZ
 * bodies are never marked: every client of the dictionary must decode
 * each of them (the GLZ cohort below). */

static void drawn_drop(struct drawn *w)
{
	for (int k = 0; k < SF_CODECS; k++)
		sf_buf_unref(w->b[k]);
}

void sf_dpy_occlusion_forget(struct sf_display *d)
{
	for (unsigned i = 0; i < d->ndrawn; i++)
		drawn_drop(&d->drawn[i]);
	d->ndrawn = 0;
}

static bool contains(const struct sf_rect *outer, const struct sf_rect *in)
{
	return outer->left <= in->left && outer->top <= in->top && outer->right >= in->right &&
	       outer->bottom >= in->bottom;
}

void sf_dpy_occlusion_cover(struct sf_display *d, uint32_t sid, const struct sf_rect *r)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < d->ndrawn; i++) {
		struct drawn *w = &d->drawn[i];
		if (w->sid == sid && contains(r, &w->r)) {
			for (int k = 0; k < SF_CODECS; k++)
				if (w->b[k]) {
					sf_buf_set_obsolete(w->b[k]);
					d->stats.obsoleted++;
				}
			drawn_drop(w);
			continue;
		}
		d->drawn[keep++] = *w;
	}
	d->ndrawn = keep;
}

/* True when the window holds @w's only references: every pipe is done with
 * its bodies, so marking them obsolete could drop nothing. Only this thread
 * hands bodies to pipes, so a count of one cannot rise again. */
static bool drawn_sent(const struct drawn *w)
{
	for (int k = 0; k < SF_CODECS; k++)
		/* acquire: the senders' last reads of the body happen before we
		 * free it; pairs with their acq_rel decrement */
		if (w->b[k] && atomic_load_explicit(&w->b[k]->ref, memory_order_acquire) > 1)
			return false;
	return true;
}

/* Let go of draws every client has sent: their bodies go back to malloc
 * while warm, instead of waiting for a window's worth of later draws (128
 * photo tiles are 13 MB of fresh pages). */
static void drawn_release_sent(struct sf_display *d)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < d->ndrawn; i++) {
		if (drawn_sent(&d->drawn[i]))
			drawn_drop(&d->drawn[i]);
		else
			d->drawn[keep++] = d->drawn[i];
	}
	d->ndrawn = keep;
}

/* @v: the bodies of one draw, one slot per codec, NULL where not made. */
void sf_dpy_occlusion_add(struct sf_display *d, uint32_t sid, const struct sf_rect *r,
			  struct sf_buf *const *v)
{
	struct drawn *w;
	bool any = false;

	for (int k = 0; k < SF_CODECS; k++)
		any |= v[k] != NULL && k != SF_CODEC_GLZ;
	if (!any)
		return;
	drawn_release_sent(d);
	if (d->ndrawn == OCCLUSION_WINDOW) { /* forget the oldest */
		drawn_drop(&d->drawn[0]);
		memmove(&d->drawn[0], &d->drawn[1], (OCCLUSION_WINDOW - 1) * sizeof(d->drawn[0]));
		d->ndrawn--;
	}
	w = &d->drawn[d->ndrawn++];
	w->sid = sid;
	w->r = *r;
	for (int k = 0; k < SF_CODECS; k++) /* GLZ bodies: never obsoleted */
		w->b[k] = v[k] && k != SF_CODEC_GLZ ? sf_buf_ref(v[k]) : NULL;
}

/* ---- staging (producer) ----
 * A push to a client's connection is an allocation, an atomic add, an
 * exchange on a line its send stage also writes and possibly a wake. At a
 * hundred clients that was most of the producer's cost per message, so the
 * messages of one round of the producer's loop are staged per client and
 * published together when the round ends (the loop's after hook), or when
 * the stage fills, or before anyone waiting on the producer is released
 * (sync calls), so nothing staged is ever behind a MIGRATE. */

static void publish(struct client *c)
{
	int r = sf_chan_push_owned_n(c->chan, c->stage, c->nstaged);

	if (r < 0)
		for (unsigned i = 0; i < c->nstaged; i++)
			sf_buf_unref(c->stage[i]);
	c->nstaged = 0;
	/* out of memory: the client missed these messages, so it is treated
	 * as one past its backlog (its next readiness check also takes it out
	 * of the GLZ cohort) and resynced once its pipe drains; one already
	 * dropping or resyncing gets the snapshot anyway */
	if (r == -ENOMEM) {
		int expected = CS_NORMAL;
		/* acq_rel: pairs with the acquire in on_drained() */
		atomic_compare_exchange_strong_explicit(&c->state, &expected, CS_DROPPING,
							memory_order_acq_rel, memory_order_acquire);
		c->room = 0;
	}
}

void sf_dpy_publish_all(void *data)
{
	struct sf_display *d = data;

	while (d->staged) {
		struct client *c = d->staged;
		d->staged = c->staged_next;
		publish(c);
	}
}

/* Takes over one reference to @b; it stays the caller's on false. */
static bool stage(struct client *c, struct sf_buf *b)
{
	if (sf_chan_closed(c->chan))
		return false;
	if (!c->nstaged) { /* first of the round: join the list */
		c->staged_next = c->d->staged;
		c->d->staged = c;
	} else if (c->nstaged == CLIENT_STAGE) {
		publish(c); /* stays on the list for the rest of the round */
	}
	c->stage[c->nstaged++] = b;
	c->room = c->room > b->size + SF_CHAN_HDR_MAX ? c->room - b->size - SF_CHAN_HDR_MAX : 0;
	c->d->stats.messages++;
	return true;
}

/* ---- fan-out (producer) ---- */

bool sf_dpy_push(struct client *c, struct sf_buf *b)
{
	if (!stage(c, sf_buf_ref(b))) {
		sf_buf_unref(b);
		return false;
	}
	return true;
}

/* ---- the GLZ cohort (producer) ----
 * spice-gtk keeps one GLZ window per session, empty at connect; it decodes
 * an image only if it has every earlier id, and never resets the window
 * mid-session. So a client shares the display's one dictionary only if it
 * joined while the dictionary was empty, and stays only while it receives
 * every GLZ image: one that misses one (stalled past its backlog, or a push
 * failed) leaves for good and gets LZ from then on. GLZ bodies are never
 * obsoleted (occlusion), so no member's pipe loses one, and a GLZ encoding is
 * only ever pushed to members. This is seed 003's rule with bounded memory:
 * instead of forcing every GLZ image onto a stalled client, a client that
 * cannot take them all stops being a GLZ client. The window is one per
 * session, so only display 0 uses GLZ. A client migrated in brings a window
 * that holds the source's images before some id (spice-gtk keeps it across a
 * seamless migration): it joins a dictionary nobody uses yet, which goes on
 * from that id, and its first image tells the client to let the rest go. */
#define GLZ_WINDOW_DEFAULT (1u << 22) /* pixels: 16 MB; spice-gtk offers 12-64 */

void sf_dpy_glz_join(struct sf_display *d, struct client *c)
{
	/* relaxed: set before the attach task that runs this */
	uint64_t from = atomic_load_explicit(&c->glz_next, memory_order_relaxed);
	uint64_t next;

	if (c->kind != K_DISPLAY || d->id != 0 || (c->migrated && !c->glz_resume))
		return;
	if (!d->glz && !(d->glz = sf_glz_new(GLZ_WINDOW_DEFAULT)))
		return;
	next = sf_glz_next_id(d->glz); /* 0: emptied when its last member left */
	if (next == 0 && from && !d->glz_members && sf_glz_resume(d->glz, from) == 0)
		next = from;
	if (next != from || (from && d->glz_members))
		return; /* its window lacks images the members' dictionary uses */
	c->glz = true;
	d->glz_members++;
	d->glz_win = 0;
}

void sf_dpy_glz_leave(struct sf_display *d, struct client *c)
{
	if (!c->glz)
		return;
	c->glz = false;
	d->glz_win = 0;
	if (--d->glz_members == 0)
		sf_glz_reset(d->glz); /* nobody decodes from it: free its images */
}

/* The smallest window a member asked for, if smaller than ours; worked out
 * again only after the members or a window changed, not per image. */
uint32_t sf_dpy_glz_window(struct sf_display *d)
{
	uint32_t w = GLZ_WINDOW_DEFAULT;

	/* acquire: pairs with the release in client_handle(), so the client's
	 * window is seen */
	if (atomic_load_explicit(&d->glz_win_new, memory_order_acquire) &&
	    atomic_exchange_explicit(&d->glz_win_new, false, memory_order_acquire))
		d->glz_win = 0;
	if (d->glz_win)
		return d->glz_win;
	for (const struct client *c = d->clients; c; c = c->next) {
		/* relaxed: a size hint; the flag above orders it */
		uint32_t cw = atomic_load_explicit(&c->glz_window, memory_order_relaxed);
		if (c->glz && cw)
			w = SF_MIN(w, cw);
	}
	return d->glz_win = w;
}

/* Is @c a client of @kind to push to now? One past the backlog limit is
 * marked DROPPING here and left for a resync. */
bool sf_dpy_client_ready(struct sf_display *d, struct client *c, enum kind kind)
{
	if (c->kind != kind)
		return false;
	if (atomic_load_explicit(&c->state, memory_order_acquire) != CS_NORMAL) {
		sf_dpy_glz_leave(d, c); /* it skips messages: it would miss GLZ images */
		return false;
	}
	/* the connection's counters sit on lines its send stage writes: read
	 * them only once the room found last time is spent (stage()) */
	if (c->room)
		return true;
	if (!(c->room = sf_chan_backlog_room(c->chan, d->backlog_limit))) {
		/* release: pairs with the acquire in on_drained() */
		atomic_store_explicit(&c->state, CS_DROPPING, memory_order_release);
		sf_dpy_glz_leave(d, c);
		return false;
	}
	return true;
}

/* References are taken FANOUT_REFS at a time rather than one per client:
 * each is an atomic on a line the send stages write when they drop theirs. */
#define FANOUT_REFS 64

/* Queue @b to every NORMAL client of @kind; a client over its backlog limit
 * stops receiving and will be resynced once its pipe drains. Consumes @b. */
void sf_dpy_fanout(struct sf_display *d, enum kind kind, struct sf_buf *b)
{
	unsigned spare = 0;

	if (!b)
		return;
	for (struct client *c = d->clients; c; c = c->next) {
		if (!sf_dpy_client_ready(d, c, kind))
			continue;
		if (!spare) {
			sf_buf_ref_n(b, FANOUT_REFS);
			spare = FANOUT_REFS;
		}
		if (stage(c, b))
			spare--;
	}
	sf_buf_unref_n(b, spare + 1); /* the spares and the caller's */
}

/* ---- what each client gets (producer) ---- */

/* An area about to be sent; @photo caches its class (-1: not looked at)
 * across the clients of one draw. @lossless: a repair or a snapshot, which
 * must not be JPEG. */
struct area {
	const struct sf_image *img;
	uint32_t x, y, w, h;
	int photo;
	bool lossless;
};

static bool area_is_photo(struct area *a)
{
	if (a->photo < 0)
		a->photo = sf_classify_photo(a->img, a->x, a->y, a->w, a->h);
	return a->photo;
}

/* A photographic area: JPEG for clients the WAN setting gives it, unless
 * the area must stay lossless; QUIC otherwise. */
static enum sf_codec lossy(const struct sf_display *d, const struct client *c, const struct area *a)
{
	/* relaxed: settings; a draw encoded either way is valid */
	int mode = atomic_load_explicit(&d->jpeg, memory_order_relaxed);

	if (a->lossless)
		return SF_CODEC_QUIC;
	if (mode == SF_WAN_ALWAYS ||
	    (mode == SF_WAN_AUTO && atomic_load_explicit(&c->low_bw, memory_order_relaxed)))
		return SF_CODEC_JPEG;
	return SF_CODEC_QUIC;
}

/* The codec for a client and an area, from the server's setting (or the
 * client's own preference, as spice-server honours PREFERRED_COMPRESSION)
 * and its caps. The AUTO modes, like spice-server's, send photographic
 * areas as QUIC and the rest as (G)LZ: LZ is about half LZ4's bytes on drawn
 * content, at over 1 GB/s, once for all clients; GLZ also finds what
 * earlier images held. GLZ needs the cohort, else LZ (the reference's own
 * fallback); LZ4 needs the client's cap. */
static enum sf_codec codec_for(const struct sf_display *d, const struct client *c, struct area *a)
{
	/* relaxed: settings; a draw encoded either way is valid */
	int mode = atomic_load_explicit(&c->preferred, memory_order_relaxed);

	if (mode < 0)
		mode = atomic_load_explicit(&d->compression, memory_order_relaxed);
	switch (mode) {
	case SPICE_IMAGE_COMPRESSION_OFF:
		return SF_CODEC_RAW;
	case SPICE_IMAGE_COMPRESSION_LZ4:
		return c->lz4 ? SF_CODEC_LZ4 : SF_CODEC_LZ;
	case SPICE_IMAGE_COMPRESSION_QUIC:
		return lossy(d, c, a);
	case SPICE_IMAGE_COMPRESSION_AUTO_LZ:
		return area_is_photo(a) ? lossy(d, c, a) : SF_CODEC_LZ;
	case SPICE_IMAGE_COMPRESSION_AUTO_GLZ:
		if (area_is_photo(a))
			return lossy(d, c, a);
		/* fall through */
	case SPICE_IMAGE_COMPRESSION_GLZ:
		return c->glz ? SF_CODEC_GLZ : SF_CODEC_LZ;
	default: /* LZ */
		return SF_CODEC_LZ;
	}
}

/* Every image encoding goes through here, so the stats count each one once. */
static struct sf_buf *encode_copy(struct sf_display *d, enum sf_codec k, uint32_t sid,
				  const struct sf_rect *r, const struct sf_image *img, int32_t x,
				  int32_t y)
{
	d->stats.images[k]++;
	if (k == SF_CODEC_GLZ) {
		sf_glz_set_window(d->glz, sf_dpy_glz_window(d));
		return sf_marshal_copy_glz(d->glz, sid, r, img, x, y);
	}
	return sf_marshal_copy_as(k, sid, r, img, x, y);
}

static struct sf_buf *surface_snapshot(struct sf_display *d, uint32_t sid, enum sf_codec k)
{
	const struct sf_image *img = sf_surface_image(d->surfaces[sid]);
	struct sf_rect all = {0, 0, (int32_t)img->width, (int32_t)img->height};

	if (sid != 0)
		return encode_copy(d, k, sid, &all, img, 0, 0);
	/* encode once: every client resyncing at the same generation shares it */
	if (!d->snap[k] || d->snap_gen[k] != d->gen) {
		sf_buf_unref(d->snap[k]);
		d->snap[k] = encode_copy(d, k, 0, &all, img, 0, 0);
		d->snap_gen[k] = d->gen;
	}
	return d->snap[k] ? sf_buf_ref(d->snap[k]) : NULL;
}

/* A copy in as many encodings as the clients need, each made once, on first
 * need, and shared by every client that uses it. */
void sf_dpy_fanout_copy(struct sf_display *d, uint32_t sid, const struct sf_rect *r,
			const struct sf_image *img, int32_t x, int32_t y, bool lossless)
{
	struct sf_buf *v[SF_CODECS] = {NULL};
	struct area a = {
		img, (uint32_t)x, (uint32_t)y, (uint32_t)sf_rect_w(r), (uint32_t)sf_rect_h(r),
		-1,  lossless};

	for (struct client *c = d->clients; c; c = c->next) {
		enum sf_codec k;
		if (!sf_dpy_client_ready(d, c, K_DISPLAY))
			continue;
		k = codec_for(d, c, &a);
		if (!v[k])
			v[k] = encode_copy(d, k, sid, r, img, x, y);
		if (!v[k])
			continue;
		if (k != SF_CODEC_GLZ)
			sf_dpy_push(c, v[k]);
		else if (sf_dpy_push(c, v[k]))
			/* relaxed: read by a migration once the VM has stopped */
			atomic_store_explicit(&c->glz_next, sf_glz_next_id(d->glz),
					      memory_order_relaxed);
		else
			sf_dpy_glz_leave(d, c);
	}
	sf_dpy_occlusion_cover(d, sid, r);
	sf_dpy_occlusion_add(d, sid, r, v);
	for (int k = 0; k < SF_CODECS; k++)
		sf_buf_unref(v[k]);
}

/* A blend or a raster-op copy in the encodings its clients need, each made
 * once. It reads what is under it, so it obsoletes nothing; a later opaque
 * draw over it may obsolete it (what it wrote is then overwritten anyway). */
void sf_dpy_fanout_reading(struct sf_display *d, const struct sf_cmd *cmd)
{
	struct sf_buf *v[SF_CODECS] = {NULL};
	const struct sf_rect *r = &cmd->rect;
	bool blend = cmd->type == SF_CMD_BLEND;
	struct area a = {cmd->image,
			 (uint32_t)cmd->src_x,
			 (uint32_t)cmd->src_y,
			 (uint32_t)sf_rect_w(r),
			 (uint32_t)sf_rect_h(r),
			 -1,
			 false};

	for (struct client *c = d->clients; c; c = c->next) {
		enum sf_codec k;
		if (!sf_dpy_client_ready(d, c, K_DISPLAY))
			continue;
		k = sf_marshal_blend_codec(codec_for(d, c, &a), cmd->image);
		if (!v[k]) {
			d->stats.images[k]++;
			d->stats.blend_images[k] += blend;
			v[k] = blend ? sf_marshal_blend_as(k, cmd->surface_id, r, cmd->image,
							   cmd->src_x, cmd->src_y, cmd->alpha)
				     : sf_marshal_rop_as(k, cmd->surface_id, r, cmd->image,
							 cmd->src_x, cmd->src_y, cmd->ropd);
		}
		if (v[k])
			sf_dpy_push(c, v[k]);
	}
	sf_dpy_occlusion_add(d, cmd->surface_id, r, v);
	for (int k = 0; k < SF_CODECS; k++)
		sf_buf_unref(v[k]);
}

void sf_dpy_send_one(struct client *c, struct sf_buf *b)
{
	if (b)
		sf_dpy_push(c, b);
	sf_buf_unref(b);
}

/* Surface @sid's whole picture to @c. */
void sf_dpy_send_snapshot(struct sf_display *d, struct client *c, uint32_t sid)
{
	const struct sf_image *img = sf_surface_image(d->surfaces[sid]);
	struct area a = {img, 0, 0, img->width, img->height, -1, true};
	enum sf_codec k = codec_for(d, c, &a);

	/* snapshots stay out of the dictionary (while it is empty, more
	 * clients may join it) */
	k = k == SF_CODEC_GLZ ? SF_CODEC_LZ : k;
	sf_dpy_send_one(c, surface_snapshot(d, sid, k));
}
