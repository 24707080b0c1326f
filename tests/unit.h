/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit.h: the unit test framework. SF_TEST(name) registers a test;
 * the runner (tests/unit.c) forks per test for crash isolation and ends with
 * "N passed, N failed". */
#ifndef SF_TESTS_UNIT_H
#define SF_TESTS_UNIT_H

#include <stdbool.h>
#include <stdio.h>

void sf_test_register(const char *name, void (*fn)(void), const char *file);
void sf_test_fail(const char *file, int line, const char *cond);

#define SF_TEST(name)                                                                              \
	static void sf_test_##name(void);                                                          \
	__attribute__((constructor)) static void sf_test_reg_##name(void)                          \
	{                                                                                          \
		sf_test_register(#name, sf_test_##name, __FILE__);                                 \
	}                                                                                          \
	static void sf_test_##name(void)

#define SF_TEST_ASSERT(cond)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			sf_test_fail(__FILE__, __LINE__, #cond);                                   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

#endif
