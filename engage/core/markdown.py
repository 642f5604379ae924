"""The one way user-written Markdown becomes HTML: markdown-it renders, nh3 sanitises.

Texts read far more often than they are written (ideas, comments) keep their HTML beside the
Markdown, rendered here when the text is written (`stored_or_rendered` shows it), so the pages
that show them need neither library: markdown-it and nh3 (about 3 MiB of a worker) are
imported when something is first rendered, not with this module.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from markupsafe import Markup


@cache
def _renderers() -> tuple[Any, Any]:
    """(full, lite) markdown-it renderers, made once per process on first use."""
    from markdown_it import MarkdownIt

    full = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
        ["table", "strikethrough"]
    )
    # Markdown-lite for comments: inline emphasis, links, lists and paragraphs; no headings.
    lite = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
        ["heading", "lheading", "image", "table", "code", "fence", "hr", "html_block",
         "html_inline"],
        ignoreInvalid=True,
    )
    return full, lite

_TAGS = {
    "p", "br", "strong", "em", "del", "s", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def _clean(html: str) -> Markup:
    import nh3

    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener nofollow ugc",
    )
    return Markup(cleaned)


def render_markdown(text: str | None) -> Markup:
    """Full Markdown (descriptions): headings from h2 down, lists, links, tables; no raw HTML."""
    if not text:
        return Markup("")
    html = _renderers()[0].render(text)
    # A user's "# Title" must not compete with the page's own h1.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return _clean(html)


def render_markdown_lite(text: str | None) -> Markup:
    """Markdown-lite (comments): paragraphs, emphasis, links and lists only."""
    if not text:
        return Markup("")
    return _clean(_renderers()[1].render(text))


def stored_or_rendered(html: str | None, text: str | None, lite: bool = False) -> Markup:
    """The HTML this module rendered when `text` was written, or — for a row written before
    HTML was kept — `text` rendered now."""
    if html is not None:
        return Markup(html)  # noqa: S704 - made by render_markdown(_lite) above, sanitised
    return render_markdown_lite(text) if lite else render_markdown(text)


def init_app(app) -> None:  # noqa: ANN001
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_lite"] = render_markdown_lite
