"""An ideas process in a real browser on a 360 × 740 screen, with and without JavaScript:
a citizen submits an idea with a photo, a moderator approves it, another citizen supports it
(htmx swaps the button in place) and comments, and the language switch changes the page.
axe-core checks every kind of page on the way, nothing scrolls sideways, and no request leaves
this machine except, on the map, for the tile server (answered here by a stub tile).

Uses the demo's Cluj-Napoca ideas process (open, pre-moderated, themes energy/nature/buildings).
Every test makes its own idea with a unique title, so the tests do not depend on their order.
"""

from __future__ import annotations

import re
import uuid
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from PIL import Image

from engage.demo import DEMO_PASSWORD
from tests.browser.conftest import _context, axe_violations, fits_360

pytestmark = pytest.mark.browser

CITY = "cluj-napoca"
PROCESS = "acoperisuri-verzi-solare"
IDEAS = f"/{CITY}/p/{PROCESS}/ideas"
MODERATION = f"/{CITY}/manage/processes/{PROCESS}/ideas"
AUTHOR = "cetatean@engage.test"  # Romanian
SUPPORTER = "citizen@engage.test"  # English
MODERATOR = "moderator@engage.test"
CAMERA = "EngageTestCam"
LOCAL_HOSTS = {"127.0.0.1"}


# ---------------------------------------------------------------- helpers


def _photo(tmp_path) -> str:  # noqa: ANN001
    """A small JPEG with a camera name and a GPS position in its EXIF."""
    image = Image.new("RGB", (480, 320), (40, 120, 60))
    for x in range(0, 480, 40):
        for y in range(0, 320, 40):
            image.paste((200, 180, 30), (x, y, x + 20, y + 20))
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0110] = "Model X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (46.0, 46.0, 0.0)  # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "E", (23.0, 35.0, 0.0)  # GPSLongitudeRef, GPSLongitude
    path = tmp_path / f"roof-{uuid.uuid4().hex[:6]}.jpg"
    image.save(path, "JPEG", exif=exif, quality=85)
    with Image.open(path) as saved:
        check = saved.getexif()
        assert check.get(0x010F) == CAMERA and check.get_ifd(0x8825), "the test photo has EXIF"
    return str(path)


def _tile_png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (256, 256), (220, 230, 220)).save(buffer, "PNG")
    return buffer.getvalue()


def _translate(app, text: str, language: str) -> str:  # noqa: ANN001
    """`text` as the application's catalogs give it in `language` (the text itself if the
    catalog has no translation yet)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale(language):
        return gettext(text)


# Contexts without JavaScript: axe-core cannot run there (the same markup is checked with it).
WITHOUT_JS: set = set()


def _check(page) -> None:  # noqa: ANN001
    if page.context not in WITHOUT_JS:
        assert axe_violations(page) == [], page.url
    assert fits_360(page), (
        f"horizontal scrolling at 360 px on {page.url}: scrollWidth "
        f"{page.evaluate('document.documentElement.scrollWidth')}"
    )


def _watch(page) -> list[str]:  # noqa: ANN001
    """JavaScript errors and console errors of `page`, collected as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda message: errors.append(
        f"console.{message.type}: {message.text} ({message.location.get('url')})"
    ) if message.type == "error" else None)
    return errors


def _is_tile_host(host: str, tile_url: str) -> bool:
    """`host` serves the map tiles of `tile_url` (`{s}.tile.example` means any subdomain)."""
    tile_host = urlsplit(tile_url.replace("{s}.", "")).hostname or ""
    return bool(tile_host) and (host == tile_host or host.endswith("." + tile_host))


def _keep_local(context, tile_url: str) -> set[str]:  # noqa: ANN001
    """Answer the map tiles with a stub image and refuse any other request that would leave
    this machine; returns the set of outside hosts the pages asked for."""
    png = _tile_png()
    asked: set[str] = set()

    def outside(url: str) -> bool:
        return url.startswith(("http:", "https:")) and urlsplit(url).hostname not in LOCAL_HOSTS

    def answer(route) -> None:  # noqa: ANN001
        host = urlsplit(route.request.url).hostname or ""
        asked.add(host)
        if _is_tile_host(host, tile_url):
            route.fulfill(status=200, content_type="image/png", body=png)
        else:
            route.abort()

    context.route(outside, answer)
    return asked


