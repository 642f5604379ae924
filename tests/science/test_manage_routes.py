"""The organisers' science pages through the test client: the protocol page, building fields
through the forms (every type, options keeping their ids), bad input (422, nothing changed),
the lock once observations exist, the settings (area, precision), verifiers, the preview in
both languages, htmx answers, and constant query counts."""

from __future__ import annotations

import re

import pytest

from engage.extensions import db
from engage.science import protocol
from engage.science.models import Field, FieldOption, Observation, ScienceSettings, Verifier

from .conftest import add_field, add_observation, count


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Organiser")
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def as_organiser(client, login_as, organiser):  # noqa: ANN001, ANN201
    return login_as(client, organiser)


@pytest.fixture
def base(city, campaign):  # noqa: ANN001, ANN201
    return f"/{city.slug}/manage/processes/{campaign.slug}/science"


def page(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def snapshot(process) -> list:  # noqa: ANN001
    db.session.expire_all()
    return [(f.id, f.position, f.type, f.label_ro, f.label_en, f.required, f.active, f.settings,
             [(o.id, o.position, o.label_ro, o.label_en, o.active) for o in f.options])
            for f in protocol.fields_of(process)]


# ---------------------------------------------------------------- the protocol page


def test_protocol_page_lists_fields_in_order(as_organiser, base, protocol):  # noqa: ANN001
    response = as_organiser.get(base + "/protocol")
    assert response.status_code == 200
    html = page(response)
    positions = [html.index(f'id="field-{f.id}"') for f in protocol.values()]
    assert positions == sorted(positions)
    assert "Temperatura" in html and "Number" in html and "Photo" in html
    assert "locked-notice" not in html
    assert "/delete" in html


def test_protocol_page_shows_the_lock(as_organiser, base, campaign, protocol, make_user):  # noqa: ANN001
    add_observation(campaign, make_user())
    html = page(as_organiser.get(base + "/protocol"))
    assert "locked-notice" in html
    assert f'/fields/{protocol["trees"].id}/delete' not in html
    assert "Deactivate" in html


def test_protocol_page_query_count_is_constant(as_organiser, base, campaign, count_queries):  # noqa: ANN001
    def queries() -> int:
        with count_queries() as counted:
            assert as_organiser.get(base + "/protocol").status_code == 200
        return counted.n

    add_field(campaign, "single", "Alegere", options=["A", "B"])
    db.session.commit()
    few = queries()
    for n in range(15):
        add_field(campaign, "multiple", f"Câmp {n}", options=["A", "B", "C"])
    db.session.commit()
    assert queries() == few


def test_hostile_labels_are_escaped(as_organiser, base, campaign):  # noqa: ANN001
    add_field(campaign, "single", "<script>alert(1)</script>", options=["<b>x</b>", "y"])
    db.session.commit()
    for suffix in ("/protocol", "/preview?lang=ro", "/preview?lang=en"):
        html = page(as_organiser.get(base + suffix))
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;" in html
        assert "<b>x</b>" not in html


# ---------------------------------------------------------------- adding and editing fields


def test_type_list_then_form(as_organiser, base):  # noqa: ANN001
    html = page(as_organiser.get(base + "/fields/new"))
    assert "type=number" in html and "type=photo" in html
    response = as_organiser.get(base + "/fields/new?type=bogus")
    assert "Choose a type of field" in page(response)
    html = page(as_organiser.get(base + "/fields/new?type=number"))
    assert 'name="number_expected_min"' in html and 'name="option_ro"' not in html
    html = page(as_organiser.get(base + "/fields/new?type=single"))
    assert html.count('name="option_ro"') == 3


def test_add_number_field_through_the_form(as_organiser, base, campaign):  # noqa: ANN001
    response = as_organiser.post_form(base + "/fields/new", {
        "type": "number", "label_ro": "Temperatura", "label_en": "Temperature",
        "required": "y", "number_unit_ro": "°C", "number_min": "-30", "number_max": "60",
        "number_decimals": "1", "number_expected_min": "-10,5", "number_expected_max": "45"})
    assert response.status_code == 303
    field = db.session.scalars(db.select(Field).where(Field.process_id == campaign.id)).one()
    assert response.headers["Location"].endswith(f"/protocol#field-{field.id}")
    assert field.required and field.label_en == "Temperature"
    assert field.settings == {"unit_ro": "°C", "unit_en": "", "min": -30, "max": 60,
                              "decimals": 1, "expected_min": -10.5, "expected_max": 45}


@pytest.mark.parametrize("field_type", ["count", "yes_no", "text", "datetime", "photo"])
def test_add_other_types_with_defaults(as_organiser, base, campaign, field_type):  # noqa: ANN001
    form = page(as_organiser.get(base + f"/fields/new?type={field_type}"))
    assert "Label in Romanian" in form
    data = {"type": field_type, "label_ro": "Etichetă"}
    if field_type == "text":
        data["text_max_length"] = "300"
    if field_type == "photo":
        data["photo_max_photos"] = "2"
    assert as_organiser.post_form(base + "/fields/new", data).status_code == 303
    field = db.session.scalars(db.select(Field).where(Field.process_id == campaign.id)).one()
    assert field.type == field_type
    assert field.settings == protocol.clean_settings(field_type, {
        "text": {"max_length": 300}, "photo": {"max_photos": 2}}.get(field_type, {}))


@pytest.mark.parametrize(("data", "message"), [
    ({"type": "number", "label_ro": ""}, "Write the Romanian text"),
    ({"type": "number", "label_ro": "x" * 501}, "At most 500 characters"),
    ({"type": "number", "label_ro": "T", "number_min": "5", "number_max": "1"},
     "The largest value must be more than the smallest"),
    ({"type": "number", "label_ro": "T", "number_min": "abc"}, "Enter a number"),
    ({"type": "number", "label_ro": "T", "number_decimals": "9"}, "from 0 to 6"),
    ({"type": "number", "label_ro": "T", "number_min": "0", "number_max": "10",
      "number_expected_max": "20"}, "expected range must lie"),
    ({"type": "photo", "label_ro": "F", "photo_max_photos": "6"}, "from 1 to 5"),
    ({"type": "text", "label_ro": "N", "text_max_length": "0"}, "from 1 to 2000"),
    ({"type": "single", "label_ro": "S", "option_id": "", "option_ro": "Doar una",
      "option_en": ""}, "at least two options"),
    ({"type": "bogus", "label_ro": "S"}, "Choose a type of field"),
])
def test_bad_fields_refused_with_a_message(as_organiser, base, campaign, data, message):  # noqa: ANN001
    response = as_organiser.post_form(base + "/fields/new", data)
    assert response.status_code == 422
    assert message in page(response)
    assert count(Field) == 0


def test_choice_options_keep_ids_through_the_form(as_organiser, base, campaign):  # noqa: ANN001
    response = as_organiser.post(base + "/fields/new", data={
        "csrf_token": as_organiser.csrf_token(), "type": "single", "label_ro": "Loc",
        "option_id": ["", "", "", ""], "option_ro": ["Parc", "Stradă", "Curte", ""],
        "option_en": ["Park", "", "", ""]})
    assert response.status_code == 303
    field = db.session.scalars(db.select(Field).where(Field.process_id == campaign.id)).one()
    park, street, yard = field.options
    street_id = street.id
    form = page(as_organiser.get(base + f"/fields/{field.id}/edit"))
    assert f'value="{park.id}"' in form and 'value="Parc"' in form
    # Rename one, remove one, add one, reorder.
    response = as_organiser.post(base + f"/fields/{field.id}/edit", data={
        "csrf_token": as_organiser.csrf_token(), "label_ro": "Loc",
        "option_id": [str(yard.id), str(park.id), str(street.id), ""],
        "option_ro": ["Curtea școlii", "Parc", "", "Piață"],
        "option_en": ["Schoolyard", "Park", "", "Square"]})
    assert response.status_code == 303
    db.session.expire_all()
    field = db.session.get(Field, field.id)
    assert [(o.id, o.label_ro) for o in field.options][:2] == [(yard.id, "Curtea școlii"),
                                                               (park.id, "Parc")]
    assert field.options[2].label_ro == "Piață"
    assert street_id not in {o.id for o in field.options}
    assert count(FieldOption, FieldOption.id == street_id) == 0


def test_removed_options_deactivated_after_observations(as_organiser, base, campaign,  # noqa: ANN001
                                                        protocol, make_user):
    surface = protocol["surface"]
    asphalt, grass, paving = surface.options
    add_observation(campaign, make_user(), values=[(surface, grass)])
    response = as_organiser.post(base + f"/fields/{surface.id}/edit", data={
        "csrf_token": as_organiser.csrf_token(), "label_ro": surface.label_ro, "required": "y",
        "option_id": [str(asphalt.id), str(grass.id), str(paving.id)],
        "option_ro": ["Asfalt", "", "Pavaj"], "option_en": ["", "", ""]})
    assert response.status_code == 303
    db.session.expire_all()
    assert not db.session.get(FieldOption, grass.id).active
    html = page(as_organiser.get(base + f"/fields/{surface.id}/edit"))
    assert "Deactivated options" in html and "Iarbă" in html


def test_forged_option_id_refused(as_organiser, base, campaign, protocol):  # noqa: ANN001
    surface, shade = protocol["surface"], protocol["shade"]
    before = snapshot(campaign)
    response = as_organiser.post(base + f"/fields/{surface.id}/edit", data={
        "csrf_token": as_organiser.csrf_token(), "label_ro": "S",
        "option_id": [str(shade.options[0].id), ""], "option_ro": ["Copaci", "B"],
        "option_en": ["", ""]})
    assert response.status_code == 422
    assert "not part of this field" in page(response)
    assert snapshot(campaign) == before


def test_field_of_another_campaign_is_not_found(as_organiser, base, city, make_process):  # noqa: ANN001
    other = make_process(city, kind="science")
    foreign = add_field(other, "yes_no", "Da?")
    db.session.commit()
    assert as_organiser.get(base + f"/fields/{foreign.id}/edit").status_code == 404
    assert as_organiser.post_form(base + f"/fields/{foreign.id}/delete").status_code == 404
    assert count(Field, Field.id == foreign.id) == 1


def test_another_citys_campaign_is_not_found(as_organiser, make_city, make_process, city):  # noqa: ANN001
    other_city = make_city()
    elsewhere = make_process(other_city, kind="science")
    # Under the organiser's own city, the other city's campaign does not exist.
    url = f"/{city.slug}/manage/processes/{elsewhere.slug}/science/protocol"
    assert as_organiser.get(url).status_code == 404
    # Under the other city, they are not an organiser.
    url = f"/{other_city.slug}/manage/processes/{elsewhere.slug}/science/protocol"
    assert as_organiser.get(url).status_code == 403


def test_change_type_before_observations(as_organiser, base, campaign, protocol):  # noqa: ANN001
    trees = protocol["trees"]
    html = page(as_organiser.get(base + f"/fields/{trees.id}/edit?type=single"))
    assert "You are changing this field" in html and 'name="option_ro"' in html
    response = as_organiser.post(base + f"/fields/{trees.id}/edit", data={
        "csrf_token": as_organiser.csrf_token(), "type": "single", "label_ro": "Copaci",
        "option_id": ["", ""], "option_ro": ["Puțini", "Mulți"], "option_en": ["", ""]})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Field, trees.id).type == "single"


