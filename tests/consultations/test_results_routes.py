"""The results page and the free-text answers page: who sees them, the numbers they show,
paper responses with and without, breakdowns with small groups combined, hidden answers never
shown, hostile text escaped, a constant number of queries, the cache's invalidation and the
page-weight budget."""

from __future__ import annotations

import re

import pytest

from engage.consultations import results
from engage.consultations.models import ConsultationSettings
from engage.extensions import db
from tests.consultations.conftest import add_question
from tests.consultations.test_results import add_response
from tests.test_page_weight import BUDGET, first_load


@pytest.fixture(autouse=True)
def _fresh_cache():  # noqa: ANN202
    results.clear_cache()
    yield
    results.clear_cache()


def set_visibility(process, visibility="live", **fields):  # noqa: ANN001, ANN003, ANN201
    settings = db.session.get(ConsultationSettings, process.id)
    if settings is None:
        settings = ConsultationSettings(process_id=process.id)
        db.session.add(settings)
    settings.results_visibility = visibility
    for key, value in fields.items():
        setattr(settings, key, value)
    db.session.commit()
    return settings


def url(process, suffix=""):  # noqa: ANN001, ANN201
    return f"/{process.city.slug}/p/{process.slug}/results{suffix}"


def page_text(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def fill(process, q, count, *, offset=0):  # noqa: ANN001, ANN201
    """`count` varied submitted responses answering every question of the fixture."""
    walk, bike, car = q["travel"].choices
    lanes, parking, showers = q["helps"].choices
    bad, good = q["matrix"].choices
    pavements, buses = q["matrix"].rows
    for n in range(offset, offset + count):
        add_response(process, [
            (q["travel"], (walk, bike, car)[n % 3]), (q["satisfied"], 1 + n % 5),
            (q["helps"], [lanes] if n % 2 else [lanes, showers]),
            (q["order"], q["order"].choices[n % 3:] + q["order"].choices[:n % 3]),
            (q["distance"], n * 1.5), (q["matrix"], {pavements: bad, buses: good}),
            (q["comment"], f"Comentariu numărul {n}"),
        ], commit=False)
    db.session.commit()


# ---------------------------------------------------------------- who sees the results


@pytest.fixture
def people(make_user, make_role, city, make_city):  # noqa: ANN001, ANN201
    organiser, moderator = make_user(), make_user()
    make_role(organiser, city, "organiser")
    make_role(moderator, city, "moderator")
    other = make_user()
    make_role(other, make_city(), "organiser")
    return {"anonymous": None, "citizen": make_user(), "organiser": organiser,
            "moderator": moderator, "other_city_organiser": other,
            "admin": make_user(admin=True)}


STAFF = {"organiser", "moderator", "admin"}


@pytest.mark.parametrize("person", ["anonymous", "citizen", "organiser", "moderator",
                                    "other_city_organiser", "admin"])
@pytest.mark.parametrize(("visibility", "public"), [("live", True), ("after_close", False),
                                                    ("never", False)])
def test_visibility_while_open(client, login_as, process, questionnaire, people, person,
                               visibility, public):
    set_visibility(process, visibility)
    if people[person]:
        login_as(client, people[person])
    response = client.get(url(process))
    allowed = public or person in STAFF
    assert response.status_code == (200 if allowed else 404)
    text = page_text(response)
    if allowed:
        assert "Participation" in text
        assert ("Not public." in text) is (not public)
    else:
        assert "Participation" not in text
        if visibility == "never":
            assert "chosen not to publish" in text
        else:
            assert "will be published when the consultation closes, on" in text


@pytest.mark.parametrize("person", ["anonymous", "citizen", "organiser"])
def test_after_close_is_public_once_closed(client, login_as, process, questionnaire, people,
                                           person):
    set_visibility(process, "after_close")
    process.status = "closed"
    db.session.commit()
    if people[person]:
        login_as(client, people[person])
    assert client.get(url(process)).status_code == 200


@pytest.mark.parametrize("person", ["anonymous", "citizen", "other_city_organiser",
                                    "organiser", "admin"])
def test_a_draft_consultation_is_a_plain_404_except_for_staff(client, login_as, make_process,
                                                              city, people, person):
    draft = make_process(city, kind="consultation", status="draft")
    set_visibility(draft, "live")
    if people[person]:
        login_as(client, people[person])
    response = client.get(url(draft))
    assert response.status_code == (200 if person in STAFF else 404)
    assert "will be published" not in page_text(response)


def test_another_kind_or_city_is_404(client, make_process, city, make_city, process,
                                     questionnaire):
    set_visibility(process, "live")
    ideas = make_process(city, kind="ideas")
    assert client.get(url(ideas)).status_code == 404
    other_city = make_city()
    assert client.get(f"/{other_city.slug}/p/{process.slug}/results").status_code == 404
    assert client.get(f"/{city.slug}/p/nope/results").status_code == 404


# ---------------------------------------------------------------- the numbers on the page


@pytest.fixture
def live(process, questionnaire):  # noqa: ANN001, ANN201
    set_visibility(process, "live", respondents="anyone")
    return questionnaire


def test_page_shows_the_numbers_and_never_drafts(client, process, live):
    walk, bike, car = live["travel"].choices
    fill(process, live, 3)  # walk, bike, car
    add_response(process, [(live["travel"], walk), (live["comment"], "Secret draft")],
                 status="draft")
    text = page_text(client.get(url(process)))
    assert "3</strong>" in text and "responses counted" in text
    assert "Who could answer: Anyone, without an account (anonymous)." in text
    assert "No responses were collected on paper" in text
    assert "Completion: 3 of the 4 online responses begun were submitted (75%)." in text
    travel = _table_after(text, f'id="question-{live["travel"].id}"')
    assert re.findall(r'<td class="num">([^<]*)</td>', travel) == [
        "1", "33.3%", "1", "33.3%", "1", "33.3%"]
    assert "Secret draft" not in text
    assert "Mean 2 · median 2" in text  # satisfied 1, 2, 3
    assert "Borda score" in text and "Trotuare (en)" in text
    assert 'style="' not in text  # the CSP forbids inline styles: the charts use attributes
    assert text.count('<svg class="chart"') >= 6 and 'aria-hidden="true"' in text


def _table_after(text: str, marker: str) -> str:
    start = text.index(marker)
    return text[text.index("<table", start):text.index("</table>", start)]


def test_no_responses_yet(client, process, live):
    text = page_text(client.get(url(process)))
    assert "No responses yet." in text and "0</strong>" in text


def test_paper_responses_with_and_without(client, process, live):
    walk, bike, _car = live["travel"].choices
    for _ in range(2):
        add_response(process, [(live["travel"], bike)])
    for _ in range(5):
        add_response(process, [(live["travel"], walk)], channel="paper")
    text = page_text(client.get(url(process)))
    assert "These results include 5 responses collected on paper" in text
    assert "7</strong>" in text and "Online responses only" in text
    online = page_text(client.get(url(process, "?offline=0")))
    assert "These results leave out 5 responses" in online and "2</strong>" in online
    travel = _table_after(online, f'id="question-{live["travel"].id}"')
    assert re.findall(r'<td class="num">([^<]*)</td>', travel)[:4] == ["0", "0%", "2", "100%"]


def test_few_paper_responses_cannot_be_left_out(client, process, live):
    walk = live["travel"].choices[0]
    add_response(process, [(live["travel"], walk)])
    add_response(process, [(live["travel"], walk)], channel="paper")
    text = page_text(client.get(url(process, "?offline=0")))
    assert "These results include 1 response collected on paper" in text
    assert "Online responses only" not in text and "2</strong>" in text


def test_hidden_answers_never_shown_and_hostile_text_escaped(client, process, live):
    comment = live["comment"]
    walk = live["travel"].choices[0]
    walk.label_en = '<img src=x onerror="alert(1)">Walk'
    live["comment"].text_en = "<b>Other ideas?</b>"
    db.session.commit()
    add_response(process, [(live["travel"], walk), (comment, "<script>alert('x')</script>")])
    add_response(process, [(comment, ("Ascuns: date personale", "hidden"))])
    add_response(process, [(comment, ("În așteptare", "pending"))])
    for path in (url(process), url(process, f"/questions/{comment.id}/answers")):
        text = page_text(client.get(path))
        assert "<script>alert('x')</script>" not in text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
        assert "Ascuns" not in text and "În așteptare" not in text
        assert "<b>Other ideas?</b>" not in text and "&lt;b&gt;Other ideas?&lt;/b&gt;" in text
    main = page_text(client.get(url(process)))
    assert '<img src=x' not in main and "&lt;img src=x" in main
    assert "1 answer is published." in main


# ---------------------------------------------------------------- queries and cache


@pytest.mark.parametrize("person", ["anonymous", "organiser"])
def test_constant_number_of_queries(client, login_as, process, live, people, person,
                                    count_queries):
    if people[person]:
        login_as(client, people[person])
    fill(process, live, 5)
    results.clear_cache()
    with count_queries() as cold_few:
        client.get(url(process))
    with count_queries() as warm_few:
        client.get(url(process))
    fill(process, live, 55, offset=5)
    add_response(process, [(live["travel"], live["travel"].choices[0])], channel="paper")
    results.clear_cache()
    with count_queries() as cold_many:
        text = page_text(client.get(url(process)))
    assert "61</strong>" in text
    with count_queries() as warm_many:
        client.get(url(process))
    assert cold_many.n == cold_few.n, cold_many.statements
    assert warm_many.n == warm_few.n, warm_many.statements
    assert warm_many.n < cold_many.n


def test_breakdown_queries_do_not_grow(client, process, live, make_user, count_queries):
    travel = live["travel"]
    for n in range(5):
        add_response(process, [(travel, travel.choices[n % 3])],
                     user=make_user(stakeholder_type="citizen"))
    path = url(process, f"?question={travel.id}&by=stakeholder_type")
    client.get(path)
    with count_queries() as few:
        client.get(path)
    for n in range(40):
        add_response(process, [(travel, travel.choices[n % 3])],
                     user=make_user(stakeholder_type=("research", "business")[n % 2]))
    client.get(path)
    with count_queries() as many:
        client.get(path)
    assert many.n == few.n, many.statements


def test_a_new_response_changes_the_page(client, process, live):
    walk, bike, _car = live["travel"].choices
    add_response(process, [(live["travel"], walk)])
    first = page_text(client.get(url(process)))
    assert "1</strong>" in first
    assert page_text(client.get(url(process))) == first  # served from the cache
    add_response(process, [(live["travel"], bike)])
    second = page_text(client.get(url(process)))
    assert "2</strong>" in second
    travel = _table_after(second, f'id="question-{live["travel"].id}"')
    assert re.findall(r'<td class="num">([^<]*)</td>', travel)[:4] == ["1", "50%", "1", "50%"]


def test_moderation_shows_at_once_without_a_new_response(client, process, live):
    response = add_response(process, [(live["comment"], "Acum se vede")])
    assert "Acum se vede" in page_text(client.get(url(process)))
    contribution = response_answer_contribution(response)
    contribution.status = "hidden"
    db.session.commit()
    assert "Acum se vede" not in page_text(client.get(url(process)))
    assert "Acum se vede" not in page_text(
        client.get(url(process, f"/questions/{live['comment'].id}/answers")))


def response_answer_contribution(response):  # noqa: ANN001, ANN201
    from engage.consultations.models import Answer

    answer = db.session.scalars(db.select(Answer).where(Answer.response_id == response.id)).one()
    return answer.contribution


# ---------------------------------------------------------------- breakdowns


def test_breakdown_form_combines_small_groups(client, process, live, make_user):
    travel = live["travel"]
    walk, bike, car = travel.choices
    for n in range(6):
        add_response(process, [(travel, walk if n < 4 else bike)],
                     user=make_user(stakeholder_type="citizen"))
    for _ in range(5):
        add_response(process, [(travel, car)], user=make_user(stakeholder_type="research"))
    add_response(process, [(travel, bike)], user=make_user(stakeholder_type="business"))
    text = page_text(client.get(url(process, f"?question={travel.id}&by=stakeholder_type")))
    section = text[text.index('id="breakdown"'):]
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="num">(\d+)</td>', section)
    # Business (1) would be alone in "other": research (5) joins it.
    assert rows == [("Citizen", "6"), ("Other groups (combined)", "6")]
    assert "Combined into &#34;Other groups&#34;: Research and academia, Business." in section \
        or "Combined into \"Other groups\": Research and academia, Business." in section


def test_breakdown_htmx_fragment_and_bad_input(client, process, live, make_user):
    travel = live["travel"]
    for _ in range(5):
        add_response(process, [(travel, travel.choices[0])],
                     user=make_user(stakeholder_type="citizen"))
    fragment = client.get(url(process, f"?question={travel.id}&by=stakeholder_type"
                                       "&part=breakdown"), headers={"HX-Request": "true"})
    body = page_text(fragment)
    assert body.lstrip().startswith('<div id="breakdown"') and "<html" not in body
    assert "HX-Request" in fragment.headers.get("Vary", "")
    # The form itself sends no `part`: htmx names its target, so the pushed URL stays clean.
    targeted = client.get(url(process, f"?question={travel.id}&by=stakeholder_type"),
                          headers={"HX-Request": "true", "HX-Target": "breakdown"})
    assert page_text(targeted).lstrip().startswith('<div id="breakdown"')
    assert "<html" in page_text(client.get(url(process, f"?question={travel.id}"
                                                        "&by=stakeholder_type&part=breakdown")))
    for query in (f"?question={live['comment'].id}&by=stakeholder_type", "?question=abc",
                  f"?question={travel.id}&by=email", "?question=999999",
                  f"?question={travel.id}&by=age_band"):
        response = client.get(url(process, query))
        assert response.status_code == 200
        assert "cannot be broken down" in page_text(response)


def test_breakdown_with_too_few_respondents(client, process, live, make_user):
    travel = live["travel"]
    for kind in ("citizen", "business", "research"):
        add_response(process, [(travel, travel.choices[0])],
                     user=make_user(stakeholder_type=kind))
    text = page_text(client.get(url(process, f"?question={travel.id}&by=stakeholder_type")))
    assert "so no breakdown is shown" in text
    section = text[text.index('id="breakdown"'):]
    assert "<table" not in section


def test_breakdown_by_profile_question_when_asked(client, process, live):
    set_visibility(process, "live", profile_questions=["age_band"])
    satisfied = live["satisfied"]
    for _ in range(5):
        add_response(process, [(satisfied, 4)], profile={"age_band": "45_64"})
    text = page_text(client.get(url(process, f"?question={satisfied.id}&by=age_band")))
    assert '<option value="age_band" selected>' in text
    assert re.search(r'<th scope="row">45–64</th><td class="num">5</td>', text)


# ---------------------------------------------------------------- the answers page


def test_answers_page_search_and_pages(client, process, live):
    comment = live["comment"]
    for n in range(23):
        add_response(process, [(comment, f"Răspuns {n} despre școală" if n % 2 else
                                f"Răspuns {n}")], commit=False)
    db.session.commit()
    path = url(process, f"/questions/{comment.id}/answers")
    text = page_text(client.get(path))
    assert "23 published answers" in text and "Răspuns 22" in text and "Răspuns 2<" not in text
    assert "Load more answers" in text and "Page 1 of 2" in text
    more = client.get(path + "?page=2&part=items", headers={"HX-Request": "true"})
    items = page_text(more)
    assert "<html" not in items and "Răspuns 0<" in items and "Load more" not in items
    found = page_text(client.get(path + "?q=SCOALA"))
    assert "11 published answers" in found and "Răspuns 22<" not in found
    listed = client.get(path + "?q=scoala",
                        headers={"HX-Request": "true", "HX-Target": "answer-list"})
    assert page_text(listed).lstrip().startswith('<div id="answer-list"')
    none = page_text(client.get(path + "?q=" + "x" * 500))
    assert "No published answer matches your search." in none


def test_answers_page_refuses_other_questions(client, process, live, make_process, city):
    assert client.get(url(process, f"/questions/{live['travel'].id}/answers")).status_code \
        == 404
    other = make_process(city, kind="consultation")
    set_visibility(other, "live")
    assert client.get(url(other, f"/questions/{live['comment'].id}/answers")).status_code \
        == 404
    assert client.get(url(process, "/questions/999999/answers")).status_code == 404


def test_answers_page_follows_the_results_visibility(client, process, questionnaire):
    set_visibility(process, "never")
    response = client.get(url(process, f"/questions/{questionnaire['comment'].id}/answers"))
    assert response.status_code == 404 and "chosen not to publish" in page_text(response)


# ---------------------------------------------------------------- page weight


def test_results_page_fits_the_page_weight_budget(client, process, live):
    sections = live["sections"]
    for n in range(13):
        add_question(sections[n % 3], ("single", "multiple", "scale")[n % 3],
                     f"Întrebarea suplimentară {n} despre transportul din oraș",
                     options=[f"Varianta {k} pentru cartierul nostru" for k in range(5)]
                     if n % 3 != 2 else (), position=10 + n)
    db.session.commit()
    fill(process, live, 60)
    total, assets = first_load(client, url(process))
    assert any(a.endswith(".css") for a in assets)
    assert total < BUDGET, f"{total} bytes compressed"


def test_romanian_numbers_on_the_page(client_default_language, process, live):
    walk, bike, car = live["travel"].choices
    fill(process, live, 3)
    text = page_text(client_default_language.get(url(process)))
    assert '<html lang="ro">' in text
    travel = _table_after(text, f'id="question-{live["travel"].id}"')
    assert re.findall(r'<td class="num">([^<]*)</td>', travel)[:2] == ["1", "33,3%"]
    assert "Cum mergeți la serviciu?" in text and "(en)" not in travel


@pytest.fixture
def cache_on(app):  # noqa: ANN001, ANN201
    app.config["PAGE_CACHE_SECONDS"] = 10
    app.page_cache.clear()
    yield app.page_cache
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.page_cache.clear()


def test_visitors_may_get_the_page_cache_copy_staff_never(app, cache_on, process, live,
                                                          people, login_as):
    walk = live["travel"].choices[0]
    add_response(process, [(live["travel"], walk)])
    first = app.test_client().get(url(process))
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    add_response(process, [(live["travel"], walk)])
    # A visitor without a session may see the stored copy for a few seconds...
    assert "1</strong>" in page_text(app.test_client().get(url(process)))
    # ...the organisers always see the current numbers.
    organiser = login_as(app.test_client(), people["organiser"])
    assert "2</strong>" in page_text(organiser.get(url(process)))


def test_live_results_of_a_consultation_not_open_yet(client, make_process, city):
    from datetime import timedelta

    from engage.core.db import utcnow

    upcoming = make_process(city, kind="consultation", opens_at=utcnow() + timedelta(days=2))
    set_visibility(upcoming, "live")
    response = client.get(url(upcoming))
    assert response.status_code == 404
    assert "will be published when the consultation opens" in page_text(response)


# ---------------------------------------------------------------- the rendering cache


def test_a_current_rendering_costs_no_aggregate(client, login_as, process, live, people,
                                                count_queries):
    login_as(client, people["citizen"])
    fill(process, live, 6)
    client.get(url(process))
    with count_queries() as warm:
        text = page_text(client.get(url(process)))
    assert "6</strong>" in text
    # "Cited in" beside the answers shown is read fresh (a summary published a minute ago
    # shows): one look-up per citer (summaries, the contract), over a handful of ids, by index.
    cited_in = [s for s in warm.statements if "summary_citation" in s.lower()]
    assert len(cited_in) <= 2, cited_in
    joined = " ".join(s for s in warm.statements if s not in cited_in).lower()
    assert "group by" not in joined and "sum(" not in joined, warm.statements
    # The free-text previews shown are checked to be still published: one look-up.
    assert sum("contribution" in s.lower() for s in warm.statements
               if s not in cited_in) == 1, warm.statements


def test_the_rendering_is_nobody_s_own(app, login_as, process, live, make_user):
    """The cached part is shared; the page around it (the session's CSRF token) is not."""
    fill(process, live, 2)
    tokens = []
    for _ in range(2):
        text = page_text(login_as(app.test_client(), make_user()).get(url(process)))
        assert "2</strong>" in text
        tokens.append(re.search(r'"X-CSRFToken": "([^"]+)"', text).group(1))
    assert tokens[0] != tokens[1]


def test_each_language_has_its_rendering(client, process, live):
    fill(process, live, 2)
    english = page_text(client.get(url(process)))
    client.set_cookie("lang", "ro")
    romanian = page_text(client.get(url(process)))
    assert "responses counted" in english and "responses counted" not in romanian
    assert "Travel" in english and "Deplasări" in romanian


def test_a_corrected_question_text_shows_at_once(client, process, live):
    from engage.consultations import services

    fill(process, live, 2)
    assert "Cum mergeți la serviciu?" in page_text(client.get(url(process)))
    travel = live["travel"]
    services.update_question(
        travel, text_ro="Cum ajungeți la lucru?", text_en="How do you get to work?",
        help_ro="", help_en="", required=True, settings=travel.settings,
        options=[(o.label_ro, o.label_en) for o in travel.choices], rows=[], condition=None)
    db.session.commit()
    assert "How do you get to work?" in page_text(client.get(url(process)))


def test_an_answer_hidden_behind_the_version_s_back_is_still_never_shown(client, process,
                                                                         live):
    """A statement that hides a free-text answer without raising the results version (as a
    future code path might) still takes it off the page: the cached rendering is checked."""
    from sqlalchemy import update

    from engage.processes.models import Contribution

    response = add_response(process, [(live["comment"], "Textul meu secret")])
    assert "Textul meu secret" in page_text(client.get(url(process)))
    contribution = response_answer_contribution(response)
    db.session.execute(update(Contribution).where(Contribution.id == contribution.id)
                       .values(status="hidden").execution_options(synchronize_session=False))
    db.session.commit()
    assert "Textul meu secret" not in page_text(client.get(url(process)))


def test_a_settings_change_shows_at_once(client, login_as, process, live, people):
    login_as(client, people["organiser"])
    fill(process, live, 1)
    assert "Who could answer: Anyone" in page_text(client.get(url(process)))
    set_visibility(process, "live", respondents="signed_in")
    assert "Who could answer: Signed-in citizens" in page_text(client.get(url(process)))