def _not_tiles(asked: set[str], tile_url: str) -> set[str]:
    return {host for host in asked if not _is_tile_host(host, tile_url)}


def _log_in(page, base: str, email: str) -> None:  # noqa: ANN001
    page.goto(base + "/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/account/login" not in page.url, f"could not log in as {email}"


def _log_out(page) -> None:  # noqa: ANN001
    page.locator("header form[action$='/logout'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("header form[action$='/logout']").count() == 0, "still logged in"


@pytest.fixture(scope="module")
def signed_in_states() -> dict[str, list]:
    """Cookies of people who already logged in through the form in this module: the log-in
    form is rate-limited (10 a minute from one address), so each person logs in once."""
    return {}


@pytest.fixture
def open_as(browser, live_server, signed_in_states):  # noqa: ANN001, ANN201
    """`open_as(email, javascript=True)`: a new 360 × 740 page signed in as `email`."""
    contexts = []

    def open_page(email: str | None, javascript: bool = True):  # noqa: ANN202
        context = _context(browser, javascript=javascript)
        contexts.append(context)
        if not javascript:
            WITHOUT_JS.add(context)
        _keep_local(context, live_server.app.config["MAP_TILE_URL"])
        page = context.new_page()
        if email is None:
            return page
        if email in signed_in_states:
            context.add_cookies(signed_in_states[email])
        else:
            _log_in(page, live_server.url, email)
            signed_in_states[email] = context.cookies()
        return page

    yield open_page
    for context in contexts:
        WITHOUT_JS.discard(context)
        context.close()


def _idea_id(page) -> int:  # noqa: ANN001
    match = re.search(rf"/{CITY}/ideas/(\d+)(?:[?#]|$)", page.url)
    assert match, f"not an idea page: {page.url}"
    return int(match.group(1))


def _fill_idea(page, title: str, photo: str, slowly: bool) -> None:  # noqa: ANN001
    if slowly:
        # Typed key by key: the "similar ideas" request fires once the typing pauses.
        with page.expect_response(lambda r: "/ideas/similar" in r.url) as similar:
            page.locator("#title").press_sequentially(title, delay=15)
        response = similar.value
        assert response.status == 200, response.url
        assert "title=" in response.url, response.url
    else:
        page.fill("#title", title)
    page.fill("#body", "Acoperișul este plat și orientat spre sud: **panouri solare** pe "
                       "toată suprafața, iar pe marginea de nord un acoperiș verde.")
    page.select_option("#theme", "energy")
    page.set_input_files("#photos", photo)


def _submit_idea(page, base: str, photo: str, javascript: bool) -> tuple[int, str]:  # noqa: ANN001
    title = f"Panouri solare pe Școala {uuid.uuid4().hex[:8]}"
    page.goto(base + IDEAS)
    page.locator(f"main a[href$='{IDEAS}/new']").first.click()
    page.wait_for_url(re.compile(re.escape(IDEAS) + r"/new$"))
    _check(page)
    _fill_idea(page, title, photo, slowly=javascript)
    page.locator("form.idea-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{CITY}/ideas/\d+"))
    idea_id = _idea_id(page)
    assert page.locator("h1").inner_text() == title
    # Pre-moderation: the author sees the idea with the notice that it waits for approval.
    assert page.locator("article.idea .notice-warning[role=status]").count() == 1
    assert page.locator(".flashes .flash-success").count() == 1

    thumbnail = page.locator("ul.photos img").first
    assert thumbnail.get_attribute("src").startswith("/media/")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    # The stored photo lost its camera details and position.
    full = page.locator("ul.photos a").first.get_attribute("href")
    served = page.request.get(base + full)
    assert served.status == 200
    assert CAMERA.encode() not in served.body()
    with Image.open(BytesIO(served.body())) as stored:
        exif = stored.getexif()
        assert 0x010F not in exif and not exif.get_ifd(0x8825), dict(exif)
    _check(page)
    return idea_id, title


def _approve(page, base: str, idea_id: int) -> None:  # noqa: ANN001
    page.goto(base + MODERATION)
    pending = page.locator("section[aria-labelledby=pending-heading] li.card").filter(
        has=page.locator(f"a[href='/{CITY}/ideas/{idea_id}']")
    )
    assert pending.count() == 1, f"idea {idea_id} is not waiting for approval"
    _check(page)
    pending.locator("button[name=action][value=approve]").click()
    page.wait_for_url(re.compile(re.escape(MODERATION) + "$"))
    assert page.locator(".flashes .flash-success").count() == 1
    assert page.locator(
        f"section[aria-labelledby=pending-heading] a[href='/{CITY}/ideas/{idea_id}']"
    ).count() == 0


def _assert_public(open_as, base: str, idea_id: int, javascript: bool) -> None:  # noqa: ANN001
    visitor = open_as(None, javascript)
    visitor.goto(base + IDEAS + "?sort=newest")
    assert visitor.locator(f"#idea-{idea_id}").count() == 1, "not in the public list"
    assert visitor.goto(f"{base}/{CITY}/ideas/{idea_id}").status == 200


def _comment(page, app, idea_id: int, language: str) -> None:  # noqa: ANN001
    text = f"Susțin, mai ales pentru școli. {uuid.uuid4().hex[:6]}"
    form = page.locator("form.comment-form")
    form.locator("textarea#body").fill(text)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{CITY}/ideas/{idea_id}#comment-\d+$"))
    flash = _translate(app, "Thank you! Your comment will appear once a moderator approves "
                       "it.", language)
    assert page.locator(".flashes").inner_text().strip() == flash
    # Pre-moderation: only its author sees it for now, marked as waiting.
    comment = page.locator("article.comment").filter(has_text=text)
    assert comment.count() == 1
    waiting = _translate(app, "waiting for approval", language)
    assert comment.locator(".badge").inner_text().strip() == waiting
    _check(page)


# ---------------------------------------------------------------- with JavaScript


def test_submit_approve_support_comment_with_javascript(page, live_server, open_as,
                                                        signed_in_states, tmp_path):
    base, app = live_server.url, live_server.app
    errors = _watch(page)
    asked = _keep_local(page.context, app.config["MAP_TILE_URL"])

    # 1-2. A Romanian citizen submits an idea with a photo.
    _log_in(page, base, AUTHOR)
    assert page.locator("html").get_attribute("lang") == "ro"
    page.goto(base + IDEAS)
    _check(page)
    idea_id, title = _submit_idea(page, base, _photo(tmp_path), javascript=True)
    # Not public yet: a visitor gets a 404, and the list does not show it.
    visitor = open_as(None)
    assert visitor.goto(f"{base}/{CITY}/ideas/{idea_id}").status == 404
    visitor.goto(base + IDEAS + "?sort=newest")
    assert visitor.locator(f"#idea-{idea_id}").count() == 0

    # 3. A moderator of Cluj-Napoca approves it.
    _log_out(page)
    _log_in(page, base, MODERATOR)
    signed_in_states.setdefault(MODERATOR, page.context.cookies())
    _approve(page, base, idea_id)
    _check(page)
    _assert_public(open_as, base, idea_id, javascript=True)

    # 4. An English-speaking citizen supports it: htmx swaps the button, the page stays.
    supporter = open_as(SUPPORTER)
    supporter_errors = _watch(supporter)
    supporter.goto(base + IDEAS + "?sort=newest")
    assert supporter.locator("html").get_attribute("lang") == "en"
    form = supporter.locator(f"#support-{idea_id}")
    assert form.locator(".support-count").inner_text().strip() == "0"
    assert form.locator("button").get_attribute("aria-pressed") == "false"
    _check(supporter)
    supporter.evaluate("window.__engage_marker = 1")
    with supporter.expect_response(lambda r: r.url.endswith(f"/ideas/{idea_id}/support")) as sent:
        form.locator("button").click()
    response = sent.value
    assert response.status == 200
    assert response.request.headers.get("hx-request") == "true"
    supporter.wait_for_function(
        f"document.querySelector('#support-{idea_id} .support-count')"
        f".textContent.trim() === '1'"
    )
    assert supporter.evaluate("window.__engage_marker") == 1, "the page was reloaded"
    assert form.locator("button").get_attribute("aria-pressed") == "true"
    _check(supporter)

    # The support is stored: the idea page says 1 too.
    supporter.goto(f"{base}/{CITY}/ideas/{idea_id}")
    assert supporter.locator(f"#support-{idea_id} .support-count").inner_text().strip() == "1"
    _check(supporter)

    # 5. A comment, waiting for approval.
    _comment(supporter, app, idea_id, "en")

    # 6. The language switch: English → Romanian → English (the choice is saved in the
    # profile, so the demo citizen ends as it began).
    supporter.goto(base + IDEAS)
    assert supporter.locator("h1").inner_text().strip() == _translate(app, "Ideas", "en")
    supporter.locator("form.lang-switch button").click()
    supporter.wait_for_function("document.documentElement.lang === 'ro'")
    assert urlsplit(supporter.url).path == IDEAS
    assert supporter.locator("h1").inner_text().strip() == _translate(app, "Ideas", "ro")
    assert supporter.locator("form.lang-switch button").get_attribute("value") == "en"
    _check(supporter)
    supporter.locator("form.lang-switch button").click()
    supporter.wait_for_function("document.documentElement.lang === 'en'")
    assert supporter.locator("h1").inner_text().strip() == _translate(app, "Ideas", "en")
    signed_in_states[SUPPORTER] = supporter.context.cookies()

    assert errors == [], errors
    assert supporter_errors == [], supporter_errors
    assert _not_tiles(asked, app.config["MAP_TILE_URL"]) == set()


def test_idea_map_with_javascript(page, live_server):
    base, app = live_server.url, live_server.app
    errors = _watch(page)
    asked = _keep_local(page.context, app.config["MAP_TILE_URL"])
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/ideas.geojson")) as data:
        page.goto(base + IDEAS + "/map")
    assert data.value.status == 200
    assert len(data.value.json()["features"]) >= 1  # the demo's idea at Liceul Avram Iancu
    idea_map = page.locator("#idea-map")
    idea_map.wait_for(state="visible")
    assert "leaflet-container" in (idea_map.get_attribute("class") or "")
    box = idea_map.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 100, box
    page.wait_for_load_state("networkidle")
    # Without JavaScript the same ideas are a list of links.
    assert page.locator(f"ul.map-list a[href^='/{CITY}/ideas/']").count() >= 1
    _check(page)
    assert errors == [], errors
    assert _not_tiles(asked, app.config["MAP_TILE_URL"]) == set()


# ---------------------------------------------------------------- without JavaScript


def test_submit_approve_support_comment_without_javascript(page_without_js, live_server,
                                                           open_as, tmp_path):
    page = page_without_js
    WITHOUT_JS.add(page.context)
    base, app = live_server.url, live_server.app
    _keep_local(page.context, app.config["MAP_TILE_URL"])

    _log_in(page, base, AUTHOR)
    idea_id, _title = _submit_idea(page, base, _photo(tmp_path), javascript=False)

    moderator = open_as(MODERATOR, javascript=False)
    _approve(moderator, base, idea_id)
    _assert_public(open_as, base, idea_id, javascript=False)

    # Support with a plain form POST: the page reloads and shows the new count.
    supporter = open_as(SUPPORTER, javascript=False)
    supporter.goto(f"{base}/{CITY}/ideas/{idea_id}")
    form = supporter.locator(f"#support-{idea_id}")
    assert form.locator(".support-count").inner_text().strip() == "0"
    with supporter.expect_navigation():
        form.locator("button").click()
    assert urlsplit(supporter.url).path == f"/{CITY}/ideas/{idea_id}"
    assert supporter.locator(".flashes").inner_text().strip() == _translate(
        app, "Thank you for your support.", "en")
    form = supporter.locator(f"#support-{idea_id}")
    assert form.locator(".support-count").inner_text().strip() == "1"
    assert form.locator("button").get_attribute("aria-pressed") == "true"
    _check(supporter)

    _comment(supporter, app, idea_id, "en")

    # The author, in Romanian, comments on her own idea as well.
    page.goto(f"{base}/{CITY}/ideas/{idea_id}")
    assert page.locator(f"#support-{idea_id} .support-count").inner_text().strip() == "1"
    _comment(page, app, idea_id, "ro")

    # And switches to English without JavaScript (and back: the choice is saved).
    page.locator("form.lang-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert urlsplit(page.url).path == f"/{CITY}/ideas/{idea_id}"
    page.locator("form.lang-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ro"
