"""A visitor's way through the platform in a real browser, on a phone-sized screen:
hub → city → sign up → verify the e-mail from the mail folder → log in → English and back.
axe-core checks every page on the way."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from pathlib import Path

import pytest

from tests.browser.conftest import axe_violations, fits_360

pytestmark = pytest.mark.browser

PASSWORD = "o parolă destul de lungă 2026"


def _check(page) -> None:  # noqa: ANN001
    assert axe_violations(page) == [], page.url
    assert fits_360(page), f"horizontal scrolling at 360 px on {page.url}"


def _verification_link(mail_dir: Path, email: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(mail_dir.glob("*.eml")):
            message = message_from_bytes(path.read_bytes())
            if message["To"] == email:
                body = message.get_payload(decode=True).decode()
                match = re.search(r"https?://\S+/account/verify/\S+", body)
                if match:
                    return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no verification mail for {email} in {mail_dir}")


@pytest.mark.postgres_too
def test_hub_city_signup_verify_login_language(page, live_server):
    base = live_server.url
    email = f"ana.{int(time.time() * 1000)}@example.org"

    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "ro"
    assert page.get_by_text("Suceava").first.is_visible()
    _check(page)

    page.locator("main a[href='/suceava/']").first.click()
    page.wait_for_url(re.compile(r"/suceava/$"))
    assert "Suceava" in page.locator("h1").inner_text()
    _check(page)

    page.goto(base + "/account/signup")
    _check(page)
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "Ana Popescu")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    _check(page)

    link = _verification_link(Path(live_server.app.config["MAIL_DIRECTORY"]), email)
    page.goto(link)
    page.wait_for_url(re.compile(r"/account/login"))
    _check(page)

    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/account/login" not in page.url
    page.goto(base + "/account/profile")
    assert "Ana Popescu" in page.content()
    _check(page)

    # Switch to English: the choice sticks across pages.
    page.locator(".lang-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    _check(page)
    # And back to Romanian.
    page.locator(".lang-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ro"


def test_signup_and_login_work_without_javascript(page_without_js, live_server):
    page = page_without_js
    base = live_server.url
    email = f"ion.{int(time.time() * 1000)}@example.org"
    page.goto(base + "/account/signup")
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "Ion Ionescu")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    link = _verification_link(Path(live_server.app.config["MAIL_DIRECTORY"]), email)
    page.goto(link)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto(base + "/account/profile")
    assert "Ion Ionescu" in page.content()
    page.locator(".lang-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"


def test_error_page_is_accessible(page, live_server):
    response = page.goto(live_server.url + "/no-such-city/")
    assert response.status == 404
    _check(page)
