"""The Climate City Contract's public pages: the contract in three parts, an action's page,
"you said, we did", and the pledges (signing, its page, progress, withdrawal). Who sees a draft,
another city's ids, hostile and forged input refused with nothing saved, constant query counts,
and the links from the city page, the summary page and an idea's "cited in"."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.ideas import services as ideas
from engage.synthesis import contract as contracts
from engage.synthesis import summaries
from engage.synthesis.models import Pledge, PledgeProgress
from tests.conftest import count

LOGIN = "/account/login"


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["mobility", "nature"])


def _action(sheet, organiser, number: int, domain: str = "mobility", **more):  # noqa: ANN001, ANN202
    values = {
        "domain": domain, "title_en": f"Action number {number}", "title_ro": f"Acțiunea {number}",
        "description_en": f"What action {number} **does**.", "lever": "investment",
        "responsible": "The city hall", "start_year": 2026, "end_year": 2029,
        "reduction_t_co2e": 1200.5, "co_benefits": ["health", "air_quality"],
        "cost_eur": 1_500_000, "status": "under_way",
        "funding": [{"source": "municipal", "amount_eur": 1_000_000, "secured": True},
                    {"source": "pnrr", "amount_eur": 250_000, "secured": False}],
        "indicators": "km of lanes built\nt CO₂e avoided", "progress_note": "Half of it built.",
        **more,
    }
    return contracts.save_action(sheet, organiser, values)


def make_contract(city, organiser, *, published: bool = True, actions: int = 2):  # noqa: ANN001, ANN201
    sheet = contracts.ensure_contract(city)
    contracts.update_contract(sheet, organiser, {
        "target_year": 2030, "baseline_year": 2019, "baseline_t_co2e": 100_000,
        "reduction_target_pct": 80, "ambition_ro": "Ambiția **noastră**.",
        "ambition_en": "Our **ambition** for the city."})
    for number in range(actions):
        _action(sheet, organiser, number, "mobility" if number % 2 == 0 else "energy")
    if published:
        contracts.set_published(sheet, organiser, True)
    db.session.commit()
    return sheet


def first(sheet):  # noqa: ANN001, ANN201
    """The contract's first action written ("Action number 0", in mobility)."""
    return next(a for a in sheet.actions if a.title_en == "Action number 0")


@pytest.fixture
def sheet(city, organiser):  # noqa: ANN001, ANN201
    return make_contract(city, organiser)


def published_summary(process, organiser, make_user):  # noqa: ANN001, ANN201
    """A published summary citing one idea (with two supports): `.idea` is the idea."""
    idea = ideas.submit_idea(process, make_user(), "Piste de biciclete pe Calea Moților",
                             "Separate de trafic.", "mobility", "ro")
    for _ in range(2):
        ideas.support(make_user(), idea)
    found = summaries.create_summary(process, organiser, {
        "topic": "Mobilitate", "theme": "mobility", "title_ro": "Pistele de biciclete",
        "title_en": "The cycle lanes",
        "body_ro": f"Oamenii cer **piste** separate [[idea:{idea.id}]].",
        "body_en": f"People ask for **separate** lanes [[idea:{idea.id}]]."})
    summaries.publish(found, organiser)
    db.session.commit()
    found.idea = idea
    return found


@pytest.fixture
def summary(process, organiser, make_user):  # noqa: ANN001, ANN201
    return published_summary(process, organiser, make_user)


def pledge_values(sheet=None, **more) -> dict:  # noqa: ANN001
    return {"organisation": "Asociația Pedalăm", "stakeholder_type": "civil_society",
            "level": "partner", "language": "ro",
            "commitment": "Organizăm ture lunare cu bicicleta pentru copii și părinți.",
            "website": "https://example.org", "reduction_t_co2e": "", "action_id": "",
            "signatory_name": "Ana Pop", "signatory_role": "Coordonatoare", **more}


def english(client):  # noqa: ANN001, ANN201
    client.set_cookie("lang", "en")
    return client


# ---------------------------------------------------------------- who sees the contract


