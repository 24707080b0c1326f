/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/glib-frame.c: a spice-client-glib client that waits until the
 * primary surface, as the stock decoders (QUIC, LZ, GLZ, LZ4, JPEG, raw)
 * rendered it, equals a PPM pixel for pixel; or, given MIN_PSNR (lossy
 * settings), comes within that PSNR and stays unchanged for a second. The
 * PPM may appear after the start (a server that dumps its frame at the end).
 * Exit 0 on a match, 1 on timeout with the count and first position of
 * differing pixels. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spice-client.h>

static struct {
	GMainLoop *loop;
	SpiceDisplayChannel *display;
	const char *want_path;
	uint8_t *want; /* RGB triples, NULL until the file is there */
	int w, h, ticks, limit, result;
	double min_psnr; /* 0: exact */
	long last_diff;
	int stable_ticks;
	int every; /* compare on one tick in @every: 1, or more once comparing is slow */
} t = {.result = 1, .last_diff = -1, .every = 1};

static uint8_t *load_ppm(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	uint8_t *px = NULL;
	int max;

	if (f && fscanf(f, "P6 %d %d %d", w, h, &max) == 3 && fgetc(f) != EOF && *w > 0 && *h > 0 &&
	    *w <= 16384 && *h <= 16384) {
		px = malloc((size_t)*w * *h * 3);
		if (px && fread(px, 3, (size_t)*w * *h, f) != (size_t)*w * *h) {
			free(px);
			px = NULL;
		}
	}
	if (f)
		fclose(f);
	return px;
}

/* Differing pixels; the first one's position in @first, the PSNR over the
 * whole frame (all channels) in @psnr. */
static long compare(const SpiceDisplayPrimary *p, long *first, double *psnr)
{
	long diff = 0;
	double se = 0;

	*first = -1;
	for (int y = 0; y < t.h; y++)
		for (int x = 0; x < t.w; x++) {
			const uint8_t *s = p->data + (size_t)y * p->stride + (size_t)x * 4;
			const uint8_t *e = t.want + ((size_t)y * t.w + (size_t)x) * 3;
			if (s[2] != e[0] || s[1] != e[1] || s[0] != e[2]) {
				if (*first < 0)
					*first = (long)y * t.w + x;
				diff++;
				for (int k = 0; k < 3; k++) {
					double d = (double)s[2 - k] - e[k];
					se += d * d;
				}
			}
		}
	*psnr = diff ? 10 * log10(255.0 * 255.0 * 3 * t.w * t.h / se) : INFINITY;
	return diff;
}

/* Lossy: close enough, and nothing changed for a second (all arrived). */
static bool good_enough(long diff, double psnr)
{
	if (diff == 0)
		return true;
	t.stable_ticks = diff == t.last_diff ? t.stable_ticks + 1 : 0;
	t.last_diff = diff;
	return t.min_psnr > 0 && psnr >= t.min_psnr && t.stable_ticks >= 10;
}

static gboolean tick(gpointer data)
{
	SpiceDisplayPrimary p;
	long diff = -1, first = -1;
	double psnr = 0;
	gboolean have;

	if (!t.want)
		t.want = load_ppm(t.want_path, &t.w, &t.h);
	have = t.want && t.display &&
	       spice_display_channel_get_primary(SPICE_CHANNEL(t.display), 0, &p) &&
	       p.width == t.w && p.height == t.h;

	(void)data;
	/* a slow compare (a sanitizer build on a large frame) would starve the
	 * main loop that receives the frame: then compare less often */
	if (have && (t.ticks % t.every == 0 || t.ticks + 1 >= t.limit)) {
		gint64 t0 = g_get_monotonic_time();
		diff = compare(&p, &first, &psnr);
		if (g_get_monotonic_time() - t0 > 20000)
			t.every = 10;
	} else if (have) {
		t.ticks++;
		return G_SOURCE_CONTINUE;
	}
	if (have && good_enough(diff, psnr)) {
		if (diff)
			printf("glib-frame: %ld pixels differ, PSNR %.1f dB\n", diff, psnr);
		t.result = 0;
		g_main_loop_quit(t.loop);
		return G_SOURCE_REMOVE;
	}
	if (++t.ticks >= t.limit) {
		fprintf(stderr,
			"glib-frame: %s; %ld pixels differ, first at (%ld, %ld), PSNR %.1f dB\n",
			have ? "surface differs" : "no primary of that size", diff,
			first < 0 ? -1 : first % t.w, first < 0 ? -1 : first / t.w, psnr);
		g_main_loop_quit(t.loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void channel_new(SpiceSession *s, SpiceChannel *ch, gpointer data)
{
	(void)s;
	(void)data;
	if (SPICE_IS_DISPLAY_CHANNEL(ch)) {
		t.display = SPICE_DISPLAY_CHANNEL(ch);
		spice_channel_connect(ch);
	}
}

int main(int argc, char **argv)
{
	SpiceSession *s;

	if (argc < 3) {
		fprintf(stderr, "usage: glib-frame PORT EXPECTED.ppm [TIMEOUT_S [MIN_PSNR]]\n");
		return 2;
	}
	t.want_path = argv[2];
	t.limit = (argc > 3 ? atoi(argv[3]) : 20) * 10;
	t.min_psnr = argc > 4 ? atof(argv[4]) : 0;
	t.loop = g_main_loop_new(NULL, FALSE);
	s = spice_session_new();
	g_object_set(s, "host", "127.0.0.1", "port", argv[1], NULL);
	g_signal_connect(s, "channel-new", G_CALLBACK(channel_new), NULL);
	if (!spice_session_connect(s))
		return 1;
	g_timeout_add(100, tick, NULL);
	g_main_loop_run(t.loop);
	spice_session_disconnect(s);
	g_object_unref(s);
	free(t.want);
	return t.result;
}
