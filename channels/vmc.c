/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/vmc.c: spicevmc/port channels. Flow control needs no tokens: the
 * device is read only while the client's send backlog is under HIGH_WATER,
 * and the client's socket is paused while more than HIGH_WATER bytes wait
 * for the device, so a slow side stalls only its own stream. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <spice/enums.h>
#include "channels/vmc.h"
#include "channels/wire.h"
#include "migrate/data.h"
#include "engine/log.h"

SF_LOG_TOPIC("vmc");

#define HIGH_WATER  (256 * 1024)
#define READ_CHUNK  (64 * 1024)
#define MAX_MSG	    (128 * 1024) /* usbredir bulk packets are up to 64 KiB + headers */
#define READ_ROUNDS 64		 /* per wakeup: bounded work on the main loop */
#define RETRY_MS    10

struct sf_vmc {
	struct sf_loop *loop;
	uint8_t type, id;
	char *name;
	const struct sf_chardev_ops *ops;
	void *opaque;
	atomic_uint refs; /* the creator's, the client connection's, a queued write's */
	bool dead;	  /* destroyed: no device calls any more */
	bool running;
	bool incoming; /* stopped, but readable: see sf_vmc_set_incoming */
	bool opened;   /* last port event from the guest */
	bool reading;
	bool told; /* the device heard state(1) for the current client */
	struct sf_chan *client;
	uint8_t *wbuf; /* client bytes the device has not taken yet */
	uint32_t wlen, wcap;
	struct sf_timer *retry;
	bool retry_armed;	   /* re-arming per guest byte cost a syscall each */
	struct sf_task write_task; /* a write asked for off the loop's thread */
	struct sf_vmc_stats st;
	struct sf_ratelimit rl;
};

static void vmc_unref(struct sf_vmc *v)
{
	/* acq_rel: the last owner sees every write the others made */
	if (atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1)
		return;
	sf_loop_timer_remove(v->retry);
	free(v->wbuf);
	free(v->name);
	free(v);
}

static void write_device(struct sf_vmc *v);

static void on_write_task(struct sf_task *t)
{
	struct sf_vmc *v = sf_container_of(t, struct sf_vmc, write_task);

	write_device(v);
	vmc_unref(v);
}

static void on_retry(void *data)
{
	struct sf_vmc *v = data;

	v->retry_armed = false;
	sf_vmc_wakeup(v);
}

static void disarm_retry(struct sf_vmc *v)
{
	v->retry_armed = false;
	sf_loop_timer_arm(v->retry, 0, false);
}

struct sf_vmc *sf_vmc_create(struct sf_loop *loop, uint8_t type, uint8_t id, const char *portname,
			     const struct sf_chardev_ops *ops, void *opaque)
{
	struct sf_vmc *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->loop = loop;
	v->type = type;
	v->id = id;
	v->ops = ops;
	v->opaque = opaque;
	atomic_init(&v->refs, 1);
	v->running = true;
	v->name = strdup(portname ? portname : "");
	v->retry = sf_loop_timer_add(loop, on_retry, v);
	sf_task_init(&v->write_task, on_write_task);
	if (!v->name || !v->retry) {
		vmc_unref(v);
		errno = ENOMEM;
		return NULL;
	}
	v->rl = (struct sf_ratelimit)SF_RATELIMIT_INIT(5000, 10);
	return v;
}

void sf_vmc_destroy(struct sf_vmc *v)
{
	if (!v)
		return;
	v->dead = true;
	disarm_retry(v);
	if (v->client)
		sf_chan_close(v->client);
	vmc_unref(v);
}

uint8_t sf_vmc_type(const struct sf_vmc *v)
{
	return v->type;
}

uint8_t sf_vmc_id(const struct sf_vmc *v)
{
	return v->id;
}

bool sf_vmc_busy(const struct sf_vmc *v)
{
	return v->client != NULL;
}

void sf_vmc_stats(const struct sf_vmc *v, struct sf_vmc_stats *st)
{
	*st = v->st;
}

static bool is_port(const struct sf_vmc *v)
{
	return v->type == SPICE_CHANNEL_PORT || v->type == SPICE_CHANNEL_WEBDAV;
}

static void push(struct sf_chan *c, struct sf_buf *b)
{
	if (b)
		sf_chan_push(c, b);
	sf_buf_unref(b);
}

static struct sf_buf *data_msg(const uint8_t *p, uint32_t n)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_SPICEVMC_DATA, n);
	sf_wbuf_bytes(&w, p, n);
	return sf_wbuf_finish(&w);
}

