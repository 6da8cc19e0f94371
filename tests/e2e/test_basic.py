# test_basic.py -- end-to-end: configuration check, the escalation ladder,
# completion, refused credentials, bad input and shutdown, with the
# real daemon, the real control tool and the mock chat server.  Every
# reload test is in test_reload.py.

import json
import os
import re
import socket
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


STAGE_LABELS = ["催办", "督查", "约谈"]


def stage_of(text):
    """Which of the ladder's stages a message is, by its bracketed label."""
    found = [label for label in STAGE_LABELS + ["办结"] if "【%s】" % label in text]
    return found[0] if len(found) == 1 else None


class ConfigCheck(H.E2ETestCase):
    """approval-escalatord -t."""

    def test_shipped_configuration_is_refused_only_for_its_placeholders(self):
        # Valid rules whose chat keys are PLACEHOLDERs: -t names each of
        # them (test_placeholders.py) and nothing else.
        rc, out, err = H.check_config(os.path.join(H.RULES, "approval-escalatord.conf"))
        self.assertEqual(rc, 1, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 7, err)
        for line in lines:
            self.assertRegex(line, r"channels\.conf:\d+: channel '\w+': .* placeholder")

    def test_generated_configuration_is_accepted(self):
        mock = self.start_mock({"wecom": {"K1": {}}})
        path = self.write_config(self.config_text(mock))
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK", out)

    def test_calendar_included_by_relative_path(self):
        mock = self.start_mock({"wecom": {"K1": {}}})
        path = self.write_config(self.config_text(mock, includes=H.CALENDARS))
        with open(path, encoding="utf-8") as f:
            self.assertIn('@include "../', f.read())
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 0, err)

    def test_calendar_included_by_absolute_path(self):
        # approval-escalatord.conf(5): an @include is relative to the main
        # file's directory; an absolute path names the file itself.
        mock = self.start_mock({"wecom": {"K1": {}}})
        text = self.config_text(mock)
        text = "".join('@include "%s"\n' % c for c in H.CALENDARS) + text
        path = self.write_config(text)
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 0, "absolute @include refused:\n" + err)
        self.assertIn("configuration OK", out)

    def broken(self, lines):
        """Write a configuration from lines; return its path."""
        return self.write_config("\n".join(lines) + "\n", name="broken.conf")

    def head(self):
        return ['database = "%s/t.db";' % self.tmp,            # line 1
                'socket = "%s/ctl.sock";' % self.tmp,          # line 2
                'templates = "%s";' % H.TEMPLATES]             # line 3

    def assertProblem(self, err, path, line, *words):
        """err has a line "path:line: ..." containing every word."""
        pat = re.compile(r"^%s:%d: (.*)$" % (re.escape(path), line), re.M)
        msgs = pat.findall(err)
        self.assertTrue(msgs, "no %s:%d: problem in:\n%s" % (path, line, err))
        self.assertTrue(any(all(w in m for w in words) for m in msgs),
                        "no problem at line %d mentions %s:\n%s" % (line, words, err))

    def test_unknown_key_is_rejected_with_file_and_line(self):
        path = self.broken(self.head() + [
            'channels = (',                                                       # 4
            '  { name = "chat"; type = "wecom"; key = "K1";',                     # 5
            '    colour = "red"; }',                                              # 6
            ');',
            'policies = ( { name = "default"; stages = (',
            '  { name = "reminder"; label = "催办"; offset = "0s"; to = [ "chat" ]; } ); } );'])
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 1, out + err)
        self.assertNotIn("configuration OK", out)
        self.assertProblem(err, path, 6, "colour")

    def test_interview_rectification(self):
        # The shipped 约谈 notice states {rectify_deadline}: a stage without
        # "rectify" using it is refused at the stage's line; with it and no
        # rectify policy to escalate that deadline, a warning at the same line.
        def conf(rectify, rest=""):
            return self.broken(self.head() + [
                'channels = ( { name = "chat"; type = "wecom"; key = "K1"; } );',  # 4
                'policies = ( { name = "default"; stages = (',                     # 5
                '  { name = "interview"; label = "约谈"; offset = "5wd";',          # 6
                '    to = [ "chat" ]; %s } ); }%s );' % (rectify, rest)])
        path = conf("")
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 1, out + err)
        self.assertProblem(err, path, 6, "interview.tmpl", "{rectify_deadline}", "'rectify'")
        path = conf('rectify = "5wd";')
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("warning: %s:6: stage 'interview' of policy 'default' sets 'rectify', "
                      "but no policy has track 'rectify'" % path, err)
        path = conf('rectify = "5wd";', ', { name = "r"; track = "rectify"; stages = ( '
                    '{ name = "rectify"; label = "限期整改提醒"; offset = "-2wd"; to = [ "chat" ]; } ); }')
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("warning", err)

    def test_dangling_channel_is_rejected_with_file_and_line(self):
        path = self.broken(self.head() + [
            'channels = ( { name = "chat"; type = "wecom"; key = "K1"; } );',      # 4
            'policies = (',                                                       # 5
            '  { name = "default"; stages = (',                                   # 6
            '    { name = "reminder"; label = "催办"; offset = "0s"; to = [ "chat" ]; },',
            '    { name = "supervision"; label = "督查"; offset = "+2s";',          # 8
            '      to = [ "chat", "nosuch" ]; } ); } );'])                        # 9
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 1, out + err)
        self.assertNotIn("configuration OK", out)
        found = [ln for ln in (8, 9) if re.search(r"^%s:%d: .*nosuch" % (re.escape(path), ln),
                                                  err, re.M)]
        self.assertTrue(found, "no %s:8/9: problem naming 'nosuch' in:\n%s" % (path, err))

    def test_every_problem_is_reported(self):
        path = self.broken(self.head() + [
            'channels = ( { name = "chat"; type = "wecom"; key = "K1"; colour = "red"; } );',  # 4
            'policies = ( { name = "default"; stages = (',                                     # 5
            '  { name = "reminder"; label = "催办"; offset = "0s"; to = [ "nosuch" ]; } ); } );'])  # 6
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 1, out + err)
        self.assertProblem(err, path, 4, "colour")
        self.assertProblem(err, path, 6, "nosuch")


