/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/server.c: spice_server_* lifecycle, configuration and interfaces.
 * Settings made before spice_server_init() are kept and applied there; the
 * ones that matter while running (ticket, LEDs, mouse) are applied live. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "shim/shim.h"
#include "engine/clock.h"

SF_LOG_TOPIC("shim");

struct shim_event {
	struct sf_chan *chan;
	SpiceChannelEventInfo info;
	struct shim_event *next;
};

SF_EXPORT spice_compat_version_t spice_get_current_compat_version(void)
{
	return SPICE_COMPAT_VERSION_CURRENT;
}

SF_EXPORT SpiceServer *spice_server_new(void)
{
	SpiceServer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->port = -1;
	s->listen_fd = -1;
	s->image_compression = SPICE_IMAGE_COMPRESSION_AUTO_GLZ;
	s->jpeg = SPICE_WAN_COMPRESSION_AUTO;
	s->zlib_glz = SPICE_WAN_COMPRESSION_AUTO;
	s->streaming_video = SPICE_STREAM_VIDEO_FILTER;
	s->playback_compression = true;
	s->agent_mouse = s->agent_copypaste = s->agent_file_xfer = true;
	s->default_security = SPICE_CHANNEL_SECURITY_NONE | SPICE_CHANNEL_SECURITY_SSL;
	s->vm_running = true;
	return s;
}

/* Saffron's main loop runs inside the embedder's: its epoll fd is one watch.
 * QEMU calls it with its global lock held, which the guest's port I/O waits
 * for, so a long round here is a pause in the guest: debug logs name it. */
static void loop_ready(int fd, int event, void *opaque)
{
	SpiceServer *s = opaque;
	uint64_t t0 = sf_clock_now_ns(), dt;

	(void)fd;
	(void)event;
	sf_loop_iterate(sf_server_loop(s->srv), 0);
	dt = sf_clock_now_ns() - t0;
	if (dt > 2000000)
		sf_log_debug("a main loop round held the embedder's lock %.1f ms",
			     (double)dt / 1e6);
}

static void fill_addrs(SpiceChannelEventInfo *info, int fd)
{
	info->flags |= SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT;
	info->llen_ext = sizeof(info->laddr_ext);
	info->plen_ext = sizeof(info->paddr_ext);
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&info->laddr_ext, &info->llen_ext) < 0)
		info->llen_ext = 0;
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&info->paddr_ext, &info->plen_ext) < 0)
		info->plen_ext = 0;
}

/* The embedder keeps the info pointer from INITIALIZED to DISCONNECTED (QEMU
 * lists channels by it), so each one lives as long as its connection. */
static void channel_event(void *data, int ev, struct sf_chan *c, int fd)
{
	SpiceServer *s = data;
	struct shim_event **pp, *e;
	const struct sf_link_info *li = sf_chan_info(c);

	if (ev == SF_SERVER_EVENT_CONNECTED && li->channel_type == SPICE_CHANNEL_MAIN &&
	    li->connection_id)
		shim_migrate_target_client(s);
	for (pp = &s->events; *pp && (*pp)->chan != c; pp = &(*pp)->next)
		;
	e = *pp;
	if (!e) {
		if (ev != SF_SERVER_EVENT_CONNECTED || !(e = calloc(1, sizeof(*e))))
			return;
		e->chan = c;
		e->info.connection_id = (int)li->connection_id;
		e->info.type = li->channel_type;
		e->info.id = li->channel_id;
		fill_addrs(&e->info, fd);
		e->next = s->events;
		s->events = e;
		pp = &s->events;
	}
	if (s->core && s->core->channel_event)
		s->core->channel_event(ev, &e->info);
	if (ev == SF_SERVER_EVENT_DISCONNECTED) {
		*pp = e->next;
		free(e);
		if (s->exit_on_disconnect && li->channel_type == SPICE_CHANNEL_MAIN)
			exit(0);
	}
}

