"""Demo citizen-science campaigns for `flask demo-data`: Suceava's heat map (open: settings, a
protocol of every common field type and about 60 observations, a few outside the area, most
accepted, some waiting, one rejected) and Cluj-Napoca's closed air-quality campaign (a PM2.5
protocol and 40 accepted observations).

Loaded once per campaign: nothing is added when the process already has fields.
"""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science.geo import box_polygon, contains
from engage.science.models import (
    Field,
    FieldOption,
    Observation,
    ObservationValue,
    ScienceSettings,
    public_position,
    value_rows,
)

SUCEAVA = ("suceava", "harta-caldurii")
CLUJ = ("cluj-napoca", "senzori-calitatea-aerului")
CITIZENS = ("cetatean@engage.test", "citizen@engage.test")
MODERATOR = "moderator@engage.test"

# (south, west, north, east) around the city of Suceava and of Cluj-Napoca.
SUCEAVA_BOX = (47.615, 26.200, 47.690, 26.310)
CLUJ_BOX = (46.730, 23.510, 46.810, 23.680)


def load(users: dict[str, Any], processes: dict[tuple[str, str], Process], tally: Any) -> None:
    for key, loader in ((SUCEAVA, _heat_map), (CLUJ, _air_quality)):
        process = processes.get(key)
        if process is None:
            continue
        exists = db.session.scalar(
            select(func.count()).select_from(Field).where(Field.process_id == process.id))
        if exists:
            tally.add("science campaigns", "unchanged")
            continue
        loader(process, users)
        db.session.flush()
        tally.add("science campaigns", "created")


def _settings(process: Process, **values: Any) -> ScienceSettings:
    settings = db.session.get(ScienceSettings, process.id)
    if settings is None:
        settings = ScienceSettings(process_id=process.id)
        db.session.add(settings)
    for name, value in values.items():
        setattr(settings, name, value)
    if not settings.pseudonym_key:
        settings.pseudonym_key = secrets.token_hex(32)
    db.session.flush()
    return settings


def _field(process: Process, position: int, type_: str, label_ro: str, label_en: str, *,
           help_ro: str = "", help_en: str = "", required: bool = False,
           settings: dict[str, Any] | None = None,
           options: tuple[tuple[str, str], ...] = ()) -> Field:
    field = Field(process_id=process.id, position=position, type=type_, label_ro=label_ro,
                  label_en=label_en, help_ro=help_ro, help_en=help_en, required=required,
                  settings=settings or {})
    db.session.add(field)
    db.session.flush()
    for n, (ro, en) in enumerate(options):
        db.session.add(FieldOption(field_id=field.id, position=n, label_ro=ro, label_en=en))
    db.session.flush()
    db.session.refresh(field)
    return field


def _observation(process: Process, settings: ScienceSettings, user: Any, *, lat: float,
                 lon: float, accuracy: float, observed_at: Any, status: str,
                 values: list[tuple[Field, Any]], note: str = "", flags: list[str] | None = None,
                 reason: str = "", verifier: Any = None) -> Observation:
    in_area = contains(settings.area, lat, lon) if settings.area else None
    flags = list(flags or [])
    if in_area is False:
        flags.append("outside_area")
    created = observed_at + timedelta(minutes=3)
    contribution = Contribution(kind="observation", process_id=process.id,
                                city_id=process.city_id, author_id=user.id, language="ro",
                                text=note, status="published", created_at=created)
    db.session.add(contribution)
    db.session.flush()
    public_lat, public_lon = public_position(lat, lon, settings.public_precision)
    observation = Observation(
        process_id=process.id, city_id=process.city_id, user_id=user.id,
        contribution_id=contribution.id, client_id=str(uuid.uuid4()), lat=lat, lon=lon,
        accuracy_m=accuracy, location_source="gps", public_lat=public_lat,
        public_lon=public_lon, in_area=in_area, observed_at=observed_at, status=status,
        reason=reason, flags=flags, language="ro", created_at=created, updated_at=created,
        verified_by_id=verifier.id if verifier is not None and status != "pending" else None,
        verified_at=created + timedelta(hours=2) if verifier is not None
        and status != "pending" else None,
    )
    db.session.add(observation)
    db.session.flush()
    db.session.add_all([
        ObservationValue(observation_id=observation.id, field_id=field.id, **row)
        for field, value in values for row in value_rows(field, value)
    ])
    return observation


