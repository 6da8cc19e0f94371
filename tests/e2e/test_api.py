# test_api.py -- end-to-end: the control API keeps what docs/API.md
# promises.  Every error answer is JSON ({"error", "field"}) with the
# right status: bodies over the limit (413, whatever their size, from
# Content-Length or chunked, answered at once), wrong methods (405 with
# Allow), unknown paths (404), unknown members and query parameters,
# deadline with limit, over-long text, an unknown status filter (400); a
# refused request changes nothing.  Times in answers are RFC 3339.  Each
# check is made over raw HTTP on the unix socket and on the TCP listener.

import itertools
import json
import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

TOKEN = "e2e-api-token-0123456789"
MAX_BODY = 16 * 1024 * 1024
MAX_IMPORT = 256 * 1024 * 1024      # POST /v1/import's own limit
STATUSES = ["planned", "accepted", "suspended", "done", "cancelled"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<HTTP %d %r %r>" % (self.status, self.headers, self.body[:300])


def dechunk(data):
    out = b""
    while True:
        line, _, data = data.partition(b"\r\n")
        n = int(line.split(b";")[0], 16)
        if n == 0:
            return out
        out += data[:n]
        data = data[n + 2:]


class ApiTestCase(H.E2ETestCase):
    """A daemon listening on its socket and on TCP; raw requests to both."""

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.mock, self.d, _ = self.simple_setup(extra={
            "listen": "127.0.0.1:%d" % self.port, "api_token": TOKEN})
        self.transports = ("unix", "tcp")

    def request(self, transport, method, path, body=None, headers=None):
        """One HTTP/1.1 request (Connection: close); body: bytes, str or a JSON value."""
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        hdrs = {"Host": "localhost", "Connection": "close",
                "Content-Type": "application/json"}
        if method not in ("GET", "DELETE", "OPTIONS") or data:
            hdrs["Content-Length"] = str(len(data))
        if transport == "tcp":
            hdrs["Authorization"] = "Bearer " + TOKEN
        s = self.connect(transport)
        hdrs.update(headers or {})
        head = "%s %s HTTP/1.1\r\n" % (method, path)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
        return self.exchange(s, [head.encode("utf-8") + data])

    def connect(self, transport):
        if transport == "tcp":
            return socket.create_connection(("127.0.0.1", self.port))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.d.socket)
        return s

    def exchange(self, s, parts):
        """Send parts (bytes), then read the answer until the daemon closes.
        The daemon may answer (and close) before it has read all it was
        sent (a body over the limit): sending then stops, the answer is read."""
        s.settimeout(60 * H.SLOW)
        out = b""
        try:
            try:
                for part in parts:
                    s.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                pass
            while True:
                try:
                    chunk = s.recv(1 << 16)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            s.close()
        return self.parse_answer(out)

    def parse_answer(self, out):
        self.assertTrue(out, "no answer at all")
        while re.match(rb"HTTP/1\.1 100 Continue\r\n\r\n", out):
            out = out[25:]
        head, _, payload = out.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding") == "chunked":
            payload = dechunk(payload)
        return Answer(status, headers, payload)

    def snapshot(self):
        """What a refused request must not change."""
        def get(path):
            a = self.request("unix", "GET", path)
            self.assertEqual(a.status, 200, a)
            return a.json()
        return (get("/v1/items"), get("/v1/projects"), get("/v1/log?limit=0"),
                get("/v1/outbox?state=all"), len(self.mock.received()))

    def assertError(self, a, status, field=None, says=()):
        """A JSON error answer: status, Content-Type, "error", "field"."""
        self.assertEqual(a.status, status, a)
        self.assertTrue(a.headers.get("content-type", "").startswith("application/json"), a)
        o = a.json()
        self.assertIsInstance(o.get("error"), str, a)
        self.assertTrue(o["error"], a)
        if field is not None:
            self.assertEqual(o.get("field"), field, a)
        for s in says:
            self.assertIn(s, o["error"], a)
        return o

    def assertRefused(self, method, path, body, status, field=None, says=()):
        """Refused on both transports, with nothing changed."""
        before = self.snapshot()
        for t in self.transports:
            with self.subTest(transport=t, method=method, path=path):
                self.assertError(self.request(t, method, path, body), status, field, says)
        self.assertEqual(self.snapshot(), before, "a refused %s %s changed something"
                         % (method, path))


