"""The verifiers' pages: the queue (values with labels and units, photos, the true location, the
flags in words, the observer's pseudonym and never their name), its filters, decisions with and
without htmx, the bulk decision, one observation's history, hostile text escaped, and a
constant number of statements whatever the number of observations."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from engage.core.db import utcnow
from engage.extensions import db
from engage.science.models import Observation, ObservationPhoto, ScienceSettings, pseudonym
from tests.science.conftest import add_observation

HTMX = {"HX-Request": "true"}
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def moderator(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user(display_name="Maria Moderatoarea")
    make_role(user, city, "moderator")
    return user


@pytest.fixture
def observer(make_user):  # noqa: ANN001, ANN201
    return make_user(email="ion.observatorul@example.org", display_name="Ion Observatorul")


@pytest.fixture
def signed_in(client, login_as, moderator):  # noqa: ANN001, ANN201
    return login_as(client, moderator)


def _url(campaign, suffix: str = "") -> str:  # noqa: ANN001
    return f"/{campaign.city.slug}/manage/processes/{campaign.slug}/observations{suffix}"


def _add_photo(observation: Observation, position: int = 0) -> ObservationPhoto:
    photo = ObservationPhoto(
        observation_id=observation.id, process_id=observation.process_id, position=position,
        sha256=uuid.uuid4().hex * 2, key=uuid.uuid4().hex + ".jpg",
        thumb_key=uuid.uuid4().hex + ".webp", width=1200, height=900, thumb_width=320,
        thumb_height=240)
    db.session.add(photo)
    db.session.commit()
    return photo


def _full(campaign, protocol, observer, **kwargs):  # noqa: ANN001, ANN003, ANN202
    """An observation with a value of every kind and a photo."""
    values = [
        (protocol["temperature"], 21.54),
        (protocol["trees"], 12),
        (protocol["surface"], protocol["surface"].options[1]),
        (protocol["shade"], [protocol["shade"].options[0], protocol["shade"].options[2]]),
        (protocol["water"], True),
        (protocol["note"], kwargs.pop("note", "Lângă fântână")),
    ]
    observation = add_observation(campaign, observer, status=kwargs.pop("status", "pending"),
                                  values=values, lat=44.4312345, lon=26.1034567,
                                  accuracy=12.4, **kwargs)
    _add_photo(observation)
    return observation


def _status(observation_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Observation, observation_id).status


# ---------------------------------------------------------------- the queue


def test_queue_shows_everything_a_verifier_needs(signed_in, campaign, protocol, observer):
    observation = _full(campaign, protocol, observer, flags=["out_of_range", "burst"])
    response = signed_in.get(_url(campaign))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Observation {observation.id}" in page
    assert "Temperatura (en)" in page and "21.5 °C" in page
    assert "Copaci (en)" in page and ">12<" in page
    assert "Iarbă (en)" in page
    assert "Copaci (en), Copertine (en)" in page
    assert "Yes" in page
    assert "Lângă fântână" in page
    # The true location, with its accuracy and source.
    assert "44.431234, 26.103457" in page or "44.431235, 26.103457" in page
    assert "accurate to 12 m" in page
    assert "Phone location" in page
    # The flags in plain words.
    assert "A value is outside the expected range" in page
    assert "Many observations from one account in a short time" in page
    # A thumbnail linking to the photo.
    photo = db.session.get(Observation, observation.id).photos[0]
    assert f'src="/media/{photo.thumb_key}"' in page
    assert f'href="/media/{photo.key}"' in page
    # The observer's pseudonym, never their name or e-mail.
    settings = db.session.get(ScienceSettings, campaign.id)
    assert pseudonym(settings, observer.id) in page
    assert "Ion Observatorul" not in page
    assert "ion.observatorul" not in page
    # Actions, and the bulk selection.
    assert 'name="decision" value="accepted"' in page
    assert 'name="decision" value="rejected"' in page
    assert 'form="verify-bulk"' in page
    assert "hx-post" in page


def test_queue_lists_pending_by_default_oldest_first(signed_in, campaign, observer):
    now = utcnow()
    late = add_observation(campaign, observer, status="pending", observed_at=now)
    early = add_observation(campaign, observer, status="pending",
                            observed_at=now - timedelta(days=1))
    accepted = add_observation(campaign, observer, status="accepted")
    page = signed_in.get(_url(campaign)).get_data(as_text=True)
    assert page.index(f"observation-{early.id}") < page.index(f"observation-{late.id}")
    assert f"observation-{accepted.id}" not in page
    page = signed_in.get(_url(campaign) + "?status=accepted").get_data(as_text=True)
    assert f"observation-{accepted.id}" in page and f"observation-{late.id}" not in page
    page = signed_in.get(_url(campaign) + "?status=all").get_data(as_text=True)
    assert all(f"observation-{o.id}" in page for o in (late, early, accepted))


def test_queue_filters(signed_in, campaign, protocol, observer):
    now = utcnow()
    surface = protocol["surface"]
    flagged = add_observation(campaign, observer, status="pending", flags=["low_accuracy"],
                              observed_at=now - timedelta(days=10),
                              values=[(surface, surface.options[2])])
    plain = add_observation(campaign, observer, status="pending", observed_at=now)

    def shown(query: str) -> set[int]:
        page = signed_in.get(_url(campaign) + query).get_data(as_text=True)
        return {int(n) for n in re.findall(r'id="observation-(\d+)"', page)}

    assert shown("?flag=low_accuracy") == {flagged.id}
    assert shown(f"?value={surface.id}-{surface.options[2].id}") == {flagged.id}
    assert shown(f"?value={surface.id}-{surface.options[0].id}") == set()
    day = (now - timedelta(days=2)).date().isoformat()
    assert shown(f"?since={day}") == {plain.id}
    assert shown(f"?until={day}") == {flagged.id}
    # Forged filters fall back to the defaults rather than failing.
    for forged in ("?status=bogus", "?flag=%3Cscript%3E", "?since=yesterday",
                   "?until=2026-13-45", "?value=x-y", "?value=1-2-3", "?page=-4",
                   "?page=abc", "?field=99999999999999"):
        response = signed_in.get(_url(campaign) + forged)
        assert response.status_code == 200, forged
    assert shown("?status=bogus") == {flagged.id, plain.id}


def test_counts_are_shown(signed_in, campaign, observer):
    add_observation(campaign, observer, status="pending", flags=["burst"])
    add_observation(campaign, observer, status="rejected")
    page = signed_in.get(_url(campaign)).get_data(as_text=True)
    assert re.search(r"Not checked yet <span class=\"meta\">\(1\)", page)
    assert re.search(r"Rejected <span class=\"meta\">\(1\)", page)
    assert re.search(r"Many observations from one account in a short time "
                     r"<span class=\"meta\">\(1\)", page)


def test_htmx_filter_gets_the_fragment(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    response = signed_in.get(_url(campaign), headers=HTMX)
    page = response.get_data(as_text=True)
    assert "<html" not in page
    assert 'id="verify-queue"' in page and f"observation-{observation.id}" in page


def test_empty_queue(signed_in, campaign):
    page = signed_in.get(_url(campaign)).get_data(as_text=True)
    assert "No observation matches these filters." in page


def test_hostile_text_is_escaped(signed_in, campaign, protocol, observer):
    observation = _full(campaign, protocol, observer, note=HOSTILE, status="rejected")
    observation.reason = HOSTILE
    db.session.commit()
    for url in (_url(campaign) + "?status=rejected",
                _url(campaign, f"/{observation.id}/history")):
        page = signed_in.get(url).get_data(as_text=True)
        assert HOSTILE not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_query_count_is_constant(signed_in, campaign, protocol, observer, count_queries):
    url = _url(campaign)
    for _ in range(2):
        _full(campaign, protocol, observer, flags=["burst"])
    signed_in.get(url)  # warm up (first request of the client)
    with count_queries() as few:
        assert signed_in.get(url).status_code == 200
    for _ in range(12):
        _full(campaign, protocol, observer, flags=["low_accuracy"])
    with count_queries() as many:
        page = signed_in.get(url).get_data(as_text=True)
    assert page.count('class="card observation-card"') == 14
    assert many.n == few.n, many.statements
    assert many.n <= 14


# ---------------------------------------------------------------- one decision


def test_plain_post_decides_and_redirects(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    response = signed_in.post_form(_url(campaign, f"/{observation.id}/verify"), {
        "decision": "accepted", "seen": "pending", "flag": "burst"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(_url(campaign) + "?flag=burst")
    assert _status(observation.id) == "accepted"
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Observation {observation.id} accepted." in page


def test_htmx_decision_removes_the_item(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    other = add_observation(campaign, observer, status="pending")
    response = signed_in.post_form(_url(campaign, f"/{observation.id}/verify"), {
        "decision": "needs_checking", "reason": "Photo too dark.", "seen": "pending"},
        headers=HTMX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"observation-{observation.id}" not in page  # nothing replaces the item
    assert 'id="verify-live"' in page and 'hx-swap-oob="true"' in page
    assert f"Observation {observation.id} marked as needing checking." in page
    assert re.search(r"Not checked yet <span class=\"meta\">\(1\)", page)
    assert _status(observation.id) == "needs_checking"
    assert _status(other.id) == "pending"


def test_htmx_refusal_shows_the_item_with_its_error(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    response = signed_in.post_form(_url(campaign, f"/{observation.id}/verify"), {
        "decision": "rejected", "reason": "  ", "seen": "pending"}, headers=HTMX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="observation-{observation.id}"' in page
    assert 'role="alert"' in page and "Give a reason" in page
    assert 'aria-invalid="true"' in page
    assert _status(observation.id) == "pending"


def test_plain_refusal_flashes_the_error(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    for data in ({"decision": "rejected"}, {"decision": "approve"}, {},
                 {"decision": "rejected", "reason": "x" * 1001}):
        response = signed_in.post_form(_url(campaign, f"/{observation.id}/verify"), data)
        assert response.status_code == 303
    page = signed_in.get(_url(campaign)).get_data(as_text=True)
    assert "flash-error" in page
    assert _status(observation.id) == "pending"


def test_double_click_gets_a_clear_message(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    data = {"decision": "accepted", "seen": "pending"}
    assert signed_in.post_form(_url(campaign, f"/{observation.id}/verify"),
                               data).status_code == 303
    response = signed_in.post_form(_url(campaign, f"/{observation.id}/verify"), data,
                                   headers=HTMX)
    page = response.get_data(as_text=True)
    assert "decided meanwhile" in page
    assert _status(observation.id) == "accepted"


def test_decision_from_the_history_page_returns_there(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    response = signed_in.post_form(_url(campaign, f"/{observation.id}/verify"), {
        "decision": "rejected", "reason": "Not a tree.", "back": "history"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(_url(campaign, f"/{observation.id}/history"))


def test_another_campaigns_observation_is_not_found(signed_in, campaign, observer,
                                                    make_process, make_city, city):
    other_campaign = make_process(city, kind="science")
    elsewhere = add_observation(other_campaign, observer, status="pending")
    response = signed_in.post_form(_url(campaign, f"/{elsewhere.id}/verify"),
                                   {"decision": "accepted"})
    assert response.status_code == 404
    assert signed_in.get(_url(campaign, f"/{elsewhere.id}/history")).status_code == 404
    assert signed_in.post_form(_url(campaign, "/999999/verify"),
                               {"decision": "accepted"}).status_code == 404
    assert _status(elsewhere.id) == "pending"


def test_csrf_is_required(signed_in, campaign, observer, app):
    observation = add_observation(campaign, observer, status="pending")
    if not app.config.get("WTF_CSRF_ENABLED", True):
        pytest.skip("CSRF disabled in this configuration")
    response = signed_in.post(_url(campaign, f"/{observation.id}/verify"),
                              data={"decision": "accepted"})
    assert response.status_code == 400
    assert _status(observation.id) == "pending"


# ---------------------------------------------------------------- bulk


def test_bulk_accepts_the_selected(signed_in, campaign, observer, make_city, make_process):
    chosen = [add_observation(campaign, observer, status="pending") for _ in range(3)]
    left = add_observation(campaign, observer, status="pending")
    foreign = add_observation(make_process(make_city(), kind="science"), observer,
                              status="pending")
    response = signed_in.post_form(_url(campaign, "/verify"), {
        "decision": "accepted", "seen": "pending",
        "ids": [str(o.id) for o in chosen] + [str(foreign.id), "abc", "-1"]})
    assert response.status_code == 303
    assert [_status(o.id) for o in chosen] == ["accepted"] * 3
    assert _status(left.id) == "pending"
    assert _status(foreign.id) == "pending"
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 observations decided." in page


def test_bulk_reports_refusals(signed_in, campaign, observer):
    taken = add_observation(campaign, observer, status="accepted")
    fresh = add_observation(campaign, observer, status="pending")
    response = signed_in.post_form(_url(campaign, "/verify"), {
        "decision": "rejected", "reason": "Duplicates.", "seen": "pending",
        "ids": [str(taken.id), str(fresh.id)]}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 observation decided." in page
    assert f"Observation {taken.id}: This observation was decided meanwhile" in page
    assert _status(taken.id) == "accepted" and _status(fresh.id) == "rejected"


def test_bulk_without_selection_or_reason(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    page = signed_in.post_form(_url(campaign, "/verify"), {"decision": "accepted"},
                               follow_redirects=True).get_data(as_text=True)
    assert "Select at least one observation." in page
    page = signed_in.post_form(_url(campaign, "/verify"), {
        "decision": "rejected", "ids": [str(observation.id)]},
        follow_redirects=True).get_data(as_text=True)
    assert "Give a reason" in page
    page = signed_in.post_form(_url(campaign, "/verify"), {
        "decision": "accepted", "ids": [str(n) for n in range(1, 103)]},
        follow_redirects=True).get_data(as_text=True)
    assert "At most 100 observations at once." in page
    assert _status(observation.id) == "pending"


# ---------------------------------------------------------------- history


def test_history_lists_the_decisions(signed_in, campaign, observer, moderator):
    observation = add_observation(campaign, observer, status="pending")
    signed_in.post_form(_url(campaign, f"/{observation.id}/verify"),
                        {"decision": "rejected", "reason": "Wrong street.", "seen": "pending"})
    signed_in.post_form(_url(campaign, f"/{observation.id}/verify"),
                        {"decision": "accepted", "seen": "rejected"})
    response = signed_in.get(_url(campaign, f"/{observation.id}/history"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Not checked yet → Rejected" in page
    assert "Rejected → Accepted" in page
    assert "Wrong street." in page
    assert "Maria Moderatoarea" in page  # the verifier, not the observer
    assert "Ion Observatorul" not in page
    assert 'name="back" value="history"' in page
    assert "hx-post" not in page


def test_history_of_an_unchecked_observation(signed_in, campaign, observer):
    observation = add_observation(campaign, observer, status="pending")
    page = signed_in.get(_url(campaign, f"/{observation.id}/history")).get_data(as_text=True)
    assert "No decision yet" in page


def test_queue_link_on_the_process_table(signed_in, campaign):
    page = signed_in.get(f"/{campaign.city.slug}/manage/").get_data(as_text=True)
    assert _url(campaign) in page
