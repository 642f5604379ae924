"""Access control, declared on every view: `@public`, `@login_required`, `@requires(predicate)`.

A predicate is a named function `(user, city) -> bool` from a feature's `permissions.py`; `city`
is the city of the URL (`g.city`) or None. An anonymous visitor of a protected view is sent to
log in (302); a signed-in person the predicate refuses gets 403. Every view carries its rule in
`view.access_rule`, so a test can prove that no view was left undeclared.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

Predicate = Callable[[Any, Any], bool]


def _declare(view: Callable, rule: str) -> Callable:
    view.access_rule = rule  # type: ignore[attr-defined]
    return view


def public(view: Callable) -> Callable:
    """Anyone may call this view."""
    return _declare(view, "public")


def login_redirect():  # noqa: ANN201
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("accounts.login", next=target))


def requires(predicate: Predicate) -> Callable[[Callable], Callable]:
    """Signed-in people for whom `predicate(user, g.city)` holds."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):  # noqa: ANN202
            if not current_user.is_authenticated:
                return login_redirect()
            if not predicate(current_user, getattr(g, "city", None)):
                abort(403)
            return view(*args, **kwargs)

        return _declare(wrapped, predicate.__name__)

    return decorator


def is_signed_in(user: Any, city: Any = None) -> bool:
    return bool(user and user.is_authenticated)


def is_admin(user: Any, city: Any = None) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "is_admin", False))


login_required = requires(is_signed_in)
admin_required = requires(is_admin)
