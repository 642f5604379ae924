"""A citizen-science campaign's protocol and settings: the organisers' operations.

Services take and return models and values, flush but never commit, and raise ProtocolError
(with a lazily translated message and the form field it concerns) when a rule refuses an
operation, having changed nothing: every check runs before the first change.

Settings (`save_settings`): instructions, licence and data-set metadata, the location rules, the
area and the public precision. Changing the precision recomputes every observation's public
position; changing the area recomputes `in_area` and the "outside_area" flag, so observations
outside are flagged, never lost.

Fields (`add_field`, `update_field`, …): the ordered list of what an observer records, with
type settings exactly as models.py documents them. Once the campaign has observations
(`has_observations`) a field's type is locked and nothing is deleted: fields and options are
deactivated instead, so every stored value keeps its meaning. Options are given as
(label_ro, label_en) pairs or as mappings {"id", "label_ro", "label_en"}: an id names the existing
option it edits (its id stays), a pair without id keeps the existing option with the same
Romanian label, or becomes a new option.

Verifiers (`add_verifier`, `remove_verifier`): organisers of the campaign's city named to check
its observations (the city's moderators may anyway).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from engage.accounts.models import User
from engage.accounts.services import find_user_by_email
from engage.cities.models import CityRole
from engage.core.forms import normalised_email
from engage.extensions import db
from engage.processes.models import Process
from engage.science import geo
from engage.science.models import (
    CHOICE_TYPES,
    FIELD_TYPES,
    HELP_MAX,
    LICENCES,
    MAX_FIELDS,
    MAX_OPTIONS,
    MAX_PHOTOS,
    NOTE_MAX,
    PRECISIONS,
    TEXT_MAX,
    Field,
    FieldOption,
    Observation,
    ScienceSettings,
    Verifier,
    public_position,
)
from engage.science.versions import data_changed

INSTRUCTIONS_MAX = 10_000
DESCRIPTION_MAX = 5_000
RIGHTS_HOLDER_MAX = 200
EMAIL_MAX = 254
UNIT_MAX = 30
ACCURACY_MAX = 10_000
BURST_COUNT = (2, 1000)
BURST_MINUTES = (1, 1440)
DECIMALS_MAX = 6
NUMBER_LIMIT = 1e12
BATCH = 1000
DIRECTIONS = ("up", "down")

# Every key of a field's `settings` by type, with its default (see models.py).
SETTING_DEFAULTS: dict[str, dict[str, Any]] = {
    "number": {"unit_ro": "", "unit_en": "", "min": None, "max": None, "decimals": 0,
               "expected_min": None, "expected_max": None},
    "count": {"max": None, "expected_max": None},
    "single": {},
    "multiple": {"min": None, "max": None},
    "yes_no": {},
    "text": {"max_length": TEXT_MAX},
    "datetime": {},
    "photo": {"max_photos": 1},
}
TEXT_SETTINGS = frozenset({"unit_ro", "unit_en"})

# The settings' text columns and their longest length.
SETTINGS_TEXTS = {
    "instructions_ro": INSTRUCTIONS_MAX,
    "instructions_en": INSTRUCTIONS_MAX,
    "dataset_title_ro": TEXT_MAX,
    "dataset_title_en": TEXT_MAX,
    "dataset_description_ro": DESCRIPTION_MAX,
    "dataset_description_en": DESCRIPTION_MAX,
    "rights_holder": RIGHTS_HOLDER_MAX,
    "method_ro": DESCRIPTION_MAX,
    "method_en": DESCRIPTION_MAX,
}
SETTINGS_KEYS = frozenset(SETTINGS_TEXTS) | {
    "licence", "contact_email", "location_required", "min_accuracy_m", "area",
    "public_precision", "burst_count", "burst_minutes",
}

LOCKED_TYPE = _l("People have already sent observations, so the type of a field cannot change: "
                 "add a new field and deactivate this one instead.")
NOT_DELETED = _l("People have already sent observations, so fields are never deleted: "
                 "deactivate this one instead (its values are kept).")


class ProtocolError(Exception):
    """A rule refused the operation; nothing was changed. `message` is translatable (lazy),
    `field` names the form field it concerns (None: the operation as a whole;
    `settings.<key>` for a key of a field's settings)."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ---------------------------------------------------------------- reading


def _check_science(process: Process) -> None:
    if process.kind != "science":
        raise ProtocolError(_l("This process is not a citizen-science campaign."))


def settings_for(process: Process) -> ScienceSettings:
    """The campaign's settings row, or an unsaved row with the defaults when it has none."""
    settings = db.session.get(ScienceSettings, process.id)
    if settings is None:
        settings = ScienceSettings(
            process_id=process.id, instructions_ro="", instructions_en="", licence="CC-BY-4.0",
            dataset_title_ro="", dataset_title_en="", dataset_description_ro="",
            dataset_description_en="", rights_holder="", contact_email="", method_ro="",
            method_en="", location_required=True, min_accuracy_m=None, area=None,
            public_precision="100m", burst_count=20, burst_minutes=10, pseudonym_key="",
            data_version=0,
        )
    return settings


def fields_of(process: Process, active_only: bool = False) -> list[Field]:
    """The campaign's fields in order, their options loaded (two queries)."""
    from sqlalchemy.orm import selectinload

    query = (select(Field).where(Field.process_id == process.id)
             .options(selectinload(Field.options)).order_by(Field.position, Field.id))
    if active_only:
        query = query.where(Field.active.is_(True))
    return list(db.session.scalars(query))


def has_observations(process: Process) -> bool:
    """Whether anyone has sent an observation to the campaign: its field types are locked."""
    return db.session.scalar(
        select(Observation.id).where(Observation.process_id == process.id).limit(1)
    ) is not None


def observation_count(process: Process) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Observation)
        .where(Observation.process_id == process.id)) or 0


