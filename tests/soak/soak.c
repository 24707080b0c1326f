/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/soak/soak.c: bounded fault injection against a running server on
 * loopback: N connections each cut at a different byte of a valid client
 * stream (link header, body, auth, ticket, then every message a client of
 * that channel sends: main with agent traffic, display, cursor, inputs,
 * port), a flood of inputs messages, a client that sends agent data beyond
 * its tokens, and a display client that never reads for the whole run.
 * Prints one summary line; the driver (tests/soak/run.sh) checks the
 * server. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include <spice/vd_agent.h>
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

static int link_ok(uint8_t type, uint32_t conn, uint8_t *enc_out);

static size_t msg(uint8_t *out, uint16_t type, const void *body, uint32_t n)
{
	sf_put_le16(out, type);
	sf_put_le32(out + 2, n);
	memcpy(out + 6, body, n);
	return 6 + n;
}

/* Messages a well-behaved client of channel @type sends after linking. */
static size_t channel_messages(uint8_t *out, uint8_t type)
{
	uint8_t b[64] = {0};
	size_t n = 0;

	switch (type) {
	case SPICE_CHANNEL_MAIN:
		n += msg(out + n, SPICE_MSGC_MAIN_ATTACH_CHANNELS, b, 0);
		sf_put_le16(b, SPICE_MOUSE_MODE_CLIENT);
		n += msg(out + n, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, b, 2);
		sf_put_le32(b, 10);
		n += msg(out + n, SPICE_MSGC_MAIN_AGENT_START, b, 4);
		sf_put_le32(b, VD_AGENT_PROTOCOL), sf_put_le32(b + 4, VD_AGENT_CLIPBOARD_RELEASE);
		sf_put_le32(b + 16, 4);
		n += msg(out + n, SPICE_MSGC_MAIN_AGENT_DATA, b, 24);
		sf_put_le32(b, 5);
		n += msg(out + n, SPICE_MSGC_MAIN_AGENT_TOKEN, b, 4);
		memset(b, 0, sizeof(b));
		n += msg(out + n, SPICE_MSGC_PONG, b, 12);
		break;
	case SPICE_CHANNEL_DISPLAY:
		n += msg(out + n, SPICE_MSGC_ACK_SYNC, b, 4);
		b[0] = 1, b[9] = 1; /* pixmap cache id 1, GLZ dictionary id 1 */
		n += msg(out + n, SPICE_MSGC_DISPLAY_INIT, b, 14);
		memset(b, 0, sizeof(b));
		n += msg(out + n, SPICE_MSGC_ACK, b, 0);
		b[0] = SPICE_IMAGE_COMPRESSION_LZ4;
		n += msg(out + n, SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION, b, 1);
		break;
	case SPICE_CHANNEL_CURSOR:
		n += msg(out + n, SPICE_MSGC_ACK_SYNC, b, 4);
		n += msg(out + n, SPICE_MSGC_ACK, b, 0);
		break;
	case SPICE_CHANNEL_INPUTS:
		sf_put_le32(b, 0x1e);
		n += msg(out + n, SPICE_MSGC_INPUTS_KEY_DOWN, b, 4);
		n += msg(out + n, SPICE_MSGC_INPUTS_KEY_UP, b, 4);
		for (int i = 0; i < 4; i++) /* mouse positions */
			n += msg(out + n, SPICE_MSGC_INPUTS_MOUSE_POSITION, b, 11);
		n += msg(out + n, SPICE_MSGC_INPUTS_MOUSE_MOTION, b, 10);
		b[0] = SPICE_MOUSE_BUTTON_LEFT;
		n += msg(out + n, SPICE_MSGC_INPUTS_MOUSE_PRESS, b, 3);
		n += msg(out + n, SPICE_MSGC_INPUTS_MOUSE_RELEASE, b, 3);
		n += msg(out + n, SPICE_MSGC_INPUTS_KEY_MODIFIERS, b, 2);
		break;
	case SPICE_CHANNEL_PORT:
		memset(b, 'x', sizeof(b));
		n += msg(out + n, SPICE_MSGC_SPICEVMC_DATA, b, sizeof(b));
		b[0] = SPICE_PORT_EVENT_OPENED;
		n += msg(out + n, SPICE_MSGC_PORT_EVENT, b, 1);
		break;
	}
	return n;
}

/* A full, valid client byte stream for channel @type: link header and
 * message, auth mechanism, ticket (needs the server's key: fetched with a
 * first real link), then the channel's messages. */
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
	return n + channel_messages(out + n, type);
}

/* A session that sends agent data without waiting for tokens: the server
 * must cut it off (its agent takes data slowly) and nobody else notices.
 * Returns 1 when the server closed it, 0 if not, -1 on setup failure. */
static int agent_flood(void)
{
	uint8_t enc[128], buf[8192], b[64] = {0};
	int fd = link_ok(SPICE_CHANNEL_MAIN, 0, enc), closed = 0;
	size_t n = 0;

	if (fd < 0)
		return -1;
	sf_put_le32(b, 10);
	n += msg(buf + n, SPICE_MSGC_MAIN_AGENT_START, b, 4);
	if (send(fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n)
		return close(fd), -1;
	sf_put_le32(b, VD_AGENT_PROTOCOL), sf_put_le32(b + 4, VD_AGENT_CLIPBOARD_RELEASE);
	sf_put_le32(b + 16, 4);
	for (int i = 0; i < 200 && !closed; i++) {
		n = msg(buf, SPICE_MSGC_MAIN_AGENT_DATA, b, 24);
		if (send(fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n)
			closed = 1;
	}
	while (!closed) { /* drain until the server hangs up (SO_RCVTIMEO bounds it) */
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			closed = 1;
		else if (r < 0)
			break;
	}
	close(fd);
	return closed;
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
	size_t len, max_len = 0;
	double t0, t1;
	int agent_cut;
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
	agent_cut = agent_flood();
	/* cut at every byte of a valid exchange, round robin over channel kinds:
	 * cycle i of kind k cuts stream k at byte (i / NKINDS) mod (length + 1) */
	t0 = now_s();
	for (int i = 0; i < cycles; i++) {
		static const uint8_t kinds[] = {SPICE_CHANNEL_MAIN, SPICE_CHANNEL_DISPLAY,
						SPICE_CHANNEL_CURSOR, SPICE_CHANNEL_INPUTS,
						SPICE_CHANNEL_PORT};
		uint8_t type = kinds[i % 5];
		size_t cut;
		int fd = dial();
		if (fd < 0) {
			failed_dials++;
			continue;
		}
		len = script(buf, type, type == SPICE_CHANNEL_MAIN ? 0 : session, enc);
		cut = (size_t)(i / 5) % (len + 1);
		max_len = len > max_len ? len : max_len;
		if (cut && send(fd, buf, cut, MSG_NOSIGNAL) < 0)
			failed_dials += 0; /* the server may have closed already: fine */
		close(fd);
	}
	t1 = now_s();
	printf("soak: cycles=%d seconds=%.2f per_second=%.0f failed_dials=%d inputs_flood=%ld "
	       "stalled_display=%s agent_flood_cut=%s longest_stream=%zu\n",
	       cycles, t1 - t0, cycles / (t1 - t0), failed_dials, flood,
	       stall_fd >= 0 ? "yes" : "no", agent_cut == 1 ? "yes" : "no", max_len);
	fflush(stdout);
	/* the stalled client stays until the driver has checked the others */
	if (argc > 3)
		sleep((unsigned)atoi(argv[3]));
	close(in_fd);
	close(stall_fd);
	close(main_fd);
	return 0;
}
