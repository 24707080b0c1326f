/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/glib-migrate.c: a spice-client-glib client that rides through a
 * live migration. It streams a numbered byte sequence through a port whose
 * guest end echoes it, and checks every byte that returns: none lost, none
 * duplicated, none altered, across the switch. It notes the longest pause
 * in the echo (client-visible downtime) and, at the end, writes the primary
 * surface as a PPM and the port it ended on. --quiesce pauses writing while
 * the session migrates (semi-seamless: spice-gtk resets channels at the
 * switch, dropping whatever is in flight). MIG_WINDOW=N caps the bytes in
 * flight (default 4096); 512, one chunk, makes it a latency probe whose
 * echo has no pauses of its own (bench/migrate.sh). MIG_TICK=1: the guest
 * rewrites a counter in its picture's top text row every 10 ms
 * (vgatick.c); each change of that row is a display frame, printed with its
 * wall-clock time (QEMU redraws every 30 ms); the result counts those
 * after the migration ended (switched or cancelled): a live display. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spice-client.h>

#define CHUNK	    512
#define WINDOW	    4096 /* bytes in flight: the guest's serial is slow */
#define DRAIN_TICKS 300	 /* x 50 ms at the end */
#define TEXT_ROW_PX 16	 /* the counter's text row, in pixel rows */

static struct {
	GMainLoop *loop;
	SpiceSession *session;
	SpiceDisplayChannel *display;
	SpicePortChannel *port;
	const char *port_name;
	bool writing, stop, quiesce, migrated, opened, ready, counting;
	uint64_t sent, got, bad;
	uint32_t window;
	uint32_t inflight; /* stream bytes of the write in progress (0: a probe) */
	int64_t first_ns, last_echo_ns, max_gap_ns, gap_end_ns, gap_end_wall_us, t_mig_ns;
	bool tick, in_migration;
	uint64_t frames, frames_after, row_hash;
	int64_t ended_us; /* when the last migration ended */
	int seconds, drain;
	int result;
} t = {.result = 1};

static uint8_t stream_byte(uint64_t k)
{
	return (uint8_t)((k * 2654435761u) >> 24);
}

static int64_t now_ns(void)
{
	return g_get_monotonic_time() * 1000;
}

/* The session's migration state, noting when a migration began and ended
 * (switched, or cancelled): there is no signal for it. */
static int migration_state(void)
{
	int state = SPICE_SESSION_MIGRATION_NONE;

	g_object_get(t.session, "migration-state", &state, NULL);
	if (state != SPICE_SESSION_MIGRATION_NONE) {
		t.migrated = t.in_migration = true;
	} else if (t.in_migration) {
		t.in_migration = false;
		t.ended_us = g_get_real_time();
	}
	return state;
}

/* A migration ended (switched or cancelled) and none runs now. */
static bool migration_ended(void)
{
	return t.ended_us && !t.in_migration;
}

static bool may_write(void)
{
	int state = migration_state();

	return t.opened && t.ready && !t.stop &&
	       !(t.quiesce && state != SPICE_SESSION_MIGRATION_NONE) && t.sent - t.got < t.window;
}

static void write_next(void);

static void wrote(GObject *src, GAsyncResult *res, gpointer data)
{
	GError *err = NULL;

	(void)data;
	spice_port_channel_write_finish(SPICE_PORT_CHANNEL(src), res, &err);
	t.writing = false;
	if (err) {
		/* e.g. the port closed for a moment at a semi-seamless switch:
		 * those bytes never left, send them again from the tick */
		fprintf(stderr, "client: port write failed (%s), retrying\n", err->message);
		g_error_free(err);
		t.sent -= t.inflight;
		return;
	}
	write_next();
}

static void write_next(void)
{
	static uint8_t buf[CHUNK];

	if (t.writing || !t.port || !may_write())
		return;
	for (unsigned i = 0; i < CHUNK; i++)
		buf[i] = stream_byte(t.sent + i);
	t.sent += CHUNK;
	t.inflight = CHUNK;
	t.writing = true;
	spice_port_channel_write_async(t.port, buf, CHUNK, NULL, wrote, NULL);
}

