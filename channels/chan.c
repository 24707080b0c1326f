/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/chan.c: framing, common messages and the send stage of one channel
 * connection. Headers are per client (serials differ), bodies are shared
 * sf_bufs, so a batch is a writev of header/body pairs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <spice/enums.h>
#include "channels/chan.h"
#include "channels/wire.h"
#include "channels/tls.h"
#include "engine/log.h"
#include "engine/clock.h"

SF_LOG_TOPIC("chan");

#define FULL_HDR     SF_CHAN_HDR_MAX
#define MINI_HDR     6
#define BATCH_MSGS   64		/* header+body pairs per writev */
#define FLUSH_BUDGET (4u << 20) /* bytes per flush round before yielding the loop */

struct item {
	struct sf_queue_node node;
	struct sf_buf *buf;
	uint8_t hdr[FULL_HDR];
	bool hdr_done;
	struct item *next;	  /* on the loop-owned out list */
	struct item_block *block; /* the allocation it came in */
};

/* Items pushed together (one, or a producer's batch) share one allocation,
 * freed with the last of them.
 * Only the connection's loop (or its last holder) ends items, so the count
 * needs no atomics. */
struct item_block {
	unsigned left;
	struct item items[];
};

struct sf_chan {
	/* cache line 1: loop thread only */
	struct sf_loop *loop;
	int fd;
	SSL *ssl; /* NULL on the plain port */
	struct sf_watch *watch;
	const struct sf_chan_ops *ops;
	void *data;
	struct sf_link_info info;
	uint32_t hdr_size;
	uint64_t serial;
	struct sf_queue taken;		  /* spliced from pipe, not yet on the out list */
	struct item *out_head, *out_tail; /* taken from pipe, in order */
	uint32_t head_off;		  /* bytes of out_head already written */
	bool want_out;
	bool paused; /* input held back: the handler's consumer is full */
	bool started;
	uint64_t last_flush_ns; /* when a flush last wrote something */
	uint64_t skipped;	/* superseded messages never sent */
	bool close_done;
	uint32_t ack_window, ack_generation, ack_client_gen, unacked;
	uint8_t *in;
	uint32_t in_cap, in_len;
	struct sf_ratelimit rl;
	struct sf_task start_task, send_task, close_task, migrate_task;
	enum { MIG_NONE, MIG_FLUSH, MIG_SENT, MIG_LOAD_START, MIG_LOAD } mig;

	/* cache line 2: any thread, atomics and the wfcqueue only */
	struct sf_queue pipe __attribute__((aligned(64)));
	atomic_size_t pushed;	 /* bytes ever queued (headers included) */
	atomic_size_t done_seen; /* a past value of done, for sf_chan_backlog_over() */
	atomic_uint ref;
	atomic_bool closing;
	atomic_uint set_ack_gen;

	/* cache line 3: written by the loop thread only, read by pushers; apart
	 * from the pushers' line so a push never waits for the sender's line */
	atomic_size_t done __attribute__((aligned(64))); /* bytes sent or dropped */
};

static void start_fn(struct sf_task *t);
static void send_fn(struct sf_task *t);
static void close_fn(struct sf_task *t);
static void migrate_fn(struct sf_task *t);

struct sf_chan *sf_chan_create(struct sf_loop *loop, int fd, const struct sf_link_info *info,
			       const struct sf_chan_ops *ops, void *data)
{
	/* its cache lines apart: calloc() would not align them */
	struct sf_chan *c = aligned_alloc(_Alignof(struct sf_chan), sizeof(*c));
	int one = 1;

	if (!c)
		goto err_close;
	memset(c, 0, sizeof(*c));
	c->hdr_size = info->mini_header ? MINI_HDR : FULL_HDR;
	c->in_cap = SF_MAX(c->hdr_size + ops->max_msg_size, 16384u);
	c->in = malloc(c->in_cap);
	if (!c->in)
		goto err_free;
	c->loop = loop;
	c->fd = fd;
	c->ssl = info->ssl;
	c->ops = ops;
	c->data = data;
	c->info = *info;
	c->rl = (struct sf_ratelimit)SF_RATELIMIT_INIT(1000, 5);
	sf_queue_init(&c->pipe);
	sf_queue_init(&c->taken);
	atomic_init(&c->ref, 1);
	sf_task_init(&c->start_task, start_fn);
	sf_task_init(&c->send_task, send_fn);
	sf_task_init(&c->close_task, close_fn);
	sf_task_init(&c->migrate_task, migrate_fn);
	/* the loop must never block in recv/writev, whatever the caller handed us */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;

err_free:
	free(c);
err_close:
	SSL_free(info->ssl);
	close(fd);
	return NULL;
}

