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


def test_the_demo_agree_process_has_two_opinion_groups_and_a_consensus():
    from sqlalchemy import func, select

    from engage.ideas.models import Idea, IdeasSettings, Vote
    from engage.processes.models import Process
    from engage.synthesis.workspace import latest_opinions

    process = db.session.scalars(select(Process).where(
        Process.slug == "energie-in-cartier")).one()
    assert db.session.get(IdeasSettings, process.id).voting_mode == "agree"
    votes = db.session.scalar(select(func.count()).select_from(Vote).join(Idea).where(
        Idea.process_id == process.id))
    load_demo_data()  # the second load adds no vote
    assert db.session.scalar(select(func.count()).select_from(Vote).join(Idea).where(
        Idea.process_id == process.id)) == votes > 200
    run, result, labels = latest_opinions(process)
    assert run is not None and result.k == 2 and result.n_voters == 36
    # The two proposals both camps back are the consensus.
    assert {labels[c.idea_id] for c in result.consensus_agree} >= {
        "Consiliere gratuită pentru renovare în fiecare cartier",
        "Publish every building's energy use on an open map"}
