# test_simulate.py -- end-to-end: POST /v1/simulate.
#
# The simulation is the daemon: its own step and reporter run on a copy of
# the database under a virtual clock.  The main test runs the same scenario
# through simulate and through the real daemon under a faked, frozen clock
# (libfaketime) stepped from one of its wake-ups to the next, and requires
# the same messages, message for message: escalations, repeats, scheduled
# reports moved past a holiday.  Also: other requests are served while a
# long answer streams (the simulation runs in a thread of its own); a
# client that goes away mid-stream costs nothing; approval-escalatorctl
# passes --json through and prints the rest message by message.

import json
import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

DAY = 86400
FAKETIME_LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/faketime/libfaketime.so.1",
                 "/usr/local/lib/faketime/libfaketime.so.1"]
DEPARTMENTS = ["投资项目审批科", "建设工程审批科", "企业登记科", "北山县行政审批局",
               "东城区行政审批局", "卫生健康审批科"]
CATEGORIES = ["社会投资类", "城市建设类", "工业“四改”类"]
KINDS = ["立项", "选址", "规划许可", "人防报建", "环评", "能评", "施工许可"]


def post_raw(sock_path, path, body, read=None):
    """POST over the unix socket; (socket, response head bytes, first body bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30 * H.SLOW)
    s.connect(sock_path)
    data = json.dumps(body).encode()
    s.sendall(b"POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(data), data))
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return s, head, rest


def dechunk(raw):
    """The body of a chunked HTTP answer."""
    out, pos = [], 0
    while True:
        eol = raw.index(b"\r\n", pos)
        n = int(raw[pos:eol].split(b";")[0], 16)
        if n == 0:
            return b"".join(out)
        out.append(raw[eol + 2:eol + 2 + n])
        pos = eol + 2 + n + 2


def read_all(s, rest):
    buf = [rest]
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf.append(chunk)
        if b"".join(buf[-2:]).endswith(b"0\r\n\r\n"):
            break
    s.close()
    return b"".join(buf)


class FrozenClockDaemon(H.Daemon):
    """The daemon under libfaketime with its wall clock frozen at what the
    test writes (Unix seconds); its monotonic clock, which libevent's
    timers use, runs as usual.  After moving the clock the test sends
    SIGHUP, which re-arms both timers against the new time (a real clock
    step is noticed through a timerfd, which libfaketime cannot trigger)."""

    def __init__(self, *args, clock_file, at, **kw):
        super().__init__(*args, **kw)
        self.clock_file = clock_file
        self.set_clock(at)

    def set_clock(self, at):
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % at)
        os.replace(tmp, self.clock_file)
        self.now = at

    def start(self, wait=True):
        lib = next(p for p in FAKETIME_LIBS if os.path.exists(p))
        env = {"LD_PRELOAD": lib, "FAKETIME_TIMESTAMP_FILE": self.clock_file,
               "FAKETIME_FMT": "%s", "FAKETIME_NO_CACHE": "1",
               "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_DONT_RESET": "1"}
        saved = H.sanitizer_env

        def faked(extra=None):
            e = saved(extra)
            e.update(env)
            e["ASAN_OPTIONS"] = e.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
            return e
        H.sanitizer_env = faked
        try:
            super().start(wait=False)
        finally:
            H.sanitizer_env = saved
        if wait:
            self.wait_ready()
        return self


def outbox_since(db, after):
    """The messages the daemon queued after outbox id `after`, as simulate
    lists them (its JSON fields), in the order they were queued."""
    rows = H.db_query(db, "SELECT o.id, o.channel, o.stage, b.title, b.text, o.severity,"
                      " o.mobiles, o.userids, o.created_at, o.not_before, o.part, o.parts,"
                      " o.follows"
                      " FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id"
                      " WHERE o.id > ? ORDER BY o.id", (after,))
    out = []
    for (oid, ch, stage, title, text, sev, mob, uid, created, nb, part, parts,
         follows) in rows:
        if parts and part:
            mark = " (%d/%d)" % (part, parts) if parts > 1 else ""
            title = title.replace("\x01part\x01", mark) if title else title
            text = text.replace("\x01part\x01", mark) if text else text
        items = [r[0] for r in H.db_query(db, "SELECT item_id FROM outbox_items WHERE"
                                          " outbox_id = ? ORDER BY item_id", (oid,))]
        out.append({"queued_at": H.api_time(created),
                    "at": H.api_time(max(created, nb or 0)),
                    "channel": ch, "stage": stage, "severity": sev,
                    "title": title or "", "text": text or "", "items": items,
                    "recipients": json.loads(mob or "[]") + json.loads(uid or "[]")})
        if follows:
            out[-1]["follow_up"] = True
    return out


class Simulate(H.E2ETestCase):

    def write_setup(self, reports=False):
        """The scenario's configuration (the shipped organisation and
        ladders, with the shipped reports when asked): (path, settings)."""
        url = "http://127.0.0.1:9/hook"
        settings = {
            "database": os.path.join(self.tmp, "t.db"),
            "socket": os.path.join(self.tmp, "ctl.sock"),
            "templates": H.TEMPLATES,
            "link_base": "https://oa.example.gov.cn/items/",
            "admin_channel": "admin",
            "head": "p-head",
            "head_channel": "leaders",
            "channels": [
                {"name": "social", "type": "wecom", "key": "K1", "url": url, "max_bytes": 2000},
                {"name": "urban", "type": "dingtalk", "token": "T", "secret": "S", "url": url},
                {"name": "industry", "type": "feishu", "key": "F", "url": url,
                 "window": "office"},
                {"name": "leaders", "type": "webhook", "url": url, "max_bytes": 1500},
                {"name": "admin", "type": "wecom", "key": "K2", "url": url, "format": "text"},
            ],
        }
        names = ["organisation.conf", "policies.conf"] + (["reports.conf"] if reports else [])
        includes = H.CALENDARS + [os.path.join(H.RULES, n) for n in names]
        return self.write_config(H.lc_document(settings, includes, base=self.tmp)), settings

    def setup_daemon(self):
        return self.start_daemon(self.write_setup()[0])

    def add_items(self, d, n, seed=1):
        """n items through the API: every mode, limits, some events."""
        ids = []
        now = int(time.time())
        for i in range(n):
            opts = dict(project="E2E-%03d" % (i // 3), project_name="端到端项目%03d" % (i // 3),
                        category=CATEGORIES[(i // 3) % 3], name=KINDS[i % 7],
                        department=DEPARTMENTS[(i * 5 + seed) % 6],
                        handler=["p-touzi", "张工", "p-jianshe"][i % 3],
                        accepted=H.local_time(now - (i * 7919 % 40) * DAY)[:16],
                        limit=["5wd", "10wd", "20d", "30wd", "6wd"][i % 5])
            mode = ["normal", "预审", "容缺受理", "告知承诺"][i % 4]
            opts["mode"] = mode
            if mode == "容缺受理":
                opts["supplement_deadline"] = H.local_time(now + (i % 9) * DAY)[:16]
            if mode == "告知承诺":
                opts["commitment_deadline"] = H.local_time(now + (i % 13) * DAY)[:16]
            item = d.add_item(**opts)
            ids.append(item["id"])
        for k, i in enumerate(ids):
            if k % 9 == 1:
                self.assertEqual(d.ctl("item", "suspend", i, "--reason", "补正材料").rc, 0)
            elif k % 9 == 2:
                self.assertEqual(d.ctl("item", "block", i, "--reason", "用地未落实").rc, 0)
            elif k % 9 == 3:
                self.assertEqual(d.ctl("item", "progress", i, "--note", "已提交").rc, 0)
            elif k % 9 == 4:
                self.assertEqual(d.ctl("item", "done", i).rc, 0)
        return ids

    def frozen_daemon(self, at):
        """setup_daemon() with the shipped reports, its clock frozen at `at`."""
        path, settings = self.write_setup(reports=True)
        d = FrozenClockDaemon(path, settings["socket"], settings["database"], self.tmp,
                              clock_file=os.path.join(self.tmp, "clock"), at=at)
        self.daemons.append(d)
        self.addCleanup(self._finish_daemon, d)
        d.start()
        return d

    def drive(self, d, until):
        """Move the daemon's clock from one of its wake-ups to the next, as
        time would, until `until`; after each, wait until it has done
        what was due (both timers armed for later)."""
        def nexts():
            st = d.status()
            return [H.parse_local(st[k]) for k in ("next_wakeup", "next_report")
                    if st.get(k)]
        wakes = 0
        while True:
            pending = nexts()
            if not pending or min(pending) > until:
                return wakes
            t = max(min(pending), d.now)
            d.set_clock(t)
            d.signal(signal.SIGHUP)
            H.wait_for(lambda: all(x > t for x in nexts()), 30,
                       "the daemon's wake-up at %s" % H.local_time(t))
            wakes += 1

    def test_simulate_is_what_the_daemon_sends(self):
        if not any(os.path.exists(p) for p in FAKETIME_LIBS):
            self.skipTest("libfaketime is not installed (Debian package libfaketime)")
        # 2026-10-05: in the National Day holiday (10-01..10-08 off, 10-10
        # a make-up working day).  Ladders on working days, reports moved
        # past the holiday: the example.
        t0 = H.parse_local("2026-10-05 10:00:00")
        t1 = H.parse_local("2026-10-21 20:00:00")
        d = self.frozen_daemon(t0)
        # The reporter of a daemon that has been running: the periods
        # before the holiday are sent (claimed).
        now = t0
        ids = []
        for i in range(36):
            opts = dict(project="FZ-%03d" % (i // 3), project_name="冻结时钟项目%03d" % (i // 3),
                        category=CATEGORIES[(i // 3) % 3], name=KINDS[i % 7],
                        department=DEPARTMENTS[(i * 5) % 6],
                        handler=["p-touzi", "张工", "p-jianshe"][i % 3],
                        accepted=H.local_time(now - (i * 7919 % 30) * DAY)[:16],
                        limit=["5wd", "10wd", "20d", "3wd", "6wd"][i % 5],
                        mode=["normal", "预审", "容缺受理", "告知承诺"][i % 4])
            if opts["mode"] == "容缺受理":
                opts["supplement_deadline"] = H.local_time(now + (i % 9) * DAY)[:16]
            if opts["mode"] == "告知承诺":
                opts["commitment_deadline"] = H.local_time(now + (i % 13) * DAY)[:16]
            ids.append(d.add_item(**opts)["id"])
        self.assertEqual(d.ctl("item", "block", ids[2], "--reason", "用地未落实").rc, 0)
        self.assertEqual(d.ctl("item", "progress", ids[3], "--note", "已提交").rc, 0)
        self.assertEqual(d.ctl("item", "done", ids[4]).rc, 0)
        # What was due at t0 is done at t0 (the clock is frozen).
        H.wait_for(lambda: all(H.parse_local(d.status()[k]) > t0
                               for k in ("next_wakeup", "next_report")
                               if d.status().get(k)), 30, "the daemon to settle at t0")
        start = H.db_query(d.database, "SELECT coalesce(max(id), 0) FROM outbox")[0][0]

        r = d.ctl("simulate", "--from", H.local_time(t0), "--until", H.local_time(t1),
                  json_out=True, timeout=300)
        self.assertEqual(r.rc, 0, r.err)
        sim = r.json()
        self.assertEqual(sim["warnings"], [])
        # Nothing of it reached the daemon's own database.
        self.assertEqual(H.db_query(d.database, "SELECT coalesce(max(id), 0) FROM outbox")[0][0],
                         start)

        wakes = self.drive(d, t1)
        got = outbox_since(d.database, start)
        want = sim["messages"]
        for m in want:
            m.pop("stage_label", None)
        stages = {m["stage"] for m in want}
        for st in ("warning", "reminder", "supervision", "interview", "report"):
            self.assertIn(st, stages)
        reports = {m["title"].split(" (")[0] for m in want if m["stage"] == "report"
                   and "2026-10-07" <= m["queued_at"] < "2026-10-10"}
        self.assertEqual(len(reports), 6, reports)
        self.assertGreater(wakes, 5)
        if os.environ.get("SIMULATE_DUMP"):
            with open(os.environ["SIMULATE_DUMP"], "w") as f:
                json.dump({"got": got, "want": want}, f, ensure_ascii=False, indent=0)
        self.assertEqual(len(got), len(want),
                         "the daemon queued %d messages, simulate listed %d" % (len(got), len(want)))
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertEqual(g, w, "message %d differs" % i)

    def big_daemon(self):
        d = self.setup_daemon()
        csv = os.path.join(self.tmp, "items.csv")
        today = H.local_time(int(time.time()))[:10]
        with open(csv, "w", encoding="utf-8") as f:
            f.write("项目编码,项目名称,项目类别,所属地区,审批事项,承办部门,承办人,承诺时限,受理时间,办结时限\n")
            for i in range(2500):
                p = i // 5
                f.write("BIG-%05d,大项目%05d号,%s,东城区,%s,%s,承办人%03d,%d个工作日,%s 09:00,\n" % (
                    p, p, CATEGORIES[p % 3], KINDS[i % 5], DEPARTMENTS[(i * 7 + p) % 6],
                    i % 97, 20 + (i * 37) % 101, today))
        r = d.ctl("import", csv, timeout=300)
        self.assertEqual(r.rc, 0, r)
        return d

    def test_other_requests_are_served_while_streaming(self):
        d = self.big_daemon()
        until = H.local_time(int(time.time()) + 365 * DAY)[:10]
        s, head, rest = post_raw(d.socket, "/v1/simulate", {"until": until})
        self.assertIn(b"200", head.split(b"\r\n")[0])
        while len(rest) < 100000:
            rest += s.recv(65536)
        # The client stops reading: the daemon must go on serving others.
        for _ in range(3):
            t0 = time.monotonic()
            r = d.ctl("status", json_out=True)
            self.assertEqual(r.rc, 0, r)
            self.assertLess(time.monotonic() - t0, 5 * H.SLOW)
        self.assertEqual(d.ctl("list", "--limit", "3").rc, 0)
        # Then the whole answer still comes, complete.
        raw = rest + read_all(s, b"")
        doc = json.loads(dechunk(raw))
        self.assertGreater(len(doc["messages"]), 100)
        self.assertEqual(doc["warnings"], [] if int(until[:4]) <= 2026 else doc["warnings"])

    def test_client_going_away_midstream(self):
        d = self.big_daemon()
        until = H.local_time(int(time.time()) + 365 * DAY)[:10]
        for _ in range(3):
            s, head, rest = post_raw(d.socket, "/v1/simulate", {"until": until})
            self.assertIn(b"200", head.split(b"\r\n")[0])
            s.recv(4096)
            s.close()
        # Abandoned streams leave the daemon well and able to answer in full.
        time.sleep(0.5)
        self.assertTrue(d.running())
        self.assertEqual(d.ctl("status").rc, 0)
        r = d.ctl("simulate", "--until", until, json_out=True, timeout=300)
        self.assertEqual(r.rc, 0, r.err)
        self.assertGreater(len(r.json()["messages"]), 100)
        H.wait_for(lambda: "client went away" in d.stderr(), 10, "the daemon's note")

    def test_errors_are_json(self):
        d = self.setup_daemon()
        r = d.ctl("simulate", "--from", "2026-05-01", "--until", "2026-04-01")
        self.assertEqual(r.rc, 1)
        self.assertIn("until is before from", r.err)
        r = d.ctl("simulate", "--until", "2026-04-01", "--from", "2026-03-01", json_out=True)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json(), {"messages": [], "warnings": []})
        r = d.ctl("simulate", "--until", "2026-04-01", "--from", "2026-03-01")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("no messages would be sent", r.out)


if __name__ == "__main__":
    unittest.main()
