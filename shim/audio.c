/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/audio.c: the playback and record interfaces, on Saffron's playback
 * channel (Opus or raw, encoded once for all clients) and record channel
 * (Opus decoded once, into a ring the guest reads). All of it runs on the
 * embedder's main thread. */
#include <string.h>
#include "shim/shim.h"

struct SpicePlaybackState {
	SpiceServer *reds;
	bool started, muted;
	uint8_t nchannels;
	uint16_t volume[8];
	uint32_t rate;
};

struct SpiceRecordState {
	SpiceServer *reds;
	bool started, muted;
	uint8_t nchannels;
	uint16_t volume[8];
	uint32_t rate;
};

int shim_audio_add(SpiceServer *s, SpiceBaseInstance *sin, bool playback)
{
	for (unsigned i = 0; i < SHIM_MAX_AUDIO; i++) {
		if (playback && !s->playback[i]) {
			SpicePlaybackInstance *p = (SpicePlaybackInstance *)sin;
			if (!(p->st = calloc(1, sizeof(*p->st))))
				return -1;
			p->st->reds = s;
			p->st->rate = SPICE_INTERFACE_PLAYBACK_FREQ;
			s->playback[i] = p;
			return 0;
		}
		if (!playback && !s->record[i]) {
			SpiceRecordInstance *r = (SpiceRecordInstance *)sin;
			if (!(r->st = calloc(1, sizeof(*r->st))))
				return -1;
			r->st->reds = s;
			r->st->rate = SPICE_INTERFACE_RECORD_FREQ;
			s->record[i] = r;
			return 0;
		}
	}
	return -1;
}

int shim_audio_remove(SpiceServer *unused, SpiceBaseInstance *sin)
{
	bool playback = strcmp(sin->sif->type, SPICE_INTERFACE_PLAYBACK) == 0;
	SpiceServer *s = playback ? ((SpicePlaybackInstance *)sin)->st->reds
				  : ((SpiceRecordInstance *)sin)->st->reds;

	(void)unused;
	for (unsigned i = 0; i < SHIM_MAX_AUDIO; i++) {
		if (playback && s->playback[i] == (SpicePlaybackInstance *)sin) {
			free(s->playback[i]->st);
			s->playback[i]->st = NULL;
			s->playback[i] = NULL;
			return 0;
		}
		if (!playback && s->record[i] == (SpiceRecordInstance *)sin) {
			free(s->record[i]->st);
			s->record[i]->st = NULL;
			s->record[i] = NULL;
			return 0;
		}
	}
	return -1;
}

/* The server's playback stream; the instance may be added before
 * spice_server_init(), so it is looked up when used. */
static struct sf_playback *pb_of(SpicePlaybackInstance *sin)
{
	SpiceServer *s = sin && sin->st ? sin->st->reds : NULL;

	return s && s->srv ? sf_server_playback(s->srv) : NULL;
}

SF_EXPORT void spice_server_playback_start(SpicePlaybackInstance *sin)
{
	struct sf_playback *pb = pb_of(sin);

	sin->st->started = true;
	if (pb) {
		sf_playback_set_rate(pb, sin->st->rate);
		sf_playback_start(pb);
	}
}

SF_EXPORT void spice_server_playback_stop(SpicePlaybackInstance *sin)
{
	struct sf_playback *pb = pb_of(sin);

	sin->st->started = false;
	if (pb)
		sf_playback_stop(pb);
}

/* NULL when no client listens, as spice-server answers then. */
SF_EXPORT void spice_server_playback_get_buffer(SpicePlaybackInstance *sin, uint32_t **samples,
						uint32_t *num_samples)
{
	struct sf_playback *pb = pb_of(sin);

	*samples = NULL;
	*num_samples = 0;
	if (pb)
		sf_playback_get_buffer(pb, samples, num_samples);
}

SF_EXPORT void spice_server_playback_put_samples(SpicePlaybackInstance *sin, uint32_t *samples)
{
	struct sf_playback *pb = pb_of(sin);

	if (pb && samples)
		sf_playback_put_samples(pb, samples);
}

