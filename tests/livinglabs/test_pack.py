"""A living lab's workshop pack: registrations by the stakeholder type each carries (guests and
walk-ins included; cancelled and expired ones and other labs left out), "Registered" and
"Attended" with attendance as the main figure once the sessions are over, the sessions' table
(times in Romania's time, no names, e-mails or answers), the poster, the documents through the
organiser's client in English and Romanian and as PDF, and a constant number of statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from engage.core.db import utcnow
from engage.exports import packs
from engage.livinglabs import pack
from tests.packs import document, pdf_text

DEC_10 = datetime(2031, 12, 10, 8, 0, tzinfo=UTC)  # 10:00 in Bucharest (winter time)
JUN_3 = datetime(2031, 6, 3, 14, 30, tzinfo=UTC)  # 17:30 in Bucharest (summer time)


@pytest.fixture
def registered(lab, make_session, make_registration, make_user, make_process, city):  # noqa: ANN001, ANN201, E501
    """Two sessions (the later one first in time: June) and a cancelled third, with
    registrations of every status; and a registration in another living lab."""
    december = make_session(title_ro="Atelier de iarnă", title_en="Winter workshop",
                            starts_at=DEC_10, capacity=20)
    june = make_session(title_ro="Plimbare pe traseu", title_en="Walk along the route",
                        starts_at=JUN_3, format="hybrid", capacity=3)
    cancelled = make_session(title_ro="Webinar anulat", title_en="Cancelled webinar",
                             starts_at=DEC_10 + timedelta(days=1), format="online",
                             status="cancelled")
    person = make_user(display_name="Ioana Ionescu", email="ioana.ionescu@example.org")
    make_registration(december, user=person, name="Ioana Ionescu",
                      answers={"dietary": "Fără gluten", "organisation": "Asociația X"})
    make_registration(december, stakeholder_type="research", status="attended",
                      answers={"accessibility": "Rampă de acces"}, accessibility_consent=True)
    make_registration(december, stakeholder_type="business", status="waitlisted")
    make_registration(december, stakeholder_type="civil_society", status="pending")
    make_registration(december, stakeholder_type="public_authority", status="cancelled")
    make_registration(december, stakeholder_type="public_authority", status="expired")
    make_registration(june, status="attended")
    make_registration(june, stakeholder_type="research", status="attended", channel="walk_in")
    make_registration(june, status="no_show")
    make_registration(june, stakeholder_type="business", status="waitlisted")
    make_registration(cancelled, stakeholder_type="research", status="cancelled")
    other = make_session(process=make_process(city, kind="livinglab"))
    make_registration(other, stakeholder_type="other", status="attended")
    return {"december": december, "june": june, "cancelled": cancelled}


# ---------------------------------------------------------------- participation


def test_registered_and_attended_by_stakeholder_type(app, lab, registered):  # noqa: ANN001
    with app.test_request_context(), force_locale("en"):
        registered_, attended = pack.registrations(lab)
    assert registered_.label == "Registered" and attended.label == "Attended"
    assert registered_.counts == {"citizen": 3, "research": 2, "civil_society": 1,
                                  "business": 2}
    assert attended.counts == {"citizen": 1, "research": 2, "civil_society": 0, "business": 0}
    # Sessions still to come: attendance says nothing yet, so the registrations are the figure.
    assert registered_.main and not attended.main


def test_attendance_is_the_figure_once_the_sessions_are_over(app, lab, make_session,  # noqa: ANN001
                                                             make_registration):
    past = make_session(starts_at=utcnow() - timedelta(days=3))
    make_session(starts_at=utcnow() + timedelta(days=3), status="cancelled")  # does not count
    make_registration(past, status="attended")
    make_registration(past, status="no_show", stakeholder_type="business")
    with app.test_request_context():
        registered_, attended = pack.registrations(lab)
        assert attended.main and not registered_.main
        assert attended.counts == {"citizen": 1, "business": 0}
        make_session(starts_at=utcnow() + timedelta(days=10))  # one more to come
        registered_, attended = pack.registrations(lab)
        assert registered_.main and not attended.main


def test_nobody_checked_in_keeps_the_registrations(app, lab, make_session,  # noqa: ANN001
                                                   make_registration):
    make_registration(make_session(starts_at=utcnow() - timedelta(days=3)), status="no_show")
    with app.test_request_context():
        registered_, attended = pack.registrations(lab)
    assert registered_.main and attended.total == 0


# ---------------------------------------------------------------- the sessions


def test_the_sessions_table(app, lab, registered):  # noqa: ANN001
    with app.test_request_context(), force_locale("en"):
        (section,) = pack.sections(lab, packs.PackOptions(language="en"))
    assert section.part == "pack" and section.title == "Sessions"
    rows = section.context["rows"]
    assert [row.session.title_en for row in rows] == [
        "Walk along the route", "Winter workshop", "Cancelled webinar"]
    june, december, cancelled = rows
    assert (june.registered, june.waitlisted, june.attended) == (4, 1, 2)
    assert (december.registered, december.waitlisted, december.attended) == (4, 1, 1)
    assert (cancelled.registered, cancelled.waitlisted, cancelled.attended) == (0, 0, 0)
    totals = section.context["totals"]
    assert (totals.registered, totals.waitlisted, totals.attended) == (8, 2, 3)


def test_the_poster_leaves_out_cancelled_sessions(app, lab, registered):  # noqa: ANN001
    with app.test_request_context(), force_locale("en"):
        (section,) = pack.sections(lab, packs.PackOptions(document="poster", language="en"))
        assert pack.sections(lab, packs.PackOptions(document="cards")) == []
    assert section.part == "poster"
    assert [row.session.id for row in section.context["rows"]] == [
        registered["june"].id, registered["december"].id]
    assert [bar.figure for bar in section.context["chart"].rows] == ["2 / 4", "1 / 4"]


# ---------------------------------------------------------------- the documents


def test_the_pack_in_english_and_romanian(client, login_as, organiser, lab, registered):  # noqa: ANN001
    login_as(client, organiser)
    english = document(client, lab)
    assert english.status_code == 200
    text = english.get_data(as_text=True)
    for expected in ("Sessions", "Registered", "Attended", "Waitlisted", "Capacity",
                     "Winter workshop", "Walk along the route", "Cancelled webinar",
                     "10 December 2031, 10:00", "3 June 2031, 17:30", "Hybrid"):
        assert expected in text, expected
    # Aggregates only: nobody's name, e-mail or answers.
    for personal in ("Ioana", "ionescu@example.org", "@example.org", "Fără gluten",
                     "Asociația X", "Rampă de acces", "Organiser Olga"):
        assert personal not in text, personal
    romanian = document(client, lab, language="ro").get_data(as_text=True)
    for expected in ("Laboratorul viu al mobilității", "Atelier de iarnă",
                     "Plimbare pe traseu", "10 decembrie 2031, 10:00", "3 iunie 2031, 17:30"):
        assert expected in romanian, expected
    assert "Winter workshop" not in romanian


def test_the_pack_as_pdf_and_the_poster(client, login_as, organiser, lab, registered):  # noqa: ANN001
    login_as(client, organiser)
    pdf = document(client, lab, format="pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    words = pdf_text(pdf.data)
    for title in ("Winter workshop", "Walk along the route", "Cancelled webinar"):
        assert title in words, title
    assert "Ioana" not in words
    poster = document(client, lab, document="poster")
    assert poster.status_code == 200
    text = poster.get_data(as_text=True)
    assert "Winter workshop" in text and "Cancelled webinar" not in text
    poster_pdf = document(client, lab, document="poster", format="pdf")
    assert "Walk along the route" in pdf_text(poster_pdf.data)


def test_a_living_lab_without_sessions(client, login_as, organiser, lab):  # noqa: ANN001
    login_as(client, organiser)
    for name in ("pack", "poster"):
        text = document(client, lab, document=name).get_data(as_text=True)
        assert "This living lab has no sessions yet." in text


@pytest.mark.parametrize("name", ["pack", "poster"])
def test_a_constant_number_of_statements(app, lab, make_session, make_registration,  # noqa: ANN001
                                         count_queries, name):
    counted = []
    for size in (2, 12):
        for n in range(size):
            session = make_session(starts_at=utcnow() + timedelta(days=n + 1))
            for status in ("confirmed", "attended", "waitlisted"):
                make_registration(session, status=status,
                                  stakeholder_type=("citizen", "research")[n % 2])
        with app.test_request_context(), count_queries() as counter:
            packs.render(lab, packs.PackOptions(document=name, language="en"))
        counted.append(counter.n)
    assert counted[0] == counted[1]
