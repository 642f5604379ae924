"""Seed the consultations benchmark database fast, and write the session cookies wrk sends.

One city with one published, open consultation (opened 30 days ago, closes in 30; results
public while it runs, "live"; signed-in respondents; age band and neighbourhood asked), whose
questionnaire has 20 questions in 4 sections, made through the builder's services (the same
checks as an organiser's): single ×5, multiple ×3, scale ×4, ranking ×1 (5 items), number ×2,
yes/no ×2, matrix ×1 (4 rows × 5 columns), long text ×2; the third section is shown only to
owners (a condition on the first question). Then, with SQLAlchemy Core executemany:

- 5,000 submitted responses by default: 92 % online by signed-in users (one each), 7 % on
  paper and 1 % at an information stand (no user, typed in by an organiser); submitted over the
  30 days, most of them in the first days;
- 300 drafts by default (online, signed-in users who did not submit) with the first section or
  two answered: they must not count;
- answers stored as `engage.consultations.models` documents, through the answering flow's own
  helpers: the values have the shapes `answers.parse_section` gives, hidden questions are left
  out with `answers.visibility` (the condition), and the rows are `answers._rows_for` (one row
  per chosen option, per ranked item, per matrix row; a number; a text);
- each submitted free-text answer with its Contribution (kind "answer", status "published",
  as `answers._sync_texts` makes it); drafts' texts have none (they get one on submitting).

One Argon2 hash is shared by every user. ANALYZE (VACUUM ANALYZE on PostgreSQL) at the end.
Random but reproducible (fixed seed). Writes:

  OUT/sessions.txt  signed session cookies of the first respondents: <cookie> <CSRF token>
  OUT/seed.json     slugs, ids, counts, the expected figures the probe checks, timings

Run it with the environment gunicorn will get (ENGAGE_DATABASE_URL, ENGAGE_SECRET_KEY, ...), on
an empty database: `python bench/consultations/seed.py --out DIR`. `writer.py` imports
`answer_values` to submit more responses the same way during the load.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import itertools
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from engage import create_app
from engage.accounts.models import User
from engage.accounts.services import hash_password
from engage.cities.models import City
from engage.consultations import answers as answering
from engage.consultations import services
from engage.consultations.models import TEXT_TYPES, Answer, Response
from engage.extensions import db
from engage.processes.models import Contribution, Process

HERE = Path(__file__).resolve().parent
CITY_SLUG = "orasul-bench"
PROCESS_SLUG = "consultare-mobilitate"
NEIGHBOURHOODS = ("Centru", "Obcini", "Burdujeni", "Itcani", "Zamca", "George Enescu",
                  "Areni", "Cantemir")
AGE_BANDS = ("18_29", "30_44", "45_64", "65_plus", "under_18", "no_answer")
AGE_WEIGHTS = (22, 30, 28, 14, 2, 4)
STAKEHOLDERS = ("citizen", "civil_society", "business", "research", "public_authority")
STAKEHOLDER_WEIGHTS = (86, 6, 4, 2, 2)
WORDS = (
    "bicicleta pista copaci parc umbra scoala trotuar tramvai autobuz statie acoperis verde "
    "izolatie caldura termoficare facturi ferestre fatada subsol lift scara bloc vecini "
    "asociatie proprietari parcare strada trecere pietoni iluminat zgomot aer curat curte "
    "spatiu verde copii joaca program orar frecventa abonament pret sigur accesibil rampa"
).split()


@functools.cache
def load_module(name: str, path: Path):  # noqa: ANN201
    """Import a file of another benchmark folder under its own name (they are not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(1, 4)):
        words = rng.choices(WORDS, k=rng.randint(6, 18))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


# ---------------------------------------------------------------- the questionnaire