struct sf_chan *sf_chan_ref(struct sf_chan *c)
{
	/* relaxed: the caller already holds a reference */
	atomic_fetch_add_explicit(&c->ref, 1, memory_order_relaxed);
	return c;
}

/* @it leaves the channel, sent or not. Thread: the loop, or the last holder
 * (the only writers of @done, so no read-modify-write is needed). */
static void item_done(struct sf_chan *c, struct item *it)
{
	/* relaxed: a statistic for pushers deciding to coalesce */
	size_t done = atomic_load_explicit(&c->done, memory_order_relaxed);

	atomic_store_explicit(&c->done, done + c->hdr_size + it->buf->size, memory_order_relaxed);
	sf_buf_unref(it->buf);
	if (--it->block->left == 0)
		free(it->block);
}

static void free_items(struct sf_chan *c)
{
	struct sf_queue_node *n;
	struct item *it;

	sf_queue_splice(&c->taken, &c->pipe);
	while ((n = sf_queue_pop(&c->taken))) {
		it = sf_container_of(n, struct item, node);
		item_done(c, it);
	}
	while ((it = c->out_head)) {
		c->out_head = it->next;
		item_done(c, it);
	}
	c->out_tail = NULL;
}

void sf_chan_unref(struct sf_chan *c)
{
	if (!c)
		return;
	/* acq_rel: the last holder must see every other holder's writes */
	if (atomic_fetch_sub_explicit(&c->ref, 1, memory_order_acq_rel) != 1)
		return;
	free_items(c);
	SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c);
}

/* Pin @c for a task; the task function drops the pin. */
static void wake(struct sf_chan *c, struct sf_task *t)
{
	sf_chan_ref(c);
	if (!sf_loop_wake(c->loop, t))
		sf_chan_unref(c);
}

void sf_chan_start(struct sf_chan *c)
{
	wake(c, &c->start_task);
}

void sf_chan_migrate(struct sf_chan *c)
{
	wake(c, &c->migrate_task);
}

void sf_chan_close(struct sf_chan *c)
{
	/* release: pairs with the acquire in sf_chan_push(); later pushes drop */
	atomic_store_explicit(&c->closing, true, memory_order_release);
	wake(c, &c->close_task);
}

bool sf_chan_closed(const struct sf_chan *c)
{
	return atomic_load_explicit(&c->closing, memory_order_acquire);
}

int sf_chan_push_owned_n(struct sf_chan *c, struct sf_buf *const *bufs, unsigned n)
{
	struct item_block *blk;
	size_t bytes = 0;
	bool woke = false;

	/* acquire: pairs with the release in sf_chan_close() */
	if (atomic_load_explicit(&c->closing, memory_order_acquire))
		return -EPIPE;
	if (!n)
		return 0;
	blk = malloc(sizeof(*blk) + n * sizeof(blk->items[0]));
	if (!blk)
		return -ENOMEM;
	blk->left = n;
	for (unsigned i = 0; i < n; i++) {
		struct item *it = &blk->items[i];
		it->buf = bufs[i];
		it->hdr_done = false;
		it->next = NULL;
		it->block = blk;
		bytes += bufs[i]->size + c->hdr_size;
	}
	/* relaxed: a statistic read by producers deciding to coalesce */
	atomic_fetch_add_explicit(&c->pushed, bytes, memory_order_relaxed);
	/* the send stage may take the first ones before the last are in:
	 * any push that found the pipe empty must wake it */
	for (unsigned i = 0; i < n; i++)
		woke |= sf_queue_push(&c->pipe, &blk->items[i].node);
	if (woke)
		wake(c, &c->send_task);
	return 0;
}

