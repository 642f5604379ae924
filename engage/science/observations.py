"""Capturing observations: reading and checking what a citizen sends from the field (every
field type of the protocol, the location, the moment, the photos), storing it once however
often a phone resends it, the automatic quality flags, and a citizen's own observations.

Form names: `f<field id>` for every field (several values for a multiple choice, files for a
photo field), `lat`, `lon`, `accuracy` (metres), `location_source` (gps, map, typed, photo),
`observed_at` (Romania's local time, `YYYY-MM-DDTHH:MM`), `use_photo_metadata` (the citizen
agrees that the photo's own position and time fill what they left empty), `client_id` (made on
the device; a resend with the same one is stored once).

Values, once read (`parse_observation`): number, count → float; single → option id; multiple
→ list of option ids; yes_no → bool; text → str; datetime → aware UTC datetime; photo → list of
bytes as sent. Fields left empty are absent. Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from engage.core import uploads
from engage.core.db import utcnow
from engage.core.i18n import LOCAL_TIMEZONE
from engage.core.pagination import Page, paginate
from engage.extensions import db
from engage.processes.models import Contribution, Process
from engage.science import geo
from engage.science.models import (
    LOCATION_SOURCES,
    MAX_PHOTOS,
    NOTE_MAX,
    Field,
    FieldOption,
    Observation,
    ObservationPhoto,
    ObservationValue,
    ScienceSettings,
    public_position,
    value_rows,
)

CLIENT_ID_RE = re.compile(r"\A[A-Za-z0-9_-]{8,64}\Z")
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)
PER_PAGE = 20

MSG_REQUIRED = _l("This field is required.")
MSG_NUMBER = _l("Enter a number, for example 21.5.")
MSG_WHOLE = _l("Enter a whole number of 0 or more.")
MSG_CHOICE = _l("Choose one of the options in the list.")
MSG_FUTURE = _l("The date and time cannot be in the future.")
MSG_DATETIME = _l("Enter a date and time, for example 2026-06-01 14:30.")
MSG_TEXT = _l("Enter text.")


class ObservationError(Exception):
    """An observation was refused as a whole (closed campaign, not signed in, …); nothing was
    stored. `status` is the HTTP status the sync endpoint answers with."""

    def __init__(self, message: Any, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ObservationInvalid(Exception):
    """Some fields were refused: `errors` maps a form name to its (lazy) message."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


@dataclass
class Location:
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    source: str | None = None


@dataclass
class Parsed:
    values: dict[int, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)  # form name → lazy message
    location: Location = field(default_factory=Location)
    observed_at: datetime | None = None  # None: now (or the photo's time, if agreed)
    use_photo_metadata: bool = False


# ---------------------------------------------------------------- the protocol


def settings_for(process: Process) -> ScienceSettings:
    """The campaign's settings; the defaults (not stored) when the organisers saved none."""
    settings = db.session.get(ScienceSettings, process.id)
    if settings is None:
        settings = ScienceSettings(
            process_id=process.id, location_required=True, min_accuracy_m=None, area=None,
            public_precision="100m", burst_count=20, burst_minutes=10, pseudonym_key="",
            licence="CC-BY-4.0", instructions_ro="", instructions_en="")
    return settings


def active_fields(process: Process) -> list[Field]:
    """The protocol's active fields in order, their options loaded (one query each)."""
    return list(db.session.scalars(
        select(Field).where(Field.process_id == process.id, Field.active.is_(True))
        .order_by(Field.position, Field.id).options(selectinload(Field.options))
    ))


def all_fields(process: Process) -> dict[int, Field]:
    """Every field of the protocol, deactivated ones too (stored values keep their meaning)."""
    return {f.id: f for f in db.session.scalars(
        select(Field).where(Field.process_id == process.id)
        .order_by(Field.position, Field.id).options(selectinload(Field.options)))}


def name_of(f: Field) -> str:
    return f"f{f.id}"


def max_photos(f: Field) -> int:
    try:
        wanted = int((f.settings or {}).get("max_photos") or 1)
    except (TypeError, ValueError):
        wanted = 1
    return min(max(wanted, 1), MAX_PHOTOS)


