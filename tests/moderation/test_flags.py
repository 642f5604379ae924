"""The automatic flags: raised on any input written (the kinds call nothing), each reason at its
boundary, blocked terms folded (diacritics, cedilla, case) and matched on whole words, edits
checked again, one flag per reason; the report threshold hides published input exactly at the
threshold, with an audit row by nobody and the kinds' counts kept exact; bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.extensions import db
from engage.ideas import services as ideas
from engage.moderation import flags, settings
from engage.moderation.models import BlockedTerm, Flag, ModerationSettings
from engage.processes.models import Contribution
from tests.moderation.conftest import count


@pytest.fixture
def configure(city):  # noqa: ANN001, ANN201
    """`configure(**numbers)`: the city's settings row with these numbers (defaults else)."""

    def apply(**numbers) -> ModerationSettings:  # noqa: ANN003
        row = db.session.get(ModerationSettings, city.id)
        if row is None:
            row = ModerationSettings(city_id=city.id, **flags.DEFAULTS)
            db.session.add(row)
        for name, value in numbers.items():
            setattr(row, name, value)
        db.session.commit()
        return row

    return apply


@pytest.fixture
def block(city):  # noqa: ANN001, ANN201
    def add(term: str, language: str = "any") -> BlockedTerm:
        entry = BlockedTerm(city_id=city.id, term=term, folded=flags.fold_term(term),
                            language=language)
        db.session.add(entry)
        db.session.commit()
        return entry

    return add


def reasons(contribution: Contribution) -> dict[str, str]:
    return {flag.reason: flag.detail for flag in db.session.scalars(
        select(Flag).where(Flag.contribution_id == contribution.id))}


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(("text", "expected"), [
    ("", 0),
    ("no links here, just www and http words", 0),
    ("see https://example.org and http://a.ro/x?y=1", 2),
    ("WWW.EXAMPLE.ORG and www.a.ro", 2),
    ("[site](https://example.org) and [other](/local)", 2),
    ("![poza](https://img.example.org/a.png)", 1),
    ("[a](https://x.org) https://y.org <https://z.org>", 3),
])
def test_links_are_counted_bare_and_markdown(text, expected):
    assert flags.count_links(text) == expected


@pytest.mark.parametrize(("text", "found"), [
    ("Ești PROȘT!", ["prost"]),
    ("Ești PROŞT (cedilla)", ["prost"]),
    ("esti prost", ["prost"]),
    ("Prostănac", []),            # a longer word
    ("un rost bun", []),          # "rost" is not blocked; "prost" is not in it
    ("tare_prost_", ["prost"]),   # underscores separate words
    ("Du-te dracului", ["du-te dracului"]),
    ("du te   DRACULUI!!", ["du-te dracului"]),
    ("du tedracului", []),
])
def test_terms_are_folded_and_matched_on_word_boundaries(text, found):
    terms = (flags.fold_term("PROȘT"), flags.fold_term("Du-te  dracului"))
    assert terms == ("prost", "du-te dracului")
    assert flags.find_terms(flags.normalised(text), terms) == found


def test_a_short_term_does_not_match_inside_a_longer_one():
    assert flags.find_terms(flags.normalised("ești prost"), ("rost",)) == []
    assert flags.find_terms(flags.normalised("are rost"), ("rost",)) == ["rost"]


# ---------------------------------------------------------------- blocked terms


def test_a_blocked_term_flags_new_input_whatever_its_spelling(process, make_contribution,
                                                             block):
    block("proșt")
    for text in ("Ești PROȘT", "esti prost", "Eşti Proşt"):
        item = make_contribution(process, text=text)
        assert reasons(item) == {"blocked_term": "prost"}, text
    assert reasons(make_contribution(process, text="Are rost, e bine")) == {}


