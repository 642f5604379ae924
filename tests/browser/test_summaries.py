"""A summary in a real browser on a 360 × 740 phone: the demo's admin finds two of Bucharest
Sector 2's ideas with the citation picker, cites them, saves and publishes; the public summary
links both with their quotes, and each idea's page says where it is cited. axe-core finds no
serious or critical violation on the way, and nothing scrolls sideways."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.test_pages import _assert_clean, _log_in

pytestmark = pytest.mark.browser

CITY = "bucuresti-sector-2"
PROCESS = "strazi-pentru-oameni"


def _two_ideas(live_server) -> list[tuple[int, str]]:  # noqa: ANN001
    from sqlalchemy import select

    from engage.extensions import db
    from engage.ideas.models import Idea
    from engage.processes.models import Contribution, Process

    with live_server.app.app_context():
        rows = db.session.execute(
            select(Idea.id, Idea.title).join(Process, Process.id == Idea.process_id)
            .join(Contribution, Contribution.id == Idea.contribution_id)
            .where(Process.slug == PROCESS, Contribution.status == "published")
            .order_by(Idea.id).limit(2)).all()
        db.session.remove()
    return [(idea_id, title) for idea_id, title in rows]


@pytest.mark.postgres_too
def test_cite_two_ideas_publish_and_see_it_on_the_idea_pages(page, live_server):
    base = live_server.url
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    (first, first_title), (second, second_title) = _two_ideas(live_server)
    title = f"What the streets need {uuid.uuid4().hex[:6]}"
    # The demo's organiser works for Suceava and Cluj-Napoca: Sector 2's summaries, an admin.
    _log_in(page, base, "admin@engage.test")

    page.goto(f"{base}/{CITY}/manage/processes/{PROCESS}/summaries/new")
    _assert_clean(page)
    page.fill("input[name=title_en]", title)
    body = page.locator("textarea[name=body_en]")
    body.fill("People ask for ")
    # The picker finds the first idea by its words and puts its tag at the cursor.
    word = first_title.split()[0]
    page.fill("#picker-q", word)
    page.locator("#picker-results [data-cite]").first.wait_for()
    body.focus()
    body.press("End")
    page.locator(f"#picker-results [data-cite='[[idea:{first}]]']").click()
    assert f"[[idea:{first}]]" in body.input_value()
    body.press("End")
    body.type(f" and [[idea:{second}]].")
    page.locator("main form button[type=submit].primary").click()
    page.wait_for_url(re.compile(r"/manage/summaries/\d+$"))
    _assert_clean(page)
    page.locator("form[action$='/publish'] button").click()
    page.wait_for_url(re.compile(rf"/{CITY}/summaries/\d+$"))
    summary_url = page.url
    _assert_clean(page)

    # The public reads it: both ideas linked, with their quotes listed under the text.
    public = page.context.browser.new_context(viewport={"width": 360, "height": 740},
                                              bypass_csp=True)
    public.add_cookies([{"name": "lang", "value": "en", "url": base}])
    visitor = public.new_page()
    visitor.goto(summary_url)
    assert visitor.get_by_role("heading", name=title).is_visible()
    links = visitor.locator(".prose a")
    assert links.count() == 2
    assert {links.nth(n).inner_text() for n in range(2)} == {first_title, second_title}
    assert visitor.locator("ol.citations li").count() == 2
    _assert_clean(visitor)
    for idea in (first, second):
        visitor.goto(f"{base}/{CITY}/ideas/{idea}")
        cited = visitor.locator("p.cited-in")
        assert title in cited.inner_text()
        _assert_clean(visitor)
    public.close()