static const struct sf_server_hooks hooks = {
	.channel_event = channel_event,
	.migrate_connect_done = shim_migrate_connect_done,
	.migrate_end_done = shim_migrate_end_done,
};

static int apply_auth(SpiceServer *s)
{
	if (s->noauth || !s->has_ticket) {
		/* spice-server with neither refuses everyone; keep that unless noauth */
		if (s->noauth)
			sf_server_set_noauth(s->srv);
		else
			sf_server_set_ticket(s->srv, NULL, 0);
		return 0;
	}
	return sf_server_set_ticket(s->srv, s->ticket, s->ticket_expires);
}

SF_EXPORT int spice_server_init(SpiceServer *s, SpiceCoreInterface *core)
{
	struct sf_server_config cfg = {0};
	int r;

	if (!s || !core || core->base.major_version != SPICE_INTERFACE_CORE_MAJOR || s->srv)
		return -1;
	s->core = core;
	cfg.addr = s->addr;
	cfg.family = s->family;
	cfg.port = s->port;
	cfg.client_mouse = s->tablet != NULL;
	if (s->tls_port > 0) {
		cfg.tls_port = s->tls_port;
		cfg.tls_cert = s->tls_cert;
		cfg.tls_key = s->tls_key;
		cfg.tls_ca = s->tls_ca;
		cfg.tls_ciphers = s->tls_ciphers;
		if (s->port <= 0)
			cfg.port = -1; /* TLS only */
	}
	cfg.secure_channels = s->secure_channels;
	/* spice.h has no call for it: clients are unlimited unless the env says */
	if (getenv("SAFFRON_MAX_CLIENTS"))
		cfg.max_sessions = (unsigned)atoi(getenv("SAFFRON_MAX_CLIENTS"));
	s->srv = sf_server_create(&cfg);
	if (!s->srv)
		return -1;
	sf_server_set_hooks(s->srv, &hooks, s);
	for (unsigned i = 0; i < SHIM_MAX_AUDIO; i++) /* interfaces added before init */
		if (s->playback[i])
			sf_playback_set_compression(sf_server_playback(s->srv),
						    s->playback_compression);
	sf_server_set_input_ops(s->srv, shim_input_ops(), s);
	shim_agent_configure(s);
	shim_chardev_attach_all(s);
	if (apply_auth(s) < 0 || sf_server_start(s->srv) < 0)
		goto err;
	if (s->listen_fd >= 0)
		r = sf_server_listen_fd(s->srv, s->listen_fd);
	else
		r = s->port > 0 || s->tls_port > 0 ? sf_server_listen(s->srv) : 0;
	if (r < 0) {
		sf_log_error("cannot listen on %s:%d: %s", s->addr ? s->addr : "*", s->port,
			     strerror(-r));
		goto err;
	}
	s->watch = core->watch_add(sf_loop_fd(sf_server_loop(s->srv)), SPICE_WATCH_EVENT_READ,
				   loop_ready, s);
	if (!s->watch)
		goto err;
	return 0;
err:
	sf_server_destroy(s->srv);
	s->srv = NULL;
	return -1;
}

SF_EXPORT void spice_server_destroy(SpiceServer *s)
{
	if (!s)
		return;
	if (s->watch)
		s->core->watch_remove(s->watch);
	sf_server_destroy(s->srv);
	while (s->events) {
		struct shim_event *e = s->events;
		s->events = e->next;
		free(e);
	}
	for (unsigned i = 0; i < SHIM_MAX_QXL; i++) {
		if (s->qxl[i] && s->qxl[i]->st) {
			free(s->qxl[i]->st->surface_release);
			free(s->qxl[i]->st);
			s->qxl[i]->st = NULL;
		}
	}
	free(s->addr);
	free(s->ticket);
	free(s->video_codecs);
	free(s->name);
	free(s->tls_cert);
	free(s->tls_key);
	free(s->tls_ca);
	free(s->tls_ciphers);
	free(s);
}

