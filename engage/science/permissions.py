"""Named predicates about people and citizen-science campaigns: `(user, process) -> bool`.

The city's organisers (and admins) define a campaign's protocol; its moderators, admins and the
organisers named as the campaign's verifiers check observations and see their true locations;
any signed-in person may observe while a science campaign is open.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import select

from engage.cities.permissions import is_city_organiser, roles_of
from engage.extensions import db
from engage.processes.models import Process
from engage.science.models import Verifier


def _signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated)


def _is_science(process: Any) -> bool:
    return isinstance(process, Process) and process.kind == "science"


def can_manage_protocol(user: Any, process: Any) -> bool:
    """The city's organisers and admins define the campaign's protocol and settings."""
    return _is_science(process) and is_city_organiser(user, process.city)


def is_verifier(user: Any, process: Any) -> bool:
    """Named as one of the campaign's verifiers (read once per request)."""
    if not _signed_in(user) or process is None:
        return False
    cache_key = f"_science_verifier_{user.id}_{process.id}"
    if has_request_context() and cache_key in g:
        return g.get(cache_key)
    named = db.session.scalar(
        select(Verifier.user_id).where(Verifier.process_id == process.id,
                                       Verifier.user_id == user.id)) is not None
    if has_request_context():
        setattr(g, cache_key, named)
    return named


def can_verify(user: Any, process: Any) -> bool:
    """The city's moderators and admins, and the organisers named as this campaign's
    verifiers (an organiser not named may not: verifying is a distinct duty)."""
    if not _signed_in(user) or not _is_science(process):
        return False
    if getattr(user, "is_admin", False):
        return True
    roles = roles_of(user).get(process.city_id, set())
    if "moderator" in roles:
        return True
    return "organiser" in roles and is_verifier(user, process)


def can_see_true_location(user: Any, process: Any) -> bool:
    """Only those who verify see where an observation really was."""
    return can_verify(user, process)


def can_observe(user: Any, process: Any) -> bool:
    """Signed-in people, while the science campaign is open."""
    return _signed_in(user) and _is_science(process) and bool(process.is_open)
