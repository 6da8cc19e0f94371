# test_import.py -- end-to-end: an import's CSV may be larger than the
# 16 MiB every other request body is limited to (POST /v1/import takes up
# to 256 MiB): a file of 120,000 rows with long project descriptions
# (about 29 MB) goes through approval-escalatorctl as one import, in one
# transaction; the same file with one bad row near its end changes
# nothing and the problem names its row and column.

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

ROWS = 120000
MAX_BODY = 16 * 1024 * 1024


def write_csv(path, prefix, bad_row=None):
    """ROWS rows, one project each, with a long 项目内容; bad_row (a file
    line, the header being line 1) gets a time limit no one can read."""
    accepted = H.local_time(int(time.time()) - 86400)
    note = "建设内容包括道路、给排水、电力、通信管线及附属设施，" * 2
    with open(path, "w", encoding="utf-8") as f:
        f.write("项目编码,项目名称,项目内容,审批事项,承办部门,承诺时限,受理时间\n")
        for i in range(ROWS):
            limit = "5个月" if bad_row is not None and i + 2 == bad_row else "60个工作日"
            f.write("%s-%06d,项目%06d,%s第%d期,立项,投资项目审批科,%s,%s\n"
                    % (prefix, i, i, note, i, limit, accepted))
    return os.path.getsize(path)


class LargeImport(H.E2ETestCase):
    """Over 16 MiB through ctl: all of it, or (one bad row) none of it."""

    def test_a_file_over_16_mib_is_one_import(self):
        mock, d, _ = self.simple_setup()
        bad = os.path.join(self.tmp, "bad.csv")
        size = write_csv(bad, "BIG", bad_row=ROWS)
        self.assertGreater(size, MAX_BODY)
        r = d.ctl("import", bad, timeout=300)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("nothing was imported", r.err)
        self.assertIn("row %d, column 承诺时限" % ROWS, r.err)
        self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM items")[0][0], 0)
        self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM projects")[0][0], 0)

        good = os.path.join(self.tmp, "good.csv")
        write_csv(good, "BIG")
        r = d.ctl("import", good, timeout=300)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("items:    %d created" % ROWS, r.out)
        self.assertEqual(d.status()["items"]["accepted"], ROWS)
        self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM projects")[0][0], ROWS)
        # The daemon goes on serving every other route with its 16 MiB limit.
        self.assertEqual(d.ctl("status").rc, 0)


if __name__ == "__main__":
    unittest.main()
