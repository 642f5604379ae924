"""The synthesis's part of people's own data (see `core.owndata`): the pledges a person signed
for an organisation and the progress they reported.

A pledge is the organisation's public commitment, so it stays when the signer deletes their
account; the signer's name and role on it are erased, and it points to the anonymised account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engage.core import owndata
from engage.core.owndata import iso
from engage.extensions import db
from engage.synthesis.models import Pledge, PledgeProgress


def collect(user: Any) -> dict[str, Any]:
    pledges = db.session.scalars(
        select(Pledge).where(Pledge.signed_by_id == user.id).order_by(Pledge.id)).all()
    progress = db.session.scalars(
        select(PledgeProgress).where(PledgeProgress.reported_by_id == user.id)
        .order_by(PledgeProgress.id)).all()
    return {
        "pledges": [{
            "id": pledge.id, "organisation": pledge.organisation, "level": pledge.level,
            "commitment": pledge.commitment, "signatory_name": pledge.signatory_name,
            "signatory_role": pledge.signatory_role, "status": pledge.status,
            "created_at": iso(pledge.created_at),
        } for pledge in pledges],
        "pledge_progress": [{
            "pledge_id": row.pledge_id, "percent": row.percent, "text": row.text,
            "reported_at": iso(row.reported_at),
        } for row in progress],
    }


def erase(user: Any, keep: bool) -> None:
    for pledge in db.session.scalars(select(Pledge).where(Pledge.signed_by_id == user.id)):
        pledge.signatory_name = ""
        pledge.signatory_role = ""
    db.session.flush()


owndata.register("pledges", collect, erase)
