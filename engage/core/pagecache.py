"""A short-lived copy of public pages for visitors without a session: most people read and
never log in, and a popular process's list or idea page is then served from memory instead of
being rebuilt for each of them.

How it works:
- A view opts in with `@cached_page`; its response is stored only when the request came
  without a session or log-in cookie, answered 200 and set no cookie (so it holds no CSRF
  token, no flash message and nothing personal).
- `PageCache` wraps the WSGI application: a GET from such a visitor whose page is stored and
  younger than `PAGE_CACHE_SECONDS` is answered from memory, before Flask does any work; every
  other request goes through the application as usual.
- The key is the path, the query string, the visitor's language (their language cookie, else
  their browser's Accept-Language, as `core.i18n.select_locale` decides) and the htmx headers
  that change what a view answers.
- Each worker keeps its own copies, at most `PAGE_CACHE_BYTES` of them (4 MiB by default),
  least recently used first out. A change (a new support, a hidden idea) reaches cookie-less
  visitors within `PAGE_CACHE_SECONDS` (10 by default; 0 turns the cache off); signed-in
  people always see the current page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, g
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

MARK = "X-Engage-Page-Cache"
HTMX_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_BOOSTED", "HTTP_HX_HISTORY_RESTORE_REQUEST",
                "HTTP_HX_TARGET")
MAX_BODY = 1024 * 1024


def cached_page(view: Callable) -> Callable:
    """Let `view`'s answers to visitors without a session be served from the page cache."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from flask_login import current_user

        # Decided here, before the request's commit expires the signed-in user (asking after
        # it would load the user a second time).
        g.page_cacheable = not current_user.is_authenticated
        return view(*args, **kwargs)

    return wrapped


class PageCache:
    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.entries: OrderedDict[tuple, tuple[float, str, list, bytes]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    # ------------------------------------------------------------ deciding

    def _anonymous(self, environ: dict) -> tuple[bool, str | None]:
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        config = self.app.config
        private = (config.get("SESSION_COOKIE_NAME", "session"),
                   config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        if any(name in cookies for name in private):
            return False, None
        return True, cookies.get("lang")

    def _language(self, cookie: str | None, environ: dict) -> str:
        languages = tuple(self.app.config["LANGUAGES"])
        if cookie in languages:
            return cookie
        accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE", ""), LanguageAccept)
        return accept.best_match(languages) or self.app.config["BABEL_DEFAULT_LOCALE"]

    def _key(self, environ: dict, language: str) -> tuple:
        return (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), language,
                *(environ.get(name, "") for name in HTMX_HEADERS))

    # ------------------------------------------------------------ serving

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        seconds = self.app.config.get("PAGE_CACHE_SECONDS") or 0
        if seconds <= 0 or environ.get("REQUEST_METHOD") != "GET":
            return self._strip(environ, start_response)
        anonymous, cookie = self._anonymous(environ)
        if not anonymous:
            return self._strip(environ, start_response)
        key = self._key(environ, self._language(cookie, environ))
        now = time.monotonic()
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry[0] > now:
                self.entries.move_to_end(key)
                _, status, headers, body = entry
                start_response(status, list(headers))
                return [body]
        return self._fill(environ, start_response, key, now + seconds)

    def _strip(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Pass through, without the internal mark."""

        def respond(status: str, headers: list, exc_info: Any = None) -> Any:
            return start_response(status, [h for h in headers if h[0] != MARK], exc_info)

        return self.wsgi_app(environ, respond)

    def _fill(self, environ: dict, start_response: Callable, key: tuple,
              expires: float) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def respond(status: str, headers: list, exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, [h for h in headers if h[0] != MARK], exc_info)

        result = self.wsgi_app(environ, respond)
        headers = seen.get("headers") or []
        names = {name.lower() for name, _ in headers}
        if (not seen.get("status", "").startswith("200") or MARK.lower() not in names
                or "set-cookie" in names):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        budget = self.app.config.get("PAGE_CACHE_BYTES") or 0
        if len(body) <= min(MAX_BODY, budget):
            stored = [h for h in headers if h[0] != MARK]
            with self.lock:
                old = self.entries.pop(key, None)
                if old is not None:
                    self.size -= len(old[3])
                self.entries[key] = (expires, seen["status"], stored, body)
                self.size += len(body)
                while self.size > budget:
                    _, evicted = self.entries.popitem(last=False)
                    self.size -= len(evicted[3])
        return [body]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


def init_app(app: Flask) -> None:
    from flask import request

    @app.after_request
    def mark_cacheable(response):  # noqa: ANN001, ANN202
        if g.pop("page_cacheable", False) and request.method == "GET" \
                and response.status_code == 200:
            response.headers[MARK] = "1"
        return response

    app.page_cache = PageCache(app, app.wsgi_app)
    app.wsgi_app = app.page_cache
