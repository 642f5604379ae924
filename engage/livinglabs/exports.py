"""The attendee export of a living lab: its rows (of one session or of every session) and the
CSV they are streamed as.

`attendee_rows` reads registrations in batches (`yield_per`) as plain column tuples — no ORM
objects, so nothing accumulates in the session's identity map — and yields one list per
registration after a header row; `stream_csv` turns rows into CSV text chunks (UTF-8 with a
byte-order mark, so spreadsheets read the diacritics; `;` or `,`). Memory stays constant
whatever the number of registrations, and the database is asked once.

With personal data (the city's organisers only, each export recorded in the audit log by the
route) a row has the person's name, e-mail address and answers; without, only the status,
stakeholder type, channel and times. Every text cell that a spreadsheet would read as a formula
(starting with = + - @, a tab or a carriage return) is neutralised with a leading quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engage import exports as shared
from engage.accounts.models import STAKEHOLDER_TYPES, User
from engage.core.i18n import current_language
from engage.exports import tables
from engage.exports.tables import FORMULA_STARTS, Column, Options, Table  # noqa: F401
from engage.exports.writers import text_cell
from engage.extensions import db
from engage.livinglabs.models import CHANNELS, STATUSES, LabSession, Registration
from engage.processes.models import Process

BATCH_SIZE = 500
CHUNK_ROWS = 200


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet will not run as a formula (the shared rule of every export)."""
    return tables.neutralise(cell)


def _header(personal: bool) -> list[str]:
    columns = [_("Session id"), _("Session"), _("Session starts")]
    if personal:
        columns += [_("Name"), _("E-mail")]
    columns += [_("Stakeholder type"), _("Status"), _("Channel"), _("Registered at"),
                _("Confirmed at"), _("Waitlisted at"), _("Cancelled at"), _("Checked in at")]
    if personal:
        columns += [_("Organisation"), _("Dietary needs"), _("Accessibility needs"),
                    _("Consent to photos")]
    return columns


def attendee_rows(process: Process, session: LabSession | None = None, personal: bool = True,
                  batch_size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    """The header, then one row per registration of `session` (or of every session of the
    living lab), ordered by session then registration, read `batch_size` at a time."""
    yield _header(personal)
    columns: list[Any] = [
        LabSession.id, LabSession.title_ro, LabSession.title_en, LabSession.starts_at,
        Registration.stakeholder_type, Registration.status, Registration.channel,
        Registration.created_at, Registration.confirmed_at, Registration.waitlisted_at,
        Registration.cancelled_at, Registration.checked_in_at,
    ]
    if personal:
        columns += [Registration.name, Registration.email, User.email, Registration.answers]
    query = (select(*columns).join(LabSession, LabSession.id == Registration.session_id)
             .where(Registration.process_id == process.id))
    if personal:
        query = query.outerjoin(User, User.id == Registration.user_id)
    if session is not None:
        query = query.where(Registration.session_id == session.id)
    query = query.order_by(LabSession.starts_at, LabSession.id, Registration.id)
    result = db.session.execute(query.execution_options(yield_per=batch_size))
    for row in result:
        (session_id, title_ro, title_en, starts_at, group, status, channel, created_at,
         confirmed_at, waitlisted_at, cancelled_at, checked_in_at, *rest) = row
        cells: list[Any] = [session_id, _title(title_ro, title_en), starts_at]
        if personal:
            name, guest_email, account_email, answers = rest
            cells += [name, guest_email or account_email or ""]
        cells += [str(STAKEHOLDER_TYPES.get(group, group)), str(STATUSES.get(status, status)),
                  str(CHANNELS.get(channel, channel)), created_at, confirmed_at, waitlisted_at,
                  cancelled_at, checked_in_at]
        if personal:
            answers = answers or {}
            consent = answers.get("photo_consent")
            cells += [answers.get("organisation", ""), answers.get("dietary", ""),
                      answers.get("accessibility", ""),
                      "" if consent is None else bool(consent)]
        yield cells


def _title(title_ro: str, title_en: str) -> str:
    if current_language() == "en":
        return title_en or title_ro
    return title_ro or title_en


def stream_csv(rows: Iterable[list[Any]], delimiter: str = ";",
               chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The rows as CSV text in chunks of `chunk_rows` rows, the first chunk opening with the
    UTF-8 byte-order mark; every cell converted and neutralised (`exports.writers.text_cell`)."""
    if delimiter not in (";", ","):
        raise ValueError("the delimiter is ';' or ','")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    first = True
    pending = 0
    for row in rows:
        writer.writerow([text_cell(value) for value in row])
        pending += 1
        if pending >= chunk_rows or first:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            yield ("\ufeff" + text) if first else text
            first = False
            pending = 0
    if first:
        yield "\ufeff"
    elif pending:
        yield buffer.getvalue()


# ---------------------------------------------------------------- the organisers' export page

_PERSONAL_AFTER = 3  # name and e-mail come after the session columns
_PERSONAL_AT_END = 4  # organisation, dietary, accessibility, photo consent


def registrations_table(process: Process, options: Options) -> Table:
    """Every registration of the living lab as a table of the shared export machinery: the
    name, e-mail address and answers are personal columns (organisers only, with a reason)."""
    columns = [
        Column("session_id", _l("Session id"), "number", width=9),
        Column("session", _l("Session"), width=30),
        Column("session_starts", _l("Session starts"), "datetime", width=17),
        Column("name", _l("Name"), personal=True, width=22),
        Column("email", _l("E-mail"), personal=True, width=28),
        Column("stakeholder_type", _l("Stakeholder type"), width=18),
        Column("status", _l("Status"), width=12),
        Column("channel", _l("Channel"), width=12),
        Column("registered_at", _l("Registered at"), "datetime", width=17),
        Column("confirmed_at", _l("Confirmed at"), "datetime", width=17),
        Column("waitlisted_at", _l("Waitlisted at"), "datetime", width=17),
        Column("cancelled_at", _l("Cancelled at"), "datetime", width=17),
        Column("checked_in_at", _l("Checked in at"), "datetime", width=17),
        Column("organisation", _l("Organisation"), personal=True, width=22),
        Column("dietary", _l("Dietary needs"), personal=True, width=22),
        Column("accessibility", _l("Accessibility needs"), personal=True, width=22),
        Column("photo_consent", _l("Consent to photos"), "bool", personal=True, width=10),
    ]

    def rows() -> Iterator[tuple]:
        cells = attendee_rows(process, None, personal=options.personal)
        next(cells)  # the header
        for row in cells:
            if options.personal:
                yield tuple(row)
            else:
                yield (*row[:_PERSONAL_AFTER], None, None, *row[_PERSONAL_AFTER:],
                       *[None] * _PERSONAL_AT_END)

    return Table("registrations", _l("Registrations"), columns, rows)


def build(process: Process, options: Options) -> list[Table]:
    return [registrations_table(process, options)]


shared.register("livinglab", build)
