"""The ideas services: what they write, and every refusal leaving nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from engage.core import search
from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas import services
from engage.ideas.models import Comment, Idea, IdeaStatusChange, Report, Support, Vote
from engage.ideas.services import IdeaError, Place
from engage.processes.models import Contribution


def english(error: IdeaError) -> str:
    """The refusal's message as an English-speaking visitor reads it."""
    with current_app.test_request_context(headers={"Cookie": "lang=en"}):
        return str(error.message)


def count(model) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model))


def support_rows(idea: Idea) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Support).where(Support.idea_id == idea.id)
    )


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user()
    make_role(user, city, "moderator")
    return user


# ---------------------------------------------------------------- submitting


def test_submit_idea_post_moderation_is_published_and_indexed(process, make_user):
    author = make_user()
    idea = services.submit_idea(
        process, author, "  Piste de biciclete  ", "Pe **bulevard**", "mobility", "ro",
        place=Place(lat=47.65, lon=26.25, text="Centru"),
    )
    assert idea.title == "Piste de biciclete"
    assert idea.contribution.kind == "idea"
    assert idea.contribution.status == "published"
    assert idea.contribution.author_id == author.id
    assert idea.contribution.city_id == process.city_id
    assert idea.city_id == process.city_id
    assert (idea.place_lat, idea.place_lon, idea.place_text) == (47.65, 26.25, "Centru")
    assert (idea.status, idea.channel, idea.support_count) == ("new", "online", 0)
    assert search.search("idea", "biciclete", scope_id=process.id) == [idea.id]


def test_submit_idea_pre_moderation_is_pending(make_process, city, make_user):
    process = make_process(city, moderation_mode="pre")
    idea = services.submit_idea(process, make_user(), "Titlu", "", "nature", "en")
    assert idea.contribution.status == "pending"
    assert idea.language == "en"


def test_title_of_140_chars_is_accepted(process, make_user):
    idea = services.submit_idea(process, make_user(), "t" * 140, "", "nature", "ro")
    assert len(idea.title) == 140


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "t" * 141}, "title"),
        ({"title": "   "}, "title"),
        ({"title": None}, "title"),
        ({"body": "b" * 5001}, "body"),
        ({"theme": "energy"}, "theme"),
        ({"theme": "not-a-theme"}, "theme"),
        ({"language": "xx"}, "language"),
        ({"place": Place(lat=91, lon=26)}, "place"),
        ({"place": Place(lat=47, lon=-181)}, "place"),
        ({"place": Place(lat=47)}, "place"),
        ({"place": Place(lat=float("nan"), lon=26)}, "place"),
        ({"place": Place(lat="north", lon=26)}, "place"),
        ({"place": Place(text="x" * 201)}, "place_text"),
        ({"channel": "workshop"}, "channel"),
    ],
)
def test_submit_idea_refuses_bad_input_and_writes_nothing(process, make_user, changes, field):
    author = make_user()
    values = {"title": "Titlu", "body": "", "theme": "nature", "language": "ro", **changes}
    before = count(Contribution)
    with pytest.raises(IdeaError) as refused:
        services.submit_idea(process, author, **values)
    assert refused.value.field == field
    assert count(Idea) == 0 and count(Contribution) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "closed"},
        {"status": "draft"},
        {"opens_at": utcnow() + timedelta(days=1)},
        {"closes_at": utcnow() - timedelta(minutes=1), "opens_at": utcnow() - timedelta(days=2)},
        {"kind": "consultation"},
    ],
)
def test_submit_idea_refused_unless_open_ideas_process(make_process, city, make_user, fields):
    process = make_process(city, **fields)
    with pytest.raises(IdeaError):
        services.submit_idea(process, make_user(), "Titlu", "", "nature", "ro")
    assert count(Idea) == 0


