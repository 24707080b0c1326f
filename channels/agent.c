/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/agent.c: vdagent multiplexing. The device stream is VDIChunks
 * (port, size, data); chunk data on VDP_CLIENT_PORT carries VDAgentMessages
 * which the same filter as spice-server's walks in both directions: every
 * chunk either starts with a message header or continues the message in
 * progress. That gives the message boundaries used to join late listeners,
 * to keep clients' messages from interleaving, and to drop clipboard or
 * file-transfer traffic when it is disabled. */
#include <errno.h>
#include <string.h>
#include <spice/enums.h>
#include <spice/vd_agent.h>
#include "channels/agent.h"
#include "channels/marshal.h"
#include "channels/wire.h"
#include "engine/log.h"

SF_LOG_TOPIC("agent");

#define CHUNK_HDR	  8  /* VDIChunkHeader */
#define MSG_HDR		  20 /* VDAgentMessage */
#define MAX_DATA	  VD_AGENT_MAX_DATA_SIZE
#define TOKENS_BATCH	  5
#define READ_ROUNDS	  256
#define RETRY_MS	  10
#define MAX_MONITORS	  256
#define MONITORS_CFG_SIZE (8 + MAX_MONITORS * 20) /* VDAgentMonitorsConfig */

enum filter_result { F_OK, F_DISCARD, F_MONITORS, F_ERROR };

struct msg_filter {
	uint32_t to_read; /* bytes left of the message in progress */
	enum filter_result result;
};

struct chunk {
	uint32_t len;
	bool msg_end;
	uint8_t data[CHUNK_HDR + MAX_DATA];
};

struct sf_agent_client {
	struct sf_agent *a;
	struct sf_chan *main;
	struct sf_agent_client *next;
	bool started; /* AGENT_START seen since the device (re)appeared */
	bool joining; /* started mid-message: wait for the next one */
	uint32_t send_tokens;
	struct chunk *q[SF_AGENT_CLIENT_TOKENS];
	unsigned qhead, qlen;
	uint32_t wpos;	 /* bytes of q[qhead] the device took */
	uint32_t owed;	 /* tokens earned, not yet returned */
	uint32_t tokens; /* AGENT_DATA the client may still send */
	struct msg_filter wf;
	uint8_t *mc; /* a monitors config being reassembled */
	uint32_t mc_len;
};

struct sf_agent {
	struct sf_loop *loop;
	const struct sf_chardev_ops *ops; /* NULL: no agent */
	void *opaque;
	struct sf_agent_config cfg;
	bool running, reading, writing;
	struct sf_agent_client *clients;
	struct sf_agent_client *owner; /* its message is being written */
	struct sf_agent_client *last;  /* served last: round robin */
	/* one message of the server's own (VDP_SERVER_PORT), written between
	 * client messages */
	uint8_t srv[CHUNK_HDR + MSG_HDR + 13];
	uint32_t srv_len, srv_pos;
	bool mouse_pending; /* the latest pointer state waits for the slot */
	uint8_t mouse[13];  /* VDAgentMouseState */
	/* the device's output, one chunk at a time */
	uint8_t hdr[CHUNK_HDR];
	uint32_t hdr_have, port, size, have;
	uint8_t data[MAX_DATA];
	struct msg_filter rf;
	struct sf_timer *retry;
	struct sf_agent_stats st;
	struct sf_ratelimit rl;
};

static void push(struct sf_chan *c, struct sf_buf *b)
{
	if (b)
		sf_chan_push(c, b);
	sf_buf_unref(b);
}

static struct sf_buf *msg_u32(uint16_t type, uint32_t v)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, type, 4);
	sf_wbuf_u32(&w, v);
	return sf_wbuf_finish(&w);
}

static bool monitors_by_display(const struct sf_agent *a)
{
	return a->ops && a->ops->monitors_config && a->ops->monitors_config(a->opaque, NULL, 0);
}

