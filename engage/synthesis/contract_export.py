"""The Climate City Contract as a document to print, send or edit: the city's contract (a draft
or the published one) in Romanian or English, assembled once and drawn three ways:

- an HTML page laid out for printing (`templates/synthesis/contract/document.html`, with the
  print stylesheet `static/css/pack.css` the workshop packs use);
- a PDF of that page, drawn by WeasyPrint (`engage.exports.packs.write_pdf`, which fetches
  nothing: the QR code is inline SVG; the funding chart is drawn on the page only);
- a Word-compatible HTML file (`document_word.html`, downloaded as `contract-<city>-<lang>.doc`):
  HTML with Word's Office namespaces and `ProgId`, one embedded stylesheet of the CSS Word
  honours (bordered tables, fonts, an A4 `@page Section1`), no script, no SVG, no external
  resource, links only to the city's public pages. Word opens the `.doc` as a document;
  LibreOffice opens it too (in Writer/Web, as it sees HTML). To get a DOCX: in Word, File › Save
  as › Word Document (.docx); in LibreOffice, File › Save as › Word 2007–365 (.docx) (from
  Writer/Web: save as ODT, open that, then save as DOCX); on a server,
  `soffice --headless --convert-to "docx:MS Word 2007 XML" <file>.doc` (a bare `docx` target
  fails there: "no export filter"; `--infilter="HTML (StarWriter)"` opens it in Writer instead).

The document: a title page (city, the contract's state and dates, a QR code of the public contract
page); 1. the commitments (ambition, targets, baseline, the accepted pledges by level with their
latest progress); 2. the action plan by domain, each action with every field and the citizens'
input behind it (the evidence of `contract.evidence`: cited items by kind, people, supports, and
the published summaries attached); 3. the investment plan (`contract.investment_plan`). Only what
the public contract page shows goes in (no signatory's name, no pending pledge).

Everything is read by `assemble` in a constant number of queries whatever the number of actions,
funding lines, summaries and pledges, through the services of `synthesis.contract`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import g, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from engage.core.charts import hbar_chart
from engage.core.db import utcnow
from engage.core.i18n import LocalizedText, format_number, localized
from engage.core.markdown import render_markdown
from engage.extensions import db
from engage.synthesis import contract as contracts
from engage.synthesis.contract import Evidence, InvestmentPlan
from engage.synthesis.models import (
    ACTION_LEVERS,
    ACTION_STATUSES,
    CO_BENEFITS,
    CONTRACT_PARTS,
    FUNDING_SOURCES,
    PLEDGE_LEVEL_HINTS,
    PLEDGE_LEVELS,
    Contract,
    ContractAction,
    Pledge,
)

LANGUAGES = ("ro", "en")
FORMATS = ("html", "pdf", "word")
TEMPLATES = {"html": "synthesis/contract/document.html",
             "pdf": "synthesis/contract/document.html",
             "word": "synthesis/contract/document_word.html"}
# The kinds of input a summary cites (core.citations), as the evidence tables name them.
INPUT_KINDS = {
    "idea": _l("Ideas"),
    "comment": _l("Comments"),
    "answer": _l("Answers to consultations"),
    "observation": _l("Field observations"),
    "session": _l("Living-lab sessions"),
}
LINK = re.compile(r'<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)


@dataclass
class ActionEntry:
    """An action of the plan with the citizens' input behind it."""

    action: ContractAction
    evidence: Evidence
    url: str
    description: LocalizedText
    description_html: Markup

    @property
    def kinds(self) -> list[tuple[str, int]]:
        return kind_rows(self.evidence)


@dataclass
class Domain:
    code: str
    label: str
    actions: list[ActionEntry] = field(default_factory=list)
    evidence: Evidence | None = None  # summaries attached to the domain itself