# ---------------------------------------------------------------- settings


def _text(value: Any, maximum: int, field: str, required: bool = False,
          required_message: Any = None) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ProtocolError(_l("Enter text."), field=field)
    value = value.strip()
    if required and not value:
        if required_message is None:
            required_message = _l("This is required.")
        raise ProtocolError(required_message, field=field)
    if len(value) > maximum:
        raise ProtocolError(_l("At most %(max)s characters.", max=maximum), field=field)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole(value: Any, low: int, high: int, field: str, optional: bool = False) -> int | None:
    if value is None or value == "":
        if optional:
            return None
        raise ProtocolError(_l("Enter a whole number from %(min)s to %(max)s.", min=low,
                               max=high), field=field)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not _is_int(value) or not low <= value <= high:
        raise ProtocolError(_l("Enter a whole number from %(min)s to %(max)s.", min=low,
                               max=high), field=field)
    return value


def _checked_email(value: Any) -> str:
    value = _text(value, EMAIL_MAX, "contact_email")
    if not value:
        return ""
    normalised = normalised_email(value)
    if normalised is None:
        raise ProtocolError(_l("Enter a valid e-mail address, like name@example.org."),
                            field="contact_email")
    if len(normalised) > EMAIL_MAX:
        raise ProtocolError(_l("At most %(max)s characters.", max=EMAIL_MAX),
                            field="contact_email")
    return normalised


def _checked_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - SETTINGS_KEYS)
    if unknown:
        raise ProtocolError(_l("Unknown setting: %(name)s.", name=unknown[0]))
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name in SETTINGS_TEXTS:
            clean[name] = _text(value, SETTINGS_TEXTS[name], name)
        elif name == "licence":
            if value not in LICENCES:
                raise ProtocolError(_l("Choose a licence from the list."), field=name)
            clean[name] = value
        elif name == "public_precision":
            if value not in PRECISIONS:
                raise ProtocolError(_l("Choose a precision from the list."), field=name)
            clean[name] = value
        elif name == "contact_email":
            clean[name] = _checked_email(value)
        elif name == "location_required":
            if not isinstance(value, bool):
                raise ProtocolError(_l("Tick the box or leave it empty."), field=name)
            clean[name] = value
        elif name == "min_accuracy_m":
            clean[name] = _whole(value, 1, ACCURACY_MAX, name, optional=True)
        elif name == "burst_count":
            clean[name] = _whole(value, *BURST_COUNT, name)
        elif name == "burst_minutes":
            clean[name] = _whole(value, *BURST_MINUTES, name)
        elif name == "area":
            if value is None or (isinstance(value, str) and not value.strip()):
                clean[name] = None
            else:
                try:
                    clean[name] = geo.parse_area(value)
                except geo.AreaError as error:
                    raise ProtocolError(error.message, field="area") from None
    return clean


