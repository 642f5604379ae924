"""Workshop packs: a process's results as printable documents, in Romanian or English.

Three documents, each as an HTML page with print CSS (`static/css/pack.css`) and as a PDF drawn
by WeasyPrint from the same HTML:

- the **pack** (A4): a cover (city, process, dates, a QR code to the process's page), the
  participation figures by stakeholder type, then what each kind and the synthesis add (the
  consultation's charts, the top ideas, the themes, the published summaries…), and the idea
  cards at the end;
- the **cards**: only the idea cards, A6, four to an A4 page, for sorting on a table;
- the **poster** (A3): the key figures, the participation chart and each kind's highlights.

This package imports no kind. Each kind registers, from its own `exports.py`, what it adds:

    packs.register("ideas", sections)          # sections(process, options) -> list[Section]
    packs.register_participation("ideas", fn)  # fn(process) -> list[Participation]

A provider registered for "*" adds to every kind's pack (the synthesis' themes and summaries).
A kind without a participation provider is counted from the contribution spine: the distinct
authors of its published input, by stakeholder type.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale, format_number
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from engage.accounts.models import STAKEHOLDER_TYPES, User
from engage.core.charts import hbar_chart
from engage.core.db import utcnow
from engage.extensions import db
from engage.processes.models import Contribution, Process

DOCUMENTS = {"pack": _l("Workshop pack (A4)"),
             "cards": _l("Idea cards only (A6, four to an A4 page)"),
             "poster": _l("Results poster (A3)")}
FORMATS = ("html", "pdf")
CARDS_DEFAULT = 48
CARDS_MAX = 400  # 100 A4 pages: a PDF drawn within a request (bench/exports measures it)


@dataclass(frozen=True)
class PackOptions:
    """What the organiser asked for: the document, its language and which idea cards."""

    document: str = "pack"
    language: str = "ro"
    theme: str | None = None  # the cards of one theme (a process theme's code) only
    cards: int = CARDS_DEFAULT  # the most-supported ideas first


@dataclass
class Section:
    """One part of a document, drawn by `template` (included: it sees `section`, its
    `section.context`, and the document's `process`, `options`, `language`, `format_number`
    and `qr(url, title)`). `part` says where it goes: "pack" (the pack's body), "cards" (the
    end of the pack and the whole cards document) or "poster".
    """

    name: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50
    part: str = "pack"


@dataclass
class Participation:
    """A way of taking part (responded, wrote an idea, supported…) and the people who did, by
    stakeholder type (a type's code; "unknown" where nobody said)."""

    label: str
    counts: dict[str, int]
    main: bool = False  # the figure the chart draws and the cover quotes

    @property
    def total(self) -> int:
        return sum(self.counts.values())


Provider = Callable[[Process, PackOptions], list[Section]]
ParticipationProvider = Callable[[Process], list[Participation]]
_sections: dict[str, list[tuple[str, Provider]]] = {}
_participation: dict[str, list[tuple[str, ParticipationProvider]]] = {}


def _add(registry: dict[str, list], kind: str, provider: Callable) -> None:
    name = f"{provider.__module__}.{provider.__qualname__}"
    entries = registry.setdefault(kind, [])
    entries[:] = [entry for entry in entries if entry[0] != name]
    entries.append((name, provider))


def register(kind: str, provider: Provider) -> None:
    """Add `provider`'s sections to the documents of processes of `kind` ("*": every kind)."""
    _add(_sections, kind, provider)


def register_participation(kind: str, provider: ParticipationProvider) -> None:
    """Count the participation of processes of `kind` with `provider`."""
    _add(_participation, kind, provider)


def sections_for(process: Process, options: PackOptions) -> list[Section]:
    sections: list[Section] = []
    for kind in (process.kind, "*"):
        for _name, provider in _sections.get(kind, []):
            sections.extend(provider(process, options))
    return sorted(sections, key=lambda section: section.order)


def _spine_participation(process: Process) -> list[Participation]:
    rows = db.session.execute(
        select(User.stakeholder_type, func.count(func.distinct(Contribution.author_id)))
        .join(User, User.id == Contribution.author_id)
        .where(Contribution.process_id == process.id, Contribution.status == "published")
        .group_by(User.stakeholder_type))
    return [Participation(str(_l("Contributed")), {kind: count for kind, count in rows},
                          main=True)]


def participation(process: Process) -> list[Participation]:
    providers = _participation.get(process.kind)
    if not providers:
        return _spine_participation(process)
    ways: list[Participation] = []
    for _name, provider in providers:
        ways.extend(provider(process))
    if ways and not any(way.main for way in ways):
        ways[0].main = True
    return ways


@dataclass
class ParticipationTable:
    ways: list[Participation]
    rows: list[tuple[str, list[int]]]  # (stakeholder label, a count per way)
    main: Participation | None
    chart: Any


def participation_table(process: Process) -> ParticipationTable:
    ways = participation(process)
    present = {code for way in ways for code, count in way.counts.items() if count}
    order = [code for code in STAKEHOLDER_TYPES if code in present]
    order += sorted(present - set(order))
    labels = {code: str(STAKEHOLDER_TYPES.get(code, _l("Not said"))) for code in order}
    rows = [(labels[code], [way.counts.get(code, 0) for way in ways]) for code in order]
    main = next((way for way in ways if way.main), None)
    chart = None
    if main and main.total:
        chart = hbar_chart([(labels[code], main.counts.get(code, 0),
                             str(main.counts.get(code, 0))) for code in order], scale=None)
    return ParticipationTable(ways, rows, main, chart)


def qr_svg(url: str, title: str, scale: int = 3) -> Markup:
    """A QR code of `url` as an inline `<svg>` (error level M; no style attribute)."""
    import segno  # drawn only for packs and tickets: not loaded with every web worker

    # No width or height, only a viewBox: the stylesheet sizes it (in mm) and it scales, never
    # crops.
    svg = segno.make(url, error="m", micro=False).svg_inline(
        scale=scale, border=2, dark="#000", light="#fff", title=title, svgclass="qr",
        omitsize=True)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704


def process_url(process: Process) -> str:
    return url_for("processes.process_page", city_slug=process.city.slug,
                   process_slug=process.slug, _external=True)


def render(process: Process, options: PackOptions, for_pdf: bool = False) -> str:
    """The document's HTML, in the options' language."""
    with force_locale(options.language):
        sections = sections_for(process, options)
        wanted = {"pack": ("pack", "cards"), "cards": ("cards",), "poster": ("poster",)}
        sections = [section for section in sections
                    if section.part in wanted[options.document]]
        html = render_template(
            f"exports/pack/{options.document}.html", process=process, options=options,
            sections=sections, participation=participation_table(process),
            process_url=process_url(process), generated_at=utcnow(), for_pdf=for_pdf,
            language=options.language, qr=qr_svg, format_number=format_number)
        return styled_charts(html) if for_pdf else html


# WeasyPrint draws an inline <svg> on its own, without the page's stylesheet, so for the PDF
# each chart carries its own copy of the chart rules (a browser reads them from pack.css; the
# site's Content-Security-Policy forbids inline styles, so the HTML view never has them).
_CHART = re.compile(r'(<svg class="(?:chart|swatch)[^"]*"[^>]*>)')
_CHART_STYLE = (
    "<style>text{font-size:11px;fill:#1b2a2f;font-family:'DejaVu Sans',sans-serif}"
    ".fig{font-weight:700}.track{fill:#e6ecea}.bar{fill:#0b6e4f}"
    ".axis{stroke:#4d5f66;stroke-width:1}"
    + "".join(f".seg-{n}{{fill:{colour}}}" for n, colour in enumerate(
        ("#0b6e4f", "#7fc8a9", "#123a63", "#e0a23b", "#8a4b00", "#a7c4e5", "#5b2a6e",
         "#c9c9c9")))
    + "</style>")


def styled_charts(html: str) -> str:
    return _CHART.sub(lambda match: match.group(1) + _CHART_STYLE, html)


def stylesheet_path() -> str:
    return os.path.join(current_app.static_folder or "static", "css", "pack.css")


def write_pdf(html: str) -> bytes:
    """The PDF of a document's HTML. The pack's stylesheet is given from the disk, and nothing
    else is fetched (the document's own resources are inline SVG; any other URL a text might
    hold is refused rather than requested from the server)."""
    from PIL import ImageFile

    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    # WeasyPrint's import lets Pillow load truncated images, for the whole process; photos
    # uploaded to this worker must still be refused when truncated (core.uploads).
    ImageFile.LOAD_TRUNCATED_IMAGES = truncated

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(filename=stylesheet_path(), url_fetcher=fetcher)])