static enum filter_result classify(const struct sf_agent *a, uint32_t type)
{
	switch (type) {
	case VD_AGENT_CLIPBOARD:
	case VD_AGENT_CLIPBOARD_GRAB:
	case VD_AGENT_CLIPBOARD_REQUEST:
	case VD_AGENT_CLIPBOARD_RELEASE:
		return a->cfg.copy_paste ? F_OK : F_DISCARD;
	case VD_AGENT_FILE_XFER_START:
	case VD_AGENT_FILE_XFER_STATUS:
	case VD_AGENT_FILE_XFER_DATA:
		return a->cfg.file_xfer ? F_OK : F_DISCARD;
	default:
		return F_OK;
	}
}

/* One chunk's worth of VDAgentMessage stream: a header starts a message. */
static enum filter_result filter(const struct sf_agent *a, struct msg_filter *f, const uint8_t *p,
				 uint32_t len, bool client_side)
{
	uint32_t type, size;

	if (len > MAX_DATA)
		return F_ERROR;
	if (!f->to_read) {
		if (len < MSG_HDR || sf_get_le32(p) != VD_AGENT_PROTOCOL)
			return F_ERROR;
		type = sf_get_le32(p + 4);
		size = sf_get_le32(p + 16);
		f->result = classify(a, type);
		if (client_side && type == VD_AGENT_MONITORS_CONFIG && monitors_by_display(a))
			f->result = F_MONITORS;
		f->to_read = size;
		len -= MSG_HDR;
	}
	if (len > f->to_read)
		return F_ERROR;
	f->to_read -= len;
	return f->result;
}

/* ---- device to clients ---- */

static bool clients_have_tokens(const struct sf_agent *a)
{
	for (struct sf_agent_client *ac = a->clients; ac; ac = ac->next)
		if (ac->started && !ac->send_tokens)
			return false;
	return true;
}

static void deliver(struct sf_agent *a)
{
	bool starts = a->rf.to_read == 0;
	enum filter_result res;
	struct sf_buf *b;
	struct sf_wbuf w;

	if (a->port != VDP_CLIENT_PORT) {
		a->st.dropped += a->size;
		return;
	}
	res = filter(a, &a->rf, a->data, a->size, false);
	if (res == F_ERROR) {
		if (sf_ratelimit_test(&a->rl))
			sf_log_warn("agent sent a malformed message (chunk of %u bytes); dropped",
				    a->size);
		a->rf.to_read = 0;
		a->st.dropped += a->size;
		return;
	}
	for (struct sf_agent_client *ac = a->clients; starts && ac; ac = ac->next)
		ac->joining = false;
	if (res != F_OK) {
		a->st.filtered += a->size;
		return;
	}
	sf_wbuf_init(&w, SPICE_MSG_MAIN_AGENT_DATA, a->size);
	sf_wbuf_bytes(&w, a->data, a->size);
	b = sf_wbuf_finish(&w);
	for (struct sf_agent_client *ac = a->clients; b && ac; ac = ac->next) {
		if (!ac->started || ac->joining)
			continue;
		sf_chan_push(ac->main, b);
		ac->send_tokens--;
		a->st.from_device += a->size;
	}
	sf_buf_unref(b);
}

/* Returns false when the device has nothing more now. */
static bool read_step(struct sf_agent *a)
{
	int n;

	if (a->hdr_have < CHUNK_HDR) {
		n = a->ops->read(a->opaque, a->hdr + a->hdr_have, (int)(CHUNK_HDR - a->hdr_have));
		if (n <= 0)
			return false;
		a->hdr_have += (uint32_t)SF_MIN(n, (int)(CHUNK_HDR - a->hdr_have));
		if (a->hdr_have < CHUNK_HDR)
			return true;
		a->port = sf_get_le32(a->hdr);
		a->size = sf_get_le32(a->hdr + 4);
		a->have = 0;
		if (a->size > MAX_DATA) {
			if (sf_ratelimit_test(&a->rl))
				sf_log_warn("agent chunk of %u bytes (max %u); resynchronizing",
					    a->size, MAX_DATA);
			a->hdr_have = 0;
			a->rf.to_read = 0;
			return true;
		}
	}
	if (a->have < a->size) {
		n = a->ops->read(a->opaque, a->data + a->have, (int)(a->size - a->have));
		if (n <= 0)
			return false;
		a->have += (uint32_t)SF_MIN(n, (int)(a->size - a->have));
	}
	if (a->have == a->size) {
		deliver(a);
		a->hdr_have = 0;
	}
	return true;
}

