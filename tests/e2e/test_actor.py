# test_actor.py -- every action in the log names who did it: the unix
# socket's peer (SO_PEERCRED), the TCP API token's name, the daemon for
# scheduled work, the file of an import; and `log` filters and follows.

import http.client
import json
import os
import pwd
import select
import signal
import socket
import subprocess
import time
import urllib.parse

from tests.e2e import harness as H

USER = pwd.getpwuid(os.getuid()).pw_name
ME = "unix:" + USER

TOKEN_CLERK = "clerk-6f1d0c2a9b8e7d5f4c3b2a19"
TOKEN_AUDIT = "audit-0a1b2c3d4e5f60718293a4b5"
TOKEN_OLD = "legacy-77e3b1f0c9a8d7e6f5a4b3c2"
TOKEN_WRONG = "wrong-5a5a5a5a5a5a5a5a5a5a5a5a"


class UnixHTTP(http.client.HTTPConnection):
    """HTTP over the daemon's unix control socket."""

    def __init__(self, path):
        super().__init__("localhost", timeout=30 * H.SLOW)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30 * H.SLOW)
        self.sock.connect(self.path)


def get(d, path):
    """GET over the unix socket: (status, decoded JSON)."""
    c = UnixHTTP(d.socket)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, json.loads(r.read().decode("utf-8"))
    finally:
        c.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Actors(H.E2ETestCase):
    """Who did each action."""

    def tcp_setup(self):
        for name, tok in (("clerk", TOKEN_CLERK), ("audit", TOKEN_AUDIT)):
            p = os.path.join(self.tmp, name + ".token")
            with open(p, "w") as f:
                f.write(tok + "\n")
            os.chmod(p, 0o600)
        port = free_port()
        extra = {"listen": "127.0.0.1:%d" % port, "api_token": TOKEN_OLD,
                 "api_tokens": [{"name": "clerk-office", "file": "clerk.token"},
                                {"name": "audit", "file": "audit.token"}]}
        mock, d, path = self.simple_setup(extra=extra)
        return d, "http://127.0.0.1:%d" % port

    def tcp_ctl(self, url, token, *args):
        argv = [H.CTL, "--url", url, "--token", token, "--json"] + [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, env=H.sanitizer_env(),
                           timeout=60 * H.SLOW)
        return H.CtlResult(argv, p.returncode, p.stdout.decode(), p.stderr.decode())

    def test_unix_socket_logs_the_peer_user(self):
        _, d, _ = self.simple_setup()
        item = d.add_item(project="ACT-U", deadline="+86400")
        log = d.log(item=item["id"])
        self.assertTrue(log, "nothing logged")
        self.assertEqual({e["actor"] for e in log}, {ME}, log)
        # The table shows it too, in its own column.
        out = d.ctl("log", "--item", item["id"]).out
        self.assertIn("ACTOR", out.splitlines()[0])
        self.assertIn(ME, out)
        # In the database itself.
        self.assertEqual(H.db_query(d.database, "SELECT DISTINCT actor FROM log"
                                    " WHERE item_id = ?", (item["id"],)), [(ME,)])

    def test_tcp_named_tokens(self):
        d, url = self.tcp_setup()
        ids = {}
        for name, tok in (("clerk-office", TOKEN_CLERK), ("audit", TOKEN_AUDIT),
                          ("default", TOKEN_OLD)):
            r = self.tcp_ctl(url, tok, "item", "add", "--project", "ACT-T-" + name,
                             "--name", "立项", "--department", "投资项目审批科",
                             "--deadline", "+86400")
            self.assertEqual(r.rc, 0, r)
            ids[name] = r.json()["item"]["id"]
        for name, item in ids.items():
            log = d.log(item=item)
            self.assertTrue(log)
            self.assertEqual({e["actor"] for e in log}, {"token:" + name}, log)
        # The log is read over TCP as well, filtered by the token's name.
        r = self.tcp_ctl(url, TOKEN_AUDIT, "log", "--actor", "token:audit")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual({e["item_id"] for e in r.json()["log"]}, {ids["audit"]})

    def test_wrong_token_is_401_and_logs_nothing_secret(self):
        d, url = self.tcp_setup()
        before = d.log()
        r = self.tcp_ctl(url, TOKEN_WRONG, "item", "add", "--project", "ACT-W",
                         "--name", "立项", "--department", "投资项目审批科")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("wrong bearer token", r.err)
        # A token's prefix is no token either.
        r = self.tcp_ctl(url, TOKEN_CLERK[:-1], "status")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(d.log(), before)
        self.assertEqual(H.db_query(d.database, "SELECT count(*) FROM items"), [(0,)])
        self.assertSecretsHidden(d, [TOKEN_CLERK, TOKEN_AUDIT, TOKEN_OLD, TOKEN_WRONG])

    def test_scheduled_escalation_is_the_daemons(self):
        mock, d, _ = self.simple_setup()
        item = d.add_item(project="ACT-D", deadline="+2")
        H.wait_for(lambda: [e for e in d.log(item=item["id"]) if e["outcome"] == "sent"],
                   30 * H.SLOW, "the first stage to be sent")
        log = d.log(item=item["id"])
        added = [e for e in log if e["outcome"] not in ("escalated", "queued", "sent")]
        self.assertTrue(added and all(e["actor"] == ME for e in added), log)
        fired = [e for e in log if e["outcome"] in ("escalated", "queued", "sent")]
        self.assertTrue(fired, log)
        self.assertEqual({e["actor"] for e in fired}, {"daemon"}, log)
        # The daemon's own actions are found by its name.
        mine = d.ctl_json("log", "--actor", "daemon", "--item", item["id"])["log"]
        self.assertEqual([e["id"] for e in mine], [e["id"] for e in fired])

    def test_import_logs_the_file(self):
        _, d, _ = self.simple_setup()
        csv = os.path.join(self.tmp, "batch-7.csv")
        now = int(time.time())
        with open(csv, "w", encoding="utf-8") as f:
            f.write("项目编码,项目名称,审批事项,承办部门,承办人,承诺时限,受理时间,办结时限\n")
            for i in range(3):
                f.write("IMP-%d,项目%d,立项,投资项目审批科,张三,20个工作日,%s,%s\n"
                        % (i, i, H.local_time(now - 86400), H.local_time(now + 86400)))
        r = d.ctl("import", csv)
        self.assertEqual(r.rc, 0, r)
        want = "import:batch-7.csv (%s)" % ME
        log = d.log()
        self.assertTrue(log)
        self.assertEqual({e["actor"] for e in log}, {want}, log)
        # A prefix finds every import.
        found = d.ctl_json("log", "--actor", "import:*")["log"]
        self.assertEqual([e["id"] for e in found], [e["id"] for e in log])
        # The exact actor, through the API.
        st, body = get(d, "/v1/log?actor=" + urllib.parse.quote(want))
        self.assertEqual(st, 200)
        self.assertEqual(len(body["log"]), len(log))
        # A name with a directory or a control character is refused.
        for bad in ("a/b.csv", "a%0Ab.csv"):
            c = UnixHTTP(d.socket)
            c.request("POST", "/v1/import?file=" + bad, body=b"x")
            r = c.getresponse()
            self.assertEqual(r.status, 400)
            self.assertEqual(json.loads(r.read())["field"], "file")
            c.close()