def test_workshop_idea_has_no_author_and_is_published(make_process, city, make_user):
    process = make_process(city, moderation_mode="pre")
    organiser = make_user()
    idea = services.add_workshop_idea(process, organiser, "Grădină comunitară", "", "nature",
                                      "ro", channel="paper")
    assert idea.author_id is None and idea.contribution.author_id is None
    assert idea.added_by_id == organiser.id
    assert (idea.channel, idea.contribution.status) == ("paper", "published")
    with pytest.raises(IdeaError):
        services.add_workshop_idea(process, organiser, "T", "", "nature", "ro", channel="online")
    process.status = "closed"
    assert services.add_workshop_idea(process, organiser, "După atelier", "", "nature", "ro")
    process.status = "draft"
    with pytest.raises(IdeaError):
        services.add_workshop_idea(process, organiser, "T", "", "nature", "ro")


# ---------------------------------------------------------------- supports


def test_support_twice_is_idempotent(process, make_idea, make_user):
    idea, user = make_idea(process), make_user()
    assert services.support(user, idea) is True
    assert services.support(user, idea) is False
    assert idea.support_count == 1 and support_rows(idea) == 1
    assert services.unsupport(user, idea) is True
    assert services.unsupport(user, idea) is False
    assert idea.support_count == 0 and support_rows(idea) == 0


def test_toggle_support(process, make_idea, make_user):
    idea, user, other = make_idea(process), make_user(), make_user()
    assert services.toggle_support(user, idea) == (True, 1)
    assert services.toggle_support(other, idea) == (True, 2)
    assert services.toggle_support(user, idea) == (False, 1)
    assert support_rows(idea) == 1


def test_support_limit(process, make_idea, make_user):
    services.save_settings(process, "support", 2)
    ideas = [make_idea(process) for _ in range(3)]
    user = make_user()
    assert services.supports_left(user, process) == 2
    services.support(user, ideas[0])
    services.support(user, ideas[1])
    assert services.supports_left(user, process) == 0
    # Supporting an idea already supported is still fine at the limit.
    assert services.support(user, ideas[1]) is False
    with pytest.raises(IdeaError) as refused:
        services.support(user, ideas[2])
    assert "all 2 of your supports" in english(refused.value)
    assert ideas[2].support_count == 0 and support_rows(ideas[2]) == 0
    services.unsupport(user, ideas[0])
    assert services.supports_left(user, process) == 1
    assert services.support(user, ideas[2]) is True


def test_supports_left_without_limit_is_none(process, make_user):
    assert services.supports_left(make_user(), process) is None


@pytest.mark.parametrize("status", ["pending", "hidden", "rejected", "deleted"])
def test_support_on_unpublished_idea_refused(process, make_idea, make_user, status):
    idea = make_idea(process, status=status)
    with pytest.raises(IdeaError):
        services.support(make_user(), idea)
    assert support_rows(idea) == 0 and idea.support_count == 0


def test_support_on_closed_process_refused(process, make_idea, make_user):
    idea = make_idea(process)
    process.status = "closed"
    db.session.commit()
    with pytest.raises(IdeaError) as refused:
        services.toggle_support(make_user(), idea)
    assert "closed" in english(refused.value)
    assert support_rows(idea) == 0


def test_support_refused_in_agree_mode_and_vote_refused_in_support_mode(process, make_idea,
                                                                         make_user):
    idea, user = make_idea(process), make_user()
    with pytest.raises(IdeaError):
        services.cast_vote(user, idea, 1)
    services.save_settings(process, "agree", None)
    with pytest.raises(IdeaError):
        services.support(user, idea)
    assert count(Vote) == 0 and support_rows(idea) == 0


@pytest.mark.parametrize(("mode", "limit"), [("both", None), ("support", 0), ("support", -1)])
def test_save_settings_refuses_bad_values(process, mode, limit):
    with pytest.raises(IdeaError):
        services.save_settings(process, mode, limit)


# ---------------------------------------------------------------- votes


