"""The calendar downloads: a session's public `.ics`, a registration's own, and the city's
subscribable feed of public sessions."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from engage.core.db import utcnow
from engage.livinglabs import calendar, routes

ONLINE = "https://meet.example.org/room-secret-42"


def parsed(response) -> Calendar:  # noqa: ANN001
    return Calendar.from_ical(response.get_data())


def unfolded(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True).replace("\r\n ", "")


def events(response) -> list:  # noqa: ANN001
    return [c for c in parsed(response).walk("VEVENT")]


def session_ics_url(session) -> str:  # noqa: ANN001
    process = session.process
    return f"/{process.city.slug}/p/{process.slug}/sessions/{session.id}/session.ics"


# ---------------------------------------------------------------- a session


def test_public_session_ics(client, make_session):
    session = make_session(format="hybrid", online_url=ONLINE, title_en="Cycle lanes",
                           title_ro="Piste de biciclete")
    response = client.get(session_ics_url(session))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == calendar.CONTENT_TYPE
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="session-{session.id}.ics"')
    cal = parsed(response)
    assert cal["METHOD"] == "PUBLISH"
    [event] = events(response)
    assert str(event["SUMMARY"]) == "Cycle lanes"
    assert event["UID"] == calendar.event_uid(session)
    assert "room-secret-42" not in unfolded(response)


def test_public_session_ics_in_the_visitors_language(client_default_language, make_session):
    session = make_session(title_en="Cycle lanes", title_ro="Piste de biciclete")
    [event] = events(client_default_language.get(session_ics_url(session)))
    assert str(event["SUMMARY"]) == "Piste de biciclete"


def test_draft_session_ics_is_404(client, make_process, city, make_session):
    draft = make_process(city, kind="livinglab", status="draft")
    session = make_session(process=draft)
    assert client.get(session_ics_url(session)).status_code == 404


# ---------------------------------------------------------------- a registration


def test_registration_ics_has_the_link_only_with_a_seat(client, make_session,
                                                        make_registration):
    session = make_session(format="online", address="", online_url=ONLINE, capacity=1)
    seated = make_registration(session, email="maria@example.org")
    waiting = make_registration(session, status="waitlisted")
    response = client.get(f"/registrations/{seated.token}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == calendar.CONTENT_TYPE
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "attachment;" in response.headers["Content-Disposition"]
    assert parsed(response)["METHOD"] == "REQUEST"
    assert ONLINE in unfolded(response)
    response = client.get(f"/registrations/{waiting.token}/calendar.ics")
    assert "room-secret-42" not in unfolded(response)


def test_cancelled_registration_ics_removes_the_event(client, make_session,
                                                      make_registration):
    registration = make_registration(make_session(), status="cancelled")
    response = client.get(f"/registrations/{registration.token}/calendar.ics")
    assert parsed(response)["METHOD"] == "CANCEL"


# ---------------------------------------------------------------- the city's feed


def test_city_feed_holds_only_public_sessions(client, make_city, make_process, city, lab,
                                              make_session):
    coming = make_session(title_en="Coming", format="online", online_url=ONLINE)
    recent = make_session(title_en="Recent", starts_at=utcnow() - timedelta(days=10))
    make_session(title_en="Long ago", starts_at=utcnow() - timedelta(days=40))
    called_off = make_session(title_en="Called off", status="cancelled",
                              cancelled_at=utcnow())
    closed_lab = make_process(city, kind="livinglab", status="closed")
    from_closed = make_session(process=closed_lab, title_en="From a closed lab")
    draft = make_process(city, kind="livinglab", status="draft")
    make_session(process=draft, title_en="Draft only")
    archived = make_process(city, kind="livinglab", status="archived")
    make_session(process=archived, title_en="Archived lab")
    other_city_lab = make_process(make_city(), kind="livinglab")
    make_session(process=other_city_lab, title_en="Elsewhere")

    response = client.get(f"/{city.slug}/sessions.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == calendar.CONTENT_TYPE
    cal = parsed(response)
    assert cal["METHOD"] == "PUBLISH"
    assert "living-lab sessions" in str(cal["X-WR-CALNAME"])
    found = {str(e["SUMMARY"]): e for e in events(response)}
    assert set(found) == {"Coming", "Recent", "Called off", "From a closed lab"}
    assert found["Called off"]["STATUS"] == "CANCELLED"
    assert found["Coming"]["STATUS"] == "CONFIRMED"
    assert {str(e["UID"]) for e in found.values()} == {
        calendar.event_uid(s) for s in (coming, recent, called_off, from_closed)}
    assert "room-secret-42" not in unfolded(response)


def test_city_feed_is_limited(client, monkeypatch, city, make_session):
    for day in range(3):
        make_session(title_en=f"Day {day}", starts_at=utcnow() + timedelta(days=day + 1))
    monkeypatch.setattr(routes, "FEED_LIMIT", 2)
    response = client.get(f"/{city.slug}/sessions.ics")
    assert [str(e["SUMMARY"]) for e in events(response)] == ["Day 0", "Day 1"]


def test_city_feed_of_unknown_city_is_404(client):
    assert client.get("/no-such-city/sessions.ics").status_code == 404


def test_city_feed_queries_do_not_grow(client, city, make_process, make_session,
                                       count_queries):
    make_session()
    url = f"/{city.slug}/sessions.ics"
    with count_queries() as few:
        client.get(url)
    for index in range(10):
        other = make_process(city, kind="livinglab")
        make_session(process=other, starts_at=utcnow() + timedelta(days=index + 1))
    with count_queries() as many:
        response = client.get(url)
    assert len(events(response)) == 11
    assert many.n == few.n, many.statements
