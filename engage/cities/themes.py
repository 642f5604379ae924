"""The domains of a Climate City Contract: the themes of processes, funding calls and summaries."""

from flask_babel import lazy_gettext as _l

THEMES = {
    "energy": _l("Energy systems"),
    "buildings": _l("Buildings"),
    "mobility": _l("Mobility and transport"),
    "waste": _l("Waste and circular economy"),
    "nature": _l("Nature-based solutions and green spaces"),
    "adaptation": _l("Adaptation and resilience"),
    "governance": _l("Governance and social innovation"),
    "other": _l("Other"),
}


def theme_label(code: str) -> str:
    return str(THEMES.get(code, code))


def theme_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in THEMES.items()]
