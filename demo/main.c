/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* demo/main.c: saffron-demo, a standalone SPICE server whose display is the
 * synthetic guest. `--dump-frame` renders the static desktop through the real
 * producer and writes it as the PPM spicy-screenshot would save. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <spice/enums.h>
#include "channels/names.h"
#include "channels/server.h"
#include "demo/devices.h"
#include "demo/guest.h"
#include "engine/log.h"

SF_LOG_TOPIC("demo");

struct opts {
	const char *addr, *password, *dump;
	int port;
	bool is_static, gallery;
	unsigned senders;
	unsigned quit_after;
	unsigned link_timeout;
	unsigned max_clients;
	int tls_port;
	bool tls;
	const char *tls_dir;
	bool secure_only;
	const char *echo_port;
	bool sink_agent, flood;
	int image_compression; /* SPICE_IMAGE_COMPRESSION_*; 0: default */
	int jpeg;	       /* enum sf_wan; 0: default */
	unsigned video_frames; /* play a clip of this many frames at 30 fps */
};

struct app {
	struct sf_server *srv;
	struct sf_guest *guest;
	struct sf_display *display;
	struct sf_demo_devices *devices;
	bool flood, gallery;
	uint64_t flooded;
	unsigned video_frames, video_next;
	struct sf_timer *video;
};

static void usage(void)
{
	fprintf(stderr, "usage: saffron-demo [--addr A] [--port P] [--password PW] [--static]\n"
			"                    [--dump-frame PATH] [--senders N] [--quit-after SEC]\n"
			"                    [--link-timeout MS] [--max-clients N]\n"
			"                    [--tls-port P --tls-dir DIR [--secure-only]]\n"
			"                    [--echo-port NAME] [--sink-agent] [--flood]\n"
			"                    [--image-compression off|auto|lz|lz4|glz|quic]\n"
			"                    [--jpeg-compression auto|never|always]\n"
			"                    [--video-frames N] [--gallery]\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {{"addr", required_argument, 0, 'a'},
					   {"port", required_argument, 0, 'p'},
					   {"password", required_argument, 0, 'w'},
					   {"static", no_argument, 0, 's'},
					   {"dump-frame", required_argument, 0, 'd'},
					   {"senders", required_argument, 0, 'n'},
					   {"quit-after", required_argument, 0, 'q'},
					   {"help", no_argument, 0, 'h'},
					   {"link-timeout", required_argument, 0, 't'},
					   {"max-clients", required_argument, 0, 'm'},
					   {"tls-port", required_argument, 0, 'T'},
					   {"tls-dir", required_argument, 0, 'D'},
					   {"secure-only", no_argument, 0, 'S'},
					   {"echo-port", required_argument, 0, 'E'},
					   {"sink-agent", no_argument, 0, 'A'},
					   {"flood", no_argument, 0, 'F'},
					   {"image-compression", required_argument, 0, 'I'},
					   {"jpeg-compression", required_argument, 0, 'J'},
					   {"video-frames", required_argument, 0, 'V'},
					   {"gallery", no_argument, 0, 'G'},
					   {0, 0, 0, 0}};
	int c;

	*o = (struct opts){.addr = "127.0.0.1", .port = 5900};
	while ((c = getopt_long(argc, argv, "a:p:w:sd:n:q:t:m:T:D:SE:AFI:J:V:Gh", lo, NULL)) !=
	       -1) {
		switch (c) {
		case 'a':
			o->addr = optarg;
			break;
		case 'p':
			o->port = atoi(optarg);
			break;
		case 'w':
			o->password = optarg;
			break;
		case 's':
			o->is_static = true;
			break;
		case 'G': /* a still picture: nothing moves */
			o->gallery = o->is_static = true;
			break;
		case 'd':
			o->dump = optarg;
			break;
		case 'J': /* QEMU's -spice jpeg-wan-compression= */
			o->jpeg = sf_wan_compression_from_name(optarg);
			if (o->jpeg < 0) {
				usage();
				return -1;
			}
			break;
		case 'n':
			o->senders = (unsigned)atoi(optarg);
			break;
		case 'q':
			o->quit_after = (unsigned)atoi(optarg);
			break;
		case 't':
			o->link_timeout = (unsigned)atoi(optarg);
			break;
		case 'm':
			o->max_clients = (unsigned)atoi(optarg);
			break;
		case 'T':
			o->tls_port = atoi(optarg);
			o->tls = true;
			break;
		case 'D':
			o->tls_dir = optarg;
			break;
		case 'E':
			o->echo_port = optarg;
			break;
		case 'A':
			o->sink_agent = true;
			break;
		case 'F':
			o->flood = true;
			break;
		case 'V':
			o->video_frames = (unsigned)atoi(optarg);
			break;
		case 'I':
			o->image_compression = sf_image_compression_from_name(optarg);
			if (o->image_compression < 0) {
				usage();
				return -1;
			}
			break;
		case 'S':
			o->secure_only = true;
			break;
		default:
			usage();
			return -1;
		}
	}
	return 0;
}

