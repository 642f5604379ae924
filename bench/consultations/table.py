"""The consultations benchmark's tables and target check, from the work folder run.sh filled.

Usage: table.py WORK   (WORK/hello.wrk, hello.rss/.pss, WORK/<database>/{anonymous,signed-in,
writes}.wrk, workers.rss/.pss, probe.json, seed.json, writer.json, check.json)

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
    ("anonymous", "results, anonymous (page cache)"),
    ("signed-in", "results, signed in (results cache)"),
    ("writes", "results, signed in + 1 new response/s"),
)
P95_MAX_MS = 100.0  # the target


def main(work: Path) -> None:
    hello, rows, per_database = ideas_table.read_runs(
        work, DATABASES, TARGETS, "check.json",
        {"probe": "probe.json", "seed": "seed.json", "writer": "writer.json",
         "check": "check.json"})
    ideas_table.print_load_table(rows, hello)

    print()
    print("| database | compute results from scratch (median) | + free-text previews "
          "| cached | page signed in: results cache cold / warm | anonymous: both caches cold "
          "/ page-cache refill / page-cache hit |")
    print("|---|---:|---:|---:|---|---|")
    for name, d in per_database.items():
        compute, pages = d["probe"]["compute"], d["probe"]["pages"]
        cold = compute["compute (cold)"]
        print(f"| {DATABASES[name]} | {cold['ms']:.0f} ms ({cold['min_ms']:.0f}–"
              f"{cold['max_ms']:.0f}, {cold['runs']} runs), {cold['queries']} statements "
              f"| {ms_q(compute['text previews (cold)'])} "
              f"| {ms_q(compute['compute (cached)'])} "
              f"| {ms_q(pages['signed in, results cache cold'])} / "
              f"{ms_q(pages['signed in, results cache warm'])} "
              f"| {ms_q(pages['anonymous, both caches cold'])} / "
              f"{ms_q(pages['anonymous, page cache refill (results cache warm)'])} / "
              f"{ms_q(pages['anonymous, page cache hit'])} |")

    print()
    print("| database | worker RSS (PSS) after the load, MiB | page size | seed | new responses "
          "during the load (submit median) | page after the writes (signed in / anonymous) |")
    print("|---|---|---:|---|---|---|")
    print(f"| hello-world | {rss_pss(memory_mb(work / 'hello.rss'), memory_mb(work / 'hello.pss'))}"
          f" | — | — | — | — |")
    for name, d in per_database.items():
        seed, writer, check = d["seed"], d["writer"], d["check"]
        size = d["probe"]["pages"]["signed in, results cache warm"]["bytes"]
        print(f"| {DATABASES[name]} | {rss_pss(d['rss'], d['pss'])} | {size:,} bytes "
              f"| {seed['seconds']} s ({seed['answer_rows']:,} answer rows) "
              f"| {writer['submitted']} in {writer['seconds']} s ({writer['submit_ms_median']} ms)"
              f" | {'/'.join(map(str, check['signed_in_shown']))} of "
              f"{check['submitted_in_database']} / {check['anonymous_shown']} |")

    print()
    for name, d in per_database.items():
        compute = d["probe"]["compute"]
        print(f"- {DATABASES[name]}: without paper responses (`?offline=0`) "
              f"{compute['compute online only (cold)']['ms']:.0f} ms; totals (every request) "
              f"{ms_q(compute['totals (every request)'])}; questionnaire (every request) "
              f"{ms_q(compute['questionnaire (every request)'])}; "
              f"problems: {'; '.join(d['probe']['problems']) or 'none'}")

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
        ("results as seeded (responses, paper, drafts left out, every question's base)",
         lambda d: not d["probe"]["problems"]),
        ("the signed-in cookies sign in (in-process and through gunicorn)",
         lambda d: d["check"]["cookie_signs_in"]
         and d["probe"]["pages"]["signed in, results cache warm"]["signed_in"]),
        ("anonymous visitors served by the page cache (no statement)",
         lambda d: d["probe"]["page_cache_serves_anonymous"]),
        ("after the writes, every signed-in answer shows every submitted response",
         lambda d: d["check"]["signed_in_all_current"]),
    ]
    for title, check in checks:
        print(f"| {title} | " + " | ".join(mark(check(d)) for d in per_database.values()) + " |")


def ms_q(entry: dict) -> str:
    return f"{entry['ms']:.1f} ms, {entry['queries']} st."


if __name__ == "__main__":
    main(Path(sys.argv[1]))
