#!/bin/sh
# test_deb.sh -- the Debian package: "make deb" builds it, lintian finds no
# errors, and (as root) apt installs it on this machine: every file where
# it belongs, the rules as conffiles, the system user and its directories,
# the unit installed but not enabled, "approval-escalatord -t" refusing the
# shipped PLACEHOLDER keys with file:line, and accepting the same rules with
# real-looking keys (one of them in a key file of the secrets directory,
# read as the daemon's user), the daemon starting as that user with the
# installed directories, a local edit kept across a reinstall; then the
# package is purged and nothing of it is left.  Exits non-zero on the first
# failure.
#
#	sh tests/system/test_deb.sh
#
# A machine where approval-escalatord is already installed (not by an
# interrupted run of this test) is left alone: the install steps are
# skipped rather than purge someone's configuration and database.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/escdeb.XXXXXX") || exit 1
pkg=approval-escalatord
etc=/etc/approval-escalatord
state=/var/lib/approval-escalatord
# Left in the state directory while this test owns the installation, so an
# interrupted run is cleaned up by the next one.
marker=$state/.installed-by-test_deb
installed=0
daemon_pid=
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
ok() {
	echo "ok: $*"
}
check_fatal() {
	if [ "$fails" -ne 0 ]; then
		echo "test_deb: $fails failure(s)" >&2
		exit 1
	fi
}
purge() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "$pkg" \
	    >"$tmp/purge.log" 2>&1
}
cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ "$installed" -eq 1 ] && ! purge; then
		cat "$tmp/purge.log" >&2
		echo "test_deb: apt-get purge $pkg failed while cleaning up" >&2
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# --- build -----------------------------------------------------------------
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null 2>&1 ||
	    fail "$tool is missing (debhelper, dpkg-dev, lintian: make deps)"
done
check_fatal
if ! sh contrib/make-deb.sh >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log" >&2
	fail "make deb"
	check_fatal
fi
version=$(sed -n 's/^#define ESCALATOR_VERSION "\(.*\)"$/\1/p' daemon/escalator.h)
deb=build/deb/${pkg}_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
[ -f "$deb" ] || fail "make deb made no $deb"
check_fatal
ok "make deb: $deb"
[ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] ||
    fail "Package: $(dpkg-deb -f "$deb" Package)"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] ||
    fail "Version: $(dpkg-deb -f "$deb" Version), want $version"
check_fatal

# --- lintian ---------------------------------------------------------------
# No errors; warnings are listed.  "running with root privileges" is
# lintian's note on how it was run, not about the package.
lintian -I "$deb" >"$tmp/lintian.log" 2>&1
grep -v 'running with root privileges' "$tmp/lintian.log" | sed 's/^/  lintian: /'
if grep -q '^E: ' "$tmp/lintian.log"; then
	fail "lintian reports errors"
else
	ok "lintian: no errors ($(grep -c '^W: ' "$tmp/lintian.log") warning(s))"
fi
check_fatal

# --- install ---------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: installing the package (needs root: run make check as root)"
	echo "test_deb: all passed (install skipped)"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "skip: installing the package (no apt-get on this machine)"
	echo "test_deb: all passed (install skipped)"
	exit 0
fi
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
	if [ ! -e "$marker" ]; then
		echo "skip: installing the package ($pkg is installed here" \
		    "already; not touching an administrator's installation)"
		echo "test_deb: all passed (install skipped)"
		exit 0
	fi
	echo "note: purging the installation left by an interrupted run"
	purge || { cat "$tmp/purge.log" >&2; fail "apt-get purge"; check_fatal; }
fi
installed=1
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" \
    >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log" >&2
	fail "apt-get install ./$deb"
	check_fatal
fi
touch "$marker" 2>/dev/null || fail "$state was not created"
ok "apt-get install ./$deb"

