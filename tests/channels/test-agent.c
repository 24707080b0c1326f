/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/channels/test-agent.c: the agent's token flow control both ways,
 * whole messages from concurrent clients, the filters, monitors config
 * routing, flood and malformed input handling. */
#include <spice/enums.h>
#include <spice/vd_agent.h>
#include "tests/channels/chardev-rig.h"
#include "channels/agent.h"
#include "tests/unit.h"

struct arig {
	struct sf_loop *loop;
	struct sf_agent *a;
	struct dev *d;
	struct sf_chan *chan[2];
	struct sf_agent_client *ac[2];
	int fd[2];
};

static int ignore(struct sf_chan *c, uint16_t t, const uint8_t *p, uint32_t n)
{
	(void)c, (void)t, (void)p, (void)n;
	return 0;
}

static const struct sf_chan_ops main_ops = {.name = "main", .max_msg_size = 4096, .handle = ignore};

static bool arig_up(struct arig *r, int nclients)
{
	struct sf_link_info info = {.channel_type = SPICE_CHANNEL_MAIN, .mini_header = true};

	r->loop = sf_loop_create();
	r->d = calloc(1, sizeof(*r->d));
	r->a = r->loop ? sf_agent_create(r->loop) : NULL;
	if (!r->a || !r->d)
		return false;
	r->d->write_limit = 1 << 20;
	sf_agent_set_device(r->a, &dev_ops, r->d);
	for (int i = 0; i < nclients; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return false;
		r->fd[i] = sv[0];
		r->chan[i] = sf_chan_create(r->loop, sv[1], &info, &main_ops, NULL);
		if (!r->chan[i])
			return false;
		sf_chan_start(r->chan[i]);
		r->ac[i] = sf_agent_client_add(r->a, r->chan[i]);
	}
	pump_loop(r->loop, 2);
	return true;
}

static void arig_down(struct arig *r, int nclients)
{
	for (int i = 0; i < nclients; i++) {
		sf_agent_client_remove(r->ac[i]);
		sf_chan_close(r->chan[i]);
		sf_chan_unref(r->chan[i]);
		close(r->fd[i]);
	}
	sf_loop_iterate(r->loop, 0);
	sf_agent_destroy(r->a);
	sf_loop_destroy(r->loop);
	free(r->d);
}

/* A VDAgentMessage header + @size payload bytes of @fill. */
static uint32_t agent_msg(uint8_t *p, uint32_t type, uint32_t size, uint8_t fill)
{
	sf_put_le32(p, VD_AGENT_PROTOCOL);
	sf_put_le32(p + 4, type);
	sf_put_le64(p + 8, 0);
	sf_put_le32(p + 16, size);
	memset(p + 20, fill, size);
	return 20 + size;
}

/* The guest writes one chunk on the client port holding a whole message. */
static void guest_says(struct dev *d, uint32_t type, uint32_t size, uint8_t fill)
{
	uint8_t *p = d->out + d->out_len;
	uint32_t n = agent_msg(p + 8, type, size, fill);

	sf_put_le32(p, VDP_CLIENT_PORT);
	sf_put_le32(p + 4, n);
	d->out_len += 8 + n;
}

SF_TEST(agent_device_to_client_waits_for_tokens)
{
	struct arig r = {0};
	uint8_t body[4096];
	uint32_t size;
	int t;

	SF_TEST_ASSERT(arig_up(&r, 1));
	/* INIT-time greeting and three messages from the guest */
	for (int i = 0; i < 3; i++)
		guest_says(r.d, VD_AGENT_CLIPBOARD_GRAB, 4, (uint8_t)i);
	SF_TEST_ASSERT(sf_agent_client_start(r.ac[0], 2) == 0);
	for (int i = 0; i < 2; i++) {
		t = recv_msg(r.loop, r.fd[0], body, sizeof(body), &size, 200);
		SF_TEST_ASSERT(t == SPICE_MSG_MAIN_AGENT_DATA && size == 24 && body[20] == i);
	}
	/* out of tokens: the third stays in the guest */
	SF_TEST_ASSERT(recv_msg(r.loop, r.fd[0], body, sizeof(body), &size, 30) == -1);
	SF_TEST_ASSERT(r.d->out_pos < r.d->out_len);
	SF_TEST_ASSERT(sf_agent_client_tokens(r.ac[0], 1) == 0);
	t = recv_msg(r.loop, r.fd[0], body, sizeof(body), &size, 200);
	SF_TEST_ASSERT(t == SPICE_MSG_MAIN_AGENT_DATA && body[20] == 2);
	arig_down(&r, 1);
}

