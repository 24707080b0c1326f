/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/qxl.c: a QXL device as a Saffron display. The producer thread pulls
 * the device's command and cursor rings (get_command, get_cursor_command),
 * parses each command out of guest memory (shim/qxl-parse.c) and releases it
 * at once, or, when a command reads its bitmap in guest memory, once the
 * commands made from it have run. The synchronous spice_qxl_* calls
 * run on the producer and block the caller, as spice-server's dispatcher
 * does; the _async ones complete through async_complete on the producer. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "shim/shim.h"
#include "engine/thread.h"

SF_LOG_TOPIC("qxl");

#define QIF(st) ((QXLInterface *)(st)->qin->base.sif)

/* The release info of the command at @addr (info NULL if it is not guest
 * memory). */
static QXLReleaseInfoExt release_info(QXLState *st, uint64_t addr, uint32_t group)
{
	st->parser.group = group;
	return (QXLReleaseInfoExt){.info = sf_qxl_release_ptr(&st->parser, addr),
				   .group_id = group};
}

static void release(QXLState *st, uint64_t addr, uint32_t group)
{
	QXLReleaseInfoExt ext = release_info(st, addr, group);

	if (ext.info)
		QIF(st)->release_resource(st->qin, ext);
}

static void draw_release(QXLState *st)
{
	if (st->draw_held.info)
		QIF(st)->release_resource(st->qin, st->draw_held);
	st->draw_held.info = NULL;
}

static void rejected(QXLState *st, const char *what)
{
	if (sf_ratelimit_test(&st->rl))
		sf_log_warn("%p: qxl %d: %s rejected: %s", (void *)st, st->qin->id, what,
			    st->parser.error ? st->parser.error : "invalid");
}

/* Keep the drawable at @addr while its command reads guest memory. A
 * drawable split into several commands has its bitmap copied instead: the
 * VM may stop between them, and a stopped VM gets every drawable back, as
 * spice-server gives them back at stop. */
static void draw_hold_or_release(QXLState *st, uint64_t addr, uint32_t group)
{
	struct sf_image *img = st->npending ? st->pending[0].image : NULL;

	if (img && !img->alloc && st->npending == 1) {
		st->draw_held = release_info(st, addr, group);
		return;
	}
	if (sf_qxl_own_images(&st->parser, st->pending, st->npending) < 0) {
		st->npending = 0;
		rejected(st, "drawable");
	}
	release(st, addr, group);
}

static void surface_created(QXLState *st, const struct sf_cmd *c, uint64_t addr, uint32_t group)
{
	st->surface_release[c->surface_id] = release_info(st, addr, group);
}

/* Release the create command of @sid: the guest may reuse its memory now. */
static void surface_gone(QXLState *st, uint32_t sid)
{
	QXLReleaseInfoExt *r = &st->surface_release[sid];

	if (r->info)
		QIF(st)->release_resource(st->qin, *r);
	r->info = NULL;
}

/* The current cursor's SET command stays the guest's until another SET
 * replaces it or the cursor is reset, as spice-server keeps it: QEMU
 * replays that command (guest_cursor) on a migration target, so the guest
 * must not have freed it. */
static void cursor_hold(QXLState *st, uint64_t addr, uint32_t group)
{
	QXLReleaseInfoExt old = st->cursor_release;

	st->cursor_release = release_info(st, addr, group);
	if (old.info)
		QIF(st)->release_resource(st->qin, old);
}

static void cursor_drop(QXLState *st)
{
	if (st->cursor_release.info)
		QIF(st)->release_resource(st->qin, st->cursor_release);
	st->cursor_release.info = NULL;
}