def text_limit(f: Field) -> int:
    try:
        wanted = int((f.settings or {}).get("max_length") or NOTE_MAX)
    except (TypeError, ValueError):
        wanted = NOTE_MAX
    return min(max(wanted, 1), NOTE_MAX)


# ---------------------------------------------------------------- reading the form


def _getlist(source: Any, name: str) -> list[Any]:
    if source is None:
        return []
    if hasattr(source, "getlist"):
        return list(source.getlist(name))
    value = source.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _first(source: Any, name: str) -> Any:
    values = _getlist(source, name)
    return values[0] if values else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal(value: Any) -> Decimal | None:
    """A finite number from a form value ("21.5", "21,5", 21.5), else None. Booleans and
    anything else that is not a number or a string of one are refused."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = repr(value)
    if not isinstance(value, str):
        return None
    text = value.strip().replace("\u2212", "-")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?", text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and math.isfinite(float(number)) else None


def _bound(settings: Mapping[str, Any], key: str) -> float | None:
    value = settings.get(key)
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float) -> str:
    return f"{value:g}"


def _read_number(f: Field, raw: Any) -> tuple[Any, Any]:
    settings = f.settings or {}
    number = _decimal(raw)
    if number is None:
        return None, MSG_NUMBER
    low, high = _bound(settings, "min"), _bound(settings, "max")
    value = float(number)
    if low is not None and value < low:
        return None, _l("Enter a value of at least %(min)s.", min=_fmt(low))
    if high is not None and value > high:
        return None, _l("Enter a value of at most %(max)s.", max=_fmt(high))
    try:
        decimals = min(max(int(settings.get("decimals", 6)), 0), 6)
    except (TypeError, ValueError):
        decimals = 6
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        if decimals == 0:
            return None, _l("Enter a whole number.")
        return None, _l("Use at most %(decimals)s decimals.", decimals=decimals)
    return value, None


def _read_count(f: Field, raw: Any) -> tuple[Any, Any]:
    number = _decimal(raw)
    if number is None or number != number.to_integral_value() or number < 0:
        return None, MSG_WHOLE
    high = _bound(f.settings or {}, "max")
    if high is not None and number > high:
        return None, _l("Enter a value of at most %(max)s.", max=_fmt(high))
    return float(number), None


def _option_id(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw.strip()) <= 12:
        return int(raw.strip())
    return None


def _read_single(f: Field, raw: Any) -> tuple[Any, Any]:
    choice = _option_id(raw)
    if choice is None or choice not in {o.id for o in f.choices}:
        return None, MSG_CHOICE
    return choice, None


def _read_multiple(f: Field, raws: list[Any]) -> tuple[Any, Any]:
    allowed = [o.id for o in f.choices]
    chosen = []
    for raw in raws:
        choice = _option_id(raw)
        if choice is None or choice not in allowed:
            return None, MSG_CHOICE
        if choice not in chosen:
            chosen.append(choice)
    settings = f.settings or {}
    low, high = _bound(settings, "min"), _bound(settings, "max")
    if low is not None and len(chosen) < low:
        return None, _l("Choose at least %(min)s options.", min=int(low))
    if high is not None and len(chosen) > high:
        return None, _l("Choose at most %(max)s options.", max=int(high))
    return sorted(chosen, key=allowed.index), None


def _read_yes_no(raw: Any) -> tuple[Any, Any]:
    if isinstance(raw, bool):
        return raw, None
    text = str(raw).strip().lower()
    if text in ("yes", "da", "1", "true"):
        return True, None
    if text in ("no", "nu", "0", "false"):
        return False, None
    return None, _l("Choose yes or no.")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _read_text(f: Field, raw: Any) -> tuple[Any, Any]:
    if not isinstance(raw, str):
        return None, MSG_TEXT
    # A short text: one line of plain text, control characters dropped.
    text = " ".join(_CONTROL.sub(" ", raw).split())
    limit = text_limit(f)
    if len(text) > limit:
        return None, _l("At most %(max)s characters.", max=limit)
    return (text or None), None


def local_datetime(raw: Any) -> datetime | None:
    """A date and time typed in Romania's local time (`2026-06-01T14:30`, a space for the T,
    seconds optional) as an aware UTC datetime; None when it is not one."""
    if not isinstance(raw, str):
        return None
    text = raw.strip().replace(" ", "T")
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            naive = datetime.strptime(text[:19], pattern)
        except ValueError:
            continue
        if naive.year < 1900:
            return None
        return naive.replace(tzinfo=LOCAL_TIMEZONE).astimezone(UTC)
    return None


def _read_datetime(raw: Any, now: datetime) -> tuple[Any, Any]:
    moment = local_datetime(raw)
    if moment is None:
        return None, MSG_DATETIME
    if moment > now + CLOCK_SKEW:
        return None, MSG_FUTURE
    return moment, None


def _file_bytes(item: Any) -> bytes:
    if isinstance(item, bytes | bytearray):
        return bytes(item)
    read = getattr(item, "read", None)
    if read is None:
        return b""
    # One byte over the limit is enough to refuse it; never read a huge body whole.
    return read(uploads.MAX_PHOTO_BYTES + 1) or b""


def _read_location(settings: ScienceSettings, form: Any, parsed: Parsed) -> None:
    raw_lat, raw_lon = _first(form, "lat"), _first(form, "lon")
    raw_accuracy = _first(form, "accuracy")
    raw_source = _first(form, "location_source")
    if _blank(raw_lat) and _blank(raw_lon):
        return
    errors = parsed.errors
    lat, lon = _decimal(raw_lat), _decimal(raw_lon)
    if _blank(raw_lat):
        errors["lat"] = _l("Enter the latitude as well.")
    elif lat is None:
        errors["lat"] = _l("Enter the latitude as a number of degrees, for example 47.6513.")
    elif not -90 <= lat <= 90:
        errors["lat"] = _l("The latitude must be between -90 and 90.")
    if _blank(raw_lon):
        errors["lon"] = _l("Enter the longitude as well.")
    elif lon is None:
        errors["lon"] = _l("Enter the longitude as a number of degrees, for example 26.2557.")
    elif not -180 <= lon <= 180:
        errors["lon"] = _l("The longitude must be between -180 and 180.")
    accuracy = None
    if not _blank(raw_accuracy):
        number = _decimal(raw_accuracy)
        if number is None or number < 0:
            errors["accuracy"] = _l("The accuracy must be a number of metres, 0 or more.")
        else:
            accuracy = float(number)
    source = raw_source.strip() if isinstance(raw_source, str) and raw_source.strip() else "typed"
    if source not in LOCATION_SOURCES:
        errors["location_source"] = _l("Unknown source of the location.")
    if "lat" in errors or "lon" in errors:
        return
    parsed.location = Location(lat=float(lat), lon=float(lon), accuracy_m=accuracy,
                               source=source)


def parse_observation(process: Process, settings: ScienceSettings, fields: list[Field],
                      form: Any, files: Any = None, now: datetime | None = None) -> Parsed:
    """Read and check an observation's form (see the module's docstring): its values, the
    location and the moment, and per form name the message of every refused entry. Photos
    are checked for their number here and for their content when stored (`submit`)."""
    now = now or utcnow()
    parsed = Parsed()
    parsed.use_photo_metadata = str(_first(form, "use_photo_metadata") or "").lower() in (
        "1", "on", "yes", "true")
    for f in fields:
        name = name_of(f)
        if f.type == "photo":
            photos = [data for data in (_file_bytes(item) for item in _getlist(files, name))
                      if data]
            limit = max_photos(f)
            if len(photos) > limit:
                parsed.errors[name] = _l("At most %(max)s photos.", max=limit)
            elif photos:
                parsed.values[f.id] = photos
            elif f.required:
                parsed.errors[name] = _l("Add a photo.")
            continue
        if f.type == "multiple":
            raws = [raw for raw in _getlist(form, name) if not _blank(raw)]
            if not raws:
                if f.required:
                    parsed.errors[name] = _l("Choose at least one option.")
                continue
            value, error = _read_multiple(f, raws)
        else:
            raw = _first(form, name)
            if _blank(raw):
                if f.required:
                    parsed.errors[name] = MSG_REQUIRED
                continue
            if f.type == "number":
                value, error = _read_number(f, raw)
            elif f.type == "count":
                value, error = _read_count(f, raw)
            elif f.type == "single":
                value, error = _read_single(f, raw)
            elif f.type == "yes_no":
                value, error = _read_yes_no(raw)
            elif f.type == "text":
                value, error = _read_text(f, raw)
                if value is None and error is None:
                    if f.required:
                        parsed.errors[name] = MSG_REQUIRED
                    continue
            elif f.type == "datetime":
                value, error = _read_datetime(raw, now)
            else:
                continue
        if error is not None:
            parsed.errors[name] = error
        else:
            parsed.values[f.id] = value
    _read_location(settings, form, parsed)
    raw_moment = _first(form, "observed_at")
    if not _blank(raw_moment):
        moment, error = _read_datetime(raw_moment, now)
        if error is not None:
            parsed.errors["observed_at"] = error
        else:
            parsed.observed_at = moment
    return parsed


def _apply_photo_metadata(parsed: Parsed, fields: list[Field]) -> None:
    """With the citizen's consent: the first photo's EXIF position and time fill the location
    and the moment they left empty (read before the photo is re-encoded without them)."""
    for f in fields:
        for data in parsed.values.get(f.id, []) if f.type == "photo" else []:
            found = uploads.photo_metadata(data)
            if not found:
                continue
            lat, lon, taken_at = found
            if parsed.location.lat is None and lat is not None and not (
                    {"lat", "lon"} & parsed.errors.keys()):
                parsed.location = Location(lat=lat, lon=lon, accuracy_m=None, source="photo")
            if parsed.observed_at is None and taken_at is not None:
                moment = taken_at.replace(tzinfo=LOCAL_TIMEZONE).astimezone(UTC)
                if moment <= utcnow() + CLOCK_SKEW:
                    parsed.observed_at = moment
            return


# ---------------------------------------------------------------- submitting


def check_open(process: Process) -> None:
    """ObservationError unless `process` is a science campaign open for observations."""
    if process.kind != "science":
        raise ObservationError(_l("This process does not collect observations."), 404)
    if not process.is_open:
        raise ObservationError(_l("This campaign is not open for observations."), 409)


def find_observation(process: Process, user: Any, client_id: str) -> Observation | None:
    return db.session.scalars(select(Observation).where(
        Observation.process_id == process.id, Observation.user_id == user.id,
        Observation.client_id == client_id)).first()


def clean_client_id(client_id: Any) -> str | None:
    """The device's id of an observation when well formed (8–64 letters, digits, - or _)."""
    if isinstance(client_id, str) and CLIENT_ID_RE.match(client_id.strip()):
        return client_id.strip()
    return None


