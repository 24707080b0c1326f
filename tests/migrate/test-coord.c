/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/migrate/test-coord.c: the source's migration coordinator driving
 * real sessions over socketpairs, the test playing each client's main
 * channel: who is told MIGRATE_BEGIN and when, what each client gets at the
 * end (MIGRATE_END, SWITCH_HOST, MIGRATE_CANCEL), and the bounded waits. */
#include <string.h>
#include <unistd.h>
#include <spice/enums.h>
#include "tests/channels/chardev-rig.h"
#include "channels/main.h"
#include "migrate/coord.h"
#include "tests/unit.h"

#define MAX_CLIENTS 2

struct crig {
	struct sf_loop *loop;
	struct sf_migrate *mig;
	struct sf_session_env env;
	struct sf_session *s[MAX_CLIENTS];
	int fd[MAX_CLIENTS]; /* the client's end */
	unsigned n, connect_done, end_done, kicked;
};

static void rig_foreach(void *host, void (*fn)(struct sf_session *s, void *arg), void *arg)
{
	struct crig *r = host;

	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (r->s[i])
			fn(r->s[i], arg);
}

static void rig_connect_done(void *host)
{
	((struct crig *)host)->connect_done++;
}

static void rig_end_done(void *host)
{
	((struct crig *)host)->end_done++;
}

static void rig_kick(void *host, struct sf_session *s)
{
	((struct crig *)host)->kicked++;
	sf_session_close(s);
}

static const struct sf_migrate_ops rig_ops = {
	.foreach = rig_foreach,
	.connect_done = rig_connect_done,
	.end_done = rig_end_done,
	.kick = rig_kick,
};

/* As the server: a session leaves the list, then the coordinator hears. */
static void rig_ended(struct sf_session *s, void *data)
{
	struct crig *r = data;

	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (r->s[i] == s)
			r->s[i] = NULL;
	sf_migrate_session_gone(r->mig, s);
}

static void rig_answered(struct sf_session *s, void *data)
{
	sf_migrate_session_answered(((struct crig *)data)->mig, s);
}

static const struct sf_migrate_dst dst = {.host = "127.0.0.1", .port = 5912, .sport = -1};

static bool rig_init(struct crig *r)
{
	static const uint8_t chans[1][2] = {{SPICE_CHANNEL_DISPLAY, 0}};

	memset(r, 0, sizeof(*r));
	r->env = (struct sf_session_env){.channels = chans,
					 .nchannels = 1,
					 .ended = rig_ended,
					 .migrate_connected = rig_answered,
					 .data = r};
	r->loop = sf_loop_create();
	r->mig = r->loop ? sf_migrate_create(r->loop, &rig_ops, r) : NULL;
	return r->mig != NULL;
}

/* A client's main link (not started until the loop runs); @semi: it has the
 * semi-seamless migration cap. */
static bool rig_link(struct crig *r, unsigned i, bool semi)
{
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_MAIN, .mini_header = true};
	int sv[2];

	if (semi) {
		info.num_channel_caps = 1;
		info.channel_caps[0] = 1u << SPICE_MAIN_CAP_SEMI_SEAMLESS_MIGRATE;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return false;
	r->fd[i] = sv[0];
	r->s[i] = sf_session_create(r->loop, sv[1], &info, &r->env);
	return r->s[i] != NULL;
}

/* The first message of @type the client gets within ~@ms (others skipped). */
static bool rig_expect(struct crig *r, unsigned i, int type, int ms)
{
	static uint8_t body[300 * 1024]; /* the net test's padded PING */
	uint32_t size;
	int t;

	for (int spent = 0; spent < ms; spent += 10) {
		t = recv_msg(r->loop, r->fd[i], body, sizeof(body), &size, 10);
		if (t == type)
			return true;
		if (t >= 0)
			spent -= 10; /* a message, not a wait */
	}
	return false;
}

/* No message of @type reaches the client for ~@ms. */
static bool rig_quiet(struct crig *r, unsigned i, int type, int ms)
{
	return !rig_expect(r, i, type, ms);
}

/* Client @i starts: its INIT comes, it asks for the channel list. */
static bool rig_attach(struct crig *r, unsigned i)
{
	if (!rig_expect(r, i, SPICE_MSG_MAIN_INIT, 500))
		return false;
	return send_msg(r->fd[i], SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
}

/* The sessions' channels settle (300 ms without a new link): a
 * MIGRATE_BEGIN goes out at once from then on. */
static void rig_settle(struct crig *r)
{
	pump_loop(r->loop, 5);
	usleep(320 * 1000);
}

/* Every client disconnects; true once the coordinator said the switch is
 * over. */
static bool rig_leave_all(struct crig *r)
{
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (r->fd[i] > 0)
			close(r->fd[i]);
		r->fd[i] = -1;
	}
	for (int i = 0; i < 200 && !r->end_done; i++)
		pump_loop(r->loop, 1);
	return r->end_done == 1;
}

static void rig_fini(struct crig *r)
{
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		if (r->s[i])
			sf_session_close(r->s[i]);
		pump_loop(r->loop, 5);
		if (r->fd[i] > 0)
			close(r->fd[i]);
	}
	sf_migrate_destroy(r->mig);
	sf_loop_destroy(r->loop);
}

