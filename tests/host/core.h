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

/* CPU time this thread spent in the library: every watch and timer callback
 * is metered, and a caller brackets its own calls into the library with
 * enter/leave (they nest). What the host's thread spends outside them
 * (polling, pacing a synthetic guest) is the hypervisor's, not the
 * server's; the bench harness subtracts it. */
void host_core_meter_enter(void);
void host_core_meter_leave(void);
double host_core_metered_s(void);

#endif