def test_cast_vote_upserts(process, make_idea, make_user):
    services.save_settings(process, "agree", None)
    idea, user = make_idea(process), make_user()
    assert services.cast_vote(user, idea, 1).value == 1
    assert services.cast_vote(user, idea, -1).value == -1
    assert count(Vote) == 1
    for bad in (2, "1", True, None):
        with pytest.raises(IdeaError):
            services.cast_vote(user, idea, bad)
    assert db.session.get(Vote, (idea.id, user.id)).value == -1


def test_vote_matrix_in_one_query(process, make_idea, make_user, count_queries):
    services.save_settings(process, "agree", None)
    ideas = [make_idea(process) for _ in range(3)]
    hidden = make_idea(process)
    users = [make_user() for _ in range(4)]
    for n, user in enumerate(users):
        for m, idea in enumerate(ideas):
            if (n + m) % 3:
                services.cast_vote(user, idea, (n + m) % 3 - 1)
    services.cast_vote(users[0], hidden, 1)
    hidden.contribution.status = "hidden"
    db.session.commit()
    db.session.refresh(process)  # the commit expired it; reloading is not the matrix's query
    with count_queries() as counted:
        user_ids, idea_ids, rows = services.vote_matrix(process)
    assert counted.n == 1
    assert user_ids == sorted(user.id for user in users)
    assert idea_ids == sorted(idea.id for idea in ideas)
    for n, user in enumerate(users):
        for m, idea in enumerate(ideas):
            expected = (n + m) % 3 - 1 if (n + m) % 3 else None
            assert rows[user_ids.index(user.id)][idea_ids.index(idea.id)] == expected


# ---------------------------------------------------------------- comments


def test_comment_reply_and_counts(process, make_idea, make_user):
    idea, user = make_idea(process), make_user()
    comment = services.add_comment(user, idea, "  Sunt de acord.  ")
    reply = services.add_comment(make_user(), idea, "Și eu.", parent=comment)
    assert comment.body == "Sunt de acord."
    assert comment.contribution.kind == "comment"
    assert reply.parent_id == comment.id
    assert idea.comment_count == 2


def test_reply_to_reply_refused(process, make_idea, make_user):
    idea, user = make_idea(process), make_user()
    comment = services.add_comment(user, idea, "Primul")
    reply = services.add_comment(user, idea, "Răspuns", parent=comment)
    with pytest.raises(IdeaError) as refused:
        services.add_comment(user, idea, "Răspuns la răspuns", parent=reply)
    assert "Replies cannot be answered" in english(refused.value)
    assert count(Comment) == 2


def test_reply_to_comment_of_another_idea_refused(process, make_idea, make_user):
    user = make_user()
    first, second = make_idea(process), make_idea(process)
    comment = services.add_comment(user, first, "Primul")
    with pytest.raises(IdeaError):
        services.add_comment(user, second, "Răspuns", parent=comment)


@pytest.mark.parametrize("status", ["pending", "hidden", "rejected", "deleted"])
def test_comment_on_unpublished_idea_refused(process, make_idea, make_user, status):
    idea = make_idea(process, status=status)
    with pytest.raises(IdeaError):
        services.add_comment(make_user(), idea, "Comentariu")
    assert count(Comment) == 0


def test_comment_on_closed_process_refused(process, make_idea, make_user):
    idea = make_idea(process)
    process.status = "closed"
    db.session.commit()
    with pytest.raises(IdeaError):
        services.add_comment(make_user(), idea, "Comentariu")


@pytest.mark.parametrize("body", ["", "   ", "c" * 2001, None])
def test_comment_body_checked(process, make_idea, make_user, body):
    with pytest.raises(IdeaError):
        services.add_comment(make_user(), make_idea(process), body)
    assert count(Comment) == 0


