#!/bin/sh
# The README's run command, unattended: make demo must show real
# escalations (warnings, 催办, 督查) in the terminal well within a minute.
set -eu
out=$(DEMO_DURATION=45 sh contrib/demo.sh 2>&1)
echo "$out"
for want in 临期提醒 催办 督查 企业微信 钉钉 飞书; do
	if ! printf '%s' "$out" | grep -q "$want"; then
		echo "demo-smoke: '$want' never appeared" >&2
		exit 1
	fi
done
n=$(grep -c . demo/received.jsonl)
[ "$n" -ge 6 ] || { echo "demo-smoke: only $n messages received" >&2; exit 1; }
echo "demo-smoke: $n messages received"