/* One ring entry -> zero or more pending commands. */
static void take(QXLState *st, const QXLCommandExt *ext)
{
	uint64_t addr = ext->cmd.data;
	int n;

	draw_release(st); /* its commands ran: the ring is read only after them */
	st->parser.group = ext->group_id;
	st->npending = st->next_pending = 0;
	switch (ext->cmd.type) {
	case QXL_CMD_DRAW:
		if (ext->flags & QXL_COMMAND_FLAG_COMPAT) {
			st->parser.error = "qxl-1 compat drawables";
			n = -ENOTSUP;
		} else {
			n = sf_qxl_parse_drawable(&st->parser, addr, st->pending);
		}
		if (n < 0)
			rejected(st, "drawable");
		st->npending = n > 0 ? n : 0;
		draw_hold_or_release(st, addr, ext->group_id);
		return;
	case QXL_CMD_SURFACE:
		n = sf_qxl_parse_surface(&st->parser, addr, st->pending);
		if (n < 0) {
			rejected(st, "surface command");
			release(st, addr, ext->group_id);
			return;
		}
		st->npending = 1;
		if (st->pending[0].type == SF_CMD_SURFACE_CREATE) {
			surface_created(st, &st->pending[0], addr, ext->group_id);
		} else {
			surface_gone(st, st->pending[0].surface_id);
			release(st, addr, ext->group_id);
		}
		return;
	case QXL_CMD_UPDATE: {
		QXLUpdateCmd *u = sf_memslot_get(&st->ms, ext->group_id, addr, sizeof(*u));
		/* rendering is immediate: the area is up to date already */
		if (u)
			QIF(st)->notify_update(st->qin, u->update_id);
		release(st, addr, ext->group_id);
		return;
	}
	case QXL_CMD_MESSAGE:
		release(st, addr, ext->group_id);
		return;
	case QXL_CMD_NOP:
		return;
	default:
		st->parser.error = "unknown command type";
		rejected(st, "command");
		return;
	}
}

static bool get_command(void *opaque, struct sf_cmd *cmd)
{
	QXLState *st = opaque;
	QXLCommandExt ext;

	for (int guard = 0; guard < 64; guard++) {
		if (st->next_pending < st->npending) {
			*cmd = st->pending[st->next_pending++];
			return true;
		}
		if (!QIF(st)->get_command(st->qin, &ext))
			return false;
		take(st, &ext);
	}
	return false;
}

/* The producer ran @cmd: after the last command of a held drawable the
 * guest gets it back at once, not when the next one is read. */
static void cmd_done(void *opaque, const struct sf_cmd *cmd)
{
	QXLState *st = opaque;

	(void)cmd;
	if (st->next_pending == st->npending)
		draw_release(st);
}

static bool req_notification(void *opaque)
{
	QXLState *st = opaque;

	if (st->next_pending < st->npending)
		return false;
	return QIF(st)->req_cmd_notification(st->qin) != 0;
}

static bool get_cursor_command(void *opaque, struct sf_cmd *cmd)
{
	QXLState *st = opaque;
	QXLCommandExt ext;

	for (int guard = 0; guard < 64; guard++) {
		int n;
		if (!QIF(st)->get_cursor_command(st->qin, &ext))
			return false;
		st->parser.group = ext.group_id;
		n = ext.cmd.type == QXL_CMD_CURSOR
			    ? sf_qxl_parse_cursor(&st->parser, ext.cmd.data, cmd)
			    : -EINVAL;
		if (n < 0)
			rejected(st, "cursor command");
		if (n > 0 && cmd->type == SF_CMD_CURSOR_SET)
			cursor_hold(st, ext.cmd.data, ext.group_id);
		else
			release(st, ext.cmd.data, ext.group_id);
		if (n > 0)
			return true;
	}
	return false;
}

static bool req_cursor_notification(void *opaque)
{
	QXLState *st = opaque;

	return QIF(st)->req_cursor_notification(st->qin) != 0;
}

/* The guest's driver reads them from the QXL ROM (monitors config support
 * and the like); called on the producer, as spice-server's worker does. */
static void client_caps(void *opaque, bool present, uint32_t caps)
{
	QXLState *st = opaque;
	uint8_t bytes[SPICE_CAPABILITIES_SIZE] = {0};

	if (QIF(st)->base.minor_version < 2 || !QIF(st)->set_client_capabilities)
		return;
	for (unsigned bit = 0; bit < 32 && bit / 8 < sizeof(bytes); bit++)
		if (caps >> bit & 1)
			bytes[bit / 8] |= (uint8_t)(1u << (bit % 8));
	QIF(st)->set_client_capabilities(st->qin, present, bytes);
}

