"""Error pages in the visitor's language, JSON errors under /api/, and the health endpoint."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import OperationalError

from engage.extensions import db

HTML_LANG = re.compile(r'<html lang="([a-z]+)"')
HEADING = re.compile(r"<h1>([^<]*)</h1>")

# Each error page's heading in both languages, as the catalogs have them: the page is not only
# labelled Romanian, it is translated.
TITLES = {
    400: {"ro": "Cerere incorectă", "en": "Bad request"},
    404: {"ro": "Pagina nu a fost găsită", "en": "Page not found"},
    405: {"ro": "Metodă nepermisă", "en": "Method not allowed"},
    413: {"ro": "Cerere prea mare", "en": "Request too large"},
}


@pytest.fixture(params=["ro", "en"])
def language(request, client):  # noqa: ANN001, ANN201
    """Each error page is checked in Romanian (the default) and in English (the cookie)."""
    if request.param == "ro":
        # No language chosen: the default applies (the `client` fixture has chosen English).
        client.delete_cookie("lang")
    else:
        client.set_cookie("lang", "en")
    return request.param


def page_language(response) -> str:  # noqa: ANN001
    match = HTML_LANG.search(response.get_data(as_text=True))
    assert match, "no <html lang> on the error page"
    return match.group(1)


def assert_error_page(response, code: int, language: str) -> None:  # noqa: ANN001
    """The page says it is in `language` and its heading is the title in that language."""
    assert page_language(response) == language
    match = HEADING.search(response.get_data(as_text=True))
    assert match, "no <h1> on the error page"
    assert match.group(1) == TITLES[code][language]


def test_404_page(client, language):
    response = client.get("/no-such-page/at-all")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert_error_page(response, 404, language)
    assert '<p class="error-code">404</p>' in response.get_data(as_text=True)


def test_405_page_keeps_allow_header(client, language):
    response = client.post("/")
    assert response.status_code == 405
    assert_error_page(response, 405, language)
    assert "GET" in response.headers["Allow"]


def test_413_page_for_an_oversized_body(app, client, language):
    too_big = app.config["MAX_CONTENT_LENGTH"] + 1024
    response = client.post("/account/login", data={"email": "a" * too_big, "password": "x"})
    assert response.status_code == 413
    assert_error_page(response, 413, language)


def test_400_page_when_the_csrf_token_is_missing(client, language):
    response = client.post("/account/login", data={"email": "a@b.ro", "password": "x"})
    assert response.status_code == 400
    assert_error_page(response, 400, language)


def test_signed_in_language_switch_needs_the_token(client, make_user, login_as, language):
    user = make_user(language="ro")
    login_as(client, user)
    response = client.post("/account/language", data={"language": "en", "next": "/"})
    assert response.status_code == 400
    # The switch was refused: no language cookie was set, the profile kept its language.
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    db.session.refresh(user)
    assert user.language == "ro"


def test_visitor_language_switch_only_sets_a_cookie_without_a_token(client_default_language):
    response = client_default_language.post("/account/language",
                                            data={"language": "en", "next": "/"})
    assert response.status_code == 303 and "lang=en" in response.headers["Set-Cookie"]
    assert "session=" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("accept", "expected"), [("en-GB,en;q=0.8", "en"), ("ro-RO", "ro"), ("de-DE", "ro")]
)
def test_accept_language_chooses_the_error_page_language(client_default_language, accept,
                                                        expected):
    # No language cookie: the browser's preference decides, else the Romanian default.
    response = client_default_language.get(
        "/no-such-page/at-all", headers={"Accept-Language": accept})
    assert_error_page(response, 404, expected)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == 404
    assert error["title"] and error["detail"]


def test_api_405_is_json(client):
    response = client.post("/api/v1/health")
    assert response.status_code == 405
    assert response.get_json()["error"]["status"] == 405
    assert "GET" in response.headers["Allow"]


def test_api_errors_follow_the_language(client):
    client.set_cookie("lang", "en")
    english = client.get("/api/v1/nope").get_json()["error"]
    assert english["title"] == "Page not found"


def test_health_ok(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_503_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"
