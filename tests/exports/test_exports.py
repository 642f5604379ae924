"""The organisers' exports: formats, formula neutralising, access, personal data, streaming."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engage.core.audit import ModerationAction
from engage.exports import writers
from engage.exports.tables import Column, Options, Table, neutralise
from engage.extensions import db
from engage.ideas import exports as idea_exports
from engage.ideas.models import Vote

from ..memory import least_peak
from .seed import seed_votes

FORMULAS = ["=1+1", "+33", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def url(process) -> str:  # noqa: ANN001
    return f"/{process.city.slug}/manage/processes/{process.slug}/export"


def post(client, process, **fields):  # noqa: ANN001, ANN003, ANN201
    data = {"tables": ["ideas"], "format": "csv", "delimiter": ";", "language": "en"}
    data.update(fields)
    return client.post_form(url(process), data)


def read_csv(response, delimiter: str = ";") -> list[list[str]]:  # noqa: ANN001
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=delimiter))


def exported(action: str = "export") -> list[ModerationAction]:
    return list(db.session.scalars(select(ModerationAction)
                                   .where(ModerationAction.action == action)))


# ---------------------------------------------------------------- the machinery


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_each_leading_character(start):  # noqa: ANN001
    assert neutralise(start + "x") == "'" + start + "x"
    assert neutralise("x" + start) == "x" + start
    assert neutralise(-3) == -3 and neutralise(2.5) == 2.5


def _table(rows: int) -> Table:
    columns = [Column("n", "n", "number"), Column("text", "text"),
               Column("at", "at", "datetime"), Column("mail", "mail", personal=True)]

    def generate():  # noqa: ANN202
        for number in range(rows):
            yield (number, f"row {number} șț", datetime(2026, 5, 1, 10, 0), "a@example.org")

    return Table("t", "T", columns, generate)


def test_csv_writer_memory_does_not_grow_with_rows(app):  # noqa: ANN001
    sizes = []

    def export(rows: int) -> None:
        sizes.append(sum(len(chunk) for chunk in writers.csv_chunks(_table(rows))))

    with app.test_request_context():
        small = least_peak(lambda: export(2_000), runs=1)
        # Keeping the rows would take over 1 MB more for the 18,000 extra ones.
        bound = small * 1.5 + 100_000
        large = least_peak(lambda: export(20_000), below=bound)
    assert sizes[0] > 20_000 and sizes[-1] > 200_000
    assert large < bound


def test_csv_export_queries_and_memory_do_not_grow_with_rows(app, process, count_queries):  # noqa: ANN001, E501
    tables, queries, lines = [], [], []

    def export() -> None:
        with count_queries() as counted:
            lines.append(sum(chunk.count("\r\n") for chunk in writers.csv_chunks(tables[-1])))
        queries.append(counted.n)

    with app.test_request_context():
        seed_votes(process, ideas=100, voters=20)  # 100 ideas: 2,000 votes, then 20,000 more
        small_total = db.session.query(Vote).count()
        tables.append(idea_exports.votes_table(process, Options()))
        small = least_peak(export, runs=1)
        seed_votes(process, ideas=100, voters=200)
        total = db.session.query(Vote).count()
        tables.append(idea_exports.votes_table(process, Options()))
        bound = small * 1.5 + 200_000
        large = least_peak(export, below=bound)
    assert lines[0] == small_total + 1 and set(lines[1:]) == {total + 1}
    assert len(set(queries)) == 1
    assert large < bound


def test_writers_drop_personal_columns_unless_asked(app):  # noqa: ANN001
    with app.test_request_context():
        _check_personal_columns()


def _check_personal_columns() -> None:
    text = "".join(writers.csv_chunks(_table(3)))
    assert "a@example.org" not in text and "șț" in text
    assert "a@example.org" in "".join(writers.csv_chunks(_table(3), personal=True))


# ---------------------------------------------------------------- the page and access


def test_page_for_organisers_and_moderators(client, login_as, organiser, moderator, process):  # noqa: ANN001, E501
    page = login_as(client, organiser).get(url(process))
    assert page.status_code == 200
    assert "Include personal data" in page.get_data(as_text=True)
    page = login_as(client, moderator).get(url(process))
    assert page.status_code == 200
    assert "Include personal data" not in page.get_data(as_text=True)


def test_citizens_are_refused(client, login_as, make_user, process):  # noqa: ANN001
    login_as(client, make_user())
    assert client.get(url(process)).status_code == 403
    assert post(client, process).status_code == 403
    assert exported() == []


def test_another_citys_process_is_refused(client, login_as, organiser, city, make_city,
                                          make_process):  # noqa: ANN001
    other = make_process(make_city(), kind="ideas")
    login_as(client, organiser)
    forged = f"/{city.slug}/manage/processes/{other.slug}/export"
    assert client.get(forged).status_code == 404
    assert client.post_form(forged, {"tables": ["ideas"], "format": "csv", "delimiter": ";",
                                     "language": "en"}).status_code == 404
    assert client.get(url(other)).status_code == 403
    assert exported() == []


def test_manage_dashboard_links_to_the_export(client, login_as, organiser, process):  # noqa: ANN001
    page = login_as(client, organiser).get(f"/{process.city.slug}/manage/")
    assert url(process) in page.get_data(as_text=True)


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_opens_with_both_delimiters(client, login_as, organiser, process, make_idea,
                                        delimiter):  # noqa: ANN001
    make_idea(process, title="Școală și țară, „verde”", body="Grădini; copaci")
    response = post(login_as(client, organiser), process, delimiter=delimiter)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = read_csv(response, delimiter)
    assert rows[0][:2] == ["Idea id", "Title"]
    assert rows[1][1] == "Școală și țară, „verde”"
    assert rows[1][2] == "Grădini; copaci"
    assert len(exported()) == 1


def test_xlsx_opens_with_sheets_frozen_header_and_dates(client, login_as, organiser, process,
                                                        make_idea, make_user):  # noqa: ANN001
    idea = make_idea(process, title="Școală și țară")
    db.session.add(Vote(idea_id=idea.id, user_id=make_user().id, value=1))
    db.session.commit()
    response = post(login_as(client, organiser), process, format="xlsx",
                    tables=["ideas", "votes", "comments"])
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["ideas", "votes", "comments"]
    sheet = book["ideas"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["Title"] == "Școală și țară"
    assert isinstance(row["Submitted at"], datetime)
    assert row["Agree"] == 1 and row["Disagree"] == 0
    assert isinstance(row["Idea id"], int)
    assert book["votes"].freeze_panes == "A2"


def test_json_opens(client, login_as, moderator, process, make_idea):  # noqa: ANN001
    make_idea(process, title="Școală și țară")
    response = post(login_as(client, moderator), process, format="json",
                    tables=["ideas", "comments"])
    data = json.loads(response.get_data(as_text=True))
    assert list(data["tables"]) == ["ideas", "comments"]
    assert data["tables"]["ideas"][0]["title"] == "Școală și țară"
    assert data["tables"]["ideas"][0]["author"] == "participant 1"
    assert data["tables"]["comments"] == []


def test_romanian_labels(client, login_as, organiser, process, make_idea):  # noqa: ANN001
    make_idea(process, title="Școală")
    login_as(client, organiser)
    rows = read_csv(post(client, process, language="ro"))  # the page itself is in English
    assert rows[1][1] == "Școală"
    assert {"Titlu", "Temă", "Împotrivă"} <= set(rows[0])
    book = load_workbook(io.BytesIO(post(client, process, language="ro", format="xlsx",
                                         tables=["ideas"]).get_data()))
    assert "Împotrivă" in [cell.value for cell in book["ideas"][1]]
    english = read_csv(post(client, process, language="en"))
    assert {"Title", "Theme", "Supports", "Disagree"} <= set(english[0])


def test_csv_holds_one_table(client, login_as, organiser, process):  # noqa: ANN001
    response = post(login_as(client, organiser), process, tables=["ideas", "comments"])
    assert response.status_code == 422
    assert "choose exactly one" in response.get_data(as_text=True)
    assert exported() == []


def test_unknown_table_or_format_is_refused(client, login_as, organiser, process):  # noqa: ANN001
    login_as(client, organiser)
    assert post(client, process, tables=["user_account"]).status_code == 422
    assert post(client, process, format="exe").status_code == 422
    assert post(client, process, delimiter="|").status_code == 422
    assert exported() == []


# ---------------------------------------------------------------- formula injection


@pytest.mark.parametrize("formula", FORMULAS)
def test_formulas_neutralised_in_csv_and_xlsx(client, login_as, organiser, process, make_idea,
                                              formula):  # noqa: ANN001
    idea = make_idea(process)
    idea.title = formula + " titlu"  # as stored, whatever path it came by
    db.session.commit()
    login_as(client, organiser)
    rows = read_csv(post(client, process))
    assert rows[1][1].startswith("'" + formula[0])
    book = load_workbook(io.BytesIO(post(client, process, format="xlsx").get_data()))
    cell = book["ideas"]["B2"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'")  # (the XML reads a carriage return back as \n)
    assert cell.value[1:].replace("\n", "\r") == formula + " titlu"


# ---------------------------------------------------------------- personal data


def test_anonymised_by_default(client, login_as, organiser, process, make_idea, make_user):  # noqa: ANN001, E501
    author = make_user(email="ana.popescu@example.org", display_name="Ana Popescu")
    make_idea(process, author=author)
    make_idea(process, author=author, title="A doua idee")
    login_as(client, organiser)
    for fmt in ("csv", "json", "xlsx"):
        body = post(client, process, format=fmt).get_data()
        if fmt == "xlsx":
            book = load_workbook(io.BytesIO(body))
            body = repr([[c.value for c in row] for row in book["ideas"].iter_rows()]).encode()
        text = body.decode("utf-8", "replace")
        assert "ana.popescu" not in text and "Ana Popescu" not in text
        assert "participant 1" in text and "participant 2" not in text
    assert all(entry.reason.startswith("[anonymised]") for entry in exported())


def test_personal_data_needs_the_organiser_role(client, login_as, moderator, process,
                                                make_idea):  # noqa: ANN001
    make_idea(process)
    response = post(login_as(client, moderator), process, personal="y", reason="workshop")
    assert response.status_code == 422
    assert "Only the city's organisers" in html.unescape(response.get_data(as_text=True))
    assert exported() == []


def test_personal_data_needs_a_reason(client, login_as, organiser, process, make_idea):  # noqa: ANN001
    make_idea(process)
    response = post(login_as(client, organiser), process, personal="y", reason="  ")
    assert response.status_code == 422
    assert "Say why you need personal data" in response.get_data(as_text=True)
    assert exported() == []


def test_personal_data_with_role_and_reason_is_audited(client, login_as, organiser, process,
                                                       make_idea, make_user):  # noqa: ANN001
    author = make_user(email="ana.popescu@example.org", display_name="Ana Popescu")
    make_idea(process, author=author)
    response = post(login_as(client, organiser), process, personal="y",
                    reason="contact the authors of selected ideas")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "ana.popescu@example.org" in text and "Ana Popescu" in text
    [entry] = exported()
    assert entry.actor_id == organiser.id and entry.target_id == process.id
    assert entry.city_id == process.city_id
    assert entry.reason.startswith("[personal data] csv: ideas")
    assert "contact the authors" in entry.reason
