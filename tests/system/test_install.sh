#!/bin/sh
# test_install.sh -- "make install" into a scratch DESTDIR: every file in
# place, the unit's paths substituted, the installed configuration valid,
# local edits kept across a second install (with FILE.dist beside them),
# and the unit, sysusers and tmpfiles entries accepted by systemd's tools
# when they can run here.  Exits non-zero on the first failure.
#
#	sh tests/system/test_install.sh
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/escinstall.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
root=$tmp/root
etc=$root/etc/approval-escalatord
unit=$root/usr/lib/systemd/system/approval-escalatord.service
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
ok() {
	echo "ok: $*"
}
# Stop here when an earlier failure makes the rest meaningless.
check_fatal() {
	if [ "$fails" -ne 0 ]; then
		echo "test_install: $fails failure(s)" >&2
		exit 1
	fi
}

install_into() {
	if ! ${MAKE:-make} --no-print-directory install DESTDIR="$root" \
	    PREFIX=/usr >"$tmp/make.log" 2>&1; then
		cat "$tmp/make.log" >&2
		fail "make install DESTDIR=$root PREFIX=/usr"
		check_fatal
	fi
}

# --- first install ---------------------------------------------------------
install_into
ok "make install DESTDIR=... PREFIX=/usr"

for f in \
    usr/sbin/approval-escalatord \
    usr/bin/approval-escalatorctl \
    usr/lib/systemd/system/approval-escalatord.service \
    usr/lib/sysusers.d/approval-escalatord.conf \
    usr/lib/tmpfiles.d/approval-escalatord.conf \
    usr/share/man/man1/approval-escalatorctl.1 \
    usr/share/man/man5/approval-escalatord.conf.5 \
    usr/share/man/man8/approval-escalatord.8 \
    usr/share/bash-completion/completions/approval-escalatorctl \
    etc/approval-escalatord/approval-escalatord.conf \
    etc/approval-escalatord/channels.conf \
    etc/approval-escalatord/organisation.conf \
    etc/approval-escalatord/policies.conf; do
	[ -f "$root/$f" ] || fail "missing /$f"
done
for f in usr/sbin/approval-escalatord usr/bin/approval-escalatorctl; do
	[ -x "$root/$f" ] || fail "/$f is not executable"
done
# Every calendar and template file, in /etc and in the reference copy.
for f in $(cd rules && find calendar templates -type f ! -name '.*' \
    ! -name '*~'); do
	[ -f "$etc/$f" ] || fail "missing /etc/approval-escalatord/$f"
	cmp -s "rules/$f" "$etc/$f" ||
	    fail "/etc/approval-escalatord/$f differs from rules/$f"
	cmp -s "rules/$f" "$root/usr/share/approval-escalatord/rules/$f" ||
	    fail "/usr/share/approval-escalatord/rules/$f differs from rules/$f"
done
cmp -s rules/approval-escalatord.conf \
    "$root/usr/share/approval-escalatord/rules/approval-escalatord.conf" ||
    fail "the reference copy of approval-escalatord.conf is not pristine"
if find "$root" -name 'escalator.db*' | grep -q .; then
	fail "a database file was installed: $(find "$root" -name 'escalator.db*')"
fi
check_fatal
ok "binaries, rules, unit, sysusers, tmpfiles, man pages, completion"

# --- the unit --------------------------------------------------------------
if grep -n '@[A-Z_]*@' "$unit"; then
	fail "unsubstituted @TOKENS@ left in the installed unit"
fi
conf=/etc/approval-escalatord/approval-escalatord.conf
grep -qx "ExecStart=/usr/sbin/approval-escalatord -f $conf" "$unit" ||
    fail "ExecStart= not substituted: $(grep '^ExecStart=' "$unit")"
grep -qx "ExecStartPre=/usr/sbin/approval-escalatord -t -f $conf" "$unit" ||
    fail "ExecStartPre= not substituted: $(grep '^ExecStartPre=' "$unit")"
ok "unit paths substituted"

# --- the installed configuration -------------------------------------------
grep -qx 'database = "/var/lib/approval-escalatord/escalator.db";' \
    "$etc/approval-escalatord.conf" ||
    fail "installed database = line: $(grep '^database' "$etc/approval-escalatord.conf")"
grep -qx 'socket = "/run/approval-escalatord/control.sock";' \
    "$etc/approval-escalatord.conf" ||
    fail "installed socket = line: $(grep '^socket' "$etc/approval-escalatord.conf")"
# -t does not open the database, so /var/lib/... need not exist here.  The
# shipped chat keys are PLACEHOLDERs: refused, one line each, until real
# ones are put in.
out=$("$root/usr/sbin/approval-escalatord" -t -f "$etc/approval-escalatord.conf" 2>&1)
n=$(printf '%s\n' "$out" | grep -c 'channels.conf:[0-9]*: channel .* placeholder')
if [ "$n" -ne 7 ] || [ "$(printf '%s\n' "$out" | wc -l)" -ne 7 ]; then
	fail "installed configuration: want 7 placeholder refusals, got: $out"
else
	ok "installed configuration: its 7 placeholder keys refused"
