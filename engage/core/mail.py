"""Outgoing mail: every message goes to the outbox table first, then out.

`queue_mail` renders a message in the recipient's language and adds it to the outbox in the
current transaction (so a rolled-back request sends nothing). `deliver_pending` sends what is
due — by SMTP when MAIL_SERVER is set, otherwise as .eml files in the mail directory, where a
developer can open them and click the links. A failure is recorded and retried later with
back-off; nothing is ever dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy import JSON, String, Text, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from engage.core.db import utcnow
from engage.extensions import db

MAX_BACKOFF = timedelta(hours=1)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    # Text attachments: [{"filename", "content_type" ("text/calendar; method=REQUEST"), "text"}].
    attachments: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)


def queue_mail(recipient: str, template: str, language: str,
               attachments: list[dict[str, str]] | None = None,
               **context: object) -> OutboxMessage:
    """Render `mail/<template>.txt` in `language` and put it in the outbox.

    The template's first line is the subject, the rest the body. `attachments` are text files
    sent with it (see `OutboxMessage.attachments`), such as an invitation's `.ics`.
    """
    with force_locale(language):
        rendered = render_template(f"mail/{template}.txt", **context).strip("\n")
    subject, _, body = rendered.partition("\n")
    message = OutboxMessage(
        recipient=recipient,
        subject=subject.strip(),
        body=body.strip() + "\n",
        language=language,
        attachments=attachments or None,
    )
    db.session.add(message)
    db.session.flush()
    g.outbox_pending = True
    return message


def _build(message: OutboxMessage, readable: bool = False) -> EmailMessage:
    """The message as e-mail; `readable` keeps the body as plain 8-bit text (for the files a
    developer opens), otherwise quoted-printable, which every SMTP server accepts."""
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}")
    email.set_content(message.body, cte="8bit" if readable else "quoted-printable")
    # After set_content, which replaces every Content-* header.
    email["Content-Language"] = message.language
    for attachment in message.attachments or ():
        content_type, *parameters = attachment["content_type"].split(";")
        # A str payload is always sent as text/<subtype>: only text attachments are kept.
        subtype = content_type.strip().split("/")[1]
        params = dict(part.strip().split("=", 1) for part in parameters if "=" in part)
        email.add_attachment(attachment["text"], subtype=subtype, filename=attachment["filename"],
                             params=params)
    return email


def _send_smtp(emails: list[EmailMessage]) -> None:
    config = current_app.config
    import smtplib  # here: web workers only queue mail, the job consumer sends it

    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        for email in emails:
            smtp.send_message(email)


def _write_file(message: OutboxMessage, email: EmailMessage) -> None:
    directory = Path(current_app.config["MAIL_DIRECTORY"])
    directory.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    (directory / f"{stamp}-{message.id:06d}.eml").write_bytes(bytes(email))


def deliver_pending(limit: int = 100) -> tuple[int, int]:
    """Send the due messages; return (sent, failed). Commits its own work.

    On PostgreSQL rows are claimed with SKIP LOCKED, so several workers never send one twice.
    """
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None))
        .where(or_(OutboxMessage.next_attempt_at <= now, OutboxMessage.attempts == 0))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(db.session.scalars(query))
    sent = failed = 0
    use_smtp = bool(current_app.config.get("MAIL_SERVER"))
    for message in messages:
        message.attempts += 1
        try:
            email = _build(message, readable=not use_smtp)
            if use_smtp:
                _send_smtp([email])
            else:
                _write_file(message, email)
        except Exception as error:  # noqa: BLE001 — any failure is kept and retried
            failed += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            backoff = min(timedelta(minutes=2 ** min(message.attempts, 10)), MAX_BACKOFF)
            message.next_attempt_at = utcnow() + backoff
            current_app.logger.warning(
                "mail %s to %s failed: %s", message.id, message.recipient, error
            )
        else:
            sent += 1
            message.sent_at = utcnow()
            message.last_error = None
    db.session.commit()
    return sent, failed
