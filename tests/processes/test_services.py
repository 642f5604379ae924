"""Process services: the transitions table, phases, is_open in Python and SQL, times typed in
Romania's wall-clock time, slug rules, and that a refused operation changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from engage.core.db import utcnow
from engage.extensions import db
from engage.processes import services
from engage.processes.models import Process
from engage.processes.services import (
    TRANSITIONS,
    ProcessError,
    available_actions,
    change_status,
    create_process,
    list_city_processes,
    public_processes,
    status_counts,
    to_local,
    to_utc,
    update_process,
)


@pytest.fixture(autouse=True)
def _request(app):  # noqa: ANN001, ANN202
    # Messages are lazy translations: reading one needs a request (for its language).
    with app.test_request_context("/"):
        yield


def valid_data(**overrides):  # noqa: ANN003, ANN201
    data = {
        "kind": "ideas",
        "slug": "parcuri-verzi",
        "title_ro": "Parcuri mai verzi",
        "title_en": "Greener parks",
        "description_ro": "Ce vreți în parcul dumneavoastră?",
        "description_en": "What do you want in your park?",
        "themes": ["nature", "adaptation"],
        "opens_at": datetime(2027, 3, 1, 10, 0),
        "closes_at": datetime(2027, 3, 12, 18, 0),
        "moderation_mode": "pre",
    }
    data.update(overrides)
    return data


def count_processes() -> int:
    return db.session.scalar(select(func.count()).select_from(Process))


# ---------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("local", "expected_utc"),
    [
        # Winter: EET, UTC+2.
        (datetime(2027, 1, 15, 10, 0), datetime(2027, 1, 15, 8, 0, tzinfo=UTC)),
        # Summer: EEST, UTC+3.
        (datetime(2027, 7, 1, 10, 0), datetime(2027, 7, 1, 7, 0, tzinfo=UTC)),
        # The day the clocks go forward (28 March 2027, 03:00 → 04:00): before and after.
        (datetime(2027, 3, 28, 2, 30), datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),
        (datetime(2027, 3, 28, 4, 30), datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
        # The day they go back (31 October 2027, 04:00 → 03:00).
        (datetime(2027, 10, 31, 2, 0), datetime(2027, 10, 30, 23, 0, tzinfo=UTC)),
        (datetime(2027, 10, 31, 5, 0), datetime(2027, 10, 31, 3, 0, tzinfo=UTC)),
    ],
)
def test_naive_times_are_bucharest_wall_clock(local, expected_utc):
    assert to_utc(local) == expected_utc
    assert to_utc(local).utcoffset() == timedelta(0)
    assert to_local(expected_utc).replace(tzinfo=None) == local


def test_aware_times_keep_their_instant():
    instant = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)
    assert to_utc(instant) == instant
    assert to_utc(instant.astimezone(to_local(instant).tzinfo)) == instant


def test_created_process_stores_utc(app, make_city, make_user):
    city = make_city()
    process = create_process(city, make_user(), valid_data(
        opens_at=datetime(2027, 7, 1, 10, 0), closes_at=datetime(2027, 12, 1, 10, 0)))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Process, process.id)
    assert stored.opens_at == datetime(2027, 7, 1, 7, 0, tzinfo=UTC)  # EEST
    assert stored.closes_at == datetime(2027, 12, 1, 8, 0, tzinfo=UTC)  # EET


# ---------------------------------------------------------------- create and update


def test_create_makes_a_draft_with_the_given_values(app, make_city, make_user):
    city, author = make_city(), make_user()
    process = create_process(city, author, valid_data())
    assert process.id is not None
    assert process.status == "draft"
    assert process.published_at is None
    assert process.city_id == city.id
    assert process.created_by_id == author.id
    assert process.themes == ["nature", "adaptation"]
    assert process.moderation_mode == "pre"


def test_one_title_is_enough_but_none_is_refused(app, make_city, make_user):
    city, author = make_city(), make_user()
    assert create_process(city, author, valid_data(slug="only-ro", title_en="")).title_ro
    assert create_process(city, author, valid_data(slug="only-en", title_ro="")).title_en
    before = count_processes()
    with pytest.raises(ProcessError) as refused:
        create_process(city, author, valid_data(slug="none", title_ro=" ", title_en=""))
    assert refused.value.field == "title_ro"
    assert count_processes() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "poll"}, "kind"),
        ({"slug": "A"}, "slug"),
        ({"slug": "x"}, "slug"),
        ({"slug": "x" * 81}, "slug"),
        ({"slug": "Cu Spații"}, "slug"),
        ({"slug": "-leading"}, "slug"),
        ({"slug": "double--hyphen"}, "slug"),
        ({"slug": "ăîș"}, "slug"),
        ({"title_ro": "t" * 201}, "title_ro"),
        ({"title_en": "t" * 201}, "title_en"),
        ({"description_ro": "d" * 20_001}, "description_ro"),
        ({"themes": []}, "themes"),
        ({"themes": ["nature", "astrology"]}, "themes"),
        ({"opens_at": "tomorrow"}, "opens_at"),
        ({"opens_at": None}, "opens_at"),
        ({"opens_at": datetime(1, 1, 1)}, "opens_at"),
        ({"closes_at": datetime(9999, 12, 31)}, "closes_at"),
        ({"closes_at": datetime(2027, 3, 1, 10, 0)}, "closes_at"),  # equal to opening
        ({"closes_at": datetime(2027, 2, 1, 10, 0)}, "closes_at"),  # before opening
        ({"moderation_mode": "none"}, "moderation_mode"),
    ],
)
def test_bad_values_are_refused_on_their_field_and_nothing_is_written(
    app, make_city, make_user, overrides, field
):
    city, author = make_city(), make_user()
    before = count_processes()
    with pytest.raises(ProcessError) as refused:
        create_process(city, author, valid_data(**overrides))
    assert refused.value.field == field
    assert str(refused.value.message)
    assert count_processes() == before


def test_limits_are_inclusive(app, make_city, make_user):
    city, author = make_city(), make_user()
    process = create_process(city, author, valid_data(
        slug="s" * 80, title_ro="t" * 200, description_ro="d" * 20_000))
    assert len(process.slug) == 80
    assert create_process(city, author, valid_data(slug="ab")).slug == "ab"


def test_missing_required_values_are_refused(app, make_city, make_user):
    data = valid_data()
    del data["themes"]
    with pytest.raises(ProcessError) as refused:
        create_process(make_city(), make_user(), data)
    assert refused.value.field == "themes"


def test_slug_is_unique_per_city_but_may_repeat_across_cities(app, make_city, make_user):
    first, second, author = make_city(), make_city(), make_user()
    create_process(first, author, valid_data(slug="buget"))
    with pytest.raises(ProcessError) as refused:
        create_process(first, author, valid_data(slug="buget"))
    assert refused.value.field == "slug"
    assert create_process(second, author, valid_data(slug="buget")).city_id == second.id
    assert count_processes() == 2


def test_slug_race_is_caught_by_the_constraint_in_a_savepoint(
    app, make_city, make_user, make_process, monkeypatch
):
    """If another request took the slug between the check and the insert, the unique
    constraint refuses it; only the savepoint is undone, the rest of the work survives."""
    city, author = make_city(), make_user()
    make_process(city, slug="rapid")
    other = make_process(city, slug="alt-proces")
    monkeypatch.setattr(services, "_slug_taken", lambda *args, **kwargs: False)
    other.title_en = "Changed before the failed insert"
    with pytest.raises(ProcessError) as refused:
        create_process(city, author, valid_data(slug="rapid"))
    assert refused.value.field == "slug"
    db.session.flush()  # the session is still usable
    assert other.title_en == "Changed before the failed insert"
    assert count_processes() == 2
    with pytest.raises(ProcessError):
        update_process(other, {"slug": "rapid"})
    assert other.slug == "alt-proces"


def test_update_changes_only_what_is_given(app, make_city, make_process):
    process = make_process(make_city(), status="draft", title_en="Old")
    update_process(process, {"title_en": "New", "themes": ["energy"], "slug": "nou"})
    assert (process.title_en, process.themes, process.slug) == ("New", ["energy"], "nou")
    assert process.title_ro == "Cum facem orașul mai verde?"


def test_update_refusal_leaves_the_process_unchanged(app, make_city, make_process):
    process = make_process(make_city(), status="draft", title_en="Old")
    with pytest.raises(ProcessError):
        update_process(process, {"title_en": "New", "closes_at": process.opens_at})
    assert process.title_en == "Old"
    with pytest.raises(ProcessError):
        update_process(process, {"title_ro": "", "title_en": ""})
    assert process.title_en == "Old"


def test_update_checks_closing_against_the_stored_opening(app, make_city, make_process):
    process = make_process(make_city(), status="draft")
    with pytest.raises(ProcessError) as refused:
        update_process(process, {"closes_at": process.opens_at - timedelta(hours=1)})
    assert refused.value.field == "closes_at"
    update_process(process, {"closes_at": None})
    assert process.closes_at is None


@pytest.mark.parametrize("status", ["published", "closed", "archived"])
def test_kind_and_slug_are_locked_after_publishing(app, make_city, make_process, status):
    process = make_process(make_city(), slug="fixat", kind="ideas", status=status)
    for field, value in (("slug", "altul"), ("kind", "consultation")):
        with pytest.raises(ProcessError) as refused:
            update_process(process, {field: value, "title_en": "Changed"})
        assert refused.value.field == field
    assert (process.slug, process.kind, process.title_en) == (
        "fixat", "ideas", "How do we make the city greener?")
    # Sending the same values again is fine.
    update_process(process, {"slug": "fixat", "kind": "ideas", "title_en": "Changed"})
    assert process.title_en == "Changed"


def test_kind_and_slug_may_change_in_a_draft(app, make_city, make_process):
    process = make_process(make_city(), slug="ciorna", kind="ideas", status="draft")
    update_process(process, {"slug": "ciorna-noua", "kind": "science"})
    assert (process.slug, process.kind) == ("ciorna-noua", "science")


# ---------------------------------------------------------------- transitions


def test_transitions_table():
    assert TRANSITIONS == {
        "publish": ("draft", "published"),
        "close": ("published", "closed"),
        "reopen": ("closed", "published"),
        "archive": ("closed", "archived"),
    }


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("draft", "publish", "published"),
        ("published", "close", "closed"),
        ("closed", "reopen", "published"),
        ("closed", "archive", "archived"),
    ],
)
def test_allowed_transitions(app, make_city, make_process, status, action, expected):
    process = make_process(make_city(), status=status)
    change_status(process, action)
    db.session.expire_all()
    assert db.session.get(Process, process.id).status == expected


INVALID = [
    (status, action)
    for status in ("draft", "published", "closed", "archived")
    for action in ("publish", "close", "reopen", "archive", "delete", "")
    if TRANSITIONS.get(action, (None,))[0] != status
]


@pytest.mark.parametrize(("status", "action"), INVALID)
def test_invalid_transitions_are_refused_and_change_nothing(
    app, make_city, make_process, status, action
):
    process = make_process(make_city(), status=status)
    with pytest.raises(ProcessError) as refused:
        change_status(process, action)
    assert str(refused.value.message)
    db.session.expire_all()
    assert db.session.get(Process, process.id).status == status


def test_double_publish_is_a_friendly_warning(app, make_city, make_process):
    process = make_process(make_city(), status="draft")
    change_status(process, "publish")
    with pytest.raises(ProcessError) as refused:
        change_status(process, "publish")
    assert refused.value.category == "warning"
    # Outside a request messages come out in the default language; the assertion is English.
    with force_locale("en"):
        assert "already" in str(refused.value.message)


def test_publish_sets_published_at_once(app, make_city, make_process):
    process = make_process(make_city(), status="draft")
    moment = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    change_status(process, "publish", now=moment)
    assert process.published_at == moment
    change_status(process, "close")
    change_status(process, "reopen")
    assert process.published_at == moment


def test_a_stale_object_cannot_publish_twice(app, make_city, make_process):
    """Two requests that both read a draft: the conditional UPDATE lets only one through."""
    process = make_process(make_city(), status="draft")
    db.session.execute(
        Process.__table__.update().where(Process.__table__.c.id == process.id)
        .values(status="published")
    )
    assert process.status == "draft"  # what the second request still believes
    with pytest.raises(ProcessError) as refused:
        change_status(process, "publish")
    assert refused.value.category == "warning"
    assert process.status == "published"


def test_reopen_needs_a_future_or_no_closing_date(app, make_city, make_process):
    now = utcnow()
    city = make_city()
    past = make_process(city, status="closed", opens_at=now - timedelta(days=9),
                        closes_at=now - timedelta(days=1))
    with pytest.raises(ProcessError) as refused:
        change_status(past, "reopen")
    with force_locale("en"):  # the default language outside a request is Romanian
        assert "closing date" in str(refused.value.message)
    assert past.status == "closed"
    future = make_process(city, status="closed")
    assert change_status(future, "reopen").status == "published"
    open_ended = make_process(city, status="closed", closes_at=None)
    assert change_status(open_ended, "reopen").status == "published"


@pytest.mark.parametrize(
    ("status", "actions"),
    [("draft", ["publish"]), ("published", ["close"]), ("closed", ["reopen", "archive"]),
     ("archived", [])],
)
def test_available_actions(app, make_city, make_process, status, actions):
    assert available_actions(make_process(make_city(), status=status)) == actions


# ---------------------------------------------------------------- phase and is_open


def phase_cases():  # noqa: ANN201
    now = utcnow()
    day = timedelta(days=1)
    return [
        ("draft", now - day, now + day, "draft", False),
        ("published", now + day, now + 2 * day, "upcoming", False),
        ("published", now - day, now + day, "open", True),
        ("published", now - day, None, "open", True),
        ("published", now - 2 * day, now - day, "closed", False),
        ("closed", now - day, now + day, "closed", False),
        ("archived", now - 2 * day, now - day, "archived", False),
    ]


@pytest.mark.parametrize("case", range(len(phase_cases())))
def test_phase_and_is_open_in_python_and_sql(app, make_city, make_process, case):
    status, opens_at, closes_at, phase, is_open = phase_cases()[case]
    city = make_city()
    process = make_process(city, status=status, opens_at=opens_at, closes_at=closes_at)
    assert process.phase == phase
    assert process.is_open is is_open
    found = db.session.scalars(
        select(Process.id).where(Process.city_id == city.id, Process.is_open)
    ).all()
    assert found == ([process.id] if is_open else [])


# ---------------------------------------------------------------- listing


def test_listing_for_staff_and_public(app, make_city, make_process):
    city, other = make_city(), make_city()
    now = utcnow()
    processes = {
        status: make_process(city, status=status, opens_at=now - timedelta(days=index))
        for index, status in enumerate(["draft", "published", "closed", "archived"])
    }
    make_process(other)
    everything = list_city_processes(city)
    assert [p.status for p in everything] == ["draft", "published", "closed", "archived"]
    assert list_city_processes(city, "closed") == [processes["closed"]]
    assert [p.status for p in public_processes(city)] == ["published", "closed", "archived"]
    assert status_counts(city) == {"draft": 1, "published": 1, "closed": 1, "archived": 1}
    assert status_counts(make_city()) == {
        "draft": 0, "published": 0, "closed": 0, "archived": 0}