int sf_chan_push_owned(struct sf_chan *c, struct sf_buf *buf)
{
	return sf_chan_push_owned_n(c, &buf, 1);
}

int sf_chan_push(struct sf_chan *c, struct sf_buf *buf)
{
	int r = sf_chan_push_owned(c, sf_buf_ref(buf));

	if (r < 0)
		sf_buf_unref(buf);
	return r;
}

int sf_chan_set_ack(struct sf_chan *c, uint32_t window)
{
	struct sf_wbuf w;
	struct sf_buf *b;
	int r;
	/* relaxed: generation numbers only need to be distinct per channel */
	uint32_t gen = atomic_fetch_add_explicit(&c->set_ack_gen, 1, memory_order_relaxed) + 1;

	sf_wbuf_init(&w, SPICE_MSG_SET_ACK, 8);
	sf_wbuf_u32(&w, gen);
	sf_wbuf_u32(&w, window);
	b = sf_wbuf_finish(&w);
	if (!b)
		return -ENOMEM;
	r = sf_chan_push(c, b);
	sf_buf_unref(b);
	return r;
}

size_t sf_chan_backlog(const struct sf_chan *c)
{
	/* relaxed, done first: it never passes what was pushed before it */
	size_t done = atomic_load_explicit(&c->done, memory_order_relaxed);

	return atomic_load_explicit(&c->pushed, memory_order_relaxed) - done;
}

size_t sf_chan_backlog_room(struct sf_chan *c, size_t limit)
{
	/* relaxed: a hint, like sf_chan_backlog(); done_seen never passes
	 * done, so pushed - done_seen never understates the backlog */
	size_t pushed = atomic_load_explicit(&c->pushed, memory_order_relaxed);
	size_t seen = atomic_load_explicit(&c->done_seen, memory_order_relaxed);

	if (pushed - seen > limit / 2) {
		seen = atomic_load_explicit(&c->done, memory_order_relaxed);
		atomic_store_explicit(&c->done_seen, seen, memory_order_relaxed);
	}
	return pushed - seen > limit ? 0 : limit - (pushed - seen) + 1;
}

uint64_t sf_chan_skipped(const struct sf_chan *c)
{
	return c->skipped;
}

bool sf_chan_ack_blocked(const struct sf_chan *c)
{
	return c->ops->acks && c->ack_window && c->unacked >= 2 * c->ack_window;
}

void *sf_chan_data(const struct sf_chan *c)
{
	return c->data;
}

struct sf_loop *sf_chan_loop(const struct sf_chan *c)
{
	return c->loop;
}

const struct sf_link_info *sf_chan_info(const struct sf_chan *c)
{
	return &c->info;
}

bool sf_chan_test_cap(const struct sf_chan *c, unsigned bit)
{
	return sf_caps_test(c->info.channel_caps, c->info.num_channel_caps, bit);
}

bool sf_chan_test_common_cap(const struct sf_chan *c, unsigned bit)
{
	return sf_caps_test(c->info.common_caps, c->info.num_common_caps, bit);
}

/* ---- loop thread from here on ---- */

static void do_close(struct sf_chan *c, const char *why)
{
	if (c->close_done)
		return;
	c->close_done = true;
	atomic_store_explicit(&c->closing, true, memory_order_release);
	if (why && sf_ratelimit_test(&c->rl))
		sf_log_info("%p: %s client disconnected: %s", (void *)c, c->ops->name, why);
	sf_loop_watch_remove(c->watch);
	c->watch = NULL;
	shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	c->fd = -1;
	free_items(c);
	if (c->ops->on_close)
		c->ops->on_close(c);
	if (c->started) {
		c->started = false;
		if (c->ops->batch)
			sf_loop_batch_leave(c->loop);
		sf_chan_unref(c); /* the loop's reference, taken in start_fn */
	}
}

static void close_fn(struct sf_task *t)
{
	struct sf_chan *c = sf_container_of(t, struct sf_chan, close_task);

	do_close(c, NULL);
	sf_chan_unref(c);
}

static void set_events(struct sf_chan *c)
{
	if (c->watch)
		sf_loop_watch_update(c->watch,
				     (c->paused ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0));
}

