/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/unit.c: runs every registered unit test in its own process (a crash
 * or hang fails that test only), with an optional name filter argument. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/unit.h"

#define MAX_TESTS      256
#define TEST_TIMEOUT_S 60

static struct {
	const char *name, *file;
	void (*fn)(void);
} tests[MAX_TESTS];
static int ntests;
static int failed_here;

void sf_test_register(const char *name, void (*fn)(void), const char *file)
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = (typeof(tests[0])){name, file, fn};
}

void sf_test_fail(const char *file, int line, const char *cond)
{
	fprintf(stderr, "  assertion failed at %s:%d: %s\n", file, line, cond);
	failed_here = 1;
}

static bool run_one(int i)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		alarm(TEST_TIMEOUT_S);
		tests[i].fn();
		fflush(NULL);
		_exit(failed_here);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return false;
	if (WIFSIGNALED(status))
		fprintf(stderr, "  %s: killed by signal %d\n", tests[i].name, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < ntests; i++) {
		bool ok;
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		ok = run_one(i);
		printf("%s %s (%s)\n", ok ? "PASS" : "FAIL", tests[i].name, tests[i].file);
		fflush(stdout);
		ok ? passed++ : failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
