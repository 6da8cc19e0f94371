# test_loop.py -- end-to-end: the loop keeps answering (issue 15 points 1
# and 2): status counts kept by the store as rows change, equal to a
# COUNT(*) after adds, events, imports and a storm; paged lists with a
# cursor; the items export and a report's CSV streamed; reports rendered
# off the loop; writes refused quickly (503 with
# Retry-After) while another process holds the write lock, reads served.

import json
import os
import socket
import sqlite3
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def http(sock, method, path, body=None, timeout=60):
    """One request over the unix socket: (status, headers, body bytes)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout * H.SLOW)
    s.connect(sock)
    data = json.dumps(body).encode() if body is not None else b""
    s.sendall(("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
               "Content-Length: %d\r\n%s\r\n" % (method, path, len(data),
               "Content-Type: application/json\r\n" if body is not None else "")).encode() + data)
    raw = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        raw += chunk
    s.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        out = b""
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size.split(b";")[0], 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        rest = out
    return status, headers, rest


def import_items(d, tmp, n, prefix, due=None, name="items.csv"):
    """Import n items (one project each), due at due (epoch) or not at all soon."""
    path = os.path.join(tmp, name)
    accepted = H.local_time(int(time.time()) - 86400)
    with open(path, "w", encoding="utf-8") as f:
        if due is None:
            f.write("项目编码,项目名称,审批事项,承办部门,承诺时限,受理时间\n")
            for i in range(n):
                f.write("%s-%05d,项目%05d,立项,投资项目审批科,60个工作日,%s\n"
                        % (prefix, i, i, accepted))
        else:
            f.write("项目编码,项目名称,审批事项,承办部门,承诺时限,受理时间,办结时限\n")
            for i in range(n):
                f.write("%s-%05d,项目%05d,立项,投资项目审批科,20个工作日,%s,%s\n"
                        % (prefix, i, i, accepted, H.local_time(due)))
    r = d.ctl("import", path, timeout=300)
    if r.rc != 0:
        raise AssertionError("import failed: %r" % r)


class Counts(H.E2ETestCase):
    """status's counts come from the counts the store keeps as rows change."""

    def assertCountsExact(self, d):
        st = d.status()
        db = d.database
        for status, n in H.db_query(db, "SELECT status, count(*) FROM items GROUP BY status"):
            self.assertEqual(st["items"].get(status), n, "items %s: %r" % (status, st["items"]))
        for status in st["items"]:
            n = H.db_query(db, "SELECT count(*) FROM items WHERE status = ?", (status,))[0][0]
            self.assertEqual(st["items"][status], n, status)
        want = dict(H.db_query(db, "SELECT t.stage_name, count(*) FROM tracks t JOIN items i"
                               " ON i.id = t.item_id WHERE t.kind = 'main' AND t.stage >= 0"
                               " AND i.status IN ('accepted', 'suspended')"
                               " GROUP BY t.stage_name"))
        self.assertEqual(st["overdue"], want)
        # Each track's own flag of its item's being open (schema 15),
        # which the stage counts' triggers read, agrees with the item.
        self.assertEqual(H.db_query(db, "SELECT count(*) FROM tracks t LEFT JOIN items i"
                                    " ON i.id = t.item_id WHERE t.item_open IS NOT"
                                    " coalesce(i.status IN ('accepted', 'suspended'), 0)"),
                         [(0,)])
        # Delivery moves messages meanwhile: the kept counts of messages
        # are compared with a COUNT(*) in one read transaction.
        con = sqlite3.connect(db)
        try:
            con.execute("BEGIN")
            kept = dict(con.execute("SELECT key, n FROM counts WHERE what = 'outbox'"))
            real = dict(con.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
            con.execute("COMMIT")
        finally:
            con.close()
        self.assertEqual({k: v for k, v in kept.items() if v}, real)
        return st

    def test_counts_follow_adds_events_imports_and_a_storm(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})

        def write(offset):
            return self.write_config(self.config_text(
                mock, policies=[H.ladder(("reminder", "催办", offset, ["chat"]),
                                         ("supervision", "督查", "+100d", ["chat"]))]))
        d = self.start_daemon(write("0s"))
        self.assertCountsExact(d)
        ids = [d.add_item(project="C-%d" % i, deadline="+3600")["id"] for i in range(6)]
        d.add_item(project="C-P", planned=True, limit="5wd")
        self.assertCountsExact(d)
        self.assertEqual(d.ctl("item", "done", ids[0]).rc, 0)
        self.assertEqual(d.ctl("item", "cancel", ids[1]).rc, 0)
        self.assertEqual(d.ctl("item", "suspend", ids[2], "--reason", "补正材料").rc, 0)
        self.assertCountsExact(d)
        import_items(d, self.tmp, 500, "IMP", due=int(time.time()) + 3600)
        self.assertCountsExact(d)
        # A storm: every item due at once.
        write("-3600s")
        self.assertEqual(d.ctl("reload").rc, 0)
        H.wait_for(lambda: H.db_query(d.database, "SELECT count(*) FROM tracks WHERE"
                                      " kind = 'main' AND stage >= 0")[0][0] >= 503,
                   60 * H.SLOW, "the storm to be stepped")
        st = self.assertCountsExact(d)
        self.assertEqual(st["overdue"].get("reminder"), 503, st)
        # Events on escalated items move them between statuses and stages.
        self.assertEqual(d.ctl("item", "done", ids[3]).rc, 0)
        st = self.assertCountsExact(d)
        self.assertEqual(st["overdue"].get("reminder"), 502, st)
        self.assertEqual(d.ctl("item", "resume", ids[2]).rc, 0)
        self.assertCountsExact(d)



