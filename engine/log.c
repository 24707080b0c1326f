/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/log.c: log filter, default stderr sink and rate limiter. The filter is
 * global state written once at start (engine/ may hold globals). */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include "engine/log.h"
#include "engine/clock.h"

#define MAX_RULES 16

struct rule {
	char topic[24];
	enum sf_log_level level;
};

static struct {
	enum sf_log_level level;
	struct rule rules[MAX_RULES];
	int nrules;
	bool parsed;
	sf_log_handler handler;
	void *handler_data;
} g_log = {.level = SF_LOG_WARN};

static atomic_ulong g_warns;

static int parse_level(const char *s, size_t n)
{
	static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
	for (size_t i = 0; i < SF_ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && strncmp(names[i], s, n) == 0)
			return (int)i;
	return -1;
}

void sf_log_set_filter(const char *spec)
{
	g_log.nrules = 0;
	g_log.level = SF_LOG_WARN;
	g_log.parsed = true;
	while (spec && *spec) {
		const char *end = strchr(spec, ',');
		size_t len = end ? (size_t)(end - spec) : strlen(spec);
		const char *colon = memchr(spec, ':', len);
		if (!colon) {
			int l = parse_level(spec, len);
			if (l >= 0)
				g_log.level = (enum sf_log_level)l;
		} else if (g_log.nrules < MAX_RULES) {
			size_t tl = (size_t)(colon - spec);
			int l = parse_level(colon + 1, len - tl - 1);
			if (l >= 0 && tl < sizeof(g_log.rules[0].topic)) {
				struct rule *r = &g_log.rules[g_log.nrules++];
				memcpy(r->topic, spec, tl);
				r->topic[tl] = 0;
				r->level = (enum sf_log_level)l;
			}
		}
		spec = end ? end + 1 : NULL;
	}
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_from_env(void)
{
	if (!g_log.parsed)
		sf_log_set_filter(getenv("SAFFRON_DEBUG"));
}

bool sf_log_enabled(enum sf_log_level level, const char *topic)
{
	/* once: the first log call may come from any thread */
	pthread_once(&g_once, init_from_env);
	for (int i = 0; i < g_log.nrules; i++)
		if (strcmp(g_log.rules[i].topic, topic) == 0)
			return level <= g_log.rules[i].level;
	return level <= g_log.level;
}

void sf_log_set_handler(sf_log_handler fn, void *data)
{
	g_log.handler = fn;
	g_log.handler_data = data;
}

void sf_log_emit(enum sf_log_level level, const char *topic, const char *file, int line,
		 const char *fmt, ...)
{
	static const char tag[] = "EWIDT";
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (g_log.handler) {
		g_log.handler(level, topic, msg, g_log.handler_data);
		return;
	}
	if (level >= SF_LOG_DEBUG) /* monotonic seconds: lines of two processes line up */
		fprintf(stderr, "saffron %c %.3f %s [%s:%d] %s\n", tag[level],
			(double)sf_clock_now_ns() / 1e9, topic, file, line, msg);
	else
		fprintf(stderr, "saffron %c %s: %s\n", tag[level], topic, msg);
}

void sf_warn_once(const char *file, int line, const char *cond, int *seen)
{
	/* relaxed: a statistics counter, nothing is published through it */
	atomic_fetch_add_explicit(&g_warns, 1, memory_order_relaxed);
	if (*seen)
		return;
	*seen = 1;
	fprintf(stderr, "saffron WARN_ON at %s:%d: %s\n", file, line, cond);
}

unsigned long sf_warn_count(void)
{
	return atomic_load_explicit(&g_warns, memory_order_relaxed);
}

bool sf_ratelimit_test(struct sf_ratelimit *rl)
{
	uint64_t now = sf_clock_now_ns() / 1000000;

	if (now - rl->begin_ms >= rl->interval_ms) {
		rl->begin_ms = now;
		rl->n = 0;
	}
	if (rl->n < rl->burst) {
		rl->n++;
		return true;
	}
	rl->missed++;
	return false;
}