static void update_events(struct sf_chan *c, bool want_out)
{
	if (!c->watch || want_out == c->want_out)
		return;
	c->want_out = want_out;
	set_events(c);
}

static void fill_header(struct sf_chan *c, struct item *it)
{
	uint8_t *h = it->hdr;

	if (c->hdr_size == MINI_HDR) {
		sf_put_le16(h, it->buf->type);
		sf_put_le32(h + 2, it->buf->size);
	} else {
		sf_put_le64(h, ++c->serial);
		sf_put_le16(h + 8, it->buf->type);
		sf_put_le32(h + 10, it->buf->size);
		sf_put_le32(h + 14, 0);
	}
	it->hdr_done = true;
	if (it->buf->type == SPICE_MSG_SET_ACK) {
		/* the client counts from SET_ACK on, so do we */
		c->ack_window = sf_get_le32(it->buf->data + 4);
		c->ack_generation = sf_get_le32(it->buf->data);
		c->unacked = 0;
	} else if (c->ops->acks) {
		c->unacked++;
	}
}

/* Build an iovec over the out list; returns the count. Over TLS one message
 * per write: spice-gtk stops reading after a complete message while the rest
 * of its TLS record waits, undecrypted by it, inside OpenSSL (no socket
 * readiness follows), so a record must never carry two messages. */
static int build_iov(struct sf_chan *c, struct iovec *iov, size_t *total)
{
	struct item *it = c->out_head;
	uint32_t skip = c->head_off;
	int n = 0, max = c->ssl ? 1 : BATCH_MSGS;

	*total = 0;
	for (int m = 0; it && m < max; m++, it = it->next) {
		if (!it->hdr_done) {
			if (sf_chan_ack_blocked(c))
				break;
			fill_header(c, it);
		}
		if (skip < c->hdr_size) {
			iov[n].iov_base = it->hdr + skip;
			iov[n++].iov_len = c->hdr_size - skip;
			skip = 0;
		} else {
			skip -= c->hdr_size;
		}
		if (it->buf->size > skip) {
			iov[n].iov_base = it->buf->data + skip;
			iov[n++].iov_len = it->buf->size - skip;
		}
		skip = 0;
	}
	for (int i = 0; i < n; i++)
		*total += iov[i].iov_len;
	return n;
}

static void consume(struct sf_chan *c, size_t written)
{
	while (written && c->out_head) {
		struct item *it = c->out_head;
		size_t left = c->hdr_size + it->buf->size - c->head_off;
		if (written < left) {
			c->head_off += (uint32_t)written;
			return;
		}
		written -= left;
		c->head_off = 0;
		c->out_head = it->next;
		if (!c->out_head)
			c->out_tail = NULL;
		item_done(c, it);
	}
}

static void splice_pipe(struct sf_chan *c)
{
	struct sf_queue_node *n;

	/* one exchange with the pushers for the whole backlog, then pops
	 * that touch no line they write */
	sf_queue_splice(&c->taken, &c->pipe);
	while ((n = sf_queue_pop(&c->taken))) {
		struct item *it = sf_container_of(n, struct item, node);
		if (c->out_tail)
			c->out_tail->next = it;
		else
			c->out_head = it;
		c->out_tail = it;
	}
}

/* Drop superseded messages this client has not started: their header was
 * never built, so serials and the ack count stay exact. */
static void prune(struct sf_chan *c)
{
	struct item **pp = &c->out_head, *prev = NULL;

	while (*pp) {
		struct item *it = *pp;
		if (!it->hdr_done && !(it == c->out_head && c->head_off) &&
		    sf_buf_is_obsolete(it->buf)) {
			*pp = it->next;
			if (c->out_tail == it)
				c->out_tail = prev;
			c->skipped++;
			item_done(c, it);
			continue;
		}
		prev = it;
		pp = &it->next;
	}
}

