# test_vendors.py -- end-to-end: each vendor's robot accepts what the daemon
# sends (the mock checks signatures, keywords and formats), @-mentions reach
# the right people, and send-test reports the vendor's answer.

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

DING_TOKEN = "dt-token-e2e"
DING_SECRET = "SECe2e-dingtalk-signing-secret"
FS_TOKEN = "fs-token-e2e"
FS_SECRET = "e2e-feishu-signing-secret"


def one_stage(to):
    return [H.ladder(("reminder", "催办", "0s", to))]


class Vendors(H.E2ETestCase):

    def deliver(self, robots, channels, project):
        """Start everything, add one item due in 1 s to every channel, wait for all."""
        mock = self.start_mock(robots)
        names = [c["name"] for c in channels]
        path = self.write_config(self.config_text(mock, channels=channels,
                                                  policies=one_stage(names)))
        d = self.start_daemon(path)
        d.add_item(project=project, deadline="+1")
        H.wait_for(lambda: len(mock.received()) + len(mock.rejected()) >= len(channels), 20,
                   "a request to every robot")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        return mock, d

    def test_wecom_markdown(self):
        mock, d = self.deliver({"wecom": {"wk-e2e": {}}},
                               [{"name": "chat", "type": "wecom", "key": "wk-e2e"}], "VEND-WECOM")
        self.assertEqual(mock.rejected(), [])
        got = mock.received("wecom", "wk-e2e")
        self.assertEqual(len(got), 1)
        body = got[0]["body"]
        self.assertEqual(body["msgtype"], "markdown")
        self.assertIn("【催办】", body["markdown"]["content"])
        self.assertIn("VEND-WECOM", body["markdown"]["content"])
        self.assertLessEqual(len(body["markdown"]["content"].encode("utf-8")), 4096)

    def test_dingtalk_signed_with_keyword(self):
        robots = {"dingtalk": {
            DING_TOKEN: {"secret": DING_SECRET, "keywords": ["审批"]},
            # A keyword no template contains: the daemon must append it.
            "dt-kw2": {"keywords": ["督办令E2E"]}}}
        channels = [{"name": "ding", "type": "dingtalk", "key": DING_TOKEN,
                     "secret": DING_SECRET, "keywords": ["审批"]},
                    {"name": "ding2", "type": "dingtalk", "key": "dt-kw2",
                     "keywords": ["督办令E2E"]}]
        mock, d = self.deliver(robots, channels, "VEND-DING")
        self.assertEqual(mock.rejected(), [])
        for rid in (DING_TOKEN, "dt-kw2"):
            got = mock.received("dingtalk", rid)
            self.assertEqual(len(got), 1, rid)
            self.assertIn("VEND-DING", got[0]["text"])
        self.assertIn("督办令E2E", mock.received("dingtalk", "dt-kw2")[0]["text"])
        self.assertEqual([e["outcome"] for e in d.log() if e["outcome"] in ("sent", "failed")],
                         ["sent", "sent"])
        self.assertSecretsHidden(d, [DING_TOKEN, DING_SECRET, "dt-kw2"])

    def test_feishu_signed(self):
        robots = {"feishu": {FS_TOKEN: {"secret": FS_SECRET}}}
        channels = [{"name": "fs", "type": "feishu", "key": FS_TOKEN, "secret": FS_SECRET}]
        mock, d = self.deliver(robots, channels, "VEND-FS")
        self.assertEqual(mock.rejected(), [])
        got = mock.received("feishu", FS_TOKEN)
        self.assertEqual(len(got), 1)
        body = got[0]["body"]
        self.assertIn("sign", body)
        self.assertIn("timestamp", body)
        self.assertIn("VEND-FS", got[0]["text"])
        self.assertIn("催办", got[0]["text"])
        self.assertSecretsHidden(d, [FS_TOKEN, FS_SECRET])

    def test_wrong_signing_secret_is_refused_and_not_counted_as_sent(self):
        robots = {"dingtalk": {DING_TOKEN: {"secret": DING_SECRET}},
                  "feishu": {FS_TOKEN: {"secret": FS_SECRET}}}
        channels = [{"name": "ding", "type": "dingtalk", "key": DING_TOKEN,
                     "secret": "SECwrong"},
                    {"name": "fs", "type": "feishu", "key": FS_TOKEN, "secret": "wrong"}]
        mock, d = self.deliver(robots, channels, "VEND-BADSIGN")
        self.assertEqual(mock.received(), [])
        self.assertEqual(sorted(r["code"] for r in mock.rejected()), [19021, 310000])
        st = d.status()
        self.assertEqual(st["queue"]["sent"], 0, st)
        self.assertEqual(st["queue"]["failed"], 2, st)
        self.assertSecretsHidden(d, [DING_TOKEN, DING_SECRET, FS_TOKEN, FS_SECRET])


