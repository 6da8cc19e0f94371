#!/bin/sh
# The README's run command, unattended: make demo must show real
# escalations (warnings, 催办, 督查) in the terminal.  The demo runs until
# everything wanted has appeared (a generous 180 s at most, for a busy
# machine), then it is stopped as Ctrl-C would: no fixed duration to race.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
sh "$top/contrib/demo.sh" >"$out" 2>&1 &
demo=$!
rec=$top/demo/received.jsonl
wanted="企业微信 钉钉 飞书"		# shown in the terminal
stages="临期提醒 催办 督查"		# received as real escalations

# seen: every vendor shown, every stage received, at least 6 messages.
seen() {
	for want in $wanted; do
		grep -q "$want" "$out" || return 1
	done
	[ -f "$rec" ] || return 1
	for stage in $stages; do
		grep -q "【$stage】" "$rec" || return 1
	done
	[ "$(grep -c . "$rec")" -ge 6 ]
}
i=0
while ! seen; do
	if ! kill -0 "$demo" 2>/dev/null; then
		break
	fi
	i=$((i + 1))
	[ $i -gt 1800 ] && break
	sleep 0.1
done
kill -TERM "$demo" 2>/dev/null || true
wait "$demo" 2>/dev/null || true
cat "$out"
for want in $wanted; do
	if ! grep -q "$want" "$out"; then
		echo "demo-smoke: '$want' never appeared" >&2
		exit 1
	fi
done
for stage in $stages; do
	if ! grep -q "【$stage】" "$rec"; then
		echo "demo-smoke: no 【$stage】 message was received" >&2
		exit 1
	fi
done
n=$(grep -c . "$rec")
[ "$n" -ge 6 ] || { echo "demo-smoke: only $n messages received" >&2; exit 1; }
echo "demo-smoke: $n messages received"