static const struct sf_display_source_ops qxl_source = {
	.get_command = get_command,
	.req_notification = req_notification,
	.release = cmd_done,
	.get_cursor_command = get_cursor_command,
	.req_cursor_notification = req_cursor_notification,
	.client_caps = client_caps,
};

int shim_qxl_add(SpiceServer *s, QXLInstance *qin)
{
	QXLInterface *qif = (QXLInterface *)qin->base.sif;
	QXLState *st;
	unsigned slot;

	for (slot = 0; slot < SHIM_MAX_QXL && s->qxl[slot]; slot++)
		;
	if (slot == SHIM_MAX_QXL || qif->base.major_version != SPICE_INTERFACE_QXL_MAJOR)
		return -1;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	st->reds = s;
	st->qin = qin;
	st->rl = (struct sf_ratelimit)SF_RATELIMIT_INIT(1000, 10);
	qin->st = st;
	qif->attached_worker(qin);
	qif->set_compression_level(qin, 9);
	qif->get_init_info(qin, &st->init);
	if (sf_memslots_init(&st->ms, st->init.num_memslots_groups, st->init.num_memslots,
			     st->init.memslot_gen_bits, st->init.memslot_id_bits) < 0 ||
	    !st->init.n_surfaces || st->init.n_surfaces > SF_DISPLAY_MAX_SURFACES)
		goto err;
	st->parser.ms = &st->ms;
	st->parser.n_surfaces = st->init.n_surfaces;
	st->surface_release = calloc(st->init.n_surfaces, sizeof(*st->surface_release));
	if (!st->surface_release)
		goto err;
	st->display = sf_server_add_display(s->srv, &qxl_source, st);
	if (!st->display)
		goto err;
	/* as spice-server: a QXL worker starts at vm_start/spice_qxl_start */
	sf_display_set_running(st->display, false);
	s->qxl[slot] = qin;
	shim_qxl_apply_compression(s);
	return 0;
err:
	sf_log_error("qxl %d: cannot attach (memslots %u x %u, %u surfaces)", qin->id,
		     st->init.num_memslots_groups, st->init.num_memslots, st->init.n_surfaces);
	free(st->surface_release);
	free(st);
	qin->st = NULL;
	return -1;
}

/* The settings map onto the display's codecs (channels/display.h). */
void shim_qxl_apply_compression(SpiceServer *s)
{
	enum sf_wan jpeg = s->jpeg == SPICE_WAN_COMPRESSION_ALWAYS  ? SF_WAN_ALWAYS
			   : s->jpeg == SPICE_WAN_COMPRESSION_NEVER ? SF_WAN_NEVER
								    : SF_WAN_AUTO;

	for (unsigned i = 0; i < SHIM_MAX_QXL; i++)
		if (s->qxl[i] && s->qxl[i]->st) {
			sf_display_set_image_compression(s->qxl[i]->st->display,
							 (int)s->image_compression);
			sf_display_set_jpeg(s->qxl[i]->st->display, jpeg);
		}
}

void shim_qxl_set_running(SpiceServer *s, bool running)
{
	for (unsigned i = 0; i < SHIM_MAX_QXL; i++)
		if (s->qxl[i] && s->qxl[i]->st)
			sf_display_set_running(s->qxl[i]->st->display, running);
}

/* A client's monitor layout, for display devices that take it themselves
 * (interface 3.3 and later); @mc NULL asks whether any does. Main thread. */
bool shim_qxl_client_monitors_config(SpiceServer *s, VDAgentMonitorsConfig *mc)
{
	bool taken = false;

	for (unsigned i = 0; i < SHIM_MAX_QXL; i++) {
		QXLInstance *qin = s->qxl[i];
		QXLInterface *qif = qin ? (QXLInterface *)qin->base.sif : NULL;
		if (!qif || !qin->st || qif->base.major_version != 3 ||
		    qif->base.minor_version < 3 || !qif->client_monitors_config)
			continue;
		if (qif->client_monitors_config(qin, mc))
			taken = true;
	}
	return taken;
}

