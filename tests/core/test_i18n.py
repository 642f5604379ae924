"""Languages: which one a request gets, and bilingual content with its visible fallback mark."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import g
from flask_babel import force_locale
from flask_login import login_user

from engage.core.i18n import (
    bilingual,
    current_language,
    fallback_mark,
    localized,
    select_locale,
)


def item(ro: str = "", en: str = "") -> SimpleNamespace:
    return SimpleNamespace(title_ro=ro, title_en=en)


# ------------------------------------------------------------------ localized and its mark


@pytest.mark.parametrize(
    ("ro", "en", "language", "text", "shown_in", "fallback"),
    [
        ("Parc", "Park", "ro", "Parc", "ro", False),
        ("Parc", "Park", "en", "Park", "en", False),
        ("Parc", "", "en", "Parc", "ro", True),
        ("", "Park", "ro", "Park", "en", True),
        ("", "", "ro", "", "ro", False),
    ],
)
def test_localized_prefers_the_language_then_falls_back(ro, en, language, text, shown_in,
                                                         fallback):
    result = localized(item(ro, en), "title", language)
    assert (result.text, result.language, result.is_fallback) == (text, shown_in, fallback)
    assert str(result) == text and bool(result) == bool(text)


def test_localized_uses_the_request_language(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert current_language() == "en"
        assert localized(item("Parc", "Park"), "title").text == "Park"
        with force_locale("ro"):
            assert localized(item("Parc", "Park"), "title").text == "Parc"


def test_fallback_mark_only_when_falling_back():
    assert fallback_mark(localized(item("Parc", "Park"), "title", "en")) == ""
    mark = fallback_mark(localized(item("Parc", ""), "title", "en"))
    assert mark == ' <span class="lang-mark" lang="ro">(ro)</span>'


def test_bi_filter_marks_the_fallback_and_escapes(app):
    hostile = item('<script>alert("x")</script> Parc', "")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        html = bilingual(hostile, "title")
        rendered = app.jinja_env.from_string("{{ obj|bi('title') }}").render(obj=hostile)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert html.startswith('<span lang="ro">') and html.endswith("(ro)</span>")
    assert rendered == str(html)


def test_bi_filter_without_fallback_is_plain_escaped_text(app):
    with app.test_request_context():
        assert bilingual(item("Parc <b>", "Park"), "title") == "Parc &lt;b&gt;"


# ------------------------------------------------------------------ select_locale


@pytest.mark.parametrize(
    ("cookie", "user_language", "accept", "expected"),
    [
        ("en", "ro", "ro", "en"),  # the cookie (explicit switch) wins
        ("ro", "en", "en", "ro"),
        (None, "en", "ro", "en"),  # then the signed-in person's language
        (None, "ro", "en", "ro"),
        (None, None, "en-US,en;q=0.9", "en"),  # then the browser's Accept-Language
        (None, None, "fr-FR,en;q=0.5", "en"),
        (None, None, "de-DE", "ro"),  # then Romanian
        (None, None, None, "ro"),
        ("fr", None, None, "ro"),  # an unsupported cookie is ignored
        ("fr", "en", None, "en"),
    ],
)
def test_select_locale_order(app, make_user, cookie, user_language, accept, expected):
    headers = {}
    if cookie:
        headers["Cookie"] = f"lang={cookie}"
    if accept:
        headers["Accept-Language"] = accept
    user = make_user(language=user_language) if user_language else None
    with app.test_request_context(headers=headers):
        if user is not None:
            login_user(user)
        assert select_locale() == expected


def test_forced_language_wins(app):
    with app.test_request_context(headers={"Cookie": "lang=ro"}):
        g.forced_language = "en"
        assert select_locale() == "en"


def test_page_language_follows_the_cookie(client):
    client.set_cookie("lang", "en")
    assert '<html lang="en">' in client.get("/no-such-page/at-all").get_data(as_text=True)


def test_language_switch_sets_the_cookie(client):
    response = client.post_form("/account/language", {"language": "en", "next": "/"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "lang=en" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_language_switch_never_redirects_elsewhere(client, target):
    response = client.post_form("/account/language", {"language": "en", "next": target})
    assert response.status_code == 303
    assert "evil" not in response.headers["Location"]
