/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* channels/ticket.c: RSA-OAEP ticket with OpenSSL 3 EVP APIs. */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "channels/ticket.h"

#define PASSWD_MAX 60 /* spice-server's SPICE_MAX_PASSWORD_LENGTH */

struct sf_ticket {
	EVP_PKEY *key;
	uint8_t pub[SPICE_TICKET_PUBKEY_BYTES];
	char password[PASSWD_MAX + 1];
	bool has_password;
	bool disabled;
	time_t expires;
};

struct sf_ticket *sf_ticket_create(void)
{
	struct sf_ticket *t = calloc(1, sizeof(*t));
	uint8_t *p;
	int len;

	if (!t)
		return NULL;
	t->key = EVP_RSA_gen(SPICE_TICKET_KEY_PAIR_LENGTH);
	if (!t->key)
		goto err_free;
	len = i2d_PUBKEY(t->key, NULL);
	if (len != SPICE_TICKET_PUBKEY_BYTES)
		goto err_key;
	p = t->pub;
	i2d_PUBKEY(t->key, &p);
	return t;

err_key:
	EVP_PKEY_free(t->key);
err_free:
	free(t);
	return NULL;
}

void sf_ticket_destroy(struct sf_ticket *t)
{
	if (!t)
		return;
	EVP_PKEY_free(t->key);
	OPENSSL_cleanse(t->password, sizeof(t->password));
	free(t);
}

const uint8_t *sf_ticket_pubkey(const struct sf_ticket *t)
{
	return t->pub;
}

int sf_ticket_set(struct sf_ticket *t, const char *password, time_t expires)
{
	OPENSSL_cleanse(t->password, sizeof(t->password));
	t->has_password = false;
	t->expires = expires;
	if (!password)
		return 0;
	if (strlen(password) > PASSWD_MAX)
		return -EINVAL;
	memcpy(t->password, password, strlen(password) + 1);
	t->has_password = true;
	return 0;
}

void sf_ticket_set_disabled(struct sf_ticket *t, bool disabled)
{
	t->disabled = disabled;
}

static bool const_eq(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

uint32_t sf_ticket_check(const struct sf_ticket *t,
			 const uint8_t enc[SPICE_TICKET_KEY_PAIR_LENGTH / 8], time_t now)
{
	uint8_t plain[SPICE_TICKET_KEY_PAIR_LENGTH / 8];
	size_t outlen = sizeof(plain);
	uint32_t res = SPICE_LINK_ERR_PERMISSION_DENIED;
	EVP_PKEY_CTX *ctx;

	if (t->disabled)
		return SPICE_LINK_ERR_OK;
	if (!t->has_password || (t->expires && now > t->expires))
		return res;
	ctx = EVP_PKEY_CTX_new(t->key, NULL);
	if (!ctx)
		return res;
	if (EVP_PKEY_decrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_decrypt(ctx, plain, &outlen, enc, SPICE_TICKET_KEY_PAIR_LENGTH / 8) <= 0)
		goto out;
	/* the client sends the NUL terminator; tolerate its absence */
	if (outlen > 0 && plain[outlen - 1] == 0)
		outlen--;
	if (outlen == strlen(t->password) && const_eq((char *)plain, t->password, outlen))
		res = SPICE_LINK_ERR_OK;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_PKEY_CTX_free(ctx);
	return res;
}

int sf_ticket_encrypt(const uint8_t *pubkey, size_t len, const char *password,
		      uint8_t out[SPICE_TICKET_KEY_PAIR_LENGTH / 8])
{
	const uint8_t *p = pubkey;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)len);
	EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
	size_t outlen = SPICE_TICKET_KEY_PAIR_LENGTH / 8;
	int r = -EIO;

	if (ctx && EVP_PKEY_encrypt_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
	    EVP_PKEY_encrypt(ctx, out, &outlen, (const uint8_t *)password, strlen(password) + 1) >
		    0)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	return r;
}
