"""Capturing observations (`science.observations`): every field type read and checked on the
server, the location and the moment, photos re-encoded without their metadata (and, with the
citizen's consent, their position and time used), the automatic flags, a resend stored once —
also when two sends race, with real commits on SQLite and PostgreSQL — and closed campaigns."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engage.core import uploads
from engage.core.db import utcnow
from engage.core.i18n import LOCAL_TIMEZONE
from engage.extensions import db
from engage.processes.models import Contribution
from engage.science import observations as capture
from engage.science.models import (
    Observation,
    ObservationPhoto,
    ObservationValue,
    ScienceSettings,
)
from tests.science.conftest import INSIDE, OUTSIDE, add_field, add_observation, count

# ---------------------------------------------------------------- test photos


def jpeg(colour=(40, 120, 60), size=(320, 240), gps=None, taken=None) -> bytes:  # noqa: ANN001
    """A JPEG made in memory; `gps` (lat, lon) and `taken` ("YYYY:MM:DD HH:MM:SS") go into its
    EXIF block, with a camera name."""
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 40):
        image.paste((200, 180, 30), (x, 0, x + 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "EngageTestCam"
    if gps is not None:
        lat, lon = gps
        info = exif.get_ifd(0x8825)
        info[1] = "N" if lat >= 0 else "S"
        info[2] = _dms(abs(lat))
        info[3] = "E" if lon >= 0 else "W"
        info[4] = _dms(abs(lon))
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=80)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def bomb() -> bytes:
    """A small PNG that would decode to 100 megapixels."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def big_photo() -> bytes:
    """A real JPEG of more than 8 MB (noise compresses badly)."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (2200, 2000), os.urandom(2200 * 2000 * 3)).save(
        out, "JPEG", quality=100)
    data = out.getvalue()
    assert len(data) > 8 * 1024 * 1024, len(data)
    return data


# ---------------------------------------------------------------- helpers


def form_for(protocol, **overrides) -> MultiDict:  # noqa: ANN001
    """A complete, valid observation form; overrides by field key (None removes it) or by
    form name (lat, lon, accuracy, …)."""
    data = {
        protocol["temperature"]: "31.5",
        protocol["trees"]: "4",
        protocol["surface"]: str(protocol["surface"].choices[0].id),
        protocol["shade"]: [str(protocol["shade"].choices[0].id),
                            str(protocol["shade"].choices[1].id)],
        protocol["water"]: "no",
        protocol["note"]: "Lângă stația de autobuz",
        protocol["when"]: "2026-06-01T14:30",
    }
    names = {f"f{f.id}": value for f, value in data.items()}
    names |= {"lat": str(INSIDE[0]), "lon": str(INSIDE[1]), "accuracy": "8",
              "location_source": "gps"}
    for key, value in overrides.items():
        name = f"f{protocol[key].id}" if key in protocol else key
        if value is None:
            names.pop(name, None)
        else:
            names[name] = value
    result = MultiDict()
    for name, value in names.items():
        for item in value if isinstance(value, list) else [value]:
            result.add(name, item)
    return result


def photos_for(protocol, *photos: bytes) -> MultiDict:  # noqa: ANN001
    return MultiDict([(f"f{protocol['photo'].id}", data) for data in photos])


def submit(process, user, form, files=None, client_id=None):  # noqa: ANN001, ANN201
    return capture.submit_observation(process, user, form, files or MultiDict(),
                                      client_id or uuid.uuid4().hex, "ro")


def errors_of(process, user, form, files=None) -> dict[str, str]:  # noqa: ANN001
    with pytest.raises(capture.ObservationInvalid) as refused:
        submit(process, user, form, files)
    return english(refused.value.errors)


def english(errors) -> dict[str, str]:  # noqa: ANN001
    """The messages as an English-speaking citizen reads them."""
    from flask import current_app

    with current_app.test_request_context(headers={"Cookie": "lang=en"}):
        return {name: str(message) for name, message in errors.items()}


@pytest.fixture
def citizen(make_user):  # noqa: ANN001, ANN201
    return make_user()


# ---------------------------------------------------------------- the happy path


def test_a_complete_observation_is_stored_with_its_values_and_contribution(
        campaign, protocol, citizen):
    photo = jpeg()
    observation, created = submit(campaign, citizen, form_for(protocol),
                                  photos_for(protocol, photo))
    db.session.commit()
    assert created
    assert (observation.lat, observation.lon) == INSIDE
    assert (observation.public_lat, observation.public_lon) == (round(INSIDE[0], 3),
                                                                round(INSIDE[1], 3))
    assert observation.accuracy_m == 8 and observation.location_source == "gps"
    assert observation.in_area is True and observation.flags == []
    assert observation.status == "pending"
    rows = db.session.scalars(select(ObservationValue).where(
        ObservationValue.observation_id == observation.id)).all()
    by_field = {}
    for row in rows:
        by_field.setdefault(row.field_id, []).append(row)
    assert by_field[protocol["temperature"].id][0].number == 31.5
    assert by_field[protocol["trees"].id][0].number == 4
    assert by_field[protocol["surface"].id][0].option_id == protocol["surface"].choices[0].id
    assert {r.option_id for r in by_field[protocol["shade"].id]} == {
        o.id for o in protocol["shade"].choices[:2]}
    assert by_field[protocol["water"].id][0].number == 0
    assert by_field[protocol["note"].id][0].text == "Lângă stația de autobuz"
    moment = by_field[protocol["when"].id][0].moment
    assert moment.astimezone(LOCAL_TIMEZONE).strftime("%Y-%m-%d %H:%M") == "2026-06-01 14:30"
    photo_row = db.session.scalars(select(ObservationPhoto).where(
        ObservationPhoto.observation_id == observation.id)).one()
    import hashlib

    assert photo_row.sha256 == hashlib.sha256(photo).hexdigest()
    assert photo_row.field_id == protocol["photo"].id
    contribution = db.session.get(Contribution, observation.contribution_id)
    assert contribution.kind == "observation" and contribution.status == "published"
    assert contribution.text == "Lângă stația de autobuz" and contribution.language == "ro"
    assert contribution.author_id == citizen.id


def test_observed_at_defaults_to_now_and_is_typed_in_local_time(campaign, protocol, citizen):
    before = utcnow()
    observation, _ = submit(campaign, citizen, form_for(protocol))
    assert before - timedelta(seconds=5) <= observation.observed_at <= utcnow()
    observation, _ = submit(campaign, citizen, form_for(protocol, observed_at="2026-01-15T08:00"))
    # Winter: Romania is UTC+2.
    assert observation.observed_at.astimezone(LOCAL_TIMEZONE).hour == 8
    assert observation.observed_at.utcoffset() == timedelta(0)
    assert observation.observed_at.hour == 6


def test_comma_decimals_and_optional_fields_left_empty(campaign, protocol, citizen):
    form = form_for(protocol, temperature="21,5", trees=None, shade=None, water=None, note=None,
                    when=None)
    observation, _ = submit(campaign, citizen, form)
    values = {v.field_id: v for v in observation.values}
    assert values[protocol["temperature"].id].number == 21.5
    assert protocol["trees"].id not in values and protocol["note"].id not in values


def test_pre_moderation_makes_the_contribution_pending(campaign, protocol, citizen):
    campaign.moderation_mode = "pre"
    db.session.commit()
    observation, _ = submit(campaign, citizen, form_for(protocol))
    assert observation.contribution.status == "pending"


def test_public_position_follows_the_precision(campaign, protocol, citizen):
    settings = db.session.get(ScienceSettings, campaign.id)
    settings.public_precision = "1km"
    observation, _ = submit(campaign, citizen, form_for(protocol, lat="44.43671", lon="26.10249"))
    assert (observation.public_lat, observation.public_lon) == (44.44, 26.1)
    settings.public_precision = "exact"
    observation, _ = submit(campaign, citizen, form_for(protocol, lat="44.43671", lon="26.10249"))
    assert (observation.public_lat, observation.public_lon) == (44.43671, 26.10249)


def test_hostile_text_is_kept_as_plain_text(campaign, protocol, citizen):
    observation, _ = submit(campaign, citizen, form_for(
        protocol, note="<script>alert(1)</script>\n\x00 rând  doi"))
    note = next(v for v in observation.values if v.field_id == protocol["note"].id)
    assert note.text == "<script>alert(1)</script> rând doi"


# ---------------------------------------------------------------- bad values


@pytest.mark.parametrize(("key", "value", "message"), [
    ("temperature", "abc", "Enter a number"),
    ("temperature", "1e999", "Enter a number"),
    ("temperature", "nan", "Enter a number"),
    ("temperature", "61", "at most 60"),
    ("temperature", "-40.5", "at least -40"),
    ("temperature", "21.55", "at most 1 decimals"),
    ("trees", "-1", "whole number"),
    ("trees", "2.5", "whole number"),
    ("trees", "patru", "whole number"),
    ("water", "maybe", "yes or no"),
    ("note", "x" * 301, "At most 300 characters"),
    ("when", "ieri", "Enter a date and time"),
    ("when", "2999-01-01T10:00", "cannot be in the future"),
    ("surface", "999999", "Choose one of the options"),
    ("surface", "abc", "Choose one of the options"),
    ("shade", ["999999"], "Choose one of the options"),
])
def test_bad_values_are_refused_per_field(campaign, protocol, citizen, key, value, message):
    errors = errors_of(campaign, citizen, form_for(protocol, **{key: value}))
    assert list(errors) == [f"f{protocol[key].id}"]
    assert message in errors[f"f{protocol[key].id}"]
    assert count(Observation) == 0 and count(Contribution, Contribution.kind == "observation") == 0


def test_options_must_belong_to_the_field_and_be_active(campaign, protocol, citizen):
    other = protocol["shade"].choices[0].id  # an option of another field
    errors = errors_of(campaign, citizen, form_for(protocol, surface=str(other)))
    assert f"f{protocol['surface'].id}" in errors
    retired = protocol["surface"].choices[1]
    retired.active = False
    db.session.commit()
    db.session.refresh(protocol["surface"])
    errors = errors_of(campaign, citizen, form_for(protocol, surface=str(retired.id)))
    assert f"f{protocol['surface'].id}" in errors


def test_multiple_choice_minimum_and_maximum(campaign, protocol, citizen):
    field = protocol["shade"]
    field.settings = {"min": 2, "max": 2}
    db.session.commit()
    ids = [str(o.id) for o in field.choices]
    assert "at least 2" in errors_of(campaign, citizen, form_for(protocol, shade=ids[:1]))[
        f"f{field.id}"]
    assert "at most 2" in errors_of(campaign, citizen, form_for(protocol, shade=ids))[
        f"f{field.id}"]
    observation, _ = submit(campaign, citizen, form_for(protocol, shade=ids[:2]))
    assert len([v for v in observation.values if v.field_id == field.id]) == 2


def test_count_maximum(campaign, protocol, citizen):
    protocol["trees"].settings = {"max": 10}
    db.session.commit()
    assert "at most 10" in errors_of(campaign, citizen, form_for(protocol, trees="11"))[
        f"f{protocol['trees'].id}"]


def test_missing_required_fields_and_photo(campaign, protocol, citizen):
    required_photo = add_field(campaign, "photo", "Poza obligatorie", required=True)
    db.session.commit()
    errors = errors_of(campaign, citizen, form_for(protocol, temperature=None, surface=None))
    assert set(errors) == {f"f{protocol['temperature'].id}", f"f{protocol['surface'].id}",
                           f"f{required_photo.id}"}
    assert errors[f"f{required_photo.id}"] == "Add a photo."
    # Blank is missing too.
    errors = errors_of(campaign, citizen, form_for(protocol, temperature="  "),
                       MultiDict([(f"f{required_photo.id}", jpeg())]))
    assert set(errors) == {f"f{protocol['temperature'].id}"}


def test_too_many_photos(campaign, protocol, citizen):
    errors = errors_of(campaign, citizen, form_for(protocol),
                       photos_for(protocol, jpeg(), jpeg((1, 2, 3)), jpeg((9, 9, 9))))
    assert errors == {f"f{protocol['photo'].id}": "At most 2 photos."}


# ---------------------------------------------------------------- the location


@pytest.mark.parametrize(("overrides", "name", "message"), [
    ({"lat": "91"}, "lat", "between -90 and 90"),
    ({"lon": "-180.5"}, "lon", "between -180 and 180"),
    ({"lat": "patruzeci"}, "lat", "as a number"),
    ({"lat": "44°26'N"}, "lat", "as a number"),
    ({"lon": None}, "lon", "longitude as well"),
    ({"accuracy": "-3"}, "accuracy", "0 or more"),
    ({"accuracy": "bun"}, "accuracy", "0 or more"),
    ({"location_source": "satellite"}, "location_source", "Unknown source"),
    ({"lat": None, "lon": None}, "lat", "Add the location"),
])
def test_bad_locations_are_refused(campaign, protocol, citizen, overrides, name, message):
    errors = errors_of(campaign, citizen, form_for(protocol, **overrides))
    assert name in errors and message in errors[name], errors
    assert count(Observation) == 0


def test_typed_coordinates_without_a_source_are_typed(campaign, protocol, citizen):
    form = form_for(protocol, location_source=None, accuracy=None)
    observation, _ = submit(campaign, citizen, form)
    assert observation.location_source == "typed" and observation.accuracy_m is None
    assert "low_accuracy" not in observation.flags


def test_no_location_when_not_required_is_flagged(campaign, protocol, citizen):
    db.session.get(ScienceSettings, campaign.id).location_required = False
    db.session.commit()
    observation, _ = submit(campaign, citizen, form_for(protocol, lat=None, lon=None))
    assert observation.lat is None and observation.public_lat is None
    assert observation.flags == ["no_location"] and observation.in_area is None


# ---------------------------------------------------------------- flags


def test_outside_the_area_is_kept_and_flagged(campaign, protocol, citizen):
    observation, created = submit(campaign, citizen, form_for(
        protocol, lat=str(OUTSIDE[0]), lon=str(OUTSIDE[1])))
    assert created and observation.in_area is False
    assert observation.flags == ["outside_area"]


def test_out_of_the_expected_range_is_kept_and_flagged(campaign, protocol, citizen):
    observation, _ = submit(campaign, citizen, form_for(protocol, temperature="50"))
    assert observation.flags == ["out_of_range"]
    observation, _ = submit(campaign, citizen, form_for(protocol, trees="201"))
    assert observation.flags == ["out_of_range"]


def test_low_accuracy_is_flagged(campaign, protocol, citizen):
    observation, _ = submit(campaign, citizen, form_for(protocol, accuracy="120"))
    assert observation.flags == ["low_accuracy"]
    observation, _ = submit(campaign, citizen, form_for(protocol, accuracy="50"))
    assert observation.flags == []


def test_the_same_photo_twice_is_flagged(campaign, protocol, citizen, make_user):
    photo = jpeg((10, 200, 30))
    first, _ = submit(campaign, citizen, form_for(protocol), photos_for(protocol, photo))
    assert "duplicate_photo" not in first.flags
    second, _ = submit(campaign, make_user(), form_for(protocol), photos_for(protocol, photo))
    assert "duplicate_photo" in second.flags
    # Twice within one observation, too.
    third, _ = submit(campaign, citizen, form_for(protocol),
                      photos_for(protocol, jpeg((1, 1, 1)), jpeg((1, 1, 1))))
    assert "duplicate_photo" in third.flags


def test_a_burst_from_one_account_is_flagged(campaign, protocol, citizen, make_user):
    settings = db.session.get(ScienceSettings, campaign.id)
    settings.burst_count, settings.burst_minutes = 3, 10
    db.session.commit()
    flags = [submit(campaign, citizen, form_for(protocol))[0].flags for _ in range(4)]
    assert flags == [[], [], [], ["burst"]]
    # Another account is not affected; nor are old observations.
    assert submit(campaign, make_user(), form_for(protocol))[0].flags == []


# ---------------------------------------------------------------- photos


def _stored_bytes(observation) -> list[bytes]:  # noqa: ANN001
    storage = uploads.get_storage()
    return [storage.open(photo.key) for photo in observation.photos] + [
        storage.open(photo.thumb_key) for photo in observation.photos]


def test_exif_gps_never_survives_in_the_stored_file(campaign, protocol, citizen):
    photo = jpeg(gps=(44.4301, 26.1002), taken="2026:05:01 10:20:30")
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)
    observation, _ = submit(campaign, citizen, form_for(protocol), photos_for(protocol, photo))
    for data in _stored_bytes(observation):
        stored = Image.open(io.BytesIO(data))
        assert not stored.getexif() and "exif" not in stored.info
        assert b"EngageTestCam" not in data and b"GPS" not in data
    # Without consent the photo's position is not used.
    assert (observation.lat, observation.lon) == INSIDE


def test_photo_position_and_time_fill_the_form_only_with_consent(campaign, protocol, citizen):
    photo = jpeg(gps=(44.4301, 26.1002), taken="2026:05:01 10:20:30")
    form = form_for(protocol, lat=None, lon=None, accuracy=None, location_source=None)
    errors = errors_of(campaign, citizen, form, photos_for(protocol, photo))
    assert "lat" in errors
    form.add("use_photo_metadata", "1")
    observation, _ = submit(campaign, citizen, form, photos_for(protocol, photo))
    assert observation.lat == pytest.approx(44.4301, abs=1e-4)
    assert observation.lon == pytest.approx(26.1002, abs=1e-4)
    assert observation.location_source == "photo" and observation.accuracy_m is None
    local = observation.observed_at.astimezone(LOCAL_TIMEZONE)
    assert local.strftime("%Y-%m-%d %H:%M:%S") == "2026-05-01 10:20:30"
    # What the citizen typed wins over the photo.
    form = form_for(protocol, observed_at="2026-05-02T09:00")
    form.add("use_photo_metadata", "1")
    observation, _ = submit(campaign, citizen, form, photos_for(protocol, photo))
    assert (observation.lat, observation.lon) == INSIDE
    assert observation.observed_at.astimezone(LOCAL_TIMEZONE).day == 2


def test_photo_metadata_reads_gps_and_time():
    lat, lon, taken = uploads.photo_metadata(jpeg(gps=(-33.5, -70.25), taken="2026:01:02 03:04:05"))
    assert (round(lat, 4), round(lon, 4)) == (-33.5, -70.25)
    assert taken.isoformat() == "2026-01-02T03:04:05"
    assert uploads.photo_metadata(jpeg()) is None
    assert uploads.photo_metadata(b"not a photo") is None
    assert uploads.photo_metadata(b"") is None


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.4 this is a text file named photo.jpg", "not a photo we can use"),
    (b"\xff\xd8\xff\xe0 broken", "not a photo we can use"),
    ("bomb", "megapixels"),
    ("big", "larger than 8 MB"),
])
def test_bad_photos_are_refused_and_nothing_is_kept(campaign, protocol, citizen, tmp_path,
                                                    data, message):
    data = bomb() if data == "bomb" else big_photo() if data == "big" else data
    storage = uploads.LocalStorage(tmp_path)
    with pytest.raises(capture.ObservationInvalid) as refused:
        capture.submit_observation(campaign, citizen, form_for(protocol),
                                   photos_for(protocol, jpeg(), data), uuid.uuid4().hex, "ro",
                                   storage=storage)
    assert message in english(refused.value.errors)[f"f{protocol['photo'].id}"]
    assert count(Observation) == 0
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "a refused photo left files"


# ---------------------------------------------------------------- resends and campaigns


def test_a_resend_with_the_same_client_id_is_stored_once(campaign, protocol, citizen):
    client_id = uuid.uuid4().hex
    first, created = submit(campaign, citizen, form_for(protocol),
                            photos_for(protocol, jpeg()), client_id)
    db.session.commit()
    again, created_again = submit(campaign, citizen, form_for(protocol, temperature="1"),
                                  photos_for(protocol, jpeg()), client_id)
    assert created and not created_again and again.id == first.id
    assert count(Observation) == 1 and count(ObservationPhoto) == 1
    # The same id from another person is another observation.
    _, created_other = submit(campaign, add_user(), form_for(protocol), None, client_id)
    assert created_other and count(Observation) == 2


def add_user():  # noqa: ANN201
    from engage.accounts.models import User

    user = User(email=f"{uuid.uuid4().hex[:8]}@example.org", display_name="X",
                password_hash="x", email_verified_at=utcnow())
    db.session.add(user)
    db.session.flush()
    return user


def test_a_malformed_client_id_is_refused(campaign, protocol, citizen):
    with pytest.raises(capture.ObservationInvalid) as refused:
        capture.submit_observation(campaign, citizen, form_for(protocol), None, "../../x", "ro")
    assert "client_id" in refused.value.errors


@pytest.mark.parametrize("change", ["closed", "upcoming", "draft", "ended"])
def test_a_campaign_not_open_refuses_observations(campaign, protocol, citizen, change):
    now = utcnow()
    if change == "closed":
        campaign.status = "closed"
    elif change == "upcoming":
        campaign.opens_at = now + timedelta(days=1)
    elif change == "draft":
        campaign.status = "draft"
    else:
        campaign.closes_at = now - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(capture.ObservationError) as refused:
        submit(campaign, citizen, form_for(protocol))
    assert refused.value.status == 409
    assert count(Observation) == 0


def test_a_queued_observation_already_stored_is_found_after_closing(campaign, protocol,
                                                                     citizen):
    client_id = uuid.uuid4().hex
    first, _ = submit(campaign, citizen, form_for(protocol), None, client_id)
    campaign.status = "closed"
    db.session.commit()
    again, created = submit(campaign, citizen, form_for(protocol), None, client_id)
    assert again.id == first.id and not created


def test_other_processes_and_anonymous_people_are_refused(make_process, city, citizen,
                                                          protocol, campaign):
    ideas = make_process(city, kind="ideas")
    with pytest.raises(capture.ObservationError) as refused:
        submit(ideas, citizen, form_for(protocol))
    assert refused.value.status == 404
    from flask_login import AnonymousUserMixin

    with pytest.raises(capture.ObservationError) as refused:
        submit(campaign, AnonymousUserMixin(), form_for(protocol))
    assert refused.value.status == 401


def test_fields_of_another_campaign_are_ignored(campaign, protocol, citizen, make_process,
                                                city):
    other = make_process(city, kind="science")
    foreign = add_field(other, "number", "Alt câmp", required=True)
    db.session.commit()
    form = form_for(protocol)
    form.add(f"f{foreign.id}", "12")
    observation, _ = submit(campaign, citizen, form)
    assert foreign.id not in {v.field_id for v in observation.values}


# ---------------------------------------------------------------- my observations


def test_my_observations_lists_only_mine_newest_first(campaign, protocol, citizen, make_user,
                                                      count_queries):
    mine = [add_observation(campaign, citizen, status="pending") for _ in range(3)]
    add_observation(campaign, make_user())
    page = capture.my_observations(campaign, citizen)
    assert page.total == 3 and {o.id for o in page.items} == {o.id for o in mine}
    for _ in range(25):
        add_observation(campaign, citizen, commit=False)
    db.session.commit()
    db.session.expire_all()
    assert campaign.id and citizen.id  # loaded again before counting
    with count_queries() as queries:
        page = capture.my_observations(campaign, citizen, 2)
        for o in page.items:
            _ = [v.number for v in o.values], [p.key for p in o.photos], o.contribution.status
    assert page.total == 28 and len(page.items) == 8
    assert queries.n <= 5, queries.statements


# ---------------------------------------------------------------- two sends at once

@pytest.fixture(scope="module")
def committing(tmp_path_factory):  # noqa: ANN001, ANN201
    from tests.conftest import standalone_app

    tmp = tmp_path_factory.mktemp("science-committing")
    with standalone_app(tmp, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as app:
        yield app


@pytest.mark.no_transaction
def test_simultaneous_resends_store_one_observation(committing):
    from engage.accounts.models import User
    from engage.cities.models import City
    from engage.processes.models import Process
    from engage.science.models import Field
    from tests.conftest import empty_database

    app = committing
    empty_database(app)
    with app.app_context():
        city = City(slug="suceava", name_ro="Suceava", name_en="Suceava")
        user = User(email="observer@example.org", display_name="Observer", password_hash="x",
                    email_verified_at=utcnow())
        db.session.add_all([city, user])
        db.session.flush()
        process = Process(city_id=city.id, kind="science", slug="caldura", title_ro="Căldură",
                          themes=["climate_adaptation"], status="published",
                          opens_at=utcnow() - timedelta(days=1))
        db.session.add(process)
        db.session.flush()
        db.session.add(ScienceSettings(process_id=process.id, location_required=True,
                                       pseudonym_key="k"))
        field = Field(process_id=process.id, position=0, type="number", label_ro="T",
                      required=True, settings={"min": -40, "max": 60})
        db.session.add(field)
        db.session.commit()
        ids = (process.id, user.id, field.id)
        db.session.remove()

    threads = 8
    barrier = Barrier(threads)
    client_id = uuid.uuid4().hex

    def send(number: int) -> str:
        barrier.wait()
        with app.app_context():
            try:
                process = db.session.get(Process, ids[0])
                user = db.session.get(User, ids[1])
                form = MultiDict({f"f{ids[2]}": "20", "lat": "47.65", "lon": "26.25"})
                _, created = capture.submit_observation(process, user, form, None, client_id)
                db.session.commit()
                return "created" if created else "stored"
            except Exception as error:  # noqa: BLE001 - every failure is reported
                db.session.rollback()
                return f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(send, range(threads)))
    assert sorted(outcomes) == ["created"] + ["stored"] * (threads - 1), outcomes
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Observation)) == 1
        assert db.session.scalar(select(db.func.count()).select_from(Contribution)) == 1
        db.session.remove()
