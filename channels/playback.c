/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/playback.c: playback clients and frame fan-out (main thread). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "channels/playback.h"
#include "channels/wire.h"
#include "encoders/opus.h"
#include "engine/clock.h"
#include "engine/log.h"

SF_LOG_TOPIC("playback");

#define MAX_CLIENTS 64

struct pclient {
	struct sf_playback *pb;
	struct sf_chan *chan;
	bool opus;
	bool announced; /* got MODE and state: later changes go out as they come */
};

struct sf_playback {
	struct pclient *clients[MAX_CLIENTS];
	unsigned nclients;
	bool started, muted, compression;
	uint32_t rate;
	uint8_t nvol;
	uint16_t volume[8];
	uint32_t frame[SF_PLAYBACK_FRAME];
	struct sf_opus *opus;
	uint32_t latency_ms; /* 0: never set */
	void (*observer)(void *data, bool active);
	void *observer_data;
};

struct sf_playback *sf_playback_create(void)
{
	struct sf_playback *pb = calloc(1, sizeof(*pb));

	if (!pb)
		return NULL;
	pb->rate = SF_OPUS_RATE;
	pb->compression = true;
	return pb;
}

void sf_playback_destroy(struct sf_playback *pb)
{
	if (!pb)
		return;
	/* clients still here close later on the loop: orphan them first */
	for (unsigned i = 0; i < pb->nclients; i++) {
		pb->clients[i]->pb = NULL;
		sf_chan_close(pb->clients[i]->chan);
	}
	sf_opus_destroy(pb->opus);
	free(pb);
}

static void send(struct sf_chan *c, struct sf_buf *b)
{
	if (b)
		sf_chan_push(c, b);
	sf_buf_unref(b);
}

static struct sf_buf *msg_mode(uint16_t mode)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_PLAYBACK_MODE, 6);
	sf_wbuf_u32(&w, sf_clock_mm_time());
	sf_wbuf_u16(&w, mode);
	return sf_wbuf_finish(&w);
}

static struct sf_buf *msg_start(const struct sf_playback *pb)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_PLAYBACK_START, 14);
	sf_wbuf_u32(&w, 2);
	sf_wbuf_u16(&w, SPICE_AUDIO_FMT_S16);
	sf_wbuf_u32(&w, pb->rate);
	sf_wbuf_u32(&w, sf_clock_mm_time());
	return sf_wbuf_finish(&w);
}

static struct sf_buf *msg_volume(const struct sf_playback *pb)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_PLAYBACK_VOLUME, 1 + 2 * pb->nvol);
	sf_wbuf_u8(&w, pb->nvol);
	for (uint8_t i = 0; i < pb->nvol; i++)
		sf_wbuf_u16(&w, pb->volume[i]);
	return sf_wbuf_finish(&w);
}

static struct sf_buf *msg_mute(bool mute)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_PLAYBACK_MUTE, 1);
	sf_wbuf_u8(&w, mute);
	return sf_wbuf_finish(&w);
}

static void broadcast(struct sf_playback *pb, struct sf_buf *b)
{
	for (unsigned i = 0; b && i < pb->nclients; i++)
		if (pb->clients[i]->announced)
			sf_chan_push(pb->clients[i]->chan, b);
	sf_buf_unref(b);
}

static bool wants_opus(const struct sf_playback *pb, const struct pclient *c)
{
	return pb->compression && pb->rate == SF_OPUS_RATE &&
	       sf_chan_test_cap(c->chan, SPICE_PLAYBACK_CAP_OPUS);
}

static struct sf_buf *msg_latency(uint32_t ms)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_PLAYBACK_LATENCY, 4);
	sf_wbuf_u32(&w, ms);
	return sf_wbuf_finish(&w);
}

static void send_latency(struct pclient *c, struct sf_buf *b)
{
	if (b && c->announced && sf_chan_test_cap(c->chan, SPICE_PLAYBACK_CAP_LATENCY))
		sf_chan_push(c->chan, b);
}

/* (Re)announce mode and state to one client. */
static void announce(struct pclient *c)
{
	struct sf_playback *pb = c->pb;

	c->opus = wants_opus(pb, c);
	c->announced = true;
	sf_log_debug("%p: playback client in %s mode at %u Hz", (void *)c, c->opus ? "opus" : "raw",
		     pb->rate);
	send(c->chan, msg_mode(c->opus ? SPICE_AUDIO_DATA_MODE_OPUS : SPICE_AUDIO_DATA_MODE_RAW));
	if (pb->nvol)
		send(c->chan, msg_volume(pb));
	send(c->chan, msg_mute(pb->muted));
	if (pb->started)
		send(c->chan, msg_start(pb));
	if (pb->latency_ms) {
		struct sf_buf *b = msg_latency(pb->latency_ms);
		send_latency(c, b);
		sf_buf_unref(b);
	}
}

static int handle(struct sf_chan *ch, uint16_t type, const uint8_t *p, uint32_t size)
{
	(void)ch, (void)p, (void)size;
	return type == SPICE_MSGC_PONG ? 0 : -EPROTO;
}

static void on_start(struct sf_chan *ch)
{
	struct pclient *c = sf_chan_data(ch);

	if (c->pb)
		announce(c);
}

