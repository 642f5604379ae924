"""The automatic-flag settings page: who may see and change it, the numbers validated against
the model's ranges (a refusal keeps nothing), the blocked terms added, refused as duplicates
after folding, and deleted, with htmx and without; every change in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.core.audit import ModerationAction
from engage.extensions import db
from engage.moderation import flags
from engage.moderation import settings as settings_services
from engage.moderation.models import TERM_MAX, BlockedTerm, ModerationSettings
from tests.moderation.conftest import count

VALID = {"report_threshold": "5", "max_links": "2", "repeat_count": "4", "repeat_hours": "12",
         "burst_count": "20", "burst_minutes": "15"}


@pytest.fixture
def url(city):  # noqa: ANN001, ANN201
    return f"/{city.slug}/moderation/settings"


@pytest.fixture
def signed_in(client, login_as, moderator):  # noqa: ANN001, ANN201
    return login_as(client, moderator)


def terms(city) -> list[tuple[str, str, str]]:  # noqa: ANN001
    return [(t.term, t.folded, t.language) for t in db.session.scalars(
        select(BlockedTerm).where(BlockedTerm.city_id == city.id).order_by(BlockedTerm.id))]


# ---------------------------------------------------------------- access


def test_the_page_shows_the_defaults_to_the_citys_moderator(signed_in, url):
    page = signed_in.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Automatic flags</h1>" in html
    for name, value in flags.DEFAULTS.items():
        assert f'name="{name}"' in html and f'value="{value}"' in html
    assert "No blocked terms yet." in html


def test_organisers_and_admins_may_use_it(client, login_as, make_user, make_role, city, url):
    organiser = make_user()
    make_role(organiser, city, "organiser")
    assert login_as(client, organiser).get(url).status_code == 200
    assert login_as(client, make_user(admin=True)).get(url).status_code == 200


def test_another_citys_moderator_and_a_citizen_are_refused(client, login_as, make_user,
                                                           make_role, make_city, city, url):
    elsewhere = make_user()
    make_role(elsewhere, make_city(), "moderator")
    for person in (elsewhere, make_user()):
        login_as(client, person)
        assert client.get(url).status_code == 403
        assert client.post_form(url, VALID).status_code == 403
        assert client.post_form(url + "/terms", {"term": "prost",
                                                 "language": "any"}).status_code == 403
    assert db.session.get(ModerationSettings, city.id) is None and terms(city) == []


def test_a_visitor_is_sent_to_log_in(client, url):
    page = client.get(url)
    assert page.status_code == 302 and "/account/login" in page.headers["Location"]


def test_an_unknown_city_is_404(signed_in):
    assert signed_in.get("/no-such-city/moderation/settings").status_code == 404


# ---------------------------------------------------------------- the numbers


def test_saving_the_numbers_keeps_them_and_records_who(signed_in, url, city, moderator):
    answer = signed_in.post_form(url, VALID)
    assert answer.status_code == 303
    row = db.session.get(ModerationSettings, city.id)
    assert {name: getattr(row, name) for name in VALID} == {
        name: int(value) for name, value in VALID.items()}
    (entry,) = db.session.scalars(select(ModerationAction))
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        moderator.id, "flag_settings", "city", city.id)
    assert "report_threshold: 3 → 5" in entry.reason and "burst_minutes: 10 → 15" in entry.reason
    assert "The settings were saved." in signed_in.get(url).get_data(as_text=True)

    # Saving the same numbers again changes nothing, and records nothing.
    assert signed_in.post_form(url, VALID).status_code == 303
    assert count(ModerationAction) == 1


@pytest.mark.parametrize(("name", "value"), [
    ("report_threshold", "101"), ("report_threshold", "-1"), ("max_links", "1000"),
    ("repeat_count", "abc"), ("repeat_hours", "0"), ("repeat_hours", "721"),
    ("burst_count", "1001"), ("burst_minutes", "0"), ("burst_minutes", "1441"),
    ("max_links", ""), ("max_links", "2.5"), ("max_links", "1e3"),
])
def test_an_out_of_range_number_is_refused_and_nothing_is_saved(signed_in, url, city, name,
                                                                 value):
    answer = signed_in.post_form(url, {**VALID, name: value})
    assert answer.status_code == 422
    low, high = settings_services.RANGES[name]
    assert f"Type a whole number from {low} to {high}." in answer.get_data(as_text=True)
    assert db.session.get(ModerationSettings, city.id) is None
    assert count(ModerationAction) == 0


def test_the_service_refuses_out_of_range_values_too(moderator, city):
    with pytest.raises(settings_services.SettingsError) as refused:
        settings_services.save_settings(moderator, city, **{**flags.DEFAULTS, "burst_count": 5000})
    assert refused.value.field == "burst_count"
    with pytest.raises(settings_services.SettingsError):
        settings_services.save_settings(moderator, city, **{**flags.DEFAULTS, "max_links": True})
    assert db.session.get(ModerationSettings, city.id) is None


def test_the_ranges_are_the_models(moderator):
    assert settings_services.RANGES == {
        "report_threshold": (0, 100), "max_links": (0, 100), "repeat_count": (0, 100),
        "repeat_hours": (1, 720), "burst_count": (0, 1000), "burst_minutes": (1, 1440)}


def test_a_post_without_the_csrf_token_is_refused(signed_in, url, city):
    assert signed_in.post(url, data=VALID).status_code == 400
    assert db.session.get(ModerationSettings, city.id) is None


# ---------------------------------------------------------------- blocked terms


def test_adding_terms_stores_them_folded_and_records_who(signed_in, url, city, moderator):
    answer = signed_in.post_form(url + "/terms", {"term": "  PROȘT ", "language": "ro"})
    assert answer.status_code == 303
    assert terms(city) == [("PROȘT", "prost", "ro")]
    (entry,) = db.session.scalars(select(ModerationAction))
    assert (entry.actor_id, entry.action, entry.target_type, entry.reason) == (
        moderator.id, "add_term", "city", "PROȘT (ro)")
    html = signed_in.get(url).get_data(as_text=True)
    assert "“PROȘT” was added to the blocked terms." in html and "<th scope=\"row\"" in html


@pytest.mark.parametrize("duplicate", ["prost", "Proşt", "PROȘT", " proșt  "])
def test_a_duplicate_after_folding_is_refused(signed_in, url, city, duplicate):
    signed_in.post_form(url + "/terms", {"term": "proșt", "language": "any"})
    answer = signed_in.post_form(url + "/terms", {"term": duplicate, "language": "en"})
    assert answer.status_code == 422
    assert "is already in the list" in answer.get_data(as_text=True)
    assert len(terms(city)) == 1 and count(ModerationAction) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"term": "", "language": "any"}, "Type a word or a phrase."),
    ({"term": "   ", "language": "any"}, "Type a word or a phrase."),
    ({"term": "x" * (TERM_MAX + 1), "language": "any"}, f"At most {TERM_MAX} characters."),
    ({"term": "!!!", "language": "any"}, "A term needs at least one letter or digit."),
    ({"term": "prost", "language": "fr"}, "Choose a language from the list."),
    ({"term": "prost"}, "Choose a language from the list."),
])
def test_bad_terms_are_refused_with_a_message(signed_in, url, city, data, message):
    answer = signed_in.post_form(url + "/terms", data)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert terms(city) == [] and count(ModerationAction) == 0


def test_the_list_has_a_limit(signed_in, url, city, monkeypatch):
    monkeypatch.setattr(settings_services, "MAX_TERMS", 2)
    for term in ("unu", "doi"):
        assert signed_in.post_form(url + "/terms", {"term": term,
                                                    "language": "any"}).status_code == 303
    answer = signed_in.post_form(url + "/terms", {"term": "trei", "language": "any"})
    assert answer.status_code == 422
    assert "The list holds at most 2 terms." in answer.get_data(as_text=True)
    assert len(terms(city)) == 2


def test_hostile_html_in_a_term_is_shown_as_text(signed_in, url, city):
    signed_in.post_form(url + "/terms", {"term": "<script>alert(1)</script>",
                                         "language": "any"})
    html = signed_in.get(url).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_deleting_a_term(signed_in, url, city, moderator):
    signed_in.post_form(url + "/terms", {"term": "prost", "language": "any"})
    (entry,) = db.session.scalars(select(BlockedTerm))
    answer = signed_in.post_form(f"{url}/terms/{entry.id}/delete")
    assert answer.status_code == 303
    assert terms(city) == []
    actions = [a.action for a in db.session.scalars(
        select(ModerationAction).order_by(ModerationAction.id))]
    assert actions == ["add_term", "delete_term"]
    # Twice (a double submit): the term is gone, 404.
    assert signed_in.post_form(f"{url}/terms/{entry.id}/delete").status_code == 404


def test_another_citys_term_cannot_be_deleted_through_this_city(signed_in, url, make_city):
    other = make_city()
    entry = BlockedTerm(city_id=other.id, term="prost", folded="prost")
    db.session.add(entry)
    db.session.commit()
    assert signed_in.post_form(f"{url}/terms/{entry.id}/delete").status_code == 404
    assert db.session.get(BlockedTerm, entry.id) is not None
    assert signed_in.get(f"{url}/terms/{entry.id}/delete").status_code == 405


def test_htmx_gets_the_terms_panel_in_place(signed_in, url, city):
    headers = {"HX-Request": "true"}
    answer = signed_in.post_form(url + "/terms", {"term": "idiot", "language": "en"},
                                 headers=headers)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "<div id=\"terms-panel\">" in html
    assert "<html" not in html and "“idiot” was added to the blocked terms." in html
    # A refusal comes back in the panel too (htmx swaps no 4xx answer).
    answer = signed_in.post_form(url + "/terms", {"term": "IDIOT", "language": "any"},
                                 headers=headers)
    assert answer.status_code == 200 and "is already in the list" in answer.get_data(
        as_text=True)
    assert len(terms(city)) == 1


def test_the_page_makes_a_constant_number_of_queries(signed_in, url, city, count_queries):
    def measure() -> int:
        with count_queries() as counted:
            assert signed_in.get(url).status_code == 200
        return counted.n

    signed_in.get(url)
    few = measure()
    for i in range(15):
        db.session.add(BlockedTerm(city_id=city.id, term=f"t{i}", folded=f"t{i}"))
    db.session.commit()
    assert measure() == few


def test_a_term_added_on_the_page_flags_new_input(signed_in, url, process, make_contribution):
    signed_in.post_form(url + "/terms", {"term": "Cumpărați acum", "language": "any"})
    item = make_contribution(process, text="CUMPARATI ACUM pastile!")
    from engage.moderation.models import Flag

    (flag,) = db.session.scalars(select(Flag).where(Flag.contribution_id == item.id))
    assert (flag.reason, flag.detail) == ("blocked_term", "cumparati acum")
