/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-chan.c: the send stage's batch push
 * (sf_chan_push_owned_n): order on the wire against single pushes, the
 * references it takes over, a closing connection refusing the batch; and
 * the backlog room a pusher spends without reading the sender's counter. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <spice/enums.h>
#include "channels/chan.h"
#include "channels/wire.h"
#include "engine/loop.h"
#include "tests/unit.h"

static int ignore(struct sf_chan *c, uint16_t t, const uint8_t *p, uint32_t n)
{
	(void)c, (void)t, (void)p, (void)n;
	return 0;
}

static const struct sf_chan_ops ops = {.name = "test", .max_msg_size = 4096, .handle = ignore};

static struct sf_buf *msg(uint16_t type, uint32_t value)
{
	struct sf_wbuf w;

	sf_wbuf_init(&w, type, 4);
	sf_wbuf_u32(&w, value);
	return sf_wbuf_finish(&w);
}

/* Read mini-header messages of 4-byte bodies off @fd into @type/@value;
 * returns how many arrived within a bounded number of loop rounds. */
static int read_msgs(struct sf_loop *loop, int fd, uint16_t *type, uint32_t *value, int max)
{
	uint8_t in[256];
	size_t have = 0;
	int n = 0;

	for (int round = 0; round < 200 && n < max; round++) {
		sf_loop_iterate(loop, 5);
		ssize_t r = recv(fd, in + have, sizeof(in) - have, MSG_DONTWAIT);
		if (r > 0)
			have += (size_t)r;
		while (have >= 10 && n < max) {
			type[n] = sf_get_le16(in);
			if (sf_get_le32(in + 2) != 4)
				return -1;
			value[n++] = sf_get_le32(in + 6);
			memmove(in, in + 10, have - 10);
			have -= 10;
		}
	}
	return n;
}

SF_TEST(chan_batch_push_keeps_order_and_takes_over_references)
{
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_MAIN, .mini_header = true};
	struct sf_loop *loop = sf_loop_create();
	struct sf_buf *b[3], *single = msg(104, 4);
	struct sf_chan *c;
	uint16_t type[4];
	uint32_t value[4];
	int sv[2];

	SF_TEST_ASSERT(loop && single);
	SF_TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = sf_chan_create(loop, sv[1], &info, &ops, NULL);
	SF_TEST_ASSERT(c);
	sf_chan_start(c);
	for (int i = 0; i < 3; i++) {
		b[i] = msg((uint16_t)(101 + i), (uint32_t)(i + 1));
		SF_TEST_ASSERT(b[i]);
		sf_buf_ref(b[i]); /* the one the connection takes over */
	}
	SF_TEST_ASSERT(sf_chan_push_owned_n(c, b, 3) == 0);
	SF_TEST_ASSERT(sf_chan_push(c, single) == 0);
	SF_TEST_ASSERT(sf_chan_backlog(c) == 4 * 10);
	SF_TEST_ASSERT(sf_chan_backlog_room(c, 100) == 61);
	SF_TEST_ASSERT(sf_chan_backlog_room(c, 30) == 0); /* over */
	SF_TEST_ASSERT(read_msgs(loop, sv[0], type, value, 4) == 4);
	for (int i = 0; i < 4; i++) {
		SF_TEST_ASSERT(type[i] == 101 + i);
		SF_TEST_ASSERT(value[i] == (uint32_t)i + 1);
	}
	SF_TEST_ASSERT(sf_chan_backlog(c) == 0);
	SF_TEST_ASSERT(sf_chan_backlog_room(c, 30) == 31); /* the sent bytes are seen */
	/* sent: the batch's items are gone and only our references remain */
	for (int i = 0; i < 3; i++)
		SF_TEST_ASSERT(atomic_load(&b[i]->ref) == 1);

	sf_chan_close(c);
	for (int i = 0; i < 3; i++)
		sf_buf_ref(b[i]);
	SF_TEST_ASSERT(sf_chan_push_owned_n(c, b, 3) == -EPIPE);
	for (int i = 0; i < 3; i++) { /* refused: the references stay ours */
		SF_TEST_ASSERT(atomic_load(&b[i]->ref) == 2);
		sf_buf_unref(b[i]);
		sf_buf_unref(b[i]);
	}
	sf_buf_unref(single);
	sf_loop_iterate(loop, 0);
	sf_chan_unref(c);
	close(sv[0]);
	sf_loop_destroy(loop);
}
