"""The science demo data: what it loads, and that loading it twice duplicates nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.cities.models import City
from engage.demo import load_demo_data
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science import geo
from engage.science.models import (
    Field,
    FieldOption,
    Observation,
    ObservationValue,
    ScienceSettings,
    pseudonym,
)
from tests.science.conftest import count

pytestmark = pytest.mark.usefixtures("demo")  # loaded once for the module


MODELS = (ScienceSettings, Field, FieldOption, Observation, ObservationValue)


def process(city_slug: str, slug: str) -> Process:
    return db.session.scalars(
        select(Process).join(City, City.id == Process.city_id)
        .where(City.slug == city_slug, Process.slug == slug)).one()


def test_demo_loads_twice_without_duplicates():
    load_demo_data()
    db.session.commit()
    first = {model.__name__: count(model) for model in MODELS}
    contributions = count(Contribution, Contribution.kind == "observation")
    summary = load_demo_data()
    db.session.commit()
    assert {model.__name__: count(model) for model in MODELS} == first
    assert count(Contribution, Contribution.kind == "observation") == contributions
    assert "science campaigns 0 created, 0 updated" in summary


def test_heat_map_campaign():
    load_demo_data()
    db.session.commit()
    heat = process("suceava", "harta-caldurii")
    settings = db.session.get(ScienceSettings, heat.id)
    assert settings.licence == "CC-BY-4.0"
    assert settings.public_precision == "100m"
    assert settings.min_accuracy_m == 50 and settings.location_required
    assert len(settings.pseudonym_key) == 64
    assert settings.instructions_ro and settings.instructions_en
    fields = db.session.scalars(
        select(Field).where(Field.process_id == heat.id).order_by(Field.position)).all()
    assert [f.type for f in fields] == ["number", "single", "multiple", "count", "yes_no",
                                         "text", "photo"]
    assert fields[0].settings["decimals"] == 1
    observations = db.session.scalars(
        select(Observation).where(Observation.process_id == heat.id)).all()
    assert 55 <= len(observations) <= 70
    outside = [o for o in observations if not o.in_area]
    assert 1 <= len(outside) <= 5
    for observation in observations:
        assert geo.contains(settings.area, observation.lat, observation.lon) == \
            observation.in_area
        assert ("outside_area" in observation.flags) == (not observation.in_area)
        assert observation.public_lat == round(observation.lat, 3)
        assert observation.contribution.kind == "observation"
        assert observation.contribution.status == "published"
    statuses = [o.status for o in observations]
    assert statuses.count("accepted") > len(observations) / 2
    assert "pending" in statuses and "needs_checking" in statuses
    rejected = [o for o in observations if o.status == "rejected"]
    assert len(rejected) == 1 and rejected[0].reason
    assert pseudonym(settings, observations[0].user_id).startswith("observer-")


def test_air_quality_campaign():
    load_demo_data()
    db.session.commit()
    air = process("cluj-napoca", "senzori-calitatea-aerului")
    assert air.status == "closed"
    observations = db.session.scalars(
        select(Observation).where(Observation.process_id == air.id)).all()
    assert len(observations) == 40
    assert {o.status for o in observations} == {"accepted"}
    field = db.session.scalars(
        select(Field).where(Field.process_id == air.id, Field.position == 0)).one()
    assert field.settings["unit_en"] == "µg/m³"