def _flags(process: Process, settings: ScienceSettings, fields: list[Field], parsed: Parsed,
           user: Any, hashes: list[str], now: datetime) -> tuple[list[str], bool | None]:
    flags: list[str] = []
    for f in fields:
        value = parsed.values.get(f.id)
        if value is None or f.type not in ("number", "count"):
            continue
        low = _bound(f.settings or {}, "expected_min")
        high = _bound(f.settings or {}, "expected_max")
        if (low is not None and value < low) or (high is not None and value > high):
            flags.append("out_of_range")
            break
    location = parsed.location
    in_area = None
    if location.lat is None:
        flags.append("no_location")
    else:
        in_area = geo.contains(settings.area, location.lat, location.lon)
        if settings.area and not in_area:
            flags.append("outside_area")
        if (settings.min_accuracy_m and location.accuracy_m is not None
                and location.accuracy_m > settings.min_accuracy_m):
            flags.append("low_accuracy")
    if hashes and (len(set(hashes)) < len(hashes) or db.session.scalar(
            select(ObservationPhoto.id).where(ObservationPhoto.process_id == process.id,
                                              ObservationPhoto.sha256.in_(set(hashes)))
            .limit(1)) is not None):
        flags.append("duplicate_photo")
    if settings.burst_count and settings.burst_minutes:
        recent = db.session.scalar(
            select(func.count()).select_from(Observation).where(
                Observation.user_id == user.id, Observation.process_id == process.id,
                Observation.created_at >= now - timedelta(minutes=settings.burst_minutes)))
        if recent >= settings.burst_count:
            flags.append("burst")
    return flags, in_area