class Errors(ApiTestCase):

    def test_body_over_the_limit_is_413_json(self):
        big = b'{"project":"P1","name":"' + b"x" * MAX_BODY + b'"}'
        self.assertRefused("POST", "/v1/items", big, 413, says=("too large",))
        self.assertRefused("POST", "/v1/import", b"a" * (MAX_IMPORT + 1), 413,
                           says=("too large",))
        # An import's CSV has a limit of its own: over 16 MiB it is read
        # (and judged on its content).
        a = self.request("unix", "POST", "/v1/import?dry_run=1", b"\n" * (MAX_BODY + 1))
        self.assertNotEqual(a.status, 413, a)

    def huge_request(self, transport, path, headers, parts):
        """Headers and the start of a body too large to send whole: the
        answer must come at once, before the rest is sent."""
        head = "POST %s HTTP/1.1\r\nHost: localhost\r\n" % path
        if transport == "tcp":
            head += "Authorization: Bearer %s\r\n" % TOKEN
        head += "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n"
        t0 = time.monotonic()
        a = self.exchange(self.connect(transport), [head.encode("ascii")] + parts)
        return a, time.monotonic() - t0

    def test_body_over_any_size_is_413_json_at_once(self):
        """300 MiB announced (over even an import's limit): refused from
        its Content-Length (after the first MiB, the client waits for the
        answer; it never sends the rest), JSON naming the limit; the
        daemon goes on answering."""
        before = self.snapshot()
        for t in self.transports:
            for path in ("/v1/items", "/v1/import"):
                with self.subTest(transport=t, path=path):
                    a, took = self.huge_request(t, path, {
                        "Content-Type": "application/json",
                        "Content-Length": str(300 * 1024 * 1024)},
                        [b"x" * (1024 * 1024)])
                    self.assertError(a, 413, says=("too large", str(MAX_BODY)))
                    self.assertEqual(a.headers.get("connection"), "close", a)
                    self.assertLess(took, 10 * H.SLOW)
                    self.assertEqual(self.request(t, "GET", "/v1/status").status, 200)
        self.assertEqual(self.snapshot(), before)

    def test_chunked_body_over_the_limit_is_413_json(self):
        """Chunked: no length up front.  Over an import's limit, refused at
        the chunk that would pass it (one huge chunk at its size line);
        over its route's limit only, refused once it has arrived (small
        chunks, 20 MiB in all, to a route that takes 16 MiB)."""
        mib = b"x" * (1024 * 1024)
        small = [b"100000\r\n" + mib + b"\r\n"] * 20 + [b"0\r\n\r\n"]  # 20 x 1 MiB
        huge = [b"12C00000\r\n" + mib]                     # 300 MiB announced
        before = self.snapshot()
        for t in self.transports:
            for (name, parts), expect in itertools.product(
                    (("small chunks", small), ("one huge chunk", huge)), (False, True)):
                with self.subTest(transport=t, chunks=name, expect=expect):
                    hdrs = {"Content-Type": "application/json",
                            "Transfer-Encoding": "chunked", "Connection": "close"}
                    if expect:
                        hdrs["Expect"] = "100-continue"
                    a, took = self.huge_request(t, "/v1/items", hdrs, parts)
                    self.assertError(a, 413, says=("too large", str(MAX_BODY)))
                    self.assertLess(took, 10 * H.SLOW)
                    self.assertEqual(self.request(t, "GET", "/v1/status").status, 200)
        self.assertEqual(self.snapshot(), before)
        # A chunked body under the limit is read as any other.
        body = json.dumps({"project": "P1", "name": "chunked one", "department": "科",
                           "deadline": "+86400"}, ensure_ascii=False).encode()
        a, _ = self.huge_request("unix", "/v1/items", {
            "Content-Type": "application/json", "Transfer-Encoding": "chunked",
            "Connection": "close"},
            [b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"])
        self.assertEqual(a.status, 201, a)

    def test_malformed_request_is_400_json(self):
        """What libevent refuses itself is answered in JSON too."""
        for t in self.transports:
            with self.subTest(transport=t):
                a, _ = self.huge_request(t, "/v1/items", {
                    "Content-Length": "twelve"}, [])
                self.assertError(a, 400)
                a, _ = self.huge_request(t, "/v1/items", {
                    "Content-Length": "2", "Expect": "the-unexpected"}, [b"{}"])
                self.assertError(a, 417)

    def test_refusal_after_an_answer_on_a_kept_connection_is_json(self):
        """The second request of a kept-alive connection, once an answer
        has gone out on it, is refused in JSON too."""
        for t in self.transports:
            with self.subTest(transport=t):
                s = self.connect(t)
                auth = "Authorization: Bearer %s\r\n" % TOKEN if t == "tcp" else ""
                s.sendall(("GET /v1/status HTTP/1.1\r\nHost: x\r\n%s\r\n" % auth).encode())
                s.settimeout(30 * H.SLOW)
                got = b""
                while b"\r\n\r\n" not in got:
                    got += s.recv(65536)
                head, _, rest = got.partition(b"\r\n\r\n")
                n = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(rest) < n:
                    rest += s.recv(65536)
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
                a = self.exchange(s, [("POST /v1/items HTTP/1.1\r\nHost: x\r\n%s"
                                       "Content-Length: %d\r\n\r\n" % (auth, 300 << 20)).encode(),
                                      b"x" * 65536])
                self.assertError(a, 413, says=("too large", str(MAX_BODY)))

    def test_wrong_method_is_405_with_allow(self):
        for method, path, allow in (
                ("DELETE", "/v1/items", "GET, POST"),
                ("PUT", "/v1/status", "GET"),
                ("PATCH", "/v1/items/1", "GET"),
                ("OPTIONS", "/v1/projects", "GET, POST"),
                ("GET", "/v1/items/1/events", "POST"),
                ("GET", "/v1/reload", "POST"),
                ("GET", "/v1/simulate", "POST"),
                ("GET", "/v1/import", "POST"),
                ("GET", "/v1/channels/chat/test", "POST"),
                ("GET", "/v1/projects/P1/progress", "POST"),
                ("POST", "/v1/log", "GET"),
                ("POST", "/v1/reports/weekly", "GET"),
                ("GET", "/v1/reports/weekly/send", "POST"),
                ("POST", "/v1/outbox", "GET"),
                ("GET", "/v1/outbox/retry", "POST"),
                ("DELETE", "/v1/outbox/drop", "POST"),
                ("POST", "/healthz", "GET"),
                ("POST", "/metrics", "GET")):
            before = self.snapshot()
            for t in self.transports:
                with self.subTest(transport=t, method=method, path=path):
                    a = self.request(t, method, path, {} if method != "GET" else None)
                    self.assertError(a, 405, says=(method,))
                    self.assertEqual(a.headers.get("allow"), allow, a)
            self.assertEqual(self.snapshot(), before)

    def test_unknown_path_is_404_json(self):
        for method, path in (("GET", "/v1/nothing"), ("POST", "/v1/nothing"),
                             ("GET", "/nothing"), ("GET", "/v1/items/1/what"),
                             ("POST", "/v1/projects/P1/progressive"),
                             ("POST", "/v1/channels/chat/tests"),
                             ("GET", "/v1/outbox/nothing"), ("DELETE", "/v2/items")):
            self.assertRefused(method, path, {} if method != "GET" else None, 404)

    def test_unknown_members_are_refused_on_every_route(self):
        item = self.d.add_item(project="P1", deadline="+86400", handler="张三")
        iid = item["id"]
        for path, body, field in (
                ("/v1/items", {"project": "P1", "name": "环评", "department": "d",
                               "deadline": "+3600", "handlr": "x"}, "handlr"),
                ("/v1/items/%d/events" % iid, {"type": "progress", "note": "n",
                                               "att": "2026-01-01"}, "att"),
                ("/v1/projects", {"code": "P2", "name": "n", "nmae": "x"}, "nmae"),
                ("/v1/projects/P1/progress", {"note": "主体封顶", "att": "2026-01-01"}, "att"),
                ("/v1/reload", {"force": True}, "force"),
                ("/v1/simulate", {"until": "+1d", "form": "now"}, "form"),
                ("/v1/channels/chat/test", {"text": "hi"}, "text"),
                ("/v1/reports/weekly/send", {"grp": "x"}, "grp"),
                ("/v1/outbox/retry", {"all_failed": True, "who": "me"}, "who"),
                ("/v1/outbox/move", {"from": "a", "to": "chat", "x": 1}, "x"),
                ("/v1/outbox/drop", {"channel": "chat", "reason": "r", "y": 1}, "y")):
            self.assertRefused("POST", path, body, 400, field, says=(field,))
        # The progress note with a typo was not recorded at "now".
        self.assertIsNone(self.d.ctl_json("project", "list")["projects"][0]["progress"])

    def test_unknown_query_parameters_are_refused(self):
        for method, path, body, field in (
                ("GET", "/v1/items?statu=accepted", None, "statu"),
                ("GET", "/v1/status?verbose=1", None, "verbose"),
                ("GET", "/v1/projects?code=P1", None, "code"),
                ("GET", "/v1/items/1?full=1", None, "full"),
                ("GET", "/v1/log?items=1", None, "items"),
                ("GET", "/v1/outbox?states=all", None, "states"),
                ("GET", "/v1/reports/weekly?fmt=csv", None, "fmt"),
                ("POST", "/v1/reload?now=1", {}, "now"),
                ("POST", "/v1/import?dryrun=1", "", "dryrun"),
                ("POST", "/v1/items?x=1", {"project": "P1", "name": "n",
                                           "department": "d", "deadline": "+60"}, "x")):
            self.assertRefused(method, path, body, 400, field, says=(field,))

    def test_deadline_and_limit_together_are_refused(self):
        self.assertRefused("POST", "/v1/items", {
            "project": "P1", "name": "立项", "department": "d",
            "deadline": "2026-12-31", "limit": "5wd"}, 400, "deadline",
            says=("deadline", "limit"))

    def test_text_over_its_length_limit_is_refused(self):
        base = {"project": "P1", "name": "立项", "department": "d", "deadline": "+3600"}
        for field, value in (("handler", "张" * (4 * 1024 * 1024)),
                             ("handler", "张" * 201),
                             ("name", "x" * 201),
                             ("department", "部" * 201),
                             ("project", "P" * 101),
                             ("project_name", "项" * 201),
                             ("deadline", "+" + "1" * 64)):
            body = dict(base, **{field: value})
            self.assertRefused("POST", "/v1/items", body, 400, field,
                               says=(field, "too long"))
        self.d.add_item(project="P1", deadline="+86400")
        self.assertRefused("POST", "/v1/projects/P1/progress", {"note": "进" * 4001},
                           400, "note", says=("too long",))
        self.assertRefused("POST", "/v1/items/1/events",
                           {"type": "block", "reason": "难" * 4001}, 400, "reason")
        # Characters, not bytes: 200 Chinese characters (600 bytes) pass.
        a = self.request("unix", "POST", "/v1/items",
                         dict(base, handler="张" * 200, name="立" * 200))
        self.assertEqual(a.status, 201, a)
        self.assertEqual(a.json()["item"]["handler"], "张" * 200)

    def test_unknown_status_filter_is_400_listing_the_valid_ones(self):
        self.d.add_item(project="P1", deadline="+86400")
        o = None
        for t in self.transports:
            with self.subTest(transport=t):
                o = self.assertError(self.request(t, "GET", "/v1/items?status=acceptd"),
                                     400, "status", says=["acceptd"] + STATUSES)
        for s in STATUSES:
            a = self.request("unix", "GET", "/v1/items?status=" + s)
            self.assertEqual(a.status, 200, a)
        self.assertEqual(len(self.request("tcp", "GET", "/v1/items?status=accepted")
                             .json()["items"]), 1)
        r = self.d.ctl("list", "--status", "acceptd")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("acceptd", r.err)
        self.assertTrue(o)

    def test_tcp_without_token_is_401_json(self):
        a = self.request("tcp", "GET", "/v1/status",
                         headers={"Authorization": "Bearer wrong"})
        self.assertError(a, 401)


class Times(ApiTestCase):
    """Every time in an answer is RFC 3339 with the daemon's offset."""

    def test_times_carry_their_offset(self):
        item = self.d.add_item(project="P1", accepted="2026-12-07 09:00", limit="5wd",
                               handler="张三")
        self.assertEqual(item["accepted_at"], "2026-12-07T09:00:00+08:00")
        self.assertRegex(item["deadline"], RFC3339)
        # An RFC 3339 time is taken back, in any offset.
        for t in self.transports:
            a = self.request(t, "POST", "/v1/items/%d/events" % item["id"],
                             {"type": "progress", "note": "n", "at": "2026-12-08T02:00:00Z"})
            self.assertEqual(a.status, 200, a)
            self.assertEqual(a.json()["item"]["last_progress_at"],
                             "2026-12-08T10:00:00+08:00")
        a = self.request("unix", "POST", "/v1/projects/P1/progress",
                         {"note": "主体封顶", "at": "2026-12-09T10:00:00+08:00"})
        self.assertEqual(a.json()["project"]["progress_at"], "2026-12-09T10:00:00+08:00")
        st = self.request("tcp", "GET", "/v1/status").json()
        self.assertRegex(st["started_at"], RFC3339)
        self.assertRegex(st["next_wakeup"], RFC3339)
        for e in self.request("unix", "GET", "/v1/log?limit=0").json()["log"]:
            self.assertRegex(e["at"], RFC3339)
        a = self.request("unix", "POST", "/v1/simulate",
                         {"from": "2026-12-07", "until": "2026-12-31"})
        self.assertEqual(a.status, 200, a)
        msgs = a.json()["messages"]
        self.assertTrue(msgs, a)
        for m in msgs:
            self.assertRegex(m["at"], RFC3339)
            self.assertRegex(m["queued_at"], RFC3339)
        # ctl shows the daemon's local time as before.
        r = self.d.ctl("show", item["id"])
        self.assertIn("2026-12-07 09:00:00", r.out)
        self.assertNotIn("+08:00", r.out)


if __name__ == "__main__":
    unittest.main()
