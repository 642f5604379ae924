"""Named predicates about people and processes: `(user, process) -> bool`.

Views declare their access with `core.auth` decorators on the URL's city; these object-level
predicates then decide about the one process a view loaded (a draft nobody may see is a 404,
an edit somebody may not make is a 403).
"""

from __future__ import annotations

from typing import Any

from engage.cities.permissions import is_city_organiser, is_city_staff
from engage.processes.models import PUBLIC_STATUSES, Process


def can_view_process(user: Any, process: Process) -> bool:
    """Published, closed and archived processes are public; drafts only for the city's staff
    (organisers and moderators) and admins."""
    if process.status in PUBLIC_STATUSES:
        return True
    return is_city_staff(user, process.city)


def can_edit_process(user: Any, process: Process) -> bool:
    """Organisers of the process's city (and admins) edit it and change its status."""
    return is_city_organiser(user, process.city)
