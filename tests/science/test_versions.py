"""The science data version (`science.versions`) is raised by new observations, verification
and protocol changes, once per transaction, and not by a rollback."""

from __future__ import annotations

from sqlalchemy import select

from engage.extensions import db
from engage.science.models import ScienceSettings
from engage.science.versions import data_changed
from tests.science.conftest import add_field, add_observation


def version(process) -> int:  # noqa: ANN001
    db.session.expire_all()
    return db.session.scalar(select(ScienceSettings.data_version)
                             .where(ScienceSettings.process_id == process.id))


def test_observations_verification_and_protocol_raise_it(campaign, protocol, make_user):
    before = version(campaign)
    observation = add_observation(campaign, make_user(), status="pending",
                                  values=[(protocol["temperature"], 30)])
    assert version(campaign) == before + 1
    observation.status = "accepted"
    db.session.commit()
    assert version(campaign) == before + 2
    add_field(campaign, "count", "Păsări")
    db.session.commit()
    assert version(campaign) == before + 3


def test_once_per_transaction_and_never_on_rollback(campaign, protocol, make_user):
    people = [make_user() for _ in range(4)]
    before = version(campaign)
    for person in people[:3]:
        add_observation(campaign, person, commit=False)
    data_changed(campaign.id)
    db.session.commit()
    assert version(campaign) == before + 1
    add_observation(campaign, people[3], commit=False)
    db.session.rollback()
    db.session.commit()
    assert version(campaign) == before + 1