SF_TEST(agent_messages_of_two_clients_never_interleave)
{
	struct arig r = {0};
	uint8_t m[3100], body[64];
	uint32_t n, size;
	int tokens = 0;

	SF_TEST_ASSERT(arig_up(&r, 2));
	sf_agent_client_start(r.ac[0], 10);
	sf_agent_client_start(r.ac[1], 10);
	r.d->write_limit = 0; /* the guest is busy */
	/* client 0: a 3000-byte message in two chunks; client 1: one message */
	n = agent_msg(m, VD_AGENT_CLIPBOARD, 3000, 0xaa);
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, 2048) == 0);
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[1], m, agent_msg(m, 99, 10, 0xbb)) == 0);
	agent_msg(m, VD_AGENT_CLIPBOARD, 3000, 0xaa);
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m + 2048, n - 2048) == 0);
	r.d->write_limit = 7; /* then slow: partial writes everywhere */
	for (int i = 0; i < 2000 && r.d->in_len < 16 + n + 38; i++)
		sf_agent_wakeup(r.a);
	SF_TEST_ASSERT(r.d->in_len == 16 + n + 38);
	/* client 0's two chunks are adjacent, whichever client went first */
	if (sf_get_le32(r.d->in + 4) == 30) {
		SF_TEST_ASSERT(sf_get_le32(r.d->in + 38 + 4) == 2048);
		SF_TEST_ASSERT(sf_get_le32(r.d->in + 38 + 2056 + 4) == n - 2048);
	} else {
		SF_TEST_ASSERT(sf_get_le32(r.d->in + 4) == 2048);
		SF_TEST_ASSERT(sf_get_le32(r.d->in + 2056 + 4) == n - 2048);
		SF_TEST_ASSERT(sf_get_le32(r.d->in + 16 + n + 12) == 99);
	}
	/* every chunk written earned its client a token back */
	while (recv_msg(r.loop, r.fd[0], body, sizeof(body), &size, 30) ==
	       SPICE_MSG_MAIN_AGENT_TOKEN)
		tokens += (int)sf_get_le32(body);
	SF_TEST_ASSERT(tokens == 2);
	arig_down(&r, 2);
}

SF_TEST(agent_flood_beyond_tokens_and_malformed_data_are_refused)
{
	struct arig r = {0};
	uint8_t m[4096];

	SF_TEST_ASSERT(arig_up(&r, 1));
	sf_agent_client_start(r.ac[0], 10);
	r.d->write_limit = 0;
	for (int i = 0; i < SF_AGENT_CLIENT_TOKENS; i++)
		SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, agent_msg(m, 99, 100, 1)) == 0);
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, agent_msg(m, 99, 100, 1)) == -ENOBUFS);
	arig_down(&r, 1);

	SF_TEST_ASSERT(arig_up(&r, 1));
	sf_agent_client_start(r.ac[0], 10);
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, 10) == -EPROTO);     /* no header */
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, 4000) == -EMSGSIZE); /* > 2048 */
	agent_msg(m, 99, 5, 1);
	sf_put_le32(m, 7); /* wrong protocol */
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, 25) == -EPROTO);
	agent_msg(m, 99, 5, 1); /* longer than its header says */
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, 30) == -EPROTO);
	/* the guest sends an oversized chunk: skipped, later data still flows */
	sf_put_le32(r.d->out, VDP_CLIENT_PORT);
	sf_put_le32(r.d->out + 4, 1 << 30);
	r.d->out_len = 8;
	sf_agent_wakeup(r.a);
	guest_says(r.d, 99, 4, 3);
	sf_agent_wakeup(r.a);
	SF_TEST_ASSERT(r.d->out_pos == r.d->out_len);
	arig_down(&r, 1);
}

