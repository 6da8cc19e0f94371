"""Signed action links at the HTTP level (issue 16): notices carry them,
the pages answer, and signature, expiry, replay, CSRF and method are
checked; answers feed the ladder; the board is behind a link or a login."""

import re
import time
import unittest

from tests.e2e import harness as H
from tests.e2e import linkbase as L


class Links(L.LinkCase):

    def form(self, url, action, **fields):
        """GET the form of an action and POST it with its CSRF token."""
        page = L.fetch(url + "?do=" + action)
        self.assertEqual(page.status, 200, page)
        fields.setdefault("csrf", L.csrf_of(page.body))
        return L.fetch(url + "?do=" + action, form=fields)

    def outcomes(self, item_id):
        return [(e["id"], e["outcome"], e["stage"]) for e in self.d.log(item_id)]

    def test_notice_link_page_and_ack_stops_repeats(self):
        item, url = self.escalated_item()
        text = [m["text"] for m in self.chat() if "/a/" in (m.get("text") or "")][0]
        # WeCom markdown: the link is a markdown link under the item.
        self.assertRegex(text, r"\[签收 · 反馈进展 · 办结 · 申请中止计时\]\(http://127\.0\.0\.1:\d+/a/")
        self.assertLess(len(url.split("/a/")[1]), 64)
        page = L.fetch(url)
        self.assertEqual(page.status, 200)
        self.assertIn('name="viewport"', page.body)
        self.assertIn("智能制造产业园", page.body)
        self.assertIn("投资项目审批科", page.body)
        self.assertIn("催办", page.body)
        self.assertIn("未签收", page.body)
        self.assertNotRegex(page.body, r"<script|src=\"http|href=\"http")
        self.assertIn("text/html", page.headers["Content-Type"])
        csrf = L.csrf_of(L.fetch(url + "?do=ack").body)
        r = L.fetch(url + "?do=ack", form={"csrf": csrf, "name": "李四"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("已签收", r.body)
        # Replay, of the form or of the POST: the link was used for 签收.
        self.assertEqual(L.fetch(url + "?do=ack").status, 409)
        r2 = L.fetch(url + "?do=ack", form={"csrf": csrf, "name": "李四"})
        self.assertEqual(r2.status, 409, r2)
        self.assertIn("不能重复", r2.body)
        # Another action of the same link still works (one-shot per action).
        self.assertEqual(L.fetch(url + "?do=progress").status, 200)
        shown = self.d.show(item["id"])
        self.assertEqual(shown["ack"], "已签收")
        self.assertEqual(shown["ack_by"], "李四")
        # The actor: name, role, address and user agent.
        ack = [e for e in self.d.log(item["id"]) if e["outcome"] == "ack"]
        self.assertEqual(len(ack), 1)
        self.assertIn("李四", ack[0]["detail"])
        self.assertIn("承办部门", ack[0]["detail"])
        self.assertIn("127.0.0.1", ack[0]["detail"])
        self.assertIn("Python-urllib", ack[0]["detail"])
        self.assertEqual(ack[0]["actor"], "link:李四")
        ack_id = ack[0]["id"]
        # The next repeat of 催办 (every 3 s) is passed over today.
        H.wait_for(lambda: "acknowledged" in [o for _, o, _ in self.outcomes(item["id"])],
                   30, "a repeat passed over")
        later = [o for i, o, s in self.outcomes(item["id"])
                 if i > ack_id and o == "escalated"]
        self.assertEqual(later, [])
        self.assertIn("ACK", self.d.ctl("list").out)
        self.assertIn("已签收", self.d.ctl("list").out)

    def test_progress_counts_as_progress(self):
        item, url = self.escalated_item()
        before = self.d.show(item["id"])["last_progress_at"]
        # The weekly digest lists it as without feedback this week.
        rep = self.d.ctl("report", "weekly")
        self.assertEqual(rep.rc, 0, rep)
        self.assertIn("本周未反馈进展", rep.out)
        self.assertIn("未签收", rep.out)
        empty = self.form(url, "progress", name="李四", note="")
        self.assertEqual(empty.status, 400, empty)
        self.assertIn("请填写办理进展", empty.body)
        self.assertIn("<form", empty.body)    # the form again, with the error
        r = self.form(url, "progress", name="李四", note="已完成现场勘验，本周出具意见")
        self.assertEqual(r.status, 200, r)
        shown = self.d.show(item["id"])
        self.assertEqual(shown["feedback"], "已完成现场勘验，本周出具意见")
        self.assertEqual(shown["feedback_by"], "李四")
        self.assertNotEqual(shown["last_progress_at"], None)
        self.assertGreaterEqual(shown["last_progress_at"], before or "")
        outs = [o for _, o, _ in self.outcomes(item["id"])]
        self.assertIn("progress", outs)
        # The weekly digest shows the feedback.
        rep = self.d.ctl("report", "weekly")
        self.assertEqual(rep.rc, 0, rep)
        self.assertIn("已完成现场勘验", rep.out)
        self.assertNotIn("本周未反馈进展", rep.out)

    def test_review_and_bulletin_show_answers(self):
        """A sent review and bulletin carry the item's 签收 and its latest
        feedback; their tables gain the columns."""
        item, url = self.escalated_item()
        self.assertEqual(self.form(url, "ack", name="李四").status, 200)
        note = "材料已补齐，待专家评审"
        self.assertEqual(self.form(url, "progress", name="李四", note=note).status, 200)
        # Two weeks on the item is overdue; the answers are as they were.
        at = H.local_time(time.time() + 14 * 86400)
        for name, title in (("review", "半月调度"), ("bulletin", "办理情况通报")):
            r = self.d.ctl("report", name, "--at", at, "--send", "--wait",
                           "--timeout", "30")
            self.assertEqual(r.rc, 0, r)
            H.wait_for(lambda: any(title in (m.get("text") or "") for m in self.chat()),
                       30, "the %s in the chat" % name)
            text = [m["text"] for m in self.chat() if title in (m.get("text") or "")][-1]
            line = [l for l in text.split("\n") if "智能制造产业园" in l and "逾期" in l]
            self.assertEqual(len(line), 1, text)
            self.assertIn("｜已签收｜反馈（", line[0])
            self.assertTrue(line[0].endswith("）：" + note), line[0])
            self.assertIn("签收与反馈", text)
            # No empty field in what the chat shows.
            self.assertNotRegex(text, r"｜\n|｜$|）：\n|反馈（）")
            csv = self.d.ctl("report", name, "--at", at, "--csv")
            self.assertEqual(csv.rc, 0, csv)
            self.assertIn('"已签收","未签收","本期反馈"', csv.out.splitlines()[0])
        # The agenda's and the weekly digest's tables: per item.
        csv = self.d.ctl("report", "weekly", "--at", at, "--csv")
        self.assertIn('"签收状态","最新反馈","反馈时间"', csv.out.splitlines()[0])
        self.assertIn('"已签收","%s"' % note, csv.out)

    def test_done_ends_the_ladder(self):
        item, url = self.escalated_item()
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
        r = self.form(url, "done", name="李四", date=today)
        self.assertEqual(r.status, 200, r)
        shown = self.d.show(item["id"])
        self.assertEqual(shown["status"], "done")
        self.assertIsNone(shown["next_action_at"])
        # The closing notice goes to the chat the item was escalated to.
        H.wait_for(lambda: any("办结" in (m.get("text") or "") and "/a/" not in (m.get("text") or "")
                               for m in self.chat()), 20, "the done notice")
        again = L.fetch(url)
        self.assertEqual(again.status, 409)
        self.assertIn("已办结", again.body)
        self.assertEqual(L.fetch(url + "?do=done").status, 409)

    def test_done_date_is_checked(self):
        item, url = self.escalated_item()
        r = self.form(url, "done", name="李四", date="2999-01-01")
        self.assertEqual(r.status, 400, r)
        self.assertIn("不能晚于今天", r.body)
        r = self.form(url, "done", name="李四", date="2026-13-45")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.d.show(item["id"])["status"], "accepted")

    def test_stop_request_needs_the_leaders_approval(self):
        item, url = self.escalated_item()
        r = self.form(url, "stop", name="李四", note="补正材料")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.d.show(item["id"])["status"], "accepted")
        link = self.first_link(key="LEAD")
        req = [m for m in self.chat("LEAD") if "中止计时申请" in (m.get("text") or "")][-1]
        self.assertIn("补正材料", req["text"])
        self.assertIn("王组长", req["text"])
        page = L.fetch(link)
        self.assertEqual(page.status, 200, page)
        self.assertIn("同意中止计时", page.body)
        csrf = L.csrf_of(page.body)
        bad = L.fetch(link + "?do=decide", form={"csrf": csrf, "name": "王组长",
                                                   "decision": "maybe"})
        self.assertEqual(bad.status, 400)
        ok = L.fetch(link + "?do=decide", form={"csrf": csrf, "name": "王组长",
                                                  "decision": "approve"})
        self.assertEqual(ok.status, 200, ok)
        shown = self.d.show(item["id"])
        self.assertEqual(shown["status"], "suspended")
        self.assertEqual(shown["suspended"], "补正材料")
        again = L.fetch(link + "?do=decide", form={"csrf": csrf, "name": "王组长",
                                                     "decision": "reject"})
        self.assertEqual(again.status, 409, again)

    def test_rejected_stop_keeps_the_clock(self):
        item, url = self.escalated_item()
        self.assertEqual(self.form(url, "stop", name="李四", note="专家评审").status, 200)
        link = self.first_link(key="LEAD")
        page = L.fetch(link)
        r = L.fetch(link + "?do=decide", form={"csrf": L.csrf_of(page.body),
                                                 "name": "王组长", "decision": "reject"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.d.show(item["id"])["status"], "accepted")
        self.assertIn("reject", [o for _, o, _ in self.outcomes(item["id"])])

    def test_signature_expiry_csrf_and_methods(self):
        item, url = self.escalated_item()
        base, tok = url.split("/a/")
        # A changed character: the signature no longer holds.
        bad = tok[:-3] + ("A" if tok[-3] != "A" else "B") + tok[-2:]
        r = L.fetch(base + "/a/" + bad)
        self.assertEqual(r.status, 403)
        self.assertIn("签名", r.body)
        self.assertEqual(L.fetch(base + "/a/!!!").status, 403)
        self.assertEqual(L.fetch(base + "/a/").status, 404)
        # Another secret.
        now = int(time.time())
        other = L.mint(item["id"], L.NOTICE, now, now + 600, secret="not-the-secret-at-all")
        self.assertEqual(L.fetch(base + "/a/" + other).status, 403)
        # Our secret, well formed (the format is link.c's), but expired.
        expired = L.mint(item["id"], L.NOTICE, now - 8 * 86400, now - 60)
        r = L.fetch(base + "/a/" + expired)
        self.assertEqual(r.status, 410, r)
        self.assertIn("过期", r.body)
        fresh = L.mint(item["id"], L.NOTICE, now, now + 600)
        self.assertEqual(L.fetch(base + "/a/" + fresh).status, 200)
        # Bound to its stage: one the item does not stand at is stale.
        stale = L.mint(item["id"], L.NOTICE, now, now + 600, stage=12345)
        self.assertEqual(L.fetch(base + "/a/" + stale).status, 410)
        # Only the actions it carries.
        ackonly = L.mint(item["id"], L.ACK, now, now + 600)
        self.assertEqual(L.fetch(base + "/a/" + ackonly + "?do=done").status, 403)
        # CSRF: missing, wrong, or the token of another action.
        self.assertEqual(L.fetch(url + "?do=ack", form={"name": "x"}).status, 403)
        self.assertEqual(L.fetch(url + "?do=ack", form={"name": "x", "csrf": "0" * 32}).status, 403)
        pc = L.csrf_of(L.fetch(url + "?do=progress").body)
        self.assertEqual(L.fetch(url + "?do=ack", form={"name": "x", "csrf": pc}).status, 403)
        # Methods: a POST needs an action; PUT and DELETE are refused.
        self.assertEqual(L.fetch(url, form={"name": "x"}).status, 405)
        for m in ("PUT", "DELETE"):
            self.assertIn(L.fetch(url, method=m).status, (405, 501), m)
        self.assertEqual(L.fetch(url + "?do=fly").status, 400)
        # Nothing of that changed the item.
        shown = self.d.show(item["id"])
        self.assertEqual((shown["status"], shown["ack"]), ("accepted", "未签收"))
        # The API still needs its token; the secret is never shown.
        self.assertEqual(L.fetch(self.base + "/v1/status").status, 401)
        self.assertSecretsHidden(self.d, [L.SECRET])

    def test_board_needs_a_link_or_a_login(self):
        item, url = self.escalated_item()
        self.form(url, "progress", name="李四", note="材料已齐")
        r = L.fetch(self.base + "/board")
        self.assertEqual(r.status, 401)
        self.assertIn("访问令牌", r.body)
        self.assertEqual(L.fetch(self.base + "/board?t=" + url.split("/a/")[1]).status, 403)
        link = self.api("/links/board")
        self.assertEqual(link.status, 200, link)
        import json
        board_url = json.loads(link.body)["url"]
        r = L.fetch(board_url)
        self.assertEqual(r.status, 200, r)
        self.assertIn("<svg", r.body)
        self.assertIn("投资项目审批科", r.body)
        self.assertIn("材料已齐", r.body)
        self.assertIn("esc_board=", r.headers.get("Set-Cookie", ""))
        self.assertEqual(L.fetch(self.base + "/board/login", form={"token": "wrong"}).status, 403)
        self.assertEqual(L.fetch(self.base + "/board/login").status, 405)
        ok = L.fetch(self.base + "/board/login", form={"token": L.TOKEN})
        self.assertEqual(ok.status, 303, ok)
        cookie = ok.headers["Set-Cookie"].split(";")[0]
        r = L.fetch(self.base + "/board", headers={"Cookie": cookie})
        self.assertEqual(r.status, 200)
        self.assertIn("各承办部门", r.body)
        item_link = self.api("/links/items/%d" % item["id"])
        self.assertEqual(item_link.status, 200, item_link)


class NoPublicUrl(H.E2ETestCase):
    """Without public_url nothing changes: no links, no pages."""

    def test_no_links_without_public_url(self):
        port = L.free_port()
        mock, d, _ = self.simple_setup(extra={"listen": "127.0.0.1:%d" % port,
                                              "api_token": L.TOKEN})
        d.add_item(project="NOLINK", deadline="+1")
        H.wait_for(lambda: any("NOLINK" in (m.get("text") or "") for m in mock.received()),
                   30, "the notice")
        for m in mock.received():
            self.assertNotIn("/a/", m.get("text") or "")
            self.assertNotIn("签收", m.get("text") or "")
        self.assertEqual(L.fetch("http://127.0.0.1:%d/a/abc" % port).status, 401)
        self.assertEqual(L.fetch("http://127.0.0.1:%d/board" % port).status, 401)


if __name__ == "__main__":
    unittest.main()