/* Seed 004's window: the coordinator asks a session whose main channel has
 * not started yet. It must be asked again once it has, not written off as
 * unable to migrate (which left such a client untold until SWITCH_HOST). */
SF_TEST(coord_tells_a_client_asked_before_its_main_channel_started)
{
	struct crig r;

	SF_TEST_ASSERT(rig_init(&r) && rig_link(&r, 0, true));
	sf_migrate_connect(r.mig, &dst, false); /* before the loop starts it */
	SF_TEST_ASSERT(sf_session_migrate_state(r.s[0]) == SF_MIG_NONE);
	SF_TEST_ASSERT(r.connect_done == 1); /* nobody was waited for */
	SF_TEST_ASSERT(rig_attach(&r, 0));
	/* its channels settle (300 ms), then a poll tells it */
	SF_TEST_ASSERT(rig_expect(&r, 0, SPICE_MSG_MAIN_MIGRATE_BEGIN, 1500));
	SF_TEST_ASSERT(sf_session_migrate_state(r.s[0]) == SF_MIG_CONNECTING);
	send_msg(r.fd[0], SPICE_MSGC_MAIN_MIGRATE_CONNECTED, NULL, 0);
	pump_loop(r.loop, 10);
	SF_TEST_ASSERT(sf_session_migrate_state(r.s[0]) == SF_MIG_CONNECTED);
	sf_migrate_end(r.mig, true);
	SF_TEST_ASSERT(rig_expect(&r, 0, SPICE_MSG_MAIN_MIGRATE_END, 500));
	SF_TEST_ASSERT(r.end_done == 0); /* until the client leaves */
	SF_TEST_ASSERT(rig_leave_all(&r) && r.kicked == 0);
	rig_fini(&r);
}

/* One client answers, one never does: the switch waits for the slow one
 * (bounded), then gives it SWITCH_HOST and the other MIGRATE_END. */
SF_TEST(coord_bounds_the_wait_for_a_client_that_never_answers)
{
	struct crig r;

	SF_TEST_ASSERT(rig_init(&r) && rig_link(&r, 0, true) && rig_link(&r, 1, true));
	SF_TEST_ASSERT(rig_attach(&r, 0) && rig_attach(&r, 1));
	rig_settle(&r);
	sf_migrate_connect(r.mig, &dst, false);
	SF_TEST_ASSERT(rig_expect(&r, 0, SPICE_MSG_MAIN_MIGRATE_BEGIN, 300));
	SF_TEST_ASSERT(rig_expect(&r, 1, SPICE_MSG_MAIN_MIGRATE_BEGIN, 300));
	send_msg(r.fd[0], SPICE_MSGC_MAIN_MIGRATE_CONNECTED, NULL, 0);
	pump_loop(r.loop, 10);
	SF_TEST_ASSERT(r.connect_done == 0); /* client 1 is still linking */
	sf_migrate_end(r.mig, true);
	/* client 0 is not told before the slow one's wait is over */
	SF_TEST_ASSERT(rig_quiet(&r, 0, SPICE_MSG_MAIN_MIGRATE_END, 1000));
	SF_TEST_ASSERT(
		rig_expect(&r, 1, SPICE_MSG_MAIN_MIGRATE_SWITCH_HOST, SF_MIGRATE_LATE_WAIT_MS));
	SF_TEST_ASSERT(rig_expect(&r, 0, SPICE_MSG_MAIN_MIGRATE_END, 200));
	SF_TEST_ASSERT(rig_leave_all(&r));
	rig_fini(&r);
}

/* migrate_cancel: a client that linked to the target is told to stay; a
 * client without the semi-seamless cap was not waited for and hears
 * nothing; the coordinator is done at once and nobody is kicked. */
SF_TEST(coord_cancel_keeps_the_client_on_the_source)
{
	struct crig r;

	SF_TEST_ASSERT(rig_init(&r) && rig_link(&r, 0, true) && rig_link(&r, 1, false));
	SF_TEST_ASSERT(rig_attach(&r, 0) && rig_attach(&r, 1));
	rig_settle(&r);
	sf_migrate_connect(r.mig, &dst, false);
	SF_TEST_ASSERT(sf_session_migrate_state(r.s[1]) == SF_MIG_FAILED); /* no cap */
	SF_TEST_ASSERT(rig_expect(&r, 0, SPICE_MSG_MAIN_MIGRATE_BEGIN, 300));
	send_msg(r.fd[0], SPICE_MSGC_MAIN_MIGRATE_CONNECTED, NULL, 0);
	pump_loop(r.loop, 10);
	SF_TEST_ASSERT(r.connect_done == 1); /* the capless client is not waited for */
	sf_migrate_end(r.mig, false);
	SF_TEST_ASSERT(r.end_done == 1);
	SF_TEST_ASSERT(rig_expect(&r, 0, SPICE_MSG_MAIN_MIGRATE_CANCEL, 300));
	SF_TEST_ASSERT(sf_session_migrate_state(r.s[0]) == SF_MIG_NONE);
	SF_TEST_ASSERT(rig_quiet(&r, 1, SPICE_MSG_MAIN_MIGRATE_CANCEL, 100));
	SF_TEST_ASSERT(r.s[0] && r.s[1] && r.kicked == 0);
	rig_fini(&r);
}