class StormOffTheLoop(H.E2ETestCase):
    """A storm is stepped while the loop goes on answering."""

    N = 20000

    def test_status_answers_while_a_storm_is_stepped(self):
        mock = self.start_mock({"webhook": {"big": {}}})
        channels = [{"name": "big", "type": "webhook", "url": mock.base + "/hook/big"}]

        def write(offset):
            return self.write_config(self.config_text(
                mock, channels=channels,
                policies=[H.ladder(("reminder", "催办", offset, ["big"]))]))
        d = self.start_daemon(write("0s"))
        import_items(d, self.tmp, self.N, "ST", due=int(time.time()) + 3600)
        write("-3600s")
        answers = []
        self.assertEqual(d.ctl("reload").rc, 0)
        # The reload made every item due: the step starts on the next turn
        # of the loop.  Status answers meanwhile, before the storm's one
        # commit (nothing escalated yet) and after it (everything).
        while True:
            st, _, body = http(d.socket, "GET", "/v1/status")
            self.assertEqual(st, 200, body)
            n = json.loads(body)["overdue"].get("reminder", 0)
            answers.append(n)
            if n == self.N:
                break
            self.assertEqual(n, 0, "a storm is committed whole")
            self.assertLess(len(answers), 100000, "the storm never ended")
        self.assertGreater(answers.count(0), 0, "no answer during the step")
        st, _, body = http(d.socket, "POST", "/v1/items", {
            "project": "AFTER", "name": "立项", "department": "投资项目审批科",
            "deadline": H.local_time(int(time.time()) + 86400)})   # not due
        self.assertEqual(st, 201, body)
        q = lambda sql: H.db_query(d.database, sql)[0][0]  # noqa: E731
        self.assertEqual(q("SELECT count(*) FROM fired"), self.N)
        self.assertEqual(q("SELECT count(DISTINCT created_at) FROM outbox"), 1)


