#!/bin/sh
# tests/fuzz/run.sh SECONDS [TARGET...]: build the libFuzzer targets
# (tests/fuzz/fuzz_*.c) with clang, AddressSanitizer and UBSan against every
# daemon object but main.o and ctl.o (compiled into build-fuzz/), replay the
# kept crashing inputs in tests/fuzz/regressions/<target>/ as regression
# tests, then fuzz each target for SECONDS from its seed corpus
# tests/fuzz/corpus/<target>/.  Exits non-zero if any replay or fuzzing run
# crashes; a new crashing input is left in build-fuzz/artifacts/<target>/
# (copy it to tests/fuzz/regressions/<target>/ once fixed).
#
# New inputs found while fuzzing go to build-fuzz/corpus/<target>/, not to
# the checked-in seeds.  Environment: CLANG (default clang).
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
B=build-fuzz
CLANG=${CLANG:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi

# The daemon's objects, instrumented for coverage (fuzzer-no-link).
objs=""
for src in daemon/*.c; do
	case "$src" in daemon/main.c|daemon/ctl.c) continue ;; esac
	objs="$objs $B/${src%.c}.o"
done
echo "fuzz: building daemon objects into $B/"
# shellcheck disable=SC2086
make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" B=$B CC="$CLANG" \
    CFLAGS="-g -O1" SANFLAGS="-fsanitize=fuzzer-no-link $SAN" $objs >"$B.build.log" 2>&1 || {
	cat "$B.build.log" >&2
	echo "fuzz: building the daemon objects failed" >&2
	exit 1
}
rm -f "$B.build.log"
pkgs=$(make -s --no-print-directory print-pkgs)	# the Makefile's list
# shellcheck disable=SC2046
cflags="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 -g -O1 \
-Idaemon -Itests/fuzz $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lcsv -lm"

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
fi
mkdir -p "$B/bin"
for t in $targets; do
	echo "fuzz: linking $t"
	# shellcheck disable=SC2086
	"$CLANG" $cflags -DFUZZ_ROOT="\"$top\"" -fsanitize=fuzzer $SAN \
	    -o "$B/bin/$t" "tests/fuzz/$t.c" $objs $libs || exit 1
done

# Scratch files of the targets; libFuzzer exits without atexit() cleanup.
export FUZZ_TMPDIR="$top/$B/tmp"
rm -rf "$FUZZ_TMPDIR"
mkdir -p "$FUZZ_TMPDIR"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=0"
export LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
summary=""
for t in $targets; do
	# Regressions: every kept crashing input, run once.
	reg=tests/fuzz/regressions/$t
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
		n=$(ls -A "$reg" | wc -l)
		if "$B/bin/$t" -runs=1 "$reg"/* >"$B/$t.regress.log" 2>&1; then
			echo "fuzz: $t: $n regression input(s) pass"
		else
			tail -n 60 "$B/$t.regress.log"
			echo "fuzz: $t: a regression input fails (log: $B/$t.regress.log)"
			failed=$((failed + 1))
			summary="$summary$(printf '%-16s REGRESSION FAILED' "$t")
"
			continue
		fi
	fi
	[ "$secs" -gt 0 ] || continue

	# Fuzzing: new inputs into build-fuzz/corpus, seeds read from the tree.
	work=$B/corpus/$t
	art=$B/artifacts/$t
	mkdir -p "$work" "$art" "tests/fuzz/corpus/$t"
	log=$B/$t.fuzz.log
	"$B/bin/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" \
	    "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ $rc -eq 0 ]; then
		status=ok
	else
		status=CRASH
		failed=$((failed + 1))
		grep -B2 -A40 -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|deadly signal' "$log" | head -n 60
		echo "fuzz: $t crashed; input in $art/, log $log"
	fi
	summary="$summary$(printf '%-16s %-6s %10s execs  cov %s  (%ss)' "$t" "$status" "${execs:-?}" "${cov:-?}" "$secs")
"
done
rm -rf "$FUZZ_TMPDIR"
echo
echo "fuzz summary:"
printf '%s' "$summary"
[ $failed -eq 0 ] || { echo "fuzz: $failed target(s) failed"; exit 1; }
exit 0
