/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/main.c: session bookkeeping and main-channel messages. Runs on the
 * main thread, as in spice-server. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <spice/enums.h>
#include "channels/main.h"
#include "channels/agent.h"
#include "channels/marshal.h"
#include "channels/wire.h"
#include "engine/clock.h"
#include "engine/ids.h"
#include "engine/log.h"
#include "migrate/data.h"

SF_LOG_TOPIC("main");

#define MAX_SESSION_CHANS 48
#define PING_INTERVAL_MS  10000
/* The network test spice-server runs at connect: two empty pings give the
 * latency, a third with this padding the bit rate. */
#define NET_TEST_BYTES	  (250 * 1024)
#define LOW_BANDWIDTH_BPS (10u * 1024 * 1024)
#define MM_TIME_DELTA	  400 /* ms the client's first mm-time lags, as spice-server */
/* A client is told to migrate only once its channels have linked (none new
 * for this long after CHANNELS_LIST): spice-gtk links channels it creates
 * after MIGRATE_BEGIN to the target directly, where nothing expects them. */
#define SETTLE_MS 300

struct sf_session {
	const struct sf_session_env *env;
	struct sf_chan *main;
	uint32_t id;
	uint16_t mouse_mode;
	bool ended;
	uint32_t ping_id;
	uint64_t ping_sent_ns;
	uint64_t rtt_ns;      /* last measured round trip, 0 before the first PONG */
	uint32_t net_id;      /* id of the net test's first ping; 0: not running */
	uint64_t net_latency; /* ns, the smaller of the two empty pings */
	uint64_t bitrate;     /* bits/s from the net test; 0: not measured */
	struct sf_timer *ping_timer;
	struct sf_chan *chans[MAX_SESSION_CHANS];
	unsigned nchans;
	struct sf_agent_client *agent;		/* NULL: the server has no agent slot */
	enum sf_session_mig mig;		/* source side */
	enum sf_session_links links;		/* target side */
	bool active;				/* INIT sent, or seamless data loaded */
	bool attached;				/* CHANNELS_LIST sent */
	uint64_t last_link_ns;			/* CHANNELS_LIST or the latest link since */
	const struct sf_migrate_dst *begin_dst; /* MIGRATE_BEGIN waiting to settle */
	bool begin_seamless;
};

static void push(struct sf_chan *c, struct sf_buf *b)
{
	if (b)
		sf_chan_push(c, b);
	sf_buf_unref(b);
}

static uint16_t supported_modes(const struct sf_session *s)
{
	return SPICE_MOUSE_MODE_SERVER | (s->env->client_mouse ? SPICE_MOUSE_MODE_CLIENT : 0);
}

/* Latency probe: one PING in flight at a time; its PONG gives the RTT. */
/* @pad: bytes of padding (the net test's bit-rate probe), else 0. */
static void send_ping(struct sf_session *s, uint32_t pad)
{
	s->ping_sent_ns = sf_clock_now_ns();
	push(s->main, sf_marshal_ping(++s->ping_id, s->ping_sent_ns, pad));
}

static void on_ping_timer(void *data)
{
	send_ping(data, 0);
}

/* A PONG of the net test: @rt is its round trip in ns. The timestamps are
 * the client's echo of ours, so they are only trusted to be ordered. */
static void net_test_pong(struct sf_session *s, uint32_t id, uint64_t rt)
{
	switch (id - s->net_id) {
	case 0:
		s->net_latency = rt;
		return;
	case 1:
		s->net_latency = SF_MIN(s->net_latency, rt);
		return;
	default:
		s->net_id = 0;
		/* no faster than the empty pings: a busy host, assume fast */
		s->bitrate = rt > s->net_latency ? (uint64_t)NET_TEST_BYTES * 8 * 1000000000 /
							   (rt - s->net_latency)
						 : UINT64_MAX;
		if (s->env->net_measured)
			s->env->net_measured(s, s->env->data);
	}
}

static int handle_pong(struct sf_session *s, const uint8_t *p, uint32_t size)
{
	struct sf_rbuf r;
	uint32_t id;
	uint64_t ts, now = sf_clock_now_ns();

	sf_rbuf_init(&r, p, size);
	id = sf_rbuf_u32(&r);
	ts = sf_rbuf_u64(&r);
	if (r.err)
		return -EPROTO;
	if (s->net_id && id - s->net_id < 3 && ts <= now)
		net_test_pong(s, id, now - ts);
	if (id == s->ping_id && ts == s->ping_sent_ns)
		s->rtt_ns = now - ts;
	return 0;
}