class ImportOffTheLoop(H.E2ETestCase):
    """An import runs in a thread of its own; status answers meanwhile."""

    def test_status_answers_while_an_import_runs(self):
        mock, d, _ = self.simple_setup()
        path = os.path.join(self.tmp, "big.csv")
        accepted = H.local_time(int(time.time()) - 86400)
        with open(path, "w", encoding="utf-8") as f:
            f.write("项目编码,项目名称,审批事项,承办部门,承诺时限,受理时间\n")
            for i in range(60000):
                f.write("IM-%05d,项目%05d,立项,投资项目审批科,60个工作日,%s\n" % (i, i, accepted))
        done = []
        t = threading.Thread(target=lambda: done.append(d.ctl("import", path, timeout=300)))
        t.start()
        answers = 0
        while t.is_alive():
            st, _, body = http(d.socket, "GET", "/v1/status")
            self.assertEqual(st, 200, body)
            answers += 1
        t.join()
        self.assertEqual(done[0].rc, 0, done[0])
        self.assertGreater(answers, 0)
        self.assertEqual(d.status()["items"]["accepted"], 60000)
        # A dry run changes nothing; a bad file is refused with its problems.
        r = d.ctl("import", "--dry-run", path, timeout=300)
        self.assertEqual(r.rc, 0, r)
        bad = os.path.join(self.tmp, "bad.csv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("项目编码,项目名称,审批事项,承办部门,承诺时限,受理时间\n"
                    "IM-X,项目,立项,投资项目审批科,5个月,%s\n" % accepted)
        r = d.ctl("import", bad)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(d.status()["items"]["accepted"], 60000)


class Paging(H.E2ETestCase):
    """Lists come a page at a time, by cursor; the export streams everything."""

    N = 2500

    def test_cursor_walks_every_item_once(self):
        mock, d, _ = self.simple_setup()
        import_items(d, self.tmp, self.N, "PG")
        ids = [r[0] for r in H.db_query(d.database, "SELECT id FROM items ORDER BY id")]
        self.assertEqual(len(ids), self.N)
        # The default page and the limit's bounds.
        st, _, body = http(d.socket, "GET", "/v1/items")
        page = json.loads(body)
        self.assertEqual(st, 200)
        self.assertEqual(len(page["items"]), 100)
        self.assertIn("next_cursor", page)
        page = json.loads(http(d.socket, "GET", "/v1/items?limit=5000")[2])
        self.assertEqual(len(page["items"]), 1000)
        # A walk by cursor sees every item exactly once, in order.
        seen, cursor, pages = [], None, 0
        while True:
            q = "/v1/items?limit=333" + ("&cursor=" + cursor if cursor else "")
            st, _, body = http(d.socket, "GET", q)
            self.assertEqual(st, 200, body)
            page = json.loads(body)
            self.assertLessEqual(len(page["items"]), 333)
            seen += [it["id"] for it in page["items"]]
            pages += 1
            cursor = page.get("next_cursor")
            if cursor is None:
                break
        self.assertEqual(seen, ids)
        self.assertEqual(pages, (self.N + 332) // 333)
        # The last page has no cursor, even when it is full.
        page = json.loads(http(d.socket, "GET", "/v1/items?limit=%d" % self.N)[2])
        self.assertEqual(len(page["items"]), 1000)
        walk = json.loads(http(d.socket, "GET", "/v1/items?limit=500&status=done")[2])
        self.assertEqual(walk, {"items": []})
        # Filters page too: one project.
        page = json.loads(http(d.socket, "GET", "/v1/items?project=PG-00007")[2])
        self.assertEqual([it["project"] for it in page["items"]], ["PG-00007"])
        self.assertNotIn("next_cursor", page)
        # A cursor that is not one: 400.
        for bad in ("xyz", "!!!!", "cDpQRy0wMDAwMQ", ""):
            st, _, body = http(d.socket, "GET", "/v1/items?cursor=" + bad)
            self.assertEqual(st, 400, (bad, body))
            self.assertEqual(json.loads(body)["field"], "cursor")
        # ctl list follows the cursor to the end, and --limit bounds it.
        r = d.ctl("list")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sum(1 for ln in r.out.splitlines() if " PG-" in ln), self.N)
        got = d.ctl_json("list")["items"]
        self.assertEqual([it["id"] for it in got], ids)
        got = d.ctl_json("list", "--limit", "1234")["items"]
        self.assertEqual([it["id"] for it in got], ids[:1234])
        # Projects page by code.
        codes = [r[0] for r in H.db_query(d.database, "SELECT code FROM projects ORDER BY code")]
        seen, cursor = [], None
        while True:
            q = "/v1/projects?limit=700" + ("&cursor=" + cursor if cursor else "")
            page = json.loads(http(d.socket, "GET", q)[2])
            seen += [p["code"] for p in page["projects"]]
            cursor = page.get("next_cursor")
            if cursor is None:
                break
        self.assertEqual(seen, codes)
        self.assertEqual([p["code"] for p in d.ctl_json("project", "list")["projects"]], codes)
        st, _, body = http(d.socket, "GET", "/v1/projects?cursor=" + page_cursor_of_items(d))
        self.assertEqual(st, 400, body)

    def test_export_streams_every_item(self):
        mock, d, _ = self.simple_setup()
        import_items(d, self.tmp, self.N, "EX")
        st, hdr, body = http(d.socket, "GET", "/v1/items?format=csv")
        self.assertEqual(st, 200)
        self.assertEqual(hdr.get("transfer-encoding"), "chunked")
        self.assertTrue(hdr["content-type"].startswith("text/csv"))
        text = body.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff编号,项目编码,"))
        lines = text[1:].split("\r\n")
        self.assertEqual(lines[-1], "")
        rows = lines[1:-1]
        self.assertEqual(len(rows), self.N)
        ids = [r[0] for r in H.db_query(d.database, "SELECT id FROM items ORDER BY id")]
        self.assertEqual([int(r.split(",")[0]) for r in rows], ids)
        self.assertEqual(sorted(r.split(",")[1] for r in rows),
                         ["EX-%05d" % i for i in range(self.N)])
        # The control tool writes the same bytes; filters apply.
        r = d.ctl("export")
        self.assertEqual(r.rc, 0, r)
        # HTTP/1.0: the connection closes as the answer ends.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(b"GET /v1/items?format=csv HTTP/1.0\r\nHost: x\r\n\r\n")
        raw = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            raw += chunk
        s.close()
        self.assertEqual(raw.partition(b"\r\n\r\n")[2].decode("utf-8"), text)
        self.assertEqual(r.out, text)
        r = d.ctl("export", "--project", "EX-00042")
        self.assertEqual(len(r.out.split("\r\n")), 3, r.out)
        # Requests are served while an export is read slowly.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /v1/items?format=csv HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(100)
        self.assertIn("accepted", d.status()["items"])
        s.close()      # leaves mid-stream: the daemon ends the export
        self.assertIn("accepted", d.status()["items"])



