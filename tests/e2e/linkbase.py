"""Shared setup of the signed-action-link tests (test_links, test_browser):
a daemon with public_url on a loopback TCP listener, a link secret file,
the board on, one work group whose leader has a chat, and a ladder whose
催办 repeats every few seconds."""

import http.cookiejar
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request

from tests.e2e import harness as H

SECRET = "e2e-link-secret-0123456789abcdef"
TOKEN = "e2e-api-token-123456"
LINK_RE = re.compile(r"(http://127\.0\.0\.1:\d+/a/[A-Za-z0-9_-]+)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:400])


def fetch(url, form=None, method=None, headers=None, opener=None):
    """One HTTP request: (status, headers, text), errors included."""
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    op = opener or urllib.request.build_opener(NoRedirect)
    try:
        with op.open(req, timeout=20) as r:
            return Answer(r.status, r.headers, r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.headers, e.read().decode("utf-8", "replace"))


def csrf_of(html):
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    return m.group(1) if m else None


class LinkCase(H.E2ETestCase):
    """A running daemon with action links; self.mock, self.d, self.port."""

    REPEAT = "3s"

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        secret = os.path.join(self.tmp, "link.secret")
        with open(secret, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(secret, 0o600)
        self.mock = self.start_mock({"wecom": {"K1": {}, "LEAD": {}}})
        extra = {
            "listen": "127.0.0.1:%d" % self.port,
            "api_token": TOKEN,
            "public_url": self.base + "/",
            "link_secret_file": secret,
            "board": True,
            "admin_channel": "chat",
            "people": [
                {"id": "p-lead", "name": "王组长", "role": "副局长",
                 "mobile": "13800000002", "wecom": "wang"},
                {"id": "p-h", "name": "张三", "role": "科员",
                 "mobile": "13800000009"},
            ],
            "departments": [{"name": "投资项目审批科", "contact": "p-h",
                             "channel": "chat"}],
            "groups": [{"name": "社会投资类推进组", "leader": "p-lead",
                        "members": ["p-h"], "channel": "leader",
                        "categories": ["社会投资类"]}],
        }
        chans = [{"name": "chat", "type": "wecom", "key": "K1"},
                 {"name": "leader", "type": "wecom", "key": "LEAD"}]
        pol = H.ladder(("reminder", "催办", "0s", ["department"],
                        {"repeat": self.REPEAT}),
                       ("supervision", "督查", "+3600s", ["leader"]))
        self.path = self.write_config(self.config_text(
            self.mock, channels=chans, policies=[pol], extra=extra))
        self.d = self.start_daemon(self.path)

    def chat(self, key="K1"):
        return [m for m in self.mock.received("wecom", key)]

    def first_link(self, item_id=None, key="K1"):
        """Wait for a notice in a chat and return its first action link."""
        def find():
            for m in self.chat(key):
                for u in LINK_RE.findall(m.get("text") or ""):
                    return u
            return None
        H.wait_for(lambda: find() is not None, 30, "a notice with a link")
        return find()

    def escalated_item(self, **kw):
        kw.setdefault("project", "LNK-1")
        kw.setdefault("category", "社会投资类")
        kw.setdefault("project_name", "智能制造产业园")
        item = self.d.add_item(deadline="+1", handler="张三", **kw)
        return item, self.first_link()

    def api(self, path):
        return fetch(self.base + "/v1" + path,
                     headers={"Authorization": "Bearer " + TOKEN})


def mint(item, actions, issued, expires, ref=0, role=0, stage=0, salt=7,
         secret=SECRET):
    """A token as link.c makes one (its format, checked from outside)."""
    import base64
    import hashlib
    import hmac
    import struct
    payload = struct.pack(">BIIBBHIIH", 1, item, ref, actions, role, stage,
                          issued, expires, salt)
    mac = hmac.new(secret.encode(), b"link\0" + payload,
                   hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


ACK, PROGRESS, DONE, STOP, APPROVE, REJECT, BOARD = 1, 2, 4, 8, 16, 32, 64
NOTICE = ACK | PROGRESS | DONE | STOP
