"""Named predicates about people and living labs: `(user, process)` or `(user, session)`.

The city's organisers (and admins) run the living lab: sessions, attendee lists with the
answers people gave (personal data), exports, messages and outcomes. Its moderators help at the
door: they check people in and see who is registered, but not the answers. Anyone may register
for a session whose registration is open — with an account, or as a guest by e-mail.
"""

from __future__ import annotations

from typing import Any

from engage.cities.permissions import is_city_organiser, is_city_staff
from engage.processes.models import Process
from engage.processes.permissions import can_view_process


def _is_lab(process: Any) -> bool:
    return isinstance(process, Process) and process.kind == "livinglab"


def can_manage_lab(user: Any, process: Any) -> bool:
    """Create, edit, cancel sessions; see attendee lists with answers; export; message."""
    return _is_lab(process) and is_city_organiser(user, process.city)


def can_see_personal_data(user: Any, process: Any) -> bool:
    """The registration answers (dietary, accessibility needs…) and the personal-data export:
    the city's organisers only."""
    return can_manage_lab(user, process)


def can_check_in(user: Any, process: Any) -> bool:
    """Check people in at the door and add walk-ins: the city's organisers and moderators."""
    return _is_lab(process) and is_city_staff(user, process.city)


def can_view_session(user: Any, session: Any) -> bool:
    """A session is public when its process is; drafts only for the city's staff."""
    return session is not None and can_view_process(user, session.process)


def can_register(user: Any, session: Any) -> bool:
    """Registration is open to everyone (guests too) while the session takes registrations."""
    return (can_view_session(user, session) and _is_lab(session.process)
            and session.registration_phase == "open")
