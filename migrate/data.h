/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migrate/data.h: the MIGRATE_DATA format of seamless migration. The source
 * serializes each channel's client state; the bytes travel through the client
 * and the target parses them, so every field is checked here before a channel
 * applies it. Versioned: a target refuses versions newer than its own. Pure
 * functions, any thread. */
#ifndef SF_MIGRATE_DATA_H
#define SF_MIGRATE_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include "channels/wire.h"

#define SF_MIGDATA_MAGIC   0x474d4653u /* "SFMG" */
#define SF_MIGDATA_VERSION 1
#define SF_MIGDATA_VMC_MAX (4u * 1024 * 1024)

/* Start a SPICE_MSG_MIGRATE_DATA message for a channel of @type; the payload
 * follows, then sf_migdata_finish() fills in its length. */
void sf_migdata_begin(struct sf_wbuf *w, uint8_t type);
struct sf_buf *sf_migdata_finish(struct sf_wbuf *w);

/* Check the envelope of @p (magic, version, channel @type, exact length)
 * and leave @r on the payload. Returns 0 or -EBADMSG / -EPROTONOSUPPORT. */
int sf_migdata_open(struct sf_rbuf *r, const uint8_t *p, uint32_t size, uint8_t type);

/* Main channel: the session's own state; the agent's follows (see agent.h). */
struct sf_mig_main {
	uint16_t mouse_mode; /* SPICE_MOUSE_MODE_SERVER or _CLIENT */
	uint32_t mm_time;    /* the source's mm-time when it saved */
	bool agent;	     /* agent state follows */
};
void sf_mig_main_save(struct sf_wbuf *w, const struct sf_mig_main *m);
int sf_mig_main_load(struct sf_rbuf *r, struct sf_mig_main *m);

struct sf_mig_display {
	int8_t preferred;   /* SPICE_IMAGE_COMPRESSION_* the client asked for, -1 none */
	uint32_t stream_id; /* a video stream the client has open, 0 none */
	/* The client's GLZ window (its session's, kept across a seamless
	 * migration): it holds every image before glz_next, so the target may go
	 * on from there. Absent in records from before session 14. */
	bool glz;
	uint64_t glz_next;   /* < SF_MIG_GLZ_ID_MAX */
	uint32_t glz_window; /* pixels the client offered, 0 unknown */
};
#define SF_MIG_GLZ_ID_MAX (1ull << 62)
void sf_mig_display_save(struct sf_wbuf *w, const struct sf_mig_display *m);
int sf_mig_display_load(struct sf_rbuf *r, struct sf_mig_display *m);

struct sf_mig_inputs {
	uint32_t motion_count; /* motion messages handled: the ack phase */
};
void sf_mig_inputs_save(struct sf_wbuf *w, const struct sf_mig_inputs *m);
int sf_mig_inputs_load(struct sf_rbuf *r, struct sf_mig_inputs *m);

/* A char device channel: client bytes the source's device had not taken.
 * @data points into the message on load. */
struct sf_mig_vmc {
	const uint8_t *data;
	uint32_t len; /* <= SF_MIGDATA_VMC_MAX */
};
void sf_mig_vmc_save(struct sf_wbuf *w, const struct sf_mig_vmc *m);
int sf_mig_vmc_load(struct sf_rbuf *r, struct sf_mig_vmc *m);

/* Everything read: anything left over is an error. */
int sf_migdata_end(const struct sf_rbuf *r);

#endif
