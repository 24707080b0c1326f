/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/soak/soak.c: bounded fault injection against a running server on
 * loopback: N connections each cut at a different byte of a valid link
 * exchange (header, body, auth, ticket, first messages), a flood of inputs
 * messages, and a display client that never reads for the whole run. Prints
 * one summary line; the driver (tests/soak/run.sh) checks the server. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "channels/ticket.h"
#include "channels/wire.h"

static int g_port;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
	struct timeval tv = {.tv_sec = 10};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool rd(int fd, void *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = recv(fd, (uint8_t *)p + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* A full, valid client byte stream for channel @type: link header and
 * message, auth mechanism, ticket (needs the server's key: fetched with a
 * first real link), then a few messages. */
static size_t script(uint8_t *out, uint8_t type, uint32_t conn, const uint8_t *enc)
{
	uint32_t caps = (1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION) |
			(1u << SPICE_COMMON_CAP_AUTH_SPICE) | (1u << SPICE_COMMON_CAP_MINI_HEADER);
	size_t n = 0;

	sf_put_le32(out, SPICE_MAGIC), sf_put_le32(out + 4, 2), sf_put_le32(out + 8, 2);
	sf_put_le32(out + 12, 26), n = 16;
	sf_put_le32(out + n, conn), out[n + 4] = type, out[n + 5] = 0;
	sf_put_le32(out + n + 6, 1), sf_put_le32(out + n + 10, 1), sf_put_le32(out + n + 14, 18);
	sf_put_le32(out + n + 18, caps), sf_put_le32(out + n + 22, 0), n += 26;
	sf_put_le32(out + n, SPICE_COMMON_CAP_AUTH_SPICE), n += 4;
	memcpy(out + n, enc, 128), n += 128;
	for (int i = 0; i < 8; i++) { /* mouse positions */
		sf_put_le16(out + n, SPICE_MSGC_INPUTS_MOUSE_POSITION),
			sf_put_le32(out + n + 2, 11);
		memset(out + n + 6, 0, 11), n += 17;
	}
	return n;
}

/* Link for real and return the fd (reply and result consumed). */
static int link_ok(uint8_t type, uint32_t conn, uint8_t *enc_out)
{
	uint8_t buf[1024], h[16], body[512], res[4];
	int fd = dial();
	uint32_t size;

	if (fd < 0)
		return -1;
	script(buf, type, conn, enc_out);
	if (send(fd, buf, 42, MSG_NOSIGNAL) != 42 || !rd(fd, h, 16) ||
	    (size = sf_get_le32(h + 12)) > sizeof(body) || !rd(fd, body, size) ||
	    sf_ticket_encrypt(body + 4, SPICE_TICKET_PUBKEY_BYTES, "", enc_out) < 0)
		goto err;
	sf_put_le32(buf, SPICE_COMMON_CAP_AUTH_SPICE);
	memcpy(buf + 4, enc_out, 128);
	if (send(fd, buf, 132, MSG_NOSIGNAL) != 132 || !rd(fd, res, 4) || sf_get_le32(res) != 0)
		goto err;
	return fd;
err:
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	uint8_t enc[128], buf[4096], msg[17];
	int cycles, main_fd, stall_fd, in_fd, failed_dials = 0;
	uint32_t session;
	size_t len;
	double t0, t1;
	long flood = 0;

	if (argc < 3)
		return 2;
	g_port = atoi(argv[1]);
	cycles = atoi(argv[2]);
	/* a session whose display never reads: bounded by the server's backlog limit */
	main_fd = link_ok(SPICE_CHANNEL_MAIN, 0, enc);
	if (main_fd < 0 || !rd(main_fd, buf, 6) || sf_get_le16(buf) != SPICE_MSG_MAIN_INIT ||
	    !rd(main_fd, buf, 32))
		return fprintf(stderr, "soak: cannot open a session\n"), 1;
	session = sf_get_le32(buf);
	stall_fd = link_ok(SPICE_CHANNEL_DISPLAY, session, enc);
	/* an inputs flood on the same session */
	in_fd = link_ok(SPICE_CHANNEL_INPUTS, session, enc);
	sf_put_le16(msg, SPICE_MSGC_INPUTS_MOUSE_POSITION), sf_put_le32(msg + 2, 11);
	memset(msg + 6, 0, 11);
	for (int i = 0; in_fd >= 0 && i < 100000; i++)
		if (send(in_fd, msg, sizeof(msg), MSG_NOSIGNAL | MSG_DONTWAIT) == sizeof(msg))
			flood++;
	/* cut at every byte of a valid exchange, round robin over channel kinds */
	len = script(buf, SPICE_CHANNEL_MAIN, 0, enc);
	t0 = now_s();
	for (int i = 0; i < cycles; i++) {
		uint8_t type = i % 3 == 0   ? SPICE_CHANNEL_MAIN
			       : i % 3 == 1 ? SPICE_CHANNEL_DISPLAY
					    : SPICE_CHANNEL_INPUTS;
		size_t cut = (size_t)i % (len + 1);
		int fd = dial();
		if (fd < 0) {
			failed_dials++;
			continue;
		}
		len = script(buf, type, type == SPICE_CHANNEL_MAIN ? 0 : session, enc);
		if (cut && send(fd, buf, cut, MSG_NOSIGNAL) < 0)
			failed_dials += 0; /* the server may have closed already: fine */
		close(fd);
	}
	t1 = now_s();
	printf("soak: cycles=%d seconds=%.2f per_second=%.0f failed_dials=%d inputs_flood=%ld "
	       "stalled_display=%s\n",
	       cycles, t1 - t0, cycles / (t1 - t0), failed_dials, flood,
	       stall_fd >= 0 ? "yes" : "no");
	fflush(stdout);
	/* the stalled client stays until the driver has checked the others */
	if (argc > 3)
		sleep((unsigned)atoi(argv[3]));
	close(in_fd);
	close(stall_fd);
	close(main_fd);
	return 0;
}
