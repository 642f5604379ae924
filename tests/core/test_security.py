"""Security headers on every response: HTML pages, error pages and the API."""

from __future__ import annotations

import pytest
from flask import request

from tests.conftest import make_test_app


def assert_security_headers(response) -> None:  # noqa: ANN001
    policy = response.headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", ["/", "/no-such-page/really", "/account/login"])
def test_html_responses_carry_security_headers(client, url):
    response = client.get(url)
    assert response.mimetype == "text/html"
    assert_security_headers(response)


@pytest.mark.parametrize("url", ["/api/v1/cities", "/api/v1/health", "/api/v1/nope"])
def test_api_responses_carry_security_headers(client, url):
    response = client.get(url)
    assert response.mimetype == "application/json"
    assert_security_headers(response)


def test_no_hsts_over_plain_http_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_production_cookies_bring_hsts(tmp_path):
    app = make_test_app(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}",
                        SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/no-such-page/really")
    assert response.status_code == 404
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_proxy_hops_trust_forwarded_headers(tmp_path):
    """Behind a reverse proxy (ENGAGE_PROXY_HOPS) the client address and scheme come from it."""
    app = make_test_app(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}", PROXY_HOPS=1)
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    seen = {}

    @app.before_request
    def remember():  # noqa: ANN202
        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme

    app.test_client().get("/api/v1/health", headers=headers,
                          environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen == {"addr": "203.0.113.9", "scheme": "https"}
