"""QR tickets: the code a participant shows at the door.

The QR code holds only the registration's opaque token (`Registration.token`, the same secret
as the personal link), never a name, an e-mail address or anything else about the person: a
photo of someone's ticket tells nothing about them. The check-in page reads the token back
(`services.check_in`); the short `code` printed beside the QR code is the typed fallback.
"""

from __future__ import annotations

import io
from typing import Any

from markupsafe import Markup

from engage.livinglabs.models import Registration

# Error correction M survives a scratched phone screen; a scale of 6 draws a code of about
# 200 px for a 32-character token, large enough for a phone's camera, small enough at 360 px.
ERROR_LEVEL = "m"
SCALE = 6
# segno is imported when a ticket is drawn, not with this module: a web worker budgets its
# memory, and most never draw one.


def _qr(registration: Registration) -> Any:
    import segno

    return segno.make(registration.token, error=ERROR_LEVEL, micro=False)


def qr_svg_inline(registration: Registration, title: str) -> Markup:
    """The ticket's QR code as an `<svg>` element to put in a page; `title` is its accessible
    name (a fixed text, never personal data)."""
    svg = _qr(registration).svg_inline(scale=SCALE, border=4, dark="#000", light="#fff",
                                      title=title, svgclass="ticket-qr")
    # segno escapes the title; the rest is path data drawn from the token.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704


def qr_svg_document(registration: Registration) -> bytes:
    """The ticket's QR code as a standalone SVG file."""
    buffer = io.BytesIO()
    _qr(registration).save(buffer, kind="svg", scale=SCALE, border=4, dark="#000",
                           light="#fff", xmldecl=True)
    return buffer.getvalue()
