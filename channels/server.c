/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/server.c: listener, link dispatch, sessions and the sender pool.
 * Display and cursor connections are spread round-robin over the senders;
 * main and inputs connections stay on the main loop. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <spice/enums.h>
#include "channels/server.h"
#include "channels/link.h"
#include "channels/main.h"
#include "channels/agent.h"
#include "channels/vmc.h"
#include "channels/marshal.h"
#include "channels/tls.h"
#include "engine/log.h"
#include "engine/thread.h"
#include "migrate/coord.h"

SF_LOG_TOPIC("server");

#define MAX_SENDERS 64

struct sender {
	struct sf_loop *loop;
	pthread_t thread;
	bool running;
};

struct session_ref {
	struct sf_session *s;
	struct session_ref *next;
};

/* A link held for a migration-target session until it activates. */
struct pending_link {
	struct sf_session *s;
	int fd;
	struct sf_link_info info;
	struct pending_link *next;
};

struct sf_server {
	struct sf_server_config cfg;
	struct sf_loop *loop;
	struct sf_ticket *ticket;
	struct sf_linker *linker;
	int lfd, tls_lfd;
	struct sf_watch *lwatch, *tls_lwatch;
	struct sf_tls *tls;
	int tls_port;
	int port;
	struct sf_display *displays[SF_SERVER_MAX_DISPLAYS];
	unsigned ndisplays;
	struct sender senders[MAX_SENDERS];
	unsigned nsenders, next_sender;
	const struct sf_input_ops *input_ops;
	void *input_data;
	struct session_ref *sessions;
	unsigned nsessions;
	uint8_t channels[2 * SF_SERVER_MAX_DISPLAYS + 3 + SF_SERVER_MAX_VMCS][2];
	struct sf_agent *agent;
	struct sf_vmc *vmcs[SF_SERVER_MAX_VMCS];
	struct sf_playback *playback;
	struct sf_record *record;
	struct sf_session_env env;
	bool started;
	const struct sf_server_hooks *hooks;
	void *hooks_data;
	uint16_t modifiers;
	struct sf_migrate *migrate;
	bool seamless;
	struct pending_link *pending;
};

static void event(struct sf_server *srv, int ev, struct sf_chan *c, int fd)
{
	if (srv->hooks && srv->hooks->channel_event && c)
		srv->hooks->channel_event(srv->hooks_data, ev, c, fd);
}

static void chan_gone(struct sf_chan *c, void *data)
{
	event(data, SF_SERVER_EVENT_DISCONNECTED, c, -1);
}

static struct sf_session *find_session(struct sf_server *srv, uint32_t id)
{
	for (struct session_ref *r = srv->sessions; r; r = r->next)
		if (sf_session_id(r->s) == id)
			return r->s;
	return NULL;
}

static void drop_pending(struct sf_server *srv, struct sf_session *s)
{
	for (struct pending_link **pp = &srv->pending; *pp;) {
		struct pending_link *l = *pp;
		if (l->s != s) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		if (l->info.ssl)
			SSL_free(l->info.ssl);
		close(l->fd);
		free(l);
	}
}

static void session_ended(struct sf_session *s, void *data)
{
	struct sf_server *srv = data;

	drop_pending(srv, s);
	for (struct session_ref **pp = &srv->sessions; *pp; pp = &(*pp)->next) {
		if ((*pp)->s == s) {
			struct session_ref *r = *pp;
			*pp = r->next;
			free(r);
			srv->nsessions--;
			break;
		}
	}
	if (srv->migrate)
		sf_migrate_session_gone(srv->migrate, s);
}

static uint32_t channel_caps(void *data, uint8_t type)
{
	(void)data;
	if (type == SPICE_CHANNEL_MAIN)
		return 1u << SPICE_MAIN_CAP_SEMI_SEAMLESS_MIGRATE |
		       1u << SPICE_MAIN_CAP_SEAMLESS_MIGRATE;
	if (type == SPICE_CHANNEL_PLAYBACK)
		return 1u << SPICE_PLAYBACK_CAP_VOLUME | 1u << SPICE_PLAYBACK_CAP_OPUS |
		       1u << SPICE_PLAYBACK_CAP_LATENCY;
	if (type == SPICE_CHANNEL_RECORD)
		return 1u << SPICE_RECORD_CAP_VOLUME | 1u << SPICE_RECORD_CAP_OPUS;
	return type == SPICE_CHANNEL_INPUTS ? 1u << SPICE_INPUTS_CAP_KEY_SCANCODE : 0;
}

