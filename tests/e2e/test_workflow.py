# test_workflow.py -- end-to-end: the approval-item model through the
# control tool: prerequisites, clock stops moving the deadline on the
# working-day calendar, simulate (which must change nothing), and the
# rectification an interview orders.

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

# A ladder nobody reaches during a test: the item model is what is tested here.
FAR = [H.ladder(("reminder", "催办", "30d", ["chat"]))]

WORKDAY_LADDER = [H.ladder(("warning", "临期提醒", "-2wd", ["chat"]),
                           ("reminder", "催办", "0wd", ["chat"]),
                           ("supervision", "督查", "3wd", ["chat"]),
                           ("interview", "约谈", "5wd", ["chat"], {"rectify": "5wd"}))]


class Prerequisites(H.E2ETestCase):

    def test_item_waits_for_its_prerequisite(self):
        mock, d, _ = self.simple_setup(policies=FAR, includes=H.CALENDARS)
        a = d.add_item(project="PRE-1", name="立项", department="投资项目审批科",
                       deadline="+86400")
        self.assertEqual(a["status"], "accepted")
        b = d.add_item(project="PRE-1", name="施工许可", department="建设工程审批科",
                       after=a["id"], limit="5wd")
        self.assertEqual(b["status"], "planned", b)
        self.assertEqual(b["after"], [a["id"]])
        self.assertIsNone(b["deadline"], "a planned item's clock must not run")

        r = d.ctl("item", "accept", b["id"])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("prerequisite", r.err)
        self.assertIn(str(a["id"]), r.err)
        r = d.ctl("item", "accept", b["id"], json_out=True)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(str(a["id"]), r.json()["error"])
        self.assertEqual(d.show(b["id"])["status"], "planned")

        # An explicitly planned item with the same prerequisite behaves alike.
        c = d.add_item(project="PRE-1", name="规划许可", department="建设工程审批科",
                       after=a["id"], limit="5wd", planned=True)
        self.assertEqual(c["status"], "planned")
        self.assertEqual(d.ctl("item", "accept", c["id"]).rc, 1)

        # An unknown prerequisite is refused.
        r = d.ctl("item", "add", "--project", "PRE-1", "--name", "环评", "--department",
                  "投资项目审批科", "--after", "9999", "--limit", "5wd")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("9999", r.err)

        self.assertEqual(d.ctl("item", "done", a["id"]).rc, 0)
        r = d.ctl("item", "accept", b["id"], json_out=True)
        self.assertEqual(r.rc, 0, r)
        b = r.json()["item"]
        self.assertEqual(b["status"], "accepted")
        self.assertIsNotNone(b["accepted_at"])
        self.assertIsNotNone(b["deadline"], "accepting must start the clock")
        self.assertGreater(H.parse_local(b["deadline"]), H.parse_local(b["accepted_at"]))


class ClockStops(H.E2ETestCase):

    def test_suspend_and_resume_move_the_deadline_by_working_days(self):
        mock, d, _ = self.simple_setup(policies=FAR, includes=H.CALENDARS)
        # DOMAIN.md: accepted Thu 2026-09-24, 5 working days -> due Fri 2026-10-09.
        item = d.add_item(project="STOP-1", name="立项", department="投资项目审批科",
                          accepted="2026-09-24 10:00:00", limit="5wd")
        before = d.show(item["id"])
        self.assertEqual(before["deadline"][:10], "2026-10-09", before)

        r = d.ctl("item", "suspend", item["id"], "--reason", "补正材料",
                  "--at", "2026-09-28 09:00:00", json_out=True)
        self.assertEqual(r.rc, 0, r)
        held = r.json()["item"]
        self.assertEqual(held["status"], "suspended")
        self.assertEqual(held["suspended"], "补正材料")
        # Mon 09-28 .. Wed 09-30: the clock stood two working days.
        r = d.ctl("item", "resume", item["id"], "--at", "2026-09-30 09:00:00", json_out=True)
        self.assertEqual(r.rc, 0, r)
        after = d.show(item["id"])
        self.assertEqual(after["status"], "accepted")
        self.assertIsNone(after["suspended"])
        self.assertEqual(after["stopped_workdays"], 2, after)
        # Two working days after Fri 10-09: Sat 10-10 (a make-up working day), Mon 10-12.
        self.assertEqual(after["deadline"], "2026-10-12" + before["deadline"][10:],
                         "before %s, after %s" % (before["deadline"], after["deadline"]))

        # Only a suspended item can be resumed, only an accepted one suspended.
        self.assertEqual(d.ctl("item", "resume", item["id"]).rc, 1)
        self.assertEqual(d.ctl("item", "done", item["id"]).rc, 0)
        self.assertEqual(d.ctl("item", "suspend", item["id"], "--reason", "公示").rc, 1)

    def test_seconds_limit_moves_by_the_time_stopped(self):
        # Stopped and restarted at given times (--at), not by waiting: the
        # deadline moves by exactly the 10 minutes stopped.
        mock, d, _ = self.simple_setup(policies=FAR)
        accepted = int(time.time()) - 1800
        item = d.add_item(project="STOP-2", limit="3600s", accepted=H.local_time(accepted))
        before = H.parse_local(d.show(item["id"])["deadline"])
        self.assertEqual(before, accepted + 3600)
        self.assertEqual(d.ctl("item", "suspend", item["id"], "--reason", "专家评审",
                               "--at", H.local_time(accepted + 100)).rc, 0)
        self.assertEqual(d.ctl("item", "resume", item["id"],
                               "--at", H.local_time(accepted + 700)).rc, 0)
        after = H.parse_local(d.show(item["id"])["deadline"])
        self.assertEqual(after - before, 600, (before, after))


