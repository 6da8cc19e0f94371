# test_store_refusals.py -- end-to-end: the daemon refuses what is not its
# own.  Another application's SQLite file, or a file that is not a SQLite
# database at all, is refused with a message naming it, and is left
# byte for byte as it was; a database of ours from before the
# application_id mark is adopted.  A configuration value of megabytes is
# refused in moments, quoting no more than an excerpt, and a reload that
# meets one keeps the running configuration; a syntax error at the end of
# an included file names that file.

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from test_migrate import SCHEMA_1  # noqa: E402

APPLICATION_ID = 0x41457363  # "AEsc"


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_daemon(args, timeout):
    """approval-escalatord with args: (exit status, stderr text)."""
    p = subprocess.run([H.DAEMON] + args, capture_output=True, env=H.sanitizer_env(),
                       timeout=timeout * H.SLOW, stdin=subprocess.DEVNULL)
    err = p.stderr.decode("utf-8", "replace")
    bad = H.sanitizer_problems(err)
    if bad:
        raise AssertionError("sanitizer report: %s\n%s" % (bad, err))
    return p.returncode, err


class StoreRefusals(H.E2ETestCase):
    """The database file: refused unless it is ours (or new, or ours from before the mark)."""

    def setUp(self):
        super().setUp()
        self.mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        self.config = self.write_config(self.config_text(self.mock))
        self.db = os.path.join(self.tmp, "t.db")

    def refused(self, want):
        """Start the daemon on self.db: it must exit non-zero saying want, the file unchanged."""
        before = digest(self.db)
        rc, err = run_daemon(["-d", "-f", self.config], 30)
        self.assertNotEqual(rc, 0, err)
        self.assertIn(self.db, err)
        self.assertIn(want, err)
        self.assertEqual(digest(self.db), before, "the refused file was changed")
        self.assertFalse(os.path.exists(self.db + "-wal") and os.path.getsize(self.db + "-wal"),
                         "a write-ahead log was left beside the refused file")
        return err

    def test_foreign_sqlite_file_is_refused_and_unchanged(self):
        con = sqlite3.connect(self.db)
        con.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO accounts (name) VALUES ('alice')")
        con.commit()
        con.close()
        err = self.refused("not an approval-escalatord database")
        self.assertIn("application_id 0x00000000", err)
        self.assertIn("refusing to change it", err)
        self.assertIn("accounts", err)
        self.assertEqual(H.db_query(self.db, "SELECT name FROM sqlite_master"), [("accounts",)])

    def test_other_application_id_is_refused(self):
        con = sqlite3.connect(self.db)
        con.executescript(SCHEMA_1)  # our tables, even, but another's mark
        con.execute("PRAGMA application_id = 1234")
        con.commit()
        con.close()
        err = self.refused("not an approval-escalatord database (application_id 0x000004d2")
        self.assertIn("refusing to change it", err)

    def test_old_schema_with_a_foreign_table_is_refused(self):
        con = sqlite3.connect(self.db)
        con.executescript(SCHEMA_1)
        con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        con.commit()
        con.close()
        self.refused("not an approval-escalatord database")

    def test_foreign_wal_database_is_not_checkpointed(self):
        # A foreign database whose writer died with everything still in its
        # write-ahead log (the main file is empty): looking at it must not
        # copy the log into the file, nor take the empty file for a new one.
        writer = ("import os, sqlite3, sys\n"
                  "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                  "con.execute('PRAGMA journal_mode = WAL')\n"
                  "con.execute('PRAGMA wal_autocheckpoint = 0')\n"
                  "con.execute('CREATE TABLE notes (t TEXT)')\n"
                  "con.execute(\"INSERT INTO notes VALUES ('x')\")\n"
                  "os.kill(os.getpid(), 9)\n")
        subprocess.run([sys.executable, "-c", writer, self.db], timeout=30 * H.SLOW)
        self.assertGreater(os.path.getsize(self.db + "-wal"), 0)
        before = digest(self.db)
        wal = digest(self.db + "-wal")
        rc, err = run_daemon(["-d", "-f", self.config], 30)
        self.assertNotEqual(rc, 0, err)
        self.assertIn("not an approval-escalatord database", err)
        self.assertIn("notes", err)
        self.assertEqual(digest(self.db), before)
        self.assertEqual(digest(self.db + "-wal"), wal)

    def test_random_bytes_say_not_a_database(self):
        with open(self.db, "wb") as f:
            f.write(os.urandom(8192))
        err = self.refused("file is not a database (SQLITE_NOTADB")
        self.assertNotIn("not an error", err)

    def test_text_file_says_not_a_database(self):
        with open(self.db, "w") as f:
            f.write("these are my notes, not a database\n" * 200)
        self.refused("SQLITE_NOTADB")

    def test_truncated_database_says_corrupt(self):
        d = self.start_daemon(self.config)
        for i in range(30):
            d.add_item(project="TR-%d" % i, deadline="+86400")
        self.assertEqual(d.stop(), 0)
        with open(self.db, "rb") as f:
            data = f.read()
        self.assertGreater(len(data), 8192)
        with open(self.db, "wb") as f:
            f.write(data[:len(data) // 3])
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.db + suffix):
                os.unlink(self.db + suffix)
        rc, err = run_daemon(["-d", "-f", self.config], 30)
        self.assertNotEqual(rc, 0, err)
        self.assertNotIn("not an error", err)
        self.assertIn(self.db, err)
        self.assertRegex(err, r"\((SQLITE_CORRUPT|SQLITE_NOTADB): ")

    def test_damaged_table_says_corrupt_not_not_an_error(self):
        # The file opens (its first page is sound) but a table's page is
        # overwritten: the first read of it fails, and says why.
        d = self.start_daemon(self.config)
        for i in range(30):
            d.add_item(project="DM-%d" % i, deadline="+86400")
        self.assertEqual(d.stop(), 0)
        page = H.db_query(self.db, "PRAGMA page_size")[0][0]
        root = H.db_query(self.db, "SELECT rootpage FROM sqlite_master WHERE name = 'tracks'")[0][0]
        with open(self.db, "r+b") as f:
            f.seek((root - 1) * page)
            f.write(b"\xff" * 200)
        # The damage is met after the control socket is up (items are
        # re-evaluated last), and a fatal exit leaves it: another one.
        config = self.write_config(self.config_text(self.mock, sock="other.sock"), "other.conf")
        rc, err = run_daemon(["-d", "-f", config], 30)
        self.assertNotEqual(rc, 0, err)
        self.assertNotIn("not an error", err)
        self.assertIn("%s: database disk image is malformed (SQLITE_CORRUPT" % self.db, err)

    def test_new_and_empty_files_are_ours(self):
        open(self.db, "wb").close()  # an empty file, as touch leaves it
        d = self.start_daemon(self.config)
        d.add_item(project="NEW-1", deadline="+86400")
        self.assertEqual(H.db_query(self.db, "PRAGMA application_id")[0][0], APPLICATION_ID)

    def test_old_database_without_the_mark_is_adopted(self):
        con = sqlite3.connect(self.db)
        con.executescript(SCHEMA_1)
        con.execute("INSERT INTO projects (code, name) VALUES ('OLD-1', 'old')")
        con.commit()
        con.close()
        self.assertEqual(H.db_query(self.db, "PRAGMA application_id")[0][0], 0)
        d = self.start_daemon(self.config)
        self.assertEqual(H.db_query(self.db, "PRAGMA application_id")[0][0], APPLICATION_ID)
        self.assertEqual(H.db_query(self.db, "SELECT code FROM projects"), [("OLD-1",)])
        d.add_item(project="OLD-2", deadline="+86400")
        # And it opens again, now by its mark.
        self.assertEqual(d.stop(), 0)
        d.start()
        self.assertEqual(len(d.ctl_json("list")["items"]), 1)


class ConfigRefusals(H.E2ETestCase):
    """Huge values and include files: refused quickly, the file named, values excerpted."""

    def test_include_syntax_error_at_end_names_the_included_file(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        inc = os.path.join(self.tmp, "windows.conf")
        with open(inc, "w") as f:
            f.write('windows = (\n  { name = "w"; start = "08:00"; end = "09:00"; }\n')
        path = self.write_config(self.config_text(mock, includes=[inc]))
        rc, out, err = H.check_config(path)
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(err, r"(^|\n)%s:2: syntax error" % inc.replace(self.tmp, ".*"))
        self.assertIn("included from %s:2" % path, err)
        self.assertNotIn("%s:2: syntax error\n" % path, err)

    def test_twenty_megabyte_value_refused_quickly(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        inc = os.path.join(self.tmp, "big.conf")
        with open(inc, "w") as f:
            f.write('link_base = "https://example.org/%s";\n' % ("x" * (20 * 1024 * 1024)))
        path = self.write_config(self.config_text(mock, includes=[inc]))
        rc, err = run_daemon(["-t", "-f", path], 30)
        self.assertNotEqual(rc, 0, err)
        self.assertIn("big.conf: file too large (%d bytes; the limit is 1048576)"
                      % os.path.getsize(inc), err)
        self.assertLess(len(err), 2000, "the error output quotes the value")

    def test_long_value_in_the_main_file_refused(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        text = self.config_text(mock) + 'link_base = "%s";\n' % ("y" * (900 * 1024))
        path = self.write_config(text)
        line = text.count("\n")
        rc, err = run_daemon(["-t", "-f", path], 30)
        self.assertNotEqual(rc, 0, err)
        self.assertIn("%s:%d: value too long (%d bytes; the limit is 65536)"
                      % (path, line, 900 * 1024), err)
        self.assertLess(len(err), 2000)

    def test_errors_quote_an_excerpt_of_a_value(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        text = self.config_text(mock, extra={"socket_mode": "7" * 60000})
        rc, out, err = H.check_config(self.write_config(text))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("'socket_mode' must be an octal", err)
        self.assertIn("7" * 60 + "\u2026'", err)
        self.assertLess(len(err), 2000)

    def test_reload_with_five_megabyte_value_keeps_the_running_configuration(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        good = self.config_text(mock)
        path = self.write_config(good)
        d = self.start_daemon(path)
        self.assertEqual(d.status()["last_reload"], "ok")

        inc = os.path.join(self.tmp, "big.conf")
        with open(inc, "w") as f:
            f.write('link_base = "%s";\n' % ("z" * (5 * 1024 * 1024)))
        self.write_config(self.config_text(mock, includes=[inc]))
        d.signal(signal.SIGHUP)
        # The loop keeps answering while (and after) the reload is refused.
        deadline = time.monotonic() + 20 * H.SLOW
        while True:
            r = d.ctl("status", json_out=True, timeout=10)
            self.assertEqual(r.rc, 0, r)
            if r.json()["last_reload"] == "failed":
                break
            self.assertLess(time.monotonic(), deadline, "the reload never failed")
            time.sleep(0.05)
        self.assertTrue(d.running())
        r = d.ctl("reload", timeout=30)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("big.conf: file too large", r.err)
        self.assertLess(len(r.err), 2000)
        self.assertNotIn("z" * 100, d.stderr())

        # The running configuration is still in force.
        d.add_item(project="BIG-1", deadline="+1")
        H.wait_for(lambda: mock.received("wecom", self.WECOM_KEY), 15 * H.SLOW,
                   "an escalation under the old configuration")

        # Fixed: the reload applies again.
        self.write_config(good)
        self.assertEqual(d.ctl("reload").rc, 0)
        self.assertEqual(d.status()["last_reload"], "ok")


if __name__ == "__main__":
    unittest.main()
