"""The living-lab benchmark's tables, from the work folder run.sh filled.

Usage: table.py WORK   (WORK/hello.wrk, hello.rss/.pss, WORK/<database>/register.wrk,
workers.rss/.pss, seed.json, check-before.json, check-after.json, export.json,
export-traced.json)

wrk's reports are read by the ideas benchmark's table.py (`figures`), imported as it is. Here a
303 (to the ticket) is the expected answer of the registration POST: anything but a 2xx or
3xx is a failure.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_ideas_table",
                                               HERE.parent / "ideas" / "table.py")
ideas_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ideas_table)

DATABASES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
TARGETS = (("register", "registration POST (4 sessions × 40 seats)"),)


def failed(f: dict) -> int:
    bad = sum(n for status, n in f["statuses"].items() if not 200 <= status < 400)
    return bad + sum(f["socket"].values())


def main(work: Path) -> None:
    hello_rss = ideas_table.memory_mb(work / "hello.rss")
    hello_pss = ideas_table.memory_mb(work / "hello.pss")
    hello, rows, per_database = ideas_table.read_runs(
        work, DATABASES, TARGETS, "export-traced.json",
        {"seed": "seed.json", "before": "check-before.json", "after": "check-after.json",
         "export": "export.json", "traced": "export-traced.json"})
    ideas_table.print_load_table(rows, hello)

    print()
    print("| database | failed answers (not 2xx/3xx) | sessions over capacity | people "
          "registered twice | target sessions: seated / waitlisted | worker RSS (PSS) "
          "after, MiB |")
    print("|---|---:|---:|---:|---|---|")
    print(f"| hello-world | — | — | — | — | "
          f"{ideas_table.rss_pss(hello_rss, hello_pss)} |")
    for name, d in per_database.items():
        after = d["after"]
        targets = ", ".join(f"{t['seated']}/{t['waitlisted']}" for t in after["targets"])
        print(f"| {DATABASES[name]} | {failed(d['measured']['register'])} "
              f"| {len(after['over_capacity'])} | {after['duplicates']} | {targets} "
              f"| {ideas_table.rss_pss(d['rss'], d['pss'])} |")

    print()
    print("| database | attendee CSV export | rows | size | seconds | peak RSS before → after, "
          "MiB | Python peak (tracemalloc), MiB | seed |")
    print("|---|---|---:|---:|---:|---|---:|---|")
    for name, d in per_database.items():
        e, t = d["export"], d["traced"]
        print(f"| {DATABASES[name]} | every session, personal columns | {e['rows']:,} "
              f"| {e['bytes'] / 1048576:.1f} MiB | {e['seconds']} "
              f"| {e['peak_rss_before_mib']} → {e['peak_rss_after_mib']} "
              f"| {t['python_peak_mib']} | {d['seed']['seconds']} s |")
    ok = all(not d["after"]["over_capacity"] and not d["after"]["duplicates"]
             and not failed(d["measured"]["register"]) for d in per_database.values())
    print()
    print(f"- Capacity and one-registration rules held under load, no failed answers: "
          f"{ideas_table.mark(ok and bool(per_database))}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