class Mentions(H.E2ETestCase):
    """Roles resolve to chats and people; DingTalk mentions by mobile."""

    ORG = {
        "people": [
            {"id": "p-handler", "name": "承办人甲", "role": "科员", "mobile": "13800000013"},
            {"id": "p-contact", "name": "联系人乙", "role": "科长", "mobile": "13800000014"},
            {"id": "p-leader", "name": "组长丙", "role": "副局长", "mobile": "13800000002"},
            {"id": "p-wk", "name": "承办人丁", "role": "科员", "mobile": "13800000015",
             "wecom": "wk-user-ding"},
        ],
        "departments": [
            {"name": "建设工程审批科", "level": "city", "contact": "p-contact"},
        ],
        "groups": [
            {"name": "城市建设类推进组", "leader": "p-leader", "channel": "ding",
             "categories": ["城市建设类"]},
            {"name": "社会投资类推进组", "leader": "p-leader", "channel": "chat",
             "categories": ["社会投资类"]},
        ],
    }

    def test_handler_is_mentioned_by_mobile_on_dingtalk(self):
        robots = {"dingtalk": {DING_TOKEN: {"secret": DING_SECRET, "keywords": ["审批"]}},
                  "wecom": {"wk-e2e": {}}}
        channels = [{"name": "ding", "type": "dingtalk", "key": DING_TOKEN,
                     "secret": DING_SECRET, "keywords": ["审批"]},
                    {"name": "chat", "type": "wecom", "key": "wk-e2e"}]
        mock = self.start_mock(robots)
        path = self.write_config(self.config_text(
            mock, channels=channels, extra=self.ORG,
            policies=one_stage(["handler", "group"])))
        d = self.start_daemon(path)
        d.add_item(project="MENT-1", project_name="城建项目E2E", category="城市建设类",
                   department="建设工程审批科", handler="承办人甲", deadline="+1")
        d.add_item(project="MENT-2", project_name="社投项目E2E", category="社会投资类",
                   department="建设工程审批科", handler="p-wk", deadline="+1")
        H.wait_for(lambda: len(mock.received()) + len(mock.rejected()) >= 2, 20,
                   "both messages")
        self.assertEqual(mock.rejected(), [])

        ding = mock.received("dingtalk", DING_TOKEN)
        self.assertEqual(len(ding), 1, "handler and group share one chat: one message")
        body = ding[0]["body"]
        at = body.get("at", {})
        self.assertIn("13800000013", at.get("atMobiles", []), body)
        self.assertIn("@13800000013", body[body["msgtype"]].get("text", "") +
                      body[body["msgtype"]].get("content", ""))
        # "group" names no person: neither the contact nor the leader is mentioned.
        self.assertNotIn("13800000014", at.get("atMobiles", []))
        self.assertNotIn("13800000002", at.get("atMobiles", []))
        self.assertIn("城建项目E2E", ding[0]["text"])
        self.assertNotIn("社投项目E2E", ding[0]["text"])

        chat = mock.received("wecom", "wk-e2e")
        self.assertEqual(len(chat), 1)
        self.assertIn("<@wk-user-ding>", chat[0]["body"]["markdown"]["content"])
        self.assertIn("社投项目E2E", chat[0]["text"])


