# test_xlsx.py -- end-to-end: reports as Excel workbooks.
#
# `report NAME --xlsx FILE` writes the table `report NAME --csv` prints as
# a real .xlsx: the workbook is opened here with zipfile and its XML read
# (a frozen bold header row, columns as wide as their Chinese text, dates
# as dates, numbers as numbers) and every cell compared with the CSV.
# A report configured with attach = "xlsx" goes to a WeCom chat as a short
# summary and the workbook as a file (upload_media, then a file message):
# the mock keeps the uploaded bytes, which are the same workbook; a failed
# upload is retried, a refused one reaches the admin chat.

import csv
import datetime
import io
import os
import re
import sqlite3
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET
import zipfile

from tests.e2e import harness as H

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
EPOCH = datetime.datetime(1899, 12, 30)     # Excel's day 0 (1900 system)


def width(s):
    """The display width xlsx.c gives text: wide (CJK) characters count 2."""
    return sum(2 if (0x1100 <= ord(c) <= 0x115f or 0x2e80 <= ord(c) <= 0xa4cf
                     or 0xac00 <= ord(c) <= 0xd7a3 or 0xf900 <= ord(c) <= 0xfaff
                     or 0xfe30 <= ord(c) <= 0xfe4f or 0xff00 <= ord(c) <= 0xff60
                     or 0xffe0 <= ord(c) <= 0xffe6 or 0x20000 <= ord(c) <= 0x3fffd)
               else 1 for c in s)


def col_index(ref):
    """"C7" -> 2."""
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


class Workbook:
    """What a test needs of an .xlsx: sheet cells, styles, pane, widths."""

    def __init__(self, data):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.sheet = ET.fromstring(self.zip.read("xl/worksheets/sheet1.xml"))
        try:
            sst = ET.fromstring(self.zip.read("xl/sharedStrings.xml"))
            self.strings = ["".join(t.text or "" for t in si.iter("{%s}t" % NS["m"]))
                            for si in sst.findall("m:si", NS)]
        except KeyError:
            self.strings = []
        styles = ET.fromstring(self.zip.read("xl/styles.xml"))
        self.numfmts = {int(f.get("numFmtId")): f.get("formatCode")
                        for f in styles.findall("m:numFmts/m:numFmt", NS)}
        self.xfs = styles.findall("m:cellXfs/m:xf", NS)
        self.fonts = styles.findall("m:fonts/m:font", NS)
        wbx = ET.fromstring(self.zip.read("xl/workbook.xml"))
        self.sheet_names = [s.get("name") for s in wbx.findall("m:sheets/m:sheet", NS)]

    def pane(self):
        return self.sheet.find("m:sheetViews/m:sheetView/m:pane", NS)

    def widths(self):
        out = {}
        for c in self.sheet.findall("m:cols/m:col", NS):
            for i in range(int(c.get("min")), int(c.get("max")) + 1):
                out[i - 1] = float(c.get("width"))
        return out

    def format_of(self, cell):
        xf = self.xfs[int(cell.get("s", "0"))]
        return self.numfmts.get(int(xf.get("numFmtId", "0")))

    def bold(self, cell):
        xf = self.xfs[int(cell.get("s", "0"))]
        return self.fonts[int(xf.get("fontId", "0"))].find("m:b", NS) is not None

    def rows(self):
        """[[(value, kind, cell element)]] with kind s (text), n (number) or None (empty)."""
        out = []
        for row in self.sheet.findall("m:sheetData/m:row", NS):
            cells = {}
            for c in row.findall("m:c", NS):
                v = c.find("m:v", NS)
                if v is None:
                    cells[col_index(c.get("r"))] = (None, None, c)
                elif c.get("t") == "s":
                    cells[col_index(c.get("r"))] = (self.strings[int(v.text)], "s", c)
                elif c.get("t") == "str":
                    cells[col_index(c.get("r"))] = (v.text, "s", c)
                else:
                    cells[col_index(c.get("r"))] = (float(v.text), "n", c)
            n = max(cells) + 1 if cells else 0
            out.append([cells.get(i, (None, None, None)) for i in range(n)])
        return out


def xlsx_as_csv_text(wb, value, kind, cell):
    """What the CSV shows for one workbook cell."""
    if kind is None:
        return ""
    if kind == "s":
        return value
    fmt = wb.format_of(cell) if cell is not None else None
    if fmt == "yyyy-mm-dd hh:mm":
        t = EPOCH + datetime.timedelta(days=value)
        t = (t + datetime.timedelta(seconds=30)).replace(second=0, microsecond=0)
        return t.strftime("%Y-%m-%d %H:%M")
    if fmt == "0.0%":
        return "%.1f%%" % (value * 100)
    return "%d" % value if value == int(value) else repr(value)


