#!/usr/bin/env bash
# Kotae side by side with Groonga and SQLite FTS5: the same pages, the same questions, the same
# load generator, in one run on one machine. Not part of CI; a few minutes.
#
#   tests/load/peers.sh                                  # wiki-qa: 13,448 pages, 1,000 questions
#   CONTENT=content QUERIES=tests/relevance/heldout.jsonl QRELS=tests/relevance/qrels.tsv \
#       tests/load/peers.sh                              # another content folder and questions
#   DURATION=20s CONNECTIONS=32 KOTAE=target/release/kotae tests/load/peers.sh
#
# - Pages: CORPUS (JSON lines, default ../shared/eval/wiki-qa/corpus.jsonl next to the
#   repository) imported with `kotae import`, or the content folder CONTENT. Every engine loads
#   the public pages of that one folder (title, aliases, tags, body).
# - Kotae: `kotae serve`, lexical (KOTAE_MEANING=off unless set), result and vector caches off,
#   rate limits off; GET /api/search?q=QUESTION.
# - Groonga (Debian's groonga-bin, installed with apt-get if missing): `groonga -s --protocol
#   http`, its query cache off (cache_limit 0). Tokenizer TokenMecab (groonga-tokenizer-mecab,
#   with a UTF-8 dictionary: IPADIC's if mecab-ipadic-utf8 is there, else NAIST-jdic), else
#   TokenBigram; the script says which. A question is the OR of its tokens (Groonga's own
#   `tokenize`, punctuation and one- or two-kana function words left out), ranked by TF-IDF
#   with the title and aliases weighted above the body; GET /d/select.
# - Both servers get the same questions, every one distinct, from `oha` (the same binary,
#   connections and duration), one after the other.
# - SQLite FTS5 (Python's sqlite3, trigram tokenizer, as tests/load/fts5_compare.py) has no
#   server: two processes search in-process for DURATION and their searches/s are added up.
#
# It prints searches/s, p50 and p99 for each, the ratio Kotae/peer, and MRR@10 when QRELS is
# there. Only loopback is contacted; the servers are stopped on exit.
set -euo pipefail

source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
shared="$(cd "$repo/.." && pwd)/shared/eval/wiki-qa"
CORPUS="${CORPUS:-$shared/corpus.jsonl}"
QUERIES="${QUERIES:-$shared/queries.jsonl}"
QRELS="${QRELS:-$shared/qrels.tsv}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-32}"
export KOTAE_MEANING="${KOTAE_MEANING:-off}"
export KOTAE_RESULT_CACHE=0 KOTAE_VECTOR_CACHE=0
seconds="${DURATION%s}"

if [[ -z "${KOTAE:-}" ]]; then PROFILE=release; fi
kotae_binary
ensure_oha
[[ -x "$OHA" ]] || OHA="$cache_dir/oha-$OHA_VERSION/bin/oha"

# Groonga from Debian, once. Installing the MeCab tokenizer makes NAIST-jdic the system's
# default MeCab dictionary: the default it had before is put back.
if ! command -v groonga >/dev/null; then
    log "installing Groonga from Debian (groonga-bin, groonga-tokenizer-mecab)"
    before="$(readlink -f /var/lib/mecab/dic/debian 2>/dev/null || true)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q groonga-bin groonga-tokenizer-mecab >&2 ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q groonga-bin >&2
    after="$(readlink -f /var/lib/mecab/dic/debian 2>/dev/null || true)"
    if [[ -n "$before" && "$before" != "$after" ]]; then
        update-alternatives --set mecab-dictionary "$before" >&2 || true
    fi
fi