/* Returns -errno on a fatal socket error. */
static int flush(struct sf_chan *c)
{
	struct iovec iov[2 * BATCH_MSGS];
	size_t sent = 0, total;
	ssize_t w;
	int n;

	splice_pipe(c);
	prune(c);
	while (c->out_head) {
		n = build_iov(c, iov, &total);
		if (n == 0)
			break; /* ack window closed */
		w = c->ssl ? sf_tls_writev(c->ssl, iov, n) : writev(c->fd, iov, n);
		if (w < 0 && !c->ssl)
			w = -errno;
		if (w < 0) {
			if (w == -EAGAIN || w == -EINTR) {
				update_events(c, true);
				return 0;
			}
			return (int)w;
		}
		consume(c, (size_t)w);
		sent += (size_t)w;
		c->last_flush_ns = sf_clock_now_ns();
		if ((size_t)w < total) {
			update_events(c, true);
			return 0;
		}
		if (sent >= FLUSH_BUDGET) {
			wake(c, &c->send_task); /* yield to other clients on this loop */
			return 0;
		}
		if (!c->out_head) {
			splice_pipe(c);
			prune(c);
		}
	}
	update_events(c, false);
	if (!c->out_head && !sf_chan_ack_blocked(c) && sf_queue_empty(&c->pipe) &&
	    c->ops->on_drained)
		c->ops->on_drained(c);
	return 0;
}

/* Bulk channels on a loop with a tick: the first message after a quiet
 * tick goes out at once (interactive latency); messages following it within
 * the tick are written together at the tick, one writev per client instead
 * of one per message. */
static enum sf_defer defer_send(struct sf_chan *c)
{
	unsigned tick = sf_loop_tick(c->loop);

	if (!c->ops->batch || !tick || sf_loop_in_tick(c->loop))
		return SF_DEFER_NO_TICK;
	if (sf_clock_now_ns() - c->last_flush_ns >= (uint64_t)tick * 1000000)
		return SF_DEFER_NO_TICK;
	return sf_loop_defer(c->loop, &c->send_task);
}

/* A client that was sent something at this tick stays on the next one: its
 * send task waits there queued, so the producer's pushes in between find it
 * queued and wake no thread. A tick with nothing to send lets it go quiet. */
static void keep_ticking(struct sf_chan *c)
{
	sf_chan_ref(c);
	if (sf_loop_defer(c->loop, &c->send_task) != SF_DEFER_QUEUED)
		sf_chan_unref(c);
}

static void send_fn(struct sf_task *t)
{
	struct sf_chan *c = sf_container_of(t, struct sf_chan, send_task);
	uint64_t wrote_at = c->last_flush_ns;
	int r;

	if (c->started && !c->close_done) {
		switch (defer_send(c)) {
		case SF_DEFER_QUEUED:
			return; /* the pin travels with the deferred task */
		case SF_DEFER_ALREADY:
			goto out;
		case SF_DEFER_NO_TICK:
			break;
		}
		r = flush(c);
		if (r < 0)
			do_close(c, strerror(-r));
		else if (c->last_flush_ns != wrote_at && sf_loop_in_tick(c->loop))
			keep_ticking(c);
	}
out:
	sf_chan_unref(c);
}

static void migrate_fn(struct sf_task *t)
{
	struct sf_chan *c = sf_container_of(t, struct sf_chan, migrate_task);
	uint32_t flags = c->ops->migrate_save
				 ? SPICE_MIGRATE_NEED_FLUSH | SPICE_MIGRATE_NEED_DATA_TRANSFER
				 : 0;
	struct sf_wbuf w;
	struct sf_buf *b;

	if (!c->close_done && c->mig == MIG_NONE) {
		sf_wbuf_init(&w, SPICE_MSG_MIGRATE, 4);
		sf_wbuf_u32(&w, flags);
		b = sf_wbuf_finish(&w);
		if (b)
			sf_chan_push(c, b);
		sf_buf_unref(b);
		c->mig = flags ? MIG_FLUSH : MIG_SENT;
		/* the flush mark may sit behind input a full consumer paused */
		if (c->mig == MIG_FLUSH && c->paused)
			sf_chan_resume_read(c);
		/* now, not at the next tick: the client switches once every
		 * channel has migrated, and the guest waits for it meanwhile */
		int r = c->started ? flush(c) : 0;
		if (r < 0)
			do_close(c, strerror(-r));
	}
	sf_chan_unref(c);
}

