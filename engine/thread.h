/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/thread.h: thread roles. Every Saffron thread declares what it is
 * (main, producer, sender) so thread-bound functions can assert affinity. */
#ifndef SF_ENGINE_THREAD_H
#define SF_ENGINE_THREAD_H

#include <pthread.h>
#include "engine/common.h"

enum sf_thread_role {
	SF_THREAD_ANY = 0,
	SF_THREAD_MAIN,	    /* link, main/inputs channels, embedder callbacks */
	SF_THREAD_PRODUCER, /* one per display device: commands, rendering, fan-out */
	SF_THREAD_SENDER,   /* pool: per-client send stages of display/cursor */
	SF_THREAD_MIGRATE,
};

/* Set the calling thread's role. Thread: the thread itself, once at start. */
void sf_thread_set_role(enum sf_thread_role role);
enum sf_thread_role sf_thread_role(void);

/* Start a thread with @role and a short @name (shown by top -H).
 * Returns 0 or -errno. */
int sf_thread_start(pthread_t *tid, const char *name, enum sf_thread_role role, void *(*fn)(void *),
		    void *arg);

#ifdef SF_DEBUG
#define SF_ASSERT_THREAD(role) SF_BUG_ON(sf_thread_role() != (role))
#else
#define SF_ASSERT_THREAD(role) ((void)0)
#endif

#endif
