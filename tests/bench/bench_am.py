# bench_am.py -- Prometheus Alertmanager for benchmark (f) of bench.py:
# a private instance (own ports, storage and configuration in the bench
# work directory, clustering off), the alerts made from the items of (b)'s
# storm, and their push through POST /api/v2/alerts the way Prometheus
# does it (batches of at most 64 alerts, one request after the other).
# Python 3 standard library only.

import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import time

# Prometheus 2.x's notifier sends at most this many alerts per request
# (maxBatchSize in prometheus/notifier/notifier.go; Debian 12 ships 2.42;
# releases since 3.x make it configurable, default 256).
PROMETHEUS_BATCH = 64


def binary():
    """The Alertmanager binary, or None: BENCH_ALERTMANAGER, then PATH."""
    env = os.environ.get("BENCH_ALERTMANAGER")
    if env:
        return env if os.access(env, os.X_OK) else None
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def version(am):
    try:
        out = subprocess.run([am, "--version"], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = out.stdout + out.stderr
    v = re.search(r"version (\S+)", text)
    rev = re.search(r"revision: ([^)\s]+)", text)
    if v is None:
        return "?"
    return "Alertmanager %s%s" % (v.group(1), " (revision %s)" % rev.group(1) if rev else "")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def alerts_from_storm(db, starts, ends):
    """One alert per item the daemon sent in (b), with its chat and group.

    Labels: what a deadline exporter would attach (item id, project,
    department, kind, chat, work group, stage); grouping is by chat and
    stage, as the daemon groups.  The annotation is the item's line as the
    daemon's message lists it."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute(
        "SELECT i.id, p.code, p.name, i.kind, i.department, i.handler, i.due_at,"
        " o.channel, o.stage, json_extract(b.event, '$.stage_label'),"
        " json_extract(b.event, '$.group')"
        " FROM outbox_items oi JOIN outbox o ON o.id = oi.outbox_id"
        " JOIN outbox_bodies b ON b.outbox_id = o.id"
        " JOIN items i ON i.id = oi.item_id JOIN projects p ON p.id = i.project_id"
        " ORDER BY i.id").fetchall()
    con.close()
    s, e = rfc3339(starts), rfc3339(ends)
    out = []
    for iid, code, pname, kind, dept, handler, due, chat, stage, label, group in rows:
        deadline = time.strftime("%Y-%m-%d %H:%M", time.gmtime(due + 8 * 3600))
        out.append({
            "labels": {"alertname": "ApprovalDeadline", "stage": stage, "chat": chat,
                       "group": group or "", "project": code, "department": dept,
                       "kind": kind, "item": str(iid)},
            "annotations": {"stage_label": label or stage,
                            "summary": "%s｜%s｜%s %s｜时限 %s" % (
                                pname, kind, dept, handler or "", deadline)},
            "startsAt": s, "endsAt": e,
        })
    return out


CONFIG = """# written by tests/bench/bench_am.py for benchmark (f)
global:
  resolve_timeout: 1h
route:
  receiver: sink
  group_by: ['chat', 'stage']
  group_wait: {group_wait}
  group_interval: {group_interval}
  repeat_interval: 24h
receivers:
  - name: sink
    webhook_configs:
      - url: 'http://127.0.0.1:{sink_port}/alertmanager'
        send_resolved: false
        max_alerts: 0
"""


class Alertmanager:
    def __init__(self, am, work, sink_port, group_wait, group_interval):
        self.dir = os.path.join(work, "alertmanager")
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(os.path.join(self.dir, "data"))
        self.conf = os.path.join(self.dir, "alertmanager.yml")
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(group_wait=group_wait, group_interval=group_interval,
                                  sink_port=sink_port))
        self.port = free_port()
        self.err = open(os.path.join(work, "f.stderr"), "wb")
        argv = [am, "--config.file=" + self.conf,
                "--storage.path=" + os.path.join(self.dir, "data"),
                "--web.listen-address=127.0.0.1:%d" % self.port,
                "--cluster.listen-address=", "--log.level=info"]
        t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.err,
                                     stderr=self.err, cwd=self.dir)
        self.pid = self.proc.pid
        while not self.ready():
            if self.proc.poll() is not None:
                raise RuntimeError("alertmanager exited: see %s" % self.err.name)
            if time.monotonic() - t0 > 60:
                raise RuntimeError("alertmanager not ready after 60 s: see %s"
                                   % self.err.name)
            time.sleep(0.05)
        self.startup = time.monotonic() - t0

    def ready(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            c.request("GET", "/-/ready")
            ok = c.getresponse().status == 200
            c.close()
            return ok
        except OSError:
            return False

    def push(self, bodies):
        """POST each pre-encoded batch in turn on one kept-alive connection."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        hdr = {"Content-Type": "application/json"}
        for body in bodies:
            c.request("POST", "/api/v2/alerts", body=body, headers=hdr)
            r = c.getresponse()
            answer = r.read()
            if r.status != 200:
                raise RuntimeError("alertmanager answered %d: %s" % (
                    r.status, answer[:200].decode("utf-8", "replace")))
        c.close()

    def metrics(self, names):
        """Sums of the named counters from /metrics (webhook integration)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
        out = {n: 0.0 for n in names}
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name in out and ('integration="webhook"' in line or "{" not in line):
                out[name] += float(line.rsplit(" ", 1)[1])
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def batches(alerts, size):
    return [json.dumps(alerts[i:i + size], ensure_ascii=False).encode()
            for i in range(0, len(alerts), size)]