bool sf_chan_migrating(const struct sf_chan *c)
{
	return c->mig == MIG_FLUSH || c->mig == MIG_SENT;
}

void sf_chan_expect_migrate_data(struct sf_chan *c)
{
	if (c->ops->migrate_load && c->mig == MIG_NONE)
		c->mig = MIG_LOAD;
}

static int flush_mark(struct sf_chan *c)
{
	struct sf_buf *b;

	if (c->mig != MIG_FLUSH)
		return 0; /* not asked for: harmless */
	b = c->ops->migrate_save(c);
	if (!b)
		return -ENOMEM;
	sf_chan_push(c, b);
	sf_buf_unref(b);
	c->mig = MIG_SENT;
	sf_log_debug("%p: %s: flush mark, MIGRATE_DATA queued", (void *)c, c->ops->name);
	return flush(c); /* not at the next tick, as for MIGRATE */
}

static int migrate_data(struct sf_chan *c, const uint8_t *p, uint32_t size)
{
	bool start = c->mig == MIG_LOAD_START;
	int r;

	if (c->mig != MIG_LOAD_START && c->mig != MIG_LOAD)
		return -EPROTO;
	r = c->ops->migrate_load(c, p, size);
	if (r < 0) {
		sf_log_warn("%p: %s: MIGRATE_DATA rejected (%s)", (void *)c, c->ops->name,
			    strerror(-r));
		return r;
	}
	c->mig = MIG_NONE;
	sf_log_debug("%p: %s: MIGRATE_DATA applied", (void *)c, c->ops->name);
	if (start && c->ops->on_start)
		c->ops->on_start(c);
	return flush(c);
}

static int handle_common(struct sf_chan *c, uint16_t type, const uint8_t *p, uint32_t size)
{
	/* a client forwards MIGRATE_DATA before anything else: a connection
	 * that starts otherwise is a fresh one (linked after the switch) */
	if (c->mig == MIG_LOAD_START && type != SPICE_MSGC_MIGRATE_DATA) {
		c->mig = MIG_NONE;
		if (c->ops->on_start)
			c->ops->on_start(c);
	}
	switch (type) {
	case SPICE_MSGC_MIGRATE_FLUSH_MARK:
		return flush_mark(c);
	case SPICE_MSGC_MIGRATE_DATA:
		return migrate_data(c, p, size);
	case SPICE_MSGC_ACK_SYNC:
		if (size < 4)
			return -EPROTO;
		c->ack_client_gen = sf_get_le32(p);
		return 0;
	case SPICE_MSGC_ACK:
		if (c->ack_client_gen == c->ack_generation) {
			/* only a closed window held messages back; the rest wait
			 * for their tick, not for the client's acks */
			bool blocked = sf_chan_ack_blocked(c);
			c->unacked = c->unacked > c->ack_window ? c->unacked - c->ack_window : 0;
			return blocked ? flush(c) : 0;
		}
		return 0;
	case SPICE_MSGC_DISCONNECTING:
		return -ECONNRESET;
	default:
		return c->ops->handle(c, type, p, size);
	}
}

/* Room for one message of @need bytes (a migration's one large message). */
static int grow_input(struct sf_chan *c, uint32_t need)
{
	uint8_t *n;

	if (need <= c->in_cap)
		return 0;
	n = realloc(c->in, need);
	if (!n)
		return -ENOMEM;
	c->in = n;
	c->in_cap = need;
	return 0;
}

