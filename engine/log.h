/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/log.h: leveled logging with per-file topics, a runtime filter
 * (SAFFRON_DEBUG=warn,display:debug) and an embedder hook, plus a rate limiter
 * for every message a guest or client can trigger. */
#ifndef SF_ENGINE_LOG_H
#define SF_ENGINE_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include "engine/common.h"

enum sf_log_level {
	SF_LOG_ERROR = 0,
	SF_LOG_WARN,
	SF_LOG_INFO,
	SF_LOG_DEBUG,
	SF_LOG_TRACE,
};

/* Embedder hook; called from any thread, must be thread-safe. */
typedef void (*sf_log_handler)(enum sf_log_level level, const char *topic, const char *msg,
			       void *data);

/* Install a handler (NULL restores stderr). Thread: main, before threads start. */
void sf_log_set_handler(sf_log_handler fn, void *data);

/* Re-read the filter from @spec (same syntax as SAFFRON_DEBUG). Thread: main. */
void sf_log_set_filter(const char *spec);

/* True if a message of @level on @topic would be emitted. Thread: any. */
bool sf_log_enabled(enum sf_log_level level, const char *topic);

void sf_log_emit(enum sf_log_level level, const char *topic, const char *file, int line,
		 const char *fmt, ...) SF_PRINTF(5, 6);

#define SF_LOG_TOPIC(name) static const char *const sf_log_topic SF_UNUSED = name

#define sf_log(lvl, ...)                                                                           \
	do {                                                                                       \
		if (sf_log_enabled(lvl, sf_log_topic))                                             \
			sf_log_emit(lvl, sf_log_topic, __FILE__, __LINE__, __VA_ARGS__);           \
	} while (0)
#define sf_log_error(...) sf_log(SF_LOG_ERROR, __VA_ARGS__)
#define sf_log_warn(...)  sf_log(SF_LOG_WARN, __VA_ARGS__)
#define sf_log_info(...)  sf_log(SF_LOG_INFO, __VA_ARGS__)
#define sf_log_debug(...) sf_log(SF_LOG_DEBUG, __VA_ARGS__)

/* Token bucket: at most @burst messages per @interval_ms. Fields private;
 * public so callers embed one per message site or per client. */
struct sf_ratelimit {
	uint64_t interval_ms;
	unsigned burst;
	uint64_t begin_ms;
	unsigned n;
	unsigned missed;
};
#define SF_RATELIMIT_INIT(ms, b)                                                                   \
	{                                                                                          \
		.interval_ms = (ms), .burst = (b)                                                  \
	}

/* Returns true if this message may be logged. Thread: the owner of @rl. */
bool sf_ratelimit_test(struct sf_ratelimit *rl);

#endif