def test_a_flag_leaves_the_status_as_it_is(process, make_contribution, block):
    block("reclamă")
    published = make_contribution(process, text="Reclama la pastile")
    pending = make_contribution(process, text="Reclamă", status="pending")
    db.session.expire_all()
    assert (published.status, pending.status) == ("published", "pending")
    assert count(Flag) == 2 and count(ModerationAction) == 0


def test_a_phrase_matches_across_spaces_and_punctuation(process, make_contribution, block):
    block("Du-te dracului")
    assert "blocked_term" in reasons(make_contribution(process, text="du te, DRACULUI"))
    assert reasons(make_contribution(process, text="du-te la dracu")) == {}


@pytest.mark.parametrize(("term_language", "text_language", "flagged"), [
    ("any", "ro", True), ("any", "en", True), ("ro", "ro", True), ("ro", "en", False),
    ("en", "en", True), ("en", "ro", False),
])
def test_a_terms_language_restricts_it(process, make_contribution, block, term_language,
                                       text_language, flagged):
    block("idiot", term_language)
    item = make_contribution(process, text="what an Idiot", language=text_language)
    assert ("blocked_term" in reasons(item)) is flagged


def test_another_citys_terms_do_not_apply(process, make_contribution, make_city):
    other = make_city()
    db.session.add(BlockedTerm(city_id=other.id, term="prost", folded="prost"))
    db.session.commit()
    assert reasons(make_contribution(process, text="prost")) == {}


def test_an_edit_that_adds_a_blocked_term_flags_it(process, make_contribution, block):
    block("prost")
    item = make_contribution(process, text="Idee bună")
    assert reasons(item) == {}
    item.text = "Idee proastă, ești PROȘT"
    db.session.commit()
    assert reasons(item) == {"blocked_term": "prost"}


def test_flags_are_unique_per_reason_and_an_edit_reopens_a_changed_one(
        process, make_contribution, block):
    block("prost")
    block("idiot")
    item = make_contribution(process, text="prost")
    (flag,) = db.session.scalars(select(Flag).where(Flag.contribution_id == item.id))
    flag.resolved_at = utcnow()  # a moderator kept it
    db.session.commit()

    item.text = "Prost!"  # the same finding: stays dismissed, no second flag
    db.session.commit()
    db.session.refresh(flag)
    assert count(Flag, Flag.contribution_id == item.id) == 1 and flag.resolved_at is not None

    item.text = "prost și idiot"  # something new: the same flag, open again
    db.session.commit()
    db.session.refresh(flag)
    assert count(Flag, Flag.contribution_id == item.id) == 1
    assert flag.resolved_at is None and flag.detail == "prost, idiot"


def test_an_edit_of_other_fields_checks_nothing(process, make_contribution, block):
    item = make_contribution(process, text="prost")
    block("prost")  # added afterwards: only a new or edited text is checked
    item.status = "hidden"
    db.session.commit()
    assert reasons(item) == {}


def test_a_kinds_own_service_gets_its_input_flagged(process, make_user, block):
    block("pastile")
    idea = ideas.submit_idea(process, make_user(), "Cumpărați PASTILE", "ieftin", "nature", "ro")
    comment = ideas.add_comment(make_user(), idea, "Pastile, pastile!")
    db.session.commit()
    assert reasons(idea.contribution) == {"blocked_term": "pastile"}
    assert reasons(comment.contribution) == {"blocked_term": "pastile"}
    assert idea.contribution.status == "published"


def test_input_without_an_author_is_checked_for_terms_and_links_only(process, block,
                                                                     configure):
    configure(repeat_count=1, burst_count=1, max_links=0)
    block("prost")
    items = [Contribution(kind="answer", process_id=process.id, city_id=process.city_id,
                          author_id=None, text="prost www.a.ro") for _ in range(3)]
    db.session.add_all(items)
    db.session.commit()
    assert all(set(reasons(item)) == {"blocked_term", "links"} for item in items)


# ---------------------------------------------------------------- links


