"""The workshop pack's machinery: the page and its form, the three documents as HTML and PDF,
the participation figures by stakeholder type, access and the audit record. What each kind adds
to a pack is tested with the kind (tests/<kind>/test_pack.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engage.core.audit import ModerationAction
from engage.exports import packs
from engage.extensions import db
from engage.processes.models import Contribution
from tests.packs import document, pdf_pages


def base(process) -> str:  # noqa: ANN001
    return f"/{process.city.slug}/manage/processes/{process.slug}/pack"


def pdf_text(data: bytes) -> tuple[int, str]:
    pages = pdf_pages(data)
    return len(pages), " ".join(pages)


def test_the_page_offers_the_documents(client, login_as, organiser, process):  # noqa: ANN001
    page = login_as(client, organiser).get(base(process)).get_data(as_text=True)
    for text in ("Workshop pack (A4)", "Idea cards only", "Results poster (A3)", "Every theme"):
        assert text in page


def test_each_document_as_html_and_pdf(client, login_as, organiser, process, make_idea):  # noqa: ANN001, E501
    make_idea(process, title="Piste de biciclete pe Calea Moșilor")
    login_as(client, organiser)
    for name in ("pack", "cards", "poster"):
        html = document(client, process, document=name)
        assert html.status_code == 200 and html.content_type.startswith("text/html")
        text = html.get_data(as_text=True)
        assert process.title_en in text and "css/pack.css" in text
        pdf = document(client, process, document=name, format="pdf")
        assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
        assert f'{process.slug}-{name}-en.pdf' in pdf.headers["Content-Disposition"]
        pages, words = pdf_text(pdf.data)
        # The cards carry the idea, not the process (a heading would break four to a page).
        expected = "Piste de biciclete" if name == "cards" else process.title_en
        assert pages >= 1 and expected in " ".join(words.split())
    records = db.session.scalars(select(ModerationAction.reason)
                                 .where(ModerationAction.action == "export")).all()
    assert sorted(records) == sorted(f"[anonymised] {kind}: {name} (en)"
                                     for kind in ("html", "pdf")
                                     for name in ("pack", "cards", "poster"))


def test_the_cover_in_romanian(client, login_as, organiser, process):  # noqa: ANN001
    text = document(login_as(client, organiser), process, language="ro").get_data(as_text=True)
    assert process.title_ro in text and '<html lang="ro">' in text
    assert "Cine a participat" in text and "<svg role=\"img\"" in text  # the QR code


def test_participation_by_stakeholder_type_from_the_spine(app, process, make_user, make_idea):  # noqa: ANN001, E501
    citizen, researcher = make_user(), make_user(stakeholder_type="research")
    make_idea(process, author=citizen)
    make_idea(process, author=citizen)
    make_idea(process, author=researcher)
    hidden = make_idea(process, author=make_user(stakeholder_type="business"))
    hidden.contribution.status = "hidden"
    db.session.flush()
    with app.test_request_context():
        (way,) = packs._spine_participation(process)  # a kind without its own counting
    # Two ideas by one citizen count one person; the hidden idea's author is not counted.
    assert way.main and way.counts == {"citizen": 1, "research": 1} and way.total == 2


@pytest.mark.parametrize("args, message", [
    ({"document": "brochure"}, "Not a valid choice"),
    ({"language": "fr"}, "Not a valid choice"),
    ({"format": "docx"}, "Not a valid choice"),
    ({"cards": "0"}, "Between 1 and 400 idea cards."),
    ({"cards": "401"}, "Between 1 and 400 idea cards."),
    ({"cards": "many"}, "Not a valid integer value"),
    ({"theme": "energy"}, "Not a valid choice"),  # not one of the process's themes
])
def test_bad_choices_are_refused(client, login_as, organiser, process, args, message):  # noqa: ANN001, E501
    response = document(login_as(client, organiser), process, **args)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(ModerationAction.id)
                             .where(ModerationAction.action == "export")) is None


def test_refusals_are_in_romanian(client, login_as, organiser, process):  # noqa: ANN001
    login_as(client, organiser)
    client.set_cookie("lang", "ro")
    text = document(client, process, cards="0").get_data(as_text=True)
    assert "Între 1 și 400 de cartonașe" in text


def test_who_may_draw_a_pack(client, login_as, make_user, make_role, make_city, process, moderator):  # noqa: ANN001, E501
    assert document(client, process).status_code in (302, 401)  # signed out: to the login
    login_as(client, make_user())
    assert document(client, process).status_code == 403
    assert client.get(base(process)).status_code == 403
    other = make_user()
    make_role(other, make_city(), "organiser")
    login_as(client, other)
    assert document(client, process).status_code == 403
    login_as(client, moderator)
    assert document(client, process).status_code == 200


def test_another_citys_process_is_not_found(client, login_as, organiser, city, make_city,  # noqa: ANN001
                                            make_process):
    elsewhere = make_process(make_city(), kind="ideas", themes=["nature"])
    login_as(client, organiser)
    path = f"/{city.slug}/manage/processes/{elsewhere.slug}/pack/document"
    assert client.get(path, query_string={"document": "pack", "language": "en",
                                          "format": "html"}).status_code == 404


def test_the_pdf_fetches_nothing_a_text_names(app, process, make_idea):  # noqa: ANN001
    fetched = []
    with app.test_request_context():
        html = packs.render(process, packs.PackOptions(language="en"), for_pdf=True)
        html = html.replace("</body>", '<img src="http://127.0.0.1:9/x.png">'
                            '<link rel="stylesheet" href="file:///etc/passwd"></body>')
        from weasyprint.urls import URLFetcher

        original = URLFetcher.fetch

        def spy(self, url, headers=None):  # noqa: ANN001, ANN202
            fetched.append(url)
            return original(self, url, headers)

        URLFetcher.fetch = spy
        try:
            data = packs.write_pdf(html)
        finally:
            URLFetcher.fetch = original
    assert data.startswith(b"%PDF")
    assert "http://127.0.0.1:9/x.png" in fetched  # asked, and refused by the fetcher
    assert not any(url.startswith("file:///etc") for url in fetched if "passwd" not in url)
    assert Contribution is not None


def test_drawing_a_pdf_leaves_truncated_photos_refused(app, process):  # noqa: ANN001
    from PIL import ImageFile

    with app.test_request_context():
        packs.write_pdf(packs.render(process, packs.PackOptions(language="en"), for_pdf=True))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_charts_carry_their_colours_into_the_pdf_only(app, process, make_idea):  # noqa: ANN001
    make_idea(process)
    with app.test_request_context():
        browser = packs.render(process, packs.PackOptions(language="en"))
        printed = packs.render(process, packs.PackOptions(language="en"), for_pdf=True)
    assert '<svg class="chart"' in browser and "<style>" not in browser  # CSP: no inline style
    charts = printed.count('<svg class="chart"')
    assert charts >= 1 and printed.count("<style>.track") + printed.count("<style>text") == charts