static void read_device(struct sf_agent *a)
{
	if (!a->ops || !a->running || a->reading)
		return;
	a->reading = true; /* read() may call wakeup */
	for (int i = 0; i < READ_ROUNDS && a->ops && clients_have_tokens(a); i++)
		if (!read_step(a))
			break;
	a->reading = false;
}

/* ---- clients to device ---- */

static void return_tokens(struct sf_agent_client *ac, bool force)
{
	if (ac->owed && (force || ac->owed >= TOKENS_BATCH)) {
		push(ac->main, msg_u32(SPICE_MSG_MAIN_AGENT_TOKEN, ac->owed));
		ac->tokens += ac->owed;
		ac->owed = 0;
	}
}

static struct sf_agent_client *pick_writer(struct sf_agent *a)
{
	struct sf_agent_client *start = a->last && a->last->next ? a->last->next : a->clients;

	if (a->owner)
		return a->owner->qlen ? a->owner : NULL;
	for (struct sf_agent_client *ac = start; ac; ac = ac->next)
		if (ac->qlen)
			return ac;
	for (struct sf_agent_client *ac = a->clients; ac && ac != start; ac = ac->next)
		if (ac->qlen)
			return ac;
	return NULL;
}

static void pop_chunk(struct sf_agent_client *ac)
{
	free(ac->q[ac->qhead]);
	ac->q[ac->qhead] = NULL;
	ac->qhead = (ac->qhead + 1) % SF_AGENT_CLIENT_TOKENS;
	ac->qlen--;
	ac->wpos = 0;
	ac->owed++;
	return_tokens(ac, ac->qlen == 0);
}

static void server_msg(struct sf_agent *a, uint32_t type, const uint8_t *body, uint32_t size)
{
	uint8_t *p = a->srv;

	sf_put_le32(p, VDP_SERVER_PORT);
	sf_put_le32(p + 4, MSG_HDR + size);
	sf_put_le32(p + 8, VD_AGENT_PROTOCOL);
	sf_put_le32(p + 12, type);
	sf_put_le64(p + 16, 0);
	sf_put_le32(p + 24, size);
	if (size)
		memcpy(p + CHUNK_HDR + MSG_HDR, body, size);
	a->srv_len = CHUNK_HDR + MSG_HDR + size;
	a->srv_pos = 0;
}

/* The slot is free: the newest pointer state goes next. */
static void refill_server_slot(struct sf_agent *a)
{
	if (a->srv_len || !a->mouse_pending)
		return;
	a->mouse_pending = false;
	server_msg(a, VD_AGENT_MOUSE_STATE, a->mouse, sizeof(a->mouse));
}

/* Returns false when the device took nothing. */
static bool write_server_msg(struct sf_agent *a)
{
	int n = a->ops->write(a->opaque, a->srv + a->srv_pos, (int)(a->srv_len - a->srv_pos));

	if (n <= 0)
		return false;
	a->srv_pos += (uint32_t)SF_MIN(n, (int)(a->srv_len - a->srv_pos));
	if (a->srv_pos == a->srv_len) {
		a->srv_len = a->srv_pos = 0;
		refill_server_slot(a);
	}
	return true;
}

/* Returns false when the device took nothing. */
static bool write_client_chunk(struct sf_agent *a, struct sf_agent_client *ac)
{
	struct chunk *ch = ac->q[ac->qhead];
	int n = a->ops->write(a->opaque, ch->data + ac->wpos, (int)(ch->len - ac->wpos));

	if (n <= 0)
		return false;
	a->owner = ac;
	ac->wpos += (uint32_t)SF_MIN(n, (int)(ch->len - ac->wpos));
	a->st.to_device += (uint64_t)n;
	if (ac->wpos == ch->len) {
		a->owner = ch->msg_end ? NULL : ac;
		a->last = ac;
		pop_chunk(ac);
	}
	return true;
}

/* One writer at a time: the message in progress (a client's or the
 * server's own) finishes before another starts. */
