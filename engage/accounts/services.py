"""Account operations: passwords, sign-up, verification, log-in, reset, profile."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import select

from engage.accounts.models import User
from engage.core.db import utcnow
from engage.extensions import db


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"]
    )


def hash_password(password: str) -> str:
    """Argon2id hash of `password`."""
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check `password`; rehash it when the stored hash uses weaker parameters."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def make_admin(email: str, password: str, name: str | None = None) -> tuple[User, bool]:
    """Promote the account with `email` to global admin, or create a verified admin account."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise ValueError("not a valid e-mail address")
    user = find_user_by_email(email)
    if user is not None:
        user.is_admin = True
        db.session.flush()
        return user, False
    if len(password) < 10:
        raise ValueError("the password must have at least 10 characters")
    user = User(
        email=email,
        display_name=name or email.split("@", 1)[0],
        password_hash=hash_password(password),
        email_verified_at=utcnow(),
        is_admin=True,
    )
    db.session.add(user)
    db.session.flush()
    return user, True
