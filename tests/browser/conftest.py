"""Browser tests: Playwright for Python driving Debian's Chromium at 360 × 740 against a live
server (its own application and database, with the demo data), axe-core injected on each page.

Without /usr/bin/chromium these tests are skipped with a message — except under CI (the `CI`
environment variable), where a missing browser is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import standalone_app

CHROMIUM = os.environ.get("ENGAGE_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def _require(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must have it: .ci/run installs it)")
    pytest.skip(why)


def _closing(wsgi_app):  # noqa: ANN001, ANN202
    """The application's response, read whole and closed before werkzeug writes it: werkzeug's
    server skips `close()` when the browser resets the connection mid-response (a page closed
    while its favicon loads), and the open static file then fails a test with a ResourceWarning.
    """
    def serve(environ, start_response):  # noqa: ANN001, ANN202
        body = wsgi_app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):  # noqa: ANN001, ANN201
    """A threaded server on a free localhost port with a fresh database and the demo data."""
    from engage.demo import load_demo_data
    from engage.extensions import db

    tmp = tmp_path_factory.mktemp("live")
    with standalone_app(tmp) as app:
        with app.app_context():
            load_demo_data()
            db.session.commit()
        app.wsgi_app = _closing(app.wsgi_app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        server.app = app
        server.url = f"http://127.0.0.1:{server.server_port}"
        try:
            yield server
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    _require(Path(CHROMIUM).exists() or bool(shutil.which("chromium")),
             f"Chromium not found at {CHROMIUM}")
    _require(AXE.exists(), f"axe-core not installed at {AXE}: run `make install`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context(browser, javascript: bool = True):  # noqa: ANN001, ANN202
    # bypass_csp only lets the test inject axe-core; the pages' own CSP is tested elsewhere.
    return browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=javascript,
        bypass_csp=True, locale="ro-RO",
    )


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    context = _context(browser)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser):  # noqa: ANN001, ANN201
    context = _context(browser, javascript=False)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list[str]:  # noqa: ANN001
    """Serious and critical axe-core violations of the current page (WCAG 2.1 A/AA rules)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}));
        }"""
    )
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in result
            if v["impact"] in ("serious", "critical")]


def fits_360(page) -> bool:  # noqa: ANN001
    """No horizontal scrolling at 360 px."""
    return page.evaluate("document.documentElement.scrollWidth") <= 360
