/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/chardev-test.h: what chardev-host and glib-chardev agree on. */
#ifndef SF_TESTS_CHARDEV_TEST_H
#define SF_TESTS_CHARDEV_TEST_H

#include <stddef.h>
#include <stdint.h>

#define CT_PORT_NAME	   "org.saffron.test"
#define CT_PORT_XOR	   0x5a		/* the echo port's transform */
#define CT_CLIP_SIZE	   (300 * 1024) /* the agent's clipboard text */
#define CT_CLIENT_CLIP_XOR 0x20		/* the client's clipboard: upper case */

static inline uint8_t ct_clip_byte(size_t i)
{
	return (uint8_t)('a' + (i * 7 + i / 251) % 26);
}

static inline uint8_t ct_port_byte(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 10));
}

#endif
