/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/fuzz/echo-dev.h: a char device for fuzz targets that gives back
 * what it was written, taking at most ECHO_PER_WRITE bytes a call (each
 * target defines it) so partial writes and backpressure are exercised. */
#ifndef SF_TESTS_FUZZ_ECHO_DEV_H
#define SF_TESTS_FUZZ_ECHO_DEV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static uint8_t echo_buf[8192];
static size_t echo_len;

static int echo_read(void *o, uint8_t *buf, int len)
{
	size_t n = echo_len < (size_t)len ? echo_len : (size_t)len;

	(void)o;
	memcpy(buf, echo_buf, n);
	memmove(echo_buf, echo_buf + n, echo_len - n);
	echo_len -= n;
	return (int)n;
}

static int echo_write(void *o, const uint8_t *buf, int len)
{
	size_t n = sizeof(echo_buf) - echo_len;

	(void)o;
	n = n < (size_t)len ? n : (size_t)len;
	n = n > ECHO_PER_WRITE ? ECHO_PER_WRITE : n;
	memcpy(echo_buf + echo_len, buf, n);
	echo_len += n;
	return (int)n;
}

#endif
