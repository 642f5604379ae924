"""The citizens' science pages: the capture form without JavaScript, the JSON answers the
offline queue relies on, "my observations", one observation's page and its privacy (the true
location and the observer's name never reach the public), the service worker and page weight."""

from __future__ import annotations

import gzip
import io
import re
import uuid

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from engage.extensions import db
from engage.processes.models import Contribution
from engage.science.models import Observation, ObservationPhoto, ScienceSettings, pseudonym
from tests.science.conftest import INSIDE, add_observation, count
from tests.science.test_observations import big_photo, jpeg

JSON = {"Accept": "application/json"}


@pytest.fixture
def citizen(make_user):  # noqa: ANN001, ANN201
    return make_user(display_name="Maria Popescu-Observatoarea")


@pytest.fixture
def signed_in(client, login_as, citizen):  # noqa: ANN001, ANN201
    return login_as(client, citizen)


def urls(campaign) -> dict[str, str]:  # noqa: ANN001
    base = f"/{campaign.city.slug}/p/{campaign.slug}"
    return {"observe": base + "/observe", "mine": base + "/observations/mine",
            "process": base}


def form(client, protocol, photo: bytes | None = None, **overrides) -> MultiDict:  # noqa: ANN001
    data = MultiDict({
        f"f{protocol['temperature'].id}": "28.4",
        f"f{protocol['surface'].id}": str(protocol["surface"].choices[1].id),
        f"f{protocol['note'].id}": "Umbră puțină",
        "lat": str(INSIDE[0]), "lon": str(INSIDE[1]), "accuracy": "6",
        "location_source": "gps", "client_id": uuid.uuid4().hex,
        "csrf_token": client.csrf_token(),
    })
    for key, value in overrides.items():
        name = f"f{protocol[key].id}" if key in protocol else key
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    if photo is not None:
        data.add(f"f{protocol['photo'].id}", (io.BytesIO(photo), "photo.jpg"))
    return data


# ---------------------------------------------------------------- the capture page


