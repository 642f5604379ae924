#!/usr/bin/env bash
# Throughput of engage's hub page and cities API against a hello-world Flask app, both served
# by gunicorn with 2 workers on a free localhost port, loaded by wrk (-t2 -c16 -d10s).
# engage runs in production mode on a fresh SQLite database with the demo data.
# Read the figures as ratios to hello-world: absolute numbers depend on the machine.
#
#   bash bench/hub.sh            (or: make bench)
#   BENCH_DURATION=30s bash bench/hub.sh
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
DURATION=${BENCH_DURATION:-10s}
WORKERS=2

POSTGRES_URL=${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}  # unused: SQLite only
BENCH_NAME=hub
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"

export ENGAGE_ENV=production
export ENGAGE_SECRET_KEY="bench-only-secret-key-$(date +%s)"
export ENGAGE_INSTANCE_PATH="$work/instance"
export ENGAGE_DATABASE_URL="sqlite:///$work/instance/bench.sqlite3"
export ENGAGE_RATELIMIT_ENABLED=0
unset ENGAGE_REDIS_URL

echo "preparing a fresh database with the demo data..."
# The models' schema (the migrations produce the same one; a test checks there is no drift).
"$BIN/python" -c 'from engage import create_app
from engage.core.search import ensure_search_schema
from engage.extensions import db
with create_app().app_context():
    db.create_all()
    ensure_search_schema(db.engine)'
"$BIN/flask" --app engage demo-data

engage_port=$(free_port)
"${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$engage_port" \
    'engage:create_app()' &
pids+=($!)
hello_port=$(free_port)
"${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$hello_port" \
    --chdir "$ROOT/bench" hello:app &
pids+=($!)
wait_for "http://127.0.0.1:$engage_port/api/v1/health"
wait_for "http://127.0.0.1:$hello_port/"

# Every page measured must answer 200 before it is measured.
for path in / /api/v1/cities; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$engage_port$path")
    [ "$status" = 200 ] || { echo "$path answered $status" >&2; exit 1; }
done

measure() {  # name url: wrk's report goes to $work/<name>.wrk
    wrk -t2 -c16 -d"$DURATION" --latency "$2" >"$work/$1.wrk"
}

echo "wrk -t2 -c16 -d$DURATION --latency; gunicorn -w $WORKERS (sync); $(nproc) cores"
measure hello "http://127.0.0.1:$hello_port/"
measure hub "http://127.0.0.1:$engage_port/"
measure cities "http://127.0.0.1:$engage_port/api/v1/cities"

"$BIN/python" "$ROOT/bench/report.py" \
    "hello-world /=$work/hello.wrk" "hub /=$work/hub.wrk" "/api/v1/cities=$work/cities.wrk"
