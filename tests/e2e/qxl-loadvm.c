/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/qxl-loadvm.c: what a migration target's QXL device sees of the
 * surface commands QEMU replays with spice_qxl_loadvm_commands. Written
 * only against <spice.h>, so it runs on Saffron's shim and on the reference.
 * The replayed create's release must come when the surface is destroyed
 * (the guest holds that command until then), and not before: releasing it
 * twice, or never, corrupts or leaks the guest driver's bookkeeping. The
 * current cursor's SET command is held until another SET replaces it or
 * the cursor is reset, since QEMU replays it on the target (guest_cursor).
 * Usage: qxl-loadvm PORT; prints one line and exits 0 on success. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spice.h>
#include "tests/host/core.h"

#define CREATE_ID  0x1111
#define DESTROY_ID 0x2222
#define SET_A	   0x3333
#define MOVE_ID	   0x4444
#define SET_B	   0x5555
#define SET_C	   0x6666

static QXLInstance qxl;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The command and cursor rings, under @lock. */
struct ring {
	QXLCommandExt e[8];
	unsigned head, tail;
};
static struct ring cmds, cursor_ring;
static uint64_t released[16];
static unsigned nreleased;

static void attached_worker(QXLInstance *qin)
{
	(void)qin;
}

static void set_compression_level(QXLInstance *qin, int level)
{
	(void)qin, (void)level;
}

static void set_mm_time(QXLInstance *qin, uint32_t mm)
{
	(void)qin, (void)mm;
}

static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
	(void)qin;
	memset(info, 0, sizeof(*info));
	info->num_memslots_groups = 1;
	info->num_memslots = 1;
	info->memslot_gen_bits = 8;
	info->memslot_id_bits = 8;
	info->n_surfaces = 4;
}

static int ring_pop(struct ring *r, QXLCommandExt *ext)
{
	int ok;

	pthread_mutex_lock(&lock);
	ok = r->head != r->tail;
	if (ok)
		*ext = r->e[r->head++ % 8];
	pthread_mutex_unlock(&lock);
	return ok;
}

static int ring_empty(struct ring *r)
{
	int empty;

	pthread_mutex_lock(&lock);
	empty = r->head == r->tail;
	pthread_mutex_unlock(&lock);
	return empty;
}

static void ring_push(struct ring *r, uint32_t type, const void *cmd)
{
	pthread_mutex_lock(&lock);
	r->e[r->tail++ % 8] = (QXLCommandExt){.cmd = {.type = type, .data = (uintptr_t)cmd}};
	pthread_mutex_unlock(&lock);
	spice_qxl_wakeup(&qxl);
}

static int get_command(QXLInstance *qin, QXLCommandExt *ext)
{
	(void)qin;
	return ring_pop(&cmds, ext);
}

static int req_cmd_notification(QXLInstance *qin)
{
	(void)qin;
	return ring_empty(&cmds);
}

static void release_resource(QXLInstance *qin, QXLReleaseInfoExt ext)
{
	(void)qin;
	pthread_mutex_lock(&lock);
	if (nreleased < 16)
		released[nreleased++] = ext.info->id;
	pthread_mutex_unlock(&lock);
}

static int get_cursor_command(QXLInstance *qin, QXLCommandExt *ext)
{
	(void)qin;
	return ring_pop(&cursor_ring, ext);
}

static int req_cursor_notification(QXLInstance *qin)
{
	(void)qin;
	return ring_empty(&cursor_ring);
}

static void notify_update(QXLInstance *qin, uint32_t id)
{
	(void)qin, (void)id;
}

static int flush_resources(QXLInstance *qin)
{
	(void)qin;
	return 0;
}

static void async_complete(QXLInstance *qin, uint64_t cookie)
{
	(void)qin, (void)cookie;
}

static const QXLInterface qxl_if = {
	.base = {.type = SPICE_INTERFACE_QXL,
		 .description = "loadvm test qxl",
		 .major_version = SPICE_INTERFACE_QXL_MAJOR,
		 .minor_version = SPICE_INTERFACE_QXL_MINOR},
	.attached_worker = attached_worker,
	.set_compression_level = set_compression_level,
	.set_mm_time = set_mm_time,
	.get_init_info = get_init_info,
	.get_command = get_command,
	.req_cmd_notification = req_cmd_notification,
	.release_resource = release_resource,
	.get_cursor_command = get_cursor_command,
	.req_cursor_notification = req_cursor_notification,
	.notify_update = notify_update,
	.flush_resources = flush_resources,
	.async_complete = async_complete,
};

/* Was @id released, and how many times? */
static unsigned times_released(uint64_t id)
{
	unsigned n = 0;

	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < nreleased; i++)
		n += released[i] == id;
	pthread_mutex_unlock(&lock);
	return n;
}

/* A cursor command of @type (QXL_CURSOR_*) with release id @id; SET
 * commands show an 8x8 alpha cursor. */