/* ---- the spice_qxl_* entry points ---- */

struct call {
	QXLState *st;
	uint64_t cookie;
	bool async;
	uint32_t surface_id;
	QXLDevMemSlot slot;
	QXLDevSurfaceCreate surface;
	QXLRect area;
	QXLRect *dirty;
	uint32_t ndirty;
	QXLPHYSICAL addr;
	uint32_t group;
	QXLCommandExt *cmds;
	uint32_t ncmds;
	void (*fn)(struct sf_display *d, struct call *c);
};

static void complete(struct call *c)
{
	if (c->async)
		QIF(c->st)->async_complete(c->st->qin, c->cookie);
}

static void call_fn(struct sf_display *d, void *arg)
{
	struct call *c = arg;

	c->fn(d, c);
	complete(c);
	if (c->async)
		free(c);
}

/* Run @c->fn on the producer: wait for it, or (async) complete by cookie. */
static void run(QXLInstance *qin, struct call *tmpl, void (*fn)(struct sf_display *, struct call *),
		bool async, uint64_t cookie)
{
	QXLState *st = qin ? qin->st : NULL;
	struct call *c;

	if (!st)
		return;
	tmpl->st = st;
	tmpl->fn = fn;
	tmpl->async = async;
	tmpl->cookie = cookie;
	if (!async) {
		if (sf_display_call(st->display, call_fn, tmpl) < 0)
			sf_log_error("qxl %d: synchronous call while the display is down", qin->id);
		return;
	}
	c = malloc(sizeof(*c));
	if (!c || (*c = *tmpl, sf_display_call_async(st->display, call_fn, c) < 0)) {
		free(c);
		QIF(st)->async_complete(qin, cookie); /* never leave the guest waiting */
	}
}

static void do_drain(struct sf_display *d, struct call *c)
{
	(void)c;
	sf_display_drain(d);
}

static void do_add_memslot(struct sf_display *d, struct call *c)
{
	const QXLDevMemSlot *m = &c->slot;

	(void)d;
	if (sf_memslots_add(&c->st->ms, m->slot_group_id, m->slot_id, m->generation, m->virt_start,
			    m->virt_end, m->addr_delta) < 0)
		sf_log_warn("qxl %d: bad memslot %u/%u", c->st->qin->id, m->slot_group_id,
			    m->slot_id);
}

static void do_del_memslot(struct sf_display *d, struct call *c)
{
	(void)d;
	sf_memslots_del(&c->st->ms, c->slot.slot_group_id, c->slot.slot_id);
}

static void do_reset_memslots(struct sf_display *d, struct call *c)
{
	(void)d;
	sf_memslots_reset(&c->st->ms);
}

static void destroy_one(struct sf_display *d, QXLState *st, uint32_t sid)
{
	struct sf_cmd cmd = {.type = SF_CMD_SURFACE_DESTROY, .surface_id = sid};

	if (!sf_display_has_surface(d, sid))
		return;
	sf_display_exec(d, &cmd);
	surface_gone(st, sid);
}

static void do_destroy_surface(struct sf_display *d, struct call *c)
{
	sf_display_drain(d);
	if (c->surface_id < c->st->init.n_surfaces)
		destroy_one(d, c->st, c->surface_id);
}

/* spice-server resets the cursor, releasing its SET, when the primary or
 * all surfaces go, and on reset_cursor. */
static void do_destroy_primary(struct sf_display *d, struct call *c)
{
	do_destroy_surface(d, c);
	cursor_drop(c->st);
}

static void do_destroy_surfaces(struct sf_display *d, struct call *c)
{
	sf_display_drain(d);
	cursor_drop(c->st);
	for (uint32_t i = 0; i < c->st->init.n_surfaces; i++)
		destroy_one(d, c->st, i);
	while (c->st->next_pending < c->st->npending)
		sf_image_unref(c->st->pending[c->st->next_pending++].image);
	draw_release(c->st);
}

