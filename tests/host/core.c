/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/host/core.c: fixed tables of watches and timers, scanned linearly;
 * large enough for the reference server with 1000 bench clients. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "tests/host/core.h"

#define MAX_WATCHES 16384
#define MAX_TIMERS  16384

struct SpiceWatch {
	int fd, mask;
	SpiceWatchFunc fn;
	void *opaque;
	bool used;
};

struct SpiceTimer {
	uint64_t due;
	SpiceTimerFunc fn;
	void *opaque;
	bool used, armed;
};

static struct SpiceWatch watches[MAX_WATCHES];
static struct SpiceTimer timers[MAX_TIMERS];
/* one past the highest slot ever used: the loops stop there, so the cost of
 * an iteration follows the number of watches, not the table size */
static int watches_hw, timers_hw;
static void (*event_hook)(int event, SpiceChannelEventInfo *info);
static int meter_depth;
static uint64_t meter_from_ns, metered_ns;

uint64_t host_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void host_core_meter_enter(void)
{
	if (meter_depth++ == 0)
		meter_from_ns = thread_cpu_ns();
}

void host_core_meter_leave(void)
{
	if (--meter_depth == 0)
		metered_ns += thread_cpu_ns() - meter_from_ns;
}

double host_core_metered_s(void)
{
	return (double)metered_ns / 1e9;
}

static SpiceTimer *timer_add(SpiceTimerFunc fn, void *opaque)
{
	for (int i = 0; i < MAX_TIMERS; i++)
		if (!timers[i].used) {
			timers[i] = (struct SpiceTimer){.fn = fn, .opaque = opaque, .used = true};
			timers_hw = i + 1 > timers_hw ? i + 1 : timers_hw;
			return &timers[i];
		}
	return NULL;
}

static void timer_start(SpiceTimer *t, uint32_t ms)
{
	t->due = host_now_ms() + ms;
	t->armed = true;
}

static void timer_cancel(SpiceTimer *t)
{
	t->armed = false;
}

static void timer_remove(SpiceTimer *t)
{
	t->used = t->armed = false;
}

static SpiceWatch *watch_add(int fd, int mask, SpiceWatchFunc fn, void *opaque)
{
	for (int i = 0; i < MAX_WATCHES; i++)
		if (!watches[i].used) {
			watches[i] = (struct SpiceWatch){fd, mask, fn, opaque, true};
			watches_hw = i + 1 > watches_hw ? i + 1 : watches_hw;
			return &watches[i];
		}
	return NULL;
}

static void watch_update_mask(SpiceWatch *w, int mask)
{
	w->mask = mask;
}

static void watch_remove(SpiceWatch *w)
{
	w->used = false;
}

static void channel_event(int event, SpiceChannelEventInfo *info)
{
	if (event_hook)
		event_hook(event, info);
}

static SpiceCoreInterface core = {
	.base = {.type = SPICE_INTERFACE_CORE,
		 .description = "saffron test host core",
		 .major_version = SPICE_INTERFACE_CORE_MAJOR,
		 .minor_version = SPICE_INTERFACE_CORE_MINOR},
	.timer_add = timer_add,
	.timer_start = timer_start,
	.timer_cancel = timer_cancel,
	.timer_remove = timer_remove,
	.watch_add = watch_add,
	.watch_update_mask = watch_update_mask,
	.watch_remove = watch_remove,
	.channel_event = channel_event,
};

SpiceCoreInterface *host_core(void (*on_event)(int event, SpiceChannelEventInfo *info))
{
	event_hook = on_event;
	return &core;
}

static int next_timeout(int max_ms)
{
	uint64_t t = host_now_ms();
	int timeout = max_ms;

	for (int i = 0; i < timers_hw; i++) {
		if (!timers[i].used || !timers[i].armed)
			continue;
		if (timers[i].due <= t)
			return 0;
		if (timers[i].due - t < (uint64_t)timeout)
			timeout = (int)(timers[i].due - t);
	}
	return timeout;
}

static void run_timers(void)
{
	uint64_t t = host_now_ms();

	for (int i = 0; i < timers_hw; i++)
		if (timers[i].used && timers[i].armed && timers[i].due <= t) {
			timers[i].armed = false;
			host_core_meter_enter();
			timers[i].fn(timers[i].opaque);
			host_core_meter_leave();
		}
}

void host_core_iterate(int max_ms)
{
	static struct pollfd pfd[MAX_WATCHES];
	static int idx[MAX_WATCHES];
	int n = 0, timeout = next_timeout(max_ms);

	for (int i = 0; i < watches_hw; i++) {
		if (!watches[i].used)
			continue;
		pfd[n].fd = watches[i].fd;
		pfd[n].events = (watches[i].mask & SPICE_WATCH_EVENT_READ ? POLLIN : 0) |
				(watches[i].mask & SPICE_WATCH_EVENT_WRITE ? POLLOUT : 0);
		idx[n++] = i;
	}
	if (poll(pfd, (nfds_t)n, timeout) > 0)
		for (int k = 0; k < n; k++) {
			struct SpiceWatch *w = &watches[idx[k]];
			int ev = (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)
					  ? SPICE_WATCH_EVENT_READ
					  : 0) |
				 (pfd[k].revents & POLLOUT ? SPICE_WATCH_EVENT_WRITE : 0);
			if (w->used && w->fd == pfd[k].fd && (ev & w->mask)) {
				host_core_meter_enter();
				w->fn(w->fd, ev & w->mask, w->opaque);
				host_core_meter_leave();
			}
		}
	run_timers();
}