/* At the first wrong byte: how many bytes went missing (or came twice)? */
static void diagnose(const uint8_t *p, size_t n)
{
	n = n < 16 ? n : 16;
	for (int64_t d = -4096; d <= 65536; d++) {
		size_t i;
		if ((int64_t)t.got + d < 0)
			continue;
		for (i = 0; i < n && p[i] == stream_byte(t.got + d + i); i++)
			;
		if (i == n && d) {
			fprintf(stderr,
				"client: at byte %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT
				" bytes %s\n",
				t.got, d < 0 ? -d : d, d < 0 ? "repeated" : "lost");
			return;
		}
	}
	fprintf(stderr, "client: byte %" G_GUINT64_FORMAT " is wrong\n", t.got);
}

static void port_data(SpicePortChannel *port, gpointer data, int size, gpointer user)
{
	const uint8_t *p = data;
	int64_t now = now_ns();

	(void)port;
	(void)user;
	/* probes come back first, then the stream (which starts with 0x00) */
	while (!t.counting && size > 0 && *p == 'P') {
		t.ready = true;
		p++;
		size--;
	}
	t.counting = t.counting || size > 0;
	for (int i = 0; i < size; i++, t.got++) {
		if (p[i] == stream_byte(t.got))
			continue;
		if (!t.bad++)
			diagnose(p + i, (size_t)(size - i));
	}
	if (!t.first_ns)
		t.first_ns = now;
	/* every pause over 20 ms, in wall-clock seconds, to line up with QEMU's
	 * trace stamps (bench/migrate.sh) */
	if (t.last_echo_ns && now - t.last_echo_ns > 20000000 && t.sent > t.got + size)
		printf("gap %.6f %.6f\n", (g_get_real_time() - (now - t.last_echo_ns) / 1000) / 1e6,
		       g_get_real_time() / 1e6);
	if (t.last_echo_ns && now - t.last_echo_ns > t.max_gap_ns && t.sent > t.got + size) {
		t.max_gap_ns = now - t.last_echo_ns;
		t.gap_end_ns = now;
		t.gap_end_wall_us = g_get_real_time(); /* QEMU's trace stamps */
	}
	t.last_echo_ns = now;
	write_next();
}

/* FNV-1a over the top text row: the guest's counter */
static uint64_t top_row_hash(void)
{
	SpiceDisplayPrimary p;
	uint64_t h = 14695981039346656037ull;

	if (!t.display || !spice_display_channel_get_primary(SPICE_CHANNEL(t.display), 0, &p))
		return 0;
	for (int y = 0; y < TEXT_ROW_PX && y < p.height; y++)
		for (int x = 0; x < p.width * 4; x++)
			h = (h ^ p.data[(size_t)y * p.stride + (size_t)x]) * 1099511628211ull;
	return h;
}

static void display_invalidate(SpiceChannel *c, int x, int y, int w, int h, gpointer user)
{
	int64_t now = g_get_real_time(); /* wall clock: QEMU's trace stamps */
	uint64_t hash;

	(void)c;
	(void)x;
	(void)w;
	(void)h;
	(void)user;
	if (y >= TEXT_ROW_PX || (hash = top_row_hash()) == t.row_hash)
		return;
	t.row_hash = hash;
	t.frames++;
	t.frames_after += migration_ended();
	printf("frame %.6f\n", now / 1e6);
}

static void port_opened(GObject *obj, GParamSpec *ps, gpointer data)
{
	gboolean opened;
	gchar *name = NULL;

	(void)ps;
	(void)data;
	g_object_get(obj, "port-opened", &opened, "port-name", &name, NULL);
	if (name && !strcmp(name, t.port_name)) {
		t.port = SPICE_PORT_CHANNEL(obj);
		t.opened = opened;
		printf("client: port %s %s\n", name, opened ? "opened" : "closed");
		fflush(stdout);
		if (opened)
			write_next();
	}
	g_free(name);
}

static bool write_ppm(const char *path)
{
	SpiceDisplayPrimary p;
	FILE *f;

	if (!t.display || !spice_display_channel_get_primary(SPICE_CHANNEL(t.display), 0, &p))
		return false;
	if (!(f = fopen(path, "wb")))
		return false;
	fprintf(f, "P6\n%d %d\n255\n", p.width, p.height);
	for (int y = 0; y < p.height; y++)
		for (int x = 0; x < p.width; x++) {
			const uint8_t *px = p.data + (size_t)y * p.stride + (size_t)x * 4;
			uint8_t rgb[3] = {px[2], px[1], px[0]};
			fwrite(rgb, 1, 3, f);
		}
	return fclose(f) == 0;
}

