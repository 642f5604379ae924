"""What a living lab adds to its workshop pack (`engage.exports.packs`): the registrations by
stakeholder type, and its sessions with their figures.

- Participation, from `stats.process_mix` (the figures the public attendance block shows): the
  registrations by the stakeholder type each one carries (guests' and walk-ins' included),
  "Registered" (every active registration: pending confirmation, confirmed, waitlisted,
  attended, did not come) and "Attended" (checked in at the door, walk-ins included). One person
  registered for three sessions counts three times: a pack counts places taken, as the
  sessions' own figures do. The main figure (the chart's and the cover's) is "Attended" once the
  living lab's sessions are over — every scheduled session has ended and somebody was checked
  in — and "Registered" before that, when attendance says nothing yet.
- The "Sessions" section of the pack: a table of the sessions (title, start and end in
  Romania's time, format, capacity, registered, waitlisted, attended), cancelled ones marked.
  Aggregates only: no name, no e-mail, no answer to a session's questions (organisation,
  dietary or accessibility needs, photo consent).
- The poster: the sessions that were not cancelled, each with its attendance against its
  registrations.

A fixed number of statements whatever the number of sessions or registrations: two for the
participation (the mix, and whether the sessions are over), two for the section (the sessions,
and their registrations counted by session and status).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.core import charts
from engage.core.db import utcnow
from engage.core.i18n import localized
from engage.exports import packs
from engage.exports.packs import PackOptions, Participation, Section
from engage.extensions import db
from engage.livinglabs import stats
from engage.livinglabs.models import ACTIVE_STATUSES, LabSession, Registration
from engage.processes.models import Process

KIND = "livinglab"


def sessions_over(process: Process) -> bool:
    """Whether the living lab has scheduled sessions and all of them have ended (one
    statement)."""
    scheduled, pending = db.session.execute(
        select(func.count(), func.count().filter(LabSession.ends_at > utcnow()))
        .where(LabSession.process_id == process.id, LabSession.status == "scheduled")
    ).one()
    return bool(scheduled) and not pending


def registrations(process: Process) -> list[Participation]:
    """Registered and attended, by stakeholder type (two statements)."""
    mix = stats.process_mix(process)
    registered = Participation(_("Registered"),
                               {group.key: group.registered for group in mix.groups})
    attended = Participation(_("Attended"), {group.key: group.attended for group in mix.groups})
    if attended.total and sessions_over(process):
        attended.main = True
    else:
        registered.main = True
    return [registered, attended]


@dataclass
class SessionRow:
    """One session's figures (registrations counted by status; nothing about a person)."""

    session: LabSession | None  # None: the totals of every session
    registered: int = 0  # active registrations, the waitlisted included
    waitlisted: int = 0
    attended: int = 0


def session_rows(process: Process) -> list[SessionRow]:
    """The living lab's sessions in time order with their figures (two statements)."""
    rows = [SessionRow(session) for session in db.session.scalars(
        select(LabSession).where(LabSession.process_id == process.id)
        .order_by(LabSession.starts_at, LabSession.id))]
    by_id = {row.session.id: row for row in rows}
    for session_id, status, number in db.session.execute(
        select(Registration.session_id, Registration.status, func.count())
        .where(Registration.process_id == process.id,
               Registration.status.in_(ACTIVE_STATUSES))
        .group_by(Registration.session_id, Registration.status)
    ):
        row = by_id.get(session_id)
        if row is None:
            continue
        row.registered += int(number)
        if status == "waitlisted":
            row.waitlisted += int(number)
        elif status == "attended":
            row.attended += int(number)
    return rows


def attendance_chart(rows: list[SessionRow]) -> charts.StackedChart:
    """Per session one bar: attended, then registered but not (yet) attended."""
    return charts.stacked_chart([
        (localized(row.session, "title").text,
         [row.attended, max(row.registered - row.attended, 0)],
         f"{row.attended} / {row.registered}") for row in rows])


def sections(process: Process, options: PackOptions) -> list[Section]:
    if options.document not in ("pack", "poster"):
        return []
    rows = session_rows(process)
    if options.document == "poster":
        held = [row for row in rows if not row.session.is_cancelled]
        context = {"rows": held, "chart": attendance_chart(held) if held else None,
                   "legend": [_("Attended"), _("Registered, did not attend (yet)")]}
        return [Section("livinglab-sessions", _("Sessions"), "livinglabs/pack/poster.html",
                        context, order=20, part="poster")]
    totals = SessionRow(session=None)
    for row in rows:
        totals.registered += row.registered
        totals.waitlisted += row.waitlisted
        totals.attended += row.attended
    return [Section("livinglab-sessions", _("Sessions"), "livinglabs/pack/sessions.html",
                    {"rows": rows, "totals": totals}, order=20, part="pack")]


packs.register_participation(KIND, registrations)
packs.register(KIND, sections)