# A ladder whose first stage fires at once and whose next waits long: a
# reload to LADDER_B removes the stage an item is at, so the retracking
# logs a rule-change for it.
LADDER_A = H.ladder(("reminder", "催办", "0s", ["chat"]),
                    ("interview", "约谈", "+3600s", ["chat"], {"rectify": "+60s"}))
LADDER_B = H.ladder(("check", "核查", "0s", ["chat"], {"template": "stale"}),
                    ("interview", "约谈", "+3600s", ["chat"], {"rectify": "+60s"}))


class ReloadActors(H.E2ETestCase):
    """A reload is by whoever asked: its own entry, the retracking's
    entries, the foreground (journal) line."""

    def reload_setup(self, extra=None):
        mock = self.start_mock({"wecom": {self.WECOM_KEY: {}}})
        self.extra = extra
        d = self.start_daemon(self.write_config(self.config_text(
            mock, policies=[LADDER_A], extra=extra)))
        item = d.add_item(project="RLD-1", deadline="+1")
        H.wait_for(lambda: [e for e in d.log(item=item["id"])
                            if e["outcome"] == "escalated"],
                   30 * H.SLOW, "the reminder to fire")
        self.write_config(self.config_text(mock, policies=[LADDER_B], extra=extra))
        self.last_before = d.log()[-1]["id"]
        return d, item

    def check_reload(self, d, item, actor):
        log = d.log()
        reloaded = [e for e in log if e["outcome"] == "reloaded"]
        self.assertEqual(len(reloaded), 1, log)
        self.assertEqual(reloaded[0]["actor"], actor)
        self.assertIsNone(reloaded[0]["item_id"])
        self.assertIn("configuration reloaded from", reloaded[0]["detail"])
        changed = [e for e in d.log(item=item["id"]) if e["outcome"] == "rule-change"]
        self.assertEqual([e["actor"] for e in changed], [actor], log)
        # Found by its actor.
        mine = [e for e in d.ctl_json("log", "--actor", actor)["log"]
                if e["id"] > self.last_before]
        self.assertEqual(sorted(e["id"] for e in mine),
                         sorted(e["id"] for e in reloaded + changed))
        # The foreground line (the journal's MESSAGE; ACTOR is a field there).
        H.wait_for(lambda: "(actor %s)" % actor in d.stderr(), 10 * H.SLOW,
                   "the reload's line")
        line = [x for x in d.stderr().splitlines() if "configuration reloaded" in x]
        self.assertEqual(len(line), 1, line)
        self.assertTrue(line[0].endswith("(actor %s)" % actor), line)

    def test_reload_over_the_socket_is_the_peer_users(self):
        d, item = self.reload_setup()
        r = d.ctl("reload")
        self.assertEqual(r.rc, 0, r)
        self.check_reload(d, item, ME)

    def test_reload_over_tcp_is_the_tokens(self):
        p = os.path.join(self.tmp, "audit.token")
        with open(p, "w") as f:
            f.write(TOKEN_AUDIT + "\n")
        os.chmod(p, 0o600)
        port = free_port()
        d, item = self.reload_setup(extra={
            "listen": "127.0.0.1:%d" % port,
            "api_tokens": [{"name": "audit", "file": "audit.token"}]})
        argv = [H.CTL, "--url", "http://127.0.0.1:%d" % port, "--token",
                TOKEN_AUDIT, "reload"]
        r = subprocess.run(argv, capture_output=True, env=H.sanitizer_env(),
                           timeout=60 * H.SLOW)
        self.assertEqual(r.returncode, 0, r)
        self.check_reload(d, item, "token:audit")
        self.assertSecretsHidden(d, [TOKEN_AUDIT])

    def test_sighup_is_the_signals(self):
        d, item = self.reload_setup()
        d.signal(signal.SIGHUP)
        H.wait_for(lambda: [e for e in d.log() if e["outcome"] == "reloaded"],
                   30 * H.SLOW, "the reload")
        self.check_reload(d, item, "signal:SIGHUP")

    def test_failed_reload_names_who_asked_and_logs_nothing(self):
        d, item = self.reload_setup()
        before = d.log()
        self.write_config("this is not a configuration\n")
        r = d.ctl("reload")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(d.log(), before)
        H.wait_for(lambda: "reload failed (asked by %s)" % ME in d.stderr(),
                   10 * H.SLOW, "the failure line")


