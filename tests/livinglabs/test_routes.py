"""The participants' public pages of a living lab: the list of sessions, a session's page,
a person's registrations, and the link from the process page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs.models import LabAttachment


def sessions_url(process, **query) -> str:  # noqa: ANN001
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"/{process.city.slug}/p/{process.slug}/sessions{suffix}"


def session_url(session, city_slug=None) -> str:  # noqa: ANN001
    process = session.process
    return f"/{city_slug or process.city.slug}/p/{process.slug}/sessions/{session.id}"


def text_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def main_of(response) -> str:  # noqa: ANN001
    text = text_of(response)
    return text[text.index('<main'):text.index('</main>')]


# ---------------------------------------------------------------- the list


def test_sessions_list_upcoming_first_then_past(client, lab, make_session):
    later = make_session(title_en="Later workshop", starts_at=utcnow() + timedelta(days=20))
    sooner = make_session(title_en="Sooner workshop", starts_at=utcnow() + timedelta(days=2))
    past = make_session(title_en="Past workshop", starts_at=utcnow() - timedelta(days=5),
                        outcome_en="We agreed on three lanes.",
                        outcome_published_at=utcnow() - timedelta(days=4))
    response = client.get(sessions_url(lab))
    assert response.status_code == 200
    page = main_of(response)
    assert page.index("Sooner workshop") < page.index("Later workshop") < page.index(
        "Past workshop")
    assert page.index("Coming sessions") < page.index("Sooner workshop")
    assert page.index("Past sessions") < page.index("Past workshop")
    assert f"/sessions/{past.id}#outcome" in page
    assert f"/sessions/{sooner.id}#outcome" not in page
    assert f"/sessions/{later.id}" in page


def test_sessions_list_shows_facts(client, lab, make_session, make_registration):
    session = make_session(title_en="Bike lanes", capacity=4, format="hybrid",
                           stakeholder_groups=["research", "business"],
                           step_free_access=True, interpreting=True, language="ro_en")
    for _ in range(3):
        make_registration(session)
    make_registration(session, status="waitlisted")
    make_registration(session, status="cancelled")
    page = main_of(client.get(sessions_url(lab)))
    assert "1 seat left" in page
    assert "Hybrid (on site and online)" in page
    assert "Str. Universității 1" in page
    assert "Romanian and English" in page
    assert "Research and academia, Business" in page
    assert "Step-free access" in page and "Interpreting available" in page


def test_full_session_offers_the_waitlist(client, lab, make_session, make_registration):
    session = make_session(capacity=2)
    make_registration(session)
    make_registration(session, status="attended")
    page = main_of(client.get(sessions_url(lab)))
    assert "Full: you can join the waitlist" in page
    assert "seats left" not in page


def test_online_session_says_online_and_never_shows_the_link(client, lab, make_session):
    make_session(format="online", address="", online_url="https://meet.example.org/secret-room")
    page = text_of(client.get(sessions_url(lab)))
    assert "Online" in page
    assert "secret-room" not in page


def test_cancelled_session_is_shown_as_cancelled(client, lab, make_session):
    make_session(title_en="Called off", status="cancelled", cancelled_at=utcnow())
    page = main_of(client.get(sessions_url(lab)))
    assert "Called off" in page
    assert "This session has been cancelled." in page


def test_filter_by_lab_phase_works_without_javascript(client, lab, make_session):
    make_session(title_en="Exploring walk", lab_phase="explore")
    make_session(title_en="Testing the prototype", lab_phase="experiment")
    page = main_of(client.get(sessions_url(lab, phase="explore")))
    assert "Exploring walk" in page
    assert "Testing the prototype" not in page
    assert '<option value="explore" selected>' in page
    # An unknown phase shows everything rather than failing.
    page = main_of(client.get(sessions_url(lab, phase="nonsense")))
    assert "Exploring walk" in page and "Testing the prototype" in page
    assert 'method="get"' in page


def test_hostile_title_is_escaped(client, lab, make_session):
    session = make_session(title_en='<script>alert("x")</script>',
                           description_en='<img src=x onerror=alert(1)> **bold**',
                           address="<b>street</b>")
    for url in (sessions_url(lab), session_url(session)):
        page = text_of(client.get(url))
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;" in page
        assert "<b>street</b>" not in page
    page = text_of(client.get(session_url(session)))
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<strong>bold</strong>" in page


def test_subscribe_links(client, lab, make_session):
    page = main_of(client.get(sessions_url(lab)))
    assert f"webcal://localhost/{lab.city.slug}/sessions.ics" in page
    assert f"http://localhost/{lab.city.slug}/sessions.ics" in page


def test_signed_in_person_sees_their_registration_in_the_list(client, login_as, make_user,
                                                             lab, make_session,
                                                             make_registration):
    user = make_user()
    session = make_session()
    registration = make_registration(session, user=user, status="waitlisted")
    login_as(client, user)
    page = main_of(client.get(sessions_url(lab)))
    assert f"/registrations/{registration.token}" in page
    assert "Waitlisted" in page


@pytest.mark.parametrize("number", [2, 20])
def test_constant_number_of_queries(client, lab, make_session, make_registration,
                                    count_queries, number):
    for index in range(number):
        session = make_session(starts_at=utcnow() + timedelta(days=index + 1),
                               stakeholder_groups=["citizen"])
        make_registration(session)
    past = make_session(starts_at=utcnow() - timedelta(days=3))
    make_registration(past, status="attended")
    url = sessions_url(lab)
    with count_queries() as counted:
        response = client.get(url)
    assert response.status_code == 200
    assert main_of(response).count('class="card"') == number + 1
    # The city, the process, the sessions and one grouped count of seats for all of them.
    assert counted.n == 4, counted.statements
    assert sum("group by" in s.lower() for s in counted.statements) == 1


def test_query_count_does_not_grow_for_a_signed_in_person(client, login_as, make_user, lab,
                                                          make_session, make_registration,
                                                          count_queries):
    user = make_user()
    login_as(client, user)
    make_session()
    url = sessions_url(lab)
    with count_queries() as few:
        client.get(url)
    for index in range(20):
        session = make_session(starts_at=utcnow() + timedelta(days=index + 2))
        make_registration(session)
        make_registration(session, user=user if index % 2 else None)
    with count_queries() as many:
        page = main_of(client.get(url))
    assert page.count('class="card"') == 21
    assert page.count("Your ticket") == 10
    assert many.n == few.n, many.statements


# ---------------------------------------------------------------- access


def test_draft_lab_is_404_for_visitors_and_citizens(client, login_as, make_user, make_role,
                                                    make_process, city, make_session):
    draft = make_process(city, kind="livinglab", status="draft")
    session = make_session(process=draft)
    assert client.get(sessions_url(draft)).status_code == 404
    assert client.get(session_url(session)).status_code == 404
    login_as(client, make_user())
    assert client.get(sessions_url(draft)).status_code == 404
    assert client.get(session_url(session)).status_code == 404
    moderator = make_user()
    make_role(moderator, city, "moderator")
    login_as(client, moderator)
    response = client.get(session_url(session))
    assert response.status_code == 200
    assert "Draft" in main_of(response)
    assert client.get(sessions_url(draft)).status_code == 200


def test_another_citys_session_is_404(client, make_city, make_process, lab, make_session):
    other_city = make_city()
    other_lab = make_process(other_city, kind="livinglab", slug=lab.slug)
    session = make_session(process=other_lab)
    # The session exists, but not in the URL's city.
    assert client.get(session_url(session, city_slug=lab.city.slug)).status_code == 404
    assert client.get(session_url(session)).status_code == 200
    # A session of this city's lab under another process's URL.
    mine = make_session()
    wrong = f"/{lab.city.slug}/p/{lab.slug}/sessions/{mine.id}"
    assert client.get(wrong).status_code == 200
    other = make_process(lab.city, kind="livinglab")
    assert client.get(
        f"/{lab.city.slug}/p/{other.slug}/sessions/{mine.id}").status_code == 404


def test_process_of_another_kind_is_404(client, make_process, city, make_session):
    ideas = make_process(city, kind="ideas")
    assert client.get(sessions_url(ideas)).status_code == 404
    session = make_session()
    assert client.get(
        f"/{city.slug}/p/{ideas.slug}/sessions/{session.id}").status_code == 404


def test_unknown_session_is_404(client, lab):
    assert client.get(f"/{lab.city.slug}/p/{lab.slug}/sessions/999999").status_code == 404


# ---------------------------------------------------------------- one session


def test_session_page_details(client, lab, make_session):
    session = make_session(
        title_en="Co-design: cycle lanes", description_en="## Agenda\n\n- maps\n- *coffee*",
        lat=47.151726, lon=27.587914, capacity=12, step_free_access=True,
        accessibility_en="Lift at the back entrance.", format="hybrid",
        online_url="https://meet.example.org/room-42",
        stakeholder_groups=["citizen", "civil_society"],
        starts_at=utcnow().replace(hour=8, minute=0, second=0, microsecond=0)
        + timedelta(days=5))
    response = client.get(session_url(session))
    assert response.status_code == 200
    page = main_of(response)
    assert "<h1>Co-design: cycle lanes</h1>" in page
    assert "<h2>Agenda</h2>" in page and "<em>coffee</em>" in page
    assert "https://www.openstreetmap.org/?mlat=47.151726&amp;mlon=27.587914" in page
    assert "Lift at the back entrance." in page
    assert "Step-free access" in page
    assert "12 seats left" in page
    assert "Citizen, Civil society" in page
    assert "Registration is open until" in page
    assert "/register" in page
    assert f"/sessions/{session.id}/session.ics" in page
    # 08:00 UTC is 10:00 or 11:00 in Bucharest, never 08:00.
    assert re.search(r", 1[01]:00</time>", page)
    assert ", 08:00</time>" not in page
    # The online link is never on the public page.
    assert "room-42" not in text_of(response)
    # No third-party request: the map is a link, nothing is loaded from elsewhere.
    assert not re.search(r'(src|href)="https?://(?!www\.openstreetmap\.org/\?mlat)',
                         text_of(response))


def test_session_page_never_shows_online_link_even_to_seated(client, login_as, make_user,
                                                            make_session, make_registration):
    user = make_user()
    session = make_session(format="online", online_url="https://meet.example.org/room-7")
    registration = make_registration(session, user=user)
    login_as(client, user)
    page = text_of(client.get(session_url(session)))
    assert "room-7" not in page
    assert f"/registrations/{registration.token}" in page
    assert "You are registered:" in page


def test_session_page_states_of_the_registration_window(client, lab, make_session,
                                                        make_process, city):
    upcoming = make_session(registration_opens_at=utcnow() + timedelta(days=2))
    page = main_of(client.get(session_url(upcoming)))
    assert "Registration opens on" in page
    assert "/register" not in page
    closed = make_session(registration_closes_at=utcnow() - timedelta(hours=1),
                          registration_opens_at=utcnow() - timedelta(days=3))
    page = main_of(client.get(session_url(closed)))
    assert "Registration closed on" in page
    assert "/register" not in page
    cancelled = make_session(status="cancelled", cancelled_at=utcnow(),
                             cancel_reason="The hall is flooded.")
    page = main_of(client.get(session_url(cancelled)))
    assert "This session has been cancelled." in page
    assert "The hall is flooded." in page
    assert "/register" not in page
    finished = make_process(city, kind="livinglab", status="closed")
    session = make_session(process=finished)
    page = main_of(client.get(session_url(session)))
    assert "Registration is closed." in page


def test_full_session_page_offers_waitlist(client, make_session, make_registration):
    session = make_session(capacity=1)
    make_registration(session)
    page = main_of(client.get(session_url(session)))
    assert "Full: you can join the waitlist" in page
    assert "Join the waitlist" in page


def test_outcome_shown_only_once_published(client, make_session, make_registration):
    session = make_session(starts_at=utcnow() - timedelta(days=3),
                           outcome_en="**Three** lanes agreed.")
    db.session.add(LabAttachment(session_id=session.id, title="Minutes",
                                 filename="minutes.pdf", content_type="application/pdf",
                                 size=100, storage_key="lab/minutes.pdf"))
    db.session.commit()
    page = main_of(client.get(session_url(session)))
    assert "Three" not in page and "Minutes" not in page
    session.outcome_published_at = utcnow()
    db.session.commit()
    page = main_of(client.get(session_url(session)))
    assert "<strong>Three</strong> lanes agreed." in page
    assert "Minutes" in page and "minutes.pdf" in page
    attachment = session.attachments[0]
    assert f"/sessions/{session.id}/attachments/{attachment.id}" in page
    assert 'id="outcome"' in page
    # A past session offers no registration and no calendar file.
    assert "/register" not in page
    assert "session.ics" not in page


def test_attendance_mix_after_the_session_without_names(client, make_session,
                                                       make_registration):
    past = make_session(starts_at=utcnow() - timedelta(days=2))
    make_registration(past, status="attended", name="Visible Name",
                      stakeholder_type="research")
    make_registration(past, status="no_show", name="Another Name")
    make_registration(past, status="waitlisted", name="Waiting Name")
    page = main_of(client.get(session_url(past)))
    assert "Who took part" in page
    assert "Research and academia" in page
    assert "Visible Name" not in page and "Waiting Name" not in page
    coming = make_session()
    make_registration(coming, name="Future Name")
    page = main_of(client.get(session_url(coming)))
    assert "Who took part" not in page and "Future Name" not in page


def test_outcome_markdown_is_sanitised(client, make_session):
    session = make_session(starts_at=utcnow() - timedelta(days=3),
                           outcome_en="<script>alert(1)</script> [x](javascript:alert(1))",
                           outcome_published_at=utcnow())
    page = main_of(client.get(session_url(session)))
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript' not in page


# ---------------------------------------------------------------- my registrations


def test_my_registrations_needs_sign_in(client):
    response = client.get("/account/sessions")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_my_registrations_lists_coming_first(client, login_as, make_user, make_session,
                                             make_registration):
    user = make_user()
    someone = make_user()
    coming = make_session(title_en="Coming one")
    past = make_session(title_en="Past one", starts_at=utcnow() - timedelta(days=10))
    cancelled = make_session(title_en="Dropped one")
    others = make_session(title_en="Not mine")
    mine_coming = make_registration(coming, user=user)
    make_registration(past, user=user, status="attended")
    make_registration(cancelled, user=user, status="cancelled")
    make_registration(others, user=someone)
    login_as(client, user)
    response = client.get("/account/sessions")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = main_of(response)
    assert page.index("Coming one") < page.index("Past and cancelled") < page.index("Past one")
    assert "Dropped one" in page and "Not mine" not in page
    assert f"/registrations/{mine_coming.token}" in page


# ---------------------------------------------------------------- the process page


def test_process_page_links_to_the_sessions(client, login_as, make_user, lab):
    page = main_of(client.get(f"/{lab.city.slug}/p/{lab.slug}"))
    assert f"/{lab.city.slug}/p/{lab.slug}/sessions" in page
    assert "/account/sessions" not in page
    login_as(client, make_user())
    page = main_of(client.get(f"/{lab.city.slug}/p/{lab.slug}"))
    assert "/account/sessions" in page


def test_session_page_queries_do_not_grow(client, login_as, make_user, make_session,
                                          make_registration, count_queries):
    user = make_user()
    past = make_session(starts_at=utcnow() - timedelta(days=2), outcome_en="Notes",
                        outcome_published_at=utcnow())
    make_registration(past, user=user, status="attended")
    login_as(client, user)
    url = session_url(past)
    with count_queries() as few:
        client.get(url)
    for index in range(20):
        make_registration(past, status="attended" if index % 2 else "no_show")
        db.session.add(LabAttachment(session_id=past.id, title=f"File {index}",
                                     filename=f"f{index}.pdf", content_type="application/pdf",
                                     size=1, storage_key=f"lab/f{index}.pdf"))
    db.session.commit()
    with count_queries() as many:
        page = main_of(client.get(url))
    assert page.count(".pdf)") == 20
    assert many.n == few.n, many.statements
