# harness.py -- shared helpers of the end-to-end tests: start the real
# approval-escalatord against the local mock chat server (tests/mock/
# mockchat.py) and drive it with the real approval-escalatorctl.
#
# Python 3 standard library only.  Binaries come from $ESCALATOR_BIN_DIR
# (default "build", relative to the repository root), so the same tests run
# against the AddressSanitizer/UBSan build:
#
#   python3 -m unittest discover -s tests/e2e -t . -v
#   ESCALATOR_BIN_DIR=build-asan python3 -m unittest discover -s tests/e2e -t . -v
#
# ESCALATOR_SANITIZED=1 (or an ASan binary, detected) stretches every wait
# threefold; ESCALATOR_E2E_KEEP=1 keeps each test's directory (configuration,
# database, daemon stderr, mock log) for inspection.
#
# Every test gets its own temporary directory, mock server and daemon; the
# daemon is stopped with SIGTERM at the end of the test, and the test fails
# if it does not exit 0, if its socket is left behind or if a sanitizer
# reported anything on its stderr.

import calendar
import datetime
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

_bin = os.environ.get("ESCALATOR_BIN_DIR", "build")
BIN_DIR = _bin if os.path.isabs(_bin) else os.path.join(ROOT, _bin)
DAEMON = os.path.join(BIN_DIR, "approval-escalatord")
CTL = os.path.join(BIN_DIR, "approval-escalatorctl")

RULES = os.path.join(ROOT, "rules")
TEMPLATES = os.path.join(RULES, "templates")
CALENDARS = [os.path.join(RULES, "calendar", "cn-%d.conf" % y) for y in (2024, 2025, 2026)]
MOCKCHAT = os.path.join(ROOT, "tests", "mock", "mockchat.py")

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer",
                     "WARNING: ThreadSanitizer")


def _is_sanitized(path):
    """True if the binary was linked with AddressSanitizer."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


SANITIZED = (os.environ.get("ESCALATOR_SANITIZED") == "1" or _is_sanitized(DAEMON)
             or "asan" in os.path.basename(BIN_DIR.rstrip("/")))

# Sanitized binaries are several times slower: stretch every deadline.
SLOW = 3.0 if SANITIZED else 1.0


def sanitizer_env(extra=None):
    """The environment for daemon and ctl: sanitizer options always set."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=99"
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    env.pop("APPROVAL_ESCALATOR_SOCKET", None)
    env.pop("APPROVAL_ESCALATOR_URL", None)
    env.pop("APPROVAL_ESCALATOR_TOKEN", None)
    env.pop("APPROVAL_ESCALATOR_CONFIG", None)
    env.setdefault("TZ", "Asia/Shanghai")
    if extra:
        env.update(extra)
    return env


def sanitizer_problems(text):
    """The sanitizer markers found in text (empty list if none)."""
    return [m for m in SANITIZER_MARKERS if m in text]


def wait_for(pred, timeout, what="condition", interval=0.1):
    """Poll pred() until it returns a true value; return it, or fail after timeout."""
    deadline = time.monotonic() + timeout * SLOW
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s (last: %r)"
                                 % (timeout * SLOW, what, last))
        time.sleep(interval)


# ---------------------------------------------------------------------------
# libconfig text


def lc_value(v, indent="\t"):
    """A Python value as libconfig text: str, bool, int, list, dict (group)."""
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if isinstance(v, dict):
        inner = " ".join("%s = %s;" % (k, lc_value(x, indent + "\t")) for k, x in v.items())
        return "{ %s }" % inner
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, dict) for x in v):
            sep = ",\n" + indent
            return "(\n%s%s\n%s)" % (indent, sep.join(lc_value(x, indent + "\t") for x in v),
                                    indent[:-1])
        if not v:
            return "[ ]"
        return "[ %s ]" % ", ".join(lc_value(x) for x in v)
    raise TypeError("no libconfig form for %r" % (v,))


class Raw:
    """Text inserted in a generated configuration as it is."""

    def __init__(self, text):
        self.text = text


def lc_document(settings, includes=(), base=None):
    """A whole configuration file from an ordered dict of top-level settings.

    includes are paths; with base (the directory of the file) they are
    written relative to it, as @include is relative to the main file.
    """
    lines = ["# generated by tests/e2e/harness.py"]
    for inc in includes:
        if base is not None:
            inc = os.path.relpath(inc, base)
        lines.append('@include "%s"' % inc)
    for k, v in settings.items():
        lines.append("%s = %s;" % (k, lc_value(v)))
    return "\n".join(lines) + "\n"


