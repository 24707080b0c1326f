/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/link.c: link handshake state machine. One struct per pending
 * connection, bounded in count, size and time; pre-auth input never allocates
 * more than the fixed buffer below (spice's CVE-2013-4282 and CVE-2016-9578
 * class). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "channels/link.h"
#include "channels/wire.h"
#include "channels/tls.h"
#include "engine/log.h"

SF_LOG_TOPIC("link");

#define HDR_SIZE    16
#define TICKET_SIZE (SPICE_TICKET_KEY_PAIR_LENGTH / 8)
#define MAX_PENDING 256

enum state { ST_TLS, ST_HEADER, ST_BODY, ST_AUTH, ST_TICKET };

struct conn {
	struct sf_linker *l;
	struct conn *prev, *next;
	int fd;
	SSL *ssl;
	struct sf_watch *watch;
	struct sf_timer *timer;
	enum state st;
	bool trusted;
	uint32_t need; /* bytes wanted for the current state */
	uint32_t have;
	struct sf_link_info info;
	uint8_t buf[SF_LINK_MAX_SIZE + HDR_SIZE];
};

struct sf_linker {
	struct sf_loop *loop;
	struct sf_ticket *ticket;
	const struct sf_link_ops *ops;
	void *data;
	unsigned timeout_ms;
	unsigned npending;
	struct conn *conns;
	struct sf_ratelimit rl;
};

uint32_t sf_link_parse_header(const uint8_t *p, size_t len, uint32_t *body_size)
{
	struct sf_rbuf r;
	uint32_t magic, major, size;

	sf_rbuf_init(&r, p, len);
	magic = sf_rbuf_u32(&r);
	major = sf_rbuf_u32(&r);
	(void)sf_rbuf_u32(&r); /* minor: any is accepted, as spice-server does */
	size = sf_rbuf_u32(&r);
	if (r.err)
		return SPICE_LINK_ERR_INVALID_DATA;
	if (magic != SPICE_MAGIC)
		return SPICE_LINK_ERR_INVALID_MAGIC;
	if (major != SPICE_VERSION_MAJOR)
		return SPICE_LINK_ERR_VERSION_MISMATCH;
	if (size < sizeof(SpiceLinkMess) || size > SF_LINK_MAX_SIZE)
		return SPICE_LINK_ERR_INVALID_DATA;
	*body_size = size;
	return SPICE_LINK_ERR_OK;
}

static void read_caps(struct sf_rbuf *r, uint32_t n, uint32_t *out)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v = sf_rbuf_u32(r);
		if (i < SF_CAPS_WORDS)
			out[i] = v;
	}
}

uint32_t sf_link_parse_mess(const uint8_t *p, size_t len, struct sf_link_info *info)
{
	struct sf_rbuf r;
	uint32_t off;

	memset(info, 0, sizeof(*info));
	sf_rbuf_init(&r, p, len);
	info->connection_id = sf_rbuf_u32(&r);
	info->channel_type = sf_rbuf_u8(&r);
	info->channel_id = sf_rbuf_u8(&r);
	info->num_common_caps = sf_rbuf_u32(&r);
	info->num_channel_caps = sf_rbuf_u32(&r);
	off = sf_rbuf_u32(&r);
	if (r.err)
		return SPICE_LINK_ERR_INVALID_DATA;
	/* 64-bit sums: the counts are attacker-chosen */
	if (off < sizeof(SpiceLinkMess) || off > len ||
	    ((uint64_t)info->num_common_caps + info->num_channel_caps) * 4 > len - off)
		return SPICE_LINK_ERR_INVALID_DATA;
	r.pos = off;
	read_caps(&r, info->num_common_caps, info->common_caps);
	read_caps(&r, info->num_channel_caps, info->channel_caps);
	if (r.err)
		return SPICE_LINK_ERR_INVALID_DATA;
	info->num_common_caps = SF_MIN(info->num_common_caps, SF_CAPS_WORDS);
	info->num_channel_caps = SF_MIN(info->num_channel_caps, SF_CAPS_WORDS);
	info->mini_header = sf_caps_test(info->common_caps, info->num_common_caps,
					 SPICE_COMMON_CAP_MINI_HEADER);
	return SPICE_LINK_ERR_OK;
}

bool sf_caps_test(const uint32_t *caps, uint32_t n, unsigned bit)
{
	return bit / 32 < n && (caps[bit / 32] >> (bit % 32)) & 1;
}

