"""The campaign's results page (`science_stats.results_page`): in Romanian and English, the
status selector, hostile labels escaped, who sees it (404s, drafts), a constant number of
statements whatever the number of observations, the rendering cache and the page-weight
budget."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from engage.extensions import db
from engage.science import stats
from tests.science.conftest import add_field, add_observation
from tests.test_page_weight import BUDGET, first_load


@pytest.fixture(autouse=True)
def _fresh_cache():  # noqa: ANN202
    stats.clear_cache()
    yield
    stats.clear_cache()


def url(process, query=""):  # noqa: ANN001, ANN201
    return f"/{process.city.slug}/p/{process.slug}/observations/results{query}"


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def main_of(response) -> str:  # noqa: ANN001
    text = text_of(response)
    return text[text.index("<main"):text.index("</main>")] if "<main" in text else text


def fill(campaign, protocol, count, offset=0):  # noqa: ANN001, ANN201
    surface = protocol["surface"].choices
    shade = protocol["shade"].choices
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    for n in range(offset, offset + count):
        add_observation(campaign, observed_at=start + timedelta(hours=5 * n), values=[
            (protocol["temperature"], 15 + (n * 37 % 200) / 10),
            (protocol["trees"], n % 13), (protocol["surface"], surface[n % 3]),
            (protocol["shade"], shade[: n % 3]), (protocol["water"], n % 2 == 0),
            (protocol["note"], f"nota {n}"), (protocol["when"], start + timedelta(hours=n)),
        ], status="pending" if n % 5 == 4 else "accepted", commit=False)
    db.session.commit()


# ---------------------------------------------------------------- the page


def test_english_page(client, campaign, protocol):
    fill(campaign, protocol, 10)  # 8 accepted, 2 pending
    response = client.get(url(campaign))
    assert response.status_code == 200
    main = main_of(response)
    assert "Results of the observations" in main
    assert "8</strong>" in main and "accepted observations" in main
    assert "2 observations awaiting checking are not counted here." in main
    assert "rejected observation" not in main
    assert "Summary of the measurements" in main
    assert "Temperatura (en)" in main and "°C" in main
    assert "Observations per day" in main
    assert "Asfalt (en)" in main
    assert 'aria-hidden="true"' in main and "<table" in main
    assert "style=" not in main and "<script" not in main


def test_romanian_page_formats_numbers(client_default_language, campaign, protocol):
    for value in (21.5, 30.25, 1234.5):
        add_observation(campaign, values=[(protocol["temperature"], value)], commit=False)
    db.session.commit()
    text = text_of(client_default_language.get(url(campaign)))
    assert '<html lang="ro">' in text
    assert "Temperatura" in text
    assert "21,5" in text and "1.234,5" in text  # Romanian decimal and group separators
    assert "30,25" in text  # the median, with one decimal more than the field's


def test_summary_table_numbers(client, campaign, protocol):
    for value in (-2.5, 10.0, 4.0):
        add_observation(campaign, values=[(protocol["temperature"], value)], commit=False)
    db.session.commit()
    main = main_of(client.get(url(campaign)))
    summary = main[main.index('id="summary-heading"'):main.index("</table>",
                                                                 main.index("summary-heading"))]
    cells = re.findall(r'<td class="num">([^<]*)</td>', summary)
    assert cells[:4] == ["3", "-2.5 °C", "4 °C", "10 °C"]


def test_status_selector(client, campaign, protocol):
    fill(campaign, protocol, 10)
    add_observation(campaign, values=[(protocol["temperature"], 50)], status="rejected")
    accepted = main_of(client.get(url(campaign)))
    assert 'value="accepted" checked' in accepted and "Needs checking</th>" not in accepted
    assert accepted.index("Accepted only") < accepted.index("Every status, rejected included")
    # By default a rejected one is only counted in a note, its values never charted.
    assert "1 rejected observation is not counted here." in accepted
    assert "50 °C" not in accepted and "Rejected</th>" not in accepted
    every = main_of(client.get(url(campaign, "?status=all")))
    assert 'value="all" checked' in every
    # On request every status, rejected included, each in its own column.
    assert "11</strong>" in every and "observations counted, whatever their status" in every
    assert "not counted here" not in every
    assert "50 °C" in every  # the largest temperature, from the rejected one
    assert "Rejected</th>" in every
    assert re.search(r"Rejected</th><td class=\"num\">1</td>", every)
    # A status column in the tables, and the totals by status.
    assert "Not checked yet</th>" in every and "Needs checking</th>" in every
    assert re.search(r"Not checked yet</th><td class=\"num\">2</td>", every)
    # An unknown value falls back to accepted only.
    hostile = main_of(client.get(url(campaign, "?status=%3Cscript%3E")))
    assert 'value="accepted" checked' in hostile and "<script>" not in hostile


def test_the_form_works_without_javascript(client, campaign, protocol):
    main = main_of(client.get(url(campaign)))
    form = re.search(r'<form class="filters" method="get" action="([^"]+)">', main)
    assert form and form.group(1) == url(campaign)
    assert "<legend>" in main


def test_hostile_labels_are_escaped(client, campaign):
    field = add_field(campaign, "single", '<script>alert("f")</script>',
                      options=['<img src=x onerror=alert(1)>', "B & C"])
    number = add_field(campaign, "number", "<b>Zgomot</b>",
                       settings={"unit_ro": "<i>dB</i>", "unit_en": "<i>dB</i>"})
    db.session.commit()
    add_observation(campaign, values=[(field, field.choices[0]), (number, 60)])
    text = text_of(client.get(url(campaign)))
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "<b>Zgomot</b>" not in text and "<i>dB</i>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "B &amp; C" in text


def test_inactive_option_marked(client, campaign, protocol):
    grass = protocol["surface"].choices[1]
    add_observation(campaign, values=[(protocol["surface"], grass)])
    grass.active = False
    db.session.commit()
    main = main_of(client.get(url(campaign)))
    assert "Iarbă (en)" in main and "(no longer offered)" in main


def test_no_observations_yet(client, campaign, protocol):
    main = main_of(client.get(url(campaign)))
    assert "No accepted observations yet." in main
    assert "Summary of the measurements" not in main


def test_hidden_observations_are_not_counted(client, campaign, protocol):
    # A value nothing else on the page could show (the slugs are random hexadecimal).
    add_observation(campaign, values=[(protocol["temperature"], 58.3)],
                    contribution_status="hidden")
    add_observation(campaign, values=[(protocol["temperature"], 20)])
    main = main_of(client.get(url(campaign, "?status=all")))
    assert "1</strong>" in main and "58.3" not in main and "58,3" not in main


def test_links_to_the_map_and_the_open_data(client, app, login_as, make_user, make_role,
                                            campaign, protocol):
    from engage.science import results

    add_observation(campaign, values=[(protocol["temperature"], 20)])
    main = main_of(client.get(url(campaign)))
    assert "See the observations on the map" in main
    assert main.count('<a href="/api/v1/processes/') == len(results.DOWNLOADS)
    assert f"/api/v1/processes/{campaign.id}/" in main
    every = main_of(client.get(url(campaign, "?status=all")))
    assert "status=all" in every
    # A draft (seen by its organisers) links to no download: the API does not serve it.
    organiser = make_user()
    make_role(organiser, campaign.city, "organiser")
    campaign.status = "draft"
    db.session.commit()
    login_as(client, organiser)
    assert "Download the open data" not in main_of(client.get(url(campaign)))


# ---------------------------------------------------------------- who sees it


def test_another_city_kind_or_unknown_is_404(client, campaign, make_city, make_process):
    other_city = make_city()
    assert client.get(f"/{other_city.slug}/p/{campaign.slug}/observations/results"
                      ).status_code == 404
    ideas = make_process(campaign.city, kind="ideas")
    assert client.get(url(ideas)).status_code == 404
    assert client.get(f"/{campaign.city.slug}/p/nope/observations/results").status_code == 404
    assert client.get(f"/nope/p/{campaign.slug}/observations/results").status_code == 404


@pytest.mark.parametrize(("status", "person", "code"), [
    ("draft", "anonymous", 404), ("draft", "citizen", 404), ("draft", "organiser", 200),
    ("draft", "moderator", 200), ("draft", "admin", 200),
    ("draft", "other_city_organiser", 404),
    ("published", "anonymous", 200), ("closed", "citizen", 200), ("archived", "anonymous", 200),
])
def test_who_sees_it(client, login_as, make_user, make_role, make_city, campaign, protocol,
                     status, person, code):
    people = {"anonymous": None, "citizen": make_user(), "admin": make_user(admin=True)}
    for role in ("organiser", "moderator"):
        people[role] = make_user()
        make_role(people[role], campaign.city, role)
    people["other_city_organiser"] = make_user()
    make_role(people["other_city_organiser"], make_city(), "organiser")
    campaign.status = status
    db.session.commit()
    if people[person]:
        login_as(client, people[person])
    response = client.get(url(campaign))
    assert response.status_code == code
    if code == 200 and status == "draft":
        assert "Not public." in text_of(response)


# ---------------------------------------------------------------- queries and caches


@pytest.mark.parametrize("person", ["anonymous", "citizen"])
@pytest.mark.parametrize("query", ["", "?status=all"])
def test_constant_number_of_queries(client, login_as, make_user, campaign, protocol, person,
                                    query, count_queries):
    if person == "citizen":
        login_as(client, make_user())
    fill(campaign, protocol, 5)
    stats.clear_cache()
    with count_queries() as cold_few:
        client.get(url(campaign, query))
    with count_queries() as warm_few:
        client.get(url(campaign, query))
    extra = add_field(campaign, "number", "Zgomot", settings={"decimals": 0})
    db.session.commit()
    fill(campaign, protocol, 80, offset=5)
    add_observation(campaign, values=[(extra, 60)])
    stats.clear_cache()
    with count_queries() as cold_many:
        text = text_of(client.get(url(campaign, query)))
    assert ("86</strong>" if query else "69</strong>") in text
    with count_queries() as warm_many:
        client.get(url(campaign, query))
    assert cold_many.n == cold_few.n, cold_many.statements
    assert warm_many.n == warm_few.n, warm_many.statements
    assert warm_many.n < cold_many.n
    joined = " ".join(warm_many.statements).lower()
    assert "group by" not in joined, warm_many.statements


def test_a_new_observation_shows_at_once(client, login_as, make_user, campaign, protocol):
    login_as(client, make_user())
    add_observation(campaign, values=[(protocol["temperature"], 20)])
    assert "1</strong>" in main_of(client.get(url(campaign)))
    add_observation(campaign, values=[(protocol["temperature"], 25)])
    assert "2</strong>" in main_of(client.get(url(campaign)))


def test_each_language_has_its_rendering(client, campaign, protocol):
    add_observation(campaign, values=[(protocol["water"], True)])
    english = main_of(client.get(url(campaign)))
    client.set_cookie("lang", "ro")
    romanian = main_of(client.get(url(campaign)))
    assert "Apă în apropiere (en)</h3>" in english
    assert "Apă în apropiere</h3>" in romanian and '<html lang="ro">' in text_of(
        client.get(url(campaign)))


def test_page_weight_budget(client, campaign, protocol):
    for n in range(12):
        add_field(campaign, "single", f"Întrebarea {n} " * 4,
                  options=[f"Varianta {k} " * 3 for k in range(8)])
        add_field(campaign, "number", f"Măsurătoarea {n}", settings={"decimals": 2})
    db.session.commit()
    fill(campaign, protocol, 120)
    total, _assets = first_load(client, url(campaign, "?status=all"))
    assert total < BUDGET, f"{total} bytes compressed"
