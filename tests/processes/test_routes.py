"""Process pages end to end: the public page, the dashboard, create, edit and status changes,
and the bad input of issue 2 (forged ids, other cities, drafts, hostile HTML, missing CSRF,
over-long fields, dates that are not dates, double submits)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Process

FAR_CLOSE = datetime(2099, 3, 12, 16, 0, tzinfo=UTC)  # 18:00 in Bucharest (winter time)


@pytest.fixture
def world(make_user, make_city, make_role):  # noqa: ANN001, ANN201
    city = make_city("suceava", name_ro="Suceava", name_en="Suceava")
    other = make_city("cluj-napoca", name_ro="Cluj-Napoca", name_en="Cluj-Napoca")
    people = {
        "citizen": make_user(),
        "organiser": make_user(),
        "moderator": make_user(),
        "other_organiser": make_user(),
        "admin": make_user(admin=True),
    }
    make_role(people["organiser"], city, "organiser")
    make_role(people["moderator"], city, "moderator")
    make_role(people["other_organiser"], other, "organiser")
    return city, other, people


@pytest.fixture
def as_person(new_client, login_as, world):  # noqa: ANN001, ANN201
    def signed_in(person: str, language: str = "en"):  # noqa: ANN202
        client = new_client()
        client.set_cookie("lang", language)
        if person != "anonymous":
            login_as(client, world[2][person])
        return client

    return signed_in


def form_data(**overrides):  # noqa: ANN003, ANN201
    data = {
        "kind": "ideas",
        "slug": "parcuri-verzi",
        "title_ro": "Parcuri mai verzi",
        "title_en": "Greener parks",
        "description_ro": "Ce vreți în **parcul** dumneavoastră?",
        "description_en": "What do you want in your **park**?",
        "themes": ["nature", "adaptation"],
        "opens_at": "2027-03-01T10:00",
        "closes_at": "2027-03-12T18:00",
        "moderation_mode": "pre",
    }
    data.update(overrides)
    return data


def count_processes() -> int:
    return db.session.scalar(select(func.count()).select_from(Process))


def reload(process: Process) -> Process:
    db.session.expire_all()
    return db.session.get(Process, process.id)


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- the public page


def test_public_page_shows_the_process(client_default_language, world, make_process):
    client = client_default_language  # no language chosen: the browser asks for Romanian
    city = world[0]
    make_process(
        city, slug="buget", kind="consultation", title_ro="Bugetul participativ",
        description_ro="## Ce facem\n\nDetalii *importante*.", themes=["energy", "mobility"],
        opens_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC), closes_at=FAR_CLOSE,
        moderation_mode="pre",
    )
    response = client.get("/suceava/p/buget", headers={"Accept-Language": "ro"})
    assert response.status_code == 200
    page = text_of(response)
    assert "Bugetul participativ" in page
    assert "badge-open" in page
    # The interface is the Romanian catalog's.
    assert "Despre acest proces" in page and "About this process" not in page
    assert "Orele sunt exprimate în ora locală a României." in page
    assert "12 martie 2099" in page
    # Exact times in Romania's time zone: 08:00 UTC in January is 10:00 in Bucharest.
    assert "5 ianuarie 2026, 10:00" in page
    assert "12 martie 2099, 18:00" in page
    assert "<h2>Ce facem</h2>" in page and "<em>importante</em>" in page
    assert 'href="/suceava/"' in page
    assert "/suceava/manage/processes/buget/edit" not in page
    assert "Draft" not in page and "Ciornă" not in page


def test_public_page_in_english_with_fallback_mark(client, world, make_process):
    make_process(world[0], slug="doar-ro", kind="science", title_en="",
                 title_ro="Doar în română",
                 description_en="", description_ro="Text românesc", closes_at=FAR_CLOSE,
                 themes=["energy"], moderation_mode="post")
    client.set_cookie("lang", "en")
    page = text_of(client.get("/suceava/p/doar-ro"))
    assert "open until 12 March 2099" in page
    assert 'lang="ro">Doar în română</span>' in page
    assert "(ro)" in page
    assert "Energy systems" in page
    assert "Citizen science" in page and "field observations" in page
    assert "Post-moderation" in page


@pytest.mark.parametrize("person", ["anonymous", "citizen", "other_organiser"])
def test_draft_is_404_for_the_public(as_person, world, make_process, person):
    make_process(world[0], slug="ciorna", status="draft")
    assert as_person(person).get("/suceava/p/ciorna").status_code == 404


@pytest.mark.parametrize("person", ["moderator", "organiser", "admin"])
def test_draft_is_visible_to_city_staff_with_a_notice(as_person, world, make_process, person):
    make_process(world[0], slug="ciorna", status="draft")
    response = as_person(person).get("/suceava/p/ciorna", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "Draft — not visible to the public" in text_of(response)


def test_staff_links_on_the_public_page(as_person, world, make_process):
    make_process(world[0], slug="buget")
    organiser_page = text_of(as_person("organiser").get("/suceava/p/buget"))
    assert "/suceava/manage/processes/buget/edit" in organiser_page
    moderator_page = text_of(as_person("moderator").get("/suceava/p/buget"))
    assert "/suceava/manage/processes/buget/edit" not in moderator_page
    assert "/suceava/manage/" in moderator_page


@pytest.mark.parametrize(
    "url",
    ["/nowhere/p/buget", "/suceava/p/nothing", "/suceava/p/../manage",
     "/cluj-napoca/p/buget"],
)
def test_unknown_or_other_city_process_is_404(client, world, make_process, url):
    make_process(world[0], slug="buget")
    assert client.get(url).status_code == 404


def test_hostile_html_in_title_and_description_is_inert(as_person, world, make_process):
    make_process(
        world[0], slug="ostil", status="draft",
        title_ro='<script>alert("t")</script><b>Titlu</b>',
        title_en='<script>alert("t")</script><b>Titlu</b>',
        description_ro='<img src=x onerror="alert(1)"> [link](javascript:alert(2)) '
                       "<iframe src=//evil></iframe>",
    )
    for person in ("organiser", "moderator"):
        client = as_person(person)
        for url in ("/suceava/p/ostil", "/suceava/manage/", "/suceava/manage/?status=draft"):
            page = text_of(client.get(url))
            assert "&lt;script&gt;" in page
            assert "<script>alert" not in page
            assert "<b>Titlu</b>" not in page
            assert "<img" not in page and "<iframe" not in page
            assert 'href="javascript' not in page
    edit_page = text_of(as_person("organiser").get("/suceava/manage/processes/ostil/edit"))
    assert "<script>alert" not in edit_page
    assert "<iframe" not in edit_page


# ---------------------------------------------------------------- dashboard


def test_dashboard_lists_every_process_with_drafts_for_organisers(as_person, world,
                                                                  make_process):
    city = world[0]
    make_process(city, slug="publicat", title_en="Published one")
    make_process(city, slug="ciorna", status="draft", title_en="Draft one")
    make_process(world[1], slug="altundeva", title_en="Elsewhere")
    page = text_of(as_person("organiser").get("/suceava/manage/",
                                              headers={"Accept-Language": "en"}))
    assert "Published one" in page and "Draft one" in page
    assert "Elsewhere" not in page
    assert "/suceava/manage/processes/new" in page
    assert "/suceava/manage/processes/ciorna/edit" in page
    assert 'value="publish"' in page and 'value="close"' in page


def test_dashboard_is_read_only_for_moderators(as_person, world, make_process):
    make_process(world[0], slug="ciorna", status="draft", title_en="Draft one")
    page = text_of(as_person("moderator").get("/suceava/manage/",
                                              headers={"Accept-Language": "en"}))
    assert "Draft one" in page
    assert "/suceava/manage/processes/new" not in page
    assert "/edit" not in page
    assert 'name="action"' not in page


def test_dashboard_filters_by_status_without_javascript(as_person, world, make_process):
    city = world[0]
    make_process(city, slug="publicat", title_en="Published one")
    make_process(city, slug="ciorna", status="draft", title_en="Draft one")
    client = as_person("organiser")
    drafts = text_of(client.get("/suceava/manage/?status=draft"))
    assert "Draft one" in drafts and "Published one" not in drafts
    assert re.search(r'href="/suceava/manage/\?status=draft"[^>]*aria-current="page"', drafts)
    # An unknown status is ignored rather than an error.
    everything = text_of(client.get("/suceava/manage/?status=<script>"))
    assert "Draft one" in everything and "Published one" in everything
    assert "<script>" not in everything.split("<main")[1]


def test_dashboard_answers_htmx_with_the_fragment(as_person, world, make_process):
    make_process(world[0], slug="ciorna", status="draft", title_en="Draft one")
    client = as_person("organiser")
    fragment = client.get("/suceava/manage/?status=draft", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = text_of(fragment)
    assert "<html" not in body and 'id="process-list"' in body and "Draft one" in body
    assert "HX-Request" in fragment.headers.get("Vary", "")
    # Restoring history and boosted navigation get the whole page.
    for headers in ({"HX-Request": "true", "HX-History-Restore-Request": "true"},
                    {"HX-Request": "true", "HX-Boosted": "true"}):
        assert "<html" in text_of(client.get("/suceava/manage/?status=draft", headers=headers))
    full = text_of(client.get("/suceava/manage/?status=draft"))
    assert "<html" in full and 'hx-get="/suceava/manage/?status=draft"' in full
    assert 'hx-target="#process-list"' in full and 'hx-push-url="true"' in full


def test_dashboard_query_count_is_constant(as_person, world, make_process, count_queries):
    city = world[0]
    client = as_person("organiser")
    for index in range(2):
        make_process(city, slug=f"p{index}")
    client.get("/suceava/manage/")
    with count_queries() as few:
        assert client.get("/suceava/manage/").status_code == 200
    for index in range(2, 14):
        make_process(city, slug=f"p{index}", status=("draft", "closed", "archived")[index % 3])
    with count_queries() as many:
        page = text_of(client.get("/suceava/manage/"))
    assert page.count("/edit") >= 14
    assert many.n == few.n, many.statements


def test_dashboard_access(as_person, world):
    assert as_person("anonymous").get("/suceava/manage/").status_code == 302
    assert as_person("citizen").get("/suceava/manage/").status_code == 403
    assert as_person("other_organiser").get("/suceava/manage/").status_code == 403
    assert as_person("organiser").get("/nowhere/manage/").status_code == 404


# ---------------------------------------------------------------- create


def test_create_flow(as_person, world):
    client = as_person("organiser")
    page = client.get("/suceava/manage/processes/new")
    assert page.status_code == 200
    html = text_of(page)
    assert 'type="datetime-local"' in html and 'name="themes"' in html
    assert 'type="checkbox"' in html and 'type="radio"' in html
    # One theme is enough: no single checkbox is marked required.
    assert not re.search(r'<input[^>]*required[^>]*type="checkbox"', html)
    assert '<legend>Themes <span class="req"' in html
    response = client.post_form("/suceava/manage/processes/new", form_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/suceava/manage/")
    process = db.session.scalars(select(Process).where(Process.slug == "parcuri-verzi")).one()
    assert process.status == "draft"
    assert process.city_id == world[0].id
    assert process.created_by_id == world[2]["organiser"].id
    assert process.themes == ["nature", "adaptation"]
    assert process.moderation_mode == "pre"
    # 10:00 and 18:00 in Bucharest in March 2027 (winter time, UTC+2).
    assert process.opens_at == datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    assert process.closes_at == datetime(2027, 3, 12, 16, 0, tzinfo=UTC)
    dashboard = text_of(client.get("/suceava/manage/", headers={"Accept-Language": "en"}))
    assert "saved as a draft" in dashboard


def test_create_across_summer_time(as_person, world):
    client = as_person("organiser")
    response = client.post_form("/suceava/manage/processes/new", form_data(
        opens_at="2027-07-01T10:00", closes_at=""))
    assert response.status_code == 303
    process = db.session.scalars(select(Process).where(Process.slug == "parcuri-verzi")).one()
    assert process.opens_at == datetime(2027, 7, 1, 7, 0, tzinfo=UTC)
    assert process.closes_at is None


def test_the_same_slug_in_another_city_is_fine(as_person, world, make_process):
    make_process(world[1], slug="parcuri-verzi")
    response = as_person("organiser").post_form("/suceava/manage/processes/new", form_data())
    assert response.status_code == 303
    assert count_processes() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title_ro": "", "title_en": "  "}, "title_ro", "at least one"),
        ({"title_ro": "t" * 201}, "title_ro", "200"),
        ({"title_en": "t" * 201}, "title_en", "200"),
        ({"description_en": "d" * 20_001}, "description_en", "20000"),
        ({"slug": ""}, "slug", ""),
        ({"slug": "x"}, "slug", "2"),
        ({"slug": "cu spații"}, "slug", "lowercase"),
        ({"slug": "x" * 81}, "slug", "80"),
        ({"kind": "poll"}, "kind", ""),
        ({"themes": []}, "themes", "at least one theme"),
        ({"themes": ["astrology"]}, "themes", ""),
        ({"opens_at": ""}, "opens_at", "opening date"),
        ({"opens_at": "tomorrow"}, "opens_at", "valid date"),
        ({"opens_at": "2027-02-30T10:00"}, "opens_at", "valid date"),
        ({"closes_at": "12/03/2027"}, "closes_at", "valid date"),
        ({"opens_at": "0001-01-01T00:00"}, "opens_at", "2000"),
        ({"closes_at": "2027-02-28T10:00"}, "closes_at", "after the opening"),
        ({"closes_at": "2027-03-01T10:00"}, "closes_at", "after the opening"),
        ({"moderation_mode": "none"}, "moderation_mode", ""),
    ],
)
def test_create_refuses_bad_input_with_a_field_error(as_person, world, overrides, field,
                                                     message):
    client = as_person("organiser")
    response = client.post_form("/suceava/manage/processes/new", form_data(**overrides),
                                headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = text_of(response)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert error, f"no error on {field}"
    assert message in error.group(1).replace(",", "")
    if field not in ("themes", "moderation_mode"):  # fieldsets carry aria-describedby
        assert 'aria-invalid="true"' in page
    assert count_processes() == 0


def test_create_refuses_a_slug_the_city_already_uses(as_person, world, make_process):
    make_process(world[0], slug="parcuri-verzi")
    response = as_person("organiser").post_form(
        "/suceava/manage/processes/new", form_data(), headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert re.search(r'id="slug-error">[^<]*already uses', text_of(response))
    assert count_processes() == 1


def test_create_keeps_what_was_typed_after_an_error(as_person, world):
    response = as_person("organiser").post_form(
        "/suceava/manage/processes/new", form_data(closes_at="2020-01-01T10:00"))
    page = text_of(response)
    assert 'value="Parcuri mai verzi"' in page
    assert 'value="2027-03-01T10:00"' in page
    assert re.search(r'value="nature"[^>]*checked|checked[^>]*value="nature"', page)


def test_create_without_csrf_is_400_and_writes_nothing(as_person, world):
    response = as_person("organiser").post("/suceava/manage/processes/new", data=form_data())
    assert response.status_code == 400
    assert count_processes() == 0


@pytest.mark.parametrize(
    ("person", "status"),
    [("anonymous", 302), ("citizen", 403), ("moderator", 403), ("other_organiser", 403)],
)
def test_create_is_for_the_city_organisers_only(as_person, world, person, status):
    client = as_person(person)
    assert client.get("/suceava/manage/processes/new").status_code == status
    assert client.post_form("/suceava/manage/processes/new", form_data()).status_code == status
    assert count_processes() == 0


# ---------------------------------------------------------------- edit


def test_edit_form_shows_local_times_and_saves(as_person, world, make_process):
    process = make_process(world[0], slug="ciorna", status="draft",
                           opens_at=datetime(2027, 7, 1, 7, 0, tzinfo=UTC), closes_at=None)
    client = as_person("organiser")
    page = text_of(client.get("/suceava/manage/processes/ciorna/edit"))
    assert 'value="2027-07-01T10:00"' in page
    assert 'name="slug"' in page and 'name="kind"' in page
    response = client.post_form("/suceava/manage/processes/ciorna/edit", form_data(
        slug="ciorna-noua", kind="science", title_en="Renamed", opens_at="2027-07-01T10:00",
        closes_at="2027-08-01T10:00"))
    assert response.status_code == 303
    process = reload(process)
    assert (process.slug, process.kind, process.title_en) == ("ciorna-noua", "science", "Renamed")
    assert process.closes_at == datetime(2027, 8, 1, 7, 0, tzinfo=UTC)


def test_edit_of_a_published_process_keeps_kind_and_slug(as_person, world, make_process):
    process = make_process(world[0], slug="publicat", kind="ideas")
    client = as_person("organiser")
    page = text_of(client.get("/suceava/manage/processes/publicat/edit"))
    assert 'name="slug"' not in page and 'name="kind"' not in page
    response = client.post_form("/suceava/manage/processes/publicat/edit", form_data(
        slug="altceva", kind="consultation", title_en="Renamed"))
    assert response.status_code == 303
    process = reload(process)
    assert (process.slug, process.kind, process.title_en) == ("publicat", "ideas", "Renamed")


def test_edit_refuses_bad_input_and_changes_nothing(as_person, world, make_process):
    process = make_process(world[0], slug="ciorna", status="draft", title_en="Before")
    response = as_person("organiser").post_form(
        "/suceava/manage/processes/ciorna/edit",
        form_data(slug="ciorna", title_en="After", opens_at="not a date"))
    assert response.status_code == 422
    assert reload(process).title_en == "Before"


def test_edit_refuses_a_slug_taken_in_the_city(as_person, world, make_process):
    make_process(world[0], slug="ocupat")
    process = make_process(world[0], slug="ciorna", status="draft")
    response = as_person("organiser").post_form(
        "/suceava/manage/processes/ciorna/edit", form_data(slug="ocupat"))
    assert response.status_code == 422
    assert 'id="slug-error"' in text_of(response)
    assert reload(process).slug == "ciorna"


def test_organiser_of_another_city(as_person, world, make_process):
    process = make_process(world[0], slug="al-sucevei", status="draft", title_en="Before")
    client = as_person("other_organiser")
    # Through the process's own city: that city's organisers only → 403.
    assert client.get("/suceava/manage/processes/al-sucevei/edit").status_code == 403
    assert client.post_form("/suceava/manage/processes/al-sucevei/edit",
                            form_data(title_en="Hacked")).status_code == 403
    assert client.post_form("/suceava/manage/processes/al-sucevei/status",
                            {"action": "publish"}).status_code == 403
    # Through their own city: the process is not there → 404.
    assert client.get("/cluj-napoca/manage/processes/al-sucevei/edit").status_code == 404
    assert client.post_form("/cluj-napoca/manage/processes/al-sucevei/edit",
                            form_data(title_en="Hacked")).status_code == 404
    assert client.post_form("/cluj-napoca/manage/processes/al-sucevei/status",
                            {"action": "publish"}).status_code == 404
    process = reload(process)
    assert (process.title_en, process.status) == ("Before", "draft")


def test_moderator_cannot_write(as_person, world, make_process):
    process = make_process(world[0], slug="ciorna", status="draft", title_en="Before")
    client = as_person("moderator")
    assert client.get("/suceava/manage/processes/ciorna/edit").status_code == 403
    assert client.post_form("/suceava/manage/processes/ciorna/edit",
                            form_data(title_en="Changed")).status_code == 403
    assert client.post_form("/suceava/manage/processes/ciorna/status",
                            {"action": "publish"}).status_code == 403
    process = reload(process)
    assert (process.title_en, process.status) == ("Before", "draft")


def test_anonymous_writes_go_to_log_in(as_person, world, make_process):
    process = make_process(world[0], slug="ciorna", status="draft")
    client = as_person("anonymous")
    for url, data in (("/suceava/manage/processes/ciorna/edit", form_data()),
                      ("/suceava/manage/processes/ciorna/status", {"action": "publish"})):
        response = client.post_form(url, data)
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]
    assert reload(process).status == "draft"


def test_unknown_process_slug_in_management_is_404(as_person, world):
    client = as_person("organiser")
    assert client.get("/suceava/manage/processes/nothing/edit").status_code == 404
    assert client.post_form("/suceava/manage/processes/nothing/status",
                            {"action": "publish"}).status_code == 404


# ---------------------------------------------------------------- status changes


def flashes(client) -> str:  # noqa: ANN001
    page = text_of(client.get("/suceava/manage/", headers={"Accept-Language": "en"}))
    found = re.search(r'<div class="flashes".*?</div>', page, re.S)
    return found.group(0) if found else ""


def test_publish_close_reopen_archive(as_person, world, make_process):
    process = make_process(world[0], slug="ciclu", status="draft")
    client = as_person("organiser")
    url = "/suceava/manage/processes/ciclu/status"
    for action, status in (("publish", "published"), ("close", "closed"),
                           ("reopen", "published"), ("close", "closed"),
                           ("archive", "archived")):
        response = client.post_form(url, {"action": action})
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/suceava/manage/")
        assert "flash-success" in flashes(client)
        assert reload(process).status == status
    assert reload(process).published_at is not None
    # The public sees archived processes.
    assert as_person("anonymous").get("/suceava/p/ciclu").status_code == 200


def test_double_publish_is_a_friendly_message(as_person, world, make_process):
    process = make_process(world[0], slug="ciorna", status="draft")
    client = as_person("organiser")
    url = "/suceava/manage/processes/ciorna/status"
    assert client.post_form(url, {"action": "publish"}).status_code == 303
    first = reload(process).published_at
    client.get("/suceava/manage/")  # read the first message
    second = client.post_form(url, {"action": "publish"})
    assert second.status_code == 303
    messages = flashes(client)
    assert "flash-warning" in messages and "already published" in messages
    assert reload(process).published_at == first


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("published", "archive", "Only a closed process can be archived"),
        ("draft", "close", "Only a published process can be closed"),
        ("archived", "reopen", "Only a closed process can be reopened"),
        ("draft", "destroy", "Unknown action"),
        ("draft", "", "Unknown action"),
    ],
)
def test_invalid_transition_redirects_with_an_error(as_person, world, make_process, status,
                                                     action, message):
    process = make_process(world[0], slug="proces", status=status)
    client = as_person("organiser")
    response = client.post_form("/suceava/manage/processes/proces/status", {"action": action})
    assert response.status_code == 303
    messages = flashes(client)
    assert "flash-error" in messages and message in messages
    assert reload(process).status == status


def test_reopen_after_the_closing_date_explains_what_to_do(as_person, world, make_process):
    now = utcnow()
    process = make_process(world[0], slug="trecut", status="closed",
                           opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1))
    client = as_person("organiser")
    client.post_form("/suceava/manage/processes/trecut/status", {"action": "reopen"})
    assert "set a later closing date" in flashes(client)
    assert reload(process).status == "closed"


def test_status_without_csrf_is_400(as_person, world, make_process):
    process = make_process(world[0], slug="ciorna", status="draft")
    response = as_person("organiser").post("/suceava/manage/processes/ciorna/status",
                                           data={"action": "publish"})
    assert response.status_code == 400
    assert reload(process).status == "draft"


def test_status_change_by_htmx_answers_with_hx_location(as_person, world, make_process):
    process = make_process(world[0], slug="ciorna", status="draft")
    response = as_person("organiser").post_form(
        "/suceava/manage/processes/ciorna/status", {"action": "publish"},
        headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Location"].endswith("/suceava/manage/")
    assert reload(process).status == "published"


def test_status_change_is_a_get_nowhere(as_person, world, make_process):
    make_process(world[0], slug="ciorna", status="draft")
    assert as_person("organiser").get(
        "/suceava/manage/processes/ciorna/status").status_code == 405
