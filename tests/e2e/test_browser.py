"""The pages of signed action links and the board in a real browser
(issue 16): headless Debian chromium through chromedriver, at a phone's
size (390x844, a WeCom in-app user agent) and a desktop's.  Each form is
filled and submitted, then the daemon's state and the next messages are
checked; a screenshot of each page is saved under tests/tmp/screenshots
for review."""

import os
import time
import unittest

from tests.e2e import harness as H
from tests.e2e import linkbase as L
from tests.e2e import webdriver as W

SHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                     "tmp", "screenshots")
BINARIES = W.find_binaries()


@unittest.skipIf(BINARIES is None, "chromium and chromedriver are not installed"
                 " (contrib/deps.sh installs them)")
class Browser(L.LinkCase):
    PHONE = True
    TAG = "phone"

    def setUp(self):
        super().setUp()
        self.b = W.Driver(self.tmp, self.PHONE, *BINARIES)
        self.addCleanup(self.b.quit)

    def shot(self, name):
        self.b.screenshot(os.path.join(SHOTS, "%s-%s.png" % (self.TAG, name)))

    def assertFitsWidth(self):
        """Nothing wider than the viewport: no sideways scrolling."""
        w = self.b.script("return [document.documentElement.scrollWidth,"
                          " window.innerWidth]")
        self.assertLessEqual(w[0], w[1] + 1, "the page scrolls sideways: %r" % w)

    def submit_form(self, fields):
        for css, text in fields:
            self.b.type(self.b.find(css), text)
        self.b.click(self.b.find("form button[type=submit]"))
        H.wait_for(lambda: "已提交" in self.b.title() or "msg err" in self.b.source(),
                   20, "the answer page")

    def test_every_form(self):
        item, url = self.escalated_item()
        # The menu.
        self.b.get(url)
        self.assertIn("事项督办", self.b.title())
        self.assertIn("智能制造产业园", self.b.source())
        self.assertFitsWidth()
        self.shot("menu")
        # 签收 through the menu's first button.
        self.b.click(self.b.find("a.btn[href='?do=ack']"))
        H.wait_for(lambda: "签收" == self.b.title(), 20, "the ack form")
        self.shot("ack-form")
        self.submit_form([("#name", "李四")])
        self.assertIn("已签收", self.b.source())
        self.shot("ack-done")
        self.assertEqual(self.d.show(item["id"])["ack"], "已签收")
        # Back to the menu: 反馈进展, first without text (the browser's own
        # check keeps the form), then with.
        self.b.get(url + "?do=progress")
        self.b.type(self.b.find("#name"), "李四")
        self.b.click(self.b.find("form button[type=submit]"))
        self.assertEqual(self.b.title(), "反馈进展")
        self.shot("progress-form")
        self.submit_form([("#note", "已完成现场勘验，本周内出具意见")])
        self.shot("progress-done")
        self.assertEqual(self.d.show(item["id"])["feedback"], "已完成现场勘验，本周内出具意见")
        # 申请中止计时: the request reaches the leader's chat.
        self.b.get(url + "?do=stop")
        self.assertFitsWidth()
        self.shot("stop-form")
        self.submit_form([("#name", "李四"), ("#note", "补正材料")])
        self.shot("stop-done")
        link = self.first_link(key="LEAD")
        self.assertEqual(self.d.show(item["id"])["status"], "accepted")
        # The leader approves on the decision page.
        self.b.get(link)
        self.assertIn("补正材料", self.b.source())
        self.assertFitsWidth()
        self.shot("decide")
        self.b.type(self.b.find("#name"), "王组长")
        self.b.click(self.b.find("button[value=approve]"))
        H.wait_for(lambda: "已提交" in self.b.title(), 20, "the decision page")
        self.shot("decide-done")
        shown = self.d.show(item["id"])
        self.assertEqual((shown["status"], shown["suspended"]), ("suspended", "补正材料"))
        # A used link is a plain sentence with a 4xx status.
        self.b.get(link)
        self.assertIn("已处理", self.b.source())
        self.shot("error-used")

    def test_done_and_board(self):
        item, url = self.escalated_item()
        self.b.get(url + "?do=done")
        self.assertFitsWidth()
        self.shot("done-form")
        self.submit_form([("#name", "李四"), ("#note", "已出具批复")])
        self.shot("done-done")
        self.assertEqual(self.d.show(item["id"])["status"], "done")
        H.wait_for(lambda: any("办结" in (m.get("text") or "") and "/a/" not in (m.get("text") or "")
                               for m in self.chat()), 20, "the done notice")
        self.b.get(url)
        self.assertIn("已办结", self.b.source())
        self.shot("error-done")
        # A second item, overdue, for the board.
        other = self.d.add_item(project="LNK-2", project_name="城东安置房",
                                category="社会投资类", name="施工许可",
                                deadline=H.local_time(time.time() - 10 * 86400)[:10],
                                handler="张三")
        self.assertEqual(other["status"], "accepted")
        self.b.get(self.base + "/board")
        self.assertIn("访问令牌", self.b.source())
        self.shot("board-login")
        self.b.type(self.b.find("#token"), L.TOKEN)
        self.b.click(self.b.find("form button[type=submit]"))
        H.wait_for(lambda: "各推进组" in self.b.source(), 20, "the board")
        self.assertIn("<svg", self.b.source())
        self.assertIn("城东安置房", self.b.source())
        self.assertFitsWidth()
        self.shot("board")


class BrowserDesktop(Browser):
    PHONE = False
    TAG = "desktop"


if __name__ == "__main__":
    unittest.main()