class TcpApi(H.E2ETestCase):
    """The HTTP API on a TCP address, an IPv6 one in brackets included."""

    def test_ipv6_listen_address_in_brackets(self):
        try:
            s = socket.socket(socket.AF_INET6)
            s.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback here")
        port = s.getsockname()[1]
        s.close()
        self.simple_setup(extra={"listen": "[::1]:%d" % port,
                                 "api_token": "e2e-token-123456"})
        req = urllib.request.Request(
            "http://[::1]:%d/v1/status" % port,
            headers={"Authorization": "Bearer e2e-token-123456"})
        with urllib.request.urlopen(req, timeout=10) as r:
            status = json.load(r)
        self.assertIn("accepted", status["items"])


class Ladder(H.DueTogether, H.E2ETestCase):
    """Stages fire in order, each one message, each logged."""

    def test_three_stages_in_order(self):
        mock, d, _ = self.simple_setup()
        item = d.add_item(project="LADDER-1", deadline="+2", handler="张三")
        self.assertEqual(item["status"], "accepted")
        H.wait_for(lambda: len(mock.received()) >= 3, 20, "three messages")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        # Nothing more may come: the ladder is at its last stage and has
        # no next time, and no other message is queued.
        self.assertEqual(H.db_query(d.database, "SELECT stage_name, next_at FROM tracks"
                                    " WHERE item_id = ? AND kind = 'main'", (item["id"],)), [("interview", 0)])
        got = mock.received()
        self.assertEqual([stage_of(t) for t in H.texts(got)], STAGE_LABELS,
                         "messages: %r" % H.texts(got))
        for m in got:
            self.assertEqual((m["vendor"], m["id"]), ("wecom", self.WECOM_KEY))
            self.assertIn("LADDER-1", m["text"])
        self.assertEqual(mock.rejected(), [])

        log = d.log()
        for stage in ("reminder", "supervision", "interview"):
            outcomes = [e["outcome"] for e in log if e["stage"] == stage]
            self.assertIn("escalated", outcomes, "%s: %r" % (stage, log))
            self.assertTrue([e for e in log if e["stage"] == stage and e["outcome"] == "queued"
                             and e["item_id"] == item["id"] and e["channel"] == "chat"],
                            "%s not queued for chat: %r" % (stage, log))
            self.assertEqual([e["outcome"] for e in log if e["stage"] == stage
                              and e["channel"] == "chat" and e["outcome"] == "sent"], ["sent"],
                             "%s: %r" % (stage, log))
        # The log is in order: escalated before queued before sent, stage by stage.
        order = [(e["stage"], e["outcome"]) for e in log
                 if e["outcome"] in ("escalated", "queued", "sent")]
        self.assertEqual(order, [(s, o) for s in ("reminder", "supervision", "interview")
                                 for o in ("escalated", "queued", "sent")])
        st = d.status()
        self.assertEqual(st["queue"], {"queued": 0, "sent": 3, "failed": 0})
        self.assertEqual(d.show(item["id"])["stage"], "interview")

    def test_item_log_shows_the_delivery(self):
        # docs/API.md: the log holds every message queued, sent or failed;
        # "log --item ID" is how one finds out whether an item's reminder
        # went out (its example is a "sent" entry of item 12).
        mock, d, _ = self.simple_setup(policies=[H.ladder(("reminder", "催办", "0s", ["chat"]))])
        item = d.add_item(project="ITEMLOG-1", deadline="+1")
        H.wait_for(lambda: mock.received(), 15, "the message")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        outcomes = [(e["stage"], e["outcome"]) for e in d.log(item=item["id"])]
        self.assertIn(("reminder", "queued"), outcomes)
        self.assertIn(("reminder", "sent"), outcomes,
                      "log --item %d does not say the reminder was sent: %r"
                      % (item["id"], outcomes))

    def test_grouped_message_is_logged_once_and_in_every_items_history(self):
        # Items due together go out in one message: the log has one queued
        # and one sent entry for it (saying how many items it lists), and
        # each item's history shows both, under the item's own id.
        # Due together however slowly they are added: see H.DueTogether.
        mock, d, fire = self.start_group({"wecom": {self.WECOM_KEY: {}}}, None, ["chat"])
        items = fire([{"project": "GROUP-%d" % i} for i in range(3)])
        H.wait_for(lambda: mock.received(), 15, "the message")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        self.assertEqual(len(mock.received()), 1, H.texts(mock.received()))
        log = d.log()
        escalated = [e for e in log if e["outcome"] == "escalated"]
        self.assertEqual(sorted(e["item_id"] for e in escalated), sorted(i["id"] for i in items))
        for outcome in ("queued", "sent"):
            rows = [e for e in log if e["outcome"] == outcome and e["stage"] == "reminder"]
            self.assertEqual(len(rows), 1, log)
            self.assertIn("3 items", rows[0]["detail"])
            self.assertFalse(rows[0]["item_id"], rows[0])
        for it in items:
            hist = d.log(item=it["id"])
            self.assertEqual([e["outcome"] for e in hist if e["outcome"] in
                              ("escalated", "queued", "sent")],
                             ["escalated", "queued", "sent"], hist)
            self.assertTrue(all(e["project"] == it["project"] for e in hist), hist)
            self.assertTrue(all(e["item_id"] == it["id"] for e in hist), hist)

    def test_cancel_before_the_deadline_sends_nothing(self):
        mock, d, _ = self.simple_setup()
        item = d.add_item(project="CANCEL-1", deadline="+2")
        r = d.ctl("item", "cancel", item["id"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(d.show(item["id"])["status"], "cancelled")
        # A later item due after the cancelled one's last stage (+2 +4 s):
        # once its reminder is out, every time of the cancelled ladder has
        # passed, however slow the machine.
        d.add_item(project="CANCEL-LATER", deadline="+7")
        H.wait_for(lambda: mock.received(), 30, "the later item's reminder")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        got = H.texts(mock.received())
        self.assertEqual(len(got), 1, got)
        self.assertIn("CANCEL-LATER", got[0])
        self.assertNotIn("CANCEL-1", got[0])
        item_log = d.log(item=item["id"])
        self.assertFalse([e for e in item_log if e["outcome"] in ("escalated", "queued")],
                         item_log)
        self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM fired WHERE item_id = ?",
                                    (item["id"],)), [(0,)])
        self.assertEqual(d.ctl("item", "done", item["id"]).rc, 1)

    def test_done_stops_the_ladder_and_sends_a_closing_notice(self):
        mock, d, _ = self.simple_setup()
        item = d.add_item(project="DONE-1", deadline="+2")
        H.wait_for(lambda: mock.received(), 20, "the first message")
        r = d.ctl("item", "done", item["id"])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(d.show(item["id"])["status"], "done")
        H.wait_for(lambda: len(mock.received()) >= 2, 10, "the closing notice")
        # A later item due after the interview time (deadline +4 s): once
        # its reminder is out, the supervision and interview times have
        # passed, however slow the machine.
        later = H.local_time(H.parse_local(d.show(item["id"])["deadline"]) + 5)
        d.add_item(project="DONE-LATER", deadline=later)
        H.wait_for(lambda: [t for t in H.texts(mock.received()) if "DONE-LATER" in t], 30,
                   "the later item's reminder")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        got = [t for t in H.texts(mock.received()) if "DONE-LATER" not in t]
        self.assertEqual([stage_of(t) for t in got], ["催办", "办结"], "messages: %r" % got)
        self.assertIn("DONE-1", got[1])
        log = d.log()
        self.assertFalse([e for e in log if e["stage"] in ("supervision", "interview")
                          and e["item_id"] == item["id"]],
                         "later stages fired after done: %r" % log)
        self.assertTrue([e for e in log if e["stage"] == "done" and e["outcome"] == "sent"], log)