class BigBatches(H.E2ETestCase):
    """Hundreds of items and tens to hundreds of people in one step, per
    vendor and format: every part is accepted (the mock enforces each
    vendor's byte limits exactly), every item is listed exactly once, and
    every handler is notified (ids and mobiles in the fields that notify)
    in the part that lists their items or its follow-up, and only there."""

    ITEMS = 200
    # name, type, format, how the app notifies a person
    CHATS = [("wkmd", "wecom", "markdown", "wecom"), ("wktext", "wecom", "text", "wecom"),
             ("dtmd", "dingtalk", "markdown", "dingtalk"), ("dttext", "dingtalk", "text", "dingtalk"),
             ("fscard", "feishu", "card", "feishu"), ("fspost", "feishu", "post", "feishu"),
             ("fstext", "feishu", "text", "feishu")]

    @staticmethod
    def person(i):
        """Person i: a mobile; WeCom ids for even i, DingTalk ids for i % 3 == 0, Feishu ids for all."""
        p = {"id": "p%03d" % i, "name": "承办人%03d" % i, "mobile": "138000%05d" % i,
             "feishu": "ou_e2e_%03d" % i}
        if i % 2 == 0:
            p["wecom"] = "wk_%03d" % i
        if i % 3 == 0:
            p["dingtalk"] = "dt_%03d" % i
        return p

    @staticmethod
    def handle(p, app):
        """How app notifies p: its id there, else (WeCom, DingTalk) the mobile."""
        return p.get(app) or p["mobile"]

    def run_sizes(self, npeople):
        robots = {"wecom": {}, "dingtalk": {}, "feishu": {}}
        channels, groups = [], []
        for name, vendor, fmt, _ in self.CHATS:
            opts = {"per_sec": 0, "per_min": 0} if vendor == "feishu" else {"limit_per_min": 1000}
            if vendor == "dingtalk":
                opts["keywords"] = ["审批"]
            robots[vendor]["k-" + name] = opts
            ch = {"name": name, "type": vendor, "key": "k-" + name, "format": fmt}
            if vendor == "dingtalk":
                ch["keywords"] = ["审批"]
            channels.append(ch)
            groups.append({"name": "组" + name, "leader": "p000", "channel": name,
                           "categories": ["类" + name]})
        people = [self.person(i) for i in range(npeople)]
        org = {"people": people, "groups": groups,
               "departments": [{"name": "投资项目审批科", "level": "city"}]}
        mock = self.start_mock(robots)

        def write(offset):
            return self.write_config(self.config_text(
                mock, channels=channels, extra=org,
                policies=[H.ladder(("reminder", "催办", offset, ["handler"]))]))
        path = write("0s")
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("cannot be @-mentioned", out + err)
        d = self.start_daemon(path)
        csv = os.path.join(self.tmp, "items.csv")
        now = int(time.time())
        handler = {}
        with open(csv, "w", encoding="utf-8") as f:
            f.write("项目编码,项目名称,项目类别,审批事项,承办部门,承办人,承诺时限,受理时间,办结时限\n")
            for name, _, _, _ in self.CHATS:
                for i in range(self.ITEMS):
                    code = "%s-%03d" % (name.upper(), i)
                    handler[code] = people[(i * 7) % npeople]
                    f.write("%s,项目%s,类%s,立项,投资项目审批科,%s,20个工作日,%s,%s\n"
                            % (code, code, name, handler[code]["id"],
                               H.local_time(now - 86400), H.local_time(now + 3600)))
        r = d.ctl("import", csv, timeout=300)
        self.assertEqual(r.rc, 0, r)
        write("-3600s")
        self.assertEqual(d.ctl("reload").rc, 0)
        # The step runs in a thread of its own and status answers while
        # it runs: "nothing queued" means "all sent" only once it is done.
        H.wait_for(lambda: H.db_query(d.database, "SELECT (SELECT count(*) FROM fired)"
                                      " = (SELECT count(*) FROM items)")[0][0] == 1,
                   120 * H.SLOW, "the step to be committed")
        H.wait_for(lambda: d.queue()["queued"] == 0 and
                   len(mock.received()) >= 2 * len(self.CHATS), 180 * H.SLOW,
                   "every part to be delivered")
        self.assertEqual(mock.rejected(), [])
        self.assertEqual(d.status()["queue"]["failed"], 0)
        for name, vendor, fmt, app in self.CHATS:
            with self.subTest(chat=name):
                got = mock.received(vendor, "k-" + name)
                codes = ["%s-%03d" % (name.upper(), i) for i in range(self.ITEMS)]
                # A part, then its follow-up (a message listing no item).
                groups_ = []
                for m in got:
                    listed = [c for c in codes if "项目" + c in (m["text"] or "")]
                    if listed or not groups_:
                        groups_.append([listed, set(m["mentions"])])
                    else:
                        self.assertEqual(m["body"].get("msgtype"), "text", m)
                        groups_[-1][1] |= set(m["mentions"])
                allcodes = [c for listed, _ in groups_ for c in listed]
                self.assertEqual(sorted(allcodes), sorted(codes), "every item exactly once")
                self.assertGreater(len(groups_), 1, "the batch needs several parts")
                for listed, notified in groups_:
                    want = {self.handle(handler[c], app) for c in listed}
                    self.assertEqual(notified, want, "the part notifies its own people")
                if fmt == "post":
                    for m in got:
                        self.assertNotIn("**", json.dumps(m["body"], ensure_ascii=False))

    def test_150_people_200_items(self):
        self.run_sizes(150)

    def test_40_people_200_items(self):
        self.run_sizes(40)


