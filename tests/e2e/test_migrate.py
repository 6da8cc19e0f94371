# test_migrate.py -- end-to-end: a database written by the first release
# (schema 1) is brought up to date when the daemon opens it: nothing is
# lost, the file stays consistent, and a message that was still queued is
# delivered afterwards with its text as stored.

import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

# The schema of the first release, frozen here as deployed databases have it.
SCHEMA_1 = """
CREATE TABLE projects (
  id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT,
  category TEXT, region TEXT, content TEXT, planned_start TEXT,
  progress TEXT, progress_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  kind TEXT NOT NULL, department TEXT NOT NULL, handler TEXT,
  mode TEXT NOT NULL DEFAULT 'normal', status TEXT NOT NULL,
  accepted_at INTEGER NOT NULL DEFAULT 0, lim TEXT,
  due_at INTEGER NOT NULL DEFAULT 0, explicit_due INTEGER NOT NULL DEFAULT 0,
  supplement_due INTEGER NOT NULL DEFAULT 0,
  commitment_due INTEGER NOT NULL DEFAULT 0,
  suspended_at INTEGER NOT NULL DEFAULT 0, suspend_reason TEXT,
  stopped_workdays INTEGER NOT NULL DEFAULT 0,
  stopped_seconds INTEGER NOT NULL DEFAULT 0,
  blocked_reason TEXT, blocked_at INTEGER NOT NULL DEFAULT 0,
  raised_at INTEGER NOT NULL DEFAULT 0,
  last_progress_at INTEGER NOT NULL DEFAULT 0,
  done_at INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE INDEX items_project ON items(project_id);
CREATE INDEX items_status ON items(status);
CREATE TABLE prereqs (item_id INTEGER NOT NULL, needs_id INTEGER NOT NULL,
  PRIMARY KEY (item_id, needs_id));
CREATE TABLE progress_notes (id INTEGER PRIMARY KEY, project_id INTEGER,
  item_id INTEGER, at INTEGER NOT NULL, note TEXT NOT NULL);
CREATE TABLE tracks (
  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, kind TEXT NOT NULL,
  policy TEXT, due_at INTEGER NOT NULL, stage INTEGER NOT NULL DEFAULT -1,
  stage_name TEXT, rep INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL DEFAULT 0, UNIQUE (item_id, kind));
CREATE INDEX tracks_next ON tracks(next_at) WHERE next_at > 0;
CREATE TABLE fired (
  id INTEGER PRIMARY KEY, track_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL, stage TEXT NOT NULL, rep INTEGER NOT NULL,
  at INTEGER NOT NULL, UNIQUE (track_id, stage, rep));
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, stage TEXT NOT NULL,
  title TEXT, text TEXT NOT NULL, severity TEXT, mobiles TEXT,
  userids TEXT, event TEXT, status TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  not_before INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL, sent_at INTEGER NOT NULL DEFAULT 0,
  code INTEGER NOT NULL DEFAULT 0, error TEXT);
CREATE INDEX outbox_queue ON outbox(channel, id) WHERE status = 'queued';
CREATE TABLE outbox_items (outbox_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL, PRIMARY KEY (outbox_id, item_id));
CREATE INDEX outbox_items_item ON outbox_items(item_id);
CREATE TABLE log (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, item_id INTEGER,
  project TEXT, stage TEXT, channel TEXT, outcome TEXT, detail TEXT);
CREATE INDEX log_item ON log(item_id);
CREATE TABLE events (event_id TEXT PRIMARY KEY, item_id INTEGER,
  at INTEGER NOT NULL);
CREATE TABLE reports (name TEXT NOT NULL, period TEXT NOT NULL,
  sent_at INTEGER NOT NULL, PRIMARY KEY (name, period));
PRAGMA user_version = 1;
"""

T0 = 1764000000          # 2025-11-25, long before any test clock
SENT_TEXT = "【催办】P-1 立项 已超期（旧版本已发送）"
QUEUED_TEXT = "【督查】P-1 立项 仍未办结（迁移前排队）"
QUEUED_EVENT = '{"stage":"supervision","items":[{"id":1,"project":"P-1"}]}'


def schema1_database(path):
    """A schema-1 file with an escalated item, one sent and one queued message."""
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_1)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("INSERT INTO projects (id, code, name, category) VALUES"
                " (1, 'P-1', '旧项目', '工业')")
    # Done, so that today's step leaves it alone: only the queued message moves.
    con.execute("INSERT INTO items (id, project_id, kind, department, status,"
                " accepted_at, due_at, done_at, created_at) VALUES"
                " (1, 1, '立项', '投资项目审批科', 'done', ?, ?, ?, ?)",
                (T0, T0 + 86400, T0 + 5 * 86400, T0))
    con.execute("INSERT INTO tracks (id, item_id, kind, policy, due_at, stage,"
                " stage_name, rep, next_at) VALUES"
                " (1, 1, 'main', 'default', ?, 1, 'supervision', 0, 0)", (T0 + 86400,))
    for i, stage in enumerate(("reminder", "supervision")):
        con.execute("INSERT INTO fired (track_id, item_id, stage, rep, at) VALUES"
                    " (1, 1, ?, 0, ?)", (stage, T0 + (i + 1) * 86400))
    con.execute("INSERT INTO outbox (id, channel, stage, title, text, severity,"
                " event, status, attempts, created_at, sent_at, code) VALUES"
                " (1, 'chat', 'reminder', '催办', ?, 'warning', NULL, 'sent', 1, ?, ?, 0)",
                (SENT_TEXT, T0 + 86400, T0 + 86400))
    con.execute("INSERT INTO outbox (id, channel, stage, title, text, severity,"
                " event, status, attempts, created_at) VALUES"
                " (2, 'chat', 'supervision', '督查', ?, 'major', ?, 'queued', 0, ?)",
                (QUEUED_TEXT, QUEUED_EVENT, T0 + 2 * 86400))
    con.executemany("INSERT INTO outbox_items VALUES (?, 1)", [(1,), (2,)])
    for outcome, at in (("escalated", T0 + 86400), ("sent", T0 + 86400),
                        ("escalated", T0 + 2 * 86400), ("done", T0 + 5 * 86400)):
        con.execute("INSERT INTO log (at, item_id, project, stage, outcome, detail)"
                    " VALUES (?, 1, 'P-1', 'reminder', ?, 'before the upgrade')",
                    (at, outcome))
    con.commit()
    con.close()


