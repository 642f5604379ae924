"""The export writers: CSV (one table), XLSX (one sheet per table) and JSON, each a generator of
chunks read row by row from the tables' generators, so memory stays constant whatever the number
of rows.

- CSV: UTF-8 with a byte-order mark (so spreadsheets show ș and ț), `;` or `,`, CRLF lines.
- XLSX: an openpyxl write-only workbook (rows go straight to a temporary file), a frozen header,
  column widths, real dates and times with a number format; saved to a temporary file that is
  then streamed in chunks.
- JSON: `{"tables": {name: [{key: value, ...}, ...]}}`, written object by object.

Every text cell starting with = + - @, a tab or a carriage return is neutralised (CSV, XLSX).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from engage.core.i18n import LOCAL_TIMEZONE
from engage.exports.tables import Table, neutralise

CHUNK_ROWS = 200
FILE_CHUNK = 64 * 1024
DELIMITERS = (";", ",")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _local(value: datetime) -> datetime:
    """A time as the city reads it (Bucharest), without a zone (spreadsheets know none)."""
    if value.tzinfo is None:  # stored as UTC without a zone (SQLite)
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TIMEZONE).replace(tzinfo=None)


def text_cell(value: Any) -> str:
    """One cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def _chosen(table: Table, personal: bool) -> tuple[list[int], list]:
    kept = table.kept(personal)
    return kept, [table.columns[index] for index in kept]


def csv_chunks(table: Table, personal: bool = False, delimiter: str = ";",
               chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """One table as CSV text in chunks of `chunk_rows` rows, the first opening with the BOM."""
    if delimiter not in DELIMITERS:
        raise ValueError("the delimiter is ';' or ','")
    kept, columns = _chosen(table, personal)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(str(column.label)) for column in columns])
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in table.rows():
        writer.writerow([text_cell(row[index]) for index in kept])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    title = "".join(ch for ch in name if ch not in '[]:*?/\\')[:31] or "sheet"
    candidate, number = title, 2
    while candidate.lower() in used:
        suffix = f"-{number}"
        candidate, number = title[:31 - len(suffix)] + suffix, number + 1
    used.add(candidate.lower())
    return candidate


def write_xlsx(tables: list[Table], target: Any, personal: bool = False) -> None:
    """The tables as one workbook written to `target` (a path or a binary file)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.name, used))
        kept, columns = _chosen(table, personal)
        sheet.freeze_panes = "A2"
        for number, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = column.width
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=neutralise(str(column.label)))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows():
            cells = []
            for index in kept:
                value = row[index]
                if isinstance(value, datetime):
                    cell = WriteOnlyCell(sheet, value=_local(value))
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(value, date):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, bool) or value is None or isinstance(value, int | float):
                    cell = value
                else:
                    cell = neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
                cells.append(cell)
            sheet.append(cells)
    workbook.save(target)


def xlsx_chunks(tables: list[Table], personal: bool = False,
                chunk_size: int = FILE_CHUNK) -> Iterator[bytes]:
    """The workbook written to a temporary file (rows never all in memory), then streamed."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(tables, spool, personal)
        spool.seek(0)
        while chunk := spool.read(chunk_size):
            yield chunk


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def json_chunks(tables: list[Table], personal: bool = False,
                chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """`{"tables": {name: [objects...]}}`, written incrementally."""
    yield '{"tables": {'
    for number, table in enumerate(tables):
        kept, columns = _chosen(table, personal)
        keys = [column.key for column in columns]
        parts = [("," if number else "") + json.dumps(table.name) + ": ["]
        first = True
        for row in table.rows():
            record = {key: _json_value(row[index]) for key, index in zip(keys, kept, strict=True)}
            parts.append(("" if first else ",") + json.dumps(record, ensure_ascii=False))
            first = False
            if len(parts) >= chunk_rows:
                yield "".join(parts)
                parts = []
        parts.append("]")
        yield "".join(parts)
    yield "}}"
