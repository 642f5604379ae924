"""Answering a consultation in a real browser on a 360 × 740 screen, in Romanian, with and
without JavaScript: the demo's three-section questionnaire of Bucharest Sector 2 (the second
section only for owners, a condition on the first question), from the start page through every
section, the review and the receipt to the public results, whose response count goes up by one.
axe-core checks each page (with JavaScript), nothing scrolls sideways, the progress indicator
says where one is, wrong answers are refused with a message, and no request leaves this machine.

The htmx redraw of questions that depend on an answer on the same page is not exercised here:
the demo's only condition is on a section (the server tests cover the redraw).
"""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from engage.demo import DEMO_PASSWORD
from tests.browser.conftest import _context, axe_violations, fits_360

pytestmark = pytest.mark.browser

CITY = "bucuresti-sector-2"
PROCESS = "renovarea-blocurilor"
ANSWER = f"/{CITY}/p/{PROCESS}/answer"
RESULTS = f"/{CITY}/p/{PROCESS}/results"
OWNER = "cetatean@engage.test"  # Romanian profile
NOT_OWNER = "citizen@engage.test"  # English profile: made Romanian here with the `lang` cookie
LOCAL_HOSTS = {"127.0.0.1"}


# ---------------------------------------------------------------- helpers


def _t(app, text: str, **variables) -> str:  # noqa: ANN001, ANN003
    """`text` in Romanian as the application's catalogs give it (the English text while the
    catalog has no translation yet), with `variables` filled in."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("ro"):
        return gettext(text, **variables)


def _nt(app, singular: str, plural: str, num: int, **variables) -> str:  # noqa: ANN001, ANN003
    from flask_babel import force_locale, ngettext

    with app.test_request_context("/"), force_locale("ro"):
        return ngettext(singular, plural, num, **variables)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _questionnaire(app) -> list[SimpleNamespace]:  # noqa: ANN001
    """The demo questionnaire's sections, questions and options (ids and Romanian labels), read
    from the live server's database."""
    from sqlalchemy import select

    from engage.cities.models import City
    from engage.consultations.models import Question, Section
    from engage.extensions import db
    from engage.processes.models import Process

    with app.app_context():
        process = db.session.scalar(
            select(Process).join(City, City.id == Process.city_id)
            .where(City.slug == CITY, Process.slug == PROCESS))
        assert process is not None and process.kind == "consultation"
        sections = []
        for section in db.session.scalars(
            select(Section).where(Section.process_id == process.id)
            .order_by(Section.position, Section.id)
        ):
            questions = [
                SimpleNamespace(
                    id=q.id, type=q.type, text=q.text_ro, required=q.required,
                    settings=dict(q.settings or {}),
                    options=[(o.id, o.label_ro) for o in q.choices],
                    rows=[(o.id, o.label_ro) for o in q.rows],
                )
                for q in db.session.scalars(
                    select(Question).where(Question.section_id == section.id)
                    .order_by(Question.position, Question.id))
            ]
            sections.append(SimpleNamespace(id=section.id, title=section.title_ro,
                                            condition=section.condition, questions=questions))
        db.session.remove()
    return sections


def _demo(app) -> SimpleNamespace:  # noqa: ANN001
    """The demo's questions by role, checked to be what these tests expect."""
    sections = _questionnaire(app)
    assert len(sections) == 3, [s.title for s in sections]
    home, owners, area = sections
    tenure, scale, number = home.questions
    convince, ranking = owners.questions
    matrix, text = area.questions
    assert (tenure.type, tenure.required) == ("single", True)
    assert owners.condition == {"question": tenure.id, "options": [tenure.options[0][0]]}
    assert area.condition is None
    assert (scale.type, number.type) == ("scale", "number")
    assert (convince.type, convince.settings.get("max")) == ("multiple", 2)
    assert len(convince.options) >= 3
    assert ranking.type == "ranking" and len(ranking.options) == 3
    assert (matrix.type, text.type) == ("matrix", "long_text") and len(matrix.rows) == 2
    return SimpleNamespace(sections=sections, tenure=tenure, scale=scale, number=number,
                           convince=convince, ranking=ranking, matrix=matrix, text=text)


REFUSED = "Failed to load resource: the server responded with a status of 422"


