"""The organisers' pages of the Climate City Contract: who may open them, the ambition and
targets, publishing, actions with funding lines and co-benefits (hostile and forged input
refused with a 422 and nothing changed), summaries attached and detached, pledges accepted and
declined, and a manage page whose query count does not grow with the number of actions."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.ideas import services as ideas
from engage.synthesis import contract as services
from engage.synthesis import summaries
from engage.synthesis.models import (
    ActionFunding,
    Contract,
    ContractAction,
    ContractLink,
    Pledge,
)
from tests.conftest import count


@pytest.fixture
def staff(client, login_as, organiser):  # noqa: ANN001, ANN201
    """The client, signed in as the city's organiser."""
    return login_as(client, organiser)


@pytest.fixture
def contract(city):  # noqa: ANN001, ANN201
    found = services.ensure_contract(city)
    db.session.commit()
    return found


@pytest.fixture
def make_summary(make_process, make_user):  # noqa: ANN001, ANN201
    """`make_summary(city, author, published=True)`: a summary citing one published idea."""

    def factory(city, author, published: bool = True):  # noqa: ANN001, ANN202
        process = make_process(city, kind="ideas", themes=["mobility"])
        idea = ideas.submit_idea(process, make_user(), "Piste de biciclete",
                                 "Separate de trafic.", "mobility", "ro")
        summary = summaries.create_summary(process, author, {
            "topic": "Mobilitate", "theme": "mobility", "title_ro": "Pistele de biciclete",
            "title_en": "Bike lanes", "body_ro": f"- Piste separate [[idea:{idea.id}]]",
            "body_en": ""})
        if published:
            summaries.publish(summary, author)
        db.session.commit()
        return summary

    return factory


def manage_url(city) -> str:  # noqa: ANN001
    return f"/{city.slug}/manage/contract"


def page_text(response) -> str:  # noqa: ANN001
    return html.unescape(response.get_data(as_text=True))


def action_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "domain": "mobility", "code": "", "title_ro": "Piste de biciclete protejate",
        "title_en": "Protected bike lanes", "description_ro": "Pe axele principale.",
        "description_en": "", "lever": "investment", "responsible": "Primăria",
        "start_year": "2025", "end_year": "2028", "reduction_t_co2e": "1200.5",
        "co_benefits": ["air_quality", "health"], "cost_eur": "1000000",
        "funding-0-source": "eu_cohesion", "funding-0-amount_eur": "600000",
        "funding-0-secured": "y",
        "funding-1-source": "municipal", "funding-1-amount_eur": "200000",
        "funding-2-source": "", "funding-2-amount_eur": "",
        "indicators": "km of bike lanes\n\ncyclists per day\n", "status": "planned",
        "progress_note": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def add_action(contract, organiser, **changes):  # noqa: ANN001, ANN003, ANN201
    values = {"domain": "mobility", "title_ro": "Acțiune", "lever": "investment",
              "status": "planned", "cost_eur": 100, **changes}
    action = services.save_action(contract, organiser, values)
    db.session.commit()
    return action


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("who, status", [
    ("organiser", 200), ("moderator", 403), ("other_organiser", 403), ("citizen", 403),
    ("admin", 200), ("anonymous", 302)])
def test_only_the_citys_organisers_open_the_contract_pages(
        client, login_as, make_user, make_role, make_city, city, organiser, who, status):
    users = {"organiser": organiser, "citizen": make_user(), "admin": make_user(admin=True)}
    users["moderator"] = make_user()
    make_role(users["moderator"], city, "moderator")
    users["other_organiser"] = make_user()
    make_role(users["other_organiser"], make_city(), "organiser")
    if who != "anonymous":
        login_as(client, users[who])
    for url in (manage_url(city), manage_url(city) + "/actions/new"):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert "/account/login" in response.headers["Location"]
    response = client.post_form(manage_url(city) + "/publish", {"published": "1"})
    assert response.status_code in ((status,) if status != 200 else (422,))
    # Only an organiser's visit creates the draft.
    assert count(Contract) == (1 if status == 200 else 0)


