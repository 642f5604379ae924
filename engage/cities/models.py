"""Cities (and the national hub), city roles and the hub's funding opportunities."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.accounts.models import User
from engage.cities.themes import theme_label
from engage.core.db import TimestampMixin, utcnow
from engage.extensions import db

CITY_KINDS = ("city", "hub")
ROLES = {"organiser": _l("Organiser"), "moderator": _l("Moderator")}

# City pages live at /<slug>/: these words are taken by the application's own pages.
RESERVED_SLUGS = frozenset(
    {"admin", "api", "account", "accounts", "static", "language", "login", "logout", "signup",
     "hub", "health", "healthz", "manage", "about", "help", "search", "funding", "media",
     "uploads", "vendor", "favicon.ico", "robots.txt"}
)


class City(TimestampMixin, db.Model):
    __tablename__ = "city"
    __table_args__ = (
        CheckConstraint("kind IN ('city', 'hub')", name="kind"),
        # There is one national hub: the database refuses a second one even when two admins
        # save at the same moment (a partial unique index, on SQLite and PostgreSQL alike).
        Index(
            "uq_city_single_hub",
            "kind",
            unique=True,
            sqlite_where=text("kind = 'hub'"),
            postgresql_where=text("kind = 'hub'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="city")
    name_ro: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    county: Mapped[str] = mapped_column(String(60), default="")
    is_mission_city: Mapped[bool] = mapped_column(default=False)
    description_ro: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    # How long guests' personal data (e-mail, name) is kept after their process closes, in
    # days; `flask purge` erases it afterwards.
    guest_data_retention_days: Mapped[int] = mapped_column(default=30)

    @property
    def is_hub(self) -> bool:
        return self.kind == "hub"

    def __repr__(self) -> str:
        return f"<City {self.slug}>"


class CityRole(db.Model):
    """A person's role in one city: organiser (runs processes) or moderator (reviews input)."""

    __tablename__ = "city_role"
    __table_args__ = (
        UniqueConstraint("user_id", "city_id", "role"),
        CheckConstraint("role IN ('organiser', 'moderator')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    city: Mapped[City] = relationship()

    @property
    def role_label(self) -> str:
        return str(ROLES.get(self.role, self.role))


class FundingCall(TimestampMixin, db.Model):
    """A funding opportunity listed on the hub (e.g. HORIZON-MISS-2024-CIT-01-01)."""

    __tablename__ = "funding_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title_ro: Mapped[str] = mapped_column(String(300), default="")
    title_en: Mapped[str] = mapped_column(String(300), default="")
    programme: Mapped[str] = mapped_column(String(120))
    deadline: Mapped[date]
    url: Mapped[str] = mapped_column(String(500))
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)

    @property
    def theme_labels(self) -> list[str]:
        return [theme_label(code) for code in self.themes or []]

    def __repr__(self) -> str:
        return f"<FundingCall {self.code}>"