def ladder(*stages, name="default", **extra):
    """A policy: stages are (name, label, offset, to) tuples or dicts."""
    out = []
    for s in stages:
        if isinstance(s, dict):
            out.append(s)
        else:
            n, label, offset, to = s[:4]
            st = {"name": n, "label": label, "offset": offset, "to": list(to)}
            if len(s) > 4:
                st.update(s[4])
            out.append(st)
    p = {"name": name}
    p.update(extra)
    p["stages"] = out
    return p


# The ladder most tests use: 催办 at the deadline, 督查 2 s and 约谈 4 s after
# (the 约谈 orders rectification within a minute: its notice states that
# deadline; no rectify policy escalates it here).
def default_policy(to=("chat",), **extra):
    return ladder(("reminder", "催办", "0s", to),
                  ("supervision", "督查", "+2s", to),
                  ("interview", "约谈", "+4s", to, {"rectify": "+60s"}), **extra)


# ---------------------------------------------------------------------------
# The mock chat server


class Mock:
    """mockchat.py in a subprocess with its own robots.json."""

    def __init__(self, tmpdir, robots):
        self.dir = tmpdir
        self.config = os.path.join(tmpdir, "robots.json")
        with open(self.config, "w", encoding="utf-8") as f:
            json.dump(robots, f, ensure_ascii=False)
        self.ready = os.path.join(tmpdir, "mock.port")
        self.record = os.path.join(tmpdir, "received.jsonl")
        self.log = open(os.path.join(tmpdir, "mock.log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, MOCKCHAT, "--port", "0", "--config", self.config,
             "--record", self.record, "--ready-file", self.ready, "--verbose"],
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: os.path.exists(self.ready) or self.proc.poll() is not None,
                     20, "mockchat to listen")
            if self.proc.poll() is not None:
                raise RuntimeError("mockchat exited with %s: %s"
                                   % (self.proc.returncode, self.log_text()))
            with open(self.ready) as f:
                self.port = int(f.read().strip())
        except BaseException:
            self.stop()
            raise
        self.base = "http://127.0.0.1:%d" % self.port

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "mock.log"), encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read().decode("utf-8"))

    def received(self, vendor=None, rid=None):
        """Accepted messages, oldest first (dicts with vendor, id, t, body, text)."""
        return self._call("GET", "/_control/received" + self._query(vendor, rid))

    def rejected(self, vendor=None, rid=None):
        """Refused requests (dicts with vendor, id, t, http, code, reason)."""
        return self._call("GET", "/_control/rejected" + self._query(vendor, rid))

    @staticmethod
    def _query(vendor, rid):
        q = []
        if vendor:
            q.append("vendor=" + urllib.request.quote(vendor))
        if rid:
            q.append("id=" + urllib.request.quote(rid))
        return "?" + "&".join(q) if q else ""

    def fault(self, vendor, rid, fault):
        """Install (or with None clear) a fault on one robot."""
        return self._call("POST", "/_control/fault", {"vendor": vendor, "id": rid, "fault": fault})

    def fault_left(self, vendor, rid):
        """The fault a robot still has (None once a count-limited one is used up)."""
        return self._call("GET", "/_control/fault" + self._query(vendor, rid))["fault"]

    def reset(self):
        return self._call("POST", "/_control/reset", {})

    def url(self, vendor):
        """The endpoint (without credentials) a daemon channel of vendor posts to."""
        return self.base + {"wecom": "/cgi-bin/webhook/send",
                            "dingtalk": "/robot/send",
                            "feishu": "/open-apis/bot/v2/hook",
                            "webhook": "/hook"}[vendor]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------------------
# The control tool


class CtlResult:
    def __init__(self, argv, rc, out, err):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "<ctl %s: rc=%d out=%r err=%r>" % (" ".join(self.argv[3:]), self.rc,
                                                   self.out[:2000], self.err[:2000])


# ---------------------------------------------------------------------------
# The daemon


