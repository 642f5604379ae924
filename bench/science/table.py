"""The citizen-science benchmark's tables and target checks, from the work folder run.sh
filled.

Usage: table.py WORK   (WORK/hello.wrk, hello.rss/.pss, WORK/<database>/{city,street,
writes}.wrk, workers.rss/.pss, probe.json, seed.json, writer.json)

wrk's reports are read by the ideas benchmark's table.py (`figures`: req/s, the script's
p50/p95/p99, the answers by status, socket errors), imported as it is.
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
figures, answers, memory_mb, rss_pss, mark = (ideas_table.figures, ideas_table.answers,
                                              ideas_table.memory_mb, ideas_table.rss_pss,
                                              ideas_table.mark)

DATABASES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
TARGETS = (
    ("city", "map.geojson, city zoom (12)"),
    ("street", "map.geojson, street zoom (17)"),
    ("writes", "map.geojson, city zoom + 1 new observation/s"),
)
# The targets.
P95_MAX_MS = 100.0
GZIP_MAX = 200 * 1024
# A map page: 60 KB and 20 KB more for Leaflet, as tests/test_page_weight.py budgets the ideas
# map.
FIRST_LOAD_MAX = 80 * 1024


def main(work: Path) -> None:
    hello, rows, per_database = ideas_table.read_runs(
        work, DATABASES, TARGETS, "writer.json",
        {"probe": "probe.json", "seed": "seed.json", "writer": "writer.json"})
    ideas_table.print_load_table(rows, hello)

    print()
    print("In-process, `mapdata.features` for 20 random 1280 × 800 px boxes per zoom "
          "(cold: the worker's cache emptied before each box):")
    print()
    names = list(per_database)
    print("| zoom | mode | " + " | ".join(
        f"{DATABASES[n]} cold ms median / max | {DATABASES[n]} warm ms" for n in names)
        + " | statements | features (max) | gzip bytes median / max |")
    print("|---:|---|" + "---:|---:|" * len(names) + "---:|---:|---:|")
    if names:
        first = per_database[names[0]]["probe"]["sweep"]
        for i, row in enumerate(first):
            cells = []
            for n in names:
                r = per_database[n]["probe"]["sweep"][i]
                cells.append(f"{r['cold_ms_median']:.1f} / {r['cold_ms_max']:.1f} "
                             f"| {r['warm_ms_median']:.2f}")
            print(f"| {row['zoom']} | {', '.join(row['modes'])} | " + " | ".join(cells)
                  + f" | {row['statements_max']} | {row['features_max']} "
                  f"| {row['gzip_median']:,} / {row['gzip_max']:,} |")

    print()
    print("| database | densest street box (17) | map page first load (gzip) | page statements "
          "| CSV of the data set | GeoJSON of the data set | worker RSS (PSS) MiB | seed "
          "| writer |")
    print("|---|---|---|---:|---|---|---|---|---|")
    print(f"| hello-world | — | — | — | — | — "
          f"| {rss_pss(memory_mb(work / 'hello.rss'), memory_mb(work / 'hello.pss'))} | — | — |")
    for name, d in per_database.items():
        probe, seed, writer = d["probe"], d["seed"], d["writer"]
        dense, client = probe["densest_street"], probe["client"]
        weight = client["first_load"]
        print(f"| {DATABASES[name]} | {dense['features']} points, {dense['gzip']:,} B gzip "
              f"({dense['bytes']:,} raw), {dense['cold_ms']} ms cold "
              f"| {weight['total_gzip']:,} B (HTML {weight['html_gzip']:,}, Leaflet "
              f"{weight['leaflet_gzip']:,}) | {client['map page statements (caches cold)']} "
              f"| {client['observations.csv']['bytes']:,} B in "
              f"{client['observations.csv']['ms']} ms "
              f"| {client['observations.geojson']['bytes']:,} B in "
              f"{client['observations.geojson']['ms']} ms "
              f"| {rss_pss(d['rss'], d['pss'])} "
              f"| {seed['observations']:,} observations, {seed['values']:,} values in "
              f"{seed['seconds']} s | {writer['written']} written in {writer['seconds']} s |")

    print()
    print("| check | " + " | ".join(DATABASES[name] for name in per_database) + " |")
    print("|---|" + "---|" * len(per_database))
    checks = [
        (f"{title}: p95 under {P95_MAX_MS:.0f} ms",
         lambda d, t=target: d["measured"][t]["p95"] < P95_MAX_MS)
        for target, title in TARGETS
    ] + [
        ("every answer 200, no socket errors (all targets)",
         lambda d: all(ideas_table.ok_answers(d["measured"][t]) for t, _ in TARGETS)),
        ("in-process cold answer under 100 ms at every zoom 3–19 (median of 20 boxes)",
         lambda d: all(r["cold_ms_median"] < P95_MAX_MS for r in d["probe"]["sweep"])),
        (f"every answer under {GZIP_MAX // 1024} KB gzip (zooms 3–19, densest street box)",
         lambda d: max(r["gzip_max"] for r in d["probe"]["sweep"]) < GZIP_MAX
         and d["probe"]["densest_street"]["gzip"] < GZIP_MAX),
        (f"map page first load under {FIRST_LOAD_MAX // 1024} KB gzip (60 + 20 for Leaflet), "
         "no other host",
         lambda d: d["probe"]["client"]["first_load"]["total_gzip"] < FIRST_LOAD_MAX
         and all(a["gzip"] is not None for a in d["probe"]["client"]["first_load"]["assets"])),
    ]
    for title, check in checks:
        print(f"| {title} | " + " | ".join(mark(check(d)) for d in per_database.values()) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
