"""Capturing citizen-science observations on a 360 × 740 phone, in a real browser: the phone's
location (geolocation granted) with its accuracy shown, a photo, submit, and the observation in
"my observations"; then offline: the observation is kept on the phone ("1 observation waiting
to be sent"), and sent exactly once when the connection returns. The service worker keeps the
capture page for offline use. axe-core checks the pages, nothing scrolls sideways, and no
request leaves this machine (map tiles are answered by a stub).

Each test uses a campaign of its own in Suceava (made here, so the demo's data do not matter).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engage.demo import DEMO_PASSWORD
from tests.browser.conftest import axe_violations, fits_360
from tests.browser.test_ideas import _keep_local, _not_tiles, _photo, _watch

pytestmark = pytest.mark.browser

CITY = "suceava"
CITIZEN = "citizen@engage.test"  # English
HERE = {"latitude": 47.6512, "longitude": 26.2555, "accuracy": 12}


@pytest.fixture
def campaign(live_server):  # noqa: ANN001, ANN201
    """A new open science campaign in Suceava: a required temperature, a surface choice and a
    photo field; the area is the city's box."""
    from engage.cities.models import City
    from engage.core.db import utcnow
    from engage.extensions import db
    from engage.processes.models import Process
    from engage.science.geo import box_polygon
    from engage.science.models import Field, FieldOption, ScienceSettings

    app = live_server.app
    slug = f"captura-{uuid.uuid4().hex[:6]}"
    with app.app_context():
        city = db.session.scalars(select(City).where(City.slug == CITY)).one()
        process = Process(city_id=city.id, kind="science", slug=slug, title_ro="Captură",
                          title_en="Capture", themes=["climate_adaptation"], status="published",
                          opens_at=utcnow() - timedelta(days=1))
        db.session.add(process)
        db.session.flush()
        db.session.add(ScienceSettings(
            process_id=process.id, instructions_ro="Măsurați la umbră.",
            instructions_en="Measure in the shade.", min_accuracy_m=30,
            area=box_polygon(47.615, 26.200, 47.690, 26.310), pseudonym_key=uuid.uuid4().hex))
        temperature = Field(process_id=process.id, position=0, type="number",
                            label_ro="Temperatura", label_en="Temperature", required=True,
                            settings={"unit_ro": "°C", "unit_en": "°C", "min": -40, "max": 60,
                                      "decimals": 1})
        surface = Field(process_id=process.id, position=1, type="single", label_ro="Suprafața",
                        label_en="Surface")
        photo = Field(process_id=process.id, position=2, type="photo", label_ro="Fotografie",
                      label_en="Photo", settings={"max_photos": 1})
        db.session.add_all([temperature, surface, photo])
        db.session.flush()
        db.session.add_all([FieldOption(field_id=surface.id, position=n, label_ro=label,
                                        label_en=label) for n, label in
                            enumerate(["Asphalt", "Grass"])])
        db.session.commit()
        ids = {"process": process.id, "temperature": temperature.id, "photo": photo.id}
        db.session.remove()
    return slug, ids


def _observations(live_server, process_id: int) -> list:  # noqa: ANN001
    from engage.extensions import db
    from engage.science.models import Observation

    with live_server.app.app_context():
        rows = db.session.execute(
            select(Observation.id, Observation.client_id, Observation.location_source,
                   Observation.accuracy_m, Observation.lat)
            .where(Observation.process_id == process_id)).all()
        db.session.remove()
    return rows


def _photos(live_server, process_id: int) -> int:  # noqa: ANN001
    from engage.extensions import db
    from engage.science.models import ObservationPhoto

    with live_server.app.app_context():
        number = db.session.scalar(select(func.count()).select_from(ObservationPhoto).where(
            ObservationPhoto.process_id == process_id))
        db.session.remove()
    return number


@pytest.fixture
def phone(browser, live_server):  # noqa: ANN001, ANN201
    """`phone(service_workers="block")`: a 360 × 740 page with the location granted, signed in
    as the English-speaking demo citizen; (page, context, hosts asked outside)."""
    contexts = []

    def open_phone(service_workers: str = "block"):  # noqa: ANN202
        context = browser.new_context(
            viewport={"width": 360, "height": 740}, bypass_csp=True, locale="en-GB",
            permissions=["geolocation"], geolocation=HERE, service_workers=service_workers)
        contexts.append(context)
        asked = _keep_local(context, live_server.app.config["MAP_TILE_URL"])
        page = context.new_page()
        page.goto(live_server.url + "/account/login")
        page.fill("input[name=email]", CITIZEN)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        assert "/account/login" not in page.url
        return page, context, asked

    yield open_phone
    for context in contexts:
        context.close()


def _check(page) -> None:  # noqa: ANN001
    assert axe_violations(page) == [], page.url
    assert fits_360(page), page.url


