"""The moderation desk in a real browser on a 360 × 740 phone, as the demo's moderator of
Suceava: three items decided from the queue with htmx (one by the keyboard shortcut), each
leaving the list without a page load; the item page with its history; and the same decision
without JavaScript. axe-core finds no serious or critical violation on the way, and nothing
scrolls sideways."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import fits_360
from tests.browser.test_pages import _assert_clean, _log_in

pytestmark = pytest.mark.browser

CITY = "suceava"


def _new_items(live_server, statuses: list[str]) -> tuple[int, list[int]]:  # noqa: ANN001
    """A fresh process of the demo city with one item per status (a report on the published
    ones, so they wait); returns the process id and the items' ids, oldest first."""
    from datetime import timedelta

    from sqlalchemy import select

    from engage.accounts.models import User
    from engage.cities.models import City
    from engage.core.db import utcnow
    from engage.extensions import db
    from engage.processes.models import Contribution, Process, Report

    with live_server.app.app_context():
        city = db.session.scalars(select(City).where(City.slug == CITY)).one()
        citizen = db.session.scalars(select(User).where(
            User.email == "citizen@engage.test")).one()
        now = utcnow()
        process = Process(
            city_id=city.id, kind="ideas", slug=f"moderare-{uuid.uuid4().hex[:6]}",
            title_ro="Moderare de probă", title_en="Trial moderation", themes=["nature"],
            opens_at=now - timedelta(days=2), status="published", moderation_mode="pre")
        db.session.add(process)
        db.session.flush()
        ids = []
        for number, status in enumerate(statuses):
            item = Contribution(
                kind="idea", process_id=process.id, city_id=city.id, author_id=citizen.id,
                language="ro", status=status,
                text=f"Propunerea {number + 1}: <b>mai mulți copaci</b> pe strada {number}.",
                created_at=now - timedelta(hours=len(statuses) - number))
            db.session.add(item)
            db.session.flush()
            if status == "published":
                db.session.add(Report(contribution_id=item.id, process_id=process.id,
                                      city_id=city.id, reporter_id=None, reason="offensive"))
            ids.append(item.id)
        db.session.commit()
        process_id = process.id
        db.session.remove()
    return process_id, ids


def _statuses(live_server, ids: list[int]) -> list[str]:  # noqa: ANN001
    from sqlalchemy import select

    from engage.extensions import db
    from engage.processes.models import Contribution

    with live_server.app.app_context():
        found = dict(db.session.execute(select(Contribution.id, Contribution.status).where(
            Contribution.id.in_(ids))).all())
        db.session.remove()
    return [found[i] for i in ids]


def _items(page) -> int:  # noqa: ANN001
    return page.locator("main article[data-mod-item]").count()


@pytest.mark.postgres_too
def test_moderate_three_items_with_htmx(page, live_server):
    base = live_server.url
    process_id, ids = _new_items(live_server, ["pending", "pending", "published"])
    _log_in(page, base, "moderator@engage.test")
    queue = f"{base}/{CITY}/moderation/?process={process_id}"
    page.goto(queue)
    assert _items(page) == 3
    assert "<b>mai mulți copaci</b>" in page.locator(f"#item-{ids[0]} .mod-text").inner_text()
    _assert_clean(page)
    # A mark on the window: a page load would lose it.
    page.evaluate("window.__noReload = 'still here'")
    url = page.url

    # 1. Approve by the keyboard: j focuses the first item, a approves it.
    page.locator("main h1").click()
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"item-{ids[0]}"
    page.keyboard.press("a")
    page.locator(f"#item-{ids[0]}").wait_for(state="detached")
    assert _items(page) == 2
    assert f"{ids[0]}" in page.locator("#mod-live").inner_text()
    # The focus moved on to the next item.
    assert page.evaluate("document.activeElement.id") == f"item-{ids[1]}"

    # 2. Reject: without a reason the refusal comes back in place, then with one it goes.
    item = page.locator(f"#item-{ids[1]}")
    item.locator("button[data-action=reject]").click()
    item.locator("[role=alert]").wait_for()
    assert _items(page) == 2
    _assert_clean(page)
    item = page.locator(f"#item-{ids[1]}")
    item.locator("select[name=reason_code]").select_option("spam")
    item.locator("button[data-action=reject]").click()
    page.locator(f"#item-{ids[1]}").wait_for(state="detached")
    assert _items(page) == 1

    # 3. Hide the reported item, with a reason and a note.
    item = page.locator(f"#item-{ids[2]}")
    item.locator("select[name=reason_code]").select_option("offensive")
    item.locator("textarea[name=note]").fill("Limbaj jignitor.")
    item.locator("button[data-action=hide]").click()
    page.locator(f"#item-{ids[2]}").wait_for(state="detached")
    assert _items(page) == 0

    assert page.url == url
    assert page.evaluate("window.__noReload") == "still here"
    _assert_clean(page)
    assert _statuses(live_server, ids) == ["published", "rejected", "hidden"]

    # The item page shows the decision in its history.
    page.goto(f"{base}/{CITY}/moderation/items/{ids[2]}")
    history = page.locator("main ol.mod-history").inner_text()
    assert "Limbaj jignitor." in history
    _assert_clean(page)