@pytest.mark.parametrize(("links", "flagged"), [(2, False), (3, False), (4, True)])
def test_more_links_than_allowed_are_flagged(process, make_contribution, configure, links,
                                             flagged):
    configure(max_links=3)
    text = " ".join(f"[l{i}](https://example.org/{i})" if i % 2 else f"www.ex{i}.ro"
                    for i in range(links))
    found = reasons(make_contribution(process, text=text))
    assert ("links" in found) is flagged
    if flagged:
        assert found["links"] == "4 > 3"


def test_zero_links_allowed_flags_any_link(process, make_contribution, configure):
    configure(max_links=0)
    assert "links" in reasons(make_contribution(process, text="vezi http://a.ro"))
    assert "links" not in reasons(make_contribution(process, text="fără legături"))


def test_the_defaults_apply_without_a_settings_row(process, make_contribution):
    assert db.session.get(ModerationSettings, process.city_id) is None
    text = " ".join(f"https://e.org/{i}" for i in range(flags.DEFAULTS["max_links"] + 1))
    assert "links" in reasons(make_contribution(process, text=text))


# ---------------------------------------------------------------- repeated text


def test_the_same_text_repeated_is_flagged_at_the_count(process, make_contribution, make_user,
                                                        configure):
    configure(repeat_count=3, repeat_hours=24, burst_count=0)
    author = make_user()
    first = make_contribution(process, text="Votați lista 5!", author=author)
    second = make_contribution(process, text="votati   LISTA 5!", author=author)
    assert "repeated" not in reasons(first) and "repeated" not in reasons(second)
    third = make_contribution(process, text="Votaţi lista 5!", author=author)
    assert reasons(third)["repeated"] == "3 × 24 h"


def test_repeats_outside_the_window_or_by_others_do_not_count(process, make_contribution,
                                                              make_user, configure):
    configure(repeat_count=2, repeat_hours=24, burst_count=0)
    author = make_user()
    make_contribution(process, text="Același text", author=author, age=timedelta(hours=25))
    make_contribution(process, text="Același text")  # another author
    assert "repeated" not in reasons(
        make_contribution(process, text="Același text", author=author))
    assert "repeated" in reasons(make_contribution(process, text="același text", author=author))


def test_repeat_count_zero_is_off(process, make_contribution, make_user, configure):
    configure(repeat_count=0, burst_count=0)
    author = make_user()
    items = [make_contribution(process, text="La fel", author=author) for _ in range(4)]
    assert all("repeated" not in reasons(item) for item in items)


def test_repeats_within_one_flush_count(process, make_user, configure):
    configure(repeat_count=2, burst_count=0)
    author = make_user()
    items = [Contribution(kind="comment", process_id=process.id, city_id=process.city_id,
                          author_id=author.id, text="Spam spam", created_at=utcnow())
             for _ in range(2)]
    db.session.add_all(items)
    db.session.commit()
    assert sorted("repeated" in reasons(item) for item in items) == [False, True]


# ---------------------------------------------------------------- bursts


def test_a_burst_is_flagged_beyond_the_count(process, make_contribution, make_user, configure):
    configure(burst_count=3, burst_minutes=10, repeat_count=0)
    author = make_user()
    make_contribution(process, text="vechi", author=author, age=timedelta(minutes=11))
    posts = [make_contribution(process, text=f"text {i}", author=author) for i in range(4)]
    assert ["burst" in reasons(post) for post in posts] == [False, False, False, True]
    assert reasons(posts[-1])["burst"] == "4 / 10 min"
    # Other people's posts do not count toward this author's burst.
    assert "burst" not in reasons(make_contribution(process, text="altcineva"))


def test_burst_count_zero_is_off(process, make_contribution, make_user, configure):
    configure(burst_count=0, repeat_count=0)
    author = make_user()
    posts = [make_contribution(process, text=f"t{i}", author=author) for i in range(5)]
    assert count(Flag) == 0 and posts


# ---------------------------------------------------------------- the report threshold


