"""The page cache for visitors without a session: what is stored, for whom, for how long, and
that nothing personal or stale-for-the-signed-in ever comes out of it."""

from __future__ import annotations

import pytest

from engage.core.pagecache import MARK
from engage.extensions import db
from engage.ideas import services


@pytest.fixture
def cache_on(app):  # noqa: ANN001, ANN201
    app.config["PAGE_CACHE_SECONDS"] = 10
    app.page_cache.clear()
    yield app.page_cache
    app.config["PAGE_CACHE_SECONDS"] = 0
    app.page_cache.clear()


@pytest.fixture
def world(make_city, make_process, make_user):  # noqa: ANN001, ANN201
    city = make_city()
    process = make_process(city, kind="ideas", themes=["nature"])
    author = make_user()
    services.submit_idea(process, author, "Prima idee", "", "nature", "ro")
    db.session.commit()
    return city, process, author


def add_idea(process, author, title: str) -> None:  # noqa: ANN001
    services.submit_idea(process, author, title, "", "nature", "ro")
    db.session.commit()


def test_visitors_get_the_stored_copy_until_it_expires(app, cache_on, world, monkeypatch):
    city, process, author = world
    url = f"/{city.slug}/p/{process.slug}/ideas"
    visitor = app.test_client()
    first = visitor.get(url)
    assert first.status_code == 200 and MARK not in first.headers
    assert "Set-Cookie" not in first.headers
    add_idea(process, author, "A doua idee")
    assert "A doua idee" not in app.test_client().get(url).get_data(as_text=True)
    # Security headers come with the stored copy too.
    assert "Content-Security-Policy" in app.test_client().get(url).headers
    import engage.core.pagecache as pagecache

    later = pagecache.time.monotonic() + 11
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: later)
    assert "A doua idee" in app.test_client().get(url).get_data(as_text=True)


def test_signed_in_people_and_sessions_always_see_the_current_page(app, cache_on, world,
                                                                   login_as, make_user):
    city, process, author = world
    url = f"/{city.slug}/p/{process.slug}/ideas"
    app.test_client().get(url)
    add_idea(process, author, "Idee nouă")
    signed_in = login_as(app.test_client(), make_user())
    page = signed_in.get(url).get_data(as_text=True)
    assert "Idee nouă" in page and "csrf_token" in page
    with_session = app.test_client()
    with_session.set_cookie("session", "anything")
    assert "Idee nouă" in with_session.get(url).get_data(as_text=True)


def test_each_language_and_htmx_request_has_its_own_copy(app, cache_on, world):
    city, process, _ = world
    url = f"/{city.slug}/p/{process.slug}/ideas"
    english = app.test_client()
    english.set_cookie("lang", "en")
    romanian = app.test_client()
    assert 'lang="en"' in english.get(url).get_data(as_text=True)
    assert 'lang="ro"' in romanian.get(url).get_data(as_text=True)
    assert 'lang="en"' in app.test_client().get(
        url, headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    fragment = romanian.get(url + "?q=prima", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "<html" in romanian.get(url + "?q=prima").get_data(as_text=True)


def test_only_opted_in_pages_without_cookies_are_stored(app, cache_on, world):
    city, process, _ = world
    app.test_client().get("/account/login")  # sets a session (CSRF): never stored
    app.test_client().get(f"/{city.slug}/p/{process.slug}/ideas/new")  # a redirect
    app.test_client().get(f"/{city.slug}/p/{process.slug}/ideas?sort=random")  # a session seed
    assert cache_on.entries == {}
    app.test_client().get(f"/{city.slug}/p/{process.slug}/ideas")
    assert len(cache_on.entries) == 1


def test_off_by_configuration(app, world):
    city, process, author = world
    url = f"/{city.slug}/p/{process.slug}/ideas"
    app.test_client().get(url)
    add_idea(process, author, "Imediat")
    assert "Imediat" in app.test_client().get(url).get_data(as_text=True)
    assert app.page_cache.entries == {}


def test_visitor_pages_of_ideas_set_no_cookie(app, cache_on, world, make_user, login_as):
    from sqlalchemy import select

    from engage.ideas.models import Idea

    city, process, author = world
    idea = db.session.scalars(select(Idea)).first()
    services.add_comment(make_user(), idea, "Un comentariu")
    db.session.commit()
    for url in (f"/{city.slug}/p/{process.slug}/ideas", f"/{city.slug}/ideas/{idea.id}",
                f"/{city.slug}/p/{process.slug}/ideas/map",
                f"/{city.slug}/p/{process.slug}/ideas.geojson"):
        response = app.test_client().get(url)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, url
    assert len(cache_on.entries) == 4
    # The signed-in author gets the forms (and a session), never the visitors' copy.
    signed_in = login_as(app.test_client(), author)
    page = signed_in.get(f"/{city.slug}/ideas/{idea.id}").get_data(as_text=True)
    assert "csrf_token" in page and f"/ideas/{idea.id}/comments" in page


def test_memory_budget_evicts_the_least_recently_used(app, cache_on, world):
    city, process, _ = world
    urls = [f"/{city.slug}/p/{process.slug}/ideas?q=x{n}" for n in range(3)]
    size = len(app.test_client().get(urls[0]).get_data())
    app.page_cache.clear()
    app.config["PAGE_CACHE_BYTES"] = 2 * size + size // 2
    try:
        for url in urls:
            app.test_client().get(url)
        assert len(cache_on.entries) == 2 and cache_on.size <= app.config["PAGE_CACHE_BYTES"]
        assert [key[1] for key in cache_on.entries] == ["q=x1", "q=x2"]
    finally:
        app.config["PAGE_CACHE_BYTES"] = 4 * 1024 * 1024