static void conn_close(struct conn *c)
{
	struct sf_linker *l = c->l;

	sf_loop_watch_remove(c->watch);
	sf_loop_timer_remove(c->timer);
	SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->npending--;
	free(c);
}

static void conn_fail(struct conn *c, const char *why)
{
	if (sf_ratelimit_test(&c->l->rl))
		sf_log_warn("%p: link from fd %d rejected: %s", (void *)c, c->fd, why);
	conn_close(c);
}

const char *sf_link_err_str(uint32_t err)
{
	static const char *const names[] = {"ok",
					    "error",
					    "invalid magic",
					    "invalid data",
					    "version mismatch",
					    "need secured",
					    "need unsecured",
					    "permission denied",
					    "bad connection id",
					    "channel not available"};
	return err < SF_ARRAY_SIZE(names) ? names[err] : "unknown link error";
}

static bool send_all(struct conn *c, const void *p, size_t n)
{
	struct iovec iov = {(void *)p, n};

	if (c->ssl)
		return sf_tls_writev(c->ssl, &iov, 1) == (ssize_t)n;
	return send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n;
}

static void send_reply(struct conn *c, uint32_t err)
{
	uint8_t out[HDR_SIZE + sizeof(SpiceLinkReply) + 8];
	uint32_t ncaps = err == SPICE_LINK_ERR_OK ? 2 : 0;
	uint32_t body = sizeof(SpiceLinkReply) + 4 * ncaps;
	uint32_t common = (1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION) |
			  (1u << SPICE_COMMON_CAP_AUTH_SPICE) |
			  (1u << SPICE_COMMON_CAP_MINI_HEADER);
	uint8_t *p = out;

	memset(out, 0, sizeof(out));
	sf_put_le32(p, SPICE_MAGIC);
	sf_put_le32(p + 4, SPICE_VERSION_MAJOR);
	sf_put_le32(p + 8, SPICE_VERSION_MINOR);
	sf_put_le32(p + 12, body);
	p += HDR_SIZE;
	sf_put_le32(p, err);
	if (err == SPICE_LINK_ERR_OK)
		memcpy(p + 4, sf_ticket_pubkey(c->l->ticket), SPICE_TICKET_PUBKEY_BYTES);
	p += 4 + SPICE_TICKET_PUBKEY_BYTES;
	sf_put_le32(p, ncaps ? 1 : 0);
	sf_put_le32(p + 4, ncaps ? 1 : 0);
	sf_put_le32(p + 8, sizeof(SpiceLinkReply));
	p += 12;
	if (ncaps) {
		sf_put_le32(p, common);
		sf_put_le32(p + 4, c->l->ops->channel_caps(c->l->data, c->info.channel_type));
	}
	if (!send_all(c, out, HDR_SIZE + body))
		err = SPICE_LINK_ERR_ERROR;
	if (err != SPICE_LINK_ERR_OK) {
		conn_fail(c, sf_link_err_str(err));
		return;
	}
	c->st = sf_caps_test(c->info.common_caps, c->info.num_common_caps,
			     SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION)
			? ST_AUTH
			: ST_TICKET;
	c->need = c->st == ST_AUTH ? 4 : TICKET_SIZE;
	c->have = 0;
}

static void finish(struct conn *c)
{
	struct sf_linker *l = c->l;
	uint32_t err =
		c->trusted ? SPICE_LINK_ERR_OK : sf_ticket_check(l->ticket, c->buf, time(NULL));
	uint8_t res[4];
	int fd;

	c->info.ssl = c->ssl; /* check() applies the channel security policy */
	if (err == SPICE_LINK_ERR_OK)
		err = l->ops->check(l->data, &c->info);
	sf_put_le32(res, err);
	if (!send_all(c, res, 4) || err != SPICE_LINK_ERR_OK) {
		conn_fail(c,
			  sf_link_err_str(err == SPICE_LINK_ERR_OK ? SPICE_LINK_ERR_ERROR : err));
		return;
	}
	fd = c->fd;
	c->fd = -1;
	struct sf_link_info info = c->info;
	info.ssl = c->ssl; /* moves with the fd */
	c->ssl = NULL;
	conn_close(c);
	l->ops->adopt(l->data, fd, &info);
}