/* Same header and byte order as spicy-screenshot's writer, so files compare
 * byte for byte. */
static int write_ppm(const char *path, const struct sf_image *img)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -errno;
	fprintf(f, "P6\n%u %u\n255\n", img->width, img->height);
	for (uint32_t y = 0; y < img->height; y++) {
		const uint8_t *p = sf_image_row(img, y);
		for (uint32_t x = 0; x < img->width; x++, p += 4) {
			uint8_t rgb[3] = {p[2], p[1], p[0]};
			fwrite(rgb, 1, 3, f);
		}
	}
	return fclose(f) == 0 ? 0 : -EIO;
}

static void on_tick(void *data)
{
	sf_guest_tick(data);
}

/* The clip: one frame per tick, then nothing (the stream times out and the
 * clients get the last frame losslessly). */
static void on_video(void *data)
{
	struct app *a = data;

	if (a->video_next < a->video_frames)
		sf_guest_video_frame(a->guest, a->video_next++);
	else
		sf_loop_timer_arm(a->video, 0, false);
}

/* Every millisecond: echo bytes along and, with --flood, as many guest
 * commands as the ring takes. */
static void on_poll(void *data)
{
	struct app *a = data;
	struct sf_display_stats st;

	sf_demo_devices_poll(a->devices);
	if (a->flood)
		a->flooded += sf_guest_flood(a->guest, 1000);
	if (a->gallery && sf_display_get_stats(a->display, &st) == 0 && st.clients) {
		a->gallery = false;
		sf_guest_gallery_images(a->guest);
	}
}

/* The guest's sound card: a 440 Hz tone out, one 10 ms frame per timer
 * tick; what comes in from the record channel is measured once a second of
 * it arrived, and reported on stdout (the e2e test reads it). */
struct tone {
	struct sf_playback *pb;
	struct sf_record *rec;
	double phase;
	int16_t in[48000 * 2 * 2];
	uint32_t nin;
	bool reported;
};

static void record_report(struct tone *t)
{
	uint32_t skip = 4800, crossings = 0, n;
	double sum = 0;

	if (t->reported || t->nin < 48000 + skip)
		return;
	n = t->nin - skip;
	for (uint32_t i = skip; i < t->nin; i++) {
		sum += (double)t->in[2 * i] * t->in[2 * i];
		crossings += i > skip && (t->in[2 * i - 2] < 0) != (t->in[2 * i] < 0);
	}
	printf("saffron-demo: record: %u frames, pitch %.1f Hz, rms %.0f\n", t->nin,
	       crossings / 2.0 / (n / 48000.0), sqrt(sum / n));
	fflush(stdout);
	t->reported = true;
}

static void record_poll(struct tone *t)
{
	uint32_t buf[960], n;

	while ((n = sf_record_get_samples(t->rec, buf, 960)) > 0) {
		for (uint32_t i = 0; i < n && t->nin < 48000 * 2; i++, t->nin++) {
			t->in[2 * t->nin] = (int16_t)(buf[i] & 0xffff);
			t->in[2 * t->nin + 1] = (int16_t)(buf[i] >> 16);
		}
	}
	record_report(t);
}