class ReportAsWorkbook(H.E2ETestCase):
    """ctl report NAME --xlsx FILE: the CSV's table as a real workbook."""

    def setup_items(self):
        mock, d, path = self.simple_setup()
        d.add_item(project="P2026-101", project_name="新城商业综合体", name="规划许可",
                   department="建设工程审批科", deadline="2026-11-10 18:00",
                   accepted="2026-11-02 09:00")
        d.add_item(project="P2026-102", project_name="滨河康养中心（二期）人防易地建设",
                   name="人防报建", department="东城区行政审批局",
                   deadline="2026-11-20 18:00", accepted="2026-11-02 09:00")
        it = d.add_item(project="=SUM(1)", name="环评", department="西城区行政审批局",
                        deadline="2026-11-20 18:00", accepted="2026-11-02 09:00")
        r = d.ctl("item", "done", it["id"], "--at", "2026-11-18 15:00")
        self.assertEqual(r.rc, 0, r)
        return mock, d

    def check_same_table(self, d, name, at):
        out = os.path.join(self.tmp, name + ".xlsx")
        r = d.ctl("report", name, "--at", at, "--xlsx", out)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, "")
        with open(out, "rb") as f:
            data = f.read()
        self.assertEqual(data[:4], b"PK\x03\x04")
        wb = Workbook(data)
        c = d.ctl("report", name, "--at", at, "--csv")
        self.assertEqual(c.rc, 0, c)
        table = list(csv.reader(io.StringIO(c.out.lstrip("\ufeff"), newline="")))
        rows = wb.rows()
        self.assertEqual(len(rows), len(table), (rows, table))
        for i, (got, want) in enumerate(zip(rows, table)):
            texts = [xlsx_as_csv_text(wb, *cell) for cell in got]
            texts += [""] * (len(want) - len(texts))
            # The CSV defuses formulas with an apostrophe; a workbook
            # cell is text, never a formula.
            want = [w[1:] if w.startswith("'") else w for w in want]
            self.assertEqual(texts, want, "row %d" % i)

        # The header: bold, frozen (one row), every column fits its text.
        self.assertTrue(all(wb.bold(cell) for _, _, cell in rows[0]))
        pane = wb.pane()
        self.assertIsNotNone(pane, "no frozen pane")
        self.assertEqual((pane.get("ySplit"), pane.get("state"), pane.get("topLeftCell")),
                         ("1", "frozen", "A2"))
        self.assertIsNone(pane.get("xSplit"))
        widths = wb.widths()
        for col in range(len(table[0])):
            longest = max(width(row[col]) for row in table if col < len(row))
            self.assertGreaterEqual(widths[col], min(longest + 2, 60), (col, table[0][col]))
        return wb, rows, table

    def test_weekly_and_bulletin(self):
        mock, d = self.setup_items()
        wb, rows, table = self.check_same_table(d, "weekly", "2026-11-20 17:00")
        self.assertEqual(wb.sheet_names, ["组长每周调度"])
        head = table[0]
        due = head.index("办理期限")
        # Dates are dates (numbers with a date format), counts numbers.
        dated = [r[due] for r in rows[1:] if r[due][0] is not None]
        self.assertTrue(dated)
        for value, kind, cell in dated:
            self.assertEqual(kind, "n")
            self.assertEqual(wb.format_of(cell), "yyyy-mm-dd hh:mm")
        over = head.index("逾期工作日")
        self.assertTrue(all(r[over][1] == "n" for r in rows[1:]))
        # The project name column fits 16 Chinese characters (width 32 + 2).
        self.assertGreaterEqual(wb.widths()[head.index("项目名称")], 34)

        wb, rows, table = self.check_same_table(d, "bulletin", "2026-11-27 17:00")
        rate = table[0].index("按时办结率")
        fmts = {wb.format_of(r[rate][2]) for r in rows[1:] if r[rate][1] == "n"}
        self.assertEqual(fmts, {"0.0%"})
        self.check_same_table(d, "agenda", "2026-11-27 17:00")
        self.check_same_table(d, "review", "2026-11-27 17:00")

    def test_same_report_same_bytes_and_errors(self):
        started = time.time()
        mock, d = self.setup_items()
        a, b = os.path.join(self.tmp, "a.xlsx"), os.path.join(self.tmp, "b.xlsx")
        for f in (a, b):
            r = d.ctl("report", "weekly", "--at", "2026-11-20 17:00", "--xlsx", f)
            self.assertEqual(r.rc, 0, r)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read())
        # Usage errors and an unwritable file: nothing written.
        for extra in (["--csv"], ["--text"], ["--send"]):
            r = d.ctl("report", "weekly", "--xlsx", a, *extra)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("--xlsx cannot be used", r.err)
        r = d.ctl("report", "weekly", "--xlsx", os.path.join(self.tmp, "no", "x.xlsx"))
        self.assertEqual(r.rc, 2, r)
        self.assertIn("No such file", r.err)
        r = d.ctl("report", "nosuch", "--xlsx", os.path.join(self.tmp, "c.xlsx"))
        self.assertEqual(r.rc, 1, r)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "c.xlsx")))
        # The API gives the bytes with the workbook's media type.
        with open(a, "rb") as f:
            want = f.read()
        r = d.ctl("report", "weekly", "--at", "2026-11-20 17:00", "--xlsx", "-")
        self.assertEqual(r.rc, 0, r)    # stdout is a pipe here
        self.assertTrue(r.out.startswith("PK"), r.out[:10])
        # No temporary directory is left behind.
        tmp = os.environ.get("TMPDIR", "/tmp")
        self.assertEqual([n for n in os.listdir(tmp) if n.startswith("escalator-xlsx.")
                          and os.stat(os.path.join(tmp, n)).st_uid == os.getuid()
                          and os.path.getmtime(os.path.join(tmp, n)) >= started - 1], [])
        self.assertTrue(want)


