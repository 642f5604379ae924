"""Accounts blueprint (skeleton; completed by the accounts work)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from engage.core.auth import login_required, public
from engage.core.i18n import LANG_COOKIE, supported_languages
from engage.extensions import db

bp = Blueprint("accounts", __name__, url_prefix="/account")


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to, never another host (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


@bp.post("/language")
@public
def set_language():  # noqa: ANN201
    language = request.form.get("language", "")
    target = safe_next(request.form.get("next"), url_for("cities.hub"))
    response = redirect(target, code=303)
    if language in supported_languages():
        response.set_cookie(
            LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
            secure=bool(request.is_secure),
        )
        if current_user.is_authenticated and current_user.language != language:
            current_user.language = language
            db.session.flush()
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # noqa: ANN201
    return "login"


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup():  # noqa: ANN201
    return "signup"


@bp.post("/logout")
@login_required
def logout():  # noqa: ANN201
    return "logout"


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():  # noqa: ANN201
    return "profile"