def import_overdue(test, d, n, prefix, timeout):
    """Import n items accepted 30 days ago, each a row of the weekly
    report's table (逾期事项); the report's "as of" and its CSV query."""
    path = os.path.join(test.tmp, "overdue.csv")
    accepted = H.local_time(int(time.time()) - 30 * 86400)
    with open(path, "w", encoding="utf-8") as f:
        f.write("项目编码,项目名称,审批事项,承办部门,承诺时限,受理时间\n")
        for i in range(n):
            f.write("%s-%06d,项目%06d,立项,投资项目审批科,5个工作日,%s\n"
                    % (prefix, i, i, accepted))
    r = d.ctl("import", path, timeout=timeout)
    test.assertEqual(r.rc, 0, r)
    at = H.local_time(int(time.time()))
    return at, "/v1/reports/weekly?format=csv&at=" + at.replace(" ", "%20").replace(":", "%3A")

class ReportCsv(H.E2ETestCase):
    """A report's CSV is sent a part at a time as the connection drains."""

    N = 6000

    def test_report_csv_streams_in_parts(self):
        # A ladder that starts long after the deadline: nothing is stepped
        # while the test reads, so every answer holds the same rows.
        mock, d, _ = self.simple_setup(policies=[H.ladder(("reminder", "催办", "+60d",
                                                           ("chat",)))])
        at, q = import_overdue(self, d, self.N, "RC", timeout=300)
        st, hdr, body = http(d.socket, "GET", q)
        self.assertEqual(st, 200, body[:300])
        self.assertEqual(hdr.get("transfer-encoding"), "chunked")
        self.assertTrue(hdr["content-type"].startswith("text/csv"))
        self.assertGreater(len(body), 2 * 256 * 1024)      # several parts
        text = body.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        self.assertTrue(text.endswith("\r\n"))
        self.assertGreaterEqual(text.count("逾期事项"), self.N)
        # The control tool writes the same bytes as they come.
        r = d.ctl("report", "weekly", "--at", at, "--csv")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, text)
        # HTTP/1.0: the connection closes as the answer ends.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(("GET %s HTTP/1.0\r\nHost: x\r\n\r\n" % q).encode())
        raw = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            raw += chunk
        s.close()
        self.assertEqual(raw.partition(b"\r\n\r\n")[2], body)
        # A client that leaves mid-report ends it; the daemon goes on.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % q).encode())
        s.recv(100)
        self.assertIn("accepted", d.status()["items"])
        s.close()
        self.assertIn("accepted", d.status()["items"])
        # An error is still a JSON answer.
        r = d.ctl("report", "no-such-report", "--csv")
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("no report", r.err)