def save_settings(process: Process, **values: Any) -> ScienceSettings:
    """Validate and store the given settings (any subset of the columns; the others keep their
    values), creating the row and the pseudonym key when missing. A new public precision
    recomputes the public positions, a new area the `in_area` flags."""
    _check_science(process)
    clean = _checked_settings(values)
    settings = db.session.get(ScienceSettings, process.id)
    if settings is None:
        settings = settings_for(process)
        db.session.add(settings)
    old_precision = settings.public_precision
    old_area = settings.area
    for name, value in clean.items():
        if getattr(settings, name) != value:
            setattr(settings, name, value)
    if not settings.pseudonym_key:
        settings.pseudonym_key = secrets.token_hex(32)
    db.session.flush()
    precision_changed = settings.public_precision != old_precision
    area_changed = settings.area != old_area
    if precision_changed or area_changed:
        recompute_observations(process, settings, positions=precision_changed,
                               area=area_changed)
    return settings


def recompute_observations(process: Process, settings: ScienceSettings, *,
                           positions: bool = True, area: bool = True) -> int:
    """Bring every observation of the campaign in line with its settings: the public position
    (rounded to the public precision) and `in_area` with the "outside_area" flag. Reads and
    writes in batches of BATCH rows (one executemany UPDATE per batch, portable to SQLite and
    PostgreSQL). Returns how many observations changed."""
    changed = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Observation.id, Observation.lat, Observation.lon, Observation.public_lat,
                   Observation.public_lon, Observation.in_area, Observation.flags)
            .where(Observation.process_id == process.id, Observation.id > last_id)
            .order_by(Observation.id).limit(BATCH)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        updates = []
        for row in rows:
            values: dict[str, Any] = {}
            if positions:
                public_lat, public_lon = public_position(row.lat, row.lon,
                                                         settings.public_precision)
                if (public_lat, public_lon) != (row.public_lat, row.public_lon):
                    values |= {"public_lat": public_lat, "public_lon": public_lon}
            if area:
                inside = geo.in_area(settings.area, row.lat, row.lon)
                flags = [flag for flag in (row.flags or []) if flag != "outside_area"]
                if inside is False:
                    flags.append("outside_area")
                if inside != row.in_area:
                    values["in_area"] = inside
                if flags != list(row.flags or []):
                    values["flags"] = flags
            if values:
                updates.append({"id": row.id, **values})
        if updates:
            # One statement per set of columns, so each executemany has one shape.
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for item in updates:
                shapes.setdefault(tuple(sorted(item)), []).append(item)
            for items in shapes.values():
                db.session.execute(update(Observation), items)
            changed += len(updates)
        if len(rows) < BATCH:
            break
    if changed:
        data_changed(process.id)
        # Observations already loaded in this session would show the old values.
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Observation) and obj.process_id == process.id:
                db.session.expire(obj, ["public_lat", "public_lon", "in_area", "flags"])
    return changed


# ---------------------------------------------------------------- fields


