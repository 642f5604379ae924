"""The organisers' exports at scale (issue 8): CSV and XLSX of the ideas and votes tables of an
agree-mode ideas process, through the shared writers (`engage.exports.writers`) exactly as the
export page streams them, written to a file; and the workshop pack's documents (HTML and PDF) of
the same processes.

  python bench/exports/bench.py seed                 two processes: "small" (1,000 ideas,
                                                     20,000 votes) and "large" (10,000 ideas,
                                                     200,000 votes), bulk inserts, ANALYZE
  python bench/exports/bench.py export --process small|large --table votes|ideas
                                       --format csv|xlsx --out FILE
      one measurement in a process of its own: rows, bytes, seconds, and the process's peak
      RSS before and after the export (MiB, getrusage), printed as one JSON object
  python bench/exports/bench.py pack --process small|large --document pack|cards|poster
                                     --cards N --format html|pdf
      one workshop-pack document drawn as the pack page draws it (engage.exports.packs):
      pages, bytes, seconds, peak RSS before and after, printed as one JSON object
  python bench/exports/bench.py table RESULTS.jsonl   the Markdown table of the measurements

The database is ENGAGE_DATABASE_URL (bench/exports/run.sh makes one per run).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402

from engage import create_app  # noqa: E402
from engage.cities.models import City  # noqa: E402
from engage.core.db import utcnow  # noqa: E402
from engage.core.search import ensure_search_schema  # noqa: E402
from engage.exports import writers  # noqa: E402
from engage.exports.tables import Options  # noqa: E402
from engage.extensions import db  # noqa: E402
from engage.ideas import exports as idea_exports  # noqa: E402
from engage.ideas.models import IdeasSettings  # noqa: E402
from engage.processes.models import Process  # noqa: E402
from tests.exports.seed import seed_votes  # noqa: E402

SIZES = {"small": (1_000, 200, 100), "large": (10_000, 2_000, 100)}  # ideas, voters, votes each


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def seed() -> None:
    db.create_all()
    ensure_search_schema(db.engine)
    city = City(slug="bench", name_ro="Orașul bench", name_en="Bench city", county="Cluj")
    db.session.add(city)
    db.session.flush()
    now = utcnow()
    facts = {}
    for name, (ideas, voters, each) in SIZES.items():
        started = time.perf_counter()
        process = Process(city_id=city.id, kind="ideas", slug=f"bench-{name}",
                          title_ro="Idei", title_en="Ideas", description_ro="",
                          description_en="", themes=["nature"], opens_at=now, closes_at=None,
                          status="published")
        db.session.add(process)
        db.session.flush()
        db.session.add(IdeasSettings(process_id=process.id, voting_mode="agree"))
        seed_votes(process, ideas=ideas, voters=voters, votes_per_voter=each)
        db.session.commit()
        facts[name] = {"ideas": ideas, "votes": voters * each,
                       "seconds": round(time.perf_counter() - started, 1)}
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(json.dumps(facts))


def export(args: argparse.Namespace) -> None:
    process = db.session.scalar(select(Process).where(Process.slug == f"bench-{args.process}"))
    options = Options()
    table = (idea_exports.votes_table if args.table == "votes"
             else idea_exports.ideas_table)(process, options)
    counted = {"rows": 0}
    source = table.rows

    def rows():  # noqa: ANN202
        for row in source():
            counted["rows"] += 1
            yield row

    table.rows = rows
    before = peak_rss_mib()
    started = time.perf_counter()
    size = 0
    if args.format == "csv":
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            for chunk in writers.csv_chunks(table):
                handle.write(chunk)
                size += len(chunk.encode("utf-8"))
    else:
        with args.out.open("wb") as handle:
            for chunk in writers.xlsx_chunks([table]):
                handle.write(chunk)
                size += len(chunk)
    seconds = time.perf_counter() - started
    print(json.dumps({"database": db.engine.dialect.name, "process": args.process,
                      "table": args.table, "format": args.format, "rows": counted["rows"],
                      "bytes": size, "seconds": round(seconds, 2),
                      "peak_rss_before_mib": before, "peak_rss_after_mib": peak_rss_mib()}))


def pack(args: argparse.Namespace) -> None:
    from engage.exports import packs

    process = db.session.scalar(select(Process).where(Process.slug == f"bench-{args.process}"))
    options = packs.PackOptions(document=args.document, language="ro", cards=args.cards)
    before = peak_rss_mib()
    started = time.perf_counter()
    html = packs.render(process, options, for_pdf=args.format == "pdf")
    rendered = time.perf_counter() - started
    data = packs.write_pdf(html) if args.format == "pdf" else html.encode()
    seconds = time.perf_counter() - started
    pages = None
    if args.format == "pdf":
        import io

        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(data)).pages)
    print(json.dumps({"database": db.engine.dialect.name, "process": args.process,
                      "document": args.document, "cards": args.cards, "format": args.format,
                      "pages": pages, "bytes": len(data), "html_seconds": round(rendered, 2),
                      "seconds": round(seconds, 2), "peak_rss_before_mib": before,
                      "peak_rss_after_mib": peak_rss_mib()}))


def table(path: Path) -> None:
    print("| database | table | format | rows | seconds | peak RSS before → after (MiB) "
          "| file (MiB) |")
    print("|---|---|---|---:|---:|---|---:|")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    documents = [r for r in lines if "document" in r]
    for r in (r for r in lines if "document" not in r):
        print(f"| {r['database']} | {r['table']} | {r['format']} | {r['rows']:,} "
              f"| {r['seconds']} | {r['peak_rss_before_mib']} → {r['peak_rss_after_mib']} "
              f"| {r['bytes'] / 1048576:.1f} |")
    if documents:
        print()
        print("| database | document | cards | format | pages | seconds (HTML part) "
              "| peak RSS before → after (MiB) | file (KiB) |")
        print("|---|---|---:|---|---:|---|---|---:|")
        for r in documents:
            print(f"| {r['database']} | {r['document']} | {r['cards']} | {r['format']} "
                  f"| {r['pages'] or ''} | {r['seconds']} ({r['html_seconds']}) "
                  f"| {r['peak_rss_before_mib']} → {r['peak_rss_after_mib']} "
                  f"| {r['bytes'] / 1024:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("seed")
    measure = sub.add_parser("export")
    measure.add_argument("--process", choices=sorted(SIZES), required=True)
    measure.add_argument("--table", choices=("votes", "ideas"), required=True)
    measure.add_argument("--format", choices=("csv", "xlsx"), required=True)
    measure.add_argument("--out", type=Path, required=True)
    document = sub.add_parser("pack")
    document.add_argument("--process", choices=sorted(SIZES), required=True)
    document.add_argument("--document", choices=("pack", "cards", "poster"), required=True)
    document.add_argument("--cards", type=int, default=48)
    document.add_argument("--format", choices=("html", "pdf"), required=True)
    report = sub.add_parser("table")
    report.add_argument("results", type=Path)
    args = parser.parse_args()
    if args.command == "table":
        table(args.results)
        return
    app = create_app()
    with app.test_request_context("/", headers={"Cookie": "lang=ro"}):
        if args.command == "seed":
            seed()
        elif args.command == "pack":
            pack(args)
        else:
            export(args)


if __name__ == "__main__":
    main()