def test_the_published_contract_in_three_parts(client, city, organiser, sheet, summary):
    action = first(sheet)
    contracts.attach_summary(sheet, organiser, summary.id, None, action.id)
    contracts.attach_summary(sheet, organiser, summary.id, "commitments")
    db.session.commit()
    answer = client.get(f"/{city.slug}/contract")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    for anchor in ("commitments", "action_plan", "investment", "mobility", "energy"):
        assert f'id="{anchor}"' in page
    assert "Our <strong>ambition</strong> for the city." in page
    assert "80 %" in page and "100,000 t CO₂e" in page and "20,000 t CO₂e" in page
    assert "Draft — not visible" not in page
    # The action's card: code, title, lever, responsible, timeline, reduction, cost, status.
    assert f"{action.code}</span> Action number 0" in page
    assert "Public investment" in page and "The city hall" in page and "2026–2029" in page
    assert "1,200.5 t CO₂e/yr" in page and "1,500,000 EUR" in page and "Under way" in page
    assert "Cleaner air" in page
    assert "based on 1 item from 1 person" in page
    assert f"/{city.slug}/contract/actions/{action.id}#input-heading" in page
    # The investment plan: by source, the totals, the gap.
    assert "City budget" in page and "2,000,000 EUR" in page  # two actions' municipal money
    assert "2,500,000 EUR" in page  # funded in all
    assert "500,000 EUR" in page  # the gap: 3,000,000 − 2,500,000
    assert f"/{city.slug}/summaries/{summary.id}" in page  # "shaped by", on the commitments


def test_a_draft_is_seen_by_the_city_staff_only(client, login_as, city, organiser, make_user,
                                                make_role):
    assert client.get(f"/{city.slug}/contract").status_code == 404  # no contract at all
    sheet = make_contract(city, organiser, published=False)
    action = first(sheet)
    urls = [f"/{city.slug}/contract", f"/{city.slug}/contract/actions/{action.id}",
            f"/{city.slug}/you-said-we-did"]
    for url in urls:
        assert client.get(url).status_code == 404
    assert login_as(client, make_user()).get(urls[0]).status_code == 404
    moderator = make_user()
    make_role(moderator, city, "moderator")
    staff = login_as(client, moderator)
    for url in urls:
        answer = staff.get(url)
        assert answer.status_code == 200
        assert "Draft — not visible to the public." in answer.get_data(as_text=True)
    assert "Edit the contract" not in staff.get(urls[0]).get_data(as_text=True)
    # Pledges open when the contract is public.
    assert staff.get(f"/{city.slug}/contract/pledge").status_code == 404
    writer = login_as(english(client.application.test_client()), organiser)
    assert f"/{city.slug}/manage/contract" in writer.get(urls[0]).get_data(as_text=True)


def test_another_citys_action_is_not_found(client, city, organiser, sheet, make_city, make_user,
                                           make_role):
    other_city = make_city()
    other_organiser = make_user()
    make_role(other_organiser, other_city, "organiser")
    other = make_contract(other_city, other_organiser)
    foreign = first(other).id
    assert client.get(f"/{other_city.slug}/contract/actions/{foreign}").status_code == 200
    assert client.get(f"/{city.slug}/contract/actions/{foreign}").status_code == 404
    assert client.get(f"/{city.slug}/contract/actions/999999").status_code == 404


def test_the_action_page_shows_every_field_and_the_input_behind_it(
        client, city, organiser, sheet, summary, make_user):
    action = first(sheet)
    contracts.attach_summary(sheet, organiser, summary.id, None, action.id)
    signer = make_user()
    pledge = contracts.sign_pledge(sheet, signer, pledge_values(action_id=action.id))
    contracts.decide_pledge(pledge, organiser, True)
    contracts.report_progress(pledge, signer, {"percent": 40, "text": "Three rides done.",
                                               "language": "en"})
    db.session.commit()
    page = client.get(f"/{city.slug}/contract/actions/{action.id}").get_data(as_text=True)
    assert "What action 0 <strong>does</strong>." in page
    assert "<li>km of lanes built</li>" in page and "Half of it built." in page
    assert "Recovery and Resilience Plan (PNRR)" in page and "sought" in page
    assert "1,250,000 EUR found of 1,500,000 EUR." in page
    assert f"/{city.slug}/summaries/{summary.id}" in page and "The cycle lanes" in page
    assert "cited items: 1 · authors: 1 · supports: 2" in page
    assert "based on 1 item from 1 person" in page and "2 supports" in page
    assert "<strong>1</strong> idea" in page
    assert "Asociația Pedalăm" in page and "Progress: 40 %" in page


# ---------------------------------------------------------------- you said, we did


