"""Two organisers (or one double click) publishing the same draft at the same moment: exactly
one publication, the others told it is already published; on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import select

from engage.accounts.models import User
from engage.cities.models import City, CityRole
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Process
from tests.conftest import standalone_app

pytestmark = pytest.mark.no_transaction


@pytest.fixture(scope="module")
def committing(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("processes-committing")
    with standalone_app(tmp, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as app:
        yield app


def test_simultaneous_publish_happens_once(committing):
    app = committing
    with app.app_context():
        city = City(slug="iasi", name_ro="Iași", name_en="Iasi")
        organisers = [
            User(email=f"org{n}@example.org", display_name=f"Org {n}", password_hash="x",
                 email_verified_at=utcnow())
            for n in range(4)
        ]
        db.session.add_all([city, *organisers])
        db.session.flush()
        db.session.add_all(
            CityRole(user_id=user.id, city_id=city.id, role="organiser") for user in organisers
        )
        db.session.add(Process(
            city_id=city.id, kind="ideas", slug="draft", title_ro="Ciornă", themes=["energy"],
            opens_at=utcnow() - timedelta(days=1), closes_at=utcnow() + timedelta(days=9),
        ))
        db.session.commit()
        user_ids = [user.id for user in organisers]

    barrier = Barrier(len(user_ids))

    def publish(user_id: int) -> tuple[int, str]:
        client = app.test_client()
        client.set_cookie("lang", "en")
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
        barrier.wait()
        response = client.post("/iasi/manage/processes/draft/status", data={"action": "publish"})
        page = client.get("/iasi/manage/").get_data(as_text=True)
        return response.status_code, page

    with ThreadPoolExecutor(len(user_ids)) as pool:
        answers = list(pool.map(publish, user_ids))

    assert [status for status, _ in answers] == [303] * len(user_ids)
    published = sum("already published" not in page for _, page in answers)
    assert published == 1, "exactly one request publishes; the others hear it already was"
    with app.app_context():
        process = db.session.scalars(select(Process).where(Process.slug == "draft")).one()
        assert process.status == "published" and process.published_at is not None
