# Shared by the benchmarks' run.sh scripts (sourced after ROOT, BIN, POSTGRES_URL and
# BENCH_NAME are set): wrk and the installation present, a work folder removed at exit (kept
# with BENCH_KEEP=1) together with the servers started and the PostgreSQL database created,
# and small helpers to start, probe and stop servers.

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
    else
        echo "wrk is missing: apt-get install wrk" >&2
        exit 1
    fi
fi
[ -x "$BIN/gunicorn" ] || { echo "run 'make install' first" >&2; exit 1; }
[ -f "$ROOT/static/vendor/htmx.min.js" ] || { echo "run 'make install' first" >&2; exit 1; }

# How every benchmark serves engage and its hello-world baseline alike: gunicorn sync workers
# under Python -OO (PYTHONOPTIMIZE=2: docstrings and asserts dropped), as README's production
# command; no control socket (gunicorn would otherwise create ~/.gunicorn/gunicorn.ctl).
GUNICORN=(env PYTHONOPTIMIZE=2 "$BIN/gunicorn" --no-control-socket --log-level warning)
# Their byte code compiled beforehand, as a deployment does once (a worker that compiles on its
# first import keeps the compiler's memory).
"$BIN/python" -OO -m compileall -q -j0 "$ROOT/engage" "$ROOT/bench" \
    $("$BIN/python" -c 'import sysconfig; p = sysconfig.get_paths(); print(p["purelib"], p["stdlib"])') \
    >/dev/null 2>&1 || true

work=$(mktemp -d "/tmp/engage-bench-$BENCH_NAME.XXXXXX")
pids=()
pg_database=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$pg_database" ]; then
        postgres_admin "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" || true
    fi
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        echo "work folder kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

postgres_admin() {  # SQL: run on the server's maintenance database, outside a transaction
    "$BIN/python" - "$POSTGRES_URL/postgres" "$1" <<'EOF'
import sys
import psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as connection:
    connection.execute(sys.argv[2])
EOF
}

free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() {  # url
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server at $1 did not answer" >&2
    exit 1
}

worker_memory() {  # master pid, file: the workers' RSS to file.rss, their PSS to file.pss (kB)
    local rss=() pss=()
    for child in $(pgrep -P "$1"); do
        rss+=("$(ps -o rss= -p "$child" | tr -d ' ')")
        pss+=("$(awk '/^Pss:/ {print $2}' "/proc/$child/smaps_rollup" 2>/dev/null || echo 0)")
    done
    echo "${rss[*]}" >"$2.rss"
    echo "${pss[*]}" >"$2.pss"
}

drain() {  # base url: wait until the requests wrk left queued are answered (sync workers
    # finish every accepted connection), so they do not weigh on the next target
    for _ in 1 2 3 4; do curl -s -o /dev/null --max-time 60 "$1/api/v1/health" || true; done
}

stop() {  # pid: stop one process we started and forget it
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local kept=()
    for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
    pids=("${kept[@]}")
}

expect_status() {  # expected url [curl options...]: the page must answer `expected`
    local expected=$1 url=$2
    shift 2
    local status
    status=$(curl -s -o "$work/last-body" -w '%{http_code}' -A engage-bench "$@" "$url")
    if [ "$status" != "$expected" ]; then
        echo "$url answered $status, not $expected:" >&2
        head -c 600 "$work/last-body" >&2
        echo >&2
        exit 1
    fi
}


# ---- shared by the run.sh scripts (after WRK, WORKERS and POSTGRES_URL are set)

describe_machine() {  # the machine, the versions and the load, to the screen and machine.txt
    local postgres_version
    postgres_version=$("$BIN/python" -c '
import sys, psycopg
with psycopg.connect(sys.argv[1]) as connection:
    print(connection.execute("show server_version").fetchone()[0].split()[0])' \
        "$POSTGRES_URL/postgres" 2>/dev/null || echo "?")
    {
        echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
             "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
        echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "$("$BIN/python" --version), gunicorn $("$BIN/python" -c 'import gunicorn; print(gunicorn.__version__)')," \
             "wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), PostgreSQL $postgres_version," \
             "SQLite $("$BIN/python" -c 'import sqlite3; print(sqlite3.sqlite_version)')"
        echo "load: ${WRK[*]:0:7} (each target in turn); gunicorn -w $WORKERS (sync workers)"
    } | tee "$work/machine.txt"
}

run_hello_world() {  # the baseline: hello-world under the same gunicorn and wrk settings
    local hello_port hello_pid
    hello_port=$(free_port)
    "${GUNICORN[@]}" -w "$WORKERS" -b "127.0.0.1:$hello_port" --chdir "$ROOT/bench" hello:app &
    hello_pid=$!
    pids+=("$hello_pid")
    wait_for "http://127.0.0.1:$hello_port/"
    echo "hello-world..."
    "${WRK[@]}" "http://127.0.0.1:$hello_port/" >"$work/hello.wrk"
    worker_memory "$hello_pid" "$work/hello"
    stop "$hello_pid"
}

use_database() {  # database out: an empty database of that kind for the run (PostgreSQL:
    # created on POSTGRES_URL, dropped at exit), and the instance folder in `out`
    export ENGAGE_INSTANCE_PATH="$2/instance"
    case "$1" in
        postgresql)
            pg_database="engage_bench_${BENCH_NAME}_$$"
            postgres_admin "CREATE DATABASE $pg_database"
            export ENGAGE_DATABASE_URL="$POSTGRES_URL/$pg_database"
            ;;
        sqlite)
            export ENGAGE_DATABASE_URL="sqlite:///$2/bench.sqlite3"
            ;;
        *) echo "unknown database $1 (postgresql, sqlite)" >&2; exit 1 ;;
    esac
}