def submit_observation(process: Process, user: Any, form: Any, files: Any = None,
                       client_id: Any = None, language: str = "ro",
                       storage: Any = None) -> tuple[Observation, bool]:
    """Check and store a citizen's observation: `(observation, True)`, or the one already
    stored with this `client_id` and `False` (a resend of a queued observation, even two at
    once). ObservationInvalid with per-field messages, or ObservationError for the whole."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise ObservationError(_l("Please log in to add an observation."), 401)
    if process.kind != "science":
        raise ObservationError(_l("This process does not collect observations."), 404)
    client_id = clean_client_id(client_id) if client_id else uuid.uuid4().hex
    if client_id is None:
        raise ObservationInvalid({"client_id": _l("The observation's id is not valid.")})
    existing = find_observation(process, user, client_id)
    if existing is not None:
        return existing, False
    check_open(process)
    settings = settings_for(process)
    fields = active_fields(process)
    now = utcnow()
    parsed = parse_observation(process, settings, fields, form, files, now)
    if parsed.use_photo_metadata:
        _apply_photo_metadata(parsed, fields)
    if settings.location_required and parsed.location.lat is None and not (
            {"lat", "lon"} & parsed.errors.keys()):
        parsed.errors["lat"] = _l("Add the location: use your phone's location, tap the map "
                                  "or type the coordinates.")
    if parsed.errors:
        raise ObservationInvalid(parsed.errors)

    photos: list[tuple[Field, bytes]] = [
        (f, data) for f in fields if f.type == "photo" for data in parsed.values.get(f.id, [])]
    hashes = [hashlib.sha256(data).hexdigest() for _, data in photos]
    flags, in_area = _flags(process, settings, fields, parsed, user, hashes, now)
    stored = _store_photos(fields, photos, storage)
    try:
        observation = _insert(process, settings, fields, parsed, user, client_id, language,
                              flags, in_area, photos, hashes, stored, now)
    except BaseException:
        for photo in stored:
            uploads.delete_photo(photo.key, photo.thumb_key, storage)
        raise
    if observation is None:  # the same observation, stored by a simultaneous send
        for photo in stored:
            uploads.delete_photo(photo.key, photo.thumb_key, storage)
        existing = find_observation(process, user, client_id)
        if existing is None:
            raise ObservationError(_l("The observation could not be stored. Please try again."),
                                   409)
        return existing, False
    return observation, True


def _store_photos(fields: list[Field], photos: list[tuple[Field, bytes]],
                  storage: Any) -> list[uploads.StoredPhoto]:
    """Re-encode and store the photos; on a refused one, nothing is kept and the error names
    the field."""
    stored: list[uploads.StoredPhoto] = []
    errors: dict[str, Any] = {}
    try:
        for f, data in photos:
            if name_of(f) in errors:
                continue
            try:
                stored.append(uploads.save_photo(data, storage))
            except uploads.UploadError as error:
                errors[name_of(f)] = error.message
    except BaseException:
        for photo in stored:
            uploads.delete_photo(photo.key, photo.thumb_key, storage)
        raise
    if errors:
        for photo in stored:
            uploads.delete_photo(photo.key, photo.thumb_key, storage)
        raise ObservationInvalid(errors)
    return stored


def _insert(process: Process, settings: ScienceSettings, fields: list[Field], parsed: Parsed,
            user: Any, client_id: str, language: str, flags: list[str], in_area: bool | None,
            photos: list[tuple[Field, bytes]], hashes: list[str],
            stored: list[uploads.StoredPhoto], now: datetime) -> Observation | None:
    languages = current_app.config.get("LANGUAGES", ("ro", "en"))
    language = language if language in languages else "ro"
    texts = [parsed.values[f.id] for f in fields if f.type == "text" and parsed.values.get(f.id)]
    location = parsed.location
    public_lat, public_lon = public_position(location.lat, location.lon,
                                             settings.public_precision or "100m")
    try:
        with db.session.begin_nested():
            contribution = Contribution(
                kind="observation", process_id=process.id, city_id=process.city_id,
                author_id=user.id, language=language, text="\n\n".join(texts),
                status="pending" if process.moderation_mode == "pre" else "published")
            db.session.add(contribution)
            db.session.flush()
            observation = Observation(
                process_id=process.id, city_id=process.city_id, user_id=user.id,
                contribution_id=contribution.id, client_id=client_id, lat=location.lat,
                lon=location.lon, accuracy_m=location.accuracy_m,
                location_source=location.source if location.lat is not None else None,
                public_lat=public_lat, public_lon=public_lon, in_area=in_area,
                observed_at=parsed.observed_at or now, status="pending", reason="",
                flags=flags, language=language)
            db.session.add(observation)
            db.session.flush()
    except IntegrityError:
        return None
    rows: list[Any] = []
    for f in fields:
        if f.id in parsed.values and f.type != "photo":
            rows += [ObservationValue(observation_id=observation.id, field_id=f.id, **row)
                     for row in value_rows(f, parsed.values[f.id])]
    for position, ((f, _), sha256, photo) in enumerate(zip(photos, hashes, stored, strict=True)):
        rows.append(ObservationPhoto(
            observation_id=observation.id, process_id=process.id, field_id=f.id,
            position=position, sha256=sha256, key=photo.key, thumb_key=photo.thumb_key,
            width=photo.width, height=photo.height, thumb_width=photo.thumb_width,
            thumb_height=photo.thumb_height))
    db.session.add_all(rows)
    db.session.flush()
    return observation


# ---------------------------------------------------------------- reading back


def my_observations(process: Process, user: Any, number: int = 1,
                    per_page: int = PER_PAGE) -> Page:
    """Page `number` of `user`'s observations in `process`, newest first, with their values,
    photos and contribution loaded (a constant number of queries)."""
    statement = (
        select(Observation)
        .where(Observation.process_id == process.id, Observation.user_id == user.id)
        .order_by(Observation.created_at.desc(), Observation.id.desc())
        .options(selectinload(Observation.values), selectinload(Observation.photos),
                 selectinload(Observation.contribution))
    )
    count = select(func.count()).select_from(Observation).where(
        Observation.process_id == process.id, Observation.user_id == user.id)
    return paginate(statement, number, per_page, count=count)


@dataclass
class ShownValue:
    field: Field
    text: str


def shown_values(observation: Observation, fields: Mapping[int, Field],
                 language: str) -> list[ShownValue]:
    """An observation's values as text, in the protocol's order (photos excluded)."""
    by_field: dict[int, list[ObservationValue]] = {}
    for value in observation.values:
        by_field.setdefault(value.field_id, []).append(value)
    shown = []
    for f in fields.values():
        values = by_field.get(f.id)
        if not values or f.type == "photo":
            continue
        shown.append(ShownValue(f, describe(f, values, language)))
    return shown


def _label(obj: Any, language: str) -> str:
    return getattr(obj, f"label_{language}", "") or obj.label_ro or obj.label_en or ""


def describe(f: Field, values: list[ObservationValue], language: str) -> str:
    from flask_babel import format_datetime, gettext

    if f.type in ("number", "count"):
        unit = (f.settings or {}).get(f"unit_{language}") or (f.settings or {}).get("unit_ro")
        number = _fmt(values[0].number) if values[0].number is not None else ""
        return f"{number} {unit}".strip() if unit else number
    if f.type == "yes_no":
        return gettext("Yes") if values[0].number else gettext("No")
    if f.type in ("single", "multiple"):
        options: dict[int, FieldOption] = {o.id: o for o in f.options}
        return ", ".join(_label(options[v.option_id], language) for v in values
                         if v.option_id in options)
    if f.type == "text":
        return values[0].text or ""
    if f.type == "datetime" and values[0].moment is not None:
        return format_datetime(values[0].moment, "d MMMM yyyy, HH:mm")
    return ""
