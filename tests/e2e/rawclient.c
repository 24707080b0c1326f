/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/rawclient.c: speaks the SPICE link protocol byte by byte to test
 * how the server treats bad link input: wrong magic and version, huge and
 * inconsistent sizes, truncation, wrong tickets, unknown connection ids and
 * garbage after a good link. A good connection opened first must survive all
 * of it, and a new client must still be served. Prints "ok N - name" or
 * "not ok N - name" per case (TAP); exit status is the number of failures. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include "channels/ticket.h"
#include "channels/wire.h"

static int g_port;
static const char *g_password = "";
static int g_case, g_failed;

static int dial(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
	struct timeval tv = {.tv_sec = 5};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		exit(100);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool read_full(int fd, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, (uint8_t *)p + got, n - got, 0);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void write_full(int fd, const void *p, size_t n)
{
	if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) {
		/* the server may already have closed: that is what some cases expect */
	}
}

/* True if the peer closes within 5 s (EOF or reset), reading anything else. */
static bool closes(int fd)
{
	uint8_t buf[4096];
	for (int i = 0; i < 1000; i++) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return true;
		if (r < 0)
			return false; /* timeout */
	}
	return false;
}

static void header(uint8_t *h, uint32_t magic, uint32_t major, uint32_t size)
{
	sf_put_le32(h, magic);
	sf_put_le32(h + 4, major);
	sf_put_le32(h + 8, SPICE_VERSION_MINOR);
	sf_put_le32(h + 12, size);
}

/* Link message: 18 bytes + one common caps word + one channel caps word. */
static size_t link_mess(uint8_t *p, uint32_t conn_id, uint8_t type, uint32_t ncommon)
{
	uint32_t caps = (1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION) |
			(1u << SPICE_COMMON_CAP_AUTH_SPICE) | (1u << SPICE_COMMON_CAP_MINI_HEADER);
	sf_put_le32(p, conn_id);
	p[4] = type;
	p[5] = 0;
	sf_put_le32(p + 6, ncommon);
	sf_put_le32(p + 10, 1);
	sf_put_le32(p + 14, 18);
	sf_put_le32(p + 18, caps);
	sf_put_le32(p + 22, 0);
	return 26;
}

/* Returns the link reply's error field, or -1 if none arrived. */
static int64_t read_reply(int fd, uint8_t *pubkey)
{
	uint8_t h[16], body[512];
	uint32_t size;

	if (!read_full(fd, h, 16))
		return -1;
	size = sf_get_le32(h + 12);
	if (sf_get_le32(h) != SPICE_MAGIC || size < 4 || size > sizeof(body) ||
	    !read_full(fd, body, size))
		return -1;
	if (pubkey && size >= 4 + SPICE_TICKET_PUBKEY_BYTES)
		memcpy(pubkey, body + 4, SPICE_TICKET_PUBKEY_BYTES);
	return sf_get_le32(body);
}

/* Full handshake; returns the final link result or -1. */
static int64_t do_link(int fd, uint32_t conn_id, uint8_t type, const char *password)
{
	uint8_t buf[64], pub[SPICE_TICKET_PUBKEY_BYTES], enc[128], res[4];
	size_t n = link_mess(buf + 16, conn_id, type, 1);
	int64_t e;

	header(buf, SPICE_MAGIC, SPICE_VERSION_MAJOR, (uint32_t)n);
	write_full(fd, buf, 16 + n);
	e = read_reply(fd, pub);
	if (e != SPICE_LINK_ERR_OK)
		return e;
	sf_put_le32(buf, SPICE_COMMON_CAP_AUTH_SPICE);
	write_full(fd, buf, 4);
	if (sf_ticket_encrypt(pub, sizeof(pub), password, enc) < 0)
		return -1;
	write_full(fd, enc, sizeof(enc));
	if (!read_full(fd, res, 4))
		return -1;
	return sf_get_le32(res);
}

