#!/bin/sh
# tests/bench/run.sh: the benchmarks of issue 7 (make bench).  Builds the
# helpers -- bench_import (items loaded through the real importer, linked
# against the daemon's objects in build/) and sink (the unthrottled local
# receiver) -- into build/bench/, then runs tests/bench/bench.py, which
# prints a table and writes docs/PERFORMANCE.md.  Not part of make check:
# it takes several minutes and several GB of memory.  Sizes can be lowered
# with BENCH_IMPORT_ITEMS, BENCH_ITEMS, BENCH_IDLE_SECONDS, BENCH_SIM_ITEMS;
# BENCH_ONLY=b (or a list: b,e) runs only those benchmarks and leaves
# docs/PERFORMANCE.md alone.  build/bench/bench_render renders (b)'s
# messages in process, for a profiler (see its header).
# Benchmark (f) runs only where prometheus-alertmanager is installed (Debian
# package prometheus-alertmanager, or BENCH_ALERTMANAGER=/path/to/binary);
# this script installs nothing: without it, (f) is reported as not run.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
B=${ESCALATOR_BIN_DIR:-build}
W=${BENCH_WORK:-build/bench}
PKGS=$(make -s --no-print-directory print-pkgs)	# the Makefile's list: one place
CFLAGS="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 -O2 -g"
mkdir -p "$W"
make --no-print-directory B="$B" all
objs=""
for src in daemon/*.c; do
	case "$src" in daemon/main.c|daemon/ctl.c) continue ;; esac
	objs="$objs $B/${src%.c}.o"
done
# shellcheck disable=SC2086
cc $CFLAGS -Idaemon $(pkg-config --cflags $PKGS) -o "$W/bench_import" \
    tests/bench/bench_import.c $objs $(pkg-config --libs $PKGS) -lcsv -lm
# bench_render: (b)'s rendering and splitting alone, for a profiler.
# shellcheck disable=SC2086
cc $CFLAGS -Idaemon $(pkg-config --cflags $PKGS) -o "$W/bench_render" \
    tests/bench/bench_render.c $objs $(pkg-config --libs $PKGS) -lcsv -lm
# shellcheck disable=SC2086
cc $CFLAGS -pthread -o "$W/sink" tests/bench/sink.c $(pkg-config --cflags --libs libevent jansson)
command -v strace >/dev/null 2>&1 ||
	echo "bench: strace not found: (c) counts context switches only (apt-get install strace)" >&2
if [ -n "${BENCH_ALERTMANAGER:-}" ]; then
	[ -x "$BENCH_ALERTMANAGER" ] ||
		echo "bench: BENCH_ALERTMANAGER=$BENCH_ALERTMANAGER is not executable: (f) is skipped" >&2
elif ! command -v prometheus-alertmanager >/dev/null 2>&1 &&
    ! command -v alertmanager >/dev/null 2>&1; then
	echo "bench: prometheus-alertmanager not found: (f) is skipped (apt-get install prometheus-alertmanager)" >&2
fi
exec env ESCALATOR_BIN_DIR="$B" BENCH_WORK="$W" python3 tests/bench/bench.py