def test_another_citys_organiser_reaches_no_object_of_this_city(
        client, login_as, make_user, make_role, make_city, city, organiser, contract):
    action = add_action(contract, organiser)
    other_city = make_city()
    stranger = make_user()
    make_role(stranger, other_city, "organiser")
    login_as(client, stranger)
    # Through its own city's URL, this city's action is a 404.
    assert client.get(f"{manage_url(other_city)}/actions/{action.id}").status_code == 404
    assert client.post_form(f"{manage_url(other_city)}/actions/{action.id}/delete"
                            ).status_code == 404
    assert count(ContractAction) == 1


def test_the_dashboard_links_to_the_contract(staff, city):
    page = staff.get(f"/{city.slug}/manage/").get_data(as_text=True)
    assert f'href="/{city.slug}/manage/contract"' in page
    assert "Climate City Contract" in page


# ---------------------------------------------------------------- the contract


def test_the_first_visit_creates_the_draft_and_the_targets_are_saved(staff, city):
    response = staff.get(manage_url(city))
    assert response.status_code == 200
    contract = db.session.scalar(select(Contract).where(Contract.city_id == city.id))
    assert contract.status == "draft"
    response = staff.post_form(manage_url(city), {
        "ambition_ro": "Neutru climatic până în 2030.", "ambition_en": "",
        "target_year": "2030", "baseline_year": "2019", "baseline_t_co2e": "1250000.5",
        "reduction_target_pct": "80"})
    assert response.status_code == 303
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert (contract.ambition_ro, contract.baseline_year, contract.baseline_t_co2e,
            contract.reduction_target_pct) == ("Neutru climatic până în 2030.", 2019,
                                               1250000.5, 80)
    page = page_text(staff.get(manage_url(city)))
    assert "Neutru climatic până în 2030." in page


@pytest.mark.parametrize("changes, message", [
    ({"target_year": "2010"}, "The target year must be between 2025 and 2100."),
    ({"baseline_year": "2031"}, "The baseline year must come before the target year."),
    ({"reduction_target_pct": "120"}, "The reduction target is a whole number of per cent"),
    ({"baseline_t_co2e": "many"}, "The baseline emissions must be a number"),
])
def test_bad_targets_are_refused_and_nothing_changes(staff, city, contract, changes, message):
    data = {"ambition_ro": "Nou", "target_year": "2030", "baseline_year": "2019",
            "baseline_t_co2e": "", "reduction_target_pct": "", **changes}
    response = staff.post_form(manage_url(city), data)
    assert response.status_code == 422
    assert message in page_text(response)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).ambition_ro == ""


