/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migrate/coord.h: the source side's migration coordinator. It tells every
 * client where the target is before the VM moves, counts their answers
 * (bounded wait), and when the VM has moved hands each session its ending:
 * seamless (per-channel MIGRATE, flush marks, MIGRATE_DATA), semi-seamless
 * (MIGRATE_END) or switch-host. Clients that join mid-migration, or whose
 * link to the target is slow, are waited for (bounded) before the switch, as
 * seed 004 asks. Everything runs on the main thread. */
#ifndef SF_MIGRATE_COORD_H
#define SF_MIGRATE_COORD_H

#include <stdbool.h>
#include "channels/main.h"
#include "engine/loop.h"

#define SF_MIGRATE_CONNECT_WAIT_MS 10000 /* answers to MIGRATE_BEGIN */
#define SF_MIGRATE_LATE_WAIT_MS	   2000	 /* at the switch, for slow answers */
#define SF_MIGRATE_LEAVE_WAIT_MS   10000 /* migrated clients leaving the source */
#define SF_MIGRATE_POLL_MS	   100	 /* new and settling clients are looked at */

struct sf_migrate;

/* The embedder's side; all borrowed, main thread. */
struct sf_migrate_ops {
	void (*foreach)(void *host, void (*fn)(struct sf_session *s, void *arg), void *arg);
	/* Every client answered MIGRATE_BEGIN, or the wait ended. */
	void (*connect_done)(void *host);
	/* The switch is over: migrated clients left, or the wait ended. */
	void (*end_done)(void *host);
	/* Disconnect a session that overstayed the switch. */
	void (*kick)(void *host, struct sf_session *s);
};

struct sf_migrate *sf_migrate_create(struct sf_loop *loop, const struct sf_migrate_ops *ops,
				     void *host);
void sf_migrate_destroy(struct sf_migrate *m);

/* Remember the target (spice_server_migrate_info). Copies @dst. */
void sf_migrate_set_dst(struct sf_migrate *m, const struct sf_migrate_dst *dst);
bool sf_migrate_has_dst(const struct sf_migrate *m);

/* spice_server_migrate_connect: clients link to @dst now, seamless if
 * @seamless and they can. connect_done follows (maybe at once). */
void sf_migrate_connect(struct sf_migrate *m, const struct sf_migrate_dst *dst, bool seamless);

/* spice_server_migrate_end: the VM moved (@completed) or not. end_done
 * follows (maybe at once). */
void sf_migrate_end(struct sf_migrate *m, bool completed);

/* spice_server_migrate_switch: legacy switch-host for every client. */
void sf_migrate_switch(struct sf_migrate *m);

/* Session events, from the server. */
void sf_migrate_session_answered(struct sf_migrate *m, struct sf_session *s);
void sf_migrate_session_gone(struct sf_migrate *m, struct sf_session *s);

#endif
