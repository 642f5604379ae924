"""One URL, full page or fragment: helpers for answering htmx and plain requests alike."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template

from engage.extensions import htmx


def wants_fragment() -> bool:
    """An htmx request wants only the fragment, unless it is a boosted navigation or a
    history restore (which needs the whole page)."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template: str, fragment: str | None = None, **context: Any) -> str:
    """Render `fragment` (a `_partial` template) for htmx, the full `template` otherwise."""
    if fragment is not None and wants_fragment():
        return render_template(fragment, **context)
    return render_template(template, **context)


def redirect_after_post(location: str) -> Response:
    """After a POST: `HX-Location` for htmx (no 302 to follow inside an XHR), 303 otherwise."""
    if htmx:
        response = Response(status=204)
        response.headers["HX-Location"] = location
        return response
    return redirect(location, code=303)
