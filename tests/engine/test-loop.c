/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/engine/test-loop.c: cross-thread tasks, wake coalescing, timers,
 * watch removal from inside a callback, deferral to the tick, the hook
 * after each round. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include "engine/loop.h"
#include "engine/clock.h"
#include "engine/common.h"
#include "tests/unit.h"

struct ctx {
	struct sf_loop *loop;
	struct sf_task task;
	atomic_int runs;
	pthread_t runner;
	bool on_loop_thread;
};

static void count_fn(struct sf_task *t)
{
	struct ctx *c = sf_container_of(t, struct ctx, task);
	c->on_loop_thread = pthread_equal(pthread_self(), c->runner);
	if (atomic_fetch_add(&c->runs, 1) + 1 >= 3)
		sf_loop_quit(c->loop);
}

static void *run(void *arg)
{
	sf_loop_run(arg);
	return NULL;
}

SF_TEST(loop_task_runs_on_loop_thread_and_coalesces)
{
	struct ctx c = {0};

	c.loop = sf_loop_create();
	SF_TEST_ASSERT(c.loop);
	sf_task_init(&c.task, count_fn);
	/* two wakes before the loop runs: the second coalesces */
	SF_TEST_ASSERT(sf_loop_wake(c.loop, &c.task));
	SF_TEST_ASSERT(!sf_loop_wake(c.loop, &c.task));
	pthread_create(&c.runner, NULL, run, c.loop);
	for (int i = 0; i < 2000 && atomic_load(&c.runs) < 3; i++) {
		sf_loop_wake(c.loop, &c.task);
		usleep(1000);
	}
	pthread_join(c.runner, NULL);
	SF_TEST_ASSERT(atomic_load(&c.runs) >= 3);
	SF_TEST_ASSERT(c.on_loop_thread);
	sf_loop_destroy(c.loop);
}

static void timer_fn(void *data)
{
	int *n = data;
	(*n)++;
}

SF_TEST(loop_timer_fires_and_repeats)
{
	struct sf_loop *loop = sf_loop_create();
	struct sf_timer *t;
	uint64_t start = sf_clock_now_ns();
	int n = 0;

	t = sf_loop_timer_add(loop, timer_fn, &n);
	SF_TEST_ASSERT(t && sf_loop_timer_arm(t, 5, true) == 0);
	while (n < 3 && sf_clock_now_ns() - start < 2000000000ull)
		sf_loop_iterate(loop, 100);
	SF_TEST_ASSERT(n >= 3);
	sf_loop_timer_remove(t);
	sf_loop_destroy(loop);
}

struct pair {
	struct sf_watch *w[2];
	int calls;
};

static void remove_other(void *data, int fd, uint32_t ev)
{
	struct pair *p = data;
	p->calls++;
	sf_loop_watch_remove(p->w[0]);
	sf_loop_watch_remove(p->w[1]);
}

SF_TEST(loop_watch_removed_inside_batch_is_not_called)
{
	struct sf_loop *loop = sf_loop_create();
	struct pair p = {0};
	int a[2], b[2];

	SF_TEST_ASSERT(pipe(a) == 0 && pipe(b) == 0);
	p.w[0] = sf_loop_watch_add(loop, a[0], EPOLLIN, remove_other, &p);
	p.w[1] = sf_loop_watch_add(loop, b[0], EPOLLIN, remove_other, &p);
	SF_TEST_ASSERT(write(a[1], "x", 1) == 1 && write(b[1], "x", 1) == 1);
	sf_loop_iterate(loop, 100);
	SF_TEST_ASSERT(p.calls == 1);
	sf_loop_destroy(loop);
}

struct deferred {
	struct sf_task task;
	int runs;
	bool in_tick;
	struct sf_loop *loop;
};

static void deferred_fn(struct sf_task *t)
{
	struct deferred *d = sf_container_of(t, struct deferred, task);

	d->runs++;
	d->in_tick = sf_loop_in_tick(d->loop);
}

/* A deferred task runs once, at the tick, whatever wakes it meanwhile; a
 * second defer or a wake is told it is queued already. */
SF_TEST(loop_defer_runs_once_at_the_tick)
{
	struct deferred d = {0};
	struct sf_loop *bare = sf_loop_create();
	uint64_t start;

	d.loop = sf_loop_create();
	SF_TEST_ASSERT(d.loop && bare);
	sf_task_init(&d.task, deferred_fn);
	SF_TEST_ASSERT(sf_loop_defer(bare, &d.task) == SF_DEFER_NO_TICK);
	sf_loop_set_tick(d.loop, 20);
	start = sf_clock_now_ns();
	SF_TEST_ASSERT(sf_loop_defer(d.loop, &d.task) == SF_DEFER_QUEUED);
	SF_TEST_ASSERT(sf_loop_defer(d.loop, &d.task) == SF_DEFER_ALREADY);
	SF_TEST_ASSERT(!sf_loop_wake(d.loop, &d.task));
	while (!d.runs && sf_clock_now_ns() - start < 2000000000ull)
		sf_loop_iterate(d.loop, 100);
	SF_TEST_ASSERT(d.runs == 1 && d.in_tick);
	SF_TEST_ASSERT(sf_clock_now_ns() - start >= 19000000ull);
	sf_loop_iterate(d.loop, 40); /* nothing left queued */
	SF_TEST_ASSERT(d.runs == 1);
	sf_loop_destroy(d.loop);
	sf_loop_destroy(bare);
}