def build_questionnaire(process: Process) -> None:
    """20 questions in 4 sections, through the builder's services (checked like an
    organiser's); the third section only for owners (answer 1 of the first question)."""
    add = services.add_question
    you = services.add_section(process, title_ro="Despre dumneavoastră", title_en="About you")
    tenure = add(you, "single", text_ro="Locuința în care stați este…",
                 text_en="The home you live in is…", required=True,
                 options=[("Proprietatea mea", "Mine (owned)"), ("Închiriată", "Rented"),
                          ("A familiei", "My family's"), ("Altă situație", "Other")])
    add(you, "single", text_ro="Cât de des folosiți transportul public?",
        text_en="How often do you use public transport?", required=True,
        settings={"display": "dropdown"},
        options=[("Zilnic", "Daily"), ("Săptămânal", "Weekly"), ("Lunar", "Monthly"),
                 ("Rar", "Rarely"), ("Niciodată", "Never")])
    add(you, "scale", text_ro="Cât de mulțumit sunteți de cartierul dumneavoastră?",
        text_en="How satisfied are you with your neighbourhood?",
        settings={"min": 1, "max": 5, "label_min_ro": "Deloc", "label_min_en": "Not at all",
                  "label_max_ro": "Foarte", "label_max_en": "Very"})
    add(you, "yes_no", text_ro="Aveți o bicicletă?", text_en="Do you own a bicycle?")
    add(you, "number", text_ro="Câte minute durează drumul zilnic?",
        text_en="How many minutes is your daily commute?",
        settings={"min": 0, "max": 180, "decimals": 0, "unit_ro": "min", "unit_en": "min"})

    moving = services.add_section(process, title_ro="Mobilitate", title_en="Getting around")
    add(moving, "multiple", text_ro="Ce ar trebui îmbunătățit mai întâi?",
        text_en="What should be improved first?", settings={"max": 3, "other": True},
        options=[("Trotuarele", "Pavements"), ("Pistele de biciclete", "Cycle lanes"),
                 ("Stațiile de autobuz", "Bus stops"), ("Trecerile de pietoni", "Crossings"),
                 ("Iluminatul", "Lighting"), ("Parcările", "Parking")])
    add(moving, "single", text_ro="Cum ajungeți de obicei la serviciu?",
        text_en="How do you usually get to work?", settings={"other": True},
        options=[("Pe jos", "On foot"), ("Cu bicicleta", "By bike"),
                 ("Cu autobuzul", "By bus"), ("Cu mașina", "By car")])
    add(moving, "scale", text_ro="Cât de sigur vă simțiți pe bicicletă în oraș?",
        text_en="How safe do you feel cycling in town?",
        settings={"min": 0, "max": 10, "label_min_ro": "Deloc", "label_min_en": "Not at all",
                  "label_max_ro": "Complet", "label_max_en": "Completely"})
    add(moving, "ranking", text_ro="Ordonați proiectele după importanță",
        text_en="Rank the projects by importance",
        options=[("Benzi de autobuz", "Bus lanes"), ("Piste de biciclete", "Cycle lanes"),
                 ("Zone pietonale", "Pedestrian zones"), ("Parcări noi", "New car parks"),
                 ("Mai mulți copaci", "More trees")])
    add(moving, "long_text", text_ro="Ce altceva ar trebui să știm despre mobilitate?",
        text_en="What else should we know about getting around?")

    owners = services.add_section(
        process, title_ro="Renovarea locuinței", title_en="Renovating your home",
        condition={"question": tenure.id, "options": [tenure.choices[0].id]})
    add(owners, "single", text_ro="Când a fost construit blocul?",
        text_en="When was your building built?", required=True,
        options=[("Înainte de 1970", "Before 1970"), ("1970–1989", "1970–1989"),
                 ("1990–2010", "1990–2010"), ("După 2010", "After 2010")])
    add(owners, "multiple", text_ro="Ce lucrări ați face?", text_en="Which works would you do?",
        options=[("Izolarea fațadei", "Façade insulation"), ("Ferestre noi", "New windows"),
                 ("Panouri solare", "Solar panels"), ("Lift nou", "A new lift"),
                 ("Acoperiș", "The roof")])
    add(owners, "scale", text_ro="Cât de important este costul facturilor?",
        text_en="How much do the bills matter?",
        settings={"min": 1, "max": 5})
    add(owners, "number", text_ro="Cât ați plătit pe căldură în ianuarie?",
        text_en="How much did you pay for heating in January?",
        settings={"min": 0, "max": 5000, "decimals": 0, "unit_ro": "lei", "unit_en": "lei"})
    add(owners, "yes_no", text_ro="Ați participa la un program de renovare cu cofinanțare?",
        text_en="Would you join a co-funded renovation programme?")

    area = services.add_section(process, title_ro="Cartierul", title_en="The neighbourhood")
    add(area, "matrix", text_ro="Cum evaluați…", text_en="How do you rate…",
        options=[("Foarte rău", "Very poor"), ("Rău", "Poor"), ("Acceptabil", "Fair"),
                 ("Bine", "Good"), ("Foarte bine", "Very good")],
        rows=[("Spațiile verzi", "Green spaces"), ("Curățenia", "Cleanliness"),
              ("Siguranța", "Safety"), ("Locurile de joacă", "Playgrounds")])
    add(area, "single", text_ro="Unde ar trebui plantați copaci mai întâi?",
        text_en="Where should trees be planted first?",
        options=[("Pe străzi", "Along streets"), ("În curțile blocurilor", "In courtyards"),
                 ("În parcuri", "In parks"), ("Lângă școli", "Near schools")])
    add(area, "multiple", text_ro="Ce ați folosi într-un parc nou?",
        text_en="What would you use in a new park?", settings={"min": 1, "max": 4},
        options=[("Alei", "Paths"), ("Bănci", "Benches"), ("Loc de joacă", "Playground"),
                 ("Teren de sport", "Sports ground"), ("Fântână", "Fountain"),
                 ("Toalete", "Toilets")])
    add(area, "scale", text_ro="Cât de curat este aerul în cartier?",
        text_en="How clean is the air in your neighbourhood?",
        settings={"min": 1, "max": 10})
    add(area, "long_text", text_ro="Ce ați schimba în cartier?",
        text_en="What would you change in your neighbourhood?")
    db.session.flush()