def test_the_capture_page_renders_every_field_type_for_a_phone(signed_in, campaign, protocol):
    page = signed_in.get(urls(campaign)["observe"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'accept="image/*" capture="environment"' in html
    assert 'inputmode="decimal"' in html and 'inputmode="numeric"' in html
    assert 'type="datetime-local"' in html and 'name="observed_at"' in html
    assert "<legend>" in html and "°C" in html
    assert f'name="f{protocol["shade"].id}"' in html and 'type="checkbox"' in html
    assert 'name="client_id"' in html and 'name="lat"' in html and 'name="lon"' in html
    assert 'id="science-queue"' in html and 'aria-live="polite"' in html
    assert "{n}" in html  # the queue's plural texts, for science.js
    assert 'style="' not in html and "<script>" not in html
    assert "Measure in the shade." in html
    assert page.headers["Cache-Control"].startswith("no-cache")


def test_anonymous_people_are_sent_to_log_in(client, campaign, protocol):
    response = client.get(urls(campaign)["observe"])
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = client.post(urls(campaign)["observe"], data=form(client, protocol), headers=JSON)
    assert response.status_code == 401 and response.json["status"] == "login"
    assert count(Observation) == 0


def test_a_plain_form_post_stores_the_observation(signed_in, campaign, protocol, citizen):
    response = signed_in.post(urls(campaign)["observe"], data=form(signed_in, protocol, jpeg()))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(urls(campaign)["mine"])
    observation = db.session.scalars(db.select(Observation)).one()
    assert observation.user_id == citizen.id and observation.language == "en"
    assert count(ObservationPhoto) == 1
    page = signed_in.get(urls(campaign)["mine"]).get_data(as_text=True)
    assert "Thank you! Your observation is stored." in page
    assert "Not checked yet" in page and "Umbră puțină" in page and "28.4 °C" in page
    assert "/media/" in page


def test_a_double_submit_of_the_plain_form_is_stored_once(signed_in, campaign, protocol):
    data = form(signed_in, protocol)
    assert signed_in.post(urls(campaign)["observe"], data=data).status_code == 303
    again = signed_in.post(urls(campaign)["observe"], data=data)
    assert again.status_code == 303 and count(Observation) == 1
    assert "already stored" in signed_in.get(urls(campaign)["mine"]).get_data(as_text=True)


def test_refused_fields_come_back_with_messages_and_what_was_typed(signed_in, campaign,
                                                                    protocol):
    data = form(signed_in, protocol, temperature="fierbinte", lat="91",
                note="<b>gros</b>")
    response = signed_in.post(urls(campaign)["observe"], data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a number, for example 21.5." in html
    assert "The latitude must be between -90 and 90." in html
    assert 'aria-invalid="true"' in html and 'value="fierbinte"' in html
    assert "&lt;b&gt;gros&lt;/b&gt;" in html and "<b>gros</b>" not in html
    assert count(Observation) == 0


def test_the_messages_follow_the_citizens_language(app, login_as, citizen, campaign, protocol):
    client = app.test_client()
    client.set_cookie("lang", "ro")
    login_as(client, citizen)
    response = client.post(urls(campaign)["observe"], headers=JSON,
                           data=form(client, protocol, temperature="x"))
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("ro"):
        expected = gettext("Enter a number, for example 21.5.")
    assert response.json["errors"][f"f{protocol['temperature'].id}"] == expected


def test_a_photo_over_8_mb_is_refused_with_a_message(signed_in, campaign, protocol):
    from werkzeug.test import stream_encode_multipart

    # The body is built here, in memory: the test client would spool it to a file it does not
    # close.
    data = form(signed_in, protocol)
    data.add(f"f{protocol['photo'].id}", FileStorage(io.BytesIO(big_photo()), "photo.jpg",
                                                     content_type="image/jpeg"))
    stream, length, boundary = stream_encode_multipart(data, use_tempfile=False)
    response = signed_in.post(urls(campaign)["observe"], headers=JSON, data=stream.getvalue(),
                              content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422
    assert "larger than 8 MB" in response.json["errors"][f"f{protocol['photo'].id}"]


def test_the_honeypot_refuses(signed_in, campaign, protocol):
    data = form(signed_in, protocol, website="http://spam.example")
    assert signed_in.post(urls(campaign)["observe"], data=data).status_code == 400
    assert count(Observation) == 0


def test_without_the_csrf_token_nothing_is_stored(signed_in, campaign, protocol):
    data = form(signed_in, protocol, csrf_token=None)
    assert signed_in.post(urls(campaign)["observe"], data=data, headers=JSON).status_code == 400
    assert count(Observation) == 0


# ---------------------------------------------------------------- the JSON sync


def test_json_sync_created_then_already_stored(signed_in, campaign, protocol):
    data = form(signed_in, protocol, jpeg())
    client_id = data["client_id"]
    response = signed_in.post(urls(campaign)["observe"], data=data, headers=JSON)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert body["status"] == "created" and body["client_id"] == client_id
    observation = db.session.get(Observation, body["id"])
    assert body["url"] == f"/{campaign.city.slug}/observations/{observation.id}"
    again = signed_in.post(urls(campaign)["observe"], data=form(signed_in, protocol, jpeg(),
                                                                client_id=client_id),
                           headers={**JSON, "X-CSRFToken": signed_in.csrf_token()})
    assert again.status_code == 200 and again.json["status"] == "stored"
    assert again.json["id"] == observation.id
    assert count(Observation) == 1 and count(ObservationPhoto) == 1
    assert response.headers["Cache-Control"] == "no-store"


def test_json_sync_invalid_and_closed(signed_in, campaign, protocol):
    response = signed_in.post(urls(campaign)["observe"], headers=JSON,
                              data=form(signed_in, protocol, lat="patruzeci", surface=None))
    assert response.status_code == 422 and response.json["status"] == "invalid"
    assert set(response.json["errors"]) == {"lat", f"f{protocol['surface'].id}"}
    campaign.status = "closed"
    db.session.commit()
    response = signed_in.post(urls(campaign)["observe"], headers=JSON,
                              data=form(signed_in, protocol))
    assert response.status_code == 409 and response.json["status"] == "closed"
    assert "not open" in response.json["message"]
    # Without JavaScript: back to the process page with the message.
    response = signed_in.post(urls(campaign)["observe"], data=form(signed_in, protocol))
    assert response.status_code == 303 and response.headers["Location"].endswith(
        urls(campaign)["process"])
    assert count(Observation) == 0
    page = signed_in.get(urls(campaign)["observe"]).get_data(as_text=True)
    assert "not open for observations" in page and 'name="client_id"' not in page


def test_other_kinds_drafts_and_other_cities_are_not_found(signed_in, campaign, protocol,
                                                           make_process, make_city, city):
    ideas = make_process(city, kind="ideas")
    draft = make_process(city, kind="science", status="draft")
    other_city = make_city()
    for url in (f"/{city.slug}/p/{ideas.slug}/observe", f"/{city.slug}/p/{draft.slug}/observe",
                f"/{other_city.slug}/p/{campaign.slug}/observe",
                f"/{city.slug}/p/{ideas.slug}/observations/mine"):
        assert signed_in.get(url).status_code == 404, url
        if url.endswith("/observe"):
            response = signed_in.post(url, data=form(signed_in, protocol), headers=JSON)
            assert response.status_code == 404, url
    assert count(Observation) == 0


def test_the_csrf_token_endpoint_and_the_service_worker(client):
    response = client.get("/science/csrf-token")
    assert response.status_code == 200 and response.json["csrf_token"]
    assert response.headers["Cache-Control"] == "no-store"
    worker = client.get("/science-sw.js")
    assert worker.status_code == 200
    assert worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert b"observe" in worker.get_data()
    worker.close()


# ---------------------------------------------------------------- my observations


def test_my_observations_shows_status_reason_flags_and_only_mine(
        signed_in, campaign, protocol, citizen, make_user, count_queries):
    add_observation(campaign, citizen, status="rejected", flags=["outside_area"],
                    values=[(protocol["temperature"], 21)])
    observation = db.session.scalars(db.select(Observation)).one()
    observation.reason = "Fotografia nu arată termometrul."
    db.session.commit()
    add_observation(campaign, make_user(), values=[(protocol["temperature"], 99)],
                    text="Altcineva")
    page = signed_in.get(urls(campaign)["mine"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Rejected" in html and "Fotografia nu arată termometrul." in html
    assert "Outside the campaign&#39;s area" in html or "Outside the campaign's area" in html
    assert "99 °C" not in html and "21 °C" in html
    for _ in range(30):
        add_observation(campaign, citizen, values=[(protocol["temperature"], 20),
                                                   (protocol["surface"],
                                                    protocol["surface"].choices[0])],
                        commit=False)
    db.session.commit()
    mine = urls(campaign)["mine"]
    with count_queries() as few:
        signed_in.get(mine)
    with count_queries() as many:
        signed_in.get(mine + "?page=2")
    assert few.n == many.n, "\n".join(set(many.statements) ^ set(few.statements))


def test_my_observations_needs_an_account(client, campaign):
    response = client.get(urls(campaign)["mine"])
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


# ---------------------------------------------------------------- one observation


TRUE_LAT, TRUE_LON = 44.436712, 26.102491


@pytest.fixture
def accepted(campaign, protocol, citizen):  # noqa: ANN001, ANN201
    return add_observation(campaign, citizen, lat=TRUE_LAT, lon=TRUE_LON, status="accepted",
                           values=[(protocol["temperature"], 30.5)], flags=["low_accuracy"])


def test_the_public_sees_an_accepted_observation_without_its_true_place_or_observer(
        client, campaign, accepted, citizen):
    response = client.get(f"/{campaign.city.slug}/observations/{accepted.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "30.5 °C" in html
    assert "44.437" in html and "26.102" in html
    assert str(TRUE_LAT) not in html and str(TRUE_LON) not in html
    assert "44.436712" not in html and "26.102491" not in html
    assert citizen.display_name not in html and citizen.email not in html
    settings = db.session.get(ScienceSettings, campaign.id)
    assert pseudonym(settings, citizen.id) in html
    assert "Location less accurate" not in html  # flags are for the observer and verifiers


def test_the_owner_and_the_verifiers_see_the_true_location(app, login_as, campaign, accepted,
                                                           citizen, make_user, make_role, city):
    url = f"/{campaign.city.slug}/observations/{accepted.id}"

    def english_client():  # noqa: ANN202
        made = app.test_client()
        made.set_cookie("lang", "en")
        return made

    owner = login_as(english_client(), citizen).get(url).get_data(as_text=True)
    assert "44.436712" in owner and "26.102491" in owner
    assert "Location less accurate than required" in owner
    moderator = make_user()
    make_role(moderator, city, "moderator")
    seen = login_as(english_client(), moderator).get(url).get_data(as_text=True)
    assert "44.436712" in seen
    stranger = login_as(app.test_client(), make_user()).get(url).get_data(as_text=True)
    assert "44.436712" not in stranger and "44.437" in stranger


@pytest.mark.parametrize("state", ["pending", "needs_checking", "rejected", "hidden"])
def test_unaccepted_or_hidden_observations_are_private(app, login_as, client, campaign,
                                                       protocol, citizen, make_user, state):
    observation = add_observation(
        campaign, citizen, status="accepted" if state == "hidden" else state,
        contribution_status="hidden" if state == "hidden" else "published")
    url = f"/{campaign.city.slug}/observations/{observation.id}"
    assert client.get(url).status_code == 404
    assert login_as(app.test_client(), make_user()).get(url).status_code == 404
    assert login_as(app.test_client(), citizen).get(url).status_code == 200


def test_another_citys_observation_is_not_found(client, campaign, accepted, make_city):
    other = make_city()
    assert client.get(f"/{other.slug}/observations/{accepted.id}").status_code == 404
    assert client.get(f"/{campaign.city.slug}/observations/999999").status_code == 404


# ---------------------------------------------------------------- the process page, weight


def test_the_process_page_links_to_capture_and_my_observations(app, signed_in, campaign):
    html = signed_in.get(urls(campaign)["process"]).get_data(as_text=True)
    assert urls(campaign)["observe"] in html and urls(campaign)["mine"] in html
    assert f'href="{urls(campaign)["process"]}/map"' in html
    assert f'href="{urls(campaign)["process"]}/observations/results"' in html
    anonymous = app.test_client().get(urls(campaign)["process"]).get_data(as_text=True)
    assert urls(campaign)["observe"] in anonymous and urls(campaign)["mine"] not in anonymous


ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"')


@pytest.mark.parametrize(("page", "budget"), [("observe", 80), ("mine", 60)])
def test_first_load_stays_under_budget(signed_in, campaign, protocol, citizen, page, budget):
    """Like tests/test_page_weight.py: the capture page loads Leaflet (its map), like the ideas
    map page, and gets the same 20 KB more; the list stays under 60 KB."""
    for _ in range(20):
        add_observation(campaign, citizen, values=[(protocol["temperature"], 20)], commit=False)
    db.session.commit()
    response = signed_in.get(urls(campaign)[page])
    html = response.get_data()
    total = len(gzip.compress(html, 9))
    for url in ASSET.findall(html.decode()):
        assert url.startswith("/"), url
        asset = signed_in.get(url)
        total += len(gzip.compress(asset.get_data(), 9))
        asset.close()
    assert total < budget * 1024, total


def test_contribution_text_joins_the_text_fields(signed_in, campaign, protocol):
    signed_in.post(urls(campaign)["observe"], data=form(signed_in, protocol))
    contribution = db.session.scalars(db.select(Contribution).where(
        Contribution.kind == "observation")).one()
    assert contribution.text == "Umbră puțină" and contribution.language == "en"


def test_sending_is_rate_limited(signed_in, campaign, protocol, monkeypatch):
    from engage.extensions import limiter

    # A standalone application made with RATELIMIT_ENABLED=False (thread tests) turns the
    # shared limiter off for the rest of the session.
    monkeypatch.setattr(limiter, "enabled", True)
    url = urls(campaign)["observe"]
    statuses = [signed_in.post(url, headers=JSON, data=form(signed_in, protocol, lat="x"))
                .status_code for _ in range(31)]
    assert statuses[:30] == [422] * 30 and statuses[30] == 429


def test_a_text_file_named_jpg_is_refused(signed_in, campaign, protocol):
    data = form(signed_in, protocol)
    data.add(f"f{protocol['photo'].id}", (io.BytesIO(b"just some text\n" * 50), "photo.jpg",
                                          "image/jpeg"))
    response = signed_in.post(urls(campaign)["observe"], data=data)
    assert response.status_code == 422
    assert "This file is not a photo we can use." in response.get_data(as_text=True)
    assert count(Observation) == 0 and count(ObservationPhoto) == 0
