/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/display.h: one display device and its producer thread. The
 * producer pulls commands from the device's source (the QXL ring or the demo
 * guest), renders them into the single shared copy of each surface, marshals
 * each message once and pushes the same body into every client's pipe. A
 * client whose pipe passes the backlog limit is dropped from fan-out and
 * later resynced with one snapshot of the current surfaces: a slow client gets
 * fewer, merged updates and never stalls the guest or the other clients. */
#ifndef SF_CHANNELS_DISPLAY_H
#define SF_CHANNELS_DISPLAY_H

#include "channels/display-t.h"
#include "channels/chan.h"

#define SF_DISPLAY_MAX_SURFACES 1024
#define SF_DISPLAY_ACK_WINDOW	64
#define SF_STREAM_TIERS		4 /* video quality/frame-rate steps, see display.c */

struct sf_display;

/* The guest side, called on the producer thread (QXLInterface's shape). */
struct sf_display_source_ops {
	/* Fill @cmd with the next command; false if there is none. */
	bool (*get_command)(void *opaque, struct sf_cmd *cmd);
	/* Ask for sf_display_wakeup() on the next command. Returns false if
	 * commands arrived meanwhile (the producer polls again). */
	bool (*req_notification)(void *opaque);
	/* The producer is done with @cmd (resources go back to the guest).
	 * Optional; the producer has already dropped cmd->image. */
	void (*release)(void *opaque, const struct sf_cmd *cmd);
	/* A second ring for cursor commands (QXL has one). Optional. */
	bool (*get_cursor_command)(void *opaque, struct sf_cmd *cmd);
	bool (*req_cursor_notification)(void *opaque);
	/* Display clients came or went: whether any is connected and the
	 * SPICE_DISPLAY_CAP_* bits all of them have (QXL's
	 * set_client_capabilities). Not called while paused. Optional. */
	void (*client_caps)(void *opaque, bool present, uint32_t caps);
};

struct sf_display_stats {
	uint64_t commands, rejected, messages, resyncs;
	uint64_t obsoleted;			      /* bodies superseded by a later opaque draw */
	uint64_t streams, stream_frames;	      /* MJPEG streams started, frames sent */
	uint64_t stream_tier_frames[SF_STREAM_TIERS]; /* frames encoded, per tier */
	uint64_t stream_tier_moves;		      /* clients moved down or up a tier */
	uint64_t images[SF_CODECS];	  /* images (copies, blends) encoded once each, by codec */
	uint64_t blend_images[SF_CODECS]; /* the blends among them (JPEG: JPEG_ALPHA if RGBA) */
	uint32_t clients, cursor_clients;
	uint32_t held_draws; /* recent draws whose bodies are kept for occlusion */
};

/* Returns NULL with errno set. Thread: main. Nothing runs before start. */
struct sf_display *sf_display_create(uint8_t id, const struct sf_display_source_ops *ops,
				     void *opaque);
/* Start the producer thread. Returns 0 or -errno. Thread: main. */
int sf_display_start(struct sf_display *d);
/* Disconnect clients and stop the thread; the display stays valid for tasks
 * other loops still queue to it. Idempotent. Thread: main. */
void sf_display_stop(struct sf_display *d);
/* Stop if needed, run queued tasks, free. NULL no-op. Thread: main. */
void sf_display_destroy(struct sf_display *d);

uint8_t sf_display_id(const struct sf_display *d);

/* Guest notify: new commands. Thread: any. Wait-free. */
void sf_display_wakeup(struct sf_display *d);

/* Process every command available now, then return. Blocks the caller; never
 * call on the producer thread. Returns 0 or -errno. */
int sf_display_flush(struct sf_display *d);

/* Run @fn(@arg) on the producer thread and wait for it. Never call on the
 * producer. Returns 0 or -EDEADLK (display not running or wrong thread). */
int sf_display_call(struct sf_display *d, void (*fn)(struct sf_display *d, void *arg), void *arg);

/* Queue @fn(@arg) on the producer thread and return at once; @fn runs after
 * every command already pulled. Thread: any. Returns 0 or -ENOMEM. */
int sf_display_call_async(struct sf_display *d, void (*fn)(struct sf_display *d, void *arg),
			  void *arg);

/* Process every command the source has now. Thread: producer (inside a call). */
void sf_display_drain(struct sf_display *d);

/* Handle one command now, as if pulled from the source; takes the command's
 * image reference. Returns true if it was valid. Thread: producer. */
bool sf_display_exec(struct sf_display *d, struct sf_cmd *cmd);

/* The guest's monitor layout; sent once marshalled to every display client
 * that has SPICE_DISPLAY_CAP_MONITORS_CONFIG, and to later ones. Until the
 * guest sets one, the primary surface is the one monitor. Thread: producer. */
void sf_display_set_monitors(struct sf_display *d, const struct sf_head *heads, uint16_t count,
			     uint16_t max_allowed);

/* True if surface @sid exists. Thread: producer. */
bool sf_display_has_surface(const struct sf_display *d, uint32_t sid);

/* Stop or resume pulling commands (the VM stopped or started). While stopped
 * the producer never touches guest memory. Thread: any. */
void sf_display_set_running(struct sf_display *d, bool running);

/* Copy surface @surface_id after a flush. Returns a new image (caller owns
 * the reference) or NULL with errno set (ENOENT: no such surface). Thread: not
 * the producer. */
struct sf_image *sf_display_read_pixels(struct sf_display *d, uint32_t surface_id);

/* Serve a linked display or cursor client. Takes ownership of @fd; the
 * connection runs on @sender (a send-stage loop). Thread: main.
 * Returns the connection (the caller owns one reference, to close it with its
 * session) or NULL (fd closed). */
struct sf_chan *sf_display_attach(struct sf_display *d, struct sf_loop *sender, int fd,
				  const struct sf_link_info *info);

/* Set the per-client backlog (bytes queued, not yet written) past which a
 * client is dropped from fan-out and resynced later. Thread: main, before start. */
void sf_display_set_backlog_limit(struct sf_display *d, size_t bytes);

/* The image compression setting (SPICE_IMAGE_COMPRESSION_*, as
 * spice_server_set_image_compression): OFF sends raw bitmaps, LZ sends LZ,
 * the others LZ4 to clients that decode it and LZ to the rest. Thread: any;
 * applies from the next image. Default AUTO_GLZ. */
void sf_display_set_image_compression(struct sf_display *d, int mode);

/* spice_server_set_jpeg_compression: ALWAYS sends photographic draws (those
 * the image setting sends as QUIC) as JPEG to every client, AUTO only to
 * clients of a low-bandwidth session, NEVER to none. Snapshots stay
 * lossless. Thread: any. Default AUTO. */
enum sf_wan { SF_WAN_AUTO = 1, SF_WAN_ALWAYS, SF_WAN_NEVER }; /* spice_wan_compression_t's */
void sf_display_set_jpeg(struct sf_display *d, enum sf_wan mode);
/* The network test of session @session_id ended: whether it is low
 * bandwidth. Applies to its display clients from the next draw; clients
 * linking later get it in their link info. Thread: any. */
void sf_display_set_low_bandwidth(struct sf_display *d, uint32_t session_id, bool low);

/* Detect video (a rectangle redrawn by COPY at a steady rate) and send it
 * as an MJPEG stream. Thread: any. Default on (spice-server's "filter"). */
void sf_display_set_streaming(struct sf_display *d, bool on);

/* Counters, read through the producer. Thread: not the producer. */
int sf_display_get_stats(struct sf_display *d, struct sf_display_stats *out);

#endif