static void do_create_primary(struct sf_display *d, struct call *c)
{
	const QXLDevSurfaceCreate *s = &c->surface;
	struct sf_cmd cmd = {.type = SF_CMD_SURFACE_CREATE,
			     .surface_id = 0,
			     .width = s->width,
			     .height = s->height,
			     .stride = s->stride,
			     .keep_data = s->flags & QXL_SURF_FLAG_KEEP_DATA};

	c->st->parser.group = s->group_id;
	if (s->format != SPICE_SURFACE_FMT_32_xRGB && s->format != SPICE_SURFACE_FMT_32_ARGB) {
		sf_log_warn("qxl %d: primary surface format %u not supported", c->st->qin->id,
			    s->format);
		return;
	}
	cmd.mem = sf_qxl_surface_mem(&c->st->parser, s->mem, s->width, s->height, s->stride);
	if (!cmd.mem) {
		rejected(c->st, "primary surface");
		return;
	}
	sf_display_exec(d, &cmd);
}

static void do_update_area(struct sf_display *d, struct call *c)
{
	sf_display_drain(d);
	/* commands are rendered as they arrive: the area is current */
	for (uint32_t i = 0; i < c->ndirty; i++)
		c->dirty[i] = i == 0 ? c->area : (QXLRect){0, 0, 0, 0};
	if (c->async && QIF(c->st)->update_area_complete)
		QIF(c->st)->update_area_complete(c->st->qin, c->surface_id, &c->area, 1);
}

static void do_loadvm(struct sf_display *d, struct call *c)
{
	for (uint32_t i = 0; i < c->ncmds; i++) {
		const QXLCommandExt *e = &c->cmds[i];
		struct sf_cmd cmd;
		int n = -EINVAL;

		c->st->parser.group = e->group_id;
		if (e->cmd.type == QXL_CMD_CURSOR)
			n = sf_qxl_parse_cursor(&c->st->parser, e->cmd.data, &cmd);
		else if (e->cmd.type == QXL_CMD_SURFACE)
			n = sf_qxl_parse_surface(&c->st->parser, e->cmd.data, &cmd);
		if (n < 0)
			rejected(c->st, "loadvm command");
		if (n <= 0)
			continue;
		/* the guest still holds a replayed cursor SET or surface create,
		 * as on the source: released when replaced or destroyed */
		if (cmd.type == SF_CMD_CURSOR_SET)
			cursor_hold(c->st, e->cmd.data, e->group_id);
		else if (cmd.type == SF_CMD_SURFACE_CREATE)
			surface_created(c->st, &cmd, e->cmd.data, e->group_id);
		sf_display_exec(d, &cmd);
	}
}

/* Heads copied out of guest memory once; the bounds were checked by the
 * caller against the memslot. */
static void set_monitors(struct sf_display *d, const QXLMonitorsConfig *m, uint16_t count,
			 uint16_t max)
{
	struct sf_head heads[64];

	for (uint16_t i = 0; i < count; i++) {
		const QXLHead *h = &m->heads[i];
		heads[i] = (struct sf_head){.id = h->id,
					    .surface_id = h->surface_id,
					    .width = h->width,
					    .height = h->height,
					    .x = h->x,
					    .y = h->y,
					    .flags = h->flags};
	}
	sf_display_set_monitors(d, heads, count, max);
}

static void do_monitors(struct sf_display *d, struct call *c)
{
	QXLMonitorsConfig *m;

	(void)d;
	c->st->parser.group = c->group;
	m = sf_memslot_get(&c->st->ms, c->group, c->addr, sizeof(*m));
	/* one read of count; spice's CVE-2015-3247 read it twice */
	uint16_t count = m ? m->count : 0, max = m ? m->max_allowed : 0;
	if (!m || count > max || count > 64 ||
	    !sf_memslot_get(&c->st->ms, c->group, c->addr,
			    sizeof(*m) + (size_t)count * sizeof(QXLHead))) {
		sf_log_warn("qxl %d: invalid monitors config", c->st->qin->id);
		return;
	}
	c->st->monitors_count = count;
	set_monitors(d, m, count, max);
}

