"""The citizen-science pages other than capturing (tests/browser/test_science.py), on a
360 × 740 phone with the demo's Suceava heat-map campaign: the public map, results and process
page in both languages, the organisers' protocol pages and the verifiers' queue — axe-core finds
no serious or critical violation, nothing scrolls sideways, and the map draws its points and
opens a popup without any request leaving this machine."""

from __future__ import annotations

import pytest

from tests.browser.test_ideas import _keep_local, _not_tiles
from tests.browser.test_pages import _assert_clean, _log_in

pytestmark = pytest.mark.browser

CAMPAIGN = "/suceava/p/harta-caldurii"
MANAGE = "/suceava/manage/processes/harta-caldurii"


@pytest.mark.parametrize("language", ["ro", "en"])
def test_public_science_pages(page, live_server, language):
    base = live_server.url
    page.context.add_cookies([{"name": "lang", "value": language, "url": base}])
    asked = _keep_local(page.context, live_server.app.config["MAP_TILE_URL"])
    for path in [CAMPAIGN, CAMPAIGN + "/observations/results",
                 CAMPAIGN + "/observations/results?status=all"]:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == language
        _assert_clean(page)
    page.goto(base + CAMPAIGN + "/map")
    # The demo's accepted observations arrive as clusters or points for the visible box.
    page.wait_for_selector(".leaflet-interactive, .leaflet-marker-icon", timeout=10_000)
    _assert_clean(page)
    assert _not_tiles(asked, live_server.app.config["MAP_TILE_URL"]) == set()


def test_organisers_and_verifiers_science_pages(page, live_server):
    base = live_server.url
    _log_in(page, base, "organiser@engage.test")
    for path in ["/science/protocol", "/science/fields/new", "/science/fields/new?type=number",
                 "/science/fields/new?type=single", "/science/settings", "/science/verifiers",
                 "/science/preview?lang=ro", "/science/preview?lang=en"]:
        response = page.goto(base + MANAGE + path)
        assert response.status == 200, path
        _assert_clean(page)
    page.context.clear_cookies()
    _log_in(page, base, "moderator@engage.test")
    for path in ["/observations", "/observations?status=all", "/observations?flag=outside_area"]:
        response = page.goto(base + MANAGE + path)
        assert response.status == 200, path
        _assert_clean(page)
    # One observation's history page, reached from the queue.
    link = page.locator("main a[href*='/history']").first
    page.goto(base + link.get_attribute("href"))
    _assert_clean(page)
