"""Small WTForms helpers shared by every feature's forms."""

from __future__ import annotations

import unicodedata


def strip(value: object) -> object:
    """Trim surrounding white space and normalise to NFC (one form for ș, ț, ă, â, î)."""
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value.strip())
        # Old cedilla letters are a different character; everything we store uses comma-below.
        value = value.translate(CEDILLA_TO_COMMA)
    return value


CEDILLA_TO_COMMA = str.maketrans({"ş": "ș", "Ş": "Ș", "ţ": "ț", "Ţ": "Ț"})


def lower_strip(value: object) -> object:
    value = strip(value)
    return value.lower() if isinstance(value, str) else value
