"""The outbox: queue in the recipient's language, deliver to files or SMTP, keep and retry
failures, send nothing for a request that failed."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select

import engage.core.mail as mail
from engage.core.db import utcnow
from engage.core.mail import OutboxMessage, deliver_pending, queue_mail
from engage.extensions import db
from tests.core.conftest import use_test_mail_templates


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """The session app writing mail to a folder of this test, with the tests' templates."""
    directory = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_DIRECTORY", str(directory))
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    use_test_mail_templates(app, monkeypatch)
    return directory


def queue(app, recipient: str, language: str) -> OutboxMessage:  # noqa: ANN001
    with app.test_request_context():
        return queue_mail(recipient, "core_test", language, name="Ana")


def eml_files(directory: Path) -> list:
    return [message_from_bytes(path.read_bytes()) for path in sorted(directory.glob("*.eml"))]


class FailingSMTP:
    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        raise ConnectionRefusedError("mail server down")


class RecordingSMTP:
    sent: list = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host

    def __enter__(self):  # noqa: ANN204
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        return None

    def starttls(self) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        pass

    def send_message(self, email) -> None:  # noqa: ANN001
        RecordingSMTP.sent.append(email)


def test_queue_mail_renders_in_the_recipients_language(app, mailbox, outbox):
    queue(app, "Ana@Example.org".lower(), "en")
    queue(app, "ion@example.org", "ro")
    english, romanian = outbox()
    assert english.language == "en"
    assert english.subject == "Subject in en for Ana"
    assert english.body == "Hello Ana, this message is in en.\n"
    assert romanian.language == "ro"
    assert romanian.subject == "Subject in ro for Ana"
    assert english.sent_at is None and english.attempts == 0


def test_deliver_pending_writes_eml_files(app, mailbox, outbox):
    queue(app, "ana@example.org", "en")
    queue(app, "ion@example.org", "ro")
    assert deliver_pending() == (2, 0)
    emails = eml_files(mailbox)
    assert [e["To"] for e in emails] == ["ana@example.org", "ion@example.org"]
    assert str(make_header(decode_header(emails[0]["Subject"]))) == "Subject in en for Ana"
    assert all(message.sent_at is not None for message in outbox())
    # Nothing is sent twice.
    assert deliver_pending() == (0, 0)
    assert len(list(mailbox.glob("*.eml"))) == 2


def test_smtp_failure_keeps_the_message_and_a_later_run_sends_it(app, mailbox, outbox,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    monkeypatch.setattr(smtplib, "SMTP", FailingSMTP)
    queue(app, "ana@example.org", "ro")

    assert deliver_pending() == (0, 1)
    (message,) = outbox()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "mail server down" in message.last_error
    assert message.next_attempt_at > utcnow()
    # Before its back-off has passed the message waits.
    assert deliver_pending() == (0, 0)
    assert message.attempts == 1

    RecordingSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", RecordingSMTP)
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(mail, "utcnow", lambda: later)
    assert deliver_pending() == (1, 0)
    db.session.refresh(message)
    assert message.sent_at is not None and message.last_error is None
    assert message.attempts == 2
    assert [email["To"] for email in RecordingSMTP.sent] == ["ana@example.org"]
    assert not list(mailbox.glob("*.eml"))


def test_request_queues_and_sends_after_commit(fresh):
    response = fresh.test_client().post("/_test/mail", data={"to": "ana@example.org",
                                                              "lang": "en"})
    assert response.status_code == 200
    with fresh.app_context():
        (message,) = db.session.scalars(select(OutboxMessage))
        assert message.sent_at is not None  # jobs run at once in tests
    (email,) = eml_files(Path(fresh.config["MAIL_DIRECTORY"]))
    assert email["To"] == "ana@example.org"


def test_request_that_fails_after_queueing_sends_nothing(fresh):
    response = fresh.test_client().post("/_test/mail-then-raise", data={"to": "ana@example.org"})
    assert response.status_code == 500
    with fresh.app_context():
        assert list(db.session.scalars(select(OutboxMessage))) == []
    assert not list(Path(fresh.config["MAIL_DIRECTORY"]).glob("*.eml"))


def test_mail_files_are_readable_and_carry_the_language(app, mailbox, outbox):
    """A developer opens the file and clicks the link: the body is plain 8-bit text, not
    quoted-printable, and says which language it is in."""
    queue(app, "ion@example.org", "ro")
    deliver_pending()
    raw = next(mailbox.glob("*.eml")).read_bytes().decode()
    assert "Hello Ana, this message is in ro." in raw
    assert "Content-Transfer-Encoding: 8bit" in raw
    assert "Content-Language: ro" in raw
