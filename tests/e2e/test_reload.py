"""Reload semantics: a stage already sent is never re-sent; stages a rule
change skips are logged, not fired in a burst; items follow the new rules
from their current stage."""

import unittest

from tests.e2e import harness as H


class ReloadSemantics(H.E2ETestCase):

    def texts(self, mock):
        return [m["text"] for m in mock.received("wecom", self.WECOM_KEY)]

    def reload_to(self, d, mock, policy):
        self.write_config(self.config_text(mock, policies=[policy]))
        r = d.ctl("reload")
        self.assertEqual(r.rc, 0, r)

    def test_sent_stage_not_resent_and_inserted_stage_not_fired(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        a = H.ladder(("reminder", "催办", "0s", ["chat"]),
                     ("supervision", "督查", "+6s", ["chat"]),
                     ("interview", "约谈", "+8s", ["chat"]))
        d = self.start_daemon(self.write_config(self.config_text(mock, policies=[a])))
        item = d.add_item(project="RL-1", deadline="+1")
        H.wait_for(lambda: len(self.texts(mock)) == 1, 20, "the reminder")
        # The same reminder plus a new stage before it, already passed.
        b = H.ladder(("early", "早期提醒", "-5s", ["chat"], {"template": "warning"}),
                     ("reminder", "催办", "0s", ["chat"]),
                     ("supervision", "督查", "+6s", ["chat"]),
                     ("interview", "约谈", "+8s", ["chat"]))
        self.reload_to(d, mock, b)
        H.wait_for(lambda: len(self.texts(mock)) >= 3, 30, "supervision and interview")
        texts = self.texts(mock)
        self.assertEqual(len(texts), 3, texts)
        self.assertIn("催办", texts[0])
        self.assertIn("督查", texts[1])
        self.assertIn("约谈", texts[2])
        self.assertFalse(any("临期提醒" in t for t in texts), texts)
        outcomes = [(e["stage"], e["outcome"]) for e in d.log(item=item["id"])]
        self.assertEqual(outcomes.count(("reminder", "escalated")), 1, outcomes)
        self.assertNotIn(("early", "escalated"), outcomes)

    def test_removed_current_stage_skips_passed_stages_with_a_log(self):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        a = H.ladder(("reminder", "催办", "0s", ["chat"]),
                     ("interview", "约谈", "+9s", ["chat"]))
        d = self.start_daemon(self.write_config(self.config_text(mock, policies=[a])))
        item = d.add_item(project="RL-2", deadline="+1")
        H.wait_for(lambda: len(self.texts(mock)) == 1, 20, "the reminder")
        # The current stage disappears; a new stage's time has passed.
        b = H.ladder(("check", "核查", "+1s", ["chat"], {"template": "stale"}),
                     ("interview", "约谈", "+9s", ["chat"]))
        import time
        time.sleep(1.5)
        self.reload_to(d, mock, b)
        H.wait_for(lambda: len(self.texts(mock)) >= 2, 30, "the interview")
        time.sleep(1)
        texts = self.texts(mock)
        self.assertEqual(len(texts), 2, texts)
        self.assertIn("约谈", texts[1])
        self.assertFalse(any("进展提醒" in t for t in texts), texts)
        log = d.log(item=item["id"])
        self.assertTrue(any(e["outcome"] == "rule-change" for e in log), log)
        self.assertNotIn(("check", "escalated"), [(e["stage"], e["outcome"]) for e in log])


if __name__ == "__main__":
    unittest.main()
