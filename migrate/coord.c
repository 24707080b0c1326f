/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migrate/coord.c: the coordinator's state machine:
 *   IDLE -connect-> CONNECTING -all answered/timeout-> CONNECTED
 *   CONNECTING|CONNECTED -end(ok)-> LATE (slow answers, bounded) -> LEAVING
 *   LEAVING -all left/timeout-> IDLE;  any -end(failed)-> IDLE (cancel) */
#include <stdlib.h>
#include <string.h>
#include "migrate/coord.h"
#include "engine/log.h"

SF_LOG_TOPIC("migrate");

enum state { IDLE, CONNECTING, CONNECTED, LATE, LEAVING };

struct sf_migrate {
	struct sf_loop *loop;
	const struct sf_migrate_ops *ops;
	void *host;
	struct sf_migrate_dst dst;
	bool has_dst, seamless;
	enum state state;
	struct sf_timer *timer, *poll;
};

static void on_timer(void *data);
static void on_poll(void *data);

struct sf_migrate *sf_migrate_create(struct sf_loop *loop, const struct sf_migrate_ops *ops,
				     void *host)
{
	struct sf_migrate *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->loop = loop;
	m->ops = ops;
	m->host = host;
	m->timer = sf_loop_timer_add(loop, on_timer, m);
	m->poll = sf_loop_timer_add(loop, on_poll, m);
	if (!m->timer || !m->poll) {
		sf_migrate_destroy(m);
		return NULL;
	}
	return m;
}

void sf_migrate_destroy(struct sf_migrate *m)
{
	if (!m)
		return;
	sf_loop_timer_remove(m->timer);
	sf_loop_timer_remove(m->poll);
	free(m);
}

void sf_migrate_set_dst(struct sf_migrate *m, const struct sf_migrate_dst *dst)
{
	m->dst = *dst;
	m->has_dst = dst->host[0] != 0;
}

bool sf_migrate_has_dst(const struct sf_migrate *m)
{
	return m->has_dst;
}

/* ---- counting sessions ---- */

struct count {
	unsigned connecting, migrated;
};

static void count_fn(struct sf_session *s, void *arg)
{
	struct count *n = arg;
	enum sf_session_mig st = sf_session_migrate_state(s);

	n->connecting += st == SF_MIG_CONNECTING;
	n->migrated += st == SF_MIG_ENDED;
}

static struct count count(struct sf_migrate *m)
{
	struct count n = {0};

	m->ops->foreach(m->host, count_fn, &n);
	return n;
}

/* ---- connect ---- */

static void begin_fn(struct sf_session *s, void *arg)
{
	struct sf_migrate *m = arg;

	sf_session_migrate_begin(s, &m->dst, m->seamless);
}

static void connect_settled(struct sf_migrate *m)
{
	m->state = CONNECTED;
	sf_loop_timer_arm(m->timer, 0, false);
	m->ops->connect_done(m->host);
}

void sf_migrate_connect(struct sf_migrate *m, const struct sf_migrate_dst *dst, bool seamless)
{
	if (m->state != IDLE) /* a second call replaces the first, as in spice-server */
		sf_migrate_end(m, false);
	sf_migrate_set_dst(m, dst);
	m->seamless = seamless;
	m->state = CONNECTING;
	sf_loop_timer_arm(m->poll, SF_MIGRATE_POLL_MS, true);
	sf_log_info("migration to %s:%d/%d: clients link to the target%s", dst->host, dst->port,
		    dst->sport, seamless ? " (seamless if they can)" : "");
	m->ops->foreach(m->host, begin_fn, m);
	if (!count(m).connecting) {
		connect_settled(m);
		return;
	}
	sf_loop_timer_arm(m->timer, SF_MIGRATE_CONNECT_WAIT_MS, false);
}

/* While clients may still be told: those whose MIGRATE_BEGIN waits for
 * their channels to link, and (seed 004) those that connected since. */
static void poll_fn(struct sf_session *s, void *arg)
{
	struct sf_migrate *m = arg;

	if (sf_session_migrate_state(s) == SF_MIG_NONE)
		sf_session_migrate_begin(s, &m->dst, m->seamless);
	sf_session_migrate_poll(s);
}

