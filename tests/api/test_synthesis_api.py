"""Published summaries and the Climate City Contract in the open-data API: public versions
only (a draft never shows), citations as {kind, id} of published input only, pages; the
contract only once published, with its ambition, actions and funding, the investment plan by
source and the ids of the summaries attached; another city's contract never shown."""

from __future__ import annotations

import pytest

from engage.extensions import db
from engage.ideas import services as ideas
from engage.synthesis import contract as contracts
from engage.synthesis import summaries


@pytest.fixture
def city(make_city):  # noqa: ANN001, ANN201
    return make_city("suceava")


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(email="organiser.private@example.org", display_name="Organizer Privat",
                     language="en")
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["mobility", "buildings"])


@pytest.fixture
def two_ideas(process, make_user):  # noqa: ANN001, ANN201
    author = make_user(email="author.private@example.org", display_name="Autor Privat")
    first = ideas.submit_idea(process, author, "Piste", "Separate.", "mobility", "ro")
    second = ideas.submit_idea(process, author, "Bike lanes", "Protected.", "mobility", "en")
    db.session.commit()
    return first, second


def values(body: str, title: str = "Pistele") -> dict[str, str]:
    return {"topic": "Mobilitate", "theme": "mobility", "title_ro": title, "title_en": "",
            "body_ro": body, "body_en": ""}


def published_summary(process, organiser, body: str, title: str = "Pistele"):  # noqa: ANN001, ANN201
    summary = summaries.create_summary(process, organiser, values(body, title))
    summaries.publish(summary, organiser)
    db.session.commit()
    return summary


def test_public_versions_with_their_citations(client, process, organiser, two_ideas):  # noqa: ANN001
    first, second = two_ideas
    summary = published_summary(process, organiser,
                                f"Unu [[idea:{first.id}]] doi [[idea:{second.id}]]")
    summaries.save_draft(summary, organiser, values("Ciornă secretă", "Titlu secret"))
    summaries.create_summary(process, organiser, values("Doar ciornă", "Nepublicat"))
    second.contribution.status = "hidden"
    db.session.commit()

    response = client.get(f"/api/v1/processes/{process.id}/summaries")
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 1 and data["next"] is None
    (item,) = data["items"]
    assert item["id"] == summary.id and item["version"] == 1
    assert item["title"] == {"ro": "Pistele", "en": ""}
    assert item["citations"] == [{"kind": "idea", "id": first.id}]  # the hidden one left out
    assert item["url"] == f"http://localhost/suceava/summaries/{summary.id}"
    body = response.get_data(as_text=True)
    for absent in ("secret", "Nepublicat", "private@example.org", "Privat"):
        assert absent not in body
    assert "Last-Modified" in response.headers


def test_summaries_come_in_pages(client, process, organiser):  # noqa: ANN001
    made = [published_summary(process, organiser, f"Text {n}", f"Titlu {n}") for n in range(3)]
    first = client.get(f"/api/v1/processes/{process.id}/summaries?per_page=2").get_json()
    assert first["total"] == 3 and len(first["items"]) == 2
    second = client.get(first["next"]).get_json()
    assert second["next"] is None
    assert [i["id"] for i in first["items"] + second["items"]] == [s.id for s in made]


@pytest.mark.parametrize("case", ["draft", "unknown"])
def test_summaries_of_a_process_not_public_are_404(client, make_process, city, case):  # noqa: ANN001
    target = make_process(city, status="draft").id if case == "draft" else 999_999
    response = client.get(f"/api/v1/processes/{target}/summaries")
    assert response.status_code == 404 and response.is_json


# ---------------------------------------------------------------- the contract


def action_values(**more):  # noqa: ANN003, ANN201
    return {"domain": "mobility", "title_ro": "Piste de biciclete", "lever": "investment",
            "responsible": "Primăria", "start_year": "2026", "end_year": "2028",
            "reduction_t_co2e": "1200,5", "co_benefits": ["health"], "cost_eur": "1000000",
            "status": "planned", "indicators": "km\n\n  trips  \n",
            "funding": [{"source": "pnrr", "amount_eur": "600000", "secured": True},
                        {"source": "municipal", "amount_eur": 300000}], **more}


@pytest.fixture
def sheet(city, organiser):  # noqa: ANN001, ANN201
    contract = contracts.ensure_contract(city)
    contracts.update_contract(contract, organiser, {
        "ambition_ro": "Neutru climatic în 2030.", "ambition_en": "Climate-neutral by 2030.",
        "target_year": 2030, "baseline_year": "2019", "baseline_t_co2e": "1450000",
        "reduction_target_pct": "80"})
    db.session.commit()
    return contract


def test_a_contract_not_published_is_404(client, city, sheet, make_city):  # noqa: ANN001
    assert client.get("/api/v1/cities/suceava/contract").status_code == 404
    make_city("cluj")
    for slug in ("cluj", "nowhere"):
        response = client.get(f"/api/v1/cities/{slug}/contract")
        assert response.status_code == 404 and response.is_json


def test_the_published_contract(client, city, sheet, organiser, process, two_ideas,  # noqa: ANN001
                                make_city):
    first, _ = two_ideas
    action = contracts.save_action(sheet, organiser, action_values())
    dropped = contracts.save_action(sheet, organiser, action_values(
        status="dropped", title_ro="Renunțat", funding=[
            {"source": "private", "amount_eur": "5", "secured": False}]))
    summary = published_summary(process, organiser, f"Unu [[idea:{first.id}]]")
    contracts.attach_summary(sheet, organiser, summary.id, "commitments")
    contracts.attach_summary(sheet, organiser, summary.id, None, action.id)
    contracts.set_published(sheet, organiser, True)
    db.session.commit()
    make_city("cluj")

    response = client.get("/api/v1/cities/suceava/contract")
    assert response.status_code == 200 and "Last-Modified" in response.headers
    data = response.get_json()
    assert data["city"] == "suceava" and data["status"] == "published"
    assert data["ambition"] == {
        "text": {"ro": "Neutru climatic în 2030.", "en": "Climate-neutral by 2030."},
        "target_year": 2030, "baseline_year": 2019, "baseline_t_co2e": 1450000.0,
        "reduction_target_pct": 80, "summaries": [summary.id]}
    (domain,) = data["action_plan"]["domains"]
    assert domain["domain"] == "mobility"
    shown = {item["id"]: item for item in domain["actions"]}
    assert set(shown) == {action.id, dropped.id}
    item = shown[action.id]
    assert item["title"] == {"ro": "Piste de biciclete", "en": ""}
    assert item["indicators"] == ["km", "trips"]
    assert item["reduction_t_co2e"] == 1200.5 and item["cost_eur"] == 1_000_000
    assert item["responsible"] == "Primăria" and item["summaries"] == [summary.id]
    assert {(f["source"], f["amount_eur"], f["secured"]) for f in item["funding"]} == {
        ("pnrr", 600000, True), ("municipal", 300000, False)}
    plan = data["investment_plan"]
    assert plan["by_source"] == [
        {"source": "pnrr", "amount_eur": 600000, "secured_eur": 600000, "actions": 1},
        {"source": "municipal", "amount_eur": 300000, "secured_eur": 0, "actions": 1}]
    assert (plan["cost_eur"], plan["funded_eur"], plan["gap_eur"]) == (1_000_000, 900000,
                                                                      100000)
    body = response.get_data(as_text=True)
    assert "private@example.org" not in body and "Privat" not in body
    assert client.get("/api/v1/cities/cluj/contract").status_code == 404
