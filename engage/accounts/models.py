"""People: the User account."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from engage.core.db import TimestampMixin
from engage.extensions import db

STAKEHOLDER_TYPES = {
    "citizen": _l("Citizen"),
    "public_authority": _l("Public authority"),
    "research": _l("Research and academia"),
    "civil_society": _l("Civil society"),
    "business": _l("Business"),
    "other": _l("Other"),
}

EMAIL_MAX = 254
DISPLAY_NAME_MAX = 80
PASSWORD_MIN = 10
PASSWORD_MAX = 256


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; the unique constraint is what stops duplicates under concurrency.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(5), default="ro")
    stakeholder_type: Mapped[str] = mapped_column(String(30), default="citizen")
    email_verified_at: Mapped[datetime | None]
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Set when the person deleted their account: personal data erased, the row kept so that
    # what they chose to keep stays attributed to a "former participant".
    deleted_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.is_active_account

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def shown_name(self) -> str:
        """The name pages show for this person: a deleted account's stored name is a fixed
        placeholder, shown as "former participant" in the reader's language."""
        if self.deleted_at is not None:
            return str(_l("former participant"))
        return self.display_name

    @property
    def stakeholder_label(self) -> str:
        return str(STAKEHOLDER_TYPES.get(self.stakeholder_type, self.stakeholder_type))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
