#!/usr/bin/env python3
# mockchat.py -- one local HTTP server standing in for the WeCom, DingTalk and
# Feishu group-robot APIs and for the generic JSON webhook, used by the
# end-to-end tests and by the demo.  Python 3 standard library only.
#
# It answers the way the real services do as far as a sender can tell (see
# WEBHOOKS.md): HTTP 200 with the vendor's JSON error body on failure, the
# vendors' error codes, signing, keywords, byte limits and rate limits.  It
# records every accepted message and lets a test inject faults per robot.
"""Mock chat-robot server for approval-escalatord's tests and demo.

usage: mockchat.py --config robots.json [--port N] [--host ADDR]
                   [--record received.jsonl] [--ready-file F] [--pretty]
                   [--verbose]

Endpoints (all on one port):
  POST /cgi-bin/webhook/send?key=KEY                    WeCom group robot
  POST /cgi-bin/webhook/upload_media?key=KEY&type=file  WeCom robot file upload
  POST /robot/send?access_token=T[&timestamp=MS&sign=S] DingTalk custom robot
  POST /open-apis/bot/v2/hook/TOKEN                     Feishu custom bot
  POST /hook/NAME                                       generic JSON webhook

Control API:
  GET  /_control/health              {"ok": true}
  GET  /_control/received[?vendor=V&id=I]  accepted messages, oldest first
  GET  /_control/rejected[?vendor=V&id=I]  rejected requests and their codes
  POST /_control/reset               forget messages, rate windows, faults
  POST /_control/fault               {"vendor": V, "id": I, "fault": F}
  GET  /_control/fault?vendor=V&id=I  {"fault": F or null}: the fault left
  GET  /_control/uploads[?id=I]      WeCom uploads: media_id, name, size, sha256
  GET  /_control/media?media_id=M    the bytes of an uploaded file

robots.json maps vendor -> robot id -> settings (every setting optional):
  wecom:    label, fault, limit_per_min=20, text_max_bytes=2048,
            markdown_max_bytes=4096, media_ttl_seconds=259200
  dingtalk: label, fault, secret, keywords, limit_per_min=20,
            block_seconds=600, max_body_bytes=20000
  feishu:   label, fault, secret, keywords, per_sec=5, per_min=100,
            max_body_bytes=20480
  webhook:  label, fault, secret, limit_per_min=0
A limit of 0 means unlimited.

A fault F is null (healthy) or an object with "kind" and an optional
"count" (how many requests it affects; -1, the default, means forever):
  {"kind": "http", "status": 502}      answer with that HTTP status
  {"kind": "errcode", "errcode": 93000} answer the vendor's error body
  {"kind": "stall", "seconds": 30}     sleep, then handle the request normally
  {"kind": "drop"}                     close the connection without answering
  {"kind": "ratelimit"}                answer the vendor's rate-limit error
A fault may name the one endpoint it affects, "endpoint": "send" or
"upload_media" (WeCom); without it, it affects the robot's next requests.
"""

import argparse
import base64
import collections
import hashlib
import hmac
import http.server
import itertools
import json
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.parse

# Both vendors that sign accept a timestamp within an hour of their clock.
SIGN_WINDOW = 3600

# Request bodies above this are refused outright: no robot takes anything
# near it (a WeCom upload takes a file of up to 20 MB), and the mock should
# not buffer arbitrary amounts.
MAX_REQUEST = 21 * 1024 * 1024

# Marks a body that is not valid JSON (json.loads may legitimately give None).
INVALID = object()


# ---------------------------------------------------------------------------
# Small helpers