def _heat_map(process: Process, users: dict[str, Any]) -> None:
    settings = _settings(
        process,
        instructions_ro=(
            "Măsurați temperatura aerului **la umbră**, la aproximativ 1,5 m de sol, după ce "
            "termometrul a stat două minute în locul respectiv.\n\n"
            "- Alegeți locuri pe care le folosiți des: curtea școlii, parcul, stația de autobuz.\n"
            "- Nu vă puneți în pericol și nu intrați pe proprietăți private.\n"
            "- O fotografie a locului (fără persoane) ne ajută la verificare."),
        instructions_en=(
            "Measure the air temperature **in the shade**, about 1.5 m above the ground, once "
            "the thermometer has been in place for two minutes.\n\n"
            "- Choose places you use often: the schoolyard, the park, the bus stop.\n"
            "- Stay safe and do not enter private property.\n"
            "- A photo of the place (with no people in it) helps us check the reading."),
        licence="CC-BY-4.0",
        dataset_title_ro="Temperaturi măsurate de locuitori în Suceava",
        dataset_title_en="Temperatures measured by residents in Suceava",
        dataset_description_ro=(
            "Temperatura aerului la umbră, tipul locului, umbra și vegetația din jur, măsurate "
            "de locuitori în cartierele Sucevei în timpul verii."),
        dataset_description_en=(
            "Shade air temperature, the kind of place, shade and vegetation around it, measured "
            "by residents in Suceava's neighbourhoods during the summer."),
        rights_holder="Primăria Municipiului Suceava",
        contact_email="date.deschise@engage.test",
        method_ro="Termometre de buzunar, citite la umbră după două minute.",
        method_en="Pocket thermometers, read in the shade after two minutes.",
        location_required=True, min_accuracy_m=50, area=box_polygon(*SUCEAVA_BOX),
        public_precision="100m", burst_count=20, burst_minutes=10,
    )
    temperature = _field(
        process, 0, "number", "Temperatura aerului", "Air temperature", required=True,
        help_ro="La umbră, la 1,5 m de sol.", help_en="In the shade, 1.5 m above the ground.",
        settings={"unit_ro": "°C", "unit_en": "°C", "min": -30, "max": 60, "decimals": 1,
                  "expected_min": -10, "expected_max": 45})
    place = _field(
        process, 1, "single", "Tipul locului", "Kind of place", required=True,
        options=(("Curte de școală", "Schoolyard"), ("Parc", "Park"),
                 ("Stație de autobuz", "Bus stop"), ("Parcare", "Car park"),
                 ("Stradă", "Street")))
    shade = _field(
        process, 2, "multiple", "Umbra vine de la", "Shade comes from",
        help_ro="Bifați tot ce se potrivește.", help_en="Tick everything that applies.",
        options=(("Copaci", "Trees"), ("Clădiri", "Buildings"), ("Copertină", "Canopy"),
                 ("Nimic", "Nothing")))
    trees = _field(process, 3, "count", "Copaci pe o rază de 20 m", "Trees within 20 m",
                   settings={"expected_max": 100})
    water = _field(process, 4, "yes_no", "Apă în apropiere (fântână, râu)",
                   "Water nearby (fountain, river)")
    note = _field(process, 5, "text", "Observații", "Notes", settings={"max_length": 300})
    _field(process, 6, "photo", "Fotografia locului", "Photo of the place",
           help_ro="Fără persoane în cadru.", help_en="With no people in the picture.",
           settings={"max_photos": 2})

    chance = random.Random(2026)
    people = [users[email] for email in CITIZENS if email in users]
    moderator = users.get(MODERATOR)
    if not people:
        return
    notes = ["", "", "", "Asfalt încins, fără nicio umbră.", "Briză plăcută lângă râu.",
             "Stația nu are copertină.", "Multă lume așteaptă la soare.", ""]
    start = process.opens_at
    south, west, north, east = SUCEAVA_BOX
    for number in range(62):
        outside = number in (7, 29, 51)
        if outside:
            lat = round(north + chance.uniform(0.01, 0.04), 6)
            lon = round(east + chance.uniform(0.01, 0.05), 6)
        else:
            lat = round(chance.uniform(south + 0.005, north - 0.005), 6)
            lon = round(chance.uniform(west + 0.005, east - 0.005), 6)
        kind = chance.choices(place.options, weights=[3, 4, 3, 2, 3])[0]
        shaded = [o for o in shade.options[:3] if chance.random() < 0.4] or [shade.options[3]]
        tree_count = chance.randint(0, 40) if kind.position == 1 else chance.randint(0, 8)
        base = 27.0 if kind.position in (2, 3, 4) else 23.5
        reading = round(base + chance.gauss(0, 2.5) - 0.08 * tree_count, 1)
        flags: list[str] = []
        status = chance.choices(["accepted", "pending", "needs_checking"],
                                weights=[8, 2, 1])[0]
        reason = ""
        if number == 40:
            reading = 47.5
            flags.append("out_of_range")
            status = "needs_checking"
        if outside:
            status = "needs_checking" if number != 51 else "pending"
        if number == 13:
            status, reason = "rejected", ("Termometrul a stat în soare: valoarea nu poate fi "
                                          "comparată cu celelalte.")
        day = chance.randint(0, 4)
        observed_at = start + timedelta(days=day, hours=chance.randint(2, 12),
                                        minutes=chance.randint(0, 59))
        text = chance.choice(notes)
        _observation(
            process, settings, people[number % len(people)], lat=lat, lon=lon,
            accuracy=float(chance.randint(4, 35)), observed_at=observed_at, status=status,
            values=[(temperature, reading), (place, kind), (shade, shaded),
                    (trees, tree_count), (water, chance.random() < 0.2),
                    (note, text or None)],
            note=text, flags=flags, reason=reason, verifier=moderator)


