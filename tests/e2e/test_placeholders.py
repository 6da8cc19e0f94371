"""The shipped PLACEHOLDER keys: -t, start-up and reload refuse them with
file:line and what to put where; the same rules with real-looking keys are
accepted.  Also the daemon's --help and --version."""

import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def run_daemon(*args):
    p = subprocess.run([H.DAEMON] + list(args), capture_output=True, env=H.sanitizer_env(),
                       timeout=60 * H.SLOW)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def fill_keys(text):
    """channels.conf with every PLACEHOLDER value replaced by a made-up one."""
    return re.sub(r'"(SEC-)?PLACEHOLDER-([\w-]+)"',
                  lambda m: '"%sreal-%s"' % ("SEC" if m.group(1) else "", m.group(2)), text)


class Placeholders(H.E2ETestCase):

    def copy_rules(self):
        rules = os.path.join(self.tmp, "rules")
        shutil.copytree(H.RULES, rules, ignore=shutil.ignore_patterns("escalator.db*"))
        return rules

    def test_check_names_each_placeholder_with_file_line_and_where(self):
        rules = self.copy_rules()
        rc, out, err = H.check_config(os.path.join(rules, "approval-escalatord.conf"))
        self.assertEqual(rc, 1)
        self.assertNotIn("configuration OK", out)
        with open(os.path.join(rules, "channels.conf"), encoding="utf-8") as f:
            shipped = f.read().splitlines()
        want = [i + 1 for i, line in enumerate(shipped)
                if re.match(r'\s*(key|token|secret)\s*=\s*".*PLACEHOLDER', line)]
        self.assertEqual(len(want), 7)
        got = [int(m.group(1)) for m in re.finditer(r"channels\.conf:(\d+): ", err)]
        self.assertEqual(got, want, err)
        self.assertIn("channel 'social': the webhook key is the placeholder", err)
        self.assertIn("WeCom group's settings", err)
        self.assertIn("'key_file'", err)
        self.assertIn("channel 'urban': the signing secret is the placeholder", err)
        self.assertIn("channel 'industry': the hook token is the placeholder", err)
        # The values themselves are never quoted.
        self.assertNotIn("wecom-social-robot-key", err)

    def test_real_looking_keys_are_accepted(self):
        rules = self.copy_rules()
        path = os.path.join(rules, "channels.conf")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(fill_keys(text))
        rc, out, err = H.check_config(os.path.join(rules, "approval-escalatord.conf"))
        self.assertEqual(rc, 0, err)
        self.assertIn("configuration OK", out)

    def test_placeholder_in_a_key_file_is_refused(self):
        mock = self.start_mock({"wecom": {"K1": {}}})
        key = os.path.join(self.tmp, "chat.key")
        with open(key, "w") as f:
            f.write("PLACEHOLDER-put-the-key-here\n")
        os.chmod(key, 0o600)
        path = self.write_config(self.config_text(mock, channels=[
            {"name": "chat", "type": "wecom", "key_file": key}]))
        rc, out, err = H.check_config(path)
        self.assertEqual(rc, 1, out)
        self.assertRegex(err, r"escalator\.conf:\d+: channel 'chat': the webhook key in the "
                              r"file named by 'key_file' is the placeholder")

    def test_start_is_refused_and_nothing_is_created(self):
        mock = self.start_mock({"wecom": {"K1": {}}})
        path = self.write_config(self.config_text(mock, channels=[
            {"name": "chat", "type": "wecom", "key": "PLACEHOLDER-chat"}]))
        rc, out, err = run_daemon("-d", "-f", path)
        self.assertEqual(rc, 1, err)
        self.assertIn("channel 'chat': the webhook key is the placeholder", err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "t.db")))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "ctl.sock")))
        self.assertEqual(mock.received("wecom"), [])

    def test_reload_to_placeholders_keeps_the_running_configuration(self):
        mock, d, path = self.simple_setup()
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn('"K1"', text)
        self.write_config(text.replace('"K1"', '"PLACEHOLDER-K1"'))
        r = d.ctl("reload")
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("the webhook key is the placeholder", r.err + r.out)
        self.assertEqual(d.status()["last_reload"], "failed")
        self.write_config(text)
        self.assertEqual(d.ctl("reload").rc, 0)
        self.assertEqual(d.status()["last_reload"], "ok")


class Options(unittest.TestCase):

    def test_help_on_stdout(self):
        rc, out, err = run_daemon("--help")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("usage: approval-escalatord"), out)
        for opt in ("--config", "--test", "--debug", "--help", "--version"):
            self.assertIn(opt, out)
        self.assertEqual(err, "")
        self.assertEqual(run_daemon("-h")[:2], (0, out))

    def test_version(self):
        with open(os.path.join(H.ROOT, "daemon", "escalator.h"), encoding="utf-8") as f:
            version = re.search(r'#define ESCALATOR_VERSION "([^"]+)"', f.read()).group(1)
        for opt in ("--version", "-V"):
            rc, out, err = run_daemon(opt)
            self.assertEqual((rc, out, err), (0, "approval-escalatord %s\n" % version, ""))

    def test_unknown_option_is_a_usage_error(self):
        rc, out, err = run_daemon("--no-such-option")
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertIn("usage: approval-escalatord", err)

    def test_long_config_and_test(self):
        rc, out, err = run_daemon("--test", "--config", os.path.join(H.ROOT, "no", "such.conf"))
        self.assertEqual(rc, 1)
        self.assertIn("such.conf", err)


if __name__ == "__main__":
    unittest.main()