work="$(mktemp -d -t kotae-peers.XXXXXX)"
kotae_pid="" groonga_pid=""
stop() { [[ -n "$1" ]] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
trap 'stop "$kotae_pid"; stop "$groonga_pid"; rm -rf "$work"' EXIT

if [[ -z "${CONTENT:-}" ]]; then
    log "importing $CORPUS"
    "$KOTAE" import --format jsonl "$CORPUS" --out "$work/content" >/dev/null
    CONTENT="$work/content"
fi
CONTENT="$(cd "$CONTENT" && pwd)"

# --- Kotae ---------------------------------------------------------------------------------
log "Kotae: indexing $CONTENT"
"$KOTAE" index --content "$CONTENT" --index "$work/index" --quiet 2>/dev/null
kotae_port="$(free_port)"
(cd "$work" && exec "$KOTAE" serve --index "$work/index" --addr "127.0.0.1:$kotae_port") >"$work/kotae.log" 2>&1 &
kotae_pid=$!

# --- Groonga -------------------------------------------------------------------------------
dic=""
for d in /var/lib/mecab/dic/ipadic-utf8 /var/lib/mecab/dic/naist-jdic; do
    [[ -f "$d/sys.dic" ]] && { dic="$d"; break; }
done
if [[ -n "$dic" ]]; then
    printf 'dicdir = %s\n' "$dic" >"$work/mecabrc"
    export MECABRC="$work/mecabrc"
fi
mkdir "$work/groonga"
tokenizer=TokenBigram
if printf 'plugin_register tokenizers/mecab\ntokenize TokenMecab "返品" NormalizerAuto\n' |
    groonga -n "$work/groonga/probe" 2>/dev/null | tail -1 | grep -q '返品'; then
    tokenizer=TokenMecab
fi
log "Groonga: loading the pages ($tokenizer${dic:+, dictionary $dic})"
python3 - "$here" "$CONTENT" "$QUERIES" "$tokenizer" "$work" <<'EOF'
import json, subprocess, sys
here, content, queries, tokenizer, work = sys.argv[1:]
sys.path.insert(0, here)
from fts5_compare import load_pages
pages = load_pages(content)
with open(f"{work}/groonga.load", "w") as f:
    if tokenizer == "TokenMecab":
        f.write("plugin_register tokenizers/mecab\n")
    f.write("table_create Pages TABLE_HASH_KEY ShortText\n")
    for c in ("title", "aliases", "tags", "body"):
        f.write(f"column_create Pages {c} COLUMN_SCALAR Text\n")
    f.write("load --table Pages\n")
    f.write(json.dumps([{"_key": i, "title": t, "aliases": a, "tags": g, "body": b} for i, t, a, g, b in pages],
                       ensure_ascii=False))
    f.write("\n")
    f.write(f"table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer {tokenizer} --normalizer NormalizerAuto\n")
    f.write("column_create Terms idx COLUMN_INDEX|WITH_POSITION|WITH_SECTION Pages title,aliases,tags,body\n")
texts = [json.loads(l)["text"] for l in open(queries, encoding="utf-8") if l.strip()]
with open(f"{work}/groonga.tokenize", "w") as f:
    if tokenizer == "TokenMecab":
        f.write("plugin_register tokenizers/mecab\n")
    for t in texts:
        f.write(f"tokenize {tokenizer} {json.dumps(t, ensure_ascii=False)} NormalizerAuto\n")
print(f"{len(pages)} public pages, {len(texts)} questions", file=sys.stderr)
EOF
groonga -n "$work/groonga/db" <"$work/groonga.load" >"$work/groonga.load.out"
groonga "$work/groonga/db" <"$work/groonga.tokenize" >"$work/groonga.tokens"
groonga_port="$(free_port)"
groonga -s --protocol http --bind-address 127.0.0.1 --port "$groonga_port" "$work/groonga/db" >"$work/groonga.log" 2>&1 &
groonga_pid=$!

wait_http() { # url
    local _
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    die "no answer from $1 within 60 s"
}
wait_http "http://127.0.0.1:$kotae_port/healthz"
wait_http "http://127.0.0.1:$groonga_port/d/status"
curl -fsS -o /dev/null "http://127.0.0.1:$groonga_port/d/cache_limit?max=0"

# URL lists (every question once; oha picks among them at random) and the relevance of both
# servers' answers, over the same questions.
python3 - "$QUERIES" "$QRELS" "$work" "$kotae_port" "$groonga_port" "$tokenizer" <<'EOF'
import json, os, re, sys, urllib.parse, urllib.request
queries, qrels_path, work, kport, gport, tokenizer = sys.argv[1:]
qs = [json.loads(l) for l in open(queries, encoding="utf-8") if l.strip()]
tokens = []
for line in open(f"{work}/groonga.tokens", encoding="utf-8"):
    d = json.loads(line)
    if isinstance(d, list) and len(d) == 2 and isinstance(d[1], list):
        tokens.append([t["value"] for t in d[1]])
tokens = tokens[-len(qs):]
def keep(tok):
    if not re.search(r"\w", tok):
        return False
    return not (re.fullmatch(r"[\u3041-\u309f]{1,2}", tok))
def groonga_query(toks):
    words = []
    for t in toks:
        if keep(t) and t not in words:
            words.append(t)
    return " OR ".join('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in words) or "*"
match = "scorer_tf_idf(title)*4||scorer_tf_idf(aliases)*3||scorer_tf_idf(tags)||scorer_tf_idf(body)"
def g_url(q):
    params = {"table": "Pages", "match_columns": match, "query": q, "output_columns": "_key,_score",
              "sort_keys": "-_score", "limit": "10"}
    return f"http://127.0.0.1:{gport}/d/select?" + urllib.parse.urlencode(params)
k_urls = [f"http://127.0.0.1:{kport}/api/search?q=" + urllib.parse.quote(q["text"]) for q in qs]
g_urls = [g_url(groonga_query(t)) for t in tokens]
open(f"{work}/kotae.urls", "w").write("\n".join(k_urls) + "\n")
open(f"{work}/groonga.urls", "w").write("\n".join(g_urls) + "\n")
if os.path.exists(qrels_path):
    rel = {}
    for line in open(qrels_path, encoding="utf-8"):
        p = line.rstrip("\n").split("\t")
        if len(p) == 3 and int(p[2]) > 0:
            rel.setdefault(p[0], set()).add(p[1])
    # The judgments once, for the FTS5 run below.
    json.dump({q: sorted(ids) for q, ids in rel.items()}, open(f"{work}/rel.json", "w"))
    def mrr(ranked_of):
        total, n = 0.0, 0
        for q, url in ranked_of:
            if q["qid"] not in rel:
                continue
            n += 1
            total += next((1 / (i + 1) for i, d in enumerate(url[:10]) if d in rel[q["qid"]]), 0.0)
        return total / max(n, 1)
    def kotae_ids(url):
        return [h["id"] for h in json.load(urllib.request.urlopen(url))["hits"]]
    def groonga_ids(url):
        d = json.load(urllib.request.urlopen(url))
        return [r[0] for r in d[1][0][2:]]
    m = {"Kotae": mrr((q, kotae_ids(u)) for q, u in zip(qs, k_urls)),
         "Groonga": mrr((q, groonga_ids(u)) for q, u in zip(qs, g_urls))}
    json.dump(m, open(f"{work}/mrr.json", "w"))
EOF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
load() { # name pid urls
    local t0; t0=$(cpu_ticks "$2")
    "$OHA" --no-tui --urls-from-file -z "$DURATION" -c "$CONNECTIONS" --output-format json "$3" >"$work/$1.json"
    echo $(( ($(cpu_ticks "$2") - t0) * 1000 / $(getconf CLK_TCK) )) >"$work/$1.cpu"
}
log "load: $DURATION each, $CONNECTIONS connections, $(wc -l <"$work/kotae.urls") distinct questions"
load kotae "$kotae_pid" "$work/kotae.urls"
load groonga "$groonga_pid" "$work/groonga.urls"

log "SQLite FTS5: 2 processes, $DURATION"
python3 - "$here" "$CONTENT" "$QUERIES" "$QRELS" "$work" "$seconds" <<'EOF'
import json, multiprocessing, os, sqlite3, sys, time
here, content, queries, qrels_path, work, seconds = sys.argv[1:]
sys.path.insert(0, here)
from fts5_compare import load_pages, norm, search
db_path = f"{work}/fts5.db"
db = sqlite3.connect(db_path)
db.execute("CREATE VIRTUAL TABLE pages USING fts5(id UNINDEXED, title, aliases, tags, body, tokenize='trigram')")
db.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)",
               [(i, norm(t), norm(a), norm(g), norm(b)) for i, t, a, g, b in load_pages(content)])
