# test_faults.py -- fault injection against the real approval-escalatord
# (issue 7): SIGKILL at random moments of a storm of thousands of messages,
# the database locked by another process, the disk full, the wall clock
# stepped a day forward and back, and a chat server down for a long time.
#
# Python 3 standard library only; it reuses tests/e2e/harness.py (mock chat
# server, generated configuration, daemon and ctl wrappers).  Binaries come
# from $ESCALATOR_BIN_DIR (default build/):
#
#   python3 tests/faults/test_faults.py -v          (what make check runs)
#   python3 tests/faults/test_faults.py -v ClockStep
#
# Needs root for the disk-full test (a small tmpfs) and libfaketime
# (Debian package libfaketime) for the clock test; each is skipped with a
# clear message when its tool is missing.  ESCALATOR_FAULT_SEED fixes the
# random kill moments of a run (it is printed on failure).  The mock chat
# server runs with TCP_NODELAY (mockchat_nodelay.py) so that a storm of
# thousands of messages takes seconds, not minutes.

import collections
import http.client
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness as H  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The mock chat server with TCP_NODELAY (see mockchat_nodelay.py).
FAST_MOCK = os.path.join(HERE, "mockchat_nodelay.py")

FAKETIME_LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/faketime/libfaketime.so.1",
                 "/usr/local/lib/faketime/libfaketime.so.1"]

# A minimal template set: one short line per item, so that a small byte
# limit puts every item in its own message (the storm needs thousands of
# separate messages, not a few grouped ones).
TEMPLATE = """@title
{stage_label}{part}
@header
{stage_label}{part}
@item
{project_code}: {project} / {item}
@footer
"""