static void start_ping(struct sf_session *s)
{
	s->net_id = s->ping_id + 1;
	send_ping(s, 0);
	send_ping(s, 0);
	send_ping(s, NET_TEST_BYTES);
	s->ping_timer = sf_loop_timer_add(sf_chan_loop(s->main), on_ping_timer, s);
	if (s->ping_timer)
		sf_loop_timer_arm(s->ping_timer, PING_INTERVAL_MS, true);
}

static void send_init(struct sf_session *s)
{
	struct sf_main_init init = {
		.session_id = s->id,
		.display_channels_hint = s->env->ndisplays,
		.supported_mouse_modes = supported_modes(s),
		.current_mouse_mode = s->mouse_mode,
		.multi_media_time = sf_clock_mm_time() - MM_TIME_DELTA,
		.agent_connected = s->env->agent && sf_agent_attached(s->env->agent),
		.agent_tokens = SF_AGENT_CLIENT_TOKENS,
	};

	if (s->env->agent && !s->agent)
		s->agent = sf_agent_client_add(s->env->agent, s->main);
	push(s->main, sf_marshal_main_init(&init));
	s->active = true;
	start_ping(s);
}

static void on_start(struct sf_chan *c)
{
	struct sf_session *s = sf_chan_data(c);

	/* a client migrating here hears nothing before the switch */
	if (s->links == SF_LINKS_NORMAL)
		send_init(s);
}

/* ---- migration ---- */

/* MIGRATE_BEGIN, MIGRATE_BEGIN_SEAMLESS (with the data format version) and
 * SWITCH_HOST share one layout: port, sport, then host and cert subject as
 * (size, offset) pairs with the bytes after the fixed part. */
static struct sf_buf *dst_msg(uint16_t type, const struct sf_migrate_dst *dst)
{
	bool versioned = type == SPICE_MSG_MAIN_MIGRATE_BEGIN_SEAMLESS;
	uint32_t hlen = (uint32_t)strlen(dst->host) + 1;
	uint32_t clen = dst->cert_subject[0] ? (uint32_t)strlen(dst->cert_subject) + 1 : 0;
	uint32_t fixed = versioned ? 24 : 20;
	struct sf_wbuf w;

	sf_wbuf_init(&w, type, fixed + hlen + clen);
	sf_wbuf_u16(&w, (uint16_t)dst->port);
	sf_wbuf_u16(&w, (uint16_t)dst->sport);
	sf_wbuf_u32(&w, hlen);
	sf_wbuf_u32(&w, fixed); /* host: right after the fixed part */
	sf_wbuf_u32(&w, clen);
	sf_wbuf_u32(&w, clen ? fixed + hlen : 0);
	if (versioned)
		sf_wbuf_u32(&w, SF_MIGDATA_VERSION);
	sf_wbuf_bytes(&w, dst->host, hlen);
	sf_wbuf_bytes(&w, dst->cert_subject, clen);
	return sf_wbuf_finish(&w);
}

bool sf_session_can_seamless(const struct sf_session *s)
{
	return sf_chan_test_cap(s->main, SPICE_MAIN_CAP_SEAMLESS_MIGRATE) &&
	       sf_chan_test_cap(s->main, SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS);
}

static void send_begin(struct sf_session *s, const struct sf_migrate_dst *dst, bool seamless)
{
	seamless = seamless && sf_session_can_seamless(s);
	sf_log_debug("session %08x: MIGRATE_BEGIN%s to %s:%d", s->id, seamless ? "_SEAMLESS" : "",
		     dst->host, dst->port);
	push(s->main, dst_msg(seamless ? SPICE_MSG_MAIN_MIGRATE_BEGIN_SEAMLESS
				       : SPICE_MSG_MAIN_MIGRATE_BEGIN,
			      dst));
	s->begin_dst = NULL;
}

static bool settled(const struct sf_session *s)
{
	return s->attached && sf_clock_now_ns() - s->last_link_ns >= SETTLE_MS * 1000000ull;
}

void sf_session_migrate_poll(struct sf_session *s)
{
	if (s->begin_dst && s->mig == SF_MIG_CONNECTING && settled(s))
		send_begin(s, s->begin_dst, s->begin_seamless);
}