def test_reports_hide_published_input_exactly_at_the_threshold(process, make_contribution,
                                                              make_report, configure):
    configure(report_threshold=3)
    item = make_contribution(process)
    make_report(item)
    make_report(item)
    db.session.expire_all()
    assert item.status == "published" and "reports" not in reasons(item)
    assert count(ModerationAction) == 0

    make_report(item, "offensive")
    db.session.expire_all()
    assert item.status == "hidden"
    assert reasons(item) == {"reports": "3 reports"}
    (entry,) = db.session.scalars(select(ModerationAction))
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        None, "auto_hide", "contribution", item.id)
    assert (entry.contribution_id, entry.city_id, entry.reason, entry.reason_code) == (
        item.id, item.city_id, "", "reported")  # the author reads a translated reason
    assert (entry.status_before, entry.status_after) == ("published", "hidden")

    make_report(item)  # a fourth: already hidden, nothing more happens
    assert count(ModerationAction) == 1 and count(Flag) == 1


def test_a_threshold_of_zero_never_hides(process, make_contribution, make_report, configure):
    configure(report_threshold=0)
    item = make_contribution(process)
    for _ in range(5):
        make_report(item)
    db.session.expire_all()
    assert item.status == "published" and count(Flag) == 0 and count(ModerationAction) == 0


def test_reports_do_not_hide_pending_input(process, make_contribution, make_report, configure):
    configure(report_threshold=1)
    item = make_contribution(process, status="pending")
    make_report(item)
    db.session.expire_all()
    assert item.status == "pending" and count(ModerationAction) == 0


def test_closed_reports_do_not_count(process, make_contribution, make_report, configure):
    configure(report_threshold=2)
    item = make_contribution(process)
    old = make_report(item)
    old.resolved_at = utcnow()  # a moderator kept the input after it
    db.session.commit()
    make_report(item)
    db.session.expire_all()
    assert item.status == "published"
    make_report(item)
    db.session.expire_all()
    assert item.status == "hidden"


def test_reports_hiding_a_comment_keep_its_ideas_count_exact(process, make_user, configure):
    configure(report_threshold=2)
    idea = ideas.submit_idea(process, make_user(), "Mai mulți copaci", "", "nature", "ro")
    comment = ideas.add_comment(make_user(), idea, "Cumpărați pastile la noi")
    ideas.add_comment(make_user(), idea, "Bună idee")
    db.session.commit()
    assert idea.comment_count == 2

    ideas.report(make_user(), comment, "spam")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.comment_count == 2
    ideas.report(make_user(), comment, "spam")
    db.session.commit()
    db.session.refresh(idea)
    assert comment.contribution.status == "hidden" and idea.comment_count == 1
    # A third report changes nothing more (the count is not lowered twice).
    ideas.report(make_user(), comment, "offensive")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.comment_count == 1


def test_a_report_refused_in_its_savepoint_undoes_the_hiding(process, make_user, configure):
    from sqlalchemy.exc import IntegrityError

    from engage.processes.models import Report

    configure(report_threshold=2)
    idea = ideas.submit_idea(process, make_user(), "Copaci", "", "nature", "ro")
    comment = ideas.add_comment(make_user(), idea, "Text")
    reporter = make_user()
    ideas.report(reporter, comment, "spam")
    db.session.commit()
    # The same person's second report breaks the unique key: the flush that would have
    # reached the threshold fails, and the hiding, its flag and audit row go with it.
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Report(contribution_id=comment.contribution_id,
                              process_id=process.id, city_id=process.city_id,
                              reporter_id=reporter.id, reason="spam"))
    db.session.commit()
    db.session.refresh(idea)
    assert comment.contribution.status == "published" and idea.comment_count == 1
    assert count(ModerationAction) == 0 and count(Flag) == 0
    # The next real report hides it, once.
    ideas.report(make_user(), comment, "spam")
    db.session.commit()
    db.session.refresh(idea)
    assert comment.contribution.status == "hidden" and idea.comment_count == 0
    assert count(ModerationAction) == 1