class Events(H.E2ETestCase):

    def test_progress_block_and_retried_events(self):
        mock, d, _ = self.simple_setup(policies=FAR)
        item = d.add_item(project="EV-1", deadline="+86400")
        r = d.ctl("item", "progress", item["id"], "--note", "专家评审会已召开",
                  "--at", "2026-01-05 10:00:00")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(d.show(item["id"])["last_progress_at"], "2026-01-05T10:00:00+08:00")
        self.assertEqual(d.ctl("item", "progress", item["id"]).rc, 2)     # --note required

        r = d.ctl("item", "block", item["id"], "--reason", "用地指标未落实", json_out=True)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["item"]["blocked"], "用地指标未落实")
        self.assertEqual(d.ctl("item", "unblock", item["id"]).rc, 0)
        self.assertIsNone(d.show(item["id"])["blocked"])
        self.assertEqual(d.ctl("item", "unblock", item["id"]).rc, 1)

        # The same event id is applied once: a script may retry safely.
        for _ in range(2):
            r = d.ctl("item", "progress", item["id"], "--note", "重试的进展", "--event-id",
                      "ev-e2e-1")
            self.assertEqual(r.rc, 0, r)
        notes = [e for e in d.log(item=item["id"]) if e["outcome"] == "progress"
                 and e["detail"] == "重试的进展"]
        self.assertEqual(len(notes), 1, d.log(item=item["id"]))
        for _ in range(2):
            r = d.ctl("item", "done", item["id"], "--event-id", "ev-e2e-done")
            self.assertEqual(r.rc, 0, r)
        self.assertEqual(len([e for e in d.log(item=item["id"]) if e["outcome"] == "done"]), 1)
        self.assertEqual(d.ctl("item", "done", item["id"], "--event-id", "ev-e2e-other").rc, 1)


class Simulate(H.E2ETestCase):

    def test_simulate_shows_the_ladder_and_changes_nothing(self):
        mock, d, _ = self.simple_setup(policies=WORKDAY_LADDER, includes=H.CALENDARS)
        day = 86400
        accepted = H.local_time(int(time.time()) + day)[:10] + " 10:00:00"
        until = H.local_time(int(time.time()) + 45 * day)[:10]
        item = d.add_item(project="SIM-1", project_name="模拟项目E2E", name="立项",
                          department="投资项目审批科", accepted=accepted, limit="5wd")
        self.assertEqual(item["status"], "accepted")

        def snapshot():
            return (d.status()["queue"], d.log(),
                    H.db_query(d.database, "SELECT count(*), coalesce(max(id), 0) FROM outbox"),
                    H.db_query(d.database, "SELECT id, stage, rep, next_at FROM tracks"),
                    H.db_query(d.database, "SELECT count(*) FROM fired"))
        before = snapshot()

        r = d.ctl("simulate", "--until", until, json_out=True)
        self.assertEqual(r.rc, 0, r)
        msgs = r.json()["messages"]
        self.assertEqual([m["stage"] for m in msgs],
                         ["warning", "reminder", "supervision", "interview"], msgs)
        times = [H.parse_local(m["at"]) for m in msgs]
        self.assertEqual(times, sorted(times))
        self.assertEqual(len(set(times)), 4, "two stages at the same time: %r" % msgs)
        self.assertTrue(all(m["channel"] == "chat" and item["id"] in m["items"] for m in msgs))
        self.assertTrue(all("模拟项目E2E" in m["text"] for m in msgs))
        deadline = H.parse_local(item["deadline"])
        self.assertLess(times[0], deadline)
        self.assertEqual(times[1], deadline)
        self.assertGreater(times[2], deadline)

        r = d.ctl("simulate", "--until", until)
        self.assertEqual(r.rc, 0, r)
        heads = [ln for ln in r.out.splitlines() if ln and not ln.startswith(" ")]
        labels = [next((x for x in ("临期提醒", "催办", "督查", "约谈") if "  %s  " % x in ln), None)
                  for ln in heads]
        self.assertEqual(labels, ["临期提醒", "催办", "督查", "约谈"], r.out)

        # Nothing was sent, queued, logged or advanced.
        self.assertEqual(snapshot(), before)
        self.assertEqual(mock.received(), [])
        self.assertEqual(d.show(item["id"])["stage"], None)


