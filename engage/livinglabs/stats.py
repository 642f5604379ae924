"""Attendance and stakeholder mix: how many registered, were confirmed, waited, came, did not
come or cancelled, and who by stakeholder type — for one session (`attendance_mix`) or every
session of a living lab (`process_mix`). Aggregates only, never a name: the figures are shown
publicly after a session (`templates/livinglabs/_attendance.html`) and feed the Mission's count
of engagement by group.

Each mix is read with one grouped query, whatever the number of registrations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from engage.accounts.models import STAKEHOLDER_TYPES
from engage.core import charts
from engage.extensions import db
from engage.livinglabs.models import ACTIVE_STATUSES, LabSession, Registration
from engage.processes.models import Process


@dataclass
class GroupMix:
    """One stakeholder type's figures."""

    key: str
    registered: int = 0  # active registrations
    attended: int = 0

    @property
    def label(self) -> str:
        return str(STAKEHOLDER_TYPES.get(self.key, self.key))


@dataclass
class AttendanceMix:
    """The figures of a session (or of a living lab's sessions together)."""

    registered: int = 0  # active: pending, confirmed, waitlisted, attended, no-show
    confirmed: int = 0
    waitlisted: int = 0
    attended: int = 0  # walk-ins included
    no_show: int = 0
    cancelled: int = 0
    cancelled_late: int = 0  # after the session started (included in `cancelled`)
    walk_ins: int = 0  # included in `attended`
    pending: int = 0
    groups: list[GroupMix] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.registered or self.cancelled)

    def group(self, key: str) -> GroupMix:
        for group in self.groups:
            if group.key == key:
                return group
        return GroupMix(key)

    def status_chart(self) -> charts.HBarChart:
        """Totals by status as horizontal bars, against the largest."""
        return charts.hbar_chart([(label, value, str(value))
                                  for label, value in self.status_rows()], None)

    def status_rows(self) -> list[tuple[str, int]]:
        return [(_("Registered"), self.registered), (_("Confirmed"), self.confirmed),
                (_("Waitlisted"), self.waitlisted), (_("Attended"), self.attended),
                (_("Did not come"), self.no_show), (_("Cancelled"), self.cancelled)]

    def group_chart(self) -> charts.StackedChart:
        """Per stakeholder type, one bar: attended, then registered but not (yet) attended."""
        return charts.stacked_chart([
            (group.label, [group.attended, max(group.registered - group.attended, 0)],
             f"{group.attended} / {group.registered}")
            for group in self.groups])

    def group_legend(self) -> list[str]:
        return [_("Attended"), _("Registered, did not attend (yet)")]


def _mix(condition: Any) -> AttendanceMix:
    rows = db.session.execute(
        select(Registration.stakeholder_type, Registration.status, Registration.channel,
               Registration.cancelled_late, func.count())
        .where(condition)
        .group_by(Registration.stakeholder_type, Registration.status, Registration.channel,
                  Registration.cancelled_late)
    ).all()
    mix = AttendanceMix()
    groups: dict[str, GroupMix] = {}
    for group_key, status, channel, late, number in rows:
        number = int(number)
        if status in ACTIVE_STATUSES:
            mix.registered += number
            group = groups.setdefault(group_key, GroupMix(group_key))
            group.registered += number
            if status == "attended":
                group.attended += number
        if status == "confirmed":
            mix.confirmed += number
        elif status == "waitlisted":
            mix.waitlisted += number
        elif status == "attended":
            mix.attended += number
            if channel == "walk_in":
                mix.walk_ins += number
        elif status == "no_show":
            mix.no_show += number
        elif status == "pending":
            mix.pending += number
        elif status == "cancelled":
            mix.cancelled += number
            if late:
                mix.cancelled_late += number
    order = list(STAKEHOLDER_TYPES)
    mix.groups = sorted(groups.values(), key=lambda g: (
        order.index(g.key) if g.key in order else len(order), g.key))
    return mix


def attendance_mix(session: LabSession) -> AttendanceMix:
    """The figures of one session (one query)."""
    return _mix(Registration.session_id == session.id)


def process_mix(process: Process) -> AttendanceMix:
    """The figures of every session of a living lab together (one query)."""
    return _mix(Registration.process_id == process.id)