# ---------------------------------------------------------------- cost


def test_queries_per_new_input_are_bounded(process, make_contribution, make_user, block,
                                           count_queries):
    block("prost")
    author = make_user()

    def measure() -> int:
        item = Contribution(kind="comment", process_id=process.id, city_id=process.city_id,
                            author_id=author.id, text="Un text oarecare, fără probleme")
        with count_queries() as counted:
            db.session.add(item)
            db.session.flush()
        db.session.commit()
        return counted.n

    first = measure()
    for i in range(30):
        make_contribution(process, text=f"Altceva {i}", author=author,
                          age=timedelta(hours=1, minutes=i))  # read by "repeated", no flag
    assert measure() == first
    # settings, terms, repeated, burst, and the insert itself.
    assert first <= 5


def test_settings_service_values_are_those_the_checks_use(city, moderator, process,
                                                          make_contribution):
    settings.save_settings(moderator, city, **{**flags.DEFAULTS, "max_links": 0})
    db.session.commit()
    assert "links" in reasons(make_contribution(process, text="www.a.ro"))


# ---------------------------------------------------------------- reports sent at once

THREADS = 12


@pytest.fixture(scope="module")
def committing(tmp_path_factory):  # noqa: ANN001, ANN201
    from tests.conftest import standalone_app

    tmp = tmp_path_factory.mktemp("moderation-flags-committing")
    with standalone_app(tmp, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as app:
        yield app


@pytest.mark.no_transaction
@pytest.mark.parametrize("threshold", [3, THREADS])
def test_simultaneous_reports_hide_once_and_never_skip_the_threshold(committing, threshold):
    """THREADS people report one comment at the same moment, each in a transaction of its
    own: it is hidden exactly once (one audit row, one flag, the idea's count lowered once),
    also when the last of them is the one that reaches the threshold."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from engage.accounts.models import User
    from engage.cities.models import City
    from engage.ideas.models import Comment, Idea
    from engage.processes.models import Process, Report
    from tests.conftest import empty_database

    app = committing
    empty_database(app)
    with app.app_context():
        city = City(slug="cluj", name_ro="Cluj", name_en="Cluj")
        people = [User(email=f"p{n}@example.org", display_name=f"P {n}", password_hash="x",
                       email_verified_at=utcnow()) for n in range(THREADS + 2)]
        db.session.add_all([city, *people])
        db.session.flush()
        db.session.add(ModerationSettings(city_id=city.id, **{
            **flags.DEFAULTS, "report_threshold": threshold}))
        process = Process(city_id=city.id, kind="ideas", slug="verde", title_ro="Verde",
                          themes=["nature"], status="published",
                          opens_at=utcnow() - timedelta(days=1),
                          closes_at=utcnow() + timedelta(days=9))
        db.session.add(process)
        db.session.flush()
        idea = ideas.submit_idea(process, people[0], "Copaci", "", "nature", "ro")
        comment = ideas.add_comment(people[1], idea, "Reclamă")
        db.session.commit()
        idea_id, comment_id = idea.id, comment.id
        reporter_ids = [person.id for person in people[2:]]
        db.session.remove()

    barrier = Barrier(THREADS)

    def report(user_id: int) -> str | None:
        with app.app_context():
            try:
                barrier.wait()
                ideas.report(db.session.get(User, user_id), db.session.get(Comment, comment_id),
                             "spam")
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - every failure is collected
                db.session.rollback()
                return f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()
        return None

    with ThreadPoolExecutor(THREADS) as pool:
        assert [f for f in pool.map(report, reporter_ids) if f] == []

    with app.app_context():
        comment = db.session.get(Comment, comment_id)
        assert comment.contribution.status == "hidden"
        assert count(Report) == THREADS
        assert count(ModerationAction, ModerationAction.action == "auto_hide") == 1
        assert count(Flag, Flag.reason == "reports") == 1
        assert db.session.get(Idea, idea_id).comment_count == 0
        db.session.remove()