bool sf_session_migrate_begin(struct sf_session *s, const struct sf_migrate_dst *dst, bool seamless)
{
	if (s->mig != SF_MIG_NONE && s->mig != SF_MIG_ENDED)
		return false;
	/* linked, its main channel not started yet: the coordinator's next
	 * poll asks again (marking it failed here left a client that linked
	 * during a migration untold until the switch-host at the end) */
	if (!s->active)
		return false;
	if (!sf_chan_test_cap(s->main, SPICE_MAIN_CAP_SEMI_SEAMLESS_MIGRATE)) {
		sf_log_debug("session %08x cannot migrate (no semi-seamless cap): switch-host at "
			     "the end",
			     s->id);
		s->mig = SF_MIG_FAILED;
		return false;
	}
	s->mig = SF_MIG_CONNECTING;
	if (!settled(s)) { /* told once its channels linked (sf_session_migrate_poll) */
		s->begin_dst = dst;
		s->begin_seamless = seamless;
		return true;
	}
	send_begin(s, dst, seamless);
	return true;
}

enum sf_session_mig sf_session_migrate_state(const struct sf_session *s)
{
	return s->mig;
}

static void migrate_chan(struct sf_chan *c, void *data)
{
	(void)data;
	sf_chan_migrate(c);
}

void sf_session_migrate_end(struct sf_session *s, bool completed, const struct sf_migrate_dst *dst)
{
	bool linked = s->mig == SF_MIG_CONNECTED || s->mig == SF_MIG_CONNECTED_SEAMLESS;

	if (!completed) {
		if (linked || (s->mig == SF_MIG_CONNECTING && !s->begin_dst))
			push(s->main, sf_marshal_empty(SPICE_MSG_MAIN_MIGRATE_CANCEL));
		s->mig = SF_MIG_NONE;
		s->begin_dst = NULL;
		return;
	}
	s->begin_dst = NULL;
	if (s->mig == SF_MIG_CONNECTED_SEAMLESS) {
		sf_session_foreach(s, migrate_chan, NULL);
		sf_chan_migrate(s->main);
	} else if (s->mig == SF_MIG_CONNECTED) {
		push(s->main, sf_marshal_empty(SPICE_MSG_MAIN_MIGRATE_END));
	} else if (dst && dst->host[0]) {
		push(s->main, dst_msg(SPICE_MSG_MAIN_MIGRATE_SWITCH_HOST, dst));
	}
	s->mig = SF_MIG_ENDED;
}

static void migrate_connected(struct sf_session *s, uint16_t type)
{
	if (s->mig != SF_MIG_CONNECTING) {
		/* too late: the migration was cancelled meanwhile */
		if (type != SPICE_MSGC_MAIN_MIGRATE_CONNECT_ERROR)
			push(s->main, sf_marshal_empty(SPICE_MSG_MAIN_MIGRATE_CANCEL));
		return;
	}
	sf_log_debug("session %08x: client answered MIGRATE_BEGIN (%u)", s->id, type);
	s->mig = type == SPICE_MSGC_MAIN_MIGRATE_CONNECTED_SEAMLESS ? SF_MIG_CONNECTED_SEAMLESS
		 : type == SPICE_MSGC_MAIN_MIGRATE_CONNECTED	    ? SF_MIG_CONNECTED
								    : SF_MIG_FAILED;
	if (s->env->migrate_connected)
		s->env->migrate_connected(s, s->env->data);
}

enum sf_session_links sf_session_links(const struct sf_session *s)
{
	return s->links;
}

/* Target: the client asks to continue seamlessly (its source offered it). */
static int dst_do_seamless(struct sf_session *s, const uint8_t *p, uint32_t size)
{
	bool ok;

	if (size < 4)
		return -EPROTO;
	ok = s->links == SF_LINKS_PENDING && sf_get_le32(p) <= SF_MIGDATA_VERSION &&
	     s->env->seamless_allowed && s->env->seamless_allowed(s, s->env->data);
	if (!ok) {
		push(s->main, sf_marshal_empty(SPICE_MSG_MAIN_MIGRATE_DST_SEAMLESS_NACK));
		return 0;
	}
	if (s->env->agent && !s->agent)
		s->agent = sf_agent_client_add(s->env->agent, s->main);
	s->links = SF_LINKS_MIGRATED;
	sf_chan_expect_migrate_data(s->main);
	push(s->main, sf_marshal_empty(SPICE_MSG_MAIN_MIGRATE_DST_SEAMLESS_ACK));
	if (s->env->activate)
		s->env->activate(s, s->env->data);
	return 0;
}

