# test_outbox.py -- end-to-end: failures are seen and can be undone.  A
# message a chat refuses for good reaches the admin chat as a notice (at
# most one an hour per channel, with counts, the hour kept in the
# database); `outbox` lists what waits or failed, `outbox retry` sends it
# again after a fix; messages left for a channel a reload removed are
# reported and can be moved to another channel or dropped with a reason;
# `report --send --wait` waits for the chat's answer.

import sqlite3
import unittest

from tests.e2e import harness as H

# The admin notices about chat queued so far (the admin chat may get other
# notices, such as the calendar's).
NOTICES = ("SELECT count(*) FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id"
           " WHERE o.channel = 'admin' AND b.title LIKE '%通道 chat%'")

ADMIN = {"name": "admin", "type": "wecom", "key": "wk-admin", "format": "text"}


def one_stage(to=("chat",)):
    return [H.ladder(("reminder", "催办", "0s", list(to)))]


class RefusalsReachTheAdmin(H.E2ETestCase):
    """Two 40058 refusals in a row: one notice, the second in the next."""

    def admin_notices(self, mock):
        return [m["text"] for m in mock.received("wecom", "wk-admin")
                if "【系统告警】通道 chat" in m["text"]]

    def failed(self, d):
        return [e for e in d.log() if e["channel"] == "chat" and e["outcome"] == "failed"]

    def test_notice_once_an_hour_with_counts_then_retry(self):
        robots = {"wecom": {"wk-chat": {"fault": {"kind": "errcode", "errcode": 40058,
                                                  "count": 2}},
                            "wk-admin": {}}}
        mock = self.start_mock(robots)
        channels = [{"name": "chat", "type": "wecom", "key": "wk-chat"}, ADMIN]
        path = self.write_config(self.config_text(mock, channels=channels,
                                                  policies=one_stage(),
                                                  extra={"admin_channel": "admin"}))
        d = self.start_daemon(path)
        first = d.add_item(project="LONG-1", deadline="+1")
        H.wait_for(lambda: len(self.failed(d)) == 1, 20, "the first refusal")
        notices = H.wait_for(lambda: self.admin_notices(mock), 20, "the admin notice")
        self.assertEqual(len(notices), 1)
        self.assertIn("chat", notices[0])
        self.assertIn("1 条消息被拒绝（40058 content too long）", notices[0])
        self.assertIn("首条：【催办】", notices[0])	# the first message's title

        second = d.add_item(project="LONG-2", deadline="+1")
        H.wait_for(lambda: len(self.failed(d)) == 2, 20, "the second refusal")
        # Counted for the next notice, in the same transaction as the
        # refusal: no second notice is queued within the hour.
        self.assertEqual(H.db_query(d.database, "SELECT n FROM failures WHERE"
                                    " channel = 'chat'"), [(1,)])
        self.assertEqual(H.db_query(d.database, NOTICES), [(1,)])

        # A restart does not reset the hour.
        self.assertEqual(d.stop(), 0)
        d.start()
        self.assertEqual(H.db_query(d.database, NOTICES), [(1,)])

        # An hour later (the last notice pre-dated): the second refusal
        # goes in the next notice.
        self.assertEqual(d.stop(), 0)
        con = sqlite3.connect(d.database)
        con.execute("UPDATE notices SET at = at - 3600")
        con.commit()
        con.close()
        d.start()
        notices = H.wait_for(lambda: len(self.admin_notices(mock)) == 2 and
                             self.admin_notices(mock), 20, "the next notice")
        self.assertIn("1 条消息被拒绝（40058 content too long）", notices[1])
        self.assertIn("首条：【催办】", notices[1])
        self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM failures"), [(0,)])

        # outbox lists the failed messages, with filters.
        out = d.ctl_json("outbox")["messages"]
        self.assertEqual([(m["channel"], m["state"], m["code"]) for m in out],
                         [("chat", "failed", 40058)] * 2)
        self.assertTrue(all(m["attempts"] == 1 and m["title"] for m in out), out)
        self.assertNotIn("wk-chat", d.ctl("outbox").out)
        by_item = d.ctl_json("outbox", "--item", second["id"])["messages"]
        self.assertEqual([m["id"] for m in by_item], [out[1]["id"]])
        self.assertEqual(d.ctl_json("outbox", "--state", "queued")["messages"], [])
        sent = d.ctl_json("outbox", "--state", "sent", "--channel", "admin")["messages"]
        self.assertEqual(len([m for m in sent if "通道 chat" in m["title"]]), 2, sent)
        page = d.ctl_json("outbox", "--limit", "1")
        self.assertEqual([m["id"] for m in page["messages"]], [out[0]["id"]])
        self.assertEqual(page["next_after"], out[0]["id"])
        page2 = d.ctl_json("outbox", "--limit", "1", "--after", page["next_after"])
        self.assertEqual([m["id"] for m in page2["messages"]], [out[1]["id"]])
        table = d.ctl("outbox")
        self.assertEqual(table.rc, 0, table)
        self.assertIn("40058", table.out)
        r = d.ctl("outbox", "--state", "bogus")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("state", r.err)

        # The fault is used up (the "fix"): retry delivers both.
        r = d.ctl("outbox", "retry", "--channel", "chat")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("requeued 2", r.out)
        got = H.wait_for(lambda: len(mock.received("wecom", "wk-chat")) == 2 and
                         mock.received("wecom", "wk-chat"), 20, "delivery after retry")
        self.assertIn("LONG-1", got[0]["text"])
        self.assertIn("LONG-2", got[1]["text"])
        requeued = [e for e in d.log() if e["outcome"] == "requeued"]
        self.assertEqual(len(requeued), 2)
        self.assertIn("by ctl", requeued[0]["detail"])
        H.wait_for(lambda: d.ctl_json("outbox")["messages"] == [], 10, "an empty outbox")
        self.assertEqual(d.ctl("outbox", "retry").rc, 2)	# usage: what to retry
        self.assertEqual(first["project"], "LONG-1")

        # report --send only queues; --wait waits for the answer.
        r = d.ctl("report", "bulletin", "--send", "--wait", "--timeout", "30")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("queued", r.out)
        self.assertIn("sent", r.out)
        # The admin chat itself refuses: the answer says so, and the
        # failure is logged, never told to the admin chat in a loop.
        mock.fault("wecom", "wk-admin", {"kind": "errcode", "errcode": 40058, "count": 1})
        r = d.ctl("report", "bulletin", "--send", "--wait", "--timeout", "30")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("failed (40058", r.out)
        self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM failures"), [(0,)])
        self.assertIn("not told to itself", d.stderr())


