/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/engine/test-queue.c: engine/queue.h semantics and an MPSC stress. */
#include <pthread.h>
#include <stdlib.h>
#include "engine/queue.h"
#include "engine/common.h"
#include "tests/unit.h"

struct node {
	struct sf_queue_node n;
	int producer, seq;
};

SF_TEST(queue_push_reports_empty_transition)
{
	struct sf_queue q;
	struct node a, b;

	sf_queue_init(&q);
	SF_TEST_ASSERT(sf_queue_empty(&q));
	SF_TEST_ASSERT(sf_queue_push(&q, &a.n));
	SF_TEST_ASSERT(!sf_queue_push(&q, &b.n));
	SF_TEST_ASSERT(sf_queue_pop(&q) == &a.n);
	SF_TEST_ASSERT(sf_queue_pop(&q) == &b.n);
	SF_TEST_ASSERT(sf_queue_pop(&q) == NULL);
	SF_TEST_ASSERT(sf_queue_push(&q, &a.n)); /* empty again */
}

SF_TEST(queue_splice_keeps_order)
{
	struct sf_queue q, batch;
	struct node n[5];

	sf_queue_init(&q);
	sf_queue_init(&batch);
	for (int i = 0; i < 5; i++) {
		n[i].seq = i;
		sf_queue_push(&q, &n[i].n);
	}
	sf_queue_splice(&batch, &q);
	SF_TEST_ASSERT(sf_queue_empty(&q));
	for (int i = 0; i < 5; i++) {
		struct sf_queue_node *x = sf_queue_pop(&batch);
		SF_TEST_ASSERT(x && sf_container_of(x, struct node, n)->seq == i);
	}
}

#define PRODUCERS    4
#define PER_PRODUCER 50000

static struct sf_queue g_q;

static void *producer(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < PER_PRODUCER; i++) {
		struct node *n = malloc(sizeof(*n));
		n->producer = id;
		n->seq = i;
		sf_queue_push(&g_q, &n->n);
	}
	return NULL;
}

SF_TEST(queue_mpsc_stress_no_loss_per_producer_fifo)
{
	pthread_t t[PRODUCERS];
	int next[PRODUCERS] = {0}, got = 0;
	bool ordered = true;

	sf_queue_init(&g_q);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_create(&t[i], NULL, producer, (void *)(intptr_t)i);
	while (got < PRODUCERS * PER_PRODUCER) {
		struct sf_queue batch;
		struct sf_queue_node *x;
		sf_queue_init(&batch);
		sf_queue_splice(&batch, &g_q);
		while ((x = sf_queue_pop(&batch))) {
			struct node *n = sf_container_of(x, struct node, n);
			if (n->seq != next[n->producer]++)
				ordered = false;
			free(n);
			got++;
		}
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(t[i], NULL);
	SF_TEST_ASSERT(ordered);
	SF_TEST_ASSERT(sf_queue_empty(&g_q));
}
