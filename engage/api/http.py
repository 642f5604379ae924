"""What every /api/v1 answer shares: pages, validators (ETag, Last-Modified, 304), CORS.

- Pages: `page_args()` reads `page` (from 1; anything else is page 1, as on the site's pages)
  and `per_page` (50 by default, 1 to 100: a number out of range is brought into it, anything
  else is the default) and `page_json()` answers `{"items", "next", "total"}` with `next` the full
  URL of the next page (the same query, the page after) or null.
- Validators: `finish()` (an after-request hook for /api/v1) gives each 200 GET answer a weak
  ETag (a hash of its body, unless the view set one) and the Last-Modified a view gave with
  `last_modified()`, then answers 304 when the request's If-None-Match / If-Modified-Since
  match. `Cache-Control: no-cache` makes clients ask again, cheaply.
- CORS: any origin may GET (and preflight with OPTIONS); the validators and the rate-limit
  headers are exposed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, NamedTuple

from flask import Response, g, request, url_for

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOWED_HEADERS = "Accept, Accept-Language, If-None-Match, If-Modified-Since"
EXPOSED_HEADERS = ("ETag, Last-Modified, Link, Retry-After, X-RateLimit-Limit, "
                   "X-RateLimit-Remaining, X-RateLimit-Reset")


class PageArgs(NamedTuple):
    number: int
    per_page: int


def _whole(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return default
    return min(max(value, low), high)


def page_args(default_per_page: int = DEFAULT_PER_PAGE) -> PageArgs:
    """`page` (from 1) and `per_page` (1–100) of the query string, never an error."""
    return PageArgs(_whole("page", 1, 1, MAX_PAGE),
                    _whole("per_page", default_per_page, 1, MAX_PER_PAGE))


def page_json(items: list[Any], number: int, per_page: int, total: int, endpoint: str,
              **values: Any) -> dict[str, Any]:
    """A page's body; `endpoint` and `values` build the next page's URL."""
    next_url = None
    if number * per_page < total:
        args = request.args.to_dict() | values | {"page": number + 1}
        next_url = url_for(endpoint, _external=True, **args)
    return {"items": items, "next": next_url, "total": total}


def last_modified(*values: datetime | None) -> None:
    """Tell `finish()` when the answer's data last changed (the latest of `values`)."""
    known = [value if value.tzinfo else value.replace(tzinfo=UTC)
             for value in values if value is not None]
    if known:
        latest = max(known)
        previous = g.get("api_last_modified")
        g.api_last_modified = max(latest, previous) if previous else latest


def _cors(response: Response) -> None:
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = "86400"


def finish(response: Response) -> Response:
    """The after-request hook of every /api/v1 answer, errors included."""
    if not request.path.startswith("/api/v1"):
        return response
    _cors(response)
    modified = g.pop("api_last_modified", None)
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if modified is not None:
        response.last_modified = modified
    if not response.is_streamed:
        if response.get_etag() == (None, None):
            body = response.get_data()
            response.set_etag(hashlib.sha1(body, usedforsecurity=False).hexdigest(), weak=True)
        response.headers.setdefault("Cache-Control", "no-cache")
        response.make_conditional(request)
    return response
