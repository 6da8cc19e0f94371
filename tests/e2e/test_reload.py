"""Every reload test (SIGHUP and approval-escalatorctl reload): a broken
file keeps the running configuration and says where it is broken; a fixed
one applies; a reload resumes a channel paused for refused credentials; a
stage already sent is never re-sent; stages a rule change skips are
logged, not fired in a burst; items follow the new rules from their
current stage."""

import re
import signal
import time
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
                     ("interview", "约谈", "+8s", ["chat"], {"rectify": "+60s"}))
        d = self.start_daemon(self.write_config(self.config_text(mock, policies=[a])))
        item = d.add_item(project="RL-1", deadline="+1")
        H.wait_for(lambda: len(self.texts(mock)) == 1, 20, "the reminder")
        # The same reminder plus a new stage before it, already passed.
        b = H.ladder(("early", "早期提醒", "-5s", ["chat"], {"template": "warning"}),
                     ("reminder", "催办", "0s", ["chat"]),
                     ("supervision", "督查", "+6s", ["chat"]),
                     ("interview", "约谈", "+8s", ["chat"], {"rectify": "+60s"}))
        self.reload_to(d, mock, b)
        H.wait_for(lambda: len(self.texts(mock)) >= 3, 30, "supervision and interview")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        self.assertEqual(H.db_query(d.database, "SELECT stage_name, next_at FROM tracks"
                                    " WHERE item_id = ? AND kind = 'main'", (item["id"],)), [("interview", 0)])
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
                     ("interview", "约谈", "+9s", ["chat"], {"rectify": "+60s"}))
        d = self.start_daemon(self.write_config(self.config_text(mock, policies=[a])))
        item = d.add_item(project="RL-2", deadline="+1")
        H.wait_for(lambda: len(self.texts(mock)) == 1, 20, "the reminder")
        # The current stage disappears; a new stage's time has passed.
        b = H.ladder(("check", "核查", "+1s", ["chat"], {"template": "stale"}),
                     ("interview", "约谈", "+9s", ["chat"], {"rectify": "+60s"}))
        due = H.parse_local(d.show(item["id"])["deadline"])
        H.wait_for(lambda: time.time() >= due + 2, 10, "the new stage's time to pass")
        self.reload_to(d, mock, b)
        H.wait_for(lambda: len(self.texts(mock)) >= 2, 30, "the interview")
        # Nothing more can come: the ladder is at its last stage, nothing queued.
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        self.assertEqual(H.db_query(d.database, "SELECT stage_name, next_at FROM tracks"
                                    " WHERE item_id = ? AND kind = 'main'", (item["id"],)), [("interview", 0)])
        texts = self.texts(mock)
        self.assertEqual(len(texts), 2, texts)
        self.assertIn("约谈", texts[1])
        self.assertFalse(any("进展提醒" in t for t in texts), texts)
        log = d.log(item=item["id"])
        self.assertTrue(any(e["outcome"] == "rule-change" for e in log), log)
        self.assertNotIn(("check", "escalated"), [(e["stage"], e["outcome"]) for e in log])



class ReloadConfiguration(H.E2ETestCase):
    """SIGHUP and ctl reload: broken files are refused, fixed ones apply."""

    def test_sighup_with_broken_file_keeps_the_old_configuration(self):
        mock = self.start_mock({"wecom": {"K1": {}, "K2": {}}})
        good = self.config_text(mock)
        path = self.write_config(good)
        d = self.start_daemon(path)
        self.assertEqual(d.status()["last_reload"], "ok")

        # Break the file: an unknown setting in the channel (line known).
        lines = good.splitlines()
        chan = [i for i, ln in enumerate(lines) if 'name = "chat"' in ln][0]
        lines[chan] = lines[chan].replace('type = "wecom";', 'type = "wecom"; colour = "red";')
        self.write_config("\n".join(lines) + "\n")
        d.signal(signal.SIGHUP)
        H.wait_for(lambda: d.status()["last_reload"] == "failed", 10, "the failed reload")
        self.assertTrue(d.running())

        # The old configuration is still in force: the ladder still runs.
        d.add_item(project="HUP-1", deadline="+1")
        H.wait_for(lambda: mock.received("wecom", "K1"), 15, "an escalation after SIGHUP")
        self.assertIn("HUP-1", mock.received("wecom", "K1")[0]["text"])

        # reload through the control tool reports the problem with file:line.
        r = d.ctl("reload")
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.err, r"%s:%d: .*colour" % (re.escape(path), chan + 1))
        r = d.ctl("reload", json_out=True)
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(any(p.startswith("%s:%d:" % (path, chan + 1))
                            for p in r.json()["problems"]), r.out)

        # Fixed, with a second chat added: the reload works and the new rules apply.
        chans = [{"name": "chat", "type": "wecom", "key": "K1"},
                 {"name": "chat2", "type": "wecom", "key": "K2"}]
        self.write_config(self.config_text(mock, channels=chans,
                                           policies=[H.default_policy(to=("chat", "chat2"))]))
        r = d.ctl("reload")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(d.status()["last_reload"], "ok")
        self.assertEqual(sorted(c["name"] for c in d.status()["channels"]), ["chat", "chat2"])
        d.add_item(project="HUP-2", deadline="+1")
        H.wait_for(lambda: [m for m in mock.received("wecom", "K2") if "HUP-2" in m["text"]],
                   15, "a message about the new item to the new chat")


class ReloadResumes(H.E2ETestCase):
    """A channel paused for refused credentials sends again after a reload."""

    KEY = "SeCrEt-93000-wecom-key-7f3a9c1e"

    def test_admin_is_told_and_a_reload_resumes_the_channel(self):
        robots = {"wecom": {self.KEY: {"fault": {"kind": "errcode", "errcode": 93000}},
                            "wk-admin": {}, "wk-new": {}}}
        mock = self.start_mock(robots)
        channels = [{"name": "chat", "type": "wecom", "key": self.KEY},
                    {"name": "admin", "type": "wecom", "key": "wk-admin", "format": "text"}]
        path = self.write_config(self.config_text(mock, channels=channels,
                                                  extra={"admin_channel": "admin"}))
        d = self.start_daemon(path)
        d.add_item(project="AUTH-2", deadline="+1")
        alerts = H.wait_for(lambda: [m["text"] for m in mock.received("wecom", "wk-admin")
                                     if "93000" in m["text"]], 20, "the administrators' alert")
        self.assertIn("chat", alerts[0])
        for m in mock.received("wecom", "wk-admin"):
            self.assertNotIn(self.KEY, m["text"])
        H.wait_for(lambda: [e for e in d.log() if e["stage"] == "supervision"
                            and e["outcome"] == "queued"], 10, "the next stage")

        # The administrator puts the right key in and reloads: the channel
        # sends again, starting with what waited while it was paused.
        channels[0]["key"] = "wk-new"
        self.write_config(self.config_text(mock, channels=channels,
                                           extra={"admin_channel": "admin"}))
        self.assertEqual(d.ctl("reload").rc, 0)
        H.wait_for(lambda: mock.received("wecom", "wk-new"), 10, "delivery after the reload")
        self.assertIn("【督查】", mock.received("wecom", "wk-new")[0]["text"])
        chan = [c for c in d.status()["channels"] if c["name"] == "chat"][0]
        self.assertFalse(chan["paused"])
        self.assertNotIn(self.KEY, d.stderr())


if __name__ == "__main__":
    unittest.main()
