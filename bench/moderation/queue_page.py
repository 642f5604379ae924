"""The moderation desk's queue page for 25 items: its HTML size and how long Flask takes to
render it (the request through the test client, SQLite in a temporary folder; median of 30
requests after 5 warm-up ones), and the time of the template rendering alone.

  .venv/bin/python bench/moderation/queue_page.py [page.html]
prints one JSON line: items, bytes, bytes per item, request ms, template ms.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ITEMS = 25
RUNS = 30


def main() -> None:
    from engage import create_app
    from engage.accounts.models import User
    from engage.cities.models import City, CityRole
    from engage.config import TestConfig
    from engage.core.db import utcnow
    from engage.extensions import db
    from engage.processes.models import Contribution, Process, Report

    folder = Path(tempfile.mkdtemp())
    app = create_app(TestConfig(folder, f"sqlite:///{folder / 'bench.sqlite3'}"))
    with app.app_context():
        db.create_all()
        city = City(slug="bench", name_ro="Oraș", name_en="City", county="Cluj")
        db.session.add(city)
        db.session.flush()
        moderator = User(email="m@example.org", display_name="Moderator", password_hash="x",
                         language="en", stakeholder_type="citizen", email_verified_at=utcnow())
        author = User(email="a@example.org", display_name="Author", password_hash="x",
                      language="ro", stakeholder_type="citizen", email_verified_at=utcnow())
        db.session.add_all([moderator, author])
        db.session.flush()
        db.session.add(CityRole(user_id=moderator.id, city_id=city.id, role="moderator"))
        now = utcnow()
        process = Process(city_id=city.id, kind="ideas", slug="p", title_ro="Proces",
                          title_en="Process", themes=["nature"], status="published",
                          opens_at=now - timedelta(days=3), moderation_mode="pre")
        db.session.add(process)
        db.session.flush()
        for number in range(ITEMS):
            text = (f"Propunerea {number}: mai mulți copaci pe strada {number}. " *
                    (8 if number % 3 == 0 else 2))
            status = "published" if number % 4 == 0 else "pending"
            item = Contribution(kind="idea", process_id=process.id, city_id=city.id,
                                author_id=author.id, language="ro", status=status, text=text,
                                created_at=now - timedelta(hours=ITEMS - number))
            db.session.add(item)
            db.session.flush()
            if status == "published":
                db.session.add(Report(contribution_id=item.id, process_id=process.id,
                                      city_id=city.id, reporter_id=None, reason="offensive"))
        db.session.commit()
        moderator_id = moderator.id

    client = app.test_client()
    client.set_cookie("lang", "en")
    with client.session_transaction() as session:
        session["_user_id"] = str(moderator_id)
        session["_fresh"] = True
    from jinja2 import Template

    renders: list[float] = []
    request_ms, size = [], 0

    original = Template.render

    def timed(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        begin = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            if self.name == "moderation/queue.html":
                renders.append((time.perf_counter() - begin) * 1000)

    Template.render = timed
    for run in range(RUNS + 5):
        begin = time.perf_counter()
        response = client.get("/bench/moderation/")
        elapsed = (time.perf_counter() - begin) * 1000
        assert response.status_code == 200, response.status_code
        body = response.get_data()
        assert body.count(b"<article class=\"card mod-item\"") == ITEMS
        size = len(body)
        if run >= 5:
            request_ms.append(elapsed)
    template_ms = renders[5:]
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_bytes(body)
    print(json.dumps({
        "items": ITEMS, "bytes": size, "bytes_per_item": round(size / ITEMS),
        "request_ms": round(statistics.median(request_ms), 1),
        "template_ms": round(statistics.median(template_ms), 1),
    }))


if __name__ == "__main__":
    main()
