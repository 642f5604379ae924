"""The one Markdown helper: user text becomes safe HTML, whatever it contains."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from engage.core.markdown import render_markdown, render_markdown_lite

pytestmark = pytest.mark.database_independent  # the PostgreSQL pass leaves it out

RENDERERS = pytest.mark.parametrize("render", [render_markdown, render_markdown_lite])


@RENDERERS
def test_script_is_inert(render):
    html = render("Hello <script>alert(1)</script> there")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


@RENDERERS
def test_raw_html_is_escaped_not_rendered(render):
    html = render('<b onclick="steal()">bold</b> <img src=x onerror=alert(1)> <iframe src="/">')
    assert "<b" not in html and "<img" not in html and "<iframe" not in html
    assert "&lt;b onclick" in html


@RENDERERS
@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        "<javascript:alert(1)>",
    ],
)

def test_dangerous_links_lose_their_href(render, source):
    html = render(source).lower()
    assert 'href="javascript' not in html
    assert 'href="data' not in html
    assert 'href="vbscript' not in html


@RENDERERS
def test_links_get_rel_noopener_nofollow_ugc(render):
    html = render("[the city](https://example.org/city)")
    assert '<a href="https://example.org/city" rel="noopener nofollow ugc">the city</a>' in html


@RENDERERS
def test_result_is_markup_and_empty_input_is_empty(render):
    assert isinstance(render("*hi*"), Markup)
    assert render("*hi*") == Markup("<p><em>hi</em></p>\n")
    assert render(None) == Markup("") and render("") == Markup("")


def test_h1_becomes_h2_and_headings_keep_their_levels():
    html = render_markdown("# Title\n\n## Section\n\ntext")
    assert "<h1" not in html
    assert "<h2>Title</h2>" in html and "<h2>Section</h2>" in html


def test_full_markdown_keeps_lists_tables_and_code_but_no_images():
    html = render_markdown(
        "- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n`code`\n\n![x](https://example.org/x.png)"
    )
    assert "<ul>" in html and "<li>one</li>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<code>code</code>" in html
    assert "<img" not in html


def test_lite_has_no_headings_or_images():
    html = render_markdown_lite("# Not a heading\n\n![x](https://example.org/x.png)\n\n**bold**")
    assert "<h" not in html
    assert "<img" not in html
    assert "<strong>bold</strong>" in html


def test_filters_are_registered_and_autoescape_stays_on(app):
    template = app.jinja_env.from_string("{{ text|markdown }}|{{ text|markdown_lite }}|{{ text }}")
    with app.test_request_context():
        html = template.render(text="<script>x</script>")
    assert "<script" not in html
