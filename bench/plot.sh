#!/bin/sh
# bench/plot.sh RESULTS.csv > cpu.svg: server CPU seconds per 1000 commands
# against clients (log-log), one line per server and workload.
awk -F, '
NR == 1 { next }
$6 != "NA" && $4 == $3 && $6 > 0 {
	k = $1 "/" $2; v = $6 * 1000 / $5
	x[k, ++n[k]] = log($3) / log(10); y[k, n[k]] = log(v) / log(10)
	px[k, n[k]] = $3; py[k, n[k]] = v; keys[k] = 1
}
END {
	W = 640; H = 420; L = 70; B = 50; R = 170; T = 20
	ymin = -3; ymax = 2 # 0.001 .. 100 s per 1000 commands
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	for (d = 0; d <= 3; d++) { X = L + d / 3 * (W - L - R)
		printf "<line x1=\"%g\" y1=\"%d\" x2=\"%g\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%g\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", X, T, X, H - B, X, H - B + 16, 10 ^ d }
	for (e = ymin; e <= ymax; e++) { Y = H - B - (e - ymin) / (ymax - ymin) * (H - B - T)
		printf "<line x1=\"%d\" y1=\"%g\" x2=\"%d\" y2=\"%g\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%g\" text-anchor=\"end\">%g</text>\n", L, Y, W - R, Y, L - 6, Y + 4, 10 ^ e }
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">clients</text>\n", (L + W - R) / 2, H - 12
	printf "<text transform=\"translate(16,%d) rotate(-90)\" text-anchor=\"middle\">server CPU s per 1000 commands</text>\n", (T + H - B) / 2
	split("#c0392b #e67e22 #f1c40f #2471a3 #17a589 #7d3c98", col, " "); i = 0
	for (k in keys) {
		c = col[++i]; dash = (k ~ /^reference/) ? " stroke-dasharray=\"6,4\"" : ""
		pts = ""
		for (j = 1; j <= n[k]; j++) {
			X = L + x[k, j] / 3 * (W - L - R); Y = H - B - (y[k, j] - ymin) / (ymax - ymin) * (H - B - T)
			pts = pts sprintf("%g,%g ", X, Y)
			printf "<circle cx=\"%g\" cy=\"%g\" r=\"3\" fill=\"%s\"/>\n", X, Y, c
		}
		printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", pts, c, dash
		printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/><text x=\"%d\" y=\"%d\">%s</text>\n", W - R + 10, T + 18 * i, W - R + 34, T + 18 * i, c, dash, W - R + 40, T + 18 * i + 4, k
	}
	print "</svg>"
}' "$1"
