#!/bin/sh
# make demo: run approval-escalatord on sample projects from the three
# categories whose deadlines fall within the next minute, against a local
# receiver that prints every chat message as the app would show it.  No
# internet needed.  Ctrl-C stops everything; DEMO_DURATION=N stops after N
# seconds (used by the tests).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${ESCALATOR_BIN_DIR:-$top/build}
dir=$top/demo
rm -rf "$dir"
mkdir -p "$dir"

cat > "$dir/robots.json" <<JSON
{
  "wecom": {
    "demo-social-key": {"label": "社会投资类推进组群", "limit_per_min": 20},
    "demo-leaders-key": {"label": "专班领导群", "limit_per_min": 20},
    "demo-admin-key": {"label": "系统管理员群", "limit_per_min": 20}
  },
  "dingtalk": {
    "demo-urban-token": {"label": "城市建设类推进组群", "secret": "SECdemo-urban-secret",
                         "keywords": ["督办"], "limit_per_min": 20}
  },
  "feishu": {
    "demo-industry-token": {"label": "工业“四改”类推进组群", "secret": "demo-industry-secret"}
  }
}
JSON

python3 "$top/tests/mock/mockchat.py" --port 0 --config "$dir/robots.json" \
    --record "$dir/received.jsonl" --ready-file "$dir/port" --pretty &
mock=$!
daemon=
cleanup() {
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
	kill "$mock" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM
i=0
while [ ! -s "$dir/port" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "demo: the local receiver did not start" >&2; exit 1; }
	sleep 0.1
done
port=$(cat "$dir/port")
base=http://127.0.0.1:$port
# The pages of signed action links (签收, 反馈进展, 办结, 申请中止计时) and
# the board, on a loopback listener of their own.
webport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
web=http://127.0.0.1:$webport
( umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$dir/link.secret" )
( umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$dir/api.token" )

cat > "$dir/approval-escalatord.conf" <<CONF
# Demo configuration (libconfig 1.5 resolves @include relative to this
# directory, so the shipped files are reached as ../rules/...): the shipped
# organisation and calendar, chat robots
# pointing at the local receiver, and a ladder measured in seconds.
database = "$dir/escalator.db";
socket = "$dir/control.sock";
templates = "$top/rules/templates";
admin_channel = "admin";
head = "p-head";
head_channel = "leaders";
listen = "127.0.0.1:$webport";
api_token_file = "$dir/api.token";
public_url = "$web";
link_secret_file = "$dir/link.secret";
board = true;
@include "../rules/calendar/cn-2024.conf"
@include "../rules/calendar/cn-2025.conf"
@include "../rules/calendar/cn-2026.conf"
@include "../rules/organisation.conf"
channels = (
  { name = "social"; type = "wecom"; url = "$base/cgi-bin/webhook/send"; key = "demo-social-key"; },
  { name = "urban"; type = "dingtalk"; url = "$base/robot/send"; token = "demo-urban-token";
    secret = "SECdemo-urban-secret"; keywords = ["督办"]; },
  { name = "industry"; type = "feishu"; url = "$base/open-apis/bot/v2/hook"; key = "demo-industry-token";
    secret = "demo-industry-secret"; },
  { name = "leaders"; type = "wecom"; url = "$base/cgi-bin/webhook/send"; key = "demo-leaders-key"; },
  { name = "admin"; type = "wecom"; url = "$base/cgi-bin/webhook/send"; key = "demo-admin-key"; format = "text"; }
);
policies = (
  { name = "demo";
    stages = (
      { name = "warning";     label = "临期提醒"; offset = "-15s"; to = ["handler", "department"]; severity = "info"; },
      { name = "reminder";    label = "催办";     offset = "0s";   to = ["department", "group"]; },
      { name = "supervision"; label = "督查";     offset = "+15s"; to = ["leader", "group"]; },
      { name = "interview";   label = "约谈";     offset = "+30s"; to = ["head"]; rectify = "+60s"; severity = "critical"; }
    );
  },
  { name = "demo-rectify"; track = "rectify";
    stages = (
      { name = "rectify";          label = "限期整改提醒"; offset = "-30s"; to = ["department", "group"]; },
      { name = "rectify-overdue";  label = "整改逾期提级"; offset = "0s";   to = ["head"]; severity = "critical"; }
    );
  }
);
CONF

"$bin/approval-escalatord" -t -f "$dir/approval-escalatord.conf" >/dev/null
"$bin/approval-escalatord" -f "$dir/approval-escalatord.conf" 2>"$dir/daemon.log" &
daemon=$!
ctl() { "$bin/approval-escalatorctl" -s "$dir/control.sock" "$@" >/dev/null; }
i=0
while ! ctl status 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "demo: the daemon did not start; see $dir/daemon.log" >&2; exit 1; }
	sleep 0.1
done

# Sample projects: fictional, one per category and some sharing deadlines.
add() { ctl item add "$@"; }
add --project SZ-2026-001 --project-name "滨江科创产业园一期" --category 社会投资类 \
    --name 规划许可 --department 建设工程审批科 --handler p-jianshe --deadline +20
add --project SZ-2026-001 --project-name "滨江科创产业园一期" --category 社会投资类 \
    --name 人防报建 --department 工程项目建设服务科 --handler p-fuwu --deadline +20
add --project CJ-2026-014 --project-name "城北片区道路提升改造工程" --category 城市建设类 \
    --name 立项 --department 投资项目审批科 --handler p-touzi --deadline +25
add --project CJ-2026-014 --project-name "城北片区道路提升改造工程" --category 城市建设类 \
    --name 施工许可 --department 建设工程审批科 --deadline +25
add --project GY-2026-007 --project-name "新能源电池材料技改项目" --category "工业“四改”类" \
    --name 环评 --department 社会事务审批科 --handler p-shehui --deadline +30
add --project GY-2026-007 --project-name "新能源电池材料技改项目" --category "工业“四改”类" \
    --name 能评 --department 投资项目审批科 --deadline +30

cat <<MSG
approval-escalatord demo: 6 approval items in 3 projects, deadlines 20-30 s
from now.  Chat messages appear below as the apps would show them: warnings
first, then 催办 at each deadline, 督查 15 s later, 约谈 30 s later.
Daemon log: $dir/daemon.log   Control: $bin/approval-escalatorctl -s $dir/control.sock status
Open a link to answer as the department would (签收 stops today's repeats,
反馈进展 restarts the stale count, 已办结 ends the ladder, 申请中止计时 goes
to the group leader's chat) and watch the messages react:
MSG
# A link per item, and one to the board (GET /v1/links/...).
link() {
	curl -s --unix-socket "$dir/control.sock" "http://localhost/v1/links/$1" |
	    python3 -c 'import json, sys; print(json.load(sys.stdin).get("url", "(no link)"))'
}
for id in 1 2 3 4 5 6; do
	printf '  item %s: %s\n' "$id" "$(link items/$id)"
done
printf '  board:  %s\n' "$(link board)"
echo "Press Ctrl-C to stop."
if [ -n "${DEMO_DURATION:-}" ]; then
	sleep "$DEMO_DURATION"
	"$bin/approval-escalatorctl" -s "$dir/control.sock" status
	exit 0
fi
wait "$daemon"
