"""The hub, the city pages and the admin pages for cities, roles and funding calls."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engage.cities.models import City, CityRole, FundingCall
from engage.cities.services import bucharest_today
from engage.core.db import utcnow
from engage.extensions import db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _count(model, *conditions) -> int:  # noqa: ANN001, ANN002
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _text(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def _main(response) -> str:  # noqa: ANN001
    """The page's <main>, without the layout around it."""
    html = _text(response)
    return html[html.index("<main"):html.index("</main>")]


def city_form(**overrides) -> dict:  # noqa: ANN003
    data = {
        "slug": "piatra-neamt",
        "kind": "city",
        "name_ro": "Piatra Neamț",
        "name_en": "Piatra Neamt",
        "county": "Neamț",
        "description_ro": "Orașul de la **poalele** munților.",
        "description_en": "",
    }
    return {key: value for key, value in (data | overrides).items() if value is not None}


def call_form(**overrides) -> dict:  # noqa: ANN003
    data = {
        "code": "horizon-miss-2027-cit-01-01",
        "title_ro": "Orașe neutre climatic",
        "title_en": "Climate-neutral cities",
        "programme": "Horizon Europe",
        "deadline": (bucharest_today() + timedelta(days=45)).isoformat(),
        "url": "https://ec.europa.eu/info/funding-tenders/opportunities/",
        "themes": ["energy", "buildings"],
    }
    return {key: value for key, value in (data | overrides).items() if value is not None}


# ================================================================ the hub


@pytest.fixture
def hub_world(make_city, make_process, make_funding_call):  # noqa: ANN001, ANN201
    hub = make_city("hub", kind="hub", name_ro="Hubul național M100", name_en="M100 hub")
    suceava = make_city("suceava", name_ro="Suceava", name_en="Suceava", county="Suceava",
                        is_mission_city=True)
    cluj = make_city("cluj-napoca", name_ro="Cluj-Napoca", name_en="Cluj-Napoca",
                     is_mission_city=True)
    sibiu = make_city("sibiu", name_ro="Sibiu", name_en="Sibiu", county="Sibiu")
    arad = make_city("arad", name_ro="Arad", name_en="Arad", county="Arad")
    now = utcnow()
    make_process(suceava, slug="parcuri", title_ro="Parcuri noi", title_en="New parks",
                 closes_at=now + timedelta(days=20))
    make_process(suceava, slug="ciorna", title_ro="Ciornă secretă", title_en="Secret draft",
                 status="draft")
    make_process(cluj, slug="in-curand", title_ro="Biciclete", title_en="Bicycles",
                 opens_at=now + timedelta(days=5), closes_at=now + timedelta(days=30))
    make_process(hub, slug="intalnire", title_ro="Întâlnirea națională",
                 title_en="National meeting")
    today = bucharest_today()
    make_funding_call("HORIZON-MISS-2027-CIT-02", title_ro="Apel deschis", title_en="Open call",
                      deadline=today + timedelta(days=10), themes=["energy", "nature"])
    make_funding_call("LIFE-2027-TODAY", title_ro="Ultima zi", title_en="Last day",
                      deadline=today)
    make_funding_call("LIFE-2024-CLOSED", title_ro="Apel închis", title_en="Closed call",
                      deadline=today - timedelta(days=1))
    return {"hub": hub, "suceava": suceava, "cluj": cluj, "sibiu": sibiu, "arad": arad}


def test_hub_is_public_and_romanian_by_default(client_default_language, hub_world):
    response = client_default_language.get("/")
    assert response.status_code == 200
    assert '<html lang="ro">' in _text(response)
    main = _main(response)
    # The mission's introduction, as the Romanian catalog words it.
    assert "Contract climatic al orașului" in main and "Climate City Contract" not in main
    # The rest of the interface comes from the Romanian catalog, the content from the *_ro fields.
    assert "Orașe ale misiunii" in main and "Mission cities" not in main
    assert "Oportunități de finanțare" in main and "Funding opportunities" not in main
    assert "Parcuri noi" in main and "New parks" not in main