def _fill(page, ids: dict, temperature: str) -> None:  # noqa: ANN001
    page.fill(f"#f{ids['temperature']}", temperature)
    page.get_by_label("Grass").check()


def test_capture_with_the_phones_location_and_a_photo(phone, live_server, campaign, tmp_path):
    slug, ids = campaign
    page, context, asked = phone()
    errors = _watch(page)
    page.goto(f"{live_server.url}/{CITY}/p/{slug}/observe")
    _check(page)
    # Refused on the server first (no location, a temperature that is not a number): the page
    # comes back with the messages.
    page.fill(f"#f{ids['temperature']}", "cald")
    page.get_by_role("button", name="Send the observation").click()
    page.wait_for_selector(".form-errors")
    assert "Enter a number" in page.locator(".science-form").inner_text()
    assert "Add the location" in page.locator(".science-location").inner_text()
    _check(page)
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_function("document.getElementById('lat').value !== ''")
    assert page.input_value("#lat") == "47.651200" and page.input_value("#lon") == "26.255500"
    assert page.input_value("#location_source") == "gps"
    assert "12 m" in page.locator("#location-accuracy").inner_text()
    _fill(page, ids, "31.5")
    page.set_input_files(f"#f{ids['photo']}", _photo(tmp_path))
    _check(page)
    page.get_by_role("button", name="Send the observation").click()
    page.wait_for_url(f"**/{CITY}/p/{slug}/observations/mine")
    page.wait_for_selector(".observation-card")
    assert page.locator(".observation-card").count() == 1
    assert "31.5 °C" in page.locator(".observation-card").inner_text()
    assert page.locator(".observation-card img").count() == 1
    assert "observation is stored" in page.locator("#science-queue").inner_text()
    _check(page)
    rows = _observations(live_server, ids["process"])
    assert len(rows) == 1 and rows[0].location_source == "gps" and rows[0].accuracy_m == 12
    assert _photos(live_server, ids["process"]) == 1
    # The refused sends above are logged by the browser as failed loads (422): expected.
    assert [e for e in errors if "status of 422" not in e] == []
    assert _not_tiles(asked, live_server.app.config["MAP_TILE_URL"]) == set()


def test_offline_capture_is_kept_and_sent_once_when_online(phone, live_server, campaign,
                                                           tmp_path):
    slug, ids = campaign
    page, context, asked = phone()
    page.goto(f"{live_server.url}/{CITY}/p/{slug}/observe")
    context.set_offline(True)
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_function("document.getElementById('lat').value !== ''")
    _fill(page, ids, "29.0")
    page.set_input_files(f"#f{ids['photo']}", _photo(tmp_path))
    page.get_by_role("button", name="Send the observation").click()
    status = page.locator("#science-queue")
    page.wait_for_function(
        "document.getElementById('science-queue').innerText.includes('1 observation waiting')")
    assert "kept on this phone" in status.inner_text()
    assert page.input_value(f"#f{ids['temperature']}") == ""  # ready for the next one
    _check(page)
    assert _observations(live_server, ids["process"]) == []
    context.set_offline(False)
    page.wait_for_function(
        "document.getElementById('science-queue').innerText.includes('were sent')")
    assert "waiting to be sent" not in status.inner_text()
    # Another "online" event, and a reopened page, send nothing more.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.goto(f"{live_server.url}/{CITY}/p/{slug}/observations/mine")
    page.wait_for_selector(".observation-card")
    time.sleep(0.5)
    assert page.locator(".observation-card").count() == 1
    assert "29 °C" in page.locator(".observation-card").inner_text()
    rows = _observations(live_server, ids["process"])
    assert len(rows) == 1 and rows[0].location_source == "gps"
    assert _photos(live_server, ids["process"]) == 1
    _check(page)
    assert _not_tiles(asked, live_server.app.config["MAP_TILE_URL"]) == set()


def test_two_queued_observations_are_counted_and_each_sent_once(phone, live_server, campaign):
    slug, ids = campaign
    page, context, _ = phone()
    page.goto(f"{live_server.url}/{CITY}/p/{slug}/observe")
    context.set_offline(True)
    for temperature in ("20.1", "20.2"):
        page.fill("#lat", "47.65")
        page.fill("#lon", "26.25")
        _fill(page, ids, temperature)
        page.get_by_role("button", name="Send the observation").click()
        page.wait_for_function(
            f"document.getElementById('f{ids['temperature']}').value === ''")
    page.wait_for_function(
        "document.getElementById('science-queue').innerText.includes('2 observations waiting')")
    context.set_offline(False)
    page.wait_for_function(
        "document.getElementById('science-queue').innerText.includes('were sent')")
    rows = _observations(live_server, ids["process"])
    assert len(rows) == 2 and len({row.client_id for row in rows}) == 2
    assert {row.location_source for row in rows} == {"typed"}