class Daemon:
    """approval-escalatord -d -f CONFIG in the foreground, stderr to a file."""

    def __init__(self, config, socket, database, workdir, tag="daemon"):
        self.config = config
        self.socket = socket
        self.database = database
        self.dir = workdir
        self.tag = tag
        self.proc = None
        self.runs = 0
        self.killed = False
        self.stderr_paths = []

    def start(self, wait=True):
        self.runs += 1
        self.killed = False
        path = os.path.join(self.dir, "%s.%d.stderr" % (self.tag, self.runs))
        self.stderr_paths.append(path)
        self._err = open(path, "wb")
        self.proc = subprocess.Popen([DAEMON, "-d", "-f", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self._err,
                                     stderr=self._err, env=sanitizer_env(),
                                     cwd=self.dir)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("daemon exited with %s during start-up:\n%s"
                                     % (self.proc.returncode, self.stderr()))
            if not os.path.exists(self.socket):
                return False
            return self.ctl("status").rc == 0
        wait_for(ready, timeout, "the daemon's control socket", interval=0.05)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        """Everything the daemon wrote on stderr, over all its runs."""
        out = []
        for p in self.stderr_paths:
            try:
                with open(p, encoding="utf-8", errors="replace") as f:
                    out.append(f.read())
            except OSError:
                pass
        return "\n".join(out)

    def ctl(self, *args, json_out=False, timeout=60, input=None):
        argv = [CTL, "-s", self.socket] + (["--json"] if json_out else []) + [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, env=sanitizer_env(),
                           timeout=timeout * SLOW, input=input)
        r = CtlResult(argv, p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"))
        bad = sanitizer_problems(r.err)
        if bad:
            raise AssertionError("sanitizer report from approval-escalatorctl %s: %s\n%s"
                                 % (" ".join(argv[3:]), bad, r.err))
        return r

    def ctl_json(self, *args, **kw):
        r = self.ctl(*args, json_out=True, **kw)
        if r.rc != 0:
            gone = "" if self.running() else (
                "\nthe daemon is not running (exit status %r); its stderr ends:\n%s"
                % (self.proc.poll() if self.proc else None, self.stderr()[-3000:]))
            raise AssertionError("ctl %s failed: %r%s" % (" ".join(map(str, args)), r, gone))
        return r.json()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill9(self):
        """SIGKILL, as a crash: no cleanup, the socket stays."""
        self.proc.kill()
        self.proc.wait()
        self._err.close()
        self.killed = True

    def stop(self, timeout=30):
        """SIGTERM and wait; return the exit status.

        None if there is nothing to stop (never started, or killed by the
        test); a daemon that died on its own returns its status as it is.
        """
        if self.proc is None or self.killed:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._err.close()
                raise AssertionError("daemon did not stop within %d s of SIGTERM"
                                     % (timeout * SLOW))
        self._err.close()
        return self.proc.returncode

    # Convenience wrappers around the control API.

    def status(self):
        return self.ctl_json("status")

    def log(self, item=None, limit=100000):
        args = ["log", "--limit", str(limit)]
        if item is not None:
            args += ["--item", str(item)]
        return self.ctl_json(*args)["log"]

    def add_item(self, project="P1", name="立项", department="投资项目审批科", **opts):
        """item add; opts are long options (underscores for dashes; True for a flag)."""
        args = ["item", "add", "--project", project, "--name", name, "--department", department]
        for k, v in opts.items():
            if v is None or v is False:
                continue
            args.append("--" + k.replace("_", "-"))
            if v is not True:
                args.append(str(v))
        return self.ctl_json(*args)["item"]

    def show(self, item_id):
        return self.ctl_json("show", item_id)["item"]

    def queue(self):
        return self.status()["queue"]


# ---------------------------------------------------------------------------
# The test case base class


class E2ETestCase(unittest.TestCase):
    """A test with its own directory; start_mock() and start_daemon() clean up after themselves."""

    # Default WeCom/DingTalk/Feishu robots of the mock and matching channels.
    WECOM_KEY = "K1"

    def setUp(self):
        if not (os.access(DAEMON, os.X_OK) and os.access(CTL, os.X_OK)):
            self.fail("binaries not found in %s (run make, or set ESCALATOR_BIN_DIR)" % BIN_DIR)
        self.tmp = tempfile.mkdtemp(prefix="esc-e2e-")
        self.addCleanup(self._remove_tmp)
        self.daemons = []

    def _remove_tmp(self):
        if os.environ.get("ESCALATOR_E2E_KEEP"):
            sys.stderr.write("\nkept %s\n" % self.tmp)
            return
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- mock ---------------------------------------------------------------

    def start_mock(self, robots):
        mock = Mock(self.tmp, robots)
        self.addCleanup(mock.stop)
        return mock

    # -- configuration ------------------------------------------------------

    def config_text(self, mock, channels=None, policies=None, extra=None,
                    includes=(), db="t.db", sock="ctl.sock"):
        """A configuration: channels are dicts (url filled from type), policies dicts."""
        settings = {
            "database": os.path.join(self.tmp, db),
            "socket": os.path.join(self.tmp, sock),
            "templates": TEMPLATES,
        }
        if extra:
            settings.update(extra)
        chans = []
        for c in channels if channels is not None else [
                {"name": "chat", "type": "wecom", "key": self.WECOM_KEY}]:
            c = dict(c)
            if "url" not in c and mock is not None:
                c["url"] = mock.url(c["type"])
            chans.append(c)
        settings["channels"] = chans
        settings["policies"] = policies if policies is not None else [default_policy()]
        return lc_document(settings, includes, base=self.tmp)

    def write_config(self, text, name="escalator.conf"):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    # -- daemon ---------------------------------------------------------------

    def start_daemon(self, config_path, sock="ctl.sock", db="t.db", wait=True):
        d = Daemon(config_path, os.path.join(self.tmp, sock), os.path.join(self.tmp, db),
                   self.tmp, tag="daemon%d" % len(self.daemons))
        self.daemons.append(d)
        self.addCleanup(self._finish_daemon, d)
        d.start(wait=wait)
        return d

    def _finish_daemon(self, d):
        """Stop a daemon at the end of a test and check how it went."""
        rc = d.stop()
        bad = sanitizer_problems(d.stderr())
        if bad:
            self.fail("sanitizer report in the daemon's stderr (%s):\n%s"
                      % (", ".join(bad), d.stderr()[-20000:]))
        if rc is not None:
            self.assertEqual(rc, 0, "daemon exited with %s after SIGTERM; stderr:\n%s"
                             % (rc, d.stderr()[-5000:]))
            self.assertFalse(os.path.exists(d.socket),
                             "the control socket is left behind after SIGTERM")

    def simple_setup(self, robots=None, channels=None, policies=None, extra=None, includes=()):
        """Mock + generated configuration + running daemon: (mock, daemon, config path)."""
        mock = self.start_mock(robots if robots is not None else
                               {"wecom": {self.WECOM_KEY: {}}})
        path = self.write_config(self.config_text(mock, channels, policies, extra, includes))
        d = self.start_daemon(path)
        return mock, d, path

    # -- assertions -----------------------------------------------------------

    def assertSecretsHidden(self, d, secrets):
        """No secret in the daemon's stderr or in any answer of the control API."""
        outputs = {"stderr": d.stderr()}
        for args in (("status",), ("log", "--limit", "100000"), ("list",)):
            outputs[" ".join(args) + " --json"] = d.ctl(*args, json_out=True).out
            outputs[" ".join(args)] = d.ctl(*args).out
        for name, text in outputs.items():
            for s in secrets:
                self.assertNotIn(s, text, "secret %r appears in %s" % (s[:4] + "...", name))



class DueTogether:
    """Many items falling due at one moment, however long adding them takes.

    The items are added due in an hour under a ladder whose one stage is at
    the deadline; then the stage is moved an hour earlier and the
    configuration reloaded: every item is due at once, in one step.  No
    deadline races the clock, so a slow (busy, sanitized) machine only
    makes the test slower.
    """

    def start_group(self, robots, channels, to, extra=None, label="催办"):
        mock = self.start_mock(robots)

        def write(offset):
            return self.write_config(self.config_text(
                mock, channels=channels, extra=extra,
                policies=[ladder(("reminder", label, offset, to))]))
        d = self.start_daemon(write("0s"))

        def fire(specs, add=None):
            """Add the items (dicts of add_item options; add: how), then make them due."""
            add = add or (lambda many: [d.add_item(**o) for o in many])
            items = add([dict(o, deadline="+3600") for o in specs])
            self.assertEqual(mock.received(), [])
            write("-3600s")
            r = d.ctl("reload")
            self.assertEqual(r.rc, 0, r)
            return items
        return mock, d, fire


def texts(messages):
    """The visible text of each received message."""
    return [m.get("text") or "" for m in messages]


def db_query(path, sql, args=()):
    """Rows of a read-only query on a daemon's database."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def check_config(path):
    """approval-escalatord -t -f path: (exit status, stdout, stderr); fails on sanitizer output."""
    p = subprocess.run([DAEMON, "-t", "-f", path], capture_output=True, env=sanitizer_env(),
                       timeout=60 * SLOW)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    bad = sanitizer_problems(err)
    if bad:
        raise AssertionError("sanitizer report from approval-escalatord -t: %s\n%s" % (bad, err))
    return p.returncode, out, err


def local_time(t):
    """Epoch seconds as the daemon's local time text (its time zone is Asia/Shanghai)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t + 8 * 3600))


def parse_local(s):
    """The daemon's local time text (Asia/Shanghai, no DST) as epoch seconds:
    as ctl shows it, or RFC 3339 with its offset as the API writes it."""
    if "T" in s:
        return int(datetime.datetime.fromisoformat(s).timestamp())
    return calendar.timegm(time.strptime(s, "%Y-%m-%d %H:%M:%S")) - 8 * 3600


def api_time(t):
    """Epoch seconds as the API writes the daemon's local time (RFC 3339)."""
    return local_time(t).replace(" ", "T") + "+08:00"
