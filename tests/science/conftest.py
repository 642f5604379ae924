"""Fixtures for the citizen-science tests: a city, an open science campaign with settings and a
protocol of every field type, built directly from the models (so every part's tests can use it
without the protocol services), and a helper to store an observation row directly."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution
from engage.science.models import (
    Field,
    FieldOption,
    Observation,
    ObservationValue,
    ScienceSettings,
    public_position,
    value_rows,
)
from tests.conftest import count  # noqa: F401  (the feature's tests import it from here)


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city()


# A box around central Bucharest, as the campaign's area (GeoJSON Polygon, [lon, lat]).
AREA = {"type": "Polygon", "coordinates": [[[26.0, 44.38], [26.2, 44.38], [26.2, 44.5],
                                            [26.0, 44.5], [26.0, 44.38]]]}
INSIDE = (44.43, 26.1)  # (lat, lon)
OUTSIDE = (45.75, 21.23)  # Timișoara


def add_field(process, type_, label, *, required=False, settings=None, options=(),  # noqa: ANN001, ANN201
              position=None, help_ro=""):
    if position is None:
        position = count(Field, Field.process_id == process.id)
    field = Field(process_id=process.id, position=position, type=type_, label_ro=label,
                  label_en=f"{label} (en)", help_ro=help_ro, required=required,
                  settings=settings or {})
    db.session.add(field)
    db.session.flush()
    for n, option in enumerate(options):
        db.session.add(FieldOption(field_id=field.id, position=n, label_ro=option,
                                   label_en=f"{option} (en)"))
    db.session.flush()
    db.session.refresh(field)
    return field


@pytest.fixture
def campaign(make_process, city):  # noqa: ANN001, ANN201
    """An open, published science process (post-moderation) with its settings: CC BY 4.0,
    ~100 m public precision, the AREA box, location required with 50 m accuracy."""
    process = make_process(city, kind="science", themes=["climate_adaptation"],
                           title_ro="Insulele de căldură", title_en="Heat islands")
    db.session.add(ScienceSettings(
        process_id=process.id, instructions_ro="Măsurați la umbră.",
        instructions_en="Measure in the shade.", licence="CC-BY-4.0",
        dataset_title_ro="Temperaturi", dataset_title_en="Temperatures",
        rights_holder="Primăria", contact_email="date@example.org", location_required=True,
        min_accuracy_m=50, area=AREA, public_precision="100m",
        pseudonym_key=uuid.uuid4().hex))
    db.session.commit()
    return process


@pytest.fixture
def protocol(campaign):  # noqa: ANN001, ANN201
    """One field of every type, by name."""
    fields = {
        "temperature": add_field(campaign, "number", "Temperatura", required=True, settings={
            "unit_ro": "°C", "unit_en": "°C", "min": -40, "max": 60, "decimals": 1,
            "expected_min": -10, "expected_max": 45}),
        "trees": add_field(campaign, "count", "Copaci", settings={"expected_max": 200}),
        "surface": add_field(campaign, "single", "Suprafața", required=True,
                             options=["Asfalt", "Iarbă", "Pavaj"]),
        "shade": add_field(campaign, "multiple", "Umbră de la", options=["Copaci", "Clădiri",
                                                                          "Copertine"]),
        "water": add_field(campaign, "yes_no", "Apă în apropiere"),
        "note": add_field(campaign, "text", "Observații", settings={"max_length": 300}),
        "when": add_field(campaign, "datetime", "Momentul măsurării"),
        "photo": add_field(campaign, "photo", "Fotografie", settings={"max_photos": 2}),
    }
    db.session.commit()
    return fields


def add_observation(process, user=None, *, lat=INSIDE[0], lon=INSIDE[1], status="accepted",  # noqa: ANN001, ANN201, E501
                    values=(), accuracy=10.0, observed_at=None, flags=(), text="",
                    contribution_status="published", commit=True):
    """One observation row stored directly (no validation): `values` are (field, value)
    pairs — number → float, single → FieldOption, multiple → [FieldOption], yes_no → bool,
    text → str, datetime → datetime."""
    settings = db.session.get(ScienceSettings, process.id)
    contribution = Contribution(kind="observation", process_id=process.id,
                                city_id=process.city_id, author_id=user.id if user else None,
                                language="ro", text=text, status=contribution_status)
    db.session.add(contribution)
    db.session.flush()
    public_lat, public_lon = public_position(
        lat, lon, settings.public_precision if settings else "exact")
    observation = Observation(
        process_id=process.id, city_id=process.city_id, user_id=user.id if user else None,
        contribution_id=contribution.id, client_id=uuid.uuid4().hex, lat=lat, lon=lon,
        accuracy_m=accuracy, location_source="gps", public_lat=public_lat,
        public_lon=public_lon, in_area=True, observed_at=observed_at or utcnow()
        - timedelta(minutes=5), status=status, flags=list(flags))
    db.session.add(observation)
    db.session.flush()
    db.session.add_all([
        ObservationValue(observation_id=observation.id, field_id=field.id, **row)
        for field, value in values for row in value_rows(field, value)
    ])
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return observation
