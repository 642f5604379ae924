"""The ideas benchmark's tables and target checks, from the work folder run.sh filled.

Usage: table.py WORK   (WORK/hello.wrk, WORK/hello.rss, WORK/<database>/<target>.wrk,
workers.rss, workers.pss, probe.json, seed.json, check-before.json, check-after.json)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from report import parse  # noqa: E402  (bench/report.py: wrk's own figures)

DATABASES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
TARGETS = (
    ("list", "list ?sort=support"),
    ("idea", "idea page, most discussed"),
    ("idea-typical", "idea page, typical"),
    ("toggle", "support toggle"),
)
PAGES = ("list", "idea", "idea-typical")  # the pages the p95 and throughput targets apply to
# The targets.
P95_MAX_MS = 50.0
HELLO_SHARE_MIN = 0.25
RSS_MAX_MB = 80.0
FIRST_LOAD_MAX = 60 * 1024


def figures(path: Path) -> dict:
    report = path.read_text()
    result = parse(report)
    line = re.search(r"^BENCH (.*)$", report, re.M)
    extra = dict(item.split("=") for item in line.group(1).split()) if line else {}
    # The script's percentiles have more digits than wrk's own text ("1.13s").
    for name in ("p50", "p95", "p99"):
        result[name] = float(extra.get(name, result.get(name, "nan")))
    result["statuses"] = {int(key[7:]): int(value) for key, value in extra.items()
                          if key.startswith("status_")}
    result["requests"] = int(extra.get("requests", 0))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       report)
    result["socket"] = dict(zip(("connect", "read", "write", "timeout"),
                                map(int, errors.groups()), strict=True)) if errors else {}
    return result


def answers(f: dict) -> str:
    parts = [f"{n} × {status}" for status, n in sorted(f["statuses"].items())]
    parts += [f"{n} {kind} errors" for kind, n in f["socket"].items() if n]
    return ", ".join(parts) or "none"


def memory_mb(path: Path) -> list[float]:
    return [int(kb) / 1024 for kb in path.read_text().split()] if path.exists() else []


def rss_pss(rss: list[float], pss: list[float]) -> str:
    if len(pss) != len(rss):
        return " / ".join(f"{mb:.1f}" for mb in rss)
    return " / ".join(f"{r:.1f} ({p:.1f})" for r, p in zip(rss, pss, strict=True))


def mark(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def ok_answers(f: dict) -> bool:
    """Every answer 200 and no socket error."""
    return set(f["statuses"]) == {200} and not any(f["socket"].values())


def read_runs(work: Path, databases: dict[str, str], targets: tuple, done: str,
              files: dict[str, str]) -> tuple[dict, list, dict]:
    """hello-world's figures, the table rows (hello-world first) and, per database whose run
    finished (`done` exists in its folder), its wrk figures per target, its workers' memory and
    the JSON `files` (name → file) the run wrote."""
    hello = figures(work / "hello.wrk")
    rows = [("—", "hello-world /", hello)]
    per_database = {}
    for name, label in databases.items():
        folder = work / name
        if not (folder / done).exists():
            continue
        measured = {target: figures(folder / f"{target}.wrk") for target, _ in targets}
        per_database[name] = {
            "measured": measured,
            "rss": memory_mb(folder / "workers.rss"),
            "pss": memory_mb(folder / "workers.pss"),
            **{key: json.loads((folder / file).read_text()) for key, file in files.items()},
        }
        rows += [(label, title, measured[target]) for target, title in targets]
    return hello, rows, per_database


def print_load_table(rows: list, hello: dict) -> None:
    print()
    print("| database | target | req/s | p50 ms | p95 ms | p99 ms | answers | req/s ÷ hello |")
    print("|---|---|---:|---:|---:|---:|---|---:|")
    for database, title, f in rows:
        print(f"| {database} | {title} | {f['rps']:.0f} | {f['p50']:.1f} | {f['p95']:.1f} "
              f"| {f['p99']:.1f} | {answers(f)} | {f['rps'] / hello['rps']:.3f} |")


def main(work: Path) -> None:
    hello_rss = memory_mb(work / "hello.rss")
    hello_pss = memory_mb(work / "hello.pss")
    hello, rows, per_database = read_runs(
        work, DATABASES, TARGETS, "toggle.wrk",
        {"probe": "probe.json", "seed": "seed.json", "before": "check-before.json",
         "after": "check-after.json"})
    print_load_table(rows, hello)

    print()
    print("| database | worker RSS (PSS) after the load, MiB | SQL statements: list / list "
          "logged in / idea / idea logged in / typical idea / toggle | seed |")
    print("|---|---|---|---|")
    print(f"| hello-world | {rss_pss(hello_rss, hello_pss)} | — | — |")
    for name, d in per_database.items():
        pages = d["probe"]["pages"]
        queries = " / ".join(str(pages[key]["queries"]) if key in pages else "?" for key in
                             ("list", "list (logged in)", "idea", "idea (logged in)",
                              "typical idea", "toggle"))
        print(f"| {DATABASES[name]} | {rss_pss(d['rss'], d['pss'])} | {queries} "
              f"| {d['seed']['seconds']} s |")

    print()
    weight = None
    for d in per_database.values():
        weight = d["probe"]["weight"] or weight
    if weight:
        parts = [f"HTML {weight['html_gzip']:,}"] + [
            f"{Path(asset['url'].split('?')[0]).name} {asset['gzip']:,}"
            for asset in weight["assets"]
        ]
        print(f"- First load of the list page (HTML + CSS + JS, gzip -6): "
              f"{weight['total_gzip']:,} bytes ({'; '.join(parts)})")
        weights = next(iter(per_database.values()))["probe"].get("weights", {})
        for name, title in (("idea", "most discussed idea"), ("typical idea", "typical idea")):
            if name in weights:
                print(f"- First load of the {title}'s page: {weights[name]['total_gzip']:,} bytes "
                      f"(HTML {weights[name]['html_raw']:,} bytes, "
                      f"{weights[name]['html_gzip']:,} compressed)")
    for name, d in per_database.items():
        top = d["seed"]
        before, after = d["before"], d["after"]
        print(f"- {DATABASES[name]}: most discussed idea {top['top_idea_id']} "
              f"({top['top_idea_supports']} supports, {top['top_idea_comments']} comments), "
              f"typical idea {top.get('typical_idea_id')} "
              f"({top.get('typical_idea_supports')} supports, "
              f"{top.get('typical_idea_comments')} comments); "
              f"toggling: support rows {before['support_rows']:,} -> {after['support_rows']:,}, "
              f"{after.get('rows_created_since', 0):,} added during the load still stand, "
              f"ideas whose support_count differs from their rows: "
              f"{after['ideas_with_wrong_count']}")

    print()
    print("| target | " + " | ".join(DATABASES[name] for name in per_database) + " |")
    print("|---|" + "---|" * len(per_database))
    checks = []
    for target, title in TARGETS:
        if target not in PAGES:
            continue
        checks += [
            (f"{title}: p95 under {P95_MAX_MS:.0f} ms",
             lambda d, t=target: d["measured"][t]["p95"] < P95_MAX_MS),
            (f"{title}: at least {HELLO_SHARE_MIN} × hello-world's req/s",
             lambda d, t=target: d["measured"][t]["rps"] >= HELLO_SHARE_MIN * hello["rps"]),
        ]
    checks += [
        (f"worker RSS under {RSS_MAX_MB:.0f} MiB",
         lambda d: bool(d["rss"]) and max(d["rss"]) < RSS_MAX_MB),
        (f"first load under {FIRST_LOAD_MAX // 1024} KiB compressed",
         lambda d: bool(d["probe"]["weight"])
         and d["probe"]["weight"]["total_gzip"] < FIRST_LOAD_MAX),
        ("every answer 200, no socket errors (all targets)",
         lambda d: all(set(d["measured"][t]["statuses"]) == {200}
                       and not any(d["measured"][t]["socket"].values()) for t, _ in TARGETS)),
        ("support counters exact after the toggling",
         lambda d: d["after"]["ideas_with_wrong_count"] == 0
         and d["after"]["support_rows"] == d["after"]["support_count_sum"]),
    ]
    for title, check in checks:
        print(f"| {title} | " + " | ".join(mark(check(d)) for d in per_database.values()) + " |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