def write_templates(directory):
    """The minimal template under every name the shipped set has."""
    os.makedirs(directory, exist_ok=True)
    names = {f.split(".")[0] for f in os.listdir(H.TEMPLATES) if f.endswith(".tmpl")}
    for n in names:
        with open(os.path.join(directory, n + ".tmpl"), "w", encoding="utf-8") as f:
            f.write(TEMPLATE)
    return directory


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP/1.1 over the daemon's unix control socket."""

    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Api:
    """The control API spoken directly, one kept-alive connection: much
    faster than one approval-escalatorctl process per item."""

    def __init__(self, sock, timeout=60):
        self.sock = sock
        self.timeout = timeout
        self.conn = None

    def call(self, method, path, body=None):
        """(status, decoded JSON answer); reconnects once if the daemon
        closed the connection."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = UnixHTTPConnection(self.sock, self.timeout)
            try:
                self.conn.request(method, path, body=data,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                raw = r.read()
                return r.status, json.loads(raw.decode("utf-8")) if raw else None
            except (http.client.HTTPException, ConnectionError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def add_item(self, **fields):
        st, ans = self.call("POST", "/v1/items", fields)
        if st not in (200, 201):
            raise AssertionError("POST /v1/items %r: %s %r" % (fields, st, ans))
        return ans["item"]


def received_by_robot(mock):
    """Accepted messages grouped: robot id -> list of texts."""
    out = collections.defaultdict(list)
    for m in mock.received():
        out[m["id"]].append(m.get("text") or "")
    return out


def duplicates(mock):
    """Messages received more than once (same robot, same text)."""
    counts = collections.Counter((m["id"], m.get("text") or "") for m in mock.received())
    return sum(n - 1 for n in counts.values())


def integrity(path):
    con = sqlite3.connect(path, timeout=30)
    try:
        return con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()


def outbox_counts(path):
    rows = H.db_query(path, "SELECT status, count(*) FROM outbox GROUP BY status")
    out = {"queued": 0, "sent": 0, "failed": 0}
    out.update(dict(rows))
    return out


class FaultCase(H.E2ETestCase):
    """Helpers shared by the fault tests."""

    def setUp(self):
        super().setUp()
        saved = H.MOCKCHAT
        H.MOCKCHAT = FAST_MOCK
        self.addCleanup(setattr, H, "MOCKCHAT", saved)
        self.seed = int(os.environ.get("ESCALATOR_FAULT_SEED", random.randrange(1 << 30)))
        self.rng = random.Random(self.seed)

    def config(self, mock, channels, policies, extra=None, db="t.db", templates=None):
        settings = {"templates": templates or write_templates(os.path.join(self.tmp, "tmpl"))}
        if extra:
            settings.update(extra)
        return self.write_config(self.config_text(mock, channels=channels, policies=policies,
                                                  extra=settings, db=db))

    def api(self, d):
        a = Api(d.socket)
        self.addCleanup(a.close)
        return a

    def deadline_in(self, seconds):
        return H.local_time(int(time.time() + seconds))

    def msg(self, text):
        return "%s (seed %d)" % (text, self.seed)


# ---------------------------------------------------------------------------


class KillStorm(FaultCase):
    """(a) SIGKILL at random moments while thousands of messages go out."""

    ITEMS = 1500            # x 3 chats = 4500 separate messages
    KILLS = 10

    def test_sigkill_storm(self):
        # The one SIGKILL storm test (it replaces tests/e2e/test_faults.py's
        # Crash test, whose checks are all here).
        robots = {"wecom": {"wk-%s" % c: {"limit_per_min": 0} for c in "abc"}}
        mock = self.start_mock(robots)
        channels = [{"name": c, "type": "wecom", "key": "wk-" + c, "per_minute": 0,
                     "max_bytes": 256, "format": "text"} for c in "abc"]

        def write(offset):
            return self.config(mock, channels, [H.ladder(("reminder", "催办", offset,
                                                          ["a", "b", "c"]))])
        d = self.start_daemon(write("0s"))
        api = self.api(d)
        # Every item has its own long project name: one item per message
        # (two of its lines do not fit in 256 bytes).
        # Added due in an hour, then all made due at once by moving the
        # stage an hour earlier (a reload): however long adding takes.
        codes = ["KS-%04d" % i for i in range(self.ITEMS)]
        for c in codes:
            api.add_item(project=c, project_name="风暴测试项目" * 9 + c, name="立项",
                         department="科a", deadline="+3600")
        api.close()
        self.assertEqual(mock.received(), [])
        write("-3600s")

        # The first kill lands right after the reload, inside or right
        # after the step that queues all the messages; each later one once
        # the mock has received a random number of messages (sorted, so the
        # kills are spread over the whole storm), plus a random few
        # milliseconds.
        total = 3 * self.ITEMS
        r = d.ctl("reload")
        self.assertEqual(r.rc, 0, r)
        time.sleep(self.rng.uniform(0, 0.08))
        targets = [0] + sorted(self.rng.sample(range(1, total * 85 // 100), self.KILLS - 1))
        kills, queued = [], []
        for k, want in enumerate(targets):
            if k > 0:
                H.wait_for(lambda: len(mock.received()) >= want, 30,
                           "delivery to go on", interval=0.005)
                time.sleep(self.rng.uniform(0, 0.005))
            d.kill9()
            kills.append(len(mock.received()))
            queued.append(outbox_counts(d.database)["queued"])
            d.start()
        H.wait_for(lambda: outbox_counts(d.database)["queued"] == 0
                   and outbox_counts(d.database)["sent"] >= 3 * self.ITEMS, 180,
                   "the queue to drain after %d kills" % self.KILLS)
        # Drained: every answer is on record, and the mock records a
        # message before it answers, so nothing more is landing.

        self.assertGreater(kills[-1], 0, self.msg("no message went out before the last kill"))
        self.assertTrue(all(q > 0 for q in queued[1:]),
                        self.msg("a kill after the storm was over: queued %r" % queued))
        self.assertEqual(mock.rejected(), [])
        by_robot = received_by_robot(mock)
        for c in "abc":
            joined = "\n".join(by_robot["wk-" + c])
            missing = [x for x in codes if x not in joined]
            self.assertEqual(missing, [], self.msg("chat %s never got %d items" % (c, len(missing))))
        dups = duplicates(mock)
        # At most one message per chat in flight at each kill.
        self.assertLessEqual(dups, 3 * self.KILLS, self.msg("%d duplicates" % dups))
        counts = outbox_counts(d.database)
        self.assertEqual(counts, {"queued": 0, "sent": counts["sent"], "failed": 0})
        self.assertGreaterEqual(counts["sent"], 3 * self.ITEMS)
        self.assertEqual(len(mock.received()) - dups, counts["sent"],
                         self.msg("messages received vs outbox rows sent"))
        # The running daemon says the same as its database.
        self.assertEqual(d.status()["queue"], counts)
        fired = H.db_query(d.database, "SELECT count(*), count(DISTINCT track_id) FROM fired")[0]
        self.assertEqual(fired, (self.ITEMS, self.ITEMS), "a stage fired twice")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(integrity(d.database), [("ok",)])
        sys.stderr.write("\n  storm: %d messages, killed after %s received with %s queued,"
                         " %d duplicates (seed %d)\n" % (counts["sent"], kills, queued, dups,
                                                         self.seed))


class PortMock(H.Mock):
    """The mock chat server in a directory of its own, on a given port
    (0: any), so that it can be stopped and started again where the
    daemon expects it."""

    def __init__(self, tmpdir, robots, port=0):
        os.makedirs(tmpdir, exist_ok=True)
        self.dir = tmpdir
        self.config = os.path.join(tmpdir, "robots.json")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(robots, f, ensure_ascii=False)
        self.ready = os.path.join(tmpdir, "mock.port")
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.record = os.path.join(tmpdir, "received.jsonl")
        self.log = open(os.path.join(tmpdir, "mock.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, H.MOCKCHAT, "--port", str(port), "--config", self.config,
             "--record", self.record, "--ready-file", self.ready],
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            H.wait_for(lambda: os.path.exists(self.ready) or self.proc.poll() is not None,
                       20, "mockchat to listen")
            if self.proc.poll() is not None:
                raise RuntimeError("mockchat exited with %s: %s"
                                   % (self.proc.returncode, self.log_text()))
            with open(self.ready) as f:
                self.port = int(f.read().strip())
        except BaseException:
            self.stop()
            raise
        self.base = "http://127.0.0.1:%d" % self.port


class ChatDown(FaultCase):
    """(e) A chat server down for a long time, then healed: everything
    queued meanwhile is delivered once, and the other chats carry on."""

    OUTAGE = 15             # seconds

    def test_long_outage_then_healed(self):
        # Mock A: one robot answering 503 throughout the outage, one healthy.
        robots_a = {"wecom": {"wk-503": {"limit_per_min": 0}, "wk-ok": {"limit_per_min": 0}}}
        mock = PortMock(os.path.join(self.tmp, "a"), robots_a)
        self.addCleanup(mock.stop)
        # Mock B: a generic webhook whose whole server is stopped.
        robots_b = {"webhook": {"down": {}}}
        mock_b = PortMock(os.path.join(self.tmp, "b"), robots_b)
        port_b = mock_b.port
        channels = [{"name": "bad", "type": "wecom", "key": "wk-503", "per_minute": 0},
                    {"name": "ok", "type": "wecom", "key": "wk-ok", "per_minute": 0},
                    {"name": "gone", "type": "webhook", "url": mock_b.base + "/hook/down",
                     "timeout": 2}]
        policy = [H.ladder(("reminder", "催办", "0s", ["bad", "ok", "gone"]),
                           ("supervision", "督查", "+3s", ["bad", "ok", "gone"]))]
        d = self.start_daemon(self.config(mock, channels, policy))
        api = self.api(d)

        mock.fault("wecom", "wk-503", {"kind": "http", "status": 503})
        mock_b.stop()
        t_down = time.time()
        # Items falling due one after another during the outage.
        codes = ["DOWN-%02d" % i for i in range(6)]
        for i, c in enumerate(codes):
            api.add_item(project=c, name="立项", department="科a",
                         deadline=self.deadline_in(1 + 2 * i))
        # The healthy chat is not held up by the broken ones.
        H.wait_for(lambda: len([m for m in mock.received("wecom", "wk-ok")]) >= 2 * len(codes),
                   30, "the healthy chat's messages during the outage")

        def retries():
            return dict(H.db_query(d.database, "SELECT channel, count(*) FROM log WHERE"
                                   " outcome = 'retry' GROUP BY channel"))
        # The outage lasts until both broken chats have been retried a few
        # times (at least OUTAGE s) with every stage of every item queued.
        H.wait_for(lambda: retries().get("bad", 0) > 2 and retries().get("gone", 0) > 2
                   and outbox_counts(d.database)["queued"] == 4 * len(codes)
                   and time.time() >= t_down + self.OUTAGE, 60 + self.OUTAGE,
                   "retries of both broken chats during the outage")
        self.assertEqual(mock.received("wecom", "wk-503"), [])
        retries = retries()
        self.assertGreater(retries.get("bad", 0), 2, retries)
        self.assertGreater(retries.get("gone", 0), 2, retries)
        queued = outbox_counts(d.database)["queued"]
        self.assertEqual(queued, 4 * len(codes), "bad + gone: 2 stages x 6 items queued")

        # Heal both.
        mock.fault("wecom", "wk-503", None)
        mock_b = PortMock(os.path.join(self.tmp, "b"), robots_b, port=port_b)
        self.addCleanup(mock_b.stop)
        # The longest backoff before healing is bounded (2 s doubling,
        # +-25 %): after an outage of OUTAGE s the next try is at most
        # about that far away.
        H.wait_for(lambda: outbox_counts(d.database)["queued"] == 0, 2 * self.OUTAGE + 30,
                   "the queue to drain after healing")
        for rid, vendor, m in (("wk-503", "wecom", mock), ("wk-ok", "wecom", mock),
                               ("down", "webhook", mock_b)):
            got = m.received(vendor, rid)
            self.assertEqual(len(got), 2 * len(codes),
                             "%s: %d messages, want one per item and stage" % (rid, len(got)))
            bodies = [json.dumps(x["body"], ensure_ascii=False) for x in got]
            for c in codes:
                self.assertEqual(len([b for b in bodies if c in b]), 2,
                                 "%s: %s not once per stage" % (rid, c))
        self.assertEqual(outbox_counts(d.database)["failed"], 0)


class LockedDatabase(FaultCase):
    """(b) Another process holds the database locked longer than the
    daemon's busy timeout: no crash, API answers are JSON (503/500 while
    locked, or success once released), escalations due meanwhile happen
    afterwards, and nothing is sent twice."""

    LOCK = 12               # seconds, more than twice the 5 s busy timeout

    def test_database_locked_by_another_process(self):
        mock = self.start_mock({"wecom": {"wk": {"limit_per_min": 0}}})
        channels = [{"name": "chat", "type": "wecom", "key": "wk", "per_minute": 0}]
        d = self.start_daemon(self.config(mock, channels, [H.ladder(
            ("reminder", "催办", "0s", ["chat"]))]))
        api = self.api(d)
        # A message whose answer comes back while the lock is held.
        mock.fault("wecom", "wk", {"kind": "stall", "seconds": 1.5, "count": 1})
        api.add_item(project="LOCK-INFLIGHT", name="立项", department="科a",
                     deadline=self.deadline_in(1))
        H.wait_for(lambda: outbox_counts(d.database)["queued"] == 1, 10,
                   "the first message to be queued", interval=0.02)
        api.add_item(project="LOCK-DUE", name="立项", department="科a",
                     deadline=self.deadline_in(4))
        H.wait_for(lambda: mock.fault_left("wecom", "wk") is None, 10,
                   "the stalled request to reach the mock")

        con = sqlite3.connect(d.database, timeout=30, isolation_level=None)
        con.execute("BEGIN EXCLUSIVE")
        t_lock = time.time()
        answers = []

        def call(method, path, body=None):
            a = Api(d.socket, timeout=60)
            try:
                answers.append((method + " " + path,) + a.call(method, path, body))
            finally:
                a.close()
        workers = [threading.Thread(target=call, args=a) for a in (
            ("POST", "/v1/items", {"project": "LOCK-API", "name": "立项",
                                   "department": "科a", "deadline": self.deadline_in(2)}),
            ("GET", "/v1/status"),
            ("GET", "/v1/items"))]
        for w in workers:
            w.start()
            time.sleep(0.3)
        time.sleep(max(0, t_lock + self.LOCK - time.time()))
        self.assertTrue(d.running(), "the daemon died while the database was locked")
        con.execute("ROLLBACK")
        con.close()
        for w in workers:
            w.join(60)
        self.assertEqual(len(answers), 3, answers)
        for path, status, body in answers:
            self.assertIsInstance(body, dict, (path, status, body))
            if status >= 300:
                self.assertIn(status, (500, 503), (path, status, body))
                self.assertIn("error", body)
        # Everything due is escalated after the lock, once.
        projects = ["LOCK-INFLIGHT", "LOCK-DUE"]
        if any(a[0] == "POST /v1/items" and a[1] in (200, 201) for a in answers):
            projects.append("LOCK-API")

        def seen():
            got = H.texts(mock.received())
            return all(any(p in t for t in got) for p in projects) and \
                outbox_counts(d.database)["queued"] == 0
        H.wait_for(seen, 40, "every escalation after the lock")
        got = H.texts(mock.received())
        for p in projects:
            n = len([t for t in got if p in t])
            self.assertEqual(n, 1, "%s was sent %d times" % (p, n))
        self.assertEqual(duplicates(mock), 0, "messages sent twice")
        self.assertTrue(d.running())
        sys.stderr.write("\n  locked %d s: answers %s\n" % (
            self.LOCK, ", ".join("%s %d" % (a[0], a[1]) for a in answers)))
        self.assertEqual(d.stop(), 0)
        self.assertEqual(integrity(d.database), [("ok",)])



def fill_disk(directory):
    """Write a filler file until the file system is full; its path."""
    path = os.path.join(directory, "filler")
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError:
                break
        # The last few bytes too.
        while True:
            try:
                if f.write(b"\0" * 512) == 0:
                    break
            except OSError:
                break
    return path


class DiskFull(FaultCase):
    """(c) The database's file system fills up: the daemon reports errors
    (API 500/503 JSON, step failures in its log), loses and corrupts
    nothing, and catches up once space returns."""

    def mount_small(self, size="8m"):
        mnt = os.path.join(self.tmp, "small")
        os.mkdir(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size,
                            "tmpfs", mnt], capture_output=True, text=True)
        if r.returncode != 0:
            self.skipTest("disk-full test needs a small tmpfs, and mounting one failed (not"
                          " root, or no CAP_SYS_ADMIN): %s" % (r.stderr.strip() or r.returncode))
        self.addCleanup(subprocess.run, ["umount", "-l", mnt], capture_output=True)
        return mnt

    def test_disk_full_then_space_returns(self):
        mnt = self.mount_small()
        mock = self.start_mock({"wecom": {"wk": {"limit_per_min": 0}}})
        channels = [{"name": "chat", "type": "wecom", "key": "wk", "per_minute": 0}]
        d = self.start_daemon(self.config(mock, channels, [H.ladder(
            ("reminder", "催办", "0s", ["chat"]))], db=os.path.join(mnt, "t.db")),
            db=os.path.join(mnt, "t.db"))
        api = self.api(d)
        # Before: one message goes out normally.
        api.add_item(project="FULL-BEFORE", name="立项", department="科a",
                     deadline=self.deadline_in(1))
        H.wait_for(lambda: mock.received(), 10, "the first message")
        # A message in flight when the disk fills, and many items falling
        # due while it is full (their step needs room the disk has not).
        mock.fault("wecom", "wk", {"kind": "stall", "seconds": 1.5, "count": 1})
        api.add_item(project="FULL-INFLIGHT", name="立项", department="科a",
                     deadline=self.deadline_in(1))
        due = self.deadline_in(3)
        codes = ["FULL-%03d" % i for i in range(20)]
        for c in codes:
            api.add_item(project=c, project_name="磁盘已满测试项目" * 4, name="立项",
                         department="科a", deadline=due)
        H.wait_for(lambda: outbox_counts(d.database)["queued"] + outbox_counts(
            d.database)["sent"] >= 2, 10, "the in-flight message", interval=0.02)
        # SQLite reuses its WAL file after a checkpoint (at 1000 pages):
        # only while the WAL still has to grow does a full disk stop writes.
        wal = d.database + "-wal"
        self.assertLess(os.path.getsize(wal), 3 << 20, "the WAL has been checkpointed:"
                        " writes would reuse it and never meet the full disk")
        filler = fill_disk(mnt)
        st = os.statvfs(mnt)
        self.assertLess(st.f_bavail * st.f_frsize, 8192, "the file system is not full")
        H.wait_for(lambda: time.time() >= H.parse_local(due) + 1, 20,
                   "the items' deadline to pass")
        status, ans = api.call("POST", "/v1/items", {
            "project": "FULL-API", "name": "立项", "department": "科a",
            "deadline": self.deadline_in(2)})
        self.assertIsInstance(ans, dict, ans)
        self.assertIn(status, (200, 201, 500, 503), ans)
        if status >= 300:
            self.assertIn("error", ans)
        api_added = status < 300
        # The step fails and is retried every 5 s; some write says why.
        full = re.compile(r"(?i)disk is full|disk I/O|database or disk")
        H.wait_for(lambda: full.search(d.stderr()) or not d.running(), 30,
                   "an error reported while the disk is full")
        self.assertTrue(d.running(), "the daemon died when the disk was full")
        self.assertEqual(integrity(d.database), [("ok",)])

        os.unlink(filler)
        projects = ["FULL-BEFORE", "FULL-INFLIGHT"] + codes + (["FULL-API"] if api_added else [])

        def done():
            got = "\n".join(H.texts(mock.received()))
            return all(p + ":" in got for p in projects) and \
                outbox_counts(d.database)["queued"] == 0
        H.wait_for(done, 40, "every escalation after space returned")
        got = H.texts(mock.received())
        for p in projects:
            n = len([t for t in got if p + ":" in t])
            self.assertEqual(n, 1, "%s was sent %d times" % (p, n))
        self.assertEqual(duplicates(mock), 0)
        # And the API works again.
        api.add_item(project="FULL-AFTER", name="立项", department="科a", deadline="+3600")
        self.assertEqual(d.stop(), 0)
        self.assertEqual(integrity(d.database), [("ok",)])
        sys.stderr.write("\n  disk full: POST /v1/items answered %d %s\n" % (status, ans))



def reload_time(d):
    """When the daemon last reloaded, on its own clock (from GET /metrics), or None."""
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(d.socket)
        s.sendall(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
    except OSError:
        return None
    m = re.search(rb"^escalator_last_reload_timestamp_seconds (\d+)$", data, re.M)
    return int(m.group(1)) if m else None


def faketime_lib():
    for path in FAKETIME_LIBS:
        if os.path.exists(path):
            return path
    return None


class ClockDaemon(H.Daemon):
    """The daemon under libfaketime: its wall clock (time(), CLOCK_REALTIME)
    is offset by what the test writes to a control file; its monotonic
    clock, which libevent's timers use, is left alone, as when the system
    clock is stepped."""

    def __init__(self, *args, clock_file, **kw):
        super().__init__(*args, **kw)
        self.clock_file = clock_file
        self.set_clock("+0")

    def set_clock(self, offset):
        """Offset the daemon's wall clock: "+86400", "-86400", "+0" (seconds)."""
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(offset + "\n")
        os.replace(tmp, self.clock_file)

    def start(self, wait=True):
        env = {"LD_PRELOAD": faketime_lib(), "FAKETIME_TIMESTAMP_FILE": self.clock_file,
               "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
               "FAKETIME_DONT_RESET": "1"}
        saved = H.sanitizer_env

        def faked(extra=None):
            e = saved(extra)
            e.update(env)
            # A sanitized daemon must accept libfaketime preloaded first.
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


