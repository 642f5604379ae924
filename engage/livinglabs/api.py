"""A living lab's sessions in the read-only API (on the shared `/api/v1` blueprint): public
session data and the seats left, never personal data.

`GET /api/v1/processes/<id>/sessions?page=&per_page=` (`api.list_process_sessions`) →
`{"items": [{"id", "title": {"ro", "en"}, "description": {"ro", "en"}, "format", "language",
"lab_phase", "starts_at", "ends_at", "address", "place": {"lat", "lon"} | null, "capacity",
"seats_left", "registration": {"opens_at", "closes_at", "state"}, "stakeholder_groups",
"stakeholder_caps", "accessibility": {"step_free_access", "interpreting",
"notes": {"ro", "en"}}, "status", "url"}], "next": url | null, "total": n}`, by start time.
Times are ISO 8601 in UTC ("Z");
`registration.state` is upcoming, open, closed or cancelled; `status` is scheduled or
cancelled. Published, closed and archived living labs only: drafts, other kinds and unknown
ids are a JSON 404. Never in the data: who registered, their answers, or the online link
(it is for confirmed participants only). Four statements per page, whatever the number of
sessions.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from engage.api import openapi
from engage.api.blueprint import bp
from engage.api.http import last_modified, page_args, page_json
from engage.core.auth import public
from engage.core.pagination import paginate
from engage.extensions import db
from engage.livinglabs.models import SEATED_STATUSES, LabSession, Registration
from engage.processes.api import iso_utc
from engage.processes.models import Process

PER_PAGE = 50


def _both(obj: Any, name: str) -> dict[str, str]:
    return {language: getattr(obj, f"{name}_{language}", "") or "" for language in ("ro", "en")}


def session_json(session: LabSession, taken: int, city_slug: str,
                 process_slug: str) -> dict[str, Any]:
    has_place = session.lat is not None and session.lon is not None
    return {
        "id": session.id,
        "title": _both(session, "title"),
        "description": _both(session, "description"),
        "format": session.format,
        "language": session.language,
        "lab_phase": session.lab_phase,
        "starts_at": iso_utc(session.starts_at),
        "ends_at": iso_utc(session.ends_at),
        "address": session.address if session.is_in_person else "",
        "place": {"lat": session.lat, "lon": session.lon} if has_place else None,
        "capacity": session.capacity,
        "seats_left": max(session.capacity - taken, 0),
        "registration": {
            "opens_at": iso_utc(session.opens_registration_at),
            "closes_at": iso_utc(session.closes_registration_at),
            "state": session.registration_phase,
        },
        "stakeholder_groups": list(session.stakeholder_groups or ()),
        "stakeholder_caps": dict(session.stakeholder_caps or {}),
        "accessibility": {
            "step_free_access": bool(session.step_free_access),
            "interpreting": bool(session.interpreting),
            "notes": _both(session, "accessibility"),
        },
        "status": session.status,
        "url": url_for("livinglab.session_page", city_slug=city_slug,
                       process_slug=process_slug, session_id=session.id, _external=True),
    }


@bp.get("/processes/<int:process_id>/sessions")
@public
def list_process_sessions(process_id: int):  # noqa: ANN201
    process = db.session.scalars(
        select(Process).options(joinedload(Process.city)).where(Process.id == process_id)
    ).first()
    if process is None or process.kind != "livinglab" or not process.is_public:
        abort(404)
    # The sessions' process is joined in, so no session loads it again (registration state).
    statement = (select(LabSession).options(joinedload(LabSession.process))
                 .where(LabSession.process_id == process.id)
                 .order_by(LabSession.starts_at, LabSession.id))
    count = select(func.count()).select_from(LabSession).where(
        LabSession.process_id == process.id)
    number, per_page = page_args(PER_PAGE)
    page = paginate(statement, number, per_page, count=count)
    ids = [session.id for session in page.items]
    taken: dict[int, int] = {}
    if ids:
        # Seats taken and the latest change of the page's registrations, in one statement.
        for session_id, seated, changed in db.session.execute(
                select(Registration.session_id,
                       func.count().filter(Registration.status.in_(SEATED_STATUSES)),
                       func.max(Registration.updated_at))
                .where(Registration.session_id.in_(ids))
                .group_by(Registration.session_id)):
            taken[session_id] = seated
            last_modified(changed)
    last_modified(process.updated_at, *(session.updated_at for session in page.items))
    city_slug = process.city.slug
    return jsonify(page_json(
        [session_json(session, taken.get(session.id, 0), city_slug, process.slug)
         for session in page.items], number, per_page, page.total, ".list_process_sessions",
        process_id=process.id))


_BOTH = openapi.LOCALISED
SESSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "title", "description", "format", "language", "lab_phase", "starts_at",
                 "ends_at", "address", "place", "capacity", "seats_left", "registration",
                 "stakeholder_groups", "stakeholder_caps", "accessibility", "status", "url"],
    "properties": {
        "id": {"type": "integer"},
        "title": _BOTH,
        "description": _BOTH,
        "format": {"type": "string"},
        "language": {"type": ["string", "null"]},
        "lab_phase": {"type": ["string", "null"]},
        "starts_at": openapi.DATETIME,
        "ends_at": openapi.DATETIME,
        "address": {"type": ["string", "null"]},
        "place": openapi.PLACE,
        "capacity": {"type": "integer", "minimum": 0},
        "seats_left": {"type": "integer", "minimum": 0},
        "registration": {
            "type": "object", "required": ["opens_at", "closes_at", "state"],
            "properties": {"opens_at": openapi.DATETIME, "closes_at": openapi.DATETIME,
                           "state": {"type": "string",
                                     "enum": ["upcoming", "open", "closed", "cancelled"]}}},
        "stakeholder_groups": {"type": "array", "items": {"type": "string"}},
        "stakeholder_caps": {"type": "object",
                             "additionalProperties": {"type": ["integer", "null"]}},
        "accessibility": {
            "type": "object", "required": ["step_free_access", "interpreting", "notes"],
            "properties": {"step_free_access": {"type": "boolean"},
                           "interpreting": {"type": "boolean"}, "notes": _BOTH}},
        "status": {"type": "string", "enum": ["scheduled", "cancelled"]},
        "url": {"type": "string", "format": "uri"},
    },
}
openapi.declare(
    "/processes/{process_id}/sessions", operation_id="listLivingLabSessions",
    tag="livinglabs", schema=SESSION_SCHEMA, pages=True,
    summary="A living lab's sessions, with the seats left",
    description="By start time. Never who registered, their answers or the online link.",
    parameters=[openapi.path_parameter("process_id", "The process id.")])
