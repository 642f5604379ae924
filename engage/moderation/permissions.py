"""Named predicates of the moderation desk: `(user, city)`.

A city's moderators (and its organisers, who answer for the city's processes) decide about its
input; admins about every city's. Nobody decides about another city's input: the desk's queries
are city-scoped and every decision checks the input's own city.
"""

from __future__ import annotations

from typing import Any

from engage.cities.permissions import can_moderate


def can_use_desk(user: Any, city: Any) -> bool:
    """See the city's queue and decide about its input."""
    return can_moderate(user, city)


def can_manage_flags(user: Any, city: Any) -> bool:
    """Change the city's automatic flags and blocked terms: its moderators and organisers."""
    return can_moderate(user, city)