static void on_poll(void *data)
{
	struct sf_migrate *m = data;

	if (m->state == CONNECTING || m->state == CONNECTED || m->state == LATE)
		m->ops->foreach(m->host, poll_fn, m);
	else
		sf_loop_timer_arm(m->poll, 0, false);
}

/* ---- end ---- */

static void end_fn(struct sf_session *s, void *arg)
{
	struct sf_migrate *m = arg;

	if (sf_session_migrate_state(s) != SF_MIG_ENDED)
		sf_session_migrate_end(s, true, &m->dst);
}

static void cancel_fn(struct sf_session *s, void *arg)
{
	(void)arg;
	sf_session_migrate_end(s, false, NULL);
}

static void finish(struct sf_migrate *m)
{
	m->state = IDLE;
	m->has_dst = false;
	sf_loop_timer_arm(m->timer, 0, false);
	sf_loop_timer_arm(m->poll, 0, false);
	m->ops->end_done(m->host);
}

static void leave_check(struct sf_migrate *m)
{
	if (m->state == LEAVING && !count(m).migrated)
		finish(m);
}

/* Every session that answered (or gave up) gets its ending now. */
static void switch_now(struct sf_migrate *m)
{
	sf_log_info("migration done: clients switch to the target");
	m->ops->foreach(m->host, end_fn, m);
	m->state = LEAVING;
	sf_loop_timer_arm(m->poll, 0, false);
	sf_loop_timer_arm(m->timer, SF_MIGRATE_LEAVE_WAIT_MS, false);
	leave_check(m);
}

static void kick_all_fn(struct sf_session *s, void *arg)
{
	struct sf_migrate *m = arg;

	m->ops->kick(m->host, s);
}

void sf_migrate_end(struct sf_migrate *m, bool completed)
{
	if (m->state == IDLE) {
		/* as spice-server: clients of a VM that left without telling them
		 * where it went cannot follow it */
		if (completed)
			m->ops->foreach(m->host, kick_all_fn, m);
		m->ops->end_done(m->host);
		return;
	}
	if (!completed) {
		m->ops->foreach(m->host, cancel_fn, NULL);
		if (m->state == CONNECTING)
			m->ops->connect_done(m->host);
		finish(m);
		return;
	}
	if (m->state == CONNECTING || count(m).connecting) {
		m->state = LATE;
		sf_loop_timer_arm(m->timer, SF_MIGRATE_LATE_WAIT_MS, false);
		return;
	}
	switch_now(m);
}

void sf_migrate_session_answered(struct sf_migrate *m, struct sf_session *s)
{
	(void)s;
	if (count(m).connecting)
		return;
	if (m->state == CONNECTING)
		connect_settled(m);
	else if (m->state == LATE)
		switch_now(m);
}

void sf_migrate_session_gone(struct sf_migrate *m, struct sf_session *s)
{
	/* the server calls this once @s left its list */
	if (m->state == LEAVING)
		leave_check(m);
	else if (m->state == CONNECTING || m->state == LATE)
		sf_migrate_session_answered(m, s);
}

static void kick_fn(struct sf_session *s, void *arg)
{
	struct sf_migrate *m = arg;

	if (sf_session_migrate_state(s) == SF_MIG_ENDED)
		m->ops->kick(m->host, s);
}

static void on_timer(void *data)
{
	struct sf_migrate *m = data;

	switch (m->state) {
	case CONNECTING:
		sf_log_info("migration: not every client answered in %d ms",
			    SF_MIGRATE_CONNECT_WAIT_MS);
		connect_settled(m);
		break;
	case LATE:
		if (count(m).connecting) {
			sf_log_info("migration: %u client(s) slow to reach the target: switch-host",
				    count(m).connecting);
		}
		switch_now(m);
		break;
	case LEAVING:
		sf_log_info("migration: %u client(s) still on the source after %d ms: disconnected",
			    count(m).migrated, SF_MIGRATE_LEAVE_WAIT_MS);
		m->ops->foreach(m->host, kick_fn, m);
		finish(m);
		break;
	case CONNECTED:
	case IDLE:
		break;
	}
}

void sf_migrate_switch(struct sf_migrate *m)
{
	if (!m->has_dst) {
		sf_log_warn("migrate_switch without migrate_info: clients stay");
		return;
	}
	m->state = CONNECTED;
	switch_now(m);
}