def test_edit_comment_within_15_minutes_only(process, make_idea, make_user):
    user = make_user()
    comment = services.add_comment(user, make_idea(process), "Prima versiune")
    services.edit_comment(user, comment, "A doua versiune",
                          now=comment.created_at + timedelta(minutes=14))
    assert comment.body == comment.contribution.text == "A doua versiune"
    assert comment.edited_at is not None
    with pytest.raises(IdeaError) as refused:
        services.edit_comment(user, comment, "A treia",
                              now=comment.created_at + timedelta(minutes=16))
    assert "15 minutes" in english(refused.value)
    with pytest.raises(IdeaError) as refused:
        services.edit_comment(make_user(), comment, "Altcineva")
    assert "Only the author" in english(refused.value)
    assert comment.body == "A doua versiune"


def test_delete_comment_is_soft_and_counted(process, make_idea, make_user):
    idea, user = make_idea(process), make_user()
    comment = services.add_comment(user, idea, "De șters")
    with pytest.raises(IdeaError):
        services.delete_comment(make_user(), comment)
    services.delete_comment(user, comment)
    services.delete_comment(user, comment)
    assert comment.deleted_at is not None
    assert comment.contribution.status == "deleted"
    assert db.session.get(Comment, comment.id) is not None
    db.session.refresh(idea)
    assert idea.comment_count == 0
    with pytest.raises(IdeaError):
        services.edit_comment(user, comment, "Înapoi")


def test_pre_moderated_comment_counts_once_approved(make_process, city, make_idea, make_user,
                                                    moderator):
    process = make_process(city, moderation_mode="pre")
    idea = make_idea(process)
    comment = services.add_comment(make_user(), idea, "Așteaptă")
    assert comment.contribution.status == "pending" and idea.comment_count == 0
    services.moderate(moderator, comment, "approve")
    db.session.refresh(idea)
    assert idea.comment_count == 1
    services.moderate(moderator, comment, "hide", "Ofensator")
    db.session.refresh(idea)
    assert idea.comment_count == 0


# ---------------------------------------------------------------- reports


def test_report_twice_does_not_pile_up(process, make_idea, make_user):
    idea, user = make_idea(process), make_user()
    first = services.report(user, idea, "spam", "Reclamă")
    second = services.report(user, idea, "offensive")
    assert first.id == second.id and count(Report) == 1
    comment = services.add_comment(make_user(), idea, "Cumpărați acum")
    services.report(user, comment, "spam")
    assert [r.contribution_id for r in services.open_reports(process)] == [
        idea.contribution_id, comment.contribution_id]


@pytest.mark.parametrize(("reason", "note"), [("rude", ""), ("spam", "n" * 1001)])
def test_report_bad_input(process, make_idea, make_user, reason, note):
    with pytest.raises(IdeaError):
        services.report(make_user(), make_idea(process), reason, note)
    assert count(Report) == 0


# ---------------------------------------------------------------- moderation


def test_hide_and_restore_are_audited(process, make_idea, moderator):
    idea = make_idea(process)
    services.moderate(moderator, idea, "hide", "Date personale")
    assert idea.contribution.status == "hidden"
    with pytest.raises(IdeaError) as again:
        services.moderate(moderator, idea, "hide", "Din nou")
    assert again.value.category == "warning"
    services.moderate(moderator, idea, "restore")
    assert idea.contribution.status == "published"
    actions = db.session.scalars(select(ModerationAction).order_by(ModerationAction.id)).all()
    assert [(a.action, a.target_type, a.target_id, a.actor_id, a.city_id, a.reason)
            for a in actions] == [
        ("hide", "idea", idea.id, moderator.id, idea.city_id, "Date personale"),
        ("restore", "idea", idea.id, moderator.id, idea.city_id, ""),
    ]


