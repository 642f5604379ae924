"""Flask commands: create-admin, send-mail, demo-data, purge."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from engage.extensions import db


@click.command("create-admin")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@click.option("--name", default=None, help="Display name (default: the part before @).")
@with_appcontext
def create_admin(email: str, password: str, name: str | None) -> None:
    """Make EMAIL a global admin, creating a verified account when there is none."""
    from engage.accounts.services import make_admin

    try:
        user, created = make_admin(email, password, name)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{'Created' if created else 'Promoted'} admin {user.email}")


@click.command("send-mail")
@with_appcontext
def send_mail() -> None:
    """Send the outbox's due messages now (by SMTP, or to files without MAIL_SERVER)."""
    from engage.core.mail import OutboxMessage, deliver_pending

    total_sent = total_failed = 0
    while True:
        sent, failed = deliver_pending()
        total_sent += sent
        total_failed += failed
        if sent + failed == 0 or sent == 0:
            break
    waiting = db.session.scalar(
        select(db.func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    )
    click.echo(f"sent {total_sent}, failed {total_failed}, waiting {waiting}")
    if total_failed:
        current_app.logger.warning("some mail failed and will be retried")


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Only when the database has no city yet.")
@with_appcontext
def demo_data(if_empty: bool) -> None:
    """Load the demo hub, cities, processes and accounts (idempotent)."""
    from engage.cities.models import City
    from engage.demo import load_demo_data

    if if_empty and db.session.scalar(select(City.id).limit(1)) is not None:
        click.echo("demo data skipped: the database already has cities")
        return
    summary = load_demo_data()
    db.session.commit()
    click.echo(summary)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Print what would be deleted; change nothing.")
@with_appcontext
def purge(dry_run: bool) -> None:
    """Delete personal data past its retention (each city's and living lab's settings): guests'
    e-mails and names, accessibility and dietary needs, unconfirmed guests, never-verified
    accounts, delivered mail. The nightly job runs the same purge (core/jobs.py)."""
    from engage.core.owndata import purge as run_purge

    counts = run_purge(dry_run=dry_run)
    if not dry_run:
        db.session.commit()
    for name, number in counts.items():
        click.echo(f"{name}: {number}")
    click.echo(f"{'would purge' if dry_run else 'purged'} {sum(counts.values())} in total")


def init_app(app) -> None:  # noqa: ANN001
    for command in (create_admin, send_mail, demo_data, purge):
        app.cli.add_command(command)