def test_hub_highlights_mission_cities_then_lists_the_others(client, hub_world):
    main = _main(client.get("/"))
    mission = main[main.index('id="mission-cities"'):main.index('id="other-cities"')]
    others = main[main.index('id="other-cities"'):main.index('id="hub-meetings"')]
    assert mission.count('class="card mission"') == 2
    assert 'href="/suceava/"' in mission and 'href="/cluj-napoca/"' in mission
    assert mission.index("Cluj-Napoca") < mission.index("Suceava")
    assert 'href="/arad/"' in others and 'href="/sibiu/"' in others
    assert others.index("Arad") < others.index("Sibiu")
    assert "Suceava" not in others
    assert "County: Sibiu" in others


def test_hub_shows_current_processes_and_figures_never_drafts(client, hub_world):
    main = _main(client.get("/"))
    assert 'href="/suceava/p/parcuri"' in main
    assert "New parks" in main
    assert 'class="badge badge-open"' in main and "open until" in main
    assert 'href="/cluj-napoca/p/in-curand"' in main and 'badge-upcoming' in main
    assert "Secret draft" not in main and "Ciornă secretă" not in main and "ciorna" not in main
    assert "<strong>1</strong> open process<" in main
    assert "<strong>0</strong> contributions" in main


def test_hub_lists_the_hubs_own_processes(client, hub_world):
    main = _main(client.get("/"))
    section = main[main.index('id="hub-meetings"'):main.index('id="funding"')]
    assert 'href="/hub/p/intalnire"' in section
    # The hub is not a city card.
    assert 'href="/hub/"' not in main


def test_hub_funding_calls_open_and_closed_apart(client, hub_world):
    main = _main(client.get("/"))
    funding = main[main.index('id="funding"'):]
    details = funding.index('<details class="closed-calls">')
    open_part, closed_part = funding[:details], funding[details:]
    # A call whose deadline is today (in Bucharest) is still open; soonest deadline first.
    assert open_part.index("LIFE-2027-TODAY") < open_part.index("HORIZON-MISS-2027-CIT-02")
    assert "LIFE-2024-CLOSED" in closed_part and "LIFE-2024-CLOSED" not in open_part
    assert 'rel="noopener"' in open_part and 'target="_blank"' not in funding
    assert "Energy systems" in open_part and "Nature-based solutions" in open_part
    assert "Horizon Europe" in open_part
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\d">\d{1,2} \w+ \d{4}</time>', open_part)


def test_hub_shows_titles_in_english_with_fallback_mark(client, hub_world, make_funding_call):
    make_funding_call("RO-ONLY-1", title_ro="Doar în română", title_en="")
    client.set_cookie("lang", "en")
    main = _main(client.get("/"))
    assert "New parks" in main and "Parcuri noi" not in main
    assert "Doar în română" in main and '<span class="lang-mark" lang="ro">(ro)</span>' in main


