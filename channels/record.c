/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/record.c: record clients, Opus decoding and the sample ring. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <opus.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "channels/record.h"
#include "channels/wire.h"
#include "engine/log.h"

SF_LOG_TOPIC("record");

#define RING_FRAMES (1u << 16) /* 1.4 s at 48 kHz; older samples are dropped */
#define MAX_CLIENTS 16
#define MAX_PACKET  8192

struct rclient {
	struct sf_record *rec;
	struct sf_chan *chan;
	uint16_t mode;
};

struct sf_record {
	struct rclient *clients[MAX_CLIENTS];
	unsigned nclients;
	bool started, muted;
	uint32_t rate;
	uint8_t nvol;
	uint16_t volume[8];
	uint32_t ring[RING_FRAMES];
	uint64_t head, tail; /* frames written / read */
	OpusDecoder *opus;
	uint64_t dropped;
};

struct sf_record *sf_record_create(void)
{
	struct sf_record *rec = calloc(1, sizeof(*rec));

	if (rec)
		rec->rate = 48000;
	return rec;
}

void sf_record_destroy(struct sf_record *rec)
{
	if (!rec)
		return;
	for (unsigned i = 0; i < rec->nclients; i++) {
		rec->clients[i]->rec = NULL;
		sf_chan_close(rec->clients[i]->chan);
	}
	if (rec->opus)
		opus_decoder_destroy(rec->opus);
	free(rec);
}

static void push_frames(struct sf_record *rec, const uint32_t *f, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		rec->ring[rec->head++ % RING_FRAMES] = f[i];
	if (rec->head - rec->tail > RING_FRAMES) { /* the guest is not reading: keep the newest */
		rec->dropped += rec->head - rec->tail - RING_FRAMES;
		rec->tail = rec->head - RING_FRAMES;
	}
}

static int data(struct sf_record *rec, uint16_t mode, const uint8_t *p, uint32_t size)
{
	uint32_t pcm[5760]; /* 120 ms at 48 kHz, Opus's largest frame */
	int n;

	if (!rec->started)
		return 0; /* late packets after STOP */
	if (mode == SPICE_AUDIO_DATA_MODE_RAW) {
		if (size % 4)
			return -EPROTO;
		for (uint32_t off = 0; off < size; off += sizeof(pcm)) {
			uint32_t chunk = SF_MIN(size - off, (uint32_t)sizeof(pcm));
			memcpy(pcm, p + off, chunk);
			push_frames(rec, pcm, chunk / 4);
		}
		return 0;
	}
	if (mode != SPICE_AUDIO_DATA_MODE_OPUS || size > MAX_PACKET)
		return -EPROTO;
	if (!rec->opus) {
		int err;
		rec->opus = opus_decoder_create(48000, 2, &err);
		if (!rec->opus)
			return -ENOMEM;
	}
	n = opus_decode(rec->opus, p, (opus_int32)size, (opus_int16 *)pcm, 5760, 0);
	if (n < 0)
		return -EPROTO; /* a corrupt packet from this client */
	push_frames(rec, pcm, (uint32_t)n);
	return 0;
}

int sf_record_parse(struct sf_record *rec, uint16_t *mode, uint16_t type, const uint8_t *p,
		    uint32_t size)
{
	struct sf_rbuf r;

	sf_rbuf_init(&r, p, size);
	(void)sf_rbuf_u32(&r); /* mm-time of the packet */
	switch (type) {
	case SPICE_MSGC_RECORD_MODE:
		*mode = sf_rbuf_u16(&r);
		if (r.err ||
		    (*mode != SPICE_AUDIO_DATA_MODE_RAW && *mode != SPICE_AUDIO_DATA_MODE_OPUS))
			return -EPROTO;
		if (*mode == SPICE_AUDIO_DATA_MODE_OPUS && rec->rate != 48000)
			return -EPROTO;
		return 0;
	case SPICE_MSGC_RECORD_START_MARK:
		return r.err ? -EPROTO : 0;
	case SPICE_MSGC_RECORD_DATA:
		if (r.err)
			return -EPROTO;
		return data(rec, *mode, p + 4, size - 4);
	case SPICE_MSGC_PONG:
		return 0;
	default:
		return -EPROTO;
	}
}

static void send(struct sf_chan *c, struct sf_buf *b)
{
	if (b)
		sf_chan_push(c, b);
	sf_buf_unref(b);
}

