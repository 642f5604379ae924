"""The one way user-written Markdown becomes HTML: markdown-it renders, nh3 sanitises."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_FULL = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["table", "strikethrough"]
)
# Markdown-lite for comments: inline emphasis, links, lists and paragraphs; no headings, images.
_LITE = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["heading", "lheading", "image", "table", "code", "fence", "hr", "html_block", "html_inline"],
    ignoreInvalid=True,
)

_TAGS = {
    "p", "br", "strong", "em", "del", "s", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}


def _clean(html: str) -> Markup:
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
    html = _FULL.render(text)
    # A user's "# Title" must not compete with the page's own h1.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return _clean(html)


def render_markdown_lite(text: str | None) -> Markup:
    """Markdown-lite (comments): paragraphs, emphasis, links and lists only."""
    if not text:
        return Markup("")
    return _clean(_LITE.render(text))


def init_app(app) -> None:  # noqa: ANN001
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["markdown_lite"] = render_markdown_lite
