#!/usr/bin/env python3
# test_mockchat.py -- self-test of the mock chat server: starts mockchat.py on
# a free port in a subprocess and checks it answers like the real robot APIs
# (WEBHOOKS.md), records what it accepts and injects the faults it is told to.
#
# usage: python3 tests/mock/test_mockchat.py [-v]      (runs in a few seconds)

import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
MOCKCHAT = os.path.join(HERE, "mockchat.py")

DING_SECRET = "SECdingtalk-test-secret"
FEISHU_SECRET = "feishu-test-secret"
HOOK_SECRET = "webhook-test-secret"

# The success answer of WeCom and DingTalk.
OK = {"errcode": 0, "errmsg": "ok"}

# Small limits and a short block keep the run fast.
ROBOTS = {
    "wecom": {
        "wk-social": {"label": "社会投资类推进组"},
        "wk-limited": {"limit_per_min": 3},
        "wk-other": {},
    },
    "dingtalk": {
        "dt-signed": {"secret": DING_SECRET},
        "dt-keyword": {"keywords": ["审批"]},
        "dt-limited": {"limit_per_min": 3, "block_seconds": 1},
    },
    "feishu": {
        "fs-signed": {"secret": FEISHU_SECRET},
        "fs-keyword": {"keywords": ["催办"]},
        "fs-persec": {"per_sec": 2, "per_min": 0},
        "fs-permin": {"per_sec": 0, "per_min": 3},
    },
    "webhook": {
        "signed": {"secret": HOOK_SECRET},
        "open": {},
    },
}


def start_server(tmpdir, robots, *extra):
    """Start mockchat.py with robots as its config; return (process, port, stdout path)."""
    config = os.path.join(tmpdir, "robots.json")
    ready = os.path.join(tmpdir, "port")
    out = os.path.join(tmpdir, "stdout")
    with open(config, "w", encoding="utf-8") as f:
        json.dump(robots, f, ensure_ascii=False)
    with open(out, "w") as stdout:
        proc = subprocess.Popen(
            [sys.executable, MOCKCHAT, "--port", "0", "--config", config,
             "--record", os.path.join(tmpdir, "received.jsonl"), "--ready-file", ready]
            + list(extra), stdout=stdout)
    deadline = time.monotonic() + 10
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("mockchat did not start")
        time.sleep(0.02)
    with open(ready) as f:
        return proc, int(f.read()), out


def stop_server(proc):
    """Stop a server started by start_server."""
    proc.terminate()
    proc.wait(timeout=5)


