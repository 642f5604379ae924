"""The organisers' exports: the shared machinery only (tables, formula neutralising, the CSV,
XLSX and JSON streaming writers, the export page). Each kind describes its own tables in its
`exports.py` and registers a builder here at import, so this package imports no kind:

    exports.register("ideas", build)     # build(process, options) -> list[Table]

A builder registered for "*" adds tables to every kind's export (the synthesis' summaries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Builder = Callable[[Any, Any], list]
_builders: dict[str, list[tuple[str, Builder]]] = {}


def register(kind: str, builder: Builder) -> None:
    """Add `builder` for processes of `kind` (once per builder, whatever the imports)."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    entries = _builders.setdefault(kind, [])
    entries[:] = [entry for entry in entries if entry[0] != name]
    entries.append((name, builder))


def tables_for(process: Any, options: Any) -> list:
    """Every table an export of `process` offers, its kind's first."""
    tables: list = []
    for kind in (process.kind, "*"):
        for _, builder in _builders.get(kind, []):
            tables.extend(builder(process, options))
    return tables


def init_app(app) -> None:  # noqa: ANN001
    from engage.exports import (  # noqa: F401 (pack_routes adds to bp; background: a purger)
        background,
        models,
        pack_routes,
        routes,
    )

    app.register_blueprint(routes.bp)