SF_TEST(agent_filters_clipboard_and_routes_monitors_config)
{
	struct arig r = {0};
	struct sf_agent_config cfg = {.copy_paste = false, .file_xfer = true};
	uint8_t m[256], body[64];
	uint32_t n, size;

	SF_TEST_ASSERT(arig_up(&r, 1));
	sf_agent_configure(r.a, &cfg);
	sf_agent_client_start(r.ac[0], 10);
	SF_TEST_ASSERT(
		sf_agent_client_data(r.ac[0], m, agent_msg(m, VD_AGENT_CLIPBOARD_GRAB, 4, 0)) == 0);
	SF_TEST_ASSERT(r.d->in_len == 0);
	guest_says(r.d, VD_AGENT_CLIPBOARD_GRAB, 4, 0);
	sf_agent_wakeup(r.a);
	SF_TEST_ASSERT(recv_msg(r.loop, r.fd[0], body, sizeof(body), &size, 30) ==
		       SPICE_MSG_MAIN_AGENT_TOKEN); /* the dropped message's token */
	SF_TEST_ASSERT(recv_msg(r.loop, r.fd[0], body, sizeof(body), &size, 30) == -1);

	/* a display that takes monitor configs gets them; the agent does not */
	r.d->monitors_supported = true;
	n = agent_msg(m, VD_AGENT_MONITORS_CONFIG, 8 + 2 * 20, 0);
	sf_put_le32(m + 20, 2);
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, n) == 0);
	SF_TEST_ASSERT(r.d->monitors_calls == 1 && r.d->monitors_n == 2 && r.d->in_len == 0);
	sf_put_le32(m + 20, 3); /* more monitors than the message holds */
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, n) == -EPROTO);
	arig_down(&r, 1);
}

SF_TEST(agent_hears_when_the_last_client_leaves)
{
	struct arig r = {0};

	SF_TEST_ASSERT(arig_up(&r, 2));
	SF_TEST_ASSERT(r.d->state == 1);
	sf_agent_client_remove(r.ac[0]);
	r.ac[0] = NULL;
	SF_TEST_ASSERT(r.d->in_len == 0);
	sf_agent_client_remove(r.ac[1]);
	r.ac[1] = NULL;
	SF_TEST_ASSERT(r.d->in_len == 28);
	SF_TEST_ASSERT(sf_get_le32(r.d->in) == VDP_SERVER_PORT);
	SF_TEST_ASSERT(sf_get_le32(r.d->in + 12) == VD_AGENT_CLIENT_DISCONNECTED);
	sf_agent_set_device(r.a, NULL, NULL);
	SF_TEST_ASSERT(r.d->state == 0);
	arig_down(&r, 2);
}

SF_TEST(agent_mouse_states_coalesce_and_wait_for_message_boundaries)
{
	struct arig r = {0};
	uint8_t m[64];

	SF_TEST_ASSERT(arig_up(&r, 1));
	sf_agent_client_start(r.ac[0], 10);
	r.d->budgeted = true;
	r.d->budget = 30;
	/* a client message's first chunk is partly written when pointer
	 * updates arrive */
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m, agent_msg(m, 99, 40, 7) - 20) == 0);
	SF_TEST_ASSERT(r.d->in_len == 30);
	for (uint32_t i = 0; i < 100; i++)
		sf_agent_mouse(r.a, i, 2 * i, VD_AGENT_LBUTTON_MASK, 0);
	r.d->budgeted = false;
	sf_agent_wakeup(r.a);
	/* the chunk completes; the pointer waits for the message's end */
	SF_TEST_ASSERT(r.d->in_len == 8 + 40);
	agent_msg(m, 99, 40, 7);
	SF_TEST_ASSERT(sf_agent_client_data(r.ac[0], m + 40, 20) == 0);
	SF_TEST_ASSERT(r.d->in_len == 8 + 40 + 8 + 20 + 8 + 20 + 13);
	SF_TEST_ASSERT(sf_get_le32(r.d->in + 76) == VDP_SERVER_PORT);
	SF_TEST_ASSERT(sf_get_le32(r.d->in + 84 + 4) == VD_AGENT_MOUSE_STATE);
	SF_TEST_ASSERT(sf_get_le32(r.d->in + 104) == 99 && sf_get_le32(r.d->in + 108) == 198);
	arig_down(&r, 1);
}
