/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/fanout.c: the producer's delivery to its clients: client
 * references, occlusion of superseded draws, per-client staging published
 * once per loop round, the GLZ cohort, and the readiness check and fan-out
 * every message goes through. Producer thread, except the references. */
#include <errno.h>
#include <string.h>
#include "channels/display-priv.h"
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
 * session, so only display 0 uses GLZ; a client migrated in brings a window
 * the dictionary did not fill, so it never joins. */
#define GLZ_WINDOW_DEFAULT (1u << 22) /* pixels: 16 MB; spice-gtk offers 12-64 */

void sf_dpy_glz_join(struct sf_display *d, struct client *c)
{
	if (c->kind != K_DISPLAY || d->id != 0 || c->migrated)
		return;
	if (!d->glz && !(d->glz = sf_glz_new(GLZ_WINDOW_DEFAULT)))
		return;
	if (sf_glz_next_id(d->glz) != 0)
		return; /* emptied when its last member left */
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