static struct sf_vmc *find_vmc(struct sf_server *srv, uint8_t type, uint8_t id)
{
	for (unsigned i = 0; i < SF_SERVER_MAX_VMCS; i++)
		if (srv->vmcs[i] && sf_vmc_type(srv->vmcs[i]) == type &&
		    sf_vmc_id(srv->vmcs[i]) == id)
			return srv->vmcs[i];
	return NULL;
}

static uint32_t check(void *data, const struct sf_link_info *info)
{
	struct sf_vmc *vmc;

	struct sf_server *srv = data;

	if (!info->ssl && info->channel_type < 32 &&
	    (srv->cfg.secure_channels >> info->channel_type & 1))
		return SPICE_LINK_ERR_NEED_SECURED;

	switch (info->channel_type) {
	case SPICE_CHANNEL_MAIN:
		if (srv->nsessions >= srv->cfg.max_sessions)
			return SPICE_LINK_ERR_ERROR;
		/* a non-zero id: a client migrating here keeps its session id */
		if (info->connection_id && find_session(srv, info->connection_id))
			return SPICE_LINK_ERR_BAD_CONNECTION_ID;
		return SPICE_LINK_ERR_OK;
	case SPICE_CHANNEL_DISPLAY:
	case SPICE_CHANNEL_CURSOR:
		if (info->channel_id >= srv->ndisplays)
			return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
		break;
	case SPICE_CHANNEL_INPUTS:
		if (info->channel_id != 0)
			return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
		break;
	case SPICE_CHANNEL_PLAYBACK:
		if (info->channel_id != 0 || !srv->playback)
			return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
		break;
	case SPICE_CHANNEL_RECORD:
		if (info->channel_id != 0 || !srv->record)
			return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
		break;
	case SPICE_CHANNEL_USBREDIR:
	case SPICE_CHANNEL_PORT:
	case SPICE_CHANNEL_WEBDAV:
		/* one client per device, as in spice-server */
		vmc = find_vmc(srv, info->channel_type, info->channel_id);
		if (!vmc || sf_vmc_busy(vmc))
			return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
		break;
	default:
		return SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE;
	}
	return find_session(srv, info->connection_id) ? SPICE_LINK_ERR_OK
						      : SPICE_LINK_ERR_BAD_CONNECTION_ID;
}

static void adopt_main(struct sf_server *srv, int fd, const struct sf_link_info *info)
{
	struct session_ref *r = calloc(1, sizeof(*r));
	struct sf_session *s = r ? sf_session_create(srv->loop, fd, info, &srv->env) : NULL;

	if (!s) {
		if (!r)
			close(fd);
		free(r);
		return;
	}
	if (info->connection_id)
		sf_log_info("client migrating here (session %08x)", info->connection_id);
	r->s = s;
	r->next = srv->sessions;
	srv->sessions = r;
	srv->nsessions++;
	event(srv, SF_SERVER_EVENT_CONNECTED, sf_session_main(s), fd);
	event(srv, SF_SERVER_EVENT_INITIALIZED, sf_session_main(s), fd);
}

static struct sf_chan *attach(struct sf_server *srv, int fd, const struct sf_link_info *info)
{
	struct sf_chan *c = NULL;

	if (info->channel_type == SPICE_CHANNEL_INPUTS) {
		c = sf_inputs_client_new(srv->loop, fd, info, srv->input_ops, srv->input_data);
		if (c)
			sf_chan_start(c);
	} else if (info->channel_type == SPICE_CHANNEL_PLAYBACK) {
		c = sf_playback_attach(srv->playback, srv->loop, fd, info);
	} else if (info->channel_type == SPICE_CHANNEL_RECORD) {
		c = sf_record_attach(srv->record, srv->loop, fd, info);
	} else if (find_vmc(srv, info->channel_type, info->channel_id)) {
		c = sf_vmc_attach(find_vmc(srv, info->channel_type, info->channel_id), fd, info);
	} else if (info->channel_type != SPICE_CHANNEL_DISPLAY &&
		   info->channel_type != SPICE_CHANNEL_CURSOR) {
		close(fd); /* its device went away since check() */
	} else {
		struct sender *snd = &srv->senders[srv->next_sender++ % srv->nsenders];
		c = sf_display_attach(srv->displays[info->channel_id], snd->loop, fd, info);
	}
	return c;
}

