"""Seed the living-lab benchmark database fast, and write the session cookies wrk sends.

One city with one published living lab of 200 sessions (by default) over the next two months:
196 of them share 20,000 registrations (guests, e-mail confirmed, registered in arrival order:
seated while the capacity lasts, then waitlisted; about 5 % cancelled, 2 % pending, some
answers to the optional questions), and `--targets` (4) sessions of capacity `--capacity` (40)
start empty: the registration load fills them, so under load their seats run out and their
waitlists grow. Rows are written with SQLAlchemy Core executemany (the ideas benchmark's
`insert_rows`), not one at a time through the services.

Then `--sessions` (2,000) verified users get signed Flask session cookies (flask-login +
Flask-WTF CSRF secret) for wrk, as the ideas benchmark makes them, and it writes:

  OUT/sessions.txt  one line per user: <session cookie value> <CSRF token>
  OUT/targets.txt   the empty sessions' register paths, one per line
  OUT/seed.json     slugs, counts, timings

Run it with the environment gunicorn will get (ENGAGE_DATABASE_URL, ENGAGE_SECRET_KEY, ...), on
an empty database: `python bench/livinglabs/seed.py --out DIR`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from engage import create_app
from engage.accounts.models import STAKEHOLDER_TYPES, User
from engage.accounts.services import hash_password
from engage.cities.models import City
from engage.core import search
from engage.extensions import db
from engage.livinglabs.models import CODE_LENGTH, LabSession, Registration
from engage.livinglabs.services import CODE_ALPHABET
from engage.processes.models import Process

CITY_SLUG = "orasul-bench"
PROCESS_SLUG = "laborator-viu-bench"


def _load(name: str, path: Path):  # noqa: ANN202
    """A file of another benchmark folder, imported under its own name (not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The ideas benchmark's seed: its shared helpers (Laps, insert_rows, write_sessions).
ideas_seed = _load("bench_ideas_seed", Path(__file__).resolve().parent.parent / "ideas" / "seed.py")
insert_rows = ideas_seed.insert_rows

GROUPS = tuple(STAKEHOLDER_TYPES)
FORMATS = ("onsite", "onsite", "hybrid", "online")
PHASES = ("co_create", "explore", "experiment", "evaluate")


def _code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def seed(args: argparse.Namespace) -> dict:
    rng = random.Random(20261130)
    now = datetime.now(UTC).replace(microsecond=0)
    lap = ideas_seed.Laps()
    engine = db.engine
    db.create_all()
    search.ensure_search_schema(engine)
    if db.session.scalar(select(func.count()).select_from(LabSession)):
        sys.exit("seed.py needs an empty database: sessions already exist")
    lap("schema")

    password_hash = hash_password("bench-password-not-secret")
    users = [{
        "id": n, "email": f"user{n}@bench.test", "display_name": f"Participant {n}",
        "password_hash": password_hash, "language": "ro" if n % 5 else "en",
        "stakeholder_type": GROUPS[n % len(GROUPS)], "email_verified_at": now,
        "is_admin": False, "is_active_account": True, "last_login_at": None,
        "created_at": now - timedelta(days=40), "updated_at": now - timedelta(days=40),
    } for n in range(1, args.users + 1)]
    insert_rows(User.__table__, users)
    lap("users")

    city = City(slug=CITY_SLUG, kind="city", name_ro="Orașul de test", name_en="Bench city",
                county="Cluj", is_mission_city=True,
                description_ro="Oraș pentru măsurători.", description_en="A city to measure.")
    db.session.add(city)
    db.session.flush()
    process = Process(
        city_id=city.id, kind="livinglab", slug=PROCESS_SLUG,
        title_ro="Laboratorul viu de test", title_en="The bench living lab",
        description_ro="Sesiuni pentru măsurători.", description_en="Sessions to measure.",
        themes=["mobility"], opens_at=now - timedelta(days=30),
        closes_at=now + timedelta(days=90), status="published", moderation_mode="post",
        published_at=now - timedelta(days=31), created_by_id=1)
    db.session.add(process)
    db.session.flush()

    sessions = []
    for n in range(args.sessions_count):
        target = n < args.targets
        starts = now + timedelta(days=1 + n % 60, hours=rng.randint(0, 10))
        session = LabSession(
            process_id=process.id, title_ro=f"Atelierul {n + 1}", title_en=f"Workshop {n + 1}",
            description_ro="Lucrăm împreună la planul de mobilitate.",
            description_en="We work together on the mobility plan.",
            format=FORMATS[n % len(FORMATS)], address="Str. Memorandumului 21",
            lat=46.77, lon=23.59, online_url="https://meet.example.org/bench",
            starts_at=starts, ends_at=starts + timedelta(hours=2),
            capacity=args.capacity if target else rng.randint(60, 140),
            lab_phase=PHASES[n % len(PHASES)],
            questions=["organisation", "dietary", "accessibility", "photo_consent"],
            stakeholder_groups=[], stakeholder_caps={},
        )
        db.session.add(session)
        sessions.append(session)
    db.session.flush()
    targets, others = sessions[:args.targets], sessions[args.targets:]
    lap("sessions")

    rows = []
    codes: dict[int, set[str]] = {session.id: set() for session in sessions}
    seated: dict[int, int] = {session.id: 0 for session in others}
    for n in range(args.registrations):
        session = others[n % len(others)]
        when = now - timedelta(minutes=args.registrations - n)
        roll = rng.random()
        if roll < 0.05:
            status = "cancelled"
        elif roll < 0.07:
            status = "pending"
        elif seated[session.id] < session.capacity:
            status = "confirmed"
            seated[session.id] += 1
        else:
            status = "waitlisted"
        answers = {}
        if n % 3 == 0:
            answers = {"organisation": f"Asociația {n % 97}", "photo_consent": n % 2 == 0}
        if n % 11 == 0:
            answers["dietary"] = "vegetarian"
        rows.append({
            "session_id": session.id, "process_id": process.id, "user_id": None,
            "email": f"p{n}@bench.test", "name": f"Participant Oaspete {n}",
            "stakeholder_type": GROUPS[n % len(GROUPS)], "language": "ro",
            "channel": "online", "status": status, "token": secrets.token_urlsafe(24),
            "code": _code(rng, codes[session.id]), "answers": answers,
            "accessibility_consent": False,
            "email_confirmed_at": None if status == "pending" else when,
            "confirmed_at": when if status in ("confirmed", "cancelled") else None,
            "waitlisted_at": when if status == "waitlisted" else None,
            "promoted_at": None,
            "cancelled_at": when + timedelta(minutes=5) if status == "cancelled" else None,
            "cancelled_late": False, "cancelled_by": "participant" if status == "cancelled"
            else "",
            "checked_in_at": None, "checked_in_by_id": None, "personal_data_purged_at": None,
            "created_at": when, "updated_at": when,
        })
    insert_rows(Registration.__table__, rows)
    lap("registrations")

    dialect = engine.dialect.name
    if dialect == "postgresql":
        db.session.execute(text(
            "SELECT setval(pg_get_serial_sequence('user_account', 'id'), "
            "(SELECT max(id) FROM user_account))"))
    facts = {
        "city_slug": CITY_SLUG, "process_slug": PROCESS_SLUG, "process_id": process.id,
        "sessions": len(sessions), "registrations": len(rows), "users": len(users),
        "target_session_ids": [session.id for session in targets],
        "target_capacity": args.capacity,
        "targets": [f"/{CITY_SLUG}/p/{PROCESS_SLUG}/sessions/{session.id}/register"
                    for session in targets],
    }
    db.session.commit()
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    lap("commit+analyze")
    facts["timings_s"] = lap.timings
    db.session.close()
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--sessions-count", type=int, default=200)
    parser.add_argument("--registrations", type=int, default=20_000)
    parser.add_argument("--targets", type=int, default=4)
    parser.add_argument("--capacity", type=int, default=40)
    parser.add_argument("--sessions", type=int, default=2_000, help="signed-in cookies")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        facts = seed(args)
        ideas_seed.write_sessions(app, min(args.sessions, args.users), args.out)
    facts["seconds"] = round(time.perf_counter() - started, 1)
    (args.out / "targets.txt").write_text("\n".join(facts["targets"]) + "\n")
    (args.out / "seed.json").write_text(json.dumps(facts, indent=2))
    print(f"seeded {facts['sessions']} sessions, {facts['registrations']} registrations, "
          f"{facts['users']} users in {facts['seconds']} s "
          f"({', '.join(f'{k} {v}' for k, v in facts['timings_s'].items())})")


if __name__ == "__main__":
    main()
