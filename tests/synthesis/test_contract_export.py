"""The Climate City Contract as a document (synthesis.contract_export): the PDF and the printable
page in English and Romanian, the Word-compatible HTML (Office namespaces, no script, no SVG, links
only to the city's public pages), the citizens' input behind each action, who may download a
draft and the audit record of it, refused choices, hostile text escaped, and a constant number
of queries whatever the size of the contract."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markupsafe import Markup
from sqlalchemy import select

from engage.core.audit import ModerationAction
from engage.extensions import db
from engage.synthesis import contract as contracts
from engage.synthesis import contract_export
from tests.packs import pdf_pages
from tests.synthesis.test_contract_pages import _action, published_summary
from tests.synthesis.test_contract_pages import make_contract as make_pages_contract


@pytest.fixture
def process(make_process, city):  # noqa: ANN001, ANN201
    return make_process(city, kind="ideas", themes=["mobility", "energy"])


def add_action(sheet, organiser, number: int, domain: str = "mobility", **more):  # noqa: ANN001, ANN003, ANN201
    """An action described in both languages, the English text with a link (the Word file
    writes links out)."""
    more.setdefault("description_en",
                    f"What action {number} **does**; see [the study](https://example.org/s).")
    more.setdefault("description_ro", f"Ce face acțiunea {number}.")
    return _action(sheet, organiser, number, domain, **more)


def make_contract(city, organiser, *, published: bool = True, actions: int = 2):  # noqa: ANN001, ANN201
    sheet = make_pages_contract(city, organiser, published=False, actions=0)
    for number in range(actions):
        add_action(sheet, organiser, number, "mobility" if number % 2 == 0 else "energy")
    if published:
        contracts.set_published(sheet, organiser, True)
    db.session.commit()
    return sheet


def action_titled(sheet, title: str):  # noqa: ANN001, ANN201
    return next(a for a in sheet.actions if a.title_en == title)


@pytest.fixture
def sheet(city, organiser):  # noqa: ANN001, ANN201
    return make_contract(city, organiser)


@pytest.fixture
def summary(process, organiser, make_user):  # noqa: ANN001, ANN201
    return published_summary(process, organiser, make_user)


def pledge(sheet, organiser, signer, name: str = "Asociația Pedalăm", **more):  # noqa: ANN001, ANN003, ANN201
    values = {"organisation": name, "stakeholder_type": "civil_society", "level": "partner",
              "language": "ro", "website": "", "reduction_t_co2e": "", "action_id": "",
              "commitment": "Organizăm ture lunare cu bicicleta pentru copii și părinți.",
              "signatory_name": "Ana Pop", "signatory_role": "Coordonatoare", **more}
    made = contracts.sign_pledge(sheet, signer, values)
    contracts.decide_pledge(made, organiser, True)
    contracts.report_progress(made, signer, {"percent": 40, "text": "Three rides done.",
                                             "language": "en"})
    return made


def with_evidence_and_a_pledge(sheet, organiser, summary, signer) -> None:  # noqa: ANN001
    """The summary attached to "Action number 0" (mobility), and an accepted pledge."""
    contracts.attach_summary(sheet, organiser, summary.id, None,
                             action_titled(sheet, "Action number 0").id)
    pledge(sheet, organiser, signer)
    db.session.commit()


def document(client, city, language: str = "en", fmt: str = "html"):  # noqa: ANN001, ANN201
    return client.get(f"/{city.slug}/contract/document",
                      query_string={"language": language, "format": fmt})


class Parsed(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.words: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):  # noqa: ANN001, ANN201
        self.words.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.words).split())

    def named(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag == name]


def audit_reasons() -> list[str]:
    return list(db.session.scalars(select(ModerationAction.reason).where(
        ModerationAction.action == "export", ModerationAction.target_type == "contract")))


# ---------------------------------------------------------------- the documents


def test_the_pdf_in_english(client, city, organiser, sheet, summary, make_user):
    with_evidence_and_a_pledge(sheet, organiser, summary, make_user())
    answer = document(client, city, "en", "pdf")
    assert answer.status_code == 200 and answer.content_type == "application/pdf"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="contract-{city.slug}-en.pdf"')
    text = " ".join(pdf_pages(answer.data))
    assert "Climate City Contract" in text and city.name_en.upper() in text  # cover-city
    for action in sheet.actions:
        assert action.code in text and action.title_en in text
    assert {a.code for a in sheet.actions} == {"MOB-1", "EN-1"}
    assert "Mobility and transport" in text and "Energy systems" in text
    assert "1. Commitments" in text and "2. Action plan" in text and "3. Investment plan" in text
    assert "Our ambition for the city." in text and "100,000 t CO₂e" in text
    assert "Asociația Pedalăm" in text and "Three rides done." in text and "40 %" in text
    assert "The cycle lanes" in text and "Supports they received" in text
    assert "City budget" in text and "2,000,000 EUR" in text  # two actions' municipal money
    assert "Ana Pop" not in text  # a signatory's name is personal data
    assert "DRAFT" not in text and "Draft" not in text
    assert audit_reasons() == []  # a published contract's document is public


def test_the_pdf_in_romanian_has_the_romanian_titles(client, city, sheet):
    """(The interface words follow the lead's catalog; the data is asserted here.)"""
    answer = document(client, city, "ro", "pdf")
    assert answer.status_code == 200
    assert f'filename="contract-{city.slug}-ro.pdf"' in answer.headers["Content-Disposition"]
    text = " ".join(pdf_pages(answer.data))
    for action in sheet.actions:
        assert action.code in text and action.title_ro in text
        assert action.title_en not in text
    assert "Ambiția noastră." in text and "Ce face acțiunea 0." in text
    assert "100.000" in text  # Romanian thousands


def test_the_printable_page(client, city, sheet):
    answer = document(client, city, "en", "html")
    assert answer.status_code == 200 and answer.content_type.startswith("text/html")
    assert "Content-Disposition" not in answer.headers
    page = answer.get_data(as_text=True)
    assert '<html lang="en">' in page and "css/pack.css" in page
    assert '<svg role="img"' in page  # the QR code of the public contract page
    assert 'class="doc-chart"' in page  # the funding by source, beside its table
    assert "<style>" not in page  # the Content-Security-Policy forbids inline styles
    assert "Action number 0" in page and "Mobility and transport" in page
    assert f"/{city.slug}/contract/document?language=ro&amp;format=pdf" in page
    assert f"/{city.slug}/contract/document?language=en&amp;format=word" in page
    # The action's Markdown, sanitised; its link kept on the page.
    assert "What action 0 <strong>does</strong>" in page and 'href="https://example.org/s"' in page
    romanian = document(client, city, "ro", "html").get_data(as_text=True)
    assert '<html lang="ro">' in romanian and "Acțiunea 0" in romanian
    assert "Action number 0" not in romanian


def test_the_word_document(client, city, organiser, sheet, summary, make_user):
    with_evidence_and_a_pledge(sheet, organiser, summary, make_user())
    answer = document(client, city, "en", "word")
    assert answer.status_code == 200 and answer.content_type == "text/html; charset=utf-8"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="contract-{city.slug}-en.doc"')
    body = answer.get_data(as_text=True)
    parsed = Parsed(body)
    (root,) = parsed.named("html")
    assert root["xmlns:o"] == "urn:schemas-microsoft-com:office:office"
    assert root["xmlns:w"] == "urn:schemas-microsoft-com:office:word"
    assert {"name": "ProgId", "content": "Word.Document"} in parsed.named("meta")
    assert len(parsed.named("style")) == 1 and "@page Section1" in body
    assert {"class": "Section1"} in parsed.named("div")
    for tag in ("script", "svg", "img", "link", "iframe", "object"):
        assert not parsed.named(tag), tag
    # Links only to the city's public contract, its actions and the summaries attached.
    allowed = re.compile(rf"^http://localhost/{city.slug}/(contract|contract/actions/\d+"
                         rf"|summaries/\d+)$")
    addresses = [attrs[name] for _tag, attrs in parsed.tags for name in ("href", "src")
                 if name in attrs]
    assert addresses and all(allowed.match(address) for address in addresses), addresses
    text = parsed.text
    # The action's own link is written out rather than linked.
    assert "the study (https://example.org/s)" in text
    for action in sheet.actions:
        assert action.code in text and action.title_en in text
    assert "Investment plan" in text and "Mobility and transport" in text
    # The evidence behind the first action: one idea, by one person, with two supports.
    item = re.search(r"Action number 0.*?The citizens' input behind it(.*?)Published summaries"
                     r"\s*The cycle lanes", text)
    assert item, text
    assert "Ideas 1" in item.group(1) and "Items of input cited 1" in item.group(1)
    assert "People behind them 1" in item.group(1) and "Supports they received 2" in item.group(1)
    assert f"http://localhost/{city.slug}/summaries/{summary.id}" in addresses
    assert "Asociația Pedalăm" in text and "Ana Pop" not in text
    romanian = Parsed(document(client, city, "ro", "word").get_data(as_text=True))
    assert "Acțiunea 0" in romanian.text and romanian.named("html")[0]["lang"] == "ro"


def test_the_assembly_in_one_language(app, city, organiser, sheet, summary):
    mobility = action_titled(sheet, "Action number 0")
    contracts.attach_summary(sheet, organiser, summary.id, None, mobility.id)
    contracts.attach_summary(sheet, organiser, summary.id, "commitments")
    db.session.commit()
    with app.test_request_context(), contract_export.document_locale("ro"):
        found = contract_export.assemble(sheet, city, "ro")
        assert [domain.code for domain in found.domains] == ["energy", "mobility"]
        assert found.action_count == 2 and not found.draft
        entry = found.domains[1].actions[0]
        assert entry.action.id == mobility.id and entry.description.text == "Ce face acțiunea 0."
        assert (entry.evidence.items, entry.evidence.people, entry.evidence.supports) == (1, 1, 2)
        assert found.domains[0].actions[0].evidence.items == 0
        assert entry.url == f"http://localhost/{city.slug}/contract/actions/{mobility.id}"
        assert "commitments" in found.parts and found.overall.items == 1
        assert found.target_t == 20_000
        assert contract_export.money(1_500_000) != "1,500,000 EUR"  # Romanian separators
    assert contract_export.filename(city, "ro", "word") == f"contract-{city.slug}-ro.doc"
    assert contract_export.filename(city, "en", "pdf") == f"contract-{city.slug}-en.pdf"


# ---------------------------------------------------------------- who may download it


@pytest.mark.parametrize("published", [True, False])
@pytest.mark.parametrize(("who", "published_status", "draft_status"), [
    ("anonymous", 200, 404),
    ("citizen", 200, 404),
    ("moderator", 200, 200),  # the city's staff read the draft (contract.can_view_contract)
    ("organiser", 200, 200),
    ("other_moderator", 200, 404),
    ("other_organiser", 200, 404),
    ("admin", 200, 200),
])
def test_who_may_download_the_contract(client, login_as, city, organiser, make_user, make_role,
                                       make_city, who, published_status, draft_status,
                                       published):
    make_contract(city, organiser, published=published, actions=1)
    if who == "citizen":
        login_as(client, make_user())
    elif who == "moderator":
        moderator = make_user()
        make_role(moderator, city, "moderator")
        login_as(client, moderator)
    elif who == "organiser":
        login_as(client, organiser)
    elif who in ("other_moderator", "other_organiser"):
        other = make_user()
        make_role(other, make_city(), who.removeprefix("other_"))
        login_as(client, other)
    elif who == "admin":
        login_as(client, make_user(admin=True))
    expected = published_status if published else draft_status
    for fmt in ("html", "word"):
        answer = document(client, city, "en", fmt)
        assert answer.status_code == expected, fmt
        if expected == 200:
            text = Parsed(answer.get_data(as_text=True)).text
            assert ("Draft — not published" in text) is not published
    if expected == 200 and not published:
        assert sorted(audit_reasons()) == ["[anonymised] html: contract draft (en)",
                                           "[anonymised] word: contract draft (en)"]
        assert answer.headers["Cache-Control"] == "no-store"
    else:
        assert audit_reasons() == []


def test_no_contract_is_not_found(client, login_as, city, organiser):
    assert document(client, city).status_code == 404
    assert document(login_as(client, organiser), city).status_code == 404


def test_a_draft_pdf_says_draft_on_every_page(client, login_as, city, organiser):
    make_contract(city, organiser, published=False, actions=6)
    answer = document(login_as(client, organiser), city, "en", "pdf")
    assert answer.status_code == 200
    pages = pdf_pages(answer.data)
    assert len(pages) > 2
    assert all("DRAFT" in page for page in pages)
    assert "Draft — not published" in pages[0]
    assert audit_reasons() == ["[anonymised] pdf: contract draft (en)"]


@pytest.mark.parametrize(("query", "message"), [
    ({"language": "fr"}, "The contract is available in Romanian (language=ro) and English"),
    ({"language": "en", "format": "docx"}, "a Word document (format=word)"),
    ({"language": "<b>x</b>"}, "The contract is available in Romanian"),
])
def test_a_bad_choice_is_refused_with_a_message(client, login_as, city, organiser, query,
                                                message):
    make_contract(city, organiser, published=False, actions=1)
    answer = login_as(client, organiser).get(f"/{city.slug}/contract/document",
                                             query_string=query)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert message in page and "<b>x</b>" not in page
    assert audit_reasons() == []  # nothing exported, nothing recorded


def test_the_contract_pages_link_the_documents(client, login_as, city, organiser):
    make_contract(city, organiser, published=False, actions=1)
    mine = login_as(client, organiser)
    manage = mine.get(f"/{city.slug}/manage/contract").get_data(as_text=True)
    assert f"/{city.slug}/contract/document?language=en&amp;format=pdf" in manage
    assert "each download is recorded in the audit log" in manage
    public = mine.get(f"/{city.slug}/contract").get_data(as_text=True)
    assert f"/{city.slug}/contract/document?language=ro&amp;format=word" in public


# ---------------------------------------------------------------- hostile text, query counts


def test_hostile_text_is_escaped_in_every_document(client, city, organiser, sheet, make_user):
    add_action(sheet, organiser, 7, title_en="<script>alert(1)</script>",
               title_ro="<script>alert(2)</script>",
               description_en="<img src=x onerror=alert(3)> **bold**",
               responsible="<b>Primăria</b>")
    pledge(sheet, organiser, make_user(), name="<i>Org</i>")
    db.session.commit()
    for fmt in ("html", "word"):
        body = document(client, city, "en", fmt).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<img" not in body and "<b>Primăria</b>" not in body and "<i>Org</i>" not in body
        assert "&lt;b&gt;Primăria&lt;/b&gt;" in body
        assert not Parsed(body).named("script")
    text = " ".join(pdf_pages(document(client, city, "en", "pdf").data))
    assert "<script>alert(1)</script>" in text  # shown as text, not run


@pytest.mark.parametrize("fmt", ["html", "word"])
def test_the_query_count_does_not_grow_with_the_contract(client, count_queries, city, organiser,
                                                         sheet, summary, make_user, fmt):
    def grow(actions: int, pledges: int) -> None:
        start = len(sheet.actions)
        for number in range(start, start + actions):
            action = add_action(sheet, organiser, number,
                                ["mobility", "energy", "nature"][number % 3])
            contracts.attach_summary(sheet, organiser, summary.id, None, action.id)
        for number in range(pledges):
            pledge(sheet, organiser, make_user(),
                   name=f"Organisation {len(sheet.actions)}-{number}")
        db.session.commit()

    url = f"/{city.slug}/contract/document?language=en&format={fmt}"
    contracts.attach_summary(sheet, organiser, summary.id, "commitments")
    grow(0, 1)  # two actions (the sheet's), one pledge
    client.get(url)  # warm up
    with count_queries() as few:
        assert client.get(url).status_code == 200
    grow(10, 4)
    with count_queries() as many:
        body = client.get(url).get_data(as_text=True)
    assert "Action number 11" in body and "Organisation 12-3" in body
    assert many.n == few.n, many.statements


@pytest.mark.database_independent
def test_the_helpers_keep_markup_in_its_place():
    mark = contract_export.css_string('Ciornă "</style><script>')
    assert mark.startswith('"Ciorn') and mark.endswith('"') and mark.count('"') == 2
    assert "<" not in mark and ">" not in mark and "\\3c " in mark
    html = contract_export.unlinked(Markup(
        '<p>See <a href="https://example.org/a?b=1&amp;c=2" rel="noopener nofollow ugc">the '
        '<em>plan</em></a> and <a href="https://x.org">https://x.org</a>.</p>'))
    assert html == ('<p>See the <em>plan</em> (https://example.org/a?b=1&amp;c=2) and '
                    'https://x.org.</p>')
