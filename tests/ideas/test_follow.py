"""Following ideas: who follows, the e-mail per change, the daily digest, the merge notice, the
settings and unsubscribe pages and the follow button; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from threading import Barrier

import pytest
from flask import current_app
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.cities.models import City
from engage.core.db import utcnow
from engage.core.jobs import local_crontab
from engage.core.mail import OutboxMessage
from engage.extensions import db
from engage.ideas import notifications, services
from engage.ideas.models import Idea
from engage.ideas.notifications import (
    IdeaFollow,
    NotificationError,
    NotificationSetting,
    PendingUpdate,
)
from engage.processes.models import Process
from tests.conftest import empty_database, standalone_app

EN_SELECTED = "Selected for the Climate City Contract"
RO_SELECTED = "Selectată pentru Contractul climatic al orașului"
TOKEN_RE = re.compile(r"/account/notifications/unsubscribe/(\S+)")


def count(model) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model))


def produced() -> int:
    """Everything a notification can leave behind: outbox messages and pending updates."""
    return count(OutboxMessage) + count(PendingUpdate)


def change_status(actor, idea, status: str, explanation: str = "Explicația orașului."):  # noqa: ANN001, ANN201
    """`services.change_progress`, then the notification, unless change_progress already sent it
    (once the call is wired into it); so each test notifies exactly once either way."""
    before = produced()
    change = services.change_progress(actor, idea, status, explanation)
    if produced() == before:
        notifications.idea_status_changed(idea, change)
    return change


def merge(actor, source, target):  # noqa: ANN001, ANN201
    """`services.merge_ideas`, then the merge notice unless the service already gave it."""
    before = produced()
    services.merge_ideas(actor, source, target)
    if produced() == before:
        notifications.idea_merged(source, target, actor=actor)
    return target


def setting(user) -> str:  # noqa: ANN001
    return notifications.get_setting(user)


def token_in(message: OutboxMessage) -> str:
    match = TOKEN_RE.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(language="en")
    make_role(user, city, "moderator")
    return user


@pytest.fixture
def agree_process(make_process, city):  # noqa: ANN001, ANN201
    process = make_process(city, kind="ideas", themes=["nature"])
    services.save_settings(process, "agree", None)
    db.session.commit()
    return process


# ---------------------------------------------------------------- who follows


def test_default_followers_are_author_supporters_and_voters(process, agree_process,
                                                            make_idea, make_user):
    author, supporter, bystander = make_user(), make_user(), make_user()
    idea = make_idea(process, author=author)
    services.support(supporter, idea)
    assert notifications.followers(idea) == [author, supporter]

    voter, disagreeing = make_user(), make_user()
    statement = make_idea(agree_process, author=author)
    services.cast_vote(voter, statement, 1)
    services.cast_vote(disagreeing, statement, -1)
    assert notifications.followers(statement) == [author, voter, disagreeing]

    for user, expected in [(author, True), (supporter, True), (bystander, False)]:
        assert notifications.is_following(user, idea) is expected
    assert notifications.is_following(voter, statement) is True


def test_explicit_choices_override_the_default(process, make_idea, make_user):
    author, supporter, stranger = make_user(), make_user(), make_user()
    idea = make_idea(process, author=author)
    services.support(supporter, idea)

    notifications.set_following(stranger, idea, True)
    notifications.set_following(supporter, idea, False)
    notifications.set_following(author, idea, False)
    assert notifications.followers(idea) == [stranger]
    assert [notifications.is_following(u, idea) for u in (author, supporter, stranger)] == [
        False, False, True]

    # Changing one's mind updates the one row.
    notifications.set_following(author, idea, True)
    notifications.set_following(author, idea, True)
    assert notifications.followers(idea) == [author, stranger]
    assert count(IdeaFollow) == 3


def test_only_active_confirmed_accounts_are_followers(process, make_idea, make_user):
    idea = make_idea(process, author=make_user(verified=False))
    unconfirmed, inactive, fine = make_user(verified=False), make_user(), make_user()
    inactive.is_active_account = False
    services.support(unconfirmed, idea)
    notifications.set_following(inactive, idea, True)
    services.support(fine, idea)
    db.session.flush()
    assert notifications.followers(idea) == [fine]


def test_set_following_refusals(process, make_idea, make_user):
    idea = make_idea(process)
    for user, value in [(None, True), (make_user(), "1"), (make_user(), None)]:
        with pytest.raises(NotificationError):
            notifications.set_following(user, idea, value)
    assert count(IdeaFollow) == 0


def test_anonymous_follows_nothing_without_a_query(process, make_idea, count_queries):
    from flask_login import AnonymousUserMixin

    idea = make_idea(process)
    with count_queries() as counted:
        assert notifications.is_following(AnonymousUserMixin(), idea) is False
        assert notifications.is_following(None, idea) is False
    assert counted.n == 0


def test_followers_and_is_following_take_constant_queries(process, make_idea, make_user,
                                                          count_queries):
    small, large = make_idea(process), make_idea(process)
    services.support(make_user(), small)
    for _ in range(50):
        services.support(make_user(), large)
    db.session.commit()
    db.session.expire_all()
    counts = []
    for idea, expected in [(small, 2), (large, 51)]:
        idea = db.session.get(Idea, idea.id)
        with count_queries() as counted:
            assert len(notifications.followers(idea)) == expected
        counts.append(counted.n)
    assert counts[0] == counts[1] <= 2
    author = large.author
    with count_queries() as counted:
        assert notifications.is_following(author, large) is True
    assert counted.n == 1


# ---------------------------------------------------------------- settings


def test_settings_default_change_and_refuse(make_user):
    user = make_user()
    assert setting(user) == "each"
    assert notifications.set_setting(user, "daily") == "daily"
    assert setting(user) == "daily"
    notifications.set_setting(user, "off")
    assert setting(user) == "off" and count(NotificationSetting) == 1
    for bad in ["weekly", "", None, "EACH", ["each"], 1]:
        with pytest.raises(NotificationError) as refused:
            notifications.set_setting(user, bad)
        assert refused.value.field == "idea_updates"
        with current_app.test_request_context(headers={"Cookie": "lang=en"}):
            assert str(refused.value.message) == "Choose one of the options listed."
    assert setting(user) == "off"
    with pytest.raises(NotificationError):
        notifications.set_setting(None, "each")


# ---------------------------------------------------------------- one e-mail per change


def test_status_change_mails_each_follower_except_the_actor(process, make_idea, make_user,
                                                            moderator, outbox):
    author = make_user(language="en")
    idea = make_idea(process, author=author, title="Copaci pe strada Mare")
    supporter, follower, quitter, bystander = (make_user() for _ in range(4))
    services.support(supporter, idea)
    services.support(quitter, idea)
    services.support(moderator, idea)  # the person who makes the change is not told
    notifications.set_following(follower, idea, True)
    notifications.set_following(quitter, idea, False)

    change_status(moderator, idea, "selected", "Intră în contractul climatic.")

    messages = outbox()
    assert sorted(m.recipient for m in messages) == sorted(
        u.email for u in (author, supporter, follower))
    assert count(PendingUpdate) == 0
    for message in messages:
        assert "Copaci pe strada Mare" in message.subject
        assert "Intră în contractul climatic." in message.body
        assert f"/{process.city.slug}/ideas/{idea.id}" in message.body
        assert "/account/notifications\n" in message.body
        recipient = db.session.scalar(select(User).where(User.email == message.recipient))
        assert notifications.user_for_unsubscribe_token(token_in(message)) == recipient


def test_mail_is_in_the_recipients_language(process, make_idea, make_user, moderator, outbox):
    english, romanian = make_user(language="en"), make_user(language="ro")
    idea = make_idea(process, author=english)
    services.support(romanian, idea)
    change_status(moderator, idea, "selected")

    (to_english,) = outbox(english.email)
    (to_romanian,) = outbox(romanian.email)
    assert to_english.language == "en" and to_romanian.language == "ro"
    assert EN_SELECTED in to_english.subject and EN_SELECTED in to_english.body
    assert RO_SELECTED in to_romanian.subject and RO_SELECTED in to_romanian.body
    assert RO_SELECTED not in to_english.body


def test_title_with_a_line_break_stays_on_the_subject_line(process, make_idea, make_user,
                                                           moderator, outbox):
    author = make_user(language="en")
    idea = make_idea(process, author=author)
    idea.title = "Two\nlines"
    db.session.flush()
    change_status(moderator, idea, "under_review")
    (message,) = outbox(author.email)
    assert message.subject == "“Two lines”: Under review"


def test_hidden_idea_news_goes_to_its_author_only(process, make_idea, make_user, moderator,
                                                  outbox):
    author, supporter = make_user(), make_user()
    idea = make_idea(process, author=author)
    services.support(supporter, idea)
    idea.contribution.status = "hidden"
    db.session.flush()
    change_status(moderator, idea, "not_feasible")
    assert [m.recipient for m in outbox()] == [author.email]


def test_off_means_nothing(process, make_idea, make_user, moderator, outbox):
    author = make_user()
    notifications.set_setting(author, "off")
    idea = make_idea(process, author=author)
    change_status(moderator, idea, "under_review")
    assert outbox() == [] and count(PendingUpdate) == 0


# ---------------------------------------------------------------- daily digest


def test_daily_followers_get_one_digest(process, make_idea, make_user, moderator, outbox):
    daily_en, daily_ro, each = make_user(language="en"), make_user(), make_user()
    for user in (daily_en, daily_ro):
        notifications.set_setting(user, "daily")
    first = make_idea(process, author=daily_en, title="Prima idee")
    second = make_idea(process, author=each, title="A doua idee")
    for user in (daily_en, daily_ro):
        services.support(user, second)

    change_status(moderator, first, "under_review", "Ne uităm.")
    change_status(moderator, second, "selected", "Da.")
    assert [m.recipient for m in outbox()] == [each.email]
    assert count(PendingUpdate) == 3

    assert notifications.send_digests() == 2
    (to_english,) = outbox(daily_en.email)
    (to_romanian,) = outbox(daily_ro.email)
    assert to_english.subject == "2 updates about the ideas you follow"
    assert to_english.language == "en" and to_romanian.language == "ro"
    body = to_english.body
    assert body.index("Prima idee") < body.index("A doua idee")
    assert "Ne uităm." in body and EN_SELECTED in body and "Under review" in body
    assert f"/ideas/{first.id}" in body and f"/ideas/{second.id}" in body
    assert notifications.user_for_unsubscribe_token(token_in(to_english)) == daily_en
    assert "A doua idee" in to_romanian.body and "Prima idee" not in to_romanian.body
    assert RO_SELECTED in to_romanian.body
    assert db.session.scalar(
        select(func.count()).select_from(PendingUpdate).where(PendingUpdate.sent_at.is_(None))
    ) == 0

    # A second run finds nothing left to send.
    assert notifications.send_digests() == 0
    assert len(outbox()) == 3


def test_digest_skips_people_who_turned_mail_off_meanwhile(process, make_idea, make_user,
                                                           moderator, outbox):
    author = make_user()
    notifications.set_setting(author, "daily")
    idea = make_idea(process, author=author)
    change_status(moderator, idea, "under_review")
    notifications.set_setting(author, "off")
    assert notifications.send_digests() == 0
    assert outbox() == []
    assert db.session.scalar(select(PendingUpdate.sent_at)) is not None


def test_digest_command_and_periodic_task(app, process, make_idea, make_user, moderator,
                                          outbox):
    from engage.core.tasks import enqueue

    people = [make_user(), make_user()]
    for user in people:
        notifications.set_setting(user, "daily")
    idea = make_idea(process, author=people[0])
    services.support(people[1], idea)
    change_status(moderator, idea, "under_review")
    result = app.test_cli_runner().invoke(args=["send-idea-digests"])
    assert result.exit_code == 0, result.output
    assert "queued 2 digest(s)" in result.output
    assert len(outbox()) == 2

    change_status(moderator, idea, "selected")
    enqueue("send_idea_digests")  # as the consumer runs it (immediately in the tests)
    assert len(outbox()) == 4
    assert count(PendingUpdate) == 4
    assert db.session.scalar(select(func.count()).select_from(PendingUpdate)
                             .where(PendingUpdate.sent_at.is_(None))) == 0


@pytest.mark.parametrize(
    ("utc", "fires"),
    [
        (datetime(2025, 1, 15, 5, 0), True),   # winter: 07:00 in Bucharest (UTC+2)
        (datetime(2025, 1, 15, 7, 0), False),
        (datetime(2025, 7, 15, 4, 0), True),   # summer: 07:00 in Bucharest (UTC+3)
        (datetime(2025, 7, 15, 5, 0), False),
        (datetime(2025, 7, 15, 4, 1), False),
    ],
)
def test_digest_time_is_seven_in_bucharest(utc, fires):
    assert local_crontab(minute="0", hour="7")(utc) is fires


# ---------------------------------------------------------------- merges


def test_merged_idea_author_is_told_and_follows_the_target(process, make_idea, make_user,
                                                           moderator, outbox):
    author = make_user(language="en")
    source = make_idea(process, author=author, title="Duplicat")
    target = make_idea(process, title="Originalul")
    merge(moderator, source, target)

    (message,) = outbox(author.email)
    assert "Duplicat" in message.subject
    assert "Duplicat" in message.body and "Originalul" in message.body
    assert f"/ideas/{target.id}" in message.body
    assert notifications.is_following(author, target)
    assert author in notifications.followers(target)


def test_merge_notice_waits_for_the_digest_or_is_not_sent(process, make_idea, make_user,
                                                          moderator, outbox):
    daily, off = make_user(language="en"), make_user()
    notifications.set_setting(daily, "daily")
    notifications.set_setting(off, "off")
    target = make_idea(process, title="Originalul")
    merge(moderator, make_idea(process, author=daily, title="Zilnic"), target)
    merge(moderator, make_idea(process, author=off, title="Oprit"), target)
    assert outbox(daily.email) == [] and outbox(off.email) == []
    assert db.session.scalars(select(PendingUpdate.kind)).all() == ["merged"]

    assert notifications.send_digests() == 1
    (digest,) = outbox(daily.email)
    assert "Zilnic" in digest.body and "Originalul" in digest.body
    assert f"/ideas/{target.id}" in digest.body
    assert outbox(off.email) == []


def test_merge_by_the_author_or_of_an_unfollowed_idea_tells_nobody(process, make_idea,
                                                                   make_user, make_role, city,
                                                                   moderator, outbox):
    own = make_user()
    make_role(own, city, "moderator")
    target = make_idea(process)
    merge(own, make_idea(process, author=own), target)
    quitter = make_user()
    source = make_idea(process, author=quitter)
    notifications.set_following(quitter, source, False)
    merge(moderator, source, target)
    assert outbox() == []
    assert not notifications.is_following(quitter, target)


# ---------------------------------------------------------------- settings page


def test_settings_page_needs_log_in(client):
    response = client.get("/account/notifications")
    assert response.status_code == 302 and "/account/login" in response.location
    response = client.post_form("/account/notifications", {"idea_updates": "off"})
    assert response.status_code == 302


def test_settings_page_shows_and_saves_the_choice(client, login_as, make_user):
    user = make_user()
    login_as(client, user)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "One e-mail a day with all changes" in page
    assert re.search(r'value="each"[^>]*checked|checked[^>]*value="each"', page)

    response = client.post_form("/account/notifications", {"idea_updates": "daily"})
    assert response.status_code == 303
    assert response.location.endswith("/account/notifications")
    assert setting(user) == "daily"
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Your e-mail settings are saved." in page
    assert re.search(r'value="daily"[^>]*checked|checked[^>]*value="daily"', page)


@pytest.mark.parametrize("data", [{"idea_updates": "weekly"}, {}, {"idea_updates": ""}])
def test_settings_page_refuses_bad_values(client, login_as, make_user, data):
    user = make_user()
    notifications.set_setting(user, "daily")
    db.session.commit()
    login_as(client, user)
    response = client.post_form("/account/notifications", data)
    assert response.status_code == 200
    assert "Please correct the fields marked below." in response.get_data(as_text=True)
    assert setting(user) == "daily"


def test_profile_links_to_the_settings(client, login_as, make_user):
    login_as(client, make_user())
    assert 'href="/account/notifications"' in client.get("/account/profile").get_data(
        as_text=True)


# ---------------------------------------------------------------- unsubscribe


def test_unsubscribe_get_asks_and_post_turns_off(client, make_user):
    user = make_user()
    token = notifications.unsubscribe_token(user)
    url = f"/account/notifications/unsubscribe/{token}"
    response = client.get(url)
    assert response.status_code == 200
    assert "Stop e-mails about ideas?" in response.get_data(as_text=True)
    assert setting(user) == "each"  # a link scanner's GET changes nothing

    response = client.post_form(url)
    assert response.status_code == 200
    assert "You will get no more e-mails about ideas" in response.get_data(as_text=True)
    assert setting(user) == "off"
    assert "already turned off" in client.get(url).get_data(as_text=True)


def test_unsubscribe_refuses_forged_tokens(client, make_user):
    from itsdangerous import URLSafeSerializer

    from engage.accounts.services import make_verification_token

    user = make_user()
    good = notifications.unsubscribe_token(user)
    forged = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        URLSafeSerializer("another-secret", salt=notifications.UNSUBSCRIBE_SALT).dumps(
            {"uid": user.id}),
        URLSafeSerializer(current_app.config["SECRET_KEY"],
                          salt=notifications.UNSUBSCRIBE_SALT).dumps({"uid": "1"}),
        URLSafeSerializer(current_app.config["SECRET_KEY"],
                          salt=notifications.UNSUBSCRIBE_SALT).dumps({"uid": 10**9}),
        make_verification_token(user),
        "x",
    ]
    for token in forged:
        url = f"/account/notifications/unsubscribe/{token}"
        response = client.get(url)
        assert response.status_code == 404, token
        assert "This link is not valid" in response.get_data(as_text=True)
        assert client.post_form(url).status_code == 404
    assert setting(user) == "each"


# ---------------------------------------------------------------- the follow button


def follow_url(idea: Idea) -> str:
    return f"/{idea.process.city.slug}/ideas/{idea.id}/follow"


def test_follow_button_with_htmx_answers_the_fragment(client, login_as, make_user, process,
                                                      make_idea):
    user = make_user()
    idea = make_idea(process)
    login_as(client, user)
    response = client.post_form(follow_url(idea), {"following": "1"},
                                headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Stop following" in html
    assert 'name="following" value="0"' in html and 'hx-target="this"' in html
    assert notifications.is_following(user, idea)

    html = client.post_form(follow_url(idea), {"following": "0"},
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Follow this idea" in html
    assert not notifications.is_following(user, idea)


def test_follow_button_without_htmx_redirects_to_the_idea(client, login_as, make_user, process,
                                                          make_idea):
    user = make_user()
    idea = make_idea(process)
    login_as(client, user)
    response = client.post_form(follow_url(idea), {"following": "1"})
    assert response.status_code == 303
    assert response.location.endswith(f"/{process.city.slug}/ideas/{idea.id}")
    assert notifications.is_following(user, idea)


@pytest.mark.parametrize("value", ["", "yes", "2", None])
def test_follow_button_refuses_other_values(client, login_as, make_user, process, make_idea,
                                            value):
    user = make_user()
    idea = make_idea(process)
    login_as(client, user)
    data = {} if value is None else {"following": value}
    assert client.post_form(follow_url(idea), data).status_code == 400
    assert count(IdeaFollow) == 0


def test_follow_button_access(client, login_as, make_user, make_city, make_process, process,
                              make_idea):
    author, other = make_user(), make_user()
    hidden = make_idea(process, author=author, status="hidden")
    elsewhere = make_idea(make_process(make_city()))

    assert client.post_form(follow_url(hidden), {"following": "1"}).status_code == 302

    login_as(client, other)
    assert client.post_form(follow_url(hidden), {"following": "1"}).status_code == 404
    # Another city's idea under this city's address.
    url = f"/{process.city.slug}/ideas/{elsewhere.id}/follow"
    assert client.post_form(url, {"following": "1"}).status_code == 404
    assert client.post_form(f"/{process.city.slug}/ideas/999999/follow",
                            {"following": "1"}).status_code == 404
    assert count(IdeaFollow) == 0

    login_as(client, author)  # the author sees their hidden idea, and may follow it
    assert client.post_form(follow_url(hidden), {"following": "0"}).status_code == 303
    assert not notifications.is_following(author, hidden)


def test_idea_page_shows_the_button_to_signed_in_people(client, login_as, make_user, process,
                                                       make_idea):
    author, stranger = make_user(), make_user()
    idea = make_idea(process, author=author)
    url = f"/{process.city.slug}/ideas/{idea.id}"
    assert follow_url(idea) not in client.get(url).get_data(as_text=True)
    login_as(client, author)
    page = client.get(url).get_data(as_text=True)
    assert follow_url(idea) in page and "Stop following" in page
    login_as(client, stranger)
    page = client.get(url).get_data(as_text=True)
    assert "Follow this idea" in page and "Stop following" not in page


# ---------------------------------------------------------------- simultaneous digest runs


@pytest.mark.no_transaction
def test_simultaneous_digest_runs_send_each_digest_once(tmp_path):
    with standalone_app(tmp_path, WTF_CSRF_ENABLED=False) as app:
        with app.app_context():
            city = City(slug="iasi", name_ro="Iași", name_en="Iași")
            people = [
                User(email=f"daily{n}@example.org", display_name=f"Daily {n}",
                     password_hash="x", email_verified_at=utcnow(), language="ro")
                for n in range(6)
            ]
            db.session.add_all([city, *people])
            db.session.flush()
            process = Process(
                city_id=city.id, kind="ideas", slug="verde", title_ro="Mai verde",
                themes=["nature"], status="published",
                opens_at=utcnow() - timedelta(days=1), closes_at=utcnow() + timedelta(days=9),
            )
            db.session.add(process)
            db.session.flush()
            idea = services.submit_idea(process, people[0], "Idee", "", "nature", "ro")
            for person in people:
                notifications.set_setting(person, "daily")
                if person is not people[0]:
                    services.support(person, idea)
            admin = User(email="admin@example.org", display_name="Admin", password_hash="x",
                         is_admin=True, email_verified_at=utcnow())
            db.session.add(admin)
            db.session.flush()
            change_status(admin, idea, "under_review")
            db.session.commit()
            assert count(PendingUpdate) == 6
            emails = sorted(p.email for p in people)
            idea_id = idea.id

        runs = 4
        barrier = Barrier(runs)

        def run(_: int) -> int:
            with app.app_context():
                barrier.wait()
                sent = notifications.send_digests()
                db.session.commit()
                return sent

        with ThreadPoolExecutor(runs) as pool:
            results = list(pool.map(run, range(runs)))
        try:
            with app.app_context():
                assert sum(results) == 6
                assert count(OutboxMessage) == 6
                recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
                assert sorted(recipients) == emails
                body = db.session.scalars(select(OutboxMessage.body)).first()
                assert f"http://127.0.0.1:5000/iasi/ideas/{idea_id}" in body
        finally:
            empty_database(app)


def test_idea_url_outside_a_request_uses_a_base_url(process, make_idea):
    idea = make_idea(process)
    with notifications._links():
        url = notifications.idea_url(idea)
    assert url == f"http://127.0.0.1:5000/{process.city.slug}/ideas/{idea.id}"
