# test_endings.py -- end-to-end: the innovation modes' second deadlines
# end on their own events, not with the item.  A 告知承诺 item marked done
# keeps receiving its commitment reminders until verify-pass; verify-fail
# tells the group chat and the task-force head why; a 容缺受理 item's
# supplement reminders stop at `supplied` while its main ladder goes on.
# Reminders repeat every 2 s; that one kind stopped is shown by a
# sentinel that keeps going (never by sleeping).

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

HEAD_MOBILE = "13800000001"

ORG = {
    "head": "p-head",
    "head_channel": "head",
    "people": [{"id": "p-head", "name": "专班负责人", "mobile": HEAD_MOBILE},
               {"id": "p-lead", "name": "社会投资类推进组组长", "mobile": "13800000002"}],
    "groups": [{"name": "社会投资类推进组", "leader": "p-lead", "channel": "chat",
                "categories": ["社会投资类"]}],
}

# The main ladder repeats its 催办 from an hour before the deadline; the
# second deadlines' ladders alike.
REPEATING = [
    H.ladder(("reminder", "催办", "-3600s", ["chat"], {"repeat": "2s"})),
    H.ladder(("supplement", "容缺补正提醒", "-3600s", ["chat"], {"repeat": "2s"}),
             name="supplement", track="supplement"),
    H.ladder(("commitment", "告知承诺核查提醒", "-3600s", ["chat"], {"repeat": "2s"}),
             name="commitment", track="commitment"),
]

# The main ladder far away: only the second deadlines speak.
QUIET_MAIN = [H.ladder(("reminder", "催办", "30d", ["chat"]))] + REPEATING[1:]


def in_an_hour():
    return H.local_time(int(time.time()) + 3600)


class Endings(H.E2ETestCase):

    def setup(self, policies):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}, "dingtalk": {"dt-head": {}}})
        channels = [{"name": "chat", "type": "wecom", "key": self.WECOM_KEY},
                    {"name": "head", "type": "dingtalk", "key": "dt-head"}]
        path = self.write_config(self.config_text(mock, channels, policies, extra=ORG))
        return mock, self.start_daemon(path)

    def add(self, d, project, mode, **opts):
        return d.add_item(project=project, name="施工许可", department="建设工程审批科",
                          category="社会投资类", mode=mode, **opts)

    @staticmethod
    def about(mock, project, title_mark):
        """WeCom messages that list a project, of one kind (a title mark)."""
        return [m for m in mock.received("wecom")
                if project in (m.get("text") or "") and title_mark in (m.get("text") or "")]

    def test_commitment_runs_after_done_until_verify_pass(self):
        mock, d = self.setup(QUIET_MAIN)
        item = self.add(d, "COM-E2E", "告知承诺", deadline="+86400",
                        commitment_deadline=in_an_hour())
        r = d.ctl("item", "done", item["id"], json_out=True)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["item"]["status"], "done")

        # Done, and still reminded of the commitment, again and again.
        H.wait_for(lambda: len(self.about(mock, "COM-E2E", "告知承诺")) >= 2, 60,
                   "two commitment reminders after done")
        r = d.ctl("item", "verify-pass", item["id"], "--note", "现场核查已履约", json_out=True)
        self.assertEqual(r.rc, 0, r)
        shown = r.json()["item"]
        self.assertEqual(shown["commitment_result"], "pass")
        self.assertIsNotNone(shown["commitment_verified_at"])
        self.assertEqual(shown["status"], "done")
        self.assertIn("verified", d.ctl("show", item["id"]).out)
        after = len(self.about(mock, "COM-E2E", "告知承诺"))

        # A sentinel reminded twice more; the verified item never again.
        self.add(d, "SENTINEL", "告知承诺", deadline="+86400", commitment_deadline=in_an_hour())
        H.wait_for(lambda: len(self.about(mock, "SENTINEL", "告知承诺")) >= 2, 60,
                   "two reminders of the sentinel")
        self.assertEqual(len(self.about(mock, "COM-E2E", "告知承诺")), after)
        self.assertTrue([e for e in d.log(item["id"]) if e["outcome"] == "verify-pass"])

        # Twice, or on an item without a commitment: 409 naming the field.
        r = d.ctl("item", "verify-pass", item["id"], json_out=True)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json()["field"], "commitment_result")
        plain = d.add_item(project="PLAIN", deadline="+86400")
        r = d.ctl("item", "verify-fail", plain["id"], "--reason", "x", json_out=True)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json()["field"], "mode")
        self.assertIsNone(d.show(plain["id"])["commitment_result"])

    def test_verify_fail_notifies_group_and_head(self):
        mock, d = self.setup(QUIET_MAIN)
        deadline = in_an_hour()
        item = self.add(d, "FAIL-E2E", "告知承诺", deadline="+86400",
                        commitment_deadline=deadline)
        r = d.ctl("item", "verify-fail", item["id"])
        self.assertNotEqual(r.rc, 0, "verify-fail without a reason must be refused")
        r = d.ctl("item", "verify-fail", item["id"], "--reason", "承诺的消防设施未按期建成",
                  json_out=True)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["item"]["commitment_result"], "fail")

        def notices(vendor):
            return [m for m in mock.received(vendor)
                    if "承诺核查不通过" in (m.get("text") or "")]
        H.wait_for(lambda: notices("wecom") and notices("dingtalk"), 60,
                   "the verify-fail notice in the group chat and the head's")
        for m in notices("wecom") + notices("dingtalk"):
            text = m["text"]
            for want in ("FAIL-E2E", "施工许可", "告知承诺", deadline[:10],
                         "承诺的消防设施未按期建成"):
                self.assertIn(want, text)
        body = json.dumps(notices("dingtalk")[0]["body"], ensure_ascii=False)
        self.assertIn(HEAD_MOBILE, body, "the head is @-mentioned")
        # Its commitment reminders ended with it.
        rows = H.db_query(d.database, "SELECT next_at FROM tracks WHERE item_id = ?"
                          " AND kind = 'commitment'", (item["id"],))
        self.assertEqual(rows, [(0,)])

    def test_supplied_ends_supplement_reminders_not_the_ladder(self):
        mock, d = self.setup(REPEATING)
        item = self.add(d, "SUP-E2E", "容缺受理", deadline=in_an_hour(),
                        supplement_deadline=in_an_hour())
        H.wait_for(lambda: len(self.about(mock, "SUP-E2E", "容缺补正")) >= 1 and
                   len(self.about(mock, "SUP-E2E", "催办")) >= 1, 60,
                   "supplement and main reminders")
        r = d.ctl("item", "supplied", item["id"], json_out=True)
        self.assertEqual(r.rc, 0, r)
        self.assertIsNotNone(r.json()["item"]["supplement_done_at"])
        self.assertEqual(r.json()["item"]["status"], "accepted")
        supp = len(self.about(mock, "SUP-E2E", "容缺补正"))
        main = len(self.about(mock, "SUP-E2E", "催办"))

        # The main ladder goes on (twice more); the supplement's does not.
        H.wait_for(lambda: len(self.about(mock, "SUP-E2E", "催办")) >= main + 2, 60,
                   "two more main reminders after supplied")
        self.assertEqual(len(self.about(mock, "SUP-E2E", "容缺补正")), supp)

        r = d.ctl("item", "supplied", item["id"], json_out=True)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.json()["field"], "supplement_done_at")


if __name__ == "__main__":
    unittest.main()