def test_you_said_we_did_links_both_ways(client, city, organiser, sheet, summary):
    empty = client.get(f"/{city.slug}/you-said-we-did").get_data(as_text=True)
    assert "<h1>You said, we did</h1>" in empty
    assert "Nothing is attached to the contract yet." in empty
    action = first(sheet)
    contracts.attach_summary(sheet, organiser, summary.id, None, action.id)
    db.session.commit()
    page = client.get(f"/{city.slug}/you-said-we-did").get_data(as_text=True)
    assert "Nothing is attached" not in page
    assert 'id="mobility"' in page
    assert "People ask for separate lanes." in page  # the excerpt, without tags or Markdown
    assert f'href="#did-{action.id}"' in page  # you said → we did
    assert f'href="#said-mobility-{summary.id}"' in page  # we did → you said
    assert f"/{city.slug}/contract/actions/{action.id}" in page


def test_the_titles_in_english_and_romanian(client, client_default_language, city, sheet):
    """(The Romanian titles need the lead's catalog entries for the two msgids.)"""
    assert "<h1>Climate City Contract</h1>" in client.get(
        f"/{city.slug}/contract").get_data(as_text=True)
    contract = client_default_language.get(f"/{city.slug}/contract").get_data(as_text=True)
    said = client_default_language.get(f"/{city.slug}/you-said-we-did").get_data(as_text=True)
    assert '<html lang="ro">' in contract and '<html lang="ro">' in said
    assert "<h1>Contractul climatic al orașului</h1>" in contract
    assert "<h1>Ce ați propus, ce am făcut</h1>" in said


# ---------------------------------------------------------------- pledges


def test_signing_needs_an_account(client, city, sheet):
    url = f"/{city.slug}/contract/pledge"
    answer = client.get(url)
    assert answer.status_code in (302, 303) and LOGIN in answer.headers["Location"]
    answer = client.post_form(url, pledge_values())
    assert answer.status_code in (302, 303) and LOGIN in answer.headers["Location"]
    assert count(Pledge) == 0


def test_a_pledge_is_signed_checked_and_shown(client, login_as, city, organiser, sheet,
                                              make_user):
    signer = make_user(language="en")
    mine = login_as(client, signer)
    form = mine.get(f"/{city.slug}/contract/pledge").get_data(as_text=True)
    assert "Commits to a measured emission reduction" in form  # the levels' hints
    assert first(sheet).code in form
    answer = mine.post_form(f"/{city.slug}/contract/pledge", pledge_values(
        action_id=str(first(sheet).id)))
    assert answer.status_code == 303
    pledge = db.session.scalars(db.select(Pledge)).one()
    assert answer.headers["Location"].endswith(f"/{city.slug}/contract/pledges/{pledge.id}")
    assert (pledge.status, pledge.signed_by_id, pledge.action_id) == (
        "pending", signer.id, first(sheet).id)
    page = mine.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Thank you: the city checks the pledge before it is shown." in page
    assert "Only you can see this page" in page or "only you can see this page" in page
    listing = mine.get(f"/{city.slug}/contract/pledge").get_data(as_text=True)
    assert "My pledges" in listing and f"/contract/pledges/{pledge.id}" in listing

    url = f"/{city.slug}/contract/pledges/{pledge.id}"
    visitor = english(client.application.test_client())
    assert visitor.get(url).status_code == 404
    assert login_as(english(client.application.test_client()), make_user()).get(
        url).status_code == 404
    assert "Asociația Pedalăm" not in visitor.get(f"/{city.slug}/contract").get_data(
        as_text=True)

    contracts.decide_pledge(pledge, organiser, True)
    db.session.commit()
    assert visitor.get(url).status_code == 200
    public = visitor.get(f"/{city.slug}/contract").get_data(as_text=True)
    assert "Asociația Pedalăm" in public and f"/contract/pledges/{pledge.id}" in public


def test_a_declined_pledge_shows_the_citys_note_to_its_signer(client, login_as, city,
                                                              organiser, sheet, make_user):
    signer = make_user(language="en")
    pledge = contracts.sign_pledge(sheet, signer, pledge_values())
    contracts.decide_pledge(pledge, organiser, False, "Please name <b>one</b> measure.")
    db.session.commit()
    page = login_as(client, signer).get(
        f"/{city.slug}/contract/pledges/{pledge.id}").get_data(as_text=True)
    assert "The city did not accept this pledge." in page
    assert "Please name &lt;b&gt;one&lt;/b&gt; measure." in page