SF_EXPORT int spice_server_set_compat_version(SpiceServer *s, spice_compat_version_t version)
{
	(void)s;
	return version == SPICE_COMPAT_VERSION_CURRENT ? 0 : -1;
}

SF_EXPORT int spice_server_set_port(SpiceServer *s, int port)
{
	if (port < 0 || port > 0xffff)
		return -1;
	s->port = port;
	return 0;
}

SF_EXPORT void spice_server_set_addr(SpiceServer *s, const char *addr, int flags)
{
	free(s->addr);
	s->addr = addr && *addr ? strdup(addr) : NULL;
	s->family = flags & SPICE_ADDR_FLAG_IPV4_ONLY	? AF_INET
		    : flags & SPICE_ADDR_FLAG_IPV6_ONLY ? AF_INET6
							: AF_UNSPEC;
	if (flags & SPICE_ADDR_FLAG_UNIX_ONLY)
		sf_log_error("unix socket listening is not supported; use a TCP address");
}

SF_EXPORT int spice_server_set_listen_socket_fd(SpiceServer *s, int listen_fd)
{
	s->listen_fd = listen_fd;
	return 0;
}

SF_EXPORT int spice_server_set_exit_on_disconnect(SpiceServer *s, int flag)
{
	s->exit_on_disconnect = flag != 0;
	return 0;
}

SF_EXPORT int spice_server_set_noauth(SpiceServer *s)
{
	free(s->ticket);
	s->ticket = NULL;
	s->has_ticket = false;
	s->noauth = true;
	return s->srv ? apply_auth(s) : 0;
}

/* Built without SASL, as spice-server can be: enabling it is an error. */
SF_EXPORT int spice_server_set_sasl(SpiceServer *s, int enabled)
{
	(void)s;
	return enabled ? -1 : 0;
}

SF_EXPORT int spice_server_set_sasl_appname(SpiceServer *s, const char *appname)
{
	(void)s;
	(void)appname;
	return -1;
}

