#!/usr/bin/env bash
# The citizen-science benchmark (issue 5): one open campaign with 50,000 observations in one
# city's area (bench/science/seed.py), on PostgreSQL and on SQLite. Measures:
#
#   - in-process (probe.py): mapdata.features for random visible boxes at every zoom from 3 to
#     19, cold (cache emptied) and warm, statements, answer sizes raw and gzip-compressed; the
#     street-zoom box over the densest neighbourhood; the map page's first load (HTML + CSS +
#     JS, Leaflet included, gzip -6) and statements; the whole open data set as CSV and GeoJSON;
#   - GET /<city>/p/<process>/map.geojson?bbox=…&zoom=… under gunicorn (2 sync workers) and wrk
#     (-t2 -c16, 20 s), a random 1280 × 800 px box of the area on every request (load.lua),
#     beside a hello-world Flask app served the same way:
#       city zoom (12)      the grid of the whole city
#       street zoom (17)    individual points
#       city zoom + 1/s     the same while writer.py adds an observation every second (each
#                           one raises the data version: every worker's cached grid is stale)
#   - the workers' RSS after the load.
#
# Prints req/s, p50/p95/p99, the answers by status (anything but 200 is a failure) and the
# issue's targets: map.geojson p95 under 100 ms at any zoom, answers under 200 KB compressed.
#
#   bash bench/science/run.sh          (or: make bench-science)
#   BENCH_DURATION=5s BENCH_DATABASES=sqlite bash bench/science/run.sh   (a quick look)
#   BENCH_KEEP=1 ...       keep the work folder (wrk reports, logs)
#   BENCH_POSTGRES_URL=postgresql://user@host:port   the server (a database is created on it
#                          for the run and dropped afterwards)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
HERE="$ROOT/bench/science"
DURATION=${BENCH_DURATION:-20s}
DATABASES=${BENCH_DATABASES:-postgresql sqlite}
POSTGRES_URL=${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
WORKERS=2
# --timeout 10s: a slow answer counts in the latencies instead of vanishing as a time-out.
WRK=(wrk -t2 -c16 "-d$DURATION" --latency --timeout 10s -s "$HERE/load.lua")

BENCH_NAME=science
# shellcheck source=../lib.sh
source "$ROOT/bench/lib.sh"

export ENGAGE_ENV=production
export ENGAGE_SECRET_KEY="bench-only-secret-key-$(date +%s)"
export ENGAGE_RATELIMIT_ENABLED=0
unset ENGAGE_REDIS_URL ENGAGE_SERVER_NAME ENGAGE_PAGE_CACHE_SECONDS ENGAGE_PAGE_CACHE_BYTES
unset BENCH_PATH BENCH_BOUNDS BENCH_ZOOM

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
    read -r city process bounds < <("$BIN/python" -c '
import json, sys
facts = json.load(open(sys.argv[1]))
print(facts["city_slug"], facts["process_slug"], ",".join(map(str, facts["bounds"])))' \
        "$out/seed.json")
    geojson_path="/$city/p/$process/map.geojson"

    echo "== $database: in-process measures (zoom sweep, page weight, open data)..."
    "$BIN/python" "$HERE/probe.py" --out "$out" 2>"$out/probe.log" | tee "$out/probe.txt"

    port=$(free_port)
    base="http://127.0.0.1:$port"
    "${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$port" 'engage:create_app()' 2>"$out/gunicorn.log" &
    engage_pid=$!
    pids+=("$engage_pid")
    wait_for "$base/api/v1/health"

    IFS=, read -r south west north east <<<"$bounds"
    expect_status 200 "$base$geojson_path?bbox=$south,$west,$north,$east&zoom=12"
    expect_status 200 "$base/$city/p/$process/map"
    # Warm both workers (connections open, templates compiled) outside the measurement; the
    # map's cache fills here as it would in the first seconds of use.
    for zoom in 12 17; do
        BENCH_PATH="$geojson_path" BENCH_BOUNDS="$bounds" BENCH_ZOOM=$zoom \
            wrk -t1 -c2 -d2s -s "$HERE/load.lua" "$base" >/dev/null
    done

    echo "== $database: map.geojson at city zoom / street zoom / city zoom + a new observation" \
         "every second ($DURATION each)..."
    BENCH_PATH="$geojson_path" BENCH_BOUNDS="$bounds" BENCH_ZOOM=12 \
        "${WRK[@]}" "$base" >"$out/city.wrk"
    drain "$base"
    BENCH_PATH="$geojson_path" BENCH_BOUNDS="$bounds" BENCH_ZOOM=17 \
        "${WRK[@]}" "$base" >"$out/street.wrk"
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
    BENCH_PATH="$geojson_path" BENCH_BOUNDS="$bounds" BENCH_ZOOM=12 \
        "${WRK[@]}" "$base" >"$out/writes.wrk"
    stop "$writer_pid"
    [ -s "$out/writer.json" ] || { cat "$out/writer.log" >&2; exit 1; }
    drain "$base"
    worker_memory "$engage_pid" "$out/workers"
    stop "$engage_pid"

    if [ "$database" = postgresql ]; then
        postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)"
        pg_database=""
    fi
done

"$BIN/python" "$HERE/table.py" "$work" | tee "$work/table.md"
