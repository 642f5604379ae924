"""iCalendar files: a session as an event — in a participant's confirmation (METHOD:REQUEST,
with the online link once they hold a seat), as a public download (METHOD:PUBLISH), as an
update that removes it (METHOD:CANCEL) — and a city's feed of public upcoming sessions, which
phone calendars can subscribe to.

Every version of one session's event shares its UID; `LabSession.ics_sequence` orders them, so
a calendar replaces the earlier version with a later one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from engage.core.db import utcnow
from engage.core.i18n import localized
from engage.livinglabs.models import LabSession, Registration

# icalendar (with dateutil and pytz, ~80 modules) is imported where a calendar is made, not with
# this module: most web workers never make one, and each worker's memory is budgeted.

PRODUCT_ID = "-//engage//living labs//RO"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def event_uid(session: LabSession) -> str:
    return f"lab-session-{session.id}@engage"


def session_url(session: LabSession) -> str:
    return url_for("livinglab.session_page", city_slug=session.process.city.slug,
                   process_slug=session.process.slug, session_id=session.id, _external=True)


def _event(session: LabSession, language: str, *, online_link: bool,
           cancelled: bool = False):  # noqa: ANN202 (an icalendar Event)
    from icalendar import Event

    event = Event()
    event.add("uid", event_uid(session))
    event.add("dtstamp", utcnow())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("sequence", session.ics_sequence)
    event.add("summary", localized(session, "title", language).text)
    url = session_url(session)
    event.add("url", url)
    lines = [localized(session, "description", language).text.strip(), url]
    if session.is_remote and session.online_url and online_link:
        lines.insert(1, session.online_url)
    event.add("description", "\n\n".join(line for line in lines if line))
    location = session.address if session.is_in_person else ""
    if session.is_remote and online_link and session.online_url and not location:
        location = session.online_url
    if location:
        event.add("location", location)
    if session.lat is not None and session.lon is not None:
        event.add("geo", (session.lat, session.lon))
    event.add("status", "CANCELLED" if cancelled or session.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _calendar(method: str | None, events: Iterable, name: str | None = None) -> str:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Europe/Bucharest")
        # Ask subscribing calendars to look again every few hours.
        calendar.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT6H")
    for event in events:
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def registration_ics(registration: Registration, *, cancel: bool = False) -> str:
    """The event for a registered person's own calendar: METHOD:REQUEST while they hold a seat
    or wait for one (the online link only with a seat), METHOD:CANCEL to remove it."""
    session = registration.session
    from icalendar import vCalAddress, vText

    event = _event(session, registration.language, online_link=registration.has_seat,
                   cancelled=cancel)
    organiser = vCalAddress(f"mailto:{current_app.config['MAIL_SENDER']}")
    organiser.params["cn"] = vText(localized(session.process.city, "name",
                                             registration.language).text)
    event.add("organizer", organiser)
    if registration.contact_email:
        attendee = vCalAddress(f"mailto:{registration.contact_email}")
        attendee.params["cn"] = vText(registration.name)
        attendee.params["partstat"] = "DECLINED" if cancel else "ACCEPTED"
        event.add("attendee", attendee)
    return _calendar("CANCEL" if cancel else "REQUEST", [event])


def registration_attachment(registration: Registration, *, cancel: bool = False) -> dict:
    """The `.ics` as an outbox attachment."""
    method = "CANCEL" if cancel else "REQUEST"
    return {"filename": "session.ics", "content_type": f"text/calendar; method={method}",
            "text": registration_ics(registration, cancel=cancel)}


def public_session_ics(session: LabSession, language: str) -> str:
    """A session as a public download: no online link, METHOD:PUBLISH."""
    return _calendar("PUBLISH", [_event(session, language, online_link=False)])


def city_feed(city, sessions: Iterable[LabSession], language: str) -> str:  # noqa: ANN001
    """A city's subscribable feed of public sessions (no online links)."""
    with force_locale(language):
        name = _("%(city)s: living-lab sessions", city=localized(city, "name", language).text)
    return _calendar("PUBLISH", (_event(s, language, online_link=False) for s in sessions),
                     name=name)
