"""A session's outcome: notes saved, published and unpublished; attachments checked by content
(a renamed file refused, an oversized one refused, images re-encoded without metadata, at most
MAX_ATTACHMENTS), deleted; served publicly only once published (staff before), PDFs as
downloads with nosniff; organisers only on the managing page."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs.models import ATTACHMENT_MAX_BYTES, LabAttachment, LabSession
from tests.livinglabs.conftest import count

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def organiser(make_user, make_role, city):  # noqa: ANN001, ANN201
    user = make_user()
    make_role(user, city, "organiser")
    return user


@pytest.fixture
def org_client(client, login_as, organiser):  # noqa: ANN001, ANN201
    return login_as(client, organiser)


def outcome_url(city, lab, session) -> str:  # noqa: ANN001
    return f"/{city.slug}/manage/processes/{lab.slug}/livinglab/sessions/{session.id}/outcome"


def public_url(city, lab, session, attachment_id) -> str:  # noqa: ANN001
    return f"/{city.slug}/p/{lab.slug}/sessions/{session.id}/attachments/{attachment_id}"


def png_with_metadata() -> bytes:
    image = Image.new("RGB", (64, 48), (10, 120, 30))
    out = io.BytesIO()
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-camera-serial-123")
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def upload(client, url, data: bytes, name: str, title: str = "Minutes"):  # noqa: ANN001, ANN201
    return client.post_form(url, {"action": "upload", "title": title,
                                  "file": (io.BytesIO(data), name)},
                            content_type="multipart/form-data")


def test_the_outcome_is_saved_published_and_unpublished(org_client, city, lab, make_session):
    session = make_session()
    url = outcome_url(city, lab, session)
    assert org_client.get(url).status_code == 200
    refused = org_client.post_form(url, {"action": "save", "outcome_ro": "",
                                         "published": "y"})
    assert refused.status_code == 422
    assert org_client.post_form(url, {"action": "save", "outcome_ro": "x" * 20_001}
                                ).status_code == 422
    assert org_client.post_form(url, {"action": "save", "outcome_ro": "## Ce am decis",
                                      "published": "y"}).status_code == 303
    db.session.expire_all()
    stored = db.session.get(LabSession, session.id)
    assert stored.outcome_ro == "## Ce am decis" and stored.outcome_published_at is not None
    assert org_client.post_form(url, {"action": "save", "outcome_ro": "## Ce am decis"}
                                ).status_code == 303
    db.session.expire_all()
    assert db.session.get(LabSession, session.id).outcome_published_at is None


def test_a_pdf_is_stored_and_served_only_once_published(org_client, client_default_language,
                                                        city, lab, make_session):
    session = make_session()
    assert upload(org_client, outcome_url(city, lab, session), PDF, "Minute ședință.pdf"
                  ).status_code == 303
    item = db.session.scalars(select(LabAttachment)).one()
    assert item.content_type == "application/pdf" and item.filename.endswith(".pdf")
    url = public_url(city, lab, session, item.id)
    # Staff see it before it is published; the public does not.
    staff = org_client.get(url)
    assert staff.status_code == 200 and staff.data == PDF
    assert client_default_language.get(url).status_code == 404
    session.outcome_ro = "Notes"
    session.outcome_published_at = utcnow()
    db.session.commit()
    response = client_default_language.get(url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"
    # Another session's or another city's ids are a 404.
    other = make_session()
    assert client_default_language.get(public_url(city, lab, other, item.id)
                                       ).status_code == 404


def test_a_renamed_file_and_an_oversized_pdf_are_refused(org_client, city, lab, make_session,
                                                        monkeypatch):
    from engage.livinglabs import outcome

    session = make_session()
    url = outcome_url(city, lab, session)
    renamed = upload(org_client, url, b"<html><script>alert(1)</script></html>", "minutes.pdf")
    assert renamed.status_code == 422
    assert "neither a PDF nor" in renamed.get_data(as_text=True)
    # The limit itself, without a 10 MB request (its temporary files) in every run:
    with pytest.raises(outcome.OutcomeError) as refused:
        outcome.add_attachment(session, "Big", "big.pdf",
                               b"%PDF-" + b"0" * ATTACHMENT_MAX_BYTES)
    assert refused.value.field == "file"
    monkeypatch.setattr(outcome, "ATTACHMENT_MAX_BYTES", 1000)
    too_big = upload(org_client, url, b"%PDF-" + b"0" * 1000, "big.pdf")
    assert too_big.status_code == 422 and "larger than" in too_big.get_data(as_text=True)
    broken = upload(org_client, url, b"\x89PNG\r\n\x1a\nbroken", "photo.png")
    assert broken.status_code == 422
    no_title = upload(org_client, url, PDF, "m.pdf", title="")
    assert no_title.status_code == 422
    assert count(LabAttachment) == 0


def test_an_image_is_re_encoded_without_its_metadata(org_client, city, lab, make_session):
    session = make_session()
    original = png_with_metadata()
    assert upload(org_client, outcome_url(city, lab, session), original, "photo.png"
                  ).status_code == 303
    item = db.session.scalars(select(LabAttachment)).one()
    assert item.content_type == "image/jpeg" and item.filename == "photo.jpg"
    served = org_client.get(public_url(city, lab, session, item.id))
    assert served.status_code == 200 and served.data.startswith(b"\xff\xd8\xff")
    assert b"secret-camera-serial" not in served.data and served.data != original
    assert served.headers["Content-Disposition"].startswith("inline;")


def test_at_most_max_attachments_and_deleting_one(org_client, city, lab, make_session,
                                                  monkeypatch):
    from engage.livinglabs import outcome

    monkeypatch.setattr(outcome, "MAX_ATTACHMENTS", 2)
    session = make_session()
    url = outcome_url(city, lab, session)
    assert upload(org_client, url, PDF, "a.pdf").status_code == 303
    assert upload(org_client, url, PDF, "b.pdf").status_code == 303
    assert upload(org_client, url, PDF, "c.pdf").status_code == 422
    assert count(LabAttachment) == 2
    first = db.session.scalars(select(LabAttachment).order_by(LabAttachment.id)).first()
    delete = f"{url.rsplit('/outcome', 1)[0]}/attachments/{first.id}/delete"
    assert org_client.post_form(delete).status_code == 303
    assert count(LabAttachment) == 1
    assert org_client.post_form(delete).status_code == 404


def test_moderators_cannot_manage_the_outcome(client, login_as, make_user, make_role, city,
                                              lab, make_session):
    moderator = make_user()
    make_role(moderator, city, "moderator")
    login_as(client, moderator)
    session = make_session()
    assert client.get(outcome_url(city, lab, session)).status_code == 403
    assert upload(client, outcome_url(city, lab, session), PDF, "a.pdf").status_code == 403
    assert count(LabAttachment) == 0


def test_a_draft_labs_attachments_are_hidden_from_the_public(org_client,
                                                             client_default_language, city,
                                                             make_process, make_session):
    draft = make_process(city, kind="livinglab", status="draft")
    session = make_session(process=draft)
    assert upload(org_client, outcome_url(city, draft, session), PDF, "a.pdf"
                  ).status_code == 303
    session.outcome_ro, session.outcome_published_at = "x", utcnow()
    db.session.commit()
    item = db.session.scalars(select(LabAttachment)).one()
    assert client_default_language.get(public_url(city, draft, session, item.id)
                                       ).status_code == 404
