/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/loop.c: epoll loop with deferred watch removal (a callback may remove
 * any watch, including one later in the same epoll batch) and an eventfd that
 * other threads ring only on the empty->non-empty transition of the task queue. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "engine/loop.h"
#include "engine/common.h"

#define MAX_EVENTS 64

struct sf_watch {
	struct sf_loop *loop;
	int fd;
	bool dead;
	sf_watch_fn fn;
	void *data;
	struct sf_watch *next_dead;
};

struct sf_timer {
	struct sf_watch *watch;
	int fd;
	sf_timer_fn fn;
	void *data;
};

struct sf_loop {
	/* cache line 1: owner-thread only */
	int epfd;
	struct sf_watch *graveyard;
	struct sf_watch *wake_watch;
	unsigned tick_ms;
	unsigned batchers; /* bulk connections on this loop (sf_loop_batch_join) */
	struct sf_timer *tick_timer;
	struct sf_queue deferred; /* owner-only use of the queue */
	bool deferred_armed, in_tick;
	sf_loop_after_fn after; /* run after each round of callbacks */
	void *after_data;
	/* cache line 2: touched by other threads, atomics and wfcqueue only */
	struct sf_queue tasks __attribute__((aligned(64)));
	int wakefd;
	atomic_bool quit;
};

static void run_tasks(void *data, int fd, uint32_t events);
static void run_deferred(void *data);

/* The loop this thread is running (thread-local: no other thread reads it). */
static __thread struct sf_loop *t_current;

struct sf_loop *sf_loop_create(void)
{
	struct sf_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	sf_queue_init(&loop->tasks);
	sf_queue_init(&loop->deferred);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto err_free;
	loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wakefd < 0)
		goto err_close_ep;
	loop->wake_watch = sf_loop_watch_add(loop, loop->wakefd, EPOLLIN, run_tasks, loop);
	if (!loop->wake_watch)
		goto err_close_wake;
	return loop;

err_close_wake:
	close(loop->wakefd);
err_close_ep:
	close(loop->epfd);
err_free:
	free(loop);
	return NULL;
}

static void bury(struct sf_loop *loop)
{
	while (loop->graveyard) {
		struct sf_watch *w = loop->graveyard;
		loop->graveyard = w->next_dead;
		free(w);
	}
}

/* Tasks still queued (woken, or deferred to a tick that will not come) pin
 * their objects; run them so those pins drop. A task may queue another, so
 * this repeats, a bounded number of times. */
static void drain(struct sf_loop *loop)
{
	struct sf_loop *prev = t_current;

	t_current = loop;
	for (int round = 0; round < 16; round++) {
		bool idle = sf_queue_empty(&loop->tasks) && sf_queue_empty(&loop->deferred);
		if (idle)
			break;
		run_tasks(loop, loop->wakefd, EPOLLIN);
		run_deferred(loop);
	}
	t_current = prev;
}

void sf_loop_destroy(struct sf_loop *loop)
{
	if (!loop)
		return;
	drain(loop);
	sf_loop_timer_remove(loop->tick_timer);
	sf_loop_watch_remove(loop->wake_watch);
	bury(loop);
	close(loop->wakefd);
	close(loop->epfd);
	free(loop);
}

int sf_loop_fd(const struct sf_loop *loop)
{
	return loop->epfd;
}

bool sf_loop_is_current(struct sf_loop *loop)
{
	return t_current == loop;
}

int sf_loop_iterate(struct sf_loop *loop, int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int n;

	t_current = loop;
	n = epoll_wait(loop->epfd, ev, MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct sf_watch *w = ev[i].data.ptr;
		if (!w->dead)
			w->fn(w->data, w->fd, ev[i].events);
	}
	if (n > 0 && loop->after)
		loop->after(loop->after_data);
	bury(loop);
	return 0;
}

int sf_loop_run(struct sf_loop *loop)
{
	t_current = loop;
	/* acquire: pairs with the release in sf_loop_quit() */
	while (!atomic_load_explicit(&loop->quit, memory_order_acquire)) {
		int r = sf_loop_iterate(loop, -1);
		if (r < 0)
			return r;
	}
	atomic_store_explicit(&loop->quit, false, memory_order_relaxed);
	return 0;
}

void sf_loop_set_after(struct sf_loop *loop, sf_loop_after_fn fn, void *data)
{
	loop->after = fn;
	loop->after_data = data;
}

static void ring(struct sf_loop *loop)
{
	uint64_t one = 1;
	ssize_t r = write(loop->wakefd, &one, sizeof(one));
	(void)r; /* EAGAIN means the counter is already non-zero: the loop will wake */
}

void sf_loop_quit(struct sf_loop *loop)
{
	/* release: pairs with the acquire in sf_loop_run() */
	atomic_store_explicit(&loop->quit, true, memory_order_release);
	ring(loop);
}

struct sf_watch *sf_loop_watch_add(struct sf_loop *loop, int fd, uint32_t events, sf_watch_fn fn,
				   void *data)
{
	struct sf_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (!w)
		return NULL;
	w->loop = loop;
	w->fd = fd;
	w->fn = fn;
	w->data = data;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

int sf_loop_watch_update(struct sf_watch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	return epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void sf_loop_watch_remove(struct sf_watch *w)
{
	if (!w || w->dead)
		return;
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->next_dead = w->loop->graveyard;
	w->loop->graveyard = w;
}

static void timer_fired(void *data, int fd, uint32_t events)
{
	struct sf_timer *t = data;
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) == sizeof(n))
		t->fn(t->data);
}

