"""The demo's published summary cites two published ideas, and loading twice adds nothing."""

from __future__ import annotations

import pytest

from engage.demo import load_demo_data
from engage.extensions import db
from engage.synthesis.models import Summary, SummaryCitation
from tests.conftest import count

pytestmark = pytest.mark.usefixtures("demo")  # loaded once for the module


def test_the_demo_summary_is_published_with_two_citations_once():
    load_demo_data()
    db.session.commit()
    load_demo_data()
    db.session.commit()
    (summary,) = db.session.scalars(db.select(Summary)).all()
    assert summary.public_version is not None
    assert count(SummaryCitation) == 2


def test_the_demo_contract_is_published_with_actions_pledges_and_evidence():
    from engage.synthesis import contract as contracts
    from engage.synthesis.models import Contract, ContractAction, Pledge

    load_demo_data()
    db.session.commit()
    load_demo_data()
    db.session.commit()
    (sheet,) = db.session.scalars(db.select(Contract)).all()
    assert sheet.status == "published" and count(ContractAction) == 6
    assert {p.status for p in db.session.scalars(db.select(Pledge))} == {"published", "pending"}
    found = contracts.evidence(sheet)
    mobility = next(a for a in sheet.actions if a.code == "MOB-1")
    assert found[("mobility", mobility.id)].items == 2
    plan = contracts.investment_plan(sheet)
    assert plan.funded == sum(a.funded_eur for a in sheet.actions if a.status != "dropped")
