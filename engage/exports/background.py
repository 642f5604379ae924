"""Workbooks written in the background. An XLSX export whose tables hold more than
`EXPORT_BACKGROUND_CELLS` cells (estimated from each table's `count`) is not written within the
request: an `ExportFile` is queued, the job consumer writes the workbook into the storage
(`core.uploads`), and the organiser downloads it from the file's page, which refreshes itself
until the file is ready. CSV and JSON always stream within the request: their first bytes leave
at once, so no proxy gives up waiting.

A file is kept `EXPORT_FILE_HOURS` hours, then removed by the retention purge (`flask purge`,
nightly). A file with personal data is for the person who asked for it; one without, for the
city's staff. Asking is recorded in the audit log like any export (the route does it); the
download is not recorded again.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, select

from engage import exports
from engage.cities.permissions import is_city_staff
from engage.core import owndata, uploads
from engage.core.db import utcnow
from engage.exports import writers
from engage.exports.models import ExportFile
from engage.exports.tables import Options, Table
from engage.extensions import db
from engage.processes.models import Process

RECENT = 10  # files listed on the export page


def background_cells() -> int:
    return int(current_app.config.get("EXPORT_BACKGROUND_CELLS", 250_000))


def estimated_cells(tables: list[Table], personal: bool) -> int:
    """Rows × written columns of the tables that can count their rows (the others are small)."""
    return sum(table.count() * len(table.kept(personal)) for table in tables
               if table.count is not None)


def needs_background(kind: str, tables: list[Table], personal: bool) -> int:
    """The estimated cells when an export of `kind` must be written in the background, else 0."""
    if kind != "xlsx":
        return 0
    cells = estimated_cells(tables, personal)
    return cells if cells > background_cells() else 0


def queue(process: Process, user: Any, tables: list[Table], personal: bool, language: str,
          cells: int) -> ExportFile:
    """Queue the workbook; the caller hands `build_export` to the consumer after its commit."""
    export = ExportFile(process_id=process.id, requested_by_id=user.id, format="xlsx",
                        tables=[table.name for table in tables], personal=personal,
                        language=language, cells=cells)
    db.session.add(export)
    db.session.flush()
    return export


def build(export_id: int) -> ExportFile | None:
    """Write the queued workbook into the storage (in the job consumer). Commits: "running"
    first, so the page shows it, then "done" or "failed"."""
    export = db.session.get(ExportFile, export_id)
    if export is None or export.status != "queued":
        return export
    export.status = "running"
    db.session.commit()
    try:
        with force_locale(export.language):
            options = Options(personal=export.personal, language=export.language)
            chosen = [table for table in exports.tables_for(export.process, options)
                      if table.name in export.tables]
            buffer = io.BytesIO()
            writers.write_xlsx(chosen, buffer, export.personal)
        key = uploads.new_key("xlsx")
        uploads.get_storage().save(key, buffer.getvalue(), uploads.content_type_for(key))
    except Exception:  # noqa: BLE001 — any failure is shown on the page, with the log's detail
        db.session.rollback()
        current_app.logger.exception("export file %s failed", export_id)
        export = db.session.get(ExportFile, export_id)
        export.status, export.finished_at = "failed", utcnow()
        db.session.commit()
        return export
    export.storage_key, export.size = key, buffer.tell()
    export.status, export.finished_at = "done", utcnow()
    export.expires_at = export.finished_at + timedelta(
        hours=int(current_app.config.get("EXPORT_FILE_HOURS", 24)))
    db.session.commit()
    return export


def may_download(user: Any, export: ExportFile) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if export.personal:
        return export.requested_by_id == user.id
    return is_city_staff(user, export.process.city)


def recent(process: Process, user: Any) -> list[ExportFile]:
    """The process's latest files this person may download, newest first (one query)."""
    if not is_city_staff(user, process.city):
        return []
    now = utcnow()
    files = db.session.scalars(select(ExportFile).where(ExportFile.process_id == process.id)
                               .order_by(ExportFile.id.desc()).limit(RECENT * 3))
    return [export for export in files
            if (not export.personal or export.requested_by_id == user.id)
            and not (export.expires_at and export.expires_at <= now)][:RECENT]


def content_available(export: ExportFile) -> bool:
    """Done and not past its time (the file itself is read only when downloaded)."""
    return (export.status == "done" and bool(export.storage_key)
            and not (export.expires_at and export.expires_at <= utcnow()))


def content(export: ExportFile) -> bytes | None:
    if not content_available(export):
        return None
    try:
        return uploads.get_storage().open(export.storage_key)
    except FileNotFoundError:
        return None


def purge_expired(now: datetime) -> int:
    """Remove the files past their time and their rows; failed ones after the same time."""
    expired = list(db.session.scalars(select(ExportFile).where(
        ((ExportFile.expires_at.is_not(None)) & (ExportFile.expires_at <= now))
        | ((ExportFile.status == "failed") & (ExportFile.created_at <= now - timedelta(days=1))))))
    for export in expired:
        if export.storage_key:
            owndata.remove_file(export.storage_key)
    if expired:
        db.session.execute(delete(ExportFile).where(
            ExportFile.id.in_([export.id for export in expired])))
    return len(expired)


owndata.register_purger("export_files", purge_expired)