static struct sf_buf *msg_start(const struct sf_record *rec)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_RECORD_START, 10);
	sf_wbuf_u32(&w, 2);
	sf_wbuf_u16(&w, SPICE_AUDIO_FMT_S16);
	sf_wbuf_u32(&w, rec->rate);
	return sf_wbuf_finish(&w);
}

static struct sf_buf *msg_empty(uint16_t type)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, type, 1);
	return sf_wbuf_finish(&w);
}

static void broadcast(struct sf_record *rec, struct sf_buf *b)
{
	for (unsigned i = 0; b && i < rec->nclients; i++)
		sf_chan_push(rec->clients[i]->chan, b);
	sf_buf_unref(b);
}

static int handle(struct sf_chan *ch, uint16_t type, const uint8_t *p, uint32_t size)
{
	struct rclient *c = sf_chan_data(ch);

	return c->rec ? sf_record_parse(c->rec, &c->mode, type, p, size) : 0;
}

static void on_start(struct sf_chan *ch)
{
	struct rclient *c = sf_chan_data(ch);

	if (c->rec && c->rec->started)
		send(ch, msg_start(c->rec));
}

static void on_close(struct sf_chan *ch)
{
	struct rclient *c = sf_chan_data(ch);
	struct sf_record *rec = c->rec;

	for (unsigned i = 0; rec && i < rec->nclients; i++) {
		if (rec->clients[i] == c) {
			rec->clients[i] = rec->clients[--rec->nclients];
			break;
		}
	}
	sf_chan_unref(c->chan);
	free(c);
}

static const struct sf_chan_ops record_ops = {
	.name = "record",
	.max_msg_size = MAX_PACKET + 64 + 4 * 5760,
	.acks = false,
	.handle = handle,
	.on_start = on_start,
	.on_close = on_close,
};

struct sf_chan *sf_record_attach(struct sf_record *rec, struct sf_loop *loop, int fd,
				 const struct sf_link_info *info)
{
	struct rclient *c;

	if (rec->nclients == MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return NULL;
	}
	c->rec = rec;
	c->mode = SPICE_AUDIO_DATA_MODE_RAW;
	c->chan = sf_chan_create(loop, fd, info, &record_ops, c);
	if (!c->chan) {
		free(c);
		return NULL;
	}
	rec->clients[rec->nclients++] = c;
	sf_chan_start(c->chan);
	return sf_chan_ref(c->chan);
}

void sf_record_start(struct sf_record *rec)
{
	if (rec->started)
		return;
	rec->started = true;
	rec->head = rec->tail = 0;
	broadcast(rec, msg_start(rec));
}

void sf_record_stop(struct sf_record *rec)
{
	if (!rec->started)
		return;
	rec->started = false;
	broadcast(rec, msg_empty(SPICE_MSG_RECORD_STOP));
}

uint32_t sf_record_get_samples(struct sf_record *rec, uint32_t *samples, uint32_t max)
{
	uint32_t n = (uint32_t)SF_MIN((uint64_t)max, rec->head - rec->tail);

	for (uint32_t i = 0; i < n; i++)
		samples[i] = rec->muted ? 0 : rec->ring[rec->tail++ % RING_FRAMES];
	if (rec->muted)
		rec->tail += n;
	return n;
}

void sf_record_set_rate(struct sf_record *rec, uint32_t hz)
{
	if (hz && hz <= 192000)
		rec->rate = hz;
}

uint32_t sf_record_rate(const struct sf_record *rec)
{
	return rec->rate;
}

void sf_record_set_volume(struct sf_record *rec, uint8_t nchannels, const uint16_t *volume)
{
	struct sf_wbuf w;

	rec->nvol = SF_MIN(nchannels, (uint8_t)8);
	memcpy(rec->volume, volume, rec->nvol * sizeof(*volume));
	sf_wbuf_init(&w, SPICE_MSG_RECORD_VOLUME, 1 + 2 * rec->nvol);
	sf_wbuf_u8(&w, rec->nvol);
	for (uint8_t i = 0; i < rec->nvol; i++)
		sf_wbuf_u16(&w, rec->volume[i]);
	broadcast(rec, sf_wbuf_finish(&w));
}

void sf_record_set_mute(struct sf_record *rec, bool mute)
{
	struct sf_wbuf w;

	rec->muted = mute;
	sf_wbuf_init(&w, SPICE_MSG_RECORD_MUTE, 1);
	sf_wbuf_u8(&w, mute);
	broadcast(rec, sf_wbuf_finish(&w));
}
