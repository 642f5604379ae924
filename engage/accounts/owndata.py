"""The account's own part of people's own data (see `core.owndata`) and what deleting an
account keeps.

Deleting an account (`services.delete_account`) keeps the `user_account` row, so that kept
contributions, supports and votes still point somewhere and stay counted, but erases
everything personal on it: the e-mail becomes `deleted-<id>@invalid` (unique, and not an
address: the real one may sign up again), the display name "former participant", the password
unusable, roles removed, `is_active_account` False (the session loader refuses it, so every
session and remember-me cookie is logged out) and `deleted_at` set.

The audit log (`core.audit.ModerationAction`) keeps its rows and their `actor_id`: it is the
city's append-only record of moderation decisions, which the city must be able to account for
(GDPR art. 17(3)(b) and (e): a legal obligation and legal claims). Its rows hold no personal
data of their own — the actor is an id, and the account it points to is anonymised — so
nothing personal remains in it once the account is deleted.

Messages already sent from the outbox to the person are deleted with the account; the
messages still waiting (the deletion's own confirmation, cancellations) go out to the old
address and are removed by the retention purge (`sent_outbox`) after OUTBOX_RETENTION_DAYS.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from engage.core import owndata
from engage.core.mail import OutboxMessage
from engage.core.owndata import iso
from engage.extensions import db

OUTBOX_RETENTION_DAYS = 30
# An account whose address was never confirmed could never log in or contribute.
UNVERIFIED_RETENTION_DAYS = 30


def collect(user: Any) -> dict[str, Any]:
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name,
        "language": user.language, "stakeholder_type": user.stakeholder_type,
        "created_at": iso(user.created_at), "email_verified_at": iso(user.email_verified_at),
        "last_login_at": iso(user.last_login_at),
    }


def erase(user: Any, keep: bool) -> None:
    # The messages already delivered to the person carry their address and name.
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.recipient == user.email, OutboxMessage.sent_at.is_not(None)))


def purge_sent_outbox(now: datetime) -> int:
    """Delivered messages older than OUTBOX_RETENTION_DAYS: they hold addresses and names."""
    result = db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.sent_at.is_not(None),
        OutboxMessage.sent_at < now - timedelta(days=OUTBOX_RETENTION_DAYS)))
    return result.rowcount or 0


def purge_unverified(now: datetime) -> int:
    """Accounts never verified within UNVERIFIED_RETENTION_DAYS of signing up."""
    from engage.accounts.models import User

    ids = list(db.session.scalars(select(User.id).where(
        User.email_verified_at.is_(None), User.deleted_at.is_(None),
        User.created_at < now - timedelta(days=UNVERIFIED_RETENTION_DAYS))))
    deleted = 0
    for user_id in ids:
        # An account something still needs (a row whose rules require a person) is left to
        # an administrator rather than failing the whole purge.
        try:
            with db.session.begin_nested():
                db.session.execute(delete(User).where(User.id == user_id))
        except IntegrityError:
            continue
        deleted += 1
    return deleted


owndata.register("account", collect, erase, order=-10)
owndata.register_purger("sent_outbox", purge_sent_outbox)
owndata.register_purger("unverified_accounts", purge_unverified)