static void do_reset_cursor(struct sf_display *d, struct call *c)
{
	struct sf_cmd cmd = {.type = SF_CMD_CURSOR_HIDE};

	sf_display_exec(d, &cmd);
	cursor_drop(c->st);
}

SF_EXPORT void spice_qxl_wakeup(QXLInstance *instance)
{
	if (instance && instance->st)
		sf_display_wakeup(instance->st->display);
}

SF_EXPORT void spice_qxl_oom(QXLInstance *instance)
{
	struct call c = {0};
	run(instance, &c, do_drain, false, 0);
}

SF_EXPORT void spice_qxl_start(QXLInstance *instance)
{
	if (instance && instance->st)
		sf_display_set_running(instance->st->display, true);
}

SF_EXPORT void spice_qxl_stop(QXLInstance *instance)
{
	if (instance && instance->st)
		sf_display_set_running(instance->st->display, false);
}

SF_EXPORT void spice_qxl_update_area(QXLInstance *instance, uint32_t surface_id,
				     struct QXLRect *area, struct QXLRect *dirty_rects,
				     uint32_t num_dirty_rects, uint32_t clear_dirty_region)
{
	struct call c = {.surface_id = surface_id, .dirty = dirty_rects, .ndirty = num_dirty_rects};
	(void)clear_dirty_region;
	if (area)
		c.area = *area;
	run(instance, &c, do_update_area, false, 0);
}

SF_EXPORT void spice_qxl_update_area_async(QXLInstance *instance, uint32_t surface_id,
					   QXLRect *qxl_area, uint32_t clear_dirty_region,
					   uint64_t cookie)
{
	struct call c = {.surface_id = surface_id};
	(void)clear_dirty_region;
	if (qxl_area)
		c.area = *qxl_area;
	run(instance, &c, do_update_area, true, cookie);
}

SF_EXPORT void spice_qxl_add_memslot(QXLInstance *instance, QXLDevMemSlot *slot)
{
	struct call c = {.slot = *slot};
	run(instance, &c, do_add_memslot, false, 0);
}

SF_EXPORT void spice_qxl_add_memslot_async(QXLInstance *instance, QXLDevMemSlot *slot,
					   uint64_t cookie)
{
	struct call c = {.slot = *slot};
	run(instance, &c, do_add_memslot, true, cookie);
}

SF_EXPORT void spice_qxl_del_memslot(QXLInstance *instance, uint32_t slot_group_id,
				     uint32_t slot_id)
{
	struct call c = {.slot = {.slot_group_id = slot_group_id, .slot_id = slot_id}};
	run(instance, &c, do_del_memslot, false, 0);
}

SF_EXPORT void spice_qxl_reset_memslots(QXLInstance *instance)
{
	struct call c = {0};
	run(instance, &c, do_reset_memslots, false, 0);
}

SF_EXPORT void spice_qxl_destroy_surfaces(QXLInstance *instance)
{
	struct call c = {0};
	run(instance, &c, do_destroy_surfaces, false, 0);
}

SF_EXPORT void spice_qxl_destroy_surfaces_async(QXLInstance *instance, uint64_t cookie)
{
	struct call c = {0};
	run(instance, &c, do_destroy_surfaces, true, cookie);
}

SF_EXPORT void spice_qxl_destroy_primary_surface(QXLInstance *instance, uint32_t surface_id)
{
	struct call c = {.surface_id = 0};
	(void)surface_id; /* only surface 0 is primary */
	run(instance, &c, do_destroy_primary, false, 0);
}

SF_EXPORT void spice_qxl_destroy_primary_surface_async(QXLInstance *instance, uint32_t surface_id,
						       uint64_t cookie)
{
	struct call c = {.surface_id = 0};
	(void)surface_id;
	run(instance, &c, do_destroy_primary, true, cookie);
}

static void primary_created(QXLInstance *instance, const QXLDevSurfaceCreate *surface)
{
	if (instance && instance->st)
		shim_input_tablet_size(instance->st->reds, surface->width, surface->height);
}

