"""Seed the synthesis benchmark's moderation queue: one city with an ideas process whose
moderators face 5,000 pending items, 500 reported ones (3 reports each... below the hiding
threshold: 2) and 200 flagged ones — Contribution rows (the desk reads nothing else), Reports
and Flags written by executemany — and a moderator whose signed session cookie wrk sends.

  python bench/synthesis/seed.py --out DIR [--pending 5000]
writes DIR/seed.json (city slug, counts) and DIR/sessions.txt (the moderator's cookie).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from engage import create_app  # noqa: E402
from engage.accounts.models import User  # noqa: E402
from engage.cities.models import City, CityRole  # noqa: E402
from engage.extensions import db  # noqa: E402
from engage.moderation.models import Flag  # noqa: E402
from engage.processes.models import Contribution, Process, Report  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_ideas_seed",
                                               ROOT / "bench" / "ideas" / "seed.py")
ideas_seed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ideas_seed)

CITY_SLUG = "orasul-bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pending", type=int, default=5000)
    parser.add_argument("--reported", type=int, default=500)
    parser.add_argument("--flagged", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    app = create_app()
    rng = random.Random(7)
    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
        city = City(slug=CITY_SLUG, name_ro="Orașul bench", name_en="Bench city")
        moderator = User(email="moderator@bench.test", display_name="Moderator",
                         password_hash="-", email_verified_at=now)
        authors = [User(email=f"author{n}@bench.test", display_name=f"Autor {n}",
                        password_hash="-", email_verified_at=now) for n in range(300)]
        db.session.add_all([city, moderator, *authors])
        db.session.flush()
        db.session.add(CityRole(user_id=moderator.id, city_id=city.id, role="moderator"))
        process = Process(city_id=city.id, kind="ideas", slug="idei", title_ro="Idei",
                          themes=["mobility"], status="published", moderation_mode="pre",
                          opens_at=now - timedelta(days=60), closes_at=now + timedelta(days=60))
        db.session.add(process)
        db.session.flush()
        total = args.pending + args.reported + args.flagged
        rows = []
        for n in range(total):
            status = "pending" if n < args.pending else "published"
            rows.append({
                "id": n + 1, "kind": rng.choice(("idea", "comment", "comment")),
                "process_id": process.id, "city_id": city.id,
                "author_id": rng.choice(authors).id, "language": "ro",
                "text": ideas_seed.paragraph(rng, rng.randint(1, 4)), "status": status,
                "created_at": now - timedelta(minutes=total - n)})
        ideas_seed.insert_rows(Contribution.__table__, rows)
        reports, flags = [], []
        for n in range(args.pending, args.pending + args.reported):
            for reporter in rng.sample(authors, 2):
                reports.append({"contribution_id": n + 1, "process_id": process.id,
                                "city_id": city.id, "reporter_id": reporter.id,
                                "reason": rng.choice(("spam", "offensive", "off_topic")),
                                "note": "", "created_at": now})
        for n in range(args.pending + args.reported, total):
            flags.append({"contribution_id": n + 1, "city_id": city.id, "reason": "links",
                          "detail": "4", "created_at": now})
        ideas_seed.insert_rows(Report.__table__, reports)
        ideas_seed.insert_rows(Flag.__table__, flags)
        db.session.commit()
        # Statistics for the planner, as autovacuum would gather them on a live database:
        # without them PostgreSQL plans the queue's EXISTS counts as if the tables were empty.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        moderator_id = moderator.id
    ideas_seed.write_sessions(app, moderator_id, args.out)
    # write_sessions signs users 1..count: keep the moderator's line only.
    lines = (args.out / "sessions.txt").read_text().splitlines()
    (args.out / "sessions.txt").write_text(lines[moderator_id - 1] + "\n")
    facts = {"city_slug": CITY_SLUG, "pending": args.pending, "reported": args.reported,
             "flagged": args.flagged, "seconds": round(time.perf_counter() - started, 1)}
    (args.out / "seed.json").write_text(json.dumps(facts))
    print(f"seeded {args.pending} pending, {args.reported} reported and {args.flagged} "
          f"flagged items in {facts['seconds']} s")


if __name__ == "__main__":
    main()