db.commit()
qs = [json.loads(l) for l in open(queries, encoding="utf-8") if l.strip()]
def worker(k):
    d = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    for q in qs[:50]:
        search(d, q["text"])
    times, end, i = [], time.perf_counter() + float(seconds), k * 7
    while time.perf_counter() < end:
        t = time.perf_counter()
        search(d, qs[i % len(qs)]["text"])
        times.append(time.perf_counter() - t)
        i += 1
    return times
with multiprocessing.Pool(2) as pool:
    started = time.perf_counter()
    parts = pool.map(worker, [0, 1])
    elapsed = time.perf_counter() - started
times = sorted(t for p in parts for t in p)
out = {"rate": len(times) / elapsed, "p50": times[len(times) // 2] * 1000, "p99": times[int(len(times) * 0.99)] * 1000}
if os.path.exists(f"{work}/rel.json"):
    rel = {q: set(ids) for q, ids in json.load(open(f"{work}/rel.json")).items()}
    judged = [q for q in qs if q["qid"] in rel]
    out["mrr"] = sum(next((1 / (i + 1) for i, d in enumerate(search(db, q["text"])) if d in rel[q["qid"]]), 0.0)
                     for q in judged) / max(len(judged), 1)
json.dump(out, open(f"{work}/fts5.out", "w"))
EOF

python3 - "$work" "$tokenizer" "$CONNECTIONS" <<'EOF'
import json, os, sys
work, tokenizer, conns = sys.argv[1:]
mrr = json.load(open(f"{work}/mrr.json")) if os.path.exists(f"{work}/mrr.json") else {}
rows = []
for name, label in (("kotae", "Kotae /api/search (result cache off)"), ("groonga", f"Groonga ({tokenizer}, TF-IDF)")):
    d = json.load(open(f"{work}/{name}.json"))
    s, p = d["summary"], d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    served = max(sum(codes.values()), 1)
    cpu = int(open(f"{work}/{name}.cpu").read()) / served
    bad = {c: n for c, n in codes.items() if not c.startswith("2")}
    rows.append((label, s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, mrr.get(name.capitalize()), f"{cpu:.2f} ms CPU/req" + (f", non-2xx {bad}" if bad else "")))
f = json.load(open(f"{work}/fts5.out"))
rows.append(("SQLite FTS5 trigram (in-process, 2 processes)", f["rate"], f["p50"], f["p99"], f.get("mrr"), "no HTTP"))
kotae = rows[0][1]
print(f"\n| engine | searches/s | p50 ms | p99 ms | Kotae/peer | MRR@10 | note |")
print("|---|---|---|---|---|---|---|")
for label, rate, p50, p99, m, note in rows:
    ratio = "1" if label.startswith("Kotae") else f"{kotae / rate:.1f}×"
    print(f"| {label} | {rate:,.0f} | {p50:.1f} | {p99:.1f} | {ratio} | {'' if m is None else f'{m:.3f}'} | {note} |")
print(f"\n(HTTP: oha, {conns} connections, every question distinct; the same 2 cores serve and load)")
EOF
