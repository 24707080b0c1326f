/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/qmp.c: run QMP commands against a QEMU monitor socket. Prints
 * each command's reply line (events are skipped, except with -e, which
 * prints them too). Exit 1 if a reply is an error or the socket fails. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static FILE *in;

/* The next reply ("return" or "error"); events in between go to stderr. */
static int reply(bool show_events)
{
	char line[65536];

	while (fgets(line, sizeof(line), in)) {
		if (strstr(line, "\"event\"")) {
			if (show_events)
				fputs(line, stdout);
			continue;
		}
		if (strstr(line, "\"QMP\""))
			continue; /* greeting */
		fputs(line, stdout);
		return strstr(line, "\"error\"") ? 1 : 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	bool events = argc > 1 && !strcmp(argv[1], "-e");
	int a = events ? 2 : 1, fd, rc = 0;

	if (argc < a + 1) {
		fprintf(stderr, "usage: qmp [-e] SOCKET [JSON...]\n");
		return 2;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[a]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("qmp: connect");
		return 1;
	}
	in = fdopen(dup(fd), "r");
	dprintf(fd, "{\"execute\":\"qmp_capabilities\"}\n");
	if (reply(events))
		return 1;
	for (int i = a + 1; i < argc; i++) {
		dprintf(fd, "%s\n", argv[i]);
		rc |= reply(events);
	}
	close(fd);
	return rc;
}
