"""The synthesis benchmark's tables, from the work folder run.sh filled (WORK/hello.wrk,
hello.rss/.pss, WORK/<database>/queue.wrk, workers.rss/.pss, seed.json, WORK/opinions.json,
WORK/themes.json). wrk's reports are read by the ideas benchmark's table.py."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_ideas_table",
                                               HERE.parent / "ideas" / "table.py")
ideas_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ideas_table)

DATABASES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
TARGETS = (("queue", "moderation queue page (5,700 items waiting)"),)


def main(work: Path) -> None:
    hello, rows, per_database = ideas_table.read_runs(
        work, DATABASES, TARGETS, "workers.rss", {"seed": "seed.json"})
    ideas_table.print_load_table(rows, hello)
    print()
    print("| database | worker RSS (PSS) after the load, MiB |")
    print("|---|---|")
    hello_memory = ideas_table.rss_pss(ideas_table.memory_mb(work / "hello.rss"),
                                       ideas_table.memory_mb(work / "hello.pss"))
    print(f"| hello-world | {hello_memory} |")
    for key, run in per_database.items():
        print(f"| {DATABASES[key]} | {ideas_table.rss_pss(run['rss'], run['pss'])} |")
    print()
    print("| computation | size | seconds | peak RSS, MiB | under 10 s and 500 MB |")
    print("|---|---|---:|---:|---|")
    for name in ("opinions", "themes"):
        path = work / f"{name}.json"
        if path.exists():
            figures = json.loads(path.read_text().strip().splitlines()[-1])
            ok = figures["seconds"] < 10 and figures["peak_rss_mib"] * 1.048576 < 500
            print(f"| {name} | {figures['size']} | {figures['seconds']} | "
                  f"{figures['peak_rss_mib']} | {ideas_table.mark(ok)} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