def _watch(page) -> list[str]:  # noqa: ANN001
    """JavaScript errors and console errors of `page`, collected as they happen, except
    Chromium's note on the pages answered with 422 (a refused form, on purpose here)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(
        f"console.{message.type}: {message.text} ({message.location.get('url')})"
    ) if message.type == "error" and not (
        message.text.startswith(REFUSED)
        and urlsplit(message.location.get("url") or "").path.startswith(ANSWER + "/")
    ) else None)
    return errors


def _keep_local(context) -> list[str]:  # noqa: ANN001
    """Refuse every request that would leave this machine; returns the URLs asked for."""
    asked: list[str] = []

    def outside(url: str) -> bool:
        return url.startswith(("http:", "https:")) and urlsplit(url).hostname not in LOCAL_HOSTS

    def refuse(route) -> None:  # noqa: ANN001
        asked.append(route.request.url)
        route.abort()

    context.route(outside, refuse)
    return asked


def _log_in(page, base: str, email: str) -> None:  # noqa: ANN001
    page.goto(base + "/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    assert "/account/login" not in page.url, f"could not log in as {email}"


@pytest.fixture(scope="module")
def signed_in_states() -> dict[str, list]:
    """Cookies of the people who logged in through the form in this module: the log-in form
    is rate-limited (10 a minute from one address, shared with the other browser tests), so
    each person logs in once."""
    return {}


@pytest.fixture
def open_as(browser, live_server, signed_in_states):  # noqa: ANN001, ANN201
    """`open_as(email, javascript=True, romanian=False)`: a new 360 × 740 page signed in as
    `email`, refusing requests to other hosts (the list of those asked is `page.outside`);
    `romanian` sets the language cookie, which wins over the profile's language."""
    contexts = []

    def open_page(email: str, javascript: bool = True, romanian: bool = False):  # noqa: ANN202
        context = _context(browser, javascript=javascript)
        contexts.append(context)
        asked = _keep_local(context)
        if romanian:
            context.add_cookies([{"name": "lang", "value": "ro", "url": live_server.url}])
        page = context.new_page()
        page.outside = asked
        if email in signed_in_states:
            context.add_cookies(signed_in_states[email])
        else:
            _log_in(page, live_server.url, email)
            signed_in_states[email] = [c for c in context.cookies() if c["name"] != "lang"]
        return page

    yield open_page
    for context in contexts:
        context.close()


def _check(page, javascript: bool) -> None:  # noqa: ANN001
    assert page.locator("html").get_attribute("lang") == "ro", page.url
    if javascript:  # axe-core cannot run without JavaScript; the markup is the same
        assert axe_violations(page) == [], page.url
    assert fits_360(page), (
        f"horizontal scrolling at 360 px on {page.url}: scrollWidth "
        f"{page.evaluate('document.documentElement.scrollWidth')}"
    )


def _path(page) -> str:  # noqa: ANN001
    return urlsplit(page.url).path


def _submit(page, button: str = "main form button[type=submit].primary") -> int:  # noqa: ANN001
    """Click a form's button and wait for the page it leads to; returns its HTTP status."""
    with page.expect_navigation() as navigation:
        page.locator(button).first.click()
    return navigation.value.status


def _assert_progress(page, app, position: int, total: int) -> None:  # noqa: ANN001
    label = page.locator("#progress-label")
    assert _squash(label.inner_text()) == _t(
        app, "Section %(position)s of %(total)s", position=position, total=total), page.url
    bar = page.locator("progress")
    assert bar.count() == 1
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == (str(position), str(total))
    assert bar.get_attribute("aria-labelledby") == "progress-label"


def _assert_section(page, app, section, position: int, total: int) -> None:  # noqa: ANN001
    assert re.fullmatch(rf"{re.escape(ANSWER)}/\d+", _path(page)), page.url
    heading = page.locator("main h1")
    assert heading.inner_text().strip() == section.title
    assert heading.get_attribute("lang") == "ro"
    _assert_progress(page, app, position, total)
    for question in section.questions:
        legend = page.locator(f"#question-{question.id} > legend")
        assert legend.locator("span[lang]").first.inner_text().strip() == question.text


def _response_count(page, base: str, javascript: bool) -> int:  # noqa: ANN001
    """The number of responses the results page counts (signed in: never a cached page)."""
    assert page.goto(base + RESULTS).status == 200
    figure = page.locator("section[aria-labelledby=participation-heading] .figures-line .big")
    count = int(figure.inner_text().strip())
    _check(page, javascript)
    return count


