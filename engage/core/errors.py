"""Error pages (HTML, in the visitor's language) and JSON errors under /api/."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from engage.extensions import db

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you are looking for does not exist or was moved.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (
        _l("Request too large"),
        _l("What you sent is larger than we accept. Please send less data or smaller files."),
    ),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Please wait a little and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An error occurred on our side. Nothing was saved. Please try again later."),
    ),
}
CSRF_TEXT = _l(
    "The form has expired or was sent from another page. Nothing was saved. "
    "Please reload the page and try again."
)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _respond(code: int, detail: str | None = None):  # noqa: ANN202
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    db.session.rollback()
    if _is_api():
        payload = {"status": code, "title": str(title), "detail": str(detail or text)}
        return jsonify({"error": payload}), code
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def handle_http_exception(error: HTTPException):  # noqa: ANN201
    code = error.code or 500
    if code < 400:
        return error
    known = code if code in ERROR_TEXTS else (500 if code >= 500 else 400)
    body, _ = _respond(known)
    # Keep the headers that tell a client what to do next.
    kept = {
        name: value
        for name, value in error.get_response().headers.items()
        if name in ("Retry-After", "Allow")
    }
    return body, code, kept


def handle_csrf_error(error: CSRFError):  # noqa: ANN201
    return _respond(400, CSRF_TEXT)


def handle_server_error(error: Exception):  # noqa: ANN201
    return _respond(500)


def init_app(app) -> None:  # noqa: ANN001
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_server_error)
