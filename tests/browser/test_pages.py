"""Every kind of page, as the people who use it see it on a phone: axe-core finds no serious or
critical violation, nothing scrolls sideways at 360 px, and no request leaves this machine."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from engage.demo import DEMO_PASSWORD
from tests.browser.conftest import axe_violations, fits_360

pytestmark = pytest.mark.browser


def _log_in(page, base: str, email: str) -> None:  # noqa: ANN001
    page.goto(base + "/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/account/login" not in page.url, f"could not log in as {email}"


def _assert_clean(page) -> None:  # noqa: ANN001
    assert axe_violations(page) == [], page.url
    assert fits_360(page), f"horizontal scrolling at 360 px on {page.url}"


def _first_process_url(page, base: str, city: str) -> str:  # noqa: ANN001
    page.goto(f"{base}/{city}/")
    link = page.locator(f"main a[href^='/{city}/p/']").first
    return base + link.get_attribute("href")


@pytest.mark.parametrize("language", ["ro", "en"])
def test_public_pages(page, live_server, language):
    base = live_server.url
    page.context.add_cookies([{"name": "lang", "value": language, "url": base}])
    for path in ["/", "/cluj-napoca/", "/account/signup", "/account/login", "/account/reset",
                 "/account/verify/resend"]:
        page.goto(base + path)
        assert page.locator("html").get_attribute("lang") == language
        _assert_clean(page)
    page.goto(_first_process_url(page, base, "suceava"))
    _assert_clean(page)


def test_form_errors_are_accessible(page, live_server):
    base = live_server.url
    page.goto(base + "/account/signup")
    # Valid for the browser's own checks, wrong for the server: the passwords differ.
    page.fill("input[name=email]", "someone@example.org")
    page.fill("input[name=display_name]", "Someone")
    page.fill("input[name=password]", "first long password 1")
    page.fill("input[name=password_confirm]", "second long password 2")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid=true]").count() >= 1
    _assert_clean(page)


def test_organiser_pages(page, live_server):
    base = live_server.url
    _log_in(page, base, "organiser@engage.test")
    page.goto(base + "/suceava/manage/")
    _assert_clean(page)
    page.goto(base + "/suceava/manage/processes/new")
    _assert_clean(page)
    # An empty form comes back with its errors tied to the fields.
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid=true]").count() >= 1
    _assert_clean(page)
    edit = page.goto(base + "/suceava/manage/")
    assert edit.status == 200
    link = page.locator("main a[href*='/manage/processes/'][href$='/edit']").first
    page.goto(base + link.get_attribute("href"))
    _assert_clean(page)
    page.goto(base + "/account/profile")
    _assert_clean(page)


def test_admin_pages(page, live_server):
    base = live_server.url
    _log_in(page, base, "admin@engage.test")
    for path in ["/admin/cities", "/admin/cities/new", "/admin/cities/suceava/edit",
                 "/admin/cities/suceava/roles", "/admin/funding", "/admin/funding/new"]:
        response = page.goto(base + path)
        assert response.status == 200, path
        _assert_clean(page)


def test_no_request_leaves_this_machine(page, live_server):
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    base = live_server.url
    page.goto(base + "/")
    page.goto(base + "/suceava/")
    page.goto(_first_process_url(page, base, "suceava"))
    page.wait_for_load_state("networkidle")
    assert hosts == {"127.0.0.1"}


def test_htmx_filters_the_dashboard_in_place(page, live_server):
    """With JavaScript, the dashboard's status filter swaps the table without a full load."""
    base = live_server.url
    _log_in(page, base, "organiser@engage.test")
    page.goto(base + "/suceava/manage/")
    page.evaluate("window.__engage_marker = 1")
    link = page.locator("main a[href*='status=published']").first
    link.click()
    page.wait_for_url(re.compile(r"status=published"))
    # Same document: the marker survived, so htmx swapped a fragment.
    assert page.evaluate("window.__engage_marker") == 1
    _assert_clean(page)
