"""The Climate City Contract's services: the ambition and targets checked, actions with their
funding (every field checked, nothing written on a refusal), the investment plan summed by
source, summaries attached to parts and actions (published summaries of the city only), the
evidence behind an action counted once per item, "you said, we did", pledges signed, checked,
withdrawn and reported on, and "cited in" reaching the contract."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.ideas import services as ideas
from engage.synthesis import contract as contracts
from engage.synthesis import summaries
from engage.synthesis.contract import ContractError
from engage.synthesis.models import (
    ActionFunding,
    ContractAction,
    ContractLink,
    Pledge,
    PledgeProgress,
)
from tests.conftest import count


@pytest.fixture
def sheet(city, organiser):  # noqa: ANN001, ANN201
    contract = contracts.ensure_contract(city)
    contracts.update_contract(contract, organiser, {"ambition_ro": "Neutru climatic în 2030.",
                                                    "target_year": 2030})
    return contract


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["mobility", "buildings"])


def action_values(**more):  # noqa: ANN003, ANN201
    values = {"domain": "mobility", "title_ro": "Piste de biciclete", "lever": "investment",
              "responsible": "Primăria", "start_year": "2026", "end_year": "2028",
              "reduction_t_co2e": "1200,5", "co_benefits": ["health", "air_quality"],
              "cost_eur": "1000000", "status": "planned", "indicators": "km\n\n  trips  \n",
              "funding": [{"source": "pnrr", "amount_eur": "600000", "secured": True},
                          {"source": "municipal", "amount_eur": 300000},
                          {"source": "", "amount_eur": ""}]}
    values.update(more)
    return values


def test_the_ambition_and_targets_are_checked(sheet, organiser):
    contracts.update_contract(sheet, organiser, {
        "ambition_ro": "Text", "target_year": "2030", "baseline_year": "2019",
        "baseline_t_co2e": "1450000.4", "reduction_target_pct": "80"})
    assert (sheet.baseline_year, sheet.baseline_t_co2e, sheet.reduction_target_pct) == (
        2019, 1450000.4, 80)
    for bad in ({"baseline_year": "2035"}, {"reduction_target_pct": "120"},
                {"baseline_t_co2e": "-1"}, {"target_year": "abc"}, {"baseline_t_co2e": "nan"},
                {"ambition_en": "x" * 20_001}, {"reduction_target_pct": "12.5"}):
        with pytest.raises(ContractError):
            contracts.update_contract(sheet, organiser, {"ambition_ro": "Nou", **bad})
    assert sheet.ambition_ro == "Text"


def test_only_the_citys_organisers_edit(sheet, make_user, make_role, city, make_city):
    moderator = make_user()
    make_role(moderator, city, "moderator")
    other = make_user()
    make_role(other, make_city(), "organiser")
    for person in (moderator, other, make_user()):
        with pytest.raises(ContractError):
            contracts.save_action(sheet, person, action_values())
        with pytest.raises(ContractError):
            contracts.set_published(sheet, person, True)
    assert count(ContractAction) == 0 and sheet.status == "draft"


def test_publishing_needs_an_ambition(city, organiser):
    empty = contracts.ensure_contract(city)
    with pytest.raises(ContractError):
        contracts.set_published(empty, organiser, True)
    contracts.update_contract(empty, organiser, {"ambition_en": "Net zero"})
    contracts.set_published(empty, organiser, True)
    assert empty.status == "published" and empty.published_at is not None


def test_an_action_is_saved_with_its_funding_and_a_code(sheet, organiser):
    action = contracts.save_action(sheet, organiser, action_values())
    assert action.code == "MOB-1" and action.reduction_t_co2e == 1200.5
    assert action.co_benefits == ["air_quality", "health"]
    assert action.indicator_list == ["km", "trips"]
    assert [(f.source, f.amount_eur, f.secured) for f in action.funding] == [
        ("pnrr", 600000, True), ("municipal", 300000, False)]
    second = contracts.save_action(sheet, organiser, action_values(title_ro="Străzi școlare"))
    assert second.code == "MOB-2"
    contracts.save_action(sheet, organiser, action_values(
        funding=[{"source": "private", "amount_eur": "5"}]), action)
    assert count(ActionFunding) == 2 + 1 and action.funded_eur == 5  # the old lines went


@pytest.mark.parametrize("bad", [
    {"title_ro": "", "title_en": ""},
    {"title_ro": "x" * 201},
    {"domain": "space"},
    {"lever": "magic"},
    {"co_benefits": ["health", "happiness"]},
    {"start_year": "2029", "end_year": "2027"},
    {"start_year": "1800"},
    {"cost_eur": "-5"},
    {"cost_eur": "10 lei"},
    {"cost_eur": "1e13"},
    {"reduction_t_co2e": "inf"},
    {"funding": [{"source": "pnrr", "amount_eur": "2000000"}]},
    {"funding": [{"source": "lottery", "amount_eur": "5"}]},
    {"funding": [{"source": "pnrr", "amount_eur": "-5"}]},
    {"funding": [{"source": "pnrr", "amount_eur": ""}]},
    {"status": "forgotten"},
    {"code": "<script>"},
])
def test_bad_action_input_is_refused_and_nothing_is_written(app, sheet, organiser, bad):
    with pytest.raises(ContractError) as refused:
        contracts.save_action(sheet, organiser, action_values(**bad))
    with app.test_request_context():
        assert str(refused.value)
    assert count(ContractAction) == 0 and count(ActionFunding) == 0


def test_a_duplicate_code_is_refused(sheet, organiser):
    contracts.save_action(sheet, organiser, action_values(code="MOB-7"))
    with pytest.raises(ContractError):
        contracts.save_action(sheet, organiser, action_values(code="mob-7"))
    assert count(ContractAction) == 1


def test_the_investment_plan_sums_by_source(sheet, organiser):
    contracts.save_action(sheet, organiser, action_values())
    contracts.save_action(sheet, organiser, action_values(
        domain="buildings", cost_eur="500000",
        funding=[{"source": "pnrr", "amount_eur": "100000"}]))
    contracts.save_action(sheet, organiser, action_values(domain="energy", cost_eur=""))
    contracts.save_action(sheet, organiser, action_values(
        status="dropped", funding=[{"source": "pnrr", "amount_eur": "999"}]))
    plan = contracts.investment_plan(sheet)
    rows = {row.source: (row.amount, row.secured, row.actions) for row in plan.rows}
    assert rows == {"pnrr": (1300000, 1200000, 3), "municipal": (600000, 0, 2)}
    assert plan.rows[0].source == "pnrr"
    assert (plan.cost, plan.funded, plan.unknown_cost) == (1500000, 1900000, 1)
    assert plan.by_domain["buildings"] == {"cost": 500000, "funded": 100000, "actions": 1}
    assert plan.gap == 0 and plan.reduction == pytest.approx(3 * 1200.5)


@pytest.fixture
def cited(process, make_user, organiser):  # noqa: ANN001, ANN201
    """Two published summaries citing three ideas (one of them in both)."""
    authors = [make_user() for _ in range(2)]
    found = [ideas.submit_idea(process, authors[i % 2], f"Idee {i}", "", "mobility", "ro")
             for i in range(3)]
    ideas.support(make_user(), found[0])
    first = summaries.create_summary(process, organiser, {
        "title_ro": "Biciclete", "body_ro": f"[[idea:{found[0].id}]] [[idea:{found[1].id}]]"})
    second = summaries.create_summary(process, organiser, {
        "title_ro": "Străzi", "body_ro": f"[[idea:{found[0].id}]] [[idea:{found[2].id}]]"})
    for summary in (first, second):
        summaries.publish(summary, organiser)
    db.session.flush()
    return found, first, second


def test_summaries_attach_to_actions_and_parts_and_the_evidence_counts_items_once(
        sheet, organiser, cited):
    found, first, second = cited
    action = contracts.save_action(sheet, organiser, action_values())
    contracts.attach_summary(sheet, organiser, first.id, None, action.id)
    contracts.attach_summary(sheet, organiser, str(second.id), "ignored", str(action.id))
    contracts.attach_summary(sheet, organiser, first.id, "commitments")
    evidence = contracts.evidence(sheet)
    behind = evidence[("mobility", action.id)]
    assert (behind.items, behind.people, behind.supports) == (3, 2, 1)
    assert [s.id for s, _ in behind.summaries] == [first.id, second.id]
    assert evidence[("commitments", None)].items == 2
    assert evidence[("*", None)].items == 3
    with pytest.raises(ContractError):
        contracts.attach_summary(sheet, organiser, first.id, None, action.id)  # twice
    assert count(ContractLink) == 3


def test_evidence_takes_a_constant_number_of_queries(sheet, organiser, cited,
                                                     count_queries):
    _, first, second = cited
    for n in range(4):
        action = contracts.save_action(sheet, organiser, action_values(title_ro=f"A{n}"))
        contracts.attach_summary(sheet, organiser, (first, second)[n % 2].id, None, action.id)
    db.session.expire_all()
    with count_queries() as queries:
        contracts.evidence(sheet)
    assert queries.n <= 5


def test_only_published_summaries_of_the_city_attach(sheet, organiser, process, cited,
                                                     make_city, make_process, make_user,
                                                     make_role):
    draft = summaries.create_summary(process, organiser, {"title_ro": "Ciornă",
                                                          "body_ro": "Text"})
    elsewhere = make_city()
    boss = make_user()
    make_role(boss, elsewhere, "organiser")
    foreign = summaries.create_summary(make_process(elsewhere, kind="ideas"), boss,
                                       {"title_ro": "Alt oraș", "body_ro": "Text"})
    summaries.publish(foreign, boss)
    other_sheet = contracts.ensure_contract(elsewhere)
    other_contracts_action = contracts.save_action(other_sheet, boss, action_values())
    _, first, _ = cited
    for summary_id, section, action_id in (
            (draft.id, "commitments", None), (foreign.id, "commitments", None),
            ("abc", "commitments", None), (999999, "commitments", None),
            (first.id, "nowhere", None), (first.id, None, other_contracts_action.id),
            (first.id, None, "x")):
        with pytest.raises(ContractError):
            contracts.attach_summary(sheet, organiser, summary_id, section, action_id)
    assert count(ContractLink) == 0
    assert [s.id for s in contracts.attachable_summaries(sheet)] == sorted(
        [s.id for s in cited[1:]], reverse=True)


def test_you_said_we_did_pairs_summaries_with_actions(sheet, organiser, cited):
    _, first, second = cited
    bikes = contracts.save_action(sheet, organiser, action_values())
    contracts.save_action(sheet, organiser, action_values(title_ro="Nimic încă"))
    contracts.save_action(sheet, organiser, action_values(domain="waste", status="done"))
    contracts.attach_summary(sheet, organiser, first.id, None, bikes.id)
    contracts.attach_summary(sheet, organiser, second.id, "mobility")
    entries = {entry.domain: entry for entry in contracts.you_said_we_did(sheet)}
    assert set(entries) == {"mobility", "waste"}
    assert [s.id for s, _ in entries["mobility"].said] == [first.id, second.id]
    assert [a.id for a, _ in entries["mobility"].done] == [bikes.id]
    assert entries["mobility"].done[0][1].items == 2
    assert entries["waste"].said == [] and len(entries["waste"].done) == 1


def test_cited_in_reaches_the_published_contract(app, sheet, organiser, cited):
    from engage.core import citations

    found, first, _ = cited
    action = contracts.save_action(sheet, organiser, action_values())
    contracts.attach_summary(sheet, organiser, first.id, None, action.id)
    with app.test_request_context():
        places = citations.cited_in("idea", [found[1].id])[found[1].id]
        assert [p.title for p in places] == ["Biciclete"]  # the contract is a draft
        contracts.set_published(sheet, organiser, True)
        places = citations.cited_in("idea", [found[1].id])[found[1].id]
        assert len(places) == 2 and "MOB-1" in places[1].title
        assert places[1].url.endswith(f"/contract/actions/{action.id}")


# ---------------------------------------------------------------- pledges


def pledge_values(**more):  # noqa: ANN003, ANN201
    values = {"organisation": "Asociația Pedalăm", "stakeholder_type": "civil_society",
              "level": "partner", "commitment": "Organizăm ture lunare cu bicicleta.",
              "language": "ro", "signatory_name": "Ana Pop", "website": "https://pedalam.ro"}
    values.update(more)
    return values


@pytest.fixture
def public_sheet(sheet, organiser):  # noqa: ANN001, ANN201
    return contracts.set_published(sheet, organiser, True)


def test_a_pledge_is_signed_checked_and_reported_on(public_sheet, organiser, make_user):
    signer = make_user()
    pledge = contracts.sign_pledge(public_sheet, signer, pledge_values())
    assert pledge.status == "pending" and contracts.public_pledges(public_sheet)["partner"] == []
    with pytest.raises(ContractError):
        contracts.report_progress(pledge, signer, {"percent": 10, "text": "Început"})
    contracts.decide_pledge(pledge, organiser, True)
    assert contracts.public_pledges(public_sheet)["partner"] == [pledge]
    with pytest.raises(ContractError):
        contracts.decide_pledge(pledge, organiser, False, "Nu")  # decided already
    contracts.report_progress(pledge, signer, {"percent": "30", "text": "Trei ture"})
    with pytest.raises(ContractError):
        contracts.report_progress(pledge, signer, {"percent": "30", "text": "Trei ture"})
    with pytest.raises(ContractError):
        contracts.report_progress(pledge, make_user(), {"percent": "40", "text": "Altcineva"})
    for bad in ({"percent": "101", "text": "x"}, {"percent": "", "text": "x"},
                {"percent": "50", "text": ""}, {"percent": "5.5", "text": "x"}):
        with pytest.raises(ContractError):
            contracts.report_progress(pledge, signer, bad)
    assert count(PledgeProgress) == 1 and pledge.latest_progress.percent == 30
    contracts.withdraw_pledge(pledge, signer)
    assert pledge.status == "withdrawn"


@pytest.mark.parametrize("bad", [
    {"organisation": ""}, {"organisation": "x" * 201}, {"stakeholder_type": "citizen"},
    {"level": "emperor"}, {"commitment": "Da."}, {"commitment": "x" * 2001},
    {"website": "javascript:alert(1)"}, {"language": "fr"}, {"signatory_name": ""},
    {"level": "champion"}, {"action_id": "999999"}, {"reduction_t_co2e": "-3"},
])
def test_bad_pledges_are_refused(public_sheet, make_user, bad):
    with pytest.raises(ContractError):
        contracts.sign_pledge(public_sheet, make_user(), pledge_values(**bad))
    assert count(Pledge) == 0


def test_pledges_open_with_the_contract_once_per_organisation(sheet, organiser, make_user):
    signer = make_user()
    with pytest.raises(ContractError):
        contracts.sign_pledge(sheet, signer, pledge_values())  # a draft contract
    contracts.set_published(sheet, organiser, True)
    contracts.sign_pledge(sheet, signer, pledge_values())
    with pytest.raises(ContractError):
        contracts.sign_pledge(sheet, make_user(), pledge_values(organisation="ASOCIATIA  pedalam"))
    assert count(Pledge) == 1


def test_one_person_cannot_flood_the_citys_check(public_sheet, make_user):
    signer = make_user()
    for n in range(contracts.PENDING_PLEDGES_MAX):
        contracts.sign_pledge(public_sheet, signer, pledge_values(organisation=f"Firma {n}"))
    with pytest.raises(ContractError):
        contracts.sign_pledge(public_sheet, signer, pledge_values(organisation="Încă una"))


def test_declining_needs_a_reason_and_only_organisers_decide(public_sheet, organiser,
                                                             make_user, make_role, city):
    pledge = contracts.sign_pledge(public_sheet, make_user(), pledge_values())
    moderator = make_user()
    make_role(moderator, city, "moderator")
    with pytest.raises(ContractError):
        contracts.decide_pledge(pledge, moderator, True)
    with pytest.raises(ContractError):
        contracts.decide_pledge(pledge, organiser, False, "  ")
    contracts.decide_pledge(pledge, organiser, False, "Organizația nu există.")
    assert pledge.status == "rejected" and pledge.decision_note
