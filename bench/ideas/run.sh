#!/usr/bin/env bash
# The ideas benchmark (issue 3): one open ideas process with 10,000 ideas, 200,000 supports and
# 50,000 comments, served by gunicorn (2 sync workers) on PostgreSQL and on SQLite, loaded by
# wrk (-t2 -c16, 20 s per target) beside a hello-world Flask app served the same way:
#
#   list    GET  /<city>/p/<process>/ideas?sort=support   anonymous visitor, first page
#   idea    GET  /<city>/ideas/<id>                       the most supported idea (the most
#                                                         comments too), anonymous
#   idea    GET  /<city>/ideas/<id>                       a typical idea (the median), anonymous
#   toggle  POST /<city>/ideas/<id>/support               200 logged-in users, htmx, CSRF header
#
# Prints req/s, p50/p95/p99, the answers by status (anything but 200 is a failure), the
# workers' RSS after the load, SQL statements per page, and the first load's compressed weight.
#
#   bash bench/ideas/run.sh          (or: make bench-ideas)
#   BENCH_DURATION=5s BENCH_DATABASES=sqlite bash bench/ideas/run.sh     (a quick look)
#   BENCH_KEEP=1 ...       keep the work folder (wrk reports, statements per page, logs)
#   BENCH_POSTGRES_URL=postgresql://user@host:port   the server (a database is created on it
#                          for the run and dropped afterwards)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
HERE="$ROOT/bench/ideas"
DURATION=${BENCH_DURATION:-20s}
DATABASES=${BENCH_DATABASES:-postgresql sqlite}
POSTGRES_URL=${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
WORKERS=2
# --timeout 10s: a slow answer counts in the latencies instead of vanishing as a time-out.
WRK=(wrk -t2 -c16 "-d$DURATION" --latency --timeout 10s -s "$HERE/load.lua")

BENCH_NAME=ideas
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

export ENGAGE_ENV=production
export ENGAGE_SECRET_KEY="bench-only-secret-key-$(date +%s)"
export ENGAGE_RATELIMIT_ENABLED=0
unset ENGAGE_REDIS_URL ENGAGE_SERVER_NAME

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
    read -r city process top_idea typical_idea < <("$BIN/python" -c '
import json, sys
facts = json.load(open(sys.argv[1]))
print(facts["city_slug"], facts["process_slug"], facts["top_idea_id"], facts["typical_idea_id"])
' "$out/seed.json")
    list_path="/$city/p/$process/ideas?sort=support"
    idea_path="/$city/ideas/$top_idea"
    typical_path="/$city/ideas/$typical_idea"
    toggle_idea=$(sed -n 500p "$out/ideas.txt")
    toggle_path="/$city/ideas/$toggle_idea/support"

    echo "== $database: one request of each page, in-process (SQL statements, weight)..."
    "$BIN/python" "$HERE/probe.py" --out "$out" --list "$list_path" --idea "$idea_path" \
        --typical "$typical_path" --toggle "$toggle_path" 2>"$out/probe.log" | tee "$out/probe.txt"

    port=$(free_port)
    base="http://127.0.0.1:$port"
    "${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$port" \
        'engage:create_app()' 2>"$out/gunicorn.log" &
    engage_pid=$!
    pids+=("$engage_pid")
    wait_for "$base/api/v1/health"

    # Every target must answer 200 before it is measured (and the toggle twice: on, off).
    read -r cookie token < "$out/sessions.txt"
    expect_status 200 "$base$list_path"
    expect_status 200 "$base$idea_path"
    expect_status 200 "$base$typical_path"
    for _ in 1 2; do
        expect_status 200 "$base$toggle_path" -X POST -H "Cookie: session=$cookie" \
            -H "X-CSRFToken: $token" -H "HX-Request: true" -e "$base/$city/ideas/$toggle_idea"
    done
    # Warm both workers (templates compiled, connections open) outside the measurement.
    for path in "$list_path" "$idea_path" "$typical_path"; do
        wrk -t1 -c2 -d1s "$base$path" >/dev/null
    done

    echo "== $database: list, idea (most discussed), idea (typical), toggle ($DURATION each)..."
    "${WRK[@]}" "$base$list_path" >"$out/list.wrk"
    drain "$base"
    "${WRK[@]}" "$base$idea_path" >"$out/idea.wrk"
    drain "$base"
    "${WRK[@]}" "$base$typical_path" >"$out/idea-typical.wrk"
    drain "$base"
    since=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
    "$BIN/python" "$HERE/check.py" >"$out/check-before.json"
    BENCH_MODE=toggle BENCH_CITY="$city" BENCH_SESSIONS="$out/sessions.txt" \
        BENCH_IDEAS="$out/ideas.txt" BENCH_HOT=100 \
        "${WRK[@]}" "$base/" >"$out/toggle.wrk"
    drain "$base"
    worker_memory "$engage_pid" "$out/workers"
    "$BIN/python" "$HERE/check.py" --since "$since" >"$out/check-after.json"
    stop "$engage_pid"

    if [ "$database" = postgresql ]; then
        postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)"
        pg_database=""
    fi
done

"$BIN/python" "$HERE/table.py" "$work" | tee "$work/table.md"
