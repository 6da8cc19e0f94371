# test_store_errors.py -- end-to-end: every write checks its result.  A
# write the database refuses (a trigger installed into the running daemon's
# database raises) answers 5xx JSON, is logged, and changes nothing; a
# store read that fails gives 500, never a partial list or a "not found".

import json
import os
import socket
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def http(d, method, path, body=None):
    """One request on the control socket: (HTTP status, decoded JSON body)."""
    data = json.dumps(body).encode("utf-8") if body is not None else b""
    head = ("%s %s HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (method, path, len(data))).encode("ascii")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60 * H.SLOW)
    try:
        s.connect(d.socket)
        s.sendall(head + data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, payload = out.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(payload.decode("utf-8"))


def db_exec(path, *sql):
    """Run statements on a daemon's database from a second connection."""
    con = sqlite3.connect(path, timeout=10 * H.SLOW, isolation_level=None)
    try:
        for stmt in sql:
            con.execute(stmt)
    finally:
        con.close()


FAIL_LOG = ("CREATE TRIGGER inject_log BEFORE INSERT ON log"
            " BEGIN SELECT RAISE(ABORT, 'injected log failure'); END")


class StoreErrors(H.E2ETestCase):

    def setUp(self):
        super().setUp()
        _, self.d, _ = self.simple_setup()

    def rows(self, sql, *args):
        return H.db_query(self.d.database, sql, args)

    def assertServerError(self, status, body, status_want=500):
        self.assertEqual(status, status_want, body)
        self.assertIsInstance(body, dict)
        self.assertIn("database error", body.get("error", ""), body)

    def wait_logged(self, text):
        H.wait_for(lambda: text in self.d.stderr(), 10 * H.SLOW,
                   "%r in the daemon's log" % text)

    def test_refused_log_write_fails_the_event_and_changes_nothing(self):
        d = self.d
        item = d.add_item(project="WR-1", deadline="+86400")
        self.assertEqual(item["status"], "accepted")
        tracks = self.rows("SELECT * FROM tracks WHERE item_id = ? ORDER BY id", item["id"])
        nlog = self.rows("SELECT count(*) FROM log")[0][0]
        db_exec(d.database, FAIL_LOG)

        # An event whose log entry is refused: 500 JSON, nothing half-applied.
        st, body = http(d, "POST", "/v1/items/%d/events" % item["id"],
                        {"type": "suspend", "reason": "专家评审"})
        self.assertServerError(st, body)
        self.assertIn("injected log failure", body["error"])
        self.wait_logged("injected log failure")
        after = d.show(item["id"])
        self.assertEqual(after["status"], "accepted")
        self.assertIsNone(after["suspended"])
        self.assertEqual(self.rows("SELECT * FROM tracks WHERE item_id = ? ORDER BY id",
                                   item["id"]), tracks)
        self.assertEqual(self.rows("SELECT count(*) FROM log")[0][0], nlog)

        # A new item (and its new project) whose log entry is refused.
        st, body = http(d, "POST", "/v1/items",
                        {"project": "WR-NEW", "name": "立项", "department": "投资项目审批科",
                         "deadline": "+86400"})
        self.assertServerError(st, body)
        self.assertEqual(self.rows("SELECT count(*) FROM projects WHERE code = 'WR-NEW'")[0][0], 0)
        self.assertEqual(self.rows("SELECT count(*) FROM items")[0][0], 1)

        # The same requests go through once the database takes writes again.
        db_exec(d.database, "DROP TRIGGER inject_log")
        st, body = http(d, "POST", "/v1/items/%d/events" % item["id"],
                        {"type": "suspend", "reason": "专家评审"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["item"]["status"], "suspended")
        self.assertEqual(self.rows("SELECT count(*) FROM log")[0][0], nlog + 1)

    def test_refused_commit_path_for_a_project_note(self):
        # The note's second write (progress_notes) is refused: the first
        # (the project's latest note) must be rolled back with it.
        d = self.d
        d.add_item(project="WR-2", deadline="+86400")
        db_exec(d.database, "CREATE TRIGGER inject_note BEFORE INSERT ON progress_notes"
                " BEGIN SELECT RAISE(ABORT, 'injected note failure'); END")
        st, body = http(d, "POST", "/v1/projects/WR-2/progress", {"note": "主体封顶"})
        self.assertServerError(st, body)
        self.assertIn("injected note failure", body["error"])
        self.assertEqual(self.rows("SELECT progress FROM projects WHERE code = 'WR-2'"),
                         [(None,)])
        db_exec(d.database, "DROP TRIGGER inject_note")
        st, body = http(d, "POST", "/v1/projects/WR-2/progress", {"note": "主体封顶"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["project"]["progress"], "主体封顶")

    def test_unknown_project_is_404_and_a_store_failure_500(self):
        d = self.d
        d.add_item(project="WR-3", deadline="+86400")
        st, body = http(d, "POST", "/v1/projects/NOSUCH/progress", {"note": "x"})
        self.assertEqual(st, 404, body)
        self.assertEqual(body.get("field"), "code")
        self.assertEqual(http(d, "GET", "/v1/projects")[0], 200)

        db_exec(d.database, "ALTER TABLE projects RENAME TO projects_away")
        try:
            st, body = http(d, "POST", "/v1/projects/NOSUCH/progress", {"note": "x"})
            self.assertServerError(st, body)
            st, body = http(d, "POST", "/v1/projects/WR-3/progress", {"note": "x"})
            self.assertServerError(st, body)
            st, body = http(d, "GET", "/v1/projects")
            self.assertServerError(st, body)
            st, body = http(d, "POST", "/v1/projects", {"code": "WR-4"})
            self.assertServerError(st, body)
        finally:
            db_exec(d.database, "ALTER TABLE projects_away RENAME TO projects")
        st, body = http(d, "POST", "/v1/projects/NOSUCH/progress", {"note": "x"})
        self.assertEqual(st, 404, body)
        st, body = http(d, "GET", "/v1/projects")
        self.assertEqual(st, 200, body)
        self.assertEqual([p["code"] for p in body["projects"]], ["WR-3"])

    def test_lists_answer_500_not_part_of_the_list(self):
        # Items are listed from one table and completed from another: when
        # the second cannot be read the list is refused, not cut short.
        d = self.d
        for i in range(3):
            d.add_item(project="WR-L%d" % i, deadline="+86400")
        st, body = http(d, "GET", "/v1/items")
        self.assertEqual(st, 200, body)
        self.assertEqual(len(body["items"]), 3)
        db_exec(d.database, "ALTER TABLE tracks RENAME TO tracks_away")
        try:
            st, body = http(d, "GET", "/v1/items")
            self.assertServerError(st, body)
            st, body = http(d, "GET", "/v1/items/1")
            self.assertServerError(st, body)
        finally:
            db_exec(d.database, "ALTER TABLE tracks_away RENAME TO tracks")
        db_exec(d.database, "ALTER TABLE log RENAME TO log_away")
        try:
            st, body = http(d, "GET", "/v1/log")
            self.assertServerError(st, body)
        finally:
            db_exec(d.database, "ALTER TABLE log_away RENAME TO log")
        db_exec(d.database, "ALTER TABLE outbox RENAME TO outbox_away")
        try:
            st, body = http(d, "GET", "/v1/status")
            self.assertServerError(st, body)
        finally:
            db_exec(d.database, "ALTER TABLE outbox_away RENAME TO outbox")
        st, body = http(d, "GET", "/v1/items")
        self.assertEqual(st, 200, body)
        self.assertEqual(len(body["items"]), 3)
        self.assertEqual(http(d, "GET", "/v1/log")[0], 200)
        self.assertEqual(http(d, "GET", "/v1/status")[0], 200)

    def test_reload_whose_retrack_is_refused_keeps_the_running_rules(self):
        # Moving the items to the new rules writes their tracks; refused,
        # the reload answers 500 and nothing of it is applied.
        d = self.d
        item = d.add_item(project="WR-5", deadline="+86400")
        tracks = self.rows("SELECT * FROM tracks WHERE item_id = ? ORDER BY id", item["id"])
        db_exec(d.database, "CREATE TRIGGER inject_track BEFORE UPDATE ON tracks"
                " BEGIN SELECT RAISE(ABORT, 'injected track failure'); END")
        st, body = http(d, "POST", "/v1/reload")
        self.assertEqual(st, 500, body)
        self.assertIn("injected track failure", body["error"])
        self.assertEqual(self.rows("SELECT * FROM tracks WHERE item_id = ? ORDER BY id",
                                   item["id"]), tracks)
        self.assertEqual(d.status()["last_reload"], "failed")
        db_exec(d.database, "DROP TRIGGER inject_track")
        st, body = http(d, "POST", "/v1/reload")
        self.assertEqual(st, 200, body)
        self.assertEqual(d.status()["last_reload"], "ok")


if __name__ == "__main__":
    unittest.main()