static void on_close(struct sf_chan *ch)
{
	struct pclient *c = sf_chan_data(ch);
	struct sf_playback *pb = c->pb;

	for (unsigned i = 0; pb && i < pb->nclients; i++) {
		if (pb->clients[i] == c) {
			pb->clients[i] = pb->clients[--pb->nclients];
			break;
		}
	}
	sf_chan_unref(c->chan);
	free(c);
}

static const struct sf_chan_ops playback_ops = {
	.name = "playback",
	.max_msg_size = 1024,
	.acks = false,
	.handle = handle,
	.on_start = on_start,
	.on_close = on_close,
};

struct sf_chan *sf_playback_attach(struct sf_playback *pb, struct sf_loop *loop, int fd,
				   const struct sf_link_info *info)
{
	struct pclient *c;

	if (pb->nclients == MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return NULL;
	}
	c->pb = pb;
	c->chan = sf_chan_create(loop, fd, info, &playback_ops, c);
	if (!c->chan) {
		free(c);
		return NULL;
	}
	pb->clients[pb->nclients++] = c; /* holds the creation reference */
	sf_chan_start(c->chan);
	return sf_chan_ref(c->chan);
}

void sf_playback_start(struct sf_playback *pb)
{
	if (pb->started)
		return;
	pb->started = true;
	broadcast(pb, msg_start(pb));
	if (pb->observer)
		pb->observer(pb->observer_data, true);
}

void sf_playback_stop(struct sf_playback *pb)
{
	struct sf_wbuf w;

	if (!pb->started)
		return;
	pb->started = false;
	sf_wbuf_init(&w, SPICE_MSG_PLAYBACK_STOP, 1);
	broadcast(pb, sf_wbuf_finish(&w));
	if (pb->observer)
		pb->observer(pb->observer_data, false);
}

void sf_playback_set_observer(struct sf_playback *pb, void (*fn)(void *data, bool active),
			      void *data)
{
	pb->observer = fn;
	pb->observer_data = data;
}

bool sf_playback_active(const struct sf_playback *pb)
{
	return pb->started;
}

void sf_playback_set_latency(struct sf_playback *pb, uint32_t ms)
{
	struct sf_buf *b;

	if (ms == pb->latency_ms)
		return;
	pb->latency_ms = ms;
	b = msg_latency(ms);
	for (unsigned i = 0; i < pb->nclients; i++)
		send_latency(pb->clients[i], b);
	sf_buf_unref(b);
}

void sf_playback_get_buffer(struct sf_playback *pb, uint32_t **samples, uint32_t *n)
{
	if (!pb->nclients || !pb->started) {
		*samples = NULL;
		*n = 0;
		return;
	}
	*samples = pb->frame;
	*n = SF_PLAYBACK_FRAME;
}

static struct sf_buf *msg_data(const void *data, size_t len)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_PLAYBACK_DATA, (uint32_t)(4 + len));
	sf_wbuf_u32(&w, sf_clock_mm_time());
	sf_wbuf_bytes(&w, data, len);
	return sf_wbuf_finish(&w);
}

void sf_playback_put_samples(struct sf_playback *pb, uint32_t *samples)
{
	struct sf_buf *v[2] = {NULL, NULL}; /* raw, opus: each encoded once */
	uint8_t pkt[4000];

	if (samples != pb->frame)
		return;
	for (unsigned i = 0; i < pb->nclients; i++) {
		struct pclient *c = pb->clients[i];
		if (!c->announced)
			continue; /* no MODE yet: it could not decode this */
		if (!v[c->opus]) {
			if (!c->opus) {
				v[0] = msg_data(pb->frame, sizeof(pb->frame));
			} else {
				int n;
				if (!pb->opus)
					pb->opus = sf_opus_create();
				n = pb->opus ? sf_opus_encode(pb->opus, (const int16_t *)pb->frame,
							      pkt, sizeof(pkt))
					     : -EIO;
				if (n > 0)
					v[1] = msg_data(pkt, (size_t)n);
			}
		}
		if (v[c->opus])
			sf_chan_push(c->chan, v[c->opus]);
	}
	sf_buf_unref(v[0]);
	sf_buf_unref(v[1]);
}

void sf_playback_set_volume(struct sf_playback *pb, uint8_t nchannels, const uint16_t *volume)
{
	pb->nvol = SF_MIN(nchannels, (uint8_t)8);
	memcpy(pb->volume, volume, pb->nvol * sizeof(*volume));
	broadcast(pb, msg_volume(pb));
}

void sf_playback_set_mute(struct sf_playback *pb, bool mute)
{
	pb->muted = mute;
	broadcast(pb, msg_mute(mute));
}

void sf_playback_set_rate(struct sf_playback *pb, uint32_t hz)
{
	if (hz == pb->rate || !hz || hz > 192000)
		return;
	pb->rate = hz;
	for (unsigned i = 0; i < pb->nclients; i++) /* the mode may change with the rate */
		announce(pb->clients[i]);
}

uint32_t sf_playback_best_rate(const struct sf_playback *pb)
{
	return pb->compression ? SF_OPUS_RATE : 44100;
}

void sf_playback_set_compression(struct sf_playback *pb, bool on)
{
	pb->compression = on;
}

unsigned sf_playback_clients(const struct sf_playback *pb)
{
	return pb->nclients;
}
