"""Seed the citizen-science benchmark database fast.

One city (Suceava's area) with one published, open science campaign (opened 60 days ago) and
its settings (CC BY 4.0, ~100 m public precision, an area of about 13 × 13 km around the
centre) and a protocol of five fields — temperature (number, °C), surface (single choice, 4
options), shade from (multiple choice, 3 options), water nearby (yes/no), trees (count) — and,
with SQLAlchemy Core executemany:

- 1,000 users (one Argon2 hash for all), each observation by one of them at random;
- 50,000 observations by default, each with its Contribution (kind "observation"): 85 %
  accepted, 8 % pending, 4 % needing checks, 3 % rejected; 1 % of the contributions hidden.
  Positions cluster around a dozen neighbourhoods (Gaussian spread, ~600 m) plus 20 % spread
  evenly over the area, true positions to 6 decimals and public ones rounded to 3 (as
  `models.public_position` does), observed over the last 60 days;
- their values (about 5.6 rows per observation: one per number, count, yes/no and chosen
  option).

ANALYZE (VACUUM ANALYZE on PostgreSQL) at the end. Random but reproducible (fixed seed).
Writes OUT/seed.json: slugs, ids, counts, the area's bounds, the field and option ids, timings.

Run it with the environment gunicorn will get (ENGAGE_DATABASE_URL, ENGAGE_SECRET_KEY, ...), on
an empty database: `python bench/science/seed.py --out DIR [--observations N]`.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from engage import create_app
from engage.accounts.models import User
from engage.accounts.services import hash_password
from engage.cities.models import City
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science.geo import box_polygon
from engage.science.models import (
    Field,
    FieldOption,
    Observation,
    ObservationValue,
    ScienceSettings,
    public_position,
)

CITY_SLUG = "orasul-bench"
PROCESS_SLUG = "harta-caldurii"
# Suceava's centre and an area of about 13 × 13 km around it.
CENTRE = (47.651, 26.255)
HALF_LAT, HALF_LON = 0.06, 0.09
STATUSES = (("accepted", 85), ("pending", 8), ("needs_checking", 4), ("rejected", 3))


def _load(name: str, path: Path):  # noqa: ANN202
    """A file of another benchmark folder, imported under its own name (not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The ideas benchmark's seed: its shared helpers (Laps, insert_rows in chunks).
ideas_seed = _load("bench_ideas_seed", Path(__file__).resolve().parent.parent / "ideas" / "seed.py")
insert_rows = ideas_seed.insert_rows


def area_bounds() -> tuple[float, float, float, float]:
    return (CENTRE[0] - HALF_LAT, CENTRE[1] - HALF_LON, CENTRE[0] + HALF_LAT,
            CENTRE[1] + HALF_LON)


def seed(args: argparse.Namespace) -> dict:
    rng = random.Random(20261130)
    now = datetime.now(UTC).replace(microsecond=0)
    lap = ideas_seed.Laps()
    timings = lap.timings

    engine = db.engine
    db.create_all()
    if db.session.scalar(select(func.count()).select_from(Observation)):
        sys.exit("seed.py needs an empty database: observations already exist")
    lap("schema")

    password_hash = hash_password("bench-password-not-secret")
    users = [{
        "id": n, "email": f"user{n}@bench.test", "display_name": f"Observator {n}",
        "password_hash": password_hash, "language": "ro", "stakeholder_type": "citizen",
        "email_verified_at": now - timedelta(days=70), "is_admin": False,
        "is_active_account": True, "last_login_at": None,
        "created_at": now - timedelta(days=70), "updated_at": now - timedelta(days=70),
    } for n in range(1, args.users + 1)]
    insert_rows(User.__table__, users)
    lap("users")

    city = City(slug=CITY_SLUG, kind="city", name_ro="Orașul de test", name_en="Bench city",
                county="Suceava", is_mission_city=True,
                description_ro="Oraș pentru măsurători.", description_en="A city to measure.")
    db.session.add(city)
    db.session.flush()
    process = Process(
        city_id=city.id, kind="science", slug=PROCESS_SLUG, title_ro="Harta căldurii",
        title_en="Heat map", description_ro="Măsurăm temperatura pe străzi.",
        description_en="We measure the temperature in the streets.",
        themes=["climate_adaptation"], opens_at=now - timedelta(days=60),
        closes_at=now + timedelta(days=30), status="published", moderation_mode="post",
        published_at=now - timedelta(days=61), created_by_id=1)
    db.session.add(process)
    db.session.flush()
    south, west, north, east = area_bounds()
    db.session.add(ScienceSettings(
        process_id=process.id, licence="CC-BY-4.0", dataset_title_ro="Temperaturi stradale",
        dataset_title_en="Street temperatures", rights_holder="Primăria orașului de test",
        contact_email="date@bench.test", method_ro="Termometru la umbră, 1,5 m.",
        method_en="Thermometer in the shade, 1.5 m.", location_required=True,
        min_accuracy_m=50, area=box_polygon(south, west, north, east),
        public_precision="100m", pseudonym_key=uuid.uuid4().hex))

    def field(position: int, type_: str, ro: str, en: str, settings: dict | None = None,
              options: tuple = ()) -> Field:
        made = Field(process_id=process.id, position=position, type=type_, label_ro=ro,
                     label_en=en, required=position < 2, settings=settings or {})
        db.session.add(made)
        db.session.flush()
        for n, (option_ro, option_en) in enumerate(options):
            db.session.add(FieldOption(field_id=made.id, position=n, label_ro=option_ro,
                                       label_en=option_en))
        db.session.flush()
        db.session.refresh(made)
        return made

    temperature = field(0, "number", "Temperatura", "Temperature",
                        {"unit_ro": "°C", "unit_en": "°C", "min": -40, "max": 60,
                         "decimals": 1, "expected_min": -10, "expected_max": 45})
    surface = field(1, "single", "Suprafața", "Surface", options=(
        ("Asfalt", "Asphalt"), ("Iarbă", "Grass"), ("Pavaj", "Paving"), ("Pământ", "Soil")))
    shade = field(2, "multiple", "Umbră de la", "Shade from", options=(
        ("Copaci", "Trees"), ("Clădiri", "Buildings"), ("Copertine", "Awnings")))
    water = field(3, "yes_no", "Apă în apropiere", "Water nearby")
    trees = field(4, "count", "Copaci", "Trees", {"expected_max": 200})
    surface_ids = [option.id for option in surface.options]
    shade_ids = [option.id for option in shade.options]
    lap("city, campaign, protocol")

    hotspots = [(CENTRE[0] + rng.uniform(-HALF_LAT, HALF_LAT) * 0.8,
                 CENTRE[1] + rng.uniform(-HALF_LON, HALF_LON) * 0.8) for _ in range(12)]
    status_names = [name for name, _ in STATUSES]
    status_weights = [weight for _, weight in STATUSES]
    contributions, observations, values = [], [], []
    value_id = itertools.count(1)
    counted = dict.fromkeys(status_names, 0)
    hidden = 0
    for n in range(1, args.observations + 1):
        if rng.random() < 0.2:
            lat = rng.uniform(south, north)
            lon = rng.uniform(west, east)
        else:
            centre = rng.choice(hotspots)
            lat = min(north, max(south, rng.gauss(centre[0], 0.0055)))
            lon = min(east, max(west, rng.gauss(centre[1], 0.008)))
        lat, lon = round(lat, 6), round(lon, 6)
        public_lat, public_lon = public_position(lat, lon, "100m")
        observed = now - timedelta(seconds=rng.randint(0, 59 * 86400))
        status = rng.choices(status_names, status_weights)[0]
        counted[status] += 1
        visible = "hidden" if rng.random() < 0.01 else "published"
        hidden += visible == "hidden"
        user = rng.randint(1, args.users)
        contributions.append({
            "id": n, "kind": "observation", "process_id": process.id, "city_id": city.id,
            "author_id": user, "language": "ro", "text": "", "status": visible,
            "created_at": observed})
        observations.append({
            "id": n, "process_id": process.id, "city_id": city.id, "user_id": user,
            "contribution_id": n, "client_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "lat": lat, "lon": lon, "accuracy_m": round(rng.uniform(3, 40), 1),
            "location_source": "gps", "public_lat": public_lat, "public_lon": public_lon,
            "in_area": True, "observed_at": observed, "status": status, "reason": "",
            "verified_by_id": None, "verified_at": None, "flags": [], "language": "ro",
            "created_at": observed, "updated_at": observed})
        base = {"observation_id": n, "option_id": None, "text": None, "moment": None}
        values.append({**base, "id": next(value_id), "field_id": temperature.id,
                       "number": round(rng.gauss(29, 4), 1)})
        values.append({**base, "id": next(value_id), "field_id": surface.id, "number": None,
                       "option_id": rng.choice(surface_ids)})
        for option in rng.sample(shade_ids, rng.randint(0, 2)):
            values.append({**base, "id": next(value_id), "field_id": shade.id,
                           "number": None, "option_id": option})
        values.append({**base, "id": next(value_id), "field_id": water.id,
                       "number": 1.0 if rng.random() < 0.3 else 0.0})
        values.append({**base, "id": next(value_id), "field_id": trees.id,
                       "number": float(rng.randint(0, 40))})
    insert_rows(Contribution.__table__, contributions)
    insert_rows(Observation.__table__, observations)
    lap("observations")
    insert_rows(ObservationValue.__table__, values)
    lap("values")

    dialect = engine.dialect.name
    if dialect == "postgresql":
        for table in ("user_account", "contribution", "science_observation", "science_value"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    lap("commit+analyze")
    facts = {
        "city_slug": CITY_SLUG, "process_slug": PROCESS_SLUG, "process_id": process.id,
        "users": args.users, "observations": args.observations, "statuses": counted,
        "hidden_contributions": hidden, "values": len(values),
        "bounds": list(area_bounds()),
        "fields": {"temperature": temperature.id, "surface": surface.id, "shade": shade.id,
                   "water": water.id, "trees": trees.id},
        "surface_options": surface_ids, "timings_s": timings,
    }
    db.session.close()
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--observations", type=int, default=50_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        facts = seed(args)
    facts["seconds"] = round(time.perf_counter() - started, 1)
    (args.out / "seed.json").write_text(json.dumps(facts, indent=2))
    print(f"seeded {facts['observations']} observations ({facts['values']} values) in "
          f"{facts['seconds']} s ({', '.join(f'{k} {v}' for k, v in facts['timings_s'].items())})")


if __name__ == "__main__":
    main()
