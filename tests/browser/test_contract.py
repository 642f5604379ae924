"""The Climate City Contract on a 360 × 740 phone: the demo's published contract of Bucharest
Sector 2 (its three parts, an action with the input behind it) and "you said, we did", in both
languages, with and without JavaScript; and the pledge form, empty and sent back with its
errors. axe-core finds no serious or critical violation, and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from tests.browser.test_pages import _assert_clean, _log_in

pytestmark = pytest.mark.browser

CITY = "bucuresti-sector-2"


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_contract_and_you_said_we_did(page, live_server, language):
    base = live_server.url
    page.context.add_cookies([{"name": "lang", "value": language, "url": base}])
    page.goto(f"{base}/{CITY}/")
    page.locator(f"main a[href='/{CITY}/contract']").first.click()
    page.wait_for_url(f"{base}/{CITY}/contract")
    for part in ("commitments", "action_plan", "investment", "mobility"):
        assert page.locator(f"#{part}").count() == 1
    assert page.locator(".contract-action").count() >= 6
    assert page.locator("table.contract-money").count() == 2
    _assert_clean(page)

    # An action's card leads to its page and the input behind it.
    page.locator(".contract-action a[href*='/contract/actions/']").first.click()
    page.wait_for_load_state()
    assert "/contract/actions/" in page.url
    _assert_clean(page)

    page.goto(f"{base}/{CITY}/you-said-we-did")
    said = page.locator("[id^=said-] a[href^='#did-']")
    assert said.count() >= 1
    assert page.locator("[id^=did-] a[href^='#said-']").count() >= 1
    _assert_clean(page)


def test_the_pages_without_javascript(page_without_js, live_server):
    page = page_without_js
    base = live_server.url
    for path in ("/contract", "/you-said-we-did"):
        page.goto(f"{base}/{CITY}{path}")
        assert page.locator("h1").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_pledge_form_and_its_errors(page, live_server):
    base = live_server.url
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    _log_in(page, base, "citizen@engage.test")
    page.goto(f"{base}/{CITY}/contract/pledge")
    assert page.locator("input[name=level]").count() == 3
    _assert_clean(page)
    # Sent empty: the errors come back tied to their fields, and nothing is saved.
    page.locator("main form button[type=submit].primary").click()
    page.wait_for_load_state()
    assert page.locator("[aria-invalid=true]").count() >= 1
    _assert_clean(page)