def cn_time(t):
    """Epoch seconds as a notice states a deadline: "2026年10月20日 18:00"."""
    tm = time.gmtime(t + 8 * 3600)
    return "%d年%d月%d日 %02d:%02d" % (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min)


# 约谈 4 s after the deadline orders rectification within 20 s; the
# rectification deadline has its own ladder: 限期整改提醒 15 s before it,
# 整改逾期提级 1 s after it.
RECTIFY_LADDERS = [H.ladder(("reminder", "催办", "0s", ["chat"]),
                            ("supervision", "督查", "+2s", ["chat"]),
                            ("interview", "约谈", "+4s", ["chat"], {"rectify": "+20s"})),
                   H.ladder(("rectify", "限期整改提醒", "-15s", ["chat"]),
                            ("rectify-escalate", "整改逾期提级", "+1s", ["chat"],
                             {"template": "escalate"}),
                            name="rectify", track="rectify")]


class Rectification(H.E2ETestCase):

    def test_interview_states_the_rectification_deadline_and_its_ladder_follows(self):
        mock, d, _ = self.simple_setup(policies=RECTIFY_LADDERS)
        item = d.add_item(project="RECT-1", project_name="整改项目E2E", deadline="+2")
        self.assertIsNone(item["rectify_deadline"])

        def text_with(mark):
            return next((t for t in H.texts(mock.received()) if mark in t), None)
        H.wait_for(lambda: text_with("【约谈】") is not None, 60, "the interview")
        shown = d.show(item["id"])
        self.assertIsNotNone(shown["rectify_deadline"], shown)
        due = H.parse_local(shown["rectify_deadline"])
        # The deadline is the interview's time plus the stage's 20 s.
        fired = [e for e in d.log(item=item["id"])
                 if e["stage"] == "interview" and e["outcome"] == "escalated"]
        self.assertEqual(len(fired), 1, fired)
        self.assertEqual(due, H.parse_local(fired[0]["at"]) + 20)
        # The 约谈 notice states it.
        interview = text_with("【约谈】")
        self.assertIn("整改项目E2E", interview)
        self.assertIn("限期整改：请于 **%s** 前整改办结" % cn_time(due), interview)

        # The rectification's own ladder: the reminder, before the deadline,
        # stating it, then the escalation.
        H.wait_for(lambda: text_with("【提级】") is not None, 90, "the rectify escalation")
        got = H.texts(mock.received())
        order = [next((m for m in ("【约谈】", "【限期整改】", "【提级】") if m in t), None)
                 for t in got]
        self.assertEqual([m for m in order if m is not None],
                         ["【约谈】", "【限期整改】", "【提级】"], got)
        reminder = text_with("【限期整改】")
        self.assertIn("整改期限 %s" % H.local_time(due)[:16], reminder)
        log = d.log(item=item["id"])
        reminded = [H.parse_local(e["at"]) for e in log
                    if e["stage"] == "rectify" and e["outcome"] == "escalated"]
        self.assertEqual(len(reminded), 1, log)
        self.assertLess(reminded[0], due)
        escalated = [H.parse_local(e["at"]) for e in log
                     if e["stage"] == "rectify-escalate" and e["outcome"] == "escalated"]
        self.assertEqual(len(escalated), 1, log)
        self.assertGreater(escalated[0], due)

        # show and list state the deadline and where its ladder is.
        shown = d.show(item["id"])
        self.assertEqual(H.parse_local(shown["rectify_deadline"]), due)
        self.assertEqual(shown["rectify_stage"], "rectify-escalate")
        self.assertEqual(shown["rectify_stage_label"], "整改逾期提级")
        r = d.ctl("show", item["id"])
        self.assertEqual(r.rc, 0, r)
        # ctl shows the API's RFC 3339 times as the daemon's local time.
        due_text = H.local_time(H.parse_local(shown["rectify_deadline"]))
        self.assertIn("rectify due:    %s" % due_text, r.out)
        self.assertIn("rectify stage:  整改逾期提级 (rectify-escalate)", r.out)
        r = d.ctl("list")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("RECTIFY", r.out.splitlines()[0])
        self.assertIn("%s 整改逾期提级" % due_text[:16], r.out)


if __name__ == "__main__":
    unittest.main()