static void write_device(struct sf_agent *a)
{
	struct sf_agent_client *ac;

	if (a->writing)
		return;
	a->writing = true;
	while (a->ops && a->running) {
		bool ok;
		if (a->srv_len && (a->srv_pos || !a->owner))
			ok = write_server_msg(a);
		else if ((ac = pick_writer(a)))
			ok = write_client_chunk(a, ac);
		else
			break;
		if (!ok) {
			sf_loop_timer_arm(a->retry, RETRY_MS, false);
			break;
		}
	}
	a->writing = false;
}

/* The last client left: tell the agent, as spice-server does, so it drops
 * clipboard ownership and the like. */
static void send_client_disconnected(struct sf_agent *a)
{
	a->mouse_pending = false;
	if (a->srv_len && !a->srv_pos)
		a->srv_len = 0; /* an unsent pointer update no longer matters */
	if (a->srv_len)
		return; /* mid-write: rare; the agent sees the client go by its silence */
	server_msg(a, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0);
	write_device(a);
}

void sf_agent_mouse(struct sf_agent *a, uint32_t x, uint32_t y, uint32_t buttons,
		    uint8_t display_id)
{
	if (!a->ops)
		return;
	sf_put_le32(a->mouse, x);
	sf_put_le32(a->mouse + 4, y);
	sf_put_le32(a->mouse + 8, buttons);
	a->mouse[12] = display_id;
	a->mouse_pending = true;
	if (a->srv_len && !a->srv_pos && sf_get_le32(a->srv + 12) == VD_AGENT_MOUSE_STATE)
		a->srv_len = 0; /* not started: replaced by the newer state */
	refill_server_slot(a);
	write_device(a);
}

static void drop_queue(struct sf_agent_client *ac)
{
	for (; ac->qlen; ac->qlen--, ac->qhead = (ac->qhead + 1) % SF_AGENT_CLIENT_TOKENS) {
		free(ac->q[ac->qhead]);
		ac->q[ac->qhead] = NULL;
	}
	ac->wpos = 0;
	ac->owed = 0;
	free(ac->mc);
	ac->mc = NULL;
	ac->mc_len = 0;
	ac->wf = (struct msg_filter){0};
}

/* A whole VDAgentMonitorsConfig message (header included) goes to the
 * display device instead of the agent, as spice-server does for QXL. */
static int monitors_config(struct sf_agent_client *ac, const uint8_t *p, uint32_t size)
{
	struct sf_agent *a = ac->a;
	uint32_t msize, n;

	if (!ac->mc && !(ac->mc = malloc(MSG_HDR + MONITORS_CFG_SIZE)))
		return -ENOMEM;
	if (ac->mc_len + size > MSG_HDR + MONITORS_CFG_SIZE)
		return -EMSGSIZE;
	memcpy(ac->mc + ac->mc_len, p, size);
	ac->mc_len += size;
	if (ac->wf.to_read)
		return 0; /* more chunks to come */
	msize = sf_get_le32(ac->mc + 16);
	n = msize >= 8 ? sf_get_le32(ac->mc + MSG_HDR) : 0;
	if (msize < 8 || msize != ac->mc_len - MSG_HDR || n > (msize - 8) / 20)
		return -EPROTO;
	a->ops->monitors_config(a->opaque, ac->mc + MSG_HDR, msize);
	ac->mc_len = 0;
	return 0;
}

