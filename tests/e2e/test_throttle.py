# test_throttle.py -- end-to-end: one throttle per robot, remembered.  Two
# channel entries naming the same robot share its budget; the sends of the
# last minute survive a restart; send-test goes through the same throttle;
# a bot allowing one message a second never sees two within a second, even
# with several requests to it in flight.  Spacing is measured at the mock
# (tests/mock/mockchat.py), which enforces the vendors' limits and
# DingTalk's 10-minute block (130101).

import concurrent.futures
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

# A report without a schedule, sent by hand: one message per channel and
# call, the quickest way to queue many messages to one robot.
BURST = "burst"


def burst_extra(channels):
    return {"reports": [{"name": BURST, "type": "agenda", "channels": channels}]}


def most_in_a_minute(times):
    """The most requests any 60-second span holds."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 60:
            j += 1
        best = max(best, i - j + 1)
    return best


class SharedRobot(H.E2ETestCase):

    def setup_robot(self, robots, channels, names):
        return self.simple_setup(robots=robots, channels=channels,
                                 policies=[H.default_policy(names[:1])],
                                 extra=burst_extra(names))

    def burst(self, d, n):
        """Queue n hand-sent reports (one message per channel each)."""
        for _ in range(n):
            r = d.ctl("report", BURST, "--send")
            self.assertEqual(r.rc, 0, r)

    def requests(self, mock, vendor, rid):
        return mock.received(vendor, rid) + mock.rejected(vendor, rid)

    def test_two_channels_on_one_dingtalk_robot_share_its_budget(self):
        # The same robot configured as "social" and "social-urgent":
        # 30 messages between them, 20 a minute for the robot, not each.
        robots = {"dingtalk": {"dt-shared": {}}}
        channels = [{"name": "social", "type": "dingtalk", "key": "dt-shared"},
                    {"name": "social-urgent", "type": "dingtalk", "key": "dt-shared"}]
        mock, d, _ = self.setup_robot(robots, channels, ["social", "social-urgent"])
        self.burst(d, 15)
        H.wait_for(lambda: len(mock.received("dingtalk", "dt-shared")) >= 20, 30 * H.SLOW,
                   "the first minute's 20 messages")
        H.wait_for(lambda: len(self.requests(mock, "dingtalk", "dt-shared")) >= 30
                   or mock.rejected(), 120 * H.SLOW, "the other 10 a minute later")
        self.assertEqual(mock.rejected(), [], "the robot was sent more than 20 a minute")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        got = mock.received("dingtalk", "dt-shared")
        self.assertEqual(len(got), 30)
        self.assertLessEqual(most_in_a_minute([m["t"] for m in got]), 20)
        self.assertFalse([e for e in d.log() if e["outcome"] in ("rate-limited", "retry")])
        # One row for the robot, keyed by its hash, never by its key.
        rows = H.db_query(d.database, "SELECT robot, sends FROM throttle")
        self.assertEqual(len(rows), 1, rows)
        self.assertNotIn("dt-shared", rows[0][0])
        self.assertSecretsHidden(d, ["dt-shared"])

    def test_a_restart_in_a_burst_keeps_to_the_limit(self):
        robots = {"dingtalk": {"dt-restart": {}}}
        channels = [{"name": "ding", "type": "dingtalk", "key": "dt-restart"}]
        mock, d, _ = self.setup_robot(robots, channels, ["ding"])
        self.burst(d, 25)
        H.wait_for(lambda: len(mock.received("dingtalk", "dt-restart")) >= 10, 30 * H.SLOW,
                   "half the burst")
        self.assertEqual(d.stop(), 0)
        before = len(self.requests(mock, "dingtalk", "dt-restart"))
        d.start()
        # The restarted daemon sends only what is left of the minute's 20.
        H.wait_for(lambda: d.queue()["queued"] == 0 or mock.rejected(), 120 * H.SLOW,
                   "the rest of the burst a minute later")
        self.assertEqual(mock.rejected(), [], "130101 after a restart: %d requests before it"
                         % before)
        got = mock.received("dingtalk", "dt-restart")
        self.assertGreaterEqual(len(got), 25)
        self.assertLessEqual(most_in_a_minute([m["t"] for m in got]), 20)

    def test_send_test_after_twenty_sends_does_not_block_the_robot(self):
        robots = {"dingtalk": {"dt-prod": {}}}
        channels = [{"name": "ding", "type": "dingtalk", "key": "dt-prod"}]
        mock, d, _ = self.setup_robot(robots, channels, ["ding"])
        self.burst(d, 20)
        H.wait_for(lambda: len(mock.received("dingtalk", "dt-prod")) >= 20, 30 * H.SLOW,
                   "20 production messages")
        H.wait_for(lambda: d.queue()["queued"] == 0, 10, "the queue to drain")
        r = d.ctl("send-test", "ding", json_out=True)
        self.assertEqual(r.rc, 1, r)
        a = r.json()
        self.assertEqual(a["outcome"], "rate-limited", a)
        self.assertRegex(a["message"], r"try again in \d+ s")
        self.assertEqual(a["http_status"], 0, a)
        r = d.ctl("send-test", "ding")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("try again in", r.out)
        self.assertEqual(mock.rejected(), [], "the test message was sent and blocked the robot")
        self.assertEqual(len(mock.received("dingtalk", "dt-prod")), 20)

    def test_feishu_one_a_second_under_load(self):
        # Two channel entries on one bot allowing one message a second, each
        # with its own queue, and send-tests meanwhile: several requests to
        # the bot can be in flight; the first three answers come late.
        robots = {"feishu": {"fs-one": {"per_sec": 1, "per_min": 0,
                                        "fault": {"kind": "stall", "seconds": 0.3,
                                                  "count": 3}}}}
        channels = [{"name": "fs-a", "type": "feishu", "key": "fs-one", "per_second": 1,
                     "per_minute": 0},
                    {"name": "fs-b", "type": "feishu", "key": "fs-one", "per_second": 1,
                     "per_minute": 0}]
        mock, d, _ = self.setup_robot(robots, channels, ["fs-a", "fs-b"])
        self.burst(d, 5)
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            tests = list(ex.map(lambda c: d.ctl("send-test", c, json_out=True),
                                ["fs-a", "fs-b", "fs-a"]))
        H.wait_for(lambda: d.queue()["queued"] == 0 or mock.rejected(), 60 * H.SLOW,
                   "every message")
        self.assertEqual(mock.rejected(), [], "the bot saw two requests within a second")
        outcomes = [t.json()["outcome"] for t in tests]
        for o in outcomes:
            self.assertIn(o, ("ok", "rate-limited"), tests)
        got = mock.received("feishu", "fs-one")
        self.assertEqual(len(got), 10 + outcomes.count("ok"))
        times = sorted(m["t"] for m in got)
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertGreaterEqual(min(gaps), 0.9, gaps)
        self.assertFalse([e for e in d.log() if e["outcome"] in ("rate-limited", "retry")])


if __name__ == "__main__":
    unittest.main()