static void adopt_chan(struct sf_server *srv, struct sf_session *s, int fd,
		       const struct sf_link_info *link)
{
	struct sf_link_info info = *link;
	struct sf_chan *c;

	info.migrated = sf_session_links(s) == SF_LINKS_MIGRATED;
	info.low_bandwidth = sf_session_low_bandwidth(s);
	c = attach(srv, fd, &info);
	if (c && sf_session_add_chan(s, c) < 0) {
		sf_chan_close(c);
	} else if (c) {
		event(srv, SF_SERVER_EVENT_CONNECTED, c, fd);
		event(srv, SF_SERVER_EVENT_INITIALIZED, c, fd);
	}
	sf_chan_unref(c);
}

/* A migration target holds links until the client's MIGRATE_END (or its
 * seamless request): they must not talk before the switch. */
static void hold(struct sf_server *srv, struct sf_session *s, int fd,
		 const struct sf_link_info *info)
{
	struct pending_link *l = calloc(1, sizeof(*l));

	if (!l) {
		if (info->ssl)
			SSL_free(info->ssl);
		close(fd);
		return;
	}
	l->s = s;
	l->fd = fd;
	l->info = *info;
	l->next = srv->pending;
	srv->pending = l;
}

static void adopt(void *data, int fd, const struct sf_link_info *info)
{
	struct sf_server *srv = data;
	struct sf_session *s;

	if (info->channel_type == SPICE_CHANNEL_MAIN) {
		adopt_main(srv, fd, info);
		return;
	}
	s = find_session(srv, info->connection_id);
	if (!s) { /* checked in check(); nothing ran between */
		close(fd);
		return;
	}
	if (sf_session_links(s) == SF_LINKS_PENDING)
		hold(srv, s, fd, info);
	else
		adopt_chan(srv, s, fd, info);
}

/* ---- session hooks for migration ---- */

static void session_answered(struct sf_session *s, void *data)
{
	struct sf_server *srv = data;

	if (srv->migrate)
		sf_migrate_session_answered(srv->migrate, s);
}

static bool seamless_allowed(struct sf_session *s, void *data)
{
	struct sf_server *srv = data;

	(void)s;
	return srv->nsessions == 1; /* as spice-server: one client only */
}

/* The WAN setting's AUTO mode depends on it (JPEG for photos). */
static void net_measured(struct sf_session *s, void *data)
{
	struct sf_server *srv = data;

	for (unsigned i = 0; i < srv->ndisplays; i++)
		sf_display_set_low_bandwidth(srv->displays[i], sf_session_id(s),
					     sf_session_low_bandwidth(s));
}

static void activate(struct sf_session *s, void *data)
{
	struct sf_server *srv = data;
	struct pending_link *mine = NULL;

	/* in arrival order */
	for (struct pending_link **pp = &srv->pending; *pp;) {
		struct pending_link *l = *pp;
		if (l->s != s) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		l->next = mine;
		mine = l;
	}
	while (mine) {
		struct pending_link *l = mine;
		mine = l->next;
		adopt_chan(srv, s, l->fd, &l->info);
		free(l);
	}
}

static const struct sf_link_ops link_ops = {
	.channel_caps = channel_caps,
	.check = check,
	.adopt = adopt,
};

static void on_accept_tls(void *data, int fd, uint32_t events)
{
	struct sf_server *srv = data;

	(void)events;
	for (int i = 0; i < 64; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		SSL *ssl;
		if (c < 0)
			return;
		ssl = sf_tls_new(srv->tls, c);
		if (!ssl) {
			close(c);
			continue;
		}
		sf_linker_accept_tls(srv->linker, c, ssl, false);
	}
}

static void on_accept(void *data, int fd, uint32_t events)
{
	struct sf_server *srv = data;

	(void)events;
	for (int i = 0; i < 64; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0)
			return;
		sf_linker_accept(srv->linker, c);
	}
}

