/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/e2e/ppmcmp.c: compare two binary PPMs of the same size; prints the
 * share of equal pixels and exits 0 if it is at least the threshold (in
 * percent, default 100). SKIP_TOP leaves out that many top pixel rows (a
 * guest's changing counter, tests/e2e/vgatick.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *load(const char *path, int *w, int *h)
{
	FILE *f = fopen(path, "rb");
	unsigned char *px;
	int maxv;

	if (!f || fscanf(f, "P6 %d %d %d", w, h, &maxv) != 3 || maxv != 255 || *w <= 0 || *h <= 0 ||
	    *w > 16384 || *h > 16384 || fgetc(f) == EOF) {
		fprintf(stderr, "ppmcmp: %s: not a binary PPM\n", path);
		exit(2);
	}
	px = malloc((size_t)*w * *h * 3);
	if (!px || fread(px, 3, (size_t)*w * *h, f) != (size_t)*w * *h) {
		fprintf(stderr, "ppmcmp: %s: truncated\n", path);
		exit(2);
	}
	fclose(f);
	return px;
}

int main(int argc, char **argv)
{
	int w1, h1, w2, h2;
	unsigned char *a, *b;
	double threshold = argc > 3 ? atof(argv[3]) : 100.0, pct;
	size_t same = 0, n, skip;

	if (argc < 3) {
		fprintf(stderr, "usage: ppmcmp A.ppm B.ppm [PERCENT [SKIP_TOP]]\n");
		return 2;
	}
	a = load(argv[1], &w1, &h1);
	b = load(argv[2], &w2, &h2);
	if (w1 != w2 || h1 != h2) {
		printf("size differs: %dx%d vs %dx%d\n", w1, h1, w2, h2);
		return 1;
	}
	skip = argc > 4 ? (size_t)atoi(argv[4]) : 0;
	if (skip >= (size_t)h1) {
		fprintf(stderr, "ppmcmp: SKIP_TOP %zu leaves no row of %d\n", skip, h1);
		return 2;
	}
	n = (size_t)w1 * h1;
	for (size_t i = skip * (size_t)w1; i < n; i++)
		same += memcmp(a + 3 * i, b + 3 * i, 3) == 0;
	pct = 100.0 * (double)same / (double)(n - skip * (size_t)w1);
	printf("%dx%d: %.3f%% of pixels equal (threshold %.2f%%)\n", w1, h1, pct, threshold);
	free(a);
	free(b);
	return pct >= threshold ? 0 : 1;
}
