/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/tls.h: TLS for the secure port (OpenSSL). One context per server;
 * each accepted socket gets an SSL object that does its handshake on the
 * main loop, then moves with the connection to whichever loop serves it
 * (one thread at a time). Client-initiated renegotiation is refused
 * (spice's CVE-2021-20201). */
#ifndef SF_CHANNELS_TLS_H
#define SF_CHANNELS_TLS_H

#include <sys/uio.h>
#include <openssl/ssl.h>
#include "engine/common.h"

struct sf_tls;

/* Load certificate chain and key (PEM); @ca may be NULL. Returns NULL and
 * logs the OpenSSL reason on failure. Thread: main. */
struct sf_tls *sf_tls_create(const char *cert, const char *key, const char *ca,
			     const char *ciphers);
void sf_tls_destroy(struct sf_tls *t);

/* A server-side SSL object for @fd. NULL on failure. */
SSL *sf_tls_new(struct sf_tls *t, int fd);

/* Non-blocking I/O. Return bytes (> 0), 0 on orderly close, -EAGAIN when
 * the socket would block (either direction), or another -errno. */
ssize_t sf_tls_read(SSL *ssl, void *buf, size_t len);
ssize_t sf_tls_writev(SSL *ssl, const struct iovec *iov, int n);
/* Drive the handshake: 1 done, 0 in progress (-EAGAIN semantics), -errno. */
int sf_tls_handshake(SSL *ssl);

#endif
