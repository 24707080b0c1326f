/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/display-priv.h: the display producer's own state, shared by its
 * two files (display.c: surfaces, clients, fan-out, codecs; stream.c: video
 * detection and MJPEG streams). Not for other modules: they use display.h.
 * Everything here is touched on the producer thread unless marked. */
#ifndef SF_CHANNELS_DISPLAY_PRIV_H
#define SF_CHANNELS_DISPLAY_PRIV_H

#include <pthread.h>
#include "channels/display.h"
#include "engine/log.h"
#include "engine/loop.h"

#define OCCLUSION_WINDOW 128 /* recent draws a later opaque draw may supersede */

enum kind { K_DISPLAY, K_CURSOR };

/* What one round of the producer pushes to a client is staged here and
 * published with one allocation and one wake (display.c, stage()). */
#define CLIENT_STAGE 32
enum cstate { CS_NORMAL, CS_DROPPING, CS_RESYNC };

struct client {
	struct sf_display *d;
	struct sf_chan *chan;
	enum kind kind;
	atomic_uint ref;
	atomic_int state; /* producer: NORMAL->DROPPING, RESYNC->NORMAL; sender: DROPPING->RESYNC */
	atomic_bool closed;	/* set by the connection's on_close */
	bool listed;		/* producer only */
	bool lz4;		/* the client decodes SPICE_IMAGE_TYPE_LZ4 */
	bool migrated;		/* came with a seamless migration: already initialized */
	bool glz;		/* producer: in the GLZ cohort (see glz_join) */
	bool glz_resume;	/* migrated here with its GLZ window's state */
	atomic_uint glz_window; /* pixels the client's GLZ window may hold; 0 unknown */
	/* its GLZ window holds every image before this id (the producer writes
	 * it as it pushes one; a migration reads it): where a target goes on */
	_Atomic uint64_t glz_next;
	atomic_int preferred;	 /* SPICE_IMAGE_COMPRESSION_* the client asked for, or -1 */
	uint32_t session;	 /* its connection id */
	atomic_bool low_bw;	 /* its session is low bandwidth (WAN: JPEG in AUTO) */
	uint32_t stream_id;	 /* producer: the stream the client knows of, 0 none */
	uint8_t tier;		 /* producer: its video tier (see stream_adapt) */
	uint8_t behind;		 /* producer: frames in a row it was behind */
	uint16_t kept_up;	 /* producer: frames in a row it kept up */
	size_t last_frame;	 /* producer: bytes of the last frame pushed to it */
	atomic_uint stream_seen; /* stream_id for the sender thread (migration) */
	size_t room; /* producer: bytes it may be sent before its backlog is read again */
	struct sf_buf *stage[CLIENT_STAGE]; /* producer: staged this round, in order */
	unsigned nstaged;		    /* producer; > 0: on d->staged */
	struct client *staged_next;	    /* producer */
	struct client *prev, *next;
	struct sf_task attach_task, detach_task, resync_task;
};

/* A recent draw whose bodies may still sit unsent in some pipes. */
struct drawn {
	uint32_t sid;
	struct sf_rect r;
	struct sf_buf *b[SF_CODECS]; /* one per encoding made, NULL for the others */
};

/* A rectangle redrawn by COPY often enough becomes a video stream. */
#define STREAM_CANDIDATES 8

struct stream_candidate {
	struct sf_rect r;
	unsigned frames;
	uint64_t last_ns;
};

struct sf_display {
	/* set before start, read-only after */
	uint8_t id;
	const struct sf_display_source_ops *ops;
	void *opaque;
	size_t backlog_limit;
	struct sf_loop *loop;
	pthread_t thread;
	bool running;
	struct sf_task process_task;
	atomic_bool paused; /* the VM is stopped: pull nothing */
	bool pacing;	    /* producer: rings polled by pace_timer, not armed */
	struct sf_timer *pace_timer;
	uint64_t last_ran_ns; /* producer: when a wake last ran commands */