def test_type_change_refused_after_observations(as_organiser, base, campaign, protocol,  # noqa: ANN001
                                                make_user):
    add_observation(campaign, make_user())
    trees = protocol["trees"]
    before = snapshot(campaign)
    html = page(as_organiser.get(base + f"/fields/{trees.id}/edit"))
    assert 'id="change-type"' not in html and "locked-notice" in html
    html = page(as_organiser.get(base + f"/fields/{trees.id}/edit?type=single"))
    assert "type of a field cannot change" in html
    response = as_organiser.post_form(base + f"/fields/{trees.id}/edit",
                                      {"type": "single", "label_ro": "Copaci"})
    assert response.status_code == 422
    assert "type of a field cannot change" in page(response)
    assert snapshot(campaign) == before
    # Its texts may still change.
    response = as_organiser.post_form(base + f"/fields/{trees.id}/edit",
                                      {"label_ro": "Copaci în jur", "count_expected_max": "80"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Field, trees.id).label_ro == "Copaci în jur"


# ---------------------------------------------------------------- actions


def test_move_field(as_organiser, base, campaign, protocol):  # noqa: ANN001
    trees = protocol["trees"]
    response = as_organiser.post_form(base + f"/fields/{trees.id}/move", {"direction": "up"})
    assert response.status_code == 303
    assert [f.id for f in protocol_fields_now(campaign)][:2] == [trees.id,
                                                                  protocol["temperature"].id]
    response = as_organiser.post_form(base + f"/fields/{trees.id}/move", {"direction": "up"})
    assert response.status_code == 422
    assert "already the first" in page(response)
    response = as_organiser.post_form(base + f"/fields/{trees.id}/move",
                                      {"direction": "sideways"})
    assert response.status_code == 422


def protocol_fields_now(campaign):  # noqa: ANN001, ANN201
    db.session.expire_all()
    return protocol.fields_of(campaign)


def test_htmx_post_answers_with_hx_location(as_organiser, base, campaign, protocol):  # noqa: ANN001
    trees = protocol["trees"]
    response = as_organiser.post_form(base + f"/fields/{trees.id}/deactivate",
                                      headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Location"].endswith(f"/protocol#field-{trees.id}")
    db.session.expire_all()
    assert not db.session.get(Field, trees.id).active


def test_deactivate_reactivate_and_preview(as_organiser, base, campaign, protocol):  # noqa: ANN001
    note = protocol["note"]
    assert as_organiser.post_form(base + f"/fields/{note.id}/deactivate").status_code == 303
    assert "Observații" not in page(as_organiser.get(base + "/preview?lang=ro"))
    html = page(as_organiser.get(base + "/protocol"))
    assert "Reactivate" in html and "deactivated" in html
    assert as_organiser.post_form(base + f"/fields/{note.id}/reactivate").status_code == 303
    assert "Observații" in page(as_organiser.get(base + "/preview?lang=ro"))


def test_delete_field(as_organiser, base, campaign, protocol):  # noqa: ANN001
    trees = protocol["trees"]
    assert "This cannot be undone" in page(as_organiser.get(base + f"/fields/{trees.id}/delete"))
    response = as_organiser.post_form(base + f"/fields/{trees.id}/delete")
    assert response.status_code == 303
    assert count(Field, Field.id == trees.id) == 0


def test_delete_refused_after_observations(as_organiser, base, campaign, protocol, make_user):  # noqa: ANN001
    add_observation(campaign, make_user())
    trees = protocol["trees"]
    html = page(as_organiser.get(base + f"/fields/{trees.id}/delete"))
    assert "Deactivate the field" in html
    response = as_organiser.post_form(base + f"/fields/{trees.id}/delete")
    assert response.status_code == 422
    assert "deactivate this one instead" in page(response)
    assert count(Field, Field.id == trees.id) == 1


def test_double_submit_of_a_new_field_adds_two_rows_in_order(as_organiser, base, campaign):  # noqa: ANN001
    data = {"type": "yes_no", "label_ro": "Apă?"}
    assert as_organiser.post_form(base + "/fields/new", data).status_code == 303
    assert as_organiser.post_form(base + "/fields/new", data).status_code == 303
    assert [f.position for f in protocol_fields_now(campaign)] == [0, 1]


# ---------------------------------------------------------------- settings


def test_settings_page_shows_area_and_map(as_organiser, base, campaign):  # noqa: ANN001
    html = page(as_organiser.get(base + "/settings"))
    assert "44.38, 26, 44.5, 26.2" in html
    assert "data-area-map" in html and "science-manage.js" in html
    assert re.search(r'<input[^>]*checked[^>]*value="CC-BY-4.0"', html)
    assert re.search(r'<input[^>]*checked[^>]*value="100m"', html)


def settings_form(**changes) -> dict:  # noqa: ANN003
    data = {"licence": "CC-BY-4.0", "public_precision": "100m", "burst_count": "20",
            "burst_minutes": "10", "location_required": "y", "min_accuracy_m": "50",
            "area": "44.38, 26, 44.5, 26.2", "instructions_ro": "Măsurați la umbră.",
            "dataset_title_ro": "Temperaturi", "contact_email": "date@example.org"}
    data.update(changes)
    return data


def test_save_settings_through_the_form(as_organiser, base, campaign):  # noqa: ANN001
    area = ('{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": '
            '[[[26, 44], [27, 44], [27, 45], [26, 44]]]}}')
    response = as_organiser.post_form(base + "/settings", settings_form(
        licence="CC0-1.0", area=area, min_accuracy_m="", location_required=""))
    assert response.status_code == 303
    db.session.expire_all()
    settings = db.session.get(ScienceSettings, campaign.id)
    assert settings.licence == "CC0-1.0"
    assert settings.area["coordinates"][0][2] == [27, 45]
    assert settings.min_accuracy_m is None
    assert settings.location_required is False


@pytest.mark.parametrize(("changes", "message"), [
    ({"area": "91, 26, 92, 27"}, "latitude must be between"),
    ({"area": '{"type": "Point"}'}, "must be a GeoJSON Polygon"),
    ({"area": "{not json"}, "not valid GeoJSON"),
    ({"licence": "GPL"}, "Not a valid choice"),
    ({"public_precision": "10m"}, "Not a valid choice"),
    ({"min_accuracy_m": "0"}, "from 1 to 10000"),
    ({"burst_count": "1"}, "from 2 to 1000"),
    ({"contact_email": "nobody"}, "valid e-mail address"),
    ({"instructions_ro": "x" * 10_001}, "At most 10000 characters"),
])
def test_bad_settings_refused(as_organiser, base, campaign, changes, message):  # noqa: ANN001
    before = db.session.get(ScienceSettings, campaign.id).area
    response = as_organiser.post_form(base + "/settings", settings_form(**changes))
    assert response.status_code == 422
    assert message in page(response)
    db.session.expire_all()
    assert db.session.get(ScienceSettings, campaign.id).area == before


def test_precision_change_recomputes_and_says_so(as_organiser, base, campaign, make_user):  # noqa: ANN001
    observation = add_observation(campaign, make_user(), lat=44.43219, lon=26.10987)
    html = page(as_organiser.get(base + "/settings"))
    assert "recomputes the public position" in html
    response = as_organiser.post_form(base + "/settings", settings_form(public_precision="1km"),
                                      follow_redirects=True)
    assert "public positions of the observations were recomputed" in page(response)
    db.session.expire_all()
    row = db.session.get(Observation, observation.id)
    assert (row.public_lat, row.public_lon) == (44.43, 26.11)


def test_area_change_flags_observations_outside(as_organiser, base, campaign, make_user):  # noqa: ANN001
    observation = add_observation(campaign, make_user())
    response = as_organiser.post_form(base + "/settings", settings_form(area="45, 21, 46, 22"))
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(Observation, observation.id)
    assert row.in_area is False and "outside_area" in row.flags


# ---------------------------------------------------------------- verifiers


def test_verifiers_page(as_organiser, base, campaign, make_user, make_role, city):  # noqa: ANN001
    colleague = make_user(display_name="Colega")
    make_role(colleague, city, "organiser")
    response = as_organiser.post_form(base + "/verifiers", {"email": colleague.email},
                                      follow_redirects=True)
    assert "Colega can now verify" in page(response)
    assert count(Verifier, Verifier.process_id == campaign.id) == 1
    response = as_organiser.post_form(base + "/verifiers", {"email": colleague.email})
    assert response.status_code == 422 and "already a verifier" in page(response)
    response = as_organiser.post_form(base + "/verifiers", {"email": "nobody@example.org"})
    assert response.status_code == 422 and "no account" in page(response)
    citizen = make_user()
    response = as_organiser.post_form(base + "/verifiers", {"email": citizen.email})
    assert response.status_code == 422 and "not an organiser of this city" in page(response)
    response = as_organiser.post_form(base + f"/verifiers/{colleague.id}/remove")
    assert response.status_code == 303
    assert count(Verifier) == 0
    assert as_organiser.post_form(base + f"/verifiers/{colleague.id}/remove").status_code == 404


# ---------------------------------------------------------------- preview


def test_preview_in_both_languages(as_organiser, base, campaign, protocol):  # noqa: ANN001
    ro = page(as_organiser.get(base + "/preview?lang=ro"))
    en = page(as_organiser.get(base + "/preview?lang=en"))
    assert "Temperatura" in ro and "Temperatura (en)" in en
    assert "Măsurați la umbră." in ro and "Measure in the shade." in en
    assert "<fieldset disabled" in ro
    assert "Locație" in ro or "Location" in ro  # the location rule is shown
    assert "Accuracy of 50 m or better." in en


def test_preview_sanitises_instructions(as_organiser, base, campaign):  # noqa: ANN001
    protocol.save_settings(campaign, instructions_ro="**Atenție** <script>alert(1)</script>")
    db.session.commit()
    html = page(as_organiser.get(base + "/preview?lang=ro"))
    assert "<strong>Atenție</strong>" in html
    assert "<script>alert(1)" not in html


def test_process_table_links_to_the_protocol(as_organiser, city, campaign):  # noqa: ANN001
    html = page(as_organiser.get(f"/{city.slug}/manage/"))
    assert f"/manage/processes/{campaign.slug}/science/protocol" in html
