#!/bin/sh
# make check: build, then run every test suite twice -- once on the normal
# build and once on an AddressSanitizer + UBSan build -- and print a
# pass/fail summary.  Exits non-zero if anything failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
results=""
failed=0
log=tests/tmp/logs
rm -rf tests/tmp
mkdir -p "$log"

# run NAME COMMAND...: run a step, keep its output, record the outcome.
run() {
	name=$1
	shift
	file="$log/$(echo "$name" | tr ' /' '__').log"
	start=$(date +%s)
	printf '==> %s\n' "$name"
	if "$@" >"$file" 2>&1; then
		status=PASS
	else
		status=FAIL
		failed=$((failed + 1))
		tail -n 60 "$file"
	fi
	secs=$(( $(date +%s) - start ))
	results="$results$(printf '%-44s %s  (%ss)' "$name" "$status" "$secs")
"
}

. tests/lib.sh

SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0

run "build (warnings are errors)" make -j"$jobs" all unit CFLAGS="-O2 -g -Werror"
run "layers: daemon files depend one way" python3 tests/check-layers.py build
run "unit tests" units build
run "mock chat server self-test" python3 tests/mock/test_mockchat.py
run "end-to-end tests" env ESCALATOR_BIN_DIR=build \
    python3 -m unittest discover -s tests/e2e -t . -v
if [ -d tests/system ]; then
	[ -f tests/system/test_notify.py ] && run "systemd notify protocol" \
	    env ESCALATOR_BIN_DIR=build python3 tests/system/test_notify.py -v
	[ -f tests/system/test_install.sh ] && run "make install into DESTDIR" \
	    sh tests/system/test_install.sh
	[ -f tests/system/test_deb.sh ] && run "Debian package: build, lintian, install, -t" \
	    sh tests/system/test_deb.sh
fi
run "demo smoke run (make demo, 45 s)" sh tests/demo-smoke.sh
run "fault injection (kill, lock, disk, clock)" env ESCALATOR_BIN_DIR=build python3 tests/faults/test_faults.py -v
run "fuzzing (each target 10 s)" sh tests/fuzz/run.sh 10
run "ASan+UBSan build" make -j"$jobs" B=build-asan all unit \
    CFLAGS="-O1 -g" SANFLAGS="$SAN"
run "unit tests under ASan+UBSan" env CK_FORK=no sh -c '. tests/lib.sh; units build-asan'
run "end-to-end tests under ASan+UBSan" env ESCALATOR_BIN_DIR=build-asan \
    ESCALATOR_SANITIZED=1 python3 -m unittest discover -s tests/e2e -t . -v
if command -v valgrind >/dev/null 2>&1; then
	run "unit tests under valgrind memcheck" env CK_FORK=no sh -c \
	    '. tests/lib.sh; units_valgrind build'
fi

echo
echo "================ approval-escalatord: make check summary ================"
printf '%s' "$results"
echo "========================================================================="
if [ "$failed" -ne 0 ]; then
	echo "FAILED: $failed step(s); logs in tests/tmp/logs/"
	exit 1
fi
echo "ALL PASSED"