class ApiActors(H.E2ETestCase):
    """The other API actions name the request's actor too."""

    def test_project_progress_outbox_and_send_test(self):
        mock, d, _ = self.simple_setup()
        item = d.add_item(project="ACT-P", deadline="+86400")
        # A project's progress is logged like an item's, by who reported it.
        r = d.ctl("project", "progress", "ACT-P", "--note", "主体完工")
        self.assertEqual(r.rc, 0, r)
        prog = [e for e in d.log() if e["outcome"] == "progress"]
        self.assertEqual(len(prog), 1, d.log())
        self.assertEqual((prog[0]["project"], prog[0]["item_id"], prog[0]["actor"],
                          prog[0]["detail"]), ("ACT-P", None, ME, "主体完工"))
        # outbox drop: the journal line names the actor, not only the detail.
        r = d.ctl("outbox", "drop", "--channel", "chat", "--reason", "cleanup")
        self.assertEqual(r.rc, 0, r)
        H.wait_for(lambda: [x for x in d.stderr().splitlines()
                            if "outbox drop:" in x and x.endswith("(actor %s)" % ME)],
                   10 * H.SLOW, "the drop's line with its actor")
        # send-test stores nothing; its line names who posted the test.
        r = d.ctl("send-test", "chat")
        self.assertEqual(r.rc, 0, r)
        H.wait_for(lambda: [x for x in d.stderr().splitlines()
                            if "send-test chat:" in x and x.endswith("(actor %s)" % ME)],
                   10 * H.SLOW, "the test's line with its actor")
        # The daemon's own lines name no actor.
        sent = [x for x in d.stderr().splitlines() if "queued for chat" in x]
        self.assertFalse([x for x in sent if "(actor " in x], sent)
        self.assertEqual({e["actor"] for e in d.log(item=item["id"])}, {ME})


