#!/usr/bin/env python3
"""SQLite FTS5 (trigram tokenizer) on the same corpus and queries as `kotae eval`.

    python3 tests/load/fts5_compare.py                       # sample corpus, held-out queries
    python3 tests/load/fts5_compare.py --kotae target/release/kotae   # and kotae eval beside it
    python3 tests/load/fts5_compare.py --content /tmp/kotae-10k --latency-only

The baseline is made as fair as a trigram index allows: pages and queries are NFKC-normalized
and lower-cased (as Kotae does), a query becomes the OR of its character trigrams (FTS5's
trigram tokenizer cannot match shorter strings; queries of one or two characters fall back to
LIKE), and hits are ranked by bm25 with the title and aliases weighted above the body, like
Kotae's defaults. Public pages only, as `kotae eval` searches by default. Only Python's
standard library is used.
"""

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import unicodedata

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def norm(text):
    return unicodedata.normalize("NFKC", text).lower()


def front_matter(text):
    """The few fields we need from a page's YAML front matter (no PyYAML needed)."""
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        return None, text
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return None, text
    fields, key = {}, None
    for line in lines[1:end]:
        m = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        if m:
            key, value = m.group(1), m.group(2).strip()
            if value.startswith("[") and value.endswith("]"):
                fields[key] = [v.strip().strip("\"'") for v in value[1:-1].split(",") if v.strip()]
            elif value:
                fields[key] = value.strip("\"'")
            else:
                fields[key] = []
        elif key and line.strip().startswith("- ") and isinstance(fields.get(key), list):
            fields[key].append(line.strip()[2:].strip().strip("\"'"))
    return fields, "\n".join(lines[end + 1:])


def load_pages(content):
    pages = []
    for root, dirs, files in os.walk(content):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if not name.endswith(".md") or name.lower() == "readme.md" or name.startswith((".", "_")):
                continue
            path = os.path.join(root, name)
            fields, body = front_matter(open(path, encoding="utf-8").read())
            if fields is None or fields.get("audience", "public") != "public":
                continue
            page_id = fields.get("id") or os.path.relpath(path, content)[:-3].replace(os.sep, "/")
            listify = lambda v: v if isinstance(v, list) else [v]
            pages.append((page_id, fields.get("title", ""), " ".join(listify(fields.get("aliases", []))),
                          " ".join(listify(fields.get("tags", []))), body))
    return pages


def trigram_query(text):
    grams = []
    for chunk in re.split(r"[\s\u3000、。，．・！？!?,.「」（）()]+", norm(text)):
        for i in range(len(chunk) - 2):
            g = chunk[i:i + 3]
            if g not in grams:
                grams.append(g)
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)


def search(db, text, k=10):
    q = trigram_query(text)
    if q:
        sql = ("SELECT id FROM pages WHERE pages MATCH ? "
               "ORDER BY bm25(pages, 0.0, 1.3, 1.3, 1.0, 1.0) LIMIT ?")
        return [r[0] for r in db.execute(sql, (q, k))]
    like = "%" + norm(text).strip() + "%"
    if like == "%%":
        return []
    sql = "SELECT id FROM pages WHERE title LIKE ? OR aliases LIKE ? OR body LIKE ? LIMIT ?"
    return [r[0] for r in db.execute(sql, (like, like, like, k))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--content", default=os.path.join(REPO, "content"))
    ap.add_argument("--queries", default=os.path.join(REPO, "tests/relevance/heldout.jsonl"))
    ap.add_argument("--qrels", default=os.path.join(REPO, "tests/relevance/qrels.tsv"))
    ap.add_argument("--kotae", help="a kotae binary: also run `kotae eval --content` on the same files")
    ap.add_argument("--rounds", type=int, default=5, help="timed passes over the queries")
    ap.add_argument("--latency-only", action="store_true", help="skip relevance (for generated corpora)")
    args = ap.parse_args()

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE pages USING fts5(id UNINDEXED, title, aliases, tags, body, tokenize='trigram')")
    started = time.perf_counter()
    pages = load_pages(args.content)
    db.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)",
                   [(i, norm(t), norm(a), norm(g), norm(b)) for i, t, a, g, b in pages])
    db.commit()
    built = time.perf_counter() - started
    mb = sum(len(p[4].encode()) + len(p[1].encode()) for p in pages) / 1e6
    print(f"SQLite {sqlite3.sqlite_version} FTS5 trigram: {len(pages)} public pages ({mb:.1f} MB) indexed in {built:.2f} s")

    queries = [json.loads(l) for l in open(args.queries, encoding="utf-8") if l.strip()]
    qrels = {}
    for line in open(args.qrels, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 3 and int(parts[2]) > 0:
            qrels.setdefault(parts[0], set()).add(parts[1])

    times = []
    for _ in range(args.rounds):
        for q in queries:
            t = time.perf_counter()
            search(db, q["text"])
            times.append(time.perf_counter() - t)
    times.sort()
    p = lambda f: times[min(len(times) - 1, int(f * len(times)))] * 1000
    print(f"latency over {len(times)} searches: median {statistics.median(times)*1000:.3f} ms, "
          f"p99 {p(0.99):.3f} ms, mean {statistics.mean(times)*1000:.3f} ms")

    if not args.latency_only:
        mrr = r1 = r5 = r10 = 0.0
        judged = [q for q in queries if q["qid"] in qrels]
        zero = 0
        for q in judged:
            ranked = search(db, q["text"])
            rel = qrels[q["qid"]]
            zero += not ranked
            mrr += next((1 / (i + 1) for i, d in enumerate(ranked) if d in rel), 0.0)
            r1 += len(set(ranked[:1]) & rel) / len(rel)
            r5 += len(set(ranked[:5]) & rel) / len(rel)
            r10 += len(set(ranked[:10]) & rel) / len(rel)
        n = len(judged)
        print(f"queries      {n}")
        print(f"MRR@10       {mrr/n:.4f}")
        print(f"Recall@1     {r1/n:.4f}")
        print(f"Recall@5     {r5/n:.4f}")
        print(f"Recall@10    {r10/n:.4f}")
        print(f"no result    {zero}")

    if args.kotae:
        print("\n== kotae eval on the same files")
        out = subprocess.run([args.kotae, "eval", "--queries", args.queries, "--qrels", args.qrels,
                              "--content", args.content], capture_output=True, text=True)
        print("\n".join(out.stdout.splitlines()[:6]))
        if out.returncode not in (0, 1):
            print(out.stderr, file=sys.stderr)


if __name__ == "__main__":
    main()
