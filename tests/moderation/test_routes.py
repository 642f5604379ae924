"""The desk's pages through HTTP: the queue with its filters and pages, one decision (plain form
and htmx), bulk decisions, an item's page with its history; refusals answer 422 and change
nothing; another city's input is a 404; citizens' text is always escaped; constant queries."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from engage.core.audit import ModerationAction
from engage.extensions import db
from engage.moderation import services
from engage.moderation.models import Flag
from engage.processes.models import Contribution, Report
from tests.moderation.conftest import count

HX = {"HX-Request": "true"}


@pytest.fixture
def desk(client, login_as, moderator, city):  # noqa: ANN001, ANN201
    """The moderator's client; `desk.url` is the city's queue."""
    login_as(client, moderator)
    client.url = f"/{city.slug}/moderation/"
    return client


def decide_url(item) -> str:  # noqa: ANN001
    return f"/{item.process.city.slug}/moderation/items/{item.id}/decide"


def status_of(item) -> str:  # noqa: ANN001
    return db.session.scalar(select(Contribution.status).where(Contribution.id == item.id))


def open_reports(item) -> int:  # noqa: ANN001
    return count(Report, Report.contribution_id == item.id, Report.resolved_at.is_(None))


def item_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="card mod-item" id="item-(\d+)"', html)]


# ---------------------------------------------------------------- the queue


def test_the_queue_shows_pending_reported_and_flagged_input(desk, process, make_contribution,
                                                           make_report):
    pending = make_contribution(process, kind="idea", status="pending", text="Copaci noi",
                                age=timedelta(hours=3))
    reported = make_contribution(process, text="Reclamă la pastile", age=timedelta(hours=2))
    make_report(reported, "spam")
    make_report(reported, "offensive")
    flagged = make_contribution(process, kind="answer", text="Un răspuns",
                                age=timedelta(hours=1))
    db.session.add(Flag(contribution_id=flagged.id, city_id=flagged.city_id, reason="links",
                        detail="5 links"))
    db.session.commit()
    quiet = make_contribution(process, text="Un comentariu liniștit")
    page = desk.get(desk.url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert item_ids(html) == [pending.id, reported.id, flagged.id]  # oldest first
    assert f'id="item-{quiet.id}"' not in html
    assert "2 open reports:" in html
    assert "Offensive or abusive (1), Spam or advertising (1)" in html
    assert "Too many links: <span class=\"mod-detail\">5 links</span>" in html
    # The actions that apply to each status (and "keep as it is" with open reports/flags).
    blocks = html.split('<article class="card mod-item"')[1:]
    assert re.findall(r'data-action="(\w+)"', blocks[0]) == ["approve", "reject"]
    assert re.findall(r'data-action="(\w+)"', blocks[1]) == ["hide", "dismiss"]
    assert re.findall(r'data-action="(\w+)"', blocks[2]) == ["hide", "dismiss"]
    # The kind, the process link, the author, the time in Bucharest, the language.
    assert "Idea " in blocks[0] and "Free-text answer" in blocks[2]
    assert f'href="/{process.city.slug}/p/{process.slug}"' in blocks[0]
    assert pending.author.display_name in blocks[0]
    assert 'lang="ro">Română</span>' in blocks[0]
    # The counts by why, with the links that filter.
    assert "Waiting for approval <span class=\"mod-count\" data-count=\"pending\">(1)" in html
    assert 'data-count="reported">(1)' in html and 'data-count="flagged">(1)' in html


def test_times_are_shown_in_bucharest(desk, process, make_contribution):
    from datetime import datetime

    item = make_contribution(process, status="pending")
    item.created_at = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    db.session.commit()
    html = desk.get(desk.url).get_data(as_text=True)
    assert "1 Jul 2026, 12:30" in html  # UTC+3 in summer


def test_an_author_who_left_is_a_former_participant(desk, process, make_contribution):
    item = make_contribution(process, status="pending")
    item.author_id = None
    db.session.commit()
    assert "former participant" in desk.get(desk.url).get_data(as_text=True)


def test_hostile_text_is_escaped_and_long_text_folds(desk, process, make_contribution):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    make_contribution(process, status="pending", text=hostile)
    make_contribution(process, status="pending", text="Lung " * 100 + "SFÂRȘIT")
    html = desk.get(desk.url).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.count("SFÂRȘIT") == 1  # only in the <details>, not in the truncated text
    assert "<summary>Show more" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("", {"old", "young", "reported", "comment", "flagged", "other"}),
    ("?why=pending", {"old", "young", "comment", "other"}),
    ("?why=reported", {"reported"}),
    ("?why=flagged", {"flagged"}),
    ("?why=flag-links", {"flagged"}),
    ("?why=flag-burst", set()),
    ("?kind=comment", {"comment", "reported"}),
    ("?age=7", {"old"}),
    ("?age=1&kind=idea", {"old"}),
    ("?process={other}", {"other"}),
    # Forged filters are dropped: the whole queue.
    ("?why=nonsense&kind=<b>&age=99&process=abc", {"old", "young", "reported", "comment",
                                                   "flagged", "other"}),
])
def test_filters(desk, process, make_process, city, make_contribution, make_report, query,
                 expected):
    other_process = make_process(city)
    made = {
        "old": make_contribution(process, kind="idea", status="pending", text="old",
                                 age=timedelta(days=8)),
        "young": make_contribution(process, kind="idea", status="pending", text="young"),
        "reported": make_contribution(process, kind="comment", text="reported"),
        "comment": make_contribution(process, kind="comment", status="pending",
                                     text="comment"),
        "flagged": make_contribution(process, kind="observation", text="flagged"),
        "other": make_contribution(other_process, kind="idea", status="pending",
                                   text="other"),
    }
    make_report(made["reported"])
    db.session.add(Flag(contribution_id=made["flagged"].id, city_id=city.id, reason="links"))
    db.session.commit()
    html = desk.get(desk.url + query.format(other=other_process.id)).get_data(as_text=True)
    names = {name for name, item in made.items() if item.id in item_ids(html)}
    assert names == expected


def test_the_filter_form_works_without_javascript(desk, process, make_process, city):
    make_process(city, title_en="Second process")
    html = desk.get(desk.url + "?why=flag-links&age=30").get_data(as_text=True)
    assert 'method="get"' in html
    assert '<option value="flag-links" selected>' in html
    assert '<option value="30" selected>' in html
    assert "Second process" in html and "How do we make the city greener?" in html


def test_pagination(desk, process, make_contribution):
    for number in range(services.PAGE_SIZE + 3):
        make_contribution(process, status="pending", text=f"item {number}",
                          age=timedelta(minutes=100 - number))
    first = desk.get(desk.url + "?why=pending").get_data(as_text=True)
    assert len(item_ids(first)) == services.PAGE_SIZE
    assert "Page 1 of 2" in first and 'rel="next" href="/' in first
    assert "why=pending" in re.search(r'rel="next" href="([^"]+)"', first).group(1)
    second = desk.get(desk.url + "?why=pending&page=2").get_data(as_text=True)
    assert len(item_ids(second)) == 3 and not set(item_ids(first)) & set(item_ids(second))
    assert "Items 26–28 of 28" in second
    # A page past the end shows the last one.
    assert item_ids(desk.get(desk.url + "?page=99").get_data(as_text=True)) == item_ids(second)


def test_the_queue_makes_a_constant_number_of_queries(desk, process, make_contribution,
                                                      make_report, make_user, count_queries,
                                                      city):
    def fill(number):  # noqa: ANN001, ANN202
        for index in range(number):
            item = make_contribution(process, kind=("idea", "comment")[index % 2],
                                     status=("pending", "published")[index % 2])
            if index % 2:
                make_report(item)
            if index % 3 == 0:
                db.session.add(Flag(contribution_id=item.id, city_id=city.id, reason="links"))
        db.session.commit()

    fill(3)
    desk.get(desk.url)
    with count_queries() as few:
        assert len(item_ids(desk.get(desk.url).get_data(as_text=True))) == 3
    fill(27)
    with count_queries() as many:
        assert len(item_ids(desk.get(desk.url).get_data(as_text=True))) == services.PAGE_SIZE
    assert many.n == few.n, many.statements


# ---------------------------------------------------------------- one decision


@pytest.mark.parametrize(("status", "action", "reason", "after"), [
    ("pending", "approve", "", "published"),
    ("pending", "reject", "spam", "rejected"),
    ("published", "hide", "offensive", "hidden"),
    ("hidden", "restore", "", "published"),
    ("rejected", "restore", "", "published"),
])
def test_each_action_through_the_route(desk, process, make_contribution, make_report,
                                       moderator, status, action, reason, after):
    item = make_contribution(process, status=status)
    if status in ("published", "hidden"):
        make_report(item)
    answer = desk.post_form(decide_url(item) + "", {
        "action": action, "reason_code": reason, "note": "Notă", "why": "pending",
        "age": "7", "page": "2"})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith(desk.url)
    assert "why=pending" in location and "age=7" in location and "page=2" in location
    assert status_of(item) == after
    (entry,) = db.session.scalars(select(ModerationAction).where(
        ModerationAction.contribution_id == item.id)).all()
    assert (entry.actor_id, entry.action, entry.reason_code, entry.reason) == (
        moderator.id, action, reason, "Notă")
    assert (entry.status_before, entry.status_after) == (status, after)
    assert open_reports(item) == 0
    assert f"Item {item.id}" in desk.get(location).get_data(as_text=True)  # the flash


def test_keep_as_it_is_closes_reports_and_flags(desk, process, make_contribution, make_report,
                                                city):
    item = make_contribution(process)
    make_report(item)
    db.session.add(Flag(contribution_id=item.id, city_id=city.id, reason="links"))
    db.session.commit()
    answer = desk.post_form(decide_url(item), {"action": "dismiss", "note": "E în regulă."})
    assert answer.status_code == 303
    assert status_of(item) == "published" and open_reports(item) == 0
    assert count(Flag, Flag.resolved_at.is_(None)) == 0
    assert count(ModerationAction, ModerationAction.action == "dismiss") == 1
    assert item.id not in item_ids(desk.get(desk.url).get_data(as_text=True))


@pytest.mark.parametrize(("status", "form", "message"), [
    ("published", {"action": "hide"}, "Choose the reason the author will be shown."),
    ("pending", {"action": "reject", "reason_code": ""}, "Choose the reason"),
    ("published", {"action": "hide", "reason_code": "forged"}, "Choose a reason from the list."),
    ("published", {"action": "hide", "reason_code": "other", "note": ""}, "Say in a few words why"),
    ("published", {"action": "hide", "reason_code": "spam", "note": "x" * 1001}, "too long"),
    ("published", {"action": "delete", "reason_code": "spam"}, "Unknown action."),
    ("published", {}, "Unknown action."),
    ("published", {"action": "approve"}, "This was already done."),
    ("hidden", {"action": "approve"}, "does not apply"),
    ("pending", {"action": "restore"}, "does not apply"),
    ("published", {"action": "dismiss"}, "no open reports or flags"),
])
def test_refusals_answer_422_and_change_nothing(desk, process, make_contribution, status,
                                                form, message):
    item = make_contribution(process, status=status)
    answer = desk.post_form(decide_url(item), {**form, "note": form.get("note", "Tastat")})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert status_of(item) == status and count(ModerationAction) == 0
    if item.id in item_ids(html) and "note" not in form:
        assert ">Tastat</textarea>" in html  # what was typed is kept


def test_a_refusal_with_htmx_answers_the_item_with_its_error(desk, process, make_contribution):
    item = make_contribution(process, status="published")
    answer = desk.post_form(decide_url(item), {"action": "hide", "note": "Tastat"}, headers=HX)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert item_ids(html) == [item.id]
    assert 'role="alert"' in html and "Choose the reason the author will be shown." in html
    assert 'aria-invalid="true"' in html and ">Tastat</textarea>" in html
    assert 'id="mod-live" hx-swap-oob="innerHTML"' in html
    assert status_of(item) == "published"


def test_forged_and_other_citys_ids_are_404(desk, process, make_city, make_process,
                                            make_contribution, city):
    elsewhere = make_contribution(make_process(make_city()), status="pending")
    for url in (f"/{city.slug}/moderation/items/{elsewhere.id}/decide",
                f"/{city.slug}/moderation/items/999999/decide"):
        assert desk.post_form(url, {"action": "approve"}).status_code == 404
    assert desk.get(f"/{city.slug}/moderation/items/{elsewhere.id}").status_code == 404
    assert status_of(elsewhere) == "pending" and count(ModerationAction) == 0


def test_a_decision_with_htmx_removes_the_item_and_updates_the_counts(desk, process,
                                                                     make_contribution):
    item = make_contribution(process, status="pending")
    other = make_contribution(process, status="pending")
    answer = desk.post_form(decide_url(item), {"action": "approve"}, headers=HX)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert item_ids(html) == []  # nothing in the item's place: it leaves the list
    assert 'id="mod-live" hx-swap-oob="innerHTML"' in html
    assert f"Item {item.id} approved" in html
    assert 'id="mod-counts" class="mod-counts"' in html and 'hx-swap-oob="true"' in html
    assert 'data-count="pending">(1)' in html
    assert "Location" not in answer.headers and "HX-Location" not in answer.headers
    assert status_of(item) == "published" and status_of(other) == "pending"


def test_keeping_a_pending_item_keeps_it_in_the_list(desk, process, make_contribution,
                                                     make_report):
    item = make_contribution(process, status="pending")
    make_report(item)
    html = desk.post_form(decide_url(item), {"action": "dismiss"}, headers=HX).get_data(
        as_text=True)
    assert item_ids(html) == [item.id] and "open report" not in html
    assert status_of(item) == "pending"


def test_double_submit_is_told_and_recorded_once(desk, process, make_contribution):
    item = make_contribution(process, status="pending")
    assert desk.post_form(decide_url(item), {"action": "approve"}).status_code == 303
    again = desk.post_form(decide_url(item), {"action": "approve"})
    assert again.status_code == 422 and "This was already done." in again.get_data(as_text=True)
    assert count(ModerationAction) == 1


def test_get_on_the_decision_url_is_not_allowed(desk, process, make_contribution):
    item = make_contribution(process, status="pending")
    assert desk.get(decide_url(item)).status_code == 405


# ---------------------------------------------------------------- bulk


def test_bulk_decides_the_selection_and_skips_the_rest(desk, process, make_contribution,
                                                       make_city, make_process, city):
    pending = [make_contribution(process, status="pending") for _ in range(3)]
    published = make_contribution(process)
    elsewhere = make_contribution(make_process(make_city()), status="pending")
    answer = desk.post_form(f"/{city.slug}/moderation/bulk", {
        "ids": [str(c.id) for c in (*pending, published, elsewhere)] + ["nonsense"],
        "action": "reject", "reason_code": "spam", "why": "pending"})
    assert answer.status_code == 303 and "why=pending" in answer.headers["Location"]
    assert [status_of(c) for c in pending] == ["rejected"] * 3
    assert status_of(published) == "published" and status_of(elsewhere) == "pending"
    assert count(ModerationAction) == 3
    assert "3 decided, 2 skipped." in desk.get(answer.headers["Location"]).get_data(
        as_text=True)


def test_bulk_with_htmx_removes_the_decided_items(desk, process, make_contribution, city):
    items = [make_contribution(process, status="pending") for _ in range(2)]
    answer = desk.post_form(f"/{city.slug}/moderation/bulk", {
        "ids": [str(c.id) for c in items], "action": "approve"}, headers=HX)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    for item in items:
        assert f'<div id="item-{item.id}" hx-swap-oob="delete"></div>' in html
    assert "2 decided, 0 skipped." in html


@pytest.mark.parametrize(("form", "message"), [
    ({"action": "approve"}, "Select at least one item."),
    ({"action": "hide", "ids": "{id}"}, "Choose the reason the author will be shown."),
    ({"action": "burn", "ids": "{id}"}, "Unknown action."),
    ({"action": "approve", "ids": [str(n) for n in range(1, 102)]}, "at most 100"),
])
def test_bulk_refusals(desk, process, make_contribution, city, form, message):
    item = make_contribution(process)
    if form.get("ids") == "{id}":
        form = {**form, "ids": str(item.id)}
    for headers in ({}, HX):
        answer = desk.post_form(f"/{city.slug}/moderation/bulk", form, headers=headers)
        assert answer.status_code == 422
        assert message in answer.get_data(as_text=True)
    assert status_of(item) == "published" and count(ModerationAction) == 0


# ---------------------------------------------------------------- one item's page


def test_the_item_page_shows_reports_flags_and_history_in_order(desk, process,
                                                                 make_contribution, make_report,
                                                                 moderator, city):
    item = make_contribution(process, text="<b>Text întreg</b> " + "x" * 400)
    make_report(item, "offensive")
    db.session.add(Flag(contribution_id=item.id, city_id=city.id, reason="blocked_term",
                        detail="prost"))
    db.session.commit()
    assert desk.post_form(decide_url(item), {"action": "hide", "reason_code": "offensive",
                                             "note": "Jignitor"}).status_code == 303
    assert desk.post_form(decide_url(item), {"action": "restore", "note": "Corectat"}
                          ).status_code == 303
    from engage.core import audit
    audit.record(None, "flag", "contribution", item.id, city.id, "",
                 contribution_id=item.id)
    db.session.commit()
    html = desk.get(f"/{city.slug}/moderation/items/{item.id}").get_data(as_text=True)
    assert "&lt;b&gt;Text întreg&lt;/b&gt;" in html and "x" * 400 in html  # in full, escaped
    assert "<summary>" not in html
    assert "a participant" in html and "Offensive or abusive" in html
    assert make_report is not None and "Contains a blocked term" in html and "prost" in html
    history = html[html.index('id="history-heading"'):]
    hide_at = history.index("<strong>Hide</strong>")
    restore_at = history.index("<strong>Restore</strong>")
    automatic_at = history.index("automatic")
    assert hide_at < restore_at < automatic_at
    assert "(Public → Hidden)" in history and "(Hidden → Public)" in history
    assert "Offensive or abusive: Jignitor" in history and moderator.display_name in history
    # The log cannot be edited: no form on the page posts anywhere but the decision.
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', html.split("<main")[1]))
    assert actions == {f"/{city.slug}/moderation/items/{item.id}/decide"}


def test_a_decision_from_the_item_page_returns_there(desk, process, make_contribution, city):
    item = make_contribution(process, status="pending")
    page = desk.get(f"/{city.slug}/moderation/items/{item.id}").get_data(as_text=True)
    assert 'name="back" value="item"' in page and "hx-post" not in page
    answer = desk.post_form(decide_url(item), {"action": "reject", "back": "item"})
    assert answer.status_code == 422  # no reason: the item page again, with the message
    assert "Choose the reason the author will be shown." in answer.get_data(as_text=True)
    answer = desk.post_form(decide_url(item), {"action": "approve", "back": "item"})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/moderation/items/{item.id}")


# ---------------------------------------------------------------- the dashboard link


def test_the_dashboard_links_to_the_desk_with_the_numbers(desk, process, make_contribution,
                                                          city):
    make_contribution(process, status="pending")
    make_contribution(process, status="pending")
    html = desk.get(f"/{city.slug}/manage/").get_data(as_text=True)
    assert f'href="/{city.slug}/moderation/"' in html and "Moderation desk" in html
    assert "2 waiting for approval · 0 reported · 0 flagged" in html
