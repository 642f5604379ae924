"""The flask commands: create-admin and send-mail (demo-data is in test_demo.py)."""

from __future__ import annotations

import smtplib

import pytest
from argon2 import PasswordHasher

from engage.accounts.services import find_user_by_email
from engage.core.mail import queue_mail
from tests.core.conftest import use_test_mail_templates
from tests.core.test_mail import FailingSMTP


@pytest.fixture
def runner(app):  # noqa: ANN001, ANN201
    return app.test_cli_runner()


@pytest.fixture
def mail_dir(app, tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    directory = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_DIRECTORY", str(directory))
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    use_test_mail_templates(app, monkeypatch)
    return directory


def queue(app, *recipients: str) -> None:  # noqa: ANN001
    with app.test_request_context():
        for recipient in recipients:
            queue_mail(recipient, "core_test", "ro", name="Ana")


def test_create_admin_creates_a_verified_admin(runner):
    result = runner.invoke(args=["create-admin", "Chief@Example.org",
                                 "--password", "a long enough password", "--name", "Chief"])
    assert result.exit_code == 0, result.output
    assert "Created admin chief@example.org" in result.output
    user = find_user_by_email("chief@example.org")
    assert user.is_admin and user.is_verified and user.display_name == "Chief"
    assert PasswordHasher().verify(user.password_hash, "a long enough password")


def test_create_admin_asks_for_the_password(runner):
    result = runner.invoke(args=["create-admin", "asked@example.org"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert find_user_by_email("asked@example.org").is_admin


def test_create_admin_promotes_an_existing_account(runner, make_user):
    user = make_user("someone@example.org")
    old_hash = user.password_hash
    result = runner.invoke(args=["create-admin", "someone@example.org", "--password", "ignored"])
    assert result.exit_code == 0, result.output
    assert "Promoted admin someone@example.org" in result.output
    assert user.is_admin
    assert user.password_hash == old_hash  # promoting does not change the password


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a long enough password", "not a valid e-mail address"),
        ("short@example.org", "short", "at least 10 characters"),
    ],
)
def test_create_admin_refuses_bad_input(runner, email, password, message):
    result = runner.invoke(args=["create-admin", email, "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    assert find_user_by_email(email) is None


def test_send_mail_drains_the_outbox(app, runner, mail_dir, outbox):
    queue(app, "ana@example.org", "ion@example.org")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0, waiting 0" in result.output
    assert len(list(mail_dir.glob("*.eml"))) == 2
    assert all(message.sent_at for message in outbox())


def test_send_mail_with_nothing_to_send(runner, mail_dir):
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "sent 0, failed 0, waiting 0" in result.output


def test_send_mail_keeps_failures_for_later(app, runner, mail_dir, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    monkeypatch.setattr(smtplib, "SMTP", FailingSMTP)
    queue(app, "ana@example.org")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "sent 0, failed 1, waiting 1" in result.output
    (message,) = outbox()
    assert message.attempts == 1 and message.sent_at is None
