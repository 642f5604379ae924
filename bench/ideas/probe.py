"""What one request of each measured page costs, outside the load: status, SQL statements (count
and time), response size; and the compressed weight of a first visit to the list page (and to
the two idea pages).

Runs the app in-process (Flask test client, same environment as gunicorn), after seed.py:

  python bench/ideas/probe.py --out DIR --list PATH --idea PATH --toggle PATH

Writes DIR/probe.json and DIR/queries-<name>.txt (the statements of each page, slowest first).
The first load's weight: the list page's HTML, as an anonymous visitor gets it, plus every
stylesheet and script it references (<link rel=stylesheet>, <script src>), each compressed
with gzip -6 (the usual server setting) as a browser would receive them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import event

from engage import create_app
from engage.config import PROJECT_ROOT
from engage.extensions import db

USER_AGENT = "engage-bench"
ASSET_RE = re.compile(
    r"""<link\b[^>]*\brel=["']?stylesheet["']?[^>]*\bhref=["']([^"']+)["']"""
    r"""|<link\b[^>]*\bhref=["']([^"']+)["'][^>]*\brel=["']?stylesheet"""
    r"""|<script\b[^>]*\bsrc=["']([^"']+)["']""",
    re.I,
)


class StatementLog:
    def __init__(self, engine) -> None:  # noqa: ANN001
        self.entries: list[tuple[float, str]] = []
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        took = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        self.entries.append((took * 1000, " ".join(statement.split())))

    def take(self) -> list[tuple[float, str]]:
        entries, self.entries = self.entries, []
        return entries


def asset_file(url: str) -> Path | None:
    path = urlsplit(url).path
    if not path.startswith("/static/"):
        return None
    return PROJECT_ROOT / "static" / path[len("/static/"):]


def page_weight(html: bytes) -> dict:
    assets = []
    for match in ASSET_RE.finditer(html.decode("utf-8", "replace")):
        url = next(group for group in match.groups() if group)
        file = asset_file(url)
        if file is None or not file.is_file():
            assets.append({"url": url, "raw": None, "gzip": None, "note": "not a local file"})
            continue
        data = file.read_bytes()
        assets.append({"url": url, "raw": len(data), "gzip": len(gzip.compress(data, 6))})
    html_gzip = len(gzip.compress(html, 6))
    total = html_gzip + sum(asset["gzip"] or 0 for asset in assets)
    return {"html_raw": len(html), "html_gzip": html_gzip, "assets": assets,
            "total_gzip": total}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--list", required=True)
    parser.add_argument("--idea", required=True)
    parser.add_argument("--typical", help="a second idea page (a typical idea)")
    parser.add_argument("--toggle", required=True)
    args = parser.parse_args()

    cookie, token = (args.out / "sessions.txt").read_text().split("\n")[0].split()
    anonymous = {"User-Agent": USER_AGENT}
    logged_in = {"User-Agent": USER_AGENT, "Cookie": f"session={cookie}"}
    # The test client speaks https (PREFERRED_URL_SCHEME in production), where Flask-WTF also
    # wants a same-origin Referer, as a browser sends it.
    htmx_post = {**logged_in, "X-CSRFToken": token, "HX-Request": "true",
                 "Referer": f"https://localhost{args.idea}"}

    app = create_app()
    client = app.test_client(use_cookies=False)
    with app.app_context():
        log = StatementLog(db.engine)
    targets = [
        ("list", "GET", args.list, anonymous),
        ("list (logged in)", "GET", args.list, logged_in),
        ("idea", "GET", args.idea, anonymous),
        ("idea (logged in)", "GET", args.idea, logged_in),
        *([("typical idea", "GET", args.typical, anonymous)] if args.typical else []),
        # Twice: on, then off again, so the data is as seeded.
        ("toggle", "POST", args.toggle, htmx_post),
        ("toggle back", "POST", args.toggle, htmx_post),
    ]
    results = {}
    html_of: dict[str, bytes] = {}
    for name, method, path, headers in targets:
        # Warm once (templates compiled, connections open), then measure a second request;
        # a POST toggle is measured at once (a second one would undo it).
        if method == "GET":
            client.open(path, method=method, headers=headers)
        log.take()
        started = time.perf_counter()
        response = client.open(path, method=method, headers=headers)
        took = (time.perf_counter() - started) * 1000
        statements = log.take()
        if name in ("list", "idea", "typical idea") and response.status_code == 200:
            html_of[name] = response.data
        results[name] = {
            "path": path,
            "status": response.status_code,
            "bytes": len(response.data),
            "ms": round(took, 1),
            "queries": len(statements),
            "sql_ms": round(sum(ms for ms, _ in statements), 1),
        }
        slug = re.sub(r"\W+", "-", name).strip("-")
        with open(args.out / f"queries-{slug}.txt", "w") as handle:
            for ms, statement in sorted(statements, reverse=True):
                handle.write(f"{ms:8.2f} ms  {statement}\n")

    weights = {name: page_weight(html) for name, html in html_of.items()}
    weight = weights.get("list")
    (args.out / "probe.json").write_text(json.dumps(
        {"pages": results, "weight": weight, "weights": weights}, indent=2))
    for name, result in results.items():
        print(f"{name:18} {result['status']}  {result['queries']:3} queries "
              f"({result['sql_ms']} ms SQL)  {result['ms']} ms  {result['bytes']} bytes")
    if weight:
        parts = [f"HTML {weight['html_gzip']}"] + [
            f"{Path(urlsplit(a['url']).path).name} {a['gzip']}" for a in weight["assets"]
        ]
        print(f"first load of the list page, gzip -6: {weight['total_gzip']} bytes "
              f"({', '.join(parts)})")
    for name in ("idea", "typical idea"):
        if name in weights:
            print(f"first load of the {name} page, gzip -6: {weights[name]['total_gzip']} "
                  f"bytes (HTML {weights[name]['html_gzip']})")


if __name__ == "__main__":
    main()