/* Read mini-header messages until one of @type arrives; returns its size or -1. */
static int64_t expect_msg(int fd, uint16_t type, uint8_t *body, size_t cap)
{
	for (int i = 0; i < 32; i++) {
		static uint8_t skip[1 << 20]; /* the net test's ping is 250 KB */
		uint8_t h[6];
		uint32_t size;
		if (!read_full(fd, h, 6))
			return -1;
		size = sf_get_le32(h + 2);
		if (size > sizeof(skip) || !read_full(fd, skip, size))
			return -1;
		if (sf_get_le16(h) == type) {
			memcpy(body, skip, SF_MIN(size, cap));
			return size;
		}
	}
	return -1;
}

static void send_msg(int fd, uint16_t type, const void *body, uint32_t size)
{
	uint8_t h[6];
	sf_put_le16(h, type);
	sf_put_le32(h + 2, size);
	write_full(fd, h, 6);
	if (size)
		write_full(fd, body, size);
}

static void report(bool ok, const char *name)
{
	g_case++;
	if (!ok)
		g_failed++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", g_case, name);
	fflush(stdout);
}

static void expect_link_error(const char *name, uint32_t magic, uint32_t major, uint32_t size,
			      uint32_t want)
{
	int fd = dial();
	uint8_t h[16];

	header(h, magic, major, size);
	write_full(fd, h, 16);
	report(read_reply(fd, NULL) == want && closes(fd), name);
	close(fd);
}

static int good_main(uint32_t *session)
{
	int fd = dial();
	uint8_t init[32];

	if (do_link(fd, 0, SPICE_CHANNEL_MAIN, g_password) != SPICE_LINK_ERR_OK ||
	    expect_msg(fd, SPICE_MSG_MAIN_INIT, init, sizeof(init)) < 32) {
		close(fd);
		return -1;
	}
	*session = sf_get_le32(init);
	return fd;
}

static void run_bad_cases(uint32_t session)
{
	uint8_t buf[128];
	int fd;
	size_t n;

	expect_link_error("wrong magic", 0x51444552 ^ 0xff, 2, 26, SPICE_LINK_ERR_INVALID_MAGIC);
	expect_link_error("wrong major version", SPICE_MAGIC, 9, 26,
			  SPICE_LINK_ERR_VERSION_MISMATCH);
	expect_link_error("huge link size", SPICE_MAGIC, 2, 0x7fffffff,
			  SPICE_LINK_ERR_INVALID_DATA);
	expect_link_error("link size below minimum", SPICE_MAGIC, 2, 3,
			  SPICE_LINK_ERR_INVALID_DATA);

	fd = dial(); /* caps counts that overflow the message */
	n = link_mess(buf + 16, 0, SPICE_CHANNEL_MAIN, 0x40000000);
	header(buf, SPICE_MAGIC, 2, (uint32_t)n);
	write_full(fd, buf, 16 + n);
	report(read_reply(fd, NULL) == SPICE_LINK_ERR_INVALID_DATA && closes(fd),
	       "caps count overflowing the message");
	close(fd);

	fd = dial(); /* truncated: header promises 26 bytes, 10 arrive */
	n = link_mess(buf + 16, 0, SPICE_CHANNEL_MAIN, 1);
	header(buf, SPICE_MAGIC, 2, (uint32_t)n);
	write_full(fd, buf, 26);
	report(closes(fd), "truncated link message times out");
	close(fd);

	fd = dial();
	report(do_link(fd, 0, SPICE_CHANNEL_MAIN, "not-the-password") ==
			       SPICE_LINK_ERR_PERMISSION_DENIED &&
		       closes(fd),
	       "wrong ticket");
	close(fd);

	fd = dial();
	report(do_link(fd, session ^ 0x5a5a5a5a, SPICE_CHANNEL_DISPLAY, g_password) ==
			       SPICE_LINK_ERR_BAD_CONNECTION_ID &&
		       closes(fd),
	       "unknown connection id");
	close(fd);

	fd = dial();
	report(do_link(fd, session, 42, g_password) == SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE &&
		       closes(fd),
	       "unknown channel type");
	close(fd);

	fd = dial(); /* garbage after a good link: a message larger than allowed */
	if (do_link(fd, 0, SPICE_CHANNEL_MAIN, g_password) == SPICE_LINK_ERR_OK) {
		memset(buf, 0xa5, sizeof(buf));
		sf_put_le16(buf, SPICE_MSGC_MAIN_ATTACH_CHANNELS);
		sf_put_le32(buf + 2, 0xfffffff0);
		write_full(fd, buf, sizeof(buf));
		report(closes(fd), "oversized message after link");
	} else {
		report(false, "oversized message after link");
	}
	close(fd);

	fd = dial(); /* garbage after a good link: unknown message type */
	if (do_link(fd, session, SPICE_CHANNEL_INPUTS, g_password) == SPICE_LINK_ERR_OK) {
		send_msg(fd, 0x7777, "junk", 4);
		report(closes(fd), "unknown message type after link");
	} else {
		report(false, "unknown message type after link");
	}
	close(fd);

	fd = dial(); /* garbage after a good link: short inputs message */
	if (do_link(fd, session, SPICE_CHANNEL_INPUTS, g_password) == SPICE_LINK_ERR_OK) {
		send_msg(fd, SPICE_MSGC_INPUTS_MOUSE_POSITION, "\1\2\3", 3);
		report(closes(fd), "truncated inputs message after link");
	} else {
		report(false, "truncated inputs message after link");
	}
	close(fd);

	fd = dial(); /* random bytes instead of a link message */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	write_full(fd, buf, sizeof(buf));
	report(read_reply(fd, NULL) == SPICE_LINK_ERR_INVALID_MAGIC && closes(fd),
	       "random bytes instead of link");
	close(fd);
}

/* The server was started with a limit of one client. */
static int limit_test(void)
{
	uint32_t session;
	int held = good_main(&session), fd, again = -1;

	report(held >= 0, "first client is served");
	fd = dial();
	report(do_link(fd, 0, SPICE_CHANNEL_MAIN, g_password) == SPICE_LINK_ERR_ERROR && closes(fd),
	       "second client refused at the limit");
	close(fd);
	close(held);
	for (int i = 0; i < 50 && again < 0; i++) { /* the server notices the close */
		usleep(100000);
		again = good_main(&session);
	}
	report(again >= 0, "a client is served again once the first left");
	if (again >= 0)
		close(again);
	printf("1..%d\n", g_case);
	return g_failed;
}

int main(int argc, char **argv)
{
	uint32_t session = 0;
	uint8_t body[256];
	int held;

	if (argc < 2) {
		fprintf(stderr, "usage: rawclient PORT [PASSWORD]\n");
		return 100;
	}
	g_port = atoi(argv[1]);
	if (argc > 2)
		g_password = argv[2];
	if (argc > 3 && strcmp(argv[3], "limit1") == 0)
		return limit_test();
	if (argc > 3 && strcmp(argv[3], "need-secured") == 0) {
		int fd = dial();
		report(do_link(fd, 0, SPICE_CHANNEL_MAIN, g_password) ==
				       SPICE_LINK_ERR_NEED_SECURED &&
			       closes(fd),
		       "plain link to a secure-only server gets NEED_SECURED");
		close(fd);
		printf("1..%d\n", g_case);
		return g_failed;
	}
	held = good_main(&session);
	report(held >= 0, "good client links (held through the bad ones)");
	if (held >= 0) {
		int64_t n = expect_msg(held, SPICE_MSG_PING, body, sizeof(body));
		report(n >= 12, "server pings a new session");
		send_msg(held, SPICE_MSGC_PONG, body, 12);
	}
	run_bad_cases(session);
	if (held >= 0) {
		send_msg(held, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
		report(expect_msg(held, SPICE_MSG_MAIN_CHANNELS_LIST, body, sizeof(body)) >= 4,
		       "held client still served");
		close(held);
	}
	held = good_main(&session);
	report(held >= 0, "new client served after the bad ones");
	if (held >= 0)
		close(held);
	printf("1..%d\n", g_case);
	return g_failed;
}