/* Target, semi-seamless: the client left the source; start afresh. */
static int dst_migrate_end(struct sf_session *s)
{
	if (s->links != SF_LINKS_PENDING)
		return 0; /* spice-server ignores it too */
	s->links = SF_LINKS_NORMAL;
	send_init(s);
	if (s->env->activate)
		s->env->activate(s, s->env->data);
	return 0;
}

static struct sf_buf *main_migrate_save(struct sf_chan *c)
{
	struct sf_session *s = sf_chan_data(c);
	struct sf_mig_main m = {
		.mouse_mode = s->mouse_mode,
		.mm_time = sf_clock_mm_time(),
		.agent = s->agent != NULL,
	};
	struct sf_wbuf w;

	sf_migdata_begin(&w, SPICE_CHANNEL_MAIN);
	sf_mig_main_save(&w, &m);
	if (s->agent)
		sf_agent_client_save(s->agent, &w);
	return sf_migdata_finish(&w);
}

/* The target's mm-time replaces the source's before any frame it stamps. */
static int main_migrate_load(struct sf_chan *c, const uint8_t *p, uint32_t size)
{
	struct sf_session *s = sf_chan_data(c);
	struct sf_mig_main m;
	struct sf_rbuf r;
	int err;

	if ((err = sf_migdata_open(&r, p, size, SPICE_CHANNEL_MAIN)) < 0 ||
	    (err = sf_mig_main_load(&r, &m)) < 0)
		return err;
	if (m.agent && s->agent && (err = sf_agent_client_load(s->agent, &r)) < 0)
		return err;
	if (m.agent && !s->agent)
		return -EBADMSG; /* cannot skip what it does not parse */
	if ((err = sf_migdata_end(&r)) < 0)
		return err;
	if (m.mouse_mode & supported_modes(s))
		s->mouse_mode = m.mouse_mode;
	push(s->main, sf_marshal_mouse_mode(supported_modes(s), s->mouse_mode));
	sf_session_send_mm_time(s);
	s->active = true;
	start_ping(s);
	return 0;
}

static int handle(struct sf_chan *c, uint16_t type, const uint8_t *p, uint32_t size)
{
	struct sf_session *s = sf_chan_data(c);
	uint16_t mode;

	switch (type) {
	case SPICE_MSGC_MAIN_ATTACH_CHANNELS:
		push(c, sf_marshal_channels_list(s->env->channels, s->env->nchannels));
		sf_session_send_mm_time(s);
		s->attached = true;
		s->last_link_ns = sf_clock_now_ns();
		return 0;
	case SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST:
		if (size < 2)
			return -EPROTO;
		mode = sf_get_le16(p);
		if ((mode == SPICE_MOUSE_MODE_SERVER || mode == SPICE_MOUSE_MODE_CLIENT) &&
		    (mode & supported_modes(s)))
			s->mouse_mode = mode;
		push(c, sf_marshal_mouse_mode(supported_modes(s), s->mouse_mode));
		return 0;
	case SPICE_MSGC_PONG:
		return handle_pong(s, p, size);
	case SPICE_MSGC_MAIN_AGENT_START:
	case SPICE_MSGC_MAIN_AGENT_TOKEN:
		if (size < 4)
			return -EPROTO;
		if (!s->agent)
			return 0;
		return type == SPICE_MSGC_MAIN_AGENT_START
			       ? sf_agent_client_start(s->agent, sf_get_le32(p))
			       : sf_agent_client_tokens(s->agent, sf_get_le32(p));
	case SPICE_MSGC_MAIN_AGENT_DATA:
		return s->agent ? sf_agent_client_data(s->agent, p, size) : 0;
	case SPICE_MSGC_MAIN_MIGRATE_CONNECTED:
	case SPICE_MSGC_MAIN_MIGRATE_CONNECTED_SEAMLESS:
	case SPICE_MSGC_MAIN_MIGRATE_CONNECT_ERROR:
		migrate_connected(s, type);
		return 0;
	case SPICE_MSGC_MAIN_MIGRATE_DST_DO_SEAMLESS:
		return dst_do_seamless(s, p, size);
	case SPICE_MSGC_MAIN_MIGRATE_END:
		return dst_migrate_end(s);
	case SPICE_MSGC_MAIN_CLIENT_INFO:
	case SPICE_MSGC_MAIN_QUALITY_INDICATOR:
		return 0;
	default:
		return -EPROTO;
	}
}