def test_hub_without_any_city_or_call(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'id="funding"' in _text(response)


def _populate(make_city, make_process, make_funding_call, count: int, tag: str) -> None:  # noqa: ANN001
    for number in range(count):
        city = make_city(f"{tag}-{number}", is_mission_city=number % 3 == 0)
        make_process(city, slug="one")
        make_process(city, slug="two", status="closed")
        make_process(city, slug="three", opens_at=utcnow() + timedelta(days=2),
                     closes_at=utcnow() + timedelta(days=9))
        make_funding_call(f"{tag.upper()}-{number}-OPEN")
        make_funding_call(f"{tag.upper()}-{number}-SHUT",
                          deadline=bucharest_today() - timedelta(days=number + 1))


def test_hub_query_count_is_constant(client, count_queries, make_city, make_process,
                                     make_funding_call):
    make_city("hub", kind="hub")
    _populate(make_city, make_process, make_funding_call, 2, "few")
    with count_queries() as few:
        assert client.get("/").status_code == 200
    _populate(make_city, make_process, make_funding_call, 6, "many")
    with count_queries() as many:
        assert client.get("/").status_code == 200
    assert many.n == few.n
    assert few.n <= 8


def test_hub_slug_redirects_to_the_home_page(client, hub_world):
    response = client.get("/hub/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_hub_escapes_hostile_names(client, make_city, make_funding_call):
    make_city("rau", name_ro=HOSTILE, name_en=HOSTILE, county=HOSTILE, is_mission_city=True)
    make_funding_call("EVIL-1", title_ro=HOSTILE, programme=HOSTILE)
    html = _text(client.get("/"))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


# ================================================================ a city's page


@pytest.fixture
def city_world(make_city, make_process):  # noqa: ANN001, ANN201
    city = make_city("suceava", name_ro="Suceava", name_en="Suceava", county="Suceava",
                     is_mission_city=True, description_ro="Orașul **verde** din nord.",
                     description_en="")
    now = utcnow()
    make_process(city, slug="acum", title_ro="Deschis acum", title_en="Open now")
    make_process(city, slug="trecut", title_ro="Încheiat", title_en="Finished",
                 status="closed", opens_at=now - timedelta(days=30),
                 closes_at=now - timedelta(days=3))
    make_process(city, slug="arhiva", title_ro="Arhivat", title_en="Archived one",
                 status="archived", opens_at=now - timedelta(days=90),
                 closes_at=now - timedelta(days=60))
    make_process(city, slug="ciorna", title_ro="Ciornă", title_en="Draft one", status="draft")
    return city


def test_city_page(client, city_world):
    response = client.get("/suceava/")
    assert response.status_code == 200
    main = _main(response)
    assert "<h1>Suceava</h1>" in main
    assert "badge-mission" in main and "County: Suceava" in main
    assert "<strong>verde</strong>" in main
    current = main[main.index('id="current-processes"'):main.index('id="past-processes"')]
    past = main[main.index('id="past-processes"'):]
    assert 'href="/suceava/p/acum"' in current
    assert 'href="/suceava/p/trecut"' in past and 'href="/suceava/p/arhiva"' in past
    assert past.index("trecut") < past.index("arhiva")
    assert "Ciornă" not in main and "/p/ciorna" not in main


def test_city_page_description_falls_back_with_a_mark(client, city_world):
    client.set_cookie("lang", "en")
    main = _main(client.get("/suceava/"))
    assert '<div class="prose" lang="ro">' in main
    assert "<strong>verde</strong>" in main
    assert '<span class="lang-mark" lang="ro">(ro)</span>' in main


def test_city_page_renders_hostile_text_inert(client, make_city):
    make_city("rau", name_ro=HOSTILE, county=HOSTILE,
              description_ro=HOSTILE + "\n\n[link](javascript:alert(1)) <b onclick=x>b</b>")
    html = _text(client.get("/rau/"))
    assert "<script>alert" not in html and "<img src=x" not in html
    # Left as inert text at most: no javascript: link, no live attribute.
    assert 'href="javascript' not in html and "<b onclick" not in html


def test_unknown_city_is_404(client, city_world):
    assert client.get("/nowhere/").status_code == 404
    assert client.get("/SUCEAVA/").status_code == 404


@pytest.mark.parametrize(
    ("person", "sees_link"),
    [("anonymous", False), ("citizen", False), ("moderator", True), ("organiser", True),
     ("other_organiser", False), ("admin", True)],
)
def test_city_page_links_staff_to_the_dashboard(client, login_as, city_world, make_city,
                                                make_user, make_role, person, sees_link):
    other = make_city("arad")
    people = {
        "citizen": make_user(),
        "moderator": make_user(),
        "organiser": make_user(),
        "other_organiser": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(people["moderator"], city_world, "moderator")
    make_role(people["organiser"], city_world, "organiser")
    make_role(people["other_organiser"], other, "organiser")
    if person != "anonymous":
        login_as(client, people[person])
    main = _main(client.get("/suceava/"))
    assert ('href="/suceava/manage/"' in main) is sees_link


def test_city_page_query_count_is_constant(client, count_queries, city_world, make_process):
    with count_queries() as few:
        assert client.get("/suceava/").status_code == 200
    for number in range(8):
        make_process(city_world, slug=f"more-{number}")
        make_process(city_world, slug=f"done-{number}", status="closed")
    with count_queries() as many:
        assert client.get("/suceava/").status_code == 200
    assert many.n == few.n


# ================================================================ admin: access


ADMIN_GETS = [
    "/admin/", "/admin/cities", "/admin/cities/new", "/admin/cities/suceava/edit",
    "/admin/cities/suceava/roles", "/admin/funding", "/admin/funding/new",
    "/admin/funding/{call}/edit",
]


@pytest.fixture
def admin_world(make_city, make_funding_call, make_user, make_role):  # noqa: ANN001, ANN201
    city = make_city("suceava", name_ro="Suceava", name_en="Suceava")
    call = make_funding_call("LIFE-2027-CET")
    organiser = make_user(display_name="Olga Organiser")
    grant = make_role(organiser, city, "organiser")
    return {"city": city, "call": call, "organiser": organiser, "grant": grant}


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_pages_send_anonymous_visitors_to_log_in(client, admin_world, url):
    response = client.get(url.format(call=admin_world["call"].id))
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_pages_refuse_city_staff(client, login_as, admin_world, url):
    login_as(client, admin_world["organiser"])
    assert client.get(url.format(call=admin_world["call"].id)).status_code == 403


@pytest.mark.parametrize("url", ADMIN_GETS)
def test_admin_pages_open_for_admins(admin_client, admin_world, url):
    response = admin_client.get(url.format(call=admin_world["call"].id))
    if url == "/admin/":
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/cities"
    else:
        assert response.status_code == 200
        assert 'class="admin-nav"' in _text(response)


def test_non_admin_writes_are_refused_and_change_nothing(signed_in, admin_world, make_user):
    client = signed_in(admin_world["organiser"])
    city, call, grant = admin_world["city"], admin_world["call"], admin_world["grant"]
    target = make_user()
    posts = [
        ("/admin/cities/new", city_form()),
        ("/admin/cities/suceava/edit", city_form(slug="suceava", name_ro="Changed")),
        ("/admin/cities/suceava/roles", {"email": target.email, "role": "organiser"}),
        (f"/admin/cities/suceava/roles/{grant.id}/revoke", {}),
        ("/admin/funding/new", call_form()),
        (f"/admin/funding/{call.id}/edit", call_form(code="LIFE-2027-CET", programme="X")),
        (f"/admin/funding/{call.id}/delete", {}),
    ]
    for url, data in posts:
        assert client.post_form(url, data).status_code == 403, url
    db.session.expire_all()
    assert _count(City) == 1 and db.session.get(City, city.id).name_ro == "Suceava"
    assert _count(CityRole) == 1 and _count(FundingCall) == 1
    assert db.session.get(FundingCall, call.id).programme == "Horizon Europe"


def test_anonymous_write_goes_to_log_in(client, admin_world):
    client.csrf_token()
    response = client.post_form("/admin/cities/new", city_form())
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert _count(City) == 1


def test_missing_csrf_token_is_400_and_writes_nothing(admin_client, admin_world):
    data = city_form()
    response = admin_client.post("/admin/cities/new", data=data)
    assert response.status_code == 400
    response = admin_client.post(f"/admin/funding/{admin_world['call'].id}/delete", data={})
    assert response.status_code == 400
    assert _count(City) == 1 and _count(FundingCall) == 1


# ================================================================ admin: cities


def test_admin_city_list_with_counts(admin_client, admin_world, make_process):
    make_process(admin_world["city"])
    make_process(admin_world["city"], status="draft")
    main = _main(admin_client.get("/admin/cities"))
    row = main[main.index("Suceava"):]
    row = row[:row.index("</tr>")]
    assert re.findall(r"<td[^>]*>(\d+)</td>", row) == ["2", "1"]
    assert 'href="/admin/cities/suceava/edit"' in row
    assert 'href="/admin/cities/suceava/roles"' in row


def test_admin_city_list_query_count_is_constant(admin_client, count_queries, make_city,
                                                 make_process, make_user, make_role):
    def add(count: int, tag: str) -> None:
        for number in range(count):
            city = make_city(f"{tag}-{number}")
            make_process(city)
            make_role(make_user(), city, "moderator")

    add(2, "few")
    with count_queries() as few:
        assert admin_client.get("/admin/cities").status_code == 200
    add(6, "many")
    with count_queries() as many:
        assert admin_client.get("/admin/cities").status_code == 200
    assert many.n == few.n


def test_add_a_city(admin_client):
    response = admin_client.post_form("/admin/cities/new", city_form(is_mission_city="y"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/cities"
    city = db.session.scalars(select(City).where(City.slug == "piatra-neamt")).one()
    assert (city.name_ro, city.name_en, city.county, city.kind) == (
        "Piatra Neamț", "Piatra Neamt", "Neamț", "city")
    assert city.is_mission_city is True
    # The admin works in English, where the city is called by its English name.
    assert "Piatra Neamt was added." in _text(admin_client.get("/admin/cities"))
    assert admin_client.get("/piatra-neamt/").status_code == 200


def test_add_a_city_normalises_input(admin_client):
    response = admin_client.post_form(
        "/admin/cities/new", city_form(slug="  Baia-Mare ", name_ro=" Baia Mare ", name_en="",
                                       county="Maramureş"))
    assert response.status_code == 303
    city = db.session.scalars(select(City).where(City.slug == "baia-mare")).one()
    assert (city.name_ro, city.name_en, city.county) == ("Baia Mare", "", "Maramureș")


LONG = "x" * 121

BAD_CITIES = [
    pytest.param(city_form(name_ro=""), "name_ro", "Enter the name in Romanian.", id="no-name"),
    pytest.param(city_form(name_ro="   "), "name_ro", "Enter the name in Romanian.",
                 id="blank-name"),
    pytest.param(city_form(name_ro=LONG), "name_ro", "at most 120", id="long-name"),
    pytest.param(city_form(name_en=LONG), "name_en", "at most 120", id="long-en-name"),
    pytest.param(city_form(county="c" * 61), "county", "At most 60", id="long-county"),
    pytest.param(city_form(description_ro="d" * 20_001), "description_ro", "20,000",
                 id="long-description"),
    pytest.param(city_form(slug=""), "slug", "Enter the address", id="no-slug"),
    pytest.param(city_form(slug="a"), "slug", "between 2 and 60", id="short-slug"),
    pytest.param(city_form(slug="a" * 61), "slug", "between 2 and 60", id="long-slug"),
    pytest.param(city_form(slug="piatra neamt"), "slug", "lower-case letters", id="space"),
    pytest.param(city_form(slug="piatra_neamț"), "slug", "lower-case letters", id="diacritic"),
    pytest.param(city_form(slug="-piatra"), "slug", "lower-case letters", id="leading-hyphen"),
    pytest.param(city_form(slug="piatra--neamt"), "slug", "lower-case letters", id="double"),
    pytest.param(city_form(slug="../admin"), "slug", "lower-case letters", id="path"),
    pytest.param(city_form(slug="admin"), "slug", "reserved", id="reserved-admin"),
    pytest.param(city_form(slug="api"), "slug", "reserved", id="reserved-api"),
    pytest.param(city_form(slug="hub"), "slug", "reserved", id="hub-slug-for-a-city"),
    pytest.param(city_form(slug="suceava"), "slug", "already uses this address",
                 id="duplicate-slug"),
    pytest.param(city_form(kind="capital"), "kind", "", id="unknown-kind"),
    pytest.param(city_form(kind="hub", slug="hub-2"), "kind", "only one may exist",
                 id="second-hub"),
    pytest.param(city_form(kind="hub", slug="hub", is_mission_city="y", name_ro="Hub"),
                 "is_mission_city", "cannot be a mission city", id="mission-hub"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_CITIES)
def test_bad_city_input_is_refused_with_a_message(admin_client, make_city, data, field, message):
    make_city("suceava")
    make_city("hub-existing", kind="hub")
    before = _count(City)
    response = admin_client.post_form("/admin/cities/new", data)
    assert response.status_code == 200
    html = _text(response)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error, f"no error shown on {field}"
    assert message in error.group(1)
    assert 'class="form-errors"' in html
    assert _count(City) == before


def test_hostile_names_are_stored_as_text_and_shown_escaped(admin_client):
    response = admin_client.post_form(
        "/admin/cities/new",
        city_form(slug="rau", name_ro=HOSTILE, name_en=HOSTILE,
                  description_ro=HOSTILE + " [x](javascript:alert(1))"),
    )
    assert response.status_code == 303
    assert db.session.scalars(select(City.name_ro).where(City.slug == "rau")).one() == HOSTILE
    for url in ("/admin/cities", "/", "/rau/", "/admin/cities/rau/edit", "/admin/cities/rau/roles"):
        html = _text(admin_client.get(url))
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert 'href="javascript' not in html, url


def test_edit_a_city(admin_client, admin_world):
    form_page = _text(admin_client.get("/admin/cities/suceava/edit"))
    assert 'value="suceava"' in form_page
    response = admin_client.post_form(
        "/admin/cities/suceava/edit",
        city_form(slug="suceava-ro", name_ro="Suceava", name_en="Suceava", is_mission_city="y"),
    )
    assert response.status_code == 303
    db.session.expire_all()
    city = db.session.get(City, admin_world["city"].id)
    assert (city.slug, city.is_mission_city) == ("suceava-ro", True)
    assert admin_client.get("/suceava-ro/").status_code == 200
    assert admin_client.get("/suceava/").status_code == 404


def test_edit_a_city_to_a_taken_slug(admin_client, admin_world, make_city):
    make_city("arad")
    response = admin_client.post_form("/admin/cities/suceava/edit", city_form(slug="arad"))
    assert response.status_code == 200
    assert "already uses this address" in _text(response)
    db.session.expire_all()
    assert db.session.get(City, admin_world["city"].id).slug == "suceava"


def test_edit_the_hub_keeps_its_slug(admin_client, make_city):
    make_city("hub", kind="hub", name_ro="Hub")
    response = admin_client.post_form(
        "/admin/cities/hub/edit", city_form(slug="hub", kind="hub", name_ro="Hubul M100"))
    assert response.status_code == 303
    assert db.session.scalars(select(City.name_ro).where(City.slug == "hub")).one() == "Hubul M100"


def test_edit_unknown_city_is_404(admin_client):
    assert admin_client.get("/admin/cities/nowhere/edit").status_code == 404
    assert admin_client.post_form("/admin/cities/nowhere/edit", city_form()).status_code == 404


# ================================================================ admin: roles


def test_roles_page_lists_the_citys_roles(admin_client, admin_world, make_city, make_user,
                                          make_role):
    make_role(make_user(display_name="Somebody Elsewhere"), make_city("arad"), "moderator")
    main = _main(admin_client.get("/admin/cities/suceava/roles"))
    assert "Olga Organiser" in main and admin_world["organiser"].email in main
    assert "Organiser" in main and "<time datetime=" in main
    assert "Somebody Elsewhere" not in main
    assert 'id="roles-panel"' in main
    assert 'hx-post="/admin/cities/suceava/roles"' in main and 'hx-target="#roles-panel"' in main


def test_grant_a_role(admin_client, admin_world, make_user, admin):
    person = make_user("mara@example.org", display_name="Mara")
    response = admin_client.post_form(
        "/admin/cities/suceava/roles", {"email": "Mara@Example.org ", "role": "moderator"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/cities/suceava/roles"
    grant = db.session.scalars(select(CityRole).where(CityRole.user_id == person.id)).one()
    assert (grant.city_id, grant.role, grant.granted_by_id) == (
        admin_world["city"].id, "moderator", admin.id)
    page = _text(admin_client.get("/admin/cities/suceava/roles"))
    assert "Mara now has the role Moderator in Suceava." in page


BAD_GRANTS = [
    pytest.param({"email": "nobody@example.org", "role": "moderator"}, "email",
                 "There is no account with this e-mail address.", id="unknown-email"),
    pytest.param({"email": "not-an-email", "role": "moderator"}, "email", "valid e-mail",
                 id="malformed"),
    pytest.param({"email": "", "role": "moderator"}, "email", "Enter an e-mail", id="empty"),
    pytest.param({"email": "a" * 250 + "@x.org", "role": "moderator"}, "email", "too long",
                 id="too-long"),
    pytest.param({"email": "{organiser}", "role": "organiser"}, "email", "already has the role",
                 id="duplicate"),
    pytest.param({"email": "{organiser}", "role": "mayor"}, "role", "", id="forged-role"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_GRANTS)
def test_bad_grants_are_refused(admin_client, admin_world, data, field, message):
    data = {key: value.format(organiser=admin_world["organiser"].email)
            for key, value in data.items()}
    response = admin_client.post_form("/admin/cities/suceava/roles", data)
    assert response.status_code == 200
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', _text(response))
    assert error and message in error.group(1)
    assert _count(CityRole) == 1


def test_revoke_a_role(admin_client, admin_world):
    grant_id = admin_world["grant"].id
    response = admin_client.post_form(f"/admin/cities/suceava/roles/{grant_id}/revoke")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/cities/suceava/roles"
    assert _count(CityRole) == 0
    # A second click finds nothing to revoke.
    again = admin_client.post_form(f"/admin/cities/suceava/roles/{grant_id}/revoke")
    assert again.status_code == 404


def test_revoking_another_citys_role_through_this_city_is_404(admin_client, admin_world,
                                                              make_city, make_user, make_role):
    make_city("arad")
    elsewhere = make_role(make_user(), db.session.scalars(
        select(City).where(City.slug == "arad")).one(), "moderator")
    response = admin_client.post_form(f"/admin/cities/suceava/roles/{elsewhere.id}/revoke")
    assert response.status_code == 404
    assert admin_client.post_form("/admin/cities/suceava/roles/999999/revoke").status_code == 404
    assert admin_client.post_form("/admin/cities/nowhere/roles/1/revoke").status_code == 404
    assert _count(CityRole) == 2


def test_revoke_needs_post(admin_client, admin_world):
    response = admin_client.get(f"/admin/cities/suceava/roles/{admin_world['grant'].id}/revoke")
    assert response.status_code == 405
    assert _count(CityRole) == 1


HTMX = {"HX-Request": "true"}


def test_htmx_grant_updates_the_panel_in_place(admin_client, admin_world, make_user):
    make_user("mara@example.org", display_name="Mara")
    response = admin_client.post_form(
        "/admin/cities/suceava/roles", {"email": "mara@example.org", "role": "organiser"},
        headers=HTMX)
    assert response.status_code == 200
    html = _text(response)
    assert "<html" not in html and html.lstrip().startswith('<div id="roles-panel">')
    assert 'id="roles-panel"' in html and "Mara" in html and 'role="status"' in html
    # The form comes back empty for the next grant.
    assert 'value="mara@example.org"' not in html
    assert _count(CityRole) == 2


def test_htmx_grant_error_stays_in_the_panel(admin_client, admin_world):
    response = admin_client.post_form(
        "/admin/cities/suceava/roles", {"email": "nobody@example.org", "role": "organiser"},
        headers=HTMX)
    assert response.status_code == 200
    html = _text(response)
    assert "<html" not in html and "There is no account with this e-mail address." in html
    assert _count(CityRole) == 1


def test_htmx_revoke_updates_the_panel(admin_client, admin_world):
    response = admin_client.post_form(
        f"/admin/cities/suceava/roles/{admin_world['grant'].id}/revoke", headers=HTMX)
    assert response.status_code == 200
    html = _text(response)
    assert "<html" not in html and "Olga Organiser no longer has the role" in html
    assert _count(CityRole) == 0


# ================================================================ admin: funding calls


def test_funding_list(admin_client, admin_world, make_funding_call):
    make_funding_call("OLD-CALL", deadline=bucharest_today() - timedelta(days=3))
    main = _main(admin_client.get("/admin/funding"))
    assert "LIFE-2027-CET" in main and "OLD-CALL" in main
    assert f'action="/admin/funding/{admin_world["call"].id}/delete"' in main
    assert 'data-confirm="' in main
    assert 'href="/admin/funding/new"' in main


def test_add_a_funding_call(admin_client):
    response = admin_client.post_form("/admin/funding/new", call_form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/funding"
    call = db.session.scalars(select(FundingCall)).one()
    assert call.code == "HORIZON-MISS-2027-CIT-01-01"
    assert call.themes == ["energy", "buildings"]
    assert call.deadline == bucharest_today() + timedelta(days=45)
    hub = _main(admin_client.get("/"))
    assert "HORIZON-MISS-2027-CIT-01-01" in hub and "Buildings" in hub


def test_a_call_with_one_title_and_no_themes(admin_client):
    response = admin_client.post_form(
        "/admin/funding/new", call_form(title_ro="", themes=None, url="http://example.org/c"))
    assert response.status_code == 303
    call = db.session.scalars(select(FundingCall)).one()
    assert (call.title_ro, call.themes, call.url) == ("", [], "http://example.org/c")


BAD_CALLS = [
    pytest.param(call_form(url="javascript:alert(1)"), "url", "http", id="javascript-url"),
    pytest.param(call_form(url="JavaScript://%0aalert(1)"), "url", "http", id="javascript-2"),
    pytest.param(call_form(url="data:text/html,<script>alert(1)</script>"), "url", "http",
                 id="data-url"),
    pytest.param(call_form(url="ftp://example.org/call"), "url", "http", id="ftp"),
    pytest.param(call_form(url="https://"), "url", "http", id="no-host"),
    pytest.param(call_form(url="https://exa mple.org"), "url", "http", id="space"),
    pytest.param(call_form(url=""), "url", "Enter the link", id="no-url"),
    pytest.param(call_form(url="https://e.org/" + "x" * 500), "url", "at most 500",
                 id="long-url"),
    pytest.param(call_form(deadline="not a date"), "deadline", "YYYY-MM-DD", id="text-date"),
    pytest.param(call_form(deadline="2027-02-30"), "deadline", "YYYY-MM-DD", id="no-such-day"),
    pytest.param(call_form(deadline="12.03.2027"), "deadline", "YYYY-MM-DD", id="ro-format"),
    pytest.param(call_form(deadline=""), "deadline", "Enter the deadline", id="no-deadline"),
    pytest.param(call_form(deadline="   "), "deadline", "Enter the deadline", id="blank-date"),
    pytest.param(call_form(deadline="1899-01-01"), "deadline", "2000 and 2100", id="old"),
    pytest.param(call_form(code=""), "code", "Enter the call", id="no-code"),
    pytest.param(call_form(code="HORIZON MISS 2027"), "code", "letters, digits", id="code-sp"),
    pytest.param(call_form(code="<b>X</b>"), "code", "letters, digits", id="code-html"),
    pytest.param(call_form(code="C" * 81), "code", "at most 80", id="long-code"),
    pytest.param(call_form(code="life-2027-cet"), "code", "already has this code",
                 id="duplicate-code-any-case"),
    pytest.param(call_form(title_ro="", title_en=""), "title_ro", "in Romanian, in English",
                 id="no-title"),
    pytest.param(call_form(title_en="t" * 301), "title_en", "At most 300", id="long-title"),
    pytest.param(call_form(programme=""), "programme", "Enter the programme", id="no-programme"),
    pytest.param(call_form(themes=["energy", "bogus"]), "themes", "Choose among", id="theme"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_CALLS)
def test_bad_funding_input_is_refused(admin_client, admin_world, data, field, message):
    response = admin_client.post_form("/admin/funding/new", data)
    assert response.status_code == 200
    error = re.search(rf'<[a-z]+ class="field-error" id="{field}-error">([^<]*)</', _text(response))
    assert error, f"no error shown on {field}"
    assert message in error.group(1)
    assert _count(FundingCall) == 1


def test_edit_a_funding_call(admin_client, admin_world):
    call = admin_world["call"]
    page = _text(admin_client.get(f"/admin/funding/{call.id}/edit"))
    assert 'value="LIFE-2027-CET"' in page
    assert re.search(r'<input checked id="themes-\d" name="themes" type="checkbox" value="energy">',
                     page)
    response = admin_client.post_form(
        f"/admin/funding/{call.id}/edit",
        call_form(code="LIFE-2027-CET", programme="LIFE", themes=["waste"]))
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(FundingCall, call.id)
    assert (stored.programme, stored.themes) == ("LIFE", ["waste"])


def test_edit_a_funding_call_with_a_bad_url_changes_nothing(admin_client, admin_world):
    call = admin_world["call"]
    response = admin_client.post_form(
        f"/admin/funding/{call.id}/edit", call_form(code="LIFE-2027-CET", url="javascript:x()"))
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(FundingCall, call.id).url == "https://example.org/call"


def test_delete_a_funding_call(admin_client, admin_world):
    call_id = admin_world["call"].id
    response = admin_client.post_form(f"/admin/funding/{call_id}/delete")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/funding"
    assert _count(FundingCall) == 0
    assert admin_client.post_form(f"/admin/funding/{call_id}/delete").status_code == 404


def test_unknown_funding_call_is_404(admin_client):
    assert admin_client.get("/admin/funding/999999/edit").status_code == 404
    assert admin_client.get("/admin/funding/abc/edit").status_code == 404
    assert admin_client.post_form("/admin/funding/999999/delete").status_code == 404
