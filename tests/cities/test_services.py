"""City, role and funding-call services: the rules they keep and what they refuse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engage.accounts.models import User
from engage.cities import services
from engage.cities.models import City, CityRole, FundingCall
from engage.cities.services import Refused
from engage.core.db import utcnow
from engage.extensions import db


def _count(model) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model))


def city_values(**overrides) -> dict:  # noqa: ANN003
    values = {
        "slug": "targu-mures",
        "kind": "city",
        "name_ro": "Târgu Mureș",
        "name_en": "Targu Mures",
        "county": "Mureș",
        "is_mission_city": False,
        "description_ro": "Un oraș **verde**.",
        "description_en": "",
    }
    return values | overrides


def call_values(**overrides) -> dict:  # noqa: ANN003
    values = {
        "code": "HORIZON-MISS-2027-CIT-02-01",
        "title_ro": "Orașe neutre climatic",
        "title_en": "Climate-neutral cities",
        "programme": "Horizon Europe",
        "deadline": date(2027, 4, 20),
        "url": "https://ec.europa.eu/info/funding-tenders/",
        "themes": ["energy", "mobility"],
    }
    return values | overrides


# ---------------------------------------------------------------- time and sorting


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # 22:30 UTC on 11 March is already 12 March in Bucharest (UTC+2).
        (datetime(2026, 3, 11, 22, 30, tzinfo=UTC), date(2026, 3, 12)),
        (datetime(2026, 3, 11, 21, 30, tzinfo=UTC), date(2026, 3, 11)),
        # Summer time (UTC+3): 21:30 UTC on 14 July is 00:30 on 15 July.
        (datetime(2026, 7, 14, 21, 30, tzinfo=UTC), date(2026, 7, 15)),
    ],
)
def test_bucharest_today(utc, expected):
    assert services.bucharest_today(utc) == expected


def test_split_calls_by_bucharest_date():
    today = date(2026, 5, 10)
    calls = [
        FundingCall(code="B", deadline=today),
        FundingCall(code="A", deadline=today + timedelta(days=30)),
        FundingCall(code="C", deadline=today - timedelta(days=1)),
        FundingCall(code="D", deadline=today - timedelta(days=100)),
        FundingCall(code="E", deadline=today + timedelta(days=2)),
    ]
    open_calls, closed_calls = services.split_calls(calls, today)
    # A call is open through its whole deadline day; soonest deadline first.
    assert [c.code for c in open_calls] == ["B", "E", "A"]
    # Closed calls: the most recently closed first.
    assert [c.code for c in closed_calls] == ["C", "D"]


def test_names_sort_the_romanian_and_the_english_way():
    names = ["Suceava", "Șimleu Silvaniei", "Arad", "Alba Iulia", "Ălbești", "Timișoara",
             "Țăndărei", "Iași", "Însurăței"]
    in_romanian = sorted(names, key=lambda name: services.collation_key(name, "ro"))
    assert in_romanian == ["Alba Iulia", "Arad", "Ălbești", "Iași", "Însurăței", "Suceava",
                           "Șimleu Silvaniei", "Timișoara", "Țăndărei"]
    in_english = sorted(names, key=lambda name: services.collation_key(name, "en"))
    assert in_english == ["Alba Iulia", "Ălbești", "Arad", "Iași", "Însurăței",
                          "Șimleu Silvaniei", "Suceava", "Țăndărei", "Timișoara"]


def test_old_cedilla_letters_sort_like_comma_below():
    assert services.collation_key("Şimleu", "ro") == services.collation_key("Șimleu", "ro")


# ---------------------------------------------------------------- hub and city data


def test_hub_overview_groups_and_sorts_cities(app, make_city, make_process, make_funding_call):
    make_city("hub", kind="hub", name_ro="Hubul național", name_en="National hub")
    make_city("suceava", name_ro="Suceava", name_en="Suceava", is_mission_city=True)
    make_city("cluj-napoca", name_ro="Cluj-Napoca", name_en="Cluj-Napoca", is_mission_city=True)
    make_city("sector-2", name_ro="Sectorul 2 București", name_en="Bucharest Sector 2",
              is_mission_city=True)
    make_city("sibiu", name_ro="Sibiu", name_en="Sibiu")
    make_city("slatina", name_ro="Șlatina", name_en="")
    make_city("arad", name_ro="Arad", name_en="Arad")
    with app.test_request_context():
        overview = services.hub_overview("ro")
        assert [c.slug for c in overview.mission_cities] == ["cluj-napoca", "sector-2", "suceava"]
        assert [c.slug for c in overview.other_cities] == ["arad", "sibiu", "slatina"]
        assert overview.hub.slug == "hub"
        overview = services.hub_overview("en")
        assert [c.slug for c in overview.mission_cities] == ["sector-2", "cluj-napoca", "suceava"]
        # "Șlatina" has no English name: sorted by its Romanian one, the English way.
        assert [c.slug for c in overview.other_cities] == ["arad", "sibiu", "slatina"]


def test_hub_overview_processes_figures_and_calls(app, make_city, make_process, make_funding_call):
    hub = make_city("hub", kind="hub")
    city = make_city("suceava", is_mission_city=True)
    now = utcnow()
    open_one = make_process(city, slug="open-one")
    upcoming = make_process(city, slug="upcoming", opens_at=now + timedelta(days=3),
                            closes_at=now + timedelta(days=9))
    make_process(city, slug="draft", status="draft")
    make_process(city, slug="over", opens_at=now - timedelta(days=9),
                 closes_at=now - timedelta(days=1))
    meeting = make_process(hub, slug="meeting")
    today = services.bucharest_today()
    soon = make_funding_call("SOON", deadline=today)
    later = make_funding_call("LATER", deadline=today + timedelta(days=40))
    past = make_funding_call("PAST", deadline=today - timedelta(days=1))
    with app.test_request_context():
        overview = services.hub_overview("ro")
    assert {p.id for p in overview.current_processes[city.id]} == {open_one.id, upcoming.id}
    assert overview.hub_processes == [meeting]
    assert overview.figures[city.id].open_processes == 1
    assert overview.open_calls == [soon, later]
    assert overview.closed_calls == [past]
    # The hub is not listed among the cities.
    assert hub not in overview.mission_cities + overview.other_cities


def test_city_overview_never_shows_drafts(make_city, make_process):
    city = make_city()
    other = make_city()
    now = utcnow()
    current = make_process(city, slug="current")
    closed = make_process(city, slug="closed", status="closed",
                          closes_at=now - timedelta(days=2), opens_at=now - timedelta(days=20))
    archived = make_process(city, slug="archived", status="archived",
                            closes_at=now - timedelta(days=40), opens_at=now - timedelta(days=60))
    ran_out = make_process(city, slug="ran-out", opens_at=now - timedelta(days=10),
                           closes_at=now - timedelta(days=1))
    make_process(city, slug="draft", status="draft")
    make_process(city, slug="old-draft", status="draft", opens_at=now - timedelta(days=10),
                 closes_at=now - timedelta(days=1))
    make_process(other, slug="elsewhere")
    overview = services.city_overview(city)
    assert overview.current_processes == [current]
    assert overview.past_processes == [ran_out, closed, archived]
    assert overview.figures.open_processes == 1


def test_all_cities_by_slug(make_city):
    make_city("zalau")
    make_city("alba-iulia")
    make_city("hub", kind="hub")
    assert [c.slug for c in services.all_cities()] == ["alba-iulia", "hub", "zalau"]


def test_cities_with_counts(make_city, make_process, make_user, make_role):
    city = make_city("deva")
    empty = make_city("arad")
    hub = make_city("hub", kind="hub")
    make_process(city)
    make_process(city, status="draft")
    make_role(make_user(), city, "organiser")
    rows = {row.city.slug: row for row in services.cities_with_counts()}
    assert (rows["deva"].processes, rows["deva"].roles) == (2, 1)
    assert (rows["arad"].processes, rows["arad"].roles) == (0, 0)
    # The hub comes first.
    assert services.cities_with_counts()[0].city == hub
    assert empty in [row.city for row in rows.values()]


# ---------------------------------------------------------------- create and update cities


def test_create_city():
    city = services.create_city(**city_values(slug="oradea", name_ro="Oradea"))
    assert city.id is not None
    stored = db.session.scalars(select(City).where(City.slug == "oradea")).one()
    assert stored.name_ro == "Oradea" and stored.kind == "city"


def test_create_city_ignores_unknown_keys():
    city = services.create_city(**city_values(id=999, created_at=None))
    assert city.id != 999


def test_duplicate_slug_is_refused_and_nothing_written(make_city):
    make_city("oradea")
    before = _count(City)
    with pytest.raises(Refused) as refused:
        services.create_city(**city_values(slug="oradea"))
    assert refused.value.field == "slug"
    assert _count(City) == before


def test_second_hub_is_refused(make_city):
    make_city("hub", kind="hub")
    before = _count(City)
    with pytest.raises(Refused) as refused:
        services.create_city(**city_values(slug="hub-two", kind="hub"))
    assert refused.value.field == "kind"
    assert _count(City) == before


def test_slug_race_ends_in_the_same_refusal(make_city, monkeypatch):
    """Two admins save the same slug at once: the check passes for both, the database refuses
    the second write, and the savepoint keeps the rest of the transaction usable."""
    make_city("oradea")
    monkeypatch.setattr(services, "slug_taken", lambda slug, city: False)
    before = _count(City)
    with pytest.raises(Refused) as refused:
        services.create_city(**city_values(slug="oradea"))
    assert refused.value.field == "slug"
    assert _count(City) == before  # the session still works after the failed write


def test_hub_race_ends_in_the_same_refusal(make_city, monkeypatch):
    make_city("hub", kind="hub")
    monkeypatch.setattr(services, "other_hub_exists", lambda city: False)
    with pytest.raises(Refused) as refused:
        services.create_city(**city_values(slug="second-hub", kind="hub"))
    assert refused.value.field == "kind"
    assert _count(City) == 1


def test_update_city_keeps_its_own_slug_and_may_change_it(make_city):
    city = make_city("oradea", name_ro="Oradea")
    services.update_city(city, **city_values(slug="oradea", name_ro="Oradea (Bihor)"))
    assert city.name_ro == "Oradea (Bihor)"
    services.update_city(city, **city_values(slug="oradea-bihor"))
    assert db.session.scalars(select(City.slug).where(City.id == city.id)).one() == "oradea-bihor"


def test_update_city_to_a_taken_slug_is_refused(make_city):
    make_city("arad")
    city = make_city("oradea")
    with pytest.raises(Refused):
        services.update_city(city, **city_values(slug="arad"))
    db.session.expire_all()
    assert db.session.get(City, city.id).slug == "oradea"


def test_the_hub_may_be_edited_and_stays_the_only_hub(make_city):
    hub = make_city("hub", kind="hub")
    services.update_city(hub, **city_values(slug="hub", kind="hub", name_ro="Hubul M100"))
    assert hub.name_ro == "Hubul M100"
    city = make_city("arad")
    with pytest.raises(Refused) as refused:
        services.update_city(city, **city_values(slug="arad", kind="hub"))
    assert refused.value.field == "kind"


# ---------------------------------------------------------------- roles


def test_grant_role(make_city, make_user):
    city = make_city()
    admin = make_user(admin=True)
    person = make_user("ana@example.org", display_name="Ana")
    grant = services.grant_role(city, "  ANA@Example.org ", "moderator", granted_by=admin)
    assert (grant.user, grant.city, grant.role, grant.granted_by_id) == (
        person, city, "moderator", admin.id)
    assert services.city_roles(city) == [grant]


def test_grant_role_to_an_unknown_email_is_refused(make_city):
    city = make_city()
    with pytest.raises(Refused) as refused:
        services.grant_role(city, "nobody@example.org", "moderator")
    assert refused.value.field == "email"
    assert _count(CityRole) == 0


def test_unknown_role_is_refused(make_city, make_user):
    city = make_city()
    user = make_user()
    with pytest.raises(Refused) as refused:
        services.grant_role(city, user.email, "mayor")
    assert refused.value.field == "role"
    assert _count(CityRole) == 0


def test_duplicate_grant_is_refused_and_nothing_written(app, make_city, make_user, make_role):
    city = make_city()
    user = make_user(display_name="Ana")
    make_role(user, city, "moderator")
    with pytest.raises(Refused) as refused:
        services.grant_role(city, user.email, "moderator")
    assert refused.value.field == "email"
    with app.test_request_context():
        assert "Ana" in str(refused.value.message)
    assert _count(CityRole) == 1
    # Another role, or the same role in another city, is fine.
    services.grant_role(city, user.email, "organiser")
    services.grant_role(make_city(), user.email, "moderator")
    assert _count(CityRole) == 3


def test_double_submit_race_on_grant_is_refused(make_city, make_user, make_role, monkeypatch):
    city = make_city()
    user = make_user()
    make_role(user, city, "moderator")
    monkeypatch.setattr(services, "has_role", lambda user, city, role: False)
    with pytest.raises(Refused):
        services.grant_role(city, user.email, "moderator")
    assert _count(CityRole) == 1


def test_revoke_role(make_city, make_user, make_role):
    city = make_city()
    grant = make_role(make_user(), city, "organiser")
    services.revoke_role(grant)
    assert _count(CityRole) == 0


def test_city_roles_sorted_by_name_and_only_this_city(make_city, make_user, make_role,
                                                      count_queries):
    city = make_city()
    other = make_city()
    zoe = make_role(make_user(display_name="Zoe"), city, "moderator")
    ana = make_role(make_user(display_name="ana"), city, "organiser")
    make_role(make_user(display_name="Bob"), other, "organiser")
    db.session.expire_all()
    db.session.refresh(city)
    with count_queries() as counted:
        roles = services.city_roles(city)
        names = [grant.user.display_name for grant in roles]
    assert [grant.id for grant in roles] == [ana.id, zoe.id]
    assert names == ["ana", "Zoe"]
    assert counted.n == 1  # people come with their roles


# ---------------------------------------------------------------- funding calls


def test_create_update_delete_funding_call():
    call = services.create_funding_call(**call_values())
    assert call.id is not None and call.themes == ["energy", "mobility"]
    services.update_funding_call(call, **call_values(programme="LIFE", themes=[]))
    db.session.expire_all()
    stored = db.session.get(FundingCall, call.id)
    assert (stored.programme, stored.themes) == ("LIFE", [])
    services.delete_funding_call(stored)
    assert _count(FundingCall) == 0


def test_duplicate_code_is_refused(make_funding_call):
    make_funding_call("LIFE-2027-CET")
    with pytest.raises(Refused) as refused:
        services.create_funding_call(**call_values(code="LIFE-2027-CET"))
    assert refused.value.field == "code"
    assert _count(FundingCall) == 1


def test_duplicate_code_race_is_refused(make_funding_call, monkeypatch):
    make_funding_call("LIFE-2027-CET")
    monkeypatch.setattr(services, "code_taken", lambda code, call: False)
    with pytest.raises(Refused):
        services.create_funding_call(**call_values(code="LIFE-2027-CET"))
    assert _count(FundingCall) == 1


def test_a_call_keeps_its_own_code_on_update(make_funding_call):
    call = make_funding_call("LIFE-2027-CET")
    services.update_funding_call(call, **call_values(code="LIFE-2027-CET", title_en="New"))
    assert call.title_en == "New"


def test_roles_of_person_reads_roles_and_cities_in_one_query(
    make_user, make_city, make_role, count_queries
):
    user = make_user()
    someone_else = make_user()
    cluj = make_city("cluj", name_ro="Cluj-Napoca")
    suceava = make_city("suceava", name_ro="Suceava")
    make_role(user, cluj, "organiser")
    make_role(user, suceava, "moderator")
    make_role(someone_else, suceava, "organiser")
    db.session.expire_all()
    user = db.session.get(User, user.id)
    with count_queries() as counted:
        roles = services.roles_of_person(user)
        names = [(role.city.name_ro, role.role) for role in roles]
    assert counted.n == 1
    assert names == [("Cluj-Napoca", "organiser"), ("Suceava", "moderator")]
