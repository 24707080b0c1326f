/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/tls.c: OpenSSL context and non-blocking I/O helpers. writev is
 * emulated by staging up to 64 KiB per SSL_write; with partial writes
 * enabled the same leading bytes are offered again after -EAGAIN, as
 * OpenSSL requires. */
#include <errno.h>
#include <string.h>
#include <openssl/err.h>
#include "channels/tls.h"
#include "engine/log.h"

SF_LOG_TOPIC("tls");

#define STAGE 65536

struct sf_tls {
	SSL_CTX *ctx;
};

static void log_ssl(const char *what)
{
	char buf[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, buf, sizeof(buf));
	sf_log_error("%s: %s", what, e ? buf : "unknown error");
	ERR_clear_error();
}

struct sf_tls *sf_tls_create(const char *cert, const char *key, const char *ca, const char *ciphers)
{
	struct sf_tls *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx)
		goto err;
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(t->ctx,
			 SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
		log_ssl(cert);
		goto err;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		log_ssl(key);
		goto err;
	}
	if (ca && SSL_CTX_load_verify_locations(t->ctx, ca, NULL) != 1) {
		log_ssl(ca);
		goto err;
	}
	if (ciphers && *ciphers && SSL_CTX_set_cipher_list(t->ctx, ciphers) != 1) {
		log_ssl(ciphers);
		goto err;
	}
	return t;
err:
	sf_tls_destroy(t);
	return NULL;
}

void sf_tls_destroy(struct sf_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

SSL *sf_tls_new(struct sf_tls *t, int fd)
{
	SSL *ssl = SSL_new(t->ctx);

	if (ssl && SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	if (ssl)
		SSL_set_accept_state(ssl);
	return ssl;
}

static int map_err(SSL *ssl, int r)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return errno ? -errno : -ECONNRESET;
	case SSL_ERROR_SSL:
		/* a peer that closes without close_notify is a reset, not a protocol error */
		if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return -ECONNRESET;
		}
		ERR_clear_error();
		return -EPROTO;
	default:
		ERR_clear_error();
		return -EPROTO;
	}
}

ssize_t sf_tls_read(SSL *ssl, void *buf, size_t len)
{
	int r = SSL_read(ssl, buf, (int)SF_MIN(len, (size_t)INT32_MAX));

	return r > 0 ? r : map_err(ssl, r);
}

ssize_t sf_tls_writev(SSL *ssl, const struct iovec *iov, int n)
{
	static __thread uint8_t stage[STAGE];
	size_t len = 0;
	int r;

	for (int i = 0; i < n && len < STAGE; i++) {
		size_t take = SF_MIN(iov[i].iov_len, STAGE - len);
		memcpy(stage + len, iov[i].iov_base, take);
		len += take;
	}
	if (!len)
		return 0;
	r = SSL_write(ssl, stage, (int)len);
	if (r > 0)
		return r;
	r = map_err(ssl, r);
	return r == 0 ? -ECONNRESET : r;
}

int sf_tls_handshake(SSL *ssl)
{
	int r = SSL_do_handshake(ssl);

	if (r == 1)
		return 1;
	r = map_err(ssl, r);
	return r == -EAGAIN ? 0 : (r ? r : -ECONNRESET);
}