def _answers_shown(page) -> dict[str, str]:  # noqa: ANN001
    """The review or receipt page's answers: question text → answer in words."""
    shown: dict[str, str] = {}
    for answers in page.locator("dl.answers").all():
        terms = [_squash(t) for t in answers.locator("dt").all_inner_texts()]
        details = [_squash(d) for d in answers.locator("dd").all_inner_texts()]
        assert len(terms) == len(details)
        shown.update(zip(terms, details, strict=True))
    return shown


def _section_titles(page) -> list[str]:  # noqa: ANN001
    """The review or receipt page's section headings, without their "Change" links."""
    titles = []
    for heading in page.locator("section.review-section h2").all():
        text = _squash(heading.inner_text())
        for link in heading.locator("a").all_inner_texts():
            text = _squash(text.removesuffix(_squash(link)))
        titles.append(text)
    return titles


def _choose(page, question, label: str) -> None:  # noqa: ANN001
    """Tick the radio or checkbox of `question` whose Romanian label is `label`."""
    page.locator(f"#question-{question.id}").get_by_label(label, exact=True).check()


# ---------------------------------------------------------------- with JavaScript


def test_owner_answers_three_sections_with_javascript(live_server, open_as):
    base, app = live_server.url, live_server.app
    demo = _demo(app)
    home, owners, area = demo.sections
    page = open_as(OWNER)
    errors = _watch(page)

    before = _response_count(page, base, javascript=True)

    # Start page: what the questionnaire is, and a Start button.
    assert page.goto(base + ANSWER).status == 200
    _check(page, True)
    assert _nt(app, "The questionnaire has %(n)s section.", "The questionnaire has %(n)s "
               "sections.", 3, n=3) in _squash(page.locator("main").inner_text())
    start = page.locator("main form button[type=submit].primary")
    assert start.inner_text().strip() == _t(app, "Start"), "this person has answered already"
    assert _submit(page) == 200

    # Section 1 of 3 (the numbering stays the same whatever is skipped).
    assert _path(page) == f"{ANSWER}/1"
    _assert_section(page, app, home, 1, 3)
    assert page.locator("button[name=direction][value=back]").count() == 0
    _check(page, True)
    _choose(page, demo.tenure, demo.tenure.options[0][1])  # the owner
    page.locator(f"#q{demo.scale.id}-4").check()
    page.fill(f"#q{demo.number.id}", "350")
    assert _submit(page) == 200

    # Section 2, shown to owners.
    assert _path(page) == f"{ANSWER}/2", "the owners' section did not follow"
    _assert_section(page, app, owners, 2, 3)
    _check(page, True)
    convince = demo.convince.options
    assert _squash(page.locator(f"#question-{demo.convince.id} .hint").inner_text()) == _t(
        app, "Choose at most %(max)s.", max=2)
    # Three choices where two are allowed, and the same place twice: both refused.
    for _option_id, label in convince[:3]:
        _choose(page, demo.convince, label)
    ranking = demo.ranking.options
    page.select_option(f"#q{demo.ranking.id}-r{ranking[0][0]}", "1")
    page.select_option(f"#q{demo.ranking.id}-r{ranking[1][0]}", "1")
    page.select_option(f"#q{demo.ranking.id}-r{ranking[2][0]}", "2")
    assert _submit(page) == 422
    assert _path(page) == f"{ANSWER}/2", "a refused page advanced"
    assert _squash(page.locator(".form-errors[role=alert]").inner_text()) == _t(
        app, "Please correct the questions marked below.")
    assert _squash(page.locator(f"#q{demo.convince.id}-error").inner_text()) == _t(
        app, "Choose at most %(max)s options.", max=2)
    assert _squash(page.locator(f"#q{demo.ranking.id}-error").inner_text()) == _t(
        app, "Give each item a different place from 1 to %(n)s.", n=3)
    assert f"q{demo.convince.id}-error" in (
        page.locator(f"#question-{demo.convince.id}").get_attribute("aria-describedby") or "")
    _assert_progress(page, app, 2, 3)
    _check(page, True)
    # Corrected: two choices, and each place once (the third work first). (The refused page
    # does not show the refused choices again, so they are set again, not just changed.)
    _choose(page, demo.convince, convince[0][1])
    _choose(page, demo.convince, convince[1][1])
    page.locator(f"#question-{demo.convince.id}").get_by_label(
        convince[2][1], exact=True).uncheck()
    page.select_option(f"#q{demo.ranking.id}-r{ranking[2][0]}", "1")
    page.select_option(f"#q{demo.ranking.id}-r{ranking[0][0]}", "2")
    page.select_option(f"#q{demo.ranking.id}-r{ranking[1][0]}", "3")
    assert _submit(page) == 200

    # Section 3: 3 of 3, with "Save and go back".
    assert _path(page) == f"{ANSWER}/3"
    _assert_section(page, app, area, 3, 3)
    assert page.locator("button[name=direction][value=back]").count() == 1
    _check(page, True)
    columns = demo.matrix.options
    (green_id, green), (transport_id, transport) = demo.matrix.rows
    page.locator(f"#q{demo.matrix.id}-{green_id}-{columns[2][0]}").check()
    page.locator(f"#q{demo.matrix.id}-{transport_id}-{columns[1][0]}").check()
    remark = f"Izolați și acoperișul, vă rog. {uuid.uuid4().hex[:6]}"
    page.fill(f"#q{demo.text.id}", remark)
    assert _submit(page) == 200

    # Review: every answer of the three sections, a "Change" link for each.
    assert _path(page) == f"{ANSWER}/review"
    assert page.locator("main h1").inner_text().strip() == _t(app, "Check your answers")
    assert _section_titles(page) == [home.title, owners.title, area.title]
    assert page.locator("section.review-section h2 a").count() == 3
    assert page.locator(".notice-warning[role=alert]").count() == 0, "answers said missing"
    expected = {
        demo.tenure.text: demo.tenure.options[0][1],
        demo.scale.text: _t(app, "%(value)s (from %(min)s to %(max)s)", value=4, min=1, max=5),
        demo.number.text: "350 lei",
        demo.convince.text: f"{convince[0][1]}; {convince[1][1]}",
        demo.ranking.text: f"1. {ranking[2][1]}; 2. {ranking[0][1]}; 3. {ranking[1][1]}",
        demo.matrix.text: f"{green}: {columns[2][1]}; {transport}: {columns[1][1]}",
        demo.text.text: remark,
    }
    assert _answers_shown(page) == expected
    submit = page.locator("main form button[type=submit].primary")
    assert submit.inner_text().strip() == _t(app, "Submit my answers")
    assert submit.is_enabled()
    _check(page, True)
    assert _submit(page) == 200

    # Receipt: a copy of the answers and the way to the results.
    assert _path(page) == f"{ANSWER}/receipt"
    assert page.locator("main h1").inner_text().strip() == _t(app, "Thank you for your answers")
    assert _answers_shown(page) == expected
    _check(page, True)
    page.locator("main a.button").filter(has_text=_t(app, "See the results")).click()
    page.wait_for_url(re.compile(re.escape(RESULTS) + "$"))
    assert _response_count(page, base, javascript=True) == before + 1

    # The start page now says it is answered and offers to change the answers.
    page.goto(base + ANSWER)
    assert page.locator("main .notice[role=status] a[href$='/answer/receipt']").count() == 1
    assert page.locator("main form button[type=submit].primary").inner_text().strip() == _t(
        app, "Change my answers")

    assert errors == [], errors
    assert page.outside == [], page.outside


