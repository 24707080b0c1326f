/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/main.h: a client session and its main channel. The main channel
 * opens the session (INIT with the session id other channels link with),
 * lists the channels, negotiates the mouse mode and keeps mm-time; when it
 * closes, every channel of the session is closed with it. */
#ifndef SF_CHANNELS_MAIN_H
#define SF_CHANNELS_MAIN_H

#include <stdint.h>
#include "channels/chan.h"

struct sf_agent;

struct sf_session;

/* Where migrating clients go. */
struct sf_migrate_dst {
	char host[256];
	char cert_subject[512]; /* "" when none */
	int port, sport;	/* -1: none */
};

/* A session's part in a migration, source side. */
enum sf_session_mig {
	SF_MIG_NONE,
	SF_MIG_CONNECTING,	   /* MIGRATE_BEGIN sent, no answer yet */
	SF_MIG_CONNECTED,	   /* linked to the target: semi-seamless */
	SF_MIG_CONNECTED_SEAMLESS, /* linked, and the target took it seamless */
	SF_MIG_FAILED,		   /* could not link: switch-host at the end */
	SF_MIG_ENDED,
};

/* How a session's other channels link. */
enum sf_session_links {
	SF_LINKS_NORMAL,
	SF_LINKS_PENDING,  /* migration target before MIGRATE_END: hold them */
	SF_LINKS_MIGRATED, /* seamless target: they wait for MIGRATE_DATA */
};

/* What the server tells a session; borrowed, must outlive every session. */
struct sf_session_env {
	const uint8_t (*channels)[2]; /* (type, id) pairs announced in CHANNELS_LIST */
	uint32_t nchannels;
	uint32_t ndisplays;
	bool client_mouse;	/* a tablet is present: client mouse mode supported */
	struct sf_agent *agent; /* the guest agent slot; NULL: none */
	/* Who drives the client's mm-time: the main channel (its clock lags the
	 * server's by @mm_latency ms so video frames have time to arrive), or,
	 * while audio plays, the playback stream. */
	bool mm_by_main;
	uint32_t mm_latency;
	/* The session ended (main channel closed). Thread: main. */
	void (*ended)(struct sf_session *s, void *data);
	/* A channel of the session (@c, or the main channel) is gone. Optional. */
	void (*chan_gone)(struct sf_chan *c, void *data);
	/* Source: the client answered MIGRATE_BEGIN (see sf_session_migrate_state). */
	void (*migrate_connected)(struct sf_session *s, void *data);
	/* Target: may this client migrate seamlessly (one client only)? */
	bool (*seamless_allowed)(struct sf_session *s, void *data);
	/* Target: the held links may start (sf_session_links tells how). */
	void (*activate)(struct sf_session *s, void *data);
	/* The network test at connect measured the client's bit rate. Optional. */
	void (*net_measured)(struct sf_session *s, void *data);
	void *data;
};

/* Start a session on a linked main-channel socket (takes @fd).
 * Thread: main. Returns NULL on failure. */
struct sf_session *sf_session_create(struct sf_loop *loop, int fd, const struct sf_link_info *info,
				     const struct sf_session_env *env);

uint32_t sf_session_id(const struct sf_session *s);

/* Tie @c to the session: it is closed when the session ends. Takes a
 * reference. Thread: main. Returns 0 or -ENOSPC. */
int sf_session_add_chan(struct sf_session *s, struct sf_chan *c);

/* Call @fn for each channel tied to the session (not the main channel). */
void sf_session_foreach(struct sf_session *s, void (*fn)(struct sf_chan *c, void *data),
			void *data);

/* Tell the client the mouse mode changed or what is supported now. */
void sf_session_update_mouse(struct sf_session *s);

/* The main channel connection (borrowed). */
struct sf_chan *sf_session_main(const struct sf_session *s);

/* End the session (closes all its channels). Thread: main. */
void sf_session_close(struct sf_session *s);

/* MULTI_MEDIA_TIME with the server's mm-time less the env's latency, when
 * the main channel drives mm-time. Thread: main. */
void sf_session_send_mm_time(struct sf_session *s);

/* Last round trip measured with PING/PONG on the main channel, in ns; 0 until
 * the client answered one. Thread: main. */
uint64_t sf_session_rtt_ns(const struct sf_session *s);

/* The bit rate the network test at connect measured (bits/s; 0 until it
 * ends), and whether it is under spice-server's 10 Mbit/s "low bandwidth"
 * (JPEG for photos in the AUTO WAN setting). Thread: main. */
uint64_t sf_session_bitrate(const struct sf_session *s);
bool sf_session_low_bandwidth(const struct sf_session *s);

/* ---- migration, source side ---- */

/* Ask the client to link to @dst (MIGRATE_BEGIN, or MIGRATE_BEGIN_SEAMLESS
 * when @seamless and the client can). Returns false if the client cannot
 * migrate that way (it gets SWITCH_HOST at the end) or has not started yet
 * (the caller asks again later). Thread: main. */
bool sf_session_migrate_begin(struct sf_session *s, const struct sf_migrate_dst *dst,
			      bool seamless);
enum sf_session_mig sf_session_migrate_state(const struct sf_session *s);
/* A MIGRATE_BEGIN held until the client's channels have linked (none new
 * for a moment after CHANNELS_LIST: spice-gtk links channels it creates
 * after MIGRATE_BEGIN straight to the target) goes out once they have. */
void sf_session_migrate_poll(struct sf_session *s);
/* The VM moved (@completed) or stays. Completed: seamless clients get
 * SPICE_MSG_MIGRATE on every channel (flush marks and MIGRATE_DATA follow),
 * semi-seamless ones MIGRATE_END, the others SWITCH_HOST to @dst. Not
 * completed: linked clients get MIGRATE_CANCEL. Thread: main. */
void sf_session_migrate_end(struct sf_session *s, bool completed, const struct sf_migrate_dst *dst);
/* Whether the client answered that it can migrate seamlessly (its caps). */
bool sf_session_can_seamless(const struct sf_session *s);

/* ---- migration, target side ---- */

/* A session opened by a client migrating here (its main link carried the
 * source session's id) holds its other links until the client says the
 * migration ended (semi-seamless) or asks for seamless. */
enum sf_session_links sf_session_links(const struct sf_session *s);

/* Current mouse mode (SPICE_MOUSE_MODE_*). */
uint16_t sf_session_mouse_mode(const struct sf_session *s);

#endif
