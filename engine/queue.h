/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/queue.h: wait-free multi-producer, single-consumer queue (liburcu
 * wfcqueue). Producers push; the one consumer splices the whole backlog at once
 * and works on the batch, which is where send stages coalesce.
 *
 * Synchronization table ("X" = needs external mutual exclusion):
 *
 *            | push | pop | splice(src) | empty
 *  push      |  -   |  -  |      -      |   -
 *  pop       |  -   |  X  |      X      |   -
 *  splice    |  -   |  X  |      X      |   -
 *  empty     |  -   |  -  |      -      |   -
 *
 * In Saffron the consumer side (pop, splice) is always the single thread that
 * owns the queue, so no lock is ever taken. */
#ifndef SF_ENGINE_QUEUE_H
#define SF_ENGINE_QUEUE_H

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <stdbool.h>
#include <urcu/wfcqueue.h>
#include "engine/tsan.h"

/* Fields private to engine/queue.h; public so callers can embed queue and node
 * (no allocation per push). */
struct sf_queue {
	struct __cds_wfcq_head head;
	struct cds_wfcq_tail tail;
};

struct sf_queue_node {
	struct cds_wfcq_node node;
};

static inline void sf_queue_init(struct sf_queue *q)
{
	__cds_wfcq_init(&q->head, &q->tail);
}

static inline void sf_queue_node_init(struct sf_queue_node *n)
{
	cds_wfcq_node_init(&n->node);
}

/* Append @n. Thread: any. Wait-free.
 * Returns: true if the queue was empty before (the caller wakes the consumer). */
static inline bool sf_queue_push(struct sf_queue *q, struct sf_queue_node *n)
{
	cds_wfcq_node_init(&n->node);
	SF_TSAN_RELEASE(n); /* the enqueue publishes the node's contents */
	return !cds_wfcq_enqueue(&q->head, &q->tail, &n->node);
}

/* Take the oldest node or NULL. Thread: the consumer. May spin briefly while a
 * concurrent push is between its two stores (never blocks on a lock). */
static inline struct sf_queue_node *sf_queue_pop(struct sf_queue *q)
{
	struct cds_wfcq_node *n = __cds_wfcq_dequeue_blocking(&q->head, &q->tail);
	if (!n)
		return NULL;
	SF_TSAN_ACQUIRE(n); /* pairs with the release in sf_queue_push() */
	return (struct sf_queue_node *)n;
}

/* Move everything from @src to the end of @dst. Thread: the consumer of both. */
static inline void sf_queue_splice(struct sf_queue *dst, struct sf_queue *src)
{
	__cds_wfcq_splice_blocking(&dst->head, &dst->tail, &src->head, &src->tail);
}

/* Thread: any; a snapshot. */
static inline bool sf_queue_empty(struct sf_queue *q)
{
	return cds_wfcq_empty(&q->head, &q->tail);
}

#endif