static void on_audio(void *data)
{
	struct tone *t = data;
	uint32_t *buf, n;
	double step;

	record_poll(t);
	sf_playback_get_buffer(t->pb, &buf, &n);
	if (!buf)
		return; /* nobody listens */
	step = 2.0 * M_PI * 440.0 / (double)sf_playback_best_rate(t->pb);
	for (uint32_t i = 0; i < n; i++) {
		int16_t s = (int16_t)(8000.0 * sin(t->phase));
		buf[i] = (uint16_t)s | (uint32_t)(uint16_t)s << 16;
		t->phase += step;
		if (t->phase > 2.0 * M_PI)
			t->phase -= 2.0 * M_PI;
	}
	sf_playback_put_samples(t->pb, buf);
}

static void on_signal(void *data, int fd, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (read(fd, &si, sizeof(si)) == sizeof(si))
		sf_loop_quit(data);
}

static void on_quit_timer(void *data)
{
	sf_loop_quit(data);
}

static int dump_frame(struct app *a, const char *path)
{
	struct sf_image *img = sf_display_read_pixels(a->display, 0);
	int r;

	if (!img) {
		fprintf(stderr, "saffron-demo: no frame: %s\n", strerror(errno));
		return -1;
	}
	r = write_ppm(path, img);
	sf_image_unref(img);
	if (r < 0)
		fprintf(stderr, "saffron-demo: %s: %s\n", path, strerror(-r));
	return r;
}

/* One line of per-codec counts, in enum sf_codec's order (codecs.sh reads it). */
static void print_codecs(const char *what, const uint64_t *n)
{
	printf("saffron-demo: %s: raw %llu lz4 %llu lz %llu quic %llu glz %llu jpeg %llu\n", what,
	       (unsigned long long)n[SF_CODEC_RAW], (unsigned long long)n[SF_CODEC_LZ4],
	       (unsigned long long)n[SF_CODEC_LZ], (unsigned long long)n[SF_CODEC_QUIC],
	       (unsigned long long)n[SF_CODEC_GLZ], (unsigned long long)n[SF_CODEC_JPEG]);
}

static void print_stats(struct app *a)
{
	struct sf_display_stats st;

	if (sf_display_get_stats(a->display, &st) < 0)
		return;
	if (a->video_frames)
		printf("saffron-demo: video: %llu streams, %llu stream frames\n",
		       (unsigned long long)st.streams, (unsigned long long)st.stream_frames);
	print_codecs("images", st.images);
	print_codecs("blends", st.blend_images);
}

