"""Helpers for the attack run: a real `kotae serve` on loopback, and an HTTP client that can
speak from any 127.x.y.z address (each attack gets its own, as separate outsiders would)."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KOTAE = os.environ.get("KOTAE", os.path.join(REPO, "target", "debug", "kotae"))
OPERATOR = "ops"
TOKEN = "attack-run-token-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reply:
    def __init__(self, status, headers, body, cookies=()):
        self.status = status
        self.headers = headers
        self.body = body
        self.cookies = list(cookies)

    def cookie(self, name):
        """`name=value` of a Set-Cookie header, for a Cookie header."""
        for c in self.cookies:
            pair = c.split(";")[0].strip()
            if pair.startswith(name + "=") and len(pair) > len(name) + 1:
                return pair
        return ""

    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Server:
    """`kotae serve` with its own index, events database and settings."""

    def __init__(self, work, content, settings="", env=None, name="server", index=None):
        self.work = work
        self.port = free_port()
        self.index = index or os.path.join(work, name + "-index")
        self.events = os.path.join(work, name + "-events.sqlite3")
        self.config = os.path.join(work, name + ".toml")
        self.content = content
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(f'addr = "127.0.0.1:{self.port}"\n')
            f.write(f'index = "{self.index}"\ncontent = "{content}"\nevents_db = "{self.events}"\n')
            f.write(settings)
            if "[operators]" not in settings:
                f.write(f'\n[operators]\n{OPERATOR} = "{TOKEN}"\n')
        self.env = dict(os.environ, KOTAE_LOG="warn", **(env or {}))
        self.proc = None
        self.stderr = os.path.join(work, name + ".log")

    def start(self, wait=True):
        self.proc = subprocess.Popen(
            [KOTAE, "serve", "--config", self.config],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.stderr, "wb"),
        )
        if wait:
            deadline = time.time() + 120
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"kotae serve exited: {self.log()}")
                try:
                    if self.get("/healthz", ip="127.0.0.250").status == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            raise RuntimeError("kotae serve did not answer in 120 s")
        return self

    def log(self):
        with open(self.stderr, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def request(self, method, path, body=None, headers=None, ip="127.0.0.1", timeout=20):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(ip, 0))
        try:
            hdrs = dict(headers or {})
            if isinstance(body, dict):
                body = urllib.parse.urlencode(body)
                hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
            return Reply(r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read(), cookies)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, body=form, **kw)

    def as_operator(self, path, ip="127.0.0.240", scheme="Bearer"):
        return self.get(path, headers={"Authorization": f"{scheme} {TOKEN}"}, ip=ip)

    def count(self, sql, args=()):
        import sqlite3

        conn = sqlite3.connect(f"file:{self.events}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchone()[0]
        finally:
            conn.close()


def q(text):
    return urllib.parse.quote(text)


def sample_copy(work, name="content", manual=True):
    """A copy of the sample corpus, optionally without the internal manual."""
    dest = os.path.join(work, name)
    shutil.copytree(os.path.join(REPO, "content"), dest)
    if not manual:
        shutil.rmtree(os.path.join(dest, "manual"))
    return dest


def run(args, **kw):
    return subprocess.run([KOTAE] + args, capture_output=True, text=True, env=dict(os.environ, KOTAE_LOG="warn"), **kw)


def workdir():
    return tempfile.mkdtemp(prefix="kotae-attack-")