struct sf_timer *sf_loop_timer_add(struct sf_loop *loop, sf_timer_fn fn, void *data)
{
	struct sf_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->data = data;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->fd < 0)
		goto err_free;
	t->watch = sf_loop_watch_add(loop, t->fd, EPOLLIN, timer_fired, t);
	if (!t->watch)
		goto err_close;
	return t;

err_close:
	close(t->fd);
err_free:
	free(t);
	return NULL;
}

int sf_loop_timer_arm(struct sf_timer *t, uint64_t ms, bool repeat)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	if (repeat)
		its.it_interval = its.it_value;
	return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void sf_loop_timer_remove(struct sf_timer *t)
{
	if (!t)
		return;
	sf_loop_watch_remove(t->watch);
	close(t->fd);
	free(t);
}

void sf_task_init(struct sf_task *task, void (*fn)(struct sf_task *task))
{
	sf_queue_node_init(&task->node);
	atomic_init(&task->queued, false);
	task->fn = fn;
}

bool sf_loop_wake(struct sf_loop *loop, struct sf_task *task)
{
	bool expected = false;

	/* acq_rel: the winner of false->true owns the node until run_tasks() clears
	 * the flag; the release publishes the caller's writes to the task's object */
	if (!atomic_compare_exchange_strong_explicit(&task->queued, &expected, true,
						     memory_order_acq_rel, memory_order_acquire))
		return false;
	if (sf_queue_push(&loop->tasks, &task->node))
		ring(loop);
	return true;
}

static void run_tasks(void *data, int fd, uint32_t events)
{
	struct sf_loop *loop = data;
	struct sf_queue batch;
	struct sf_queue_node *n;
	uint64_t cnt;
	ssize_t r;

	(void)events;
	r = read(fd, &cnt, sizeof(cnt));
	(void)r;
	sf_queue_init(&batch);
	sf_queue_splice(&batch, &loop->tasks);
	while ((n = sf_queue_pop(&batch))) {
		struct sf_task *t = sf_container_of(n, struct sf_task, node);
		/* release: pairs with the acquire CAS in sf_loop_wake(); the node is
		 * fully detached before anyone may queue it again */
		atomic_store_explicit(&t->queued, false, memory_order_release);
		t->fn(t);
	}
}

static void run_deferred(void *data)
{
	struct sf_loop *loop = data;
	struct sf_queue batch;
	struct sf_queue_node *n;

	loop->deferred_armed = false;
	sf_queue_init(&batch);
	sf_queue_splice(&batch, &loop->deferred);
	loop->in_tick = true;
	while ((n = sf_queue_pop(&batch))) {
		struct sf_task *t = sf_container_of(n, struct sf_task, node);
		/* release: as in run_tasks(); the node is detached before re-queueing */
		atomic_store_explicit(&t->queued, false, memory_order_release);
		t->fn(t);
	}
	loop->in_tick = false;
}

void sf_loop_set_tick(struct sf_loop *loop, unsigned ms)
{
	loop->tick_ms = ms;
	if (ms && !loop->tick_timer)
		loop->tick_timer = sf_loop_timer_add(loop, run_deferred, loop);
}

/* Every write a tick makes costs a syscall and, on the peer's side, a wakeup
 * (on loopback the receiver's TCP work runs on the writer's core too): per
 * second, batchers x ticks. The tick stretches to keep that near
 * SF_LOOP_WRITES_PER_S, up to SF_LOOP_TICK_STRETCH times the set one, so a
 * loop's write cost stops growing with its connections while the delay it
 * adds stays bounded; messages still leave at once after a quiet tick. */
unsigned sf_loop_tick(const struct sf_loop *loop)
{
	unsigned need;

	if (!loop->tick_timer)
		return 0;
	need = (loop->batchers * 1000 + SF_LOOP_WRITES_PER_S - 1) / SF_LOOP_WRITES_PER_S;
	return SF_MIN(SF_MAX(need, loop->tick_ms), SF_LOOP_TICK_STRETCH * loop->tick_ms);
}

void sf_loop_batch_join(struct sf_loop *loop)
{
	loop->batchers++;
}

void sf_loop_batch_leave(struct sf_loop *loop)
{
	loop->batchers--;
}

enum sf_defer sf_loop_defer(struct sf_loop *loop, struct sf_task *task)
{
	bool expected = false;

	if (!loop->tick_ms || !loop->tick_timer)
		return SF_DEFER_NO_TICK;
	/* acq_rel: as in sf_loop_wake(); while deferred, wakes coalesce */
	if (!atomic_compare_exchange_strong_explicit(&task->queued, &expected, true,
						     memory_order_acq_rel, memory_order_acquire))
		return SF_DEFER_ALREADY;
	sf_queue_push(&loop->deferred, &task->node);
	if (!loop->deferred_armed) {
		loop->deferred_armed = true;
		sf_loop_timer_arm(loop->tick_timer, sf_loop_tick(loop), false);
	}
	return SF_DEFER_QUEUED;
}

bool sf_loop_in_tick(const struct sf_loop *loop)
{
	return loop->in_tick;
}