class OrphanedMessages(H.E2ETestCase):
    """A reload removes a channel with messages waiting: they are reported,
    moved to another channel or dropped with a logged reason."""

    def test_move_and_drop(self):
        robots = {"wecom": {"wk-a": {"fault": {"kind": "http", "status": 502}},
                            "wk-b": {},
                            "wk-c": {"fault": {"kind": "http", "status": 502}}}}
        mock = self.start_mock(robots)
        old = [{"name": "chat", "type": "wecom", "key": "wk-a"},
               {"name": "other", "type": "wecom", "key": "wk-c"}]
        path = self.write_config(self.config_text(mock, channels=old,
                                                  policies=one_stage(("chat", "other"))))
        d = self.start_daemon(path)
        d.add_item(project="ORPHAN-1", deadline="+1")
        H.wait_for(lambda: len([e for e in d.log() if e["outcome"] == "retry"]) >= 2,
                   20, "both chats failing for now")

        # chat is renamed chat2 (with a working robot), other is removed.
        new = [{"name": "chat2", "type": "wecom", "key": "wk-b"}]
        self.write_config(self.config_text(mock, channels=new,
                                           policies=one_stage(("chat2",))))
        r = d.ctl_json("reload")
        self.assertEqual(r["orphaned"], [{"channel": "chat", "queued": 1},
                                         {"channel": "other", "queued": 1}])
        text = d.ctl("reload")
        self.assertIn("wait for channel 'chat'", text.out)
        st = d.status()
        self.assertEqual(st["orphaned"], r["orphaned"])
        self.assertTrue([w for w in st["warnings"] if "'other'" in w], st["warnings"])
        listed = d.ctl_json("outbox", "--channel", "chat")["messages"]
        self.assertEqual(len(listed), 1)
        self.assertFalse(listed[0]["channel_known"])
        # The daemon neither crashes nor spins on them.
        self.assertTrue(d.running())

        r = d.ctl("outbox", "move", "--from", "chat", "--to", "nowhere")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("to", r.err)
        r = d.ctl("outbox", "move", "--from", "chat", "--to", "chat2")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("moved 1", r.out)
        got = H.wait_for(lambda: mock.received("wecom", "wk-b"), 20, "the moved message")
        self.assertIn("ORPHAN-1", got[0]["text"])

        r = d.ctl("outbox", "drop", "--channel", "other")
        self.assertEqual(r.rc, 2, r)		# --reason is required
        r = d.ctl("outbox", "drop", "--channel", "other", "--reason", "专班群已解散")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("dropped 1", r.out)
        dropped = [e for e in d.log() if e["outcome"] == "dropped"]
        self.assertEqual(len(dropped), 1)
        self.assertIn("专班群已解散", dropped[0]["detail"])
        self.assertIn("by ctl", dropped[0]["detail"])
        self.assertEqual(d.ctl_json("outbox", "--state", "dropped")["messages"][0]["error"],
                         "专班群已解散")
        st = d.status()
        self.assertEqual(st["orphaned"], [])
        self.assertFalse([w for w in st["warnings"] if "no longer has" in w])


if __name__ == "__main__":
    unittest.main()