class ProjectLog(H.E2ETestCase):
    """project add is logged, and log --project shows a project's own
    entries (no item) besides its items'."""

    def test_project_add_is_logged_with_its_actor(self):
        _, d, _ = self.simple_setup(extra={
            "people": [{"id": "p-lead", "name": "组长", "mobile": "13800000002"}],
            "groups": [{"name": "社会投资类推进组", "leader": "p-lead",
                        "channel": "chat", "categories": ["社会投资类"]}]})
        r = d.ctl("project", "add", "--code", "PL-1", "--name", "某某产业园",
                  "--category", "社会投资类")
        self.assertEqual(r.rc, 0, r)
        r = d.ctl("project", "add", "--code", "PL-1", "--name", "某某产业园二期",
                  "--category", "社会投资类", "--region", "市")
        self.assertEqual(r.rc, 0, r)
        d.add_item(project="PL-1", deadline="+86400")
        d.add_item(project="PL-2", deadline="+86400")
        r = d.ctl("project", "progress", "PL-1", "--note", "主体封顶")
        self.assertEqual(r.rc, 0, r)
        everything = d.log()
        mine = d.ctl_json("log", "--project", "PL-1")["log"]
        self.assertEqual([(e["outcome"], e["item_id"], e["project"], e["actor"])
                          for e in mine],
                         [("project-created", None, "PL-1", ME),
                          ("project-updated", None, "PL-1", ME),
                          ("created", mine[2]["item_id"], "PL-1", ME),
                          ("progress", None, "PL-1", ME)])
        self.assertEqual(mine[0]["detail"], "某某产业园")
        self.assertEqual(mine[1]["detail"], "name, region")
        # Nothing of the other project, nothing twice, oldest first.
        self.assertEqual([e["id"] for e in mine],
                         [e["id"] for e in everything if e["project"] == "PL-1"])
        self.assertNotIn("PL-1", {e["project"] for e in
                                  d.ctl_json("log", "--project", "PL-2")["log"]})
        # The filters still combine with it.
        self.assertEqual([e["outcome"] for e in d.ctl_json(
            "log", "--project", "PL-1", "--limit", 2)["log"]], ["created", "progress"])
        self.assertEqual(d.ctl_json("log", "--project", "PL-1", "--actor", "daemon")["log"], [])
        # The text output shows it too.
        r = d.ctl("log", "--project", "PL-1")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("project-created", r.out)
        self.assertIn(ME, r.out)