def test_moderation_refusals(process, make_idea, moderator, make_user, make_city, make_role):
    idea = make_idea(process)
    with pytest.raises(IdeaError) as refused:
        services.moderate(moderator, idea, "hide", "  ")
    assert refused.value.field == "reason"
    with pytest.raises(IdeaError):
        services.moderate(moderator, idea, "approve")  # already published
    with pytest.raises(IdeaError):
        services.moderate(moderator, idea, "delete", "x")
    stranger = make_user()
    make_role(stranger, make_city(), "moderator")
    with pytest.raises(IdeaError):
        services.moderate(stranger, idea, "hide", "Nu e orașul meu")
    assert idea.contribution.status == "published" and count(ModerationAction) == 0


def test_approve_and_reject_pending(make_process, city, make_idea, moderator):
    process = make_process(city, moderation_mode="pre")
    first, second = make_idea(process, status="pending"), make_idea(process, status="pending")
    services.moderate(moderator, first, "approve")
    services.moderate(moderator, second, "reject", "În afara subiectului")
    assert (first.contribution.status, second.contribution.status) == ("published", "rejected")


# ---------------------------------------------------------------- progress


def test_change_progress_keeps_history(process, make_idea, moderator, make_user):
    idea = make_idea(process)
    services.change_progress(moderator, idea, "under_review", "O analizăm.")
    services.change_progress(moderator, idea, "selected", "Intră în contract.", language="en")
    assert idea.status == "selected"
    assert [(c.status, c.language) for c in services.status_history(idea)] == [
        ("under_review", moderator.language), ("selected", "en")]
    for status, explanation in [("selected", "Din nou"), ("done", "x"), ("new", "x"),
                                ("implemented", "  ")]:
        with pytest.raises(IdeaError):
            services.change_progress(moderator, idea, status, explanation)
    with pytest.raises(IdeaError):
        services.change_progress(make_user(), idea, "implemented", "Nu am voie")
    assert count(IdeaStatusChange) == 2 and idea.status == "selected"


# ---------------------------------------------------------------- merging


def test_merge_counts_overlapping_supporters_once(process, make_idea, make_user, moderator):
    source, target = make_idea(process), make_idea(process)
    both = [make_user() for _ in range(2)]
    only_source = [make_user() for _ in range(3)]
    only_target = [make_user()]
    for user in both + only_source:
        services.support(user, source)
    for user in both + only_target:
        services.support(user, target)
    assert (source.support_count, target.support_count) == (5, 3)

    services.merge_ideas(moderator, source, target)

    assert target.support_count == 6 == support_rows(target)
    assert source.support_count == 0 == support_rows(source)
    assert source.merged_into_id == target.id
    assert source.contribution.status == "hidden"
    audit = db.session.scalars(select(ModerationAction)).one()
    assert (audit.action, audit.target_id) == ("merge", source.id)
    with pytest.raises(IdeaError) as refused:
        services.support(make_user(), source)
    assert "merged" in english(refused.value)
    with pytest.raises(IdeaError):
        services.merge_ideas(moderator, source, target)


def test_merge_moves_votes_keeping_targets_own(process, make_idea, make_user, moderator):
    services.save_settings(process, "agree", None)
    source, target = make_idea(process), make_idea(process)
    both, only_source = make_user(), make_user()
    services.cast_vote(both, source, -1)
    services.cast_vote(both, target, 1)
    services.cast_vote(only_source, source, 0)
    services.merge_ideas(moderator, source, target)
    votes = dict(db.session.execute(
        select(Vote.user_id, Vote.value).where(Vote.idea_id == target.id)).all())
    assert votes == {both.id: 1, only_source.id: 0}


def test_merge_refusals(process, make_process, city, make_idea, moderator):
    idea, hidden = make_idea(process), make_idea(process, status="hidden")
    elsewhere = make_idea(make_process(city))
    for source, target in [(idea, idea), (idea, elsewhere), (idea, hidden)]:
        with pytest.raises(IdeaError):
            services.merge_ideas(moderator, source, target)
    assert idea.merged_into_id is None and count(ModerationAction) == 0