/* Parse complete messages in the input buffer. Returns -errno to disconnect. */
static int parse_input(struct sf_chan *c)
{
	uint32_t off = 0;
	int r = 0;

	while (!c->paused && c->in_len - off >= c->hdr_size) {
		const uint8_t *h = c->in + off;
		uint16_t type = c->hdr_size == MINI_HDR ? sf_get_le16(h) : sf_get_le16(h + 8);
		uint32_t size = c->hdr_size == MINI_HDR ? sf_get_le32(h + 2) : sf_get_le32(h + 10);

		if (type == SPICE_MSGC_MIGRATE_DATA &&
		    (c->mig == MIG_LOAD || c->mig == MIG_LOAD_START) &&
		    size <= SF_CHAN_MIGRATE_DATA_MAX) {
			if (grow_input(c, c->hdr_size + size) < 0)
				return -ENOMEM;
			h = c->in + off;
		} else if (size > c->ops->max_msg_size) {
			if (sf_ratelimit_test(&c->rl))
				sf_log_warn("%p: %s message type %u too large (%u > %u)", (void *)c,
					    c->ops->name, type, size, c->ops->max_msg_size);
			return -EMSGSIZE;
		}
		if (c->in_len - off - c->hdr_size < size)
			break;
		r = handle_common(c, type, h + c->hdr_size, size);
		if (r < 0) {
			if (r != -ECONNRESET && sf_ratelimit_test(&c->rl))
				sf_log_warn("%p: %s bad message type %u size %u: %s", (void *)c,
					    c->ops->name, type, size, strerror(-r));
			return r;
		}
		if (c->close_done)
			return 0;
		off += c->hdr_size + size;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
	return 0;
}

static void on_io(void *data, int fd, uint32_t events)
{
	struct sf_chan *c = data;
	int r = 0;

	sf_chan_ref(c);
	if (events & EPOLLOUT)
		r = flush(c);
	for (int rounds = 0; r == 0 && !c->close_done && !c->paused &&
			     (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && rounds < 4;
	     rounds++) {
		size_t want = c->in_cap - c->in_len;
		ssize_t n = c->ssl ? sf_tls_read(c->ssl, c->in + c->in_len, want)
				   : recv(fd, c->in + c->in_len, want, 0);
		if (n < 0 && !c->ssl)
			n = -errno;
		if (n == 0) {
			r = -ECONNRESET;
			break;
		}
		if (n < 0) {
			if (n != -EAGAIN && n != -EINTR)
				r = (int)n;
			break;
		}
		c->in_len += (uint32_t)n;
		r = parse_input(c);
		/* TLS may hold decrypted bytes the socket no longer signals */
		if (r == 0 && c->ssl && SSL_pending(c->ssl) > 0)
			rounds--;
		/* a short read took all the socket had: the level-triggered
		 * watch says when there is more, sparing a recv() that would
		 * only say EAGAIN (one per client ACK otherwise) */
		else if (!c->ssl && (size_t)n < want)
			break;
	}
	if (r < 0)
		do_close(c, r == -ECONNRESET ? "closed by peer" : strerror(-r));
	sf_chan_unref(c);
}

void sf_chan_pause_read(struct sf_chan *c)
{
	if (c->paused || c->close_done)
		return;
	c->paused = true;
	set_events(c);
}

void sf_chan_resume_read(struct sf_chan *c)
{
	int r;

	if (!c->paused || c->close_done)
		return;
	c->paused = false;
	set_events(c);
	sf_chan_ref(c);
	/* messages already buffered get no new readiness event */
	r = parse_input(c);
	if (r < 0)
		do_close(c, strerror(-r));
	else if (!c->paused && c->ssl && SSL_pending(c->ssl) > 0)
		on_io(c, c->fd, EPOLLIN);
	sf_chan_unref(c);
}

static void start_fn(struct sf_task *t)
{
	struct sf_chan *c = sf_container_of(t, struct sf_chan, start_task);

	if (!c->close_done && !c->started) {
		c->watch = sf_loop_watch_add(c->loop, c->fd, EPOLLIN, on_io, c);
		if (!c->watch) {
			do_close(c, "cannot watch socket");
		} else {
			c->started = true;
			if (c->ops->batch)
				sf_loop_batch_join(c->loop);
			sf_chan_ref(c); /* the loop's reference, dropped in do_close() */
			if (c->info.migrated && c->ops->migrate_load)
				c->mig = MIG_LOAD_START;
			else if (c->ops->on_start)
				c->ops->on_start(c);
			flush(c);
			/* bytes the link stage's TLS reads already decrypted are
			 * invisible to epoll: consume them now */
			if (c->ssl && !c->close_done && SSL_pending(c->ssl) > 0)
				on_io(c, c->fd, EPOLLIN);
		}
	}
	sf_chan_unref(c);
}