@pytest.mark.parametrize(("change", "message"), [
    ({"organisation": ""}, "Name the organisation that makes the pledge."),
    ({"organisation": "x" * 201}, "The organisation&#39;s name is too long"),
    ({"commitment": ""}, "Say in a sentence or two what the organisation commits to."),
    ({"commitment": "y" * 2001}, "The commitment is too long"),
    ({"organisation": "<script>alert(1)</script>", "commitment": "Short."},
     "Say in a sentence or two"),
    ({"level": "emperor"}, "Choose the level of the pledge."),
    ({"stakeholder_type": "citizen"}, "Choose what kind of organisation it is."),
    ({"website": "javascript:alert(1)"}, "The web address must start with http"),
    ({"level": "champion", "reduction_t_co2e": ""}, "A champion&#39;s pledge names the reduction"),
    ({"reduction_t_co2e": "lots"}, "The expected reduction is a number"),
    ({"signatory_name": ""}, "Say who signs for the organisation."),
    ({"action_id": "abc"}, "Choose one of this contract&#39;s actions."),
])
def test_bad_pledges_are_refused_and_nothing_is_saved(client, login_as, city, sheet, make_user,
                                                      change, message):
    mine = login_as(client, make_user(language="en"))
    answer = mine.post_form(f"/{city.slug}/contract/pledge", pledge_values(**change))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert message in page
    assert "<script>alert(1)</script>" not in page
    if "organisation" in change and "<" in change["organisation"]:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # kept in the form, escaped
    assert count(Pledge) == 0


def test_a_forged_action_of_another_city_is_refused(client, login_as, city, sheet, make_city,
                                                    make_user, make_role):
    other_city = make_city()
    other_organiser = make_user()
    make_role(other_organiser, other_city, "organiser")
    foreign = first(make_contract(other_city, other_organiser)).id
    mine = login_as(client, make_user(language="en"))
    answer = mine.post_form(f"/{city.slug}/contract/pledge",
                            pledge_values(action_id=str(foreign)))
    assert answer.status_code == 422
    assert "Choose one of this contract&#39;s actions." in answer.get_data(as_text=True)
    assert count(Pledge) == 0


def test_the_same_organisation_cannot_sign_twice(client, login_as, city, sheet, make_user):
    mine = login_as(client, make_user(language="en"))
    assert mine.post_form(f"/{city.slug}/contract/pledge", pledge_values()).status_code == 303
    again = mine.post_form(f"/{city.slug}/contract/pledge",
                           pledge_values(organisation="asociatia  PEDALAM"))
    assert again.status_code == 422
    assert "This organisation has already signed a pledge" in again.get_data(as_text=True)
    assert count(Pledge) == 1


def test_progress_is_reported_by_the_signer_only(client, login_as, city, organiser, sheet,
                                                 make_user):
    signer = make_user(language="en")
    pledge = contracts.sign_pledge(sheet, signer, pledge_values())
    contracts.decide_pledge(pledge, organiser, True)
    db.session.commit()
    url = f"/{city.slug}/contract/pledges/{pledge.id}/progress"
    report = {"percent": "40", "text": "Three rides, 140 people.", "language": "en"}
    anonymous = english(client.application.test_client())
    answer = anonymous.post_form(url, report)
    assert answer.status_code in (302, 303) and LOGIN in answer.headers["Location"]
    other = login_as(english(client.application.test_client()), make_user())
    assert other.post_form(url, report).status_code == 403
    assert "Report progress" not in other.get(
        f"/{city.slug}/contract/pledges/{pledge.id}").get_data(as_text=True)
    assert count(PledgeProgress) == 0

    mine = login_as(client, signer)
    assert "Report progress" in mine.get(
        f"/{city.slug}/contract/pledges/{pledge.id}").get_data(as_text=True)
    bad = mine.post_form(url, {**report, "percent": "140"})
    assert bad.status_code == 422
    assert "Progress is a whole number of per cent, 0 to 100." in bad.get_data(as_text=True)
    assert count(PledgeProgress) == 0
    assert mine.post_form(url, report).status_code == 303
    assert count(PledgeProgress) == 1
    page = anonymous.get(f"/{city.slug}/contract").get_data(as_text=True)
    assert "Progress: 40 %" in page


