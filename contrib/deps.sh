#!/bin/sh
# Install the Debian packages approval-escalatord needs to build and test.
# As root: apt-get update + install of what is missing.  Otherwise: print
# the list and fail, so the next command is obvious.
set -e
PKGS="build-essential pkg-config libevent-dev libsqlite3-dev libcurl4-openssl-dev
libconfig-dev libsystemd-dev libjansson-dev libssl-dev libcsv-dev check libxlsxwriter-dev
python3 sqlite3 curl systemd valgrind clang libclang-rt-14-dev libfaketime
debhelper dpkg-dev fakeroot lintian chromium chromium-driver fonts-wqy-microhei"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root: apt-get update && apt-get install$missing" >&2
	exit 1
fi
