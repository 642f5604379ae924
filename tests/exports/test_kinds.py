"""Each kind's export tables through the export page: living-lab registrations, observations,
consultation responses and results, summaries with their citations."""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engage.consultations.models import Answer, Response, Section
from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs.models import LabSession, Registration
from engage.processes.models import Contribution
from engage.science.models import ScienceSettings
from engage.synthesis.models import Summary, SummaryCitation, SummaryVersion
from tests.consultations.conftest import add_question
from tests.science.conftest import AREA, add_field, add_observation


def url(process) -> str:  # noqa: ANN001
    return f"/{process.city.slug}/manage/processes/{process.slug}/export"


def download(client, process, **fields):  # noqa: ANN001, ANN003, ANN201
    data = {"format": "json", "delimiter": ";", "language": "en"}
    data.update(fields)
    return client.post_form(url(process), data)


def tables_of(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.loads(response.get_data(as_text=True))["tables"]


@pytest.fixture
def staff(make_user, make_role, city):  # noqa: ANN001, ANN201
    organiser, moderator = make_user(), make_user()
    make_role(organiser, city, "organiser")
    make_role(moderator, city, "moderator")
    return organiser, moderator


# ---------------------------------------------------------------- living labs


@pytest.fixture
def lab_with_registration(make_process, make_user, city):  # noqa: ANN001, ANN201
    lab = make_process(city, kind="livinglab", themes=["mobility"])
    starts = utcnow() + timedelta(days=7)
    session = LabSession(process_id=lab.id, title_ro="Atelier: piste și străzi",
                         title_en="Workshop: lanes", description_ro="", description_en="",
                         format="onsite", address="Str. Mare 1", starts_at=starts,
                         ends_at=starts + timedelta(hours=2), capacity=10)
    db.session.add(session)
    db.session.flush()
    person = make_user(email="ioana.ionescu@example.org", display_name="Ioana Ionescu")
    db.session.add(Registration(
        session_id=session.id, process_id=lab.id, user_id=person.id, email=None,
        name="Ioana Ionescu", stakeholder_type="citizen", language="ro", status="confirmed",
        token=secrets.token_urlsafe(24), code=secrets.token_hex(4).upper(),
        answers={"dietary": "=HYPERLINK(\"x\")", "photo_consent": True},
        email_confirmed_at=utcnow(), confirmed_at=utcnow()))
    db.session.commit()
    return lab


def test_registrations_anonymised_for_moderators(client, login_as, staff, lab_with_registration):  # noqa: ANN001, E501
    _organiser, moderator = staff
    tables = tables_of(download(login_as(client, moderator), lab_with_registration,
                                tables=["registrations"]))
    [row] = tables["registrations"]
    assert row["session"] == "Workshop: lanes" and row["status"]
    assert "name" not in row and "email" not in row and "dietary" not in row
    assert "Ioana" not in json.dumps(tables)


def test_registrations_with_personal_data_for_organisers(client, login_as, staff,
                                                         lab_with_registration):  # noqa: ANN001
    organiser, moderator = staff
    refused = download(login_as(client, moderator), lab_with_registration,
                       tables=["registrations"], personal="y", reason="door list")
    assert refused.status_code == 422
    response = download(login_as(client, organiser), lab_with_registration, format="csv",
                        tables=["registrations"], personal="y", reason="door list")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")),
                           delimiter=";"))
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["Name"] == "Ioana Ionescu"
    assert record["E-mail"] == "ioana.ionescu@example.org"
    assert record["Dietary needs"] == "'=HYPERLINK(\"x\")"
    [entry] = db.session.scalars(select(ModerationAction)
                                 .where(ModerationAction.action == "export")).all()
    assert entry.reason.startswith("[personal data] csv: registrations")


# ---------------------------------------------------------------- science