class Migration(H.E2ETestCase):

    def test_schema_1_database_is_brought_up_to_date(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        path = self.write_config(self.config_text(mock))
        db = os.path.join(self.tmp, "t.db")
        schema1_database(db)
        d = self.start_daemon(path)

        # The message queued before the upgrade goes out, text as stored.
        H.wait_for(lambda: H.texts(mock.received("wecom")), 20, "the queued message")
        self.assertEqual(H.texts(mock.received("wecom")), [QUEUED_TEXT])
        H.wait_for(lambda: H.db_query(db, "SELECT status FROM outbox WHERE id = 2")
                   == [("sent",)], 20, "the delivery to be recorded")

        self.assertEqual(H.db_query(db, "PRAGMA user_version")[0][0], 19)
        # Schema 16: a project's own log entries have an index.
        self.assertEqual(H.db_query(db, "SELECT name FROM sqlite_master WHERE type = 'index'"
                                        " AND name = 'log_project'"), [("log_project",)])
        # Schema 15: each track knows whether its item is open (for the
        # stage counts' triggers), set from the items it had.
        self.assertEqual(H.db_query(db, "SELECT count(*) FROM tracks t JOIN items i ON"
                                        " i.id = t.item_id WHERE t.item_open IS NOT"
                                        " (i.status IN ('accepted', 'suspended'))"), [(0,)])
        # Schema 19: a track's stage change is counted by the store's
        # updates (schema 14 had made the track trigger of 13 two).
        self.assertEqual(H.db_query(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                        " AND name LIKE 'counts_track_upd%' ORDER BY name"), [])
        self.assertEqual(H.db_query(db, "SELECT key, n FROM counts WHERE what = 'stage' AND n <> 0"
                                        " ORDER BY key"),
                         H.db_query(db, "SELECT coalesce(t.stage_name, ''), count(*) FROM tracks t"
                                        " WHERE t.kind = 'main' AND t.stage >= 0 AND t.item_open"
                                        " GROUP BY 1 ORDER BY 1"))
        # Schema 13: the status counts equal the rows they count.
        self.assertEqual(H.db_query(db, "SELECT coalesce(sum(n), 0) FROM counts WHERE what = 'item' AND key = 'accepted'"),
                         H.db_query(db, "SELECT count(*) FROM items WHERE status = 'accepted'"))
        # Schema 12: answers of action links and the uses of links (none yet).
        self.assertEqual(H.db_query(db, "SELECT count(*) FROM answers"), [(0,)])
        self.assertEqual(H.db_query(db, "SELECT count(*) FROM link_uses"), [(0,)])
        # Schema 11: the files a message posts (none yet).
        self.assertEqual(H.db_query(db, "SELECT count(*) FROM outbox_files"), [(0,)])
        # Schema 10: entries from before have no actor; new ones do.
        self.assertEqual(H.db_query(db, "SELECT DISTINCT actor FROM log WHERE"
                                        " detail = 'before the upgrade'"), [(None,)])
        self.assertEqual(H.db_query(db, "SELECT DISTINCT actor FROM log WHERE"
                                        " outcome = 'sent' AND detail IS NOT"
                                        " 'before the upgrade'"), [("daemon",)])
        # Schema 9: a message may be the text follow-up of another.
        self.assertEqual(H.db_query(db, "SELECT follows FROM outbox WHERE id = 2"), [(None,)])
        self.assertEqual(H.db_query(db, "PRAGMA integrity_check"), [("ok",)])
        # Schema 5: each claim names the deadline whose ladder fired it.
        self.assertEqual(H.db_query(db, "SELECT track_id, due_at, stage, rep, item_id"
                                        " FROM fired ORDER BY stage"),
                         [(1, T0 + 86400, "reminder", 0, 1),
                          (1, T0 + 86400, "supervision", 0, 1)])
        self.assertEqual(H.db_query(db, "SELECT outbox_id, item_id FROM outbox_items"
                                        " ORDER BY outbox_id"), [(1, 1), (2, 1)])
        # Bodies moved out of the outbox rows, every one kept.
        self.assertEqual(H.db_query(db, "SELECT o.id, o.status, b.title, b.text, b.event"
                                        " FROM outbox o JOIN outbox_bodies b"
                                        " ON b.outbox_id = o.id ORDER BY o.id"),
                         [(1, "sent", "催办", SENT_TEXT, None),
                          (2, "sent", "督查", QUEUED_TEXT, QUEUED_EVENT)])
        cols = [r[1] for r in H.db_query(db, "PRAGMA table_info(outbox)")]
        for gone in ("title", "text", "event"):
            self.assertNotIn(gone, cols)
        self.assertEqual(H.db_query(db, "SELECT count(*) FROM log WHERE detail ="
                                        " 'before the upgrade'")[0][0], 4)
        # The item's history still lists what happened before the upgrade.
        hist = d.ctl("log", "--item", "1")
        self.assertEqual(hist.rc, 0, hist.err)
        self.assertIn("before the upgrade", hist.out)


if __name__ == "__main__":
    unittest.main()