@dataclass
class ContractDocument:
    """What a contract document shows, in one language, read once."""

    contract: Contract
    city: Any
    language: str
    url: str  # the public contract page
    generated_at: datetime
    ambition: LocalizedText
    ambition_html: Markup
    target_t: float | None  # the emissions allowed in the target year
    pledges: dict[str, list[Pledge]]
    domains: list[Domain]
    parts: dict[str, Evidence]  # summaries attached to "commitments", "action_plan"…
    overall: Evidence  # every summary attached anywhere, cited items counted once
    plan: InvestmentPlan

    @property
    def draft(self) -> bool:
        return self.contract.status != "published"

    @property
    def action_count(self) -> int:
        return sum(len(domain.actions) for domain in self.domains)

    @property
    def pledge_count(self) -> int:
        return sum(len(items) for items in self.pledges.values())


# ---------------------------------------------------------------- helpers


@contextmanager
def document_locale(language: str) -> Iterator[None]:
    """Labels, dates and numbers in `language` whatever the request's: `core.i18n` keeps the
    request's number separators on `g`, so they are forgotten inside and given back after."""
    saved = g.pop("_number_symbols", None)
    try:
        with force_locale(language):
            yield
    finally:
        g.pop("_number_symbols", None)
        if saved is not None:
            g._number_symbols = saved


def money(value: float | None) -> str:
    """An amount of euros in the page's language: "18.500.000 EUR" in Romanian."""
    if value is None:
        return "–"
    return _("%(amount)s EUR", amount=format_number(value, 0))


def tonnes(value: float | None) -> str:
    """Tonnes of CO₂e per year: "4.200 t CO₂e/an" in Romanian."""
    if value is None:
        return "–"
    return _("%(amount)s t CO₂e/yr", amount=format_number(value, 1))


def co2e(value: float | None) -> str:
    """A city's yearly emissions, in whole tonnes of CO₂e."""
    if value is None:
        return "–"
    return _("%(amount)s t CO₂e", amount=format_number(value, 0))


def timeline(action: ContractAction) -> str:
    start, end = action.start_year, action.end_year
    if start and end and start != end:
        return f"{start}–{end}"
    return str(start or end or "–")


def kind_rows(item: Evidence | None) -> list[tuple[str, int]]:
    """(label, count) of the cited items by kind, in the order of INPUT_KINDS."""
    if item is None:
        return []
    known = [(str(label), item.by_kind[kind]) for kind, label in INPUT_KINDS.items()
             if item.by_kind.get(kind)]
    return known + [(kind, n) for kind, n in sorted(item.by_kind.items())
                    if kind not in INPUT_KINDS]


def css_string(text: str) -> Markup:
    """`text` as a CSS string literal, safe inside a <style> element: every character but
    letters, digits and spaces written as a CSS escape."""
    escaped = "".join(char if char.isalnum() or char == " " else f"\\{ord(char):x} "
                      for char in text)
    return Markup(f'"{escaped}"')  # noqa: S704 - only letters, digits, spaces and escapes


def unlinked(html: Markup) -> Markup:
    """Sanitised Markdown with its links written out as text ("label (address)"): the Word
    file links only the city's own pages."""
    def written_out(match: re.Match) -> str:
        address, label = match.group(1), match.group(2)
        return label if label == address else f"{label} ({address})"

    return Markup(LINK.sub(written_out, str(html)))  # noqa: S704 - input was sanitised


def summary_url(city_slug: str, summary_id: int) -> str:
    return url_for("synthesis.summary_page", city_slug=city_slug, summary_id=summary_id,
                   _external=True)


def document_url(city_slug: str, language: str, fmt: str) -> str:
    return url_for("synthesis.contract_document", city_slug=city_slug, language=language,
                   format=fmt)


def filename(city: Any, language: str, fmt: str) -> str:
    """`contract-<city>-<lang>.pdf`, or `.doc` for the Word file (HTML inside: Word and
    LibreOffice open it as a document; "Save as" makes it a .docx)."""
    return f"contract-{city.slug}-{language}.{'doc' if fmt == 'word' else fmt}"


