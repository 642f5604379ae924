"""The attendee CSV export of the whole living lab (every session, personal columns), measured
in a process of its own: `exports.attendee_rows` (the organisers' export, read in batches)
through `exports.stream_csv`, written to a file as the streamed response would send it.

Prints one JSON object: rows, bytes, seconds, the process's peak RSS before and after the
export (MiB, from getrusage: what the export added to a process that had already imported the
app) and the Python allocations' peak during the export (tracemalloc, MiB).

  python bench/livinglabs/export.py --process-id N --out FILE [--delimiter ';']
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import tracemalloc
from pathlib import Path

from engage import create_app
from engage.extensions import db
from engage.livinglabs import exports
from engage.processes.models import Process


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--process-id", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--delimiter", default=";")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also the Python allocations' peak (slows the export down)")
    args = parser.parse_args()
    app = create_app()
    with app.test_request_context("/", headers={"Cookie": "lang=ro"}):
        process = db.session.get(Process, args.process_id)
        before = peak_rss_mib()
        if args.tracemalloc:
            tracemalloc.start()
        started = time.perf_counter()
        rows = size = 0
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            for chunk in exports.stream_csv(exports.attendee_rows(process, personal=True),
                                            args.delimiter):
                handle.write(chunk)
                size += len(chunk.encode("utf-8"))
                rows += chunk.count("\r\n")
        seconds = time.perf_counter() - started
        traced = None
        if args.tracemalloc:
            traced = round(tracemalloc.get_traced_memory()[1] / 1048576, 1)
            tracemalloc.stop()
    print(json.dumps({"rows": rows - 1, "bytes": size, "seconds": round(seconds, 2),
                      "peak_rss_before_mib": before, "peak_rss_after_mib": peak_rss_mib(),
                      "python_peak_mib": traced}))


if __name__ == "__main__":
    main()