/* Guest to client, while the client keeps up (dropped with no client). */
static void read_device(struct sf_vmc *v)
{
	static __thread uint8_t tmp[READ_CHUNK];

	if (v->dead || !(v->running || v->incoming) || v->reading)
		return;
	v->reading = true; /* the device may call wakeup from inside read() */
	for (int i = 0; i < READ_ROUNDS; i++) {
		int n;
		if (v->client && sf_chan_backlog(v->client) >= HIGH_WATER)
			break; /* resumed from on_drained */
		n = v->ops->read(v->opaque, tmp, sizeof(tmp));
		if (n <= 0 || v->dead)
			break;
		n = SF_MIN(n, (int)sizeof(tmp));
		if (!v->st.from_device && !v->st.dropped)
			sf_log_debug("%s: first read: %d bytes, client %d", v->name, n,
				     v->client != NULL);
		if (v->client) {
			v->st.from_device += (uint64_t)n;
			push(v->client, data_msg(tmp, (uint32_t)n));
		} else {
			v->st.dropped += (uint64_t)n;
		}
	}
	v->reading = false;
}

/* Client to guest: whatever the device takes now; retried on wakeup and on a
 * short timer, since not every device signals room. */
static void write_device(struct sf_vmc *v)
{
	while (!v->dead && v->running && v->wlen) {
		int n = v->ops->write(v->opaque, v->wbuf, (int)v->wlen);
		if (!v->st.to_device)
			sf_log_debug("%s: first write: %d of %u bytes", v->name, n, v->wlen);
		if (n <= 0)
			break;
		n = SF_MIN(n, (int)v->wlen);
		memmove(v->wbuf, v->wbuf + n, v->wlen - (uint32_t)n);
		v->wlen -= (uint32_t)n;
		v->st.to_device += (uint64_t)n;
	}
	if (v->wlen && v->running && !v->dead && !v->retry_armed)
		v->retry_armed = sf_loop_timer_arm(v->retry, RETRY_MS, false) == 0;
	if (v->client && v->wlen < HIGH_WATER)
		sf_chan_resume_read(v->client);
}

/* Reading pauses at HIGH_WATER, except while a migration waits for the
 * client's flush mark: then the stopped device's backlog grows up to what
 * MIGRATE_DATA carries. */
static uint32_t queue_limit(const struct sf_vmc *v)
{
	return v->client && sf_chan_migrating(v->client) ? SF_MIGDATA_VMC_MAX
							 : HIGH_WATER + MAX_MSG;
}

static int queue_for_device(struct sf_vmc *v, const uint8_t *p, uint32_t n)
{
	uint32_t limit = queue_limit(v);

	if (!n)
		return 0;
	if (v->wlen + n > limit)
		return -ENOBUFS;
	if (v->wlen + n > v->wcap) {
		uint32_t cap = SF_MIN(SF_MAX(v->wlen + n, v->wcap ? v->wcap * 2 : 4096), limit);
		uint8_t *nb = realloc(v->wbuf, cap);
		if (!nb)
			return -ENOMEM;
		v->wbuf = nb;
		v->wcap = cap;
	}
	memcpy(v->wbuf + v->wlen, p, n);
	v->wlen += n;
	return 0;
}

static int handle(struct sf_chan *c, uint16_t type, const uint8_t *p, uint32_t size)
{
	struct sf_vmc *v = sf_chan_data(c);
	int r;

	if (v->client != c || v->dead)
		return 0; /* detached: the connection is closing */
	switch (type) {
	case SPICE_MSGC_SPICEVMC_DATA:
		r = queue_for_device(v, p, size);
		if (r < 0)
			return r;
		write_device(v);
		if (v->wlen >= HIGH_WATER && !sf_chan_migrating(c))
			sf_chan_pause_read(c);
		return 0;
	case SPICE_MSGC_PORT_EVENT:
		if (!is_port(v) || size < 1)
			return -EPROTO;
		if (v->ops->event)
			v->ops->event(v->opaque, p[0]);
		return 0;
	default:
		/* COMPRESSED_DATA included: the LZ4 cap is not offered */
		return -EPROTO;
	}
}

static struct sf_buf *port_event_msg(uint8_t event)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, SPICE_MSG_PORT_EVENT, 1);
	sf_wbuf_u8(&w, event);
	return sf_wbuf_finish(&w);
}

static struct sf_buf *port_init_msg(const struct sf_vmc *v)
{
	struct sf_wbuf w;
	uint32_t n = (uint32_t)strlen(v->name) + 1;

	sf_wbuf_init(&w, SPICE_MSG_PORT_INIT, 9 + n);
	sf_wbuf_u32(&w, n);
	sf_wbuf_u32(&w, 9); /* name: right after this header */
	sf_wbuf_u8(&w, v->opened);
	sf_wbuf_bytes(&w, v->name, n);
	return sf_wbuf_finish(&w);
}

/* The device learns of the client at once, even a migrating one whose
 * start waits for MIGRATE_DATA: QEMU discards what the guest writes to a
 * port nobody opened, and the target's VM may run before the data comes. */
static void tell_connected(struct sf_vmc *v)
{
	if (!v->told && v->ops->state)
		v->ops->state(v->opaque, true);
	v->told = true;
}

static void on_start(struct sf_chan *c)
{
	struct sf_vmc *v = sf_chan_data(c);

	if (v->client != c || v->dead)
		return;
	/* a migrated client has the port's name from the source: only the
	 * guest's side may have changed */
	if (is_port(v) && sf_chan_info(c)->migrated)
		push(c,
		     port_event_msg(v->opened ? SPICE_PORT_EVENT_OPENED : SPICE_PORT_EVENT_CLOSED));
	else if (is_port(v))
		push(c, port_init_msg(v));
	tell_connected(v);
	write_device(v);
	read_device(v);
}