	/* producer only */
	struct sf_surface *surfaces[SF_DISPLAY_MAX_SURFACES];
	struct client *clients;
	struct client *staged; /* clients with messages to publish this round */
	struct sf_image *cursor;
	uint16_t hot_x, hot_y;
	int16_t cur_x, cur_y;
	bool cursor_visible;
	uint64_t gen;			/* bumped by every change to surface 0 */
	struct sf_buf *snap[SF_CODECS]; /* full copy of surface 0 at snap_gen, per codec */
	uint64_t snap_gen[SF_CODECS];
	atomic_int compression; /* SPICE_IMAGE_COMPRESSION_*; any thread sets it */
	atomic_int jpeg;	/* enum sf_wan; any thread sets it */
	struct sf_display_stats stats;
	struct sf_ratelimit rl;
	struct drawn drawn[OCCLUSION_WINDOW];
	unsigned ndrawn;
	struct sf_buf *monitors; /* MONITORS_CONFIG body, NULL before any */
	struct sf_glz *glz;	 /* the dictionary, NULL until a client may use it */
	unsigned glz_members;
	uint32_t glz_win;	 /* the members' smallest window; 0: work it out */
	atomic_bool glz_win_new; /* a client told its window (sender threads set it) */
	/* video: one MJPEG stream at a time, on surface 0 */
	atomic_bool streaming; /* setting */
	struct stream_candidate cand[STREAM_CANDIDATES];
	struct sf_rect stream_rect;
	uint32_t stream_id, next_stream_id; /* stream_id 0: none */
	uint64_t stream_last_ns;
	/* the two newest frames per tier, [0] newest. A frame is obsoleted
	 * only when two more have come: a client whose send stage holds a
	 * stretched tick's two frames (64 ms at 30 fps) still gets both, one
	 * that fell further behind skips to the newest two */
	struct sf_buf *stream_frame[SF_STREAM_TIERS][2];
	uint64_t stream_seq; /* frames of this stream so far */
	struct sf_timer *stream_timer;
	bool guest_monitors; /* set by the guest, not derived from surface 0 */
	bool caps_known, caps_present;
	uint32_t caps;
};

/* fanout.c: delivery to the clients (producer thread unless noted) */
/* Any thread holding a reference; the last unref frees the client. */
struct client *sf_dpy_client_ref(struct client *c);
void sf_dpy_client_unref(struct client *c);
/* Queue @t on the producer's loop with a reference to @c for it. */
void sf_dpy_wake_client(struct client *c, struct sf_task *t);
/* Occlusion: @r (opaque) on @sid supersedes earlier draws it contains;
 * @v are a draw's bodies, one slot per codec (NULL where not made). */
void sf_dpy_occlusion_cover(struct sf_display *d, uint32_t sid, const struct sf_rect *r);
void sf_dpy_occlusion_add(struct sf_display *d, uint32_t sid, const struct sf_rect *r,
			  struct sf_buf *const *v);
void sf_dpy_occlusion_forget(struct sf_display *d);
/* Publish every client's staged messages (the loop's after hook, and
 * before anything waiting on the producer is released). @data: the display. */
void sf_dpy_publish_all(void *data);
/* The GLZ cohort: join at attach (only while the dictionary is empty),
 * leave for good on any missed image; the smallest window of the members. */
void sf_dpy_glz_join(struct sf_display *d, struct client *c);
void sf_dpy_glz_leave(struct sf_display *d, struct client *c);
uint32_t sf_dpy_glz_window(struct sf_display *d);
/* Queue @b to @c (published at the end of the producer's round, in order
 * with everything else queued to @c); false if its connection is closing.
 * Does not consume @b. */
bool sf_dpy_push(struct client *c, struct sf_buf *b);
/* Is @c a client of @kind to push to now? One past its backlog limit is
 * marked DROPPING here and left for a resync. */
bool sf_dpy_client_ready(struct sf_display *d, struct client *c, enum kind kind);
/* Queue @b to every ready client of @kind. Consumes @b (may be NULL). */
void sf_dpy_fanout(struct sf_display *d, enum kind kind, struct sf_buf *b);
/* Push and drop the caller's reference; @b may be NULL. */
void sf_dpy_send_one(struct client *c, struct sf_buf *b);
/* A copy of @img at (@x, @y) into @r to every ready display client, in the
 * codec each gets (the server's setting, its preference and caps), each
 * encoding made once; it supersedes earlier draws it covers. @lossless: a
 * repair (after a stream), never JPEG. */
void sf_dpy_fanout_copy(struct sf_display *d, uint32_t sid, const struct sf_rect *r,
			const struct sf_image *img, int32_t x, int32_t y, bool lossless);
/* A blend or raster-op copy, the same way; it supersedes nothing. */
void sf_dpy_fanout_reading(struct sf_display *d, const struct sf_cmd *cmd);
/* Surface @sid's whole picture to @c, lossless and outside the GLZ
 * dictionary; surface 0's is encoded once for every client resyncing at
 * the same generation. */
void sf_dpy_send_snapshot(struct sf_display *d, struct client *c, uint32_t sid);

/* stream.c (producer thread) */
void sf_stream_forget(struct client *c);
/* End the stream; @upgrade sends the exact pixels over the lossy frames. */
void sf_stream_stop(struct sf_display *d, bool upgrade);
/* True when the COPY is (now or already) a frame of the stream. */
bool sf_stream_detect(struct sf_display *d, const struct sf_cmd *cmd, uint64_t now);
/* Send the COPY as the stream's next frame. */
void sf_stream_frame(struct sf_display *d, const struct sf_cmd *cmd, uint64_t now);
/* Before any other draw: one that touches the stream ends it. */
void sf_stream_before_draw(struct sf_display *d, const struct sf_cmd *cmd);

#endif
