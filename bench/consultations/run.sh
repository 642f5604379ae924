#!/usr/bin/env bash
# The consultations benchmark (issue 4): one open consultation with a 20-question questionnaire
# and 5,000 submitted responses (plus 300 drafts), on PostgreSQL and on SQLite. Measures:
#
#   - the time to compute the results from scratch, in-process (results cache cleared), and
#     the results page's SQL statements, cold and warm (probe.py);
#   - GET /<city>/p/<process>/results under gunicorn (2 sync workers) and wrk (-t2 -c16, 20 s),
#     beside a hello-world Flask app served the same way:
#       anonymous          no cookie: served by the page cache (core.pagecache, 10 s) after
#                          each worker's first request
#       signed in          20 signed-in users' session cookies: the page cache never serves
#                          them, the page is rendered each time from the results cache
#       signed in + 1/s    the same while writer.py submits a new response every second through
#                          the answering services (each one invalidates the results cache)
#   - the workers' RSS after the load; after the writes, whether the page shows every
#     submitted response (check.py).
#
# Prints req/s, p50/p95/p99, the answers by status (anything but 200 is a failure) and the
# issue's target: results page p95 under 100 ms.
#
#   bash bench/consultations/run.sh          (or: make bench-consultations)
#   BENCH_DURATION=5s BENCH_DATABASES=sqlite bash bench/consultations/run.sh   (a quick look)
#   BENCH_KEEP=1 ...       keep the work folder (wrk reports, statements, logs)
#   BENCH_POSTGRES_URL=postgresql://user@host:port   the server (a database is created on it
#                          for the run and dropped afterwards)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
HERE="$ROOT/bench/consultations"
DURATION=${BENCH_DURATION:-20s}
DATABASES=${BENCH_DATABASES:-postgresql sqlite}
POSTGRES_URL=${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
WORKERS=2
# --timeout 10s: a slow answer counts in the latencies instead of vanishing as a time-out.
# load.lua is the ideas benchmark's script (+ signed-in cookies when BENCH_SESSIONS is set).
WRK=(wrk -t2 -c16 "-d$DURATION" --latency --timeout 10s -s "$HERE/load.lua")

BENCH_NAME=consultations
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

export ENGAGE_ENV=production
export ENGAGE_SECRET_KEY="bench-only-secret-key-$(date +%s)"
export ENGAGE_RATELIMIT_ENABLED=0
unset ENGAGE_REDIS_URL ENGAGE_SERVER_NAME ENGAGE_PAGE_CACHE_SECONDS ENGAGE_PAGE_CACHE_BYTES

describe_machine

# ---- the baseline
run_hello_world

# ---- engage, once per database
for database in $DATABASES; do
    out="$work/$database"
    mkdir -p "$out"
    use_database "$database" "$out"

    echo "== $database: seeding..."
    "$BIN/python" "$HERE/seed.py" --out "$out" | tee "$out/seed.txt"
    read -r city process < <("$BIN/python" -c '
import json, sys
facts = json.load(open(sys.argv[1]))
print(facts["city_slug"], facts["process_slug"])' "$out/seed.json")
    results_path="/$city/p/$process/results"

    echo "== $database: computing the results in-process, the page's SQL statements..."
    "$BIN/python" "$HERE/probe.py" --out "$out" 2>"$out/probe.log" | tee "$out/probe.txt"

    port=$(free_port)
    base="http://127.0.0.1:$port"
    "${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$port" 'engage:create_app()' 2>"$out/gunicorn.log" &
    engage_pid=$!
    pids+=("$engage_pid")
    wait_for "$base/api/v1/health"

    # The page must answer 200 to both kinds of visitors before it is measured.
    read -r cookie _ < "$out/sessions.txt"
    expect_status 200 "$base$results_path"
    expect_status 200 "$base$results_path" -H "Cookie: session=$cookie"
    # Warm both workers (templates compiled, connections open, each worker's results cache
    # filled) outside the measurement.
    wrk -t1 -c2 -d1s "$base$results_path" >/dev/null
    BENCH_SESSIONS="$out/sessions.txt" wrk -t1 -c2 -d1s -s "$HERE/load.lua" \
        "$base$results_path" >/dev/null

    echo "== $database: results page, anonymous / signed in / signed in + a new response" \
         "every second ($DURATION each)..."
    "${WRK[@]}" "$base$results_path" >"$out/anonymous.wrk"
    drain "$base"
    BENCH_SESSIONS="$out/sessions.txt" "${WRK[@]}" "$base$results_path" >"$out/signed-in.wrk"
    drain "$base"
    rm -f "$out/writer.ready"
    "$BIN/python" "$HERE/writer.py" --out "$out" --ready "$out/writer.ready" \
        --report "$out/writer.json" 2>"$out/writer.log" &
    writer_pid=$!
    pids+=("$writer_pid")
    for _ in $(seq 1 200); do
        [ -e "$out/writer.ready" ] && break
        kill -0 "$writer_pid" 2>/dev/null || { cat "$out/writer.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -e "$out/writer.ready" ] || { echo "writer.py did not start" >&2; exit 1; }
    BENCH_SESSIONS="$out/sessions.txt" "${WRK[@]}" "$base$results_path" >"$out/writes.wrk"
    stop "$writer_pid"
    [ -s "$out/writer.json" ] || { cat "$out/writer.log" >&2; exit 1; }
    drain "$base"
    worker_memory "$engage_pid" "$out/workers"
    "$BIN/python" "$HERE/check.py" --out "$out" --base "$base" >"$out/check.json"
    stop "$engage_pid"

    if [ "$database" = postgresql ]; then
        postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)"
        pg_database=""
    fi
done

"$BIN/python" "$HERE/table.py" "$work" | tee "$work/table.md"