class ReportOffTheLoop(H.E2ETestCase):
    """A report is rendered in a thread of its own: status answers while a
    report over many items renders, before its first byte; requests beyond
    the one rendering wait their turn (or are refused with Retry-After)."""

    N = 100000

    def test_status_answers_while_a_report_renders(self):
        import select
        mock, d, _ = self.simple_setup(policies=[H.ladder(("reminder", "催办", "+60d",
                                                           ("chat",)))])
        at, q = import_overdue(self, d, self.N, "RO", timeout=600)

        def send(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(300 * H.SLOW)
            s.connect(d.socket)
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                       % path).encode())
            return s

        def dechunk(rest):
            out = b""
            while rest:
                size, _, rest = rest.partition(b"\r\n")
                n = int(size.split(b";")[0], 16)
                if n == 0:
                    break
                out += rest[:n]
                rest = rest[n + 2:]
            return out

        def read_all(s):
            raw = b""
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                raw += chunk
            s.close()
            return raw

        # Status answers while the report renders: each answer counted
        # came back before the report's first byte was there to read.
        rep = send(q)
        before = 0
        while not select.select([rep], [], [], 0)[0]:
            st, _, body = http(d.socket, "GET", "/v1/status")
            self.assertEqual(st, 200, body)
            if not select.select([rep], [], [], 0)[0]:
                before += 1
        self.assertGreaterEqual(before, 3, "status did not answer during the render")
        raw = read_all(rep)
        # The report is whole and right, and the control tool gets the
        # same bytes.
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertTrue(raw.startswith(b"HTTP/1.1 200"), raw[:200])
        self.assertIn(b"Transfer-Encoding: chunked", head)
        body = dechunk(body)
        text = body.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        self.assertTrue(text.endswith("\r\n"))
        self.assertGreaterEqual(text.count("逾期事项"), self.N)
        r = d.ctl("report", "weekly", "--at", at, "--csv", timeout=300)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, text)
        # The markdown report renders off the loop too and is the same
        # as the control tool's.
        st, _, mbody = http(d.socket, "GET", "/v1/reports/weekly?format=text&at="
                            + at.replace(" ", "%20").replace(":", "%3A"), timeout=300)
        self.assertEqual(st, 200, mbody[:300])
        self.assertIn("项目", json.loads(mbody)["text"])
        # Many at once: one renders, some wait their turn, the rest are
        # told to come back; every answer is whole or a 503 with
        # Retry-After, and the whole ones are all the same report.
        socks = [send(q) for _ in range(10)]
        answers = [read_all(s) for s in socks]
        whole = 0
        for a in answers:
            head, _, rest = a.partition(b"\r\n\r\n")
            if a.startswith(b"HTTP/1.1 200"):
                whole += 1
                self.assertEqual(dechunk(rest), body)
            else:
                self.assertTrue(a.startswith(b"HTTP/1.1 503"), a[:300])
                self.assertIn(b"Retry-After: 1", head)
        self.assertGreaterEqual(whole, 1)
        self.assertIn("accepted", d.status()["items"])
        # A reload while a report renders waits for it; the report is
        # whole.
        rep = send(q)
        self.assertEqual(d.ctl("reload").rc, 0)
        a = read_all(rep)
        self.assertTrue(a.startswith(b"HTTP/1.1 200"), a[:300])
        self.assertEqual(dechunk(a.partition(b"\r\n\r\n")[2]), body)
        # Stopped while a report renders (or waits): the daemon ends
        # cleanly (exit 0, and the sanitizers' word when the test ends).
        rep = send(q)
        self.assertIn("accepted", d.status()["items"])
        self.assertEqual(d.stop(), 0)
        rep.close()