static void defer_then_count_fn(struct sf_task *t)
{
	struct deferred *d = sf_container_of(t, struct deferred, task);

	if (!sf_loop_in_tick(d->loop) && sf_loop_defer(d->loop, t) == SF_DEFER_QUEUED)
		return;
	deferred_fn(t);
}

/* A loop destroyed with a task still queued runs it (its pin drops), also
 * one that defers itself to a tick that never comes. */
SF_TEST(loop_destroy_runs_tasks_left_queued_or_deferred)
{
	struct deferred woken = {0}, deferred = {0};
	struct sf_loop *loop = sf_loop_create();

	SF_TEST_ASSERT(loop);
	sf_loop_set_tick(loop, 60000);
	woken.loop = deferred.loop = loop;
	sf_task_init(&woken.task, deferred_fn);
	sf_task_init(&deferred.task, defer_then_count_fn);
	SF_TEST_ASSERT(sf_loop_wake(loop, &deferred.task));
	sf_loop_iterate(loop, 100); /* it runs and defers itself to the tick */
	SF_TEST_ASSERT(deferred.runs == 0);
	SF_TEST_ASSERT(sf_loop_wake(loop, &woken.task));
	sf_loop_destroy(loop);
	SF_TEST_ASSERT(woken.runs == 1 && !woken.in_tick);
	SF_TEST_ASSERT(deferred.runs == 1 && deferred.in_tick);
}

/* The tick stretches with the batching connections to hold the writes a
 * second near SF_LOOP_WRITES_PER_S, within SF_LOOP_TICK_STRETCH times the
 * set tick, and shrinks back as they leave. */
SF_TEST(loop_tick_stretches_with_connections_within_a_bound)
{
	static const struct {
		unsigned batchers, tick;
	} want[] = {{0, 16},  {12, 16}, {13, 17}, {20, 25},
		    {32, 40}, {51, 64}, {52, 64}, {1000, 64}};
	struct sf_loop *loop = sf_loop_create();
	unsigned joined = 0;

	SF_TEST_ASSERT(loop);
	SF_TEST_ASSERT(sf_loop_tick(loop) == 0);
	sf_loop_set_tick(loop, 16);
	for (unsigned k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		for (; joined < want[k].batchers; joined++)
			sf_loop_batch_join(loop);
		SF_TEST_ASSERT(sf_loop_tick(loop) == want[k].tick);
		SF_TEST_ASSERT(joined * 1000 / sf_loop_tick(loop) <= SF_LOOP_WRITES_PER_S ||
			       sf_loop_tick(loop) == 16 * SF_LOOP_TICK_STRETCH);
	}
	for (; joined > 12; joined--)
		sf_loop_batch_leave(loop);
	SF_TEST_ASSERT(sf_loop_tick(loop) == 16);
	sf_loop_destroy(loop);
}

struct after_ctx {
	struct sf_task a, b;
	int tasks, afters, tasks_at_after;
};

static void after_task_fn(struct sf_task *t)
{
	struct after_ctx *c = sf_container_of(t, struct after_ctx, a);
	c->tasks++;
}

static void after_task_b_fn(struct sf_task *t)
{
	struct after_ctx *c = sf_container_of(t, struct after_ctx, b);
	c->tasks++;
}

static void after_fn(void *data)
{
	struct after_ctx *c = data;
	c->afters++;
	c->tasks_at_after = c->tasks;
}

SF_TEST(loop_after_hook_runs_once_per_round_after_its_callbacks)
{
	struct sf_loop *loop = sf_loop_create();
	struct after_ctx c = {0};

	SF_TEST_ASSERT(loop);
	sf_loop_set_after(loop, after_fn, &c);
	sf_task_init(&c.a, after_task_fn);
	sf_task_init(&c.b, after_task_b_fn);
	sf_loop_wake(loop, &c.a);
	sf_loop_wake(loop, &c.b);
	SF_TEST_ASSERT(sf_loop_iterate(loop, 100) == 0);
	/* both tasks ran in the round, the hook once, after them */
	SF_TEST_ASSERT(c.tasks == 2 && c.afters == 1 && c.tasks_at_after == 2);
	/* a round that times out with nothing to do does not run it */
	SF_TEST_ASSERT(sf_loop_iterate(loop, 1) == 0);
	SF_TEST_ASSERT(c.afters == 1);
	sf_loop_set_after(loop, NULL, NULL);
	sf_loop_wake(loop, &c.a);
	SF_TEST_ASSERT(sf_loop_iterate(loop, 100) == 0);
	SF_TEST_ASSERT(c.tasks == 3 && c.afters == 1);
	sf_loop_destroy(loop);
}