SF_EXPORT void spice_server_playback_set_volume(SpicePlaybackInstance *sin, uint8_t nchannels,
						uint16_t *volume)
{
	struct sf_playback *pb = pb_of(sin);

	sin->st->nchannels = SF_MIN(nchannels, (uint8_t)8);
	memcpy(sin->st->volume, volume, sin->st->nchannels * sizeof(*volume));
	if (pb)
		sf_playback_set_volume(pb, sin->st->nchannels, sin->st->volume);
}

SF_EXPORT void spice_server_playback_set_mute(SpicePlaybackInstance *sin, uint8_t mute)
{
	struct sf_playback *pb = pb_of(sin);

	sin->st->muted = mute != 0;
	if (pb)
		sf_playback_set_mute(pb, sin->st->muted);
}

static struct sf_record *rec_of(SpiceRecordInstance *sin)
{
	SpiceServer *s = sin && sin->st ? sin->st->reds : NULL;

	return s && s->srv ? sf_server_record(s->srv) : NULL;
}

SF_EXPORT void spice_server_record_start(SpiceRecordInstance *sin)
{
	struct sf_record *rec = rec_of(sin);

	sin->st->started = true;
	if (rec) {
		sf_record_set_rate(rec, sin->st->rate);
		sf_record_start(rec);
	}
}

SF_EXPORT void spice_server_record_stop(SpiceRecordInstance *sin)
{
	struct sf_record *rec = rec_of(sin);

	sin->st->started = false;
	if (rec)
		sf_record_stop(rec);
}

SF_EXPORT uint32_t spice_server_record_get_samples(SpiceRecordInstance *sin, uint32_t *samples,
						   uint32_t bufsize)
{
	struct sf_record *rec = rec_of(sin);

	return rec && samples ? sf_record_get_samples(rec, samples, bufsize) : 0;
}

SF_EXPORT void spice_server_record_set_volume(SpiceRecordInstance *sin, uint8_t nchannels,
					      uint16_t *volume)
{
	struct sf_record *rec = rec_of(sin);

	sin->st->nchannels = SF_MIN(nchannels, (uint8_t)8);
	memcpy(sin->st->volume, volume, sin->st->nchannels * sizeof(*volume));
	if (rec)
		sf_record_set_volume(rec, sin->st->nchannels, sin->st->volume);
}

SF_EXPORT void spice_server_record_set_mute(SpiceRecordInstance *sin, uint8_t mute)
{
	struct sf_record *rec = rec_of(sin);

	sin->st->muted = mute != 0;
	if (rec)
		sf_record_set_mute(rec, sin->st->muted);
}

/* 48 kHz when Opus can be used (playback compression on), as spice-server. */
SF_EXPORT uint32_t spice_server_get_best_playback_rate(SpicePlaybackInstance *sin)
{
	SpiceServer *s = sin && sin->st ? sin->st->reds : NULL;

	return s && s->playback_compression ? 48000 : SPICE_INTERFACE_PLAYBACK_FREQ;
}

SF_EXPORT void spice_server_set_playback_rate(SpicePlaybackInstance *sin, uint32_t frequency)
{
	struct sf_playback *pb = pb_of(sin);

	sin->st->rate = frequency;
	if (pb)
		sf_playback_set_rate(pb, frequency);
}

SF_EXPORT uint32_t spice_server_get_best_record_rate(SpiceRecordInstance *sin)
{
	SpiceServer *s = sin && sin->st ? sin->st->reds : NULL;

	return s && s->playback_compression ? 48000 : SPICE_INTERFACE_RECORD_FREQ;
}

SF_EXPORT void spice_server_set_record_rate(SpiceRecordInstance *sin, uint32_t frequency)
{
	struct sf_record *rec = rec_of(sin);

	sin->st->rate = frequency;
	if (rec)
		sf_record_set_rate(rec, frequency);
}
