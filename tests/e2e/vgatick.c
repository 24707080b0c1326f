/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/vgatick.c: runs inside the Linux test guest (static binary). It
 * writes a counter into the top-right corner of VGA text memory every 10 ms,
 * so the picture a client sees changes at QEMU's display refresh rate; the
 * client times those changes to measure the display's pause across a live
 * migration (bench/migrate.sh). Direct to 0xB8000: the test guest has no
 * console on the VGA, and a tty write would wake the kernel's console code. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define TEXT_BASE 0xb8000
#define COLS	  80
#define DIGITS	  8
#define PERIOD_NS 10000000L

static void tick_sleep(struct timespec *next)
{
	next->tv_nsec += PERIOD_NS;
	if (next->tv_nsec >= 1000000000L) {
		next->tv_nsec -= 1000000000L;
		next->tv_sec++;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL))
		;
}

int main(void)
{
	struct timespec next;
	volatile uint16_t *cell;
	uint32_t n = 0;
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	void *m;

	if (fd < 0) {
		perror("vgatick: /dev/mem");
		return 1;
	}
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, TEXT_BASE);
	if (m == MAP_FAILED) {
		perror("vgatick: mmap");
		return 1;
	}
	cell = (volatile uint16_t *)m + COLS - DIGITS; /* row 0, right edge */
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		uint32_t v = ++n;

		for (int i = DIGITS - 1; i >= 0; i--, v /= 10)
			cell[i] = (uint16_t)(0x1f00 | ('0' + v % 10)); /* white on blue */
		tick_sleep(&next);
	}
}
