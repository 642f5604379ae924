"""The attendee export's rows and CSV: personal and anonymised columns, one session or all,
formula neutralising, the byte-order mark and delimiters, and constant memory and queries
whatever the number of rows."""

from __future__ import annotations

import csv
import gc
import io
import secrets
import tracemalloc

import pytest
from sqlalchemy import insert

from engage.core.db import utcnow
from engage.extensions import db
from engage.livinglabs import exports
from engage.livinglabs.models import Registration


def parse(text: str, delimiter: str = ";") -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def csv_of(app, rows, delimiter=";") -> str:  # noqa: ANN001
    with app.test_request_context():
        return "".join(exports.stream_csv(rows, delimiter))


def test_personal_rows_have_names_emails_and_answers(app, lab, make_session, make_registration,
                                                     make_user):
    session = make_session(questions=["organisation", "dietary", "photo_consent"])
    user = make_user(email="maria@example.org", display_name="Maria Ionescu")
    make_registration(session, user=user, answers={"organisation": "ONG Verde",
                                                   "dietary": "vegan", "photo_consent": True})
    make_registration(session, email="ion@example.org", name="Ion Pop", status="waitlisted")
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        rows = list(exports.attendee_rows(lab, session))
        text = "".join(exports.stream_csv(iter(rows), ";"))
    header, first, second = parse(text)
    assert "Name" in header and "E-mail" in header and "Dietary needs" in header
    assert first[header.index("Name")] == "Maria Ionescu"
    assert first[header.index("E-mail")] == "maria@example.org"  # the account's address
    assert first[header.index("Organisation")] == "ONG Verde"
    assert first[header.index("Consent to photos")] == "yes"
    assert second[header.index("E-mail")] == "ion@example.org"
    assert second[header.index("Status")] == "Waitlisted"


def test_anonymised_rows_carry_no_names_nor_emails(app, lab, make_session, make_registration):
    session = make_session(questions=["dietary"])
    make_registration(session, email="secret@example.org", name="Secret Person",
                      answers={"dietary": "no nuts"})
    text = csv_of(app, exports.attendee_rows(lab, session, personal=False))
    assert "secret@example.org" not in text and "Secret Person" not in text
    assert "no nuts" not in text
    header, row = parse(text)
    assert len(header) == len(row) and "Confirmed" in text or "Confirmat" in text


def test_all_sessions_or_one(app, lab, make_session, make_registration):
    one, two = make_session(), make_session()
    make_registration(one)
    make_registration(two)
    make_registration(two)
    with app.test_request_context():
        assert len(list(exports.attendee_rows(lab))) == 4  # header + 3
        assert len(list(exports.attendee_rows(lab, two))) == 3


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_cells_are_neutralised(app, start):
    value = f"{start}HYPERLINK(\"http://evil\")"
    text = csv_of(app, [["name"], [value, "plain", 5]])
    rows = parse(text)
    assert rows[1][0] == "'" + value
    assert rows[1][1] == "plain" and rows[1][2] == "5"


def test_names_that_look_like_formulas_are_neutralised_in_the_export(app, lab, make_session,
                                                                     make_registration):
    session = make_session()
    make_registration(session, name="=cmd|' /C calc'!A0")
    text = csv_of(app, exports.attendee_rows(lab, session))
    assert "'=cmd" in text


def test_delimiters_and_bom(app):
    semicolon = csv_of(app, [["a", "b;c"], ["1", "2"]], ";")
    comma = csv_of(app, [["a", "b;c"], ["1", "2"]], ",")
    assert semicolon.startswith("\ufeffa;\"b;c\"\r\n")
    assert comma.startswith("\ufeffa,b;c\r\n")
    with pytest.raises(ValueError):
        csv_of(app, [["a"]], "|")
    assert csv_of(app, []) == "\ufeff"


def _bulk(session, n: int) -> None:  # noqa: ANN001
    now = utcnow()
    db.session.execute(insert(Registration), [
        {"session_id": session.id, "process_id": session.process_id,
         "email": f"p{i}-{secrets.token_hex(4)}@example.org", "name": f"Person {i} " + "x" * 80,
         "stakeholder_type": "citizen", "language": "ro", "channel": "online",
         "status": "confirmed", "token": secrets.token_urlsafe(24), "code": f"C{i:07d}",
         "answers": {"organisation": "o" * 200}, "accessibility_consent": False,
         "email_confirmed_at": now, "confirmed_at": now, "cancelled_late": False,
         "cancelled_by": "", "created_at": now, "updated_at": now}
        for i in range(n)])
    db.session.commit()


def _peak(app, lab, session, count_queries) -> tuple[int, int, int]:  # noqa: ANN001
    gc.collect()
    with app.test_request_context(), count_queries() as counted:
        tracemalloc.start()
        rows = 0
        for chunk in exports.stream_csv(exports.attendee_rows(lab, session, batch_size=20),
                                        ";", chunk_rows=20):
            rows += chunk.count("\r\n")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, counted.n, rows


def test_memory_and_queries_do_not_grow_with_the_rows(app, lab, make_session, count_queries):
    small, large = make_session(), make_session()
    _bulk(small, 100)
    _bulk(large, 600)
    for session in (small, large):  # warm up: expired attributes, caches
        _peak(app, lab, session, count_queries)
    small_peak, small_queries, small_rows = _peak(app, lab, small, count_queries)
    large_peak, large_queries, large_rows = _peak(app, lab, large, count_queries)
    assert (small_rows, large_rows) == (101, 601)
    assert large_queries == small_queries == 1
    # Six times the rows, in batches of 20: the peak stays that of a few batches.
    assert large_peak < small_peak * 1.5 + 64 * 1024, (small_peak, large_peak)