static void finish(const char *ppm)
{
	gchar *port = NULL;

	g_object_get(t.session, "port", &port, NULL);
	printf("RESULT sent=%" G_GUINT64_FORMAT " got=%" G_GUINT64_FORMAT " bad=%" G_GUINT64_FORMAT
	       " max_gap_ms=%.1f migrated=%d port=%s ended=%d gap_end=%.3f gap_end_wall=%.6f\n",
	       t.sent, t.got, t.bad, t.max_gap_ns / 1e6, t.migrated, port ? port : "?",
	       migration_ended(), t.gap_end_ns / 1e9, t.gap_end_wall_us / 1e6);
	if (t.tick) /* each frame's time is on its own line (bench/migrate.sh) */
		printf("DISPLAY frames=%" G_GUINT64_FORMAT " after=%" G_GUINT64_FORMAT "\n",
		       t.frames, t.frames_after);
	fflush(stdout);
	t.result = (t.bad || t.got != t.sent || !t.got || !write_ppm(ppm)) ? 1 : 0;
	g_free(port);
	g_main_loop_quit(t.loop);
}

static gboolean tick(gpointer data)
{
	static int ticks;

	ticks++;
	if (!t.ready && t.opened && !t.writing && ticks % 5 == 0) {
		t.writing = true;
		t.inflight = 0;
		spice_port_channel_write_async(t.port, "P", 1, NULL, wrote, NULL);
	}
	migration_state();
	write_next();
	if (ticks % 20 == 0) {
		printf("client: t=%ds sent=%" G_GUINT64_FORMAT " got=%" G_GUINT64_FORMAT
		       " migrated=%d\n",
		       ticks / 20, t.sent, t.got, t.migrated);
		fflush(stdout);
	}
	if (!t.stop && t.first_ns && now_ns() - t.first_ns > (int64_t)t.seconds * 1000000000)
		t.stop = true;
	if (t.stop && (t.got == t.sent || ++t.drain > DRAIN_TICKS))
		finish(data);
	if (ticks > (t.seconds + 60) * 20) {
		fprintf(stderr, "client: timeout\n");
		finish(data);
	}
	return G_SOURCE_CONTINUE;
}

static void channel_new(SpiceSession *s, SpiceChannel *c, gpointer user)
{
	(void)s;
	(void)user;
	if (SPICE_IS_DISPLAY_CHANNEL(c)) {
		t.display = SPICE_DISPLAY_CHANNEL(c);
		if (t.tick)
			g_signal_connect(c, "display-invalidate", G_CALLBACK(display_invalidate),
					 NULL);
	}
	if (SPICE_IS_PORT_CHANNEL(c)) {
		g_signal_connect(c, "notify::port-opened", G_CALLBACK(port_opened), NULL);
		g_signal_connect(c, "port-data", G_CALLBACK(port_data), NULL);
	}
	if (!SPICE_IS_MAIN_CHANNEL(c))
		spice_channel_connect(c);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: glib-migrate PORT PORTNAME SECONDS OUT.ppm [--quiesce]\n");
		return 2;
	}
	t.port_name = argv[2];
	t.seconds = atoi(argv[3]);
	t.window = getenv("MIG_WINDOW") ? (uint32_t)atoi(getenv("MIG_WINDOW")) : WINDOW;
	t.quiesce = argc > 5 && !strcmp(argv[5], "--quiesce");
	t.tick = getenv("MIG_TICK") && *getenv("MIG_TICK");
	t.loop = g_main_loop_new(NULL, FALSE);
	t.session = spice_session_new();
	g_object_set(t.session, "host", "127.0.0.1", "port", argv[1], NULL);
	g_signal_connect(t.session, "channel-new", G_CALLBACK(channel_new), NULL);
	if (!spice_session_connect(t.session))
		return 1;
	g_timeout_add(50, tick, argv[4]);
	g_main_loop_run(t.loop);
	spice_session_disconnect(t.session);
	g_object_unref(t.session);
	return t.result;
}