int sf_agent_client_data(struct sf_agent_client *ac, const uint8_t *p, uint32_t size)
{
	struct sf_agent *a = ac->a;
	enum filter_result res;
	struct chunk *ch;
	int r;

	if (size > MAX_DATA)
		return -EMSGSIZE;
	if (!a->ops || !ac->started)
		return 0; /* for an agent that left: dropped, as spice-server does */
	if (!ac->tokens)
		return -ENOBUFS; /* more AGENT_DATA than tokens given: a flood */
	ac->tokens--;
	res = filter(a, &ac->wf, p, size, true);
	if (res == F_ERROR)
		return -EPROTO;
	if (res != F_OK) {
		a->st.filtered += size;
		r = res == F_MONITORS ? monitors_config(ac, p, size) : 0;
		ac->owed++;
		return_tokens(ac, true);
		return r;
	}
	ch = malloc(sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	sf_put_le32(ch->data, VDP_CLIENT_PORT);
	sf_put_le32(ch->data + 4, size);
	memcpy(ch->data + CHUNK_HDR, p, size);
	ch->len = CHUNK_HDR + size;
	ch->msg_end = ac->wf.to_read == 0;
	ac->q[(ac->qhead + ac->qlen++) % SF_AGENT_CLIENT_TOKENS] = ch;
	write_device(a);
	return 0;
}

/* ---- clients ---- */

struct sf_agent_client *sf_agent_client_add(struct sf_agent *a, struct sf_chan *main)
{
	struct sf_agent_client *ac = calloc(1, sizeof(*ac));

	if (!ac)
		return NULL;
	ac->a = a;
	ac->main = sf_chan_ref(main);
	ac->tokens = SF_AGENT_CLIENT_TOKENS; /* given in MAIN_INIT */
	ac->next = a->clients;
	a->clients = ac;
	return ac;
}

void sf_agent_client_remove(struct sf_agent_client *ac)
{
	struct sf_agent *a;

	if (!ac)
		return;
	a = ac->a;
	if (a->owner == ac && ac->wpos + ac->qlen)
		sf_log_warn("client left in the middle of an agent message");
	if (a->owner == ac)
		a->owner = NULL;
	if (a->last == ac)
		a->last = NULL;
	for (struct sf_agent_client **pp = &a->clients; *pp; pp = &(*pp)->next)
		if (*pp == ac) {
			*pp = ac->next;
			break;
		}
	drop_queue(ac);
	sf_chan_unref(ac->main);
	free(ac);
	if (!a->clients && a->ops)
		send_client_disconnected(a);
	write_device(a);
	read_device(a); /* it may have been the one without tokens */
}

int sf_agent_client_start(struct sf_agent_client *ac, uint32_t tokens)
{
	struct sf_agent *a = ac->a;

	if (!a->ops)
		return 0;
	if (!ac->started) {
		ac->started = true;
		ac->joining = a->rf.to_read != 0;
	}
	ac->send_tokens = tokens;
	read_device(a);
	return 0;
}

int sf_agent_client_tokens(struct sf_agent_client *ac, uint32_t tokens)
{
	if (!ac->a->ops || !ac->started)
		return 0;
	if (tokens > UINT32_MAX - ac->send_tokens)
		return -EPROTO;
	ac->send_tokens += tokens;
	read_device(ac->a);
	return 0;
}

/* ---- seamless migration ---- */

static void save_filter(struct sf_wbuf *w, const struct msg_filter *f)
{
	sf_wbuf_u32(w, f->to_read);
	sf_wbuf_u8(w, (uint8_t)f->result);
}

static bool load_filter(struct sf_rbuf *r, struct msg_filter *f)
{
	uint32_t to_read = sf_rbuf_u32(r);
	uint8_t res = sf_rbuf_u8(r);

	if (r->err || res > F_MONITORS)
		return false;
	f->to_read = to_read;
	f->result = (enum filter_result)res;
	return true;
}

void sf_agent_client_save(const struct sf_agent_client *ac, struct sf_wbuf *w)
{
	const struct sf_agent *a = ac->a;

	sf_wbuf_u8(w, ac->started);
	sf_wbuf_u8(w, ac->joining);
	sf_wbuf_u8(w, a->owner == ac);
	sf_wbuf_u32(w, ac->tokens);
	sf_wbuf_u32(w, ac->send_tokens);
	sf_wbuf_u32(w, ac->owed);
	sf_wbuf_u32(w, ac->wpos);
	sf_wbuf_u8(w, (uint8_t)ac->qlen);
	for (unsigned i = 0; i < ac->qlen; i++) {
		const struct chunk *ch = ac->q[(ac->qhead + i) % SF_AGENT_CLIENT_TOKENS];
		sf_wbuf_u8(w, ch->msg_end);
		sf_wbuf_u32(w, ch->len - CHUNK_HDR);
		sf_wbuf_bytes(w, ch->data + CHUNK_HDR, ch->len - CHUNK_HDR);
	}
	save_filter(w, &ac->wf);
	sf_wbuf_u32(w, ac->mc_len);
	sf_wbuf_bytes(w, ac->mc, ac->mc_len);
	/* the device side: the server's own message and a half-read chunk */
	sf_wbuf_u32(w, a->srv_len);
	sf_wbuf_u32(w, a->srv_pos);
	sf_wbuf_bytes(w, a->srv, a->srv_len);
	sf_wbuf_u32(w, a->hdr_have);
	sf_wbuf_bytes(w, a->hdr, CHUNK_HDR);
	sf_wbuf_u32(w, a->hdr_have == CHUNK_HDR ? a->have : 0);
	sf_wbuf_bytes(w, a->data, a->hdr_have == CHUNK_HDR ? a->have : 0);
	save_filter(w, &a->rf);
}

static int load_queue(struct sf_agent_client *ac, struct sf_rbuf *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t end = sf_rbuf_u8(r);
		uint32_t len = sf_rbuf_u32(r);
		const uint8_t *p;
		struct chunk *ch;

		if (r->err || end > 1 || len == 0 || len > MAX_DATA)
			return -EBADMSG;
		if (!(p = sf_rbuf_bytes(r, len)))
			return -EBADMSG;
		if (!(ch = malloc(sizeof(*ch))))
			return -ENOMEM;
		sf_put_le32(ch->data, VDP_CLIENT_PORT);
		sf_put_le32(ch->data + 4, len);
		memcpy(ch->data + CHUNK_HDR, p, len);
		ch->len = CHUNK_HDR + len;
		ch->msg_end = end;
		ac->q[(ac->qhead + ac->qlen++) % SF_AGENT_CLIENT_TOKENS] = ch;
	}
	return 0;
}