def parse_json(raw):
    """The JSON value in raw UTF-8 bytes, or INVALID."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return INVALID


def get(obj, dotted, kind):
    """The value at a dotted path through nested dicts if it has type kind, else None."""
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj if isinstance(obj, kind) else None


def is_str_list(value):
    """True if value is a list of strings."""
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def is_number(value):
    """True for int or float but not bool (which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_int(value):
    """True for int but not bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def all_strings(node):
    """Every string anywhere inside a JSON value, depth first."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from all_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_strings(v)


def b64_hmac(key, msg):
    """base64(HMAC-SHA256(key, msg)) as text; key and msg are str or bytes."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    if isinstance(msg, str):
        msg = msg.encode("utf-8")
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode("ascii")


def same(a, b):
    """Constant-time comparison of two strings that may hold any characters."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def signed_within(ts_seconds, now):
    """True if a signing timestamp is close enough to now to be accepted."""
    return abs(ts_seconds - now) <= SIGN_WINDOW


class Reply:
    """What to answer: an HTTP status and a body (dict: JSON, str: text), or drop."""

    def __init__(self, status=200, body=None, headers=None, drop=False):
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.drop = drop

    def code(self):
        """The vendor's error code in the body, if it has one."""
        if isinstance(self.body, dict):
            for key in ("errcode", "code"):
                if isinstance(self.body.get(key), int):
                    return self.body[key]
        return None


class TooLarge(ValueError):
    """A request body above MAX_REQUEST."""


class Reject(Exception):
    """Raised by a vendor's checks: answer with reply, do not accept the message."""

    def __init__(self, reply, reason):
        super().__init__(reason)
        self.reply = reply
        self.reason = reason


class Request:
    """The parts of an HTTP request the vendors look at."""

    def __init__(self, method, path, query, headers, body, ip):
        self.method = method
        self.path = path
        self.query = query          # name -> first value, URL-decoded
        self.headers = headers
        self.body = body            # raw bytes
        self.ip = ip


class View:
    """What a chat member would see of one message.

    text is what the record keeps; shown (default: text) is what --pretty
    renders, as markdown when markdown is true.
    """

    def __init__(self, text, title=None, markdown=False, mentions=(),
                 links=(), shown=None):
        self.text = text
        self.title = title
        self.markdown = markdown
        self.mentions = list(mentions)
        self.links = list(links)     # (label, url) pairs: buttons, link cards
        self.shown = text if shown is None else shown


# ---------------------------------------------------------------------------
# Rate limits and robots


class Window:
    """Sliding-window counter: at most limit events in any span of seconds (0: no limit)."""

    def __init__(self, limit, seconds):
        self.limit = limit
        self.seconds = seconds
        self.times = collections.deque()

    def full(self, now):
        """True if one more event now would exceed the limit."""
        if not self.limit:
            return False
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        return len(self.times) >= self.limit

    def add(self, now):
        """Count one event at monotonic time now."""
        if self.limit:
            self.times.append(now)

    def clear(self):
        """Forget every event."""
        self.times.clear()


FAULT_FIELDS = {
    "http": {"status": is_int},
    "errcode": {"errcode": is_int},
    "stall": {"seconds": is_number},
    "drop": {},
    "ratelimit": {},
}


def parse_fault(fault):
    """Check a fault description; return a normalised copy, or None for healthy.

    Raises ValueError with a message suitable for the caller.
    """
    if fault is None:
        return None
    if not isinstance(fault, dict):
        raise ValueError("a fault is null or an object")
    kind = fault.get("kind")
    if kind not in FAULT_FIELDS:
        raise ValueError("fault kind must be one of %s" % ", ".join(FAULT_FIELDS))
    fields = FAULT_FIELDS[kind]
    for name in fault:
        if name not in ("kind", "count", "endpoint") and name not in fields:
            raise ValueError("%s fault: unknown field %r" % (kind, name))
    out = {"kind": kind, "count": fault.get("count", -1)}
    if "endpoint" in fault:
        if fault["endpoint"] not in ("send", "upload_media"):
            raise ValueError('fault endpoint must be "send" or "upload_media"')
        out["endpoint"] = fault["endpoint"]
    count = out["count"]
    if not is_int(count) or (count < 1 and count != -1):
        raise ValueError("fault count must be -1 (forever) or a positive integer")
    for name, check in fields.items():
        if not check(fault.get(name)):
            raise ValueError("%s fault needs a %s %r"
                             % (kind, "numeric" if check is is_number else "integer", name))
        out[name] = fault[name]
    if kind == "http" and not 200 <= out["status"] <= 599:
        raise ValueError("http fault status must be 200..599")
    if kind == "stall" and out["seconds"] < 0:
        raise ValueError("stall fault seconds must not be negative")
    return out


class Robot:
    """One configured robot: its settings and the state the mock keeps for it."""

    def __init__(self, vendor, rid, settings):
        self.vendor = vendor
        self.id = rid
        self.settings = settings
        self.label = settings.get("label") or rid
        self.lock = threading.Lock()
        self.windows = [Window(settings[name], seconds) for name, seconds in vendor.windows]
        self.blocked_until = 0.0    # monotonic time; DingTalk's 10-minute block
        self.fault = settings.get("fault")
        self.media = {}             # WeCom: media_id -> upload (see WeCom.upload)

    def take_fault(self, endpoint="send"):
        """The active fault for this request (using up one of its count), or None."""
        with self.lock:
            fault = self.fault
            if fault is None or fault.get("endpoint", endpoint) != endpoint:
                return None
            if fault["count"] > 0:
                fault["count"] -= 1
                if fault["count"] == 0:
                    self.fault = None
            return dict(fault)

    def set_fault(self, fault):
        """Install a fault already checked by parse_fault (None heals the robot)."""
        with self.lock:
            self.fault = fault

    def reset(self):
        """Forget rate-limit history, any block and any fault."""
        with self.lock:
            for w in self.windows:
                w.clear()
            self.blocked_until = 0.0
            self.fault = None
            self.media.clear()


# ---------------------------------------------------------------------------
# Vendors: each knows its URL, its settings, its checks and its replies.


class Vendor:
    """Behaviour shared by the three chat vendors and the generic webhook."""

    name = None         # key in robots.json and in records
    title = None        # header shown by --pretty
    route = None        # compiled regex matched against the URL path
    options = {}        # per-robot settings and their defaults
    windows = ()        # (setting, seconds): the rate limits, checked in order

    def robot_id(self, match, query):
        """The robot id named by a request, or None."""
        return match.group(1)

    def error(self, req, code, msg=None):
        """The vendor's error reply for code (msg defaults to a known text)."""
        raise NotImplementedError

    def success(self):
        """The vendor's reply for an accepted message."""
        raise NotImplementedError

    def unknown(self, req):
        """The reply for a key/token/name that no robot has."""
        raise NotImplementedError

    def throttled(self, req):
        """The vendor's rate-limit reply."""
        raise NotImplementedError

    def check(self, robot, req):
        """Validate a request; return (parsed body, View) or raise Reject."""
        raise NotImplementedError

    def reject(self, req, code, reason, msg=None):
        """A Reject carrying the vendor's error reply for code."""
        return Reject(self.error(req, code, msg), reason)

    def admit(self, robot, req):
        """Count an otherwise acceptable message against the rate limits, or raise Reject."""
        now = time.monotonic()
        with robot.lock:
            if any(w.full(now) for w in robot.windows):
                raise Reject(self.throttled(req), "rate limit")
            for w in robot.windows:
                w.add(now)

    def fault_reply(self, fault, req):
        """The reply a fault of kind http, errcode, drop or ratelimit calls for."""
        kind = fault["kind"]
        if kind == "http":
            return Reply(fault["status"], "mockchat: injected HTTP %d\n" % fault["status"])
        if kind == "errcode":
            return self.error(req, fault["errcode"])
        if kind == "drop":
            return Reply(drop=True)
        return self.throttled(req)


class WeCom(Vendor):
    """WeCom group robot: POST /cgi-bin/webhook/send?key=KEY."""

    name = "wecom"
    title = "企业微信 · 群机器人"
    route = re.compile(r"^/cgi-bin/webhook/send$")
    options = {"limit_per_min": 20, "text_max_bytes": 2048, "markdown_max_bytes": 4096,
               "media_ttl_seconds": 3 * 86400}
    windows = (("limit_per_min", 60),)
    upload_route = re.compile(r"^/cgi-bin/webhook/upload_media$")

    # Files (not in WEBHOOKS.md; from WeCom's documentation of the group
    # robot and of media uploads, 上传临时素材): a robot uploads a file to
    # upload_media?key=KEY&type=file as multipart/form-data, one part named
    # "media" with filename (and filelength, content-type); the answer
    # {"errcode":0,"errmsg":"ok","type":"file","media_id":...,"created_at":...}
    # gives a media_id valid three days, which a message
    # {"msgtype":"file","file":{"media_id":...}} posts.  A file must be
    # more than 5 bytes and at most 20 MB.  The error codes are WeCom's
    # general ones: 40004 invalid media type, 40006 invalid file size,
    # 40007 invalid media_id, 44001 empty media.  The mock's own choices:
    # an upload does not count against the message rate limit (unverified
    # either way), a media_id is good only for the robot that uploaded it.
    MEDIA_MIN = 5
    MEDIA_MAX = 20 * 1024 * 1024

    # msgtype -> its content limit setting; other accepted types have no text.
    TEXT_TYPES = {"text": "text_max_bytes", "markdown": "markdown_max_bytes",
                  "markdown_v2": "markdown_max_bytes"}
    OTHER_TYPES = ("image", "news", "file", "voice", "template_card")
    MESSAGES = {
        93000: "invalid webhook url",
        40008: "invalid message type",
        44004: "text content is empty",
        40058: "content exceed max length",
        45009: "api freq out of limit",
        40004: "invalid media type",
        40006: "invalid file size",
        40007: "invalid media_id",
        44001: "empty media data",
    }

    def robot_id(self, match, query):
        return query.get("key") or None

    def error(self, req, code, msg=None):
        # The real server appends a request id ("hint") and the caller's
        # address; clients must branch on errcode, never on this text.
        hint = "%d%012d" % (time.time() * 1000, random.randrange(10 ** 12))
        text = "%s, hint: [%s], from ip: %s, more info at " \
               "https://open.work.weixin.qq.com/devtool/query?e=%d" % (
                   msg or self.MESSAGES.get(code, "mockchat injected error"),
                   hint, req.ip, code)
        return Reply(200, {"errcode": code, "errmsg": text})

    def success(self):
        return Reply(200, {"errcode": 0, "errmsg": "ok"})

    def unknown(self, req):
        return self.error(req, 93000)

    def throttled(self, req):
        return self.error(req, 45009)

    def check(self, robot, req):
        body = parse_json(req.body)
        mtype = get(body, "msgtype", str)
        # msgtype is case-sensitive on the real server ("Text" fails too).
        if mtype not in self.TEXT_TYPES and mtype not in self.OTHER_TYPES:
            raise self.reject(req, 40008, "not JSON or bad msgtype")
        if not isinstance(body.get(mtype), dict):
            raise self.reject(req, 40008, "missing %s object" % mtype)
        if mtype == "file":
            mid = get(body, "file.media_id", str)
            with robot.lock:
                media = robot.media.get(mid) if mid else None
            if media is None or time.time() - media["t"] >= robot.settings["media_ttl_seconds"]:
                raise self.reject(req, 40007, "unknown or expired media_id")
        if mtype in self.TEXT_TYPES:
            part = body[mtype]
            content = part.get("content")
            if content is None or content == "":
                raise self.reject(req, 44004, "empty %s.content" % mtype)
            if not isinstance(content, str):
                raise self.reject(req, 40008, "%s.content not a string" % mtype)
            for name in ("mentioned_list", "mentioned_mobile_list"):
                if mtype == "text" and name in part and not is_str_list(part[name]):
                    raise self.reject(req, 40008, "text.%s not a list of strings" % name)
            limit = robot.settings[self.TEXT_TYPES[mtype]]
            size = len(content.encode("utf-8"))
            if size > limit:
                raise self.reject(
                    req, 40058, "%s.content is %d bytes" % (mtype, size),
                    "%s.content exceed max length %d. invalid Request Parameter" % (mtype, limit))
        self.admit(robot, req)
        return body, self.view(body, mtype)

    @staticmethod
    def view(body, mtype):
        """What the group sees of an accepted message."""
        part = body[mtype]
        if mtype == "text":
            mentions = part.get("mentioned_list", []) + part.get("mentioned_mobile_list", [])
            return View(part["content"], mentions=mentions)
        if mtype.startswith("markdown"):
            # Markdown has no mentioned_* lists: only <@userid> notifies.
            return View(part["content"], markdown=True,
                        mentions=re.findall(r"<@([^<>\s]+)>", part["content"]))
        if mtype == "file":
            return View("[file] %s" % part.get("media_id"))
        if mtype == "news":
            articles = [a for a in part.get("articles", []) if isinstance(a, dict)]
            return View("\n".join(str(a.get("title", "")) for a in articles),
                        links=[(str(a.get("title", "")), str(a.get("url", ""))) for a in articles])
        return View("[%s]" % mtype)

    @staticmethod
    def multipart(req):
        """The parts of a multipart/form-data body: [(headers dict, data)], or None."""
        ctype = req.headers.get("Content-Type", "")
        m = re.match(r'\s*multipart/form-data\s*;.*boundary="?([^";]+)"?', ctype, re.I)
        if not m:
            return None
        delim = b"--" + m.group(1).encode("latin-1")
        chunks = req.body.split(delim)
        if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
            return None
        parts = []
        for chunk in chunks[1:-1]:
            if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
                return None
            head, sep, data = chunk[2:-2].partition(b"\r\n\r\n")
            if not sep:
                return None
            headers = {}
            for line in head.split(b"\r\n"):
                name, _, value = line.decode("utf-8", "replace").partition(":")
                headers[name.strip().lower()] = value.strip()
            parts.append((headers, data))
        return parts

    @staticmethod
    def disposition(value):
        """The parameters of a Content-Disposition value (name, filename, filelength)."""
        return {k.lower(): v for k, v in
                re.findall(r';\s*([\w*-]+)="?([^";]*)"?', value)}

    def upload(self, robot, req):
        """Check and keep an uploaded file; its answer, or raise Reject."""
        if req.query.get("type") not in ("file", "voice"):
            raise self.reject(req, 40004, "type is %r" % req.query.get("type"))
        parts = self.multipart(req)
        if parts is None:
            raise self.reject(req, 44001, "not multipart/form-data")
        media = [(h, d) for h, d in parts
                 if self.disposition(h.get("content-disposition", "")).get("name") == "media"]
        if not media:
            raise self.reject(req, 44001, "no part named media")
        headers, data = media[0]
        params = self.disposition(headers.get("content-disposition", ""))
        if not params.get("filename"):
            raise self.reject(req, 44001, "the media part has no filename")
        if len(data) <= self.MEDIA_MIN or len(data) > self.MEDIA_MAX:
            raise self.reject(req, 40006, "file of %d bytes" % len(data))
        mid = "%d%s" % (time.time(), "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                            for _ in range(40)))
        entry = {"media_id": mid, "name": params["filename"], "size": len(data),
                 "filelength": params.get("filelength"),
                 "sha256": hashlib.sha256(data).hexdigest(), "t": time.time()}
        with robot.lock:
            robot.media[mid] = dict(entry, data=data)
        return entry, Reply(200, {"errcode": 0, "errmsg": "ok", "type": req.query["type"],
                                  "media_id": mid, "created_at": "%d" % time.time()})


class DingTalk(Vendor):
    """DingTalk custom robot: POST /robot/send?access_token=T[&timestamp=MS&sign=S]."""

    name = "dingtalk"
    title = "钉钉 · 自定义机器人"
    route = re.compile(r"^/robot/send$")
    options = {"secret": None, "keywords": [], "limit_per_min": 20,
               "block_seconds": 600, "max_body_bytes": 20000}
    windows = (("limit_per_min", 60),)

    MORE = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
    MESSAGES = {
        300001: "token is not exist",
        310000: "sign not match" + MORE,
        460101: "message too long, exceed 20000 bytes",
        130101: "send too fast, exceed 20 times per minute",
        # Not in WEBHOOKS.md: the mock's choice for a malformed message.
        40035: "缺少参数 json",
    }

    def robot_id(self, match, query):
        return query.get("access_token") or None

    def error(self, req, code, msg=None):
        return Reply(200, {"errcode": code,
                           "errmsg": msg or self.MESSAGES.get(code, "mockchat injected error")})

    def success(self):
        return Reply(200, {"errcode": 0, "errmsg": "ok"})

    def unknown(self, req):
        return self.error(req, 300001)

    def throttled(self, req):
        return self.error(req, 130101)

    def check(self, robot, req):
        self.check_sign(robot, req)
        # A blocked robot refuses everything, whatever the message; admit()
        # checks again under the same lock it uses to start a block.
        with robot.lock:
            blocked = time.monotonic() < robot.blocked_until
        if blocked:
            raise Reject(self.throttled(req), "blocked after exceeding the rate limit")
        limit = robot.settings["max_body_bytes"]
        if len(req.body) > limit:
            raise self.reject(req, 460101, "body is %d bytes" % len(req.body),
                              "message too long, exceed %d bytes" % limit)
        body = parse_json(req.body)
        view = self.view(body) if isinstance(body, dict) else None
        if view is None:
            raise self.reject(req, 40035, "not JSON or malformed message")
        keywords = robot.settings["keywords"]
        if keywords:
            searched = "\n".join(self.searchable(body))
            if not any(k in searched for k in keywords):
                raise self.reject(req, 310000, "keywords not in content",
                                  "keywords not in content" + self.MORE)
        self.admit(robot, req)
        return body, view

    def check_sign(self, robot, req):
        """Verify timestamp and sign in the query if the robot has a signing secret."""
        secret = robot.settings["secret"]
        if not secret:
            return
        ts, sign = req.query.get("timestamp", ""), req.query.get("sign", "")
        # req.query is already URL-decoded, so an unescaped "+" in the sign
        # arrives as a space and fails here, as on the real server.
        if not ts.isdigit() or not sign:
            raise self.reject(req, 310000, "timestamp or sign missing")
        if not signed_within(int(ts) / 1000, time.time()):
            raise self.reject(req, 310000, "timestamp out of range")
        if not same(b64_hmac(secret, "%s\n%s" % (ts, secret)), sign):
            raise self.reject(req, 310000, "sign mismatch")

    def admit(self, robot, req):
        """The 21st message in a minute is refused and blocks the robot for block_seconds."""
        now = time.monotonic()
        with robot.lock:
            window = robot.windows[0]
            if now < robot.blocked_until:
                raise Reject(self.throttled(req), "blocked after exceeding the rate limit")
            if window.full(now):
                robot.blocked_until = now + robot.settings["block_seconds"]
                window.clear()
                raise Reject(self.throttled(req), "rate limit: robot blocked")
            window.add(now)

    @staticmethod
    def searchable(body):
        """The texts DingTalk searches for keywords."""
        mtype = body["msgtype"]
        part = body.get(mtype, {})
        if mtype == "feedCard":
            return [link.get("title", "") for link in part["links"]]
        return [v for v in (part.get(k) for k in ("title", "text", "content"))
                if isinstance(v, str)]

    @staticmethod
    def view(body):
        """What the group sees, or None if the message is malformed."""
        mtype = body.get("msgtype")
        part = body.get(mtype) if isinstance(mtype, str) else None
        if not isinstance(part, dict):
            return None
        at = body.get("at", {})
        if not isinstance(at, dict) or any(
                k in at and not is_str_list(at[k]) for k in ("atMobiles", "atUserIds")):
            return None
        title, text = get(part, "title", str), get(part, "text", str)
        shown = (get(part, "content", str) if mtype == "text" else text) or ""
        # A mention notifies only when "@who" is in the text as well.
        mentions = [m for m in at.get("atMobiles", []) + at.get("atUserIds", [])
                    if "@" + m in shown] if mtype in ("text", "markdown") else []
        if at.get("isAtAll") is True:
            mentions.append("all")
        if mtype == "text":
            content = get(part, "content", str)
            return View(content, mentions=mentions) if content else None
        if mtype == "markdown":
            # The title only shows in notifications and the chat list.
            return View(text, markdown=True, mentions=mentions) if title and text else None
        if mtype == "actionCard":
            if not (title and text):
                return None
            buttons = part.get("btns")
            if isinstance(buttons, list) and all(isinstance(b, dict) for b in buttons):
                links = [(str(b.get("title", "")), str(b.get("actionURL", ""))) for b in buttons]
            elif get(part, "singleTitle", str) and get(part, "singleURL", str):
                links = [(part["singleTitle"], part["singleURL"])]
            else:
                return None
            return View(text, title=title, markdown=True, links=links)
        if mtype == "link":
            url = get(part, "messageUrl", str)
            if not (title and text and url):
                return None
            return View(text, title=title, links=[(title, url)])
        if mtype == "feedCard":
            links = part.get("links")
            if not isinstance(links, list) or not all(
                    get(link, "title", str) and get(link, "messageURL", str) for link in links):
                return None
            return View("\n".join(link["title"] for link in links),
                        links=[(link["title"], link["messageURL"]) for link in links])
        return None


class Feishu(Vendor):
    """Feishu/Lark custom bot: POST /open-apis/bot/v2/hook/TOKEN."""

    name = "feishu"
    title = "飞书 · 自定义机器人"
    route = re.compile(r"^/open-apis/bot/v2/hook/([^/]+)$")
    options = {"secret": None, "keywords": [], "per_sec": 5, "per_min": 100,
               "max_body_bytes": 20 * 1024}
    windows = (("per_sec", 1), ("per_min", 60))

    MESSAGES = {
        19001: "param invalid: incoming webhook access token invalid",
        19021: "sign match fail or timestamp is not within one hour from current time",
        19024: "Key Words Not Found",
        9499: "Bad Request",
        11232: "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]",
    }

    def error(self, req, code, msg=None):
        return Reply(200, {"code": code,
                           "msg": msg or self.MESSAGES.get(code, "mockchat injected error"),
                           "data": {}})

    def success(self):
        return Reply(200, {"StatusCode": 0, "StatusMessage": "success",
                           "code": 0, "data": {}, "msg": "success"})

    def unknown(self, req):
        return self.error(req, 19001)

    def throttled(self, req):
        return self.error(req, 11232)

    def check(self, robot, req):
        if len(req.body) > robot.settings["max_body_bytes"]:
            raise self.reject(req, 9499, "body is %d bytes" % len(req.body))
        body = parse_json(req.body)
        if not isinstance(body, dict):
            raise self.reject(req, 9499, "not a JSON object")
        self.check_sign(robot, req, body)
        view = self.view(body)
        if view is None:
            raise self.reject(req, 9499, "malformed message")
        keywords = robot.settings["keywords"]
        if keywords:
            searched = "\n".join(itertools.chain(all_strings(body.get("content")),
                                                 all_strings(body.get("card"))))
            if not any(k in searched for k in keywords):
                raise self.reject(req, 19024, "keywords not in content")
        self.admit(robot, req)
        return body, view

    def check_sign(self, robot, req, body):
        """Verify the body's timestamp and sign if the robot has a signing secret."""
        secret = robot.settings["secret"]
        if not secret:
            return
        ts, sign = body.get("timestamp"), body.get("sign")
        ts = str(ts) if isinstance(ts, (int, str)) and not isinstance(ts, bool) else ""
        if not ts.isdigit() or not isinstance(sign, str):
            raise self.reject(req, 19021, "timestamp or sign missing")
        if not signed_within(int(ts), time.time()):
            raise self.reject(req, 19021, "timestamp out of range")
        # Feishu's odd construction: the string is the key, the message is empty.
        if not same(b64_hmac("%s\n%s" % (ts, secret), b""), sign):
            raise self.reject(req, 19021, "sign mismatch")

    def view(self, body):
        """What the group sees, or None if the message is malformed."""
        mtype = body.get("msg_type")
        if mtype == "text":
            text = get(body, "content.text", str)
            return View(text, mentions=re.findall(r'<at user_id="([^"]+)"', text or "")) \
                if text else None
        if mtype == "post":
            langs = get(body, "content.post", dict)
            if not langs:
                return None
            post = langs.get("zh_cn") or next(iter(langs.values()))
            lines = get(post, "content", list)
            if lines is None or not all(isinstance(line, list) for line in lines):
                return None
            ats = [str(el.get("user_id")) for line in lines for el in line
                   if isinstance(el, dict) and el.get("tag") == "at" and el.get("user_id")]
            return View("\n".join(self.post_line(line, False) for line in lines),
                        title=get(post, "title", str), markdown=True, mentions=ats,
                        shown="\n".join(self.post_line(line, True) for line in lines))
        if mtype == "interactive":
            card = body.get("card")
            if not isinstance(card, dict):
                return None
            texts, links = [], []
            self.card_parts({k: v for k, v in card.items() if k != "header"}, texts, links)
            joined = "\n".join(texts)
            ats = re.findall(r'<at (?:id|user_id)="?([^"\s>]+)"?\s*>', joined)
            return View(joined, title=get(card, "header.title.content", str),
                        markdown=True, links=links, mentions=ats)
        if mtype == "image" and get(body, "content.image_key", str):
            return View("[image]")
        if mtype == "share_chat" and get(body, "content.share_chat_id", str):
            return View("[shared chat]")
        return None

    @staticmethod
    def post_line(line, markdown):
        """One line of a rich-text post as text; links as markdown if asked."""
        out = []
        for el in line:
            if not isinstance(el, dict):
                continue
            tag, text = el.get("tag"), str(el.get("text", ""))
            if tag == "a" and markdown:
                out.append("[%s](%s)" % (text, el.get("href", "")))
            elif tag == "at":
                out.append("@" + str(el.get("user_name") or el.get("user_id", "")))
            elif tag == "img":
                out.append("[image]")
            elif tag == "emotion":
                out.append(":%s:" % el.get("emoji_type", ""))
            elif tag == "hr":
                out.append("----")
            else:
                out.append(text)
        return "".join(out)

    @classmethod
    def card_parts(cls, node, texts, links):
        """Collect a card's visible texts and its buttons, depth first."""
        if isinstance(node, list):
            for child in node:
                cls.card_parts(child, texts, links)
        elif isinstance(node, dict):
            tag = node.get("tag")
            if tag == "button":
                url = get(node, "url", str) or get(node, "multi_url.url", str) or ""
                links.append((get(node, "text.content", str) or "", url))
            elif tag in ("lark_md", "plain_text", "markdown") and get(node, "content", str):
                texts.append(node["content"])
            else:
                for child in node.values():
                    cls.card_parts(child, texts, links)


class Webhook(Vendor):
    """Generic JSON webhook: POST /hook/NAME, optionally HMAC-signed."""

    name = "webhook"
    title = "Webhook"
    route = re.compile(r"^/hook/([^/]+)$")
    options = {"secret": None, "limit_per_min": 0}
    windows = (("limit_per_min", 60),)
    SIGNATURE = "X-Escalator-Signature"

    def error(self, req, code, msg=None):
        return Reply(200, {"ok": False, "errcode": code,
                           "errmsg": msg or "mockchat injected error"})

    def success(self):
        return Reply(200, {"ok": True})

    def unknown(self, req):
        return Reply(404, {"ok": False, "error": "no such webhook"})

    def throttled(self, req):
        return Reply(429, {"ok": False, "error": "too many requests"}, {"Retry-After": "60"})

    def check(self, robot, req):
        secret = robot.settings["secret"]
        if secret:
            expected = "sha256=" + hmac.new(secret.encode("utf-8"), req.body,
                                            hashlib.sha256).hexdigest()
            if not same(expected, req.headers.get(self.SIGNATURE, "").strip().lower()):
                raise Reject(Reply(401, {"ok": False, "error": "bad signature"}),
                             "signature mismatch")
        body = parse_json(req.body)
        if body is INVALID:
            raise Reject(Reply(400, {"ok": False, "error": "body is not JSON"}), "not JSON")
        self.admit(robot, req)
        text = get(body, "text", str) or ""
        shown = text or json.dumps(body, ensure_ascii=False)[:500]
        return body, View(text, shown=shown)


VENDORS = {v.name: v for v in (WeCom(), DingTalk(), Feishu(), Webhook())}


# ---------------------------------------------------------------------------
# Configuration


class ConfigError(Exception):
    """A problem in robots.json, worded for the person who wrote it."""


def check_setting(name, value, default):
    """Raise ValueError unless value suits a setting whose default is default."""
    if name == "label":
        ok = isinstance(value, str)
    elif name == "secret":
        ok = value is None or isinstance(value, str)
    elif isinstance(default, list):
        ok = is_str_list(value)
    else:
        ok = is_number(value) and value >= 0
    if not ok:
        raise ValueError("bad value for %r" % name)


def load_config(path):
    """Read robots.json into {vendor name: {id: Robot}}; raise ConfigError on any problem."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise ConfigError("%s: %s" % (path, e.strerror))
    except ValueError as e:
        raise ConfigError("%s: %s" % (path, e))
    if not isinstance(data, dict):
        raise ConfigError("%s: the top level must be an object of vendors" % path)
    robots = {name: {} for name in VENDORS}
    for vname, entries in data.items():
        vendor = VENDORS.get(vname)
        if vendor is None:
            raise ConfigError("%s: unknown vendor %r (expected %s)"
                              % (path, vname, ", ".join(VENDORS)))
        if not isinstance(entries, dict):
            raise ConfigError("%s: %s: must map robot ids to settings" % (path, vname))
        for rid, given in entries.items():
            where = "%s: %s.%s" % (path, vname, rid)
            given = {} if given is None else given
            if not isinstance(given, dict):
                raise ConfigError("%s: settings must be an object" % where)
            settings = dict(vendor.options)
            try:
                for name, value in given.items():
                    if name == "fault":
                        settings[name] = parse_fault(value)
                        continue
                    if name != "label" and name not in vendor.options:
                        raise ValueError("unknown setting %r (expected label, fault, %s)"
                                         % (name, ", ".join(vendor.options)))
                    check_setting(name, value, vendor.options.get(name))
                    settings[name] = value
            except ValueError as e:
                raise ConfigError("%s: %s" % (where, e))
            robots[vname][rid] = Robot(vendor, rid, settings)
    return robots


# ---------------------------------------------------------------------------
# Terminal rendering for --pretty


class Pretty:
    """Prints accepted messages roughly as the chat apps show them."""

    # WeCom's info/comment/warning, Feishu's and DingTalk's colour names.
    COLOURS = {"info": "32", "green": "32", "comment": "90", "grey": "90", "gray": "90",
               "warning": "31", "red": "31", "orange": "33", "yellow": "33", "blue": "34"}
    FONT = re.compile(r"<font\s+color\s*=\s*[\"']?([^\"'>\s]+)[\"']?\s*>(.*?)</font>",
                      re.S | re.I)
    AT_TAG = re.compile(r"<at\s+(?:user_id|id|open_id|email)\s*=\s*[\"']?([^\"'>\s]+)[\"']?\s*>"
                        r"(.*?)</at>", re.S)
    AT_WECOM = re.compile(r"<@([^>\s]+)>")
    IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
    LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
    BOLD = re.compile(r"\*\*(.+?)\*\*")
    CODE = re.compile(r"`([^`]+)`")
    HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty()

    def bold(self, s):
        """s in bold on a terminal."""
        return "\033[1m%s\033[22m" % s if self.tty else s

    def colour(self, name, s):
        """s in a chat colour on a terminal; plain elsewhere or if the colour is unknown."""
        code = self.COLOURS.get(name.lower())
        return "\033[%sm%s\033[39m" % (code, s) if self.tty and code else s

    def mentions(self, text):
        """Replace the vendors' mention tags with "@name"."""
        text = self.AT_TAG.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
        return self.AT_WECOM.sub(r"@\1", text)

    def markdown(self, text):
        """Light rendering of the vendors' markdown subsets for a terminal."""
        text = self.FONT.sub(lambda m: self.colour(m.group(1), m.group(2)), text)
        text = self.mentions(text)
        text = self.IMAGE.sub(lambda m: "[image%s] (%s)" % (
            ": " + m.group(1) if m.group(1) else "", m.group(2)), text)
        text = self.LINK.sub(r"\1 (\2)", text)
        text = self.BOLD.sub(lambda m: self.bold(m.group(1)), text)
        text = self.CODE.sub(r"\1", text)
        return self.HEADING.sub(lambda m: self.bold(m.group(1)), text)

    def show(self, robot, view, when):
        """Print one accepted message with a header naming the app and the robot."""
        lines = ["──── %s [%s] %s ────" % (robot.vendor.title, robot.label,
                                           time.strftime("%H:%M:%S", time.localtime(when)))]
        if view.title:
            lines.append(self.bold(self.mentions(view.title)))
        lines.append(self.markdown(view.shown) if view.markdown else self.mentions(view.shown))
        lines += ["[%s] (%s)" % (label, url) if url else "[%s]" % label
                  for label, url in view.links]
        lines += [m if m.startswith("@") else "@" + m for m in view.mentions]
        self.stream.write("\n".join(lines) + "\n\n")
        self.stream.flush()


# ---------------------------------------------------------------------------
# The server


class Hub:
    """The robots and everything received, shared by the request threads."""

    def __init__(self, robots, record_path=None, pretty=None, verbose=False):
        self.robots = robots
        self.lock = threading.Lock()        # guards the lists and the record file
        self.received = []
        self.rejected = []
        self.uploads = []
        self.record = open(record_path, "a", encoding="utf-8") if record_path else None
        self.pretty = pretty
        self.verbose = verbose

    def robot(self, vendor, rid):
        """The Robot for vendor name and id, or None."""
        return self.robots.get(vendor, {}).get(rid)

    def accept(self, robot, body, view):
        """Keep and record one accepted message; show it if --pretty."""
        entry = {"vendor": robot.vendor.name, "id": robot.id, "t": time.time(),
                 "body": body, "text": view.text, "mentions": view.mentions}
        with self.lock:
            self.received.append(entry)
            if self.record:
                self.record.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.record.flush()
            if self.pretty:
                try:
                    self.pretty.show(robot, view, entry["t"])
                except OSError:
                    self.pretty = None      # stdout went away: keep serving
        self.log(robot.vendor.name, robot.id, "accepted")

    def reject(self, vendor, robot, reply, reason):
        """Remember a refused request and the answer it got (no answer if dropped)."""
        entry = {"vendor": vendor.name, "id": robot.id if robot else None, "t": time.time(),
                 "http": None if reply.drop else reply.status, "code": reply.code(),
                 "reason": reason}
        with self.lock:
            self.rejected.append(entry)
        self.log(vendor.name, entry["id"], "rejected http=%s code=%s (%s)"
                 % (entry["http"], entry["code"], reason))

    def listing(self, which, query):
        """A copy of the received or rejected list, filtered by vendor and id."""
        with self.lock:
            entries = list(self.received if which == "received" else self.rejected)
        return [e for e in entries
                if query.get("vendor", e["vendor"]) == e["vendor"]
                and ("id" not in query or query["id"] == e["id"])]

    def reset(self):
        """Forget messages, rate-limit history, blocks and faults."""
        with self.lock:
            self.received.clear()
            self.rejected.clear()
            self.uploads.clear()
        for robots in self.robots.values():
            for robot in robots.values():
                robot.reset()

    def log(self, vendor, rid, what):
        """One line on stderr if --verbose; names robots by id only, never by secret."""
        if self.verbose:
            sys.stderr.write("mockchat: %s %s: %s\n" % (vendor, rid or "(unknown robot)", what))
            sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes each request to a vendor or to the control API."""

    # HTTP/1.1 keeps connections alive (as curl expects) and answers
    # "Expect: 100-continue"; every reply carries a Content-Length.
    protocol_version = "HTTP/1.1"
    server_version = "mockchat/1"

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def log_message(self, format, *args):
        # The default access log would print request lines, and with them
        # WeCom keys and DingTalk/Feishu tokens: stay silent (see --verbose).
        pass

    def dispatch(self):
        """Read the request, answer it, and drop the connection if told to."""
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in
                 urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        try:
            body = self.read_body()
        except ValueError as e:
            self.close_connection = True
            status = 413 if isinstance(e, TooLarge) else 400
            self.send(Reply(status, {"ok": False, "error": str(e)}))
            return
        req = Request(self.command, url.path, query, self.headers, body, self.client_address[0])
        if url.path.startswith("/_control/"):
            reply = self.control(url.path[len("/_control/"):], req)
        else:
            reply = self.route(req)
        self.send(reply)

    def read_body(self):
        """The request body (Content-Length or chunked); ValueError if unreadable."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass            # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST:
                    raise TooLarge("request too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST:
            raise TooLarge("request too large")
        return self.rfile.read(length) if length > 0 else b""

    def route(self, req):
        """Serve a robot endpoint: find the robot, apply its fault, check, accept."""
        hub = self.server.hub
        if WeCom.upload_route.match(req.path):
            return self.route_upload(req)
        for vendor in VENDORS.values():
            match = vendor.route.match(req.path)
            if match:
                break
        else:
            return Reply(404, {"ok": False, "error": "no such endpoint"})
        if req.method != "POST":
            return Reply(405, {"ok": False, "error": "POST only"}, {"Allow": "POST"})
        robot = hub.robot(vendor.name, vendor.robot_id(match, req.query))
        if robot is None:
            reply = vendor.unknown(req)
            hub.reject(vendor, None, reply, "unknown robot")
            return reply
        fault = robot.take_fault("send")
        if fault and fault["kind"] == "stall":
            time.sleep(fault["seconds"])        # only this request's thread waits
        elif fault:
            reply = vendor.fault_reply(fault, req)
            hub.reject(vendor, robot, reply, "injected %s fault" % fault["kind"])
            return reply
        try:
            body, view = vendor.check(robot, req)
        except Reject as r:
            hub.reject(vendor, robot, r.reply, r.reason)
            return r.reply
        hub.accept(robot, body, view)
        return vendor.success()

    def route_upload(self, req):
        """Serve a WeCom robot's file upload (upload_media)."""
        hub = self.server.hub
        vendor = VENDORS["wecom"]
        if req.method != "POST":
            return Reply(405, {"ok": False, "error": "POST only"}, {"Allow": "POST"})
        robot = hub.robot("wecom", req.query.get("key"))
        if robot is None:
            reply = vendor.unknown(req)
            hub.reject(vendor, None, reply, "upload: unknown robot")
            return reply
        fault = robot.take_fault("upload_media")
        if fault and fault["kind"] == "stall":
            time.sleep(fault["seconds"])
        elif fault:
            reply = vendor.fault_reply(fault, req)
            hub.reject(vendor, robot, reply, "upload: injected %s fault" % fault["kind"])
            return reply
        try:
            entry, reply = vendor.upload(robot, req)
        except Reject as r:
            hub.reject(vendor, robot, r.reply, "upload: " + r.reason)
            return r.reply
        with hub.lock:
            hub.uploads.append(dict(entry, id=robot.id))
        hub.log("wecom", robot.id, "uploaded %s (%d bytes)" % (entry["media_id"], entry["size"]))
        return reply

    def control(self, name, req):
        """Serve the control API used by tests and the demo."""
        hub = self.server.hub
        if req.method == "GET" and name == "health":
            return Reply(200, {"ok": True})
        if req.method == "GET" and name in ("received", "rejected"):
            return Reply(200, hub.listing(name, req.query))
        if req.method == "GET" and name == "uploads":
            with hub.lock:
                ups = [u for u in hub.uploads if req.query.get("id", u["id"]) == u["id"]]
            return Reply(200, ups)
        if req.method == "GET" and name == "media":
            for robot in hub.robots.get("wecom", {}).values():
                with robot.lock:
                    m = robot.media.get(req.query.get("media_id"))
                if m is not None:
                    return Reply(200, m["data"], {"X-File-Name": urllib.parse.quote(m["name"])})
            return Reply(404, {"ok": False, "error": "no such media"})
        if req.method == "POST" and name == "reset":
            hub.reset()
            return Reply(200, {"ok": True})
        if req.method == "POST" and name == "fault":
            return self.control_fault(req)
        if req.method == "GET" and name == "fault":
            # The fault a robot still has: a test sees a count-limited
            # fault used up, i.e. that its request has arrived.
            robot = hub.robot(req.query.get("vendor"), req.query.get("id"))
            if robot is None:
                return Reply(404, {"ok": False, "error": "no such robot"})
            with robot.lock:
                return Reply(200, {"fault": dict(robot.fault) if robot.fault else None})
        return Reply(404, {"ok": False, "error": "no such control endpoint"})

    def control_fault(self, req):
        """POST /_control/fault {"vendor", "id", "fault"}: set or clear a robot's fault."""
        cmd = parse_json(req.body)
        if not isinstance(cmd, dict) or "fault" not in cmd:
            return Reply(400, {"ok": False, "error": 'expected {"vendor", "id", "fault"}'})
        robot = self.server.hub.robot(cmd.get("vendor"), cmd.get("id"))
        if robot is None:
            return Reply(404, {"ok": False, "error": "no such robot"})
        try:
            robot.set_fault(parse_fault(cmd["fault"]))
        except ValueError as e:
            return Reply(400, {"ok": False, "error": str(e)})
        return Reply(200, {"ok": True})

    def send(self, reply):
        """Write a reply, or write nothing and close if it is a dropped connection."""
        if reply.drop:
            self.close_connection = True
            return
        if isinstance(reply.body, bytes):
            data, ctype = reply.body, "application/octet-stream"
        elif isinstance(reply.body, str):
            data, ctype = reply.body.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            data = json.dumps(reply.body, ensure_ascii=False).encode("utf-8")
            ctype = "application/json; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    """One thread per connection, so a stalled robot never holds up the others."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address, hub):
        self.hub = hub
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        # A client that hangs up (for instance during a stall) is not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def write_ready(path, port):
    """Write the port to path atomically, so a reader never sees half of it."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def parse_args(argv):
    """The command line."""
    p = argparse.ArgumentParser(
        description="Mock WeCom/DingTalk/Feishu robots and a generic webhook.",
        epilog="See the top of this file for endpoints, settings and the control API.")
    p.add_argument("--config", required=True, help="robots.json")
    p.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--record", help="append each accepted message to this JSON-lines file")
    p.add_argument("--ready-file", help="write the port here once listening")
    p.add_argument("--pretty", action="store_true",
                   help="print accepted messages as the chat apps would show them")
    p.add_argument("--verbose", action="store_true",
                   help="log each request's outcome (vendor, robot id, code) on stderr")
    return p.parse_args(argv)


def main(argv=None):
    """Load robots, listen, announce the port, serve until TERM or INT."""
    args = parse_args(argv)
    try:
        robots = load_config(args.config)
    except ConfigError as e:
        sys.stderr.write("mockchat: %s\n" % e)
        return 2
    pretty = Pretty(sys.stdout) if args.pretty else None
    try:
        hub = Hub(robots, args.record, pretty, args.verbose)
        server = Server((args.host, args.port), hub)
    except OSError as e:
        sys.stderr.write("mockchat: %s\n" % e)
        return 1
    port = server.server_address[1]
    if args.ready_file:
        write_ready(args.ready_file, port)
    print("listening on %s:%d" % (args.host, port), flush=True)

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
