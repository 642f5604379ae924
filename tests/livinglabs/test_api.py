"""The sessions of a living lab in the open-data API: the fields, seats left, pagination, no
personal data and no online link, 404 for drafts, other kinds and unknown ids, and a constant
number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs import api as lab_api

SECRET_LINK = "https://meet.example.org/secret-room"


def items(client, process, **args) -> dict:  # noqa: ANN001
    response = client.get(f"/api/v1/processes/{process.id}/sessions", query_string=args)
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


def test_sessions_fields_and_seats_left(client, lab, make_session, make_registration,
                                        make_user):  # noqa: ANN001
    starts = utcnow().replace(microsecond=0) + timedelta(days=3)
    session = make_session(
        starts_at=starts, capacity=4, format="hybrid", online_url=SECRET_LINK,
        lat=46.77, lon=23.59, stakeholder_groups=["citizen", "business"],
        stakeholder_caps={"business": 1}, step_free_access=True,
        accessibility_ro="Rampă la intrare", accessibility_en="Ramp at the entrance",
        lab_phase="experiment", language="ro_en")
    user = make_user(email="private.person@example.org", display_name="Private Person")
    make_registration(session, user=user, answers={"dietary": "vegan"})
    make_registration(session, status="attended", name="Another Name")
    make_registration(session, status="waitlisted", email="waiting@example.org")
    make_registration(session, status="cancelled")
    data = items(client, lab)
    assert data["total"] == 1 and data["next"] is None
    item = data["items"][0]
    assert item["id"] == session.id
    assert item["title"] == {"ro": "Atelier de co-design: piste de biciclete",
                             "en": "Co-design workshop: cycle lanes"}
    assert item["format"] == "hybrid" and item["language"] == "ro_en"
    assert item["lab_phase"] == "experiment"
    assert item["starts_at"] == starts.replace(tzinfo=None).isoformat() + "Z"
    assert item["place"] == {"lat": 46.77, "lon": 23.59}
    assert item["capacity"] == 4 and item["seats_left"] == 2
    assert item["registration"]["state"] == "open"
    assert item["registration"]["closes_at"] == item["starts_at"]
    assert item["stakeholder_groups"] == ["citizen", "business"]
    assert item["accessibility"] == {"step_free_access": True, "interpreting": False,
                                     "notes": {"ro": "Rampă la intrare",
                                               "en": "Ramp at the entrance"}}
    assert item["status"] == "scheduled"
    assert item["url"].startswith("http") and str(session.id) in item["url"]
    raw = client.get(f"/api/v1/processes/{lab.id}/sessions").get_data(as_text=True)
    for secret in ("secret-room", "@example.org", "Private Person", "Another Name", "vegan",
                   "online_url"):
        assert secret not in raw


def test_full_and_cancelled_sessions(client, lab, make_session, make_registration):  # noqa: ANN001
    full = make_session(capacity=1)
    make_registration(full)
    make_registration(full, status="no_show")  # over capacity after a change: never negative
    cancelled = make_session(starts_at=utcnow() + timedelta(days=9), status="cancelled")
    data = items(client, lab)
    by_id = {item["id"]: item for item in data["items"]}
    assert by_id[full.id]["seats_left"] == 0
    assert by_id[cancelled.id]["status"] == "cancelled"
    assert by_id[cancelled.id]["registration"]["state"] == "cancelled"


def test_online_session_has_no_place(client, lab, make_session):  # noqa: ANN001
    make_session(format="online", address="", online_url=SECRET_LINK)
    item = items(client, lab)["items"][0]
    assert item["place"] is None and item["address"] == ""
    assert "secret-room" not in str(item)


def test_pagination(client, lab, make_session, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(lab_api, "PER_PAGE", 2)
    created = [make_session(starts_at=utcnow() + timedelta(days=day)).id for day in (5, 3, 4)]
    first = items(client, lab)
    assert first["total"] == 3
    assert [item["id"] for item in first["items"]] == [created[1], created[2]]
    assert first["next"] and "page=2" in first["next"]
    second = items(client, lab, page=2)
    assert [item["id"] for item in second["items"]] == [created[0]]
    assert second["next"] is None
    assert items(client, lab, page="nonsense")["items"] == first["items"]


@pytest.mark.parametrize("case", ["draft", "ideas", "unknown"])
def test_not_found_is_json(client, lab, make_process, city, case):  # noqa: ANN001
    if case == "draft":
        target = make_process(city, kind="livinglab", status="draft").id
    elif case == "ideas":
        target = make_process(city, kind="ideas").id
    else:
        target = 999_999
    response = client.get(f"/api/v1/processes/{target}/sessions")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]["status"] == 404


def test_closed_lab_is_listed(client, lab, make_session):  # noqa: ANN001
    make_session()
    lab.status = "closed"
    db.session.commit()
    item = items(client, lab)["items"][0]
    assert item["registration"]["state"] == "closed"


def test_constant_queries(client, lab, make_session, make_registration,
                          count_queries):  # noqa: ANN001
    address = f"/api/v1/processes/{lab.id}/sessions"  # read now: commits expire `lab`
    session = make_session()
    make_registration(session)
    client.get(address)  # warm up
    with count_queries() as few:
        assert client.get(address).status_code == 200
    for day in range(8):
        more = make_session(starts_at=utcnow() + timedelta(days=10 + day))
        make_registration(more)
        make_registration(more, status="waitlisted")
    with count_queries() as many:
        data = client.get(address).get_json()
    assert data["total"] == 9
    assert many.n == few.n <= 4
