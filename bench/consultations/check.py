"""After the load with new responses: does the results page show them? (invalidation)

Counts the submitted responses in the database, then asks the running server for the results
page `--requests` times as a signed-in user (gunicorn's workers take turns, so each worker's
results cache is asked) and once as an anonymous visitor (the page cache may serve a copy up
to PAGE_CACHE_SECONDS old: that one is reported, not required to match). Prints one JSON
object; `signed_in_all_current` must be true.

  python bench/consultations/check.py --out DIR --base http://127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import json
import re
import urllib.request
from pathlib import Path

from sqlalchemy import func, select

from engage import create_app
from engage.consultations.models import Response
from engage.extensions import db

COUNTED = re.compile(r'<strong class="big">(\d+)</strong>')


def shown(url: str, cookie: str | None) -> tuple[int | None, bool]:
    """(responses the page says it counted, whether it was served to a signed-in user: only
    they get the CSRF token for htmx)."""
    headers = {"User-Agent": "engage-bench"}
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                timeout=60) as answer:
        page = answer.read().decode()
    found = COUNTED.search(page)
    return (int(found.group(1)) if found else None), "X-CSRFToken" in page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--requests", type=int, default=8)
    args = parser.parse_args()
    seed = json.loads((args.out / "seed.json").read_text())
    cookie = (args.out / "sessions.txt").read_text().split("\n")[0].split()[0]
    url = f"{args.base}/{seed['city_slug']}/p/{seed['process_slug']}/results"
    with create_app().app_context():
        submitted = db.session.scalar(
            select(func.count()).select_from(Response)
            .where(Response.process_id == seed["process_id"], Response.status == "submitted"))
    signed_in = [shown(url, cookie) for _ in range(args.requests)]
    anonymous, anonymous_signed_in = shown(url, None)
    facts = {
        "submitted_in_database": submitted,
        "signed_in_shown": sorted({n for n, _ in signed_in}),
        "signed_in_all_current": all(n == submitted and really for n, really in signed_in),
        "cookie_signs_in": all(really for _, really in signed_in) and not anonymous_signed_in,
        "anonymous_shown": anonymous,
    }
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