# ---------------------------------------------------------------- answers


def _weighted_order(rng: random.Random, items: list, weights: list[float]) -> list:
    """A random order in which heavier items tend to come first (weighted sampling without
    replacement: sort by u^(1/w))."""
    keys = [rng.random() ** (1.0 / w) for w in weights]
    return [item for _, item in sorted(zip(keys, items, strict=True), key=lambda p: -p[0])]


def answer_values(structure: list[answering.Page], rng: random.Random,
                  upto_section: int | None = None) -> dict[int, Any]:
    """One respondent's answers, as `answers.parse_section` gives them (question id → value),
    skewed like real ones, only for the questions visible with these answers (the condition),
    an optional question skipped now and then. `upto_section`: only the first sections (a
    draft)."""
    values: dict[int, Any] = {}
    for index, page in enumerate(structure):
        if upto_section is not None and index >= upto_section:
            break
        for question in page.questions:
            value = _value(question, rng)
            if value is not None and (question.required or rng.random() > 0.06):
                values[question.id] = value
    _, visible = answering.visibility(structure, values)
    return {qid: value for qid, value in values.items() if qid in visible}


def _value(question: Any, rng: random.Random) -> Any:
    kind = question.type
    settings = question.settings or {}
    choices = question.choices
    weights = [1.0 / (n + 1.3) for n in range(len(choices))]
    if kind == "single":
        if settings.get("other") and rng.random() < 0.03:
            return (None, "Altfel: " + paragraph(rng)[:120])
        return (rng.choices(choices, weights=weights)[0].id, None)
    if kind == "multiple":
        most = settings.get("max") or 3
        least = settings.get("min") or 1
        count = rng.randint(least, most)
        other = None
        if settings.get("other") and rng.random() < 0.04:
            other = "Altceva: " + paragraph(rng)[:120]
            count = max(count - 1, 0) or 1
        picked = _weighted_order(rng, choices, weights)[:count]
        return ([option.id for option in picked], other)
    if kind == "scale":
        low, high = int(settings.get("min", 1)), int(settings.get("max", 5))
        middle = low + (high - low) * 0.6
        value = round(rng.gauss(middle, (high - low) / 4))
        return min(max(value, low), high)
    if kind == "number":
        if (settings.get("max") or 0) <= 180:
            return float(min(max(round(rng.gammavariate(3.0, 10.0)), 0), 180))
        return float(min(max(round(rng.lognormvariate(6.2, 0.5) / 10) * 10, 0), 5000))
    if kind == "yes_no":
        return rng.random() < 0.62
    if kind == "ranking":
        return [option.id for option in _weighted_order(rng, choices, weights)]
    if kind == "matrix":
        return {row.id: rng.choices(choices, weights=[1, 2, 4, 3, 1][:len(choices)])[0].id
                for row in question.rows}
    if kind in TEXT_TYPES:
        return paragraph(rng) if rng.random() < 0.35 else None
    return None


