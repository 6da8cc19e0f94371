#!/usr/bin/env python3
"""The daemon's side of the sd_notify protocol, checked against the real
binary: the test owns the NOTIFY_SOCKET datagram socket that systemd would
own, starts approval-escalatord with a generated configuration and checks
READY/STATUS/WATCHDOG/RELOADING/STOPPING arrive when they should.

    python3 tests/system/test_notify.py        (ESCALATOR_BIN_DIR=build)
"""
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.path.join(TOP, os.environ.get("ESCALATOR_BIN_DIR", "build"))
DAEMON = os.path.join(BIN_DIR, "approval-escalatord")
TEMPLATES = os.path.join(TOP, "rules", "templates")

WATCHDOG_USEC = 2000000		# the daemon pings every second
START_TIMEOUT = 15.0		# generous: the suite also runs under ASan

CONFIG = """\
database = "{dir}/escalator.db";
socket = "{dir}/control.sock";
templates = "{templates}";
channels = (
	{{ name = "hook"; type = "webhook"; url = "http://127.0.0.1:9/hook"; }}
);
policies = (
	{{ name = "default";
	   stages = ( {{ name = "reminder"; label = "Reminder"; offset = "0s";
	                to = [ "hook" ]; }} ); }}
);
"""


class NotifyProtocol(unittest.TestCase):
    """Each test starts its own daemon with a private directory."""

    def setUp(self):
        if not os.access(DAEMON, os.X_OK):
            self.fail("%s is not built (set ESCALATOR_BIN_DIR)" % DAEMON)
        self.dir = tempfile.mkdtemp(prefix="escnotify.")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.conf = os.path.join(self.dir, "approval-escalatord.conf")
        self.ctlsock = os.path.join(self.dir, "control.sock")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONFIG.format(dir=self.dir, templates=TEMPLATES))

        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.addCleanup(self.notify.close)
        self.msgs = []		# (monotonic time, {key: value}) received

        env = {k: v for k, v in os.environ.items()
               if k not in ("JOURNAL_STREAM", "APPROVAL_ESCALATOR_CONFIG",
                            "LISTEN_FDS", "LISTEN_PID", "WATCHDOG_PID")}
        env["NOTIFY_SOCKET"] = self.notify_path
        env["WATCHDOG_USEC"] = str(WATCHDOG_USEC)
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.log = open(self.log_path, "wb")
        self.addCleanup(self.log.close)
        # sd_watchdog_enabled() wants WATCHDOG_PID to be the daemon's pid:
        # the shell sets it to its own and then becomes the daemon.
        self.proc = subprocess.Popen(
            ["sh", "-c", 'WATCHDOG_PID=$$ exec "$0" -f "$1"', DAEMON,
             self.conf],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_daemon)

    def stop_daemon(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace")

    def recv(self, timeout):
        """One datagram as {key: value}, or None after timeout seconds."""
        self.notify.settimeout(max(timeout, 0.001))
        try:
            data = self.notify.recv(65536)
        except socket.timeout:
            return None
        fields = {}
        for line in data.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
        self.msgs.append((time.monotonic(), fields))
        return fields

    def wait_for(self, key, value=None, timeout=START_TIMEOUT):
        """The next datagram carrying key (=value); fail on timeout."""
        until = time.monotonic() + timeout
        while True:
            left = until - time.monotonic()
            if left <= 0:
                self.fail("no %s%s within %.1f s; received %r\n"
                          "daemon exit status %r, log:\n%s"
                          % (key, "=" + value if value else "", timeout,
                             [m for _, m in self.msgs], self.proc.poll(),
                             self.log_tail()))
            m = self.recv(left)
            if m is not None and key in m and (value is None or
                                               m[key] == value):
                return m

    def collect(self, seconds):
        """Every datagram received during the next seconds."""
        got = []
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            m = self.recv(until - time.monotonic())
            if m is not None:
                got.append((self.msgs[-1][0], m))
        return got

    def wait_ready(self):
        m = self.wait_for("READY", "1")
        self.assertTrue(os.path.exists(self.ctlsock),
                        "READY=1 before %s exists" % self.ctlsock)
        self.assertTrue(stat.S_ISSOCK(os.stat(self.ctlsock).st_mode),
                        "%s is not a socket at READY=1" % self.ctlsock)
        return m

    def assert_running(self):
        self.assertIsNone(self.proc.poll(), "daemon exited:\n" +
                          self.log_tail())

    def assert_reloading(self, m):
        self.assertIn("MONOTONIC_USEC", m,
                      "RELOADING=1 without MONOTONIC_USEC: %r" % m)
        self.assertRegex(m["MONOTONIC_USEC"], r"^[0-9]+$")
        # CLOCK_MONOTONIC, the clock of time.monotonic() on Linux.
        sent = int(m["MONOTONIC_USEC"]) / 1e6
        self.assertLess(abs(sent - self.msgs[-1][0]), 5.0,
                        "MONOTONIC_USEC is not CLOCK_MONOTONIC: %r" % m)

    def test_ready_after_control_socket(self):
        self.wait_ready()
        for _, m in self.msgs[:-1]:
            self.assertNotIn("READY", m)
        self.assert_running()

    def test_status_line(self):
        self.wait_ready()
        m = self.wait_for("STATUS")
        self.assertRegex(m["STATUS"], r"\d+ active items")

    def test_watchdog_cadence(self):
        self.wait_ready()
        # Five pings, however long a busy machine takes to deliver them.
        pings = []
        while len(pings) < 5:
            self.wait_for("WATCHDOG", "1")
            pings.append(self.msgs[-1][0])
        # Half the interval is 1 s; protocol, not performance: the typical
        # gap (the median, so one late wake-up on a loaded machine does
        # not count) is about a second, neither a flood nor the whole
        # interval.
        gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
        median = (gaps[1] + gaps[2]) / 2
        self.assertTrue(0.4 < median < 1.9,
                        "watchdog gaps %s s with WATCHDOG_USEC=%d"
                        % (["%.2f" % g for g in gaps], WATCHDOG_USEC))
        self.assert_running()

    def test_reload(self):
        self.wait_ready()
        self.proc.send_signal(signal.SIGHUP)
        m = self.wait_for("RELOADING", "1", timeout=10)
        self.assert_reloading(m)
        self.wait_for("READY", "1", timeout=10)
        self.assert_running()

    def test_reload_broken_config(self):
        self.wait_ready()
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("this is not a setting\n")
        self.proc.send_signal(signal.SIGHUP)
        m = self.wait_for("RELOADING", "1", timeout=10)
        self.assert_reloading(m)
        self.wait_for("READY", "1", timeout=10)
        until = time.monotonic() + START_TIMEOUT
        while "reload failed" not in self.log_tail() and time.monotonic() < until:
            time.sleep(0.05)
        self.assert_running()
        self.assertIn("reload failed", self.log_tail())
        # Still serving: the watchdog keeps coming.
        self.wait_for("WATCHDOG", "1", timeout=3)
        self.assert_running()

    def test_stop(self):
        self.wait_ready()
        self.proc.send_signal(signal.SIGTERM)
        self.wait_for("STOPPING", "1", timeout=10)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("daemon still running 15 s after SIGTERM")
        self.assertEqual(rc, 0, "exit status %d, log:\n%s"
                         % (rc, self.log_tail()))


if __name__ == "__main__":
    unittest.main()