def test_publishing_needs_an_ambition_then_goes_both_ways(staff, city, contract):
    response = staff.post_form(manage_url(city) + "/publish", {"published": "1"})
    assert response.status_code == 422
    assert "Write the city's ambition before publishing the contract." in page_text(response)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "draft"
    contract.ambition_en = "Climate neutral by 2030."
    db.session.commit()
    assert staff.post_form(manage_url(city) + "/publish",
                           {"published": "1"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "published"
    assert "Take the contract back to draft" in page_text(staff.get(manage_url(city)))
    assert staff.post_form(manage_url(city) + "/publish",
                           {"published": "0"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "draft"


# ---------------------------------------------------------------- actions


def test_an_action_is_created_edited_and_deleted_with_its_funding(staff, city, contract):
    page = staff.get(manage_url(city) + "/actions/new")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="funding-3-source"' in text and 'name="co_benefits"' in text
    assert 'selected value="energy"' in staff.get(
        manage_url(city) + "/actions/new?domain=energy").get_data(as_text=True)
    response = staff.post_form(manage_url(city) + "/actions/new", action_data())
    assert response.status_code == 303, page_text(response)
    action = db.session.scalar(select(ContractAction))
    assert (action.code, action.domain, action.title_en, action.start_year, action.end_year,
            action.reduction_t_co2e, action.cost_eur) == (
        "MOB-1", "mobility", "Protected bike lanes", 2025, 2028, 1200.5, 1_000_000)
    assert action.co_benefits == ["air_quality", "health"]
    assert action.indicator_list == ["km of bike lanes", "cyclists per day"]
    assert [(f.source, f.amount_eur, f.secured) for f in action.funding] == [
        ("eu_cohesion", 600_000, True), ("municipal", 200_000, False)]

    edit_url = f"{manage_url(city)}/actions/{action.id}"
    form = staff.get(edit_url).get_data(as_text=True)
    assert 'value="600000"' in form and "Protected bike lanes" in form
    # Two existing lines and four blank ones.
    assert 'name="funding-5-source"' in form and 'name="funding-6-source"' not in form
    response = staff.post_form(edit_url, action_data(**{
        "code": "MOB-7", "co_benefits": ["jobs"], "status": "under_way",
        "funding-0-source": "pnrr", "funding-0-amount_eur": "900000",
        "funding-0-secured": None, "funding-1-source": "", "funding-1-amount_eur": ""}))
    assert response.status_code == 303, page_text(response)
    db.session.expire_all()
    action = db.session.get(ContractAction, action.id)
    assert (action.code, action.status, action.co_benefits) == ("MOB-7", "under_way", ["jobs"])
    assert [(f.source, f.amount_eur, f.secured) for f in action.funding] == [
        ("pnrr", 900_000, False)]
    manage = page_text(staff.get(manage_url(city)))
    assert "MOB-7 Protected bike lanes" in manage
    assert "900,000" in manage  # the investment plan's totals

    response = staff.post_form(f"{edit_url}/delete")
    assert response.status_code == 303
    assert count(ContractAction) == 0 and count(ActionFunding) == 0


HUGE = str(10**13)


@pytest.mark.parametrize("changes, message", [
    ({"title_ro": "", "title_en": ""}, "Give the action a title in Romanian or in English."),
    ({"start_year": "2030", "end_year": "2026"}, "The action cannot end before it starts."),
    ({"cost_eur": "-5"}, "The cost is a whole number of euros, 0 or more."),
    ({"cost_eur": HUGE}, "The cost is a whole number of euros, 0 or more."),
    ({"cost_eur": "a lot"}, "The cost is a whole number of euros, 0 or more."),
    ({"cost_eur": "500000"}, "The funding adds up to more than the action's cost."),
    ({"funding-0-amount_eur": "-1"}, "Each amount is a whole number of euros, 0 or more."),
    ({"lever": "bribery"}, "Choose the action's lever."),
    ({"domain": "outer_space"}, "Choose the action's domain."),
    ({"status": "forgotten"}, "Choose the action's status."),
    ({"co_benefits": ["air_quality", "unicorns"]}, "Choose among the options listed."),
    ({"funding-1-source": "offshore"}, "Choose where each part of the money comes from."),
    ({"code": "MOB 1; DROP"}, "The code has at most 20 letters, digits, dots or dashes"),
])
def test_bad_actions_are_refused_and_nothing_is_saved(staff, city, contract, changes, message):
    response = staff.post_form(manage_url(city) + "/actions/new", action_data(**changes))
    assert response.status_code == 422
    assert message in page_text(response)
    assert count(ContractAction) == 0 and count(ActionFunding) == 0


def test_a_refused_edit_changes_nothing(staff, city, contract, organiser):
    action = add_action(contract, organiser, title_en="Old title", cost_eur=100,
                        funding=[{"source": "municipal", "amount_eur": 50}])
    response = staff.post_form(f"{manage_url(city)}/actions/{action.id}",
                               action_data(title_en="New title", cost_eur="-1"))
    assert response.status_code == 422
    db.session.expire_all()
    action = db.session.get(ContractAction, action.id)
    assert action.title_en == "Old title" and action.cost_eur == 100
    assert [(f.source, f.amount_eur) for f in action.funding] == [("municipal", 50)]


def test_hostile_html_is_shown_escaped(staff, city, contract):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = staff.post_form(manage_url(city) + "/actions/new", action_data(
        title_en=hostile, end_year="2020"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
    response = staff.post_form(manage_url(city) + "/actions/new",
                               action_data(title_en=hostile, title_ro=""))
    assert response.status_code == 303
    page = staff.get(manage_url(city)).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_another_citys_action_is_a_404(staff, city, contract, make_city, make_user,
                                       make_role):
    other_city = make_city()
    other_organiser = make_user()
    make_role(other_organiser, other_city, "organiser")
    foreign = add_action(services.ensure_contract(other_city), other_organiser)
    url = f"{manage_url(city)}/actions/{foreign.id}"
    assert staff.get(url).status_code == 404
    assert staff.post_form(url, action_data(title_en="Taken over")).status_code == 404
    assert staff.post_form(url + "/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(ContractAction, foreign.id).title_en == ""


def test_a_duplicate_code_is_refused(staff, city, contract, organiser):
    first = add_action(contract, organiser, code="MOB-3")
    response = staff.post_form(manage_url(city) + "/actions/new", action_data(code="mob-3"))
    assert response.status_code == 422
    assert "Another action already has this code." in page_text(response)
    assert count(ContractAction) == 1
    # Saving an action with its own code is fine.
    response = staff.post_form(f"{manage_url(city)}/actions/{first.id}",
                               action_data(code="MOB-3"))
    assert response.status_code == 303


# ---------------------------------------------------------------- summaries attached


def test_summaries_are_attached_to_an_action_and_to_a_part_then_detached(
        staff, city, contract, organiser, make_summary):
    action = add_action(contract, organiser)
    summary = make_summary(city, organiser)
    page = page_text(staff.get(manage_url(city)))
    assert "Pistele de biciclete" in page  # offered in the select
    links = manage_url(city) + "/links"
    response = staff.post_form(links, {"summary_id": summary.id, "section": "",
                                       "action_id": action.id})
    assert response.status_code == 303, page_text(response)
    response = staff.post_form(links, {"summary_id": summary.id, "section": "commitments",
                                       "action_id": ""})
    assert response.status_code == 303
    placed = {(link.section, link.action_id) for link in db.session.scalars(
        select(ContractLink))}
    assert placed == {("mobility", action.id), ("commitments", None)}
    page = page_text(staff.get(manage_url(city)))
    assert "Summaries: 1 · cited items: 1 · people: 1" in page

    link = db.session.scalar(select(ContractLink).where(ContractLink.action_id == action.id))
    response = staff.post_form(f"{links}/{link.id}/delete")
    assert response.status_code == 303
    assert count(ContractLink) == 1
    assert staff.post_form(f"{links}/{link.id}/delete").status_code == 404


def test_bad_attachments_are_refused(staff, city, contract, organiser, make_summary,
                                     make_city, make_user, make_role):
    action = add_action(contract, organiser)
    published = make_summary(city, organiser)
    draft = make_summary(city, organiser, published=False)
    other_city = make_city()
    other_organiser = make_user()
    make_role(other_organiser, other_city, "organiser")
    foreign = make_summary(other_city, other_organiser)
    foreign_action = add_action(services.ensure_contract(other_city), other_organiser)
    links = manage_url(city) + "/links"
    cases = [
        ({"summary_id": draft.id, "section": "commitments"},
         "Only a published summary can be attached to the contract."),
        ({"summary_id": foreign.id, "section": "commitments"},
         "Choose one of the city's summaries."),
        ({"summary_id": "x", "section": "commitments"}, "Choose one of the city's summaries."),
        ({"summary_id": published.id, "action_id": foreign_action.id},
         "Choose one of this contract's actions."),
        ({"summary_id": published.id, "action_id": "999999"},
         "Choose one of this contract's actions."),
        ({"summary_id": published.id, "section": "<b>nowhere</b>"},
         "Choose the part of the contract the summary shaped."),
    ]
    for data, message in cases:
        response = staff.post_form(links, data)
        assert response.status_code == 422, data
        assert message in page_text(response), data
    assert count(ContractLink) == 0
    assert staff.post_form(links, {"summary_id": published.id,
                                   "action_id": action.id}).status_code == 303
    response = staff.post_form(links, {"summary_id": published.id, "action_id": action.id})
    assert response.status_code == 422
    assert "This summary is already attached there." in page_text(response)
    assert count(ContractLink) == 1


def test_another_contracts_link_cannot_be_detached(staff, city, contract, make_city,
                                                   make_user, make_role, make_summary):
    other_city = make_city()
    other_organiser = make_user()
    make_role(other_organiser, other_city, "organiser")
    other_contract = services.ensure_contract(other_city)
    link = services.attach_summary(other_contract, other_organiser,
                                   make_summary(other_city, other_organiser).id, "commitments")
    db.session.commit()
    assert staff.post_form(f"{manage_url(city)}/links/{link.id}/delete").status_code == 404
    assert count(ContractLink) == 1


# ---------------------------------------------------------------- pledges


@pytest.fixture
def make_pledge(make_user):  # noqa: ANN001, ANN201
    def factory(contract, organisation: str = "Cafeneaua Verde"):  # noqa: ANN001, ANN202
        pledge = Pledge(contract_id=contract.id, city_id=contract.city_id,
                        organisation=organisation, stakeholder_type="business",
                        level="partner", commitment="Trecem la energie verde până în 2027.",
                        signatory_name="Ana Pop", signed_by_id=make_user().id)
        db.session.add(pledge)
        db.session.commit()
        return pledge

    return factory


def test_pledges_are_accepted_and_declined_with_a_note(staff, city, contract, organiser,
                                                       make_pledge):
    first, second = make_pledge(contract), make_pledge(contract, "Brutăria Dulce")
    page = page_text(staff.get(manage_url(city)))
    assert "Cafeneaua Verde" in page and "Brutăria Dulce" in page
    url = f"{manage_url(city)}/pledges"
    assert staff.post_form(f"{url}/{first.id}", {"decision": "accept"}).status_code == 303

    response = staff.post_form(f"{url}/{second.id}", {"decision": "decline", "note": "  "})
    assert response.status_code == 422
    assert "Say why the pledge is not accepted" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Pledge, second.id).status == "pending"
    response = staff.post_form(f"{url}/{second.id}",
                               {"decision": "decline", "note": "Not in the city."})
    assert response.status_code == 303
    db.session.expire_all()
    first, second = db.session.get(Pledge, first.id), db.session.get(Pledge, second.id)
    assert (first.status, first.decided_by_id) == ("published", organiser.id)
    assert (second.status, second.decision_note) == ("rejected", "Not in the city.")

    # Deciding twice is refused, with the message on the page.
    response = staff.post_form(f"{url}/{first.id}",
                               {"decision": "decline", "note": "Changed my mind"})
    assert response.status_code == 422
    assert "This pledge was already decided." in page_text(response)
    db.session.expire_all()
    assert db.session.get(Pledge, first.id).status == "published"
    response = staff.post_form(f"{url}/{second.id}", {"decision": "maybe"})
    assert response.status_code == 422


def test_another_citys_pledge_is_a_404(staff, city, contract, make_city, make_pledge):
    other = make_pledge(services.ensure_contract(make_city()))
    response = staff.post_form(f"{manage_url(city)}/pledges/{other.id}",
                               {"decision": "accept"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Pledge, other.id).status == "pending"


# ---------------------------------------------------------------- constant queries


def test_the_manage_page_makes_as_many_queries_for_many_actions(
        staff, city, contract, organiser, make_summary, make_pledge, count_queries):
    summary = make_summary(city, organiser)

    def add(number: int) -> None:
        for index in range(number):
            action = add_action(contract, organiser, domain=("mobility", "energy")[index % 2],
                                funding=[{"source": "municipal", "amount_eur": 10},
                                         {"source": "pnrr", "amount_eur": 20}])
            services.attach_summary(contract, organiser, summary.id, None, action.id)
        make_pledge(contract, f"Organisation {count(Pledge)}")
        db.session.commit()

    add(2)
    staff.get(manage_url(city))
    with count_queries() as few:
        assert staff.get(manage_url(city)).status_code == 200
    add(8)
    staff.get(manage_url(city))
    with count_queries() as many:
        page = staff.get(manage_url(city))
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('<tr id="action-') == 10
    assert many.n == few.n, many.statements