static int load_device_side(struct sf_agent *a, struct sf_rbuf *r)
{
	uint32_t srv_len = sf_rbuf_u32(r), srv_pos = sf_rbuf_u32(r), hdr_have, size, have;
	const uint8_t *srv, *hdr, *data;
	struct msg_filter rf;

	if (r->err || srv_len > sizeof(a->srv) || srv_pos > srv_len)
		return -EBADMSG;
	srv = sf_rbuf_bytes(r, srv_len);
	hdr_have = sf_rbuf_u32(r);
	hdr = sf_rbuf_bytes(r, CHUNK_HDR);
	if (r->err || hdr_have > CHUNK_HDR)
		return -EBADMSG;
	size = sf_get_le32(hdr + 4);
	have = sf_rbuf_u32(r);
	if (r->err || (hdr_have == CHUNK_HDR ? size > MAX_DATA || have >= size : have != 0))
		return -EBADMSG;
	data = sf_rbuf_bytes(r, have);
	if (r->err || !load_filter(r, &rf))
		return -EBADMSG;
	if (srv_len)
		memcpy(a->srv, srv, srv_len);
	a->srv_len = srv_len;
	a->srv_pos = srv_pos;
	memcpy(a->hdr, hdr, CHUNK_HDR);
	a->hdr_have = hdr_have;
	a->port = sf_get_le32(hdr);
	a->size = size;
	a->have = have;
	if (have)
		memcpy(a->data, data, have);
	a->rf = rf;
	return 0;
}

