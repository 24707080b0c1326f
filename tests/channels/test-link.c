/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-link.c: link header/message parsing and tickets. */
#include <string.h>
#include "channels/link.h"
#include "channels/ticket.h"
#include "channels/wire.h"
#include "tests/unit.h"

static void hdr(uint8_t *h, uint32_t magic, uint32_t major, uint32_t size)
{
	sf_put_le32(h, magic);
	sf_put_le32(h + 4, major);
	sf_put_le32(h + 8, 2);
	sf_put_le32(h + 12, size);
}

SF_TEST(link_header_checks_magic_version_size)
{
	uint8_t h[16];
	uint32_t size = 0;

	hdr(h, SPICE_MAGIC, 2, 26);
	SF_TEST_ASSERT(sf_link_parse_header(h, 16, &size) == SPICE_LINK_ERR_OK && size == 26);
	hdr(h, 0x12345678, 2, 26);
	SF_TEST_ASSERT(sf_link_parse_header(h, 16, &size) == SPICE_LINK_ERR_INVALID_MAGIC);
	hdr(h, SPICE_MAGIC, 1, 26);
	SF_TEST_ASSERT(sf_link_parse_header(h, 16, &size) == SPICE_LINK_ERR_VERSION_MISMATCH);
	hdr(h, SPICE_MAGIC, 2, SF_LINK_MAX_SIZE + 1);
	SF_TEST_ASSERT(sf_link_parse_header(h, 16, &size) == SPICE_LINK_ERR_INVALID_DATA);
	hdr(h, SPICE_MAGIC, 2, 17);
	SF_TEST_ASSERT(sf_link_parse_header(h, 16, &size) == SPICE_LINK_ERR_INVALID_DATA);
	SF_TEST_ASSERT(sf_link_parse_header(h, 15, &size) == SPICE_LINK_ERR_INVALID_DATA);
}

static size_t mess(uint8_t *p, uint32_t ncommon, uint32_t nchan, uint32_t off)
{
	memset(p, 0, 64);
	sf_put_le32(p, 0x1234);
	p[4] = SPICE_CHANNEL_DISPLAY;
	p[5] = 1;
	sf_put_le32(p + 6, ncommon);
	sf_put_le32(p + 10, nchan);
	sf_put_le32(p + 14, off);
	sf_put_le32(p + 18, 1u << SPICE_COMMON_CAP_MINI_HEADER);
	sf_put_le32(p + 22, 0x5);
	return 26;
}

SF_TEST(link_mess_parses_caps_and_bounds_them)
{
	uint8_t p[64];
	struct sf_link_info info;
	size_t n = mess(p, 1, 1, 18);

	SF_TEST_ASSERT(sf_link_parse_mess(p, n, &info) == SPICE_LINK_ERR_OK);
	SF_TEST_ASSERT(info.connection_id == 0x1234 && info.channel_id == 1 && info.mini_header);
	SF_TEST_ASSERT(sf_caps_test(info.channel_caps, info.num_channel_caps, 0));
	SF_TEST_ASSERT(!sf_caps_test(info.channel_caps, info.num_channel_caps, 1));
	SF_TEST_ASSERT(sf_caps_test(info.channel_caps, info.num_channel_caps, 2));
	SF_TEST_ASSERT(!sf_caps_test(info.channel_caps, info.num_channel_caps, 200));
	mess(p, 2, 1, 18); /* one word short */
	SF_TEST_ASSERT(sf_link_parse_mess(p, n, &info) == SPICE_LINK_ERR_INVALID_DATA);
	mess(p, 0x40000000u, 0x40000000u, 18); /* 32-bit overflow of the caps size */
	SF_TEST_ASSERT(sf_link_parse_mess(p, n, &info) == SPICE_LINK_ERR_INVALID_DATA);
	mess(p, 1, 1, 100); /* caps offset past the end */
	SF_TEST_ASSERT(sf_link_parse_mess(p, n, &info) == SPICE_LINK_ERR_INVALID_DATA);
	mess(p, 1, 1, 4); /* caps offset inside the fixed part */
	SF_TEST_ASSERT(sf_link_parse_mess(p, n, &info) == SPICE_LINK_ERR_INVALID_DATA);
	SF_TEST_ASSERT(sf_link_parse_mess(p, 10, &info) == SPICE_LINK_ERR_INVALID_DATA);
}

SF_TEST(ticket_roundtrip_wrong_password_expiry_disabled)
{
	struct sf_ticket *t = sf_ticket_create();
	uint8_t enc[128];

	SF_TEST_ASSERT(t);
	SF_TEST_ASSERT(
		sf_ticket_encrypt(sf_ticket_pubkey(t), SPICE_TICKET_PUBKEY_BYTES, "pw", enc) == 0);
	/* no password set: denied */
	SF_TEST_ASSERT(sf_ticket_check(t, enc, 1000) == SPICE_LINK_ERR_PERMISSION_DENIED);
	SF_TEST_ASSERT(sf_ticket_set(t, "pw", 0) == 0);
	SF_TEST_ASSERT(sf_ticket_check(t, enc, 1000) == SPICE_LINK_ERR_OK);
	SF_TEST_ASSERT(sf_ticket_set(t, "pw2", 0) == 0);
	SF_TEST_ASSERT(sf_ticket_check(t, enc, 1000) == SPICE_LINK_ERR_PERMISSION_DENIED);
	SF_TEST_ASSERT(sf_ticket_set(t, "pw", 500) == 0);
	SF_TEST_ASSERT(sf_ticket_check(t, enc, 400) == SPICE_LINK_ERR_OK);
	SF_TEST_ASSERT(sf_ticket_check(t, enc, 501) == SPICE_LINK_ERR_PERMISSION_DENIED);
	memset(enc, 0x42, sizeof(enc)); /* garbage ciphertext */
	SF_TEST_ASSERT(sf_ticket_check(t, enc, 400) == SPICE_LINK_ERR_PERMISSION_DENIED);
	sf_ticket_set_disabled(t, true);
	SF_TEST_ASSERT(sf_ticket_check(t, enc, 400) == SPICE_LINK_ERR_OK);
	SF_TEST_ASSERT(
		sf_ticket_set(t, "0123456789012345678901234567890123456789012345678901234567890",
			      0) < 0);
	sf_ticket_destroy(t);
}
