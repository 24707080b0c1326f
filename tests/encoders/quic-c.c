/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/encoders/quic-c.c: encoders/quic.c in plain C, no SIMD at all (see
 * quic-builds.h). */
#define SF_QUIC_NO_SSE2
#define sf_quic_bound  sf_quic_bound_c
#define sf_quic_encode sf_quic_encode_c
#define sf_quic_decode sf_quic_decode_c
#include "encoders/quic.c"