def _clean_number(value: Any, field: str, optional: bool = True) -> float | int | None:
    if value is None or value == "":
        if optional:
            return None
        raise ProtocolError(_l("Enter a number."), field=field)
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            raise ProtocolError(_l("Enter a number, or leave it empty."), field=field) from None
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or abs(value) > NUMBER_LIMIT:
        raise ProtocolError(_l("Enter a number, or leave it empty."), field=field)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def clean_settings(field_type: str, settings: Mapping[str, Any] | None,
                   option_count: int = 0) -> dict[str, Any]:
    """`settings` for a field of `field_type` checked and completed with the defaults: exactly
    the keys documented in models.py. `option_count` is a multiple choice's number of active
    options (for its selection limits)."""
    if field_type not in SETTING_DEFAULTS:
        raise ProtocolError(_l("Choose a type of field from the list."), field="type")
    if settings is None:
        settings = {}
    if not isinstance(settings, Mapping):
        raise ProtocolError(_l("These settings are not valid."), field="settings")
    defaults = SETTING_DEFAULTS[field_type]
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise ProtocolError(_l("Unknown setting: %(name)s.", name=unknown[0]), field="settings")
    values = {**defaults, **settings}

    def key(name: str) -> str:
        return f"settings.{name}"

    for name in TEXT_SETTINGS & set(values):
        values[name] = _text(values[name], UNIT_MAX, key(name))
    if field_type == "number":
        for name in ("min", "max", "expected_min", "expected_max"):
            values[name] = _clean_number(values[name], key(name))
        values["decimals"] = _whole(values["decimals"], 0, DECIMALS_MAX, key("decimals"))
        low, high = values["min"], values["max"]
        if low is not None and high is not None and low >= high:
            raise ProtocolError(_l("The largest value must be more than the smallest."),
                                field=key("max"))
        expected_low, expected_high = values["expected_min"], values["expected_max"]
        if expected_low is not None and expected_high is not None \
                and expected_low >= expected_high:
            raise ProtocolError(_l("The expected range's top must be above its bottom."),
                                field=key("expected_max"))
        for name in ("expected_min", "expected_max"):
            value = values[name]
            if value is None:
                continue
            if (low is not None and value < low) or (high is not None and value > high):
                raise ProtocolError(_l("The expected range must lie between the smallest and "
                                       "the largest value."), field=key(name))
    elif field_type == "count":
        values["max"] = _whole(values["max"], 1, int(NUMBER_LIMIT), key("max"), optional=True)
        values["expected_max"] = _whole(values["expected_max"], 0, int(NUMBER_LIMIT),
                                        key("expected_max"), optional=True)
        if values["max"] is not None and values["expected_max"] is not None \
                and values["expected_max"] > values["max"]:
            raise ProtocolError(_l("The expected range must lie between the smallest and "
                                   "the largest value."), field=key("expected_max"))
    elif field_type == "multiple":
        most = max(option_count, 1)
        for name in ("min", "max"):
            values[name] = _whole(values[name], 1, most, key(name), optional=True)
        if values["min"] is not None and values["max"] is not None \
                and values["min"] > values["max"]:
            raise ProtocolError(_l("The most selections cannot be fewer than the fewest."),
                                field=key("max"))
    elif field_type == "text":
        values["max_length"] = _whole(values["max_length"], 1, NOTE_MAX, key("max_length"))
    elif field_type == "photo":
        values["max_photos"] = _whole(values["max_photos"], 1, MAX_PHOTOS, key("max_photos"))
    return values


def _option_items(options: Any) -> list[dict[str, Any]]:
    """The given options as [{"id": int | None, "label_ro", "label_en"}], labels checked;
    blank rows (both labels empty, no id) are dropped."""
    if options is None:
        return []
    if isinstance(options, str | bytes) or not isinstance(options, Iterable):
        raise ProtocolError(_l("The options are not valid."), field="options")
    items = []
    for option in options:
        if isinstance(option, Mapping):
            option_id = option.get("id")
            label_ro, label_en = option.get("label_ro"), option.get("label_en")
        elif isinstance(option, Sequence) and not isinstance(option, str | bytes) \
                and len(option) == 2:
            option_id = None
            label_ro, label_en = option
        else:
            raise ProtocolError(_l("The options are not valid."), field="options")
        if option_id in ("", None):
            option_id = None
        elif isinstance(option_id, str) and option_id.isdigit():
            option_id = int(option_id)
        elif not _is_int(option_id):
            raise ProtocolError(_l("The options are not valid."), field="options")
        label_ro = _text(label_ro, TEXT_MAX, "options")
        label_en = _text(label_en, TEXT_MAX, "options")
        if not label_ro and not label_en:
            if option_id is not None:  # an existing option emptied: removed
                items.append({"id": option_id, "label_ro": "", "label_en": ""})
            continue
        if not label_ro:
            raise ProtocolError(_l("Every option needs its Romanian label."), field="options")
        items.append({"id": option_id, "label_ro": label_ro, "label_en": label_en})
    return items


def _plan_options(field: Field | None, items: list[dict[str, Any]],
                  ) -> tuple[list[tuple[FieldOption | None, dict[str, Any]]], list[FieldOption]]:
    """Which existing option each item edits (None: a new one), in the given order, and the
    options left over (deactivated once observations exist, deleted before). An item with an
    id and no labels removes that option."""
    existing = list(field.options) if field is not None else []
    by_id = {option.id: option for option in existing}
    claimed: set[int] = set()
    for item in items:
        if item["id"] is None:
            continue
        option = by_id.get(item["id"])
        if option is None or option.id in claimed:
            raise ProtocolError(_l("This option is not part of this field."), field="options")
        claimed.add(option.id)
    kept = {item["id"] for item in items if item["id"] is not None and item["label_ro"]}
    ordered: list[tuple[FieldOption | None, dict[str, Any]]] = []
    for item in items:
        if item["id"] is not None:
            if item["label_ro"]:
                ordered.append((by_id[item["id"]], item))
            continue
        match = next((option for option in existing if option.id not in claimed
                      and option.label_ro.casefold() == item["label_ro"].casefold()), None)
        if match is not None:
            claimed.add(match.id)
            kept.add(match.id)
        ordered.append((match, item))
    seen: set[str] = set()
    for _option, item in ordered:
        folded = item["label_ro"].casefold()
        if folded in seen:
            raise ProtocolError(_l("Two options have the same label: %(label)s.",
                                   label=item["label_ro"]), field="options")
        seen.add(folded)
    return ordered, [option for option in existing if option.id not in kept]


