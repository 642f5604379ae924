"""The processes' part of people's own data (see `core.owndata`): the reports a person made
about other people's input. On deletion the report stays for the moderators, without its
author and without the note (free text that may name the reporter)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engage.core import owndata
from engage.core.owndata import iso
from engage.extensions import db
from engage.processes.models import Report


def collect(user: Any) -> dict[str, Any]:
    reports = db.session.scalars(
        select(Report).where(Report.reporter_id == user.id).order_by(Report.id)).all()
    return {"reports": [{
        "id": report.id, "contribution_id": report.contribution_id, "reason": report.reason,
        "note": report.note, "created_at": iso(report.created_at),
    } for report in reports]}


def erase(user: Any, keep: bool) -> None:
    for report in db.session.scalars(select(Report).where(Report.reporter_id == user.id)):
        report.reporter_id = None
        report.note = ""
    db.session.flush()


owndata.register("reports", collect, erase)
