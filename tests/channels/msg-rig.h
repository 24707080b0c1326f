/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/msg-rig.h: a client message (mini header) written on the
 * raw socket of a channel test, shared by the channel rigs. */
#ifndef SF_TESTS_MSG_RIG_H
#define SF_TESTS_MSG_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include "channels/wire.h"

/* Returns false if the socket took less than the whole message. */
static inline bool rig_send(int fd, uint16_t type, const void *p, uint32_t n)
{
	uint8_t h[6];

	sf_put_le16(h, type);
	sf_put_le32(h + 2, n);
	return write(fd, h, 6) == 6 && (!n || write(fd, p, n) == (ssize_t)n);
}

#endif
