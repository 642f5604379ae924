#!/usr/bin/env bash
# The exports benchmark (issue 8): an agree-mode ideas process with 10,000 ideas and 200,000
# votes and a smaller one with 1,000 ideas and 20,000 votes (bulk inserts, ANALYZE), on SQLite
# and PostgreSQL; the CSV and XLSX export of the votes and ideas tables of each, every
# measurement in a Python process of its own: seconds and peak RSS (bench/exports/bench.py);
# then the workshop pack's documents of both processes (pack, 48 and 400 idea cards, poster).
#
#   bash bench/exports/run.sh        (or: make bench-exports)
#   BENCH_DATABASES=sqlite bash bench/exports/run.sh
#   BENCH_PARTS=pack bash bench/exports/run.sh      only the workshop pack's documents
#   BENCH_POSTGRES_URL=postgresql://user@host:port   the server (a database is created on it
#                          for the run and dropped afterwards)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
DATABASES=${BENCH_DATABASES:-sqlite postgresql}
PARTS=${BENCH_PARTS:-exports pack}
POSTGRES_URL=${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
work=$(mktemp -d /tmp/engage-bench-exports.XXXXXX)
pg_database=""

postgres_admin() {
    "$BIN/python" -c 'import psycopg, sys
with psycopg.connect(sys.argv[1] + "/postgres", autocommit=True) as conn:
    conn.execute(sys.argv[2])' "$POSTGRES_URL" "$1"
}
cleanup() {
    if [ -n "$pg_database" ]; then postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)"; fi
    rm -rf "$work"
}
trap cleanup EXIT

export ENGAGE_ENV=production
export ENGAGE_SECRET_KEY="bench-only-secret-key-$(date +%s)"
unset ENGAGE_REDIS_URL
: >"$work/results.jsonl"
for database in $DATABASES; do
    export ENGAGE_INSTANCE_PATH="$work/$database/instance"
    mkdir -p "$ENGAGE_INSTANCE_PATH"
    if [ "$database" = postgresql ]; then
        pg_database="engage_bench_exports_$$"
        postgres_admin "CREATE DATABASE $pg_database"
        export ENGAGE_DATABASE_URL="$POSTGRES_URL/$pg_database"
    else
        export ENGAGE_DATABASE_URL="sqlite:///$work/$database/bench.sqlite3"
    fi
    echo "== $database: seeding..."
    "$BIN/python" bench/exports/bench.py seed
    for process in small large; do
        [[ " $PARTS " == *" exports "* ]] || continue
        for table in votes ideas; do
            for format in csv xlsx; do
                "$BIN/python" bench/exports/bench.py export --process "$process" \
                    --table "$table" --format "$format" --out "$work/export.$format" \
                    | tee -a "$work/results.jsonl"
                rm -f "$work/export.$format"
            done
        done
    done
    for process in small large; do
        [[ " $PARTS " == *" pack "* ]] || continue
        for spec in "pack 48 pdf" "cards 48 pdf" "cards 400 pdf" "cards 400 html" "poster 48 pdf"; do
            set -- $spec
            "$BIN/python" bench/exports/bench.py pack --process "$process" --document "$1" \
                --cards "$2" --format "$3" | tee -a "$work/results.jsonl"
        done
    done
    if [ "$database" = postgresql ]; then
        postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)"
        pg_database=""
    fi
done
echo
"$BIN/python" bench/exports/bench.py table "$work/results.jsonl"