# ---------------------------------------------------------------- without JavaScript


def test_not_owner_skips_the_owners_section_without_javascript(live_server, open_as):
    base, app = live_server.url, live_server.app
    demo = _demo(app)
    home, owners, area = demo.sections
    page = open_as(NOT_OWNER, javascript=False, romanian=True)
    errors = _watch(page)

    before = _response_count(page, base, javascript=False)
    assert page.goto(base + ANSWER).status == 200
    _check(page, False)
    # Each person has one response: a second run against the same server finds it submitted
    # and changes it ("Change my answers"), which does not add to the count.
    answered = page.locator("main .notice[role=status] a[href$='/answer/receipt']").count() == 1
    label = page.locator("main form button[type=submit].primary").inner_text().strip()
    assert label == _t(app, "Change my answers" if answered else "Start"), label
    assert _submit(page) == 200
    assert _path(page) == f"{ANSWER}/1"
    _assert_section(page, app, home, 1, 3)
    _check(page, False)

    # The required question left empty (and a number out of range): refused, nothing stored,
    # the page does not advance and keeps what was typed.
    for radio in page.locator(f"#question-{demo.tenure.id} input[type=radio]").all():
        assert not radio.is_checked() or answered
    if answered:  # no JavaScript in the page, but the test may still clear the radios
        page.evaluate(f"document.querySelectorAll('input[name=q{demo.tenure.id}]')"
                      ".forEach(r => r.checked = false)")
    page.locator(f"#q{demo.scale.id}-2").check()
    page.fill(f"#q{demo.number.id}", "99999")
    assert _submit(page) == 422
    assert _path(page) == f"{ANSWER}/1", "an empty required answer advanced"
    assert _squash(page.locator(".form-errors[role=alert]").inner_text()) == _t(
        app, "Please correct the questions marked below.")
    tenure = page.locator(f"#question-{demo.tenure.id}")
    assert "has-error" in (tenure.get_attribute("class") or "")
    assert _squash(page.locator(f"#q{demo.tenure.id}-error").inner_text()) == _t(
        app, "Please answer this question.")
    assert f"q{demo.tenure.id}-error" in (tenure.get_attribute("aria-describedby") or "")
    assert _squash(page.locator(f"#q{demo.number.id}-error").inner_text()) == _t(
        app, "Enter a number from %(min)s to %(max)s.", min="0", max="5000")
    assert page.locator(f"#q{demo.number.id}").get_attribute("aria-invalid") == "true"
    assert page.locator(f"#q{demo.scale.id}-2").is_checked()
    _check(page, False)
    # Not even a draft of it was stored: the section, opened again, is empty.
    if not answered:
        page.goto(base + f"{ANSWER}/1")
        assert page.locator(f"#question-{demo.tenure.id} input:checked").count() == 0
        assert page.locator(f"#question-{demo.scale.id} input:checked").count() == 0
        assert page.locator(".form-errors").count() == 0
        page.locator(f"#q{demo.scale.id}-2").check()

    # Not an owner (the last option): the owners' section is skipped, straight to 3 of 3.
    _choose(page, demo.tenure, demo.tenure.options[-1][1])
    page.fill(f"#q{demo.number.id}", "420")
    assert _submit(page) == 200
    assert _path(page) == f"{ANSWER}/3", "the owners' section was not skipped"
    _assert_section(page, app, area, 3, 3)
    _check(page, False)
    # Asked for directly, the skipped section sends on to the next one shown.
    page.goto(base + f"{ANSWER}/2")
    assert _path(page) == f"{ANSWER}/3"

    columns = demo.matrix.options
    (green_id, green), (transport_id, transport) = demo.matrix.rows
    page.locator(f"#q{demo.matrix.id}-{green_id}-{columns[0][0]}").check()
    page.locator(f"#q{demo.matrix.id}-{transport_id}-{columns[2][0]}").check()
    remark = f"Mai multe bănci în parc. {uuid.uuid4().hex[:6]}"
    page.fill(f"#q{demo.text.id}", remark)
    assert _submit(page) == 200

    # Review: sections 1 and 3 only.
    assert _path(page) == f"{ANSWER}/review"
    assert _section_titles(page) == [home.title, area.title]
    expected = {
        demo.tenure.text: demo.tenure.options[-1][1],
        demo.scale.text: _t(app, "%(value)s (from %(min)s to %(max)s)", value=2, min=1, max=5),
        demo.number.text: "420 lei",
        demo.matrix.text: f"{green}: {columns[0][1]}; {transport}: {columns[2][1]}",
        demo.text.text: remark,
    }
    assert _answers_shown(page) == expected
    assert owners.questions[0].text not in page.locator("main").inner_text()
    _check(page, False)
    assert _submit(page) == 200

    assert _path(page) == f"{ANSWER}/receipt"
    assert page.locator("main h1").inner_text().strip() == _t(app, "Thank you for your answers")
    assert _answers_shown(page) == expected
    _check(page, False)
    assert _response_count(page, base, javascript=False) == before + (0 if answered else 1)

    assert errors == [], errors
    assert page.outside == [], page.outside