fi
cp "$etc/channels.conf" "$tmp/channels.conf"
sed 's/PLACEHOLDER-/real-/' "$tmp/channels.conf" >"$etc/channels.conf"
out=$("$root/usr/sbin/approval-escalatord" -t -f "$etc/approval-escalatord.conf" 2>&1)
case $out in
*"configuration OK"*) ok "installed configuration with keys: configuration OK" ;;
*) fail "installed configuration with keys refused: $out" ;;
esac
cp "$tmp/channels.conf" "$etc/channels.conf"
check_fatal

# --- a second install keeps local edits ------------------------------------
cp "$etc/approval-escalatord.conf" "$tmp/main.installed"
echo '# local edit 1' >>"$etc/channels.conf"
echo '# local edit 2' >>"$etc/approval-escalatord.conf"
echo '# local edit 3' >>"$etc/templates/reminder.tmpl"
rm -f "$etc/calendar/cn-2026.conf"
install_into
for f in channels.conf approval-escalatord.conf templates/reminder.tmpl; do
	tail -n 1 "$etc/$f" | grep -q '^# local edit' ||
	    fail "second install overwrote the edited /etc/approval-escalatord/$f"
	[ -f "$etc/$f.dist" ] ||
	    fail "second install wrote no /etc/approval-escalatord/$f.dist"
done
cmp -s rules/channels.conf "$etc/channels.conf.dist" ||
    fail "channels.conf.dist is not the shipped channels.conf"
cmp -s rules/templates/reminder.tmpl "$etc/templates/reminder.tmpl.dist" ||
    fail "reminder.tmpl.dist is not the shipped template"
cmp -s "$tmp/main.installed" "$etc/approval-escalatord.conf.dist" ||
    fail "approval-escalatord.conf.dist is not the installed version"
cmp -s rules/calendar/cn-2026.conf "$etc/calendar/cn-2026.conf" ||
    fail "second install did not restore a deleted calendar file"
dists=$(find "$etc" -name '*.dist' | wc -l)
[ "$dists" -eq 3 ] ||
    fail "expected 3 .dist files, found: $(find "$etc" -name '*.dist')"
check_fatal
ok "second install kept 3 edited files and wrote FILE.dist beside them"

# --- systemd's own checks, when they can run here --------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skip: systemd-analyze verify (systemd-analyze not installed)"
else
	# A copy whose binary paths point into DESTDIR, so the check that
	# Exec*= commands are executable sees the installed ones.
	v=$tmp/verify
	mkdir -p "$v"
	printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' \
	    >"$v/escalator-probe.service"
	if ! systemd-analyze verify --man=no "$v/escalator-probe.service" \
	    >"$tmp/probe.log" 2>&1; then
		echo "skip: systemd-analyze verify cannot run here:"
		sed 's/^/  /' "$tmp/probe.log"
	else
		sed "s|=/usr/sbin/|=$root/usr/sbin/|" "$unit" \
		    >"$v/approval-escalatord.service"
		# Documentation=man:... is checked against the installed pages.
		if ! MANPATH=$root/usr/share/man systemd-analyze verify \
		    "$v/approval-escalatord.service" >"$tmp/verify.log" 2>&1; then
			cat "$tmp/verify.log" >&2
			fail "systemd-analyze verify approval-escalatord.service"
		elif grep 'approval-escalatord' "$tmp/verify.log"; then
			fail "systemd-analyze verify warns about the unit"
		else
			ok "systemd-analyze verify"
		fi
	fi
fi

if ! command -v systemd-sysusers >/dev/null 2>&1 ||
    ! command -v systemd-tmpfiles >/dev/null 2>&1; then
	echo "skip: sysusers/tmpfiles check (systemd-sysusers or" \
	    "systemd-tmpfiles not installed)"
elif [ "$(id -u)" -ne 0 ]; then
	echo "skip: sysusers/tmpfiles check (needs root to chown)"
else
	# Create the user and the directories in a scratch root.
	s=$tmp/sysroot
	mkdir -p "$s/etc"
	if ! systemd-sysusers --root="$s" \
	    "$root/usr/lib/sysusers.d/approval-escalatord.conf" \
	    >"$tmp/sysusers.log" 2>&1; then
		cat "$tmp/sysusers.log" >&2
		fail "systemd-sysusers"
	elif ! grep -q '^approval-escalatord:x:[0-9]*:[0-9]*:approval-escalatord daemon:/var/lib/approval-escalatord:' \
	    "$s/etc/passwd"; then
		fail "sysusers.d entry: $(cat "$s/etc/passwd")"
	elif ! systemd-tmpfiles --root="$s" --create \
	    "$root/usr/lib/tmpfiles.d/approval-escalatord.conf" \
	    >"$tmp/tmpfiles.log" 2>&1; then
		cat "$tmp/tmpfiles.log" >&2
		fail "systemd-tmpfiles --create"
	else
		uid=$(grep '^approval-escalatord:' "$s/etc/passwd" | cut -d: -f3)
		for d in var/lib/approval-escalatord run/approval-escalatord; do
			# shellcheck disable=SC2012 # fixed name; -n gives the uid
			got=$(ls -ldn "$s/$d" |
			    awk '{ print substr($1, 1, 10) " uid " $3 }')
			[ "$got" = "drwxr-x--- uid $uid" ] ||
			    fail "/$d is $got, want drwxr-x--- uid $uid"
		done
		ok "systemd-sysusers and systemd-tmpfiles"
	fi
fi

if [ "$fails" -ne 0 ]; then
	echo "test_install: $fails failure(s)" >&2
	exit 1
fi
echo "test_install: all passed"