def _air_quality(process: Process, users: dict[str, Any]) -> None:
    settings = _settings(
        process,
        instructions_ro=(
            "Așezați senzorul la 1–2 m de sol, departe de gurile de evacuare, și notați media "
            "după cinci minute."),
        instructions_en=(
            "Place the sensor 1–2 m above the ground, away from exhausts, and record the "
            "average after five minutes."),
        licence="CC0-1.0",
        dataset_title_ro="Particule fine PM2.5 măsurate de locuitori în Cluj-Napoca",
        dataset_title_en="Fine particles (PM2.5) measured by residents in Cluj-Napoca",
        dataset_description_ro="Medii pe cinci minute ale PM2.5 lângă școli și intersecții.",
        dataset_description_en="Five-minute PM2.5 averages near schools and junctions.",
        rights_holder="Primăria Municipiului Cluj-Napoca",
        contact_email="aer@engage.test",
        method_ro="Senzori optici portabili, calibrați înainte de campanie.",
        method_en="Portable optical sensors, calibrated before the campaign.",
        location_required=True, min_accuracy_m=30, area=box_polygon(*CLUJ_BOX),
        public_precision="100m",
    )
    pm25 = _field(
        process, 0, "number", "PM2.5 (media pe 5 minute)", "PM2.5 (5-minute average)",
        required=True, settings={"unit_ro": "µg/m³", "unit_en": "µg/m³", "min": 0,
                                 "max": 500, "decimals": 1, "expected_min": 0,
                                 "expected_max": 75})
    near = _field(
        process, 1, "single", "Lângă", "Near", required=True,
        options=(("Școală", "School"), ("Intersecție aglomerată", "Busy junction"),
                 ("Parc", "Park"), ("Zonă rezidențială", "Residential street")))
    traffic = _field(process, 2, "yes_no", "Trafic intens în acel moment",
                     "Heavy traffic at the time")
    chance = random.Random(2025)
    people = [users[email] for email in CITIZENS if email in users]
    moderator = users.get(MODERATOR)
    if not people:
        return
    south, west, north, east = CLUJ_BOX
    for number in range(40):
        kind = chance.choice(near.options)
        busy = kind.position == 1 or chance.random() < 0.3
        value = round(max(2.0, chance.gauss(28 if busy else 14, 6)), 1)
        observed_at = process.opens_at + timedelta(days=chance.randint(1, 160),
                                                   hours=chance.randint(2, 13))
        _observation(
            process, settings, people[number % len(people)],
            lat=round(chance.uniform(south + 0.005, north - 0.005), 6),
            lon=round(chance.uniform(west + 0.005, east - 0.005), 6),
            accuracy=float(chance.randint(3, 20)), observed_at=observed_at,
            status="accepted", values=[(pm25, value), (near, kind), (traffic, busy)],
            verifier=moderator)