static void end(struct sf_session *s)
{
	if (s->ended)
		return;
	s->ended = true;
	for (unsigned i = 0; i < s->nchans; i++) {
		sf_chan_close(s->chans[i]);
		if (s->env->chan_gone)
			s->env->chan_gone(s->chans[i], s->env->data);
		sf_chan_unref(s->chans[i]);
	}
	s->nchans = 0;
	if (s->env->chan_gone)
		s->env->chan_gone(s->main, s->env->data);
	if (s->env->ended)
		s->env->ended(s, s->env->data);
}

static void on_close(struct sf_chan *c)
{
	struct sf_session *s = sf_chan_data(c);

	end(s);
	sf_agent_client_remove(s->agent);
	sf_loop_timer_remove(s->ping_timer);
	sf_chan_unref(s->main);
	free(s);
}

static const struct sf_chan_ops main_ops = {
	.name = "main",
	.max_msg_size = 65536 + 1024, /* agent data chunks */
	.acks = false,
	.handle = handle,
	.on_start = on_start,
	.on_close = on_close,
	.migrate_save = main_migrate_save,
	.migrate_load = main_migrate_load,
};

struct sf_session *sf_session_create(struct sf_loop *loop, int fd, const struct sf_link_info *info,
				     const struct sf_session_env *env)
{
	struct sf_session *s = calloc(1, sizeof(*s));

	if (!s) {
		close(fd);
		return NULL;
	}
	s->env = env;
	s->id = info->connection_id ? info->connection_id : sf_ids_random32();
	s->links = info->connection_id ? SF_LINKS_PENDING : SF_LINKS_NORMAL;
	s->mouse_mode = env->client_mouse ? SPICE_MOUSE_MODE_CLIENT : SPICE_MOUSE_MODE_SERVER;
	s->main = sf_chan_create(loop, fd, info, &main_ops, s);
	if (!s->main) {
		free(s);
		return NULL;
	}
	sf_chan_start(s->main);
	return s;
}

void sf_session_send_mm_time(struct sf_session *s)
{
	if (s->env->mm_by_main)
		push(s->main, sf_marshal_mm_time(sf_clock_mm_time() - s->env->mm_latency));
}

uint32_t sf_session_id(const struct sf_session *s)
{
	return s->id;
}

uint64_t sf_session_rtt_ns(const struct sf_session *s)
{
	return s->rtt_ns;
}

uint64_t sf_session_bitrate(const struct sf_session *s)
{
	return s->bitrate;
}

bool sf_session_low_bandwidth(const struct sf_session *s)
{
	return s->bitrate && s->bitrate < LOW_BANDWIDTH_BPS;
}

uint16_t sf_session_mouse_mode(const struct sf_session *s)
{
	return s->mouse_mode;
}

int sf_session_add_chan(struct sf_session *s, struct sf_chan *c)
{
	if (s->ended || s->nchans == MAX_SESSION_CHANS)
		return -ENOSPC;
	s->chans[s->nchans++] = sf_chan_ref(c);
	s->last_link_ns = sf_clock_now_ns();
	return 0;
}

void sf_session_foreach(struct sf_session *s, void (*fn)(struct sf_chan *c, void *data), void *data)
{
	for (unsigned i = 0; i < s->nchans; i++)
		fn(s->chans[i], data);
}

void sf_session_update_mouse(struct sf_session *s)
{
	if (!(s->mouse_mode & supported_modes(s)))
		s->mouse_mode = SPICE_MOUSE_MODE_SERVER;
	else if (s->env->client_mouse)
		s->mouse_mode = SPICE_MOUSE_MODE_CLIENT;
	push(s->main, sf_marshal_mouse_mode(supported_modes(s), s->mouse_mode));
}

struct sf_chan *sf_session_main(const struct sf_session *s)
{
	return s->main;
}

void sf_session_close(struct sf_session *s)
{
	sf_chan_close(s->main);
}