SF_EXPORT void spice_qxl_create_primary_surface(QXLInstance *instance, uint32_t surface_id,
						QXLDevSurfaceCreate *surface)
{
	struct call c = {.surface_id = surface_id, .surface = *surface};
	run(instance, &c, do_create_primary, false, 0);
	primary_created(instance, surface);
}

SF_EXPORT void spice_qxl_create_primary_surface_async(QXLInstance *instance, uint32_t surface_id,
						      QXLDevSurfaceCreate *surface, uint64_t cookie)
{
	struct call c = {.surface_id = surface_id, .surface = *surface};
	run(instance, &c, do_create_primary, true, cookie);
	primary_created(instance, surface);
}

SF_EXPORT void spice_qxl_reset_image_cache(QXLInstance *instance)
{
	/* clients never cache our images: only keep the call ordered */
	struct call c = {0};
	run(instance, &c, do_drain, false, 0);
}

SF_EXPORT void spice_qxl_reset_cursor(QXLInstance *instance)
{
	struct call c = {0};
	run(instance, &c, do_reset_cursor, false, 0);
}

SF_EXPORT void spice_qxl_destroy_surface_wait(QXLInstance *instance, uint32_t surface_id)
{
	struct call c = {.surface_id = surface_id};
	run(instance, &c, do_destroy_surface, false, 0);
}

SF_EXPORT void spice_qxl_destroy_surface_async(QXLInstance *instance, uint32_t surface_id,
					       uint64_t cookie)
{
	struct call c = {.surface_id = surface_id};
	run(instance, &c, do_destroy_surface, true, cookie);
}

SF_EXPORT void spice_qxl_loadvm_commands(QXLInstance *instance, struct QXLCommandExt *ext,
					 uint32_t count)
{
	struct call c = {.cmds = ext, .ncmds = count};
	run(instance, &c, do_loadvm, false, 0);
}

SF_EXPORT void spice_qxl_flush_surfaces_async(QXLInstance *instance, uint64_t cookie)
{
	struct call c = {0};
	run(instance, &c, do_drain, true, cookie);
}

SF_EXPORT void spice_qxl_monitors_config_async(QXLInstance *instance, QXLPHYSICAL monitors_config,
					       int group_id, uint64_t cookie)
{
	struct call c = {.addr = monitors_config, .group = (uint32_t)group_id};
	run(instance, &c, do_monitors, true, cookie);
}

SF_EXPORT void spice_qxl_driver_unload(QXLInstance *instance)
{
	struct call c = {0};
	run(instance, &c, do_drain, false, 0);
}

SF_EXPORT void spice_qxl_set_max_monitors(QXLInstance *instance, unsigned int max_monitors)
{
	if (instance && instance->st)
		instance->st->max_monitors = SF_MAX(max_monitors, 1u);
}

SF_EXPORT void spice_qxl_set_device_info(QXLInstance *instance, const char *device_address,
					 uint32_t device_display_id_start,
					 uint32_t device_display_id_count)
{
	(void)device_address;
	(void)device_display_id_start;
	if (instance && instance->st)
		instance->st->max_monitors = SF_MAX(device_display_id_count, 1u);
}

SF_EXPORT void spice_qxl_gl_scanout(QXLInstance *qxl, int fd, uint32_t width, uint32_t height,
				    uint32_t stride, uint32_t format, int y_0_top)
{
	static struct sf_ratelimit rl = SF_RATELIMIT_INIT(60000, 1);
	(void)qxl, (void)width, (void)height, (void)stride, (void)format, (void)y_0_top;
	/* the fd is ours once passed, as with spice-server */
	if (fd >= 0)
		close(fd);
	if (sf_ratelimit_test(&rl))
		sf_log_error("GL scanout is not supported (no gl=on with Saffron)");
}

SF_EXPORT void spice_qxl_gl_draw_async(QXLInstance *qxl, uint32_t x, uint32_t y, uint32_t w,
				       uint32_t h, uint64_t cookie)
{
	(void)x, (void)y, (void)w, (void)h;
	if (qxl && qxl->base.sif)
		((QXLInterface *)qxl->base.sif)->async_complete(qxl, cookie);
}
