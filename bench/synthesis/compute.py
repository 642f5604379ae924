"""The synthesis computations at the scale of the issue, each in a fresh process, timed, with the
process's peak memory (imports included):

  opinions  opinion groups for 2,000 participants × 500 ideas (four planted camps, 30 % of the
            votes seen, 10 % noise): engage.synthesis.opinions.compute_opinion_groups
  themes    themes of 10,000 texts (the bilingual test corpus sampled and varied):
            engage.synthesis.themes

  python bench/synthesis/compute.py opinions|themes [--size N]
prints one JSON line: what, size, seconds, peak RSS (MiB), and the result's shape.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def opinions(participants: int, ideas: int) -> dict:
    from engage.synthesis.opinions import compute_opinion_groups

    rng = random.Random(2026)
    camps = [rng.randrange(4) for _ in range(participants)]
    leaning = [[rng.choice((1, -1)) for _ in range(ideas)] for _ in range(4)]
    rows = []
    for person in range(participants):
        row = []
        for idea in range(ideas):
            if rng.random() >= 0.3:
                row.append(None)
                continue
            vote = leaning[camps[person]][idea]
            row.append(rng.choice((1, -1, 0)) if rng.random() < 0.1 else vote)
        rows.append(row)
    types = {n: rng.choice(("citizen", "business", "research")) for n in range(participants)}
    started = time.perf_counter()
    result = compute_opinion_groups(list(range(participants)), list(range(ideas)), rows,
                                    stakeholder_types=types)
    seconds = time.perf_counter() - started
    return {"what": "opinions", "size": f"{participants} x {ideas}",
            "seconds": round(seconds, 2), "peak_rss_mib": round(peak_rss_mib(), 1),
            "groups": result.k, "counted": len(result.participant_ids)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("opinions", "themes"))
    parser.add_argument("--size", type=int, default=0)
    args = parser.parse_args()
    if args.what == "opinions":
        print(json.dumps(opinions(args.size or 2000, 500)))
    else:
        import importlib.util

        spec = importlib.util.spec_from_file_location("bench_themes_load",
                                                      Path(__file__).with_name("themes_load.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(json.dumps(module.themes(args.size or 10_000)))


if __name__ == "__main__":
    main()