def dingtalk_sign(secret, ts_ms):
    """DingTalk's signature, as a sender computes it (not URL-encoded yet)."""
    mac = hmac.new(secret.encode(), ("%d\n%s" % (ts_ms, secret)).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(secret, ts):
    """Feishu's signature: the string to sign is the key, the message is empty."""
    mac = hmac.new(("%d\n%s" % (ts, secret)).encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def text_msg(content):
    """A WeCom or DingTalk text message."""
    return {"msgtype": "text", "text": {"content": content}}


class MockChatCase(unittest.TestCase):
    """Shares one server across tests; each test starts from a reset."""

    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.mkdtemp(prefix="mockchat-test.")
        cls.proc, cls.port, cls.stdout = start_server(cls.tmpdir, ROBOTS)

    @classmethod
    def tearDownClass(cls):
        stop_server(cls.proc)
        shutil.rmtree(cls.tmpdir)

    def setUp(self):
        self.assertEqual(self.request("POST", "/_control/reset", {}), (200, {"ok": True}))

    def request(self, method, path, body=None, headers=None, raw=None):
        """Send one request; return (HTTP status, parsed JSON or text body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = raw if raw is not None else (
                None if body is None else json.dumps(body, ensure_ascii=False).encode())
            hdrs = {"Content-Type": "application/json"}
            hdrs.update(headers or {})
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            text = resp.read().decode()
            if resp.getheader("Content-Type", "").startswith("application/json"):
                return resp.status, json.loads(text)
            return resp.status, text
        finally:
            conn.close()

    def post(self, path, body=None, **kw):
        """POST and return (status, body)."""
        return self.request("POST", path, body, **kw)

    def wecom(self, key, body=None, **kw):
        """POST to a WeCom robot."""
        return self.post("/cgi-bin/webhook/send?key=" + key, body, **kw)

    def dingtalk(self, token, body, ts_ms=None, sign=None, **kw):
        """POST to a DingTalk robot, signed if sign is given."""
        query = {"access_token": token}
        if sign is not None:
            query.update(timestamp=str(ts_ms), sign=sign)
        return self.post("/robot/send?" + urllib.parse.urlencode(query), body, **kw)

    def feishu(self, token, body=None, **kw):
        """POST to a Feishu bot."""
        return self.post("/open-apis/bot/v2/hook/" + token, body, **kw)

    def fault(self, vendor, rid, fault):
        """Set a fault through the control API."""
        return self.post("/_control/fault", {"vendor": vendor, "id": rid, "fault": fault})

    def received(self, **query):
        """The accepted messages, optionally filtered."""
        path = "/_control/received"
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.request("GET", path)[1]

    def rejected(self):
        """The rejected requests."""
        return self.request("GET", "/_control/rejected")[1]


class NotifyTest(MockChatCase):
    """The "mentions" of a received message are the people it notifies."""

    def test_wecom(self):
        body = text_msg("请办理")
        body["text"].update(mentioned_list=["u1"], mentioned_mobile_list=["13800000001"])
        self.assertEqual(self.wecom("wk-social", body), (200, OK))
        md = {"msgtype": "markdown", "markdown": {"content": "请办理 <@u2> @13800000002"}}
        self.assertEqual(self.wecom("wk-social", md), (200, OK))
        got = self.received()
        self.assertEqual(got[0]["mentions"], ["u1", "13800000001"])
        self.assertEqual(got[1]["mentions"], ["u2"], "markdown notifies no mobile")

    def test_dingtalk(self):
        body = {"msgtype": "markdown", "markdown": {"title": "审批", "text": "审批 @13800000001 @u1"},
                "at": {"atMobiles": ["13800000001", "13800000002"], "atUserIds": ["u1"]}}
        self.assertEqual(self.dingtalk("dt-keyword", body), (200, OK))
        self.assertEqual(self.received()[0]["mentions"], ["13800000001", "u1"],
                         "an @mobile missing from the text notifies nobody")

    def test_feishu(self):
        text = {"msg_type": "text", "content": {"text": '催办 <at user_id="ou_1">甲</at>'}}
        card = {"msg_type": "interactive", "card": {"elements": [
            {"tag": "div", "text": {"tag": "lark_md", "content": "催办 <at id=ou_2></at> @乙"}}]}}
        post = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": "催办", "content": [
            [{"tag": "text", "text": "催办 @丙"}, {"tag": "at", "user_id": "ou_3"}]]}}}}
        for body in (text, card, post):
            self.assertEqual(self.feishu("fs-keyword", body)[1]["code"], 0)
        self.assertEqual([r["mentions"] for r in self.received()],
                         [["ou_1"], ["ou_2"], ["ou_3"]])


class ControlTest(MockChatCase):

    def test_health(self):
        self.assertEqual(self.request("GET", "/_control/health"), (200, {"ok": True}))

    def test_received_listing_and_record_file(self):
        self.assertEqual(self.wecom("wk-social", text_msg("第一条")), (200, OK))
        self.assertEqual(self.wecom("wk-other", text_msg("第二条")), (200, OK))
        got = self.received()
        self.assertEqual([(m["vendor"], m["id"], m["text"]) for m in got],
                         [("wecom", "wk-social", "第一条"), ("wecom", "wk-other", "第二条")])
        self.assertEqual(got[0]["body"], text_msg("第一条"))
        self.assertIsInstance(got[0]["t"], float)
        self.assertEqual([m["text"] for m in self.received(id="wk-other")], ["第二条"])
        self.assertEqual(self.received(vendor="feishu"), [])
        with open(os.path.join(self.tmpdir, "received.jsonl"), encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual(lines[-2:], got)

    def test_reset_clears_messages_and_faults(self):
        self.wecom("wk-social", text_msg("x"))
        self.fault("wecom", "wk-social", {"kind": "http", "status": 500})
        self.post("/_control/reset", {})
        self.assertEqual(self.received(), [])
        self.assertEqual(self.rejected(), [])
        self.assertEqual(self.wecom("wk-social", text_msg("y"))[1]["errcode"], 0)

    def test_bad_fault_requests(self):
        self.assertEqual(self.fault("wecom", "nope", None)[0], 404)
        self.assertEqual(self.fault("wecom", "wk-social", {"kind": "explode"})[0], 400)
        self.assertEqual(self.fault("wecom", "wk-social", {"kind": "http"})[0], 400)
        self.assertEqual(self.fault("wecom", "wk-social", {"kind": "drop", "count": 0})[0], 400)
        self.assertEqual(self.request("GET", "/_control/nothing")[0], 404)
        self.assertEqual(self.request("GET", "/cgi-bin/webhook/send?key=wk-social")[0], 405)


class WeComTest(MockChatCase):

    def test_text_success(self):
        body = text_msg("请尽快办理")
        body["text"]["mentioned_mobile_list"] = ["13800000000"]
        self.assertEqual(self.wecom("wk-social", body), (200, OK))
        self.assertEqual(self.received()[0]["text"], "请尽快办理")

    def test_unknown_key(self):
        status, body = self.wecom("no-such-key", text_msg("x"))
        self.assertEqual((status, body["errcode"]), (200, 93000))
        self.assertRegex(body["errmsg"], r"^invalid webhook url, hint: \[\d+\], from ip: "
                         r"127\.0\.0\.1, more info at .*\?e=93000$")
        self.assertNotIn("no-such-key", body["errmsg"])
        self.assertEqual(self.rejected()[0]["code"], 93000)

    def test_malformed_messages(self):
        for raw in (b"not json", b'{"text":{"content":"x"}}', b'{"msgtype":"Text"}',
                    b'{"msgtype":"text","text":{"content":5}}',
                    b'{"msgtype":"text","text":{"content":"x","mentioned_list":"@all"}}',
                    b'{"msgtype":"text","text":{"content":"x","mentioned_mobile_list":[1]}}'):
            with self.subTest(raw=raw):
                status, body = self.wecom("wk-social", raw=raw)
                self.assertEqual((status, body["errcode"]), (200, 40008))
        self.assertEqual(self.wecom("wk-social", text_msg(""))[1]["errcode"], 44004)
        self.assertEqual(self.received(), [])

    def test_byte_limits(self):
        # 1365 Chinese characters are 4095 bytes: one ASCII byte fits, two do not.
        fits, over = "审" * 1365 + "a", "审" * 1365 + "ab"
        self.assertEqual(len(over.encode()), 4097)
        md = lambda c: {"msgtype": "markdown", "markdown": {"content": c}}
        self.assertEqual(self.wecom("wk-social", md(fits))[1]["errcode"], 0)
        status, body = self.wecom("wk-social", md(over))
        self.assertEqual((status, body["errcode"]), (200, 40058))
        self.assertEqual(self.wecom("wk-social", text_msg("审" * 682 + "ab"))[1]["errcode"], 0)
        self.assertEqual(self.wecom("wk-social", text_msg("审" * 683))[1]["errcode"], 40058)

    def test_rate_limit(self):
        codes = [self.wecom("wk-limited", text_msg(str(i)))[1]["errcode"] for i in range(4)]
        self.assertEqual(codes, [0, 0, 0, 45009])
        # The window is per robot.
        self.assertEqual(self.wecom("wk-other", text_msg("x"))[1]["errcode"], 0)


class WeComFileTest(MockChatCase):
    """upload_media then a file message (not in WEBHOOKS.md: see mockchat.py)."""

    def upload(self, key, data, name="通报.xlsx", field="media", mtype="file", extra=""):
        boundary = "----mocktest7d1"
        body = ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\";"
                " filelength=%d%s\r\nContent-Type: application/octet-stream\r\n\r\n"
                % (boundary, field, name, len(data), extra)).encode() + data + \
            ("\r\n--%s--\r\n" % boundary).encode()
        return self.post("/cgi-bin/webhook/upload_media?key=%s&type=%s" % (key, mtype),
                         raw=body, headers={"Content-Type": "multipart/form-data; boundary="
                                            + boundary})

    def test_upload_then_file(self):
        status, body = self.upload("wk-social", b"hello workbook")
        self.assertEqual((status, body["errcode"], body["type"]), (200, 0, "file"))
        mid = body["media_id"]
        ups = self.request("GET", "/_control/uploads?id=wk-social")[1]
        self.assertEqual([(u["name"], u["size"], u["filelength"]) for u in ups],
                         [("通报.xlsx", 14, "14")])
        self.assertEqual(self.request("GET", "/_control/media?media_id=" + mid),
                         (200, "hello workbook"))
        msg = {"msgtype": "file", "file": {"media_id": mid}}
        self.assertEqual(self.wecom("wk-social", msg), (200, OK))
        self.assertEqual(self.received()[0]["text"], "[file] " + mid)
        # Unknown, or another robot's: 40007.
        self.assertEqual(self.wecom("wk-other", msg)[1]["errcode"], 40007)
        bad = {"msgtype": "file", "file": {"media_id": "nope"}}
        self.assertEqual(self.wecom("wk-social", bad)[1]["errcode"], 40007)

    def test_upload_errors(self):
        self.assertEqual(self.upload("no-such-key", b"hello")[1]["errcode"], 93000)
        self.assertEqual(self.upload("wk-social", b"12345")[1]["errcode"], 40006)
        self.assertEqual(self.upload("wk-social", b"123456")[1]["errcode"], 0)
        self.assertEqual(self.upload("wk-social", b"hello!", field="file")[1]["errcode"],
                         44001)
        self.assertEqual(self.upload("wk-social", b"hello!", mtype="image")[1]["errcode"],
                         40004)
        status, body = self.post("/cgi-bin/webhook/upload_media?key=wk-social&type=file",
                                 {"not": "multipart"})
        self.assertEqual(body["errcode"], 44001)
        big = b"x" * (20 * 1024 * 1024 + 1)
        self.assertEqual(self.upload("wk-social", big)[1]["errcode"], 40006)

    def test_fault_on_one_endpoint(self):
        self.assertEqual(self.fault("wecom", "wk-social", {
            "kind": "http", "status": 502, "count": 1, "endpoint": "upload_media"})[0], 200)
        self.assertEqual(self.wecom("wk-social", text_msg("x")), (200, OK))
        self.assertEqual(self.upload("wk-social", b"hello!")[0], 502)
        self.assertEqual(self.upload("wk-social", b"hello!")[1]["errcode"], 0)
        self.assertEqual(self.fault("wecom", "wk-social", {
            "kind": "drop", "endpoint": "other"})[0], 400)


class DingTalkTest(MockChatCase):

    def test_unknown_token(self):
        self.assertEqual(self.dingtalk("nope", text_msg("x")),
                         (200, {"errcode": 300001, "errmsg": "token is not exist"}))

    def test_signature(self):
        now = int(time.time() * 1000)
        ok = self.dingtalk("dt-signed", text_msg("签名"), now, dingtalk_sign(DING_SECRET, now))
        self.assertEqual(ok, (200, OK))
        stale = now - 3700 * 1000
        for ts, sign in ((now, dingtalk_sign("wrong", now)),
                         (stale, dingtalk_sign(DING_SECRET, stale)),
                         (now, "")):
            with self.subTest(ts=ts, sign=sign):
                status, body = self.dingtalk("dt-signed", text_msg("x"), ts, sign)
                self.assertEqual((status, body["errcode"]), (200, 310000))
                self.assertTrue(body["errmsg"].startswith("sign not match"))
        self.assertEqual(self.dingtalk("dt-signed", text_msg("unsigned"))[1]["errcode"], 310000)
        self.assertEqual([m["text"] for m in self.received()], ["签名"])

    def test_keywords(self):
        status, body = self.dingtalk("dt-keyword", text_msg("no keyword here"))
        self.assertEqual((status, body["errcode"]), (200, 310000))
        self.assertIn("keywords not in content", body["errmsg"])
        md = {"msgtype": "markdown", "markdown": {"title": "审批催办", "text": "### 立项 逾期"}}
        self.assertEqual(self.dingtalk("dt-keyword", md)[1]["errcode"], 0)
        card = {"msgtype": "actionCard",
                "actionCard": {"title": "t", "text": "待审批", "singleTitle": "查看",
                               "singleURL": "https://example.invalid/"}}
        self.assertEqual(self.dingtalk("dt-keyword", card)[1]["errcode"], 0)
        self.assertEqual([m["text"] for m in self.received()], ["### 立项 逾期", "待审批"])

    def test_too_long(self):
        body = text_msg("x" * 20000)
        self.assertEqual(self.dingtalk("dt-keyword", body)[1]["errcode"], 460101)

    def test_rate_limit_then_blocked(self):
        send = lambda: self.dingtalk("dt-limited", text_msg("x"))[1]
        self.assertEqual([send()["errcode"] for _ in range(3)], [0, 0, 0])
        self.assertEqual(send(), {"errcode": 130101,
                                  "errmsg": "send too fast, exceed 20 times per minute"})
        # Blocked: refused although the minute's window was cleared.
        self.assertEqual(send()["errcode"], 130101)
        time.sleep(1.1)
        self.assertEqual(send()["errcode"], 0)


class FeishuTest(MockChatCase):

    SUCCESS = {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {},
               "msg": "success"}

    def text(self, s, **extra):
        body = {"msg_type": "text", "content": {"text": s}}
        body.update(extra)
        return body

    def test_unknown_token(self):
        self.assertEqual(self.feishu("nope", self.text("x")), (200, {
            "code": 19001, "msg": "param invalid: incoming webhook access token invalid",
            "data": {}}))

    def test_signature(self):
        now = int(time.time())
        good = self.text("签名", timestamp=str(now), sign=feishu_sign(FEISHU_SECRET, now))
        self.assertEqual(self.feishu("fs-signed", good), (200, self.SUCCESS))
        as_int = self.text("int", timestamp=now, sign=feishu_sign(FEISHU_SECRET, now))
        self.assertEqual(self.feishu("fs-signed", as_int)[1]["code"], 0)
        stale = now - 3700
        for body in (self.text("x", timestamp=str(now), sign=feishu_sign("wrong", now)),
                     self.text("x", timestamp=str(stale), sign=feishu_sign(FEISHU_SECRET, stale)),
                     self.text("x")):
            with self.subTest(body=body):
                self.assertEqual(self.feishu("fs-signed", body)[1]["code"], 19021)

    def test_keywords_search_card(self):
        self.assertEqual(self.feishu("fs-keyword", self.text("nothing"))[1],
                         {"code": 19024, "msg": "Key Words Not Found", "data": {}})
        card = {"msg_type": "interactive", "card": {
            "header": {"title": {"tag": "plain_text", "content": "催办"}},
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": "**环评** 逾期"}}]}}
        self.assertEqual(self.feishu("fs-keyword", card)[1]["code"], 0)
        self.assertEqual(self.received()[0]["text"], "**环评** 逾期")

    def test_post_text(self):
        post = {"msg_type": "post", "content": {"post": {"zh_cn": {"title": "T", "content": [
            [{"tag": "text", "text": "请 "}, {"tag": "at", "user_id": "ou_1", "user_name": "张三"}],
            [{"tag": "a", "text": "详情", "href": "https://example.invalid/"}]]}}}}
        self.assertEqual(self.feishu("fs-keyword", post)[1]["code"], 19024)
        self.assertEqual(self.feishu("fs-permin", post)[1]["code"], 0)
        self.assertEqual(self.received()[0]["text"], "请 @张三\n详情")

    def test_rate_limits(self):
        codes = [self.feishu("fs-persec", self.text(str(i)))[1]["code"] for i in range(3)]
        self.assertEqual(codes, [0, 0, 11232])
        codes = [self.feishu("fs-permin", self.text(str(i)))[1] for i in range(4)]
        self.assertEqual([c["code"] for c in codes], [0, 0, 0, 11232])
        self.assertEqual(codes[3]["msg"],
                         "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]")

    def test_too_large_and_malformed(self):
        self.assertEqual(self.feishu("fs-permin", self.text("x" * 21000))[1]["code"], 9499)
        self.assertEqual(self.feishu("fs-permin", raw=b"{")[1]["code"], 9499)
        self.assertEqual(self.feishu("fs-permin", {"msg_type": "text"})[1]["code"], 9499)


class WebhookTest(MockChatCase):

    def test_signed(self):
        raw = json.dumps({"event": "overdue", "text": "立项 逾期"}).encode()
        sig = "sha256=" + hmac.new(HOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        self.assertEqual(self.post("/hook/signed", raw=raw, headers={
            "X-Escalator-Signature": sig}), (200, {"ok": True}))
        self.assertEqual(self.post("/hook/signed", raw=raw, headers={
            "X-Escalator-Signature": "sha256=" + "0" * 64})[0], 401)
        self.assertEqual(self.post("/hook/signed", raw=raw)[0], 401)
        self.assertEqual([m["text"] for m in self.received()], ["立项 逾期"])

    def test_open(self):
        self.assertEqual(self.post("/hook/open", [1, 2]), (200, {"ok": True}))
        self.assertEqual(self.post("/hook/open", raw=b"nope")[0], 400)
        self.assertEqual(self.post("/hook/missing", {})[0], 404)
        self.assertEqual(self.received()[0]["body"], [1, 2])


class FaultTest(MockChatCase):

    def test_http(self):
        fault = {"kind": "http", "status": 502, "count": 2}
        self.assertEqual(self.fault("wecom", "wk-social", fault), (200, {"ok": True}))
        self.assertEqual(self.wecom("wk-social", text_msg("1"))[0], 502)
        self.assertEqual(self.wecom("wk-social", text_msg("2"))[0], 502)
        self.assertEqual(self.wecom("wk-social", text_msg("3")), (200, OK))
        self.assertEqual([m["text"] for m in self.received()], ["3"])
        self.assertEqual([r["http"] for r in self.rejected()], [502, 502])

    def test_forever_until_healed(self):
        self.fault("feishu", "fs-permin", {"kind": "http", "status": 503, "count": -1})
        for _ in range(3):
            self.assertEqual(self.feishu("fs-permin", {"msg_type": "text",
                                                       "content": {"text": "x"}})[0], 503)
        self.fault("feishu", "fs-permin", None)
        self.assertEqual(self.feishu("fs-permin", {"msg_type": "text",
                                                   "content": {"text": "x"}})[0], 200)

    def test_errcode(self):
        self.fault("wecom", "wk-social", {"kind": "errcode", "errcode": 93000, "count": 1})
        status, body = self.wecom("wk-social", text_msg("x"))
        self.assertEqual((status, body["errcode"]), (200, 93000))
        self.assertTrue(body["errmsg"].startswith("invalid webhook url"))
        self.fault("feishu", "fs-permin", {"kind": "errcode", "errcode": 19022, "count": 1})
        self.assertEqual(self.feishu("fs-permin", {"msg_type": "text", "content": {"text": "x"}})
                         [1]["code"], 19022)
        self.assertEqual(self.wecom("wk-social", text_msg("y"))[1]["errcode"], 0)

    def test_drop(self):
        self.fault("dingtalk", "dt-keyword", {"kind": "drop", "count": 1})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.dingtalk("dt-keyword", text_msg("审批"))
        self.assertEqual(self.dingtalk("dt-keyword", text_msg("审批"))[1]["errcode"], 0)
        self.assertEqual(self.rejected()[0]["http"], None)

    def test_ratelimit(self):
        self.fault("dingtalk", "dt-keyword", {"kind": "ratelimit", "count": 1})
        self.assertEqual(self.dingtalk("dt-keyword", text_msg("审批"))[1]["errcode"], 130101)
        self.assertEqual(self.dingtalk("dt-keyword", text_msg("审批"))[1]["errcode"], 0)

    def test_stall_does_not_block_other_robots(self):
        self.fault("wecom", "wk-social", {"kind": "stall", "seconds": 1, "count": 1})
        result = {}

        def stalled():
            start = time.monotonic()
            result["reply"] = self.wecom("wk-social", text_msg("slow"))
            result["took"] = time.monotonic() - start

        t = threading.Thread(target=stalled)
        t.start()
        time.sleep(0.1)
        start = time.monotonic()
        self.assertEqual(self.wecom("wk-other", text_msg("fast"))[1]["errcode"], 0)
        self.assertLess(time.monotonic() - start, 0.5)
        t.join()
        self.assertEqual(result["reply"], (200, OK))
        self.assertGreaterEqual(result["took"], 1.0)
        self.assertEqual([m["text"] for m in self.received()], ["fast", "slow"])


class StartupTest(unittest.TestCase):
    """Behaviour that needs a server of its own: config faults, --pretty, bad configs."""

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix="mockchat-test.")
        self.addCleanup(shutil.rmtree, self.tmpdir)

    def test_config_fault_and_pretty(self):
        robots = {"wecom": {"demo": {"label": "demo-social"},
                            "broken": {"fault": {"kind": "errcode", "errcode": 93000}}}}
        proc, port, out = start_server(self.tmpdir, robots, "--pretty")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            for key, content in (("broken", "x"), ("demo", "## 催办\n<font color=\"warning\">"
                                  "逾期 3 天</font> **环评** <@zhangsan> [详情](https://e.invalid/x)")):
                body = {"msgtype": "markdown", "markdown": {"content": content}}
                conn.request("POST", "/cgi-bin/webhook/send?key=" + key, json.dumps(body))
                reply = json.loads(conn.getresponse().read())      # one kept-alive connection
                self.assertEqual(reply["errcode"], 93000 if key == "broken" else 0)
            conn.close()
        finally:
            stop_server(proc)
        with open(out, encoding="utf-8") as f:
            shown = f.read()
        self.assertIn("listening on 127.0.0.1:%d\n" % port, shown)
        self.assertRegex(shown, r"──── 企业微信 · 群机器人 \[demo-social\] \d\d:\d\d:\d\d ────\n"
                         r"催办\n逾期 3 天 环评 @zhangsan 详情 \(https://e.invalid/x\)\n")
        self.assertNotIn("broken", shown)

    def test_bad_config(self):
        config = os.path.join(self.tmpdir, "robots.json")
        with open(config, "w") as f:
            json.dump({"dingtalk": {"t": {"secert": "s"}}}, f)
        proc = subprocess.run([sys.executable, MOCKCHAT, "--config", config],
                              capture_output=True, text=True, timeout=10)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("dingtalk.t: unknown setting 'secert'", proc.stderr)


if __name__ == "__main__":
    unittest.main()