static void on_drained(struct sf_chan *c)
{
	struct sf_vmc *v = sf_chan_data(c);

	if (v->client == c)
		read_device(v);
}

static void on_close(struct sf_chan *c)
{
	struct sf_vmc *v = sf_chan_data(c);

	if (v->client == c) {
		v->client = NULL;
		if (!v->dead && v->ops->state && v->told)
			v->ops->state(v->opaque, false);
		v->told = false;
		sf_chan_unref(c);
	}
	vmc_unref(v);
}

/* Seamless migration carries the bytes the stopped device has not taken;
 * the target writes them first, before anything the client sends it. */
static struct sf_buf *migrate_save(struct sf_chan *c)
{
	struct sf_vmc *v = sf_chan_data(c);
	struct sf_mig_vmc m = {.data = v->wbuf, .len = v->client == c ? v->wlen : 0};
	struct sf_wbuf w;

	sf_log_debug("%s: migrating with %u bytes for the device (sent %" PRIu64 ", got %" PRIu64
		     ")",
		     v->name, m.len, v->st.to_device, v->st.from_device);
	sf_migdata_begin(&w, v->type);
	sf_mig_vmc_save(&w, &m);
	return sf_migdata_finish(&w);
}

static int migrate_load(struct sf_chan *c, const uint8_t *p, uint32_t size)
{
	struct sf_vmc *v = sf_chan_data(c);
	struct sf_mig_vmc m;
	struct sf_rbuf r;
	int err;

	if ((err = sf_migdata_open(&r, p, size, v->type)) < 0 ||
	    (err = sf_mig_vmc_load(&r, &m)) < 0 || (err = sf_migdata_end(&r)) < 0)
		return err;
	if (v->client != c || v->dead)
		return 0;
	if (m.len > v->wcap) {
		uint8_t *nb = realloc(v->wbuf, m.len);
		if (!nb)
			return -ENOMEM;
		v->wbuf = nb;
		v->wcap = m.len;
	}
	if (m.len)
		memcpy(v->wbuf, m.data, m.len);
	v->wlen = m.len; /* written from on_start, once the device is told */
	sf_log_debug("%s: migrated here with %u bytes for the device (running %d)", v->name, m.len,
		     v->running);
	if (v->wlen >= HIGH_WATER)
		sf_chan_pause_read(c);
	return 0;
}

static const struct sf_chan_ops vmc_ops = {
	.name = "spicevmc",
	.max_msg_size = MAX_MSG,
	.acks = false,
	.handle = handle,
	.on_start = on_start,
	.on_drained = on_drained,
	.on_close = on_close,
	.migrate_save = migrate_save,
	.migrate_load = migrate_load,
};

struct sf_chan *sf_vmc_attach(struct sf_vmc *v, int fd, const struct sf_link_info *info)
{
	struct sf_chan *c;

	if (v->client || v->dead) {
		close(fd);
		return NULL;
	}
	c = sf_chan_create(v->loop, fd, info, &vmc_ops, v);
	if (!c)
		return NULL;
	atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
	v->client = sf_chan_ref(c);
	if (info->migrated)
		tell_connected(v);
	sf_chan_start(c);
	return c;
}

/* Writes run on the loop's thread. A wakeup from elsewhere (QEMU's vCPU
 * thread, each time the guest reads a byte from its UART) leaves the refill
 * to the loop: refilling the FIFO inside every read kept it from ever
 * draining, and the guest's interrupt handler then took in a whole burst
 * before its reader could echo a byte. Reads stay synchronous: QEMU hands
 * over guest output only during the wakeup call. */
void sf_vmc_wakeup(struct sf_vmc *v)
{
	if (sf_loop_is_current(v->loop)) {
		write_device(v);
	} else if (v->wlen && !v->dead) {
		/* relaxed: the caller holds a reference, so this never revives */
		atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
		if (!sf_loop_wake(v->loop, &v->write_task))
			vmc_unref(v);
	}
	read_device(v);
}

void sf_vmc_set_incoming(struct sf_vmc *v)
{
	v->running = false;
	v->incoming = true;
	read_device(v);
}

void sf_vmc_port_event(struct sf_vmc *v, uint8_t event)
{
	if (event == SPICE_PORT_EVENT_OPENED)
		v->opened = true;
	else if (event == SPICE_PORT_EVENT_CLOSED)
		v->opened = false;
	if (!v->client || !is_port(v))
		return;
	push(v->client, port_event_msg(event));
}

void sf_vmc_set_running(struct sf_vmc *v, bool running)
{
	sf_log_debug("%s: %s with %u bytes for the device, client %d", v->name,
		     running ? "running" : "stopped", v->wlen, v->client != NULL);
	v->running = running;
	v->incoming = false;
	if (running)
		sf_vmc_wakeup(v);
	else
		disarm_retry(v);
}
