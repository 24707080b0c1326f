/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* encoders/opus.c: libopus wrapper. */
#include <errno.h>
#include <stdlib.h>
#include <opus.h>
#include "encoders/opus.h"

struct sf_opus {
	OpusEncoder *enc;
};

struct sf_opus *sf_opus_create(void)
{
	struct sf_opus *o = calloc(1, sizeof(*o));
	int err;

	if (!o)
		return NULL;
	o->enc = opus_encoder_create(SF_OPUS_RATE, 2, OPUS_APPLICATION_AUDIO, &err);
	if (!o->enc || err != OPUS_OK) {
		free(o);
		return NULL;
	}
	return o;
}

void sf_opus_destroy(struct sf_opus *o)
{
	if (!o)
		return;
	opus_encoder_destroy(o->enc);
	free(o);
}

int sf_opus_encode(struct sf_opus *o, const int16_t *pcm, uint8_t *out, size_t cap)
{
	int n = opus_encode(o->enc, pcm, SF_OPUS_FRAME, out, (opus_int32)(cap > 4000 ? 4000 : cap));
	return n > 0 ? n : -EIO;
}