struct sf_server *sf_server_create(const struct sf_server_config *cfg)
{
	struct sf_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	sf_thread_set_role(SF_THREAD_MAIN);
	srv->cfg = *cfg;
	if (!srv->cfg.max_sessions)
		srv->cfg.max_sessions = 1024;
	if (!srv->cfg.senders) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		srv->cfg.senders = n > 0 ? (unsigned)n : 1;
	}
	srv->cfg.senders = SF_MIN(srv->cfg.senders, MAX_SENDERS);
	srv->lfd = srv->tls_lfd = -1;
	srv->loop = sf_loop_create();
	srv->ticket = sf_ticket_create();
	if (!srv->loop || !srv->ticket)
		goto err;
	srv->linker = sf_linker_create(srv->loop, srv->ticket, &link_ops, srv);
	srv->agent = sf_agent_create(srv->loop);
	if (!srv->linker || !srv->agent)
		goto err;
	if (srv->cfg.link_timeout_ms)
		sf_linker_set_timeout(srv->linker, srv->cfg.link_timeout_ms);
	srv->env.ended = session_ended;
	srv->env.chan_gone = chan_gone;
	srv->env.migrate_connected = session_answered;
	srv->env.seamless_allowed = seamless_allowed;
	srv->env.activate = activate;
	srv->env.net_measured = net_measured;
	srv->env.data = srv;
	srv->env.client_mouse = cfg->client_mouse;
	srv->env.agent = srv->agent;
	srv->env.mm_by_main = true;
	srv->env.mm_latency = SF_SERVER_MM_TIME_DELTA;
	srv->env.channels = (const uint8_t(*)[2])srv->channels;
	return srv;

err:
	sf_linker_destroy(srv->linker);
	sf_agent_destroy(srv->agent);
	sf_ticket_destroy(srv->ticket);
	sf_loop_destroy(srv->loop);
	free(srv);
	return NULL;
}

int sf_server_set_ticket(struct sf_server *srv, const char *password, time_t expires)
{
	sf_ticket_set_disabled(srv->ticket, false);
	return sf_ticket_set(srv->ticket, password, expires);
}

void sf_server_set_noauth(struct sf_server *srv)
{
	sf_ticket_set_disabled(srv->ticket, true);
}

void sf_server_set_input_ops(struct sf_server *srv, const struct sf_input_ops *ops, void *data)
{
	srv->input_ops = ops;
	srv->input_data = data;
}

static void rebuild_channel_list(struct sf_server *srv)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < srv->ndisplays; i++) {
		srv->channels[n][0] = SPICE_CHANNEL_DISPLAY;
		srv->channels[n++][1] = (uint8_t)i;
		srv->channels[n][0] = SPICE_CHANNEL_CURSOR;
		srv->channels[n++][1] = (uint8_t)i;
	}
	srv->channels[n][0] = SPICE_CHANNEL_INPUTS;
	srv->channels[n++][1] = 0;
	if (srv->playback) {
		srv->channels[n][0] = SPICE_CHANNEL_PLAYBACK;
		srv->channels[n++][1] = 0;
	}
	if (srv->record) {
		srv->channels[n][0] = SPICE_CHANNEL_RECORD;
		srv->channels[n++][1] = 0;
	}
	for (unsigned i = 0; i < SF_SERVER_MAX_VMCS; i++) {
		if (!srv->vmcs[i])
			continue;
		srv->channels[n][0] = sf_vmc_type(srv->vmcs[i]);
		srv->channels[n++][1] = sf_vmc_id(srv->vmcs[i]);
	}
	srv->env.nchannels = n;
	srv->env.ndisplays = srv->ndisplays;
}

struct sf_display *sf_server_add_display(struct sf_server *srv,
					 const struct sf_display_source_ops *ops, void *opaque)
{
	struct sf_display *d;

	if (srv->ndisplays == SF_SERVER_MAX_DISPLAYS) {
		errno = ENOSPC;
		return NULL;
	}
	d = sf_display_create((uint8_t)srv->ndisplays, ops, opaque);
	if (!d)
		return NULL;
	if (srv->started && sf_display_start(d) < 0) {
		sf_display_destroy(d);
		errno = EAGAIN;
		return NULL;
	}
	srv->displays[srv->ndisplays++] = d;
	rebuild_channel_list(srv);
	return d;
}

static void *sender_main(void *arg)
{
	sf_loop_run(arg);
	return NULL;
}