def test_the_service_worker_keeps_the_capture_page(phone, live_server, campaign):
    slug, _ = campaign
    page, context, _ = phone(service_workers="allow")
    url = f"{live_server.url}/{CITY}/p/{slug}/observe"
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker's control, the page is kept
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    kept = page.evaluate(
        """async (url) => {
            const page = await caches.match(url);
            const script = await caches.match(new URL('/static/js/science.js', url).href);
            return [Boolean(page), Boolean(script)];
        }""", url)
    assert kept == [True, True]


def test_capture_without_javascript_with_typed_coordinates(browser, live_server, campaign,
                                                           tmp_path):
    slug, ids = campaign
    context = browser.new_context(viewport={"width": 360, "height": 740},
                                  java_script_enabled=False, locale="en-GB")
    try:
        asked = _keep_local(context, live_server.app.config["MAP_TILE_URL"])
        page = context.new_page()
        page.goto(live_server.url + "/account/login")
        page.fill("input[name=email]", CITIZEN)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/{CITY}/p/{slug}/observe")
        assert page.locator("#use-location").is_hidden()
        assert fits_360(page)
        # First a latitude of 91: refused with a message, what was typed kept.
        page.fill("#lat", "91")
        page.fill("#lon", "26.25")
        _fill(page, ids, "18.5")
        page.get_by_role("button", name="Send the observation").click()
        page.wait_for_load_state()
        assert "between -90 and 90" in page.locator(".science-location").inner_text()
        assert page.input_value(f"#f{ids['temperature']}") == "18.5"
        page.fill("#lat", "47.66")
        page.set_input_files(f"#f{ids['photo']}", _photo(tmp_path))
        page.get_by_role("button", name="Send the observation").click()
        page.wait_for_url(f"**/{CITY}/p/{slug}/observations/mine")
        assert page.locator(".observation-card").count() == 1
        rows = _observations(live_server, ids["process"])
        assert len(rows) == 1 and rows[0].location_source == "typed" and rows[0].lat == 47.66
        assert _not_tiles(asked, live_server.app.config["MAP_TILE_URL"]) == set()
    finally:
        context.close()


def _serve(app, port: int = 0):  # noqa: ANN001, ANN202
    """Another server of the live server's application (so the same session cookie signs in),
    on `port` (0: a free one)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _stop(server, thread) -> None:  # noqa: ANN001
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_with_the_server_gone_the_kept_page_opens_queues_and_sends_once(phone, live_server,
                                                                         campaign):
    """No network emulation: the server itself stops. The service worker's copy of the capture
    page opens, an observation waits on the phone, and it is sent once the server is back."""
    slug, ids = campaign
    page, _context, _ = phone(service_workers="allow")
    server, thread = _serve(live_server.app)
    port = server.server_port
    url = f"http://127.0.0.1:{port}/{CITY}/p/{slug}/observe"
    try:
        page.goto(url)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.wait_for_function("caches.match(location.href.split('?')[0]).then(Boolean)")
    finally:
        _stop(server, thread)

    page.goto(url)  # nobody answers on that port now: the worker's copy
    assert page.locator(f"#f{ids['temperature']}").is_visible()
    page.fill("#lat", "47.65")
    page.fill("#lon", "26.25")
    _fill(page, ids, "31.5")
    page.get_by_role("button", name="Send the observation").click()
    page.wait_for_function(
        "document.getElementById('science-queue').innerText.includes('1 observation waiting')")
    assert _observations(live_server, ids["process"]) == []

    server, thread = _serve(live_server.app, port)
    try:
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_function(
            "document.getElementById('science-queue').innerText.includes('were sent')")
        page.evaluate("window.dispatchEvent(new Event('online'))")
        time.sleep(0.5)
        rows = _observations(live_server, ids["process"])
        assert len(rows) == 1 and rows[0].location_source == "typed"
    finally:
        _stop(server, thread)


def test_a_lost_session_keeps_the_observation_on_the_phone(phone, live_server, campaign):
    """The session ends while the capture page is open: sending is answered 401, and the
    observation waits on the phone instead of being lost to the log-in page; once the citizen
    has logged in again, opening the capture page sends it, once."""
    slug, ids = campaign
    page, context, _ = phone()
    url = f"{live_server.url}/{CITY}/p/{slug}/observe"
    page.goto(url)
    context.clear_cookies()
    page.fill("#lat", "47.65")
    page.fill("#lon", "26.25")
    _fill(page, ids, "18.5")
    page.get_by_role("button", name="Send the observation").click()
    page.wait_for_function(
        "document.getElementById('science-queue').innerText.includes('1 observation waiting')")
    status = page.locator("#science-queue").inner_text()
    assert "log in again" in status and "No connection" not in status
    assert _observations(live_server, ids["process"]) == []
    page.goto(live_server.url + "/account/login")
    page.fill("input[name=email]", CITIZEN)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto(url)
    page.wait_for_function(
        "document.getElementById('science-queue').innerText.includes('were sent')")
    rows = _observations(live_server, ids["process"])
    assert len(rows) == 1
