/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/loop.h: one epoll event loop per thread (main, each producer, each
 * sender). Other threads talk to a loop only through tasks: an embedded
 * sf_task is queued wait-free and the loop runs it on its own thread. */
#ifndef SF_ENGINE_LOOP_H
#define SF_ENGINE_LOOP_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include "engine/queue.h"

struct sf_loop;
struct sf_watch;
struct sf_timer;

typedef void (*sf_watch_fn)(void *data, int fd, uint32_t events);
typedef void (*sf_timer_fn)(void *data);

/* A unit of work another thread hands to a loop. Fields private to
 * engine/loop.c; public so objects embed their tasks (no allocation per wake). */
struct sf_task {
	struct sf_queue_node node;
	atomic_bool queued;
	void (*fn)(struct sf_task *task);
};

/* Returns NULL with errno set. Thread: any. */
struct sf_loop *sf_loop_create(void);

/* Runs the tasks still queued or deferred first: they may hold pins.
 * Thread: the owner, after sf_loop_run() returned, or never run. NULL no-op. */
void sf_loop_destroy(struct sf_loop *loop);

/* Run until sf_loop_quit(). Thread: the owner. Returns 0 or -errno. */
int sf_loop_run(struct sf_loop *loop);

/* Run one round of ready events, waiting at most @timeout_ms (-1: forever).
 * Thread: the owner. Returns 0 or -errno. */
int sf_loop_iterate(struct sf_loop *loop, int timeout_ms);

/* Make sf_loop_run() return. Thread: any. */
void sf_loop_quit(struct sf_loop *loop);

/* Watch @fd for @events (EPOLLIN|EPOLLOUT). The loop does not own @fd.
 * Thread: the owner. Returns NULL with errno set. */
struct sf_watch *sf_loop_watch_add(struct sf_loop *loop, int fd, uint32_t events, sf_watch_fn fn,
				   void *data);
int sf_loop_watch_update(struct sf_watch *w, uint32_t events);
/* Safe from inside any callback of the same loop; NULL no-op. */
void sf_loop_watch_remove(struct sf_watch *w);

/* Timers (timerfd). sf_loop_timer_arm(t, 0) disarms. Thread: the owner. */
struct sf_timer *sf_loop_timer_add(struct sf_loop *loop, sf_timer_fn fn, void *data);
int sf_loop_timer_arm(struct sf_timer *t, uint64_t ms, bool repeat);
void sf_loop_timer_remove(struct sf_timer *t);

/* @fn runs on the loop's thread after every round that ran callbacks
 * (watches, timers, tasks): one place to publish what the round staged.
 * NULL removes it. Thread: owner, or before run. */
typedef void (*sf_loop_after_fn)(void *data);
void sf_loop_set_after(struct sf_loop *loop, sf_loop_after_fn fn, void *data);

void sf_task_init(struct sf_task *task, void (*fn)(struct sf_task *task));

/* Queue @task to run once on @loop's thread. Thread: any. Wait-free.
 * Returns: true if queued now, false if it was already queued (it will run
 * once for both wakes). Callers that pin an object for the task take the
 * reference first and drop it when this returns false. */
bool sf_loop_wake(struct sf_loop *loop, struct sf_task *task);

/* Batching: a loop with a tick of @ms runs deferred tasks together once per
 * tick. 0 (the default) disables deferral. Thread: owner, or before run. */
void sf_loop_set_tick(struct sf_loop *loop, unsigned ms);

/* The tick in force, 0 without a tick: the set one, stretched while so many
 * batching connections have joined that writing to each once a tick would
 * pass SF_LOOP_WRITES_PER_S writes a second, up to SF_LOOP_TICK_STRETCH
 * times the set one (16 ms: unchanged up to 12 connections, 40 ms at 32,
 * 64 ms from 52). Thread: owner. */
#define SF_LOOP_WRITES_PER_S 800
#define SF_LOOP_TICK_STRETCH 4
unsigned sf_loop_tick(const struct sf_loop *loop);

/* A connection that batches on the tick counts itself in while it is open.
 * Thread: owner. */
void sf_loop_batch_join(struct sf_loop *loop);
void sf_loop_batch_leave(struct sf_loop *loop);

enum sf_defer {
	SF_DEFER_NO_TICK, /* the loop has no tick: run it now */
	SF_DEFER_QUEUED,  /* it runs at the next tick; the caller's pin goes with it */
	SF_DEFER_ALREADY, /* a wake queued it meanwhile: it runs; drop the caller's pin */
};

/* Run @task (taken off a queue and running, or just run) at the next tick
 * instead of now; further wakes coalesce into that run. Thread: owner. */
enum sf_defer sf_loop_defer(struct sf_loop *loop, struct sf_task *task);

/* True while the loop runs its tick's deferred tasks. Thread: owner. */
bool sf_loop_in_tick(const struct sf_loop *loop);

/* The epoll fd: readable whenever the loop has work. Lets an embedder's own
 * main loop drive this one (watch it, then sf_loop_iterate(loop, 0)). */
int sf_loop_fd(const struct sf_loop *loop);

/* True when called on @loop's own thread. */
bool sf_loop_is_current(struct sf_loop *loop);

#endif
