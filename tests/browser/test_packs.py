"""The workshop pack in Chromium: an organiser opens the pack page from the processes list,
downloads the PDF pack and opens it (pypdf: the process's title, the idea titles, the idea
cards four to a page); the idea cards' print preview at A4 (print media): every sheet one A4
page holding four A6 cards, and Chromium's own print to A4 PDF gives one page per four cards.
The pack page itself is axe-clean at 360 px."""

from __future__ import annotations

import math

import pytest

from tests.browser.test_pages import _assert_clean, _log_in
from tests.packs import pdf_pages

pytestmark = pytest.mark.browser

CITY = "bucuresti-sector-2"
PROCESS = "strazi-pentru-oameni"
MM = 96 / 25.4  # CSS pixels per millimetre


def _text(data: bytes) -> tuple[list[str], str]:
    pages = pdf_pages(data)
    return pages, " ".join(pages)


def test_download_the_pack_and_open_it(page, live_server, tmp_path):  # noqa: ANN001
    base = live_server.url
    page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    _log_in(page, base, "admin@engage.test")
    page.goto(f"{base}/{CITY}/manage/")
    page.locator(f"a[href='/{CITY}/manage/processes/{PROCESS}/pack']").click()
    page.wait_for_url(f"{base}/{CITY}/manage/processes/{PROCESS}/pack")
    _assert_clean(page)
    page.check("input[name=document][value=pack]")
    page.check("input[name=language][value=en]")
    page.check("input[name=format][value=pdf]")
    with page.expect_download() as waiting:
        page.locator("main form button[type=submit]").click()
    download = waiting.value
    assert download.suggested_filename == f"{PROCESS}-pack-en.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    pages, text = _text(path.read_bytes())
    assert "Streets for people" in text and "Who took part" in text
    assert len(pages) >= 3  # the cover, the results, the idea cards


@pytest.fixture(scope="module")
def nine_ideas(live_server):  # noqa: ANN001, ANN201
    """A process of its own in the live server's database, with nine published ideas: three
    sheets, the last one with a single card."""
    from datetime import timedelta

    from sqlalchemy import select

    from engage.accounts.models import User
    from engage.cities.models import City
    from engage.core.db import utcnow
    from engage.extensions import db
    from engage.ideas import services
    from engage.processes.models import Process

    with live_server.app.app_context():
        city = db.session.scalar(select(City).where(City.slug == CITY))
        author = db.session.scalar(select(User).where(User.email == "cetatean@engage.test"))
        process = Process(city_id=city.id, kind="ideas", slug="carduri-atelier",
                          title_ro="Idei pentru atelier", title_en="Ideas for the workshop",
                          description_ro="", description_en="", themes=["mobility"],
                          opens_at=utcnow() - timedelta(days=3), closes_at=None,
                          status="published")
        db.session.add(process)
        db.session.flush()
        for number in range(9):
            idea = services.submit_idea(process, author, f"Ideea de atelier numărul {number + 1}",
                                        "Un text scurt despre idee. " * (number + 1),
                                        "mobility", "ro")
            idea.contribution.status = "published"
        db.session.commit()
    return "carduri-atelier"


def test_idea_cards_print_preview_at_a4(page, live_server, nine_ideas):  # noqa: ANN001
    base = live_server.url
    _log_in(page, base, "admin@engage.test")
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.goto(f"{base}/{CITY}/manage/processes/{nine_ideas}/pack/document?document=cards"
              "&language=ro&format=html&cards=48")
    cards = page.locator(".idea-card").count()
    assert cards == 9
    page.emulate_media(media="print")
    sheets = page.locator(".card-sheet")
    assert sheets.count() == math.ceil(cards / 4)
    for index in range(sheets.count()):
        box = sheets.nth(index).bounding_box()
        assert abs(box["width"] - 210 * MM) < 2 and abs(box["height"] - 297 * MM) < 2
        inside = sheets.nth(index).locator(".idea-card")
        assert inside.count() == (4 if index < sheets.count() - 1 else cards - 4 * index)
        for card in range(inside.count()):
            card_box = inside.nth(card).bounding_box()
            assert abs(card_box["width"] - 105 * MM) < 2
            assert abs(card_box["height"] - 148.4 * MM) < 2
    titles = page.locator(".idea-card .card-title").all_inner_texts()
    # Chromium's own print, on A4 paper: one page per sheet, four titles on each.
    pages, _ = _text(page.pdf(format="A4", prefer_css_page_size=True, print_background=True))
    assert len(pages) == math.ceil(cards / 4)
    for number, text in enumerate(pages):
        for title in titles[4 * number: 4 * number + 4]:
            assert " ".join(title.split())[:20] in text


@pytest.mark.parametrize("document", ["pack", "cards", "poster"])
def test_the_documents_read_on_a_phone(page, live_server, document):  # noqa: ANN001
    """As a web page (before printing) each document is axe-clean and fits 360 px."""
    base = live_server.url
    _log_in(page, base, "admin@engage.test")
    page.goto(f"{base}/{CITY}/manage/processes/{PROCESS}/pack/document?document={document}"
              "&language=ro&format=html&cards=48")
    assert page.locator("h1").count() >= 1
    _assert_clean(page)


@pytest.mark.parametrize("language", ["ro", "en"])
def test_the_contract_document_reads_on_a_phone_and_downloads(page, live_server, language,  # noqa: ANN001
                                                              tmp_path):
    """The published contract as a printable page (axe-clean at 360 px), its PDF downloaded
    from it and opened."""
    base = live_server.url
    page.goto(f"{base}/{CITY}/contract/document?language={language}&format=html")
    assert page.locator("h1").count() >= 1
    _assert_clean(page)
    with page.expect_download() as waiting:
        page.locator(f"a[href*='language={language}'][href*='format=pdf']").first.click()
    path = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(path)
    assert path.name == f"contract-{CITY}-{language}.pdf"
    _pages, text = _text(path.read_bytes())
    assert ("Contractul climatic" if language == "ro" else "Climate City Contract") in text
