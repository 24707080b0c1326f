#!/bin/sh
# tests/run.sh: the test runner behind `make test`: unit tests, then every
# end-to-end script; ends with "N passed, N failed".
BUILD=${BUILD:-build}
export BUILD
cd "$(dirname "$0")/.." || exit 2
pass=0
fail=0

echo "== unit tests ($BUILD/tests/unit)"
"$BUILD/tests/unit" >"$BUILD/unit.log" 2>&1
grep -E '^(PASS|FAIL)' "$BUILD/unit.log"
last=$(tail -1 "$BUILD/unit.log")
p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$p" ]; then
	echo "unit runner crashed:"; tail -20 "$BUILD/unit.log"; p=0; f=1
elif [ "$f" != 0 ]; then
	grep -B3 '^FAIL' "$BUILD/unit.log" | grep -v '^PASS'
fi
pass=$((pass + p))
fail=$((fail + f))

for t in tests/e2e/*.sh; do
	case "$t" in tests/e2e/lib*.sh) continue ;; esac
	echo "== $t"
	out=$(sh "$t" 2>&1)
	rc=$?
	echo "$out" | grep -v '^1\.\.'
	p=$(echo "$out" | grep -c '^ok ')
	f=$(echo "$out" | grep -c '^not ok ')
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited $rc"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
