#!/usr/bin/env bash
# The living-lab benchmark (issue 6): one published living lab with 200 sessions and 20,000
# registrations (bench/livinglabs/seed.py), on PostgreSQL and on SQLite. Measures:
#
#   - POST /<city>/p/<process>/sessions/<id>/register under gunicorn (2 sync workers) and wrk
#     (-t2 -c16, 20 s; the ideas benchmark's load.lua with BENCH_MODE=register): 2,000
#     signed-in users, each request a random user and one of
#     4 empty sessions of 40 seats, so the seats run out within the first second and the
#     waitlists grow (a user already registered there is redirected to the ticket: 303 too);
#     beside a hello-world Flask app served the same way. Any answer but 2xx/3xx is a failure.
#   - after the load, in SQL (check.py): no session with more seated than its capacity, nobody
#     registered twice at a session, each target's seated and waitlisted counts;
#   - the workers' RSS after the load;
#   - the organisers' attendee CSV export of all 20,000 registrations (export.py, a process of
#     its own: exports.attendee_rows + exports.stream_csv): time, peak RSS, Python peak.
#
#   bash bench/livinglabs/run.sh          (or: make bench-livinglabs)
#   BENCH_DURATION=5s BENCH_DATABASES=sqlite bash bench/livinglabs/run.sh   (a quick look)
#   BENCH_KEEP=1 ...       keep the work folder (wrk reports, checks, logs)
#   BENCH_POSTGRES_URL=postgresql://user@host:port   the server (a database is created on it
#                          for the run and dropped afterwards)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
HERE="$ROOT/bench/livinglabs"
DURATION=${BENCH_DURATION:-20s}
DATABASES=${BENCH_DATABASES:-postgresql sqlite}
POSTGRES_URL=${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
WORKERS=2
# --timeout 10s: a slow answer counts in the latencies instead of vanishing as a time-out.
WRK=(wrk -t2 -c16 "-d$DURATION" --latency --timeout 10s -s "$ROOT/bench/ideas/load.lua")

BENCH_NAME=livinglabs
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

export ENGAGE_ENV=production
export ENGAGE_SECRET_KEY="bench-only-secret-key-$(date +%s)"
export ENGAGE_RATELIMIT_ENABLED=0
unset ENGAGE_REDIS_URL ENGAGE_SERVER_NAME ENGAGE_PAGE_CACHE_SECONDS ENGAGE_PAGE_CACHE_BYTES
unset BENCH_MODE BENCH_TARGETS BENCH_SESSIONS

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
    read -r process_id target_ids < <("$BIN/python" -c '
import json, sys
facts = json.load(open(sys.argv[1]))
print(facts["process_id"], ",".join(map(str, facts["target_session_ids"])))' "$out/seed.json")
    first_target=$(head -1 "$out/targets.txt")

    port=$(free_port)
    base="http://127.0.0.1:$port"
    "${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$port" 'engage:create_app()' \
        2>"$out/gunicorn.log" &
    engage_pid=$!
    pids+=("$engage_pid")
    wait_for "$base/api/v1/health"

    # The form answers 200, and a registration by the last user answers 303 (to the ticket).
    expect_status 200 "$base$first_target"
    read -r cookie token < <(tail -1 "$out/sessions.txt")
    expect_status 303 "$base$first_target" -X POST -H "Cookie: session=$cookie" \
        -H "X-CSRFToken: $token" -e "$base$first_target" \
        --data "csrf_token=$token&name=Bench&stakeholder_type=citizen"
    # Warm both workers (templates compiled, connections open) outside the measurement.
    wrk -t1 -c2 -d1s "$base$first_target" >/dev/null

    "$BIN/python" "$HERE/check.py" --targets "$target_ids" >"$out/check-before.json"
    echo "== $database: registration POST, 4 sessions of 40 seats ($DURATION)..."
    BENCH_MODE=register BENCH_SESSIONS="$out/sessions.txt" BENCH_TARGETS="$out/targets.txt" \
        "${WRK[@]}" "$base/" >"$out/register.wrk"
    drain "$base"
    worker_memory "$engage_pid" "$out/workers"
    stop "$engage_pid"
    "$BIN/python" "$HERE/check.py" --targets "$target_ids" >"$out/check-after.json"
    grep '^BENCH' "$out/register.wrk" || true
    "$BIN/python" "$HERE/check.py" --text "$out/check-after.json"

    echo "== $database: attendee CSV export of every registration..."
    "$BIN/python" "$HERE/export.py" --process-id "$process_id" --out "$out/attendees.csv" \
        | tee "$out/export.json"
    "$BIN/python" "$HERE/export.py" --process-id "$process_id" --out "$out/attendees.csv" \
        --tracemalloc >"$out/export-traced.json"
    rm -f "$out/attendees.csv"

    if [ "$database" = postgresql ]; then
        postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)"
        pg_database=""
    fi
done

"$BIN/python" "$HERE/table.py" "$work" | tee "$work/table.md"
