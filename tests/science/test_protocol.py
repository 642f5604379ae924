"""The protocol services: settings (validation, the pseudonym key, recomputing public positions
and area flags), fields of every type and their settings, options keeping their ids, the lock
once observations exist, ordering, and verifiers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.science import protocol
from engage.science.models import (
    MAX_FIELDS,
    MAX_OPTIONS,
    MAX_PHOTOS,
    NOTE_MAX,
    TEXT_MAX,
    Field,
    FieldOption,
    Observation,
    ScienceSettings,
    Verifier,
)
from engage.science.protocol import ProtocolError

from .conftest import AREA, INSIDE, OUTSIDE, add_observation, count


def refused(call, *args, field=None, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    with pytest.raises(ProtocolError) as caught:
        call(*args, **kwargs)
    if field is not None:
        assert caught.value.field == field, caught.value.message
    return caught.value


def message(app, error) -> str:  # noqa: ANN001
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        return str(error.message)


@pytest.fixture
def bare(make_process, city):  # noqa: ANN001, ANN201
    """A science process with no settings row and no fields."""
    return make_process(city, kind="science")


# ---------------------------------------------------------------- settings


def test_settings_for_gives_unsaved_defaults(bare):
    settings = protocol.settings_for(bare)
    assert settings.licence == "CC-BY-4.0"
    assert settings.public_precision == "100m"
    assert settings.location_required is True
    assert settings.area is None
    assert count(ScienceSettings) == 0


def test_save_settings_creates_row_and_pseudonym_key(bare):
    settings = protocol.save_settings(bare, licence="CC0-1.0", contact_email=" Date@Example.ORG ",
                                      min_accuracy_m="25", area="44, 26, 45, 27",
                                      instructions_ro="**Măsurați** la umbră")
    db.session.commit()
    assert settings.licence == "CC0-1.0"
    assert settings.contact_email == "date@example.org"
    assert settings.min_accuracy_m == 25
    assert settings.area["type"] == "Polygon"
    assert len(settings.pseudonym_key) == 64
    key = settings.pseudonym_key
    protocol.save_settings(bare, licence="CC-BY-4.0")
    assert settings.pseudonym_key == key  # never replaced
    assert settings.contact_email == "date@example.org"  # untouched


@pytest.mark.parametrize(("values", "field"), [
    ({"licence": "GPL"}, "licence"),
    ({"licence": None}, "licence"),
    ({"public_precision": "10m"}, "public_precision"),
    ({"min_accuracy_m": 0}, "min_accuracy_m"),
    ({"min_accuracy_m": 10_001}, "min_accuracy_m"),
    ({"min_accuracy_m": "abc"}, "min_accuracy_m"),
    ({"min_accuracy_m": 2.5}, "min_accuracy_m"),
    ({"contact_email": "not an address"}, "contact_email"),
    ({"contact_email": "a@b"}, "contact_email"),
    ({"contact_email": "x" * 250 + "@example.org"}, "contact_email"),
    ({"instructions_ro": "x" * 10_001}, "instructions_ro"),
    ({"instructions_en": 42}, "instructions_en"),
    ({"dataset_title_ro": "x" * (TEXT_MAX + 1)}, "dataset_title_ro"),
    ({"rights_holder": "x" * 201}, "rights_holder"),
    ({"burst_count": 1}, "burst_count"),
    ({"burst_count": 1001}, "burst_count"),
    ({"burst_minutes": 0}, "burst_minutes"),
    ({"burst_minutes": 1441}, "burst_minutes"),
    ({"burst_minutes": None}, "burst_minutes"),
    ({"location_required": "yes"}, "location_required"),
    ({"area": "91, 26, 92, 27"}, "area"),
    ({"area": '{"type": "Point", "coordinates": [1, 2]}'}, "area"),
    ({"pseudonym_key": "mine"}, None),
    ({"data_version": 5}, None),
])
def test_bad_settings_refused_and_nothing_changed(campaign, values, field):
    before = {c.name: getattr(db.session.get(ScienceSettings, campaign.id), c.name)
              for c in ScienceSettings.__table__.columns}
    error = refused(protocol.save_settings, campaign, **values)
    assert error.field == field
    db.session.rollback()
    settings = db.session.get(ScienceSettings, campaign.id)
    assert {c.name: getattr(settings, c.name) for c in ScienceSettings.__table__.columns} \
        == before


def test_settings_refused_for_another_kind(make_process, city):
    ideas = make_process(city, kind="ideas")
    refused(protocol.save_settings, ideas, licence="CC0-1.0")


def test_hostile_text_is_stored_as_text(campaign):
    settings = protocol.save_settings(campaign,
                                      instructions_ro="<script>alert(1)</script>")
    assert settings.instructions_ro == "<script>alert(1)</script>"


def test_area_can_be_removed(campaign):
    settings = protocol.save_settings(campaign, area="")
    assert settings.area is None
    settings = protocol.save_settings(campaign, area=AREA)
    assert settings.area == AREA
    assert protocol.save_settings(campaign, area=None).area is None


def test_precision_change_recomputes_public_positions(campaign, make_user):
    user = make_user()
    exact = add_observation(campaign, user, lat=44.43219, lon=26.10987)
    empty = add_observation(campaign, user, lat=None, lon=None)
    assert (exact.public_lat, exact.public_lon) == (44.432, 26.11)
    version = db.session.get(ScienceSettings, campaign.id).data_version

    protocol.save_settings(campaign, public_precision="1km")
    db.session.commit()
    assert (exact.public_lat, exact.public_lon) == (44.43, 26.11)
    assert (empty.public_lat, empty.public_lon) == (None, None)
    assert db.session.get(ScienceSettings, campaign.id).data_version > version

    protocol.save_settings(campaign, public_precision="exact")
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Observation, exact.id)
    assert (row.public_lat, row.public_lon) == (44.43219, 26.10987)
    assert row.lat == 44.43219  # the true location never changes


def test_recompute_works_in_batches(campaign, make_user, monkeypatch):
    monkeypatch.setattr(protocol, "BATCH", 3)
    user = make_user()
    ids = [add_observation(campaign, user, lat=44.40 + n / 1000 + 0.00037, lon=26.1,
                           commit=False).id for n in range(8)]
    db.session.commit()
    protocol.save_settings(campaign, public_precision="exact")
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(select(Observation).where(Observation.id.in_(ids))).all()
    assert len(rows) == 8
    assert all(row.public_lat == row.lat for row in rows)


def test_area_change_recomputes_flags(campaign, make_user):
    user = make_user()
    inside = add_observation(campaign, user, lat=INSIDE[0], lon=INSIDE[1],
                             flags=["out_of_range"])
    outside = add_observation(campaign, user, lat=OUTSIDE[0], lon=OUTSIDE[1])
    nowhere = add_observation(campaign, user, lat=None, lon=None, flags=["no_location"])
    # The fixture stores in_area=True; saving another area brings everything in line.
    protocol.save_settings(campaign, area="45, 21, 46, 22")  # around Timișoara
    db.session.commit()
    db.session.expire_all()
    inside, outside, nowhere = (db.session.get(Observation, o.id)
                                for o in (inside, outside, nowhere))
    assert inside.in_area is False and inside.flags == ["out_of_range", "outside_area"]
    assert outside.in_area is True and outside.flags == []
    assert nowhere.in_area is None and nowhere.flags == ["no_location"]
    # No area: nothing is outside.
    protocol.save_settings(campaign, area=None)
    db.session.commit()
    db.session.expire_all()
    inside = db.session.get(Observation, inside.id)
    assert inside.in_area is None and inside.flags == ["out_of_range"]
    assert count(Observation, Observation.process_id == campaign.id) == 3


def test_unchanged_area_touches_nothing(campaign, make_user, count_queries):
    add_observation(campaign, make_user())
    settings = db.session.get(ScienceSettings, campaign.id)
    with count_queries() as queries:
        protocol.save_settings(campaign, area=settings.area,
                               public_precision=settings.public_precision)
    assert not any("science_observation" in q for q in queries.statements)


# ---------------------------------------------------------------- fields


def add(process, field_type="number", **kwargs):  # noqa: ANN001, ANN003, ANN201
    kwargs.setdefault("label_ro", "Temperatura")
    return protocol.add_field(process, field_type, **kwargs)


def test_add_field_of_every_type(bare):
    number = add(bare, "number", settings={"unit_ro": "°C", "min": -30, "max": 60,
                                           "decimals": 1, "expected_min": -10,
                                           "expected_max": 45})
    count_field = add(bare, "count", label_ro="Copaci", settings={"expected_max": 50})
    single = add(bare, "single", label_ro="Loc", options=[("Parc", "Park"), ("Stradă", "")])
    multiple = add(bare, "multiple", label_ro="Umbră", settings={"max": 2},
                   options=[("Copaci", "Trees"), ("Clădiri", ""), ("Nimic", "")])
    yes_no = add(bare, "yes_no", label_ro="Apă", required=True)
    text = add(bare, "text", label_ro="Notă", settings={"max_length": 300})
    moment = add(bare, "datetime", label_ro="Când")
    photo = add(bare, "photo", label_ro="Foto", settings={"max_photos": MAX_PHOTOS})
    db.session.commit()
    assert [f.position for f in (number, count_field, single, multiple, yes_no, text, moment,
                                 photo)] == list(range(8))
    assert number.settings == {"unit_ro": "°C", "unit_en": "", "min": -30, "max": 60,
                               "decimals": 1, "expected_min": -10, "expected_max": 45}
    assert count_field.settings == {"max": None, "expected_max": 50}
    assert [o.label_ro for o in single.options] == ["Parc", "Stradă"]
    assert multiple.settings == {"min": None, "max": 2}
    assert yes_no.required and yes_no.settings == {}
    assert text.settings == {"max_length": 300}
    assert moment.settings == {}
    assert photo.settings == {"max_photos": MAX_PHOTOS}
    assert protocol.fields_of(bare)[2].choices[0].label_en == "Park"


@pytest.mark.parametrize(("field_type", "kwargs", "field"), [
    ("bogus", {}, "type"),
    (None, {}, "type"),
    ("number", {"label_ro": ""}, "label_ro"),
    ("number", {"label_ro": "   "}, "label_ro"),
    ("number", {"label_ro": "x" * (TEXT_MAX + 1)}, "label_ro"),
    ("number", {"label_en": "x" * (TEXT_MAX + 1)}, "label_en"),
    ("number", {"help_ro": "x" * 2001}, "help_ro"),
    ("number", {"label_ro": ["a"]}, "label_ro"),
    ("number", {"required": "yes"}, "required"),
    ("number", {"settings": {"min": 5, "max": 5}}, "settings.max"),
    ("number", {"settings": {"min": 10, "max": 5}}, "settings.max"),
    ("number", {"settings": {"decimals": 7}}, "settings.decimals"),
    ("number", {"settings": {"decimals": -1}}, "settings.decimals"),
    ("number", {"settings": {"decimals": 1.5}}, "settings.decimals"),
    ("number", {"settings": {"min": float("nan")}}, "settings.min"),
    ("number", {"settings": {"max": float("inf")}}, "settings.max"),
    ("number", {"settings": {"max": "lots"}}, "settings.max"),
    ("number", {"settings": {"min": True}}, "settings.min"),
    ("number", {"settings": {"min": 1e13}}, "settings.min"),
    ("number", {"settings": {"min": 0, "max": 10, "expected_min": -1}}, "settings.expected_min"),
    ("number", {"settings": {"min": 0, "max": 10, "expected_max": 11}}, "settings.expected_max"),
    ("number", {"settings": {"expected_min": 5, "expected_max": 5}}, "settings.expected_max"),
    ("number", {"settings": {"unit_ro": "x" * 31}}, "settings.unit_ro"),
    ("number", {"settings": {"colour": "red"}}, "settings"),
    ("number", {"settings": "min=1"}, "settings"),
    ("count", {"settings": {"max": 0}}, "settings.max"),
    ("count", {"settings": {"max": 10, "expected_max": 11}}, "settings.expected_max"),
    ("count", {"settings": {"expected_max": -1}}, "settings.expected_max"),
    ("single", {"options": [("Doar una", "")]}, "options"),
    ("single", {"options": []}, "options"),
    ("single", {"options": [("A", ""), ("a", "")]}, "options"),
    ("single", {"options": [("", "Only English"), ("B", "")]}, "options"),
    ("single", {"options": "A,B"}, "options"),
    ("single", {"options": [("A", ""), ("B", ""), ("C",)]}, "options"),
    ("single", {"options": [("x" * (TEXT_MAX + 1), ""), ("B", "")]}, "options"),
    ("single", {"options": [(f"O{n}", "") for n in range(MAX_OPTIONS + 1)]}, "options"),
    ("single", {"options": [{"id": 999999, "label_ro": "A"}, ("B", "")]}, "options"),
    ("multiple", {"options": [("A", ""), ("B", "")], "settings": {"max": 3}}, "settings.max"),
    ("multiple", {"options": [("A", ""), ("B", "")], "settings": {"min": 2, "max": 1}},
     "settings.max"),
    ("multiple", {"options": [("A", ""), ("B", "")], "settings": {"min": 0}}, "settings.min"),
    ("text", {"settings": {"max_length": 0}}, "settings.max_length"),
    ("text", {"settings": {"max_length": NOTE_MAX + 1}}, "settings.max_length"),
    ("photo", {"settings": {"max_photos": 0}}, "settings.max_photos"),
    ("photo", {"settings": {"max_photos": MAX_PHOTOS + 1}}, "settings.max_photos"),
    ("yes_no", {"settings": {"max": 1}}, "settings"),
])
def test_bad_fields_refused(bare, field_type, kwargs, field):
    kwargs.setdefault("label_ro", "Etichetă")
    refused(protocol.add_field, bare, field_type, field=field, **kwargs)
    assert count(Field) == 0 and count(FieldOption) == 0


def test_at_most_max_fields(bare):
    for n in range(MAX_FIELDS):
        add(bare, "yes_no", label_ro=f"Câmp {n}")
    refused(protocol.add_field, bare, "yes_no", label_ro="Încă unul")
    assert count(Field, Field.process_id == bare.id) == MAX_FIELDS


def test_fields_only_in_science_processes(make_process, city):
    refused(protocol.add_field, make_process(city, kind="ideas"), "yes_no", label_ro="Da?")


def test_message_is_translated(app, bare):
    error = refused(protocol.add_field, bare, "number", label_ro="")
    assert "Romanian" in message(app, error)


def test_update_field_changes_type_before_observations(campaign, protocol_fields):
    field = protocol_fields["temperature"]
    protocol.update_field(field, field_type="single", label_ro="Alegere",
                          options=[("A", ""), ("B", "")])
    db.session.commit()
    assert field.type == "single" and field.settings == {}
    assert [o.label_ro for o in field.options] == ["A", "B"]
    protocol.update_field(field, field_type="count", label_ro="Număr")
    db.session.commit()
    assert field.type == "count" and field.options == []
    assert count(FieldOption, FieldOption.field_id == field.id) == 0


def test_type_change_refused_once_observations_exist(app, campaign, protocol_fields,
                                                     make_user):
    add_observation(campaign, make_user())
    field = protocol_fields["temperature"]
    error = refused(protocol.update_field, field, field_type="count", label_ro="Număr",
                    field="type")
    assert "deactivate" in message(app, error)
    db.session.rollback()
    assert db.session.get(Field, field.id).type == "number"
    # Texts and settings may still change.
    protocol.update_field(field, label_ro="Temperatura aerului", label_en="Air temperature",
                          required=True, settings={**field.settings, "decimals": 2})
    db.session.commit()
    assert field.label_ro == "Temperatura aerului" and field.settings["decimals"] == 2


def test_options_keep_their_ids(campaign, protocol_fields):
    field = protocol_fields["surface"]
    asphalt, grass, paving = field.options
    protocol.update_field(field, label_ro=field.label_ro, required=True, options=[
        {"id": paving.id, "label_ro": "Pavele", "label_en": "Paving stones"},
        ("asfalt", "Asphalt"),  # same Romanian label, other case: the same option
        ("Pământ", "Soil"),
        {"id": grass.id, "label_ro": "", "label_en": ""},  # emptied: removed
    ])
    db.session.commit()
    db.session.expire_all()
    field = db.session.get(Field, field.id)
    assert [(o.id, o.label_ro, o.position) for o in field.options][:2] == [
        (paving.id, "Pavele", 0), (asphalt.id, "asfalt", 1)]
    assert field.options[2].label_ro == "Pământ"
    assert grass.id not in {o.id for o in field.options}  # no observations yet: deleted


def test_removed_options_are_deactivated_once_observations_exist(campaign, protocol_fields,
                                                                 make_user):
    field = protocol_fields["surface"]
    asphalt, grass, paving = field.options
    add_observation(campaign, make_user(), values=[(field, grass)])
    protocol.update_field(field, label_ro=field.label_ro, options=[
        {"id": asphalt.id, "label_ro": "Asfalt", "label_en": ""},
        {"id": paving.id, "label_ro": "Pavaj", "label_en": ""},
    ])
    db.session.commit()
    db.session.expire_all()
    field = db.session.get(Field, field.id)
    assert [(o.id, o.active) for o in field.options] == [
        (asphalt.id, True), (paving.id, True), (grass.id, False)]
    assert [o.id for o in field.choices] == [asphalt.id, paving.id]
    # Giving it again reactivates it, with its id.
    protocol.update_field(field, label_ro=field.label_ro, options=[
        ("Asfalt", ""), ("Pavaj", ""), ("Iarbă", "Grass")])
    db.session.commit()
    db.session.expire_all()
    field = db.session.get(Field, field.id)
    assert [o.id for o in field.choices] == [asphalt.id, paving.id, grass.id]
    assert count(FieldOption, FieldOption.field_id == field.id) == 3


def test_forged_option_of_another_field_refused(campaign, protocol_fields):
    surface, shade = protocol_fields["surface"], protocol_fields["shade"]
    refused(protocol.update_field, surface, label_ro="Suprafața", field="options", options=[
        {"id": shade.options[0].id, "label_ro": "Copaci"}, ("B", ""), ("C", "")])
    refused(protocol.update_field, surface, label_ro="Suprafața", field="options", options=[
        {"id": "abc", "label_ro": "A"}, ("B", "")])
    refused(protocol.update_field, surface, label_ro="Suprafața", field="options", options=[
        {"id": surface.options[0].id, "label_ro": "A"},
        {"id": surface.options[0].id, "label_ro": "B"}])


def test_choice_needs_two_active_options_after_update(campaign, protocol_fields):
    field = protocol_fields["surface"]
    refused(protocol.update_field, field, label_ro="S", options=[("Asfalt", "")],
            field="options")


def test_move_field(campaign, protocol_fields):
    first, second = protocol_fields["temperature"], protocol_fields["trees"]
    protocol.move_field(second, "up")
    db.session.commit()
    order = [f.id for f in protocol.fields_of(campaign)]
    assert order[:2] == [second.id, first.id]
    assert [f.position for f in protocol.fields_of(campaign)] == list(range(len(order)))
    refused(protocol.move_field, second, "up")
    refused(protocol.move_field, protocol_fields["photo"], "down")
    refused(protocol.move_field, first, "sideways", field="direction")


def test_deactivate_and_reactivate(campaign, protocol_fields, make_user):
    add_observation(campaign, make_user())
    field = protocol_fields["note"]
    protocol.deactivate_field(field)
    db.session.commit()
    assert field not in protocol.fields_of(campaign, active_only=True)
    assert field in protocol.fields_of(campaign)
    protocol.reactivate_field(field)
    db.session.commit()
    assert field.active


def test_delete_field_before_observations(campaign, protocol_fields):
    protocol.delete_field(protocol_fields["trees"])
    db.session.commit()
    fields = protocol.fields_of(campaign)
    assert protocol_fields["trees"].id not in {f.id for f in fields}
    assert [f.position for f in fields] == list(range(len(fields)))


def test_delete_refused_once_observations_exist(app, campaign, protocol_fields, make_user):
    add_observation(campaign, make_user())
    assert protocol.has_observations(campaign)
    error = refused(protocol.delete_field, protocol_fields["trees"])
    assert "deactivate" in message(app, error)
    db.session.rollback()
    assert count(Field, Field.process_id == campaign.id) == 8


def test_has_observations(campaign, make_user):
    assert not protocol.has_observations(campaign)
    add_observation(campaign, make_user())
    assert protocol.has_observations(campaign)


# ---------------------------------------------------------------- verifiers


def test_add_and_remove_verifier(campaign, make_user, make_role):
    organiser = make_user(display_name="Ana")
    make_role(organiser, campaign.city, "organiser")
    protocol.add_verifier(campaign, organiser.email.upper())
    db.session.commit()
    assert protocol.verifiers_of(campaign) == [organiser]
    refused(protocol.add_verifier, campaign, organiser.email, field="email")  # already
    protocol.remove_verifier(campaign, organiser.id)
    db.session.commit()
    assert count(Verifier) == 0
    refused(protocol.remove_verifier, campaign, organiser.id)
    refused(protocol.remove_verifier, campaign, "1")


@pytest.mark.parametrize("who", ["nobody", "citizen", "moderator", "admin", "other_city", "",
                                 None, "long"])
def test_verifier_must_be_an_organiser_of_the_city(app, campaign, make_user, make_role,
                                                   make_city, who):
    person = make_user()
    if who == "moderator":
        make_role(person, campaign.city, "moderator")
    elif who == "admin":
        person.is_admin = True
        db.session.commit()
    elif who == "other_city":
        make_role(person, make_city(), "organiser")
    email = {"nobody": "nobody@example.org", "": "", None: None,
             "long": "x" * 300 + "@example.org"}.get(who, person.email)
    error = refused(protocol.add_verifier, campaign, email, field="email")
    assert message(app, error)
    assert count(Verifier) == 0


@pytest.fixture
def protocol_fields(protocol):  # noqa: ANN001, ANN201
    """The conftest's `protocol` fixture (one field of every type), under a name that does not
    hide the services module."""
    return protocol
