"""A tiny W3C WebDriver client (plain HTTP and JSON over urllib) for
Debian's chromedriver and headless chromium: enough to open pages at a
phone's or a desktop's size, fill and submit forms and take
screenshots, with no package beyond the standard library."""

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
            "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
            "wxwork/4.1.0 MicroMessenger/7.0.1")


def find_binaries():
    """(chromium, chromedriver) or None when either is missing."""
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chrome is None and os.path.exists("/usr/lib/chromium/chromium"):
        chrome = "/usr/lib/chromium/chromium"
    if chrome is None or driver is None:
        return None
    return chrome, driver


class WebDriverError(Exception):
    pass


class Driver:
    """chromedriver in a subprocess and one browser session."""

    def __init__(self, workdir, phone, chrome, driver):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.log = open(os.path.join(workdir, "chromedriver.log"), "wb")
        self.proc = subprocess.Popen([driver, "--port=%d" % self.port],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 30
        while True:
            try:
                if self._call("GET", "/status").get("ready"):
                    break
            except (OSError, WebDriverError):
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                self.quit()
                raise WebDriverError("chromedriver did not start")
            time.sleep(0.1)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=" + os.path.join(workdir, "chrome-profile"),
                "--lang=zh-CN"]
        opts = {"binary": chrome, "args": args}
        if phone:
            opts["mobileEmulation"] = {
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2},
                "userAgent": PHONE_UA}
        else:
            args.append("--window-size=1280,900")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": opts}}}
        self.session = None
        try:
            v = self._call("POST", "/session", caps, timeout=90)
        except Exception:
            self.quit()
            raise
        self.session = v["sessionId"]

    def _call(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                v = json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            v = json.loads(e.read().decode("utf-8") or "{}")
            raise WebDriverError("%s %s: %s" % (method, path, v.get("value")))
        return v.get("value", v)

    def _s(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def get(self, url):
        self._s("POST", "/url", {"url": url})

    def source(self):
        return self._s("GET", "/source")

    def title(self):
        return self._s("GET", "/title")

    def find(self, css):
        v = self._s("POST", "/element", {"using": "css selector", "value": css})
        return v[ELEMENT]

    def find_all(self, css):
        v = self._s("POST", "/elements", {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in v]

    def click(self, el):
        self._s("POST", "/element/%s/click" % el, {})

    def type(self, el, text):
        self._s("POST", "/element/%s/clear" % el, {})
        self._s("POST", "/element/%s/value" % el, {"text": text})

    def text(self, el):
        return self._s("GET", "/element/%s/text" % el)

    def rect(self, el):
        return self._s("GET", "/element/%s/rect" % el)

    def script(self, js, *args):
        return self._s("POST", "/execute/sync", {"script": js, "args": list(args)})

    def screenshot(self, path):
        """A full-page PNG: the window grown to the document's height."""
        png = self._call("POST", "/session/%s/goog/cdp/execute" % self.session, {
            "cmd": "Page.captureScreenshot",
            "params": {"captureBeyondViewport": True, "format": "png"}})["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def quit(self):
        if getattr(self, "session", None):
            try:
                self._call("DELETE", "/session/%s" % self.session, timeout=30)
            except Exception:
                pass
            self.session = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
