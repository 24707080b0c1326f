/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/chan.h: one client's connection to one channel. Owns the socket,
 * frames incoming messages (mini or full header, bounded size), handles the
 * messages common to every channel (ACK_SYNC, ACK, PONG, DISCONNECTING) and
 * runs the send stage: a wait-free pipe any thread may push shared message
 * bodies into, drained by the owning loop with batched writev under the ack
 * window.
 *
 * Pipe synchronization ("X" = needs external exclusion):
 *
 *              | push | flush (send stage) | close
 *  push        |  -   |        -           |   -
 *  flush       |  -   |        X           |   X
 *
 * flush and close only run on the channel's loop thread, so nothing is locked.
 */
#ifndef SF_CHANNELS_CHAN_H
#define SF_CHANNELS_CHAN_H

#include <stdint.h>
#include "engine/buf.h"
#include "engine/loop.h"
#include "channels/link.h"

struct sf_chan;

/* Largest MIGRATE_DATA a migration target accepts: a char device's write
 * buffer (at most 4 MiB) plus headers. */
#define SF_CHAN_MIGRATE_DATA_MAX (4u * 1024 * 1024 + 65536)

struct sf_chan_ops {
	const char *name;
	uint32_t max_msg_size; /* larger client messages disconnect the client */
	bool acks;	       /* flow control with SET_ACK / ACK */
	bool batch;	       /* writes may wait for the loop's tick (bulk channels) */
	/* A client message that is not common to all channels. Returns 0, or
	 * -errno to disconnect this client (the caller logs). */
	int (*handle)(struct sf_chan *c, uint16_t type, const uint8_t *body, uint32_t size);
	/* After the socket is registered on the loop. Optional. */
	void (*on_start)(struct sf_chan *c);
	/* Pipe empty and ack window open. Optional. */
	void (*on_drained)(struct sf_chan *c);
	/* Once, when the connection ends. Optional. */
	void (*on_close)(struct sf_chan *c);
	/* Seamless migration, both optional (without them the channel migrates
	 * with no data). Source, after the client's FLUSH_MARK: this client's
	 * state as a SPICE_MSG_MIGRATE_DATA message (NULL: out of memory, the
	 * client is disconnected). Target: validate and apply the body the
	 * client forwarded; -errno disconnects this client. */
	struct sf_buf *(*migrate_save)(struct sf_chan *c);
	int (*migrate_load)(struct sf_chan *c, const uint8_t *body, uint32_t size);
};

/* Create a connection for a linked socket; takes @fd. Nothing runs until
 * sf_chan_start(). Returns NULL (fd closed) on failure. Thread: any.
 * Ownership: the caller holds one reference. */
struct sf_chan *sf_chan_create(struct sf_loop *loop, int fd, const struct sf_link_info *info,
			       const struct sf_chan_ops *ops, void *data);

/* Register on the loop and call on_start there. Thread: any. When
 * @info->migrated and the ops have migrate_load, on_start waits for the
 * client's MIGRATE_DATA, the only message accepted until then. */
void sf_chan_start(struct sf_chan *c);

/* Source side of seamless migration: queue SPICE_MSG_MIGRATE, asking for a
 * flush mark and a data transfer when the ops have migrate_save. Nothing
 * should be pushed after it. Thread: any. */
void sf_chan_migrate(struct sf_chan *c);

/* True from sf_chan_migrate() on (source). Thread: loop. */
bool sf_chan_migrating(const struct sf_chan *c);

/* Accept one MIGRATE_DATA while running normally (the main channel, which
 * talks to the client before its data arrives). Thread: loop. */
void sf_chan_expect_migrate_data(struct sf_chan *c);

struct sf_chan *sf_chan_ref(struct sf_chan *c);
/* NULL is a no-op. Thread: any. Frees queued messages at zero. */
void sf_chan_unref(struct sf_chan *c);

/* Queue a message body. Thread: any. Wait-free.
 * Ownership: takes its own reference on @buf; the caller keeps its own.
 * Returns 0, or -EPIPE when the connection is closing (message dropped). */
int sf_chan_push(struct sf_chan *c, struct sf_buf *buf);

/* As sf_chan_push(), but takes over one reference the caller holds, which
 * stays the caller's when this fails. Thread: any. */
int sf_chan_push_owned(struct sf_chan *c, struct sf_buf *buf);

/* Queue @n bodies in order, taking over one reference to each, with one
 * allocation and one wake for all (a producer publishing a batch). The
 * references stay the caller's when this fails. Thread: any. */
int sf_chan_push_owned_n(struct sf_chan *c, struct sf_buf *const *bufs, unsigned n);

/* Queue SET_ACK with a new generation and @window. Thread: any. */
int sf_chan_set_ack(struct sf_chan *c, uint32_t window);

/* Bytes queued but not yet written. Thread: any; a snapshot. */
size_t sf_chan_backlog(const struct sf_chan *c);

/* The most a message's header adds to the backlog (the full header). */
#define SF_CHAN_HDR_MAX 18

/* Bytes that may still be queued before the backlog is over @limit; 0 when
 * it is over. An underestimate a pusher may spend without asking again: it
 * reads the send stage's counter only when an older reading of it leaves
 * less than half of @limit. Thread: any. */
size_t sf_chan_backlog_room(struct sf_chan *c, size_t limit);

/* Messages dropped because they were superseded before being sent.
 * Thread: loop. */
uint64_t sf_chan_skipped(const struct sf_chan *c);

/* True while the send stage waits for the client's ACK. Thread: loop. */
bool sf_chan_ack_blocked(const struct sf_chan *c);

/* Stop handling client messages (the current one completes) and stop
 * reading the socket, until sf_chan_resume_read(): backpressure from a full
 * consumer, e.g. a char device that takes no more bytes. Thread: loop. */
void sf_chan_pause_read(struct sf_chan *c);
void sf_chan_resume_read(struct sf_chan *c);

/* Disconnect. Thread: any; the socket is closed on the loop thread. */
void sf_chan_close(struct sf_chan *c);
bool sf_chan_closed(const struct sf_chan *c);

void *sf_chan_data(const struct sf_chan *c);
struct sf_loop *sf_chan_loop(const struct sf_chan *c);
const struct sf_link_info *sf_chan_info(const struct sf_chan *c);
bool sf_chan_test_cap(const struct sf_chan *c, unsigned bit);
bool sf_chan_test_common_cap(const struct sf_chan *c, unsigned bit);

#endif
