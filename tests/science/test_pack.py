"""A citizen-science campaign's workshop pack: the observers by stakeholder type (published
observations only, other campaigns left out), the key figures (published observations, the
verified share, the days), per field the public results page's summary (accepted observations
only), the poster's fields, the documents through the organiser's client in English and
Romanian and as PDF, and a constant number of statements."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from engage.exports import packs
from engage.science import pack, stats
from tests.packs import document, pdf_text
from tests.science.conftest import add_observation

MAY_2 = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
MAY_20 = datetime(2026, 5, 20, 21, 30, tzinfo=UTC)  # 21 May in Bucharest


@pytest.fixture(autouse=True)
def _fresh_cache():  # noqa: ANN202
    stats.clear_cache()
    yield
    stats.clear_cache()


@pytest.fixture
def observed(campaign, protocol, make_user, make_process, city):  # noqa: ANN001, ANN201
    """Three accepted observations by a researcher (two) and a citizen, one pending and one
    rejected by citizens; one accepted but hidden by the moderators (a business' author); and
    one in another campaign."""
    temperature, surface = protocol["temperature"], protocol["surface"]
    asphalt, grass, _paving = surface.options
    researcher, citizen = make_user(stakeholder_type="research"), make_user()
    add_observation(campaign, researcher, observed_at=MAY_2,
                    values=[(temperature, 20.0), (surface, asphalt)])
    add_observation(campaign, researcher, values=[(temperature, 25.0), (surface, grass)])
    add_observation(campaign, citizen, observed_at=MAY_20,
                    values=[(temperature, 30.0), (surface, asphalt)])
    add_observation(campaign, make_user(), status="pending", values=[(temperature, 40.0)])
    add_observation(campaign, make_user(), status="rejected", values=[(temperature, 41.0)])
    add_observation(campaign, make_user(stakeholder_type="business"), contribution_status="hidden",
                    observed_at=datetime(2026, 4, 1, tzinfo=UTC), values=[(temperature, 99.0)])
    other = make_process(city, kind="science")
    add_observation(other, make_user(stakeholder_type="public_authority"),
                    observed_at=datetime(2026, 6, 30, tzinfo=UTC))
    return protocol


def test_observers_by_stakeholder_type(app, campaign, observed):  # noqa: ANN001
    with app.test_request_context():
        (way,) = pack.observers(campaign)
    # Two observations by one researcher count one person; whatever their verification
    # status, published observations count; the hidden one's author does not.
    assert way.main and way.counts == {"research": 1, "citizen": 3} and way.total == 4


def test_the_key_figures_and_each_fields_summary(app, campaign, observed):  # noqa: ANN001
    with app.test_request_context(), force_locale("en"):
        (section,) = pack.sections(campaign, packs.PackOptions(language="en"))
        assert section.part == "pack" and section.title == "Observations"
        overview = section.context["overview"]
        assert (overview.published, overview.verified) == (5, 3)
        assert overview.verified_percent == 60.0
        assert overview.first == MAY_2 and overview.first.tzinfo is not None
        assert overview.last > MAY_20  # the ones made "now"; the hidden and other left out
        by_field = {item.field.id: item for item in section.context["fields"]}
        temperature = by_field[observed["temperature"].id].stats
        # The accepted observations only, as the public results page shows by default.
        assert temperature.answered == 3
        assert (temperature.minimum, temperature.median, temperature.maximum) == (20, 25, 30)
        assert by_field[observed["temperature"].id].unit == "°C"
        surface = by_field[observed["surface"].id]
        assert [(bar.label(), bar.count) for bar in surface.stats.bars] == [
            ("Asfalt (en)", 2), ("Iarbă (en)", 1), ("Pavaj (en)", 0)]
        assert surface.chart.bars[0].figure == "2 · 66.7%"
        assert by_field[observed["trees"].id].chart is None  # nobody counted trees
        assert by_field[observed["note"].id].chart is None


def test_the_poster_shows_two_fields(app, campaign, observed):  # noqa: ANN001
    with app.test_request_context(), force_locale("en"):
        (section,) = pack.sections(campaign, packs.PackOptions(document="poster",
                                                               language="en"))
        assert pack.sections(campaign, packs.PackOptions(document="cards")) == []
    assert section.part == "poster"
    assert [item.field.id for item in section.context["fields"]] == [
        observed["temperature"].id, observed["surface"].id]


def test_a_campaign_without_observations(client, login_as, organiser, campaign, protocol):  # noqa: ANN001
    text = document(login_as(client, organiser), campaign).get_data(as_text=True)
    assert "No accepted observations yet." in text and "Nobody has taken part yet." in text


def test_the_pack_in_english_and_romanian(client, login_as, organiser, campaign, observed):  # noqa: ANN001
    login_as(client, organiser)
    english = document(client, campaign)
    assert english.status_code == 200
    text = english.get_data(as_text=True)
    for expected in ("Observations", "Observers", "Published observations", "60%",
                     "Temperatura (en)", "Suprafața (en)", "Asfalt (en)", "Copaci (en)",
                     "2 May 2026", "Summary of the measurements", 'class="chart"'):
        assert expected in text, expected
    romanian = document(client, campaign, language="ro").get_data(as_text=True)
    for expected in ("Insulele de căldură", "Temperatura", "Suprafața", "Asfalt", "Iarbă",
                     "mai 2026"):
        assert expected in romanian, expected
    assert "(en)" not in romanian


def test_the_pack_as_pdf_and_the_poster(client, login_as, organiser, campaign, observed):  # noqa: ANN001
    login_as(client, organiser)
    pdf = document(client, campaign, format="pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    words = pdf_text(pdf.data)
    for title in ("Temperatura (en)", "Suprafața (en)", "Apă în apropiere (en)"):
        assert title in words, title
    poster = document(client, campaign, document="poster")
    assert poster.status_code == 200
    text = poster.get_data(as_text=True)
    assert "Temperatura (en)" in text and "Suprafața (en)" in text
    assert "Copaci (en)" not in text
    poster_pdf = document(client, campaign, document="poster", format="pdf")
    assert "Temperatura (en)" in pdf_text(poster_pdf.data)


@pytest.mark.parametrize("name", ["pack", "poster"])
def test_a_constant_number_of_statements(app, campaign, protocol, make_user, count_queries,  # noqa: ANN001
                                         name):
    temperature, surface = protocol["temperature"], protocol["surface"]
    counted = []
    for size in (3, 30):
        for n in range(size):
            add_observation(campaign, make_user(),
                            status="accepted" if n % 3 else "pending",
                            values=[(temperature, float(n)), (surface, surface.options[n % 3])])
        stats.clear_cache()
        with app.test_request_context(), count_queries() as counter:
            packs.render(campaign, packs.PackOptions(document=name, language="en"))
        counted.append(counter.n)
    assert counted[0] == counted[1]
