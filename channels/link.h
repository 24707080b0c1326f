/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/link.h: the SPICE link handshake on the main thread. Parses the
 * client's SpiceLinkHeader/SpiceLinkMess (untrusted, bounded), replies with
 * caps and the ticket public key, reads the auth mechanism and RSA ticket, and
 * hands the linked socket to the channel layer. Pure parsers are exported for
 * unit tests and the fuzzer. */
#ifndef SF_CHANNELS_LINK_H
#define SF_CHANNELS_LINK_H

#include <stdint.h>
#include <spice/protocol.h>
#include "engine/loop.h"
#include "channels/ticket.h"

#define SF_LINK_MAX_SIZE 4096 /* body of a link message; real clients send < 100 */
#define SF_CAPS_WORDS	 4    /* caps words kept per set; extra words are ignored */

struct sf_link_info {
	uint32_t connection_id;
	uint8_t channel_type;
	uint8_t channel_id;
	uint32_t num_common_caps;
	uint32_t num_channel_caps;
	uint32_t common_caps[SF_CAPS_WORDS];
	uint32_t channel_caps[SF_CAPS_WORDS];
	bool mini_header;
	bool migrated;	    /* set by the server, not the wire: a migration target link */
	bool low_bandwidth; /* set by the server: the session's net test said so */
	void *ssl;	    /* SSL * when linked on the TLS port; owned with the fd */
};

/* Parse the 16-byte link header. Returns SPICE_LINK_ERR_OK and the body size,
 * or the link error to report. Thread: any; pure. */
uint32_t sf_link_parse_header(const uint8_t *p, size_t len, uint32_t *body_size);

/* Parse a link message body of @len bytes. Returns SPICE_LINK_ERR_OK or the
 * error to report. Thread: any; pure. */
uint32_t sf_link_parse_mess(const uint8_t *p, size_t len, struct sf_link_info *info);

/* A short description of a SPICE_LINK_ERR_* code (for logs). */
const char *sf_link_err_str(uint32_t err);

/* True if cap @bit is set in @caps (@n words long). */
bool sf_caps_test(const uint32_t *caps, uint32_t n, unsigned bit);

struct sf_link_ops {
	/* Channel caps word for a channel; SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE
	 * via the return of check() when the channel does not exist. */
	uint32_t (*channel_caps)(void *data, uint8_t type);
	/* Decide before the ticket result is sent. Returns a link error. */
	uint32_t (*check)(void *data, const struct sf_link_info *info);
	/* Called after SPICE_LINK_ERR_OK was written; takes ownership of @fd. */
	void (*adopt)(void *data, int fd, const struct sf_link_info *info);
};

struct sf_linker;

/* Thread: main. @ticket is borrowed and must outlive the linker. */
struct sf_linker *sf_linker_create(struct sf_loop *loop, struct sf_ticket *ticket,
				   const struct sf_link_ops *ops, void *data);
void sf_linker_destroy(struct sf_linker *l);

/* Set the handshake timeout (default 10000 ms). */
void sf_linker_set_timeout(struct sf_linker *l, unsigned ms);

/* Start the handshake on an accepted, non-blocking socket; takes @fd.
 * Returns 0 or -errno (then @fd is closed). Thread: main. */
int sf_linker_accept(struct sf_linker *l, int fd);

/* The same for a TLS socket: the handshake runs first; takes @ssl. */
int sf_linker_accept_tls(struct sf_linker *l, int fd, void *ssl, bool trusted);

/* The same for a socket the embedder vouches for (spice_server_add_client
 * with skip_auth): the ticket is read but not checked. */
int sf_linker_accept_trusted(struct sf_linker *l, int fd);

/* Handshakes in progress (for tests and stats). */
unsigned sf_linker_pending(const struct sf_linker *l);

#endif