int sf_server_start(struct sf_server *srv)
{
	int r;

	rebuild_channel_list(srv);
	for (unsigned i = 0; i < srv->cfg.senders; i++) {
		struct sender *s = &srv->senders[i];
		char name[16];
		s->loop = sf_loop_create();
		if (!s->loop)
			return -ENOMEM;
		if (srv->cfg.batch_ms >= 0)
			sf_loop_set_tick(s->loop,
					 srv->cfg.batch_ms ? (unsigned)srv->cfg.batch_ms : 16);
		srv->nsenders++;
		snprintf(name, sizeof(name), "sf-sender%u", i % 1000);
		r = sf_thread_start(&s->thread, name, SF_THREAD_SENDER, sender_main, s->loop);
		if (r < 0)
			return r;
		s->running = true;
	}
	for (unsigned i = 0; i < srv->ndisplays; i++) {
		r = sf_display_start(srv->displays[i]);
		if (r < 0)
			return r;
	}
	srv->started = true;
	return 0;
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

int sf_server_listen_fd(struct sf_server *srv, int fd)
{
	srv->lfd = fd;
	srv->port = port_of(fd);
	srv->lwatch = sf_loop_watch_add(srv->loop, fd, EPOLLIN, on_accept, srv);
	return srv->lwatch ? 0 : -errno;
}

/* Returns a listening socket on @port or -errno. */
static int bind_port(struct sf_server *srv, int portnum)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE, .ai_family = srv->cfg.family};
	struct addrinfo *res, *ai;
	char port[16];
	int one = 1, fd = -1, e = EADDRNOTAVAIL;

	snprintf(port, sizeof(port), "%d", portnum);
	if (getaddrinfo(srv->cfg.addr && *srv->cfg.addr ? srv->cfg.addr : NULL, port, &hints,
			&res) != 0)
		return -EINVAL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 512) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd < 0 ? -e : fd;
}

static int listen_tls(struct sf_server *srv)
{
	int fd;

	srv->tls = sf_tls_create(srv->cfg.tls_cert, srv->cfg.tls_key, srv->cfg.tls_ca,
				 srv->cfg.tls_ciphers);
	if (!srv->tls)
		return -EINVAL;
	fd = bind_port(srv, srv->cfg.tls_port);
	if (fd < 0)
		return fd;
	srv->tls_lfd = fd;
	srv->tls_port = port_of(fd);
	srv->tls_lwatch = sf_loop_watch_add(srv->loop, fd, EPOLLIN, on_accept_tls, srv);
	return srv->tls_lwatch ? 0 : -errno;
}

int sf_server_listen(struct sf_server *srv)
{
	int fd, e;

	if (srv->cfg.tls_cert) {
		e = listen_tls(srv);
		if (e < 0)
			return e;
	}
	if (srv->cfg.port < 0)
		return 0; /* TLS only */
	fd = bind_port(srv, srv->cfg.port);
	if (fd < 0)
		return fd;
	e = sf_server_listen_fd(srv, fd);
	if (e < 0) {
		close(fd);
		srv->lfd = -1;
	}
	return e;
}

int sf_server_tls_port(const struct sf_server *srv)
{
	return srv->tls_port;
}

int sf_server_add_tls_client(struct sf_server *srv, int fd, bool skip_auth)
{
	SSL *ssl;

	if (!srv->tls || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -EINVAL;
	ssl = sf_tls_new(srv->tls, fd);
	if (!ssl)
		return -ENOMEM;
	return sf_linker_accept_tls(srv->linker, fd, ssl, skip_auth);
}

void sf_server_set_hooks(struct sf_server *srv, const struct sf_server_hooks *h, void *data)
{
	srv->hooks = h;
	srv->hooks_data = data;
}

void sf_server_set_client_mouse(struct sf_server *srv, bool on)
{
	if (srv->env.client_mouse == on)
		return;
	srv->env.client_mouse = on;
	for (struct session_ref *r = srv->sessions; r; r = r->next)
		sf_session_update_mouse(r->s);
}

static void push_modifiers(struct sf_chan *c, void *data)
{
	struct sf_buf *b;

	if (sf_chan_info(c)->channel_type != SPICE_CHANNEL_INPUTS)
		return;
	b = sf_marshal_key_modifiers(*(uint16_t *)data);
	if (b)
		sf_chan_push(c, b);
	sf_buf_unref(b);
}

void sf_server_set_modifiers(struct sf_server *srv, uint16_t mods)
{
	srv->modifiers = mods;
	for (struct session_ref *r = srv->sessions; r; r = r->next)
		sf_session_foreach(r->s, push_modifiers, &mods);
}

void sf_server_disconnect_all(struct sf_server *srv)
{
	for (struct session_ref *r = srv->sessions; r; r = r->next)
		sf_session_close(r->s);
}

int sf_server_add_client(struct sf_server *srv, int fd, bool skip_auth)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return skip_auth ? sf_linker_accept_trusted(srv->linker, fd)
			 : sf_linker_accept(srv->linker, fd);
}

