"""What the workshop-pack tests share: drawing a document through the pack page's URL, and
reading a PDF's text (pypdf) page by page, whitespace folded."""

from __future__ import annotations

import io

from pypdf import PdfReader


def document(client, process, **args):  # noqa: ANN001, ANN003, ANN201
    """GET one pack document (`document`, `language`, `format`, `cards`, `theme`): the pack in
    English as a web page unless told otherwise."""
    query = {"document": "pack", "language": "en", "format": "html", "cards": "48"}
    query.update(args)
    return client.get(f"/{process.city.slug}/manage/processes/{process.slug}/pack/document",
                      query_string=query)


def pdf_pages(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return " ".join(pdf_pages(data))
