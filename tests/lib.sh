# Shared shell helpers for tests/run-all.sh.

# units BUILDDIR: run every Check program of a build.
units() {
	rc=0
	for t in "$1"/tests/check_*; do
		case "$t" in *.d) continue ;; esac
		echo "-- $t"
		"$t" || rc=1
	done
	return $rc
}

# units_valgrind BUILDDIR: the same under memcheck; any leak or error fails.
units_valgrind() {
	rc=0
	for t in "$1"/tests/check_*; do
		case "$t" in *.d) continue ;; esac
		echo "-- valgrind $t"
		valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		    --errors-for-leak-kinds=definite,indirect --error-exitcode=66 \
		    "$t" || rc=1
	done
	return $rc
}