class LogFilters(H.E2ETestCase):
    """log --since --until --item --project --actor --follow."""

    def test_each_filter(self):
        _, d, _ = self.simple_setup()
        a = d.add_item(project="FLT-A", deadline="+86400")
        b = d.add_item(project="FLT-B", deadline="+86400")
        everything = d.log()
        self.assertGreaterEqual(len(everything), 2)

        def ids(*args):
            return [e["id"] for e in d.ctl_json("log", *args)["log"]]

        # --item and --project
        self.assertEqual(ids("--item", a["id"]),
                         [e["id"] for e in everything if e["item_id"] == a["id"]])
        self.assertEqual(ids("--project", "FLT-B"),
                         [e["id"] for e in everything if e["project"] == "FLT-B"])
        self.assertEqual(ids("--project", "FLT-B", "--item", a["id"]), [])
        # --actor: exact, a prefix, someone else
        self.assertEqual(ids("--actor", ME), [e["id"] for e in everything])
        self.assertEqual(ids("--actor", "unix:*"), [e["id"] for e in everything])
        self.assertEqual(ids("--actor", "token:nobody"), [])
        self.assertEqual(ids("--actor", "daemon"), [])
        # --since and --until: dates (whole days) and times
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400 + 8 * 3600))
        tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400 + 8 * 3600))
        all_ids = [e["id"] for e in everything]
        self.assertEqual(ids("--since", today), all_ids)
        self.assertEqual(ids("--until", today), all_ids)
        self.assertEqual(ids("--since", yesterday, "--until", today), all_ids)
        self.assertEqual(ids("--until", yesterday), [])
        self.assertEqual(ids("--since", tomorrow), [])
        first = H.parse_local(everything[0]["at"])
        self.assertEqual(ids("--since", H.local_time(first)), all_ids)
        self.assertEqual(ids("--until", H.local_time(first - 1)), [])
        self.assertEqual(ids("--since", "@%d" % (first + 3600)), [])
        # --limit: the last ones, oldest first
        self.assertEqual(ids("--limit", 1), all_ids[-1:])
        # Filters combine.
        self.assertEqual(ids("--actor", ME, "--project", "FLT-A", "--since", today),
                         [e["id"] for e in everything if e["project"] == "FLT-A"])

    def test_bad_values_name_the_parameter(self):
        _, d, _ = self.simple_setup()
        for args, field in ((("--since", "2026-13-01"), "since"),
                            (("--until", "yesterday"), "until"),
                            (("--since", "2026-02-30"), "since")):
            r = d.ctl("log", *args)
            self.assertEqual(r.rc, 1, r)
            self.assertIn(field, r.err)
        for q, field in (("since=2026-13-01", "since"), ("until=soon", "until"),
                         ("item=x", "item"), ("after=-1", "after"), ("limit=-1", "limit"),
                         ("actor=", "actor"), ("stage=reminder", "stage"),
                         ("since=2026-12-02&until=2026-12-01", "until")):
            st, body = get(d, "/v1/log?" + q)
            self.assertEqual(st, 400, (q, body))
            self.assertEqual(body.get("field"), field, (q, body))

    def test_after_is_a_cursor(self):
        _, d, _ = self.simple_setup()
        d.add_item(project="CUR-A", deadline="+86400")
        d.add_item(project="CUR-B", deadline="+86400")
        everything = d.log()
        st, body = get(d, "/v1/log?after=0&limit=1")
        self.assertEqual(st, 200)
        self.assertEqual([e["id"] for e in body["log"]], [everything[0]["id"]])
        st, body = get(d, "/v1/log?after=%d" % everything[0]["id"])
        self.assertEqual([e["id"] for e in body["log"]], [e["id"] for e in everything[1:]])
        st, body = get(d, "/v1/log?after=%d" % everything[-1]["id"])
        self.assertEqual(body["log"], [])

    def test_follow(self):
        _, d, _ = self.simple_setup()
        d.add_item(project="FOL-OLD", deadline="+86400")
        argv = [H.CTL, "-s", d.socket, "log", "--follow", "--project", "FOL-NEW"]
        # SIGINT at its default, as a terminal's foreground job has it: a
        # suite started in the background by a shell without job control
        # inherits it ignored (and exec keeps an ignored signal ignored).
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=H.sanitizer_env(),
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.addCleanup(p.stderr.close)
        self.addCleanup(p.stdout.close)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        out = []

        def read_some():
            r, _, _ = select.select([p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError("ctl log --follow ended: %r %r"
                                         % (b"".join(out), p.stderr.read()))
                out.append(chunk)
            return b"".join(out).decode("utf-8")

        # Follows before anything matches; prints the new entry when it comes.
        item = d.add_item(project="FOL-NEW", deadline="+86400")
        H.wait_for(lambda: "FOL-NEW" in read_some(), 30 * H.SLOW, "the new entry")
        text = read_some()
        self.assertNotIn("FOL-OLD", text)
        line = [x for x in text.splitlines() if "FOL-NEW" in x][0]
        self.assertIn(ME, line)
        self.assertIn(str(item["id"]), line)
        # A second one comes after it, once.
        d.ctl_json("item", "progress", item["id"], "--note", "走访")
        H.wait_for(lambda: read_some().count("FOL-NEW") >= 2, 30 * H.SLOW,
                   "the second entry")
        p.send_signal(signal.SIGINT)
        p.wait(10 * H.SLOW)
        self.assertNotEqual(p.returncode, None)
        err = p.stderr.read().decode()
        self.assertEqual(H.sanitizer_problems(err), [], err)
        lines = [x for x in "".join(read_rest(p, out)).splitlines() if "FOL-NEW" in x]
        self.assertEqual(len(lines), len(set(lines)), lines)


def read_rest(p, out):
    rest = p.stdout.read()
    return [b.decode("utf-8") for b in out + [rest]]


class FollowEnds(H.E2ETestCase):
    """log --follow ends when its reader goes away (SIGPIPE), not later."""

    def test_follow_ends_when_output_closes(self):
        _, d, _ = self.simple_setup()
        d.add_item(project="PIPE-1", deadline="+86400")
        argv = [H.CTL, "-s", d.socket, "log", "--follow"]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=H.sanitizer_env())
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        first = p.stdout.readline().decode("utf-8")
        self.assertIn("PIPE-1", first)
        p.stdout.close()
        # The next entry it prints finds no reader: it ends.
        d.add_item(project="PIPE-2", deadline="+86400")
        H.wait_for(lambda: p.poll() is not None, 30, "ctl log --follow to end")
        self.assertIn(p.returncode, (0, -signal.SIGPIPE))