int sf_server_port(const struct sf_server *srv)
{
	return srv->port;
}

struct sf_loop *sf_server_loop(struct sf_server *srv)
{
	return srv->loop;
}

static void send_mm_time(struct sf_server *srv)
{
	for (struct session_ref *r = srv->sessions; r; r = r->next)
		sf_session_send_mm_time(r->s);
}

/* spice-server's rule: audio drives the client's mm-time while it plays;
 * when it stops, the main channel takes over again with the default lag. */
static void playback_active(void *data, bool active)
{
	struct sf_server *srv = data;

	srv->env.mm_by_main = !active;
	if (!active) {
		srv->env.mm_latency = SF_SERVER_MM_TIME_DELTA;
		send_mm_time(srv);
	}
}

void sf_server_set_video_latency(struct sf_server *srv, uint32_t ms)
{
	if (srv->env.mm_by_main) {
		if (ms > srv->env.mm_latency) {
			srv->env.mm_latency = ms;
			send_mm_time(srv);
		}
	} else if (srv->playback) {
		sf_playback_set_latency(srv->playback, ms);
	}
}

uint32_t sf_server_mm_latency(const struct sf_server *srv)
{
	return srv->env.mm_by_main ? srv->env.mm_latency : 0;
}

struct sf_playback *sf_server_playback(struct sf_server *srv)
{
	if (!srv->playback) {
		srv->playback = sf_playback_create();
		if (srv->playback)
			sf_playback_set_observer(srv->playback, playback_active, srv);
		rebuild_channel_list(srv);
	}
	return srv->playback;
}

struct sf_record *sf_server_record(struct sf_server *srv)
{
	if (!srv->record) {
		srv->record = sf_record_create();
		rebuild_channel_list(srv);
	}
	return srv->record;
}

struct sf_agent *sf_server_agent(struct sf_server *srv)
{
	return srv->agent;
}

struct sf_vmc *sf_server_add_vmc(struct sf_server *srv, uint8_t type, const char *portname,
				 const struct sf_chardev_ops *ops, void *opaque)
{
	unsigned slot = SF_SERVER_MAX_VMCS;
	uint8_t id = 0;
	struct sf_vmc *v;

	/* the lowest id free for this type, as spice-server numbers them */
	while (find_vmc(srv, type, id))
		id++;
	for (unsigned i = 0; i < SF_SERVER_MAX_VMCS && slot == SF_SERVER_MAX_VMCS; i++)
		if (!srv->vmcs[i])
			slot = i;
	if (slot == SF_SERVER_MAX_VMCS) {
		errno = ENOSPC;
		return NULL;
	}
	v = sf_vmc_create(srv->loop, type, id, portname, ops, opaque);
	if (!v)
		return NULL;
	srv->vmcs[slot] = v;
	rebuild_channel_list(srv);
	return v;
}

void sf_server_remove_vmc(struct sf_server *srv, struct sf_vmc *v)
{
	for (unsigned i = 0; i < SF_SERVER_MAX_VMCS; i++)
		if (srv->vmcs[i] == v)
			srv->vmcs[i] = NULL;
	sf_vmc_destroy(v);
	rebuild_channel_list(srv);
}

unsigned sf_server_sessions(const struct sf_server *srv)
{
	return srv->nsessions;
}

/* Order matters: sessions close their connections (close tasks queue on the
 * loops), displays drop their clients, senders stop, and whatever tasks the
 * stopped loops still hold are run here so every reference is released. */
