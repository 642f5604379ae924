"""The desk's services: decisions with reasons and their audit rows (status before and after),
reports and flags closed, the kinds told (an idea's comment count stays exact), bulk decisions,
other cities' input never touched, the queue's filters and constant queries, an item's history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.core.audit import ModerationAction
from engage.extensions import db
from engage.ideas import services as ideas
from engage.moderation import services
from engage.moderation.models import Flag
from engage.moderation.services import ModerationError
from engage.processes.models import Report
from tests.moderation.conftest import count


def test_hiding_records_who_what_why_and_the_statuses(moderator, process, make_contribution,
                                                      make_report):
    item = make_contribution(process)
    make_report(item)
    decision = services.decide(moderator, item, "hide", "offensive", "Limbaj jignitor.")
    db.session.commit()

    assert (decision.before, decision.after, item.status) == ("published", "hidden", "hidden")
    (entry,) = services.history(item)
    assert (entry.actor_id, entry.action, entry.reason_code, entry.reason) == (
        moderator.id, "hide", "offensive", "Limbaj jignitor.")
    assert (entry.status_before, entry.status_after) == ("published", "hidden")
    assert entry.contribution_id == item.id and entry.city_id == process.city_id
    assert count(Report, Report.resolved_at.is_(None)) == 0


@pytest.mark.parametrize(("status", "action", "after"), [
    ("pending", "approve", "published"), ("pending", "reject", "rejected"),
    ("hidden", "restore", "published"), ("rejected", "restore", "published"),
])
def test_each_action_moves_its_statuses(moderator, process, make_contribution, status, action,
                                        after):
    item = make_contribution(process, status=status)
    services.decide(moderator, item, action, "spam" if action == "reject" else "")
    assert item.status == after


@pytest.mark.parametrize(("status", "action"), [
    ("published", "approve"), ("pending", "hide"), ("published", "restore"),
    ("deleted", "restore"),
])
def test_an_action_that_does_not_apply_changes_nothing(moderator, process, make_contribution,
                                                       status, action):
    item = make_contribution(process, status=status)
    with pytest.raises(ModerationError):
        services.decide(moderator, item, action, "spam")
    assert item.status == status and count(ModerationAction) == 0


@pytest.mark.parametrize(("reason", "note"), [("", ""), ("nonsense", ""), ("other", ""),
                                              ("spam", "x" * 1001)])
def test_hiding_needs_a_listed_reason_and_a_short_note(moderator, process, make_contribution,
                                                       reason, note):
    item = make_contribution(process)
    with pytest.raises(ModerationError):
        services.decide(moderator, item, "hide", reason, note)
    assert item.status == "published" and count(ModerationAction) == 0


def test_another_citys_moderator_or_a_citizen_cannot_decide(make_user, make_role, make_city,
                                                            process, make_contribution):
    elsewhere = make_user()
    make_role(elsewhere, make_city(), "moderator")
    item = make_contribution(process)
    for person in (elsewhere, make_user()):
        with pytest.raises(ModerationError):
            services.decide(person, item, "hide", "spam")
    assert item.status == "published"


def test_deciding_twice_is_told(moderator, process, make_contribution, app):
    item = make_contribution(process, status="pending")
    services.decide(moderator, item, "approve")
    with pytest.raises(ModerationError) as refused, app.test_request_context(
            headers={"Cookie": "lang=en"}):
        services.decide(moderator, item, "approve")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert str(refused.value) == "This was already done."
    assert count(ModerationAction) == 1


def test_a_comment_hidden_on_the_desk_keeps_its_ideas_count_exact(moderator, process,
                                                                   make_user):
    idea = ideas.submit_idea(process, make_user(), "Mai mulți copaci", "", "nature", "ro")
    comment = ideas.add_comment(make_user(), idea, "Bună idee")
    db.session.commit()
    assert idea.comment_count == 1

    services.decide(moderator, comment.contribution, "hide", "off_topic")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.comment_count == 0
    services.decide(moderator, comment.contribution, "restore")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.comment_count == 1


def test_the_author_is_shown_the_desks_reason_on_the_idea_page(moderator, process, make_user,
                                                               login_as, client):
    author = make_user()
    idea = ideas.submit_idea(process, author, "Mai mulți copaci", "", "nature", "ro")
    db.session.commit()
    services.decide(moderator, idea.contribution, "hide", "duplicate", "Vezi ideea 12.")
    db.session.commit()
    page = login_as(client, author).get(f"/{process.city.slug}/ideas/{idea.id}")
    assert "Duplicate of other input: Vezi ideea 12." in page.get_data(as_text=True)


def test_dismissing_closes_reports_and_flags_and_keeps_the_status(moderator, process,
                                                                  make_contribution,
                                                                  make_report):
    item = make_contribution(process)
    make_report(item)
    db.session.add(Flag(contribution_id=item.id, city_id=item.city_id, reason="links"))
    db.session.commit()
    assert services.dismiss(moderator, item, "Linkuri utile.") == 2
    assert item.status == "published"
    assert count(Flag, Flag.resolved_at.is_(None)) == 0
    with pytest.raises(ModerationError):
        services.dismiss(moderator, item)


def test_bulk_decisions_skip_what_does_not_apply_and_other_cities(moderator, process,
                                                                  make_process, make_city,
                                                                  make_contribution):
    pending = [make_contribution(process, status="pending") for _ in range(3)]
    published = make_contribution(process)
    foreign = make_contribution(make_process(make_city(), kind="ideas"), status="pending")
    decisions, skipped = services.decide_many(
        moderator, process.city, [c.id for c in pending] + [published.id, foreign.id],
        "approve")
    assert len(decisions) == 3 and skipped == 2
    assert foreign.status == "pending"
    with pytest.raises(ModerationError):
        services.decide_many(moderator, process.city, list(range(1, 102)), "approve")
    with pytest.raises(ModerationError):
        services.decide_many(moderator, process.city, [], "approve")


def test_the_queue_holds_pending_reported_and_flagged_oldest_first(moderator, process,
                                                                   make_contribution,
                                                                   make_report):
    old_pending = make_contribution(process, status="pending", age=timedelta(days=3))
    reported = make_contribution(process, age=timedelta(days=2))
    make_report(reported, "spam")  # two reports: under the default threshold that hides
    make_report(reported, "offensive")
    flagged = make_contribution(process, age=timedelta(days=1))
    db.session.add(Flag(contribution_id=flagged.id, city_id=flagged.city_id, reason="links"))
    make_contribution(process)  # published, nothing wrong: not in the queue
    db.session.commit()

    page = services.queue(process.city)
    assert [item.contribution.id for item in page.items] == [old_pending.id, reported.id,
                                                            flagged.id]
    assert page.items[1].reports == 2 and page.items[1].report_reasons == {"spam": 1,
                                                                           "offensive": 1}
    assert [f.reason for f in page.items[2].flags] == ["links"]
    assert [i.contribution.id for i in services.queue(process.city, why="reported").items] == [
        reported.id]
    assert [i.contribution.id for i in services.queue(process.city, age="7").items] == []
    assert [i.contribution.id for i in services.queue(process.city, age="1").items] == [
        old_pending.id, reported.id, flagged.id]
    assert services.queue_counts(process.city) == {"pending": 1, "reported": 1, "flagged": 1}


def test_the_queue_runs_a_constant_number_of_queries(moderator, process, make_contribution,
                                                     make_report, count_queries):
    def measure() -> int:
        with count_queries() as counted:
            page = services.queue(process.city)
            for item in page.items:
                _ = item.process.slug, item.contribution.text
        return counted.n

    for _ in range(3):
        make_report(make_contribution(process, status="pending"))
    few = measure()
    for _ in range(20):
        make_report(make_contribution(process, status="pending"))
    assert measure() == few


def test_the_queue_never_shows_another_citys_input(process, make_process, make_city,
                                                   make_contribution):
    make_contribution(make_process(make_city(), kind="ideas"), status="pending")
    assert services.queue(process.city).items == []
