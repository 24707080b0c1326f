/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/thread.c: thread start with role and name. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "engine/thread.h"

static __thread enum sf_thread_role t_role;

struct start {
	enum sf_thread_role role;
	void *(*fn)(void *);
	void *arg;
};

void sf_thread_set_role(enum sf_thread_role role)
{
	t_role = role;
}

enum sf_thread_role sf_thread_role(void)
{
	return t_role;
}

static void *trampoline(void *p)
{
	struct start s = *(struct start *)p;

	free(p);
	sf_thread_set_role(s.role);
	return s.fn(s.arg);
}

int sf_thread_start(pthread_t *tid, const char *name, enum sf_thread_role role, void *(*fn)(void *),
		    void *arg)
{
	struct start *s = malloc(sizeof(*s));
	char buf[16];
	int r;

	if (!s)
		return -ENOMEM;
	s->role = role;
	s->fn = fn;
	s->arg = arg;
	r = pthread_create(tid, NULL, trampoline, s);
	if (r) {
		free(s);
		return -r;
	}
	snprintf(buf, sizeof(buf), "%s", name);
	pthread_setname_np(*tid, buf);
	return 0;
}