def _checked_field(field_type: Any, label_ro: Any, label_en: Any, help_ro: Any, help_en: Any,
                   required: Any) -> dict[str, Any]:
    if field_type not in FIELD_TYPES:
        raise ProtocolError(_l("Choose a type of field from the list."), field="type")
    if not isinstance(required, bool):
        raise ProtocolError(_l("Tick the box or leave it empty."), field="required")
    return {
        "label_ro": _text(label_ro, TEXT_MAX, "label_ro", required=True,
                          required_message=_l("Write the Romanian label; the English one is "
                                              "optional.")),
        "label_en": _text(label_en, TEXT_MAX, "label_en"),
        "help_ro": _text(help_ro, HELP_MAX, "help_ro"),
        "help_en": _text(help_en, HELP_MAX, "help_en"),
        "required": required,
    }


def _check_option_count(field_type: str, count: int) -> None:
    if field_type in CHOICE_TYPES and count < 2:
        raise ProtocolError(_l("A choice needs at least two options."), field="options")
    if count > MAX_OPTIONS:
        raise ProtocolError(_l("At most %(max)s options.", max=MAX_OPTIONS), field="options")


def add_field(process: Process, field_type: str, *, label_ro: str, label_en: str = "",
              help_ro: str = "", help_en: str = "", required: bool = False,
              settings: Mapping[str, Any] | None = None, options: Any = ()) -> Field:
    """A new active field at the end of the protocol (allowed after observations too: earlier
    observations simply have no value for it)."""
    _check_science(process)
    data = _checked_field(field_type, label_ro, label_en, help_ro, help_en, required)
    count = db.session.scalar(
        select(func.count()).select_from(Field).where(Field.process_id == process.id)) or 0
    if count >= MAX_FIELDS:
        raise ProtocolError(_l("A protocol has at most %(max)s fields.", max=MAX_FIELDS))
    items = _option_items(options) if field_type in CHOICE_TYPES else []
    if any(item["id"] is not None for item in items):
        raise ProtocolError(_l("This option is not part of this field."), field="options")
    planned, _leftover = _plan_options(None, items)
    _check_option_count(field_type, len(planned))
    clean = clean_settings(field_type, settings, len(planned))
    last = db.session.scalar(
        select(func.max(Field.position)).where(Field.process_id == process.id))
    field = Field(process_id=process.id, position=(last + 1) if last is not None else 0,
                  type=field_type, settings=clean, active=True, **data)
    for position, (_option, item) in enumerate(planned):
        field.options.append(FieldOption(position=position, label_ro=item["label_ro"],
                                         label_en=item["label_en"], active=True))
    db.session.add(field)
    db.session.flush()
    return field


def update_field(field: Field, *, label_ro: str, label_en: str = "", help_ro: str = "",
                 help_en: str = "", required: bool = False,
                 settings: Mapping[str, Any] | None = None, options: Any = (),
                 field_type: str | None = None) -> Field:
    """Replace a field's content (its type too, while the campaign has no observations).
    Options keep their ids; options left out are deleted before the first observation and
    deactivated after it (an option given again is reactivated)."""
    process = field.process
    _check_science(process)
    field_type = field_type if field_type is not None else field.type
    data = _checked_field(field_type, label_ro, label_en, help_ro, help_en, required)
    locked = has_observations(process)
    if locked and field_type != field.type:
        raise ProtocolError(LOCKED_TYPE, field="type")
    items = _option_items(options) if field_type in CHOICE_TYPES else []
    planned, leftover = _plan_options(field, items)
    _check_option_count(field_type, len(planned))
    clean = clean_settings(field_type, settings, len(planned))
    field.type = field_type
    for name, value in data.items():
        if getattr(field, name) != value:
            setattr(field, name, value)
    if field.settings != clean:
        field.settings = clean
    position = 0
    for option, item in planned:
        if option is None:
            field.options.append(FieldOption(position=position, label_ro=item["label_ro"],
                                             label_en=item["label_en"], active=True))
        else:
            for name, value in (("position", position), ("label_ro", item["label_ro"]),
                                ("label_en", item["label_en"]), ("active", True)):
                if getattr(option, name) != value:
                    setattr(option, name, value)
        position += 1
    for option in sorted(leftover, key=lambda o: (o.position, o.id)):
        if locked:
            # Kept, after the active ones, so stored values keep their meaning.
            if option.active:
                option.active = False
            if option.position != position:
                option.position = position
            position += 1
        else:
            field.options.remove(option)
    db.session.flush()
    db.session.expire(field, ["options"])
    return field


