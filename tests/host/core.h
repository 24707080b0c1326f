/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/host/core.h: a minimal SpiceCoreInterface on poll(2) for programs
 * written only against the official <spice.h> (the bench harness, test
 * hosts), so the same binary runs on Saffron's shim or the reference
 * library. Single-threaded: everything runs in host_core_iterate(). */
#ifndef SF_TESTS_HOST_CORE_H
#define SF_TESTS_HOST_CORE_H

#include <stdint.h>
#include <spice.h>

/* The interface to pass to spice_server_init(). @on_event (optional) sees
 * every channel event. */
SpiceCoreInterface *host_core(void (*on_event)(int event, SpiceChannelEventInfo *info));

/* Poll watches and run due timers, waiting at most @max_ms. */
void host_core_iterate(int max_ms);

uint64_t host_now_ms(void);

#endif
