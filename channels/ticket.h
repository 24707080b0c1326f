/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/ticket.h: SPICE ticket authentication. The server publishes an RSA
 * 1024 public key in each link reply; the client returns the password encrypted
 * with RSA-OAEP; we decrypt and compare against the ticket, honouring expiry. */
#ifndef SF_CHANNELS_TICKET_H
#define SF_CHANNELS_TICKET_H

#include <stdint.h>
#include <time.h>
#include <spice/protocol.h>
#include "engine/common.h"

struct sf_ticket;

/* Generate a fresh key pair. Returns NULL on failure. Thread: any. */
struct sf_ticket *sf_ticket_create(void);
void sf_ticket_destroy(struct sf_ticket *t);

/* DER SubjectPublicKeyInfo, exactly SPICE_TICKET_PUBKEY_BYTES long. */
const uint8_t *sf_ticket_pubkey(const struct sf_ticket *t);

/* Set the password; @expires is a wall-clock time (0: never). NULL password
 * with @disable_ticketing false denies every client (as spice-server does when
 * no password was ever set). Thread: main. Returns 0 or -EINVAL. */
int sf_ticket_set(struct sf_ticket *t, const char *password, time_t expires);
void sf_ticket_set_disabled(struct sf_ticket *t, bool disabled);

/* Check an encrypted ticket. Returns SPICE_LINK_ERR_OK or
 * SPICE_LINK_ERR_PERMISSION_DENIED. Constant-time compare. Thread: main. */
uint32_t sf_ticket_check(const struct sf_ticket *t,
			 const uint8_t enc[SPICE_TICKET_KEY_PAIR_LENGTH / 8], time_t now);

/* Encrypt @password with the public key as a client would (tests, bench).
 * Returns 0 or -EIO. */
int sf_ticket_encrypt(const uint8_t *pubkey, size_t len, const char *password,
		      uint8_t out[SPICE_TICKET_KEY_PAIR_LENGTH / 8]);

#endif
