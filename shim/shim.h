/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/shim.h: state shared by the shim's files (private to shim/). The shim
 * is libspice-server.so.1: the official <spice.h> API, implemented on the
 * Saffron server. The embedder's thread that calls spice_server_init() is the
 * main thread; Saffron's main loop runs inside the embedder's through a
 * SpiceCoreInterface watch on its epoll fd. */
#ifndef SF_SHIM_SHIM_H
#define SF_SHIM_SHIM_H

#include <time.h>
#include <spice.h>
#include "channels/server.h"
#include "engine/log.h"
#include "shim/memslot.h"
#include "shim/qxl-parse.h"

#define SHIM_MAX_QXL   16
#define SHIM_MAX_AUDIO 4
#define SHIM_MAX_CHAR  32

struct shim_event;

struct RedsState {
	SpiceCoreInterface *core;
	struct sf_server *srv;
	SpiceWatch *watch;
	/* configuration, applied at spice_server_init() and live where possible */
	int port, family, listen_fd;
	char *addr;
	bool noauth, has_ticket, exit_on_disconnect, seamless;
	char *ticket;
	time_t ticket_expires;
	SpiceImageCompression image_compression;
	spice_wan_compression_t jpeg, zlib_glz;
	int streaming_video;
	char *video_codecs;
	bool playback_compression, agent_mouse, agent_copypaste, agent_file_xfer;
	int default_security;
	uint32_t secure_channels; /* bit per channel type: TLS only */
	int tls_port;
	char *tls_cert, *tls_key, *tls_ca, *tls_ciphers;
	char *name;
	uint8_t uuid[16];
	/* interfaces */
	SpiceKbdInstance *kbd;
	SpiceMouseInstance *mouse;
	SpiceTabletInstance *tablet;
	SpiceMigrateInstance *migration;
	QXLInstance *qxl[SHIM_MAX_QXL];
	SpicePlaybackInstance *playback[SHIM_MAX_AUDIO];
	SpiceRecordInstance *record[SHIM_MAX_AUDIO];
	SpiceCharDeviceInstance *chardev[SHIM_MAX_CHAR];
	bool vm_running, vm_start_seen;
	/* input routing */
	bool pointer_absolute;
	uint32_t buttons;
	uint32_t pointer_x, pointer_y; /* last client-mode position */
	uint8_t pointer_display;
	struct shim_event *events;
};

/* The ->st of keyboard, mouse, tablet and migration instances. */
struct SpiceKbdState {
	SpiceServer *reds;
};
struct SpiceMouseState {
	SpiceServer *reds;
};
struct SpiceTabletState {
	SpiceServer *reds;
};
struct SpiceMigrateState {
	SpiceServer *reds;
};

/* QXLInstance->st. Fields below "producer" are touched only on the display's
 * producer thread (inside sf_display_call*). */
struct QXLState {
	SpiceServer *reds;
	QXLInstance *qin;
	struct sf_display *display;
	QXLDevInitInfo init;
	uint32_t max_monitors;
	/* producer */
	struct sf_memslots ms;
	struct sf_qxl_parser parser;
	struct sf_cmd pending[SF_QXL_MAX_SPLIT];
	int npending, next_pending;
	/* the drawable whose one command reads its bitmap in guest memory:
	 * released once that command has run */
	QXLReleaseInfoExt draw_held;
	QXLReleaseInfoExt *surface_release; /* per surface: its create command */
	QXLReleaseInfoExt cursor_release;   /* the current cursor's SET command */
	uint16_t monitors_count;
	struct sf_ratelimit rl;
};

/* shim/qxl.c */
int shim_qxl_add(SpiceServer *s, QXLInstance *qin);
void shim_qxl_set_running(SpiceServer *s, bool running);
void shim_qxl_apply_compression(SpiceServer *s);
bool shim_qxl_client_monitors_config(SpiceServer *s, VDAgentMonitorsConfig *mc);

/* shim/input.c */
const struct sf_input_ops *shim_input_ops(void);
void shim_input_tablet_size(SpiceServer *s, uint32_t width, uint32_t height);
/* Offer client mouse mode when a tablet or an agent (agent_mouse) drives it. */
void shim_update_mouse_mode(SpiceServer *s);

/* shim/chardev.c, shim/audio.c */
int shim_chardev_add(SpiceServer *s, SpiceCharDeviceInstance *sin);
int shim_chardev_remove(SpiceServer *s, SpiceCharDeviceInstance *sin);
void shim_chardev_attach_all(SpiceServer *s);
void shim_agent_configure(SpiceServer *s);
void shim_chardev_vm_running(SpiceServer *s, bool running);
/* An incoming migration: devices are read but not written until vm_start. */
void shim_chardev_incoming(SpiceServer *s);
/* shim/migrate.c: the server's migration hooks, and a client migrating
 * here (an incoming migration: char devices wait for vm_start). */
void shim_migrate_connect_done(void *data);
void shim_migrate_end_done(void *data);
void shim_migrate_target_client(SpiceServer *s);
int shim_audio_add(SpiceServer *s, SpiceBaseInstance *sin, bool playback);
int shim_audio_remove(SpiceServer *s, SpiceBaseInstance *sin);

#endif
