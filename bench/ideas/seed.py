"""Seed the ideas benchmark database fast, and write the session cookies wrk sends.

One city with one open ideas process (post-moderation, no support limit), 2,000 verified users,
10,000 ideas, 200,000 supports and 50,000 comments by default, each idea and comment with its
Contribution row, written with SQLAlchemy Core executemany (a few seconds instead of the
services' one-row-at-a-time path). The counters the services keep are written exact:
idea.support_count = its support rows, idea.comment_count = its published comments. Ideas are
put into the full-text index in bulk with the same statements as `engage.core.search.index`.

Distributions are skewed like real ones (a few ideas collect most supports and comments) and
reproducible (fixed random seed). About 1 % of ideas are pending and 1 % hidden, 1 % of comments
hidden; supports and comments go to published ideas only.

Then it signs `--sessions` Flask session cookies (flask-login user + Flask-WTF CSRF secret) with
the app's SECRET_KEY, for the first users, as a logged-in browser would hold them, and writes:

  OUT/sessions.txt  one line per user: <session cookie value> <CSRF token>
  OUT/ideas.txt     the published ideas' ids, most supported first, one per line
  OUT/seed.json     slugs, counts, the idea measured, timings

Run it with the environment gunicorn will get (ENGAGE_DATABASE_URL, ENGAGE_SECRET_KEY, ...), on
an empty database: `python bench/ideas/seed.py --out DIR`.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from engage import create_app
from engage.accounts.models import User
from engage.accounts.services import hash_password
from engage.cities.models import City
from engage.cities.themes import THEMES
from engage.core import search
from engage.core.markdown import render_markdown, render_markdown_lite
from engage.extensions import db
from engage.ideas import models as ideas_models  # noqa: F401  (the tables, for create_all)
from engage.ideas.models import Comment, Idea, Support
from engage.processes.models import Contribution, Process

CITY_SLUG = "orasul-bench"
PROCESS_SLUG = "idei-pentru-oras"
# wrk sends this User-Agent and comes from 127.0.0.1: flask-login's session identifier (`_id`)
# is made of both, so the cookies must be made for the same pair.
USER_AGENT = "engage-bench"
REMOTE_ADDR = "127.0.0.1"
CHUNK = 10_000

WORDS = (
    "bicicleta pista copaci parc umbra scoala trotuar tramvai autobuz statie panouri solare "
    "acoperis verde fantana banca cartier strada trecere pietoni lumina iluminat compost "
    "colectare deseuri reciclare bloc izolatie caldura termoficare apa ploaie gradina "
    "comunitate vecini piata zona pietonala parcare limitare viteza copii joaca sport "
    "aer curat zgomot arbori flori spatiu verde rau mal alee drum traseu sigur accesibil"
).split()
PLACES = ("Centru", "Obcini", "Burdujeni", "Itcani", "Zamca", "George Enescu", "Areni",
          "Cantemir", "Mărășești", "Tătărași")


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, 8, 18) for _ in range(sentences))


def skewed_picker(rng: random.Random, items: list[int], offset: float):
    """Pick from `items` with weight 1 / (rank + offset): the first items are the popular ones."""
    cumulative = list(itertools.accumulate(1.0 / (rank + offset) for rank in range(len(items))))
    total = cumulative[-1]

    def pick() -> int:
        return items[bisect.bisect_left(cumulative, rng.random() * total)]

    return pick


class Laps:
    """Seconds per seeding step for the report: call `lap("users")` after each step; the
    figures are in `lap.timings`. Shared with the other benchmarks' seeds."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._clock, 2)
        self._clock = now


def insert_rows(table, rows: list[dict]) -> None:  # noqa: ANN001
    """Bulk inserts in chunks (SQLAlchemy Core executemany); shared with the other seeds."""
    connection = db.session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(table.insert(), rows[start:start + CHUNK])