# --- files, conffiles, user, directories -----------------------------------
dpkg -L "$pkg" >"$tmp/files"
for f in \
    /usr/sbin/approval-escalatord \
    /usr/bin/approval-escalatorctl \
    /lib/systemd/system/approval-escalatord.service \
    /usr/lib/sysusers.d/approval-escalatord.conf \
    /usr/lib/tmpfiles.d/approval-escalatord.conf \
    /usr/share/man/man1/approval-escalatorctl.1.gz \
    /usr/share/man/man5/approval-escalatord.conf.5.gz \
    /usr/share/man/man8/approval-escalatord.8.gz \
    /usr/share/bash-completion/completions/approval-escalatorctl \
    /usr/share/doc/approval-escalatord/README.md.gz \
    /usr/share/doc/approval-escalatord/API.md.gz \
    /usr/share/doc/approval-escalatord/copyright \
    /usr/share/approval-escalatord/calendar-from-json.py \
    /usr/share/approval-escalatord/rules/approval-escalatord.conf \
    $etc/approval-escalatord.conf $etc/channels.conf \
    $etc/organisation.conf $etc/policies.conf $etc/reports.conf \
    $etc/calendar/cn-2026.conf $etc/templates/reminder.tmpl; do
	grep -qx "$f" "$tmp/files" || fail "dpkg -L: $f is not in the package"
	[ -f "$f" ] || fail "$f is not installed"
done
for f in $(cd rules && find . -type f ! -name '.*' ! -name '*~' \
    ! -name 'escalator.db*' | sed 's|^\./||'); do
	grep -qx "$etc/$f" "/var/lib/dpkg/info/$pkg.conffiles" ||
	    fail "$etc/$f is not a conffile"
done
[ "$(grep -c '^/etc/' "/var/lib/dpkg/info/$pkg.conffiles")" -eq \
    "$(grep -c '^/etc/approval-escalatord/' "/var/lib/dpkg/info/$pkg.conffiles")" ] ||
    fail "conffiles outside /etc/approval-escalatord"
/usr/share/approval-escalatord/calendar-from-json.py 2>/dev/null
[ $? -eq 2 ] || fail "calendar-from-json.py does not run (want its usage, exit 2)"
[ "$(/usr/sbin/approval-escalatord --version)" = "approval-escalatord $version" ] ||
    fail "approval-escalatord --version: $(/usr/sbin/approval-escalatord --version 2>&1)"
getent passwd approval-escalatord >/dev/null ||
    fail "no approval-escalatord user (sysusers)"
for d in "$state" /run/approval-escalatord; do
	# shellcheck disable=SC2012 # owner and mode of a fixed name
	got=$(ls -ld "$d" 2>/dev/null | awk '{ print $1, $3, $4 }')
	[ "$got" = "drwxr-x--- approval-escalatord approval-escalatord" ] ||
	    fail "$d is '$got' (tmpfiles)"
done
# shellcheck disable=SC2012
got=$(ls -ld "$etc/secrets" 2>/dev/null | awk '{ print $1, $3, $4 }')
[ "$got" = "drwxr-x--- root approval-escalatord" ] ||
    fail "$etc/secrets is '$got'"
if [ -e /etc/systemd/system/multi-user.target.wants/approval-escalatord.service ]; then
	fail "the unit was enabled at install (its keys are placeholders)"
fi
grep -qx 'ExecStartPre=/usr/sbin/approval-escalatord -t -f /etc/approval-escalatord/approval-escalatord.conf' \
    /lib/systemd/system/approval-escalatord.service ||
    fail "the unit has no ExecStartPre= -t check"
check_fatal
ok "files, conffiles, user, directories, unit installed disabled"

# --- the installed configuration: placeholders refused ---------------------
/usr/sbin/approval-escalatord -t >"$tmp/t.out" 2>"$tmp/t.err"
rc=$?
n=$(grep -c "^$etc/channels.conf:[0-9]*: channel '[a-z]*': the .* is the placeholder PLACEHOLDER" "$tmp/t.err")
if [ "$rc" -ne 1 ] || [ "$n" -ne 7 ] || [ -s "$tmp/t.out" ] ||
    [ "$(wc -l <"$tmp/t.err")" -ne 7 ]; then
	cat "$tmp/t.out" "$tmp/t.err" >&2
	fail "approval-escalatord -t on the installed rules: exit $rc, $n placeholder line(s)"
