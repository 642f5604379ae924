"""The append-only audit trail of moderation decisions: who did what to which object, when, why.

Rows are only ever inserted, through `record()`; nothing in the application updates or deletes
them (a wrong decision is undone by a new decision, which is recorded in turn), so the table is
the city's reliable account of its moderation. The target is named by type and id rather than by
a foreign key, so any kind's object can be audited and a record outlives the object it concerns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engage.core.db import utcnow
from engage.extensions import db

ACTION_MAX = 40
TARGET_TYPE_MAX = 30

# Why a moderator decided, from a list (with free text beside it): the author is shown both.
REASONS = {
    "spam": _l("Spam or advertising"),
    "offensive": _l("Offensive or abusive"),
    "personal_data": _l("Reveals personal data"),
    "off_topic": _l("Off topic"),
    "duplicate": _l("Duplicate of other input"),
    "illegal": _l("Unlawful content"),
    "other": _l("Other reason"),
    # Set by the automatic flags only: hidden until a moderator decides.
    "reported": _l("Reported by several people: hidden until a moderator looks at it"),
}


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
    # The input's spine row when the target is citizen input, so one item's history reads
    # every decision about it whichever page it was taken on; no foreign key: the record
    # outlives the input.
    contribution_id: Mapped[int | None] = mapped_column(index=True)
    reason_code: Mapped[str] = mapped_column(String(30), default="", server_default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # The moderation status before and after the decision ("" when it changed none).
    status_before: Mapped[str] = mapped_column(String(20), default="", server_default="")
    status_after: Mapped[str] = mapped_column(String(20), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def reason_shown(self) -> str:
        """The reason as the author reads it: the listed reason and the moderator's words."""
        label = str(REASONS[self.reason_code]) if self.reason_code in REASONS else ""
        if label and self.reason:
            return f"{label}: {self.reason}"
        return label or self.reason

    def __repr__(self) -> str:
        return f"<ModerationAction {self.id} {self.action} {self.target_type}:{self.target_id}>"


def record(actor: Any, action: str, target_type: str, target_id: int, city_id: int | None,
           reason: str = "", *, contribution_id: int | None = None, reason_code: str = "",
           before: str = "", after: str = "") -> ModerationAction:
    """Append one decision to the audit trail (flushed, not committed: it is written together
    with the change it records, or not at all). `actor` None is the system (an automatic
    flag); `before`/`after` are the input's moderation status around the decision."""
    entry = ModerationAction(
        actor_id=getattr(actor, "id", None),
        city_id=city_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        contribution_id=contribution_id,
        reason_code=reason_code or "",
        reason=(reason or "").strip(),
        status_before=before or "",
        status_after=after or "",
    )
    db.session.add(entry)
    db.session.flush()
    return entry