/* Returns false if @c was freed. */
static bool step(struct conn *c)
{
	uint32_t err, size;

	switch (c->st) {
	case ST_TLS: /* handled in on_readable() */
		return true;
	case ST_HEADER:
		err = sf_link_parse_header(c->buf, HDR_SIZE, &size);
		if (err != SPICE_LINK_ERR_OK) {
			send_reply(c, err);
			return false;
		}
		c->st = ST_BODY;
		c->need = size;
		c->have = 0;
		return true;
	case ST_BODY:
		err = sf_link_parse_mess(c->buf, c->need, &c->info);
		send_reply(c, err);
		return err == SPICE_LINK_ERR_OK;
	case ST_AUTH:
		if (sf_get_le32(c->buf) != SPICE_COMMON_CAP_AUTH_SPICE) {
			uint8_t res[4];
			sf_put_le32(res, SPICE_LINK_ERR_INVALID_DATA);
			send_all(c, res, 4);
			conn_fail(c, "unsupported auth mechanism");
			return false;
		}
		c->st = ST_TICKET;
		c->need = TICKET_SIZE;
		c->have = 0;
		return true;
	case ST_TICKET:
		finish(c);
		return false;
	}
	return false;
}

static void on_readable(void *data, int fd, uint32_t events)
{
	struct conn *c = data;

	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		conn_fail(c, "hang-up during link");
		return;
	}
	if (c->st == ST_TLS) {
		int r = sf_tls_handshake(c->ssl);
		if (r < 0) {
			conn_fail(c, "TLS handshake failed");
			return;
		}
		if (r == 0)
			return;
		c->st = ST_HEADER;
		sf_loop_watch_update(c->watch, EPOLLIN);
	}
	for (int rounds = 0; rounds < 8; rounds++) {
		ssize_t n = c->ssl ? sf_tls_read(c->ssl, c->buf + c->have, c->need - c->have)
				   : recv(fd, c->buf + c->have, c->need - c->have, 0);
		if (c->ssl && n < 0) {
			if (n != -EAGAIN)
				conn_fail(c, "TLS read error during link");
			return;
		}
		if (n == 0) {
			conn_fail(c, "eof during link");
			return;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_fail(c, "read error during link");
			return;
		}
		c->have += (uint32_t)n;
		if (c->have == c->need && !step(c))
			return;
	}
}

static void on_timeout(void *data)
{
	conn_fail(data, "link timeout");
}

struct sf_linker *sf_linker_create(struct sf_loop *loop, struct sf_ticket *ticket,
				   const struct sf_link_ops *ops, void *data)
{
	struct sf_linker *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->loop = loop;
	l->ticket = ticket;
	l->ops = ops;
	l->data = data;
	l->timeout_ms = 10000;
	l->rl = (struct sf_ratelimit)SF_RATELIMIT_INIT(1000, 20);
	return l;
}

void sf_linker_destroy(struct sf_linker *l)
{
	if (!l)
		return;
	while (l->conns)
		conn_close(l->conns);
	free(l);
}

void sf_linker_set_timeout(struct sf_linker *l, unsigned ms)
{
	l->timeout_ms = ms;
}

unsigned sf_linker_pending(const struct sf_linker *l)
{
	return l->npending;
}

static struct conn *accept_conn(struct sf_linker *l, int fd);

int sf_linker_accept(struct sf_linker *l, int fd)
{
	return accept_conn(l, fd) ? 0 : -ENOMEM;
}

int sf_linker_accept_tls(struct sf_linker *l, int fd, void *ssl, bool trusted)
{
	struct conn *c = accept_conn(l, fd);

	if (!c) {
		SSL_free(ssl);
		return -ENOMEM;
	}
	c->ssl = ssl;
	c->trusted = trusted;
	c->st = ST_TLS;
	/* the handshake may need to write as well as read */
	sf_loop_watch_update(c->watch, EPOLLIN | EPOLLOUT);
	return 0;
}

int sf_linker_accept_trusted(struct sf_linker *l, int fd)
{
	struct conn *c = accept_conn(l, fd);

	if (!c)
		return -ENOMEM;
	c->trusted = true;
	return 0;
}

/* Returns NULL (fd closed) on failure. */
static struct conn *accept_conn(struct sf_linker *l, int fd)
{
	struct conn *c;

	if (l->npending >= MAX_PENDING) {
		close(fd);
		return NULL;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	memset(c, 0, offsetof(struct conn, buf));
	c->l = l;
	c->fd = fd;
	c->st = ST_HEADER;
	c->need = HDR_SIZE;
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->npending++;
	c->watch = sf_loop_watch_add(l->loop, fd, EPOLLIN, on_readable, c);
	c->timer = sf_loop_timer_add(l->loop, on_timeout, c);
	if (!c->watch || !c->timer || sf_loop_timer_arm(c->timer, l->timeout_ms, false) < 0) {
		conn_close(c);
		return NULL;
	}
	return c;
}