fi
grep -q "WeCom group's settings" "$tmp/t.err" ||
    fail "the refusal does not say where the key comes from"
check_fatal
ok "approval-escalatord -t: the 7 shipped placeholder keys refused with file:line"

# --- the same rules with keys: accepted, and the daemon starts -------------
# A copy with made-up keys, the social robot's in a key file of the
# secrets directory, every URL on a closed local port so nothing leaves
# this machine, and the installed database and socket directories.
conf=$tmp/etc
cp -r "$etc" "$conf"
rm -rf "$conf/secrets"
chmod -R a+rX "$tmp"
printf 'real-social-key\n' >"$etc/secrets/social.key"
chgrp approval-escalatord "$etc/secrets/social.key"
chmod 0640 "$etc/secrets/social.key"
sed -e 's/PLACEHOLDER-/real-/' \
    -e 's|key = "real-wecom-social-robot-key";|key_file = "/etc/approval-escalatord/secrets/social.key";|' \
    -e 's|url = "https://[^"]*";|url = "http://127.0.0.1:9/hook";|' \
    "$etc/channels.conf" >"$conf/channels.conf"
grep -q 'key_file = "/etc/approval-escalatord/secrets/social.key"' \
    "$conf/channels.conf" || fail "could not point 'social' at its key file"
# setpriv execs the daemon itself (runuser would stay its parent and turn
# SIGTERM into exit 143).
as_daemon="setpriv --reuid=approval-escalatord --regid=approval-escalatord --init-groups --"
who="the daemon's user"
if ! command -v setpriv >/dev/null 2>&1; then
	as_daemon=
	who=root
fi
out=$($as_daemon /usr/sbin/approval-escalatord -t -f "$conf/approval-escalatord.conf" 2>&1)
case $out in
"configuration OK") ok "approval-escalatord -t with keys (as $who): configuration OK" ;;
*) fail "approval-escalatord -t with keys: $out" ;;
esac
check_fatal

sock=/run/approval-escalatord/control.sock
$as_daemon /usr/sbin/approval-escalatord -d -f "$conf/approval-escalatord.conf" \
    >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!
i=0
until /usr/bin/approval-escalatorctl -s "$sock" status >"$tmp/status" 2>&1; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		cat "$tmp/daemon.log" "$tmp/status" >&2
		fail "the installed daemon did not answer on $sock"
		break
	fi
	sleep 0.1
done
if [ "$fails" -eq 0 ]; then
	kill "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=
	[ "$rc" -eq 0 ] || fail "the daemon exited $rc after SIGTERM"
	[ -f "$state/escalator.db" ] || fail "no database in $state"
	[ "$fails" -eq 0 ] &&
	    ok "the daemon ran (as $who) with $state and /run/approval-escalatord"
fi
check_fatal

# --- a local edit survives a reinstall -------------------------------------
echo '# local edit' >>"$etc/channels.conf"
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall \
    -o Dpkg::Options::=--force-confold "./$deb" >"$tmp/reinstall.log" 2>&1; then
	cat "$tmp/reinstall.log" >&2
	fail "apt-get install --reinstall"
fi
tail -n 1 "$etc/channels.conf" | grep -qx '# local edit' ||
    fail "the reinstall overwrote the edited channels.conf"
[ -f "$etc/secrets/social.key" ] || fail "the reinstall removed the secrets"
check_fatal
ok "a reinstall keeps the edited conffile and the secrets"

# --- purge -------------------------------------------------------------------
installed=0
if ! purge; then
	cat "$tmp/purge.log" >&2
	fail "apt-get purge $pkg"
fi
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' &&
    fail "$pkg is still installed after the purge"
for p in "$etc" "$state" /usr/sbin/approval-escalatord \
    /usr/share/approval-escalatord; do
	[ -e "$p" ] && fail "$p is left after the purge"
done
check_fatal
ok "apt-get purge: nothing left"

echo "test_deb: all passed"