class RefusedCredentials(H.E2ETestCase):
    """A robot answering 93000: failed, channel paused, and the key stays secret."""

    KEY = "SeCrEt-93000-wecom-key-7f3a9c1e"

    def test_invalid_key_fails_pauses_and_never_leaks(self):
        mock = self.start_mock({"wecom": {self.KEY: {"fault": {"kind": "errcode",
                                                                "errcode": 93000}}}})
        path = self.write_config(self.config_text(
            mock, channels=[{"name": "chat", "type": "wecom", "key": self.KEY}]))
        d = self.start_daemon(path)
        item = d.add_item(project="AUTH-1", deadline="+1")
        H.wait_for(lambda: [e for e in d.log() if e["outcome"] == "paused"], 20,
                   "the channel to be paused")
        log = d.log()
        failed = [e for e in log if e["outcome"] == "failed" and e["channel"] == "chat"]
        self.assertTrue(failed, log)
        self.assertIn("93000", failed[0]["detail"])
        self.assertFalse([e for e in log if e["outcome"] == "sent"], log)
        self.assertEqual(mock.received(), [])
        self.assertEqual([r["code"] for r in mock.rejected()][:1], [93000])

        st = d.status()
        self.assertEqual(st["queue"]["failed"], 1, st)
        self.assertEqual(st["queue"]["sent"], 0, st)
        chan = [c for c in st["channels"] if c["name"] == "chat"][0]
        self.assertTrue(chan["paused"], st)
        rows = H.db_query(d.database, "SELECT status, code FROM outbox")
        self.assertEqual(rows, [("failed", 93000)])

        # The next stage is queued but not sent to a paused channel.
        H.wait_for(lambda: [e for e in d.log() if e["stage"] == "supervision"
                            and e["outcome"] == "queued"], 10, "the next stage")
        self.assertEqual(len(mock.rejected()), 1, mock.rejected())
        self.assertGreaterEqual(d.queue()["queued"], 1)
        # Never tried: the paused channel's message has no attempt on record.
        self.assertEqual(H.db_query(d.database, "SELECT stage, status, attempts FROM outbox"
                                    " WHERE stage = 'supervision'"),
                         [("supervision", "queued", 0)])

        # The key is in no answer and no log line.
        outputs = {
            "status --json": d.ctl("status", json_out=True).out,
            "log --json": d.ctl("log", "--limit", "1000", json_out=True).out,
            "status": d.ctl("status").out,
            "log": d.ctl("log", "--limit", "1000").out,
            "show --json": d.ctl("show", item["id"], json_out=True).out,
            "list --json": d.ctl("list", json_out=True).out,
        }
        for name, text in outputs.items():
            self.assertNotIn(self.KEY, text, "key in %s" % name)
            self.assertNotIn(self.KEY[:16], text, "part of the key in %s" % name)
        d.stop()
        self.assertNotIn(self.KEY, d.stderr())
        self.assertNotIn(self.KEY[:16], d.stderr())