def test_observations_with_every_field(client, login_as, staff, make_process, make_user,
                                       city):  # noqa: ANN001
    campaign = make_process(city, kind="science", themes=["climate_adaptation"])
    db.session.add(ScienceSettings(process_id=campaign.id, licence="CC-BY-4.0", area=AREA,
                                   public_precision="100m", pseudonym_key="k" * 32))
    db.session.flush()
    temperature = add_field(campaign, "number", "Temperatura")
    surface = add_field(campaign, "single", "Suprafața", options=["Asfalt", "Iarbă"])
    water = add_field(campaign, "yes_no", "Apă")
    note = add_field(campaign, "text", "Observații")
    add_observation(campaign, make_user(), status="pending", values=[
        (temperature, 31.5), (surface, surface.options[1]), (water, True),
        (note, "@umbră puțină")])
    organiser, _moderator = staff
    response = download(login_as(client, organiser), campaign, format="xlsx",
                        tables=["observations"])
    sheet = load_workbook(io.BytesIO(response.get_data()))["observations"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["Temperatura (en)"] == 31.5
    assert row["Suprafața (en)"] == "Iarbă (en)"
    assert row["Apă (en)"] is True
    assert row["Observații (en)"] == "'@umbră puțină"
    assert row["Observer"] == "participant 1"
    assert "Latitude (precise)" not in header and "Latitude (public precision)" in header


# ---------------------------------------------------------------- consultations


def test_responses_one_column_per_question_in_the_chosen_language(client, login_as, staff,
                                                                  make_process, make_user,
                                                                  city):  # noqa: ANN001
    process = make_process(city, kind="consultation", themes=["mobility"])
    section = Section(process_id=process.id, position=0, title_ro="Deplasări",
                      title_en="Travel")
    db.session.add(section)
    db.session.flush()
    travel = add_question(section, "single", "Cum mergeți?", options=["Pe jos", "Mașina"],
                          position=0)
    helps = add_question(section, "multiple", "Ce ajută?", options=["Piste", "Dușuri"],
                         position=1)
    scale = add_question(section, "scale", "Cât de mulțumit?", position=2,
                         settings={"min": 1, "max": 5})
    person = make_user()
    response = Response(process_id=process.id, city_id=city.id, user_id=person.id,
                        channel="online", status="submitted", language="ro",
                        submitted_at=utcnow(), profile={"age": "30-44"})
    db.session.add(response)
    db.session.flush()
    db.session.add_all([
        Answer(response_id=response.id, question_id=travel.id,
               option_id=travel.options[0].id),
        Answer(response_id=response.id, question_id=helps.id, option_id=helps.options[0].id),
        Answer(response_id=response.id, question_id=helps.id, option_id=None,
               text="Bănci la umbră"),
        Answer(response_id=response.id, question_id=scale.id, number=4.0)])
    db.session.add(Response(process_id=process.id, city_id=city.id, channel="online",
                            status="draft", language="ro"))
    db.session.commit()
    organiser, _moderator = staff
    login_as(client, organiser)
    tables = tables_of(download(client, process, tables=["responses", "results"],
                                language="ro"))
    [row] = tables["responses"]
    assert row[f"q{travel.id}"] == "Pe jos"
    assert row[f"q{helps.id}"].startswith("Piste; ") and "Bănci la umbră" in row[f"q{helps.id}"]
    assert row[f"q{scale.id}"] == 4
    assert "profile" not in row and row["respondent"] == "participant 1"
    results = [r for r in tables["results"] if r["question_id"] == travel.id]
    assert {r["answer"]: r["count"] for r in results}["Pe jos"] == 1
    english = tables_of(download(client, process, tables=["responses"], language="en"))
    assert english["responses"][0][f"q{travel.id}"] == "Pe jos (en)"


# ---------------------------------------------------------------- synthesis


def test_summaries_with_their_citations(client, login_as, staff, make_process, make_user,
                                        city):  # noqa: ANN001
    from engage.ideas import services

    process = make_process(city, kind="ideas", themes=["nature"])
    author = make_user(email="autor@example.org", display_name="Autor Anonim")
    idea = services.submit_idea(process, author, "Mai mulți tei", "Pe strada Mare.", "nature",
                                "ro")
    db.session.get(Contribution, idea.contribution_id).status = "published"
    summary = Summary(process_id=process.id, city_id=city.id, topic="Natură",
                      status="published")
    db.session.add(summary)
    db.session.flush()
    version = SummaryVersion(summary_id=summary.id, number=1, title_ro="Ce ați spus",
                             title_en="What you said", body_ro=f"Tei [[idea:{idea.id}]]",
                             body_en="Lime trees", published_at=utcnow())
    db.session.add(version)
    db.session.flush()
    db.session.add(SummaryCitation(version_id=version.id, kind="idea", target_id=idea.id,
                                   contribution_id=idea.contribution_id, author_id=author.id,
                                   supports=3))
    db.session.commit()
    organiser, _moderator = staff
    tables = tables_of(download(login_as(client, organiser), process,
                                tables=["ideas", "summaries", "summary_citations"]))
    [summary_row] = tables["summaries"]
    assert summary_row["title"] == "What you said" and summary_row["citations"] == 1
    [citation] = tables["summary_citations"]
    assert citation["target_id"] == idea.id and citation["title"] == "Mai mulți tei"
    assert citation["supports"] == 3
    # The same person is the same participant in every table of one export.
    assert citation["author"] == tables["ideas"][0]["author"] == "participant 1"
    assert "autor@example.org" not in json.dumps(tables)


@pytest.mark.parametrize(("kind", "table"), [("ideas", "Ideas"), ("consultation", "Responses"),
                                             ("science", "Observations"),
                                             ("livinglab", "Registrations")])
def test_the_page_offers_each_kinds_tables(client, login_as, staff, make_process, city, kind,
                                           table):  # noqa: ANN001
    process = make_process(city, kind=kind, themes=["mobility"])
    page = login_as(client, staff[0]).get(url(process))
    assert page.status_code == 200
    assert table in page.get_data(as_text=True)