if __name__ == "__main__":
    unittest.main()


def file_messages(msgs):
    return [m for m in msgs if m["body"].get("msgtype") == "file"]


class WorkbookToWeCom(H.E2ETestCase):
    """attach = "xlsx": a summary and the workbook as a file (upload_media,
    then a file message), with the same retry and refusal rules as text."""

    AT = "2026-11-27 17:00"

    def setup_attach(self, robots=None):
        robots = robots or {"wecom": {"wk-chat": {}, "wk-admin": {}}}
        mock = self.start_mock(robots)
        channels = [{"name": "chat", "type": "wecom", "key": "wk-chat"},
                    {"name": "admin", "type": "wecom", "key": "wk-admin", "format": "text"}]
        reports = [{"name": "tongbao", "type": "bulletin", "channels": ["chat"],
                    "attach": "xlsx"}]
        # The items' own notices go to the admin chat, not to the report's.
        path = self.write_config(self.config_text(
            mock, channels=channels, policies=[H.default_policy(to=("admin",))],
            extra={"admin_channel": "admin", "reports": reports}))
        d = self.start_daemon(path)
        d.add_item(project="P2026-101", project_name="新城商业综合体", name="规划许可",
                   department="建设工程审批科", deadline="2026-11-10 18:00",
                   accepted="2026-11-02 09:00")
        it = d.add_item(project="P2026-102", project_name="滨河康养中心", name="环评",
                        department="西城区行政审批局", deadline="2026-11-20 18:00",
                        accepted="2026-11-02 09:00")
        self.assertEqual(d.ctl("item", "done", it["id"], "--at", "2026-11-18 15:00").rc, 0)
        return mock, d

    def uploads(self, mock):
        return mock._call("GET", "/_control/uploads?id=wk-chat")

    def media(self, mock, mid):
        with urllib.request.urlopen(mock.base + "/_control/media?media_id=" + mid,
                                    timeout=10) as r:
            return r.read()

    def workbook(self, d):
        out = os.path.join(self.tmp, "want.xlsx")
        r = d.ctl("report", "tongbao", "--at", self.AT, "--xlsx", out)
        self.assertEqual(r.rc, 0, r)
        with open(out, "rb") as f:
            return f.read()

    def test_summary_then_file(self):
        mock, d = self.setup_attach()
        r = d.ctl("report", "tongbao", "--at", self.AT, "--send", "--wait", "--timeout", "30")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("queued 2 message(s)", r.out)
        got = mock.received("wecom", "wk-chat")
        self.assertEqual([m["body"]["msgtype"] for m in got], ["markdown", "file"])
        summary = got[0]["body"]["markdown"]["content"]
        self.assertIn("审批事项办理情况通报（2026年11月27日）", summary)
        self.assertIn("本期共办结审批事项 1 项", summary)
        self.assertIn("附件：审批事项办理情况通报（2026年11月27日）.xlsx", summary)
        ups = self.uploads(mock)
        self.assertEqual(len(ups), 1, ups)
        self.assertEqual(ups[0]["name"], "审批事项办理情况通报（2026年11月27日）.xlsx")
        self.assertEqual(ups[0]["filelength"], str(ups[0]["size"]))
        self.assertEqual(got[1]["body"]["file"]["media_id"], ups[0]["media_id"])
        # The file the chat got is the report's workbook, byte for byte.
        self.assertEqual(self.media(mock, ups[0]["media_id"]), self.workbook(d))
        log = [(e["outcome"], e["channel"]) for e in d.log() if e["channel"] == "chat"]
        self.assertIn(("uploaded", "chat"), log)
        self.assertEqual(d.ctl_json("outbox", "--state", "queued")["messages"], [])

    def test_upload_retried_media_id_renewed(self):
        mock, d = self.setup_attach()
        # The upload fails once (HTTP 502): retried, then the file goes.
        mock.fault("wecom", "wk-chat", {"kind": "http", "status": 502, "count": 1,
                                        "endpoint": "upload_media"})
        r = d.ctl("report", "tongbao", "--at", self.AT, "--send", "--wait", "--timeout", "60")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(file_messages(mock.received("wecom", "wk-chat"))), 1)
        rej = [x for x in mock.rejected("wecom", "wk-chat") if x["reason"].startswith("upload")]
        self.assertEqual([x["http"] for x in rej], [502])
        outcomes = [e["outcome"] for e in d.log() if e["channel"] == "chat"]
        self.assertIn("retry", outcomes)
        self.assertIn("uploaded", outcomes)

        # A restart between the upload and the file message: the file
        # message goes with the media_id on record; the chat no longer
        # knows it (40007, here: the mock forgot its uploads), so the
        # file is uploaded again and posted.
        self.assertEqual(d.stop(), 0)
        con = sqlite3.connect(d.database)
        n = con.execute("UPDATE outbox SET status = 'queued', sent_at = 0 WHERE id ="
                        " (SELECT max(outbox_id) FROM outbox_files)").rowcount
        con.commit()
        con.close()
        self.assertEqual(n, 1)
        mock.reset()
        d.start()
        H.wait_for(lambda: len(file_messages(mock.received("wecom", "wk-chat"))) == 1, 30,
                   "the file posted again")
        self.assertEqual([x["code"] for x in mock.rejected("wecom", "wk-chat")], [40007])
        self.assertEqual(len(self.uploads(mock)), 1)

    def test_refused_upload_reaches_admin(self):
        mock, d = self.setup_attach()
        mock.fault("wecom", "wk-chat", {"kind": "errcode", "errcode": 40006,
                                        "endpoint": "upload_media"})
        r = d.ctl("report", "tongbao", "--at", self.AT, "--send", "--wait", "--timeout", "30")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("failed (40006", r.out)
        notices = H.wait_for(lambda: [m["text"] for m in mock.received("wecom", "wk-admin")
                                      if "通道 chat" in m["text"]], 20, "the admin notice")
        self.assertIn("40006", notices[0])
        self.assertEqual(file_messages(mock.received("wecom", "wk-chat")), [])
        # The bytes are kept: after the fix, outbox retry posts the file.
        mock.fault("wecom", "wk-chat", None)
        self.assertEqual(d.stop(), 0)
        d.start()
        r = d.ctl("outbox", "retry", "--channel", "chat")
        self.assertEqual(r.rc, 0, r)
        H.wait_for(lambda: len(file_messages(mock.received("wecom", "wk-chat"))) == 1, 30,
                   "the file after the retry")
        mid = file_messages(mock.received("wecom", "wk-chat"))[0]["body"]["file"]["media_id"]
        self.assertEqual(self.media(mock, mid), self.workbook(d))


class AttachNeedsWeCom(H.E2ETestCase):
    """DingTalk and Feishu robots cannot post files: the configuration
    says so with file:line; an unknown attach too."""

    def test_refused(self):
        channels = [{"name": "chat", "type": "wecom", "key": "K1", "url": "http://127.0.0.1:9/cgi-bin/webhook/send"},
                    {"name": "ding", "type": "dingtalk", "key": "T1",
                     "url": "http://127.0.0.1:9/robot/send"}]
        for attach, channel, want in (
                ("xlsx", "ding", "report 'r': attach = \"xlsx\" needs WeCom channels:"
                                 " 'ding' is a dingtalk robot, which cannot post files"),
                ("pdf", "chat", "report 'r': unknown attach 'pdf' (want \"xlsx\")")):
            reports = [{"name": "r", "type": "agenda", "channels": [channel],
                        "attach": attach}]
            path = self.write_config(self.config_text(None, channels=channels,
                                                      extra={"reports": reports}))
            rc, out, err = H.check_config(path)
            self.assertNotEqual(rc, 0, out)
            self.assertRegex(err, re.escape(path) + r":\d+: " + re.escape(want))
