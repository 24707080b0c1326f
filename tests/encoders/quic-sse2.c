/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/encoders/quic-sse2.c: encoders/quic.c without the SSE4.1 bucket
 * update (see quic-builds.h; the renamed quic.h declares these). */
#define SF_QUIC_PORTABLE
#define sf_quic_bound  sf_quic_bound_sse2
#define sf_quic_encode sf_quic_encode_sse2
#define sf_quic_decode sf_quic_decode_sse2
#include "encoders/quic.c"
