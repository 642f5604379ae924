"""Living labs in a real browser on a 360 × 740 phone, on the demo's Cluj-Napoca energy
communities living lab: a signed-in citizen registers for the last seat, gets the e-mail with
the calendar file (read from the mail folder) and adds the session to a calendar; a guest joins
the waitlist through the link in their e-mail; the citizen cancels and the guest is promoted —
their ticket now shows the online link; an organiser checks the guest in at the door by the
typed code. The same registration and cancellation work without JavaScript. axe-core finds no
serious or critical violation on any page on the way, and nothing scrolls sideways."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest

from tests.browser.conftest import _context
from tests.browser.test_pages import _assert_clean, _log_in

pytestmark = pytest.mark.browser

LAB = "/cluj-napoca/p/comunitati-energetice"
MANAGE = "/cluj-napoca/manage/processes/comunitati-energetice/livinglab"
ONLINE = "https://meet.example.org/door-test"


def _new_session(live_server, title: str, capacity: int = 1) -> int:  # noqa: ANN001
    """A hybrid session of the demo living lab starting in an hour (so the door is open)."""
    from sqlalchemy import select

    from engage.core.db import utcnow
    from engage.extensions import db
    from engage.livinglabs.models import LabSession
    from engage.processes.models import Process

    with live_server.app.app_context():
        process = db.session.scalars(
            select(Process).where(Process.slug == "comunitati-energetice")).one()
        start = utcnow() + timedelta(hours=1)
        session = LabSession(
            process_id=process.id, title_ro=title, title_en=title,
            description_ro="Sesiune de probă.", description_en="A trial session.",
            format="hybrid", address="Str. Moților 3, Cluj-Napoca", online_url=ONLINE,
            starts_at=start, ends_at=start + timedelta(hours=2), capacity=capacity)
        db.session.add(session)
        db.session.commit()
        session_id = session.id
        db.session.remove()
    return session_id


def _mails(mail_dir: Path, recipient: str, subject_part: str,
           timeout: float = 5.0) -> list[Message]:
    """The messages to `recipient` whose subject contains `subject_part` (waiting for the
    outbox to be delivered to the folder)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for path in sorted(mail_dir.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == recipient and subject_part in str(message["Subject"]):
                found.append(message)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _text_and_calendar(message: Message) -> tuple[str, str | None]:
    text, calendar = "", None
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            text += part.get_content()
        elif part.get_content_type() == "text/calendar":
            calendar = part.get_content()
    return text, calendar


def test_register_mail_calendar_cancel_promotion_and_check_in(page, browser, live_server):
    base = live_server.url
    mail_dir = Path(live_server.app.config["MAIL_DIRECTORY"])
    title = f"Atelier de probă {uuid.uuid4().hex[:6]}"
    session_id = _new_session(live_server, title)
    session_url = f"{base}{LAB}/sessions/{session_id}"

    # A signed-in citizen takes the only seat.
    _log_in(page, base, "citizen@engage.test")
    page.goto(session_url)
    assert page.get_by_role("heading", name=title).is_visible()
    assert ONLINE not in page.content()  # never on the public page
    _assert_clean(page)
    page.locator(f"main a[href$='/sessions/{session_id}/register']").first.click()
    page.wait_for_url(re.compile(r"/register$"))
    assert page.locator("input[name=name]").input_value() == "Alex Morgan"  # from the profile
    _assert_clean(page)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/registrations/[^/]+$"))
    assert "confirmed" in page.locator("main").inner_text().lower()
    assert page.locator("main svg.ticket-qr").count() == 1
    assert ONLINE in page.content()  # a seat shows the online link
    _assert_clean(page)
    citizen_ticket = page.url

    # The e-mail, with the calendar file; and "add to calendar" from the ticket.
    (mail,) = _mails(mail_dir, "citizen@engage.test", title)
    text, calendar = _text_and_calendar(mail)
    assert citizen_ticket.split("/registrations/")[1] in text
    assert calendar is not None and "METHOD:REQUEST" in calendar
    assert f"lab-session-{session_id}@engage" in calendar
    ics_link = page.locator("main a[href$='calendar.ics']").first.get_attribute("href")
    answer = page.request.get(base + ics_link)
    assert answer.ok and answer.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in answer.text() and ONLINE in answer.text()

    # A guest, on another phone, joins the waitlist through the link in their e-mail.
    guest_context = _context(browser)
    guest_context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    guest = guest_context.new_page()
    guest_email = f"guest.{uuid.uuid4().hex[:8]}@example.org"
    guest.goto(session_url + "/register")
    guest.fill("input[name=name]", "Radu Guest")
    guest.fill("input[name=email]", guest_email)
    guest.select_option("select[name=stakeholder_type]", "civil_society")
    _assert_clean(guest)
    guest.locator("main form button[type=submit]").last.click()
    guest.wait_for_load_state()
    _assert_clean(guest)
    (confirm_mail,) = _mails(mail_dir, guest_email, title)
    link = re.search(r"https?://\S+/registrations/confirm/\S+",
                     _text_and_calendar(confirm_mail)[0]).group(0)
    guest.goto(link)
    guest.wait_for_url(re.compile(r"/registrations/[^/]+$"))
    assert "waitlist" in guest.locator("main").inner_text().lower()
    assert ONLINE not in guest.content()  # not for the waitlist
    _assert_clean(guest)

    # The citizen cancels; the guest is promoted in the same step.
    page.goto(citizen_ticket)
    page.locator("main form[action$='/cancel'] button").click()
    page.wait_for_load_state()
    assert "cancel" in page.locator("main").inner_text().lower()
    _assert_clean(page)
    guest.reload()
    assert ONLINE in guest.content()
    assert "confirmed" in guest.locator("main").inner_text().lower()
    code = guest.locator("main figure.ticket code").first.inner_text().strip()
    _assert_clean(guest)
    assert _mails(mail_dir, guest_email, "freed up")  # told by e-mail
    guest_context.close()

    # At the door an organiser types the guest's code.
    door_context = _context(browser)
    door = door_context.new_page()
    _log_in(door, base, "organiser@engage.test")
    door.goto(f"{base}{MANAGE}/sessions/{session_id}/check-in")
    _assert_clean(door)
    door.fill("#ticket", code.lower())
    door.locator("#checkin-ticket-form button[type=submit]").click()
    door.wait_for_selector("text=Radu Guest")
    assert "Radu Guest" in door.locator("#checkin-result").inner_text()
    _assert_clean(door)
    door_context.close()

    from engage.extensions import db
    from engage.livinglabs.models import Registration

    with live_server.app.app_context():
        statuses = sorted(r.status for r in db.session.query(Registration)
                          .filter_by(session_id=session_id))
        db.session.remove()
    assert statuses == ["attended", "cancelled"]


def test_register_and_cancel_without_javascript(page_without_js, live_server):
    page = page_without_js
    base = live_server.url
    title = f"Atelier fără JavaScript {uuid.uuid4().hex[:6]}"
    session_id = _new_session(live_server, title, capacity=5)
    _log_in(page, base, "cetatean@engage.test")
    page.goto(f"{base}{LAB}/sessions/{session_id}/register")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/registrations/[^/]+$"))
    assert page.locator("main svg.ticket-qr").count() == 1
    page.locator("main form[action$='/cancel'] button").click()
    page.wait_for_load_state()
    page.goto(f"{base}/account/sessions")
    assert title in page.locator("main").inner_text()


@pytest.mark.parametrize("language", ["ro", "en"])
def test_public_pages(page, live_server, language):
    base = live_server.url
    page.context.add_cookies([{"name": "lang", "value": language, "url": base}])
    page.goto(base + LAB + "/sessions")
    _assert_clean(page)
    sessions = page.locator("main a[href*='/sessions/']")
    paths = {sessions.nth(n).get_attribute("href") for n in range(sessions.count())}
    paths = sorted(p for p in paths if re.search(r"/sessions/\d+$", p))
    assert len(paths) >= 5
    # The past session (outcome, attendance chart) and an upcoming one with a form.
    for path in (paths[0], paths[-1]):
        assert page.goto(base + path).status == 200, path
        _assert_clean(page)


def test_organiser_pages(page, live_server):
    """Each kind of organisers' page once: a session's own pages from its navigation."""
    base = live_server.url
    _log_in(page, base, "organiser@engage.test")
    page.goto(base + MANAGE + "/sessions")
    _assert_clean(page)
    attendees = page.locator(f"main a[href^='{MANAGE}/sessions/'][href$='/attendees']").first
    page.goto(base + attendees.get_attribute("href"))
    _assert_clean(page)
    links = page.locator(f"nav a[href^='{MANAGE}'], nav a[href*='/check-in']")
    targets = sorted({links.nth(n).get_attribute("href") for n in range(links.count())})
    assert any(t.endswith("/outcome") for t in targets)
    for target in targets:
        response = page.goto(base + target)
        assert response.status == 200, target
        _assert_clean(page)