class ClockStep(FaultCase):
    """(d) The wall clock stepped a day forward and a day back: no burst
    of duplicates, no stage missed, delivery not stalled by the step."""

    def start_clock_daemon(self, config_path):
        d = ClockDaemon(config_path, os.path.join(self.tmp, "ctl.sock"),
                        os.path.join(self.tmp, "t.db"), self.tmp, tag="clockd",
                        clock_file=os.path.join(self.tmp, "faketime.rc"))
        self.daemons.append(d)
        self.addCleanup(self._finish_daemon, d)
        d.start()
        return d

    def step(self, d, offset):
        """Set the clock and tell the daemon.  The daemon notices a real
        clock step through a TFD_TIMER_CANCEL_ON_SET timerfd, which
        libfaketime cannot trigger; SIGHUP re-arms the timer the same way
        (a reload of the unchanged configuration).  Done when the daemon
        says it reloaded at a time on the new clock."""
        d.set_clock(offset)
        want = int(offset)

        def reloaded_on_new_clock():
            at = reload_time(d)
            if at is not None and abs(at - (time.time() + want)) < 60:
                return True
            d.signal(signal.SIGHUP)
            return False
        H.wait_for(reloaded_on_new_clock, 20, "a reload on the clock set to %s" % offset,
                   interval=0.3)

    def test_clock_stepped_forward_and_back(self):
        if faketime_lib() is None:
            self.skipTest("libfaketime is not installed (Debian package libfaketime):"
                          " the clock cannot be stepped for the daemon alone")
        mock = self.start_mock({"wecom": {"wk": {"limit_per_min": 0}}})
        # A throttle (2 a second): a step back must not leave the sender
        # waiting for send times that now lie a day in the future.
        channels = [{"name": "chat", "type": "wecom", "key": "wk", "per_minute": 0,
                     "per_second": 2}]
        policy = [H.ladder(("reminder", "催办", "0s", ["chat"]),
                           ("supervision", "督查", "+1d", ["chat"]),
                           ("interview", "约谈", "+2d", ["chat"]))]
        d = self.start_clock_daemon(self.config(mock, channels, policy))
        api = self.api(d)

        def messages():
            return [(t.splitlines()[0], sorted(x.split(":")[0] for x in t.splitlines()[1:]))
                    for t in H.texts(mock.received())]

        offset = [0]

        def settled():
            """Nothing queued and nothing due on the daemon's clock: no more can come now."""
            now = int(time.time()) + offset[0]
            due = H.db_query(d.database, "SELECT count(*) FROM tracks WHERE next_at > 0"
                             " AND next_at <= ?", (now,))[0][0]
            return due == 0 and outbox_counts(d.database)["queued"] == 0

        def wait_count(n, what):
            H.wait_for(lambda: len(mock.received()) >= n, 20, what)
            H.wait_for(settled, 20, "the daemon to settle after %s" % what)
            self.assertEqual(len(mock.received()), n, "a burst after %s: %r"
                             % (what, messages()))
            self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM outbox")[0][0], n)

        # Real time: two reminders (one grouped message each wake-up).
        api.add_item(project="CLK-A1", name="立项", department="科a", deadline="+2")
        api.add_item(project="CLK-A2", name="立项", department="科a", deadline="+2")
        api.add_item(project="CLK-B", name="立项", department="科a", deadline="+4")
        wait_count(2, "the reminders")

        # A day forward: the supervision (+1d) of all three falls due, once.
        self.step(d, "+86410")
        offset[0] = 86410
        wait_count(3, "the step forward")
        self.assertEqual(messages()[2], ("督查", ["CLK-A1", "CLK-A2", "CLK-B"]))

        # A day back (a day behind real time): nothing is due again, and a
        # new item falling due on the stepped-back clock is still sent
        # promptly although three messages went out "in the future".
        self.step(d, "-86400")
        offset[0] = -86400
        api.add_item(project="CLK-C", name="立项", department="科a", deadline="+3")
        wait_count(4, "the step back")
        self.assertEqual(messages()[3], ("催办", ["CLK-C"]))

        # Back to real time: CLK-C's supervision (+1d on the clock it was
        # added under, i.e. now) is not missed; nothing else repeats.
        self.step(d, "+0")
        offset[0] = 0
        wait_count(5, "the return to real time")
        self.assertEqual(messages()[4], ("督查", ["CLK-C"]))
        fired = H.db_query(d.database, "SELECT count(*), count(DISTINCT track_id || stage"
                           " || rep) FROM fired")[0]
        self.assertEqual(fired, (8, 8), "a stage fired twice")
        self.assertEqual(duplicates(mock), 0)
        self.assertEqual(outbox_counts(d.database), {"queued": 0, "sent": 5, "failed": 0})


if __name__ == "__main__":
    unittest.main()