class Locked(H.E2ETestCase):
    """Another process holds the write lock: writes get a quick 503 with
    Retry-After, reads are served, and everything works once it lets go."""

    def test_writes_are_refused_quickly_and_reads_served(self):
        mock, d, _ = self.simple_setup()
        first = d.add_item(project="L-1", deadline="+3600")
        con = sqlite3.connect(d.database, isolation_level=None, timeout=30)
        con.execute("BEGIN IMMEDIATE")
        try:
            body = {"project": "L-2", "name": "立项", "department": "投资项目审批科",
                    "deadline": H.local_time(int(time.time()) + 3600)}
            for path, b in (("/v1/items", body), ("/v1/projects", {"code": "L-3"}),
                            ("/v1/items/%d/events" % first["id"], {"type": "done"})):
                t0 = time.monotonic()
                st, hdr, out = http(d.socket, "POST", path, b)
                took = time.monotonic() - t0
                self.assertEqual(st, 503, (path, out))
                self.assertEqual(hdr.get("retry-after"), "1", hdr)
                self.assertIn("busy", json.loads(out)["error"])
                # Quick: well under the 5 s SQLite waited before (timing
                # is the bench's; this only rules out the old wait).
                self.assertLess(took, 4 * H.SLOW, path)
            st, _, out = http(d.socket, "GET", "/v1/status")
            self.assertEqual(st, 200, out)
            self.assertEqual(json.loads(out)["items"]["accepted"], 1)
            st, _, out = http(d.socket, "GET", "/v1/items")
            self.assertEqual(st, 200, out)
            self.assertEqual([it["id"] for it in json.loads(out)["items"]], [first["id"]])
            self.assertEqual(d.ctl("item", "add", "--project", "L-2", "--name", "立项",
                                   "--department", "投资项目审批科", "--deadline", "+3600").rc, 1)
            # An import (in a thread of its own) meets the lock too.
            csv = os.path.join(self.tmp, "l.csv")
            with open(csv, "w", encoding="utf-8") as f:
                f.write("项目编码,项目名称,审批事项,承办部门,承诺时限,受理时间\n"
                        "L-9,项目,立项,投资项目审批科,5个工作日,%s\n"
                        % H.local_time(int(time.time())))
            with open(csv, "rb") as f:
                data = f.read()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(d.socket)
            s.sendall(b"POST /v1/import HTTP/1.0\r\nHost: x\r\nContent-Type: text/csv\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(data) + data)
            raw = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                raw += chunk
            s.close()
            self.assertEqual(raw.split()[1], b"503", raw)
            self.assertIn(b"Retry-After: 1", raw)
        finally:
            con.execute("ROLLBACK")
            con.close()
        item = d.add_item(project="L-2", deadline="+3600")
        self.assertEqual(d.status()["items"]["accepted"], 2)
        self.assertEqual(d.ctl("item", "done", item["id"]).rc, 0)


def page_cursor_of_items(d):
    """A cursor of the item list: not one of the project list."""
    return json.loads(http(d.socket, "GET", "/v1/items?limit=1")[2])["next_cursor"]


if __name__ == "__main__":
    unittest.main()