def test_bulk_and_the_shortcut_help(page, live_server):
    base = live_server.url
    process_id, ids = _new_items(live_server, ["pending", "pending"])
    _log_in(page, base, "moderator@engage.test")
    page.goto(f"{base}/{CITY}/moderation/?process={process_id}")
    page.locator("main h1").click()
    page.keyboard.press("?")
    assert page.locator("#mod-help").is_visible()
    _assert_clean(page)
    page.keyboard.press("Escape")
    assert not page.locator("#mod-help").is_visible()
    # Typing in a field is never a shortcut.
    page.locator(f"#item-{ids[0]} textarea[name=note]").fill("")
    page.locator(f"#item-{ids[0]} textarea[name=note]").press("a")
    assert _items(page) == 2
    # r (like h) without a reason chosen goes to the list of reasons instead of hiding.
    page.locator("main h1").click()
    page.keyboard.press("j")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == f"reason-{ids[0]}"
    assert _items(page) == 2
    page.locator(f"#item-{ids[0]} textarea[name=note]").fill("")
    page.locator("main h1").click()
    for key in ("k", "j"):  # from the first item (still the current one) to the second
        page.keyboard.press(key)
        page.keyboard.press("x")
    assert page.locator("input[data-select]:checked").count() == 2
    page.select_option("#bulk-action", "approve")
    page.locator("#mod-bulk button[type=submit]").click()
    page.wait_for_function("document.querySelectorAll('article[data-mod-item]').length === 0")
    assert re.search(r"2\D+0", page.locator("#mod-live").inner_text())
    assert _statuses(live_server, ids) == ["published", "published"]


def test_the_same_decision_without_javascript(page_without_js, live_server):
    page = page_without_js
    base = live_server.url
    process_id, ids = _new_items(live_server, ["pending", "pending"])
    _log_in(page, base, "moderator@engage.test")
    queue = f"{base}/{CITY}/moderation/?process={process_id}"
    page.goto(queue)
    assert _items(page) == 2
    assert fits_360(page)  # axe needs JavaScript: it ran on the same pages above
    # A refusal: the page again, with the message, nothing decided.
    page.locator(f"#item-{ids[0]} button[data-action=reject]").click()
    page.wait_for_load_state()
    assert page.locator(f"#item-{ids[0]} [role=alert]").count() == 1
    assert fits_360(page)  # axe needs JavaScript: it ran on the same pages above
    item = page.locator(f"#item-{ids[0]}")
    item.locator("select[name=reason_code]").select_option("duplicate")
    item.locator("button[data-action=reject]").click()
    page.wait_for_url(re.compile(rf"process={process_id}"))
    assert _items(page) == 1
    assert page.locator(".flash").count() == 1
    assert fits_360(page)  # axe needs JavaScript: it ran on the same pages above
    assert _statuses(live_server, ids) == ["rejected", "pending"]
