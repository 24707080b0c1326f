/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/server.h: a Saffron server instance: the listening socket and link
 * handshake on the main loop, sessions, display devices (one producer thread
 * each) and the pool of sender threads that run display/cursor send stages.
 * Embedders (the demo, the spice.h shim) drive it through this header. */
#ifndef SF_CHANNELS_SERVER_H
#define SF_CHANNELS_SERVER_H

#include <stdint.h>
#include <time.h>
#include "engine/loop.h"
#include "channels/display.h"
#include "channels/inputs.h"
#include "channels/playback.h"
#include "channels/record.h"
#include "channels/agent.h"
#include "channels/vmc.h"
#include "channels/main.h"

#define SF_SERVER_MAX_DISPLAYS	16
#define SF_SERVER_MAX_VMCS	32
#define SF_SERVER_MM_TIME_DELTA 400 /* ms: the client's mm-time lag by default */

struct sf_server_config {
	const char *addr;	  /* NULL or "": every address */
	int family;		  /* AF_UNSPEC (0), AF_INET or AF_INET6 */
	int port;		  /* 0: pick a free port (see sf_server_port) */
	unsigned senders;	  /* send-stage threads; 0: number of CPUs */
	unsigned max_sessions;	  /* 0: 1024; multiple clients are on by default */
	unsigned link_timeout_ms; /* 0: 10000 */
	bool client_mouse;	  /* a tablet exists: offer client mouse mode */
	int tls_port;		  /* with tls_cert: 0 picks a free port */
	const char *tls_cert, *tls_key, *tls_ca, *tls_ciphers;
	uint32_t secure_channels; /* bit (1 << channel type): TLS required */
	int batch_ms;		  /* send-stage batching window; 0: 16 ms, <0: off */
};

struct sf_server;

/* Returns NULL with errno set. Thread: main (the thread that will run the
 * server's loop). Ticketing starts disabled-with-no-password: every client is
 * refused until sf_server_set_ticket() or sf_server_set_noauth(). */
struct sf_server *sf_server_create(const struct sf_server_config *cfg);
/* Disconnect everyone, stop all threads, free. NULL no-op. Thread: main. */
void sf_server_destroy(struct sf_server *srv);

/* Password auth; @expires wall-clock (0 never). Returns 0 or -EINVAL. */
int sf_server_set_ticket(struct sf_server *srv, const char *password, time_t expires);
void sf_server_set_noauth(struct sf_server *srv);

/* Add a display device; its producer starts with sf_server_start().
 * Returns the display (owned by the server) or NULL. Thread: main. */
struct sf_display *sf_server_add_display(struct sf_server *srv,
					 const struct sf_display_source_ops *ops, void *opaque);

/* The playback stream (one, as QEMU registers); created on first call and
 * owned by the server. Thread: main. */
struct sf_playback *sf_server_playback(struct sf_server *srv);

/* Video streams need @ms of client-side delay to play smoothly: raise the
 * main channel's mm-time lag, or, while audio drives mm-time, ask playback
 * clients to delay audio as much (PLAYBACK_LATENCY). Thread: main. */
void sf_server_set_video_latency(struct sf_server *srv, uint32_t ms);
/* The lag the main channel applies now; 0 while playback drives mm-time. */
uint32_t sf_server_mm_latency(const struct sf_server *srv);

/* The record stream, likewise. Thread: main. */
struct sf_record *sf_server_record(struct sf_server *srv);

/* The guest agent slot behind every main channel (owned by the server).
 * Thread: main. */
struct sf_agent *sf_server_agent(struct sf_server *srv);

/* A char device channel: @type SPICE_CHANNEL_USBREDIR, _PORT or _WEBDAV,
 * numbered with the lowest id free for its type. Owned by the server until
 * sf_server_remove_vmc(). Returns NULL with errno set. Thread: main. */
struct sf_vmc *sf_server_add_vmc(struct sf_server *srv, uint8_t type, const char *portname,
				 const struct sf_chardev_ops *ops, void *opaque);
void sf_server_remove_vmc(struct sf_server *srv, struct sf_vmc *v);

/* Input callbacks (borrowed). Thread: main, before start. */
void sf_server_set_input_ops(struct sf_server *srv, const struct sf_input_ops *ops, void *data);

/* Start producers and senders. Returns 0 or -errno. Thread: main. */
int sf_server_start(struct sf_server *srv);
/* Bind and listen. Returns 0 or -errno. Thread: main. */
int sf_server_listen(struct sf_server *srv);
int sf_server_port(const struct sf_server *srv);
int sf_server_tls_port(const struct sf_server *srv);

/* The main loop: run it (sf_loop_run) or integrate it. */
struct sf_loop *sf_server_loop(struct sf_server *srv);

/* Live sessions. Thread: main. */
unsigned sf_server_sessions(const struct sf_server *srv);

/* Embedder hooks, all on the main thread. channel_event gets
 * SF_SERVER_EVENT_* with the connection (and its socket for CONNECTED);
 * @c identifies the same channel from CONNECTED to DISCONNECTED. */
enum { SF_SERVER_EVENT_CONNECTED = 1, SF_SERVER_EVENT_INITIALIZED, SF_SERVER_EVENT_DISCONNECTED };
struct sf_server_hooks {
	void (*channel_event)(void *data, int event, struct sf_chan *c, int fd);
	/* Migration (spice.h's SpiceMigrateInterface): clients answered
	 * MIGRATE_BEGIN; the switch is over. Optional. */
	void (*migrate_connect_done)(void *data);
	void (*migrate_end_done)(void *data);
};
void sf_server_set_hooks(struct sf_server *srv, const struct sf_server_hooks *h, void *data);

/* A tablet came or went: offer client mouse mode or not. Thread: main. */
void sf_server_set_client_mouse(struct sf_server *srv, bool on);

/* Keyboard LEDs changed: tell every inputs client. Thread: main. */
void sf_server_set_modifiers(struct sf_server *srv, uint16_t mods);

/* Disconnect every session (e.g. a new password with disconnect-if-connected).
 * Thread: main. */
void sf_server_disconnect_all(struct sf_server *srv);

/* ---- migration (see migrate/coord.h); main thread ---- */

/* Offer seamless migration to a single client (spice-server's setting). */
void sf_server_set_seamless_migration(struct sf_server *srv, bool on);
/* Remember the target for a later switch-host (spice_server_migrate_info). */
void sf_server_migrate_info(struct sf_server *srv, const struct sf_migrate_dst *dst);
/* Clients link to @dst now; hooks->migrate_connect_done follows. */
void sf_server_migrate_connect(struct sf_server *srv, const struct sf_migrate_dst *dst);
/* The VM moved (@completed) or not; hooks->migrate_end_done follows. */
void sf_server_migrate_end(struct sf_server *srv, bool completed);
/* Legacy switch-host to the migrate_info target. */
void sf_server_migrate_switch(struct sf_server *srv);

/* Serve an already connected socket (takes @fd). Thread: main. */
int sf_server_add_client(struct sf_server *srv, int fd, bool skip_auth);

/* The same on TLS (needs a TLS configuration). Thread: main. */
int sf_server_add_tls_client(struct sf_server *srv, int fd, bool skip_auth);

/* Use an already listening socket instead of binding. Thread: main. */
int sf_server_listen_fd(struct sf_server *srv, int fd);

#endif
