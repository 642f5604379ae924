"""Workbooks written in the background: an XLSX export over EXPORT_BACKGROUND_CELLS is queued
(the audit log records it like any export), written by the job (run at once in the tests),
offered on its own page (which refreshes itself while waiting), downloaded only by whom it is
for, and removed by the retention purge after its time; CSV never waits; a failure says so."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engage.core import owndata, uploads
from engage.core.audit import ModerationAction
from engage.core.db import utcnow
from engage.exports import background
from engage.exports.models import ExportFile
from engage.extensions import db

from .seed import seed_votes


def url(process) -> str:  # noqa: ANN001
    return f"/{process.city.slug}/manage/processes/{process.slug}/export"


def post(client, process, **fields):  # noqa: ANN001, ANN003, ANN201
    data = {"tables": ["ideas", "votes"], "format": "xlsx", "delimiter": ";", "language": "en"}
    data.update(fields)
    return client.post_form(url(process), data)


@pytest.fixture
def small_threshold(app, monkeypatch):  # noqa: ANN001, ANN201
    """Anything over 100 cells goes to the background."""
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_CELLS", 100)


@pytest.fixture
def seeded(process):  # noqa: ANN001, ANN201
    seed_votes(process, ideas=10, voters=5)  # 10 ideas, 50 votes
    db.session.commit()
    return process


def only_file() -> ExportFile:
    (export,) = db.session.scalars(select(ExportFile)).all()
    return export


def test_the_estimate_counts_rows_times_written_columns(app, seeded):  # noqa: ANN001
    from engage.exports.tables import Options
    from engage.ideas import exports as idea_exports

    with app.test_request_context():
        votes = idea_exports.votes_table(seeded, Options())
        ideas = idea_exports.ideas_table(seeded, Options())
        assert votes.count() == 50 and ideas.count() == 10
        assert background.estimated_cells([votes], personal=False) == 50 * 5
        assert background.estimated_cells([votes], personal=True) == 50 * 6
        assert background.needs_background("csv", [votes, ideas], False) == 0
        app.config["EXPORT_BACKGROUND_CELLS"] = 10_000
        try:
            assert background.needs_background("xlsx", [votes, ideas], False) == 0
        finally:
            app.config["EXPORT_BACKGROUND_CELLS"] = 250_000


def test_a_large_workbook_is_written_in_the_background(client, login_as, organiser, seeded,  # noqa: ANN001
                                                        small_threshold):
    response = post(login_as(client, organiser), seeded)
    export = only_file()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url(seeded)}/files/{export.id}")
    assert export.status == "done" and export.tables == ["ideas", "votes"]
    assert export.cells == 10 * 16 + 50 * 5 and not export.personal  # agree mode: 16 columns
    audit = db.session.scalars(select(ModerationAction.reason)
                               .where(ModerationAction.action == "export")).all()
    assert audit == ["[anonymised] xlsx: ideas, votes"]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Download the workbook" in page and 'http-equiv="refresh"' not in page
    download = client.get(f"{url(seeded)}/files/{export.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == f'attachment; filename="{seeded.slug}.xlsx"'
    book = load_workbook(io.BytesIO(download.data))
    assert book.sheetnames == ["ideas", "votes"] and book["votes"].max_row == 51
    assert book["ideas"]["B1"].value == "Title"  # in the language asked for
    # The export page lists it.
    assert f"/files/{export.id}" in client.get(url(seeded)).get_data(as_text=True)


def test_a_waiting_file_refreshes_its_page(client, login_as, organiser, seeded, monkeypatch,  # noqa: ANN001
                                           small_threshold):
    monkeypatch.setattr("engage.exports.routes.after_commit", lambda *args: True)  # no consumer
    response = post(login_as(client, organiser), seeded)
    export = only_file()
    assert export.status == "queued"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "Waiting for its turn" in page
    assert client.get(f"{url(seeded)}/files/{export.id}/download").status_code == 404
    assert background.build(export.id).status == "done"
    assert background.build(export.id).status == "done"  # a second run changes nothing


def test_csv_is_never_sent_to_the_background(client, login_as, organiser, seeded,  # noqa: ANN001
                                             small_threshold):
    response = post(login_as(client, organiser), seeded, format="csv", tables=["votes"])
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    assert db.session.scalars(select(ExportFile)).all() == []


def test_personal_files_are_for_the_person_who_asked(client, login_as, organiser, moderator,  # noqa: ANN001
                                                     make_user, make_role, city, seeded,
                                                     small_threshold):
    other_organiser = make_user()
    make_role(other_organiser, city, "organiser")
    post(login_as(client, organiser), seeded, personal="y", reason="Invitations")
    export = only_file()
    assert export.personal and export.status == "done"
    path = f"{url(seeded)}/files/{export.id}"
    for someone in (moderator, other_organiser):
        login_as(client, someone)
        assert client.get(path).status_code == 403
        assert client.get(path + "/download").status_code == 403
        assert f"/files/{export.id}" not in client.get(url(seeded)).get_data(as_text=True)
    login_as(client, organiser)
    book = load_workbook(io.BytesIO(client.get(path + "/download").data))
    assert "Participant's e-mail" in [cell.value for cell in book["votes"][1]]


def test_anonymised_files_are_for_the_citys_staff(client, login_as, organiser, moderator,  # noqa: ANN001
                                                  make_user, make_city, make_role, seeded,
                                                  small_threshold):
    post(login_as(client, organiser), seeded)
    path = f"{url(seeded)}/files/{only_file().id}"
    assert login_as(client, moderator).get(path + "/download").status_code == 200
    stranger = make_user()
    make_role(stranger, make_city(), "organiser")
    assert login_as(client, stranger).get(path).status_code == 403
    assert login_as(client, make_user()).get(path).status_code == 403


def test_a_file_of_another_process_or_a_forged_id_is_not_found(client, login_as, organiser,  # noqa: ANN001
                                                               make_process, city, seeded,
                                                               small_threshold):
    post(login_as(client, organiser), seeded)
    export = only_file()
    other = make_process(city, kind="ideas")
    assert client.get(f"{url(other)}/files/{export.id}").status_code == 404
    assert client.get(f"{url(seeded)}/files/{export.id + 1}").status_code == 404
    assert client.get(f"{url(seeded)}/files/abc").status_code == 404


def test_a_failure_is_shown(client, login_as, organiser, seeded, monkeypatch, small_threshold):  # noqa: ANN001, E501
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError("disk full")

    monkeypatch.setattr("engage.exports.background.writers.write_xlsx", broken)
    response = post(login_as(client, organiser), seeded)
    assert only_file().status == "failed" and only_file().storage_key is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "could not be written" in page


def test_the_purge_removes_files_past_their_time(client, login_as, organiser, seeded,  # noqa: ANN001
                                                 small_threshold, app):
    post(login_as(client, organiser), seeded)
    export = only_file()
    key = export.storage_key
    storage = uploads.get_storage()
    assert storage.open(key)
    later = export.expires_at + timedelta(minutes=1)
    assert owndata.purge(dry_run=True, now=later)["export_files"] == 1
    assert storage.open(key) and only_file() is not None  # a dry run keeps both
    assert owndata.purge(now=utcnow())["export_files"] == 0  # not yet
    assert owndata.purge(now=later)["export_files"] == 1
    db.session.commit()
    assert db.session.scalars(select(ExportFile)).all() == []
    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_an_expired_file_is_no_longer_offered(client, login_as, organiser, seeded,  # noqa: ANN001
                                              small_threshold):
    post(login_as(client, organiser), seeded)
    export = only_file()
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    path = f"{url(seeded)}/files/{export.id}"
    assert "no longer available" in client.get(path).get_data(as_text=True)
    assert client.get(path + "/download").status_code == 404


def test_the_export_page_lists_files_in_constant_queries(client, login_as, organiser, seeded,  # noqa: ANN001
                                                         small_threshold, count_queries):
    login_as(client, organiser)
    counts = []
    for _ in range(2):
        for _ in range(3):
            post(client, seeded)
        with count_queries() as counted:
            page = client.get(url(seeded)).get_data(as_text=True)
        counts.append(counted.n)
    assert page.count("/files/") == 6
    assert counts[0] == counts[1]
