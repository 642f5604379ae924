"""The append-only audit trail of moderation decisions: who did what to which object, when, why.

Rows are only ever inserted, through `record()`; nothing in the application updates or deletes
them (a wrong decision is undone by a new decision, which is recorded in turn), so the table is
the city's reliable account of its moderation. The target is named by type and id rather than by
a foreign key, so any kind's object can be audited and a record outlives the object it concerns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engage.core.db import utcnow
from engage.extensions import db

ACTION_MAX = 40
TARGET_TYPE_MAX = 30


class ModerationAction(db.Model):
    """One moderation decision. Append-only: never updated, never deleted."""

    __tablename__ = "moderation_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    city_id: Mapped[int | None] = mapped_column(
        ForeignKey("city.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(ACTION_MAX))
    target_type: Mapped[str] = mapped_column(String(TARGET_TYPE_MAX))
    target_id: Mapped[int] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<ModerationAction {self.id} {self.action} {self.target_type}:{self.target_id}>"


def record(actor: Any, action: str, target_type: str, target_id: int, city_id: int | None,
           reason: str = "") -> ModerationAction:
    """Append one decision to the audit trail (flushed, not committed: it is written together
    with the change it records, or not at all)."""
    entry = ModerationAction(
        actor_id=getattr(actor, "id", None),
        city_id=city_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=(reason or "").strip(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry
