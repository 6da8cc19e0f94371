#!/bin/sh
# make deb: build the Debian package approval-escalatord_VERSION_ARCH.deb
# into build/deb/.  The source tree is copied to build-deb/src/ first and
# dpkg-buildpackage runs there, so the build never touches build/ (the
# tests' binaries) or the directory above the source tree (where
# dpkg-buildpackage writes its results).
#
#	sh contrib/make-deb.sh
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=build/deb
stage=build-deb/src

for tool in dpkg-buildpackage dpkg-parsechangelog dh; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "make deb: $tool is missing; install debhelper and dpkg-dev" \
		    "(make deps as root)" >&2
		exit 1
	fi
done

# One version: the daemon's, and the changelog must agree.
version=$(sed -n 's/^#define ESCALATOR_VERSION "\(.*\)"$/\1/p' daemon/escalator.h)
changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
if [ -z "$version" ] || [ "$version" != "$changelog" ]; then
	echo "make deb: daemon/escalator.h says version '$version' but" \
	    "debian/changelog says '$changelog';" >&2
	echo "make deb: add a changelog entry: dch -v $version" >&2
	exit 1
fi

# A clean copy of the tree: no builds, no test or demo leftovers, no
# databases, no git metadata.
rm -rf "$stage"
mkdir -p "$stage/approval-escalatord-$version" "$out"
tar -cf - --exclude=./.git --exclude='./build*' --exclude=./tests/tmp \
    --exclude=./demo --exclude='escalator.db*' --exclude='__pycache__' . |
    tar -xf - -C "$stage/approval-escalatord-$version"

(cd "$stage/approval-escalatord-$version" &&
    dpkg-buildpackage -us -uc -b) >"$stage/build.log" 2>&1 || {
	tail -n 40 "$stage/build.log" >&2
	echo "make deb: dpkg-buildpackage failed; the whole log is" \
	    "$stage/build.log" >&2
	exit 1
}

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=approval-escalatord_${version}_$arch.deb
rm -f "$out"/approval-escalatord_*.deb
cp "$stage/$deb" "$out/$deb"
echo "make deb: $out/$deb"
