# test_simulate.py -- end-to-end: POST /v1/simulate streams its answer.
#
# The answer is the same document as before ({"messages":[...],
# "warnings":[...]}) sent in HTTP chunks while the simulation runs in
# slices on the event loop: the daemon must give exactly what the replay
# engine (the real scheduler step run on a copy of the database, kept in
# tests/unit/check_simulate.c as the reference) gives for a database built
# through the API; other requests are served while a long answer streams;
# a client that goes away mid-stream costs nothing; approval-escalatorctl
# passes --json through and prints the rest message by message.

import json
import os
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

ORACLE = os.path.join(H.BIN_DIR, "tests", "check_simulate")
DAY = 86400

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


class Simulate(H.E2ETestCase):

    def setup_daemon(self):
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
        includes = H.CALENDARS + [os.path.join(H.RULES, "organisation.conf"),
                                  os.path.join(H.RULES, "policies.conf")]
        path = self.write_config(H.lc_document(settings, includes, base=self.tmp))
        return self.start_daemon(path)

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

    def test_streamed_answer_is_the_replay_engines(self):
        if not os.access(ORACLE, os.X_OK):
            self.skipTest("%s not built (make unit)" % ORACLE)
        d = self.setup_daemon()
        self.add_items(d, 45)
        now = int(time.time())
        frm = H.local_time(now - 3 * DAY)
        until = H.local_time(now + 200 * DAY)
        s, head, rest = post_raw(d.socket, "/v1/simulate", {"from": frm, "until": until})
        self.assertIn(b"200", head.split(b"\r\n")[0])
        self.assertIn(b"transfer-encoding: chunked", head.lower())
        body = dechunk(read_all(s, rest))
        doc = json.loads(body)
        self.assertGreater(len(doc["messages"]), 20)
        stages = {m["stage"] for m in doc["messages"]}
        for st in ("warning", "reminder", "supervision", "interview", "stale"):
            self.assertIn(st, stages)

        # The reference: the replay engine on a copy of the same database.
        p = subprocess.run([ORACLE], capture_output=True, timeout=300 * H.SLOW,
                           env=H.sanitizer_env({"CHECK_SIMULATE_ORACLE": "%s %s %d %d" % (
                               d.config, d.database, H.parse_local(frm),
                               H.parse_local(until))}))
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace")[-3000:])
        self.assertEqual(body.decode(), p.stdout.decode(),
                         "the simulator and the replay engine differ")

        # approval-escalatorctl --json passes the same bytes through.
        r = d.ctl("simulate", "--from", frm, "--until", until, json_out=True)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, body.decode())
        # The readable form lists every message.
        r = d.ctl("simulate", "--from", frm, "--until", until)
        self.assertEqual(r.rc, 0, r)
        heads = [ln for ln in r.out.splitlines() if ln[:2] == "20"]
        self.assertEqual(len(heads), len(doc["messages"]))

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