void sf_server_destroy(struct sf_server *srv)
{
	if (!srv)
		return;
	sf_loop_watch_remove(srv->lwatch);
	if (srv->lfd >= 0)
		close(srv->lfd);
	sf_loop_watch_remove(srv->tls_lwatch);
	if (srv->tls_lfd >= 0)
		close(srv->tls_lfd);
	srv->hooks = NULL; /* the embedder is tearing down: no more events */
	sf_linker_destroy(srv->linker);
	sf_migrate_destroy(srv->migrate);
	srv->migrate = NULL;
	for (int tries = 0; srv->sessions && tries < 1000; tries++) {
		sf_session_close(srv->sessions->s);
		sf_loop_iterate(srv->loop, 10);
	}
	for (unsigned i = 0; i < srv->ndisplays; i++)
		sf_display_stop(srv->displays[i]);
	for (unsigned i = 0; i < srv->nsenders; i++) {
		if (srv->senders[i].running) {
			sf_loop_quit(srv->senders[i].loop);
			pthread_join(srv->senders[i].thread, NULL);
		}
	}
	for (unsigned i = 0; i < srv->nsenders; i++)
		sf_loop_iterate(srv->senders[i].loop, 0);
	for (unsigned i = 0; i < srv->ndisplays; i++)
		sf_display_destroy(srv->displays[i]);
	for (unsigned i = 0; i < srv->nsenders; i++) {
		sf_loop_iterate(srv->senders[i].loop, 0);
		sf_loop_destroy(srv->senders[i].loop);
	}
	sf_loop_iterate(srv->loop, 0);
	sf_playback_destroy(srv->playback);
	sf_record_destroy(srv->record);
	for (unsigned i = 0; i < SF_SERVER_MAX_VMCS; i++)
		sf_vmc_destroy(srv->vmcs[i]);
	sf_loop_iterate(srv->loop, 0);
	sf_agent_destroy(srv->agent);
	sf_loop_destroy(srv->loop);
	sf_ticket_destroy(srv->ticket);
	sf_tls_destroy(srv->tls);
	free(srv);
}

/* ---- migration ---- */

static void mig_foreach(void *host, void (*fn)(struct sf_session *s, void *arg), void *arg)
{
	struct sf_server *srv = host;
	struct session_ref *next;

	for (struct session_ref *r = srv->sessions; r; r = next) {
		next = r->next; /* fn may end the session */
		fn(r->s, arg);
	}
}

static void mig_connect_done(void *host)
{
	struct sf_server *srv = host;

	if (srv->hooks && srv->hooks->migrate_connect_done)
		srv->hooks->migrate_connect_done(srv->hooks_data);
}

static void mig_end_done(void *host)
{
	struct sf_server *srv = host;

	if (srv->hooks && srv->hooks->migrate_end_done)
		srv->hooks->migrate_end_done(srv->hooks_data);
}

static void mig_kick(void *host, struct sf_session *s)
{
	(void)host;
	sf_session_close(s);
}

static const struct sf_migrate_ops mig_ops = {
	.foreach = mig_foreach,
	.connect_done = mig_connect_done,
	.end_done = mig_end_done,
	.kick = mig_kick,
};

static struct sf_migrate *coordinator(struct sf_server *srv)
{
	if (!srv->migrate)
		srv->migrate = sf_migrate_create(srv->loop, &mig_ops, srv);
	return srv->migrate;
}

void sf_server_set_seamless_migration(struct sf_server *srv, bool on)
{
	srv->seamless = on;
}

void sf_server_migrate_info(struct sf_server *srv, const struct sf_migrate_dst *dst)
{
	if (coordinator(srv))
		sf_migrate_set_dst(srv->migrate, dst);
}

void sf_server_migrate_connect(struct sf_server *srv, const struct sf_migrate_dst *dst)
{
	if (!coordinator(srv)) {
		mig_connect_done(srv);
		return;
	}
	/* seamless carries one client's state: only with a single client */
	sf_migrate_connect(srv->migrate, dst, srv->seamless && srv->nsessions <= 1);
}

void sf_server_migrate_end(struct sf_server *srv, bool completed)
{
	if (!coordinator(srv)) {
		mig_end_done(srv);
		return;
	}
	sf_migrate_end(srv->migrate, completed);
}

void sf_server_migrate_switch(struct sf_server *srv)
{
	if (coordinator(srv))
		sf_migrate_switch(srv->migrate);
}