def test_the_signer_withdraws_a_pledge(client, login_as, city, organiser, sheet, make_user):
    signer = make_user(language="en")
    pledge = contracts.sign_pledge(sheet, signer, pledge_values())
    contracts.decide_pledge(pledge, organiser, True)
    db.session.commit()
    url = f"/{city.slug}/contract/pledges/{pledge.id}/withdraw"
    other = login_as(english(client.application.test_client()), make_user())
    assert other.post_form(url).status_code == 403
    mine = login_as(client, signer)
    assert mine.post_form(url).status_code == 303
    db.session.refresh(pledge)
    assert pledge.status == "withdrawn"
    again = mine.post_form(url)
    assert again.status_code == 422 and "no longer active" in again.get_data(as_text=True)
    visitor = english(client.application.test_client())
    assert visitor.get(f"/{city.slug}/contract/pledges/{pledge.id}").status_code == 404
    assert mine.get(f"/{city.slug}/contract/pledges/{pledge.id}").status_code == 200


# ---------------------------------------------------------------- query counts


def _grow(sheet, organiser, summary, make_user, actions: int, pledges: int) -> None:  # noqa: ANN001
    start = len(sheet.actions)
    for number in range(start, start + actions):
        action = _action(sheet, organiser, number, ["mobility", "energy", "nature"][number % 3])
        contracts.attach_summary(sheet, organiser, summary.id, None, action.id)
    for number in range(pledges):
        signer = make_user()
        pledge = contracts.sign_pledge(sheet, signer, pledge_values(
            organisation=f"Organisation {len(sheet.actions)}-{number}",
            action_id=sheet.actions[-1].id))
        contracts.decide_pledge(pledge, organiser, True)
        contracts.report_progress(pledge, signer, {"percent": 10, "text": "Started.",
                                                   "language": "ro"})
    db.session.commit()


@pytest.mark.parametrize("path", ["/contract", "/you-said-we-did"])
def test_the_query_count_does_not_grow_with_the_contract(client, count_queries, city, organiser,
                                                         sheet, summary, make_user, path):
    url = f"/{city.slug}{path}"
    _grow(sheet, organiser, summary, make_user, actions=1, pledges=1)
    client.get(url)  # warm up
    with count_queries() as few:
        assert client.get(url).status_code == 200
    _grow(sheet, organiser, summary, make_user, actions=8, pledges=5)
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert "Action number 9" in page
    assert many.n == few.n, many.statements


# ---------------------------------------------------------------- the links to it


def test_the_city_and_summary_pages_link_the_published_contract(client, city, organiser,
                                                                summary):
    sheet = make_contract(city, organiser, published=False)
    contracts.attach_summary(sheet, organiser, summary.id, "commitments")
    db.session.commit()
    page = client.get(f"/{city.slug}/").get_data(as_text=True)
    assert f"/{city.slug}/contract" not in page
    summary_page = client.get(f"/{city.slug}/summaries/{summary.id}").get_data(as_text=True)
    assert "In the Climate City Contract" not in summary_page
    contracts.set_published(sheet, organiser, True)
    db.session.commit()
    page = client.get(f"/{city.slug}/").get_data(as_text=True)
    assert f'href="/{city.slug}/contract"' in page
    assert f'href="/{city.slug}/you-said-we-did"' in page
    summary_page = client.get(f"/{city.slug}/summaries/{summary.id}").get_data(as_text=True)
    assert "In the Climate City Contract:" in summary_page
    assert f'href="/{city.slug}/contract#commitments">Commitments</a>' in summary_page


def test_the_idea_page_says_which_part_of_the_contract_cites_it(client, city, organiser,
                                                                 summary):
    sheet = make_contract(city, organiser, published=False)
    action = first(sheet)
    contracts.attach_summary(sheet, organiser, summary.id, "commitments")
    contracts.attach_summary(sheet, organiser, summary.id, None, action.id)
    db.session.commit()
    url = f"/{city.slug}/ideas/{summary.idea.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Cited in" in page and "Climate City Contract" not in page  # a draft
    contracts.set_published(sheet, organiser, True)
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Climate City Contract: Commitments" in page
    assert f"/{city.slug}/contract#commitments" in page
    assert f"/{city.slug}/contract/actions/{action.id}" in page