def seed(args: argparse.Namespace) -> dict:
    rng = random.Random(20261123)
    now = datetime.now(UTC).replace(microsecond=0)
    lap = Laps()
    timings = lap.timings

    engine = db.engine
    db.create_all()
    search.ensure_search_schema(engine)
    if db.session.scalar(select(func.count()).select_from(Idea)):
        sys.exit("seed.py needs an empty database: ideas already exist")
    lap("schema")

    # ---- users: one Argon2 hash for all (hashing 2,000 passwords would take minutes)
    password_hash = hash_password("bench-password-not-secret")
    users = [
        {
            "id": n,
            "email": f"user{n}@bench.test",
            "display_name": f"Locuitor {n}",
            "password_hash": password_hash,
            "language": "ro" if n % 5 else "en",
            "stakeholder_type": "citizen",
            "email_verified_at": now - timedelta(days=40),
            "is_admin": False,
            "is_active_account": True,
            "last_login_at": None,
            "created_at": now - timedelta(days=40),
            "updated_at": now - timedelta(days=40),
        }
        for n in range(1, args.users + 1)
    ]
    insert_rows(User.__table__, users)
    user_ids = [row["id"] for row in users]
    lap("users")

    city = City(slug=CITY_SLUG, kind="city", name_ro="Orașul de test", name_en="Bench city",
                county="Suceava", is_mission_city=True,
                description_ro="Oraș pentru măsurători.", description_en="A city to measure.")
    db.session.add(city)
    db.session.flush()
    themes = list(THEMES)
    process = Process(
        city_id=city.id, kind="ideas", slug=PROCESS_SLUG,
        title_ro="Idei pentru un oraș mai verde", title_en="Ideas for a greener city",
        description_ro=paragraph(rng, 4), description_en=paragraph(rng, 4),
        themes=themes, opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=60),
        status="published", moderation_mode="post", published_at=now - timedelta(days=31),
        created_by_id=user_ids[0],
    )
    db.session.add(process)
    db.session.flush()

    # ---- ideas and their contributions (ids given here, so the links need no round trip)
    contribution_id = itertools.count(1)
    contributions: list[dict] = []
    ideas: list[dict] = []
    search_rows: list[dict] = []
    published_ids: list[int] = []
    for n in range(1, args.ideas + 1):
        created = now - timedelta(seconds=rng.randint(0, 29 * 86400))
        title = sentence(rng, 4, 10)[:140]
        body = paragraph(rng, rng.randint(2, 6))
        language = "ro" if rng.random() < 0.85 else "en"
        roll = rng.random()
        moderation = "pending" if roll < 0.01 else "hidden" if roll < 0.02 else "published"
        has_place = rng.random() < 0.6
        cid = next(contribution_id)
        author = rng.choice(user_ids)
        contributions.append({
            "id": cid, "kind": "idea", "process_id": process.id, "city_id": city.id,
            "author_id": author, "language": language, "text": f"{title}\n\n{body}",
            "status": moderation, "created_at": created,
        })
        ideas.append({
            "id": n, "process_id": process.id, "city_id": city.id, "contribution_id": cid,
            "author_id": author, "added_by_id": None, "channel": "online", "title": title,
            "body": body, "body_html": str(render_markdown(body)),
            "theme": rng.choice(themes), "language": language,
            "place_lat": 47.65 + rng.random() * 0.05 if has_place else None,
            "place_lon": 26.23 + rng.random() * 0.07 if has_place else None,
            "place_text": rng.choice(PLACES) if has_place else "",
            "status": "new" if rng.random() < 0.9 else rng.choice(
                ["under_review", "selected", "in_progress", "implemented", "not_feasible"]),
            "support_count": 0, "comment_count": 0, "merged_into_id": None,
            "created_at": created, "updated_at": created,
        })
        search_rows.append({
            "kind": "idea", "object_id": n, "scope_id": process.id, "language": language,
            "title": search.fold(title), "body": search.fold(body),
        })
        if moderation == "published":
            published_ids.append(n)

    # Popularity: a random order of the published ideas, the first ones the most popular.
    popularity = published_ids[:]
    rng.shuffle(popularity)

    # ---- supports: each user supports the same number of distinct ideas, skewed choice
    per_user = args.supports // args.users
    pick_idea = skewed_picker(rng, popularity, offset=10.0)
    supports: list[dict] = []
    support_count: dict[int, int] = defaultdict(int)
    for user_id in user_ids:
        chosen: set[int] = set()
        while len(chosen) < per_user:
            chosen.add(pick_idea())
        for idea_id in chosen:
            supports.append({"idea_id": idea_id, "user_id": user_id,
                             "created_at": now - timedelta(seconds=rng.randint(0, 20 * 86400))})
            support_count[idea_id] += 1

    # ---- comments: skewed over ideas too, 30 % replies to a top-level comment of the idea
    pick_commented = skewed_picker(rng, popularity, offset=30.0)
    comments: list[dict] = []
    top_level: dict[int, list[int]] = defaultdict(list)
    comment_count: dict[int, int] = defaultdict(int)
    for n in range(1, args.comments + 1):
        idea_id = pick_commented()
        parent = None
        if top_level[idea_id] and rng.random() < 0.3:
            parent = rng.choice(top_level[idea_id])
        else:
            top_level[idea_id].append(n)
        body = paragraph(rng, rng.randint(1, 3))[:2000]
        hidden = rng.random() < 0.01
        cid = next(contribution_id)
        author = rng.choice(user_ids)
        created = now - timedelta(seconds=rng.randint(0, 20 * 86400))
        contributions.append({
            "id": cid, "kind": "comment", "process_id": process.id, "city_id": city.id,
            "author_id": author, "language": "ro", "text": body,
            "status": "hidden" if hidden else "published", "created_at": created,
        })
        comments.append({
            "id": n, "idea_id": idea_id, "contribution_id": cid, "author_id": author,
            "parent_id": parent, "body": body, "body_html": str(render_markdown_lite(body)),
            "created_at": created, "edited_at": None,
            "deleted_at": None,
        })
        if not hidden:
            comment_count[idea_id] += 1
    # Replies must come after their parent in time.
    created_of = {row["id"]: row["created_at"] for row in comments}
    for row in comments:
        parent_created = created_of.get(row["parent_id"])
        if parent_created is not None and row["created_at"] <= parent_created:
            row["created_at"] = parent_created + timedelta(minutes=rng.randint(1, 600))

    for row in ideas:
        row["support_count"] = support_count.get(row["id"], 0)
        row["comment_count"] = comment_count.get(row["id"], 0)
    lap("generate")

    insert_rows(Contribution.__table__, contributions)
    lap("contributions")
    insert_rows(Idea.__table__, ideas)
    lap("ideas")
    insert_rows(Support.__table__, supports)
    lap("supports")
    # Parents first (their ids are smaller), so the self-reference holds at every insert.
    insert_rows(Comment.__table__, comments)
    lap("comments")

    dialect = engine.dialect.name
    if dialect == "sqlite":
        statement = text(
            "INSERT INTO search_index_document (kind, object_id, scope_id, language, title, body)"
            " VALUES (:kind, :object_id, :scope_id, :language, :title, :body)"
        )
    else:
        statement = text(
            "INSERT INTO search_index (kind, object_id, scope_id, language, document)"
            " VALUES (:kind, :object_id, :scope_id, :language,"
            " setweight(to_tsvector('simple', :title), 'A')"
            " || setweight(to_tsvector('simple', :body), 'B'))"
        )
    db.session.execute(statement, search_rows)
    lap("search index")

    if dialect == "postgresql":
        # Explicit ids leave the serial sequences behind: bring them up to the data.
        for table in ("user_account", "contribution", "idea", "comment"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            ))
    db.session.commit()
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    lap("commit+analyze")

    ranked = sorted(published_ids, key=lambda i: (-support_count.get(i, 0), i))
    # A typical idea: the median one by supports (comments follow the same popularity).
    typical = ranked[len(ranked) // 2]
    facts = {
        "city_slug": CITY_SLUG,
        "process_slug": PROCESS_SLUG,
        "process_id": process.id,
        "users": len(users),
        "ideas": len(ideas),
        "published_ideas": len(published_ids),
        "supports": len(supports),
        "comments": len(comments),
        "published_comments": sum(comment_count.values()),
        "top_idea_id": ranked[0],
        "top_idea_supports": support_count[ranked[0]],
        "top_idea_comments": comment_count.get(ranked[0], 0),
        "typical_idea_id": typical,
        "typical_idea_supports": support_count.get(typical, 0),
        "typical_idea_comments": comment_count.get(typical, 0),
        "ranked_idea_ids": ranked,
        "timings_s": timings,
    }
    # Reading process.id after the commit began a transaction: end it (on SQLite it holds the
    # write lock that the next connections wait for).
    db.session.close()
    return facts


def write_sessions(app, count: int, out: Path) -> None:  # noqa: ANN001
    """Signed session cookies of users 1..count, each logged in with a CSRF secret, and the
    CSRF token that goes with it (as the page's meta tag would give it to htmx)."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    serializer = app.session_interface.get_signing_serializer(app)
    lines = []
    for user_id in range(1, count + 1):
        # A fresh app context each time: Flask-WTF caches the token in `g`, which would give
        # every user the first one's token.
        with app.app_context(), app.test_request_context(
            "/", headers={"User-Agent": USER_AGENT}, environ_base={"REMOTE_ADDR": REMOTE_ADDR}
        ):
            user = db.session.get(User, user_id)
            login_user(user)
            token = generate_csrf()
            lines.append(f"{serializer.dumps(dict(session))} {token}")
    (out / "sessions.txt").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--ideas", type=int, default=10_000)
    parser.add_argument("--supports", type=int, default=200_000)
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args()
    if args.supports // args.users > args.ideas // 2:
        parser.error("too many supports per user for so few ideas")
    args.out.mkdir(parents=True, exist_ok=True)

    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        facts = seed(args)
        write_sessions(app, min(args.sessions, args.users), args.out)
    facts["seconds"] = round(time.perf_counter() - started, 1)
    ranked = facts.pop("ranked_idea_ids")
    (args.out / "ideas.txt").write_text("\n".join(map(str, ranked)) + "\n")
    (args.out / "seed.json").write_text(json.dumps(facts, indent=2))
    print(f"seeded {facts['ideas']} ideas, {facts['supports']} supports, "
          f"{facts['comments']} comments, {facts['users']} users in {facts['seconds']} s "
          f"({', '.join(f'{k} {v}' for k, v in facts['timings_s'].items())})")


if __name__ == "__main__":
    main()