class BadInput(H.E2ETestCase):
    """Errors of the control tool: local checks (2), daemon errors (1), unreachable (3)."""

    def test_impossible_date_is_refused_locally(self):
        mock, d, _ = self.simple_setup()
        r = d.ctl("item", "add", "--project", "P", "--name", "立项", "--department", "D",
                  "--deadline", "2026-02-30 10:00:00")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("2026-02-30", r.err)
        r = d.ctl("item", "add", "--project", "P", "--name", "立项", "--department", "D",
                  "--deadline", "2026-02-30")
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(d.ctl_json("list")["items"], [])

    def test_unknown_item(self):
        mock, d, _ = self.simple_setup()
        r = d.ctl("show", "999")
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.err, r"no such item|no item 999", r)
        r = d.ctl("show", "999", json_out=True)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("error", r.json())
        r = d.ctl("item", "done", "999")
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.err, r"no such item|no item 999", r)

    def test_done_twice(self):
        mock, d, _ = self.simple_setup()
        item = d.add_item(project="TWICE", deadline="+3600")
        r = d.ctl("item", "done", item["id"])
        self.assertEqual(r.rc, 0, r)
        r = d.ctl("item", "done", item["id"])
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.err.strip(), "no message for a refused event")
        self.assertIn("done", r.err)
        r = d.ctl("item", "done", item["id"], json_out=True)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("error", r.json())

    def test_missing_required_option_is_a_usage_error(self):
        mock, d, _ = self.simple_setup()
        r = d.ctl("item", "add", "--project", "P", "--name", "立项")
        self.assertEqual(r.rc, 2, r)
        r = d.ctl("item", "suspend", "1")
        self.assertEqual(r.rc, 2, r)

    def test_unreachable_daemon(self):
        r = H.Daemon("x", os.path.join(self.tmp, "nosuch.sock"), "x", self.tmp).ctl("status")
        self.assertEqual(r.rc, 3, r)


