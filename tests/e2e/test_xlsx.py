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