# ---------------------------------------------------------------- assembly


def _load_actions(contract: Contract) -> None:
    """The contract's actions and their funding lines: two queries whatever their number."""
    actions = list(db.session.scalars(
        select(ContractAction).where(ContractAction.contract_id == contract.id)
        .options(selectinload(ContractAction.funding))
        .order_by(ContractAction.domain, ContractAction.position, ContractAction.id)))
    set_committed_value(contract, "actions", actions)


def assemble(contract: Contract, city: Any, language: str) -> ContractDocument:
    """The document's content in `language` (call it inside `document_locale(language)`)."""
    _load_actions(contract)
    found = contracts.evidence(contract)
    plan = contracts.investment_plan(contract)
    pledges = contracts.public_pledges(contract)
    domains = []
    for code, actions in contracts.actions_by_domain(contract).items():
        domain = Domain(code, contracts.section_label(code), evidence=found.get((code, None)))
        for action in actions:
            description = localized(action, "description", language)
            domain.actions.append(ActionEntry(
                action=action, evidence=found.get((action.domain, action.id)) or Evidence(),
                url=url_for("synthesis.contract_action", city_slug=city.slug,
                            action_id=action.id, _external=True),
                description=description, description_html=render_markdown(description.text)))
        domains.append(domain)
    ambition = localized(contract, "ambition", language)
    target_t = None
    if contract.baseline_t_co2e is not None and contract.reduction_target_pct is not None:
        target_t = contract.baseline_t_co2e * (100 - contract.reduction_target_pct) / 100
    return ContractDocument(
        contract=contract, city=city, language=language,
        url=url_for("synthesis.contract_page", city_slug=city.slug, _external=True),
        generated_at=utcnow(), ambition=ambition, ambition_html=render_markdown(ambition.text),
        target_t=target_t, pledges=pledges, domains=domains,
        parts={part: found[(part, None)] for part in CONTRACT_PARTS if (part, None) in found},
        overall=found.get(("*", None)) or Evidence(), plan=plan)


def _funding_chart(plan: InvestmentPlan) -> Any:
    if not plan.funded:
        return None
    return hbar_chart([(row.label, row.amount, money(row.amount)) for row in plan.rows],
                      scale=None)


def render(contract: Contract, city: Any, language: str, fmt: str) -> str | bytes:
    """The document in `language` as `fmt`: "html" (the page), "pdf" (bytes) or "word"."""
    if language not in LANGUAGES or fmt not in FORMATS:
        raise ValueError(f"no {fmt!r} document in {language!r}")
    from engage.exports import packs

    with document_locale(language):
        document = assemble(contract, city, language)
        html = render_template(
            TEMPLATES[fmt], doc=document, contract=contract, city=city, language=language,
            for_pdf=fmt == "pdf", word=fmt == "word",
            qr=packs.qr_svg,
            # Word draws no SVG; the table beside the chart has the same figures.
            chart=_funding_chart(document.plan) if fmt != "word" else None,
            draft_mark=css_string(_("Draft")), money=money, tonnes=tonnes, co2e=co2e,
            fmt_number=format_number, timeline=timeline, kind_rows=kind_rows,
            summary_url=summary_url, unlinked=unlinked, document_url=document_url,
            section_label=contracts.section_label, CONTRACT_PARTS=CONTRACT_PARTS,
            ACTION_STATUSES=ACTION_STATUSES, ACTION_LEVERS=ACTION_LEVERS,
            CO_BENEFITS=CO_BENEFITS, FUNDING_SOURCES=FUNDING_SOURCES,
            PLEDGE_LEVELS=PLEDGE_LEVELS, PLEDGE_LEVEL_HINTS=PLEDGE_LEVEL_HINTS,
            STAKEHOLDER_TYPES=contracts.STAKEHOLDER_TYPES)
    if fmt == "pdf":
        return packs.write_pdf(packs.styled_charts(html))
    return html