static int serve(struct app *a, const struct opts *o)
{
	struct sf_loop *loop = sf_server_loop(a->srv);
	struct sf_timer *tick = NULL, *quit = NULL, *audio = NULL, *poll = NULL;
	static struct tone tone;
	struct sf_watch *sigw;
	sigset_t set;
	int sfd, r;

	r = sf_server_listen(a->srv);
	if (r < 0) {
		fprintf(stderr, "saffron-demo: listen %s:%d: %s\n", o->addr, o->port, strerror(-r));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	sigw = sf_loop_watch_add(loop, sfd, EPOLLIN, on_signal, loop);
	if (!o->is_static) {
		tick = sf_loop_timer_add(loop, on_tick, a->guest);
		if (tick)
			sf_loop_timer_arm(tick, 33, true);
	}
	tone.pb = sf_server_playback(a->srv);
	tone.rec = sf_server_record(a->srv);
	sf_record_start(tone.rec);
	sf_playback_set_rate(tone.pb, sf_playback_best_rate(tone.pb));
	sf_playback_start(tone.pb);
	audio = sf_loop_timer_add(loop, on_audio, &tone);
	if (audio)
		sf_loop_timer_arm(audio, 10, true);
	if (a->video_frames) {
		a->video = sf_loop_timer_add(loop, on_video, a);
		if (a->video)
			sf_loop_timer_arm(a->video, 33, true);
	}
	if (a->devices || a->flood || a->gallery) {
		poll = sf_loop_timer_add(loop, on_poll, a);
		if (poll)
			sf_loop_timer_arm(poll, 1, true);
	}
	if (o->quit_after) {
		quit = sf_loop_timer_add(loop, on_quit_timer, loop);
		if (quit)
			sf_loop_timer_arm(quit, o->quit_after * 1000ull, false);
	}
	if (sf_server_tls_port(a->srv))
		printf("saffron-demo: tls on %s:%d\n", o->addr, sf_server_tls_port(a->srv));
	printf("saffron-demo: listening on %s:%d\n", o->addr, sf_server_port(a->srv));
	fflush(stdout);
	r = sf_loop_run(loop);
	sf_loop_timer_remove(tick);
	sf_loop_timer_remove(quit);
	sf_loop_timer_remove(audio);
	sf_loop_timer_remove(poll);
	sf_loop_timer_remove(a->video);
	sf_loop_watch_remove(sigw);
	if (a->flood)
		printf("saffron-demo: guest flood: %llu commands\n",
		       (unsigned long long)a->flooded);
	print_stats(a);
	close(sfd);
	return r;
}

int main(int argc, char **argv)
{
	struct sf_server_config cfg = {0};
	struct app a = {0};
	struct opts o;
	int rc = 1;

	sigset_t set;

	/* blocked before any thread starts, so only the main loop's signalfd sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (parse(argc, argv, &o) < 0)
		return 2;
	cfg.addr = o.addr;
	cfg.port = o.port;
	cfg.senders = o.senders;
	cfg.link_timeout_ms = o.link_timeout;
	cfg.max_sessions = o.max_clients;
	char cert[512], key[512], ca[512];
	if (o.tls) {
		/* DIR holds server-cert.pem, server-key.pem, ca-cert.pem (tests/tls) */
		snprintf(cert, sizeof(cert), "%s/server-cert.pem", o.tls_dir ? o.tls_dir : ".");
		snprintf(key, sizeof(key), "%s/server-key.pem", o.tls_dir ? o.tls_dir : ".");
		snprintf(ca, sizeof(ca), "%s/ca-cert.pem", o.tls_dir ? o.tls_dir : ".");
		cfg.tls_port = o.tls_port;
		cfg.tls_cert = cert;
		cfg.tls_key = key;
		cfg.tls_ca = ca;
		if (o.secure_only)
			cfg.secure_channels = ~0u;
	}
	cfg.client_mouse = true;
	a.srv = sf_server_create(&cfg);
	a.guest = sf_guest_create();
	if (!a.srv || !a.guest)
		goto out;
	if (o.password)
		sf_server_set_ticket(a.srv, o.password, 0);
	else
		sf_server_set_noauth(a.srv);
	a.display = sf_server_add_display(a.srv, sf_guest_source_ops(), a.guest);
	if (!a.display)
		goto out;
	sf_guest_set_display(a.guest, a.display);
	if (o.image_compression)
		sf_display_set_image_compression(a.display, o.image_compression);
	if (o.jpeg)
		sf_display_set_jpeg(a.display, (enum sf_wan)o.jpeg);
	sf_server_set_input_ops(a.srv, sf_guest_input_ops(), a.guest);
	a.flood = o.flood;
	if (o.echo_port || o.sink_agent) {
		a.devices = sf_demo_devices_create(a.srv, o.echo_port, o.sink_agent);
		if (!a.devices)
			goto out;
	}
	if (sf_server_start(a.srv) < 0 ||
	    (o.gallery ? sf_guest_gallery_surface(a.guest) : sf_guest_draw_desktop(a.guest)) < 0)
		goto out;
	/* served, the gallery waits for a client so each image is sent as
	 * drawn, not folded into the surface snapshot */
	a.gallery = o.gallery && !o.dump;
	if (o.gallery && o.dump)
		sf_guest_gallery_images(a.guest);
	a.video_frames = o.video_frames;
	/* the reference picture of a clip is its last frame */
	for (unsigned i = 0; o.dump && i < o.video_frames; i++)
		sf_guest_video_frame(a.guest, i);
	/* the desktop is complete before anyone can connect: a client's first
	 * frame is the whole static picture */
	sf_display_flush(a.display);
	if (o.dump)
		rc = dump_frame(&a, o.dump) < 0 ? 1 : 0;
	else
		rc = serve(&a, &o) < 0 ? 1 : 0;
out:
	sf_demo_devices_destroy(a.devices);
	sf_server_destroy(a.srv);
	sf_guest_destroy(a.guest);
	return rc;
}
