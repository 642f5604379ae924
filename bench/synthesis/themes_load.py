"""Themes of 10,000 texts for the synthesis benchmark: the bilingual test corpus
(tests/synthesis/corpus.json, six topics in Romanian and English) sampled and varied — two
texts of one topic and language spliced, words dropped, diacritics sometimes folded — then
`engage.synthesis.themes.find_themes`, timed, with the process's peak memory and the agreement
with the texts' topics (adjusted Rand index). The spliced texts repeat each other more than
real input does, so the time is on the optimistic side."""

from __future__ import annotations

import json
import random
import resource
import time
from collections import defaultdict
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "synthesis" / "corpus.json"


def generate(n: int, seed: int = 7) -> list[dict]:
    from engage.synthesis.themes import fold

    rng = random.Random(seed)
    pools: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    for item in json.loads(CORPUS.read_text(encoding="utf-8"))["items"]:
        pools[(item["topic"], item["lang"])].append(item["text"].split())
    keys = sorted(pools)
    out = []
    for i in range(n):
        key = rng.choice(keys)
        a, b = rng.choice(pools[key]), rng.choice(pools[key])
        words = a[: rng.randint(1, len(a))] + b[rng.randint(0, len(b) - 1):]
        text = " ".join(w for w in words if rng.random() > 0.1) or a[0]
        if rng.random() < 0.3:
            text = fold(text)
        out.append({"id": i, "text": text, "language": key[1],
                    "author_id": rng.randint(1, 3000), "supports": rng.randint(0, 20),
                    "topic": key[0]})
    return out


def themes(n: int) -> dict:
    from engage.synthesis.themes import find_themes

    items = generate(n)
    started = time.perf_counter()
    result = find_themes(items)
    seconds = time.perf_counter() - started
    from sklearn.metrics import adjusted_rand_score

    assigned = {item_id: memberships[0][0]
                for item_id, memberships in result.memberships.items() if memberships}
    truth = [item["topic"] for item in items if item["id"] in assigned]
    found = [assigned[item["id"]] for item in items if item["id"] in assigned]
    return {"what": "themes", "size": f"{n} texts", "seconds": round(seconds, 2),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "themes": result.k, "unassigned": len(result.unassigned),
            "ari": round(adjusted_rand_score(truth, found), 3) if truth else None}