class Unmentionable(H.E2ETestCase):

    def test_person_who_cannot_be_notified_is_a_warning(self):
        org = {"people": [{"id": "p-nofs", "name": "无飞书号", "mobile": "13800000077"}],
               "groups": [{"name": "组", "leader": "p-nofs", "channel": "fs",
                           "categories": ["类"]}]}
        mock = self.start_mock({"feishu": {"t": {}}})
        path = self.write_config(self.config_text(
            mock, channels=[{"name": "fs", "type": "feishu", "key": "t"}], extra=org,
            policies=one_stage(["leader"])))
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out + err, r"escalator\.conf:\d+: person 'p-nofs' \(无飞书号\) cannot be "
                         r"@-mentioned in channel 'fs' \(feishu\).*no 'feishu'")


class SendTest(H.E2ETestCase):

    def test_send_test_reports_the_vendor_answer(self):
        robots = {"dingtalk": {DING_TOKEN: {"secret": DING_SECRET, "keywords": ["审批"]}},
                  "wecom": {"wk-ok": {},
                            "wk-bad": {"fault": {"kind": "errcode", "errcode": 93000}}},
                  "feishu": {FS_TOKEN: {"secret": FS_SECRET}}}
        channels = [{"name": "ding", "type": "dingtalk", "key": DING_TOKEN,
                     "secret": DING_SECRET, "keywords": ["审批"]},
                    {"name": "chat", "type": "wecom", "key": "wk-ok"},
                    {"name": "bad", "type": "wecom", "key": "wk-bad"},
                    {"name": "fs", "type": "feishu", "key": FS_TOKEN, "secret": FS_SECRET}]
        mock, d, _ = self.simple_setup(robots=robots, channels=channels,
                                       policies=one_stage(["chat"]))
        for name, vendor, rid in (("ding", "dingtalk", DING_TOKEN), ("chat", "wecom", "wk-ok"),
                                  ("fs", "feishu", FS_TOKEN)):
            r = d.ctl("send-test", name)
            self.assertEqual(r.rc, 0, r)
            self.assertIn("ok", r.out)
            r = d.ctl("send-test", name, json_out=True)
            self.assertEqual(r.rc, 0, r)
            a = r.json()
            self.assertEqual((a["outcome"], a["code"], a["http_status"]), ("ok", 0, 200), a)
            self.assertEqual(len(mock.received(vendor, rid)), 2, name)

        r = d.ctl("send-test", "bad")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("93000", r.out + r.err)
        a = d.ctl("send-test", "bad", json_out=True)
        self.assertEqual(a.rc, 1, a)
        self.assertEqual(a.json()["code"], 93000)
        self.assertNotEqual(a.json()["outcome"], "ok")
        self.assertNotIn("wk-bad", a.out + r.out + r.err)

        r = d.ctl("send-test", "nosuch")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(mock.rejected("dingtalk"), [])
        self.assertEqual(mock.rejected("feishu"), [])


if __name__ == "__main__":
    unittest.main()