static QXLCursorCmd *cursor_cmd(uint8_t type, uint64_t id)
{
	static uint8_t shape[sizeof(QXLCursor) + 8 * 8 * 4];
	QXLCursor *cur = (QXLCursor *)shape;
	QXLCursorCmd *c = calloc(1, sizeof(*c));

	cur->header = (QXLCursorHeader){
		.unique = 1, .type = SPICE_CURSOR_TYPE_ALPHA, .width = 8, .height = 8};
	cur->data_size = cur->chunk.data_size = 8 * 8 * 4;
	memset(cur->chunk.data, 0x80, 8 * 8 * 4);
	c->release_info.id = id;
	c->type = type;
	if (type == QXL_CURSOR_SET) {
		c->u.set.visible = 1;
		c->u.set.shape = (uintptr_t)cur;
	}
	return c;
}

/* Let the server run for @ms. */
static void run_for(int ms)
{
	for (uint64_t t0 = host_now_ms(); host_now_ms() - t0 < (uint64_t)ms;)
		host_core_iterate(10);
}

/* The cursor's release order; 0 on success. */
static int cursors(void)
{
	QXLCommandExt ext = {.cmd = {.type = QXL_CMD_CURSOR}};
	unsigned a, move, b, c, a2, b2, c2;

	ring_push(&cursor_ring, QXL_CMD_CURSOR, cursor_cmd(QXL_CURSOR_SET, SET_A));
	run_for(300);
	a = times_released(SET_A);
	ring_push(&cursor_ring, QXL_CMD_CURSOR, cursor_cmd(QXL_CURSOR_MOVE, MOVE_ID));
	run_for(300);
	move = times_released(MOVE_ID);
	a2 = times_released(SET_A);
	ring_push(&cursor_ring, QXL_CMD_CURSOR, cursor_cmd(QXL_CURSOR_SET, SET_B));
	run_for(300);
	b = times_released(SET_B);
	/* a target replays the guest's current cursor: it replaces B */
	ext.cmd.data = (uintptr_t)cursor_cmd(QXL_CURSOR_SET, SET_C);
	spice_qxl_loadvm_commands(&qxl, &ext, 1);
	run_for(300);
	b2 = times_released(SET_B);
	c = times_released(SET_C);
	spice_qxl_reset_cursor(&qxl);
	run_for(300);
	c2 = times_released(SET_C);
	printf("cursor releases: A %u (after MOVE %u, after B %u), MOVE %u, B %u (after C %u), "
	       "C %u (after reset %u)\n",
	       a, a2, times_released(SET_A), move, b, b2, c, c2);
	return a == 0 && a2 == 0 && times_released(SET_A) == 1 && move == 1 && b == 0 && b2 == 1 &&
			       c == 0 && c2 == 1
		       ? 0
		       : 1;
}

int main(int argc, char **argv)
{
	static uint32_t primary[64 * 64], off[32 * 32];
	QXLDevMemSlot slot = {.slot_group_id = 0, .slot_id = 0, .virt_end = ~(uintptr_t)0};
	QXLDevSurfaceCreate surf = {.width = 64,
				    .height = 64,
				    .stride = 64 * 4,
				    .format = SPICE_SURFACE_FMT_32_xRGB,
				    .mouse_mode = 1,
				    .mem = (uintptr_t)primary};
	QXLSurfaceCmd create = {0}, destroy = {0};
	QXLCommandExt ext = {0};
	SpiceServer *s = spice_server_new();
	unsigned early, at_destroy;

	spice_server_set_port(s, argc > 1 ? atoi(argv[1]) : 5999);
	spice_server_set_addr(s, "127.0.0.1", 0);
	spice_server_set_noauth(s);
	if (spice_server_init(s, host_core(NULL)) < 0)
		return 1;
	qxl.base.sif = &qxl_if.base;
	if (spice_server_add_interface(s, &qxl.base) < 0)
		return 1;
	spice_server_vm_start(s);
	spice_qxl_add_memslot(&qxl, &slot);
	spice_qxl_create_primary_surface(&qxl, 0, &surf);

	/* what QEMU's qxl post_load replays: the guest's live create command */
	create.release_info.id = CREATE_ID;
	create.type = QXL_SURFACE_CMD_CREATE;
	create.surface_id = 1;
	create.u.surface_create = (QXLSurface){.format = SPICE_SURFACE_FMT_32_xRGB,
					       .width = 32,
					       .height = 32,
					       .stride = 32 * 4,
					       .data = (uintptr_t)off};
	ext.cmd.type = QXL_CMD_SURFACE;
	ext.cmd.data = (uintptr_t)&create;
	spice_qxl_loadvm_commands(&qxl, &ext, 1);
	run_for(300);
	early = times_released(CREATE_ID);

	/* the guest destroys the surface: now the create goes back too */
	destroy.release_info.id = DESTROY_ID;
	destroy.type = QXL_SURFACE_CMD_DESTROY;
	destroy.surface_id = 1;
	ring_push(&cmds, QXL_CMD_SURFACE, &destroy);
	for (int i = 0; i < 200 && !(times_released(CREATE_ID) && times_released(DESTROY_ID)); i++)
		run_for(10);
	run_for(100); /* a second release would come now */
	at_destroy = times_released(CREATE_ID);
	printf("loadvm create released before destroy %u, after %u; destroy released %u\n", early,
	       at_destroy, times_released(DESTROY_ID));
	if (early != 0 || at_destroy != 1 || times_released(DESTROY_ID) != 1)
		return 1;
	return cursors();
}
