/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* migrate/data.c: MIGRATE_DATA envelope and per-channel records. Every load
 * checks ranges and lengths; a record that does not end exactly where the
 * envelope says is refused. */
#include <errno.h>
#include <spice/enums.h>
#include "migrate/data.h"

#define ENVELOPE 12 /* magic, version, type, reserved, payload length */

void sf_migdata_begin(struct sf_wbuf *w, uint8_t type)
{
	sf_wbuf_init(w, SPICE_MSG_MIGRATE_DATA, 64);
	sf_wbuf_u32(w, SF_MIGDATA_MAGIC);
	sf_wbuf_u16(w, SF_MIGDATA_VERSION);
	sf_wbuf_u8(w, type);
	sf_wbuf_u8(w, 0);
	sf_wbuf_u32(w, 0); /* patched by finish */
}

struct sf_buf *sf_migdata_finish(struct sf_wbuf *w)
{
	if (!w->err)
		sf_wbuf_patch_u32(w, 8, sf_wbuf_pos(w) - ENVELOPE);
	return sf_wbuf_finish(w);
}

int sf_migdata_open(struct sf_rbuf *r, const uint8_t *p, uint32_t size, uint8_t type)
{
	uint32_t magic, len;
	uint16_t version;
	uint8_t t, reserved;

	sf_rbuf_init(r, p, size);
	magic = sf_rbuf_u32(r);
	version = sf_rbuf_u16(r);
	t = sf_rbuf_u8(r);
	reserved = sf_rbuf_u8(r);
	len = sf_rbuf_u32(r);
	if (r->err || magic != SF_MIGDATA_MAGIC || t != type || reserved)
		return -EBADMSG;
	if (version == 0 || version > SF_MIGDATA_VERSION)
		return -EPROTONOSUPPORT;
	return len == sf_rbuf_left(r) ? 0 : -EBADMSG;
}

int sf_migdata_end(const struct sf_rbuf *r)
{
	return r->err || sf_rbuf_left(r) ? -EBADMSG : 0;
}

void sf_mig_main_save(struct sf_wbuf *w, const struct sf_mig_main *m)
{
	sf_wbuf_u16(w, m->mouse_mode);
	sf_wbuf_u32(w, m->mm_time);
	sf_wbuf_u8(w, m->agent);
}

int sf_mig_main_load(struct sf_rbuf *r, struct sf_mig_main *m)
{
	uint8_t agent;

	m->mouse_mode = sf_rbuf_u16(r);
	m->mm_time = sf_rbuf_u32(r);
	agent = sf_rbuf_u8(r);
	if (r->err || agent > 1)
		return -EBADMSG;
	if (m->mouse_mode != SPICE_MOUSE_MODE_SERVER && m->mouse_mode != SPICE_MOUSE_MODE_CLIENT)
		return -EBADMSG;
	m->agent = agent;
	return 0;
}

#define MIG_GLZ_SIZE 12 /* u64 next id, u32 window */

void sf_mig_display_save(struct sf_wbuf *w, const struct sf_mig_display *m)
{
	sf_wbuf_u8(w, (uint8_t)m->preferred);
	sf_wbuf_u32(w, m->stream_id);
	if (m->glz) {
		sf_wbuf_u64(w, m->glz_next);
		sf_wbuf_u32(w, m->glz_window);
	}
}

/* The GLZ part is optional (a record from an older source ends before it),
 * so the envelope's length decides: nothing more, or exactly that part. */
int sf_mig_display_load(struct sf_rbuf *r, struct sf_mig_display *m)
{
	m->preferred = (int8_t)sf_rbuf_u8(r);
	m->stream_id = sf_rbuf_u32(r);
	m->glz = !r->err && sf_rbuf_left(r) == MIG_GLZ_SIZE;
	m->glz_next = 0;
	m->glz_window = 0;
	if (m->glz) {
		m->glz_next = sf_rbuf_u64(r);
		m->glz_window = sf_rbuf_u32(r);
		if (m->glz_next >= SF_MIG_GLZ_ID_MAX)
			return -EBADMSG;
	}
	if (r->err)
		return -EBADMSG;
	if (m->preferred != -1 && (m->preferred <= SPICE_IMAGE_COMPRESSION_INVALID ||
				   m->preferred >= SPICE_IMAGE_COMPRESSION_ENUM_END))
		return -EBADMSG;
	return 0;
}

void sf_mig_inputs_save(struct sf_wbuf *w, const struct sf_mig_inputs *m)
{
	sf_wbuf_u32(w, m->motion_count);
}

int sf_mig_inputs_load(struct sf_rbuf *r, struct sf_mig_inputs *m)
{
	m->motion_count = sf_rbuf_u32(r);
	return r->err ? -EBADMSG : 0;
}

void sf_mig_vmc_save(struct sf_wbuf *w, const struct sf_mig_vmc *m)
{
	sf_wbuf_u32(w, m->len);
	sf_wbuf_bytes(w, m->data, m->len);
}

int sf_mig_vmc_load(struct sf_rbuf *r, struct sf_mig_vmc *m)
{
	m->len = sf_rbuf_u32(r);
	if (r->err || m->len > SF_MIGDATA_VMC_MAX)
		return -EBADMSG;
	m->data = sf_rbuf_bytes(r, m->len);
	return r->err ? -EBADMSG : 0;
}
