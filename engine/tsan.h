/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine/tsan.h: happens-before annotations for ThreadSanitizer. liburcu 0.13
 * (inline-asm uatomics) and Debian's ck (volatile accesses) are invisible to
 * TSan, so our wrappers state the ordering they provide: a release when an
 * object is published through them, an acquire when it is taken out. Outside
 * TSan builds these compile to nothing. */
#ifndef SF_ENGINE_TSAN_H
#define SF_ENGINE_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define SF_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SF_TSAN 1
#endif
#endif

#ifdef SF_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define SF_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define SF_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define SF_TSAN_RELEASE(p) ((void)0)
#define SF_TSAN_ACQUIRE(p) ((void)0)
#endif

#endif
