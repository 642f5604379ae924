"""Citizen-science campaigns: a *science* process's protocol (its settings and ordered fields),
the observations citizens send from the field, their values and photos, and who verifies them.

Settings (`ScienceSettings`, one row per process, created with the defaults on first save):
instructions (ro/en Markdown), the data set's licence and metadata (published with every
export), the location rules (required by default, a minimum GPS accuracy in metres, an optional
area: a GeoJSON Polygon in WGS 84 `[lon, lat]` order — a box is stored as its polygon), and the
public precision of locations. `pseudonym_key` makes each observer's stable pseudonymous id for
this campaign (`observer-` + an HMAC of the user id): public data never names anyone.

Fields (`Field`, ordered by `position`) have a type from FIELD_TYPES, ro/en label and help,
`required`, and type settings (`settings`, JSON):
- number: `unit_ro`, `unit_en`, `min`, `max` (refused outside), `decimals` (0–6),
  `expected_min`, `expected_max` (accepted but flagged "out of range" outside);
- count: `max` (optional), `expected_max`; the value is a whole number ≥ 0;
- single, multiple: options are `FieldOption` rows (stable ids; deactivated, never deleted once
  used); multiple may have `min`/`max` selections;
- yes_no: no settings; text: `max_length` (≤ TEXT_MAX); datetime: none;
- photo: `max_photos` (1–MAX_PHOTOS); `required` means at least one.
The location is not a field: it is the observation's own columns, ruled by the settings.
Once a campaign has observations a field's type cannot change and fields and options are never
deleted, only deactivated (`active`), so every stored value keeps its meaning.

Observations keep the true location (`lat`, `lon`, with `accuracy_m` and `location_source`) apart
from the public one (`public_lat`, `public_lon`: the true one rounded to the campaign's public
precision, recomputed when the precision changes); only the city's moderators and verifiers see
the true one. `client_id` is generated on the device (a UUID), so a resent queued observation is
stored once (unique per process and observer). `status` is the verification status (pending,
accepted, needs_checking, rejected) with the `reason` the observer sees; `flags` lists the
automatic quality flags (FLAGS). The observation's free text (its text fields) is also its
Contribution (kind "observation"), so moderation, synthesis and own-data downloads see it; a
hidden or rejected contribution hides the observation from the public like a rejected one.

Values are rows (`ObservationValue`), one per number/count/yes-no/text/datetime value and one
per chosen option, so charts, histograms and value filters are plain SQL over both databases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engage.core.db import TimestampMixin, sql_values, utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Process, ProcessScoped

TEXT_MAX = 500  # labels
HELP_MAX = 2000
NOTE_MAX = 2000  # a text field's value
MAX_PHOTOS = 5
MAX_FIELDS = 40
MAX_OPTIONS = 40

FIELD_TYPES = {
    "number": _l("Number"),
    "count": _l("Count"),
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "yes_no": _l("Yes / no"),
    "text": _l("Short text"),
    "datetime": _l("Date and time"),
    "photo": _l("Photo"),
}
CHOICE_TYPES = ("single", "multiple")

LICENCES = {
    "CC-BY-4.0": _l("Creative Commons Attribution 4.0 (CC BY 4.0)"),
    "CC0-1.0": _l("Public domain dedication (CC0 1.0)"),
}
LICENCE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}
# Public precision of locations, as the number of decimals of the rounded coordinates
# (0.001° of latitude ≈ 111 m, 0.01° ≈ 1.1 km; longitudes are closer together in Romania).
PRECISIONS = {
    "exact": _l("Exact"),
    "100m": _l("About 100 m"),
    "1km": _l("About 1 km"),
}
PRECISION_DECIMALS = {"exact": None, "100m": 3, "1km": 2}

STATUSES = {
    "pending": _l("Not checked yet"),
    "accepted": _l("Accepted"),
    "needs_checking": _l("Needs checking"),
    "rejected": _l("Rejected"),
}
LOCATION_SOURCES = {
    "gps": _l("Phone location"),
    "map": _l("Picked on the map"),
    "typed": _l("Typed coordinates"),
    "photo": _l("From the photo"),
}
FLAGS = {
    "out_of_range": _l("A value is outside the expected range"),
    "outside_area": _l("Outside the campaign's area"),
    "low_accuracy": _l("Location less accurate than required"),
    "duplicate_photo": _l("The same photo was sent before"),
    "burst": _l("Many observations from one account in a short time"),
    "no_location": _l("No location"),
}


class ScienceSettings(ProcessScoped, db.Model):
    __tablename__ = "science_settings"
    __table_args__ = (
        CheckConstraint(f"licence IN ({sql_values(LICENCES)})", name="licence"),
        CheckConstraint(f"public_precision IN ({sql_values(PRECISIONS)})",
                        name="public_precision"),
        CheckConstraint("min_accuracy_m IS NULL OR min_accuracy_m > 0", name="min_accuracy"),
    )

    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True
    )
    instructions_ro: Mapped[str] = mapped_column(Text, default="")
    instructions_en: Mapped[str] = mapped_column(Text, default="")
    licence: Mapped[str] = mapped_column(String(20), default="CC-BY-4.0")
    dataset_title_ro: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    dataset_title_en: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    dataset_description_ro: Mapped[str] = mapped_column(Text, default="")
    dataset_description_en: Mapped[str] = mapped_column(Text, default="")
    rights_holder: Mapped[str] = mapped_column(String(200), default="")  # the organiser
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    method_ro: Mapped[str] = mapped_column(Text, default="")  # how observations are made
    method_en: Mapped[str] = mapped_column(Text, default="")
    location_required: Mapped[bool] = mapped_column(Boolean, default=True)
    min_accuracy_m: Mapped[int | None] = mapped_column()
    area: Mapped[dict | None] = mapped_column(JSON)  # a GeoJSON Polygon, [lon, lat]
    public_precision: Mapped[str] = mapped_column(String(10), default="100m")
    # More than burst_count observations by one account within burst_minutes: flagged.
    burst_count: Mapped[int] = mapped_column(default=20)
    burst_minutes: Mapped[int] = mapped_column(default=10)
    pseudonym_key: Mapped[str] = mapped_column(String(64), default="")
    # Raised by every committed change the public map and charts show (see services).
    data_version: Mapped[int] = mapped_column(default=0, server_default="0")
    data_changed_at: Mapped[datetime | None]  # when data_version was last raised

    process: Mapped[Process] = relationship()


class Verifier(ProcessScoped, db.Model):
    """An organiser named to verify a campaign's observations (the city's moderators may
    anyway)."""

    __tablename__ = "science_verifier"

    process_id: Mapped[int] = mapped_column(
        ForeignKey("process.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Field(ProcessScoped, db.Model):
    __tablename__ = "science_field"
    __table_args__ = (
        CheckConstraint(f"type IN ({sql_values(FIELD_TYPES)})", name="type"),
        Index("ix_science_field_order", "process_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    type: Mapped[str] = mapped_column(String(20))
    label_ro: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    label_en: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    help_ro: Mapped[str] = mapped_column(Text, default="")
    help_en: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    process: Mapped[Process] = relationship()
    options: Mapped[list[FieldOption]] = relationship(
        back_populates="field", order_by="FieldOption.position", cascade="all, delete-orphan"
    )

    @property
    def choices(self) -> list[FieldOption]:
        """The active options, in order."""
        return [option for option in self.options if option.active]


class FieldOption(db.Model):
    __tablename__ = "science_field_option"
    __table_args__ = (Index("ix_science_field_option_order", "field_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("science_field.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    label_ro: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    label_en: Mapped[str] = mapped_column(String(TEXT_MAX), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    field: Mapped[Field] = relationship(back_populates="options")

    @classmethod
    def city_scope(cls, city: Any):  # noqa: ANN206
        return cls.field_id.in_(select(Field.id).where(Field.city_scope(city)))


class Observation(TimestampMixin, db.Model):
    __tablename__ = "science_observation"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_values(STATUSES)})", name="status"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon"),
        UniqueConstraint("process_id", "user_id", "client_id"),
        # The map's bounding-box query: a process's observations of one status in a box.
        Index("ix_science_observation_map", "process_id", "status", "public_lat",
              "public_lon"),
        Index("ix_science_observation_time", "process_id", "observed_at"),
        Index("ix_science_observation_user", "user_id", "process_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contribution.id", ondelete="CASCADE"), unique=True
    )
    client_id: Mapped[str] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str | None] = mapped_column(String(10))
    public_lat: Mapped[float | None] = mapped_column(Float)
    public_lon: Mapped[float | None] = mapped_column(Float)
    in_area: Mapped[bool | None] = mapped_column(Boolean)
    observed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    verified_at: Mapped[datetime | None] = mapped_column()
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(5), default="ro")

    process: Mapped[Process] = relationship()
    contribution: Mapped[Contribution] = relationship()
    values: Mapped[list[ObservationValue]] = relationship(
        back_populates="observation", cascade="all, delete-orphan",
        order_by="ObservationValue.id",
    )
    photos: Mapped[list[ObservationPhoto]] = relationship(
        back_populates="observation", cascade="all, delete-orphan",
        order_by="ObservationPhoto.position",
    )


class ObservationValue(db.Model):
    """One value of one field: `number` (number, count, yes/no as 1/0), `option_id` (one row
    per chosen option), `text`, or `moment` (date-time, UTC)."""

    __tablename__ = "science_value"
    __table_args__ = (
        Index("ix_science_value_field", "field_id", "option_id"),
        Index("ix_science_value_observation", "observation_id", "field_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("science_observation.id", ondelete="CASCADE")
    )
    field_id: Mapped[int] = mapped_column(ForeignKey("science_field.id", ondelete="CASCADE"))
    number: Mapped[float | None] = mapped_column(Float)
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("science_field_option.id", ondelete="CASCADE")
    )
    text: Mapped[str | None] = mapped_column(Text)
    moment: Mapped[datetime | None] = mapped_column()

    observation: Mapped[Observation] = relationship(back_populates="values")

    @classmethod
    def city_scope(cls, city: Any):  # noqa: ANN206
        return cls.observation_id.in_(
            select(Observation.id).where(Observation.city_id == city.id))


class ObservationPhoto(ProcessScoped, db.Model):
    """A photo of an observation, re-encoded without metadata by `core.uploads`; `sha256` is
    of the file as sent, so the same photo sent twice is flagged."""

    __tablename__ = "science_photo"
    __table_args__ = (
        UniqueConstraint("observation_id", "position"),
        Index("ix_science_photo_hash", "process_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("science_observation.id", ondelete="CASCADE")
    )
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"))
    field_id: Mapped[int | None] = mapped_column(
        ForeignKey("science_field.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(80))
    thumb_key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int]
    height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    observation: Mapped[Observation] = relationship(back_populates="photos")


def public_position(lat: float | None, lon: float | None,
                    precision: str) -> tuple[float | None, float | None]:
    """The location shown in public: the true one rounded to the campaign's precision (the
    centre of a ~100 m or ~1 km grid cell), or None when there is none."""
    if lat is None or lon is None:
        return None, None
    decimals = PRECISION_DECIMALS.get(precision)
    if decimals is None:
        return lat, lon
    return round(lat, decimals), round(lon, decimals)


def pseudonym(settings: ScienceSettings, user_id: int | None) -> str | None:
    """An observer's stable pseudonymous id within one campaign; different in every campaign,
    and not reversible without the campaign's key (which never leaves the database)."""
    import hashlib
    import hmac

    if user_id is None or not settings.pseudonym_key:
        return None
    digest = hmac.new(settings.pseudonym_key.encode(), str(user_id).encode(), hashlib.sha256)
    return "observer-" + digest.hexdigest()[:12]


def value_rows(field: Field, value: Any) -> list[dict[str, Any]]:
    """The ObservationValue columns storing `value` of `field` (see the module's docstring):
    number and count → `number`, yes/no → 1/0, single → one `option_id`, multiple → one row
    per option, text → `text`, date-time → `moment`; options as ids or FieldOption rows.
    None (not answered) and photos (their own table) → no row."""
    if value is None:
        return []
    if field.type in ("number", "count"):
        return [{"number": float(value)}]
    if field.type == "yes_no":
        return [{"number": 1.0 if value else 0.0}]
    if field.type == "single":
        return [{"option_id": getattr(value, "id", value)}]
    if field.type == "multiple":
        return [{"option_id": getattr(option, "id", option)} for option in value]
    if field.type == "text":
        return [{"text": value}]
    if field.type == "datetime":
        return [{"moment": value}]
    return []
