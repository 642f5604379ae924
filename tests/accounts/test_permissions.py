"""Who may open the account pages: each view's declared rule, and what anonymous visitors and
signed-in people get. The accounts feature has no predicates of its own; it uses the core rules
`public` and `login_required` (`is_signed_in`)."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from engage.core.auth import is_signed_in

# endpoint → declared access rule
DECLARED = {
    "accounts.set_language": "public",
    "accounts.signup": "public",
    "accounts.mail_sent": "public",
    "accounts.verify_email": "public",
    "accounts.resend_verification": "public",
    "accounts.login": "public",
    "accounts.logout": "is_signed_in",
    "accounts.request_reset": "public",
    "accounts.reset_password": "public",
    "accounts.profile": "is_signed_in",
    "accounts.change_password": "is_signed_in",
    "accounts.change_email": "is_signed_in",
    "accounts.confirm_email_change": "public",
    "accounts.own_data": "is_signed_in",
    "accounts.download_own_data": "is_signed_in",
    "accounts.delete_account": "is_signed_in",
}

# (url, status for an anonymous visitor, status for a signed-in person)
GET_CASES = [
    ("/account/login", 200, 200),
    ("/account/signup", 200, 303),
    ("/account/reset", 200, 200),
    ("/account/verify/resend", 200, 200),
    ("/account/sent/signup", 200, 200),
    ("/account/verify/not-a-token", 400, 400),
    ("/account/reset/not-a-token", 400, 400),
    ("/account/email/confirm/not-a-token", 400, 400),
    ("/account/profile", 302, 200),
    ("/account/password", 302, 200),
    ("/account/email", 302, 200),
    ("/account/data", 302, 200),
    ("/account/data/json", 302, 200),
    ("/account/delete", 302, 200),
    ("/account/logout", 405, 405),
]


def test_every_account_view_declares_the_expected_rule(app):
    declared = {
        endpoint: view.access_rule
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("accounts.")
    }
    assert declared == DECLARED


@pytest.mark.parametrize(("person", "expected"), [
    ("nobody", False),
    ("anonymous", False),
    ("verified", True),
    ("unverified", True),
])
def test_is_signed_in(make_user, person, expected):
    user = {
        "nobody": lambda: None,
        "anonymous": AnonymousUserMixin,
        "verified": make_user,
        "unverified": lambda: make_user(verified=False),
    }[person]()
    assert is_signed_in(user, None) is expected


@pytest.mark.parametrize(("url", "anonymous", "signed_in"), GET_CASES)
def test_get_access(client, make_user, login_as, url, anonymous, signed_in):
    response = client.get(url)
    assert response.status_code == anonymous
    if anonymous == 302:
        assert response.headers["Location"].startswith("/account/login?next=")
    login_as(client, make_user())
    assert client.get(url).status_code == signed_in
