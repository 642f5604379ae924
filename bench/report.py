"""Turn wrk reports into one Markdown table, each figure also as a ratio to the first (the
hello-world baseline). Usage: report.py NAME=FILE [NAME=FILE ...]"""

from __future__ import annotations

import re
import sys
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse(report: str) -> dict[str, float]:
    figures = {
        "rps": float(re.search(r"^Requests/sec:\s+([\d.]+)", report, re.M).group(1)),
        "avg": milliseconds(re.search(r"^\s+Latency\s+(\S+)", report, re.M).group(1)),
        "p50": milliseconds(re.search(r"^\s+50%\s+(\S+)", report, re.M).group(1)),
        "p99": milliseconds(re.search(r"^\s+99%\s+(\S+)", report, re.M).group(1)),
    }
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", report)
    errors = re.search(r"Socket errors:.*", report)
    figures["non_2xx"] = float(bad.group(1)) if bad else 0.0
    figures["socket_errors"] = 1.0 if errors else 0.0
    return figures


def main(arguments: list[str]) -> None:
    rows = []
    for argument in arguments:
        name, _, path = argument.partition("=")
        rows.append((name, parse(Path(path).read_text())))
    base = rows[0][1]
    print()
    print("| target | req/s | avg ms | p50 ms | p99 ms | non-2xx | req/s ÷ hello | "
          "avg latency ÷ hello |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, f in rows:
        print(f"| {name} | {f['rps']:.0f} | {f['avg']:.2f} | {f['p50']:.2f} | {f['p99']:.2f} "
              f"| {f['non_2xx']:.0f} | {f['rps'] / base['rps']:.3f} "
              f"| {f['avg'] / base['avg']:.1f} |")
    if any(f["socket_errors"] for _, f in rows):
        print("\nwrk reported socket errors: see its raw output.")


if __name__ == "__main__":
    main(sys.argv[1:])