# ---------------------------------------------------------------- seeding


def ideas_seed():  # noqa: ANN201
    """The ideas benchmark's seed module, for its shared helpers (Laps, insert_rows)."""
    return load_module("bench_ideas_seed", HERE.parent / "ideas" / "seed.py")


def insert_rows(table, rows: list[dict]) -> None:  # noqa: ANN001
    """Bulk inserts in chunks: the ideas benchmark's helper."""
    ideas_seed().insert_rows(table, rows)


def seed(args: argparse.Namespace) -> dict:
    rng = random.Random(20261201)
    now = datetime.now(UTC).replace(microsecond=0)
    opened = now - timedelta(days=30)
    lap = ideas_seed().Laps()
    timings = lap.timings

    engine = db.engine
    db.create_all()
    if db.session.scalar(select(func.count()).select_from(Response)):
        sys.exit("seed.py needs an empty database: responses already exist")
    lap("schema")

    submitted = args.responses
    paper = round(submitted * 0.07)
    stand = round(submitted * 0.01)
    online = submitted - paper - stand
    # Users: the online respondents, the drafts' owners, spare ones (writer.py submits as
    # them), one organiser (who typed in the paper forms).
    respondents = online + args.drafts
    spare = args.spare_users
    organiser_id = respondents + spare + 1
    password_hash = hash_password("bench-password-not-secret")
    users = [
        {
            "id": n, "email": f"user{n}@bench.test", "display_name": f"Locuitor {n}",
            "password_hash": password_hash, "language": "ro" if n % 6 else "en",
            "stakeholder_type": rng.choices(STAKEHOLDERS, weights=STAKEHOLDER_WEIGHTS)[0],
            "email_verified_at": opened - timedelta(days=10), "is_admin": False,
            "is_active_account": True, "last_login_at": None,
            "created_at": opened - timedelta(days=10), "updated_at": opened - timedelta(days=10),
        }
        for n in range(1, organiser_id + 1)
    ]
    insert_rows(User.__table__, users)
    lap("users")

    city = City(slug=CITY_SLUG, kind="city", name_ro="Orașul de test", name_en="Bench city",
                county="Suceava", is_mission_city=True,
                description_ro="Oraș pentru măsurători.", description_en="A city to measure.")
    db.session.add(city)
    db.session.flush()
    process = Process(
        city_id=city.id, kind="consultation", slug=PROCESS_SLUG,
        title_ro="Consultare: mobilitate și locuire", title_en="Consultation: moving and living",
        description_ro=paragraph(rng), description_en=paragraph(rng), themes=[],
        opens_at=opened, closes_at=now + timedelta(days=30), status="published",
        moderation_mode="post", published_at=opened - timedelta(days=1),
        created_by_id=organiser_id,
    )
    db.session.add(process)
    db.session.flush()
    services.save_settings(process, "signed_in", "live", ["age_band", "neighbourhood"],
                           "\n".join(NEIGHBOURHOODS))
    build_questionnaire(process)
    structure = answering.pages(process)
    questions = [q for page in structure for q in page.questions]
    by_id = {q.id: q for q in questions}
    lap("questionnaire")

    response_id = itertools.count(1)
    answer_id = itertools.count(1)
    contribution_id = itertools.count(1)
    responses: list[dict] = []
    answer_rows: list[dict] = []
    contributions: list[dict] = []
    answered: dict[int, int] = {q.id: 0 for q in questions}  # submitted respondents per question
    first_counts: dict[int, int] = {}  # the first question's option counts (submitted)
    channels = ["online"] * online + ["paper"] * paper + ["stand"] * stand
    rng.shuffle(channels)
    online_user = iter(range(1, online + 1))
    span = (now - opened).total_seconds() - 3600
    blank = {"option_id": None, "row_id": None, "rank": None, "number": None, "text": None,
             "contribution_id": None}

    def add_response(channel: str, user_id: int | None, values: dict[int, Any],
                     done: bool) -> None:
        rid = next(response_id)
        # Most answers come in the first days after the launch.
        at = opened + timedelta(seconds=min(rng.expovariate(1 / (span / 5)), span))
        started = at - timedelta(minutes=rng.randint(3, 40))
        language = "ro" if rng.random() < 0.9 else "en"
        profile = {}
        if rng.random() < 0.9:
            profile["age_band"] = rng.choices(AGE_BANDS, weights=AGE_WEIGHTS)[0]
        if rng.random() < 0.85:
            profile["neighbourhood"] = rng.choice(NEIGHBOURHOODS)
        responses.append({
            "id": rid, "process_id": process.id, "city_id": city.id, "user_id": user_id,
            "entered_by_id": organiser_id if channel != "online" else None,
            "channel": channel, "status": "submitted" if done else "draft",
            "language": language, "token": None, "profile": profile,
            "submitted_at": at if done else None, "created_at": started,
            "updated_at": at if done else started,
        })
        for qid, value in values.items():
            question = by_id[qid]
            for row in answering._rows_for(question, value):  # the answering flow's rows
                entry = {**blank, **row, "id": next(answer_id), "response_id": rid,
                         "question_id": qid, "created_at": started}
                if done and question.type in TEXT_TYPES:
                    cid = next(contribution_id)
                    contributions.append({
                        "id": cid, "kind": "answer", "process_id": process.id,
                        "city_id": city.id, "author_id": user_id, "language": language,
                        "text": entry["text"] or "", "status": "published", "created_at": at,
                    })
                    entry["contribution_id"] = cid
                answer_rows.append(entry)
            if done:
                answered[qid] += 1
        if done and questions[0].id in values:
            chosen = values[questions[0].id][0]
            first_counts[chosen] = first_counts.get(chosen, 0) + 1

    for channel in channels:
        user_id = next(online_user) if channel == "online" else None
        add_response(channel, user_id, answer_values(structure, rng), done=True)
    for n in range(args.drafts):
        add_response("online", online + 1 + n,
                     answer_values(structure, rng, upto_section=rng.randint(1, 2)), done=False)
    lap("generate")

    insert_rows(Response.__table__, responses)
    lap("responses")
    insert_rows(Contribution.__table__, contributions)
    lap("contributions")
    insert_rows(Answer.__table__, answer_rows)
    lap("answers")

    dialect = engine.dialect.name
    if dialect == "postgresql":
        # Explicit ids leave the serial sequences behind: bring them up to the data.
        for table in ("user_account", "consultation_response", "consultation_answer",
                      "contribution"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            ))
    process_id = process.id
    first_question = questions[0]
    facts = {
        "city_slug": CITY_SLUG,
        "process_slug": PROCESS_SLUG,
        "process_id": process_id,
        "users": len(users),
        "organiser_id": organiser_id,
        "spare_user_ids": [online + args.drafts + 1, online + args.drafts + spare],
        "questions": len(questions),
        "types": {kind: sum(q.type == kind for q in questions)
                  for kind in dict.fromkeys(q.type for q in questions)},
        "submitted": submitted,
        "online": online,
        "paper": paper,
        "stand": stand,
        "drafts": args.drafts,
        "answer_rows": len(answer_rows),
        "text_contributions": len(contributions),
        "expected": {
            "answered": {str(qid): n for qid, n in answered.items()},
            "first_question": first_question.id,
            "first_question_counts": {str(k): v for k, v in first_counts.items()},
        },
    }
    db.session.commit()
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    lap("commit+analyze")
    facts["timings_s"] = timings
    db.session.close()
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--responses", type=int, default=5_000)
    parser.add_argument("--drafts", type=int, default=300)
    parser.add_argument("--spare-users", type=int, default=600,
                        help="users without a response, for writer.py")
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    # The ideas benchmark's cookie writer (flask-login + Flask-WTF secret, for wrk's
    # address and User-Agent), for users 1..n: here, online respondents.
    ideas_seed = load_module("bench_ideas_seed", HERE.parent / "ideas" / "seed.py")
    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        facts = seed(args)
        ideas_seed.write_sessions(app, args.sessions, args.out)
    facts["seconds"] = round(time.perf_counter() - started, 1)
    (args.out / "seed.json").write_text(json.dumps(facts, indent=2))
    laps = ", ".join(f"{name} {seconds}" for name, seconds in facts["timings_s"].items())
    print(f"seeded {facts['submitted']} submitted responses ({facts['paper']} paper, "
          f"{facts['stand']} stand), {facts['drafts']} drafts, {facts['answer_rows']} answer "
          f"rows, {facts['text_contributions']} free-text contributions, {facts['users']} users "
          f"in {facts['seconds']} s ({laps})")


if __name__ == "__main__":
    main()
