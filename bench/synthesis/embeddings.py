"""The themes' two methods side by side (issue 7, the optional `engage[embeddings]` extra), each
step in a fresh process, timed, with the process's peak RSS (imports and model included):

  embed      embed the benchmark's 10,000 texts (themes_load.generate, the same texts compute.py
             themes finds themes in) with engage.synthesis.embeddings, in batches of 64 as the
             job does: texts per second and peak memory; the vectors go to OUT/vectors.npy
  emb-themes themes from those 10,000 precomputed vectors (find_themes_from_embeddings): seconds,
             peak memory, k, adjusted Rand index against the texts' topics
  tfidf      themes of the same 10,000 texts by TF-IDF + NMF (find_themes), the same figures
  corpus     agreement of each method with the gold topics of the bilingual corpus
             tests/synthesis/bilingual_corpus.json (120 ideas, 4 topics, ro and en written
             separately): ARI, NMI, share of same-topic ro–en pairs in one theme, mixed themes
  table WORK the Markdown table of the JSON lines the steps above left in WORK

  python bench/synthesis/embeddings.py embed --out DIR [--size N]
  python bench/synthesis/embeddings.py emb-themes --vectors DIR/vectors.npy [--tile N]
  python bench/synthesis/embeddings.py tfidf [--size N]
  python bench/synthesis/embeddings.py corpus
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BILINGUAL = ROOT / "tests" / "synthesis" / "bilingual_corpus.json"


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def generate(n: int) -> list[dict]:
    spec = importlib.util.spec_from_file_location("bench_themes_load",
                                                  Path(__file__).with_name("themes_load.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(n)


def ari_of(result, items) -> float:  # noqa: ANN001
    from sklearn.metrics import adjusted_rand_score

    found = [(result.memberships[i["id"]] or [(-1, 0)])[0][0] for i in items]
    return round(adjusted_rand_score([i["topic"] for i in items], found), 3)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def embed(n: int, out: Path) -> dict:
    """Embeds in batches of 64 (as the job), saving OUT/vectors.npy every 1,280 texts (the first
    n texts of generate(N) are generate(n), so a part is usable)."""
    import numpy as np

    from engage.synthesis import embeddings

    texts = [item["text"] for item in generate(n)]
    started = time.perf_counter()
    embeddings.model()
    loaded = time.perf_counter() - started
    started, cpu = time.perf_counter(), cpu_seconds()
    parts = []
    for i in range(0, len(texts), embeddings.BATCH):
        parts.append(embeddings.embed_texts(texts[i:i + embeddings.BATCH]))
        if len(parts) % 20 == 0:
            np.save(out / "vectors.npy", np.vstack(parts))
            done = len(parts) * embeddings.BATCH
            print(f"{done} texts, {done / (time.perf_counter() - started):.1f}/s, load "
                  f"{load()}", file=sys.stderr, flush=True)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    vectors = np.vstack(parts)
    np.save(out / "vectors.npy", vectors)
    return {"what": "embed", "size": n, "model": embeddings.MODEL,
            "model_load_seconds": round(loaded, 2), "seconds": round(seconds, 1),
            "texts_per_second": round(n / seconds, 1), "cpu_seconds": round(cpu, 1),
            "texts_per_cpu_second": round(n / cpu, 1), "peak_rss_mib": peak_rss_mib(),
            "stored_bytes_per_text": int(vectors.shape[1] * 4), "load_average": load()}


def embedding_themes(path: Path, size: int | None = None) -> dict:
    """Themes from the stored vectors; with ``size`` above their number, the embedded texts
    and their vectors are repeated up to ``size`` (vectors with a little noise, σ 0.01 per
    dimension, seeded) — for a clustering time at that scale when embedding it all would take
    too long; the output says so ("tiled_from")."""
    import numpy as np

    from engage.synthesis.themes import find_themes_from_embeddings

    vectors = np.load(path)
    embedded = vectors.shape[0]
    items = generate(embedded)
    if size and size > embedded:
        rng = np.random.default_rng(7)
        rows = np.arange(size) % embedded
        vectors = vectors[rows] + rng.normal(scale=0.01, size=(size, vectors.shape[1]))
        vectors = vectors.astype(np.float32)
        items = [dict(items[r], id=n) for n, r in enumerate(rows.tolist())]
    started, cpu = time.perf_counter(), cpu_seconds()
    result = find_themes_from_embeddings(items, vectors)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {"what": "themes-embeddings", "size": len(items), "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "peak_rss_mib": peak_rss_mib(), "themes": result.k, "ari": ari_of(result, items),
            "tiled_from": embedded if len(items) > embedded else None, "load_average": load()}


def tfidf_themes(n: int) -> dict:
    from engage.synthesis.themes import find_themes

    items = generate(n)
    started, cpu = time.perf_counter(), cpu_seconds()
    result = find_themes(items)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {"what": "themes-tfidf", "size": n, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "peak_rss_mib": peak_rss_mib(), "themes": result.k,
            "unassigned": len(result.unassigned), "ari": ari_of(result, items),
            "load_average": load()}


def corpus() -> list[dict]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from engage.synthesis import embeddings
    from engage.synthesis import themes as T

    items = json.loads(BILINGUAL.read_text(encoding="utf-8"))["items"]
    gold = [i["topic"] for i in items]

    def scores(name: str, result) -> dict:  # noqa: ANN001
        primary = {i["id"]: (result.memberships[i["id"]] or [(-1, 0)])[0][0] for i in items}
        found = [primary[i["id"]] for i in items]
        pairs = [(a["id"], b["id"]) for a in items for b in items
                 if a["lang"] == "ro" and b["lang"] == "en" and a["topic"] == b["topic"]]
        together = sum(1 for a, b in pairs if primary[a] == primary[b] != -1)
        lang = {i["id"]: i["lang"] for i in items}
        mixed = 0
        for theme in result.themes:
            c = Counter(lang[x] for x in theme.item_ids)
            mixed += min(c["ro"], c["en"]) >= 0.25 * len(theme.item_ids)
        return {"what": "corpus", "method": name, "themes": result.k,
                "ari": round(adjusted_rand_score(gold, found), 3),
                "nmi": round(normalized_mutual_info_score(gold, found), 3),
                "ro_en_pairs_together": round(together / len(pairs), 3),
                "mixed_themes": mixed, "unassigned": len(result.unassigned)}

    rows = [scores("TF-IDF + NMF (glossary, the default)", T.find_themes(items)),
            scores("TF-IDF + NMF, k = 4 given", T.find_themes(items, k=4)),
            scores("TF-IDF + NMF without the glossary", T.find_themes(items, bilingual=False))]
    texts = [i["text"] for i in items]
    query = embeddings.embed_texts(texts)
    rows.append(scores("embeddings (\"query: \") + KMeans, the default",
                       T.find_themes_from_embeddings(items, query)))
    passage = embeddings.model().passage(texts)
    rows.append(scores("embeddings (\"passage: \") + KMeans",
                       T.find_themes_from_embeddings(items, passage)))
    rows.append(scores("embeddings (\"query: \"), no language-mean subtraction",
                       T.find_themes_from_embeddings(items, query,
                                                     subtract_language_mean=False)))
    return rows


def table(work: Path) -> None:
    def lines(name: str) -> list[dict]:
        path = work / name
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()
                if line.startswith("{")]

    embedded = lines("embed.json")
    if embedded:
        e = embedded[-1]
        print("| embedding | texts | seconds | texts/s | CPU s | texts per CPU s "
              "| model load, s | peak RSS, MiB | load average |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {e['model']} | {e['size']:,} | {e['seconds']} | {e['texts_per_second']} "
              f"| {e['cpu_seconds']} | {e['texts_per_cpu_second']} "
              f"| {e['model_load_seconds']} | {e['peak_rss_mib']} | {e['load_average']} |")
        print()
    rows = lines("themes_embeddings.json") + lines("themes_tfidf.json")
    if rows:
        print("| themes of the texts | texts | seconds | CPU s | peak RSS, MiB | themes "
              "| ARI vs topics | load average |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            name = ("from stored embeddings (KMeans)" if r["what"] == "themes-embeddings"
                    else "TF-IDF + NMF")
            if r.get("tiled_from"):
                name += f" ({r['tiled_from']:,} embedded texts repeated)"
            print(f"| {name} | {r['size']:,} | {r['seconds']} | {r['cpu_seconds']} "
                  f"| {r['peak_rss_mib']} | {r['themes']} | {r['ari']} | {r['load_average']} |")
        print()
    scores = lines("corpus_scores.json")
    if scores:
        print("| bilingual corpus (120, 4 topics) | themes | ARI | NMI | ro–en pairs together "
              "| mixed themes |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in scores:
            print(f"| {r['method']} | {r['themes']} | {r['ari']} | {r['nmi']} "
                  f"| {r['ro_en_pairs_together']} | {r['mixed_themes']} of {r['themes']} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("embed", "emb-themes", "tfidf", "corpus", "table"))
    parser.add_argument("work", nargs="?", type=Path)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--vectors", type=Path)
    parser.add_argument("--tile", type=int, default=0, help="repeat the vectors up to N")
    args = parser.parse_args()
    if args.what == "embed":
        print(json.dumps(embed(args.size, args.out)))
    elif args.what == "emb-themes":
        print(json.dumps(embedding_themes(args.vectors, args.tile)))
    elif args.what == "tfidf":
        print(json.dumps(tfidf_themes(args.size)))
    elif args.what == "corpus":
        for row in corpus():
            print(json.dumps(row, ensure_ascii=False))
    else:
        table(args.work)


if __name__ == "__main__":
    main()