SF_EXPORT int spice_server_set_ticket(SpiceServer *s, const char *passwd, int lifetime,
				      int fail_if_connected, int disconnect_if_connected)
{
	unsigned clients = s->srv ? sf_server_sessions(s->srv) : 0;

	if (fail_if_connected && clients)
		return -1;
	if (disconnect_if_connected && clients)
		sf_server_disconnect_all(s->srv);
	free(s->ticket);
	s->ticket = passwd ? strdup(passwd) : NULL;
	s->has_ticket = passwd != NULL;
	s->noauth = false;
	s->ticket_expires = lifetime > 0 ? time(NULL) + lifetime : 0;
	return s->srv ? apply_auth(s) : 0;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Applied at spice_server_init(). Encrypted keys and DH files are not
 * supported (OpenSSL 3 picks ECDHE/DHE groups itself): refused clearly. */
SF_EXPORT int spice_server_set_tls(SpiceServer *s, int port, const char *ca_cert_file,
				   const char *certs_file, const char *private_key_file,
				   const char *key_passwd, const char *dh_key_file,
				   const char *ciphersuite)
{
	(void)dh_key_file;
	if (port == 0)
		return 0;
	if (port < 0 || port > 0xffff || !certs_file || !private_key_file)
		return -1;
	if (key_passwd && *key_passwd) {
		sf_log_error("TLS: password-protected private keys are not supported");
		return -1;
	}
	s->tls_port = port;
	s->tls_cert = dup_or_null(certs_file);
	s->tls_key = dup_or_null(private_key_file);
	s->tls_ca = dup_or_null(ca_cert_file);
	s->tls_ciphers = dup_or_null(ciphersuite);
	return 0;
}

SF_EXPORT int spice_server_add_client(SpiceServer *s, int socket, int skip_auth)
{
	return s->srv && sf_server_add_client(s->srv, socket, skip_auth != 0) == 0 ? 0 : -1;
}

SF_EXPORT int spice_server_add_ssl_client(SpiceServer *s, int socket, int skip_auth)
{
	return s->srv && sf_server_add_tls_client(s->srv, socket, skip_auth != 0) == 0 ? 0 : -1;
}

static bool version_ok(const SpiceBaseInterface *sif, uint32_t major, uint32_t min_minor)
{
	return sif->major_version == major && sif->minor_version >= min_minor;
}

SF_EXPORT int spice_server_add_interface(SpiceServer *s, SpiceBaseInstance *sin)
{
	const SpiceBaseInterface *sif = sin->sif;

	if (strcmp(sif->type, SPICE_INTERFACE_KEYBOARD) == 0) {
		SpiceKbdInstance *k = (SpiceKbdInstance *)sin;
		if (!version_ok(sif, SPICE_INTERFACE_KEYBOARD_MAJOR, 1) || s->kbd)
			return -1;
		k->st = calloc(1, sizeof(*k->st));
		if (!k->st)
			return -1;
		k->st->reds = s;
		s->kbd = k;
	} else if (strcmp(sif->type, SPICE_INTERFACE_MOUSE) == 0) {
		SpiceMouseInstance *m = (SpiceMouseInstance *)sin;
		if (!version_ok(sif, SPICE_INTERFACE_MOUSE_MAJOR, 1) || s->mouse)
			return -1;
		m->st = calloc(1, sizeof(*m->st));
		if (!m->st)
			return -1;
		m->st->reds = s;
		s->mouse = m;
	} else if (strcmp(sif->type, SPICE_INTERFACE_TABLET) == 0) {
		SpiceTabletInstance *t = (SpiceTabletInstance *)sin;
		if (!version_ok(sif, SPICE_INTERFACE_TABLET_MAJOR, 1) || s->tablet)
			return -1;
		t->st = calloc(1, sizeof(*t->st));
		if (!t->st)
			return -1;
		t->st->reds = s;
		s->tablet = t;
		if (s->srv)
			shim_update_mouse_mode(s);
	} else if (strcmp(sif->type, SPICE_INTERFACE_QXL) == 0) {
		if (!s->srv)
			return -1;
		return shim_qxl_add(s, (QXLInstance *)sin);
	} else if (strcmp(sif->type, SPICE_INTERFACE_MIGRATION) == 0) {
		SpiceMigrateInstance *m = (SpiceMigrateInstance *)sin;
		if (!version_ok(sif, SPICE_INTERFACE_MIGRATION_MAJOR, 1) || s->migration)
			return -1;
		m->st = calloc(1, sizeof(*m->st));
		if (!m->st)
			return -1;
		m->st->reds = s;
		s->migration = m;
	} else if (strcmp(sif->type, SPICE_INTERFACE_CHAR_DEVICE) == 0) {
		return shim_chardev_add(s, (SpiceCharDeviceInstance *)sin);
	} else if (strcmp(sif->type, SPICE_INTERFACE_PLAYBACK) == 0) {
		if (s->srv) /* announce the channel to sessions that list channels later */
			sf_playback_set_compression(sf_server_playback(s->srv),
						    s->playback_compression);
		return shim_audio_add(s, sin, true);
	} else if (strcmp(sif->type, SPICE_INTERFACE_RECORD) == 0) {
		if (s->srv)
			sf_server_record(s->srv);
		return shim_audio_add(s, sin, false);
	} else {
		sf_log_warn("unknown interface type %s", sif->type);
		return -1;
	}
	return 0;
}

SF_EXPORT int spice_server_remove_interface(SpiceBaseInstance *sin)
{
	const char *type = sin->sif->type;

	if (strcmp(type, SPICE_INTERFACE_TABLET) == 0) {
		SpiceTabletInstance *t = (SpiceTabletInstance *)sin;
		SpiceServer *s = t->st ? t->st->reds : NULL;
		if (!s)
			return -1;
		s->tablet = NULL;
		if (s->srv)
			shim_update_mouse_mode(s);
		free(t->st);
		t->st = NULL;
		return 0;
	}
	if (strcmp(type, SPICE_INTERFACE_CHAR_DEVICE) == 0)
		return shim_chardev_remove(NULL, (SpiceCharDeviceInstance *)sin);
	if (strcmp(type, SPICE_INTERFACE_PLAYBACK) == 0 ||
	    strcmp(type, SPICE_INTERFACE_RECORD) == 0)
		return shim_audio_remove(NULL, sin);
	/* spice-server cannot remove keyboards, mice or QXL devices either */
	sf_log_warn("removing a %s interface is not supported", type);
	return -1;
}

SF_EXPORT int spice_server_set_image_compression(SpiceServer *s, SpiceImageCompression comp)
{
	if (comp <= SPICE_IMAGE_COMPRESSION_INVALID || comp >= SPICE_IMAGE_COMPRESSION_ENUM_END)
		return -1;
	s->image_compression = comp;
	shim_qxl_apply_compression(s);
	return 0;
}

SF_EXPORT SpiceImageCompression spice_server_get_image_compression(SpiceServer *s)
{
	return s->image_compression;
}

static bool wan_ok(spice_wan_compression_t c)
{
	return c == SPICE_WAN_COMPRESSION_AUTO || c == SPICE_WAN_COMPRESSION_ALWAYS ||
	       c == SPICE_WAN_COMPRESSION_NEVER;
}

SF_EXPORT int spice_server_set_jpeg_compression(SpiceServer *s, spice_wan_compression_t comp)
{
	if (!wan_ok(comp))
		return -1;
	s->jpeg = comp;
	shim_qxl_apply_compression(s);
	return 0;
}

SF_EXPORT int spice_server_set_zlib_glz_compression(SpiceServer *s, spice_wan_compression_t comp)
{
	if (!wan_ok(comp))
		return -1;
	s->zlib_glz = comp;
	return 0;
}

SF_EXPORT int spice_server_set_channel_security(SpiceServer *s, const char *channel, int security)
{
	static const char *const names[] = {"main",   "display",   "inputs",   "cursor", "playback",
					    "record", "smartcard", "usbredir", "port",	 "webdav"};
	/* SPICE channel types in the order of names[] */
	static const uint8_t types[] = {1, 2, 3, 4, 5, 6, 8, 9, 10, 11};
	bool tls_only = !(security & SPICE_CHANNEL_SECURITY_NONE);

	if (!channel) {
		s->default_security = security;
		s->secure_channels = tls_only ? ~0u : 0;
		return 0;
	}
	for (size_t i = 0; i < SF_ARRAY_SIZE(names); i++) {
		if (strcmp(channel, names[i]) != 0)
			continue;
		if (tls_only)
			s->secure_channels |= 1u << types[i];
		else
			s->secure_channels &= ~(1u << types[i]);
		return 0;
	}
	return -1;
}

SF_EXPORT int spice_server_add_renderer(SpiceServer *s, const char *name)
{
	(void)s;
	return name && strcmp(name, "sw") == 0 ? 0 : -1;
}

SF_EXPORT int spice_server_set_streaming_video(SpiceServer *s, int value)
{
	if (value != SPICE_STREAM_VIDEO_OFF && value != SPICE_STREAM_VIDEO_ALL &&
	    value != SPICE_STREAM_VIDEO_FILTER)
		return -1;
	s->streaming_video = value;
	return 0;
}

/* "encoder:codec;..." with the pairs spice-server knows. */
static bool codecs_ok(const char *v)
{
	static const char *const known[] = {"spice:mjpeg",   "gstreamer:mjpeg", "gstreamer:h264",
					    "gstreamer:vp8", "gstreamer:vp9",	"gstreamer:h265",
					    "gstreamer:av1"};
	char buf[256];
	size_t any = 0;

	if (!v || strlen(v) >= sizeof(buf))
		return false;
	memcpy(buf, v, strlen(v) + 1);
	for (char *save, *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		bool found = false;
		for (size_t i = 0; i < SF_ARRAY_SIZE(known); i++)
			found |= strcmp(tok, known[i]) == 0;
		if (!found)
			return false;
		any++;
	}
	return any > 0;
}

SF_EXPORT int spice_server_set_video_codecs(SpiceServer *s, const char *video_codecs)
{
	if (!codecs_ok(video_codecs))
		return -1;
	free(s->video_codecs);
	s->video_codecs = strdup(video_codecs);
	return s->video_codecs ? 0 : -1;
}

SF_EXPORT const char *spice_server_get_video_codecs(SpiceServer *s)
{
	return strdup(s->video_codecs ? s->video_codecs : "spice:mjpeg");
}

SF_EXPORT void spice_server_free_video_codecs(SpiceServer *s, const char *video_codecs)
{
	(void)s;
	free((char *)video_codecs);
}

SF_EXPORT int spice_server_set_playback_compression(SpiceServer *s, int enable)
{
	s->playback_compression = enable != 0;
	if (s->srv)
		sf_playback_set_compression(sf_server_playback(s->srv), s->playback_compression);
	return 0;
}

SF_EXPORT int spice_server_set_agent_mouse(SpiceServer *s, int enable)
{
	s->agent_mouse = enable != 0;
	shim_update_mouse_mode(s);
	return 0;
}

SF_EXPORT int spice_server_set_agent_copypaste(SpiceServer *s, int enable)
{
	s->agent_copypaste = enable != 0;
	shim_agent_configure(s);
	return 0;
}

SF_EXPORT int spice_server_set_agent_file_xfer(SpiceServer *s, int enable)
{
	s->agent_file_xfer = enable != 0;
	shim_agent_configure(s);
	return 0;
}

/* Deprecated in spice-server too, which answers -1. */
SF_EXPORT int spice_server_get_sock_info(SpiceServer *s, struct sockaddr *sa, socklen_t *salen)
{
	(void)s, (void)sa, (void)salen;
	return -1;
}

SF_EXPORT int spice_server_get_peer_info(SpiceServer *s, struct sockaddr *sa, socklen_t *salen)
{
	(void)s, (void)sa, (void)salen;
	return -1;
}

SF_EXPORT int spice_server_is_server_mouse(SpiceServer *s)
{
	return s->tablet == NULL;
}

SF_EXPORT void spice_server_set_name(SpiceServer *s, const char *name)
{
	free(s->name);
	s->name = name ? strdup(name) : NULL;
}

SF_EXPORT void spice_server_set_uuid(SpiceServer *s, const uint8_t uuid[16])
{
	memcpy(s->uuid, uuid, 16);
}

SF_EXPORT void spice_server_vm_start(SpiceServer *s)
{
	sf_log_debug("vm_start");
	s->vm_running = true;
	s->vm_start_seen = true;
	shim_qxl_set_running(s, true);
	shim_chardev_vm_running(s, true);
}

SF_EXPORT void spice_server_vm_stop(SpiceServer *s)
{
	uint64_t t0 = sf_clock_now_ns();

	s->vm_running = false;
	shim_qxl_set_running(s, false);
	shim_chardev_vm_running(s, false);
	/* QEMU counts this into its downtime: the display's batch in progress */
	sf_log_debug("vm_stop took %.1f ms", (double)(sf_clock_now_ns() - t0) / 1e6);
}

SF_EXPORT int spice_server_get_num_clients(SpiceServer *s)
{
	return s->srv ? (int)sf_server_sessions(s->srv) : 0;
}
