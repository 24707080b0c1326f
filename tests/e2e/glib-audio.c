/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/glib-audio.c: a spice-client-glib client on the playback channel
 * of saffron-demo, whose guest plays a 440 Hz tone of amplitude 8000. It
 * collects one second of the samples spice-gtk decoded (Opus, as negotiated
 * by spice-gtk) and checks their pitch (zero crossings) and level (RMS)
 * within codec tolerance. Exit 0 on success. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <spice-client.h>

static GMainLoop *loop;
static int rate, channels, result = 1, rec_rate, rec_packets;
static bool played;
static double rec_phase;
static SpiceRecordChannel *rec;
static int16_t *pcm;
static size_t nframes, cap;

static void on_start(SpicePlaybackChannel *c, gint format, gint chans, gint r, gpointer u)
{
	rate = r;
	channels = chans;
	if (format != SPICE_AUDIO_FMT_S16 || chans != 2) {
		fprintf(stderr, "glib-audio: unexpected format %d channels %d\n", format, chans);
		g_main_loop_quit(loop);
	}
}

static void analyse(void)
{
	size_t skip = (size_t)rate / 10, n = nframes - skip, crossings = 0; /* codec warm-up */
	double sum = 0, rms, hz;

	for (size_t i = skip; i < nframes; i++) {
		double v = pcm[2 * i];
		sum += v * v;
		if (i > skip && (pcm[2 * (i - 1)] < 0) != (pcm[2 * i] < 0))
			crossings++;
	}
	rms = sqrt(sum / (double)n);
	hz = (double)crossings / 2.0 / ((double)n / rate);
	printf("glib-audio: rate %d, %zu frames, pitch %.1f Hz, rms %.0f (expect 440 Hz, %.0f)\n",
	       rate, nframes, hz, rms, 8000 / sqrt(2));
	result = fabs(hz - 440) < 440 * 0.03 && fabs(rms - 8000 / sqrt(2)) < 5657 * 0.15 ? 0 : 1;
}

static void on_data(SpicePlaybackChannel *c, gpointer data, gint size, gpointer u)
{
	size_t frames = (size_t)size / 4;

	if (nframes + frames > cap) {
		cap = (nframes + frames) * 2;
		pcm = realloc(pcm, cap * 4);
	}
	memcpy(pcm + 2 * nframes, data, frames * 4);
	nframes += frames;
	if (rate && nframes >= (size_t)rate * 11 / 10 && !played) {
		analyse();
		played = true;
		if (rec_packets >= 200 || result != 0)
			g_main_loop_quit(loop);
	}
}

/* Record: a 330 Hz tone of amplitude 6000 in 10 ms packets, 2 s of it. */
static gboolean send_record(gpointer u)
{
	int16_t pcm[2 * 480];
	int frames = rec_rate / 100;

	for (int i = 0; i < frames; i++) {
		pcm[2 * i] = pcm[2 * i + 1] = (int16_t)(6000 * sin(rec_phase));
		rec_phase += 2 * M_PI * 330 / rec_rate;
	}
	spice_record_channel_send_data(rec, pcm, (gsize)frames * 4,
				       (guint32)g_get_monotonic_time() / 1000);
	if (++rec_packets < 200)
		return G_SOURCE_CONTINUE;
	if (played)
		g_timeout_add(500, (GSourceFunc)g_main_loop_quit, loop); /* let the last ones go */
	return G_SOURCE_REMOVE;
}

static void on_record_start(SpiceRecordChannel *c, gint format, gint chans, gint r, gpointer u)
{
	rec_rate = r;
	if (format == SPICE_AUDIO_FMT_S16 && chans == 2 && r == 48000)
		g_timeout_add(10, send_record, NULL);
	else
		fprintf(stderr, "glib-audio: unexpected record format %d/%d/%d\n", format, chans,
			r);
}

static void channel_new(SpiceSession *s, SpiceChannel *c, gpointer u)
{
	if (SPICE_IS_RECORD_CHANNEL(c)) {
		rec = SPICE_RECORD_CHANNEL(c);
		g_signal_connect(c, "record-start", G_CALLBACK(on_record_start), NULL);
		spice_channel_connect(c);
	}
	if (SPICE_IS_PLAYBACK_CHANNEL(c)) {
		g_signal_connect(c, "playback-start", G_CALLBACK(on_start), NULL);
		g_signal_connect(c, "playback-data", G_CALLBACK(on_data), NULL);
		spice_channel_connect(c);
	}
}

static gboolean timeout(gpointer u)
{
	fprintf(stderr, "glib-audio: timeout (%zu frames)\n", nframes);
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	SpiceSession *s;

	if (argc < 2)
		return 2;
	loop = g_main_loop_new(NULL, FALSE);
	s = spice_session_new();
	g_object_set(s, "host", "127.0.0.1", "port", argv[1], "enable-audio", TRUE, NULL);
	g_signal_connect(s, "channel-new", G_CALLBACK(channel_new), NULL);
	if (!spice_session_connect(s))
		return 1;
	g_timeout_add_seconds(30, timeout, NULL);
	g_main_loop_run(loop);
	spice_session_disconnect(s);
	g_object_unref(s);
	free(pcm);
	return result;
}
