#!/bin/sh
# install-rules.sh -- install the shipped rules for "make install".
#
#	sh contrib/install-rules.sh CONFDIR DATADIR
#
# Copies the rules (main file, channels, organisation, policies, calendar/,
# templates/) into CONFDIR without touching files an administrator already
# has: a file that differs is left alone and the shipped version is written
# next to it as FILE.dist.  In the installed main file the database and the
# control socket point at the directories the systemd unit provides.  A
# pristine copy of the rules goes to DATADIR/rules for reference.
set -eu

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
	echo "usage: sh contrib/install-rules.sh CONFDIR DATADIR" >&2
	exit 2
fi
confdir=$1
datadir=$2
rules=${RULES_DIR:-$(cd "$(dirname "$0")/.." && pwd)/rules}
database=/var/lib/approval-escalatord/escalator.db
socket=/run/approval-escalatord/control.sock
main=approval-escalatord.conf

umask 022

# The shipped files, relative to the rules directory.  Listed rather than
# globbed so a local run's escalator.db (and -wal, -shm) never travels.
shipped() {
	for f in "$main" channels.conf organisation.conf policies.conf reports.conf; do
		echo "$f"
	done
	(cd "$rules" && find calendar templates -type f ! -name '.*' \
	    ! -name '*~' | sort)
}

# The main file as installed: absolute database and socket paths.  libconfig
# accepts "=" or ":" between name and value; commented lines stay as they are.
localise() {
	sed -e "s|^\\([[:space:]]*database[[:space:]]*[=:]\\).*\$|\\1 \"$database\";|" \
	    -e "s|^\\([[:space:]]*socket[[:space:]]*[=:]\\).*\$|\\1 \"$socket\";|" \
	    "$1"
	if ! grep -q '^[[:space:]]*database[[:space:]]*[=:]' "$1"; then
		printf '\n# Added by make install.\ndatabase = "%s";\n' "$database"
	fi
	if ! grep -q '^[[:space:]]*socket[[:space:]]*[=:]' "$1"; then
		printf '\n# Added by make install.\nsocket = "%s";\n' "$socket"
	fi
}

# Install $1 as $2 unless $2 exists; then keep it and write $2.dist when
# the shipped content differs.
place() {
	mkdir -p "$(dirname "$2")"
	if [ ! -e "$2" ]; then
		cp "$1" "$2.tmp.$$"
		chmod 0644 "$2.tmp.$$"
		mv -f "$2.tmp.$$" "$2"
	elif ! cmp -s "$1" "$2"; then
		cp "$1" "$2.dist"
		chmod 0644 "$2.dist"
		echo "install-rules: keeping $2 (changed locally);" \
		    "the shipped version is $2.dist"
	fi
}

for f in "$main" calendar templates; do
	if [ ! -e "$rules/$f" ]; then
		echo "install-rules: $rules/$f is missing" >&2
		exit 1
	fi
done

mkdir -p "$confdir"
work="$confdir/.$main.install.$$"
trap 'rm -f "$work"' EXIT
trap 'exit 1' HUP INT TERM

shipped | while IFS= read -r f; do
	if [ "$f" = "$main" ]; then
		localise "$rules/$f" >"$work"
		place "$work" "$confdir/$f"
	else
		place "$rules/$f" "$confdir/$f"
	fi
done

# The reference copy is ours alone: replace it whole.
rm -rf "$datadir/rules"
shipped | while IFS= read -r f; do
	mkdir -p "$(dirname "$datadir/rules/$f")"
	cp "$rules/$f" "$datadir/rules/$f"
	chmod 0644 "$datadir/rules/$f"
done