class Stop(H.E2ETestCase):
    """SIGTERM: a clean exit that keeps what was not answered.  (Reload: test_reload.py.)"""

    def test_sigterm_during_a_stalled_send_keeps_the_message(self):
        robots = {"wecom": {"K1": {"fault": {"kind": "stall", "seconds": 60, "count": 1}}}}
        mock, d, _ = self.simple_setup(
            robots=robots, policies=[H.ladder(("reminder", "催办", "0s", ["chat"]))],
            channels=[{"name": "chat", "type": "wecom", "key": "K1", "timeout": 120}])
        d.add_item(project="TERM-1", deadline="+1")
        H.wait_for(lambda: d.status()["queue"]["queued"] == 1 and
                   [e for e in d.log() if e["outcome"] == "queued"], 10, "the queued message")
        # The request has reached the mock (its one stall is used up) and hangs there.
        H.wait_for(lambda: mock.fault_left("wecom", "K1") is None, 20, "the stalled request")
        self.assertEqual(mock.received(), [])
        t = time.monotonic()
        rc = d.stop()
        self.assertEqual(rc, 0, d.stderr())
        self.assertLess(time.monotonic() - t, 30 * H.SLOW)
        self.assertFalse(os.path.exists(d.socket))
        rows = H.db_query(d.database, "SELECT status FROM outbox")
        self.assertEqual(rows, [("queued",)], "an unanswered message must stay queued")
        # Started again, it delivers the message.
        d.start()
        H.wait_for(lambda: mock.received(), 15, "delivery after the restart")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        self.assertEqual(d.queue(), {"queued": 0, "sent": 1, "failed": 0})

    def test_sigterm_exits_zero_and_removes_the_socket(self):
        mock, d, _ = self.simple_setup()
        self.assertTrue(os.path.exists(d.socket))
        rc = d.stop()
        self.assertEqual(rc, 0, d.stderr())
        self.assertFalse(os.path.exists(d.socket))
        # Started again on the same database, it serves again.
        d.start()
        self.assertEqual(d.status()["queue"]["queued"], 0)


if __name__ == "__main__":
    unittest.main()