def _ordered_fields(process: Process) -> list[Field]:
    return list(db.session.scalars(
        select(Field).where(Field.process_id == process.id).order_by(Field.position, Field.id)))


def _renumber(fields: list[Field]) -> None:
    for position, field in enumerate(fields):
        if field.position != position:
            field.position = position


def move_field(field: Field, direction: str) -> None:
    """Move a field one place up or down in the protocol."""
    if direction not in DIRECTIONS:
        raise ProtocolError(_l("Choose up or down."), field="direction")
    fields = _ordered_fields(field.process)
    index = next(i for i, other in enumerate(fields) if other.id == field.id)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(fields):
        raise ProtocolError(_l("This field is already the first.") if direction == "up"
                            else _l("This field is already the last."))
    fields[index], fields[target] = fields[target], fields[index]
    _renumber(fields)
    db.session.flush()


def deactivate_field(field: Field) -> None:
    """Hide a field from the capture form; its stored values are kept."""
    if field.active:
        field.active = False
        db.session.flush()


def reactivate_field(field: Field) -> None:
    if not field.active:
        field.active = True
        db.session.flush()


def delete_field(field: Field) -> None:
    """Delete a field, only while the campaign has no observations."""
    process = field.process
    if has_observations(process):
        raise ProtocolError(NOT_DELETED)
    db.session.delete(field)
    db.session.flush()
    _renumber([other for other in _ordered_fields(process) if other.id != field.id])
    db.session.flush()


# ---------------------------------------------------------------- verifiers


def verifiers_of(process: Process) -> list[User]:
    """The organisers named as the campaign's verifiers, by name."""
    return list(db.session.scalars(
        select(User).join(Verifier, Verifier.user_id == User.id)
        .where(Verifier.process_id == process.id).order_by(User.display_name, User.id)))


def _forget_verifier_cache(user: User, process: Process) -> None:
    if has_request_context():
        g.pop(f"_science_verifier_{user.id}_{process.id}", None)


def add_verifier(process: Process, email: Any) -> User:
    """Name the organiser with `email` a verifier of the campaign."""
    _check_science(process)
    if not isinstance(email, str) or not email.strip():
        raise ProtocolError(_l("Enter the e-mail address of one of the city's organisers."),
                            field="email")
    if len(email) > EMAIL_MAX:
        raise ProtocolError(_l("At most %(max)s characters.", max=EMAIL_MAX), field="email")
    user = find_user_by_email(email)
    if user is None:
        raise ProtocolError(_l("There is no account with this e-mail address."), field="email")
    roles = set(db.session.scalars(
        select(CityRole.role).where(CityRole.user_id == user.id,
                                    CityRole.city_id == process.city_id)))
    if "organiser" not in roles:
        if "moderator" in roles or user.is_admin:
            raise ProtocolError(_l("%(person)s may already verify observations (moderators and "
                                   "administrators always may).", person=user.display_name),
                                field="email")
        raise ProtocolError(_l("%(person)s is not an organiser of this city: only the city's "
                               "organisers can be named verifiers.",
                               person=user.display_name), field="email")
    if db.session.get(Verifier, (process.id, user.id)) is not None:
        raise ProtocolError(_l("%(person)s is already a verifier of this campaign.",
                               person=user.display_name), field="email")
    db.session.add(Verifier(process_id=process.id, user_id=user.id))
    db.session.flush()
    _forget_verifier_cache(user, process)
    return user


def remove_verifier(process: Process, user_id: Any) -> None:
    """Stop a person verifying the campaign (decisions already taken stay)."""
    verifier = db.session.get(Verifier, (process.id, user_id)) if _is_int(user_id) else None
    if verifier is None:
        raise ProtocolError(_l("This person is not a verifier of this campaign."))
    user = db.session.get(User, user_id)
    db.session.delete(verifier)
    db.session.flush()
    if user is not None:
        _forget_verifier_cache(user, process)