int sf_agent_client_load(struct sf_agent_client *ac, struct sf_rbuf *r)
{
	struct sf_agent *a = ac->a;
	uint8_t started = sf_rbuf_u8(r), joining = sf_rbuf_u8(r), owner = sf_rbuf_u8(r);
	uint32_t tokens = sf_rbuf_u32(r), send_tokens = sf_rbuf_u32(r), owed = sf_rbuf_u32(r);
	uint32_t wpos = sf_rbuf_u32(r), mc_len;
	uint8_t qlen = sf_rbuf_u8(r);
	const uint8_t *mc;
	int err;

	if (r->err || started > 1 || joining > 1 || owner > 1 || qlen > SF_AGENT_CLIENT_TOKENS)
		return -EBADMSG;
	/* what the client may still send plus what it sent and is not yet
	 * credited for never exceeds what it was given */
	if ((uint64_t)tokens + owed + qlen > SF_AGENT_CLIENT_TOKENS || (owner && a->owner))
		return -EBADMSG;
	drop_queue(ac);
	if ((err = load_queue(ac, r, qlen)) < 0)
		return err;
	if (qlen ? wpos >= ac->q[ac->qhead]->len : wpos != 0)
		return -EBADMSG;
	if (!load_filter(r, &ac->wf))
		return -EBADMSG;
	mc_len = sf_rbuf_u32(r);
	if (r->err || mc_len > MSG_HDR + MONITORS_CFG_SIZE)
		return -EBADMSG;
	mc = sf_rbuf_bytes(r, mc_len);
	if (r->err || (mc_len && !(ac->mc = malloc(MSG_HDR + MONITORS_CFG_SIZE))))
		return r->err ? -EBADMSG : -ENOMEM;
	if (mc_len)
		memcpy(ac->mc, mc, mc_len);
	ac->mc_len = mc_len;
	if ((err = load_device_side(a, r)) < 0)
		return err;
	ac->started = started && a->ops;
	ac->joining = joining;
	ac->tokens = tokens;
	ac->send_tokens = send_tokens;
	ac->owed = owed;
	ac->wpos = wpos;
	a->owner = owner ? ac : a->owner;
	write_device(a);
	read_device(a);
	return 0;
}

/* ---- the device ---- */

static void on_retry(void *data)
{
	sf_agent_wakeup(data);
}

struct sf_agent *sf_agent_create(struct sf_loop *loop)
{
	struct sf_agent *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->loop = loop;
	a->running = true;
	a->cfg = (struct sf_agent_config){.copy_paste = true, .file_xfer = true};
	a->retry = sf_loop_timer_add(loop, on_retry, a);
	if (!a->retry) {
		free(a);
		return NULL;
	}
	a->rl = (struct sf_ratelimit)SF_RATELIMIT_INIT(5000, 10);
	return a;
}

void sf_agent_destroy(struct sf_agent *a)
{
	if (!a)
		return;
	while (a->clients)
		sf_agent_client_remove(a->clients);
	sf_loop_timer_remove(a->retry);
	free(a);
}

void sf_agent_configure(struct sf_agent *a, const struct sf_agent_config *cfg)
{
	a->cfg = *cfg;
}

bool sf_agent_attached(const struct sf_agent *a)
{
	return a->ops != NULL;
}

void sf_agent_set_device(struct sf_agent *a, const struct sf_chardev_ops *ops, void *opaque)
{
	if (a->ops && a->ops->state)
		a->ops->state(a->opaque, false);
	a->ops = ops;
	a->opaque = opaque;
	a->owner = a->last = NULL;
	a->hdr_have = 0;
	a->srv_len = a->srv_pos = 0;
	a->mouse_pending = false;
	a->rf = (struct msg_filter){0};
	sf_loop_timer_arm(a->retry, 0, false);
	if (ops && ops->state)
		ops->state(opaque, true);
	/* clients start over: spice-gtk answers CONNECTED with AGENT_START */
	for (struct sf_agent_client *ac = a->clients; ac; ac = ac->next) {
		ac->started = false;
		drop_queue(ac);
		ac->tokens = SF_AGENT_CLIENT_TOKENS; /* AGENT_CONNECTED(_TOKENS) resets them */
		if (!ops)
			push(ac->main, msg_u32(SPICE_MSG_MAIN_AGENT_DISCONNECTED, 0));
		else if (sf_chan_test_cap(ac->main, SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS))
			push(ac->main, msg_u32(SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS,
					       SF_AGENT_CLIENT_TOKENS));
		else
			push(ac->main, sf_marshal_empty(SPICE_MSG_MAIN_AGENT_CONNECTED));
	}
}

void sf_agent_wakeup(struct sf_agent *a)
{
	write_device(a);
	read_device(a);
}

void sf_agent_set_running(struct sf_agent *a, bool running)
{
	a->running = running;
	if (running)
		sf_agent_wakeup(a);
	else
		sf_loop_timer_arm(a->retry, 0, false);
}

void sf_agent_stats(const struct sf_agent *a, struct sf_agent_stats *st)
{
	*st = a->st;
}
